/*
 * test_lineage.c - the Lineage service and the lineage the registry keeps
 * by itself, through the dispatcher on a real store: graph construction
 * from registration metadata, dangling references reported and later
 * linked, deployments opened and closed by promotion and rollback, walks
 * in both directions with depth limits and paging, impact, paths, cycle
 * and deletion refusals, and atomicity with the registration.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svctest.h"
#include "testutil.h"

#define DATASET MODELREG__V1__NODE_KIND__NODE_KIND_DATASET
#define FEATURES MODELREG__V1__NODE_KIND__NODE_KIND_FEATURES
#define EXPERIMENT MODELREG__V1__NODE_KIND__NODE_KIND_EXPERIMENT
#define INCREMENT MODELREG__V1__NODE_KIND__NODE_KIND_INCREMENT
#define UP MODELREG__V1__DIRECTION__DIRECTION_UPSTREAM
#define DOWN MODELREG__V1__DIRECTION__DIRECTION_DOWNSTREAM
#define DERIVED MODELREG__V1__EDGE_TYPE__EDGE_TYPE_DERIVED_FROM
#define TRAINED MODELREG__V1__EDGE_TYPE__EDGE_TYPE_TRAINED_ON
#define PRODUCED MODELREG__V1__EDGE_TYPE__EDGE_TYPE_PRODUCED_BY
#define PARENT MODELREG__V1__EDGE_TYPE__EDGE_TYPE_PARENT_OF
#define DEPLOYED MODELREG__V1__EDGE_TYPE__EDGE_TYPE_DEPLOYED_AS

/* Adds a pipeline node with at most one upstream edge. */
static mr_status
add_node(st_env *env, int kind, const char *name, const char *version,
    const char *from, int type)
{
	Modelreg__V1__AddNodeRequest rq = MODELREG__V1__ADD_NODE_REQUEST__INIT;
	Modelreg__V1__Edge e = MODELREG__V1__EDGE__INIT;
	Modelreg__V1__Edge *ep[] = { &e };

	rq.kind = (Modelreg__V1__NodeKind)kind;
	rq.name = (char *)name;
	rq.version = (char *)version;
	if (from != NULL) {
		e.from = (char *)from;
		e.type = (Modelreg__V1__EdgeType)type;
		rq.n_upstream = 1;
		rq.upstream = ep;
	}
	return st_call(env, "Lineage/AddNode", &rq.base, NULL, NULL, NULL);
}

static mr_status
add_edge(st_env *env, const char *from, const char *to, int type)
{
	Modelreg__V1__AddEdgeRequest rq = MODELREG__V1__ADD_EDGE_REQUEST__INIT;
	Modelreg__V1__Edge e = MODELREG__V1__EDGE__INIT;

	e.from = (char *)from;
	e.to = (char *)to;
	e.type = (Modelreg__V1__EdgeType)type;
	rq.edge = &e;
	return st_call(env, "Lineage/AddEdge", &rq.base, NULL, NULL, NULL);
}

/* Registers name@version with lineage metadata; returns its dangling
 * references through *resp if asked. */
static mr_status
register_md(st_env *env, const char *name, const char *version,
    const char *data, const char *features, const char *experiment,
    const char *parent, Modelreg__V1__RegisterVersionResponse **resp)
{
	Modelreg__V1__RegisterVersionRequest rq =
	    MODELREG__V1__REGISTER_VERSION_REQUEST__INIT;
	Modelreg__V1__Metadata md = MODELREG__V1__METADATA__INIT;
	uint8_t bytes[64];
	st_file f = { "m.bin", bytes, sizeof(bytes) };
	mr_status rv;

	tu_fill_random(bytes, sizeof(bytes), 3);
	md.training_data_version = (char *)(data ? data : "");
	md.feature_set_version = (char *)(features ? features : "");
	md.experiment = (char *)(experiment ? experiment : "");
	md.parent_model = (char *)(parent ? parent : "");
	rq.name = (char *)name;
	rq.version = (char *)version;
	rq.metadata = &md;
	rq.manifest = st_upload(env, &f, 1, false, 64);
	rv = st_call(env, "Registry/RegisterVersion", &rq.base, NULL,
	    &modelreg__v1__register_version_response__descriptor,
	    (ProtobufCMessage **)resp);
	st_manifest_free(rq.manifest);
	return rv;
}

static Modelreg__V1__WalkResponse *
walk(st_env *env, const char *id, int dir, uint32_t depth, uint32_t size,
    const char *token)
{
	Modelreg__V1__WalkRequest rq = MODELREG__V1__WALK_REQUEST__INIT;
	Modelreg__V1__WalkResponse *r = NULL;

	rq.id = (char *)id;
	rq.direction = (Modelreg__V1__Direction)dir;
	rq.depth = depth;
	rq.page_size = size;
	rq.page_token = (char *)(token ? token : "");
	if (st_call(env, "Lineage/Walk", &rq.base, NULL,
		&modelreg__v1__walk_response__descriptor,
		(ProtobufCMessage **)&r) != MR_OK)
		return NULL;
	return r;
}

static bool
walk_has(const Modelreg__V1__WalkResponse *r, const char *id, uint32_t depth)
{
	for (size_t i = 0; i < r->n_nodes; i++)
		if (strcmp(r->nodes[i]->node->id, id) == 0)
			return r->nodes[i]->depth == depth;
	return false;
}

static Modelreg__V1__GetNodeResponse *
get_node(st_env *env, const char *id)
{
	Modelreg__V1__GetNodeRequest rq = MODELREG__V1__GET_NODE_REQUEST__INIT;
	Modelreg__V1__GetNodeResponse *r = NULL;

	rq.id = (char *)id;
	if (st_call(env, "Lineage/GetNode", &rq.base, NULL,
		&modelreg__v1__get_node_response__descriptor,
		(ProtobufCMessage **)&r) != MR_OK)
		return NULL;
	return r;
}

/* The chain: data -> features -> experiment. */
static void
pipeline(st_env *env)
{
	assert_int_equal(add_node(env, DATASET, "", "v2024-01", NULL, 0),
	    MR_OK);
	assert_int_equal(add_node(env, FEATURES, "", "v1", "dataset:v2024-01",
			     DERIVED),
	    MR_OK);
	assert_int_equal(add_node(env, EXPERIMENT, "exp-003-xgboost", "",
			     "features:v1", TRAINED),
	    MR_OK);
}

static void
test_registration_links_the_nodes_its_metadata_names(void **state)
{
	st_env *env = *state;
	Modelreg__V1__RegisterVersionResponse *resp;
	Modelreg__V1__WalkResponse *w;

	pipeline(env);
	assert_int_equal(register_md(env, "fraud", "3.1.0", "v2024-01", "v1",
			     "exp-003-xgboost", NULL, &resp),
	    MR_OK);
	assert_int_equal(resp->n_dangling, 0);
	modelreg__v1__register_version_response__free_unpacked(resp, NULL);

	w = walk(env, "model:fraud@3.1.0", UP, 0, 0, NULL);
	assert_non_null(w);
	assert_string_equal(w->start->id, "model:fraud@3.1.0");
	assert_true(walk_has(w, "dataset:@v2024-01", 1));
	assert_true(walk_has(w, "features:@v1", 1));
	assert_true(walk_has(w, "experiment:exp-003-xgboost", 1));
	assert_int_equal(w->n_nodes, 3);
	assert_false(w->depth_limited);
	modelreg__v1__walk_response__free_unpacked(w, NULL);

	/* Downstream from the data reaches the model through every path,
	 * listing it once. */
	w = walk(env, "dataset:v2024-01", DOWN, 5, 0, NULL);
	assert_true(walk_has(w, "model:fraud@3.1.0", 1));
	assert_int_equal(w->n_nodes, 3);
	modelreg__v1__walk_response__free_unpacked(w, NULL);
}

static void
test_dangling_references_are_reported_then_linked_when_added(void **state)
{
	st_env *env = *state;
	Modelreg__V1__RegisterVersionResponse *resp;
	Modelreg__V1__GetNodeResponse *g;

	assert_int_equal(register_md(env, "fraud", "1.0.0", "v2025-02", NULL,
			     "exp-9", "fraud@v0.9.0", &resp),
	    MR_OK);
	assert_int_equal(resp->n_dangling, 3);
	assert_string_equal(resp->dangling[0]->field, "training_data_version");
	assert_string_equal(resp->dangling[0]->value, "v2025-02");
	assert_non_null(strstr(resp->dangling[0]->reason, "no lineage node"));
	modelreg__v1__register_version_response__free_unpacked(resp, NULL);
	/* Nothing invented: the references name no node. */
	g = get_node(env, "model:fraud@1.0.0");
	assert_int_equal(g->n_upstream, 0);
	assert_int_equal(g->node->n_dangling, 3);
	modelreg__v1__get_node_response__free_unpacked(g, NULL);
	assert_null(get_node(env, "dataset:v2025-02"));

	/* The dataset, the experiment and the parent version appear. */
	assert_int_equal(add_node(env, DATASET, "events", "v2025-02", NULL, 0),
	    MR_OK);
	assert_int_equal(add_node(env, EXPERIMENT, "exp-9", "", NULL, 0),
	    MR_OK);
	assert_int_equal(register_md(env, "fraud", "0.9.0", NULL, NULL, NULL,
			     NULL, NULL),
	    MR_OK);
	g = get_node(env, "model:fraud@1.0.0");
	assert_int_equal(g->n_upstream, 3);
	assert_int_equal(g->node->n_dangling, 0);
	modelreg__v1__get_node_response__free_unpacked(g, NULL);
	g = get_node(env, "model:fraud@0.9.0");
	assert_int_equal(g->n_downstream, 1);
	assert_string_equal(g->downstream[0]->to, "model:fraud@1.0.0");
	assert_int_equal(g->downstream[0]->type, PARENT);
	modelreg__v1__get_node_response__free_unpacked(g, NULL);
}

static void
test_ambiguous_reference_is_dangling_with_the_reason(void **state)
{
	st_env *env = *state;
	Modelreg__V1__RegisterVersionResponse *resp;

	assert_int_equal(add_node(env, DATASET, "clicks", "v7", NULL, 0),
	    MR_OK);
	assert_int_equal(add_node(env, DATASET, "views", "v7", NULL, 0), MR_OK);
	assert_int_equal(register_md(env, "m", "1.0.0", "v7", NULL, NULL, NULL,
			     &resp),
	    MR_OK);
	assert_int_equal(resp->n_dangling, 1);
	assert_non_null(strstr(resp->dangling[0]->reason, "several"));
	modelreg__v1__register_version_response__free_unpacked(resp, NULL);
	/* Naming it in full works. */
	assert_int_equal(register_md(env, "m", "1.1.0", "clicks@v7", NULL, NULL,
			     NULL, &resp),
	    MR_OK);
	assert_int_equal(resp->n_dangling, 0);
	modelreg__v1__register_version_response__free_unpacked(resp, NULL);
}

static Modelreg__V1__Node *
live_deployment(st_env *env, const char *model_id, int stage)
{
	Modelreg__V1__GetNodeResponse *g = get_node(env, model_id);
	Modelreg__V1__Node *found = NULL;

	for (size_t i = 0; g != NULL && i < g->n_downstream; i++) {
		Modelreg__V1__GetNodeResponse *d;
		if (g->downstream[i]->type != DEPLOYED)
			continue;
		d = get_node(env, g->downstream[i]->to);
		if ((int)d->node->stage == stage && d->node->ended_at_ms == 0) {
			found = d->node;
			d->node = NULL;
		}
		modelreg__v1__get_node_response__free_unpacked(d, NULL);
	}
	if (g != NULL)
		modelreg__v1__get_node_response__free_unpacked(g, NULL);
	return found;
}

static void
test_stage_changes_open_and_close_deployments(void **state)
{
	st_env *env = *state;
	Modelreg__V1__Node *d;

	assert_int_equal(st_register(env, "m", "1.0.0", 10), MR_OK);
	assert_int_equal(st_register(env, "m", "2.0.0", 10), MR_OK);
	assert_null(live_deployment(env, "model:m@1.0.0", MR_STAGE_STAGING));
	assert_int_equal(st_promote(env, "m", "1.0.0",
			     MODELREG__V1__STAGE__STAGE_STAGING),
	    MR_OK);
	d = live_deployment(env, "model:m@1.0.0", MR_STAGE_STAGING);
	assert_non_null(d);
	assert_string_equal(d->environment, "default");
	modelreg__v1__node__free_unpacked(d, NULL);
	assert_int_equal(st_promote(env, "m", "1.0.0",
			     MODELREG__V1__STAGE__STAGE_PRODUCTION),
	    MR_OK);
	assert_null(live_deployment(env, "model:m@1.0.0", MR_STAGE_STAGING));
	d = live_deployment(env, "model:m@1.0.0", MR_STAGE_PRODUCTION);
	assert_non_null(d);
	modelreg__v1__node__free_unpacked(d, NULL);

	assert_int_equal(st_promote(env, "m", "2.0.0",
			     MODELREG__V1__STAGE__STAGE_STAGING),
	    MR_OK);
	assert_int_equal(st_promote(env, "m", "2.0.0",
			     MODELREG__V1__STAGE__STAGE_PRODUCTION),
	    MR_OK);
	assert_null(live_deployment(env, "model:m@1.0.0", MR_STAGE_PRODUCTION));
	/* Rollback closes 2.0.0's deployment and opens a new one for 1.0.0. */
	assert_int_equal(st_rollback(env, "m", NULL, "bad"), MR_OK);
	assert_null(live_deployment(env, "model:m@2.0.0", MR_STAGE_PRODUCTION));
	d = live_deployment(env, "model:m@1.0.0", MR_STAGE_PRODUCTION);
	assert_non_null(d);
	modelreg__v1__node__free_unpacked(d, NULL);
	{
		/* 1.0.0 has had three deployments: staging, production,
		 * production again. */
		Modelreg__V1__GetNodeResponse *g =
		    get_node(env, "model:m@1.0.0");
		assert_int_equal(g->n_downstream, 3);
		modelreg__v1__get_node_response__free_unpacked(g, NULL);
	}
}

static void
test_registering_into_staging_opens_a_staging_deployment(void **state)
{
	st_env *env = *state;
	Modelreg__V1__RegisterVersionRequest rq =
	    MODELREG__V1__REGISTER_VERSION_REQUEST__INIT;
	uint8_t bytes[32] = { 1 };
	st_file f = { "m.bin", bytes, sizeof(bytes) };
	Modelreg__V1__Node *d;

	rq.name = "m";
	rq.version = "1.0.0";
	rq.stage = MODELREG__V1__STAGE__STAGE_STAGING;
	rq.manifest = st_upload(env, &f, 1, false, 64);
	assert_int_equal(st_call(env, "Registry/RegisterVersion", &rq.base,
			     NULL, NULL, NULL),
	    MR_OK);
	st_manifest_free(rq.manifest);
	d = live_deployment(env, "model:m@1.0.0", MR_STAGE_STAGING);
	assert_non_null(d);
	modelreg__v1__node__free_unpacked(d, NULL);
}

static void
test_lineage_mutations_are_events_with_revisions(void **state)
{
	st_env *env = *state;
	Modelreg__V1__ListEventsRequest rq =
	    MODELREG__V1__LIST_EVENTS_REQUEST__INIT;
	Modelreg__V1__ListEventsResponse *r;
	Modelreg__V1__GetNodeResponse *g;

	pipeline(env);
	assert_int_equal(add_edge(env, "dataset:v2024-01",
			     "experiment:exp-003-xgboost", TRAINED),
	    MR_OK);
	assert_true(env->last_revision > 0);
	g = get_node(env, "features:v1");
	assert_true(g->node->created_revision > 0);
	modelreg__v1__get_node_response__free_unpacked(g, NULL);
	assert_int_equal(st_call(env, "Registry/ListEvents", &rq.base, NULL,
			     &modelreg__v1__list_events_response__descriptor,
			     (ProtobufCMessage **)&r),
	    MR_OK);
	assert_int_equal(r->n_events, 4);
	assert_int_equal(r->events[0]->kind,
	    MODELREG__V1__EVENT_KIND__EVENT_LINEAGE_NODE_ADDED);
	assert_string_equal(r->events[0]->node, "dataset:@v2024-01");
	assert_string_equal(r->events[0]->actor, "alice");
	assert_int_equal(r->events[3]->kind,
	    MODELREG__V1__EVENT_KIND__EVENT_LINEAGE_EDGE_ADDED);
	assert_non_null(strstr(r->events[3]->reason, "-[trained_on]->"));
	modelreg__v1__list_events_response__free_unpacked(r, NULL);
}

static void
test_walk_is_bounded_by_depth_and_pages_through_everything(void **state)
{
	st_env *env = *state;
	Modelreg__V1__WalkResponse *w;
	char token[32] = "", name[32], from[64];
	size_t seen = 0;
	int pages = 0;

	/* A chain d0 <- d1 <- ... <- d9 and a fan of 25 off d0. */
	assert_int_equal(add_node(env, DATASET, "d0", "", NULL, 0), MR_OK);
	for (int i = 1; i < 10; i++) {
		snprintf(name, sizeof(name), "d%d", i);
		snprintf(from, sizeof(from), "dataset:d%d", i - 1);
		assert_int_equal(add_node(env, DATASET, name, "", from,
				     DERIVED),
		    MR_OK);
	}
	for (int i = 0; i < 25; i++) {
		snprintf(name, sizeof(name), "fan%02d", i);
		assert_int_equal(add_node(env, FEATURES, name, "", "dataset:d0",
				     DERIVED),
		    MR_OK);
	}
	w = walk(env, "dataset:d9", UP, 3, 0, NULL);
	assert_int_equal(w->n_nodes, 3);
	assert_true(walk_has(w, "dataset:d6", 3));
	assert_true(w->depth_limited);
	modelreg__v1__walk_response__free_unpacked(w, NULL);
	w = walk(env, "dataset:d9", UP, 9, 0, NULL);
	assert_int_equal(w->n_nodes, 9);
	assert_false(w->depth_limited);
	modelreg__v1__walk_response__free_unpacked(w, NULL);

	/* 34 nodes downstream of d0, 7 at a time, each exactly once. */
	do {
		w = walk(env, "dataset:d0", DOWN, 32, 7, token);
		assert_non_null(w);
		assert_true(w->n_nodes <= 7);
		assert_int_equal(w->n_edges, w->n_nodes);
		seen += w->n_nodes;
		pages++;
		snprintf(token, sizeof(token), "%s", w->next_page_token);
		modelreg__v1__walk_response__free_unpacked(w, NULL);
	} while (token[0] != '\0');
	assert_int_equal(seen, 34);
	assert_int_equal(pages, 5);
	assert_null(walk(env, "dataset:d0", DOWN, 3, 7, "x"));
	assert_non_null(strstr(env->last_message, "page token"));
}

static void
test_impact_lists_versions_with_stage_and_live_deployments(void **state)
{
	st_env *env = *state;
	Modelreg__V1__ImpactRequest rq = MODELREG__V1__IMPACT_REQUEST__INIT;
	Modelreg__V1__ImpactResponse *r;

	pipeline(env);
	assert_int_equal(register_md(env, "fraud", "3.1.0", "v2024-01", NULL,
			     NULL, NULL, NULL),
	    MR_OK);
	assert_int_equal(register_md(env, "risk", "1.0.0", NULL, "v1", NULL,
			     NULL, NULL),
	    MR_OK);
	assert_int_equal(st_promote(env, "fraud", "3.1.0",
			     MODELREG__V1__STAGE__STAGE_STAGING),
	    MR_OK);
	assert_int_equal(st_promote(env, "fraud", "3.1.0",
			     MODELREG__V1__STAGE__STAGE_PRODUCTION),
	    MR_OK);
	rq.id = "dataset:v2024-01";
	assert_int_equal(st_call(env, "Lineage/Impact", &rq.base, NULL,
			     &modelreg__v1__impact_response__descriptor,
			     (ProtobufCMessage **)&r),
	    MR_OK);
	assert_int_equal(r->n_versions, 2);
	for (size_t i = 0; i < r->n_versions; i++) {
		if (strcmp(r->versions[i]->model, "fraud") == 0) {
			assert_int_equal(r->versions[i]->stage,
			    MR_STAGE_PRODUCTION);
			assert_int_equal(r->versions[i]->depth, 1);
		} else {
			assert_string_equal(r->versions[i]->model, "risk");
			assert_int_equal(r->versions[i]->stage, MR_STAGE_DEV);
			assert_int_equal(r->versions[i]->depth, 2);
		}
	}
	assert_int_equal(r->n_live_deployments, 1);
	assert_int_equal(r->live_deployments[0]->stage, MR_STAGE_PRODUCTION);
	modelreg__v1__impact_response__free_unpacked(r, NULL);
}

static void
test_path_is_found_either_way_round(void **state)
{
	st_env *env = *state;
	Modelreg__V1__PathRequest rq = MODELREG__V1__PATH_REQUEST__INIT;
	Modelreg__V1__PathResponse *r;

	pipeline(env);
	assert_int_equal(register_md(env, "fraud", "3.1.0", NULL, NULL,
			     "exp-003-xgboost", NULL, NULL),
	    MR_OK);
	for (int round = 0; round < 2; round++) {
		rq.from = round == 0 ? "dataset:v2024-01" : "model:fraud@3.1.0";
		rq.to = round == 0 ? "model:fraud@3.1.0" : "dataset:v2024-01";
		assert_int_equal(st_call(env, "Lineage/Path", &rq.base, NULL,
				     &modelreg__v1__path_response__descriptor,
				     (ProtobufCMessage **)&r),
		    MR_OK);
		assert_int_equal(r->n_nodes, 4);
		assert_string_equal(r->nodes[0]->id, "dataset:@v2024-01");
		assert_string_equal(r->nodes[3]->id, "model:fraud@3.1.0");
		assert_int_equal(r->n_edges, 3);
		assert_int_equal(r->edges[2]->type, PRODUCED);
		modelreg__v1__path_response__free_unpacked(r, NULL);
	}
	assert_int_equal(add_node(env, DATASET, "island", "", NULL, 0), MR_OK);
	rq.from = "dataset:island";
	assert_int_equal(st_call(env, "Lineage/Path", &rq.base, NULL, NULL,
			     NULL),
	    MR_NOT_FOUND);
}

static void
test_edge_that_closes_a_cycle_is_refused(void **state)
{
	st_env *env = *state;
	uint64_t before;

	pipeline(env);
	before = store_revision(env->st);
	assert_int_equal(add_edge(env, "experiment:exp-003-xgboost",
			     "dataset:v2024-01", DERIVED),
	    MR_FAILED_PRECONDITION);
	assert_non_null(strstr(env->last_message, "cycle"));
	assert_int_equal(add_edge(env, "features:v1", "features:v1", DERIVED),
	    MR_FAILED_PRECONDITION);
	assert_int_equal(store_revision(env->st), before);
	/* A second path that is not a cycle is fine. */
	assert_int_equal(add_edge(env, "dataset:v2024-01",
			     "experiment:exp-003-xgboost", TRAINED),
	    MR_OK);
}

static void
test_deleting_a_node_others_depend_on_is_refused(void **state)
{
	st_env *env = *state;
	Modelreg__V1__DeleteNodeRequest rq =
	    MODELREG__V1__DELETE_NODE_REQUEST__INIT;
	Modelreg__V1__DeleteNodeResponse *r;

	pipeline(env);
	rq.id = "dataset:v2024-01";
	assert_int_equal(st_call(env, "Lineage/DeleteNode", &rq.base, NULL,
			     NULL, NULL),
	    MR_FAILED_PRECONDITION);
	assert_non_null(strstr(env->last_message, "depends on it"));
	rq.id = "experiment:exp-003-xgboost";
	assert_int_equal(st_call(env, "Lineage/DeleteNode", &rq.base, NULL,
			     &modelreg__v1__delete_node_response__descriptor,
			     (ProtobufCMessage **)&r),
	    MR_OK);
	assert_int_equal(r->edges_deleted, 1);
	modelreg__v1__delete_node_response__free_unpacked(r, NULL);
	assert_null(get_node(env, "experiment:exp-003-xgboost"));
	{
		Modelreg__V1__GetNodeResponse *g = get_node(env, "features:v1");
		assert_int_equal(g->n_downstream, 0);
		modelreg__v1__get_node_response__free_unpacked(g, NULL);
	}
	assert_int_equal(st_register(env, "m", "1.0.0", 10), MR_OK);
	rq.id = "model:m@1.0.0";
	assert_int_equal(st_call(env, "Lineage/DeleteNode", &rq.base, NULL,
			     NULL, NULL),
	    MR_FAILED_PRECONDITION);
}

static void
test_bad_ids_kinds_and_duplicates_are_refused(void **state)
{
	st_env *env = *state;

	assert_int_equal(add_node(env, MODELREG__V1__NODE_KIND__NODE_KIND_MODEL,
			     "m", "1.0.0", NULL, 0),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(add_node(env, DATASET, "", "", NULL, 0),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(add_node(env, DATASET, "a:b", "", NULL, 0),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(add_node(env, DATASET, "ok", "v@1", NULL, 0),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(add_node(env, DATASET, "ok", "", NULL, 0), MR_OK);
	assert_int_equal(add_node(env, DATASET, "ok", "", NULL, 0),
	    MR_ALREADY_EXISTS);
	assert_int_equal(add_node(env, FEATURES, "f", "", "nokind", DERIVED),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(add_node(env, FEATURES, "f", "", "dataset:absent",
			     DERIVED),
	    MR_NOT_FOUND);
	assert_int_equal(add_node(env, FEATURES, "f", "", "dataset:ok", 99),
	    MR_INVALID_ARGUMENT);
	assert_null(walk(env, "dataset:ok", 0, 0, 0, NULL));
	assert_null(walk(env, "widget:ok", UP, 0, 0, NULL));
	assert_non_null(strstr(env->last_message, "kinds"));
	assert_int_equal(st_register(env, "m", "1.0.0", 10), MR_OK);
	assert_int_equal(add_edge(env, "dataset:ok", "model:m@1.0.0",
			     DEPLOYED),
	    MR_INVALID_ARGUMENT);
	assert_non_null(strstr(env->last_message, "registry"));
}

static void
test_failed_registration_leaves_no_lineage(void **state)
{
	st_env *env = *state;
	Modelreg__V1__ListNodesRequest rq =
	    MODELREG__V1__LIST_NODES_REQUEST__INIT;
	Modelreg__V1__ListNodesResponse *r;

	pipeline(env);
	assert_int_equal(register_md(env, "m", "1.0.0", "v2024-01", NULL, NULL,
			     NULL, NULL),
	    MR_OK);
	/* Same version again: refused, and no second model node or edge. */
	assert_int_equal(register_md(env, "m", "1.0.0", "v2024-01", "v1",
			     NULL, NULL, NULL),
	    MR_ALREADY_EXISTS);
	{
		Modelreg__V1__GetNodeResponse *g = get_node(env,
		    "model:m@1.0.0");
		assert_int_equal(g->n_upstream, 1);
		modelreg__v1__get_node_response__free_unpacked(g, NULL);
	}
	rq.kind = MODELREG__V1__NODE_KIND__NODE_KIND_MODEL;
	assert_int_equal(st_call(env, "Lineage/ListNodes", &rq.base, NULL,
			     &modelreg__v1__list_nodes_response__descriptor,
			     (ProtobufCMessage **)&r),
	    MR_OK);
	assert_int_equal(r->n_nodes, 1);
	modelreg__v1__list_nodes_response__free_unpacked(r, NULL);
	{
		uint64_t edges;
		mr_err e;
		assert_int_equal(store_lineage_check(env->st, &edges, &e),
		    MR_OK);
		assert_int_equal(edges, 3);
	}
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, st_fixture_setup, st_fixture_teardown)
	const struct CMUnitTest tests[] = {
		T(test_registration_links_the_nodes_its_metadata_names),
		T(test_dangling_references_are_reported_then_linked_when_added),
		T(test_ambiguous_reference_is_dangling_with_the_reason),
		T(test_stage_changes_open_and_close_deployments),
		T(test_registering_into_staging_opens_a_staging_deployment),
		T(test_lineage_mutations_are_events_with_revisions),
		T(test_walk_is_bounded_by_depth_and_pages_through_everything),
		T(test_impact_lists_versions_with_stage_and_live_deployments),
		T(test_path_is_found_either_way_round),
		T(test_edge_that_closes_a_cycle_is_refused),
		T(test_deleting_a_node_others_depend_on_is_refused),
		T(test_bad_ids_kinds_and_duplicates_are_refused),
		T(test_failed_registration_leaves_no_lineage),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
