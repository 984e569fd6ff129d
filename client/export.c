/*
 * export.c - `modelreg export`: the registry written out as a folder of
 * plain files that people read and tools diff, and the pieces the
 * governance report (report.c) shares with it.
 *
 * An export first reads everything it needs (each model with all its
 * versions and events: a snapshot), so that a registry that refuses
 * leaves the folder untouched, then writes the catalogs, each model's
 * README and one folder per version, then the same per increment. The
 * registry-level files (the catalogs and deployment histories) always
 * describe every model, so an export of some models (--model) still
 * reads a snapshot of each model, but writes folders for the named ones
 * only. Every path is built from names the registry sent, so a snapshot
 * whose model name, version or file paths could leave their folder is
 * refused (export_check_model, export_check_version). Every
 * byte written is a function of the registry's state: no clock is read,
 * models are sorted by name, versions by semantic version precedence,
 * maps by key, and numbers are printed in the shortest form that reads
 * back exactly. Each file is written to a temporary name beside its place
 * and renamed there, and a file that already holds the right bytes is
 * left alone, so that exporting again into the same folder touches only
 * what changed.
 *
 * Libraries, both Debian packages: YAML is written with libyaml's emitter
 * (libyaml-0-2, the reference C implementation of YAML, which PyYAML and
 * Ruby's Psych are built on): it does the quoting, escaping and
 * indentation that hand-written YAML gets wrong; we only decide which
 * strings must be quoted so that a YAML 1.1 reader does not take "3.11"
 * for a number or "no" for false. JSON is built and printed with json-c
 * (libjson-c5), which the CLI already uses for --json; it keeps keys in
 * insertion order, so objects are rebuilt with sorted keys before they are
 * printed (export_sorted_json).
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yaml.h>

#include "chunk.h"
#include "cli.h"
#include "client.h" /* client_sys_fail */
#include "common.h"

/* Marks a folder an export made; removing stale files needs it. */
#define MARKER ".modelreg-export"
#define MARKER_TEXT                                                            \
	"This folder is written by `modelreg export`. Files under models/ "    \
	"and\nincrements/ that a full export does not write are removed.\n"
/* Where an artifact is downloaded before its files move into place;
 * artifact files starting with ".mr-" go into ARTIFACT_SUBDIR, so none
 * can be in its way. */
#define PULL_STAGING ".mr-export-pull"
/* Files of our own in a version folder; an artifact holding one of
 * these names goes into ARTIFACT_SUBDIR instead. */
static const char *const generated[] = {
    "metadata.json", "requirements.txt", "features.yaml"};
#define ARTIFACT_SUBDIR "artifact"
/*
 * Increment folder names: a safe name of at most INC_DIR_MAX bytes is
 * kept; any other becomes its cleaned first INC_DIR_MAX bytes, '~' and
 * INC_HASH_HEX hex digits of its SHA-256, at most 213 bytes, well within
 * the 255 bytes a file name may have.
 */
#define INC_DIR_MAX  200
#define INC_HASH_HEX 12
#define IO_BUF       (1u << 20)

/* ---- snapshots ----------------------------------------------------------- */

static mr_status registry_fail(mr_client *c, mr_status rv, mr_err *e,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* A refusal of the registry: "<doing>: <why>". */
static mr_status
registry_fail(mr_client *c, mr_status rv, mr_err *e, const char *fmt, ...)
{
	char doing[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(doing, sizeof(doing), fmt, ap);
	va_end(ap);
	return mr_fail(e, rv, "%s: %s", doing, mr_client_errmsg(c));
}

static int
version_cmp(const void *a, const void *b)
{
	const mr_version *x = *(const mr_version *const *)a;
	const mr_version *y = *(const mr_version *const *)b;
	mr_semver sx, sy;

	/* The registry stores normalized versions: the fallback is for
	 * the impossible case only, and still gives a total order. */
	if (mr_semver_parse(x->version, &sx, NULL) != MR_OK ||
	    mr_semver_parse(y->version, &sy, NULL) != MR_OK)
		return strcmp(x->version, y->version);
	return mr_semver_cmp(&sx, &sy);
}

static int
event_cmp(const void *a, const void *b)
{
	const mr_event *x = *(const mr_event *const *)a;
	const mr_event *y = *(const mr_event *const *)b;

	return x->revision < y->revision ? -1 : x->revision > y->revision;
}

mr_status
export_check_model(const char *name, const mr_model *m, mr_err *e)
{
	mr_err why = {0};

	if (strcmp(m->name, name) != 0)
		return mr_fail(e, MR_INTERNAL,
		    "get model %s: the registry answered with model \"%.*s\"; "
		    "refusing to export it",
		    name, MR_NAME_MAX, m->name);
	if (mr_check_name(m->name, &why) != MR_OK)
		return mr_fail(e, MR_INTERNAL,
		    "get model: the registry answered with a model name that "
		    "cannot be a folder: %s",
		    why.msg);
	return MR_OK;
}

mr_status
export_check_version(const char *model, const mr_version *v, mr_err *e)
{
	mr_err why = {0};
	mr_semver sv;

	if (mr_semver_parse(v->version, &sv, &why) != MR_OK)
		return mr_fail(e, MR_INTERNAL,
		    "list versions of %s: the registry answered with a version "
		    "that cannot be a folder: %s",
		    model, why.msg);
	for (size_t i = 0; i < v->n_files; i++)
		if (mr_check_path(v->files[i].path, &why) != MR_OK)
			return mr_fail(e, MR_INTERNAL,
			    "list versions of %s: version %s has a file path "
			    "that could leave its folder: %s",
			    model, v->version, why.msg);
	return MR_OK;
}

mr_status
export_snapshot(mr_client *c, const char *name, export_model *out, mr_err *e)
{
	mr_list_params lp = {.page_size = MR_PAGE_SIZE_MAX};
	export_model m = {0};
	char *token = NULL;
	uint64_t after = 0;
	mr_status rv;

	if ((rv = mr_get_model(c, name, &m.model)) != MR_OK)
		return registry_fail(c, rv, e, "get model %s", name);
	if ((rv = export_check_model(name, m.model, e)) != MR_OK)
		goto err_snapshot;
	for (;;) {
		mr_version_list *l;

		if ((rv = mr_list_versions(c, name, &lp, &l)) != MR_OK) {
			rv = registry_fail(
			    c, rv, e, "list versions of %s", name);
			goto err_snapshot;
		}
		m.vpages = cli_must(
		    realloc(m.vpages, (m.n_vpages + 1) * sizeof(*m.vpages)));
		m.vpages[m.n_vpages++] = l;
		m.versions = cli_must(realloc(m.versions,
		    (m.n_versions + l->count) * sizeof(*m.versions)));
		for (size_t i = 0; i < l->count; i++) {
			if ((rv = export_check_version(
			         name, &l->items[i], e)) != MR_OK)
				goto err_snapshot;
			m.versions[m.n_versions++] = &l->items[i];
		}
		free(token);
		token = cli_strdup(l->next_page_token);
		if (token[0] == '\0')
			break;
		lp.page_token = token;
	}
	if (m.n_versions > 1)
		qsort(
		    m.versions, m.n_versions, sizeof(*m.versions), version_cmp);
	for (;;) {
		mr_event_list *l;

		if ((rv = mr_list_events(
		         c, name, after, MR_PAGE_SIZE_MAX, &l)) != MR_OK) {
			rv = registry_fail(c, rv, e, "list events of %s", name);
			goto err_snapshot;
		}
		m.epages = cli_must(
		    realloc(m.epages, (m.n_epages + 1) * sizeof(*m.epages)));
		m.epages[m.n_epages++] = l;
		m.events = cli_must(realloc(
		    m.events, (m.n_events + l->count) * sizeof(*m.events)));
		for (size_t i = 0; i < l->count; i++)
			m.events[m.n_events++] = &l->items[i];
		if (!l->more || l->count == 0 || l->last_revision <= after)
			break;
		after = l->last_revision;
	}
	if (m.n_events > 1)
		qsort(m.events, m.n_events, sizeof(*m.events), event_cmp);
	free(token);
	*out = m;
	return MR_OK;

err_snapshot:
	free(token);
	export_model_free(&m);
	return rv;
}

void
export_model_free(export_model *m)
{
	if (m == NULL)
		return;
	mr_model_free(m->model);
	for (size_t i = 0; i < m->n_vpages; i++)
		mr_version_list_free(m->vpages[i]);
	for (size_t i = 0; i < m->n_epages; i++)
		mr_event_list_free(m->epages[i]);
	free(m->vpages);
	free(m->epages);
	free(m->versions);
	free(m->events);
	memset(m, 0, sizeof(*m));
}

const mr_version *
export_find_version(const export_model *m, const char *version)
{
	for (size_t i = 0; i < m->n_versions; i++)
		if (strcmp(m->versions[i]->version, version) == 0)
			return m->versions[i];
	return NULL;
}

bool
export_enters_production(const mr_event *ev)
{
	return (ev->kind == MR_EVENT_STAGE_CHANGED ||
	           ev->kind == MR_EVENT_ROLLBACK) &&
	    ev->to_stage == MR_STAGE_PRODUCTION;
}

int64_t
export_production_ms(const export_model *m, const char *version, bool last)
{
	int64_t when = 0;

	for (size_t i = 0; i < m->n_events; i++) {
		const mr_event *ev = m->events[i];

		if (!export_enters_production(ev) ||
		    strcmp(ev->version, version) != 0)
			continue;
		if (when == 0 ||
		    (last ? ev->time_ms >= when : ev->time_ms < when))
			when = ev->time_ms;
	}
	return when;
}

/*
 * A promotion to production or a rollback archives the production
 * version first, in the same change: that archival is the event just
 * before, one revision earlier.
 */
const char *
export_replaced(const export_model *m, size_t event)
{
	const mr_event *ev = m->events[event], *prev;

	if (event == 0)
		return "";
	prev = m->events[event - 1];
	if (prev->kind == MR_EVENT_STAGE_CHANGED &&
	    prev->from_stage == MR_STAGE_PRODUCTION &&
	    prev->to_stage == MR_STAGE_ARCHIVED &&
	    prev->revision + 1 == ev->revision)
		return prev->version;
	return "";
}

/* ---- formatting ---------------------------------------------------------- */

char *
export_double(double v, char out[40])
{
	if (isnan(v))
		return strcpy(out, "nan");
	if (isinf(v))
		return strcpy(out, v < 0 ? "-inf" : "inf");
	/* %.17g always reads back; the shorter forms usually do, and read
	 * better ("0.87", not "0.87000000000000000"). */
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(out, 40, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			break;
	}
	/* A point keeps the value a float to every reader; YAML 1.1 wants
	 * one in exponent forms too ("1.0e-07", not "1e-07"). */
	if (strchr(out, '.') == NULL) {
		char *exp = strchr(out, 'e');
		size_t at = exp != NULL ? (size_t)(exp - out) : strlen(out);

		memmove(out + at + 2, out + at, strlen(out + at) + 1);
		memcpy(out + at, ".0", 2);
	}
	return out;
}

void
export_md_cell(FILE *f, const char *s)
{
	if (s == NULL || s[0] == '\0') {
		fputc('-', f);
		return;
	}
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '|':
		case '\\':
			fputc('\\', f);
			fputc(*s, f);
			break;
		case '\n':
		case '\r':
		case '\t':
			fputc(' ', f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

static int
key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

json_object *
export_sorted_json(json_object *o)
{
	json_object *copy = NULL;

	switch (json_object_get_type(o)) {
	case json_type_null:
		break;
	case json_type_boolean:
	case json_type_int:
	case json_type_string:
		copy = json_object_get(o); /* shared: immutable here */
		break;
	case json_type_double: {
		double d = json_object_get_double(o);
		char text[40];

		if (isfinite(d))
			copy =
			    json_object_new_double_s(d, export_double(d, text));
		break;
	}
	case json_type_array: {
		size_t n = json_object_array_length(o);

		copy = cli_must(json_object_new_array());
		for (size_t i = 0; i < n; i++)
			json_object_array_add(copy,
			    export_sorted_json(json_object_get(
			        json_object_array_get_idx(o, i))));
		break;
	}
	case json_type_object: {
		size_t n = (size_t)json_object_object_length(o), k = 0;
		const char **keys = cli_must(calloc(n + 1, sizeof(*keys)));

		json_object_object_foreach(o, key, val)
		{
			(void)val;
			keys[k++] = key;
		}
		qsort(keys, k, sizeof(*keys), key_cmp);
		copy = cli_must(json_object_new_object());
		for (size_t i = 0; i < k; i++)
			json_object_object_add(copy, keys[i],
			    export_sorted_json(json_object_get(
			        json_object_object_get(o, keys[i]))));
		free(keys);
		break;
	}
	}
	json_object_put(o);
	return copy;
}

/*
 * Metrics, tags, aliases and the other maps come from the library sorted
 * by key (convert.h), so they are written in the order they are held.
 */

static const mr_metric *
find_metric(const mr_metadata *md, const char *name)
{
	for (size_t i = 0; name != NULL && i < md->n_metrics; i++)
		if (strcmp(md->metrics[i].name, name) == 0)
			return &md->metrics[i];
	return NULL;
}

/* ---- YAML ----------------------------------------------------------------
 *
 * A thin layer over libyaml's event API. Errors are remembered and the
 * rest of the events dropped, so that callers check once at the end.
 */

typedef struct yw {
	yaml_emitter_t em;
	bool failed;
} yw;

static void
y_event(yw *y, yaml_event_t *ev, int made)
{
	if (!made) {
		y->failed = true;
		return;
	}
	if (y->failed) {
		yaml_event_delete(ev);
		return;
	}
	/* The emitter owns the event from here, whatever it answers. */
	if (!yaml_emitter_emit(&y->em, ev))
		y->failed = true;
}

/*
 * Whether a YAML 1.1 reader could take `s`, written plain, for something
 * other than a string: null, a boolean (yes/no/on/off too), a number, a
 * date or a merge key. Anything that starts like a number is quoted: that
 * covers "3.11", "1e3", "0x1f", "1:30" and "2024-01-15" at once.
 */
static bool
needs_quotes(const char *s)
{
	static const char *const words[] = {"null", "~", "true", "false", "yes",
	    "no", "on", "off", "y", "n", "<<", "="};

	if (s[0] == '\0' || strchr("0123456789+-.", s[0]) != NULL)
		return true;
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcasecmp(s, words[i]) == 0)
			return true;
	return false;
}

/* A string scalar; quoted when it would read as something else. */
static void
y_str(yw *y, const char *s)
{
	yaml_event_t ev;
	bool quote;
	yaml_scalar_style_t style = YAML_ANY_SCALAR_STYLE;

	s = s != NULL ? s : "";
	quote = needs_quotes(s);
	if (quote)
		style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	else if (strchr(s, '\n') != NULL)
		style = YAML_LITERAL_SCALAR_STYLE;
	y_event(y, &ev,
	    yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s,
	        (int)strlen(s), !quote, 1, style));
}

/* A plain scalar read by its form: a number, null. */
static void
y_plain(yw *y, const char *text)
{
	yaml_event_t ev;

	y_event(y, &ev,
	    yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)text,
	        (int)strlen(text), 1, 0, YAML_PLAIN_SCALAR_STYLE));
}

/* A string, or null when it is empty. */
static void
y_opt(yw *y, const char *s)
{
	if (s == NULL || s[0] == '\0')
		y_plain(y, "null");
	else
		y_str(y, s);
}

static void
y_double(yw *y, double v)
{
	char text[40];

	export_double(v, text);
	if (isnan(v))
		y_plain(y, ".nan");
	else if (isinf(v))
		y_plain(y, v < 0 ? "-.inf" : ".inf");
	else
		y_plain(y, text);
}

static void
y_u64(yw *y, uint64_t v)
{
	char text[24];

	snprintf(text, sizeof(text), "%llu", (unsigned long long)v);
	y_plain(y, text);
}

static void
y_time(yw *y, int64_t ms)
{
	char text[32];

	if (ms <= 0)
		y_plain(y, "null");
	else
		y_str(y, mr_format_time(ms, text));
}

static void
y_map(yw *y)
{
	yaml_event_t ev;

	y_event(y, &ev,
	    yaml_mapping_start_event_initialize(
	        &ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE));
}

static void
y_seq(yw *y)
{
	yaml_event_t ev;

	y_event(y, &ev,
	    yaml_sequence_start_event_initialize(
	        &ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE));
}

static void
y_end_map(yw *y)
{
	yaml_event_t ev;

	y_event(y, &ev, yaml_mapping_end_event_initialize(&ev));
}

static void
y_end_seq(yw *y)
{
	yaml_event_t ev;

	y_event(y, &ev, yaml_sequence_end_event_initialize(&ev));
}

/* key: string (null when empty) */
static void
y_field(yw *y, const char *key, const char *value)
{
	y_str(y, key);
	y_opt(y, value);
}

/* A map of strings, by key. */
static void
y_kvs(yw *y, const mr_kv *kv, size_t n)
{
	y_map(y);
	for (size_t i = 0; i < n; i++) {
		y_str(y, kv[i].key);
		y_str(y, kv[i].value);
	}
	y_end_map(y);
}

static void
y_metrics(yw *y, const mr_metadata *md)
{
	y_map(y);
	for (size_t i = 0; i < md->n_metrics; i++) {
		y_str(y, md->metrics[i].name);
		y_double(y, md->metrics[i].value);
	}
	y_end_map(y);
}

static void
y_begin(yw *y, FILE *f)
{
	yaml_event_t ev;

	memset(y, 0, sizeof(*y));
	if (!yaml_emitter_initialize(&y->em)) {
		y->failed = true;
		return;
	}
	yaml_emitter_set_output_file(&y->em, f);
	yaml_emitter_set_unicode(&y->em, 1);
	yaml_emitter_set_indent(&y->em, 2);
	yaml_emitter_set_width(&y->em, -1); /* never fold long lines */
	yaml_emitter_set_break(&y->em, YAML_LN_BREAK);
	y_event(y, &ev,
	    yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING));
	y_event(y, &ev,
	    yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1));
}

/* Ends the document; MR_INTERNAL if libyaml refused anything. */
static mr_status
y_finish(yw *y, const char *what, mr_err *e)
{
	yaml_event_t ev;
	mr_status rv = MR_OK;

	y_event(y, &ev, yaml_document_end_event_initialize(&ev, 1));
	y_event(y, &ev, yaml_stream_end_event_initialize(&ev));
	if (!y->failed && !yaml_emitter_flush(&y->em))
		y->failed = true;
	if (y->failed)
		rv = mr_fail(e, MR_INTERNAL, "write %s: YAML emitter: %s", what,
		    y->em.problem != NULL ? y->em.problem : "out of memory");
	yaml_emitter_delete(&y->em);
	return rv;
}

/* ---- files --------------------------------------------------------------- */

/* Text built in memory before it is written. */
typedef struct mem {
	FILE *f;
	char *p;
	size_t len;
} mem;

static FILE *
mem_open(mem *m)
{
	m->p = NULL;
	m->len = 0;
	m->f = cli_must(open_memstream(&m->p, &m->len));
	return m->f;
}

/* Closes the stream; the text is m->p (malloc'd), m->len bytes. */
static void
mem_close(mem *m)
{
	if (fclose(m->f) != 0)
		cli_must(NULL);
	m->f = NULL;
}

typedef struct exporter {
	mr_client *c;
	const export_options *o;
	mr_err *e;
	export_model *models; /* every model, for the registry-level files */
	bool *chosen;         /* per model: whether its folders are written */
	size_t n_models;
	char **kept; /* relative paths written (or kept), for pruning */
	size_t n_kept, cap_kept;
	mr_codec *codec;
	uint8_t *buf;
	export_summary sum;
} exporter;

static char *path_fmt(const char *fmt, ...)
    __attribute__((format(printf, 1, 2)));

static char *
path_fmt(const char *fmt, ...)
{
	va_list ap;
	char *p;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&p, fmt, ap);
	va_end(ap);
	if (n < 0)
		cli_must(NULL);
	return p;
}

/* DIR/rel, malloc'd. */
static char *
full_path(const exporter *x, const char *rel)
{
	return path_fmt("%s/%s", x->o->dir, rel);
}

/* Notes that `rel` belongs to this export. */
static void
keep(exporter *x, const char *rel)
{
	if (x->n_kept == x->cap_kept) {
		x->cap_kept = x->cap_kept > 0 ? 2 * x->cap_kept : 64;
		x->kept =
		    cli_must(realloc(x->kept, x->cap_kept * sizeof(*x->kept)));
	}
	x->kept[x->n_kept++] = cli_strdup(rel);
}

static bool
is_kept(const exporter *x, const char *rel)
{
	return x->n_kept > 0 &&
	    bsearch(&rel, x->kept, x->n_kept, sizeof(*x->kept), key_cmp) !=
	    NULL;
}

/* mkdir -p of `path` itself. */
static mr_status
make_dirs(const char *path, mr_err *e)
{
	char *p = cli_strdup(path);
	struct stat st;
	mr_status rv = MR_OK;

	for (char *s = p + 1;; s++) {
		char c = *s;

		if (c != '/' && c != '\0')
			continue;
		*s = '\0';
		if (mkdir(p, 0755) != 0 && errno != EEXIST) {
			rv = client_sys_fail(e, "mkdir", p);
			break;
		}
		if (c == '\0') {
			if (stat(p, &st) != 0)
				rv = client_sys_fail(e, "stat", p);
			else if (!S_ISDIR(st.st_mode))
				rv = mr_fail(e, MR_FAILED_PRECONDITION,
				    "%s is in the way: it is not a directory",
				    p);
			break;
		}
		*s = c;
	}
	free(p);
	return rv;
}

static mr_status
make_parent(const char *path, mr_err *e)
{
	char *p = cli_strdup(path), *slash = strrchr(p, '/');
	mr_status rv = MR_OK;

	if (slash != NULL && slash != p) {
		*slash = '\0';
		rv = make_dirs(p, e);
	}
	free(p);
	return rv;
}

/* Whether `path` is a regular file holding exactly `len` bytes of data. */
static bool
holds(const char *path, const void *data, size_t len, uint8_t *buf)
{
	struct stat st;
	size_t off = 0;
	bool same;
	int fd;

	if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size != len)
		return false;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	same = true;
	while (same && off < len) {
		size_t want = len - off < IO_BUF ? len - off : IO_BUF;
		ssize_t got = read(fd, buf, want);

		if (got <= 0)
			same = false;
		else if (memcmp(buf, (const char *)data + off, (size_t)got) !=
		    0)
			same = false;
		else
			off += (size_t)got;
	}
	close(fd);
	return same;
}

/* A temporary file beside `path`: ".NAME.mr-tmp-XXXXXX". */
static int
temp_beside(const char *path, char **tmp)
{
	const char *slash = strrchr(path, '/');
	int fd;

	*tmp = path_fmt("%.*s.%s.mr-tmp-XXXXXX",
	    slash != NULL ? (int)(slash - path + 1) : 0, path,
	    slash != NULL ? slash + 1 : path);
	if ((fd = mkostemp(*tmp, O_CLOEXEC)) < 0)
		return -1;
	if (fchmod(fd, 0644) != 0) {
		close(fd);
		unlink(*tmp);
		return -1;
	}
	return fd;
}

static int
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Writes DIR/rel (unless it holds `data` already): to a temporary name
 * beside it, synced, then renamed over it. */
static mr_status
write_file(exporter *x, const char *rel, const void *data, size_t len)
{
	char *path = full_path(x, rel), *tmp = NULL;
	mr_status rv = MR_OK;
	int fd;

	keep(x, rel);
	if (holds(path, data, len, x->buf)) {
		x->sum.unchanged++;
		goto out;
	}
	if ((rv = make_parent(path, x->e)) != MR_OK)
		goto out;
	if ((fd = temp_beside(path, &tmp)) < 0) {
		rv = client_sys_fail(x->e, "create", tmp);
		goto out;
	}
	if (write_all(fd, data, len) != 0 || fsync(fd) != 0) {
		rv = client_sys_fail(x->e, "write", tmp);
		close(fd);
		goto err_tmp;
	}
	if (close(fd) != 0) {
		rv = client_sys_fail(x->e, "close", tmp);
		goto err_tmp;
	}
	if (rename(tmp, path) != 0) {
		rv = client_sys_fail(x->e, "rename into", path);
		goto err_tmp;
	}
	x->sum.written++;
	goto out;

err_tmp:
	unlink(tmp);
out:
	free(tmp);
	free(path);
	return rv;
}

/* Writes what `m` gathered to DIR/rel and releases it. */
static mr_status
write_mem(exporter *x, mem *m, const char *rel)
{
	mr_status rv;

	mem_close(m);
	rv = write_file(x, rel, m->p, m->len);
	free(m->p);
	m->p = NULL;
	return rv;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

/* rm -rf; quiet when nothing is there. */
static void
remove_tree(const char *path)
{
	struct stat st;

	if (lstat(path, &st) == 0)
		nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- names and paths ----------------------------------------------------- */

static bool
safe_byte(char c)
{
	return isalnum((unsigned char)c) || c == '.' || c == '_' || c == '-';
}

char *
export_increment_dir(const char *inc)
{
	size_t len = strlen(inc);
	size_t keep = len < INC_DIR_MAX ? len : INC_DIR_MAX;
	bool safe = len > 0 && len <= INC_DIR_MAX && strcmp(inc, ".") != 0 &&
	    strcmp(inc, "..") != 0;
	uint8_t digest[MR_DIGEST_LEN];
	char hex[65], *d;

	for (size_t i = 0; safe && i < len; i++)
		safe = safe_byte(inc[i]);
	if (safe)
		return cli_strdup(inc);
	/* '~' is not a safe byte: a hashed name is never a kept one. */
	mr_sha256_once(inc, len, digest);
	d = path_fmt("%.*s~%.*s", (int)keep, inc, INC_HASH_HEX,
	    mr_digest_hex(digest, hex));
	for (size_t i = 0; i < keep; i++)
		if (!safe_byte(d[i]))
			d[i] = '_';
	return d;
}

/* "" or "artifact/": where the artifact's files go in a version folder. */
static const char *
artifact_prefix(const mr_version *v)
{
	for (size_t i = 0; i < v->n_files; i++) {
		const char *p = v->files[i].path;
		size_t top = strcspn(p, "/");

		if (strncmp(p, ".mr-", 4) == 0)
			return ARTIFACT_SUBDIR "/";
		for (size_t k = 0; k < sizeof(generated) / sizeof(generated[0]);
		     k++)
			if (strlen(generated[k]) == top &&
			    strncmp(p, generated[k], top) == 0)
				return ARTIFACT_SUBDIR "/";
	}
	return "";
}

static bool
in_increment(const mr_version *v, const char *inc)
{
	return inc == NULL || strcmp(v->metadata.increment, inc) == 0;
}

static size_t
versions_in(const export_model *m, const char *inc)
{
	size_t n = 0;

	for (size_t i = 0; i < m->n_versions; i++)
		n += in_increment(m->versions[i], inc);
	return n;
}

/* ---- the catalog --------------------------------------------------------- */

static void
y_deprecation(yw *y, const mr_version *v)
{
	if (!v->deprecated) {
		y_plain(y, "null");
		return;
	}
	y_map(y);
	y_field(y, "reason", v->deprecation_reason);
	y_str(y, "end_of_life");
	y_time(y, v->end_of_life_ms);
	y_field(y, "by", v->deprecated_by);
	y_str(y, "at");
	y_time(y, v->deprecated_at_ms);
	y_end_map(y);
}

static void
y_version(yw *y, const mr_version *v, const char *folder)
{
	char hex[65], digest[80];

	y_map(y);
	y_field(y, "version", v->version);
	y_field(y, "stage", mr_stage_name(v->stage));
	y_str(y, "created");
	y_time(y, v->created_at_ms);
	y_field(y, "created_by", v->created_by);
	y_field(y, "description", v->description);
	y_field(y, "framework", v->metadata.framework);
	y_field(y, "framework_version", v->metadata.framework_version);
	y_field(y, "python_version", v->metadata.python_version);
	y_field(y, "increment", v->metadata.increment);
	y_str(y, "metrics");
	y_metrics(y, &v->metadata);
	y_str(y, "tags");
	y_kvs(y, v->tags, v->n_tags);
	y_str(y, "deprecation");
	y_deprecation(y, v);
	y_str(y, "artifact");
	y_map(y);
	snprintf(digest, sizeof(digest), "sha256:%s",
	    mr_digest_hex(v->artifact_digest, hex));
	y_field(y, "digest", digest);
	y_str(y, "size");
	y_u64(y, v->artifact_size);
	y_str(y, "files");
	y_u64(y, v->n_files);
	y_end_map(y);
	y_field(y, "folder", folder);
	y_end_map(y);
}

/*
 * The catalog of every model (inc NULL) or of one increment's versions.
 * A version's folder is models/NAME/NAME-VERSION, from the export's top
 * or from the increment's folder.
 */
static mr_status
write_catalog(exporter *x, const char *inc, const char *rel)
{
	mem m;
	yw y;
	mr_status rv;

	y_begin(&y, mem_open(&m));
	y_map(&y);
	if (inc != NULL)
		y_field(&y, "increment", inc);
	y_str(&y, "models");
	y_seq(&y);
	for (size_t i = 0; i < x->n_models; i++) {
		const export_model *em = &x->models[i];
		const mr_model *md = em->model;

		if (inc != NULL && versions_in(em, inc) == 0)
			continue;
		y_map(&y);
		y_field(&y, "name", md->name);
		y_field(&y, "description", md->description);
		y_field(&y, "owner", md->owner);
		y_str(&y, "tags");
		y_kvs(&y, md->tags, md->n_tags);
		y_field(&y, "primary_metric", md->primary_metric);
		y_field(&y, "production_version", md->production_version);
		y_field(&y, "rollback_target", md->rollback_target);
		y_field(&y, "latest_version", md->latest_version);
		y_str(&y, "aliases");
		y_kvs(&y, md->aliases, md->n_aliases);
		y_str(&y, "versions");
		y_seq(&y);
		for (size_t k = 0; k < em->n_versions; k++) {
			const mr_version *v = em->versions[k];
			char *folder;

			if (!in_increment(v, inc))
				continue;
			folder = path_fmt(
			    "models/%s/%s-%s", md->name, md->name, v->version);
			y_version(&y, v, folder);
			free(folder);
		}
		y_end_seq(&y);
		y_end_map(&y);
	}
	y_end_seq(&y);
	y_end_map(&y);
	rv = y_finish(&y, rel, x->e);
	if (rv != MR_OK) {
		mem_close(&m);
		free(m.p);
		return rv;
	}
	return write_mem(x, &m, rel);
}

/* ---- deployment history -------------------------------------------------- */

static bool
is_deployment_event(const mr_event *ev)
{
	return ev->kind == MR_EVENT_STAGE_CHANGED ||
	    ev->kind == MR_EVENT_ROLLBACK;
}

static mr_status
write_history(exporter *x, const char *inc, const char *rel)
{
	mem m;
	FILE *f = mem_open(&m);

	fputs("# Deployment history\n\n", f);
	if (inc != NULL)
		fprintf(f, "Versions of increment %s only. ", inc);
	fputs("Stage changes and rollbacks of each model, oldest first; "
	      "times are UTC.\n",
	    f);
	for (size_t i = 0; i < x->n_models; i++) {
		const export_model *em = &x->models[i];
		size_t rows = 0;

		if (inc != NULL && versions_in(em, inc) == 0)
			continue;
		fprintf(f, "\n## %s\n\n", em->model->name);
		for (size_t k = 0; k < em->n_events; k++) {
			const mr_event *ev = em->events[k];
			const mr_version *v;
			char t[32];

			if (!is_deployment_event(ev))
				continue;
			v = export_find_version(em, ev->version);
			if (inc != NULL && (v == NULL || !in_increment(v, inc)))
				continue;
			if (rows++ == 0)
				fputs("| Time | Change | Version | From | To | "
				      "Actor | Reason |\n"
				      "|---|---|---|---|---|---|---|\n",
				    f);
			fprintf(f, "| %s | %s | ",
			    mr_format_time(ev->time_ms, t),
			    ev->kind == MR_EVENT_ROLLBACK ? "rollback"
			                                  : "stage change");
			export_md_cell(f, ev->version);
			fputs(" | ", f);
			export_md_cell(f, mr_stage_name(ev->from_stage));
			fputs(" | ", f);
			export_md_cell(f, mr_stage_name(ev->to_stage));
			fputs(" | ", f);
			export_md_cell(f, ev->actor);
			fputs(" | ", f);
			export_md_cell(f, ev->reason);
			fputs(" |\n", f);
		}
		if (rows == 0)
			fputs("No stage changes yet.\n", f);
	}
	return write_mem(x, &m, rel);
}

/* ---- README.md ----------------------------------------------------------- */

static void
md_metrics(FILE *f, const mr_model *md, const mr_version *v)
{
	const mr_metric *primary =
	    find_metric(&v->metadata, md->primary_metric);
	const mr_metric *s = v->metadata.metrics;
	char num[40];

	if (v->metadata.n_metrics == 0) {
		fputs("No metrics recorded.\n", f);
		return;
	}
	fputs("| Metric | Value |\n|---|---|\n", f);
	if (primary != NULL) {
		fputs("| ", f);
		export_md_cell(f, primary->name);
		fprintf(f, " (primary) | %s |\n",
		    export_double(primary->value, num));
	}
	for (size_t i = 0; i < v->metadata.n_metrics; i++) {
		if (primary != NULL && strcmp(s[i].name, primary->name) == 0)
			continue;
		fputs("| ", f);
		export_md_cell(f, s[i].name);
		fprintf(f, " | %s |\n", export_double(s[i].value, num));
	}
}

/* The Notes cell: description, deprecation, rollbacks. */
static char *
version_notes(const export_model *em, const mr_version *v)
{
	line l;
	bool any = false;
	char t[32];

	line_start(&l);
	if (v->description[0] != '\0') {
		fputs(v->description, l.f);
		any = true;
	}
	if (v->deprecated) {
		fprintf(l.f, "%sdeprecated: %s", any ? "; " : "",
		    v->deprecation_reason);
		if (v->end_of_life_ms > 0)
			fprintf(l.f, " (end of life %s)",
			    mr_format_time(v->end_of_life_ms, t));
		any = true;
	}
	for (size_t i = 0; i < em->n_events; i++) {
		const mr_event *ev = em->events[i];

		if (ev->kind != MR_EVENT_ROLLBACK)
			continue;
		if (strcmp(ev->version, v->version) == 0) {
			fprintf(l.f, "%srestored by rollback %s: %s",
			    any ? "; " : "", mr_format_time(ev->time_ms, t),
			    ev->reason);
			any = true;
		} else if (strcmp(export_replaced(em, i), v->version) == 0) {
			fprintf(l.f, "%srolled back %s: %s", any ? "; " : "",
			    mr_format_time(ev->time_ms, t), ev->reason);
			any = true;
		}
	}
	return line_end(&l);
}

static mr_status
write_readme(exporter *x, const export_model *em)
{
	const mr_model *md = em->model;
	const mr_version *prod = NULL, *key = NULL;
	mem m;
	FILE *f = mem_open(&m);
	char t[32], num[40], *rel;
	mr_status rv;

	if (md->production_version[0] != '\0')
		prod = export_find_version(em, md->production_version);
	key = prod != NULL       ? prod
	    : em->n_versions > 0 ? em->versions[em->n_versions - 1]
	                         : NULL;

	fprintf(f, "# %s\n\n", md->name);
	if (md->description[0] != '\0')
		fprintf(f, "%s\n\n", md->description);
	fprintf(f, "- Owner: %s\n",
	    md->owner[0] != '\0' ? md->owner : "(none given)");
	if (md->n_tags > 0) {
		char *tags = cli_kv_join(md->tags, md->n_tags, ", ");

		fprintf(f, "- Tags: %s\n", tags);
		free(tags);
	}
	if (md->n_aliases > 0) {
		fputs("- Aliases:", f);
		for (size_t i = 0; i < md->n_aliases; i++)
			fprintf(f, "%s %s -> %s", i > 0 ? "," : "",
			    md->aliases[i].key, md->aliases[i].value);
		fputc('\n', f);
	}
	fprintf(f, "- Latest version: %s\n",
	    md->latest_version[0] != '\0' ? md->latest_version : "none");
	fprintf(f, "- Versions: %zu\n", em->n_versions);

	fputs("\n## Production\n\n", f);
	if (prod != NULL) {
		int64_t deployed_ms =
		    export_production_ms(em, prod->version, true);

		if (deployed_ms == 0)
			deployed_ms = prod->stage_changed_at_ms;
		fprintf(f,
		    "Version **%s** is in production; it was deployed (entered "
		    "production) %s.\n",
		    prod->version, mr_format_time(deployed_ms, t));
	} else {
		fputs("No version is in production.\n", f);
	}

	fputs("\n## Key metrics\n\n", f);
	if (key == NULL) {
		fputs("No versions yet.\n", f);
	} else {
		fprintf(f, "Of version %s (%s).\n\n", key->version,
		    key == prod ? "in production"
		                : "the latest; none is in production");
		md_metrics(f, md, key);
	}

	fputs("\n## Version history\n\n", f);
	if (em->n_versions == 0)
		fputs("No versions yet.\n", f);
	else
		fputs("| Version | Stage | Accuracy | Deployed | Notes |\n"
		      "|---|---|---|---|---|\n",
		    f);
	for (size_t i = 0; i < em->n_versions; i++) {
		const mr_version *v = em->versions[i];
		const mr_metric *acc = find_metric(&v->metadata, "accuracy");
		const mr_metric *pm =
		    find_metric(&v->metadata, md->primary_metric);
		int64_t deployed = export_production_ms(em, v->version, false);
		char *notes = version_notes(em, v);

		fprintf(f, "| [%s](%s-%s/) | %s | ", v->version, md->name,
		    v->version, mr_stage_name(v->stage));
		if (acc != NULL)
			fputs(export_double(acc->value, num), f);
		else if (pm != NULL) {
			export_md_cell(f, pm->name);
			fprintf(f, " %s", export_double(pm->value, num));
		} else
			fputc('-', f);
		fprintf(f, " | %s | ",
		    deployed > 0 ? mr_format_time(deployed, t) : "-");
		export_md_cell(f, notes);
		fputs(" |\n", f);
		free(notes);
	}
	if (md->primary_metric[0] != '\0' &&
	    strcmp(md->primary_metric, "accuracy") != 0)
		fprintf(f,
		    "\nAccuracy is the metric \"accuracy\"; where a version "
		    "has none, the primary metric (%s) is shown by name.\n",
		    md->primary_metric);
	fputs("\nDeployed: when the version first entered production.\n", f);

	fputs("\n## Rollback plan\n\n", f);
	if (md->rollback_target[0] != '\0') {
		if (prod != NULL)
			fprintf(f,
			    "If %s misbehaves, return production to %s, the "
			    "version it replaced:\n\n",
			    prod->version, md->rollback_target);
		else
			fprintf(f,
			    "Nothing is in production; %s, the last version "
			    "there, can be restored:\n\n",
			    md->rollback_target);
		fprintf(f,
		    "```sh\nmodelreg rollback %s --to %s --reason \"...\"\n"
		    "```\n",
		    md->name, md->rollback_target);
	} else {
		fputs("There is no earlier production version to roll back "
		      "to.\n",
		    f);
	}

	rel = path_fmt("models/%s/README.md", md->name);
	rv = write_mem(x, &m, rel);
	free(rel);
	return rv;
}

/* ---- version folders ----------------------------------------------------- */

/* The pip name of a framework: the common ones mapped, others as given. */
static const char *
pip_name(const char *framework)
{
	static const struct {
		const char *name, *pip;
	} map[] = {
	    {"sklearn", "scikit-learn"},
	    {"scikit-learn", "scikit-learn"},
	    {"scikit_learn", "scikit-learn"},
	    {"pytorch", "torch"},
	    {"torch", "torch"},
	    {"tensorflow", "tensorflow"},
	    {"tf", "tensorflow"},
	    {"keras", "keras"},
	    {"xgboost", "xgboost"},
	    {"lightgbm", "lightgbm"},
	    {"catboost", "catboost"},
	};

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcasecmp(framework, map[i].name) == 0)
			return map[i].pip;
	return framework;
}

/* The three files of our own in a version folder. */
typedef struct version_files {
	mem meta, req, feat;
} version_files;

static mr_status
build_version_files(exporter *x, const mr_version *v, version_files *vf)
{
	const mr_metadata *md = &v->metadata;
	json_object *o = cj_version(v);
	FILE *f;
	yw y;
	mr_status rv;

	/* The whole record, as `modelreg get --json` shows it. */
	o = export_sorted_json(o);
	f = mem_open(&vf->meta);
	fputs(json_object_to_json_string_ext(o,
	          JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
	              JSON_C_TO_STRING_NOSLASHESCAPE),
	    f);
	fputc('\n', f);
	mem_close(&vf->meta);
	json_object_put(o);

	f = mem_open(&vf->req);
	if (md->python_version[0] != '\0')
		fprintf(f, "# python %s\n", md->python_version);
	if (md->framework[0] == '\0')
		fputs("# no framework recorded\n", f);
	else if (md->framework_version[0] != '\0')
		fprintf(f, "%s==%s\n", pip_name(md->framework),
		    md->framework_version);
	else
		fprintf(f, "%s\n", pip_name(md->framework));
	mem_close(&vf->req);

	y_begin(&y, mem_open(&vf->feat));
	y_map(&y);
	y_str(&y, "features");
	y_seq(&y);
	for (size_t i = 0; i < md->n_features; i++)
		y_str(&y, md->features[i]);
	y_end_seq(&y);
	y_field(&y, "feature_set_version", md->feature_set_version);
	y_field(&y, "training_data_version", md->training_data_version);
	y_end_map(&y);
	rv = y_finish(&y, "features.yaml", x->e);
	mem_close(&vf->feat);
	return rv;
}

static void
version_files_free(version_files *vf)
{
	free(vf->meta.p);
	free(vf->req.p);
	free(vf->feat.p);
}

static mr_status
write_version_files(exporter *x, const version_files *vf, const char *vrel)
{
	const mem *parts[] = {&vf->meta, &vf->req, &vf->feat};
	mr_status rv = MR_OK;

	for (size_t i = 0; rv == MR_OK && i < 3; i++) {
		char *rel = path_fmt("%s/%s", vrel, generated[i]);

		rv = write_file(x, rel, parts[i]->p, parts[i]->len);
		free(rel);
	}
	return rv;
}

/* Whether `path` is a regular file of `size` bytes hashing to `digest`. */
static bool
file_matches(exporter *x, const char *path, uint64_t size,
    const uint8_t digest[MR_DIGEST_LEN])
{
	uint8_t got[MR_DIGEST_LEN];
	struct stat st;
	ssize_t n;
	int fd;

	if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (uint64_t)st.st_size != size)
		return false;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	mr_sha256_begin(x->codec);
	while ((n = read(fd, x->buf, IO_BUF)) > 0)
		mr_sha256_update(x->codec, x->buf, (size_t)n);
	close(fd);
	if (n < 0)
		return false;
	mr_sha256_end(x->codec, got);
	return memcmp(got, digest, MR_DIGEST_LEN) == 0;
}

/*
 * The artifact's files into DIR/vrel/prefix: pulled into a staging folder
 * in the version folder (mr_pull verifies every chunk and file), then
 * each file renamed into its place. Skipped when every file is there with
 * its digest already.
 */
static mr_status
export_artifact(exporter *x, const mr_model *md, const mr_version *v,
    const char *vrel, const char *prefix)
{
	mr_pull_options po = {.overwrite = false};
	char *vdir = full_path(x, vrel), *staging = NULL;
	bool present = true;
	mr_status rv = MR_OK;

	for (size_t i = 0; i < v->n_files; i++) {
		char *rel = path_fmt("%s/%s%s", vrel, prefix, v->files[i].path);

		keep(x, rel);
		if (present && !x->o->no_artifacts) {
			char *p = full_path(x, rel);

			present = file_matches(
			    x, p, v->files[i].size, v->files[i].digest);
			free(p);
		}
		free(rel);
	}
	if (x->o->no_artifacts)
		goto out;
	if (present) {
		x->sum.unchanged += v->n_files;
		goto out;
	}

	if ((rv = make_dirs(vdir, x->e)) != MR_OK)
		goto out;
	staging = path_fmt("%s/%s", vdir, PULL_STAGING);
	remove_tree(staging);
	if (!v->directory && mkdir(staging, 0755) != 0) {
		rv = client_sys_fail(x->e, "mkdir", staging);
		goto out;
	}
	if ((rv = mr_pull(x->c, md->name, v->version, MR_STAGE_NONE, staging,
	         &po, NULL)) != MR_OK) {
		rv = registry_fail(
		    x->c, rv, x->e, "pull %s %s", md->name, v->version);
		goto err_staging;
	}
	x->sum.pulled++;
	for (size_t i = 0; i < v->n_files; i++) {
		const char *p = v->files[i].path, *base = strrchr(p, '/');
		char *src = v->directory
		    ? path_fmt("%s/%s", staging, p)
		    : path_fmt("%s/%s", staging, base != NULL ? base + 1 : p);
		char *dst = path_fmt("%s/%s%s", vdir, prefix, p);

		if ((rv = make_parent(dst, x->e)) == MR_OK &&
		    rename(src, dst) != 0)
			rv = client_sys_fail(x->e, "rename into", dst);
		free(src);
		free(dst);
		if (rv != MR_OK)
			goto err_staging;
		x->sum.written++;
	}

err_staging:
	remove_tree(staging);
out:
	free(staging);
	free(vdir);
	return rv;
}

/*
 * DIR/dst_rel as the same file as DIR/src_rel, artifact file `file`: a
 * hard link where the file system allows one, else a copy; either way
 * via a temporary name. A DIR/dst_rel that is the same file already, or
 * holds the same bytes (a copy made before, where there are no hard
 * links), is left alone.
 */
static mr_status
link_file(
    exporter *x, const char *src_rel, const char *dst_rel, const mr_file *file)
{
	char *src = full_path(x, src_rel), *dst = full_path(x, dst_rel);
	char *tmp = NULL;
	struct stat ss, ds;
	mr_status rv = MR_OK;
	int fd = -1, in = -1;

	keep(x, dst_rel);
	if (lstat(src, &ss) != 0 || !S_ISREG(ss.st_mode))
		goto out; /* not exported (--no-artifacts): nothing to link */
	if (lstat(dst, &ds) == 0 &&
	    ((ds.st_dev == ss.st_dev && ds.st_ino == ss.st_ino) ||
	        file_matches(x, dst, file->size, file->digest))) {
		x->sum.unchanged++;
		goto out;
	}
	if ((rv = make_parent(dst, x->e)) != MR_OK)
		goto out;
	/* A temporary name that exists, then replaced by the link. */
	if ((fd = temp_beside(dst, &tmp)) < 0) {
		rv = client_sys_fail(x->e, "create", tmp);
		goto out;
	}
	close(fd);
	fd = -1;
	unlink(tmp);
	if (link(src, tmp) != 0) {
		ssize_t n;

		if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC,
		         0644)) < 0 ||
		    (in = open(src, O_RDONLY | O_CLOEXEC)) < 0) {
			rv = client_sys_fail(x->e, "copy to", tmp);
			goto err_tmp;
		}
		while ((n = read(in, x->buf, IO_BUF)) > 0)
			if (write_all(fd, x->buf, (size_t)n) != 0)
				break;
		if (n != 0 || fsync(fd) != 0) {
			rv = client_sys_fail(x->e, "copy to", tmp);
			goto err_tmp;
		}
	}
	if (rename(tmp, dst) != 0) {
		rv = client_sys_fail(x->e, "rename into", dst);
		goto err_tmp;
	}
	x->sum.written++;
	goto out;

err_tmp:
	unlink(tmp);
out:
	if (fd >= 0)
		close(fd);
	if (in >= 0)
		close(in);
	free(tmp);
	free(src);
	free(dst);
	return rv;
}

static mr_status
export_version(exporter *x, const export_model *em, const mr_version *v)
{
	const mr_model *md = em->model;
	const char *prefix = artifact_prefix(v);
	char *vrel =
	    path_fmt("models/%s/%s-%s", md->name, md->name, v->version);
	version_files vf = {0};
	mr_status rv;

	if ((rv = export_artifact(x, md, v, vrel, prefix)) != MR_OK ||
	    (rv = build_version_files(x, v, &vf)) != MR_OK ||
	    (rv = write_version_files(x, &vf, vrel)) != MR_OK)
		goto out;
	if (v->metadata.increment[0] != '\0') {
		char *inc = export_increment_dir(v->metadata.increment);
		char *irel = path_fmt("increments/%s/%s", inc, vrel);

		rv = write_version_files(x, &vf, irel);
		for (size_t i = 0; rv == MR_OK && i < v->n_files; i++) {
			char *s =
			    path_fmt("%s/%s%s", vrel, prefix, v->files[i].path);
			char *d =
			    path_fmt("%s/%s%s", irel, prefix, v->files[i].path);

			rv = link_file(x, s, d, &v->files[i]);
			free(s);
			free(d);
		}
		free(irel);
		free(inc);
	}
out:
	version_files_free(&vf);
	free(vrel);
	return rv;
}

/* ---- stale files --------------------------------------------------------- */

/* Removes what under DIR/rel is not kept, and folders left empty. */
static mr_status
prune(exporter *x, const char *rel)
{
	char *path = full_path(x, rel);
	mr_status rv = MR_OK;
	struct dirent *de;
	DIR *d;

	if ((d = opendir(path)) == NULL) {
		rv = errno == ENOENT ? MR_OK
		                     : client_sys_fail(x->e, "open", path);
		free(path);
		return rv;
	}
	while (rv == MR_OK && (de = readdir(d)) != NULL) {
		char *crel, *cpath;
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		crel = path_fmt("%s/%s", rel, de->d_name);
		cpath = full_path(x, crel);
		if (lstat(cpath, &st) != 0) {
			if (errno != ENOENT)
				rv = client_sys_fail(x->e, "stat", cpath);
		} else if (S_ISDIR(st.st_mode)) {
			rv = prune(x, crel);
			/* Only folders left empty go; ENOTEMPTY is fine. */
			if (rv == MR_OK)
				(void)rmdir(cpath);
		} else if (!is_kept(x, crel)) {
			if (unlink(cpath) != 0)
				rv = client_sys_fail(x->e, "remove", cpath);
			else
				x->sum.removed++;
		}
		free(crel);
		free(cpath);
	}
	closedir(d);
	free(path);
	return rv;
}

static bool
exists_rel(const exporter *x, const char *rel, bool dir_only)
{
	char *p = full_path(x, rel);
	struct stat st;
	bool there = lstat(p, &st) == 0 && (!dir_only || S_ISDIR(st.st_mode));

	free(p);
	return there;
}

/* ---- the export ---------------------------------------------------------- */

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * The models to read: every model of the registry, and those given
 * (which an unknown name then fails on), sorted, once each. The
 * registry-level files describe them all, however few are exported.
 */
static mr_status
model_names(exporter *x, char ***out, size_t *n_out)
{
	mr_list_params lp = {.page_size = MR_PAGE_SIZE_MAX};
	char **names = NULL, *token = NULL;
	size_t n = 0, k = 0;

	for (;;) {
		mr_model_list *l;
		mr_status rv = mr_list_models(x->c, &lp, &l);

		if (rv != MR_OK) {
			for (size_t i = 0; i < n; i++)
				free(names[i]);
			free(names);
			free(token);
			return registry_fail(x->c, rv, x->e, "list models");
		}
		names = cli_must(
		    realloc(names, (n + l->count + 1) * sizeof(*names)));
		for (size_t i = 0; i < l->count; i++)
			names[n++] = cli_strdup(l->items[i].name);
		free(token);
		token = cli_strdup(l->next_page_token);
		mr_model_list_free(l);
		if (token[0] == '\0')
			break;
		lp.page_token = token;
	}
	free(token);
	names =
	    cli_must(realloc(names, (n + x->o->n_models + 1) * sizeof(*names)));
	for (size_t i = 0; i < x->o->n_models; i++)
		names[n++] = cli_strdup(x->o->models[i]);
	if (n > 1)
		qsort(names, n, sizeof(*names), name_cmp);
	/* Once each. */
	for (size_t i = 0; i < n; i++) {
		if (k > 0 && strcmp(names[i], names[k - 1]) == 0)
			free(names[i]);
		else
			names[k++] = names[i];
	}
	*out = names;
	*n_out = k;
	return MR_OK;
}

/* Whether model `name` is one to write folders for. */
static bool
is_chosen(const export_options *o, const char *name)
{
	if (o->n_models == 0)
		return true;
	for (size_t i = 0; i < o->n_models; i++)
		if (strcmp(o->models[i], name) == 0)
			return true;
	return false;
}

/* The increments of the versions of every model (chosen_only: of the
 * exported models), sorted, once each. */
static char **
increments(const exporter *x, bool chosen_only, size_t *n_out)
{
	char **incs = NULL;
	size_t n = 0;

	for (size_t i = 0; i < x->n_models; i++)
		for (size_t k = 0; k < x->models[i].n_versions &&
		     (!chosen_only || x->chosen[i]);
		     k++) {
			const char *inc =
			    x->models[i].versions[k]->metadata.increment;
			bool seen = false;

			if (inc[0] == '\0')
				continue;
			for (size_t j = 0; !seen && j < n; j++)
				seen = strcmp(incs[j], inc) == 0;
			if (seen)
				continue;
			incs = cli_must(realloc(incs, (n + 1) * sizeof(*incs)));
			incs[n++] = (char *)inc;
		}
	if (n > 1)
		qsort(incs, n, sizeof(*incs), name_cmp);
	*n_out = n;
	return incs;
}

static mr_status
write_all_files(exporter *x)
{
	char **incs;
	size_t n_incs;
	mr_status rv;

	if ((rv = write_catalog(x, NULL, "registry/model_catalog.yaml")) !=
	        MR_OK ||
	    (rv = write_history(x, NULL, "registry/deployment_history.md")) !=
	        MR_OK)
		return rv;
	for (size_t i = 0; i < x->n_models; i++) {
		const export_model *em = &x->models[i];

		if (!x->chosen[i])
			continue;
		if ((rv = write_readme(x, em)) != MR_OK)
			return rv;
		for (size_t k = 0; k < em->n_versions; k++)
			if ((rv = export_version(x, em, em->versions[k])) !=
			    MR_OK)
				return rv;
		x->sum.versions += em->n_versions;
	}
	/* The increments' registry files, of every model like the top's. */
	incs = increments(x, false, &n_incs);
	for (size_t i = 0; rv == MR_OK && i < n_incs; i++) {
		char *dir = export_increment_dir(incs[i]);
		char *cat =
		    path_fmt("increments/%s/registry/model_catalog.yaml", dir);
		char *hist = path_fmt(
		    "increments/%s/registry/deployment_history.md", dir);

		if ((rv = write_catalog(x, incs[i], cat)) == MR_OK)
			rv = write_history(x, incs[i], hist);
		free(cat);
		free(hist);
		free(dir);
	}
	free(incs);
	/* The summary counts the increments of the exported versions. */
	free(increments(x, true, &x->sum.increments));
	return rv;
}

mr_status
export_registry(
    mr_client *c, const export_options *o, export_summary *out, mr_err *e)
{
	exporter x = {.c = c, .o = o, .e = e};
	char **names = NULL;
	size_t n_names = 0;
	bool ours, may_prune;
	mr_status rv;

	if (o->dir == NULL || o->dir[0] == '\0')
		return mr_fail(
		    e, MR_INVALID_ARGUMENT, "no folder to export to");
	if ((rv = model_names(&x, &names, &n_names)) != MR_OK)
		return rv;
	x.models = cli_must(calloc(n_names + 1, sizeof(*x.models)));
	x.chosen = cli_must(calloc(n_names + 1, sizeof(*x.chosen)));
	for (size_t i = 0; i < n_names; i++) {
		if ((rv = export_snapshot(c, names[i], &x.models[i], e)) !=
		    MR_OK)
			goto out;
		x.chosen[i] = is_chosen(o, names[i]);
		x.sum.models += x.chosen[i];
		x.n_models++;
	}
	if ((x.codec = mr_codec_create()) == NULL ||
	    (x.buf = malloc(IO_BUF)) == NULL) {
		rv = mr_fail(e, MR_RESOURCE_EXHAUSTED, "out of memory");
		goto out;
	}
	if ((rv = make_dirs(o->dir, e)) != MR_OK)
		goto out;
	/*
	 * Removing files is safe only where they are ours: in a folder an
	 * export made (it has the marker), or where models/ and
	 * increments/ do not exist yet; such a folder gets the marker. A
	 * folder that was not ours stays unmarked, so that a later export
	 * does not take its files for stale ones either. A partial export
	 * (--model) leaves the other models' files alone, so it removes
	 * nothing.
	 */
	ours = exists_rel(&x, MARKER, false) ||
	    (!exists_rel(&x, "models", false) &&
	        !exists_rel(&x, "increments", false));
	may_prune = ours && o->n_models == 0;
	if (ours &&
	    (rv = write_file(&x, MARKER, MARKER_TEXT, strlen(MARKER_TEXT))) !=
	        MR_OK)
		goto out;
	if ((rv = write_all_files(&x)) != MR_OK)
		goto out;
	if (may_prune) {
		if (x.n_kept > 1)
			qsort(x.kept, x.n_kept, sizeof(*x.kept), key_cmp);
		/* Not through a symlink: only real folders are pruned. */
		if (exists_rel(&x, "models", true) &&
		    (rv = prune(&x, "models")) != MR_OK)
			goto out;
		if (exists_rel(&x, "increments", true) &&
		    (rv = prune(&x, "increments")) != MR_OK)
			goto out;
		x.sum.pruned = true;
	}
	if (out != NULL)
		*out = x.sum;

out:
	for (size_t i = 0; i < x.n_models; i++)
		export_model_free(&x.models[i]);
	free(x.models);
	free(x.chosen);
	for (size_t i = 0; i < n_names; i++)
		free(names[i]);
	free(names);
	for (size_t i = 0; i < x.n_kept; i++)
		free(x.kept[i]);
	free(x.kept);
	mr_codec_free(x.codec);
	free(x.buf);
	return rv;
}
