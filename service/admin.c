/*
 * admin.c - the Admin service: operations on the registry as a whole.
 *
 * Backup writes a RocksDB checkpoint of the live store into a directory on
 * the server's machine (storage/backup.c). It is a read as far as the
 * dispatcher is concerned (no transaction, no idempotency key: a resent
 * request finds the directory taken and its answer is dropped by the
 * REQ socket, which keeps the first), but never an inline read: it waits
 * for the writer lock and a memtable flush, so a worker runs it.
 */
#include "admin.pb-c.h"
#include "svc.h"

static mr_status
backup_h(svc_call *c, const ProtobufCMessage *reqm, ProtobufCMessage *respm)
{
	const Modelreg__V1__BackupRequest *rq = (const void *)reqm;
	Modelreg__V1__BackupResponse *resp = (void *)respm;

	return store_checkpoint(c->st, rq->dir, &resp->revision, &resp->bytes,
	    &c->err);
}

#define METHOD(meth, req, resp, fn)                                        \
	{                                                                  \
		.name = "/modelreg.v1.Admin/" meth,                        \
		.request = &modelreg__v1__##req##__descriptor,             \
		.response = &modelreg__v1__##resp##__descriptor,           \
		.handler = fn, .mutates = false, .inline_read = false,     \
	}

const svc_method svc_admin_methods[] = {
	METHOD("Backup", backup_request, backup_response, backup_h),
};
const size_t svc_admin_method_count =
    sizeof(svc_admin_methods) / sizeof(svc_admin_methods[0]);
