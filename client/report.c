/*
 * report.c - `modelreg audit report`: what happened to one model over a
 * period, for whoever must answer for it: deployments to production, who
 * approved each promotion, metrics over time, the data the versions were
 * trained on, rollbacks and the audit records.
 *
 * The report is gathered once into a JSON object (report_build), which
 * --json prints as it is and report_markdown renders; so the two forms
 * cannot disagree. It is a function of the registry's state and the
 * period only: the header names the model's last revision instead of the
 * time it was made, so the same question asked twice gets the same bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common.h"

/* How far upstream of a version data sources are looked for. */
#define REPORT_LINEAGE_DEPTH 5

/* ---- building ------------------------------------------------------------ */

static void
add_str(json_object *o, const char *key, const char *s)
{
	json_object_object_add(
	    o, key, cli_must(json_object_new_string(s != NULL ? s : "")));
}

/* A string, or null when empty. */
static void
add_opt(json_object *o, const char *key, const char *s)
{
	json_object_object_add(o, key,
	    s != NULL && s[0] != '\0' ? cli_must(json_object_new_string(s))
	                              : NULL);
}

/* "<key>": RFC 3339 text (null when unset) and "<key>_ms". */
static void
add_time(json_object *o, const char *key, int64_t ms)
{
	char name[64], text[32];

	snprintf(name, sizeof(name), "%s_ms", key);
	json_object_object_add(o, name, cli_must(json_object_new_int64(ms)));
	json_object_object_add(o, key,
	    ms > 0 ? cli_must(json_object_new_string(mr_format_time(ms, text)))
	           : NULL);
}

static bool
in_period(int64_t t, int64_t from_ms, int64_t to_ms)
{
	return t >= from_ms && (to_ms == 0 || t <= to_ms);
}

static json_object *
deployments(const export_model *m, int64_t from_ms, int64_t to_ms)
{
	json_object *a = cli_must(json_object_new_array());

	for (size_t i = 0; i < m->n_events; i++) {
		const mr_event *ev = m->events[i];
		json_object *o;

		if (!export_enters_production(ev) ||
		    !in_period(ev->time_ms, from_ms, to_ms))
			continue;
		o = cli_must(json_object_new_object());
		add_time(o, "time", ev->time_ms);
		add_str(o, "version", ev->version);
		add_str(o, "kind",
		    ev->kind == MR_EVENT_ROLLBACK ? "rollback" : "promotion");
		add_str(o, "actor", ev->actor);
		add_str(o, "reason", ev->reason);
		add_opt(o, "replaced", export_replaced(m, i));
		json_object_object_add(o, "revision",
		    cli_must(json_object_new_uint64(ev->revision)));
		json_object_array_add(a, o);
	}
	return a;
}

/*
 * The approval policies in force now. What a policy was at the time of a
 * promotion is not kept apart from the audit records, so the report
 * shows the policies of today and, with policy_changes, when they
 * changed.
 */
static json_object *
policies(const mr_model *md)
{
	json_object *a = cli_must(json_object_new_array());

	for (size_t i = 0; i < md->n_policies; i++) {
		const mr_policy *p = &md->policies[i];
		json_object *o = cli_must(json_object_new_object());
		json_object *who = cli_must(json_object_new_array());

		add_str(o, "stage", mr_stage_name(p->stage));
		for (size_t k = 0; k < p->n_approvers; k++)
			json_object_array_add(who,
			    cli_must(json_object_new_string(p->approvers[k])));
		json_object_object_add(o, "approvers", who);
		json_object_object_add(o, "required",
		    cli_must(json_object_new_int64(p->required)));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *
policy_changes(const export_model *m, int64_t from_ms, int64_t to_ms)
{
	json_object *a = cli_must(json_object_new_array());

	for (size_t i = 0; i < m->n_events; i++) {
		const mr_event *ev = m->events[i];
		json_object *o;

		if (ev->kind != MR_EVENT_POLICY_CHANGED ||
		    !in_period(ev->time_ms, from_ms, to_ms))
			continue;
		o = cli_must(json_object_new_object());
		add_time(o, "time", ev->time_ms);
		add_str(o, "actor", ev->actor);
		add_str(o, "reason", ev->reason);
		json_object_object_add(o, "revision",
		    cli_must(json_object_new_uint64(ev->revision)));
		json_object_array_add(a, o);
	}
	return a;
}

/* Each promotion in the period with the reviews standing for its stage. */
static json_object *
approvals(const export_model *m, int64_t from_ms, int64_t to_ms)
{
	json_object *a = cli_must(json_object_new_array());

	for (size_t i = 0; i < m->n_events; i++) {
		const mr_event *ev = m->events[i];
		const mr_version *v;
		json_object *o, *reviews;

		if (ev->kind != MR_EVENT_STAGE_CHANGED ||
		    (ev->to_stage != MR_STAGE_STAGING &&
		        ev->to_stage != MR_STAGE_PRODUCTION) ||
		    !in_period(ev->time_ms, from_ms, to_ms))
			continue;
		o = cli_must(json_object_new_object());
		add_str(o, "version", ev->version);
		add_str(o, "stage", mr_stage_name(ev->to_stage));
		add_time(o, "promoted", ev->time_ms);
		add_str(o, "promoted_by", ev->actor);
		add_str(o, "reason", ev->reason);
		reviews = cli_must(json_object_new_array());
		v = export_find_version(m, ev->version);
		for (size_t k = 0; v != NULL && k < v->n_reviews; k++) {
			const mr_review *r = &v->reviews[k];
			json_object *ro;

			if (r->stage != ev->to_stage)
				continue;
			ro = cli_must(json_object_new_object());
			add_str(ro, "reviewer", r->reviewer);
			add_str(ro, "decision", cli_decision_name(r->decision));
			add_str(ro, "comment", r->comment);
			add_time(ro, "time", r->time_ms);
			/* A review may stand from after the promotion: it
			 * did not decide it. */
			json_object_object_add(ro, "after_promotion",
			    cli_must(json_object_new_boolean(
			        r->time_ms > ev->time_ms)));
			json_object_array_add(reviews, ro);
		}
		json_object_object_add(o, "reviews", reviews);
		json_object_array_add(a, o);
	}
	return a;
}

/* The versions registered up to the end of the period, by registration
 * time, then by precedence (their order in the snapshot). */
static const mr_version **
versions_until(const export_model *m, int64_t to_ms, size_t *n_out)
{
	const mr_version **vs =
	    cli_must(calloc(m->n_versions + 1, sizeof(*vs)));
	size_t n = 0;

	for (size_t i = 0; i < m->n_versions; i++) {
		const mr_version *v = m->versions[i];
		size_t k;

		if (to_ms != 0 && v->created_at_ms > to_ms)
			continue;
		/* Insertion keeps equal times in precedence order. */
		for (k = n;
		     k > 0 && vs[k - 1]->created_at_ms > v->created_at_ms; k--)
			vs[k] = vs[k - 1];
		vs[k] = v;
		n++;
	}
	*n_out = n;
	return vs;
}

static json_object *
metrics(const mr_version *const *vs, size_t n)
{
	json_object *a = cli_must(json_object_new_array());

	for (size_t i = 0; i < n; i++) {
		const mr_version *v = vs[i];
		json_object *o = cli_must(json_object_new_object());
		json_object *ms = cli_must(json_object_new_object());

		add_str(o, "version", v->version);
		add_time(o, "created", v->created_at_ms);
		add_str(o, "created_by", v->created_by);
		add_str(o, "stage", mr_stage_name(v->stage));
		for (size_t k = 0; k < v->metadata.n_metrics; k++)
			json_object_object_add(ms, v->metadata.metrics[k].name,
			    cli_must(json_object_new_double(
			        v->metadata.metrics[k].value)));
		json_object_object_add(o, "metrics", ms);
		json_object_array_add(a, o);
	}
	return a;
}

/* The dataset and feature set nodes upstream of a version, by id. */
static mr_status
upstream_sources(mr_client *c, const mr_model *md, const mr_version *v,
    json_object **out, mr_err *e)
{
	mr_list_params lp = {.page_size = MR_PAGE_SIZE_MAX};
	json_object *found =
	    cli_must(json_object_new_object()); /* id -> node */
	char id[MR_NODE_ID_MAX + 1], *token = NULL;
	mr_status rv = MR_OK;

	snprintf(id, sizeof(id), "model:%s@%s", md->name, v->version);
	for (;;) {
		mr_graph *g;

		rv = mr_lineage_walk(
		    c, id, MR_UPSTREAM, REPORT_LINEAGE_DEPTH, &lp, &g);
		if (rv == MR_NOT_FOUND) {
			/* No node for the version: nothing is upstream. */
			rv = MR_OK;
			break;
		}
		if (rv != MR_OK) {
			rv = mr_fail(e, rv, "lineage upstream of %s: %s", id,
			    mr_client_errmsg(c));
			break;
		}
		for (size_t i = 0; i < g->n_nodes; i++) {
			const mr_node *n = &g->nodes[i];
			json_object *o;

			if (n->depth == 0 ||
			    (n->kind != MR_NODE_DATASET &&
			        n->kind != MR_NODE_FEATURES) ||
			    json_object_object_get_ex(found, n->id, NULL))
				continue;
			o = cli_must(json_object_new_object());
			add_str(o, "id", n->id);
			add_str(o, "kind", mr_node_kind_name(n->kind));
			add_str(o, "name", n->name);
			add_str(o, "version", n->version);
			json_object_object_add(o, "depth",
			    cli_must(json_object_new_int64(n->depth)));
			json_object_object_add(found, n->id, o);
		}
		free(token);
		token = cli_strdup(g->next_page_token);
		mr_graph_free(g);
		if (token[0] == '\0')
			break;
		lp.page_token = token;
	}
	free(token);
	if (rv != MR_OK) {
		json_object_put(found);
		return rv;
	}
	/* Sorted by id: through the sorted copy of the object. */
	found = export_sorted_json(found);
	*out = cli_must(json_object_new_array());
	json_object_object_foreach(found, key, val)
	{
		(void)key;
		json_object_array_add(*out, json_object_get(val));
	}
	json_object_put(found);
	return MR_OK;
}

static mr_status
data_sources(mr_client *c, const export_model *m, const mr_version *const *vs,
    size_t n, json_object **out, mr_err *e)
{
	json_object *a = cli_must(json_object_new_array());
	mr_status rv;

	for (size_t i = 0; i < n; i++) {
		const mr_version *v = vs[i];
		json_object *o = cli_must(json_object_new_object()), *up;

		json_object_array_add(a, o);
		add_str(o, "version", v->version);
		add_opt(o, "training_data_version",
		    v->metadata.training_data_version);
		add_opt(
		    o, "feature_set_version", v->metadata.feature_set_version);
		if ((rv = upstream_sources(c, m->model, v, &up, e)) != MR_OK) {
			json_object_put(a);
			return rv;
		}
		json_object_object_add(o, "upstream", up);
	}
	*out = a;
	return MR_OK;
}

static json_object *
rollbacks(const export_model *m, int64_t from_ms, int64_t to_ms)
{
	json_object *a = cli_must(json_object_new_array());

	for (size_t i = 0; i < m->n_events; i++) {
		const mr_event *ev = m->events[i];
		json_object *o;

		if (ev->kind != MR_EVENT_ROLLBACK ||
		    !in_period(ev->time_ms, from_ms, to_ms))
			continue;
		o = cli_must(json_object_new_object());
		add_time(o, "time", ev->time_ms);
		add_str(o, "version", ev->version);
		add_opt(o, "rolled_back", export_replaced(m, i));
		add_str(o, "actor", ev->actor);
		add_str(o, "reason", ev->reason);
		json_object_array_add(a, o);
	}
	return a;
}

static mr_status
audit_records(mr_client *c, const char *name, int64_t from_ms, int64_t to_ms,
    json_object **out, mr_err *e)
{
	json_object *a = cli_must(json_object_new_array());
	uint64_t after = 0;

	for (;;) {
		mr_audit_list *l;
		mr_status rv = mr_list_audit(
		    c, name, from_ms, to_ms, after, MR_PAGE_SIZE_MAX, &l);

		if (rv != MR_OK) {
			json_object_put(a);
			return mr_fail(e, rv, "list audit records of %s: %s",
			    name, mr_client_errmsg(c));
		}
		for (size_t i = 0; i < l->count; i++) {
			const mr_audit_record *r = &l->items[i];
			json_object *o = cli_must(json_object_new_object());

			json_object_object_add(
			    o, "seq", cli_must(json_object_new_uint64(r->seq)));
			add_time(o, "time", r->time_ms);
			add_str(o, "actor", r->actor);
			add_str(o, "action", r->action);
			add_str(o, "target", r->target);
			add_str(o, "reason", r->reason);
			json_object_object_add(o, "revision",
			    cli_must(json_object_new_uint64(r->revision)));
			json_object_array_add(a, o);
		}
		if (!l->more || l->count == 0 || l->last_seq <= after) {
			mr_audit_list_free(l);
			break;
		}
		after = l->last_seq;
		mr_audit_list_free(l);
	}
	*out = a;
	return MR_OK;
}

mr_status
report_build(mr_client *c, const char *name, int64_t from_ms, int64_t to_ms,
    json_object **out, mr_err *e)
{
	export_model m = {0};
	json_object *r, *period, *part;
	const mr_version **vs = NULL;
	uint64_t revision;
	size_t n_vs;
	mr_status rv;

	if (to_ms != 0 && from_ms > to_ms)
		return mr_fail(
		    e, MR_INVALID_ARGUMENT, "the period ends before it begins");
	if ((rv = export_snapshot(c, name, &m, e)) != MR_OK)
		return rv;
	revision = m.model->revision;
	for (size_t i = 0; i < m.n_events; i++)
		if (m.events[i]->revision > revision)
			revision = m.events[i]->revision;

	r = cli_must(json_object_new_object());
	add_str(r, "model", m.model->name);
	period = cli_must(json_object_new_object());
	add_time(period, "from", from_ms);
	add_time(period, "to", to_ms);
	json_object_object_add(r, "period", period);
	json_object_object_add(
	    r, "revision", cli_must(json_object_new_uint64(revision)));
	add_opt(r, "production_version", m.model->production_version);
	add_opt(r, "primary_metric", m.model->primary_metric);
	json_object_object_add(
	    r, "deployments", deployments(&m, from_ms, to_ms));
	json_object_object_add(r, "approvals", approvals(&m, from_ms, to_ms));
	json_object_object_add(r, "policies", policies(m.model));
	json_object_object_add(
	    r, "policy_changes", policy_changes(&m, from_ms, to_ms));
	vs = versions_until(&m, to_ms, &n_vs);
	json_object_object_add(r, "metrics", metrics(vs, n_vs));
	if ((rv = data_sources(c, &m, vs, n_vs, &part, e)) != MR_OK)
		goto err_report;
	json_object_object_add(r, "data_sources", part);
	json_object_object_add(r, "rollbacks", rollbacks(&m, from_ms, to_ms));
	if ((rv = audit_records(c, m.model->name, from_ms, to_ms, &part, e)) !=
	    MR_OK)
		goto err_report;
	json_object_object_add(r, "audit", part);
	free(vs);
	export_model_free(&m);
	*out = export_sorted_json(r);
	return MR_OK;

err_report:
	json_object_put(r);
	free(vs);
	export_model_free(&m);
	return rv;
}

/* ---- Markdown ------------------------------------------------------------ */

static json_object *
jget(json_object *o, const char *key)
{
	json_object *v = NULL;

	json_object_object_get_ex(o, key, &v);
	return v;
}

/* A string member; "" when null or absent. */
static const char *
jstr(json_object *o, const char *key)
{
	json_object *v = jget(o, key);

	return v != NULL ? json_object_get_string(v) : "";
}

static size_t
jlen(json_object *o, const char *key)
{
	json_object *v = jget(o, key);

	return json_object_is_type(v, json_type_array)
	    ? json_object_array_length(v)
	    : 0;
}

static json_object *
jat(json_object *o, const char *key, size_t i)
{
	return json_object_array_get_idx(jget(o, key), i);
}

/* "| a | b | c |" from members of `o`. */
static void
row(FILE *f, json_object *o, const char *const *keys, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		fputs(i == 0 ? "| " : " | ", f);
		export_md_cell(f, jstr(o, keys[i]));
	}
	fputs(" |\n", f);
}

static void
header(FILE *f, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "%s%s", i == 0 ? "| " : " | ", names[i]);
	fputs(" |\n", f);
	for (size_t i = 0; i < n; i++)
		fputs("|---", f);
	fputs("|\n", f);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void
md_deployments(json_object *r, FILE *f)
{
	static const char *const names[] = {
	    "Time", "Version", "Change", "By", "Replaced", "Reason"};
	static const char *const keys[] = {
	    "time", "version", "kind", "actor", "replaced", "reason"};
	size_t n = jlen(r, "deployments");

	fputs("\n## Deployments to production\n\n", f);
	if (n == 0) {
		fputs("None in this period.\n", f);
		return;
	}
	header(f, names, N(names));
	for (size_t i = 0; i < n; i++)
		row(f, jat(r, "deployments", i), keys, N(keys));
}

/* "production: 2 approvals from alice, bob", "staging: 1 approval from
 * anyone but the registrant": the policy as cli_policy_text says it. */
static void
policy_text(FILE *f, json_object *p)
{
	size_t n = jlen(p, "approvers");
	mr_policy pol = {
	    .approvers = cli_must(calloc(n + 1, sizeof(char *))),
	    .n_approvers = n,
	    .required = (uint32_t)json_object_get_int64(jget(p, "required")),
	};
	char *text;
	line l;

	for (size_t i = 0; i < n; i++)
		pol.approvers[i] =
		    (char *)json_object_get_string(jat(p, "approvers", i));
	line_start(&l);
	cli_policy_text(l.f, &pol);
	text = line_end(&l);
	fprintf(f, "%s: ", jstr(p, "stage"));
	export_md_cell(f, text);
	free(text);
	free(pol.approvers);
}

static void
md_policies(json_object *r, FILE *f)
{
	size_t n = jlen(r, "policies"), nc = jlen(r, "policy_changes");

	fputs("\nApproval policies now: ", f);
	if (n == 0)
		fputs("none", f);
	for (size_t i = 0; i < n; i++) {
		fputs(i > 0 ? "; " : "", f);
		policy_text(f, jat(r, "policies", i));
	}
	fputs(".\n", f);
	if (nc > 0)
		fputs("Policy changes in the period:\n\n", f);
	for (size_t i = 0; i < nc; i++) {
		json_object *c = jat(r, "policy_changes", i);

		fprintf(f, "- %s by ", jstr(c, "time"));
		export_md_cell(f, jstr(c, "actor"));
		if (jstr(c, "reason")[0] != '\0') {
			fputs(": ", f);
			export_md_cell(f, jstr(c, "reason"));
		}
		fputc('\n', f);
	}
}

static void
md_approvals(json_object *r, FILE *f)
{
	static const char *const names[] = {"Promoted", "Version", "Stage",
	    "Promoted by", "Reviewer", "Decision", "Comment", "Reviewed"};
	size_t n = jlen(r, "approvals");

	fputs("\n## Approvals\n\n", f);
	if (n == 0) {
		fputs("No promotions in this period.\n", f);
		md_policies(r, f);
		return;
	}
	fputs("Each promotion in the period with the reviews standing for "
	      "the stage it\nentered.\n\n",
	    f);
	header(f, names, N(names));
	for (size_t i = 0; i < n; i++) {
		json_object *p = jat(r, "approvals", i);
		size_t nr = jlen(p, "reviews");
		static const char *const lead[] = {
		    "promoted", "version", "stage", "promoted_by"};

		for (size_t k = 0; k < (nr > 0 ? nr : 1); k++) {
			json_object *rv = nr > 0 ? jat(p, "reviews", k) : NULL;

			for (size_t j = 0; j < N(lead); j++) {
				fputs(j == 0 ? "| " : " | ", f);
				export_md_cell(f, jstr(p, lead[j]));
			}
			fputs(" | ", f);
			if (rv == NULL) {
				fputs("- | no review | - | - |\n", f);
				continue;
			}
			export_md_cell(f, jstr(rv, "reviewer"));
			fputs(" | ", f);
			export_md_cell(f, jstr(rv, "decision"));
			fputs(" | ", f);
			export_md_cell(f, jstr(rv, "comment"));
			fputs(" | ", f);
			export_md_cell(f, jstr(rv, "time"));
			if (json_object_get_boolean(
			        jget(rv, "after_promotion")))
				fputs(" (after the promotion)", f);
			fputs(" |\n", f);
		}
	}
	md_policies(r, f);
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void
md_metrics(json_object *r, FILE *f)
{
	const char *primary = jstr(r, "primary_metric");
	size_t n = jlen(r, "metrics"), n_names = 0;
	const char **names = NULL;

	fputs("\n## Metrics over time\n\n", f);
	if (n == 0) {
		fputs("No versions registered by the end of the period.\n", f);
		return;
	}
	/* The columns: every metric any version has, the primary first. */
	for (size_t i = 0; i < n; i++) {
		json_object_object_foreach(
		    jget(jat(r, "metrics", i), "metrics"), key, val)
		{
			bool seen = false;

			(void)val;
			for (size_t k = 0; !seen && k < n_names; k++)
				seen = strcmp(names[k], key) == 0;
			if (seen)
				continue;
			names = cli_must(
			    realloc(names, (n_names + 1) * sizeof(*names)));
			names[n_names++] = key;
		}
	}
	if (n_names > 1)
		qsort(names, n_names, sizeof(*names), str_cmp);
	for (size_t k = 1; k < n_names && primary[0] != '\0'; k++)
		if (strcmp(names[k], primary) == 0) {
			memmove(&names[1], &names[0], k * sizeof(*names));
			names[0] = primary;
			break;
		}
	fputs("Versions registered by the end of the period, by "
	      "registration time.\n\n| Version | Registered | Stage",
	    f);
	for (size_t k = 0; k < n_names; k++) {
		fputs(" | ", f);
		export_md_cell(f, names[k]);
	}
	fputs(" |\n|---|---|---", f);
	for (size_t k = 0; k < n_names; k++)
		fputs("|---", f);
	fputs("|\n", f);
	for (size_t i = 0; i < n; i++) {
		json_object *v = jat(r, "metrics", i);
		static const char *const keys[] = {
		    "version", "created", "stage"};

		for (size_t j = 0; j < N(keys); j++) {
			fputs(j == 0 ? "| " : " | ", f);
			export_md_cell(f, jstr(v, keys[j]));
		}
		for (size_t k = 0; k < n_names; k++) {
			json_object *val = jget(jget(v, "metrics"), names[k]);
			char num[40];

			fprintf(f, " | %s",
			    val != NULL ? export_double(
			                      json_object_get_double(val), num)
			                : "-");
		}
		fputs(" |\n", f);
	}
	free(names);
}

static void
md_sources(json_object *r, FILE *f)
{
	static const char *const names[] = {"Version", "Training data",
	    "Feature set", "Upstream datasets and feature sets"};
	size_t n = jlen(r, "data_sources");

	fputs("\n## Data sources\n\n", f);
	if (n == 0) {
		fputs("No versions registered by the end of the period.\n", f);
		return;
	}
	fprintf(f,
	    "From each version's metadata, and the dataset and feature set "
	    "nodes found\nwithin %d edges upstream of it in the lineage "
	    "graph.\n\n",
	    REPORT_LINEAGE_DEPTH);
	header(f, names, N(names));
	for (size_t i = 0; i < n; i++) {
		json_object *s = jat(r, "data_sources", i);
		size_t nu = jlen(s, "upstream");

		fputs("| ", f);
		export_md_cell(f, jstr(s, "version"));
		fputs(" | ", f);
		export_md_cell(f, jstr(s, "training_data_version"));
		fputs(" | ", f);
		export_md_cell(f, jstr(s, "feature_set_version"));
		fputs(" | ", f);
		if (nu == 0)
			fputc('-', f);
		for (size_t k = 0; k < nu; k++) {
			fputs(k > 0 ? ", " : "", f);
			export_md_cell(f, jstr(jat(s, "upstream", k), "id"));
		}
		fputs(" |\n", f);
	}
}

static void
md_rollbacks(json_object *r, FILE *f)
{
	static const char *const names[] = {
	    "Time", "Restored", "Rolled back", "By", "Reason"};
	static const char *const keys[] = {
	    "time", "version", "rolled_back", "actor", "reason"};
	size_t n = jlen(r, "rollbacks");

	fputs("\n## Rollbacks\n\n", f);
	if (n == 0) {
		fputs("None in this period.\n", f);
		return;
	}
	header(f, names, N(names));
	for (size_t i = 0; i < n; i++)
		row(f, jat(r, "rollbacks", i), keys, N(keys));
}

static void
md_audit(json_object *r, FILE *f)
{
	static const char *const names[] = {
	    "Seq", "Time", "Actor", "Action", "Target", "Reason"};
	static const char *const keys[] = {
	    "seq", "time", "actor", "action", "target", "reason"};
	size_t n = jlen(r, "audit");

	fputs("\n## Audit log\n\n", f);
	if (n == 0) {
		fputs("No audit records in this period.\n", f);
		return;
	}
	header(f, names, N(names));
	for (size_t i = 0; i < n; i++)
		row(f, jat(r, "audit", i), keys, N(keys));
}

void
report_markdown(json_object *r, FILE *f)
{
	json_object *period = jget(r, "period");
	const char *prod = jstr(r, "production_version");

	fputs("# Governance report: ", f);
	export_md_cell(f, jstr(r, "model"));
	fprintf(f,
	    "\n\n- Period: %s to %s (UTC, both included)\n"
	    "- Generated from registry revision %s\n"
	    "- In production now: %s\n",
	    jget(period, "from") != NULL ? jstr(period, "from") : "the start",
	    jget(period, "to") != NULL ? jstr(period, "to") : "the end",
	    jstr(r, "revision"), prod[0] != '\0' ? prod : "none");
	md_deployments(r, f);
	md_approvals(r, f);
	md_metrics(r, f);
	md_sources(r, f);
	md_rollbacks(r, f);
	md_audit(r, f);
}
