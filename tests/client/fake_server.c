/*
 * fake_server.c - an in-memory registry subset on a REP socket, for the
 * client's tests (see fake_server.h).
 *
 * One thread receives a request, handles it and replies, until the socket
 * is closed. Chunks are checked with the same codec the real server uses
 * and kept as sent; versions are kept as packed manifests. Nothing here
 * tries to be fast or complete.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/supplemental/util/platform.h>

#include "artifacts.pb-c.h"
#include "chunk.h"
#include "common.h"
#include "envelope.pb-c.h"
#include "fake_server.h"
#include "registry.pb-c.h"

typedef struct chunk {
	uint8_t digest[MR_DIGEST_LEN];
	int enc;
	uint32_t raw_len;
	uint8_t *data;
	size_t len;
} chunk;

typedef struct stored {
	char *name;
	char *version;
	int stage;
	uint8_t *packed; /* the ModelVersion, with chunk lists */
	size_t packed_len;
} stored;

typedef struct event {
	int kind;
	char *model;
	char *version;
	int from, to;
	char *actor;
	char *reason;
	int64_t time_ms;
} event;

struct fake_server {
	event *events; /* events[i] has revision i + 1 */
	size_t n_events;
	nng_socket sock;
	pthread_t thread;
	fake_knobs knobs;
	fake_stats stats;
	mr_codec *codec;
	chunk *chunks;
	size_t n_chunks;
	stored *versions;
	size_t n_versions;
};

typedef struct answer {
	mr_status code;
	char message[MR_ERRMSG_MAX];
	ProtobufCMessage *payload; /* not owned */
	uint64_t revision;
} answer;

static void
say(answer *a, mr_status code, const char *msg)
{
	a->code = code;
	snprintf(a->message, sizeof(a->message), "%s", msg);
}

/* Appends an event; returns its revision. */
static uint64_t
record(fake_server *f, int kind, const char *model, const char *version,
    int from, int to, const char *actor, const char *reason)
{
	event *ev;

	f->events = realloc(f->events, (f->n_events + 1) * sizeof(*ev));
	ev = &f->events[f->n_events++];
	ev->kind = kind;
	ev->model = strdup(model);
	ev->version = strdup(version);
	ev->from = from;
	ev->to = to;
	ev->actor = strdup(actor);
	ev->reason = strdup(reason);
	ev->time_ms = mr_now_ms();
	f->stats.revision = f->n_events;
	return f->stats.revision;
}

static chunk *
find_chunk(fake_server *f, const uint8_t *digest)
{
	for (size_t i = 0; i < f->n_chunks; i++)
		if (memcmp(f->chunks[i].digest, digest, MR_DIGEST_LEN) == 0)
			return &f->chunks[i];
	return NULL;
}

static void
forget_chunks(fake_server *f)
{
	for (size_t i = 0; i < f->n_chunks; i++)
		free(f->chunks[i].data);
	free(f->chunks);
	f->chunks = NULL;
	f->n_chunks = 0;
}

/* Each handler fills `a` and, on success, packs its response itself. */
static nng_msg *pack_answer(const answer *a);

static nng_msg *
handle_find_missing(fake_server *f, const ProtobufCBinaryData *p)
{
	Modelreg__V1__FindMissingChunksRequest *req;
	Modelreg__V1__FindMissingChunksResponse resp =
	    MODELREG__V1__FIND_MISSING_CHUNKS_RESPONSE__INIT;
	answer a = { 0 };
	nng_msg *m;
	uint32_t *missing;

	f->stats.find_missing++;
	req = modelreg__v1__find_missing_chunks_request__unpack(NULL, p->len,
	    p->data);
	if (req == NULL) {
		say(&a, MR_INVALID_ARGUMENT, "bad FindMissingChunksRequest");
		return pack_answer(&a);
	}
	missing = calloc(req->n_digests + 1, sizeof(uint32_t));
	for (size_t i = 0; i < req->n_digests; i++)
		if (req->digests[i].len != MR_DIGEST_LEN ||
		    find_chunk(f, req->digests[i].data) == NULL)
			missing[resp.n_missing++] = (uint32_t)i;
	resp.missing = missing;
	a.payload = &resp.base;
	m = pack_answer(&a);
	free(missing);
	modelreg__v1__find_missing_chunks_request__free_unpacked(req, NULL);
	return m;
}

static nng_msg *
handle_put_chunk(fake_server *f, const ProtobufCBinaryData *p)
{
	Modelreg__V1__PutChunkRequest *req;
	Modelreg__V1__PutChunkResponse resp =
	    MODELREG__V1__PUT_CHUNK_RESPONSE__INIT;
	answer a = { 0 };
	const void *out;
	uint8_t *buf;
	nng_msg *m;
	mr_err e;

	f->stats.put_chunk++;
	req = modelreg__v1__put_chunk_request__unpack(NULL, p->len, p->data);
	if (req == NULL || req->digest.len != MR_DIGEST_LEN) {
		say(&a, MR_INVALID_ARGUMENT, "bad PutChunkRequest");
		goto out;
	}
	buf = malloc(MR_CHUNK_MAX);
	if (mr_chunk_decode(f->codec, (int)req->encoding, req->data.data,
		req->data.len, req->raw_length, req->digest.data, buf, &out,
		&e) != MR_OK) {
		say(&a, e.code, e.msg);
		free(buf);
		goto out;
	}
	free(buf);
	if (find_chunk(f, req->digest.data) == NULL) {
		chunk *c;
		f->chunks = realloc(f->chunks,
		    (f->n_chunks + 1) * sizeof(*f->chunks));
		c = &f->chunks[f->n_chunks++];
		memcpy(c->digest, req->digest.data, MR_DIGEST_LEN);
		c->enc = (int)req->encoding;
		c->raw_len = req->raw_length;
		c->len = req->data.len;
		c->data = malloc(c->len + 1);
		memcpy(c->data, req->data.data, c->len);
		resp.stored = true;
	}
	a.payload = &resp.base;
out:
	m = pack_answer(&a);
	if (req != NULL)
		modelreg__v1__put_chunk_request__free_unpacked(req, NULL);
	return m;
}

static stored *
find_version(fake_server *f, const char *name, const char *version)
{
	stored *last = NULL;

	for (size_t i = 0; i < f->n_versions; i++) {
		if (strcmp(f->versions[i].name, name) != 0)
			continue;
		if (version[0] == '\0' ||
		    strcmp(f->versions[i].version, version) == 0)
			last = &f->versions[i];
	}
	return last;
}

static nng_msg *
handle_register(fake_server *f, const ProtobufCBinaryData *p,
    const char *user)
{
	Modelreg__V1__RegisterVersionRequest *req;
	Modelreg__V1__RegisterVersionResponse resp =
	    MODELREG__V1__REGISTER_VERSION_RESPONSE__INIT;
	Modelreg__V1__ModelVersion v = MODELREG__V1__MODEL_VERSION__INIT;
	answer a = { 0 };
	nng_msg *m;
	stored *s;

	f->stats.register_calls++;
	req = modelreg__v1__register_version_request__unpack(NULL, p->len,
	    p->data);
	if (req == NULL || req->manifest == NULL) {
		say(&a, MR_INVALID_ARGUMENT, "bad RegisterVersionRequest");
		goto out;
	}
	if (f->knobs.refuse_register != MR_OK) {
		say(&a, f->knobs.refuse_register, "refused by the test");
		goto out;
	}
	if (f->knobs.lose_chunks_once) {
		f->knobs.lose_chunks_once = false;
		forget_chunks(f);
	}
	for (size_t i = 0; i < req->manifest->n_files; i++) {
		const Modelreg__V1__FileEntry *fe = req->manifest->files[i];
		for (size_t k = 0; k < fe->n_chunks; k++) {
			if (find_chunk(f, fe->chunks[k]->digest.data) == NULL) {
				say(&a, MR_FAILED_PRECONDITION,
				    "a chunk of the manifest is not stored");
				goto out;
			}
		}
	}
	if (find_version(f, req->name, req->version) != NULL &&
	    req->version[0] != '\0') {
		say(&a, MR_ALREADY_EXISTS, "version exists");
		goto out;
	}
	f->versions = realloc(f->versions,
	    (f->n_versions + 1) * sizeof(*f->versions));
	s = &f->versions[f->n_versions++];
	s->name = strdup(req->name);
	s->version = strdup(req->version);
	s->stage = req->stage != 0 ? (int)req->stage : MR_STAGE_DEV;
	v.name = req->name;
	v.version = req->version;
	v.stage = (Modelreg__V1__Stage)s->stage;
	v.description = req->description;
	v.metadata = req->metadata;
	v.n_tags = req->n_tags;
	v.tags = (Modelreg__V1__ModelVersion__TagsEntry **)req->tags;
	v.signature = req->signature;
	v.manifest = req->manifest;
	v.created_by = (char *)user;
	v.created_at_ms = mr_now_ms();
	v.created_revision = record(f, MR_EVENT_VERSION_REGISTERED, req->name,
	    req->version, 0, s->stage, user, "");
	s->packed_len = modelreg__v1__model_version__get_packed_size(&v);
	s->packed = malloc(s->packed_len + 1);
	modelreg__v1__model_version__pack(&v, s->packed);
	resp.version = &v;
	a.payload = &resp.base;
	a.revision = f->stats.revision;
out:
	m = pack_answer(&a);
	if (req != NULL)
		modelreg__v1__register_version_request__free_unpacked(req,
		    NULL);
	return m;
}

static nng_msg *
handle_get_version(fake_server *f, const ProtobufCBinaryData *p)
{
	Modelreg__V1__GetVersionRequest *req;
	Modelreg__V1__GetVersionResponse resp =
	    MODELREG__V1__GET_VERSION_RESPONSE__INIT;
	Modelreg__V1__ModelVersion *v = NULL;
	Modelreg__V1__Manifest *mf;
	size_t *counts = NULL;
	answer a = { 0 };
	nng_msg *m;
	stored *s;

	f->stats.get_version++;
	req = modelreg__v1__get_version_request__unpack(NULL, p->len,
	    p->data);
	if (req == NULL) {
		say(&a, MR_INVALID_ARGUMENT, "bad GetVersionRequest");
		goto out;
	}
	if ((s = find_version(f, req->name, req->version)) == NULL) {
		say(&a, MR_NOT_FOUND, "no such version");
		goto out;
	}
	v = modelreg__v1__model_version__unpack(NULL, s->packed_len,
	    s->packed);
	v->stage = (Modelreg__V1__Stage)s->stage;
	mf = v->manifest;
	if (f->knobs.evil_path != NULL && mf->n_files > 0) {
		free(mf->files[0]->path);
		mf->files[0]->path = strdup(f->knobs.evil_path);
	}
	/* Without with_chunks, answer with empty chunk lists; the counts
	 * come back before the message is freed. */
	counts = calloc(mf->n_files + 1, sizeof(size_t));
	for (size_t i = 0; i < mf->n_files; i++) {
		counts[i] = mf->files[i]->n_chunks;
		if (!req->with_chunks)
			mf->files[i]->n_chunks = 0;
	}
	resp.version = v;
	a.payload = &resp.base;
out:
	m = pack_answer(&a);
	if (v != NULL) {
		for (size_t i = 0; i < v->manifest->n_files; i++)
			v->manifest->files[i]->n_chunks = counts[i];
		modelreg__v1__model_version__free_unpacked(v, NULL);
	}
	free(counts);
	if (req != NULL)
		modelreg__v1__get_version_request__free_unpacked(req, NULL);
	return m;
}

static nng_msg *
handle_get_chunk(fake_server *f, const ProtobufCBinaryData *p)
{
	Modelreg__V1__GetChunkRequest *req;
	Modelreg__V1__GetChunkResponse resp =
	    MODELREG__V1__GET_CHUNK_RESPONSE__INIT;
	answer a = { 0 };
	uint8_t *copy = NULL;
	nng_msg *m;
	chunk *c;

	f->stats.get_chunk++;
	req = modelreg__v1__get_chunk_request__unpack(NULL, p->len, p->data);
	if (req == NULL || req->digest.len != MR_DIGEST_LEN) {
		say(&a, MR_INVALID_ARGUMENT, "bad GetChunkRequest");
		goto out;
	}
	if ((c = find_chunk(f, req->digest.data)) == NULL) {
		say(&a, MR_NOT_FOUND, "no such chunk");
		goto out;
	}
	copy = malloc(c->len + 1);
	memcpy(copy, c->data, c->len);
	if (f->knobs.corrupt_chunks && c->len > 0)
		copy[c->len / 2] ^= 0x5a;
	resp.encoding = (Modelreg__V1__ChunkEncoding)c->enc;
	resp.raw_length = c->raw_len;
	resp.data.data = copy;
	resp.data.len = c->len;
	a.payload = &resp.base;
out:
	m = pack_answer(&a);
	free(copy);
	if (req != NULL)
		modelreg__v1__get_chunk_request__free_unpacked(req, NULL);
	return m;
}

static nng_msg *
handle_get_model(fake_server *f, const ProtobufCBinaryData *p)
{
	Modelreg__V1__GetModelRequest *req;
	Modelreg__V1__GetModelResponse resp =
	    MODELREG__V1__GET_MODEL_RESPONSE__INIT;
	Modelreg__V1__Model model = MODELREG__V1__MODEL__INIT;
	Modelreg__V1__Model__TagsEntry t1 =
	    MODELREG__V1__MODEL__TAGS_ENTRY__INIT;
	Modelreg__V1__Model__TagsEntry t2 =
	    MODELREG__V1__MODEL__TAGS_ENTRY__INIT;
	Modelreg__V1__Model__TagsEntry *tags[] = { &t1, &t2 };
	answer a = { 0 };
	nng_msg *m;

	req = modelreg__v1__get_model_request__unpack(NULL, p->len, p->data);
	if (req == NULL) {
		say(&a, MR_INVALID_ARGUMENT, "bad GetModelRequest");
		return pack_answer(&a);
	}
	/* Tags out of order, to see the client sort them. */
	t1.key = "zeta";
	t1.value = "last";
	t2.key = "alpha";
	t2.value = "first";
	model.name = req->name;
	model.owner = "risk-team";
	model.n_tags = 2;
	model.tags = tags;
	model.version_count = (uint32_t)f->n_versions;
	resp.model = &model;
	a.payload = &resp.base;
	m = pack_answer(&a);
	modelreg__v1__get_model_request__free_unpacked(req, NULL);
	return m;
}

static nng_msg *
handle_promote(fake_server *f, const ProtobufCBinaryData *p,
    const char *user)
{
	Modelreg__V1__PromoteRequest *req;
	Modelreg__V1__PromoteResponse resp =
	    MODELREG__V1__PROMOTE_RESPONSE__INIT;
	Modelreg__V1__ModelVersion v = MODELREG__V1__MODEL_VERSION__INIT;
	answer a = { 0 };
	nng_msg *m;

	req = modelreg__v1__promote_request__unpack(NULL, p->len, p->data);
	if (req == NULL) {
		say(&a, MR_INVALID_ARGUMENT, "bad PromoteRequest");
		return pack_answer(&a);
	}
	v.name = req->name;
	v.version = req->version;
	v.stage = req->to_stage;
	resp.version = &v;
	a.payload = &resp.base;
	a.revision = record(f, MR_EVENT_STAGE_CHANGED, req->name, req->version,
	    req->expected_stage, req->to_stage, user, req->reason);
	for (size_t i = 0; i < f->n_versions; i++)
		if (strcmp(f->versions[i].name, req->name) == 0 &&
		    strcmp(f->versions[i].version, req->version) == 0)
			f->versions[i].stage = (int)req->to_stage;
	m = pack_answer(&a);
	modelreg__v1__promote_request__free_unpacked(req, NULL);
	return m;
}

/* Every model once, with its last version as the latest. */
static nng_msg *
handle_list_models(fake_server *f)
{
	Modelreg__V1__ListModelsResponse resp =
	    MODELREG__V1__LIST_MODELS_RESPONSE__INIT;
	Modelreg__V1__Model *models = calloc(f->n_versions + 1,
	    sizeof(*models));
	Modelreg__V1__Model **ptrs = calloc(f->n_versions + 1, sizeof(*ptrs));
	answer a = { 0 };
	nng_msg *m;

	for (size_t i = 0; i < f->n_versions; i++) {
		Modelreg__V1__Model *md = NULL;

		for (size_t k = 0; k < resp.n_models; k++)
			if (strcmp(models[k].name, f->versions[i].name) == 0)
				md = &models[k];
		if (md == NULL) {
			md = &models[resp.n_models];
			ptrs[resp.n_models++] = md;
			modelreg__v1__model__init(md);
			md->name = f->versions[i].name;
			md->updated_at_ms = mr_now_ms();
		}
		md->version_count++;
		md->latest_version = f->versions[i].version;
		if (f->versions[i].stage == MR_STAGE_PRODUCTION)
			md->production_version = f->versions[i].version;
	}
	resp.models = ptrs;
	a.payload = &resp.base;
	m = pack_answer(&a);
	free(models);
	free(ptrs);
	return m;
}

static nng_msg *
handle_list_versions(fake_server *f, const ProtobufCBinaryData *p)
{
	Modelreg__V1__ListVersionsRequest *req;
	Modelreg__V1__ListVersionsResponse resp =
	    MODELREG__V1__LIST_VERSIONS_RESPONSE__INIT;
	Modelreg__V1__ModelVersion *vs = calloc(f->n_versions + 1,
	    sizeof(*vs));
	Modelreg__V1__ModelVersion **ptrs = calloc(f->n_versions + 1,
	    sizeof(*ptrs));
	answer a = { 0 };
	nng_msg *m;

	req = modelreg__v1__list_versions_request__unpack(NULL, p->len,
	    p->data);
	for (size_t i = 0; req != NULL && i < f->n_versions; i++) {
		Modelreg__V1__ModelVersion *v = &vs[resp.n_versions];

		if (strcmp(f->versions[i].name, req->name) != 0)
			continue;
		modelreg__v1__model_version__init(v);
		v->name = f->versions[i].name;
		v->version = f->versions[i].version;
		v->stage = (Modelreg__V1__Stage)f->versions[i].stage;
		v->created_by = "alice";
		ptrs[resp.n_versions++] = v;
	}
	resp.versions = ptrs;
	a.payload = &resp.base;
	m = pack_answer(&a);
	free(vs);
	free(ptrs);
	if (req != NULL)
		modelreg__v1__list_versions_request__free_unpacked(req, NULL);
	return m;
}

static nng_msg *
handle_list_events(fake_server *f, const ProtobufCBinaryData *p)
{
	Modelreg__V1__ListEventsRequest *req;
	Modelreg__V1__ListEventsResponse resp =
	    MODELREG__V1__LIST_EVENTS_RESPONSE__INIT;
	Modelreg__V1__Event *evs = calloc(f->n_events + 1, sizeof(*evs));
	Modelreg__V1__Event **ptrs = calloc(f->n_events + 1, sizeof(*ptrs));
	answer a = { 0 };
	nng_msg *m;

	req = modelreg__v1__list_events_request__unpack(NULL, p->len,
	    p->data);
	resp.last_revision = req != NULL ? req->after_revision : 0;
	for (size_t i = req != NULL ? req->after_revision : f->n_events;
	     i < f->n_events; i++) {
		const event *ev = &f->events[i];
		Modelreg__V1__Event *e = &evs[resp.n_events];

		if (req->name[0] != '\0' && strcmp(req->name, ev->model) != 0)
			continue;
		if (req->page_size > 0 && resp.n_events == req->page_size) {
			resp.more = true;
			break;
		}
		modelreg__v1__event__init(e);
		e->revision = i + 1;
		e->time_ms = ev->time_ms;
		e->kind = (Modelreg__V1__EventKind)ev->kind;
		e->model = ev->model;
		e->version = ev->version;
		e->from_stage = (Modelreg__V1__Stage)ev->from;
		e->to_stage = (Modelreg__V1__Stage)ev->to;
		e->actor = ev->actor;
		e->reason = ev->reason;
		ptrs[resp.n_events++] = e;
		resp.last_revision = i + 1;
	}
	resp.events = ptrs;
	a.payload = &resp.base;
	m = pack_answer(&a);
	free(evs);
	free(ptrs);
	if (req != NULL)
		modelreg__v1__list_events_request__free_unpacked(req, NULL);
	return m;
}

static nng_msg *
pack_answer(const answer *a)
{
	Modelreg__V1__Response r = MODELREG__V1__RESPONSE__INIT;
	uint8_t *payload = NULL;
	nng_msg *m;

	r.code = (Modelreg__V1__StatusCode)a->code;
	r.message = (char *)a->message;
	r.revision = a->revision;
	if (a->code == MR_OK && a->payload != NULL) {
		r.payload.len = protobuf_c_message_get_packed_size(a->payload);
		payload = malloc(r.payload.len + 1);
		protobuf_c_message_pack(a->payload, payload);
		r.payload.data = payload;
	}
	nng_msg_alloc(&m, modelreg__v1__response__get_packed_size(&r));
	modelreg__v1__response__pack(&r, nng_msg_body(m));
	free(payload);
	return m;
}

static nng_msg *
handle(fake_server *f, nng_msg *msg)
{
	Modelreg__V1__Request *req;
	const ProtobufCBinaryData *p;
	answer a = { 0 };
	nng_msg *m;

	f->stats.requests++;
	req = modelreg__v1__request__unpack(NULL, nng_msg_len(msg),
	    nng_msg_body(msg));
	if (req == NULL) {
		say(&a, MR_INVALID_ARGUMENT, "not a Request");
		return pack_answer(&a);
	}
	snprintf(f->stats.last_method, sizeof(f->stats.last_method), "%s",
	    req->method);
	snprintf(f->stats.last_key, sizeof(f->stats.last_key), "%s",
	    req->idempotency_key);
	snprintf(f->stats.last_user, sizeof(f->stats.last_user), "%s",
	    req->user);
	f->stats.last_deadline_ms = req->deadline_unix_ms;
	if (f->knobs.delay_ms > 0)
		nng_msleep((nng_duration)f->knobs.delay_ms);
	p = &req->payload;
	if (f->knobs.garbage_reply) {
		nng_msg_alloc(&m, 0);
		nng_msg_append(m, "\xff\xff\xff\xff garbage", 12);
	} else if (f->knobs.fail_code != MR_OK) {
		say(&a, f->knobs.fail_code,
		    f->knobs.fail_message != NULL ? f->knobs.fail_message : "");
		m = pack_answer(&a);
	} else if (strcmp(req->method,
		       "/modelreg.v1.Artifacts/FindMissingChunks") == 0) {
		m = handle_find_missing(f, p);
	} else if (strcmp(req->method, "/modelreg.v1.Artifacts/PutChunk") ==
	    0) {
		m = handle_put_chunk(f, p);
	} else if (strcmp(req->method, "/modelreg.v1.Artifacts/GetChunk") ==
	    0) {
		m = handle_get_chunk(f, p);
	} else if (strcmp(req->method,
		       "/modelreg.v1.Registry/RegisterVersion") == 0) {
		m = handle_register(f, p, req->user);
	} else if (strcmp(req->method, "/modelreg.v1.Registry/GetVersion") ==
	    0) {
		m = handle_get_version(f, p);
	} else if (strcmp(req->method, "/modelreg.v1.Registry/GetModel") ==
	    0) {
		m = handle_get_model(f, p);
	} else if (strcmp(req->method, "/modelreg.v1.Registry/Promote") ==
	    0) {
		m = handle_promote(f, p, req->user);
	} else if (strcmp(req->method, "/modelreg.v1.Registry/ListModels") ==
	    0) {
		m = handle_list_models(f);
	} else if (strcmp(req->method,
		       "/modelreg.v1.Registry/ListVersions") == 0) {
		m = handle_list_versions(f, p);
	} else if (strcmp(req->method, "/modelreg.v1.Registry/ListEvents") ==
	    0) {
		m = handle_list_events(f, p);
	} else {
		say(&a, MR_UNIMPLEMENTED, "not in the fake server");
		m = pack_answer(&a);
	}
	modelreg__v1__request__free_unpacked(req, NULL);
	return m;
}

static void *
serve(void *arg)
{
	fake_server *f = arg;
	nng_msg *msg, *reply;

	while (nng_recvmsg(f->sock, &msg, 0) == 0) {
		reply = handle(f, msg);
		nng_msg_free(msg);
		if (nng_sendmsg(f->sock, reply, 0) != 0)
			nng_msg_free(reply);
	}
	return NULL;
}

fake_server *
fake_start(const char *url)
{
	fake_server *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return NULL;
	f->codec = mr_codec_create();
	if (nng_rep0_open(&f->sock) != 0)
		goto err_alloc;
	nng_socket_set_size(f->sock, NNG_OPT_RECVMAXSZ, MR_MSG_MAX);
	if (nng_listen(f->sock, url, NULL, 0) != 0)
		goto err_socket;
	if (pthread_create(&f->thread, NULL, serve, f) != 0)
		goto err_socket;
	return f;

err_socket:
	nng_close(f->sock);
err_alloc:
	mr_codec_free(f->codec);
	free(f);
	return NULL;
}

void
fake_stop(fake_server *f)
{
	if (f == NULL)
		return;
	nng_close(f->sock);
	pthread_join(f->thread, NULL);
	forget_chunks(f);
	for (size_t i = 0; i < f->n_versions; i++) {
		free(f->versions[i].name);
		free(f->versions[i].version);
		free(f->versions[i].packed);
	}
	free(f->versions);
	for (size_t i = 0; i < f->n_events; i++) {
		free(f->events[i].model);
		free(f->events[i].version);
		free(f->events[i].actor);
		free(f->events[i].reason);
	}
	free(f->events);
	mr_codec_free(f->codec);
	free(f);
}

fake_knobs *
fake_knobs_of(fake_server *f)
{
	return &f->knobs;
}

const fake_stats *
fake_stats_of(fake_server *f)
{
	return &f->stats;
}

size_t
fake_chunk_count(fake_server *f)
{
	return f->n_chunks;
}
