/*
 * test_convert.c - protobuf-c messages to and from the public structures
 * of modelreg.h (client/convert.c): every field is copied, absent parts
 * come back as empty strings rather than NULL, maps come back sorted, and
 * request structures survive packing. Conversion is pure, so the messages
 * are built here by hand; what a real server sends is covered by the
 * tests of client.c, push.c and pull.c.
 */
#include <stdlib.h>
#include <string.h>

#include "convert.h"
#include "testutil.h"

static void
test_convert_version_copies_every_field_and_sorts_maps(void **state)
{
	Modelreg__V1__ModelVersion pb = MODELREG__V1__MODEL_VERSION__INIT;
	Modelreg__V1__Metadata md = MODELREG__V1__METADATA__INIT;
	Modelreg__V1__Metadata__MetricsEntry m1 =
	    MODELREG__V1__METADATA__METRICS_ENTRY__INIT;
	Modelreg__V1__Metadata__MetricsEntry m2 =
	    MODELREG__V1__METADATA__METRICS_ENTRY__INIT;
	Modelreg__V1__Metadata__MetricsEntry *metrics[] = {&m1, &m2};
	Modelreg__V1__ModelVersion__TagsEntry t1 =
	    MODELREG__V1__MODEL_VERSION__TAGS_ENTRY__INIT;
	Modelreg__V1__ModelVersion__TagsEntry t2 =
	    MODELREG__V1__MODEL_VERSION__TAGS_ENTRY__INIT;
	Modelreg__V1__ModelVersion__TagsEntry *tags[] = {&t1, &t2};
	Modelreg__V1__Signature sig = MODELREG__V1__SIGNATURE__INIT;
	Modelreg__V1__Field in = MODELREG__V1__FIELD__INIT;
	Modelreg__V1__Field *ins[] = {&in};
	Modelreg__V1__Manifest mf = MODELREG__V1__MANIFEST__INIT;
	Modelreg__V1__FileEntry fe = MODELREG__V1__FILE_ENTRY__INIT;
	Modelreg__V1__FileEntry *files[] = {&fe};
	char *features[] = {"b", "a"};
	uint8_t digest[MR_DIGEST_LEN];
	mr_version *v;
	mr_err e;

	(void)state;
	memset(digest, 0xab, sizeof(digest));
	m1.key = "recall";
	m1.value = 0.5;
	m2.key = "auc";
	m2.value = 0.9;
	md.metrics = metrics;
	md.n_metrics = 2;
	md.features = features;
	md.n_features = 2;
	md.framework = "xgboost";
	md.parent_model = "fraud@1.0.0";
	t1.key = "z";
	t1.value = "1";
	t2.key = "a";
	t2.value = "2";
	in.name = "amount";
	in.type = "float32";
	sig.inputs = ins;
	sig.n_inputs = 1;
	fe.path = "model.bin";
	fe.size = 42;
	fe.mode = 0644;
	fe.digest.data = digest;
	fe.digest.len = MR_DIGEST_LEN;
	mf.directory = false;
	mf.files = files;
	mf.n_files = 1;
	mf.digest = fe.digest;
	mf.total_size = 42;
	mf.chunk_count = 1;
	pb.name = "fraud";
	pb.version = "3.1.0";
	pb.stage = MODELREG__V1__STAGE__STAGE_STAGING;
	pb.metadata = &md;
	pb.tags = tags;
	pb.n_tags = 2;
	pb.signature = &sig;
	pb.manifest = &mf;
	pb.created_by = "alice";
	pb.created_at_ms = 1000;
	pb.created_revision = 7;
	pb.stage_changed_at_ms = 2000;
	pb.displaced_version = "2.0.0";
	pb.ever_production = true;

	assert_int_equal(cv_version_new(&v, &pb, &e), MR_OK);
	assert_string_equal(v->name, "fraud");
	assert_string_equal(v->version, "3.1.0");
	assert_int_equal(v->stage, MR_STAGE_STAGING);
	assert_string_equal(v->metadata.metrics[0].name, "auc");
	assert_true(v->metadata.metrics[1].value == 0.5);
	assert_string_equal(v->metadata.features[0], "b"); /* kept in order */
	assert_string_equal(v->metadata.framework, "xgboost");
	assert_string_equal(v->metadata.parent_model, "fraud@1.0.0");
	assert_string_equal(v->metadata.experiment, "");
	assert_string_equal(v->tags[0].key, "a");
	assert_string_equal(v->tags[1].value, "1");
	assert_int_equal(v->signature.n_inputs, 1);
	assert_string_equal(v->signature.inputs[0].type, "float32");
	assert_false(v->directory);
	assert_int_equal(v->n_files, 1);
	assert_string_equal(v->files[0].path, "model.bin");
	assert_int_equal(v->files[0].mode, 0644);
	assert_memory_equal(v->files[0].digest, digest, MR_DIGEST_LEN);
	assert_memory_equal(v->artifact_digest, digest, MR_DIGEST_LEN);
	assert_int_equal(v->artifact_size, 42);
	assert_int_equal(v->chunk_count, 1);
	assert_string_equal(v->created_by, "alice");
	assert_int_equal(v->created_at_ms, 1000);
	assert_int_equal(v->created_revision, 7);
	assert_int_equal(v->stage_changed_at_ms, 2000);
	assert_string_equal(v->displaced_version, "2.0.0");
	assert_true(v->ever_production);
	mr_version_free(v);
}

static void
test_convert_absent_parts_give_empty_strings_not_null(void **state)
{
	Modelreg__V1__ModelVersion pb = MODELREG__V1__MODEL_VERSION__INIT;
	mr_version *v;
	mr_err e;

	(void)state;
	assert_int_equal(cv_version_new(&v, &pb, &e), MR_OK);
	assert_string_equal(v->name, "");
	assert_string_equal(v->metadata.framework, "");
	assert_string_equal(v->metadata.increment, "");
	assert_int_equal(v->n_files, 0);
	assert_null(v->files);
	assert_int_equal(v->signature.n_outputs, 0);
	mr_version_free(v);
	assert_int_equal(cv_version_new(&v, NULL, &e), MR_INTERNAL);
}

static void
test_convert_digest_of_wrong_length_is_left_zero(void **state)
{
	Modelreg__V1__ModelVersion pb = MODELREG__V1__MODEL_VERSION__INIT;
	Modelreg__V1__Manifest mf = MODELREG__V1__MANIFEST__INIT;
	uint8_t short_digest[4] = {1, 2, 3, 4}, zero[MR_DIGEST_LEN] = {0};
	mr_version *v;
	mr_err e;

	(void)state;
	mf.digest.data = short_digest;
	mf.digest.len = sizeof(short_digest);
	pb.manifest = &mf;
	assert_int_equal(cv_version_new(&v, &pb, &e), MR_OK);
	assert_memory_equal(v->artifact_digest, zero, MR_DIGEST_LEN);
	mr_version_free(v);
}

static void
test_convert_lists_keep_page_tokens_and_event_fields(void **state)
{
	Modelreg__V1__ListEventsResponse er =
	    MODELREG__V1__LIST_EVENTS_RESPONSE__INIT;
	Modelreg__V1__Event ev = MODELREG__V1__EVENT__INIT;
	Modelreg__V1__Event *evs[] = {&ev};
	Modelreg__V1__ListModelsResponse mr =
	    MODELREG__V1__LIST_MODELS_RESPONSE__INIT;
	Modelreg__V1__Model model = MODELREG__V1__MODEL__INIT;
	Modelreg__V1__Model *models[] = {&model};
	mr_event_list *el;
	mr_model_list *ml;
	mr_err e;

	(void)state;
	ev.revision = 12;
	ev.kind = MODELREG__V1__EVENT_KIND__EVENT_ROLLBACK;
	ev.model = "fraud";
	ev.version = "3.0.0";
	ev.from_stage = MODELREG__V1__STAGE__STAGE_ARCHIVED;
	ev.to_stage = MODELREG__V1__STAGE__STAGE_PRODUCTION;
	ev.actor = "bob";
	ev.reason = "bad AUC";
	er.events = evs;
	er.n_events = 1;
	er.last_revision = 12;
	er.more = true;
	assert_int_equal(cv_event_list_new(&el, &er, &e), MR_OK);
	assert_int_equal(el->count, 1);
	assert_int_equal(el->items[0].kind, MR_EVENT_ROLLBACK);
	assert_int_equal(el->items[0].to_stage, MR_STAGE_PRODUCTION);
	assert_string_equal(el->items[0].reason, "bad AUC");
	assert_int_equal(el->last_revision, 12);
	assert_true(el->more);
	mr_event_list_free(el);

	model.name = "fraud";
	model.version_count = 3;
	model.production_version = "3.0.0";
	mr.models = models;
	mr.n_models = 1;
	mr.next_page_token = "tok";
	assert_int_equal(cv_model_list_new(&ml, &mr, &e), MR_OK);
	assert_int_equal(ml->count, 1);
	assert_string_equal(ml->items[0].production_version, "3.0.0");
	assert_string_equal(ml->items[0].rollback_target, "");
	assert_string_equal(ml->next_page_token, "tok");
	mr_model_list_free(ml);
}

static void
test_convert_lineage_answers_keep_depths_edges_and_dangling(void **state)
{
	Modelreg__V1__Node start = MODELREG__V1__NODE__INIT;
	Modelreg__V1__Node far = MODELREG__V1__NODE__INIT;
	Modelreg__V1__Node__PropertiesEntry p1 =
	    MODELREG__V1__NODE__PROPERTIES_ENTRY__INIT;
	Modelreg__V1__Node__PropertiesEntry p2 =
	    MODELREG__V1__NODE__PROPERTIES_ENTRY__INIT;
	Modelreg__V1__Node__PropertiesEntry *props[] = {&p1, &p2};
	Modelreg__V1__DanglingRef d = MODELREG__V1__DANGLING_REF__INIT;
	Modelreg__V1__DanglingRef *ds[] = {&d};
	Modelreg__V1__WalkNode w = MODELREG__V1__WALK_NODE__INIT;
	Modelreg__V1__WalkNode *ws[] = {&w};
	Modelreg__V1__Edge e = MODELREG__V1__EDGE__INIT;
	Modelreg__V1__Edge *es[] = {&e};
	Modelreg__V1__ImpactResponse ir = MODELREG__V1__IMPACT_RESPONSE__INIT;
	Modelreg__V1__ImpactedVersion iv = MODELREG__V1__IMPACTED_VERSION__INIT;
	Modelreg__V1__ImpactedVersion *ivs[] = {&iv};
	Modelreg__V1__Node *lives[] = {&far};
	Modelreg__V1__RegisterVersionResponse rr =
	    MODELREG__V1__REGISTER_VERSION_RESPONSE__INIT;
	Modelreg__V1__ModelVersion mv = MODELREG__V1__MODEL_VERSION__INIT;
	mr_impact *im;
	mr_version *v;
	mr_graph *g;
	mr_node *n;
	mr_err err;

	(void)state;
	start.id = "model:fraud@3.1.0";
	start.kind = MODELREG__V1__NODE_KIND__NODE_KIND_MODEL;
	start.name = "fraud";
	start.version = "3.1.0";
	start.created_revision = 7;
	d.field = "experiment";
	d.value = "exp-9";
	d.kind = MODELREG__V1__NODE_KIND__NODE_KIND_EXPERIMENT;
	d.reason = "no lineage node \"experiment:exp-9\"";
	start.dangling = ds;
	start.n_dangling = 1;
	far.id = "deployment:fraud@3.1.0/production/9";
	far.kind = MODELREG__V1__NODE_KIND__NODE_KIND_DEPLOYMENT;
	far.stage = MODELREG__V1__STAGE__STAGE_PRODUCTION;
	far.environment = "default";
	far.ended_at_ms = 5;
	p1.key = "z";
	p1.value = "1";
	p2.key = "a";
	p2.value = "2";
	far.properties = props;
	far.n_properties = 2;
	w.node = &far;
	w.depth = 3;
	e.from = start.id;
	e.to = far.id;
	e.type = MODELREG__V1__EDGE_TYPE__EDGE_TYPE_DEPLOYED_AS;
	assert_int_equal(cv_graph_new(&g,
	                     &(cv_graph_parts){.start = &start,
	                         .walk = ws,
	                         .n_walk = 1,
	                         .edges = {es, es},
	                         .n_edges = {1, 1},
	                         .next_page_token = "2",
	                         .depth_limited = true},
	                     &err),
	    MR_OK);
	assert_int_equal(g->n_nodes, 2);
	assert_int_equal(g->nodes[0].depth, 0);
	assert_int_equal(g->nodes[0].created_revision, 7);
	assert_int_equal(g->nodes[0].n_dangling, 1);
	assert_int_equal(g->nodes[0].dangling[0].kind, MR_NODE_EXPERIMENT);
	assert_string_equal(g->nodes[0].dangling[0].value, "exp-9");
	assert_string_equal(g->nodes[0].environment, "");
	assert_int_equal(g->nodes[1].depth, 3);
	assert_int_equal(g->nodes[1].stage, MR_STAGE_PRODUCTION);
	assert_int_equal(g->nodes[1].ended_at_ms, 5);
	assert_string_equal(g->nodes[1].properties[0].key, "a"); /* sorted */
	assert_int_equal(g->n_edges, 2);
	assert_int_equal(g->edges[1].type, MR_EDGE_DEPLOYED_AS);
	assert_string_equal(g->edges[1].to, far.id);
	assert_string_equal(g->next_page_token, "2");
	assert_true(g->depth_limited);
	mr_graph_free(g);

	iv.model = "fraud";
	iv.version = "3.1.0";
	iv.stage = MODELREG__V1__STAGE__STAGE_STAGING;
	iv.depth = 2;
	ir.versions = ivs;
	ir.n_versions = 1;
	ir.live_deployments = lives;
	ir.n_live_deployments = 1;
	assert_int_equal(cv_impact_new(&im, &ir, &err), MR_OK);
	assert_int_equal(im->n_versions, 1);
	assert_int_equal(im->versions[0].stage, MR_STAGE_STAGING);
	assert_int_equal(im->versions[0].depth, 2);
	assert_string_equal(im->live_deployments[0].id, far.id);
	assert_string_equal(im->next_page_token, "");
	mr_impact_free(im);

	mv.name = "fraud";
	rr.version = &mv;
	rr.dangling = ds;
	rr.n_dangling = 1;
	assert_int_equal(cv_registered_new(&v, &rr, &err), MR_OK);
	assert_int_equal(v->n_dangling, 1);
	assert_string_equal(v->dangling[0].field, "experiment");
	assert_non_null(strstr(v->dangling[0].reason, "no lineage node"));
	mr_version_free(v);
	rr.version = NULL;
	assert_int_equal(cv_registered_new(&v, &rr, &err), MR_INTERNAL);
	assert_int_equal(cv_node_new(&n, NULL, &err), MR_INTERNAL);
	assert_int_equal(cv_node_new(&n, &far, &err), MR_OK);
	assert_string_equal(n->properties[1].key, "z");
	mr_node_free(n);
}

static void
test_convert_free_functions_accept_null(void **state)
{
	(void)state;
	mr_version_free(NULL);
	mr_model_free(NULL);
	mr_model_list_free(NULL);
	mr_version_list_free(NULL);
	mr_event_list_free(NULL);
	mr_node_free(NULL);
	mr_graph_free(NULL);
	mr_impact_free(NULL);
	mr_comparison_free(NULL);
	mr_audit_list_free(NULL);
	mr_audit_check_free(NULL);
}

static void
test_convert_version_lifecycle_fields_and_reviews_by_stage_then_reviewer(
    void **state)
{
	Modelreg__V1__ModelVersion pb = MODELREG__V1__MODEL_VERSION__INIT;
	Modelreg__V1__Deprecation dep = MODELREG__V1__DEPRECATION__INIT;
	Modelreg__V1__Approval a1 = MODELREG__V1__APPROVAL__INIT;
	Modelreg__V1__Approval a2 = MODELREG__V1__APPROVAL__INIT;
	Modelreg__V1__Approval a3 = MODELREG__V1__APPROVAL__INIT;
	Modelreg__V1__Approval *approvals[] = {&a1, &a2, &a3};
	mr_version *v;
	mr_err e;

	(void)state;
	dep.reason = "leaks PII";
	dep.end_of_life_ms = 9000;
	dep.by = "carol";
	dep.at_ms = 8000;
	a1.stage = MODELREG__V1__STAGE__STAGE_PRODUCTION;
	a1.reviewer = "bob";
	a1.decision = MODELREG__V1__DECISION__DECISION_REJECT;
	a1.comment = "latency";
	a1.time_ms = 11;
	a1.revision = 21;
	a2.stage = MODELREG__V1__STAGE__STAGE_STAGING;
	a2.reviewer = "zed";
	a2.decision = MODELREG__V1__DECISION__DECISION_APPROVE;
	a3.stage = MODELREG__V1__STAGE__STAGE_STAGING;
	a3.reviewer = "amy";
	a3.decision = MODELREG__V1__DECISION__DECISION_APPROVE;
	pb.deprecation = &dep;
	pb.approvals = approvals;
	pb.n_approvals = 3;
	pb.version_rule = "auto major: input amount removed";
	assert_int_equal(cv_version_new(&v, &pb, &e), MR_OK);
	assert_true(v->deprecated);
	assert_string_equal(v->deprecation_reason, "leaks PII");
	assert_int_equal(v->end_of_life_ms, 9000);
	assert_string_equal(v->deprecated_by, "carol");
	assert_int_equal(v->deprecated_at_ms, 8000);
	assert_int_equal(v->n_reviews, 3);
	assert_int_equal(v->reviews[0].stage, MR_STAGE_STAGING);
	assert_string_equal(v->reviews[0].reviewer, "amy");
	assert_string_equal(v->reviews[0].comment, ""); /* not NULL */
	assert_string_equal(v->reviews[1].reviewer, "zed");
	assert_int_equal(v->reviews[2].stage, MR_STAGE_PRODUCTION);
	assert_int_equal(v->reviews[2].decision, MR_REJECT);
	assert_string_equal(v->reviews[2].comment, "latency");
	assert_int_equal(v->reviews[2].time_ms, 11);
	assert_int_equal(v->reviews[2].revision, 21);
	assert_string_equal(
	    v->version_rule, "auto major: input amount removed");
	mr_version_free(v);

	/* No deprecation: not deprecated, and strings, not NULLs. */
	pb = (Modelreg__V1__ModelVersion)MODELREG__V1__MODEL_VERSION__INIT;
	assert_int_equal(cv_version_new(&v, &pb, &e), MR_OK);
	assert_false(v->deprecated);
	assert_string_equal(v->deprecation_reason, "");
	assert_string_equal(v->deprecated_by, "");
	assert_int_equal(v->end_of_life_ms, 0);
	assert_int_equal(v->n_reviews, 0);
	assert_null(v->reviews);
	assert_string_equal(v->version_rule, "");
	mr_version_free(v);
}

static void
test_convert_model_goals_and_aliases_come_back_sorted_with_policies(
    void **state)
{
	Modelreg__V1__Model pb = MODELREG__V1__MODEL__INIT;
	Modelreg__V1__Model__MetricGoalsEntry g1 =
	    MODELREG__V1__MODEL__METRIC_GOALS_ENTRY__INIT;
	Modelreg__V1__Model__MetricGoalsEntry g2 =
	    MODELREG__V1__MODEL__METRIC_GOALS_ENTRY__INIT;
	Modelreg__V1__Model__MetricGoalsEntry *goals[] = {&g1, &g2};
	Modelreg__V1__Model__AliasesEntry al1 =
	    MODELREG__V1__MODEL__ALIASES_ENTRY__INIT;
	Modelreg__V1__Model__AliasesEntry al2 =
	    MODELREG__V1__MODEL__ALIASES_ENTRY__INIT;
	Modelreg__V1__Model__AliasesEntry *aliases[] = {&al1, &al2};
	Modelreg__V1__ApprovalPolicy p1 = MODELREG__V1__APPROVAL_POLICY__INIT;
	Modelreg__V1__ApprovalPolicy p2 = MODELREG__V1__APPROVAL_POLICY__INIT;
	Modelreg__V1__ApprovalPolicy *policies[] = {&p1, &p2};
	char *approvers[] = {"bob", "carol"};
	mr_model *m;
	mr_err e;

	(void)state;
	g1.key = "p99_ms";
	g1.value = MODELREG__V1__METRIC_GOAL__METRIC_GOAL_LOWER;
	g2.key = "auc";
	g2.value = MODELREG__V1__METRIC_GOAL__METRIC_GOAL_HIGHER;
	al1.key = "shadow";
	al1.value = "3.2.0";
	al2.key = "champion";
	al2.value = "3.1.0";
	p1.stage = MODELREG__V1__STAGE__STAGE_PRODUCTION;
	p1.approvers = approvers;
	p1.n_approvers = 2;
	p1.required = 2;
	p2.stage = MODELREG__V1__STAGE__STAGE_STAGING;
	p2.required = 1;
	pb.name = "fraud";
	pb.primary_metric = "auc";
	pb.metric_goals = goals;
	pb.n_metric_goals = 2;
	pb.aliases = aliases;
	pb.n_aliases = 2;
	pb.policies = policies;
	pb.n_policies = 2;
	assert_int_equal(cv_model_new(&m, &pb, &e), MR_OK);
	assert_string_equal(m->primary_metric, "auc");
	assert_int_equal(m->n_goals, 2);
	assert_string_equal(m->goals[0].metric, "auc");
	assert_int_equal(m->goals[0].goal, MR_GOAL_HIGHER);
	assert_string_equal(m->goals[1].metric, "p99_ms");
	assert_int_equal(m->goals[1].goal, MR_GOAL_LOWER);
	assert_int_equal(m->n_aliases, 2);
	assert_string_equal(m->aliases[0].key, "champion");
	assert_string_equal(m->aliases[0].value, "3.1.0");
	assert_string_equal(m->aliases[1].key, "shadow");
	assert_int_equal(m->n_policies, 2);
	assert_int_equal(m->policies[0].stage, MR_STAGE_STAGING);
	assert_int_equal(m->policies[0].n_approvers, 0);
	assert_null(m->policies[0].approvers);
	assert_int_equal(m->policies[0].required, 1);
	assert_int_equal(m->policies[1].stage, MR_STAGE_PRODUCTION);
	assert_int_equal(m->policies[1].n_approvers, 2);
	assert_string_equal(m->policies[1].approvers[1], "carol");
	assert_int_equal(m->policies[1].required, 2);
	mr_model_free(m);

	pb = (Modelreg__V1__Model)MODELREG__V1__MODEL__INIT;
	assert_int_equal(cv_model_new(&m, &pb, &e), MR_OK);
	assert_string_equal(m->primary_metric, "");
	assert_int_equal(m->n_goals + m->n_policies + m->n_aliases, 0);
	mr_model_free(m);
}

static void
test_convert_event_keeps_its_alias(void **state)
{
	Modelreg__V1__ListEventsResponse er =
	    MODELREG__V1__LIST_EVENTS_RESPONSE__INIT;
	Modelreg__V1__Event ev = MODELREG__V1__EVENT__INIT;
	Modelreg__V1__Event plain = MODELREG__V1__EVENT__INIT;
	Modelreg__V1__Event *evs[] = {&ev, &plain};
	mr_event_list *el;
	mr_err e;

	(void)state;
	ev.kind = MODELREG__V1__EVENT_KIND__EVENT_ALIAS_SET;
	ev.model = "fraud";
	ev.version = "3.1.0";
	ev.alias = "champion";
	er.events = evs;
	er.n_events = 2;
	assert_int_equal(cv_event_list_new(&el, &er, &e), MR_OK);
	assert_int_equal(el->items[0].kind, MR_EVENT_ALIAS_SET);
	assert_string_equal(el->items[0].alias, "champion");
	assert_string_equal(el->items[1].alias, "");
	mr_event_list_free(el);
}

static void
test_convert_comparison_copies_deltas_changes_and_reasons(void **state)
{
	Modelreg__V1__CompareVersionsResponse pb =
	    MODELREG__V1__COMPARE_VERSIONS_RESPONSE__INIT;
	Modelreg__V1__ModelVersion base = MODELREG__V1__MODEL_VERSION__INIT;
	Modelreg__V1__ModelVersion cand = MODELREG__V1__MODEL_VERSION__INIT;
	Modelreg__V1__MetricDelta md = MODELREG__V1__METRIC_DELTA__INIT;
	Modelreg__V1__MetricDelta *mds[] = {&md};
	Modelreg__V1__FeatureChange fc = MODELREG__V1__FEATURE_CHANGE__INIT;
	Modelreg__V1__FeatureChange *fcs[] = {&fc};
	Modelreg__V1__FieldChange sc = MODELREG__V1__FIELD_CHANGE__INIT;
	Modelreg__V1__FieldChange *scs[] = {&sc};
	char *reasons[] = {"auc improved by 2.2%", "input amount retyped"};
	mr_comparison *cmp;
	mr_err e;

	(void)state;
	base.version = "3.0.0";
	cand.version = "3.1.0";
	md.name = "auc";
	md.in_baseline = md.in_candidate = true;
	md.baseline = 0.90;
	md.candidate = 0.92;
	md.change = 0.02;
	md.relative = 0.02 / 0.90;
	md.has_relative = true;
	md.goal = MODELREG__V1__METRIC_GOAL__METRIC_GOAL_HIGHER;
	md.outcome = 1;
	fc.name = "merchant";
	fc.kind = MODELREG__V1__CHANGE_KIND__CHANGE_MOVED;
	fc.baseline_position = 2;
	fc.candidate_position = 3;
	sc.output = false;
	sc.name = "amount";
	sc.kind = MODELREG__V1__CHANGE_KIND__CHANGE_RETYPED;
	sc.baseline_type = "float32";
	sc.candidate_type = "float64";
	sc.breaking = true;
	pb.baseline = &base;
	pb.candidate = &cand;
	pb.metrics = mds;
	pb.n_metrics = 1;
	pb.features = fcs;
	pb.n_features = 1;
	pb.signature = scs;
	pb.n_signature = 1;
	pb.baseline_size = 100;
	pb.candidate_size = 120;
	pb.verdict = MODELREG__V1__VERDICT__VERDICT_CANDIDATE;
	pb.recommendation = "3.1.0 is better (improves 1 of 1 metrics)";
	pb.reasons = reasons;
	pb.n_reasons = 2;
	assert_int_equal(cv_comparison_new(&cmp, &pb, &e), MR_OK);
	assert_string_equal(cmp->baseline->version, "3.0.0");
	assert_string_equal(cmp->candidate->version, "3.1.0");
	assert_int_equal(cmp->n_metrics, 1);
	assert_string_equal(cmp->metrics[0].name, "auc");
	assert_true(cmp->metrics[0].in_baseline && cmp->metrics[0].in_candidate);
	assert_true(cmp->metrics[0].candidate == 0.92);
	assert_true(cmp->metrics[0].change == 0.02);
	assert_true(cmp->metrics[0].has_relative);
	assert_int_equal(cmp->metrics[0].goal, MR_GOAL_HIGHER);
	assert_int_equal(cmp->metrics[0].outcome, 1);
	assert_int_equal(cmp->features[0].kind, MR_CHANGE_MOVED);
	assert_int_equal(cmp->features[0].baseline_position, 2);
	assert_int_equal(cmp->features[0].candidate_position, 3);
	assert_false(cmp->signature[0].output);
	assert_int_equal(cmp->signature[0].kind, MR_CHANGE_RETYPED);
	assert_string_equal(cmp->signature[0].candidate_type, "float64");
	assert_true(cmp->signature[0].breaking);
	assert_int_equal(cmp->baseline_size, 100);
	assert_int_equal(cmp->candidate_size, 120);
	assert_int_equal(cmp->verdict, MR_VERDICT_CANDIDATE);
	assert_string_equal(cmp->recommendation,
	    "3.1.0 is better (improves 1 of 1 metrics)");
	assert_int_equal(cmp->n_reasons, 2);
	assert_string_equal(cmp->reasons[1], "input amount retyped");
	mr_comparison_free(cmp);
	pb.candidate = NULL;
	assert_int_equal(cv_comparison_new(&cmp, &pb, &e), MR_INTERNAL);
}

static void
test_convert_audit_records_and_check_keep_hashes(void **state)
{
	Modelreg__V1__ListAuditResponse lr =
	    MODELREG__V1__LIST_AUDIT_RESPONSE__INIT;
	Modelreg__V1__AuditRecord r = MODELREG__V1__AUDIT_RECORD__INIT;
	Modelreg__V1__AuditRecord *rs[] = {&r};
	Modelreg__V1__VerifyAuditResponse vr =
	    MODELREG__V1__VERIFY_AUDIT_RESPONSE__INIT;
	uint8_t prev[MR_DIGEST_LEN], hash[MR_DIGEST_LEN];
	uint8_t zero[MR_DIGEST_LEN] = {0};
	mr_audit_check *chk;
	mr_audit_list *l;
	mr_err e;

	(void)state;
	memset(prev, 0x11, sizeof(prev));
	memset(hash, 0x22, sizeof(hash));
	r.seq = 4;
	r.time_ms = 77;
	r.actor = "alice";
	r.action = "Promote";
	r.model = "fraud";
	r.target = "fraud@3.1.0";
	r.before = "{\"stage\":\"staging\"}";
	r.after = "{\"stage\":\"production\"}";
	r.revision = 9;
	r.prev_hash.data = prev;
	r.prev_hash.len = MR_DIGEST_LEN;
	r.hash.data = hash;
	r.hash.len = MR_DIGEST_LEN;
	lr.records = rs;
	lr.n_records = 1;
	lr.last_seq = 4;
	lr.more = true;
	assert_int_equal(cv_audit_list_new(&l, &lr, &e), MR_OK);
	assert_int_equal(l->count, 1);
	assert_int_equal(l->items[0].seq, 4);
	assert_int_equal(l->items[0].time_ms, 77);
	assert_string_equal(l->items[0].action, "Promote");
	assert_string_equal(l->items[0].target, "fraud@3.1.0");
	assert_string_equal(l->items[0].after, "{\"stage\":\"production\"}");
	assert_string_equal(l->items[0].reason, "");
	assert_int_equal(l->items[0].revision, 9);
	assert_memory_equal(l->items[0].prev_hash, prev, MR_DIGEST_LEN);
	assert_memory_equal(l->items[0].hash, hash, MR_DIGEST_LEN);
	assert_int_equal(l->last_seq, 4);
	assert_true(l->more);
	mr_audit_list_free(l);

	vr.ok = false;
	vr.records = 10;
	vr.first_broken = 6;
	vr.problem = "hash does not match";
	vr.head_hash.data = hash;
	vr.head_hash.len = 3; /* wrong length: left as zeros */
	assert_int_equal(cv_audit_check_new(&chk, &vr, &e), MR_OK);
	assert_false(chk->ok);
	assert_int_equal(chk->records, 10);
	assert_int_equal(chk->first_broken, 6);
	assert_string_equal(chk->problem, "hash does not match");
	assert_memory_equal(chk->head_hash, zero, MR_DIGEST_LEN);
	mr_audit_check_free(chk);
}

static void
test_convert_search_answer_reuses_the_version_list(void **state)
{
	Modelreg__V1__SearchVersionsResponse sr =
	    MODELREG__V1__SEARCH_VERSIONS_RESPONSE__INIT;
	Modelreg__V1__ModelVersion v1 = MODELREG__V1__MODEL_VERSION__INIT;
	Modelreg__V1__ModelVersion *vs[] = {&v1};
	mr_version_list *l;
	mr_err e;

	(void)state;
	v1.name = "fraud";
	v1.version = "1.0.0";
	sr.versions = vs;
	sr.n_versions = 1;
	sr.next_page_token = "p2";
	assert_int_equal(cv_versions_new(&l, sr.versions, sr.n_versions,
	                     sr.next_page_token, &e),
	    MR_OK);
	assert_int_equal(l->count, 1);
	assert_string_equal(l->items[0].version, "1.0.0");
	assert_string_equal(l->next_page_token, "p2");
	mr_version_list_free(l);
}

static void
test_convert_request_metadata_survives_the_wire(void **state)
{
	mr_metric metrics[] = {{"auc", 0.91}};
	mr_kv params[] = {{"eta", "0.1"}, {"depth", "6"}};
	char *features[] = {"amount"};
	mr_field outs[] = {{"score", "float32"}};
	mr_metadata md = {0};
	mr_signature sig = {0};
	cv_arena a = CV_ARENA_INIT;
	Modelreg__V1__Metadata *pmd, *back;
	Modelreg__V1__Signature *psig;
	uint8_t buf[1024];
	size_t len;

	(void)state;
	md.metrics = metrics;
	md.n_metrics = 1;
	md.hyperparameters = params;
	md.n_hyperparameters = 2;
	md.features = features;
	md.n_features = 1;
	md.framework = "xgboost"; /* the other strings stay NULL */
	sig.outputs = outs;
	sig.n_outputs = 1;
	pmd = cv_metadata_pb(&a, &md);
	psig = cv_signature_pb(&a, &sig);
	assert_false(a.failed);
	assert_non_null(pmd);
	assert_null(cv_metadata_pb(&a, NULL));
	len = modelreg__v1__metadata__get_packed_size(pmd);
	assert_true(len < sizeof(buf));
	modelreg__v1__metadata__pack(pmd, buf);
	back = modelreg__v1__metadata__unpack(NULL, len, buf);
	assert_non_null(back);
	assert_int_equal(back->n_metrics, 1);
	assert_true(back->metrics[0]->value == 0.91);
	assert_int_equal(back->n_hyperparameters, 2);
	assert_string_equal(back->hyperparameters[1]->key, "depth");
	assert_string_equal(back->features[0], "amount");
	assert_string_equal(back->framework, "xgboost");
	assert_string_equal(back->experiment, "");
	modelreg__v1__metadata__free_unpacked(back, NULL);
	assert_int_equal(psig->n_outputs, 1);
	assert_string_equal(psig->outputs[0]->name, "score");
	assert_int_equal(psig->n_inputs, 0);
	cv_arena_free(&a);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        test_convert_version_copies_every_field_and_sorts_maps),
	    cmocka_unit_test(
	        test_convert_absent_parts_give_empty_strings_not_null),
	    cmocka_unit_test(test_convert_digest_of_wrong_length_is_left_zero),
	    cmocka_unit_test(
	        test_convert_lists_keep_page_tokens_and_event_fields),
	    cmocka_unit_test(
	        test_convert_lineage_answers_keep_depths_edges_and_dangling),
	    cmocka_unit_test(test_convert_free_functions_accept_null),
	    cmocka_unit_test(
	        test_convert_version_lifecycle_fields_and_reviews_by_stage_then_reviewer),
	    cmocka_unit_test(
	        test_convert_model_goals_and_aliases_come_back_sorted_with_policies),
	    cmocka_unit_test(test_convert_event_keeps_its_alias),
	    cmocka_unit_test(
	        test_convert_comparison_copies_deltas_changes_and_reasons),
	    cmocka_unit_test(test_convert_audit_records_and_check_keep_hashes),
	    cmocka_unit_test(test_convert_search_answer_reuses_the_version_list),
	    cmocka_unit_test(test_convert_request_metadata_survives_the_wire),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
