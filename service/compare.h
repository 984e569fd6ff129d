/*
 * compare.h - what changed between two versions of a model and which one
 * is better: metric goals, signature breaks, the automatic version bump
 * and the CompareVersions verdict.
 *
 * These are pure functions of the records they are given; they read no
 * store. The caller (a handler) fetches the model and the versions.
 */
#ifndef MR_COMPARE_H
#define MR_COMPARE_H

#include "registry.pb-c.h"
#include "svc.h"

/*
 * METRIC_GOAL_HIGHER or _LOWER for `metric` under model m (m may be NULL):
 * m->metric_goals entry if set (not DEFAULT); else LOWER when the name
 * (case-insensitive) contains "latency", "loss", "error", "size", "mae",
 * "mse", "rmse" or ends in "_ms" or "_bytes"; else HIGHER.
 */
Modelreg__V1__MetricGoal compare_metric_goal(const mr_pb_model *m,
    const char *metric);

/*
 * Breaking changes from signature `from` to `to` (either may be NULL =
 * empty): an input or output of `from` that `to` lacks, or whose type
 * differs. Writes "input amount removed; output score retyped float32 ->
 * float64" (all of them, "; "-separated, truncated with "..." to fit) into
 * msg[cap] and returns how many. 0 and "" when nothing breaks (fields only
 * added do not break). msg may be NULL when cap is 0, to only count.
 */
size_t compare_signature_breaks(const Modelreg__V1__Signature *from,
    const Modelreg__V1__Signature *to, char *msg, size_t cap);

/*
 * The automatic bump from `latest` (the model's highest version record) to
 * a new version with signature `sig` and metadata `md` (either may be
 * NULL):
 *   BUMP_MAJOR when the signature breaks (compare_signature_breaks) or a
 *   feature of latest's metadata is missing from md's features;
 *   else BUMP_MINOR when md adds features, or the model's primary metric
 *   (m->primary_metric, non-empty, present in both) improved under its
 *   goal;
 *   else BUMP_PATCH.
 * Writes the rule that fired into rule[cap] (truncated with "..." to fit):
 * "auto major: input amount removed", "auto major: feature x removed"
 * (naming the first few), "auto minor: features added: a, b", "auto minor:
 * accuracy improved 0.85 -> 0.87", "auto patch: no breaking change, no new
 * feature, primary metric not improved" (or "no primary metric set").
 * When several causes hold for the same bump they are all named,
 * "; "-separated.
 */
Modelreg__V1__Bump compare_auto_bump(const mr_pb_model *m,
    const mr_pb_version *latest, const Modelreg__V1__Signature *sig,
    const Modelreg__V1__Metadata *md, char *rule, size_t cap);

/*
 * Fills `out` with the comparison of baseline `a` and candidate `b` of
 * model `m` (m may be NULL: no goals, no primary metric); the caller sets
 * out->baseline and out->candidate. Fills: metrics (union of both
 * versions' metric names, sorted by name), features (added, removed, or
 * moved to another position; sorted by name; positions 1-based), signature
 * (inputs then outputs: added, removed, retyped), the artifact sizes, and
 * the verdict with its recommendation and reasons (rule in compare.c).
 *
 * All memory hung on `out` comes from svc_alloc(c, ...); strings may point
 * into `a` and `b`, which must outlive the reply. Returns MR_OK, or
 * c->err.code after an allocation failure.
 */
mr_status compare_versions(svc_call *c, const mr_pb_model *m,
    const mr_pb_version *a, const mr_pb_version *b,
    Modelreg__V1__CompareVersionsResponse *out);

#endif /* MR_COMPARE_H */
