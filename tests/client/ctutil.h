/*
 * ctutil.h - files and directories for the client's tests: temporary
 * trees, files of known content, comparisons. Failures abort the test
 * program: a test that cannot set itself up has nothing to report.
 */
#ifndef MR_TESTS_CLIENT_CTUTIL_H
#define MR_TESTS_CLIENT_CTUTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* A new empty directory under $TMPDIR (or /tmp); malloc'd path. */
char *ct_tmpdir(void);
/* Removes a tree; NULL is a no-op. */
void ct_rmtree(const char *path);
/* "dir/name", malloc'd. */
char *ct_path(const char *dir, const char *name);
/* Writes a file (making its parent directories) with the given mode. */
void ct_write(const char *path, const void *data, size_t len, mode_t mode);
/* Writes `len` pseudo-random bytes that depend only on `seed`. */
void ct_write_pattern(const char *path, size_t len, uint32_t seed,
    mode_t mode);
/* The whole file, malloc'd; NULL if it cannot be read. */
uint8_t *ct_read(const char *path, size_t *len);
/* True if both files exist with the same bytes. */
bool ct_same_file(const char *a, const char *b);
/* True if `path` exists (lstat). */
bool ct_exists(const char *path);
/* Number of entries in a directory whose name contains `part`. */
int ct_count_entries(const char *dir, const char *part);
/* A unique inproc:// URL for one test. */
const char *ct_url(void);

#endif /* MR_TESTS_CLIENT_CTUTIL_H */
