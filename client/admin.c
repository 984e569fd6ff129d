/*
 * admin.c - the Admin service's calls: backups of the whole registry.
 */
#include "admin.pb-c.h"
#include "client.h"

#define M_BACKUP "/modelreg.v1.Admin/Backup"

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
