/*
 * test_lifecycle.c - the lifecycle and audit calls of the public API
 * (client/lifecycle.c, and the bump and reason of mr_register in push.c)
 * against the real registry (realserver.c): version bumps and the rule
 * that chose them, signatures that would break production, looking up
 * what was in a stage at a moment, approval policies and reviews,
 * deprecation, aliases standing in for versions in reads and pulls,
 * comparisons, searches, edits of models and versions with the events
 * they write, and the audit log. A raw responder that counts requests
 * shows that bad arguments are refused before any round trip, and a tap
 * that loses a reply shows that a lifecycle mutation is applied once.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "realserver.h"
#include "testutil.h"
#include "wire.h"

typedef rs_fixture fixture;

static int
setup(void **state)
{
	return rs_fixture_setup(state, "lifecycle");
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};

	nanosleep(&ts, NULL);
}

/* What a test registers, beyond the model's name. */
typedef struct reg {
	const char *version;
	mr_bump bump;
	const mr_metadata *metadata;
	const mr_signature *signature;
	size_t size; /* artifact bytes; 0: 5000 */
	const mr_kv *tags;
	size_t n_tags;
} reg;

/* Registers with an artifact of its own (seeded by a counter). */
static mr_status
try_register(
    fixture *f, mr_client *c, const char *name, const reg *r, mr_version **out)
{
	static uint64_t seed = 1;
	char *path = rs_path(f->s.dir, "w.bin");
	mr_register_params p = {
	    .name = name,
	    .version = r->version,
	    .bump = r->bump,
	    .metadata = r->metadata,
	    .signature = r->signature,
	    .tags = r->tags,
	    .n_tags = r->n_tags,
	    .path = path,
	    .model_owner = "risk-team",
	    .reason = "trained nightly",
	};
	mr_status rv;

	rs_write_random(path, r->size != 0 ? r->size : 5000, seed++, 0644);
	rv = mr_register(c, &p, out);
	free(path);
	return rv;
}

/* Registers or fails the test; the version is returned if `out`. */
static void
must_register(
    fixture *f, mr_client *c, const char *name, const reg *r, mr_version **out)
{
	if (try_register(f, c, name, r, out) != MR_OK)
		fail_msg("register %s %s: %s", name,
		    r->version != NULL ? r->version : "(bump)",
		    mr_client_errmsg(c));
}

static void
register_plain(fixture *f, const char *name, const char *version)
{
	must_register(f, f->c, name, &(reg){.version = version}, NULL);
}

static void
promote(mr_client *c, const char *name, const char *version, mr_stage to)
{
	if (mr_promote(c, name, version, to, MR_STAGE_NONE, "ok", NULL) !=
	    MR_OK)
		fail_msg("promote %s %s to %s: %s", name, version,
		    mr_stage_name(to), mr_client_errmsg(c));
}

static void
to_production(mr_client *c, const char *name, const char *version)
{
	promote(c, name, version, MR_STAGE_STAGING);
	promote(c, name, version, MR_STAGE_PRODUCTION);
}

/* Events of `kind` for `name`; the last one copied into *last. */
static int
count_events(mr_client *c, const char *name, mr_event_kind kind, mr_event *last,
    char reason[128])
{
	mr_event_list *l;
	int n = 0;

	assert_int_equal(mr_list_events(c, name, 0, 0, &l), MR_OK);
	for (size_t i = 0; i < l->count; i++) {
		if (l->items[i].kind != kind)
			continue;
		n++;
		if (last != NULL) {
			last->revision = l->items[i].revision;
			last->from_stage = l->items[i].from_stage;
			last->to_stage = l->items[i].to_stage;
		}
		if (reason != NULL)
			snprintf(reason, 128, "%s|%s|%s|%s",
			    l->items[i].version, l->items[i].alias,
			    l->items[i].actor, l->items[i].reason);
	}
	mr_event_list_free(l);
	return n;
}

static const char *
version_of(mr_client *c, const char *name, const char *selector, char *buf)
{
	mr_version *v;

	if (mr_get_version(c, name, selector, MR_STAGE_NONE, &v) != MR_OK)
		return NULL;
	snprintf(buf, MR_VERSION_MAX + 1, "%s", v->version);
	mr_version_free(v);
	return buf;
}

/* ---- no registry needed ------------------------------------------------- */

static void
test_lifecycle_bump_parse_knows_the_four_names(void **state)
{
	mr_bump b = MR_BUMP_NONE;

	(void)state;
	assert_int_equal(mr_bump_parse("major", &b), 0);
	assert_int_equal(b, MR_BUMP_MAJOR);
	assert_int_equal(mr_bump_parse("Minor", &b), 0);
	assert_int_equal(b, MR_BUMP_MINOR);
	assert_int_equal(mr_bump_parse("patch", &b), 0);
	assert_int_equal(b, MR_BUMP_PATCH);
	assert_int_equal(mr_bump_parse("AUTO", &b), 0);
	assert_int_equal(b, MR_BUMP_AUTO);
	b = MR_BUMP_PATCH;
	assert_int_equal(mr_bump_parse("none", &b), -1);
	assert_int_equal(mr_bump_parse("", &b), -1);
	assert_int_equal(mr_bump_parse("majorly", &b), -1);
	assert_int_equal(mr_bump_parse(NULL, &b), -1);
	assert_int_equal(b, MR_BUMP_PATCH); /* untouched on failure */
}

static void
test_lifecycle_bad_arguments_are_refused_without_a_round_trip(void **state)
{
	const char *two[] = {"bob", "bob"};
	const char *one[] = {"bob"};
	const char *bad_key[] = {"bad key"};
	mr_goal bad_goal[] = {{"auc", (mr_metric_goal)7}};
	mr_goal twice[] = {{"auc", MR_GOAL_HIGHER}, {"auc", MR_GOAL_LOWER}};
	char long_alias[MR_ALIAS_MAX + 2], long_filter[MR_FILTER_MAX + 2];
	mr_model_update mu = {0};
	mr_version_update vu = {0};
	mr_comparison *cmp;
	mr_audit_check *chk;
	mr_audit_list *al;
	mr_version_list *vl;
	atomic_int calls = 0;
	wr_responder *rsp;
	char *prev = NULL;
	mr_version *v;
	mr_client *c;
	char url[64];

	(void)state;
	memset(long_alias, 'a', sizeof(long_alias) - 1);
	long_alias[sizeof(long_alias) - 1] = '\0';
	memset(long_filter, ' ', sizeof(long_filter) - 1);
	long_filter[sizeof(long_filter) - 1] = '\0';
	wr_url(url, "count");
	rsp = wr_responder_start(url, wr_count_calls, &calls);
	c = rs_client(url, "alice", 30000, 0);

	/* Point in time: a stage is required, and a moment. */
	assert_int_equal(
	    mr_get_version_at(c, "fraud", MR_STAGE_NONE, now_ms(), &v),
	    MR_INVALID_ARGUMENT);
	assert_non_null(strstr(mr_client_errmsg(c), "stage"));
	assert_int_equal(
	    mr_get_version_at(c, "fraud", MR_STAGE_PRODUCTION, 0, &v),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(
	    mr_get_version_at(c, "fraud", MR_STAGE_PRODUCTION, now_ms(), NULL),
	    MR_INVALID_ARGUMENT);

	/* Aliases: [a-z][a-z0-9_-]*, MR_ALIAS_MAX, not reserved. */
	assert_int_equal(
	    mr_set_alias(c, "fraud", "Champion", "1.0.0", NULL, &prev),
	    MR_INVALID_ARGUMENT);
	assert_non_null(strstr(mr_client_errmsg(c), "lower-case"));
	assert_int_equal(
	    mr_set_alias(c, "fraud", "9lives", "1.0.0", NULL, NULL),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(
	    mr_set_alias(c, "fraud", "cham.pion", "1.0.0", NULL, NULL),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(
	    mr_set_alias(c, "fraud", long_alias, "1.0.0", NULL, NULL),
	    MR_INVALID_ARGUMENT);
	assert_non_null(strstr(mr_client_errmsg(c), "limit is 64"));
	assert_int_equal(
	    mr_set_alias(c, "fraud", "latest", "1.0.0", NULL, NULL),
	    MR_INVALID_ARGUMENT);
	assert_non_null(strstr(mr_client_errmsg(c), "reserved"));
	assert_int_equal(
	    mr_set_alias(c, "fraud", "production", "1.0.0", NULL, NULL),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(mr_set_alias(c, "fraud", "champion", NULL, NULL, NULL),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(
	    mr_set_alias(c, "fraud", "champion", "1.0", NULL, NULL),
	    MR_INVALID_ARGUMENT);
	assert_non_null(strstr(mr_client_errmsg(c), "semantic version"));
	assert_int_equal(
	    mr_delete_alias(c, "fraud", "", NULL, NULL), MR_INVALID_ARGUMENT);
	assert_int_equal(
	    mr_get_version(c, "fraud", "Champion", MR_STAGE_NONE, &v),
	    MR_INVALID_ARGUMENT);
	assert_null(prev);

	/* Searches: filter and order_by up to MR_FILTER_MAX. */
	assert_int_equal(
	    mr_search(c, long_filter, NULL, NULL, &vl), MR_INVALID_ARGUMENT);
	assert_non_null(strstr(mr_client_errmsg(c), "filter"));
	assert_int_equal(
	    mr_search(c, NULL, long_filter, NULL, &vl), MR_INVALID_ARGUMENT);
	assert_non_null(strstr(mr_client_errmsg(c), "order_by"));
	assert_int_equal(mr_search(c, "", "", NULL, NULL), MR_INVALID_ARGUMENT);

	/* Deprecation needs a reason; end of life is not before 1970. */
	assert_int_equal(mr_deprecate(c, "fraud", "1.0.0", "", 0, NULL),
	    MR_INVALID_ARGUMENT);
	assert_non_null(strstr(mr_client_errmsg(c), "needs a reason"));
	assert_int_equal(mr_deprecate(c, "fraud", "1.0.0", NULL, 0, NULL),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(mr_deprecate(c, "fraud", "1.0.0", "old", -5, NULL),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(
	    mr_undeprecate(c, "fraud", NULL, NULL, NULL), MR_INVALID_ARGUMENT);

	/* Approvals: staging or production, a real decision, a policy
	 * that can be met. */
	assert_int_equal(mr_review_version(c, "fraud", "1.0.0", MR_STAGE_DEV,
	                     MR_APPROVE, NULL, NULL, NULL, NULL),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(
	    mr_review_version(c, "fraud", "1.0.0", MR_STAGE_PRODUCTION,
	        (mr_decision)0, NULL, NULL, NULL, NULL),
	    MR_INVALID_ARGUMENT);
	assert_non_null(strstr(mr_client_errmsg(c), "decision"));
	assert_int_equal(mr_set_approval_policy(c, "fraud", MR_STAGE_ARCHIVED,
	                     NULL, 0, 1, NULL, NULL),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(mr_set_approval_policy(c, "fraud", MR_STAGE_PRODUCTION,
	                     one, 1, 2, NULL, NULL),
	    MR_INVALID_ARGUMENT);
	assert_non_null(strstr(mr_client_errmsg(c), "can never be given"));
	assert_int_equal(mr_set_approval_policy(c, "fraud", MR_STAGE_PRODUCTION,
	                     two, 2, 1, NULL, NULL),
	    MR_INVALID_ARGUMENT);
	assert_non_null(strstr(mr_client_errmsg(c), "twice"));
	assert_int_equal(mr_set_approval_policy(c, "fraud", MR_STAGE_PRODUCTION,
	                     NULL, 0, MR_APPROVERS_MAX + 1, NULL, NULL),
	    MR_INVALID_ARGUMENT);

	/* Edits. */
	assert_int_equal(
	    mr_update_model(c, "fraud", NULL, NULL), MR_INVALID_ARGUMENT);
	mu.delete_tags = bad_key;
	mu.n_delete_tags = 1;
	assert_int_equal(
	    mr_update_model(c, "fraud", &mu, NULL), MR_INVALID_ARGUMENT);
	assert_non_null(strstr(mr_client_errmsg(c), "tag key"));
	mu = (mr_model_update){.set_goals = bad_goal, .n_set_goals = 1};
	assert_int_equal(
	    mr_update_model(c, "fraud", &mu, NULL), MR_INVALID_ARGUMENT);
	mu = (mr_model_update){.set_goals = twice, .n_set_goals = 2};
	assert_int_equal(
	    mr_update_model(c, "fraud", &mu, NULL), MR_INVALID_ARGUMENT);
	assert_non_null(strstr(mr_client_errmsg(c), "two goals"));
	mu = (mr_model_update){.owner = "bad\nowner"};
	assert_int_equal(
	    mr_update_model(c, "fraud", &mu, NULL), MR_INVALID_ARGUMENT);
	assert_int_equal(mr_update_version(c, "fraud", "1.0.0", NULL, NULL),
	    MR_INVALID_ARGUMENT);
	vu.signature = &(mr_signature){
	    .inputs = &(mr_field){"", "float32"}, .n_inputs = 1};
	assert_int_equal(mr_update_version(c, "fraud", "1.0.0", &vu, NULL),
	    MR_INVALID_ARGUMENT);
	assert_non_null(strstr(mr_client_errmsg(c), "signature input name"));

	/* Comparisons need both sides. */
	assert_int_equal(
	    mr_compare(c, "fraud", "1.0.0", NULL, &cmp), MR_INVALID_ARGUMENT);
	assert_non_null(strstr(mr_client_errmsg(c), "candidate"));
	assert_int_equal(mr_compare(c, "fraud", "1.0.0", "2.0.0", NULL),
	    MR_INVALID_ARGUMENT);

	/* Audit. */
	assert_int_equal(
	    mr_list_audit(c, "bad name", 0, 0, 0, 0, &al), MR_INVALID_ARGUMENT);
	assert_int_equal(
	    mr_list_audit(c, NULL, -1, 0, 0, 0, &al), MR_INVALID_ARGUMENT);
	assert_int_equal(
	    mr_list_audit(c, NULL, 20, 10, 0, 0, &al), MR_INVALID_ARGUMENT);
	assert_non_null(strstr(mr_client_errmsg(c), "ends before"));
	assert_int_equal(mr_verify_audit(c, NULL), MR_INVALID_ARGUMENT);
	(void)chk;

	/* Registration: a bump chooses the version, so none is given. */
	{
		mr_register_params p = {.name = "fraud",
		    .version = "1.0.0",
		    .bump = MR_BUMP_MINOR,
		    .path = "/nonexistent"};
		assert_int_equal(mr_register(c, &p, NULL), MR_INVALID_ARGUMENT);
		assert_non_null(strstr(mr_client_errmsg(c), "bump"));
		p.bump = (mr_bump)9;
		p.version = NULL;
		assert_int_equal(mr_register(c, &p, NULL), MR_INVALID_ARGUMENT);
		p.bump = MR_BUMP_NONE;
		assert_int_equal(mr_register(c, &p, NULL), MR_INVALID_ARGUMENT);
		assert_non_null(
		    strstr(mr_client_errmsg(c), "version is empty"));
	}
	assert_int_equal(atomic_load(&calls), 0);

	/* An alias passes the client's checks and goes to the server. */
	assert_int_equal(
	    mr_get_version(c, "fraud", "champion", MR_STAGE_NONE, &v),
	    MR_INTERNAL);
	assert_int_equal(atomic_load(&calls), 1);
	mr_client_close(c);
	wr_responder_stop(rsp);
}

/* ---- bumps and signatures ------------------------------------------------ */

static void
test_lifecycle_register_with_bump_numbers_from_the_highest_version(void **state)
{
	fixture *f = *state;
	static const struct {
		mr_bump bump;
		const char *version, *rule;
	} steps[] = {
	    {MR_BUMP_PATCH, "1.2.1", "bump patch"},
	    {MR_BUMP_MINOR, "1.3.0", "bump minor"},
	    {MR_BUMP_MAJOR, "2.0.0", "bump major"},
	    {MR_BUMP_PATCH, "2.0.1", "bump patch"},
	};
	mr_version *v;
	mr_model *m;

	/* A model's first version by bump is 1.0.0. */
	must_register(f, f->c, "new-model", &(reg){.bump = MR_BUMP_MINOR}, &v);
	assert_string_equal(v->version, "1.0.0");
	mr_version_free(v);

	must_register(f, f->c, "fraud", &(reg){.version = "v1.2.0"}, &v);
	assert_string_equal(v->version, "1.2.0");
	assert_string_equal(v->version_rule, "explicit");
	mr_version_free(v);
	/* Lower than the highest: bumps still start from 1.2.0. */
	register_plain(f, "fraud", "0.9.0");
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		must_register(f, f->c, "fraud",
		    &(reg){.version = i % 2 ? "" : NULL, .bump = steps[i].bump},
		    &v);
		assert_string_equal(v->version, steps[i].version);
		/* "bump minor", perhaps followed by what it started from. */
		assert_int_equal(strncmp(v->version_rule, steps[i].rule,
		                     strlen(steps[i].rule)),
		    0);
		mr_version_free(v);
	}
	/* The rule is kept with the version. */
	assert_int_equal(
	    mr_get_version(f->c, "fraud", "1.3.0", MR_STAGE_NONE, &v), MR_OK);
	assert_non_null(strstr(v->version_rule, "bump minor"));
	mr_version_free(v);
	assert_int_equal(mr_get_model(f->c, "fraud", &m), MR_OK);
	assert_string_equal(m->latest_version, "2.0.1");
	assert_int_equal(m->version_count, 6);
	mr_model_free(m);
}

static void
test_lifecycle_auto_bump_follows_signature_features_and_primary_metric(
    void **state)
{
	fixture *f = *state;
	mr_field in2[] = {{"amount", "float32"}, {"merchant", "string"}};
	mr_field in1[] = {{"amount", "float32"}};
	mr_field out[] = {{"score", "float32"}};
	mr_signature sig2 = {in2, 2, out, 1}, sig1 = {in1, 1, out, 1};
	char *f2[] = {"amount", "merchant"};
	char *f3[] = {"amount", "merchant", "hour"};
	mr_metric auc90[] = {{"auc", 0.90}}, auc95[] = {{"auc", 0.95}},
	          auc80[] = {{"auc", 0.80}};
	mr_metadata md = {
	    .metrics = auc90, .n_metrics = 1, .features = f2, .n_features = 2};
	mr_model_update mu = {.primary_metric = "auc"};
	mr_version *v;

	must_register(f, f->c, "fraud",
	    &(reg){.version = "1.0.0", .metadata = &md, .signature = &sig2},
	    NULL);
	assert_int_equal(mr_update_model(f->c, "fraud", &mu, NULL), MR_OK);

	/* Nothing changed, or the primary metric got worse: patch. */
	md.metrics = auc80;
	must_register(f, f->c, "fraud",
	    &(reg){.bump = MR_BUMP_AUTO, .metadata = &md, .signature = &sig2},
	    &v);
	assert_string_equal(v->version, "1.0.1");
	assert_non_null(strstr(v->version_rule, "auto patch"));
	mr_version_free(v);

	/* The primary metric improved: minor. */
	md.metrics = auc95;
	must_register(f, f->c, "fraud",
	    &(reg){.bump = MR_BUMP_AUTO, .metadata = &md, .signature = &sig2},
	    &v);
	assert_string_equal(v->version, "1.1.0");
	assert_non_null(strstr(v->version_rule, "auto minor"));
	mr_version_free(v);

	/* A feature was added: minor. */
	md.features = f3;
	md.n_features = 3;
	must_register(f, f->c, "fraud",
	    &(reg){.bump = MR_BUMP_AUTO, .metadata = &md, .signature = &sig2},
	    &v);
	assert_string_equal(v->version, "1.2.0");
	assert_non_null(strstr(v->version_rule, "auto minor"));
	assert_non_null(strstr(v->version_rule, "hour"));
	mr_version_free(v);

	/* An input was removed: major, naming it. */
	must_register(f, f->c, "fraud",
	    &(reg){.bump = MR_BUMP_AUTO, .metadata = &md, .signature = &sig1},
	    &v);
	assert_string_equal(v->version, "2.0.0");
	assert_non_null(strstr(v->version_rule, "auto major"));
	assert_non_null(strstr(v->version_rule, "merchant"));
	mr_version_free(v);

	/* A feature was dropped: major. */
	md.features = f2;
	md.n_features = 2;
	must_register(f, f->c, "fraud",
	    &(reg){.bump = MR_BUMP_AUTO, .metadata = &md, .signature = &sig1},
	    &v);
	assert_string_equal(v->version, "3.0.0");
	assert_non_null(strstr(v->version_rule, "auto major"));
	assert_non_null(strstr(v->version_rule, "hour"));
	mr_version_free(v);
}

static void
test_lifecycle_registration_breaking_production_signature_is_refused_unless_major(
    void **state)
{
	fixture *f = *state;
	mr_field prod_in[] = {{"amount", "float32"}, {"merchant", "string"}};
	mr_field no_merchant[] = {{"amount", "float32"}};
	mr_field retyped[] = {{"amount", "float64"}, {"merchant", "string"}};
	mr_field wider[] = {
	    {"amount", "float32"}, {"merchant", "string"}, {"hour", "int32"}};
	mr_field out[] = {{"score", "float32"}};
	mr_signature prod = {prod_in, 2, out, 1};
	mr_signature dropped = {no_merchant, 1, out, 1};
	mr_signature changed = {retyped, 2, out, 1};
	mr_signature added = {wider, 3, out, 1};
	mr_version *v = NULL;
	mr_status rv;

	must_register(f, f->c, "fraud",
	    &(reg){.version = "1.0.0", .signature = &prod}, NULL);
	to_production(f->c, "fraud", "1.0.0");

	rv = try_register(f, f->c, "fraud",
	    &(reg){.version = "1.1.0", .signature = &dropped}, &v);
	assert_int_equal(rv, MR_FAILED_PRECONDITION);
	assert_null(v);
	assert_non_null(strstr(mr_client_errmsg(f->c), "merchant"));
	rv = try_register(f, f->c, "fraud",
	    &(reg){.bump = MR_BUMP_MINOR, .signature = &changed}, NULL);
	assert_int_equal(rv, MR_FAILED_PRECONDITION);
	assert_non_null(strstr(mr_client_errmsg(f->c), "amount"));
	assert_int_equal(
	    mr_get_version(f->c, "fraud", "1.1.0", MR_STAGE_NONE, &v),
	    MR_NOT_FOUND);

	/* Adding an input breaks nothing. */
	must_register(f, f->c, "fraud",
	    &(reg){.version = "1.1.0", .signature = &added}, NULL);
	/* A higher major number may break it. */
	must_register(f, f->c, "fraud",
	    &(reg){.version = "2.0.0", .signature = &dropped}, &v);
	assert_string_equal(v->version, "2.0.0");
	mr_version_free(v);
	must_register(f, f->c, "fraud",
	    &(reg){.bump = MR_BUMP_MAJOR, .signature = &changed}, &v);
	assert_string_equal(v->version, "3.0.0");
	mr_version_free(v);
	/* And so may an automatic bump, which sees the break. */
	must_register(f, f->c, "fraud",
	    &(reg){.bump = MR_BUMP_AUTO, .signature = &dropped}, &v);
	assert_string_equal(v->version, "4.0.0");
	assert_non_null(strstr(v->version_rule, "auto major"));
	mr_version_free(v);
}

/* ---- point in time ------------------------------------------------------ */

static void
test_lifecycle_get_version_at_replays_production_across_a_rollback(void **state)
{
	fixture *f = *state;
	int64_t t0, t1, t2, t3;
	mr_version *v = NULL;

	register_plain(f, "fraud", "1.0.0");
	register_plain(f, "fraud", "2.0.0");
	t0 = now_ms();
	sleep_ms(20);
	to_production(f->c, "fraud", "1.0.0");
	sleep_ms(20);
	t1 = now_ms();
	sleep_ms(20);
	to_production(f->c, "fraud", "2.0.0");
	sleep_ms(20);
	t2 = now_ms();
	sleep_ms(20);
	assert_int_equal(
	    mr_rollback(f->c, "fraud", NULL, "p99 doubled", NULL), MR_OK);
	sleep_ms(20);
	t3 = now_ms();

	assert_int_equal(
	    mr_get_version_at(f->c, "fraud", MR_STAGE_PRODUCTION, t0, &v),
	    MR_NOT_FOUND);
	assert_null(v);
	assert_int_equal(
	    mr_get_version_at(f->c, "fraud", MR_STAGE_PRODUCTION, t1, &v),
	    MR_OK);
	assert_string_equal(v->version, "1.0.0");
	mr_version_free(v);
	assert_int_equal(
	    mr_get_version_at(f->c, "fraud", MR_STAGE_PRODUCTION, t2, &v),
	    MR_OK);
	assert_string_equal(v->version, "2.0.0");
	mr_version_free(v);
	assert_int_equal(
	    mr_get_version_at(f->c, "fraud", MR_STAGE_PRODUCTION, t3, &v),
	    MR_OK);
	assert_string_equal(v->version, "1.0.0");
	assert_int_equal(v->stage, MR_STAGE_PRODUCTION);
	mr_version_free(v);
	/* At t1, 2.0.0 was in staging; at t2 it no longer was. */
	assert_int_equal(
	    mr_get_version_at(f->c, "fraud", MR_STAGE_STAGING, t2, &v),
	    MR_NOT_FOUND);
	assert_int_equal(
	    mr_get_version_at(f->c, "fraud", MR_STAGE_DEV, t1, &v), MR_OK);
	assert_string_equal(v->version, "2.0.0");
	mr_version_free(v);
	assert_int_equal(
	    mr_get_version_at(f->c, "nope", MR_STAGE_PRODUCTION, t3, &v),
	    MR_NOT_FOUND);
}

/* ---- approvals ---------------------------------------------------------- */

static void
test_lifecycle_promotion_needs_the_policys_approvals_from_others(void **state)
{
	fixture *f = *state;
	mr_client *bob = rs_client(f->s.url, "bob", 30000, 0);
	mr_client *carol = rs_client(f->s.url, "carol", 30000, 0);
	uint32_t approvals = 99, required = 99;
	const char *msg;
	mr_version *v;
	mr_model *m;

	register_plain(f, "fraud", "1.0.0");
	assert_int_equal(mr_set_approval_policy(f->c, "fraud",
	                     MR_STAGE_PRODUCTION, NULL, 0, 2, "two eyes", &m),
	    MR_OK);
	assert_int_equal(m->n_policies, 1);
	assert_int_equal(m->policies[0].stage, MR_STAGE_PRODUCTION);
	assert_int_equal(m->policies[0].required, 2);
	assert_int_equal(m->policies[0].n_approvers, 0);
	mr_model_free(m);
	assert_int_equal(
	    count_events(f->c, "fraud", MR_EVENT_POLICY_CHANGED, NULL, NULL),
	    1);

	/* Staging has no policy. */
	promote(f->c, "fraud", "1.0.0", MR_STAGE_STAGING);
	assert_int_equal(mr_promote(f->c, "fraud", "1.0.0", MR_STAGE_PRODUCTION,
	                     MR_STAGE_NONE, NULL, NULL),
	    MR_FAILED_PRECONDITION);
	msg = mr_client_errmsg(f->c);
	assert_non_null(strstr(msg, "approv"));
	assert_non_null(strstr(msg, "2"));

	/* Separation of duties: the registrant cannot review. */
	assert_int_equal(
	    mr_review_version(f->c, "fraud", "1.0.0", MR_STAGE_PRODUCTION,
	        MR_APPROVE, "mine", &approvals, &required, NULL),
	    MR_PERMISSION_DENIED);
	assert_int_equal(approvals, 99); /* untouched on failure */

	assert_int_equal(
	    mr_review_version(bob, "fraud", "1.0.0", MR_STAGE_PRODUCTION,
	        MR_APPROVE, "metrics ok", &approvals, &required, &v),
	    MR_OK);
	assert_int_equal(approvals, 1);
	assert_int_equal(required, 2);
	assert_int_equal(v->n_reviews, 1);
	assert_string_equal(v->reviews[0].reviewer, "bob");
	assert_int_equal(v->reviews[0].decision, MR_APPROVE);
	assert_string_equal(v->reviews[0].comment, "metrics ok");
	mr_version_free(v);
	assert_int_equal(mr_promote(f->c, "fraud", "1.0.0", MR_STAGE_PRODUCTION,
	                     MR_STAGE_NONE, NULL, NULL),
	    MR_FAILED_PRECONDITION);
	assert_non_null(strstr(mr_client_errmsg(f->c), "1"));

	/* `approvals`, `required` and `out` may be NULL. */
	assert_int_equal(
	    mr_review_version(carol, "fraud", "1.0.0", MR_STAGE_PRODUCTION,
	        MR_APPROVE, NULL, NULL, NULL, NULL),
	    MR_OK);
	assert_int_equal(
	    mr_get_version(f->c, "fraud", "1.0.0", MR_STAGE_NONE, &v), MR_OK);
	assert_int_equal(v->n_reviews, 2);
	assert_string_equal(v->reviews[0].reviewer, "bob");
	assert_string_equal(v->reviews[1].reviewer, "carol");
	assert_string_equal(v->reviews[1].comment, "");
	assert_true(v->reviews[1].time_ms > 0);
	mr_version_free(v);
	assert_int_equal(
	    count_events(f->c, "fraud", MR_EVENT_REVIEWED, NULL, NULL), 2);
	promote(f->c, "fraud", "1.0.0", MR_STAGE_PRODUCTION);

	/* Required 0 removes the policy. */
	assert_int_equal(mr_set_approval_policy(f->c, "fraud",
	                     MR_STAGE_PRODUCTION, NULL, 0, 0, NULL, &m),
	    MR_OK);
	assert_int_equal(m->n_policies, 0);
	mr_model_free(m);
	mr_client_close(bob);
	mr_client_close(carol);
}

static void
test_lifecycle_policy_with_approvers_admits_only_them(void **state)
{
	fixture *f = *state;
	mr_client *bob = rs_client(f->s.url, "bob", 30000, 0);
	mr_client *carol = rs_client(f->s.url, "carol", 30000, 0);
	const char *approvers[] = {"dave", "carol"};
	uint32_t approvals = 0, required = 0;
	mr_model *m;

	register_plain(f, "fraud", "1.0.0");
	assert_int_equal(mr_set_approval_policy(f->c, "fraud", MR_STAGE_STAGING,
	                     approvers, 2, 1, NULL, &m),
	    MR_OK);
	assert_int_equal(m->policies[0].stage, MR_STAGE_STAGING);
	assert_int_equal(m->policies[0].n_approvers, 2);
	assert_string_equal(m->policies[0].approvers[0], "carol"); /* sorted */
	assert_string_equal(m->policies[0].approvers[1], "dave");
	mr_model_free(m);
	assert_int_equal(
	    mr_review_version(bob, "fraud", "1.0.0", MR_STAGE_STAGING,
	        MR_APPROVE, NULL, NULL, NULL, NULL),
	    MR_PERMISSION_DENIED);
	assert_string_not_equal(mr_client_errmsg(bob), "");
	assert_int_equal(mr_promote(f->c, "fraud", "1.0.0", MR_STAGE_STAGING,
	                     MR_STAGE_NONE, NULL, NULL),
	    MR_FAILED_PRECONDITION);
	assert_int_equal(
	    mr_review_version(carol, "fraud", "1.0.0", MR_STAGE_STAGING,
	        MR_APPROVE, "ok", &approvals, &required, NULL),
	    MR_OK);
	assert_int_equal(approvals, 1);
	assert_int_equal(required, 1);
	promote(f->c, "fraud", "1.0.0", MR_STAGE_STAGING);
	/* A review of an unknown version is NOT_FOUND. */
	assert_int_equal(
	    mr_review_version(carol, "fraud", "9.0.0", MR_STAGE_STAGING,
	        MR_APPROVE, NULL, NULL, NULL, NULL),
	    MR_NOT_FOUND);
	mr_client_close(bob);
	mr_client_close(carol);
}

static void
test_lifecycle_rejection_blocks_promotion_until_the_reviewer_approves(
    void **state)
{
	fixture *f = *state;
	mr_client *bob = rs_client(f->s.url, "bob", 30000, 0);
	mr_client *carol = rs_client(f->s.url, "carol", 30000, 0);
	uint32_t approvals = 0, required = 0;
	mr_version *v;

	register_plain(f, "fraud", "1.0.0");
	promote(f->c, "fraud", "1.0.0", MR_STAGE_STAGING);
	assert_int_equal(mr_set_approval_policy(f->c, "fraud",
	                     MR_STAGE_PRODUCTION, NULL, 0, 1, NULL, NULL),
	    MR_OK);
	assert_int_equal(
	    mr_review_version(bob, "fraud", "1.0.0", MR_STAGE_PRODUCTION,
	        MR_APPROVE, NULL, NULL, NULL, NULL),
	    MR_OK);
	/* A rejection says why. */
	assert_int_equal(
	    mr_review_version(carol, "fraud", "1.0.0", MR_STAGE_PRODUCTION,
	        MR_REJECT, NULL, NULL, NULL, NULL),
	    MR_INVALID_ARGUMENT);
	assert_non_null(strstr(mr_client_errmsg(carol), "comment"));
	assert_int_equal(
	    mr_review_version(carol, "fraud", "1.0.0", MR_STAGE_PRODUCTION,
	        MR_REJECT, "p99 too high", NULL, NULL, &v),
	    MR_OK);
	assert_int_equal(v->n_reviews, 2);
	assert_int_equal(v->reviews[1].decision, MR_REJECT);
	mr_version_free(v);
	assert_int_equal(mr_promote(f->c, "fraud", "1.0.0", MR_STAGE_PRODUCTION,
	                     MR_STAGE_NONE, NULL, NULL),
	    MR_FAILED_PRECONDITION);
	assert_non_null(strstr(mr_client_errmsg(f->c), "reject"));
	assert_non_null(strstr(mr_client_errmsg(f->c), "carol"));
	/* A later review by the same reviewer replaces the first. */
	assert_int_equal(
	    mr_review_version(carol, "fraud", "1.0.0", MR_STAGE_PRODUCTION,
	        MR_APPROVE, "fixed", &approvals, &required, &v),
	    MR_OK);
	assert_int_equal(approvals, 2);
	assert_int_equal(required, 1);
	assert_int_equal(v->n_reviews, 2);
	assert_int_equal(v->reviews[1].decision, MR_APPROVE);
	assert_string_equal(v->reviews[1].comment, "fixed");
	mr_version_free(v);
	promote(f->c, "fraud", "1.0.0", MR_STAGE_PRODUCTION);
	mr_client_close(bob);
	mr_client_close(carol);
}

/* ---- deprecation -------------------------------------------------------- */

static void
test_lifecycle_deprecated_version_cannot_be_promoted_and_shows_in_reads(
    void **state)
{
	fixture *f = *state;
	int64_t eol = now_ms() + 86400000;
	mr_version_list *vl;
	char events[128];
	mr_version *v;

	register_plain(f, "fraud", "1.0.0");
	register_plain(f, "fraud", "1.1.0");
	assert_int_equal(
	    mr_deprecate(f->c, "fraud", "1.0.0", "leaks PII", eol, &v), MR_OK);
	assert_true(v->deprecated);
	assert_string_equal(v->deprecation_reason, "leaks PII");
	assert_int_equal(v->end_of_life_ms, eol);
	assert_string_equal(v->deprecated_by, "alice");
	assert_true(v->deprecated_at_ms > 0);
	mr_version_free(v);

	assert_int_equal(mr_promote(f->c, "fraud", "1.0.0", MR_STAGE_STAGING,
	                     MR_STAGE_NONE, NULL, NULL),
	    MR_FAILED_PRECONDITION);
	assert_non_null(strstr(mr_client_errmsg(f->c), "deprecated"));

	assert_int_equal(
	    mr_get_version(f->c, "fraud", "1.0.0", MR_STAGE_NONE, &v), MR_OK);
	assert_true(v->deprecated);
	assert_string_equal(v->deprecation_reason, "leaks PII");
	mr_version_free(v);
	assert_int_equal(mr_list_versions(f->c, "fraud", NULL, &vl), MR_OK);
	assert_int_equal(vl->count, 2);
	assert_true(vl->items[0].deprecated);
	assert_false(vl->items[1].deprecated);
	assert_string_equal(vl->items[1].deprecation_reason, "");
	mr_version_list_free(vl);
	assert_int_equal(
	    count_events(f->c, "fraud", MR_EVENT_DEPRECATED, NULL, events), 1);
	assert_non_null(strstr(events, "leaks PII"));

	assert_int_equal(
	    mr_undeprecate(f->c, "fraud", "1.0.0", "false alarm", &v), MR_OK);
	assert_false(v->deprecated);
	assert_string_equal(v->deprecation_reason, "");
	assert_int_equal(v->end_of_life_ms, 0);
	mr_version_free(v);
	assert_int_equal(
	    count_events(f->c, "fraud", MR_EVENT_UNDEPRECATED, NULL, NULL), 1);
	promote(f->c, "fraud", "1.0.0", MR_STAGE_STAGING);

	/* Archiving a deprecated version is allowed. */
	assert_int_equal(
	    mr_deprecate(f->c, "fraud", "1.1.0", "superseded", 0, NULL), MR_OK);
	promote(f->c, "fraud", "1.1.0", MR_STAGE_ARCHIVED);
	assert_int_equal(
	    mr_deprecate(f->c, "fraud", "7.0.0", "x", 0, NULL), MR_NOT_FOUND);
}

/* ---- aliases ------------------------------------------------------------ */

static void
test_lifecycle_alias_stands_in_for_a_version_in_get_promote_and_pull(
    void **state)
{
	fixture *f = *state;
	char *dest = rs_path(f->s.dir, "pulled.bin");
	char *src = rs_path(f->s.dir, "src.bin");
	char buf[MR_VERSION_MAX + 1];
	char *prev = NULL;
	mr_register_params p = {.name = "fraud", .path = src};
	mr_version *v;
	mr_model *m;

	rs_write_random(src, 70000, 42, 0644);
	p.version = "1.0.0";
	assert_int_equal(mr_register(f->c, &p, NULL), MR_OK);
	register_plain(f, "fraud", "2.0.0");

	assert_int_equal(mr_set_alias(f->c, "fraud", "champion", "v1.0.0",
	                     "best so far", &prev),
	    MR_OK);
	assert_string_equal(prev, ""); /* new */
	free(prev);
	assert_int_equal(
	    mr_get_version(f->c, "fraud", "champion", MR_STAGE_NONE, &v),
	    MR_OK);
	assert_string_equal(v->version, "1.0.0");
	mr_version_free(v);
	assert_int_equal(
	    mr_pull(f->c, "fraud", "champion", MR_STAGE_NONE, dest, NULL, &v),
	    MR_OK);
	assert_string_equal(v->version, "1.0.0");
	mr_version_free(v);
	assert_true(rs_same_file(src, dest));
	assert_int_equal(mr_promote(f->c, "fraud", "champion", MR_STAGE_STAGING,
	                     MR_STAGE_DEV, NULL, &v),
	    MR_OK);
	assert_string_equal(v->version, "1.0.0");
	mr_version_free(v);

	/* Reserved aliases select by themselves. */
	assert_string_equal(version_of(f->c, "fraud", "latest", buf), "2.0.0");
	assert_string_equal(version_of(f->c, "fraud", "staging", buf), "1.0.0");

	/* Moving it reports where it pointed; an alias may name an alias. */
	assert_int_equal(
	    mr_set_alias(f->c, "fraud", "champion", "2.0.0", NULL, &prev),
	    MR_OK);
	assert_string_equal(prev, "1.0.0");
	free(prev);
	assert_int_equal(
	    mr_set_alias(f->c, "fraud", "shadow", "champion", NULL, NULL),
	    MR_OK);
	assert_string_equal(version_of(f->c, "fraud", "shadow", buf), "2.0.0");
	assert_int_equal(mr_get_model(f->c, "fraud", &m), MR_OK);
	assert_int_equal(m->n_aliases, 2);
	assert_string_equal(m->aliases[0].key, "champion");
	assert_string_equal(m->aliases[0].value, "2.0.0");
	assert_string_equal(m->aliases[1].key, "shadow");
	mr_model_free(m);

	/* Pointing at nothing is NOT_FOUND. */
	assert_int_equal(
	    mr_set_alias(f->c, "fraud", "champion", "9.9.9", NULL, NULL),
	    MR_NOT_FOUND);

	assert_int_equal(
	    mr_delete_alias(f->c, "fraud", "champion", "retired", &prev),
	    MR_OK);
	assert_string_equal(prev, "2.0.0");
	free(prev);
	prev = NULL;
	assert_int_equal(
	    mr_get_version(f->c, "fraud", "champion", MR_STAGE_NONE, &v),
	    MR_NOT_FOUND);
	assert_int_equal(
	    mr_delete_alias(f->c, "fraud", "champion", NULL, &prev),
	    MR_NOT_FOUND);
	assert_null(prev);
	assert_int_equal(
	    mr_delete_alias(f->c, "fraud", "shadow", NULL, NULL), MR_OK);
	assert_int_equal(mr_get_model(f->c, "fraud", &m), MR_OK);
	assert_int_equal(m->n_aliases, 0);
	mr_model_free(m);

	{
		char ev[128];
		assert_int_equal(
		    count_events(f->c, "fraud", MR_EVENT_ALIAS_SET, NULL, ev),
		    3);
		assert_string_equal(ev, "2.0.0|shadow|alice|");
		assert_int_equal(count_events(f->c, "fraud",
		                     MR_EVENT_ALIAS_DELETED, NULL, NULL),
		    2);
	}
	free(dest);
	free(src);
}

static void
test_lifecycle_alias_set_whose_reply_is_lost_is_applied_once(void **state)
{
	fixture *f = *state;
	char k0[MR_IDEMPOTENCY_KEY_MAX + 1], k1[sizeof(k0)];
	char *prev = NULL;
	mr_audit_list *al;
	mr_client *c;
	wr_tap *tap;
	char url[64];
	int n = 0;

	register_plain(f, "fraud", "1.0.0");
	wr_url(url, "tap");
	tap = wr_tap_start(url, f->s.url);
	c = rs_client(url, "alice", 30000, 0);
	wr_tap_lose_reply(tap, "SetAlias");
	assert_int_equal(
	    mr_set_alias(c, "fraud", "champion", "1.0.0", NULL, &prev), MR_OK);
	/* The first attempt's answer: the alias was new. */
	assert_string_equal(prev, "");
	free(prev);
	assert_int_equal(wr_tap_calls(tap, "SetAlias"), 2);
	wr_tap_key(tap, "SetAlias", 0, k0);
	wr_tap_key(tap, "SetAlias", 1, k1);
	assert_string_not_equal(k0, "");
	assert_string_equal(k0, k1);
	assert_int_equal(
	    count_events(f->c, "fraud", MR_EVENT_ALIAS_SET, NULL, NULL), 1);
	assert_int_equal(mr_list_audit(f->c, "fraud", 0, 0, 0, 0, &al), MR_OK);
	for (size_t i = 0; i < al->count; i++)
		n += strcmp(al->items[i].action, "SetAlias") == 0;
	mr_audit_list_free(al);
	assert_int_equal(n, 1);
	mr_client_close(c);
	wr_tap_stop(tap);
}

/* ---- comparisons -------------------------------------------------------- */

static const mr_metric_delta *
find_metric(const mr_comparison *cmp, const char *name)
{
	for (size_t i = 0; i < cmp->n_metrics; i++)
		if (strcmp(cmp->metrics[i].name, name) == 0)
			return &cmp->metrics[i];
	fail_msg("no metric %s in the comparison", name);
	return NULL;
}

static const mr_field_change *
find_field(const mr_comparison *cmp, const char *name)
{
	for (size_t i = 0; i < cmp->n_signature; i++)
		if (strcmp(cmp->signature[i].name, name) == 0)
			return &cmp->signature[i];
	fail_msg("no field %s in the comparison", name);
	return NULL;
}

static void
test_lifecycle_compare_reports_metrics_features_signature_and_verdict(
    void **state)
{
	fixture *f = *state;
	mr_metric bm[] = {{"auc", 0.90}, {"p99_ms", 20}};
	mr_metric cm[] = {{"auc", 0.92}, {"p99_ms", 25}, {"recall", 0.5}};
	char *bf[] = {"amount", "merchant", "hour"};
	char *cf[] = {"amount", "hour", "merchant", "country"};
	mr_field bin[] = {{"amount", "float32"}, {"merchant", "string"}};
	mr_field cin[] = {{"amount", "float64"}, {"hour", "int32"}};
	mr_field out[] = {{"score", "float32"}};
	mr_signature bs = {bin, 2, out, 1}, cs = {cin, 2, out, 1};
	mr_metadata bmd = {
	    .metrics = bm, .n_metrics = 2, .features = bf, .n_features = 3};
	mr_metadata cmd = {
	    .metrics = cm, .n_metrics = 3, .features = cf, .n_features = 4};
	mr_model_update mu = {.primary_metric = "auc"};
	const mr_metric_delta *d;
	const mr_field_change *fc;
	mr_comparison *cmp;

	must_register(f, f->c, "fraud",
	    &(reg){.version = "1.0.0",
	        .metadata = &bmd,
	        .signature = &bs,
	        .size = 5000},
	    NULL);
	must_register(f, f->c, "fraud",
	    &(reg){.version = "2.0.0",
	        .metadata = &cmd,
	        .signature = &cs,
	        .size = 6000},
	    NULL);
	assert_int_equal(
	    mr_set_alias(f->c, "fraud", "champion", "1.0.0", NULL, NULL),
	    MR_OK);
	assert_int_equal(
	    mr_compare(f->c, "fraud", "champion", "v2.0.0", &cmp), MR_OK);
	assert_string_equal(cmp->baseline->version, "1.0.0");
	assert_string_equal(cmp->candidate->version, "2.0.0");
	assert_int_equal(cmp->baseline_size, 5000);
	assert_int_equal(cmp->candidate_size, 6000);

	assert_int_equal(cmp->n_metrics, 3);
	assert_string_equal(cmp->metrics[0].name, "auc"); /* by name */
	assert_string_equal(cmp->metrics[2].name, "recall");
	d = find_metric(cmp, "auc");
	assert_true(d->in_baseline && d->in_candidate);
	assert_true(d->baseline == 0.90 && d->candidate == 0.92);
	assert_float_equal(d->change, 0.02, 1e-9);
	assert_true(d->has_relative);
	assert_float_equal(d->relative, 0.02 / 0.90, 1e-9);
	assert_int_equal(d->goal, MR_GOAL_HIGHER);
	assert_int_equal(d->outcome, 1);
	d = find_metric(cmp, "p99_ms");
	assert_float_equal(d->change, 5, 1e-9);
	assert_float_equal(d->relative, 0.25, 1e-9);
	assert_int_equal(d->goal, MR_GOAL_LOWER); /* by its name */
	assert_int_equal(d->outcome, -1);
	d = find_metric(cmp, "recall");
	assert_false(d->in_baseline);
	assert_true(d->in_candidate);
	assert_int_equal(d->outcome, 0);

	assert_int_equal(cmp->n_features, 3);
	assert_string_equal(cmp->features[0].name, "country");
	assert_int_equal(cmp->features[0].kind, MR_CHANGE_ADDED);
	assert_int_equal(cmp->features[0].baseline_position, 0);
	assert_int_equal(cmp->features[0].candidate_position, 4);
	assert_string_equal(cmp->features[1].name, "hour");
	assert_int_equal(cmp->features[1].kind, MR_CHANGE_MOVED);
	assert_int_equal(cmp->features[1].baseline_position, 3);
	assert_int_equal(cmp->features[1].candidate_position, 2);
	assert_string_equal(cmp->features[2].name, "merchant");
	assert_int_equal(cmp->features[2].kind, MR_CHANGE_MOVED);

	assert_int_equal(cmp->n_signature, 3);
	fc = find_field(cmp, "amount");
	assert_int_equal(fc->kind, MR_CHANGE_RETYPED);
	assert_string_equal(fc->baseline_type, "float32");
	assert_string_equal(fc->candidate_type, "float64");
	assert_true(fc->breaking);
	assert_false(fc->output);
	fc = find_field(cmp, "merchant");
	assert_int_equal(fc->kind, MR_CHANGE_REMOVED);
	assert_true(fc->breaking);
	fc = find_field(cmp, "hour");
	assert_int_equal(fc->kind, MR_CHANGE_ADDED);
	assert_false(fc->breaking);

	/* One better, one worse, no primary metric. */
	assert_int_equal(cmp->verdict, MR_VERDICT_MIXED);
	assert_string_not_equal(cmp->recommendation, "");
	assert_true(cmp->n_reasons > 0);
	mr_comparison_free(cmp);

	/* The primary metric breaks the tie. */
	assert_int_equal(mr_update_model(f->c, "fraud", &mu, NULL), MR_OK);
	assert_int_equal(
	    mr_compare(f->c, "fraud", "1.0.0", "2.0.0", &cmp), MR_OK);
	assert_int_equal(cmp->verdict, MR_VERDICT_CANDIDATE);
	assert_non_null(strstr(cmp->recommendation, "2.0.0"));
	mr_comparison_free(cmp);
	/* And the other way round. */
	assert_int_equal(
	    mr_compare(f->c, "fraud", "2.0.0", "1.0.0", &cmp), MR_OK);
	assert_int_equal(cmp->verdict, MR_VERDICT_BASELINE);
	assert_int_equal(find_metric(cmp, "auc")->outcome, -1);
	mr_comparison_free(cmp);
	/* A version against itself. */
	assert_int_equal(
	    mr_compare(f->c, "fraud", "1.0.0", "1.0.0", &cmp), MR_OK);
	assert_int_equal(cmp->verdict, MR_VERDICT_EQUIVALENT);
	assert_int_equal(cmp->n_features + cmp->n_signature, 0);
	mr_comparison_free(cmp);
	assert_int_equal(
	    mr_compare(f->c, "fraud", "1.0.0", "3.0.0", &cmp), MR_NOT_FOUND);
}

/* ---- search ------------------------------------------------------------- */

/* "name@version,..." of a page, into out. */
static const char *
page_text(const mr_version_list *l, char *out, size_t cap)
{
	size_t n = 0;

	out[0] = '\0';
	for (size_t i = 0; i < l->count && n < cap; i++)
		n += (size_t)snprintf(out + n, cap - n, "%s%s@%s",
		    i > 0 ? "," : "", l->items[i].name, l->items[i].version);
	return out;
}

static void
search_register(fixture *f, const char *name, const char *version, double auc,
    const char *framework)
{
	mr_metric m[] = {{"auc", auc}};
	mr_kv tags[] = {{"team", "risk"}};
	mr_metadata md = {
	    .metrics = m, .n_metrics = 1, .framework = (char *)framework};

	must_register(f, f->c, name,
	    &(reg){.version = version,
	        .metadata = &md,
	        .tags = tags,
	        .n_tags = strcmp(name, "fraud") == 0},
	    NULL);
}

static void
test_lifecycle_search_filters_orders_and_pages_with_a_stable_token(void **state)
{
	fixture *f = *state;
	const char *filter = "metrics.auc > 0.75 AND framework = 'xgboost'";
	mr_list_params page = {.page_size = 2};
	mr_version_list *l;
	char text[512], *token;

	search_register(f, "fraud", "1.0.0", 0.80, "xgboost");
	search_register(f, "fraud", "1.1.0", 0.90, "xgboost");
	search_register(f, "fraud", "2.0.0", 0.85, "xgboost");
	search_register(f, "churn", "1.0.0", 0.70, "xgboost");
	search_register(f, "spam", "1.0.0", 0.95, "sklearn");

	/* No filter, no order: every version by name, then version. */
	assert_int_equal(mr_search(f->c, NULL, NULL, NULL, &l), MR_OK);
	assert_string_equal(page_text(l, text, sizeof(text)),
	    "churn@1.0.0,fraud@1.0.0,fraud@1.1.0,fraud@2.0.0,spam@1.0.0");
	assert_string_equal(l->next_page_token, "");
	mr_version_list_free(l);

	assert_int_equal(
	    mr_search(f->c, filter, "metrics.auc desc", NULL, &l), MR_OK);
	assert_string_equal(page_text(l, text, sizeof(text)),
	    "fraud@1.1.0,fraud@2.0.0,fraud@1.0.0");
	mr_version_list_free(l);

	/* Paging: two, then the rest; the same token gives the same page,
	 * even after a version sorting before it was added. */
	assert_int_equal(
	    mr_search(f->c, filter, "metrics.auc desc", &page, &l), MR_OK);
	assert_string_equal(
	    page_text(l, text, sizeof(text)), "fraud@1.1.0,fraud@2.0.0");
	assert_string_not_equal(l->next_page_token, "");
	token = strdup(l->next_page_token);
	mr_version_list_free(l);
	page.page_token = token;
	for (int round = 0; round < 2; round++) {
		assert_int_equal(
		    mr_search(f->c, filter, "metrics.auc desc", &page, &l),
		    MR_OK);
		assert_string_equal(
		    page_text(l, text, sizeof(text)), "fraud@1.0.0");
		assert_string_equal(l->next_page_token, "");
		mr_version_list_free(l);
		if (round == 0)
			search_register(f, "fraud", "3.0.0", 0.99, "xgboost");
	}
	free(token);

	/* Other fields: globs, tags, stage, deprecation. */
	assert_int_equal(mr_search(f->c, "name = 'fr*' AND version >= '2.0.0'",
	                     "version desc", NULL, &l),
	    MR_OK);
	assert_string_equal(
	    page_text(l, text, sizeof(text)), "fraud@3.0.0,fraud@2.0.0");
	mr_version_list_free(l);
	assert_int_equal(
	    mr_search(f->c, "tags.team EXISTS", NULL, NULL, &l), MR_OK);
	assert_int_equal(l->count, 4);
	mr_version_list_free(l);
	assert_int_equal(
	    mr_deprecate(f->c, "churn", "1.0.0", "old", 0, NULL), MR_OK);
	promote(f->c, "spam", "1.0.0", MR_STAGE_STAGING);
	assert_int_equal(
	    mr_search(
	        f->c, "deprecated = true OR stage = 'staging'", NULL, NULL, &l),
	    MR_OK);
	assert_string_equal(
	    page_text(l, text, sizeof(text)), "churn@1.0.0,spam@1.0.0");
	mr_version_list_free(l);

	/* A malformed filter names the byte position. */
	l = NULL;
	assert_int_equal(mr_search(f->c, "metrics.auc >", NULL, NULL, &l),
	    MR_INVALID_ARGUMENT);
	assert_null(l);
	assert_non_null(strstr(mr_client_errmsg(f->c), "position"));
	assert_int_equal(mr_search(f->c, "(name = 'x'", NULL, NULL, &l),
	    MR_INVALID_ARGUMENT);
	assert_non_null(strstr(mr_client_errmsg(f->c), "position"));
	assert_int_equal(mr_search(f->c, NULL, "nonsense_field", NULL, &l),
	    MR_INVALID_ARGUMENT);
}

/* ---- edits -------------------------------------------------------------- */

static void
test_lifecycle_update_model_edits_fields_tags_goals_and_writes_events(
    void **state)
{
	fixture *f = *state;
	mr_kv tags[] = {{"team", "risk"}, {"tier", "1"}};
	const char *del[] = {"team"};
	mr_goal goals[] = {{"latency", MR_GOAL_LOWER}, {"auc", MR_GOAL_HIGHER}};
	mr_goal drop[] = {{"auc", MR_GOAL_DEFAULT}};
	mr_model_update u = {
	    .description = "fraud scoring",
	    .owner = "fraud-team",
	    .primary_metric = "auc",
	    .set_tags = tags,
	    .n_set_tags = 2,
	    .set_goals = goals,
	    .n_set_goals = 2,
	    .reason = "handover",
	};
	char events[128];
	mr_model *m;

	register_plain(f, "fraud", "1.0.0");
	assert_int_equal(mr_update_model(f->c, "fraud", &u, &m), MR_OK);
	assert_string_equal(m->description, "fraud scoring");
	assert_string_equal(m->owner, "fraud-team");
	assert_string_equal(m->primary_metric, "auc");
	assert_int_equal(m->n_tags, 2);
	assert_string_equal(m->tags[0].key, "team");
	assert_int_equal(m->n_goals, 2);
	assert_string_equal(m->goals[0].metric, "auc");
	assert_int_equal(m->goals[0].goal, MR_GOAL_HIGHER);
	assert_string_equal(m->goals[1].metric, "latency");
	assert_int_equal(m->goals[1].goal, MR_GOAL_LOWER);
	mr_model_free(m);

	/* Only what is given changes; "" clears a field. */
	u = (mr_model_update){.description = "",
	    .delete_tags = del,
	    .n_delete_tags = 1,
	    .set_goals = drop,
	    .n_set_goals = 1};
	assert_int_equal(mr_update_model(f->c, "fraud", &u, NULL), MR_OK);
	assert_int_equal(mr_get_model(f->c, "fraud", &m), MR_OK);
	assert_string_equal(m->description, "");
	assert_string_equal(m->owner, "fraud-team");
	assert_string_equal(m->primary_metric, "auc");
	assert_int_equal(m->n_tags, 1);
	assert_string_equal(m->tags[0].key, "tier");
	assert_int_equal(m->n_goals, 1);
	assert_string_equal(m->goals[0].metric, "latency");
	mr_model_free(m);

	assert_int_equal(
	    count_events(f->c, "fraud", MR_EVENT_MODEL_UPDATED, NULL, events),
	    2);
	u = (mr_model_update){.owner = "x", .reason = "handover"};
	assert_int_equal(mr_update_model(f->c, "fraud", &u, NULL), MR_OK);
	assert_int_equal(
	    count_events(f->c, "fraud", MR_EVENT_MODEL_UPDATED, NULL, events),
	    3);
	assert_non_null(strstr(events, "handover"));
	assert_int_equal(mr_update_model(f->c, "nope", &u, NULL), MR_NOT_FOUND);
}

static void
test_lifecycle_update_version_edits_description_tags_signature_and_writes_events(
    void **state)
{
	fixture *f = *state;
	mr_kv tags[] = {{"dataset", "2024-01"}, {"owner", "bob"}};
	mr_kv vtags[] = {{"keep", "1"}};
	const char *del[] = {"keep"};
	mr_field in1[] = {{"amount", "float32"}, {"merchant", "string"}};
	mr_field in2[] = {{"amount", "float32"}};
	mr_field out[] = {{"score", "float32"}};
	mr_signature s1 = {in1, 2, out, 1}, s2 = {in2, 1, out, 1};
	mr_version_update u = {
	    .description = "retrained",
	    .set_tags = tags,
	    .n_set_tags = 2,
	    .reason = "late metadata",
	};
	char events[128];
	mr_version *v;

	must_register(f, f->c, "fraud",
	    &(reg){.version = "1.0.0",
	        .signature = &s1,
	        .tags = vtags,
	        .n_tags = 1},
	    NULL);
	register_plain(f, "fraud", "1.1.0");
	assert_int_equal(
	    mr_update_version(f->c, "fraud", "1.1.0", &u, &v), MR_OK);
	assert_string_equal(v->description, "retrained");
	assert_int_equal(v->n_tags, 2);
	assert_string_equal(v->tags[0].key, "dataset");
	assert_string_equal(v->tags[1].value, "bob");
	mr_version_free(v);
	u = (mr_version_update){
	    .signature = &s2, .delete_tags = del, .n_delete_tags = 1};
	assert_int_equal(
	    mr_update_version(f->c, "fraud", "1.0.0", &u, &v), MR_OK);
	assert_int_equal(v->signature.n_inputs, 1);
	assert_int_equal(v->n_tags, 0);
	assert_string_equal(v->description, ""); /* untouched */
	mr_version_free(v);
	assert_int_equal(
	    count_events(f->c, "fraud", MR_EVENT_VERSION_UPDATED, NULL, events),
	    2);
	assert_non_null(strstr(events, "1.0.0"));

	/* Production's signature is not replaced, nor broken by others. */
	u = (mr_version_update){.signature = &s1};
	assert_int_equal(
	    mr_update_version(f->c, "fraud", "1.0.0", &u, NULL), MR_OK);
	to_production(f->c, "fraud", "1.0.0");
	u = (mr_version_update){.signature = &s2};
	assert_int_equal(mr_update_version(f->c, "fraud", "1.0.0", &u, NULL),
	    MR_FAILED_PRECONDITION);
	assert_int_equal(mr_update_version(f->c, "fraud", "1.1.0", &u, NULL),
	    MR_FAILED_PRECONDITION);
	assert_non_null(strstr(mr_client_errmsg(f->c), "merchant"));
	/* Descriptions of production may change. */
	u = (mr_version_update){.description = "in production"};
	assert_int_equal(
	    mr_update_version(f->c, "fraud", "production", &u, &v), MR_OK);
	assert_string_equal(v->version, "1.0.0");
	assert_string_equal(v->description, "in production");
	mr_version_free(v);
	assert_int_equal(
	    count_events(f->c, "fraud", MR_EVENT_VERSION_UPDATED, NULL, NULL),
	    4);
}

/* ---- audit -------------------------------------------------------------- */

static void
test_lifecycle_audit_lists_every_mutation_in_a_chain_that_verifies(void **state)
{
	fixture *f = *state;
	uint8_t zero[MR_DIGEST_LEN] = {0};
	uint8_t last_hash[MR_DIGEST_LEN];
	mr_audit_list *all, *l;
	mr_audit_check *chk;
	uint64_t after = 0;
	size_t n = 0;
	bool saw_promote = false;

	register_plain(f, "fraud", "1.0.0");
	register_plain(f, "churn", "1.0.0");
	assert_int_equal(mr_promote(f->c, "fraud", "1.0.0", MR_STAGE_STAGING,
	                     MR_STAGE_NONE, "tests pass", NULL),
	    MR_OK);
	assert_int_equal(
	    mr_set_alias(f->c, "fraud", "champion", "1.0.0", NULL, NULL),
	    MR_OK);

	assert_int_equal(mr_list_audit(f->c, NULL, 0, 0, 0, 0, &all), MR_OK);
	/* First the token alice calls with, made by the test's server. */
	assert_int_equal(all->count, 5);
	assert_false(all->more);
	assert_int_equal(all->last_seq, 5);
	assert_string_equal(all->items[0].action, "CreateToken");
	assert_string_equal(all->items[0].actor, "realserver");
	for (size_t i = 0; i < all->count; i++) {
		const mr_audit_record *r = &all->items[i];
		assert_int_equal(r->seq, i + 1);
		assert_string_equal(r->actor, i == 0 ? "realserver" : "alice");
		assert_true(r->time_ms > 0);
		assert_true(i == 0 || r->revision > 0);
		assert_memory_equal(r->prev_hash,
		    i == 0 ? zero : all->items[i - 1].hash, MR_DIGEST_LEN);
		assert_memory_not_equal(r->hash, zero, MR_DIGEST_LEN);
		if (strcmp(r->action, "Promote") == 0) {
			saw_promote = true;
			assert_string_equal(r->model, "fraud");
			assert_string_equal(r->target, "fraud@1.0.0");
			assert_string_equal(r->reason, "tests pass");
			assert_true(r->before[0] == '{' && r->after[0] == '{');
			assert_string_not_equal(r->before, r->after);
		}
	}
	assert_true(saw_promote);
	assert_string_equal(all->items[1].action, "RegisterVersion");
	assert_string_equal(all->items[1].reason, "trained nightly");
	assert_string_equal(all->items[4].action, "SetAlias");
	memcpy(last_hash, all->items[4].hash, MR_DIGEST_LEN);

	/* One page at a time. */
	do {
		assert_int_equal(
		    mr_list_audit(f->c, NULL, 0, 0, after, 1, &l), MR_OK);
		assert_true(l->count <= 1);
		if (l->count == 1)
			assert_int_equal(l->items[0].seq, ++n);
		after = l->last_seq;
		if (!l->more) {
			mr_audit_list_free(l);
			break;
		}
		mr_audit_list_free(l);
	} while (n < 10);
	assert_int_equal(n, 5);

	/* By model, and by time. */
	assert_int_equal(mr_list_audit(f->c, "churn", 0, 0, 0, 0, &l), MR_OK);
	assert_int_equal(l->count, 1);
	assert_int_equal(l->items[0].seq, 3);
	mr_audit_list_free(l);
	assert_int_equal(
	    mr_list_audit(f->c, NULL, now_ms() + 3600000, 0, 0, 0, &l), MR_OK);
	assert_int_equal(l->count, 0);
	mr_audit_list_free(l);
	assert_int_equal(mr_list_audit(f->c, NULL, all->items[1].time_ms,
	                     all->items[4].time_ms, 0, 0, &l),
	    MR_OK);
	assert_true(l->count >= 4);
	mr_audit_list_free(l);
	mr_audit_list_free(all);

	assert_int_equal(mr_verify_audit(f->c, &chk), MR_OK);
	assert_true(chk->ok);
	assert_int_equal(chk->records, 5);
	assert_int_equal(chk->first_broken, 0);
	assert_string_equal(chk->problem, "");
	assert_memory_equal(chk->head_hash, last_hash, MR_DIGEST_LEN);
	mr_audit_check_free(chk);

	/* A refused mutation writes nothing. */
	assert_int_equal(mr_promote(f->c, "fraud", "1.0.0", MR_STAGE_STAGING,
	                     MR_STAGE_NONE, NULL, NULL),
	    MR_FAILED_PRECONDITION);
	assert_int_equal(mr_list_audit(f->c, NULL, 0, 0, 0, 0, &l), MR_OK);
	assert_int_equal(l->count, 5);
	mr_audit_list_free(l);
}

/* ---- traffic split ------------------------------------------------------ */

static void
test_lifecycle_split_bad_arguments_are_refused_without_a_round_trip(
    void **state)
{
	char long_key[MR_ROUTING_KEY_MAX + 2];
	atomic_int calls = 0;
	wr_responder *rsp;
	mr_version *v;
	mr_client *c;
	char url[64];

	(void)state;
	memset(long_key, 'k', sizeof(long_key) - 1);
	long_key[sizeof(long_key) - 1] = '\0';
	wr_url(url, "countsplit");
	rsp = wr_responder_start(url, wr_count_calls, &calls);
	c = rs_client(url, "alice", 30000, 0);

	assert_int_equal(mr_set_traffic_split(c, "fraud", MR_STAGE_PRODUCTION,
	                     1000, NULL, NULL),
	    MR_INVALID_ARGUMENT);
	assert_non_null(strstr(mr_client_errmsg(c), "dev or staging"));
	assert_int_equal(mr_set_traffic_split(c, "fraud", MR_STAGE_ARCHIVED,
	                     1000, NULL, NULL),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(mr_set_traffic_split(c, "fraud", MR_STAGE_STAGING,
	                     10001, NULL, NULL),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(mr_set_traffic_split(c, "bad name", MR_STAGE_STAGING,
	                     1000, NULL, NULL),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(mr_resolve(c, "fraud", "", NULL, NULL, &v),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(mr_resolve(c, "fraud", NULL, NULL, NULL, &v),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(mr_resolve(c, "fraud", long_key, NULL, NULL, &v),
	    MR_INVALID_ARGUMENT);
	assert_non_null(strstr(mr_client_errmsg(c), "routing key"));
	assert_int_equal(atomic_load(&calls), 0);
	mr_client_close(c);
	wr_responder_stop(rsp);
}

static void
test_lifecycle_split_resolves_keys_and_shows_on_the_model(void **state)
{
	fixture *f = *state;
	char key[32], reason[128];
	uint32_t bucket, again;
	bool canary, canary2;
	int on_canary = 0;
	mr_version *v;
	mr_model *m;

	register_plain(f, "fraud", "1.0.0");
	to_production(f->c, "fraud", "1.0.0");
	register_plain(f, "fraud", "1.1.0");
	promote(f->c, "fraud", "1.1.0", MR_STAGE_STAGING);

	assert_int_equal(mr_set_traffic_split(f->c, "fraud", MR_STAGE_STAGING,
	                     1000, "a/b", &m),
	    MR_OK);
	assert_int_equal(m->split_stage, MR_STAGE_STAGING);
	assert_int_equal(m->split_basis_points, 1000);
	mr_model_free(m);
	assert_int_equal(mr_get_model(f->c, "fraud", &m), MR_OK);
	assert_int_equal(m->split_stage, MR_STAGE_STAGING);
	assert_int_equal(m->split_basis_points, 1000);
	mr_model_free(m);

	for (int i = 0; i < 400; i++) {
		snprintf(key, sizeof(key), "user-%d", i);
		assert_int_equal(
		    mr_resolve(f->c, "fraud", key, &canary, &bucket, &v), MR_OK);
		assert_string_equal(v->version, canary ? "1.1.0" : "1.0.0");
		assert_int_equal(canary, bucket < 1000);
		assert_int_equal(v->n_files, 1);
		mr_version_free(v);
		assert_int_equal(
		    mr_resolve(f->c, "fraud", key, &canary2, &again, NULL),
		    MR_OK);
		assert_int_equal(canary2, canary);
		assert_int_equal(again, bucket);
		on_canary += canary;
	}
	assert_true(on_canary > 0 && on_canary < 120);
	assert_int_equal(count_events(f->c, "fraud", MR_EVENT_SPLIT_CHANGED,
	                     NULL, reason),
	    1);
	assert_non_null(strstr(reason, "staging 10% (production 90%)"));
	assert_string_equal(mr_event_kind_name(MR_EVENT_SPLIT_CHANGED),
	    "split_changed");

	/* Removing the split sends every key to production. */
	assert_int_equal(mr_set_traffic_split(f->c, "fraud", MR_STAGE_NONE, 0,
	                     NULL, &m),
	    MR_OK);
	assert_int_equal(m->split_basis_points, 0);
	assert_int_equal(m->split_stage, MR_STAGE_NONE);
	mr_model_free(m);
	assert_int_equal(
	    mr_resolve(f->c, "fraud", "user-1", &canary, NULL, NULL), MR_OK);
	assert_false(canary);
	assert_int_equal(
	    mr_resolve(f->c, "nosuch", "user-1", &canary, NULL, NULL),
	    MR_NOT_FOUND);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lifecycle_bump_parse_knows_the_four_names),
	    cmocka_unit_test(
	        test_lifecycle_bad_arguments_are_refused_without_a_round_trip),
	    cmocka_unit_test(
	        test_lifecycle_split_bad_arguments_are_refused_without_a_round_trip),
#define T(name)                                                                \
	cmocka_unit_test_setup_teardown(name, setup, rs_fixture_teardown)
	    T(test_lifecycle_register_with_bump_numbers_from_the_highest_version),
	    T(test_lifecycle_auto_bump_follows_signature_features_and_primary_metric),
	    T(test_lifecycle_registration_breaking_production_signature_is_refused_unless_major),
	    T(test_lifecycle_get_version_at_replays_production_across_a_rollback),
	    T(test_lifecycle_promotion_needs_the_policys_approvals_from_others),
	    T(test_lifecycle_policy_with_approvers_admits_only_them),
	    T(test_lifecycle_rejection_blocks_promotion_until_the_reviewer_approves),
	    T(test_lifecycle_deprecated_version_cannot_be_promoted_and_shows_in_reads),
	    T(test_lifecycle_alias_stands_in_for_a_version_in_get_promote_and_pull),
	    T(test_lifecycle_alias_set_whose_reply_is_lost_is_applied_once),
	    T(test_lifecycle_compare_reports_metrics_features_signature_and_verdict),
	    T(test_lifecycle_search_filters_orders_and_pages_with_a_stable_token),
	    T(test_lifecycle_update_model_edits_fields_tags_goals_and_writes_events),
	    T(test_lifecycle_update_version_edits_description_tags_signature_and_writes_events),
	    T(test_lifecycle_audit_lists_every_mutation_in_a_chain_that_verifies),
	    T(test_lifecycle_split_resolves_keys_and_shows_on_the_model),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
