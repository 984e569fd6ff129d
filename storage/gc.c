/*
 * gc.c - chunk references and garbage collection of the chunk store.
 *
 * Chunks are shared between versions and outlive the upload that sent
 * them, so whether one may go is a question about the whole catalog. The
 * answer is kept up to date instead of recomputed: every manifest has one
 * reference entry per chunk it lists ('R' digest name 0x00 verkey, in the
 * catalog family, see keys.h), staged in the same batch as the manifest
 * and removed with it when its version is deleted. "Is chunk D used?" is
 * then one seek, and a sweep needs no mark phase and no memory in
 * proportion to the store.
 *
 * What the references cannot see is an upload in flight: its chunks are
 * stored (PutChunk) or found present (FindMissingChunks) before the
 * commit that references them. Those calls touch the chunk records
 * (chunks.c), and the sweep keeps a chunk touched within its grace
 * period. The sweep's safety against commits does not depend on the
 * grace, only on locks: see store_gc() in store.h.
 */
#include <stdlib.h>
#include <string.h>

#include "storeint.h"

void
store_stage_chunk_refs(store *s, rocksdb_writebatch_t *wb, const char *name,
    const mr_semver *v, const mr_pb_manifest *m, bool put)
{
	rocksdb_column_family_handle_t *cf = s->cf[KEYS_CF_CATALOG];
	uint8_t key[KEYS_MAX];

	/* A chunk listed twice gets the same key twice: harmless. */
	for (size_t i = 0; i < m->n_files; i++) {
		for (size_t k = 0; k < m->files[i]->n_chunks; k++) {
			const ProtobufCBinaryData *d =
			    &m->files[i]->chunks[k]->digest;
			size_t n;

			if (d->len != MR_DIGEST_LEN)
				continue; /* refused before it is stored */
			n = keys_chunk_ref(key, d->data, name, v);
			if (put)
				rocksdb_writebatch_put_cf(
				    wb, cf, (const char *)key, n, "", 0);
			else
				rocksdb_writebatch_delete_cf(
				    wb, cf, (const char *)key, n);
		}
	}
}

/* ---- the reference index of an older store ------------------------------ */

/* Manifests whose references one migration batch writes. */
#define MIGRATE_BATCH 64

struct migrate {
	store *s;
	rocksdb_writebatch_t *wb;
	size_t pending;
	mr_status rv;
	mr_err *e;
};

static mr_status
migrate_flush(struct migrate *mg)
{
	char *err = NULL;

	if (mg->pending == 0)
		return MR_OK;
	rocksdb_write(mg->s->db, mg->s->wo_sync, mg->wb, &err);
	rocksdb_writebatch_clear(mg->wb);
	mg->pending = 0;
	if (err != NULL)
		return store_rocks_err(mg->e, "indexing chunk references", err);
	return MR_OK;
}

static int
migrate_one(
    void *arg, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen)
{
	struct migrate *mg = arg;
	char name[MR_NAME_MAX + 1];
	mr_pb_manifest *m;
	mr_semver sv;

	if (keys_ref_decode(k + 1, klen - 1, name, &sv) != 0 ||
	    (m = modelreg__v1__manifest__unpack(NULL, vlen, v)) == NULL) {
		mg->rv = mr_fail(mg->e, MR_DATA_LOSS,
		    "a stored manifest is damaged: its chunks cannot be "
		    "indexed for garbage collection");
		return 1;
	}
	store_stage_chunk_refs(mg->s, mg->wb, name, &sv, m, true);
	modelreg__v1__manifest__free_unpacked(m, NULL);
	if (++mg->pending == MIGRATE_BATCH)
		mg->rv = migrate_flush(mg);
	return mg->rv != MR_OK;
}

/*
 * Runs while the store opens, before anyone else can use it. An
 * interruption leaves the format record as it was, so the next open does
 * it again; writing a reference twice is harmless.
 */
mr_status
store_refs_migrate(store *s, mr_err *e)
{
	const uint8_t prefix[1] = {KEYS_MANIFEST};
	store_range r = {.cf = KEYS_CF_CATALOG, .prefix = prefix, .plen = 1};
	struct migrate mg = {.s = s, .rv = MR_OK, .e = e};
	mr_status rv;

	if ((mg.wb = rocksdb_writebatch_create()) == NULL)
		return mr_fail(e, MR_RESOURCE_EXHAUSTED, "out of memory");
	rv = store_scan_range(s, &r, migrate_one, &mg, "reading manifests", e);
	if (rv == MR_OK)
		rv = mg.rv;
	if (rv == MR_OK)
		rv = migrate_flush(&mg);
	rocksdb_writebatch_destroy(mg.wb);
	return rv;
}

/* ---- references --------------------------------------------------------- */

/* An iterator over every reference key, to seek per chunk. */
typedef struct ref_iter {
	rocksdb_readoptions_t *ro;
	rocksdb_iterator_t *it;
	uint8_t lower[1], upper[1];
} ref_iter;

static void
ref_iter_open(store *s, ref_iter *ri)
{
	ri->lower[0] = KEYS_CHUNK_REF;
	ri->upper[0] = KEYS_CHUNK_REF + 1;
	ri->ro = rocksdb_readoptions_create();
	rocksdb_readoptions_set_iterate_lower_bound(
	    ri->ro, (const char *)ri->lower, 1);
	rocksdb_readoptions_set_iterate_upper_bound(
	    ri->ro, (const char *)ri->upper, 1);
	ri->it =
	    rocksdb_create_iterator_cf(s->db, ri->ro, s->cf[KEYS_CF_CATALOG]);
}

static void
ref_iter_close(ref_iter *ri)
{
	rocksdb_iter_destroy(ri->it);
	rocksdb_readoptions_destroy(ri->ro);
}

/* Whether some key starts with 'R' digest. */
static mr_status
ref_iter_find(
    ref_iter *ri, const uint8_t digest[MR_DIGEST_LEN], bool *found, mr_err *e)
{
	uint8_t prefix[1 + MR_DIGEST_LEN];
	size_t plen = keys_chunk_ref(prefix, digest, NULL, NULL);
	char *err = NULL;

	rocksdb_iter_seek(ri->it, (const char *)prefix, plen);
	*found = false;
	if (rocksdb_iter_valid(ri->it)) {
		size_t klen;
		const char *k = rocksdb_iter_key(ri->it, &klen);
		*found = klen > plen && memcmp(k, prefix, plen) == 0;
		return MR_OK;
	}
	rocksdb_iter_get_error(ri->it, &err);
	if (err != NULL)
		return store_rocks_err(e, "reading chunk references", err);
	return MR_OK;
}

mr_status
store_chunk_referenced(
    store *s, const uint8_t digest[MR_DIGEST_LEN], bool *referenced, mr_err *e)
{
	ref_iter ri;
	mr_status rv;

	ref_iter_open(s, &ri);
	rv = ref_iter_find(&ri, digest, referenced, e);
	ref_iter_close(&ri);
	return rv;
}

/* ---- the sweep ----------------------------------------------------------- */

/* A chunk the sweep may delete, as its lock-free read found it. */
typedef struct gc_pick {
	uint8_t digest[MR_DIGEST_LEN];
} gc_pick;

struct gc_scan {
	ref_iter refs;
	int64_t cutoff; /* touched after it: within the grace */
	store_gc_stats *st;
	gc_pick picks[STORE_GC_BATCH];
	size_t n_picks;
	size_t read; /* records read in this batch */
	uint8_t last[MR_DIGEST_LEN];
	mr_status rv;
	mr_err *e;
};

/* One chunk record of the lock-free read: counted, kept or picked. */
static int
gc_scan_one(
    void *arg, const uint8_t *k, size_t klen, const uint8_t *v, size_t vlen)
{
	struct gc_scan *g = arg;
	keys_chunkmeta cm;
	bool used;

	if (klen != MR_DIGEST_LEN)
		return 0; /* not a chunk: the scrubber names it */
	memcpy(g->last, k, MR_DIGEST_LEN);
	g->st->scanned++;
	g->read++;
	if (keys_chunkmeta_decode(v, vlen, &cm) == 0 &&
	    (g->rv = ref_iter_find(&g->refs, k, &used, g->e)) == MR_OK) {
		if (used)
			g->st->kept_referenced++;
		else if (cm.touched_at_ms > g->cutoff)
			g->st->kept_grace++;
		else
			memcpy(g->picks[g->n_picks++].digest, k, MR_DIGEST_LEN);
	}
	return g->rv != MR_OK || g->read == STORE_GC_BATCH;
}

/*
 * Under the writer lock and the chunk lock: reads each pick again and
 * deletes (unless `dry_run`) those still unreferenced and untouched for
 * `grace_ms`, in one batch.
 */
static mr_status
gc_sweep_picks(store *s, const gc_pick *picks, size_t n, int64_t grace_ms,
    bool dry_run, store_gc_stats *st, mr_err *e)
{
	rocksdb_writebatch_t *wb = rocksdb_writebatch_create();
	int64_t cutoff = mr_now_ms() - grace_ms;
	mr_status rv = MR_OK;
	char *err = NULL;
	ref_iter refs;

	pthread_mutex_lock(&s->write_lock);
	pthread_rwlock_wrlock(&s->chunk_lock);
	ref_iter_open(s, &refs);
	for (size_t i = 0; i < n && rv == MR_OK; i++) {
		const char *d = (const char *)picks[i].digest;
		keys_chunkmeta cm;
		size_t mlen;
		char *meta;
		bool used;
		int bad;

		meta = rocksdb_get_cf(s->db, s->ro, s->cf[KEYS_CF_CHUNKMETA], d,
		    MR_DIGEST_LEN, &mlen, &err);
		if (err != NULL) {
			rv = store_rocks_err(e, "reading a chunk record", err);
			break;
		}
		if (meta == NULL)
			continue; /* another sweep took it */
		bad = keys_chunkmeta_decode((uint8_t *)meta, mlen, &cm);
		rocksdb_free(meta);
		if (bad != 0)
			continue;
		if ((rv = ref_iter_find(&refs, picks[i].digest, &used, e)) !=
		    MR_OK)
			break;
		if (used) {
			st->kept_referenced++;
		} else if (cm.touched_at_ms > cutoff) {
			st->kept_grace++;
		} else {
			st->deleted++;
			st->bytes_freed += cm.stored_len;
			rocksdb_writebatch_delete_cf(
			    wb, s->cf[KEYS_CF_CHUNKMETA], d, MR_DIGEST_LEN);
			rocksdb_writebatch_delete_cf(
			    wb, s->cf[KEYS_CF_CHUNKS], d, MR_DIGEST_LEN);
		}
	}
	ref_iter_close(&refs);
	/* Not synced: a deletion lost in a crash leaves garbage that the
	 * next sweep finds again. The record and the data go together. */
	if (rv == MR_OK && !dry_run && rocksdb_writebatch_count(wb) > 0) {
		rocksdb_write(s->db, s->wo_nosync, wb, &err);
		if (err != NULL)
			rv = store_rocks_err(e, "deleting chunks", err);
	}
	pthread_rwlock_unlock(&s->chunk_lock);
	pthread_mutex_unlock(&s->write_lock);
	rocksdb_writebatch_destroy(wb);
	return rv;
}

mr_status
store_gc(
    store *s, int64_t grace_ms, bool dry_run, store_gc_stats *out, mr_err *e)
{
	store_gc_stats st = {0};
	struct gc_scan *g = calloc(1, sizeof(*g));
	bool started = false;
	mr_status rv = MR_OK;

	if (g == NULL)
		return mr_fail(e, MR_RESOURCE_EXHAUSTED, "out of memory");
	if (grace_ms < 0)
		grace_ms = 0;
	g->st = &st;
	g->e = e;
	for (;;) {
		store_range r = {.cf = KEYS_CF_CHUNKMETA};

		if (started) {
			r.start = g->last;
			r.slen = MR_DIGEST_LEN;
			r.exclusive = true;
		}
		g->n_picks = 0;
		g->read = 0;
		g->rv = MR_OK;
		g->cutoff = mr_now_ms() - grace_ms;
		ref_iter_open(s, &g->refs);
		rv = store_scan_range(
		    s, &r, gc_scan_one, g, "reading chunk records", e);
		ref_iter_close(&g->refs);
		if (rv == MR_OK)
			rv = g->rv;
		if (rv == MR_OK && g->n_picks > 0)
			rv = gc_sweep_picks(
			    s, g->picks, g->n_picks, grace_ms, dry_run, &st, e);
		if (rv != MR_OK || g->read < STORE_GC_BATCH)
			break;
		started = true;
	}
	free(g);
	if (rv == MR_OK)
		*out = st;
	return rv;
}
