/*
 * fuzzsvc.c - the store and the dispatch shared by fuzz_dispatch and
 * fuzz_request (see fuzzsvc.h). The store lives for the whole run, so an
 * input meets what earlier ones registered; its directory is removed at
 * exit, but left behind by a crash, with the state that led to it.
 */
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "envelope.pb-c.h"
#include "fuzzsvc.h"

static char g_dir[64];
static store *g_store;
static svc_worker g_worker;
static bool g_verbose;

static int
remove_one(const char *path, const struct stat *sb, int flag,
    struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
cleanup(void)
{
	svc_worker_fini(&g_worker);
	store_close(g_store);
	nftw(g_dir, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

svc_worker *
fuzz_worker(const char *name)
{
	mr_err e;

	snprintf(g_dir, sizeof(g_dir), "/tmp/modelreg-fuzz-%s-XXXXXX", name);
	if (mkdtemp(g_dir) == NULL || store_open(&g_store, g_dir, &e) != MR_OK ||
	    svc_worker_init(&g_worker, g_store, &e) != MR_OK)
		abort();
	atexit(cleanup);
	g_verbose = getenv("MR_FUZZ_VERBOSE") != NULL;
	return &g_worker;
}

const char *
fuzz_token(const char *identity, int role, const char *models)
{
	Modelreg__V1__Grant g = MODELREG__V1__GRANT__INIT;
	char *t = malloc(SVC_TOKEN_LEN + 1);
	mr_err e;

	g.role = (Modelreg__V1__Role)role;
	g.models = (char *)models;
	if (t == NULL ||
	    svc_token_mint(g_store, "fuzz", identity, &g, t, &e) != MR_OK)
		abort();
	return t; /* kept for the run */
}

struct reply {
	uint8_t *p;
	size_t len;
};

static void *
reply_alloc(void *arg, size_t len)
{
	struct reply *r = arg;

	r->len = len;
	r->p = malloc(len > 0 ? len : 1);
	return r->p;
}

void
fuzz_dispatch(svc_worker *w, const uint8_t *msg, size_t len)
{
	struct reply r = { NULL, 0 };
	svc_reply reply = { .alloc = reply_alloc, .arg = &r };
	Modelreg__V1__Response *rs;

	if (svc_dispatch(w, msg, len, &reply) != 0 || r.p == NULL)
		abort();
	if ((rs = modelreg__v1__response__unpack(NULL, r.len, r.p)) == NULL)
		abort();
	/* An error says why. */
	if (rs->code != MODELREG__V1__STATUS_CODE__STATUS_OK &&
	    rs->message[0] == '\0')
		abort();
	/* MR_FUZZ_VERBOSE=1: each answer on stderr, to see where seeds or
	 * a corpus stop (build-fuzz/tests/fuzz/fuzz_request -runs=0 DIR). */
	if (g_verbose)
		fprintf(stderr, "fuzz: %s: %s\n",
		    mr_strerror((mr_status)rs->code), rs->message);
	modelreg__v1__response__free_unpacked(rs, NULL);
	free(r.p);
}
