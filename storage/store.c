/*
 * store.c - opening the database, transactions, and the record helpers.
 *
 * RocksDB is tuned for two very different kinds of data. Catalog records
 * are small and read on every call, so their column families share a block
 * cache with bloom filters. Chunks are up to 4 MiB of model weights that
 * RocksDB's own compression cannot shrink (they arrive compressed by zstd
 * when that pays), so the chunk family stores them uncompressed, in plain
 * SST files rather than BlobDB, which reads 1 MiB values ~7x slower.
 *
 * The WAL is recovered with kTolerateCorruptedTailRecords: a torn last
 * record (a write that was never acknowledged) is dropped, while damage in
 * the middle of the log refuses to open instead of silently dropping the
 * synced, acknowledged writes after it, as the default mode would.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "crash.h"
#include "storeint.h"

/*
 * Shared block cache of the small column families: room for the catalog
 * of ~200,000 versions (~130 MB of tables), so that searches and lists
 * over a large registry read memory, not files.
 */
#define STORE_CACHE_BYTES (256u << 20)
/*
 * WAL files are kept until every family's memtable that has data in them
 * is flushed; a family written rarely (chunks, once per upload) would
 * otherwise pin every WAL written since, and a restart would replay them
 * all. Past this total, RocksDB flushes the families holding the oldest.
 */
#define STORE_WAL_MAX_BYTES (128u << 20)
/* Memtable of the chunk family: large, since chunks are large. */
#define STORE_CHUNK_MEMTABLE_BYTES (64u << 20)
#define STORE_SMALL_MEMTABLE_BYTES (16u << 20)
/*
 * RocksDB's info LOG lives on the data disk. Debian's librocksdb 7.8 is
 * built with assertions, and its log writer asserts (abort()) on the
 * first line after a write that failed: on a full disk, the line that
 * crosses a page fails with ENOSPC, and the next one, at the latest
 * RocksDB's own "cannot clear hard error" every 5 s, took modelregd down
 * within a minute (tests/e2e/test_faults.c). Only fatal errors and the
 * header written at open (the options in force) are logged.
 */
#define STORE_INFO_LOG_LEVEL 4 /* rocksdb::InfoLogLevel::FATAL_LEVEL */

mr_status
store_rocks_err(mr_err *e, const char *what, char *err)
{
	mr_status code = MR_INTERNAL;

	if (err == NULL)
		return mr_fail(e, MR_INTERNAL, "%s failed", what);
	if (strstr(err, "No space left") != NULL ||
	    strstr(err, "space limit") != NULL) {
		/* RocksDB stops writing until its SstFileManager, polling
		 * every 5 s, sees room for the largest memtable (its
		 * "reserved disk buffer"); reads go on meanwhile. */
		mr_fail(e, MR_RESOURCE_EXHAUSTED,
		    "%s: the disk holding the store is full; reads go on, and "
		    "writes resume by themselves within 5 s of %u MiB being "
		    "free (%s)",
		    what, STORE_CHUNK_MEMTABLE_BYTES >> 20, err);
		rocksdb_free(err);
		return MR_RESOURCE_EXHAUSTED;
	} else if (strncmp(err, "Corruption", 10) == 0)
		code = MR_DATA_LOSS;
	else if (strstr(err, "lock") != NULL || strncmp(err, "IO error", 8) == 0)
		code = MR_UNAVAILABLE;
	mr_fail(e, code, "%s: %s", what, err);
	rocksdb_free(err);
	return code;
}

static rocksdb_options_t *
cf_options(store *s, int cf)
{
	rocksdb_options_t *o = rocksdb_options_create();

	if (cf == KEYS_CF_CHUNKS) {
		rocksdb_options_set_compression(o, rocksdb_no_compression);
		rocksdb_options_set_write_buffer_size(o,
		    STORE_CHUNK_MEMTABLE_BYTES);
		rocksdb_options_set_target_file_size_base(o, 256u << 20);
		rocksdb_options_set_block_based_table_factory(o,
		    s->table_chunks);
	} else {
		rocksdb_options_set_compression(o, rocksdb_lz4_compression);
		rocksdb_options_set_write_buffer_size(o,
		    STORE_SMALL_MEMTABLE_BYTES);
		rocksdb_options_set_block_based_table_factory(o,
		    s->table_small);
	}
	return o;
}

static void
free_handles(store *s)
{
	/* Debian's RocksDB aborts if the database is closed before its
	 * column family handles are destroyed: handles first. */
	for (int i = 0; i < KEYS_CF_COUNT; i++)
		if (s->cf[i] != NULL)
			rocksdb_column_family_handle_destroy(s->cf[i]);
	if (s->db != NULL)
		rocksdb_close(s->db);
	for (int i = 0; i < KEYS_CF_COUNT; i++)
		if (s->cf_opt[i] != NULL)
			rocksdb_options_destroy(s->cf_opt[i]);
	if (s->opt != NULL)
		rocksdb_options_destroy(s->opt);
	if (s->table_small != NULL)
		rocksdb_block_based_options_destroy(s->table_small);
	if (s->table_chunks != NULL)
		rocksdb_block_based_options_destroy(s->table_chunks);
	if (s->cache != NULL)
		rocksdb_cache_destroy(s->cache);
	if (s->ro != NULL)
		rocksdb_readoptions_destroy(s->ro);
	if (s->ro_chunks != NULL)
		rocksdb_readoptions_destroy(s->ro_chunks);
	if (s->wo_sync != NULL)
		rocksdb_writeoptions_destroy(s->wo_sync);
	if (s->wo_nosync != NULL)
		rocksdb_writeoptions_destroy(s->wo_nosync);
}

/* Writes the format record. */
static mr_status
put_format(store *s, mr_err *e)
{
	uint8_t buf[4];
	char *err = NULL;

	keys_put_u32(buf, STORE_FORMAT_VERSION);
	rocksdb_put_cf(s->db, s->wo_sync, s->cf[KEYS_CF_DEFAULT], KEYS_FORMAT,
	    strlen(KEYS_FORMAT), (const char *)buf, sizeof(buf), &err);
	if (err != NULL)
		return store_rocks_err(e, "writing the format record", err);
	return MR_OK;
}

/*
 * Reads or initializes the format and revision records; *upgrade is set to
 * the format of an older store (1 or 2), which the caller upgrades once it
 * is open, and to 0 otherwise.
 */
static mr_status
load_meta(store *s, uint32_t *upgrade, mr_err *e)
{
	char *err = NULL;
	size_t len;
	char *val;
	mr_status rv;

	*upgrade = 0;
	val = rocksdb_get_cf(s->db, s->ro, s->cf[KEYS_CF_DEFAULT], KEYS_FORMAT,
	    strlen(KEYS_FORMAT), &len, &err);
	if (err != NULL)
		return store_rocks_err(e, "reading the format record", err);
	if (val == NULL) {
		if ((rv = put_format(s, e)) != MR_OK)
			return rv;
	} else {
		uint32_t fmt = len == 4 ? keys_get_u32((uint8_t *)val) : 0;
		rocksdb_free(val);
		if (fmt == 1 || fmt == 2)
			*upgrade = fmt;
		else if (fmt != STORE_FORMAT_VERSION)
			return mr_fail(e, MR_FAILED_PRECONDITION,
			    "the store has format %u; this build reads formats "
			    "1 to %d",
			    fmt, STORE_FORMAT_VERSION);
	}

	val = rocksdb_get_cf(s->db, s->ro, s->cf[KEYS_CF_DEFAULT],
	    KEYS_REVISION, strlen(KEYS_REVISION), &len, &err);
	if (err != NULL)
		return store_rocks_err(e, "reading the revision record", err);
	if (val != NULL) {
		if (len != 8) {
			rocksdb_free(val);
			return mr_fail(e, MR_DATA_LOSS,
			    "the revision record is %zu bytes, not 8", len);
		}
		atomic_store(&s->revision, keys_get_u64((uint8_t *)val));
		rocksdb_free(val);
	}
	return MR_OK;
}

mr_status
store_open(store **out, const char *dir, mr_err *e)
{
	const rocksdb_options_t *cfo[KEYS_CF_COUNT];
	pthread_rwlockattr_t rwa;
	char *err = NULL;
	uint32_t upgrade;
	mr_status rv;
	store *s;

	if (mkdir(dir, 0755) != 0 && errno != EEXIST)
		return mr_fail(e, MR_UNAVAILABLE, "cannot create %s: %s", dir,
		    strerror(errno));
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return mr_fail(e, MR_RESOURCE_EXHAUSTED, "out of memory");
	pthread_mutex_init(&s->write_lock, NULL);
	/* Uploads touch chunks all the time: a collector waiting for the
	 * lock must not starve behind a stream of them. */
	pthread_rwlockattr_init(&rwa);
	pthread_rwlockattr_setkind_np(&rwa,
	    PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&s->chunk_lock, &rwa);
	pthread_rwlockattr_destroy(&rwa);

	s->cache = rocksdb_cache_create_lru(STORE_CACHE_BYTES);
	s->table_small = rocksdb_block_based_options_create();
	rocksdb_block_based_options_set_block_cache(s->table_small, s->cache);
	rocksdb_block_based_options_set_filter_policy(s->table_small,
	    rocksdb_filterpolicy_create_bloom(10));
	s->table_chunks = rocksdb_block_based_options_create();
	/* Chunks are read once per pull: caching them would only evict
	 * the catalog. A bloom filter (a few bytes per 1 MiB chunk) spares
	 * FindMissingChunks and reads a search of every L0 file while a
	 * large upload is being compacted. */
	rocksdb_block_based_options_set_no_block_cache(s->table_chunks, 1);
	rocksdb_block_based_options_set_filter_policy(s->table_chunks,
	    rocksdb_filterpolicy_create_bloom(10));

	s->opt = rocksdb_options_create();
	rocksdb_options_set_create_if_missing(s->opt, 1);
	rocksdb_options_set_create_missing_column_families(s->opt, 1);
	rocksdb_options_set_wal_recovery_mode(s->opt,
	    rocksdb_tolerate_corrupted_tail_records_recovery);
	rocksdb_options_set_paranoid_checks(s->opt, 1);
	rocksdb_options_increase_parallelism(s->opt, 2);
	rocksdb_options_set_max_total_wal_size(s->opt, STORE_WAL_MAX_BYTES);
	rocksdb_options_set_info_log_level(s->opt, STORE_INFO_LOG_LEVEL);
	for (int i = 0; i < KEYS_CF_COUNT; i++) {
		s->cf_opt[i] = cf_options(s, i);
		cfo[i] = s->cf_opt[i];
	}

	s->ro = rocksdb_readoptions_create();
	/* The chunk family has no block cache today; this keeps a future
	 * shared cache from filling with megabytes read once per pull. */
	s->ro_chunks = rocksdb_readoptions_create();
	rocksdb_readoptions_set_fill_cache(s->ro_chunks, 0);
	s->wo_sync = rocksdb_writeoptions_create();
	rocksdb_writeoptions_set_sync(s->wo_sync, 1);
	s->wo_nosync = rocksdb_writeoptions_create();

	s->db = rocksdb_open_column_families(s->opt, dir, KEYS_CF_COUNT,
	    keys_cf_names, cfo, s->cf, &err);
	if (err != NULL) {
		/* RocksDB's words, kept before store_rocks_err frees them
		 * (and never read from e->msg while writing it). */
		char why[MR_ERRMSG_MAX];

		snprintf(why, sizeof(why), "%s", err);
		rv = store_rocks_err(e, "opening the store", err);
		if (rv == MR_DATA_LOSS)
			mr_fail(e, rv,
			    "opening the store in %s: %s (the write-ahead log "
			    "is damaged before its end; restore from a backup "
			    "rather than drop acknowledged writes)",
			    dir, why);
		else if (rv == MR_RESOURCE_EXHAUSTED)
			mr_fail(e, rv,
			    "opening the store in %s: the disk is full (%s); "
			    "free some space and start again",
			    dir, why);
		goto err_open;
	}
	if ((rv = load_meta(s, &upgrade, e)) != MR_OK ||
	    (rv = store_audit_load(s, e)) != MR_OK)
		goto err_open;
	if (upgrade == 1 && (rv = store_catalog_migrate(s, e)) != MR_OK)
		goto err_open;
	if (upgrade != 0 && ((rv = store_refs_migrate(s, e)) != MR_OK ||
				(rv = put_format(s, e)) != MR_OK))
		goto err_open;
	if ((rv = store_prune_idem(s, e)) != MR_OK)
		goto err_open;
	*out = s;
	return MR_OK;

err_open:
	free_handles(s);
	pthread_mutex_destroy(&s->write_lock);
	pthread_rwlock_destroy(&s->chunk_lock);
	free(s);
	return rv;
}

void
store_close(store *s)
{
	if (s == NULL)
		return;
	free_handles(s);
	pthread_mutex_destroy(&s->write_lock);
	pthread_rwlock_destroy(&s->chunk_lock);
	free(s);
}

void
store_set_synced(store *s, bool synced)
{
	rocksdb_writeoptions_set_sync(s->wo_sync, synced ? 1 : 0);
}

uint64_t
store_revision(store *s)
{
	return atomic_load(&s->revision);
}

mr_status
store_get_pb(store *s, const rocksdb_readoptions_t *ro, int cf,
    const uint8_t *key, size_t klen, const ProtobufCMessageDescriptor *desc,
    ProtobufCMessage **out, mr_err *e)
{
	rocksdb_pinnableslice_t *ps;
	ProtobufCMessage *m;
	const char *val;
	char *err = NULL;
	size_t len;

	ps = rocksdb_get_pinned_cf(s->db, ro != NULL ? ro : s->ro, s->cf[cf],
	    (const char *)key, klen, &err);
	if (err != NULL)
		return store_rocks_err(e, "reading a record", err);
	if (ps == NULL)
		return mr_fail(e, MR_NOT_FOUND, "not found");
	val = rocksdb_pinnableslice_value(ps, &len);
	m = protobuf_c_message_unpack(desc, NULL, len, (const uint8_t *)val);
	rocksdb_pinnableslice_destroy(ps);
	if (m == NULL)
		return mr_fail(e, MR_DATA_LOSS, "a stored %s record is damaged",
		    desc->name);
	*out = m;
	return MR_OK;
}

mr_status
store_txn_put_pb(store_txn *t, int cf, const uint8_t *key, size_t klen,
    const ProtobufCMessage *m, mr_err *e)
{
	size_t n = protobuf_c_message_get_packed_size(m);
	uint8_t stackbuf[4096];
	uint8_t *buf = n <= sizeof(stackbuf) ? stackbuf : malloc(n);

	if (buf == NULL)
		return mr_fail(e, MR_RESOURCE_EXHAUSTED,
		    "out of memory packing a %zu-byte record", n);
	protobuf_c_message_pack(m, buf);
	rocksdb_writebatch_put_cf(t->wb, t->s->cf[cf], (const char *)key, klen,
	    (const char *)buf, n);
	if (buf != stackbuf)
		free(buf);
	return MR_OK;
}

mr_status
store_scan_range(store *s, const store_range *r, store_kv_fn fn, void *arg,
    const char *what, mr_err *e)
{
	rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
	uint8_t end[KEYS_MAX];
	rocksdb_iterator_t *it;
	char *err = NULL;

	if (r->plen > 0) {
		/* Our prefixes end in 0x00, a stage number or a kind letter,
		 * never 0xff, so the smallest key past them all is the prefix
		 * with its last byte incremented. */
		memcpy(end, r->prefix, r->plen);
		end[r->plen - 1]++;
		rocksdb_readoptions_set_iterate_lower_bound(ro,
		    (const char *)r->prefix, r->plen);
		rocksdb_readoptions_set_iterate_upper_bound(ro,
		    (const char *)end, r->plen);
	}
	if (r->snap != NULL)
		rocksdb_readoptions_set_snapshot(ro, r->snap);
	it = rocksdb_create_iterator_cf(s->db, ro, s->cf[r->cf]);
	if (r->start != NULL && !r->descending)
		rocksdb_iter_seek(it, (const char *)r->start, r->slen);
	else if (r->start != NULL)
		rocksdb_iter_seek_for_prev(it, (const char *)r->start, r->slen);
	else if (r->descending)
		rocksdb_iter_seek_to_last(it);
	else
		rocksdb_iter_seek_to_first(it);
	for (; rocksdb_iter_valid(it);
	    r->descending ? rocksdb_iter_prev(it) : rocksdb_iter_next(it)) {
		size_t klen, vlen;
		const uint8_t *k = (const uint8_t *)rocksdb_iter_key(it, &klen);
		const uint8_t *v;

		if (r->exclusive && klen == r->slen &&
		    memcmp(k, r->start, klen) == 0)
			continue;
		v = (const uint8_t *)rocksdb_iter_value(it, &vlen);
		if (fn(arg, k, klen, v, vlen) != 0)
			break;
	}
	rocksdb_iter_get_error(it, &err);
	rocksdb_iter_destroy(it);
	rocksdb_readoptions_destroy(ro);
	if (err != NULL)
		return store_rocks_err(e, what, err);
	return MR_OK;
}

mr_status
store_txn_begin(store *s, store_txn **out, mr_err *e)
{
	store_txn *t = calloc(1, sizeof(*t));

	if (t == NULL)
		return mr_fail(e, MR_RESOURCE_EXHAUSTED, "out of memory");
	if ((t->wb = rocksdb_writebatch_create()) == NULL) {
		free(t);
		return mr_fail(e, MR_RESOURCE_EXHAUSTED, "out of memory");
	}
	pthread_mutex_lock(&s->write_lock);
	t->s = s;
	t->next_rev = atomic_load(&s->revision) + 1;
	*out = t;
	return MR_OK;
}

static void
txn_free(store_txn *t)
{
	pthread_mutex_unlock(&t->s->write_lock);
	store_txn_free_committed(t);
	rocksdb_writebatch_destroy(t->wb);
	free(t);
}

void
store_txn_abort(store_txn *t)
{
	if (t != NULL)
		txn_free(t);
}

mr_status
store_txn_commit(store_txn *t, mr_err *e)
{
	store *s = t->s;
	char *err = NULL;
	mr_status rv = MR_OK;

	if (t->last_rev != 0) {
		uint8_t buf[8];
		keys_put_u64(buf, t->last_rev);
		rocksdb_writebatch_put_cf(t->wb, s->cf[KEYS_CF_DEFAULT],
		    KEYS_REVISION, strlen(KEYS_REVISION), (const char *)buf,
		    sizeof(buf));
	}
	store_audit_stage_head(t);
	mr_crash_point("before_commit");
	rocksdb_write(s->db, s->wo_sync, t->wb, &err);
	if (err != NULL) {
		char why[MR_ERRMSG_MAX];

		snprintf(why, sizeof(why), "%s", err);
		rv = store_rocks_err(e, "committing", err);
		/* A WAL written but not synced (fsync's EIO) is not applied
		 * now, yet a restart replays what reached the disk; RocksDB
		 * refuses every write after such an error until reopened. */
		if (rv == MR_UNAVAILABLE)
			mr_fail(e, rv,
			    "committing: the store's disk failed (%s); whether "
			    "this change was made is known only after modelregd "
			    "restarts (retry with the same idempotency key), "
			    "and writes are refused until then",
			    why);
	} else {
		if (t->last_rev != 0)
			atomic_store(&s->revision, t->last_rev);
		if (t->audit_seq != 0) {
			s->audit_seq = t->audit_seq;
			memcpy(s->audit_hash, t->audit_hash, MR_DIGEST_LEN);
		}
		/* Durable, and still under the lock: hooks see commits in
		 * revision order. */
		if (t->on_commit != NULL)
			t->on_commit(t->on_commit_arg, t->committed,
			    t->n_committed);
	}
	txn_free(t);
	return rv;
}

store *
store_txn_store(store_txn *t)
{
	return t->s;
}

uint64_t
store_txn_revision(const store_txn *t)
{
	return t->last_rev;
}

mr_status
store_txn_get_idem(store_txn *t, const char *key, mr_pb_idem **out, mr_err *e)
{
	return store_get_pb(t->s, NULL, KEYS_CF_IDEM, (const uint8_t *)key,
	    strlen(key), &modelreg__v1__idempotency_record__descriptor,
	    (ProtobufCMessage **)out, e);
}

mr_status
store_txn_put_idem(store_txn *t, const char *key, const mr_pb_idem *r,
    mr_err *e)
{
	return store_txn_put_pb(t, KEYS_CF_IDEM, (const uint8_t *)key,
	    strlen(key), &r->base, e);
}

struct prune {
	store *s;
	rocksdb_writebatch_t *wb;
	int64_t cutoff;
	size_t dropped;
};

static int
prune_one(void *arg, const uint8_t *k, size_t klen, const uint8_t *v,
    size_t vlen)
{
	struct prune *p = arg;
	mr_pb_idem *r = modelreg__v1__idempotency_record__unpack(NULL, vlen, v);

	/* A damaged record protects nothing: drop it as well. */
	if (r == NULL || r->created_at_ms < p->cutoff) {
		rocksdb_writebatch_delete_cf(p->wb, p->s->cf[KEYS_CF_IDEM],
		    (const char *)k, klen);
		p->dropped++;
	}
	if (r != NULL)
		modelreg__v1__idempotency_record__free_unpacked(r, NULL);
	return 0;
}

mr_status
store_prune_idem(store *s, mr_err *e)
{
	const store_range all = { .cf = KEYS_CF_IDEM };
	struct prune p = {
		.s = s,
		.wb = rocksdb_writebatch_create(),
		.cutoff = mr_now_ms() - STORE_IDEM_TTL_MS,
	};
	char *err = NULL;
	mr_status rv;

	rv = store_scan_range(s, &all, prune_one, &p,
	    "pruning idempotency records", e);
	if (rv == MR_OK && p.dropped > 0) {
		rocksdb_write(s->db, s->wo_sync, p.wb, &err);
		if (err != NULL)
			rv = store_rocks_err(e, "pruning idempotency records",
			    err);
	}
	rocksdb_writebatch_destroy(p.wb);
	return rv;
}
