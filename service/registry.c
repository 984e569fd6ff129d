/*
 * registry.c - the Registry service: versions, stages, rollback, events.
 *
 * Handlers validate everything they are given before they read the store,
 * so bad input never costs a lock. Mutations run inside the transaction
 * the dispatcher opened: what they read there cannot change before their
 * writes commit, which makes every "read stage, check, write stage" a
 * check-and-set, and all their writes (version, model, stage index,
 * events) land in one atomic batch.
 *
 * Stage rules: dev -> staging -> production, and any stage -> archived.
 * A model has at most one production version: promoting another archives
 * it and remembers it on the new one (displaced_version), which is where a
 * rollback from the new one goes. Rolling back from X to Y archives X and
 * returns Y to production; the model's next rollback target is then the
 * version Y had displaced, so repeated rollbacks walk back in time.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.pb-c.h"
#include "registry.pb-c.h"
#include "reg.h"

const char *
reg_stage_name(int stage)
{
	const char *s = mr_stage_name((mr_stage)stage);

	return s[0] != '\0' ? s : "no stage";
}

bool
reg_stage_valid(int stage)
{
	return stage >= MR_STAGE_DEV && stage <= MR_STAGE_ARCHIVED;
}

mr_status
reg_parse_version(svc_call *c, const char *text, mr_semver *v)
{
	return mr_semver_parse(text, v, &c->err);
}

/* qsort, which must not be given NULL even for zero items. */
void
reg_sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

int
reg_cmp_kv(const void *a, const void *b)
{
	const kv_entry *x = *(kv_entry *const *)a, *y = *(kv_entry *const *)b;

	return strcmp(x->key, y->key);
}

/* Sorts tag entries by key and checks them. */
mr_status
reg_check_tags(svc_call *c, const char *what, kv_entry **tags, size_t n)
{
	mr_status rv;

	if (n > MR_TAGS_MAX)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "%s: %zu tags; the limit is %d", what, n, MR_TAGS_MAX);
	reg_sort(tags, n, sizeof(*tags), reg_cmp_kv);
	for (size_t i = 0; i < n; i++) {
		if ((rv = mr_check_tag_key(tags[i]->key, &c->err)) != MR_OK ||
		    (rv = mr_check_text("tag value", tags[i]->value,
			 MR_TAG_VALUE_MAX, false, &c->err)) != MR_OK)
			return rv;
		if (i > 0 && strcmp(tags[i - 1]->key, tags[i]->key) == 0)
			return mr_fail(&c->err, MR_INVALID_ARGUMENT,
			    "%s: tag \"%s\" is given twice", what,
			    tags[i]->key);
	}
	return MR_OK;
}

/* Copies tag entries into entries of another map type (same layout). */
kv_entry **
reg_copy_tags(svc_call *c, const ProtobufCMessageDescriptor *d,
    kv_entry *const *src, size_t n)
{
	kv_entry **out = svc_alloc(c, n, sizeof(*out));
	kv_entry *entries = svc_alloc(c, n, sizeof(*entries));

	if (out == NULL || entries == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		d->message_init(&entries[i].base);
		entries[i].key = src[i]->key;
		entries[i].value = src[i]->value;
		out[i] = &entries[i];
	}
	return out;
}

mr_status
reg_check_string(svc_call *c, const char *what, const char *s)
{
	return mr_check_text(what, s, MR_STRING_MAX, false, &c->err);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static mr_status
check_metadata(svc_call *c, Modelreg__V1__Metadata *md)
{
	mr_status rv;
	char **sorted;

	if (md == NULL)
		return MR_OK;
	if (md->n_metrics > MR_METRICS_MAX)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "%zu metrics; the limit is %d", md->n_metrics,
		    MR_METRICS_MAX);
	if (md->n_hyperparameters > MR_PARAMS_MAX)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "%zu hyperparameters; the limit is %d",
		    md->n_hyperparameters, MR_PARAMS_MAX);
	if (md->n_features > MR_FEATURES_MAX)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "%zu features; the limit is %d", md->n_features,
		    MR_FEATURES_MAX);
	/* Sorted maps make stored records, and so exports, deterministic. */
	reg_sort(md->metrics, md->n_metrics, sizeof(*md->metrics), reg_cmp_kv);
	for (size_t i = 0; i < md->n_metrics; i++) {
		if ((rv = reg_check_string(c, "metric name", md->metrics[i]->key)) !=
		    MR_OK)
			return rv;
		if (md->metrics[i]->key[0] == '\0')
			return mr_fail(&c->err, MR_INVALID_ARGUMENT,
			    "a metric has an empty name");
		if (!isfinite(md->metrics[i]->value))
			return mr_fail(&c->err, MR_INVALID_ARGUMENT,
			    "metric \"%s\" is not a finite number",
			    md->metrics[i]->key);
		if (i > 0 &&
		    strcmp(md->metrics[i - 1]->key, md->metrics[i]->key) == 0)
			return mr_fail(&c->err, MR_INVALID_ARGUMENT,
			    "metric \"%s\" is given twice",
			    md->metrics[i]->key);
	}
	reg_sort(md->hyperparameters, md->n_hyperparameters,
	    sizeof(*md->hyperparameters), reg_cmp_kv);
	for (size_t i = 0; i < md->n_hyperparameters; i++) {
		kv_entry *h = (kv_entry *)md->hyperparameters[i];
		if ((rv = reg_check_string(c, "hyperparameter name", h->key)) !=
			MR_OK ||
		    (rv = reg_check_string(c, "hyperparameter value", h->value)) !=
			MR_OK)
			return rv;
		if (h->key[0] == '\0' ||
		    (i > 0 &&
			strcmp(((kv_entry *)md->hyperparameters[i - 1])->key,
			    h->key) == 0))
			return mr_fail(&c->err, MR_INVALID_ARGUMENT,
			    "hyperparameter \"%s\" is empty or given twice",
			    h->key);
	}
	if ((rv = reg_check_string(c, "framework", md->framework)) != MR_OK ||
	    (rv = reg_check_string(c, "framework version",
		 md->framework_version)) != MR_OK ||
	    (rv = reg_check_string(c, "python version", md->python_version)) !=
		MR_OK ||
	    (rv = reg_check_string(c, "training data version",
		 md->training_data_version)) != MR_OK ||
	    (rv = reg_check_string(c, "feature set version",
		 md->feature_set_version)) != MR_OK ||
	    (rv = reg_check_string(c, "experiment", md->experiment)) != MR_OK ||
	    (rv = reg_check_string(c, "increment", md->increment)) != MR_OK ||
	    (rv = reg_check_string(c, "parent model", md->parent_model)) != MR_OK)
		return rv;
	/* Features keep their order (it is the model's input order); find
	 * duplicates on a sorted copy. */
	if ((sorted = svc_alloc(c, md->n_features, sizeof(*sorted))) == NULL)
		return c->err.code;
	for (size_t i = 0; i < md->n_features; i++) {
		if ((rv = reg_check_string(c, "feature name", md->features[i])) !=
		    MR_OK)
			return rv;
		if (md->features[i][0] == '\0')
			return mr_fail(&c->err, MR_INVALID_ARGUMENT,
			    "feature %zu has an empty name", i);
		sorted[i] = md->features[i];
	}
	reg_sort(sorted, md->n_features, sizeof(*sorted), cmp_str);
	for (size_t i = 1; i < md->n_features; i++)
		if (strcmp(sorted[i - 1], sorted[i]) == 0)
			return mr_fail(&c->err, MR_INVALID_ARGUMENT,
			    "feature \"%s\" is listed twice", sorted[i]);
	return MR_OK;
}

static mr_status
check_fields(svc_call *c, const char *what, Modelreg__V1__Field **f, size_t n)
{
	mr_status rv;

	for (size_t i = 0; i < n; i++) {
		if ((rv = reg_check_string(c, "signature field name", f[i]->name)) !=
			MR_OK ||
		    (rv = reg_check_string(c, "signature field type",
			 f[i]->type)) != MR_OK)
			return rv;
		if (f[i]->name[0] == '\0')
			return mr_fail(&c->err, MR_INVALID_ARGUMENT,
			    "signature %s %zu has no name", what, i);
		for (size_t k = 0; k < i; k++)
			if (strcmp(f[k]->name, f[i]->name) == 0)
				return mr_fail(&c->err, MR_INVALID_ARGUMENT,
				    "signature %s \"%s\" is given twice", what,
				    f[i]->name);
	}
	return MR_OK;
}

mr_status
reg_check_signature(svc_call *c, const Modelreg__V1__Signature *sig)
{
	mr_status rv;

	if (sig == NULL)
		return MR_OK;
	if (sig->n_inputs + sig->n_outputs > MR_FIELDS_MAX)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "the signature has %zu fields; the limit is %d",
		    sig->n_inputs + sig->n_outputs, MR_FIELDS_MAX);
	if ((rv = check_fields(c, "input", sig->inputs, sig->n_inputs)) !=
	    MR_OK)
		return rv;
	return check_fields(c, "output", sig->outputs, sig->n_outputs);
}

static int
cmp_path(const void *key, const void *elem)
{
	return strcmp(key, (*(Modelreg__V1__FileEntry *const *)elem)->path);
}

/*
 * Checks a manifest completely: paths, sizes, chunk coverage, limits, and
 * the artifact digest, which the server recomputes rather than trusts.
 */
static mr_status
check_manifest(svc_call *c, const mr_pb_manifest *man)
{
	uint64_t total = 0, chunks = 0;
	uint8_t digest[MR_DIGEST_LEN];
	mr_codec *codec = c->w->codec;
	mr_status rv;

	if (man == NULL)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "the version has no artifact manifest");
	if (man->format != 1)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "manifest format %u is not supported (1 is)", man->format);
	if (man->n_files == 0)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "the artifact has no files");
	if (man->n_files > MR_FILES_MAX)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "the artifact has %zu files; the limit is %d",
		    man->n_files, MR_FILES_MAX);
	if (!man->directory && man->n_files != 1)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "a one-file artifact lists %zu files", man->n_files);

	mr_sha256_begin(codec);
	for (size_t i = 0; i < man->n_files; i++) {
		const Modelreg__V1__FileEntry *f = man->files[i];
		uint64_t off = 0;
		uint8_t be[8];

		if ((rv = mr_check_path(f->path, &c->err)) != MR_OK)
			return rv;
		if (!man->directory && strchr(f->path, '/') != NULL)
			return mr_fail(&c->err, MR_INVALID_ARGUMENT,
			    "a one-file artifact's path \"%s\" has a '/'",
			    f->path);
		if (i > 0 && strcmp(man->files[i - 1]->path, f->path) >= 0)
			return mr_fail(&c->err, MR_INVALID_ARGUMENT,
			    "manifest files are not sorted by path, or repeat "
			    "\"%s\"",
			    f->path);
		/* "a" and "a/b" cannot both be files. */
		for (const char *p = strchr(f->path, '/'); p != NULL;
		    p = strchr(p + 1, '/')) {
			char dir[MR_PATH_MAX + 1];
			memcpy(dir, f->path, (size_t)(p - f->path));
			dir[p - f->path] = '\0';
			if (bsearch(dir, man->files, man->n_files,
				sizeof(*man->files), cmp_path) != NULL)
				return mr_fail(&c->err, MR_INVALID_ARGUMENT,
				    "\"%s\" is both a file and a directory",
				    dir);
		}
		if (f->digest.len != MR_DIGEST_LEN)
			return mr_fail(&c->err, MR_INVALID_ARGUMENT,
			    "file \"%s\" has a %zu-byte digest, not 32",
			    f->path, f->digest.len);
		if (f->mode & ~0777u)
			return mr_fail(&c->err, MR_INVALID_ARGUMENT,
			    "file \"%s\" has mode %o; only permission bits "
			    "(0777) are kept",
			    f->path, f->mode);
		for (size_t k = 0; k < f->n_chunks; k++) {
			const Modelreg__V1__ChunkRef *ch = f->chunks[k];
			if (ch->offset != off || ch->length == 0 ||
			    ch->length > MR_CHUNK_MAX)
				return mr_fail(&c->err, MR_INVALID_ARGUMENT,
				    "file \"%s\": chunk %zu covers [%llu, +%u); "
				    "chunks must cover the file in order, "
				    "1..%u bytes each",
				    f->path, k, (unsigned long long)ch->offset,
				    ch->length, MR_CHUNK_MAX);
			if (ch->digest.len != MR_DIGEST_LEN)
				return mr_fail(&c->err, MR_INVALID_ARGUMENT,
				    "file \"%s\": chunk %zu has a %zu-byte "
				    "digest",
				    f->path, k, ch->digest.len);
			off += ch->length;
		}
		if (off != f->size)
			return mr_fail(&c->err, MR_INVALID_ARGUMENT,
			    "file \"%s\" is %llu bytes but its chunks cover "
			    "%llu",
			    f->path, (unsigned long long)f->size,
			    (unsigned long long)off);
		total += f->size;
		chunks += f->n_chunks;
		if (chunks > MR_CHUNKS_MAX)
			return mr_fail(&c->err, MR_INVALID_ARGUMENT,
			    "the artifact has more than %d chunks",
			    MR_CHUNKS_MAX);
		mr_sha256_update(codec, f->path, strlen(f->path) + 1);
		be[0] = (uint8_t)(f->size >> 56);
		for (int b = 1; b < 8; b++)
			be[b] = (uint8_t)(f->size >> (56 - 8 * b));
		mr_sha256_update(codec, be, sizeof(be));
		mr_sha256_update(codec, f->digest.data, MR_DIGEST_LEN);
	}
	mr_sha256_end(codec, digest);
	if (man->total_size != total || man->chunk_count != chunks)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "manifest totals (%llu bytes, %u chunks) do not match its "
		    "files (%llu bytes, %llu chunks)",
		    (unsigned long long)man->total_size, man->chunk_count,
		    (unsigned long long)total, (unsigned long long)chunks);
	if (man->digest.len != MR_DIGEST_LEN ||
	    memcmp(man->digest.data, digest, MR_DIGEST_LEN) != 0) {
		char hex[65];
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "the artifact digest does not match its files (expected "
		    "%s)",
		    mr_digest_hex(digest, hex));
	}
	return MR_OK;
}

/* Under the writer lock: every chunk the manifest names must be stored. */
static mr_status
check_chunks_stored(svc_call *c, const mr_pb_manifest *man)
{
	const uint8_t **digests;
	bool *exists;
	size_t n = 0, missing = 0, first = 0;
	mr_status rv;
	char hex[65];

	digests = svc_alloc(c, man->chunk_count, sizeof(*digests));
	exists = svc_alloc(c, man->chunk_count, sizeof(*exists));
	if (digests == NULL || exists == NULL)
		return c->err.code;
	for (size_t i = 0; i < man->n_files; i++)
		for (size_t k = 0; k < man->files[i]->n_chunks; k++)
			digests[n++] = man->files[i]->chunks[k]->digest.data;
	if ((rv = store_chunks_exist(c->st, digests, n, exists, &c->err)) !=
	    MR_OK)
		return rv;
	for (size_t i = 0; i < n; i++) {
		if (!exists[i] && missing++ == 0)
			first = i;
	}
	if (missing > 0)
		return mr_fail(&c->err, MR_FAILED_PRECONDITION,
		    "%zu of the artifact's %zu chunks are not stored (first: "
		    "%s); upload them with PutChunk before committing",
		    missing, n, mr_digest_hex(digests[first], hex));
	return MR_OK;
}

/* The version as the client should see it: files without chunk lists. */
mr_status
reg_strip_chunks(svc_call *c, mr_pb_version *v)
{
	mr_pb_manifest *man;
	Modelreg__V1__FileEntry *files, **ptrs;
	size_t n;

	if (v->manifest == NULL)
		return MR_OK;
	n = v->manifest->n_files;
	man = svc_alloc(c, 1, sizeof(*man));
	files = svc_alloc(c, n, sizeof(*files));
	ptrs = svc_alloc(c, n, sizeof(*ptrs));
	if (man == NULL || files == NULL || ptrs == NULL)
		return c->err.code;
	store_manifest_files_only(v->manifest, man, files, ptrs);
	v->manifest = man;
	return MR_OK;
}

mr_status
reg_append_event(svc_call *c, Modelreg__V1__EventKind kind, const char *model,
    const char *version, int from, int to, const char *reason)
{
	mr_pb_event ev = MODELREG__V1__EVENT__INIT;

	ev.time_ms = c->now_ms;
	ev.kind = kind;
	ev.model = (char *)model;
	ev.version = (char *)version;
	ev.from_stage = (Modelreg__V1__Stage)from;
	ev.to_stage = (Modelreg__V1__Stage)to;
	ev.actor = (char *)c->user;
	ev.reason = (char *)reason;
	if (store_txn_append_event(c->txn, &ev, &c->err) == 0)
		return c->err.code;
	return MR_OK;
}

/* Records the handlers may edit: see svc_editable. */
mr_status
reg_get_model(svc_call *c, const char *name, mr_pb_model **out)
{
	mr_pb_model *m;
	mr_status rv = store_get_model(c->st, name, &m, &c->err);

	if (rv != MR_OK)
		return rv;
	if ((*out = svc_editable(c, &m->base)) == NULL)
		return c->err.code;
	return MR_OK;
}

bool
reg_deleted_note(svc_call *c, const char *name, const mr_semver *v,
    mr_status code, const char *then)
{
	static const Modelreg__V1__Deletion unknown =
	    MODELREG__V1__DELETION__INIT;
	const Modelreg__V1__Deletion *d;
	mr_pb_version *t;
	mr_err saved = c->err;
	char when[32];

	if (store_get_deleted(c->st, name, v, &t, &c->err) != MR_OK) {
		c->err = saved;
		return false;
	}
	d = t->deletion != NULL ? t->deletion : &unknown;
	mr_fail(&c->err, code,
	    "version %s of model \"%s\" was deleted at %s by %s (%s)%s",
	    t->version, name, mr_format_time(d->at_ms, when), d->by,
	    d->reason, then);
	protobuf_c_message_free_unpacked(&t->base, NULL);
	return true;
}

mr_status
reg_get_version(svc_call *c, const char *name, const mr_semver *v,
    mr_pb_version **out)
{
	mr_pb_version *r;
	mr_status rv = store_get_version(c->st, name, v, &r, &c->err);

	if (rv == MR_NOT_FOUND)
		reg_deleted_note(c, name, v, MR_NOT_FOUND, "");
	if (rv != MR_OK)
		return rv;
	if ((*out = svc_editable(c, &r->base)) == NULL)
		return c->err.code;
	return MR_OK;
}

/* ---- RegisterVersion ------------------------------------------------------ */

/* Applies the request's model_* fields to a new or existing model. */
static mr_status
update_model(svc_call *c, mr_pb_model *m,
    const Modelreg__V1__RegisterVersionRequest *rq)
{
	size_t n = m->n_tags;
	kv_entry **merged, **add;

	if (rq->model_description[0] != '\0')
		m->description = rq->model_description;
	if (rq->model_owner[0] != '\0')
		m->owner = rq->model_owner;
	if (rq->n_model_tags == 0)
		return MR_OK;
	merged = svc_alloc(c, m->n_tags + rq->n_model_tags, sizeof(*merged));
	if (merged == NULL)
		return c->err.code;
	for (size_t i = 0; i < m->n_tags; i++)
		merged[i] = (kv_entry *)m->tags[i];
	add = reg_copy_tags(c, &modelreg__v1__model__tags_entry__descriptor,
	    (kv_entry *const *)rq->model_tags, rq->n_model_tags);
	if (add == NULL)
		return c->err.code;
	for (size_t i = 0; i < rq->n_model_tags; i++) {
		size_t k;
		for (k = 0; k < m->n_tags; k++)
			if (strcmp(merged[k]->key, add[i]->key) == 0)
				break;
		if (k < m->n_tags)
			merged[k] = add[i];
		else
			merged[n++] = add[i];
	}
	if (n > MR_TAGS_MAX)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "model \"%s\" would have %zu tags; the limit is %d",
		    m->name, n, MR_TAGS_MAX);
	reg_sort(merged, n, sizeof(*merged), reg_cmp_kv);
	m->tags = (Modelreg__V1__Model__TagsEntry **)merged;
	m->n_tags = n;
	return MR_OK;
}

static mr_status
register_version(svc_call *c, const ProtobufCMessage *reqm,
    ProtobufCMessage *respm)
{
	Modelreg__V1__RegisterVersionRequest *rq = (void *)reqm;
	Modelreg__V1__RegisterVersionResponse *resp = (void *)respm;
	mr_pb_version *v, *existing;
	mr_pb_model *m, fresh = MODELREG__V1__MODEL__INIT;
	char *text, *rule = "explicit";
	int stage = rq->stage ? (int)rq->stage : MR_STAGE_DEV;
	mr_semver sv;
	mr_status rv;

	if ((rv = mr_check_name(rq->name, &c->err)) != MR_OK ||
	    (rv = mr_check_text("reason", rq->reason, MR_REASON_MAX, true,
		 &c->err)) != MR_OK)
		return rv;
	/* The response outlives this function: no stack memory in it. */
	if ((text = svc_alloc(c, MR_VERSION_MAX + 1, 1)) == NULL)
		return c->err.code;
	if (rq->bump == MODELREG__V1__BUMP__BUMP_NONE) {
		if ((rv = reg_parse_version(c, rq->version, &sv)) != MR_OK)
			return rv;
		mr_semver_format(&sv, text);
	} else if ((rv = reg_choose_version(c, rq, text, &rule)) != MR_OK ||
	    (rv = reg_parse_version(c, text, &sv)) != MR_OK) {
		return rv;
	}
	if (stage != MR_STAGE_DEV && stage != MR_STAGE_STAGING)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "a new version starts in dev or staging, not %s; promote "
		    "it from there",
		    reg_stage_valid(stage) ? reg_stage_name(stage) : "an unknown stage");
	if ((rv = mr_check_text("description", rq->description, MR_TEXT_MAX,
		 true, &c->err)) != MR_OK ||
	    (rv = mr_check_text("model description", rq->model_description,
		 MR_TEXT_MAX, true, &c->err)) != MR_OK ||
	    (rv = reg_check_string(c, "model owner", rq->model_owner)) != MR_OK ||
	    (rv = reg_check_tags(c, "version", (kv_entry **)rq->tags,
		 rq->n_tags)) != MR_OK ||
	    (rv = reg_check_tags(c, "model", (kv_entry **)rq->model_tags,
		 rq->n_model_tags)) != MR_OK ||
	    (rv = check_metadata(c, rq->metadata)) != MR_OK ||
	    (rv = reg_check_signature(c, rq->signature)) != MR_OK ||
	    (rv = check_manifest(c, rq->manifest)) != MR_OK)
		return rv;

	rv = store_get_version(c->st, rq->name, &sv, &existing, &c->err);
	if (rv == MR_OK) {
		char when[32];
		mr_fail(&c->err, MR_ALREADY_EXISTS,
		    "version %s of model \"%s\" already exists (registered by "
		    "%s at %s); versions are immutable, register a new one",
		    text, rq->name, existing->created_by,
		    mr_format_time(existing->created_at_ms, when));
		protobuf_c_message_free_unpacked(&existing->base, NULL);
		return MR_ALREADY_EXISTS;
	}
	if (rv != MR_NOT_FOUND)
		return rv;
	/* A deleted number is never reused: whoever pinned name@version
	 * must never get other bytes under it. */
	if (reg_deleted_note(c, rq->name, &sv, MR_ALREADY_EXISTS,
		"; deleted version numbers are never registered again, "
		"register a new one"))
		return MR_ALREADY_EXISTS;
	if ((rv = check_chunks_stored(c, rq->manifest)) != MR_OK)
		return rv;

	rv = reg_get_model(c, rq->name, &m);
	if (rv == MR_OK && stage != MR_STAGE_DEV && reg_stage_gated(m, stage))
		return mr_fail(&c->err, MR_FAILED_PRECONDITION,
		    "model \"%s\" requires approvals for %s: register the "
		    "version in dev and promote it once reviewed",
		    rq->name, reg_stage_name(stage));
	if (rv == MR_OK &&
	    (rv = reg_check_breaking(c, m, &sv, rq->signature)) != MR_OK)
		return rv;
	if (rv == MR_NOT_FOUND) {
		m = &fresh;
		m->name = rq->name;
		m->created_at_ms = c->now_ms;
		if ((rv = reg_append_event(c, MODELREG__V1__EVENT_KIND__EVENT_MODEL_CREATED,
			 rq->name, "", 0, 0, "")) != MR_OK)
			return rv;
	} else if (rv != MR_OK) {
		return rv;
	}
	if ((rv = update_model(c, m, rq)) != MR_OK)
		return rv;

	if ((v = svc_alloc(c, 1, sizeof(*v))) == NULL)
		return c->err.code;
	modelreg__v1__model_version__init(v);
	v->name = rq->name;
	v->version = text;
	v->stage = (Modelreg__V1__Stage)stage;
	v->description = rq->description;
	v->metadata = rq->metadata;
	v->signature = rq->signature;
	v->manifest = rq->manifest;
	v->created_by = (char *)c->user;
	v->created_at_ms = c->now_ms;
	v->stage_changed_at_ms = c->now_ms;
	v->version_rule = rule;
	v->n_tags = rq->n_tags;
	v->tags = (Modelreg__V1__ModelVersion__TagsEntry **)reg_copy_tags(c,
	    &modelreg__v1__model_version__tags_entry__descriptor,
	    (kv_entry *const *)rq->tags, rq->n_tags);
	if (v->tags == NULL)
		return c->err.code;
	if ((rv = reg_append_event(c,
		 MODELREG__V1__EVENT_KIND__EVENT_VERSION_REGISTERED, rq->name,
		 text, 0, stage, "")) != MR_OK)
		return rv;
	v->created_revision = store_txn_revision(c->txn);
	if ((rv = svc_lineage_register(c, v, &resp->dangling,
		 &resp->n_dangling)) != MR_OK ||
	    (rv = svc_lineage_stage(c, v, 0, stage)) != MR_OK)
		return rv;

	m->version_count++;
	if (m->latest_version[0] == '\0') {
		m->latest_version = v->version;
	} else {
		mr_semver latest;
		if (mr_semver_parse(m->latest_version, &latest, NULL) != MR_OK ||
		    mr_semver_cmp(&sv, &latest) > 0)
			m->latest_version = v->version;
	}
	m->updated_at_ms = c->now_ms;
	m->revision = store_txn_revision(c->txn);

	if ((rv = store_txn_put_version(c->txn, v, NULL, &c->err)) != MR_OK ||
	    (rv = store_txn_put_manifest(c->txn, rq->name, &sv, rq->manifest,
		 &c->err)) != MR_OK ||
	    (rv = store_txn_put_model(c->txn, m, &c->err)) != MR_OK)
		return rv;
	if ((rv = reg_strip_chunks(c, v)) != MR_OK ||
	    (rv = svc_audit_after(c, &v->base)) != MR_OK ||
	    (rv = svc_audit_target(c, v->name, v->version)) != MR_OK)
		return rv;
	resp->version = v;
	return MR_OK;
}

/* ---- reads ---------------------------------------------------------------- */

static mr_status
get_model_h(svc_call *c, const ProtobufCMessage *reqm, ProtobufCMessage *respm)
{
	const Modelreg__V1__GetModelRequest *rq = (const void *)reqm;
	Modelreg__V1__GetModelResponse *resp = (void *)respm;
	mr_status rv;

	if ((rv = mr_check_name(rq->name, &c->err)) != MR_OK)
		return rv;
	return reg_get_model(c, rq->name, &resp->model);
}

static mr_status
get_version_h(svc_call *c, const ProtobufCMessage *reqm,
    ProtobufCMessage *respm)
{
	const Modelreg__V1__GetVersionRequest *rq = (const void *)reqm;
	Modelreg__V1__GetVersionResponse *resp = (void *)respm;
	mr_pb_version *v;
	mr_semver sv;
	mr_status rv;

	if ((rv = mr_check_name(rq->name, &c->err)) != MR_OK)
		return rv;
	if (rq->stage != 0 && !reg_stage_valid(rq->stage))
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "unknown stage %d", rq->stage);
	if (rq->at_ms != 0) {
		if (rq->stage == 0 || rq->version[0] != '\0' || rq->at_ms < 0)
			return mr_fail(&c->err, MR_INVALID_ARGUMENT,
			    "a point-in-time get names a stage and a time "
			    "after the epoch, and no version");
		if ((rv = reg_version_at(c, rq->name, (int)rq->stage,
			 rq->at_ms, &v)) != MR_OK)
			return rv;
	} else if (rq->version[0] != '\0') {
		if ((rv = reg_resolve(c, rq->name, rq->version, NULL, &v)) !=
		    MR_OK)
			return rv;
	} else {
		rv = store_latest_version(c->st, rq->name, (int)rq->stage, &v,
		    &c->err);
		if (rv == MR_NOT_FOUND) {
			/* Say whether the model itself is missing. */
			mr_pb_model *m;
			mr_err saved = c->err;
			if (reg_get_model(c, rq->name, &m) == MR_OK)
				c->err = saved;
			return MR_NOT_FOUND;
		}
		if (rv != MR_OK)
			return rv;
		if ((v = svc_editable(c, &v->base)) == NULL)
			return c->err.code;
	}
	if (rq->with_chunks) {
		if ((rv = reg_parse_version(c, v->version, &sv)) != MR_OK)
			return rv;
		mr_pb_manifest *man;
		rv = store_get_manifest(c->st, rq->name, &sv, &man, &c->err);
		if (rv == MR_NOT_FOUND)
			return mr_fail(&c->err, MR_DATA_LOSS,
			    "the manifest of %s %s is missing", rq->name,
			    v->version);
		if (rv != MR_OK || (rv = svc_defer_msg(c, man)) != MR_OK)
			return rv;
		v->manifest = man;
	}
	resp->version = v;
	return MR_OK;
}

/* A tag filter "key" or "key=value" against a sorted tag list. */
bool
reg_tags_match(const char *filter, kv_entry *const *tags, size_t n)
{
	const char *eq = strchr(filter, '=');
	size_t klen = eq != NULL ? (size_t)(eq - filter) : strlen(filter);

	for (size_t i = 0; i < n; i++)
		if (strlen(tags[i]->key) == klen &&
		    memcmp(tags[i]->key, filter, klen) == 0)
			return eq == NULL || strcmp(tags[i]->value, eq + 1) == 0;
	return false;
}

static mr_status
check_tag_filter(svc_call *c, const char *filter)
{
	char key[MR_TAG_KEY_MAX + 1];
	const char *eq = strchr(filter, '=');
	size_t klen = eq != NULL ? (size_t)(eq - filter) : strlen(filter);

	if (klen > MR_TAG_KEY_MAX)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "tag filter key is longer than %d bytes", MR_TAG_KEY_MAX);
	memcpy(key, filter, klen);
	key[klen] = '\0';
	return mr_check_tag_key(key, &c->err);
}

/* A page of a list, with the request's filters. */
struct page {
	svc_page pg;
	int stage;       /* 0: any */
	const char *tag; /* NULL: any */
};

static mr_status
page_init(struct page *p, svc_call *c, uint32_t asked, int stage,
    const char *tag)
{
	mr_status rv;

	p->stage = stage;
	p->tag = tag[0] != '\0' ? tag : NULL;
	if (stage != 0 && !reg_stage_valid(stage))
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "unknown stage %d", stage);
	if (p->tag != NULL && (rv = check_tag_filter(c, p->tag)) != MR_OK)
		return rv;
	return svc_page_init(&p->pg, c, asked);
}

/* Whether model `m` has a version in `stage`; sets p->pg.rv on failure. */
static bool
model_in_stage(struct page *p, const mr_pb_model *m)
{
	mr_pb_version *v;
	mr_status rv;

	if (p->stage == MR_STAGE_PRODUCTION)
		return m->production_version[0] != '\0';
	rv = store_latest_version(p->pg.c->st, m->name, p->stage, &v,
	    &p->pg.c->err);
	if (rv == MR_OK)
		protobuf_c_message_free_unpacked(&v->base, NULL);
	else if (rv != MR_NOT_FOUND)
		p->pg.rv = rv;
	return rv == MR_OK;
}

static int
model_page_add(void *arg, mr_pb_model *m)
{
	struct page *p = arg;
	/* A caller sees the models it may read, and no others. */
	bool wanted = svc_may(p->pg.c, SVC_NEED_READ, m->name) &&
	    (p->tag == NULL || reg_tags_match(p->tag, (kv_entry **)m->tags,
				   m->n_tags)) &&
	    (p->stage == 0 || model_in_stage(p, m));

	return svc_page_add(&p->pg, &m->base, wanted);
}

static mr_status
list_models_h(svc_call *c, const ProtobufCMessage *reqm,
    ProtobufCMessage *respm)
{
	const Modelreg__V1__ListModelsRequest *rq = (const void *)reqm;
	Modelreg__V1__ListModelsResponse *resp = (void *)respm;
	struct page p;
	mr_status rv;

	if ((rv = page_init(&p, c, rq->page_size, (int)rq->stage, rq->tag)) !=
	    MR_OK)
		return rv;
	if (rq->page_token[0] != '\0' &&
	    mr_check_name(rq->page_token, NULL) != MR_OK)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "the page token is not one this server issued");
	rv = store_scan_models(c->st,
	    rq->page_token[0] != '\0' ? rq->page_token : NULL, model_page_add,
	    &p, &c->err);
	if (rv != MR_OK || (rv = p.pg.rv) != MR_OK)
		return rv;
	resp->models = (Modelreg__V1__Model **)p.pg.items;
	resp->n_models = p.pg.n;
	if (p.pg.more && p.pg.n > 0)
		resp->next_page_token = resp->models[p.pg.n - 1]->name;
	return MR_OK;
}

static int
version_page_add(void *arg, mr_pb_version *v)
{
	struct page *p = arg;

	/* The scan itself filters by stage, through the stage index. */
	return svc_page_add(&p->pg, &v->base,
	    p->tag == NULL ||
		reg_tags_match(p->tag, (kv_entry **)v->tags, v->n_tags));
}

static mr_status
list_versions_h(svc_call *c, const ProtobufCMessage *reqm,
    ProtobufCMessage *respm)
{
	const Modelreg__V1__ListVersionsRequest *rq = (const void *)reqm;
	Modelreg__V1__ListVersionsResponse *resp = (void *)respm;
	struct page p;
	mr_semver after;
	mr_pb_model *m;
	mr_status rv;

	if ((rv = mr_check_name(rq->name, &c->err)) != MR_OK ||
	    (rv = page_init(&p, c, rq->page_size, (int)rq->stage, rq->tag)) !=
		MR_OK)
		return rv;
	if (rq->page_token[0] != '\0' &&
	    mr_semver_parse(rq->page_token, &after, NULL) != MR_OK)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "the page token is not one this server issued");
	if ((rv = reg_get_model(c, rq->name, &m)) != MR_OK)
		return rv;
	rv = store_scan_versions(c->st, rq->name, p.stage,
	    rq->page_token[0] != '\0' ? &after : NULL, rq->descending,
	    version_page_add, &p, &c->err);
	if (rv != MR_OK || (rv = p.pg.rv) != MR_OK)
		return rv;
	resp->versions = (Modelreg__V1__ModelVersion **)p.pg.items;
	resp->n_versions = p.pg.n;
	if (p.pg.more && p.pg.n > 0)
		resp->next_page_token = resp->versions[p.pg.n - 1]->version;
	return MR_OK;
}

static int
event_page_add(void *arg, mr_pb_event *ev)
{
	return svc_page_add(arg, &ev->base, true);
}

mr_status
svc_event_page(svc_call *c, const char *name, uint64_t after,
    uint32_t page_size, Modelreg__V1__Event ***events, size_t *n,
    protobuf_c_boolean *more, uint64_t *last)
{
	svc_page p;
	mr_status rv;

	if (name != NULL && (rv = mr_check_name(name, &c->err)) != MR_OK)
		return rv;
	if ((rv = svc_page_init(&p, c, page_size)) != MR_OK)
		return rv;
	rv = store_scan_events(c->st, name, after, event_page_add, &p,
	    &c->err);
	if (rv != MR_OK || (rv = p.rv) != MR_OK)
		return rv;
	*events = (Modelreg__V1__Event **)p.items;
	*n = p.n;
	*more = p.more;
	*last = p.n > 0 ? (*events)[p.n - 1]->revision : after;
	return MR_OK;
}

static mr_status
list_events_h(svc_call *c, const ProtobufCMessage *reqm,
    ProtobufCMessage *respm)
{
	const Modelreg__V1__ListEventsRequest *rq = (const void *)reqm;
	Modelreg__V1__ListEventsResponse *resp = (void *)respm;

	return svc_event_page(c, rq->name[0] != '\0' ? rq->name : NULL,
	    rq->after_revision, rq->page_size, &resp->events, &resp->n_events,
	    &resp->more, &resp->last_revision);
}

/* ---- stage changes -------------------------------------------------------- */

/* Stages a version's move to `to` and its event. */
static mr_status
move_version(svc_call *c, mr_pb_version *v, int to,
    Modelreg__V1__EventKind kind, const char *reason)
{
	int from = (int)v->stage;
	mr_pb_version old = *v;
	mr_status rv;

	v->stage = (Modelreg__V1__Stage)to;
	v->stage_changed_at_ms = c->now_ms;
	if (to == MR_STAGE_PRODUCTION)
		v->ever_production = true;
	if ((rv = reg_append_event(c, kind, v->name, v->version, from, to,
		 reason)) != MR_OK ||
	    (rv = svc_lineage_stage(c, v, from, to)) != MR_OK)
		return rv;
	return store_txn_put_version(c->txn, v, &old, &c->err);
}

/* Archives the model's production version, if any, for `why`. */
static mr_status
archive_production(svc_call *c, mr_pb_model *m, const char *why,
    mr_pb_version **out)
{
	mr_semver sv;
	mr_status rv;

	*out = NULL;
	if (m->production_version[0] == '\0')
		return MR_OK;
	if ((rv = reg_parse_version(c, m->production_version, &sv)) != MR_OK ||
	    (rv = reg_get_version(c, m->name, &sv, out)) != MR_OK)
		return rv == MR_NOT_FOUND ? mr_fail(&c->err, MR_DATA_LOSS,
		    "model \"%s\" names a missing production version %s",
		    m->name, m->production_version) : rv;
	return move_version(c, *out, MR_STAGE_ARCHIVED,
	    MODELREG__V1__EVENT_KIND__EVENT_STAGE_CHANGED, why);
}

mr_status
reg_rollback_target(svc_call *c, const char *name, const char *version,
    char **out)
{
	/* The chain only goes back in time; the bound is for damage. */
	enum { STEPS_MAX = 10000 };
	const char *v = version;
	mr_semver sv;
	mr_status rv;

	for (int i = 0; i < STEPS_MAX && v[0] != '\0'; i++) {
		mr_pb_version *t;

		if (mr_semver_parse(v, &sv, NULL) != MR_OK)
			break;
		rv = store_get_version(c->st, name, &sv, &t, &c->err);
		if (rv == MR_OK) {
			protobuf_c_message_free_unpacked(&t->base, NULL);
			break;
		}
		if (rv != MR_NOT_FOUND)
			return rv;
		rv = store_get_deleted(c->st, name, &sv, &t, &c->err);
		if (rv == MR_NOT_FOUND) {
			v = "";
			break;
		}
		if (rv != MR_OK || (rv = svc_defer_msg(c, t)) != MR_OK)
			return rv;
		v = t->displaced_version;
	}
	*out = (char *)v;
	return MR_OK;
}

mr_status
reg_finish_model(svc_call *c, mr_pb_model *m)
{
	m->updated_at_ms = c->now_ms;
	m->revision = store_txn_revision(c->txn);
	return store_txn_put_model(c->txn, m, &c->err);
}

static mr_status
promote_h(svc_call *c, const ProtobufCMessage *reqm, ProtobufCMessage *respm)
{
	const Modelreg__V1__PromoteRequest *rq = (const void *)reqm;
	Modelreg__V1__PromoteResponse *resp = (void *)respm;
	int to = (int)rq->to_stage, from;
	mr_pb_version *v, *old = NULL;
	mr_pb_model *m;
	mr_semver sv;
	mr_status rv;
	char why[MR_VERSION_MAX + 64];

	if ((rv = mr_check_name(rq->name, &c->err)) != MR_OK ||
	    (rv = mr_check_text("reason", rq->reason, MR_REASON_MAX, true,
		 &c->err)) != MR_OK)
		return rv;
	if (!reg_is_alias(rq->version) &&
	    (rv = reg_parse_version(c, rq->version, &sv)) != MR_OK)
		return rv;
	if (to != MR_STAGE_STAGING && to != MR_STAGE_PRODUCTION &&
	    to != MR_STAGE_ARCHIVED)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "promotion goes to staging, production or archived, not "
		    "%s",
		    reg_stage_valid(to) ? reg_stage_name(to) : "an unknown stage");
	if (rq->expected_stage != 0 && !reg_stage_valid(rq->expected_stage))
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "unknown expected stage %d", rq->expected_stage);

	if ((rv = reg_get_model(c, rq->name, &m)) != MR_OK ||
	    (rv = reg_resolve(c, rq->name, rq->version, m, &v)) != MR_OK ||
	    (rv = svc_audit_before(c, &v->base)) != MR_OK)
		return rv;
	from = (int)v->stage;
	if (rq->expected_stage != 0 && from != (int)rq->expected_stage)
		return mr_fail(&c->err, MR_FAILED_PRECONDITION,
		    "version %s of \"%s\" is in %s, not %s: someone changed it "
		    "first",
		    v->version, rq->name, reg_stage_name(from),
		    reg_stage_name((int)rq->expected_stage));
	if (from == to)
		return mr_fail(&c->err, MR_FAILED_PRECONDITION,
		    "version %s of \"%s\" is already in %s", v->version,
		    rq->name, reg_stage_name(to));
	if ((to == MR_STAGE_STAGING && from != MR_STAGE_DEV) ||
	    (to == MR_STAGE_PRODUCTION && from != MR_STAGE_STAGING))
		return mr_fail(&c->err, MR_FAILED_PRECONDITION,
		    "version %s of \"%s\" is in %s; only %s versions go to %s%s",
		    v->version, rq->name, reg_stage_name(from),
		    to == MR_STAGE_STAGING ? "dev" : "staging", reg_stage_name(to),
		    from == MR_STAGE_ARCHIVED && to == MR_STAGE_PRODUCTION
			? " (use rollback to return an earlier production "
			  "version)"
			: "");
	if ((rv = reg_check_promotion(c, m, v, to)) != MR_OK)
		return rv;

	if (to == MR_STAGE_PRODUCTION) {
		snprintf(why, sizeof(why), "replaced by %s", v->version);
		if ((rv = archive_production(c, m, why, &old)) != MR_OK)
			return rv;
		v->displaced_version = old != NULL ? old->version : "";
		m->production_version = v->version;
		m->rollback_target = v->displaced_version;
		resp->archived_version = old != NULL ? old->version : "";
	} else if (from == MR_STAGE_PRODUCTION) {
		/* Archiving production takes the model out of service; a
		 * rollback puts this version back. */
		m->production_version = "";
		m->rollback_target = v->version;
	}
	if ((rv = move_version(c, v, to,
		 MODELREG__V1__EVENT_KIND__EVENT_STAGE_CHANGED, rq->reason)) !=
		MR_OK ||
	    (rv = reg_finish_model(c, m)) != MR_OK ||
	    (rv = svc_audit_after(c, &v->base)) != MR_OK ||
	    (rv = svc_audit_target(c, m->name, v->version)) != MR_OK)
		return rv;
	resp->version = v;
	return MR_OK;
}

static mr_status
rollback_h(svc_call *c, const ProtobufCMessage *reqm, ProtobufCMessage *respm)
{
	const Modelreg__V1__RollbackRequest *rq = (const void *)reqm;
	Modelreg__V1__RollbackResponse *resp = (void *)respm;
	mr_pb_version *target, *cur = NULL;
	const char *to;
	mr_pb_model *m;
	mr_semver sv;
	mr_status rv;
	char why[MR_REASON_MAX + 32];

	if ((rv = mr_check_name(rq->name, &c->err)) != MR_OK ||
	    (rv = mr_check_text("reason", rq->reason, MR_REASON_MAX, true,
		 &c->err)) != MR_OK)
		return rv;
	if (rq->reason[0] == '\0')
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "a rollback needs a reason");
	if (rq->to_version[0] != '\0' && !reg_is_alias(rq->to_version) &&
	    (rv = reg_parse_version(c, rq->to_version, &sv)) != MR_OK)
		return rv;
	if ((rv = reg_get_model(c, rq->name, &m)) != MR_OK)
		return rv;
	to = rq->to_version[0] != '\0' ? rq->to_version : m->rollback_target;
	if (to[0] == '\0')
		return mr_fail(&c->err, MR_FAILED_PRECONDITION,
		    "model \"%s\" has no earlier production version to roll "
		    "back to",
		    rq->name);
	if ((rv = reg_resolve(c, rq->name, to, m, &target)) != MR_OK ||
	    (rv = svc_audit_before(c, &target->base)) != MR_OK)
		return rv;
	if (target->stage == MODELREG__V1__STAGE__STAGE_PRODUCTION)
		return mr_fail(&c->err, MR_FAILED_PRECONDITION,
		    "version %s of \"%s\" is already in production",
		    target->version, rq->name);
	if (!target->ever_production)
		return mr_fail(&c->err, MR_FAILED_PRECONDITION,
		    "version %s of \"%s\" was never in production, so it is "
		    "not a rollback target; promote it instead",
		    target->version, rq->name);
	if (target->deprecation != NULL)
		return mr_fail(&c->err, MR_FAILED_PRECONDITION,
		    "version %s of \"%s\" is deprecated (%s); roll back to "
		    "another version with --to, or undeprecate it first",
		    target->version, rq->name, target->deprecation->reason);

	snprintf(why, sizeof(why), "rolled back: %s", rq->reason);
	if ((rv = archive_production(c, m, why, &cur)) != MR_OK)
		return rv;
	if ((rv = move_version(c, target, MR_STAGE_PRODUCTION,
		 MODELREG__V1__EVENT_KIND__EVENT_ROLLBACK, rq->reason)) != MR_OK)
		return rv;
	m->production_version = target->version;
	if ((rv = reg_rollback_target(c, m->name, target->displaced_version,
		 &m->rollback_target)) != MR_OK)
		return rv;
	if ((rv = reg_finish_model(c, m)) != MR_OK ||
	    (rv = svc_audit_after(c, &target->base)) != MR_OK ||
	    (rv = svc_audit_target(c, m->name, target->version)) != MR_OK)
		return rv;
	resp->version = target;
	resp->rolled_back_version = cur != NULL ? cur->version : "";
	return MR_OK;
}

#define METHOD(svc, meth, req, resp, fn, mut)                              \
	{                                                                  \
		.name = "/modelreg.v1." svc "/" meth,                      \
		.request = &modelreg__v1__##req##__descriptor,             \
		.response = &modelreg__v1__##resp##__descriptor,           \
		.handler = fn, .mutates = mut,                             \
	}
/* A point read of the catalog, answered inline (svc.h, inline_read). */
#define INLINE_READ(svc, meth, req, resp, fn)                              \
	{                                                                  \
		.name = "/modelreg.v1." svc "/" meth,                      \
		.request = &modelreg__v1__##req##__descriptor,             \
		.response = &modelreg__v1__##resp##__descriptor,           \
		.handler = fn, .inline_read = true,                        \
	}

/*
 * GetVersion is inline with or without chunk lists: the manifest is one
 * more point read of the catalog, its reply bounded by MR_MSG_MAX.
 */
const svc_method svc_registry_methods[] = {
	METHOD("Registry", "RegisterVersion", register_version_request,
	    register_version_response, register_version, true),
	INLINE_READ("Registry", "GetModel", get_model_request,
	    get_model_response, get_model_h),
	INLINE_READ("Registry", "GetVersion", get_version_request,
	    get_version_response, get_version_h),
	METHOD("Registry", "ListModels", list_models_request,
	    list_models_response, list_models_h, false),
	METHOD("Registry", "ListVersions", list_versions_request,
	    list_versions_response, list_versions_h, false),
	METHOD("Registry", "Promote", promote_request, promote_response,
	    promote_h, true),
	METHOD("Registry", "Rollback", rollback_request, rollback_response,
	    rollback_h, true),
	METHOD("Registry", "ListEvents", list_events_request,
	    list_events_response, list_events_h, false),
};
const size_t svc_registry_method_count =
    sizeof(svc_registry_methods) / sizeof(svc_registry_methods[0]);
