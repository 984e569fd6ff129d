/*
 * svctest.h - calling the service layer from tests without a socket.
 *
 * Service tests drive svc_dispatch() with the bytes a client would send,
 * on a real store in a temporary directory, so they see exactly what the
 * wire sees: envelope in, envelope out.
 */
#ifndef MR_SVCTEST_H
#define MR_SVCTEST_H

#include "model.pb-c.h"
#include "registry.pb-c.h"
#include "artifacts.pb-c.h"
#include "envelope.pb-c.h"
#include "svc.h"

typedef struct st_env {
	char dir[4096];
	store *st;
	svc_worker w;
	/* Who calls: st_call sends a token of this identity, made on first
	 * use with ADMIN on every model (st_token). */
	const char *user;
	struct {
		char user[64];
		char token[SVC_TOKEN_LEN + 1];
	} tokens[16];
	size_t n_tokens;
	uint64_t last_revision;
	char last_message[1024];
} st_env;

/* Opens a store in a fresh temporary directory and a worker on it. */
void st_setup(st_env *env, const char *tag);
/* Closes everything and removes the directory. */
void st_teardown(st_env *env);
/* cmocka fixtures around st_setup/st_teardown: *state is the st_env. */
int st_fixture_setup(void **state);
int st_fixture_teardown(void **state);
/* Closes and reopens the store (what a restart does). */
void st_reopen(st_env *env);

/*
 * Sends `req` to `method` ("Registry/GetModel") through svc_dispatch, with
 * idempotency key `key` (may be NULL), and returns the status. On OK and
 * if `out` is not NULL, *out is the unpacked response (free it with
 * protobuf_c_message_free_unpacked). The message is in env->last_message.
 */
mr_status st_call(st_env *env, const char *method, const ProtobufCMessage *req,
    const char *key, const ProtobufCMessageDescriptor *resp_desc,
    ProtobufCMessage **out);

/*
 * A token of `user` with `role` over `models`, made in the store now (not
 * remembered for st_call).
 */
const char *st_token_with(st_env *env, const char *user, int role,
    const char *models, char out[SVC_TOKEN_LEN + 1]);
/* The token st_call sends for `user`: ADMIN on "*", made once. */
const char *st_token(st_env *env, const char *user);
/* As st_call, with the envelope's token `token` ("" for none). */
mr_status st_call_as(st_env *env, const char *token, const char *method,
    const ProtobufCMessage *req, const char *key,
    const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **out);

/* Sends raw request bytes; returns the status of the reply. */
mr_status st_call_raw(st_env *env, const void *bytes, size_t len,
    Modelreg__V1__Response **out);

/*
 * Uploads `n` files (path, bytes, size) as chunks of `chunk_size` bytes
 * and returns a complete manifest (free with st_manifest_free).
 */
typedef struct st_file {
	const char *path;
	const void *data;
	size_t size;
} st_file;

Modelreg__V1__Manifest *st_upload(st_env *env, const st_file *files,
    size_t n, bool directory, size_t chunk_size);
void st_manifest_free(Modelreg__V1__Manifest *m);

/* Registers name@version with a one-file artifact of `size` bytes. */
mr_status st_register(st_env *env, const char *name, const char *version,
    size_t size);
/* Promote / rollback shorthands; return the status. */
mr_status st_promote(st_env *env, const char *name, const char *version,
    Modelreg__V1__Stage to);
mr_status st_rollback(st_env *env, const char *name, const char *to,
    const char *reason);
/* The model's record; NULL if it does not exist. */
Modelreg__V1__Model *st_model(st_env *env, const char *name);
/* The stage of name@version; -1 if absent. */
int st_stage(st_env *env, const char *name, const char *version);

#endif /* MR_SVCTEST_H */
