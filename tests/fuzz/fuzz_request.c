/*
 * fuzz_request.c - every request message type, through the real
 * dispatcher and handlers on a real store. The first input byte picks one
 * of the methods svc.h's tables serve (in name order, so that moving a
 * method between tables changes nothing) and which of four callers calls;
 * the rest is the method's request payload, wrapped in a valid envelope.
 * fuzz_dispatch must first hit a method name byte by byte; here each
 * input reaches its method's unpacking, checks and handler at once.
 *
 * Inputs: byte 0 picks the method (byte % n_methods) and the caller
 * ((byte / n_methods) % 4); bytes 1.. are the payload. The seeds in
 * tests/fuzz/corpus/fuzz_request/ come from tests/fuzz/seeds.py, which
 * orders the methods of proto/'s services the same way: regenerate them
 * when a method is added.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.pb-c.h"
#include "artifacts.pb-c.h"
#include "audit.pb-c.h"
#include "auth.pb-c.h"
#include "envelope.pb-c.h"
#include "fuzzsvc.h"
#include "lineage.pb-c.h"
#include "registry.pb-c.h"
#include "scrub.pb-c.h"
#include "watch.pb-c.h"

/* Enough for every method we serve; LLVMFuzzerInitialize checks. */
#define MAX_METHODS 128

static const svc_method *g_methods[MAX_METHODS];
static size_t g_n_methods;
static svc_worker *g_worker;

/*
 * Who calls, by token: two admins (a version's registrant may not review
 * it, so approvals need the second), a reader of fuzz-* models (refused
 * every write), and nobody (refused everything): the dispatcher's checks
 * are fuzzed with the handlers behind them. Made in LLVMFuzzerInitialize.
 */
#define CALLERS 4
static const char *g_tokens[CALLERS];

static void
add_table(const svc_method *table, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (g_n_methods == MAX_METHODS)
			abort();
		g_methods[g_n_methods++] = &table[i];
	}
}

static int
by_name(const void *a, const void *b)
{
	const svc_method *const *x = a, *const *y = b;

	return strcmp((*x)->name, (*y)->name);
}

/*
 * The one place envelopes are made: the method, its payload, the caller
 * and the token. Returns the packed Request (malloc'd) and its length.
 */
static uint8_t *
envelope(const svc_method *m, const char *token, const uint8_t *payload,
    size_t len, size_t *out_len)
{
	Modelreg__V1__Request rq = MODELREG__V1__REQUEST__INIT;
	uint8_t *buf;

	rq.method = (char *)m->name;
	rq.payload.data = (uint8_t *)payload;
	rq.payload.len = len;
	rq.auth_token = (char *)token;
	*out_len = modelreg__v1__request__get_packed_size(&rq);
	if ((buf = malloc(*out_len)) == NULL)
		abort();
	modelreg__v1__request__pack(&rq, buf);
	return buf;
}

/*
 * Every method of proto/'s services must be one we enumerated, and the
 * other way round: a table added to the dispatcher but not here would
 * leave its requests unfuzzed.
 */
static void
check_against_protos(void)
{
	static const ProtobufCServiceDescriptor *const services[] = {
		&modelreg__v1__admin__descriptor,
		&modelreg__v1__artifacts__descriptor,
		&modelreg__v1__audit__descriptor,
		&modelreg__v1__auth__descriptor,
		&modelreg__v1__lineage__descriptor,
		&modelreg__v1__registry__descriptor,
		&modelreg__v1__scrub__descriptor,
		&modelreg__v1__watch__descriptor,
	};
	size_t n = 0;

	for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++)
		for (unsigned j = 0; j < services[i]->n_methods; j++) {
			char name[256];
			size_t k = 0;

			snprintf(name, sizeof(name), "/%s/%s", services[i]->name,
			    services[i]->methods[j].name);
			while (k < g_n_methods &&
			    strcmp(g_methods[k]->name, name) != 0)
				k++;
			if (k == g_n_methods) {
				fprintf(stderr, "fuzz_request: %s is not among "
				    "the methods enumerated\n", name);
				abort();
			}
			n++;
		}
	if (n != g_n_methods) {
		fprintf(stderr, "fuzz_request: %zu methods enumerated, %zu in "
		    "proto/\n", g_n_methods, n);
		abort();
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	add_table(svc_registry_methods, svc_registry_method_count);
	add_table(svc_artifact_methods, svc_artifact_method_count);
	add_table(svc_lineage_methods, svc_lineage_method_count);
	add_table(svc_audit_methods, svc_audit_method_count);
	add_table(svc_lifecycle_methods, svc_lifecycle_method_count);
	add_table(svc_search_methods, svc_search_method_count);
	add_table(svc_watch_methods, svc_watch_method_count);
	add_table(svc_scrub_methods, svc_scrub_method_count);
	add_table(svc_admin_methods, svc_admin_method_count);
	add_table(svc_auth_methods, svc_auth_method_count);
	qsort(g_methods, g_n_methods, sizeof(g_methods[0]), by_name);
	check_against_protos();
	/* One byte picks the method and the caller. */
	if (CALLERS * g_n_methods > 256)
		abort();
	g_worker = fuzz_worker("request");
	g_tokens[0] = fuzz_token("fuzz", MODELREG__V1__ROLE__ROLE_ADMIN, "*");
	g_tokens[1] = fuzz_token("fuzz-reviewer",
	    MODELREG__V1__ROLE__ROLE_ADMIN, "*");
	g_tokens[2] = fuzz_token("fuzz-reader",
	    MODELREG__V1__ROLE__ROLE_READER, "fuzz*");
	g_tokens[3] = "";
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const svc_method *m;
	const char *token;
	uint8_t *msg;
	size_t len;

	if (size < 1)
		return 0;
	m = g_methods[data[0] % g_n_methods];
	token = g_tokens[(data[0] / g_n_methods) % CALLERS];
	msg = envelope(m, token, data + 1, size - 1, &len);
	fuzz_dispatch(g_worker, msg, len);
	free(msg);
	return 0;
}
