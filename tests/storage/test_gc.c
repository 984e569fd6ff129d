/*
 * test_gc.c - tests of storage/gc.c and the chunk references the catalog
 * keeps for it, on a real store: a manifest references its chunks until
 * its version is deleted (and the deleted version leaves a tombstone); a
 * sweep deletes what nothing references and nobody touched within the
 * grace, keeps the rest, and says which was which; a touch (an upload's
 * existence check, a second PutChunk) renews the grace; a store of format
 * 2 gets its references on open; and commits racing a sweep with no grace
 * at all never lose a chunk they committed.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storetest.h"

/* A distinct digest for index i (not a real hash: the store trusts it). */
static void
digest_of(uint32_t i, uint8_t d[MR_DIGEST_LEN])
{
	tu_fill_random(d, MR_DIGEST_LEN, 5000 + i);
}

static void
put(store *s, uint32_t i)
{
	uint8_t d[MR_DIGEST_LEN], data[16];
	bool stored;
	mr_err e;

	digest_of(i, d);
	memset(data, (int)i, sizeof(data));
	mr_err_clear(&e);
	if (store_put_chunk(s, d, 0, sizeof(data), data, sizeof(data), &stored,
	        &e) != MR_OK)
		fail_msg("put_chunk: %s", e.msg);
}

static bool
exists(store *s, uint32_t i)
{
	uint8_t d[MR_DIGEST_LEN];
	const uint8_t *one = d;
	bool yes = false;

	digest_of(i, d);
	assert_int_equal(store_chunks_exist(s, &one, 1, &yes, NULL), MR_OK);
	return yes;
}

static bool
referenced(store *s, uint32_t i)
{
	uint8_t d[MR_DIGEST_LEN];
	bool yes = false;

	digest_of(i, d);
	assert_int_equal(store_chunk_referenced(s, d, &yes, NULL), MR_OK);
	return yes;
}

/*
 * A one-file manifest listing chunks idx[0..n) (16 bytes each), in
 * caller-provided storage: the store checks none of it.
 */
typedef struct man {
	mr_pb_manifest m;
	Modelreg__V1__FileEntry file, *files[1];
	Modelreg__V1__ChunkRef refs[8], *rp[8];
	uint8_t digests[8][MR_DIGEST_LEN];
} man;

static void
man_init(man *mf, const uint32_t *idx, size_t n)
{
	assert_true(n <= 8);
	modelreg__v1__manifest__init(&mf->m);
	modelreg__v1__file_entry__init(&mf->file);
	mf->file.path = "model.bin";
	for (size_t i = 0; i < n; i++) {
		modelreg__v1__chunk_ref__init(&mf->refs[i]);
		digest_of(idx[i], mf->digests[i]);
		mf->refs[i].offset = 16 * i;
		mf->refs[i].length = 16;
		mf->refs[i].digest.data = mf->digests[i];
		mf->refs[i].digest.len = MR_DIGEST_LEN;
		mf->rp[i] = &mf->refs[i];
	}
	mf->file.chunks = mf->rp;
	mf->file.n_chunks = n;
	mf->file.size = 16 * n;
	mf->files[0] = &mf->file;
	mf->m.format = 1;
	mf->m.files = mf->files;
	mf->m.n_files = 1;
	mf->m.chunk_count = (uint32_t)n;
	mf->m.total_size = 16 * n;
}

/* Commits name@version listing chunks idx[0..n). */
static void
commit_version(store *s, const char *name, const char *version,
    const uint32_t *idx, size_t n)
{
	mr_pb_version v = MODELREG__V1__MODEL_VERSION__INIT;
	mr_semver sv;
	store_txn *t;
	man mf;
	mr_err e;

	man_init(&mf, idx, n);
	v.name = (char *)name;
	v.version = (char *)version;
	v.stage = MODELREG__V1__STAGE__STAGE_DEV;
	v.manifest = &mf.m;
	assert_int_equal(mr_semver_parse(version, &sv, NULL), MR_OK);
	mr_err_clear(&e);
	assert_int_equal(store_txn_begin(s, &t, &e), MR_OK);
	assert_int_equal(store_txn_put_version(t, &v, NULL, &e), MR_OK);
	assert_int_equal(
	    store_txn_put_manifest(t, name, &sv, &mf.m, &e), MR_OK);
	st_commit(t);
}

static void
delete_version(store *s, const char *name, const char *version)
{
	Modelreg__V1__Deletion d = MODELREG__V1__DELETION__INIT;
	mr_pb_version *v;
	mr_semver sv;
	store_txn *t;
	mr_err e;

	mr_err_clear(&e);
	assert_int_equal(mr_semver_parse(version, &sv, NULL), MR_OK);
	assert_int_equal(store_get_version(s, name, &sv, &v, &e), MR_OK);
	d.reason = "leaked labels";
	d.by = "alice";
	d.at_ms = 1234;
	v->deletion = &d;
	assert_int_equal(store_txn_begin(s, &t, &e), MR_OK);
	assert_int_equal(store_txn_delete_version(t, v, &e), MR_OK);
	st_commit(t);
	v->deletion = NULL;
	protobuf_c_message_free_unpacked(&v->base, NULL);
}

static store_gc_stats
gc(store *s, int64_t grace_ms, bool dry_run)
{
	store_gc_stats st;
	mr_err e;

	mr_err_clear(&e);
	if (store_gc(s, grace_ms, dry_run, &st, &e) != MR_OK)
		fail_msg("store_gc: %s", e.msg);
	return st;
}

/* Makes chunk i look stored (and last touched) in 1970. */
static void
age_chunk(st_fix *f, uint32_t i)
{
	uint8_t d[MR_DIGEST_LEN], meta[KEYS_CHUNKMETA_LEN];
	keys_chunkmeta cm = {
	    .encoding = 0, .raw_len = 16, .stored_len = 16, .touched_at_ms = 1};
	st_raw r;

	digest_of(i, d);
	keys_chunkmeta_encode(meta, &cm);
	st_close(f);
	st_raw_open(&r, f->dir);
	st_raw_put(&r, KEYS_CF_CHUNKMETA, d, sizeof(d), meta, sizeof(meta));
	st_raw_close(&r);
	st_open(f);
}

static void
test_manifest_references_its_chunks_until_its_version_is_deleted(void **state)
{
	st_fix *f = *state;
	const uint32_t a[] = {0, 1}, b[] = {1};
	mr_pb_version *t;
	mr_pb_manifest *m;
	mr_semver sv;
	mr_err e;

	for (uint32_t i = 0; i < 3; i++)
		put(f->s, i);
	commit_version(f->s, "m", "1.0.0", a, 2);
	commit_version(f->s, "m", "2.0.0", b, 1);
	assert_true(referenced(f->s, 0));
	assert_true(referenced(f->s, 1));
	assert_false(referenced(f->s, 2));

	delete_version(f->s, "m", "1.0.0");
	assert_false(referenced(f->s, 0));
	assert_true(referenced(f->s, 1)); /* 2.0.0 still lists it */

	/* The record and its manifest are gone; the tombstone says why. */
	mr_err_clear(&e);
	assert_int_equal(mr_semver_parse("1.0.0", &sv, NULL), MR_OK);
	assert_int_equal(
	    store_get_version(f->s, "m", &sv, &t, &e), MR_NOT_FOUND);
	assert_int_equal(
	    store_get_manifest(f->s, "m", &sv, &m, &e), MR_NOT_FOUND);
	assert_int_equal(store_get_deleted(f->s, "m", &sv, &t, &e), MR_OK);
	assert_non_null(t->deletion);
	assert_string_equal(t->deletion->reason, "leaked labels");
	assert_string_equal(t->version, "1.0.0");
	protobuf_c_message_free_unpacked(&t->base, NULL);
	assert_int_equal(store_latest_deleted(f->s, "m", &t, &e), MR_OK);
	assert_string_equal(t->version, "1.0.0");
	protobuf_c_message_free_unpacked(&t->base, NULL);
	assert_int_equal(
	    store_latest_deleted(f->s, "other", &t, &e), MR_NOT_FOUND);
	/* A live version has no tombstone. */
	assert_int_equal(mr_semver_parse("2.0.0", &sv, NULL), MR_OK);
	assert_int_equal(
	    store_get_deleted(f->s, "m", &sv, &t, &e), MR_NOT_FOUND);
}

static void
test_gc_deletes_unreferenced_chunks_and_keeps_referenced_ones(void **state)
{
	st_fix *f = *state;
	const uint32_t a[] = {0, 1}, b[] = {1};
	store_gc_stats st;

	for (uint32_t i = 0; i < 3; i++)
		put(f->s, i);
	commit_version(f->s, "m", "1.0.0", a, 2);
	commit_version(f->s, "m", "2.0.0", b, 1);
	delete_version(f->s, "m", "1.0.0");

	st = gc(f->s, 0, false);
	assert_int_equal(st.scanned, 3);
	assert_int_equal(st.deleted, 2); /* 0: deleted version's; 2: none's */
	assert_int_equal(st.bytes_freed, 32);
	assert_int_equal(st.kept_referenced, 1);
	assert_int_equal(st.kept_grace, 0);
	assert_false(exists(f->s, 0));
	assert_true(exists(f->s, 1));
	assert_false(exists(f->s, 2));

	/* Nothing left to do. */
	st = gc(f->s, 0, false);
	assert_int_equal(st.scanned, 1);
	assert_int_equal(st.deleted, 0);
}

static void
test_gc_keeps_unreferenced_chunks_within_the_grace(void **state)
{
	st_fix *f = *state;
	store_gc_stats st;

	put(f->s, 7);
	st = gc(f->s, 3600 * 1000, false);
	assert_int_equal(st.scanned, 1);
	assert_int_equal(st.kept_grace, 1);
	assert_int_equal(st.deleted, 0);
	assert_true(exists(f->s, 7));
}

static void
test_dry_run_counts_without_deleting(void **state)
{
	st_fix *f = *state;
	store_gc_stats st;

	put(f->s, 1);
	put(f->s, 2);
	st = gc(f->s, 0, true);
	assert_int_equal(st.deleted, 2);
	assert_int_equal(st.bytes_freed, 32);
	assert_true(exists(f->s, 1));
	assert_true(exists(f->s, 2));
}

static void
test_upload_existence_check_renews_the_grace(void **state)
{
	st_fix *f = *state;
	uint8_t d[MR_DIGEST_LEN];
	const uint8_t *one = d;
	store_gc_stats st;
	bool yes = false;

	put(f->s, 3);
	age_chunk(f, 3);
	st = gc(f->s, 60 * 1000, true);
	assert_int_equal(st.deleted, 1); /* stored in 1970 */

	/* FindMissingChunks' check: present, and touched. */
	digest_of(3, d);
	assert_int_equal(store_chunks_touch(f->s, &one, 1, &yes, NULL), MR_OK);
	assert_true(yes);
	st = gc(f->s, 60 * 1000, false);
	assert_int_equal(st.kept_grace, 1);
	assert_int_equal(st.deleted, 0);

	/* A plain existence check (a commit's) touches nothing. */
	age_chunk(f, 3);
	assert_true(exists(f->s, 3));
	st = gc(f->s, 60 * 1000, true);
	assert_int_equal(st.deleted, 1);
}

static void
test_put_of_a_present_chunk_renews_the_grace(void **state)
{
	st_fix *f = *state;
	store_gc_stats st;

	put(f->s, 4);
	age_chunk(f, 4);
	put(f->s, 4); /* PutChunk of a chunk already stored */
	st = gc(f->s, 60 * 1000, false);
	assert_int_equal(st.kept_grace, 1);
	assert_true(exists(f->s, 4));
}

static void
test_gc_sweeps_in_batches_across_the_whole_store(void **state)
{
	st_fix *f = *state;
	const uint32_t n = 2 * STORE_GC_BATCH + 88;
	store_gc_stats st;
	uint32_t kept = 0;

	for (uint32_t i = 0; i < n; i++)
		put(f->s, i);
	/* Every third chunk is referenced, by versions of 8 chunks. */
	for (uint32_t i = 0, k = 0; i < n; k++) {
		uint32_t idx[8];
		size_t m = 0;
		char ver[32];

		for (; m < 8 && i < n; i += 3)
			idx[m++] = i;
		snprintf(ver, sizeof(ver), "1.0.%u", k);
		commit_version(f->s, "m", ver, idx, m);
		kept += (uint32_t)m;
	}
	st = gc(f->s, 0, false);
	assert_int_equal(st.scanned, n);
	assert_int_equal(st.kept_referenced, kept);
	assert_int_equal(st.deleted, n - kept);
	for (uint32_t i = 0; i < n; i++)
		assert_int_equal(exists(f->s, i), i % 3 == 0);
}

static void
test_open_of_a_format_2_store_indexes_chunk_references(void **state)
{
	st_fix *f = *state;
	const uint32_t a[] = {0, 1};
	uint8_t key[KEYS_MAX], d[MR_DIGEST_LEN], fmt[4];
	store_gc_stats st;
	mr_semver sv;
	st_raw r;

	put(f->s, 0);
	put(f->s, 1);
	commit_version(f->s, "m", "1.0.0", a, 2);
	st_close(f);

	/* What a format-2 store is: manifests without references. */
	assert_int_equal(mr_semver_parse("1.0.0", &sv, NULL), MR_OK);
	st_raw_open(&r, f->dir);
	for (uint32_t i = 0; i < 2; i++) {
		digest_of(i, d);
		st_raw_delete(
		    &r, KEYS_CF_CATALOG, key, keys_chunk_ref(key, d, "m", &sv));
	}
	keys_put_u32(fmt, 2);
	st_raw_put(
	    &r, KEYS_CF_DEFAULT, KEYS_FORMAT, strlen(KEYS_FORMAT), fmt, 4);
	st_raw_close(&r);

	st_open(f);
	assert_true(referenced(f->s, 0));
	assert_true(referenced(f->s, 1));
	st = gc(f->s, 0, false);
	assert_int_equal(st.kept_referenced, 2);
	assert_int_equal(st.deleted, 0);
}

/*
 * Commits race sweeps with no grace: a commit checks its chunks under the
 * writer lock as RegisterVersion does, and a sweep deletes under it too,
 * so every committed version keeps all of its chunks, and a commit that
 * finds one gone fails.
 */
struct race {
	store *s;
	atomic_bool done;
	int committed, refused;
};

static void *
sweeper(void *arg)
{
	struct race *rc = arg;
	store_gc_stats st;
	mr_err e;

	while (!rc->done)
		if (store_gc(rc->s, 0, false, &st, &e) != MR_OK)
			return (void *)1;
	return NULL;
}

static void
test_sweeps_racing_commits_never_take_a_committed_chunk(void **state)
{
	st_fix *f = *state;
	struct race rc = {.s = f->s};
	enum { VERSIONS = 200 };
	bool committed[VERSIONS] = {false};
	pthread_t th;
	void *ret;

	assert_int_equal(pthread_create(&th, NULL, sweeper, &rc), 0);
	for (uint32_t k = 0; k < VERSIONS; k++) {
		/* Two chunks of its own and one shared with the next. */
		uint32_t idx[3] = {3 * k, 3 * k + 1, 3 * k + 3};
		const uint8_t *ds[3];
		bool ok[3];
		man mf;
		mr_pb_version v = MODELREG__V1__MODEL_VERSION__INIT;
		char ver[32];
		mr_semver sv;
		store_txn *t;
		mr_err e;

		for (int i = 0; i < 3; i++)
			put(f->s, idx[i]);
		man_init(&mf, idx, 3);
		for (int i = 0; i < 3; i++)
			ds[i] = mf.digests[i];
		snprintf(ver, sizeof(ver), "1.0.%u", k);
		assert_int_equal(mr_semver_parse(ver, &sv, NULL), MR_OK);
		v.name = "m";
		v.version = ver;
		v.manifest = &mf.m;
		assert_int_equal(store_txn_begin(f->s, &t, &e), MR_OK);
		assert_int_equal(
		    store_chunks_exist(f->s, ds, 3, ok, &e), MR_OK);
		if (!ok[0] || !ok[1] || !ok[2]) {
			store_txn_abort(t);
			rc.refused++;
			continue;
		}
		assert_int_equal(store_txn_put_version(t, &v, NULL, &e), MR_OK);
		assert_int_equal(
		    store_txn_put_manifest(t, "m", &sv, &mf.m, &e), MR_OK);
		st_commit(t);
		committed[k] = true;
		rc.committed++;
	}
	rc.done = true;
	assert_int_equal(pthread_join(th, &ret), 0);
	assert_null(ret);
	print_message("%d committed, %d refused a collected chunk\n",
	    rc.committed, rc.refused);
	for (uint32_t k = 0; k < VERSIONS; k++) {
		if (!committed[k])
			continue;
		assert_true(exists(f->s, 3 * k));
		assert_true(exists(f->s, 3 * k + 1));
		assert_true(exists(f->s, 3 * k + 3));
	}
	/* And what nobody committed is garbage the last sweep takes. */
	gc(f->s, 0, false);
	for (uint32_t k = 0; k < VERSIONS; k++)
		if (!committed[k] && (k == 0 || !committed[k - 1]))
			assert_false(exists(f->s, 3 * k));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_manifest_references_its_chunks_until_its_version_is_deleted,
	        st_setup, st_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_gc_deletes_unreferenced_chunks_and_keeps_referenced_ones,
	        st_setup, st_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_gc_keeps_unreferenced_chunks_within_the_grace, st_setup,
	        st_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_dry_run_counts_without_deleting, st_setup, st_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_upload_existence_check_renews_the_grace, st_setup,
	        st_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_put_of_a_present_chunk_renews_the_grace, st_setup,
	        st_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_gc_sweeps_in_batches_across_the_whole_store, st_setup,
	        st_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_open_of_a_format_2_store_indexes_chunk_references,
	        st_setup, st_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_sweeps_racing_commits_never_take_a_committed_chunk,
	        st_setup, st_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
