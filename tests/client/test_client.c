/*
 * test_client.c - the handle and the unary calls of the public API
 * (client/client.c), against the real registry (realserver.c): results as
 * the server stores them, refusals in the server's own words, the
 * revision of the last change, reconnecting after a restart, and a
 * mutation whose reply is lost being applied once when the REQ socket
 * sends it again (a tap in the middle loses the reply and drops the
 * connection, wire.c). Two raw responders stand in where the real server
 * cannot: one counts requests, to show that bad arguments are refused
 * before any round trip, and one never answers, to show the timeout.
 */
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "realserver.h"
#include "rpc.h"
#include "testutil.h"
#include "wire.h"

typedef rs_fixture fixture;

static int
setup(void **state)
{
	return rs_fixture_setup(state, "client");
}

/* Registers name@version with a small artifact of its own. */
static void
register_version(fixture *f, mr_client *c, const char *name,
    const char *version, const mr_kv *model_tags, size_t n_model_tags)
{
	char *path = rs_path(f->s.dir, "w.bin");
	mr_register_params p = {
	    .name = name,
	    .version = version,
	    .path = path,
	    .model_owner = "risk-team",
	    .model_tags = model_tags,
	    .n_model_tags = n_model_tags,
	};

	rs_write_random(path, 5000, 7, 0644);
	if (mr_register(c, &p, NULL) != MR_OK)
		fail_msg(
		    "register %s %s: %s", name, version, mr_client_errmsg(c));
	free(path);
}

/* How many events of `kind` the registry holds for `name`; the revision
 * of the last one in *rev. */
static int
count_events(mr_client *c, const char *name, mr_event_kind kind, uint64_t *rev)
{
	mr_event_list *l;
	int n = 0;

	assert_int_equal(mr_list_events(c, name, 0, 0, &l), MR_OK);
	for (size_t i = 0; i < l->count; i++) {
		if (l->items[i].kind != kind)
			continue;
		n++;
		if (rev != NULL)
			*rev = l->items[i].revision;
	}
	mr_event_list_free(l);
	return n;
}

/* ---- no registry needed
 * ------------------------------------------------------ */

static void *
open_elsewhere(void *arg)
{
	mr_client *c = NULL;

	(void)arg;
	mr_client_open(&c, "nonsense://elsewhere", NULL);
	return NULL;
}

static void
test_client_open_failure_is_explained_per_thread(void **state)
{
	mr_client *c = NULL;
	pthread_t t;

	(void)state;
	assert_int_equal(mr_client_open(&c, "ipc:///nonexistent/x.sock", NULL),
	    MR_UNAVAILABLE);
	assert_null(c);
	assert_non_null(
	    strstr(mr_client_errmsg(NULL), "ipc:///nonexistent/x.sock"));
	/* Another thread's failure does not overwrite ours. */
	assert_int_equal(pthread_create(&t, NULL, open_elsewhere, NULL), 0);
	pthread_join(t, NULL);
	assert_non_null(strstr(mr_client_errmsg(NULL), "x.sock"));
	assert_int_equal(mr_client_open(&c, NULL, NULL), MR_INVALID_ARGUMENT);
	assert_int_equal(
	    mr_client_open(NULL, "inproc://x", NULL), MR_INVALID_ARGUMENT);
}

static void
test_client_open_refuses_bad_options(void **state)
{
	mr_client_options o = {.timeout_ms = -1};
	mr_client *c = NULL;

	(void)state;
	assert_int_equal(
	    mr_client_open(&c, "inproc://x", &o), MR_INVALID_ARGUMENT);
	o.timeout_ms = 0;
	o.window = 1000;
	assert_int_equal(
	    mr_client_open(&c, "inproc://x", &o), MR_INVALID_ARGUMENT);
	o.window = 0;
	o.token = "bad\ntoken";
	assert_int_equal(
	    mr_client_open(&c, "inproc://x", &o), MR_INVALID_ARGUMENT);
	assert_non_null(strstr(mr_client_errmsg(NULL), "token"));
	assert_null(c);
}

static void
test_client_names_and_texts_of_enums(void **state)
{
	mr_stage s;

	(void)state;
	assert_string_equal(
	    mr_strerror(MR_FAILED_PRECONDITION), "FAILED_PRECONDITION");
	assert_string_equal(mr_strerror((mr_status)77), "UNKNOWN");
	assert_int_equal(mr_stage_parse("Prod", &s), 0);
	assert_int_equal(s, MR_STAGE_PRODUCTION);
	assert_int_equal(mr_stage_parse("qa", &s), -1);
	assert_string_equal(mr_stage_name(MR_STAGE_NONE), "");
	assert_string_equal(mr_event_kind_name(MR_EVENT_ROLLBACK), "rollback");
	assert_non_null(mr_client_transfer_stats(NULL));
}

static void
test_client_bad_arguments_are_refused_without_a_round_trip(void **state)
{
	mr_list_params lp = {.tag = "bad key=v"};
	mr_list_params stage = {.stage = (mr_stage)9};
	char reason[MR_REASON_MAX + 2];
	atomic_int calls = 0;
	mr_version_list *vl;
	mr_event_list *el;
	wr_responder *rsp;
	mr_version *v;
	mr_model *m;
	mr_client *c;
	char url[64];

	(void)state;
	wr_url(url, "count");
	rsp = wr_responder_start(url, wr_count_calls, &calls);
	c = rs_client(url, "alice", 30000, 0);
	memset(reason, 'r', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	assert_int_equal(mr_get_model(c, "-bad", &m), MR_INVALID_ARGUMENT);
	assert_non_null(strstr(mr_client_errmsg(c), "model name"));
	assert_int_equal(mr_get_model(c, "fraud", NULL), MR_INVALID_ARGUMENT);
	assert_int_equal(mr_get_version(c, "fraud", "3.1", MR_STAGE_NONE, &v),
	    MR_INVALID_ARGUMENT);
	assert_non_null(strstr(mr_client_errmsg(c), "semantic version"));
	assert_int_equal(
	    mr_list_versions(c, "fraud", &lp, &vl), MR_INVALID_ARGUMENT);
	assert_int_equal(
	    mr_list_versions(c, "fraud", &stage, &vl), MR_INVALID_ARGUMENT);
	assert_int_equal(mr_promote(c, "fraud", "1.0.0", MR_STAGE_NONE,
	                     MR_STAGE_NONE, NULL, NULL),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(mr_promote(c, "fraud", NULL, MR_STAGE_STAGING,
	                     MR_STAGE_NONE, NULL, NULL),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(mr_promote(c, "fraud", "1.0.0", MR_STAGE_STAGING,
	                     MR_STAGE_NONE, reason, NULL),
	    MR_INVALID_ARGUMENT);
	assert_non_null(strstr(mr_client_errmsg(c), "reason"));
	assert_int_equal(
	    mr_rollback(c, "fraud", NULL, "", NULL), MR_INVALID_ARGUMENT);
	assert_non_null(strstr(mr_client_errmsg(c), "needs a reason"));
	assert_int_equal(
	    mr_rollback(c, "fraud", "x.y", "why", NULL), MR_INVALID_ARGUMENT);
	assert_int_equal(
	    mr_list_events(c, "bad name", 0, 0, &el), MR_INVALID_ARGUMENT);
	assert_int_equal(mr_get_model(NULL, "fraud", &m), MR_INVALID_ARGUMENT);
	mr_client_close(c);
	wr_responder_stop(rsp);
	assert_int_equal(atomic_load(&calls), 0);
}

/* Keeps every request and never answers. */
typedef struct silent {
	nng_msg *held[4];
	atomic_int n;
} silent;

static void
never_answer(void *arg, wr_responder *r, nng_msg *req)
{
	silent *x = arg;
	int i = atomic_fetch_add(&x->n, 1);

	(void)r;
	if (i < 4)
		x->held[i] = req;
	else
		nng_msg_free(req);
}

static void
test_client_call_nobody_answers_is_deadline_exceeded_naming_the_timeout(
    void **state)
{
	silent x = {.n = 0};
	wr_responder *rsp;
	mr_model *m = NULL;
	mr_client *c;
	char url[64];

	(void)state;
	wr_url(url, "silent");
	rsp = wr_responder_start(url, never_answer, &x);
	c = rs_client(url, "alice", 300, 0);
	assert_int_equal(mr_get_model(c, "fraud", &m), MR_DEADLINE_EXCEEDED);
	assert_null(m);
	assert_non_null(strstr(mr_client_errmsg(c), "no answer"));
	assert_non_null(strstr(mr_client_errmsg(c), "300 ms"));
	assert_non_null(strstr(mr_client_errmsg(c), url));
	assert_int_equal(mr_promote(c, "fraud", "1.0.0", MR_STAGE_STAGING,
	                     MR_STAGE_NONE, NULL, NULL),
	    MR_DEADLINE_EXCEEDED);
	mr_client_close(c);
	wr_responder_stop(rsp);
	assert_int_equal(atomic_load(&x.n), 2);
	for (int i = 0; i < 2; i++)
		nng_msg_free(x.held[i]);
}

/* ---- the real registry
 * --------------------------------------------------------- */

static void
test_client_errmsg_is_empty_after_a_success(void **state)
{
	fixture *f = *state;
	mr_model *m;

	register_version(f, f->c, "fraud", "1.0.0", NULL, 0);
	assert_int_equal(mr_get_model(f->c, "-bad", &m), MR_INVALID_ARGUMENT);
	assert_string_not_equal(mr_client_errmsg(f->c), "");
	assert_int_equal(mr_get_model(f->c, "fraud", &m), MR_OK);
	assert_string_equal(mr_client_errmsg(f->c), "");
	mr_model_free(m);
}

static void
test_client_get_model_returns_what_registration_stored(void **state)
{
	fixture *f = *state;
	mr_kv tags[] = {{"zeta", "1"}, {"alpha", "2"}};
	mr_model *m;

	register_version(f, f->c, "fraud", "1.0.0", tags, 2);
	register_version(f, f->c, "fraud", "1.10.0", NULL, 0);
	register_version(f, f->c, "fraud", "1.9.0", NULL, 0);
	assert_int_equal(mr_get_model(f->c, "fraud", &m), MR_OK);
	assert_string_equal(m->name, "fraud");
	assert_string_equal(m->owner, "risk-team");
	assert_int_equal(m->n_tags, 2);
	assert_string_equal(m->tags[0].key, "alpha");
	assert_string_equal(m->tags[0].value, "2");
	assert_string_equal(m->tags[1].key, "zeta");
	assert_int_equal(m->version_count, 3);
	assert_string_equal(m->latest_version, "1.10.0"); /* by precedence */
	assert_string_equal(m->production_version, "");
	assert_string_equal(m->rollback_target, "");
	assert_true(m->created_at_ms > 0);
	mr_model_free(m);
}

static void
test_client_get_of_an_unknown_model_is_not_found_in_the_servers_words(
    void **state)
{
	fixture *f = *state;
	mr_version *v = NULL;
	mr_model *m = NULL;

	assert_int_equal(mr_get_model(f->c, "nope", &m), MR_NOT_FOUND);
	assert_null(m);
	assert_string_equal(
	    mr_client_errmsg(f->c), "model \"nope\" does not exist");
	register_version(f, f->c, "fraud", "1.0.0", NULL, 0);
	assert_int_equal(
	    mr_get_version(f->c, "fraud", "2.0.0", MR_STAGE_NONE, &v),
	    MR_NOT_FOUND);
	assert_null(v);
	assert_non_null(strstr(mr_client_errmsg(f->c), "2.0.0"));
}

static void
test_client_promote_normalizes_the_version_and_records_the_revision(
    void **state)
{
	fixture *f = *state;
	uint64_t rev = 0;
	mr_version *v;

	register_version(f, f->c, "fraud", "1.2.0", NULL, 0);
	assert_int_equal(mr_promote(f->c, "fraud", "v1.2.0", MR_STAGE_STAGING,
	                     MR_STAGE_DEV, "tests pass", &v),
	    MR_OK);
	assert_string_equal(v->version, "1.2.0");
	assert_int_equal(v->stage, MR_STAGE_STAGING);
	mr_version_free(v);
	assert_int_equal(
	    count_events(f->c, "fraud", MR_EVENT_STAGE_CHANGED, &rev), 1);
	assert_int_equal(mr_client_revision(f->c), rev);
	/* `out` may be NULL. */
	assert_int_equal(mr_promote(f->c, "fraud", "1.2.0", MR_STAGE_PRODUCTION,
	                     MR_STAGE_NONE, NULL, NULL),
	    MR_OK);
	assert_int_equal(
	    count_events(f->c, "fraud", MR_EVENT_STAGE_CHANGED, &rev), 2);
	assert_int_equal(mr_client_revision(f->c), rev);
	assert_int_equal(
	    mr_get_version(f->c, "fraud", NULL, MR_STAGE_PRODUCTION, &v),
	    MR_OK);
	assert_string_equal(v->version, "1.2.0");
	mr_version_free(v);
}

static void
test_client_refused_promotion_reaches_errmsg_and_changes_nothing(void **state)
{
	fixture *f = *state;
	mr_version *v = NULL;
	uint64_t before;

	register_version(f, f->c, "fraud", "3.1.0", NULL, 0);
	before = mr_client_revision(f->c);
	assert_int_equal(mr_promote(f->c, "fraud", "3.1.0", MR_STAGE_PRODUCTION,
	                     MR_STAGE_NONE, NULL, &v),
	    MR_FAILED_PRECONDITION);
	assert_null(v);
	assert_non_null(strstr(mr_client_errmsg(f->c), "is in dev"));
	assert_int_equal(mr_client_revision(f->c), before);
	/* Check-and-set: a version is not where the caller expects it. */
	assert_int_equal(mr_promote(f->c, "fraud", "3.1.0", MR_STAGE_STAGING,
	                     MR_STAGE_STAGING, NULL, NULL),
	    MR_FAILED_PRECONDITION);
	assert_non_null(strstr(mr_client_errmsg(f->c), "someone changed it"));
	assert_int_equal(
	    count_events(f->c, "fraud", MR_EVENT_STAGE_CHANGED, NULL), 0);
}

static void
test_client_rollback_returns_production_to_the_version_it_replaced(void **state)
{
	fixture *f = *state;
	mr_version *v;
	mr_model *m;

	register_version(f, f->c, "fraud", "1.0.0", NULL, 0);
	register_version(f, f->c, "fraud", "2.0.0", NULL, 0);
	for (int i = 0; i < 2; i++) {
		const char *ver = i == 0 ? "1.0.0" : "2.0.0";
		assert_int_equal(
		    mr_promote(f->c, "fraud", ver, MR_STAGE_STAGING,
		        MR_STAGE_NONE, "ok", NULL),
		    MR_OK);
		assert_int_equal(
		    mr_promote(f->c, "fraud", ver, MR_STAGE_PRODUCTION,
		        MR_STAGE_NONE, "ok", NULL),
		    MR_OK);
	}
	assert_int_equal(
	    mr_rollback(f->c, "fraud", NULL, "p99 doubled", &v), MR_OK);
	assert_string_equal(v->version, "1.0.0");
	assert_int_equal(v->stage, MR_STAGE_PRODUCTION);
	mr_version_free(v);
	assert_int_equal(mr_get_model(f->c, "fraud", &m), MR_OK);
	assert_string_equal(m->production_version, "1.0.0");
	mr_model_free(m);
	assert_int_equal(
	    count_events(f->c, "fraud", MR_EVENT_ROLLBACK, NULL), 1);
	/* Nothing earlier to go back to. */
	assert_int_equal(mr_rollback(f->c, "fraud", NULL, "again", NULL),
	    MR_FAILED_PRECONDITION);
}

static void
test_client_lists_page_through_models_and_versions(void **state)
{
	fixture *f = *state;
	mr_list_params lp = {.page_size = 2};
	mr_version_list *vl;
	mr_model_list *ml;
	char *token;

	register_version(f, f->c, "c-model", "1.0.0", NULL, 0);
	register_version(f, f->c, "a-model", "1.0.0", NULL, 0);
	register_version(f, f->c, "b-model", "1.0.0", NULL, 0);
	register_version(f, f->c, "b-model", "0.9.0", NULL, 0);
	assert_int_equal(mr_list_models(f->c, &lp, &ml), MR_OK);
	assert_int_equal(ml->count, 2);
	assert_string_equal(ml->items[0].name, "a-model");
	assert_string_equal(ml->items[1].name, "b-model");
	assert_int_equal(ml->items[1].version_count, 2);
	assert_string_not_equal(ml->next_page_token, "");
	token = strdup(ml->next_page_token);
	mr_model_list_free(ml);
	lp.page_token = token;
	assert_int_equal(mr_list_models(f->c, &lp, &ml), MR_OK);
	assert_int_equal(ml->count, 1);
	assert_string_equal(ml->items[0].name, "c-model");
	assert_string_equal(ml->next_page_token, "");
	mr_model_list_free(ml);
	free(token);

	lp = (mr_list_params){.descending = true};
	assert_int_equal(mr_list_versions(f->c, "b-model", &lp, &vl), MR_OK);
	assert_int_equal(vl->count, 2);
	assert_string_equal(vl->items[0].version, "1.0.0");
	assert_string_equal(vl->items[1].version, "0.9.0");
	assert_string_equal(vl->items[1].created_by, "alice");
	mr_version_list_free(vl);
}

static void
test_client_events_continue_after_a_revision(void **state)
{
	fixture *f = *state;
	mr_event_list *l;
	uint64_t last;

	register_version(f, f->c, "fraud", "1.0.0", NULL, 0);
	assert_int_equal(mr_list_events(f->c, NULL, 0, 1, &l), MR_OK);
	assert_int_equal(l->count, 1);
	assert_int_equal(l->items[0].kind, MR_EVENT_MODEL_CREATED);
	assert_true(l->more);
	last = l->last_revision;
	mr_event_list_free(l);
	assert_int_equal(mr_list_events(f->c, "fraud", last, 0, &l), MR_OK);
	assert_int_equal(l->count, 1);
	assert_int_equal(l->items[0].kind, MR_EVENT_VERSION_REGISTERED);
	assert_string_equal(l->items[0].version, "1.0.0");
	assert_string_equal(l->items[0].actor, "alice");
	assert_true(l->items[0].revision > last);
	assert_false(l->more);
	mr_event_list_free(l);
}

static void
test_client_reconnects_after_a_server_restart(void **state)
{
	fixture *f = *state;
	mr_model *m;

	register_version(f, f->c, "fraud", "1.0.0", NULL, 0);
	rs_restart(&f->s);
	assert_int_equal(mr_get_model(f->c, "fraud", &m), MR_OK);
	assert_string_equal(m->name, "fraud");
	assert_int_equal(m->version_count, 1);
	mr_model_free(m);
	register_version(f, f->c, "fraud", "1.1.0", NULL, 0);
}

static void
test_client_promotion_whose_reply_is_lost_is_applied_once(void **state)
{
	fixture *f = *state;
	char k0[MR_IDEMPOTENCY_KEY_MAX + 1], k1[sizeof(k0)], k2[sizeof(k0)];
	uint64_t rev = 0;
	mr_version *v;
	mr_client *c;
	wr_tap *tap;
	char url[64];

	register_version(f, f->c, "fraud", "1.0.0", NULL, 0);
	wr_url(url, "tap");
	tap = wr_tap_start(url, f->s.url);
	c = rs_client(url, "alice", 30000, 0);

	wr_tap_lose_reply(tap, "Promote");
	assert_int_equal(mr_promote(c, "fraud", "1.0.0", MR_STAGE_STAGING,
	                     MR_STAGE_DEV, "ok", &v),
	    MR_OK);
	assert_int_equal(v->stage, MR_STAGE_STAGING);
	mr_version_free(v);
	/* The server got the request twice, with the same key... */
	assert_int_equal(wr_tap_calls(tap, "Promote"), 2);
	wr_tap_key(tap, "Promote", 0, k0);
	wr_tap_key(tap, "Promote", 1, k1);
	assert_int_equal(strlen(k0), RPC_KEY_LEN);
	assert_string_equal(k0, k1);
	/* ...and changed the registry once: the check-and-set on dev would
	 * have refused a second promotion. */
	assert_int_equal(
	    count_events(f->c, "fraud", MR_EVENT_STAGE_CHANGED, &rev), 1);
	assert_int_equal(mr_client_revision(c), rev);

	/* A new call is a new request with a key of its own. */
	assert_int_equal(mr_promote(c, "fraud", "1.0.0", MR_STAGE_PRODUCTION,
	                     MR_STAGE_STAGING, "ok", NULL),
	    MR_OK);
	wr_tap_key(tap, "Promote", 2, k2);
	assert_string_not_equal(k0, k2);
	assert_int_equal(
	    count_events(f->c, "fraud", MR_EVENT_STAGE_CHANGED, &rev), 2);
	assert_int_equal(mr_client_revision(c), rev);
	mr_client_close(c);
	wr_tap_stop(tap);
}

static void
test_client_registration_whose_reply_is_lost_is_applied_once(void **state)
{
	fixture *f = *state;
	char k0[MR_IDEMPOTENCY_KEY_MAX + 1], k1[sizeof(k0)];
	uint64_t rev = 0;
	mr_model *m;
	mr_client *c;
	wr_tap *tap;
	char url[64];

	wr_url(url, "tap");
	tap = wr_tap_start(url, f->s.url);
	c = rs_client(url, "alice", 30000, 0);
	wr_tap_lose_reply(tap, "RegisterVersion");
	/* Not ALREADY_EXISTS: the retry gets the first attempt's reply. */
	register_version(f, c, "fraud", "1.0.0", NULL, 0);
	assert_int_equal(wr_tap_calls(tap, "RegisterVersion"), 2);
	wr_tap_key(tap, "RegisterVersion", 0, k0);
	wr_tap_key(tap, "RegisterVersion", 1, k1);
	assert_string_equal(k0, k1);
	assert_int_equal(mr_get_model(f->c, "fraud", &m), MR_OK);
	assert_int_equal(m->version_count, 1);
	mr_model_free(m);
	assert_int_equal(
	    count_events(f->c, "fraud", MR_EVENT_VERSION_REGISTERED, &rev), 1);
	assert_int_equal(mr_client_revision(c), rev);
	mr_client_close(c);
	wr_tap_stop(tap);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_client_open_failure_is_explained_per_thread),
	    cmocka_unit_test(test_client_open_refuses_bad_options),
	    cmocka_unit_test(test_client_names_and_texts_of_enums),
	    cmocka_unit_test(
	        test_client_bad_arguments_are_refused_without_a_round_trip),
	    cmocka_unit_test(
	        test_client_call_nobody_answers_is_deadline_exceeded_naming_the_timeout),
#define T(name)                                                                \
	cmocka_unit_test_setup_teardown(name, setup, rs_fixture_teardown)
	    T(test_client_errmsg_is_empty_after_a_success),
	    T(test_client_get_model_returns_what_registration_stored),
	    T(test_client_get_of_an_unknown_model_is_not_found_in_the_servers_words),
	    T(test_client_promote_normalizes_the_version_and_records_the_revision),
	    T(test_client_refused_promotion_reaches_errmsg_and_changes_nothing),
	    T(test_client_rollback_returns_production_to_the_version_it_replaced),
	    T(test_client_lists_page_through_models_and_versions),
	    T(test_client_events_continue_after_a_revision),
	    T(test_client_reconnects_after_a_server_restart),
	    T(test_client_promotion_whose_reply_is_lost_is_applied_once),
	    T(test_client_registration_whose_reply_is_lost_is_applied_once),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
