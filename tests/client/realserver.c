/*
 * realserver.c - the real registry in-process for the client's tests
 * (see realserver.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rocksdb/c.h>

#include "keys.h"
#include "realserver.h"
#include "storetest.h"
#include "testutil.h"

/* Few workers: tests keep at most a window of calls in flight. */
#define RS_WORKERS 4

/* The servers running, for rs_client to find a token by URL. */
static rs_server *running[8];

static void
track(rs_server *s, bool on)
{
	for (size_t i = 0; i < sizeof(running) / sizeof(running[0]); i++)
		if (on ? running[i] == NULL : running[i] == s) {
			running[i] = on ? s : NULL;
			return;
		}
	if (on)
		fail_msg("more than %zu servers", sizeof(running) /
		    sizeof(running[0]));
}

static void
serve(rs_server *s)
{
	const char *urls[] = {s->url};
	svc_options so = {.urls = urls, .n_urls = 1, .workers = RS_WORKERS,
	    .scrub_rate_mib = s->scrub_rate_mib,
	    .anonymous_read = s->anonymous_read, .tls_cert = s->tls.cert,
	    .tls_key = s->tls.key, .tls_client_ca = s->tls.ca,
	    .gc_grace_ms = s->gc_grace_ms};
	mr_err e;

	mr_err_clear(&e);
	if (store_open(&s->st, s->data, &e) != MR_OK)
		fail_msg("store_open %s: %s", s->data, e.msg);
	if (svc_server_start(&s->srv, s->st, &so, &e) != MR_OK)
		fail_msg("svc_server_start %s: %s", s->url, e.msg);
}

const char *
rs_token_with(rs_server *s, const char *user, int role, const char *models,
    int stage, char out[SVC_TOKEN_LEN + 1])
{
	Modelreg__V1__Grant g = MODELREG__V1__GRANT__INIT;
	mr_err e;

	g.role = (Modelreg__V1__Role)role;
	g.models = (char *)models;
	g.stage = (Modelreg__V1__Stage)stage;
	if (svc_token_mint(s->st, "realserver", user, &g, out, &e) != MR_OK)
		fail_msg("svc_token_mint %s: %s", user, e.msg);
	return out;
}

const char *
rs_token(rs_server *s, const char *user)
{
	size_t i;

	for (i = 0; i < s->n_tokens; i++)
		if (strcmp(s->tokens[i].user, user) == 0)
			return s->tokens[i].token;
	if (i == sizeof(s->tokens) / sizeof(s->tokens[0]))
		fail_msg("more than %zu users", i);
	snprintf(s->tokens[i].user, sizeof(s->tokens[i].user), "%s", user);
	rs_token_with(s, user, MODELREG__V1__ROLE__ROLE_ADMIN, "*", 0,
	    s->tokens[i].token);
	s->n_tokens++;
	return s->tokens[i].token;
}

struct token_copy {
	store_txn *t;
	mr_err *e;
};

static int
copy_token(void *arg, mr_pb_token *tok)
{
	struct token_copy *c = arg;

	if (store_txn_put_token(c->t, tok, c->e) != MR_OK)
		fail_msg("store_txn_put_token: %s", c->e->msg);
	modelreg__v1__token__free_unpacked(tok, NULL);
	return 0;
}

static void
start(rs_server *s, const char *tag, const char *url,
    const mr_tls_files *tls, bool open)
{
	memset(s, 0, sizeof(*s));
	s->anonymous_read = open;
	if (tls != NULL)
		s->tls = *tls;
	tu_mkdtemp(s->dir, tag);
	snprintf(s->data, sizeof(s->data), "%s/data", s->dir);
	if (url != NULL)
		snprintf(s->url, sizeof(s->url), "%s", url);
	else
		snprintf(
		    s->url, sizeof(s->url), "ipc://%s/registry.sock", s->dir);
	s->stores = 1;
	serve(s);
	track(s, true);
}

void
rs_start_tls(rs_server *s, const char *tag, const char *url,
    const mr_tls_files *tls)
{
	start(s, tag, url, tls, false);
}

void
rs_start(rs_server *s, const char *tag, const char *url)
{
	start(s, tag, url, NULL, false);
}

void
rs_start_open(rs_server *s, const char *tag, const char *url)
{
	start(s, tag, url, NULL, true);
}

void
rs_stop(rs_server *s)
{
	svc_server_stop(s->srv);
	store_close(s->st);
	s->srv = NULL;
	s->st = NULL;
}

void
rs_resume(rs_server *s)
{
	serve(s);
}

void
rs_restart(rs_server *s)
{
	rs_stop(s);
	rs_resume(s);
}

void
rs_replace_store(rs_server *s)
{
	store *old = s->st;
	struct token_copy c;
	mr_err e;

	/* The tokens go along, as they would in a backup: the clients the
	 * test holds keep working. */
	svc_server_stop(s->srv);
	s->stores++;
	snprintf(s->data, sizeof(s->data), "%s/data-%d", s->dir, s->stores);
	serve(s);
	c.e = &e;
	if (store_txn_begin(s->st, &c.t, &e) != MR_OK ||
	    store_scan_tokens(old, copy_token, &c, &e) != MR_OK)
		fail_msg("copying tokens: %s", e.msg);
	store_txn_mark_bootstrapped(c.t);
	if (store_txn_commit(c.t, &e) != MR_OK)
		fail_msg("copying tokens: %s", e.msg);
	store_close(old);
}

void
rs_finish(rs_server *s)
{
	if (s->st != NULL)
		rs_stop(s);
	track(s, false);
	tu_rmtree(s->dir);
}

static int
fixture(void **state, const char *tag, bool open)
{
	rs_fixture *f = calloc(1, sizeof(*f));

	start(&f->s, tag, NULL, NULL, open);
	f->c = rs_client(f->s.url, "alice", 30000, 0);
	*state = f;
	return 0;
}

int
rs_fixture_setup(void **state, const char *tag)
{
	return fixture(state, tag, false);
}

int
rs_fixture_setup_open(void **state, const char *tag)
{
	return fixture(state, tag, true);
}

int
rs_fixture_teardown(void **state)
{
	rs_fixture *f = *state;

	mr_client_close(f->c);
	rs_finish(&f->s);
	free(f);
	return 0;
}

const char *
rs_token_for(const char *url, const char *user)
{
	rs_server *s = NULL;

	/* The server at `url`, else (a proxy's URL) the last one started. */
	for (size_t i = 0; i < sizeof(running) / sizeof(running[0]); i++)
		if (running[i] != NULL && running[i]->st != NULL &&
		    (s == NULL || strcmp(running[i]->url, url) == 0))
			s = running[i];
	return s != NULL ? rs_token(s, user != NULL ? user : "alice") : NULL;
}

mr_client *
rs_client(const char *url, const char *user, int timeout_ms, int window)
{
	mr_client_options o = {
	    .token = rs_token_for(url, user),
	    .timeout_ms = timeout_ms,
	    .window = window,
	};
	mr_client *c;

	if (mr_client_open(&c, url, &o) != MR_OK)
		fail_msg("mr_client_open %s: %s", url, mr_client_errmsg(NULL));
	return c;
}

int
rs_damage_chunks(rs_server *s)
{
	int damaged;

	rs_stop(s);
	damaged = st_damage_chunks(s->data);
	rs_resume(s);
	return damaged;
}

void
rs_plant_chunk(rs_server *s, const uint8_t digest[MR_DIGEST_LEN],
    const void *bytes, size_t len)
{
	bool stored = false;
	mr_err e;

	mr_err_clear(&e);
	if (store_put_chunk(s->st, digest, MR_ENC_RAW, (uint32_t)len, bytes,
	        len, &stored, &e) != MR_OK)
		fail_msg("store_put_chunk: %s", e.msg);
	assert_true(stored);
}

void
rs_set_manifest_path(rs_server *s, const char *name, const char *version,
    size_t file, const char *path)
{
	mr_pb_manifest *m;
	store_txn *t;
	mr_semver sv;
	mr_err e;

	mr_err_clear(&e);
	if (mr_semver_parse(version, &sv, &e) != MR_OK ||
	    store_txn_begin(s->st, &t, &e) != MR_OK)
		fail_msg("%s", e.msg);
	if (store_get_manifest(s->st, name, &sv, &m, &e) != MR_OK)
		fail_msg("store_get_manifest: %s", e.msg);
	assert_true(file < m->n_files);
	free(m->files[file]->path);
	m->files[file]->path = strdup(path);
	if (store_txn_put_manifest(t, name, &sv, m, &e) != MR_OK ||
	    store_txn_commit(t, &e) != MR_OK)
		fail_msg("rewriting the manifest: %s", e.msg);
	protobuf_c_message_free_unpacked(&m->base, NULL);
}

/* ---- local files ----------------------------------------------------------
 */

char *
rs_path(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		fail_msg("out of memory");
	return p;
}

void
rs_write_mode(const char *path, const void *data, size_t len, mode_t mode)
{
	tu_write_file(path, data, len);
	if (chmod(path, mode) != 0)
		fail_msg("chmod %s", path);
}

void
rs_write_random(const char *path, size_t size, uint64_t seed, mode_t mode)
{
	uint8_t *buf = malloc(size + 1);

	tu_fill_random(buf, size, seed);
	rs_write_mode(path, buf, size, mode);
	free(buf);
}

bool
rs_same_file(const char *a, const char *b)
{
	size_t la = 0, lb = 0;
	char *x = tu_read_file(a, &la), *y = tu_read_file(b, &lb);
	bool same = x != NULL && y != NULL && la == lb && memcmp(x, y, la) == 0;

	free(x);
	free(y);
	return same;
}

bool
rs_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

void
rs_sha256(const void *data, size_t len, uint8_t out[MR_DIGEST_LEN])
{
	mr_codec *c = mr_codec_create();

	assert_non_null(c);
	mr_sha256(c, data, len, out);
	mr_codec_free(c);
}
