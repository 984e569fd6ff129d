/*
 * semver.c - semantic versions: parsing, canonical text, precedence.
 *
 * Precedence follows semver.org section 11: numbers compare numerically; a
 * release sorts after its pre-releases; pre-release identifiers compare
 * numerically when both are numeric, bytewise otherwise, numeric before
 * alphanumeric, and a shorter list first when all else is equal.
 */
#include <stdio.h>
#include <string.h>

#include "common.h"

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Parses a number without leading zeros that fits in 32 bits. */
static const char *
parse_u32(const char *p, uint32_t *out)
{
	uint64_t v = 0;
	const char *start = p;

	if (!is_digit(*p))
		return NULL;
	while (is_digit(*p)) {
		v = v * 10 + (uint64_t)(*p - '0');
		if (v > UINT32_MAX)
			return NULL;
		p++;
	}
	if (p - start > 1 && start[0] == '0')
		return NULL;
	*out = (uint32_t)v;
	return p;
}

static bool
pre_valid(const char *pre)
{
	const char *p = pre;

	if (*p == '\0')
		return false;
	for (;;) {
		const char *id = p;
		bool numeric = true;

		while (*p != '\0' && *p != '.') {
			char c = *p;
			if (!is_digit(c) && !(c >= 'a' && c <= 'z') &&
			    !(c >= 'A' && c <= 'Z') && c != '-')
				return false;
			if (!is_digit(c))
				numeric = false;
			p++;
		}
		if (p == id)
			return false; /* empty identifier */
		if (numeric && p - id > 1 && id[0] == '0')
			return false; /* leading zero */
		if (numeric && p - id > 9)
			return false; /* keep numeric ids within 32 bits */
		if (*p == '\0')
			return true;
		p++;
	}
}

mr_status
mr_semver_parse(const char *text, mr_semver *out, mr_err *e)
{
	mr_semver v;
	const char *p = text;
	size_t len;

	if (text == NULL || text[0] == '\0')
		return mr_fail(e, MR_INVALID_ARGUMENT, "version is empty");
	len = strlen(text);
	if (len > MR_VERSION_MAX)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "version is %zu bytes long; the limit is %d", len,
		    MR_VERSION_MAX);
	if (*p == 'v' || *p == 'V')
		p++;
	memset(&v, 0, sizeof(v));
	if ((p = parse_u32(p, &v.major)) == NULL || *p++ != '.' ||
	    (p = parse_u32(p, &v.minor)) == NULL || *p++ != '.' ||
	    (p = parse_u32(p, &v.patch)) == NULL)
		goto bad;
	if (*p == '+')
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "version \"%s\": build metadata (+...) is not supported, "
		    "since it does not order versions; use a tag",
		    text);
	if (*p == '-') {
		p++;
		if (!pre_valid(p))
			goto bad;
		snprintf(v.pre, sizeof(v.pre), "%s", p);
	} else if (*p != '\0') {
		goto bad;
	}
	*out = v;
	return MR_OK;
bad:
	return mr_fail(e, MR_INVALID_ARGUMENT,
	    "version \"%s\" is not a semantic version "
	    "MAJOR.MINOR.PATCH[-PRERELEASE] (e.g. 3.1.0 or v3.1.0-rc.1)",
	    text);
}

void
mr_semver_format(const mr_semver *v, char *out)
{
	/* A parsed version's canonical text is never longer than the text
	 * it came from (at most MR_VERSION_MAX), so nothing is cut here. */
	int n = snprintf(out, MR_VERSION_MAX + 1, "%u.%u.%u", v->major,
	    v->minor, v->patch);
	size_t room = MR_VERSION_MAX - (size_t)n;

	if (v->pre[0] != '\0' && room > 1) {
		size_t len = strlen(v->pre);
		if (len > room - 1)
			len = room - 1;
		out[n] = '-';
		memcpy(out + n + 1, v->pre, len);
		out[n + 1 + len] = '\0';
	}
}

mr_status
mr_semver_normalize(const char *text, char *out, mr_err *e)
{
	mr_semver v;
	mr_status rv;

	if ((rv = mr_semver_parse(text, &v, e)) != MR_OK)
		return rv;
	mr_semver_format(&v, out);
	return MR_OK;
}

static int
cmp_u32(uint32_t a, uint32_t b)
{
	return a < b ? -1 : a > b;
}

static int
cmp_pre(const char *a, const char *b)
{
	for (;;) {
		size_t na = strcspn(a, "."), nb = strcspn(b, ".");
		bool da = true, db = true;
		int c;

		for (size_t i = 0; i < na; i++)
			da = da && is_digit(a[i]);
		for (size_t i = 0; i < nb; i++)
			db = db && is_digit(b[i]);
		if (da && db) {
			/* No leading zeros: the longer number is larger. */
			c = na != nb ? (na < nb ? -1 : 1) : memcmp(a, b, na);
		} else if (da != db) {
			c = da ? -1 : 1;
		} else {
			c = memcmp(a, b, na < nb ? na : nb);
			if (c == 0 && na != nb)
				c = na < nb ? -1 : 1;
		}
		if (c != 0)
			return c < 0 ? -1 : 1;
		a += na;
		b += nb;
		if (*a == '\0' || *b == '\0')
			return *a == *b ? 0 : (*a == '\0' ? -1 : 1);
		a++;
		b++;
	}
}

int
mr_semver_cmp(const mr_semver *a, const mr_semver *b)
{
	int c;

	if ((c = cmp_u32(a->major, b->major)) != 0 ||
	    (c = cmp_u32(a->minor, b->minor)) != 0 ||
	    (c = cmp_u32(a->patch, b->patch)) != 0)
		return c;
	if (a->pre[0] == '\0' || b->pre[0] == '\0')
		return a->pre[0] == b->pre[0] ? 0 : (a->pre[0] == '\0' ? 1 : -1);
	return cmp_pre(a->pre, b->pre);
}
