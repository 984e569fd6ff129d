/*
 * test_semver.c - tests of common/semver.c: which texts parse as semantic
 * versions (a 'v' prefix is accepted and dropped; leading zeros, missing
 * parts, build metadata, numbers past 32 bits and texts over MR_VERSION_MAX
 * bytes are refused with MR_INVALID_ARGUMENT), the canonical text a parsed
 * version formats to, and precedence, checked against the example list of
 * semver.org section 11 in every pair, not only neighbours.
 */
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "testutil.h"

static mr_semver
parse_ok(const char *text)
{
	mr_semver v;
	mr_err e;

	mr_err_clear(&e);
	if (mr_semver_parse(text, &v, &e) != MR_OK)
		fail_msg("\"%s\" did not parse: %s", text, e.msg);
	return v;
}

static void
assert_refused(const char *text)
{
	mr_semver v;
	mr_err e;

	memset(&v, 0x5a, sizeof(v));
	mr_err_clear(&e);
	if (mr_semver_parse(text, &v, &e) != MR_INVALID_ARGUMENT)
		fail_msg(
		    "\"%s\" was not refused", text != NULL ? text : "(null)");
	assert_int_equal(e.code, MR_INVALID_ARGUMENT);
	assert_true(e.msg[0] != '\0');
	/* Out-parameters are written only on success. */
	for (size_t i = 0; i < sizeof(v); i++)
		assert_int_equal(((unsigned char *)&v)[i], 0x5a);
}

static void
assert_normalizes(const char *text, const char *want)
{
	char out[MR_VERSION_MAX + 1];
	mr_err e;

	mr_err_clear(&e);
	if (mr_semver_normalize(text, out, &e) != MR_OK)
		fail_msg("\"%s\" did not normalize: %s", text, e.msg);
	assert_string_equal(out, want);
}

static void
test_parse_release_gives_numbers_and_no_prerelease(void **state)
{
	mr_semver v = parse_ok("3.10.2");

	(void)state;
	assert_int_equal(v.major, 3);
	assert_int_equal(v.minor, 10);
	assert_int_equal(v.patch, 2);
	assert_string_equal(v.pre, "");
}

static void
test_parse_prerelease_keeps_identifiers(void **state)
{
	mr_semver v = parse_ok("1.0.0-rc.1");

	(void)state;
	assert_int_equal(v.major, 1);
	assert_int_equal(v.minor, 0);
	assert_int_equal(v.patch, 0);
	assert_string_equal(v.pre, "rc.1");

	v = parse_ok("0.0.0-0.x-y.Z9--");
	assert_string_equal(v.pre, "0.x-y.Z9--");
}

static void
test_parse_v_prefix_is_normalized_away(void **state)
{
	(void)state;
	assert_normalizes("v3.1.0", "3.1.0");
	assert_normalizes("V3.1.0", "3.1.0");
	assert_normalizes("v1.0.0-rc.1", "1.0.0-rc.1");
	assert_normalizes("3.1.0", "3.1.0");
	assert_normalizes("0.0.0", "0.0.0");
	assert_refused("vv3.1.0");
	assert_refused("v");
	assert_refused("x3.1.0");
}

static void
test_parse_largest_32_bit_numbers_are_accepted(void **state)
{
	mr_semver v = parse_ok("4294967295.4294967295.4294967295");

	(void)state;
	assert_int_equal(v.major, 4294967295u);
	assert_int_equal(v.minor, 4294967295u);
	assert_int_equal(v.patch, 4294967295u);
	assert_normalizes("4294967295.0.0", "4294967295.0.0");
}

static void
test_parse_numbers_past_32_bits_are_invalid_argument(void **state)
{
	(void)state;
	assert_refused("4294967296.0.0");
	assert_refused("0.4294967296.0");
	assert_refused("0.0.4294967296");
	assert_refused("99999999999999999999.0.0");
	/* Numeric pre-release identifiers are kept within 9 digits. */
	assert_refused("1.0.0-1234567890");
	parse_ok("1.0.0-999999999");
}

static void
test_parse_missing_or_empty_parts_are_invalid_argument(void **state)
{
	(void)state;
	assert_refused("3.1");
	assert_refused("3");
	assert_refused("1..0");
	assert_refused(".1.0");
	assert_refused("1.0.");
	assert_refused("1.0.0.0");
	assert_refused("1.0.0-");
	assert_refused("1.0.0-alpha..1");
	assert_refused("1.0.0-alpha.");
	assert_refused("1.0.0-.alpha");
}

static void
test_parse_leading_zeros_are_invalid_argument(void **state)
{
	(void)state;
	assert_refused("03.1.0");
	assert_refused("3.01.0");
	assert_refused("3.1.00");
	assert_refused("1.0.0-01");
	assert_refused("1.0.0-alpha.00");
	/* A single zero is a number, and a leading zero is fine in an
	 * alphanumeric identifier. */
	parse_ok("0.0.0-0");
	parse_ok("1.0.0-0a");
	parse_ok("1.0.0-00a");
}

static void
test_parse_build_metadata_is_invalid_argument(void **state)
{
	mr_semver v;
	mr_err e;

	(void)state;
	assert_refused("1.0.0+build");
	assert_refused("1.0.0-rc.1+build.5");
	assert_refused("1.0.0+");
	mr_err_clear(&e);
	assert_int_equal(
	    mr_semver_parse("1.0.0+build", &v, &e), MR_INVALID_ARGUMENT);
	assert_non_null(strstr(e.msg, "build metadata"));
}

static void
test_parse_empty_null_and_stray_characters_are_invalid_argument(void **state)
{
	(void)state;
	assert_refused("");
	assert_refused(NULL);
	assert_refused(" 1.0.0");
	assert_refused("1.0.0 ");
	assert_refused("-1.0.0");
	assert_refused("+1.0.0");
	assert_refused("1.0.0-alpha_1");
	assert_refused("1.0.0-alpha/1");
	assert_refused("1.0.0-\xc3\xa9");
	assert_refused("1.0.0-rc 1");
	assert_refused("a.b.c");
	assert_refused("1.0.0\n");
}

static void
test_parse_text_of_65_bytes_is_invalid_argument(void **state)
{
	char text[MR_VERSION_MAX + 2];
	char out[MR_VERSION_MAX + 1];
	mr_err e;

	(void)state;
	/* "1.0.0-" and 58 'a's: exactly MR_VERSION_MAX bytes, accepted. */
	snprintf(text, sizeof(text), "1.0.0-");
	memset(text + 6, 'a', MR_VERSION_MAX - 6);
	text[MR_VERSION_MAX] = '\0';
	assert_int_equal(strlen(text), 64);
	assert_normalizes(text, text);

	/* One byte more is refused, whatever its content. */
	text[MR_VERSION_MAX] = 'a';
	text[MR_VERSION_MAX + 1] = '\0';
	assert_refused(text);
	mr_err_clear(&e);
	assert_int_equal(
	    mr_semver_normalize(text, out, &e), MR_INVALID_ARGUMENT);
	assert_non_null(strstr(e.msg, "65"));

	/* The 'v' counts toward the limit. */
	text[0] = 'v';
	snprintf(text + 1, sizeof(text) - 1, "1.0.0-");
	memset(text + 7, 'a', MR_VERSION_MAX - 6);
	text[MR_VERSION_MAX + 1] = '\0';
	assert_refused(text);
}

static void
test_format_writes_canonical_text(void **state)
{
	mr_semver v;
	char out[MR_VERSION_MAX + 1];

	(void)state;
	memset(&v, 0, sizeof(v));
	v.major = 3;
	v.minor = 1;
	mr_semver_format(&v, out);
	assert_string_equal(out, "3.1.0");

	v.major = 1;
	v.minor = 0;
	snprintf(v.pre, sizeof(v.pre), "rc.1");
	mr_semver_format(&v, out);
	assert_string_equal(out, "1.0.0-rc.1");

	v.major = 4294967295u;
	v.minor = 4294967295u;
	v.patch = 4294967295u;
	v.pre[0] = '\0';
	mr_semver_format(&v, out);
	assert_string_equal(out, "4294967295.4294967295.4294967295");
}

static void
test_format_of_parse_is_the_input_without_v(void **state)
{
	static const char *const texts[] = {
	    "0.0.0",
	    "1.2.3",
	    "10.20.30",
	    "1.0.0-alpha",
	    "1.0.0-alpha.1",
	    "1.0.0-0.3.7",
	    "1.0.0-x.7.z.92",
	    "1.0.0-x-y-z.--",
	    "2.0.0-rc.1.a-b.999999999",
	};
	char v_text[MR_VERSION_MAX + 2];

	(void)state;
	for (size_t i = 0; i < sizeof(texts) / sizeof(texts[0]); i++) {
		assert_normalizes(texts[i], texts[i]);
		snprintf(v_text, sizeof(v_text), "v%s", texts[i]);
		assert_normalizes(v_text, texts[i]);
	}
}

static void
test_normalize_failure_sets_error(void **state)
{
	char out[MR_VERSION_MAX + 1];
	mr_err e;

	(void)state;
	mr_err_clear(&e);
	assert_int_equal(
	    mr_semver_normalize("1.0", out, &e), MR_INVALID_ARGUMENT);
	assert_int_equal(e.code, MR_INVALID_ARGUMENT);
	assert_non_null(strstr(e.msg, "\"1.0\""));
	/* A NULL error is allowed. */
	assert_int_equal(
	    mr_semver_normalize("1.0", out, NULL), MR_INVALID_ARGUMENT);
}

static int
cmp_text(const char *a, const char *b)
{
	mr_semver va = parse_ok(a), vb = parse_ok(b);

	return mr_semver_cmp(&va, &vb);
}

/* Every pair of `list` (ascending) must compare as its positions do. */
static void
assert_strictly_ascending(const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < n; j++) {
			int want = i < j ? -1 : (i > j ? 1 : 0);
			int got = cmp_text(list[i], list[j]);
			if (got != want)
				fail_msg("cmp(%s, %s) = %d, want %d", list[i],
				    list[j], got, want);
		}
	}
}

static void
test_precedence_follows_semver_org_section_11_examples(void **state)
{
	static const char *const list[] = {
	    "1.0.0-alpha",
	    "1.0.0-alpha.1",
	    "1.0.0-alpha.beta",
	    "1.0.0-beta",
	    "1.0.0-beta.2",
	    "1.0.0-beta.11",
	    "1.0.0-rc.1",
	    "1.0.0",
	};

	(void)state;
	assert_strictly_ascending(list, sizeof(list) / sizeof(list[0]));
}

static void
test_precedence_compares_numbers_numerically(void **state)
{
	static const char *const list[] = {
	    "0.0.0",
	    "0.0.1",
	    "0.0.9",
	    "0.0.10",
	    "0.1.0",
	    "0.9.0",
	    "0.10.0",
	    "1.0.0",
	    "2.0.0",
	    "3.9.0",
	    "3.10.0",
	    "10.0.0",
	    "4294967295.0.0",
	};

	(void)state;
	assert_strictly_ascending(list, sizeof(list) / sizeof(list[0]));
	assert_true(cmp_text("3.9.0", "3.10.0") < 0);
	assert_true(cmp_text("3.10.0", "3.9.0") > 0);
}

static void
test_precedence_of_prerelease_identifiers(void **state)
{
	/* Numeric identifiers sort numerically and before alphanumeric
	 * ones; alphanumeric ones sort in ASCII order ('-' < digits <
	 * upper case < lower case); a shorter list sorts first. */
	static const char *const list[] = {
	    "1.0.0-0",
	    "1.0.0-1",
	    "1.0.0-1.0",
	    "1.0.0-2",
	    "1.0.0-10",
	    "1.0.0-999999999",
	    "1.0.0--",
	    "1.0.0-0a",
	    "1.0.0-1a",
	    "1.0.0-Z",
	    "1.0.0-a",
	    "1.0.0-a.1",
	    "1.0.0-a.b",
	    "1.0.0-a-",
	    "1.0.0-a-1",
	    "1.0.0-a1",
	    "1.0.0-aa",
	    "1.0.0-b",
	    "1.0.0",
	    "1.0.1-0",
	};

	(void)state;
	assert_strictly_ascending(list, sizeof(list) / sizeof(list[0]));
}

static void
test_precedence_ignores_v_prefix(void **state)
{
	(void)state;
	assert_int_equal(cmp_text("v1.2.3", "1.2.3"), 0);
	assert_int_equal(cmp_text("v1.2.3-rc.1", "V1.2.3-rc.1"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        test_parse_release_gives_numbers_and_no_prerelease),
	    cmocka_unit_test(test_parse_prerelease_keeps_identifiers),
	    cmocka_unit_test(test_parse_v_prefix_is_normalized_away),
	    cmocka_unit_test(test_parse_largest_32_bit_numbers_are_accepted),
	    cmocka_unit_test(
	        test_parse_numbers_past_32_bits_are_invalid_argument),
	    cmocka_unit_test(
	        test_parse_missing_or_empty_parts_are_invalid_argument),
	    cmocka_unit_test(test_parse_leading_zeros_are_invalid_argument),
	    cmocka_unit_test(test_parse_build_metadata_is_invalid_argument),
	    cmocka_unit_test(
	        test_parse_empty_null_and_stray_characters_are_invalid_argument),
	    cmocka_unit_test(test_parse_text_of_65_bytes_is_invalid_argument),
	    cmocka_unit_test(test_format_writes_canonical_text),
	    cmocka_unit_test(test_format_of_parse_is_the_input_without_v),
	    cmocka_unit_test(test_normalize_failure_sets_error),
	    cmocka_unit_test(
	        test_precedence_follows_semver_org_section_11_examples),
	    cmocka_unit_test(test_precedence_compares_numbers_numerically),
	    cmocka_unit_test(test_precedence_of_prerelease_identifiers),
	    cmocka_unit_test(test_precedence_ignores_v_prefix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
