/*
 * test_lineage.c - the lineage calls of the public API (client/lineage.c)
 * against the real registry (realserver.c): registration linking a
 * version to the nodes its metadata names, dangling references reported
 * and then linked when their node appears, walks bounded by depth and
 * read page by page, impact with stages and live deployments, paths
 * either way round, the cycle and dependency refusals, deployments opened
 * and closed by promotions and rollbacks, and the three mutations applied
 * once when their reply is lost (a tap in the middle, wire.c). A raw
 * responder that counts requests shows that bad arguments are refused
 * before any round trip.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "realserver.h"
#include "rpc.h"
#include "testutil.h"
#include "wire.h"

typedef rs_fixture fixture;

static int
setup(void **state)
{
	return rs_fixture_setup(state, "lineage");
}

/* ---- helpers ------------------------------------------------------------ */

/* Adds a pipeline node with at most one upstream link (from NULL: none). */
static void
add(fixture *f, mr_node_kind kind, const char *name, const char *version,
    const char *from, mr_edge_type type)
{
	mr_link link = {from, type};

	if (mr_lineage_add_node(f->c, kind, name, version, NULL, 0, &link,
	        from != NULL, NULL) != MR_OK)
		fail_msg("add %s %s@%s: %s", mr_node_kind_name(kind), name,
		    version, mr_client_errmsg(f->c));
}

/* Registers name@version with `md` and returns what mr_register gave. */
static mr_version *
register_with(
    fixture *f, const char *name, const char *version, const mr_metadata *md)
{
	char *path = rs_path(f->s.dir, "w.bin");
	mr_register_params p = {
	    .name = name,
	    .version = version,
	    .path = path,
	    .metadata = md,
	};
	mr_version *v;

	rs_write_random(path, 5000, 7, 0644);
	if (mr_register(f->c, &p, &v) != MR_OK)
		fail_msg("register %s %s: %s", name, version,
		    mr_client_errmsg(f->c));
	free(path);
	return v;
}

static void
promote(fixture *f, const char *name, const char *version, mr_stage to)
{
	if (mr_promote(f->c, name, version, to, MR_STAGE_NONE, NULL, NULL) !=
	    MR_OK)
		fail_msg(
		    "promote %s %s: %s", name, version, mr_client_errmsg(f->c));
}

static mr_graph *
get_node(fixture *f, const char *id)
{
	mr_graph *g;

	if (mr_lineage_get_node(f->c, id, &g) != MR_OK)
		fail_msg("get %s: %s", id, mr_client_errmsg(f->c));
	return g;
}

static bool
has_edge(const mr_graph *g, const char *from, const char *to, mr_edge_type type)
{
	for (size_t i = 0; i < g->n_edges; i++)
		if (strcmp(g->edges[i].from, from) == 0 &&
		    strcmp(g->edges[i].to, to) == 0 && g->edges[i].type == type)
			return true;
	return false;
}

/* The deployments of `model_id` in `stage`: live ones into *live, ended
 * ones into *ended. */
static void
count_deployments(
    fixture *f, const char *model_id, mr_stage stage, int *live, int *ended)
{
	mr_graph *g = get_node(f, model_id);

	*live = *ended = 0;
	for (size_t i = 0; i < g->n_edges; i++) {
		mr_graph *d;

		if (g->edges[i].type != MR_EDGE_DEPLOYED_AS)
			continue;
		d = get_node(f, g->edges[i].to);
		assert_int_equal(d->nodes[0].kind, MR_NODE_DEPLOYMENT);
		assert_string_equal(d->nodes[0].environment, "default");
		if (d->nodes[0].stage == stage)
			(*(d->nodes[0].ended_at_ms == 0 ? live : ended))++;
		mr_graph_free(d);
	}
	mr_graph_free(g);
}

/* Keeps the next page's token in *token; false after the last page. */
static bool
turn_page(char **token, const char *next)
{
	free(*token);
	*token = NULL;
	if (next[0] == '\0')
		return false;
	*token = strdup(next);
	return true;
}

/*
 * dataset:@v2024-01 -> features:@v1 -> experiment:exp-003, the pipeline
 * of the example.
 */
static void
add_pipeline(fixture *f)
{
	add(f, MR_NODE_DATASET, "", "v2024-01", NULL, 0);
	add(f, MR_NODE_FEATURES, "", "v1", "dataset:v2024-01",
	    MR_EDGE_DERIVED_FROM);
	add(f, MR_NODE_EXPERIMENT, "exp-003", "", "features:v1",
	    MR_EDGE_TRAINED_ON);
}

/* ---- no registry needed ------------------------------------------------- */

static void
test_lineage_kind_and_edge_type_names_parse_back(void **state)
{
	mr_node_kind k;
	mr_edge_type t;

	(void)state;
	for (int i = MR_NODE_DATASET; i <= MR_NODE_DEPLOYMENT; i++) {
		assert_int_equal(
		    mr_node_kind_parse(mr_node_kind_name((mr_node_kind)i), &k),
		    0);
		assert_int_equal(k, i);
	}
	for (int i = MR_EDGE_DERIVED_FROM; i <= MR_EDGE_DEPLOYED_AS; i++) {
		assert_int_equal(
		    mr_edge_type_parse(mr_edge_type_name((mr_edge_type)i), &t),
		    0);
		assert_int_equal(t, i);
	}
	assert_string_equal(mr_node_kind_name(MR_NODE_FEATURES), "features");
	assert_string_equal(
	    mr_edge_type_name(MR_EDGE_TRAINED_ON), "trained_on");
	/* The server's aliases, and '-' for '_'. */
	assert_int_equal(mr_node_kind_parse("data", &k), 0);
	assert_int_equal(k, MR_NODE_DATASET);
	assert_int_equal(mr_node_kind_parse("feature-engineering", &k), 0);
	assert_int_equal(k, MR_NODE_FEATURES);
	assert_int_equal(mr_edge_type_parse("produced-by", &t), 0);
	assert_int_equal(t, MR_EDGE_PRODUCED_BY);
	assert_int_equal(mr_node_kind_parse("Dataset", &k), -1);
	assert_int_equal(mr_node_kind_parse("", &k), -1);
	assert_int_equal(mr_edge_type_parse("trained", &t), -1);
	assert_int_equal(mr_edge_type_parse("trained_on_x", &t), -1);
	assert_string_equal(mr_node_kind_name((mr_node_kind)0), "");
	assert_string_equal(mr_edge_type_name((mr_edge_type)99), "");
}

/* Calls that must fail with MR_INVALID_ARGUMENT and a message holding
 * `words`. */
#define REFUSED(call, words)                                                   \
	do {                                                                   \
		assert_int_equal((call), MR_INVALID_ARGUMENT);                 \
		if (strstr(mr_client_errmsg(c), (words)) == NULL)              \
			fail_msg("\"%s\" is not in \"%s\"", (words),           \
			    mr_client_errmsg(c));                              \
	} while (0)

static void
test_lineage_bad_arguments_are_refused_without_a_round_trip(void **state)
{
	mr_kv bad_key[] = {{"bad key", "x"}};
	mr_kv twice[] = {{"k", "1"}, {"k", "2"}};
	mr_kv many[MR_PROPERTIES_MAX + 1];
	mr_link to_deployment[] = {
	    {"deployment:m@1.0.0/production/4", MR_EDGE_TRAINED_ON}};
	mr_link bad_type[] = {{"dataset:v1", (mr_edge_type)42}};
	mr_link deployed[] = {{"dataset:v1", MR_EDGE_DEPLOYED_AS}};
	char long_id[MR_NODE_ID_MAX + 8], long_name[MR_LINEAGE_NAME_MAX + 2];
	mr_list_params page = {.page_size = 10};
	atomic_int calls = 0;
	wr_responder *rsp;
	mr_impact *im;
	mr_graph *g;
	mr_client *c;
	char url[64];

	(void)state;
	for (size_t i = 0; i < MR_PROPERTIES_MAX + 1; i++)
		many[i] = (mr_kv){"k", "v"};
	memset(long_id, 'a', sizeof(long_id) - 1);
	memcpy(long_id, "dataset:", 8);
	long_id[sizeof(long_id) - 1] = '\0';
	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	wr_url(url, "count");
	rsp = wr_responder_start(url, wr_count_calls, &calls);
	c = rs_client(url, "alice", 30000, 0);

	/* Ids: a known kind, a colon, something after it, the alphabet. */
	REFUSED(mr_lineage_get_node(c, "v2024-01", &g), "not a node id");
	REFUSED(mr_lineage_get_node(c, "table:x", &g), "not a node id");
	REFUSED(mr_lineage_get_node(c, "Dataset:x", &g), "not a node id");
	REFUSED(mr_lineage_get_node(c, "dataset:", &g), "names no node");
	REFUSED(mr_lineage_get_node(c, "dataset:a b", &g), "not allowed");
	REFUSED(mr_lineage_get_node(c, "dataset:a:b", &g), "not allowed");
	REFUSED(mr_lineage_get_node(c, long_id, &g), "the limit is 320");
	REFUSED(mr_lineage_get_node(c, NULL, &g), "no node given");
	REFUSED(mr_lineage_get_node(c, "dataset:x", NULL), "no place");
	REFUSED(mr_lineage_delete_node(c, "x"), "not a node id");
	REFUSED(mr_lineage_path(c, "dataset:x", "nope", 0, &g), "second node");
	REFUSED(mr_lineage_impact(c, ":x", 0, NULL, &im), "not a node id");

	/* New nodes: pipeline kinds, names and versions like tag keys. */
	REFUSED(mr_lineage_add_node(
	            c, MR_NODE_MODEL, "m", "1.0.0", NULL, 0, NULL, 0, NULL),
	    "come from the registry");
	REFUSED(mr_lineage_add_node(
	            c, (mr_node_kind)0, "x", NULL, NULL, 0, NULL, 0, NULL),
	    "datasets, features");
	REFUSED(mr_lineage_add_node(
	            c, MR_NODE_DATASET, "", NULL, NULL, 0, NULL, 0, NULL),
	    "needs a name, a version or both");
	REFUSED(mr_lineage_add_node(
	            c, MR_NODE_DATASET, "-x", "v1", NULL, 0, NULL, 0, NULL),
	    "lineage node name");
	REFUSED(mr_lineage_add_node(
	            c, MR_NODE_DATASET, "x", "v@1", NULL, 0, NULL, 0, NULL),
	    "lineage node version");
	REFUSED(mr_lineage_add_node(c, MR_NODE_DATASET, long_name, NULL, NULL,
	            0, NULL, 0, NULL),
	    "the limit is 128");
	REFUSED(mr_lineage_add_node(
	            c, MR_NODE_DATASET, "x", NULL, bad_key, 1, NULL, 0, NULL),
	    "property key \"bad key\"");
	REFUSED(mr_lineage_add_node(
	            c, MR_NODE_DATASET, "x", NULL, twice, 2, NULL, 0, NULL),
	    "given twice");
	REFUSED(mr_lineage_add_node(c, MR_NODE_DATASET, "x", NULL, many,
	            MR_PROPERTIES_MAX + 1, NULL, 0, NULL),
	    "the limit is 64");
	REFUSED(mr_lineage_add_node(c, MR_NODE_DATASET, "x", NULL, NULL, 0,
	            to_deployment, 1, NULL),
	    "recorded by the registry");
	REFUSED(mr_lineage_add_node(
	            c, MR_NODE_DATASET, "x", NULL, NULL, 0, deployed, 1, NULL),
	    "recorded by the registry");
	REFUSED(mr_lineage_add_node(
	            c, MR_NODE_DATASET, "x", NULL, NULL, 0, bad_type, 1, NULL),
	    "edge type 42");
	REFUSED(mr_lineage_add_node(
	            c, MR_NODE_DATASET, "x", NULL, NULL, 0, NULL, 1, NULL),
	    "none given");

	/* Edges, walks, depths, kinds. */
	REFUSED(mr_lineage_add_edge(
	            c, "dataset:a", "model:m@1.0.0", MR_EDGE_DEPLOYED_AS),
	    "recorded by the registry");
	REFUSED(mr_lineage_add_edge(c, "dataset:a", "x", MR_EDGE_TRAINED_ON),
	    "downstream node");
	REFUSED(mr_lineage_walk(c, "dataset:a", (mr_direction)0, 0, NULL, &g),
	    "upstream (1) or downstream (2)");
	REFUSED(mr_lineage_walk(c, "dataset:a", MR_UPSTREAM,
	            MR_LINEAGE_DEPTH_MAX + 1, &page, &g),
	    "depth 33");
	REFUSED(mr_lineage_impact(
	            c, "dataset:a", MR_LINEAGE_DEPTH_MAX + 1, NULL, &im),
	    "depth 33");
	REFUSED(
	    mr_lineage_list_nodes(c, (mr_node_kind)7, NULL, &g), "node kind 7");
	assert_int_equal(
	    mr_lineage_get_node(NULL, "dataset:a", &g), MR_INVALID_ARGUMENT);
	mr_client_close(c);
	wr_responder_stop(rsp);
	assert_int_equal(atomic_load(&calls), 0);
}

/* ---- against the registry ----------------------------------------------- */

static void
test_lineage_registration_links_the_nodes_its_metadata_names(void **state)
{
	fixture *f = *state;
	mr_metadata md = {
	    .training_data_version = "v2024-01",
	    .feature_set_version = "v1",
	    .experiment = "exp-003",
	};
	const char *model = "model:fraud@3.1.0";
	mr_version *v;
	mr_graph *g;

	add_pipeline(f);
	v = register_with(f, "fraud", "v3.1.0", &md);
	assert_int_equal(v->n_dangling, 0);
	assert_null(v->dangling);
	mr_version_free(v);

	g = get_node(f, "model:fraud@v3.1.0"); /* the version normalized */
	assert_string_equal(g->nodes[0].id, model);
	assert_int_equal(g->nodes[0].kind, MR_NODE_MODEL);
	assert_string_equal(g->nodes[0].name, "fraud");
	assert_string_equal(g->nodes[0].version, "3.1.0");
	assert_true(g->nodes[0].created_revision > 0);
	assert_int_equal(g->n_edges, 3);
	assert_true(
	    has_edge(g, "dataset:@v2024-01", model, MR_EDGE_TRAINED_ON));
	assert_true(has_edge(g, "features:@v1", model, MR_EDGE_TRAINED_ON));
	assert_true(
	    has_edge(g, "experiment:exp-003", model, MR_EDGE_PRODUCED_BY));
	mr_graph_free(g);

	/* The parent, by NAME@VERSION, is linked as well. */
	md = (mr_metadata){.parent_model = "fraud@v3.1.0"};
	v = register_with(f, "fraud", "3.2.0", &md);
	assert_int_equal(v->n_dangling, 0);
	mr_version_free(v);
	g = get_node(f, "model:fraud@3.2.0");
	assert_true(has_edge(g, model, "model:fraud@3.2.0", MR_EDGE_PARENT_OF));
	mr_graph_free(g);
}

static void
test_lineage_dangling_reference_is_reported_then_linked_when_added(void **state)
{
	fixture *f = *state;
	mr_metadata md = {.experiment = "exp-9", .training_data_version = "v7"};
	const char *model = "model:fraud@1.0.0";
	mr_version *v;
	mr_graph *g;
	mr_node *n;

	v = register_with(f, "fraud", "1.0.0", &md);
	assert_int_equal(v->n_dangling, 2);
	for (size_t i = 0; i < v->n_dangling; i++) {
		const mr_dangling *d = &v->dangling[i];
		bool exp = strcmp(d->field, "experiment") == 0;

		assert_string_equal(d->value, exp ? "exp-9" : "v7");
		assert_int_equal(
		    d->kind, exp ? MR_NODE_EXPERIMENT : MR_NODE_DATASET);
		assert_non_null(strstr(d->reason, "no lineage node"));
	}
	mr_version_free(v);
	g = get_node(f, model);
	assert_int_equal(g->n_edges, 0);
	assert_int_equal(g->nodes[0].n_dangling, 2);
	mr_graph_free(g);

	/* The experiment appears: the version is linked to it at once. */
	assert_int_equal(mr_lineage_add_node(f->c, MR_NODE_EXPERIMENT, "exp-9",
	                     NULL, NULL, 0, NULL, 0, &n),
	    MR_OK);
	assert_string_equal(n->id, "experiment:exp-9");
	mr_node_free(n);
	g = get_node(f, model);
	assert_int_equal(g->n_edges, 1);
	assert_true(
	    has_edge(g, "experiment:exp-9", model, MR_EDGE_PRODUCED_BY));
	assert_int_equal(g->nodes[0].n_dangling, 1);
	assert_string_equal(
	    g->nodes[0].dangling[0].field, "training_data_version");
	mr_graph_free(g);
	add(f, MR_NODE_DATASET, "transactions", "v7", NULL, 0);
	g = get_node(f, model);
	assert_true(
	    has_edge(g, "dataset:transactions@v7", model, MR_EDGE_TRAINED_ON));
	assert_int_equal(g->nodes[0].n_dangling, 0);
	mr_graph_free(g);

	/* A reference to several nodes is dangling too, and stays so. */
	add(f, MR_NODE_DATASET, "cards", "v7", NULL, 0);
	md = (mr_metadata){.training_data_version = "v7"};
	v = register_with(f, "fraud", "2.0.0", &md);
	assert_int_equal(v->n_dangling, 1);
	assert_non_null(strstr(v->dangling[0].reason, "matches several nodes"));
	mr_version_free(v);
	add(f, MR_NODE_DATASET, "v7", "", NULL, 0);
	g = get_node(f, "model:fraud@2.0.0");
	assert_int_equal(g->n_edges, 0);
	mr_graph_free(g);
}

static void
test_lineage_walk_is_bounded_by_depth_both_ways(void **state)
{
	fixture *f = *state;
	mr_list_params page = {.page_size = 1000};
	mr_graph *g;

	add(f, MR_NODE_DATASET, "raw", "", NULL, 0);
	add(f, MR_NODE_DATASET, "clean", "", "dataset:raw",
	    MR_EDGE_DERIVED_FROM);
	add(f, MR_NODE_FEATURES, "fs", "", "dataset:clean",
	    MR_EDGE_DERIVED_FROM);
	add(f, MR_NODE_EXPERIMENT, "exp", "", "features:fs",
	    MR_EDGE_TRAINED_ON);

	assert_int_equal(
	    mr_lineage_walk(f->c, "dataset:raw", MR_DOWNSTREAM, 2, &page, &g),
	    MR_OK);
	assert_int_equal(g->n_nodes, 3);
	assert_string_equal(g->nodes[0].id, "dataset:raw");
	assert_int_equal(g->nodes[0].depth, 0);
	assert_string_equal(g->nodes[1].id, "dataset:clean");
	assert_int_equal(g->nodes[1].depth, 1);
	assert_string_equal(g->nodes[2].id, "features:fs");
	assert_int_equal(g->nodes[2].depth, 2);
	assert_true(g->depth_limited);
	assert_string_equal(g->next_page_token, "");
	assert_int_equal(g->n_edges, 2);
	assert_true(
	    has_edge(g, "dataset:clean", "features:fs", MR_EDGE_DERIVED_FROM));
	mr_graph_free(g);

	/* Upstream, edges still point the way data flows. */
	assert_int_equal(
	    mr_lineage_walk(f->c, "experiment:exp", MR_UPSTREAM, 0, NULL, &g),
	    MR_OK);
	assert_int_equal(g->n_nodes, 4);
	assert_false(g->depth_limited);
	assert_string_equal(g->nodes[3].id, "dataset:raw");
	assert_int_equal(g->nodes[3].depth, 3);
	assert_true(
	    has_edge(g, "features:fs", "experiment:exp", MR_EDGE_TRAINED_ON));
	mr_graph_free(g);
	assert_int_equal(
	    mr_lineage_walk(f->c, "experiment:exp", MR_UPSTREAM, 1, NULL, &g),
	    MR_OK);
	assert_int_equal(g->n_nodes, 2);
	assert_true(g->depth_limited);
	mr_graph_free(g);
}

static void
test_lineage_walk_pages_through_every_node_once(void **state)
{
	fixture *f = *state;
	mr_list_params page = {.page_size = 2};
	char name[16], *token = NULL, *seen[16];
	size_t n_seen = 0;
	int pages = 0;
	bool more;

	/* root -> d0..d4, d0 -> e0, e1: seven nodes below the root. */
	add(f, MR_NODE_DATASET, "root", "", NULL, 0);
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "d%d", i);
		add(f, MR_NODE_DATASET, name, "", "dataset:root",
		    MR_EDGE_DERIVED_FROM);
	}
	for (int i = 0; i < 2; i++) {
		snprintf(name, sizeof(name), "e%d", i);
		add(f, MR_NODE_FEATURES, name, "", "dataset:d0",
		    MR_EDGE_DERIVED_FROM);
	}
	do {
		mr_graph *g;

		page.page_token = token;
		assert_int_equal(mr_lineage_walk(f->c, "dataset:root",
		                     MR_DOWNSTREAM, 0, &page, &g),
		    MR_OK);
		pages++;
		assert_string_equal(g->nodes[0].id, "dataset:root");
		assert_true(g->n_nodes >= 2 && g->n_nodes <= 3);
		assert_int_equal(g->n_edges, g->n_nodes - 1);
		for (size_t i = 1; i < g->n_nodes; i++) {
			for (size_t k = 0; k < n_seen; k++)
				assert_string_not_equal(
				    seen[k], g->nodes[i].id);
			assert_true(n_seen < 16);
			seen[n_seen++] = strdup(g->nodes[i].id);
			/* Breadth first: the e's come last, at depth 2. */
			assert_int_equal(g->nodes[i].depth,
			    g->nodes[i].kind == MR_NODE_FEATURES ? 2 : 1);
			assert_int_equal(n_seen > 5, g->nodes[i].depth == 2);
		}
		more = turn_page(&token, g->next_page_token);
		mr_graph_free(g);
	} while (more);
	assert_int_equal(n_seen, 7);
	assert_int_equal(pages, 4);
	for (size_t k = 0; k < n_seen; k++)
		free(seen[k]);
}

static void
test_lineage_impact_lists_versions_with_their_stage_and_live_deployments(
    void **state)
{
	fixture *f = *state;
	mr_metadata md = {.training_data_version = "v2024-01"};
	mr_list_params page = {.page_size = 1};
	size_t versions = 0, live = 0;
	bool more;
	char *token = NULL;
	mr_impact *im;

	add(f, MR_NODE_DATASET, "", "v2024-01", NULL, 0);
	mr_version_free(register_with(f, "fraud", "1.0.0", &md));
	mr_version_free(register_with(f, "ranker", "2.0.0", &md));
	mr_version_free(register_with(f, "unrelated", "1.0.0", NULL));
	promote(f, "fraud", "1.0.0", MR_STAGE_STAGING);
	promote(f, "fraud", "1.0.0", MR_STAGE_PRODUCTION);
	promote(f, "ranker", "2.0.0", MR_STAGE_STAGING);

	assert_int_equal(
	    mr_lineage_impact(f->c, "dataset:v2024-01", 0, NULL, &im), MR_OK);
	assert_int_equal(im->n_versions, 2);
	for (size_t i = 0; i < im->n_versions; i++) {
		bool fraud = strcmp(im->versions[i].model, "fraud") == 0;

		assert_string_equal(
		    im->versions[i].version, fraud ? "1.0.0" : "2.0.0");
		assert_int_equal(im->versions[i].stage,
		    fraud ? MR_STAGE_PRODUCTION : MR_STAGE_STAGING);
		assert_int_equal(im->versions[i].depth, 1);
	}
	/* fraud's staging deployment ended when it went to production. */
	assert_int_equal(im->n_live_deployments, 2);
	for (size_t i = 0; i < im->n_live_deployments; i++) {
		const mr_node *d = &im->live_deployments[i];
		assert_int_equal(d->kind, MR_NODE_DEPLOYMENT);
		assert_int_equal(d->ended_at_ms, 0);
		assert_non_null(strstr(d->id, "deployment:"));
		assert_int_equal(d->stage,
		    strcmp(d->name, "fraud") == 0 ? MR_STAGE_PRODUCTION
		                                  : MR_STAGE_STAGING);
	}
	assert_string_equal(im->next_page_token, "");
	mr_impact_free(im);

	/* A page a version, with its own deployments. */
	do {
		page.page_token = token;
		assert_int_equal(
		    mr_lineage_impact(f->c, "dataset:v2024-01", 0, &page, &im),
		    MR_OK);
		assert_int_equal(im->n_versions, 1);
		assert_int_equal(im->n_live_deployments, 1);
		assert_string_equal(
		    im->live_deployments[0].name, im->versions[0].model);
		versions += im->n_versions;
		live += im->n_live_deployments;
		more = turn_page(&token, im->next_page_token);
		mr_impact_free(im);
	} while (more);
	assert_int_equal(versions, 2);
	assert_int_equal(live, 2);

	/* Depth counts: nothing is one edge below the feature set's data. */
	add(f, MR_NODE_DATASET, "raw", "", NULL, 0);
	add(f, MR_NODE_FEATURES, "fs", "", "dataset:raw", MR_EDGE_DERIVED_FROM);
	md = (mr_metadata){.feature_set_version = "fs"};
	mr_version_free(register_with(f, "fraud", "1.1.0", &md));
	assert_int_equal(
	    mr_lineage_impact(f->c, "dataset:raw", 1, NULL, &im), MR_OK);
	assert_int_equal(im->n_versions, 0);
	mr_impact_free(im);
	assert_int_equal(
	    mr_lineage_impact(f->c, "dataset:raw", 2, NULL, &im), MR_OK);
	assert_int_equal(im->n_versions, 1);
	assert_int_equal(im->versions[0].depth, 2);
	assert_int_equal(im->versions[0].stage, MR_STAGE_DEV);
	assert_int_equal(im->n_live_deployments, 0);
	mr_impact_free(im);
}

static void
test_lineage_path_is_found_either_way_round(void **state)
{
	fixture *f = *state;
	mr_metadata md = {.experiment = "exp-003"};
	static const char *const ids[] = {"dataset:@v2024-01", "features:@v1",
	    "experiment:exp-003", "model:fraud@1.0.0"};
	static const mr_edge_type types[] = {
	    MR_EDGE_DERIVED_FROM, MR_EDGE_TRAINED_ON, MR_EDGE_PRODUCED_BY};
	mr_graph *g;

	add_pipeline(f);
	add(f, MR_NODE_DATASET, "elsewhere", "", NULL, 0);
	mr_version_free(register_with(f, "fraud", "1.0.0", &md));
	for (int round = 0; round < 2; round++) {
		if (round == 0)
			assert_int_equal(
			    mr_lineage_path(f->c, "dataset:v2024-01",
			        "model:fraud@1.0.0", 0, &g),
			    MR_OK);
		else
			assert_int_equal(
			    mr_lineage_path(f->c, "model:fraud@1.0.0",
			        "dataset:v2024-01", 0, &g),
			    MR_OK);
		/* From the upstream end, whichever way it was asked. */
		assert_int_equal(g->n_nodes, 4);
		assert_int_equal(g->n_edges, 3);
		for (size_t i = 0; i < 4; i++)
			assert_string_equal(g->nodes[i].id, ids[i]);
		for (size_t i = 0; i < 3; i++) {
			assert_string_equal(g->edges[i].from, ids[i]);
			assert_string_equal(g->edges[i].to, ids[i + 1]);
			assert_int_equal(g->edges[i].type, types[i]);
		}
		mr_graph_free(g);
	}
	assert_int_equal(mr_lineage_path(f->c, "dataset:v2024-01",
	                     "model:fraud@1.0.0", 2, &g),
	    MR_NOT_FOUND);
	assert_int_equal(mr_lineage_path(f->c, "dataset:elsewhere",
	                     "model:fraud@1.0.0", 0, &g),
	    MR_NOT_FOUND);
	assert_non_null(strstr(mr_client_errmsg(f->c), "no path"));
}

static void
test_lineage_edge_closing_a_cycle_is_refused(void **state)
{
	fixture *f = *state;
	mr_graph *g;

	add(f, MR_NODE_DATASET, "a", "", NULL, 0);
	add(f, MR_NODE_DATASET, "b", "", "dataset:a", MR_EDGE_DERIVED_FROM);
	add(f, MR_NODE_DATASET, "c", "", "dataset:b", MR_EDGE_DERIVED_FROM);
	assert_int_equal(mr_lineage_add_edge(f->c, "dataset:c", "dataset:a",
	                     MR_EDGE_DERIVED_FROM),
	    MR_FAILED_PRECONDITION);
	assert_non_null(strstr(mr_client_errmsg(f->c), "would close a cycle"));
	assert_int_equal(mr_lineage_add_edge(f->c, "dataset:a", "dataset:a",
	                     MR_EDGE_DERIVED_FROM),
	    MR_FAILED_PRECONDITION);
	g = get_node(f, "dataset:a");
	assert_int_equal(g->n_edges, 1); /* only a -> b */
	mr_graph_free(g);
	/* A shortcut along the flow closes nothing. */
	assert_int_equal(mr_lineage_add_edge(f->c, "dataset:a", "dataset:c",
	                     MR_EDGE_DERIVED_FROM),
	    MR_OK);
	g = get_node(f, "dataset:c");
	assert_true(
	    has_edge(g, "dataset:a", "dataset:c", MR_EDGE_DERIVED_FROM));
	mr_graph_free(g);
	assert_int_equal(mr_lineage_add_edge(f->c, "dataset:a", "dataset:nope",
	                     MR_EDGE_DERIVED_FROM),
	    MR_NOT_FOUND);
}

static void
test_lineage_delete_is_refused_while_something_depends_on_the_node(void **state)
{
	fixture *f = *state;
	mr_metadata md = {.feature_set_version = "v1"};
	mr_graph *g;

	add_pipeline(f);
	mr_version_free(register_with(f, "fraud", "1.0.0", &md));
	assert_int_equal(mr_lineage_delete_node(f->c, "dataset:v2024-01"),
	    MR_FAILED_PRECONDITION);
	assert_non_null(strstr(mr_client_errmsg(f->c), "depends on it"));
	assert_int_equal(mr_lineage_delete_node(f->c, "model:fraud@1.0.0"),
	    MR_FAILED_PRECONDITION);
	assert_non_null(strstr(mr_client_errmsg(f->c), "kept by the registry"));

	/* Leaves go, with their upstream edges; then what they hung on. */
	assert_int_equal(
	    mr_lineage_delete_node(f->c, "experiment:exp-003"), MR_OK);
	assert_int_equal(
	    mr_lineage_get_node(f->c, "experiment:exp-003", &g), MR_NOT_FOUND);
	g = get_node(f, "features:v1");
	assert_int_equal(g->n_edges, 2); /* from the dataset, to the model */
	mr_graph_free(g);
	assert_int_equal(mr_lineage_delete_node(f->c, "features:v1"),
	    MR_FAILED_PRECONDITION);
	assert_int_equal(
	    mr_lineage_delete_node(f->c, "experiment:exp-003"), MR_NOT_FOUND);
}

static void
test_lineage_bad_ids_are_invalid_argument_and_unknown_ones_not_found(
    void **state)
{
	fixture *f = *state;
	mr_graph *g;

	add(f, MR_NODE_DATASET, "a", "v1", NULL, 0);
	add(f, MR_NODE_DATASET, "b", "v1", NULL, 0);
	assert_int_equal(
	    mr_lineage_get_node(f->c, "dataset:nope", &g), MR_NOT_FOUND);
	assert_non_null(strstr(mr_client_errmsg(f->c), "no lineage node"));
	/* By version, both match: say which. */
	assert_int_equal(mr_lineage_get_node(f->c, "dataset:v1", &g),
	    MR_FAILED_PRECONDITION);
	assert_non_null(strstr(mr_client_errmsg(f->c), "matches several"));
	g = get_node(f, "data:a@v1"); /* an alias the server accepts */
	assert_string_equal(g->nodes[0].id, "dataset:a@v1");
	mr_graph_free(g);
	assert_int_equal(
	    mr_lineage_get_node(f->c, "model:fraud", &g), MR_INVALID_ARGUMENT);
	assert_int_equal(mr_lineage_get_node(f->c, "model:fraud@3.1", &g),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(mr_lineage_walk(f->c, "dataset:a@v1", MR_UPSTREAM, 0,
	                     &(mr_list_params){.page_token = "x"}, &g),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(mr_lineage_add_node(f->c, MR_NODE_DATASET, "a", "v1",
	                     NULL, 0, NULL, 0, NULL),
	    MR_ALREADY_EXISTS);
}

static void
test_lineage_promote_and_rollback_open_and_close_deployments(void **state)
{
	fixture *f = *state;
	const char *v1 = "model:fraud@1.0.0", *v2 = "model:fraud@2.0.0";
	int live, ended;

	mr_version_free(register_with(f, "fraud", "1.0.0", NULL));
	mr_version_free(register_with(f, "fraud", "2.0.0", NULL));
	count_deployments(f, v1, MR_STAGE_STAGING, &live, &ended);
	assert_int_equal(live + ended, 0);

	promote(f, "fraud", "1.0.0", MR_STAGE_STAGING);
	count_deployments(f, v1, MR_STAGE_STAGING, &live, &ended);
	assert_int_equal(live, 1);
	assert_int_equal(ended, 0);
	promote(f, "fraud", "1.0.0", MR_STAGE_PRODUCTION);
	count_deployments(f, v1, MR_STAGE_STAGING, &live, &ended);
	assert_int_equal(live, 0);
	assert_int_equal(ended, 1);
	count_deployments(f, v1, MR_STAGE_PRODUCTION, &live, &ended);
	assert_int_equal(live, 1);

	/* 2.0.0 to production archives 1.0.0: its deployment ends. */
	promote(f, "fraud", "2.0.0", MR_STAGE_STAGING);
	promote(f, "fraud", "2.0.0", MR_STAGE_PRODUCTION);
	count_deployments(f, v1, MR_STAGE_PRODUCTION, &live, &ended);
	assert_int_equal(live, 0);
	assert_int_equal(ended, 1);
	count_deployments(f, v2, MR_STAGE_PRODUCTION, &live, &ended);
	assert_int_equal(live, 1);

	/* The rollback ends 2.0.0's and opens a new one for 1.0.0. */
	assert_int_equal(
	    mr_rollback(f->c, "fraud", NULL, "p99 doubled", NULL), MR_OK);
	count_deployments(f, v2, MR_STAGE_PRODUCTION, &live, &ended);
	assert_int_equal(live, 0);
	assert_int_equal(ended, 1);
	count_deployments(f, v1, MR_STAGE_PRODUCTION, &live, &ended);
	assert_int_equal(live, 1);
	assert_int_equal(ended, 1);
}

static void
test_lineage_list_nodes_by_kind_in_pages(void **state)
{
	fixture *f = *state;
	mr_kv props[] = {{"rows", "1000"}, {"owner", "data-eng"}};
	mr_list_params page = {.page_size = 2};
	char *token = NULL;
	size_t total = 0;
	bool more;
	mr_graph *g;
	mr_node *n;

	assert_int_equal(mr_lineage_add_node(f->c, MR_NODE_DATASET, "d0", "v1",
	                     props, 2, NULL, 0, &n),
	    MR_OK);
	assert_int_equal(n->n_properties, 2);
	assert_string_equal(n->properties[0].key, "owner"); /* sorted */
	assert_string_equal(n->properties[1].value, "1000");
	assert_true(n->created_at_ms > 0);
	mr_node_free(n);
	add(f, MR_NODE_DATASET, "d1", "", NULL, 0);
	add(f, MR_NODE_DATASET, "d2", "", NULL, 0);
	add(f, MR_NODE_EXPERIMENT, "x", "", "dataset:d1", MR_EDGE_TRAINED_ON);
	mr_version_free(register_with(f, "fraud", "1.0.0", NULL));
	do {
		page.page_token = token;
		assert_int_equal(
		    mr_lineage_list_nodes(f->c, MR_NODE_DATASET, &page, &g),
		    MR_OK);
		for (size_t i = 0; i < g->n_nodes; i++)
			assert_int_equal(g->nodes[i].kind, MR_NODE_DATASET);
		total += g->n_nodes;
		more = turn_page(&token, g->next_page_token);
		mr_graph_free(g);
	} while (more);
	assert_int_equal(total, 3);
	assert_int_equal(mr_lineage_list_nodes(f->c, 0, NULL, &g), MR_OK);
	assert_int_equal(g->n_nodes, 5); /* and the model version */
	assert_string_equal(g->nodes[0].id, "dataset:d0@v1");
	assert_string_equal(g->nodes[4].id, "model:fraud@1.0.0");
	mr_graph_free(g);
}

/* The reply to the next call of `method` is lost; the call still
 * succeeds, having reached the server twice with one key. */
static void
expect_applied_once(wr_tap *tap, const char *method, int first)
{
	char k0[MR_IDEMPOTENCY_KEY_MAX + 1], k1[sizeof(k0)];

	assert_int_equal(wr_tap_calls(tap, method), first + 2);
	wr_tap_key(tap, method, first, k0);
	wr_tap_key(tap, method, first + 1, k1);
	assert_int_equal(strlen(k0), RPC_KEY_LEN);
	assert_string_equal(k0, k1);
}

static void
test_lineage_mutations_whose_reply_is_lost_are_applied_once(void **state)
{
	fixture *f = *state;
	mr_link link = {"dataset:a", MR_EDGE_DERIVED_FROM};
	mr_client *c;
	wr_tap *tap;
	mr_graph *g;
	mr_node *n;
	char url[64];

	wr_url(url, "tap");
	tap = wr_tap_start(url, f->s.url);
	c = rs_client(url, "alice", 30000, 0);
	add(f, MR_NODE_DATASET, "a", "", NULL, 0);

	/* Not ALREADY_EXISTS: the retry gets the first attempt's reply. */
	wr_tap_lose_reply(tap, "AddNode");
	assert_int_equal(mr_lineage_add_node(c, MR_NODE_DATASET, "b", NULL,
	                     NULL, 0, &link, 1, &n),
	    MR_OK);
	assert_string_equal(n->id, "dataset:b");
	mr_node_free(n);
	expect_applied_once(tap, "AddNode", 0);

	/* A refusal is not stored: the retry is refused again. */
	wr_tap_lose_reply(tap, "AddEdge");
	assert_int_equal(mr_lineage_add_edge(
	                     c, "dataset:b", "dataset:a", MR_EDGE_DERIVED_FROM),
	    MR_FAILED_PRECONDITION);
	expect_applied_once(tap, "AddEdge", 0);
	add(f, MR_NODE_DATASET, "c", "", NULL, 0);
	wr_tap_lose_reply(tap, "AddEdge");
	assert_int_equal(mr_lineage_add_edge(
	                     c, "dataset:b", "dataset:c", MR_EDGE_DERIVED_FROM),
	    MR_OK);
	expect_applied_once(tap, "AddEdge", 2);

	/* Not NOT_FOUND the second time. */
	wr_tap_lose_reply(tap, "DeleteNode");
	assert_int_equal(mr_lineage_delete_node(c, "dataset:c"), MR_OK);
	expect_applied_once(tap, "DeleteNode", 0);
	assert_int_equal(
	    mr_lineage_get_node(f->c, "dataset:c", &g), MR_NOT_FOUND);
	g = get_node(f, "dataset:b");
	assert_int_equal(g->n_edges, 1);
	mr_graph_free(g);
	mr_client_close(c);
	wr_tap_stop(tap);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lineage_kind_and_edge_type_names_parse_back),
	    cmocka_unit_test(
	        test_lineage_bad_arguments_are_refused_without_a_round_trip),
#define T(name)                                                                \
	cmocka_unit_test_setup_teardown(name, setup, rs_fixture_teardown)
	    T(test_lineage_registration_links_the_nodes_its_metadata_names),
	    T(test_lineage_dangling_reference_is_reported_then_linked_when_added),
	    T(test_lineage_walk_is_bounded_by_depth_both_ways),
	    T(test_lineage_walk_pages_through_every_node_once),
	    T(test_lineage_impact_lists_versions_with_their_stage_and_live_deployments),
	    T(test_lineage_path_is_found_either_way_round),
	    T(test_lineage_edge_closing_a_cycle_is_refused),
	    T(test_lineage_delete_is_refused_while_something_depends_on_the_node),
	    T(test_lineage_bad_ids_are_invalid_argument_and_unknown_ones_not_found),
	    T(test_lineage_promote_and_rollback_open_and_close_deployments),
	    T(test_lineage_list_nodes_by_kind_in_pages),
	    T(test_lineage_mutations_whose_reply_is_lost_are_applied_once),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
