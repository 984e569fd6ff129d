/*
 * keys.h - every RocksDB key layout of modelreg, and nothing else.
 *
 * Keys sort the way queries read them: numbers are big-endian, a model
 * name is followed by a 0x00 byte (names never hold one) so that one
 * model's keys form a contiguous range, and a version is written as a
 * "version key" whose bytewise order is semantic version precedence.
 *
 * Column family "default"
 *   "format"                                  -> u32 BE format version
 *   "revision"                                -> u64 BE last revision
 *   "token/" id                               -> Token (auth.proto)
 *   "tokens_bootstrapped"                     -> empty: the first admin
 *                                                token was made
 *   "audit_head"                              -> u64 BE seq of the last
 *                                                audit record, then its
 *                                                32-byte hash
 *
 * Column family "catalog"
 *   OFFSET  SIZE   FIELD
 *   0       1      'M'
 *   1       n      model name                 -> Model
 *
 *   0       1      'V' (version) or 'C' (manifest with chunk lists)
 *   1       n      model name
 *   1+n     1      0x00
 *   2+n     k      version key                -> ModelVersion / Manifest
 *
 *   0       1      'S' (stage index)
 *   1       n      model name
 *   1+n     1      0x00
 *   2+n     1      stage number (1..4)
 *   3+n     k      version key                -> empty
 *
 *   0       1      'G' (stage index across models, for searches)
 *   1       1      stage number (1..4)
 *   2       n      model name
 *   2+n     1      0x00
 *   3+n     k      version key                -> empty
 *
 *   0       1      'T' (version tag index, for searches)
 *   1       a      tag key
 *   1+a     1      0x00
 *   2+a     b      tag value (printable UTF-8: never 0x00)
 *   2+a+b   1      0x00
 *   3+a+b   n      model name
 *   3+a+b+n 1      0x00
 *   4+a+b+n k      version key                -> stage (1 byte; an
 *                                                empty value is read as
 *                                                "any stage")
 *
 *   0       1      'X' (deleted version: tombstone)
 *   1       n      model name
 *   1+n     1      0x00
 *   2+n     k      version key                -> ModelVersion, with its
 *                                                deletion set, files
 *                                                without chunk lists
 *
 *   0       1      'R' (chunk reference, for garbage collection)
 *   1       32     chunk SHA-256
 *   33      n      model name
 *   33+n    1      0x00
 *   34+n    k      version key                -> empty
 *
 * Every 'C' manifest has one 'R' entry per distinct chunk it lists,
 * written and removed in the same batch as the manifest, so "is any
 * version using chunk D?" is one seek to 'R' D.
 *
 * Both search indexes end in "name 0x00 version key", so a scan of one
 * yields versions in name-then-precedence order, like the 'V' keys, and a
 * name prefix narrows any of them to a contiguous range.
 *
 * Column family "history" (stage history of one model, oldest first)
 *   0       n      model name
 *   n       1      0x00
 *   n+1     8      revision, BE               -> Event
 *
 * Column family "events" (the ordered log of every model)
 *   0       8      revision, BE               -> Event
 *
 * Column family "lineage" (node ids never hold 0x00; see lineage.proto)
 *   'N' id                                   -> Node
 *   'D' from 0x00 type(1) to                 -> empty (edges, downstream)
 *   'U' to 0x00 type(1) from                 -> empty (edges, upstream)
 *   'K' kind(1) version 0x00 id              -> empty (nodes by version)
 *   'A' kind(1) name 0x00 id                 -> empty (nodes by name)
 *   'R' kind(1) ref 0x00 field(1) model-id   -> empty (dangling metadata
 *                                               references, by what a new
 *                                               node must be to resolve them)
 *
 * Column family "chunks": 32-byte SHA-256    -> the chunk's bytes as sent
 * Column family "chunkmeta": 32-byte SHA-256 -> chunk record (below)
 * Column family "idem": idempotency key      -> IdempotencyRecord
 *
 * Column family "audit" (the hash-chained audit log; see audit.proto)
 *   'L' seq(8, BE)                           -> AuditRecord
 *   'M' model 0x00 seq(8, BE)                -> empty (records by model)
 *
 * Version key (k bytes):
 *   0       4      major, BE
 *   4       4      minor, BE
 *   8       4      patch, BE
 *   12      1      0xFF for a release, which sorts after any pre-release;
 *                  else the pre-release identifiers, each either
 *                  0x01 + u32 BE (numeric) or 0x02 + bytes + 0x00
 *                  (alphanumeric), then 0x00. Numeric sorts before
 *                  alphanumeric and a shorter list before a longer one,
 *                  as semver.org section 11 orders them.
 *
 * Chunk record (KEYS_CHUNKMETA_LEN bytes):
 *   0       1      record format (1)
 *   1       1      encoding (0 raw, 1 zstd)
 *   2       2      reserved, 0
 *   4       4      raw (decoded) length, BE
 *   8       4      stored length, BE
 *   12      8      time touched, ms since the epoch, BE: when it was
 *                  stored, or later reported present to an upload
 *                  (FindMissingChunks, PutChunk); garbage collection
 *                  keeps a chunk touched within its grace period
 */
#ifndef MR_KEYS_H
#define MR_KEYS_H

#include <stddef.h>
#include <stdint.h>

#include "common.h"

enum keys_cf {
	KEYS_CF_DEFAULT,
	KEYS_CF_CATALOG,
	KEYS_CF_HISTORY,
	KEYS_CF_EVENTS,
	KEYS_CF_CHUNKS,
	KEYS_CF_CHUNKMETA,
	KEYS_CF_IDEM,
	KEYS_CF_LINEAGE,
	KEYS_CF_AUDIT,
	KEYS_CF_COUNT
};

/* Names of the column families, indexed by enum keys_cf. */
extern const char *const keys_cf_names[KEYS_CF_COUNT];

/* Room for any key built here: an edge key holds two node ids. */
#define KEYS_MAX 1024
/*
 * Longest version key: 12 + per identifier 5 bytes (numeric) or its length
 * + 2, + 1. An identifier takes at least 2 characters of the text with its
 * '.', and costs at most 5 bytes per 2 characters ("1." -> 5 bytes), so
 * MR_VERSION_MAX / 2 identifiers of 5 bytes bound it.
 */
#define KEYS_VERKEY_MAX (13 + 5 * (MR_VERSION_MAX / 2))

#define KEYS_FORMAT "format"
#define KEYS_REVISION "revision"
#define KEYS_AUDIT_HEAD "audit_head"
#define KEYS_TOKEN_PREFIX "token/"
#define KEYS_TOKENS_BOOTSTRAPPED "tokens_bootstrapped"

enum {
	KEYS_MODEL = 'M',
	KEYS_VERSION = 'V',
	KEYS_MANIFEST = 'C',
	KEYS_STAGE = 'S',
	KEYS_STAGE_ALL = 'G',
	KEYS_TAG = 'T',
	KEYS_DELETED = 'X',
	KEYS_CHUNK_REF = 'R',
};

size_t keys_verkey(uint8_t *out, const mr_semver *v);
/* 0 on success, -1 if the bytes are not a well-formed version key. */
int keys_verkey_decode(const uint8_t *k, size_t n, mr_semver *out);

/* 'M' name */
size_t keys_model(uint8_t *out, const char *name);
/* kind ('V' or 'C') name 0x00 verkey */
size_t keys_version(uint8_t *out, int kind, const char *name,
    const mr_semver *v);
/* kind name 0x00: the prefix of all of one model's version keys */
size_t keys_version_prefix(uint8_t *out, int kind, const char *name);
/* 'S' name 0x00 stage verkey */
size_t keys_stage(uint8_t *out, const char *name, int stage,
    const mr_semver *v);
/* 'S' name 0x00 stage */
size_t keys_stage_prefix(uint8_t *out, const char *name, int stage);

/* 'G' stage [name 0x00 verkey]: with v NULL, the prefix up to the end of
 * `name` (no 0x00), so a name prefix ("" for all) gives a range */
size_t keys_stage_all(uint8_t *out, int stage, const char *name,
    const mr_semver *v);
/* 'T' key 0x00 value 0x00 [name 0x00 verkey]: with v NULL, as above */
size_t keys_tag(uint8_t *out, const char *key, const char *value,
    const char *name, const mr_semver *v);
/* 'V' [name 0x00 verkey]: with v NULL, 'V' and the bare name prefix */
size_t keys_version_all(uint8_t *out, const char *name, const mr_semver *v);
/* 'R' digest [name 0x00 verkey]: with name NULL, the 33-byte prefix */
size_t keys_chunk_ref(uint8_t *out, const uint8_t digest[MR_DIGEST_LEN],
    const char *name, const mr_semver *v);
/* Splits the "name 0x00 verkey" tail of an index key. */
int keys_ref_decode(const uint8_t *p, size_t n, char name[MR_NAME_MAX + 1],
    mr_semver *v);

enum {
	KEYS_AUDIT_LOG = 'L',
	KEYS_AUDIT_BY_MODEL = 'M',
};

/* 'L' seq */
size_t keys_audit(uint8_t *out, uint64_t seq);
/* 'M' model 0x00 [seq]: with seq 0, the prefix */
size_t keys_audit_model(uint8_t *out, const char *model, uint64_t seq);

/* name 0x00 revision */
size_t keys_history(uint8_t *out, const char *name, uint64_t rev);
size_t keys_history_prefix(uint8_t *out, const char *name);
/* revision */
size_t keys_event(uint8_t *out, uint64_t rev);

enum {
	KEYS_NODE = 'N',
	KEYS_EDGE_DOWN = 'D',
	KEYS_EDGE_UP = 'U',
	KEYS_NODE_BY_VERSION = 'K',
	KEYS_NODE_BY_NAME = 'A',
	KEYS_DANGLING = 'R',
};

/* 'N' id */
size_t keys_node(uint8_t *out, const char *id);
/* dir ('D' or 'U') a 0x00 type b; with b NULL, the prefix up to type
 * (type 0: up to the 0x00, all types) */
size_t keys_edge(uint8_t *out, int dir, const char *a, int type,
    const char *b);
/* Splits an edge key into its type and far end (pointing into k). */
int keys_edge_decode(const uint8_t *k, size_t n, int *type,
    const char **far, size_t *far_len);
/* idx ('K' or 'A') kind key 0x00 id; with id NULL, the prefix */
size_t keys_node_index(uint8_t *out, int idx, int kind, const char *key,
    const char *id);
/* 'R' kind ref 0x00 field model-id; with model_id NULL, the prefix */
size_t keys_dangling(uint8_t *out, int kind, const char *ref, int field,
    const char *model_id);

void keys_put_u32(uint8_t *p, uint32_t v);
void keys_put_u64(uint8_t *p, uint64_t v);
uint32_t keys_get_u32(const uint8_t *p);
uint64_t keys_get_u64(const uint8_t *p);

#define KEYS_CHUNKMETA_LEN 20
#define KEYS_CHUNKMETA_FORMAT 1

typedef struct keys_chunkmeta {
	int encoding;
	uint32_t raw_len;
	uint32_t stored_len;
	int64_t touched_at_ms;
} keys_chunkmeta;

void keys_chunkmeta_encode(uint8_t out[KEYS_CHUNKMETA_LEN],
    const keys_chunkmeta *m);
/* 0, or -1 if the record is malformed. */
int keys_chunkmeta_decode(const uint8_t *p, size_t n, keys_chunkmeta *out);

#endif /* MR_KEYS_H */
