/*
 * filter.h - the filter language and order_by clauses of SearchVersions
 * (the grammar is in proto/registry.proto; filter.c's opening comment
 * gives the exact semantics).
 *
 * A filter is parsed once per request into an opaque tree, then matched
 * against every candidate version. filter_plan_get() tells the search
 * which index can narrow the scan; filter_order_key() turns a version into
 * bytes whose memcmp order is the requested order, so that the search can
 * sort (or merge) with plain byte comparisons.
 *
 * Errors are MR_INVALID_ARGUMENT with a message "filter: position N: ..."
 * (or "order_by: position N: ..."), N being the 1-based byte offset of the
 * offending token, or the text's length + 1 when the text ended too early.
 * Out of memory is MR_RESOURCE_EXHAUSTED.
 */
#ifndef MR_FILTER_H
#define MR_FILTER_H

#include "store.h" /* mr_pb_model, mr_pb_version, common.h, mr_err */

/* Limits of one filter; past them the filter is refused. */
#define FILTER_DEPTH_MAX 32 /* nesting of '(' and NOT */
#define FILTER_CMP_MAX 64   /* comparisons */
#define FILTER_ORDER_MAX 8  /* order_by terms */

typedef struct filter filter;

/*
 * Parses `text` (at most MR_FILTER_MAX bytes). "" or only blanks matches
 * everything. On success *out is the caller's, to free with filter_free.
 */
mr_status filter_parse(const char *text, filter **out, mr_err *e);
/* Accepts NULL. */
void filter_free(filter *f);
/* Whether version v (of model m) matches. m may be NULL only if
 * !filter_needs_model(f). */
bool filter_match(const filter *f, const mr_pb_model *m,
    const mr_pb_version *v);
/* True if the filter reads the model record (model.tags.K or alias). */
bool filter_needs_model(const filter *f);

/*
 * What an index can narrow, from comparisons that are top-level conjuncts
 * (ANDed at the top, not under OR or NOT). The filter must still be
 * matched against every version the index yields.
 */
typedef struct filter_plan {
	char name_prefix[MR_NAME_MAX + 1]; /* literal prefix of a name = or
	                                      GLOB pattern; "" none */
	bool name_exact;                   /* name = 'x' without glob
	                                      metacharacters: name_prefix is
	                                      the whole name */
	int stage;                         /* stage = S (1..4); 0 none */
	const char *tag_key, *tag_value;   /* tags.K = 'V'; NULL none; point
	                                      into f */
} filter_plan;
void filter_plan_get(const filter *f, filter_plan *out);

typedef struct filter_order filter_order;

/*
 * Parses "field [ASC|DESC], ..." (at most FILTER_ORDER_MAX terms); "" is
 * the default order, name then version ascending. Orderable fields: name,
 * version, stage, created_at, created_by, framework, framework_version,
 * python_version, experiment, training_data_version, feature_set_version,
 * increment, deprecated, metrics.K, tags.K, model.tags.K,
 * hyperparameters.K (or params.K).
 */
mr_status filter_order_parse(const char *text, filter_order **out,
    mr_err *e);
/* Accepts NULL. */
void filter_order_free(filter_order *o);
/* True if the order is name then version ascending ("", "name",
 * "name ASC, version", ...): the catalog's own key order. */
bool filter_order_is_default(const filter_order *o);
/* True if the order reads the model record (model.tags.K). */
bool filter_order_needs_model(const filter_order *o);

/* Room for any sort key. */
#define FILTER_KEY_MAX 8192
/*
 * Writes the sort key of (m, v) under o into out[FILTER_KEY_MAX] and
 * returns its length: bytes whose memcmp order is the order, always ending
 * with name then version ascending, so keys are unique per version. A
 * version without the metric or tag a term names sorts after every version
 * with it, in both directions. m may be NULL only if
 * !filter_order_needs_model(o).
 */
size_t filter_order_key(const filter_order *o, const mr_pb_model *m,
    const mr_pb_version *v, uint8_t *out);

#endif /* MR_FILTER_H */
