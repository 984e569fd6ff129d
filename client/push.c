/*
 * push.c - mr_register: upload an artifact's missing chunks, then commit
 * the version.
 *
 * The upload is content-addressed, so it is cheap to repeat: build the
 * manifest (manifest.c), ask the server which of its distinct chunk
 * digests it lacks (FindMissingChunks, MR_FIND_MISSING_MAX at a time),
 * send just those with PutChunk through a window of calls in flight, and
 * commit with RegisterVersion. Only the commit makes anything visible.
 *
 * Chunks are read again from the files for sending and hashed again
 * before they leave, so a file edited since the manifest was built is
 * reported as such here instead of as a digest mismatch by the server.
 *
 * If the commit answers FAILED_PRECONDITION, a chunk may have gone
 * missing in between (a server restored or restarted without it): we ask
 * again, and if anything is missing, send it and commit once more.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "artifacts.pb-c.h"
#include "client.h"
#include "convert.h"
#include "manifest.h"
#include "registry.pb-c.h"

/* A distinct chunk: its digest, where to read it, what sending it cost. */
typedef struct upload {
	const uint8_t *digest;
	uint32_t file;
	uint32_t chunk;
	uint32_t wire; /* bytes of its encoded form */
} upload;

static int
cmp_position(const void *a, const void *b)
{
	const upload *x = a, *y = b;

	if (x->file != y->file)
		return x->file < y->file ? -1 : 1;
	return x->chunk < y->chunk ? -1 : x->chunk > y->chunk;
}

/* By digest, then position, so each digest's first use comes first. */
static int
cmp_digest(const void *a, const void *b)
{
	const upload *x = a, *y = b;
	int c = memcmp(x->digest, y->digest, MR_DIGEST_LEN);

	return c != 0 ? c : cmp_position(a, b);
}

/* Every distinct chunk of the manifest, in digest order. */
static mr_status
distinct_chunks(const manifest *m, upload **out, size_t *n_out, mr_err *e)
{
	size_t n = m->pb.chunk_count, k = 0;
	upload *u;

	if (n == 0) {
		*out = NULL;
		*n_out = 0;
		return MR_OK;
	}
	if ((u = calloc(n, sizeof(*u))) == NULL)
		return mr_fail(e, MR_RESOURCE_EXHAUSTED, "out of memory");
	for (size_t f = 0; f < m->n_files; f++) {
		const mf_file *mf = &m->files[f];
		for (size_t i = 0; i < mf->pb.n_chunks; i++)
			u[k++] = (upload){mf->ref_ptrs[i]->digest.data,
			    (uint32_t)f, (uint32_t)i, 0};
	}
	qsort(u, n, sizeof(*u), cmp_digest);
	k = 0;
	for (size_t i = 0; i < n; i++)
		if (k == 0 ||
		    memcmp(u[k - 1].digest, u[i].digest, MR_DIGEST_LEN) != 0)
			u[k++] = u[i];
	*out = u;
	*n_out = k;
	return MR_OK;
}

/*
 * Asks which of the distinct chunks `u` the server lacks. The answer is
 * the missing ones in file order, which is the order to read them in.
 */
static mr_status
find_missing(
    mr_client *c, const upload *u, size_t n, upload **out, size_t *n_out)
{
	ProtobufCBinaryData *digests = NULL;
	upload *miss = NULL;
	size_t k = 0, j = 0;
	mr_status rv = MR_OK;

	if (n > 0) {
		size_t batch =
		    n < MR_FIND_MISSING_MAX ? n : MR_FIND_MISSING_MAX;
		digests = calloc(batch, sizeof(*digests));
		miss = calloc(n, sizeof(*miss));
		if (digests == NULL || miss == NULL) {
			rv = mr_fail(
			    &c->err, MR_RESOURCE_EXHAUSTED, "out of memory");
			goto out;
		}
	}
	for (size_t base = 0; base < n && rv == MR_OK;
	     base += MR_FIND_MISSING_MAX) {
		Modelreg__V1__FindMissingChunksRequest req =
		    MODELREG__V1__FIND_MISSING_CHUNKS_REQUEST__INIT;
		Modelreg__V1__FindMissingChunksResponse *resp;
		size_t cnt = n - base < MR_FIND_MISSING_MAX
		    ? n - base
		    : MR_FIND_MISSING_MAX;

		for (size_t i = 0; i < cnt; i++) {
			digests[i].data = (uint8_t *)u[base + i].digest;
			digests[i].len = MR_DIGEST_LEN;
		}
		req.digests = digests;
		req.n_digests = cnt;
		rv = rpc_call(c->rpc, M_FIND_MISSING, &req.base, false,
		    &modelreg__v1__find_missing_chunks_response__descriptor,
		    (ProtobufCMessage **)&resp, &c->err);
		if (rv != MR_OK)
			break;
		for (size_t i = 0; i < resp->n_missing && rv == MR_OK; i++) {
			if (resp->missing[i] >= cnt)
				rv = mr_fail(&c->err, MR_INTERNAL,
				    "FindMissingChunks: index %u is out of "
				    "range (asked about %zu digests)",
				    resp->missing[i], cnt);
			else if (k < n)
				miss[k++] = u[base + resp->missing[i]];
		}
		rpc_reply_free(&resp->base);
	}
	if (rv != MR_OK)
		goto out;
	/* In file order, and once each should the server repeat itself. */
	if (k > 0)
		qsort(miss, k, sizeof(*miss), cmp_position);
	for (size_t i = 0; i < k; i++)
		if (j == 0 || cmp_position(&miss[j - 1], &miss[i]) != 0)
			miss[j++] = miss[i];
	*out = miss;
	*n_out = j;
	miss = NULL;
out:
	free(digests);
	free(miss);
	return rv;
}

/* Reads, checks, encodes and sends one missing chunk. */
static mr_status
start_put(mr_client *c, rpc_window *w, const manifest *m, mf_reader *rd,
    upload *u, uintptr_t tag, uint8_t *raw, uint8_t *enc, size_t enc_cap)
{
	Modelreg__V1__PutChunkRequest req =
	    MODELREG__V1__PUT_CHUNK_REQUEST__INIT;
	const Modelreg__V1__ChunkRef *ref =
	    m->files[u->file].ref_ptrs[u->chunk];
	const void *data;
	size_t len;
	int encoding;
	mr_status rv;

	rv = manifest_read_chunk(m, rd, u->file, u->chunk, raw, &c->err);
	if (rv != MR_OK)
		return rv;
	rv = mr_chunk_encode(c->codec, raw, ref->length, enc, enc_cap,
	    &encoding, &data, &len, &c->err);
	if (rv != MR_OK)
		return rv;
	req.digest = ref->digest;
	req.encoding = (Modelreg__V1__ChunkEncoding)encoding;
	req.raw_length = ref->length;
	req.data.data = (uint8_t *)data;
	req.data.len = len;
	u->wire = (uint32_t)len;
	return rpc_window_start(w, M_PUT_CHUNK, &req.base, tag, &c->err);
}

/*
 * The server refused a chunk we read from a file: its bytes no longer
 * hash to the digest the manifest gave them, so the file changed since
 * the manifest was built (chunks are not hashed again before sending:
 * the server's check is the one that counts).
 */
static mr_status
changed_file(mr_client *c, const manifest *m, const upload *u)
{
	const mf_file *f = &m->files[u->file];
	const Modelreg__V1__ChunkRef *ref = f->ref_ptrs[u->chunk];
	char why[MR_ERRMSG_MAX];

	snprintf(why, sizeof(why), "%s", c->err.msg);
	return mr_fail(&c->err, MR_ABORTED,
	    "%s changed since it was read (bytes %llu to %llu); register "
	    "again (the server said: %s)",
	    f->source, (unsigned long long)ref->offset,
	    (unsigned long long)(ref->offset + ref->length), why);
}

/* Sends the chunks in `miss` with a window of calls in flight. */
static mr_status
send_missing(mr_client *c, const manifest *m, upload *miss, size_t n,
    const mr_register_params *p)
{
	/* Chunks are cut by content, so any of them may be the largest. */
	size_t enc_cap = mr_chunk_encode_bound(MR_CHUNK_MAX);
	uint64_t total = 0, done = 0;
	uint8_t *raw, *enc;
	rpc_window *w;
	mf_reader rd;
	mr_status rv;
	size_t next = 0;

	for (size_t i = 0; i < n; i++)
		total += m->files[miss[i].file].ref_ptrs[miss[i].chunk]->length;
	if (p->progress != NULL)
		p->progress(p->progress_arg, 0, total);
	if (n == 0)
		return MR_OK;
	raw = malloc(MR_CHUNK_MAX);
	enc = malloc(enc_cap);
	if (raw == NULL || enc == NULL) {
		rv = mr_fail(&c->err, MR_RESOURCE_EXHAUSTED, "out of memory");
		goto err_buffers;
	}
	if ((rv = rpc_window_open(&w, c->rpc, c->window, &c->err)) != MR_OK)
		goto err_buffers;
	mf_reader_init(&rd);
	while (next < n || !rpc_window_empty(w)) {
		Modelreg__V1__PutChunkResponse *resp;
		uintptr_t tag;
		upload *u;

		if (next < n && !rpc_window_full(w)) {
			rv = start_put(
			    c, w, m, &rd, &miss[next], next, raw, enc, enc_cap);
			if (rv != MR_OK)
				break;
			next++;
			continue;
		}
		rv = rpc_window_wait(w,
		    &modelreg__v1__put_chunk_response__descriptor,
		    (ProtobufCMessage **)&resp, &tag, &c->err);
		u = &miss[tag];
		if (rv == MR_INVALID_ARGUMENT) {
			rv = changed_file(c, m, u);
			break;
		}
		if (rv != MR_OK)
			break;
		rpc_reply_free(&resp->base);
		c->stats.chunks_sent++;
		c->stats.bytes_sent += u->wire;
		done += m->files[u->file].ref_ptrs[u->chunk]->length;
		if (p->progress != NULL)
			p->progress(p->progress_arg, done, total);
	}
	mf_reader_close(&rd);
	rpc_window_close(w);
err_buffers:
	free(raw);
	free(enc);
	return rv;
}

/* Finds what the server lacks and sends it; *sent says how many. */
static mr_status
upload_missing(
    mr_client *c, const manifest *m, const mr_register_params *p, size_t *sent)
{
	upload *all = NULL, *miss = NULL;
	size_t n_all = 0, n_miss = 0;
	mr_status rv;

	if ((rv = distinct_chunks(m, &all, &n_all, &c->err)) != MR_OK)
		return rv;
	rv = find_missing(c, all, n_all, &miss, &n_miss);
	if (rv == MR_OK)
		rv = send_missing(c, m, miss, n_miss, p);
	if (rv == MR_OK)
		*sent = n_miss;
	free(all);
	free(miss);
	return rv;
}

static mr_status
commit(mr_client *c, const mr_register_params *p, const char *version,
    const manifest *m, mr_version **out)
{
	Modelreg__V1__RegisterVersionRequest req =
	    MODELREG__V1__REGISTER_VERSION_REQUEST__INIT;
	const ProtobufCMessageDescriptor *model_tags_entry =
	    &modelreg__v1__register_version_request__model_tags_entry__descriptor;
	Modelreg__V1__RegisterVersionResponse *resp;
	cv_arena a = CV_ARENA_INIT;
	mr_status rv;

	req.name = client_str(p->name);
	req.version = client_str(version);
	req.stage = (Modelreg__V1__Stage)p->stage;
	req.description = client_str(p->description);
	req.metadata = cv_metadata_pb(&a, p->metadata);
	req.tags = cv_tags_pb(&a,
	    &modelreg__v1__register_version_request__tags_entry__descriptor,
	    p->tags, p->n_tags);
	req.n_tags = req.tags != NULL ? p->n_tags : 0;
	req.signature = cv_signature_pb(&a, p->signature);
	req.manifest = (Modelreg__V1__Manifest *)&m->pb;
	req.model_description = client_str(p->model_description);
	req.model_owner = client_str(p->model_owner);
	req.model_tags =
	    cv_tags_pb(&a, model_tags_entry, p->model_tags, p->n_model_tags);
	req.n_model_tags = req.model_tags != NULL ? p->n_model_tags : 0;
	req.bump = (Modelreg__V1__Bump)p->bump;
	req.reason = client_str(p->reason);
	if (a.failed) {
		cv_arena_free(&a);
		return mr_fail(&c->err, MR_RESOURCE_EXHAUSTED, "out of memory");
	}
	rv = client_call(c, M_REGISTER, &req.base, true,
	    &modelreg__v1__register_version_response__descriptor, &resp);
	cv_arena_free(&a);
	if (rv != MR_OK)
		return rv;
	if (out != NULL)
		rv = cv_registered_new(out, resp, &c->err);
	rpc_reply_free(&resp->base);
	return rv;
}

/* ---- argument checks ---------------------------------------------------- */

static mr_status
check_string(const char *what, const char *s, bool required, mr_err *e)
{
	if (required && (s == NULL || s[0] == '\0'))
		return mr_fail(e, MR_INVALID_ARGUMENT, "%s is empty", what);
	return mr_check_text(what, s, MR_STRING_MAX, false, e);
}

static mr_status
check_metadata(const mr_metadata *m, mr_err *e)
{
	const char *const strings[][2] = {
	    {"framework", m->framework},
	    {"framework_version", m->framework_version},
	    {"python_version", m->python_version},
	    {"training_data_version", m->training_data_version},
	    {"feature_set_version", m->feature_set_version},
	    {"experiment", m->experiment},
	    {"increment", m->increment},
	    {"parent_model", m->parent_model},
	};
	mr_status rv;

	if (m->n_metrics > MR_METRICS_MAX ||
	    m->n_hyperparameters > MR_PARAMS_MAX ||
	    m->n_features > MR_FEATURES_MAX)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "metadata has %zu metrics, %zu hyperparameters and %zu "
		    "features; the limits are %d, %d and %d",
		    m->n_metrics, m->n_hyperparameters, m->n_features,
		    MR_METRICS_MAX, MR_PARAMS_MAX, MR_FEATURES_MAX);
	for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
		if ((rv = check_string(
		         strings[i][0], strings[i][1], false, e)) != MR_OK)
			return rv;
	for (size_t i = 0; i < m->n_metrics; i++) {
		if ((rv = check_string(
		         "metric name", m->metrics[i].name, true, e)) != MR_OK)
			return rv;
		for (size_t k = 0; k < i; k++)
			if (strcmp(m->metrics[k].name, m->metrics[i].name) == 0)
				return mr_fail(e, MR_INVALID_ARGUMENT,
				    "metric \"%s\" is given twice",
				    m->metrics[i].name);
	}
	for (size_t i = 0; i < m->n_hyperparameters; i++) {
		const mr_kv *kv = &m->hyperparameters[i];
		if ((rv = check_string(
		         "hyperparameter name", kv->key, true, e)) != MR_OK ||
		    (rv = check_string(
		         "hyperparameter value", kv->value, false, e)) != MR_OK)
			return rv;
		for (size_t k = 0; k < i; k++)
			if (strcmp(m->hyperparameters[k].key, kv->key) == 0)
				return mr_fail(e, MR_INVALID_ARGUMENT,
				    "hyperparameter \"%s\" is given twice",
				    kv->key);
	}
	for (size_t i = 0; i < m->n_features; i++)
		if ((rv = check_string(
		         "feature name", m->features[i], true, e)) != MR_OK)
			return rv;
	return MR_OK;
}

static mr_status
check_fields(const char *what, const mr_field *f, size_t n, mr_err *e)
{
	mr_status rv;

	for (size_t i = 0; i < n; i++)
		if ((rv = check_string(what, f[i].name, true, e)) != MR_OK ||
		    (rv = check_string(
		         "signature field type", f[i].type, false, e)) != MR_OK)
			return rv;
	return MR_OK;
}

mr_status
client_check_signature(const mr_signature *s, mr_err *e)
{
	mr_status rv;

	/* Each count alone first: their sum could wrap. */
	if (s->n_inputs > MR_FIELDS_MAX || s->n_outputs > MR_FIELDS_MAX ||
	    s->n_inputs + s->n_outputs > MR_FIELDS_MAX)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "the signature has more than %d fields", MR_FIELDS_MAX);
	if ((s->n_inputs > 0 && s->inputs == NULL) ||
	    (s->n_outputs > 0 && s->outputs == NULL))
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "signature fields announced but none given");
	if ((rv = check_fields("signature input name", s->inputs, s->n_inputs,
	         e)) != MR_OK ||
	    (rv = check_fields("signature output name", s->outputs,
	         s->n_outputs, e)) != MR_OK)
		return rv;
	return MR_OK;
}

/*
 * The version to register: with a bump the server chooses it, so none
 * may be given ("" goes on the wire); without one it is required.
 */
static mr_status
check_version(const mr_register_params *p, char *version, mr_err *e)
{
	if ((int)p->bump < MR_BUMP_NONE || p->bump > MR_BUMP_AUTO)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "bump %d is not one of none, major, minor, patch or auto",
		    (int)p->bump);
	if (p->bump == MR_BUMP_NONE)
		return mr_semver_normalize(p->version, version, e);
	if (p->version != NULL && p->version[0] != '\0')
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "version \"%.64s\" is given together with a bump; the "
		    "server chooses the version of a bump, so give one or "
		    "the other",
		    p->version);
	version[0] = '\0';
	return MR_OK;
}

static mr_status
check_params(const mr_register_params *p, char *version, mr_err *e)
{
	mr_status rv;

	if (p == NULL)
		return mr_fail(
		    e, MR_INVALID_ARGUMENT, "no registration parameters");
	if ((rv = mr_check_name(p->name, e)) != MR_OK ||
	    (rv = check_version(p, version, e)) != MR_OK ||
	    (rv = client_stage_arg("stage", p->stage, true, e)) != MR_OK ||
	    (rv = mr_check_text("description", p->description, MR_TEXT_MAX,
	         true, e)) != MR_OK ||
	    (rv = client_check_kv("tag", p->tags, p->n_tags, MR_TAGS_MAX, e)) !=
	        MR_OK ||
	    (rv = mr_check_text("model description", p->model_description,
	         MR_TEXT_MAX, true, e)) != MR_OK ||
	    (rv = check_string("model owner", p->model_owner, false, e)) !=
	        MR_OK ||
	    (rv = client_check_kv("model tag", p->model_tags, p->n_model_tags,
	         MR_TAGS_MAX, e)) != MR_OK ||
	    (rv = mr_check_text("reason", p->reason, MR_REASON_MAX, true, e)) !=
	        MR_OK)
		return rv;
	if (p->metadata != NULL &&
	    (rv = check_metadata(p->metadata, e)) != MR_OK)
		return rv;
	if (p->signature != NULL &&
	    (rv = client_check_signature(p->signature, e)) != MR_OK)
		return rv;
	if (p->path == NULL || p->path[0] == '\0')
		return mr_fail(
		    e, MR_INVALID_ARGUMENT, "no artifact path given");
	return MR_OK;
}

mr_status
mr_register(mr_client *c, const mr_register_params *p, mr_version **out)
{
	char version[MR_VERSION_MAX + 1];
	manifest *m;
	mr_status rv;
	size_t sent;

	if (c == NULL)
		return MR_INVALID_ARGUMENT;
	mr_err_clear(&c->err);
	memset(&c->stats, 0, sizeof(c->stats));
	if ((rv = check_params(p, version, &c->err)) != MR_OK)
		return rv;
	if ((rv = manifest_build(&m, p->path, c->codec, &c->err)) != MR_OK)
		return rv;
	c->stats.files = m->n_files;
	c->stats.chunks = m->pb.chunk_count;
	c->stats.bytes = m->pb.total_size;
	if ((rv = upload_missing(c, m, p, &sent)) == MR_OK)
		rv = commit(c, p, version, m, out);
	if (rv == MR_FAILED_PRECONDITION) {
		/* Perhaps chunks went missing since we asked. If so, send
		 * them and commit once more; if not, the refusal stands. */
		mr_err refusal = c->err;

		rv = upload_missing(c, m, p, &sent);
		if (rv == MR_OK && sent > 0) {
			rv = commit(c, p, version, m, out);
		} else if (rv == MR_OK) {
			c->err = refusal;
			rv = refusal.code;
		}
	}
	manifest_free(m);
	return rv;
}
