/*
 * chunks.c - the content-addressed chunk store.
 *
 * A chunk's bytes live in the "chunks" family and a 20-byte record about
 * them (encoding, lengths, time) in "chunkmeta", both under the chunk's
 * SHA-256 and written in one batch. Existence checks (an upload asking
 * which chunks are missing, a commit checking its manifest) read only the
 * small records, which a bloom filter and the block cache serve, never the
 * megabytes of data next to them. An upload's checks also touch the
 * records they find (a rewrite of 20 bytes), which is what keeps an
 * upload's chunks from garbage collection until it commits (gc.c).
 */
#include <stdlib.h>
#include <string.h>

#include "storeint.h"

/*
 * Which of `n` digests are stored; with `touch`, each chunk found gets the
 * current time in its record (garbage collection's grace period counts
 * from it). A record that does not decode is reported present and left
 * as it is, for the scrubber to name.
 */
static mr_status
lookup(store *s, const uint8_t *const *digests, size_t n, bool *exists,
    bool touch, mr_err *e)
{
	/* Batches bound the stack arrays; FindMissingChunks sends at most
	 * MR_FIND_MISSING_MAX digests and a commit may check many more. */
	enum { BATCH = 256 };
	const rocksdb_column_family_handle_t *cfs[BATCH];
	const char *keys[BATCH];
	size_t klens[BATCH], vlens[BATCH];
	char *vals[BATCH], *errs[BATCH];
	rocksdb_writebatch_t *wb = NULL;
	int64_t now = mr_now_ms();
	mr_status rv = MR_OK;

	if (touch && (wb = rocksdb_writebatch_create()) == NULL)
		return mr_fail(e, MR_RESOURCE_EXHAUSTED, "out of memory");
	for (size_t i = 0; i < BATCH; i++) {
		cfs[i] = s->cf[KEYS_CF_CHUNKMETA];
		klens[i] = MR_DIGEST_LEN;
	}
	for (size_t base = 0; base < n && rv == MR_OK; base += BATCH) {
		size_t m = n - base < BATCH ? n - base : BATCH;
		char *err = NULL;

		for (size_t i = 0; i < m; i++)
			keys[i] = (const char *)digests[base + i];
		rocksdb_multi_get_cf(s->db, s->ro, cfs, m, keys, klens, vals,
		    vlens, errs);
		for (size_t i = 0; i < m; i++) {
			keys_chunkmeta cm;
			uint8_t meta[KEYS_CHUNKMETA_LEN];

			if (errs[i] != NULL && rv == MR_OK)
				rv = store_rocks_err(e, "checking chunks",
				    errs[i]);
			else if (errs[i] != NULL)
				rocksdb_free(errs[i]);
			exists[base + i] = vals[i] != NULL;
			if (vals[i] == NULL)
				continue;
			if (wb != NULL &&
			    keys_chunkmeta_decode((uint8_t *)vals[i], vlens[i],
				&cm) == 0 &&
			    cm.touched_at_ms < now) {
				cm.touched_at_ms = now;
				keys_chunkmeta_encode(meta, &cm);
				rocksdb_writebatch_put_cf(wb,
				    s->cf[KEYS_CF_CHUNKMETA], keys[i],
				    MR_DIGEST_LEN, (const char *)meta,
				    sizeof(meta));
			}
			rocksdb_free(vals[i]);
		}
		if (rv != MR_OK || wb == NULL ||
		    rocksdb_writebatch_count(wb) == 0)
			continue;
		/* Not synced: a touch lost in a crash only shortens the
		 * grace of an upload that a restart interrupted anyway. */
		rocksdb_write(s->db, s->wo_nosync, wb, &err);
		rocksdb_writebatch_clear(wb);
		if (err != NULL)
			rv = store_rocks_err(e, "touching chunks", err);
	}
	if (wb != NULL)
		rocksdb_writebatch_destroy(wb);
	return rv;
}

mr_status
store_chunks_exist(store *s, const uint8_t *const *digests, size_t n,
    bool *exists, mr_err *e)
{
	return lookup(s, digests, n, exists, false, e);
}

mr_status
store_chunks_touch(store *s, const uint8_t *const *digests, size_t n,
    bool *exists, mr_err *e)
{
	mr_status rv;

	pthread_rwlock_rdlock(&s->chunk_lock);
	rv = lookup(s, digests, n, exists, true, e);
	pthread_rwlock_unlock(&s->chunk_lock);
	return rv;
}

mr_status
store_put_chunk(store *s, const uint8_t digest[MR_DIGEST_LEN], int encoding,
    uint32_t raw_len, const void *data, size_t len, bool *stored, mr_err *e)
{
	const uint8_t *one = digest;
	uint8_t meta[KEYS_CHUNKMETA_LEN];
	keys_chunkmeta cm = {
		.encoding = encoding,
		.raw_len = raw_len,
		.stored_len = (uint32_t)len,
		.touched_at_ms = mr_now_ms(),
	};
	rocksdb_writebatch_t *wb;
	char *err = NULL;
	bool present;
	mr_status rv;

	if (len > MR_CHUNK_MAX)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "chunk of %zu bytes exceeds %u", len, MR_CHUNK_MAX);
	/* Shared with other uploads, exclusive of a collector's deletions:
	 * between the check and the write nobody deletes the chunk. */
	pthread_rwlock_rdlock(&s->chunk_lock);
	if ((rv = lookup(s, &one, 1, &present, true, e)) != MR_OK ||
	    present) {
		pthread_rwlock_unlock(&s->chunk_lock);
		*stored = false;
		return rv;
	}
	keys_chunkmeta_encode(meta, &cm);
	wb = rocksdb_writebatch_create();
	rocksdb_writebatch_put_cf(wb, s->cf[KEYS_CF_CHUNKS],
	    (const char *)digest, MR_DIGEST_LEN, data, len);
	rocksdb_writebatch_put_cf(wb, s->cf[KEYS_CF_CHUNKMETA],
	    (const char *)digest, MR_DIGEST_LEN, (const char *)meta,
	    sizeof(meta));
	/* Not synced here: see store.h on why the commit's sync covers it. */
	rocksdb_write(s->db, s->wo_nosync, wb, &err);
	pthread_rwlock_unlock(&s->chunk_lock);
	rocksdb_writebatch_destroy(wb);
	if (err != NULL)
		return store_rocks_err(e, "storing a chunk", err);
	*stored = true;
	return MR_OK;
}

mr_status
store_get_chunk(store *s, const uint8_t digest[MR_DIGEST_LEN],
    store_chunk **out, mr_err *e)
{
	rocksdb_pinnableslice_t *ps;
	keys_chunkmeta cm;
	store_chunk *c;
	char *err = NULL, *meta;
	size_t mlen, len;
	const char *val;
	char hex[65];

	meta = rocksdb_get_cf(s->db, s->ro, s->cf[KEYS_CF_CHUNKMETA],
	    (const char *)digest, MR_DIGEST_LEN, &mlen, &err);
	if (err != NULL)
		return store_rocks_err(e, "reading a chunk record", err);
	if (meta == NULL)
		return mr_fail(e, MR_NOT_FOUND, "chunk %s is not stored",
		    mr_digest_hex(digest, hex));
	if (keys_chunkmeta_decode((uint8_t *)meta, mlen, &cm) != 0) {
		rocksdb_free(meta);
		return mr_fail(e, MR_DATA_LOSS, "the record of chunk %s is "
		    "damaged", mr_digest_hex(digest, hex));
	}
	rocksdb_free(meta);

	ps = rocksdb_get_pinned_cf(s->db, s->ro_chunks, s->cf[KEYS_CF_CHUNKS],
	    (const char *)digest, MR_DIGEST_LEN, &err);
	if (err != NULL)
		return store_rocks_err(e, "reading a chunk", err);
	if (ps == NULL)
		return mr_fail(e, MR_DATA_LOSS,
		    "chunk %s has a record but no data",
		    mr_digest_hex(digest, hex));
	val = rocksdb_pinnableslice_value(ps, &len);
	if (len != cm.stored_len) {
		rocksdb_pinnableslice_destroy(ps);
		return mr_fail(e, MR_DATA_LOSS,
		    "chunk %s holds %zu bytes, its record says %u",
		    mr_digest_hex(digest, hex), len, cm.stored_len);
	}
	if ((c = malloc(sizeof(*c))) == NULL) {
		rocksdb_pinnableslice_destroy(ps);
		return mr_fail(e, MR_RESOURCE_EXHAUSTED, "out of memory");
	}
	c->encoding = cm.encoding;
	c->raw_len = cm.raw_len;
	c->data = val;
	c->len = len;
	c->pin = ps;
	*out = c;
	return MR_OK;
}

void
store_chunk_release(store_chunk *c)
{
	if (c == NULL)
		return;
	rocksdb_pinnableslice_destroy(c->pin);
	free(c);
}
