/*
 * svc.h - modelregd's service layer: the method table, the dispatcher and
 * the handlers, and the transport that feeds them.
 *
 * Handlers never see nng. The transport (server.c) hands the dispatcher
 * one received message and a way to allocate the reply; the dispatcher
 * unpacks the envelope and the method's request, does the generic checks
 * (deadline, unknown fields, idempotency), opens a store transaction for
 * mutations, calls the handler, and packs the reply straight into the
 * transport's buffer.
 *
 * Ownership: the dispatcher owns the request and the response struct. A
 * handler that hangs memory of its own on the response (records read from
 * the store, arrays) registers it with svc_defer(); it is freed after the
 * reply has been packed.
 */
#ifndef MR_SVC_H
#define MR_SVC_H

#include <protobuf-c/protobuf-c.h>

#include "auth.pb-c.h"
#include "chunk.h"
#include "store.h"

/*
 * Unpacking a request may allocate at most this much (protobuf-c has no
 * budget of its own: a 16 MiB message of empty sub-messages would cost
 * ~30x its size).
 */
#define SVC_DECODE_BUDGET (64u << 20)
/*
 * Every string field of every request: UTF-8 without NUL, at most this
 * long (fields have tighter limits of their own), in messages nested at
 * most SVC_NESTING_MAX deep (our schemas nest 4).
 */
#define SVC_STRING_MAX (64 * 1024)
#define SVC_NESTING_MAX 16
/* Default number of worker threads, each handling one blocking request. */
#define SVC_WORKERS_DEFAULT 16
/*
 * nng contexts, each with one request in flight: receiving, answering
 * an inline read, waiting for a worker, or sending. At least this many,
 * and at least one per worker, so that 64 concurrent fleet clients never
 * queue behind busy workers for a cached read.
 */
#define SVC_CONTEXTS_MIN 64
/* Token text: 16 hex digits of id, '.', 64 of secret (auth.c). */
#define SVC_TOKEN_LEN_MAX 81
#define SVC_WORKERS_MAX 256
/* The environment deployment nodes name when none is configured. */
#define SVC_ENVIRONMENT_DEFAULT "default"

/* The change feed's PUB socket (publish.c); opaque to handlers. */
typedef struct svc_publisher svc_publisher;
/* nng's TLS configuration (server.c makes it; see common/tls.h). */
struct nng_tls_config;

/* The background scrubber (scrub.c); opaque to handlers. */
typedef struct svc_scrubber svc_scrubber;

/* Per-worker resources, reused across requests. */
typedef struct svc_worker {
	store *st;
	svc_publisher *pub; /* NULL: mutations publish nothing */
	svc_scrubber *scrub; /* NULL: no background scrub */
	const char *environment; /* recorded on deployment nodes */
	const char *backup_root; /* Admin/Backup writes below it; NULL: off */
	bool anonymous_read; /* reads need no token (auth.c) */
	/* Set only by a tool that opened the store itself (svc_local_call):
	 * every call is made as this identity, with every right. */
	const char *local;
	/* The last token this worker verified, while no token changed since
	 * (svc_authenticate): a fleet's calls skip the lookup and hash. */
	struct {
		char text[SVC_TOKEN_LEN_MAX + 1];
		Modelreg__V1__Token *rec;
		uint64_t generation;
	} last_token;
	/* Admin/CollectGarbage's shortest grace period, ms (>= 0). */
	int64_t gc_grace_ms;
	mr_codec *codec;
	uint8_t *scratch; /* MR_CHUNK_MAX bytes for decoding chunks */
} svc_worker;

mr_status svc_worker_init(svc_worker *w, store *st, mr_err *e);
void svc_worker_fini(svc_worker *w);

struct svc_deferred {
	void (*fn)(void *);
	void *p;
};

typedef struct svc_call {
	svc_worker *w;
	store *st;
	store_txn *txn;   /* open for mutations, NULL otherwise */
	/* Who calls: the token's identity, "anonymous" (reads opened to
	 * callers without a token) or a local tool's (svc_local_call). */
	const char *user;
	const Modelreg__V1__Token *token; /* NULL: anonymous or local */
	int64_t now_ms;
	mr_err err;
	struct svc_deferred *deferred;
	size_t n_deferred, cap_deferred;
	bool tokens_changed; /* the mutation wrote a token (auth.c) */
	/* What a mutation's audit record says, where the handler knows
	 * better than the request (see audit.c); NULL: from the request. */
	struct {
		const char *model, *target;
		char *before, *after; /* JSON */
		const char *outcome;  /* "" or "denied: why" */
	} audit;
} svc_call;

typedef mr_status (*svc_handler)(svc_call *c, const ProtobufCMessage *req,
    ProtobufCMessage *resp);

typedef struct svc_method {
	const char *name; /* "/modelreg.v1.Registry/GetVersion" */
	const ProtobufCMessageDescriptor *request;
	const ProtobufCMessageDescriptor *response;
	svc_handler handler;
	bool mutates; /* runs in a transaction; idempotency applies */
	/*
	 * A small point read of the catalog that RocksDB's block cache
	 * serves: the transport answers it inline, on nng's callback
	 * thread, without a hand-off to a worker thread (server.c). Only
	 * for handlers that never wait for a lock, the WAL or chunk data.
	 */
	bool inline_read;
} svc_method;

extern const svc_method svc_registry_methods[];
extern const size_t svc_registry_method_count;
extern const svc_method svc_artifact_methods[];
extern const size_t svc_artifact_method_count;
extern const svc_method svc_lineage_methods[];
extern const size_t svc_lineage_method_count;
extern const svc_method svc_audit_methods[];
extern const size_t svc_audit_method_count;
/* Registry methods kept in lifecycle.c and search.c. */
extern const svc_method svc_lifecycle_methods[];
extern const size_t svc_lifecycle_method_count;
extern const svc_method svc_search_methods[];
extern const size_t svc_search_method_count;
/*
 * One page of the events after revision `after`, of model `name` (NULL:
 * every model), as Registry.ListEvents and Watch.WatchSince serve it
 * (registry.c). *last is the revision to continue after.
 */
mr_status svc_event_page(svc_call *c, const char *name, uint64_t after,
    uint32_t page_size, Modelreg__V1__Event ***events, size_t *n,
    protobuf_c_boolean *more, uint64_t *last);
/* The Scrub service (scrub.c). */
extern const svc_method svc_scrub_methods[];
extern const size_t svc_scrub_method_count;
/* The Watch service (watch.c). */
extern const svc_method svc_watch_methods[];
extern const size_t svc_watch_method_count;
/* The Admin service: backups, garbage collection (admin.c). */
extern const svc_method svc_admin_methods[];
extern const size_t svc_admin_method_count;

/*
 * Frees `p` with `fn` once the reply is packed. If recording fails (out of
 * memory) it frees `p` now and returns an error the handler must return.
 */
mr_status svc_defer(svc_call *c, void (*fn)(void *), void *p);
/* svc_defer for an unpacked protobuf-c message (free_unpacked). */
mr_status svc_defer_msg(svc_call *c, void *msg);
/* calloc + svc_defer(free); NULL (with c->err set) on failure. */
void *svc_alloc(svc_call *c, size_t n, size_t size);
/*
 * Defers freeing `orig` (a record unpacked from the store) and returns a
 * shallow copy the handler may edit. free_unpacked frees every string a
 * record points to, so a handler that hangs another record's string on a
 * record it got from the store must edit a copy, never the original.
 * NULL (with c->err set) on failure.
 */
void *svc_editable(svc_call *c, ProtobufCMessage *orig);

/*
 * A page being filled by a store scan. Every record the scan hands to
 * svc_page_add is deferred for freeing and kept if wanted; the scan stops
 * one record past a full page, which is how `more` is known.
 */
typedef struct svc_page {
	svc_call *c;
	void **items;
	size_t n, limit;
	bool more;
	mr_status rv; /* set by svc_page_add or a filter to stop the scan */
} svc_page;

/* The page size served for `asked`: 0 is MR_PAGE_SIZE_DEFAULT, and more
 * than MR_PAGE_SIZE_MAX is served MR_PAGE_SIZE_MAX. */
size_t svc_page_size(uint32_t asked);
mr_status svc_page_init(svc_page *p, svc_call *c, uint32_t asked);
/* Takes `m` from a scan; returns non-zero to stop the scan. */
int svc_page_add(svc_page *p, ProtobufCMessage *m, bool wanted);

/*
 * Lineage kept by the registry itself (lineage.c), inside the caller's
 * transaction: a registered version gets its model node and edges from
 * the nodes its metadata names (unresolved names come back in *dangling,
 * an svc_alloc'd array); a stage change closes the version's live
 * deployment in the old stage and opens one in the new, if the stage is
 * staging or production.
 */
mr_status svc_lineage_register(svc_call *c, const mr_pb_version *v,
    Modelreg__V1__DanglingRef ***dangling, size_t *n_dangling);
mr_status svc_lineage_stage(svc_call *c, const mr_pb_version *v, int from,
    int to);
/*
 * A version is deleted: its live deployment (if any) ends and its model
 * node is marked deleted. Nodes and edges stay: they are history.
 */
mr_status svc_lineage_delete(svc_call *c, const mr_pb_version *v);

/*
 * The audit record of a mutation (audit.c). Handlers name what they
 * changed and render the record before and after the change; the
 * dispatcher appends the record with svc_audit_append() in the mutation's
 * transaction, filling what the handler left unset from the request.
 */
/* The target "model@version", or "model" with version NULL. */
mr_status svc_audit_target(svc_call *c, const char *model,
    const char *version);
/* A target that is no model's: a lineage node id, or an edge. */
mr_status svc_audit_node(svc_call *c, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
mr_status svc_audit_before(svc_call *c, const ProtobufCMessage *m);
mr_status svc_audit_after(svc_call *c, const ProtobufCMessage *m);
mr_status svc_audit_append(svc_call *c, const svc_method *m,
    const ProtobufCMessage *req);

/* How the dispatcher gets memory for the reply: exactly `len` bytes. */
typedef struct svc_reply {
	void *(*alloc)(void *arg, size_t len);
	void *arg;
} svc_reply;

/*
 * Handles one request message of `len` bytes and writes the reply through
 * `reply`. Every request gets a reply, malformed ones included. Returns -1
 * only if the reply could not be allocated.
 */
int svc_dispatch(svc_worker *w, const uint8_t *msg, size_t len,
    const svc_reply *reply);
/*
 * The method a request message names, for the transport to choose who
 * handles it; NULL if the envelope is not wire format or names no method
 * we serve (svc_dispatch then answers the error). Reads only the method
 * field, in place.
 */
/* Longer than any method we serve: such a name is no method. */
#define SVC_METHOD_NAME_MAX 128
const svc_method *svc_method_of(const uint8_t *msg, size_t len);
/* The method called `name`; NULL if we serve none of that name. */
const svc_method *svc_method_of_name(const char *name);
/* The nth method served, for walking them all; NULL past the last. */
const svc_method *svc_method_nth(size_t nth);
/* Whether auth.c's table has a line for `m` (else: ADMIN on "*"). */
bool svc_auth_has_rule(const svc_method *m);

/* ---- authentication and roles (auth.c) ------------------------------ */

/* What a call needs of the caller; the table in auth.c says per method. */
typedef enum svc_need {
	SVC_NEED_TOKEN = 1, /* any valid token */
	SVC_NEED_READ,
	SVC_NEED_WRITE,
	SVC_NEED_APPROVE,
	SVC_NEED_ADMIN,
} svc_need;

#define SVC_GRANTS_MAX MR_GRANTS_MAX
/* Token text: 16 hex digits of id, '.', 64 of secret. */
#define SVC_TOKEN_ID_LEN 16
#define SVC_TOKEN_SECRET_LEN 64
#define SVC_TOKEN_LEN (SVC_TOKEN_ID_LEN + 1 + SVC_TOKEN_SECRET_LEN)
_Static_assert(SVC_TOKEN_LEN == SVC_TOKEN_LEN_MAX, "token length");
/* After a commit that wrote a token: every worker's last_token is stale. */
void svc_tokens_changed(void);
/* Drops the worker's cached token (svc_worker_fini does). */
void svc_auth_forget(svc_worker *w);
/* Denials written to the audit log per second at most; the rest are
 * counted and the count goes into the next one written. */
#define SVC_DENIALS_AUDITED_PER_S 64

/*
 * Who is calling `m` with `token` (the envelope's; may be ""): sets
 * c->user and c->token, or fails with MR_UNAUTHENTICATED.
 */
mr_status svc_authenticate(svc_call *c, const svc_method *m,
    const char *token);
/* Whether the caller may call `m` with `req`; MR_PERMISSION_DENIED if not. */
mr_status svc_authorize(svc_call *c, const svc_method *m,
    const ProtobufCMessage *req);
/* Whether the caller has `need` on model `model` (listing filters). */
bool svc_may(const svc_call *c, svc_need need, const char *model);
/* Appends the audit record of a refused call (rate-limited, see above). */
void svc_audit_denied(svc_call *c, const svc_method *m,
    const ProtobufCMessage *req);
/* The string field `name` of `req`; NULL if it has none. */
const char *svc_string_field(const ProtobufCMessage *req, const char *name);

extern const svc_method svc_auth_methods[];
extern const size_t svc_auth_method_count;

/*
 * Calls `method` on `st` in this process as `identity`, with every
 * right, through the dispatcher, so that it is checked and audited like
 * any call: for tools that open a store no server has open (modelregd
 * token --data, the first admin token). *resp is unpacked (free with
 * protobuf_c_message_free_unpacked) on success.
 */
mr_status svc_local_call(store *st, const char *identity, const char *method,
    const ProtobufCMessage *req, ProtobufCMessage **resp, mr_err *e);
/*
 * Creates a token for `identity` with one grant, as `by` (svc_local_call),
 * into out[SVC_TOKEN_LEN + 1].
 */
mr_status svc_token_mint(store *st, const char *by, const char *identity,
    const Modelreg__V1__Grant *grant, char *out, mr_err *e);
/*
 * On a registry that never had a token: creates the first one, identity
 * "admin" with ADMIN on "*", into out[SVC_TOKEN_LEN + 1], and sets *made.
 * Otherwise *made is false.
 */
mr_status svc_auth_bootstrap(store *st, char *out, bool *made, mr_err *e);

/* ---- change feed (publish.c) ------------------------------------------- */

/* Heartbeats: the last published revision, on topic "\x01", this often. */
#define SVC_HEARTBEAT_MS 1000
/* Messages queued per subscriber before PUB drops for it. */
#define SVC_PUB_QUEUE 1024
#define SVC_PUBLISH_MAX 16
/* Longest URL, as given or as bound. */
#define SVC_URL_MAX 512

/*
 * The PUB URL derived from a listen URL: tcp://h:p -> tcp://h:(p+1)
 * (port 0 stays 0; likewise tls+tcp://), ipc://path -> ipc://path.pub,
 * inproc://x -> inproc://x.pub. MR_INVALID_ARGUMENT for other schemes.
 */
mr_status svc_publish_url_default(const char *listen, char *out,
    size_t cap, mr_err *e);
/*
 * Opens the PUB socket on `urls` (with `derived`, a tcp:// address in use
 * falls back to a port of the system's choosing) and starts the heartbeat.
 * tls+tcp:// URLs are served with `tls` (NULL: they are refused).
 */
mr_status svc_publisher_open(svc_publisher **out, store *st,
    const char *const *urls, size_t n, bool derived,
    struct nng_tls_config *tls, mr_err *e);
/*
 * With `on`, each commit publishes only a heartbeat with its revision,
 * no event: the PUB socket authenticates no one, so when reads need a
 * token the feed says only that something changed, and subscribers read
 * what from the event log (Watch.WatchSince, which checks their token).
 * Set before the first commit.
 */
void svc_publisher_doorbell(svc_publisher *p, bool on);
/* Stops the heartbeat and closes the socket. Accepts NULL. */
void svc_publisher_close(svc_publisher *p);
/* The URLs as bound. */
size_t svc_publisher_urls(const svc_publisher *p, const char *const **urls);
/* A store_commit_fn: publishes each event; `arg` is the svc_publisher. */
void svc_publish_committed(void *arg, const store_committed *evs, size_t n);

/* ---- background scrub (scrub.c) ----------------------------------------- */

/* modelregd's default scrub rate, MiB/s of stored chunk bytes read. */
#define SVC_SCRUB_RATE_DEFAULT_MIB 16
#define SVC_SCRUB_RATE_MAX_MIB 65536

/*
 * Starts a thread that checks every stored chunk (store_scrub), over and
 * over, reading at most `rate_mib` MiB/s: after each slice it sleeps for
 * as long as the slice's bytes take at that rate, and a minute after each
 * complete pass. Damage goes to stderr with the chunk's digest and is
 * counted for Scrub/Run's `background` status.
 */
mr_status svc_scrubber_start(svc_scrubber **out, store *st,
    uint32_t rate_mib, mr_err *e);
/* Stops the thread (promptly: it sleeps on a condition). Accepts NULL. */
void svc_scrubber_stop(svc_scrubber *sc);

/* ---- transport -------------------------------------------------------- */

typedef struct svc_server svc_server;

typedef struct svc_options {
	const char *const *urls; /* tcp://, tls+tcp://, ipc://, inproc:// */
	size_t n_urls;
	int workers;             /* 0: SVC_WORKERS_DEFAULT */
	const char *environment; /* NULL: SVC_ENVIRONMENT_DEFAULT */
	const char *backup_root; /* NULL: Admin/Backup is refused */
	/* Where the change feed is published; none: derived from urls[0]
	 * (svc_publish_url_default). */
	const char *const *publish_urls;
	size_t n_publish_urls;
	int max_connections; /* 0: SVC_CONNS_DEFAULT (guard.h) */
	int idle_timeout_ms; /* 0: SVC_IDLE_MS_DEFAULT; < 0: none */
	/* Background scrub rate in MiB/s; 0: no background scrub. */
	uint32_t scrub_rate_mib;
	/* Reads need no token; the change feed then carries whole events,
	 * else only revisions (publish.c). Never the default. */
	bool anonymous_read;
	/* Every call is made as this identity with every right: only for a
	 * tool serving a store it opened itself on inproc:// (modelregd
	 * token --data). NULL: calls need tokens. */
	const char *local;
	/*
	 * PEM files for tls+tcp:// listeners (the change feed's too): the
	 * server's certificate and key, needed by any tls+tcp:// URL; with
	 * tls_client_ca, clients must present a certificate it signed.
	 */
	const char *tls_cert;
	const char *tls_key;
	const char *tls_client_ca;
	/* The shortest grace period Admin/CollectGarbage applies, ms; 0:
	 * MR_GC_GRACE_MS; < 0: none (tests). */
	int64_t gc_grace_ms;
} svc_options;

/*
 * Listens on every URL and starts the workers. MR_INVALID_ARGUMENT if a
 * tls+tcp:// URL has no certificate and key, or a TLS file is unusable.
 */
mr_status svc_server_start(svc_server **out, store *st,
    const svc_options *opt, mr_err *e);
/*
 * Stops serving: every request that has arrived is still answered (for up
 * to 5 s), then the socket closes. Accepts NULL. The store stays open.
 */
void svc_server_stop(svc_server *s);
/*
 * Whether `url` is plain TCP on an address other machines can reach
 * (anything but 127.x, localhost and [::1]): requests, and the tokens in
 * them, would cross the network unencrypted.
 */
bool svc_url_plain_off_host(const char *url);
/* The server's change feed (for its URLs as bound). */
svc_publisher *svc_server_publisher(svc_server *s);

#endif /* MR_SVC_H */
