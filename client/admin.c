/*
 * admin.c - the Admin service's calls: backups of the whole registry, and
 * garbage collection of its chunks.
 */
#include "admin.pb-c.h"
#include "client.h"

#define M_BACKUP "/modelreg.v1.Admin/Backup"
#define M_COLLECT_GARBAGE "/modelreg.v1.Admin/CollectGarbage"

mr_status
mr_backup(mr_client *c, const char *dir, uint64_t *revision)
{
	Modelreg__V1__BackupRequest req = MODELREG__V1__BACKUP_REQUEST__INIT;
	Modelreg__V1__BackupResponse *resp;
	mr_status rv;

	if (c == NULL)
		return MR_INVALID_ARGUMENT;
	mr_err_clear(&c->err);
	if (dir == NULL || dir[0] == '\0')
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "no backup directory given");
	req.dir = (char *)dir;
	rv = client_call(c, M_BACKUP, &req.base, false,
	    &modelreg__v1__backup_response__descriptor, &resp);
	if (rv != MR_OK)
		return rv;
	if (revision != NULL)
		*revision = resp->revision;
	rpc_reply_free(&resp->base);
	return MR_OK;
}

mr_status
mr_collect_garbage(mr_client *c, uint64_t grace_ms, bool dry_run,
    mr_gc_result *out)
{
	Modelreg__V1__CollectGarbageRequest req =
	    MODELREG__V1__COLLECT_GARBAGE_REQUEST__INIT;
	Modelreg__V1__CollectGarbageResponse *resp;
	mr_status rv;

	if (c == NULL)
		return MR_INVALID_ARGUMENT;
	mr_err_clear(&c->err);
	req.grace_ms = grace_ms;
	req.dry_run = dry_run;
	/* No idempotency key: a repeated sweep finds less, and that is
	 * all. */
	rv = client_call(c, M_COLLECT_GARBAGE, &req.base, false,
	    &modelreg__v1__collect_garbage_response__descriptor, &resp);
	if (rv != MR_OK)
		return rv;
	if (out != NULL) {
		out->chunks_scanned = resp->chunks_scanned;
		out->chunks_deleted = resp->chunks_deleted;
		out->bytes_freed = resp->bytes_freed;
		out->kept_by_grace = resp->kept_by_grace;
		out->kept_referenced = resp->kept_referenced;
		out->grace_ms = resp->grace_ms;
	}
	rpc_reply_free(&resp->base);
	return MR_OK;
}
