/*
 * scale_bench.c - modelreg-scale-bench: whether the registry's reads stay
 * flat as the number of models grows.
 *
 * For each size (default 1,000 then 10,000 models of 20 versions) it
 * builds a registry in a temporary directory through the real handlers,
 * in this process: svc_dispatch on one svc_worker, with commits unsynced
 * while loading (store_set_synced). Every version is registered with
 * metadata (metrics, hyperparameters, features, framework), two tags and
 * a manifest referencing one shared 4 KiB chunk uploaded once with
 * PutChunk; every sixth version goes dev -> staging -> production (which
 * archives the previous production version), one more goes to staging,
 * and a quarter of the models end with a rollback, so that each model's
 * stage history holds ~30 events. Versions are registered in rounds
 * (version 1 of every model, then version 2, ...) so each model's history
 * spans the whole load on the registry's own clock, as a real one spans
 * months.
 *
 * Then it serves the store over loopback TCP and measures, through
 * libmodelreg with one client, the calls whose cost must not depend on
 * the number of models: a get by exact version, a point-in-time get of the
 * production version, two searches whose filters an index narrows (with
 * the same number of matches at every size: the figure shows the index,
 * not a smaller answer), a page of a model's versions and a page of models
 * after a random token. The baseline is a raw nng REQ/REP echo of a 1 KiB
 * message over the same transport, taking turns with the calls in blocks
 * of BLOCK so that both see the machine in the same state. Sizes run one
 * after the other, each alone in the process (as a server holds one
 * registry), once the bulk load's flushes and compactions have stopped.
 * Every answer is checked (expected version, number of items), so a fast
 * wrong answer cannot pass for a fast one.
 */
#include <getopt.h>
#include <limits.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "artifacts.pb-c.h"
#include "benchutil.h"
#include "envelope.pb-c.h"
#include "gen.h"
#include "modelreg.h"
#include "registry.pb-c.h"
#include "svc.h"

#define BENCH "modelreg-scale-bench"
#define SIZES_MAX 8
#define MODELS_MAX 99999  /* names are model-%05u */
#define VERSIONS_MAX 300  /* a production change every 6: < PROD_MAX */
#define ARTIFACT_SIZE 4096
#define ECHO_SIZE 1024
#define PROD_MAX 64       /* production changes kept per model */
#define NAME_LEN 24       /* "model-%05u" and "1.%u.0" */

static void
die(const char *what, const char *msg)
{
	fprintf(stderr, BENCH ": %s: %s\n", what, msg);
	exit(1);
}

/* xorshift64; every (size, query) stream starts from the same seed, so
 * each size gets the same arguments, scaled to it. */
#define SEED 88172645463325252ull

static uint32_t
rnd(uint64_t *s, uint32_t n)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s % n);
}

static void
model_name(char out[NAME_LEN], uint32_t i)
{
	snprintf(out, NAME_LEN, "model-%05u", i);
}

static void
version_text(char out[NAME_LEN], uint32_t v)
{
	snprintf(out, NAME_LEN, "1.%u.0", v);
}

/* The schedule: which versions are promoted, and who rolls back. */
static bool
goes_to_production(uint32_t v)
{
	return v % 6 == 4;
}

static bool
goes_to_staging_only(uint32_t v)
{
	return v % 12 == 1 && v > 1;
}

static bool
rolls_back(uint32_t i)
{
	return i % 4 == 0;
}

/* Accuracy rises with the version: versions 5.. are above 0.5. */
static double
accuracy_of(uint32_t i, uint32_t v)
{
	return 0.405 + 0.02 * v + 0.001 * (i % 7);
}

/* What the load recorded of one model's history, on the server's clock. */
struct history {
	int64_t last_ms;
	uint32_t n_prod; /* production changes, in order */
	int64_t prod_ms[PROD_MAX];
	uint16_t prod_v[PROD_MAX];
	uint16_t prev_prod, cur_prod; /* for the rollback */
};

/* ---- loading through the handlers --------------------------------------- */

struct buf {
	uint8_t *p;
	size_t len, cap;
};

static uint8_t *
buf_reserve(struct buf *b, size_t n)
{
	if (n > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < n)
			cap *= 2;
		if ((b->p = realloc(b->p, cap)) == NULL)
			die("load", "out of memory");
		b->cap = cap;
	}
	b->len = n;
	return b->p;
}

static void *
reply_alloc(void *arg, size_t len)
{
	return buf_reserve(arg, len ? len : 1);
}

struct loader {
	svc_worker w;
	struct buf payload, envelope, reply;
	uint64_t calls;
};

/*
 * Calls `method` on the worker as a client would, and exits unless it
 * succeeds. Returns the reply unpacked as `desc` (the caller frees it), or
 * NULL when `desc` is NULL.
 */
static ProtobufCMessage *
call(struct loader *l, const char *method, const ProtobufCMessage *req,
    const ProtobufCMessageDescriptor *desc)
{
	Modelreg__V1__Request rq = MODELREG__V1__REQUEST__INIT;
	svc_reply reply = { .alloc = reply_alloc, .arg = &l->reply };
	Modelreg__V1__Response *r;
	ProtobufCMessage *out = NULL;
	size_t n;

	rq.method = (char *)method;
	rq.auth_token = (char *)bench_token();
	rq.payload.len = protobuf_c_message_get_packed_size(req);
	rq.payload.data = buf_reserve(&l->payload, rq.payload.len + 1);
	protobuf_c_message_pack(req, rq.payload.data);
	n = modelreg__v1__request__get_packed_size(&rq);
	modelreg__v1__request__pack(&rq, buf_reserve(&l->envelope, n));
	if (svc_dispatch(&l->w, l->envelope.p, n, &reply) != 0)
		die(method, "no reply");
	r = modelreg__v1__response__unpack(NULL, l->reply.len, l->reply.p);
	if (r == NULL)
		die(method, "reply does not unpack");
	if (r->code != 0) {
		fprintf(stderr, BENCH ": %s: %s: %s\n", method,
		    mr_strerror((mr_status)r->code), r->message);
		exit(1);
	}
	if (desc != NULL &&
	    (out = protobuf_c_message_unpack(desc, NULL, r->payload.len,
		 r->payload.data)) == NULL)
		die(method, "payload does not unpack");
	modelreg__v1__response__free_unpacked(r, NULL);
	l->calls++;
	return out;
}

/* The artifact every version shares: one file of one chunk. */
struct artifact {
	uint8_t data[ARTIFACT_SIZE];
	uint8_t digest[MR_DIGEST_LEN]; /* of the file, and of its chunk */
	uint8_t manifest_digest[MR_DIGEST_LEN];
	Modelreg__V1__ChunkRef chunk, *chunks[1];
	Modelreg__V1__FileEntry file, *files[1];
	Modelreg__V1__Manifest manifest;
};

static void
upload_artifact(struct loader *l, struct artifact *a)
{
	Modelreg__V1__PutChunkRequest put =
	    MODELREG__V1__PUT_CHUNK_REQUEST__INIT;
	mr_codec *codec = mr_codec_create();
	uint8_t be[8];

	if (codec == NULL)
		die("load", "out of memory");
	tu_fill_weights(a->data, sizeof(a->data), 42);
	mr_sha256(codec, a->data, sizeof(a->data), a->digest);
	put.digest.data = a->digest;
	put.digest.len = MR_DIGEST_LEN;
	put.encoding = MODELREG__V1__CHUNK_ENCODING__CHUNK_ENCODING_RAW;
	put.raw_length = sizeof(a->data);
	put.data.data = a->data;
	put.data.len = sizeof(a->data);
	call(l, "/modelreg.v1.Artifacts/PutChunk", &put.base, NULL);

	modelreg__v1__chunk_ref__init(&a->chunk);
	a->chunk.digest.data = a->digest;
	a->chunk.digest.len = MR_DIGEST_LEN;
	a->chunk.length = sizeof(a->data);
	a->chunks[0] = &a->chunk;
	modelreg__v1__file_entry__init(&a->file);
	a->file.path = "model.bin";
	a->file.size = sizeof(a->data);
	a->file.mode = 0644;
	a->file.digest = a->chunk.digest;
	a->file.n_chunks = 1;
	a->file.chunks = a->chunks;
	a->files[0] = &a->file;
	/* The artifact digest: SHA-256 over each file's path, NUL, size
	 * (8 bytes big-endian) and digest (see model.proto). */
	mr_sha256_begin(codec);
	mr_sha256_update(codec, a->file.path, strlen(a->file.path) + 1);
	for (int b = 0; b < 8; b++)
		be[b] = (uint8_t)(a->file.size >> (56 - 8 * b));
	mr_sha256_update(codec, be, sizeof(be));
	mr_sha256_update(codec, a->digest, MR_DIGEST_LEN);
	mr_sha256_end(codec, a->manifest_digest);
	mr_codec_free(codec);
	modelreg__v1__manifest__init(&a->manifest);
	a->manifest.format = 1;
	a->manifest.n_files = 1;
	a->manifest.files = a->files;
	a->manifest.digest.data = a->manifest_digest;
	a->manifest.digest.len = MR_DIGEST_LEN;
	a->manifest.total_size = sizeof(a->data);
	a->manifest.chunk_count = 1;
}

/* The request every registration fills in; its strings point into the
 * struct's own buffers or at constants. */
struct reg_request {
	Modelreg__V1__RegisterVersionRequest rq;
	Modelreg__V1__Metadata md;
	Modelreg__V1__Metadata__MetricsEntry metric[4], *metrics[4];
	Modelreg__V1__Metadata__HyperparametersEntry hp[2], *hps[2];
	Modelreg__V1__RegisterVersionRequest__TagsEntry tag[2], *tags[2];
	char name[NAME_LEN], version[NAME_LEN], team[NAME_LEN], depth[16];
};

static const char *const frameworks[] = { "xgboost", "pytorch", "sklearn" };
static const char *const tasks[] = { "fraud", "ranking", "churn", "ads",
	"search" };
static char *features[] = { "amount", "merchant", "hour", "country",
	"device", "age_days", "velocity_1h", "velocity_24h" };

static void
reg_init(struct reg_request *r, struct artifact *a)
{
	static const char *const metric_names[] = { "accuracy", "auc", "f1",
		"latency_p50_ms" };

	modelreg__v1__register_version_request__init(&r->rq);
	modelreg__v1__metadata__init(&r->md);
	for (int k = 0; k < 4; k++) {
		modelreg__v1__metadata__metrics_entry__init(&r->metric[k]);
		r->metric[k].key = (char *)metric_names[k];
		r->metrics[k] = &r->metric[k];
	}
	for (int k = 0; k < 2; k++) {
		modelreg__v1__metadata__hyperparameters_entry__init(&r->hp[k]);
		r->hps[k] = &r->hp[k];
		modelreg__v1__register_version_request__tags_entry__init(
		    &r->tag[k]);
		r->tags[k] = &r->tag[k];
	}
	r->hp[0].key = "learning_rate";
	r->hp[0].value = "0.05";
	r->hp[1].key = "max_depth";
	r->hp[1].value = r->depth;
	r->tag[0].key = "task";
	r->tag[1].key = "team";
	r->tag[1].value = r->team;
	r->md.n_metrics = 4;
	r->md.metrics = r->metrics;
	r->md.n_hyperparameters = 2;
	r->md.hyperparameters = r->hps;
	r->md.framework_version = "2.0.3";
	r->md.python_version = "3.11";
	r->md.n_features = sizeof(features) / sizeof(features[0]);
	r->md.features = features;
	r->rq.name = r->name;
	r->rq.version = r->version;
	r->rq.metadata = &r->md;
	r->rq.n_tags = 2;
	r->rq.tags = r->tags;
	r->rq.manifest = &a->manifest;
}

static void
register_one(struct loader *l, struct reg_request *r, struct history *h,
    uint32_t i, uint32_t v)
{
	Modelreg__V1__RegisterVersionResponse *resp;

	model_name(r->name, i);
	version_text(r->version, v);
	snprintf(r->team, sizeof(r->team), "team-%04u", i / 10);
	snprintf(r->depth, sizeof(r->depth), "%u", 4 + v % 5);
	r->tag[0].value = (char *)tasks[i % 5];
	r->md.framework = (char *)frameworks[i % 3];
	r->metric[0].value = accuracy_of(i, v);
	r->metric[1].value = 0.5 + 0.02 * v;
	r->metric[2].value = 0.3 + 0.02 * v;
	r->metric[3].value = 20.0 - 0.5 * (v % 10);
	r->rq.model_description = v == 0 ? "a model of the scale bench" : "";
	r->rq.model_owner = v == 0 ? r->team : "";
	resp = (void *)call(l, "/modelreg.v1.Registry/RegisterVersion",
	    &r->rq.base, &modelreg__v1__register_version_response__descriptor);
	h->last_ms = resp->version->created_at_ms;
	modelreg__v1__register_version_response__free_unpacked(resp, NULL);
}

static void
note_production(struct history *h, uint32_t v, int64_t ms)
{
	if (h->n_prod < PROD_MAX) {
		h->prod_ms[h->n_prod] = ms;
		h->prod_v[h->n_prod] = (uint16_t)v;
		h->n_prod++;
	}
	h->prev_prod = h->cur_prod;
	h->cur_prod = (uint16_t)v;
}

static void
promote(struct loader *l, struct history *h, uint32_t i, uint32_t v,
    int to)
{
	Modelreg__V1__PromoteRequest rq = MODELREG__V1__PROMOTE_REQUEST__INIT;
	Modelreg__V1__PromoteResponse *resp;
	char name[NAME_LEN], version[NAME_LEN];

	model_name(name, i);
	version_text(version, v);
	rq.name = name;
	rq.version = version;
	rq.to_stage = (Modelreg__V1__Stage)to;
	rq.reason = "scale bench";
	resp = (void *)call(l, "/modelreg.v1.Registry/Promote", &rq.base,
	    &modelreg__v1__promote_response__descriptor);
	h->last_ms = resp->version->stage_changed_at_ms;
	if (to == MR_STAGE_PRODUCTION)
		note_production(h, v, h->last_ms);
	modelreg__v1__promote_response__free_unpacked(resp, NULL);
}

static void
rollback(struct loader *l, struct history *h, uint32_t i)
{
	Modelreg__V1__RollbackRequest rq = MODELREG__V1__ROLLBACK_REQUEST__INIT;
	Modelreg__V1__RollbackResponse *resp;
	char name[NAME_LEN], version[NAME_LEN];
	uint32_t to = h->prev_prod;

	model_name(name, i);
	version_text(version, to);
	rq.name = name;
	rq.to_version = version;
	rq.reason = "scale bench: regression in production";
	resp = (void *)call(l, "/modelreg.v1.Registry/Rollback", &rq.base,
	    &modelreg__v1__rollback_response__descriptor);
	h->last_ms = resp->version->stage_changed_at_ms;
	note_production(h, to, h->last_ms);
	modelreg__v1__rollback_response__free_unpacked(resp, NULL);
}

struct load_stats {
	double seconds;
	uint64_t versions, calls;
};

static struct load_stats
load(store *st, uint32_t n_models, uint32_t n_versions, struct history *hist)
{
	static struct artifact a;
	static struct reg_request r;
	struct loader l = { 0 };
	struct load_stats ls = { 0 };
	uint64_t t0 = mr_mono_ns(), next_report = t0 + 10000000000ull;
	mr_err e;

	if (svc_worker_init(&l.w, st, &e) != MR_OK)
		die("svc_worker_init", e.msg);
	upload_artifact(&l, &a);
	reg_init(&r, &a);
	/* Round v registers version v of every model, then moves it. */
	for (uint32_t v = 0; v < n_versions; v++) {
		for (uint32_t i = 0; i < n_models; i++) {
			struct history *h = &hist[i];
			register_one(&l, &r, h, i, v);
			if (goes_to_production(v)) {
				promote(&l, h, i, v, MR_STAGE_STAGING);
				promote(&l, h, i, v, MR_STAGE_PRODUCTION);
			} else if (goes_to_staging_only(v)) {
				promote(&l, h, i, v, MR_STAGE_STAGING);
			}
		}
		if (mr_mono_ns() > next_report) {
			fprintf(stderr, "  ... %u of %u rounds, %.0f s\n",
			    v + 1, n_versions,
			    (double)(mr_mono_ns() - t0) / 1e9);
			next_report += 10000000000ull;
		}
	}
	for (uint32_t i = 0; i < n_models; i++)
		if (rolls_back(i) && hist[i].n_prod >= 2)
			rollback(&l, &hist[i], i);
	ls.seconds = (double)(mr_mono_ns() - t0) / 1e9;
	ls.versions = (uint64_t)n_models * n_versions;
	ls.calls = l.calls;
	svc_worker_fini(&l.w);
	free(l.payload.p);
	free(l.envelope.p);
	free(l.reply.p);
	return ls;
}

/* ---- measuring ---------------------------------------------------------- */

enum query {
	Q_ECHO,
	Q_GET,
	Q_GET_AT,
	Q_SEARCH_NAME,
	Q_SEARCH_TAG,
	Q_LIST_VERSIONS,
	Q_LIST_MODELS,
	Q_COUNT,
};

static const char *const query_label[Q_COUNT] = {
	[Q_ECHO] = "raw nng echo, 1 KiB (baseline)",
	[Q_GET] = "get version (exact)",
	[Q_GET_AT] = "get production at time t",
	[Q_SEARCH_NAME] = "search name GLOB + metric",
	[Q_SEARCH_TAG] = "search tag + stage",
	[Q_LIST_VERSIONS] = "list versions (page 20)",
	[Q_LIST_MODELS] = "list models (page 100)",
};

/* Names for --only. */
static const char *const query_name[Q_COUNT] = {
	[Q_ECHO] = "echo",
	[Q_GET] = "get",
	[Q_GET_AT] = "get-at",
	[Q_SEARCH_NAME] = "search-name",
	[Q_SEARCH_TAG] = "search-tag",
	[Q_LIST_VERSIONS] = "list-versions",
	[Q_LIST_MODELS] = "list-models",
};

/* Which queries to run (--only); all by default. */
static bool g_run[Q_COUNT] = { true, true, true, true, true, true, true };

/* Calls in a row on one registry before switching to the next. */
#define BLOCK 50

struct samples {
	uint64_t *ns;
	size_t n;
	uint64_t items;
	uint64_t wrong; /* answers that were not the expected ones */
};

struct figure {
	double p50, p99;
	double items; /* mean items per answer */
	uint64_t wrong;
};

/* One registry under test: its store, its server, a client of it. */
struct target {
	uint32_t n_models, n_versions;
	char dir[PATH_MAX];
	store *st;
	svc_server *srv;
	mr_client *c;
	struct history *hist;
	struct load_stats load;
	int events; /* stage history events of model-00000 */
	double busy_pct, own_pct; /* of the machine's CPUs while measuring */
	uint64_t rng;
	struct samples s[Q_COUNT];
	struct figure fig[Q_COUNT];
};

/* The raw baseline, shared by every target. */
struct echo_client {
	nng_socket sock;
	uint8_t req[ECHO_SIZE];
	struct samples s;
};

static void
check(mr_status rv, mr_client *c, const char *what)
{
	if (rv != MR_OK) {
		fprintf(stderr, BENCH ": %s: %s: %s\n", what, mr_strerror(rv),
		    mr_client_errmsg(c));
		exit(1);
	}
}

/* The production version of model h at `t`, from the load's record. */
static int
expected_at(const struct history *h, int64_t t)
{
	int v = -1;

	for (uint32_t k = 0; k < h->n_prod && h->prod_ms[k] <= t; k++)
		v = h->prod_v[k];
	return v;
}

/*
 * One call of kind q on target t with fresh random arguments, drawn and
 * formatted before the clock starts; its time goes to *ns. Returns the
 * number of items in the answer; *wrong is set if the answer is not the
 * expected one.
 */
static size_t
one(struct target *t, enum query q, uint64_t *ns, bool *wrong)
{
	char name[NAME_LEN], version[NAME_LEN], filter[128], token[NAME_LEN];
	uint32_t i = rnd(&t->rng, t->n_models);
	uint32_t v = rnd(&t->rng, t->n_versions);
	mr_list_params lp = { 0 };
	mr_version_list *vl;
	mr_model_list *ml;
	mr_version *ver;
	size_t items = 0;
	uint64_t t0;
	int64_t at;
	int want;

	*wrong = false;
	model_name(name, i);
	switch (q) {
	case Q_GET:
		version_text(version, v);
		t0 = mr_mono_ns();
		check(mr_get_version(t->c, name, version, MR_STAGE_NONE, &ver),
		    t->c, "get");
		*ns = mr_mono_ns() - t0;
		*wrong = strcmp(ver->name, name) != 0 ||
		    strcmp(ver->version, version) != 0;
		mr_version_free(ver);
		return 1;
	case Q_GET_AT: {
		/* A time between the model's first production version and
		 * its last event. */
		const struct history *h = &t->hist[i];
		int64_t from = h->prod_ms[0], span = h->last_ms - from;
		at = from +
		    (span > 0 ? (int64_t)rnd(&t->rng, (uint32_t)span + 1) : 0);
		want = expected_at(h, at);
		t0 = mr_mono_ns();
		check(mr_get_version_at(t->c, name, MR_STAGE_PRODUCTION, at,
			  &ver),
		    t->c, "get at");
		*ns = mr_mono_ns() - t0;
		version_text(version, (uint32_t)want);
		*wrong = strcmp(ver->version, version) != 0;
		mr_version_free(ver);
		return 1;
	}
	case Q_SEARCH_NAME:
		snprintf(filter, sizeof(filter),
		    "name GLOB '%s*' AND metrics.accuracy > 0.5", name);
		t0 = mr_mono_ns();
		check(mr_search(t->c, filter, NULL, NULL, &vl), t->c,
		    "search");
		*ns = mr_mono_ns() - t0;
		items = vl->count;
		/* Versions 5.. of the model: accuracy_of() > 0.5. */
		*wrong = items != t->n_versions - 5;
		mr_version_list_free(vl);
		return items;
	case Q_SEARCH_TAG:
		snprintf(filter, sizeof(filter),
		    "tags.team = 'team-%04u' AND stage = production",
		    rnd(&t->rng, t->n_models / 10));
		t0 = mr_mono_ns();
		check(mr_search(t->c, filter, NULL, NULL, &vl), t->c,
		    "search");
		*ns = mr_mono_ns() - t0;
		items = vl->count;
		/* Ten models per team, one production version each. */
		*wrong = items != 10;
		for (size_t k = 0; k < vl->count; k++)
			*wrong |= vl->items[k].stage != MR_STAGE_PRODUCTION;
		mr_version_list_free(vl);
		return items;
	case Q_LIST_VERSIONS:
		lp.page_size = 20;
		t0 = mr_mono_ns();
		check(mr_list_versions(t->c, name, &lp, &vl), t->c,
		    "list versions");
		*ns = mr_mono_ns() - t0;
		items = vl->count;
		*wrong = items != (t->n_versions < 20 ? t->n_versions : 20);
		mr_version_list_free(vl);
		return items;
	case Q_LIST_MODELS:
		/* A token that leaves at least a full page after it. */
		model_name(token, rnd(&t->rng, t->n_models - 100));
		lp.page_size = 100;
		lp.page_token = token;
		t0 = mr_mono_ns();
		check(mr_list_models(t->c, &lp, &ml), t->c, "list models");
		*ns = mr_mono_ns() - t0;
		items = ml->count;
		*wrong = items != 100 || strcmp(ml->items[0].name, token) <= 0;
		mr_model_list_free(ml);
		return items;
	default:
		abort();
	}
}

static void
samples_init(struct samples *s, size_t cap)
{
	if ((s->ns = malloc(cap * sizeof(*s->ns))) == NULL)
		die("measure", "out of memory");
}

static void
echo_block(struct echo_client *e, size_t n, bool keep)
{
	for (size_t k = 0; k < n; k++) {
		uint64_t t0 = mr_mono_ns();
		if (bench_req_call(e->sock, e->req, sizeof(e->req)) != 0)
			die("echo", "round trip failed");
		if (keep) {
			e->s.ns[e->s.n++] = mr_mono_ns() - t0;
			e->s.items++;
		}
	}
}

static void
query_block(struct target *t, enum query q, size_t n, bool keep)
{
	struct samples *s = &t->s[q];

	for (size_t k = 0; k < n; k++) {
		uint64_t ns;
		bool wrong;
		size_t items = one(t, q, &ns, &wrong);
		if (keep) {
			s->ns[s->n++] = ns;
			s->items += items;
			s->wrong += wrong;
		}
	}
}

/*
 * Measures query q on target t in blocks of BLOCK calls taking turns with
 * blocks of echoes, so that the figure and its baseline see the machine
 * in the same state. The first `warmup` calls of each are not kept.
 */
static void
measure(struct target *t, struct echo_client *e, enum query q,
    size_t warmup, size_t iters)
{
	size_t done = 0, total = warmup + iters;

	t->rng = SEED + (uint64_t)q;
	while (done < total) {
		size_t b = total - done < BLOCK ? total - done : BLOCK;
		/* Warm-up ends inside a block at most once: split it. */
		if (done < warmup && done + b > warmup)
			b = warmup - done;
		echo_block(e, b, done >= warmup);
		query_block(t, q, b, done >= warmup);
		done += b;
	}
}

static struct figure
summarize(struct samples *s)
{
	struct figure f = { 0 };

	f.p50 = bench_quantile_us(s->ns, s->n, 0.50);
	f.p99 = bench_quantile_us(s->ns, s->n, 0.99);
	f.items = s->n ? (double)s->items / (double)s->n : 0;
	f.wrong = s->wrong;
	return f;
}

/* ---- setting up and tearing down ---------------------------------------- */

static double
cpu_seconds(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 +
	    (double)ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
}

/*
 * Waits (at most a minute) until this process, RocksDB's flush and
 * compaction threads included, has used less than 2% of a core for a
 * quarter of a second, so that the figures are those of registries at
 * rest, not of ones still digesting their bulk loads. Returns the wait,
 * or -1 if the process never went quiet.
 */
static double
settle(void)
{
	uint64_t t0 = mr_mono_ns();

	for (int k = 0; k < 240; k++) {
		double c0 = cpu_seconds();
		usleep(250000);
		if (cpu_seconds() - c0 < 0.005)
			return (double)(mr_mono_ns() - t0) / 1e9;
	}
	return -1;
}

/*
 * CPU seconds the whole machine spent busy so far (all CPUs, from
 * /proc/stat), or -1 if unknown: next to this process's own CPU time it
 * shows whether other processes ran while we measured.
 */
static double
machine_busy_seconds(void)
{
	unsigned long long v[8] = { 0 };
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f = fopen("/proc/stat", "r");
	int n;

	if (f == NULL)
		return -1;
	/* cpu user nice system idle iowait irq softirq steal */
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0],
	    &v[1], &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n != 8 || hz <= 0)
		return -1;
	return (double)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]) /
	    (double)hz;
}

/* Stage history events of a model, as a client would count them. */
static int
count_history(mr_client *c, const char *name)
{
	mr_event_list *el;
	int n = 0;

	check(mr_list_events(c, name, 0, 1000, &el), c, "list events");
	for (size_t k = 0; k < el->count; k++)
		n += el->items[k].kind == MR_EVENT_VERSION_REGISTERED ||
		    el->items[k].kind == MR_EVENT_STAGE_CHANGED ||
		    el->items[k].kind == MR_EVENT_ROLLBACK;
	mr_event_list_free(el);
	return n;
}

static void
load_target(struct target *t, const char *base)
{
	char path[PATH_MAX + 16];
	mr_err e;

	if ((t->hist = calloc(t->n_models, sizeof(*t->hist))) == NULL)
		die("load", "out of memory");
	snprintf(t->dir, sizeof(t->dir), "%s/modelreg-scale-bench-XXXXXX",
	    base);
	if (mkdtemp(t->dir) == NULL)
		die("mkdtemp", t->dir);
	snprintf(path, sizeof(path), "%s/store", t->dir);
	if (store_open(&t->st, path, &e) != MR_OK)
		die("store_open", e.msg);
	bench_token_store(t->st);
	printf("%u models x %u versions: loading ...\n", t->n_models,
	    t->n_versions);
	fflush(stdout);
	store_set_synced(t->st, false);
	t->load = load(t->st, t->n_models, t->n_versions, t->hist);
	store_set_synced(t->st, true);
	printf("  %llu versions, %llu calls in %.1f s: %.0f versions/s, "
	       "%.0f calls/s\n",
	    (unsigned long long)t->load.versions,
	    (unsigned long long)t->load.calls, t->load.seconds,
	    (double)t->load.versions / t->load.seconds,
	    (double)t->load.calls / t->load.seconds);
	fflush(stdout);
}

static void
serve_target(struct target *t, size_t iters)
{
	char url[64], first[NAME_LEN];
	const char *urls[1] = { url };
	svc_options so = { .urls = urls, .n_urls = 1 };
	mr_err e;

	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", bench_free_port());
	if (svc_server_start(&t->srv, t->st, &so, &e) != MR_OK)
		die("svc_server_start", e.msg);
	check(mr_client_open(&t->c, url, NULL), NULL, "connect");
	model_name(first, 0);
	t->events = count_history(t->c, first);
	/* The echo's samples: those of every query's turns. */
	samples_init(&t->s[Q_ECHO], iters * (Q_COUNT - 1));
	for (int q = Q_ECHO + 1; q < Q_COUNT; q++)
		samples_init(&t->s[q], iters);
}

static void
close_target(struct target *t)
{
	char cmd[PATH_MAX + 16];

	mr_client_close(t->c);
	svc_server_stop(t->srv);
	store_close(t->st);
	free(t->hist);
	for (int q = 0; q < Q_COUNT; q++)
		free(t->s[q].ns);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", t->dir);
	if (system(cmd) != 0)
		fprintf(stderr, BENCH ": could not remove %s\n", t->dir);
}

/* ---- the report ---------------------------------------------------------- */

static void
print_table(const struct target *tg, int n)
{
	printf("\none client over tcp loopback; p50/p99 in microseconds; "
	       "\"x echo\" = p50 / echo p50 of the same size's run\n");
	printf("%-32s", "");
	for (int k = 0; k < n; k++)
		printf(" | %6u models x %-3u           ", tg[k].n_models,
		    tg[k].n_versions);
	printf("\n%-32s", "query");
	for (int k = 0; k < n; k++)
		printf(" | %8s %8s %6s %5s", "p50", "p99", "x echo", "items");
	if (n > 1)
		printf(" | p50, p99 last/first");
	printf("\n");
	for (int q = 0; q < Q_COUNT; q++) {
		if (!g_run[q])
			continue;
		printf("%-32s", query_label[q]);
		for (int k = 0; k < n; k++) {
			const struct figure *f = &tg[k].fig[q];
			printf(" | %8.1f %8.1f %6.2f %5.0f", f->p50, f->p99,
			    f->p50 / tg[k].fig[Q_ECHO].p50, f->items);
		}
		if (n > 1)
			printf(" | %5.2f, %5.2f",
			    tg[n - 1].fig[q].p50 / tg[0].fig[q].p50,
			    tg[n - 1].fig[q].p99 / tg[0].fig[q].p99);
		printf("\n");
	}
	printf("%-32s", "load: versions/s (seconds)");
	for (int k = 0; k < n; k++)
		printf(" | %8.0f (%5.1f s) %12s",
		    (double)tg[k].load.versions / tg[k].load.seconds,
		    tg[k].load.seconds, "");
	printf("\n%-32s", "history events of model-00000");
	for (int k = 0; k < n; k++)
		printf(" | %8d %21s", tg[k].events, "");
	printf("\n%-32s", "machine busy, this process");
	for (int k = 0; k < n; k++)
		printf(" | %7.0f%% %7.0f%% %13s", tg[k].busy_pct,
		    tg[k].own_pct, "");
	printf("\n");
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: " BENCH " [--models 1000,10000] [--versions 20] "
	    "[--iterations N] [--warmup N] [--dir DIR] [--only Q,...]\n"
	    "queries: get get-at search-name search-tag list-versions "
	    "list-models\n");
}

/* "get,search-tag": runs only those (e.g. under a profiler). */
static int
parse_only(const char *text)
{
	char *list = strdup(text), *tok, *save;
	int rv = 0;

	if (list == NULL)
		return -1;
	memset(g_run, 0, sizeof(g_run));
	g_run[Q_ECHO] = true;
	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		int q;
		for (q = Q_ECHO + 1; q < Q_COUNT; q++)
			if (strcmp(tok, query_name[q]) == 0)
				break;
		if (q == Q_COUNT)
			rv = -1;
		else
			g_run[q] = true;
	}
	free(list);
	return rv;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "models", required_argument, NULL, 'm' },
		{ "versions", required_argument, NULL, 'v' },
		{ "iterations", required_argument, NULL, 'n' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "dir", required_argument, NULL, 'd' },
		{ "only", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 },
	};
	const char *models = "1000,10000", *base = getenv("TMPDIR");
	static struct target tg[SIZES_MAX];
	size_t iters = 2000, warmup = 200;
	uint32_t n_versions = 20;
	int n = 0, ch, bad = 0;
	struct echo_client ec;
	struct figure echo;
	uint64_t wrong = 0;
	char *list, *tok, *save, echo_url[64];
	bench_echo *es;
	double waited;
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);

	/*
	 * One malloc arena per thread. Every call here allocates and frees
	 * hundreds of small blocks on both sides (protobuf records), and by
	 * default glibc lets 8 threads per CPU share arenas: the client
	 * thread, the server's workers and the loader's leftovers contend
	 * for arena locks, which separate client and server processes never
	 * do. Measured: with the default, a 1,000-model registry answered
	 * searches ~20-30% slower when a 10,000-model one had been loaded in
	 * the same process.
	 */
	mallopt(M_ARENA_MAX, 1024);
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			models = optarg;
			break;
		case 'v':
			n_versions = (uint32_t)atol(optarg);
			break;
		case 'n':
			iters = (size_t)atol(optarg);
			break;
		case 'w':
			warmup = (size_t)atol(optarg);
			break;
		case 'd':
			base = optarg;
			break;
		case 'o':
			if (parse_only(optarg) != 0) {
				usage();
				return 2;
			}
			break;
		default:
			usage();
			return 2;
		}
	}
	/* Version 4 is the first in production, 5.. match the search. */
	if (n_versions < 6 || n_versions > VERSIONS_MAX || iters == 0) {
		usage();
		return 2;
	}
	if ((list = strdup(models)) == NULL)
		return 1;
	for (tok = strtok_r(list, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		long m = atol(tok);
		/* Whole teams of ten, and a full page of models after any
		 * token. */
		if (n == SIZES_MAX || m < 200 || m > MODELS_MAX || m % 10 != 0)
			bad = 1;
		else
			tg[n++].n_models = (uint32_t)m;
	}
	free(list);
	if (bad || n == 0) {
		fprintf(stderr, BENCH ": --models takes up to %d sizes, each "
				"a multiple of 10 from 200 to %d\n",
		    SIZES_MAX, MODELS_MAX);
		return 2;
	}
	printf(BENCH ": %zu calls per figure after %zu warm-up calls, one "
	       "client, fixed seed\n",
	    iters, warmup);
	snprintf(echo_url, sizeof(echo_url), "tcp://127.0.0.1:%d",
	    bench_free_port());
	if ((es = bench_echo_start(echo_url, ECHO_SIZE)) == NULL)
		die("echo", "cannot listen");
	if (bench_req_dial(&ec.sock, echo_url) != 0)
		die("echo", "cannot dial");
	tu_fill_random(ec.req, sizeof(ec.req), 7);
	samples_init(&ec.s, iters);

	/* One registry at a time: a server holds one registry, and a
	 * second one in the process would take its share of the caches. */
	for (int k = 0; k < n; k++) {
		struct target *t = &tg[k];
		double busy0, own0, wall;
		uint64_t t0;

		t->n_versions = n_versions;
		printf("\n");
		load_target(t, base != NULL ? base : "/tmp");
		/* Before the server starts: its idle workers poll (see
		 * RESULTS.md), which would read as background work. */
		waited = settle();
		if (waited >= 0)
			printf("  background work (flushes, compactions) "
			       "settled in %.1f s\n",
			    waited);
		else
			printf("  background work did not settle within a "
			       "minute\n");
		serve_target(t, iters);
		busy0 = machine_busy_seconds();
		own0 = cpu_seconds();
		t0 = mr_mono_ns();
		for (int q = Q_ECHO + 1; q < Q_COUNT; q++) {
			if (!g_run[q])
				continue;
			ec.s.n = 0;
			ec.s.items = 0;
			measure(t, &ec, (enum query)q, warmup, iters);
			t->fig[q] = summarize(&t->s[q]);
			/* The echo taking turns with this query. */
			echo = summarize(&ec.s);
			printf("  %-30s p50 %7.1f p99 %7.1f  (echo p50 %5.1f "
			       "p99 %6.1f)\n",
			    query_label[q], t->fig[q].p50, t->fig[q].p99,
			    echo.p50, echo.p99);
			fflush(stdout);
			/* The baseline of the size: every echo of its run. */
			memcpy(t->s[Q_ECHO].ns + t->s[Q_ECHO].n, ec.s.ns,
			    ec.s.n * sizeof(*ec.s.ns));
			t->s[Q_ECHO].n += ec.s.n;
			t->s[Q_ECHO].items += ec.s.items;
		}
		t->fig[Q_ECHO] = summarize(&t->s[Q_ECHO]);
		wall = (double)(mr_mono_ns() - t0) / 1e9;
		t->busy_pct = busy0 >= 0 && ncpu > 0
		    ? 100 * (machine_busy_seconds() - busy0) /
			(wall * (double)ncpu)
		    : -1;
		t->own_pct = ncpu > 0
		    ? 100 * (cpu_seconds() - own0) / (wall * (double)ncpu)
		    : -1;
		for (int q = Q_ECHO + 1; q < Q_COUNT; q++) {
			if (t->fig[q].wrong == 0)
				continue;
			fprintf(stderr,
			    "%u models: %s: %llu unexpected answers\n",
			    t->n_models, query_label[q],
			    (unsigned long long)t->fig[q].wrong);
			wrong += t->fig[q].wrong;
		}
		close_target(t);
	}
	nng_close(ec.sock);
	bench_echo_stop(es);
	free(ec.s.ns);

	print_table(tg, n);
	if (wrong == 0)
		printf("every answer was the expected one\n");
	return wrong == 0 ? 0 : 1;
}
