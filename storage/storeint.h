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
	/* Chunk data reads: never fill a block cache (store.c). */
	rocksdb_readoptions_t *ro_chunks;
	rocksdb_writeoptions_t *wo_sync;
	rocksdb_writeoptions_t *wo_nosync;
	pthread_mutex_t write_lock;
	/*
	 * Touching chunks (shared) against deleting them (exclusive, taken
	 * after write_lock): a touch never rewrites the record of a chunk
	 * being deleted, and a deletion re-reads touch times no touch is
	 * changing (gc.c).
	 */
	pthread_rwlock_t chunk_lock;
	_Atomic uint64_t revision; /* last committed */
	/* Head of the audit log: changed only under write_lock. */
	uint64_t audit_seq;
	uint8_t audit_hash[MR_DIGEST_LEN];
};

struct store_txn {
	store *s;
	rocksdb_writebatch_t *wb;
	uint64_t next_rev; /* revision the next staged event gets */
	uint64_t last_rev; /* last revision staged; 0 if none */
	uint64_t audit_seq; /* audit head staged; 0 if no record staged */
	uint8_t audit_hash[MR_DIGEST_LEN];
	/* store_txn_on_commit: the hook and the events kept for it. */
	store_commit_fn on_commit;
	void *on_commit_arg;
	store_committed *committed; /* model and event bytes malloc'd */
	size_t n_committed, cap_committed;
};

/* Frees what store_txn_on_commit kept (events.c). */
void store_txn_free_committed(store_txn *t);

/* Converts RocksDB's error string (and frees it) into a status. */
mr_status store_rocks_err(mr_err *e, const char *what, char *err);

/* Reads and unpacks one record; MR_NOT_FOUND if absent. */
mr_status store_get_pb(store *s, const rocksdb_readoptions_t *ro, int cf,
    const uint8_t *key, size_t klen, const ProtobufCMessageDescriptor *desc,
    ProtobufCMessage **out, mr_err *e);
/* Packs `m` and stages it under `key`. */
mr_status store_txn_put_pb(store_txn *t, int cf, const uint8_t *key,
    size_t klen, const ProtobufCMessage *m, mr_err *e);

/*
 * A range of keys to scan: those starting with prefix[0..plen) (every key
 * of the family if plen is 0), from `start` (or the first key; the last
 * one when descending), in key order or backwards. With `exclusive`, a key
 * equal to `start` is skipped: it is the last item of a previous page.
 */
typedef struct store_range {
	int cf;
	const uint8_t *prefix;
	size_t plen;
	const uint8_t *start;
	size_t slen;
	bool exclusive;
	bool descending;
	const rocksdb_snapshot_t *snap; /* NULL: the latest state */
} store_range;

/* Called per key and value; non-zero stops the scan. */
typedef int (*store_kv_fn)(void *arg, const uint8_t *k, size_t klen,
    const uint8_t *v, size_t vlen);

/* The one iterator loop of storage/. `what` names it in errors. */
mr_status store_scan_range(store *s, const store_range *r, store_kv_fn fn,
    void *arg, const char *what, mr_err *e);

/*
 * store_scan_range over protobuf records: `fn` gets each value unpacked as
 * a `desc` message and owns it; a value that does not unpack is
 * MR_DATA_LOSS.
 */
mr_status store_scan_records(store *s, const store_range *r,
    const ProtobufCMessageDescriptor *desc,
    int (*fn)(void *arg, ProtobufCMessage *m), void *arg, mr_err *e);

/* Adds the search index entries a format-1 store lacks (catalog.c). */
mr_status store_catalog_migrate(store *s, mr_err *e);
/* Reads the audit head record into s (audit.c). */
mr_status store_audit_load(store *s, mr_err *e);
/* Stages the audit head of `t` into its batch (audit.c). */
void store_audit_stage_head(store_txn *t);

/* Stages (put) or removes the chunk reference entries of a version's
 * manifest into `wb` (gc.c). */
void store_stage_chunk_refs(store *s, rocksdb_writebatch_t *wb,
    const char *name, const mr_semver *v, const mr_pb_manifest *m, bool put);
/* Adds the chunk references a format-1 or -2 store lacks (gc.c). */
mr_status store_refs_migrate(store *s, mr_err *e);

/* Drops idempotency records older than STORE_IDEM_TTL_MS. */
mr_status store_prune_idem(store *s, mr_err *e);

#endif /* MR_STOREINT_H */
