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
/* Sets key to value, replacing an entry with the same key; -1 if out of
 * memory. Used to merge --tag options into the file's tags. */
int cli_kv_set(mr_kv **kv, size_t *n, const char *key, const char *value);

/* ---- --json output (cli_json.c) ------------------------------------------ */

json_object *cj_version(const mr_version *v);
json_object *cj_model(const mr_model *m);
json_object *cj_event(const mr_event *ev);
json_object *cj_stats(const mr_transfer_stats *s);
json_object *cj_node(const mr_node *n);
json_object *cj_edge(const mr_edge *e);
json_object *cj_dangling(const mr_dangling *d, size_t n); /* an array */
json_object *cj_impacted(const mr_impacted *v);
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
 * "model:fraud-3.1.0", "deployment:production", with " (ended TIME)" once
 * ended and " [ENV]" outside the default environment.
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

#endif /* MR_CLIENT_CLI_H */
