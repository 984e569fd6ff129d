/*
 * store.h - the registry's storage: one RocksDB database.
 *
 * Only storage/ touches RocksDB. The catalog (models, versions, manifests,
 * stage index), the per-model stage history, the ordered event log, the
 * chunk store and the idempotency records each live in a column family of
 * one database; storage/keys.h documents every key layout.
 *
 * Reads are lock-free and see the latest committed state. Writes to the
 * catalog go through a transaction (store_txn): store_txn_begin() takes
 * the store's single writer lock, the caller reads what it needs, stages
 * its writes into one WriteBatch, and store_txn_commit() applies the batch
 * atomically with a synced WAL write. Because writers are serialized, a
 * read inside a transaction followed by a write is a check-and-set; because
 * the batch is atomic, no reader ever sees half a change; because the WAL is
 * synced before commit returns, an acknowledged change survives kill -9 and
 * power loss.
 *
 * Chunks are content-addressed and immutable, so they are written outside
 * transactions and without a sync of their own: the synced commit of the
 * version that references them syncs the WAL they are in (RocksDB syncs
 * every live WAL file on a synced write), and a commit first checks that
 * every chunk it references is present. Garbage collection (gc.c) deletes
 * the chunks no version references; see store_gc() for why that never
 * takes a chunk from under a commit.
 *
 * Records are protobuf messages (proto/model.proto). Functions that return
 * one hand ownership to the caller, who frees it with
 * protobuf_c_message_free_unpacked(msg, NULL).
 */
#ifndef MR_STORE_H
#define MR_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "chunk.h"
#include "common.h"
#include "audit.pb-c.h"
#include "auth.pb-c.h"
#include "lineage.pb-c.h"
#include "model.pb-c.h"
#include "store.pb-c.h"

typedef Modelreg__V1__Model mr_pb_model;
typedef Modelreg__V1__ModelVersion mr_pb_version;
typedef Modelreg__V1__Manifest mr_pb_manifest;
typedef Modelreg__V1__Event mr_pb_event;
typedef Modelreg__V1__IdempotencyRecord mr_pb_idem;
typedef Modelreg__V1__Node mr_pb_node;
typedef Modelreg__V1__AuditRecord mr_pb_audit;
typedef Modelreg__V1__Token mr_pb_token;

typedef struct store store;
typedef struct store_txn store_txn;

/* Idempotency records older than this are dropped when the store opens. */
#define STORE_IDEM_TTL_MS (24LL * 3600 * 1000)
/*
 * On-disk format written by this code. Formats 1 (no search indexes, no
 * audit log) and 2 (no chunk references) are upgraded in place when
 * opened; others are refused.
 */
#define STORE_FORMAT_VERSION 3

/*
 * Opens (creating if needed) the database in directory `dir`. Fails with
 * MR_UNAVAILABLE if another process has it open, MR_DATA_LOSS if its WAL is
 * damaged before the tail, MR_FAILED_PRECONDITION for an unknown format.
 */
mr_status store_open(store **out, const char *dir, mr_err *e);
/* Closes the database. Accepts NULL. No transaction may be open. */
void store_close(store *s);
/*
 * Bulk loading (benchmarks, restores): with `synced` false, commits skip
 * the WAL sync and so are NOT durable until the next synced commit or
 * store_close(). Never for a store that serves clients.
 */
void store_set_synced(store *s, bool synced);
/* The revision of the last committed event; 0 for an empty registry. */
uint64_t store_revision(store *s);

/* ---- backup and restore (backup.c) ------------------------------------- */

/*
 * Writes a consistent backup of the open store into `dir`, an absolute
 * path that must not exist or be an empty directory, whose parent exists:
 * a RocksDB checkpoint, hard-linking SST files on the same file system and
 * copying the rest. Commits wait while it is taken (under the writer
 * lock), reads do not. *revision is the revision the backup holds,
 * *bytes (if not NULL) the total size of its files. MR_INVALID_ARGUMENT
 * for a relative path, MR_ALREADY_EXISTS for an existing non-empty `dir`,
 * MR_FAILED_PRECONDITION if its parent is missing.
 */
mr_status store_checkpoint(store *s, const char *dir, uint64_t *revision,
    uint64_t *bytes, mr_err *e);
/*
 * Offline: makes `data` (absolute) a copy of backup directory `backup`,
 * each file copied and fsynced into `data`.restoring, which is opened as a
 * store to check it and then renamed to `data`. An existing non-empty
 * `data` is MR_ALREADY_EXISTS unless `force`, which renames it to
 * `data`.before-restore-<unix time> (written into aside[aside_cap]; ""
 * when nothing was moved). On failure `data` is left as it was. No store
 * may be open on `data`.
 */
mr_status store_restore(const char *backup, const char *data, bool force,
    uint64_t *revision, char *aside, size_t aside_cap, mr_err *e);

/* ---- catalog reads --------------------------------------------------- */

/* MR_NOT_FOUND if the model does not exist. */
mr_status store_get_model(store *s, const char *name, mr_pb_model **out,
    mr_err *e);
/* The version record; its manifest lists files without chunk lists. */
mr_status store_get_version(store *s, const char *name, const mr_semver *v,
    mr_pb_version **out, mr_err *e);
/* The full manifest of a version, with every file's chunk list. */
mr_status store_get_manifest(store *s, const char *name, const mr_semver *v,
    mr_pb_manifest **out, mr_err *e);
/*
 * The highest version of `name` (by semantic version precedence) in
 * `stage`, or of any stage if `stage` is 0. MR_NOT_FOUND if none.
 */
mr_status store_latest_version(store *s, const char *name, int stage,
    mr_pb_version **out, mr_err *e);

/*
 * The tombstone of a deleted version: its record as it was deleted (files
 * without chunk lists) with `deletion` set. MR_NOT_FOUND if that version
 * was never deleted.
 */
mr_status store_get_deleted(store *s, const char *name, const mr_semver *v,
    mr_pb_version **out, mr_err *e);
/* The tombstone of the highest deleted version of `name`; MR_NOT_FOUND if
 * none was deleted. */
mr_status store_latest_deleted(store *s, const char *name,
    mr_pb_version **out, mr_err *e);

/*
 * Scans call `fn` once per record, in key order, handing it ownership of
 * the record. `fn` returns 0 to go on and non-zero to stop. A scan starts
 * after `after` (exclusive) when it is given.
 */
typedef int (*store_model_fn)(void *arg, mr_pb_model *m);
typedef int (*store_version_fn)(void *arg, mr_pb_version *v);
typedef int (*store_event_fn)(void *arg, mr_pb_event *ev);

/* Models by name. */
mr_status store_scan_models(store *s, const char *after, store_model_fn fn,
    void *arg, mr_err *e);
/*
 * Versions of `name` by precedence (highest first if `descending`); with
 * `stage` != 0 only the versions in that stage, read through the stage
 * index.
 */
mr_status store_scan_versions(store *s, const char *name, int stage,
    const mr_semver *after, bool descending, store_version_fn fn, void *arg,
    mr_err *e);
/* Which index a catalog search reads. */
enum store_index {
	STORE_BY_NAME,  /* every version */
	STORE_BY_STAGE, /* versions in `stage` */
	STORE_BY_TAG,   /* versions with tag_key = tag_value */
};

typedef struct store_query {
	enum store_index index;
	int stage; /* STORE_BY_STAGE; with STORE_BY_TAG, 0 or only this one */
	const char *tag_key, *tag_value;
	const char *name_prefix; /* only models whose name starts so; NULL */
	/* Resume after this version (exclusive); after_name NULL: start. */
	const char *after_name;
	const mr_semver *after;
} store_query;

/*
 * Versions of every model through one index, in name-then-precedence
 * order, from one snapshot. Index entries are read back as records with
 * point lookups.
 */
mr_status store_scan_catalog(store *s, const store_query *q,
    store_version_fn fn, void *arg, mr_err *e);

/* Events after revision `after`, of model `name` or (NULL) of all. */
mr_status store_scan_events(store *s, const char *name, uint64_t after,
    store_event_fn fn, void *arg, mr_err *e);

/* ---- chunks ------------------------------------------------------------ */

/* For each of `n` digests, whether the chunk is stored. */
mr_status store_chunks_exist(store *s, const uint8_t *const *digests,
    size_t n, bool *exists, mr_err *e);
/*
 * store_chunks_exist for an upload (FindMissingChunks): every chunk found
 * is also touched, its record taking the current time, so that garbage
 * collection keeps it for its grace period while the upload goes on.
 * Touching and collecting exclude each other (the chunk lock), so a chunk
 * reported present was not being deleted at that moment.
 */
mr_status store_chunks_touch(store *s, const uint8_t *const *digests,
    size_t n, bool *exists, mr_err *e);
/*
 * Stores a chunk's bytes as given (already verified by the caller) unless
 * it is present, in which case it is touched (as store_chunks_touch);
 * *stored tells which. `len` is at most MR_CHUNK_MAX.
 */
mr_status store_put_chunk(store *s, const uint8_t digest[MR_DIGEST_LEN],
    int encoding, uint32_t raw_len, const void *data, size_t len,
    bool *stored, mr_err *e);

/* A stored chunk, pinned in RocksDB's memory until released. */
typedef struct store_chunk {
	int encoding;
	uint32_t raw_len;
	const void *data;
	size_t len;
	void *pin; /* private */
} store_chunk;

/* MR_NOT_FOUND if absent. Release with store_chunk_release. */
mr_status store_get_chunk(store *s, const uint8_t digest[MR_DIGEST_LEN],
    store_chunk **out, mr_err *e);
void store_chunk_release(store_chunk *c);

/*
 * Scrubbing (storage/scrub.c): reads stored chunks in digest order and
 * verifies each against its name, so that damage at rest is found before
 * a pull trips over it. One call is one slice, read from one snapshot
 * without filling the block cache.
 */

/* Why a chunk failed its check. */
typedef enum store_scrub_reason {
	STORE_SCRUB_BAD_DATA = 1,   /* decodes wrong: length or SHA-256 */
	STORE_SCRUB_BAD_RECORD,     /* its chunkmeta record is malformed */
	STORE_SCRUB_NO_RECORD,      /* data without a chunkmeta record */
	STORE_SCRUB_NO_DATA,        /* a chunkmeta record without data */
	STORE_SCRUB_LENGTH,         /* stored length differs from the record */
	STORE_SCRUB_BAD_KEY,        /* a key that is not a 32-byte digest */
	STORE_SCRUB_UNREADABLE,     /* RocksDB cannot read it back (a block
	                               failing its checksum) */
} store_scrub_reason;

/* A damaged chunk: its digest (key; the first 32 bytes of a malformed
 * key, zero-padded), why, and a sentence. Returns non-zero to stop. */
typedef int (*store_scrub_fn)(void *arg, const uint8_t digest[MR_DIGEST_LEN],
    store_scrub_reason why, const char *detail);

typedef struct store_scrub_slice {
	uint64_t chunks;  /* chunks checked */
	uint64_t bytes;   /* stored bytes read */
	uint64_t damaged; /* reported through the callback */
	bool done;        /* no chunk after `next` */
	uint8_t next[MR_DIGEST_LEN]; /* start of the next slice, if !done */
} store_scrub_slice;

/*
 * Checks chunks from digest `start` (inclusive; NULL: the first) until
 * `max_chunks` chunks (at least 1) have been checked or `max_bytes` stored
 * bytes read (0: no byte limit; the chunk that crosses it is still
 * checked), reporting each damaged one through `fn`. `codec` and `scratch`
 * (MR_CHUNK_MAX bytes) are the caller's, for decoding. Damage is reported,
 * not failed: the return is not MR_OK only when RocksDB fails.
 */
mr_status store_scrub(store *s, const uint8_t *start, uint64_t max_chunks,
    uint64_t max_bytes, mr_codec *codec, void *scratch, store_scrub_fn fn,
    void *arg, store_scrub_slice *out, mr_err *e);
/* "data does not match its digest", ...; "?" for an unknown value. */
const char *store_scrub_reason_name(store_scrub_reason why);

/* ---- garbage collection (gc.c) ------------------------------------------ */

/* Chunks one sweep batch reads, and at most deletes under the locks. */
#define STORE_GC_BATCH 256

typedef struct store_gc_stats {
	uint64_t scanned;         /* chunk records read */
	uint64_t deleted;         /* chunks deleted (dry run: deletable) */
	uint64_t bytes_freed;     /* their stored bytes */
	uint64_t kept_grace;      /* unreferenced, touched within the grace */
	uint64_t kept_referenced; /* referenced by a version */
} store_gc_stats;

/*
 * Mark and sweep of the chunk store. The mark is kept all along: every
 * version's manifest has a reference entry per chunk ('R' keys), written
 * and removed in the same batch as the manifest. The sweep reads the
 * chunk records in digest order, STORE_GC_BATCH at a time without any lock,
 * and picks those unreferenced and not touched for `grace_ms` (stored, or
 * reported present to an upload: store_chunks_touch, store_put_chunk).
 * It then takes the writer lock (commits wait) and the chunk lock (touches
 * wait), reads each pick again, and deletes in one batch those still
 * unreferenced and untouched. A version committed before that batch has
 * its references in place, so its chunks are kept; one committed after it
 * finds a deleted chunk missing in its own check under the writer lock and
 * fails with MR_FAILED_PRECONDITION, changing nothing. So no committed
 * version ever lacks a chunk, and an upload that keeps touching its chunks
 * within the grace period commits. With `dry_run`, nothing is deleted and
 * `deleted` counts what would be. Chunk records that do not decode are
 * left to the scrubber.
 */
mr_status store_gc(store *s, int64_t grace_ms, bool dry_run,
    store_gc_stats *out, mr_err *e);
/* Whether a version's manifest references chunk `digest`. */
mr_status store_chunk_referenced(store *s,
    const uint8_t digest[MR_DIGEST_LEN], bool *referenced, mr_err *e);

/* ---- transactions ------------------------------------------------------ */

/* Takes the writer lock (waiting for it) and starts an empty batch. */
mr_status store_txn_begin(store *s, store_txn **out, mr_err *e);
/* Drops the staged writes and releases the lock. Accepts NULL. */
void store_txn_abort(store_txn *t);
/*
 * Applies the staged writes atomically with a synced WAL write, releases
 * the lock and frees `t`, whether or not it succeeds. On failure nothing
 * of it is visible, but a batch that reached the WAL before a sync failed
 * reappears when the store is reopened: the outcome is unknown until
 * then, and a caller retries with the same idempotency key.
 * MR_RESOURCE_EXHAUSTED: the disk is full; writes resume by themselves
 * once there is room (RocksDB's recovery, polling every 5 s).
 * MR_UNAVAILABLE: another I/O error; RocksDB takes it as fatal and
 * refuses every write until the store is reopened.
 */
mr_status store_txn_commit(store_txn *t, mr_err *e);
/* The store the transaction belongs to (for reads under the lock). */
store *store_txn_store(store_txn *t);
/* Revision of the last event staged in `t`; 0 if none. */
uint64_t store_txn_revision(const store_txn *t);

mr_status store_txn_put_model(store_txn *t, const mr_pb_model *m, mr_err *e);
/*
 * Stages a version record (its manifest's chunk lists are left out; store
 * them with store_txn_put_manifest) and moves its index entries (stage,
 * stage across models, tags) from those of `old`, its previous record
 * (NULL for a new version), to those of `v`.
 */
mr_status store_txn_put_version(store_txn *t, const mr_pb_version *v,
    const mr_pb_version *old, mr_err *e);
/*
 * Builds in `out` a shallow copy of `m` whose files carry no chunk lists:
 * the form version records keep, and replies send unless asked for
 * chunks. `files` and `ptrs` are the caller's, m->n_files long each.
 */
void store_manifest_files_only(const mr_pb_manifest *m, mr_pb_manifest *out,
    Modelreg__V1__FileEntry *files, Modelreg__V1__FileEntry **ptrs);
/*
 * Stages a version's manifest and a chunk reference entry for each chunk
 * it lists (what garbage collection keeps). Putting another manifest for
 * the same version leaves the old one's references, which only keeps
 * chunks longer.
 */
mr_status store_txn_put_manifest(store_txn *t, const char *name,
    const mr_semver *v, const mr_pb_manifest *m, mr_err *e);
/*
 * Stages the deletion of a version: its record, its manifest, its index
 * entries and its chunk references go, and `tomb` is kept as its
 * tombstone (store_get_deleted). `tomb` is the version's stored record
 * with `deletion` set: its stage and tags name the index entries.
 */
mr_status store_txn_delete_version(store_txn *t, const mr_pb_version *tomb,
    mr_err *e);
/* Stages the removal of a model's record; delete its versions first. */
void store_txn_delete_model(store_txn *t, const char *name);
/*
 * Assigns the next revision to `ev` (writing ev->revision), and stages it
 * in the event log and in its model's history. Returns the revision.
 */
uint64_t store_txn_append_event(store_txn *t, mr_pb_event *ev, mr_err *e);

/* An event of a committed transaction, as store_commit_fn sees it. */
typedef struct store_committed {
	const char *model;      /* "" for lineage events */
	uint64_t revision;
	uint64_t model_prev_revision; /* the model's previous event; 0: none */
	const uint8_t *event;   /* the packed Event */
	size_t event_len;
} store_committed;

/* Called with the events of a transaction, by revision; `n` may be 0. */
typedef void (*store_commit_fn)(void *arg, const store_committed *evs,
    size_t n);
/*
 * Asks store_txn_commit() to call `fn` once the batch is durable and
 * before the writer lock is released, so that successive calls come in
 * revision order and never for a failed commit. Set it before staging
 * events: only events appended afterwards are kept for it (each with its
 * model's previous revision, read under the lock from the history
 * family). `fn` runs under the writer lock: it must not block.
 */
void store_txn_on_commit(store_txn *t, store_commit_fn fn, void *arg);

/* The idempotency record under `key`, read under the writer lock. */
mr_status store_txn_get_idem(store_txn *t, const char *key, mr_pb_idem **out,
    mr_err *e);
mr_status store_txn_put_idem(store_txn *t, const char *key,
    const mr_pb_idem *r, mr_err *e);

/* ---- lineage ---------------------------------------------------------- */

/*
 * The lineage graph (storage/lineage.c): nodes by id, and every edge
 * twice, under its upstream end and under its downstream end, so a walk
 * either way is a range scan. Edge writes always stage both keys in the
 * same batch.
 */

/* MR_NOT_FOUND if there is no node `id`. */
mr_status store_get_node(store *s, const char *id, mr_pb_node **out,
    mr_err *e);

/* Called per edge with the far end's id (NUL-terminated) and the type. */
typedef int (*store_edge_fn)(void *arg, const char *far, int type);
/* The edges out of `id` (downstream) or into it (upstream), by type then
 * far id. */
mr_status store_scan_edges(store *s, const char *id, bool downstream,
    store_edge_fn fn, void *arg, mr_err *e);

/* Called with node ids; non-zero stops. */
typedef int (*store_id_fn)(void *arg, const char *id);
/* Ids of the nodes of `kind` whose version (or, if !by_version, name) is
 * `key`, by id. */
mr_status store_find_nodes(store *s, int kind, bool by_version,
    const char *key, store_id_fn fn, void *arg, mr_err *e);

typedef int (*store_node_fn)(void *arg, mr_pb_node *n);
/* Nodes by id, of one kind (0: every kind), after `after` (exclusive). */
mr_status store_scan_nodes(store *s, int kind, const char *after,
    store_node_fn fn, void *arg, mr_err *e);

/* Called per dangling reference: the model node holding it and which
 * metadata field it came from. */
typedef int (*store_dangling_fn)(void *arg, const char *model_id, int field);
/* Dangling references that a node of `kind` known as `ref` resolves. */
mr_status store_scan_dangling(store *s, int kind, const char *ref,
    store_dangling_fn fn, void *arg, mr_err *e);

/* Stages a node. `old` is its previous record (NULL for a new node), so
 * that the name and version indexes follow. */
mr_status store_txn_put_node(store_txn *t, const mr_pb_node *n,
    const mr_pb_node *old, mr_err *e);
/* Stages the removal of a node and its index entries (not its edges). */
mr_status store_txn_delete_node(store_txn *t, const mr_pb_node *n,
    mr_err *e);
/* Stages both keys of an edge, or their removal. */
void store_txn_put_edge(store_txn *t, const char *from, const char *to,
    int type);
void store_txn_delete_edge(store_txn *t, const char *from, const char *to,
    int type);
/* Stages a dangling reference of `model_id`, or its removal. */
void store_txn_put_dangling(store_txn *t, int kind, const char *ref,
    int field, const char *model_id);
void store_txn_delete_dangling(store_txn *t, int kind, const char *ref,
    int field, const char *model_id);

/*
 * Checks the graph's invariants: every edge has both of its keys and both
 * of its nodes. Counts edges; MR_DATA_LOSS naming the first violation.
 */
mr_status store_lineage_check(store *s, uint64_t *edges, mr_err *e);

/* ---- audit log ---------------------------------------------------------- */

/*
 * Stages an audit record after the last one (committed or staged in `t`):
 * assigns r->seq, r->prev_hash and r->hash (r's bytes must stay valid
 * until the commit). Record hashes are the SHA-256 of the record packed
 * with `hash` empty.
 */
mr_status store_txn_append_audit(store_txn *t, mr_pb_audit *r, mr_err *e);

typedef int (*store_audit_fn)(void *arg, mr_pb_audit *r);
/* Records after seq `after`, of model `model` or (NULL) of all, by seq. */
mr_status store_scan_audit(store *s, const char *model, uint64_t after,
    store_audit_fn fn, void *arg, mr_err *e);

typedef struct store_audit_check {
	uint64_t records;      /* records read */
	uint64_t first_broken; /* 0 if the chain holds */
	char problem[256];
	uint8_t head_hash[MR_DIGEST_LEN];
} store_audit_check;

/*
 * Recomputes the chain from record 1 to the head record: sequence
 * numbers without gaps, each record's prev_hash and hash, and the head.
 * A broken chain is reported in *out, not as a failure.
 */
mr_status store_audit_verify(store *s, store_audit_check *out, mr_err *e);

/* ---- tokens (tokens.c) --------------------------------------------------- */

/* A token record by id; MR_NOT_FOUND if there is none. */
mr_status store_get_token(store *s, const char *id, mr_pb_token **out,
    mr_err *e);
mr_status store_txn_put_token(store_txn *t, const mr_pb_token *tok,
    mr_err *e);
typedef int (*store_token_fn)(void *arg, mr_pb_token *tok);
/* Every token record, by id; `fn` owns each. */
mr_status store_scan_tokens(store *s, store_token_fn fn, void *arg,
    mr_err *e);
/*
 * Whether the first admin token was ever made. The mark stays when every
 * token is later revoked, so an emptied registry never hands out a new
 * first token.
 */
bool store_tokens_bootstrapped(store *s);
void store_txn_mark_bootstrapped(store_txn *t);

#endif /* MR_STORE_H */
