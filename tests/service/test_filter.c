/*
 * test_filter.c - the SearchVersions filter language and order_by sort
 * keys (service/filter.c), on versions built by hand: matching for every
 * field kind, operator precedence, every parse error with its position,
 * the index plan, sort key order in both directions, and a random and
 * mutated input loop that must never crash (run it under the ASan build).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "testutil.h"

/* ---- versions and models built by hand -------------------------------- */

#define N_ENTRIES 4

typedef struct tv {
	mr_pb_version v;
	Modelreg__V1__Metadata md;
	Modelreg__V1__Metadata__MetricsEntry me[N_ENTRIES], *mp[N_ENTRIES];
	Modelreg__V1__Metadata__HyperparametersEntry he[N_ENTRIES],
	    *hp[N_ENTRIES];
	Modelreg__V1__ModelVersion__TagsEntry te[N_ENTRIES], *tp[N_ENTRIES];
	char *features[N_ENTRIES];
	Modelreg__V1__Deprecation dep;
} tv;

typedef struct tmodel {
	mr_pb_model m;
	Modelreg__V1__Model__TagsEntry te[N_ENTRIES], *tp[N_ENTRIES];
	Modelreg__V1__Model__AliasesEntry ae[N_ENTRIES], *ap[N_ENTRIES];
} tmodel;

static void
tv_init(tv *t, const char *name, const char *version, int stage)
{
	mr_pb_version v = MODELREG__V1__MODEL_VERSION__INIT;
	Modelreg__V1__Metadata md = MODELREG__V1__METADATA__INIT;

	memset(t, 0, sizeof(*t));
	t->v = v;
	t->md = md;
	t->v.name = (char *)name;
	t->v.version = (char *)version;
	t->v.stage = (Modelreg__V1__Stage)stage;
	t->v.metadata = &t->md;
	t->v.tags = t->tp;
	t->md.metrics = t->mp;
	t->md.hyperparameters = t->hp;
	t->md.features = t->features;
}

static void
tv_metric(tv *t, const char *key, double value)
{
	Modelreg__V1__Metadata__MetricsEntry e =
	    MODELREG__V1__METADATA__METRICS_ENTRY__INIT;
	size_t i = t->md.n_metrics++;

	assert_true(i < N_ENTRIES);
	e.key = (char *)key;
	e.value = value;
	t->me[i] = e;
	t->mp[i] = &t->me[i];
}

static void
tv_param(tv *t, const char *key, const char *value)
{
	Modelreg__V1__Metadata__HyperparametersEntry e =
	    MODELREG__V1__METADATA__HYPERPARAMETERS_ENTRY__INIT;
	size_t i = t->md.n_hyperparameters++;

	assert_true(i < N_ENTRIES);
	e.key = (char *)key;
	e.value = (char *)value;
	t->he[i] = e;
	t->hp[i] = &t->he[i];
}

static void
tv_tag(tv *t, const char *key, const char *value)
{
	Modelreg__V1__ModelVersion__TagsEntry e =
	    MODELREG__V1__MODEL_VERSION__TAGS_ENTRY__INIT;
	size_t i = t->v.n_tags++;

	assert_true(i < N_ENTRIES);
	e.key = (char *)key;
	e.value = (char *)value;
	t->te[i] = e;
	t->tp[i] = &t->te[i];
}

static void
tv_feature(tv *t, const char *name)
{
	assert_true(t->md.n_features < N_ENTRIES);
	t->features[t->md.n_features++] = (char *)name;
}

static void
tv_deprecate(tv *t)
{
	Modelreg__V1__Deprecation d = MODELREG__V1__DEPRECATION__INIT;

	t->dep = d;
	t->dep.reason = "superseded";
	t->v.deprecation = &t->dep;
}

static void
tm_init(tmodel *t, const char *name)
{
	mr_pb_model m = MODELREG__V1__MODEL__INIT;

	memset(t, 0, sizeof(*t));
	t->m = m;
	t->m.name = (char *)name;
	t->m.tags = t->tp;
	t->m.aliases = t->ap;
}

static void
tm_tag(tmodel *t, const char *key, const char *value)
{
	Modelreg__V1__Model__TagsEntry e = MODELREG__V1__MODEL__TAGS_ENTRY__INIT;
	size_t i = t->m.n_tags++;

	assert_true(i < N_ENTRIES);
	e.key = (char *)key;
	e.value = (char *)value;
	t->te[i] = e;
	t->tp[i] = &t->te[i];
}

static void
tm_alias(tmodel *t, const char *alias, const char *version)
{
	Modelreg__V1__Model__AliasesEntry e =
	    MODELREG__V1__MODEL__ALIASES_ENTRY__INIT;
	size_t i = t->m.n_aliases++;

	assert_true(i < N_ENTRIES);
	e.key = (char *)alias;
	e.value = (char *)version;
	t->ae[i] = e;
	t->ap[i] = &t->ae[i];
}

/* ---- helpers ---------------------------------------------------------- */

static bool
matches_m(const char *text, const mr_pb_model *m, const tv *t)
{
	filter *f = NULL;
	mr_err e;
	bool r;

	if (filter_parse(text, &f, &e) != MR_OK)
		fail_msg("filter_parse(\"%s\"): %s", text, e.msg);
	r = filter_match(f, m, &t->v);
	filter_free(f);
	return r;
}

static bool
matches(const char *text, const tv *t)
{
	return matches_m(text, NULL, t);
}

/* The message of a filter that must be refused. */
static const char *
filter_error(const char *text)
{
	static mr_err e;
	filter *f = NULL;
	mr_status rv = filter_parse(text, &f, &e);

	if (rv == MR_OK) {
		filter_free(f);
		fail_msg("filter \"%s\" parsed", text);
	}
	assert_int_equal(rv, MR_INVALID_ARGUMENT);
	assert_null(f);
	return e.msg;
}

static const char *
order_error(const char *text)
{
	static mr_err e;
	filter_order *o = NULL;
	mr_status rv = filter_order_parse(text, &o, &e);

	if (rv == MR_OK) {
		filter_order_free(o);
		fail_msg("order_by \"%s\" parsed", text);
	}
	assert_int_equal(rv, MR_INVALID_ARGUMENT);
	assert_null(o);
	return e.msg;
}

static filter *
parse_ok(const char *text)
{
	filter *f = NULL;
	mr_err e;

	if (filter_parse(text, &f, &e) != MR_OK)
		fail_msg("filter_parse(\"%s\"): %s", text ? text : "", e.msg);
	return f;
}

static filter_order *
order_ok(const char *text)
{
	filter_order *o = NULL;
	mr_err e;

	if (filter_order_parse(text, &o, &e) != MR_OK)
		fail_msg("filter_order_parse(\"%s\"): %s", text, e.msg);
	return o;
}

/* ---- matching --------------------------------------------------------- */

static void
test_filter_issue_example_matches_only_the_fraud_production_version(
    void **state)
{
	const char *q = "metrics.accuracy > 0.85 AND tags.team = 'fraud' AND "
			"stage = production";
	tv a, b, c, d;

	(void)state;
	tv_init(&a, "fraud-detector", "3.1.0", 3);
	tv_metric(&a, "accuracy", 0.91);
	tv_tag(&a, "team", "fraud");
	tv_init(&b, "fraud-detector", "3.0.0", 4); /* archived */
	tv_metric(&b, "accuracy", 0.90);
	tv_tag(&b, "team", "fraud");
	tv_init(&c, "churn", "1.0.0", 3); /* other team */
	tv_metric(&c, "accuracy", 0.95);
	tv_tag(&c, "team", "growth");
	tv_init(&d, "fraud-rules", "1.0.0", 3); /* not accurate enough */
	tv_metric(&d, "accuracy", 0.85);
	tv_tag(&d, "team", "fraud");
	assert_true(matches(q, &a));
	assert_false(matches(q, &b));
	assert_false(matches(q, &c));
	assert_false(matches(q, &d));
}

static void
test_filter_metric_greater_matches_only_higher(void **state)
{
	tv lo, hi;

	(void)state;
	tv_init(&lo, "m", "1.0.0", 1);
	tv_metric(&lo, "auc", 0.7);
	tv_init(&hi, "m", "2.0.0", 1);
	tv_metric(&hi, "auc", 0.9);
	assert_false(matches("metrics.auc > 0.8", &lo));
	assert_true(matches("metrics.auc > 0.8", &hi));
	assert_true(matches("metrics.auc >= 0.9", &hi));
	assert_false(matches("metrics.auc > 0.9", &hi));
	assert_true(matches("metrics.auc < 0.8", &lo));
	assert_true(matches("metrics.auc <= 0.7", &lo));
	assert_true(matches("metrics.auc = 0.7", &lo));
	assert_true(matches("metrics.auc != 0.7", &hi));
	assert_true(matches("metrics.auc > -1e3", &lo));
	assert_true(matches("metrics.auc < 8e-1", &lo));
}

static void
test_filter_missing_metric_never_matches_not_even_not_equal(void **state)
{
	tv t, bare;

	(void)state;
	tv_init(&t, "m", "1.0.0", 1);
	tv_metric(&t, "auc", 0.7);
	assert_false(matches("metrics.loss != 1", &t));
	assert_false(matches("metrics.loss < 1", &t));
	assert_true(matches("NOT metrics.loss < 1", &t));
	tv_init(&bare, "m", "1.0.0", 1);
	bare.v.metadata = NULL;
	assert_false(matches("metrics.auc != 1", &bare));
	assert_false(matches("tags.team != 'x'", &bare));
	assert_false(matches("hyperparameters.depth != 'x'", &bare));
	/* Absent metadata strings are "". */
	assert_true(matches("framework = ''", &bare));
	assert_true(matches("framework != 'xgboost'", &bare));
}

static void
test_filter_name_equals_with_metacharacters_is_a_glob(void **state)
{
	tv a, b;

	(void)state;
	tv_init(&a, "fraud-detector", "1.0.0", 1);
	tv_init(&b, "churn", "1.0.0", 1);
	assert_true(matches("name = 'fraud-*'", &a));
	assert_false(matches("name = 'fraud-*'", &b));
	assert_true(matches("name != 'fraud-*'", &b));
	assert_false(matches("name != 'fraud-*'", &a));
	assert_true(matches("name = fraud-detector", &a));
	assert_false(matches("name = fraud", &a));
	assert_true(matches("name GLOB 'fraud-?etector'", &a));
	assert_true(matches("name GLOB '[a-f]*'", &a));
	assert_true(matches("name glob '[a-f]*'", &b));
	assert_false(matches("name GLOB 'fraud'", &a));
	assert_true(matches("name CONTAINS 'detect'", &a));
	assert_true(matches("name < 'd'", &b));
	assert_false(matches("name < 'd'", &a));
	assert_true(matches("name >= fraud-detector", &a));
	/* Names never compare as numbers, even unquoted ones. */
	tv_init(&a, "10", "1.0.0", 1);
	assert_true(matches("name < 9", &a));
}

static void
test_filter_and_binds_tighter_than_or(void **state)
{
	tv t;

	(void)state;
	tv_init(&t, "a", "1.0.0", 1);
	/* false AND false OR true: (false AND false) OR true */
	assert_true(matches("name = x AND name = y OR name = a", &t));
	/* true OR false AND false: true OR (false AND false) */
	assert_true(matches("name = a OR name = x AND name = y", &t));
	assert_false(matches("(name = a OR name = x) AND name = y", &t));
}

static void
test_filter_not_applies_to_one_factor_and_parentheses_group(void **state)
{
	tv t;

	(void)state;
	tv_init(&t, "a", "1.0.0", 1);
	assert_false(matches("NOT name = a", &t));
	assert_true(matches("NOT name = x", &t));
	/* (NOT true) OR true */
	assert_true(matches("NOT name = a OR stage = dev", &t));
	assert_false(matches("NOT (name = a OR stage = dev)", &t));
	assert_true(matches("NOT NOT name = a", &t));
	assert_true(matches("((name = a))", &t));
	assert_false(matches("not (name = a and stage = dev)", &t));
}

static void
test_filter_version_compares_by_precedence(void **state)
{
	tv t, rc;

	(void)state;
	tv_init(&t, "m", "3.10.0", 1);
	assert_true(matches("version > 3.9.0", &t));
	assert_false(matches("version < 3.9.0", &t));
	assert_true(matches("version >= 'v3.10.0'", &t));
	assert_true(matches("version = 3.10.0", &t));
	assert_true(matches("version != 3.1.0", &t));
	assert_true(matches("version GLOB '3.*'", &t));
	assert_false(matches("version GLOB '3.9*'", &t));
	tv_init(&rc, "m", "1.0.0-rc.1", 1);
	assert_true(matches("version < 1.0.0", &rc));
	assert_true(matches("version > 1.0.0-beta", &rc));
}

static void
test_filter_stage_accepts_stage_names_and_their_short_forms(void **state)
{
	tv t;

	(void)state;
	tv_init(&t, "m", "1.0.0", 3);
	assert_true(matches("stage = production", &t));
	assert_true(matches("stage = prod", &t));
	assert_true(matches("stage = 'PRODUCTION'", &t));
	assert_true(matches("stage != dev", &t));
	assert_false(matches("stage = staging", &t));
	assert_false(matches("stage != prod", &t));
}

static void
test_filter_created_at_compares_rfc3339_times(void **state)
{
	tv t;

	(void)state;
	tv_init(&t, "m", "1.0.0", 1);
	t.v.created_at_ms = 1705312800000LL; /* 2024-01-15T10:00:00Z */
	assert_true(matches("created_at = 2024-01-15T10:00:00Z", &t));
	assert_true(matches("created_at >= '2024-01-15'", &t));
	assert_true(matches("created_at < 2024-01-16", &t));
	assert_false(matches("created_at > 2024-01-15T10:00:00Z", &t));
	/* 10:00+02:00 is 08:00Z, before the version. */
	assert_true(matches("created_at > 2024-01-15T10:00:00+02:00", &t));
	assert_true(matches("created_at != 2024-01-15T10:00:01Z", &t));
}

static void
test_filter_key_values_compare_as_numbers_when_both_are(void **state)
{
	tv t;

	(void)state;
	tv_init(&t, "m", "1.0.0", 1);
	tv_param(&t, "max_depth", "10");
	tv_param(&t, "lr", "1e-3");
	tv_param(&t, "optimizer", "adam");
	/* Bytewise "10" < "5"; numerically 10 > 5. */
	assert_true(matches("hyperparameters.max_depth > 5", &t));
	assert_false(matches("hyperparameters.max_depth > '5'", &t));
	assert_true(matches("params.max_depth = 10.0", &t));
	assert_false(matches("params.max_depth = '10.0'", &t));
	assert_true(matches("params.lr < 0.01", &t));
	assert_true(matches("params.lr = 0.001", &t));
	/* A stored string that is not a number compares as text. */
	assert_true(matches("params.optimizer > 5", &t));
	assert_true(matches("params.optimizer = adam", &t));
	assert_true(matches("params.optimizer != sgd", &t));
}

static void
test_filter_string_fields_take_glob_contains_and_bytewise_order(void **state)
{
	tv t;

	(void)state;
	tv_init(&t, "m", "1.0.0", 1);
	t.v.description = "Gradient boosted trees for card fraud";
	t.v.created_by = "alice";
	t.md.framework = "xgboost";
	t.md.framework_version = "2.0.3";
	t.md.python_version = "3.11";
	t.md.experiment = "exp-003";
	t.md.training_data_version = "v2024-01";
	t.md.feature_set_version = "fs-7";
	t.md.increment = "inc-1";
	t.md.parent_model = "fraud@2.0.0";
	assert_true(matches("description CONTAINS 'card fraud'", &t));
	assert_false(matches("description CONTAINS 'Card'", &t));
	assert_true(matches("framework GLOB 'xgb*'", &t));
	assert_true(matches("framework = xgboost AND created_by = alice", &t));
	assert_true(matches("framework_version = 2.0.3", &t));
	assert_true(matches("framework_version < 2.1", &t));
	assert_true(matches("python_version = '3.11'", &t));
	assert_true(matches("python_version CONTAINS '3.1'", &t));
	assert_true(matches("experiment = exp-003", &t));
	assert_true(matches("training_data_version >= v2024-01", &t));
	assert_true(matches("feature_set_version = fs-7", &t));
	assert_true(matches("increment CONTAINS inc", &t));
	assert_true(matches("parent_model = 'fraud@2.0.0'", &t));
	/* The glob's '*' is literal in CONTAINS. */
	assert_false(matches("description CONTAINS '*'", &t));
}

static void
test_filter_exists_tests_the_presence_of_a_key(void **state)
{
	tmodel m;
	tv t;

	(void)state;
	tm_init(&m, "m");
	tm_tag(&m, "owner", "risk");
	tv_init(&t, "m", "1.0.0", 1);
	tv_metric(&t, "auc", 0.5);
	tv_tag(&t, "team", "");
	tv_param(&t, "depth", "3");
	assert_true(matches_m("metrics.auc EXISTS", &m.m, &t));
	assert_false(matches_m("metrics.loss EXISTS", &m.m, &t));
	assert_true(matches_m("tags.team exists", &m.m, &t));
	assert_false(matches_m("tags.owner EXISTS", &m.m, &t));
	assert_true(matches_m("model.tags.owner EXISTS", &m.m, &t));
	assert_true(matches_m("hyperparameters.depth EXISTS", &m.m, &t));
	assert_true(matches_m("NOT params.seed EXISTS", &m.m, &t));
}

static void
test_filter_deprecated_features_and_alias(void **state)
{
	tmodel m;
	tv a, b;

	(void)state;
	tm_init(&m, "m");
	tm_alias(&m, "champion", "2.0.0");
	tm_alias(&m, "challenger", "1.0.0");
	tv_init(&a, "m", "1.0.0", 1);
	tv_feature(&a, "amount");
	tv_feature(&a, "merchant_id");
	tv_deprecate(&a);
	tv_init(&b, "m", "2.0.0", 1);
	assert_true(matches("deprecated = true", &a));
	assert_true(matches("deprecated = FALSE", &b));
	assert_true(matches("deprecated != false", &a));
	assert_true(matches("features CONTAINS 'amount'", &a));
	assert_true(matches("features = merchant_id", &a));
	assert_false(matches("features = merchant", &a));
	assert_true(matches("features GLOB 'merch*'", &a));
	assert_true(matches("features != amount", &b));
	assert_false(matches("features != amount", &a));
	assert_true(matches_m("alias = champion", &m.m, &b));
	assert_false(matches_m("alias = champion", &m.m, &a));
	assert_true(matches_m("alias = challenger", &m.m, &a));
	assert_true(matches_m("alias != champion", &m.m, &a));
	assert_true(matches_m("alias GLOB 'ch*'", &m.m, &a));
}

static void
test_filter_needs_model_only_for_model_tags_and_alias(void **state)
{
	static const struct {
		const char *text;
		bool needs;
	} cases[] = {
		{ "", false },
		{ "tags.team = x AND stage = prod", false },
		{ "model.tags.owner = risk", true },
		{ "name = a OR NOT alias = champion", true },
	};
	tmodel m;
	tv t;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		filter *f = parse_ok(cases[i].text);
		assert_int_equal(filter_needs_model(f), cases[i].needs);
		filter_free(f);
	}
	tm_init(&m, "m");
	tm_tag(&m, "owner", "risk");
	tv_init(&t, "m", "1.0.0", 1);
	assert_true(matches_m("model.tags.owner = risk", &m.m, &t));
	assert_false(matches_m("model.tags.owner = ops", &m.m, &t));
	assert_false(matches_m("tags.owner = risk", &m.m, &t));
}

static void
test_filter_keywords_are_case_insensitive_and_fields_are_not(void **state)
{
	tv t;

	(void)state;
	tv_init(&t, "a", "1.0.0", 1);
	assert_true(matches("name = a aNd NOT name = b oR name = c", &t));
	assert_true(matches("name Contains a", &t));
	assert_string_equal(filter_error("Name = a"),
	    "filter: position 1: unknown field \"Name\" (did you mean "
	    "\"name\"?)");
}

static void
test_filter_empty_or_blank_matches_everything(void **state)
{
	filter *f;
	filter_plan plan;
	tv t;

	(void)state;
	tv_init(&t, "a", "1.0.0", 1);
	assert_true(matches("", &t));
	assert_true(matches("   \t\n ", &t));
	f = parse_ok(NULL);
	assert_true(filter_match(f, NULL, &t.v));
	filter_plan_get(f, &plan);
	assert_string_equal(plan.name_prefix, "");
	assert_int_equal(plan.stage, 0);
	assert_null(plan.tag_key);
	filter_free(f);
	filter_free(NULL);
}

static void
test_filter_quoted_strings_take_escapes(void **state)
{
	tv t;

	(void)state;
	tv_init(&t, "a", "1.0.0", 1);
	t.v.description = "it's \"quoted\" \\ here";
	assert_true(matches("description = 'it\\'s \"quoted\" \\\\ here'",
	    &t));
	assert_true(matches("description = \"it's \\\"quoted\\\" \\\\ here\"",
	    &t));
	assert_true(matches("description CONTAINS \"'\"", &t));
}

/* ---- parse errors ----------------------------------------------------- */

static void
test_filter_error_names_position_of_missing_value(void **state)
{
	(void)state;
	assert_string_equal(filter_error("metrics.accuracy >"),
	    "filter: position 19: expected a value after '>'");
	assert_string_equal(filter_error("metrics.accuracy >   "),
	    "filter: position 22: expected a value after '>'");
	assert_string_equal(filter_error("metrics.accuracy > AND stage = dev"),
	    "filter: position 20: expected a value after '>'");
	assert_string_equal(filter_error("name GLOB )"),
	    "filter: position 11: expected a value after 'GLOB'");
}

static void
test_filter_error_unknown_field_suggests_a_field(void **state)
{
	(void)state;
	assert_string_equal(filter_error("name = a AND stag = dev"),
	    "filter: position 14: unknown field \"stag\" (did you mean "
	    "\"stage\"?)");
	assert_string_equal(filter_error("metric.acc > 1"),
	    "filter: position 1: unknown field \"metric.acc\" (did you mean "
	    "\"metrics.acc\"?)");
	assert_string_equal(filter_error("modl.tags.x = 1"),
	    "filter: position 1: unknown field \"modl.tags.x\" (did you "
	    "mean \"model.tags.x\"?)");
	assert_string_equal(filter_error("acuracy > 0.8"),
	    "filter: position 1: unknown field \"acuracy\"; fields are name, "
	    "version, stage, description, created_by, created_at, "
	    "framework, framework_version, python_version, experiment, "
	    "training_data_version, feature_set_version, increment, "
	    "parent_model, deprecated, features, alias, metrics.K, tags.K, "
	    "model.tags.K, hyperparameters.K");
	assert_string_equal(filter_error("tags. = x"),
	    "filter: position 6: expected a key after 'tags.'");
}

static void
test_filter_error_unterminated_string_points_at_its_quote(void **state)
{
	(void)state;
	assert_string_equal(filter_error("name = 'abc"),
	    "filter: position 8: unterminated string");
	assert_string_equal(filter_error("name = \"abc\\\""),
	    "filter: position 8: unterminated string");
	assert_string_equal(filter_error("name = 'abc\\"),
	    "filter: position 8: unterminated string");
	assert_string_equal(filter_error("name = 'a\\nb'"),
	    "filter: position 10: unknown escape '\\n' (a string takes \\', "
	    "\\\" and \\\\)");
}

static void
test_filter_error_missing_close_paren(void **state)
{
	(void)state;
	assert_string_equal(filter_error("(name = a"),
	    "filter: position 10: expected ')'");
	assert_string_equal(filter_error("(name = a stage = dev)"),
	    "filter: position 11: expected ')'");
	assert_string_equal(filter_error("name = a)"),
	    "filter: position 9: unexpected ')'");
	assert_string_equal(filter_error("()"),
	    "filter: position 2: unexpected ')'");
}

static void
test_filter_error_unexpected_keyword_or_missing_comparison(void **state)
{
	(void)state;
	assert_string_equal(filter_error("AND name = a"),
	    "filter: position 1: unexpected 'AND'");
	assert_string_equal(filter_error("name = a AND OR stage = dev"),
	    "filter: position 14: unexpected 'OR'");
	assert_string_equal(filter_error("name = a AND"),
	    "filter: position 13: expected a comparison after 'AND'");
	assert_string_equal(filter_error("NOT"),
	    "filter: position 4: expected a comparison after 'NOT'");
	assert_string_equal(filter_error("name = a b"),
	    "filter: position 10: unexpected 'b'");
	assert_string_equal(filter_error("name a"),
	    "filter: position 6: expected an operator (=, !=, <, <=, >, >=, "
	    "GLOB, CONTAINS or EXISTS) after \"name\"");
	assert_string_equal(filter_error("= a"),
	    "filter: position 1: unexpected '='");
	assert_string_equal(filter_error("name = AND"),
	    "filter: position 8: expected a value after '='");
}

static void
test_filter_error_unexpected_characters(void **state)
{
	(void)state;
	assert_string_equal(filter_error("name = fraud-*"),
	    "filter: position 14: unexpected character '*' (quote glob "
	    "patterns: 'fraud-*')");
	assert_string_equal(filter_error("name ! a"),
	    "filter: position 6: unexpected '!' (did you mean '!=' or NOT?)");
	assert_string_equal(filter_error("name = a; drop"),
	    "filter: position 9: unexpected character ';'");
	assert_string_equal(filter_error("name = \xc3\xa9"),
	    "filter: position 8: unexpected byte 0xc3");
}

static void
test_filter_error_values_of_the_wrong_kind(void **state)
{
	(void)state;
	assert_string_equal(filter_error("stage = prod2"),
	    "filter: position 9: stage \"prod2\" is not a stage");
	assert_string_equal(filter_error("stage < production"),
	    "filter: position 7: '<' needs a number, a version or a time for "
	    "field stage");
	assert_string_equal(filter_error("deprecated >= true"),
	    "filter: position 12: '>=' needs a number, a version or a time "
	    "for field deprecated");
	assert_string_equal(filter_error("version > 3"),
	    "filter: position 11: field version needs a version such as "
	    "3.1.0, not \"3\"");
	assert_string_equal(filter_error("created_at > yesterday"),
	    "filter: position 14: field created_at needs an RFC 3339 time "
	    "such as 2024-01-15T10:00:00Z, not \"yesterday\"");
	assert_string_equal(filter_error("metrics.auc > 'high'"),
	    "filter: position 15: field metrics.auc needs a number, not "
	    "\"high\"");
	assert_string_equal(filter_error("metrics.auc > 1e999"),
	    "filter: position 15: field metrics.auc needs a number, not "
	    "\"1e999\"");
	assert_string_equal(filter_error("deprecated = yes"),
	    "filter: position 14: field deprecated needs true or false, not "
	    "\"yes\"");
	assert_string_equal(filter_error("metrics.auc GLOB '0.*'"),
	    "filter: position 13: GLOB does not apply to field metrics.auc");
	assert_string_equal(filter_error("stage CONTAINS prod"),
	    "filter: position 7: CONTAINS does not apply to field stage");
	assert_string_equal(filter_error("name EXISTS"),
	    "filter: position 6: EXISTS applies to metrics.K, tags.K, "
	    "model.tags.K and hyperparameters.K, not name");
}

static void
test_filter_error_limits_are_enforced_and_reached_exactly(void **state)
{
	char text[MR_FILTER_MAX + 64];
	size_t n = 0;
	filter *f;

	(void)state;
	/* Nesting: 32 levels parse, 33 do not. */
	for (int i = 0; i < FILTER_DEPTH_MAX; i++)
		text[n++] = '(';
	n += (size_t)sprintf(text + n, "name = a");
	for (int i = 0; i < FILTER_DEPTH_MAX; i++)
		text[n++] = ')';
	text[n] = '\0';
	filter_free(parse_ok(text));
	memmove(text + 4, text, n + 1);
	memcpy(text, "NOT ", 4);
	assert_string_equal(filter_error(text),
	    "filter: position 36: too deeply nested (limit 32)");

	/* Comparisons: 64 parse, 65 do not. */
	n = 0;
	for (int i = 0; i < FILTER_CMP_MAX; i++)
		n += (size_t)sprintf(text + n, "%sname = a", i ? " OR " : "");
	filter_free(parse_ok(text));
	sprintf(text + n, " OR name = a");
	assert_string_equal(filter_error(text),
	    "filter: position 769: too many comparisons (limit 64)");

	/* Length: MR_FILTER_MAX bytes parse, one more does not. */
	memset(text, ' ', MR_FILTER_MAX);
	memcpy(text, "name = a", 8);
	text[MR_FILTER_MAX] = '\0';
	f = parse_ok(text);
	filter_free(f);
	text[MR_FILTER_MAX] = ' ';
	text[MR_FILTER_MAX + 1] = '\0';
	assert_string_equal(filter_error(text),
	    "filter: position 4097: longer than the limit of 4096 bytes");
}

/* ---- index plan ------------------------------------------------------- */

static void
plan_of(const char *text, filter_plan *plan)
{
	static char key[64], value[64];
	filter *f = parse_ok(text);

	filter_plan_get(f, plan);
	/* tag_key and tag_value point into f: copy them out for the test. */
	if (plan->tag_key != NULL) {
		snprintf(key, sizeof(key), "%s", plan->tag_key);
		snprintf(value, sizeof(value), "%s", plan->tag_value);
		plan->tag_key = key;
		plan->tag_value = value;
	}
	filter_free(f);
}

static void
test_plan_takes_the_literal_prefix_of_a_name_glob(void **state)
{
	filter_plan p;

	(void)state;
	plan_of("name = 'fraud-*'", &p);
	assert_string_equal(p.name_prefix, "fraud-");
	assert_false(p.name_exact);
	plan_of("name GLOB 'fr[a]ud'", &p);
	assert_string_equal(p.name_prefix, "fr");
	assert_false(p.name_exact);
	plan_of("name GLOB 'a\\\\*b*'", &p);
	assert_string_equal(p.name_prefix, "a");
	plan_of("name = fraud-detector", &p);
	assert_string_equal(p.name_prefix, "fraud-detector");
	assert_true(p.name_exact);
	plan_of("name = '*x'", &p);
	assert_string_equal(p.name_prefix, "");
	plan_of("name != fraud", &p);
	assert_string_equal(p.name_prefix, "");
	/* The exact name wins over a prefix, wherever it stands. */
	plan_of("name = 'f*' AND name = fraud", &p);
	assert_string_equal(p.name_prefix, "fraud");
	assert_true(p.name_exact);
}

static void
test_plan_reads_stage_and_tag_from_top_level_conjuncts(void **state)
{
	filter_plan p;

	(void)state;
	plan_of("metrics.accuracy > 0.85 AND tags.team = 'fraud' AND "
		"stage = production",
	    &p);
	assert_int_equal(p.stage, 3);
	assert_string_equal(p.tag_key, "team");
	assert_string_equal(p.tag_value, "fraud");
	assert_string_equal(p.name_prefix, "");
	plan_of("(stage = dev AND name = 'x*') AND tags.k = v", &p);
	assert_int_equal(p.stage, 1);
	assert_string_equal(p.name_prefix, "x");
	assert_string_equal(p.tag_key, "k");
	/* 6 also matches "6.0": no index can find that by value. */
	plan_of("tags.depth = 6", &p);
	assert_null(p.tag_key);
	plan_of("stage != dev AND model.tags.team = fraud", &p);
	assert_int_equal(p.stage, 0);
	assert_null(p.tag_key);
}

static void
test_plan_ignores_conjuncts_under_or_and_not(void **state)
{
	filter_plan p;

	(void)state;
	plan_of("stage = production OR tags.team = fraud", &p);
	assert_int_equal(p.stage, 0);
	assert_null(p.tag_key);
	plan_of("name = 'fraud-*' AND (stage = dev OR stage = staging)", &p);
	assert_string_equal(p.name_prefix, "fraud-");
	assert_int_equal(p.stage, 0);
	plan_of("NOT (name = fraud AND stage = dev)", &p);
	assert_string_equal(p.name_prefix, "");
	assert_int_equal(p.stage, 0);
	plan_of("NOT name = fraud AND stage = dev", &p);
	assert_string_equal(p.name_prefix, "");
	assert_int_equal(p.stage, 1);
}

/* ---- order_by --------------------------------------------------------- */

static void
test_order_default_is_name_then_version_ascending(void **state)
{
	static const struct {
		const char *text;
		bool is_default;
	} cases[] = {
		{ "", true },
		{ "  ", true },
		{ "name", true },
		{ "name ASC", true },
		{ "name, version", true },
		{ "NAME asc , version ASC", true },
		{ "name, version, stage desc", true },
		{ "name desc", false },
		{ "version", false },
		{ "name, version desc", false },
		{ "name, stage", false },
		{ "metrics.accuracy desc, name", false },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		filter_order *o = NULL;
		mr_err e;
		mr_status rv = filter_order_parse(cases[i].text, &o, &e);
		/* Field names are case-sensitive. */
		if (strncmp(cases[i].text, "NAME", 4) == 0) {
			assert_int_equal(rv, MR_INVALID_ARGUMENT);
			continue;
		}
		assert_int_equal(rv, MR_OK);
		assert_int_equal(filter_order_is_default(o),
		    cases[i].is_default);
		filter_order_free(o);
	}
	filter_order_free(NULL);
}

static void
test_order_errors_name_their_position(void **state)
{
	(void)state;
	assert_string_equal(order_error("accuracy desc"),
	    "order_by: position 1: unknown field \"accuracy\"; fields are "
	    "name, version, stage, created_by, created_at, framework, "
	    "framework_version, python_version, experiment, "
	    "training_data_version, feature_set_version, increment, "
	    "deprecated, metrics.K, tags.K, model.tags.K, hyperparameters.K");
	assert_string_equal(order_error("name, metric.auc"),
	    "order_by: position 7: unknown field \"metric.auc\" (did you "
	    "mean \"metrics.auc\"?)");
	assert_string_equal(order_error("description"),
	    "order_by: position 1: cannot order by description");
	assert_string_equal(order_error("name,"),
	    "order_by: position 6: expected a field after ','");
	assert_string_equal(order_error("name,,version"),
	    "order_by: position 6: expected a field, not ','");
	assert_string_equal(order_error("name downward"),
	    "order_by: position 6: expected ',' or the end, not 'downward'");
	assert_string_equal(order_error("name desc asc"),
	    "order_by: position 11: expected ',' or the end, not 'asc'");
	assert_string_equal(order_error("'name'"),
	    "order_by: position 1: expected a field, not 'name'");
	assert_string_equal(order_error("name, version, stage, created_at, "
					"created_by, framework, experiment, "
					"increment, deprecated"),
	    "order_by: position 81: too many terms (limit 8)");
	assert_string_equal(order_error("metrics."),
	    "order_by: position 9: expected a key after 'metrics.'");
}

/* Sorts `n` versions by their keys under `order` and writes
 * "name@version ..." into out. */
static void
sorted(const char *order, const mr_pb_model *m, tv **ts, size_t n,
    char *out, size_t outsz)
{
	filter_order *o = order_ok(order);
	uint8_t(*keys)[FILTER_KEY_MAX] = calloc(n, FILTER_KEY_MAX);
	size_t *lens = calloc(n, sizeof(size_t)), pos = 0;
	size_t *idx = calloc(n, sizeof(size_t));

	assert_non_null(keys);
	for (size_t i = 0; i < n; i++) {
		lens[i] = filter_order_key(o, m, &ts[i]->v, keys[i]);
		assert_true(lens[i] <= FILTER_KEY_MAX);
		idx[i] = i;
	}
	/* Insertion sort by memcmp, the shorter key first on a tie. */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0; j--) {
			size_t a = idx[j - 1], b = idx[j];
			size_t l = lens[a] < lens[b] ? lens[a] : lens[b];
			int c = memcmp(keys[a], keys[b], l);
			assert_false(c == 0 && lens[a] == lens[b]); /* unique */
			if (c < 0 || (c == 0 && lens[a] < lens[b]))
				break;
			idx[j - 1] = b;
			idx[j] = a;
		}
	out[0] = '\0';
	for (size_t i = 0; i < n; i++)
		pos += (size_t)snprintf(out + pos, outsz - pos, "%s%s@%s",
		    i ? " " : "", ts[idx[i]]->v.name, ts[idx[i]]->v.version);
	free(keys);
	free(lens);
	free(idx);
	filter_order_free(o);
}

static void
test_order_key_desc_reverses_metric_order(void **state)
{
	tv a, b, c;
	tv *ts[] = { &a, &b, &c };
	char out[256];

	(void)state;
	tv_init(&a, "a", "1.0.0", 1);
	tv_metric(&a, "auc", 0.5);
	tv_init(&b, "b", "1.0.0", 1);
	tv_metric(&b, "auc", -2.5);
	tv_init(&c, "c", "1.0.0", 1);
	tv_metric(&c, "auc", 0.75);
	sorted("metrics.auc", NULL, ts, 3, out, sizeof(out));
	assert_string_equal(out, "b@1.0.0 a@1.0.0 c@1.0.0");
	sorted("metrics.auc DESC", NULL, ts, 3, out, sizeof(out));
	assert_string_equal(out, "c@1.0.0 a@1.0.0 b@1.0.0");
}

static void
test_order_key_puts_missing_values_last_both_ways(void **state)
{
	tv a, b, c, d;
	tv *ts[] = { &a, &b, &c, &d };
	char out[256];

	(void)state;
	tv_init(&a, "a", "1.0.0", 1);
	tv_init(&b, "b", "1.0.0", 1);
	tv_metric(&b, "auc", 0.1);
	tv_tag(&b, "team", "x");
	tv_init(&c, "c", "1.0.0", 1);
	c.v.metadata = NULL;
	tv_init(&d, "d", "1.0.0", 1);
	tv_metric(&d, "auc", 0.2);
	tv_tag(&d, "team", "y");
	sorted("metrics.auc", NULL, ts, 4, out, sizeof(out));
	assert_string_equal(out, "b@1.0.0 d@1.0.0 a@1.0.0 c@1.0.0");
	sorted("metrics.auc desc", NULL, ts, 4, out, sizeof(out));
	assert_string_equal(out, "d@1.0.0 b@1.0.0 a@1.0.0 c@1.0.0");
	sorted("tags.team desc", NULL, ts, 4, out, sizeof(out));
	assert_string_equal(out, "d@1.0.0 b@1.0.0 a@1.0.0 c@1.0.0");
}

static void
test_order_key_breaks_ties_by_name_then_version(void **state)
{
	tv a, b, c, d;
	tv *ts[] = { &a, &b, &c, &d };
	char out[256];

	(void)state;
	tv_init(&a, "m", "3.10.0", 3);
	tv_init(&b, "m", "3.9.0", 3);
	tv_init(&c, "l", "9.0.0", 3);
	tv_init(&d, "m", "3.10.0-rc.1", 3);
	sorted("", NULL, ts, 4, out, sizeof(out));
	assert_string_equal(out, "l@9.0.0 m@3.9.0 m@3.10.0-rc.1 m@3.10.0");
	sorted("stage desc", NULL, ts, 4, out, sizeof(out));
	assert_string_equal(out, "l@9.0.0 m@3.9.0 m@3.10.0-rc.1 m@3.10.0");
	sorted("version desc", NULL, ts, 4, out, sizeof(out));
	assert_string_equal(out, "l@9.0.0 m@3.10.0 m@3.10.0-rc.1 m@3.9.0");
	sorted("name desc, version", NULL, ts, 4, out, sizeof(out));
	assert_string_equal(out, "m@3.9.0 m@3.10.0-rc.1 m@3.10.0 l@9.0.0");
}

static void
test_order_key_orders_strings_by_prefix_and_times_by_sign(void **state)
{
	tv a, b, c;
	tv *ts[] = { &a, &b, &c };
	char out[256];

	(void)state;
	tv_init(&a, "a", "1.0.0", 1);
	a.v.created_by = "bob";
	a.v.created_at_ms = 5;
	tv_init(&b, "b", "1.0.0", 1);
	b.v.created_by = "bo";
	b.v.created_at_ms = -5;
	tv_init(&c, "c", "1.0.0", 1);
	c.v.created_by = "bob\xff";
	c.v.created_at_ms = 0;
	sorted("created_by", NULL, ts, 3, out, sizeof(out));
	assert_string_equal(out, "b@1.0.0 a@1.0.0 c@1.0.0");
	sorted("created_by desc", NULL, ts, 3, out, sizeof(out));
	assert_string_equal(out, "c@1.0.0 a@1.0.0 b@1.0.0");
	sorted("created_at", NULL, ts, 3, out, sizeof(out));
	assert_string_equal(out, "b@1.0.0 c@1.0.0 a@1.0.0");
	sorted("created_at desc", NULL, ts, 3, out, sizeof(out));
	assert_string_equal(out, "a@1.0.0 c@1.0.0 b@1.0.0");
}

static void
test_order_key_sorts_numeric_key_values_numerically_first(void **state)
{
	tv a, b, c, d;
	tv *ts[] = { &a, &b, &c, &d };
	char out[256];

	(void)state;
	tv_init(&a, "a", "1.0.0", 1);
	tv_param(&a, "max_depth", "10");
	tv_init(&b, "b", "1.0.0", 1);
	tv_param(&b, "max_depth", "auto");
	tv_init(&c, "c", "1.0.0", 1);
	tv_param(&c, "max_depth", "2");
	tv_init(&d, "d", "1.0.0", 1);
	sorted("params.max_depth", NULL, ts, 4, out, sizeof(out));
	assert_string_equal(out, "c@1.0.0 a@1.0.0 b@1.0.0 d@1.0.0");
	sorted("hyperparameters.max_depth desc", NULL, ts, 4, out,
	    sizeof(out));
	assert_string_equal(out, "b@1.0.0 a@1.0.0 c@1.0.0 d@1.0.0");
}

static void
test_order_key_reads_model_tags_and_deprecation(void **state)
{
	tmodel m;
	tv a, b;
	tv *ts[] = { &a, &b };
	char out[256];
	filter_order *o;

	(void)state;
	tm_init(&m, "m");
	tm_tag(&m, "tier", "gold");
	tv_init(&a, "a", "1.0.0", 1);
	tv_deprecate(&a);
	tv_init(&b, "b", "1.0.0", 1);
	sorted("deprecated, name", NULL, ts, 2, out, sizeof(out));
	assert_string_equal(out, "b@1.0.0 a@1.0.0");
	o = order_ok("model.tags.tier desc");
	assert_true(filter_order_needs_model(o));
	filter_order_free(o);
	o = order_ok("tags.tier desc");
	assert_false(filter_order_needs_model(o));
	filter_order_free(o);
	sorted("model.tags.tier", &m.m, ts, 2, out, sizeof(out));
	assert_string_equal(out, "a@1.0.0 b@1.0.0");
}

static uint64_t
xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static void
test_order_key_of_doubles_is_numeric_order(void **state)
{
	filter_order *o = order_ok("metrics.x, name");
	uint64_t seed = 42;
	tv a, b;

	(void)state;
	tv_init(&a, "a", "1.0.0", 1);
	tv_metric(&a, "x", 0);
	tv_init(&b, "a", "1.0.0", 1);
	tv_metric(&b, "x", 0);
	for (int i = 0; i < 20000; i++) {
		static uint8_t ka[FILTER_KEY_MAX], kb[FILTER_KEY_MAX];
		uint64_t ra = xorshift(&seed), rb = xorshift(&seed);
		double x, y;
		size_t la, lb;
		int c;

		/* Random bit patterns cover subnormals, infinities and
		 * signs; NaNs are skipped. Every fourth pair is near. */
		memcpy(&x, &ra, 8);
		memcpy(&y, &rb, 8);
		if (i % 4 == 0)
			y = nextafter(x, (i & 8) ? INFINITY : -INFINITY);
		if (isnan(x) || isnan(y))
			continue;
		a.me[0].value = x;
		b.me[0].value = y;
		la = filter_order_key(o, NULL, &a.v, ka);
		lb = filter_order_key(o, NULL, &b.v, kb);
		assert_int_equal(la, lb);
		c = memcmp(ka, kb, la);
		if (x < y)
			assert_true(c < 0);
		else if (x > y)
			assert_true(c > 0);
		else
			assert_int_equal(c, 0);
	}
	filter_order_free(o);
}

/* ---- hostile input ---------------------------------------------------- */

static const char *const pieces[] = { "name", "version", "stage",
	"metrics.auc", "tags.team", "model.tags.t", "params.x", "created_at",
	"deprecated", "features", "alias", "description", "=", "!=", "<",
	"<=", ">", ">=", "GLOB", "contains", "EXISTS", "AND", "or", "NOT",
	"(", ")", "'", "\"", "\\", "'x*'", "\"a\\\"b\"", "0.85", "-1e308",
	"1e999", "3.10.0", "prod", "2024-01-15T10:00:00Z", "true", "asc",
	"DESC", ",", " ", " ", "*", "!", "\t", "nan", "inf", "0x1p3", ".", "" };
#define N_PIECES (sizeof(pieces) / sizeof(pieces[0]))

/* Either parsed, or refused with a position inside the text (or just
 * past it). */
static void
check_refusal(mr_status rv, const mr_err *e, const char *what,
    const char *text)
{
	char prefix[32];
	unsigned long pos;
	int n = snprintf(prefix, sizeof(prefix), "%s: position ", what);

	if (rv == MR_OK)
		return;
	if (rv != MR_INVALID_ARGUMENT ||
	    strncmp(e->msg, prefix, (size_t)n) != 0 ||
	    sscanf(e->msg + n, "%lu", &pos) != 1 || pos < 1 ||
	    pos > strlen(text) + 1)
		fail_msg("%s \"%s\": %d %s", what, text, rv, e->msg);
}

static void
exercise(const char *text, const tmodel *m, const tv *t)
{
	static uint8_t key[FILTER_KEY_MAX];
	filter_order *o = NULL;
	filter *f = NULL;
	filter_plan plan;
	mr_err e;
	mr_status rv;

	rv = filter_parse(text, &f, &e);
	check_refusal(rv, &e, "filter", text);
	if (rv == MR_OK) {
		(void)filter_match(f, &m->m, &t->v);
		filter_plan_get(f, &plan);
		assert_true(strlen(plan.name_prefix) <= MR_NAME_MAX);
		filter_free(f);
	}
	rv = filter_order_parse(text, &o, &e);
	check_refusal(rv, &e, "order_by", text);
	if (rv == MR_OK) {
		assert_true(filter_order_key(o, &m->m, &t->v, key) <=
		    FILTER_KEY_MAX);
		filter_order_free(o);
	}
}

/*
 * Appends a random valid filter of up to `n` operands to text[*len]. It
 * stops adding operands once *budget comparisons are written, so that it
 * writes at most *budget + 6 comparisons of at most 40 bytes each.
 */
static void
gen_valid(char *text, size_t *len, int n, int depth, int *budget,
    uint64_t *seed)
{
	static const char *const cmps[] = { "name = 'fraud-*'",
		"version >= 3.9.0", "stage = prod", "metrics.auc > 0.5",
		"tags.team = fraud", "model.tags.t EXISTS", "params.x < 7",
		"created_at < 2030-01-01", "deprecated = false",
		"features CONTAINS amount", "alias = champion",
		"description GLOB '*'", "created_by CONTAINS z" };
	static const char *const joins[] = { " AND ", " OR ", " and NOT " };

	for (int i = 0; i < n; i++) {
		if (i > 0 && *budget <= 0)
			break;
		if (i > 0)
			*len += (size_t)sprintf(text + *len, "%s",
			    joins[xorshift(seed) % 3]);
		if (depth < 6 && xorshift(seed) % 4 == 0) {
			*len += (size_t)sprintf(text + *len, "(");
			gen_valid(text, len, 1 + (int)(xorshift(seed) % 3),
			    depth + 1, budget, seed);
			*len += (size_t)sprintf(text + *len, ")");
		} else {
			*len += (size_t)sprintf(text + *len, "%s",
			    cmps[xorshift(seed) % (sizeof(cmps) /
						      sizeof(cmps[0]))]);
			--*budget;
		}
	}
}

/* Valid filters parse, and NOT (E) matches exactly what E does not. */
static void
test_generated_filters_parse_and_not_inverts_them(void **state)
{
	static char text[MR_FILTER_MAX + 2], negated[MR_FILTER_MAX + 8];
	uint64_t seed = 7;
	tmodel m;
	tv t;

	(void)state;
	tm_init(&m, "m");
	tm_tag(&m, "t", "x");
	tm_alias(&m, "champion", "3.10.0");
	tv_init(&t, "fraud-x", "3.10.0", 3);
	tv_metric(&t, "auc", 0.9);
	tv_tag(&t, "team", "fraud");
	tv_param(&t, "x", "6");
	t.v.created_at_ms = 1705312800000LL;
	for (int round = 0; round < 2000; round++) {
		size_t len = 0;
		int budget = 40;
		filter *f, *g;
		bool r;

		gen_valid(text, &len, 1 + (int)(xorshift(&seed) % 6), 0,
		    &budget, &seed);
		snprintf(negated, sizeof(negated), "NOT (%s)", text);
		f = parse_ok(text);
		g = parse_ok(negated);
		r = filter_match(f, &m.m, &t.v);
		assert_int_equal(filter_match(g, &m.m, &t.v), !r);
		filter_free(f);
		filter_free(g);
	}
}

static void
test_hostile_input_parses_or_is_refused_with_a_position(void **state)
{
	static char text[MR_FILTER_MAX + 2];
	static char longs[300];
	uint64_t seed = 0x9e3779b97f4a7c15ull;
	tmodel m;
	tv t;

	(void)state;
	tm_init(&m, "m");
	tm_tag(&m, "t", "x");
	tm_alias(&m, "champion", "3.10.0");
	tv_init(&t, "fraud", "3.10.0", 3);
	tv_metric(&t, "auc", 0.9);
	tv_tag(&t, "team", "fraud");
	memset(longs, 'z', sizeof(longs) - 1);
	tv_param(&t, "x", longs);
	t.v.created_by = longs;
	for (int round = 0; round < 6000; round++) {
		size_t n = 0, want = xorshift(&seed) % 64;
		int mode = round % 3;

		if (mode == 0) {
			/* Tokens of the grammar, glued at random. */
			for (size_t i = 0; i < want; i++) {
				const char *p = pieces[xorshift(&seed) %
				    N_PIECES];
				size_t l = strlen(p);
				if (n + l + 1 >= sizeof(text))
					break;
				memcpy(text + n, p, l);
				n += l;
				if (xorshift(&seed) % 2)
					text[n++] = ' ';
			}
		} else if (mode == 1) {
			/* Random non-NUL bytes. */
			for (n = 0; n < want * 2; n++)
				text[n] = (char)(1 + xorshift(&seed) % 255);
		} else {
			/* A valid filter, mutated. */
			static const char *const valid[] = {
				"metrics.accuracy > 0.85 AND tags.team = "
				"'fraud' AND stage = production",
				"NOT (name = 'fraud-*' OR version >= 3.9.0) "
				"AND created_at < 2024-01-15T10:00:00Z",
				"metrics.auc desc, name, version asc",
				"features CONTAINS \"a\\\"b\" OR alias = x",
			};
			const char *v = valid[xorshift(&seed) % 4];
			n = strlen(v);
			memcpy(text, v, n);
			for (int k = 1 + (int)(xorshift(&seed) % 4); k > 0;
			     k--) {
				size_t at = xorshift(&seed) % (n + 1);
				static const char alpha[] = "()'\"\\=<>!, "
							    "*?.-aNdOr09";
				char c = xorshift(&seed) % 2
				    ? alpha[xorshift(&seed) %
					  (sizeof(alpha) - 1)]
				    : (char)(1 + xorshift(&seed) % 255);
				switch (xorshift(&seed) % 3) {
				case 0: /* replace */
					if (at < n)
						text[at] = c;
					break;
				case 1: /* delete */
					if (at < n) {
						memmove(text + at,
						    text + at + 1, n - at - 1);
						n--;
					}
					break;
				default: /* insert */
					memmove(text + at + 1, text + at,
					    n - at);
					text[at] = c;
					n++;
				}
			}
		}
		text[n] = '\0';
		exercise(text, &m, &t);
	}
	/* Extremes: one token repeated to the length limit and past. */
	{
		static const char *const reps[] = { "(", "NOT ", "'",
			"name = a AND ", "a", "9", "\\", ")" };
		for (size_t r = 0; r < sizeof(reps) / sizeof(reps[0]); r++) {
			size_t l = strlen(reps[r]), n = 0;
			while (n + l <= MR_FILTER_MAX + 1) {
				memcpy(text + n, reps[r], l);
				n += l;
			}
			text[n] = '\0';
			exercise(text, &m, &t);
			text[MR_FILTER_MAX] = '\0';
			exercise(text, &m, &t);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_filter_issue_example_matches_only_the_fraud_production_version),
		cmocka_unit_test(test_filter_metric_greater_matches_only_higher),
		cmocka_unit_test(
		    test_filter_missing_metric_never_matches_not_even_not_equal),
		cmocka_unit_test(
		    test_filter_name_equals_with_metacharacters_is_a_glob),
		cmocka_unit_test(test_filter_and_binds_tighter_than_or),
		cmocka_unit_test(
		    test_filter_not_applies_to_one_factor_and_parentheses_group),
		cmocka_unit_test(test_filter_version_compares_by_precedence),
		cmocka_unit_test(
		    test_filter_stage_accepts_stage_names_and_their_short_forms),
		cmocka_unit_test(test_filter_created_at_compares_rfc3339_times),
		cmocka_unit_test(
		    test_filter_key_values_compare_as_numbers_when_both_are),
		cmocka_unit_test(
		    test_filter_string_fields_take_glob_contains_and_bytewise_order),
		cmocka_unit_test(test_filter_exists_tests_the_presence_of_a_key),
		cmocka_unit_test(test_filter_deprecated_features_and_alias),
		cmocka_unit_test(
		    test_filter_needs_model_only_for_model_tags_and_alias),
		cmocka_unit_test(
		    test_filter_keywords_are_case_insensitive_and_fields_are_not),
		cmocka_unit_test(test_filter_empty_or_blank_matches_everything),
		cmocka_unit_test(test_filter_quoted_strings_take_escapes),
		cmocka_unit_test(
		    test_filter_error_names_position_of_missing_value),
		cmocka_unit_test(
		    test_filter_error_unknown_field_suggests_a_field),
		cmocka_unit_test(
		    test_filter_error_unterminated_string_points_at_its_quote),
		cmocka_unit_test(test_filter_error_missing_close_paren),
		cmocka_unit_test(
		    test_filter_error_unexpected_keyword_or_missing_comparison),
		cmocka_unit_test(test_filter_error_unexpected_characters),
		cmocka_unit_test(test_filter_error_values_of_the_wrong_kind),
		cmocka_unit_test(
		    test_filter_error_limits_are_enforced_and_reached_exactly),
		cmocka_unit_test(
		    test_plan_takes_the_literal_prefix_of_a_name_glob),
		cmocka_unit_test(
		    test_plan_reads_stage_and_tag_from_top_level_conjuncts),
		cmocka_unit_test(test_plan_ignores_conjuncts_under_or_and_not),
		cmocka_unit_test(
		    test_order_default_is_name_then_version_ascending),
		cmocka_unit_test(test_order_errors_name_their_position),
		cmocka_unit_test(test_order_key_desc_reverses_metric_order),
		cmocka_unit_test(
		    test_order_key_puts_missing_values_last_both_ways),
		cmocka_unit_test(test_order_key_breaks_ties_by_name_then_version),
		cmocka_unit_test(
		    test_order_key_orders_strings_by_prefix_and_times_by_sign),
		cmocka_unit_test(
		    test_order_key_sorts_numeric_key_values_numerically_first),
		cmocka_unit_test(test_order_key_reads_model_tags_and_deprecation),
		cmocka_unit_test(test_order_key_of_doubles_is_numeric_order),
		cmocka_unit_test(
		    test_generated_filters_parse_and_not_inverts_them),
		cmocka_unit_test(
		    test_hostile_input_parses_or_is_refused_with_a_position),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
