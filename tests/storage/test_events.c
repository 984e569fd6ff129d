/*
 * test_events.c - tests of storage/events.c on a real store: appending
 * assigns consecutive revisions within a transaction and across
 * transactions (an aborted one uses none up) and writes them into the event;
 * the global log returns every event in revision order with its fields, and
 * a model's history only that model's events, never those of a model whose
 * name shares a prefix ("a" vs "a.b" vs "ab"); `after` is exclusive for
 * both, and a callback can stop a scan.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storetest.h"

static store_txn *
begin(store *s)
{
	store_txn *t = NULL;
	mr_err e;

	if (store_txn_begin(s, &t, &e) != MR_OK)
		fail_msg("begin: %s", e.msg);
	return t;
}

static uint64_t
append(store_txn *t, const char *model, const char *version, int kind)
{
	mr_pb_event ev = MODELREG__V1__EVENT__INIT;
	uint64_t rev;
	mr_err e;

	ev.model = (char *)model;
	ev.version = (char *)version;
	ev.kind = (Modelreg__V1__EventKind)kind;
	ev.time_ms = 1705312800000LL;
	ev.actor = (char *)"alice";
	ev.from_stage = MODELREG__V1__STAGE__STAGE_STAGING;
	ev.to_stage = MODELREG__V1__STAGE__STAGE_PRODUCTION;
	ev.reason = (char *)"weekly release";
	mr_err_clear(&e);
	rev = store_txn_append_event(t, &ev, &e);
	/* The revision is written into the event as well. */
	assert_int_equal(ev.revision, rev);
	return rev;
}

#define SEEN_MAX 64

struct seen {
	uint64_t rev[SEEN_MAX];
	char model[SEEN_MAX][MR_NAME_MAX + 1];
	size_t n;
	size_t stop_at;
};

static int
see(void *arg, mr_pb_event *ev)
{
	struct seen *s = arg;

	if (s->n < SEEN_MAX) {
		s->rev[s->n] = ev->revision;
		snprintf(s->model[s->n], sizeof(s->model[0]), "%s", ev->model);
	}
	s->n++;
	protobuf_c_message_free_unpacked(&ev->base, NULL);
	return s->stop_at != 0 && s->n >= s->stop_at;
}

static struct seen
scan(store *st, const char *name, uint64_t after)
{
	struct seen s;
	mr_err e;

	memset(&s, 0, sizeof(s));
	mr_err_clear(&e);
	if (store_scan_events(st, name, after, see, &s, &e) != MR_OK)
		fail_msg("scan: %s", e.msg);
	return s;
}

static void
assert_revs(const struct seen *s, const uint64_t *want, size_t n)
{
	if (s->n != n)
		fail_msg("saw %zu events, want %zu", s->n, n);
	for (size_t i = 0; i < n; i++)
		if (s->rev[i] != want[i])
			fail_msg("event %zu has revision %llu, want %llu", i,
			    (unsigned long long)s->rev[i],
			    (unsigned long long)want[i]);
}

#define ASSERT_REVS(s, ...)                                                    \
	do {                                                                   \
		const uint64_t w_[] = {__VA_ARGS__};                           \
		assert_revs((s), w_, sizeof(w_) / sizeof(w_[0]));              \
	} while (0)

enum {
	CREATED = MODELREG__V1__EVENT_KIND__EVENT_MODEL_CREATED,
	REGISTERED = MODELREG__V1__EVENT_KIND__EVENT_VERSION_REGISTERED,
	CHANGED = MODELREG__V1__EVENT_KIND__EVENT_STAGE_CHANGED
};

static void
test_append_assigns_consecutive_revisions_within_a_transaction(void **state)
{
	st_fix *f = *state;
	store_txn *t = begin(f->s);

	assert_int_equal(store_txn_revision(t), 0);
	assert_int_equal(append(t, "m", "", CREATED), 1);
	assert_int_equal(append(t, "m", "1.0.0", REGISTERED), 2);
	assert_int_equal(append(t, "n", "", CREATED), 3);
	assert_int_equal(store_txn_revision(t), 3);
	st_commit(t);
	assert_int_equal(store_revision(f->s), 3);
}

static void
test_revisions_continue_across_transactions_and_skip_none_on_abort(void **state)
{
	st_fix *f = *state;
	store_txn *t = begin(f->s);
	struct seen s;

	append(t, "m", "", CREATED);
	append(t, "m", "1.0.0", REGISTERED);
	st_commit(t);
	t = begin(f->s);
	assert_int_equal(append(t, "m", "1.1.0", REGISTERED), 3);
	store_txn_abort(t);
	t = begin(f->s);
	assert_int_equal(append(t, "m", "1.1.0", REGISTERED), 3);
	assert_int_equal(append(t, "m", "1.1.0", CHANGED), 4);
	st_commit(t);
	st_reopen(f);
	t = begin(f->s);
	assert_int_equal(append(t, "m", "1.2.0", REGISTERED), 5);
	st_commit(t);

	s = scan(f->s, NULL, 0);
	ASSERT_REVS(&s, 1, 2, 3, 4, 5);
}

static void
test_scan_all_returns_every_model_in_revision_order(void **state)
{
	st_fix *f = *state;
	store_txn *t = begin(f->s);
	struct seen s;

	append(t, "b", "", CREATED);
	append(t, "a", "", CREATED);
	append(t, "b", "2.0.0", REGISTERED);
	st_commit(t);
	t = begin(f->s);
	append(t, "a", "1.0.0", REGISTERED);
	st_commit(t);
	s = scan(f->s, NULL, 0);
	ASSERT_REVS(&s, 1, 2, 3, 4);
	assert_string_equal(s.model[0], "b");
	assert_string_equal(s.model[1], "a");
	assert_string_equal(s.model[2], "b");
	assert_string_equal(s.model[3], "a");
}

static int
keep_last(void *arg, mr_pb_event *ev)
{
	mr_pb_event **out = arg;

	if (*out != NULL)
		protobuf_c_message_free_unpacked(&(*out)->base, NULL);
	*out = ev;
	return 0;
}

static void
test_event_fields_round_trip(void **state)
{
	st_fix *f = *state;
	store_txn *t = begin(f->s);
	mr_pb_event *got = NULL;
	mr_err e;

	append(t, "m", "3.1.0", CHANGED);
	st_commit(t);
	assert_int_equal(
	    store_scan_events(f->s, "m", 0, keep_last, &got, &e), MR_OK);
	assert_non_null(got);
	assert_int_equal(got->revision, 1);
	assert_int_equal(got->kind, CHANGED);
	assert_string_equal(got->model, "m");
	assert_string_equal(got->version, "3.1.0");
	assert_int_equal(got->time_ms, 1705312800000LL);
	assert_string_equal(got->actor, "alice");
	assert_int_equal(got->from_stage, MODELREG__V1__STAGE__STAGE_STAGING);
	assert_int_equal(got->to_stage, MODELREG__V1__STAGE__STAGE_PRODUCTION);
	assert_string_equal(got->reason, "weekly release");
	protobuf_c_message_free_unpacked(&got->base, NULL);
}

static void
test_after_is_exclusive(void **state)
{
	st_fix *f = *state;
	store_txn *t = begin(f->s);
	struct seen s;

	for (int i = 0; i < 5; i++)
		append(t, i % 2 == 0 ? "m" : "n", "", CREATED);
	st_commit(t);
	s = scan(f->s, NULL, 2);
	ASSERT_REVS(&s, 3, 4, 5);
	s = scan(f->s, NULL, 4);
	ASSERT_REVS(&s, 5);
	s = scan(f->s, NULL, 5);
	assert_int_equal(s.n, 0);
	s = scan(f->s, NULL, 1000);
	assert_int_equal(s.n, 0);
	s = scan(f->s, NULL, UINT64_MAX);
	assert_int_equal(s.n, 0);
	s = scan(f->s, NULL, UINT64_MAX - 1);
	assert_int_equal(s.n, 0);

	/* The same for one model's history: m has 1, 3, 5. */
	s = scan(f->s, "m", 0);
	ASSERT_REVS(&s, 1, 3, 5);
	s = scan(f->s, "m", 1);
	ASSERT_REVS(&s, 3, 5);
	s = scan(f->s, "m", 2);
	ASSERT_REVS(&s, 3, 5);
	s = scan(f->s, "m", 3);
	ASSERT_REVS(&s, 5);
	s = scan(f->s, "m", 5);
	assert_int_equal(s.n, 0);
	s = scan(f->s, "m", UINT64_MAX);
	assert_int_equal(s.n, 0);
}

static void
test_history_excludes_models_whose_names_share_a_prefix(void **state)
{
	st_fix *f = *state;
	static const char *const names[] = {"ab", "a.b", "a", "a-", "b"};
	store_txn *t = begin(f->s);
	struct seen s;

	/* Revisions 1..15: names[(rev - 1) % 5]. */
	for (int i = 0; i < 15; i++)
		append(t, names[i % 5], "", CREATED);
	st_commit(t);
	s = scan(f->s, "a", 0);
	ASSERT_REVS(&s, 3, 8, 13);
	for (size_t i = 0; i < s.n; i++)
		assert_string_equal(s.model[i], "a");
	s = scan(f->s, "a.b", 0);
	ASSERT_REVS(&s, 2, 7, 12);
	s = scan(f->s, "ab", 0);
	ASSERT_REVS(&s, 1, 6, 11);
	s = scan(f->s, "a-", 0);
	ASSERT_REVS(&s, 4, 9, 14);
	s = scan(f->s, "b", 10);
	ASSERT_REVS(&s, 15);
	/* A prefix of a name is not that model. */
	s = scan(f->s, "", 0);
	assert_int_equal(s.n, 0);
	s = scan(f->s, "nosuch", 0);
	assert_int_equal(s.n, 0);
}

static void
test_history_of_a_model_spans_transactions_in_order(void **state)
{
	st_fix *f = *state;
	struct seen s;

	for (int i = 0; i < 4; i++) {
		store_txn *t = begin(f->s);
		append(t, "m", "", REGISTERED);
		append(t, "x", "", REGISTERED);
		st_commit(t);
	}
	st_reopen(f);
	s = scan(f->s, "m", 0);
	ASSERT_REVS(&s, 1, 3, 5, 7);
	s = scan(f->s, "x", 0);
	ASSERT_REVS(&s, 2, 4, 6, 8);
}

static void
test_scan_stops_when_the_callback_says_so(void **state)
{
	st_fix *f = *state;
	store_txn *t = begin(f->s);
	struct seen s;
	mr_err e;

	for (int i = 0; i < 10; i++)
		append(t, "m", "", REGISTERED);
	st_commit(t);
	memset(&s, 0, sizeof(s));
	s.stop_at = 4;
	assert_int_equal(store_scan_events(f->s, NULL, 0, see, &s, &e), MR_OK);
	ASSERT_REVS(&s, 1, 2, 3, 4);
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	assert_int_equal(store_scan_events(f->s, "m", 5, see, &s, &e), MR_OK);
	ASSERT_REVS(&s, 6, 7);
}

static void
test_scan_of_empty_log_sees_nothing(void **state)
{
	st_fix *f = *state;
	struct seen s;

	s = scan(f->s, NULL, 0);
	assert_int_equal(s.n, 0);
	s = scan(f->s, "m", 0);
	assert_int_equal(s.n, 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, st_setup, st_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_append_assigns_consecutive_revisions_within_a_transaction),
	    T(test_revisions_continue_across_transactions_and_skip_none_on_abort),
	    T(test_scan_all_returns_every_model_in_revision_order),
	    T(test_event_fields_round_trip),
	    T(test_after_is_exclusive),
	    T(test_history_excludes_models_whose_names_share_a_prefix),
	    T(test_history_of_a_model_spans_transactions_in_order),
	    T(test_scan_stops_when_the_callback_says_so),
	    T(test_scan_of_empty_log_sees_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
