/*
 * compare.c - what changed between two versions of a model, and which one
 * is better: the automatic version bump and CompareVersions.
 *
 * Both ask the same questions of a pair of versions (did the signature
 * break, did the feature list change, did the metrics improve), so they
 * share the code that answers them. Which way a metric improves is the
 * model's metric_goals entry, else a guess from its name
 * (compare_metric_goal).
 *
 * The verdict of a comparison of baseline A with candidate B:
 *   1. If B breaks A's signature (an input or output of A that B lacks or
 *      types differently) and B's major number is not higher than A's,
 *      VERDICT_BASELINE: B cannot replace A without breaking its callers,
 *      whatever its metrics.
 *   2. Else, over the metrics both versions report, count those B improves
 *      and those it worsens under their goals. None moved: EQUIVALENT.
 *      More improved than worsened: CANDIDATE. More worsened: BASELINE.
 *   3. A tie is decided by the model's primary metric when it is set and
 *      moved; otherwise the verdict is MIXED.
 * Metrics only one side reports, feature changes, artifact sizes and
 * deprecations are listed among the reasons but do not decide: they are
 * facts for a human to weigh, not evidence of quality.
 *
 * A version may list 10000 features and 4096 signature fields, so lookups
 * by name go through a sorted index rather than nested scans. The
 * functions that have no way to report an error (they take no svc_call)
 * fall back to a linear scan when the index cannot be allocated, so they
 * are slower under memory pressure but never wrong.
 */
#include <assert.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common.h"
#include "compare.h"

/* How many names a rule lists before "and N more". */
#define FEW_NAMES 3
/* Signature changes listed one per reason line; the rest are counted. */
#define SIG_REASONS_MAX 10
/* Room for the breaking changes quoted in a recommendation. */
#define BREAKS_TEXT_MAX 1024

#define GOAL_HIGHER MODELREG__V1__METRIC_GOAL__METRIC_GOAL_HIGHER
#define GOAL_LOWER MODELREG__V1__METRIC_GOAL__METRIC_GOAL_LOWER

static const Modelreg__V1__Metadata empty_metadata =
    MODELREG__V1__METADATA__INIT;
static const Modelreg__V1__Signature empty_signature =
    MODELREG__V1__SIGNATURE__INIT;

static const Modelreg__V1__Metadata *
metadata_of(const mr_pb_version *v)
{
	return v != NULL && v->metadata != NULL ? v->metadata
						: &empty_metadata;
}

static const Modelreg__V1__Signature *
signature_of(const mr_pb_version *v)
{
	return v != NULL && v->signature != NULL ? v->signature
						 : &empty_signature;
}

/* qsort, which must not be given NULL even for zero items. */
static void
sort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

/* ---- text into a fixed buffer ------------------------------------------ */

/*
 * Appends to buf[cap]. What does not fit is cut, and the text then ends in
 * "..." so that a reader sees it was cut. A NULL sbuf, or a cap of 0,
 * discards everything (for counting passes).
 */
struct sbuf {
	char *p;
	size_t cap, len;
	bool cut;
};

static void
sb_init(struct sbuf *b, char *p, size_t cap)
{
	b->p = p;
	b->cap = p != NULL ? cap : 0;
	b->len = 0;
	b->cut = false;
	if (b->cap > 0)
		b->p[0] = '\0';
}

static void __attribute__((format(printf, 2, 3)))
sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	size_t room;
	int n;

	if (b == NULL || b->cap == 0 || b->cut)
		return;
	room = b->cap - b->len;
	va_start(ap, fmt);
	n = vsnprintf(b->p + b->len, room, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n < room) {
		b->len += (size_t)n;
		return;
	}
	b->cut = true;
	b->len = b->cap - 1;
	if (b->cap > 3)
		memcpy(b->p + b->cap - 4, "...", 4);
}

/* ", " between items, "; " between clauses: nothing before the first. */
static void
sb_sep(struct sbuf *b, size_t before, const char *sep)
{
	if (before > 0)
		sb_printf(b, "%s", sep);
}

/* A string of svc_alloc'd memory; NULL (with c->err set) on failure. */
static char * __attribute__((format(printf, 2, 3)))
svc_printf(svc_call *c, const char *fmt, ...)
{
	va_list ap, ap2;
	char *s;
	int n;

	va_start(ap, fmt);
	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		va_end(ap2);
		mr_fail(&c->err, MR_INTERNAL, "cannot format a reason");
		return NULL;
	}
	if ((s = svc_alloc(c, (size_t)n + 1, 1)) != NULL)
		vsnprintf(s, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	return s;
}

/* ---- lookups by name --------------------------------------------------- */

#define NPOS SIZE_MAX

/* A name and its 0-based position in the list it came from. */
struct named {
	const char *name;
	size_t pos;
};

/*
 * The names of one list, for lookups: a binary search over `v` (sorted by
 * name) when the caller could give it memory, else a scan of the list.
 */
struct index {
	const void *list;
	size_t n;
	const char *(*name_at)(const void *list, size_t i);
	struct named *v;
};

static const char *
feature_at(const void *list, size_t i)
{
	return ((char *const *)list)[i];
}

static const char *
field_at(const void *list, size_t i)
{
	return ((Modelreg__V1__Field *const *)list)[i]->name;
}

static const char *
metric_at(const void *list, size_t i)
{
	return ((Modelreg__V1__Metadata__MetricsEntry *const *)list)[i]->key;
}

static int
cmp_named(const void *a, const void *b)
{
	const struct named *x = a, *y = b;
	int r = strcmp(x->name, y->name);

	/* Among equal names the first position wins, as a scan would. */
	if (r != 0)
		return r;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* `mem` holds n entries, or is NULL for scans. */
static void
index_init(struct index *ix, const void *list, size_t n,
    const char *(*name_at)(const void *, size_t), struct named *mem)
{
	ix->list = list;
	ix->n = n;
	ix->name_at = name_at;
	ix->v = mem;
	if (mem == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		mem[i].name = name_at(list, i);
		mem[i].pos = i;
	}
	sort(mem, n, sizeof(*mem), cmp_named);
}

/* The position of `name` in the list; NPOS if absent. */
static size_t
index_find(const struct index *ix, const char *name)
{
	size_t lo = 0, hi = ix->n;

	if (ix->v == NULL) {
		for (size_t i = 0; i < ix->n; i++)
			if (strcmp(ix->name_at(ix->list, i), name) == 0)
				return i;
		return NPOS;
	}
	/* Lower bound, so that a repeated name finds its first entry. */
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(ix->v[mid].name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < ix->n && strcmp(ix->v[lo].name, name) == 0 ? ix->v[lo].pos
								 : NPOS;
}

/* malloc for an index; NULL (a scanning index) for none or on failure. */
static struct named *
index_mem(size_t n)
{
	return n > 0 ? malloc(n * sizeof(struct named)) : NULL;
}

/* ---- metric goals ------------------------------------------------------ */

static bool
contains_nocase(const char *s, const char *word)
{
	size_t n = strlen(word);

	for (; *s != '\0'; s++)
		if (strncasecmp(s, word, n) == 0)
			return true;
	return false;
}

static bool
ends_with_nocase(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcasecmp(s + n - k, suffix) == 0;
}

Modelreg__V1__MetricGoal
compare_metric_goal(const mr_pb_model *m, const char *metric)
{
	static const char *const lower[] = { "latency", "loss", "error",
		"size", "mae", "mse", "rmse" };

	if (m != NULL)
		for (size_t i = 0; i < m->n_metric_goals; i++) {
			Modelreg__V1__MetricGoal g = m->metric_goals[i]->value;
			if (strcmp(m->metric_goals[i]->key, metric) == 0 &&
			    (g == GOAL_HIGHER || g == GOAL_LOWER))
				return g;
		}
	for (size_t i = 0; i < sizeof(lower) / sizeof(lower[0]); i++)
		if (contains_nocase(metric, lower[i]))
			return GOAL_LOWER;
	if (ends_with_nocase(metric, "_ms") ||
	    ends_with_nocase(metric, "_bytes"))
		return GOAL_LOWER;
	return GOAL_HIGHER;
}

/* 1 if going from `from` to `to` is better under `goal`, -1 if worse. */
static int
outcome(Modelreg__V1__MetricGoal goal, double from, double to)
{
	if (to == from)
		return 0;
	return (to > from) == (goal != GOAL_LOWER) ? 1 : -1;
}

static bool
metric_value(const Modelreg__V1__Metadata *md, const char *name, double *out)
{
	for (size_t i = 0; i < md->n_metrics; i++)
		if (strcmp(md->metrics[i]->key, name) == 0) {
			*out = md->metrics[i]->value;
			return true;
		}
	return false;
}

/*
 * Writes two different numbers with the fewest significant digits (at
 * least %g's six) that tell them apart: "0.85 -> 0.87", not "0.85 ->
 * 0.85" for 0.85 and 0.8500001.
 */
static void
format_pair(double x, double y, char xs[32], char ys[32])
{
	for (int prec = 6; prec <= 17; prec++) {
		snprintf(xs, 32, "%.*g", prec, x);
		snprintf(ys, 32, "%.*g", prec, y);
		if (x == y || strcmp(xs, ys) != 0)
			return;
	}
}

/* ---- signature breaks -------------------------------------------------- */

static const char *
type_text(const char *type)
{
	return type[0] != '\0' ? type : "(no type)";
}

/* Appends the breaks of one field list; `count` is the breaks so far. */
static size_t
list_breaks(const char *what, Modelreg__V1__Field *const *from, size_t nf,
    Modelreg__V1__Field *const *to, size_t nt, struct sbuf *b, size_t count)
{
	struct named *mem = index_mem(nt);
	struct index ix;

	index_init(&ix, to, nt, field_at, mem);
	for (size_t i = 0; i < nf; i++) {
		size_t k = index_find(&ix, from[i]->name);
		if (k == NPOS) {
			sb_sep(b, count++, "; ");
			sb_printf(b, "%s %s removed", what, from[i]->name);
		} else if (strcmp(from[i]->type, to[k]->type) != 0) {
			sb_sep(b, count++, "; ");
			sb_printf(b, "%s %s retyped %s -> %s", what,
			    from[i]->name, type_text(from[i]->type),
			    type_text(to[k]->type));
		}
	}
	free(mem);
	return count;
}

static size_t
signature_breaks(const Modelreg__V1__Signature *from,
    const Modelreg__V1__Signature *to, struct sbuf *b)
{
	size_t n;

	if (from == NULL)
		from = &empty_signature;
	if (to == NULL)
		to = &empty_signature;
	n = list_breaks("input", from->inputs, from->n_inputs, to->inputs,
	    to->n_inputs, b, 0);
	return list_breaks("output", from->outputs, from->n_outputs,
	    to->outputs, to->n_outputs, b, n);
}

size_t
compare_signature_breaks(const Modelreg__V1__Signature *from,
    const Modelreg__V1__Signature *to, char *msg, size_t cap)
{
	struct sbuf b;

	sb_init(&b, msg, cap);
	return signature_breaks(from, to, &b);
}

/* ---- the automatic bump ------------------------------------------------ */

/*
 * Counts the names of `list` that `other` lacks and keeps the first
 * FEW_NAMES of them in first[].
 */
static size_t
missing_names(char *const *list, size_t n, const struct index *other,
    const char *first[FEW_NAMES])
{
	size_t count = 0;

	for (size_t i = 0; i < n; i++)
		if (index_find(other, list[i]) == NPOS) {
			if (count < FEW_NAMES)
				first[count] = list[i];
			count++;
		}
	return count;
}

/* "a, b, c and 4 more" */
static void
sb_names(struct sbuf *b, const char *const first[FEW_NAMES], size_t count)
{
	size_t shown = count < FEW_NAMES ? count : FEW_NAMES;

	for (size_t i = 0; i < shown; i++) {
		sb_sep(b, i, ", ");
		sb_printf(b, "%s", first[i]);
	}
	if (count > shown)
		sb_printf(b, " and %zu more", count - shown);
}

Modelreg__V1__Bump
compare_auto_bump(const mr_pb_model *m, const mr_pb_version *latest,
    const Modelreg__V1__Signature *sig, const Modelreg__V1__Metadata *md,
    char *rule, size_t cap)
{
	const Modelreg__V1__Metadata *prev = metadata_of(latest);
	const Modelreg__V1__Metadata *next = md != NULL ? md : &empty_metadata;
	const char *removed[FEW_NAMES], *added[FEW_NAMES];
	const char *primary = m != NULL ? m->primary_metric : "";
	struct named *prev_mem = index_mem(prev->n_features);
	struct named *next_mem = index_mem(next->n_features);
	struct index prev_ix, next_ix;
	size_t n_breaks, n_removed, n_added;
	double from = 0, to = 0;
	bool improved = false;
	struct sbuf b;

	index_init(&prev_ix, prev->features, prev->n_features, feature_at,
	    prev_mem);
	index_init(&next_ix, next->features, next->n_features, feature_at,
	    next_mem);
	n_removed = missing_names(prev->features, prev->n_features, &next_ix,
	    removed);
	n_added = missing_names(next->features, next->n_features, &prev_ix,
	    added);
	free(prev_mem);
	free(next_mem);
	n_breaks = signature_breaks(signature_of(latest), sig, NULL);
	if (primary[0] != '\0' && metric_value(prev, primary, &from) &&
	    metric_value(next, primary, &to))
		improved =
		    outcome(compare_metric_goal(m, primary), from, to) > 0;

	sb_init(&b, rule, cap);
	if (n_breaks > 0 || n_removed > 0) {
		sb_printf(&b, "auto major: ");
		if (n_breaks > 0)
			signature_breaks(signature_of(latest), sig, &b);
		if (n_removed > 0) {
			sb_sep(&b, n_breaks, "; ");
			sb_printf(&b, "feature%s ", n_removed > 1 ? "s" : "");
			sb_names(&b, removed, n_removed);
			sb_printf(&b, " removed");
		}
		return MODELREG__V1__BUMP__BUMP_MAJOR;
	}
	if (n_added > 0 || improved) {
		sb_printf(&b, "auto minor: ");
		if (n_added > 0) {
			sb_printf(&b, "feature%s added: ",
			    n_added > 1 ? "s" : "");
			sb_names(&b, added, n_added);
		}
		if (improved) {
			char fs[32], ts[32];
			format_pair(from, to, fs, ts);
			sb_sep(&b, n_added, "; ");
			sb_printf(&b, "%s improved %s -> %s", primary, fs, ts);
		}
		return MODELREG__V1__BUMP__BUMP_MINOR;
	}
	sb_printf(&b,
	    "auto patch: no breaking change, no new feature, %s",
	    primary[0] != '\0' ? "primary metric not improved"
			       : "no primary metric set");
	return MODELREG__V1__BUMP__BUMP_PATCH;
}

/* ---- comparison: metrics, features, signature -------------------------- */

static void
delta_fill(Modelreg__V1__MetricDelta *d, const mr_pb_model *m,
    const char *name, const double *base, const double *cand)
{
	modelreg__v1__metric_delta__init(d);
	d->name = (char *)name;
	d->goal = compare_metric_goal(m, name);
	d->in_baseline = base != NULL;
	d->in_candidate = cand != NULL;
	d->baseline = base != NULL ? *base : 0;
	d->candidate = cand != NULL ? *cand : 0;
	if (base == NULL || cand == NULL)
		return;
	d->change = *cand - *base;
	if (*base != 0) {
		d->relative = d->change / fabs(*base);
		d->has_relative = true;
	}
	d->outcome = outcome(d->goal, *base, *cand);
}

static int
cmp_delta(const void *a, const void *b)
{
	return strcmp((*(Modelreg__V1__MetricDelta *const *)a)->name,
	    (*(Modelreg__V1__MetricDelta *const *)b)->name);
}

static mr_status
compare_metrics(svc_call *c, const mr_pb_model *m, const mr_pb_version *a,
    const mr_pb_version *b, Modelreg__V1__CompareVersionsResponse *out)
{
	const Modelreg__V1__Metadata *ma = metadata_of(a), *mb = metadata_of(b);
	size_t na = ma->n_metrics, nb = mb->n_metrics, n = 0;
	struct named *mem = svc_alloc(c, nb, sizeof(*mem));
	bool *matched = svc_alloc(c, nb, sizeof(*matched));
	Modelreg__V1__MetricDelta *d = svc_alloc(c, na + nb, sizeof(*d));
	Modelreg__V1__MetricDelta **p = svc_alloc(c, na + nb, sizeof(*p));
	struct index ix;

	if (mem == NULL || matched == NULL || d == NULL || p == NULL)
		return c->err.code;
	index_init(&ix, mb->metrics, nb, metric_at, mem);
	for (size_t i = 0; i < na; i++) {
		const Modelreg__V1__Metadata__MetricsEntry *e = ma->metrics[i];
		size_t k = index_find(&ix, e->key);
		if (k != NPOS)
			matched[k] = true;
		delta_fill(&d[n], m, e->key, &e->value,
		    k != NPOS ? &mb->metrics[k]->value : NULL);
		p[n] = &d[n];
		n++;
	}
	for (size_t k = 0; k < nb; k++) {
		if (matched[k])
			continue;
		delta_fill(&d[n], m, mb->metrics[k]->key, NULL,
		    &mb->metrics[k]->value);
		p[n] = &d[n];
		n++;
	}
	sort(p, n, sizeof(*p), cmp_delta);
	out->metrics = p;
	out->n_metrics = n;
	return MR_OK;
}

static int
cmp_feature(const void *a, const void *b)
{
	const Modelreg__V1__FeatureChange *x =
	    *(Modelreg__V1__FeatureChange *const *)a;
	const Modelreg__V1__FeatureChange *y =
	    *(Modelreg__V1__FeatureChange *const *)b;
	int r = strcmp(x->name, y->name);

	if (r != 0)
		return r;
	return x->baseline_position < y->baseline_position ? -1
	    : x->baseline_position > y->baseline_position;
}

static void
feature_fill(Modelreg__V1__FeatureChange *f, const char *name,
    Modelreg__V1__ChangeKind kind, size_t base_pos, size_t cand_pos)
{
	modelreg__v1__feature_change__init(f);
	f->name = (char *)name;
	f->kind = kind;
	f->baseline_position = base_pos != NPOS ? (uint32_t)base_pos + 1 : 0;
	f->candidate_position = cand_pos != NPOS ? (uint32_t)cand_pos + 1 : 0;
}

static mr_status
compare_features(svc_call *c, const mr_pb_version *a, const mr_pb_version *b,
    Modelreg__V1__CompareVersionsResponse *out)
{
	const Modelreg__V1__Metadata *ma = metadata_of(a), *mb = metadata_of(b);
	size_t na = ma->n_features, nb = mb->n_features, n = 0;
	struct named *mem = svc_alloc(c, nb, sizeof(*mem));
	bool *matched = svc_alloc(c, nb, sizeof(*matched));
	Modelreg__V1__FeatureChange *f = svc_alloc(c, na + nb, sizeof(*f));
	Modelreg__V1__FeatureChange **p = svc_alloc(c, na + nb, sizeof(*p));
	struct index ix;

	if (mem == NULL || matched == NULL || f == NULL || p == NULL)
		return c->err.code;
	index_init(&ix, mb->features, nb, feature_at, mem);
	for (size_t i = 0; i < na; i++) {
		size_t k = index_find(&ix, ma->features[i]);
		if (k != NPOS)
			matched[k] = true;
		if (k == i)
			continue;
		feature_fill(&f[n], ma->features[i],
		    k == NPOS ? MODELREG__V1__CHANGE_KIND__CHANGE_REMOVED
			      : MODELREG__V1__CHANGE_KIND__CHANGE_MOVED,
		    i, k);
		p[n] = &f[n];
		n++;
	}
	for (size_t k = 0; k < nb; k++) {
		if (matched[k])
			continue;
		feature_fill(&f[n], mb->features[k],
		    MODELREG__V1__CHANGE_KIND__CHANGE_ADDED, NPOS, k);
		p[n] = &f[n];
		n++;
	}
	sort(p, n, sizeof(*p), cmp_feature);
	out->features = p;
	out->n_features = n;
	return MR_OK;
}

/* Appends the changes of one field list to out->signature. */
static mr_status
compare_fields(svc_call *c, bool output, Modelreg__V1__Field *const *fa,
    size_t na, Modelreg__V1__Field *const *fb, size_t nb,
    Modelreg__V1__FieldChange *f, Modelreg__V1__CompareVersionsResponse *out)
{
	struct named *mem = svc_alloc(c, nb, sizeof(*mem));
	bool *matched = svc_alloc(c, nb, sizeof(*matched));
	Modelreg__V1__FieldChange **p = out->signature;
	size_t n = out->n_signature;
	struct index ix;

	if (mem == NULL || matched == NULL)
		return c->err.code;
	index_init(&ix, fb, nb, field_at, mem);
	for (size_t i = 0; i < na; i++) {
		size_t k = index_find(&ix, fa[i]->name);
		Modelreg__V1__ChangeKind kind;
		if (k != NPOS) {
			matched[k] = true;
			if (strcmp(fa[i]->type, fb[k]->type) == 0)
				continue;
			kind = MODELREG__V1__CHANGE_KIND__CHANGE_RETYPED;
		} else {
			kind = MODELREG__V1__CHANGE_KIND__CHANGE_REMOVED;
		}
		modelreg__v1__field_change__init(&f[n]);
		f[n].output = output;
		f[n].name = fa[i]->name;
		f[n].kind = kind;
		f[n].baseline_type = fa[i]->type;
		if (k != NPOS)
			f[n].candidate_type = fb[k]->type;
		f[n].breaking = true;
		p[n] = &f[n];
		n++;
	}
	for (size_t k = 0; k < nb; k++) {
		if (matched[k])
			continue;
		modelreg__v1__field_change__init(&f[n]);
		f[n].output = output;
		f[n].name = fb[k]->name;
		f[n].kind = MODELREG__V1__CHANGE_KIND__CHANGE_ADDED;
		f[n].candidate_type = fb[k]->type;
		p[n] = &f[n];
		n++;
	}
	out->n_signature = n;
	return MR_OK;
}

static mr_status
compare_signatures(svc_call *c, const mr_pb_version *a,
    const mr_pb_version *b, Modelreg__V1__CompareVersionsResponse *out)
{
	const Modelreg__V1__Signature *sa = signature_of(a), *sb =
	    signature_of(b);
	size_t max = sa->n_inputs + sb->n_inputs + sa->n_outputs +
	    sb->n_outputs;
	Modelreg__V1__FieldChange *f = svc_alloc(c, max, sizeof(*f));
	mr_status rv;

	out->n_signature = 0;
	if (f == NULL ||
	    (out->signature = svc_alloc(c, max, sizeof(*out->signature))) ==
		NULL)
		return c->err.code;
	if ((rv = compare_fields(c, false, sa->inputs, sa->n_inputs,
		 sb->inputs, sb->n_inputs, f, out)) != MR_OK)
		return rv;
	return compare_fields(c, true, sa->outputs, sa->n_outputs, sb->outputs,
	    sb->n_outputs, f, out);
}

/* ---- the verdict ------------------------------------------------------- */

/* Whether b's major number is higher than a's; false if either is not a
 * version, which keeps the baseline, the cautious answer. */
static bool
major_higher(const mr_pb_version *a, const mr_pb_version *b)
{
	mr_semver va, vb;

	return mr_semver_parse(a->version, &va, NULL) == MR_OK &&
	    mr_semver_parse(b->version, &vb, NULL) == MR_OK &&
	    vb.major > va.major;
}

static const char *
plural(size_t n)
{
	return n == 1 ? "" : "s";
}

static mr_status
decide(svc_call *c, const mr_pb_model *m, const mr_pb_version *a,
    const mr_pb_version *b, Modelreg__V1__CompareVersionsResponse *out)
{
	const char *primary = m != NULL ? m->primary_metric : "";
	const Modelreg__V1__MetricDelta *pd = NULL;
	size_t both = 0, better = 0, worse = 0;
	char breaks[BREAKS_TEXT_MAX];
	struct sbuf sb;

	sb_init(&sb, breaks, sizeof(breaks));
	if (signature_breaks(signature_of(a), signature_of(b), &sb) > 0 &&
	    !major_higher(a, b)) {
		out->verdict = MODELREG__V1__VERDICT__VERDICT_BASELINE;
		out->recommendation = svc_printf(c,
		    "keep %s: %s breaks the signature (%s)", a->version,
		    b->version, breaks);
		return out->recommendation != NULL ? MR_OK : c->err.code;
	}

	for (size_t i = 0; i < out->n_metrics; i++) {
		const Modelreg__V1__MetricDelta *d = out->metrics[i];
		if (!d->in_baseline || !d->in_candidate)
			continue;
		both++;
		better += d->outcome > 0;
		worse += d->outcome < 0;
		if (primary[0] != '\0' && strcmp(d->name, primary) == 0 &&
		    d->outcome != 0)
			pd = d;
	}
	if (better == 0 && worse == 0) {
		out->verdict = MODELREG__V1__VERDICT__VERDICT_EQUIVALENT;
		out->recommendation = svc_printf(c,
		    "%s and %s are equivalent (no metric changed)", a->version,
		    b->version);
	} else if (better > worse) {
		out->verdict = MODELREG__V1__VERDICT__VERDICT_CANDIDATE;
		out->recommendation = svc_printf(c,
		    "%s is better (improves %zu of %zu metric%s)", b->version,
		    better, both, plural(both));
	} else if (worse > better) {
		out->verdict = MODELREG__V1__VERDICT__VERDICT_BASELINE;
		out->recommendation = svc_printf(c,
		    "%s is better (%s is worse on %zu of %zu metric%s)",
		    a->version, b->version, worse, both, plural(both));
	} else if (pd != NULL) {
		out->verdict = pd->outcome > 0
		    ? MODELREG__V1__VERDICT__VERDICT_CANDIDATE
		    : MODELREG__V1__VERDICT__VERDICT_BASELINE;
		out->recommendation = svc_printf(c,
		    "%s is better on the primary metric %s (%zu better, %zu "
		    "worse)",
		    pd->outcome > 0 ? b->version : a->version, primary, better,
		    worse);
	} else {
		out->verdict = MODELREG__V1__VERDICT__VERDICT_MIXED;
		out->recommendation = svc_printf(c,
		    "no clear winner (%zu better, %zu worse)", better, worse);
	}
	return out->recommendation != NULL ? MR_OK : c->err.code;
}

/* "12.0 MiB" into out[32]. */
static const char *
format_size(uint64_t n, char out[32])
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB",
		"PiB", "EiB" };
	double v = (double)n;
	size_t u = 0;

	if (n < 1024) {
		snprintf(out, 32, "%llu B", (unsigned long long)n);
		return out;
	}
	v /= 1024;
	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	snprintf(out, 32, "%.1f %s", v, units[u]);
	return out;
}

/* "accuracy +2.4% (better)", "f1 only in the candidate (0.91)" */
static char *
metric_reason(svc_call *c, const Modelreg__V1__MetricDelta *d)
{
	const char *how;
	char change[48];

	if (!d->in_candidate)
		return svc_printf(c, "%s only in the baseline (%g)", d->name,
		    d->baseline);
	if (!d->in_baseline)
		return svc_printf(c, "%s only in the candidate (%g)", d->name,
		    d->candidate);
	how = d->outcome > 0 ? "better" : "worse";
	if (!d->has_relative)
		snprintf(change, sizeof(change), "%+g", d->change);
	else if (fabs(d->relative) >= 0.0005)
		snprintf(change, sizeof(change), "%+.1f%%", 100 * d->relative);
	else
		snprintf(change, sizeof(change), "%+.2g%%", 100 * d->relative);
	return svc_printf(c, "%s %s (%s)", d->name, change, how);
}

/* "signature: output score retyped float32 -> float64 (breaking)" */
static char *
field_reason(svc_call *c, const Modelreg__V1__FieldChange *f)
{
	const char *what = f->output ? "output" : "input";

	switch (f->kind) {
	case MODELREG__V1__CHANGE_KIND__CHANGE_REMOVED:
		return svc_printf(c, "signature: %s %s removed (breaking)",
		    what, f->name);
	case MODELREG__V1__CHANGE_KIND__CHANGE_RETYPED:
		return svc_printf(c,
		    "signature: %s %s retyped %s -> %s (breaking)", what,
		    f->name, type_text(f->baseline_type),
		    type_text(f->candidate_type));
	default:
		return svc_printf(c, "signature: %s %s added", what, f->name);
	}
}

/* "1 feature added, 1 removed, 2 moved" into buf[cap]. */
static size_t
feature_summary(const Modelreg__V1__CompareVersionsResponse *out, char *buf,
    size_t cap)
{
	static const struct {
		Modelreg__V1__ChangeKind kind;
		const char *verb;
	} kinds[] = {
		{ MODELREG__V1__CHANGE_KIND__CHANGE_ADDED, "added" },
		{ MODELREG__V1__CHANGE_KIND__CHANGE_REMOVED, "removed" },
		{ MODELREG__V1__CHANGE_KIND__CHANGE_MOVED, "moved" },
	};
	size_t parts = 0;
	struct sbuf b;

	sb_init(&b, buf, cap);
	for (size_t k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		size_t n = 0;
		for (size_t i = 0; i < out->n_features; i++)
			n += out->features[i]->kind == kinds[k].kind;
		if (n == 0)
			continue;
		sb_sep(&b, parts, ", ");
		if (parts++ == 0)
			sb_printf(&b, "%zu feature%s %s", n, plural(n),
			    kinds[k].verb);
		else
			sb_printf(&b, "%zu %s", n, kinds[k].verb);
	}
	return parts;
}

static mr_status
explain(svc_call *c, const mr_pb_version *a, const mr_pb_version *b,
    Modelreg__V1__CompareVersionsResponse *out)
{
	size_t cap = out->n_metrics + 1 + 1 + SIG_REASONS_MAX + 1 + 2, n = 0;
	char **r = svc_alloc(c, cap, sizeof(*r));
	char text[128], as[32], bs[32];

	if (r == NULL)
		return c->err.code;
#define ADD(expr)                                                          \
	do {                                                               \
		assert(n < cap);                                           \
		if ((r[n++] = (expr)) == NULL)                             \
			return c->err.code;                                \
	} while (0)

	for (size_t i = 0; i < out->n_metrics; i++) {
		const Modelreg__V1__MetricDelta *d = out->metrics[i];
		if (d->in_baseline && d->in_candidate && d->outcome == 0)
			continue;
		ADD(metric_reason(c, d));
	}
	if (out->baseline_size != out->candidate_size)
		ADD(svc_printf(c, "artifact %s -> %s",
		    format_size(out->baseline_size, as),
		    format_size(out->candidate_size, bs)));
	if (feature_summary(out, text, sizeof(text)) > 0)
		ADD(svc_printf(c, "%s", text));
	for (size_t i = 0; i < out->n_signature && i < SIG_REASONS_MAX; i++)
		ADD(field_reason(c, out->signature[i]));
	if (out->n_signature > SIG_REASONS_MAX)
		ADD(svc_printf(c, "signature: %zu more change%s",
		    out->n_signature - SIG_REASONS_MAX,
		    plural(out->n_signature - SIG_REASONS_MAX)));
	if (a->deprecation != NULL)
		ADD(a->deprecation->reason[0] != '\0'
			? svc_printf(c, "baseline is deprecated: %s",
			      a->deprecation->reason)
			: svc_printf(c, "baseline is deprecated"));
	if (b->deprecation != NULL)
		ADD(b->deprecation->reason[0] != '\0'
			? svc_printf(c, "candidate is deprecated: %s",
			      b->deprecation->reason)
			: svc_printf(c, "candidate is deprecated"));
#undef ADD
	out->reasons = r;
	out->n_reasons = n;
	return MR_OK;
}

mr_status
compare_versions(svc_call *c, const mr_pb_model *m, const mr_pb_version *a,
    const mr_pb_version *b, Modelreg__V1__CompareVersionsResponse *out)
{
	mr_status rv;

	assert(a != NULL && b != NULL);
	if ((rv = compare_metrics(c, m, a, b, out)) != MR_OK ||
	    (rv = compare_features(c, a, b, out)) != MR_OK ||
	    (rv = compare_signatures(c, a, b, out)) != MR_OK)
		return rv;
	out->baseline_size = a->manifest != NULL ? a->manifest->total_size : 0;
	out->candidate_size = b->manifest != NULL ? b->manifest->total_size : 0;
	if ((rv = decide(c, m, a, b, out)) != MR_OK)
		return rv;
	return explain(c, a, b, out);
}
