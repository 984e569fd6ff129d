/*
 * lineage.c - the Lineage calls of libmodelreg (proto/lineage.proto):
 * adding and deleting pipeline nodes and edges, reading a node, walks,
 * impact and paths, and the names of node kinds and edge types.
 *
 * They follow client.c: every argument is checked here first with the
 * server's own rules (a node id is "KIND:REST" with a kind the server
 * knows, aliases included, and only the characters names and versions
 * may hold; new nodes are datasets, feature sets, experiments or
 * increments with tag-key-like names and versions; deployments and their
 * edges belong to the registry), so that a mistake costs no round trip.
 * What only the server can know - that a node exists, that an edge would
 * close a cycle, that a reference names several nodes - comes back in its
 * words. The three mutations carry idempotency keys like the registry's:
 * an AddNode whose reply was lost and is sent again gets the first reply,
 * not ALREADY_EXISTS.
 */
#include <string.h>

#include "client.h"
#include "convert.h"
#include "lineage.pb-c.h"

/* The public enums are the wire's numbers: values pass through casts. */
_Static_assert(
    (int)MR_NODE_DATASET == MODELREG__V1__NODE_KIND__NODE_KIND_DATASET &&
        (int)MR_NODE_DEPLOYMENT ==
            MODELREG__V1__NODE_KIND__NODE_KIND_DEPLOYMENT,
    "mr_node_kind differs from NodeKind");
_Static_assert((int)MR_EDGE_DERIVED_FROM ==
            MODELREG__V1__EDGE_TYPE__EDGE_TYPE_DERIVED_FROM &&
        (int)MR_EDGE_DEPLOYED_AS ==
            MODELREG__V1__EDGE_TYPE__EDGE_TYPE_DEPLOYED_AS,
    "mr_edge_type differs from EdgeType");
_Static_assert(
    (int)MR_UPSTREAM == MODELREG__V1__DIRECTION__DIRECTION_UPSTREAM &&
        (int)MR_DOWNSTREAM == MODELREG__V1__DIRECTION__DIRECTION_DOWNSTREAM,
    "mr_direction differs from Direction");

/* ---- names -------------------------------------------------------------- */

/* Kinds as ids spell them, then the other names the server accepts. */
static const struct {
	mr_node_kind kind;
	const char *names[3];
} kinds[] = {
    {MR_NODE_DATASET, {"dataset", "data", NULL}},
    {MR_NODE_FEATURES, {"features", "feature-set", "feature-engineering"}},
    {MR_NODE_EXPERIMENT, {"experiment", NULL, NULL}},
    {MR_NODE_INCREMENT, {"increment", NULL, NULL}},
    {MR_NODE_MODEL, {"model", NULL, NULL}},
    {MR_NODE_DEPLOYMENT, {"deployment", NULL, NULL}},
};

#define N_KINDS (sizeof(kinds) / sizeof(kinds[0]))

static const char *const edge_types[] = {
    [MR_EDGE_DERIVED_FROM] = "derived_from",
    [MR_EDGE_TRAINED_ON] = "trained_on",
    [MR_EDGE_PRODUCED_BY] = "produced_by",
    [MR_EDGE_PART_OF] = "part_of",
    [MR_EDGE_PARENT_OF] = "parent_of",
    [MR_EDGE_DEPLOYED_AS] = "deployed_as",
};

#define N_EDGE_TYPES (sizeof(edge_types) / sizeof(edge_types[0]))

/* The kind named by the n bytes at s; 0 if none. */
static mr_node_kind
kind_of(const char *s, size_t n)
{
	for (size_t i = 0; i < N_KINDS; i++)
		for (size_t k = 0; k < 3; k++)
			if (kinds[i].names[k] != NULL &&
			    strlen(kinds[i].names[k]) == n &&
			    memcmp(kinds[i].names[k], s, n) == 0)
				return kinds[i].kind;
	return 0;
}

const char *
mr_node_kind_name(mr_node_kind kind)
{
	for (size_t i = 0; i < N_KINDS; i++)
		if (kinds[i].kind == kind)
			return kinds[i].names[0];
	return "";
}

int
mr_node_kind_parse(const char *text, mr_node_kind *out)
{
	mr_node_kind kind;

	if (text == NULL || (kind = kind_of(text, strlen(text))) == 0)
		return -1;
	*out = kind;
	return 0;
}

const char *
mr_edge_type_name(mr_edge_type type)
{
	if ((unsigned)type < N_EDGE_TYPES && edge_types[type] != NULL)
		return edge_types[type];
	return "";
}

/* "trained_on", also written "trained-on". */
int
mr_edge_type_parse(const char *text, mr_edge_type *out)
{
	if (text == NULL)
		return -1;
	for (size_t t = MR_EDGE_DERIVED_FROM; t < N_EDGE_TYPES; t++) {
		const char *name = edge_types[t];
		size_t i = 0;

		while (name[i] != '\0' &&
		    (text[i] == name[i] || (name[i] == '_' && text[i] == '-')))
			i++;
		if (name[i] == '\0' && text[i] == '\0') {
			*out = (mr_edge_type)t;
			return 0;
		}
	}
	return -1;
}

mr_node_kind
client_id_kind(const char *id)
{
	const char *colon = id != NULL ? strchr(id, ':') : NULL;

	return colon != NULL ? kind_of(id, (size_t)(colon - id)) : 0;
}

/* ---- argument checks ---------------------------------------------------- */

/* What may follow the kind in an id: names' and versions' characters, '@'
 * between them, '/' in deployments' versions. */
static bool
id_char(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || (ch != '\0' && strchr("._/-@", ch));
}

/* A node id or reference "KIND:REST"; its kind into *kind (may be NULL). */
static mr_status
check_id(const char *what, const char *id, mr_node_kind *kind, mr_err *e)
{
	const char *rest;
	mr_node_kind k;

	if (id == NULL || id[0] == '\0')
		return mr_fail(e, MR_INVALID_ARGUMENT, "no %s given", what);
	if (strlen(id) > MR_NODE_ID_MAX)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "%s is %zu bytes long; the limit is %d", what, strlen(id),
		    MR_NODE_ID_MAX);
	if ((k = client_id_kind(id)) == 0)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "%s \"%.64s\" is not a node id KIND:NAME@VERSION (kinds: "
		    "dataset, features, experiment, increment, model, "
		    "deployment)",
		    what, id);
	rest = strchr(id, ':') + 1;
	if (rest[0] == '\0')
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "%s \"%s\" names no node: a name or version follows the "
		    "kind",
		    what, id);
	for (size_t i = 0; rest[i] != '\0'; i++)
		if (!id_char((unsigned char)rest[i]))
			return mr_fail(e, MR_INVALID_ARGUMENT,
			    "%s \"%.64s\" has a character not allowed at byte "
			    "%zu (allowed after the kind: letters, digits and "
			    "\"._/-@\")",
			    what, id, (size_t)(rest - id) + i);
	if (kind != NULL)
		*kind = k;
	return MR_OK;
}

/* The name or version of a new node; may be empty. */
static mr_status
check_part(const char *what, const char *s, mr_err *e)
{
	if (s == NULL || s[0] == '\0')
		return MR_OK;
	if (strlen(s) > MR_LINEAGE_NAME_MAX)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "lineage node %s is %zu bytes long; the limit is %d", what,
		    strlen(s), MR_LINEAGE_NAME_MAX);
	if (mr_check_tag_key(s, NULL) != MR_OK)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "lineage node %s \"%.64s\" must be letters, digits and "
		    "\"._/-\", starting with a letter or digit",
		    what, s);
	return MR_OK;
}

static mr_status
check_depth(uint32_t depth, mr_err *e)
{
	if (depth > MR_LINEAGE_DEPTH_MAX)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "depth %u is more than %d", depth, MR_LINEAGE_DEPTH_MAX);
	return MR_OK;
}

/* An edge a client may add: a known type, no deployment at either end. */
static mr_status
check_edge(mr_node_kind from, mr_node_kind to, mr_edge_type type, mr_err *e)
{
	if ((int)type < MR_EDGE_DERIVED_FROM || type > MR_EDGE_DEPLOYED_AS)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "edge type %d is not one of derived_from, trained_on, "
		    "produced_by, part_of, parent_of",
		    (int)type);
	if (type == MR_EDGE_DEPLOYED_AS || from == MR_NODE_DEPLOYMENT ||
	    to == MR_NODE_DEPLOYMENT)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "deployments and their edges are recorded by the registry "
		    "when versions change stage");
	return MR_OK;
}

static mr_status
check_new_node(mr_node_kind kind, const char *name, const char *version,
    const mr_kv *properties, size_t n_properties, mr_err *e)
{
	mr_status rv;

	if ((int)kind < MR_NODE_DATASET || kind > MR_NODE_INCREMENT)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "nodes added are datasets, features, experiments and "
		    "increments; model and deployment nodes come from the "
		    "registry");
	if ((rv = check_part("name", name, e)) != MR_OK ||
	    (rv = check_part("version", version, e)) != MR_OK)
		return rv;
	if ((name == NULL || name[0] == '\0') &&
	    (version == NULL || version[0] == '\0'))
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "a lineage node needs a name, a version or both");
	return client_check_kv(
	    "property", properties, n_properties, MR_PROPERTIES_MAX, e);
}

static mr_status
check_links(mr_node_kind kind, const mr_link *upstream, size_t n, mr_err *e)
{
	mr_node_kind from;
	mr_status rv;

	if (n > 0 && upstream == NULL)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "%zu upstream links announced but none given", n);
	if (n > MR_PAGE_SIZE_MAX)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "%zu upstream links; the limit is %d", n, MR_PAGE_SIZE_MAX);
	for (size_t i = 0; i < n; i++)
		if ((rv = check_id("upstream node", upstream[i].from, &from,
		         e)) != MR_OK ||
		    (rv = check_edge(from, kind, upstream[i].type, e)) != MR_OK)
			return rv;
	return MR_OK;
}

/* ---- mutations ---------------------------------------------------------- */

mr_status
mr_lineage_add_node(mr_client *c, mr_node_kind kind, const char *name,
    const char *version, const mr_kv *properties, size_t n_properties,
    const mr_link *upstream, size_t n_upstream, mr_node **out)
{
	Modelreg__V1__AddNodeRequest req = MODELREG__V1__ADD_NODE_REQUEST__INIT;
	Modelreg__V1__AddNodeResponse *resp;
	Modelreg__V1__Edge **edges;
	cv_arena a = CV_ARENA_INIT;
	mr_status rv;

	if (c == NULL)
		return MR_INVALID_ARGUMENT;
	mr_err_clear(&c->err);
	if ((rv = check_new_node(kind, name, version, properties, n_properties,
	         &c->err)) != MR_OK ||
	    (rv = check_links(kind, upstream, n_upstream, &c->err)) != MR_OK)
		return rv;
	req.kind = (Modelreg__V1__NodeKind)kind;
	req.name = client_str(name);
	req.version = client_str(version);
	req.properties = cv_tags_pb(&a,
	    &modelreg__v1__add_node_request__properties_entry__descriptor,
	    properties, n_properties);
	req.n_properties = req.properties != NULL ? n_properties : 0;
	edges = cv_messages(&a, &modelreg__v1__edge__descriptor, n_upstream);
	for (size_t i = 0; edges != NULL && i < n_upstream; i++) {
		edges[i]->from = (char *)upstream[i].from;
		edges[i]->type = (Modelreg__V1__EdgeType)upstream[i].type;
	}
	req.upstream = edges;
	req.n_upstream = edges != NULL ? n_upstream : 0;
	if (a.failed) {
		cv_arena_free(&a);
		return mr_fail(&c->err, MR_RESOURCE_EXHAUSTED, "out of memory");
	}
	rv = client_call(c, M_ADD_NODE, &req.base, true,
	    &modelreg__v1__add_node_response__descriptor, &resp);
	cv_arena_free(&a);
	if (rv != MR_OK)
		return rv;
	if (out != NULL)
		rv = cv_node_new(out, resp->node, &c->err);
	rpc_reply_free(&resp->base);
	return rv;
}

mr_status
mr_lineage_add_edge(
    mr_client *c, const char *from, const char *to, mr_edge_type type)
{
	Modelreg__V1__AddEdgeRequest req = MODELREG__V1__ADD_EDGE_REQUEST__INIT;
	Modelreg__V1__Edge edge = MODELREG__V1__EDGE__INIT;
	Modelreg__V1__AddEdgeResponse *resp;
	mr_node_kind fk, tk;
	mr_status rv;

	if (c == NULL)
		return MR_INVALID_ARGUMENT;
	mr_err_clear(&c->err);
	if ((rv = check_id("upstream node", from, &fk, &c->err)) != MR_OK ||
	    (rv = check_id("downstream node", to, &tk, &c->err)) != MR_OK ||
	    (rv = check_edge(fk, tk, type, &c->err)) != MR_OK)
		return rv;
	edge.from = (char *)from;
	edge.to = (char *)to;
	edge.type = (Modelreg__V1__EdgeType)type;
	req.edge = &edge;
	rv = client_call(c, M_ADD_EDGE, &req.base, true,
	    &modelreg__v1__add_edge_response__descriptor, &resp);
	if (rv == MR_OK)
		rpc_reply_free(&resp->base);
	return rv;
}

mr_status
mr_lineage_delete_node(mr_client *c, const char *id)
{
	Modelreg__V1__DeleteNodeRequest req =
	    MODELREG__V1__DELETE_NODE_REQUEST__INIT;
	Modelreg__V1__DeleteNodeResponse *resp;
	mr_status rv;

	if (c == NULL)
		return MR_INVALID_ARGUMENT;
	mr_err_clear(&c->err);
	if ((rv = check_id("node", id, NULL, &c->err)) != MR_OK)
		return rv;
	req.id = (char *)id;
	rv = client_call(c, M_DELETE_NODE, &req.base, true,
	    &modelreg__v1__delete_node_response__descriptor, &resp);
	if (rv == MR_OK)
		rpc_reply_free(&resp->base);
	return rv;
}

/* ---- reads -------------------------------------------------------------- */

static const mr_list_params no_page;

/* The first checks of every read: a handle, a place for the result. */
static mr_status
begin_read(mr_client *c, const void *out)
{
	if (c == NULL)
		return MR_INVALID_ARGUMENT;
	mr_err_clear(&c->err);
	return out != NULL ? MR_OK : client_no_out(&c->err);
}

/* The first checks of a read about node `id` within `depth`. */
static mr_status
begin_node_read(mr_client *c, const void *out, const char *what, const char *id,
    uint32_t depth)
{
	mr_status rv;

	if ((rv = begin_read(c, out)) != MR_OK ||
	    (rv = check_id(what, id, NULL, &c->err)) != MR_OK)
		return rv;
	return check_depth(depth, &c->err);
}

/* Sets the paging fields every paged request has; `page` may be NULL. */
#define SET_PAGE(req, page)                                                    \
	do {                                                                   \
		const mr_list_params *p_ = (page) != NULL ? (page) : &no_page; \
		(req).page_size = p_->page_size;                               \
		(req).page_token = client_str(p_->page_token);                 \
	} while (0)

/*
 * Converts an answer's parts into *out and frees the answer. A node and a
 * walk are about their start node, which an answer cannot lack.
 */
static mr_status
graph_answer(mr_client *c, const cv_graph_parts *p, bool needs_start,
    ProtobufCMessage *resp, mr_graph **out)
{
	mr_status rv;

	if (needs_start && p->start == NULL)
		rv = mr_fail(
		    &c->err, MR_INTERNAL, "the server's answer holds no node");
	else
		rv = cv_graph_new(out, p, &c->err);
	rpc_reply_free(resp);
	return rv;
}

mr_status
mr_lineage_get_node(mr_client *c, const char *id, mr_graph **out)
{
	Modelreg__V1__GetNodeRequest req = MODELREG__V1__GET_NODE_REQUEST__INIT;
	Modelreg__V1__GetNodeResponse *resp;
	mr_status rv;

	if ((rv = begin_read(c, out)) != MR_OK ||
	    (rv = check_id("node", id, NULL, &c->err)) != MR_OK)
		return rv;
	req.id = (char *)id;
	rv = client_call(c, M_GET_NODE, &req.base, false,
	    &modelreg__v1__get_node_response__descriptor, &resp);
	if (rv != MR_OK)
		return rv;
	return graph_answer(c,
	    &(cv_graph_parts){
	        .start = resp->node,
	        .edges = {resp->upstream, resp->downstream},
	        .n_edges = {resp->n_upstream, resp->n_downstream},
	    },
	    true, &resp->base, out);
}

mr_status
mr_lineage_walk(mr_client *c, const char *id, mr_direction dir, uint32_t depth,
    const mr_list_params *page, mr_graph **out)
{
	Modelreg__V1__WalkRequest req = MODELREG__V1__WALK_REQUEST__INIT;
	Modelreg__V1__WalkResponse *resp;
	mr_status rv;

	if ((rv = begin_node_read(c, out, "start node", id, depth)) != MR_OK)
		return rv;
	if (dir != MR_UPSTREAM && dir != MR_DOWNSTREAM)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "a walk goes upstream (%d) or downstream (%d), not %d",
		    MR_UPSTREAM, MR_DOWNSTREAM, (int)dir);
	req.id = (char *)id;
	req.direction = (Modelreg__V1__Direction)dir;
	req.depth = depth;
	SET_PAGE(req, page);
	rv = client_call(c, M_WALK, &req.base, false,
	    &modelreg__v1__walk_response__descriptor, &resp);
	if (rv != MR_OK)
		return rv;
	return graph_answer(c,
	    &(cv_graph_parts){
	        .start = resp->start,
	        .walk = resp->nodes,
	        .n_walk = resp->n_nodes,
	        .edges = {resp->edges},
	        .n_edges = {resp->n_edges},
	        .next_page_token = resp->next_page_token,
	        .depth_limited = resp->depth_limited,
	    },
	    true, &resp->base, out);
}

mr_status
mr_lineage_impact(mr_client *c, const char *id, uint32_t depth,
    const mr_list_params *page, mr_impact **out)
{
	Modelreg__V1__ImpactRequest req = MODELREG__V1__IMPACT_REQUEST__INIT;
	Modelreg__V1__ImpactResponse *resp;
	mr_status rv;

	if ((rv = begin_node_read(c, out, "node", id, depth)) != MR_OK)
		return rv;
	req.id = (char *)id;
	req.depth = depth;
	SET_PAGE(req, page);
	rv = client_call(c, M_IMPACT, &req.base, false,
	    &modelreg__v1__impact_response__descriptor, &resp);
	if (rv != MR_OK)
		return rv;
	rv = cv_impact_new(out, resp, &c->err);
	rpc_reply_free(&resp->base);
	return rv;
}

mr_status
mr_lineage_path(mr_client *c, const char *from, const char *to, uint32_t depth,
    mr_graph **out)
{
	Modelreg__V1__PathRequest req = MODELREG__V1__PATH_REQUEST__INIT;
	Modelreg__V1__PathResponse *resp;
	mr_status rv;

	if ((rv = begin_node_read(c, out, "first node", from, depth)) !=
	        MR_OK ||
	    (rv = check_id("second node", to, NULL, &c->err)) != MR_OK)
		return rv;
	req.from = (char *)from;
	req.to = (char *)to;
	req.depth = depth;
	rv = client_call(c, M_PATH, &req.base, false,
	    &modelreg__v1__path_response__descriptor, &resp);
	if (rv != MR_OK)
		return rv;
	return graph_answer(c,
	    &(cv_graph_parts){
	        .nodes = resp->nodes,
	        .n_nodes = resp->n_nodes,
	        .edges = {resp->edges},
	        .n_edges = {resp->n_edges},
	    },
	    false, &resp->base, out);
}

mr_status
mr_lineage_list_nodes(
    mr_client *c, mr_node_kind kind, const mr_list_params *page, mr_graph **out)
{
	Modelreg__V1__ListNodesRequest req =
	    MODELREG__V1__LIST_NODES_REQUEST__INIT;
	Modelreg__V1__ListNodesResponse *resp;
	mr_status rv;

	if ((rv = begin_read(c, out)) != MR_OK)
		return rv;
	if (kind != 0 && mr_node_kind_name(kind)[0] == '\0')
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "node kind %d is not one of dataset (%d) to deployment "
		    "(%d), or 0 for all",
		    (int)kind, MR_NODE_DATASET, MR_NODE_DEPLOYMENT);
	req.kind = (Modelreg__V1__NodeKind)kind;
	SET_PAGE(req, page);
	rv = client_call(c, M_LIST_NODES, &req.base, false,
	    &modelreg__v1__list_nodes_response__descriptor, &resp);
	if (rv != MR_OK)
		return rv;
	return graph_answer(c,
	    &(cv_graph_parts){
	        .nodes = resp->nodes,
	        .n_nodes = resp->n_nodes,
	        .next_page_token = resp->next_page_token,
	    },
	    false, &resp->base, out);
}
