/*
 * cli.h - what the files of the modelreg CLI share: the metadata file
 * format and the --json renderings (cli_json.c), and aligned tables and
 * human formats (cli_print.c).
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

/* strdup that ends the program with a message if out of memory. */
char *cli_strdup(const char *s);
/* "12.5 MiB", "812 B" into out[32]. */
char *cli_size(uint64_t bytes, char out[32]);
/* "key=value,key=value" (malloc'd; "" when n is 0). */
char *cli_kv_join(const mr_kv *kv, size_t n, const char *sep);
/* Prints "label:  value" lines, aligned, skipping empty values. */
void cli_field(FILE *f, const char *label, const char *value);

#endif /* MR_CLIENT_CLI_H */
