/*
 * client.h - what the client library's files share: the handle behind
 * mr_client and a few helpers. Not installed; the public API is
 * include/modelreg.h.
 */
#ifndef MR_CLIENT_CLIENT_H
#define MR_CLIENT_CLIENT_H

#include "chunk.h"
#include "common.h"
#include "modelreg.h"
#include "registry.pb-c.h"
#include "rpc.h"

#define CLIENT_TIMEOUT_DEFAULT_MS 30000
#define CLIENT_WINDOW_DEFAULT     8
#define CLIENT_WINDOW_MAX         64

/* Method names as they appear on the wire. */
#define M_REGISTER      "/modelreg.v1.Registry/RegisterVersion"
#define M_GET_MODEL     "/modelreg.v1.Registry/GetModel"
#define M_GET_VERSION   "/modelreg.v1.Registry/GetVersion"
#define M_LIST_MODELS   "/modelreg.v1.Registry/ListModels"
#define M_LIST_VERSIONS "/modelreg.v1.Registry/ListVersions"
#define M_PROMOTE       "/modelreg.v1.Registry/Promote"
#define M_ROLLBACK      "/modelreg.v1.Registry/Rollback"
#define M_LIST_EVENTS   "/modelreg.v1.Registry/ListEvents"
#define M_UPDATE_MODEL  "/modelreg.v1.Registry/UpdateModel"
#define M_UPDATE_VERSION "/modelreg.v1.Registry/UpdateVersion"
#define M_SET_POLICY    "/modelreg.v1.Registry/SetApprovalPolicy"
#define M_REVIEW        "/modelreg.v1.Registry/Review"
#define M_DEPRECATE     "/modelreg.v1.Registry/Deprecate"
#define M_SET_ALIAS     "/modelreg.v1.Registry/SetAlias"
#define M_DELETE_ALIAS  "/modelreg.v1.Registry/DeleteAlias"
#define M_SET_SPLIT     "/modelreg.v1.Registry/SetTrafficSplit"
#define M_RESOLVE       "/modelreg.v1.Registry/Resolve"
#define M_COMPARE       "/modelreg.v1.Registry/CompareVersions"
#define M_SEARCH        "/modelreg.v1.Registry/SearchVersions"
#define M_LIST_AUDIT    "/modelreg.v1.Audit/ListAudit"
#define M_VERIFY_AUDIT  "/modelreg.v1.Audit/VerifyAudit"
#define M_FIND_MISSING  "/modelreg.v1.Artifacts/FindMissingChunks"
#define M_PUT_CHUNK     "/modelreg.v1.Artifacts/PutChunk"
#define M_GET_CHUNK     "/modelreg.v1.Artifacts/GetChunk"
#define M_ADD_NODE      "/modelreg.v1.Lineage/AddNode"
#define M_ADD_EDGE      "/modelreg.v1.Lineage/AddEdge"
#define M_DELETE_NODE   "/modelreg.v1.Lineage/DeleteNode"
#define M_GET_NODE      "/modelreg.v1.Lineage/GetNode"
#define M_WALK          "/modelreg.v1.Lineage/Walk"
#define M_IMPACT        "/modelreg.v1.Lineage/Impact"
#define M_PATH          "/modelreg.v1.Lineage/Path"
#define M_LIST_NODES    "/modelreg.v1.Lineage/ListNodes"

struct mr_client {
	rpc *rpc;
	mr_codec *codec; /* hashing and chunk encoding, reused by every call */
	int window;      /* calls in flight during uploads and pulls */
	mr_err err;      /* why the last call failed */
	uint64_t revision;
	mr_transfer_stats stats;
};

/*
 * Turns errno after a failed system call into a status and a message
 * naming what was being done and to which path: "open /x: ...". Used by
 * the artifact code for local file errors.
 */
mr_status client_sys_fail(mr_err *e, const char *what, const char *path);

/* files.c: mkdir -p of `path`; fsync of a directory; rm -rf, best effort
 * (it runs on failure paths and on trees no reader can reach). */
mr_status client_mkdirs(mr_err *e, const char *path);
mr_status client_fsync_dir(mr_err *e, const char *path);
void client_remove_tree(const char *path);
/*
 * pread/pwrite of exactly `len` bytes at `off`, through short transfers
 * and EINTR. False when they cannot be: a read sets *err to errno, or to
 * 0 when the file ends first (err may be NULL); a write leaves errno set.
 */
bool client_pread_full(int fd, void *buf, size_t len, uint64_t off,
    int *err);
bool client_pwrite_full(int fd, const void *buf, size_t len, uint64_t off);

/*
 * Validates a version selector - a semantic version, normalized, or an
 * alias, as it is - into out[MR_VERSION_MAX + 1] ("" when `version` is
 * NULL or empty). The two cannot be confused: a semantic version has
 * dots, an alias none.
 */
mr_status client_version_arg(const char *version, char *out, mr_err *e);
/* The same for a selector that must be given: `what` names it. */
mr_status client_version_need(
    const char *what, const char *version, char *out, mr_err *e);
/* An alias name: [a-z][a-z0-9_-]*, 1..MR_ALIAS_MAX bytes; `e` may be
 * NULL. */
mr_status client_alias_check(const char *alias, mr_err *e);
/* Signature field counts, names and types as the server limits them. */
mr_status client_check_signature(const mr_signature *s, mr_err *e);
mr_status client_stage_arg(
    const char *what, mr_stage stage, bool none_ok, mr_err *e);

/*
 * Checks a map given as key/value pairs: at most `max` entries, keys as
 * tag keys, values as tag values, no key twice. `what` ("tag",
 * "property") names an entry in messages.
 */
mr_status client_check_kv(
    const char *what, const mr_kv *kv, size_t n, size_t max, mr_err *e);

/* MR_INVALID_ARGUMENT: "no place for the result". */
mr_status client_no_out(mr_err *e);
/* `s`, or "" when NULL: what protobuf-c wants in a string field. */
char *client_str(const char *s);

/*
 * One unary call with errors in c->err; a mutation carries an
 * idempotency key, and its reply's revision is noted on success.
 */
mr_status client_call(mr_client *c, const char *method,
    const ProtobufCMessage *req, bool mutation,
    const ProtobufCMessageDescriptor *rd, void *resp);
/*
 * client_call for the calls whose reply matters only for the record in
 * its field "version" (a ModelVersion) or "model" (a Model): that record,
 * converted into *out. With `out` NULL the reply is dropped.
 */
mr_status client_call_version(mr_client *c, const char *method,
    const ProtobufCMessage *req, bool mutation,
    const ProtobufCMessageDescriptor *rd, mr_version **out);
mr_status client_call_model(mr_client *c, const char *method,
    const ProtobufCMessage *req, bool mutation,
    const ProtobufCMessageDescriptor *rd, mr_model **out);

/*
 * The kind of a node id "KIND:..." (a kind's name or one of the aliases
 * the server accepts, such as "data"); 0 when `id` starts with no kind.
 */
mr_node_kind client_id_kind(const char *id);

/* GetVersion with checked arguments, errors in c->err; for
 * mr_get_version and mr_pull (which asks for the chunk lists). */
mr_status client_get_version(mr_client *c, const char *name,
    const char *version, mr_stage stage, bool with_chunks,
    Modelreg__V1__GetVersionResponse **out);

#endif /* MR_CLIENT_CLIENT_H */
