/*
 * catalog.c - models, versions, manifests and the stage index.
 *
 * A version's record carries its manifest's file list without the chunk
 * lists, which live under a key of their own: a 1 GiB artifact has ~1000
 * chunk refs (~50 KB), and the hot call (the version in production) should
 * not read them. Scans take a snapshot so that a scan through the stage
 * index and the records it points at sees one state of the catalog.
 *
 * A deleted version leaves a tombstone ('X'): its record as it was, with
 * the deletion's reason, author and time. Nothing lists tombstones; they
 * keep the version's number from being registered again (with other
 * bytes, which would break every reproduction that names it) and answer
 * point-in-time reads of the stages it was in.
 */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storeint.h"

mr_status
store_get_model(store *s, const char *name, mr_pb_model **out, mr_err *e)
{
	uint8_t key[KEYS_MAX];
	size_t n = keys_model(key, name);
	mr_status rv;

	rv = store_get_pb(s, NULL, KEYS_CF_CATALOG, key, n,
	    &modelreg__v1__model__descriptor, (ProtobufCMessage **)out, e);
	if (rv == MR_NOT_FOUND)
		mr_fail(e, rv, "model \"%s\" does not exist", name);
	return rv;
}

static mr_status
get_version_ro(store *s, const rocksdb_readoptions_t *ro, int kind,
    const char *name, const mr_semver *v, ProtobufCMessage **out, mr_err *e)
{
	uint8_t key[KEYS_MAX];
	size_t n = keys_version(key, kind, name, v);
	mr_status rv;

	rv = store_get_pb(s, ro, KEYS_CF_CATALOG, key, n,
	    kind == KEYS_MANIFEST ? &modelreg__v1__manifest__descriptor
				  : &modelreg__v1__model_version__descriptor,
	    out, e);
	if (rv == MR_NOT_FOUND) {
		char text[MR_VERSION_MAX + 1];
		mr_semver_format(v, text);
		mr_fail(e, rv, "version %s of model \"%s\" %s", text, name,
		    kind == KEYS_DELETED ? "was never deleted"
					 : "does not exist");
	}
	return rv;
}

mr_status
store_get_version(store *s, const char *name, const mr_semver *v,
    mr_pb_version **out, mr_err *e)
{
	return get_version_ro(s, NULL, KEYS_VERSION, name, v,
	    (ProtobufCMessage **)out, e);
}

mr_status
store_get_manifest(store *s, const char *name, const mr_semver *v,
    mr_pb_manifest **out, mr_err *e)
{
	return get_version_ro(s, NULL, KEYS_MANIFEST, name, v,
	    (ProtobufCMessage **)out, e);
}

mr_status
store_get_deleted(store *s, const char *name, const mr_semver *v,
    mr_pb_version **out, mr_err *e)
{
	return get_version_ro(s, NULL, KEYS_DELETED, name, v,
	    (ProtobufCMessage **)out, e);
}

/*
 * Iterates over the version keys under `prefix`, in either direction,
 * starting after `after`, and calls fn with each decoded version key.
 */
typedef int (*verkey_fn)(void *arg, const mr_semver *v, const uint8_t *val,
    size_t vlen);

struct verkey_scan {
	size_t plen;
	verkey_fn fn;
	void *arg;
	bool damaged;
};

static int
verkey_one(void *arg, const uint8_t *k, size_t klen, const uint8_t *v,
    size_t vlen)
{
	struct verkey_scan *vs = arg;
	mr_semver sv;

	if (keys_verkey_decode(k + vs->plen, klen - vs->plen, &sv) != 0) {
		vs->damaged = true;
		return 1;
	}
	return vs->fn(vs->arg, &sv, v, vlen);
}

static mr_status
scan_verkeys(store *s, const rocksdb_snapshot_t *snap, const uint8_t *prefix,
    size_t plen, const mr_semver *after, bool descending, verkey_fn fn,
    void *arg, mr_err *e)
{
	uint8_t start[KEYS_MAX];
	store_range r = {
		.cf = KEYS_CF_CATALOG,
		.prefix = prefix,
		.plen = plen,
		.descending = descending,
		.snap = snap,
	};
	struct verkey_scan vs = { .plen = plen, .fn = fn, .arg = arg };
	mr_status rv;

	if (after != NULL) {
		memcpy(start, prefix, plen);
		r.start = start;
		r.slen = plen + keys_verkey(start + plen, after);
		r.exclusive = true;
	}
	rv = store_scan_range(s, &r, verkey_one, &vs, "scanning versions", e);
	if (rv == MR_OK && vs.damaged)
		rv = mr_fail(e, MR_DATA_LOSS,
		    "a damaged version key in the catalog");
	return rv;
}

struct version_scan {
	store *s;
	const rocksdb_readoptions_t *ro;
	bool records; /* scanning 'V' keys, whose values are the records */
	const char *name;
	store_version_fn fn;
	void *arg;
	mr_status rv;
	mr_err *e;
};

static int
version_scan_one(void *arg, const mr_semver *v, const uint8_t *val,
    size_t vlen)
{
	struct version_scan *vs = arg;
	ProtobufCMessage *m;

	/* A scan of the version keys has the records in hand; a scan of the
	 * stage index reads each one. */
	if (vs->records) {
		m = protobuf_c_message_unpack(
		    &modelreg__v1__model_version__descriptor, NULL, vlen, val);
		if (m == NULL) {
			vs->rv = mr_fail(vs->e, MR_DATA_LOSS,
			    "a stored version record of \"%s\" is damaged",
			    vs->name);
			return 1;
		}
		return vs->fn(vs->arg, (mr_pb_version *)m);
	}
	vs->rv = get_version_ro(vs->s, vs->ro, KEYS_VERSION, vs->name, v, &m,
	    vs->e);
	if (vs->rv != MR_OK) {
		/* The stage index points at a missing version: the batch
		 * that wrote both was atomic, so this is damage. */
		if (vs->rv == MR_NOT_FOUND)
			vs->rv = mr_fail(vs->e, MR_DATA_LOSS,
			    "the stage index of \"%s\" names a missing version",
			    vs->name);
		return 1;
	}
	return vs->fn(vs->arg, (mr_pb_version *)m);
}

mr_status
store_scan_versions(store *s, const char *name, int stage,
    const mr_semver *after, bool descending, store_version_fn fn, void *arg,
    mr_err *e)
{
	uint8_t prefix[KEYS_MAX];
	size_t plen;
	const rocksdb_snapshot_t *snap = rocksdb_create_snapshot(s->db);
	rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
	struct version_scan vs = {
		.s = s,
		.ro = ro,
		.name = name,
		.fn = fn,
		.arg = arg,
		.rv = MR_OK,
		.e = e,
	};
	mr_status rv;

	rocksdb_readoptions_set_snapshot(ro, snap);
	if (stage != 0) {
		plen = keys_stage_prefix(prefix, name, stage);
	} else {
		plen = keys_version_prefix(prefix, KEYS_VERSION, name);
		vs.records = true;
	}
	rv = scan_verkeys(s, snap, prefix, plen, after, descending,
	    version_scan_one, &vs, e);
	if (rv == MR_OK)
		rv = vs.rv;
	rocksdb_readoptions_destroy(ro);
	rocksdb_release_snapshot(s->db, snap);
	return rv;
}

static int
keep_first(void *arg, mr_pb_version *v)
{
	*(mr_pb_version **)arg = v;
	return 1;
}

mr_status
store_latest_version(store *s, const char *name, int stage,
    mr_pb_version **out, mr_err *e)
{
	mr_pb_version *v = NULL;
	mr_status rv;

	rv = store_scan_versions(s, name, stage, NULL, true, keep_first, &v, e);
	if (rv != MR_OK)
		return rv;
	if (v == NULL) {
		if (stage != 0)
			return mr_fail(e, MR_NOT_FOUND,
			    "model \"%s\" has no version in %s", name,
			    mr_stage_name((mr_stage)stage));
		return mr_fail(e, MR_NOT_FOUND,
		    "model \"%s\" has no versions", name);
	}
	*out = v;
	return MR_OK;
}

struct first_record {
	bool found;
	ProtobufCMessage *m; /* NULL if found but damaged */
};

static int
keep_first_record(void *arg, const mr_semver *v, const uint8_t *val,
    size_t vlen)
{
	struct first_record *f = arg;

	(void)v;
	f->found = true;
	f->m = protobuf_c_message_unpack(
	    &modelreg__v1__model_version__descriptor, NULL, vlen, val);
	return 1;
}

mr_status
store_latest_deleted(store *s, const char *name, mr_pb_version **out,
    mr_err *e)
{
	uint8_t prefix[KEYS_MAX];
	size_t plen = keys_version_prefix(prefix, KEYS_DELETED, name);
	struct first_record f = { 0 };
	mr_status rv;

	rv = scan_verkeys(s, NULL, prefix, plen, NULL, true, keep_first_record,
	    &f, e);
	if (rv != MR_OK)
		return rv;
	if (!f.found)
		return mr_fail(e, MR_NOT_FOUND,
		    "model \"%s\" has no deleted versions", name);
	if (f.m == NULL)
		return mr_fail(e, MR_DATA_LOSS,
		    "a deleted version record of \"%s\" is damaged", name);
	*out = (mr_pb_version *)f.m;
	return MR_OK;
}

/*
 * Hands each record of a scan to `fn` as an unpacked message of type
 * `desc`; a record that does not unpack stops the scan as damage.
 */
struct record_scan {
	const ProtobufCMessageDescriptor *desc;
	int (*fn)(void *arg, ProtobufCMessage *m);
	void *arg;
	bool damaged;
};

static int
record_one(void *arg, const uint8_t *k, size_t klen, const uint8_t *v,
    size_t vlen)
{
	struct record_scan *rs = arg;
	ProtobufCMessage *m = protobuf_c_message_unpack(rs->desc, NULL, vlen, v);

	(void)k;
	(void)klen;
	if (m == NULL) {
		rs->damaged = true;
		return 1;
	}
	return rs->fn(rs->arg, m);
}

mr_status
store_scan_records(store *s, const store_range *r,
    const ProtobufCMessageDescriptor *desc,
    int (*fn)(void *arg, ProtobufCMessage *m), void *arg, mr_err *e)
{
	struct record_scan rs = { .desc = desc, .fn = fn, .arg = arg };
	char what[96];
	mr_status rv;

	snprintf(what, sizeof(what), "scanning %s records", desc->short_name);
	rv = store_scan_range(s, r, record_one, &rs, what, e);
	if (rv == MR_OK && rs.damaged)
		rv = mr_fail(e, MR_DATA_LOSS, "a stored %s record is damaged",
		    desc->name);
	return rv;
}

struct model_fwd {
	store_model_fn fn;
	void *arg;
};

static int
model_one(void *arg, ProtobufCMessage *m)
{
	struct model_fwd *f = arg;

	return f->fn(f->arg, (mr_pb_model *)m);
}

mr_status
store_scan_models(store *s, const char *after, store_model_fn fn, void *arg,
    mr_err *e)
{
	struct model_fwd f = { fn, arg };
	const uint8_t prefix[1] = { KEYS_MODEL };
	uint8_t start[KEYS_MAX];
	store_range r = { .cf = KEYS_CF_CATALOG, .prefix = prefix, .plen = 1 };

	if (after != NULL) {
		r.start = start;
		r.slen = keys_model(start, after);
		r.exclusive = true;
	}
	return store_scan_records(s, &r, &modelreg__v1__model__descriptor,
	    model_one, &f, e);
}

mr_status
store_txn_put_model(store_txn *t, const mr_pb_model *m, mr_err *e)
{
	uint8_t key[KEYS_MAX];
	size_t n = keys_model(key, m->name);

	return store_txn_put_pb(t, KEYS_CF_CATALOG, key, n, &m->base, e);
}

/* Stages (put) or removes the search index entries of a version. */
static void
index_entries(store_txn *t, const mr_pb_version *v, const mr_semver *sv,
    bool put)
{
	rocksdb_column_family_handle_t *cf = t->s->cf[KEYS_CF_CATALOG];
	uint8_t key[KEYS_MAX], stage = (uint8_t)v->stage;
	size_t n;

	n = keys_stage(key, v->name, (int)v->stage, sv);
	if (put)
		rocksdb_writebatch_put_cf(t->wb, cf, (const char *)key, n, "", 0);
	else
		rocksdb_writebatch_delete_cf(t->wb, cf, (const char *)key, n);
	n = keys_stage_all(key, (int)v->stage, v->name, sv);
	if (put)
		rocksdb_writebatch_put_cf(t->wb, cf, (const char *)key, n, "", 0);
	else
		rocksdb_writebatch_delete_cf(t->wb, cf, (const char *)key, n);
	/* Tag entries hold the version's stage, so that a search for a tag
	 * in one stage reads only the records it returns. */
	for (size_t i = 0; i < v->n_tags; i++) {
		n = keys_tag(key, v->tags[i]->key, v->tags[i]->value, v->name,
		    sv);
		if (put)
			rocksdb_writebatch_put_cf(t->wb, cf, (const char *)key,
			    n, (const char *)&stage, 1);
		else
			rocksdb_writebatch_delete_cf(t->wb, cf,
			    (const char *)key, n);
	}
}

/* Stages record `v` under `key`, its manifest's files without chunk
 * lists. */
static mr_status
put_record(store_txn *t, const uint8_t *key, size_t n, const mr_pb_version *v,
    mr_err *e)
{
	/* Pack a shallow copy whose files have no chunk lists. */
	mr_pb_version copy = *v;
	mr_pb_manifest man;
	size_t nf;
	Modelreg__V1__FileEntry *files, **ptrs;
	mr_status rv;

	if (v->manifest == NULL || v->manifest->n_files == 0)
		return store_txn_put_pb(t, KEYS_CF_CATALOG, key, n, &v->base,
		    e);
	nf = v->manifest->n_files;
	files = malloc(nf * sizeof(*files));
	ptrs = malloc(nf * sizeof(*ptrs));
	if (files == NULL || ptrs == NULL) {
		free(files);
		free(ptrs);
		return mr_fail(e, MR_RESOURCE_EXHAUSTED, "out of memory");
	}
	store_manifest_files_only(v->manifest, &man, files, ptrs);
	copy.manifest = &man;
	rv = store_txn_put_pb(t, KEYS_CF_CATALOG, key, n, &copy.base, e);
	free(files);
	free(ptrs);
	return rv;
}

mr_status
store_txn_put_version(store_txn *t, const mr_pb_version *v,
    const mr_pb_version *old, mr_err *e)
{
	uint8_t key[KEYS_MAX];
	mr_semver sv;
	mr_status rv;
	size_t n;

	if ((rv = mr_semver_parse(v->version, &sv, e)) != MR_OK)
		return rv;
	n = keys_version(key, KEYS_VERSION, v->name, &sv);
	if ((rv = put_record(t, key, n, v, e)) != MR_OK)
		return rv;
	/* Deletes come first: within a batch the later write of a key
	 * wins, so entries the new record keeps are put back. */
	if (old != NULL)
		index_entries(t, old, &sv, false);
	index_entries(t, v, &sv, true);
	return MR_OK;
}

mr_status
store_txn_delete_version(store_txn *t, const mr_pb_version *tomb, mr_err *e)
{
	rocksdb_column_family_handle_t *cf = t->s->cf[KEYS_CF_CATALOG];
	uint8_t key[KEYS_MAX];
	mr_pb_manifest *man;
	mr_semver sv;
	mr_status rv;
	size_t n;

	assert(tomb->deletion != NULL);
	if ((rv = mr_semver_parse(tomb->version, &sv, e)) != MR_OK)
		return rv;
	/* The references go with the manifest they were written from. */
	rv = store_get_manifest(t->s, tomb->name, &sv, &man, e);
	if (rv == MR_OK) {
		store_stage_chunk_refs(t->s, t->wb, tomb->name, &sv, man,
		    false);
		protobuf_c_message_free_unpacked(&man->base, NULL);
	} else if (rv != MR_NOT_FOUND) {
		return rv;
	}
	n = keys_version(key, KEYS_MANIFEST, tomb->name, &sv);
	rocksdb_writebatch_delete_cf(t->wb, cf, (const char *)key, n);
	n = keys_version(key, KEYS_VERSION, tomb->name, &sv);
	rocksdb_writebatch_delete_cf(t->wb, cf, (const char *)key, n);
	index_entries(t, tomb, &sv, false);
	n = keys_version(key, KEYS_DELETED, tomb->name, &sv);
	return put_record(t, key, n, tomb, e);
}

void
store_txn_delete_model(store_txn *t, const char *name)
{
	uint8_t key[KEYS_MAX];
	size_t n = keys_model(key, name);

	rocksdb_writebatch_delete_cf(t->wb, t->s->cf[KEYS_CF_CATALOG],
	    (const char *)key, n);
}

/* Index entries of the versions of a format-1 store, which had only the
 * per-model stage index. */
static int
migrate_one(void *arg, ProtobufCMessage *m)
{
	store_txn *t = arg;
	mr_pb_version *v = (mr_pb_version *)m;
	mr_semver sv;

	if (mr_semver_parse(v->version, &sv, NULL) == MR_OK)
		index_entries(t, v, &sv, true);
	protobuf_c_message_free_unpacked(m, NULL);
	return 0;
}

mr_status
store_catalog_migrate(store *s, mr_err *e)
{
	const uint8_t prefix[1] = { KEYS_VERSION };
	store_range r = { .cf = KEYS_CF_CATALOG, .prefix = prefix, .plen = 1 };
	store_txn *t;
	mr_status rv;

	if ((rv = store_txn_begin(s, &t, e)) != MR_OK)
		return rv;
	rv = store_scan_records(s, &r, &modelreg__v1__model_version__descriptor,
	    migrate_one, t, e);
	if (rv != MR_OK) {
		store_txn_abort(t);
		return rv;
	}
	return store_txn_commit(t, e);
}

/* ---- searches --------------------------------------------------------- */

struct ref_scan {
	store *s;
	const rocksdb_readoptions_t *ro;
	size_t skip; /* bytes of index prefix before "name 0x00 verkey" */
	bool records; /* the values are the records ('V' keys) */
	int stage;    /* tag entries: only this stage (0: any) */
	store_version_fn fn;
	void *arg;
	mr_status rv;
	mr_err *e;
};

static int
ref_one(void *arg, const uint8_t *k, size_t klen, const uint8_t *val,
    size_t vlen)
{
	struct ref_scan *rs = arg;
	char name[MR_NAME_MAX + 1];
	ProtobufCMessage *m;
	mr_semver sv;

	/* A tag entry of format 1 has no stage: read the record. */
	if (rs->stage != 0 && vlen == 1 && val[0] != rs->stage)
		return 0;
	if (keys_ref_decode(k + rs->skip, klen - rs->skip, name, &sv) != 0) {
		rs->rv = mr_fail(rs->e, MR_DATA_LOSS,
		    "a damaged search index key in the catalog");
		return 1;
	}
	if (rs->records) {
		m = protobuf_c_message_unpack(
		    &modelreg__v1__model_version__descriptor, NULL, vlen, val);
		if (m == NULL) {
			rs->rv = mr_fail(rs->e, MR_DATA_LOSS,
			    "a stored version record of \"%s\" is damaged",
			    name);
			return 1;
		}
	} else {
		rs->rv = get_version_ro(rs->s, rs->ro, KEYS_VERSION, name, &sv,
		    &m, rs->e);
		if (rs->rv != MR_OK) {
			if (rs->rv == MR_NOT_FOUND)
				rs->rv = mr_fail(rs->e, MR_DATA_LOSS,
				    "a search index names a missing version "
				    "of \"%s\"",
				    name);
			return 1;
		}
	}
	return rs->fn(rs->arg, (mr_pb_version *)m);
}

mr_status
store_scan_catalog(store *s, const store_query *q, store_version_fn fn,
    void *arg, mr_err *e)
{
	uint8_t prefix[KEYS_MAX], start[KEYS_MAX];
	const char *np = q->name_prefix != NULL ? q->name_prefix : "";
	const rocksdb_snapshot_t *snap = rocksdb_create_snapshot(s->db);
	rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
	struct ref_scan rs = {
		.s = s, .ro = ro, .fn = fn, .arg = arg, .rv = MR_OK, .e = e,
	};
	store_range r = { .cf = KEYS_CF_CATALOG, .snap = snap };
	mr_status rv;

	rocksdb_readoptions_set_snapshot(ro, snap);
	switch (q->index) {
	case STORE_BY_STAGE:
		r.plen = keys_stage_all(prefix, q->stage, np, NULL);
		rs.skip = r.plen - strlen(np);
		if (q->after_name != NULL)
			r.slen = keys_stage_all(start, q->stage, q->after_name,
			    q->after);
		break;
	case STORE_BY_TAG:
		rs.stage = q->stage;
		r.plen = keys_tag(prefix, q->tag_key, q->tag_value, np, NULL);
		rs.skip = r.plen - strlen(np);
		if (q->after_name != NULL)
			r.slen = keys_tag(start, q->tag_key, q->tag_value,
			    q->after_name, q->after);
		break;
	default:
		r.plen = keys_version_all(prefix, np, NULL);
		rs.skip = 1;
		rs.records = true;
		if (q->after_name != NULL)
			r.slen = keys_version_all(start, q->after_name,
			    q->after);
		break;
	}
	r.prefix = prefix;
	if (q->after_name != NULL) {
		r.start = start;
		r.exclusive = true;
		/* A page token before the prefix starts at the prefix. */
		if (memcmp(start, prefix, r.plen < r.slen ? r.plen : r.slen) < 0)
			r.start = NULL;
	}
	rv = store_scan_range(s, &r, ref_one, &rs, "searching the catalog", e);
	if (rv == MR_OK)
		rv = rs.rv;
	rocksdb_readoptions_destroy(ro);
	rocksdb_release_snapshot(s->db, snap);
	return rv;
}

void
store_manifest_files_only(const mr_pb_manifest *m, mr_pb_manifest *out,
    Modelreg__V1__FileEntry *files, Modelreg__V1__FileEntry **ptrs)
{
	*out = *m;
	for (size_t i = 0; i < m->n_files; i++) {
		files[i] = *m->files[i];
		files[i].n_chunks = 0;
		files[i].chunks = NULL;
		ptrs[i] = &files[i];
	}
	out->files = ptrs;
}

mr_status
store_txn_put_manifest(store_txn *t, const char *name, const mr_semver *v,
    const mr_pb_manifest *m, mr_err *e)
{
	uint8_t key[KEYS_MAX];
	size_t n = keys_version(key, KEYS_MANIFEST, name, v);
	mr_status rv;

	if ((rv = store_txn_put_pb(t, KEYS_CF_CATALOG, key, n, &m->base, e)) !=
	    MR_OK)
		return rv;
	store_stage_chunk_refs(t->s, t->wb, name, v, m, true);
	return MR_OK;
}
