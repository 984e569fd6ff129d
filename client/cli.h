/*
 * cli.h - what the files of the modelreg CLI share: the metadata file
 * format and the --json renderings (cli_json.c), aligned tables and
 * human formats (cli_print.c), and lineage graphs gathered from several
 * answers and drawn as a tree or for Graphviz (cli_graph.c).
 */
#ifndef MR_CLIENT_CLI_H
#define MR_CLIENT_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include <getopt.h>

#include <json-c/json.h>

#include "modelreg.h"

/* Exit codes. */
enum {
	CLI_EXIT_STATUS = 1, /* the registry (or the library) said no */
	CLI_EXIT_USAGE = 2,  /* the command line or a file it names is wrong */
};

/* Room for a message about a bad metadata file. */
#define CLI_ERR_MAX 512

/* ---- metadata files (cli_json.c) ---------------------------------------- */

/* What a --metadata file holds; every part optional. */
typedef struct cli_meta {
	mr_metadata md;
	mr_signature sig;
	bool has_signature;
	mr_kv *tags;
	size_t n_tags;
	char *description; /* NULL when the file gives none */
} cli_meta;

/* The format, as printed by `modelreg help register`. */
extern const char cli_meta_help[];

/*
 * Parses metadata JSON. On failure returns -1 with a sentence in err
 * (which names the offending key, or the line of a syntax error), and
 * *m is left empty. cli_meta_free() accepts an empty or parsed struct.
 */
int cli_meta_parse(
    cli_meta *m, const char *text, size_t len, char err[CLI_ERR_MAX]);
/* Reads and parses a file; messages begin with the path. */
int cli_meta_load(cli_meta *m, const char *path, char err[CLI_ERR_MAX]);
void cli_meta_free(cli_meta *m);
/*
 * A signature file, {"inputs": ..., "outputs": ...} with each part as in
 * a metadata file's "signature", into m->sig (m->has_signature set).
 * Failure as for cli_meta_load.
 */
int cli_sig_parse(
    cli_meta *m, const char *text, size_t len, char err[CLI_ERR_MAX]);
int cli_sig_load(cli_meta *m, const char *path, char err[CLI_ERR_MAX]);
/* Sets key to value, replacing an entry with the same key; -1 if out of
 * memory. Used to merge --tag options into the file's tags. */
int cli_kv_set(mr_kv **kv, size_t *n, const char *key, const char *value);
/* Frees n entries, their keys and values, and the array; accepts NULL. */
void cli_kv_free(mr_kv *kv, size_t n);

/* ---- --json output (cli_json.c) ------------------------------------------ */

json_object *cj_version(const mr_version *v);
json_object *cj_model(const mr_model *m);
json_object *cj_event(const mr_event *ev);
json_object *cj_stats(const mr_transfer_stats *s);
json_object *cj_node(const mr_node *n);
json_object *cj_edge(const mr_edge *e);
json_object *cj_dangling(const mr_dangling *d, size_t n); /* an array */
json_object *cj_impacted(const mr_impacted *v);
json_object *cj_review(const mr_review *r);
json_object *cj_policy(const mr_policy *p);
json_object *cj_comparison(const mr_comparison *cmp);
json_object *cj_audit_record(const mr_audit_record *r);
json_object *cj_audit_check(const mr_audit_check *a);
/* "higher", "lower", "default"; "approve", "reject". */
const char *cli_goal_name(mr_metric_goal goal);
const char *cli_decision_name(mr_decision d);
/* Who may approve under policy `p`: "alice, bob", or "anyone but the
 * registrant" when it names no one. */
void cli_policy_approvers(FILE *f, const mr_policy *p);
/* The policy as words: "2 approvals from alice, bob". */
void cli_policy_text(FILE *f, const mr_policy *p);
/* Prints `o` to stdout, pretty, and releases it. */
void cj_print(json_object *o);

/* ---- human output (cli_print.c) ----------------------------------------- */

/* A table printed with aligned columns; cells are copied. */
typedef struct table table;

table *table_new(size_t ncols, const char *const *headers);
/* Adds a row of ncols cells (NULL prints as "-"). */
void table_row(table *t, const char *const *cells);
void table_print(const table *t, FILE *f);
void table_free(table *t);

/* `p`, or the end of the program with a message if it is NULL: for
 * allocations while building output. */
void *cli_must(void *p);
/* strdup that ends the program with a message if out of memory. */
char *cli_strdup(const char *s);
/* A line built with a memory stream: line_start, write to l.f, then
 * line_end gives the text (malloc'd; "" when nothing was written). */
typedef struct line {
	FILE *f;
	char *buf;
	size_t len;
} line;

void line_start(line *l);
char *line_end(line *l);
/* "12.5 MiB", "812 B" into out[32]. */
char *cli_size(uint64_t bytes, char out[32]);
/* "key=value,key=value" (malloc'd; "" when n is 0). */
char *cli_kv_join(const mr_kv *kv, size_t n, const char *sep);
/* Prints "label:  value" lines, aligned, skipping empty values. */
void cli_field(FILE *f, const char *label, const char *value);

/* ---- lineage graphs (cli_graph.c) --------------------------------------- */

/*
 * Nodes and edges gathered from several lineage answers. The answers are
 * kept (cg_keep) and the lists point into them; each node is there once,
 * by id. Zero-initialize; cg_free releases the answers too.
 */
typedef struct cli_graph {
	mr_graph **parts;
	size_t n_parts, cap_parts;
	const mr_node **nodes;
	size_t n_nodes, cap_nodes;
	const mr_edge **edges;
	size_t n_edges, cap_edges;
	void *index;        /* tsearch(3) tree: id -> position in nodes */
	bool depth_limited; /* a walk stopped at its depth */
} cli_graph;

/* Keeps an answer until cg_free, so that its nodes and edges can be added. */
void cg_keep(cli_graph *g, mr_graph *part);
/* Adds `n` unless a node with its id is there; true if it was added. */
bool cg_add_node(cli_graph *g, const mr_node *n);
void cg_add_edge(cli_graph *g, const mr_edge *e);
/* The node with id `id`; NULL if none. */
const mr_node *cg_find(const cli_graph *g, const char *id);
void cg_free(cli_graph *g);

/*
 * How a node is shown (malloc'd): "data:v2024-01" (a dataset, as
 * "data:NAME@VERSION" or whichever of the two it has),
 * "feature-engineering:v1", "experiment:exp-003", "increment:inc-1",
 * "model:fraud-3.1.0" (" (deleted TIME)" once deleted),
 * "deployment:production", with " (ended TIME)" once ended and " [ENV]"
 * outside the default environment.
 */
char *cg_label(const mr_node *n);
/*
 * The graph as a tree from its roots down, like tree(1):
 *   data:v2024-01
 *   └─> feature-engineering:v1
 * Each node appears once, under the parent on its longest path from a
 * root; roots and siblings are sorted by label.
 */
void cg_print_tree(const cli_graph *g, FILE *f);
/* The graph as a Graphviz digraph: nodes by id with their labels, edges
 * labelled with their types. */
void cg_print_dot(const cli_graph *g, FILE *f);
/* {"nodes": [...], "edges": [...], "depth_limited": bool} */
json_object *cj_graph(const cli_graph *g);

/*
 * The edge type a link FROM -> TO gets when none is given, by the kinds
 * at its ends; 0 when no type is the obvious one.
 */
mr_edge_type cg_default_edge(mr_node_kind from, mr_node_kind to);

/* ---- commands (cli.c) ---------------------------------------------------
 *
 * The pieces every subcommand is built from; commands live in cli.c and,
 * by subject, in cli_*.c files, and are listed in cli.c's table.
 */

typedef struct cli {
	const char *server;
	const char *token;
	int timeout_ms;
	const char *tls_ca, *tls_cert, *tls_key; /* --ca, --cert, --key */
	bool json;
	mr_client *c;
} cli;

typedef struct command command;
struct command {
	const char *name; /* a subcommand's is "lineage upstream" */
	int (*run)(cli *g, const command *cmd, int argc, char **argv);
	const char *synopsis;
	const char *help;
	const command *subs; /* subcommands, chosen by the first argument */
	size_t n_subs;
};

int usage_error(const command *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "modelreg: promote fraud 3.1.0: FAILED_PRECONDITION: <why>" */
int status_error(const cli *g, mr_status rv, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* What getopt_long's ':' and '?' mean, said our way. */
int option_error(const command *cmd, int ch, char **argv);
int connect_client(cli *g);
int help_for(const command *cmd, FILE *f, int code);

bool parse_u64(const char *s, uint64_t max, uint64_t *out);
/* A byte count: digits with an optional K, M, G or T (powers of 1024). */
bool parse_size(const char *s, uint64_t *out);
int stage_arg(const command *cmd, const char *opt, const char *text,
    mr_stage *out);
/*
 * A time given to option `opt`, in ms since the epoch: RFC 3339
 * (2024-01-15T10:00:00Z, fractions of a second to the millisecond) or a
 * date (2024-01-15), which is its midnight, UTC. With `end` the time is
 * the end of what the text names, for the upper bound of a period or a
 * point in time: a date stands for its last millisecond (23:59:59.999)
 * and a time without fractional seconds for the last millisecond of its
 * second, as times are shown to the second. Times at or before the epoch
 * are refused, as 0 means "not given" to the registry: a usage error.
 */
int time_arg(const command *cmd, const char *opt, const char *text, bool end,
    int64_t *out);
int count_arg(const command *cmd, const char *opt, const char *text,
    uint32_t *out);
int kv_arg(const command *cmd, const char *opt, const char *text, mr_kv **kv,
    size_t *n);

/*
 * The options commands share, each command taking those in its table:
 * the listings' --stage, --tag, --limit, --page-token, --all; lineage's
 * --depth, --dot, --all-deployments, --kind, --type, --version, --from,
 * --property; and --help. options_free releases what --from and
 * --property gathered.
 */
typedef struct options {
	mr_list_params lp; /* --stage, --tag, --limit, --page-token */
	bool all;
	uint32_t depth;
	bool dot;
	bool ended_too; /* --all-deployments */
	mr_node_kind kind;
	mr_edge_type type;
	const char *version;
	mr_link *links; /* --from, typed later */
	size_t n_links;
	mr_kv *props; /* --property */
	size_t n_props;
	bool help; /* --help was given, and answered */
} options;

void options_free(options *o);

#define OPT_PAGING                                                             \
	{"limit", required_argument, NULL, 'n'},                               \
	    {"page-token", required_argument, NULL, 'p'},                      \
	{                                                                      \
		"all", no_argument, NULL, 'a'                                  \
	}
#define OPT_END                                                                \
	{"help", no_argument, NULL, 'h'},                                      \
	{                                                                      \
		NULL, 0, NULL, 0                                               \
	}

/* Parses the options in `opts` into *o; 0 or an exit code. */
int parse_options(const cli *g, const command *cmd, const struct option *opts,
    int argc, char **argv, options *o);
/*
 * The start of most commands: the options, exactly `nargs` arguments
 * (else "give <what>"), the connection. Returns 0 to go on; an exit code
 * otherwise, or with o->help set after --help.
 */
int begin(cli *g, const command *cmd, const struct option *opts, int argc,
    char **argv, int nargs, const char *what, options *o);

/* Which version a command is about: NAME, NAME@VERSION, --version V or
 * --stage S. */
typedef struct selector {
	const char *name;
	const char *version; /* NULL: by stage or latest */
	mr_stage stage;
	char what[MR_NAME_MAX + MR_VERSION_MAX + 32]; /* for messages */
} selector;

int select_version(const command *cmd, char *arg, const char *version,
    mr_stage stage, selector *s);
/* One version, as NAME VERSION or NAME@VERSION from argv[optind]. */
int select_exact_version(const command *cmd, int argc, char **argv,
    selector *s);

extern const char *const version_headers[6];
void version_row(table *t, const mr_version *v);
/* "label:  name type, name type" for signature fields; nothing if none. */
void print_fields(const char *label, const mr_field *f, size_t n);
table *event_table(bool with_model);
void event_row(table *t, const mr_event *ev, bool with_model);

/* Progress on a terminal: "uploading  42%  12.0 MiB of 28.5 MiB". */
typedef struct progress {
	const char *verb;
	int shown; /* last percentage printed; -1 before the first */
} progress;

void show_progress(void *arg, uint64_t done, uint64_t total);
void end_progress(const progress *p);
bool want_progress(const cli *g);

/*
 * One page of a listing: adds its rows to `t` and its items to the arrays
 * of `o` (add_item), and returns the next page's token ("" after the last
 * page). `arg` is the listing's own: a model name, a node id, ...
 */
typedef mr_status (*page_fn)(cli *g, void *arg, mr_list_params *lp, table *t,
    json_object *o, char **next);

/* Adds `item` to the array o[key]; drops it when there is no `o`. */
void add_item(json_object *o, const char *key, json_object *item);
mr_status fetch_pages(cli *g, void *arg, mr_list_params *lp, bool all,
    page_fn page, table *t, json_object *o, char **token);
void print_json_page(json_object *o, const char *token);
/* Adds "revision": the registry's revision as of the last call of g->c. */
void add_revision(const cli *g, json_object *o);
/* Prints {key: item, "revision": N}, what a change prints with --json;
 * takes `item`. */
void print_with_revision(const cli *g, const char *key, json_object *item);
void more_note(const char *what, const char *token);
int list_pages(cli *g, const char *doing, void *arg, mr_list_params *lp,
    bool all, page_fn page, table *t, const char *what);

/* ---- lifecycle commands (cli_lifecycle.c) -------------------------------
 *
 * Updates, signatures, approval policies and reviews, deprecation,
 * aliases, comparisons, search and the audit log; and the lifecycle parts
 * of get, info and register.
 */

int cmd_update(cli *g, const command *cmd, int argc, char **argv);
int cmd_signature(cli *g, const command *cmd, int argc, char **argv);
int cmd_policy(cli *g, const command *cmd, int argc, char **argv);
/* approve and reject, told apart by cmd->name. */
int cmd_review(cli *g, const command *cmd, int argc, char **argv);
/* deprecate and undeprecate, told apart by cmd->name. */
int cmd_deprecate(cli *g, const command *cmd, int argc, char **argv);
/* `delete NAME[@VERSION] --reason R`: a version, or a model whole. */
int cmd_delete(cli *g, const command *cmd, int argc, char **argv);
/* `alias NAME`, and the dispatch to `alias set|rm`. */
int cmd_alias(cli *g, const command *cmd, int argc, char **argv);
int cmd_alias_set(cli *g, const command *cmd, int argc, char **argv);
int cmd_alias_rm(cli *g, const command *cmd, int argc, char **argv);
/* `split NAME --canary STAGE --percent P` and `resolve NAME KEY`. */
int cmd_split(cli *g, const command *cmd, int argc, char **argv);
int cmd_resolve(cli *g, const command *cmd, int argc, char **argv);
int cmd_compare(cli *g, const command *cmd, int argc, char **argv);
int cmd_search(cli *g, const command *cmd, int argc, char **argv);
int cmd_audit_log(cli *g, const command *cmd, int argc, char **argv);
int cmd_audit_verify(cli *g, const command *cmd, int argc, char **argv);
int cmd_scrub(cli *g, const command *cmd, int argc, char **argv);
int cmd_whoami(cli *g, const command *cmd, int argc, char **argv);
/* `modelreg watch` (cli_watch.c). */
int cmd_watch(cli *g, const command *cmd, int argc, char **argv);
/* `modelreg sync` (cli_sync.c). */
int cmd_sync(cli *g, const command *cmd, int argc, char **argv);
/* A command that is only its subcommands (`audit`): runs the one named
 * by argv[1]; a usage error naming them otherwise. */
int cmd_subcommands(cli *g, const command *cmd, int argc, char **argv);

/* "label:  value" lines: a version's rule, deprecation and reviews; a
 * model's primary metric, goals, aliases and policies. */
void print_version_lifecycle(const mr_version *v);
void print_model_lifecycle(const mr_model *m);

/* ---- exports and reports (export.c, report.c, cli_export.c) --------------
 *
 * Library-style: these take a client handle, not a `cli`, and report
 * failure as an mr_status with an mr_err whose message names what was
 * being done ("list versions of fraud: ...", "write DIR/x: ..."), be it a
 * refusal of the registry or a local file error.
 */

#include "mr_err.h"

/*
 * One model as the registry holds it now: the model, every version (by
 * semantic version precedence) and every event of the model (by
 * revision). The lists point into the answers, which the snapshot keeps.
 */
typedef struct export_model {
	mr_model *model;
	const mr_version **versions;
	size_t n_versions;
	const mr_event **events;
	size_t n_events;
	mr_version_list **vpages; /* the answers, kept */
	size_t n_vpages;
	mr_event_list **epages;
	size_t n_epages;
} export_model;

/* Reads model `name` whole: the model, all pages of versions and events.
 * These are several calls: a change made meanwhile may show in some
 * parts only, and the next export shows it whole. */
mr_status export_snapshot(
    mr_client *c, const char *name, export_model *out, mr_err *e);
/* Releases a snapshot; accepts a zeroed one. */
void export_model_free(export_model *m);
/*
 * The checks export_snapshot makes of what the registry answered, since
 * export builds paths from it: the model must be the one asked for
 * (`name`) and its name a valid one; a version's number must be a
 * semantic version and each of its file paths a relative path without
 * "." or ".." parts. MR_INTERNAL, naming what is wrong, otherwise.
 */
mr_status export_check_model(const char *name, const mr_model *m, mr_err *e);
mr_status export_check_version(
    const char *model, const mr_version *v, mr_err *e);
/* Whether `ev` put a version into production: a promotion or a
 * rollback. */
bool export_enters_production(const mr_event *ev);
/*
 * The folder name of increment `inc` under increments/ (malloc'd): `inc`
 * itself when it is at most 200 bytes of [A-Za-z0-9._-] and not "." or
 * ".."; else its first 200 bytes with every other byte as '_', then '~'
 * and 12 hex digits of the SHA-256 of `inc`. Different increments get
 * different folders (up to a hash collision), each a valid file name.
 */
char *export_increment_dir(const char *inc);
/* The version `version` of the snapshot; NULL if none. */
const mr_version *export_find_version(
    const export_model *m, const char *version);
/* When `version` first (or, with `last`, last) entered production, from
 * the events; 0 if it never did. */
int64_t export_production_ms(
    const export_model *m, const char *version, bool last);
/* The version that events[event], a promotion to production or a
 * rollback, took out of production: the one archived in the same change;
 * "" if there was none. */
const char *export_replaced(const export_model *m, size_t event);

/* The shortest of %.15g, %.16g, %.17g that reads back as `v`, with ".0"
 * added where there is no point so that it stays a float ("1.0",
 * "1.0e-07"); NaN and infinities as "nan", "inf", "-inf". Into out[40];
 * returns out. */
char *export_double(double v, char out[40]);
/* Writes `s` as one Markdown table cell: pipes and backslashes escaped,
 * line breaks as spaces, "-" when empty or NULL. */
void export_md_cell(FILE *f, const char *s);
/*
 * A deep copy of `o` with every object's keys in byte order and every
 * double printed by export_double (NaN and infinities become null), so
 * that json-c prints the same text for the same data. Releases `o`.
 */
json_object *export_sorted_json(json_object *o);

typedef struct export_options {
	const char *dir;
	const char *const *models; /* n_models names; none: every model */
	size_t n_models;
	bool no_artifacts; /* metadata only: pull no artifact */
} export_options;

typedef struct export_summary {
	size_t models, versions, increments;
	size_t written;   /* files whose content changed or was new */
	size_t unchanged; /* files already holding what the export wrote */
	size_t pulled;    /* artifacts downloaded */
	size_t removed;   /* stale files removed */
	bool pruned;      /* whether stale files were looked for */
} export_summary;

/*
 * Writes the registry (or the named models) into o->dir as files:
 *
 *   registry/model_catalog.yaml, registry/deployment_history.md
 *   models/NAME/README.md
 *   models/NAME/NAME-VERSION/{artifact files, metadata.json,
 *                             requirements.txt, features.yaml}
 *   increments/INC/registry/...,
 *   increments/INC/models/NAME/NAME-VERSION/...
 *
 * INC is export_increment_dir of the increment. The registry/ files, at
 * the top and in each increment, describe every model even when only
 * some are named: every model is read (metadata, no artifacts), the
 * named ones' folders are written. The summary counts the named models,
 * their versions and the increments those belong to.
 *
 * The same registry state gives the same bytes. Each file is written
 * beside its place and renamed there; a file that already holds the
 * right bytes is left alone, and so is an artifact whose files match
 * their digests. A full export (no names) into a folder that an export
 * made, or that has no models/ and increments/ yet, then removes the
 * files under models/ and increments/ that it did not write (artifact
 * files count as written under no_artifacts). `out` may be NULL.
 */
mr_status export_registry(
    mr_client *c, const export_options *o, export_summary *out, mr_err *e);

/*
 * The governance report of model `name` over [from_ms, to_ms] (ms since
 * the epoch, inclusive), as a JSON object with sorted keys: model,
 * period, revision (the model's last revision: the report depends on the
 * registry's state, never on the clock), production_version,
 * primary_metric, deployments, approvals, policies (as they are now),
 * policy_changes, metrics, data_sources, rollbacks, audit.
 */
mr_status report_build(mr_client *c, const char *name, int64_t from_ms,
    int64_t to_ms, json_object **out, mr_err *e);
/* The same report in Markdown. */
void report_markdown(json_object *r, FILE *f);

/* The commands (cli_export.c). */
int cmd_export(cli *g, const command *cmd, int argc, char **argv);
int cmd_audit_report(cli *g, const command *cmd, int argc, char **argv);

#endif /* MR_CLIENT_CLI_H */
