/*
 * test_gc.c - Admin.CollectGarbage through the real dispatcher on a real
 * store, with the upload flow a client follows (FindMissingChunks,
 * PutChunk, RegisterVersion): chunks only a deleted version used go,
 * chunks it shared with a live version stay; an upload's chunks outlive a
 * sweep within the grace period and commit afterwards; a chunk swept
 * after the grace makes the commit fail cleanly, naming it; an existence
 * check renews the grace; a caller cannot shorten the server's grace; a
 * dry run deletes nothing.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "admin.pb-c.h"
#include "svctest.h"
#include "testutil.h"

#define KIB 1024

static Modelreg__V1__CollectGarbageResponse *
collect(st_env *env, uint64_t grace_ms, bool dry_run)
{
	Modelreg__V1__CollectGarbageRequest rq =
	    MODELREG__V1__COLLECT_GARBAGE_REQUEST__INIT;
	Modelreg__V1__CollectGarbageResponse *r = NULL;

	rq.grace_ms = grace_ms;
	rq.dry_run = dry_run;
	if (st_call(env, "Admin/CollectGarbage", &rq.base, NULL,
	        &modelreg__v1__collect_garbage_response__descriptor,
	        (ProtobufCMessage **)&r) != MR_OK)
		fail_msg("CollectGarbage: %s", env->last_message);
	return r;
}

static mr_status
commit(st_env *env, const char *version, Modelreg__V1__Manifest *m)
{
	Modelreg__V1__RegisterVersionRequest rq =
	    MODELREG__V1__REGISTER_VERSION_REQUEST__INIT;

	rq.name = "m";
	rq.version = (char *)version;
	rq.manifest = m;
	return st_call(
	    env, "Registry/RegisterVersion", &rq.base, NULL, NULL, NULL);
}

static mr_status
del_version(st_env *env, const char *version)
{
	Modelreg__V1__DeleteVersionRequest rq =
	    MODELREG__V1__DELETE_VERSION_REQUEST__INIT;

	rq.name = "m";
	rq.version = (char *)version;
	rq.reason = "superseded";
	return st_call(
	    env, "Registry/DeleteVersion", &rq.base, NULL, NULL, NULL);
}

/* How many of a manifest's chunks FindMissingChunks reports missing. */
static size_t
missing(st_env *env, const Modelreg__V1__Manifest *m)
{
	Modelreg__V1__FindMissingChunksRequest rq =
	    MODELREG__V1__FIND_MISSING_CHUNKS_REQUEST__INIT;
	Modelreg__V1__FindMissingChunksResponse *r;
	ProtobufCBinaryData ds[64];
	size_t n = 0, k;

	for (size_t i = 0; i < m->n_files; i++)
		for (size_t j = 0; j < m->files[i]->n_chunks; j++)
			ds[n++] = m->files[i]->chunks[j]->digest;
	rq.digests = ds;
	rq.n_digests = n;
	assert_int_equal(
	    st_call(env, "Artifacts/FindMissingChunks", &rq.base, NULL,
	        &modelreg__v1__find_missing_chunks_response__descriptor,
	        (ProtobufCMessage **)&r),
	    MR_OK);
	k = r->n_missing;
	modelreg__v1__find_missing_chunks_response__free_unpacked(r, NULL);
	return k;
}

/* A one-file artifact of `parts` 2 KiB parts, part i filled with
 * seeds[i]'s bytes; uploaded in 1 KiB chunks. */
static Modelreg__V1__Manifest *
upload(st_env *env, const uint64_t *seeds, size_t parts)
{
	uint8_t *data = malloc(parts * 2 * KIB);
	st_file f = {"model.bin", data, parts * 2 * KIB};
	Modelreg__V1__Manifest *m;

	for (size_t i = 0; i < parts; i++)
		tu_fill_random(data + i * 2 * KIB, 2 * KIB, seeds[i]);
	m = st_upload(env, &f, 1, false, KIB);
	free(data);
	return m;
}

static void
test_gc_frees_a_deleted_versions_chunks_but_not_those_it_shared(void **state)
{
	st_env *env = *state;
	const uint64_t a[] = {1, 2}, b[] = {1, 3};
	Modelreg__V1__Manifest *m1, *m2;
	Modelreg__V1__CollectGarbageResponse *r;

	env->w.gc_grace_ms = 0;
	m1 = upload(env, a, 2);
	assert_int_equal(commit(env, "1.0.0", m1), MR_OK);
	m2 = upload(env, b, 2); /* its first 2 chunks are m1's */
	assert_int_equal(commit(env, "2.0.0", m2), MR_OK);
	assert_int_equal(del_version(env, "1.0.0"), MR_OK);

	r = collect(env, 0, false);
	assert_int_equal(r->chunks_scanned, 6);
	assert_int_equal(r->chunks_deleted, 2);
	assert_int_equal(r->bytes_freed, 2 * KIB);
	assert_int_equal(r->kept_referenced, 4);
	assert_int_equal(r->grace_ms, 0);
	modelreg__v1__collect_garbage_response__free_unpacked(r, NULL);
	assert_int_equal(missing(env, m1), 2); /* its own part: gone */
	assert_int_equal(missing(env, m2), 0); /* shared and own: kept */
	st_manifest_free(m1);
	st_manifest_free(m2);
}

static void
test_gc_keeps_an_upload_within_the_grace_and_it_commits_after(void **state)
{
	st_env *env = *state;
	const uint64_t a[] = {11, 12};
	Modelreg__V1__Manifest *m;
	Modelreg__V1__CollectGarbageResponse *r;

	/* The default grace: an hour. */
	assert_int_equal(env->w.gc_grace_ms, MR_GC_GRACE_MS);
	m = upload(env, a, 2); /* PutChunk, no commit yet */
	r = collect(env, 0, false);
	assert_int_equal(r->chunks_scanned, 4);
	assert_int_equal(r->kept_by_grace, 4);
	assert_int_equal(r->chunks_deleted, 0);
	assert_int_equal(r->grace_ms, MR_GC_GRACE_MS);
	modelreg__v1__collect_garbage_response__free_unpacked(r, NULL);
	assert_int_equal(commit(env, "1.0.0", m), MR_OK);
	st_manifest_free(m);
}

static void
test_commit_of_a_chunk_swept_after_the_grace_fails_naming_it(void **state)
{
	st_env *env = *state;
	const uint64_t a[] = {21};
	Modelreg__V1__Manifest *m;
	Modelreg__V1__CollectGarbageResponse *r;
	char hex[65];

	env->w.gc_grace_ms = 0;
	m = upload(env, a, 1);
	r = collect(env, 0, false);
	assert_int_equal(r->chunks_deleted, 2);
	modelreg__v1__collect_garbage_response__free_unpacked(r, NULL);

	assert_int_equal(commit(env, "1.0.0", m), MR_FAILED_PRECONDITION);
	assert_non_null(strstr(env->last_message, "not stored"));
	mr_digest_hex(m->files[0]->chunks[0]->digest.data, hex);
	assert_non_null(strstr(env->last_message, hex));
	assert_null(st_model(env, "m")); /* nothing was committed */

	/* What a client does then: upload again, commit again. */
	st_manifest_free(m);
	m = upload(env, a, 1);
	assert_int_equal(commit(env, "1.0.0", m), MR_OK);
	st_manifest_free(m);
}

static void
test_existence_check_of_an_upload_renews_the_grace(void **state)
{
	st_env *env = *state;
	const uint64_t a[] = {31, 32};
	Modelreg__V1__Manifest *m;
	Modelreg__V1__CollectGarbageResponse *r;

	/* Chunks of a deleted version, older than the grace... */
	env->w.gc_grace_ms = 500;
	m = upload(env, a, 2);
	assert_int_equal(commit(env, "1.0.0", m), MR_OK);
	assert_int_equal(del_version(env, "1.0.0"), MR_OK);
	usleep(600 * 1000);
	/* ...which an upload of the same bytes finds present. */
	assert_int_equal(missing(env, m), 0);
	r = collect(env, 0, false);
	assert_int_equal(r->kept_by_grace, 4);
	assert_int_equal(r->chunks_deleted, 0);
	modelreg__v1__collect_garbage_response__free_unpacked(r, NULL);
	assert_int_equal(commit(env, "2.0.0", m), MR_OK);
	st_manifest_free(m);
}

static void
test_a_caller_may_lengthen_the_grace_but_not_shorten_it(void **state)
{
	st_env *env = *state;
	const uint64_t a[] = {41};
	Modelreg__V1__Manifest *m;
	Modelreg__V1__CollectGarbageResponse *r;

	env->w.gc_grace_ms = 60 * 1000;
	m = upload(env, a, 1);
	r = collect(env, 1, false);
	assert_int_equal(r->grace_ms, 60 * 1000);
	assert_int_equal(r->kept_by_grace, 2);
	modelreg__v1__collect_garbage_response__free_unpacked(r, NULL);
	r = collect(env, 2 * 3600 * 1000, false);
	assert_int_equal(r->grace_ms, 2 * 3600 * 1000);
	modelreg__v1__collect_garbage_response__free_unpacked(r, NULL);
	st_manifest_free(m);
}

static void
test_dry_run_deletes_nothing(void **state)
{
	st_env *env = *state;
	const uint64_t a[] = {51};
	Modelreg__V1__Manifest *m;
	Modelreg__V1__CollectGarbageResponse *r;

	env->w.gc_grace_ms = 0;
	m = upload(env, a, 1);
	r = collect(env, 0, true);
	assert_int_equal(r->chunks_deleted, 2);
	assert_int_equal(r->bytes_freed, 2 * KIB);
	modelreg__v1__collect_garbage_response__free_unpacked(r, NULL);
	assert_int_equal(missing(env, m), 0);
	st_manifest_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_gc_frees_a_deleted_versions_chunks_but_not_those_it_shared,
	        st_fixture_setup, st_fixture_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_gc_keeps_an_upload_within_the_grace_and_it_commits_after,
	        st_fixture_setup, st_fixture_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_commit_of_a_chunk_swept_after_the_grace_fails_naming_it,
	        st_fixture_setup, st_fixture_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_existence_check_of_an_upload_renews_the_grace,
	        st_fixture_setup, st_fixture_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_a_caller_may_lengthen_the_grace_but_not_shorten_it,
	        st_fixture_setup, st_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_dry_run_deletes_nothing,
	        st_fixture_setup, st_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
