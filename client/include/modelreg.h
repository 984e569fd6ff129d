/*
 * modelreg.h - libmodelreg, the C client of the modelreg model registry.
 *
 * A client handle holds one nng REQ socket dialed to a registry server.
 * Every call is synchronous and returns an mr_status; on failure,
 * mr_client_errmsg() tells why in words. Results are plain C structures
 * owned by the caller and freed with their *_free() function, which accepts
 * NULL. Out-parameters are written only on success.
 *
 * A handle is not for concurrent use: give each thread its own. Inside one
 * call the library keeps several requests in flight where that helps
 * (artifact uploads and pulls).
 *
 * The limits below are the server's as well: they are part of the protocol.
 */
#ifndef MODELREG_H
#define MODELREG_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status codes: the gRPC code set with the gRPC numbers. */
typedef enum mr_status {
	MR_OK = 0,
	MR_CANCELLED = 1,
	MR_UNKNOWN = 2,
	MR_INVALID_ARGUMENT = 3,
	MR_DEADLINE_EXCEEDED = 4,
	MR_NOT_FOUND = 5,
	MR_ALREADY_EXISTS = 6,
	MR_PERMISSION_DENIED = 7,
	MR_RESOURCE_EXHAUSTED = 8,
	MR_FAILED_PRECONDITION = 9,
	MR_ABORTED = 10,
	MR_OUT_OF_RANGE = 11,
	MR_UNIMPLEMENTED = 12,
	MR_INTERNAL = 13,
	MR_UNAVAILABLE = 14,
	MR_DATA_LOSS = 15,
	MR_UNAUTHENTICATED = 16,
} mr_status;

/* The code's name as on the wire, e.g. "NOT_FOUND"; "UNKNOWN" if invalid. */
const char *mr_strerror(mr_status code);

typedef enum mr_stage {
	MR_STAGE_NONE = 0, /* unspecified: "any" in selectors and filters */
	MR_STAGE_DEV = 1,
	MR_STAGE_STAGING = 2,
	MR_STAGE_PRODUCTION = 3,
	MR_STAGE_ARCHIVED = 4,
} mr_stage;

/* "dev", "staging", "production", "archived"; "" for MR_STAGE_NONE. */
const char *mr_stage_name(mr_stage stage);
/* Parses a stage name (also "prod", "stage", case-insensitive); 0 or -1. */
int mr_stage_parse(const char *text, mr_stage *out);

/*
 * Limits. Every one is enforced by the server, which answers
 * MR_INVALID_ARGUMENT (or MR_RESOURCE_EXHAUSTED for sizes) when one is
 * exceeded. Lengths are in bytes.
 */
#define MR_NAME_MAX 128           /* model name: [A-Za-z0-9][A-Za-z0-9._-]* */
#define MR_VERSION_MAX 64         /* semantic version text */
#define MR_TAG_KEY_MAX 128        /* tag key: [A-Za-z0-9][A-Za-z0-9._/-]* */
#define MR_TAG_VALUE_MAX 256      /* tag value: printable UTF-8 */
#define MR_TAGS_MAX 64            /* tags per model or version */
#define MR_TEXT_MAX 4096          /* descriptions */
#define MR_REASON_MAX 1024        /* reasons given for stage changes */
#define MR_STRING_MAX 256         /* metadata strings, field names/types */
#define MR_METRICS_MAX 256        /* metrics per version */
#define MR_PARAMS_MAX 256         /* hyperparameters per version */
#define MR_FEATURES_MAX 10000     /* feature names per version */
#define MR_FIELDS_MAX 4096        /* signature inputs + outputs */
#define MR_FILES_MAX 100000       /* files per artifact */
#define MR_PATH_MAX 1024          /* relative path of a file in an artifact */
#define MR_CHUNK_SIZE (1u << 20)  /* typical chunk: the client cuts files by
                                     content, at most MR_CHUNK_MAX a chunk */
#define MR_CHUNK_MAX (4u << 20)   /* largest chunk the server accepts */
#define MR_CHUNKS_MAX 262144      /* chunk refs per artifact (~256 GiB) */
#define MR_FIND_MISSING_MAX 8192  /* digests per FindMissingChunks call */
#define MR_PAGE_SIZE_DEFAULT 100  /* list page size when none is given */
#define MR_PAGE_SIZE_MAX 1000     /* largest list page */
#define MR_LINEAGE_NAME_MAX 128   /* lineage node name or version */
#define MR_NODE_ID_MAX 320        /* "kind:name@version..." */
#define MR_PROPERTIES_MAX 64      /* properties per lineage node */
#define MR_LINEAGE_DEPTH_DEFAULT 5
#define MR_LINEAGE_DEPTH_MAX 32
/* Nodes one lineage request may visit (walks, impact, paths, cycle
 * checks); past it the request is MR_RESOURCE_EXHAUSTED. */
#define MR_LINEAGE_VISIT_MAX 100000
#define MR_IDEMPOTENCY_KEY_MAX 128
#define MR_USER_MAX 128           /* a token's identity */
#define MR_GRANTS_MAX 32          /* grants on one token */
#define MR_METADATA_MAX 32        /* envelope metadata entries */
#define MR_ALIAS_MAX 64           /* alias name: [a-z][a-z0-9_-]* */
#define MR_ALIASES_MAX 64         /* aliases per model */
#define MR_ROUTING_KEY_MAX 256    /* routing key given to mr_resolve */
#define MR_APPROVERS_MAX 64       /* approvers a policy names, and the
                                     approvals it may require */
#define MR_REVIEWS_MAX 256        /* standing reviews per version */
#define MR_FILTER_MAX 4096        /* search filter or order_by text */
/* Matches a search may hold to sort when it is ordered other than by name
 * and version; past it the search is MR_RESOURCE_EXHAUSTED (narrow the
 * filter). */
#define MR_SEARCH_SORT_MAX 10000
/*
 * Records one search or audit listing reads. Past it, a search in the
 * default order and an audit listing return the page they have (perhaps
 * short or empty) with a token that continues after the last record
 * read; a search in another order is MR_RESOURCE_EXHAUSTED.
 */
#define MR_SCAN_MAX 100000
/*
 * Garbage collection keeps a chunk that no version references while it
 * was stored, or reported present to an upload (FindMissingChunks,
 * PutChunk), within this grace period: an upload has this long between
 * those calls and its commit. modelregd --gc-grace sets the server's.
 */
#define MR_GC_GRACE_MS (3600 * 1000)
/*
 * The largest request the server handles and the largest reply it sends.
 * A request larger than MR_MSG_MAX but within MR_WIRE_MAX is answered with
 * MR_RESOURCE_EXHAUSTED. MR_WIRE_MAX is the receive limit set on every nng
 * socket: nng drops a larger message together with its connection, so its
 * sender sees a timeout rather than an error. The client library refuses
 * to send a request over MR_MSG_MAX.
 */
#define MR_MSG_MAX (16u << 20)
#define MR_WIRE_MAX (2 * MR_MSG_MAX)

#define MR_DEFAULT_URL "tcp://127.0.0.1:7878"
#define MR_DIGEST_LEN 32          /* SHA-256 */

/* ---- results ---------------------------------------------------------- */

typedef struct mr_kv {
	char *key;
	char *value;
} mr_kv;

typedef struct mr_metric {
	char *name;
	double value;
} mr_metric;

typedef struct mr_field {
	char *name;
	char *type;
} mr_field;

typedef struct mr_metadata {
	mr_metric *metrics;
	size_t n_metrics;
	mr_kv *hyperparameters;
	size_t n_hyperparameters;
	char *framework;
	char *framework_version;
	char *python_version;
	char **features;
	size_t n_features;
	char *training_data_version;
	char *feature_set_version;
	char *experiment;
	char *increment;
	char *parent_model;
} mr_metadata;

typedef struct mr_signature {
	mr_field *inputs;
	size_t n_inputs;
	mr_field *outputs;
	size_t n_outputs;
} mr_signature;

typedef struct mr_file {
	char *path;
	uint64_t size;
	uint8_t digest[MR_DIGEST_LEN];
	uint32_t mode;
} mr_file;

/* Whether a higher or lower value of a metric is the better one. */
typedef enum mr_metric_goal {
	MR_GOAL_DEFAULT = 0, /* by the metric's name; see mr_model */
	MR_GOAL_HIGHER = 1,
	MR_GOAL_LOWER = 2,
} mr_metric_goal;

typedef enum mr_decision {
	MR_APPROVE = 1,
	MR_REJECT = 2,
	/* An ADMIN approving a version it registered itself, which
	 * separation of duties otherwise refuses: needs a comment, and the
	 * approval and its audit record say it was an override. */
	MR_APPROVE_OVERRIDE = 3,
} mr_decision;

/* A reviewer's standing decision on a version for a stage. */
typedef struct mr_review {
	mr_stage stage;
	char *reviewer;
	mr_decision decision;
	char *comment;
	int64_t time_ms;
	uint64_t revision;
} mr_review;

typedef struct mr_version {
	char *name;
	char *version;
	mr_stage stage;
	char *description;
	mr_metadata metadata;
	mr_kv *tags;
	size_t n_tags;
	mr_signature signature;
	bool directory; /* artifact is a directory tree, not one file */
	mr_file *files;
	size_t n_files;
	uint8_t artifact_digest[MR_DIGEST_LEN];
	uint64_t artifact_size;
	uint32_t chunk_count;
	char *created_by;
	int64_t created_at_ms;
	uint64_t created_revision;
	int64_t stage_changed_at_ms;
	char *displaced_version; /* production version this one replaced */
	bool ever_production;
	/* Set by mr_register only: metadata references that named no lineage
	 * node (see "lineage" below). */
	struct mr_dangling *dangling;
	size_t n_dangling;
	bool deprecated;
	char *deprecation_reason;  /* "" unless deprecated */
	int64_t end_of_life_ms;    /* 0: none given */
	char *deprecated_by;
	int64_t deprecated_at_ms;
	mr_review *reviews;        /* by stage, then reviewer */
	size_t n_reviews;
	/* How the number was chosen: "explicit", "bump minor", "auto major:
	 * input amount removed", ... */
	char *version_rule;
	/* A deleted version (mr_delete_version's answer, or a point-in-time
	 * read of a stage it was in): who deleted it, when and why. */
	bool deleted;
	char *deleted_by;          /* "" unless deleted */
	int64_t deleted_at_ms;
	char *deletion_reason;     /* "" unless deleted */
} mr_version;

typedef struct mr_goal {
	char *metric;
	mr_metric_goal goal;
} mr_goal;

/* Who must approve a version before it enters `stage`. */
typedef struct mr_policy {
	mr_stage stage;
	char **approvers; /* none: anyone but the version's registrant */
	size_t n_approvers;
	uint32_t required;
} mr_policy;

typedef struct mr_model {
	char *name;
	char *description;
	char *owner;
	mr_kv *tags;
	size_t n_tags;
	int64_t created_at_ms;
	int64_t updated_at_ms;
	uint32_t version_count;
	char *latest_version;
	char *production_version; /* "" when none */
	char *rollback_target;     /* "" when none */
	uint64_t revision;
	char *primary_metric;      /* "" when none */
	/*
	 * Metric goals set on the model. Other metrics are higher-is-better,
	 * except names holding "latency", "loss", "error", "size", "mae",
	 * "mse", "rmse" or ending in "_ms", "_bytes": lower-is-better.
	 */
	mr_goal *goals;
	size_t n_goals;
	mr_policy *policies;       /* by stage */
	size_t n_policies;
	mr_kv *aliases;            /* alias -> version, by alias */
	size_t n_aliases;
	/* Traffic split: split_basis_points of 10000 routing keys resolve to
	 * the version in split_stage (see mr_resolve); 0 and MR_STAGE_NONE
	 * when the model has none (every key resolves to production). */
	mr_stage split_stage;
	uint32_t split_basis_points;
} mr_model;

typedef enum mr_event_kind {
	MR_EVENT_MODEL_CREATED = 1,
	MR_EVENT_VERSION_REGISTERED = 2,
	MR_EVENT_STAGE_CHANGED = 3,
	MR_EVENT_ROLLBACK = 4,
	MR_EVENT_LINEAGE_NODE_ADDED = 5,
	MR_EVENT_LINEAGE_EDGE_ADDED = 6,
	MR_EVENT_LINEAGE_NODE_DELETED = 7,
	MR_EVENT_MODEL_UPDATED = 8,
	MR_EVENT_VERSION_UPDATED = 9,
	MR_EVENT_POLICY_CHANGED = 10,
	MR_EVENT_REVIEWED = 11,
	MR_EVENT_DEPRECATED = 12,
	MR_EVENT_UNDEPRECATED = 13,
	MR_EVENT_ALIAS_SET = 14,
	MR_EVENT_ALIAS_DELETED = 15,
	MR_EVENT_SPLIT_CHANGED = 16,
	MR_EVENT_VERSION_DELETED = 17, /* from_stage: the stage it was in */
	MR_EVENT_MODEL_DELETED = 18,
} mr_event_kind;

/* "model_created", "version_registered", "stage_changed", "rollback",
 * "node_added", "edge_added", "node_deleted", "model_updated",
 * "version_updated", "policy_changed", "reviewed", "deprecated",
 * "undeprecated", "alias_set", "alias_deleted", "split_changed",
 * "version_deleted", "model_deleted". */
const char *mr_event_kind_name(mr_event_kind kind);

typedef struct mr_event {
	uint64_t revision;
	int64_t time_ms;
	mr_event_kind kind;
	char *model;
	char *version;
	mr_stage from_stage;
	mr_stage to_stage;
	char *actor;
	char *reason;
	char *node; /* lineage events: the node concerned; "" otherwise */
	char *alias; /* alias events: the alias; "" otherwise */
} mr_event;

typedef struct mr_model_list {
	mr_model *items;
	size_t count;
	char *next_page_token; /* "" on the last page */
} mr_model_list;

typedef struct mr_version_list {
	mr_version *items;
	size_t count;
	char *next_page_token;
} mr_version_list;

typedef struct mr_event_list {
	mr_event *items;
	size_t count;
	uint64_t last_revision; /* pass as `after` to continue */
	bool more;
} mr_event_list;

void mr_version_free(mr_version *v);
void mr_model_free(mr_model *m);
void mr_model_list_free(mr_model_list *l);
void mr_version_list_free(mr_version_list *l);
void mr_event_list_free(mr_event_list *l);

/* Lower-case hex of a digest into out[65]; returns out. */
char *mr_digest_hex(const uint8_t digest[MR_DIGEST_LEN], char out[65]);

/* ---- connection ------------------------------------------------------- */

typedef struct mr_client mr_client;

typedef struct mr_client_options {
	/* "<id>.<secret>"; NULL: $MODELREG_TOKEN, else none (only reads,
	 * and only where the server opens them to anonymous callers). */
	const char *token;
	int timeout_ms;    /* per call; 0: 30000 */
	int window;        /* chunk requests in flight during pulls; 0: 8 */
	/*
	 * tls+tcp:// only, PEM files. tls_ca: the CA certificate(s) the
	 * server's certificate must be signed by, and it must be issued for
	 * the URL's host; NULL: $MODELREG_TLS_CA; needed. tls_cert and
	 * tls_key: the client's certificate and unencrypted key, for
	 * servers that require one; NULL: none.
	 */
	const char *tls_ca;
	const char *tls_cert;
	const char *tls_key;
} mr_client_options;

/*
 * Connects to a server at `url` (tcp://host:port, tls+tcp://host:port,
 * ipc:///path, inproc://x). Fails with MR_UNAVAILABLE when nothing answers
 * at the address, or the TLS handshake fails (the server's certificate is
 * not signed by tls_ca or not issued for the host, or the server wants a
 * client certificate it does not get); MR_INVALID_ARGUMENT for a bad URL,
 * a tls+tcp:// URL without a CA, or a TLS file that cannot be used. Once
 * connected, the handle reconnects by itself if the server restarts.
 * `opt` may be NULL.
 */
mr_status mr_client_open(mr_client **out, const char *url,
    const mr_client_options *opt);
void mr_client_close(mr_client *c);
/*
 * Why the last call on `c` failed; "" after a success. With `c` NULL: why
 * the last mr_client_open() on the calling thread failed.
 */
const char *mr_client_errmsg(const mr_client *c);
/* Registry revision reported by the last successful mutation. */
uint64_t mr_client_revision(const mr_client *c);

/* ---- administration ------------------------------------------------------ */

/*
 * Asks the server for an online, consistent backup of the whole registry
 * into `dir`, an absolute path ON THE SERVER'S MACHINE that must not exist
 * or be an empty directory, and whose parent exists. The registry keeps
 * serving; commits wait while the backup's files are listed. *revision
 * (if not NULL) is the registry revision the backup holds: every change
 * up to it, nothing after. `modelregd restore` makes a data directory of
 * it. MR_INVALID_ARGUMENT for a relative path, MR_ALREADY_EXISTS for an
 * existing non-empty directory, MR_FAILED_PRECONDITION if its parent does
 * not exist. Give the client a timeout (mr_client_options) long enough to
 * flush and link or copy the store.
 */
mr_status mr_backup(mr_client *c, const char *dir, uint64_t *revision);

/* ---- tokens (proto/auth.proto) --------------------------------------------
 *
 * Every call carries a token "<id>.<secret>" (mr_client_options.token,
 * or $MODELREG_TOKEN). A token acts as one identity, the actor of every
 * change made with it, with grants: a role over the models whose names
 * match a glob pattern. Managing tokens needs ADMIN on "*".
 */

typedef enum mr_role {
	MR_ROLE_READER = 1,   /* reads */
	MR_ROLE_WRITER = 2,   /* reads; register, update, alias, promote... */
	MR_ROLE_APPROVER = 3, /* reads; review for `stage` (NONE: any) */
	MR_ROLE_ADMIN = 4,    /* everything; on "*" the registry as a whole */
} mr_role;

/* "reader", "writer", "approver", "admin"; "" for others. */
const char *mr_role_name(mr_role r);
/* The role named `name`; 0 if none. */
mr_role mr_role_parse(const char *name);

typedef struct mr_grant {
	mr_role role;
	const char *models; /* glob pattern: "fraud-*", "*" */
	mr_stage stage;     /* APPROVER only; MR_STAGE_NONE: every stage */
} mr_grant;

typedef struct mr_token_info {
	const char *id;
	const char *identity;
	const mr_grant *grants;
	size_t n_grants;
	const char *description;
	int64_t created_at_ms;
	const char *created_by;
	int64_t expires_at_ms; /* 0: never */
	int64_t revoked_at_ms; /* 0: not revoked */
	const char *revoked_by;
} mr_token_info;

typedef struct mr_token_list {
	mr_token_info *items;
	size_t count;
	void *reply_; /* what the strings point into */
} mr_token_list;

void mr_token_list_free(mr_token_list *l);
/*
 * Creates a token for `identity` with `grants` (1..MR_GRANTS_MAX), expiring at
 * `expires_at_ms` (0: never). *token (free() it) is the token, shown
 * this once; *info (may be NULL) its record.
 */
mr_status mr_token_create(mr_client *c, const char *identity,
    const mr_grant *grants, size_t n_grants, const char *description,
    int64_t expires_at_ms, char **token, mr_token_list **info);
/* Every token, revoked ones included; never a secret. */
mr_status mr_token_list_all(mr_client *c, mr_token_list **out);
/* Revokes token `id` at once. `out` may be NULL. */
mr_status mr_token_revoke(mr_client *c, const char *id, const char *reason,
    mr_token_list **out);
/* The record of the token this client calls with. */
mr_status mr_whoami(mr_client *c, mr_token_list **out);
/* What a garbage collection found and did. */
typedef struct mr_gc_result {
	uint64_t chunks_scanned;
	uint64_t chunks_deleted;  /* with dry_run: deletable */
	uint64_t bytes_freed;     /* stored bytes of those */
	uint64_t kept_by_grace;   /* unreferenced, touched within the grace */
	uint64_t kept_referenced; /* referenced by a version */
	uint64_t grace_ms;        /* the grace period the server applied */
} mr_gc_result;

/*
 * Has the server delete every stored chunk that no version references
 * and that was not stored, or reported present to an upload, within the
 * grace period: `grace_ms`, or the server's own (modelregd --gc-grace,
 * default MR_GC_GRACE_MS) if that is longer; 0 asks for the server's.
 * Commits wait for one batch of deletions at a time, never for the whole
 * run; a version committed meanwhile keeps its chunks. With `dry_run`
 * nothing is deleted. Give the client a timeout long enough to read every
 * chunk record.
 */
mr_status mr_collect_garbage(mr_client *c, uint64_t grace_ms, bool dry_run,
    mr_gc_result *out);

/* ---- registry ----------------------------------------------------------- */

typedef void (*mr_progress_fn)(void *arg, uint64_t done, uint64_t total);

/* How the server numbers a new version, from the model's highest. */
typedef enum mr_bump {
	MR_BUMP_NONE = 0,  /* the version is given */
	MR_BUMP_MAJOR = 1,
	MR_BUMP_MINOR = 2,
	MR_BUMP_PATCH = 3,
	/* major if the signature lost or retyped a field or a feature was
	 * dropped; else minor if features were added or the primary metric
	 * improved; else patch. */
	MR_BUMP_AUTO = 4,
} mr_bump;

/* "major", "minor", "patch", "auto"; parse: 0 or -1. */
int mr_bump_parse(const char *text, mr_bump *out);

typedef struct mr_register_params {
	const char *name;
	const char *version;   /* "3.1.0" or "v3.1.0"; NULL with a bump */
	mr_bump bump;
	mr_stage stage;        /* MR_STAGE_NONE: dev */
	const char *description;
	const mr_metadata *metadata;   /* may be NULL */
	const mr_kv *tags;
	size_t n_tags;
	const mr_signature *signature; /* may be NULL */
	const char *path;      /* artifact: a regular file or a directory */
	const char *model_description;
	const char *model_owner;
	const mr_kv *model_tags;
	size_t n_model_tags;
	/* Bytes uploaded of bytes to upload, called on the caller's thread:
	 * first (0, the artifact's size) before anything is read, then as
	 * chunks are stored. The artifact is read while it is sent, so until
	 * all of it has been asked about, the bytes not yet asked about count
	 * as to upload: the total only shrinks, to the exact figure, and done
	 * reaches it only at the end. */
	mr_progress_fn progress;
	void *progress_arg;
	const char *reason;    /* kept in the audit log; may be NULL */
} mr_register_params;

/* Statistics of the last artifact upload or pull on a client. */
typedef struct mr_transfer_stats {
	uint64_t files;
	uint64_t chunks;          /* chunk refs in the manifest */
	uint64_t chunks_sent;     /* chunks uploaded or downloaded */
	uint64_t bytes;           /* artifact bytes */
	uint64_t bytes_sent;      /* bytes on the wire (after compression) */
	uint64_t chunks_reused;   /* pull: taken from the cache or from an
	                             interrupted pull, not fetched */
	uint64_t bytes_reused;
} mr_transfer_stats;

/*
 * Uploads the artifact at p->path (only the chunks the server lacks) and
 * commits the version. The version becomes visible only when the commit
 * succeeds. `out` may be NULL.
 */
mr_status mr_register(mr_client *c, const mr_register_params *p,
    mr_version **out);

mr_status mr_get_model(mr_client *c, const char *name, mr_model **out);

/*
 * One version of `name`: `version` if not NULL; else the highest version in
 * `stage` if not MR_STAGE_NONE; else the highest version. Wherever a
 * function takes a version, an alias of the model ("champion") or a
 * reserved alias ("latest", "production", ...) may stand in its place.
 */
mr_status mr_get_version(mr_client *c, const char *name, const char *version,
    mr_stage stage, mr_version **out);
/*
 * The version that was in `stage` at `at_ms` (ms since the epoch, UTC),
 * from the stored stage history: the highest if several were.
 * MR_NOT_FOUND if none was.
 */
mr_status mr_get_version_at(mr_client *c, const char *name, mr_stage stage,
    int64_t at_ms, mr_version **out);

typedef struct mr_list_params {
	uint32_t page_size;      /* 0: MR_PAGE_SIZE_DEFAULT */
	const char *page_token;  /* NULL or "": first page */
	mr_stage stage;          /* filter; MR_STAGE_NONE: any */
	const char *tag;         /* "key" or "key=value"; NULL: any */
	bool descending;         /* versions only: highest first */
} mr_list_params;

mr_status mr_list_models(mr_client *c, const mr_list_params *p,
    mr_model_list **out);
mr_status mr_list_versions(mr_client *c, const char *name,
    const mr_list_params *p, mr_version_list **out);

/*
 * Moves a version to `to`: dev -> staging -> production, or any -> archived.
 * If `expected` is not MR_STAGE_NONE the move happens only if the version is
 * in that stage now (check-and-set). Promoting to production archives the
 * previous production version. `out` may be NULL.
 */
mr_status mr_promote(mr_client *c, const char *name, const char *version,
    mr_stage to, mr_stage expected, const char *reason, mr_version **out);

/*
 * Returns production to `to_version` (NULL: the model's rollback target),
 * which must have been in production before. `out` may be NULL.
 */
mr_status mr_rollback(mr_client *c, const char *name, const char *to_version,
    const char *reason, mr_version **out);

/* Events after revision `after`, of one model or (name NULL) of all. */
mr_status mr_list_events(mr_client *c, const char *name, uint64_t after,
    uint32_t page_size, mr_event_list **out);

/* ---- watch ---------------------------------------------------------------- */

/*
 * A watch follows the registry's change feed: events published on the
 * server's PUB socket (see Watch.Info), checked for gaps and filled from
 * the event log (Watch.WatchSince), so that it returns every event after
 * `after_revision`, of model `name` (NULL: of all), exactly once and by
 * revision, though PUB/SUB drops messages for slow subscribers, and
 * across restarts of the server (it reconnects by itself). A tls+tcp://
 * feed is subscribed to with `c`'s TLS options.
 *
 * The watch makes its catch-up calls through `c`, which must outlive it
 * and not be used by another thread meanwhile; errors are in
 * mr_client_errmsg(c). mr_watch_open fails with MR_FAILED_PRECONDITION if
 * `after_revision` is ahead of the registry's revision.
 */
typedef struct mr_watch mr_watch;

/* As `after_revision`: from the registry's revision when the watch opens. */
#define MR_WATCH_NOW UINT64_MAX

mr_status mr_watch_open(mr_client *c, const char *name,
    uint64_t after_revision, mr_watch **out);
/*
 * The next event (free with mr_event_free), waiting up to `timeout_ms`
 * (negative: without limit). MR_DEADLINE_EXCEEDED when none came in
 * time; a catch-up call that fails returns its status, and the next call
 * tries again. MR_FAILED_PRECONDITION: the registry's revision went back
 * (restored from an older backup); the watch can go no further.
 */
mr_status mr_watch_next(mr_watch *w, int timeout_ms, mr_event **out);
/* The revision up to which the watch holds every matching event. */
uint64_t mr_watch_revision(const mr_watch *w);
/* Accepts NULL. */
void mr_watch_close(mr_watch *w);
/* Frees an event of mr_watch_next. Accepts NULL. */
void mr_event_free(mr_event *ev);

/* ---- lifecycle ------------------------------------------------------------ */

/* A change to a model; NULL (or 0 counts) leave a part as it is. */
typedef struct mr_model_update {
	const char *description; /* "" clears */
	const char *owner;
	const char *primary_metric;
	const mr_kv *set_tags;
	size_t n_set_tags;
	const char *const *delete_tags;
	size_t n_delete_tags;
	const mr_goal *set_goals; /* MR_GOAL_DEFAULT removes one */
	size_t n_set_goals;
	const char *reason;
} mr_model_update;

mr_status mr_update_model(mr_client *c, const char *name,
    const mr_model_update *u, mr_model **out);

typedef struct mr_version_update {
	const char *description;       /* NULL: unchanged; "" clears */
	const mr_signature *signature; /* NULL: unchanged */
	const mr_kv *set_tags;
	size_t n_set_tags;
	const char *const *delete_tags;
	size_t n_delete_tags;
	const char *reason;
} mr_version_update;

/* A new signature is refused for a production version, and one that
 * breaks production's unless the version's major number is higher. */
mr_status mr_update_version(mr_client *c, const char *name,
    const char *version, const mr_version_update *u, mr_version **out);

/*
 * Requires `required` approvals (0 removes the policy) from `approvers`
 * (none: anyone but the registrant) before a version enters `stage`
 * (staging or production). `out` may be NULL.
 */
mr_status mr_set_approval_policy(mr_client *c, const char *name,
    mr_stage stage, const char *const *approvers, size_t n_approvers,
    uint32_t required, const char *reason, mr_model **out);

/*
 * Approves or rejects a version for a stage, as the token's identity. The
 * registrant of a version cannot review it, and a policy with approvers
 * admits only them (MR_PERMISSION_DENIED). A rejection needs a comment. `approvals` and `required`
 * (may be NULL) get the approvals that count now and the policy's need.
 */
mr_status mr_review_version(mr_client *c, const char *name,
    const char *version, mr_stage stage, mr_decision decision,
    const char *comment, uint32_t *approvals, uint32_t *required,
    mr_version **out);

/* Deprecates a version (a reason is required; end_of_life_ms 0: none);
 * a deprecated version cannot be promoted. `out` may be NULL. */
mr_status mr_deprecate(mr_client *c, const char *name, const char *version,
    const char *reason, int64_t end_of_life_ms, mr_version **out);
mr_status mr_undeprecate(mr_client *c, const char *name,
    const char *version, const char *reason, mr_version **out);

/* Points `alias` at `version`, creating or moving it; *previous (may be
 * NULL) gets the version it pointed at before, "" if new. */
mr_status mr_set_alias(mr_client *c, const char *name, const char *alias,
    const char *version, const char *reason, char **previous);
mr_status mr_delete_alias(mr_client *c, const char *name, const char *alias,
    const char *reason, char **previous);

/*
 * Deletes version `version` (exactly: no alias or stage name) of `name`,
 * for `reason` (required). It is gone from gets, lists and searches, and
 * its number can never be registered again (MR_ALREADY_EXISTS); its
 * events, stage history, audit records and lineage node (marked deleted)
 * stay. Its chunks are freed by the next garbage collection unless
 * another version shares them. MR_FAILED_PRECONDITION if it is in
 * production or an alias points at it. `out` (may be NULL) gets the
 * version as it was, with `deleted` set.
 */
mr_status mr_delete_version(mr_client *c, const char *name,
    const char *version, const char *reason, mr_version **out);
/*
 * Deletes every version of model `name` (as mr_delete_version) and the
 * model itself, for `reason` (required). MR_FAILED_PRECONDITION if it
 * has a production version. *n_deleted (may be NULL) gets the number of
 * versions deleted.
 */
mr_status mr_delete_model(mr_client *c, const char *name, const char *reason,
    size_t *n_deleted);

/*
 * Sends `basis_points` of 10000 routing keys (0 removes the split) to the
 * highest version in stage `canary` (dev or staging) instead of the
 * production version. The split keeps the keys it already sends to the
 * canary when its share grows. `out` may be NULL.
 */
mr_status mr_set_traffic_split(mr_client *c, const char *name,
    mr_stage canary, uint32_t basis_points, const char *reason,
    mr_model **out);

/*
 * The version `routing_key` (1..MR_ROUTING_KEY_MAX bytes) should use under
 * the model's traffic split: the same key always gets the same side while
 * the split is unchanged. *canary (may be NULL) says which side; `bucket`
 * (may be NULL) gets the key's bucket, 0..9999, which is on the canary
 * side when below the split's basis points. The version carries its
 * identity only (name, version, stage, files, times, deprecation; no
 * metadata, signature, tags or reviews: mr_get_version has them).
 * MR_NOT_FOUND when the key goes to production and there is no
 * production version.
 */
mr_status mr_resolve(mr_client *c, const char *name, const char *routing_key,
    bool *canary, uint32_t *bucket, mr_version **out);

typedef struct mr_metric_delta {
	char *name;
	bool in_baseline, in_candidate;
	double baseline, candidate;
	double change;   /* candidate - baseline */
	double relative; /* change / |baseline|, when has_relative */
	bool has_relative;
	mr_metric_goal goal; /* as applied: higher or lower */
	int outcome;         /* 1 better, -1 worse, 0 equal or not comparable */
} mr_metric_delta;

typedef enum mr_change_kind {
	MR_CHANGE_ADDED = 1,
	MR_CHANGE_REMOVED = 2,
	MR_CHANGE_RETYPED = 3, /* signature fields */
	MR_CHANGE_MOVED = 4,   /* features: same name, other position */
} mr_change_kind;

typedef struct mr_field_change {
	bool output; /* false: an input */
	char *name;
	mr_change_kind kind;
	char *baseline_type, *candidate_type;
	bool breaking;
} mr_field_change;

typedef struct mr_feature_change {
	char *name;
	mr_change_kind kind;
	uint32_t baseline_position, candidate_position; /* 1-based; 0: absent */
} mr_feature_change;

typedef enum mr_verdict {
	MR_VERDICT_CANDIDATE = 1,
	MR_VERDICT_BASELINE = 2,
	MR_VERDICT_EQUIVALENT = 3,
	MR_VERDICT_MIXED = 4,
} mr_verdict;

typedef struct mr_comparison {
	mr_version *baseline, *candidate;
	mr_metric_delta *metrics; /* by name */
	size_t n_metrics;
	mr_feature_change *features; /* by name */
	size_t n_features;
	mr_field_change *signature; /* inputs, then outputs */
	size_t n_signature;
	uint64_t baseline_size, candidate_size; /* artifact bytes */
	mr_verdict verdict;
	char *recommendation; /* "3.1.0 is better (improves 5 of 5 metrics)" */
	char **reasons;
	size_t n_reasons;
} mr_comparison;

void mr_comparison_free(mr_comparison *cmp);
/* Compares two versions of `name`: metrics, features, signature, size. */
mr_status mr_compare(mr_client *c, const char *name, const char *baseline,
    const char *candidate, mr_comparison **out);

/*
 * Versions of every model matching `filter` (the language is in
 * proto/registry.proto; NULL or "": all), ordered by `order_by`
 * ("metrics.accuracy desc, name"; NULL: name then version), one page.
 * `page` may be NULL; only its page_size and page_token are used. A
 * malformed filter is MR_INVALID_ARGUMENT naming the byte position.
 */
mr_status mr_search(mr_client *c, const char *filter, const char *order_by,
    const mr_list_params *page, mr_version_list **out);

/* ---- audit ------------------------------------------------------------------
 *
 * Every successful mutation appends one record to a hash-chained log, in
 * the same atomic write as the change.
 */

typedef struct mr_audit_record {
	uint64_t seq; /* 1, 2, ... without gaps */
	int64_t time_ms;
	char *actor;
	char *action; /* the method: "Promote" */
	char *model;  /* "" for lineage nodes */
	char *target; /* "fraud@3.1.0", a node id, ... */
	char *before; /* JSON object */
	char *after;  /* JSON object */
	char *reason;
	/* "": the change was made; "denied: ..." for a refused call, which
	 * changed nothing. */
	char *outcome;
	uint64_t revision;
	uint8_t prev_hash[MR_DIGEST_LEN];
	uint8_t hash[MR_DIGEST_LEN];
} mr_audit_record;

typedef struct mr_audit_list {
	mr_audit_record *items;
	size_t count;
	uint64_t last_seq; /* pass as after_seq to continue */
	bool more;
} mr_audit_list;

void mr_audit_list_free(mr_audit_list *l);
/* Records of one model (NULL: all) with from_ms <= time <= to_ms (0: no
 * bound), after seq `after_seq`, one page. */
mr_status mr_list_audit(mr_client *c, const char *model, int64_t from_ms,
    int64_t to_ms, uint64_t after_seq, uint32_t page_size,
    mr_audit_list **out);

typedef struct mr_audit_check {
	bool ok;
	uint64_t records;      /* records checked */
	uint64_t first_broken; /* 0 if ok */
	char *problem;         /* "" if ok */
	uint8_t head_hash[MR_DIGEST_LEN];
} mr_audit_check;

void mr_audit_check_free(mr_audit_check *a);
/* Recomputes the whole chain on the server. A broken chain is reported in
 * *out (ok false), not as a failed call. */
mr_status mr_verify_audit(mr_client *c, mr_audit_check **out);

/* ---- scrub -------------------------------------------------------------------
 *
 * The registry reads its stored chunks, decodes each and checks its length
 * and SHA-256 against its digest: damage at rest found before a pull
 * trips over it. A pass is a sequence of slices in digest order.
 */

typedef struct mr_damaged_chunk {
	uint8_t digest[MR_DIGEST_LEN];
	char *reason; /* "data does not match its digest", ... */
	char *detail; /* a sentence about this chunk */
} mr_damaged_chunk;

/* modelregd's own background pass (modelregd --scrub-rate). */
typedef struct mr_scrub_status {
	bool enabled;
	uint64_t rate_bytes_per_s;
	uint64_t passes;         /* complete passes since it started */
	uint64_t chunks_checked; /* since it started */
	uint64_t bytes_checked;
	uint64_t damaged;        /* damaged chunks found, every pass counted */
	uint64_t last_pass_damaged;
} mr_scrub_status;

typedef struct mr_scrub_result {
	uint64_t chunks_checked;
	uint64_t bytes_checked; /* stored (maybe compressed) bytes read */
	mr_damaged_chunk *damaged; /* at most 1000 */
	size_t n_damaged;
	bool done; /* no chunk after this slice; false if none checked */
	uint8_t next[MR_DIGEST_LEN]; /* start of the next slice, if !done */
	mr_scrub_status background;
} mr_scrub_result;

void mr_scrub_result_free(mr_scrub_result *r);
/*
 * Has the registry check one slice of its chunks: from digest `start`
 * (MR_DIGEST_LEN bytes; NULL: the first) until `max_chunks` chunks (the
 * server serves at most 1024) or `max_bytes` stored bytes (0: the
 * server's limit, 256 MiB) have been read. With max_chunks 0 nothing is
 * checked and only `background` is filled. Damage is reported in *out,
 * not as a failed call.
 */
mr_status mr_scrub(mr_client *c, const uint8_t *start, uint32_t max_chunks,
    uint64_t max_bytes, mr_scrub_result **out);

/* ---- artifacts ------------------------------------------------------------ */

typedef struct mr_pull_options {
	bool overwrite;          /* replace an existing destination */
	mr_progress_fn progress; /* artifact bytes written of total */
	void *progress_arg;
	const char *cache_dir;   /* content-addressed chunk cache directory,
	                            or NULL */
	/* After a successful pull, the cache is trimmed to this many bytes,
	 * least recently used chunks first; 0: no limit. */
	uint64_t cache_max_bytes;
} mr_pull_options;

/*
 * Downloads the artifact of the selected version (as mr_get_version) to
 * `dest`. A one-file artifact is written to `dest`, or into it when `dest`
 * is a directory; a directory artifact becomes the directory `dest`.
 * Missing directories above `dest` are created. Every
 * chunk is checked against its digest before it is written; the result
 * appears at `dest` only when complete (written beside it, then renamed).
 * A chunk that fails its check is MR_DATA_LOSS and nothing appears.
 * A pull that fails for a reason that may pass (MR_UNAVAILABLE,
 * MR_DEADLINE_EXCEEDED, ...) or is killed leaves "<dest>.mr-partial-*"
 * beside `dest`; the next pull of the same artifact there fetches only
 * the chunks not already verified in it. With opt->cache_dir, chunks are
 * looked up in that content-addressed cache first and every chunk fetched
 * is added to it. `opt` and `out` may be NULL.
 */
mr_status mr_pull(mr_client *c, const char *name, const char *version,
    mr_stage stage, const char *dest, const mr_pull_options *opt,
    mr_version **out);

/* Figures of the last mr_register or mr_pull on `c`. */
const mr_transfer_stats *mr_client_transfer_stats(const mr_client *c);

/* ---- sync -----------------------------------------------------------------
 *
 * Keeps a local directory on the version that is in a stage now, for
 * servers that load their model from disk. The directory holds:
 *
 *   DIR/versions/VERSION/  each version pulled; a one-file artifact as
 *                          VERSION/FILE (the file's base name), a
 *                          directory artifact as the directory itself
 *   DIR/current            symlink to versions/VERSION (relative, so the
 *                          tree can move)
 *   DIR/.cache/            the chunk cache given to mr_pull by default
 *   DIR/.lock              locked (flock) by the one agent syncing DIR
 *   DIR/.hook-pending      the switch whose hook has not succeeded yet
 *
 * A new version is pulled beside the others (mr_pull verifies every chunk
 * and renames the complete artifact into place), then DIR/current is
 * replaced by rename(2) and DIR is fsynced: a reader that opens
 * DIR/current/FILE gets one whole version, old or new, never a mix or a
 * missing file. A reader of a directory artifact that opens several files
 * should resolve DIR/current once (open it with O_DIRECTORY and use
 * openat) to read them all from one version. A version already in
 * versions/ (a rollback to the previous one) is switched to without
 * pulling, after its files are checked to be there with their sizes.
 * After a switch, only the `keep` most recently current versions stay;
 * the others are renamed aside and removed, so that none is ever seen
 * half-deleted. A file opened before its version was removed stays
 * readable.
 */

/*
 * Called after each switch with DIR, the new version and the previous one
 * ("" if none), when DIR/current already names the new version. Returns
 * 0 on success. A failed hook does not undo the switch: the registry
 * still says the stage holds the new version. It stays pending in
 * DIR/.hook-pending and runs again (mr_sync_follow retries it with
 * backoff; mr_sync_once fails and runs it at its next call), until it
 * succeeds or a newer switch supersedes it; so it runs at least once for
 * the version DIR/current ends on, even across a crash of the agent.
 */
typedef int (*mr_sync_hook_fn)(void *arg, const char *dir,
    const char *version, const char *previous);
/* One line (no newline) per action: switches, pulls, retries. */
typedef void (*mr_sync_log_fn)(void *arg, const char *line);

typedef struct mr_sync_options {
	mr_stage stage;        /* followed; MR_STAGE_NONE: production */
	const char *cache_dir; /* mr_pull_options.cache_dir; NULL: DIR/.cache */
	/* mr_pull_options.cache_max_bytes; 0: keep x the size of the version
	 * pulled, about what the kept versions share with the next one. */
	uint64_t cache_max_bytes;
	unsigned keep;         /* versions kept, current included; 0: 2 */
	mr_sync_hook_fn hook;  /* NULL: none */
	void *hook_arg;
	mr_sync_log_fn log;    /* NULL: silent */
	void *log_arg;
	/* mr_sync_follow's backoff after a failure: a random wait up to
	 * retry_min_ms, doubling with each failure in a row up to
	 * retry_max_ms ("full jitter"). 0: 100 and 30000. */
	int retry_min_ms;
	int retry_max_ms;
	/* mr_sync_follow returns MR_OK soon after *stop becomes nonzero
	 * (at its next step; a pull or a call under way finishes first).
	 * NULL: it runs until a failure it cannot retry. */
	const volatile sig_atomic_t *stop;
} mr_sync_options;

/*
 * Brings `dir` (created if missing) to the version of model `name` in the
 * stage now, pulling it if it is not in dir/versions, and runs a pending
 * hook. MR_NOT_FOUND when the stage holds no version (dir is left as it
 * is); MR_FAILED_PRECONDITION when another agent holds dir/.lock;
 * MR_UNKNOWN when the hook failed (after the switch). Local file errors
 * and the reasons of failures are in mr_client_errmsg(c). `opt` may be
 * NULL.
 */
mr_status mr_sync_once(mr_client *c, const char *name, const char *dir,
    const mr_sync_options *opt);
/*
 * mr_sync_once, then follows the model's change feed (mr_watch) and syncs
 * again after every event that moves a version into or out of the stage,
 * asking the server for the stage's version each time. Connects to `url`
 * itself (`copt` may be NULL) and survives server restarts and network
 * loss: every failure (connect, watch, call, pull, hook, local file) is
 * logged and retried with backoff, and the watch resumes from the last
 * revision it saw. Returns MR_OK once opt->stop is set; at start, a
 * failure it cannot retry (a bad name or stage, dir not usable, the lock
 * held) is returned, with the reason in the last log line.
 */
mr_status mr_sync_follow(const char *url, const mr_client_options *copt,
    const char *name, const char *dir, const mr_sync_options *opt);

/* ---- lineage --------------------------------------------------------------
 *
 * A graph of typed nodes and typed edges pointing downstream, the way data
 * flows: dataset -> feature set -> experiment -> model version ->
 * deployment. Model version and deployment nodes are written by the
 * registry when versions are registered and change stage; data and feature
 * pipelines add the others. A node id is "KIND:NAME@VERSION" (or
 * "KIND:NAME"); wherever an id is taken, "KIND:VERSION" or "KIND:NAME" also
 * finds the one node of that kind with that version or name. Registering a
 * version links it to the nodes its metadata names (training_data_version:
 * a dataset, feature_set_version: a feature set, experiment, increment,
 * parent_model: "NAME@VERSION"); a name that matches no node is reported
 * as dangling and linked when such a node is added.
 */

typedef enum mr_node_kind {
	MR_NODE_DATASET = 1,
	MR_NODE_FEATURES = 2,
	MR_NODE_EXPERIMENT = 3,
	MR_NODE_INCREMENT = 4,
	MR_NODE_MODEL = 5,
	MR_NODE_DEPLOYMENT = 6,
} mr_node_kind;

typedef enum mr_edge_type {
	MR_EDGE_DERIVED_FROM = 1,
	MR_EDGE_TRAINED_ON = 2,
	MR_EDGE_PRODUCED_BY = 3,
	MR_EDGE_PART_OF = 4,
	MR_EDGE_PARENT_OF = 5,
	MR_EDGE_DEPLOYED_AS = 6,
} mr_edge_type;

typedef enum mr_direction {
	MR_UPSTREAM = 1,
	MR_DOWNSTREAM = 2,
} mr_direction;

/* "dataset", "features", ...; "derived_from", "trained_on", ... */
const char *mr_node_kind_name(mr_node_kind kind);
int mr_node_kind_parse(const char *text, mr_node_kind *out);
const char *mr_edge_type_name(mr_edge_type type);
int mr_edge_type_parse(const char *text, mr_edge_type *out);

typedef struct mr_dangling {
	char *field;  /* "training_data_version", ... */
	char *value;  /* as written */
	mr_node_kind kind;
	char *reason; /* "no lineage node ...", "... matches several nodes" */
} mr_dangling;

typedef struct mr_node {
	char *id;
	mr_node_kind kind;
	char *name;
	char *version;
	mr_kv *properties;
	size_t n_properties;
	int64_t created_at_ms;
	uint64_t created_revision;
	mr_stage stage;      /* deployments */
	char *environment;   /* deployments */
	int64_t ended_at_ms; /* deployments: 0 while live */
	mr_dangling *dangling;
	size_t n_dangling;
	uint32_t depth;      /* in walks: distance from the start */
	int64_t deleted_at_ms; /* model versions: when deleted; 0 if not */
} mr_node;

typedef struct mr_edge {
	char *from; /* upstream */
	char *to;   /* downstream */
	mr_edge_type type;
} mr_edge;

/* Nodes and the edges between them, as a walk, path or listing returns. */
typedef struct mr_graph {
	mr_node *nodes;
	size_t n_nodes;
	mr_edge *edges;
	size_t n_edges;
	char *next_page_token; /* "" on the last page */
	bool depth_limited;    /* walks: more nodes lie past the depth */
} mr_graph;

void mr_node_free(mr_node *n);
void mr_graph_free(mr_graph *g);

/* An upstream link of a new node: the upstream id and the edge type. */
typedef struct mr_link {
	const char *from;
	mr_edge_type type;
} mr_link;

/* Adds a dataset, feature set, experiment or increment node, with edges
 * from `upstream`. `out` may be NULL. */
mr_status mr_lineage_add_node(mr_client *c, mr_node_kind kind,
    const char *name, const char *version, const mr_kv *properties,
    size_t n_properties, const mr_link *upstream, size_t n_upstream,
    mr_node **out);
/* Adds an edge from -> to; MR_FAILED_PRECONDITION if it closes a cycle. */
mr_status mr_lineage_add_edge(mr_client *c, const char *from, const char *to,
    mr_edge_type type);
/* Deletes a pipeline node; MR_FAILED_PRECONDITION if anything depends
 * on it. */
mr_status mr_lineage_delete_node(mr_client *c, const char *id);
/* A node (nodes[0]) and its direct edges, upstream then downstream. */
mr_status mr_lineage_get_node(mr_client *c, const char *id, mr_graph **out);
/*
 * Breadth first from `id`: nodes[0] is the start (depth 0), then one
 * page of the nodes upstream or downstream of it within `depth` (0:
 * MR_LINEAGE_DEPTH_DEFAULT), with the edges that reached them. `page`
 * may be NULL; its stage, tag and descending are not used.
 */
mr_status mr_lineage_walk(mr_client *c, const char *id, mr_direction dir,
    uint32_t depth, const mr_list_params *page, mr_graph **out);

typedef struct mr_impacted {
	char *model;
	char *version;
	mr_stage stage; /* now */
	uint32_t depth;
} mr_impacted;

typedef struct mr_impact {
	mr_impacted *versions;
	size_t n_versions;
	mr_node *live_deployments;
	size_t n_live_deployments;
	char *next_page_token;
} mr_impact;

void mr_impact_free(mr_impact *i);
/* The model versions downstream of `id` and their live deployments. */
mr_status mr_lineage_impact(mr_client *c, const char *id, uint32_t depth,
    const mr_list_params *page, mr_impact **out);
/* A shortest directed path between two nodes, upstream end first. */
mr_status mr_lineage_path(mr_client *c, const char *from, const char *to,
    uint32_t depth, mr_graph **out);
/* Nodes by id, of one kind or (0) all. */
mr_status mr_lineage_list_nodes(mr_client *c, mr_node_kind kind,
    const mr_list_params *page, mr_graph **out);

#ifdef __cplusplus
}
#endif

#endif /* MODELREG_H */
