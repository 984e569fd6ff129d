/*
 * test_audit.c - the hash-chained audit log: appends inside transactions,
 * reads by model, and verification that catches a record edited, removed
 * or cut off behind the store's back (written with raw RocksDB).
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "chunk.h"
#include "storetest.h"

/* Commits one audit record of `model` (NULL: none). */
static void
append(store *s, const char *model, const char *action)
{
	mr_pb_audit r = MODELREG__V1__AUDIT_RECORD__INIT;
	store_txn *t;
	mr_err e;

	r.time_ms = 1700000000000;
	r.actor = "alice";
	r.action = (char *)action;
	r.model = (char *)(model != NULL ? model : "");
	r.target = r.model;
	r.before = "{}";
	r.after = "{\"stage\":\"STAGE_PRODUCTION\"}";
	assert_int_equal(store_txn_begin(s, &t, &e), MR_OK);
	assert_int_equal(store_txn_append_audit(t, &r, &e), MR_OK);
	st_commit(t);
}

static void
verify(store *s, store_audit_check *chk)
{
	mr_err e;

	assert_int_equal(store_audit_verify(s, chk, &e), MR_OK);
}

struct collect {
	uint64_t seqs[16];
	size_t n;
};

static int
collect(void *arg, mr_pb_audit *r)
{
	struct collect *c = arg;

	c->seqs[c->n++] = r->seq;
	modelreg__v1__audit_record__free_unpacked(r, NULL);
	return 0;
}

static void
test_audit_records_are_numbered_and_chained(void **state)
{
	st_fix *f = *state;
	store_audit_check chk;
	struct collect all = { 0 }, of_a = { 0 };
	mr_err e;

	append(f->s, "a", "RegisterVersion");
	append(f->s, "b", "RegisterVersion");
	append(f->s, "a", "Promote");
	append(f->s, NULL, "AddNode");
	verify(f->s, &chk);
	assert_int_equal(chk.first_broken, 0);
	assert_int_equal(chk.records, 4);

	assert_int_equal(store_scan_audit(f->s, NULL, 0, collect, &all, &e),
	    MR_OK);
	assert_int_equal(all.n, 4);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(all.seqs[i], i + 1);
	assert_int_equal(store_scan_audit(f->s, "a", 0, collect, &of_a, &e),
	    MR_OK);
	assert_int_equal(of_a.n, 2);
	assert_int_equal(of_a.seqs[0], 1);
	assert_int_equal(of_a.seqs[1], 3);
}

static void
test_audit_chain_continues_after_reopen(void **state)
{
	st_fix *f = *state;
	store_audit_check chk;

	append(f->s, "a", "RegisterVersion");
	st_reopen(f);
	append(f->s, "a", "Promote");
	verify(f->s, &chk);
	assert_int_equal(chk.first_broken, 0);
	assert_int_equal(chk.records, 2);
}

static void
test_aborted_transaction_leaves_no_audit_record(void **state)
{
	st_fix *f = *state;
	mr_pb_audit r = MODELREG__V1__AUDIT_RECORD__INIT;
	store_audit_check chk;
	store_txn *t;
	mr_err e;

	append(f->s, "a", "RegisterVersion");
	r.model = "a";
	assert_int_equal(store_txn_begin(f->s, &t, &e), MR_OK);
	assert_int_equal(store_txn_append_audit(t, &r, &e), MR_OK);
	store_txn_abort(t);
	append(f->s, "a", "Promote");
	verify(f->s, &chk);
	assert_int_equal(chk.first_broken, 0);
	assert_int_equal(chk.records, 2);
}

/* Rewrites record `seq` with its `after` changed, keeping its hashes. */
static void
tamper(st_fix *f, uint64_t seq, const char *after)
{
	uint8_t key[16], *buf;
	mr_pb_audit *r = NULL;
	size_t n = keys_audit(key, seq);
	st_raw raw;
	char *err = NULL, *val, *orig;
	size_t len;
	rocksdb_readoptions_t *ro = rocksdb_readoptions_create();

	st_close(f);
	st_raw_open(&raw, f->dir);
	val = rocksdb_get_cf(raw.db, ro, raw.cf[KEYS_CF_AUDIT],
	    (const char *)key, n, &len, &err);
	assert_null(err);
	assert_non_null(val);
	r = modelreg__v1__audit_record__unpack(NULL, len, (uint8_t *)val);
	assert_non_null(r);
	rocksdb_free(val);
	orig = r->after; /* owned by r: put back before freeing r */
	r->after = (char *)after;
	len = modelreg__v1__audit_record__get_packed_size(r);
	buf = malloc(len);
	modelreg__v1__audit_record__pack(r, buf);
	st_raw_put(&raw, KEYS_CF_AUDIT, key, n, buf, len);
	free(buf);
	r->after = orig;
	modelreg__v1__audit_record__free_unpacked(r, NULL);
	rocksdb_readoptions_destroy(ro);
	st_raw_close(&raw);
	st_open(f);
}

static void
test_verify_reports_first_edited_record(void **state)
{
	st_fix *f = *state;
	store_audit_check chk;

	for (int i = 0; i < 5; i++)
		append(f->s, "a", "Promote");
	tamper(f, 3, "{\"stage\":\"STAGE_DEV\"}");
	verify(f->s, &chk);
	assert_int_equal(chk.first_broken, 3);
	assert_non_null(strstr(chk.problem, "do not match its hash"));
}

static void
test_verify_reports_removed_record(void **state)
{
	st_fix *f = *state;
	store_audit_check chk;
	uint8_t key[16];
	size_t n = keys_audit(key, 2);
	st_raw raw;

	for (int i = 0; i < 4; i++)
		append(f->s, "a", "Promote");
	st_close(f);
	st_raw_open(&raw, f->dir);
	st_raw_delete(&raw, KEYS_CF_AUDIT, key, n);
	st_raw_close(&raw);
	st_open(f);
	verify(f->s, &chk);
	assert_int_equal(chk.first_broken, 2);
	assert_non_null(strstr(chk.problem, "missing"));
}

static void
test_verify_reports_tail_cut_off(void **state)
{
	st_fix *f = *state;
	store_audit_check chk;
	uint8_t key[16];
	size_t n = keys_audit(key, 3);
	st_raw raw;

	for (int i = 0; i < 3; i++)
		append(f->s, "a", "Promote");
	st_close(f);
	st_raw_open(&raw, f->dir);
	st_raw_delete(&raw, KEYS_CF_AUDIT, key, n);
	st_raw_close(&raw);
	st_open(f);
	verify(f->s, &chk);
	assert_int_equal(chk.records, 2);
	assert_int_equal(chk.first_broken, 3);
	assert_non_null(strstr(chk.problem, "removed from the end"));
}


/* A record chained correctly but written behind the store's back, after
 * its head: the head says where the log ends. */
static void
test_verify_reports_record_appended_behind_the_head(void **state)
{
	st_fix *f = *state;
	mr_pb_audit r = MODELREG__V1__AUDIT_RECORD__INIT;
	store_audit_check chk;
	uint8_t key[16], prev[32], hash[32], *buf;
	size_t n;
	st_raw raw;

	append(f->s, "a", "Promote");
	append(f->s, "a", "Promote");
	verify(f->s, &chk);
	memcpy(prev, chk.head_hash, 32);
	st_close(f);

	r.seq = 3;
	r.actor = "mallory";
	r.action = "Promote";
	r.model = "a";
	r.prev_hash.data = prev;
	r.prev_hash.len = 32;
	n = modelreg__v1__audit_record__get_packed_size(&r);
	buf = malloc(n);
	modelreg__v1__audit_record__pack(&r, buf);
	mr_sha256_once(buf, n, hash);
	free(buf);
	r.hash.data = hash;
	r.hash.len = 32;
	n = modelreg__v1__audit_record__get_packed_size(&r);
	buf = malloc(n);
	modelreg__v1__audit_record__pack(&r, buf);
	st_raw_open(&raw, f->dir);
	st_raw_put(&raw, KEYS_CF_AUDIT, key, keys_audit(key, 3), buf, n);
	st_raw_close(&raw);
	free(buf);
	st_open(f);

	verify(f->s, &chk);
	assert_int_equal(chk.first_broken, 3);
	assert_non_null(strstr(chk.problem, "past its head"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_audit_records_are_numbered_and_chained, st_setup,
		    st_teardown),
		cmocka_unit_test_setup_teardown(
		    test_audit_chain_continues_after_reopen, st_setup,
		    st_teardown),
		cmocka_unit_test_setup_teardown(
		    test_aborted_transaction_leaves_no_audit_record, st_setup,
		    st_teardown),
		cmocka_unit_test_setup_teardown(
		    test_verify_reports_first_edited_record, st_setup,
		    st_teardown),
		cmocka_unit_test_setup_teardown(
		    test_verify_reports_removed_record, st_setup, st_teardown),
		cmocka_unit_test_setup_teardown(
		    test_verify_reports_tail_cut_off, st_setup, st_teardown),
		cmocka_unit_test_setup_teardown(
		    test_verify_reports_record_appended_behind_the_head,
		    st_setup, st_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
