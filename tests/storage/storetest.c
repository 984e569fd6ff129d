/*
 * storetest.c - the storage tests' fixture and raw RocksDB access.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storetest.h"

void
st_open(st_fix *f)
{
	mr_err e;

	mr_err_clear(&e);
	if (store_open(&f->s, f->dir, &e) != MR_OK)
		fail_msg("store_open %s: %s", f->dir, e.msg);
}

void
st_close(st_fix *f)
{
	store_close(f->s);
	f->s = NULL;
}

void
st_reopen(st_fix *f)
{
	st_close(f);
	st_open(f);
}

int
st_setup(void **state)
{
	st_fix *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	tu_mkdtemp(f->tmp, "storage");
	snprintf(f->dir, sizeof(f->dir), "%s/db", f->tmp);
	st_open(f);
	*state = f;
	return 0;
}

int
st_teardown(void **state)
{
	st_fix *f = *state;

	st_close(f);
	tu_rmtree(f->tmp);
	free(f);
	return 0;
}

void
st_commit(store_txn *t)
{
	mr_err e;

	mr_err_clear(&e);
	if (store_txn_commit(t, &e) != MR_OK)
		fail_msg("commit: %s", e.msg);
}

void
st_raw_open(st_raw *r, const char *dir)
{
	const rocksdb_options_t *cfo[KEYS_CF_COUNT];
	char *err = NULL;

	memset(r, 0, sizeof(*r));
	r->opt = rocksdb_options_create();
	for (int i = 0; i < KEYS_CF_COUNT; i++)
		cfo[i] = r->opt;
	r->db = rocksdb_open_column_families(
	    r->opt, dir, KEYS_CF_COUNT, keys_cf_names, cfo, r->cf, &err);
	if (err != NULL) {
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", err);
		rocksdb_free(err);
		fail_msg("raw open of %s: %s", dir, msg);
	}
	r->wo = rocksdb_writeoptions_create();
	rocksdb_writeoptions_set_sync(r->wo, 1);
}

void
st_raw_put(st_raw *r, int cf, const void *key, size_t klen, const void *val,
    size_t vlen)
{
	char *err = NULL;

	rocksdb_put_cf(r->db, r->wo, r->cf[cf], key, klen, val, vlen, &err);
	if (err != NULL) {
		rocksdb_free(err);
		fail_msg("raw put failed");
	}
}

void
st_raw_delete(st_raw *r, int cf, const void *key, size_t klen)
{
	char *err = NULL;

	rocksdb_delete_cf(r->db, r->wo, r->cf[cf], key, klen, &err);
	if (err != NULL) {
		rocksdb_free(err);
		fail_msg("raw delete failed");
	}
}

void
st_raw_close(st_raw *r)
{
	/* Handles before the database, as store.c does. */
	for (int i = 0; i < KEYS_CF_COUNT; i++)
		if (r->cf[i] != NULL)
			rocksdb_column_family_handle_destroy(r->cf[i]);
	if (r->db != NULL)
		rocksdb_close(r->db);
	if (r->wo != NULL)
		rocksdb_writeoptions_destroy(r->wo);
	rocksdb_options_destroy(r->opt);
	memset(r, 0, sizeof(*r));
}

int
st_damage_chunks(const char *dir)
{
	rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
	rocksdb_iterator_t *it;
	int damaged = 0;
	st_raw r;

	st_raw_open(&r, dir);
	it = rocksdb_create_iterator_cf(r.db, ro, r.cf[KEYS_CF_CHUNKS]);
	for (rocksdb_iter_seek_to_first(it); rocksdb_iter_valid(it);
	    rocksdb_iter_next(it)) {
		size_t kl, vl;
		const char *k = rocksdb_iter_key(it, &kl);
		const char *v = rocksdb_iter_value(it, &vl);
		char *copy = malloc(vl);

		memcpy(copy, v, vl);
		copy[vl / 2] ^= 0x40;
		st_raw_put(&r, KEYS_CF_CHUNKS, k, kl, copy, vl);
		free(copy);
		damaged++;
	}
	rocksdb_iter_destroy(it);
	rocksdb_readoptions_destroy(ro);
	st_raw_close(&r);
	return damaged;
}
