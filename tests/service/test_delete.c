/*
 * test_delete.c - Registry.DeleteVersion and Registry.DeleteModel through
 * the real dispatcher on a real store: what a deletion refuses (a version
 * in production, one an alias names, a model with a production version,
 * no reason, an alias for a version), what it removes (gets, lists,
 * searches, the stage index, the model's counts), what it keeps (events,
 * the audit record, point-in-time reads, the lineage node) and that a
 * deleted number is never registered again.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "audit.pb-c.h"
#include "lineage.pb-c.h"
#include "svctest.h"
#include "testutil.h"

#define DEV      MODELREG__V1__STAGE__STAGE_DEV
#define STAGING  MODELREG__V1__STAGE__STAGE_STAGING
#define PROD     MODELREG__V1__STAGE__STAGE_PRODUCTION
#define ARCHIVED MODELREG__V1__STAGE__STAGE_ARCHIVED

static mr_status
del_version(
    st_env *env, const char *name, const char *version, const char *reason)
{
	Modelreg__V1__DeleteVersionRequest rq =
	    MODELREG__V1__DELETE_VERSION_REQUEST__INIT;

	rq.name = (char *)name;
	rq.version = (char *)version;
	rq.reason = (char *)reason;
	return st_call(
	    env, "Registry/DeleteVersion", &rq.base, NULL, NULL, NULL);
}

static mr_status
del_model(st_env *env, const char *name, const char *reason,
    Modelreg__V1__DeleteModelResponse **out)
{
	Modelreg__V1__DeleteModelRequest rq =
	    MODELREG__V1__DELETE_MODEL_REQUEST__INIT;

	rq.name = (char *)name;
	rq.reason = (char *)reason;
	return st_call(env, "Registry/DeleteModel", &rq.base, NULL,
	    &modelreg__v1__delete_model_response__descriptor,
	    (ProtobufCMessage **)out);
}

static void
must_reg(st_env *env, const char *name, const char *version)
{
	if (st_register(env, name, version, 3000) != MR_OK)
		fail_msg(
		    "register %s %s: %s", name, version, env->last_message);
}

static void
to_production(st_env *env, const char *name, const char *version)
{
	assert_int_equal(st_promote(env, name, version, STAGING), MR_OK);
	assert_int_equal(st_promote(env, name, version, PROD), MR_OK);
}

static mr_status
set_alias(st_env *env, const char *alias, const char *version)
{
	Modelreg__V1__SetAliasRequest rq =
	    MODELREG__V1__SET_ALIAS_REQUEST__INIT;

	rq.name = "m";
	rq.alias = (char *)alias;
	rq.version = (char *)version;
	return st_call(env, "Registry/SetAlias", &rq.base, NULL, NULL, NULL);
}

/* GetVersion by version, stage and time (0s: not given). */
static mr_status
get_version(st_env *env, const char *name, const char *version, int stage,
    int64_t at_ms, Modelreg__V1__ModelVersion **out)
{
	Modelreg__V1__GetVersionRequest rq =
	    MODELREG__V1__GET_VERSION_REQUEST__INIT;
	Modelreg__V1__GetVersionResponse *r = NULL;
	mr_status rv;

	rq.name = (char *)name;
	rq.version = (char *)(version != NULL ? version : "");
	rq.stage = (Modelreg__V1__Stage)stage;
	rq.at_ms = at_ms;
	rv = st_call(env, "Registry/GetVersion", &rq.base, NULL,
	    &modelreg__v1__get_version_response__descriptor,
	    (ProtobufCMessage **)&r);
	if (rv == MR_OK && out != NULL) {
		*out = r->version;
		r->version = NULL;
	}
	if (r != NULL)
		modelreg__v1__get_version_response__free_unpacked(r, NULL);
	return rv;
}

/* The versions ListVersions returns, as "1.0.0,2.0.0". */
static void
list_versions(st_env *env, const char *name, int stage, char *out, size_t cap)
{
	Modelreg__V1__ListVersionsRequest rq =
	    MODELREG__V1__LIST_VERSIONS_REQUEST__INIT;
	Modelreg__V1__ListVersionsResponse *r;

	rq.name = (char *)name;
	rq.stage = (Modelreg__V1__Stage)stage;
	assert_int_equal(st_call(env, "Registry/ListVersions", &rq.base, NULL,
	                     &modelreg__v1__list_versions_response__descriptor,
	                     (ProtobufCMessage **)&r),
	    MR_OK);
	out[0] = '\0';
	for (size_t i = 0; i < r->n_versions; i++)
		snprintf(out + strlen(out), cap - strlen(out), "%s%s",
		    i > 0 ? "," : "", r->versions[i]->version);
	modelreg__v1__list_versions_response__free_unpacked(r, NULL);
}

/* How many versions a search finds. */
static size_t
search_count(st_env *env, const char *filter)
{
	Modelreg__V1__SearchVersionsRequest rq =
	    MODELREG__V1__SEARCH_VERSIONS_REQUEST__INIT;
	Modelreg__V1__SearchVersionsResponse *r;
	size_t n;

	rq.filter = (char *)filter;
	assert_int_equal(
	    st_call(env, "Registry/SearchVersions", &rq.base, NULL,
	        &modelreg__v1__search_versions_response__descriptor,
	        (ProtobufCMessage **)&r),
	    MR_OK);
	n = r->n_versions;
	modelreg__v1__search_versions_response__free_unpacked(r, NULL);
	return n;
}

static void
test_delete_of_a_production_version_is_refused(void **state)
{
	st_env *env = *state;
	int stage;

	must_reg(env, "m", "1.0.0");
	to_production(env, "m", "1.0.0");
	assert_int_equal(
	    del_version(env, "m", "1.0.0", "obsolete"), MR_FAILED_PRECONDITION);
	assert_non_null(strstr(env->last_message, "in production"));
	stage = st_stage(env, "m", "1.0.0");
	assert_int_equal(stage, PROD);
}

static void
test_delete_of_a_version_an_alias_names_is_refused_naming_the_alias(
    void **state)
{
	st_env *env = *state;

	must_reg(env, "m", "1.0.0");
	must_reg(env, "m", "2.0.0");
	assert_int_equal(set_alias(env, "champion", "1.0.0"), MR_OK);
	assert_int_equal(set_alias(env, "baseline", "1.0.0"), MR_OK);
	assert_int_equal(
	    del_version(env, "m", "1.0.0", "obsolete"), MR_FAILED_PRECONDITION);
	assert_non_null(strstr(env->last_message, "\"champion\""));
	assert_non_null(strstr(env->last_message, "\"baseline\""));
	assert_int_equal(st_stage(env, "m", "1.0.0"), DEV);
	/* Moved away, the alias no longer holds it. */
	assert_int_equal(set_alias(env, "champion", "2.0.0"), MR_OK);
	assert_int_equal(set_alias(env, "baseline", "2.0.0"), MR_OK);
	assert_int_equal(del_version(env, "m", "1.0.0", "obsolete"), MR_OK);
}

static void
test_delete_needs_an_exact_version_and_a_reason(void **state)
{
	st_env *env = *state;

	must_reg(env, "m", "1.0.0");
	assert_int_equal(
	    del_version(env, "m", "1.0.0", ""), MR_INVALID_ARGUMENT);
	assert_non_null(strstr(env->last_message, "reason"));
	assert_int_equal(
	    del_version(env, "m", "latest", "x"), MR_INVALID_ARGUMENT);
	assert_int_equal(
	    del_version(env, "m", "dev", "x"), MR_INVALID_ARGUMENT);
	assert_int_equal(del_version(env, "m", "9.9.9", "x"), MR_NOT_FOUND);
	assert_int_equal(del_version(env, "nope", "1.0.0", "x"), MR_NOT_FOUND);
	assert_int_equal(del_model(env, "m", "", NULL), MR_INVALID_ARGUMENT);
	assert_int_equal(st_stage(env, "m", "1.0.0"), DEV);
}

static void
test_deleted_version_is_gone_from_gets_lists_and_searches(void **state)
{
	st_env *env = *state;
	Modelreg__V1__ModelVersion *v;
	Modelreg__V1__Model *m;
	char list[256];

	must_reg(env, "m", "1.0.0");
	must_reg(env, "m", "2.0.0");
	must_reg(env, "m", "3.0.0");
	assert_int_equal(st_promote(env, "m", "3.0.0", STAGING), MR_OK);
	env->user = "carol";
	assert_int_equal(del_version(env, "m", "3.0.0",
	                     "trained on leaked "
	                     "labels"),
	    MR_OK);

	assert_int_equal(
	    get_version(env, "m", "3.0.0", 0, 0, NULL), MR_NOT_FOUND);
	assert_non_null(strstr(env->last_message, "was deleted"));
	assert_non_null(strstr(env->last_message, "carol"));
	assert_non_null(strstr(env->last_message, "leaked labels"));
	/* Nothing finds it through a stage or as the latest either. */
	assert_int_equal(
	    get_version(env, "m", NULL, STAGING, 0, NULL), MR_NOT_FOUND);
	assert_int_equal(get_version(env, "m", "latest", 0, 0, &v), MR_OK);
	assert_string_equal(v->version, "2.0.0");
	modelreg__v1__model_version__free_unpacked(v, NULL);
	list_versions(env, "m", 0, list, sizeof(list));
	assert_string_equal(list, "1.0.0,2.0.0");
	list_versions(env, "m", STAGING, list, sizeof(list));
	assert_string_equal(list, "");
	assert_int_equal(search_count(env, "name = 'm'"), 2);
	assert_int_equal(search_count(env, "stage = staging"), 0);
	assert_int_equal(search_count(env, "version = '3.0.0'"), 0);

	m = st_model(env, "m");
	assert_non_null(m);
	assert_int_equal(m->version_count, 2);
	assert_string_equal(m->latest_version, "2.0.0");
	modelreg__v1__model__free_unpacked(m, NULL);
	/* Deleted once is enough. */
	assert_int_equal(del_version(env, "m", "3.0.0", "again"), MR_NOT_FOUND);
	assert_non_null(strstr(env->last_message, "was deleted"));
}

static void
test_delete_leaves_an_event_and_an_audit_record(void **state)
{
	st_env *env = *state;
	Modelreg__V1__ListEventsRequest er =
	    MODELREG__V1__LIST_EVENTS_REQUEST__INIT;
	Modelreg__V1__ListEventsResponse *ev;
	Modelreg__V1__ListAuditRequest ar =
	    MODELREG__V1__LIST_AUDIT_REQUEST__INIT;
	Modelreg__V1__ListAuditResponse *au;
	Modelreg__V1__Event *last;
	Modelreg__V1__AuditRecord *rec;
	Modelreg__V1__VerifyAuditRequest vr =
	    MODELREG__V1__VERIFY_AUDIT_REQUEST__INIT;
	Modelreg__V1__VerifyAuditResponse *vres;
	uint64_t rev;

	must_reg(env, "m", "1.0.0");
	assert_int_equal(st_promote(env, "m", "1.0.0", STAGING), MR_OK);
	env->user = "dave";
	assert_int_equal(del_version(env, "m", "1.0.0", "superseded"), MR_OK);
	rev = env->last_revision;

	er.name = "m";
	assert_int_equal(st_call(env, "Registry/ListEvents", &er.base, NULL,
	                     &modelreg__v1__list_events_response__descriptor,
	                     (ProtobufCMessage **)&ev),
	    MR_OK);
	last = ev->events[ev->n_events - 1];
	assert_int_equal(
	    last->kind, MODELREG__V1__EVENT_KIND__EVENT_VERSION_DELETED);
	assert_int_equal(last->revision, rev);
	assert_string_equal(last->version, "1.0.0");
	assert_int_equal(last->from_stage, STAGING);
	assert_int_equal(last->to_stage, 0);
	assert_string_equal(last->actor, "dave");
	assert_string_equal(last->reason, "superseded");
	modelreg__v1__list_events_response__free_unpacked(ev, NULL);

	ar.model = "m";
	assert_int_equal(st_call(env, "Audit/ListAudit", &ar.base, NULL,
	                     &modelreg__v1__list_audit_response__descriptor,
	                     (ProtobufCMessage **)&au),
	    MR_OK);
	rec = au->records[au->n_records - 1];
	assert_string_equal(rec->action, "DeleteVersion");
	assert_string_equal(rec->target, "m@1.0.0");
	assert_string_equal(rec->actor, "dave");
	assert_string_equal(rec->reason, "superseded");
	assert_int_equal(rec->revision, rev);
	/* Before: the version as it was; after: its tombstone. */
	assert_non_null(strstr(rec->before, "STAGE_STAGING"));
	assert_null(strstr(rec->before, "deletion"));
	assert_non_null(strstr(rec->after, "deletion"));
	assert_non_null(strstr(rec->after, "superseded"));
	modelreg__v1__list_audit_response__free_unpacked(au, NULL);

	assert_int_equal(st_call(env, "Audit/VerifyAudit", &vr.base, NULL,
	                     &modelreg__v1__verify_audit_response__descriptor,
	                     (ProtobufCMessage **)&vres),
	    MR_OK);
	assert_true(vres->ok);
	assert_int_equal(vres->first_broken, 0);
	modelreg__v1__verify_audit_response__free_unpacked(vres, NULL);
}

static void
test_registering_a_deleted_version_again_is_already_exists(void **state)
{
	st_env *env = *state;

	must_reg(env, "m", "1.0.0");
	assert_int_equal(del_version(env, "m", "1.0.0", "bad"), MR_OK);
	/* Other bytes under a deleted number would break reproductions. */
	assert_int_equal(
	    st_register(env, "m", "1.0.0", 5000), MR_ALREADY_EXISTS);
	assert_non_null(strstr(env->last_message, "was deleted"));
	assert_non_null(strstr(env->last_message, "never registered again"));
	assert_int_equal(
	    st_register(env, "m", "v1.0.0", 3000), MR_ALREADY_EXISTS);
	assert_int_equal(st_register(env, "m", "1.0.1", 3000), MR_OK);
}

static void
test_bumps_count_past_deleted_versions(void **state)
{
	st_env *env = *state;
	Modelreg__V1__RegisterVersionRequest rq =
	    MODELREG__V1__REGISTER_VERSION_REQUEST__INIT;
	Modelreg__V1__RegisterVersionResponse *r;
	uint8_t data[100];
	st_file f = {"model.bin", data, sizeof(data)};

	must_reg(env, "m", "1.0.0");
	must_reg(env, "m", "2.0.0");
	assert_int_equal(del_version(env, "m", "2.0.0", "bad"), MR_OK);
	memset(data, 1, sizeof(data));
	rq.name = "m";
	rq.version = "";
	rq.bump = MODELREG__V1__BUMP__BUMP_MAJOR;
	rq.manifest = st_upload(env, &f, 1, false, 1024);
	assert_int_equal(
	    st_call(env, "Registry/RegisterVersion", &rq.base, NULL,
	        &modelreg__v1__register_version_response__descriptor,
	        (ProtobufCMessage **)&r),
	    MR_OK);
	assert_string_equal(r->version->version, "3.0.0");
	modelreg__v1__register_version_response__free_unpacked(r, NULL);
	st_manifest_free(rq.manifest);
}

static void
test_point_in_time_read_names_a_version_deleted_since(void **state)
{
	st_env *env = *state;
	Modelreg__V1__ModelVersion *v;
	int64_t then;

	must_reg(env, "m", "1.0.0");
	to_production(env, "m", "1.0.0");
	usleep(5000);
	then = mr_now_ms();
	usleep(5000);
	must_reg(env, "m", "2.0.0");
	to_production(env, "m", "2.0.0"); /* archives 1.0.0 */
	assert_int_equal(
	    del_version(env, "m", "1.0.0", "audit found a leak"), MR_OK);

	/* "What was in production then?" still has its answer. */
	assert_int_equal(get_version(env, "m", NULL, PROD, then, &v), MR_OK);
	assert_string_equal(v->version, "1.0.0");
	assert_non_null(v->deletion);
	assert_string_equal(v->deletion->reason, "audit found a leak");
	modelreg__v1__model_version__free_unpacked(v, NULL);
	/* And now, the deleted version is in no stage. */
	assert_int_equal(
	    get_version(env, "m", NULL, ARCHIVED, mr_now_ms(), NULL),
	    MR_NOT_FOUND);
}

static void
test_deleted_version_keeps_its_lineage_node_marked_deleted(void **state)
{
	st_env *env = *state;
	Modelreg__V1__GetNodeRequest rq = MODELREG__V1__GET_NODE_REQUEST__INIT;
	Modelreg__V1__GetNodeResponse *r;
	char deployment[MR_NODE_ID_MAX + 1];
	bool live = false;

	must_reg(env, "m", "1.0.0");
	assert_int_equal(st_promote(env, "m", "1.0.0", STAGING), MR_OK);
	assert_int_equal(del_version(env, "m", "1.0.0", "bad"), MR_OK);

	rq.id = "model:m@1.0.0";
	assert_int_equal(st_call(env, "Lineage/GetNode", &rq.base, NULL,
	                     &modelreg__v1__get_node_response__descriptor,
	                     (ProtobufCMessage **)&r),
	    MR_OK);
	assert_true(r->node->deleted_at_ms > 0);
	/* Its staging deployment is history now: ended, still there. */
	assert_int_equal(r->n_downstream, 1);
	snprintf(deployment, sizeof(deployment), "%s", r->downstream[0]->to);
	modelreg__v1__get_node_response__free_unpacked(r, NULL);
	rq.id = deployment;
	assert_int_equal(st_call(env, "Lineage/GetNode", &rq.base, NULL,
	                     &modelreg__v1__get_node_response__descriptor,
	                     (ProtobufCMessage **)&r),
	    MR_OK);
	live = r->node->ended_at_ms == 0;
	modelreg__v1__get_node_response__free_unpacked(r, NULL);
	assert_false(live);
}

static void
test_delete_of_the_rollback_target_moves_the_target_back(void **state)
{
	st_env *env = *state;
	Modelreg__V1__Model *m;

	must_reg(env, "m", "1.0.0");
	to_production(env, "m", "1.0.0");
	must_reg(env, "m", "2.0.0");
	to_production(env, "m", "2.0.0");
	must_reg(env, "m", "3.0.0");
	to_production(env, "m", "3.0.0");
	m = st_model(env, "m");
	assert_string_equal(m->rollback_target, "2.0.0");
	modelreg__v1__model__free_unpacked(m, NULL);

	assert_int_equal(del_version(env, "m", "2.0.0", "bad"), MR_OK);
	m = st_model(env, "m");
	assert_string_equal(m->rollback_target, "1.0.0");
	modelreg__v1__model__free_unpacked(m, NULL);
	assert_int_equal(st_rollback(env, "m", NULL, "p99 doubled"), MR_OK);
	assert_int_equal(st_stage(env, "m", "1.0.0"), PROD);
	/* 1.0.0 had displaced nothing: no target is left. */
	m = st_model(env, "m");
	assert_string_equal(m->rollback_target, "");
	modelreg__v1__model__free_unpacked(m, NULL);
}

static void
test_rollback_skips_a_deleted_version_in_the_chain(void **state)
{
	st_env *env = *state;
	Modelreg__V1__Model *m;

	must_reg(env, "m", "1.0.0");
	to_production(env, "m", "1.0.0");
	must_reg(env, "m", "2.0.0");
	to_production(env, "m", "2.0.0"); /* displaced 1.0.0 */
	must_reg(env, "m", "3.0.0");
	to_production(env, "m", "3.0.0"); /* displaced 2.0.0 */
	assert_int_equal(del_version(env, "m", "1.0.0", "bad"), MR_OK);
	/* Back to 2.0.0, whose own target, 1.0.0, is gone. */
	assert_int_equal(st_rollback(env, "m", NULL, "regression"), MR_OK);
	assert_int_equal(st_stage(env, "m", "2.0.0"), PROD);
	m = st_model(env, "m");
	assert_string_equal(m->rollback_target, "");
	modelreg__v1__model__free_unpacked(m, NULL);
}

static void
test_delete_of_a_model_with_a_production_version_is_refused(void **state)
{
	st_env *env = *state;

	must_reg(env, "m", "1.0.0");
	must_reg(env, "m", "2.0.0");
	to_production(env, "m", "2.0.0");
	assert_int_equal(
	    del_model(env, "m", "retired", NULL), MR_FAILED_PRECONDITION);
	assert_non_null(strstr(env->last_message, "2.0.0"));
	assert_non_null(strstr(env->last_message, "production"));
	assert_int_equal(st_stage(env, "m", "1.0.0"), DEV);
	assert_int_equal(st_stage(env, "m", "2.0.0"), PROD);
}

static void
test_delete_model_deletes_every_version_and_the_model(void **state)
{
	st_env *env = *state;
	Modelreg__V1__DeleteModelResponse *r;
	Modelreg__V1__ListAuditRequest ar =
	    MODELREG__V1__LIST_AUDIT_REQUEST__INIT;
	Modelreg__V1__ListAuditResponse *au;
	Modelreg__V1__ModelVersion *v;
	Modelreg__V1__Model *m;
	int64_t then;

	must_reg(env, "m", "1.0.0");
	must_reg(env, "m", "2.0.0");
	to_production(env, "m", "2.0.0");
	usleep(5000);
	then = mr_now_ms();
	usleep(5000);
	assert_int_equal(st_promote(env, "m", "2.0.0", ARCHIVED), MR_OK);
	assert_int_equal(set_alias(env, "champion", "1.0.0"), MR_OK);
	must_reg(env, "other", "1.0.0");

	assert_int_equal(del_model(env, "m", "retired", &r), MR_OK);
	assert_int_equal(r->n_deleted_versions, 2);
	assert_string_equal(r->deleted_versions[0], "1.0.0");
	assert_string_equal(r->deleted_versions[1], "2.0.0");
	assert_string_equal(r->model->name, "m");
	modelreg__v1__delete_model_response__free_unpacked(r, NULL);

	assert_null(st_model(env, "m"));
	assert_int_equal(
	    get_version(env, "m", "1.0.0", 0, 0, NULL), MR_NOT_FOUND);
	assert_int_equal(search_count(env, ""), 1); /* other@1.0.0 */
	assert_int_equal(st_stage(env, "other", "1.0.0"), DEV);

	/* One audit record says what went. */
	ar.model = "m";
	assert_int_equal(st_call(env, "Audit/ListAudit", &ar.base, NULL,
	                     &modelreg__v1__list_audit_response__descriptor,
	                     (ProtobufCMessage **)&au),
	    MR_OK);
	assert_string_equal(
	    au->records[au->n_records - 1]->action, "DeleteModel");
	assert_non_null(strstr(au->records[au->n_records - 1]->after, "2.0.0"));
	modelreg__v1__list_audit_response__free_unpacked(au, NULL);

	/* The stage history outlives the model. */
	assert_int_equal(get_version(env, "m", NULL, PROD, then, &v), MR_OK);
	assert_string_equal(v->version, "2.0.0");
	assert_non_null(v->deletion);
	modelreg__v1__model_version__free_unpacked(v, NULL);

	/* The name may be used again, the deleted numbers may not. */
	assert_int_equal(
	    st_register(env, "m", "1.0.0", 3000), MR_ALREADY_EXISTS);
	assert_int_equal(st_register(env, "m", "3.0.0", 3000), MR_OK);
	m = st_model(env, "m");
	assert_non_null(m);
	assert_int_equal(m->version_count, 1);
	assert_int_equal(m->n_aliases, 0);
	modelreg__v1__model__free_unpacked(m, NULL);
	assert_int_equal(del_model(env, "nope", "x", NULL), MR_NOT_FOUND);
}

static void
test_deletion_survives_a_restart(void **state)
{
	st_env *env = *state;

	must_reg(env, "m", "1.0.0");
	must_reg(env, "m", "2.0.0");
	assert_int_equal(del_version(env, "m", "1.0.0", "bad"), MR_OK);
	st_reopen(env);
	assert_int_equal(
	    get_version(env, "m", "1.0.0", 0, 0, NULL), MR_NOT_FOUND);
	assert_int_equal(
	    st_register(env, "m", "1.0.0", 3000), MR_ALREADY_EXISTS);
	assert_int_equal(st_stage(env, "m", "2.0.0"), DEV);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_delete_of_a_production_version_is_refused,
	        st_fixture_setup, st_fixture_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_delete_of_a_version_an_alias_names_is_refused_naming_the_alias,
	        st_fixture_setup, st_fixture_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_delete_needs_an_exact_version_and_a_reason,
	        st_fixture_setup, st_fixture_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_deleted_version_is_gone_from_gets_lists_and_searches,
	        st_fixture_setup, st_fixture_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_delete_leaves_an_event_and_an_audit_record,
	        st_fixture_setup, st_fixture_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_registering_a_deleted_version_again_is_already_exists,
	        st_fixture_setup, st_fixture_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_bumps_count_past_deleted_versions, st_fixture_setup,
	        st_fixture_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_point_in_time_read_names_a_version_deleted_since,
	        st_fixture_setup, st_fixture_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_deleted_version_keeps_its_lineage_node_marked_deleted,
	        st_fixture_setup, st_fixture_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_delete_of_the_rollback_target_moves_the_target_back,
	        st_fixture_setup, st_fixture_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_rollback_skips_a_deleted_version_in_the_chain,
	        st_fixture_setup, st_fixture_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_delete_of_a_model_with_a_production_version_is_refused,
	        st_fixture_setup, st_fixture_teardown),
	    cmocka_unit_test_setup_teardown(
	        test_delete_model_deletes_every_version_and_the_model,
	        st_fixture_setup, st_fixture_teardown),
	    cmocka_unit_test_setup_teardown(test_deletion_survives_a_restart,
	        st_fixture_setup, st_fixture_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
