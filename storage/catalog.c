/*
 * catalog.c - models, versions, manifests and the stage index.
 *
 * A version's record carries its manifest's file list without the chunk
 * lists, which live under a key of their own: a 1 GiB artifact has ~1000
 * chunk refs (~50 KB), and the hot call (the version in production) should
 * not read them. Scans take a snapshot so that a scan through the stage
 * index and the records it points at sees one state of the catalog.
 */
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
	    kind == KEYS_VERSION ? &modelreg__v1__model_version__descriptor
				 : &modelreg__v1__manifest__descriptor,
	    out, e);
	if (rv == MR_NOT_FOUND) {
		char text[MR_VERSION_MAX + 1];
		mr_semver_format(v, text);
		mr_fail(e, rv, "version %s of model \"%s\" does not exist",
		    text, name);
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

/* The smallest key greater than every key starting with prefix[0..n). */
static void
prefix_end(uint8_t *end, const uint8_t *prefix, size_t n)
{
	/* Our prefixes end in 0x00, a stage number or a kind letter, never
	 * 0xff, so incrementing the last byte is enough. */
	memcpy(end, prefix, n);
	end[n - 1]++;
}

/*
 * Iterates over the version keys under `prefix`, in either direction,
 * starting after `after`, and calls fn with each decoded version key.
 */
typedef int (*verkey_fn)(void *arg, const mr_semver *v);

static mr_status
scan_verkeys(store *s, const rocksdb_snapshot_t *snap, const uint8_t *prefix,
    size_t plen, const mr_semver *after, bool descending, verkey_fn fn,
    void *arg, mr_err *e)
{
	uint8_t end[KEYS_MAX], start[KEYS_MAX];
	rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
	rocksdb_iterator_t *it;
	char *err = NULL;
	mr_status rv = MR_OK;
	size_t slen = plen;

	prefix_end(end, prefix, plen);
	rocksdb_readoptions_set_iterate_lower_bound(ro, (const char *)prefix,
	    plen);
	rocksdb_readoptions_set_iterate_upper_bound(ro, (const char *)end,
	    plen);
	if (snap != NULL)
		rocksdb_readoptions_set_snapshot(ro, snap);
	it = rocksdb_create_iterator_cf(s->db, ro, s->cf[KEYS_CF_CATALOG]);

	memcpy(start, prefix, plen);
	if (after != NULL)
		slen += keys_verkey(start + plen, after);
	if (!descending) {
		rocksdb_iter_seek(it, (const char *)start, slen);
	} else if (after != NULL) {
		rocksdb_iter_seek_for_prev(it, (const char *)start, slen);
	} else {
		rocksdb_iter_seek_to_last(it);
	}
	for (; rocksdb_iter_valid(it);
	    descending ? rocksdb_iter_prev(it) : rocksdb_iter_next(it)) {
		size_t klen;
		const uint8_t *k = (const uint8_t *)rocksdb_iter_key(it, &klen);
		mr_semver v;

		if (after != NULL && klen == slen && memcmp(k, start, slen) == 0)
			continue; /* `after` itself is excluded */
		if (keys_verkey_decode(k + plen, klen - plen, &v) != 0) {
			rv = mr_fail(e, MR_DATA_LOSS,
			    "a damaged version key in the catalog");
			break;
		}
		if (fn(arg, &v) != 0)
			break;
	}
	if (rv == MR_OK) {
		rocksdb_iter_get_error(it, &err);
		if (err != NULL)
			rv = store_rocks_err(e, "scanning versions", err);
	}
	rocksdb_iter_destroy(it);
	rocksdb_readoptions_destroy(ro);
	return rv;
}

struct version_scan {
	store *s;
	const rocksdb_readoptions_t *ro;
	const char *name;
	store_version_fn fn;
	void *arg;
	mr_status rv;
	mr_err *e;
};

static int
version_scan_one(void *arg, const mr_semver *v)
{
	struct version_scan *vs = arg;
	ProtobufCMessage *m;

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
	if (stage != 0)
		plen = keys_stage_prefix(prefix, name, stage);
	else
		plen = keys_version_prefix(prefix, KEYS_VERSION, name);
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

mr_status
store_scan_models(store *s, const char *after, store_model_fn fn, void *arg,
    mr_err *e)
{
	const uint8_t lower[1] = { KEYS_MODEL }, upper[1] = { KEYS_MODEL + 1 };
	rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
	rocksdb_iterator_t *it;
	uint8_t start[KEYS_MAX];
	size_t slen = 1;
	char *err = NULL;
	mr_status rv = MR_OK;

	rocksdb_readoptions_set_iterate_lower_bound(ro, (const char *)lower, 1);
	rocksdb_readoptions_set_iterate_upper_bound(ro, (const char *)upper, 1);
	it = rocksdb_create_iterator_cf(s->db, ro, s->cf[KEYS_CF_CATALOG]);
	start[0] = KEYS_MODEL;
	if (after != NULL)
		slen = keys_model(start, after);
	for (rocksdb_iter_seek(it, (const char *)start, slen);
	    rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
		size_t klen, vlen;
		const char *k = rocksdb_iter_key(it, &klen);
		const char *val;
		mr_pb_model *m;

		if (after != NULL && klen == slen && memcmp(k, start, slen) == 0)
			continue;
		val = rocksdb_iter_value(it, &vlen);
		m = modelreg__v1__model__unpack(NULL, vlen,
		    (const uint8_t *)val);
		if (m == NULL) {
			rv = mr_fail(e, MR_DATA_LOSS,
			    "a stored model record is damaged");
			break;
		}
		if (fn(arg, m) != 0)
			break;
	}
	if (rv == MR_OK) {
		rocksdb_iter_get_error(it, &err);
		if (err != NULL)
			rv = store_rocks_err(e, "scanning models", err);
	}
	rocksdb_iter_destroy(it);
	rocksdb_readoptions_destroy(ro);
	return rv;
}

mr_status
store_txn_put_model(store_txn *t, const mr_pb_model *m, mr_err *e)
{
	uint8_t key[KEYS_MAX];
	size_t n = keys_model(key, m->name);

	return store_txn_put_pb(t, KEYS_CF_CATALOG, key, n, &m->base, e);
}

mr_status
store_txn_put_version(store_txn *t, const mr_pb_version *v, int old_stage,
    mr_err *e)
{
	uint8_t key[KEYS_MAX];
	mr_semver sv;
	mr_status rv;
	size_t n;

	if ((rv = mr_semver_parse(v->version, &sv, e)) != MR_OK)
		return rv;
	n = keys_version(key, KEYS_VERSION, v->name, &sv);
	if (v->manifest != NULL && v->manifest->n_files > 0) {
		/* Pack a shallow copy whose files have no chunk lists. */
		mr_pb_version copy = *v;
		mr_pb_manifest man = *v->manifest;
		size_t nf = man.n_files;
		Modelreg__V1__FileEntry *files = malloc(nf * sizeof(*files));
		Modelreg__V1__FileEntry **ptrs = malloc(nf * sizeof(*ptrs));

		if (files == NULL || ptrs == NULL) {
			free(files);
			free(ptrs);
			return mr_fail(e, MR_RESOURCE_EXHAUSTED,
			    "out of memory");
		}
		for (size_t i = 0; i < nf; i++) {
			files[i] = *man.files[i];
			files[i].n_chunks = 0;
			files[i].chunks = NULL;
			ptrs[i] = &files[i];
		}
		man.files = ptrs;
		copy.manifest = &man;
		rv = store_txn_put_pb(t, KEYS_CF_CATALOG, key, n, &copy.base,
		    e);
		free(files);
		free(ptrs);
	} else {
		rv = store_txn_put_pb(t, KEYS_CF_CATALOG, key, n, &v->base, e);
	}
	if (rv != MR_OK)
		return rv;
	if (old_stage != (int)v->stage) {
		if (old_stage != 0) {
			n = keys_stage(key, v->name, old_stage, &sv);
			rocksdb_writebatch_delete_cf(t->wb,
			    t->s->cf[KEYS_CF_CATALOG], (const char *)key, n);
		}
		n = keys_stage(key, v->name, (int)v->stage, &sv);
		rocksdb_writebatch_put_cf(t->wb, t->s->cf[KEYS_CF_CATALOG],
		    (const char *)key, n, "", 0);
	}
	return MR_OK;
}

mr_status
store_txn_put_manifest(store_txn *t, const char *name, const mr_semver *v,
    const mr_pb_manifest *m, mr_err *e)
{
	uint8_t key[KEYS_MAX];
	size_t n = keys_version(key, KEYS_MANIFEST, name, v);

	return store_txn_put_pb(t, KEYS_CF_CATALOG, key, n, &m->base, e);
}
