/*
 * admin.c - the Admin service: operations on the registry as a whole.
 *
 * Backup writes a RocksDB checkpoint of the live store into a directory on
 * the server's machine (storage/backup.c). It is a read as far as the
 * dispatcher is concerned (no transaction, no idempotency key: a resent
 * request finds the directory taken and its answer is dropped by the
 * REQ socket, which keeps the first), but never an inline read: it waits
 * for the writer lock and a memtable flush, so a worker runs it.
 *
 * CollectGarbage sweeps the chunk store (storage/gc.c). It too is no
 * mutation for the dispatcher: it changes no catalog record and writes no
 * event, and it must not hold the writer lock for its whole run, which a
 * mutation's transaction would. It takes the lock itself, one batch at a
 * time. Repeating it is harmless, so it needs no idempotency key.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "admin.pb-c.h"
#include "svc.h"

/*
 * A backup may only be written below the root modelregd was started with
 * (--backup-root): until the registry authenticates its callers, anyone
 * who can reach it could otherwise have it write anywhere it may write.
 * The directory's parent must exist; it is resolved (links and "..") and
 * must be the root or below it.
 */
static mr_status
check_backup_dir(svc_call *c, const char *dir)
{
	const char *root = c->w->backup_root;
	char parent[PATH_MAX], real_parent[PATH_MAX], real_root[PATH_MAX];
	size_t len = strlen(dir), rlen;
	const char *base;

	if (root == NULL)
		return mr_fail(&c->err, MR_FAILED_PRECONDITION,
		    "backups are off: start modelregd with --backup-root DIR "
		    "to allow them below DIR");
	if (dir[0] != '/')
		return MR_OK; /* store_checkpoint says it must be absolute */
	while (len > 1 && dir[len - 1] == '/')
		len--;
	if (len >= sizeof(parent))
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "the backup path is too long");
	memcpy(parent, dir, len);
	parent[len] = '\0';
	base = strrchr(parent, '/');
	if (strcmp(base + 1, ".") == 0 || strcmp(base + 1, "..") == 0 ||
	    base[1] == '\0')
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "\"%s\" does not name a new directory", dir);
	parent[base == parent ? 1 : base - parent] = '\0';
	if (realpath(root, real_root) == NULL)
		return mr_fail(&c->err, MR_FAILED_PRECONDITION,
		    "the backup root %s: %s", root, strerror(errno));
	if (realpath(parent, real_parent) == NULL)
		return mr_fail(&c->err, MR_FAILED_PRECONDITION,
		    "the parent of %s: %s", dir, strerror(errno));
	rlen = strlen(real_root);
	if (strncmp(real_parent, real_root, rlen) != 0 ||
	    (real_parent[rlen] != '\0' && real_parent[rlen] != '/' &&
	        strcmp(real_root, "/") != 0))
		return mr_fail(&c->err, MR_PERMISSION_DENIED,
		    "%s is outside the backup root %s", dir, root);
	return MR_OK;
}

static mr_status
backup_h(svc_call *c, const ProtobufCMessage *reqm, ProtobufCMessage *respm)
{
	const Modelreg__V1__BackupRequest *rq = (const void *)reqm;
	Modelreg__V1__BackupResponse *resp = (void *)respm;
	mr_status rv;

	if ((rv = check_backup_dir(c, rq->dir)) != MR_OK)
		return rv;
	return store_checkpoint(
	    c->st, rq->dir, &resp->revision, &resp->bytes, &c->err);
}

static mr_status
collect_garbage_h(svc_call *c, const ProtobufCMessage *reqm,
    ProtobufCMessage *respm)
{
	const Modelreg__V1__CollectGarbageRequest *rq = (const void *)reqm;
	Modelreg__V1__CollectGarbageResponse *resp = (void *)respm;
	int64_t grace = c->w->gc_grace_ms;
	store_gc_stats st;
	mr_status rv;

	/* A caller may ask for more grace, never for less than the
	 * operator set: a short one fails uploads in flight. */
	if (rq->grace_ms > (uint64_t)grace)
		grace = rq->grace_ms > (uint64_t)INT64_MAX / 2
		    ? INT64_MAX / 2
		    : (int64_t)rq->grace_ms;
	if ((rv = store_gc(c->st, grace, rq->dry_run, &st, &c->err)) != MR_OK)
		return rv;
	resp->chunks_scanned = st.scanned;
	resp->chunks_deleted = st.deleted;
	resp->bytes_freed = st.bytes_freed;
	resp->kept_by_grace = st.kept_grace;
	resp->kept_referenced = st.kept_referenced;
	resp->grace_ms = (uint64_t)grace;
	return MR_OK;
}

#define METHOD(meth, req, resp, fn)                                            \
	{                                                                      \
		.name = "/modelreg.v1.Admin/" meth,                            \
		.request = &modelreg__v1__##req##__descriptor,                 \
		.response = &modelreg__v1__##resp##__descriptor,               \
		.handler = fn, .mutates = false, .inline_read = false,         \
	}

const svc_method svc_admin_methods[] = {
    METHOD("Backup", backup_request, backup_response, backup_h),
    METHOD("CollectGarbage", collect_garbage_request,
        collect_garbage_response, collect_garbage_h),
};
const size_t svc_admin_method_count =
    sizeof(svc_admin_methods) / sizeof(svc_admin_methods[0]);
