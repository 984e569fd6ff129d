/*
 * artifacts.c - the Artifacts service: content-addressed chunks.
 *
 * The server never trusts a digest it is given: PutChunk decodes the chunk
 * (into the worker's scratch buffer, bounded by the declared length) and
 * hashes the result before storing the bytes as sent. GetChunk returns
 * the bytes as stored, pinned in RocksDB and packed once into the reply;
 * the client decodes and verifies them, so a damaged chunk is caught where
 * it would be used.
 *
 * FindMissingChunks and PutChunk touch the chunks they find present, so
 * that garbage collection (storage/gc.c) leaves an upload in progress the
 * grace period to commit the version that will reference them.
 */
#include <string.h>

#include "artifacts.pb-c.h"
#include "crash.h"
#include "svc.h"

static mr_status
check_digest(svc_call *c, const ProtobufCBinaryData *d)
{
	if (d->len != MR_DIGEST_LEN)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "a chunk digest is %zu bytes; SHA-256 digests are 32",
		    d->len);
	return MR_OK;
}

static mr_status
find_missing_h(svc_call *c, const ProtobufCMessage *reqm,
    ProtobufCMessage *respm)
{
	const Modelreg__V1__FindMissingChunksRequest *rq = (const void *)reqm;
	Modelreg__V1__FindMissingChunksResponse *resp = (void *)respm;
	const uint8_t **digests;
	uint32_t *missing;
	bool *exists;
	size_t n = rq->n_digests, k = 0;
	mr_status rv;

	if (n > MR_FIND_MISSING_MAX)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "%zu digests in one call; the limit is %d", n,
		    MR_FIND_MISSING_MAX);
	digests = svc_alloc(c, n, sizeof(*digests));
	exists = svc_alloc(c, n, sizeof(*exists));
	missing = svc_alloc(c, n, sizeof(*missing));
	if (digests == NULL || exists == NULL || missing == NULL)
		return c->err.code;
	for (size_t i = 0; i < n; i++) {
		if ((rv = check_digest(c, &rq->digests[i])) != MR_OK)
			return rv;
		digests[i] = rq->digests[i].data;
	}
	/* Touching what is present keeps it from garbage collection for
	 * the grace period: the caller is about to commit a version that
	 * uses it, without sending it. */
	if ((rv = store_chunks_touch(c->st, digests, n, exists, &c->err)) !=
	    MR_OK)
		return rv;
	for (size_t i = 0; i < n; i++)
		if (!exists[i])
			missing[k++] = (uint32_t)i;
	resp->missing = missing;
	resp->n_missing = k;
	return MR_OK;
}

static mr_status
put_chunk_h(svc_call *c, const ProtobufCMessage *reqm, ProtobufCMessage *respm)
{
	const Modelreg__V1__PutChunkRequest *rq = (const void *)reqm;
	Modelreg__V1__PutChunkResponse *resp = (void *)respm;
	const void *bytes;
	bool stored;
	mr_status rv;

	if ((rv = check_digest(c, &rq->digest)) != MR_OK)
		return rv;
	if (rq->raw_length == 0 || rq->raw_length > MR_CHUNK_MAX)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "chunk length %u is outside 1..%u", rq->raw_length,
		    MR_CHUNK_MAX);
	if (rq->data.len > MR_CHUNK_MAX)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "chunk data is %zu bytes; the limit is %u", rq->data.len,
		    MR_CHUNK_MAX);
	rv = mr_chunk_decode(c->w->codec, (int)rq->encoding, rq->data.data,
	    rq->data.len, rq->raw_length, rq->digest.data, c->w->scratch,
	    &bytes, &c->err);
	if (rv != MR_OK) {
		/* Bytes that do not match their name are the sender's
		 * mistake, not lost data. */
		c->err.code = MR_INVALID_ARGUMENT;
		return MR_INVALID_ARGUMENT;
	}
	rv = store_put_chunk(c->st, rq->digest.data, (int)rq->encoding,
	    rq->raw_length, rq->data.data, rq->data.len, &stored, &c->err);
	if (rv != MR_OK)
		return rv;
	mr_crash_point("after_chunk_write");
	resp->stored = stored;
	return MR_OK;
}

static void
release_chunk(void *p)
{
	store_chunk_release(p);
}

static mr_status
get_chunk_h(svc_call *c, const ProtobufCMessage *reqm, ProtobufCMessage *respm)
{
	const Modelreg__V1__GetChunkRequest *rq = (const void *)reqm;
	Modelreg__V1__GetChunkResponse *resp = (void *)respm;
	store_chunk *ch;
	mr_status rv;

	if ((rv = check_digest(c, &rq->digest)) != MR_OK)
		return rv;
	if ((rv = store_get_chunk(c->st, rq->digest.data, &ch, &c->err)) !=
	    MR_OK)
		return rv;
	if ((rv = svc_defer(c, release_chunk, ch)) != MR_OK)
		return rv;
	resp->encoding = (Modelreg__V1__ChunkEncoding)ch->encoding;
	resp->raw_length = ch->raw_len;
	resp->data.data = (uint8_t *)ch->data;
	resp->data.len = ch->len;
	return MR_OK;
}

#define METHOD(meth, req, resp, fn)                                        \
	{                                                                  \
		.name = "/modelreg.v1.Artifacts/" meth,                    \
		.request = &modelreg__v1__##req##__descriptor,             \
		.response = &modelreg__v1__##resp##__descriptor,           \
		.handler = fn, .mutates = false,                           \
	}

const svc_method svc_artifact_methods[] = {
	METHOD("FindMissingChunks", find_missing_chunks_request,
	    find_missing_chunks_response, find_missing_h),
	METHOD("PutChunk", put_chunk_request, put_chunk_response, put_chunk_h),
	METHOD("GetChunk", get_chunk_request, get_chunk_response, get_chunk_h),
};
const size_t svc_artifact_method_count =
    sizeof(svc_artifact_methods) / sizeof(svc_artifact_methods[0]);
