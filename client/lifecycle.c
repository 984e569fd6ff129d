/*
 * lifecycle.c - the lifecycle and audit calls of libmodelreg: looking a
 * version up as it was at a moment, editing models and versions,
 * approval policies and reviews, deprecation, aliases, comparisons,
 * searches (proto/registry.proto), and reading and verifying the audit
 * log (proto/audit.proto).
 *
 * Every function is written as the ones in client.c are: clear the
 * handle's error, check each argument against the limits modelreg.h
 * documents (so a mistake costs no round trip and gets a message that
 * names it), build the request on the stack pointing at the caller's
 * strings, make one call, and copy the answer out with convert.c. The
 * mutations carry idempotency keys (client_call with `mutation` set), so
 * a request whose reply was lost and is sent again is applied once. What
 * only the server can judge - that a version exists, that a reviewer is
 * allowed, that a filter parses - comes back in its words.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit.pb-c.h"
#include "client.h"
#include "convert.h"
#include "registry.pb-c.h"

/* The public enums are the wire's numbers: values pass through casts. */
_Static_assert((int)MR_BUMP_MAJOR == MODELREG__V1__BUMP__BUMP_MAJOR &&
        (int)MR_BUMP_AUTO == MODELREG__V1__BUMP__BUMP_AUTO,
    "mr_bump differs from Bump");
_Static_assert(
    (int)MR_GOAL_HIGHER == MODELREG__V1__METRIC_GOAL__METRIC_GOAL_HIGHER &&
        (int)MR_GOAL_LOWER == MODELREG__V1__METRIC_GOAL__METRIC_GOAL_LOWER,
    "mr_metric_goal differs from MetricGoal");
_Static_assert((int)MR_APPROVE == MODELREG__V1__DECISION__DECISION_APPROVE &&
        (int)MR_REJECT == MODELREG__V1__DECISION__DECISION_REJECT,
    "mr_decision differs from Decision");
_Static_assert(
    (int)MR_CHANGE_ADDED == MODELREG__V1__CHANGE_KIND__CHANGE_ADDED &&
        (int)MR_CHANGE_MOVED == MODELREG__V1__CHANGE_KIND__CHANGE_MOVED,
    "mr_change_kind differs from ChangeKind");
_Static_assert(
    (int)MR_VERDICT_CANDIDATE == MODELREG__V1__VERDICT__VERDICT_CANDIDATE &&
        (int)MR_VERDICT_MIXED == MODELREG__V1__VERDICT__VERDICT_MIXED,
    "mr_verdict differs from Verdict");
_Static_assert((int)MR_EVENT_ALIAS_DELETED ==
        MODELREG__V1__EVENT_KIND__EVENT_ALIAS_DELETED,
    "mr_event_kind differs from EventKind");
_Static_assert((int)MR_EVENT_VERSION_DELETED ==
            MODELREG__V1__EVENT_KIND__EVENT_VERSION_DELETED &&
        (int)MR_EVENT_MODEL_DELETED ==
            MODELREG__V1__EVENT_KIND__EVENT_MODEL_DELETED,
    "mr_event_kind differs from EventKind");

int
mr_bump_parse(const char *text, mr_bump *out)
{
	static const struct {
		const char *name;
		mr_bump bump;
	} names[] = {
	    {"major", MR_BUMP_MAJOR},
	    {"minor", MR_BUMP_MINOR},
	    {"patch", MR_BUMP_PATCH},
	    {"auto", MR_BUMP_AUTO},
	};

	if (text == NULL)
		return -1;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(text, names[i].name) == 0) {
			*out = names[i].bump;
			return 0;
		}
	}
	return -1;
}

/* ---- argument checks ---------------------------------------------------- */

/* A metric, signature or metadata string: MR_STRING_MAX, one line. */
static mr_status
check_string(const char *what, const char *s, bool required, mr_err *e)
{
	if (required && (s == NULL || s[0] == '\0'))
		return mr_fail(e, MR_INVALID_ARGUMENT, "%s is empty", what);
	return mr_check_text(what, s, MR_STRING_MAX, false, e);
}

static mr_status
check_reason(const char *reason, mr_err *e)
{
	return mr_check_text("reason", reason, MR_REASON_MAX, true, e);
}

/* Tag keys to delete: at most MR_TAGS_MAX, each a tag key. */
static mr_status
check_delete_tags(const char *const *keys, size_t n, mr_err *e)
{
	mr_status rv;

	if (n > 0 && keys == NULL)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "%zu tags to delete announced but none given", n);
	if (n > MR_TAGS_MAX)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "%zu tags to delete; the limit is %d", n, MR_TAGS_MAX);
	for (size_t i = 0; i < n; i++)
		if ((rv = mr_check_tag_key(keys[i], e)) != MR_OK)
			return rv;
	return MR_OK;
}

static mr_status
check_goals(const mr_goal *g, size_t n, mr_err *e)
{
	mr_status rv;

	if (n > 0 && g == NULL)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "%zu metric goals announced but none given", n);
	if (n > MR_METRICS_MAX)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "%zu metric goals; the limit is %d", n, MR_METRICS_MAX);
	for (size_t i = 0; i < n; i++) {
		if ((rv = check_string("metric name", g[i].metric, true, e)) !=
		    MR_OK)
			return rv;
		if ((int)g[i].goal < MR_GOAL_DEFAULT ||
		    g[i].goal > MR_GOAL_LOWER)
			return mr_fail(e, MR_INVALID_ARGUMENT,
			    "goal %d of metric \"%s\" is not default, higher "
			    "or lower",
			    (int)g[i].goal, g[i].metric);
		for (size_t k = 0; k < i; k++)
			if (strcmp(g[k].metric, g[i].metric) == 0)
				return mr_fail(e, MR_INVALID_ARGUMENT,
				    "metric \"%s\" is given two goals",
				    g[i].metric);
	}
	return MR_OK;
}

/* Policies and reviews are for the stages that gate promotions. */
static mr_status
check_gated_stage(mr_stage stage, mr_err *e)
{
	if (stage != MR_STAGE_STAGING && stage != MR_STAGE_PRODUCTION)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "stage %d: approvals are for staging or production",
		    (int)stage);
	return MR_OK;
}

static mr_status
check_approvers(
    const char *const *approvers, size_t n, uint32_t required, mr_err *e)
{
	mr_status rv;

	if (n > 0 && approvers == NULL)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "%zu approvers announced but none given", n);
	if (n > MR_APPROVERS_MAX || required > MR_APPROVERS_MAX)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "%zu approvers and %u required approvals; the limit is "
		    "%d",
		    n, required, MR_APPROVERS_MAX);
	for (size_t i = 0; i < n; i++) {
		if (approvers[i] == NULL || approvers[i][0] == '\0')
			return mr_fail(
			    e, MR_INVALID_ARGUMENT, "an approver is empty");
		if ((rv = mr_check_text("approver", approvers[i], MR_USER_MAX,
		         false, e)) != MR_OK)
			return rv;
		for (size_t k = 0; k < i; k++)
			if (strcmp(approvers[k], approvers[i]) == 0)
				return mr_fail(e, MR_INVALID_ARGUMENT,
				    "approver \"%s\" is named twice",
				    approvers[i]);
	}
	if (n > 0 && required > n)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "%u approvals required from %zu approvers can never be "
		    "given",
		    required, n);
	return MR_OK;
}

/* "latest" and the stage names select versions themselves. */
static mr_status
check_new_alias(const char *alias, mr_err *e)
{
	static const char *const reserved[] = {
	    "latest", "dev", "staging", "production", "archived"};
	mr_status rv;

	if ((rv = client_alias_check(alias, e)) != MR_OK)
		return rv;
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strcmp(alias, reserved[i]) == 0)
			return mr_fail(e, MR_INVALID_ARGUMENT,
			    "alias \"%s\" is reserved: it selects the "
			    "highest version%s",
			    alias, i == 0 ? "" : " in that stage");
	return MR_OK;
}

/* *previous = a malloc'd copy of `s`, if `previous` is not NULL. */
static mr_status
give_previous(char **previous, const char *s, mr_err *e)
{
	char *d;

	if (previous == NULL)
		return MR_OK;
	if ((d = strdup(s != NULL ? s : "")) == NULL)
		return mr_fail(e, MR_RESOURCE_EXHAUSTED,
		    "out of memory copying the server's answer");
	*previous = d;
	return MR_OK;
}

/* ---- reads -------------------------------------------------------------- */

mr_status
mr_get_version_at(mr_client *c, const char *name, mr_stage stage, int64_t at_ms,
    mr_version **out)
{
	Modelreg__V1__GetVersionRequest req =
	    MODELREG__V1__GET_VERSION_REQUEST__INIT;
	mr_status rv;

	if (c == NULL)
		return MR_INVALID_ARGUMENT;
	mr_err_clear(&c->err);
	if (out == NULL)
		return client_no_out(&c->err);
	if ((rv = mr_check_name(name, &c->err)) != MR_OK ||
	    (rv = client_stage_arg("stage", stage, false, &c->err)) != MR_OK)
		return rv;
	/* 0 means "now" on the wire; a moment asked for is after 1970. */
	if (at_ms <= 0)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "time %lld ms is not after the epoch", (long long)at_ms);
	req.name = (char *)name;
	req.stage = (Modelreg__V1__Stage)stage;
	req.at_ms = at_ms;
	return client_call_version(c, M_GET_VERSION, &req.base, false,
	    &modelreg__v1__get_version_response__descriptor, out);
}

mr_status
mr_compare(mr_client *c, const char *name, const char *baseline,
    const char *candidate, mr_comparison **out)
{
	Modelreg__V1__CompareVersionsRequest req =
	    MODELREG__V1__COMPARE_VERSIONS_REQUEST__INIT;
	Modelreg__V1__CompareVersionsResponse *resp;
	char b[MR_VERSION_MAX + 1], v[MR_VERSION_MAX + 1];
	mr_status rv;

	if (c == NULL)
		return MR_INVALID_ARGUMENT;
	mr_err_clear(&c->err);
	if (out == NULL)
		return client_no_out(&c->err);
	if ((rv = mr_check_name(name, &c->err)) != MR_OK ||
	    (rv = client_version_need("baseline", baseline, b, &c->err)) !=
	        MR_OK ||
	    (rv = client_version_need("candidate", candidate, v, &c->err)) !=
	        MR_OK)
		return rv;
	req.name = (char *)name;
	req.baseline = b;
	req.candidate = v;
	rv = client_call(c, M_COMPARE, &req.base, false,
	    &modelreg__v1__compare_versions_response__descriptor, &resp);
	if (rv != MR_OK)
		return rv;
	rv = cv_comparison_new(out, resp, &c->err);
	rpc_reply_free(&resp->base);
	return rv;
}

mr_status
mr_search(mr_client *c, const char *filter, const char *order_by,
    const mr_list_params *page, mr_version_list **out)
{
	Modelreg__V1__SearchVersionsRequest req =
	    MODELREG__V1__SEARCH_VERSIONS_REQUEST__INIT;
	Modelreg__V1__SearchVersionsResponse *resp;
	mr_status rv;

	if (c == NULL)
		return MR_INVALID_ARGUMENT;
	mr_err_clear(&c->err);
	if (out == NULL)
		return client_no_out(&c->err);
	/* Newlines and tabs are white space to the filter language. */
	if ((rv = mr_check_text(
	         "filter", filter, MR_FILTER_MAX, true, &c->err)) != MR_OK ||
	    (rv = mr_check_text(
	         "order_by", order_by, MR_FILTER_MAX, true, &c->err)) != MR_OK)
		return rv;
	req.filter = client_str(filter);
	req.order_by = client_str(order_by);
	if (page != NULL) {
		req.page_size = page->page_size;
		req.page_token = client_str(page->page_token);
	}
	rv = client_call(c, M_SEARCH, &req.base, false,
	    &modelreg__v1__search_versions_response__descriptor, &resp);
	if (rv != MR_OK)
		return rv;
	rv = cv_versions_new(out, resp->versions, resp->n_versions,
	    resp->next_page_token, &c->err);
	rpc_reply_free(&resp->base);
	return rv;
}

/* ---- edits -------------------------------------------------------------- */

mr_status
mr_update_model(
    mr_client *c, const char *name, const mr_model_update *u, mr_model **out)
{
	Modelreg__V1__UpdateModelRequest req =
	    MODELREG__V1__UPDATE_MODEL_REQUEST__INIT;
	Modelreg__V1__UpdateModelRequest__SetMetricGoalsEntry **goals;
	cv_arena a = CV_ARENA_INIT;
	char *update[3];
	mr_status rv;

	if (c == NULL)
		return MR_INVALID_ARGUMENT;
	mr_err_clear(&c->err);
	if (u == NULL)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT, "no update given");
	if ((rv = mr_check_name(name, &c->err)) != MR_OK ||
	    (rv = mr_check_text("description", u->description, MR_TEXT_MAX,
	         true, &c->err)) != MR_OK ||
	    (rv = check_string("owner", u->owner, false, &c->err)) != MR_OK ||
	    (rv = check_string("primary metric", u->primary_metric, false,
	         &c->err)) != MR_OK ||
	    (rv = client_check_kv("tag", u->set_tags, u->n_set_tags,
	         MR_TAGS_MAX, &c->err)) != MR_OK ||
	    (rv = check_delete_tags(
	         u->delete_tags, u->n_delete_tags, &c->err)) != MR_OK ||
	    (rv = check_goals(u->set_goals, u->n_set_goals, &c->err)) !=
	        MR_OK ||
	    (rv = check_reason(u->reason, &c->err)) != MR_OK)
		return rv;
	req.name = (char *)name;
	/* Only the fields named in `update` are replaced: a NULL one is
	 * left out, so "" can mean "clear". */
	if (u->description != NULL) {
		update[req.n_update++] = "description";
		req.description = (char *)u->description;
	}
	if (u->owner != NULL) {
		update[req.n_update++] = "owner";
		req.owner = (char *)u->owner;
	}
	if (u->primary_metric != NULL) {
		update[req.n_update++] = "primary_metric";
		req.primary_metric = (char *)u->primary_metric;
	}
	req.update = req.n_update > 0 ? update : NULL;
	req.set_tags = cv_tags_pb(&a,
	    &modelreg__v1__update_model_request__set_tags_entry__descriptor,
	    u->set_tags, u->n_set_tags);
	req.n_set_tags = req.set_tags != NULL ? u->n_set_tags : 0;
	req.delete_tags = (char **)u->delete_tags;
	req.n_delete_tags = u->n_delete_tags;
	goals = cv_messages(&a,
	    &modelreg__v1__update_model_request__set_metric_goals_entry__descriptor,
	    u->n_set_goals);
	for (size_t i = 0; goals != NULL && i < u->n_set_goals; i++) {
		goals[i]->key = (char *)u->set_goals[i].metric;
		goals[i]->value =
		    (Modelreg__V1__MetricGoal)u->set_goals[i].goal;
	}
	req.set_metric_goals = goals;
	req.n_set_metric_goals = goals != NULL ? u->n_set_goals : 0;
	req.reason = client_str(u->reason);
	if (a.failed) {
		cv_arena_free(&a);
		return mr_fail(&c->err, MR_RESOURCE_EXHAUSTED, "out of memory");
	}
	rv = client_call_model(c, M_UPDATE_MODEL, &req.base, true,
	    &modelreg__v1__update_model_response__descriptor, out);
	cv_arena_free(&a);
	return rv;
}

mr_status
mr_update_version(mr_client *c, const char *name, const char *version,
    const mr_version_update *u, mr_version **out)
{
	Modelreg__V1__UpdateVersionRequest req =
	    MODELREG__V1__UPDATE_VERSION_REQUEST__INIT;
	char v[MR_VERSION_MAX + 1];
	cv_arena a = CV_ARENA_INIT;
	char *update[2];
	mr_status rv;

	if (c == NULL)
		return MR_INVALID_ARGUMENT;
	mr_err_clear(&c->err);
	if (u == NULL)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT, "no update given");
	if ((rv = mr_check_name(name, &c->err)) != MR_OK ||
	    (rv = client_version_need("version", version, v, &c->err)) !=
	        MR_OK ||
	    (rv = mr_check_text("description", u->description, MR_TEXT_MAX,
	         true, &c->err)) != MR_OK ||
	    (rv = client_check_kv("tag", u->set_tags, u->n_set_tags,
	         MR_TAGS_MAX, &c->err)) != MR_OK ||
	    (rv = check_delete_tags(
	         u->delete_tags, u->n_delete_tags, &c->err)) != MR_OK ||
	    (rv = check_reason(u->reason, &c->err)) != MR_OK)
		return rv;
	if (u->signature != NULL &&
	    (rv = client_check_signature(u->signature, &c->err)) != MR_OK)
		return rv;
	req.name = (char *)name;
	req.version = v;
	if (u->description != NULL) {
		update[req.n_update++] = "description";
		req.description = (char *)u->description;
	}
	if (u->signature != NULL) {
		update[req.n_update++] = "signature";
		req.signature = cv_signature_pb(&a, u->signature);
	}
	req.update = req.n_update > 0 ? update : NULL;
	req.set_tags = cv_tags_pb(&a,
	    &modelreg__v1__update_version_request__set_tags_entry__descriptor,
	    u->set_tags, u->n_set_tags);
	req.n_set_tags = req.set_tags != NULL ? u->n_set_tags : 0;
	req.delete_tags = (char **)u->delete_tags;
	req.n_delete_tags = u->n_delete_tags;
	req.reason = client_str(u->reason);
	if (a.failed) {
		cv_arena_free(&a);
		return mr_fail(&c->err, MR_RESOURCE_EXHAUSTED, "out of memory");
	}
	rv = client_call_version(c, M_UPDATE_VERSION, &req.base, true,
	    &modelreg__v1__update_version_response__descriptor, out);
	cv_arena_free(&a);
	return rv;
}

/* ---- approvals ---------------------------------------------------------- */

mr_status
mr_set_approval_policy(mr_client *c, const char *name, mr_stage stage,
    const char *const *approvers, size_t n_approvers, uint32_t required,
    const char *reason, mr_model **out)
{
	Modelreg__V1__SetApprovalPolicyRequest req =
	    MODELREG__V1__SET_APPROVAL_POLICY_REQUEST__INIT;
	mr_status rv;

	if (c == NULL)
		return MR_INVALID_ARGUMENT;
	mr_err_clear(&c->err);
	if ((rv = mr_check_name(name, &c->err)) != MR_OK ||
	    (rv = check_gated_stage(stage, &c->err)) != MR_OK ||
	    (rv = check_approvers(approvers, n_approvers, required, &c->err)) !=
	        MR_OK ||
	    (rv = check_reason(reason, &c->err)) != MR_OK)
		return rv;
	req.name = (char *)name;
	req.stage = (Modelreg__V1__Stage)stage;
	req.approvers = (char **)approvers;
	req.n_approvers = n_approvers;
	req.required = required;
	req.reason = client_str(reason);
	return client_call_model(c, M_SET_POLICY, &req.base, true,
	    &modelreg__v1__set_approval_policy_response__descriptor, out);
}

mr_status
mr_review_version(mr_client *c, const char *name, const char *version,
    mr_stage stage, mr_decision decision, const char *comment,
    uint32_t *approvals, uint32_t *required, mr_version **out)
{
	Modelreg__V1__ReviewRequest req = MODELREG__V1__REVIEW_REQUEST__INIT;
	Modelreg__V1__ReviewResponse *resp;
	char v[MR_VERSION_MAX + 1];
	mr_status rv;

	if (c == NULL)
		return MR_INVALID_ARGUMENT;
	mr_err_clear(&c->err);
	if ((rv = mr_check_name(name, &c->err)) != MR_OK ||
	    (rv = client_version_need("version", version, v, &c->err)) !=
	        MR_OK ||
	    (rv = check_gated_stage(stage, &c->err)) != MR_OK ||
	    (rv = mr_check_text(
	         "comment", comment, MR_REASON_MAX, true, &c->err)) != MR_OK)
		return rv;
	if (decision != MR_APPROVE && decision != MR_REJECT &&
	    decision != MR_APPROVE_OVERRIDE)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "decision %d is neither approve nor reject", (int)decision);
	req.override_separation = decision == MR_APPROVE_OVERRIDE;
	if (req.override_separation)
		decision = MR_APPROVE;
	req.name = (char *)name;
	req.version = v;
	req.stage = (Modelreg__V1__Stage)stage;
	req.decision = (Modelreg__V1__Decision)decision;
	req.comment = client_str(comment);
	rv = client_call(c, M_REVIEW, &req.base, true,
	    &modelreg__v1__review_response__descriptor, &resp);
	if (rv != MR_OK)
		return rv;
	if (out != NULL)
		rv = cv_version_new(out, resp->version, &c->err);
	if (rv == MR_OK && approvals != NULL)
		*approvals = resp->approvals;
	if (rv == MR_OK && required != NULL)
		*required = resp->required;
	rpc_reply_free(&resp->base);
	return rv;
}

/* ---- deprecation -------------------------------------------------------- */

static mr_status
deprecate(mr_client *c, const char *name, const char *version,
    const char *reason, int64_t end_of_life_ms, bool undo, mr_version **out)
{
	Modelreg__V1__DeprecateRequest req =
	    MODELREG__V1__DEPRECATE_REQUEST__INIT;
	char v[MR_VERSION_MAX + 1];
	mr_status rv;

	if ((rv = mr_check_name(name, &c->err)) != MR_OK ||
	    (rv = client_version_need("version", version, v, &c->err)) !=
	        MR_OK ||
	    (rv = check_reason(reason, &c->err)) != MR_OK)
		return rv;
	req.name = (char *)name;
	req.version = v;
	req.reason = client_str(reason);
	req.end_of_life_ms = end_of_life_ms;
	req.undo = undo;
	return client_call_version(c, M_DEPRECATE, &req.base, true,
	    &modelreg__v1__deprecate_response__descriptor, out);
}

mr_status
mr_deprecate(mr_client *c, const char *name, const char *version,
    const char *reason, int64_t end_of_life_ms, mr_version **out)
{
	if (c == NULL)
		return MR_INVALID_ARGUMENT;
	mr_err_clear(&c->err);
	if (reason == NULL || reason[0] == '\0')
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "a deprecation needs a reason");
	if (end_of_life_ms < 0)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "end of life %lld ms is before the epoch",
		    (long long)end_of_life_ms);
	return deprecate(c, name, version, reason, end_of_life_ms, false, out);
}

mr_status
mr_undeprecate(mr_client *c, const char *name, const char *version,
    const char *reason, mr_version **out)
{
	if (c == NULL)
		return MR_INVALID_ARGUMENT;
	mr_err_clear(&c->err);
	return deprecate(c, name, version, reason, 0, true, out);
}

/* ---- deletion ------------------------------------------------------------ */

#define M_DELETE_VERSION "/modelreg.v1.Registry/DeleteVersion"
#define M_DELETE_MODEL "/modelreg.v1.Registry/DeleteModel"

static mr_status
check_delete_reason(const char *reason, mr_err *e)
{
	if (reason == NULL || reason[0] == '\0')
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "a deletion needs a reason");
	return check_reason(reason, e);
}

mr_status
mr_delete_version(mr_client *c, const char *name, const char *version,
    const char *reason, mr_version **out)
{
	Modelreg__V1__DeleteVersionRequest req =
	    MODELREG__V1__DELETE_VERSION_REQUEST__INIT;
	char v[MR_VERSION_MAX + 1];
	mr_status rv;

	if (c == NULL)
		return MR_INVALID_ARGUMENT;
	mr_err_clear(&c->err);
	if ((rv = mr_check_name(name, &c->err)) != MR_OK ||
	    (rv = check_delete_reason(reason, &c->err)) != MR_OK)
		return rv;
	/* Exactly a version: an alias would delete whatever it names now. */
	if (version == NULL ||
	    mr_semver_normalize(version, v, &c->err) != MR_OK)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "a deletion names its version exactly (MAJOR.MINOR.PATCH), "
		    "not \"%.64s\"",
		    version != NULL ? version : "");
	req.name = (char *)name;
	req.version = v;
	req.reason = (char *)reason;
	return client_call_version(c, M_DELETE_VERSION, &req.base, true,
	    &modelreg__v1__delete_version_response__descriptor, out);
}

mr_status
mr_delete_model(mr_client *c, const char *name, const char *reason,
    size_t *n_deleted)
{
	Modelreg__V1__DeleteModelRequest req =
	    MODELREG__V1__DELETE_MODEL_REQUEST__INIT;
	Modelreg__V1__DeleteModelResponse *resp;
	mr_status rv;

	if (c == NULL)
		return MR_INVALID_ARGUMENT;
	mr_err_clear(&c->err);
	if ((rv = mr_check_name(name, &c->err)) != MR_OK ||
	    (rv = check_delete_reason(reason, &c->err)) != MR_OK)
		return rv;
	req.name = (char *)name;
	req.reason = (char *)reason;
	rv = client_call(c, M_DELETE_MODEL, &req.base, true,
	    &modelreg__v1__delete_model_response__descriptor, &resp);
	if (rv != MR_OK)
		return rv;
	if (n_deleted != NULL)
		*n_deleted = resp->n_deleted_versions;
	rpc_reply_free(&resp->base);
	return MR_OK;
}

/* ---- aliases ------------------------------------------------------------ */

mr_status
mr_set_alias(mr_client *c, const char *name, const char *alias,
    const char *version, const char *reason, char **previous)
{
	Modelreg__V1__SetAliasRequest req =
	    MODELREG__V1__SET_ALIAS_REQUEST__INIT;
	Modelreg__V1__SetAliasResponse *resp;
	char v[MR_VERSION_MAX + 1];
	mr_status rv;

	if (c == NULL)
		return MR_INVALID_ARGUMENT;
	mr_err_clear(&c->err);
	if ((rv = mr_check_name(name, &c->err)) != MR_OK ||
	    (rv = check_new_alias(alias, &c->err)) != MR_OK ||
	    (rv = client_version_need("version", version, v, &c->err)) !=
	        MR_OK ||
	    (rv = check_reason(reason, &c->err)) != MR_OK)
		return rv;
	req.name = (char *)name;
	req.alias = (char *)alias;
	req.version = v;
	req.reason = client_str(reason);
	rv = client_call(c, M_SET_ALIAS, &req.base, true,
	    &modelreg__v1__set_alias_response__descriptor, &resp);
	if (rv != MR_OK)
		return rv;
	rv = give_previous(previous, resp->previous_version, &c->err);
	rpc_reply_free(&resp->base);
	return rv;
}

mr_status
mr_delete_alias(mr_client *c, const char *name, const char *alias,
    const char *reason, char **previous)
{
	Modelreg__V1__DeleteAliasRequest req =
	    MODELREG__V1__DELETE_ALIAS_REQUEST__INIT;
	Modelreg__V1__DeleteAliasResponse *resp;
	mr_status rv;

	if (c == NULL)
		return MR_INVALID_ARGUMENT;
	mr_err_clear(&c->err);
	if ((rv = mr_check_name(name, &c->err)) != MR_OK ||
	    (rv = client_alias_check(alias, &c->err)) != MR_OK ||
	    (rv = check_reason(reason, &c->err)) != MR_OK)
		return rv;
	req.name = (char *)name;
	req.alias = (char *)alias;
	req.reason = client_str(reason);
	rv = client_call(c, M_DELETE_ALIAS, &req.base, true,
	    &modelreg__v1__delete_alias_response__descriptor, &resp);
	if (rv != MR_OK)
		return rv;
	rv = give_previous(previous, resp->previous_version, &c->err);
	rpc_reply_free(&resp->base);
	return rv;
}

/* ---- audit -------------------------------------------------------------- */

mr_status
mr_list_audit(mr_client *c, const char *model, int64_t from_ms, int64_t to_ms,
    uint64_t after_seq, uint32_t page_size, mr_audit_list **out)
{
	Modelreg__V1__ListAuditRequest req =
	    MODELREG__V1__LIST_AUDIT_REQUEST__INIT;
	Modelreg__V1__ListAuditResponse *resp;
	mr_status rv;

	if (c == NULL)
		return MR_INVALID_ARGUMENT;
	mr_err_clear(&c->err);
	if (out == NULL)
		return client_no_out(&c->err);
	if (model != NULL && model[0] != '\0' &&
	    (rv = mr_check_name(model, &c->err)) != MR_OK)
		return rv;
	if (from_ms < 0 || to_ms < 0)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "time bounds %lld and %lld ms: neither may be before the "
		    "epoch",
		    (long long)from_ms, (long long)to_ms);
	if (to_ms != 0 && from_ms > to_ms)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "time range %lld..%lld ms ends before it starts",
		    (long long)from_ms, (long long)to_ms);
	req.model = client_str(model);
	req.from_ms = from_ms;
	req.to_ms = to_ms;
	req.after_seq = after_seq;
	req.page_size = page_size;
	rv = client_call(c, M_LIST_AUDIT, &req.base, false,
	    &modelreg__v1__list_audit_response__descriptor, &resp);
	if (rv != MR_OK)
		return rv;
	rv = cv_audit_list_new(out, resp, &c->err);
	rpc_reply_free(&resp->base);
	return rv;
}

mr_status
mr_verify_audit(mr_client *c, mr_audit_check **out)
{
	Modelreg__V1__VerifyAuditRequest req =
	    MODELREG__V1__VERIFY_AUDIT_REQUEST__INIT;
	Modelreg__V1__VerifyAuditResponse *resp;
	mr_status rv;

	if (c == NULL)
		return MR_INVALID_ARGUMENT;
	mr_err_clear(&c->err);
	if (out == NULL)
		return client_no_out(&c->err);
	rv = client_call(c, M_VERIFY_AUDIT, &req.base, false,
	    &modelreg__v1__verify_audit_response__descriptor, &resp);
	if (rv != MR_OK)
		return rv;
	rv = cv_audit_check_new(out, resp, &c->err);
	rpc_reply_free(&resp->base);
	return rv;
}

/* ---- traffic split ------------------------------------------------------ */

_Static_assert((int)MR_EVENT_SPLIT_CHANGED ==
        MODELREG__V1__EVENT_KIND__EVENT_SPLIT_CHANGED,
    "mr_event_kind differs from EventKind");

mr_status
mr_set_traffic_split(mr_client *c, const char *name, mr_stage canary,
    uint32_t basis_points, const char *reason, mr_model **out)
{
	Modelreg__V1__SetTrafficSplitRequest req =
	    MODELREG__V1__SET_TRAFFIC_SPLIT_REQUEST__INIT;
	mr_status rv;

	if (c == NULL)
		return MR_INVALID_ARGUMENT;
	mr_err_clear(&c->err);
	if ((rv = mr_check_name(name, &c->err)) != MR_OK ||
	    (rv = check_reason(reason, &c->err)) != MR_OK)
		return rv;
	if (basis_points > 10000)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "a split sends at most 10000 basis points (100%%) to the "
		    "canary, not %u",
		    basis_points);
	if (basis_points > 0 && canary != MR_STAGE_DEV &&
	    canary != MR_STAGE_STAGING)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "the canary stage is dev or staging, not %s",
		    mr_stage_name(canary)[0] != '\0' ? mr_stage_name(canary)
		                                     : "unspecified");
	req.name = (char *)name;
	req.canary_stage = (Modelreg__V1__Stage)canary;
	req.basis_points = basis_points;
	req.reason = client_str(reason);
	return client_call_model(c, M_SET_SPLIT, &req.base, true,
	    &modelreg__v1__set_traffic_split_response__descriptor, out);
}

mr_status
mr_resolve(mr_client *c, const char *name, const char *routing_key,
    bool *canary, uint32_t *bucket, mr_version **out)
{
	Modelreg__V1__ResolveRequest req = MODELREG__V1__RESOLVE_REQUEST__INIT;
	Modelreg__V1__ResolveResponse *resp;
	size_t len;
	mr_status rv;

	if (c == NULL)
		return MR_INVALID_ARGUMENT;
	mr_err_clear(&c->err);
	if ((rv = mr_check_name(name, &c->err)) != MR_OK)
		return rv;
	len = routing_key != NULL ? strlen(routing_key) : 0;
	if (len == 0 || len > MR_ROUTING_KEY_MAX)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "a routing key is 1..%d bytes, not %zu", MR_ROUTING_KEY_MAX,
		    len);
	req.name = (char *)name;
	req.routing_key.data = (uint8_t *)routing_key;
	req.routing_key.len = len;
	rv = client_call(c, M_RESOLVE, &req.base, false,
	    &modelreg__v1__resolve_response__descriptor, &resp);
	if (rv != MR_OK)
		return rv;
	if (out != NULL)
		rv = cv_version_new(out, resp->version, &c->err);
	if (rv == MR_OK && canary != NULL)
		*canary = resp->canary;
	if (rv == MR_OK && bucket != NULL)
		*bucket = resp->bucket;
	rpc_reply_free(&resp->base);
	return rv;
}
