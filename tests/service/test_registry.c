/*
 * test_registry.c - the Registry service's rules, through the dispatcher
 * on a real store: registration and its validation, stage transitions with
 * check-and-set, one production version, rollback, events, reads, paging.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "svctest.h"
#include "testutil.h"

#define DEV MODELREG__V1__STAGE__STAGE_DEV
#define STAGING MODELREG__V1__STAGE__STAGE_STAGING
#define PROD MODELREG__V1__STAGE__STAGE_PRODUCTION
#define ARCHIVED MODELREG__V1__STAGE__STAGE_ARCHIVED

static Modelreg__V1__ModelVersion *
get_version(st_env *env, const char *name, const char *version, int stage)
{
	Modelreg__V1__GetVersionRequest rq =
	    MODELREG__V1__GET_VERSION_REQUEST__INIT;
	Modelreg__V1__GetVersionResponse *r;
	Modelreg__V1__ModelVersion *v;

	rq.name = (char *)name;
	rq.version = (char *)(version != NULL ? version : "");
	rq.stage = (Modelreg__V1__Stage)stage;
	if (st_call(env, "Registry/GetVersion", &rq.base, NULL,
		&modelreg__v1__get_version_response__descriptor,
		(ProtobufCMessage **)&r) != MR_OK)
		return NULL;
	v = r->version;
	r->version = NULL;
	modelreg__v1__get_version_response__free_unpacked(r, NULL);
	return v;
}

static void
free_version(Modelreg__V1__ModelVersion *v)
{
	protobuf_c_message_free_unpacked(&v->base, NULL);
}

static void
free_model(Modelreg__V1__Model *m)
{
	protobuf_c_message_free_unpacked(&m->base, NULL);
}

/* Registers with a request the caller fills through `rq`. */
static mr_status
register_req(st_env *env, Modelreg__V1__RegisterVersionRequest *rq)
{
	uint8_t data[300];
	st_file f = { "model.bin", data, sizeof(data) };
	mr_status rv;
	bool own = rq->manifest == NULL;

	tu_fill_random(data, sizeof(data), 7);
	if (own)
		rq->manifest = st_upload(env, &f, 1, false, 128);
	rv = st_call(env, "Registry/RegisterVersion", &rq->base, NULL, NULL,
	    NULL);
	if (own) {
		st_manifest_free(rq->manifest);
		rq->manifest = NULL;
	}
	return rv;
}

static void
test_register_normalizes_version_and_records_creator(void **state)
{
	st_env *env = *state;
	Modelreg__V1__ModelVersion *v;
	Modelreg__V1__Model *m;

	assert_int_equal(st_register(env, "fraud", "v3.1.0", 1000), MR_OK);
	v = get_version(env, "fraud", "3.1.0", 0);
	assert_non_null(v);
	assert_string_equal(v->version, "3.1.0");
	assert_int_equal(v->stage, DEV);
	assert_string_equal(v->created_by, "alice");
	assert_non_null(v->manifest);
	assert_int_equal(v->manifest->total_size, 1000);
	assert_int_equal(v->manifest->n_files, 1);
	/* Reads without with_chunks carry no chunk lists. */
	assert_int_equal(v->manifest->files[0]->n_chunks, 0);
	free_version(v);
	m = st_model(env, "fraud");
	assert_non_null(m);
	assert_int_equal(m->version_count, 1);
	assert_string_equal(m->latest_version, "3.1.0");
	free_model(m);
}

static void
test_register_same_version_twice_is_already_exists(void **state)
{
	st_env *env = *state;
	Modelreg__V1__Model *m;

	assert_int_equal(st_register(env, "fraud", "1.0.0", 10), MR_OK);
	assert_int_equal(st_register(env, "fraud", "v1.0.0", 20),
	    MR_ALREADY_EXISTS);
	assert_non_null(strstr(env->last_message, "already exists"));
	m = st_model(env, "fraud");
	assert_int_equal(m->version_count, 1);
	free_model(m);
}

static void
test_register_bad_names_and_versions_are_invalid_argument(void **state)
{
	st_env *env = *state;
	static const char *bad_names[] = { "", "-lead", "sp ace", "a/b",
		"ünï" };
	static const char *bad_versions[] = { "", "3.1", "03.1.0", "1.0.0+b",
		"latest", "1.0.0-" };

	for (size_t i = 0; i < sizeof(bad_names) / sizeof(*bad_names); i++)
		assert_int_equal(st_register(env, bad_names[i], "1.0.0", 10),
		    MR_INVALID_ARGUMENT);
	for (size_t i = 0; i < sizeof(bad_versions) / sizeof(*bad_versions);
	    i++)
		assert_int_equal(st_register(env, "ok", bad_versions[i], 10),
		    MR_INVALID_ARGUMENT);
	assert_null(st_model(env, "ok"));
}

static void
test_register_straight_into_production_is_refused(void **state)
{
	st_env *env = *state;
	Modelreg__V1__RegisterVersionRequest rq =
	    MODELREG__V1__REGISTER_VERSION_REQUEST__INIT;

	rq.name = "m";
	rq.version = "1.0.0";
	rq.stage = PROD;
	assert_int_equal(register_req(env, &rq), MR_INVALID_ARGUMENT);
	rq.stage = STAGING;
	assert_int_equal(register_req(env, &rq), MR_OK);
	assert_int_equal(st_stage(env, "m", "1.0.0"), STAGING);
}

static void
test_register_with_missing_chunks_is_failed_precondition_and_invisible(
    void **state)
{
	st_env *env = *state;
	Modelreg__V1__RegisterVersionRequest rq =
	    MODELREG__V1__REGISTER_VERSION_REQUEST__INIT;
	uint8_t data[64];
	st_file f = { "w.bin", data, sizeof(data) };
	uint64_t before;

	tu_fill_random(data, sizeof(data), 1);
	rq.manifest = st_upload(env, &f, 1, false, 64);
	/* Point the only chunk at bytes that were never uploaded. */
	rq.manifest->files[0]->chunks[0]->digest.data[0] ^= 0xff;
	rq.name = "m";
	rq.version = "1.0.0";
	before = store_revision(env->st);
	assert_int_equal(register_req(env, &rq), MR_FAILED_PRECONDITION);
	assert_non_null(strstr(env->last_message, "not stored"));
	assert_int_equal(store_revision(env->st), before);
	assert_null(st_model(env, "m"));
	st_manifest_free(rq.manifest);
}

static void
test_register_with_wrong_artifact_digest_is_invalid_argument(void **state)
{
	st_env *env = *state;
	Modelreg__V1__RegisterVersionRequest rq =
	    MODELREG__V1__REGISTER_VERSION_REQUEST__INIT;
	uint8_t data[64];
	st_file f = { "w.bin", data, sizeof(data) };

	tu_fill_random(data, sizeof(data), 2);
	rq.manifest = st_upload(env, &f, 1, false, 64);
	rq.manifest->digest.data[5] ^= 1;
	rq.name = "m";
	rq.version = "1.0.0";
	assert_int_equal(register_req(env, &rq), MR_INVALID_ARGUMENT);
	assert_non_null(strstr(env->last_message, "digest"));
	st_manifest_free(rq.manifest);
}

static void
test_register_manifest_with_file_and_directory_of_same_name_is_refused(
    void **state)
{
	st_env *env = *state;
	Modelreg__V1__RegisterVersionRequest rq =
	    MODELREG__V1__REGISTER_VERSION_REQUEST__INIT;
	uint8_t data[16] = { 1 };
	st_file files[] = {
		{ "a", data, 16 },
		{ "a-b", data, 16 },
		{ "a/b", data, 16 },
	};

	rq.manifest = st_upload(env, files, 3, true, 64);
	rq.name = "m";
	rq.version = "1.0.0";
	assert_int_equal(register_req(env, &rq), MR_INVALID_ARGUMENT);
	assert_non_null(strstr(env->last_message, "both a file and a "
						  "directory"));
	st_manifest_free(rq.manifest);
}

static void
test_register_unsorted_or_traversing_paths_are_refused(void **state)
{
	st_env *env = *state;
	Modelreg__V1__RegisterVersionRequest rq =
	    MODELREG__V1__REGISTER_VERSION_REQUEST__INIT;
	uint8_t data[16] = { 1 };
	st_file unsorted[] = { { "b", data, 16 }, { "a", data, 16 } };
	st_file dotdot[] = { { "../etc/passwd", data, 16 } };

	rq.name = "m";
	rq.version = "1.0.0";
	rq.manifest = st_upload(env, unsorted, 2, true, 64);
	assert_int_equal(register_req(env, &rq), MR_INVALID_ARGUMENT);
	st_manifest_free(rq.manifest);
	rq.manifest = st_upload(env, dotdot, 1, true, 64);
	assert_int_equal(register_req(env, &rq), MR_INVALID_ARGUMENT);
	st_manifest_free(rq.manifest);
}

static void
test_register_metadata_is_validated_and_sorted(void **state)
{
	st_env *env = *state;
	Modelreg__V1__RegisterVersionRequest rq =
	    MODELREG__V1__REGISTER_VERSION_REQUEST__INIT;
	Modelreg__V1__Metadata md = MODELREG__V1__METADATA__INIT;
	Modelreg__V1__Metadata__MetricsEntry e1 =
	    MODELREG__V1__METADATA__METRICS_ENTRY__INIT;
	Modelreg__V1__Metadata__MetricsEntry e2 =
	    MODELREG__V1__METADATA__METRICS_ENTRY__INIT;
	Modelreg__V1__Metadata__MetricsEntry *metrics[] = { &e1, &e2 };
	char *features[] = { "amount", "merchant", "amount" };
	Modelreg__V1__ModelVersion *v;

	e1.key = "recall";
	e1.value = 0.7;
	e2.key = "accuracy";
	e2.value = 0.87;
	md.n_metrics = 2;
	md.metrics = metrics;
	md.n_features = 3;
	md.features = features;
	md.framework = "xgboost";
	rq.name = "m";
	rq.version = "1.0.0";
	rq.metadata = &md;
	assert_int_equal(register_req(env, &rq), MR_INVALID_ARGUMENT);
	assert_non_null(strstr(env->last_message, "listed twice"));

	md.n_features = 2;
	e1.value = NAN;
	assert_int_equal(register_req(env, &rq), MR_INVALID_ARGUMENT);
	assert_non_null(strstr(env->last_message, "finite"));

	e1.value = 0.7;
	assert_int_equal(register_req(env, &rq), MR_OK);
	v = get_version(env, "m", "1.0.0", 0);
	assert_int_equal(v->metadata->n_metrics, 2);
	assert_string_equal(v->metadata->metrics[0]->key, "accuracy");
	assert_string_equal(v->metadata->metrics[1]->key, "recall");
	assert_string_equal(v->metadata->features[0], "amount");
	assert_string_equal(v->metadata->framework, "xgboost");
	free_version(v);
}

static void
test_promote_follows_dev_staging_production(void **state)
{
	st_env *env = *state;

	assert_int_equal(st_register(env, "m", "1.0.0", 10), MR_OK);
	assert_int_equal(st_promote(env, "m", "1.0.0", PROD),
	    MR_FAILED_PRECONDITION);
	assert_int_equal(st_promote(env, "m", "1.0.0", DEV),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(st_promote(env, "m", "1.0.0", STAGING), MR_OK);
	assert_int_equal(st_promote(env, "m", "1.0.0", STAGING),
	    MR_FAILED_PRECONDITION);
	assert_non_null(strstr(env->last_message, "already in staging"));
	assert_int_equal(st_promote(env, "m", "1.0.0", PROD), MR_OK);
	assert_int_equal(st_stage(env, "m", "1.0.0"), PROD);
	assert_int_equal(st_promote(env, "m", "9.9.9", STAGING), MR_NOT_FOUND);
	assert_int_equal(st_promote(env, "nope", "1.0.0", STAGING),
	    MR_NOT_FOUND);
}

static void
test_promote_with_stale_expected_stage_is_failed_precondition(void **state)
{
	st_env *env = *state;
	Modelreg__V1__PromoteRequest rq = MODELREG__V1__PROMOTE_REQUEST__INIT;

	assert_int_equal(st_register(env, "m", "1.0.0", 10), MR_OK);
	assert_int_equal(st_promote(env, "m", "1.0.0", STAGING), MR_OK);
	rq.name = "m";
	rq.version = "1.0.0";
	rq.to_stage = ARCHIVED;
	rq.expected_stage = DEV;
	assert_int_equal(st_call(env, "Registry/Promote", &rq.base, NULL, NULL,
			     NULL),
	    MR_FAILED_PRECONDITION);
	assert_non_null(strstr(env->last_message, "not dev"));
	assert_int_equal(st_stage(env, "m", "1.0.0"), STAGING);
	rq.expected_stage = STAGING;
	assert_int_equal(st_call(env, "Registry/Promote", &rq.base, NULL, NULL,
			     NULL),
	    MR_OK);
	assert_int_equal(st_stage(env, "m", "1.0.0"), ARCHIVED);
}

static void
to_production(st_env *env, const char *name, const char *version)
{
	assert_int_equal(st_register(env, name, version, 10), MR_OK);
	assert_int_equal(st_promote(env, name, version, STAGING), MR_OK);
	assert_int_equal(st_promote(env, name, version, PROD), MR_OK);
}

static void
test_promoting_to_production_archives_the_previous_one(void **state)
{
	st_env *env = *state;
	Modelreg__V1__Model *m;
	Modelreg__V1__ModelVersion *v;

	to_production(env, "m", "1.0.0");
	to_production(env, "m", "2.0.0");
	assert_int_equal(st_stage(env, "m", "1.0.0"), ARCHIVED);
	assert_int_equal(st_stage(env, "m", "2.0.0"), PROD);
	m = st_model(env, "m");
	assert_string_equal(m->production_version, "2.0.0");
	assert_string_equal(m->rollback_target, "1.0.0");
	free_model(m);
	v = get_version(env, "m", NULL, PROD);
	assert_string_equal(v->version, "2.0.0");
	assert_string_equal(v->displaced_version, "1.0.0");
	free_version(v);
}

static void
test_archived_version_cannot_be_promoted_back_to_production(void **state)
{
	st_env *env = *state;

	to_production(env, "m", "1.0.0");
	to_production(env, "m", "2.0.0");
	assert_int_equal(st_promote(env, "m", "1.0.0", PROD),
	    MR_FAILED_PRECONDITION);
	assert_non_null(strstr(env->last_message, "rollback"));
}

static void
test_rollback_returns_previous_production_and_walks_back(void **state)
{
	st_env *env = *state;
	Modelreg__V1__Model *m;

	to_production(env, "m", "1.0.0");
	to_production(env, "m", "2.0.0");
	to_production(env, "m", "3.0.0");
	assert_int_equal(st_rollback(env, "m", NULL, "p99 latency"), MR_OK);
	assert_int_equal(st_stage(env, "m", "2.0.0"), PROD);
	assert_int_equal(st_stage(env, "m", "3.0.0"), ARCHIVED);
	assert_int_equal(st_rollback(env, "m", NULL, "still bad"), MR_OK);
	assert_int_equal(st_stage(env, "m", "1.0.0"), PROD);
	assert_int_equal(st_stage(env, "m", "2.0.0"), ARCHIVED);
	m = st_model(env, "m");
	assert_string_equal(m->production_version, "1.0.0");
	assert_string_equal(m->rollback_target, "");
	free_model(m);
	assert_int_equal(st_rollback(env, "m", NULL, "again"),
	    MR_FAILED_PRECONDITION);
}

static void
test_rollback_to_named_version(void **state)
{
	st_env *env = *state;

	to_production(env, "m", "1.0.0");
	to_production(env, "m", "2.0.0");
	to_production(env, "m", "3.0.0");
	assert_int_equal(st_rollback(env, "m", "1.0.0", "data drift"), MR_OK);
	assert_int_equal(st_stage(env, "m", "1.0.0"), PROD);
	assert_int_equal(st_stage(env, "m", "3.0.0"), ARCHIVED);
	/* Forward again to a former production version. */
	assert_int_equal(st_rollback(env, "m", "3.0.0", "fixed"), MR_OK);
	assert_int_equal(st_stage(env, "m", "3.0.0"), PROD);
}

static void
test_rollback_bad_targets_are_refused_and_change_nothing(void **state)
{
	st_env *env = *state;
	uint64_t before;

	to_production(env, "m", "1.0.0");
	assert_int_equal(st_register(env, "m", "1.1.0", 10), MR_OK);
	before = store_revision(env->st);
	assert_int_equal(st_rollback(env, "m", "7.0.0", "x"), MR_NOT_FOUND);
	assert_int_equal(st_rollback(env, "m", "1.1.0", "x"),
	    MR_FAILED_PRECONDITION);
	assert_non_null(strstr(env->last_message, "never in production"));
	assert_int_equal(st_rollback(env, "m", "1.0.0", "x"),
	    MR_FAILED_PRECONDITION);
	assert_non_null(strstr(env->last_message, "already in production"));
	assert_int_equal(st_rollback(env, "m", NULL, ""), MR_INVALID_ARGUMENT);
	assert_int_equal(st_rollback(env, "m", "1.x", "x"),
	    MR_INVALID_ARGUMENT);
	/* Text without a '.' names an alias. */
	assert_int_equal(st_rollback(env, "m", "bad", "x"), MR_NOT_FOUND);
	assert_non_null(strstr(env->last_message, "no alias \"bad\""));
	assert_int_equal(st_rollback(env, "zz", NULL, "x"), MR_NOT_FOUND);
	assert_int_equal(store_revision(env->st), before);
	assert_int_equal(st_stage(env, "m", "1.0.0"), PROD);
}

static void
test_archiving_production_leaves_none_and_rollback_restores_it(void **state)
{
	st_env *env = *state;
	Modelreg__V1__Model *m;

	to_production(env, "m", "1.0.0");
	assert_int_equal(st_promote(env, "m", "1.0.0", ARCHIVED), MR_OK);
	m = st_model(env, "m");
	assert_string_equal(m->production_version, "");
	free_model(m);
	assert_null(get_version(env, "m", NULL, PROD));
	assert_int_equal(st_rollback(env, "m", NULL, "restore"), MR_OK);
	assert_int_equal(st_stage(env, "m", "1.0.0"), PROD);
}

static void
test_every_stage_change_is_an_event_with_actor_and_reason(void **state)
{
	st_env *env = *state;
	Modelreg__V1__ListEventsRequest rq =
	    MODELREG__V1__LIST_EVENTS_REQUEST__INIT;
	Modelreg__V1__ListEventsResponse *r;
	int rollbacks = 0, archived = 0;

	to_production(env, "m", "1.0.0");
	env->user = "bob";
	to_production(env, "m", "2.0.0");
	assert_int_equal(st_rollback(env, "m", NULL, "alerts fired"), MR_OK);
	assert_int_equal(st_register(env, "other", "1.0.0", 10), MR_OK);

	rq.name = "m";
	assert_int_equal(st_call(env, "Registry/ListEvents", &rq.base, NULL,
			     &modelreg__v1__list_events_response__descriptor,
			     (ProtobufCMessage **)&r),
	    MR_OK);
	/* created, 2 x (registered, staging, production), archive of 1.0.0,
	 * then the rollback's archive of 2.0.0 and return of 1.0.0. */
	assert_int_equal(r->n_events, 10);
	for (size_t i = 0; i < r->n_events; i++) {
		Modelreg__V1__Event *ev = r->events[i];
		assert_string_equal(ev->model, "m");
		if (i > 0)
			assert_true(ev->revision > r->events[i - 1]->revision);
		if (ev->kind == MODELREG__V1__EVENT_KIND__EVENT_ROLLBACK) {
			rollbacks++;
			assert_string_equal(ev->reason, "alerts fired");
			assert_string_equal(ev->actor, "bob");
			assert_string_equal(ev->version, "1.0.0");
			assert_int_equal(ev->to_stage, PROD);
		}
		if (ev->to_stage == ARCHIVED)
			archived++;
	}
	assert_int_equal(rollbacks, 1);
	assert_int_equal(archived, 2);
	assert_int_equal(r->last_revision, r->events[9]->revision);
	assert_false(r->more);
	modelreg__v1__list_events_response__free_unpacked(r, NULL);
}

static void
test_get_by_stage_and_latest_use_semver_precedence(void **state)
{
	st_env *env = *state;
	Modelreg__V1__ModelVersion *v;

	assert_int_equal(st_register(env, "m", "3.9.0", 10), MR_OK);
	assert_int_equal(st_register(env, "m", "3.10.0", 10), MR_OK);
	assert_int_equal(st_register(env, "m", "3.10.0-rc.1", 10), MR_OK);
	assert_int_equal(st_promote(env, "m", "3.9.0", STAGING), MR_OK);
	v = get_version(env, "m", NULL, 0);
	assert_string_equal(v->version, "3.10.0");
	free_version(v);
	v = get_version(env, "m", NULL, STAGING);
	assert_string_equal(v->version, "3.9.0");
	free_version(v);
	v = get_version(env, "m", NULL, DEV);
	assert_string_equal(v->version, "3.10.0");
	free_version(v);
	assert_null(get_version(env, "m", NULL, PROD));
	assert_non_null(strstr(env->last_message, "no version in production"));
	assert_null(get_version(env, "ghost", NULL, PROD));
	assert_non_null(strstr(env->last_message, "does not exist"));
}

static void
test_get_with_chunks_returns_chunk_lists(void **state)
{
	st_env *env = *state;
	Modelreg__V1__GetVersionRequest rq =
	    MODELREG__V1__GET_VERSION_REQUEST__INIT;
	Modelreg__V1__GetVersionResponse *r;

	assert_int_equal(st_register(env, "m", "1.0.0", 5000), MR_OK);
	rq.name = "m";
	rq.with_chunks = true;
	assert_int_equal(st_call(env, "Registry/GetVersion", &rq.base, NULL,
			     &modelreg__v1__get_version_response__descriptor,
			     (ProtobufCMessage **)&r),
	    MR_OK);
	/* st_register cuts 1024-byte chunks: 5 of them. */
	assert_int_equal(r->version->manifest->files[0]->n_chunks, 5);
	assert_int_equal(r->version->manifest->chunk_count, 5);
	modelreg__v1__get_version_response__free_unpacked(r, NULL);
}

static Modelreg__V1__ListVersionsResponse *
list_versions(st_env *env, const char *token, uint32_t size, bool desc,
    int stage, const char *tag)
{
	Modelreg__V1__ListVersionsRequest rq =
	    MODELREG__V1__LIST_VERSIONS_REQUEST__INIT;
	Modelreg__V1__ListVersionsResponse *r;

	rq.name = "m";
	rq.page_token = (char *)(token != NULL ? token : "");
	rq.page_size = size;
	rq.descending = desc;
	rq.stage = (Modelreg__V1__Stage)stage;
	rq.tag = (char *)(tag != NULL ? tag : "");
	assert_int_equal(st_call(env, "Registry/ListVersions", &rq.base, NULL,
			     &modelreg__v1__list_versions_response__descriptor,
			     (ProtobufCMessage **)&r),
	    MR_OK);
	return r;
}

static void
test_list_versions_pages_in_order_both_ways(void **state)
{
	st_env *env = *state;
	const char *order[] = { "0.1.0", "0.9.0", "0.10.0", "1.0.0-rc.1",
		"1.0.0" };
	char token[80] = "";
	size_t seen = 0;

	for (int i = 4; i >= 0; i--)
		assert_int_equal(st_register(env, "m", order[i], 10), MR_OK);
	do {
		Modelreg__V1__ListVersionsResponse *r =
		    list_versions(env, token, 2, false, 0, NULL);
		for (size_t i = 0; i < r->n_versions; i++)
			assert_string_equal(r->versions[i]->version,
			    order[seen++]);
		snprintf(token, sizeof(token), "%s", r->next_page_token);
		modelreg__v1__list_versions_response__free_unpacked(r, NULL);
	} while (token[0] != '\0');
	assert_int_equal(seen, 5);

	token[0] = '\0';
	do {
		Modelreg__V1__ListVersionsResponse *r =
		    list_versions(env, token, 3, true, 0, NULL);
		for (size_t i = 0; i < r->n_versions; i++)
			assert_string_equal(r->versions[i]->version,
			    order[--seen]);
		snprintf(token, sizeof(token), "%s", r->next_page_token);
		modelreg__v1__list_versions_response__free_unpacked(r, NULL);
	} while (token[0] != '\0');
	assert_int_equal(seen, 0);
}

static void
test_list_versions_filters_by_stage_and_tag(void **state)
{
	st_env *env = *state;
	Modelreg__V1__RegisterVersionRequest rq =
	    MODELREG__V1__REGISTER_VERSION_REQUEST__INIT;
	Modelreg__V1__RegisterVersionRequest__TagsEntry t =
	    MODELREG__V1__REGISTER_VERSION_REQUEST__TAGS_ENTRY__INIT;
	Modelreg__V1__RegisterVersionRequest__TagsEntry *tags[] = { &t };
	Modelreg__V1__ListVersionsResponse *r;

	t.key = "team";
	t.value = "fraud";
	rq.name = "m";
	rq.version = "1.0.0";
	rq.n_tags = 1;
	rq.tags = tags;
	assert_int_equal(register_req(env, &rq), MR_OK);
	assert_int_equal(st_register(env, "m", "2.0.0", 10), MR_OK);
	assert_int_equal(st_promote(env, "m", "2.0.0", STAGING), MR_OK);

	r = list_versions(env, NULL, 0, false, STAGING, NULL);
	assert_int_equal(r->n_versions, 1);
	assert_string_equal(r->versions[0]->version, "2.0.0");
	modelreg__v1__list_versions_response__free_unpacked(r, NULL);
	r = list_versions(env, NULL, 0, false, 0, "team=fraud");
	assert_int_equal(r->n_versions, 1);
	assert_string_equal(r->versions[0]->version, "1.0.0");
	modelreg__v1__list_versions_response__free_unpacked(r, NULL);
	r = list_versions(env, NULL, 0, false, 0, "team");
	assert_int_equal(r->n_versions, 1);
	modelreg__v1__list_versions_response__free_unpacked(r, NULL);
	r = list_versions(env, NULL, 0, false, 0, "team=risk");
	assert_int_equal(r->n_versions, 0);
	modelreg__v1__list_versions_response__free_unpacked(r, NULL);
}

static void
test_list_models_pages_and_filters_production(void **state)
{
	st_env *env = *state;
	Modelreg__V1__ListModelsRequest rq =
	    MODELREG__V1__LIST_MODELS_REQUEST__INIT;
	Modelreg__V1__ListModelsResponse *r;
	char name[16];

	for (int i = 0; i < 7; i++) {
		snprintf(name, sizeof(name), "model-%d", i);
		assert_int_equal(st_register(env, name, "1.0.0", 10), MR_OK);
	}
	to_production(env, "model-3", "2.0.0");
	rq.page_size = 5;
	assert_int_equal(st_call(env, "Registry/ListModels", &rq.base, NULL,
			     &modelreg__v1__list_models_response__descriptor,
			     (ProtobufCMessage **)&r),
	    MR_OK);
	assert_int_equal(r->n_models, 5);
	assert_string_equal(r->models[0]->name, "model-0");
	assert_string_equal(r->next_page_token, "model-4");
	rq.page_token = strdup(r->next_page_token);
	modelreg__v1__list_models_response__free_unpacked(r, NULL);
	assert_int_equal(st_call(env, "Registry/ListModels", &rq.base, NULL,
			     &modelreg__v1__list_models_response__descriptor,
			     (ProtobufCMessage **)&r),
	    MR_OK);
	assert_int_equal(r->n_models, 2);
	assert_string_equal(r->models[1]->name, "model-6");
	assert_string_equal(r->next_page_token, "");
	modelreg__v1__list_models_response__free_unpacked(r, NULL);
	free(rq.page_token);

	rq.page_token = "";
	rq.stage = PROD;
	assert_int_equal(st_call(env, "Registry/ListModels", &rq.base, NULL,
			     &modelreg__v1__list_models_response__descriptor,
			     (ProtobufCMessage **)&r),
	    MR_OK);
	assert_int_equal(r->n_models, 1);
	assert_string_equal(r->models[0]->name, "model-3");
	modelreg__v1__list_models_response__free_unpacked(r, NULL);

	rq.stage = 0;
	rq.page_token = "not a token!";
	assert_int_equal(st_call(env, "Registry/ListModels", &rq.base, NULL,
			     NULL, NULL),
	    MR_INVALID_ARGUMENT);
}

static void
test_model_tags_merge_on_later_registrations(void **state)
{
	st_env *env = *state;
	Modelreg__V1__RegisterVersionRequest rq =
	    MODELREG__V1__REGISTER_VERSION_REQUEST__INIT;
	Modelreg__V1__RegisterVersionRequest__ModelTagsEntry a =
	    MODELREG__V1__REGISTER_VERSION_REQUEST__MODEL_TAGS_ENTRY__INIT;
	Modelreg__V1__RegisterVersionRequest__ModelTagsEntry b =
	    MODELREG__V1__REGISTER_VERSION_REQUEST__MODEL_TAGS_ENTRY__INIT;
	Modelreg__V1__RegisterVersionRequest__ModelTagsEntry *tags[] = { &a };
	Modelreg__V1__Model *m;

	a.key = "team";
	a.value = "fraud";
	rq.name = "m";
	rq.version = "1.0.0";
	rq.model_owner = "alice";
	rq.model_description = "Detects fraud";
	rq.n_model_tags = 1;
	rq.model_tags = tags;
	assert_int_equal(register_req(env, &rq), MR_OK);
	b.key = "team";
	b.value = "risk";
	tags[0] = &b;
	rq.version = "1.1.0";
	rq.model_owner = "";
	assert_int_equal(register_req(env, &rq), MR_OK);
	m = st_model(env, "m");
	assert_string_equal(m->owner, "alice");
	assert_string_equal(m->description, "Detects fraud");
	assert_int_equal(m->n_tags, 1);
	assert_string_equal(m->tags[0]->value, "risk");
	assert_int_equal(m->version_count, 2);
	free_model(m);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, st_fixture_setup, st_fixture_teardown)
	const struct CMUnitTest tests[] = {
		T(test_register_normalizes_version_and_records_creator),
		T(test_register_same_version_twice_is_already_exists),
		T(test_register_bad_names_and_versions_are_invalid_argument),
		T(test_register_straight_into_production_is_refused),
		T(test_register_with_missing_chunks_is_failed_precondition_and_invisible),
		T(test_register_with_wrong_artifact_digest_is_invalid_argument),
		T(test_register_manifest_with_file_and_directory_of_same_name_is_refused),
		T(test_register_unsorted_or_traversing_paths_are_refused),
		T(test_register_metadata_is_validated_and_sorted),
		T(test_promote_follows_dev_staging_production),
		T(test_promote_with_stale_expected_stage_is_failed_precondition),
		T(test_promoting_to_production_archives_the_previous_one),
		T(test_archived_version_cannot_be_promoted_back_to_production),
		T(test_rollback_returns_previous_production_and_walks_back),
		T(test_rollback_to_named_version),
		T(test_rollback_bad_targets_are_refused_and_change_nothing),
		T(test_archiving_production_leaves_none_and_rollback_restores_it),
		T(test_every_stage_change_is_an_event_with_actor_and_reason),
		T(test_get_by_stage_and_latest_use_semver_precedence),
		T(test_get_with_chunks_returns_chunk_lists),
		T(test_list_versions_pages_in_order_both_ways),
		T(test_list_versions_filters_by_stage_and_tag),
		T(test_list_models_pages_and_filters_production),
		T(test_model_tags_merge_on_later_registrations),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
