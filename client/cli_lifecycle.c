/*
 * cli_lifecycle.c - the modelreg commands of a model's lifecycle beyond
 * registering and promoting: update, signature, policy, approve and
 * reject, deprecate and undeprecate, alias, compare, search and audit;
 * and the lifecycle fields that get and info show.
 *
 * Each command has the shape cli.c describes: its options parsed with
 * getopt_long (a usage error exits 2 before anything is contacted), one
 * or two library calls (a refusal exits 1 through status_error), then a
 * table or lines for people, or with --json the whole result. Their
 * entries - synopsis and help - are in cli.c's command table. Paged
 * results (search, audit log) go through list_pages; the audit log pages
 * by sequence number, which travels as the page token, so that --limit,
 * --page-token and --all work there as in every other listing.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common.h"

/* ---- shared pieces ------------------------------------------------------ */

/* The subcommand of `cmd` called `word` ("log" of "audit"); NULL if
 * none. */
static const command *
sub_named(const command *cmd, const char *word)
{
	size_t skip = strlen(cmd->name) + 1;

	for (size_t i = 0; i < cmd->n_subs; i++)
		if (strcmp(cmd->subs[i].name + skip, word) == 0)
			return &cmd->subs[i];
	return NULL;
}

int
cmd_subcommands(cli *g, const command *cmd, int argc, char **argv)
{
	size_t skip = strlen(cmd->name) + 1;
	const command *sub;
	char *names;
	line l;
	int code;

	if (argc > 1 && (sub = sub_named(cmd, argv[1])) != NULL)
		return sub->run(g, sub, argc - 1, argv + 1);
	if (argc > 1 &&
	    (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0))
		return help_for(cmd, stdout, 0);
	line_start(&l);
	for (size_t i = 0; i < cmd->n_subs; i++)
		fprintf(
		    l.f, "%s%s", i > 0 ? ", " : "", cmd->subs[i].name + skip);
	names = line_end(&l);
	if (argc > 1)
		code = usage_error(
		    cmd, "no subcommand \"%s\" (there are %s)", argv[1], names);
	else
		code = usage_error(cmd, "give a subcommand: %s", names);
	free(names);
	return code;
}

/* Strings gathered from a repeated option (--untag, --approver). */
typedef struct strings {
	const char **items;
	size_t n;
} strings;

static void
strings_add(strings *s, const char *item)
{
	s->items = cli_must(realloc(s->items, (s->n + 1) * sizeof(char *)));
	s->items[s->n++] = item;
}

/* STAGE of a policy or a review: a stage (stage_arg) that approvals
 * gate, staging or production; a usage error naming it otherwise. */
static int
approval_stage_arg(
    const command *cmd, const char *opt, const char *text, mr_stage *out)
{
	int code;

	if ((code = stage_arg(cmd, opt, text, out)) != 0)
		return code;
	if (*out != MR_STAGE_STAGING && *out != MR_STAGE_PRODUCTION)
		return usage_error(cmd,
		    "%s %s: approvals are for staging or production only", opt,
		    mr_stage_name(*out));
	return 0;
}

static unsigned long long
revision(const cli *g)
{
	return (unsigned long long)mr_client_revision(g->c);
}

/* ---- lifecycle fields of get and info ----------------------------------- */

void
print_version_lifecycle(const mr_version *v)
{
	char t1[32];
	char *s;
	line l;

	cli_field(stdout, "version rule:", v->version_rule);
	if (v->deprecated) {
		line_start(&l);
		fprintf(l.f, "%s", v->deprecation_reason);
		if (v->end_of_life_ms > 0)
			fprintf(l.f, "; end of life %s",
			    mr_format_time(v->end_of_life_ms, t1));
		if (v->deprecated_by != NULL && v->deprecated_by[0] != '\0')
			fprintf(l.f, "; by %s", v->deprecated_by);
		if (v->deprecated_at_ms > 0)
			fprintf(l.f, " at %s",
			    mr_format_time(v->deprecated_at_ms, t1));
		cli_field(stdout, "deprecated:", s = line_end(&l));
		free(s);
	}
	if (v->deleted) {
		line_start(&l);
		fprintf(l.f, "%s; by %s at %s", v->deletion_reason,
		    v->deleted_by, mr_format_time(v->deleted_at_ms, t1));
		cli_field(stdout, "deleted:", s = line_end(&l));
		free(s);
	}
	for (size_t i = 0; i < v->n_reviews; i++) {
		const mr_review *r = &v->reviews[i];

		line_start(&l);
		fprintf(l.f, "%s: %s by %s at %s", mr_stage_name(r->stage),
		    r->decision == MR_APPROVE ? "approved" : "rejected",
		    r->reviewer, mr_format_time(r->time_ms, t1));
		if (r->comment != NULL && r->comment[0] != '\0')
			fprintf(l.f, ": %s", r->comment);
		cli_field(stdout, "review:", s = line_end(&l));
		free(s);
	}
}

/* Basis points as the shortest percentage: "10%", "12.5%", "0.05%". */
static void
share_text(char *buf, size_t cap, uint32_t bp)
{
	if (bp % 100 == 0)
		snprintf(buf, cap, "%u%%", bp / 100);
	else if (bp % 10 == 0)
		snprintf(buf, cap, "%u.%u%%", bp / 100, bp % 100 / 10);
	else
		snprintf(buf, cap, "%u.%02u%%", bp / 100, bp % 100);
}

/* "staging 10% (production 90%)" for a split of `bp` basis points. */
static void
split_text(char *buf, size_t cap, mr_stage stage, uint32_t bp)
{
	char canary[16], rest[16];

	share_text(canary, sizeof(canary), bp);
	share_text(rest, sizeof(rest), 10000 - bp);
	snprintf(buf, cap, "%s %s (production %s)", mr_stage_name(stage),
	    canary, rest);
}

void
print_model_lifecycle(const mr_model *m)
{
	char *s;
	line l;

	cli_field(stdout, "primary metric:", m->primary_metric);
	line_start(&l);
	for (size_t i = 0; i < m->n_goals; i++)
		fprintf(l.f, "%s%s %s", i > 0 ? ", " : "", m->goals[i].metric,
		    cli_goal_name(m->goals[i].goal));
	cli_field(stdout, "metric goals:", s = line_end(&l));
	free(s);
	s = cli_kv_join(m->aliases, m->n_aliases, ", ");
	cli_field(stdout, "aliases:", s);
	free(s);
	if (m->split_basis_points > 0) {
		char split[64];

		split_text(split, sizeof(split), m->split_stage,
		    m->split_basis_points);
		cli_field(stdout, "traffic split:", split);
	}
	for (size_t i = 0; i < m->n_policies; i++) {
		line_start(&l);
		fprintf(l.f, "%s: ", mr_stage_name(m->policies[i].stage));
		cli_policy_text(l.f, &m->policies[i]);
		cli_field(stdout, "approval policy:", s = line_end(&l));
		free(s);
	}
}

/* ---- update ------------------------------------------------------------- */

/* What `update` was told to change. */
typedef struct change {
	const char *description;
	const char *owner;
	const char *primary_metric;
	const char *signature_file;
	const char *reason;
	mr_kv *tags;
	size_t n_tags;
	strings untag;
	mr_goal *goals;
	size_t n_goals;
} change;

static void
change_free(change *c)
{
	cli_kv_free(c->tags, c->n_tags);
	free(c->untag.items);
	for (size_t i = 0; i < c->n_goals; i++)
		free(c->goals[i].metric);
	free(c->goals);
}

/* --goal METRIC=higher|lower|default */
static int
goal_arg(const command *cmd, const char *text, change *c)
{
	const char *eq = strchr(text, '=');
	mr_metric_goal goal;

	if (eq == NULL || eq == text)
		return usage_error(cmd,
		    "--goal wants METRIC=higher|lower|default, not \"%s\"",
		    text);
	if (strcmp(eq + 1, "higher") == 0)
		goal = MR_GOAL_HIGHER;
	else if (strcmp(eq + 1, "lower") == 0)
		goal = MR_GOAL_LOWER;
	else if (strcmp(eq + 1, "default") == 0)
		goal = MR_GOAL_DEFAULT;
	else
		return usage_error(cmd,
		    "--goal %.*s: \"%s\" is not higher, lower or default",
		    (int)(eq - text), text, eq + 1);
	c->goals =
	    cli_must(realloc(c->goals, (c->n_goals + 1) * sizeof(*c->goals)));
	c->goals[c->n_goals].metric =
	    cli_must(strndup(text, (size_t)(eq - text)));
	c->goals[c->n_goals++].goal = goal;
	return 0;
}

static int
update_model(cli *g, const command *cmd, const char *name, const change *c)
{
	mr_model_update u = {
	    .description = c->description,
	    .owner = c->owner,
	    .primary_metric = c->primary_metric,
	    .set_tags = c->tags,
	    .n_set_tags = c->n_tags,
	    .delete_tags = c->untag.items,
	    .n_delete_tags = c->untag.n,
	    .set_goals = c->goals,
	    .n_set_goals = c->n_goals,
	    .reason = c->reason,
	};
	mr_model *m;
	mr_status rv;
	char *s;

	(void)cmd;
	if ((rv = mr_update_model(g->c, name, &u, &m)) != MR_OK)
		return status_error(g, rv, "update %s", name);
	if (g->json) {
		print_with_revision(g, "model", cj_model(m));
	} else {
		printf("updated %s (revision %llu)\n", m->name, revision(g));
		cli_field(stdout, "description:", m->description);
		cli_field(stdout, "owner:", m->owner);
		s = cli_kv_join(m->tags, m->n_tags, ", ");
		cli_field(stdout, "tags:", s);
		free(s);
		print_model_lifecycle(m);
	}
	mr_model_free(m);
	return 0;
}

static int
update_version(cli *g, const command *cmd, const selector *sel, const change *c)
{
	mr_version_update u = {
	    .description = c->description,
	    .set_tags = c->tags,
	    .n_set_tags = c->n_tags,
	    .delete_tags = c->untag.items,
	    .n_delete_tags = c->untag.n,
	    .reason = c->reason,
	};
	char err[CLI_ERR_MAX];
	mr_version *v;
	cli_meta sig;
	mr_status rv;
	char *s;
	int code;

	memset(&sig, 0, sizeof(sig));
	if (c->signature_file != NULL) {
		if (cli_sig_load(&sig, c->signature_file, err) != 0)
			return usage_error(cmd, "%s", err);
		u.signature = &sig.sig;
	}
	if ((code = connect_client(g)) != 0)
		goto out;
	rv = mr_update_version(g->c, sel->name, sel->version, &u, &v);
	if (rv != MR_OK) {
		code = status_error(g, rv, "update %s", sel->what);
		goto out;
	}
	if (g->json) {
		print_with_revision(g, "version", cj_version(v));
	} else {
		printf("updated %s %s (revision %llu)\n", v->name, v->version,
		    revision(g));
		cli_field(stdout, "description:", v->description);
		s = cli_kv_join(v->tags, v->n_tags, ", ");
		cli_field(stdout, "tags:", s);
		free(s);
		if (c->signature_file != NULL) {
			print_fields("inputs:", v->signature.inputs,
			    v->signature.n_inputs);
			print_fields("outputs:", v->signature.outputs,
			    v->signature.n_outputs);
		}
	}
	mr_version_free(v);
out:
	cli_meta_free(&sig);
	return code;
}

int
cmd_update(cli *g, const command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"description", required_argument, NULL, 'd'},
	    {"owner", required_argument, NULL, 'o'},
	    {"tag", required_argument, NULL, 't'},
	    {"untag", required_argument, NULL, 'u'},
	    {"primary-metric", required_argument, NULL, 'm'},
	    {"goal", required_argument, NULL, 'G'},
	    {"signature", required_argument, NULL, 'S'},
	    {"reason", required_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	change c = {0};
	selector sel;
	int ch, code = 0;
	bool model;

	optind = 0;
	while (code == 0 &&
	    (ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			c.description = optarg;
			break;
		case 'o':
			c.owner = optarg;
			break;
		case 't':
			code = kv_arg(cmd, "--tag", optarg, &c.tags, &c.n_tags);
			break;
		case 'u':
			strings_add(&c.untag, optarg);
			break;
		case 'm':
			c.primary_metric = optarg;
			break;
		case 'G':
			code = goal_arg(cmd, optarg, &c);
			break;
		case 'S':
			c.signature_file = optarg;
			break;
		case 'r':
			c.reason = optarg;
			break;
		case 'h':
			code = help_for(cmd, stdout, 0);
			goto out;
		default:
			code = option_error(cmd, ch, argv);
			break;
		}
	}
	if (code != 0)
		goto out;
	/* NAME alone is the model; NAME VERSION or NAME@VERSION a version. */
	model = argc - optind == 1 && strchr(argv[optind], '@') == NULL;
	if (argc - optind < 1 || argc - optind > 2) {
		code = usage_error(
		    cmd, "give NAME, or NAME VERSION (or NAME@VERSION)");
	} else if (model && c.signature_file != NULL) {
		code = usage_error(
		    cmd, "--signature is for a version: give NAME VERSION");
	} else if (!model &&
	    (c.owner != NULL || c.primary_metric != NULL || c.n_goals > 0)) {
		code = usage_error(cmd,
		    "--owner, --primary-metric and --goal are for a model: "
		    "give NAME alone");
	} else if (c.description == NULL && c.owner == NULL &&
	    c.primary_metric == NULL && c.signature_file == NULL &&
	    c.n_tags == 0 && c.untag.n == 0 && c.n_goals == 0) {
		code = usage_error(cmd,
		    "nothing to change: give --description, --tag, --untag, "
		    "%s",
		    model ? "--owner, --primary-metric or --goal"
		          : "or --signature");
	} else if (model) {
		if ((code = connect_client(g)) == 0)
			code = update_model(g, cmd, argv[optind], &c);
	} else if ((code = select_exact_version(cmd, argc, argv, &sel)) == 0) {
		code = update_version(g, cmd, &sel, &c);
	}
out:
	change_free(&c);
	return code;
}

/* ---- signature ---------------------------------------------------------- */

int
cmd_signature(cli *g, const command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"version", required_argument, NULL, 'v'},
	    {"stage", required_argument, NULL, 's'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static const char *const headers[] = {"NAME", "TYPE", "DIRECTION"};
	mr_stage stage = MR_STAGE_NONE;
	const char *version = NULL;
	mr_version *v;
	selector sel;
	mr_status rv;
	int ch, code;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'v':
			version = optarg;
			break;
		case 's':
			if ((code = stage_arg(
			         cmd, "--stage", optarg, &stage)) != 0)
				return code;
			break;
		case 'h':
			return help_for(cmd, stdout, 0);
		default:
			return option_error(cmd, ch, argv);
		}
	}
	if (argc - optind == 2 && version == NULL)
		version = argv[optind + 1];
	else if (argc - optind != 1)
		return usage_error(cmd, "give NAME@VERSION (or NAME VERSION)");
	if ((code = select_version(cmd, argv[optind], version, stage, &sel)) !=
	        0 ||
	    (code = connect_client(g)) != 0)
		return code;
	rv = mr_get_version(g->c, sel.name, sel.version, sel.stage, &v);
	if (rv != MR_OK)
		return status_error(g, rv, "signature %s", sel.what);
	if (g->json) {
		json_object *o = json_object_new_object();
		json_object *j = cj_version(v);

		json_object_object_add(
		    o, "name", json_object_new_string(v->name));
		json_object_object_add(
		    o, "version", json_object_new_string(v->version));
		json_object_object_add(o, "inputs",
		    json_object_get(json_object_object_get(
		        json_object_object_get(j, "signature"), "inputs")));
		json_object_object_add(o, "outputs",
		    json_object_get(json_object_object_get(
		        json_object_object_get(j, "signature"), "outputs")));
		json_object_put(j);
		cj_print(o);
	} else if (v->signature.n_inputs + v->signature.n_outputs == 0) {
		printf("%s %s has no signature\n", v->name, v->version);
	} else {
		table *t = table_new(3, headers);

		for (size_t i = 0; i < v->signature.n_inputs; i++) {
			const char *cells[] = {v->signature.inputs[i].name,
			    v->signature.inputs[i].type, "input"};
			table_row(t, cells);
		}
		for (size_t i = 0; i < v->signature.n_outputs; i++) {
			const char *cells[] = {v->signature.outputs[i].name,
			    v->signature.outputs[i].type, "output"};
			table_row(t, cells);
		}
		table_print(t, stdout);
		table_free(t);
	}
	mr_version_free(v);
	return 0;
}

/* ---- policy ------------------------------------------------------------- */

static int
show_policies(cli *g, const char *name)
{
	static const char *const headers[] = {"STAGE", "REQUIRED", "APPROVERS"};
	mr_model *m;
	mr_status rv;

	if ((rv = mr_get_model(g->c, name, &m)) != MR_OK)
		return status_error(g, rv, "policy %s", name);
	if (g->json) {
		json_object *o = json_object_new_object();
		json_object *a = json_object_new_array();

		for (size_t i = 0; i < m->n_policies; i++)
			json_object_array_add(a, cj_policy(&m->policies[i]));
		json_object_object_add(
		    o, "model", json_object_new_string(name));
		json_object_object_add(o, "policies", a);
		cj_print(o);
	} else if (m->n_policies == 0) {
		printf("%s has no approval policy\n", m->name);
	} else {
		table *t = table_new(3, headers);

		for (size_t i = 0; i < m->n_policies; i++) {
			const mr_policy *p = &m->policies[i];
			char required[16];
			char *who;
			line l;

			snprintf(required, sizeof(required), "%u", p->required);
			line_start(&l);
			cli_policy_approvers(l.f, p);
			who = line_end(&l);
			{
				const char *cells[] = {
				    mr_stage_name(p->stage), required, who};
				table_row(t, cells);
			}
			free(who);
		}
		table_print(t, stdout);
		table_free(t);
	}
	mr_model_free(m);
	return 0;
}

int
cmd_policy(cli *g, const command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"require", required_argument, NULL, 'q'},
	    {"approver", required_argument, NULL, 'A'},
	    {"reason", required_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	strings approvers = {0};
	const char *reason = NULL, *name;
	bool has_required = false;
	mr_stage stage = MR_STAGE_NONE;
	uint64_t required = 0;
	mr_model *m;
	mr_status rv;
	int ch, code = 0;

	optind = 0;
	while (code == 0 &&
	    (ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'q':
			if (!parse_u64(optarg, MR_APPROVERS_MAX, &required))
				code = usage_error(cmd,
				    "--require wants a number from 0 to %d",
				    MR_APPROVERS_MAX);
			has_required = true;
			break;
		case 'A':
			strings_add(&approvers, optarg);
			break;
		case 'r':
			reason = optarg;
			break;
		case 'h':
			code = help_for(cmd, stdout, 0);
			goto out;
		default:
			code = option_error(cmd, ch, argv);
			break;
		}
	}
	if (code != 0)
		goto out;
	if (argc - optind == 1) {
		if (has_required || approvers.n > 0 || reason != NULL)
			code = usage_error(cmd,
			    "give the STAGE the policy is for: NAME STAGE "
			    "--require N");
		else if ((code = connect_client(g)) == 0)
			code = show_policies(g, argv[optind]);
		goto out;
	}
	if (argc - optind != 2) {
		code = usage_error(cmd, "give NAME, or NAME STAGE --require N");
		goto out;
	}
	name = argv[optind];
	if ((code = approval_stage_arg(
	         cmd, "STAGE", argv[optind + 1], &stage)) != 0)
		goto out;
	if (!has_required) {
		code = usage_error(
		    cmd, "--require N is required (0 removes the policy)");
		goto out;
	}
	if (required == 0 && approvers.n > 0) {
		code = usage_error(cmd,
		    "--require 0 removes the policy; it takes no --approver");
		goto out;
	}
	if ((code = connect_client(g)) != 0)
		goto out;
	rv = mr_set_approval_policy(g->c, name, stage, approvers.items,
	    approvers.n, (uint32_t)required, reason, &m);
	if (rv != MR_OK) {
		code = status_error(
		    g, rv, "policy %s %s", name, mr_stage_name(stage));
		goto out;
	}
	if (g->json) {
		print_with_revision(g, "model", cj_model(m));
	} else {
		const mr_policy *p = NULL;

		for (size_t i = 0; i < m->n_policies; i++)
			if (m->policies[i].stage == stage)
				p = &m->policies[i];
		printf("%s: %s needs ", m->name, mr_stage_name(stage));
		if (p != NULL)
			cli_policy_text(stdout, p);
		else
			fputs("no approval", stdout);
		printf(" (revision %llu)\n", revision(g));
	}
	mr_model_free(m);
out:
	free(approvers.items);
	return code;
}

/* ---- approve and reject ------------------------------------------------- */

int
cmd_review(cli *g, const command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"stage", required_argument, NULL, 's'},
	    {"comment", required_argument, NULL, 'c'},
	    {"override-separation", no_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	mr_decision decision =
	    strcmp(cmd->name, "reject") == 0 ? MR_REJECT : MR_APPROVE;
	bool override = false;
	mr_stage stage = MR_STAGE_NONE;
	const char *comment = NULL;
	uint32_t approvals = 0, required = 0;
	mr_version *v;
	selector sel;
	mr_status rv;
	int ch, code;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			if ((code = approval_stage_arg(
			         cmd, "--stage", optarg, &stage)) != 0)
				return code;
			break;
		case 'c':
			comment = optarg;
			break;
		case 'o':
			override = true;
			break;
		case 'h':
			return help_for(cmd, stdout, 0);
		default:
			return option_error(cmd, ch, argv);
		}
	}
	if ((code = select_exact_version(cmd, argc, argv, &sel)) != 0)
		return code;
	if (override && decision == MR_REJECT)
		return usage_error(cmd, "--override-separation is for approve");
	if (override && (comment == NULL || comment[0] == '\0'))
		return usage_error(cmd,
		    "--override-separation needs --comment C saying why");
	if (stage == MR_STAGE_NONE)
		return usage_error(cmd,
		    "--stage S is required (the stage the "
		    "review is for)");
	if (decision == MR_REJECT && (comment == NULL || comment[0] == '\0'))
		return usage_error(cmd, "--comment C is required: say why");
	if ((code = connect_client(g)) != 0)
		return code;
	rv = mr_review_version(g->c, sel.name, sel.version, stage,
	    override ? MR_APPROVE_OVERRIDE : decision, comment, &approvals,
	    &required, &v);
	if (rv != MR_OK)
		return status_error(g, rv, "%s %s", cmd->name, sel.what);
	if (g->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "version", cj_version(v));
		json_object_object_add(o, "decision",
		    json_object_new_string(cli_decision_name(decision)));
		json_object_object_add(
		    o, "stage", json_object_new_string(mr_stage_name(stage)));
		json_object_object_add(
		    o, "approvals", json_object_new_int64(approvals));
		json_object_object_add(
		    o, "required", json_object_new_int64(required));
		add_revision(g, o);
		cj_print(o);
	} else {
		printf("%s %s %s for %s: approvals %u",
		    decision == MR_APPROVE ? "approved" : "rejected", v->name,
		    v->version, mr_stage_name(stage), approvals);
		if (required > 0)
			printf(" of %u", required);
		else
			printf(" (%s has no approval policy)",
			    mr_stage_name(stage));
		printf(" (revision %llu)\n", revision(g));
	}
	mr_version_free(v);
	return 0;
}

/* ---- deprecate and undeprecate ------------------------------------------ */

int
cmd_deprecate(cli *g, const command *cmd, int argc, char **argv)
{
	static const struct option deprecate_opts[] = {
	    {"reason", required_argument, NULL, 'r'},
	    {"eol", required_argument, NULL, 'e'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static const struct option undeprecate_opts[] = {
	    {"reason", required_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	bool undo = strcmp(cmd->name, "undeprecate") == 0;
	const char *reason = NULL;
	int64_t eol = 0;
	mr_version *v;
	selector sel;
	mr_status rv;
	int ch, code;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h",
	            undo ? undeprecate_opts : deprecate_opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			reason = optarg;
			break;
		case 'e':
			if ((code = time_arg(
			         cmd, "--eol", optarg, false, &eol)) != 0)
				return code;
			break;
		case 'h':
			return help_for(cmd, stdout, 0);
		default:
			return option_error(cmd, ch, argv);
		}
	}
	if ((code = select_exact_version(cmd, argc, argv, &sel)) != 0)
		return code;
	if (!undo && (reason == NULL || reason[0] == '\0'))
		return usage_error(cmd, "--reason R is required");
	if ((code = connect_client(g)) != 0)
		return code;
	rv = undo ? mr_undeprecate(g->c, sel.name, sel.version, reason, &v)
	          : mr_deprecate(g->c, sel.name, sel.version, reason, eol, &v);
	if (rv != MR_OK)
		return status_error(g, rv, "%s %s", cmd->name, sel.what);
	if (g->json) {
		print_with_revision(g, "version", cj_version(v));
	} else if (undo) {
		printf("%s %s is no longer deprecated (revision %llu)\n",
		    v->name, v->version, revision(g));
	} else {
		char t[32];

		printf("deprecated %s %s: %s", v->name, v->version,
		    v->deprecation_reason);
		if (v->end_of_life_ms > 0)
			printf("; end of life %s",
			    mr_format_time(v->end_of_life_ms, t));
		printf(" (revision %llu)\n", revision(g));
	}
	mr_version_free(v);
	return 0;
}

/* ---- delete -------------------------------------------------------------- */

int
cmd_delete(cli *g, const command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"reason", required_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *reason = NULL;
	size_t n_deleted = 0;
	mr_version *v = NULL;
	selector sel;
	mr_status rv;
	int ch, code;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			reason = optarg;
			break;
		case 'h':
			return help_for(cmd, stdout, 0);
		default:
			return option_error(cmd, ch, argv);
		}
	}
	if (argc - optind < 1 || argc - optind > 2)
		return usage_error(
		    cmd, "give NAME, NAME@VERSION or NAME VERSION");
	if ((code = select_version(cmd, argv[optind],
	         argc - optind == 2 ? argv[optind + 1] : NULL, MR_STAGE_NONE,
	         &sel)) != 0)
		return code;
	if (reason == NULL || reason[0] == '\0')
		return usage_error(cmd, "--reason R is required");
	if ((code = connect_client(g)) != 0)
		return code;
	if (sel.version != NULL)
		rv = mr_delete_version(g->c, sel.name, sel.version, reason, &v);
	else
		rv = mr_delete_model(g->c, sel.name, reason, &n_deleted);
	if (rv != MR_OK)
		return status_error(g, rv, "delete %s", sel.what);
	if (g->json && v != NULL) {
		print_with_revision(g, "version", cj_version(v));
	} else if (g->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(
		    o, "model", json_object_new_string(sel.name));
		json_object_object_add(o, "deleted_versions",
		    json_object_new_uint64(n_deleted));
		add_revision(g, o);
		cj_print(o);
	} else if (v != NULL) {
		printf("deleted %s %s (revision %llu)\n", v->name, v->version,
		    revision(g));
	} else {
		printf("deleted model %s and its %zu version%s (revision "
		       "%llu)\n",
		    sel.name, n_deleted, n_deleted == 1 ? "" : "s",
		    revision(g));
	}
	mr_version_free(v);
	return 0;
}

/* ---- alias -------------------------------------------------------------- */

/* `alias NAME`, and the dispatch to the subcommands. */
int
cmd_alias(cli *g, const command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {OPT_END};
	static const char *const headers[] = {"ALIAS", "VERSION"};
	const command *sub;
	options o = {0};
	mr_model *m;
	mr_status rv;
	int code;

	if (argc > 1 && (sub = sub_named(cmd, argv[1])) != NULL)
		return sub->run(g, sub, argc - 1, argv + 1);
	if ((code = begin(g, cmd, opts, argc, argv, 1, "one model name", &o)) !=
	        0 ||
	    o.help)
		return code;
	if ((rv = mr_get_model(g->c, argv[optind], &m)) != MR_OK)
		return status_error(g, rv, "alias %s", argv[optind]);
	if (g->json) {
		json_object *j = cj_model(m);
		json_object *out = json_object_new_object();

		json_object_object_add(
		    out, "model", json_object_new_string(m->name));
		json_object_object_add(out, "aliases",
		    json_object_get(json_object_object_get(j, "aliases")));
		json_object_put(j);
		cj_print(out);
	} else if (m->n_aliases == 0) {
		printf("%s has no aliases\n", m->name);
	} else {
		table *t = table_new(2, headers);

		for (size_t i = 0; i < m->n_aliases; i++) {
			const char *cells[] = {
			    m->aliases[i].key, m->aliases[i].value};
			table_row(t, cells);
		}
		table_print(t, stdout);
		table_free(t);
	}
	mr_model_free(m);
	return 0;
}

/* {"model", "alias", "version", "previous", "revision"}; `revision` is
 * the registry's after the change. */
static void
print_alias_json(const char *name, const char *alias, const char *version,
    const char *previous, unsigned long long revision)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "model", json_object_new_string(name));
	json_object_object_add(o, "alias", json_object_new_string(alias));
	json_object_object_add(o, "version",
	    version != NULL ? json_object_new_string(version) : NULL);
	json_object_object_add(o, "previous",
	    json_object_new_string(previous != NULL ? previous : ""));
	json_object_object_add(o, "revision", json_object_new_uint64(revision));
	cj_print(o);
}

/* The options of alias set and rm: --reason. */
static int
alias_options(const command *cmd, int argc, char **argv, int nargs,
    const char *what, const char **reason, bool *help)
{
	static const struct option opts[] = {
	    {"reason", required_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	int ch;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'r':
			*reason = optarg;
			break;
		case 'h':
			*help = true;
			return help_for(cmd, stdout, 0);
		default:
			return option_error(cmd, ch, argv);
		}
	}
	if (argc - optind != nargs)
		return usage_error(cmd, "give %s", what);
	return 0;
}

/* The version `alias` of model `m` stands for; NULL if none. */
static const char *
alias_target(const mr_model *m, const char *alias)
{
	for (size_t i = 0; i < m->n_aliases; i++)
		if (strcmp(m->aliases[i].key, alias) == 0)
			return m->aliases[i].value;
	return NULL;
}

/*
 * VERSION may itself be an alias or a stage name, which the registry
 * resolves: what is printed is the version the alias points at now,
 * read back from the model, since the answer names only the previous
 * one.
 */
int
cmd_alias_set(cli *g, const command *cmd, int argc, char **argv)
{
	const char *reason = NULL, *name, *alias, *version, *target;
	unsigned long long changed;
	char *previous = NULL;
	bool help = false;
	mr_model *m;
	mr_status rv;
	int code;

	if ((code = alias_options(cmd, argc, argv, 3, "NAME ALIAS VERSION",
	         &reason, &help)) != 0 ||
	    help || (code = connect_client(g)) != 0)
		return code;
	name = argv[optind];
	alias = argv[optind + 1];
	version = argv[optind + 2];
	rv = mr_set_alias(g->c, name, alias, version, reason, &previous);
	if (rv != MR_OK)
		return status_error(
		    g, rv, "alias set %s %s %s", name, alias, version);
	changed = revision(g);
	if ((rv = mr_get_model(g->c, name, &m)) != MR_OK) {
		free(previous);
		return status_error(g, rv,
		    "alias set %s %s %s: set (revision %llu), but reading it "
		    "back failed",
		    name, alias, version, changed);
	}
	/* Changed again meanwhile (or removed): what it is now. */
	target = alias_target(m, alias);
	if (g->json) {
		print_alias_json(name, alias, target, previous, changed);
	} else {
		printf("%s: %s -> %s", name, alias,
		    target != NULL ? target : "(removed since)");
		if (previous != NULL && previous[0] != '\0')
			printf(" (was %s)", previous);
		else
			printf(" (new)");
		printf(" (revision %llu)\n", changed);
	}
	mr_model_free(m);
	free(previous);
	return 0;
}

int
cmd_alias_rm(cli *g, const command *cmd, int argc, char **argv)
{
	const char *reason = NULL, *name, *alias;
	char *previous = NULL;
	bool help = false;
	mr_status rv;
	int code;

	if ((code = alias_options(
	         cmd, argc, argv, 2, "NAME ALIAS", &reason, &help)) != 0 ||
	    help || (code = connect_client(g)) != 0)
		return code;
	name = argv[optind];
	alias = argv[optind + 1];
	rv = mr_delete_alias(g->c, name, alias, reason, &previous);
	if (rv != MR_OK)
		return status_error(g, rv, "alias rm %s %s", name, alias);
	if (g->json)
		print_alias_json(name, alias, NULL, previous, revision(g));
	else
		printf("%s: removed alias %s (was %s) (revision %llu)\n", name,
		    alias, previous != NULL ? previous : "?", revision(g));
	free(previous);
	return 0;
}

/* ---- compare ------------------------------------------------------------ */

/* "- accuracy: 0.85 → 0.87 (+2.4%) better" */
static void
print_metric_delta(const mr_metric_delta *d)
{
	printf("- %s: ", d->name);
	if (d->in_baseline)
		printf("%g", d->baseline);
	else
		printf("(absent)");
	printf(" → ");
	if (d->in_candidate)
		printf("%g", d->candidate);
	else
		printf("(absent)");
	if (d->in_baseline && d->in_candidate) {
		if (d->has_relative)
			printf(" (%+.1f%%)", d->relative * 100);
		printf(" %s",
		    d->outcome > 0       ? "better"
		        : d->outcome < 0 ? "worse"
		                         : "same");
	}
	printf("\n");
}

static void
print_comparison(const mr_comparison *cmp)
{
	char a[32], b[32];

	printf("Comparison: %s vs %s\n", cmp->baseline->version,
	    cmp->candidate->version);
	printf("Metrics:%s\n", cmp->n_metrics == 0 ? " none" : "");
	for (size_t i = 0; i < cmp->n_metrics; i++)
		print_metric_delta(&cmp->metrics[i]);
	if (cmp->n_features > 0)
		printf("Features:\n");
	for (size_t i = 0; i < cmp->n_features; i++) {
		const mr_feature_change *c = &cmp->features[i];

		switch (c->kind) {
		case MR_CHANGE_ADDED:
			printf("- added: %s\n", c->name);
			break;
		case MR_CHANGE_REMOVED:
			printf("- removed: %s\n", c->name);
			break;
		case MR_CHANGE_MOVED:
			printf("- moved: %s (%u → %u)\n", c->name,
			    c->baseline_position, c->candidate_position);
			break;
		default:
			printf("- changed: %s\n", c->name);
			break;
		}
	}
	if (cmp->n_signature > 0)
		printf("Signature:\n");
	for (size_t i = 0; i < cmp->n_signature; i++) {
		const mr_field_change *c = &cmp->signature[i];
		const char *dir = c->output ? "output" : "input";

		switch (c->kind) {
		case MR_CHANGE_ADDED:
			printf("- added %s: %s %s", dir, c->name,
			    c->candidate_type);
			break;
		case MR_CHANGE_REMOVED:
			printf("- removed %s: %s %s", dir, c->name,
			    c->baseline_type);
			break;
		case MR_CHANGE_RETYPED:
			printf("- retyped %s: %s %s → %s", dir, c->name,
			    c->baseline_type, c->candidate_type);
			break;
		default:
			printf("- changed %s: %s", dir, c->name);
			break;
		}
		printf("%s\n", c->breaking ? " (breaking)" : "");
	}
	printf("Size: %s → %s\n", cli_size(cmp->baseline_size, a),
	    cli_size(cmp->candidate_size, b));
	printf("Recommendation: %s\n", cmp->recommendation);
	if (cmp->n_reasons > 0)
		printf("Reasons:\n");
	for (size_t i = 0; i < cmp->n_reasons; i++)
		printf("- %s\n", cmp->reasons[i]);
}

int
cmd_compare(cli *g, const command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {OPT_END};
	mr_comparison *cmp;
	options o = {0};
	mr_status rv;
	int code;

	if ((code = begin(g, cmd, opts, argc, argv, 3,
	         "NAME BASELINE CANDIDATE (versions or aliases)", &o)) != 0 ||
	    o.help)
		return code;
	rv = mr_compare(
	    g->c, argv[optind], argv[optind + 1], argv[optind + 2], &cmp);
	if (rv != MR_OK)
		return status_error(g, rv, "compare %s %s %s", argv[optind],
		    argv[optind + 1], argv[optind + 2]);
	if (g->json)
		cj_print(cj_comparison(cmp));
	else
		print_comparison(cmp);
	mr_comparison_free(cmp);
	return 0;
}

/* ---- search ------------------------------------------------------------- */

typedef struct search {
	const char *filter;
	const char *order_by;
} search;

static const char *const search_headers[] = {
    "NAME", "VERSION", "STAGE", "CREATED", "BY", "TAGS"};

static mr_status
search_page(cli *g, void *arg, mr_list_params *lp, table *t, json_object *o,
    char **next)
{
	const search *s = arg;
	mr_version_list *l;
	mr_status rv;

	if ((rv = mr_search(g->c, s->filter, s->order_by, lp, &l)) != MR_OK)
		return rv;
	for (size_t i = 0; i < l->count; i++) {
		const mr_version *v = &l->items[i];
		char created[32];
		char *tags = cli_kv_join(v->tags, v->n_tags, ",");
		const char *cells[] = {v->name, v->version,
		    mr_stage_name(v->stage),
		    mr_format_time(v->created_at_ms, created), v->created_by,
		    tags};

		table_row(t, cells);
		free(tags);
		add_item(o, "versions", cj_version(v));
	}
	*next = cli_strdup(l->next_page_token);
	mr_version_list_free(l);
	return MR_OK;
}

int
cmd_search(cli *g, const command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"order-by", required_argument, NULL, 'o'},
	    OPT_PAGING,
	    OPT_END,
	};
	mr_list_params lp = {0};
	search s = {0};
	bool all = false;
	int ch, code;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'o':
			s.order_by = optarg;
			break;
		case 'n':
			if ((code = count_arg(
			         cmd, "--limit", optarg, &lp.page_size)) != 0)
				return code;
			break;
		case 'p':
			lp.page_token = optarg;
			break;
		case 'a':
			all = true;
			break;
		case 'h':
			return help_for(cmd, stdout, 0);
		default:
			return option_error(cmd, ch, argv);
		}
	}
	if (argc - optind > 1)
		return usage_error(cmd,
		    "give the filter as one argument: quote it "
		    "(modelreg search \"metrics.accuracy > 0.9\")");
	if (optind < argc)
		s.filter = argv[optind];
	if ((code = connect_client(g)) != 0)
		return code;
	return list_pages(g, "search", &s, &lp, all, search_page,
	    table_new(6, search_headers), "versions");
}

/* ---- audit -------------------------------------------------------------- */

typedef struct audit_query {
	const char *model;
	int64_t from_ms, to_ms;
} audit_query;

/* One page of the log; the page token is the last sequence number seen. */
static mr_status
audit_page(cli *g, void *arg, mr_list_params *lp, table *t, json_object *o,
    char **next)
{
	const audit_query *q = arg;
	uint64_t after = 0;
	mr_audit_list *l;
	mr_status rv;

	if (lp->page_token != NULL && lp->page_token[0] != '\0')
		(void)parse_u64(lp->page_token, UINT64_MAX, &after);
	rv = mr_list_audit(
	    g->c, q->model, q->from_ms, q->to_ms, after, lp->page_size, &l);
	if (rv != MR_OK)
		return rv;
	for (size_t i = 0; i < l->count; i++) {
		const mr_audit_record *r = &l->items[i];
		char seq[24], time[32];
		/* A refusal shows its outcome where a change shows why. */
		const char *cells[] = {seq, mr_format_time(r->time_ms, time),
		    r->actor, r->action, r->target,
		    r->outcome[0] != '\0' ? r->outcome : r->reason};

		snprintf(seq, sizeof(seq), "%llu", (unsigned long long)r->seq);
		table_row(t, cells);
		add_item(o, "records", cj_audit_record(r));
	}
	if (l->more && l->last_seq > after) {
		char token[24];

		snprintf(token, sizeof(token), "%llu",
		    (unsigned long long)l->last_seq);
		*next = cli_strdup(token);
	} else {
		*next = cli_strdup("");
	}
	mr_audit_list_free(l);
	return MR_OK;
}

int
cmd_audit_log(cli *g, const command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"from", required_argument, NULL, 'f'},
	    {"to", required_argument, NULL, 't'},
	    OPT_PAGING,
	    OPT_END,
	};
	static const char *const headers[] = {
	    "SEQ", "TIME", "ACTOR", "ACTION", "TARGET", "REASON"};
	mr_list_params lp = {0};
	audit_query q = {0};
	char doing[MR_NAME_MAX + 16];
	uint64_t seq;
	bool all = false;
	int ch, code;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			if ((code = time_arg(cmd, "--from", optarg, false,
			         &q.from_ms)) != 0)
				return code;
			break;
		case 't':
			if ((code = time_arg(
			         cmd, "--to", optarg, true, &q.to_ms)) != 0)
				return code;
			break;
		case 'n':
			if ((code = count_arg(
			         cmd, "--limit", optarg, &lp.page_size)) != 0)
				return code;
			break;
		case 'p':
			if (!parse_u64(optarg, UINT64_MAX, &seq))
				return usage_error(cmd,
				    "--page-token wants the sequence number a "
				    "previous page ended at");
			lp.page_token = optarg;
			break;
		case 'a':
			all = true;
			break;
		case 'h':
			return help_for(cmd, stdout, 0);
		default:
			return option_error(cmd, ch, argv);
		}
	}
	if (argc - optind > 1)
		return usage_error(cmd, "one model name at most");
	if (q.from_ms != 0 && q.to_ms != 0 && q.from_ms > q.to_ms)
		return usage_error(cmd, "--from is after --to");
	if (optind < argc)
		q.model = argv[optind];
	if ((code = connect_client(g)) != 0)
		return code;
	if (q.model != NULL)
		snprintf(doing, sizeof(doing), "audit log %.*s", MR_NAME_MAX,
		    q.model);
	else
		snprintf(doing, sizeof(doing), "audit log");
	return list_pages(g, doing, &q, &lp, all, audit_page,
	    table_new(6, headers), "records");
}

int
cmd_audit_verify(cli *g, const command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {OPT_END};
	mr_audit_check *a;
	options o = {0};
	mr_status rv;
	char hex[65];
	int code;

	if ((code = begin(g, cmd, opts, argc, argv, 0, "no arguments", &o)) !=
	        0 ||
	    o.help)
		return code;
	if ((rv = mr_verify_audit(g->c, &a)) != MR_OK)
		return status_error(g, rv, "audit verify");
	if (g->json)
		cj_print(cj_audit_check(a));
	else if (a->ok)
		printf("audit log intact: %llu records, head %s\n",
		    (unsigned long long)a->records,
		    mr_digest_hex(a->head_hash, hex));
	else
		printf("audit log broken at record %llu: %s\n",
		    (unsigned long long)a->first_broken, a->problem);
	code = a->ok ? 0 : CLI_EXIT_STATUS;
	mr_audit_check_free(a);
	return code;
}

/* Chunks per Scrub/Run call of `modelreg scrub`: a slice of up to 4 GiB
 * of 4 MiB chunks, which the server also bounds by bytes (256 MiB). */
#define SCRUB_SLICE 1024

int
cmd_scrub(cli *g, const command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {OPT_END};
	uint8_t next[MR_DIGEST_LEN];
	uint64_t chunks = 0, bytes = 0, damaged = 0;
	bool first = true;
	options o = {0};
	mr_status rv;
	char hex[65];
	int code;

	if ((code = begin(g, cmd, opts, argc, argv, 0, "no arguments", &o)) !=
	        0 ||
	    o.help)
		return code;
	for (;;) {
		mr_scrub_result *r;

		rv = mr_scrub(g->c, first ? NULL : next, SCRUB_SLICE, 0, &r);
		if (rv != MR_OK)
			return status_error(g, rv, "scrub");
		chunks += r->chunks_checked;
		bytes += r->bytes_checked;
		damaged += r->n_damaged;
		for (size_t i = 0; i < r->n_damaged; i++)
			printf("damaged %s: %s (%s)\n",
			    mr_digest_hex(r->damaged[i].digest, hex),
			    r->damaged[i].reason, r->damaged[i].detail);
		fflush(stdout);
		if (r->done || r->chunks_checked == 0) {
			mr_scrub_result_free(r);
			break;
		}
		memcpy(next, r->next, sizeof(next));
		first = false;
		mr_scrub_result_free(r);
	}
	printf("scrubbed %llu chunks (%llu bytes): %llu damaged\n",
	    (unsigned long long)chunks, (unsigned long long)bytes,
	    (unsigned long long)damaged);
	return damaged == 0 ? 0 : CLI_EXIT_STATUS;
}

int
cmd_whoami(cli *g, const command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {OPT_END};
	const mr_token_info *t;
	mr_token_list *l;
	options o = {0};
	char when[32];
	mr_status rv;
	int code;

	if ((code = begin(g, cmd, opts, argc, argv, 0, "no arguments", &o)) !=
	        0 ||
	    o.help)
		return code;
	if ((rv = mr_whoami(g->c, &l)) != MR_OK)
		return status_error(g, rv, "whoami");
	t = &l->items[0];
	if (g->json) {
		json_object *j = json_object_new_object(), *a;

		json_object_object_add(j, "identity",
		    json_object_new_string(t->identity));
		json_object_object_add(j, "id", json_object_new_string(t->id));
		a = json_object_new_array();
		for (size_t i = 0; i < t->n_grants; i++) {
			json_object *gj = json_object_new_object();
			json_object_object_add(gj, "role",
			    json_object_new_string(
				mr_role_name(t->grants[i].role)));
			json_object_object_add(gj, "models",
			    json_object_new_string(t->grants[i].models));
			json_object_object_add(gj, "stage",
			    json_object_new_string(
				mr_stage_name(t->grants[i].stage)));
			json_object_array_add(a, gj);
		}
		json_object_object_add(j, "grants", a);
		json_object_object_add(j, "expires_at_ms",
		    json_object_new_int64(t->expires_at_ms));
		cj_print(j);
	} else {
		printf("%s", t->identity);
		if (t->id[0] != '\0')
			printf(" (token %s)", t->id);
		for (size_t i = 0; i < t->n_grants; i++)
			printf("%s%s:%s%s%s", i == 0 ? ": " : ", ",
			    mr_role_name(t->grants[i].role),
			    t->grants[i].models,
			    t->grants[i].stage != MR_STAGE_NONE ? ":" : "",
			    mr_stage_name(t->grants[i].stage));
		if (t->expires_at_ms != 0)
			printf("; expires %s",
			    mr_format_time(t->expires_at_ms, when));
		printf("\n");
	}
	mr_token_list_free(l);
	return 0;
}

/* ---- traffic split and resolve ------------------------------------------ */

/* "10", "12.5", "0.05", "100": a percentage with up to two decimals, as
 * basis points; -1 if it is not one. */
static int
percent_arg(const char *text, uint32_t *bp)
{
	uint32_t whole = 0, frac = 0;
	int digits = 0, decimals = 0;
	const char *p = text;

	for (; *p >= '0' && *p <= '9'; p++, digits++)
		if ((whole = whole * 10 + (uint32_t)(*p - '0')) > 100)
			return -1;
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, decimals++)
			if (decimals < 2)
				frac = frac * 10 + (uint32_t)(*p - '0');
			else
				return -1;
		if (decimals == 0)
			return -1;
	}
	if (digits == 0 || *p != '\0')
		return -1;
	if (decimals == 1)
		frac *= 10;
	*bp = whole * 100 + frac;
	return *bp <= 10000 ? 0 : -1;
}

int
cmd_split(cli *g, const command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"canary", required_argument, NULL, 'c'},
	    {"percent", required_argument, NULL, 'p'},
	    {"reason", required_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *reason = NULL, *percent = NULL;
	mr_stage canary = MR_STAGE_NONE;
	uint32_t bp = 0;
	char text[64];
	mr_model *m;
	mr_status rv;
	int ch, code;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			if (mr_stage_parse(optarg, &canary) != 0 ||
			    (canary != MR_STAGE_DEV &&
			        canary != MR_STAGE_STAGING))
				return usage_error(cmd,
				    "--canary takes dev or staging, not \"%s\"",
				    optarg);
			break;
		case 'p':
			percent = optarg;
			if (percent_arg(optarg, &bp) != 0)
				return usage_error(cmd,
				    "--percent takes 0..100 with up to two "
				    "decimals, not \"%s\"",
				    optarg);
			break;
		case 'r':
			reason = optarg;
			break;
		case 'h':
			return help_for(cmd, stdout, 0);
		default:
			return option_error(cmd, ch, argv);
		}
	}
	if (argc - optind != 1)
		return usage_error(cmd, "give one model name");
	if (percent == NULL)
		return usage_error(cmd, "--percent P is required (0 removes "
		                        "the split)");
	if (bp > 0 && canary == MR_STAGE_NONE)
		return usage_error(cmd, "--canary STAGE is required");
	if ((code = connect_client(g)) != 0)
		return code;
	rv = mr_set_traffic_split(g->c, argv[optind], canary, bp, reason, &m);
	if (rv != MR_OK)
		return status_error(g, rv, "split %s", argv[optind]);
	if (g->json) {
		print_with_revision(g, "model", cj_model(m));
	} else if (m->split_basis_points == 0) {
		printf("%s: traffic split removed, production 100%% "
		       "(revision %llu)\n",
		    m->name, revision(g));
	} else {
		split_text(text, sizeof(text), m->split_stage,
		    m->split_basis_points);
		printf("%s: traffic split %s (revision %llu)\n", m->name, text,
		    revision(g));
	}
	mr_model_free(m);
	return 0;
}

int
cmd_resolve(cli *g, const command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	bool canary = false;
	uint32_t bucket = 0;
	char b[16];
	mr_version *v;
	mr_status rv;
	int ch, code;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			return help_for(cmd, stdout, 0);
		default:
			return option_error(cmd, ch, argv);
		}
	}
	if (argc - optind != 2)
		return usage_error(cmd, "give NAME KEY");
	if ((code = connect_client(g)) != 0)
		return code;
	rv = mr_resolve(g->c, argv[optind], argv[optind + 1], &canary, &bucket,
	    &v);
	if (rv != MR_OK)
		return status_error(
		    g, rv, "resolve %s %s", argv[optind], argv[optind + 1]);
	if (g->json) {
		json_object *o = json_object_new_object();

		json_object_object_add(
		    o, "model", json_object_new_string(v->name));
		json_object_object_add(
		    o, "version", json_object_new_string(v->version));
		json_object_object_add(o, "stage",
		    json_object_new_string(mr_stage_name(v->stage)));
		json_object_object_add(o, "side",
		    json_object_new_string(canary ? "canary" : "production"));
		json_object_object_add(
		    o, "canary", json_object_new_boolean(canary));
		json_object_object_add(
		    o, "bucket", json_object_new_int64(bucket));
		cj_print(o);
	} else {
		snprintf(b, sizeof(b), "%u", bucket);
		cli_field(stdout, "version:", v->version);
		cli_field(stdout, "stage:", mr_stage_name(v->stage));
		cli_field(stdout, "side:", canary ? "canary" : "production");
		cli_field(stdout, "bucket:", b);
	}
	mr_version_free(v);
	return 0;
}
