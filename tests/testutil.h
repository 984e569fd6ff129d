/*
 * testutil.h - what the tests share: temporary directories, files of
 * given content, and cmocka's headers in the order they need.
 */
#ifndef MR_TESTUTIL_H
#define MR_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "gen.h"

/*
 * A fresh directory under $TMPDIR (or /tmp) named after `tag`, in `out`
 * (PATH_MAX bytes). Aborts the test on failure.
 */
void tu_mkdtemp(char *out, const char *tag);
/* rm -rf `path`; quiet if missing. */
void tu_rmtree(const char *path);
/* Writes `len` bytes to `path` (creating parent directories). */
void tu_write_file(const char *path, const void *data, size_t len);
/* Reads a whole file into a malloc'd buffer; NULL if it cannot. */
void *tu_read_file(const char *path, size_t *len);

/*
 * Makes TLS certificates in `dir` with the openssl command (EC P-256,
 * valid for two days; keys unencrypted; FILE.pem and FILE.key):
 *   ca          a CA, which signed:
 *   server      the server "localhost" (DNS:localhost, IP:127.0.0.1)
 *   elsewhere   a server "elsewhere.example"
 *   client      a client, "tester"
 *   other-ca    another CA, which signed:
 *   stranger    a client, "stranger"
 * Fails the test if openssl does (its output is in dir/openssl.log).
 */
void tu_make_certs(const char *dir);

#endif /* MR_TESTUTIL_H */
