/*
 * test_lifecycle.c - the lifecycle methods through the real dispatcher on
 * a real store: version bumps, signature compatibility, approvals,
 * deprecation, aliases, point-in-time reads, updates, search and the
 * audit record every mutation leaves.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "audit.pb-c.h"
#include "lineage.pb-c.h"
#include "svctest.h"
#include "testutil.h"

#define PROD MODELREG__V1__STAGE__STAGE_PRODUCTION
#define STAGING MODELREG__V1__STAGE__STAGE_STAGING

/* A version to register: fields beyond name and version are optional. */
typedef struct spec {
	const char *name, *version;
	Modelreg__V1__Bump bump;
	const char *inputs[4]; /* "name:type" */
	const char *features[4];
	double accuracy; /* 0: none */
	const char *team; /* tag "team"; NULL: none */
} spec;

static mr_status
reg(st_env *env, const spec *sp, Modelreg__V1__RegisterVersionResponse **out)
{
	Modelreg__V1__RegisterVersionRequest rq =
	    MODELREG__V1__REGISTER_VERSION_REQUEST__INIT;
	Modelreg__V1__Metadata md = MODELREG__V1__METADATA__INIT;
	Modelreg__V1__Signature sig = MODELREG__V1__SIGNATURE__INIT;
	Modelreg__V1__Field fields[4], *fp[4];
	Modelreg__V1__Metadata__MetricsEntry acc =
	    MODELREG__V1__METADATA__METRICS_ENTRY__INIT, *accp = &acc;
	Modelreg__V1__RegisterVersionRequest__TagsEntry tag =
	    MODELREG__V1__REGISTER_VERSION_REQUEST__TAGS_ENTRY__INIT,
	    *tagp = &tag;
	char names[4][32], *types[4];
	uint8_t data[64];
	st_file f = { "model.bin", data, sizeof(data) };
	mr_status rv;

	memset(data, 7, sizeof(data));
	rq.name = (char *)sp->name;
	rq.version = (char *)(sp->version != NULL ? sp->version : "");
	rq.bump = sp->bump;
	for (size_t i = 0; i < 4 && sp->inputs[i] != NULL; i++) {
		const char *colon = strchr(sp->inputs[i], ':');
		modelreg__v1__field__init(&fields[i]);
		snprintf(names[i], sizeof(names[i]), "%.*s",
		    (int)(colon - sp->inputs[i]), sp->inputs[i]);
		types[i] = (char *)colon + 1;
		fields[i].name = names[i];
		fields[i].type = types[i];
		fp[i] = &fields[i];
		sig.n_inputs++;
	}
	sig.inputs = fp;
	rq.signature = &sig;
	for (size_t i = 0; i < 4 && sp->features[i] != NULL; i++)
		md.n_features++;
	md.features = (char **)sp->features;
	if (sp->accuracy != 0) {
		acc.key = "accuracy";
		acc.value = sp->accuracy;
		md.metrics = &accp;
		md.n_metrics = 1;
	}
	rq.metadata = &md;
	if (sp->team != NULL) {
		tag.key = "team";
		tag.value = (char *)sp->team;
		rq.tags = &tagp;
		rq.n_tags = 1;
	}
	rq.manifest = st_upload(env, &f, 1, false, 1024);
	rv = st_call(env, "Registry/RegisterVersion", &rq.base, NULL,
	    &modelreg__v1__register_version_response__descriptor,
	    (ProtobufCMessage **)out);
	st_manifest_free(rq.manifest);
	return rv;
}

static void
must_reg(st_env *env, const char *name, const char *version)
{
	spec sp = { .name = name, .version = version };

	assert_int_equal(reg(env, &sp, NULL), MR_OK);
}

static void
to_production(st_env *env, const char *name, const char *version)
{
	assert_int_equal(st_promote(env, name, version, STAGING), MR_OK);
	assert_int_equal(st_promote(env, name, version, PROD), MR_OK);
}

static Modelreg__V1__ModelVersion *
get(st_env *env, const char *name, const char *version)
{
	Modelreg__V1__GetVersionRequest rq =
	    MODELREG__V1__GET_VERSION_REQUEST__INIT;
	Modelreg__V1__GetVersionResponse *resp;

	rq.name = (char *)name;
	rq.version = (char *)version;
	if (st_call(env, "Registry/GetVersion", &rq.base, NULL,
		&modelreg__v1__get_version_response__descriptor,
		(ProtobufCMessage **)&resp) != MR_OK)
		return NULL;
	Modelreg__V1__ModelVersion *v = resp->version;
	resp->version = NULL;
	modelreg__v1__get_version_response__free_unpacked(resp, NULL);
	return v;
}

static char *
version_of(st_env *env, const char *name, const char *version)
{
	Modelreg__V1__ModelVersion *v = get(env, name, version);
	char *s;

	if (v == NULL)
		return NULL;
	s = strdup(v->version);
	modelreg__v1__model_version__free_unpacked(v, NULL);
	return s;
}

static void
assert_version(st_env *env, const char *name, const char *sel,
    const char *want)
{
	char *got = version_of(env, name, sel);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

/* ---- bumps and signatures ----------------------------------------------- */

static void
test_bump_chooses_versions_and_says_why(void **state)
{
	st_env *env = *state;
	Modelreg__V1__RegisterVersionResponse *r;
	spec first = { .name = "m", .bump = MODELREG__V1__BUMP__BUMP_AUTO,
		.inputs = { "amount:float32", "country:string" },
		.features = { "amount", "country" } };
	spec minor = first, major = first, patch = first, explicit = first;

	assert_int_equal(reg(env, &first, &r), MR_OK);
	assert_string_equal(r->version->version, "1.0.0");
	assert_string_equal(r->version->version_rule, "first version");
	modelreg__v1__register_version_response__free_unpacked(r, NULL);

	minor.bump = MODELREG__V1__BUMP__BUMP_MINOR;
	assert_int_equal(reg(env, &minor, &r), MR_OK);
	assert_string_equal(r->version->version, "1.1.0");
	modelreg__v1__register_version_response__free_unpacked(r, NULL);

	/* auto: a feature added is minor */
	patch.features[2] = "hour";
	assert_int_equal(reg(env, &patch, &r), MR_OK);
	assert_string_equal(r->version->version, "1.2.0");
	assert_non_null(strstr(r->version->version_rule, "auto minor"));
	modelreg__v1__register_version_response__free_unpacked(r, NULL);

	/* auto: an input removed is major, and the rule names it */
	major.inputs[1] = NULL;
	major.features[2] = "hour";
	assert_int_equal(reg(env, &major, &r), MR_OK);
	assert_string_equal(r->version->version, "2.0.0");
	assert_non_null(strstr(r->version->version_rule, "country"));
	modelreg__v1__register_version_response__free_unpacked(r, NULL);

	/* A version and a bump together are refused. */
	explicit.version = "9.0.0";
	assert_int_equal(reg(env, &explicit, NULL), MR_INVALID_ARGUMENT);
	assert_version(env, "m", "latest", "2.0.0");
}

static void
test_breaking_signature_is_refused_unless_major(void **state)
{
	st_env *env = *state;
	spec v1 = { .name = "m", .version = "1.0.0",
		.inputs = { "amount:float32", "country:string" } };
	spec v11 = { .name = "m", .version = "1.1.0",
		.inputs = { "amount:float64", "country:string" } };
	spec v2 = v11;

	assert_int_equal(reg(env, &v1, NULL), MR_OK);
	to_production(env, "m", "1.0.0");
	assert_int_equal(reg(env, &v11, NULL), MR_FAILED_PRECONDITION);
	assert_non_null(strstr(env->last_message, "input amount retyped"));
	v2.version = "2.0.0";
	assert_int_equal(reg(env, &v2, NULL), MR_OK);
	/* Adding an input is not breaking. */
	v11.inputs[0] = "amount:float32";
	v11.inputs[2] = "hour:int32";
	assert_int_equal(reg(env, &v11, NULL), MR_OK);
}

/* ---- approvals ------------------------------------------------------------ */

static mr_status
set_policy(st_env *env, const char *name, int stage, uint32_t required,
    const char **approvers, size_t n)
{
	Modelreg__V1__SetApprovalPolicyRequest rq =
	    MODELREG__V1__SET_APPROVAL_POLICY_REQUEST__INIT;

	rq.name = (char *)name;
	rq.stage = (Modelreg__V1__Stage)stage;
	rq.required = required;
	rq.approvers = (char **)approvers;
	rq.n_approvers = n;
	return st_call(env, "Registry/SetApprovalPolicy", &rq.base, NULL,
	    NULL, NULL);
}

static mr_status
review(st_env *env, const char *user, const char *version, bool approve,
    const char *comment)
{
	Modelreg__V1__ReviewRequest rq = MODELREG__V1__REVIEW_REQUEST__INIT;
	const char *saved = env->user;
	mr_status rv;

	rq.name = "m";
	rq.version = (char *)version;
	rq.stage = PROD;
	rq.decision = approve ? MODELREG__V1__DECISION__DECISION_APPROVE
			      : MODELREG__V1__DECISION__DECISION_REJECT;
	rq.comment = (char *)comment;
	env->user = user;
	rv = st_call(env, "Registry/Review", &rq.base, NULL, NULL, NULL);
	env->user = saved;
	return rv;
}

static void
test_promotion_needs_the_policy_approvals(void **state)
{
	st_env *env = *state;
	const char *approvers[] = { "alice", "bob", "carol" };

	env->user = "dana";
	must_reg(env, "m", "1.0.0");
	assert_int_equal(st_promote(env, "m", "1.0.0", STAGING), MR_OK);
	assert_int_equal(set_policy(env, "m", PROD, 2, approvers, 3), MR_OK);

	assert_int_equal(st_promote(env, "m", "1.0.0", PROD),
	    MR_FAILED_PRECONDITION);
	assert_non_null(strstr(env->last_message,
	    "needs 2 approvals for production from alice, bob, carol; it "
	    "has 0"));
	/* Separation of duties, and only listed approvers count. */
	assert_int_equal(review(env, "dana", "1.0.0", true, ""),
	    MR_PERMISSION_DENIED);
	assert_non_null(strstr(env->last_message, "separation of duties"));
	assert_int_equal(review(env, "mallory", "1.0.0", true, ""),
	    MR_PERMISSION_DENIED);
	assert_int_equal(review(env, "alice", "1.0.0", true, "looks good"),
	    MR_OK);
	assert_int_equal(review(env, "bob", "1.0.0", false, ""),
	    MR_INVALID_ARGUMENT); /* a rejection says why */
	assert_int_equal(review(env, "bob", "1.0.0", false, "drift"), MR_OK);
	assert_int_equal(st_promote(env, "m", "1.0.0", PROD),
	    MR_FAILED_PRECONDITION);
	assert_non_null(strstr(env->last_message, "rejected"));
	assert_non_null(strstr(env->last_message, "bob"));
	assert_int_equal(review(env, "bob", "1.0.0", true, "fixed"), MR_OK);
	assert_int_equal(st_promote(env, "m", "1.0.0", PROD), MR_OK);

	/* The standing reviews are on the version, one per reviewer. */
	Modelreg__V1__ModelVersion *v = get(env, "m", "1.0.0");
	assert_non_null(v);
	assert_int_equal(v->n_approvals, 2);
	assert_string_equal(v->approvals[0]->reviewer, "alice");
	assert_string_equal(v->approvals[1]->reviewer, "bob");
	assert_string_equal(v->approvals[1]->comment, "fixed");
	assert_true(v->approvals[1]->revision > v->approvals[0]->revision);
	modelreg__v1__model_version__free_unpacked(v, NULL);
}

static void
test_policy_bad_input_is_refused(void **state)
{
	st_env *env = *state;
	const char *two[] = { "alice", "alice" };

	must_reg(env, "m", "1.0.0");
	assert_int_equal(set_policy(env, "m", MODELREG__V1__STAGE__STAGE_DEV, 1,
			     NULL, 0),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(set_policy(env, "m", PROD, 3, two, 1),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(set_policy(env, "m", PROD, 1, two, 2),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(set_policy(env, "nope", PROD, 1, NULL, 0),
	    MR_NOT_FOUND);
	/* required 0 removes the policy */
	assert_int_equal(set_policy(env, "m", PROD, 1, NULL, 0), MR_OK);
	assert_int_equal(set_policy(env, "m", PROD, 0, NULL, 0), MR_OK);
	to_production(env, "m", "1.0.0");
}

/* ---- deprecation ------------------------------------------------------- */

static mr_status
deprecate(st_env *env, const char *version, const char *reason, bool undo)
{
	Modelreg__V1__DeprecateRequest rq =
	    MODELREG__V1__DEPRECATE_REQUEST__INIT;

	rq.name = "m";
	rq.version = (char *)version;
	rq.reason = (char *)reason;
	rq.undo = undo;
	rq.end_of_life_ms = undo ? 0 : 1893456000000;
	return st_call(env, "Registry/Deprecate", &rq.base, NULL, NULL, NULL);
}

static void
test_deprecated_version_cannot_be_promoted_until_undeprecated(void **state)
{
	st_env *env = *state;
	Modelreg__V1__ModelVersion *v;

	must_reg(env, "m", "1.0.0");
	assert_int_equal(deprecate(env, "1.0.0", "", false),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(deprecate(env, "1.0.0", "", true),
	    MR_FAILED_PRECONDITION);
	assert_int_equal(deprecate(env, "1.0.0", "leaks PII", false), MR_OK);
	v = get(env, "m", "1.0.0");
	assert_non_null(v->deprecation);
	assert_string_equal(v->deprecation->reason, "leaks PII");
	assert_int_equal(v->deprecation->end_of_life_ms, 1893456000000);
	modelreg__v1__model_version__free_unpacked(v, NULL);
	assert_int_equal(st_promote(env, "m", "1.0.0", STAGING),
	    MR_FAILED_PRECONDITION);
	assert_non_null(strstr(env->last_message, "deprecated"));
	/* Archiving stays possible. */
	assert_int_equal(deprecate(env, "1.0.0", "fixed upstream", true),
	    MR_OK);
	v = get(env, "m", "1.0.0");
	assert_null(v->deprecation);
	modelreg__v1__model_version__free_unpacked(v, NULL);
	assert_int_equal(st_promote(env, "m", "1.0.0", STAGING), MR_OK);
}

/* ---- aliases ---------------------------------------------------------------- */

static mr_status
set_alias(st_env *env, const char *alias, const char *version)
{
	Modelreg__V1__SetAliasRequest rq = MODELREG__V1__SET_ALIAS_REQUEST__INIT;

	rq.name = "m";
	rq.alias = (char *)alias;
	rq.version = (char *)version;
	return st_call(env, "Registry/SetAlias", &rq.base, NULL, NULL, NULL);
}

static void
test_aliases_stand_for_versions(void **state)
{
	st_env *env = *state;
	Modelreg__V1__DeleteAliasRequest del =
	    MODELREG__V1__DELETE_ALIAS_REQUEST__INIT;

	must_reg(env, "m", "1.0.0");
	must_reg(env, "m", "1.1.0");
	assert_int_equal(set_alias(env, "champion", "1.0.0"), MR_OK);
	assert_int_equal(set_alias(env, "challenger", "latest"), MR_OK);
	assert_version(env, "m", "champion", "1.0.0");
	assert_version(env, "m", "challenger", "1.1.0");
	/* An alias may name another alias; a move replaces the target. */
	assert_int_equal(set_alias(env, "champion", "challenger"), MR_OK);
	assert_version(env, "m", "champion", "1.1.0");
	/* Aliases work in mutations too. */
	assert_int_equal(st_promote(env, "m", "champion", STAGING), MR_OK);
	assert_int_equal(st_stage(env, "m", "1.1.0"), STAGING);
	assert_version(env, "m", "staging", "1.1.0");

	assert_int_equal(set_alias(env, "production", "1.0.0"),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(set_alias(env, "Bad!", "1.0.0"), MR_INVALID_ARGUMENT);
	assert_int_equal(set_alias(env, "x", "9.9.9"), MR_NOT_FOUND);
	assert_null(get(env, "m", "nosuch"));
	assert_non_null(strstr(env->last_message, "no alias"));

	del.name = "m";
	del.alias = "champion";
	assert_int_equal(st_call(env, "Registry/DeleteAlias", &del.base, NULL,
			     NULL, NULL),
	    MR_OK);
	assert_int_equal(st_call(env, "Registry/DeleteAlias", &del.base, NULL,
			     NULL, NULL),
	    MR_NOT_FOUND);
	assert_null(get(env, "m", "champion"));
}

/* ---- point in time ------------------------------------------------------ */

static Modelreg__V1__ListEventsResponse *
events(st_env *env)
{
	Modelreg__V1__ListEventsRequest rq =
	    MODELREG__V1__LIST_EVENTS_REQUEST__INIT;
	Modelreg__V1__ListEventsResponse *r;

	rq.name = "m";
	rq.page_size = 1000;
	assert_int_equal(st_call(env, "Registry/ListEvents", &rq.base, NULL,
			     &modelreg__v1__list_events_response__descriptor,
			     (ProtobufCMessage **)&r),
	    MR_OK);
	return r;
}

static char *
at(st_env *env, int64_t ms)
{
	Modelreg__V1__GetVersionRequest rq =
	    MODELREG__V1__GET_VERSION_REQUEST__INIT;
	Modelreg__V1__GetVersionResponse *r;
	char *s;

	rq.name = "m";
	rq.stage = PROD;
	rq.at_ms = ms;
	if (st_call(env, "Registry/GetVersion", &rq.base, NULL,
		&modelreg__v1__get_version_response__descriptor,
		(ProtobufCMessage **)&r) != MR_OK)
		return NULL;
	s = strdup(r->version->version);
	modelreg__v1__get_version_response__free_unpacked(r, NULL);
	return s;
}

/* Sleeps past the current millisecond so events get distinct times. */
static void
tick(void)
{
	int64_t t = mr_now_ms();

	while (mr_now_ms() <= t + 2)
		;
}

static void
test_point_in_time_follows_promotions_and_rollbacks(void **state)
{
	st_env *env = *state;
	Modelreg__V1__ListEventsResponse *ev;
	int64_t t[4] = { 0 };
	size_t k = 0;
	char *v;

	must_reg(env, "m", "1.0.0");
	must_reg(env, "m", "2.0.0");
	tick();
	to_production(env, "m", "1.0.0");
	tick();
	to_production(env, "m", "2.0.0");
	tick();
	assert_int_equal(st_rollback(env, "m", NULL, "bad latency"), MR_OK);
	/* The times at which production changed hands. */
	ev = events(env);
	for (size_t i = 0; i < ev->n_events; i++)
		if (ev->events[i]->to_stage == PROD && k < 4)
			t[k++] = ev->events[i]->time_ms;
	modelreg__v1__list_events_response__free_unpacked(ev, NULL);
	assert_int_equal(k, 3);

	assert_null(at(env, t[0] - 1));
	{
		Modelreg__V1__GetVersionRequest rq =
		    MODELREG__V1__GET_VERSION_REQUEST__INIT;
		rq.name = "m";
		rq.at_ms = t[0]; /* a time needs a stage */
		assert_int_equal(st_call(env, "Registry/GetVersion", &rq.base,
				     NULL, NULL, NULL),
		    MR_INVALID_ARGUMENT);
	}
	v = at(env, t[0]);
	assert_string_equal(v, "1.0.0");
	free(v);
	v = at(env, t[1]);
	assert_string_equal(v, "2.0.0");
	free(v);
	v = at(env, t[2] - 1);
	assert_string_equal(v, "2.0.0");
	free(v);
	v = at(env, t[2]);
	assert_string_equal(v, "1.0.0");
	free(v);
}

/* ---- updates -------------------------------------------------------------- */

static void
test_update_version_tags_and_description_are_events(void **state)
{
	st_env *env = *state;
	Modelreg__V1__UpdateVersionRequest rq =
	    MODELREG__V1__UPDATE_VERSION_REQUEST__INIT;
	Modelreg__V1__UpdateVersionRequest__SetTagsEntry e =
	    MODELREG__V1__UPDATE_VERSION_REQUEST__SET_TAGS_ENTRY__INIT, *ep = &e;
	char *fields[] = { "description" }, *del[] = { "team" };
	Modelreg__V1__ModelVersion *v;
	Modelreg__V1__ListEventsResponse *ev;
	uint64_t before;

	must_reg(env, "m", "1.0.0");
	rq.name = "m";
	rq.version = "1.0.0";
	assert_int_equal(st_call(env, "Registry/UpdateVersion", &rq.base, NULL,
			     NULL, NULL),
	    MR_INVALID_ARGUMENT); /* changes nothing */
	rq.update = fields;
	rq.n_update = 1;
	rq.description = "retrained";
	e.key = "team";
	e.value = "fraud";
	rq.set_tags = &ep;
	rq.n_set_tags = 1;
	assert_int_equal(st_call(env, "Registry/UpdateVersion", &rq.base, NULL,
			     NULL, NULL),
	    MR_OK);
	v = get(env, "m", "1.0.0");
	assert_string_equal(v->description, "retrained");
	assert_int_equal(v->n_tags, 1);
	modelreg__v1__model_version__free_unpacked(v, NULL);

	/* Deleting a tag that is not there changes nothing. */
	before = store_revision(env->st);
	rq.n_update = 0;
	rq.n_set_tags = 0;
	rq.delete_tags = del;
	rq.n_delete_tags = 1;
	assert_int_equal(st_call(env, "Registry/UpdateVersion", &rq.base, NULL,
			     NULL, NULL),
	    MR_OK);
	assert_int_equal(st_call(env, "Registry/UpdateVersion", &rq.base, NULL,
			     NULL, NULL),
	    MR_NOT_FOUND);
	assert_int_equal(store_revision(env->st), before + 1);
	v = get(env, "m", "1.0.0");
	assert_int_equal(v->n_tags, 0);
	modelreg__v1__model_version__free_unpacked(v, NULL);

	ev = events(env);
	assert_int_equal(ev->events[ev->n_events - 1]->kind,
	    MODELREG__V1__EVENT_KIND__EVENT_VERSION_UPDATED);
	assert_int_equal(ev->events[ev->n_events - 2]->kind,
	    MODELREG__V1__EVENT_KIND__EVENT_VERSION_UPDATED);
	assert_non_null(strstr(ev->events[ev->n_events - 2]->reason,
	    "description, tags"));
	modelreg__v1__list_events_response__free_unpacked(ev, NULL);
}

/* ---- search ----------------------------------------------------------------- */

static Modelreg__V1__SearchVersionsResponse *
search(st_env *env, const char *filter, const char *order, uint32_t size,
    const char *token, mr_status want)
{
	Modelreg__V1__SearchVersionsRequest rq =
	    MODELREG__V1__SEARCH_VERSIONS_REQUEST__INIT;
	Modelreg__V1__SearchVersionsResponse *r = NULL;

	rq.filter = (char *)filter;
	rq.order_by = (char *)order;
	rq.page_size = size;
	rq.page_token = (char *)(token != NULL ? token : "");
	assert_int_equal(st_call(env, "Registry/SearchVersions", &rq.base,
			     NULL,
			     &modelreg__v1__search_versions_response__descriptor,
			     (ProtobufCMessage **)&r),
	    want);
	return r;
}

static void
load_search_fixture(st_env *env)
{
	static const char *const names[] = { "fraud-a", "fraud-b", "churn" };
	char version[16];

	for (size_t m = 0; m < 3; m++)
		for (int i = 0; i < 4; i++) {
			spec sp = { .name = names[m], .version = version,
				.accuracy = 0.80 + 0.03 * i,
				.team = m < 2 ? "fraud" : "growth" };
			snprintf(version, sizeof(version), "1.%d.0", i * 5);
			assert_int_equal(reg(env, &sp, NULL), MR_OK);
		}
	to_production(env, "fraud-a", "1.15.0");
	to_production(env, "churn", "1.15.0");
}

static void
test_search_filters_with_indexes_and_pages_stably(void **state)
{
	st_env *env = *state;
	Modelreg__V1__SearchVersionsResponse *r;
	char *token;

	load_search_fixture(env);
	r = search(env,
	    "metrics.accuracy > 0.85 AND tags.team = 'fraud' AND stage = "
	    "production",
	    "", 0, NULL, MR_OK);
	assert_int_equal(r->n_versions, 1);
	assert_string_equal(r->versions[0]->name, "fraud-a");
	assert_string_equal(r->versions[0]->version, "1.15.0");
	modelreg__v1__search_versions_response__free_unpacked(r, NULL);

	/* Default order: name, then precedence (1.10.0 after 1.5.0). */
	r = search(env, "name = 'fraud-*'", "", 3, NULL, MR_OK);
	assert_int_equal(r->n_versions, 3);
	assert_string_equal(r->versions[1]->version, "1.5.0");
	assert_string_equal(r->versions[2]->version, "1.10.0");
	assert_string_equal(r->next_page_token, "fraud-a@1.10.0");
	token = strdup(r->next_page_token);
	modelreg__v1__search_versions_response__free_unpacked(r, NULL);
	/* A version registered behind the token does not shift the page. */
	must_reg(env, "fraud-a", "1.1.0");
	r = search(env, "name = 'fraud-*'", "", 3, token, MR_OK);
	assert_string_equal(r->versions[0]->version, "1.15.0");
	assert_string_equal(r->versions[1]->name, "fraud-b");
	free(token);
	modelreg__v1__search_versions_response__free_unpacked(r, NULL);

	/* Ordered by a metric, paged by key. */
	r = search(env, "tags.team = 'fraud'", "metrics.accuracy desc", 2,
	    NULL, MR_OK);
	assert_int_equal(r->n_versions, 2);
	assert_string_equal(r->versions[0]->name, "fraud-a");
	assert_string_equal(r->versions[0]->version, "1.15.0");
	assert_string_equal(r->versions[1]->name, "fraud-b");
	assert_string_equal(r->versions[1]->version, "1.15.0");
	token = strdup(r->next_page_token);
	modelreg__v1__search_versions_response__free_unpacked(r, NULL);
	r = search(env, "tags.team = 'fraud'", "metrics.accuracy desc", 2,
	    token, MR_OK);
	assert_string_equal(r->versions[0]->version, "1.10.0");
	free(token);
	modelreg__v1__search_versions_response__free_unpacked(r, NULL);
}

static void
test_search_bad_filter_names_position(void **state)
{
	st_env *env = *state;

	must_reg(env, "m", "1.0.0");
	search(env, "metrics.accuracy > ", "", 0, NULL, MR_INVALID_ARGUMENT);
	assert_non_null(strstr(env->last_message, "position"));
	search(env, "", "", 0, "garbage", MR_INVALID_ARGUMENT);
	search(env, "", "metrics.accuracy", 0, "zz", MR_INVALID_ARGUMENT);
}

static void
test_search_sees_tag_and_stage_changes(void **state)
{
	st_env *env = *state;
	Modelreg__V1__SearchVersionsResponse *r;

	load_search_fixture(env);
	to_production(env, "fraud-a", "1.10.0"); /* archives 1.15.0 */
	r = search(env, "stage = production AND tags.team = 'fraud'", "", 0,
	    NULL, MR_OK);
	assert_int_equal(r->n_versions, 1);
	assert_string_equal(r->versions[0]->version, "1.10.0");
	modelreg__v1__search_versions_response__free_unpacked(r, NULL);
	r = search(env, "stage = archived", "", 0, NULL, MR_OK);
	assert_int_equal(r->n_versions, 1);
	assert_string_equal(r->versions[0]->version, "1.15.0");
	modelreg__v1__search_versions_response__free_unpacked(r, NULL);
}

/* ---- audit ------------------------------------------------------------------ */

static void
test_every_mutation_leaves_one_audit_record(void **state)
{
	st_env *env = *state;
	Modelreg__V1__ListAuditRequest rq =
	    MODELREG__V1__LIST_AUDIT_REQUEST__INIT;
	Modelreg__V1__VerifyAuditRequest vq =
	    MODELREG__V1__VERIFY_AUDIT_REQUEST__INIT;
	Modelreg__V1__ListAuditResponse *r;
	Modelreg__V1__VerifyAuditResponse *vr;

	env->user = "erin";
	must_reg(env, "m", "1.0.0");
	to_production(env, "m", "1.0.0");
	assert_int_equal(set_alias(env, "champion", "1.0.0"), MR_OK);
	/* Refused mutations leave nothing. */
	assert_int_equal(st_promote(env, "m", "1.0.0", PROD),
	    MR_FAILED_PRECONDITION);

	rq.model = "m";
	assert_int_equal(st_call(env, "Audit/ListAudit", &rq.base, NULL,
			     &modelreg__v1__list_audit_response__descriptor,
			     (ProtobufCMessage **)&r),
	    MR_OK);
	assert_int_equal(r->n_records, 4);
	assert_string_equal(r->records[0]->action, "RegisterVersion");
	assert_string_equal(r->records[0]->target, "m@1.0.0");
	assert_string_equal(r->records[2]->action, "Promote");
	assert_string_equal(r->records[2]->actor, "erin");
	assert_string_equal(r->records[2]->reason, "test");
	assert_non_null(strstr(r->records[2]->before, "STAGE_STAGING"));
	assert_non_null(strstr(r->records[2]->after, "STAGE_PRODUCTION"));
	assert_string_equal(r->records[3]->action, "SetAlias");
	assert_non_null(strstr(r->records[3]->after, "champion"));
	for (size_t i = 1; i < r->n_records; i++)
		assert_memory_equal(r->records[i]->prev_hash.data,
		    r->records[i - 1]->hash.data, 32);
	modelreg__v1__list_audit_response__free_unpacked(r, NULL);

	assert_int_equal(st_call(env, "Audit/VerifyAudit", &vq.base, NULL,
			     &modelreg__v1__verify_audit_response__descriptor,
			     (ProtobufCMessage **)&vr),
	    MR_OK);
	assert_true(vr->ok);
	/* And the record of erin's token, made first. */
	assert_int_equal(vr->records, 5);
	modelreg__v1__verify_audit_response__free_unpacked(vr, NULL);
}


/* ---- rules the review asked for ---------------------------------------- */

static void
test_registering_into_a_gated_stage_is_refused(void **state)
{
	st_env *env = *state;
	Modelreg__V1__RegisterVersionRequest rq =
	    MODELREG__V1__REGISTER_VERSION_REQUEST__INIT;
	uint8_t data[16] = { 1 };
	st_file f = { "model.bin", data, sizeof(data) };
	mr_status rv;

	must_reg(env, "m", "1.0.0");
	assert_int_equal(set_policy(env, "m", STAGING, 1, NULL, 0), MR_OK);
	rq.name = "m";
	rq.version = "1.1.0";
	rq.stage = STAGING;
	rq.manifest = st_upload(env, &f, 1, false, 1024);
	rv = st_call(env, "Registry/RegisterVersion", &rq.base, NULL, NULL,
	    NULL);
	st_manifest_free(rq.manifest);
	assert_int_equal(rv, MR_FAILED_PRECONDITION);
	assert_non_null(strstr(env->last_message, "requires approvals"));
	assert_null(get(env, "m", "1.1.0"));
}

static mr_status
set_signature(st_env *env, const char *version, const char *input)
{
	Modelreg__V1__UpdateVersionRequest rq =
	    MODELREG__V1__UPDATE_VERSION_REQUEST__INIT;
	Modelreg__V1__Signature sig = MODELREG__V1__SIGNATURE__INIT;
	Modelreg__V1__Field fl = MODELREG__V1__FIELD__INIT, *fp = &fl;
	char *fields[] = { "signature" };

	fl.name = (char *)input;
	fl.type = "float32";
	sig.inputs = &fp;
	sig.n_inputs = 1;
	rq.name = "m";
	rq.version = (char *)version;
	rq.update = fields;
	rq.n_update = 1;
	rq.signature = &sig;
	return st_call(env, "Registry/UpdateVersion", &rq.base, NULL, NULL,
	    NULL);
}

static void
test_signature_change_withdraws_reviews_and_stops_at_production(
    void **state)
{
	st_env *env = *state;
	Modelreg__V1__ModelVersion *v;

	env->user = "dana";
	must_reg(env, "m", "1.0.0");
	assert_int_equal(review(env, "alice", "1.0.0", true, "ok"), MR_OK);
	assert_int_equal(set_signature(env, "1.0.0", "amount"), MR_OK);
	v = get(env, "m", "1.0.0");
	assert_int_equal(v->n_approvals, 0);
	assert_int_equal(v->signature->n_inputs, 1);
	modelreg__v1__model_version__free_unpacked(v, NULL);

	/* Once it has been in production, its signature is fixed, even
	 * after it left production. */
	to_production(env, "m", "1.0.0");
	assert_int_equal(st_promote(env, "m", "1.0.0",
			     MODELREG__V1__STAGE__STAGE_ARCHIVED),
	    MR_OK);
	assert_int_equal(set_signature(env, "1.0.0", "other"),
	    MR_FAILED_PRECONDITION);
	assert_non_null(strstr(env->last_message, "has been in production"));
}

static void
test_rollback_to_a_deprecated_version_is_refused(void **state)
{
	st_env *env = *state;

	must_reg(env, "m", "1.0.0");
	must_reg(env, "m", "2.0.0");
	to_production(env, "m", "1.0.0");
	to_production(env, "m", "2.0.0");
	assert_int_equal(deprecate(env, "1.0.0", "leaked labels", false),
	    MR_OK);
	assert_int_equal(st_rollback(env, "m", NULL, "latency"),
	    MR_FAILED_PRECONDITION);
	assert_non_null(strstr(env->last_message, "leaked labels"));
	assert_int_equal(st_stage(env, "m", "2.0.0"), PROD);
}

static void
test_search_on_an_overlong_tag_matches_nothing(void **state)
{
	st_env *env = *state;
	Modelreg__V1__SearchVersionsResponse *r;
	char filter[2048];

	load_search_fixture(env);
	snprintf(filter, sizeof(filter), "tags.%0500d = '%0900d' AND name = "
	    "'fraud-a'", 0, 0);
	r = search(env, filter, "", 0, NULL, MR_OK);
	assert_int_equal(r->n_versions, 0);
	modelreg__v1__search_versions_response__free_unpacked(r, NULL);
}

static void
test_lineage_audit_records_name_the_node_not_a_model(void **state)
{
	st_env *env = *state;
	Modelreg__V1__AddNodeRequest an = MODELREG__V1__ADD_NODE_REQUEST__INIT;
	Modelreg__V1__ListAuditRequest rq =
	    MODELREG__V1__LIST_AUDIT_REQUEST__INIT;
	Modelreg__V1__ListAuditResponse *r;

	must_reg(env, "m", "1.0.0");
	an.kind = MODELREG__V1__NODE_KIND__NODE_KIND_DATASET;
	an.name = "m"; /* a dataset that happens to share the model's name */
	an.version = "v1";
	assert_int_equal(st_call(env, "Lineage/AddNode", &an.base, NULL, NULL,
			     NULL),
	    MR_OK);
	assert_int_equal(st_call(env, "Audit/ListAudit", &rq.base, NULL,
			     &modelreg__v1__list_audit_response__descriptor,
			     (ProtobufCMessage **)&r),
	    MR_OK);
	/* The token alice calls with, the registration, the node. */
	assert_int_equal(r->n_records, 3);
	assert_string_equal(r->records[0]->action, "CreateToken");
	assert_string_equal(r->records[2]->action, "AddNode");
	assert_string_equal(r->records[2]->model, "");
	assert_string_equal(r->records[2]->target, "dataset:m@v1");
	modelreg__v1__list_audit_response__free_unpacked(r, NULL);
	/* ... so the model's own log does not show it. */
	rq.model = "m";
	assert_int_equal(st_call(env, "Audit/ListAudit", &rq.base, NULL,
			     &modelreg__v1__list_audit_response__descriptor,
			     (ProtobufCMessage **)&r),
	    MR_OK);
	assert_int_equal(r->n_records, 1);
	modelreg__v1__list_audit_response__free_unpacked(r, NULL);
}

static void
test_update_bad_goals_and_policy_are_refused(void **state)
{
	st_env *env = *state;
	Modelreg__V1__UpdateModelRequest rq =
	    MODELREG__V1__UPDATE_MODEL_REQUEST__INIT;
	Modelreg__V1__UpdateModelRequest__SetMetricGoalsEntry g[2], *gp[2];
	const char *one[] = { "alice" };

	must_reg(env, "m", "1.0.0");
	for (int i = 0; i < 2; i++) {
		modelreg__v1__update_model_request__set_metric_goals_entry__init(
		    &g[i]);
		g[i].key = "latency";
		g[i].value = MODELREG__V1__METRIC_GOAL__METRIC_GOAL_LOWER;
		gp[i] = &g[i];
	}
	rq.name = "m";
	rq.set_metric_goals = gp;
	rq.n_set_metric_goals = 2;
	assert_int_equal(st_call(env, "Registry/UpdateModel", &rq.base, NULL,
			     NULL, NULL),
	    MR_INVALID_ARGUMENT);
	assert_non_null(strstr(env->last_message, "given twice"));
	assert_int_equal(set_policy(env, "m", PROD, 0, one, 1),
	    MR_INVALID_ARGUMENT);
}

/* ---- traffic split and Resolve ----------------------------------------- */

#define SPLIT_KEYS 20000

static mr_status
set_split(st_env *env, Modelreg__V1__Stage stage, uint32_t bp)
{
	Modelreg__V1__SetTrafficSplitRequest rq =
	    MODELREG__V1__SET_TRAFFIC_SPLIT_REQUEST__INIT;

	rq.name = "m";
	rq.canary_stage = stage;
	rq.basis_points = bp;
	rq.reason = "a/b test";
	return st_call(env, "Registry/SetTrafficSplit", &rq.base, NULL, NULL,
	    NULL);
}

/* Resolves `key` (raw bytes); fills what is asked for on OK. */
static mr_status
resolve_raw(st_env *env, const void *key, size_t len, bool *canary,
    uint32_t *bucket, char *version, size_t cap)
{
	Modelreg__V1__ResolveRequest rq = MODELREG__V1__RESOLVE_REQUEST__INIT;
	Modelreg__V1__ResolveResponse *r;
	mr_status rv;

	rq.name = "m";
	rq.routing_key.data = (uint8_t *)key;
	rq.routing_key.len = len;
	rv = st_call(env, "Registry/Resolve", &rq.base, NULL,
	    &modelreg__v1__resolve_response__descriptor,
	    (ProtobufCMessage **)&r);
	if (rv != MR_OK)
		return rv;
	assert_true(r->bucket < 10000);
	assert_non_null(r->version);
	/* Resolve answers without chunk lists. */
	for (size_t i = 0; r->version->manifest != NULL &&
	     i < r->version->manifest->n_files;
	     i++)
		assert_int_equal(r->version->manifest->files[i]->n_chunks, 0);
	if (canary != NULL)
		*canary = r->canary;
	if (bucket != NULL)
		*bucket = r->bucket;
	if (version != NULL)
		snprintf(version, cap, "%s", r->version->version);
	modelreg__v1__resolve_response__free_unpacked(r, NULL);
	return MR_OK;
}

static mr_status
resolve(st_env *env, const char *key, bool *canary, uint32_t *bucket,
    char *version, size_t cap)
{
	return resolve_raw(env, key, strlen(key), canary, bucket, version,
	    cap);
}

/* 1.0.0 in production, 1.1.0 in staging. */
static void
split_model(st_env *env)
{
	must_reg(env, "m", "1.0.0");
	to_production(env, "m", "1.0.0");
	must_reg(env, "m", "1.1.0");
	assert_int_equal(st_promote(env, "m", "1.1.0", STAGING), MR_OK);
}

static void
test_resolve_is_deterministic_across_calls_and_mutations(void **state)
{
	st_env *env = *state;
	char key[32], v1[16], v2[16];
	bool c1[200], c2;
	uint32_t b1[200], b2;
	size_t on_canary = 0;

	split_model(env);
	assert_int_equal(set_split(env, STAGING, 5000), MR_OK);
	for (int i = 0; i < 200; i++) {
		snprintf(key, sizeof(key), "user-%d", i);
		assert_int_equal(resolve(env, key, &c1[i], &b1[i], v1,
				     sizeof(v1)),
		    MR_OK);
		assert_string_equal(v1, c1[i] ? "1.1.0" : "1.0.0");
		assert_int_equal(c1[i], b1[i] < 5000);
		on_canary += c1[i];
		assert_int_equal(resolve(env, key, &c2, &b2, v2, sizeof(v2)),
		    MR_OK);
		assert_int_equal(c2, c1[i]);
		assert_int_equal(b2, b1[i]);
		assert_string_equal(v2, v1);
	}
	assert_true(on_canary > 0 && on_canary < 200);
	/* An unrelated mutation moves no key. */
	assert_int_equal(set_alias(env, "champion", "1.0.0"), MR_OK);
	for (int i = 0; i < 200; i++) {
		snprintf(key, sizeof(key), "user-%d", i);
		assert_int_equal(resolve(env, key, &c2, &b2, NULL, 0), MR_OK);
		assert_int_equal(c2, c1[i]);
		assert_int_equal(b2, b1[i]);
	}
}

/* Resolves SPLIT_KEYS keys; returns how many went to the canary. */
static size_t
resolve_many(st_env *env, bool *canary)
{
	char key[32];
	size_t n = 0;

	for (int i = 0; i < SPLIT_KEYS; i++) {
		snprintf(key, sizeof(key), "req-%d", i);
		assert_int_equal(
		    resolve(env, key, &canary[i], NULL, NULL, 0), MR_OK);
		n += canary[i];
	}
	return n;
}

static void
assert_share(size_t got, uint32_t bp)
{
	double observed = 100.0 * (double)got / SPLIT_KEYS;
	double expected = bp / 100.0;

	if (observed - expected > 1.5 || expected - observed > 1.5)
		fail_msg("%.2f%% of keys on the canary, expected %.2f%%",
		    observed, expected);
}

static void
test_split_ratio_holds_and_growth_keeps_canary_keys(void **state)
{
	st_env *env = *state;
	bool *at10 = calloc(SPLIT_KEYS, sizeof(bool));
	bool *at20 = calloc(SPLIT_KEYS, sizeof(bool));
	bool *at50 = calloc(SPLIT_KEYS, sizeof(bool));

	assert_non_null(at10);
	assert_non_null(at20);
	assert_non_null(at50);
	split_model(env);
	assert_int_equal(set_split(env, STAGING, 1000), MR_OK);
	assert_share(resolve_many(env, at10), 1000);
	assert_int_equal(set_split(env, STAGING, 2000), MR_OK);
	assert_share(resolve_many(env, at20), 2000);
	assert_int_equal(set_split(env, STAGING, 5000), MR_OK);
	assert_share(resolve_many(env, at50), 5000);
	/* Raising the share only moves keys from production to canary. */
	for (int i = 0; i < SPLIT_KEYS; i++) {
		if (at10[i])
			assert_true(at20[i]);
		if (at20[i])
			assert_true(at50[i]);
	}
	free(at10);
	free(at20);
	free(at50);
}

static void
test_resolve_without_canary_or_production_version(void **state)
{
	st_env *env = *state;
	char v[16], key[32];
	bool canary = true;

	/* No split at all: production for every key. */
	split_model(env);
	assert_int_equal(resolve(env, "k", &canary, NULL, v, sizeof(v)),
	    MR_OK);
	assert_false(canary);
	assert_string_equal(v, "1.0.0");
	/* Every key on the canary side, but dev holds no version. */
	assert_int_equal(set_split(env, MODELREG__V1__STAGE__STAGE_DEV, 10000),
	    MR_OK);
	for (int i = 0; i < 20; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		assert_int_equal(
		    resolve(env, key, &canary, NULL, v, sizeof(v)), MR_OK);
		assert_false(canary);
		assert_string_equal(v, "1.0.0");
	}

	/* No production version: a production-side key is NOT_FOUND. */
	must_reg(env, "n", "1.0.0");
	Modelreg__V1__ResolveRequest rq = MODELREG__V1__RESOLVE_REQUEST__INIT;
	rq.name = "n";
	rq.routing_key.data = (uint8_t *)"k";
	rq.routing_key.len = 1;
	assert_int_equal(st_call(env, "Registry/Resolve", &rq.base, NULL,
			     NULL, NULL),
	    MR_NOT_FOUND);
	assert_non_null(strstr(env->last_message, "no production version"));
	rq.name = "nosuch";
	assert_int_equal(st_call(env, "Registry/Resolve", &rq.base, NULL,
			     NULL, NULL),
	    MR_NOT_FOUND);
}

static void
test_resolve_answers_the_version_identity_without_metadata(void **state)
{
	st_env *env = *state;
	spec sp = { .name = "m", .version = "1.0.0", .accuracy = 0.9,
		.team = "fraud", .inputs = { "amount:float32" },
		.features = { "amount" } };
	Modelreg__V1__ResolveRequest rq = MODELREG__V1__RESOLVE_REQUEST__INIT;
	Modelreg__V1__ResolveResponse *r;
	Modelreg__V1__ModelVersion *full;

	assert_int_equal(reg(env, &sp, NULL), MR_OK);
	to_production(env, "m", "1.0.0");
	rq.name = "m";
	rq.routing_key.data = (uint8_t *)"node-7";
	rq.routing_key.len = 6;
	assert_int_equal(st_call(env, "Registry/Resolve", &rq.base, NULL,
			     &modelreg__v1__resolve_response__descriptor,
			     (ProtobufCMessage **)&r),
	    MR_OK);
	full = get(env, "m", "1.0.0");
	/* What a node needs to fetch the version ... */
	assert_string_equal(r->version->name, "m");
	assert_string_equal(r->version->version, "1.0.0");
	assert_int_equal(r->version->stage, PROD);
	assert_non_null(r->version->manifest);
	assert_memory_equal(r->version->manifest->digest.data,
	    full->manifest->digest.data, MR_DIGEST_LEN);
	assert_int_equal(r->version->created_at_ms, full->created_at_ms);
	/* ... and none of what GetVersion has on top. */
	assert_non_null(full->metadata);
	assert_int_equal(full->n_tags, 1);
	assert_non_null(full->signature);
	assert_null(r->version->metadata);
	assert_int_equal(r->version->n_tags, 0);
	assert_null(r->version->signature);
	modelreg__v1__resolve_response__free_unpacked(r, NULL);
	modelreg__v1__model_version__free_unpacked(full, NULL);
}

static void
test_split_and_resolve_bad_input_is_refused(void **state)
{
	st_env *env = *state;
	char big[MR_ROUTING_KEY_MAX + 1];

	split_model(env);
	assert_int_equal(set_split(env, PROD, 1000), MR_INVALID_ARGUMENT);
	assert_non_null(strstr(env->last_message, "dev or staging"));
	assert_int_equal(set_split(env, MODELREG__V1__STAGE__STAGE_ARCHIVED,
			     1000),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(set_split(env, MODELREG__V1__STAGE__STAGE_UNSPECIFIED,
			     1000),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(set_split(env, STAGING, 10001), MR_INVALID_ARGUMENT);
	/* Removing a split the model does not have. */
	assert_int_equal(set_split(env, STAGING, 0), MR_NOT_FOUND);

	memset(big, 'k', sizeof(big));
	assert_int_equal(resolve_raw(env, big, 0, NULL, NULL, NULL, 0),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(resolve_raw(env, big, sizeof(big), NULL, NULL, NULL,
			     0),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(resolve_raw(env, big, MR_ROUTING_KEY_MAX, NULL, NULL,
			     NULL, 0),
	    MR_OK);
	/* A key is bytes: a zero byte is part of it. */
	assert_int_equal(resolve_raw(env, "a\0b", 3, NULL, NULL, NULL, 0),
	    MR_OK);
}

static void
test_split_is_on_the_model_with_event_and_audit(void **state)
{
	st_env *env = *state;
	Modelreg__V1__ListAuditRequest aq =
	    MODELREG__V1__LIST_AUDIT_REQUEST__INIT;
	Modelreg__V1__ListAuditResponse *a;
	Modelreg__V1__ListEventsResponse *ev;
	Modelreg__V1__Model *m;
	char *salt;
	size_t n_split = 0;

	env->user = "erin";
	split_model(env);
	assert_int_equal(set_split(env, STAGING, 1000), MR_OK);
	m = st_model(env, "m");
	assert_non_null(m->traffic_split);
	assert_int_equal(m->traffic_split->canary_stage, STAGING);
	assert_int_equal(m->traffic_split->canary_basis_points, 1000);
	assert_true(strlen(m->traffic_split->salt) > 0);
	salt = strdup(m->traffic_split->salt);
	modelreg__v1__model__free_unpacked(m, NULL);
	/* A change keeps the salt; removal drops the split. */
	assert_int_equal(set_split(env, MODELREG__V1__STAGE__STAGE_DEV, 2550),
	    MR_OK);
	m = st_model(env, "m");
	assert_string_equal(m->traffic_split->salt, salt);
	assert_int_equal(m->traffic_split->canary_basis_points, 2550);
	modelreg__v1__model__free_unpacked(m, NULL);
	free(salt);
	assert_int_equal(set_split(env, STAGING, 0), MR_OK);
	m = st_model(env, "m");
	assert_null(m->traffic_split);
	modelreg__v1__model__free_unpacked(m, NULL);

	ev = events(env);
	for (size_t i = 0; i < ev->n_events; i++) {
		if (ev->events[i]->kind !=
		    MODELREG__V1__EVENT_KIND__EVENT_SPLIT_CHANGED)
			continue;
		assert_string_equal(ev->events[i]->actor, "erin");
		if (n_split == 0)
			assert_string_equal(ev->events[i]->reason,
			    "staging 10% (production 90%)");
		if (n_split == 1)
			assert_string_equal(ev->events[i]->reason,
			    "dev 25.5% (production 74.5%)");
		n_split++;
	}
	assert_int_equal(n_split, 3);
	modelreg__v1__list_events_response__free_unpacked(ev, NULL);

	aq.model = "m";
	assert_int_equal(st_call(env, "Audit/ListAudit", &aq.base, NULL,
			     &modelreg__v1__list_audit_response__descriptor,
			     (ProtobufCMessage **)&a),
	    MR_OK);
	assert_true(a->n_records >= 3);
	Modelreg__V1__AuditRecord *last = a->records[a->n_records - 1];
	Modelreg__V1__AuditRecord *first = a->records[a->n_records - 3];
	assert_string_equal(first->action, "SetTrafficSplit");
	assert_string_equal(first->actor, "erin");
	assert_string_equal(first->reason, "a/b test");
	assert_non_null(strstr(first->after, "canary"));
	assert_null(strstr(first->before, "canary"));
	assert_string_equal(last->action, "SetTrafficSplit");
	assert_non_null(strstr(last->before, "2550"));
	modelreg__v1__list_audit_response__free_unpacked(a, NULL);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, st_fixture_setup, \
    st_fixture_teardown)
	const struct CMUnitTest tests[] = {
		T(test_bump_chooses_versions_and_says_why),
		T(test_breaking_signature_is_refused_unless_major),
		T(test_promotion_needs_the_policy_approvals),
		T(test_policy_bad_input_is_refused),
		T(test_deprecated_version_cannot_be_promoted_until_undeprecated),
		T(test_aliases_stand_for_versions),
		T(test_point_in_time_follows_promotions_and_rollbacks),
		T(test_update_version_tags_and_description_are_events),
		T(test_search_filters_with_indexes_and_pages_stably),
		T(test_search_bad_filter_names_position),
		T(test_search_sees_tag_and_stage_changes),
		T(test_every_mutation_leaves_one_audit_record),
		T(test_registering_into_a_gated_stage_is_refused),
		T(test_signature_change_withdraws_reviews_and_stops_at_production),
		T(test_rollback_to_a_deprecated_version_is_refused),
		T(test_search_on_an_overlong_tag_matches_nothing),
		T(test_lineage_audit_records_name_the_node_not_a_model),
		T(test_update_bad_goals_and_policy_are_refused),
		T(test_resolve_is_deterministic_across_calls_and_mutations),
		T(test_split_ratio_holds_and_growth_keeps_canary_keys),
		T(test_resolve_without_canary_or_production_version),
		T(test_resolve_answers_the_version_identity_without_metadata),
		T(test_split_and_resolve_bad_input_is_refused),
		T(test_split_is_on_the_model_with_event_and_audit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
