/*
 * test_store.c - tests of storage/store.c on a real RocksDB in a temporary
 * directory: opening creates the store, reopening keeps its revision and
 * records; a transaction's writes are invisible until commit and gone after
 * abort, without using up revisions; revisions strictly increase across
 * transactions and reopens; the writer lock makes read-modify-write
 * transactions from many threads lose no update; idempotency records round
 * trip and those older than STORE_IDEM_TTL_MS (or damaged) are pruned when
 * the store opens; a store of another format version or with a damaged
 * revision record is refused (both written with the RocksDB C API behind the
 * store's back); and a second open of an open store fails with a status
 * instead of crashing, leaving the first usable.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "storetest.h"

/* ---- helpers ------------------------------------------------------------ */

static void
put_model(store_txn *t, const char *name, uint32_t count)
{
	mr_pb_model m = MODELREG__V1__MODEL__INIT;
	mr_err e;

	m.name = (char *)name;
	m.version_count = count;
	mr_err_clear(&e);
	if (store_txn_put_model(t, &m, &e) != MR_OK)
		fail_msg("put_model: %s", e.msg);
}

/* The model's version_count, or -1 if it does not exist. */
static long
model_count(store *s, const char *name)
{
	mr_pb_model *m = NULL;
	mr_err e;
	long n;

	mr_err_clear(&e);
	if (store_get_model(s, name, &m, &e) == MR_NOT_FOUND)
		return -1;
	assert_non_null(m);
	n = (long)m->version_count;
	protobuf_c_message_free_unpacked(&m->base, NULL);
	return n;
}

static uint64_t
append(store_txn *t, const char *model)
{
	mr_pb_event ev = MODELREG__V1__EVENT__INIT;
	mr_err e;

	ev.model = (char *)model;
	ev.kind = MODELREG__V1__EVENT_KIND__EVENT_MODEL_CREATED;
	mr_err_clear(&e);
	return store_txn_append_event(t, &ev, &e);
}

static store_txn *
begin(store *s)
{
	store_txn *t = NULL;
	mr_err e;

	mr_err_clear(&e);
	if (store_txn_begin(s, &t, &e) != MR_OK)
		fail_msg("begin: %s", e.msg);
	return t;
}

static int
count_event(void *arg, mr_pb_event *ev)
{
	(*(size_t *)arg)++;
	protobuf_c_message_free_unpacked(&ev->base, NULL);
	return 0;
}

static size_t
event_count(store *s)
{
	size_t n = 0;

	assert_int_equal(
	    store_scan_events(s, NULL, 0, count_event, &n, NULL), MR_OK);
	return n;
}

/* ---- opening ------------------------------------------------------------ */

static void
test_open_creates_the_directory_at_revision_zero(void **state)
{
	char tmp[PATH_MAX], dir[PATH_MAX + 8];
	struct stat st;
	store *s = NULL;
	mr_err e;

	(void)state;
	tu_mkdtemp(tmp, "store-open");
	snprintf(dir, sizeof(dir), "%s/new", tmp);
	assert_int_equal(stat(dir, &st), -1);
	mr_err_clear(&e);
	assert_int_equal(store_open(&s, dir, &e), MR_OK);
	assert_non_null(s);
	assert_int_equal(stat(dir, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	assert_int_equal(store_revision(s), 0);
	assert_int_equal(event_count(s), 0);
	assert_int_equal(model_count(s, "m"), -1);
	store_close(s);
	tu_rmtree(tmp);
}

static void
test_reopen_keeps_revision_and_records(void **state)
{
	st_fix *f = *state;
	store_txn *t = begin(f->s);

	put_model(t, "m", 3);
	append(t, "m");
	append(t, "m");
	st_commit(t);
	assert_int_equal(store_revision(f->s), 2);
	st_reopen(f);
	assert_int_equal(store_revision(f->s), 2);
	assert_int_equal(model_count(f->s, "m"), 3);
	assert_int_equal(event_count(f->s), 2);
}

static void
test_close_and_abort_accept_null(void **state)
{
	(void)state;
	store_close(NULL);
	store_txn_abort(NULL);
}

static void
test_open_refuses_another_format_version(void **state)
{
	st_fix *f = *state;
	store *sentinel = (store *)&sentinel, *s = sentinel;
	uint8_t fmt[4];
	st_raw r;
	mr_err e;

	st_close(f);
	st_raw_open(&r, f->dir);
	keys_put_u32(fmt, STORE_FORMAT_VERSION + 1);
	st_raw_put(
	    &r, KEYS_CF_DEFAULT, KEYS_FORMAT, strlen(KEYS_FORMAT), fmt, 4);
	st_raw_close(&r);

	mr_err_clear(&e);
	assert_int_equal(store_open(&s, f->dir, &e), MR_FAILED_PRECONDITION);
	assert_ptr_equal(s, sentinel);
	{
		char want[32];
		snprintf(want, sizeof(want), "format %d",
		    STORE_FORMAT_VERSION + 1);
		assert_non_null(strstr(e.msg, want));
	}

	/* A record of the wrong size is no format this build reads. */
	st_raw_open(&r, f->dir);
	st_raw_put(
	    &r, KEYS_CF_DEFAULT, KEYS_FORMAT, strlen(KEYS_FORMAT), "\0\0\1", 3);
	st_raw_close(&r);
	assert_int_equal(store_open(&s, f->dir, &e), MR_FAILED_PRECONDITION);
	assert_ptr_equal(s, sentinel);

	/* The format was the only obstacle. */
	st_raw_open(&r, f->dir);
	keys_put_u32(fmt, STORE_FORMAT_VERSION);
	st_raw_put(
	    &r, KEYS_CF_DEFAULT, KEYS_FORMAT, strlen(KEYS_FORMAT), fmt, 4);
	st_raw_close(&r);
	st_open(f);
}

static void
test_open_refuses_a_damaged_revision_record(void **state)
{
	st_fix *f = *state;
	store *s = NULL;
	st_raw r;
	mr_err e;

	st_close(f);
	st_raw_open(&r, f->dir);
	st_raw_put(&r, KEYS_CF_DEFAULT, KEYS_REVISION, strlen(KEYS_REVISION),
	    "\0\0\0\7", 4);
	st_raw_close(&r);
	mr_err_clear(&e);
	assert_int_equal(store_open(&s, f->dir, &e), MR_DATA_LOSS);
	assert_null(s);
	assert_non_null(strstr(e.msg, "revision"));

	st_raw_open(&r, f->dir);
	st_raw_put(&r, KEYS_CF_DEFAULT, KEYS_REVISION, strlen(KEYS_REVISION),
	    "\0\0\0\0\0\0\0\7", 8);
	st_raw_close(&r);
	st_open(f);
	assert_int_equal(store_revision(f->s), 7);
}

static void
test_second_open_of_an_open_store_fails_cleanly(void **state)
{
	st_fix *f = *state;
	store *second = NULL;
	store_txn *t;
	mr_status rv;
	mr_err e;

	mr_err_clear(&e);
	rv = store_open(&second, f->dir, &e);
	if (rv == MR_OK)
		store_close(second);
	assert_int_equal(rv, MR_UNAVAILABLE);
	assert_int_equal(e.code, MR_UNAVAILABLE);
	assert_null(second);
	assert_non_null(strstr(e.msg, "opening the store"));

	/* The first handle is unaffected. */
	t = begin(f->s);
	put_model(t, "m", 1);
	append(t, "m");
	st_commit(t);
	assert_int_equal(model_count(f->s, "m"), 1);

	/* And once it is closed, the directory opens again. */
	st_reopen(f);
	assert_int_equal(model_count(f->s, "m"), 1);
	assert_int_equal(store_revision(f->s), 1);
}

/* ---- transactions ------------------------------------------------------- */

static void
test_txn_writes_are_invisible_until_commit(void **state)
{
	st_fix *f = *state;
	store_txn *t = begin(f->s);

	assert_ptr_equal(store_txn_store(t), f->s);
	put_model(t, "m", 1);
	assert_int_equal(append(t, "m"), 1);
	assert_int_equal(store_txn_revision(t), 1);
	/* Staged, not applied: no reader sees any of it. */
	assert_int_equal(model_count(f->s, "m"), -1);
	assert_int_equal(event_count(f->s), 0);
	assert_int_equal(store_revision(f->s), 0);
	st_commit(t);
	assert_int_equal(model_count(f->s, "m"), 1);
	assert_int_equal(event_count(f->s), 1);
	assert_int_equal(store_revision(f->s), 1);
}

static void
test_txn_abort_discards_writes_and_revisions(void **state)
{
	st_fix *f = *state;
	store_txn *t = begin(f->s);

	put_model(t, "m", 1);
	assert_int_equal(append(t, "m"), 1);
	assert_int_equal(append(t, "m"), 2);
	store_txn_abort(t);
	assert_int_equal(model_count(f->s, "m"), -1);
	assert_int_equal(event_count(f->s), 0);
	assert_int_equal(store_revision(f->s), 0);

	/* The lock was released and the revisions were not used up. */
	t = begin(f->s);
	assert_int_equal(append(t, "m"), 1);
	st_commit(t);
	assert_int_equal(store_revision(f->s), 1);
	st_reopen(f);
	assert_int_equal(model_count(f->s, "m"), -1);
	assert_int_equal(event_count(f->s), 1);
}

static void
test_commit_without_events_keeps_the_revision(void **state)
{
	st_fix *f = *state;
	store_txn *t = begin(f->s);

	append(t, "m");
	st_commit(t);
	t = begin(f->s);
	put_model(t, "m", 5);
	assert_int_equal(store_txn_revision(t), 0);
	st_commit(t);
	assert_int_equal(store_revision(f->s), 1);
	assert_int_equal(model_count(f->s, "m"), 5);
	st_reopen(f);
	assert_int_equal(store_revision(f->s), 1);
}

static void
test_revisions_strictly_increase_across_transactions_and_reopen(void **state)
{
	st_fix *f = *state;
	uint64_t last = 0;

	for (int i = 0; i < 6; i++) {
		store_txn *t = begin(f->s);

		assert_int_equal(store_txn_revision(t), 0);
		for (int j = 0; j <= i % 3; j++) {
			uint64_t rev = append(t, "m");
			assert_int_equal(rev, last + 1);
			last = rev;
			assert_int_equal(store_txn_revision(t), last);
		}
		st_commit(t);
		assert_int_equal(store_revision(f->s), last);
		if (i % 2 == 1)
			st_reopen(f);
		assert_int_equal(store_revision(f->s), last);
	}
	assert_int_equal(last, 1 + 2 + 3 + 1 + 2 + 3);
	assert_int_equal(event_count(f->s), last);
}

/* N threads, each K times: begin, read the counter, put it + 1, commit. */
enum { THREADS = 8, ROUNDS = 20 };

struct worker {
	store *s;
	int failures;
};

static void *
increment(void *arg)
{
	struct worker *w = arg;

	for (int i = 0; i < ROUNDS; i++) {
		mr_pb_model *m = NULL;
		store_txn *t = NULL;
		uint32_t count = 0;
		uint64_t rev;
		mr_err e;

		if (store_txn_begin(w->s, &t, &e) != MR_OK) {
			w->failures++;
			continue;
		}
		if (store_get_model(w->s, "counter", &m, &e) == MR_OK) {
			count = m->version_count;
			protobuf_c_message_free_unpacked(&m->base, NULL);
		}
		/* Give other threads every chance to interleave between the
		 * read and the write; only the lock keeps them out. */
		sched_yield();
		{
			mr_pb_model nm = MODELREG__V1__MODEL__INIT;
			nm.name = (char *)"counter";
			nm.version_count = count + 1;
			if (store_txn_put_model(t, &nm, &e) != MR_OK)
				w->failures++;
		}
		rev = append(t, "counter");
		/* One event per increment: the revision is the count. */
		if (rev != count + 1)
			w->failures++;
		if (store_txn_commit(t, &e) != MR_OK)
			w->failures++;
	}
	return NULL;
}

static void
test_writer_lock_serializes_concurrent_read_modify_write(void **state)
{
	st_fix *f = *state;
	pthread_t tid[THREADS];
	struct worker w[THREADS];

	for (int i = 0; i < THREADS; i++) {
		w[i].s = f->s;
		w[i].failures = 0;
		assert_int_equal(
		    pthread_create(&tid[i], NULL, increment, &w[i]), 0);
	}
	/* Join every thread before any assertion can end the test. */
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_join(tid[i], NULL), 0);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(w[i].failures, 0);
	assert_int_equal(model_count(f->s, "counter"), THREADS * ROUNDS);
	assert_int_equal(store_revision(f->s), THREADS * ROUNDS);
	assert_int_equal(event_count(f->s), THREADS * ROUNDS);
	st_reopen(f);
	assert_int_equal(model_count(f->s, "counter"), THREADS * ROUNDS);
}

/* ---- idempotency records ------------------------------------------------ */

static void
put_idem(store *s, const char *key, const char *method, int64_t created)
{
	mr_pb_idem r = MODELREG__V1__IDEMPOTENCY_RECORD__INIT;
	uint8_t digest[MR_DIGEST_LEN];
	store_txn *t = begin(s);
	mr_err e;

	memset(digest, 0xab, sizeof(digest));
	r.method = (char *)method;
	r.request_digest.data = digest;
	r.request_digest.len = sizeof(digest);
	r.created_at_ms = created;
	r.response.data = (uint8_t *)"packed response";
	r.response.len = 15;
	mr_err_clear(&e);
	if (store_txn_put_idem(t, key, &r, &e) != MR_OK)
		fail_msg("put_idem: %s", e.msg);
	st_commit(t);
}

/* The record's method, or NULL if absent (into buf). */
static const char *
get_idem(store *s, const char *key, char *buf, size_t cap)
{
	store_txn *t = begin(s);
	mr_pb_idem *r = NULL;
	mr_status rv;
	mr_err e;

	mr_err_clear(&e);
	rv = store_txn_get_idem(t, key, &r, &e);
	store_txn_abort(t);
	if (rv == MR_NOT_FOUND)
		return NULL;
	assert_int_equal(rv, MR_OK);
	snprintf(buf, cap, "%s", r->method);
	protobuf_c_message_free_unpacked(&r->base, NULL);
	return buf;
}

static void
test_idempotency_record_put_then_get_round_trips(void **state)
{
	st_fix *f = *state;
	store_txn *t = begin(f->s);
	mr_pb_idem *r = NULL;
	int64_t now = mr_now_ms();
	mr_err e;

	mr_err_clear(&e);
	assert_int_equal(store_txn_get_idem(t, "key-1", &r, &e), MR_NOT_FOUND);
	assert_null(r);
	store_txn_abort(t);

	put_idem(f->s, "key-1", "Register", now);
	t = begin(f->s);
	assert_int_equal(store_txn_get_idem(t, "key-1", &r, &e), MR_OK);
	store_txn_abort(t);
	assert_string_equal(r->method, "Register");
	assert_int_equal(r->created_at_ms, now);
	assert_int_equal(r->request_digest.len, MR_DIGEST_LEN);
	assert_int_equal(r->request_digest.data[31], 0xab);
	assert_int_equal(r->response.len, 15);
	assert_memory_equal(r->response.data, "packed response", 15);
	protobuf_c_message_free_unpacked(&r->base, NULL);

	/* Keys are exact: neither a prefix nor an extension matches. */
	t = begin(f->s);
	assert_int_equal(store_txn_get_idem(t, "key-", &r, &e), MR_NOT_FOUND);
	assert_int_equal(store_txn_get_idem(t, "key-10", &r, &e), MR_NOT_FOUND);
	store_txn_abort(t);
}

static void
test_idempotency_records_past_ttl_are_pruned_on_reopen(void **state)
{
	st_fix *f = *state;
	int64_t now = mr_now_ms();
	char buf[64];
	st_raw r;

	put_idem(f->s, "old", "Old", now - STORE_IDEM_TTL_MS - 60000);
	put_idem(f->s, "ancient", "Ancient", 1);
	/* An hour inside the TTL: kept however slow this test runs. */
	put_idem(f->s, "recent", "Recent", now - STORE_IDEM_TTL_MS + 3600000);
	put_idem(f->s, "fresh", "Fresh", now);
	/* Pruning happens when the store opens, not before. */
	assert_non_null(get_idem(f->s, "old", buf, sizeof(buf)));

	st_close(f);
	/* A record that does not unpack protects nothing either. */
	st_raw_open(&r, f->dir);
	/* Field 1 claims 5 bytes and holds one ('a' is 0x61). */
	st_raw_put(&r, KEYS_CF_IDEM, "damaged", 7, "\x0a\x05\x61", 3);
	st_raw_close(&r);
	st_open(f);

	assert_null(get_idem(f->s, "old", buf, sizeof(buf)));
	assert_null(get_idem(f->s, "ancient", buf, sizeof(buf)));
	assert_null(get_idem(f->s, "damaged", buf, sizeof(buf)));
	assert_string_equal(
	    get_idem(f->s, "recent", buf, sizeof(buf)), "Recent");
	assert_string_equal(get_idem(f->s, "fresh", buf, sizeof(buf)), "Fresh");
}

static int
count_version(void *arg, mr_pb_version *v)
{
	(*(int *)arg)++;
	protobuf_c_message_free_unpacked(&v->base, NULL);
	return 0;
}

/* A format-1 store had no search indexes: opening it builds them. */
static void
test_open_upgrades_format_1_with_search_indexes(void **state)
{
	st_fix *f = *state;
	mr_pb_version v = MODELREG__V1__MODEL_VERSION__INIT;
	Modelreg__V1__ModelVersion__TagsEntry tag =
	    MODELREG__V1__MODEL_VERSION__TAGS_ENTRY__INIT, *tp = &tag;
	store_query byst = { .index = STORE_BY_STAGE, .stage = 3 };
	store_query bytag = { .index = STORE_BY_TAG, .tag_key = "team",
		.tag_value = "fraud" };
	uint8_t fmt[4], key[KEYS_MAX];
	mr_semver sv;
	store_txn *t;
	int n = 0;
	st_raw r;
	mr_err e;

	v.name = "m";
	v.version = "1.0.0";
	v.stage = MODELREG__V1__STAGE__STAGE_PRODUCTION;
	tag.key = "team";
	tag.value = "fraud";
	v.tags = &tp;
	v.n_tags = 1;
	assert_int_equal(store_txn_begin(f->s, &t, &e), MR_OK);
	assert_int_equal(store_txn_put_version(t, &v, NULL, &e), MR_OK);
	st_commit(t);
	st_close(f);

	/* Make it a format-1 store: no 'G' or 'T' keys. */
	assert_int_equal(mr_semver_parse("1.0.0", &sv, NULL), MR_OK);
	st_raw_open(&r, f->dir);
	st_raw_delete(&r, KEYS_CF_CATALOG, key, keys_stage_all(key, 3, "m", &sv));
	st_raw_delete(&r, KEYS_CF_CATALOG, key,
	    keys_tag(key, "team", "fraud", "m", &sv));
	keys_put_u32(fmt, 1);
	st_raw_put(
	    &r, KEYS_CF_DEFAULT, KEYS_FORMAT, strlen(KEYS_FORMAT), fmt, 4);
	st_raw_close(&r);

	st_open(f);
	assert_int_equal(store_scan_catalog(f->s, &byst, count_version, &n, &e),
	    MR_OK);
	assert_int_equal(store_scan_catalog(f->s, &bytag, count_version, &n,
			     &e),
	    MR_OK);
	assert_int_equal(n, 2);
	/* And it is the current format now: a second open does no upgrade. */
	st_reopen(f);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_open_creates_the_directory_at_revision_zero),
	    cmocka_unit_test_setup_teardown(
	        test_reopen_keeps_revision_and_records, st_setup, st_teardown),
	    cmocka_unit_test(test_close_and_abort_accept_null),
	    cmocka_unit_test_setup_teardown(
	        test_open_refuses_another_format_version, st_setup,
	        st_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_open_upgrades_format_1_with_search_indexes, st_setup,
	        st_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_open_refuses_a_damaged_revision_record, st_setup,
	        st_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_second_open_of_an_open_store_fails_cleanly, st_setup,
	        st_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_txn_writes_are_invisible_until_commit, st_setup,
	        st_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_txn_abort_discards_writes_and_revisions, st_setup,
	        st_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_commit_without_events_keeps_the_revision, st_setup,
	        st_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_revisions_strictly_increase_across_transactions_and_reopen,
	        st_setup, st_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_writer_lock_serializes_concurrent_read_modify_write,
	        st_setup, st_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_idempotency_record_put_then_get_round_trips, st_setup,
	        st_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_idempotency_records_past_ttl_are_pruned_on_reopen,
	        st_setup, st_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
