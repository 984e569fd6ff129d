/*
 * test_chunk.c - tests of common/chunk.c: SHA-256 against the FIPS 180-2
 * vectors, one-shot and incremental; the encoder's choice (zstd when it
 * saves at least 1/MR_ZSTD_MIN_SAVING and the chunk has 64 bytes or more,
 * raw otherwise) and the round trip through the decoder; and the decoder's
 * refusals: a wrong digest, a raw chunk or zstd frame of the wrong size,
 * garbage and damaged frames, frames declaring a window larger than a
 * chunk needs, lengths outside 1..MR_CHUNK_MAX, unknown encodings, and a
 * zstd bomb (1 GiB of zeros compressed here) offered as a
 * 1 MiB chunk, which must be refused with a destination of exactly 1 MiB
 * (heap-allocated, so ASan catches any write past it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ZSTD_getFrameHeader, to check what the frames made here declare. */
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

#include "chunk.h"
#include "common.h"
#include "testutil.h"

#define MIB (1u << 20)

static int
setup(void **state)
{
	mr_codec *c = mr_codec_create();

	if (c == NULL)
		return -1;
	*state = c;
	return 0;
}

static int
teardown(void **state)
{
	mr_codec_free(*state);
	return 0;
}

static void
hex_of(const uint8_t d[MR_DIGEST_LEN], char out[65])
{
	mr_digest_hex(d, out);
}

static void
assert_sha256(mr_codec *c, const char *msg, const char *want)
{
	uint8_t d[MR_DIGEST_LEN];
	char hex[65];

	mr_sha256(c, msg, strlen(msg), d);
	hex_of(d, hex);
	assert_string_equal(hex, want);
}

static void
test_sha256_of_abc_is_the_fips_vector(void **state)
{
	assert_sha256(*state, "abc",
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static void
test_sha256_of_empty_and_two_block_inputs(void **state)
{
	assert_sha256(*state, "",
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_sha256(*state,
	    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void
test_incremental_sha256_matches_one_shot_whatever_the_pieces(void **state)
{
	mr_codec *c = *state;
	size_t len = 100000;
	uint8_t *buf = malloc(len);
	uint8_t one[MR_DIGEST_LEN], inc[MR_DIGEST_LEN], mid[MR_DIGEST_LEN];
	static const size_t steps[] = {1, 63, 64, 65, 4096, 99999};

	assert_non_null(buf);
	tu_fill_random(buf, len, 1);
	mr_sha256(c, buf, len, one);
	for (size_t s = 0; s < sizeof(steps) / sizeof(steps[0]); s++) {
		mr_sha256_begin(c);
		for (size_t off = 0; off < len; off += steps[s]) {
			size_t n = len - off < steps[s] ? len - off : steps[s];
			mr_sha256_update(c, buf + off, n);
			/* One-shot digests in between use their own context
			 * and do not disturb the stream. */
			if (off == 0)
				mr_sha256(c, "abc", 3, mid);
		}
		mr_sha256_end(c, inc);
		assert_memory_equal(inc, one, MR_DIGEST_LEN);
	}
	/* And the stream restarts cleanly: "abc" in three pieces. */
	mr_sha256_begin(c);
	mr_sha256_update(c, "a", 1);
	mr_sha256_update(c, "", 0);
	mr_sha256_update(c, "bc", 2);
	mr_sha256_end(c, inc);
	assert_memory_equal(inc, mid, MR_DIGEST_LEN);
	free(buf);
}

static void
test_codec_free_accepts_null(void **state)
{
	(void)state;
	mr_codec_free(NULL);
}

/* Encodes `src`, checks the encoder's choice, decodes, compares. */
static void
round_trip(mr_codec *c, const uint8_t *src, size_t len, int want_enc)
{
	size_t cap = mr_chunk_encode_bound(len);
	uint8_t *dst = malloc(cap);
	uint8_t *back = malloc(len);
	uint8_t digest[MR_DIGEST_LEN];
	const void *enc_out = NULL, *dec_out = NULL;
	size_t enc_len = 0;
	int enc = -1;
	mr_err e;

	assert_non_null(dst);
	assert_non_null(back);
	assert_true(cap >= len);
	mr_err_clear(&e);
	assert_int_equal(mr_chunk_encode(c, src, len, dst, cap, &enc, &enc_out,
	                     &enc_len, &e),
	    MR_OK);
	assert_int_equal(enc, want_enc);
	if (enc == MR_ENC_ZSTD) {
		assert_ptr_equal(enc_out, dst);
		assert_true(enc_len <= len - len / MR_ZSTD_MIN_SAVING);
	} else {
		assert_ptr_equal(enc_out, src);
		assert_int_equal(enc_len, len);
	}

	mr_sha256(c, src, len, digest);
	assert_int_equal(mr_chunk_decode(c, enc, enc_out, enc_len,
	                     (uint32_t)len, digest, back, &dec_out, &e),
	    MR_OK);
	if (enc == MR_ENC_ZSTD)
		assert_ptr_equal(dec_out, back);
	else
		assert_ptr_equal(dec_out, enc_out); /* checked in place */
	assert_memory_equal(dec_out, src, len);
	free(dst);
	free(back);
}

static void
fill_text(uint8_t *buf, size_t len)
{
	static const char line[] = "layer.%06zu.weight float32 [768, 768]\n";
	size_t off = 0;

	for (size_t i = 0; off < len; i++) {
		char tmp[64];
		int n = snprintf(tmp, sizeof(tmp), line, i);
		size_t k = len - off < (size_t)n ? len - off : (size_t)n;
		memcpy(buf + off, tmp, k);
		off += k;
	}
}

static void
test_compressible_chunk_is_encoded_zstd_and_round_trips(void **state)
{
	uint8_t *buf = malloc(MIB);

	assert_non_null(buf);
	fill_text(buf, MIB);
	round_trip(*state, buf, MIB, MR_ENC_ZSTD);
	memset(buf, 0, MIB);
	round_trip(*state, buf, MIB, MR_ENC_ZSTD);
	/* The largest chunk the decoder accepts. */
	free(buf);
	buf = calloc(1, MR_CHUNK_MAX);
	assert_non_null(buf);
	fill_text(buf, MR_CHUNK_MAX);
	round_trip(*state, buf, MR_CHUNK_MAX, MR_ENC_ZSTD);
	free(buf);
}

static void
test_random_chunk_is_encoded_raw_and_round_trips(void **state)
{
	uint8_t *buf = malloc(MIB);

	assert_non_null(buf);
	tu_fill_random(buf, MIB, 2);
	round_trip(*state, buf, MIB, MR_ENC_RAW);
	round_trip(*state, buf, 1, MR_ENC_RAW);
	round_trip(*state, buf, 1000, MR_ENC_RAW);
	free(buf);
}

static void
test_chunk_saving_less_than_an_eighth_is_encoded_raw(void **state)
{
	uint8_t *buf = malloc(MIB);

	assert_non_null(buf);
	/* Half random, half zeros: zstd saves ~50%, so zstd. */
	tu_fill_random(buf, MIB / 2, 3);
	memset(buf + MIB / 2, 0, MIB / 2);
	round_trip(*state, buf, MIB, MR_ENC_ZSTD);
	/* 1/16 zeros: zstd saves ~6%, under the 1/8 it must. */
	tu_fill_random(buf, MIB, 3);
	memset(buf, 0, MIB / 16);
	round_trip(*state, buf, MIB, MR_ENC_RAW);
	free(buf);
}

static void
test_chunk_under_64_bytes_is_encoded_raw(void **state)
{
	uint8_t zeros[64] = {0};

	round_trip(*state, zeros, 63, MR_ENC_RAW);
	round_trip(*state, zeros, 64, MR_ENC_ZSTD);
}

static void
test_encode_into_too_small_buffer_fails_without_output(void **state)
{
	uint8_t *buf = malloc(MIB);
	uint8_t dst[16];
	const void *out = NULL;
	size_t out_len = 0;
	int enc = -1;
	mr_err e;

	assert_non_null(buf);
	tu_fill_random(buf, MIB, 4);
	mr_err_clear(&e);
	assert_int_equal(mr_chunk_encode(*state, buf, MIB, dst, sizeof(dst),
	                     &enc, &out, &out_len, &e),
	    MR_INTERNAL);
	assert_int_equal(e.code, MR_INTERNAL);
	assert_int_equal(enc, -1);
	assert_null(out);
	free(buf);
}

/* A zstd frame of `len` bytes of `src`, with or without its size. */
static uint8_t *
compress(const void *src, size_t len, bool content_size, size_t *out_len)
{
	ZSTD_CCtx *cctx = ZSTD_createCCtx();
	size_t cap = ZSTD_compressBound(len);
	uint8_t *dst = malloc(cap);
	size_t n;

	assert_non_null(cctx);
	assert_non_null(dst);
	assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(
	    cctx, ZSTD_c_contentSizeFlag, content_size ? 1 : 0)));
	n = ZSTD_compress2(cctx, dst, cap, src, len);
	assert_false(ZSTD_isError(n));
	ZSTD_freeCCtx(cctx);
	*out_len = n;
	return dst;
}

/* Decodes and expects `want`; returns the message. */
static const char *
decode_fails(mr_codec *c, int enc, const void *data, size_t len,
    uint32_t raw_len, const uint8_t digest[MR_DIGEST_LEN], mr_status want)
{
	static mr_err e;
	uint8_t *dst =
	    malloc(raw_len > 0 && raw_len <= MR_CHUNK_MAX ? raw_len : 1);
	const void *out = (const void *)&e;
	mr_status rv;

	assert_non_null(dst);
	mr_err_clear(&e);
	rv = mr_chunk_decode(c, enc, data, len, raw_len, digest, dst, &out, &e);
	free(dst);
	if (rv != want)
		fail_msg("decode gave %s (%s), want %s", mr_strerror(rv), e.msg,
		    mr_strerror(want));
	assert_int_equal(e.code, want);
	assert_true(e.msg[0] != '\0');
	/* *out is written only on success. */
	assert_ptr_equal(out, (const void *)&e);
	return e.msg;
}

static void
test_decode_with_wrong_digest_is_data_loss(void **state)
{
	mr_codec *c = *state;
	uint8_t *buf = malloc(MIB);
	uint8_t digest[MR_DIGEST_LEN];
	uint8_t *frame;
	size_t flen;
	char want_hex[65];
	const char *msg;

	assert_non_null(buf);
	fill_text(buf, MIB);
	mr_sha256(c, buf, MIB, digest);
	digest[31] ^= 1;
	msg = decode_fails(c, MR_ENC_RAW, buf, MIB, MIB, digest, MR_DATA_LOSS);
	assert_non_null(strstr(msg, mr_digest_hex(digest, want_hex)));

	frame = compress(buf, MIB, true, &flen);
	decode_fails(c, MR_ENC_ZSTD, frame, flen, MIB, digest, MR_DATA_LOSS);

	/* One flipped byte in the data with the right digest. */
	digest[31] ^= 1;
	buf[12345] ^= 0x40;
	decode_fails(c, MR_ENC_RAW, buf, MIB, MIB, digest, MR_DATA_LOSS);
	free(frame);
	free(buf);
}

static void
test_decode_raw_of_wrong_length_is_data_loss(void **state)
{
	mr_codec *c = *state;
	uint8_t buf[1000];
	uint8_t digest[MR_DIGEST_LEN];

	tu_fill_random(buf, sizeof(buf), 5);
	mr_sha256(c, buf, sizeof(buf), digest);
	decode_fails(c, MR_ENC_RAW, buf, 999, 1000, digest, MR_DATA_LOSS);
	decode_fails(c, MR_ENC_RAW, buf, 1000, 999, digest, MR_DATA_LOSS);
}

static void
test_decode_frame_declaring_wrong_size_is_data_loss(void **state)
{
	mr_codec *c = *state;
	uint8_t buf[10000];
	uint8_t digest[MR_DIGEST_LEN];
	uint8_t *frame;
	size_t flen;
	const char *msg;

	fill_text(buf, sizeof(buf));
	mr_sha256(c, buf, sizeof(buf), digest);
	frame = compress(buf, sizeof(buf), true, &flen);
	msg = decode_fails(
	    c, MR_ENC_ZSTD, frame, flen, 9999, digest, MR_DATA_LOSS);
	assert_non_null(strstr(msg, "declares 10000"));
	decode_fails(c, MR_ENC_ZSTD, frame, flen, 10001, digest, MR_DATA_LOSS);
	free(frame);
}

static void
test_decode_frame_without_size_decoding_to_wrong_size_is_data_loss(void **state)
{
	mr_codec *c = *state;
	uint8_t buf[10000];
	uint8_t digest[MR_DIGEST_LEN];
	const void *out = NULL;
	uint8_t *frame, *dst;
	const char *msg;
	size_t flen;
	mr_err e;

	fill_text(buf, sizeof(buf));
	mr_sha256(c, buf, sizeof(buf), digest);
	frame = compress(buf, sizeof(buf), false, &flen);
	assert_int_equal(
	    ZSTD_getFrameContentSize(frame, flen), ZSTD_CONTENTSIZE_UNKNOWN);
	/* Longer than said: stops at the end of dst. Shorter: a gap. */
	msg = decode_fails(
	    c, MR_ENC_ZSTD, frame, flen, 9999, digest, MR_DATA_LOSS);
	assert_non_null(strstr(msg, "does not decode"));
	decode_fails(c, MR_ENC_ZSTD, frame, flen, 10001, digest, MR_DATA_LOSS);
	/* The right size still decodes. */
	dst = malloc(sizeof(buf));
	assert_non_null(dst);
	assert_int_equal(mr_chunk_decode(c, MR_ENC_ZSTD, frame, flen,
	                     sizeof(buf), digest, dst, &out, &e),
	    MR_OK);
	assert_memory_equal(out, buf, sizeof(buf));
	free(dst);
	free(frame);
}

/*
 * `len` bytes of `src` as one zstd frame with no content size and a window
 * of 2^window_log bytes: streamed, so that zstd, not knowing the size,
 * keeps the window asked for instead of shrinking it to the input.
 */
static uint8_t *
compress_window(const void *src, size_t len, int window_log, size_t *out_len)
{
	ZSTD_CCtx *cctx = ZSTD_createCCtx();
	size_t cap = ZSTD_compressBound(len) + 64;
	uint8_t *dst = malloc(cap);
	ZSTD_outBuffer out = {dst, cap, 0};
	ZSTD_inBuffer in = {src, len, 0};
	size_t rem;

	assert_non_null(cctx);
	assert_non_null(dst);
	assert_false(ZSTD_isError(
	    ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0)));
	assert_false(ZSTD_isError(
	    ZSTD_CCtx_setParameter(cctx, ZSTD_c_windowLog, window_log)));
	while (in.pos < in.size)
		assert_false(ZSTD_isError(
		    ZSTD_compressStream2(cctx, &out, &in, ZSTD_e_continue)));
	do {
		ZSTD_inBuffer none = {NULL, 0, 0};
		rem = ZSTD_compressStream2(cctx, &out, &none, ZSTD_e_end);
		assert_false(ZSTD_isError(rem));
	} while (rem != 0);
	ZSTD_freeCCtx(cctx);
	*out_len = out.pos;
	return dst;
}

static void
test_decode_frame_declaring_a_window_over_the_limit_is_data_loss(void **state)
{
	mr_codec *c = *state;
	uint8_t buf[10000];
	uint8_t digest[MR_DIGEST_LEN];
	const void *out = NULL;
	ZSTD_frameHeader fh;
	uint8_t *frame, *dst;
	const char *msg;
	size_t flen;
	mr_err e;

	fill_text(buf, sizeof(buf));
	mr_sha256(c, buf, sizeof(buf), digest);

	/* The right bytes, of the right length and digest, in a frame that
	 * asks for an 8 MiB window: zstd's one-shot decoder would decode it;
	 * we refuse it from its header. */
	frame = compress_window(buf, sizeof(buf), MR_ZSTD_WINDOW_LOG_MAX + 1,
	    &flen);
	assert_int_equal(ZSTD_getFrameHeader(&fh, frame, flen), 0);
	assert_int_equal(fh.frameContentSize, ZSTD_CONTENTSIZE_UNKNOWN);
	assert_true(fh.windowSize == 1ull << (MR_ZSTD_WINDOW_LOG_MAX + 1));
	msg = decode_fails(c, MR_ENC_ZSTD, frame, flen, sizeof(buf), digest,
	    MR_DATA_LOSS);
	assert_non_null(strstr(msg, "window of 8388608 bytes"));
	free(frame);

	/* A window of exactly 2^MR_ZSTD_WINDOW_LOG_MAX still decodes. */
	frame = compress_window(buf, sizeof(buf), MR_ZSTD_WINDOW_LOG_MAX, &flen);
	assert_int_equal(ZSTD_getFrameHeader(&fh, frame, flen), 0);
	assert_true(fh.windowSize == 1ull << MR_ZSTD_WINDOW_LOG_MAX);
	dst = malloc(sizeof(buf));
	assert_non_null(dst);
	mr_err_clear(&e);
	assert_int_equal(mr_chunk_decode(c, MR_ENC_ZSTD, frame, flen,
	                     sizeof(buf), digest, dst, &out, &e),
	    MR_OK);
	assert_memory_equal(out, buf, sizeof(buf));
	free(dst);
	free(frame);
}

static void
test_decode_garbage_and_damaged_frames_is_data_loss(void **state)
{
	mr_codec *c = *state;
	uint8_t buf[10000], junk[4096];
	uint8_t digest[MR_DIGEST_LEN];
	uint8_t *frame;
	size_t flen;

	fill_text(buf, sizeof(buf));
	mr_sha256(c, buf, sizeof(buf), digest);

	tu_fill_random(junk, sizeof(junk), 6);
	decode_fails(c, MR_ENC_ZSTD, junk, sizeof(junk), sizeof(buf), digest,
	    MR_DATA_LOSS);
	decode_fails(
	    c, MR_ENC_ZSTD, junk, 0, sizeof(buf), digest, MR_DATA_LOSS);
	decode_fails(c, MR_ENC_ZSTD, "\x28\xb5\x2f", 3, sizeof(buf), digest,
	    MR_DATA_LOSS);
	/* Raw bytes offered as zstd. */
	decode_fails(c, MR_ENC_ZSTD, buf, sizeof(buf), sizeof(buf), digest,
	    MR_DATA_LOSS);

	frame = compress(buf, sizeof(buf), true, &flen);
	assert_true(flen > 20);
	/* Truncated: the header is intact, the blocks are not. */
	decode_fails(
	    c, MR_ENC_ZSTD, frame, flen - 1, sizeof(buf), digest, MR_DATA_LOSS);
	decode_fails(
	    c, MR_ENC_ZSTD, frame, flen / 2, sizeof(buf), digest, MR_DATA_LOSS);
	/* A byte flipped inside the blocks. */
	frame[flen / 2] ^= 0x55;
	decode_fails(
	    c, MR_ENC_ZSTD, frame, flen, sizeof(buf), digest, MR_DATA_LOSS);
	free(frame);
}

static void
test_decode_length_zero_or_over_chunk_max_is_invalid_argument(void **state)
{
	mr_codec *c = *state;
	uint8_t byte = 'x';
	uint8_t digest[MR_DIGEST_LEN];

	mr_sha256(c, &byte, 1, digest);
	decode_fails(c, MR_ENC_RAW, &byte, 0, 0, digest, MR_INVALID_ARGUMENT);
	decode_fails(c, MR_ENC_ZSTD, &byte, 1, 0, digest, MR_INVALID_ARGUMENT);
	decode_fails(c, MR_ENC_RAW, &byte, 1, MR_CHUNK_MAX + 1, digest,
	    MR_INVALID_ARGUMENT);
	decode_fails(
	    c, MR_ENC_ZSTD, &byte, 1, UINT32_MAX, digest, MR_INVALID_ARGUMENT);
}

static void
test_decode_unknown_encoding_is_invalid_argument(void **state)
{
	mr_codec *c = *state;
	uint8_t byte = 'x';
	uint8_t digest[MR_DIGEST_LEN];
	const char *msg;

	mr_sha256(c, &byte, 1, digest);
	msg = decode_fails(c, 2, &byte, 1, 1, digest, MR_INVALID_ARGUMENT);
	assert_non_null(strstr(msg, "encoding 2"));
	decode_fails(c, -1, &byte, 1, 1, digest, MR_INVALID_ARGUMENT);
}

/* 1 GiB of zeros as one zstd frame, streamed through a 1 MiB buffer. */
static uint8_t *
gib_of_zeros(bool content_size, size_t *out_len)
{
	const size_t total = (size_t)1 << 30, cap = 4 * MIB;
	ZSTD_CCtx *cctx = ZSTD_createCCtx();
	uint8_t *zeros = calloc(1, MIB);
	uint8_t *dst = malloc(cap);
	ZSTD_outBuffer out = {dst, cap, 0};
	size_t rem;

	assert_non_null(cctx);
	assert_non_null(zeros);
	assert_non_null(dst);
	assert_false(ZSTD_isError(
	    ZSTD_CCtx_setParameter(cctx, ZSTD_c_compressionLevel, 1)));
	if (content_size)
		assert_false(
		    ZSTD_isError(ZSTD_CCtx_setPledgedSrcSize(cctx, total)));
	else
		assert_false(ZSTD_isError(
		    ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0)));
	for (size_t fed = 0; fed < total; fed += MIB) {
		ZSTD_inBuffer in = {zeros, MIB, 0};
		while (in.pos < in.size) {
			rem = ZSTD_compressStream2(
			    cctx, &out, &in, ZSTD_e_continue);
			assert_false(ZSTD_isError(rem));
			assert_true(out.pos < out.size);
		}
	}
	do {
		ZSTD_inBuffer in = {NULL, 0, 0};
		rem = ZSTD_compressStream2(cctx, &out, &in, ZSTD_e_end);
		assert_false(ZSTD_isError(rem));
		assert_true(out.pos < out.size);
	} while (rem != 0);
	ZSTD_freeCCtx(cctx);
	free(zeros);
	*out_len = out.pos;
	return dst;
}

static void
test_decode_zstd_bomb_is_refused_within_the_declared_length(void **state)
{
	mr_codec *c = *state;
	uint8_t *zeros = calloc(1, MIB);
	uint8_t digest[MR_DIGEST_LEN];
	uint8_t *bomb;
	size_t blen;
	const char *msg;

	assert_non_null(zeros);
	/* The digest a 1 MiB chunk of zeros would have: only the size is
	 * wrong. */
	mr_sha256(c, zeros, MIB, digest);
	free(zeros);

	/* The frame says 1 GiB: refused from its header. */
	bomb = gib_of_zeros(true, &blen);
	assert_true(blen < MIB);
	assert_int_equal(
	    ZSTD_getFrameContentSize(bomb, blen), (unsigned long long)1 << 30);
	msg =
	    decode_fails(c, MR_ENC_ZSTD, bomb, blen, MIB, digest, MR_DATA_LOSS);
	assert_non_null(strstr(msg, "1073741824"));
	free(bomb);

	/* The frame does not say: decoding stops at the 1 MiB that dst
	 * holds (decode_fails gives it exactly raw_len bytes). */
	bomb = gib_of_zeros(false, &blen);
	assert_int_equal(
	    ZSTD_getFrameContentSize(bomb, blen), ZSTD_CONTENTSIZE_UNKNOWN);
	decode_fails(c, MR_ENC_ZSTD, bomb, blen, MIB, digest, MR_DATA_LOSS);
	free(bomb);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sha256_of_abc_is_the_fips_vector),
	    cmocka_unit_test(test_sha256_of_empty_and_two_block_inputs),
	    cmocka_unit_test(
	        test_incremental_sha256_matches_one_shot_whatever_the_pieces),
	    cmocka_unit_test(test_codec_free_accepts_null),
	    cmocka_unit_test(
	        test_compressible_chunk_is_encoded_zstd_and_round_trips),
	    cmocka_unit_test(test_random_chunk_is_encoded_raw_and_round_trips),
	    cmocka_unit_test(
	        test_chunk_saving_less_than_an_eighth_is_encoded_raw),
	    cmocka_unit_test(test_chunk_under_64_bytes_is_encoded_raw),
	    cmocka_unit_test(
	        test_encode_into_too_small_buffer_fails_without_output),
	    cmocka_unit_test(test_decode_with_wrong_digest_is_data_loss),
	    cmocka_unit_test(test_decode_raw_of_wrong_length_is_data_loss),
	    cmocka_unit_test(
	        test_decode_frame_declaring_wrong_size_is_data_loss),
	    cmocka_unit_test(
	        test_decode_frame_without_size_decoding_to_wrong_size_is_data_loss),
	    cmocka_unit_test(
	        test_decode_frame_declaring_a_window_over_the_limit_is_data_loss),
	    cmocka_unit_test(
	        test_decode_garbage_and_damaged_frames_is_data_loss),
	    cmocka_unit_test(
	        test_decode_length_zero_or_over_chunk_max_is_invalid_argument),
	    cmocka_unit_test(test_decode_unknown_encoding_is_invalid_argument),
	    cmocka_unit_test(
	        test_decode_zstd_bomb_is_refused_within_the_declared_length),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
