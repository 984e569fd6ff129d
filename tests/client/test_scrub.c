/*
 * test_scrub.c - the chunk scrubber (storage/scrub.c, service/scrub.c,
 * client/scrub.c) against the real server and RocksDB: clean stores,
 * chunks damaged at rest by rs_damage_chunks, chunks planted under a
 * wrong name, slicing, the background pass and bad input.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "client.h"
#include "realserver.h"
#include "scrub.pb-c.h"
#include "gen.h"
#include "testutil.h"

#define N_CHUNKS 5

typedef struct fixture {
	rs_fixture *rf;
	uint8_t digests[N_CHUNKS][MR_DIGEST_LEN];
	size_t sizes[N_CHUNKS];
} fixture;

/* Stores N_CHUNKS good raw chunks of different sizes. */
static void
plant_good(fixture *f)
{
	for (int i = 0; i < N_CHUNKS; i++) {
		size_t len = 1000 + 4096 * (size_t)i;
		uint8_t *b = malloc(len);

		assert_non_null(b);
		tu_fill_random(b, len, 100 + (uint64_t)i);
		rs_sha256(b, len, f->digests[i]);
		rs_plant_chunk(&f->rf->s, f->digests[i], b, len);
		f->sizes[i] = len;
		free(b);
	}
}

static int
setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	void *rf;

	assert_non_null(f);
	if (rs_fixture_setup(&rf, "scrub") != 0)
		return -1;
	f->rf = rf;
	plant_good(f);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fixture *f = *state;
	void *rf = f->rf;

	free(f);
	return rs_fixture_teardown(&rf);
}

static bool
is_planted(const fixture *f, const uint8_t *d)
{
	for (int i = 0; i < N_CHUNKS; i++)
		if (memcmp(f->digests[i], d, MR_DIGEST_LEN) == 0)
			return true;
	return false;
}

static void
test_clean_store_scrubs_every_chunk_with_none_damaged(void **state)
{
	fixture *f = *state;
	mr_scrub_result *r;
	uint64_t bytes = 0;

	for (int i = 0; i < N_CHUNKS; i++)
		bytes += f->sizes[i];
	assert_int_equal(mr_scrub(f->rf->c, NULL, 1000, 0, &r), MR_OK);
	assert_int_equal(r->chunks_checked, N_CHUNKS);
	assert_int_equal(r->bytes_checked, bytes);
	assert_int_equal(r->n_damaged, 0);
	assert_true(r->done);
	assert_false(r->background.enabled);
	mr_scrub_result_free(r);
}

static void
test_chunks_damaged_at_rest_are_each_reported(void **state)
{
	fixture *f = *state;
	mr_scrub_result *r;
	bool seen[N_CHUNKS] = { false };

	assert_int_equal(rs_damage_chunks(&f->rf->s), N_CHUNKS);
	assert_int_equal(mr_scrub(f->rf->c, NULL, 1000, 0, &r), MR_OK);
	assert_int_equal(r->chunks_checked, N_CHUNKS);
	assert_int_equal(r->n_damaged, N_CHUNKS);
	for (size_t i = 0; i < r->n_damaged; i++) {
		int k = -1;
		for (int j = 0; j < N_CHUNKS; j++)
			if (memcmp(f->digests[j], r->damaged[i].digest,
				MR_DIGEST_LEN) == 0)
				k = j;
		assert_true(k >= 0);
		assert_false(seen[k]);
		seen[k] = true;
		assert_string_equal(r->damaged[i].reason,
		    "data does not match its digest");
		assert_true(strlen(r->damaged[i].detail) > 0);
	}
	assert_true(r->done);
	mr_scrub_result_free(r);
}

static void
test_planted_chunk_under_wrong_digest_is_the_only_one_reported(void **state)
{
	fixture *f = *state;
	uint8_t wrong[MR_DIGEST_LEN];
	mr_scrub_result *r;

	memset(wrong, 0x5a, sizeof(wrong));
	rs_plant_chunk(&f->rf->s, wrong, "not these bytes", 15);
	assert_int_equal(mr_scrub(f->rf->c, NULL, 1000, 0, &r), MR_OK);
	assert_int_equal(r->chunks_checked, N_CHUNKS + 1);
	assert_int_equal(r->n_damaged, 1);
	assert_memory_equal(r->damaged[0].digest, wrong, MR_DIGEST_LEN);
	assert_string_equal(r->damaged[0].reason,
	    "data does not match its digest");
	mr_scrub_result_free(r);
}

static void
test_slices_of_one_chunk_visit_every_chunk_once(void **state)
{
	fixture *f = *state;
	uint8_t wrong[MR_DIGEST_LEN], next[MR_DIGEST_LEN];
	uint8_t prev[MR_DIGEST_LEN] = { 0 };
	int calls = 0, damaged = 0;
	bool have_next = false;

	memset(wrong, 0x01, sizeof(wrong));
	rs_plant_chunk(&f->rf->s, wrong, "junk", 4);
	for (;;) {
		mr_scrub_result *r;

		assert_int_equal(mr_scrub(f->rf->c, have_next ? next : NULL, 1,
				     0, &r),
		    MR_OK);
		calls++;
		assert_int_equal(r->chunks_checked, 1);
		damaged += (int)r->n_damaged;
		if (r->done) {
			mr_scrub_result_free(r);
			break;
		}
		/* Digest order: every slice starts past the previous one. */
		assert_true(memcmp(r->next, prev, MR_DIGEST_LEN) > 0);
		assert_true(is_planted(f, r->next) ||
		    memcmp(r->next, wrong, MR_DIGEST_LEN) == 0);
		memcpy(prev, r->next, MR_DIGEST_LEN);
		memcpy(next, r->next, MR_DIGEST_LEN);
		have_next = true;
		mr_scrub_result_free(r);
		assert_true(calls <= N_CHUNKS + 1);
	}
	assert_int_equal(calls, N_CHUNKS + 1);
	assert_int_equal(damaged, 1);
}

static void
test_byte_budget_ends_a_slice_after_the_chunk_that_crosses_it(void **state)
{
	fixture *f = *state;
	mr_scrub_result *r;

	assert_int_equal(mr_scrub(f->rf->c, NULL, 1000, 1, &r), MR_OK);
	assert_int_equal(r->chunks_checked, 1);
	assert_false(r->done);
	mr_scrub_result_free(r);
}

static void
test_max_chunks_zero_checks_nothing(void **state)
{
	fixture *f = *state;
	mr_scrub_result *r;

	assert_int_equal(mr_scrub(f->rf->c, NULL, 0, 0, &r), MR_OK);
	assert_int_equal(r->chunks_checked, 0);
	assert_int_equal(r->n_damaged, 0);
	mr_scrub_result_free(r);
}

static void
test_background_pass_finds_a_planted_chunk(void **state)
{
	fixture *f = *state;
	uint8_t wrong[MR_DIGEST_LEN];
	mr_scrub_result *r = NULL;
	int tries;

	memset(wrong, 0xee, sizeof(wrong));
	rs_plant_chunk(&f->rf->s, wrong, "planted", 7);
	f->rf->s.scrub_rate_mib = 1024;
	rs_restart(&f->rf->s);
	for (tries = 0; tries < 500; tries++) {
		assert_int_equal(mr_scrub(f->rf->c, NULL, 0, 0, &r), MR_OK);
		if (r->background.passes > 0)
			break;
		mr_scrub_result_free(r);
		r = NULL;
		usleep(10 * 1000);
	}
	assert_non_null(r);
	assert_true(r->background.enabled);
	assert_int_equal(r->background.rate_bytes_per_s, 1024ull << 20);
	assert_int_equal(r->background.chunks_checked, N_CHUNKS + 1);
	assert_int_equal(r->background.damaged, 1);
	assert_int_equal(r->background.last_pass_damaged, 1);
	mr_scrub_result_free(r);
}

static void
test_start_digest_of_wrong_length_is_invalid_argument(void **state)
{
	fixture *f = *state;
	Modelreg__V1__RunScrubRequest req = MODELREG__V1__RUN_SCRUB_REQUEST__INIT;
	Modelreg__V1__RunScrubResponse *resp = NULL;
	uint8_t shortd[5] = { 1, 2, 3, 4, 5 };

	req.start.data = shortd;
	req.start.len = sizeof(shortd);
	req.max_chunks = 10;
	assert_int_equal(client_call(f->rf->c, "/modelreg.v1.Scrub/Run",
			     &req.base, false,
			     &modelreg__v1__run_scrub_response__descriptor,
			     &resp),
	    MR_INVALID_ARGUMENT);
	assert_non_null(strstr(mr_client_errmsg(f->rf->c), "32"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
		T(test_clean_store_scrubs_every_chunk_with_none_damaged),
		T(test_chunks_damaged_at_rest_are_each_reported),
		T(test_planted_chunk_under_wrong_digest_is_the_only_one_reported),
		T(test_slices_of_one_chunk_visit_every_chunk_once),
		T(test_byte_budget_ends_a_slice_after_the_chunk_that_crosses_it),
		T(test_max_chunks_zero_checks_nothing),
		T(test_background_pass_finds_a_planted_chunk),
		T(test_start_digest_of_wrong_length_is_invalid_argument),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
