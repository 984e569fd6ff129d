/*
 * cli.c - the modelreg command: global options, the table of
 * subcommands, and one function per subcommand.
 *
 * Every subcommand has the same shape: parse its options with
 * getopt_long (a usage error exits 2 before anything is contacted),
 * connect, make one or a few library calls (a refusal exits 1 with
 * "modelreg: <what>: <CODE>: <why>"), then print either an aligned table
 * or, with --json, the full results as JSON on stdout. Help text lives in
 * the command table next to the function it describes, and says only
 * what the function does. A command may have subcommands of its own
 * (`lineage upstream`, ...), chosen by its first argument, with their
 * help printed after its own. Options that several commands take are
 * parsed by one function (parse_options), each command naming those it
 * takes in its table; listings read their pages through fetch_pages.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "client.h" /* client_id_kind */
#include "common.h"


static const command *find_command(const char *name);
static const command *find_sub(const command *cmd, const char *word);

/* ---- errors ------------------------------------------------------------- */

int
usage_error(const command *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "modelreg: %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (cmd->run != NULL)
		fprintf(stderr, "\nRun \"modelreg help %s\" for usage.\n",
		    cmd->name);
	else
		fputs("\nRun \"modelreg --help\" for usage.\n", stderr);
	return CLI_EXIT_USAGE;
}

/* "modelreg: promote fraud 3.1.0: FAILED_PRECONDITION: <why>" */
int
status_error(const cli *g, mr_status rv, const char *fmt, ...)
{
	va_list ap;

	fputs("modelreg: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s: %s\n", mr_strerror(rv), mr_client_errmsg(g->c));
	return CLI_EXIT_STATUS;
}

/* What getopt_long's ':' and '?' mean, said our way. */
int
option_error(const command *cmd, int ch, char **argv)
{
	const char *arg = argv[optind - 1];

	if (ch == ':')
		return usage_error(cmd, "option %s needs a value", arg);
	return usage_error(cmd, "unknown option %s", arg);
}

int
connect_client(cli *g)
{
	mr_client_options o = {
	    .token = g->token,
	    .timeout_ms = g->timeout_ms,
	    .tls_ca = g->tls_ca,
	    .tls_cert = g->tls_cert,
	    .tls_key = g->tls_key,
	};
	mr_status rv = mr_client_open(&g->c, g->server, &o);

	if (rv != MR_OK) {
		fprintf(stderr, "modelreg: connect: %s: %s\n", mr_strerror(rv),
		    mr_client_errmsg(NULL));
		return CLI_EXIT_STATUS;
	}
	return 0;
}

/* ---- argument parsing --------------------------------------------------- */

bool
parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (s[0] < '0' || s[0] > '9')
		return false;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return false;
	*out = v;
	return true;
}

bool
parse_size(const char *s, uint64_t *out)
{
	static const char units[] = "KMGT";
	size_t len = strlen(s);
	const char *u;
	char digits[32];
	uint64_t v;
	int shift = 0;

	if (len == 0 || len >= sizeof(digits))
		return false;
	memcpy(digits, s, len + 1);
	if ((u = strchr(units, digits[len - 1])) != NULL) {
		shift = 10 * (int)(u - units + 1);
		digits[len - 1] = '\0';
	}
	if (!parse_u64(digits, UINT64_MAX >> shift, &v))
		return false;
	*out = v << shift;
	return true;
}

int
stage_arg(const command *cmd, const char *opt, const char *text, mr_stage *out)
{
	if (mr_stage_parse(text, out) != 0)
		return usage_error(cmd,
		    "%s \"%s\" is not a stage (dev, staging, production, "
		    "archived)",
		    opt, text);
	return 0;
}

int
time_arg(const command *cmd, const char *opt, const char *text, bool end,
    int64_t *out)
{
	const char *t = strpbrk(text, "Tt "), *dot;
	int64_t ms, frac = 0;
	bool has_frac = false;

	if (mr_parse_time(text, &ms) != 0)
		return usage_error(cmd,
		    "%s wants an RFC 3339 time like 2024-01-15T10:00:00Z (or "
		    "a date), not \"%s\"",
		    opt, text);
	/* mr_parse_time drops fractions of a second; milliseconds count. */
	if (t != NULL && (dot = strchr(t, '.')) != NULL) {
		int scale = 100;

		has_frac = true;
		for (const char *p = dot + 1;
		     *p >= '0' && *p <= '9' && scale > 0; p++, scale /= 10)
			frac += (*p - '0') * scale;
	}
	if (has_frac)
		ms += frac;
	else if (end)
		ms += t == NULL ? 24 * 3600 * 1000 - 1 : 999;
	if (ms <= 0)
		return usage_error(cmd,
		    "%s \"%s\" is not after 1970-01-01T00:00:00Z: give a "
		    "later time",
		    opt, text);
	*out = ms;
	return 0;
}

int
count_arg(const command *cmd, const char *opt, const char *text, uint32_t *out)
{
	uint64_t v;

	if (!parse_u64(text, MR_PAGE_SIZE_MAX, &v) || v == 0)
		return usage_error(cmd, "%s wants a number from 1 to %d", opt,
		    MR_PAGE_SIZE_MAX);
	*out = (uint32_t)v;
	return 0;
}

static int
depth_arg(const command *cmd, const char *text, uint32_t *out)
{
	uint64_t v;

	if (!parse_u64(text, MR_LINEAGE_DEPTH_MAX, &v) || v == 0)
		return usage_error(cmd, "--depth wants a number from 1 to %d",
		    MR_LINEAGE_DEPTH_MAX);
	*out = (uint32_t)v;
	return 0;
}

static int
kind_arg(const command *cmd, const char *text, mr_node_kind *out)
{
	if (mr_node_kind_parse(text, out) != 0)
		return usage_error(cmd,
		    "\"%s\" is not a node kind (dataset, features, experiment, "
		    "increment, model, deployment)",
		    text);
	return 0;
}

/* A KEY=VALUE option (--tag, --property), added to kv (a later one with
 * the same key wins). */
int
kv_arg(const command *cmd, const char *opt, const char *text, mr_kv **kv,
    size_t *n)
{
	char key[MR_TAG_KEY_MAX + 2];
	const char *eq = strchr(text, '=');
	size_t len;

	if (eq == NULL)
		return usage_error(
		    cmd, "%s wants KEY=VALUE, not \"%s\"", opt, text);
	len = (size_t)(eq - text);
	if (len >= sizeof(key))
		len = sizeof(key) - 1; /* too long: the library will say so */
	memcpy(key, text, len);
	key[len] = '\0';
	if (cli_kv_set(kv, n, key, eq + 1) != 0)
		return usage_error(cmd, "out of memory");
	return 0;
}

void
options_free(options *o)
{
	for (size_t i = 0; i < o->n_props; i++) {
		free(o->props[i].key);
		free(o->props[i].value);
	}
	free(o->props);
	free(o->links);
}

/* Parses the options in `opts` into *o; 0 or an exit code. */
int
parse_options(const cli *g, const command *cmd, const struct option *opts,
    int argc, char **argv, options *o)
{
	int ch, code = 0;

	optind = 0;
	while (code == 0 &&
	    (ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			code = stage_arg(cmd, "--stage", optarg, &o->lp.stage);
			break;
		case 't':
			o->lp.tag = optarg;
			break;
		case 'n':
			code =
			    count_arg(cmd, "--limit", optarg, &o->lp.page_size);
			break;
		case 'p':
			o->lp.page_token = optarg;
			break;
		case 'a':
			o->all = true;
			break;
		case 'd':
			code = depth_arg(cmd, optarg, &o->depth);
			break;
		case 'g':
			o->dot = true;
			break;
		case 'e':
			o->ended_too = true;
			break;
		case 'k':
			code = kind_arg(cmd, optarg, &o->kind);
			break;
		case 'y':
			if (mr_edge_type_parse(optarg, &o->type) != 0)
				code = usage_error(cmd,
				    "--type \"%s\" is not an edge type "
				    "(derived_from, trained_on, produced_by, "
				    "part_of, parent_of)",
				    optarg);
			break;
		case 'v':
			o->version = optarg;
			break;
		case 'f':
			o->links = cli_must(realloc(
			    o->links, (o->n_links + 1) * sizeof(*o->links)));
			o->links[o->n_links++] = (mr_link){optarg, 0};
			break;
		case 'P':
			code = kv_arg(
			    cmd, "--property", optarg, &o->props, &o->n_props);
			break;
		case 'h':
			o->help = true;
			return help_for(cmd, stdout, 0);
		default:
			return option_error(cmd, ch, argv);
		}
	}
	/* Both ask for the whole of stdout. */
	if (code == 0 && o->dot && g->json)
		return usage_error(cmd, "--dot or --json, not both");
	return code;
}

/*
 * The start of most commands: the options, exactly `nargs` arguments
 * (else "give <what>"), the connection. Returns 0 to go on; an exit code
 * otherwise, or with o->help set after --help.
 */
int
begin(cli *g, const command *cmd, const struct option *opts, int argc,
    char **argv, int nargs, const char *what, options *o)
{
	int code;

	if ((code = parse_options(g, cmd, opts, argc, argv, o)) != 0 || o->help)
		return code;
	if (argc - optind != nargs)
		return usage_error(cmd, "give %s", what);
	return connect_client(g);
}

int
select_version(const command *cmd, char *arg, const char *version,
    mr_stage stage, selector *s)
{
	char *at = strchr(arg, '@');

	if (at != NULL) {
		if (version != NULL)
			return usage_error(cmd,
			    "give the version once: NAME@VERSION or "
			    "--version");
		*at = '\0';
		version = at + 1;
		if (version[0] == '\0')
			return usage_error(cmd, "no version after '@'");
	}
	if (version != NULL && stage != MR_STAGE_NONE)
		return usage_error(
		    cmd, "select a version or a stage, not both");
	s->name = arg;
	s->version = version;
	s->stage = stage;
	if (version != NULL)
		snprintf(s->what, sizeof(s->what), "%.*s %.*s", MR_NAME_MAX,
		    arg, MR_VERSION_MAX, version);
	else if (stage != MR_STAGE_NONE)
		snprintf(s->what, sizeof(s->what), "%.*s (%s)", MR_NAME_MAX,
		    arg, mr_stage_name(stage));
	else
		snprintf(s->what, sizeof(s->what), "%.*s", MR_NAME_MAX, arg);
	return 0;
}

/* One version, as NAME VERSION or NAME@VERSION from argv[optind]. */
int
select_exact_version(const command *cmd, int argc, char **argv, selector *s)
{
	int code;

	if (argc - optind < 1 || argc - optind > 2)
		return usage_error(cmd, "give NAME VERSION (or NAME@VERSION)");
	if ((code = select_version(cmd, argv[optind],
	         argc - optind == 2 ? argv[optind + 1] : NULL, MR_STAGE_NONE,
	         s)) != 0)
		return code;
	if (s->version == NULL)
		return usage_error(cmd, "which version? give NAME VERSION");
	return 0;
}

/* ---- shared output ------------------------------------------------------ */

const char *const version_headers[] = {
    "VERSION", "STAGE", "CREATED", "BY", "ARTIFACT SIZE", "TAGS"};

void
version_row(table *t, const mr_version *v)
{
	char created[32], size[32], stage[48];
	char *tags = cli_kv_join(v->tags, v->n_tags, ",");
	const char *cells[] = {v->version, stage,
	    mr_format_time(v->created_at_ms, created), v->created_by,
	    cli_size(v->artifact_size, size), tags};

	/* Deprecation shows where the stage does: "staging (deprecated)". */
	snprintf(stage, sizeof(stage), "%s%s", mr_stage_name(v->stage),
	    v->deprecated ? " (deprecated)" : "");
	table_row(t, cells);
	free(tags);
}

table *
event_table(bool with_model)
{
	static const char *const with[] = {"REVISION", "TIME", "EVENT", "MODEL",
	    "VERSION", "FROM", "TO", "ACTOR", "REASON"};
	static const char *const without[] = {"REVISION", "TIME", "EVENT",
	    "VERSION", "FROM", "TO", "ACTOR", "REASON"};

	return with_model ? table_new(9, with) : table_new(8, without);
}

void
event_row(table *t, const mr_event *ev, bool with_model)
{
	char rev[24], time[32], alias[MR_ALIAS_MAX + MR_VERSION_MAX + 2];
	const char *cells[9];
	size_t n = 0;

	snprintf(rev, sizeof(rev), "%llu", (unsigned long long)ev->revision);
	cells[n++] = rev;
	cells[n++] = mr_format_time(ev->time_ms, time);
	cells[n++] = mr_event_kind_name(ev->kind);
	if (with_model) /* lineage events concern a node, not a model */
		cells[n++] = ev->model[0] != '\0' ? ev->model : ev->node;
	if (ev->alias != NULL && ev->alias[0] != '\0') {
		/* Alias events: the alias and the version it pointed at. */
		snprintf(alias, sizeof(alias), "%s=%s", ev->alias, ev->version);
		cells[n++] = alias;
	} else {
		cells[n++] = ev->version;
	}
	cells[n++] = mr_stage_name(ev->from_stage);
	cells[n++] = mr_stage_name(ev->to_stage);
	cells[n++] = ev->actor;
	cells[n++] = ev->reason;
	table_row(t, cells);
}

void
show_progress(void *arg, uint64_t done, uint64_t total)
{
	progress *p = arg;
	int pct = total > 0 ? (int)(done * 100 / total) : 100;
	char a[32], b[32];

	if (pct == p->shown)
		return;
	p->shown = pct;
	fprintf(stderr, "\r%s %3d%%  %s of %s\033[K", p->verb, pct,
	    cli_size(done, a), cli_size(total, b));
}

void
end_progress(const progress *p)
{
	if (p->shown >= 0)
		fputs("\r\033[K", stderr);
}

bool
want_progress(const cli *g)
{
	return !g->json && isatty(STDERR_FILENO);
}

/* ---- list --------------------------------------------------------------- */

/* Adds `item` to the array o[key]; drops it when there is no `o`. */
void
add_item(json_object *o, const char *key, json_object *item)
{
	if (o != NULL)
		json_object_array_add(json_object_object_get(o, key), item);
	else
		json_object_put(item);
}

static mr_status
model_page(cli *g, void *arg, mr_list_params *lp, table *t, json_object *o,
    char **next)
{
	mr_model_list *l;
	mr_status rv;

	(void)arg;
	if ((rv = mr_list_models(g->c, lp, &l)) != MR_OK)
		return rv;
	for (size_t i = 0; i < l->count; i++) {
		const mr_model *m = &l->items[i];
		char count[16], updated[32];
		const char *cells[] = {m->name, m->latest_version,
		    m->production_version, count,
		    mr_format_time(m->updated_at_ms, updated)};

		snprintf(count, sizeof(count), "%u", m->version_count);
		table_row(t, cells);
		add_item(o, "models", cj_model(m));
	}
	*next = cli_strdup(l->next_page_token);
	mr_model_list_free(l);
	return MR_OK;
}

static mr_status
version_page(cli *g, void *arg, mr_list_params *lp, table *t, json_object *o,
    char **next)
{
	mr_version_list *l;
	mr_status rv;

	if ((rv = mr_list_versions(g->c, arg, lp, &l)) != MR_OK)
		return rv;
	for (size_t i = 0; i < l->count; i++) {
		version_row(t, &l->items[i]);
		add_item(o, "versions", cj_version(&l->items[i]));
	}
	*next = cli_strdup(l->next_page_token);
	mr_version_list_free(l);
	return MR_OK;
}

/*
 * Reads one page, or with `all` every page, into `t` and `o`; *token is
 * then the next page's token (malloc'd, "" after the last page; NULL on
 * failure).
 */
mr_status
fetch_pages(cli *g, void *arg, mr_list_params *lp, bool all, page_fn page,
    table *t, json_object *o, char **token)
{
	mr_status rv;

	*token = NULL;
	for (;;) {
		char *next = NULL;

		rv = page(g, arg, lp, t, o, &next);
		free(*token);
		*token = next;
		if (rv != MR_OK || !all || next[0] == '\0')
			return rv;
		lp->page_token = next;
	}
}

void
add_revision(const cli *g, json_object *o)
{
	json_object_object_add(
	    o, "revision", json_object_new_uint64(mr_client_revision(g->c)));
}

void
print_with_revision(const cli *g, const char *key, json_object *item)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, key, item);
	add_revision(g, o);
	cj_print(o);
}

/* Adds the token to a page's JSON and prints it. */
void
print_json_page(json_object *o, const char *token)
{
	json_object_object_add(
	    o, "next_page_token", json_object_new_string(token));
	cj_print(o);
}

/* On stderr, when pages remain, how to read on. */
void
more_note(const char *what, const char *token)
{
	if (token[0] != '\0')
		fprintf(stderr,
		    "modelreg: more %s: add --page-token %s (or "
		    "--all)\n",
		    what, token);
}

/* Prints one page, or with `all` every page, as a table or as JSON
 * {"<what>": [...], "next_page_token": "..."}; `doing` names the listing
 * in an error. */
int
list_pages(cli *g, const char *doing, void *arg, mr_list_params *lp, bool all,
    page_fn page, table *t, const char *what)
{
	json_object *o = json_object_new_object();
	char *token;
	mr_status rv;

	json_object_object_add(o, what, json_object_new_array());
	rv = fetch_pages(g, arg, lp, all, page, t, o, &token);
	if (rv != MR_OK) {
		json_object_put(o);
		table_free(t);
		return status_error(g, rv, "%s", doing);
	}
	if (g->json) {
		print_json_page(o, token);
	} else {
		json_object_put(o);
		table_print(t, stdout);
	}
	more_note(what, token);
	free(token);
	table_free(t);
	return 0;
}

static int
cmd_list(cli *g, const command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"stage", required_argument, NULL, 's'},
	    {"tag", required_argument, NULL, 't'},
	    OPT_PAGING,
	    OPT_END,
	};
	char doing[MR_NAME_MAX + 8];
	options o = {0};
	int code;

	if ((code = parse_options(g, cmd, opts, argc, argv, &o)) != 0 || o.help)
		return code;
	if (argc - optind > 1)
		return usage_error(cmd, "one model name at most");
	if ((code = connect_client(g)) != 0)
		return code;
	if (optind == argc) {
		static const char *const headers[] = {
		    "NAME", "LATEST", "PRODUCTION", "VERSIONS", "UPDATED"};
		return list_pages(g, "list", NULL, &o.lp, o.all, model_page,
		    table_new(5, headers), "models");
	}
	snprintf(doing, sizeof(doing), "list %.*s", MR_NAME_MAX, argv[optind]);
	return list_pages(g, doing, argv[optind], &o.lp, o.all, version_page,
	    table_new(6, version_headers), "versions");
}

/* ---- info --------------------------------------------------------------- */

#define INFO_EVENTS 20

/* The model's last INFO_EVENTS events: all pages are read, the last two
 * kept (a page holds far more than INFO_EVENTS). */
static mr_status
recent_events(
    cli *g, const char *name, mr_event_list **prev, mr_event_list **cur)
{
	uint64_t after = 0;
	mr_status rv;

	*prev = *cur = NULL;
	for (;;) {
		mr_event_list *l;

		if ((rv = mr_list_events(
		         g->c, name, after, MR_PAGE_SIZE_MAX, &l)) != MR_OK)
			return rv;
		mr_event_list_free(*prev);
		*prev = *cur;
		*cur = l;
		if (!l->more || l->count == 0 || l->last_revision <= after)
			return MR_OK;
		after = l->last_revision;
	}
}

static int
cmd_info(cli *g, const command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	mr_event_list *prev = NULL, *cur = NULL;
	mr_version_list *vl = NULL;
	mr_list_params lp = {0};
	json_object *versions, *events;
	table *vt, *et;
	const char *name;
	mr_model *m;
	mr_status rv;
	size_t n_prev, n, first;
	int ch, code;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		if (ch == 'h')
			return help_for(cmd, stdout, 0);
		return option_error(cmd, ch, argv);
	}
	if (argc - optind != 1)
		return usage_error(cmd, "give one model name");
	name = argv[optind];
	if ((code = connect_client(g)) != 0)
		return code;
	if ((rv = mr_get_model(g->c, name, &m)) != MR_OK)
		return status_error(g, rv, "info %s", name);
	versions = json_object_new_array();
	vt = table_new(6, version_headers);
	lp.page_size = MR_PAGE_SIZE_MAX;
	for (char *token = NULL;; lp.page_token = token) {
		if ((rv = mr_list_versions(g->c, name, &lp, &vl)) != MR_OK) {
			free(token);
			break;
		}
		for (size_t i = 0; i < vl->count; i++) {
			version_row(vt, &vl->items[i]);
			json_object_array_add(
			    versions, cj_version(&vl->items[i]));
		}
		free(token);
		token = vl->next_page_token[0] != '\0'
		    ? cli_strdup(vl->next_page_token)
		    : NULL;
		mr_version_list_free(vl);
		if (token == NULL)
			break;
	}
	if (rv == MR_OK)
		rv = recent_events(g, name, &prev, &cur);
	if (rv != MR_OK) {
		code = status_error(g, rv, "info %s", name);
		goto out;
	}
	events = json_object_new_array();
	et = event_table(false);
	n_prev = prev != NULL ? prev->count : 0;
	n = n_prev + cur->count;
	first = n > INFO_EVENTS ? n - INFO_EVENTS : 0;
	for (size_t i = first; i < n; i++) {
		const mr_event *ev =
		    i < n_prev ? &prev->items[i] : &cur->items[i - n_prev];
		event_row(et, ev, false);
		json_object_array_add(events, cj_event(ev));
	}
	if (g->json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "model", cj_model(m));
		json_object_object_add(o, "versions", versions);
		json_object_object_add(o, "events", events);
		cj_print(o);
	} else {
		char created[32], updated[32], count[16], rev[24];
		char *tags = cli_kv_join(m->tags, m->n_tags, ", ");

		snprintf(count, sizeof(count), "%u", m->version_count);
		snprintf(
		    rev, sizeof(rev), "%llu", (unsigned long long)m->revision);
		cli_field(stdout, "name:", m->name);
		cli_field(stdout, "description:", m->description);
		cli_field(stdout, "owner:", m->owner);
		cli_field(stdout, "tags:", tags);
		cli_field(stdout,
		    "created:", mr_format_time(m->created_at_ms, created));
		cli_field(stdout,
		    "updated:", mr_format_time(m->updated_at_ms, updated));
		cli_field(stdout, "versions:", count);
		cli_field(stdout, "latest:", m->latest_version);
		cli_field(stdout, "production:", m->production_version);
		cli_field(stdout, "rollback target:", m->rollback_target);
		cli_field(stdout, "revision:", rev);
		print_model_lifecycle(m);
		free(tags);
		fputs("\n", stdout);
		table_print(vt, stdout);
		printf("\nRecent history (last %d events):\n", INFO_EVENTS);
		table_print(et, stdout);
		json_object_put(versions);
		json_object_put(events);
	}
	versions = NULL;
	table_free(et);
	code = 0;
out:
	json_object_put(versions);
	table_free(vt);
	mr_event_list_free(prev);
	mr_event_list_free(cur);
	mr_model_free(m);
	return code;
}

/* ---- register ----------------------------------------------------------- */

/*
 * Warns of metadata references that name no lineage node. The server
 * links one that named nothing when such a node is added; one that named
 * several nodes, or was malformed, stays as it is.
 */
static void
warn_dangling(const mr_version *v)
{
	static const char none[] = "no lineage node";

	for (size_t i = 0; i < v->n_dangling; i++) {
		const mr_dangling *d = &v->dangling[i];

		if (strncmp(d->reason, none, sizeof(none) - 1) == 0)
			fprintf(stderr,
			    "modelreg: warning: %s = %s names no lineage node; "
			    "it will be linked when added\n",
			    d->field, d->value);
		else
			fprintf(stderr,
			    "modelreg: warning: %s = %s is not linked: %s\n",
			    d->field, d->value, d->reason);
	}
}

static void
print_registered(const cli *g, const mr_version *v)
{
	const mr_transfer_stats *s = mr_client_transfer_stats(g->c);
	char hex[65], size[32], wire[32];

	warn_dangling(v);
	if (g->json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "version", cj_version(v));
		json_object_object_add(o, "transfer", cj_stats(s));
		add_revision(g, o);
		json_object_object_add(
		    o, "dangling", cj_dangling(v->dangling, v->n_dangling));
		cj_print(o);
		return;
	}
	printf("registered %s %s (%s), revision %llu\n", v->name, v->version,
	    mr_stage_name(v->stage),
	    (unsigned long long)mr_client_revision(g->c));
	if (v->version_rule != NULL && v->version_rule[0] != '\0' &&
	    strcmp(v->version_rule, "explicit") != 0)
		printf("version    %s, chosen by %s\n", v->version,
		    v->version_rule);
	printf("artifact   sha256:%s, %s in %llu file%s\n",
	    mr_digest_hex(v->artifact_digest, hex),
	    cli_size(v->artifact_size, size), (unsigned long long)s->files,
	    s->files == 1 ? "" : "s");
	printf("upload     %llu of %llu chunks sent, %s on the wire\n",
	    (unsigned long long)s->chunks_sent, (unsigned long long)s->chunks,
	    cli_size(s->bytes_sent, wire));
}

static int
cmd_register(cli *g, const command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"version", required_argument, NULL, 'v'},
	    {"stage", required_argument, NULL, 's'},
	    {"description", required_argument, NULL, 'd'},
	    {"metadata", required_argument, NULL, 'm'},
	    {"tag", required_argument, NULL, 't'},
	    {"model-description", required_argument, NULL, 'D'},
	    {"owner", required_argument, NULL, 'o'},
	    {"bump", required_argument, NULL, 'b'},
	    {"reason", required_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *metadata = NULL, *bump = NULL;
	mr_register_params p = {0};
	mr_kv *tags = NULL;
	size_t n_tags = 0;
	progress pr = {"uploading", -1};
	char err[CLI_ERR_MAX];
	mr_version *v;
	cli_meta meta;
	mr_status rv;
	int ch, code = 0;

	memset(&meta, 0, sizeof(meta));
	optind = 0;
	while (code == 0 &&
	    (ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'v':
			p.version = optarg;
			break;
		case 's':
			code = stage_arg(cmd, "--stage", optarg, &p.stage);
			break;
		case 'd':
			p.description = optarg;
			break;
		case 'm':
			metadata = optarg;
			break;
		case 't':
			code = kv_arg(cmd, "--tag", optarg, &tags, &n_tags);
			break;
		case 'D':
			p.model_description = optarg;
			break;
		case 'o':
			p.model_owner = optarg;
			break;
		case 'b':
			bump = optarg;
			if (mr_bump_parse(optarg, &p.bump) != 0)
				code = usage_error(cmd,
				    "--bump \"%s\" is not major, minor, patch "
				    "or auto",
				    optarg);
			break;
		case 'r':
			p.reason = optarg;
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
	if (argc - optind != 2) {
		code = usage_error(cmd,
		    "give a model name and an artifact "
		    "path");
		goto out;
	}
	if (p.version == NULL && bump == NULL) {
		code = usage_error(cmd, "--version is required (or --bump)");
		goto out;
	}
	if (p.version != NULL && bump != NULL) {
		code = usage_error(cmd, "--version or --bump, not both");
		goto out;
	}
	if (metadata != NULL && cli_meta_load(&meta, metadata, err) != 0) {
		code = usage_error(cmd, "%s", err);
		goto out;
	}
	/* --tag adds to the file's tags and wins over them. */
	for (size_t i = 0; i < n_tags && code == 0; i++)
		if (cli_kv_set(&meta.tags, &meta.n_tags, tags[i].key,
		        tags[i].value) != 0)
			code = usage_error(cmd, "out of memory");
	if (code != 0 || (code = connect_client(g)) != 0)
		goto out;
	p.name = argv[optind];
	p.path = argv[optind + 1];
	if (p.description == NULL)
		p.description = meta.description;
	p.metadata = &meta.md;
	p.tags = meta.tags;
	p.n_tags = meta.n_tags;
	p.signature = meta.has_signature ? &meta.sig : NULL;
	if (want_progress(g)) {
		p.progress = show_progress;
		p.progress_arg = &pr;
	}
	rv = mr_register(g->c, &p, &v);
	end_progress(&pr);
	if (rv != MR_OK) {
		code = status_error(g, rv, "register %s %s%s", p.name,
		    p.version != NULL ? p.version : "--bump ",
		    p.version != NULL ? "" : bump);
		goto out;
	}
	print_registered(g, v);
	mr_version_free(v);
out:
	for (size_t i = 0; i < n_tags; i++) {
		free(tags[i].key);
		free(tags[i].value);
	}
	free(tags);
	cli_meta_free(&meta);
	return code;
}

/* ---- get ---------------------------------------------------------------- */

void
print_fields(const char *label, const mr_field *f, size_t n)
{
	line l;

	line_start(&l);
	for (size_t i = 0; i < n; i++)
		fprintf(
		    l.f, "%s%s %s", i > 0 ? ", " : "", f[i].name, f[i].type);
	cli_field(stdout, label, line_end(&l));
	free(l.buf);
}

static void
print_version(const mr_version *v)
{
	const mr_metadata *md = &v->metadata;
	char t1[32], hex[65], size[32];
	char *s;
	line l;

	cli_field(stdout, "name:", v->name);
	cli_field(stdout, "version:", v->version);
	line_start(&l);
	fprintf(l.f, "%s", mr_stage_name(v->stage));
	if (v->stage_changed_at_ms > 0)
		fprintf(l.f, " since %s",
		    mr_format_time(v->stage_changed_at_ms, t1));
	if (v->ever_production && v->stage != MR_STAGE_PRODUCTION)
		fprintf(l.f, " (has been in production)");
	cli_field(stdout, "stage:", s = line_end(&l));
	free(s);
	line_start(&l);
	fprintf(l.f, "%s by %s, revision %llu",
	    mr_format_time(v->created_at_ms, t1),
	    v->created_by[0] != '\0' ? v->created_by : "?",
	    (unsigned long long)v->created_revision);
	cli_field(stdout, "created:", s = line_end(&l));
	free(s);
	cli_field(stdout, "description:", v->description);
	cli_field(stdout, "replaced:", v->displaced_version);
	print_version_lifecycle(v);
	line_start(&l);
	for (size_t i = 0; i < md->n_metrics; i++)
		fprintf(l.f, "%s%s=%g", i > 0 ? ", " : "", md->metrics[i].name,
		    md->metrics[i].value);
	cli_field(stdout, "metrics:", s = line_end(&l));
	free(s);
	s = cli_kv_join(md->hyperparameters, md->n_hyperparameters, ", ");
	cli_field(stdout, "hyperparameters:", s);
	free(s);
	line_start(&l);
	fprintf(l.f, "%s", md->framework);
	if (md->framework_version[0] != '\0')
		fprintf(l.f, " %s", md->framework_version);
	cli_field(stdout, "framework:", s = line_end(&l));
	free(s);
	cli_field(stdout, "python:", md->python_version);
	line_start(&l);
	for (size_t i = 0; i < md->n_features; i++)
		fprintf(l.f, "%s%s", i > 0 ? ", " : "", md->features[i]);
	cli_field(stdout, "features:", s = line_end(&l));
	free(s);
	cli_field(stdout, "training data:", md->training_data_version);
	cli_field(stdout, "feature set:", md->feature_set_version);
	cli_field(stdout, "experiment:", md->experiment);
	cli_field(stdout, "increment:", md->increment);
	cli_field(stdout, "parent model:", md->parent_model);
	print_fields("inputs:", v->signature.inputs, v->signature.n_inputs);
	print_fields("outputs:", v->signature.outputs, v->signature.n_outputs);
	s = cli_kv_join(v->tags, v->n_tags, ", ");
	cli_field(stdout, "tags:", s);
	free(s);
	line_start(&l);
	fprintf(l.f, "sha256:%s", mr_digest_hex(v->artifact_digest, hex));
	cli_field(stdout, "artifact:", s = line_end(&l));
	free(s);
	line_start(&l);
	fprintf(l.f, "%s in %zu file%s%s, %u chunk%s",
	    cli_size(v->artifact_size, size), v->n_files,
	    v->n_files == 1 ? "" : "s", v->directory ? " (a directory)" : "",
	    v->chunk_count, v->chunk_count == 1 ? "" : "s");
	cli_field(stdout, "size:", s = line_end(&l));
	free(s);
	if (v->n_files > 0) {
		static const char *const headers[] = {
		    "MODE", "SIZE", "SHA256", "PATH"};
		table *t = table_new(4, headers);

		for (size_t i = 0; i < v->n_files; i++) {
			char mode[8], digest[17];
			const char *cells[] = {mode,
			    cli_size(v->files[i].size, size), digest,
			    v->files[i].path};

			snprintf(mode, sizeof(mode), "%04o",
			    v->files[i].mode & 07777);
			snprintf(digest, sizeof(digest), "%.16s",
			    mr_digest_hex(v->files[i].digest, hex));
			table_row(t, cells);
		}
		fputs("\n", stdout);
		table_print(t, stdout);
		table_free(t);
	}
}

static int
cmd_get(cli *g, const command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"version", required_argument, NULL, 'v'},
	    {"stage", required_argument, NULL, 's'},
	    {"at", required_argument, NULL, 'A'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	mr_stage stage = MR_STAGE_NONE;
	const char *version = NULL, *at = NULL;
	int64_t at_ms = 0;
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
		case 'A':
			at = optarg;
			if ((code = time_arg(cmd, "--at", at, true, &at_ms)) !=
			    0)
				return code;
			break;
		case 'h':
			return help_for(cmd, stdout, 0);
		default:
			return option_error(cmd, ch, argv);
		}
	}
	if (argc - optind != 1)
		return usage_error(cmd, "give one model name");
	if ((code = select_version(cmd, argv[optind], version, stage, &sel)) !=
	    0)
		return code;
	if (at != NULL && sel.version != NULL)
		return usage_error(
		    cmd, "--at goes with --stage, not a version");
	if (at != NULL && stage == MR_STAGE_NONE)
		return usage_error(cmd, "--at needs --stage S");
	if ((code = connect_client(g)) != 0)
		return code;
	if (at != NULL)
		rv = mr_get_version_at(g->c, sel.name, sel.stage, at_ms, &v);
	else
		rv = mr_get_version(g->c, sel.name, sel.version, sel.stage, &v);
	if (rv != MR_OK && at != NULL)
		return status_error(g, rv, "get %s at %s", sel.what, at);
	if (rv != MR_OK)
		return status_error(g, rv, "get %s", sel.what);
	if (g->json)
		cj_print(cj_version(v));
	else
		print_version(v);
	mr_version_free(v);
	return 0;
}

/* ---- pull --------------------------------------------------------------- */

static int
cmd_pull(cli *g, const command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"version", required_argument, NULL, 'v'},
	    {"stage", required_argument, NULL, 's'},
	    {"force", no_argument, NULL, 'f'},
	    {"cache", required_argument, NULL, 'c'},
	    {"cache-max", required_argument, NULL, 'm'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	mr_pull_options po = {0};
	progress pr = {"downloading", -1};
	mr_stage stage = MR_STAGE_NONE;
	const char *version = NULL, *dest;
	const mr_transfer_stats *s;
	char *written;
	bool dest_is_dir;
	struct stat st;
	double secs;
	uint64_t t0;
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
		case 'f':
			po.overwrite = true;
			break;
		case 'c':
			po.cache_dir = optarg;
			break;
		case 'm':
			if (!parse_size(optarg, &po.cache_max_bytes))
				return usage_error(cmd,
				    "--cache-max wants a size: bytes, or a "
				    "number with K, M, G or T");
			break;
		case 'h':
			return help_for(cmd, stdout, 0);
		default:
			return option_error(cmd, ch, argv);
		}
	}
	if (argc - optind != 2)
		return usage_error(cmd, "give a model name and a destination");
	if (po.cache_max_bytes > 0 && po.cache_dir == NULL)
		return usage_error(cmd, "--cache-max trims the cache of --cache "
		                        "DIR; give both");
	dest = argv[optind + 1];
	if ((code = select_version(cmd, argv[optind], version, stage, &sel)) !=
	        0 ||
	    (code = connect_client(g)) != 0)
		return code;
	if (want_progress(g)) {
		po.progress = show_progress;
		po.progress_arg = &pr;
	}
	dest_is_dir = stat(dest, &st) == 0 && S_ISDIR(st.st_mode);
	t0 = mr_mono_ns();
	rv = mr_pull(g->c, sel.name, sel.version, sel.stage, dest, &po, &v);
	secs = (double)(mr_mono_ns() - t0) / 1e9;
	end_progress(&pr);
	if (rv != MR_OK)
		return status_error(g, rv, "pull %s", sel.what);
	s = mr_client_transfer_stats(g->c);
	if (!v->directory && dest_is_dir && v->n_files == 1) {
		const char *base = strrchr(v->files[0].path, '/');
		int len = (int)strlen(dest);

		while (len > 1 && dest[len - 1] == '/')
			len--;
		base = base != NULL ? base + 1 : v->files[0].path;
		if (asprintf(&written, "%.*s/%s", len, dest, base) < 0)
			written = NULL;
	} else {
		written = cli_strdup(dest);
	}
	if (g->json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "version", cj_version(v));
		json_object_object_add(o, "path",
		    json_object_new_string(written != NULL ? written : dest));
		json_object_object_add(o, "transfer", cj_stats(s));
		json_object_object_add(
		    o, "seconds", json_object_new_double(secs));
		cj_print(o);
	} else {
		char size[32], wire[32], rate[32];

		printf("pulled %s %s to %s (%s%s in %llu file%s)\n", v->name,
		    v->version, written != NULL ? written : dest,
		    v->directory ? "a directory, " : "",
		    cli_size(s->bytes, size), (unsigned long long)s->files,
		    s->files == 1 ? "" : "s");
		printf("%.2f s, %s/s; %llu chunks, %s on the wire", secs,
		    cli_size(secs > 0 ? (uint64_t)((double)s->bytes / secs)
		                      : s->bytes,
		        rate),
		    (unsigned long long)s->chunks_sent,
		    cli_size(s->bytes_sent, wire));
		if (s->chunks_reused > 0)
			printf("; %llu chunks (%s) already here",
			    (unsigned long long)s->chunks_reused,
			    cli_size(s->bytes_reused, size));
		printf("\n");
	}
	free(written);
	mr_version_free(v);
	return 0;
}

/* ---- promote and rollback ----------------------------------------------- */

static int
cmd_promote(cli *g, const command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"to", required_argument, NULL, 't'},
	    {"expect", required_argument, NULL, 'e'},
	    {"reason", required_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	mr_stage to = MR_STAGE_NONE, expect = MR_STAGE_NONE;
	const char *reason = NULL;
	mr_version *v;
	selector sel;
	mr_status rv;
	int ch, code;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 't':
			if ((code = stage_arg(cmd, "--to", optarg, &to)) != 0)
				return code;
			break;
		case 'e':
			if ((code = stage_arg(
			         cmd, "--expect", optarg, &expect)) != 0)
				return code;
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
	if ((code = select_exact_version(cmd, argc, argv, &sel)) != 0)
		return code;
	if (to == MR_STAGE_NONE)
		return usage_error(cmd, "--to STAGE is required");
	if ((code = connect_client(g)) != 0)
		return code;
	rv = mr_promote(g->c, sel.name, sel.version, to, expect, reason, &v);
	if (rv != MR_OK)
		return status_error(g, rv, "promote %s", sel.what);
	if (g->json) {
		print_with_revision(g, "version", cj_version(v));
	} else {
		printf("%s %s is now in %s (revision %llu)", v->name,
		    v->version, mr_stage_name(v->stage),
		    (unsigned long long)mr_client_revision(g->c));
		if (v->stage == MR_STAGE_PRODUCTION &&
		    v->displaced_version[0] != '\0')
			printf("; it replaced %s", v->displaced_version);
		printf("\n");
	}
	mr_version_free(v);
	return 0;
}

static int
cmd_rollback(cli *g, const command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"to", required_argument, NULL, 't'},
	    {"reason", required_argument, NULL, 'r'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *to = NULL, *reason = NULL, *name;
	mr_version *v;
	mr_status rv;
	int ch, code;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 't':
			to = optarg;
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
	if (reason == NULL || reason[0] == '\0')
		return usage_error(cmd, "--reason TEXT is required");
	name = argv[optind];
	if ((code = connect_client(g)) != 0)
		return code;
	if ((rv = mr_rollback(g->c, name, to, reason, &v)) != MR_OK)
		return status_error(g, rv, "rollback %s", name);
	if (g->json) {
		print_with_revision(g, "version", cj_version(v));
	} else {
		printf("%s: production is now %s (revision %llu)\n", v->name,
		    v->version, (unsigned long long)mr_client_revision(g->c));
	}
	mr_version_free(v);
	return 0;
}

/* ---- history ------------------------------------------------------------ */

static int
cmd_history(cli *g, const command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"after", required_argument, NULL, 'a'},
	    {"limit", required_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *name = NULL;
	uint64_t after = 0;
	uint32_t limit = 0;
	mr_event_list *l;
	mr_status rv;
	int ch, code;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'a':
			if (!parse_u64(optarg, UINT64_MAX, &after))
				return usage_error(
				    cmd, "--after wants a revision number");
			break;
		case 'n':
			if ((code = count_arg(
			         cmd, "--limit", optarg, &limit)) != 0)
				return code;
			break;
		case 'h':
			return help_for(cmd, stdout, 0);
		default:
			return option_error(cmd, ch, argv);
		}
	}
	if (argc - optind > 1)
		return usage_error(cmd, "one model name at most");
	if (optind < argc)
		name = argv[optind];
	if ((code = connect_client(g)) != 0)
		return code;
	if ((rv = mr_list_events(g->c, name, after, limit, &l)) != MR_OK)
		return name != NULL ? status_error(g, rv, "history %s", name)
		                    : status_error(g, rv, "history");
	if (g->json) {
		json_object *o = json_object_new_object();
		json_object *events = json_object_new_array();

		for (size_t i = 0; i < l->count; i++)
			json_object_array_add(events, cj_event(&l->items[i]));
		json_object_object_add(o, "events", events);
		json_object_object_add(o, "last_revision",
		    json_object_new_uint64(l->last_revision));
		json_object_object_add(
		    o, "more", json_object_new_boolean(l->more));
		cj_print(o);
	} else {
		table *t = event_table(true);

		for (size_t i = 0; i < l->count; i++)
			event_row(t, &l->items[i], true);
		table_print(t, stdout);
		table_free(t);
	}
	if (l->more)
		fprintf(stderr, "modelreg: more events: add --after %llu\n",
		    (unsigned long long)l->last_revision);
	mr_event_list_free(l);
	return 0;
}

/* ---- lineage ------------------------------------------------------------ */

/* How far upstream `lineage NAME VERSION` looks unless told. */
#define LINEAGE_VIEW_DEPTH 10

/* The edge type of a link FROM -> TO: `given`, else the default for the
 * kinds at its ends. */
static int
link_type(const command *cmd, const char *from, mr_node_kind to_kind,
    mr_edge_type given, mr_edge_type *out)
{
	mr_node_kind from_kind = client_id_kind(from);

	*out = given != 0 ? given : cg_default_edge(from_kind, to_kind);
	if (*out != 0)
		return 0;
	if (from_kind == 0)
		return usage_error(
		    cmd, "\"%s\" is not a node id KIND:NAME[@VERSION]", from);
	return usage_error(cmd,
	    "no edge type goes without saying from a %s to a %s; give --type",
	    mr_node_kind_name(from_kind), mr_node_kind_name(to_kind));
}

/* On stderr, when a walk stopped at its depth. */
static void
depth_note(const cli_graph *gr, uint32_t depth)
{
	if (gr->depth_limited)
		fprintf(stderr,
		    "modelreg: more lies past depth %u: add --depth N (at "
		    "most %d)\n",
		    depth, MR_LINEAGE_DEPTH_MAX);
}

/* A walk read page by page into a graph. */
typedef struct walk {
	const char *id;
	mr_direction dir;
	uint32_t depth;
	bool with_edges; /* keep the edges that reached the nodes */
	cli_graph graph;
} walk;

static void
walk_row(table *t, const mr_node *n, const mr_edge *via)
{
	char depth[16], created[32];
	const char *cells[] = {depth, n->id, mr_node_kind_name(n->kind),
	    via != NULL ? mr_edge_type_name(via->type) : NULL,
	    mr_format_time(n->created_at_ms, created)};

	snprintf(depth, sizeof(depth), "%u", n->depth);
	table_row(t, cells);
}

static mr_status
walk_page(cli *g, void *arg, mr_list_params *lp, table *t, json_object *o,
    char **next)
{
	walk *w = arg;
	mr_graph *p;
	mr_status rv;

	(void)o; /* the JSON is made of the whole graph */
	if ((rv = mr_lineage_walk(g->c, w->id, w->dir, w->depth, lp, &p)) !=
	    MR_OK)
		return rv;
	cg_keep(&w->graph, p);
	cg_add_node(&w->graph, &p->nodes[0]); /* the start, on every page */
	for (size_t i = 1; i < p->n_nodes; i++) {
		const mr_edge *via =
		    i - 1 < p->n_edges ? &p->edges[i - 1] : NULL;

		if (!cg_add_node(&w->graph, &p->nodes[i]))
			continue;
		if (w->with_edges && via != NULL)
			cg_add_edge(&w->graph, via);
		if (t != NULL)
			walk_row(t, &p->nodes[i], via);
	}
	*next = cli_strdup(p->next_page_token);
	return MR_OK;
}

/* Adds a version's deployment below it, unless it ended and only live
 * ones are wanted. */
static mr_status
add_deployment(cli *g, cli_graph *gr, const mr_edge *e, bool ended_too)
{
	mr_graph *p;
	mr_status rv;

	if ((rv = mr_lineage_get_node(g->c, e->to, &p)) != MR_OK)
		return rv;
	cg_keep(gr, p);
	if ((p->nodes[0].ended_at_ms == 0 || ended_too) &&
	    cg_add_node(gr, &p->nodes[0]))
		cg_add_edge(gr, e);
	return MR_OK;
}

/*
 * Completes a version's upstream walk (nodes[0] is the version) into its
 * lineage graph. A walk gives only the edge by which it first reached
 * each node, so each node's own upstream edges are read (those from nodes
 * outside the walk are left out), and the version's deployments are
 * added below it.
 */
static mr_status
complete_lineage(cli *g, cli_graph *gr, bool ended_too)
{
	size_t n = gr->n_nodes;
	mr_status rv;

	for (size_t i = 0; i < n; i++) {
		const char *id = gr->nodes[i]->id;
		mr_graph *p;

		if ((rv = mr_lineage_get_node(g->c, id, &p)) != MR_OK)
			return rv;
		cg_keep(gr, p);
		for (size_t k = 0; k < p->n_edges; k++) {
			const mr_edge *e = &p->edges[k];

			if (strcmp(e->to, id) == 0) {
				if (cg_find(gr, e->from) != NULL)
					cg_add_edge(gr, e);
			} else if (i == 0 && e->type == MR_EDGE_DEPLOYED_AS &&
			    (rv = add_deployment(g, gr, e, ended_too)) !=
			        MR_OK) {
				return rv;
			}
		}
	}
	return MR_OK;
}

static void
print_lineage(const cli *g, const cli_graph *gr, bool dot)
{
	const mr_node *v = gr->nodes[0];

	if (dot) {
		cg_print_dot(gr, stdout);
	} else if (g->json) {
		cj_print(cj_graph(gr));
	} else {
		cg_print_tree(gr, stdout);
		if (v->n_dangling > 0)
			fputs("\n", stdout);
		for (size_t i = 0; i < v->n_dangling; i++)
			printf("dangling: %s = %s (%s)\n", v->dangling[i].field,
			    v->dangling[i].value, v->dangling[i].reason);
	}
}

/* `lineage NAME VERSION`, and the dispatch to the subcommands. */
static int
cmd_lineage(cli *g, const command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"depth", required_argument, NULL, 'd'},
	    {"all-deployments", no_argument, NULL, 'e'},
	    {"dot", no_argument, NULL, 'g'},
	    OPT_END,
	};
	options o = {.depth = LINEAGE_VIEW_DEPTH};
	mr_list_params lp = {.page_size = MR_PAGE_SIZE_MAX};
	char id[MR_NODE_ID_MAX + 1], *token = NULL;
	walk w = {.dir = MR_UPSTREAM};
	const command *sub;
	mr_status rv;
	selector sel;
	int code;

	if (argc > 1 && (sub = find_sub(cmd, argv[1])) != NULL)
		return sub->run(g, sub, argc - 1, argv + 1);
	if ((code = parse_options(g, cmd, opts, argc, argv, &o)) != 0 || o.help)
		return code;
	if ((code = select_exact_version(cmd, argc, argv, &sel)) != 0)
		return code;
	snprintf(id, sizeof(id), "model:%.*s@%.*s", MR_NAME_MAX, sel.name,
	    MR_VERSION_MAX, sel.version);
	w.id = id;
	w.depth = o.depth;
	if ((code = connect_client(g)) != 0)
		return code;
	rv = fetch_pages(g, &w, &lp, true, walk_page, NULL, NULL, &token);
	free(token);
	if (rv == MR_OK)
		rv = complete_lineage(g, &w.graph, o.ended_too);
	if (rv != MR_OK) {
		cg_free(&w.graph);
		return status_error(g, rv, "lineage %s", sel.what);
	}
	print_lineage(g, &w.graph, o.dot);
	depth_note(&w.graph, w.depth);
	cg_free(&w.graph);
	return 0;
}

/* `lineage upstream|downstream ID` */
static int
cmd_lineage_walk(cli *g, const command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"depth", required_argument, NULL, 'd'},
	    OPT_PAGING,
	    {"dot", no_argument, NULL, 'g'},
	    OPT_END,
	};
	static const char *const headers[] = {
	    "DEPTH", "ID", "KIND", "VIA", "CREATED"};
	walk w = {.with_edges = true};
	options o = {0};
	char *token;
	mr_status rv;
	table *t;
	int code;

	if ((code = begin(g, cmd, opts, argc, argv, 1, "one node id", &o)) !=
	        0 ||
	    o.help)
		return code;
	w.id = argv[optind];
	w.dir = strcmp(cmd->name, "lineage upstream") == 0 ? MR_UPSTREAM
	                                                   : MR_DOWNSTREAM;
	w.depth = o.depth;
	t = table_new(5, headers);
	rv = fetch_pages(g, &w, &o.lp, o.all, walk_page, t, NULL, &token);
	if (rv != MR_OK) {
		code = status_error(g, rv, "%s %s", cmd->name, w.id);
	} else {
		if (o.dot)
			cg_print_dot(&w.graph, stdout);
		else if (g->json)
			print_json_page(cj_graph(&w.graph), token);
		else
			table_print(t, stdout);
		more_note("nodes", token);
		depth_note(&w.graph,
		    w.depth != 0 ? w.depth : MR_LINEAGE_DEPTH_DEFAULT);
	}
	free(token);
	table_free(t);
	cg_free(&w.graph);
	return code;
}

/* An impact read page by page: versions into the page's table, live
 * deployments into their own. */
typedef struct impact {
	const char *id;
	uint32_t depth;
	table *live;
	size_t n_versions, n_live;
} impact;

static mr_status
impact_page(cli *g, void *arg, mr_list_params *lp, table *t, json_object *o,
    char **next)
{
	impact *a = arg;
	mr_impact *im;
	mr_status rv;

	if ((rv = mr_lineage_impact(g->c, a->id, a->depth, lp, &im)) != MR_OK)
		return rv;
	for (size_t i = 0; i < im->n_versions; i++) {
		const mr_impacted *v = &im->versions[i];
		char depth[16];
		const char *cells[] = {
		    v->model, v->version, mr_stage_name(v->stage), depth};

		snprintf(depth, sizeof(depth), "%u", v->depth);
		table_row(t, cells);
		add_item(o, "versions", cj_impacted(v));
	}
	for (size_t i = 0; i < im->n_live_deployments; i++) {
		const mr_node *d = &im->live_deployments[i];
		char since[32];
		const char *cells[] = {d->id, mr_stage_name(d->stage),
		    d->environment, mr_format_time(d->created_at_ms, since)};

		table_row(a->live, cells);
		add_item(o, "live_deployments", cj_node(d));
	}
	a->n_versions += im->n_versions;
	a->n_live += im->n_live_deployments;
	*next = cli_strdup(im->next_page_token);
	mr_impact_free(im);
	return MR_OK;
}

/* `lineage impact ID` */
static int
cmd_lineage_impact(cli *g, const command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"depth", required_argument, NULL, 'd'},
	    OPT_PAGING,
	    OPT_END,
	};
	const char *const version_headers[] = {
	    "MODEL", "VERSION", "STAGE", "DEPTH"};
	static const char *const live_headers[] = {
	    "ID", "STAGE", "ENVIRONMENT", "SINCE"};
	options o = {0};
	impact a = {0};
	json_object *j;
	char *token;
	mr_status rv;
	table *t;
	int code;

	if ((code = begin(g, cmd, opts, argc, argv, 1, "one node id", &o)) !=
	        0 ||
	    o.help)
		return code;
	a.id = argv[optind];
	a.depth = o.depth;
	a.live = table_new(4, live_headers);
	t = table_new(4, version_headers);
	j = json_object_new_object();
	json_object_object_add(j, "versions", json_object_new_array());
	json_object_object_add(j, "live_deployments", json_object_new_array());
	rv = fetch_pages(g, &a, &o.lp, o.all, impact_page, t, j, &token);
	if (rv != MR_OK) {
		json_object_put(j);
		code = status_error(g, rv, "lineage impact %s", a.id);
	} else if (g->json) {
		print_json_page(j, token);
	} else {
		json_object_put(j);
		printf("Affected model versions:%s\n",
		    a.n_versions == 0 ? " none" : "");
		if (a.n_versions > 0)
			table_print(t, stdout);
		printf("\nLive deployments:%s\n", a.n_live == 0 ? " none" : "");
		if (a.n_live > 0)
			table_print(a.live, stdout);
	}
	if (rv == MR_OK)
		more_note("versions", token);
	free(token);
	table_free(t);
	table_free(a.live);
	return code;
}

/* Adds every node and edge of `p` to `gr`, which keeps it. */
static void
graph_of(cli_graph *gr, mr_graph *p)
{
	cg_keep(gr, p);
	for (size_t i = 0; i < p->n_nodes; i++)
		cg_add_node(gr, &p->nodes[i]);
	for (size_t i = 0; i < p->n_edges; i++)
		cg_add_edge(gr, &p->edges[i]);
}

/* `lineage path FROM TO` */
static int
cmd_lineage_path(cli *g, const command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"depth", required_argument, NULL, 'd'},
	    {"dot", no_argument, NULL, 'g'},
	    OPT_END,
	};
	cli_graph gr = {0};
	options o = {0};
	mr_graph *p;
	mr_status rv;
	int code;

	if ((code = begin(g, cmd, opts, argc, argv, 2, "two node ids", &o)) !=
	        0 ||
	    o.help)
		return code;
	rv = mr_lineage_path(g->c, argv[optind], argv[optind + 1], o.depth, &p);
	if (rv != MR_OK)
		return status_error(g, rv, "lineage path %s %s", argv[optind],
		    argv[optind + 1]);
	if (o.dot || g->json) {
		graph_of(&gr, p);
		if (o.dot)
			cg_print_dot(&gr, stdout);
		else
			cj_print(cj_graph(&gr));
		cg_free(&gr);
		return 0;
	}
	for (size_t i = 0; i < p->n_nodes; i++)
		printf("%s%s%s%s", i > 0 ? " -[" : "",
		    i > 0 && i - 1 < p->n_edges
		        ? mr_edge_type_name(p->edges[i - 1].type)
		        : "",
		    i > 0 ? "]-> " : "", p->nodes[i].id);
	printf("\n");
	mr_graph_free(p);
	return 0;
}

/* After a blank line, the direct edges of a GetNode answer's node. */
static void
print_edges(const mr_graph *p)
{
	static const char *const headers[] = {"DIRECTION", "TYPE", "NODE"};
	table *t;

	if (p->n_edges == 0)
		return;
	t = table_new(3, headers);
	for (size_t i = 0; i < p->n_edges; i++) {
		const mr_edge *e = &p->edges[i];
		bool up = strcmp(e->to, p->nodes[0].id) == 0;
		const char *cells[] = {up ? "upstream" : "downstream",
		    mr_edge_type_name(e->type), up ? e->from : e->to};

		table_row(t, cells);
	}
	fputs("\n", stdout);
	table_print(t, stdout);
	table_free(t);
}

/* A node's fields, then its direct edges (p: a GetNode answer). */
static void
print_node(const mr_graph *p)
{
	const mr_node *n = &p->nodes[0];
	char t1[32], *s;
	line l;

	cli_field(stdout, "id:", n->id);
	cli_field(stdout, "kind:", mr_node_kind_name(n->kind));
	cli_field(stdout, "name:", n->name);
	cli_field(stdout, "version:", n->version);
	line_start(&l);
	fprintf(l.f, "%s", mr_format_time(n->created_at_ms, t1));
	/* Nodes added by pipelines write no event, so have no revision. */
	if (n->created_revision != 0)
		fprintf(l.f, ", revision %llu",
		    (unsigned long long)n->created_revision);
	cli_field(stdout, "created:", s = line_end(&l));
	free(s);
	cli_field(stdout, "stage:", mr_stage_name(n->stage));
	cli_field(stdout, "environment:", n->environment);
	if (n->ended_at_ms != 0)
		cli_field(stdout, "ended:", mr_format_time(n->ended_at_ms, t1));
	s = cli_kv_join(n->properties, n->n_properties, ", ");
	cli_field(stdout, "properties:", s);
	free(s);
	for (size_t i = 0; i < n->n_dangling; i++) {
		line_start(&l);
		fprintf(l.f, "%s = %s (%s)", n->dangling[i].field,
		    n->dangling[i].value, n->dangling[i].reason);
		cli_field(stdout, "dangling:", s = line_end(&l));
		free(s);
	}
	print_edges(p);
}

/* {"node": {...}, "edges": [...]} of a GetNode answer. */
static json_object *
node_json(const mr_graph *p)
{
	json_object *o = json_object_new_object();
	json_object *edges = json_object_new_array();

	for (size_t i = 0; i < p->n_edges; i++)
		json_object_array_add(edges, cj_edge(&p->edges[i]));
	json_object_object_add(o, "node", cj_node(&p->nodes[0]));
	json_object_object_add(o, "edges", edges);
	return o;
}

/* `lineage show ID` */
static int
cmd_lineage_show(cli *g, const command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {OPT_END};
	options o = {0};
	const char *id;
	mr_graph *p;
	mr_status rv;
	int code;

	if ((code = begin(g, cmd, opts, argc, argv, 1, "one node id", &o)) !=
	        0 ||
	    o.help)
		return code;
	id = argv[optind];
	if ((rv = mr_lineage_get_node(g->c, id, &p)) != MR_OK)
		return status_error(g, rv, "lineage show %s", id);
	if (g->json)
		cj_print(node_json(p));
	else
		print_node(p);
	mr_graph_free(p);
	return 0;
}

/* `lineage rm ID` */
static int
cmd_lineage_rm(cli *g, const command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {OPT_END};
	options o = {0};
	const char *id;
	mr_status rv;
	int code;

	if ((code = begin(g, cmd, opts, argc, argv, 1, "one node id", &o)) !=
	        0 ||
	    o.help)
		return code;
	id = argv[optind];
	if ((rv = mr_lineage_delete_node(g->c, id)) != MR_OK)
		return status_error(g, rv, "lineage rm %s", id);
	if (g->json) {
		json_object *o = json_object_new_object();
		json_object_object_add(
		    o, "deleted", json_object_new_string(id));
		cj_print(o);
	} else {
		printf("deleted %s\n", id);
	}
	return 0;
}

/* `lineage link FROM TO` */
static int
cmd_lineage_link(cli *g, const command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"type", required_argument, NULL, 'y'},
	    OPT_END,
	};
	const char *from, *to;
	mr_edge_type type;
	options o = {0};
	mr_status rv;
	int code;

	if ((code = parse_options(g, cmd, opts, argc, argv, &o)) != 0 || o.help)
		return code;
	if (argc - optind != 2)
		return usage_error(cmd, "give two node ids: FROM TO");
	from = argv[optind];
	to = argv[optind + 1];
	if ((code = link_type(cmd, from, client_id_kind(to), o.type, &type)) !=
	        0 ||
	    (code = connect_client(g)) != 0)
		return code;
	if ((rv = mr_lineage_add_edge(g->c, from, to, type)) != MR_OK)
		return status_error(g, rv, "lineage link %s %s", from, to);
	if (g->json) {
		json_object *j = json_object_new_object();
		mr_edge e = {(char *)from, (char *)to, type};
		json_object_object_add(j, "edge", cj_edge(&e));
		cj_print(j);
	} else {
		printf("linked %s -[%s]-> %s\n", from, mr_edge_type_name(type),
		    to);
	}
	return 0;
}

/* `lineage add KIND NAME[@VERSION]` */
/*
 * KIND NAME[@VERSION] or KIND:NAME[@VERSION] (and --version V) into
 * o->kind, *name and o->version, and the types of the --from links.
 */
static int
new_node_args(
    const command *cmd, int argc, char **argv, options *o, const char **name)
{
	char *kind, *rest, *at;
	int code;

	if (argc == 1 && (rest = strchr(argv[0], ':')) != NULL) {
		kind = argv[0];
		*rest++ = '\0';
	} else if (argc == 2) {
		kind = argv[0];
		rest = argv[1];
	} else {
		return usage_error(cmd, "give KIND NAME[@VERSION]");
	}
	if ((code = kind_arg(cmd, kind, &o->kind)) != 0)
		return code;
	if ((at = strchr(rest, '@')) != NULL) {
		if (o->version != NULL)
			return usage_error(cmd,
			    "give the version once: NAME@VERSION or --version");
		*at = '\0';
		o->version = at + 1;
	}
	*name = rest;
	for (size_t i = 0; i < o->n_links; i++)
		if ((code = link_type(cmd, o->links[i].from, o->kind, o->type,
		         &o->links[i].type)) != 0)
			return code;
	return 0;
}

/* Adds the node, and shows it with its edges as GetNode has them now:
 * the upstream ones asked for, and the versions that named it. */
static int
add_node(cli *g, const options *o, const char *name)
{
	mr_graph *p = NULL;
	mr_node *n;
	mr_status rv;

	rv = mr_lineage_add_node(g->c, o->kind, name, o->version, o->props,
	    o->n_props, o->links, o->n_links, &n);
	if (rv != MR_OK)
		return status_error(g, rv, "lineage add %s %s%s%s",
		    mr_node_kind_name(o->kind), name,
		    o->version != NULL ? "@" : "",
		    o->version != NULL ? o->version : "");
	if ((rv = mr_lineage_get_node(g->c, n->id, &p)) != MR_OK)
		fprintf(stderr,
		    "modelreg: warning: added %s, but reading it "
		    "back failed: %s: %s\n",
		    n->id, mr_strerror(rv), mr_client_errmsg(g->c));
	if (g->json) {
		json_object *o =
		    p != NULL ? node_json(p) : json_object_new_object();
		if (p == NULL)
			json_object_object_add(o, "node", cj_node(n));
		cj_print(o);
	} else {
		printf("added %s\n", n->id);
		if (p != NULL)
			print_edges(p);
	}
	mr_graph_free(p);
	mr_node_free(n);
	return 0;
}

/* `lineage add KIND NAME[@VERSION]` */
static int
cmd_lineage_add(cli *g, const command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"version", required_argument, NULL, 'v'},
	    {"from", required_argument, NULL, 'f'},
	    {"type", required_argument, NULL, 'y'},
	    {"property", required_argument, NULL, 'P'},
	    OPT_END,
	};
	const char *name = NULL;
	options o = {0};
	int code;

	if ((code = parse_options(g, cmd, opts, argc, argv, &o)) == 0 &&
	    !o.help &&
	    (code = new_node_args(
	         cmd, argc - optind, argv + optind, &o, &name)) == 0 &&
	    (code = connect_client(g)) == 0)
		code = add_node(g, &o, name);
	options_free(&o);
	return code;
}

static mr_status
node_page(cli *g, void *arg, mr_list_params *lp, table *t, json_object *o,
    char **next)
{
	mr_graph *p;
	mr_status rv;

	if ((rv = mr_lineage_list_nodes(g->c, *(mr_node_kind *)arg, lp, &p)) !=
	    MR_OK)
		return rv;
	for (size_t i = 0; i < p->n_nodes; i++) {
		const mr_node *n = &p->nodes[i];
		char created[32];
		const char *cells[] = {n->id, mr_node_kind_name(n->kind),
		    n->name, n->version,
		    mr_format_time(n->created_at_ms, created)};

		table_row(t, cells);
		add_item(o, "nodes", cj_node(n));
	}
	*next = cli_strdup(p->next_page_token);
	mr_graph_free(p);
	return MR_OK;
}

/* `lineage nodes` */
static int
cmd_lineage_nodes(cli *g, const command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"kind", required_argument, NULL, 'k'},
	    OPT_PAGING,
	    OPT_END,
	};
	static const char *const headers[] = {
	    "ID", "KIND", "NAME", "VERSION", "CREATED"};
	options o = {0};
	int code;

	if ((code = begin(g, cmd, opts, argc, argv, 0, "options only", &o)) !=
	        0 ||
	    o.help)
		return code;
	return list_pages(g, "lineage nodes", &o.kind, &o.lp, o.all, node_page,
	    table_new(5, headers), "nodes");
}

/* ---- help --------------------------------------------------------------- */

static int cmd_help(cli *g, const command *cmd, int argc, char **argv);

#define PAGING_HELP                                                            \
	"  --limit N        page size (1..1000; the server's default is "      \
	"100)\n"                                                               \
	"  --page-token T   continue from a previous page\n"                   \
	"  --all            follow pages to the end\n"

static const command lineage_commands[] = {
    {
        .name = "lineage upstream",
        .run = cmd_lineage_walk,
        .synopsis = "lineage upstream ID [--depth N] [--limit N] "
                    "[--page-token T] [--all] [--dot]",
        .help = "Lists what ID came from, breadth first: DEPTH, ID, KIND, "
                "VIA (the type of the\n"
                "edge that reached the node), CREATED.\n"
                "  --depth N        how many edges away at most (1..32, "
                "default 5)\n" PAGING_HELP
                "  --dot            a Graphviz digraph of the nodes and "
                "the edges that\n"
                "                   reached them\n"
                "With --json: {\"nodes\": [...], \"edges\": [...], "
                "\"next_page_token\": ...};\n"
                "nodes[0] is ID itself.\n",
    },
    {
        .name = "lineage downstream",
        .run = cmd_lineage_walk,
        .synopsis = "lineage downstream ID [--depth N] [--limit N] "
                    "[--page-token T] [--all] [--dot]",
        .help = "Lists what came from ID, as lineage upstream does the "
                "other way.\n",
    },
    {
        .name = "lineage impact",
        .run = cmd_lineage_impact,
        .synopsis = "lineage impact ID [--depth N] [--limit N] "
                    "[--page-token T] [--all]",
        .help = "What a node (a bad dataset, say) affects: the model "
                "versions downstream of\n"
                "ID with their stage now (MODEL, VERSION, STAGE, DEPTH), "
                "and their live\n"
                "deployments (ID, STAGE, ENVIRONMENT, SINCE). Pages count "
                "versions.\n"
                "  --depth N        how many edges away at most (1..32, "
                "default 32)\n" PAGING_HELP,
    },
    {
        .name = "lineage path",
        .run = cmd_lineage_path,
        .synopsis = "lineage path FROM TO [--depth N] [--dot]",
        .help = "Prints a shortest directed path between two nodes, "
                "either way round, from\n"
                "its upstream end: A -[type]-> B -[type]-> C.\n"
                "  --depth N   the longest path looked for (1..32, default "
                "32)\n"
                "  --dot       a Graphviz digraph of the path\n",
    },
    {
        .name = "lineage show",
        .run = cmd_lineage_show,
        .synopsis = "lineage show ID",
        .help = "Shows a node (kind, name, version, creation, properties; "
                "stage, environment\n"
                "and end of a deployment; dangling references of a model "
                "version) and its\n"
                "direct edges: DIRECTION, TYPE, NODE.\n",
    },
    {
        .name = "lineage nodes",
        .run = cmd_lineage_nodes,
        .synopsis = "lineage nodes [--kind K] [--limit N] [--page-token T] "
                    "[--all]",
        .help = "Lists nodes by id: ID, KIND, NAME, VERSION, CREATED.\n"
                "  --kind K         only nodes of kind K\n" PAGING_HELP,
    },
    {
        .name = "lineage add",
        .run = cmd_lineage_add,
        .synopsis = "lineage add KIND NAME[@VERSION] [--version V] "
                    "[--from ID]... [--type T] [--property K=V]...",
        .help = "Adds a dataset, feature set (features), experiment or "
                "increment node, with\n"
                "edges from existing upstream nodes; KIND:NAME@VERSION "
                "may be one argument.\n"
                "A dataset or feature set may have only a version "
                "(\"dataset @v2024-01\").\n"
                "Model versions whose metadata named the node are linked "
                "to it now; the\n"
                "node's edges are printed.\n"
                "  --version V      the node's version\n"
                "  --from ID        an upstream node; repeatable\n"
                "  --type T         the type of the --from edges; by "
                "default derived_from\n"
                "                   between datasets and feature sets, "
                "trained_on from them\n"
                "                   to an experiment, derived_from "
                "between experiments,\n"
                "                   part_of from an increment\n"
                "  --property K=V   a property; repeatable\n",
    },
    {
        .name = "lineage link",
        .run = cmd_lineage_link,
        .synopsis = "lineage link FROM TO [--type T]",
        .help = "Adds an edge FROM -> TO (FROM is upstream); refused if it "
                "would close a\n"
                "cycle. Without --type, the type is as for lineage add, "
                "and produced_by from\n"
                "an experiment to a model, trained_on from a dataset or "
                "feature set to a\n"
                "model, parent_of between models.\n",
    },
    {
        .name = "lineage rm",
        .run = cmd_lineage_rm,
        .synopsis = "lineage rm ID",
        .help = "Deletes a dataset, feature set, experiment or increment "
                "node that nothing\n"
                "depends on, with its upstream edges. Model version and "
                "deployment nodes are\n"
                "the registry's.\n",
    },
};

static const command alias_commands[] = {
    {
        .name = "alias set",
        .run = cmd_alias_set,
        .synopsis = "alias set NAME ALIAS VERSION [--reason R]",
        .help = "Points ALIAS at VERSION (a version or another alias), "
                "creating or moving it,\n"
                "and says where it pointed before. Alias names are "
                "[a-z][a-z0-9_-]*; \"latest\"\n"
                "and the stage names are reserved.\n"
                "  --reason R   kept in the audit log\n",
    },
    {
        .name = "alias rm",
        .run = cmd_alias_rm,
        .synopsis = "alias rm NAME ALIAS [--reason R]",
        .help = "Removes an alias, and says where it pointed.\n"
                "  --reason R   kept in the audit log\n",
    },
};

/* `audit` is only its subcommands; a new one is one more entry here. */
static const command audit_commands[] = {
    {
        .name = "audit log",
        .run = cmd_audit_log,
        .synopsis = "audit log [NAME] [--from TIME] [--to TIME] [--limit N] "
                    "[--page-token T] [--all]",
        .help = "Lists the audit log, of model NAME or of everything, "
                "oldest first: SEQ,\n"
                "TIME, ACTOR, ACTION, TARGET, REASON. --json adds each "
                "record's before and\n"
                "after states and its hashes.\n"
                "  --from TIME      records at or after TIME (RFC 3339, "
                "2024-01-15T10:00:00Z,\n"
                "                   or a day, from its midnight UTC)\n"
                "  --to TIME        records at or before TIME; without "
                "fractional seconds,\n"
                "                   the whole of that second; a day, the "
                "whole day\n"
                "  --limit N        page size (1..1000; the server's "
                "default is 100)\n"
                "  --page-token T   continue after record T (the note on "
                "stderr gives it)\n"
                "  --all            follow pages to the end\n",
    },
    {
        .name = "audit verify",
        .run = cmd_audit_verify,
        .synopsis = "audit verify",
        .help = "Has the registry recompute the audit log's hash chain. "
                "Prints \"audit log\n"
                "intact: N records, head HASH\" and exits 0, or \"audit "
                "log broken at record\n"
                "N: PROBLEM\" and exits 1.\n",
    },
    {
        .name = "audit report",
        .run = cmd_audit_report,
        .synopsis = "audit report NAME --from DATE --to DATE",
        .help = "Prints a governance report of model NAME over a period, "
                "in Markdown (with\n"
                "--json, as one JSON object): the versions deployed to "
                "production (when, by\n"
                "whom, why), who approved each promotion (the reviews "
                "standing for the stage\n"
                "it entered), the metrics of every version registered by "
                "the end of the\n"
                "period, by registration time, the data sources "
                "(training_data_version,\n"
                "feature_set_version, and the dataset and feature set "
                "nodes within 5 edges\n"
                "upstream in the lineage graph), rollbacks with their "
                "reasons, and the\n"
                "model's audit records. The header names the registry "
                "revision it reflects,\n"
                "not the time it was made: the same state gives the same "
                "report.\n"
                "  --from DATE   start: RFC 3339 (2024-01-15T10:00:00Z) or "
                "a day (2024-01-15,\n"
                "                from its midnight UTC)\n"
                "  --to DATE     end, included: a day runs to its last "
                "millisecond, a time\n"
                "                without fractions to the end of its "
                "second\n"
                "Approval policies are shown as they are now, with the "
                "times they changed.\n"
                "JSON keys: model, period, revision, production_version, "
                "primary_metric,\n"
                "deployments, approvals, policies, policy_changes, metrics, "
                "data_sources,\n"
                "rollbacks, audit.\n",
    },
};

static const command commands[] = {
    {
        .name = "list",
        .run = cmd_list,
        .synopsis = "list [NAME] [--stage S] [--tag K[=V]] [--limit N] "
                    "[--page-token T] [--all]",
        .help = "Without NAME, lists models: NAME, LATEST, PRODUCTION, "
                "VERSIONS, UPDATED.\n"
                "With NAME, lists its versions: VERSION, STAGE, CREATED, "
                "BY, ARTIFACT SIZE, TAGS.\n"
                "  --stage S        only models with a version in S, or "
                "versions in S\n"
                "  --tag K[=V]      only those with tag K (equal to V)\n"
                "  --limit N        page size (1..1000; the server's "
                "default is 100)\n"
                "  --page-token T   continue from a previous page\n"
                "  --all            follow pages to the end\n"
                "Without --all, a note on stderr gives the next page's "
                "token.\n",
    },
    {
        .name = "info",
        .run = cmd_info,
        .synopsis = "info NAME",
        .help = "Shows a model (with its primary metric, metric goals, "
                "aliases and approval\n"
                "policies), a table of all its versions and its last 20 "
                "events.\n",
    },
    {
        .name = "register",
        .run = cmd_register,
        .synopsis = "register NAME PATH --version V|--bump B [--stage S] "
                    "[--description D] [--metadata FILE] [--tag K=V]... "
                    "[--model-description D] [--owner O] [--reason R]",
        .help = "Uploads the artifact at PATH (a file, or a directory of "
                "regular files)\n"
                "and registers it as version V of model NAME, creating "
                "the model if needed.\n"
                "Only chunks the registry does not hold yet are sent.\n"
                "  --version V            semantic version (3.1.0 or "
                "v3.1.0)\n"
                "  --bump B               let the registry number it from "
                "the model's highest\n"
                "                         version: major, minor, patch, "
                "or auto (major if\n"
                "                         the signature lost or retyped "
                "a field or a feature\n"
                "                         was dropped; else minor if "
                "features were added or\n"
                "                         the primary metric improved; "
                "else patch). The\n"
                "                         version and the rule that chose "
                "it are printed.\n"
                "  --stage S              initial stage (default dev)\n"
                "  --description D        the version's description "
                "(wins over the file's)\n"
                "  --metadata FILE        metadata in JSON, as below\n"
                "  --tag K=V              a version tag; repeatable; wins "
                "over the file's\n"
                "  --model-description D  the model's description\n"
                "  --owner O              the model's owner\n"
                "  --reason R             kept in the audit log\n",
    },
    {
        .name = "get",
        .run = cmd_get,
        .synopsis = "get NAME[@VERSION] [--version V | --stage S [--at "
                    "TIME]]",
        .help = "Shows one version: the given one, else the highest in "
                "stage S, else the\n"
                "highest. Stage, creation, how its number was chosen, "
                "deprecation, reviews,\n"
                "description, metadata, lineage, signature, tags and the "
                "artifact's digest,\n"
                "size and files. VERSION may be an alias (fraud@champion), "
                "\"latest\" or a\n"
                "stage name.\n"
                "  --at TIME   the version that was in stage S at TIME "
                "(RFC 3339,\n"
                "              2024-01-15T10:00:00Z), from the stage "
                "history. Without\n"
                "              fractional seconds TIME means the end of "
                "that second (.999),\n"
                "              so a change made within it counts; a date "
                "means the end of\n"
                "              that day.\n",
    },
    {
        .name = "pull",
        .run = cmd_pull,
        .synopsis = "pull NAME[@VERSION] [--version V | --stage S] DEST "
                    "[--force] [--cache DIR [--cache-max SIZE]]",
        .help = "Downloads a version's artifact (selected as for get) and "
                "verifies every chunk\n"
                "before writing it. A one-file artifact is written to DEST, "
                "or into DEST if it\n"
                "is a directory; a directory artifact becomes the directory "
                "DEST. The result\n"
                "appears only when complete. An interrupted pull (killed, "
                "or the network or\n"
                "server gone) leaves DEST.mr-partial-* beside DEST: pulling "
                "again fetches only\n"
                "the chunks not already verified there.\n"
                "  --force       replace an existing destination\n"
                "  --cache DIR   content-addressed chunk cache: chunks found "
                "there are not\n"
                "                fetched, chunks fetched are kept there\n"
                "  --cache-max SIZE  then trim the cache to SIZE (e.g. 20G), "
                "least recently\n"
                "                used chunks first\n",
    },
    {
        .name = "promote",
        .run = cmd_promote,
        .synopsis = "promote NAME VERSION --to STAGE [--expect STAGE] "
                    "[--reason TEXT]",
        .help = "Moves a version to STAGE: dev -> staging -> production, "
                "or any -> archived.\n"
                "Promoting to production archives the previous "
                "production version.\n"
                "  --expect STAGE   only if the version is in STAGE now\n"
                "  --reason TEXT    recorded in the history\n",
    },
    {
        .name = "rollback",
        .run = cmd_rollback,
        .synopsis = "rollback NAME [--to VERSION] --reason TEXT",
        .help = "Returns production to VERSION, which must have been in "
                "production before;\n"
                "without --to, to the version the current one replaced.\n"
                "  --reason TEXT   required; recorded in the history\n",
    },
    {
        .name = "watch",
        .run = cmd_watch,
        .synopsis = "watch [NAME] [--since REV] [--count N]",
        .help = "Follows changes (of NAME, or of all models) as they are "
                "committed, one line\n"
                "per event (with --json, one object per line), never "
                "skipping a revision,\n"
                "until interrupted.\n"
                "  --since REV   start after this revision (default: "
                "now)\n"
                "  --count N     stop after N events\n",
    },
    {
        .name = "sync",
        .run = cmd_sync,
        .synopsis = "sync NAME --dir DIR [--stage S] [--exec CMD] "
                    "[--cache DIR] [--cache-max SIZE] [--keep N] [--once]",
        .help = "Keeps DIR on the version in stage S (default production): "
                "pulls it, verified,\n"
                "to DIR/versions/VERSION (a one-file artifact as "
                "VERSION/FILE, a directory\n"
                "artifact as the directory), then points the symlink "
                "DIR/current at it with\n"
                "one rename, so readers of DIR/current/... see one whole "
                "version, never a\n"
                "partial one. Then follows the model's changes and does "
                "the same whenever the\n"
                "stage gets another version (promotion, rollback), "
                "asking the registry each\n"
                "time; a version still in DIR/versions (rolling back to "
                "the previous one) is\n"
                "switched to without pulling. Connection losses, server "
                "restarts and failed\n"
                "pulls are retried with backoff (100 ms doubling to 30 "
                "s, randomized), and the\n"
                "watch resumes where it was. One line per action on "
                "stderr. SIGTERM or SIGINT\n"
                "stops it (exit 0); a pull under way finishes first.\n"
                "  --once       sync once and exit: 0 in sync, 1 on any "
                "failure (including no\n"
                "               version in S, or a failed --exec), "
                "without retrying\n"
                "  --exec CMD   run \"sh -c CMD\" after each switch, with "
                "MODELREG_VERSION,\n"
                "               MODELREG_PREVIOUS (\"\" if none) and "
                "MODELREG_DIR set; its exit\n"
                "               status is logged. A failing CMD does not "
                "undo the switch (the\n"
                "               registry says S holds the new version); "
                "it stays pending in\n"
                "               DIR/.hook-pending and is run again "
                "(retried with backoff, or at\n"
                "               the next start after a crash or --once "
                "failure) until it\n"
                "               succeeds or a newer switch replaces it\n"
                "  --cache DIR  chunk cache for pulls (default "
                "DIR/.cache)\n"
                "  --cache-max SIZE  trim the cache to SIZE after each pull, "
                "least recently\n"
                "               used first (default: keep x the version's "
                "size)\n"
                "  --keep N     versions kept, current included (default "
                "2: current and\n"
                "               previous); older ones are removed after a "
                "switch\n"
                "One agent per DIR: it holds DIR/.lock. If S comes to hold "
                "no version, DIR is\n"
                "left as it is.\n",
    },
    {
        .name = "history",
        .run = cmd_history,
        .synopsis = "history [NAME] [--after REV] [--limit N]",
        .help = "Lists events (of NAME, or of all models) with a "
                "revision above REV.\n"
                "  --after REV   start after this revision (default 0)\n"
                "  --limit N     at most N events (1..1000)\n"
                "When more remain, a note on stderr gives the next "
                "--after.\n",
    },
    {
        .name = "update",
        .run = cmd_update,
        .synopsis = "update NAME [VERSION] [--description D] [--owner O] "
                    "[--tag K=V]... [--untag K]... [--primary-metric M] "
                    "[--goal METRIC=higher|lower|default]... "
                    "[--signature FILE] [--reason R]",
        .help = "Changes a model (NAME) or a version (NAME VERSION or "
                "NAME@VERSION); each\n"
                "change is an event and an audit record.\n"
                "  --description D     replaces the description (\"\" "
                "clears it)\n"
                "  --tag K=V           sets a tag; repeatable\n"
                "  --untag K           removes a tag; repeatable\n"
                "  --reason R          kept in the audit log\n"
                "A model only:\n"
                "  --owner O           replaces the owner\n"
                "  --primary-metric M  the metric that decides "
                "\"improved\" in automatic bumps\n"
                "                      and comparisons (\"\" clears "
                "it)\n"
                "  --goal METRIC=G     whether higher or lower is better "
                "for METRIC; default\n"
                "                      removes the goal (then names "
                "holding latency, loss,\n"
                "                      error, size, mae, mse, rmse or "
                "ending in _ms, _bytes\n"
                "                      are lower-is-better, others "
                "higher); repeatable\n"
                "A version only:\n"
                "  --signature FILE    replaces the signature: JSON "
                "{\"inputs\": ..., \"outputs\":\n"
                "                      ...}, each {\"name\": \"type\", "
                "...} or [{\"name\": ..., \"type\":\n"
                "                      ...}, ...], in order. Refused "
                "for a production version,\n"
                "                      and for one that would break "
                "production's signature\n"
                "                      unless its major number is "
                "higher.\n",
    },
    {
        .name = "signature",
        .run = cmd_signature,
        .synopsis = "signature NAME[@VERSION] [--version V | --stage S]",
        .help = "Shows a version's signature (selected as for get): NAME, "
                "TYPE, DIRECTION\n"
                "(input or output), inputs first, each in order.\n",
    },
    {
        .name = "policy",
        .run = cmd_policy,
        .synopsis = "policy NAME [STAGE --require N [--approver U]... "
                    "[--reason R]]",
        .help = "With NAME alone, shows the model's approval policies: "
                "STAGE, REQUIRED,\n"
                "APPROVERS. With STAGE (staging or production), sets that "
                "stage's: a version\n"
                "enters it only with N approvals that count (see "
                "approve).\n"
                "  --require N    approvals needed (0..64); 0 removes the "
                "policy\n"
                "  --approver U   a user whose approval counts; "
                "repeatable; with none,\n"
                "                 anyone's but the version's "
                "registrant\n"
                "  --reason R     kept in the audit log\n",
    },
    {
        .name = "approve",
        .run = cmd_review,
        .synopsis = "approve NAME VERSION --stage S [--comment C] "
                    "[--override-separation]",
        .help = "Approves a version for stage S (staging or production) as "
                "your token's\n"
                "identity. A later review of yours for the same stage "
                "replaces this one. The\n"
                "registrant of a version cannot review it, and a policy "
                "with approvers admits\n"
                "only them. Prints the approvals that count now, of the "
                "number the policy needs.\n"
                "  --override-separation  an ADMIN approving its own "
                "version; needs --comment,\n"
                "                 and the approval and the audit log say "
                "it was an override\n",
    },
    {
        .name = "reject",
        .run = cmd_review,
        .synopsis = "reject NAME VERSION --stage S --comment C",
        .help = "Rejects a version for stage S as your token's identity, saying "
                "why; replaces a review\n"
                "of yours for that stage, as approve does.\n",
    },
    {
        .name = "deprecate",
        .run = cmd_deprecate,
        .synopsis = "deprecate NAME VERSION --reason R [--eol TIME]",
        .help = "Marks a version deprecated: it can no longer be promoted "
                "(archiving still\n"
                "works), and get shows why.\n"
                "  --reason R   required\n"
                "  --eol TIME   its end of life: an RFC 3339 time or a "
                "date (2025-06-30)\n",
    },
    {
        .name = "undeprecate",
        .run = cmd_deprecate,
        .synopsis = "undeprecate NAME VERSION [--reason R]",
        .help = "Withdraws a version's deprecation.\n"
                "  --reason R   kept in the audit log\n",
    },
    {
        .name = "delete",
        .run = cmd_delete,
        .synopsis = "delete NAME[@VERSION] --reason R",
        .help = "Deletes a version, or with NAME alone the model and every "
                "version of it.\n"
                "Refused for a version in production or one an alias points "
                "at (and for a\n"
                "model with a production version). A deleted version is gone "
                "from get, list\n"
                "and search, and its number is never registered again; its "
                "events, stage\n"
                "history, audit records and lineage node stay. Its chunks "
                "are freed by the\n"
                "next garbage collection (modelregd gc) unless another "
                "version shares them.\n"
                "  --reason R   required; kept in the audit log\n",
    },
    {
        .name = "alias",
        .run = cmd_alias,
        .synopsis = "alias NAME",
        .help = "Lists a model's aliases: ALIAS, VERSION. Wherever a "
                "command takes a version,\n"
                "an alias may stand in its place (get fraud@champion), as "
                "may \"latest\" and the\n"
                "stage names. A model named like a subcommand is listed "
                "with info.\n",
        .subs = alias_commands,
        .n_subs = sizeof(alias_commands) / sizeof(alias_commands[0]),
    },
    {
        .name = "split",
        .run = cmd_split,
        .synopsis = "split NAME --canary STAGE --percent P [--reason R]",
        .help = "Sets the model's traffic split: P percent of routing keys "
                "(up to two\n"
                "decimals) resolve to the highest version in STAGE (dev or "
                "staging), the rest\n"
                "to production. The same keys stay on the canary side when "
                "P grows.\n"
                "  --percent 0   removes the split\n"
                "  --reason R    kept in the audit log\n",
    },
    {
        .name = "resolve",
        .run = cmd_resolve,
        .synopsis = "resolve NAME KEY",
        .help = "Says which version routing key KEY (1..256 bytes) should "
                "use under the\n"
                "model's traffic split: version, stage, side (canary or "
                "production) and the\n"
                "key's bucket (0..9999; canary when below the split's basis "
                "points).\n",
    },
    {
        .name = "compare",
        .run = cmd_compare,
        .synopsis = "compare NAME BASELINE CANDIDATE",
        .help = "Compares two versions (or aliases) of a model:\n"
                "  Comparison: 3.0.0 vs 3.1.0\n"
                "  Metrics:\n"
                "  - accuracy: 0.85 → 0.87 (+2.4%) better\n"
                "  - latency_p50_ms: 40 → 35 (-12.5%) better\n"
                "  Features:\n"
                "  - added: merchant_reputation_score\n"
                "  Size: 12.0 MiB → 10.1 MiB\n"
                "  Recommendation: 3.1.0 is better (improves 2 of 2 "
                "metrics)\n"
                "Whether a metric is better higher or lower is the "
                "model's goal for it (see\n"
                "update --goal). A metric one side lacks shows "
                "\"(absent)\"; features added,\n"
                "removed or moved (\"- moved: x (3 → 5)\") and signature "
                "changes (breaking ones\n"
                "marked) follow when there are any, and \"Reasons:\" "
                "after the recommendation.\n",
    },
    {
        .name = "search",
        .run = cmd_search,
        .synopsis = "search [FILTER] [--order-by O] [--limit N] "
                    "[--page-token T] [--all]",
        .help = "Lists the versions of every model that match FILTER: "
                "NAME, VERSION, STAGE,\n"
                "CREATED, BY, TAGS.\n"
                "  FILTER is one argument, conditions joined by AND, OR, "
                "NOT and parentheses:\n"
                "    field op value, op one of = != < <= > >= GLOB "
                "CONTAINS EXISTS\n"
                "  fields: name version stage description created_by "
                "created_at framework\n"
                "    framework_version python_version experiment "
                "training_data_version\n"
                "    feature_set_version increment parent_model "
                "deprecated features alias\n"
                "    metrics.K tags.K model.tags.K hyperparameters.K\n"
                "  e.g. \"name GLOB 'fraud-*' AND metrics.accuracy >= 0.9 "
                "AND stage != archived\"\n"
                "  A malformed filter is refused, naming the byte "
                "position.\n"
                "  --order-by O     \"field [asc|desc], ...\" over the "
                "same fields (default:\n"
                "                   name, then version)\n"
                "  --limit N        page size (1..1000; the server's "
                "default is 100)\n"
                "  --page-token T   continue from a previous page\n"
                "  --all            follow pages to the end\n",
    },
    {
        .name = "audit",
        .run = cmd_subcommands,
        .synopsis = "audit SUBCOMMAND",
        .help = "The audit log: one hash-chained record of every change, "
                "written with it.\n",
        .subs = audit_commands,
        .n_subs = sizeof(audit_commands) / sizeof(audit_commands[0]),
    },
    {
        .name = "whoami",
        .run = cmd_whoami,
        .synopsis = "whoami",
        .help = "Prints the identity of your token (the actor of your "
                "changes), its grants\n"
                "(ROLE:MODELS[:STAGE]) and its expiry.\n",
    },
    {
        .name = "scrub",
        .run = cmd_scrub,
        .synopsis = "scrub",
        .help = "Has the registry read every stored chunk, decode it and "
                "check its length\n"
                "and SHA-256 against its digest, in slices (Scrub/Run). "
                "Prints \"damaged\n"
                "DIGEST: REASON (DETAIL)\" per damaged chunk, then "
                "\"scrubbed N chunks (B\n"
                "bytes): K damaged\"; exits 1 if any is damaged.\n",
    },
    {
        .name = "lineage",
        .run = cmd_lineage,
        .synopsis = "lineage NAME VERSION [--depth N] [--all-deployments] "
                    "[--dot]",
        .help = "Shows where a version came from: what lies upstream of it "
                "(datasets, feature\n"
                "sets, experiments, increments, parent versions) and its live "
                "deployments, as\n"
                "a tree from the roots down. Each node is shown once, under "
                "the parent on its\n"
                "longest path from a root:\n"
                "  data:v2024-01\n"
                "  └─> feature-engineering:v1\n"
                "      └─> experiment:exp-003-xgboost\n"
                "          └─> model:fraud-detection-model-3.1.0\n"
                "              └─> deployment:production\n"
                "References in the version's metadata that name no node yet "
                "follow as\n"
                "\"dangling:\" lines.\n"
                "  --depth N           how many edges upstream at most "
                "(1..32, default 10)\n"
                "  --all-deployments   ended deployments too, marked (ended "
                "TIME); by default\n"
                "                      only live ones are shown\n"
                "  --dot               a Graphviz digraph, edges labelled "
                "with their types\n"
                "With --json: {\"nodes\": [...], \"edges\": [...]}, the same "
                "graph.\n"
                "\n"
                "Node ids are KIND:NAME@VERSION, or KIND:NAME for nodes "
                "without a version\n"
                "(dataset:transactions@v2024-01, experiment:exp-003, "
                "model:fraud@3.1.0,\n"
                "deployment:fraud@3.1.0/production/42); KIND:VERSION and "
                "KIND:NAME also find\n"
                "the one node of that kind with that version or name. Kinds: "
                "dataset (or\n"
                "data), features (or feature-engineering), experiment, "
                "increment, model,\n"
                "deployment. Edges point downstream; their types: "
                "derived_from, trained_on,\n"
                "produced_by, part_of, parent_of, deployed_as. A model named "
                "like a\n"
                "subcommand is shown with NAME@VERSION.\n",
        .subs = lineage_commands,
        .n_subs = sizeof(lineage_commands) / sizeof(lineage_commands[0]),
    },
    {
        .name = "export",
        .run = cmd_export,
        .synopsis = "export DIR [--model NAME]... [--no-artifacts]",
        .help = "Writes the registry, or the models named, into folder DIR "
                "as plain files:\n"
                "  registry/model_catalog.yaml     every model and version: "
                "stage, creation,\n"
                "                                  framework, metrics, tags, "
                "deprecation, artifact\n"
                "  registry/deployment_history.md  each model's stage "
                "changes and rollbacks\n"
                "  models/NAME/README.md           production version, "
                "key metrics, version\n"
                "                                  history and rollback "
                "plan\n"
                "  models/NAME/NAME-VERSION/       the artifact's files, "
                "metadata.json (the\n"
                "                                  whole record), "
                "requirements.txt, features.yaml\n"
                "  increments/INC/...              the same, for the "
                "versions whose metadata\n"
                "                                  names increment INC "
                "(artifact files are hard\n"
                "                                  links where possible): "
                "registry/ and\n"
                "                                  "
                "models/NAME/NAME-VERSION/\n"
                "An increment name that is not a plain file name of at "
                "most 200 bytes\n"
                "([A-Za-z0-9._-]) becomes one: the name cleaned and cut, "
                "'~' and 12 hex\n"
                "digits of its SHA-256.\n"
                "An artifact with a file named like one of ours goes into "
                "NAME-VERSION/artifact/.\n"
                "The same registry state gives the same bytes: nothing "
                "says when the export\n"
                "ran, and everything is sorted. Each file is written beside "
                "its place and\n"
                "renamed there; files that hold the right bytes already, "
                "and artifacts whose\n"
                "files match their digests, are left alone, so exporting "
                "again into DIR\n"
                "updates it in place. A full export (no --model) then "
                "removes the files\n"
                "under DIR/models and DIR/increments that it did not "
                "write, but only in a\n"
                "folder an export made (it holds .modelreg-export) or where "
                "neither existed;\n"
                "with --model nothing is removed.\n"
                "  --model NAME     export this model's folders; repeatable "
                "(default: every\n"
                "                   model). The registry/ files still "
                "describe every model,\n"
                "                   whose metadata is read (no artifacts).\n"
                "  --no-artifacts   metadata only: pull no artifact files "
                "(those already in\n"
                "                   DIR are kept)\n",
    },
    {
        .name = "help",
        .run = cmd_help,
        .synopsis = "help [COMMAND [SUBCOMMAND]]",
        .help = "Shows help for a command, or lists the commands.\n",
    },
};

static const char global_help[] =
    "Global options (anywhere on the line, before any \"--\"):\n"
    "  --server URL   registry address (default: $MODELREG_SERVER, "
    "else " MR_DEFAULT_URL ")\n"
    "  --token TOKEN  your token \"<id>.<secret>\" (default: "
    "$MODELREG_TOKEN);\n"
    "                 its identity is recorded as the actor of your "
    "changes\n"
    "  --token-file FILE  the token from the first line of FILE\n"
    "  --timeout MS   time limit of each call in milliseconds (default "
    "30000)\n"
    "  --ca FILE      for tls+tcp:// servers: the CA certificate (PEM) that\n"
    "                 signed the server's; the certificate must name the\n"
    "                 URL's host (default: $MODELREG_TLS_CA)\n"
    "  --cert FILE, --key FILE  a client certificate and its unencrypted\n"
    "                 key (PEM), for servers that require one (default:\n"
    "                 $MODELREG_TLS_CERT, $MODELREG_TLS_KEY)\n"
    "  --json         print results as JSON on stdout\n"

    "Exit status: 0 done, 1 refused or failed (message on stderr), 2 bad "
    "usage.\n";

static const command *
find_command(const char *name)
{
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

/* The subcommand of `cmd` called `word` ("upstream"); NULL if none. */
static const command *
find_sub(const command *cmd, const char *word)
{
	size_t skip = strlen(cmd->name) + 1;

	for (size_t i = 0; i < cmd->n_subs; i++)
		if (strcmp(cmd->subs[i].name + skip, word) == 0)
			return &cmd->subs[i];
	return NULL;
}

static int
general_help(FILE *f, int code)
{
	fputs("usage: modelreg [--server URL] [--token T] [--timeout MS] "
	      "[--ca FILE]\n"
	      "                [--cert FILE --key FILE] [--json] COMMAND ..."
	      "\n\nCommands:\n",
	    f);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		fprintf(f, "  modelreg %s\n", commands[i].synopsis);
		for (size_t k = 0; k < commands[i].n_subs; k++)
			fprintf(
			    f, "  modelreg %s\n", commands[i].subs[k].synopsis);
	}
	fprintf(f,
	    "\n%s\"modelreg help COMMAND\" (or COMMAND --help) tells "
	    "more.\n",
	    global_help);
	return code;
}

int
help_for(const command *cmd, FILE *f, int code)
{
	fprintf(f, "usage: modelreg %s\n\n%s", cmd->synopsis, cmd->help);
	if (cmd->run == cmd_register)
		fprintf(f, "\n%s", cli_meta_help);
	for (size_t i = 0; i < cmd->n_subs; i++)
		fprintf(f, "\nmodelreg %s\n%s", cmd->subs[i].synopsis,
		    cmd->subs[i].help);
	fprintf(f, "\n%s", global_help);
	return code;
}

static int
cmd_help(cli *g, const command *cmd, int argc, char **argv)
{
	const command *which;

	(void)g;
	if (argc > 3)
		return usage_error(cmd, "one command (and subcommand) at most");
	if (argc == 1 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)
		return general_help(stdout, 0);
	if ((which = find_command(argv[1])) == NULL)
		return usage_error(cmd, "no command \"%s\"", argv[1]);
	if (argc == 3 && (which = find_sub(which, argv[2])) == NULL)
		return usage_error(
		    cmd, "no command \"%s %s\"", argv[1], argv[2]);
	return help_for(which, stdout, 0);
}

/* ---- main --------------------------------------------------------------- */

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

/*
 * The first line of `path` (a token file), into out[cap]; a message and
 * non-zero if it cannot be read or holds no line.
 */
static int
read_token_file(const char *path, char *out, size_t cap)
{
	FILE *f = fopen(path, "r");
	size_t n;

	if (f == NULL) {
		fprintf(stderr, "modelreg: --token-file %s: %s\n", path,
		    strerror(errno));
		return CLI_EXIT_USAGE;
	}
	if (fgets(out, (int)cap, f) == NULL)
		out[0] = '\0';
	fclose(f);
	n = strcspn(out, "\r\n");
	out[n] = '\0';
	if (n == 0) {
		fprintf(stderr, "modelreg: --token-file %s holds no token\n",
		    path);
		return CLI_EXIT_USAGE;
	}
	return 0;
}

/*
 * Takes the global options out of argv wherever they stand, before or
 * after the command (up to a "--"), so that "modelreg get m --json" works
 * as well as "modelreg --json get m". Returns 0, or an exit code.
 */
static int
take_globals(cli *g, int *argc, char **argv)
{
	static const command top = {.name = "global options"};
	static const char *const names[] = {"--server", "--token",
	    "--token-file", "--ca", "--cert", "--key", "--timeout"};
	static char token[MR_TEXT_MAX + 2];
	int out = 1;

	for (int i = 1; i < *argc; i++) {
		const char *a = argv[i], *val = NULL;
		size_t k;

		if (strcmp(a, "--") == 0) {
			while (i < *argc)
				argv[out++] = argv[i++];
			break;
		}
		if (strcmp(a, "--json") == 0) {
			g->json = true;
			continue;
		}
		for (k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
			size_t n = strlen(names[k]);
			if (strncmp(a, names[k], n) == 0 &&
			    (a[n] == '\0' || a[n] == '='))
				break;
		}
		if (k == sizeof(names) / sizeof(names[0])) {
			argv[out++] = argv[i];
			continue;
		}
		if (strchr(a, '=') != NULL)
			val = strchr(a, '=') + 1;
		else if (i + 1 < *argc)
			val = argv[++i];
		else
			return usage_error(&top, "%s wants a value", a);
		if (k == 0) {
			g->server = val;
		} else if (k == 1) {
			g->token = val;
		} else if (k == 2) {
			int code = read_token_file(val, token, sizeof(token));
			if (code != 0)
				return code;
			g->token = token;
		} else if (k == 3) {
			g->tls_ca = val;
		} else if (k == 4) {
			g->tls_cert = val;
		} else if (k == 5) {
			g->tls_key = val;
		} else {
			uint64_t ms;
			if (!parse_u64(val, INT_MAX, &ms) || ms == 0)
				return usage_error(&top,
				    "--timeout wants milliseconds, 1 or more");
			g->timeout_ms = (int)ms;
		}
	}
	argv[out] = NULL;
	*argc = out;
	return 0;
}

int
main(int argc, char **argv)
{
	const command *cmd;
	cli g = {0};
	int code;

	g.server = env("MODELREG_SERVER") != NULL ? env("MODELREG_SERVER")
	                                          : MR_DEFAULT_URL;
	g.token = env("MODELREG_TOKEN");
	g.tls_ca = env("MODELREG_TLS_CA");
	g.tls_cert = env("MODELREG_TLS_CERT");
	g.tls_key = env("MODELREG_TLS_KEY");
	if ((code = take_globals(&g, &argc, argv)) != 0)
		return code;
	if (argc < 2)
		return general_help(stderr, CLI_EXIT_USAGE);
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
		return general_help(stdout, 0);
	if ((cmd = find_command(argv[1])) == NULL) {
		fprintf(stderr, "modelreg: no command \"%s\"\n\n", argv[1]);
		return general_help(stderr, CLI_EXIT_USAGE);
	}
	code = cmd->run(&g, cmd, argc - 1, argv + 1);
	mr_client_close(g.c);
	return code;
}
