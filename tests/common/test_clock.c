/*
 * test_clock.c - tests of common/clock.c: mr_format_time writes UTC RFC 3339
 * at second precision, mr_parse_time reads it back (round trips over a range
 * of instants), honours "+hh:mm"/"-hh:mm" offsets, accepts a bare date as its
 * midnight UTC and drops fractions of a second, and refuses garbage without
 * writing its out-parameter, including malformed offsets that end the text
 * early (parsed from heap copies so that a read past the end is caught by
 * ASan). The clocks themselves are only checked against the system's, never
 * against elapsed time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "testutil.h"

/* 2024-01-15T10:00:00Z */
#define T_2024_01_15_10 1705312800000LL

/* Parses a heap copy of `text`, exactly as long as the text. */
static int
parse(const char *text, int64_t *ms)
{
	char *copy = strdup(text);
	int rv;

	assert_non_null(copy);
	rv = mr_parse_time(copy, ms);
	free(copy);
	return rv;
}

static int64_t
parse_ok(const char *text)
{
	int64_t ms = -12345;

	if (parse(text, &ms) != 0)
		fail_msg("\"%s\" did not parse", text);
	return ms;
}

static void
assert_refused(const char *text)
{
	int64_t ms = -12345;

	if (parse(text, &ms) != -1)
		fail_msg(
		    "\"%s\" was not refused (got %lld)", text, (long long)ms);
	assert_int_equal(ms, -12345);
}

static void
test_format_writes_utc_rfc3339_seconds(void **state)
{
	char out[32];

	(void)state;
	assert_string_equal(
	    mr_format_time(T_2024_01_15_10, out), "2024-01-15T10:00:00Z");
	/* Milliseconds are cut, not rounded. */
	assert_string_equal(
	    mr_format_time(T_2024_01_15_10 + 999, out), "2024-01-15T10:00:00Z");
	assert_string_equal(mr_format_time(1000, out), "1970-01-01T00:00:01Z");
	assert_string_equal(
	    mr_format_time(951782400000LL, out), "2000-02-29T00:00:00Z");
	assert_string_equal(
	    mr_format_time(253402300799000LL, out), "9999-12-31T23:59:59Z");
}

static void
test_format_of_unset_time_is_a_dash(void **state)
{
	char out[32];

	(void)state;
	assert_string_equal(mr_format_time(0, out), "-");
	assert_string_equal(mr_format_time(-1000, out), "-");
	/* The return value is the buffer. */
	assert_ptr_equal(mr_format_time(1000, out), out);
}

static void
test_parse_utc_time(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("2024-01-15T10:00:00Z"), T_2024_01_15_10);
	assert_int_equal(parse_ok("2024-01-15t10:00:00z"), T_2024_01_15_10);
	assert_int_equal(parse_ok("2024-01-15 10:00:00Z"), T_2024_01_15_10);
	assert_int_equal(parse_ok("1970-01-01T00:00:01Z"), 1000);
	assert_int_equal(parse_ok("2000-02-29T00:00:00Z"), 951782400000LL);
}

static void
test_parse_drops_fractions_of_a_second(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("2024-01-15T10:00:00.999Z"), T_2024_01_15_10);
	assert_int_equal(
	    parse_ok("2024-01-15T10:00:00.123456789+00:00"), T_2024_01_15_10);
}

static void
test_parse_applies_offsets(void **state)
{
	(void)state;
	assert_int_equal(
	    parse_ok("2024-01-15T12:00:00+02:00"), T_2024_01_15_10);
	assert_int_equal(
	    parse_ok("2024-01-15T04:30:00-05:30"), T_2024_01_15_10);
	assert_int_equal(
	    parse_ok("2024-01-15T10:00:00+00:00"), T_2024_01_15_10);
	assert_int_equal(
	    parse_ok("2024-01-15T10:00:00-00:00"), T_2024_01_15_10);
	/* An offset that crosses midnight. */
	assert_int_equal(
	    parse_ok("2024-01-16T01:00:00+15:00"), T_2024_01_15_10);
}

static void
test_parse_date_only_is_midnight_utc(void **state)
{
	(void)state;
	assert_int_equal(parse_ok("2024-01-15"), 1705276800000LL);
	assert_int_equal(parse_ok("1970-01-02"), 86400000LL);
	assert_int_equal(
	    parse_ok("2024-01-15"), parse_ok("2024-01-15T00:00:00Z"));
}

static void
test_format_then_parse_round_trips(void **state)
{
	char out[32];
	int64_t ms = 1000;

	(void)state;
	/* Instants from 1970 to past 2100, seconds apart by odd steps. */
	for (int i = 0; i < 2000; i++) {
		int64_t back;

		mr_format_time(ms, out);
		back = parse_ok(out);
		if (back != ms / 1000 * 1000)
			fail_msg("%lld -> %s -> %lld", (long long)ms, out,
			    (long long)back);
		ms += 2147483647LL + i * 7919LL;
	}
	assert_true(ms > 4102444800000LL); /* 2100-01-01 */
}

static void
test_parse_refuses_garbage(void **state)
{
	static const char *const bad[] = {
	    "",
	    "yesterday",
	    "now",
	    "2024",
	    "2024-01",
	    "2024-13-01",
	    "2024-00-10",
	    "2024-01-32",
	    "15/01/2024",
	    "2024-01-15T",
	    "2024-01-15T10",
	    "2024-01-15T10:00",
	    "2024-01-15T10:00:00", /* no zone */
	    "2024-01-15T25:00:00Z",
	    "2024-01-15T10:60:00Z",
	    "2024-01-15T10:00:00Zjunk",
	    "2024-01-15T10:00:00Z ",
	    "2024-01-15junk",
	    "2024-01-15T10:00:00X",
	    "2024-01-15T10:00:00+0200",
	    "2024-01-15T10:00:00+02",
	    "2024-01-15T10:00:00+",
	    "2024-01-15T10:00:00-",
	    "2024-01-15T10:00:00+02:00junk",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_refused(bad[i]);
}

static void
test_parse_refuses_short_or_malformed_offsets(void **state)
{
	/* Each of these once stepped six bytes past the sign whatever the
	 * offset's real length, reading past the end of the text. */
	static const char *const bad[] = {
	    "2024-01-15T10:00:00+2:00",
	    "2024-01-15T10:00:00+02:0",
	    "2024-01-15T10:00:00+2:0",
	    "2024-01-15T10:00:00-1:5",
	    "2024-01-15T10:00:00+ 2:00",
	    "2024-01-15T10:00:00+-1:00",
	    "2024-01-15T10:00:00+02:-1",
	    "2024-01-15T10:00:00+02:+1",
	    "2024-01-15T10:00:00+0a:00",
	    "2024-01-15T10:00:00+02;00",
	    "2024-01-15T10:00:00+24:00",
	    "2024-01-15T10:00:00+02:60",
	    "2024-01-15T10:00:00+99:99",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_refused(bad[i]);
}

static int64_t
realtime_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
test_now_ms_is_the_realtime_clock_in_milliseconds(void **state)
{
	int64_t before, now, after;

	(void)state;
	before = realtime_ms();
	now = mr_now_ms();
	after = realtime_ms();
	assert_true(before <= now);
	assert_true(now <= after);
	assert_true(now > 1704067200000LL); /* 2024-01-01 */
}

static void
test_mono_ns_never_goes_back(void **state)
{
	uint64_t prev = mr_mono_ns();

	(void)state;
	for (int i = 0; i < 1000; i++) {
		uint64_t now = mr_mono_ns();
		assert_true(now >= prev);
		prev = now;
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_format_writes_utc_rfc3339_seconds),
	    cmocka_unit_test(test_format_of_unset_time_is_a_dash),
	    cmocka_unit_test(test_parse_utc_time),
	    cmocka_unit_test(test_parse_drops_fractions_of_a_second),
	    cmocka_unit_test(test_parse_applies_offsets),
	    cmocka_unit_test(test_parse_date_only_is_midnight_utc),
	    cmocka_unit_test(test_format_then_parse_round_trips),
	    cmocka_unit_test(test_parse_refuses_garbage),
	    cmocka_unit_test(test_parse_refuses_short_or_malformed_offsets),
	    cmocka_unit_test(test_now_ms_is_the_realtime_clock_in_milliseconds),
	    cmocka_unit_test(test_mono_ns_never_goes_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
