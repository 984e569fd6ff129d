/*
 * test_cdc.c - tests of common/cdc.c, the content-defined cutter.
 *
 * Chunk boundaries are stored data, so the first tests pin them down: the
 * gear table is regenerated from its definition, and the cuts of a fixed
 * pseudo-random input are compared with numbers recorded when the cutter
 * was written. The rest check the properties the registry relies on:
 * cutting through a window gives the same chunks as cutting in memory,
 * lengths stay within MR_CDC_MIN..MR_CDC_MAX, an insertion disturbs only
 * the chunks around it, the mean length is near the 1 MiB target, and
 * content without cut points (zeros) is cut at MR_CDC_MAX.
 *
 * The inputs come from splitmix64 here rather than from tests/gen.c, so
 * that the recorded cuts depend on nothing but this file and cdc.c.
 */
#include <stdlib.h>
#include <string.h>

#include "cdc.h"
#include "chunk.h"
#include "testutil.h"

#define MIB ((size_t)1 << 20)

static uint64_t
splitmix64(uint64_t *x)
{
	uint64_t z = (*x += UINT64_C(0x9e3779b97f4a7c15));

	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return z ^ (z >> 31);
}

static uint8_t *
random_bytes(size_t n, uint64_t seed)
{
	uint8_t *p = malloc(n);

	assert_non_null(p);
	for (size_t i = 0; i < n; i += 8) {
		uint64_t v = splitmix64(&seed);
		memcpy(p + i, &v, n - i < 8 ? n - i : 8);
	}
	return p;
}

typedef struct chunk {
	size_t off, len;
	uint8_t digest[MR_DIGEST_LEN];
} chunk;

/* Cuts all of p[0..n) in memory; returns the chunks (malloc'd). */
static chunk *
cut_all(const uint8_t *p, size_t n, size_t *count)
{
	chunk *c = malloc((n / MR_CDC_MIN + 1) * sizeof(*c));
	size_t k = 0;

	assert_non_null(c);
	for (size_t off = 0; off < n; k++) {
		size_t len = mr_cdc_cut(p + off, n - off, true);

		assert_true(len > 0 && len <= n - off);
		c[k].off = off;
		c[k].len = len;
		mr_sha256_once(p + off, len, c[k].digest);
		off += len;
	}
	*count = k;
	return c;
}

static bool
has_digest(const chunk *c, size_t n, const uint8_t digest[MR_DIGEST_LEN])
{
	for (size_t i = 0; i < n; i++)
		if (memcmp(c[i].digest, digest, MR_DIGEST_LEN) == 0)
			return true;
	return false;
}

static void
test_cdc_gear_table_is_splitmix64_of_the_fixed_seed(void **state)
{
	uint64_t x = UINT64_C(0x6d6f64656c726567); /* "modelreg" */

	(void)state;
	for (int i = 0; i < 256; i++)
		assert_int_equal(mr_cdc_gear[i], splitmix64(&x));
}

static void
test_cdc_cut_points_never_change(void **state)
{
	/* Recorded from this cutter; a change here breaks deduplication
	 * against everything already stored. */
	static const size_t want[] = {1232017, 1551642, 1229257, 1268033,
	    1757981, 1073544, 1510409, 1483092};
	size_t n = 12 * MIB, count;
	uint8_t *p = random_bytes(n, 1);
	chunk *c = cut_all(p, n, &count);

	(void)state;
	assert_true(count > sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(c[i].len, want[i]);
	free(c);
	free(p);
}

static void
test_cdc_cuts_are_deterministic(void **state)
{
	size_t n = 24 * MIB, count, again;
	uint8_t *p = random_bytes(n, 2);
	uint8_t *copy = malloc(n);
	chunk *a = cut_all(p, n, &count), *b;

	(void)state;
	memcpy(copy, p, n);
	b = cut_all(copy, n, &again);
	assert_int_equal(again, count);
	for (size_t i = 0; i < count; i++) {
		assert_int_equal(a[i].off, b[i].off);
		assert_int_equal(a[i].len, b[i].len);
	}
	free(a);
	free(b);
	free(copy);
	free(p);
}

/*
 * A caller that streams: offers bytes 100 KiB more at a time, from the
 * start of the chunk, until the cutter decides. The chunks must be the
 * ones cutting in memory gives.
 */
static void
test_cdc_cutting_a_stream_gives_the_chunks_of_cutting_in_memory(void **state)
{
	size_t n = 20 * MIB, count, k = 0, off = 0;
	uint8_t *p = random_bytes(n, 3);
	chunk *c;

	(void)state;
	/* Zeros from 8 MiB to 17 MiB: chunks that end at MR_CDC_MAX. */
	memset(p + 8 * MIB, 0, 9 * MIB);
	c = cut_all(p, n, &count);
	while (off < n) {
		size_t have = 0, len = 0;

		while (len == 0) {
			bool eof;

			have += 100 << 10;
			if (have > n - off)
				have = n - off;
			eof = off + have == n;
			len = mr_cdc_cut(p + off, have, eof);
			if (len == 0)
				assert_true(have < MR_CDC_MAX && !eof);
		}
		assert_true(k < count);
		assert_int_equal(off, c[k].off);
		assert_int_equal(len, c[k].len);
		off += len;
		k++;
	}
	assert_int_equal(k, count);
	free(c);
	free(p);
}

/* The same, resuming each scan where the last one stopped, in steps of
 * odd sizes (so that resumption falls on either byte of scan()'s pairs,
 * and before, inside and past the first 64 hashed bytes). */
static void
test_cdc_cut_more_gives_the_chunks_of_cutting_in_memory(void **state)
{
	size_t n = 20 * MIB, count, k = 0, off = 0, step = 0;
	static const size_t steps[] = {
	    1, 7, 100 << 10, 255 << 10, 33, 1 << 20, 64, 65, 12345, 777777};
	uint8_t *p = random_bytes(n, 4);
	chunk *c;

	(void)state;
	memset(p + 8 * MIB, 0, 9 * MIB);
	c = cut_all(p, n, &count);
	while (off < n) {
		size_t have = 0, seen = 0, len = 0;

		while (len == 0) {
			bool eof;

			have += steps[step++ % (sizeof(steps) / sizeof(steps[0]))];
			if (have > n - off)
				have = n - off;
			eof = off + have == n;
			len = mr_cdc_cut_more(p + off, have, eof, seen);
			assert_int_equal(len, mr_cdc_cut(p + off, have, eof));
			seen = have;
		}
		assert_true(k < count);
		assert_int_equal(off, c[k].off);
		assert_int_equal(len, c[k].len);
		off += len;
		k++;
	}
	assert_int_equal(k, count);
	free(c);
	free(p);
}

static void
test_cdc_chunks_respect_min_and_max(void **state)
{
	size_t n = 48 * MIB + 12345, count, at_max = 0;
	uint8_t *p = random_bytes(n, 4);
	chunk *c;

	(void)state;
	memset(p + 20 * MIB, 0, 10 * MIB); /* some chunks must hit the max */
	c = cut_all(p, n, &count);
	for (size_t i = 0; i < count; i++) {
		if (i + 1 < count)
			assert_true(c[i].len >= MR_CDC_MIN);
		assert_true(c[i].len <= MR_CDC_MAX);
		at_max += c[i].len == MR_CDC_MAX;
	}
	assert_true(at_max >= 2);
	free(c);
	free(p);
}

static void
test_cdc_short_input_is_one_chunk_at_eof_and_undecided_before(void **state)
{
	uint8_t *p = random_bytes(MR_CDC_MAX, 5);

	(void)state;
	assert_int_equal(mr_cdc_cut(p, 0, true), 0);
	assert_int_equal(mr_cdc_cut(p, 0, false), 0);
	assert_int_equal(mr_cdc_cut(p, 1, true), 1);
	assert_int_equal(mr_cdc_cut(p, 1, false), 0);
	assert_int_equal(mr_cdc_cut(p, MR_CDC_MIN, true), MR_CDC_MIN);
	assert_int_equal(mr_cdc_cut(p, MR_CDC_MIN, false), 0);
	/* Without a cut point, only MR_CDC_MAX bytes or the end decide. */
	memset(p, 0, MR_CDC_MAX);
	assert_int_equal(mr_cdc_cut(p, MR_CDC_MAX - 1, false), 0);
	assert_int_equal(mr_cdc_cut(p, MR_CDC_MAX - 1, true), MR_CDC_MAX - 1);
	assert_int_equal(mr_cdc_cut(p, MR_CDC_MAX, false), MR_CDC_MAX);
	free(p);
}

static void
test_cdc_zeros_cut_at_max(void **state)
{
	size_t n = 4 * MR_CDC_MAX + 1000, count;
	uint8_t *p = calloc(1, n);
	chunk *c = cut_all(p, n, &count);

	(void)state;
	assert_int_equal(count, 5);
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(c[i].len, MR_CDC_MAX);
	assert_int_equal(c[4].len, 1000);
	free(c);
	free(p);
}

/*
 * 100 bytes inserted at 10 MiB of 32 MiB: the chunks before the insertion
 * stay where they were, and after it the cuts fall back into step within
 * a chunk or two, so only the chunks around it are new. Cutting at fixed
 * offsets would make every chunk from 10 MiB on new (22 of them).
 */
static void
test_cdc_insertion_shifts_only_nearby_boundaries(void **state)
{
	size_t n = 32 * MIB, at = 10 * MIB, extra = 100, na, nb, fresh = 0;
	uint8_t *a = random_bytes(n, 6), *b = malloc(n + extra);
	uint8_t *ins = random_bytes(extra, 7);
	chunk *ca, *cb;

	(void)state;
	memcpy(b, a, at);
	memcpy(b + at, ins, extra);
	memcpy(b + at + extra, a + at, n - at);
	ca = cut_all(a, n, &na);
	cb = cut_all(b, n + extra, &nb);
	/* Every chunk that ends before the insertion is unchanged. */
	for (size_t i = 0; i < na && ca[i].off + ca[i].len <= at; i++) {
		assert_int_equal(cb[i].off, ca[i].off);
		assert_int_equal(cb[i].len, ca[i].len);
	}
	for (size_t i = 0; i < nb; i++)
		fresh += !has_digest(ca, na, cb[i].digest);
	assert_true(fresh >= 1 && fresh <= 3);
	assert_true(nb + 3 >= na && na + 3 >= nb);
	free(ca);
	free(cb);
	free(ins);
	free(a);
	free(b);
}

static void
test_cdc_average_near_target(void **state)
{
	size_t n = 64 * MIB, count;
	uint8_t *p = random_bytes(n, 8);
	chunk *c = cut_all(p, n, &count);
	double mean = (double)n / (double)count;

	(void)state;
	assert_true(mean >= 0.5 * MIB && mean <= 2.0 * MIB);
	free(c);
	free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        test_cdc_gear_table_is_splitmix64_of_the_fixed_seed),
	    cmocka_unit_test(test_cdc_cut_points_never_change),
	    cmocka_unit_test(test_cdc_cuts_are_deterministic),
	    cmocka_unit_test(
	        test_cdc_cutting_a_stream_gives_the_chunks_of_cutting_in_memory),
	    cmocka_unit_test(
	        test_cdc_cut_more_gives_the_chunks_of_cutting_in_memory),
	    cmocka_unit_test(test_cdc_chunks_respect_min_and_max),
	    cmocka_unit_test(
	        test_cdc_short_input_is_one_chunk_at_eof_and_undecided_before),
	    cmocka_unit_test(test_cdc_zeros_cut_at_max),
	    cmocka_unit_test(test_cdc_insertion_shifts_only_nearby_boundaries),
	    cmocka_unit_test(test_cdc_average_near_target),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
