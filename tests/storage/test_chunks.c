/*
 * test_chunks.c - tests of storage/chunks.c on a real store: a chunk put
 * is found and read back byte for byte with its encoding and raw length
 * (including a real zstd frame that still decodes, and the largest chunk),
 * and survives a reopen; a second put of the same digest stores nothing and
 * keeps the first bytes; existence checks answer batches larger than the
 * 256 digests asked of RocksDB at a time; a missing chunk is MR_NOT_FOUND
 * naming its digest; an oversized put is refused; and damage made behind
 * the store's back with the RocksDB C API (data deleted, data of the wrong
 * length, a damaged record) is MR_DATA_LOSS, not a crash.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chunk.h"
#include "storetest.h"

/* A distinct digest for index i (not a real hash: the store trusts it). */
static void
digest_of(uint32_t i, uint8_t d[MR_DIGEST_LEN])
{
	tu_fill_random(d, MR_DIGEST_LEN, 1000 + i);
}

static void
put(store *s, const uint8_t d[MR_DIGEST_LEN], int enc, uint32_t raw_len,
    const void *data, size_t len, bool want_stored)
{
	bool stored = !want_stored;
	mr_err e;

	mr_err_clear(&e);
	if (store_put_chunk(s, d, enc, raw_len, data, len, &stored, &e) !=
	    MR_OK)
		fail_msg("put_chunk: %s", e.msg);
	assert_int_equal(stored, want_stored);
}

static bool
exists(store *s, const uint8_t d[MR_DIGEST_LEN])
{
	const uint8_t *one = d;
	bool yes = false;

	assert_int_equal(store_chunks_exist(s, &one, 1, &yes, NULL), MR_OK);
	return yes;
}

static void
assert_chunk(store *s, const uint8_t d[MR_DIGEST_LEN], int enc,
    uint32_t raw_len, const void *data, size_t len)
{
	store_chunk *c = NULL;
	mr_err e;

	mr_err_clear(&e);
	if (store_get_chunk(s, d, &c, &e) != MR_OK)
		fail_msg("get_chunk: %s", e.msg);
	assert_int_equal(c->encoding, enc);
	assert_int_equal(c->raw_len, raw_len);
	assert_int_equal(c->len, len);
	assert_memory_equal(c->data, data, len);
	store_chunk_release(c);
}

/* Gets a chunk expecting `want`; returns the message. */
static const char *
get_fails(store *s, const uint8_t d[MR_DIGEST_LEN], mr_status want)
{
	static mr_err e;
	store_chunk *sentinel = (store_chunk *)&e, *c = sentinel;
	mr_status rv;

	mr_err_clear(&e);
	rv = store_get_chunk(s, d, &c, &e);
	if (rv == MR_OK)
		store_chunk_release(c);
	assert_int_equal(rv, want);
	assert_int_equal(e.code, want);
	assert_ptr_equal(c, sentinel);
	return e.msg;
}

static void
test_put_then_get_round_trips_bytes_and_record(void **state)
{
	st_fix *f = *state;
	uint8_t buf[1000];
	uint8_t d[MR_DIGEST_LEN];

	tu_fill_random(buf, sizeof(buf), 1);
	digest_of(1, d);
	assert_false(exists(f->s, d));
	put(f->s, d, MR_ENC_RAW, sizeof(buf), buf, sizeof(buf), true);
	assert_true(exists(f->s, d));
	assert_chunk(f->s, d, MR_ENC_RAW, sizeof(buf), buf, sizeof(buf));
}

static void
test_zstd_chunk_comes_back_as_stored_and_still_decodes(void **state)
{
	st_fix *f = *state;
	mr_codec *codec = mr_codec_create();
	size_t len = 256 * 1024, cap = mr_chunk_encode_bound(len);
	uint8_t *src = calloc(1, len), *dst = malloc(cap), *back = malloc(len);
	uint8_t d[MR_DIGEST_LEN];
	const void *enc_out, *dec_out;
	size_t enc_len;
	store_chunk *c = NULL;
	int enc;
	mr_err e;

	assert_non_null(codec);
	assert_non_null(src);
	assert_non_null(dst);
	assert_non_null(back);
	for (size_t i = 0; i < len; i += 97)
		src[i] = (uint8_t)i;
	assert_int_equal(mr_chunk_encode(codec, src, len, dst, cap, &enc,
	                     &enc_out, &enc_len, &e),
	    MR_OK);
	assert_int_equal(enc, MR_ENC_ZSTD);
	mr_sha256(codec, src, len, d);
	put(f->s, d, enc, (uint32_t)len, enc_out, enc_len, true);

	assert_int_equal(store_get_chunk(f->s, d, &c, &e), MR_OK);
	assert_int_equal(c->encoding, MR_ENC_ZSTD);
	assert_int_equal(c->raw_len, len);
	assert_int_equal(c->len, enc_len);
	assert_int_equal(mr_chunk_decode(codec, c->encoding, c->data, c->len,
	                     c->raw_len, d, back, &dec_out, &e),
	    MR_OK);
	assert_memory_equal(dec_out, src, len);
	store_chunk_release(c);
	mr_codec_free(codec);
	free(src);
	free(dst);
	free(back);
}

static void
test_largest_chunk_round_trips_and_one_byte_more_is_refused(void **state)
{
	st_fix *f = *state;
	uint8_t *buf = malloc(MR_CHUNK_MAX + 1);
	uint8_t d[MR_DIGEST_LEN], d2[MR_DIGEST_LEN];
	bool stored = true;
	mr_err e;

	assert_non_null(buf);
	tu_fill_random(buf, MR_CHUNK_MAX + 1, 2);
	digest_of(2, d);
	put(f->s, d, MR_ENC_RAW, MR_CHUNK_MAX, buf, MR_CHUNK_MAX, true);
	assert_chunk(f->s, d, MR_ENC_RAW, MR_CHUNK_MAX, buf, MR_CHUNK_MAX);

	digest_of(3, d2);
	mr_err_clear(&e);
	assert_int_equal(store_put_chunk(f->s, d2, MR_ENC_RAW, MR_CHUNK_MAX,
	                     buf, MR_CHUNK_MAX + 1, &stored, &e),
	    MR_INVALID_ARGUMENT);
	assert_true(stored); /* not written on failure */
	assert_false(exists(f->s, d2));
	free(buf);
}

static void
test_second_put_of_a_stored_chunk_stores_nothing(void **state)
{
	st_fix *f = *state;
	uint8_t a[500], b[300];
	uint8_t d[MR_DIGEST_LEN];

	tu_fill_random(a, sizeof(a), 3);
	tu_fill_random(b, sizeof(b), 4);
	digest_of(4, d);
	put(f->s, d, MR_ENC_RAW, sizeof(a), a, sizeof(a), true);
	put(f->s, d, MR_ENC_RAW, sizeof(a), a, sizeof(a), false);
	/* Content addressing: other bytes under the same name are not
	 * stored either; the first ones stay. */
	put(f->s, d, MR_ENC_ZSTD, 999, b, sizeof(b), false);
	assert_chunk(f->s, d, MR_ENC_RAW, sizeof(a), a, sizeof(a));
}

static void
test_exists_answers_batches_larger_than_256(void **state)
{
	enum { N = 700 };
	st_fix *f = *state;
	uint8_t(*d)[MR_DIGEST_LEN] = malloc(N * MR_DIGEST_LEN);
	const uint8_t **ptrs = malloc(N * sizeof(*ptrs));
	bool *yes = malloc(N * sizeof(*yes));
	uint8_t byte = 'x';
	mr_err e;

	assert_non_null(d);
	assert_non_null(ptrs);
	assert_non_null(yes);
	for (uint32_t i = 0; i < N; i++) {
		digest_of(100 + i, d[i]);
		ptrs[i] = d[i];
		/* Present in a pattern that is not aligned to 256. */
		if (i % 3 == 0 || i == 255 || i == 256 || i == N - 1)
			put(f->s, d[i], MR_ENC_RAW, 1, &byte, 1, true);
	}
	for (size_t i = 0; i < N; i++)
		yes[i] = !(i % 3 == 0 || i == 255 || i == 256 || i == N - 1);
	mr_err_clear(&e);
	assert_int_equal(store_chunks_exist(f->s, ptrs, N, yes, &e), MR_OK);
	for (size_t i = 0; i < N; i++)
		if (yes[i] !=
		    (i % 3 == 0 || i == 255 || i == 256 || i == N - 1))
			fail_msg("digest %zu: exists says %d", i, yes[i]);

	/* An empty batch is fine; exactly 256 and 257 too. */
	assert_int_equal(store_chunks_exist(f->s, ptrs, 0, yes, &e), MR_OK);
	assert_int_equal(
	    store_chunks_exist(f->s, ptrs + 1, 257, yes, &e), MR_OK);
	assert_true(yes[254]);  /* index 255 */
	assert_true(yes[255]);  /* index 256 */
	assert_false(yes[256]); /* index 257 */
	assert_true(yes[2]);    /* index 3 */
	assert_false(yes[0]);   /* index 1 */
	free(d);
	free(ptrs);
	free(yes);
}

static void
test_get_missing_chunk_is_not_found_naming_the_digest(void **state)
{
	st_fix *f = *state;
	uint8_t d[MR_DIGEST_LEN];
	char hex[65];
	const char *msg;

	digest_of(5, d);
	msg = get_fails(f->s, d, MR_NOT_FOUND);
	assert_non_null(strstr(msg, mr_digest_hex(d, hex)));
}

static void
test_chunks_survive_reopen(void **state)
{
	st_fix *f = *state;
	uint8_t buf[4096];
	uint8_t d[MR_DIGEST_LEN];

	tu_fill_random(buf, sizeof(buf), 6);
	digest_of(6, d);
	put(f->s, d, MR_ENC_RAW, sizeof(buf), buf, sizeof(buf), true);
	st_reopen(f);
	assert_true(exists(f->s, d));
	assert_chunk(f->s, d, MR_ENC_RAW, sizeof(buf), buf, sizeof(buf));
	put(f->s, d, MR_ENC_RAW, sizeof(buf), buf, sizeof(buf), false);
}

static void
test_chunk_whose_data_was_deleted_is_data_loss(void **state)
{
	st_fix *f = *state;
	uint8_t buf[2048], other[100];
	uint8_t d[MR_DIGEST_LEN], keep[MR_DIGEST_LEN];
	char hex[65];
	const char *msg;
	st_raw r;

	tu_fill_random(buf, sizeof(buf), 7);
	tu_fill_random(other, sizeof(other), 8);
	digest_of(7, d);
	digest_of(8, keep);
	put(f->s, d, MR_ENC_RAW, sizeof(buf), buf, sizeof(buf), true);
	put(f->s, keep, MR_ENC_RAW, sizeof(other), other, sizeof(other), true);
	st_close(f);

	st_raw_open(&r, f->dir);
	st_raw_delete(&r, KEYS_CF_CHUNKS, d, MR_DIGEST_LEN);
	st_raw_close(&r);
	st_open(f);

	/* The record still claims it, so existence says yes; reading it
	 * finds the loss. */
	assert_true(exists(f->s, d));
	msg = get_fails(f->s, d, MR_DATA_LOSS);
	assert_non_null(strstr(msg, mr_digest_hex(d, hex)));
	/* Its neighbour is intact. */
	assert_chunk(
	    f->s, keep, MR_ENC_RAW, sizeof(other), other, sizeof(other));
}

static void
test_chunk_data_of_another_length_than_recorded_is_data_loss(void **state)
{
	st_fix *f = *state;
	uint8_t buf[2048];
	uint8_t d[MR_DIGEST_LEN];
	st_raw r;

	tu_fill_random(buf, sizeof(buf), 9);
	digest_of(9, d);
	put(f->s, d, MR_ENC_RAW, sizeof(buf), buf, sizeof(buf), true);
	st_close(f);
	st_raw_open(&r, f->dir);
	st_raw_put(&r, KEYS_CF_CHUNKS, d, MR_DIGEST_LEN, buf, 1000);
	st_raw_close(&r);
	st_open(f);
	get_fails(f->s, d, MR_DATA_LOSS);
}

static void
test_chunk_with_damaged_record_is_data_loss(void **state)
{
	st_fix *f = *state;
	uint8_t buf[64];
	uint8_t d[MR_DIGEST_LEN];
	st_raw r;

	tu_fill_random(buf, sizeof(buf), 10);
	digest_of(10, d);
	put(f->s, d, MR_ENC_RAW, sizeof(buf), buf, sizeof(buf), true);
	st_close(f);
	st_raw_open(&r, f->dir);
	st_raw_put(&r, KEYS_CF_CHUNKMETA, d, MR_DIGEST_LEN, "\x01\x00\x00", 3);
	st_raw_close(&r);
	st_open(f);
	get_fails(f->s, d, MR_DATA_LOSS);
}

static void
test_release_accepts_null(void **state)
{
	(void)state;
	store_chunk_release(NULL);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, st_setup, st_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_put_then_get_round_trips_bytes_and_record),
	    T(test_zstd_chunk_comes_back_as_stored_and_still_decodes),
	    T(test_largest_chunk_round_trips_and_one_byte_more_is_refused),
	    T(test_second_put_of_a_stored_chunk_stores_nothing),
	    T(test_exists_answers_batches_larger_than_256),
	    T(test_get_missing_chunk_is_not_found_naming_the_digest),
	    T(test_chunks_survive_reopen),
	    T(test_chunk_whose_data_was_deleted_is_data_loss),
	    T(test_chunk_data_of_another_length_than_recorded_is_data_loss),
	    T(test_chunk_with_damaged_record_is_data_loss),
	    cmocka_unit_test(test_release_accepts_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
