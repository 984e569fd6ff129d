/*
 * check.c - validation of names, tag keys, free text and artifact paths.
 *
 * The rules are deliberately narrow: names end up in RocksDB keys (where
 * a NUL byte separates fields), in file names of exports and in shell
 * commands, so they admit only characters that are safe in all three.
 */
#include <stdio.h>
#include <string.h>

#include "common.h"

static bool
is_alnum(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9');
}

static mr_status
check_ident(const char *what, const char *s, size_t max, const char *extra,
    mr_err *e)
{
	size_t len;

	if (s == NULL || s[0] == '\0')
		return mr_fail(e, MR_INVALID_ARGUMENT, "%s is empty", what);
	len = strlen(s);
	if (len > max)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "%s is %zu bytes long; the limit is %zu", what, len, max);
	if (!is_alnum((unsigned char)s[0]))
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "%s \"%.*s\" must start with a letter or digit", what,
		    (int)(len > 64 ? 64 : len), s);
	for (size_t i = 1; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (!is_alnum(ch) && strchr(extra, ch) == NULL)
			return mr_fail(e, MR_INVALID_ARGUMENT,
			    "%s has a character not allowed at byte %zu "
			    "(allowed: letters, digits and \"%s\")",
			    what, i, extra);
	}
	return MR_OK;
}

mr_status
mr_check_name(const char *name, mr_err *e)
{
	return check_ident("model name", name, MR_NAME_MAX, "._-", e);
}

mr_status
mr_check_tag_key(const char *key, mr_err *e)
{
	return check_ident("tag key", key, MR_TAG_KEY_MAX, "._/-", e);
}

bool
mr_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		size_t n;
		uint32_t cp;

		if (c == 0)
			return false;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (len - i <= n)
			return false;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		/* Overlong forms, surrogates and values past U+10FFFF. */
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
			return false;
		i += n + 1;
	}
	return true;
}

mr_status
mr_check_text(const char *what, const char *text, size_t max, bool multiline,
    mr_err *e)
{
	size_t len;

	if (text == NULL)
		return MR_OK;
	len = strlen(text);
	if (len > max)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "%s is %zu bytes long; the limit is %zu", what, len, max);
	if (!mr_utf8_valid(text, len))
		return mr_fail(e, MR_INVALID_ARGUMENT, "%s is not valid UTF-8",
		    what);
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)text[i];
		if (ch == 0x7f ||
		    (ch < 0x20 && !(multiline && (ch == '\n' || ch == '\t'))))
			return mr_fail(e, MR_INVALID_ARGUMENT,
			    "%s has a control character at byte %zu", what, i);
	}
	return MR_OK;
}

mr_status
mr_check_path(const char *path, mr_err *e)
{
	mr_status rv;
	const char *p = path;

	/* mr_check_text admits NULL (no text); a path must be given. */
	if (path == NULL)
		return mr_fail(e, MR_INVALID_ARGUMENT, "file path is empty");
	rv = mr_check_text("file path", path, MR_PATH_MAX, false, e);
	if (rv != MR_OK)
		return rv;
	if (path[0] == '\0')
		return mr_fail(e, MR_INVALID_ARGUMENT, "file path is empty");
	if (path[0] == '/')
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "file path \"%s\" is absolute", path);
	while (*p != '\0') {
		const char *end = strchr(p, '/');
		size_t n = end != NULL ? (size_t)(end - p) : strlen(p);

		if (n == 0 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return mr_fail(e, MR_INVALID_ARGUMENT,
			    "file path \"%s\" has an empty, \".\" or \"..\" "
			    "part",
			    path);
		if (end == NULL)
			break;
		p = end + 1;
		if (*p == '\0')
			return mr_fail(e, MR_INVALID_ARGUMENT,
			    "file path \"%s\" ends with '/'", path);
	}
	return MR_OK;
}
