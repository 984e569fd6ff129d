/*
 * storetest.h - what the storage tests share: a store opened on a fresh
 * temporary directory (a cmocka fixture), closing and reopening it, and raw
 * RocksDB access to the same directory, for writing what the store itself
 * never would (another format version, damage behind its back).
 */
#ifndef MR_STORETEST_H
#define MR_STORETEST_H

#include <limits.h>

#include <rocksdb/c.h>

#include "keys.h"
#include "store.h"
#include "testutil.h"

typedef struct st_fix {
	char tmp[PATH_MAX]; /* the temporary directory, removed at teardown */
	char dir[PATH_MAX + 8]; /* tmp/db: the store, created by store_open */
	store *s;               /* NULL while closed */
} st_fix;

/* cmocka fixtures: *state becomes an st_fix with an open store. */
int st_setup(void **state);
int st_teardown(void **state);

/* store_open / store_close of f->dir, asserting success. */
void st_open(st_fix *f);
void st_close(st_fix *f);
void st_reopen(st_fix *f);

/* Commits `t`, asserting success. */
void st_commit(store_txn *t);

/* The database of a closed store, opened with the RocksDB C API. */
typedef struct st_raw {
	rocksdb_t *db;
	rocksdb_options_t *opt;
	rocksdb_writeoptions_t *wo;
	rocksdb_column_family_handle_t *cf[KEYS_CF_COUNT];
} st_raw;

void st_raw_open(st_raw *r, const char *dir);
void st_raw_put(st_raw *r, int cf, const void *key, size_t klen,
    const void *val, size_t vlen);
void st_raw_delete(st_raw *r, int cf, const void *key, size_t klen);
void st_raw_close(st_raw *r);

/* Flips one byte in the middle of every stored chunk of the closed store
 * in `dir`; returns how many. */
int st_damage_chunks(const char *dir);

#endif /* MR_STORETEST_H */
