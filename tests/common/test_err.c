/*
 * test_err.c - tests of common/err.c: mr_fail fills an mr_err (or only
 * returns the code when given NULL) and truncates long messages safely;
 * the names of status codes, stages and event kinds are the wire names,
 * with "UNKNOWN"/""/"unknown" for values outside the enums; stage names
 * parse back, with the aliases and case-insensitively; digests print as
 * 64 lower-case hex digits.
 */
#include <string.h>

#include "common.h"
#include "testutil.h"

static void
test_fail_fills_code_and_message(void **state)
{
	mr_err e;

	(void)state;
	mr_err_clear(&e);
	assert_int_equal(
	    mr_fail(&e, MR_NOT_FOUND, "model \"%s\" has %d", "m", 7),
	    MR_NOT_FOUND);
	assert_int_equal(e.code, MR_NOT_FOUND);
	assert_string_equal(e.msg, "model \"m\" has 7");
}

static void
test_fail_with_null_err_only_returns_the_code(void **state)
{
	(void)state;
	assert_int_equal(
	    mr_fail(NULL, MR_DATA_LOSS, "x %s", "y"), MR_DATA_LOSS);
}

static void
test_fail_truncates_long_message_to_the_buffer(void **state)
{
	char big[2 * MR_ERRMSG_MAX];
	mr_err e;

	(void)state;
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	mr_fail(&e, MR_INTERNAL, "%s", big);
	assert_int_equal(strlen(e.msg), MR_ERRMSG_MAX - 1);
	assert_int_equal(e.code, MR_INTERNAL);
}

static void
test_err_clear_resets_code_and_message(void **state)
{
	mr_err e;

	(void)state;
	mr_fail(&e, MR_ABORTED, "busy");
	mr_err_clear(&e);
	assert_int_equal(e.code, MR_OK);
	assert_string_equal(e.msg, "");
	mr_err_clear(NULL); /* accepted */
}

static void
test_strerror_names_every_code_as_on_the_wire(void **state)
{
	static const char *const want[] = {
	    "OK",
	    "CANCELLED",
	    "UNKNOWN",
	    "INVALID_ARGUMENT",
	    "DEADLINE_EXCEEDED",
	    "NOT_FOUND",
	    "ALREADY_EXISTS",
	    "PERMISSION_DENIED",
	    "RESOURCE_EXHAUSTED",
	    "FAILED_PRECONDITION",
	    "ABORTED",
	    "OUT_OF_RANGE",
	    "UNIMPLEMENTED",
	    "INTERNAL",
	    "UNAVAILABLE",
	    "DATA_LOSS",
	    "UNAUTHENTICATED",
	};

	(void)state;
	for (int i = 0; i < (int)(sizeof(want) / sizeof(want[0])); i++)
		assert_string_equal(mr_strerror((mr_status)i), want[i]);
	assert_string_equal(mr_strerror(MR_NOT_FOUND), "NOT_FOUND");
	assert_string_equal(mr_strerror(MR_UNAUTHENTICATED), "UNAUTHENTICATED");
}

static void
test_strerror_of_invalid_code_is_unknown(void **state)
{
	(void)state;
	assert_string_equal(mr_strerror((mr_status)17), "UNKNOWN");
	assert_string_equal(mr_strerror((mr_status)-1), "UNKNOWN");
	assert_string_equal(mr_strerror((mr_status)1000000), "UNKNOWN");
}

static void
test_stage_names_round_trip_through_parse(void **state)
{
	static const mr_stage stages[] = {MR_STAGE_DEV, MR_STAGE_STAGING,
	    MR_STAGE_PRODUCTION, MR_STAGE_ARCHIVED};
	static const char *const names[] = {
	    "dev", "staging", "production", "archived"};

	(void)state;
	for (size_t i = 0; i < 4; i++) {
		mr_stage got = MR_STAGE_NONE;
		assert_string_equal(mr_stage_name(stages[i]), names[i]);
		assert_int_equal(mr_stage_parse(names[i], &got), 0);
		assert_int_equal(got, stages[i]);
	}
	assert_string_equal(mr_stage_name(MR_STAGE_NONE), "");
	assert_string_equal(mr_stage_name((mr_stage)99), "");
}

static void
test_stage_parse_accepts_aliases_in_any_case(void **state)
{
	static const struct {
		const char *text;
		mr_stage want;
	} cases[] = {
	    {"development", MR_STAGE_DEV},
	    {"DEV", MR_STAGE_DEV},
	    {"stage", MR_STAGE_STAGING},
	    {"Staging", MR_STAGE_STAGING},
	    {"prod", MR_STAGE_PRODUCTION},
	    {"PRODUCTION", MR_STAGE_PRODUCTION},
	    {"archive", MR_STAGE_ARCHIVED},
	    {"ArChIvEd", MR_STAGE_ARCHIVED},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mr_stage got = MR_STAGE_NONE;
		assert_int_equal(mr_stage_parse(cases[i].text, &got), 0);
		assert_int_equal(got, cases[i].want);
	}
}

static void
test_stage_parse_refuses_unknown_names_without_writing(void **state)
{
	static const char *const bad[] = {
	    "", "none", "prod ", " dev", "produc", "archived2", "1"};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		mr_stage got = (mr_stage)77;
		assert_int_equal(mr_stage_parse(bad[i], &got), -1);
		assert_int_equal(got, 77);
	}
}

static void
test_event_kind_names(void **state)
{
	(void)state;
	assert_string_equal(
	    mr_event_kind_name(MR_EVENT_MODEL_CREATED), "model_created");
	assert_string_equal(mr_event_kind_name(MR_EVENT_VERSION_REGISTERED),
	    "version_registered");
	assert_string_equal(
	    mr_event_kind_name(MR_EVENT_STAGE_CHANGED), "stage_changed");
	assert_string_equal(mr_event_kind_name(MR_EVENT_ROLLBACK), "rollback");
	assert_string_equal(mr_event_kind_name((mr_event_kind)0), "unknown");
	assert_string_equal(mr_event_kind_name((mr_event_kind)42), "unknown");
}

static void
test_digest_hex_is_64_lower_case_digits(void **state)
{
	uint8_t d[MR_DIGEST_LEN];
	char out[65];

	(void)state;
	for (int i = 0; i < MR_DIGEST_LEN; i++)
		d[i] = (uint8_t)(i * 8 + 7);
	memset(out, '#', sizeof(out));
	assert_ptr_equal(mr_digest_hex(d, out), out);
	assert_string_equal(out,
	    "070f171f272f373f474f575f676f777f"
	    "878f979fa7afb7bfc7cfd7dfe7eff7ff");
	memset(d, 0, sizeof(d));
	assert_string_equal(mr_digest_hex(d, out),
	    "0000000000000000000000000000000000000000000000000000000000000000");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fail_fills_code_and_message),
	    cmocka_unit_test(test_fail_with_null_err_only_returns_the_code),
	    cmocka_unit_test(test_fail_truncates_long_message_to_the_buffer),
	    cmocka_unit_test(test_err_clear_resets_code_and_message),
	    cmocka_unit_test(test_strerror_names_every_code_as_on_the_wire),
	    cmocka_unit_test(test_strerror_of_invalid_code_is_unknown),
	    cmocka_unit_test(test_stage_names_round_trip_through_parse),
	    cmocka_unit_test(test_stage_parse_accepts_aliases_in_any_case),
	    cmocka_unit_test(
	        test_stage_parse_refuses_unknown_names_without_writing),
	    cmocka_unit_test(test_event_kind_names),
	    cmocka_unit_test(test_digest_hex_is_64_lower_case_digits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
