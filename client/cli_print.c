/*
 * cli_print.c - human output of the CLI: aligned tables, sizes, lists,
 * lines built in memory.
 *
 * A table keeps copies of its cells until it is printed, because column
 * widths depend on every row. Widths count UTF-8 code points, not bytes,
 * so descriptions and reasons in other scripts still line up. Running out
 * of memory while building output ends the program with a message: there
 * is nothing sensible to print instead.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

struct table {
	size_t ncols;
	size_t nrows; /* including the header row */
	size_t cap;
	char **cells; /* nrows * ncols */
	size_t *width;
};

void *
cli_must(void *p)
{
	if (p == NULL) {
		fputs("modelreg: out of memory\n", stderr);
		exit(CLI_EXIT_STATUS);
	}
	return p;
}

char *
cli_strdup(const char *s)
{
	return cli_must(strdup(s));
}

static size_t
display_width(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	return n;
}

table *
table_new(size_t ncols, const char *const *headers)
{
	table *t = cli_must(calloc(1, sizeof(*t)));

	t->ncols = ncols;
	t->width = cli_must(calloc(ncols, sizeof(size_t)));
	table_row(t, headers);
	return t;
}

void
table_row(table *t, const char *const *cells)
{
	if (t->nrows == t->cap) {
		t->cap = t->cap > 0 ? 2 * t->cap : 16;
		t->cells = cli_must(
		    realloc(t->cells, t->cap * t->ncols * sizeof(char *)));
	}
	for (size_t i = 0; i < t->ncols; i++) {
		const char *s =
		    cells[i] != NULL && cells[i][0] != '\0' ? cells[i] : "-";
		size_t w = display_width(s);

		t->cells[t->nrows * t->ncols + i] = cli_must(strdup(s));
		if (w > t->width[i])
			t->width[i] = w;
	}
	t->nrows++;
}

void
table_print(const table *t, FILE *f)
{
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t i = 0; i < t->ncols; i++) {
			const char *s = t->cells[r * t->ncols + i];

			if (i + 1 == t->ncols) {
				fprintf(f, "%s\n", s);
				break;
			}
			fprintf(f, "%s%*s", s,
			    (int)(t->width[i] - display_width(s) + 2), "");
		}
	}
}

void
table_free(table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->nrows * t->ncols; i++)
		free(t->cells[i]);
	free(t->cells);
	free(t->width);
	free(t);
}

char *
cli_size(uint64_t bytes, char out[32])
{
	static const char *const units[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
	double v = (double)bytes;
	size_t u = 0;

	if (bytes < 1024) {
		snprintf(out, 32, "%llu B", (unsigned long long)bytes);
		return out;
	}
	v /= 1024;
	while (v >= 1024 && u + 1 < sizeof(units) / sizeof(units[0])) {
		v /= 1024;
		u++;
	}
	snprintf(out, 32, "%.1f %s", v, units[u]);
	return out;
}

char *
cli_kv_join(const mr_kv *kv, size_t n, const char *sep)
{
	size_t len = 1, at = 0;
	char *s;

	for (size_t i = 0; i < n; i++)
		len +=
		    strlen(kv[i].key) + strlen(kv[i].value) + 1 + strlen(sep);
	s = cli_must(malloc(len));
	s[0] = '\0';
	for (size_t i = 0; i < n; i++)
		at += (size_t)snprintf(s + at, len - at, "%s%s=%s",
		    i > 0 ? sep : "", kv[i].key, kv[i].value);
	return s;
}

void
cli_field(FILE *f, const char *label, const char *value)
{
	if (value == NULL || value[0] == '\0')
		return;
	fprintf(f, "%-17s %s\n", label, value);
}

void
line_start(line *l)
{
	l->buf = NULL;
	l->len = 0;
	l->f = cli_must(open_memstream(&l->buf, &l->len));
}

char *
line_end(line *l)
{
	fclose(l->f);
	return cli_must(l->buf);
}
