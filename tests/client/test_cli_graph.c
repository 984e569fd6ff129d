/*
 * test_cli_graph.c - lineage graphs in the CLI (client/cli_graph.c): node
 * labels, the tree drawn from a DAG with each node under the parent on
 * its longest path from a root, siblings and roots in label order, the
 * Graphviz and JSON forms, and the edge types links get by default. All
 * pure functions of the graph, built here by hand; the CLI against a real
 * registry is tests/e2e/test_cli.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common.h"
#include "testutil.h"

static mr_node
node(const char *id, mr_node_kind kind, const char *name, const char *version)
{
	return (mr_node){
	    .id = (char *)id,
	    .kind = kind,
	    .name = (char *)name,
	    .version = (char *)version,
	    .environment = (char *)"",
	};
}

static mr_edge
edge(const char *from, const char *to, mr_edge_type type)
{
	return (mr_edge){(char *)from, (char *)to, type};
}

/* Adds n nodes (each new) and m edges. */
static void
add_all(cli_graph *g, mr_node *nodes, size_t n, mr_edge *edges, size_t m)
{
	for (size_t i = 0; i < n; i++)
		assert_true(cg_add_node(g, &nodes[i]));
	for (size_t i = 0; i < m; i++)
		cg_add_edge(g, &edges[i]);
}

/* What a print function writes, as a string (malloc'd). */
static char *
printed(void (*print)(const cli_graph *, FILE *), const cli_graph *g)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	print(g, f);
	fclose(f);
	return buf;
}

/* The tree of a graph is `want`; the graph is freed. */
static void
expect_tree(cli_graph *g, const char *want)
{
	char *text = printed(cg_print_tree, g);

	assert_string_equal(text, want);
	free(text);
	cg_free(g);
}

static void
expect_label(const mr_node *n, const char *want)
{
	char *label = cg_label(n);

	assert_string_equal(label, want);
	free(label);
}

static void
test_cli_graph_labels_name_each_kind_as_the_issue_shows(void **state)
{
	mr_node n;
	char when[32], want[128];

	(void)state;
	n = node("dataset:@v2024-01", MR_NODE_DATASET, "", "v2024-01");
	expect_label(&n, "data:v2024-01");
	n = node("dataset:tx@v2024-01", MR_NODE_DATASET, "tx", "v2024-01");
	expect_label(&n, "data:tx@v2024-01");
	n = node("dataset:tx", MR_NODE_DATASET, "tx", "");
	expect_label(&n, "data:tx");
	n = node("features:@v1", MR_NODE_FEATURES, "", "v1");
	expect_label(&n, "feature-engineering:v1");
	n = node("experiment:exp-003", MR_NODE_EXPERIMENT, "exp-003", "");
	expect_label(&n, "experiment:exp-003");
	n = node("increment:inc-12", MR_NODE_INCREMENT, "inc-12", "");
	expect_label(&n, "increment:inc-12");
	n = node("model:fraud@3.1.0", MR_NODE_MODEL, "fraud", "3.1.0");
	expect_label(&n, "model:fraud-3.1.0");
	n = node("deployment:fraud@3.1.0/production/4", MR_NODE_DEPLOYMENT,
	    "fraud", "3.1.0");
	n.stage = MR_STAGE_PRODUCTION;
	n.environment = "default";
	expect_label(&n, "deployment:production");
	n.stage = MR_STAGE_STAGING;
	n.environment = "eu-west";
	n.ended_at_ms = 1705312800000;
	snprintf(want, sizeof(want), "deployment:staging (ended %s) [eu-west]",
	    mr_format_time(n.ended_at_ms, when));
	expect_label(&n, want);
}

/* The issue's example: the model has edges from its dataset, its feature
 * set and its experiment, the experiment from the feature set. */
static void
issue_graph(cli_graph *g, mr_node *nodes, mr_edge *edges)
{
	nodes[0] = node("model:fraud-detection-model@3.1.0", MR_NODE_MODEL,
	    "fraud-detection-model", "3.1.0");
	nodes[1] = node("dataset:@v2024-01", MR_NODE_DATASET, "", "v2024-01");
	nodes[2] = node("features:@v1", MR_NODE_FEATURES, "", "v1");
	nodes[3] = node("experiment:exp-003-xgboost", MR_NODE_EXPERIMENT,
	    "exp-003-xgboost", "");
	nodes[4] = node("deployment:fraud-detection-model@3.1.0/production/9",
	    MR_NODE_DEPLOYMENT, "fraud-detection-model", "3.1.0");
	nodes[4].stage = MR_STAGE_PRODUCTION;
	edges[0] = edge(nodes[1].id, nodes[0].id, MR_EDGE_TRAINED_ON);
	edges[1] = edge(nodes[2].id, nodes[0].id, MR_EDGE_TRAINED_ON);
	edges[2] = edge(nodes[3].id, nodes[0].id, MR_EDGE_PRODUCED_BY);
	edges[3] = edge(nodes[1].id, nodes[2].id, MR_EDGE_DERIVED_FROM);
	edges[4] = edge(nodes[2].id, nodes[3].id, MR_EDGE_TRAINED_ON);
	edges[5] = edge(nodes[0].id, nodes[4].id, MR_EDGE_DEPLOYED_AS);
	add_all(g, nodes, 5, edges, 6);
}

static void
test_cli_graph_tree_puts_each_node_under_its_longest_path(void **state)
{
	cli_graph g = {0};
	mr_node nodes[5];
	mr_edge edges[6];

	(void)state;
	issue_graph(&g, nodes, edges);
	expect_tree(&g,
	    "data:v2024-01\n"
	    "└─> feature-engineering:v1\n"
	    "    └─> experiment:exp-003-xgboost\n"
	    "        └─> model:fraud-detection-model-3.1.0\n"
	    "            └─> deployment:production\n");
}

static void
test_cli_graph_tree_sorts_roots_and_siblings_and_draws_branches(void **state)
{
	cli_graph g = {0};
	mr_node n[6] = {
	    node("dataset:b", MR_NODE_DATASET, "b", ""),
	    node("features:z", MR_NODE_FEATURES, "z", ""),
	    node("dataset:a", MR_NODE_DATASET, "a", ""),
	    node("experiment:y", MR_NODE_EXPERIMENT, "y", ""),
	    node("experiment:x", MR_NODE_EXPERIMENT, "x", ""),
	    node("model:m@1.0.0", MR_NODE_MODEL, "m", "1.0.0"),
	};
	/* b -> z -> {x, y}; x -> m; a stands alone. */
	mr_edge e[4] = {
	    edge("features:z", "experiment:y", MR_EDGE_TRAINED_ON),
	    edge("dataset:b", "features:z", MR_EDGE_DERIVED_FROM),
	    edge("features:z", "experiment:x", MR_EDGE_TRAINED_ON),
	    edge("experiment:x", "model:m@1.0.0", MR_EDGE_PRODUCED_BY),
	};

	(void)state;
	add_all(&g, n, 6, e, 4);
	expect_tree(&g,
	    "data:a\n"
	    "data:b\n"
	    "└─> feature-engineering:z\n"
	    "    ├─> experiment:x\n"
	    "    │   └─> model:m-1.0.0\n"
	    "    └─> experiment:y\n");
}

static void
test_cli_graph_nodes_are_kept_once_by_id(void **state)
{
	cli_graph g = {0};
	mr_node a = node("dataset:a", MR_NODE_DATASET, "a", "");
	mr_node again = node("dataset:a", MR_NODE_DATASET, "other", "");
	mr_node b = node("dataset:b", MR_NODE_DATASET, "b", "");
	mr_edge dangling = edge("dataset:a", "dataset:gone", MR_EDGE_PART_OF);

	(void)state;
	assert_true(cg_add_node(&g, &a));
	assert_false(cg_add_node(&g, &again));
	assert_true(cg_add_node(&g, &b));
	assert_int_equal(g.n_nodes, 2);
	assert_ptr_equal(cg_find(&g, "dataset:a"), &a);
	assert_ptr_equal(cg_find(&g, "dataset:b"), &b);
	assert_null(cg_find(&g, "dataset:c"));
	/* An edge to a node not in the graph is drawn by nobody. */
	cg_add_edge(&g, &dangling);
	expect_tree(&g, "data:a\ndata:b\n");
	assert_int_equal(g.n_nodes, 0);
	cg_free(&g); /* twice is harmless */
}

static void
test_cli_graph_cycle_still_prints_every_node_once(void **state)
{
	cli_graph g = {0};
	mr_node n[3] = {
	    node("dataset:r", MR_NODE_DATASET, "r", ""),
	    node("dataset:a", MR_NODE_DATASET, "a", ""),
	    node("dataset:b", MR_NODE_DATASET, "b", ""),
	};
	mr_edge e[3] = {
	    edge("dataset:r", "dataset:a", MR_EDGE_DERIVED_FROM),
	    edge("dataset:a", "dataset:b", MR_EDGE_DERIVED_FROM),
	    edge("dataset:b", "dataset:a", MR_EDGE_DERIVED_FROM),
	};

	(void)state;
	add_all(&g, n, 3, e, 3);
	expect_tree(&g, "data:b\ndata:r\n└─> data:a\n");
}

static void
test_cli_graph_dot_and_json_hold_every_node_and_edge(void **state)
{
	cli_graph g = {0};
	mr_node nodes[5], odd = node("dataset:q", MR_NODE_DATASET, "q\"x", "");
	mr_edge edges[6];
	json_object *j, *v;
	char *text;

	(void)state;
	issue_graph(&g, nodes, edges);
	cg_add_node(&g, &odd);
	text = printed(cg_print_dot, &g);
	assert_ptr_equal(strstr(text, "digraph lineage {\n"), text);
	assert_non_null(strstr(
	    text, "  \"dataset:@v2024-01\" [label=\"data:v2024-01\"];\n"));
	assert_non_null(strstr(text,
	    "  \"features:@v1\" -> \"experiment:exp-003-xgboost\" "
	    "[label=\"trained_on\"];\n"));
	assert_non_null(strstr(text, "[label=\"data:q\\\"x\"]"));
	assert_non_null(strstr(text, "[label=\"deployed_as\"];\n}\n"));
	free(text);

	j = cj_graph(&g);
	assert_true(json_object_object_get_ex(j, "nodes", &v));
	assert_int_equal(json_object_array_length(v), 6);
	assert_string_equal(json_object_get_string(json_object_object_get(
	                        json_object_array_get_idx(v, 4), "stage")),
	    "production");
	assert_true(json_object_object_get_ex(j, "edges", &v));
	assert_int_equal(json_object_array_length(v), 6);
	assert_string_equal(json_object_get_string(json_object_object_get(
	                        json_object_array_get_idx(v, 2), "type")),
	    "produced_by");
	json_object_put(j);
	cg_free(&g);
}

static void
test_cli_graph_default_edge_types_follow_the_kinds(void **state)
{
	(void)state;
	assert_int_equal(cg_default_edge(MR_NODE_DATASET, MR_NODE_FEATURES),
	    MR_EDGE_DERIVED_FROM);
	assert_int_equal(cg_default_edge(MR_NODE_FEATURES, MR_NODE_DATASET),
	    MR_EDGE_DERIVED_FROM);
	assert_int_equal(cg_default_edge(MR_NODE_FEATURES, MR_NODE_EXPERIMENT),
	    MR_EDGE_TRAINED_ON);
	assert_int_equal(cg_default_edge(MR_NODE_DATASET, MR_NODE_MODEL),
	    MR_EDGE_TRAINED_ON);
	assert_int_equal(
	    cg_default_edge(MR_NODE_INCREMENT, MR_NODE_MODEL), MR_EDGE_PART_OF);
	assert_int_equal(cg_default_edge(MR_NODE_INCREMENT, MR_NODE_EXPERIMENT),
	    MR_EDGE_PART_OF);
	assert_int_equal(
	    cg_default_edge(MR_NODE_EXPERIMENT, MR_NODE_EXPERIMENT),
	    MR_EDGE_DERIVED_FROM);
	assert_int_equal(cg_default_edge(MR_NODE_EXPERIMENT, MR_NODE_MODEL),
	    MR_EDGE_PRODUCED_BY);
	assert_int_equal(
	    cg_default_edge(MR_NODE_MODEL, MR_NODE_MODEL), MR_EDGE_PARENT_OF);
	assert_int_equal(cg_default_edge(MR_NODE_MODEL, MR_NODE_DATASET), 0);
	assert_int_equal(
	    cg_default_edge(MR_NODE_EXPERIMENT, MR_NODE_DATASET), 0);
	assert_int_equal(cg_default_edge((mr_node_kind)0, MR_NODE_MODEL), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        test_cli_graph_labels_name_each_kind_as_the_issue_shows),
	    cmocka_unit_test(
	        test_cli_graph_tree_puts_each_node_under_its_longest_path),
	    cmocka_unit_test(
	        test_cli_graph_tree_sorts_roots_and_siblings_and_draws_branches),
	    cmocka_unit_test(test_cli_graph_nodes_are_kept_once_by_id),
	    cmocka_unit_test(test_cli_graph_cycle_still_prints_every_node_once),
	    cmocka_unit_test(
	        test_cli_graph_dot_and_json_hold_every_node_and_edge),
	    cmocka_unit_test(
	        test_cli_graph_default_edge_types_follow_the_kinds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
