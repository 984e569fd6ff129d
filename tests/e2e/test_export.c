/*
 * test_export.c - `modelreg export` and `modelreg audit report` as users
 * run them, against the real modelregd on an ipc:// socket in a
 * temporary directory (e2e.c).
 *
 * Every case starts from the same registry, built with the CLI: model
 * fraud with three versions (1.0.0 of increment inc-7, with metrics,
 * features, xgboost 2.0.3 and python 3.11; 1.1.0; 1.2.0 promoted after
 * an approval policy and alice's approval), promoted in turn and rolled
 * back from 1.2.0 to 1.1.0 with a reason; and model ranker, a directory
 * artifact of inc-7. Exports are compared byte for byte across runs a
 * second apart, the catalog is read back with libyaml's parser, and the
 * report is checked in Markdown and in JSON.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <yaml.h>

#include "chunk.h" /* mr_sha256_once */
#include "cli.h"   /* export_double, export_check_*, export_increment_dir */
#include "e2e.h"
#include "testutil.h"

#define ROLLBACK_REASON "latency regression in 1.2.0"

static const char meta_v1[] =
    "{\"description\": \"gradient boosted trees\",\n"
    " \"metrics\": {\"accuracy\": 0.87, \"auc\": 0.93},\n"
    " \"framework\": \"xgboost\", \"framework_version\": \"2.0.3\",\n"
    " \"python_version\": \"3.11\",\n"
    " \"features\": [\"amount\", \"merchant\", \"hour\"],\n"
    " \"training_data_version\": \"v2024-01\",\n"
    " \"feature_set_version\": \"fs-7\", \"increment\": \"inc-7\"}\n";
static const char meta_v2[] =
    "{\"metrics\": {\"accuracy\": 0.9, \"auc\": 0.94},\n"
    " \"framework\": \"sklearn\", \"framework_version\": \"1.4.0\",\n"
    " \"python_version\": \"3.11\", \"features\": [\"amount\"]}\n";
static const char meta_v3[] =
    "{\"metrics\": {\"accuracy\": 0.91, \"auc\": 0.95},\n"
    " \"framework\": \"pytorch\", \"framework_version\": \"2.2.1\",\n"
    " \"python_version\": \"3.12\", \"features\": [\"amount\"]}\n";
static const char meta_ranker[] =
    "{\"metrics\": {\"ndcg\": 0.5}, \"framework\": \"lightgbm\",\n"
    " \"increment\": \"inc-7\"}\n";

typedef struct fixture {
	e2e_server s;
	char dir[PATH_MAX + 32]; /* the server's temporary directory */
} fixture;

static void
write_text(const fixture *f, const char *name, const char *text)
{
	char p[E2E_PATH_SIZE];

	tu_write_file(e2e_path(p, f->dir, name), text, strlen(text));
}

/* A whole file as a string; fails the test if it cannot be read. */
static char *
slurp(const char *dir, const char *name)
{
	char p[E2E_PATH_SIZE];
	size_t len;
	char *data = tu_read_file(e2e_path(p, dir, name), &len), *s;

	if (data == NULL)
		fail_msg("cannot read %s", p);
	s = malloc(len + 1);
	memcpy(s, data, len);
	s[len] = '\0';
	free(data);
	return s;
}

static bool
exists(const char *dir, const char *name)
{
	char p[E2E_PATH_SIZE];
	struct stat st;

	return lstat(e2e_path(p, dir, name), &st) == 0;
}

static void
expect_in(const char *text, const char *part, const char *what)
{
	if (strstr(text, part) == NULL)
		fail_msg("no \"%s\" in %s:\n%s", part, what, text);
}

/*
 * The registry every case starts from. Promotions: fraud 1.0.0, then
 * 1.1.0, then (after a policy asking for alice and her approval) 1.2.0
 * into production, then a rollback to 1.1.0, whose rollback target is
 * then 1.0.0, the version it replaced.
 */
static void
populate(fixture *f)
{
	char p[6][E2E_PATH_SIZE];
	e2e_run r = {0};

	e2e_write_random(e2e_path(p[0], f->dir, "v1/model.bin"), 30000, 1);
	e2e_write_random(e2e_path(p[1], f->dir, "v2/model.bin"), 20000, 2);
	e2e_write_random(e2e_path(p[2], f->dir, "v3/model.bin"), 25000, 3);
	e2e_write_random(e2e_path(p[3], f->dir, "tree/sub/w.bin"), 5000, 4);
	tu_write_file(e2e_path(p[3], f->dir, "tree/config.json"), "{}\n", 3);
	e2e_path(p[3], f->dir, "tree");
	write_text(f, "meta1.json", meta_v1);
	write_text(f, "meta2.json", meta_v2);
	write_text(f, "meta3.json", meta_v3);
	write_text(f, "meta-ranker.json", meta_ranker);
	e2e_path(p[4], f->dir, "meta1.json");

	E2E_CLI(&f->s, r, "lineage", "add", "dataset", "transactions@v2024-01");
	e2e_expect(&r, 0, NULL, NULL);
	E2E_CLI(&f->s, r, "lineage", "add", "features", "fe@fs-7", "--from",
	    "dataset:transactions@v2024-01");
	e2e_expect(&r, 0, NULL, NULL);

	E2E_CLI(&f->s, r, "register", "fraud", p[0], "--version", "1.0.0",
	    "--metadata", p[4], "--owner", "risk-team", "--model-description",
	    "Scores card payments");
	e2e_expect(&r, 0, "registered fraud 1.0.0", NULL);
	e2e_path(p[4], f->dir, "meta2.json");
	E2E_CLI(&f->s, r, "register", "fraud", p[1], "--version", "1.1.0",
	    "--metadata", p[4]);
	e2e_expect(&r, 0, "registered fraud 1.1.0", NULL);
	e2e_path(p[4], f->dir, "meta3.json");
	E2E_CLI(&f->s, r, "register", "fraud", p[2], "--version", "1.2.0",
	    "--metadata", p[4], "--tag", "team=risk");
	e2e_expect(&r, 0, "registered fraud 1.2.0", NULL);
	e2e_path(p[4], f->dir, "meta-ranker.json");
	E2E_CLI(&f->s, r, "register", "ranker", p[3], "--version", "0.1.0",
	    "--metadata", p[4]);
	e2e_expect(&r, 0, "registered ranker 0.1.0", NULL);
	E2E_CLI(&f->s, r, "update", "ranker", "--primary-metric", "ndcg");
	e2e_expect(&r, 0, NULL, NULL);

	E2E_CLI(&f->s, r, "promote", "fraud", "1.0.0", "--to", "staging");
	e2e_expect(&r, 0, NULL, NULL);
	E2E_CLI(&f->s, r, "promote", "fraud", "1.0.0", "--to", "production",
	    "--reason", "first release");
	e2e_expect(&r, 0, NULL, NULL);
	E2E_CLI(&f->s, r, "promote", "fraud", "1.1.0", "--to", "staging");
	e2e_expect(&r, 0, NULL, NULL);
	E2E_CLI(&f->s, r, "promote", "fraud", "1.1.0", "--to", "production",
	    "--reason", "better recall");
	e2e_expect(&r, 0, NULL, NULL);

	E2E_CLI(&f->s, r, "policy", "fraud", "production", "--require", "1",
	    "--approver", "alice", "--reason", "four eyes");
	e2e_expect(&r, 0, NULL, NULL);
	E2E_CLI(&f->s, r, "promote", "fraud", "1.2.0", "--to", "staging");
	e2e_expect(&r, 0, NULL, NULL);
	E2E_CLI(&f->s, r, "--token", e2e_token(&f->s, "alice"), "approve", "fraud", "1.2.0",
	    "--stage", "production", "--comment", "metrics hold up");
	e2e_expect(&r, 0, NULL, NULL);
	E2E_CLI(&f->s, r, "promote", "fraud", "1.2.0", "--to", "production",
	    "--reason", "best yet");
	e2e_expect(&r, 0, NULL, NULL);
	E2E_CLI(&f->s, r, "rollback", "fraud", "--reason", ROLLBACK_REASON);
	e2e_expect(&r, 0, "production is now 1.1.0", NULL);
	E2E_CLI(&f->s, r, "alias", "set", "fraud", "champion", "1.1.0");
	e2e_expect(&r, 0, NULL, NULL);
	e2e_run_free(&r);
}

static int
setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));

	e2e_start(&f->s, "export");
	snprintf(f->dir, sizeof(f->dir), "%s", f->s.dir);
	populate(f);
	*state = f;
	return 0;
}

/* Registers NAME VERSION (the bytes of v1/model.bin) with metadata JSON
 * `meta`, after the fixture's registry. */
static void
register_with(
    fixture *f, const char *name, const char *version, const char *meta)
{
	char art[E2E_PATH_SIZE], mp[E2E_PATH_SIZE], file[64];
	e2e_run r = {0};

	snprintf(file, sizeof(file), "meta-%s-%s.json", name, version);
	write_text(f, file, meta);
	e2e_path(art, f->dir, "v1/model.bin");
	e2e_path(mp, f->dir, file);
	E2E_CLI(&f->s, r, "register", name, art, "--version", version,
	    "--metadata", mp);
	e2e_expect(&r, 0, "registered ", NULL);
	e2e_run_free(&r);
}

/* Whether dir/a and dir/b hold the same bytes. */
static void
expect_same_file(const char *a, const char *b, const char *name)
{
	char *x = slurp(a, name), *y = slurp(b, name);

	if (strcmp(x, y) != 0)
		fail_msg("%s differs:\n%s\n---\n%s", name, x, y);
	free(x);
	free(y);
}

/* Exports into dir/name (extra arguments after it), expecting success. */
#define EXPORT(f, r, out, name, ...)                                           \
	do {                                                                   \
		e2e_path(out, (f)->dir, name);                                 \
		E2E_CLI(&(f)->s, r, "export", out, ##__VA_ARGS__);             \
		e2e_expect(&(r), 0, "exported ", NULL);                        \
	} while (0)

/* ---- comparing folders --------------------------------------------------- */

typedef struct names {
	char **items;
	size_t n;
} names;

static void
walk(const char *root, const char *rel, names *out)
{
	char path[2 * PATH_MAX];
	struct dirent *de;
	DIR *d;

	snprintf(path, sizeof(path), "%s%s%s", root, rel[0] ? "/" : "", rel);
	assert_non_null(d = opendir(path));
	while ((de = readdir(d)) != NULL) {
		char child[PATH_MAX], full[2 * PATH_MAX];
		struct stat st;

		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		snprintf(child, sizeof(child), "%s%s%s", rel, rel[0] ? "/" : "",
		    de->d_name);
		snprintf(full, sizeof(full), "%s/%s", root, child);
		assert_int_equal(lstat(full, &st), 0);
		if (S_ISDIR(st.st_mode)) {
			walk(root, child, out);
			continue;
		}
		out->items = realloc(out->items, (out->n + 1) * sizeof(char *));
		out->items[out->n++] = strdup(child);
	}
	closedir(d);
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The files under root, relative and sorted. */
static names
files_under(const char *root)
{
	names n = {0};

	walk(root, "", &n);
	qsort(n.items, n.n, sizeof(char *), str_cmp);
	return n;
}

static void
names_free(names *n)
{
	for (size_t i = 0; i < n->n; i++)
		free(n->items[i]);
	free(n->items);
}

static void
expect_same_trees(const char *a, const char *b)
{
	names na = files_under(a), nb = files_under(b);

	assert_int_equal(na.n, nb.n);
	for (size_t i = 0; i < na.n; i++) {
		char pa[2 * PATH_MAX], pb[2 * PATH_MAX];
		size_t la, lb;
		char *x, *y;

		assert_string_equal(na.items[i], nb.items[i]);
		snprintf(pa, sizeof(pa), "%s/%s", a, na.items[i]);
		snprintf(pb, sizeof(pb), "%s/%s", b, nb.items[i]);
		x = tu_read_file(pa, &la);
		y = tu_read_file(pb, &lb);
		if (x == NULL || y == NULL || la != lb || memcmp(x, y, la) != 0)
			fail_msg("%s differs between the exports", na.items[i]);
		free(x);
		free(y);
	}
	names_free(&na);
	names_free(&nb);
}

/* ---- YAML, read back with libyaml's parser ------------------------------- */

typedef struct ydoc {
	yaml_document_t doc;
} ydoc;

static void
ydoc_load(ydoc *y, const char *dir, const char *name)
{
	char *text = slurp(dir, name);
	yaml_parser_t p;

	assert_true(yaml_parser_initialize(&p));
	yaml_parser_set_input_string(
	    &p, (const unsigned char *)text, strlen(text));
	if (!yaml_parser_load(&p, &y->doc))
		fail_msg("%s is not YAML: %s (line %zu)", name, p.problem,
		    p.problem_mark.line + 1);
	yaml_parser_delete(&p);
	free(text);
	assert_non_null(yaml_document_get_root_node(&y->doc));
}

static yaml_node_t *
yroot(ydoc *y)
{
	return yaml_document_get_root_node(&y->doc);
}

/* The value of `key` in mapping `n`; NULL if none. */
static yaml_node_t *
yget(ydoc *y, yaml_node_t *n, const char *key)
{
	assert_non_null(n);
	assert_int_equal(n->type, YAML_MAPPING_NODE);
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&y->doc, p->key);

		if (k->type == YAML_SCALAR_NODE &&
		    strcmp((char *)k->data.scalar.value, key) == 0)
			return yaml_document_get_node(&y->doc, p->value);
	}
	return NULL;
}

static size_t
ylen(yaml_node_t *n)
{
	assert_non_null(n);
	assert_int_equal(n->type, YAML_SEQUENCE_NODE);
	return (
	    size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
}

static yaml_node_t *
yat(ydoc *y, yaml_node_t *n, size_t i)
{
	assert_true(i < ylen(n));
	return yaml_document_get_node(&y->doc, n->data.sequence.items.start[i]);
}

static const char *
yscalar(yaml_node_t *n)
{
	assert_non_null(n);
	assert_int_equal(n->type, YAML_SCALAR_NODE);
	return (const char *)n->data.scalar.value;
}

/* A scalar a YAML 1.1 reader takes for a string: quoted if it looks like
 * anything else. */
static void
expect_string_scalar(yaml_node_t *n, const char *value)
{
	assert_string_equal(yscalar(n), value);
	assert_true(n->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE ||
	    n->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE);
}

/* The model entry named `name` in a catalog; NULL if none. */
static yaml_node_t *
catalog_model(ydoc *y, const char *name)
{
	yaml_node_t *models = yget(y, yroot(y), "models");

	for (size_t i = 0; i < ylen(models); i++)
		if (strcmp(yscalar(yget(y, yat(y, models, i), "name")), name) ==
		    0)
			return yat(y, models, i);
	return NULL;
}

/* ---- export -------------------------------------------------------------- */

static void
test_export_is_deterministic(void **state)
{
	fixture *f = *state;
	char a[E2E_PATH_SIZE], b[E2E_PATH_SIZE];
	e2e_run r = {0};

	EXPORT(f, r, a, "export-a");
	e2e_expect(&r, 0, "exported 2 models, 4 versions, 1 increment", NULL);
	/* A second later: a clock in any file would show. */
	usleep(1100 * 1000);
	EXPORT(f, r, b, "export-b");
	expect_same_trees(a, b);

	/* Again into the same folder: every file already holds its bytes. */
	EXPORT(f, r, a, "export-a");
	e2e_expect(&r, 0, " 0 written", NULL);
	e2e_expect(&r, 0, "0 artifacts pulled", NULL);
	expect_same_trees(a, b);
	e2e_run_free(&r);
}

static void
test_export_lays_out_registry_models_versions_and_increments(void **state)
{
	fixture *f = *state;
	static const char *const want[] = {
	    ".modelreg-export",
	    "increments/inc-7/models/fraud/fraud-1.0.0/features.yaml",
	    "increments/inc-7/models/fraud/fraud-1.0.0/metadata.json",
	    "increments/inc-7/models/fraud/fraud-1.0.0/model.bin",
	    "increments/inc-7/models/fraud/fraud-1.0.0/requirements.txt",
	    "increments/inc-7/models/ranker/ranker-0.1.0/config.json",
	    "increments/inc-7/models/ranker/ranker-0.1.0/features.yaml",
	    "increments/inc-7/models/ranker/ranker-0.1.0/metadata.json",
	    "increments/inc-7/models/ranker/ranker-0.1.0/requirements.txt",
	    "increments/inc-7/models/ranker/ranker-0.1.0/sub/w.bin",
	    "increments/inc-7/registry/deployment_history.md",
	    "increments/inc-7/registry/model_catalog.yaml",
	    "models/fraud/README.md",
	    "models/fraud/fraud-1.0.0/features.yaml",
	    "models/fraud/fraud-1.0.0/metadata.json",
	    "models/fraud/fraud-1.0.0/model.bin",
	    "models/fraud/fraud-1.0.0/requirements.txt",
	    "models/fraud/fraud-1.1.0/features.yaml",
	    "models/fraud/fraud-1.1.0/metadata.json",
	    "models/fraud/fraud-1.1.0/model.bin",
	    "models/fraud/fraud-1.1.0/requirements.txt",
	    "models/fraud/fraud-1.2.0/features.yaml",
	    "models/fraud/fraud-1.2.0/metadata.json",
	    "models/fraud/fraud-1.2.0/model.bin",
	    "models/fraud/fraud-1.2.0/requirements.txt",
	    "models/ranker/README.md",
	    "models/ranker/ranker-0.1.0/config.json",
	    "models/ranker/ranker-0.1.0/features.yaml",
	    "models/ranker/ranker-0.1.0/metadata.json",
	    "models/ranker/ranker-0.1.0/requirements.txt",
	    "models/ranker/ranker-0.1.0/sub/w.bin",
	    "registry/deployment_history.md",
	    "registry/model_catalog.yaml",
	};
	char out[E2E_PATH_SIZE], src[E2E_PATH_SIZE], got[E2E_PATH_SIZE];
	e2e_run r = {0};
	names n;
	size_t la, lb;
	char *x, *y;

	EXPORT(f, r, out, "export");
	n = files_under(out);
	for (size_t i = 0; i < n.n && i < sizeof(want) / sizeof(want[0]); i++)
		assert_string_equal(n.items[i], want[i]);
	assert_int_equal(n.n, sizeof(want) / sizeof(want[0]));
	names_free(&n);

	/* The artifacts are the registered bytes, in both places. */
	x = tu_read_file(e2e_path(src, f->dir, "v1/model.bin"), &la);
	y = tu_read_file(
	    e2e_path(got, out,
	        "increments/inc-7/models/fraud/fraud-1.0.0/model.bin"),
	    &lb);
	assert_true(
	    x != NULL && y != NULL && la == lb && memcmp(x, y, la) == 0);
	free(x);
	free(y);
	x = tu_read_file(e2e_path(src, f->dir, "tree/sub/w.bin"), &la);
	y = tu_read_file(
	    e2e_path(got, out, "models/ranker/ranker-0.1.0/sub/w.bin"), &lb);
	assert_true(
	    x != NULL && y != NULL && la == lb && memcmp(x, y, la) == 0);
	free(x);
	free(y);
	e2e_run_free(&r);
}

static void
test_export_catalog_parses_back_with_versions_metrics_and_quoting(void **state)
{
	fixture *f = *state;
	char out[E2E_PATH_SIZE];
	yaml_node_t *fraud, *versions, *v1, *v3;
	e2e_run r = {0};
	ydoc y;

	EXPORT(f, r, out, "export");
	ydoc_load(&y, out, "registry/model_catalog.yaml");
	fraud = catalog_model(&y, "fraud");
	assert_non_null(fraud);
	assert_non_null(catalog_model(&y, "ranker"));
	assert_string_equal(yscalar(yget(&y, fraud, "owner")), "risk-team");
	assert_string_equal(
	    yscalar(yget(&y, fraud, "description")), "Scores card payments");
	expect_string_scalar(yget(&y, fraud, "production_version"), "1.1.0");
	expect_string_scalar(yget(&y, fraud, "rollback_target"), "1.0.0");
	expect_string_scalar(yget(&y, fraud, "latest_version"), "1.2.0");
	expect_string_scalar(
	    yget(&y, yget(&y, fraud, "aliases"), "champion"), "1.1.0");

	/* Versions by precedence, each with its record. */
	versions = yget(&y, fraud, "versions");
	assert_int_equal(ylen(versions), 3);
	expect_string_scalar(
	    yget(&y, yat(&y, versions, 0), "version"), "1.0.0");
	expect_string_scalar(
	    yget(&y, yat(&y, versions, 1), "version"), "1.1.0");
	expect_string_scalar(
	    yget(&y, yat(&y, versions, 2), "version"), "1.2.0");
	v1 = yat(&y, versions, 0);
	assert_string_equal(yscalar(yget(&y, v1, "stage")), "archived");
	assert_string_equal(yscalar(yget(&y, v1, "framework")), "xgboost");
	expect_string_scalar(yget(&y, v1, "python_version"), "3.11");
	expect_string_scalar(yget(&y, v1, "framework_version"), "2.0.3");
	assert_string_equal(yscalar(yget(&y, v1, "increment")), "inc-7");
	assert_string_equal(yscalar(yget(&y, v1, "created_by")), "tester");
	assert_non_null(strchr(yscalar(yget(&y, v1, "created")), 'T'));
	/* Numbers stay plain, in their shortest exact form. */
	assert_string_equal(
	    yscalar(yget(&y, yget(&y, v1, "metrics"), "accuracy")), "0.87");
	assert_int_equal(
	    yget(&y, yget(&y, v1, "metrics"), "accuracy")->data.scalar.style,
	    YAML_PLAIN_SCALAR_STYLE);
	assert_string_equal(
	    yscalar(yget(&y, yget(&y, v1, "artifact"), "size")), "30000");
	assert_int_equal(
	    strlen(yscalar(yget(&y, yget(&y, v1, "artifact"), "digest"))),
	    strlen("sha256:") + 64);
	assert_string_equal(yscalar(yget(&y, v1, "deprecation")), "null");
	v3 = yat(&y, versions, 2);
	assert_string_equal(yscalar(yget(&y, v3, "stage")), "archived");
	assert_string_equal(
	    yscalar(yget(&y, yget(&y, v3, "tags"), "team")), "risk");
	assert_string_equal(
	    yscalar(yget(&y, v3, "folder")), "models/fraud/fraud-1.2.0");
	yaml_document_delete(&y.doc);
	e2e_run_free(&r);
}

static void
test_export_readme_names_production_and_the_rollback_command(void **state)
{
	fixture *f = *state;
	char out[E2E_PATH_SIZE];
	char *readme, *ranker;
	e2e_run r = {0};

	EXPORT(f, r, out, "export");
	readme = slurp(out, "models/fraud/README.md");
	expect_in(readme, "# fraud\n", "README.md");
	expect_in(readme, "Version **1.1.0** is in production", "README.md");
	expect_in(readme, "## Key metrics", "README.md");
	expect_in(readme, "| accuracy | 0.9 |", "README.md");
	expect_in(readme, "| Version | Stage | Accuracy | Deployed | Notes |",
	    "README.md");
	expect_in(readme, "| [1.0.0](fraud-1.0.0/) | archived | 0.87 | 20",
	    "README.md");
	expect_in(readme, "gradient boosted trees", "README.md");
	expect_in(readme, "rolled back ", "README.md");
	expect_in(readme, ROLLBACK_REASON, "README.md");
	expect_in(readme, "## Rollback plan", "README.md");
	expect_in(readme,
	    "modelreg rollback fraud --to 1.0.0 --reason \"...\"\n",
	    "README.md");

	/* Never in production: nothing to roll back to, nothing deployed. */
	ranker = slurp(out, "models/ranker/README.md");
	expect_in(ranker, "No version is in production.", "ranker README");
	expect_in(ranker, "no earlier production version", "ranker README");
	expect_in(ranker, "| [0.1.0](ranker-0.1.0/) | dev | ndcg 0.5 | - |",
	    "ranker README");
	free(readme);
	free(ranker);
	e2e_run_free(&r);
}

static void
test_export_version_folder_holds_requirements_features_and_metadata(
    void **state)
{
	fixture *f = *state;
	char out[E2E_PATH_SIZE];
	const char *prev = "";
	json_object *j, *v;
	char *text;
	e2e_run r = {0};

	EXPORT(f, r, out, "export");
	text = slurp(out, "models/fraud/fraud-1.0.0/requirements.txt");
	assert_string_equal(text, "# python 3.11\nxgboost==2.0.3\n");
	free(text);
	text = slurp(out, "models/fraud/fraud-1.1.0/requirements.txt");
	assert_string_equal(text, "# python 3.11\nscikit-learn==1.4.0\n");
	free(text);
	text = slurp(out, "models/fraud/fraud-1.2.0/requirements.txt");
	assert_string_equal(text, "# python 3.12\ntorch==2.2.1\n");
	free(text);
	text = slurp(out, "models/ranker/ranker-0.1.0/requirements.txt");
	assert_string_equal(text, "lightgbm\n");
	free(text);

	text = slurp(out, "models/fraud/fraud-1.0.0/features.yaml");
	assert_string_equal(text,
	    "features:\n- amount\n- merchant\n- hour\n"
	    "feature_set_version: fs-7\n"
	    "training_data_version: v2024-01\n");
	free(text);

	/* The whole record, keys sorted, numbers as written. */
	text = slurp(out, "models/fraud/fraud-1.0.0/metadata.json");
	expect_in(text, "\"accuracy\": 0.87,", "metadata.json");
	assert_non_null(j = json_tokener_parse(text));
	json_object_object_foreach(j, key, val)
	{
		(void)val;
		if (strcmp(prev, key) >= 0)
			fail_msg("key %s after %s in metadata.json", key, prev);
		prev = key;
	}
	assert_true(json_object_object_get_ex(j, "version", &v));
	assert_string_equal(json_object_get_string(v), "1.0.0");
	assert_true(json_object_object_get_ex(j, "metadata", &v));
	assert_true(json_object_object_get_ex(v, "increment", &v));
	assert_string_equal(json_object_get_string(v), "inc-7");
	json_object_put(j);
	free(text);

	/* The approval of 1.2.0 is part of its record. */
	text = slurp(out, "models/fraud/fraud-1.2.0/metadata.json");
	expect_in(text, "\"reviewer\": \"alice\"", "metadata.json");
	free(text);
	e2e_run_free(&r);
}

static void
test_export_increment_catalog_and_history_hold_only_its_versions(void **state)
{
	fixture *f = *state;
	char out[E2E_PATH_SIZE];
	yaml_node_t *fraud, *versions;
	char *hist;
	e2e_run r = {0};
	ydoc y;

	EXPORT(f, r, out, "export");
	ydoc_load(&y, out, "increments/inc-7/registry/model_catalog.yaml");
	assert_string_equal(yscalar(yget(&y, yroot(&y), "increment")), "inc-7");
	fraud = catalog_model(&y, "fraud");
	versions = yget(&y, fraud, "versions");
	assert_int_equal(ylen(versions), 1);
	expect_string_scalar(
	    yget(&y, yat(&y, versions, 0), "version"), "1.0.0");
	assert_string_equal(yscalar(yget(&y, yat(&y, versions, 0), "folder")),
	    "models/fraud/fraud-1.0.0");
	assert_int_equal(
	    ylen(yget(&y, catalog_model(&y, "ranker"), "versions")), 1);
	yaml_document_delete(&y.doc);

	hist = slurp(out, "increments/inc-7/registry/deployment_history.md");
	expect_in(hist, "| staging | production | tester | first release |",
	    "increment history");
	assert_null(strstr(hist, "best yet")); /* 1.2.0 is not of inc-7 */
	free(hist);
	hist = slurp(out, "registry/deployment_history.md");
	expect_in(hist,
	    "| rollback | 1.1.0 | archived | production | tester "
	    "| " ROLLBACK_REASON " |",
	    "deployment history");
	expect_in(hist, "best yet", "deployment history");
	free(hist);
	e2e_run_free(&r);
}

static void
test_export_without_artifacts_writes_metadata_only(void **state)
{
	fixture *f = *state;
	char out[E2E_PATH_SIZE];
	e2e_run r = {0};

	EXPORT(f, r, out, "meta-only", "--no-artifacts", "--model", "fraud");
	e2e_expect(&r, 0, "exported 1 model, 3 versions", NULL);
	e2e_expect(&r, 0, "0 artifacts pulled", NULL);
	assert_true(exists(out, "models/fraud/fraud-1.0.0/metadata.json"));
	assert_false(exists(out, "models/fraud/fraud-1.0.0/model.bin"));
	assert_false(exists(out, "models/ranker"));
	assert_true(exists(
	    out, "increments/inc-7/models/fraud/fraud-1.0.0/requirements.txt"));
	assert_false(
	    exists(out, "increments/inc-7/models/fraud/fraud-1.0.0/model.bin"));
	e2e_run_free(&r);
}

static void
test_export_removes_stale_files_only_from_its_own_folder(void **state)
{
	fixture *f = *state;
	char out[E2E_PATH_SIZE], p[E2E_PATH_SIZE], own[E2E_PATH_SIZE];
	e2e_run r = {0};

	EXPORT(f, r, out, "export");
	tu_write_file(e2e_path(p, out, "models/fraud/old-notes.txt"), "x", 1);
	tu_write_file(e2e_path(p, out, "increments/inc-1/models/a/b"), "x", 1);
	EXPORT(f, r, out, "export");
	e2e_expect(&r, 0, "2 stale files removed", NULL);
	assert_false(exists(out, "models/fraud/old-notes.txt"));
	assert_false(exists(out, "increments/inc-1"));
	assert_true(exists(out, "models/fraud/fraud-1.0.0/model.bin"));

	/* A partial export removes nothing. */
	tu_write_file(e2e_path(p, out, "models/fraud/old-notes.txt"), "x", 1);
	EXPORT(f, r, out, "export", "--model", "ranker");
	assert_true(exists(out, "models/fraud/old-notes.txt"));

	/* A folder the export did not make keeps its files, now and later. */
	tu_write_file(e2e_path(p, f->dir, "mine/models/keep.txt"), "x", 1);
	EXPORT(f, r, own, "mine");
	e2e_expect(&r, 0, NULL, "were left alone");
	EXPORT(f, r, own, "mine");
	assert_true(exists(own, "models/keep.txt"));
	assert_false(exists(own, ".modelreg-export"));
	assert_true(exists(own, "models/fraud/README.md"));
	e2e_run_free(&r);
}

static void
test_export_of_an_unknown_model_or_without_a_folder_fails(void **state)
{
	fixture *f = *state;
	char out[E2E_PATH_SIZE];
	e2e_run r = {0};

	e2e_path(out, f->dir, "never");
	E2E_CLI(&(f)->s, r, "export", out, "--model", "nosuch");
	e2e_expect(&r, 1, NULL, "modelreg: export ");
	e2e_expect(&r, 1, NULL, ": NOT_FOUND: get model nosuch: ");
	assert_false(exists(f->dir, "never")); /* read first, then write */
	E2E_CLI(&(f)->s, r, "export");
	e2e_expect(&r, 2, NULL, "give the folder to export to");
	E2E_CLI(&(f)->s, r, "export", out, "--model", "bad name");
	e2e_expect(&r, 2, NULL, "--model");
	E2E_CLI(&(f)->s, r, "export", "--help");
	e2e_expect(&r, 0, "usage: modelreg export DIR", NULL);
	e2e_run_free(&r);
}

/* "a/b" and "a_b" get folders of their own, and an increment longer
 * than a file name may be gets one that fits. */
static void
test_export_increment_folders_are_one_to_one_and_bounded(void **state)
{
	fixture *f = *state;
	char out[E2E_PATH_SIZE], meta[512], rel[E2E_PATH_SIZE], inc[257];
	char *slash, *longer;
	e2e_run r = {0};
	ydoc y;

	memset(inc, 'x', 256);
	inc[256] = '\0';
	register_with(f, "fraud-ab", "1.0.0", "{\"increment\": \"a/b\"}");
	register_with(f, "fraud-a-b", "1.0.0", "{\"increment\": \"a_b\"}");
	snprintf(meta, sizeof(meta), "{\"increment\": \"%s\"}", inc);
	register_with(f, "fraud-long", "1.0.0", meta);

	EXPORT(f, r, out, "export");
	e2e_expect(&r, 0, "exported 5 models, 7 versions, 4 increments", NULL);
	slash = export_increment_dir("a/b");
	longer = export_increment_dir(inc);
	assert_int_equal(strncmp(slash, "a_b~", 4), 0);
	assert_int_equal(strlen(longer), 200 + 1 + 12);

	/* a_b is kept as it is; a/b is not folded into it. */
	assert_true(exists(
	    out, "increments/a_b/models/fraud-a-b/fraud-a-b-1.0.0/model.bin"));
	assert_false(exists(out, "increments/a_b/models/fraud-ab"));
	snprintf(rel, sizeof(rel),
	    "increments/%s/models/fraud-ab/fraud-ab-1.0.0/model.bin", slash);
	assert_true(exists(out, rel));
	snprintf(rel, sizeof(rel), "increments/%s/registry/model_catalog.yaml",
	    slash);
	ydoc_load(&y, out, rel);
	assert_string_equal(yscalar(yget(&y, yroot(&y), "increment")), "a/b");
	assert_non_null(catalog_model(&y, "fraud-ab"));
	assert_null(catalog_model(&y, "fraud-a-b"));
	yaml_document_delete(&y.doc);

	/* 256 bytes of name: a folder of 213, and the whole export done. */
	snprintf(rel, sizeof(rel),
	    "increments/%s/models/fraud-long/fraud-long-1.0.0/model.bin",
	    longer);
	assert_true(exists(out, rel));
	snprintf(rel, sizeof(rel), "increments/%s/registry/model_catalog.yaml",
	    longer);
	ydoc_load(&y, out, rel);
	assert_string_equal(yscalar(yget(&y, yroot(&y), "increment")), inc);
	yaml_document_delete(&y.doc);
	assert_true(exists(out, "models/fraud-long/README.md"));
	free(slash);
	free(longer);
	e2e_run_free(&r);
}

/* The folder names on their own (no server). */
static void
test_export_increment_dir_keeps_safe_names_and_hashes_others(void **state)
{
	static const char *const hashed[] = {
	    "a/b", ".", "..", "caf\xc3\xa9", "x y"};
	char safe[201], longer[202], want[256], hex[65];
	uint8_t digest[MR_DIGEST_LEN];
	char *d;

	(void)state;
	memset(safe, 's', 200);
	safe[200] = '\0';
	memset(longer, 'l', 201);
	longer[201] = '\0';
	d = export_increment_dir("inc-7");
	assert_string_equal(d, "inc-7");
	free(d);
	d = export_increment_dir(safe);
	assert_string_equal(d, safe);
	free(d);
	for (size_t i = 0; i < sizeof(hashed) / sizeof(hashed[0]); i++) {
		char clean[16];

		snprintf(clean, sizeof(clean), "%s", hashed[i]);
		for (char *p = clean; *p != '\0'; p++)
			if (strchr(".-_", *p) == NULL &&
			    !((*p >= 'a' && *p <= 'z') ||
			        (*p >= '0' && *p <= '9')))
				*p = '_';
		mr_sha256_once(hashed[i], strlen(hashed[i]), digest);
		snprintf(want, sizeof(want), "%s~%.12s", clean,
		    mr_digest_hex(digest, hex));
		d = export_increment_dir(hashed[i]);
		assert_string_equal(d, want);
		free(d);
	}
	mr_sha256_once(longer, strlen(longer), digest);
	snprintf(want, sizeof(want), "%.200s~%.12s", longer,
	    mr_digest_hex(digest, hex));
	d = export_increment_dir(longer);
	assert_string_equal(d, want);
	free(d);
}

/* fraud 1.0.0-1.0.0 and fraud-1.0.0 1.0.0 in the same increment. */
static void
test_export_versions_in_an_increment_do_not_collide(void **state)
{
	fixture *f = *state;
	char out[E2E_PATH_SIZE];
	char *a, *b;
	e2e_run r = {0};

	register_with(f, "fraud", "1.0.0-1.0.0", "{\"increment\": \"inc-9\"}");
	register_with(f, "fraud-1.0.0", "1.0.0", "{\"increment\": \"inc-9\"}");
	EXPORT(f, r, out, "export");
	a = slurp(out,
	    "increments/inc-9/models/fraud/fraud-1.0.0-1.0.0/metadata.json");
	b = slurp(out,
	    "increments/inc-9/models/fraud-1.0.0/fraud-1.0.0-1.0.0/"
	    "metadata.json");
	expect_in(a, "\"name\": \"fraud\",", "fraud's metadata.json");
	expect_in(
	    b, "\"name\": \"fraud-1.0.0\",", "fraud-1.0.0's metadata.json");
	free(a);
	free(b);
	a = slurp(out, "increments/inc-9/registry/model_catalog.yaml");
	expect_in(a, "folder: models/fraud/fraud-1.0.0-1.0.0\n", "catalog");
	expect_in(
	    a, "folder: models/fraud-1.0.0/fraud-1.0.0-1.0.0\n", "catalog");
	free(a);
	e2e_run_free(&r);
}

/* --model writes the named models' folders, and registry files that are
 * those of a full export. */
static void
test_export_of_some_models_keeps_every_model_in_the_registry_files(void **state)
{
	static const char *const shared[] = {
	    "registry/model_catalog.yaml",
	    "registry/deployment_history.md",
	    "increments/inc-7/registry/model_catalog.yaml",
	    "increments/inc-7/registry/deployment_history.md",
	};
	fixture *f = *state;
	char full[E2E_PATH_SIZE], part[E2E_PATH_SIZE];
	e2e_run r = {0};

	EXPORT(f, r, full, "full");
	EXPORT(f, r, part, "part", "--model", "ranker");
	e2e_expect(&r, 0, "exported 1 model, 1 version, 1 increment", NULL);
	e2e_expect(&r, 0, "; 1 artifact pulled", NULL); /* ranker's only */
	for (size_t i = 0; i < sizeof(shared) / sizeof(shared[0]); i++)
		expect_same_file(full, part, shared[i]);
	assert_true(exists(part, "models/ranker/ranker-0.1.0/sub/w.bin"));
	assert_false(exists(part, "models/fraud"));
	assert_false(exists(part, "increments/inc-7/models/fraud"));
	e2e_run_free(&r);
}

/* What a registry could answer that would make a path outside the
 * version's folder, checked on its own (no server). */
static void
test_export_refuses_answers_that_could_leave_their_folder(void **state)
{
	mr_file files[] = {{.path = "model.bin"}, {.path = "../x"}};
	mr_version v = {
	    .name = "fraud", .version = "1.0.0", .files = files, .n_files = 1};
	mr_model m = {.name = "fraud"};
	mr_err e = {0};

	(void)state;
	assert_int_equal(export_check_version("fraud", &v, &e), MR_OK);
	v.n_files = 2;
	assert_int_equal(export_check_version("fraud", &v, &e), MR_INTERNAL);
	expect_in(e.msg, "\"../x\"", "the message");
	expect_in(e.msg, "version 1.0.0", "the message");
	files[1].path = "/etc/passwd";
	assert_int_equal(export_check_version("fraud", &v, &e), MR_INTERNAL);
	files[1].path = "a/../../b";
	assert_int_equal(export_check_version("fraud", &v, &e), MR_INTERNAL);
	v.n_files = 1;
	v.version = "../1.0.0";
	assert_int_equal(export_check_version("fraud", &v, &e), MR_INTERNAL);
	expect_in(e.msg, "list versions of fraud: ", "the message");
	v.version = "1.0.0/..";
	assert_int_equal(export_check_version("fraud", &v, &e), MR_INTERNAL);

	assert_int_equal(export_check_model("fraud", &m, &e), MR_OK);
	m.name = "ranker";
	assert_int_equal(export_check_model("fraud", &m, &e), MR_INTERNAL);
	expect_in(e.msg, "\"ranker\"", "the message");
	m.name = "..";
	assert_int_equal(export_check_model("..", &m, &e), MR_INTERNAL);
	m.name = "a/b";
	assert_int_equal(export_check_model("a/b", &m, &e), MR_INTERNAL);
}

/* A copy in an increment that holds the right bytes (what an export
 * makes where there are no hard links) is not made again. */
static void
test_export_leaves_a_matching_copy_in_an_increment_alone(void **state)
{
	fixture *f = *state;
	static const char rel[] =
	    "increments/inc-7/models/fraud/fraud-1.0.0/model.bin";
	char out[E2E_PATH_SIZE], p[E2E_PATH_SIZE];
	struct stat before, after;
	size_t len;
	char *data;
	e2e_run r = {0};

	EXPORT(f, r, out, "export");
	e2e_path(p, out, rel);
	assert_non_null(data = tu_read_file(p, &len));
	assert_int_equal(unlink(p), 0);
	tu_write_file(p, data, len);
	free(data);
	assert_int_equal(stat(p, &before), 0);
	assert_int_equal(before.st_nlink, 1);

	EXPORT(f, r, out, "export");
	e2e_expect(&r, 0, " 0 written", NULL);
	assert_int_equal(stat(p, &after), 0);
	assert_int_equal(after.st_ino, before.st_ino);
	assert_int_equal(after.st_nlink, 1);
	e2e_run_free(&r);
}

/* The number form every file uses, checked on its own (no server). */
static void
test_export_double_is_the_shortest_exact_float_form(void **state)
{
	static const struct {
		double v;
		const char *text;
	} cases[] = {
	    {0.87, "0.87"},
	    {1, "1.0"},
	    {-2.5, "-2.5"},
	    {1e-7, "1.0e-07"},
	    {0.1 + 0.2, "0.30000000000000004"},
	    {1.0 / 3, "0.3333333333333333"},
	    {12345678901234567890.0, "1.2345678901234567e+19"},
	};
	char out[40];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_string_equal(
		    export_double(cases[i].v, out), cases[i].text);
		assert_true(strtod(out, NULL) == cases[i].v);
	}
}

/* ---- audit report -------------------------------------------------------- */

/* Today and tomorrow as YYYY-MM-DD (UTC), a period that holds the
 * fixture's changes even across midnight. */
static void
period(char from[16], char to[16])
{
	time_t now = time(NULL), later = now + 24 * 3600, earlier = now - 60;
	struct tm tm;

	gmtime_r(&earlier, &tm);
	strftime(from, 16, "%Y-%m-%d", &tm);
	gmtime_r(&later, &tm);
	strftime(to, 16, "%Y-%m-%d", &tm);
}

static void
test_audit_report_markdown_shows_every_section(void **state)
{
	fixture *f = *state;
	char from[16], to[16];
	e2e_run r = {0};

	period(from, to);
	E2E_CLI(
	    &f->s, r, "audit", "report", "fraud", "--from", from, "--to", to);
	e2e_expect(&r, 0, "# Governance report: fraud\n", NULL);
	e2e_expect(&r, 0, "- Period: ", NULL);
	e2e_expect(&r, 0, "T00:00:00Z to ", NULL);
	e2e_expect(&r, 0, "T23:59:59Z (UTC, both included)", NULL);
	e2e_expect(&r, 0, "- Generated from registry revision ", NULL);
	e2e_expect(&r, 0, "- In production now: 1.1.0", NULL);
	/* Deployments: when, by whom, why. */
	e2e_expect(&r, 0, "## Deployments to production", NULL);
	e2e_expect(
	    &r, 0, "| 1.0.0 | promotion | tester | - | first release |", NULL);
	e2e_expect(
	    &r, 0, "| 1.2.0 | promotion | tester | 1.1.0 | best yet |", NULL);
	e2e_expect(&r, 0,
	    "| 1.1.0 | rollback | tester | 1.2.0 | " ROLLBACK_REASON " |",
	    NULL);
	/* Who approved the promotion that needed it. */
	e2e_expect(&r, 0, "## Approvals", NULL);
	e2e_expect(&r, 0,
	    "| 1.2.0 | production | tester | alice | approve | metrics hold "
	    "up | ",
	    NULL);
	e2e_expect(
	    &r, 0, "| 1.0.0 | production | tester | - | no review |", NULL);
	e2e_expect(&r, 0,
	    "Approval policies now: production: 1 approval from alice", NULL);
	/* Metrics of every version, by registration. */
	e2e_expect(&r, 0, "## Metrics over time", NULL);
	e2e_expect(
	    &r, 0, "| Version | Registered | Stage | accuracy | auc |", NULL);
	e2e_expect(&r, 0, "| archived | 0.87 | 0.93 |", NULL);
	/* Data: metadata and the lineage upstream. */
	e2e_expect(&r, 0, "## Data sources", NULL);
	e2e_expect(&r, 0,
	    "| 1.0.0 | v2024-01 | fs-7 | dataset:transactions@v2024-01, "
	    "features:fe@fs-7 |",
	    NULL);
	e2e_expect(&r, 0, "## Rollbacks", NULL);
	e2e_expect(
	    &r, 0, "| 1.1.0 | 1.2.0 | tester | " ROLLBACK_REASON " |", NULL);
	e2e_expect(&r, 0, "## Audit log", NULL);
	e2e_expect(
	    &r, 0, "| Seq | Time | Actor | Action | Target | Reason |", NULL);
	e2e_expect(
	    &r, 0, "| alice | Review | fraud@1.2.0 | metrics hold up |", NULL);
	e2e_expect(&r, 0,
	    "| tester | Rollback | fraud@1.1.0 | " ROLLBACK_REASON, NULL);
	e2e_run_free(&r);
}

static void
test_audit_report_json_has_every_key(void **state)
{
	fixture *f = *state;
	static const char *const keys[] = {"approvals", "audit", "data_sources",
	    "deployments", "metrics", "model", "period", "policies",
	    "policy_changes", "primary_metric", "production_version",
	    "revision", "rollbacks"};
	char from[16], to[16];
	json_object *j, *v, *a;
	bool approved = false;
	e2e_run r = {0};

	period(from, to);
	E2E_CLI(&f->s, r, "--json", "audit", "report", "fraud", "--from", from,
	    "--to", to);
	e2e_expect(&r, 0, NULL, NULL);
	assert_non_null(j = json_tokener_parse(r.out));
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (!json_object_object_get_ex(j, keys[i], NULL))
			fail_msg("no %s in %s", keys[i], r.out);
	assert_true(json_object_object_get_ex(j, "model", &v));
	assert_string_equal(json_object_get_string(v), "fraud");
	assert_true(json_object_object_get_ex(j, "revision", &v));
	assert_true(json_object_get_int64(v) > 0);
	assert_true(json_object_object_get_ex(j, "rollbacks", &a));
	assert_int_equal(json_object_array_length(a), 1);
	v = json_object_array_get_idx(a, 0);
	assert_string_equal(
	    json_object_get_string(json_object_object_get(v, "reason")),
	    ROLLBACK_REASON);
	assert_string_equal(
	    json_object_get_string(json_object_object_get(v, "rolled_back")),
	    "1.2.0");
	assert_true(json_object_object_get_ex(j, "approvals", &a));
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		json_object *p = json_object_array_get_idx(a, i);
		json_object *rv = json_object_object_get(p, "reviews");

		if (json_object_array_length(rv) == 0)
			continue;
		rv = json_object_array_get_idx(rv, 0);
		assert_string_equal(json_object_get_string(
		                        json_object_object_get(rv, "reviewer")),
		    "alice");
		assert_string_equal(json_object_get_string(
		                        json_object_object_get(rv, "decision")),
		    "approve");
		approved = true;
	}
	assert_true(approved);
	assert_true(json_object_object_get_ex(j, "metrics", &a));
	assert_int_equal(json_object_array_length(a), 3);
	assert_true(json_object_object_get_ex(j, "audit", &a));
	assert_true(json_object_array_length(a) >= 10);
	json_object_put(j);
	e2e_run_free(&r);
}

static void
test_audit_report_is_deterministic_and_bounded_by_its_period(void **state)
{
	fixture *f = *state;
	char from[16], to[16], *first;
	e2e_run r = {0};

	period(from, to);
	E2E_CLI(
	    &f->s, r, "audit", "report", "fraud", "--from", from, "--to", to);
	e2e_expect(&r, 0, NULL, NULL);
	first = strdup(r.out);
	usleep(1100 * 1000);
	E2E_CLI(
	    &f->s, r, "audit", "report", "fraud", "--from", from, "--to", to);
	assert_string_equal(r.out, first);
	free(first);

	/* Long ago: nothing happened, but the versions' state is there. */
	E2E_CLI(&f->s, r, "audit", "report", "fraud", "--from", "2001-01-01",
	    "--to", "2001-01-31T12:00:00Z");
	e2e_expect(&r, 0,
	    "- Period: 2001-01-01T00:00:00Z to 2001-01-31T12:00:00Z", NULL);
	e2e_expect(&r, 0,
	    "## Deployments to production\n\nNone in this period.", NULL);
	e2e_expect(&r, 0, "No audit records in this period.", NULL);
	e2e_expect(
	    &r, 0, "No versions registered by the end of the period.", NULL);

	E2E_CLI(
	    &f->s, r, "audit", "report", "fraud", "--from", to, "--to", from);
	e2e_expect(&r, 2, NULL, "--from is after --to");
	E2E_CLI(&f->s, r, "audit", "report", "fraud", "--from", "yesterday",
	    "--to", to);
	e2e_expect(&r, 2, NULL, "--from wants");
	E2E_CLI(&f->s, r, "audit", "report", "fraud");
	e2e_expect(&r, 2, NULL, "give the period");
	E2E_CLI(&f->s, r, "audit", "report", "fraud", "--from", from);
	e2e_expect(&r, 2, NULL, "give the period's end (--to) as well");
	E2E_CLI(&f->s, r, "audit", "report", "fraud", "--to", to);
	e2e_expect(&r, 2, NULL, "give the period's start (--from) as well");
	/* Before the epoch, or at it (0 means "no bound" to the registry):
	 * said as such. */
	E2E_CLI(&f->s, r, "audit", "report", "fraud", "--from", "1969-12-31",
	    "--to", to);
	e2e_expect(&r, 2, NULL,
	    "--from \"1969-12-31\" is not after 1970-01-01T00:00:00Z");
	E2E_CLI(&f->s, r, "audit", "report", "fraud", "--from", "2001-01-01",
	    "--to", "1970-01-01T00:00:00.000Z");
	e2e_expect(
	    &r, 2, NULL, "--to \"1970-01-01T00:00:00.000Z\" is not after");
	E2E_CLI(
	    &f->s, r, "audit", "report", "nosuch", "--from", from, "--to", to);
	e2e_expect(&r, 1, NULL, "modelreg: audit report nosuch: NOT_FOUND: ");
	e2e_run_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, e2e_teardown)
	    T(test_export_is_deterministic),
	    T(test_export_lays_out_registry_models_versions_and_increments),
	    T(test_export_catalog_parses_back_with_versions_metrics_and_quoting),
	    T(test_export_readme_names_production_and_the_rollback_command),
	    T(test_export_version_folder_holds_requirements_features_and_metadata),
	    T(test_export_increment_catalog_and_history_hold_only_its_versions),
	    T(test_export_without_artifacts_writes_metadata_only),
	    T(test_export_removes_stale_files_only_from_its_own_folder),
	    T(test_export_of_an_unknown_model_or_without_a_folder_fails),
	    T(test_export_increment_folders_are_one_to_one_and_bounded),
	    T(test_export_versions_in_an_increment_do_not_collide),
	    T(test_export_of_some_models_keeps_every_model_in_the_registry_files),
	    T(test_export_leaves_a_matching_copy_in_an_increment_alone),
	    cmocka_unit_test(
	        test_export_increment_dir_keeps_safe_names_and_hashes_others),
	    cmocka_unit_test(
	        test_export_refuses_answers_that_could_leave_their_folder),
	    cmocka_unit_test(
	        test_export_double_is_the_shortest_exact_float_form),
	    T(test_audit_report_markdown_shows_every_section),
	    T(test_audit_report_json_has_every_key),
	    T(test_audit_report_is_deterministic_and_bounded_by_its_period),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
