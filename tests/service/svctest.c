/*
 * svctest.c - see svctest.h.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svctest.h"
#include "testutil.h"

void
st_setup(st_env *env, const char *tag)
{
	mr_err e;

	memset(env, 0, sizeof(*env));
	tu_mkdtemp(env->dir, tag);
	if (store_open(&env->st, env->dir, &e) != MR_OK)
		fail_msg("store_open: %s", e.msg);
	if (svc_worker_init(&env->w, env->st, &e) != MR_OK)
		fail_msg("svc_worker_init: %s", e.msg);
	env->user = "alice";
}

void
st_teardown(st_env *env)
{
	svc_worker_fini(&env->w);
	store_close(env->st);
	tu_rmtree(env->dir);
}

int
st_fixture_setup(void **state)
{
	st_env *env = malloc(sizeof(*env));

	st_setup(env, "service");
	*state = env;
	return 0;
}

int
st_fixture_teardown(void **state)
{
	st_teardown(*state);
	free(*state);
	return 0;
}

void
st_reopen(st_env *env)
{
	mr_err e;

	svc_worker_fini(&env->w);
	store_close(env->st);
	if (store_open(&env->st, env->dir, &e) != MR_OK)
		fail_msg("store_open: %s", e.msg);
	if (svc_worker_init(&env->w, env->st, &e) != MR_OK)
		fail_msg("svc_worker_init: %s", e.msg);
}

struct buf {
	uint8_t *p;
	size_t len;
};

static void *
buf_alloc(void *arg, size_t len)
{
	struct buf *b = arg;

	b->p = malloc(len ? len : 1);
	b->len = len;
	return b->p;
}

mr_status
st_call_raw(st_env *env, const void *bytes, size_t len,
    Modelreg__V1__Response **out)
{
	struct buf b = { 0 };
	svc_reply reply = { .alloc = buf_alloc, .arg = &b };
	Modelreg__V1__Response *r;
	mr_status code;

	assert_int_equal(svc_dispatch(&env->w, bytes, len, &reply), 0);
	r = modelreg__v1__response__unpack(NULL, b.len, b.p);
	free(b.p);
	assert_non_null(r);
	code = (mr_status)r->code;
	snprintf(env->last_message, sizeof(env->last_message), "%s",
	    r->message);
	env->last_revision = r->revision;
	if (out != NULL)
		*out = r;
	else
		modelreg__v1__response__free_unpacked(r, NULL);
	return code;
}

const char *
st_token_with(st_env *env, const char *user, int role, const char *models,
    char out[SVC_TOKEN_LEN + 1])
{
	Modelreg__V1__Grant g = MODELREG__V1__GRANT__INIT;
	mr_err e;

	g.role = (Modelreg__V1__Role)role;
	g.models = (char *)models;
	if (svc_token_mint(env->st, "svctest", user, &g, out, &e) != MR_OK)
		fail_msg("svc_token_mint %s: %s", user, e.msg);
	return out;
}

const char *
st_token(st_env *env, const char *user)
{
	size_t i;

	for (i = 0; i < env->n_tokens; i++)
		if (strcmp(env->tokens[i].user, user) == 0)
			return env->tokens[i].token;
	assert_true(i < sizeof(env->tokens) / sizeof(env->tokens[0]));
	snprintf(env->tokens[i].user, sizeof(env->tokens[i].user), "%s", user);
	st_token_with(env, user, MODELREG__V1__ROLE__ROLE_ADMIN, "*",
	    env->tokens[i].token);
	env->n_tokens++;
	return env->tokens[i].token;
}

mr_status
st_call(st_env *env, const char *method, const ProtobufCMessage *req,
    const char *key, const ProtobufCMessageDescriptor *resp_desc,
    ProtobufCMessage **out)
{
	return st_call_as(env, st_token(env, env->user), method, req, key,
	    resp_desc, out);
}

mr_status
st_call_as(st_env *env, const char *token, const char *method,
    const ProtobufCMessage *req, const char *key,
    const ProtobufCMessageDescriptor *resp_desc, ProtobufCMessage **out)
{
	Modelreg__V1__Request rq = MODELREG__V1__REQUEST__INIT;
	Modelreg__V1__Response *r;
	char name[256];
	uint8_t *bytes;
	size_t len;
	mr_status code;

	snprintf(name, sizeof(name), "/modelreg.v1.%s", method);
	rq.method = name;
	rq.auth_token = (char *)token;
	rq.idempotency_key = (char *)(key != NULL ? key : "");
	rq.payload.len = protobuf_c_message_get_packed_size(req);
	rq.payload.data = malloc(rq.payload.len + 1);
	protobuf_c_message_pack(req, rq.payload.data);
	len = modelreg__v1__request__get_packed_size(&rq);
	bytes = malloc(len);
	modelreg__v1__request__pack(&rq, bytes);
	free(rq.payload.data);
	code = st_call_raw(env, bytes, len, &r);
	free(bytes);
	if (code == MR_OK && out != NULL) {
		*out = protobuf_c_message_unpack(resp_desc, NULL,
		    r->payload.len, r->payload.data);
		assert_non_null(*out);
	}
	modelreg__v1__response__free_unpacked(r, NULL);
	return code;
}

static void
digest_of(st_env *env, const void *p, size_t n, ProtobufCBinaryData *out)
{
	out->len = MR_DIGEST_LEN;
	out->data = malloc(MR_DIGEST_LEN);
	mr_sha256(env->w.codec, p, n, out->data);
}

Modelreg__V1__Manifest *
st_upload(st_env *env, const st_file *files, size_t n, bool directory,
    size_t chunk_size)
{
	Modelreg__V1__Manifest *m = calloc(1, sizeof(*m));
	uint64_t total = 0;
	uint32_t chunks = 0;
	mr_codec *codec = mr_codec_create();

	modelreg__v1__manifest__init(m);
	m->format = 1;
	m->directory = directory;
	m->n_files = n;
	m->files = calloc(n, sizeof(*m->files));
	mr_sha256_begin(codec);
	for (size_t i = 0; i < n; i++) {
		Modelreg__V1__FileEntry *f = calloc(1, sizeof(*f));
		const uint8_t *data = files[i].data;
		size_t nc = (files[i].size + chunk_size - 1) / chunk_size;
		uint8_t be[8];

		modelreg__v1__file_entry__init(f);
		f->path = strdup(files[i].path);
		f->size = files[i].size;
		f->mode = 0644;
		digest_of(env, data, files[i].size, &f->digest);
		f->n_chunks = nc;
		f->chunks = calloc(nc ? nc : 1, sizeof(*f->chunks));
		for (size_t k = 0; k < nc; k++) {
			Modelreg__V1__ChunkRef *c = calloc(1, sizeof(*c));
			Modelreg__V1__PutChunkRequest put =
			    MODELREG__V1__PUT_CHUNK_REQUEST__INIT;
			size_t off = k * chunk_size;
			size_t len = files[i].size - off < chunk_size
			    ? files[i].size - off
			    : chunk_size;

			modelreg__v1__chunk_ref__init(c);
			c->offset = off;
			c->length = (uint32_t)len;
			digest_of(env, data + off, len, &c->digest);
			f->chunks[k] = c;
			put.digest = c->digest;
			put.encoding = MODELREG__V1__CHUNK_ENCODING__CHUNK_ENCODING_RAW;
			put.raw_length = (uint32_t)len;
			put.data.data = (uint8_t *)data + off;
			put.data.len = len;
			assert_int_equal(st_call(env, "Artifacts/PutChunk",
					     &put.base, NULL, NULL, NULL),
			    MR_OK);
		}
		chunks += (uint32_t)nc;
		total += files[i].size;
		m->files[i] = f;
		mr_sha256_update(codec, f->path, strlen(f->path) + 1);
		for (int b = 0; b < 8; b++)
			be[b] = (uint8_t)(f->size >> (56 - 8 * b));
		mr_sha256_update(codec, be, 8);
		mr_sha256_update(codec, f->digest.data, MR_DIGEST_LEN);
	}
	m->total_size = total;
	m->chunk_count = chunks;
	m->digest.len = MR_DIGEST_LEN;
	m->digest.data = malloc(MR_DIGEST_LEN);
	mr_sha256_end(codec, m->digest.data);
	mr_codec_free(codec);
	return m;
}

void
st_manifest_free(Modelreg__V1__Manifest *m)
{
	/* Everything was malloc'd piecewise: free_unpacked frees that. */
	protobuf_c_message_free_unpacked(&m->base, NULL);
}

mr_status
st_register(st_env *env, const char *name, const char *version, size_t size)
{
	Modelreg__V1__RegisterVersionRequest rq =
	    MODELREG__V1__REGISTER_VERSION_REQUEST__INIT;
	uint8_t *data = malloc(size ? size : 1);
	st_file f = { "model.bin", data, size };
	mr_status rv;

	tu_fill_random(data, size, (uint64_t)strlen(name) * 131 + size);
	rq.name = (char *)name;
	rq.version = (char *)version;
	rq.manifest = st_upload(env, &f, 1, false, 1024);
	rv = st_call(env, "Registry/RegisterVersion", &rq.base, NULL, NULL,
	    NULL);
	st_manifest_free(rq.manifest);
	free(data);
	return rv;
}

mr_status
st_promote(st_env *env, const char *name, const char *version,
    Modelreg__V1__Stage to)
{
	Modelreg__V1__PromoteRequest rq = MODELREG__V1__PROMOTE_REQUEST__INIT;

	rq.name = (char *)name;
	rq.version = (char *)version;
	rq.to_stage = to;
	rq.reason = "test";
	return st_call(env, "Registry/Promote", &rq.base, NULL, NULL, NULL);
}

mr_status
st_rollback(st_env *env, const char *name, const char *to, const char *reason)
{
	Modelreg__V1__RollbackRequest rq = MODELREG__V1__ROLLBACK_REQUEST__INIT;

	rq.name = (char *)name;
	rq.to_version = (char *)(to != NULL ? to : "");
	rq.reason = (char *)reason;
	return st_call(env, "Registry/Rollback", &rq.base, NULL, NULL, NULL);
}

Modelreg__V1__Model *
st_model(st_env *env, const char *name)
{
	Modelreg__V1__GetModelRequest rq = MODELREG__V1__GET_MODEL_REQUEST__INIT;
	Modelreg__V1__GetModelResponse *r = NULL;
	Modelreg__V1__Model *m;

	rq.name = (char *)name;
	if (st_call(env, "Registry/GetModel", &rq.base, NULL,
		&modelreg__v1__get_model_response__descriptor,
		(ProtobufCMessage **)&r) != MR_OK)
		return NULL;
	m = r->model;
	r->model = NULL;
	modelreg__v1__get_model_response__free_unpacked(r, NULL);
	return m;
}

int
st_stage(st_env *env, const char *name, const char *version)
{
	Modelreg__V1__GetVersionRequest rq =
	    MODELREG__V1__GET_VERSION_REQUEST__INIT;
	Modelreg__V1__GetVersionResponse *r = NULL;
	int stage;

	rq.name = (char *)name;
	rq.version = (char *)version;
	if (st_call(env, "Registry/GetVersion", &rq.base, NULL,
		&modelreg__v1__get_version_response__descriptor,
		(ProtobufCMessage **)&r) != MR_OK)
		return -1;
	stage = (int)r->version->stage;
	modelreg__v1__get_version_response__free_unpacked(r, NULL);
	return stage;
}
