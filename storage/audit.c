/*
 * audit.c - the hash-chained audit log.
 *
 * Records are numbered from 1 without gaps and kept under 'L' seq in the
 * audit column family, with an index entry per model. Each record carries
 * the hash of the one before it and its own hash, the SHA-256 of the
 * record packed with `hash` empty; the "audit_head" record in the default
 * family names the last record and its hash. Appends are staged in the
 * writer's transaction, so a record commits exactly when its change does,
 * and the head moves in the same batch.
 *
 * Verification recomputes everything from record 1: a record edited in
 * place fails its own hash, a record removed or reordered breaks the
 * sequence or the next record's prev_hash, and a tail cut off disagrees
 * with the head.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "chunk.h"
#include "storeint.h"

#define HEAD_LEN (8 + MR_DIGEST_LEN)

mr_status
store_audit_load(store *s, mr_err *e)
{
	char *err = NULL;
	size_t len;
	char *val;

	val = rocksdb_get_cf(s->db, s->ro, s->cf[KEYS_CF_DEFAULT],
	    KEYS_AUDIT_HEAD, strlen(KEYS_AUDIT_HEAD), &len, &err);
	if (err != NULL)
		return store_rocks_err(e, "reading the audit head", err);
	if (val == NULL)
		return MR_OK;
	if (len != HEAD_LEN) {
		rocksdb_free(val);
		return mr_fail(e, MR_DATA_LOSS,
		    "the audit head record is %zu bytes, not %d", len,
		    HEAD_LEN);
	}
	s->audit_seq = keys_get_u64((const uint8_t *)val);
	memcpy(s->audit_hash, val + 8, MR_DIGEST_LEN);
	rocksdb_free(val);
	return MR_OK;
}

void
store_audit_stage_head(store_txn *t)
{
	uint8_t buf[HEAD_LEN];

	if (t->audit_seq == 0)
		return;
	keys_put_u64(buf, t->audit_seq);
	memcpy(buf + 8, t->audit_hash, MR_DIGEST_LEN);
	rocksdb_writebatch_put_cf(t->wb, t->s->cf[KEYS_CF_DEFAULT],
	    KEYS_AUDIT_HEAD, strlen(KEYS_AUDIT_HEAD), (const char *)buf,
	    sizeof(buf));
}

/* The hash of `r` as it stands, with its `hash` field left out. */
static mr_status
record_hash(const mr_pb_audit *r, uint8_t out[MR_DIGEST_LEN], mr_err *e)
{
	mr_pb_audit copy = *r;
	size_t n;
	uint8_t *buf;

	copy.hash.len = 0;
	copy.hash.data = NULL;
	n = modelreg__v1__audit_record__get_packed_size(&copy);
	if ((buf = malloc(n > 0 ? n : 1)) == NULL)
		return mr_fail(e, MR_RESOURCE_EXHAUSTED, "out of memory");
	modelreg__v1__audit_record__pack(&copy, buf);
	mr_sha256_once(buf, n, out);
	free(buf);
	return MR_OK;
}

mr_status
store_txn_append_audit(store_txn *t, mr_pb_audit *r, mr_err *e)
{
	uint8_t key[KEYS_MAX], *prev, *hash;
	mr_status rv;
	size_t n;

	prev = t->audit_seq != 0 ? t->audit_hash : t->s->audit_hash;
	r->seq = (t->audit_seq != 0 ? t->audit_seq : t->s->audit_seq) + 1;
	/* The record keeps pointers to both digests until it is packed:
	 * copy them into memory the record owns for this call. */
	if ((hash = malloc(2 * MR_DIGEST_LEN)) == NULL)
		return mr_fail(e, MR_RESOURCE_EXHAUSTED, "out of memory");
	memcpy(hash, prev, MR_DIGEST_LEN);
	r->prev_hash.data = hash;
	r->prev_hash.len = MR_DIGEST_LEN;
	r->hash.len = 0;
	if ((rv = record_hash(r, hash + MR_DIGEST_LEN, e)) != MR_OK)
		goto done;
	r->hash.data = hash + MR_DIGEST_LEN;
	r->hash.len = MR_DIGEST_LEN;
	n = keys_audit(key, r->seq);
	if ((rv = store_txn_put_pb(t, KEYS_CF_AUDIT, key, n, &r->base, e)) !=
	    MR_OK)
		goto done;
	if (r->model[0] != '\0') {
		n = keys_audit_model(key, r->model, r->seq);
		rocksdb_writebatch_put_cf(t->wb, t->s->cf[KEYS_CF_AUDIT],
		    (const char *)key, n, "", 0);
	}
	t->audit_seq = r->seq;
	memcpy(t->audit_hash, hash + MR_DIGEST_LEN, MR_DIGEST_LEN);
done:
	/* The batch holds the packed bytes now; the record must not keep
	 * pointers into memory freed here. */
	r->prev_hash.data = NULL;
	r->prev_hash.len = 0;
	r->hash.data = NULL;
	r->hash.len = 0;
	free(hash);
	return rv;
}

/* ---- reading ------------------------------------------------------------ */

struct audit_fwd {
	store *s;
	store_audit_fn fn;
	void *arg;
	mr_status rv;
	mr_err *e;
};

static int
audit_one(void *arg, ProtobufCMessage *m)
{
	struct audit_fwd *f = arg;

	return f->fn(f->arg, (mr_pb_audit *)m);
}

/* By model: the index entry's seq, then the record. */
static int
audit_ref(void *arg, const uint8_t *k, size_t klen, const uint8_t *v,
    size_t vlen)
{
	struct audit_fwd *f = arg;
	uint8_t key[16];
	ProtobufCMessage *m;
	size_t n;

	(void)v;
	(void)vlen;
	n = keys_audit(key, keys_get_u64(k + klen - 8));
	f->rv = store_get_pb(f->s, NULL, KEYS_CF_AUDIT, key, n,
	    &modelreg__v1__audit_record__descriptor, &m, f->e);
	if (f->rv != MR_OK) {
		if (f->rv == MR_NOT_FOUND)
			f->rv = mr_fail(f->e, MR_DATA_LOSS,
			    "the audit index names a missing record");
		return 1;
	}
	return f->fn(f->arg, (mr_pb_audit *)m);
}

mr_status
store_scan_audit(store *s, const char *model, uint64_t after,
    store_audit_fn fn, void *arg, mr_err *e)
{
	uint8_t prefix[KEYS_MAX], start[KEYS_MAX];
	struct audit_fwd f = { s, fn, arg, MR_OK, e };
	store_range r = { .cf = KEYS_CF_AUDIT, .prefix = prefix };
	mr_status rv;

	if (model == NULL) {
		prefix[0] = KEYS_AUDIT_LOG;
		r.plen = 1;
		if (after > 0) {
			r.start = start;
			r.slen = keys_audit(start, after);
			r.exclusive = true;
		}
		return store_scan_records(s, &r,
		    &modelreg__v1__audit_record__descriptor, audit_one, &f, e);
	}
	r.plen = keys_audit_model(prefix, model, 0);
	if (after > 0) {
		r.start = start;
		r.slen = keys_audit_model(start, model, after);
		r.exclusive = true;
	}
	rv = store_scan_range(s, &r, audit_ref, &f, "scanning the audit log",
	    e);
	return rv != MR_OK ? rv : f.rv;
}

/* ---- verification ------------------------------------------------------- */

struct verify {
	store_audit_check *out;
	uint8_t prev[MR_DIGEST_LEN];
	mr_status rv;
	mr_err *e;
};

static int
broken(struct verify *v, uint64_t seq, const char *fmt, const char *detail)
{
	v->out->first_broken = seq;
	snprintf(v->out->problem, sizeof(v->out->problem), fmt, detail);
	return 1;
}

static int
verify_raw(void *arg, const uint8_t *k, size_t klen, const uint8_t *val,
    size_t vlen)
{
	struct verify *v = arg;
	uint64_t want = v->out->records + 1, seq;
	uint8_t h[MR_DIGEST_LEN];
	mr_pb_audit *r;
	int stop = 0;

	seq = klen == 9 ? keys_get_u64(k + 1) : 0;
	if (seq != want)
		return broken(v, want,
		    "%s", seq == 0 ? "a damaged key in the audit log"
				   : "the record is missing (the sequence "
				     "skips it)");
	r = modelreg__v1__audit_record__unpack(NULL, vlen, val);
	if (r == NULL)
		return broken(v, seq, "%s", "the record does not decode");
	v->out->records++;
	if (r->seq != seq)
		stop = broken(v, seq, "%s",
		    "the record's sequence number differs from its key");
	else if (r->prev_hash.len != MR_DIGEST_LEN ||
	    memcmp(r->prev_hash.data, v->prev, MR_DIGEST_LEN) != 0)
		stop = broken(v, seq, "%s",
		    "its prev_hash is not the previous record's hash (a record "
		    "before it was changed, removed or reordered)");
	else if ((v->rv = record_hash(r, h, v->e)) != MR_OK)
		stop = 1;
	else if (r->hash.len != MR_DIGEST_LEN ||
	    memcmp(r->hash.data, h, MR_DIGEST_LEN) != 0)
		stop = broken(v, seq, "%s",
		    "its contents do not match its hash (the record was "
		    "changed)");
	else
		memcpy(v->prev, h, MR_DIGEST_LEN);
	modelreg__v1__audit_record__free_unpacked(r, NULL);
	return stop;
}

mr_status
store_audit_verify(store *s, store_audit_check *out, mr_err *e)
{
	const uint8_t prefix[1] = { KEYS_AUDIT_LOG };
	store_range r = { .cf = KEYS_CF_AUDIT, .prefix = prefix, .plen = 1 };
	struct verify v = { .out = out, .rv = MR_OK, .e = e };
	uint64_t head_seq;
	uint8_t head[MR_DIGEST_LEN];
	mr_status rv;

	memset(out, 0, sizeof(*out));
	/* The head and the log as of one moment: writers append while we
	 * read, and their records are not in the snapshot. */
	pthread_mutex_lock(&s->write_lock);
	head_seq = s->audit_seq;
	memcpy(head, s->audit_hash, MR_DIGEST_LEN);
	r.snap = rocksdb_create_snapshot(s->db);
	pthread_mutex_unlock(&s->write_lock);

	rv = store_scan_range(s, &r, verify_raw, &v, "verifying the audit log",
	    e);
	rocksdb_release_snapshot(s->db, r.snap);
	if (rv != MR_OK || (rv = v.rv) != MR_OK)
		return rv;
	memcpy(out->head_hash, v.prev, MR_DIGEST_LEN);
	if (out->first_broken != 0)
		return MR_OK;
	if (out->records > head_seq) {
		out->first_broken = head_seq + 1;
		snprintf(out->problem, sizeof(out->problem),
		    "the log goes on past its head (record %llu): records were "
		    "added behind the registry",
		    (unsigned long long)head_seq);
	} else if (out->records < head_seq) {
		out->first_broken = out->records + 1;
		snprintf(out->problem, sizeof(out->problem),
		    "the log ends at record %llu but its head names record "
		    "%llu (records were removed from the end)",
		    (unsigned long long)out->records,
		    (unsigned long long)head_seq);
	} else if (head_seq > 0 && out->records == head_seq &&
	    memcmp(out->head_hash, head, MR_DIGEST_LEN) != 0) {
		out->first_broken = head_seq;
		snprintf(out->problem, sizeof(out->problem),
		    "the last record's hash is not the one its head "
		    "recorded");
	}
	return MR_OK;
}
