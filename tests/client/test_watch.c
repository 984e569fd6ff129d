/*
 * test_watch.c - mr_watch against the real server in-process: it returns
 * every revision once and in order, of every model or of one; when the
 * subscriber's receive queue is one message long and it does not read
 * while many events are published (PUB/SUB drops them), it still returns
 * every one, filling the gap from the event log; across a restart of the
 * server on the same store it skips nothing; a registry restored from an
 * older backup is reported, not silently followed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/supplemental/util/platform.h>

#include "realserver.h"
#include "testutil.h"
#include "watch.h"

static int
setup(void **state)
{
	/* Whole events on the feed, as with modelregd --anonymous-read;
	 * test_watch_with_tokens_reads_events_from_the_log has the other. */
	return rs_fixture_setup_open(state, "watch");
}

static int
teardown(void **state)
{
	return rs_fixture_teardown(state);
}

static void
register_plain(rs_fixture *f, const char *name, const char *version)
{
	static uint64_t seed = 1;
	char *path = rs_path(f->s.dir, "w.bin");
	mr_register_params p = {
		.name = name,
		.version = version,
		.path = path,
	};

	rs_write_random(path, 3000, seed++, 0644);
	if (mr_register(f->c, &p, NULL) != MR_OK)
		fail_msg("register %s %s: %s", name, version,
		    mr_client_errmsg(f->c));
	free(path);
}

/*
 * Events `from` .. from + n - 1 of a series on `name`: even ones set
 * alias "a<i/2>" to 1.0.0, odd ones delete it (a model has at most 64
 * aliases). One event each.
 */
static void
alias_events(rs_fixture *f, const char *name, int from, int n)
{
	char alias[32];

	for (int i = from; i < from + n; i++) {
		mr_status rv;

		snprintf(alias, sizeof(alias), "a%d", i / 2);
		rv = i % 2 == 0
		    ? mr_set_alias(f->c, name, alias, "1.0.0", "test", NULL)
		    : mr_delete_alias(f->c, name, alias, "test", NULL);
		if (rv != MR_OK)
			fail_msg("alias %s: %s", alias,
			    mr_client_errmsg(f->c));
	}
}

/* Reads events until revision `to`, each the one after the last. */
static void
expect_consecutive(mr_watch *w, mr_client *c, uint64_t from, uint64_t to)
{
	for (uint64_t want = from; want <= to; want++) {
		mr_event *ev = NULL;
		mr_status rv = mr_watch_next(w, 10000, &ev);

		if (rv != MR_OK)
			fail_msg("waiting for revision %llu: %s: %s",
			    (unsigned long long)want, mr_strerror(rv),
			    mr_client_errmsg(c));
		assert_int_equal(ev->revision, want);
		mr_event_free(ev);
	}
}

static void
test_watch_returns_every_revision_in_order(void **state)
{
	rs_fixture *f = *state;
	mr_watch *all, *one;
	mr_event_list *l;
	mr_event *ev;
	watch_stats st;
	uint64_t r0, prev = 0;
	size_t n_m = 0;

	register_plain(f, "m", "1.0.0");
	register_plain(f, "n", "1.0.0");
	r0 = mr_client_revision(f->c);
	assert_int_equal(mr_watch_open(f->c, NULL, 0, &all), MR_OK);
	assert_int_equal(mr_watch_open(f->c, "m", 0, &one), MR_OK);
	/* What was there before: from the log. */
	expect_consecutive(all, f->c, 1, r0);
	nng_msleep(200); /* the SUB sockets connect */
	for (int i = 0; i < 10; i++) {
		alias_events(f, "m", i, 1);
		alias_events(f, "n", i, 1);
	}
	expect_consecutive(all, f->c, r0 + 1, mr_client_revision(f->c));
	assert_int_equal(mr_watch_next(all, 50, &ev), MR_DEADLINE_EXCEEDED);
	watch_get_stats(all, &st);
	assert_true(st.from_feed > 0);

	/* One model: exactly its events, by revision. */
	while (mr_watch_next(one, 1500, &ev) == MR_OK) {
		assert_string_equal(ev->model, "m");
		assert_true(ev->revision > prev);
		prev = ev->revision;
		n_m++;
		mr_event_free(ev);
	}
	assert_int_equal(mr_list_events(f->c, "m", 0, 1000, &l), MR_OK);
	assert_int_equal(n_m, l->count);
	assert_int_equal(prev, l->items[l->count - 1].revision);
	mr_event_list_free(l);
	mr_watch_close(one);
	mr_watch_close(all);
}

static void
test_watch_returns_dropped_messages_from_the_log(void **state)
{
	enum { EVENTS = 300 };
	rs_fixture *f = *state;
	mr_watch *w, *one;
	watch_stats st;
	uint64_t r0;

	register_plain(f, "m", "1.0.0");
	r0 = mr_client_revision(f->c);
	assert_int_equal(mr_watch_open(f->c, NULL, r0, &w), MR_OK);
	assert_int_equal(mr_watch_open(f->c, "m", r0, &one), MR_OK);
	assert_int_equal(watch_set_recv_buffer(w, 1), MR_OK);
	assert_int_equal(watch_set_recv_buffer(one, 1), MR_OK);
	nng_msleep(200);
	/* Published while nobody reads: all but a few are dropped. */
	alias_events(f, "m", 0, EVENTS);
	nng_msleep(200);
	expect_consecutive(w, f->c, r0 + 1, r0 + EVENTS);
	expect_consecutive(one, f->c, r0 + 1, r0 + EVENTS);
	watch_get_stats(w, &st);
	assert_true(st.from_log > 0);
	assert_true(st.from_log + st.from_feed == EVENTS);
	watch_get_stats(one, &st);
	assert_true(st.from_log > 0);
	mr_watch_close(one);
	mr_watch_close(w);
}

static void
test_watch_skips_nothing_across_a_server_restart(void **state)
{
	rs_fixture *f = *state;
	mr_watch *w, *one;
	uint64_t r0, r1;

	register_plain(f, "m", "1.0.0");
	register_plain(f, "n", "1.0.0");
	r0 = mr_client_revision(f->c);
	assert_int_equal(mr_watch_open(f->c, NULL, r0, &w), MR_OK);
	assert_int_equal(mr_watch_open(f->c, "m", r0, &one), MR_OK);
	nng_msleep(200);
	alias_events(f, "m", 0, 5);
	expect_consecutive(w, f->c, r0 + 1, r0 + 5);
	expect_consecutive(one, f->c, r0 + 1, r0 + 5);

	rs_restart(&f->s);
	/* At once, before the SUB sockets are back: these are published to
	 * nobody, and the watch must find them in the log. */
	alias_events(f, "m", 5, 5);
	alias_events(f, "n", 0, 3);
	alias_events(f, "m", 10, 2);
	r1 = mr_client_revision(f->c);
	assert_int_equal(r1, r0 + 15);
	expect_consecutive(w, f->c, r0 + 6, r1);
	expect_consecutive(one, f->c, r0 + 6, r0 + 10);
	expect_consecutive(one, f->c, r0 + 14, r0 + 15);

	/* And the feed works again once they are. */
	nng_msleep(1200);
	alias_events(f, "m", 12, 3);
	expect_consecutive(w, f->c, r1 + 1, r1 + 3);
	expect_consecutive(one, f->c, r1 + 1, r1 + 3);
	mr_watch_close(one);
	mr_watch_close(w);
}

static void
test_watch_reports_a_registry_restored_from_an_older_backup(void **state)
{
	rs_fixture *f = *state;
	mr_watch *w;
	mr_event *ev;
	uint64_t r0;
	mr_status rv;

	register_plain(f, "m", "1.0.0");
	r0 = mr_client_revision(f->c);
	assert_int_equal(mr_watch_open(f->c, NULL, r0 + 1, &w),
	    MR_FAILED_PRECONDITION);
	assert_int_equal(mr_watch_open(f->c, NULL, r0, &w), MR_OK);
	rs_replace_store(&f->s);
	/* The empty store's heartbeat (revision 0) is behind the watch:
	 * the catch-up it starts is refused. */
	rv = mr_watch_next(w, 5000, &ev);
	assert_int_equal(rv, MR_FAILED_PRECONDITION);
	assert_non_null(strstr(mr_client_errmsg(f->c), "backup"));
	mr_watch_close(w);
}

static void
test_watch_bad_arguments_are_refused(void **state)
{
	rs_fixture *f = *state;
	mr_watch *w = NULL;

	assert_int_equal(mr_watch_open(f->c, "-bad", 0, &w),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(mr_watch_open(f->c, NULL, 0, NULL),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(mr_watch_open(NULL, NULL, 0, &w),
	    MR_INVALID_ARGUMENT);
	assert_null(w);
	assert_int_equal(mr_watch_next(NULL, 0, NULL), MR_INVALID_ARGUMENT);
	mr_watch_close(NULL);
	mr_event_free(NULL);
}

static int
setup_tokens(void **state)
{
	return rs_fixture_setup(state, "watch-tokens");
}

/*
 * Where reads need a token the feed carries revisions only (anyone can
 * subscribe to it): every event still arrives, in order, read from the
 * log with the watcher's token, and none of them came over the feed.
 */
static void
test_watch_with_tokens_reads_events_from_the_log(void **state)
{
	rs_fixture *f = *state;
	mr_watch *all, *one;
	watch_stats st;
	uint64_t r0;

	register_plain(f, "m", "1.0.0");
	register_plain(f, "n", "1.0.0");
	r0 = mr_client_revision(f->c);
	assert_int_equal(mr_watch_open(f->c, NULL, r0, &all), MR_OK);
	assert_int_equal(mr_watch_open(f->c, "m", r0, &one), MR_OK);
	nng_msleep(200); /* the SUB sockets connect */
	alias_events(f, "m", 0, 10);
	alias_events(f, "n", 0, 10);
	expect_consecutive(all, f->c, r0 + 1, r0 + 20);
	expect_consecutive(one, f->c, r0 + 1, r0 + 10);
	watch_get_stats(all, &st);
	assert_int_equal(st.from_feed, 0);
	assert_int_equal(st.from_log, 20);
	assert_true(st.heartbeats > 0);
	mr_watch_close(one);
	mr_watch_close(all);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_watch_returns_every_revision_in_order),
		T(test_watch_returns_dropped_messages_from_the_log),
		T(test_watch_skips_nothing_across_a_server_restart),
		T(test_watch_reports_a_registry_restored_from_an_older_backup),
		T(test_watch_bad_arguments_are_refused),
		cmocka_unit_test_setup_teardown(
		    test_watch_with_tokens_reads_events_from_the_log,
		    setup_tokens, teardown),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
