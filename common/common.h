/*
 * common.h - small pieces shared by the server and the client library:
 * validation of names and text, semantic versions, clocks.
 *
 * Both sides validate with the same code so that a client can refuse bad
 * input before a round trip, while the server stays the authority.
 */
#ifndef MR_COMMON_H
#define MR_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mr_err.h"

/*
 * PEM files of a TLS peer (tls.c, which alone needs nng); NULL: none.
 */
typedef struct mr_tls_files {
	const char *ca;   /* CA certificate(s) that must have signed the peer's */
	const char *cert; /* our own certificate (chain) ... */
	const char *key;  /* ... and its unencrypted private key */
} mr_tls_files;

/* Milliseconds since the Unix epoch (CLOCK_REALTIME). */
int64_t mr_now_ms(void);
/* Monotonic nanoseconds, for measuring. */
uint64_t mr_mono_ns(void);

/* "2024-01-15T10:00:00Z" (UTC, second precision) into out[32]. */
char *mr_format_time(int64_t ms, char out[32]);
/* Parses RFC 3339 ("2024-01-15T10:00:00Z", "...+02:00", or a date). */
int mr_parse_time(const char *text, int64_t *ms_out);

/* Model names: 1..MR_NAME_MAX of [A-Za-z0-9._-], first alphanumeric. */
mr_status mr_check_name(const char *name, mr_err *e);
/* Tag keys: 1..MR_TAG_KEY_MAX of [A-Za-z0-9._/-], first alphanumeric. */
mr_status mr_check_tag_key(const char *key, mr_err *e);
/*
 * Free text: valid UTF-8, no control characters except (if `multiline`)
 * newline and tab, at most `max` bytes. `what` names it in the message.
 */
mr_status mr_check_text(const char *what, const char *text, size_t max,
    bool multiline, mr_err *e);
/* Artifact file paths: relative, '/'-separated, no "", ".", ".." parts. */
mr_status mr_check_path(const char *path, mr_err *e);
/* True if `s` is valid UTF-8 without NUL. */
bool mr_utf8_valid(const char *s, size_t len);

/*
 * A semantic version MAJOR.MINOR.PATCH[-PRERELEASE]. Numbers fit in 32
 * bits; numeric identifiers have no leading zeros; build metadata ("+...")
 * is refused because it would give two names the same precedence.
 */
typedef struct mr_semver {
	uint32_t major, minor, patch;
	char pre[MR_VERSION_MAX + 1]; /* "" when a release */
} mr_semver;

/* Parses `text` (a leading 'v' or 'V' is accepted). */
mr_status mr_semver_parse(const char *text, mr_semver *out, mr_err *e);
/* Canonical text ("3.1.0", "1.0.0-rc.1") into out[MR_VERSION_MAX + 1]. */
void mr_semver_format(const mr_semver *v, char *out);
/* Semantic version precedence: <0, 0, >0. */
int mr_semver_cmp(const mr_semver *a, const mr_semver *b);
/* Parses and writes the canonical text; for one-shot normalization. */
mr_status mr_semver_normalize(const char *text, char *out, mr_err *e);

#endif /* MR_COMMON_H */
