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

#include "chunk.h"
#include "store.h"

/*
 * Unpacking a request may allocate at most this much (protobuf-c has no
 * budget of its own: a 16 MiB message of empty sub-messages would cost
 * ~30x its size).
 */
#define SVC_DECODE_BUDGET (64u << 20)
/* Default number of worker threads, each handling one blocking request. */
#define SVC_WORKERS_DEFAULT 16
/*
 * nng contexts, each with one request in flight: receiving, answering
 * an inline read, waiting for a worker, or sending. At least this many,
 * and at least one per worker, so that 64 concurrent fleet clients never
 * queue behind busy workers for a cached read.
 */
#define SVC_CONTEXTS_MIN 64
#define SVC_WORKERS_MAX 256
/* The environment deployment nodes name when none is configured. */
#define SVC_ENVIRONMENT_DEFAULT "default"

/* The change feed's PUB socket (publish.c); opaque to handlers. */
typedef struct svc_publisher svc_publisher;

/* The background scrubber (scrub.c); opaque to handlers. */
typedef struct svc_scrubber svc_scrubber;

/* Per-worker resources, reused across requests. */
typedef struct svc_worker {
	store *st;
	svc_publisher *pub; /* NULL: mutations publish nothing */
	svc_scrubber *scrub; /* NULL: no background scrub */
	const char *environment; /* recorded on deployment nodes */
	const char *backup_root; /* Admin/Backup writes below it; NULL: off */
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
	const char *user; /* claimed identity; "anonymous" when none */
	int64_t now_ms;
	mr_err err;
	struct svc_deferred *deferred;
	size_t n_deferred, cap_deferred;
	/* What a mutation's audit record says, where the handler knows
	 * better than the request (see audit.c); NULL: from the request. */
	struct {
		const char *model, *target;
		char *before, *after; /* JSON */
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
 * (port 0 stays 0), ipc://path -> ipc://path.pub, inproc://x ->
 * inproc://x.pub. MR_INVALID_ARGUMENT for other schemes.
 */
mr_status svc_publish_url_default(const char *listen, char *out,
    size_t cap, mr_err *e);
/*
 * Opens the PUB socket on `urls` (with `derived`, a tcp:// address in use
 * falls back to a port of the system's choosing) and starts the heartbeat.
 */
mr_status svc_publisher_open(svc_publisher **out, store *st,
    const char *const *urls, size_t n, bool derived, mr_err *e);
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
	const char *const *urls; /* tcp://, ipc://, inproc:// */
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
	/* The shortest grace period Admin/CollectGarbage applies, ms; 0:
	 * MR_GC_GRACE_MS; < 0: none (tests). */
	int64_t gc_grace_ms;
} svc_options;

/* Listens on every URL and starts the workers. */
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
