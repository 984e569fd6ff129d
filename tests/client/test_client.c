/*
 * test_client.c - the handle and the unary calls of the public API
 * (client/client.c): argument checks before any round trip, error
 * messages, results.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "fake_server.h"
#include "modelreg.h"
#include "ctutil.h"

typedef struct fixture {
	fake_server *srv;
	mr_client *c;
} fixture;

static int
setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	const char *url = ct_url();
	mr_client_options o = { .user = "alice", .timeout_ms = 2000 };

	f->srv = fake_start(url);
	assert_non_null(f->srv);
	assert_int_equal(mr_client_open(&f->c, url, &o), MR_OK);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fixture *f = *state;

	mr_client_close(f->c);
	fake_stop(f->srv);
	free(f);
	return 0;
}

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
	assert_int_equal(mr_client_open(&c, "ipc:///nonexistent/x.sock",
			     NULL),
	    MR_UNAVAILABLE);
	assert_null(c);
	assert_non_null(strstr(mr_client_errmsg(NULL),
	    "ipc:///nonexistent/x.sock"));
	/* Another thread's failure does not overwrite ours. */
	assert_int_equal(pthread_create(&t, NULL, open_elsewhere, NULL), 0);
	pthread_join(t, NULL);
	assert_non_null(strstr(mr_client_errmsg(NULL), "x.sock"));
	assert_int_equal(mr_client_open(&c, NULL, NULL), MR_INVALID_ARGUMENT);
	assert_int_equal(mr_client_open(NULL, "inproc://x", NULL),
	    MR_INVALID_ARGUMENT);
}

static void
test_client_open_refuses_bad_options(void **state)
{
	mr_client_options o = { .timeout_ms = -1 };
	mr_client *c = NULL;

	(void)state;
	assert_int_equal(mr_client_open(&c, "inproc://x", &o),
	    MR_INVALID_ARGUMENT);
	o.timeout_ms = 0;
	o.window = 1000;
	assert_int_equal(mr_client_open(&c, "inproc://x", &o),
	    MR_INVALID_ARGUMENT);
	o.window = 0;
	o.user = "bad\nuser";
	assert_int_equal(mr_client_open(&c, "inproc://x", &o),
	    MR_INVALID_ARGUMENT);
	assert_non_null(strstr(mr_client_errmsg(NULL), "user name"));
}

static void
test_client_bad_arguments_cost_no_round_trip(void **state)
{
	fixture *f = *state;
	mr_list_params lp = { .tag = "bad key=v" };
	mr_list_params stage = { .stage = (mr_stage)9 };
	char reason[MR_REASON_MAX + 2];
	mr_version_list *vl;
	mr_event_list *el;
	mr_version *v;
	mr_model *m;

	memset(reason, 'r', sizeof(reason) - 1);
	reason[sizeof(reason) - 1] = '\0';
	assert_int_equal(mr_get_model(f->c, "-bad", &m), MR_INVALID_ARGUMENT);
	assert_non_null(strstr(mr_client_errmsg(f->c), "model name"));
	assert_int_equal(mr_get_model(f->c, "fraud", NULL),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(mr_get_version(f->c, "fraud", "3.1", MR_STAGE_NONE,
			     &v),
	    MR_INVALID_ARGUMENT);
	assert_non_null(strstr(mr_client_errmsg(f->c), "semantic version"));
	assert_int_equal(mr_list_versions(f->c, "fraud", &lp, &vl),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(mr_list_versions(f->c, "fraud", &stage, &vl),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(mr_promote(f->c, "fraud", "1.0.0", MR_STAGE_NONE,
			     MR_STAGE_NONE, NULL, NULL),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(mr_promote(f->c, "fraud", NULL, MR_STAGE_STAGING,
			     MR_STAGE_NONE, NULL, NULL),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(mr_promote(f->c, "fraud", "1.0.0", MR_STAGE_STAGING,
			     MR_STAGE_NONE, reason, NULL),
	    MR_INVALID_ARGUMENT);
	assert_non_null(strstr(mr_client_errmsg(f->c), "reason"));
	assert_int_equal(mr_rollback(f->c, "fraud", NULL, "", NULL),
	    MR_INVALID_ARGUMENT);
	assert_non_null(strstr(mr_client_errmsg(f->c), "needs a reason"));
	assert_int_equal(mr_rollback(f->c, "fraud", "x.y", "why", NULL),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(mr_list_events(f->c, "bad name", 0, 0, &el),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(mr_get_model(NULL, "fraud", &m), MR_INVALID_ARGUMENT);
	assert_int_equal(fake_stats_of(f->srv)->requests, 0);
}

static void
test_client_errmsg_is_empty_after_a_success(void **state)
{
	fixture *f = *state;
	mr_model *m;

	assert_int_equal(mr_get_model(f->c, "-bad", &m), MR_INVALID_ARGUMENT);
	assert_string_not_equal(mr_client_errmsg(f->c), "");
	assert_int_equal(mr_get_model(f->c, "fraud", &m), MR_OK);
	assert_string_equal(mr_client_errmsg(f->c), "");
	mr_model_free(m);
}

static void
test_client_get_model_returns_tags_sorted(void **state)
{
	fixture *f = *state;
	mr_model *m;

	assert_int_equal(mr_get_model(f->c, "fraud", &m), MR_OK);
	assert_string_equal(m->name, "fraud");
	assert_string_equal(m->owner, "risk-team");
	assert_int_equal(m->n_tags, 2);
	assert_string_equal(m->tags[0].key, "alpha");
	assert_string_equal(m->tags[1].key, "zeta");
	assert_string_equal(m->production_version, "");
	mr_model_free(m);
}

static void
test_client_promote_normalizes_and_records_the_revision(void **state)
{
	fixture *f = *state;
	mr_version *v;

	assert_int_equal(mr_client_revision(f->c), 0);
	assert_int_equal(mr_promote(f->c, "fraud", "v1.2.0", MR_STAGE_STAGING,
			     MR_STAGE_DEV, "tests pass", &v),
	    MR_OK);
	assert_string_equal(v->version, "1.2.0");
	assert_int_equal(v->stage, MR_STAGE_STAGING);
	assert_int_equal(mr_client_revision(f->c),
	    fake_stats_of(f->srv)->revision);
	assert_true(mr_client_revision(f->c) > 0);
	mr_version_free(v);
	/* `out` may be NULL. */
	assert_int_equal(mr_promote(f->c, "fraud", "1.2.0",
			     MR_STAGE_PRODUCTION, MR_STAGE_NONE, NULL, NULL),
	    MR_OK);
}

static void
test_client_server_refusal_reaches_errmsg(void **state)
{
	fixture *f = *state;
	mr_version *v = NULL;

	fake_knobs_of(f->srv)->fail_code = MR_FAILED_PRECONDITION;
	fake_knobs_of(f->srv)->fail_message = "version 3.1.0 is in dev";
	assert_int_equal(mr_promote(f->c, "fraud", "3.1.0",
			     MR_STAGE_PRODUCTION, MR_STAGE_NONE, NULL, &v),
	    MR_FAILED_PRECONDITION);
	assert_null(v);
	assert_string_equal(mr_client_errmsg(f->c), "version 3.1.0 is in dev");
}

static void
test_client_names_and_texts_of_enums(void **state)
{
	mr_stage s;

	(void)state;
	assert_string_equal(mr_strerror(MR_FAILED_PRECONDITION),
	    "FAILED_PRECONDITION");
	assert_string_equal(mr_strerror((mr_status)77), "UNKNOWN");
	assert_int_equal(mr_stage_parse("Prod", &s), 0);
	assert_int_equal(s, MR_STAGE_PRODUCTION);
	assert_int_equal(mr_stage_parse("qa", &s), -1);
	assert_string_equal(mr_stage_name(MR_STAGE_NONE), "");
	assert_string_equal(mr_event_kind_name(MR_EVENT_ROLLBACK), "rollback");
	assert_non_null(mr_client_transfer_stats(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_client_open_failure_is_explained_per_thread),
		cmocka_unit_test(test_client_open_refuses_bad_options),
		cmocka_unit_test(test_client_names_and_texts_of_enums),
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_client_bad_arguments_cost_no_round_trip),
		T(test_client_errmsg_is_empty_after_a_success),
		T(test_client_get_model_returns_tags_sorted),
		T(test_client_promote_normalizes_and_records_the_revision),
		T(test_client_server_refusal_reaches_errmsg),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
