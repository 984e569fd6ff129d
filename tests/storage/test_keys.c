/*
 * test_keys.c - tests of storage/keys.c. The heart is a round-trip fuzz
 * harness over a few thousand generated versions (random numbers with their
 * edge values, random lists of numeric and alphanumeric pre-release
 * identifiers drawn from a small alphabet so that prefixes and ties are
 * common, and the longest texts MR_VERSION_MAX admits): for every pair the
 * bytewise order of the version keys must be mr_semver_cmp's order, every
 * key must fit KEYS_VERKEY_MAX, and decode(encode(v)) must be v. Around it:
 * the decoder refuses truncated, trailing, mistagged and non-canonical keys;
 * the other key layouts match keys.h (prefixes that keep one model's keys
 * apart from a model whose name extends it, big-endian revisions); and the
 * chunk record encodes to its documented bytes and refuses bad lengths and
 * formats.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "keys.h"
#include "testutil.h"

/* ---- helpers ------------------------------------------------------------ */

static uint64_t
rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static mr_semver
parse_ok(const char *text)
{
	mr_semver v;
	mr_err e;

	mr_err_clear(&e);
	if (mr_semver_parse(text, &v, &e) != MR_OK)
		fail_msg("\"%s\": %s", text, e.msg);
	return v;
}

typedef struct key {
	uint8_t b[KEYS_MAX];
	size_t n;
} key;

/* RocksDB's default comparator: bytewise, a prefix first. */
static int
key_cmp(const key *a, const key *b)
{
	size_t n = a->n < b->n ? a->n : b->n;
	int c = memcmp(a->b, b->b, n);

	if (c != 0)
		return c < 0 ? -1 : 1;
	return a->n == b->n ? 0 : (a->n < b->n ? -1 : 1);
}

static int
sign(int x)
{
	return x < 0 ? -1 : x > 0;
}

static void
encode_checked(const mr_semver *v, key *k)
{
	char text[MR_VERSION_MAX + 1];
	mr_semver back;

	memset(k->b, 0xee, sizeof(k->b));
	k->n = keys_verkey(k->b, v);
	mr_semver_format(v, text);
	if (k->n > KEYS_VERKEY_MAX)
		fail_msg("key of %s is %zu bytes; KEYS_VERKEY_MAX is %d", text,
		    k->n, KEYS_VERKEY_MAX);
	/* Nothing is written past the length returned. */
	assert_int_equal(k->b[k->n], 0xee);
	memset(&back, 0x77, sizeof(back));
	if (keys_verkey_decode(k->b, k->n, &back) != 0)
		fail_msg("key of %s does not decode", text);
	if (back.major != v->major || back.minor != v->minor ||
	    back.patch != v->patch || strcmp(back.pre, v->pre) != 0)
		fail_msg("key of %s decodes to %u.%u.%u-%s", text, back.major,
		    back.minor, back.patch, back.pre);
}

static uint32_t
gen_number(uint64_t *s)
{
	static const uint32_t edges[] = {0, 1, 2, 9, 10, 11, 99, 100, 255, 256,
	    65535, 65536, 16777215, 16777216, 2147483647u, 2147483648u,
	    4294967294u, 4294967295u};
	uint64_t r = rnd(s);

	switch (r % 6) {
	case 0:
		return (uint32_t)(r >> 8) % 3;
	case 1:
		return (uint32_t)(r >> 8) % 12;
	case 2:
		return edges[(r >> 8) % (sizeof(edges) / sizeof(edges[0]))];
	case 3:
		return (uint32_t)(r >> 8) % 1000;
	default:
		return (uint32_t)(r >> 16);
	}
}

/* One pre-release identifier, valid or not (the parser decides). */
static size_t
gen_ident(uint64_t *s, char *out)
{
	static const char alpha[] = "-0169aAbzZ";
	static const uint32_t nums[] = {
	    0, 1, 2, 9, 10, 11, 99, 100, 99999999, 100000000, 999999999};
	uint64_t r = rnd(s);

	if (r % 2 == 0) {
		uint32_t v = r % 4 == 0
		    ? nums[(r >> 8) % (sizeof(nums) / sizeof(nums[0]))]
		    : (r % 4 == 2 ? (uint32_t)(r >> 8) % 20
		                  : (uint32_t)((r >> 8) % 1000000000u));
		return (size_t)sprintf(out, "%u", v);
	}
	size_t n = 1 + (r >> 8) % 5;
	for (size_t i = 0; i < n; i++)
		out[i] = alpha[(rnd(s) >> 8) % (sizeof(alpha) - 1)];
	out[n] = '\0';
	return n;
}

static void
gen_version(uint64_t *s, mr_semver *v)
{
	char text[256];
	mr_err e;

	for (;;) {
		int n = sprintf(text, "%u.%u.%u", gen_number(s), gen_number(s),
		    gen_number(s));
		uint64_t r = rnd(s);

		if (r % 5 >= 2) {
			size_t ids = 1 + (r >> 8) % 5;
			text[n++] = '-';
			for (size_t i = 0; i < ids; i++) {
				if (i > 0)
					text[n++] = '.';
				n += (int)gen_ident(s, text + n);
			}
			text[n] = '\0';
		}
		/* Leading zeros in a numeric identifier, an overlong
		 * text: draw again. */
		if (mr_semver_parse(text, v, &e) == MR_OK)
			return;
	}
}

/* ---- version keys ------------------------------------------------------- */

static void
test_verkey_order_matches_semver_cmp_and_decode_inverts_encode(void **state)
{
	enum { N = 3000 };
	static const char *const fixed[] = {
	    "1.0.0-alpha",
	    "1.0.0-alpha.1",
	    "1.0.0-alpha.beta",
	    "1.0.0-beta",
	    "1.0.0-beta.2",
	    "1.0.0-beta.11",
	    "1.0.0-rc.1",
	    "1.0.0",
	    "3.9.0",
	    "3.10.0",
	    "0.0.0",
	    "0.0.0-0",
	    "4294967295.4294967295.4294967295",
	    "1.0.0-a",
	    "1.0.0-a-",
	    "1.0.0-a.0",
	    "1.0.0-a0",
	    "1.0.0--",
	    "1.0.0-999999999",
	    "1.0.0-0.0.0.0",
	    /* The longest texts: 29 one-digit numeric identifiers, and
	     * one alphanumeric identifier of 58 characters. */
	    "0.0.0-1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.10",
	    "0.0.0-1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.1.9",
	    "0.0.0-a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.a.aa",
	    "9.9.9-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	const size_t nfixed = sizeof(fixed) / sizeof(fixed[0]);
	const size_t total = nfixed + N;
	mr_semver *v = calloc(total, sizeof(*v));
	key *k = calloc(total, sizeof(*k));
	uint64_t seed = 0x5eed5eed12345ull;
	size_t equal = 0, with_pre = 0;

	(void)state;
	assert_non_null(v);
	assert_non_null(k);
	for (size_t i = 0; i < nfixed; i++)
		v[i] = parse_ok(fixed[i]);
	for (size_t i = nfixed; i < total; i++)
		gen_version(&seed, &v[i]);
	for (size_t i = 0; i < total; i++) {
		encode_checked(&v[i], &k[i]);
		with_pre += v[i].pre[0] != '\0';
	}

	for (size_t i = 0; i < total; i++) {
		for (size_t j = i; j < total; j++) {
			int want = sign(mr_semver_cmp(&v[i], &v[j]));
			int got = key_cmp(&k[i], &k[j]);
			if (got != want) {
				char a[MR_VERSION_MAX + 1],
				    b[MR_VERSION_MAX + 1];
				mr_semver_format(&v[i], a);
				mr_semver_format(&v[j], b);
				fail_msg("%s vs %s: keys say %d, semver %d", a,
				    b, got, want);
			}
			if (i != j && want == 0)
				equal++;
		}
	}
	/* The generator must exercise ties and pre-releases, or the
	 * comparison above proves little. */
	assert_true(equal > 0);
	assert_true(with_pre > total / 3);
	assert_true(with_pre < total);
	free(v);
	free(k);
}

static void
test_verkey_layout_matches_keys_h(void **state)
{
	mr_semver v = parse_ok("1.2.3");
	uint8_t k[KEYS_MAX];
	static const uint8_t release[] = {
	    0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0xff};
	static const uint8_t pre[] = {0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0x02,
	    'r', 'c', 0x00, 0x01, 0, 0, 1, 0, 0x00};

	(void)state;
	assert_int_equal(keys_verkey(k, &v), sizeof(release));
	assert_memory_equal(k, release, sizeof(release));
	v = parse_ok("1.2.3-rc.256");
	assert_int_equal(keys_verkey(k, &v), sizeof(pre));
	assert_memory_equal(k, pre, sizeof(pre));
}

static void
assert_decode_refused(const uint8_t *bytes, size_t n, const char *why)
{
	mr_semver v;

	memset(&v, 0x5a, sizeof(v));
	if (keys_verkey_decode(bytes, n, &v) != -1)
		fail_msg("a key with %s decoded to %u.%u.%u-%s", why, v.major,
		    v.minor, v.patch, v.pre);
	for (size_t i = 0; i < sizeof(v); i++)
		assert_int_equal(((uint8_t *)&v)[i], 0x5a);
}

/* Builds 12 bytes of numbers 1.2.3 followed by `tail`. */
static size_t
mk(uint8_t *out, const void *tail, size_t n)
{
	static const uint8_t nums[12] = {0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3};

	memcpy(out, nums, 12);
	memcpy(out + 12, tail, n);
	return 12 + n;
}

#define REFUSED(tail, why)                                                     \
	do {                                                                   \
		uint8_t b_[KEYS_MAX];                                          \
		size_t n_ = mk(b_, tail, sizeof(tail) - 1);                    \
		assert_decode_refused(b_, n_, why);                            \
	} while (0)

static void
test_verkey_decode_refuses_malformed_keys(void **state)
{
	uint8_t b[KEYS_MAX];
	mr_semver v;

	(void)state;
	/* Sanity: the builder makes keys that do decode. */
	assert_int_equal(keys_verkey_decode(b, mk(b, "\xff", 1), &v), 0);
	assert_int_equal(
	    keys_verkey_decode(b, mk(b, "\x02rc\x00\x00", 5), &v), 0);
	assert_string_equal(v.pre, "rc");

	assert_decode_refused(b, 0, "no bytes");
	assert_decode_refused(b, 12, "only numbers");
	/* clang-format off */
	REFUSED("\xff\x00", "bytes after the release mark");
	REFUSED("\xff\xff", "two release marks");
	REFUSED("\x00", "an empty identifier list");
	REFUSED("\x03" "a\x00\x00", "an unknown identifier tag");
	REFUSED("\x01\x00\x00", "a cut numeric identifier");
	REFUSED("\x01\x00\x00\x00\x01", "no end mark");
	REFUSED("\x02" "ab", "an unterminated identifier");
	REFUSED("\x02" "a\x00", "no end mark after an identifier");
	REFUSED("\x02\x00\x00", "an empty alphanumeric identifier");
	REFUSED("\x02" "a\x00\x00\x00", "a byte after the end mark");
	REFUSED("\x02" "a\x00\x00" "x", "bytes after the end mark");
	REFUSED("\x02" "a\x00\x01\x00\x00", "a cut second identifier");
	/* clang-format on */
}

static void
test_verkey_decode_refuses_keys_the_encoder_never_writes(void **state)
{
	uint8_t b[KEYS_MAX];
	size_t n;

	(void)state;
	/* Each decodes to something the encoder would have written another
	 * way, so it would sort out of precedence order. */
	/* clang-format off */
	REFUSED("\x02" "7\x00\x00", "digits as an alphanumeric identifier");
	REFUSED("\x02" "01\x00\x00", "a zero-led number as text");
	REFUSED("\x02" "a.b\x00\x00", "a '.' inside an identifier");
	REFUSED("\x02" "a_b\x00\x00", "a '_' inside an identifier");
	REFUSED("\x02" "a\xff\x00\x00", "a 0xff byte inside an identifier");
	REFUSED("\x02" "a\x01" "b\x00\x00", "a 0x01 byte inside an identifier");
	REFUSED("\x01\x3b\x9a\xca\x00\x00", "a ten-digit number (10^9)");
	REFUSED("\x01\xff\xff\xff\xff\x00", "a ten-digit number (2^32-1)");
	/* clang-format on */

	/* A version whose text would exceed MR_VERSION_MAX bytes:
	 * 4294967295.0.0- and a 50-character identifier (65 bytes). */
	memset(b, 0, 12);
	memset(b, 0xff, 4);
	n = 12;
	b[n++] = 0x02;
	memset(b + n, 'a', 50);
	n += 50;
	b[n++] = 0x00;
	b[n++] = 0x00;
	assert_decode_refused(b, n, "a text of 65 bytes");
	/* One character less fits. */
	b[n - 3] = 0x00;
	n--;
	{
		mr_semver v;
		assert_int_equal(keys_verkey_decode(b, n, &v), 0);
		assert_int_equal(strlen(v.pre), 49);
	}
}

/* ---- other layouts ------------------------------------------------------ */

static bool
has_prefix(const uint8_t *k, size_t kn, const uint8_t *p, size_t pn)
{
	return kn >= pn && memcmp(k, p, pn) == 0;
}

static void
test_model_key_is_m_and_name(void **state)
{
	uint8_t k[KEYS_MAX];

	(void)state;
	assert_int_equal(keys_model(k, "fraud"), 6);
	assert_memory_equal(k, "Mfraud", 6);
}

static void
test_version_and_manifest_keys_share_a_per_model_prefix(void **state)
{
	mr_semver v = parse_ok("2.0.0-rc.1");
	uint8_t k[KEYS_MAX], p[KEYS_MAX], vk[KEYS_MAX], other[KEYS_MAX];
	size_t kn, pn, vn, on;

	(void)state;
	vn = keys_verkey(vk, &v);
	kn = keys_version(k, KEYS_VERSION, "m", &v);
	assert_int_equal(kn, 3 + vn);
	assert_memory_equal(k, "Vm\0", 3);
	assert_memory_equal(k + 3, vk, vn);
	pn = keys_version_prefix(p, KEYS_VERSION, "m");
	assert_int_equal(pn, 3);
	assert_true(has_prefix(k, kn, p, pn));

	kn = keys_version(k, KEYS_MANIFEST, "m", &v);
	assert_int_equal(k[0], 'C');
	assert_false(has_prefix(k, kn, p, pn));

	/* Model "a"'s prefix covers none of "a.b"'s or "ab"'s keys. */
	pn = keys_version_prefix(p, KEYS_VERSION, "a");
	on = keys_version(other, KEYS_VERSION, "a.b", &v);
	assert_false(has_prefix(other, on, p, pn));
	on = keys_version(other, KEYS_VERSION, "ab", &v);
	assert_false(has_prefix(other, on, p, pn));
	on = keys_version(other, KEYS_VERSION, "a", &v);
	assert_true(has_prefix(other, on, p, pn));
}

static void
test_stage_key_is_prefix_stage_and_verkey(void **state)
{
	mr_semver v = parse_ok("1.0.0");
	uint8_t k[KEYS_MAX], p[KEYS_MAX], other[KEYS_MAX];
	size_t kn, pn, on;

	(void)state;
	kn = keys_stage(k, "m", 3, &v);
	pn = keys_stage_prefix(p, "m", 3);
	assert_int_equal(pn, 4);
	assert_memory_equal(p, "Sm\0\3", 4);
	assert_true(has_prefix(k, kn, p, pn));
	assert_int_equal(kn, pn + 13);
	on = keys_stage(other, "m", 2, &v);
	assert_false(has_prefix(other, on, p, pn));
	on = keys_stage(other, "m.x", 3, &v);
	assert_false(has_prefix(other, on, p, pn));
}

static void
test_history_and_event_keys_sort_by_revision(void **state)
{
	uint8_t a[KEYS_MAX], b[KEYS_MAX], p[KEYS_MAX];
	static const uint64_t revs[] = {0, 1, 255, 256, 65535, 65536,
	    4294967295ull, 4294967296ull, UINT64_MAX - 1, UINT64_MAX};

	(void)state;
	assert_int_equal(keys_history(a, "m", 0x0102030405060708ull), 10);
	assert_memory_equal(a, "m\0\1\2\3\4\5\6\7\x08", 10);
	assert_int_equal(keys_history_prefix(p, "m"), 2);
	assert_memory_equal(p, "m\0", 2);
	assert_int_equal(keys_event(a, 0x0102030405060708ull), 8);
	assert_memory_equal(a, "\1\2\3\4\5\6\7\x08", 8);

	for (size_t i = 0; i + 1 < sizeof(revs) / sizeof(revs[0]); i++) {
		keys_event(a, revs[i]);
		keys_event(b, revs[i + 1]);
		assert_true(memcmp(a, b, 8) < 0);
		keys_history(a, "m", revs[i]);
		keys_history(b, "m", revs[i + 1]);
		assert_true(memcmp(a, b, 10) < 0);
	}
	/* Model "a"'s history prefix covers none of "a.b"'s. */
	keys_history_prefix(p, "a");
	keys_history(a, "a.b", 1);
	assert_false(has_prefix(a, 12, p, 2));
}

static void
test_integers_are_big_endian(void **state)
{
	uint8_t b[8];

	(void)state;
	keys_put_u32(b, 0x01020304u);
	assert_memory_equal(b, "\1\2\3\4", 4);
	assert_int_equal(keys_get_u32(b), 0x01020304u);
	keys_put_u64(b, 0xf1f2f3f4f5f6f7f8ull);
	assert_memory_equal(b, "\xf1\xf2\xf3\xf4\xf5\xf6\xf7\xf8", 8);
	assert_int_equal(keys_get_u64(b), 0xf1f2f3f4f5f6f7f8ull);
	keys_put_u32(b, UINT32_MAX);
	assert_int_equal(keys_get_u32(b), UINT32_MAX);
}

static void
test_column_family_names_are_distinct_and_default_first(void **state)
{
	(void)state;
	assert_string_equal(keys_cf_names[KEYS_CF_DEFAULT], "default");
	for (int i = 0; i < KEYS_CF_COUNT; i++) {
		assert_non_null(keys_cf_names[i]);
		for (int j = i + 1; j < KEYS_CF_COUNT; j++)
			assert_true(
			    strcmp(keys_cf_names[i], keys_cf_names[j]) != 0);
	}
}

/* ---- chunk records ------------------------------------------------------ */

static void
test_chunkmeta_encodes_documented_layout_and_round_trips(void **state)
{
	keys_chunkmeta m = {
	    .encoding = 1,
	    .raw_len = 0x00400000u,
	    .stored_len = 0x00123456u,
	    .touched_at_ms = 0x0000018d0a0b0c0dLL,
	};
	static const uint8_t want[KEYS_CHUNKMETA_LEN] = {1, 1, 0, 0, 0x00, 0x40,
	    0x00, 0x00, 0x00, 0x12, 0x34, 0x56, 0x00, 0x00, 0x01, 0x8d, 0x0a,
	    0x0b, 0x0c, 0x0d};
	uint8_t buf[KEYS_CHUNKMETA_LEN];
	keys_chunkmeta back;

	(void)state;
	keys_chunkmeta_encode(buf, &m);
	assert_memory_equal(buf, want, sizeof(want));
	memset(&back, 0, sizeof(back));
	assert_int_equal(keys_chunkmeta_decode(buf, sizeof(buf), &back), 0);
	assert_int_equal(back.encoding, 1);
	assert_int_equal(back.raw_len, m.raw_len);
	assert_int_equal(back.stored_len, m.stored_len);
	assert_int_equal(back.touched_at_ms, m.touched_at_ms);

	m.encoding = 0;
	m.raw_len = UINT32_MAX;
	m.stored_len = 1;
	m.touched_at_ms = -5;
	keys_chunkmeta_encode(buf, &m);
	assert_int_equal(keys_chunkmeta_decode(buf, sizeof(buf), &back), 0);
	assert_int_equal(back.encoding, 0);
	assert_int_equal(back.raw_len, UINT32_MAX);
	assert_int_equal(back.stored_len, 1);
	assert_true(back.touched_at_ms == -5);
}

static void
test_chunkmeta_decode_refuses_wrong_length_or_format(void **state)
{
	keys_chunkmeta m = {.encoding = 1, .raw_len = 10, .stored_len = 5};
	uint8_t buf[KEYS_CHUNKMETA_LEN + 1];
	keys_chunkmeta back = {.encoding = 77};

	(void)state;
	keys_chunkmeta_encode(buf, &m);
	buf[KEYS_CHUNKMETA_LEN] = 0;
	assert_int_equal(
	    keys_chunkmeta_decode(buf, KEYS_CHUNKMETA_LEN - 1, &back), -1);
	assert_int_equal(
	    keys_chunkmeta_decode(buf, KEYS_CHUNKMETA_LEN + 1, &back), -1);
	assert_int_equal(keys_chunkmeta_decode(buf, 0, &back), -1);
	buf[0] = KEYS_CHUNKMETA_FORMAT + 1;
	assert_int_equal(
	    keys_chunkmeta_decode(buf, KEYS_CHUNKMETA_LEN, &back), -1);
	assert_int_equal(back.encoding, 77);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        test_verkey_order_matches_semver_cmp_and_decode_inverts_encode),
	    cmocka_unit_test(test_verkey_layout_matches_keys_h),
	    cmocka_unit_test(test_verkey_decode_refuses_malformed_keys),
	    cmocka_unit_test(
	        test_verkey_decode_refuses_keys_the_encoder_never_writes),
	    cmocka_unit_test(test_model_key_is_m_and_name),
	    cmocka_unit_test(
	        test_version_and_manifest_keys_share_a_per_model_prefix),
	    cmocka_unit_test(test_stage_key_is_prefix_stage_and_verkey),
	    cmocka_unit_test(test_history_and_event_keys_sort_by_revision),
	    cmocka_unit_test(test_integers_are_big_endian),
	    cmocka_unit_test(
	        test_column_family_names_are_distinct_and_default_first),
	    cmocka_unit_test(
	        test_chunkmeta_encodes_documented_layout_and_round_trips),
	    cmocka_unit_test(
	        test_chunkmeta_decode_refuses_wrong_length_or_format),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
