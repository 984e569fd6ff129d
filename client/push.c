/*
 * push.c - mr_register: upload an artifact's missing chunks, then commit
 * the version.
 *
 * The upload is content-addressed, so it is cheap to repeat: ask the
 * server which distinct chunk digests it lacks (FindMissingChunks), send
 * just those with PutChunk through a window of calls in flight, and
 * commit with RegisterVersion. Only the commit makes anything visible.
 *
 * Cutting and digesting the artifact costs about as much CPU as sending
 * it, so the first upload does both at once: the files are listed first
 * (manifest_open(), so a refused path fails before anything is sent),
 * then a thread cuts them (stream.c) while this one asks about and sends
 * the chunks already cut, from the cutter's buffers: no byte is read
 * twice, and memory stays at a few buffers. The commit waits for the
 * cutter, since the manifest needs every file's digest. A file that
 * changes while it is read is refused by the cutter (MR_ABORTED, naming
 * it).
 *
 * If the commit answers FAILED_PRECONDITION, a chunk may have gone
 * missing in between (a server restored or restarted without it): with
 * the manifest complete by then, we ask again about all of it, and if
 * anything is missing, read those chunks again from the files, send them
 * and commit once more. The server checks every chunk against its
 * digest, so a file edited since it was cut is reported here as such.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "artifacts.pb-c.h"
#include "client.h"
#include "convert.h"
#include "manifest.h"
#include "registry.pb-c.h"
#include "stream.h"

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

/* ---- the streaming upload ------------------------------------------------
 *
 * The first upload of a push runs while the artifact is being cut
 * (stream.c): chunks are taken from the stream in batches, each digest
 * not yet seen in this push is asked about (FindMissingChunks), and the
 * missing chunks are sent from the stream's buffers through the window.
 * A batch is taken once PUSH_WANT chunks are queued, or fewer when the
 * cutter has finished or waits for us; with calls in flight we never wait
 * for one, but for the oldest reply instead. The next batch is asked
 * about only once the last one is on its way, while up to a window of
 * calls is still in flight, so the server is not kept waiting.
 */

/* Chunks taken at most at once, and the number worth one question. */
#define PUSH_BATCH 256
#define PUSH_WANT  8

/* The digests asked about so far: open addressing on their first bytes
 * (SHA-256 is uniform), never more than half full. */
typedef struct digest_set {
	uint8_t (*slots)[MR_DIGEST_LEN];
	bool *used;
	size_t cap, n;
} digest_set;

static size_t
slot_of(const digest_set *d, const uint8_t *digest)
{
	uint64_t h;

	memcpy(&h, digest, sizeof(h));
	for (size_t i = (size_t)h & (d->cap - 1);; i = (i + 1) & (d->cap - 1))
		if (!d->used[i] ||
		    memcmp(d->slots[i], digest, MR_DIGEST_LEN) == 0)
			return i;
}

/* Adds `digest`: 1 if it is new, 0 if it was there, -1 out of memory. */
static int
set_add(digest_set *d, const uint8_t *digest)
{
	size_t i;

	if (2 * (d->n + 1) > d->cap) {
		digest_set g = {NULL, NULL, d->cap > 0 ? 2 * d->cap : 1024, 0};

		g.slots = malloc(g.cap * MR_DIGEST_LEN);
		g.used = calloc(g.cap, sizeof(*g.used));
		if (g.slots == NULL || g.used == NULL) {
			free(g.slots);
			free(g.used);
			return -1;
		}
		for (size_t k = 0; k < d->cap; k++)
			if (d->used[k]) {
				i = slot_of(&g, d->slots[k]);
				memcpy(g.slots[i], d->slots[k], MR_DIGEST_LEN);
				g.used[i] = true;
			}
		g.n = d->n;
		free(d->slots);
		free(d->used);
		*d = g;
	}
	i = slot_of(d, digest);
	if (d->used[i])
		return 0;
	memcpy(d->slots[i], digest, MR_DIGEST_LEN);
	d->used[i] = true;
	d->n++;
	return 1;
}

/* A PutChunk in flight: what its reply settles. */
typedef struct flight {
	uint32_t file;
	uint64_t offset;
	uint32_t length;
	uint32_t wire;
} flight;

typedef struct pusher {
	mr_client *c;
	const manifest *m;
	const mr_register_params *p;
	mf_stream *s;
	rpc_window *w;
	digest_set seen;
	mf_piece batch[PUSH_BATCH]; /* taken, to ask about */
	mf_piece todo[PUSH_BATCH];  /* missing, to send */
	size_t todo_i, todo_n;
	flight flights[CLIENT_WINDOW_MAX];
	uint64_t started;           /* PutChunk calls started: their tags */
	uint64_t taken, missing;    /* bytes */
	uint64_t done, shown_done, shown_total;
	bool over;                  /* the stream has no more chunks */
	uint8_t *enc;
	size_t enc_cap;
} pusher;

/*
 * Progress: bytes sent of bytes to send. Until the whole artifact has been
 * asked about, bytes not yet asked about count as to send, so the total
 * only shrinks, and done reaches it only at the end.
 */
static void
show(pusher *u, bool always)
{
	uint64_t total = u->missing;

	if (!u->over && u->m->size_hint > u->taken)
		total += u->m->size_hint - u->taken;
	if (u->p->progress == NULL ||
	    (!always && u->done == u->shown_done && total == u->shown_total))
		return;
	u->shown_done = u->done;
	u->shown_total = total;
	u->p->progress(u->p->progress_arg, u->done, total);
}

/* Asks about the `n` chunks in u->batch whose digests are new in this
 * push; the missing ones go to u->todo, the others are released. */
static mr_status
ask(pusher *u, size_t n)
{
	Modelreg__V1__FindMissingChunksRequest req =
	    MODELREG__V1__FIND_MISSING_CHUNKS_REQUEST__INIT;
	Modelreg__V1__FindMissingChunksResponse *resp;
	ProtobufCBinaryData digests[PUSH_BATCH];
	bool missing[PUSH_BATCH] = {false};
	uint16_t asked[PUSH_BATCH];
	size_t k = 0;
	mr_status rv;

	assert(u->todo_i == u->todo_n);
	u->todo_i = u->todo_n = 0;
	for (size_t i = 0; i < n; i++) {
		int added = set_add(&u->seen, u->batch[i].digest);

		u->taken += u->batch[i].length;
		if (added < 0)
			return mr_fail(
			    &u->c->err, MR_RESOURCE_EXHAUSTED, "out of memory");
		if (added == 0) {
			mf_stream_release(u->s, &u->batch[i]);
			continue;
		}
		digests[k].data = u->batch[i].digest;
		digests[k].len = MR_DIGEST_LEN;
		asked[k++] = (uint16_t)i;
	}
	if (k == 0)
		return MR_OK;
	req.digests = digests;
	req.n_digests = k;
	rv = rpc_call(u->c->rpc, M_FIND_MISSING, &req.base, false,
	    &modelreg__v1__find_missing_chunks_response__descriptor,
	    (ProtobufCMessage **)&resp, &u->c->err);
	if (rv != MR_OK)
		return rv;
	for (size_t i = 0; i < resp->n_missing && rv == MR_OK; i++) {
		if (resp->missing[i] >= k)
			rv = mr_fail(&u->c->err, MR_INTERNAL,
			    "FindMissingChunks: index %u is out of range "
			    "(asked about %zu digests)",
			    resp->missing[i], k);
		else
			missing[resp->missing[i]] = true;
	}
	rpc_reply_free(&resp->base);
	if (rv != MR_OK)
		return rv;
	for (size_t i = 0; i < k; i++) {
		mf_piece *pc = &u->batch[asked[i]];

		if (missing[i]) {
			u->todo[u->todo_n++] = *pc;
			u->missing += pc->length;
		} else {
			mf_stream_release(u->s, pc);
		}
	}
	return MR_OK;
}

/* Encodes and sends the next missing chunk, then releases its bytes (the
 * request is packed by then). */
static mr_status
put_next(pusher *u)
{
	Modelreg__V1__PutChunkRequest req =
	    MODELREG__V1__PUT_CHUNK_REQUEST__INIT;
	mf_piece *pc = &u->todo[u->todo_i++];
	flight *fl = &u->flights[u->started % CLIENT_WINDOW_MAX];
	const void *data;
	size_t len;
	int encoding;
	mr_status rv;

	rv = mr_chunk_encode(u->c->codec, pc->bytes, pc->length, u->enc,
	    u->enc_cap, &encoding, &data, &len, &u->c->err);
	if (rv == MR_OK) {
		req.digest.data = pc->digest;
		req.digest.len = MR_DIGEST_LEN;
		req.encoding = (Modelreg__V1__ChunkEncoding)encoding;
		req.raw_length = pc->length;
		req.data.data = (uint8_t *)data;
		req.data.len = len;
		*fl = (flight){pc->file, pc->offset, pc->length, (uint32_t)len};
		rv = rpc_window_start(
		    u->w, M_PUT_CHUNK, &req.base, u->started, &u->c->err);
	}
	mf_stream_release(u->s, pc);
	if (rv == MR_OK)
		u->started++;
	return rv;
}

/* Waits for the oldest PutChunk and counts it. */
static mr_status
put_done(pusher *u)
{
	Modelreg__V1__PutChunkResponse *resp;
	uintptr_t tag;
	const flight *fl;
	mr_status rv;

	rv = rpc_window_wait(u->w, &modelreg__v1__put_chunk_response__descriptor,
	    (ProtobufCMessage **)&resp, &tag, &u->c->err);
	fl = &u->flights[tag % CLIENT_WINDOW_MAX];
	if (rv == MR_INVALID_ARGUMENT) {
		/* The bytes sent are the bytes digested, so this is no
		 * edited file: say which chunk and keep the server's word. */
		char why[MR_ERRMSG_MAX];

		snprintf(why, sizeof(why), "%s", u->c->err.msg);
		return mr_fail(&u->c->err, rv,
		    "sending %s (bytes %llu to %llu): %s",
		    u->m->files[fl->file].source,
		    (unsigned long long)fl->offset,
		    (unsigned long long)(fl->offset + fl->length), why);
	}
	if (rv != MR_OK)
		return rv;
	rpc_reply_free(&resp->base);
	u->c->stats.chunks_sent++;
	u->c->stats.bytes_sent += fl->wire;
	u->done += fl->length;
	show(u, false);
	return MR_OK;
}

static mr_status
stream_loop(pusher *u)
{
	mr_status rv;

	for (;;) {
		bool idle = rpc_window_empty(u->w);

		if (u->todo_i < u->todo_n && !rpc_window_full(u->w)) {
			if ((rv = put_next(u)) != MR_OK)
				return rv;
			continue;
		}
		if (u->todo_i == u->todo_n && !u->over) {
			size_t n = mf_stream_take(u->s, u->batch, PUSH_BATCH,
			    PUSH_WANT, idle, &u->over);

			if (u->over && mf_stream_failed(u->s))
				return MR_ABORTED; /* the stream says why */
			if (n > 0) {
				if ((rv = ask(u, n)) != MR_OK)
					return rv;
				continue;
			}
		}
		if (!idle) {
			if ((rv = put_done(u)) != MR_OK)
				return rv;
			continue;
		}
		if (u->over && u->todo_i == u->todo_n)
			return MR_OK;
	}
}

/*
 * Cuts the artifact of `m` (from manifest_open()) and sends the chunks the
 * server lacks as they are cut. On MR_OK the manifest is complete.
 */
static mr_status
stream_upload(mr_client *c, manifest *m, const mr_register_params *p)
{
	pusher *u;
	mr_err cut_err;
	mr_status rv, cut;

	if ((u = calloc(1, sizeof(*u))) == NULL)
		return mr_fail(&c->err, MR_RESOURCE_EXHAUSTED, "out of memory");
	u->c = c;
	u->m = m;
	u->p = p;
	u->enc_cap = mr_chunk_encode_bound(MR_CHUNK_MAX);
	if ((u->enc = malloc(u->enc_cap)) == NULL) {
		rv = mr_fail(&c->err, MR_RESOURCE_EXHAUSTED, "out of memory");
		goto err_pusher;
	}
	if ((rv = rpc_window_open(&u->w, c->rpc, c->window, &c->err)) != MR_OK)
		goto err_pusher;
	/* The first report comes before a byte is read. */
	show(u, true);
	if ((rv = mf_stream_start(&u->s, m, &c->err)) != MR_OK)
		goto err_window;
	rv = stream_loop(u);
	/* Calls in flight are packed: close the window before the stream
	 * frees the buffers of the chunks still taken. */
	rpc_window_close(u->w);
	u->w = NULL;
	cut = mf_stream_end(u->s, &cut_err);
	if (cut != MR_OK && (rv == MR_OK || rv == MR_ABORTED)) {
		c->err = cut_err;
		rv = cut;
	}
	if (rv == MR_OK)
		show(u, false);
err_window:
	rpc_window_close(u->w);
err_pusher:
	free(u->seen.slots);
	free(u->seen.used);
	free(u->enc);
	free(u);
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
	if ((rv = manifest_open(&m, p->path, &c->err)) != MR_OK)
		return rv;
	c->stats.files = m->n_files;
	if ((rv = stream_upload(c, m, p)) == MR_OK) {
		c->stats.chunks = m->pb.chunk_count;
		c->stats.bytes = m->pb.total_size;
		rv = commit(c, p, version, m, out);
	}
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
