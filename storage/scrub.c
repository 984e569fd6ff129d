/*
 * scrub.c - the read-path integrity check: every stored chunk, decoded
 * and hashed against its name.
 *
 * A chunk lives under its digest twice, its bytes in "chunks" and its
 * record in "chunkmeta" (keys.h), so a slice walks both families side by
 * side in digest order, one iterator each on the same snapshot: a digest
 * found in only one of them is damage as much as bytes that do not hash
 * to their name. Reads never fill the block cache, which is the
 * catalog's; a background pass must not evict what fleets read. A slice
 * is bounded by a chunk count and a byte budget and returns where the
 * next one starts, so a pass over a large store is many short reads, each
 * from its own snapshot, and chunks written meanwhile are seen by the
 * slices that reach their digests.
 *
 * A block RocksDB cannot read back (its checksum fails: bits rotted on
 * the disk) stops an iterator with an error. The chunk it was moving to
 * is the one the other family's iterator stands on: it is reported as
 * unreadable, and the stopped iterator starts again at the other's next
 * key (not just after the bad one, which could still fall in the bad
 * block), so that one bad block hides no other chunk from the pass.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "storeint.h"

const char *
store_scrub_reason_name(store_scrub_reason why)
{
	switch (why) {
	case STORE_SCRUB_BAD_DATA:
		return "data does not match its digest";
	case STORE_SCRUB_BAD_RECORD:
		return "chunk record is malformed";
	case STORE_SCRUB_NO_RECORD:
		return "data without a chunk record";
	case STORE_SCRUB_NO_DATA:
		return "chunk record without data";
	case STORE_SCRUB_LENGTH:
		return "stored length differs from its record";
	case STORE_SCRUB_BAD_KEY:
		return "key is not a 32-byte digest";
	case STORE_SCRUB_UNREADABLE:
		return "cannot be read back";
	}
	return "?";
}

/* The digest a key names; a malformed key's first bytes, zero-padded. */
static bool
key_digest(const char *k, size_t klen, uint8_t out[MR_DIGEST_LEN])
{
	memset(out, 0, MR_DIGEST_LEN);
	memcpy(out, k, klen < MR_DIGEST_LEN ? klen : MR_DIGEST_LEN);
	return klen == MR_DIGEST_LEN;
}

/* Checks one chunk whose data (`data`, NULL if absent) and record (`meta`,
 * NULL if absent) were found; fills `why`, `detail` and returns false if
 * it is damaged. */
static bool
check_chunk(mr_codec *codec, void *scratch, const uint8_t *digest,
    const char *meta, size_t mlen, const char *data, size_t len,
    store_scrub_reason *why, char *detail, size_t cap)
{
	keys_chunkmeta cm;
	const void *out;
	mr_err e;

	if (meta == NULL) {
		*why = STORE_SCRUB_NO_RECORD;
		snprintf(detail, cap, "%zu bytes of data, no record", len);
		return false;
	}
	if (keys_chunkmeta_decode((const uint8_t *)meta, mlen, &cm) != 0) {
		*why = STORE_SCRUB_BAD_RECORD;
		snprintf(detail, cap, "a %zu-byte record", mlen);
		return false;
	}
	if (data == NULL) {
		*why = STORE_SCRUB_NO_DATA;
		snprintf(detail, cap, "the record says %u bytes", cm.stored_len);
		return false;
	}
	if (len != cm.stored_len) {
		*why = STORE_SCRUB_LENGTH;
		snprintf(detail, cap, "%zu bytes, the record says %u", len,
		    cm.stored_len);
		return false;
	}
	mr_err_clear(&e);
	if (mr_chunk_decode(codec, cm.encoding, data, len, cm.raw_len, digest,
		scratch, &out, &e) != MR_OK) {
		/* An unknown encoding or a length out of range is the
		 * record's fault; everything else is the data's. */
		*why = e.code == MR_INVALID_ARGUMENT ? STORE_SCRUB_BAD_RECORD
						     : STORE_SCRUB_BAD_DATA;
		snprintf(detail, cap, "%s", e.msg);
		return false;
	}
	return true;
}

/*
 * If `it` stopped on an error while `other` still stands on a key, returns
 * the error (to free with rocksdb_free); NULL otherwise.
 */
static char *
stopped_early(rocksdb_iterator_t *it, rocksdb_iterator_t *other)
{
	char *err = NULL;

	if (rocksdb_iter_valid(it) || !rocksdb_iter_valid(other))
		return NULL;
	rocksdb_iter_get_error(it, &err);
	return err;
}

/*
 * A fresh iterator on family `cf` in place of `it`, at the key `other`
 * stands on, or past every key if `other` is done.
 */
static rocksdb_iterator_t *
restart_at(store *s, const rocksdb_readoptions_t *ro, int cf,
    rocksdb_iterator_t *it, rocksdb_iterator_t *other)
{
	/* Longer than any digest, all 0xff: after every key we write. */
	char end[MR_DIGEST_LEN + 1];
	const char *k = end;
	size_t klen = sizeof(end);

	memset(end, 0xff, sizeof(end));
	if (rocksdb_iter_valid(other))
		k = rocksdb_iter_key(other, &klen);
	rocksdb_iter_destroy(it);
	it = rocksdb_create_iterator_cf(s->db, ro, s->cf[cf]);
	rocksdb_iter_seek(it, k, klen);
	return it;
}

mr_status
store_scrub(store *s, const uint8_t *start, uint64_t max_chunks,
    uint64_t max_bytes, mr_codec *codec, void *scratch, store_scrub_fn fn,
    void *arg, store_scrub_slice *out, mr_err *e)
{
	const rocksdb_snapshot_t *snap;
	rocksdb_readoptions_t *ro;
	rocksdb_iterator_t *itd, *itm;
	store_scrub_slice sl;
	char *err = NULL;

	assert(codec != NULL && scratch != NULL && fn != NULL);
	if (max_chunks == 0)
		max_chunks = 1;
	memset(&sl, 0, sizeof(sl));
	if ((ro = rocksdb_readoptions_create()) == NULL)
		return mr_fail(e, MR_RESOURCE_EXHAUSTED, "out of memory");
	snap = rocksdb_create_snapshot(s->db);
	rocksdb_readoptions_set_snapshot(ro, snap);
	rocksdb_readoptions_set_fill_cache(ro, 0);
	itd = rocksdb_create_iterator_cf(s->db, ro, s->cf[KEYS_CF_CHUNKS]);
	itm = rocksdb_create_iterator_cf(s->db, ro, s->cf[KEYS_CF_CHUNKMETA]);
	if (start != NULL) {
		rocksdb_iter_seek(itd, (const char *)start, MR_DIGEST_LEN);
		rocksdb_iter_seek(itm, (const char *)start, MR_DIGEST_LEN);
	} else {
		rocksdb_iter_seek_to_first(itd);
		rocksdb_iter_seek_to_first(itm);
	}
	for (;;) {
		/* A family whose iterator stopped on a read error. */
		char *lost_d = stopped_early(itd, itm);
		char *lost_m = lost_d == NULL ? stopped_early(itm, itd) : NULL;
		bool vd = rocksdb_iter_valid(itd), vm = rocksdb_iter_valid(itm);
		const char *kd = NULL, *km = NULL, *data = NULL, *meta = NULL;
		size_t kdl = 0, kml = 0, len = 0, mlen = 0;
		uint8_t digest[MR_DIGEST_LEN];
		store_scrub_reason why = 0;
		char detail[MR_ERRMSG_MAX];
		bool take_d, take_m;
		bool stop = false;
		int c;

		if (!vd && !vm) {
			sl.done = true;
			break;
		}
		if (vd)
			kd = rocksdb_iter_key(itd, &kdl);
		if (vm)
			km = rocksdb_iter_key(itm, &kml);
		if (vd && vm) {
			size_t n = kdl < kml ? kdl : kml;
			c = memcmp(kd, km, n);
			if (c == 0)
				c = kdl < kml ? -1 : kdl > kml;
		} else {
			c = vd ? -1 : 1;
		}
		take_d = c <= 0;
		take_m = c >= 0;
		if (sl.chunks == max_chunks ||
		    (max_bytes > 0 && sl.bytes >= max_bytes)) {
			/* The next slice starts at this digest. */
			key_digest(take_d ? kd : km, take_d ? kdl : kml,
			    sl.next);
			rocksdb_free(lost_d);
			rocksdb_free(lost_m);
			break;
		}
		if (take_d)
			data = rocksdb_iter_value(itd, &len);
		if (take_m)
			meta = rocksdb_iter_value(itm, &mlen);
		sl.chunks++;
		sl.bytes += len;
		if (!key_digest(take_d ? kd : km, take_d ? kdl : kml,
			digest)) {
			why = STORE_SCRUB_BAD_KEY;
			snprintf(detail, sizeof(detail), "a %zu-byte key",
			    take_d ? kdl : kml);
		} else if (lost_d != NULL || lost_m != NULL) {
			why = STORE_SCRUB_UNREADABLE;
			snprintf(detail, sizeof(detail), "its %s: %s",
			    lost_d != NULL ? "data" : "record",
			    lost_d != NULL ? lost_d : lost_m);
		} else if (check_chunk(codec, scratch, digest, meta, mlen, data,
			       len, &why, detail, sizeof(detail))) {
			why = 0;
		}
		if (why != 0) {
			sl.damaged++;
			if (fn(arg, digest, why, detail) != 0)
				stop = true;
		}
		if (take_d)
			rocksdb_iter_next(itd);
		if (take_m)
			rocksdb_iter_next(itm);
		if (lost_d != NULL) {
			itd = restart_at(s, ro, KEYS_CF_CHUNKS, itd, itm);
			rocksdb_free(lost_d);
		}
		if (lost_m != NULL) {
			itm = restart_at(s, ro, KEYS_CF_CHUNKMETA, itm, itd);
			rocksdb_free(lost_m);
		}
		/* Stopped by the caller: the loop's top ends the slice,
		 * with `next` after this chunk. */
		if (stop)
			max_chunks = sl.chunks;
	}
	rocksdb_iter_get_error(itd, &err);
	if (err == NULL)
		rocksdb_iter_get_error(itm, &err);
	rocksdb_iter_destroy(itd);
	rocksdb_iter_destroy(itm);
	rocksdb_readoptions_destroy(ro);
	rocksdb_release_snapshot(s->db, snap);
	if (err != NULL)
		return store_rocks_err(e, "scrubbing chunks", err);
	*out = sl;
	return MR_OK;
}
