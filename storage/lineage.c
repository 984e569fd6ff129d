/*
 * lineage.c - the lineage graph in its column family.
 *
 * Nodes are records under their id. Each edge is two empty values, one
 * under "D from 0x00 type to" and one under "U to 0x00 type from", so the
 * edges out of a node and the edges into it are each one prefix scan, and
 * a walk of depth d is d rounds of scans. Both keys of an edge are always
 * staged in the same batch, which is the invariant store_lineage_check
 * verifies. Two small indexes find nodes by kind and version or by kind
 * and name, which is how metadata such as training_data_version = v2024-01
 * finds its dataset; dangling references are indexed by what would
 * resolve them, so the node that finally appears can link them at once.
 */
#include <stdlib.h>
#include <string.h>

#include "storeint.h"

mr_status
store_get_node(store *s, const char *id, mr_pb_node **out, mr_err *e)
{
	uint8_t key[KEYS_MAX];
	size_t n = keys_node(key, id);
	mr_status rv;

	rv = store_get_pb(s, NULL, KEYS_CF_LINEAGE, key, n,
	    &modelreg__v1__node__descriptor, (ProtobufCMessage **)out, e);
	if (rv == MR_NOT_FOUND)
		mr_fail(e, rv, "lineage node \"%s\" does not exist", id);
	return rv;
}

/* Every key starting with prefix[0..plen), in order. */
static mr_status
scan_prefix(store *s, const uint8_t *prefix, size_t plen, store_kv_fn fn,
    void *arg, mr_err *e)
{
	const store_range r = {
		.cf = KEYS_CF_LINEAGE,
		.prefix = prefix,
		.plen = plen,
	};

	return store_scan_range(s, &r, fn, arg, "scanning lineage", e);
}

/* Copies key bytes into a NUL-terminated buffer; -1 if they don't fit. */
static int
text_of(char *out, size_t cap, const void *p, size_t n)
{
	if (n >= cap)
		return -1;
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

struct edge_scan {
	store_edge_fn fn;
	void *arg;
	bool damaged;
};

static int
edge_one(void *arg, const uint8_t *k, size_t n, const uint8_t *v,
    size_t vlen)
{
	(void)v;
	(void)vlen;
	struct edge_scan *es = arg;
	char far[KEYS_MAX];
	const char *p;
	size_t len;
	int type;

	if (keys_edge_decode(k, n, &type, &p, &len) != 0 ||
	    text_of(far, sizeof(far), p, len) != 0) {
		es->damaged = true;
		return 1;
	}
	return es->fn(es->arg, far, type);
}

mr_status
store_scan_edges(store *s, const char *id, bool downstream, store_edge_fn fn,
    void *arg, mr_err *e)
{
	uint8_t prefix[KEYS_MAX];
	size_t n = keys_edge(prefix, downstream ? KEYS_EDGE_DOWN : KEYS_EDGE_UP,
	    id, 0, NULL);
	struct edge_scan es = { .fn = fn, .arg = arg };
	mr_status rv;

	if ((rv = scan_prefix(s, prefix, n, edge_one, &es, e)) != MR_OK)
		return rv;
	if (es.damaged)
		return mr_fail(e, MR_DATA_LOSS,
		    "a damaged edge key under lineage node \"%s\"", id);
	return MR_OK;
}

struct id_scan {
	size_t skip; /* bytes of prefix before the id */
	store_id_fn fn;
	void *arg;
	bool damaged;
};

static int
id_one(void *arg, const uint8_t *k, size_t n, const uint8_t *v,
    size_t vlen)
{
	(void)v;
	(void)vlen;
	struct id_scan *is = arg;
	char id[KEYS_MAX];

	if (text_of(id, sizeof(id), k + is->skip, n - is->skip) != 0) {
		is->damaged = true;
		return 1;
	}
	return is->fn(is->arg, id);
}

mr_status
store_find_nodes(store *s, int kind, bool by_version, const char *key,
    store_id_fn fn, void *arg, mr_err *e)
{
	uint8_t prefix[KEYS_MAX];
	size_t n = keys_node_index(prefix,
	    by_version ? KEYS_NODE_BY_VERSION : KEYS_NODE_BY_NAME, kind, key,
	    NULL);
	struct id_scan is = { .skip = n, .fn = fn, .arg = arg };
	mr_status rv;

	if ((rv = scan_prefix(s, prefix, n, id_one, &is, e)) != MR_OK)
		return rv;
	if (is.damaged)
		return mr_fail(e, MR_DATA_LOSS, "a damaged lineage index key");
	return MR_OK;
}

struct node_fwd {
	int kind;
	store_node_fn fn;
	void *arg;
};

static int
node_one(void *arg, ProtobufCMessage *m)
{
	struct node_fwd *f = arg;
	mr_pb_node *n = (mr_pb_node *)m;

	if (f->kind != 0 && (int)n->kind != f->kind) {
		modelreg__v1__node__free_unpacked(n, NULL);
		return 0;
	}
	return f->fn(f->arg, n);
}

mr_status
store_scan_nodes(store *s, int kind, const char *after, store_node_fn fn,
    void *arg, mr_err *e)
{
	const uint8_t prefix[1] = { KEYS_NODE };
	uint8_t start[KEYS_MAX];
	struct node_fwd f = { kind, fn, arg };
	store_range r = { .cf = KEYS_CF_LINEAGE, .prefix = prefix, .plen = 1 };

	if (after != NULL) {
		r.start = start;
		r.slen = keys_node(start, after);
		r.exclusive = true;
	}
	return store_scan_records(s, &r, &modelreg__v1__node__descriptor,
	    node_one, &f, e);
}

struct dangling_scan {
	size_t skip;
	store_dangling_fn fn;
	void *arg;
	bool damaged;
};

static int
dangling_one(void *arg, const uint8_t *k, size_t n, const uint8_t *v,
    size_t vlen)
{
	(void)v;
	(void)vlen;
	struct dangling_scan *ds = arg;
	char id[KEYS_MAX];

	if (n < ds->skip + 2 ||
	    text_of(id, sizeof(id), k + ds->skip + 1, n - ds->skip - 1) != 0) {
		ds->damaged = true;
		return 1;
	}
	return ds->fn(ds->arg, id, k[ds->skip]);
}

mr_status
store_scan_dangling(store *s, int kind, const char *ref, store_dangling_fn fn,
    void *arg, mr_err *e)
{
	uint8_t prefix[KEYS_MAX];
	size_t n = keys_dangling(prefix, kind, ref, 0, NULL);
	struct dangling_scan ds = { .skip = n, .fn = fn, .arg = arg };
	mr_status rv;

	if ((rv = scan_prefix(s, prefix, n, dangling_one, &ds, e)) != MR_OK)
		return rv;
	if (ds.damaged)
		return mr_fail(e, MR_DATA_LOSS, "a damaged dangling-reference key");
	return MR_OK;
}

static void
index_keys(store_txn *t, const mr_pb_node *n, bool put)
{
	rocksdb_column_family_handle_t *cf = t->s->cf[KEYS_CF_LINEAGE];
	uint8_t key[KEYS_MAX];
	size_t len;

	if (n->version[0] != '\0') {
		len = keys_node_index(key, KEYS_NODE_BY_VERSION, (int)n->kind,
		    n->version, n->id);
		if (put)
			rocksdb_writebatch_put_cf(t->wb, cf, (const char *)key,
			    len, "", 0);
		else
			rocksdb_writebatch_delete_cf(t->wb, cf,
			    (const char *)key, len);
	}
	if (n->name[0] != '\0') {
		len = keys_node_index(key, KEYS_NODE_BY_NAME, (int)n->kind,
		    n->name, n->id);
		if (put)
			rocksdb_writebatch_put_cf(t->wb, cf, (const char *)key,
			    len, "", 0);
		else
			rocksdb_writebatch_delete_cf(t->wb, cf,
			    (const char *)key, len);
	}
}

mr_status
store_txn_put_node(store_txn *t, const mr_pb_node *n, const mr_pb_node *old,
    mr_err *e)
{
	uint8_t key[KEYS_MAX];
	size_t len = keys_node(key, n->id);

	/* A node's id is its kind, name and version, so a stored node's
	 * index entries never move; only a new node adds them. */
	if (old == NULL)
		index_keys(t, n, true);
	return store_txn_put_pb(t, KEYS_CF_LINEAGE, key, len, &n->base, e);
}

mr_status
store_txn_delete_node(store_txn *t, const mr_pb_node *n, mr_err *e)
{
	uint8_t key[KEYS_MAX];
	size_t len = keys_node(key, n->id);

	(void)e;
	index_keys(t, n, false);
	rocksdb_writebatch_delete_cf(t->wb, t->s->cf[KEYS_CF_LINEAGE],
	    (const char *)key, len);
	return MR_OK;
}

static void
edge_keys(store_txn *t, const char *from, const char *to, int type, bool put)
{
	rocksdb_column_family_handle_t *cf = t->s->cf[KEYS_CF_LINEAGE];
	uint8_t down[KEYS_MAX], up[KEYS_MAX];
	size_t dn = keys_edge(down, KEYS_EDGE_DOWN, from, type, to);
	size_t un = keys_edge(up, KEYS_EDGE_UP, to, type, from);

	if (put) {
		rocksdb_writebatch_put_cf(t->wb, cf, (const char *)down, dn, "",
		    0);
		rocksdb_writebatch_put_cf(t->wb, cf, (const char *)up, un, "", 0);
	} else {
		rocksdb_writebatch_delete_cf(t->wb, cf, (const char *)down, dn);
		rocksdb_writebatch_delete_cf(t->wb, cf, (const char *)up, un);
	}
}

void
store_txn_put_edge(store_txn *t, const char *from, const char *to, int type)
{
	edge_keys(t, from, to, type, true);
}

void
store_txn_delete_edge(store_txn *t, const char *from, const char *to,
    int type)
{
	edge_keys(t, from, to, type, false);
}

void
store_txn_put_dangling(store_txn *t, int kind, const char *ref, int field,
    const char *model_id)
{
	uint8_t key[KEYS_MAX];
	size_t n = keys_dangling(key, kind, ref, field, model_id);

	rocksdb_writebatch_put_cf(t->wb, t->s->cf[KEYS_CF_LINEAGE],
	    (const char *)key, n, "", 0);
}

void
store_txn_delete_dangling(store_txn *t, int kind, const char *ref, int field,
    const char *model_id)
{
	uint8_t key[KEYS_MAX];
	size_t n = keys_dangling(key, kind, ref, field, model_id);

	rocksdb_writebatch_delete_cf(t->wb, t->s->cf[KEYS_CF_LINEAGE],
	    (const char *)key, n);
}

/* ---- integrity ----------------------------------------------------------- */

struct check {
	store *s;
	const rocksdb_readoptions_t *ro;
	uint64_t edges;
	mr_err *e;
	mr_status rv;
};

static bool
key_exists(store *s, const rocksdb_readoptions_t *ro, const uint8_t *k,
    size_t n, mr_status *rv, mr_err *e)
{
	char *err = NULL, *val;
	size_t len;

	val = rocksdb_get_cf(s->db, ro, s->cf[KEYS_CF_LINEAGE], (const char *)k,
	    n, &len, &err);
	if (err != NULL) {
		*rv = store_rocks_err(e, "checking lineage", err);
		return false;
	}
	rocksdb_free(val);
	return val != NULL;
}

static int
check_edge(void *arg, const uint8_t *k, size_t n, const uint8_t *v,
    size_t vlen)
{
	(void)v;
	(void)vlen;
	struct check *c = arg;
	uint8_t other[KEYS_MAX], node[KEYS_MAX];
	char near[KEYS_MAX], far[KEYS_MAX];
	const char *p;
	size_t len, on;
	int type;

	if (keys_edge_decode(k, n, &type, &p, &len) != 0 ||
	    text_of(far, sizeof(far), p, len) != 0 ||
	    text_of(near, sizeof(near), k + 1, strlen((const char *)k + 1)) !=
		0) {
		c->rv = mr_fail(c->e, MR_DATA_LOSS, "a damaged edge key");
		return 1;
	}
	c->edges++;
	/* The mirror key, and both nodes. */
	on = keys_edge(other, KEYS_EDGE_UP, far, type, near);
	if (!key_exists(c->s, c->ro, other, on, &c->rv, c->e)) {
		if (c->rv == MR_OK)
			c->rv = mr_fail(c->e, MR_DATA_LOSS,
			    "edge %s -> %s has no upstream key", near, far);
		return 1;
	}
	for (int i = 0; i < 2; i++) {
		on = keys_node(node, i == 0 ? near : far);
		if (!key_exists(c->s, c->ro, node, on, &c->rv, c->e)) {
			if (c->rv == MR_OK)
				c->rv = mr_fail(c->e, MR_DATA_LOSS,
				    "edge %s -> %s names a missing node", near,
				    far);
			return 1;
		}
	}
	return 0;
}

static int
count_up(void *arg, const uint8_t *k, size_t n, const uint8_t *v,
    size_t vlen)
{
	(void)v;
	(void)vlen;
	(void)k;
	(void)n;
	(*(uint64_t *)arg)++;
	return 0;
}

mr_status
store_lineage_check(store *s, uint64_t *edges, mr_err *e)
{
	const uint8_t down[1] = { KEYS_EDGE_DOWN }, up[1] = { KEYS_EDGE_UP };
	struct check c = { .s = s, .ro = s->ro, .e = e, .rv = MR_OK };
	uint64_t ups = 0;
	mr_status rv;

	/* Meant for a store nobody is writing to (tests, a stopped server):
	 * a concurrent commit could be seen half by the two scans. */
	rv = scan_prefix(s, down, 1, check_edge, &c, e);
	if (rv == MR_OK)
		rv = c.rv;
	if (rv == MR_OK)
		rv = scan_prefix(s, up, 1, count_up, &ups, e);
	if (rv == MR_OK && ups != c.edges)
		rv = mr_fail(e, MR_DATA_LOSS,
		    "%llu downstream edge keys but %llu upstream ones",
		    (unsigned long long)c.edges, (unsigned long long)ups);
	if (rv == MR_OK && edges != NULL)
		*edges = c.edges;
	return rv;
}
