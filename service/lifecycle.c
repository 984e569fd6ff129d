/*
 * lifecycle.c - the rest of a version's life after registration: version
 * numbering (bumps), signature compatibility with production, approval
 * policies and reviews, deprecation, aliases, point-in-time reads,
 * description and tag updates, comparison, and deletion.
 *
 * Everything here is kept on the model and version records themselves
 * (policies and aliases on the model, reviews and deprecation on the
 * version), so a promotion reads what it must check from the two records
 * it already reads, under the writer lock, and every change is one atomic
 * batch with its event and its audit record. Point-in-time reads replay
 * the model's stage history, which records every stage a version entered
 * and when, so they are exact across promotions and rollbacks alike.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "reg.h"

/* Names that select versions without being set: see Model.aliases. */
static const char *const reserved_aliases[] = {
	"latest", "dev", "staging", "production", "archived",
};

bool
reg_is_alias(const char *text)
{
	return text[0] != '\0' && strchr(text, '.') == NULL;
}

static mr_status
check_alias_name(svc_call *c, const char *alias)
{
	size_t n = strlen(alias);

	if (n == 0 || n > MR_ALIAS_MAX || alias[0] < 'a' || alias[0] > 'z')
		goto bad;
	for (size_t i = 0; i < n; i++)
		if (!((alias[i] >= 'a' && alias[i] <= 'z') ||
			(alias[i] >= '0' && alias[i] <= '9') ||
			alias[i] == '-' || alias[i] == '_'))
			goto bad;
	return MR_OK;
bad:
	return mr_fail(&c->err, MR_INVALID_ARGUMENT,
	    "alias \"%.*s\" is not 1..%d bytes of [a-z0-9_-] starting with a "
	    "letter",
	    MR_ALIAS_MAX + 1, alias, MR_ALIAS_MAX);
}

static const char *
alias_target(const mr_pb_model *m, const char *alias)
{
	for (size_t i = 0; i < m->n_aliases; i++)
		if (strcmp(m->aliases[i]->key, alias) == 0)
			return m->aliases[i]->value;
	return NULL;
}

mr_status
reg_resolve(svc_call *c, const char *name, const char *text,
    const mr_pb_model *m, mr_pb_version **out)
{
	mr_pb_model *mm;
	const char *target;
	mr_semver sv;
	mr_status rv;

	if (!reg_is_alias(text)) {
		if ((rv = reg_parse_version(c, text, &sv)) != MR_OK)
			return rv;
		return reg_get_version(c, name, &sv, out);
	}
	for (size_t i = 0; i < 5; i++) {
		if (strcmp(text, reserved_aliases[i]) == 0) {
			mr_pb_version *v;
			rv = store_latest_version(c->st, name, (int)i, &v,
			    &c->err);
			if (rv != MR_OK)
				return rv;
			if ((*out = svc_editable(c, &v->base)) == NULL)
				return c->err.code;
			return MR_OK;
		}
	}
	if ((rv = check_alias_name(c, text)) != MR_OK)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "\"%.*s\" is neither a version (MAJOR.MINOR.PATCH) nor an "
		    "alias",
		    MR_VERSION_MAX, text);
	if (m == NULL) {
		if ((rv = reg_get_model(c, name, &mm)) != MR_OK)
			return rv;
		m = mm;
	}
	if ((target = alias_target(m, text)) == NULL)
		return mr_fail(&c->err, MR_NOT_FOUND,
		    "model \"%s\" has no alias \"%s\"", name, text);
	if ((rv = reg_parse_version(c, target, &sv)) != MR_OK)
		return rv;
	rv = reg_get_version(c, name, &sv, out);
	if (rv == MR_NOT_FOUND)
		return mr_fail(&c->err, MR_DATA_LOSS,
		    "alias \"%s\" of \"%s\" names a missing version %s", text,
		    name, target);
	return rv;
}

/* ---- rules checked on registration and promotion ------------------------- */

static const Modelreg__V1__ApprovalPolicy *
policy_for(const mr_pb_model *m, int stage)
{
	for (size_t i = 0; i < m->n_policies; i++)
		if ((int)m->policies[i]->stage == stage)
			return m->policies[i];
	return NULL;
}

bool
reg_stage_gated(const mr_pb_model *m, int stage)
{
	return policy_for(m, stage) != NULL;
}

static bool
listed(char *const *names, size_t n, const char *who)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], who) == 0)
			return true;
	return false;
}

/* Whether a review by `who` counts under `p` for a version `v`. */
static bool
counts(const Modelreg__V1__ApprovalPolicy *p, const mr_pb_version *v,
    const char *who)
{
	return strcmp(who, v->created_by) != 0 &&
	    (p->n_approvers == 0 || listed(p->approvers, p->n_approvers, who));
}

/* Approvals that count for `stage`; the first standing rejection. */
static uint32_t
tally(const Modelreg__V1__ApprovalPolicy *p, const mr_pb_version *v,
    int stage, const Modelreg__V1__Approval **rejected)
{
	uint32_t n = 0;

	*rejected = NULL;
	for (size_t i = 0; i < v->n_approvals; i++) {
		const Modelreg__V1__Approval *a = v->approvals[i];
		if ((int)a->stage != stage || !counts(p, v, a->reviewer))
			continue;
		if (a->decision == MODELREG__V1__DECISION__DECISION_APPROVE)
			n++;
		else if (*rejected == NULL)
			*rejected = a;
	}
	return n;
}

mr_status
reg_check_promotion(svc_call *c, const mr_pb_model *m, const mr_pb_version *v,
    int to)
{
	const Modelreg__V1__ApprovalPolicy *p;
	const Modelreg__V1__Approval *rej;
	char who[512];
	uint32_t have;
	size_t k = 0;

	if (to == MR_STAGE_ARCHIVED)
		return MR_OK;
	if (v->deprecation != NULL)
		return mr_fail(&c->err, MR_FAILED_PRECONDITION,
		    "version %s of \"%s\" is deprecated (%s) and cannot be "
		    "promoted; undeprecate it first",
		    v->version, v->name, v->deprecation->reason);
	if ((p = policy_for(m, to)) == NULL)
		return MR_OK;
	have = tally(p, v, to, &rej);
	if (rej != NULL)
		return mr_fail(&c->err, MR_FAILED_PRECONDITION,
		    "version %s of \"%s\" was rejected for %s by %s (%s); "
		    "the rejection stands until %s approves",
		    v->version, v->name, reg_stage_name(to), rej->reviewer,
		    rej->comment, rej->reviewer);
	if (have >= p->required)
		return MR_OK;
	who[0] = '\0';
	for (size_t i = 0; i < p->n_approvers && k < sizeof(who) - 1; i++)
		k += (size_t)snprintf(who + k, sizeof(who) - k, "%s%s",
		    i > 0 ? ", " : "", p->approvers[i]);
	return mr_fail(&c->err, MR_FAILED_PRECONDITION,
	    "version %s of \"%s\" needs %u approval%s for %s from %s; it has "
	    "%u, so %u more %s missing",
	    v->version, v->name, p->required, p->required == 1 ? "" : "s",
	    reg_stage_name(to),
	    p->n_approvers > 0 ? who : "anyone but its registrant", have,
	    p->required - have, p->required - have == 1 ? "is" : "are");
}

mr_status
reg_check_breaking(svc_call *c, const mr_pb_model *m, const mr_semver *sv,
    const Modelreg__V1__Signature *sig)
{
	mr_pb_version *prod;
	mr_semver psv;
	char why[1024];
	mr_status rv;

	if (m->production_version[0] == '\0')
		return MR_OK;
	if ((rv = reg_parse_version(c, m->production_version, &psv)) != MR_OK)
		return rv;
	if (sv->major > psv.major)
		return MR_OK;
	if ((rv = reg_get_version(c, m->name, &psv, &prod)) != MR_OK)
		return rv;
	if (compare_signature_breaks(prod->signature, sig, why, sizeof(why)) ==
	    0)
		return MR_OK;
	return mr_fail(&c->err, MR_FAILED_PRECONDITION,
	    "the signature breaks production version %s of \"%s\": %s; a "
	    "breaking change needs a new major version (%u.0.0 or later)",
	    prod->version, m->name, why, psv.major + 1);
}

/*
 * The model's highest version, deleted ones included: a deleted number is
 * never registered again, so bumps count from it. MR_NOT_FOUND if the
 * model never had a version.
 */
static mr_status
highest_version(svc_call *c, const char *name, mr_pb_version **out)
{
	mr_pb_version *live = NULL, *gone = NULL;
	mr_semver a, b;
	mr_status rv;

	rv = store_latest_version(c->st, name, 0, &live, &c->err);
	if (rv == MR_OK && (rv = svc_defer_msg(c, live)) != MR_OK)
		return rv;
	if (rv != MR_OK && rv != MR_NOT_FOUND)
		return rv;
	rv = store_latest_deleted(c->st, name, &gone, &c->err);
	if (rv == MR_OK && (rv = svc_defer_msg(c, gone)) != MR_OK)
		return rv;
	if (rv != MR_OK && rv != MR_NOT_FOUND)
		return rv;
	if (live == NULL && gone == NULL)
		return mr_fail(&c->err, MR_NOT_FOUND,
		    "model \"%s\" has no versions", name);
	*out = live != NULL ? live : gone;
	if (live != NULL && gone != NULL &&
	    mr_semver_parse(live->version, &a, NULL) == MR_OK &&
	    mr_semver_parse(gone->version, &b, NULL) == MR_OK &&
	    mr_semver_cmp(&b, &a) > 0)
		*out = gone;
	return MR_OK;
}

mr_status
reg_choose_version(svc_call *c, const Modelreg__V1__RegisterVersionRequest *rq,
    char *text, char **rule)
{
	mr_pb_version *latest = NULL;
	mr_pb_model *m = NULL;
	Modelreg__V1__Bump bump = rq->bump;
	mr_semver sv;
	mr_status rv;
	char why[512];

	if (rq->version[0] != '\0')
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "give a version or a bump, not both");
	if (bump < MODELREG__V1__BUMP__BUMP_MAJOR ||
	    bump > MODELREG__V1__BUMP__BUMP_AUTO)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT, "unknown bump %d",
		    (int)bump);
	if ((rv = highest_version(c, rq->name, &latest)) == MR_NOT_FOUND) {
		strcpy(text, "1.0.0");
		*rule = "first version";
		return MR_OK;
	}
	if (rv != MR_OK ||
	    (rv = reg_parse_version(c, latest->version, &sv)) != MR_OK)
		return rv;
	if (bump == MODELREG__V1__BUMP__BUMP_AUTO) {
		rv = reg_get_model(c, rq->name, &m);
		if (rv != MR_OK && rv != MR_NOT_FOUND)
			return rv;
		bump = compare_auto_bump(rv == MR_OK ? m : NULL, latest,
		    rq->signature, rq->metadata, why, sizeof(why));
	} else {
		snprintf(why, sizeof(why), "bump %s from %s",
		    bump == MODELREG__V1__BUMP__BUMP_MAJOR   ? "major"
		    : bump == MODELREG__V1__BUMP__BUMP_MINOR ? "minor"
							     : "patch",
		    latest->version);
	}
	if ((bump == MODELREG__V1__BUMP__BUMP_MAJOR && sv.major == UINT32_MAX) ||
	    (bump == MODELREG__V1__BUMP__BUMP_MINOR && sv.minor == UINT32_MAX) ||
	    (bump == MODELREG__V1__BUMP__BUMP_PATCH && sv.patch == UINT32_MAX))
		return mr_fail(&c->err, MR_OUT_OF_RANGE,
		    "cannot bump %s: a version number would overflow",
		    latest->version);
	/* A pre-release bumps to its release: 2.0.0-rc.1 -> 2.0.0 as patch. */
	if (sv.pre[0] != '\0' && bump == MODELREG__V1__BUMP__BUMP_PATCH) {
		sv.pre[0] = '\0';
	} else {
		sv.pre[0] = '\0';
		if (bump == MODELREG__V1__BUMP__BUMP_MAJOR) {
			sv.major++;
			sv.minor = sv.patch = 0;
		} else if (bump == MODELREG__V1__BUMP__BUMP_MINOR) {
			sv.minor++;
			sv.patch = 0;
		} else {
			sv.patch++;
		}
	}
	mr_semver_format(&sv, text);
	if ((*rule = svc_alloc(c, strlen(why) + 1, 1)) == NULL)
		return c->err.code;
	strcpy(*rule, why);
	return MR_OK;
}

/* ---- point in time ------------------------------------------------------- */

struct replay {
	svc_call *c;
	int64_t at;
	char **names; /* versions seen, with their stage then */
	int *stages;
	size_t n, cap;
	mr_status rv;
};

static int
replay_one(void *arg, mr_pb_event *ev)
{
	struct replay *r = arg;
	size_t i;

	/* A deletion's to_stage is none: from then on the version is in no
	 * stage. */
	if (ev->time_ms > r->at || ev->version[0] == '\0' ||
	    (ev->kind != MODELREG__V1__EVENT_KIND__EVENT_VERSION_REGISTERED &&
		ev->kind != MODELREG__V1__EVENT_KIND__EVENT_STAGE_CHANGED &&
		ev->kind != MODELREG__V1__EVENT_KIND__EVENT_ROLLBACK &&
		ev->kind != MODELREG__V1__EVENT_KIND__EVENT_VERSION_DELETED)) {
		protobuf_c_message_free_unpacked(&ev->base, NULL);
		return 0;
	}
	for (i = 0; i < r->n; i++)
		if (strcmp(r->names[i], ev->version) == 0)
			break;
	if (i == r->n) {
		if (r->n == r->cap) {
			size_t cap = r->cap ? 2 * r->cap : 32;
			char **nn = realloc(r->names, cap * sizeof(*nn));
			int *ns = nn != NULL
			    ? realloc(r->stages, cap * sizeof(*ns))
			    : NULL;
			if (nn != NULL)
				r->names = nn;
			if (ns == NULL) {
				protobuf_c_message_free_unpacked(&ev->base,
				    NULL);
				r->rv = mr_fail(&r->c->err,
				    MR_RESOURCE_EXHAUSTED, "out of memory");
				return 1;
			}
			r->stages = ns;
			r->cap = cap;
		}
		if ((r->names[i] = strdup(ev->version)) == NULL) {
			protobuf_c_message_free_unpacked(&ev->base, NULL);
			r->rv = mr_fail(&r->c->err, MR_RESOURCE_EXHAUSTED,
			    "out of memory");
			return 1;
		}
		r->n++;
	}
	r->stages[i] = (int)ev->to_stage;
	protobuf_c_message_free_unpacked(&ev->base, NULL);
	return 0;
}

mr_status
reg_version_at(svc_call *c, const char *name, int stage, int64_t at_ms,
    mr_pb_version **out)
{
	struct replay r = { .c = c, .at = at_ms, .rv = MR_OK };
	mr_semver best, sv;
	bool found = false, missing;
	mr_pb_version *v;
	mr_pb_model *m;
	mr_status rv;
	char when[32];

	/* The history outlives a deleted model: read it all the same. */
	rv = reg_get_model(c, name, &m);
	if (rv != MR_OK && rv != MR_NOT_FOUND)
		return rv;
	missing = rv == MR_NOT_FOUND;
	rv = store_scan_events(c->st, name, 0, replay_one, &r, &c->err);
	if (rv == MR_OK)
		rv = r.rv;
	for (size_t i = 0; rv == MR_OK && i < r.n; i++) {
		if (r.stages[i] != stage ||
		    mr_semver_parse(r.names[i], &sv, NULL) != MR_OK)
			continue;
		if (!found || mr_semver_cmp(&sv, &best) > 0)
			best = sv;
		found = true;
	}
	for (size_t i = 0; i < r.n; i++)
		free(r.names[i]);
	free(r.names);
	free(r.stages);
	if (rv != MR_OK)
		return rv;
	if (missing && r.n == 0)
		return mr_fail(&c->err, MR_NOT_FOUND,
		    "model \"%s\" does not exist", name);
	if (!found)
		return mr_fail(&c->err, MR_NOT_FOUND,
		    "model \"%s\" had no version in %s at %s", name,
		    reg_stage_name(stage), mr_format_time(at_ms, when));
	rv = store_get_version(c->st, name, &best, &v, &c->err);
	/* Deleted since: its tombstone, which says so. */
	if (rv == MR_NOT_FOUND)
		rv = store_get_deleted(c->st, name, &best, &v, &c->err);
	if (rv != MR_OK)
		return rv;
	if ((*out = svc_editable(c, &v->base)) == NULL)
		return c->err.code;
	return MR_OK;
}

/* ---- map edits ------------------------------------------------------------ */

/*
 * A string map after setting `set` and deleting `del`: a new sorted
 * array of entries of descriptor `d`. A key both set and deleted, or a
 * deleted key that is absent, is refused; `max` bounds the result.
 */
static mr_status
edit_map(svc_call *c, const char *what, const ProtobufCMessageDescriptor *d,
    kv_entry *const *old, size_t n_old, kv_entry *const *set, size_t n_set,
    char *const *del, size_t n_del, size_t max, kv_entry ***out,
    size_t *n_out)
{
	kv_entry **res = svc_alloc(c, n_old + n_set, sizeof(*res));
	kv_entry **add = reg_copy_tags(c, d, set, n_set);
	size_t n = 0;

	if (res == NULL || add == NULL)
		return c->err.code;
	for (size_t i = 0; i < n_del; i++) {
		if (listed(del, i, del[i]))
			continue;
		for (size_t k = 0; k < n_set; k++)
			if (strcmp(set[k]->key, del[i]) == 0)
				return mr_fail(&c->err, MR_INVALID_ARGUMENT,
				    "%s \"%s\" is both set and deleted", what,
				    del[i]);
		size_t k;
		for (k = 0; k < n_old; k++)
			if (strcmp(old[k]->key, del[i]) == 0)
				break;
		if (k == n_old)
			return mr_fail(&c->err, MR_NOT_FOUND,
			    "there is no %s \"%.*s\" to delete", what,
			    MR_TAG_KEY_MAX, del[i]);
	}
	for (size_t i = 0; i < n_old; i++)
		if (!listed(del, n_del, old[i]->key))
			res[n++] = old[i];
	for (size_t i = 0; i < n_set; i++) {
		size_t k;
		for (k = 0; k < n; k++)
			if (strcmp(res[k]->key, add[i]->key) == 0)
				break;
		res[k] = add[i];
		if (k == n)
			n++;
	}
	if (n > max)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "%zu %ss; the limit is %zu", n, what, max);
	reg_sort(res, n, sizeof(*res), reg_cmp_kv);
	*out = res;
	*n_out = n;
	return MR_OK;
}

/* Appends "word" to a change summary. */
static void
note(char *buf, size_t cap, const char *word)
{
	size_t k = strlen(buf);

	snprintf(buf + k, cap - k, "%s%s", k > 0 ? ", " : "", word);
}

static mr_status
check_update_fields(svc_call *c, char *const *update, size_t n,
    const char *const *allowed, size_t n_allowed)
{
	for (size_t i = 0; i < n; i++) {
		size_t k;
		for (k = 0; k < n_allowed; k++)
			if (strcmp(update[i], allowed[k]) == 0)
				break;
		if (k == n_allowed)
			return mr_fail(&c->err, MR_INVALID_ARGUMENT,
			    "\"%.64s\" is not a field this update can set",
			    update[i]);
	}
	return MR_OK;
}

/* Tag deletions are bounded like tags: edits stay linear in the limit. */
static mr_status
check_deletes(svc_call *c, size_t n)
{
	if (n > MR_TAGS_MAX)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "%zu tags to delete; a record has at most %d", n,
		    MR_TAGS_MAX);
	return MR_OK;
}

static bool
updates(char *const *update, size_t n, const char *field)
{
	return listed(update, n, field);
}

/* ---- UpdateModel ---------------------------------------------------------- */

static mr_status
update_model_h(svc_call *c, const ProtobufCMessage *reqm,
    ProtobufCMessage *respm)
{
	const Modelreg__V1__UpdateModelRequest *rq = (const void *)reqm;
	Modelreg__V1__UpdateModelResponse *resp = (void *)respm;
	static const char *const fields[] = { "description", "owner",
		"primary_metric" };
	Modelreg__V1__Model__MetricGoalsEntry **goals, *add;
	Modelreg__V1__UpdateModelRequest__SetMetricGoalsEntry *ge;
	size_t n_goals;
	char what[256] = "";
	mr_pb_model *m;
	mr_status rv;

	if ((rv = mr_check_name(rq->name, &c->err)) != MR_OK ||
	    (rv = check_update_fields(c, rq->update, rq->n_update, fields,
		 3)) != MR_OK ||
	    (rv = mr_check_text("description", rq->description, MR_TEXT_MAX,
		 true, &c->err)) != MR_OK ||
	    (rv = reg_check_string(c, "owner", rq->owner)) != MR_OK ||
	    (rv = reg_check_string(c, "primary metric", rq->primary_metric)) !=
		MR_OK ||
	    (rv = mr_check_text("reason", rq->reason, MR_REASON_MAX, true,
		 &c->err)) != MR_OK ||
	    (rv = reg_check_tags(c, "model", (kv_entry **)rq->set_tags,
		 rq->n_set_tags)) != MR_OK)
		return rv;
	if (rq->n_update + rq->n_set_tags + rq->n_delete_tags +
		rq->n_set_metric_goals ==
	    0)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "the update changes nothing");
	if ((rv = check_deletes(c, rq->n_delete_tags)) != MR_OK)
		return rv;
	if (rq->n_set_metric_goals > MR_METRICS_MAX)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "%zu metric goals; the limit is %d",
		    rq->n_set_metric_goals, MR_METRICS_MAX);
	reg_sort(rq->set_metric_goals, rq->n_set_metric_goals,
	    sizeof(*rq->set_metric_goals), reg_cmp_kv);
	for (size_t i = 0; i < rq->n_set_metric_goals; i++) {
		ge = rq->set_metric_goals[i];
		if ((rv = reg_check_string(c, "metric name", ge->key)) != MR_OK)
			return rv;
		if (ge->key[0] == '\0' || ge->value < 0 ||
		    ge->value > MODELREG__V1__METRIC_GOAL__METRIC_GOAL_LOWER)
			return mr_fail(&c->err, MR_INVALID_ARGUMENT,
			    "metric goal \"%s\": empty name or unknown goal "
			    "%d",
			    ge->key, (int)ge->value);
		if (i > 0 &&
		    strcmp(rq->set_metric_goals[i - 1]->key, ge->key) == 0)
			return mr_fail(&c->err, MR_INVALID_ARGUMENT,
			    "metric goal \"%s\" is given twice", ge->key);
	}
	if ((rv = reg_get_model(c, rq->name, &m)) != MR_OK ||
	    (rv = svc_audit_before(c, &m->base)) != MR_OK)
		return rv;

	if (updates(rq->update, rq->n_update, "description")) {
		m->description = rq->description;
		note(what, sizeof(what), "description");
	}
	if (updates(rq->update, rq->n_update, "owner")) {
		m->owner = rq->owner;
		note(what, sizeof(what), "owner");
	}
	if (updates(rq->update, rq->n_update, "primary_metric")) {
		m->primary_metric = rq->primary_metric;
		note(what, sizeof(what), "primary metric");
	}
	if (rq->n_set_tags + rq->n_delete_tags > 0) {
		kv_entry **tags;
		size_t n;
		if ((rv = edit_map(c, "tag",
			 &modelreg__v1__model__tags_entry__descriptor,
			 (kv_entry **)m->tags, m->n_tags,
			 (kv_entry **)rq->set_tags, rq->n_set_tags,
			 rq->delete_tags, rq->n_delete_tags, MR_TAGS_MAX, &tags,
			 &n)) != MR_OK)
			return rv;
		m->tags = (Modelreg__V1__Model__TagsEntry **)tags;
		m->n_tags = n;
		note(what, sizeof(what), "tags");
	}
	if (rq->n_set_metric_goals > 0) {
		/* Goals are an enum map: merge by hand. */
		goals = svc_alloc(c, m->n_metric_goals + rq->n_set_metric_goals,
		    sizeof(*goals));
		add = svc_alloc(c, rq->n_set_metric_goals, sizeof(*add));
		if (goals == NULL || add == NULL)
			return c->err.code;
		n_goals = 0;
		for (size_t i = 0; i < m->n_metric_goals; i++)
			goals[n_goals++] = m->metric_goals[i];
		for (size_t i = 0; i < rq->n_set_metric_goals; i++) {
			size_t k;
			ge = rq->set_metric_goals[i];
			for (k = 0; k < n_goals; k++)
				if (strcmp(goals[k]->key, ge->key) == 0)
					break;
			if (k < n_goals)
				goals[k] = goals[--n_goals];
			if (ge->value ==
			    MODELREG__V1__METRIC_GOAL__METRIC_GOAL_DEFAULT)
				continue;
			modelreg__v1__model__metric_goals_entry__init(&add[i]);
			add[i].key = ge->key;
			add[i].value = ge->value;
			goals[n_goals++] = &add[i];
		}
		if (n_goals > MR_METRICS_MAX)
			return mr_fail(&c->err, MR_INVALID_ARGUMENT,
			    "%zu metric goals; the limit is %d", n_goals,
			    MR_METRICS_MAX);
		reg_sort(goals, n_goals, sizeof(*goals), reg_cmp_kv);
		m->metric_goals = goals;
		m->n_metric_goals = n_goals;
		note(what, sizeof(what), "metric goals");
	}
	{
		char *reason = svc_alloc(c, 300 + strlen(rq->reason), 1);
		if (reason == NULL)
			return c->err.code;
		sprintf(reason, "updated %s%s%s", what,
		    rq->reason[0] != '\0' ? ": " : "", rq->reason);
		if ((rv = reg_append_event(c,
			 MODELREG__V1__EVENT_KIND__EVENT_MODEL_UPDATED, m->name,
			 "", 0, 0, reason)) != MR_OK)
			return rv;
	}
	if ((rv = reg_finish_model(c, m)) != MR_OK ||
	    (rv = svc_audit_after(c, &m->base)) != MR_OK)
		return rv;
	resp->model = m;
	return MR_OK;
}

/* The event of a change to version `v`. */
static mr_status
version_event(svc_call *c, const mr_pb_version *v,
    Modelreg__V1__EventKind kind, int to, const char *reason)
{
	return reg_append_event(c, kind, v->name, v->version, 0, to, reason);
}

/* Stages an edited version (after its event) and what the audit shows. */
static mr_status
put_version(svc_call *c, mr_pb_version *v, const mr_pb_version *old)
{
	mr_pb_model *m;
	mr_status rv;

	if ((rv = store_txn_put_version(c->txn, v, old, &c->err)) != MR_OK ||
	    (rv = reg_get_model(c, v->name, &m)) != MR_OK ||
	    (rv = reg_finish_model(c, m)) != MR_OK ||
	    (rv = svc_audit_after(c, &v->base)) != MR_OK ||
	    (rv = svc_audit_target(c, v->name, v->version)) != MR_OK)
		return rv;
	return MR_OK;
}

/* Reads the version a mutation edits: resolved, editable, audited. */
static mr_status
edit_version(svc_call *c, const char *name, const char *version,
    mr_pb_version **v, mr_pb_version **old)
{
	mr_status rv;

	if ((rv = mr_check_name(name, &c->err)) != MR_OK ||
	    (rv = reg_resolve(c, name, version, NULL, v)) != MR_OK ||
	    (rv = svc_audit_before(c, &(*v)->base)) != MR_OK)
		return rv;
	if ((*old = svc_alloc(c, 1, sizeof(**old))) == NULL)
		return c->err.code;
	**old = **v;
	return MR_OK;
}

/* ---- UpdateVersion -------------------------------------------------------- */

static mr_status
update_version_h(svc_call *c, const ProtobufCMessage *reqm,
    ProtobufCMessage *respm)
{
	const Modelreg__V1__UpdateVersionRequest *rq = (const void *)reqm;
	Modelreg__V1__UpdateVersionResponse *resp = (void *)respm;
	static const char *const fields[] = { "description", "signature" };
	mr_pb_version *v, *old;
	char what[128] = "", *reason;
	mr_status rv;

	if ((rv = check_update_fields(c, rq->update, rq->n_update, fields,
		 2)) != MR_OK ||
	    (rv = mr_check_text("description", rq->description, MR_TEXT_MAX,
		 true, &c->err)) != MR_OK ||
	    (rv = mr_check_text("reason", rq->reason, MR_REASON_MAX, true,
		 &c->err)) != MR_OK ||
	    (rv = reg_check_signature(c, rq->signature)) != MR_OK ||
	    (rv = reg_check_tags(c, "version", (kv_entry **)rq->set_tags,
		 rq->n_set_tags)) != MR_OK)
		return rv;
	if (rq->n_update + rq->n_set_tags + rq->n_delete_tags == 0)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "the update changes nothing");
	if ((rv = check_deletes(c, rq->n_delete_tags)) != MR_OK)
		return rv;
	if (updates(rq->update, rq->n_update, "signature") &&
	    rq->signature == NULL)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "the update names the signature but gives none");
	if ((rv = edit_version(c, rq->name, rq->version, &v, &old)) != MR_OK)
		return rv;
	if (updates(rq->update, rq->n_update, "description")) {
		v->description = rq->description;
		note(what, sizeof(what), "description");
	}
	if (updates(rq->update, rq->n_update, "signature")) {
		mr_pb_model *m;
		mr_semver sv;
		/* Once in production, callers have relied on the signature;
		 * a rollback could bring the version back. */
		if (v->ever_production)
			return mr_fail(&c->err, MR_FAILED_PRECONDITION,
			    "version %s of \"%s\" has been in production: "
			    "callers relied on its signature; register a new "
			    "version",
			    v->version, v->name);
		if ((rv = reg_get_model(c, v->name, &m)) != MR_OK ||
		    (rv = reg_parse_version(c, v->version, &sv)) != MR_OK ||
		    (rv = reg_check_breaking(c, m, &sv, rq->signature)) !=
			MR_OK)
			return rv;
		v->signature = rq->signature;
		note(what, sizeof(what), "signature");
		/* Reviews were of the old contract. */
		if (v->n_approvals > 0) {
			v->approvals = NULL;
			v->n_approvals = 0;
			note(what, sizeof(what), "reviews withdrawn");
		}
	}
	if (rq->n_set_tags + rq->n_delete_tags > 0) {
		kv_entry **tags;
		size_t n;
		if ((rv = edit_map(c, "tag",
			 &modelreg__v1__model_version__tags_entry__descriptor,
			 (kv_entry **)v->tags, v->n_tags,
			 (kv_entry **)rq->set_tags, rq->n_set_tags,
			 rq->delete_tags, rq->n_delete_tags, MR_TAGS_MAX, &tags,
			 &n)) != MR_OK)
			return rv;
		v->tags = (Modelreg__V1__ModelVersion__TagsEntry **)tags;
		v->n_tags = n;
		note(what, sizeof(what), "tags");
	}
	if ((reason = svc_alloc(c, 200 + strlen(rq->reason), 1)) == NULL)
		return c->err.code;
	sprintf(reason, "updated %s%s%s", what,
	    rq->reason[0] != '\0' ? ": " : "", rq->reason);
	if ((rv = version_event(c, v,
		 MODELREG__V1__EVENT_KIND__EVENT_VERSION_UPDATED, 0, reason)) !=
		MR_OK ||
	    (rv = put_version(c, v, old)) != MR_OK)
		return rv;
	resp->version = v;
	return reg_strip_chunks(c, v);
}

/* ---- approvals ------------------------------------------------------------ */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static mr_status
check_review_stage(svc_call *c, int stage)
{
	if (stage != MR_STAGE_STAGING && stage != MR_STAGE_PRODUCTION)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "approvals are for staging or production, not %s",
		    reg_stage_valid(stage) ? reg_stage_name(stage)
					   : "an unknown stage");
	return MR_OK;
}

static mr_status
set_policy_h(svc_call *c, const ProtobufCMessage *reqm,
    ProtobufCMessage *respm)
{
	const Modelreg__V1__SetApprovalPolicyRequest *rq = (const void *)reqm;
	Modelreg__V1__SetApprovalPolicyResponse *resp = (void *)respm;
	Modelreg__V1__ApprovalPolicy **pol, *p;
	char **names, reason[160];
	size_t n = 0;
	mr_pb_model *m;
	mr_status rv;

	if ((rv = mr_check_name(rq->name, &c->err)) != MR_OK ||
	    (rv = check_review_stage(c, (int)rq->stage)) != MR_OK ||
	    (rv = mr_check_text("reason", rq->reason, MR_REASON_MAX, true,
		 &c->err)) != MR_OK)
		return rv;
	if (rq->n_approvers > MR_APPROVERS_MAX ||
	    rq->required > MR_APPROVERS_MAX)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "a policy names at most %d approvers and requires at most "
		    "%d approvals",
		    MR_APPROVERS_MAX, MR_APPROVERS_MAX);
	if (rq->required == 0 && rq->n_approvers > 0)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "required 0 removes the policy; it takes no approvers");
	if (rq->n_approvers > 0 && rq->required > rq->n_approvers)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "the policy requires %u approvals from %zu approvers",
		    rq->required, rq->n_approvers);
	if ((names = svc_alloc(c, rq->n_approvers, sizeof(*names))) == NULL)
		return c->err.code;
	for (size_t i = 0; i < rq->n_approvers; i++) {
		if ((rv = mr_check_text("approver", rq->approvers[i],
			 MR_USER_MAX, false, &c->err)) != MR_OK)
			return rv;
		if (rq->approvers[i][0] == '\0')
			return mr_fail(&c->err, MR_INVALID_ARGUMENT,
			    "approver %zu is empty", i);
		names[i] = rq->approvers[i];
	}
	reg_sort(names, rq->n_approvers, sizeof(*names), cmp_str);
	for (size_t i = 1; i < rq->n_approvers; i++)
		if (strcmp(names[i - 1], names[i]) == 0)
			return mr_fail(&c->err, MR_INVALID_ARGUMENT,
			    "approver \"%s\" is named twice", names[i]);
	if ((rv = reg_get_model(c, rq->name, &m)) != MR_OK ||
	    (rv = svc_audit_before(c, &m->base)) != MR_OK)
		return rv;
	if ((pol = svc_alloc(c, m->n_policies + 1, sizeof(*pol))) == NULL ||
	    (p = svc_alloc(c, 1, sizeof(*p))) == NULL)
		return c->err.code;
	for (size_t i = 0; i < m->n_policies; i++)
		if (m->policies[i]->stage != rq->stage)
			pol[n++] = m->policies[i];
	if (rq->required > 0) {
		modelreg__v1__approval_policy__init(p);
		p->stage = rq->stage;
		p->approvers = names;
		p->n_approvers = rq->n_approvers;
		p->required = rq->required;
		/* Policies stay ordered by stage. */
		size_t k = n;
		while (k > 0 && pol[k - 1]->stage > p->stage) {
			pol[k] = pol[k - 1];
			k--;
		}
		pol[k] = p;
		n++;
		snprintf(reason, sizeof(reason),
		    "%s needs %u approval%s from %s", reg_stage_name(rq->stage),
		    rq->required, rq->required == 1 ? "" : "s",
		    rq->n_approvers > 0 ? "the listed approvers" : "anyone");
	} else {
		snprintf(reason, sizeof(reason), "%s needs no approval",
		    reg_stage_name(rq->stage));
	}
	m->policies = pol;
	m->n_policies = n;
	if ((rv = reg_append_event(c,
		 MODELREG__V1__EVENT_KIND__EVENT_POLICY_CHANGED, m->name, "", 0,
		 (int)rq->stage, reason)) != MR_OK ||
	    (rv = reg_finish_model(c, m)) != MR_OK ||
	    (rv = svc_audit_after(c, &m->base)) != MR_OK)
		return rv;
	resp->model = m;
	return MR_OK;
}

static mr_status
review_h(svc_call *c, const ProtobufCMessage *reqm, ProtobufCMessage *respm)
{
	const Modelreg__V1__ReviewRequest *rq = (const void *)reqm;
	Modelreg__V1__ReviewResponse *resp = (void *)respm;
	const Modelreg__V1__ApprovalPolicy *p;
	const Modelreg__V1__Approval *rej;
	Modelreg__V1__Approval **list, *a;
	bool approve = rq->decision == MODELREG__V1__DECISION__DECISION_APPROVE;
	mr_pb_version *v, *old;
	mr_pb_model *m;
	char *reason;
	size_t n = 0;
	mr_status rv;

	if ((rv = check_review_stage(c, (int)rq->stage)) != MR_OK ||
	    (rv = mr_check_text("comment", rq->comment, MR_REASON_MAX, true,
		 &c->err)) != MR_OK)
		return rv;
	if (!approve && rq->decision != MODELREG__V1__DECISION__DECISION_REJECT)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "a review approves or rejects (decision %d)",
		    (int)rq->decision);
	if (!approve && rq->comment[0] == '\0')
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "a rejection needs a comment saying why");
	if (strcmp(c->user, "anonymous") == 0)
		return mr_fail(&c->err, MR_PERMISSION_DENIED,
		    "a review needs a token: anonymous callers only read");
	if ((rv = edit_version(c, rq->name, rq->version, &v, &old)) != MR_OK ||
	    (rv = reg_get_model(c, v->name, &m)) != MR_OK)
		return rv;
	if (rq->override_separation &&
	    (!svc_may(c, SVC_NEED_ADMIN, v->name) || !approve ||
		rq->comment[0] == '\0'))
		return mr_fail(&c->err, MR_PERMISSION_DENIED,
		    "only an ADMIN of \"%s\" may override separation of "
		    "duties, to approve, with a comment saying why",
		    v->name);
	if (strcmp(c->user, v->created_by) == 0 && !rq->override_separation)
		return mr_fail(&c->err, MR_PERMISSION_DENIED,
		    "%s registered version %s of \"%s\" and so cannot review "
		    "it (separation of duties)",
		    c->user, v->version, v->name);
	p = policy_for(m, (int)rq->stage);
	if (p != NULL && p->n_approvers > 0 &&
	    !listed(p->approvers, p->n_approvers, c->user))
		return mr_fail(&c->err, MR_PERMISSION_DENIED,
		    "%s is not an approver for %s of \"%s\"", c->user,
		    reg_stage_name((int)rq->stage), v->name);
	if (v->stage == MODELREG__V1__STAGE__STAGE_ARCHIVED)
		return mr_fail(&c->err, MR_FAILED_PRECONDITION,
		    "version %s of \"%s\" is archived", v->version, v->name);

	list = svc_alloc(c, v->n_approvals + 1, sizeof(*list));
	a = svc_alloc(c, 1, sizeof(*a));
	if (list == NULL || a == NULL)
		return c->err.code;
	modelreg__v1__approval__init(a);
	a->stage = rq->stage;
	a->reviewer = (char *)c->user;
	a->decision = rq->decision;
	a->comment = rq->comment;
	a->time_ms = c->now_ms;
	a->separation_overridden = strcmp(c->user, v->created_by) == 0;
	/* The reviewer's earlier decision for this stage is replaced; the
	 * list stays ordered by stage, then reviewer. */
	for (size_t i = 0; i < v->n_approvals; i++)
		if (v->approvals[i]->stage != rq->stage ||
		    strcmp(v->approvals[i]->reviewer, c->user) != 0)
			list[n++] = v->approvals[i];
	if (n >= MR_REVIEWS_MAX)
		return mr_fail(&c->err, MR_RESOURCE_EXHAUSTED,
		    "version %s of \"%s\" has %d reviews, the limit",
		    v->version, v->name, MR_REVIEWS_MAX);
	{
		size_t k = n;
		while (k > 0 &&
		    (list[k - 1]->stage > a->stage ||
			(list[k - 1]->stage == a->stage &&
			    strcmp(list[k - 1]->reviewer, a->reviewer) > 0))) {
			list[k] = list[k - 1];
			k--;
		}
		list[k] = a;
		n++;
	}
	v->approvals = list;
	v->n_approvals = n;
	if ((reason = svc_alloc(c, strlen(rq->comment) + 32, 1)) == NULL)
		return c->err.code;
	sprintf(reason, "%s%s%s", approve ? "approved" : "rejected",
	    rq->comment[0] != '\0' ? ": " : "", rq->comment);
	if ((rv = version_event(c, v, MODELREG__V1__EVENT_KIND__EVENT_REVIEWED,
		 (int)rq->stage, reason)) != MR_OK)
		return rv;
	a->revision = store_txn_revision(c->txn);
	if ((rv = put_version(c, v, old)) != MR_OK)
		return rv;
	if (p != NULL) {
		resp->approvals = tally(p, v, (int)rq->stage, &rej);
		resp->required = p->required;
	}
	resp->version = v;
	return reg_strip_chunks(c, v);
}

/* ---- Deprecate ------------------------------------------------------------ */

static mr_status
deprecate_h(svc_call *c, const ProtobufCMessage *reqm,
    ProtobufCMessage *respm)
{
	const Modelreg__V1__DeprecateRequest *rq = (const void *)reqm;
	Modelreg__V1__DeprecateResponse *resp = (void *)respm;
	Modelreg__V1__Deprecation *d;
	mr_pb_version *v, *old;
	mr_status rv;

	if ((rv = mr_check_text("reason", rq->reason, MR_REASON_MAX, true,
		 &c->err)) != MR_OK)
		return rv;
	if (!rq->undo && rq->reason[0] == '\0')
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "a deprecation needs a reason");
	if (rq->end_of_life_ms < 0 || (rq->undo && rq->end_of_life_ms != 0))
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "the end of life is a time after the epoch, and only for "
		    "a deprecation");
	if ((rv = edit_version(c, rq->name, rq->version, &v, &old)) != MR_OK)
		return rv;
	if (rq->undo) {
		if (v->deprecation == NULL)
			return mr_fail(&c->err, MR_FAILED_PRECONDITION,
			    "version %s of \"%s\" is not deprecated",
			    v->version, v->name);
		v->deprecation = NULL;
	} else {
		if ((d = svc_alloc(c, 1, sizeof(*d))) == NULL)
			return c->err.code;
		modelreg__v1__deprecation__init(d);
		d->reason = rq->reason;
		d->end_of_life_ms = rq->end_of_life_ms;
		d->by = (char *)c->user;
		d->at_ms = c->now_ms;
		v->deprecation = d;
	}
	if ((rv = version_event(c, v,
		 rq->undo ? MODELREG__V1__EVENT_KIND__EVENT_UNDEPRECATED
			  : MODELREG__V1__EVENT_KIND__EVENT_DEPRECATED,
		 0, rq->reason)) != MR_OK ||
	    (rv = put_version(c, v, old)) != MR_OK)
		return rv;
	resp->version = v;
	return reg_strip_chunks(c, v);
}

/* ---- aliases ---------------------------------------------------------------- */

static mr_status
alias_change(svc_call *c, const char *name, const char *alias,
    const char *version, const char *reason, Modelreg__V1__Model **model,
    char **previous)
{
	Modelreg__V1__Model__AliasesEntry entry =
	    MODELREG__V1__MODEL__ALIASES_ENTRY__INIT;
	kv_entry *set = (kv_entry *)&entry, **aliases;
	char *del = (char *)alias;
	mr_pb_version *v = NULL;
	mr_pb_event ev = MODELREG__V1__EVENT__INIT;
	const char *prev;
	mr_pb_model *m;
	size_t n;
	mr_status rv;

	if ((rv = mr_check_name(name, &c->err)) != MR_OK ||
	    (rv = check_alias_name(c, alias)) != MR_OK ||
	    (rv = mr_check_text("reason", reason, MR_REASON_MAX, true,
		 &c->err)) != MR_OK)
		return rv;
	for (size_t i = 0; i < 5; i++)
		if (strcmp(alias, reserved_aliases[i]) == 0)
			return mr_fail(&c->err, MR_INVALID_ARGUMENT,
			    "\"%s\" is reserved: it always selects %s", alias,
			    i == 0 ? "the highest version"
				   : "the highest version in that stage");
	if ((rv = reg_get_model(c, name, &m)) != MR_OK ||
	    (rv = svc_audit_before(c, &m->base)) != MR_OK)
		return rv;
	prev = alias_target(m, alias);
	if (version != NULL &&
	    (rv = reg_resolve(c, name, version, m, &v)) != MR_OK)
		return rv;
	if (version == NULL && prev == NULL)
		return mr_fail(&c->err, MR_NOT_FOUND,
		    "model \"%s\" has no alias \"%s\"", name, alias);
	entry.key = (char *)alias;
	entry.value = v != NULL ? v->version : "";
	if ((rv = edit_map(c, "alias",
		 &modelreg__v1__model__aliases_entry__descriptor,
		 (kv_entry **)m->aliases, m->n_aliases, &set, v != NULL ? 1 : 0,
		 &del, v != NULL ? 0 : 1, MR_ALIASES_MAX, &aliases, &n)) !=
	    MR_OK)
		return rv;
	m->aliases = (Modelreg__V1__Model__AliasesEntry **)aliases;
	m->n_aliases = n;
	ev.time_ms = c->now_ms;
	ev.kind = v != NULL ? MODELREG__V1__EVENT_KIND__EVENT_ALIAS_SET
			    : MODELREG__V1__EVENT_KIND__EVENT_ALIAS_DELETED;
	ev.model = m->name;
	ev.version = v != NULL ? v->version : (char *)prev;
	ev.actor = (char *)c->user;
	ev.reason = (char *)reason;
	ev.alias = (char *)alias;
	if (store_txn_append_event(c->txn, &ev, &c->err) == 0)
		return c->err.code;
	if ((rv = reg_finish_model(c, m)) != MR_OK ||
	    (rv = svc_audit_after(c, &m->base)) != MR_OK ||
	    (rv = svc_audit_target(c, m->name, alias)) != MR_OK)
		return rv;
	*model = m;
	*previous = prev != NULL ? (char *)prev : "";
	return MR_OK;
}

static mr_status
set_alias_h(svc_call *c, const ProtobufCMessage *reqm, ProtobufCMessage *respm)
{
	const Modelreg__V1__SetAliasRequest *rq = (const void *)reqm;
	Modelreg__V1__SetAliasResponse *resp = (void *)respm;

	if (rq->version[0] == '\0')
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "which version should alias \"%.64s\" name?", rq->alias);
	return alias_change(c, rq->name, rq->alias, rq->version, rq->reason,
	    &resp->model, &resp->previous_version);
}

static mr_status
delete_alias_h(svc_call *c, const ProtobufCMessage *reqm,
    ProtobufCMessage *respm)
{
	const Modelreg__V1__DeleteAliasRequest *rq = (const void *)reqm;
	Modelreg__V1__DeleteAliasResponse *resp = (void *)respm;

	return alias_change(c, rq->name, rq->alias, NULL, rq->reason,
	    &resp->model, &resp->previous_version);
}

/* ---- CompareVersions -------------------------------------------------------- */

static mr_status
compare_h(svc_call *c, const ProtobufCMessage *reqm, ProtobufCMessage *respm)
{
	const Modelreg__V1__CompareVersionsRequest *rq = (const void *)reqm;
	Modelreg__V1__CompareVersionsResponse *resp = (void *)respm;
	mr_pb_version *a, *b;
	mr_pb_model *m;
	mr_status rv;

	if ((rv = mr_check_name(rq->name, &c->err)) != MR_OK ||
	    (rv = reg_get_model(c, rq->name, &m)) != MR_OK ||
	    (rv = reg_resolve(c, rq->name, rq->baseline, m, &a)) != MR_OK ||
	    (rv = reg_resolve(c, rq->name, rq->candidate, m, &b)) != MR_OK ||
	    (rv = compare_versions(c, m, a, b, resp)) != MR_OK ||
	    (rv = reg_strip_chunks(c, a)) != MR_OK ||
	    (rv = reg_strip_chunks(c, b)) != MR_OK)
		return rv;
	resp->baseline = a;
	resp->candidate = b;
	return MR_OK;
}

/* ---- traffic split and Resolve --------------------------------------------- */

/*
 * A model's traffic split sends a share of routing keys to the version in
 * a canary stage. Which side a key lands on depends only on the key and
 * the split's salt (see ResolveRequest in registry.proto), so the answer
 * is the same on every call and every server, and a fleet can run an A/B
 * test without a router. The salt is chosen when a split is created and
 * kept while its stage or share changes: a key's bucket never moves, so
 * raising the share only adds keys to the canary side.
 */

#define SPLIT_BASIS 10000u

/* "12.5%", "10%", "0.05%": basis points as the shortest percentage. */
static void
format_share(char *buf, size_t cap, uint32_t bp)
{
	if (bp % 100 == 0)
		snprintf(buf, cap, "%u%%", bp / 100);
	else if (bp % 10 == 0)
		snprintf(buf, cap, "%u.%u%%", bp / 100, (bp % 100) / 10);
	else
		snprintf(buf, cap, "%u.%02u%%", bp / 100, bp % 100);
}

/* A fresh split's salt: unique to the model and the moment it was made. */
static char *
new_salt(svc_call *c, const mr_pb_model *m)
{
	uint8_t digest[MR_DIGEST_LEN];
	char text[MR_NAME_MAX + 64], hex[65], *salt;
	int n;

	n = snprintf(text, sizeof(text), "%s%c%lld%c%llu", m->name, '\0',
	    (long long)c->now_ms, '\0', (unsigned long long)m->revision);
	if (n < 0 || (size_t)n >= sizeof(text))
		n = (int)sizeof(text) - 1;
	mr_sha256_once(text, (size_t)n, digest);
	mr_digest_hex(digest, hex);
	if ((salt = svc_alloc(c, 33, 1)) == NULL)
		return NULL;
	memcpy(salt, hex, 32);
	salt[32] = '\0';
	return salt;
}

static mr_status
set_split_h(svc_call *c, const ProtobufCMessage *reqm, ProtobufCMessage *respm)
{
	const Modelreg__V1__SetTrafficSplitRequest *rq = (const void *)reqm;
	Modelreg__V1__SetTrafficSplitResponse *resp = (void *)respm;
	Modelreg__V1__TrafficSplit *ts;
	char reason[160], canary[16], prod[16];
	mr_pb_model *m;
	mr_status rv;

	if ((rv = mr_check_name(rq->name, &c->err)) != MR_OK ||
	    (rv = mr_check_text("reason", rq->reason, MR_REASON_MAX, true,
		 &c->err)) != MR_OK)
		return rv;
	if (rq->basis_points > SPLIT_BASIS)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "a split sends at most 10000 basis points (100%%) to the "
		    "canary, not %u",
		    rq->basis_points);
	if (rq->basis_points > 0 && rq->canary_stage != MODELREG__V1__STAGE__STAGE_DEV &&
	    rq->canary_stage != MODELREG__V1__STAGE__STAGE_STAGING)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "the canary stage is dev or staging, not %s",
		    rq->canary_stage == 0 ? "unspecified"
		    : reg_stage_valid((int)rq->canary_stage)
			? reg_stage_name((int)rq->canary_stage)
			: "an unknown stage");
	if ((rv = reg_get_model(c, rq->name, &m)) != MR_OK ||
	    (rv = svc_audit_before(c, &m->base)) != MR_OK)
		return rv;
	if (rq->basis_points == 0) {
		if (m->traffic_split == NULL)
			return mr_fail(&c->err, MR_NOT_FOUND,
			    "model \"%s\" has no traffic split", m->name);
		m->traffic_split = NULL;
		snprintf(reason, sizeof(reason),
		    "traffic split removed: production 100%%");
	} else {
		if ((ts = svc_alloc(c, 1, sizeof(*ts))) == NULL)
			return c->err.code;
		modelreg__v1__traffic_split__init(ts);
		ts->canary_stage = rq->canary_stage;
		ts->canary_basis_points = rq->basis_points;
		ts->salt = m->traffic_split != NULL &&
			m->traffic_split->salt[0] != '\0'
		    ? m->traffic_split->salt
		    : new_salt(c, m);
		if (ts->salt == NULL)
			return c->err.code;
		m->traffic_split = ts;
		format_share(canary, sizeof(canary), rq->basis_points);
		format_share(prod, sizeof(prod), SPLIT_BASIS - rq->basis_points);
		snprintf(reason, sizeof(reason), "%s %s (production %s)",
		    reg_stage_name((int)rq->canary_stage), canary, prod);
	}
	if ((rv = reg_append_event(c,
		 MODELREG__V1__EVENT_KIND__EVENT_SPLIT_CHANGED, m->name, "", 0,
		 rq->basis_points > 0 ? (int)rq->canary_stage : 0, reason)) !=
		MR_OK ||
	    (rv = reg_finish_model(c, m)) != MR_OK ||
	    (rv = svc_audit_after(c, &m->base)) != MR_OK)
		return rv;
	resp->model = m;
	return MR_OK;
}

/* The key's bucket, 0..9999, under `salt`: see ResolveRequest. */
static mr_status
split_bucket(svc_call *c, const char *salt, const uint8_t *key, size_t len,
    uint32_t *bucket)
{
	uint8_t digest[MR_DIGEST_LEN], *buf;
	size_t n = strlen(salt);
	uint64_t x = 0;

	if ((buf = svc_alloc(c, n + 1 + len, 1)) == NULL)
		return c->err.code;
	memcpy(buf, salt, n);
	buf[n] = 0x00;
	memcpy(buf + n + 1, key, len);
	mr_sha256(c->w->codec, buf, n + 1 + len, digest);
	for (int i = 0; i < 8; i++)
		x = x << 8 | digest[i];
	*bucket = (uint32_t)(x % SPLIT_BASIS);
	return MR_OK;
}

/*
 * What Resolve answers of a version: what a node needs to fetch and run
 * it (name, version, stage, files, times, deprecation), not its metadata,
 * signature, tags or reviews, which can run to kilobytes and which
 * GetVersion gives. A fleet resolves on every routing decision.
 */
static mr_pb_version *
identity_of(svc_call *c, const mr_pb_version *v)
{
	mr_pb_version *t = svc_alloc(c, 1, sizeof(*t));

	if (t == NULL)
		return NULL;
	modelreg__v1__model_version__init(t);
	t->name = v->name;
	t->version = v->version;
	t->stage = v->stage;
	t->manifest = v->manifest;
	t->created_by = v->created_by;
	t->created_at_ms = v->created_at_ms;
	t->created_revision = v->created_revision;
	t->stage_changed_at_ms = v->stage_changed_at_ms;
	t->ever_production = v->ever_production;
	t->deprecation = v->deprecation;
	return t;
}

static mr_status
resolve_h(svc_call *c, const ProtobufCMessage *reqm, ProtobufCMessage *respm)
{
	const Modelreg__V1__ResolveRequest *rq = (const void *)reqm;
	Modelreg__V1__ResolveResponse *resp = (void *)respm;
	const Modelreg__V1__TrafficSplit *ts;
	mr_pb_version *v = NULL;
	uint32_t bucket = 0;
	mr_pb_model *m;
	mr_status rv;

	if ((rv = mr_check_name(rq->name, &c->err)) != MR_OK)
		return rv;
	if (rq->routing_key.len == 0 ||
	    rq->routing_key.len > MR_ROUTING_KEY_MAX)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "a routing key is 1..%d bytes, not %zu", MR_ROUTING_KEY_MAX,
		    rq->routing_key.len);
	if ((rv = reg_get_model(c, rq->name, &m)) != MR_OK)
		return rv;
	ts = m->traffic_split;
	if ((rv = split_bucket(c, ts != NULL ? ts->salt : "",
		 rq->routing_key.data, rq->routing_key.len, &bucket)) != MR_OK)
		return rv;
	if (ts != NULL && bucket < ts->canary_basis_points &&
	    reg_stage_valid((int)ts->canary_stage)) {
		rv = reg_resolve(c, m->name, reg_stage_name((int)ts->canary_stage),
		    m, &v);
		if (rv == MR_NOT_FOUND) {
			/* No canary version yet: the key goes to production. */
			mr_err_clear(&c->err);
			v = NULL;
		} else if (rv != MR_OK) {
			return rv;
		}
	}
	resp->canary = v != NULL;
	if (v == NULL) {
		rv = reg_resolve(c, m->name, "production", m, &v);
		if (rv == MR_NOT_FOUND)
			return mr_fail(&c->err, MR_NOT_FOUND,
			    "model \"%s\" has no production version%s", m->name,
			    ts != NULL ? " and the key is not on the canary side"
				       : "");
		if (rv != MR_OK)
			return rv;
	}
	if ((rv = reg_strip_chunks(c, v)) != MR_OK)
		return rv;
	if ((resp->version = identity_of(c, v)) == NULL)
		return c->err.code;
	resp->bucket = bucket;
	return MR_OK;
}

/* ---- deletion ------------------------------------------------------------ */

/*
 * Stages the deletion of version `v` (its stored record) of model `m`:
 * the event, the lineage, the tombstone and the removal of the record,
 * its manifest, index entries and chunk references. The caller fixes the
 * model record. Returns the tombstone in *tomb.
 */
static mr_status
delete_one(svc_call *c, const mr_pb_version *v, const char *reason,
    mr_pb_version **tomb)
{
	Modelreg__V1__Deletion *d;
	mr_pb_version *t;
	mr_status rv;

	if ((t = svc_alloc(c, 1, sizeof(*t))) == NULL ||
	    (d = svc_alloc(c, 1, sizeof(*d))) == NULL)
		return c->err.code;
	*t = *v;
	modelreg__v1__deletion__init(d);
	d->reason = (char *)reason;
	d->by = (char *)c->user;
	d->at_ms = c->now_ms;
	t->deletion = d;
	if ((rv = reg_append_event(c,
		 MODELREG__V1__EVENT_KIND__EVENT_VERSION_DELETED, v->name,
		 v->version, (int)v->stage, 0, reason)) != MR_OK)
		return rv;
	d->revision = store_txn_revision(c->txn);
	if ((rv = svc_lineage_delete(c, v)) != MR_OK ||
	    (rv = store_txn_delete_version(c->txn, t, &c->err)) != MR_OK)
		return rv;
	*tomb = t;
	return MR_OK;
}

static mr_status
check_delete_reason(svc_call *c, const char *reason)
{
	mr_status rv;

	if ((rv = mr_check_text("reason", reason, MR_REASON_MAX, true,
		 &c->err)) != MR_OK)
		return rv;
	if (reason[0] == '\0')
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "a deletion needs a reason: it is kept in the audit log");
	return MR_OK;
}

/* The highest version of a scan other than the one being deleted (the
 * scan reads the store, where it still is). */
struct latest_other_arg {
	const char *skip;
	mr_pb_version *found;
};

static int
latest_other(void *arg, mr_pb_version *v)
{
	struct latest_other_arg *a = arg;

	if (strcmp(v->version, a->skip) == 0) {
		protobuf_c_message_free_unpacked(&v->base, NULL);
		return 0;
	}
	a->found = v;
	return 1;
}

static mr_status
delete_version_h(svc_call *c, const ProtobufCMessage *reqm,
    ProtobufCMessage *respm)
{
	const Modelreg__V1__DeleteVersionRequest *rq = (const void *)reqm;
	Modelreg__V1__DeleteVersionResponse *resp = (void *)respm;
	char aliases[512] = "";
	mr_pb_version *v, *tomb;
	mr_pb_model *m;
	size_t na = 0;
	mr_semver sv;
	mr_status rv;

	if ((rv = mr_check_name(rq->name, &c->err)) != MR_OK ||
	    (rv = check_delete_reason(c, rq->reason)) != MR_OK)
		return rv;
	/* An alias or a stage name picks whatever is current: a deletion
	 * names what it deletes. */
	if (reg_is_alias(rq->version))
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "a deletion names its version exactly (MAJOR.MINOR.PATCH), "
		    "not \"%.64s\"",
		    rq->version);
	if ((rv = reg_parse_version(c, rq->version, &sv)) != MR_OK ||
	    (rv = reg_get_model(c, rq->name, &m)) != MR_OK ||
	    (rv = reg_get_version(c, rq->name, &sv, &v)) != MR_OK ||
	    (rv = svc_audit_before(c, &v->base)) != MR_OK)
		return rv;
	if (v->stage == MODELREG__V1__STAGE__STAGE_PRODUCTION)
		return mr_fail(&c->err, MR_FAILED_PRECONDITION,
		    "version %s of \"%s\" is in production; promote another "
		    "version or archive this one before deleting it",
		    v->version, rq->name);
	for (size_t i = 0; i < m->n_aliases; i++) {
		size_t len = strlen(aliases);
		if (strcmp(m->aliases[i]->value, v->version) != 0)
			continue;
		snprintf(aliases + len, sizeof(aliases) - len, "%s\"%s\"",
		    na++ > 0 ? ", " : "", m->aliases[i]->key);
	}
	if (na > 0)
		return mr_fail(&c->err, MR_FAILED_PRECONDITION,
		    "alias%s %s of \"%s\" point%s at version %s; move or "
		    "delete %s before deleting it",
		    na > 1 ? "es" : "", aliases, rq->name, na > 1 ? "" : "s",
		    v->version, na > 1 ? "them" : "it");

	if ((rv = delete_one(c, v, rq->reason, &tomb)) != MR_OK)
		return rv;
	/* The model: one version fewer, perhaps another highest one, and
	 * a rollback target that skips the deleted version. */
	if (m->version_count > 0)
		m->version_count--;
	if (strcmp(m->latest_version, v->version) == 0) {
		struct latest_other_arg lo = { .skip = v->version };

		m->latest_version = "";
		rv = store_scan_versions(c->st, rq->name, 0, NULL, true,
		    latest_other, &lo, &c->err);
		if (rv != MR_OK)
			return rv;
		if (lo.found != NULL) {
			if ((rv = svc_defer_msg(c, lo.found)) != MR_OK)
				return rv;
			m->latest_version = lo.found->version;
		}
	}
	if (strcmp(m->rollback_target, v->version) == 0 &&
	    (rv = reg_rollback_target(c, rq->name, v->displaced_version,
		 &m->rollback_target)) != MR_OK)
		return rv;
	if ((rv = reg_finish_model(c, m)) != MR_OK ||
	    (rv = svc_audit_after(c, &tomb->base)) != MR_OK ||
	    (rv = svc_audit_target(c, rq->name, v->version)) != MR_OK)
		return rv;
	resp->version = tomb;
	return MR_OK;
}

struct versions {
	svc_call *c;
	mr_pb_version **items;
	size_t n, cap;
	mr_status rv;
};

/* Collects every version of a model, keeping each for the call. */
static int
collect_version(void *arg, mr_pb_version *v)
{
	struct versions *vs = arg;

	if ((vs->rv = svc_defer_msg(vs->c, v)) != MR_OK)
		return 1;
	if (vs->n == vs->cap) {
		size_t cap = vs->cap ? 2 * vs->cap : 16;
		mr_pb_version **items = svc_alloc(vs->c, cap, sizeof(*items));
		if (items == NULL) {
			vs->rv = vs->c->err.code;
			return 1;
		}
		if (vs->n > 0)
			memcpy(items, vs->items, vs->n * sizeof(*items));
		vs->items = items;
		vs->cap = cap;
	}
	vs->items[vs->n++] = v;
	return 0;
}

static mr_status
delete_model_h(svc_call *c, const ProtobufCMessage *reqm,
    ProtobufCMessage *respm)
{
	const Modelreg__V1__DeleteModelRequest *rq = (const void *)reqm;
	Modelreg__V1__DeleteModelResponse *resp = (void *)respm;
	struct versions vs = { .c = c, .rv = MR_OK };
	mr_pb_version *tomb;
	mr_pb_model *m;
	mr_status rv;

	if ((rv = mr_check_name(rq->name, &c->err)) != MR_OK ||
	    (rv = check_delete_reason(c, rq->reason)) != MR_OK ||
	    (rv = reg_get_model(c, rq->name, &m)) != MR_OK ||
	    (rv = svc_audit_before(c, &m->base)) != MR_OK)
		return rv;
	if (m->production_version[0] != '\0')
		return mr_fail(&c->err, MR_FAILED_PRECONDITION,
		    "model \"%s\" has version %s in production; archive it "
		    "before deleting the model",
		    rq->name, m->production_version);
	rv = store_scan_versions(c->st, rq->name, 0, NULL, false,
	    collect_version, &vs, &c->err);
	if (rv != MR_OK || (rv = vs.rv) != MR_OK)
		return rv;
	resp->deleted_versions = svc_alloc(c, vs.n,
	    sizeof(*resp->deleted_versions));
	if (resp->deleted_versions == NULL)
		return c->err.code;
	for (size_t i = 0; i < vs.n; i++) {
		/* The model's record says none is; its versions agree. */
		if (vs.items[i]->stage == MODELREG__V1__STAGE__STAGE_PRODUCTION)
			return mr_fail(&c->err, MR_DATA_LOSS,
			    "version %s of \"%s\" is in production but the "
			    "model names none",
			    vs.items[i]->version, rq->name);
		if ((rv = delete_one(c, vs.items[i], rq->reason, &tomb)) !=
		    MR_OK)
			return rv;
		resp->deleted_versions[resp->n_deleted_versions++] =
		    vs.items[i]->version;
	}
	if ((rv = reg_append_event(c,
		 MODELREG__V1__EVENT_KIND__EVENT_MODEL_DELETED, rq->name, "", 0,
		 0, rq->reason)) != MR_OK)
		return rv;
	store_txn_delete_model(c->txn, rq->name);
	resp->model = m;
	/* The audit record's "after": what went, in the reply's words. */
	if ((rv = svc_audit_after(c, respm)) != MR_OK ||
	    (rv = svc_audit_target(c, rq->name, NULL)) != MR_OK)
		return rv;
	return MR_OK;
}

#define METHOD(meth, req, resp, fn, mut)                                    \
	{                                                                  \
		.name = "/modelreg.v1.Registry/" meth,                     \
		.request = &modelreg__v1__##req##__descriptor,             \
		.response = &modelreg__v1__##resp##__descriptor,           \
		.handler = fn, .mutates = mut,                             \
	}

const svc_method svc_lifecycle_methods[] = {
	METHOD("UpdateModel", update_model_request, update_model_response,
	    update_model_h, true),
	METHOD("UpdateVersion", update_version_request,
	    update_version_response, update_version_h, true),
	METHOD("SetApprovalPolicy", set_approval_policy_request,
	    set_approval_policy_response, set_policy_h, true),
	METHOD("Review", review_request, review_response, review_h, true),
	METHOD("Deprecate", deprecate_request, deprecate_response, deprecate_h,
	    true),
	METHOD("SetAlias", set_alias_request, set_alias_response, set_alias_h,
	    true),
	METHOD("DeleteAlias", delete_alias_request, delete_alias_response,
	    delete_alias_h, true),
	METHOD("CompareVersions", compare_versions_request,
	    compare_versions_response, compare_h, false),
	METHOD("SetTrafficSplit", set_traffic_split_request,
	    set_traffic_split_response, set_split_h, true),
	METHOD("DeleteVersion", delete_version_request,
	    delete_version_response, delete_version_h, true),
	METHOD("DeleteModel", delete_model_request, delete_model_response,
	    delete_model_h, true),
	/* A fleet's hottest call: point reads of the catalog, inline
	 * (svc.h, inline_read). */
	{
		.name = "/modelreg.v1.Registry/Resolve",
		.request = &modelreg__v1__resolve_request__descriptor,
		.response = &modelreg__v1__resolve_response__descriptor,
		.handler = resolve_h,
		.inline_read = true,
	},
};
const size_t svc_lifecycle_method_count =
    sizeof(svc_lifecycle_methods) / sizeof(svc_lifecycle_methods[0]);
