/*
 * lineage.c - the Lineage service, and the lineage the registry records on
 * its own when versions are registered and change stage.
 *
 * Node ids are "<kind>:<name>@<version>" (lineage.proto). A reference
 * that is not a full id ("v2024-01", "exp-003") is resolved through the
 * storage indexes by version or by name; it must name exactly one node.
 * References in a version's metadata that name no node are kept as
 * dangling on the version's node and indexed by their text, so the node
 * that later appears under that name is linked in the same batch that
 * adds it. Nothing is ever invented from a reference. A deleted version's
 * node stays, with its edges and deployments, marked with the time of
 * the deletion (its live deployment ends then): lineage is history.
 *
 * Walks are breadth first over the edge indexes, bounded by depth and by
 * MR_LINEAGE_VISIT_MAX, with a tsearch(3) tree as the visited set. A page
 * is a slice of the breadth-first order; the token is its offset, so a
 * walk re-runs up to the end of the page asked for, never further.
 */
#include <search.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lineage.pb-c.h"
#include "registry.pb-c.h"
#include "svc.h"

typedef Modelreg__V1__Edge mr_pb_edge;
typedef Modelreg__V1__DanglingRef mr_pb_dangling;

/* ---- kinds, ids, references ------------------------------------------- */

static const struct {
	int kind;
	const char *name;  /* in ids */
	const char *alias; /* also accepted in requests */
	const char *alias2;
} kinds[] = {
	{ MODELREG__V1__NODE_KIND__NODE_KIND_DATASET, "dataset", "data", NULL },
	{ MODELREG__V1__NODE_KIND__NODE_KIND_FEATURES, "features",
	    "feature-set", "feature-engineering" },
	{ MODELREG__V1__NODE_KIND__NODE_KIND_EXPERIMENT, "experiment", NULL,
	    NULL },
	{ MODELREG__V1__NODE_KIND__NODE_KIND_INCREMENT, "increment", NULL,
	    NULL },
	{ MODELREG__V1__NODE_KIND__NODE_KIND_MODEL, "model", NULL, NULL },
	{ MODELREG__V1__NODE_KIND__NODE_KIND_DEPLOYMENT, "deployment", NULL,
	    NULL },
};

#define N_KINDS (sizeof(kinds) / sizeof(kinds[0]))

static const char *
kind_name(int kind)
{
	for (size_t i = 0; i < N_KINDS; i++)
		if (kinds[i].kind == kind)
			return kinds[i].name;
	return NULL;
}

static int
kind_parse(const char *s, size_t n)
{
	for (size_t i = 0; i < N_KINDS; i++) {
		const char *names[] = { kinds[i].name, kinds[i].alias,
			kinds[i].alias2 };
		for (int k = 0; k < 3; k++)
			if (names[k] != NULL && strlen(names[k]) == n &&
			    memcmp(names[k], s, n) == 0)
				return kinds[i].kind;
	}
	return 0;
}

static bool
pipeline_kind(int kind)
{
	return kind >= MODELREG__V1__NODE_KIND__NODE_KIND_DATASET &&
	    kind <= MODELREG__V1__NODE_KIND__NODE_KIND_INCREMENT;
}

/* Metadata fields that name lineage nodes, and the edges they make. */
static const struct {
	int field; /* stored in dangling keys */
	const char *name;
	int kind;
	int type;
} refs[] = {
	{ 1, "training_data_version", MODELREG__V1__NODE_KIND__NODE_KIND_DATASET,
	    MODELREG__V1__EDGE_TYPE__EDGE_TYPE_TRAINED_ON },
	{ 2, "feature_set_version", MODELREG__V1__NODE_KIND__NODE_KIND_FEATURES,
	    MODELREG__V1__EDGE_TYPE__EDGE_TYPE_TRAINED_ON },
	{ 3, "experiment", MODELREG__V1__NODE_KIND__NODE_KIND_EXPERIMENT,
	    MODELREG__V1__EDGE_TYPE__EDGE_TYPE_PRODUCED_BY },
	{ 4, "increment", MODELREG__V1__NODE_KIND__NODE_KIND_INCREMENT,
	    MODELREG__V1__EDGE_TYPE__EDGE_TYPE_PART_OF },
	{ 5, "parent_model", MODELREG__V1__NODE_KIND__NODE_KIND_MODEL,
	    MODELREG__V1__EDGE_TYPE__EDGE_TYPE_PARENT_OF },
};

#define N_REFS (sizeof(refs) / sizeof(refs[0]))

static const char *
ref_value(const Modelreg__V1__Metadata *md, int field)
{
	switch (field) {
	case 1:
		return md->training_data_version;
	case 2:
		return md->feature_set_version;
	case 3:
		return md->experiment;
	case 4:
		return md->increment;
	default:
		return md->parent_model;
	}
}

static char *
svc_strdup(svc_call *c, const char *s)
{
	size_t n = strlen(s) + 1;
	char *p = svc_alloc(c, n, 1);

	if (p != NULL)
		memcpy(p, s, n);
	return p;
}

/* "<kind>:<name>[@<version>]" into an svc_alloc'd string. */
static char *
make_id(svc_call *c, int kind, const char *name, const char *version)
{
	char buf[MR_NODE_ID_MAX + 64];

	snprintf(buf, sizeof(buf), "%s:%s%s%s", kind_name(kind), name,
	    version[0] != '\0' ? "@" : "", version);
	return svc_strdup(c, buf);
}

static mr_status
check_part(svc_call *c, const char *what, const char *s)
{
	if (s[0] == '\0')
		return MR_OK;
	if (strlen(s) > MR_LINEAGE_NAME_MAX)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "lineage %s is longer than %d bytes", what,
		    MR_LINEAGE_NAME_MAX);
	/* The tag key alphabet: no ':' or '@', which build ids. */
	if (mr_check_tag_key(s, NULL) != MR_OK)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "lineage %s \"%.64s\" must be letters, digits and \"._/-\", "
		    "starting with a letter or digit",
		    what, s);
	return MR_OK;
}

/* Reads a node and hands it to the call's cleanup, to be read only. */
static mr_status
get_node(svc_call *c, const char *id, mr_pb_node **out)
{
	mr_status rv = store_get_node(c->st, id, out, &c->err);

	if (rv != MR_OK)
		return rv;
	return svc_defer_msg(c, *out);
}

/* Reads a node to change it: see svc_editable. */
static mr_status
edit_node(svc_call *c, const char *id, mr_pb_node **out)
{
	mr_pb_node *n;
	mr_status rv = store_get_node(c->st, id, &n, &c->err);

	if (rv != MR_OK)
		return rv;
	if ((*out = svc_editable(c, &n->base)) == NULL)
		return c->err.code;
	return MR_OK;
}

struct matches {
	svc_call *c;
	char *first;
	size_t n;
};

static int
match_one(void *arg, const char *id)
{
	struct matches *m = arg;

	if (m->first != NULL && strcmp(m->first, id) == 0)
		return 0; /* found by both name and version */
	if (m->n++ == 0)
		m->first = svc_strdup(m->c, id);
	return m->n > 1;
}

/*
 * Resolves `rest` (the part after "<kind>:") to a node id of `kind`:
 * the full id, else the one node with that version, else the one with
 * that name. MR_NOT_FOUND if none, MR_FAILED_PRECONDITION if several.
 */
static mr_status
resolve_rest(svc_call *c, int kind, const char *rest, char **id_out)
{
	struct matches m = { .c = c };
	mr_pb_node *n;
	char *id;
	mr_status rv;

	if (kind == MODELREG__V1__NODE_KIND__NODE_KIND_MODEL) {
		/* name@version, the version normalized. */
		char name[MR_NAME_MAX + 1], ver[MR_VERSION_MAX + 1];
		const char *at = strchr(rest, '@');
		if (at == NULL || (size_t)(at - rest) > MR_NAME_MAX)
			return mr_fail(&c->err, MR_INVALID_ARGUMENT,
			    "a model reference is NAME@VERSION, not \"%.64s\"",
			    rest);
		memcpy(name, rest, (size_t)(at - rest));
		name[at - rest] = '\0';
		if ((rv = mr_check_name(name, &c->err)) != MR_OK ||
		    (rv = mr_semver_normalize(at + 1, ver, &c->err)) != MR_OK)
			return rv;
		id = make_id(c, kind, name, ver);
	} else {
		char buf[MR_NODE_ID_MAX + 64];
		snprintf(buf, sizeof(buf), "%s:%s", kind_name(kind), rest);
		id = svc_strdup(c, buf);
	}
	if (id == NULL)
		return c->err.code;
	rv = store_get_node(c->st, id, &n, &c->err);
	if (rv == MR_OK) {
		protobuf_c_message_free_unpacked(&n->base, NULL);
		*id_out = id;
		return MR_OK;
	}
	if (rv != MR_NOT_FOUND)
		return rv;
	if (kind != MODELREG__V1__NODE_KIND__NODE_KIND_MODEL &&
	    strchr(rest, '@') == NULL) {
		if ((rv = store_find_nodes(c->st, kind, true, rest, match_one,
			 &m, &c->err)) != MR_OK ||
		    (m.n < 2 &&
			(rv = store_find_nodes(c->st, kind, false, rest,
			     match_one, &m, &c->err)) != MR_OK))
			return rv;
	}
	if (m.n == 1) {
		*id_out = m.first;
		return MR_OK;
	}
	if (m.n > 1)
		return mr_fail(&c->err, MR_FAILED_PRECONDITION,
		    "\"%s:%s\" matches several nodes (%s, ...); name one as "
		    "%s:NAME@VERSION",
		    kind_name(kind), rest, m.first, kind_name(kind));
	return mr_fail(&c->err, MR_NOT_FOUND,
	    "no lineage node \"%s:%s\"", kind_name(kind), rest);
}

/* Resolves a reference given in a request: "<kind>:<rest>". */
static mr_status
resolve(svc_call *c, const char *text, char **id_out)
{
	const char *colon = strchr(text, ':');
	int kind;

	if (strlen(text) > MR_NODE_ID_MAX)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "a node id is at most %d bytes", MR_NODE_ID_MAX);
	if (colon == NULL ||
	    (kind = kind_parse(text, (size_t)(colon - text))) == 0)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "\"%.64s\" is not a node id KIND:NAME@VERSION (kinds: "
		    "dataset, features, experiment, increment, model, "
		    "deployment)",
		    text);
	if (colon[1] == '\0')
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "\"%s\" names no node", text);
	return resolve_rest(c, kind, colon + 1, id_out);
}

static bool
edge_type_valid(int type)
{
	return type >= MODELREG__V1__EDGE_TYPE__EDGE_TYPE_DERIVED_FROM &&
	    type <= MODELREG__V1__EDGE_TYPE__EDGE_TYPE_DEPLOYED_AS;
}

static mr_pb_edge *
new_edge(svc_call *c, const char *from, const char *to, int type)
{
	mr_pb_edge *e = svc_alloc(c, 1, sizeof(*e));

	if (e == NULL)
		return NULL;
	modelreg__v1__edge__init(e);
	e->from = (char *)from;
	e->to = (char *)to;
	e->type = (Modelreg__V1__EdgeType)type;
	return e;
}

/* ---- breadth-first walks ------------------------------------------------ */

typedef struct visit {
	const char *id;
	uint32_t depth;
	size_t parent; /* index of the visit it was reached from */
	int type;      /* the edge's type */
} visit;

typedef struct bfs {
	svc_call *c;
	bool downstream;
	uint32_t max_depth;
	size_t stop_after;  /* discovered nodes (without the start) */
	const char *target; /* stop when reached */
	visit *v;
	size_t n, cap, cur;
	void *seen;
	bool depth_limited, truncated, found;
	mr_status rv;
} bfs;

static int
cmp_id(const void *a, const void *b)
{
	return strcmp(a, b);
}

static void
no_free(void *p)
{
	(void)p;
}

static int
bfs_edge(void *arg, const char *far, int type)
{
	bfs *b = arg;
	const visit *cur = &b->v[b->cur];
	const char **slot;
	char *id;

	if (tfind(far, &b->seen, cmp_id) != NULL)
		return 0;
	if (cur->depth >= b->max_depth) {
		b->depth_limited = true;
		return 1;
	}
	if (b->n > MR_LINEAGE_VISIT_MAX) {
		b->rv = mr_fail(&b->c->err, MR_RESOURCE_EXHAUSTED,
		    "the walk visits more than %d nodes; ask for less depth",
		    MR_LINEAGE_VISIT_MAX);
		return 1;
	}
	if (b->n == b->cap) {
		size_t cap = b->cap ? 2 * b->cap : 64;
		visit *v = realloc(b->v, cap * sizeof(*v));
		if (v == NULL) {
			b->rv = mr_fail(&b->c->err, MR_RESOURCE_EXHAUSTED,
			    "out of memory");
			return 1;
		}
		b->v = v;
		b->cap = cap;
		cur = &b->v[b->cur];
	}
	if ((id = svc_strdup(b->c, far)) == NULL ||
	    (slot = tsearch(id, &b->seen, cmp_id)) == NULL) {
		b->rv = mr_fail(&b->c->err, MR_RESOURCE_EXHAUSTED,
		    "out of memory");
		return 1;
	}
	b->v[b->n++] = (visit){ id, cur->depth + 1, b->cur, type };
	if (b->target != NULL && strcmp(id, b->target) == 0) {
		b->found = true;
		return 1;
	}
	if (b->n - 1 >= b->stop_after) {
		b->truncated = true;
		return 1;
	}
	return 0;
}

static mr_status
bfs_run(bfs *b, const char *start)
{
	mr_status rv;

	b->cap = 64;
	if ((b->v = malloc(b->cap * sizeof(*b->v))) == NULL)
		return mr_fail(&b->c->err, MR_RESOURCE_EXHAUSTED,
		    "out of memory");
	b->v[0] = (visit){ start, 0, 0, 0 };
	b->n = 1;
	b->rv = MR_OK;
	if (tsearch(start, &b->seen, cmp_id) == NULL)
		return mr_fail(&b->c->err, MR_RESOURCE_EXHAUSTED,
		    "out of memory");
	for (b->cur = 0; b->cur < b->n; b->cur++) {
		rv = store_scan_edges(b->c->st, b->v[b->cur].id, b->downstream,
		    bfs_edge, b, &b->c->err);
		if (rv != MR_OK)
			return rv;
		if (b->rv != MR_OK)
			return b->rv;
		if (b->found || b->truncated)
			break;
	}
	return MR_OK;
}

static void
bfs_free(bfs *b)
{
	tdestroy(b->seen, no_free);
	free(b->v);
}

/* The flow-direction edge by which visit i was reached. */
static mr_pb_edge *
visit_edge(svc_call *c, const bfs *b, size_t i)
{
	const visit *v = &b->v[i], *p = &b->v[v->parent];

	return b->downstream ? new_edge(c, p->id, v->id, v->type)
			     : new_edge(c, v->id, p->id, v->type);
}

static uint32_t
depth_of(uint32_t asked, uint32_t dflt)
{
	if (asked == 0)
		return dflt;
	return asked > MR_LINEAGE_DEPTH_MAX ? MR_LINEAGE_DEPTH_MAX : asked;
}

/* Page tokens are offsets into the walk's order, in decimal. */
static mr_status
parse_offset(svc_call *c, const char *token, size_t *out)
{
	char *end;
	unsigned long long v;

	*out = 0;
	if (token[0] == '\0')
		return MR_OK;
	v = strtoull(token, &end, 10);
	if (*end != '\0' || end == token || v > MR_LINEAGE_VISIT_MAX)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "the page token is not one this server issued");
	*out = (size_t)v;
	return MR_OK;
}

static char *
offset_token(svc_call *c, size_t offset)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%zu", offset);
	return svc_strdup(c, buf);
}

/* ---- registry hooks -------------------------------------------------- */

struct resolved {
	svc_call *c;
	const char *node; /* the node that resolves them */
	int kind;
	mr_status rv;
};

/* Links a model node whose reference the new node resolves. */
static int
link_dangling(void *arg, const char *model_id, int field)
{
	struct resolved *r = arg;
	svc_call *c = r->c;
	Modelreg__V1__DanglingRef **kept;
	mr_pb_node *m;
	size_t k = 0;

	for (size_t i = 0; i < N_REFS; i++) {
		if (refs[i].field != field || refs[i].kind != r->kind)
			continue;
		if ((r->rv = edit_node(c, model_id, &m)) != MR_OK)
			return 1;
		kept = svc_alloc(c, m->n_dangling, sizeof(*kept));
		if (kept == NULL) {
			r->rv = c->err.code;
			return 1;
		}
		for (size_t d = 0; d < m->n_dangling; d++)
			if (strcmp(m->dangling[d]->field, refs[i].name) != 0)
				kept[k++] = m->dangling[d];
			else
				store_txn_delete_dangling(c->txn, r->kind,
				    m->dangling[d]->value, field, model_id);
		m->dangling = kept;
		m->n_dangling = k;
		if ((r->rv = store_txn_put_node(c->txn, m, m, &c->err)) !=
		    MR_OK)
			return 1;
		store_txn_put_edge(c->txn, r->node, model_id, refs[i].type);
	}
	return 0;
}

/* Every text a metadata reference to node n could have been written as. */
static mr_status
resolve_dangling_to(svc_call *c, const mr_pb_node *n)
{
	struct resolved r = { .c = c, .node = n->id, .kind = (int)n->kind };
	const char *colon = strchr(n->id, ':');
	const char *texts[4] = { n->id, colon + 1, n->version, n->name };
	mr_status rv;

	for (int i = 0; i < 4; i++) {
		if (texts[i][0] == '\0' ||
		    (i > 0 && strcmp(texts[i], texts[i - 1]) == 0))
			continue;
		rv = store_scan_dangling(c->st, (int)n->kind, texts[i],
		    link_dangling, &r, &c->err);
		if (rv != MR_OK || (rv = r.rv) != MR_OK)
			return rv;
	}
	return MR_OK;
}

mr_status
svc_lineage_register(svc_call *c, const mr_pb_version *v,
    Modelreg__V1__DanglingRef ***dangling_out, size_t *n_out)
{
	mr_pb_node *n = svc_alloc(c, 1, sizeof(*n));
	mr_pb_dangling **dangling = svc_alloc(c, N_REFS, sizeof(*dangling));
	char **from = svc_alloc(c, N_REFS, sizeof(*from));
	size_t nd = 0;
	mr_status rv;

	if (n == NULL || dangling == NULL || from == NULL)
		return c->err.code;
	modelreg__v1__node__init(n);
	n->kind = MODELREG__V1__NODE_KIND__NODE_KIND_MODEL;
	n->name = v->name;
	n->version = v->version;
	n->created_at_ms = c->now_ms;
	n->created_revision = store_txn_revision(c->txn);
	if ((n->id = make_id(c, (int)n->kind, v->name, v->version)) == NULL)
		return c->err.code;

	for (size_t i = 0; v->metadata != NULL && i < N_REFS; i++) {
		const char *val = ref_value(v->metadata, refs[i].field);
		char norm[MR_NAME_MAX + MR_VERSION_MAX + 2];
		mr_pb_dangling *d;

		from[i] = NULL;
		if (val[0] == '\0')
			continue;
		rv = resolve_rest(c, refs[i].kind, val, &from[i]);
		if (rv == MR_OK)
			continue;
		if (rv != MR_NOT_FOUND && rv != MR_FAILED_PRECONDITION &&
		    rv != MR_INVALID_ARGUMENT)
			return rv;
		/* Keep the reason; the registration goes on. */
		if ((d = svc_alloc(c, 1, sizeof(*d))) == NULL)
			return c->err.code;
		modelreg__v1__dangling_ref__init(d);
		d->field = (char *)refs[i].name;
		d->value = (char *)val;
		d->kind = (Modelreg__V1__NodeKind)refs[i].kind;
		if ((d->reason = svc_strdup(c, c->err.msg)) == NULL)
			return c->err.code;
		dangling[nd++] = d;
		if (rv != MR_NOT_FOUND)
			continue; /* ambiguous or malformed: nothing resolves it */
		if (refs[i].kind == MODELREG__V1__NODE_KIND__NODE_KIND_MODEL) {
			/* Index the normalized NAME@VERSION: that is what
			 * the parent's registration will look for. */
			const char *at = strchr(val, '@');
			char ver[MR_VERSION_MAX + 1];
			if (mr_semver_normalize(at + 1, ver, NULL) != MR_OK)
				continue;
			snprintf(norm, sizeof(norm), "%.*s@%s",
			    (int)(at - val), val, ver);
			val = norm;
		}
		store_txn_put_dangling(c->txn, refs[i].kind, val,
		    refs[i].field, n->id);
	}
	n->dangling = dangling;
	n->n_dangling = nd;
	if ((rv = store_txn_put_node(c->txn, n, NULL, &c->err)) != MR_OK)
		return rv;
	for (size_t i = 0; v->metadata != NULL && i < N_REFS; i++)
		if (from[i] != NULL)
			store_txn_put_edge(c->txn, from[i], n->id, refs[i].type);
	/* Children registered before this parent name it as dangling. */
	if ((rv = resolve_dangling_to(c, n)) != MR_OK)
		return rv;
	*dangling_out = dangling;
	*n_out = nd;
	return MR_OK;
}

struct deployments {
	svc_call *c;
	int stage;
	mr_status rv;
};

/* Ends the live deployment in d->stage among a model's deployments. */
static int
close_one(void *arg, const char *far, int type)
{
	struct deployments *d = arg;
	mr_pb_node *n;

	if (type != MODELREG__V1__EDGE_TYPE__EDGE_TYPE_DEPLOYED_AS)
		return 0;
	if ((d->rv = edit_node(d->c, far, &n)) != MR_OK)
		return 1;
	if ((int)n->stage != d->stage || n->ended_at_ms != 0)
		return 0;
	n->ended_at_ms = d->c->now_ms;
	d->rv = store_txn_put_node(d->c->txn, n, n, &d->c->err);
	return d->rv != MR_OK;
}

static bool
deployed_stage(int stage)
{
	return stage == MR_STAGE_STAGING || stage == MR_STAGE_PRODUCTION;
}

mr_status
svc_lineage_stage(svc_call *c, const mr_pb_version *v, int from, int to)
{
	char *model_id = make_id(c, MODELREG__V1__NODE_KIND__NODE_KIND_MODEL,
	    v->name, v->version);
	struct deployments d = { .c = c, .stage = from, .rv = MR_OK };
	char suffix[64];
	mr_pb_node *n;
	mr_status rv;

	if (model_id == NULL)
		return c->err.code;
	if (deployed_stage(from)) {
		rv = store_scan_edges(c->st, model_id, true, close_one, &d,
		    &c->err);
		if (rv != MR_OK || (rv = d.rv) != MR_OK)
			return rv;
	}
	if (!deployed_stage(to))
		return MR_OK;
	if ((n = svc_alloc(c, 1, sizeof(*n))) == NULL)
		return c->err.code;
	modelreg__v1__node__init(n);
	n->kind = MODELREG__V1__NODE_KIND__NODE_KIND_DEPLOYMENT;
	n->name = v->name;
	n->version = v->version;
	n->stage = (Modelreg__V1__Stage)to;
	n->environment = (char *)c->w->environment;
	n->created_at_ms = c->now_ms;
	n->created_revision = store_txn_revision(c->txn);
	snprintf(suffix, sizeof(suffix), "%s/%s/%llu", v->version,
	    mr_stage_name((mr_stage)to),
	    (unsigned long long)n->created_revision);
	if ((n->id = make_id(c, (int)n->kind, v->name, suffix)) == NULL)
		return c->err.code;
	if ((rv = store_txn_put_node(c->txn, n, NULL, &c->err)) != MR_OK)
		return rv;
	store_txn_put_edge(c->txn, model_id, n->id,
	    MODELREG__V1__EDGE_TYPE__EDGE_TYPE_DEPLOYED_AS);
	return MR_OK;
}

mr_status
svc_lineage_delete(svc_call *c, const mr_pb_version *v)
{
	char *model_id = make_id(c, MODELREG__V1__NODE_KIND__NODE_KIND_MODEL,
	    v->name, v->version);
	mr_pb_node *n;
	mr_status rv;

	if (model_id == NULL)
		return c->err.code;
	if ((rv = svc_lineage_stage(c, v, (int)v->stage, 0)) != MR_OK)
		return rv;
	rv = edit_node(c, model_id, &n);
	if (rv == MR_NOT_FOUND)
		return MR_OK; /* registered before the registry kept lineage */
	if (rv != MR_OK)
		return rv;
	n->deleted_at_ms = c->now_ms;
	return store_txn_put_node(c->txn, n, n, &c->err);
}

/* ---- mutations ---------------------------------------------------------- */

static const char *
edge_type_name(int type)
{
	static const char *const names[] = { "", "derived_from", "trained_on",
		"produced_by", "part_of", "parent_of", "deployed_as" };

	return edge_type_valid(type) ? names[type] : "";
}

/*
 * Every lineage mutation is an event in the registry's log, like every
 * other change: it gets a revision and tells who did what.
 */
static mr_status
lineage_event(svc_call *c, Modelreg__V1__EventKind kind, const char *node,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static mr_status
lineage_event(svc_call *c, Modelreg__V1__EventKind kind, const char *node,
    const char *fmt, ...)
{
	mr_pb_event ev = MODELREG__V1__EVENT__INIT;
	char reason[MR_REASON_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	ev.time_ms = c->now_ms;
	ev.kind = kind;
	ev.model = "";
	ev.node = (char *)node;
	ev.actor = (char *)c->user;
	ev.reason = reason;
	if (store_txn_append_event(c->txn, &ev, &c->err) == 0)
		return c->err.code;
	return MR_OK;
}

/* Refuses an edge that would close a cycle: is `from` downstream of `to`? */
static mr_status
check_acyclic(svc_call *c, const char *from, const char *to)
{
	bfs b = {
		.c = c,
		.downstream = true,
		.max_depth = UINT32_MAX,
		.stop_after = SIZE_MAX,
		.target = from,
	};
	mr_status rv;

	if (strcmp(from, to) == 0)
		return mr_fail(&c->err, MR_FAILED_PRECONDITION,
		    "an edge from %s to itself would be a cycle", from);
	rv = bfs_run(&b, to);
	if (rv == MR_OK && b.found) {
		/* Name the way round: to -> ... -> from. */
		char path[512] = "";
		size_t len = 0;
		for (size_t i = b.n - 1;; i = b.v[i].parent) {
			int w = snprintf(path + len, sizeof(path) - len, "%s%s",
			    len ? " <- " : "", b.v[i].id);
			if (w < 0 || (size_t)w >= sizeof(path) - len)
				break;
			len += (size_t)w;
			if (i == 0)
				break;
		}
		rv = mr_fail(&c->err, MR_FAILED_PRECONDITION,
		    "an edge %s -> %s would close a cycle: %s", from, to,
		    path);
	}
	bfs_free(&b);
	return rv;
}

/* Edges into and out of deployments, and into models from deployments,
 * are the registry's own. */
static mr_status
check_client_edge(svc_call *c, const char *from, const char *to, int type)
{
	if (!edge_type_valid(type))
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "unknown edge type %d", type);
	if (strncmp(from, "deployment:", 11) == 0 ||
	    strncmp(to, "deployment:", 11) == 0 ||
	    type == MODELREG__V1__EDGE_TYPE__EDGE_TYPE_DEPLOYED_AS)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "deployments and their edges are recorded by the registry "
		    "when versions change stage");
	return MR_OK;
}

static mr_status
add_node_h(svc_call *c, const ProtobufCMessage *reqm, ProtobufCMessage *respm)
{
	const Modelreg__V1__AddNodeRequest *rq = (const void *)reqm;
	Modelreg__V1__AddNodeResponse *resp = (void *)respm;
	mr_pb_node *n, *existing;
	mr_pb_edge **edges;
	int kind = (int)rq->kind;
	mr_status rv;

	if (!pipeline_kind(kind))
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "AddNode takes datasets, features, experiments and "
		    "increments; model and deployment nodes come from the "
		    "registry");
	if ((rv = check_part(c, "name", rq->name)) != MR_OK ||
	    (rv = check_part(c, "version", rq->version)) != MR_OK)
		return rv;
	if (rq->name[0] == '\0' && rq->version[0] == '\0')
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "a lineage node needs a name, a version or both");
	if (rq->n_properties > MR_PROPERTIES_MAX)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "%zu properties; the limit is %d", rq->n_properties,
		    MR_PROPERTIES_MAX);
	for (size_t i = 0; i < rq->n_properties; i++)
		if ((rv = mr_check_tag_key(rq->properties[i]->key,
			 &c->err)) != MR_OK ||
		    (rv = mr_check_text("property value",
			 rq->properties[i]->value, MR_TAG_VALUE_MAX, false,
			 &c->err)) != MR_OK)
			return rv;
	if (rq->n_upstream > MR_PAGE_SIZE_MAX)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "%zu upstream edges; the limit is %d", rq->n_upstream,
		    MR_PAGE_SIZE_MAX);

	if ((n = svc_alloc(c, 1, sizeof(*n))) == NULL)
		return c->err.code;
	modelreg__v1__node__init(n);
	n->kind = (Modelreg__V1__NodeKind)kind;
	n->name = rq->name;
	n->version = rq->version;
	n->n_properties = rq->n_properties;
	n->properties = (Modelreg__V1__Node__PropertiesEntry **)rq->properties;
	n->created_at_ms = c->now_ms;
	if ((n->id = make_id(c, kind, rq->name, rq->version)) == NULL)
		return c->err.code;
	rv = store_get_node(c->st, n->id, &existing, &c->err);
	if (rv == MR_OK) {
		protobuf_c_message_free_unpacked(&existing->base, NULL);
		return mr_fail(&c->err, MR_ALREADY_EXISTS,
		    "lineage node %s already exists", n->id);
	}
	if (rv != MR_NOT_FOUND)
		return rv;

	if ((edges = svc_alloc(c, rq->n_upstream, sizeof(*edges))) == NULL)
		return c->err.code;
	for (size_t i = 0; i < rq->n_upstream; i++) {
		char *from;
		int type = (int)rq->upstream[i]->type;
		if ((rv = resolve(c, rq->upstream[i]->from, &from)) != MR_OK ||
		    (rv = check_client_edge(c, from, n->id, type)) != MR_OK)
			return rv;
		if ((edges[i] = new_edge(c, from, n->id, type)) == NULL)
			return c->err.code;
	}
	/* A new node has nothing downstream yet: no edge into it can close
	 * a cycle. */
	if ((rv = lineage_event(c,
		 MODELREG__V1__EVENT_KIND__EVENT_LINEAGE_NODE_ADDED, n->id,
		 "added %s with %zu upstream edge%s", n->id, rq->n_upstream,
		 rq->n_upstream == 1 ? "" : "s")) != MR_OK)
		return rv;
	n->created_revision = store_txn_revision(c->txn);
	if ((rv = store_txn_put_node(c->txn, n, NULL, &c->err)) != MR_OK)
		return rv;
	for (size_t i = 0; i < rq->n_upstream; i++)
		store_txn_put_edge(c->txn, edges[i]->from, n->id,
		    (int)edges[i]->type);
	if ((rv = resolve_dangling_to(c, n)) != MR_OK ||
	    (rv = svc_audit_node(c, "%s", n->id)) != MR_OK ||
	    (rv = svc_audit_after(c, &n->base)) != MR_OK)
		return rv;
	resp->node = n;
	resp->edges = edges;
	resp->n_edges = rq->n_upstream;
	return MR_OK;
}

static mr_status
add_edge_h(svc_call *c, const ProtobufCMessage *reqm, ProtobufCMessage *respm)
{
	const Modelreg__V1__AddEdgeRequest *rq = (const void *)reqm;
	Modelreg__V1__AddEdgeResponse *resp = (void *)respm;
	char *from, *to;
	mr_status rv;

	if (rq->edge == NULL)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT, "no edge given");
	if ((rv = resolve(c, rq->edge->from, &from)) != MR_OK ||
	    (rv = resolve(c, rq->edge->to, &to)) != MR_OK ||
	    (rv = check_client_edge(c, from, to, (int)rq->edge->type)) !=
		MR_OK ||
	    (rv = check_acyclic(c, from, to)) != MR_OK ||
	    (rv = lineage_event(c,
		 MODELREG__V1__EVENT_KIND__EVENT_LINEAGE_EDGE_ADDED, from,
		 "%s -[%s]-> %s", from, edge_type_name((int)rq->edge->type),
		 to)) != MR_OK)
		return rv;
	store_txn_put_edge(c->txn, from, to, (int)rq->edge->type);
	if ((resp->edge = new_edge(c, from, to, (int)rq->edge->type)) == NULL)
		return c->err.code;
	return svc_audit_node(c, "%s -[%s]-> %s", from,
	    edge_type_name((int)rq->edge->type), to);
}

struct edge_list {
	svc_call *c;
	char **ids;
	int *types;
	size_t n, cap;
	mr_status rv;
};

static int
collect_edge(void *arg, const char *far, int type)
{
	struct edge_list *l = arg;

	if (l->n == l->cap) {
		l->rv = mr_fail(&l->c->err, MR_RESOURCE_EXHAUSTED,
		    "more than %zu edges", l->cap);
		return 1;
	}
	if ((l->ids[l->n] = svc_strdup(l->c, far)) == NULL) {
		l->rv = l->c->err.code;
		return 1;
	}
	l->types[l->n++] = type;
	return 0;
}

static mr_status
edge_list_init(svc_call *c, struct edge_list *l, size_t cap)
{
	memset(l, 0, sizeof(*l));
	l->c = c;
	l->cap = cap;
	l->ids = svc_alloc(c, cap, sizeof(*l->ids));
	l->types = svc_alloc(c, cap, sizeof(*l->types));
	return l->ids != NULL && l->types != NULL ? MR_OK : c->err.code;
}

static mr_status
delete_node_h(svc_call *c, const ProtobufCMessage *reqm,
    ProtobufCMessage *respm)
{
	const Modelreg__V1__DeleteNodeRequest *rq = (const void *)reqm;
	Modelreg__V1__DeleteNodeResponse *resp = (void *)respm;
	struct edge_list down, up;
	mr_pb_node *n;
	char *id;
	mr_status rv;

	if ((rv = resolve(c, rq->id, &id)) != MR_OK ||
	    (rv = get_node(c, id, &n)) != MR_OK ||
	    (rv = svc_audit_node(c, "%s", id)) != MR_OK ||
	    (rv = svc_audit_before(c, &n->base)) != MR_OK)
		return rv;
	if (!pipeline_kind((int)n->kind))
		return mr_fail(&c->err, MR_FAILED_PRECONDITION,
		    "%s is kept by the registry and is not deleted here", id);
	if ((rv = edge_list_init(c, &down, 1)) != MR_OK)
		return rv;
	rv = store_scan_edges(c->st, id, true, collect_edge, &down, &c->err);
	if (rv != MR_OK)
		return rv;
	if (down.n > 0)
		return mr_fail(&c->err, MR_FAILED_PRECONDITION,
		    "%s cannot be deleted: %s (at least) depends on it", id,
		    down.ids[0]);
	if ((rv = edge_list_init(c, &up, MR_LINEAGE_VISIT_MAX)) != MR_OK)
		return rv;
	rv = store_scan_edges(c->st, id, false, collect_edge, &up, &c->err);
	if (rv != MR_OK || (rv = up.rv) != MR_OK)
		return rv;
	if ((rv = lineage_event(c,
		 MODELREG__V1__EVENT_KIND__EVENT_LINEAGE_NODE_DELETED, id,
		 "deleted %s and its %zu upstream edge%s", id, up.n,
		 up.n == 1 ? "" : "s")) != MR_OK)
		return rv;
	for (size_t i = 0; i < up.n; i++)
		store_txn_delete_edge(c->txn, up.ids[i], id, up.types[i]);
	if ((rv = store_txn_delete_node(c->txn, n, &c->err)) != MR_OK)
		return rv;
	resp->edges_deleted = (uint32_t)up.n;
	return svc_audit_after(c, NULL); /* gone: "{}" */
}

/* ---- reads -------------------------------------------------------------- */

static mr_status
edges_of(svc_call *c, const char *id, bool downstream, mr_pb_edge ***out,
    size_t *n_out, protobuf_c_boolean *truncated)
{
	struct edge_list l;
	mr_pb_edge **edges;
	mr_status rv;

	if ((rv = edge_list_init(c, &l, MR_PAGE_SIZE_MAX)) != MR_OK)
		return rv;
	rv = store_scan_edges(c->st, id, downstream, collect_edge, &l, &c->err);
	if (rv != MR_OK)
		return rv;
	/* More than a page of direct edges: the first page is returned, and
	 * said to be only that (collect_edge stopped with an error). */
	if (l.rv != MR_OK)
		*truncated = true;
	if ((edges = svc_alloc(c, l.n, sizeof(*edges))) == NULL)
		return c->err.code;
	for (size_t i = 0; i < l.n; i++) {
		edges[i] = downstream ? new_edge(c, id, l.ids[i], l.types[i])
				      : new_edge(c, l.ids[i], id, l.types[i]);
		if (edges[i] == NULL)
			return c->err.code;
	}
	*out = edges;
	*n_out = l.n;
	return MR_OK;
}

static mr_status
get_node_h(svc_call *c, const ProtobufCMessage *reqm, ProtobufCMessage *respm)
{
	const Modelreg__V1__GetNodeRequest *rq = (const void *)reqm;
	Modelreg__V1__GetNodeResponse *resp = (void *)respm;
	char *id;
	mr_status rv;

	if ((rv = resolve(c, rq->id, &id)) != MR_OK ||
	    (rv = get_node(c, id, &resp->node)) != MR_OK ||
	    (rv = edges_of(c, id, false, &resp->upstream, &resp->n_upstream,
		 &resp->truncated)) != MR_OK)
		return rv;
	return edges_of(c, id, true, &resp->downstream, &resp->n_downstream,
	    &resp->truncated);
}

static mr_status
walk_h(svc_call *c, const ProtobufCMessage *reqm, ProtobufCMessage *respm)
{
	const Modelreg__V1__WalkRequest *rq = (const void *)reqm;
	Modelreg__V1__WalkResponse *resp = (void *)respm;
	size_t offset, size = svc_page_size(rq->page_size), k = 0;
	bfs b = { .c = c };
	char *id;
	mr_status rv;

	if (rq->direction != MODELREG__V1__DIRECTION__DIRECTION_UPSTREAM &&
	    rq->direction != MODELREG__V1__DIRECTION__DIRECTION_DOWNSTREAM)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "a walk goes upstream or downstream");
	if ((rv = parse_offset(c, rq->page_token, &offset)) != MR_OK ||
	    (rv = resolve(c, rq->id, &id)) != MR_OK ||
	    (rv = get_node(c, id, &resp->start)) != MR_OK)
		return rv;
	b.downstream =
	    rq->direction == MODELREG__V1__DIRECTION__DIRECTION_DOWNSTREAM;
	b.max_depth = depth_of(rq->depth, MR_LINEAGE_DEPTH_DEFAULT);
	b.stop_after = offset + size + 1;
	if ((rv = bfs_run(&b, id)) != MR_OK)
		goto done;

	resp->nodes = svc_alloc(c, size, sizeof(*resp->nodes));
	resp->edges = svc_alloc(c, size, sizeof(*resp->edges));
	if (resp->nodes == NULL || resp->edges == NULL) {
		rv = c->err.code;
		goto done;
	}
	for (size_t i = 1 + offset; i < b.n && k < size; i++, k++) {
		Modelreg__V1__WalkNode *wn = svc_alloc(c, 1, sizeof(*wn));
		if (wn == NULL) {
			rv = c->err.code;
			goto done;
		}
		modelreg__v1__walk_node__init(wn);
		wn->depth = b.v[i].depth;
		if ((rv = get_node(c, b.v[i].id, &wn->node)) != MR_OK) {
			if (rv == MR_NOT_FOUND)
				rv = mr_fail(&c->err, MR_DATA_LOSS,
				    "an edge names a missing node %s",
				    b.v[i].id);
			goto done;
		}
		resp->nodes[k] = wn;
		if ((resp->edges[k] = visit_edge(c, &b, i)) == NULL) {
			rv = c->err.code;
			goto done;
		}
	}
	resp->n_nodes = resp->n_edges = k;
	if (b.n > 1 + offset + k && (resp->next_page_token =
					     offset_token(c, offset + k)) ==
					NULL)
		rv = c->err.code;
	resp->depth_limited = b.depth_limited;
done:
	bfs_free(&b);
	return rv;
}

/* "NAME@VERSION" of a model or deployment node, split. */
static mr_status
node_version(svc_call *c, const mr_pb_node *n, mr_semver *v)
{
	return mr_semver_parse(n->version, v, &c->err);
}

/* Collects a model's live deployments, at most `cap` of a page's. */
struct live {
	svc_call *c;
	Modelreg__V1__Node **items;
	size_t n, cap;
	mr_status rv;
};

static int
collect_live(void *arg, const char *far, int type)
{
	struct live *l = arg;
	mr_pb_node *d;

	if (type != MODELREG__V1__EDGE_TYPE__EDGE_TYPE_DEPLOYED_AS)
		return 0;
	if ((l->rv = get_node(l->c, far, &d)) != MR_OK)
		return 1;
	if (d->ended_at_ms == 0 && l->n < l->cap)
		l->items[l->n++] = d;
	return 0;
}

static mr_status
impact_h(svc_call *c, const ProtobufCMessage *reqm, ProtobufCMessage *respm)
{
	const Modelreg__V1__ImpactRequest *rq = (const void *)reqm;
	Modelreg__V1__ImpactResponse *resp = (void *)respm;
	size_t offset, size = svc_page_size(rq->page_size), models = 0, k = 0;
	bfs b = { .c = c, .downstream = true, .stop_after = SIZE_MAX };
	struct live live = { .c = c };
	char *id;
	mr_status rv;

	if ((rv = parse_offset(c, rq->page_token, &offset)) != MR_OK ||
	    (rv = resolve(c, rq->id, &id)) != MR_OK)
		return rv;
	b.max_depth = depth_of(rq->depth, MR_LINEAGE_DEPTH_MAX);
	if ((rv = bfs_run(&b, id)) != MR_OK)
		goto done;
	resp->versions = svc_alloc(c, size, sizeof(*resp->versions));
	/* A version has at most one live deployment per deployed stage. */
	live.cap = 2 * size;
	live.items = svc_alloc(c, live.cap, sizeof(*live.items));
	resp->live_deployments = live.items;
	if (resp->versions == NULL || live.items == NULL) {
		rv = c->err.code;
		goto done;
	}
	for (size_t i = 1; i < b.n; i++) {
		Modelreg__V1__ImpactedVersion *iv;
		mr_pb_version *ver;
		mr_pb_node *n;
		mr_semver sv;

		if (strncmp(b.v[i].id, "model:", 6) != 0)
			continue;
		if (models++ < offset)
			continue;
		if (k == size) {
			resp->next_page_token = offset_token(c, offset + k);
			break;
		}
		if ((rv = get_node(c, b.v[i].id, &n)) != MR_OK ||
		    (rv = node_version(c, n, &sv)) != MR_OK)
			goto done;
		if ((iv = svc_alloc(c, 1, sizeof(*iv))) == NULL) {
			rv = c->err.code;
			goto done;
		}
		modelreg__v1__impacted_version__init(iv);
		iv->model = n->name;
		iv->version = n->version;
		iv->depth = b.v[i].depth;
		rv = store_get_version(c->st, n->name, &sv, &ver, &c->err);
		if (rv == MR_OK) {
			iv->stage = ver->stage;
			protobuf_c_message_free_unpacked(&ver->base, NULL);
		} else if (rv != MR_NOT_FOUND) {
			goto done;
		}
		rv = MR_OK;
		resp->versions[k++] = iv;
		/* Its live deployments hang right below it. */
		live.rv = MR_OK;
		rv = store_scan_edges(c->st, b.v[i].id, true, collect_live,
		    &live, &c->err);
		if (rv != MR_OK || (rv = live.rv) != MR_OK)
			goto done;
	}
	resp->n_versions = k;
	resp->n_live_deployments = live.n;
done:
	bfs_free(&b);
	return rv;
}

static mr_status
path_h(svc_call *c, const ProtobufCMessage *reqm, ProtobufCMessage *respm)
{
	const Modelreg__V1__PathRequest *rq = (const void *)reqm;
	Modelreg__V1__PathResponse *resp = (void *)respm;
	char *from, *to;
	mr_status rv;

	if ((rv = resolve(c, rq->from, &from)) != MR_OK ||
	    (rv = resolve(c, rq->to, &to)) != MR_OK)
		return rv;
	/* Downstream from `from`, else downstream from `to`. */
	for (int round = 0; round < 2; round++) {
		bfs b = {
			.c = c,
			.downstream = true,
			.max_depth = depth_of(rq->depth, MR_LINEAGE_DEPTH_MAX),
			.stop_after = SIZE_MAX,
			.target = round == 0 ? to : from,
		};
		size_t len = 0;

		rv = bfs_run(&b, round == 0 ? from : to);
		if (rv != MR_OK || !b.found) {
			bfs_free(&b);
			if (rv != MR_OK)
				return rv;
			continue;
		}
		for (size_t i = b.n - 1; i != 0; i = b.v[i].parent)
			len++;
		resp->nodes = svc_alloc(c, len + 1, sizeof(*resp->nodes));
		resp->edges = svc_alloc(c, len, sizeof(*resp->edges));
		if (resp->nodes == NULL || resp->edges == NULL) {
			bfs_free(&b);
			return c->err.code;
		}
		/* The found node is last; fill from the downstream end. */
		for (size_t i = b.n - 1, k = len;; i = b.v[i].parent, k--) {
			if ((rv = get_node(c, b.v[i].id, &resp->nodes[k])) !=
			    MR_OK)
				break;
			if (i == 0)
				break;
			if ((resp->edges[k - 1] = visit_edge(c, &b, i)) ==
			    NULL) {
				rv = c->err.code;
				break;
			}
		}
		resp->n_nodes = len + 1;
		resp->n_edges = len;
		bfs_free(&b);
		return rv;
	}
	return mr_fail(&c->err, MR_NOT_FOUND,
	    "no path between %s and %s within depth %u", from, to,
	    depth_of(rq->depth, MR_LINEAGE_DEPTH_MAX));
}

static int
node_page_add(void *arg, mr_pb_node *n)
{
	return svc_page_add(arg, &n->base, true);
}

static mr_status
list_nodes_h(svc_call *c, const ProtobufCMessage *reqm,
    ProtobufCMessage *respm)
{
	const Modelreg__V1__ListNodesRequest *rq = (const void *)reqm;
	Modelreg__V1__ListNodesResponse *resp = (void *)respm;
	svc_page p;
	mr_status rv;

	if (rq->kind != 0 && kind_name((int)rq->kind) == NULL)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "unknown node kind %d", rq->kind);
	if (strlen(rq->page_token) > MR_NODE_ID_MAX)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "the page token is not one this server issued");
	if ((rv = svc_page_init(&p, c, rq->page_size)) != MR_OK)
		return rv;
	rv = store_scan_nodes(c->st, (int)rq->kind,
	    rq->page_token[0] != '\0' ? rq->page_token : NULL, node_page_add,
	    &p, &c->err);
	if (rv != MR_OK || (rv = p.rv) != MR_OK)
		return rv;
	resp->nodes = (Modelreg__V1__Node **)p.items;
	resp->n_nodes = p.n;
	if (p.more && p.n > 0)
		resp->next_page_token = resp->nodes[p.n - 1]->id;
	return MR_OK;
}

#define METHOD(meth, req, resp, fn, mut)                                   \
	{                                                                  \
		.name = "/modelreg.v1.Lineage/" meth,                      \
		.request = &modelreg__v1__##req##__descriptor,             \
		.response = &modelreg__v1__##resp##__descriptor,           \
		.handler = fn, .mutates = mut,                             \
	}

const svc_method svc_lineage_methods[] = {
	METHOD("AddNode", add_node_request, add_node_response, add_node_h,
	    true),
	METHOD("AddEdge", add_edge_request, add_edge_response, add_edge_h,
	    true),
	METHOD("DeleteNode", delete_node_request, delete_node_response,
	    delete_node_h, true),
	METHOD("GetNode", get_node_request, get_node_response, get_node_h,
	    false),
	METHOD("Walk", walk_request, walk_response, walk_h, false),
	METHOD("Impact", impact_request, impact_response, impact_h, false),
	METHOD("Path", path_request, path_response, path_h, false),
	METHOD("ListNodes", list_nodes_request, list_nodes_response,
	    list_nodes_h, false),
};
const size_t svc_lineage_method_count =
    sizeof(svc_lineage_methods) / sizeof(svc_lineage_methods[0]);
