/*
 * test_compare.c - compare.c on records built in memory: metric goals
 * (configured and guessed from names), signature breaks and their text,
 * the automatic version bump and the rule it reports, and the
 * CompareVersions verdict, recommendation and reasons, including the
 * example of the issue that asked for it (3.0.0 against 3.1.0).
 *
 * compare.c reads no store, so the tests need no store either: a zeroed
 * svc_call is enough for svc_alloc, and the fixture runs its deferred
 * frees the way the dispatcher does once a reply is packed.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "svctest.h"
#include "testutil.h"

#define HIGHER MODELREG__V1__METRIC_GOAL__METRIC_GOAL_HIGHER
#define LOWER MODELREG__V1__METRIC_GOAL__METRIC_GOAL_LOWER
#define DEFAULT_GOAL MODELREG__V1__METRIC_GOAL__METRIC_GOAL_DEFAULT
#define MAJOR MODELREG__V1__BUMP__BUMP_MAJOR
#define MINOR MODELREG__V1__BUMP__BUMP_MINOR
#define PATCH MODELREG__V1__BUMP__BUMP_PATCH
#define ADDED MODELREG__V1__CHANGE_KIND__CHANGE_ADDED
#define REMOVED MODELREG__V1__CHANGE_KIND__CHANGE_REMOVED
#define RETYPED MODELREG__V1__CHANGE_KIND__CHANGE_RETYPED
#define MOVED MODELREG__V1__CHANGE_KIND__CHANGE_MOVED
#define V_CANDIDATE MODELREG__V1__VERDICT__VERDICT_CANDIDATE
#define V_BASELINE MODELREG__V1__VERDICT__VERDICT_BASELINE
#define V_EQUIVALENT MODELREG__V1__VERDICT__VERDICT_EQUIVALENT
#define V_MIXED MODELREG__V1__VERDICT__VERDICT_MIXED

#define N_MAX 16

/* ---- records built in place -------------------------------------------- */

/* A version record with room for its metadata, signature and manifest. */
struct ver {
	mr_pb_version v;
	Modelreg__V1__Metadata md;
	Modelreg__V1__Metadata__MetricsEntry me[N_MAX];
	Modelreg__V1__Metadata__MetricsEntry *mp[N_MAX];
	char *features[N_MAX];
	Modelreg__V1__Signature sig;
	Modelreg__V1__Field in[N_MAX], out[N_MAX];
	Modelreg__V1__Field *inp[N_MAX], *outp[N_MAX];
	Modelreg__V1__Manifest man;
	Modelreg__V1__Deprecation dep;
};

static void
ver_init(struct ver *x, const char *version)
{
	memset(x, 0, sizeof(*x));
	modelreg__v1__model_version__init(&x->v);
	modelreg__v1__metadata__init(&x->md);
	modelreg__v1__signature__init(&x->sig);
	modelreg__v1__manifest__init(&x->man);
	x->v.name = "fraud";
	x->v.version = (char *)version;
	x->v.metadata = &x->md;
	x->v.signature = &x->sig;
	x->md.metrics = x->mp;
	x->md.features = x->features;
	x->sig.inputs = x->inp;
	x->sig.outputs = x->outp;
}

static void
ver_metric(struct ver *x, const char *name, double value)
{
	size_t i = x->md.n_metrics++;

	assert_true(i < N_MAX);
	modelreg__v1__metadata__metrics_entry__init(&x->me[i]);
	x->me[i].key = (char *)name;
	x->me[i].value = value;
	x->mp[i] = &x->me[i];
}

static void
ver_feature(struct ver *x, const char *name)
{
	assert_true(x->md.n_features < N_MAX);
	x->features[x->md.n_features++] = (char *)name;
}

static void
ver_field(struct ver *x, bool output, const char *name, const char *type)
{
	Modelreg__V1__Field *f = output ? &x->out[x->sig.n_outputs]
					: &x->in[x->sig.n_inputs];

	assert_true((output ? x->sig.n_outputs : x->sig.n_inputs) < N_MAX);
	modelreg__v1__field__init(f);
	f->name = (char *)name;
	f->type = (char *)type;
	if (output)
		x->outp[x->sig.n_outputs++] = f;
	else
		x->inp[x->sig.n_inputs++] = f;
}

static void
ver_size(struct ver *x, uint64_t size)
{
	x->man.total_size = size;
	x->v.manifest = &x->man;
}

static void
ver_deprecate(struct ver *x, const char *reason)
{
	modelreg__v1__deprecation__init(&x->dep);
	x->dep.reason = (char *)reason;
	x->v.deprecation = &x->dep;
}

/* A model with room for metric goals. */
struct mdl {
	mr_pb_model m;
	Modelreg__V1__Model__MetricGoalsEntry g[N_MAX];
	Modelreg__V1__Model__MetricGoalsEntry *gp[N_MAX];
};

static void
mdl_init(struct mdl *x, const char *primary)
{
	memset(x, 0, sizeof(*x));
	modelreg__v1__model__init(&x->m);
	x->m.name = "fraud";
	x->m.primary_metric = (char *)primary;
	x->m.metric_goals = x->gp;
}

static void
mdl_goal(struct mdl *x, const char *metric, Modelreg__V1__MetricGoal goal)
{
	size_t i = x->m.n_metric_goals++;

	assert_true(i < N_MAX);
	modelreg__v1__model__metric_goals_entry__init(&x->g[i]);
	x->g[i].key = (char *)metric;
	x->g[i].value = goal;
	x->gp[i] = &x->g[i];
}

/* ---- calls ------------------------------------------------------------- */

static int
call_setup(void **state)
{
	svc_call *c = calloc(1, sizeof(*c));

	if (c == NULL)
		return -1;
	c->user = "alice";
	*state = c;
	return 0;
}

/* What the dispatcher does after packing: deferred frees, newest first. */
static int
call_teardown(void **state)
{
	svc_call *c = *state;

	while (c->n_deferred > 0) {
		struct svc_deferred *d = &c->deferred[--c->n_deferred];
		d->fn(d->p);
	}
	free(c->deferred);
	free(c);
	return 0;
}

static void
compare(svc_call *c, const struct mdl *m, struct ver *a, struct ver *b,
    Modelreg__V1__CompareVersionsResponse *out)
{
	modelreg__v1__compare_versions_response__init(out);
	out->baseline = &a->v;
	out->candidate = &b->v;
	if (compare_versions(c, m != NULL ? &m->m : NULL, &a->v, &b->v, out) !=
	    MR_OK)
		fail_msg("compare_versions: %s", c->err.msg);
	/* The reply must pack: every pointer hung on it is valid. */
	{
		size_t len =
		    modelreg__v1__compare_versions_response__get_packed_size(
			out);
		uint8_t *buf = malloc(len ? len : 1);
		Modelreg__V1__CompareVersionsResponse *back;
		assert_non_null(buf);
		modelreg__v1__compare_versions_response__pack(out, buf);
		back = modelreg__v1__compare_versions_response__unpack(NULL,
		    len, buf);
		assert_non_null(back);
		assert_int_equal(back->n_metrics, out->n_metrics);
		assert_int_equal(back->n_reasons, out->n_reasons);
		modelreg__v1__compare_versions_response__free_unpacked(back,
		    NULL);
		free(buf);
	}
}

static bool
has_reason(const Modelreg__V1__CompareVersionsResponse *out,
    const char *text)
{
	for (size_t i = 0; i < out->n_reasons; i++)
		if (strcmp(out->reasons[i], text) == 0)
			return true;
	return false;
}

static void
assert_reason(const Modelreg__V1__CompareVersionsResponse *out,
    const char *text)
{
	if (!has_reason(out, text)) {
		for (size_t i = 0; i < out->n_reasons; i++)
			print_message("reason: %s\n", out->reasons[i]);
		fail_msg("no reason \"%s\"", text);
	}
}

static void
assert_near(double x, double y)
{
	if (fabs(x - y) > 1e-9)
		fail_msg("%.12g is not %.12g", x, y);
}

static const Modelreg__V1__MetricDelta *
delta(const Modelreg__V1__CompareVersionsResponse *out, const char *name)
{
	for (size_t i = 0; i < out->n_metrics; i++)
		if (strcmp(out->metrics[i]->name, name) == 0)
			return out->metrics[i];
	fail_msg("no metric %s", name);
	return NULL;
}

/* ---- metric goals ------------------------------------------------------ */

static void
test_metric_goal_configured_overrides_name(void **state)
{
	struct mdl m;

	(void)state;
	mdl_init(&m, "");
	mdl_goal(&m, "latency_budget_used", HIGHER);
	mdl_goal(&m, "accuracy", LOWER);
	mdl_goal(&m, "val_loss", DEFAULT_GOAL);
	assert_int_equal(compare_metric_goal(&m.m, "latency_budget_used"),
	    HIGHER);
	assert_int_equal(compare_metric_goal(&m.m, "accuracy"), LOWER);
	/* DEFAULT is no setting: the name decides. */
	assert_int_equal(compare_metric_goal(&m.m, "val_loss"), LOWER);
	/* Goals are per exact name. */
	assert_int_equal(compare_metric_goal(&m.m, "Accuracy"), HIGHER);
}

static void
test_metric_goal_guessed_from_name(void **state)
{
	static const char *const lower[] = { "latency_p50_ms", "LATENCY",
		"val_loss", "error_rate", "model_size", "MAE", "mse",
		"test_rmse", "duration_ms", "peak_BYTES" };
	static const char *const higher[] = { "accuracy", "f1", "auc",
		"recall", "ms_per_batch", "bytes_saved", "throughput" };

	(void)state;
	for (size_t i = 0; i < sizeof(lower) / sizeof(lower[0]); i++)
		if (compare_metric_goal(NULL, lower[i]) != LOWER)
			fail_msg("%s should be lower-is-better", lower[i]);
	for (size_t i = 0; i < sizeof(higher) / sizeof(higher[0]); i++)
		if (compare_metric_goal(NULL, higher[i]) != HIGHER)
			fail_msg("%s should be higher-is-better", higher[i]);
}

/* ---- signature breaks -------------------------------------------------- */

static void
test_signature_removed_and_retyped_fields_break(void **state)
{
	struct ver a, b;
	char msg[256];

	(void)state;
	ver_init(&a, "1.0.0");
	ver_init(&b, "1.1.0");
	ver_field(&a, false, "amount", "float32");
	ver_field(&a, false, "country", "string");
	ver_field(&a, true, "score", "float32");
	ver_field(&b, false, "country", "string");
	ver_field(&b, true, "score", "float64");
	assert_int_equal(compare_signature_breaks(&a.sig, &b.sig, msg,
			     sizeof(msg)),
	    2);
	assert_string_equal(msg,
	    "input amount removed; output score retyped float32 -> float64");
}

static void
test_signature_added_fields_do_not_break(void **state)
{
	struct ver a, b;
	char msg[64];

	(void)state;
	ver_init(&a, "1.0.0");
	ver_init(&b, "1.1.0");
	ver_field(&a, false, "amount", "float32");
	ver_field(&b, false, "merchant", "string");
	ver_field(&b, false, "amount", "float32");
	ver_field(&b, true, "score", "float32");
	strcpy(msg, "junk");
	assert_int_equal(compare_signature_breaks(&a.sig, &b.sig, msg,
			     sizeof(msg)),
	    0);
	assert_string_equal(msg, "");
	/* No signature before: nothing can break. */
	assert_int_equal(compare_signature_breaks(NULL, &b.sig, msg,
			     sizeof(msg)),
	    0);
}

static void
test_signature_dropped_entirely_breaks_every_field(void **state)
{
	struct ver a;
	char msg[128];

	(void)state;
	ver_init(&a, "1.0.0");
	ver_field(&a, false, "amount", "float32");
	ver_field(&a, true, "score", "float32");
	assert_int_equal(compare_signature_breaks(&a.sig, NULL, msg,
			     sizeof(msg)),
	    2);
	assert_string_equal(msg, "input amount removed; output score removed");
}

static void
test_signature_breaks_truncate_to_fit(void **state)
{
	struct ver a;
	char msg[24];

	(void)state;
	ver_init(&a, "1.0.0");
	ver_field(&a, false, "amount", "float32");
	ver_field(&a, false, "country", "string");
	ver_field(&a, false, "hour", "int32");
	/* Every break is counted even when its text does not fit. */
	assert_int_equal(compare_signature_breaks(&a.sig, NULL, msg,
			     sizeof(msg)),
	    3);
	assert_int_equal(strlen(msg), sizeof(msg) - 1);
	assert_string_equal(msg, "input amount removed...");
	/* No buffer at all: only counting. */
	assert_int_equal(compare_signature_breaks(&a.sig, NULL, NULL, 0), 3);
}

/* ---- the automatic bump ------------------------------------------------ */

/* 1.2.0 of "fraud": two inputs, one output, three features, accuracy and
 * latency. */
static void
latest_init(struct ver *x)
{
	ver_init(x, "1.2.0");
	ver_field(x, false, "amount", "float32");
	ver_field(x, false, "country", "string");
	ver_field(x, true, "score", "float32");
	ver_feature(x, "amount");
	ver_feature(x, "country");
	ver_feature(x, "hour");
	ver_metric(x, "accuracy", 0.85);
	ver_metric(x, "latency_p50_ms", 40);
}

static void
test_auto_bump_removed_input_is_major(void **state)
{
	struct ver latest, next;
	struct mdl m;
	char rule[128];

	(void)state;
	mdl_init(&m, "accuracy");
	latest_init(&latest);
	latest_init(&next);
	next.sig.inputs[0] = next.sig.inputs[1];
	next.sig.n_inputs = 1;
	next.me[0].value = 0.99; /* improvement does not soften a break */
	assert_int_equal(compare_auto_bump(&m.m, &latest.v, &next.sig,
			     &next.md, rule, sizeof(rule)),
	    MAJOR);
	assert_string_equal(rule, "auto major: input amount removed");
}

static void
test_auto_bump_retyped_output_is_major(void **state)
{
	struct ver latest, next;
	char rule[128];

	(void)state;
	latest_init(&latest);
	latest_init(&next);
	next.out[0].type = "float64";
	assert_int_equal(compare_auto_bump(NULL, &latest.v, &next.sig,
			     &next.md, rule, sizeof(rule)),
	    MAJOR);
	assert_string_equal(rule,
	    "auto major: output score retyped float32 -> float64");
}

static void
test_auto_bump_removed_feature_is_major(void **state)
{
	struct ver latest, next;
	char rule[128];

	(void)state;
	latest_init(&latest);
	latest_init(&next);
	next.md.n_features = 2; /* "hour" is gone */
	ver_feature(&next, "merchant"); /* an addition does not help */
	assert_int_equal(compare_auto_bump(NULL, &latest.v, &next.sig,
			     &next.md, rule, sizeof(rule)),
	    MAJOR);
	assert_string_equal(rule, "auto major: feature hour removed");
}

static void
test_auto_bump_names_first_few_removed_features(void **state)
{
	static const char *const names[] = { "f1", "f2", "f3", "f4", "f5",
		"f6" };
	struct ver latest, next;
	char rule[128];

	(void)state;
	latest_init(&latest);
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		ver_feature(&latest, names[i]);
	latest_init(&next);
	next.sig.n_inputs = 1; /* and "country" is gone from the inputs */
	assert_int_equal(compare_auto_bump(NULL, &latest.v, &next.sig,
			     &next.md, rule, sizeof(rule)),
	    MAJOR);
	assert_string_equal(rule,
	    "auto major: input country removed; features f1, f2, f3 and 3 "
	    "more removed");
}

static void
test_auto_bump_added_feature_is_minor(void **state)
{
	struct ver latest, next;
	struct mdl m;
	char rule[128];

	(void)state;
	mdl_init(&m, "accuracy");
	latest_init(&latest);
	latest_init(&next);
	ver_feature(&next, "merchant");
	ver_feature(&next, "device");
	ver_field(&next, false, "merchant", "string"); /* added: not breaking */
	next.me[0].value = 0.80;                       /* worse: no matter */
	assert_int_equal(compare_auto_bump(&m.m, &latest.v, &next.sig,
			     &next.md, rule, sizeof(rule)),
	    MINOR);
	assert_string_equal(rule,
	    "auto minor: features added: merchant, device");
}

static void
test_auto_bump_improved_primary_metric_is_minor(void **state)
{
	struct ver latest, next;
	struct mdl m;
	char rule[128];

	(void)state;
	mdl_init(&m, "accuracy");
	latest_init(&latest);
	latest_init(&next);
	next.me[0].value = 0.87;
	assert_int_equal(compare_auto_bump(&m.m, &latest.v, &next.sig,
			     &next.md, rule, sizeof(rule)),
	    MINOR);
	assert_string_equal(rule, "auto minor: accuracy improved 0.85 -> 0.87");
}

static void
test_auto_bump_lower_is_better_latency_drop_is_minor(void **state)
{
	struct ver latest, next;
	struct mdl m;
	char rule[128];

	(void)state;
	mdl_init(&m, "latency_p50_ms");
	latest_init(&latest);
	latest_init(&next);
	next.me[1].value = 35;
	assert_int_equal(compare_auto_bump(&m.m, &latest.v, &next.sig,
			     &next.md, rule, sizeof(rule)),
	    MINOR);
	assert_string_equal(rule,
	    "auto minor: latency_p50_ms improved 40 -> 35");
	/* A higher latency is not an improvement. */
	next.me[1].value = 45;
	assert_int_equal(compare_auto_bump(&m.m, &latest.v, &next.sig,
			     &next.md, rule, sizeof(rule)),
	    PATCH);
}

static void
test_auto_bump_configured_goal_decides_improvement(void **state)
{
	struct ver latest, next;
	struct mdl m;
	char rule[128];

	(void)state;
	mdl_init(&m, "accuracy");
	mdl_goal(&m, "accuracy", LOWER);
	latest_init(&latest);
	latest_init(&next);
	next.me[0].value = 0.80;
	assert_int_equal(compare_auto_bump(&m.m, &latest.v, &next.sig,
			     &next.md, rule, sizeof(rule)),
	    MINOR);
	assert_string_equal(rule, "auto minor: accuracy improved 0.85 -> 0.8");
}

static void
test_auto_bump_tiny_improvement_is_shown_distinctly(void **state)
{
	struct ver latest, next;
	struct mdl m;
	char rule[128];

	(void)state;
	mdl_init(&m, "accuracy");
	latest_init(&latest);
	latest_init(&next);
	next.me[0].value = 0.8500001;
	assert_int_equal(compare_auto_bump(&m.m, &latest.v, &next.sig,
			     &next.md, rule, sizeof(rule)),
	    MINOR);
	assert_string_equal(rule,
	    "auto minor: accuracy improved 0.85 -> 0.8500001");
}

static void
test_auto_bump_nothing_changed_is_patch(void **state)
{
	struct ver latest, next;
	struct mdl m;
	char rule[128];

	(void)state;
	mdl_init(&m, "accuracy");
	latest_init(&latest);
	latest_init(&next);
	/* Reordered features and a better secondary metric are no reason. */
	next.features[0] = "country";
	next.features[1] = "amount";
	next.me[1].value = 10;
	assert_int_equal(compare_auto_bump(&m.m, &latest.v, &next.sig,
			     &next.md, rule, sizeof(rule)),
	    PATCH);
	assert_string_equal(rule,
	    "auto patch: no breaking change, no new feature, primary metric "
	    "not improved");
}

static void
test_auto_bump_without_primary_metric_is_patch(void **state)
{
	struct ver latest, next;
	struct mdl m;
	char rule[128];

	(void)state;
	mdl_init(&m, "");
	latest_init(&latest);
	latest_init(&next);
	next.me[0].value = 0.99;
	assert_int_equal(compare_auto_bump(&m.m, &latest.v, &next.sig,
			     &next.md, rule, sizeof(rule)),
	    PATCH);
	assert_string_equal(rule,
	    "auto patch: no breaking change, no new feature, no primary "
	    "metric set");
	assert_int_equal(compare_auto_bump(NULL, &latest.v, &next.sig,
			     &next.md, rule, sizeof(rule)),
	    PATCH);
	assert_string_equal(rule,
	    "auto patch: no breaking change, no new feature, no primary "
	    "metric set");
}

static void
test_auto_bump_primary_metric_missing_on_one_side_is_patch(void **state)
{
	struct ver latest, next;
	struct mdl m;
	char rule[128];

	(void)state;
	mdl_init(&m, "f1");
	latest_init(&latest);
	latest_init(&next);
	ver_metric(&next, "f1", 0.9);
	assert_int_equal(compare_auto_bump(&m.m, &latest.v, &next.sig,
			     &next.md, rule, sizeof(rule)),
	    PATCH);
}

static void
test_auto_bump_null_signature_and_metadata(void **state)
{
	struct ver latest, empty;
	char rule[128];

	(void)state;
	ver_init(&empty, "1.0.0");
	empty.v.metadata = NULL;
	empty.v.signature = NULL;
	/* From nothing to nothing: patch. */
	assert_int_equal(compare_auto_bump(NULL, &empty.v, NULL, NULL, rule,
			     sizeof(rule)),
	    PATCH);
	/* Dropping a whole signature and feature list is major. */
	latest_init(&latest);
	assert_int_equal(compare_auto_bump(NULL, &latest.v, NULL, NULL, rule,
			     sizeof(rule)),
	    MAJOR);
	assert_string_equal(rule,
	    "auto major: input amount removed; input country removed; output "
	    "score removed; features amount, country, hour removed");
}

static void
test_auto_bump_rule_truncates_to_fit(void **state)
{
	struct ver latest, next;
	char rule[16];

	(void)state;
	latest_init(&latest);
	latest_init(&next);
	next.sig.n_inputs = 0;
	assert_int_equal(compare_auto_bump(NULL, &latest.v, &next.sig,
			     &next.md, rule, sizeof(rule)),
	    MAJOR);
	assert_string_equal(rule, "auto major: ...");
}

/* ---- CompareVersions --------------------------------------------------- */

/*
 * The example: 3.1.0 improves all five metrics, adds
 * merchant_reputation_score (as a feature and an input), drops
 * obsolete_feature_x and shrinks the artifact.
 */
static void
example_baseline(struct ver *a)
{
	ver_init(a, "3.0.0");
	ver_metric(a, "accuracy", 0.85);
	ver_metric(a, "latency_p50_ms", 40);
	ver_metric(a, "f1", 0.80);
	ver_metric(a, "auc", 0.90);
	ver_metric(a, "latency_p99_ms", 120);
	ver_feature(a, "amount");
	ver_feature(a, "merchant_category");
	ver_feature(a, "obsolete_feature_x");
	ver_feature(a, "hour_of_day");
	ver_field(a, false, "amount", "float32");
	ver_field(a, false, "merchant_category", "string");
	ver_field(a, false, "hour_of_day", "int32");
	ver_field(a, true, "score", "float32");
	ver_size(a, 12582912); /* 12.0 MiB */
}

static void
example_candidate(struct ver *b)
{
	ver_init(b, "3.1.0");
	ver_metric(b, "accuracy", 0.87);
	ver_metric(b, "latency_p50_ms", 35);
	ver_metric(b, "f1", 0.83);
	ver_metric(b, "auc", 0.92);
	ver_metric(b, "latency_p99_ms", 100);
	ver_feature(b, "amount");
	ver_feature(b, "merchant_category");
	ver_feature(b, "hour_of_day");
	ver_feature(b, "merchant_reputation_score");
	ver_field(b, false, "amount", "float32");
	ver_field(b, false, "merchant_category", "string");
	ver_field(b, false, "hour_of_day", "int32");
	ver_field(b, false, "merchant_reputation_score", "float32");
	ver_field(b, true, "score", "float32");
	ver_size(b, 10590618); /* 10.1 MiB */
}

static void
example_init(struct ver *a, struct ver *b)
{
	example_baseline(a);
	example_candidate(b);
}

static void
test_compare_example_recommends_candidate(void **state)
{
	static const char *const order[] = { "accuracy", "auc", "f1",
		"latency_p50_ms", "latency_p99_ms" };
	Modelreg__V1__CompareVersionsResponse out;
	const Modelreg__V1__MetricDelta *d;
	struct ver a, b;
	struct mdl m;

	mdl_init(&m, "accuracy");
	example_init(&a, &b);
	compare(*state, &m, &a, &b, &out);

	assert_int_equal(out.verdict, V_CANDIDATE);
	assert_string_equal(out.recommendation,
	    "3.1.0 is better (improves 5 of 5 metrics)");

	assert_int_equal(out.n_metrics, 5);
	for (size_t i = 0; i < 5; i++) {
		assert_string_equal(out.metrics[i]->name, order[i]);
		assert_true(out.metrics[i]->in_baseline);
		assert_true(out.metrics[i]->in_candidate);
		assert_int_equal(out.metrics[i]->outcome, 1);
	}
	d = delta(&out, "accuracy");
	assert_int_equal(d->goal, HIGHER);
	assert_near(d->baseline, 0.85);
	assert_near(d->candidate, 0.87);
	assert_near(d->change, 0.02);
	assert_true(d->has_relative);
	assert_near(d->relative, 0.02 / 0.85); /* +2.35...% */
	d = delta(&out, "latency_p50_ms");
	assert_int_equal(d->goal, LOWER);
	assert_near(d->change, -5);
	assert_true(d->has_relative);
	assert_near(d->relative, -0.125);

	/* Features by name: moved, added, removed; positions 1-based. */
	assert_int_equal(out.n_features, 3);
	assert_string_equal(out.features[0]->name, "hour_of_day");
	assert_int_equal(out.features[0]->kind, MOVED);
	assert_int_equal(out.features[0]->baseline_position, 4);
	assert_int_equal(out.features[0]->candidate_position, 3);
	assert_string_equal(out.features[1]->name, "merchant_reputation_score");
	assert_int_equal(out.features[1]->kind, ADDED);
	assert_int_equal(out.features[1]->baseline_position, 0);
	assert_int_equal(out.features[1]->candidate_position, 4);
	assert_string_equal(out.features[2]->name, "obsolete_feature_x");
	assert_int_equal(out.features[2]->kind, REMOVED);
	assert_int_equal(out.features[2]->baseline_position, 3);
	assert_int_equal(out.features[2]->candidate_position, 0);

	assert_int_equal(out.n_signature, 1);
	assert_false(out.signature[0]->output);
	assert_string_equal(out.signature[0]->name,
	    "merchant_reputation_score");
	assert_int_equal(out.signature[0]->kind, ADDED);
	assert_string_equal(out.signature[0]->candidate_type, "float32");
	assert_false(out.signature[0]->breaking);

	assert_int_equal(out.baseline_size, 12582912);
	assert_int_equal(out.candidate_size, 10590618);

	assert_reason(&out, "accuracy +2.4% (better)");
	assert_reason(&out, "latency_p50_ms -12.5% (better)");
	assert_reason(&out, "latency_p99_ms -16.7% (better)");
	assert_reason(&out, "artifact 12.0 MiB -> 10.1 MiB");
	assert_reason(&out, "1 feature added, 1 removed, 1 moved");
	assert_reason(&out,
	    "signature: input merchant_reputation_score added");
	assert_int_equal(out.n_reasons, 5 + 3);
}

static void
test_compare_breaking_signature_keeps_baseline(void **state)
{
	Modelreg__V1__CompareVersionsResponse out;
	struct ver a, b;

	example_init(&a, &b);
	b.sig.inputs[0] = b.sig.inputs[3]; /* "amount" replaced */
	b.sig.n_inputs = 3;
	b.out[0].type = "float64";
	compare(*state, NULL, &a, &b, &out);

	assert_int_equal(out.verdict, V_BASELINE);
	assert_string_equal(out.recommendation,
	    "keep 3.0.0: 3.1.0 breaks the signature (input amount removed; "
	    "output score retyped float32 -> float64)");
	assert_int_equal(out.n_signature, 3);
	assert_string_equal(out.signature[0]->name, "amount");
	assert_int_equal(out.signature[0]->kind, REMOVED);
	assert_true(out.signature[0]->breaking);
	assert_string_equal(out.signature[0]->baseline_type, "float32");
	assert_string_equal(out.signature[1]->name,
	    "merchant_reputation_score");
	assert_int_equal(out.signature[1]->kind, ADDED);
	assert_false(out.signature[1]->breaking);
	assert_true(out.signature[2]->output);
	assert_int_equal(out.signature[2]->kind, RETYPED);
	assert_true(out.signature[2]->breaking);
	assert_string_equal(out.signature[2]->baseline_type, "float32");
	assert_string_equal(out.signature[2]->candidate_type, "float64");
	assert_reason(&out, "signature: input amount removed (breaking)");
	assert_reason(&out,
	    "signature: output score retyped float32 -> float64 (breaking)");
	/* The metrics are still reported. */
	assert_reason(&out, "accuracy +2.4% (better)");
}

static void
test_compare_higher_major_may_break_signature(
    void **state)
{
	Modelreg__V1__CompareVersionsResponse out;
	struct ver a, b;

	example_init(&a, &b);
	b.v.version = "4.0.0";
	b.sig.n_inputs = 1;
	compare(*state, NULL, &a, &b, &out);
	assert_int_equal(out.verdict, V_CANDIDATE);
	assert_string_equal(out.recommendation,
	    "4.0.0 is better (improves 5 of 5 metrics)");
	assert_reason(&out,
	    "signature: input merchant_category removed (breaking)");
}

static void
test_compare_identical_versions_are_equivalent(void **state)
{
	Modelreg__V1__CompareVersionsResponse out;
	struct ver a, b;

	example_baseline(&a);
	example_baseline(&b);
	b.v.version = "3.0.1";
	compare(*state, NULL, &a, &b, &out);
	assert_int_equal(out.verdict, V_EQUIVALENT);
	assert_string_equal(out.recommendation,
	    "3.0.0 and 3.0.1 are equivalent (no metric changed)");
	assert_int_equal(out.n_metrics, 5);
	assert_int_equal(out.n_features, 0);
	assert_int_equal(out.n_signature, 0);
	assert_int_equal(out.n_reasons, 0);
	for (size_t i = 0; i < out.n_metrics; i++) {
		assert_int_equal(out.metrics[i]->outcome, 0);
		assert_true(out.metrics[i]->has_relative);
	}
}

static void
test_compare_more_worse_metrics_recommends_baseline(void **state)
{
	Modelreg__V1__CompareVersionsResponse out;
	struct ver a, b;

	example_init(&a, &b);
	b.me[0].value = 0.80; /* accuracy worse */
	b.me[1].value = 50;   /* latency_p50_ms worse */
	b.me[2].value = 0.70; /* f1 worse */
	compare(*state, NULL, &a, &b, &out);
	assert_int_equal(out.verdict, V_BASELINE);
	assert_string_equal(out.recommendation,
	    "3.0.0 is better (3.1.0 is worse on 3 of 5 metrics)");
	assert_reason(&out, "latency_p50_ms +25.0% (worse)");
	assert_int_equal(delta(&out, "latency_p50_ms")->outcome, -1);
}

static void
test_compare_tie_is_decided_by_primary_metric(void **state)
{
	Modelreg__V1__CompareVersionsResponse out;
	struct ver a, b;
	struct mdl m;

	ver_init(&a, "1.0.0");
	ver_metric(&a, "accuracy", 0.90);
	ver_metric(&a, "latency_ms", 10);
	ver_init(&b, "1.1.0");
	ver_metric(&b, "accuracy", 0.91);
	ver_metric(&b, "latency_ms", 12);

	mdl_init(&m, "accuracy");
	compare(*state, &m, &a, &b, &out);
	assert_int_equal(out.verdict, V_CANDIDATE);
	assert_string_equal(out.recommendation,
	    "1.1.0 is better on the primary metric accuracy (1 better, 1 "
	    "worse)");

	mdl_init(&m, "latency_ms");
	compare(*state, &m, &a, &b, &out);
	assert_int_equal(out.verdict, V_BASELINE);
	assert_string_equal(out.recommendation,
	    "1.0.0 is better on the primary metric latency_ms (1 better, 1 "
	    "worse)");
}

static void
test_compare_tie_without_primary_is_mixed(void **state)
{
	Modelreg__V1__CompareVersionsResponse out;
	struct ver a, b;
	struct mdl m;

	ver_init(&a, "1.0.0");
	ver_metric(&a, "accuracy", 0.90);
	ver_metric(&a, "latency_ms", 10);
	ver_metric(&a, "f1", 0.5);
	ver_init(&b, "1.1.0");
	ver_metric(&b, "accuracy", 0.91);
	ver_metric(&b, "latency_ms", 12);
	ver_metric(&b, "f1", 0.5);

	compare(*state, NULL, &a, &b, &out);
	assert_int_equal(out.verdict, V_MIXED);
	assert_string_equal(out.recommendation,
	    "no clear winner (1 better, 1 worse)");

	/* A primary metric that did not move does not decide. */
	mdl_init(&m, "f1");
	compare(*state, &m, &a, &b, &out);
	assert_int_equal(out.verdict, V_MIXED);
}

static void
test_compare_metric_missing_on_one_side_is_not_counted(void **state)
{
	Modelreg__V1__CompareVersionsResponse out;
	const Modelreg__V1__MetricDelta *d;
	struct ver a, b;

	ver_init(&a, "1.0.0");
	ver_metric(&a, "accuracy", 0.90);
	ver_metric(&a, "recall", 0.70);
	ver_init(&b, "1.1.0");
	ver_metric(&b, "precision", 0.60);
	ver_metric(&b, "accuracy", 0.92);
	compare(*state, NULL, &a, &b, &out);

	assert_int_equal(out.n_metrics, 3);
	assert_string_equal(out.metrics[0]->name, "accuracy");
	assert_string_equal(out.metrics[1]->name, "precision");
	assert_string_equal(out.metrics[2]->name, "recall");
	d = delta(&out, "precision");
	assert_false(d->in_baseline);
	assert_true(d->in_candidate);
	assert_near(d->candidate, 0.60);
	assert_int_equal(d->outcome, 0);
	assert_false(d->has_relative);
	assert_int_equal(d->goal, HIGHER);
	d = delta(&out, "recall");
	assert_true(d->in_baseline);
	assert_false(d->in_candidate);
	assert_int_equal(d->outcome, 0);

	assert_int_equal(out.verdict, V_CANDIDATE);
	assert_string_equal(out.recommendation,
	    "1.1.0 is better (improves 1 of 1 metric)");
	assert_reason(&out, "precision only in the candidate (0.6)");
	assert_reason(&out, "recall only in the baseline (0.7)");
}

static void
test_compare_zero_baseline_has_no_relative_change(void **state)
{
	Modelreg__V1__CompareVersionsResponse out;
	const Modelreg__V1__MetricDelta *d;
	struct ver a, b;

	ver_init(&a, "1.0.0");
	ver_metric(&a, "error_count", 0);
	ver_init(&b, "1.1.0");
	ver_metric(&b, "error_count", 3);
	compare(*state, NULL, &a, &b, &out);
	d = delta(&out, "error_count");
	assert_near(d->change, 3);
	assert_false(d->has_relative);
	assert_near(d->relative, 0);
	assert_int_equal(d->goal, LOWER);
	assert_int_equal(d->outcome, -1);
	assert_int_equal(out.verdict, V_BASELINE);
	assert_reason(&out, "error_count +3 (worse)");
}

static void
test_compare_configured_goal_applies(void **state)
{
	Modelreg__V1__CompareVersionsResponse out;
	struct ver a, b;
	struct mdl m;

	ver_init(&a, "1.0.0");
	ver_metric(&a, "size_score", 10);
	ver_init(&b, "1.1.0");
	ver_metric(&b, "size_score", 20);
	mdl_init(&m, "");
	mdl_goal(&m, "size_score", HIGHER);
	compare(*state, &m, &a, &b, &out);
	assert_int_equal(delta(&out, "size_score")->goal, HIGHER);
	assert_int_equal(out.verdict, V_CANDIDATE);
	compare(*state, NULL, &a, &b, &out);
	assert_int_equal(delta(&out, "size_score")->goal, LOWER);
	assert_int_equal(out.verdict, V_BASELINE);
}

static void
test_compare_reports_deprecation(void **state)
{
	Modelreg__V1__CompareVersionsResponse out;
	struct ver a, b;

	example_init(&a, &b);
	ver_deprecate(&a, "data leak in training set");
	ver_deprecate(&b, "");
	compare(*state, NULL, &a, &b, &out);
	assert_reason(&out,
	    "baseline is deprecated: data leak in training set");
	assert_reason(&out, "candidate is deprecated");
}

static void
test_compare_without_metadata_signature_or_manifest(void **state)
{
	Modelreg__V1__CompareVersionsResponse out;
	struct ver a, b;

	ver_init(&a, "1.0.0");
	ver_init(&b, "1.0.1");
	a.v.metadata = NULL;
	a.v.signature = NULL;
	b.v.metadata = NULL;
	b.v.signature = NULL;
	compare(*state, NULL, &a, &b, &out);
	assert_int_equal(out.verdict, V_EQUIVALENT);
	assert_int_equal(out.n_metrics, 0);
	assert_int_equal(out.n_features, 0);
	assert_int_equal(out.n_signature, 0);
	assert_int_equal(out.baseline_size, 0);
	assert_int_equal(out.n_reasons, 0);

	/* Metadata on one side only: its metrics and features are one-sided. */
	example_candidate(&b);
	b.v.version = "1.0.1";
	compare(*state, NULL, &a, &b, &out);
	assert_int_equal(out.verdict, V_EQUIVALENT);
	assert_int_equal(out.n_metrics, 5);
	assert_int_equal(out.n_features, 4);
	assert_int_equal(out.features[0]->kind, ADDED);
	assert_int_equal(out.n_signature, 5);
	assert_reason(&out, "4 features added");
	assert_reason(&out, "artifact 0 B -> 10.1 MiB");
}

static void
test_compare_lists_few_signature_changes_then_counts(void **state)
{
	static const char *const names[] = { "a", "b", "c", "d", "e", "f",
		"g", "h", "i", "j", "k", "l", "m", "n" };
	Modelreg__V1__CompareVersionsResponse out;
	struct ver a, b;

	ver_init(&a, "1.0.0");
	ver_init(&b, "2.0.0");
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		ver_field(&a, false, names[i], "float32");
	compare(*state, NULL, &a, &b, &out);
	assert_int_equal(out.n_signature, 14);
	/* 10 listed, then one line for the rest. */
	assert_int_equal(out.n_reasons, 11);
	assert_reason(&out, "signature: input a removed (breaking)");
	assert_reason(&out, "signature: 4 more changes");
	/* A higher major may break: judged on metrics, of which none. */
	assert_int_equal(out.verdict, V_EQUIVALENT);
}

/*
 * 10000 features (MR_FEATURES_MAX), with one inserted at the front of the
 * candidate and the last one dropped: every other feature moves by one.
 * Lookups go through the sorted index, so this stays fast.
 */
static void
test_compare_thousands_of_features_shifted_by_one(void **state)
{
	enum { N = 10000 };
	char (*names)[16] = malloc(N * sizeof(*names));
	char **fa = malloc(N * sizeof(*fa)), **fb = malloc(N * sizeof(*fb));
	Modelreg__V1__CompareVersionsResponse out;
	struct ver a, b;
	char rule[128];

	assert_non_null(names);
	assert_non_null(fa);
	assert_non_null(fb);
	for (size_t i = 0; i < N; i++) {
		snprintf(names[i], sizeof(names[i]), "f%05zu", i);
		fa[i] = names[i];
		if (i + 1 < N)
			fb[i + 1] = names[i];
	}
	fb[0] = "aaa_new";
	ver_init(&a, "1.0.0");
	ver_init(&b, "1.1.0");
	a.md.features = fa;
	a.md.n_features = N;
	b.md.features = fb;
	b.md.n_features = N;

	compare(*state, NULL, &a, &b, &out);
	assert_int_equal(out.n_features, N + 1);
	assert_string_equal(out.features[0]->name, "aaa_new");
	assert_int_equal(out.features[0]->kind, ADDED);
	assert_int_equal(out.features[0]->candidate_position, 1);
	assert_string_equal(out.features[1]->name, "f00000");
	assert_int_equal(out.features[1]->kind, MOVED);
	assert_int_equal(out.features[1]->baseline_position, 1);
	assert_int_equal(out.features[1]->candidate_position, 2);
	assert_int_equal(out.features[N]->kind, REMOVED);
	assert_int_equal(out.features[N]->baseline_position, N);
	assert_reason(&out, "1 feature added, 1 removed, 9999 moved");

	assert_int_equal(compare_auto_bump(NULL, &a.v, NULL, &b.md, rule,
			     sizeof(rule)),
	    MAJOR);
	assert_string_equal(rule, "auto major: feature f09999 removed");
	free(fa);
	free(fb);
	free(names);
}

/* Tests of compare_versions get a fresh svc_call in *state. */
#define CALL_TEST(t)                                                       \
	cmocka_unit_test_setup_teardown(t, call_setup, call_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_metric_goal_configured_overrides_name),
		cmocka_unit_test(test_metric_goal_guessed_from_name),
		cmocka_unit_test(
		    test_signature_removed_and_retyped_fields_break),
		cmocka_unit_test(test_signature_added_fields_do_not_break),
		cmocka_unit_test(
		    test_signature_dropped_entirely_breaks_every_field),
		cmocka_unit_test(test_signature_breaks_truncate_to_fit),
		cmocka_unit_test(test_auto_bump_removed_input_is_major),
		cmocka_unit_test(test_auto_bump_retyped_output_is_major),
		cmocka_unit_test(test_auto_bump_removed_feature_is_major),
		cmocka_unit_test(
		    test_auto_bump_names_first_few_removed_features),
		cmocka_unit_test(test_auto_bump_added_feature_is_minor),
		cmocka_unit_test(
		    test_auto_bump_improved_primary_metric_is_minor),
		cmocka_unit_test(
		    test_auto_bump_lower_is_better_latency_drop_is_minor),
		cmocka_unit_test(
		    test_auto_bump_configured_goal_decides_improvement),
		cmocka_unit_test(
		    test_auto_bump_tiny_improvement_is_shown_distinctly),
		cmocka_unit_test(test_auto_bump_nothing_changed_is_patch),
		cmocka_unit_test(
		    test_auto_bump_without_primary_metric_is_patch),
		cmocka_unit_test(
		    test_auto_bump_primary_metric_missing_on_one_side_is_patch),
		cmocka_unit_test(test_auto_bump_null_signature_and_metadata),
		cmocka_unit_test(test_auto_bump_rule_truncates_to_fit),
		CALL_TEST(test_compare_example_recommends_candidate),
		CALL_TEST(test_compare_breaking_signature_keeps_baseline),
		CALL_TEST(test_compare_higher_major_may_break_signature),
		CALL_TEST(test_compare_identical_versions_are_equivalent),
		CALL_TEST(test_compare_more_worse_metrics_recommends_baseline),
		CALL_TEST(test_compare_tie_is_decided_by_primary_metric),
		CALL_TEST(test_compare_tie_without_primary_is_mixed),
		CALL_TEST(
		    test_compare_metric_missing_on_one_side_is_not_counted),
		CALL_TEST(test_compare_zero_baseline_has_no_relative_change),
		CALL_TEST(test_compare_configured_goal_applies),
		CALL_TEST(test_compare_reports_deprecation),
		CALL_TEST(
		    test_compare_without_metadata_signature_or_manifest),
		CALL_TEST(
		    test_compare_lists_few_signature_changes_then_counts),
		CALL_TEST(test_compare_thousands_of_features_shifted_by_one),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
