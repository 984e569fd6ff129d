/*
 * test_check.c - tests of common/check.c: model names and tag keys (allowed
 * characters, first character, length limits), UTF-8 validation (overlong
 * forms, surrogates, code points past U+10FFFF, truncated sequences, stray
 * continuation bytes, NUL), free text (control characters, the multiline
 * exceptions, length) and artifact paths (empty, absolute, empty / "." /
 * ".." parts, trailing slash, valid nested paths). Each refusal must be
 * MR_INVALID_ARGUMENT with a message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "testutil.h"

typedef mr_status (*check_fn)(const char *s, mr_err *e);

static void
assert_ok(check_fn fn, const char *s)
{
	mr_err e;

	mr_err_clear(&e);
	if (fn(s, &e) != MR_OK)
		fail_msg("\"%s\" was refused: %s", s, e.msg);
}

static void
assert_invalid(check_fn fn, const char *s)
{
	mr_err e;

	mr_err_clear(&e);
	if (fn(s, &e) != MR_INVALID_ARGUMENT)
		fail_msg("\"%s\" was not refused", s != NULL ? s : "(null)");
	assert_int_equal(e.code, MR_INVALID_ARGUMENT);
	assert_true(e.msg[0] != '\0');
}

/* A string of `n` copies of `c` (caller frees). */
static char *
repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	assert_non_null(s);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/* ---- names and tag keys ------------------------------------------------ */

static void
test_name_accepts_letters_digits_dot_dash_underscore(void **state)
{
	(void)state;
	assert_ok(mr_check_name, "a");
	assert_ok(mr_check_name, "Z");
	assert_ok(mr_check_name, "7");
	assert_ok(mr_check_name, "fraud-detector");
	assert_ok(mr_check_name, "fraud_detector.v2");
	assert_ok(mr_check_name, "A.b-C_d.0");
	assert_ok(mr_check_name, "0--..__");
}

static void
test_name_must_start_with_letter_or_digit(void **state)
{
	(void)state;
	assert_invalid(mr_check_name, "-a");
	assert_invalid(mr_check_name, ".a");
	assert_invalid(mr_check_name, "_a");
	assert_invalid(mr_check_name, " a");
}

static void
test_name_refuses_other_characters(void **state)
{
	static const char *const bad[] = {
	    "a b",
	    "a/b",
	    "a:b",
	    "a\\b",
	    "a@b",
	    "a+b",
	    "a\tb",
	    "a\nb",
	    "a\x7f",
	    "caf\xc3\xa9",
	    "a\"b",
	    "a'b",
	    "a;b",
	    "a*b",
	    "a$b",
	};
	mr_err e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_invalid(mr_check_name, bad[i]);
	/* The message points at the offending byte. */
	mr_err_clear(&e);
	assert_int_equal(mr_check_name("abc/d", &e), MR_INVALID_ARGUMENT);
	assert_non_null(strstr(e.msg, "byte 3"));
}

static void
test_name_empty_or_null_is_invalid_argument(void **state)
{
	mr_err e;

	(void)state;
	assert_invalid(mr_check_name, "");
	assert_invalid(mr_check_name, NULL);
	mr_err_clear(&e);
	mr_check_name("", &e);
	assert_non_null(strstr(e.msg, "model name"));
}

static void
test_name_length_limit_is_mr_name_max(void **state)
{
	char *s = repeat('n', MR_NAME_MAX + 1);

	(void)state;
	assert_invalid(mr_check_name, s);
	s[MR_NAME_MAX] = '\0';
	assert_ok(mr_check_name, s);
	free(s);
}

static void
test_tag_key_accepts_slash_after_first_character(void **state)
{
	(void)state;
	assert_ok(mr_check_tag_key, "team");
	assert_ok(mr_check_tag_key, "team/owner");
	assert_ok(mr_check_tag_key, "k8s.io/app-name_1");
	assert_ok(mr_check_tag_key, "a/");
	assert_invalid(mr_check_tag_key, "/team");
	assert_invalid(mr_check_tag_key, "-team");
	assert_invalid(mr_check_tag_key, "team owner");
	assert_invalid(mr_check_tag_key, "team:owner");
	assert_invalid(mr_check_tag_key, "team=owner");
	assert_invalid(mr_check_tag_key, "");
	assert_invalid(mr_check_tag_key, NULL);
	/* Names do not admit the slash tag keys do. */
	assert_invalid(mr_check_name, "team/owner");
}

static void
test_tag_key_length_limit_is_mr_tag_key_max(void **state)
{
	char *s = repeat('k', MR_TAG_KEY_MAX + 1);
	mr_err e;

	(void)state;
	mr_err_clear(&e);
	assert_int_equal(mr_check_tag_key(s, &e), MR_INVALID_ARGUMENT);
	assert_non_null(strstr(e.msg, "tag key"));
	s[MR_TAG_KEY_MAX] = '\0';
	assert_ok(mr_check_tag_key, s);
	free(s);
}

/* ---- UTF-8 ------------------------------------------------------------- */

static bool
utf8(const char *s)
{
	return mr_utf8_valid(s, strlen(s));
}

static void
test_utf8_accepts_every_sequence_length_and_boundary(void **state)
{
	(void)state;
	assert_true(utf8(""));
	assert_true(utf8("plain ascii ~"));
	assert_true(utf8("\x01\x7f"));         /* controls are UTF-8 */
	assert_true(utf8("\xc2\x80"));         /* U+0080 */
	assert_true(utf8("caf\xc3\xa9"));      /* U+00E9 */
	assert_true(utf8("\xdf\xbf"));         /* U+07FF */
	assert_true(utf8("\xe0\xa0\x80"));     /* U+0800 */
	assert_true(utf8("\xe2\x82\xac"));     /* U+20AC euro */
	assert_true(utf8("\xed\x9f\xbf"));     /* U+D7FF */
	assert_true(utf8("\xee\x80\x80"));     /* U+E000 */
	assert_true(utf8("\xef\xbf\xbf"));     /* U+FFFF */
	assert_true(utf8("\xf0\x90\x80\x80")); /* U+10000 */
	assert_true(utf8("\xf0\x9f\x98\x80")); /* U+1F600 */
	assert_true(utf8("\xf4\x8f\xbf\xbf")); /* U+10FFFF */
	assert_true(utf8("a\xc3\xa9z\xe2\x82\xac\xf0\x9f\x98\x80!"));
}

static void
test_utf8_refuses_overlong_forms(void **state)
{
	(void)state;
	assert_false(utf8("\xc0\xaf")); /* '/' in two bytes */
	assert_false(utf8("\xc0\x80")); /* NUL in two bytes */
	assert_false(utf8("\xc1\xbf"));
	assert_false(utf8("\xe0\x80\xaf"));     /* '/' in three bytes */
	assert_false(utf8("\xe0\x9f\xbf"));     /* U+07FF in three bytes */
	assert_false(utf8("\xf0\x80\x80\xaf")); /* '/' in four bytes */
	assert_false(utf8("\xf0\x8f\xbf\xbf")); /* U+FFFF in four bytes */
}

static void
test_utf8_refuses_surrogates_and_past_u10ffff(void **state)
{
	(void)state;
	assert_false(utf8("\xed\xa0\x80"));             /* U+D800 */
	assert_false(utf8("\xed\xad\xbf"));             /* U+DB7F */
	assert_false(utf8("\xed\xb0\x80"));             /* U+DC00 */
	assert_false(utf8("\xed\xbf\xbf"));             /* U+DFFF */
	assert_false(utf8("\xed\xa0\xbd\xed\xb8\x80")); /* CESU-8 pair */
	assert_false(utf8("\xf4\x90\x80\x80"));         /* U+110000 */
	assert_false(utf8("\xf5\x80\x80\x80"));
	assert_false(utf8("\xf7\xbf\xbf\xbf"));
	assert_false(utf8("\xf8\x88\x80\x80\x80")); /* five-byte form */
	assert_false(utf8("\xfc\x84\x80\x80\x80\x80"));
	assert_false(utf8("\xfe"));
	assert_false(utf8("\xff"));
}

static void
test_utf8_refuses_truncated_sequences_and_stray_continuations(void **state)
{
	(void)state;
	assert_false(utf8("\xc3")); /* at the end */
	assert_false(utf8("abc\xc3"));
	assert_false(utf8("\xe2\x82"));
	assert_false(utf8("\xe2"));
	assert_false(utf8("\xf0\x9f\x98"));
	assert_false(utf8("\xf0\x9f"));
	/* Cut short by ASCII ('A' is 0x41). */
	assert_false(utf8("\xc3\x41"));
	assert_false(utf8("\xe2\x82\x41"));
	assert_false(utf8("\xf0\x9f\x98\x41"));
	assert_false(utf8("\xe2\x41\x42"));
	assert_false(utf8("\x80")); /* lone continuation */
	assert_false(utf8("a\xbf"));
	assert_false(utf8("\xc3\xa9\xa9")); /* one continuation too many */
}

static void
test_utf8_refuses_nul_inside_the_length(void **state)
{
	(void)state;
	assert_false(mr_utf8_valid("a\0b", 3));
	assert_false(mr_utf8_valid("\0", 1));
	/* The length is what is checked: a cut before the NUL is fine,
	 * and a cut inside a sequence is not. */
	assert_true(mr_utf8_valid("a\0b", 1));
	assert_false(mr_utf8_valid("\xc3\xa9", 1));
	assert_true(mr_utf8_valid("\xc3\xa9", 2));
}

/* ---- free text ---------------------------------------------------------- */

static mr_status
text_line(const char *s, mr_err *e)
{
	return mr_check_text("description", s, 16, false, e);
}

static mr_status
text_multi(const char *s, mr_err *e)
{
	return mr_check_text("description", s, 16, true, e);
}

static void
test_text_accepts_utf8_and_null(void **state)
{
	(void)state;
	assert_ok(text_line, "");
	assert_ok(text_line, NULL);
	assert_ok(text_line, "caf\xc3\xa9 \xe2\x82\xac");
	assert_ok(text_line, "0123456789abcdef"); /* exactly the limit */
}

static void
test_text_refuses_control_characters(void **state)
{
	mr_err e;

	(void)state;
	assert_invalid(text_line, "a\x01");
	assert_invalid(text_line, "a\x1f");
	assert_invalid(text_line, "a\x7f");
	assert_invalid(text_line, "\x1b[31m");
	assert_invalid(text_line, "a\rb");
	assert_invalid(text_line, "a\nb");
	assert_invalid(text_line, "a\tb");
	mr_err_clear(&e);
	assert_int_equal(text_line("ab\x01", &e), MR_INVALID_ARGUMENT);
	assert_non_null(strstr(e.msg, "description"));
	assert_non_null(strstr(e.msg, "byte 2"));
}

static void
test_text_multiline_admits_only_newline_and_tab(void **state)
{
	(void)state;
	assert_ok(text_multi, "line 1\nline 2");
	assert_ok(text_multi, "a\tb\n");
	assert_invalid(text_multi, "a\r\nb");
	assert_invalid(text_multi, "a\x0b");
	assert_invalid(text_multi, "a\x0c");
	assert_invalid(text_multi, "a\x7f");
	assert_invalid(text_multi, "\x1b");
}

static void
test_text_refuses_invalid_utf8_and_excess_length(void **state)
{
	mr_err e;

	(void)state;
	assert_invalid(text_multi, "\xc0\xaf");
	assert_invalid(text_multi, "\xed\xa0\x80");
	assert_invalid(text_multi, "abc\xe2\x82");
	assert_invalid(text_multi, "0123456789abcdefg");
	mr_err_clear(&e);
	assert_int_equal(
	    text_line("0123456789abcdefg", &e), MR_INVALID_ARGUMENT);
	assert_non_null(strstr(e.msg, "17"));
	mr_err_clear(&e);
	assert_int_equal(text_line("\xff", &e), MR_INVALID_ARGUMENT);
	assert_non_null(strstr(e.msg, "UTF-8"));
}

/* ---- paths -------------------------------------------------------------- */

static void
test_path_accepts_relative_nested_paths(void **state)
{
	(void)state;
	assert_ok(mr_check_path, "model.bin");
	assert_ok(mr_check_path, "a/b");
	assert_ok(mr_check_path, "weights/layer 1/w.npy");
	assert_ok(mr_check_path, ".hidden");
	assert_ok(mr_check_path, "a/.b/..c/...");
	assert_ok(mr_check_path, "caf\xc3\xa9/x");
}

static void
test_path_refuses_empty_and_absolute(void **state)
{
	mr_err e;

	(void)state;
	assert_invalid(mr_check_path, "");
	assert_invalid(mr_check_path, NULL);
	assert_invalid(mr_check_path, "/abs");
	assert_invalid(mr_check_path, "/");
	mr_err_clear(&e);
	mr_check_path("/abs", &e);
	assert_non_null(strstr(e.msg, "absolute"));
}

static void
test_path_refuses_empty_dot_and_dotdot_parts(void **state)
{
	(void)state;
	assert_invalid(mr_check_path, "a//b");
	assert_invalid(mr_check_path, "a/./b");
	assert_invalid(mr_check_path, "../x");
	assert_invalid(mr_check_path, "a/../x");
	assert_invalid(mr_check_path, "a/..");
	assert_invalid(mr_check_path, "..");
	assert_invalid(mr_check_path, ".");
	assert_invalid(mr_check_path, "./a");
	assert_invalid(mr_check_path, "a/.");
}

static void
test_path_refuses_trailing_slash(void **state)
{
	mr_err e;

	(void)state;
	assert_invalid(mr_check_path, "a/");
	assert_invalid(mr_check_path, "a/b/");
	mr_err_clear(&e);
	mr_check_path("a/", &e);
	assert_non_null(strstr(e.msg, "ends with"));
}

static void
test_path_refuses_control_characters_bad_utf8_and_excess_length(void **state)
{
	char *s = repeat('p', MR_PATH_MAX + 1);

	(void)state;
	assert_invalid(mr_check_path, "a\nb");
	assert_invalid(mr_check_path, "a\tb");
	assert_invalid(mr_check_path, "a\xc0\xaf");
	assert_invalid(mr_check_path, s);
	s[MR_PATH_MAX] = '\0';
	assert_ok(mr_check_path, s);
	free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        test_name_accepts_letters_digits_dot_dash_underscore),
	    cmocka_unit_test(test_name_must_start_with_letter_or_digit),
	    cmocka_unit_test(test_name_refuses_other_characters),
	    cmocka_unit_test(test_name_empty_or_null_is_invalid_argument),
	    cmocka_unit_test(test_name_length_limit_is_mr_name_max),
	    cmocka_unit_test(test_tag_key_accepts_slash_after_first_character),
	    cmocka_unit_test(test_tag_key_length_limit_is_mr_tag_key_max),
	    cmocka_unit_test(
	        test_utf8_accepts_every_sequence_length_and_boundary),
	    cmocka_unit_test(test_utf8_refuses_overlong_forms),
	    cmocka_unit_test(test_utf8_refuses_surrogates_and_past_u10ffff),
	    cmocka_unit_test(
	        test_utf8_refuses_truncated_sequences_and_stray_continuations),
	    cmocka_unit_test(test_utf8_refuses_nul_inside_the_length),
	    cmocka_unit_test(test_text_accepts_utf8_and_null),
	    cmocka_unit_test(test_text_refuses_control_characters),
	    cmocka_unit_test(test_text_multiline_admits_only_newline_and_tab),
	    cmocka_unit_test(test_text_refuses_invalid_utf8_and_excess_length),
	    cmocka_unit_test(test_path_accepts_relative_nested_paths),
	    cmocka_unit_test(test_path_refuses_empty_and_absolute),
	    cmocka_unit_test(test_path_refuses_empty_dot_and_dotdot_parts),
	    cmocka_unit_test(test_path_refuses_trailing_slash),
	    cmocka_unit_test(
	        test_path_refuses_control_characters_bad_utf8_and_excess_length),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
