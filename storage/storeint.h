/*
 * storeint.h - what the storage files share and nobody else sees.
 */
#ifndef MR_STOREINT_H
#define MR_STOREINT_H

#include <pthread.h>
#include <stdatomic.h>

#include <rocksdb/c.h>

#include "keys.h"
#include "store.h"

struct store {
	rocksdb_t *db;
	rocksdb_options_t *opt;
	rocksdb_options_t *cf_opt[KEYS_CF_COUNT];
	rocksdb_column_family_handle_t *cf[KEYS_CF_COUNT];
	rocksdb_block_based_table_options_t *table_small;
	rocksdb_block_based_table_options_t *table_chunks;
	rocksdb_cache_t *cache;
	rocksdb_readoptions_t *ro;
	rocksdb_writeoptions_t *wo_sync;
	rocksdb_writeoptions_t *wo_nosync;
	pthread_mutex_t write_lock;
	_Atomic uint64_t revision; /* last committed */
};

struct store_txn {
	store *s;
	rocksdb_writebatch_t *wb;
	uint64_t next_rev; /* revision the next staged event gets */
	uint64_t last_rev; /* last revision staged; 0 if none */
};

/* Converts RocksDB's error string (and frees it) into a status. */
mr_status store_rocks_err(mr_err *e, const char *what, char *err);

/* Reads and unpacks one record; MR_NOT_FOUND if absent. */
mr_status store_get_pb(store *s, const rocksdb_readoptions_t *ro, int cf,
    const uint8_t *key, size_t klen, const ProtobufCMessageDescriptor *desc,
    ProtobufCMessage **out, mr_err *e);
/* Packs `m` and stages it under `key`. */
mr_status store_txn_put_pb(store_txn *t, int cf, const uint8_t *key,
    size_t klen, const ProtobufCMessage *m, mr_err *e);

/* Drops idempotency records older than STORE_IDEM_TTL_MS. */
mr_status store_prune_idem(store *s, mr_err *e);

#endif /* MR_STOREINT_H */
