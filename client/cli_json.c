/*
 * cli_json.c - JSON in the CLI: the --metadata file format, and the --json
 * renderings of results.
 *
 * The metadata format is defined here once: cli_meta_help is the text
 * `modelreg help register` prints, and cli_meta_parse() is its only
 * reader, so the two are kept side by side. A file is one JSON object;
 * every key is optional and an unknown key is an error naming it, since a
 * misspelt key silently ignored would lose metadata for good. Text fields
 * accept JSON numbers and booleans too and keep their JSON text ("eta":
 * 0.1 is "0.1"), because training pipelines dump hyperparameters with
 * their native types.
 *
 * The --json renderings carry every field of the public structures, with
 * times both as milliseconds and as RFC 3339 text, digests in hex, enums
 * by name, and a value that one side of a comparison lacks as null.
 * Audit records embed their before/after JSON as objects.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "common.h"

const char cli_meta_help[] =
    "Metadata file (--metadata FILE): one JSON object; every key is "
    "optional.\n"
    "  \"description\": \"text\"                the version's "
    "description\n"
    "  \"metrics\": {\"accuracy\": 0.87}        numbers\n"
    "  \"hyperparameters\": {\"max_depth\": 6, \"eta\": \"0.1\"}\n"
    "                                       kept as text\n"
    "  \"framework\": \"xgboost\", \"framework_version\": \"2.0.3\",\n"
    "  \"python_version\": \"3.11\", \"training_data_version\": "
    "\"v2024-01\",\n"
    "  \"feature_set_version\": \"fs-7\", \"experiment\": \"exp-003\",\n"
    "  \"increment\": \"inc-12\", \"parent_model\": \"fraud@3.0.0\"\n"
    "  \"features\": [\"amount\", \"merchant\"]   input feature names, "
    "in order\n"
    "  \"signature\": {\"inputs\": {\"amount\": \"float32\"},\n"
    "                \"outputs\": [{\"name\": \"score\", \"type\": "
    "\"float32\"}]}\n"
    "                                       either form, in order\n"
    "  \"tags\": {\"team\": \"risk\"}             --tag K=V adds or "
    "replaces\n"
    "Text values may also be JSON numbers or booleans, kept as written.\n"
    "Any other key is an error.\n";

/* Larger metadata files are refused rather than read. */
#define META_FILE_MAX (16u << 20)

static int bad(char err[CLI_ERR_MAX], const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
bad(char err[CLI_ERR_MAX], const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, CLI_ERR_MAX, fmt, ap);
	va_end(ap);
	return -1;
}

/* The text of a string, number or boolean. */
static int
text_of(json_object *v, const char *what, char **out, char err[CLI_ERR_MAX])
{
	switch (json_object_get_type(v)) {
	case json_type_string:
	case json_type_int:
	case json_type_double:
	case json_type_boolean:
		if ((*out = strdup(json_object_get_string(v))) == NULL)
			return bad(err, "out of memory");
		return 0;
	default:
		return bad(err, "%s must be a string, number or boolean", what);
	}
}

static int
want_object(json_object *v, const char *what, char err[CLI_ERR_MAX])
{
	if (!json_object_is_type(v, json_type_object))
		return bad(err, "\"%s\" must be a JSON object", what);
	return 0;
}

static void *
new_array(size_t n, size_t size, char err[CLI_ERR_MAX], int *rv)
{
	void *p = n > 0 ? calloc(n, size) : NULL;

	*rv = n > 0 && p == NULL ? bad(err, "out of memory") : 0;
	return p;
}

/* {"key": text, ...} in file order; `what` names one entry. */
static int
parse_kv(json_object *obj, const char *section, const char *what, mr_kv **out,
    size_t *n, char err[CLI_ERR_MAX])
{
	int rv;

	if (want_object(obj, section, err) != 0)
		return -1;
	*out = new_array(
	    (size_t)json_object_object_length(obj), sizeof(mr_kv), err, &rv);
	if (rv != 0)
		return rv;
	json_object_object_foreach(obj, key, val)
	{
		char name[CLI_ERR_MAX / 2];
		mr_kv *kv = &(*out)[*n];

		snprintf(name, sizeof(name), "%s \"%s\"", what, key);
		if (text_of(val, name, &kv->value, err) != 0)
			return -1;
		if ((kv->key = strdup(key)) == NULL) {
			free(kv->value);
			return bad(err, "out of memory");
		}
		(*n)++;
	}
	return 0;
}

static int
parse_metrics(json_object *obj, mr_metadata *md, char err[CLI_ERR_MAX])
{
	int rv;

	if (want_object(obj, "metrics", err) != 0)
		return -1;
	md->metrics = new_array((size_t)json_object_object_length(obj),
	    sizeof(mr_metric), err, &rv);
	if (rv != 0)
		return rv;
	json_object_object_foreach(obj, key, val)
	{
		mr_metric *m = &md->metrics[md->n_metrics];

		if (!json_object_is_type(val, json_type_int) &&
		    !json_object_is_type(val, json_type_double))
			return bad(err, "metric \"%s\" must be a number", key);
		m->value = json_object_get_double(val);
		if (!isfinite(m->value))
			return bad(
			    err, "metric \"%s\" is not a finite number", key);
		if ((m->name = strdup(key)) == NULL)
			return bad(err, "out of memory");
		md->n_metrics++;
	}
	return 0;
}

static int
parse_features(json_object *arr, mr_metadata *md, char err[CLI_ERR_MAX])
{
	size_t n;
	int rv;

	if (!json_object_is_type(arr, json_type_array))
		return bad(err, "\"features\" must be a JSON array of names");
	n = json_object_array_length(arr);
	md->features = new_array(n, sizeof(char *), err, &rv);
	if (rv != 0)
		return rv;
	for (size_t i = 0; i < n; i++) {
		if (text_of(json_object_array_get_idx(arr, i), "a feature name",
		        &md->features[i], err) != 0)
			return -1;
		md->n_features++;
	}
	return 0;
}

/* {"name": "type", ...} or [{"name": ..., "type": ...}, ...]. */
static int
parse_fields(json_object *v, const char *what, mr_field **out, size_t *n,
    char err[CLI_ERR_MAX])
{
	int rv;

	if (json_object_is_type(v, json_type_object)) {
		*out = new_array((size_t)json_object_object_length(v),
		    sizeof(mr_field), err, &rv);
		if (rv != 0)
			return rv;
		json_object_object_foreach(v, key, val)
		{
			mr_field *f = &(*out)[*n];

			if (text_of(val, "a signature type", &f->type, err) !=
			    0)
				return -1;
			if ((f->name = strdup(key)) == NULL) {
				free(f->type);
				return bad(err, "out of memory");
			}
			(*n)++;
		}
		return 0;
	}
	if (!json_object_is_type(v, json_type_array))
		return bad(err,
		    "signature \"%s\" must be an object of name: type or an "
		    "array of {\"name\", \"type\"}",
		    what);
	*out =
	    new_array(json_object_array_length(v), sizeof(mr_field), err, &rv);
	if (rv != 0)
		return rv;
	for (size_t i = 0; i < json_object_array_length(v); i++) {
		json_object *el = json_object_array_get_idx(v, i);
		mr_field *f = &(*out)[*n];

		if (!json_object_is_type(el, json_type_object))
			return bad(err,
			    "signature %s[%zu] must be an object with "
			    "\"name\" and \"type\"",
			    what, i);
		(*n)++; /* counted now, so that a failure frees it */
		json_object_object_foreach(el, key, val)
		{
			char **dst = strcmp(key, "name") == 0 ? &f->name
			    : strcmp(key, "type") == 0        ? &f->type
			                                      : NULL;
			if (dst == NULL)
				return bad(err,
				    "unknown key \"%s\" in signature %s[%zu]",
				    key, what, i);
			free(*dst);
			*dst = NULL;
			if (text_of(
			        val, "a signature name or type", dst, err) != 0)
				return -1;
		}
		if (f->name == NULL || f->name[0] == '\0')
			return bad(
			    err, "signature %s[%zu] has no \"name\"", what, i);
		if (f->type == NULL && (f->type = strdup("")) == NULL)
			return bad(err, "out of memory");
	}
	return 0;
}

static int
parse_signature(json_object *obj, cli_meta *m, char err[CLI_ERR_MAX])
{
	if (want_object(obj, "signature", err) != 0)
		return -1;
	m->has_signature = true;
	json_object_object_foreach(obj, key, val)
	{
		int rv;

		if (strcmp(key, "inputs") == 0)
			rv = parse_fields(val, "inputs", &m->sig.inputs,
			    &m->sig.n_inputs, err);
		else if (strcmp(key, "outputs") == 0)
			rv = parse_fields(val, "outputs", &m->sig.outputs,
			    &m->sig.n_outputs, err);
		else
			rv = bad(err,
			    "unknown key \"signature.%s\" (signatures have "
			    "\"inputs\" and \"outputs\")",
			    key);
		if (rv != 0)
			return rv;
	}
	return 0;
}

/* Text-valued keys and where they go. */
static const struct {
	const char *key;
	size_t offset;
} text_keys[] = {
    {"framework", offsetof(mr_metadata, framework)},
    {"framework_version", offsetof(mr_metadata, framework_version)},
    {"python_version", offsetof(mr_metadata, python_version)},
    {"training_data_version", offsetof(mr_metadata, training_data_version)},
    {"feature_set_version", offsetof(mr_metadata, feature_set_version)},
    {"experiment", offsetof(mr_metadata, experiment)},
    {"increment", offsetof(mr_metadata, increment)},
    {"parent_model", offsetof(mr_metadata, parent_model)},
};

static int
parse_key(cli_meta *m, const char *key, json_object *val, char err[CLI_ERR_MAX])
{
	char what[CLI_ERR_MAX / 2];

	if (strcmp(key, "metrics") == 0)
		return parse_metrics(val, &m->md, err);
	if (strcmp(key, "hyperparameters") == 0)
		return parse_kv(val, key, "hyperparameter",
		    &m->md.hyperparameters, &m->md.n_hyperparameters, err);
	if (strcmp(key, "features") == 0)
		return parse_features(val, &m->md, err);
	if (strcmp(key, "signature") == 0)
		return parse_signature(val, m, err);
	if (strcmp(key, "tags") == 0)
		return parse_kv(val, key, "tag", &m->tags, &m->n_tags, err);
	snprintf(what, sizeof(what), "\"%s\"", key);
	if (strcmp(key, "description") == 0)
		return text_of(val, what, &m->description, err);
	for (size_t i = 0; i < sizeof(text_keys) / sizeof(text_keys[0]); i++)
		if (strcmp(key, text_keys[i].key) == 0)
			return text_of(val, what,
			    (char **)((char *)&m->md + text_keys[i].offset),
			    err);
	return bad(err,
	    "unknown key \"%s\" (see \"modelreg help register\" for the "
	    "format)",
	    key);
}

/* Line and column of a byte offset, for syntax errors. */
static void
where(const char *text, size_t off, int *line, int *col)
{
	*line = 1;
	*col = 1;
	for (size_t i = 0; i < off; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

/* Parses `text` as one JSON value with nothing after it; on failure
 * returns NULL with the line and column in err. */
static json_object *
parse_root(const char *text, size_t len, char err[CLI_ERR_MAX])
{
	json_tokener *tok;
	json_object *root;
	size_t end;
	int line, col;

	if ((tok = json_tokener_new()) == NULL) {
		bad(err, "out of memory");
		return NULL;
	}
	if (len > INT32_MAX) {
		json_tokener_free(tok);
		bad(err, "the file is too large");
		return NULL;
	}
	root = json_tokener_parse_ex(tok, text, (int)len);
	end = json_tokener_get_parse_end(tok);
	if (root == NULL) {
		enum json_tokener_error je = json_tokener_get_error(tok);
		where(text, end, &line, &col);
		json_tokener_free(tok);
		bad(err, "line %d, column %d: %s", line, col,
		    je == json_tokener_continue ? "the JSON ends too early"
		                                : json_tokener_error_desc(je));
		return NULL;
	}
	json_tokener_free(tok);
	while (end < len && strchr(" \t\r\n", text[end]) != NULL)
		end++;
	if (end < len) {
		where(text, end, &line, &col);
		bad(err, "line %d, column %d: more text after the JSON object",
		    line, col);
		json_object_put(root);
		return NULL;
	}
	return root;
}

int
cli_meta_parse(cli_meta *m, const char *text, size_t len, char err[CLI_ERR_MAX])
{
	json_object *root;
	int rv = 0;

	memset(m, 0, sizeof(*m));
	if ((root = parse_root(text, len, err)) == NULL)
		return -1;
	if (!json_object_is_type(root, json_type_object)) {
		rv = bad(err, "the metadata must be one JSON object {...}");
	} else {
		json_object_object_foreach(root, key, val)
		{
			if ((rv = parse_key(m, key, val, err)) != 0)
				break;
		}
	}
	json_object_put(root);
	if (rv != 0)
		cli_meta_free(m);
	return rv;
}

int
cli_sig_parse(cli_meta *m, const char *text, size_t len, char err[CLI_ERR_MAX])
{
	json_object *root;
	int rv;

	memset(m, 0, sizeof(*m));
	if ((root = parse_root(text, len, err)) == NULL)
		return -1;
	if (!json_object_is_type(root, json_type_object))
		rv = bad(err,
		    "a signature must be one JSON object {\"inputs\": ..., "
		    "\"outputs\": ...}");
	else
		rv = parse_signature(root, m, err);
	json_object_put(root);
	if (rv != 0)
		cli_meta_free(m);
	return rv;
}

typedef int (*parse_fn)(
    cli_meta *m, const char *text, size_t len, char err[CLI_ERR_MAX]);

/* Reads the file at `path` and parses it with `parse`; messages begin
 * with the path. */
static int
load(cli_meta *m, const char *path, parse_fn parse, char err[CLI_ERR_MAX])
{
	char msg[CLI_ERR_MAX];
	struct stat st;
	char *text;
	size_t n;
	FILE *f;
	int rv;

	memset(m, 0, sizeof(*m));
	if ((f = fopen(path, "rb")) == NULL)
		return bad(err, "%s: %s", path, strerror(errno));
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > (off_t)META_FILE_MAX) {
		fclose(f);
		return bad(err, "%s: not a regular file of at most %u bytes",
		    path, META_FILE_MAX);
	}
	if ((text = malloc((size_t)st.st_size + 1)) == NULL) {
		fclose(f);
		return bad(err, "%s: out of memory", path);
	}
	n = fread(text, 1, (size_t)st.st_size, f);
	if (ferror(f)) {
		rv = bad(err, "%s: read error", path);
	} else {
		text[n] = '\0';
		rv = parse(m, text, n, msg);
		if (rv != 0)
			bad(err, "%s: %s", path, msg);
	}
	free(text);
	fclose(f);
	return rv;
}

int
cli_meta_load(cli_meta *m, const char *path, char err[CLI_ERR_MAX])
{
	return load(m, path, cli_meta_parse, err);
}

int
cli_sig_load(cli_meta *m, const char *path, char err[CLI_ERR_MAX])
{
	return load(m, path, cli_sig_parse, err);
}

void
cli_kv_free(mr_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

static void
fields_free(mr_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].name);
		free(f[i].type);
	}
	free(f);
}

void
cli_meta_free(cli_meta *m)
{
	for (size_t i = 0; i < m->md.n_metrics; i++)
		free(m->md.metrics[i].name);
	free(m->md.metrics);
	cli_kv_free(m->md.hyperparameters, m->md.n_hyperparameters);
	for (size_t i = 0; i < m->md.n_features; i++)
		free(m->md.features[i]);
	free(m->md.features);
	for (size_t i = 0; i < sizeof(text_keys) / sizeof(text_keys[0]); i++)
		free(*(char **)((char *)&m->md + text_keys[i].offset));
	fields_free(m->sig.inputs, m->sig.n_inputs);
	fields_free(m->sig.outputs, m->sig.n_outputs);
	cli_kv_free(m->tags, m->n_tags);
	free(m->description);
	memset(m, 0, sizeof(*m));
}

int
cli_kv_set(mr_kv **kv, size_t *n, const char *key, const char *value)
{
	char *v = strdup(value);
	mr_kv *p;

	if (v == NULL)
		return -1;
	for (size_t i = 0; i < *n; i++) {
		if (strcmp((*kv)[i].key, key) == 0) {
			free((*kv)[i].value);
			(*kv)[i].value = v;
			return 0;
		}
	}
	if ((p = realloc(*kv, (*n + 1) * sizeof(*p))) == NULL) {
		free(v);
		return -1;
	}
	*kv = p;
	if ((p[*n].key = strdup(key)) == NULL) {
		free(v);
		return -1;
	}
	p[*n].value = v;
	(*n)++;
	return 0;
}

/* ---- --json output ------------------------------------------------------- */

static void
add_str(json_object *o, const char *key, const char *s)
{
	json_object_object_add(o, key, json_object_new_string(s ? s : ""));
}

/* "<key>_ms": ms and "<key>": RFC 3339 text (null when unset). */
static void
add_time(json_object *o, const char *key, int64_t ms)
{
	char name[64], text[32];

	snprintf(name, sizeof(name), "%s_ms", key);
	json_object_object_add(o, name, json_object_new_int64(ms));
	json_object_object_add(o, key,
	    ms > 0 ? json_object_new_string(mr_format_time(ms, text)) : NULL);
}

static json_object *
kv_object(const mr_kv *kv, size_t n)
{
	json_object *o = json_object_new_object();

	for (size_t i = 0; i < n; i++)
		add_str(o, kv[i].key, kv[i].value);
	return o;
}

static json_object *
fields_array(const mr_field *f, size_t n)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_new_object();
		add_str(o, "name", f[i].name);
		add_str(o, "type", f[i].type);
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *
metadata_object(const mr_metadata *md)
{
	json_object *o = json_object_new_object();
	json_object *metrics = json_object_new_object();
	json_object *features = json_object_new_array();

	for (size_t i = 0; i < md->n_metrics; i++)
		json_object_object_add(metrics, md->metrics[i].name,
		    json_object_new_double(md->metrics[i].value));
	for (size_t i = 0; i < md->n_features; i++)
		json_object_array_add(
		    features, json_object_new_string(md->features[i]));
	json_object_object_add(o, "metrics", metrics);
	json_object_object_add(o, "hyperparameters",
	    kv_object(md->hyperparameters, md->n_hyperparameters));
	add_str(o, "framework", md->framework);
	add_str(o, "framework_version", md->framework_version);
	add_str(o, "python_version", md->python_version);
	json_object_object_add(o, "features", features);
	add_str(o, "training_data_version", md->training_data_version);
	add_str(o, "feature_set_version", md->feature_set_version);
	add_str(o, "experiment", md->experiment);
	add_str(o, "increment", md->increment);
	add_str(o, "parent_model", md->parent_model);
	return o;
}

json_object *
cj_version(const mr_version *v)
{
	json_object *o = json_object_new_object();
	json_object *sig = json_object_new_object();
	json_object *art = json_object_new_object();
	json_object *files = json_object_new_array();
	json_object *reviews = json_object_new_array();
	char hex[65];

	add_str(o, "name", v->name);
	add_str(o, "version", v->version);
	add_str(o, "stage", mr_stage_name(v->stage));
	add_str(o, "description", v->description);
	json_object_object_add(o, "metadata", metadata_object(&v->metadata));
	json_object_object_add(o, "tags", kv_object(v->tags, v->n_tags));
	json_object_object_add(sig, "inputs",
	    fields_array(v->signature.inputs, v->signature.n_inputs));
	json_object_object_add(sig, "outputs",
	    fields_array(v->signature.outputs, v->signature.n_outputs));
	json_object_object_add(o, "signature", sig);
	add_str(art, "digest", mr_digest_hex(v->artifact_digest, hex));
	json_object_object_add(
	    art, "size", json_object_new_uint64(v->artifact_size));
	json_object_object_add(
	    art, "chunk_count", json_object_new_int64(v->chunk_count));
	json_object_object_add(
	    art, "directory", json_object_new_boolean(v->directory));
	for (size_t i = 0; i < v->n_files; i++) {
		json_object *f = json_object_new_object();
		add_str(f, "path", v->files[i].path);
		json_object_object_add(
		    f, "size", json_object_new_uint64(v->files[i].size));
		add_str(f, "digest", mr_digest_hex(v->files[i].digest, hex));
		json_object_object_add(
		    f, "mode", json_object_new_int64(v->files[i].mode));
		json_object_array_add(files, f);
	}
	json_object_object_add(art, "files", files);
	json_object_object_add(o, "artifact", art);
	add_str(o, "created_by", v->created_by);
	add_time(o, "created_at", v->created_at_ms);
	json_object_object_add(
	    o, "created_revision", json_object_new_uint64(v->created_revision));
	add_time(o, "stage_changed_at", v->stage_changed_at_ms);
	add_str(o, "displaced_version", v->displaced_version);
	json_object_object_add(
	    o, "ever_production", json_object_new_boolean(v->ever_production));
	json_object_object_add(
	    o, "deprecated", json_object_new_boolean(v->deprecated));
	if (v->deprecated) {
		json_object *d = json_object_new_object();
		add_str(d, "reason", v->deprecation_reason);
		add_time(d, "end_of_life", v->end_of_life_ms);
		add_str(d, "by", v->deprecated_by);
		add_time(d, "at", v->deprecated_at_ms);
		json_object_object_add(o, "deprecation", d);
	} else {
		json_object_object_add(o, "deprecation", NULL);
	}
	json_object_object_add(o, "reviews", reviews);
	for (size_t i = 0; i < v->n_reviews; i++)
		json_object_array_add(reviews, cj_review(&v->reviews[i]));
	add_str(o, "version_rule", v->version_rule);
	/* Only a deleted version's tombstone has it. */
	if (v->deleted) {
		json_object *d = json_object_new_object();
		add_str(d, "reason", v->deletion_reason);
		add_str(d, "by", v->deleted_by);
		add_time(d, "at", v->deleted_at_ms);
		json_object_object_add(o, "deletion", d);
	}
	return o;
}

json_object *
cj_model(const mr_model *m)
{
	json_object *o = json_object_new_object();
	json_object *goals, *policies;

	add_str(o, "name", m->name);
	add_str(o, "description", m->description);
	add_str(o, "owner", m->owner);
	json_object_object_add(o, "tags", kv_object(m->tags, m->n_tags));
	add_time(o, "created_at", m->created_at_ms);
	add_time(o, "updated_at", m->updated_at_ms);
	json_object_object_add(
	    o, "version_count", json_object_new_int64(m->version_count));
	add_str(o, "latest_version", m->latest_version);
	add_str(o, "production_version", m->production_version);
	add_str(o, "rollback_target", m->rollback_target);
	json_object_object_add(
	    o, "revision", json_object_new_uint64(m->revision));
	add_str(o, "primary_metric", m->primary_metric);
	goals = json_object_new_object();
	for (size_t i = 0; i < m->n_goals; i++)
		add_str(
		    goals, m->goals[i].metric, cli_goal_name(m->goals[i].goal));
	json_object_object_add(o, "goals", goals);
	policies = json_object_new_array();
	for (size_t i = 0; i < m->n_policies; i++)
		json_object_array_add(policies, cj_policy(&m->policies[i]));
	json_object_object_add(o, "policies", policies);
	json_object_object_add(
	    o, "aliases", kv_object(m->aliases, m->n_aliases));
	if (m->split_basis_points > 0) {
		json_object *split = json_object_new_object();

		add_str(split, "canary_stage", mr_stage_name(m->split_stage));
		json_object_object_add(split, "canary_basis_points",
		    json_object_new_int64(m->split_basis_points));
		json_object_object_add(o, "traffic_split", split);
	} else {
		json_object_object_add(o, "traffic_split", NULL);
	}
	return o;
}

json_object *
cj_event(const mr_event *ev)
{
	json_object *o = json_object_new_object();

	json_object_object_add(
	    o, "revision", json_object_new_uint64(ev->revision));
	add_time(o, "time", ev->time_ms);
	add_str(o, "kind", mr_event_kind_name(ev->kind));
	add_str(o, "model", ev->model);
	add_str(o, "version", ev->version);
	add_str(o, "from_stage", mr_stage_name(ev->from_stage));
	add_str(o, "to_stage", mr_stage_name(ev->to_stage));
	add_str(o, "actor", ev->actor);
	add_str(o, "reason", ev->reason);
	add_str(o, "node", ev->node);
	add_str(o, "alias", ev->alias);
	return o;
}

json_object *
cj_stats(const mr_transfer_stats *s)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "files", json_object_new_uint64(s->files));
	json_object_object_add(o, "chunks", json_object_new_uint64(s->chunks));
	json_object_object_add(
	    o, "chunks_sent", json_object_new_uint64(s->chunks_sent));
	json_object_object_add(o, "bytes", json_object_new_uint64(s->bytes));
	json_object_object_add(
	    o, "bytes_sent", json_object_new_uint64(s->bytes_sent));
	json_object_object_add(
	    o, "chunks_reused", json_object_new_uint64(s->chunks_reused));
	json_object_object_add(
	    o, "bytes_reused", json_object_new_uint64(s->bytes_reused));
	return o;
}

json_object *
cj_dangling(const mr_dangling *d, size_t n)
{
	json_object *a = json_object_new_array();

	for (size_t i = 0; i < n; i++) {
		json_object *o = json_object_new_object();
		add_str(o, "field", d[i].field);
		add_str(o, "value", d[i].value);
		add_str(o, "kind", mr_node_kind_name(d[i].kind));
		add_str(o, "reason", d[i].reason);
		json_object_array_add(a, o);
	}
	return a;
}

json_object *
cj_node(const mr_node *n)
{
	json_object *o = json_object_new_object();

	add_str(o, "id", n->id);
	add_str(o, "kind", mr_node_kind_name(n->kind));
	add_str(o, "name", n->name);
	add_str(o, "version", n->version);
	json_object_object_add(
	    o, "properties", kv_object(n->properties, n->n_properties));
	add_time(o, "created_at", n->created_at_ms);
	json_object_object_add(
	    o, "created_revision", json_object_new_uint64(n->created_revision));
	add_str(o, "stage", mr_stage_name(n->stage));
	add_str(o, "environment", n->environment);
	add_time(o, "ended_at", n->ended_at_ms);
	if (n->deleted_at_ms != 0)
		add_time(o, "deleted_at", n->deleted_at_ms);
	json_object_object_add(
	    o, "dangling", cj_dangling(n->dangling, n->n_dangling));
	json_object_object_add(o, "depth", json_object_new_int64(n->depth));
	return o;
}

json_object *
cj_edge(const mr_edge *e)
{
	json_object *o = json_object_new_object();

	add_str(o, "from", e->from);
	add_str(o, "to", e->to);
	add_str(o, "type", mr_edge_type_name(e->type));
	return o;
}

json_object *
cj_impacted(const mr_impacted *v)
{
	json_object *o = json_object_new_object();

	add_str(o, "model", v->model);
	add_str(o, "version", v->version);
	add_str(o, "stage", mr_stage_name(v->stage));
	json_object_object_add(o, "depth", json_object_new_int64(v->depth));
	return o;
}

json_object *
cj_graph(const cli_graph *g)
{
	json_object *o = json_object_new_object();
	json_object *nodes = json_object_new_array();
	json_object *edges = json_object_new_array();

	for (size_t i = 0; i < g->n_nodes; i++)
		json_object_array_add(nodes, cj_node(g->nodes[i]));
	for (size_t i = 0; i < g->n_edges; i++)
		json_object_array_add(edges, cj_edge(g->edges[i]));
	json_object_object_add(o, "nodes", nodes);
	json_object_object_add(o, "edges", edges);
	json_object_object_add(
	    o, "depth_limited", json_object_new_boolean(g->depth_limited));
	return o;
}

const char *
cli_goal_name(mr_metric_goal goal)
{
	switch (goal) {
	case MR_GOAL_HIGHER:
		return "higher";
	case MR_GOAL_LOWER:
		return "lower";
	default:
		return "default";
	}
}

const char *
cli_decision_name(mr_decision d)
{
	switch (d) {
	case MR_APPROVE:
		return "approve";
	case MR_REJECT:
		return "reject";
	default:
		return "";
	}
}

void
cli_policy_approvers(FILE *f, const mr_policy *p)
{
	if (p->n_approvers == 0)
		fputs("anyone but the registrant", f);
	for (size_t i = 0; i < p->n_approvers; i++)
		fprintf(f, "%s%s", i > 0 ? ", " : "", p->approvers[i]);
}

void
cli_policy_text(FILE *f, const mr_policy *p)
{
	fprintf(
	    f, "%u approval%s from ", p->required, p->required == 1 ? "" : "s");
	cli_policy_approvers(f, p);
}

json_object *
cj_review(const mr_review *r)
{
	json_object *o = json_object_new_object();

	add_str(o, "stage", mr_stage_name(r->stage));
	add_str(o, "reviewer", r->reviewer);
	add_str(o, "decision", cli_decision_name(r->decision));
	add_str(o, "comment", r->comment);
	add_time(o, "time", r->time_ms);
	json_object_object_add(
	    o, "revision", json_object_new_uint64(r->revision));
	return o;
}

json_object *
cj_policy(const mr_policy *p)
{
	json_object *o = json_object_new_object();
	json_object *approvers = json_object_new_array();

	add_str(o, "stage", mr_stage_name(p->stage));
	for (size_t i = 0; i < p->n_approvers; i++)
		json_object_array_add(
		    approvers, json_object_new_string(p->approvers[i]));
	json_object_object_add(o, "approvers", approvers);
	json_object_object_add(
	    o, "required", json_object_new_int64(p->required));
	return o;
}

static const char *
change_name(mr_change_kind k)
{
	switch (k) {
	case MR_CHANGE_ADDED:
		return "added";
	case MR_CHANGE_REMOVED:
		return "removed";
	case MR_CHANGE_RETYPED:
		return "retyped";
	case MR_CHANGE_MOVED:
		return "moved";
	default:
		return "";
	}
}

static const char *
verdict_name(mr_verdict v)
{
	switch (v) {
	case MR_VERDICT_CANDIDATE:
		return "candidate";
	case MR_VERDICT_BASELINE:
		return "baseline";
	case MR_VERDICT_EQUIVALENT:
		return "equivalent";
	case MR_VERDICT_MIXED:
		return "mixed";
	default:
		return "";
	}
}

/* A number, or null when `has` is false. */
static json_object *
maybe_double(bool has, double v)
{
	return has ? json_object_new_double(v) : NULL;
}

static json_object *
metric_delta_object(const mr_metric_delta *d)
{
	json_object *o = json_object_new_object();
	bool both = d->in_baseline && d->in_candidate;

	add_str(o, "name", d->name);
	json_object_object_add(
	    o, "in_baseline", json_object_new_boolean(d->in_baseline));
	json_object_object_add(
	    o, "in_candidate", json_object_new_boolean(d->in_candidate));
	json_object_object_add(
	    o, "baseline", maybe_double(d->in_baseline, d->baseline));
	json_object_object_add(
	    o, "candidate", maybe_double(d->in_candidate, d->candidate));
	json_object_object_add(o, "change", maybe_double(both, d->change));
	json_object_object_add(
	    o, "relative", maybe_double(both && d->has_relative, d->relative));
	add_str(o, "goal", cli_goal_name(d->goal));
	add_str(o, "outcome",
	    !both                ? "n/a"
	        : d->outcome > 0 ? "better"
	        : d->outcome < 0 ? "worse"
	                         : "same");
	return o;
}

json_object *
cj_comparison(const mr_comparison *cmp)
{
	json_object *o = json_object_new_object();
	json_object *metrics = json_object_new_array();
	json_object *features = json_object_new_array();
	json_object *sig = json_object_new_array();
	json_object *reasons = json_object_new_array();

	json_object_object_add(o, "baseline", cj_version(cmp->baseline));
	json_object_object_add(o, "candidate", cj_version(cmp->candidate));
	for (size_t i = 0; i < cmp->n_metrics; i++)
		json_object_array_add(
		    metrics, metric_delta_object(&cmp->metrics[i]));
	json_object_object_add(o, "metrics", metrics);
	for (size_t i = 0; i < cmp->n_features; i++) {
		const mr_feature_change *c = &cmp->features[i];
		json_object *f = json_object_new_object();

		add_str(f, "name", c->name);
		add_str(f, "kind", change_name(c->kind));
		json_object_object_add(f, "baseline_position",
		    json_object_new_int64(c->baseline_position));
		json_object_object_add(f, "candidate_position",
		    json_object_new_int64(c->candidate_position));
		json_object_array_add(features, f);
	}
	json_object_object_add(o, "features", features);
	for (size_t i = 0; i < cmp->n_signature; i++) {
		const mr_field_change *c = &cmp->signature[i];
		json_object *f = json_object_new_object();

		add_str(f, "direction", c->output ? "output" : "input");
		add_str(f, "name", c->name);
		add_str(f, "kind", change_name(c->kind));
		add_str(f, "baseline_type", c->baseline_type);
		add_str(f, "candidate_type", c->candidate_type);
		json_object_object_add(
		    f, "breaking", json_object_new_boolean(c->breaking));
		json_object_array_add(sig, f);
	}
	json_object_object_add(o, "signature", sig);
	json_object_object_add(
	    o, "baseline_size", json_object_new_uint64(cmp->baseline_size));
	json_object_object_add(
	    o, "candidate_size", json_object_new_uint64(cmp->candidate_size));
	add_str(o, "verdict", verdict_name(cmp->verdict));
	add_str(o, "recommendation", cmp->recommendation);
	for (size_t i = 0; i < cmp->n_reasons; i++)
		json_object_array_add(
		    reasons, json_object_new_string(cmp->reasons[i]));
	json_object_object_add(o, "reasons", reasons);
	return o;
}

/* The before/after of an audit record: its JSON when it parses, else the
 * text as it is. */
static json_object *
embedded_json(const char *text)
{
	json_object *o;

	if (text == NULL || text[0] == '\0')
		return json_object_new_object();
	o = json_tokener_parse(text);
	return o != NULL ? o : json_object_new_string(text);
}

json_object *
cj_audit_record(const mr_audit_record *r)
{
	json_object *o = json_object_new_object();
	char hex[65];

	json_object_object_add(o, "seq", json_object_new_uint64(r->seq));
	add_time(o, "time", r->time_ms);
	add_str(o, "actor", r->actor);
	add_str(o, "action", r->action);
	add_str(o, "model", r->model);
	add_str(o, "target", r->target);
	json_object_object_add(o, "before", embedded_json(r->before));
	json_object_object_add(o, "after", embedded_json(r->after));
	add_str(o, "reason", r->reason);
	add_str(o, "outcome", r->outcome);
	json_object_object_add(
	    o, "revision", json_object_new_uint64(r->revision));
	add_str(o, "prev_hash", mr_digest_hex(r->prev_hash, hex));
	add_str(o, "hash", mr_digest_hex(r->hash, hex));
	return o;
}

json_object *
cj_audit_check(const mr_audit_check *a)
{
	json_object *o = json_object_new_object();
	char hex[65];

	json_object_object_add(o, "ok", json_object_new_boolean(a->ok));
	json_object_object_add(
	    o, "records", json_object_new_uint64(a->records));
	json_object_object_add(
	    o, "first_broken", json_object_new_uint64(a->first_broken));
	add_str(o, "problem", a->problem);
	add_str(o, "head_hash", mr_digest_hex(a->head_hash, hex));
	return o;
}

void
cj_print(json_object *o)
{
	puts(json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
	        JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
}
