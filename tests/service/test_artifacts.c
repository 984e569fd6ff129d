/*
 * test_artifacts.c - the Artifacts service: chunks are verified on the way
 * in, stored once, reported missing exactly, and returned as stored.
 */
#include <stdlib.h>
#include <string.h>

#include <zstd.h>

#include "svctest.h"
#include "testutil.h"

static mr_status
put(st_env *env, const uint8_t *digest, int enc, uint32_t raw_len,
    const void *data, size_t len, bool *stored)
{
	Modelreg__V1__PutChunkRequest rq = MODELREG__V1__PUT_CHUNK_REQUEST__INIT;
	Modelreg__V1__PutChunkResponse *r = NULL;
	mr_status rv;

	rq.digest.data = (uint8_t *)digest;
	rq.digest.len = MR_DIGEST_LEN;
	rq.encoding = (Modelreg__V1__ChunkEncoding)enc;
	rq.raw_length = raw_len;
	rq.data.data = (uint8_t *)data;
	rq.data.len = len;
	rv = st_call(env, "Artifacts/PutChunk", &rq.base, NULL,
	    &modelreg__v1__put_chunk_response__descriptor,
	    (ProtobufCMessage **)&r);
	if (rv == MR_OK) {
		if (stored != NULL)
			*stored = r->stored;
		modelreg__v1__put_chunk_response__free_unpacked(r, NULL);
	}
	return rv;
}

static Modelreg__V1__GetChunkResponse *
get(st_env *env, const uint8_t *digest)
{
	Modelreg__V1__GetChunkRequest rq = MODELREG__V1__GET_CHUNK_REQUEST__INIT;
	Modelreg__V1__GetChunkResponse *r = NULL;

	rq.digest.data = (uint8_t *)digest;
	rq.digest.len = MR_DIGEST_LEN;
	if (st_call(env, "Artifacts/GetChunk", &rq.base, NULL,
		&modelreg__v1__get_chunk_response__descriptor,
		(ProtobufCMessage **)&r) != MR_OK)
		return NULL;
	return r;
}

static void
test_put_then_get_returns_bytes_as_stored(void **state)
{
	st_env *env = *state;
	uint8_t data[5000], digest[MR_DIGEST_LEN];
	Modelreg__V1__GetChunkResponse *r;
	bool stored = false;

	tu_fill_random(data, sizeof(data), 3);
	mr_sha256(env->w.codec, data, sizeof(data), digest);
	assert_int_equal(put(env, digest, MR_ENC_RAW, sizeof(data), data,
			     sizeof(data), &stored),
	    MR_OK);
	assert_true(stored);
	r = get(env, digest);
	assert_non_null(r);
	assert_int_equal(r->encoding, MR_ENC_RAW);
	assert_int_equal(r->raw_length, sizeof(data));
	assert_int_equal(r->data.len, sizeof(data));
	assert_memory_equal(r->data.data, data, sizeof(data));
	modelreg__v1__get_chunk_response__free_unpacked(r, NULL);
}

static void
test_zstd_chunk_is_verified_and_kept_compressed(void **state)
{
	st_env *env = *state;
	size_t raw = 1 << 16;
	char *data = malloc(raw);
	size_t cap = ZSTD_compressBound(raw);
	uint8_t *z = malloc(cap), digest[MR_DIGEST_LEN];
	size_t zlen;
	Modelreg__V1__GetChunkResponse *r;

	for (size_t i = 0; i < raw; i++)
		data[i] = "{\"tree\": [0.5, 1.5]}\n"[i % 22];
	zlen = ZSTD_compress(z, cap, data, raw, 3);
	assert_false(ZSTD_isError(zlen));
	mr_sha256(env->w.codec, data, raw, digest);
	assert_int_equal(put(env, digest, MR_ENC_ZSTD, (uint32_t)raw, z, zlen,
			     NULL),
	    MR_OK);
	r = get(env, digest);
	assert_int_equal(r->encoding, MR_ENC_ZSTD);
	assert_int_equal(r->data.len, zlen);
	assert_int_equal(r->raw_length, raw);
	modelreg__v1__get_chunk_response__free_unpacked(r, NULL);
	free(data);
	free(z);
}

static void
test_put_with_wrong_digest_is_invalid_argument_and_not_stored(void **state)
{
	st_env *env = *state;
	uint8_t data[100], digest[MR_DIGEST_LEN];

	tu_fill_random(data, sizeof(data), 4);
	mr_sha256(env->w.codec, data, sizeof(data), digest);
	data[50] ^= 1;
	assert_int_equal(put(env, digest, MR_ENC_RAW, sizeof(data), data,
			     sizeof(data), NULL),
	    MR_INVALID_ARGUMENT);
	assert_non_null(strstr(env->last_message, "does not match"));
	assert_null(get(env, digest));
	assert_int_equal(env->w.codec != NULL, 1);
}

static void
test_put_with_bad_lengths_or_encoding_is_invalid_argument(void **state)
{
	st_env *env = *state;
	uint8_t data[100] = { 0 }, digest[MR_DIGEST_LEN];

	mr_sha256(env->w.codec, data, sizeof(data), digest);
	assert_int_equal(put(env, digest, MR_ENC_RAW, 99, data, sizeof(data),
			     NULL),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(put(env, digest, MR_ENC_RAW, 0, data, 0, NULL),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(put(env, digest, 7, sizeof(data), data, sizeof(data),
			     NULL),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(put(env, digest, MR_ENC_ZSTD, sizeof(data), data,
			     sizeof(data), NULL),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(put(env, digest, MR_ENC_RAW, MR_CHUNK_MAX + 1, data,
			     sizeof(data), NULL),
	    MR_INVALID_ARGUMENT);
}

static void
test_second_put_of_same_chunk_is_not_stored_again(void **state)
{
	st_env *env = *state;
	uint8_t data[100], digest[MR_DIGEST_LEN];
	bool stored = true;

	tu_fill_random(data, sizeof(data), 5);
	mr_sha256(env->w.codec, data, sizeof(data), digest);
	assert_int_equal(put(env, digest, MR_ENC_RAW, sizeof(data), data,
			     sizeof(data), &stored),
	    MR_OK);
	assert_true(stored);
	assert_int_equal(put(env, digest, MR_ENC_RAW, sizeof(data), data,
			     sizeof(data), &stored),
	    MR_OK);
	assert_false(stored);
}

static void
test_find_missing_reports_exactly_the_absent_ones(void **state)
{
	st_env *env = *state;
	Modelreg__V1__FindMissingChunksRequest rq =
	    MODELREG__V1__FIND_MISSING_CHUNKS_REQUEST__INIT;
	Modelreg__V1__FindMissingChunksResponse *r;
	enum { N = 600 };
	ProtobufCBinaryData *d = calloc(N, sizeof(*d));
	uint8_t (*digests)[MR_DIGEST_LEN] = calloc(N, MR_DIGEST_LEN);

	for (int i = 0; i < N; i++) {
		uint8_t data[64];
		tu_fill_random(data, sizeof(data), (uint64_t)i + 100);
		mr_sha256(env->w.codec, data, sizeof(data), digests[i]);
		if (i % 3 == 0)
			assert_int_equal(put(env, digests[i], MR_ENC_RAW,
					     sizeof(data), data, sizeof(data),
					     NULL),
			    MR_OK);
		d[i].data = digests[i];
		d[i].len = MR_DIGEST_LEN;
	}
	rq.n_digests = N;
	rq.digests = d;
	assert_int_equal(st_call(env, "Artifacts/FindMissingChunks", &rq.base,
			     NULL,
			     &modelreg__v1__find_missing_chunks_response__descriptor,
			     (ProtobufCMessage **)&r),
	    MR_OK);
	assert_int_equal(r->n_missing, N - N / 3);
	for (size_t i = 0; i < r->n_missing; i++)
		assert_true(r->missing[i] % 3 != 0);
	modelreg__v1__find_missing_chunks_response__free_unpacked(r, NULL);
	free(d);
	free(digests);
}

static void
test_find_missing_over_the_limit_is_invalid_argument(void **state)
{
	st_env *env = *state;
	Modelreg__V1__FindMissingChunksRequest rq =
	    MODELREG__V1__FIND_MISSING_CHUNKS_REQUEST__INIT;
	size_t n = MR_FIND_MISSING_MAX + 1;
	ProtobufCBinaryData *d = calloc(n, sizeof(*d));
	uint8_t digest[MR_DIGEST_LEN] = { 0 };

	for (size_t i = 0; i < n; i++) {
		d[i].data = digest;
		d[i].len = MR_DIGEST_LEN;
	}
	rq.n_digests = n;
	rq.digests = d;
	assert_int_equal(st_call(env, "Artifacts/FindMissingChunks", &rq.base,
			     NULL, NULL, NULL),
	    MR_INVALID_ARGUMENT);
	assert_non_null(strstr(env->last_message, "limit"));
	free(d);
}

static void
test_get_of_missing_chunk_or_short_digest_is_refused(void **state)
{
	st_env *env = *state;
	Modelreg__V1__GetChunkRequest rq = MODELREG__V1__GET_CHUNK_REQUEST__INIT;
	uint8_t digest[MR_DIGEST_LEN] = { 9 };

	assert_null(get(env, digest));
	assert_non_null(strstr(env->last_message, "not stored"));
	rq.digest.data = digest;
	rq.digest.len = 31;
	assert_int_equal(st_call(env, "Artifacts/GetChunk", &rq.base, NULL,
			     NULL, NULL),
	    MR_INVALID_ARGUMENT);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, st_fixture_setup, st_fixture_teardown)
	const struct CMUnitTest tests[] = {
		T(test_put_then_get_returns_bytes_as_stored),
		T(test_zstd_chunk_is_verified_and_kept_compressed),
		T(test_put_with_wrong_digest_is_invalid_argument_and_not_stored),
		T(test_put_with_bad_lengths_or_encoding_is_invalid_argument),
		T(test_second_put_of_same_chunk_is_not_stored_again),
		T(test_find_missing_reports_exactly_the_absent_ones),
		T(test_find_missing_over_the_limit_is_invalid_argument),
		T(test_get_of_missing_chunk_or_short_digest_is_refused),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
