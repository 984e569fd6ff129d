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
 * what the function does.
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
#include "common.h"

typedef struct cli {
	const char *server;
	const char *user;
	const char *token;
	int timeout_ms;
	bool json;
	mr_client *c;
} cli;

typedef struct command command;
struct command {
	const char *name;
	int (*run)(cli *g, const command *cmd, int argc, char **argv);
	const char *synopsis;
	const char *help;
};

static const command *find_command(const char *name);
static int help_for(const command *cmd, FILE *f, int code);

/* ---- errors ------------------------------------------------------------- */

static int usage_error(const command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
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
static int status_error(const cli *g, mr_status rv, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
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
static int
option_error(const command *cmd, int ch, char **argv)
{
	const char *arg = argv[optind - 1];

	if (ch == ':')
		return usage_error(cmd, "option %s needs a value", arg);
	return usage_error(cmd, "unknown option %s", arg);
}

static int
connect_client(cli *g)
{
	mr_client_options o = {
	    .user = g->user,
	    .token = g->token,
	    .timeout_ms = g->timeout_ms,
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

static bool
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

static int
stage_arg(const command *cmd, const char *opt, const char *text, mr_stage *out)
{
	if (mr_stage_parse(text, out) != 0)
		return usage_error(cmd,
		    "%s \"%s\" is not a stage (dev, staging, production, "
		    "archived)",
		    opt, text);
	return 0;
}

static int
count_arg(const command *cmd, const char *opt, const char *text, uint32_t *out)
{
	uint64_t v;

	if (!parse_u64(text, MR_PAGE_SIZE_MAX, &v) || v == 0)
		return usage_error(cmd, "%s wants a number from 1 to %d", opt,
		    MR_PAGE_SIZE_MAX);
	*out = (uint32_t)v;
	return 0;
}

/* Which version a command is about: NAME, NAME@VERSION, --version V or
 * --stage S. */
typedef struct selector {
	const char *name;
	const char *version; /* NULL: by stage or latest */
	mr_stage stage;
	char what[MR_NAME_MAX + MR_VERSION_MAX + 32]; /* for messages */
} selector;

static int
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

/* ---- shared output ------------------------------------------------------ */

static const char *const version_headers[] = {
    "VERSION", "STAGE", "CREATED", "BY", "ARTIFACT SIZE", "TAGS"};

static void
version_row(table *t, const mr_version *v)
{
	char created[32], size[32];
	char *tags = cli_kv_join(v->tags, v->n_tags, ",");
	const char *cells[] = {v->version, mr_stage_name(v->stage),
	    mr_format_time(v->created_at_ms, created), v->created_by,
	    cli_size(v->artifact_size, size), tags};

	table_row(t, cells);
	free(tags);
}

static table *
event_table(bool with_model)
{
	static const char *const with[] = {"REVISION", "TIME", "EVENT", "MODEL",
	    "VERSION", "FROM", "TO", "ACTOR", "REASON"};
	static const char *const without[] = {"REVISION", "TIME", "EVENT",
	    "VERSION", "FROM", "TO", "ACTOR", "REASON"};

	return with_model ? table_new(9, with) : table_new(8, without);
}

static void
event_row(table *t, const mr_event *ev, bool with_model)
{
	char rev[24], time[32];
	const char *cells[9];
	size_t n = 0;

	snprintf(rev, sizeof(rev), "%llu", (unsigned long long)ev->revision);
	cells[n++] = rev;
	cells[n++] = mr_format_time(ev->time_ms, time);
	cells[n++] = mr_event_kind_name(ev->kind);
	if (with_model)
		cells[n++] = ev->model;
	cells[n++] = ev->version;
	cells[n++] = mr_stage_name(ev->from_stage);
	cells[n++] = mr_stage_name(ev->to_stage);
	cells[n++] = ev->actor;
	cells[n++] = ev->reason;
	table_row(t, cells);
}

/* Progress on a terminal: "uploading  42%  12.0 MiB of 28.5 MiB". */
typedef struct progress {
	const char *verb;
	int shown; /* last percentage printed; -1 before the first */
} progress;

static void
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

static void
end_progress(const progress *p)
{
	if (p->shown >= 0)
		fputs("\r\033[K", stderr);
}

static bool
want_progress(const cli *g)
{
	return !g->json && isatty(STDERR_FILENO);
}

/* ---- list --------------------------------------------------------------- */

/*
 * One page of a listing: adds its rows to `t` and its items to `items`,
 * and returns the next page's token ("" after the last page).
 */
typedef mr_status (*page_fn)(cli *g, const char *name, mr_list_params *lp,
    table *t, json_object *items, char **next);

static mr_status
model_page(cli *g, const char *name, mr_list_params *lp, table *t,
    json_object *items, char **next)
{
	mr_model_list *l;
	mr_status rv;

	(void)name;
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
		json_object_array_add(items, cj_model(m));
	}
	*next = cli_strdup(l->next_page_token);
	mr_model_list_free(l);
	return MR_OK;
}

static mr_status
version_page(cli *g, const char *name, mr_list_params *lp, table *t,
    json_object *items, char **next)
{
	mr_version_list *l;
	mr_status rv;

	if ((rv = mr_list_versions(g->c, name, lp, &l)) != MR_OK)
		return rv;
	for (size_t i = 0; i < l->count; i++) {
		version_row(t, &l->items[i]);
		json_object_array_add(items, cj_version(&l->items[i]));
	}
	*next = cli_strdup(l->next_page_token);
	mr_version_list_free(l);
	return MR_OK;
}

/* Prints one page, or with `all` every page, as a table or as JSON
 * {"<what>": [...], "next_page_token": "..."}. */
static int
list_pages(cli *g, const char *name, mr_list_params *lp, bool all, page_fn page,
    table *t, const char *what)
{
	json_object *items = json_object_new_array();
	char *token = NULL;
	mr_status rv;

	for (;;) {
		char *next = NULL;

		rv = page(g, name, lp, t, items, &next);
		free(token);
		token = next;
		if (rv != MR_OK || !all || token[0] == '\0')
			break;
		lp->page_token = token;
	}
	if (rv != MR_OK) {
		json_object_put(items);
		table_free(t);
		return name != NULL ? status_error(g, rv, "list %s", name)
		                    : status_error(g, rv, "list");
	}
	if (g->json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, what, items);
		json_object_object_add(
		    o, "next_page_token", json_object_new_string(token));
		cj_print(o);
	} else {
		json_object_put(items);
		table_print(t, stdout);
	}
	if (token[0] != '\0')
		fprintf(stderr,
		    "modelreg: more %s: add --page-token %s (or "
		    "--all)\n",
		    what, token);
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
	    {"limit", required_argument, NULL, 'n'},
	    {"page-token", required_argument, NULL, 'p'},
	    {"all", no_argument, NULL, 'a'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	mr_list_params lp = {0};
	bool all = false;
	int ch, rv;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			if ((rv = stage_arg(
			         cmd, "--stage", optarg, &lp.stage)) != 0)
				return rv;
			break;
		case 't':
			lp.tag = optarg;
			break;
		case 'n':
			if ((rv = count_arg(
			         cmd, "--limit", optarg, &lp.page_size)) != 0)
				return rv;
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
		return usage_error(cmd, "one model name at most");
	if ((rv = connect_client(g)) != 0)
		return rv;
	if (optind == argc) {
		static const char *const headers[] = {
		    "NAME", "LATEST", "PRODUCTION", "VERSIONS", "UPDATED"};
		return list_pages(g, NULL, &lp, all, model_page,
		    table_new(5, headers), "models");
	}
	return list_pages(g, argv[optind], &lp, all, version_page,
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

static int
tag_arg(const command *cmd, const char *text, mr_kv **kv, size_t *n)
{
	char key[MR_TAG_KEY_MAX + 2];
	const char *eq = strchr(text, '=');
	size_t len;

	if (eq == NULL)
		return usage_error(
		    cmd, "--tag wants KEY=VALUE, not \"%s\"", text);
	len = (size_t)(eq - text);
	if (len >= sizeof(key))
		len = sizeof(key) - 1; /* too long: the library will say so */
	memcpy(key, text, len);
	key[len] = '\0';
	if (cli_kv_set(kv, n, key, eq + 1) != 0)
		return usage_error(cmd, "out of memory");
	return 0;
}

static void
print_registered(const cli *g, const mr_version *v)
{
	const mr_transfer_stats *s = mr_client_transfer_stats(g->c);
	char hex[65], size[32], wire[32];

	if (g->json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "version", cj_version(v));
		json_object_object_add(o, "transfer", cj_stats(s));
		json_object_object_add(o, "revision",
		    json_object_new_uint64(mr_client_revision(g->c)));
		cj_print(o);
		return;
	}
	printf("registered %s %s (%s), revision %llu\n", v->name, v->version,
	    mr_stage_name(v->stage),
	    (unsigned long long)mr_client_revision(g->c));
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
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *metadata = NULL;
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
			code = tag_arg(cmd, optarg, &tags, &n_tags);
			break;
		case 'D':
			p.model_description = optarg;
			break;
		case 'o':
			p.model_owner = optarg;
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
	if (p.version == NULL) {
		code = usage_error(cmd, "--version is required");
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
		code = status_error(g, rv, "register %s %s", p.name, p.version);
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

/* Builds a line with a memory stream; "" when nothing is written. */
typedef struct line {
	FILE *f;
	char *buf;
	size_t len;
} line;

static void
line_start(line *l)
{
	l->buf = NULL;
	l->len = 0;
	if ((l->f = open_memstream(&l->buf, &l->len)) == NULL) {
		fputs("modelreg: out of memory\n", stderr);
		exit(CLI_EXIT_STATUS);
	}
}

static char *
line_end(line *l)
{
	fclose(l->f);
	return l->buf;
}

static void
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
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
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
	if (argc - optind != 1)
		return usage_error(cmd, "give one model name");
	if ((code = select_version(cmd, argv[optind], version, stage, &sel)) !=
	        0 ||
	    (code = connect_client(g)) != 0)
		return code;
	rv = mr_get_version(g->c, sel.name, sel.version, sel.stage, &v);
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
		case 'h':
			return help_for(cmd, stdout, 0);
		default:
			return option_error(cmd, ch, argv);
		}
	}
	if (argc - optind != 2)
		return usage_error(cmd, "give a model name and a destination");
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
		printf("%.2f s, %s/s; %llu chunks, %s on the wire\n", secs,
		    cli_size(secs > 0 ? (uint64_t)((double)s->bytes / secs)
		                      : s->bytes,
		        rate),
		    (unsigned long long)s->chunks_sent,
		    cli_size(s->bytes_sent, wire));
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
	if (argc - optind < 1 || argc - optind > 2)
		return usage_error(cmd, "give NAME VERSION (or NAME@VERSION)");
	if ((code = select_version(cmd, argv[optind],
	         argc - optind == 2 ? argv[optind + 1] : NULL, MR_STAGE_NONE,
	         &sel)) != 0)
		return code;
	if (sel.version == NULL)
		return usage_error(cmd, "which version? give NAME VERSION");
	if (to == MR_STAGE_NONE)
		return usage_error(cmd, "--to STAGE is required");
	if ((code = connect_client(g)) != 0)
		return code;
	rv = mr_promote(g->c, sel.name, sel.version, to, expect, reason, &v);
	if (rv != MR_OK)
		return status_error(g, rv, "promote %s", sel.what);
	if (g->json) {
		json_object *o = json_object_new_object();
		json_object_object_add(o, "version", cj_version(v));
		json_object_object_add(o, "revision",
		    json_object_new_uint64(mr_client_revision(g->c)));
		cj_print(o);
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
		json_object *o = json_object_new_object();
		json_object_object_add(o, "version", cj_version(v));
		json_object_object_add(o, "revision",
		    json_object_new_uint64(mr_client_revision(g->c)));
		cj_print(o);
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

/* ---- help --------------------------------------------------------------- */

static int cmd_help(cli *g, const command *cmd, int argc, char **argv);

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
        .help = "Shows a model, a table of all its versions and its last "
                "20 events.\n",
    },
    {
        .name = "register",
        .run = cmd_register,
        .synopsis = "register NAME PATH --version V [--stage S] "
                    "[--description D] [--metadata FILE] [--tag K=V]... "
                    "[--model-description D] [--owner O]",
        .help = "Uploads the artifact at PATH (a file, or a directory of "
                "regular files)\n"
                "and registers it as version V of model NAME, creating "
                "the model if needed.\n"
                "Only chunks the registry does not hold yet are sent.\n"
                "  --version V            semantic version (3.1.0 or "
                "v3.1.0)\n"
                "  --stage S              initial stage (default dev)\n"
                "  --description D        the version's description "
                "(wins over the file's)\n"
                "  --metadata FILE        metadata in JSON, as below\n"
                "  --tag K=V              a version tag; repeatable; wins "
                "over the file's\n"
                "  --model-description D  the model's description\n"
                "  --owner O              the model's owner\n",
    },
    {
        .name = "get",
        .run = cmd_get,
        .synopsis = "get NAME[@VERSION] [--version V | --stage S]",
        .help = "Shows one version: the given one, else the highest in "
                "stage S, else the\n"
                "highest. Stage, creation, description, metadata, "
                "lineage, signature, tags\n"
                "and the artifact's digest, size and files.\n",
    },
    {
        .name = "pull",
        .run = cmd_pull,
        .synopsis = "pull NAME[@VERSION] [--version V | --stage S] DEST "
                    "[--force]",
        .help = "Downloads a version's artifact (selected as for get) and "
                "verifies every chunk\n"
                "and file. A one-file artifact is written to DEST, or "
                "into DEST if it is a\n"
                "directory; a directory artifact becomes the directory "
                "DEST. The result\n"
                "appears only when complete.\n"
                "  --force   replace an existing destination\n",
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
        .name = "help",
        .run = cmd_help,
        .synopsis = "help [COMMAND]",
        .help = "Shows help for a command, or lists the commands.\n",
    },
};

static const char global_help[] =
    "Global options (anywhere on the line, before any \"--\"):\n"
    "  --server URL   registry address (default: $MODELREG_SERVER, "
    "else " MR_DEFAULT_URL ")\n"
    "  --user NAME    who you are, recorded as the actor of changes\n"
    "                 (default: $MODELREG_USER, else $USER, else your login "
    "name)\n"
    "  --timeout MS   time limit of each call in milliseconds (default "
    "30000)\n"
    "  --json         print results as JSON on stdout\n"
    "Environment: MODELREG_TOKEN is sent as the bearer token.\n"
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

static int
general_help(FILE *f, int code)
{
	fputs("usage: modelreg [--server URL] [--user NAME] [--timeout MS] "
	      "[--json] COMMAND ...\n\nCommands:\n",
	    f);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  modelreg %s\n", commands[i].synopsis);
	fprintf(f,
	    "\n%s\"modelreg help COMMAND\" (or COMMAND --help) tells "
	    "more.\n",
	    global_help);
	return code;
}

static int
help_for(const command *cmd, FILE *f, int code)
{
	fprintf(f, "usage: modelreg %s\n\n%s", cmd->synopsis, cmd->help);
	if (cmd->run == cmd_register)
		fprintf(f, "\n%s", cli_meta_help);
	fprintf(f, "\n%s", global_help);
	return code;
}

static int
cmd_help(cli *g, const command *cmd, int argc, char **argv)
{
	const command *which;

	(void)g;
	if (argc > 2)
		return usage_error(cmd, "one command at most");
	if (argc == 1 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0)
		return general_help(stdout, 0);
	if ((which = find_command(argv[1])) == NULL)
		return usage_error(cmd, "no command \"%s\"", argv[1]);
	return help_for(which, stdout, 0);
}

/* ---- main --------------------------------------------------------------- */

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

/* $MODELREG_USER, else $USER, else the password database's name for us:
 * changes should never be recorded as made by nobody. */
static const char *
login_name(void)
{
	struct passwd *pw;

	if (env("MODELREG_USER") != NULL)
		return env("MODELREG_USER");
	if (env("USER") != NULL)
		return env("USER");
	pw = getpwuid(getuid());
	return pw != NULL ? pw->pw_name : NULL;
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
	static const char *const names[] = {"--server", "--user", "--timeout"};
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
			g->user = val;
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
	g.user = login_name();
	g.token = env("MODELREG_TOKEN");
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
