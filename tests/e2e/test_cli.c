/*
 * test_cli.c - the modelreg command as users run it, against the real
 * modelregd on an ipc:// socket in a temporary directory (e2e.c). Each
 * check runs one command and looks at its exit code (0 done, 1 refused or
 * failed, 2 bad usage), at stdout - aligned tables for people, JSON that
 * json-c parses with every field for --json - and at stderr, where every
 * error goes as "modelreg: <what>: <CODE>: <why>". A chunk that does not
 * match its digest is planted in the stopped server's store with
 * store_put_chunk, which trusts its caller, to see the CLI refuse to pull
 * it. The lineage commands are run on the issue's own example: a dataset,
 * a feature set and an experiment, a version registered with metadata
 * naming them and promoted to production, its lineage drawn as a tree,
 * as Graphviz (parsed here) and as JSON, and the dataset's impact.
 */
#include <ctype.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cdc.h"
#include "chunk.h"
#include "e2e.h"
#include "e2e_json.h"
#include "store.h"
#include "testutil.h"

/* tu_fill_random(1) bytes the client cuts into three chunks. */
#define MODEL_SIZE 2500000

static const char meta_json[] =
    "{\n"
    "  \"description\": \"gradient boosted trees\",\n"
    "  \"metrics\": {\"accuracy\": 0.87, \"auc\": 0.93},\n"
    "  \"hyperparameters\": {\"max_depth\": 6, \"eta\": \"0.1\"},\n"
    "  \"framework\": \"xgboost\", \"python_version\": 3.11,\n"
    "  \"features\": [\"amount\", \"merchant\"],\n"
    "  \"signature\": {\"inputs\": {\"amount\": \"float32\"},\n"
    "                \"outputs\": {\"fraud_probability\": \"float32\"}},\n"
    "  \"tags\": {\"team\": \"risk\"}\n"
    "}\n";

typedef struct fixture {
	e2e_server s;
	char model[E2E_PATH_SIZE]; /* 2.5 MB, three chunks */
	char other[E2E_PATH_SIZE]; /* 3 MB, three chunks */
	char tree[E2E_PATH_SIZE];  /* config.json, sub/w.bin */
	char meta[E2E_PATH_SIZE];
	char bad_key[E2E_PATH_SIZE];
	char bad_syntax[E2E_PATH_SIZE];
	char out[E2E_PATH_SIZE]; /* an empty directory to pull into */
} fixture;

static int
setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	char p[E2E_PATH_SIZE];

	e2e_start(&f->s, "cli");
	e2e_path(f->model, f->s.dir, "model.bin");
	e2e_path(f->other, f->s.dir, "other.bin");
	e2e_path(f->tree, f->s.dir, "tree");
	e2e_path(f->meta, f->s.dir, "meta.json");
	e2e_path(f->bad_key, f->s.dir, "bad-key.json");
	e2e_path(f->bad_syntax, f->s.dir, "bad-syntax.json");
	e2e_path(f->out, f->s.dir, "out");
	e2e_write_random(f->model, MODEL_SIZE, 1);
	e2e_write_random(f->other, 3000000, 2);
	e2e_path(p, f->s.dir, "tree/config.json");
	tu_write_file(p, "{\"a\": 1}\n", 9);
	e2e_path(p, f->s.dir, "tree/sub/w.bin");
	e2e_write_random(p, 5000, 3);
	tu_write_file(f->meta, meta_json, strlen(meta_json));
	tu_write_file(f->bad_key, "{\"framework\": \"x\", \"epochs\": 3}", 31);
	tu_write_file(f->bad_syntax, "{\n  \"framework\": \"x\",,\n}", 25);
	assert_int_equal(mkdir(f->out, 0755), 0);
	*state = f;
	return 0;
}

/* ---- helpers ----------------------------------------------------------------
 */

static int
entries(const char *dir)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		n += strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0;
	closedir(d);
	return n;
}

static bool
same_file(const char *a, const char *b)
{
	size_t la = 0, lb = 0;
	char *x = tu_read_file(a, &la), *y = tu_read_file(b, &lb);
	bool same = x != NULL && y != NULL && la == lb && memcmp(x, y, la) == 0;

	free(x);
	free(y);
	return same;
}

static void
register_fraud(fixture *f, e2e_run *r)
{
	E2E_CLI(&f->s, *r, "register", "fraud", f->model, "--version", "v3.1.0",
	    "--metadata", f->meta, "--tag", "env=test");
	e2e_expect(r, 0, "registered fraud 3.1.0 (dev), revision", NULL);
}

/* ---- tests ------------------------------------------------------------------
 */

static void
test_cli_register_sends_only_missing_chunks_and_says_so(void **state)
{
	fixture *f = *state;
	e2e_run r = {0};
	json_object *j;

	register_fraud(f, &r);
	e2e_expect(&r, 0, "3 of 3 chunks sent", NULL);
	assert_string_equal(r.err, "");
	E2E_CLI(&f->s, r, "register", "other", f->other, "--version", "1.0.0");
	e2e_expect(&r, 0, "3 of 3 chunks sent", NULL);
	E2E_CLI(&f->s, r, "register", "fraud", f->model, "--version", "3.2.0");
	e2e_expect(&r, 0, "0 of 3 chunks sent", NULL);
	e2e_expect(&r, 0, "artifact   sha256:", NULL);

	E2E_CLI(&f->s, r, "--json", "register", "ranker", f->tree, "--version",
	    "1.0.0");
	e2e_expect(&r, 0, NULL, NULL);
	j = e2e_json(&r);
	assert_string_equal(e2e_jstr(j, "version.name"), "ranker");
	assert_string_equal(e2e_jstr(j, "version.version"), "1.0.0");
	assert_string_equal(e2e_jstr(j, "version.stage"), "dev");
	assert_true(
	    json_object_get_boolean(e2e_jget(j, "version.artifact.directory")));
	assert_string_equal(
	    e2e_jstr(j, "version.artifact.files.0.path"), "config.json");
	assert_string_equal(
	    e2e_jstr(j, "version.artifact.files.1.path"), "sub/w.bin");
	assert_int_equal(e2e_jint(j, "transfer.files"), 2);
	assert_int_equal(e2e_jint(j, "transfer.chunks"), 2);
	assert_int_equal(e2e_jint(j, "transfer.chunks_sent"), 2);
	assert_true(e2e_jint(j, "revision") > 0);
	assert_string_equal(e2e_jstr(j, "version.created_by"), "tester");
	json_object_put(j);

	/* Refusals exit 1 with the status and the reason on stderr. */
	E2E_CLI(&f->s, r, "register", "fraud", f->model, "--version", "3.1.0");
	e2e_expect(
	    &r, 1, NULL, "modelreg: register fraud 3.1.0: ALREADY_EXISTS: ");
	e2e_expect(&r, 1, NULL, "already exists");
	assert_string_equal(r.out, "");
	E2E_CLI(&f->s, r, "register", "fraud", f->model, "--version", "3.1");
	e2e_expect(&r, 1, NULL, "INVALID_ARGUMENT: version \"3.1\" is not");
	E2E_CLI(&f->s, r, "register", "fraud", f->s.dir, "--version", "4.0.0");
	e2e_expect(&r, 1, NULL, "register fraud 4.0.0: INVALID_ARGUMENT: ");
	e2e_expect(&r, 1, NULL, "socket"); /* modelregd's, in the directory */
	e2e_run_free(&r);
}

static void
test_cli_get_shows_a_version_as_text_and_as_json(void **state)
{
	fixture *f = *state;
	e2e_run r = {0};
	json_object *j;

	register_fraud(f, &r);
	E2E_CLI(&f->s, r, "get", "fraud@3.1.0");
	e2e_expect(&r, 0, NULL, NULL);
	e2e_expect_field(&r, "name:", "fraud");
	e2e_expect_field(&r, "stage:", "dev");
	e2e_expect_field(&r, "description:", "gradient boosted trees");
	e2e_expect_field(&r, "framework:", "xgboost");
	e2e_expect_field(&r, "metrics:", "accuracy=0.87");
	e2e_expect_field(&r, "features:", "amount, merchant");
	e2e_expect_field(&r, "inputs:", "amount float32");
	e2e_expect_field(&r, "tags:", "env=test");
	e2e_expect_field(&r, "tags:", "team=risk");
	e2e_expect_field(&r, "created:", "by tester");
	e2e_expect_field(&r, "MODE", "PATH");
	e2e_expect_field(&r, "model.bin", "0644");

	E2E_CLI(&f->s, r, "--json", "get", "fraud", "--version", "3.1.0");
	e2e_expect(&r, 0, NULL, NULL);
	j = e2e_json(&r);
	assert_string_equal(e2e_jstr(j, "name"), "fraud");
	assert_string_equal(e2e_jstr(j, "version"), "3.1.0");
	assert_string_equal(e2e_jstr(j, "stage"), "dev");
	assert_string_equal(e2e_jstr(j, "metadata.framework"), "xgboost");
	assert_string_equal(e2e_jstr(j, "metadata.python_version"), "3.11");
	assert_true(
	    json_object_get_double(e2e_jget(j, "metadata.metrics.auc")) == 0.93);
	assert_string_equal(e2e_jstr(j, "metadata.hyperparameters.max_depth"), "6");
	assert_string_equal(e2e_jstr(j, "metadata.features.1"), "merchant");
	assert_string_equal(e2e_jstr(j, "tags.team"), "risk");
	assert_string_equal(e2e_jstr(j, "tags.env"), "test");
	assert_string_equal(e2e_jstr(j, "signature.inputs.0.name"), "amount");
	assert_string_equal(
	    e2e_jstr(j, "signature.outputs.0.name"), "fraud_probability");
	assert_int_equal(e2e_jint(j, "artifact.size"), MODEL_SIZE);
	assert_int_equal(e2e_jint(j, "artifact.chunk_count"), 3);
	assert_string_equal(e2e_jstr(j, "artifact.files.0.path"), "model.bin");
	assert_int_equal(strlen(e2e_jstr(j, "artifact.digest")), 64);
	assert_string_equal(e2e_jstr(j, "created_by"), "tester");
	assert_true(e2e_jint(j, "created_at_ms") > 0);
	assert_non_null(strchr(e2e_jstr(j, "created_at"), 'T'));
	json_object_put(j);

	E2E_CLI(&f->s, r, "get", "fraud@7.0.0");
	e2e_expect(&r, 1, NULL, "modelreg: get fraud 7.0.0: NOT_FOUND: ");
	assert_string_equal(r.out, "");
	E2E_CLI(&f->s, r, "--json", "get", "fraud", "--stage", "production");
	e2e_expect(
	    &r, 1, NULL, "modelreg: get fraud (production): NOT_FOUND: ");
	assert_string_equal(r.out, "");
	e2e_run_free(&r);
}

static void
test_cli_pull_writes_verified_artifacts_and_keeps_existing_files(void **state)
{
	fixture *f = *state;
	char dest[PATH_MAX + 64], tree_dest[PATH_MAX + 64];
	char a[2 * PATH_MAX], b[2 * PATH_MAX];
	e2e_run r = {0};
	json_object *j;

	register_fraud(f, &r);
	E2E_CLI(&f->s, r, "register", "ranker", f->tree, "--version", "1.0.0");
	e2e_expect(&r, 0, NULL, NULL);

	snprintf(dest, sizeof(dest), "%s/copy.bin", f->out);
	E2E_CLI(&f->s, r, "pull", "fraud@3.1.0", dest);
	e2e_expect(&r, 0, "pulled fraud 3.1.0 to ", NULL);
	e2e_expect(&r, 0, dest, NULL);
	assert_true(same_file(f->model, dest));
	E2E_CLI(&f->s, r, "pull", "fraud@3.1.0", dest);
	e2e_expect(&r, 1, NULL, "pull fraud 3.1.0: ALREADY_EXISTS: ");
	E2E_CLI(&f->s, r, "pull", "fraud@3.1.0", dest, "--force");
	e2e_expect(&r, 0, "pulled fraud 3.1.0", NULL);
	assert_true(same_file(f->model, dest));

	snprintf(tree_dest, sizeof(tree_dest), "%s/ranker", f->out);
	E2E_CLI(&f->s, r, "pull", "ranker@1.0.0", tree_dest);
	e2e_expect(&r, 0, "a directory", NULL);
	snprintf(a, sizeof(a), "%s/sub/w.bin", f->tree);
	snprintf(b, sizeof(b), "%s/sub/w.bin", tree_dest);
	assert_true(same_file(a, b));
	snprintf(a, sizeof(a), "%s/config.json", f->tree);
	snprintf(b, sizeof(b), "%s/config.json", tree_dest);
	assert_true(same_file(a, b));

	/* Into a directory: the artifact keeps its name. */
	E2E_CLI(&f->s, r, "--json", "pull", "fraud", "--version", "3.1.0",
	    tree_dest);
	e2e_expect(&r, 0, NULL, NULL);
	j = e2e_json(&r);
	snprintf(b, sizeof(b), "%s/model.bin", tree_dest);
	assert_string_equal(e2e_jstr(j, "path"), b);
	assert_string_equal(e2e_jstr(j, "version.version"), "3.1.0");
	assert_int_equal(e2e_jint(j, "transfer.files"), 1);
	assert_int_equal(e2e_jint(j, "transfer.chunks_sent"), 3);
	assert_int_equal(e2e_jint(j, "transfer.bytes"), MODEL_SIZE);
	assert_true(json_object_is_type(e2e_jget(j, "seconds"), json_type_double));
	json_object_put(j);
	assert_true(same_file(f->model, b));
	assert_int_equal(entries(f->out), 2); /* copy.bin, ranker */

	/* Missing directories above the destination are made; global
	 * options may follow the command. */
	snprintf(dest, sizeof(dest), "%s/new/deeper/model.bin", f->out);
	E2E_CLI(&f->s, r, "pull", "fraud@3.1.0", dest, "--json");
	e2e_expect(&r, 0, NULL, NULL);
	j = e2e_json(&r);
	assert_string_equal(e2e_jstr(j, "path"), dest);
	json_object_put(j);
	assert_true(same_file(f->model, dest));
	e2e_run_free(&r);
}

static void
test_cli_promote_rollback_and_history_follow_the_lifecycle(void **state)
{
	fixture *f = *state;
	e2e_run r = {0};
	json_object *j, *events;
	size_t n;

	register_fraud(f, &r);
	E2E_CLI(&f->s, r, "register", "fraud", f->model, "--version", "3.2.0");
	e2e_expect(&r, 0, NULL, NULL);
	E2E_CLI(&f->s, r, "promote", "fraud", "3.1.0", "--to", "staging",
	    "--reason", "tests pass");
	e2e_expect(&r, 0, "fraud 3.1.0 is now in staging (revision ", NULL);
	E2E_CLI(&f->s, r, "promote", "fraud@3.1.0", "--to", "prod");
	e2e_expect(&r, 0, "fraud 3.1.0 is now in production", NULL);
	E2E_CLI(&f->s, r, "promote", "fraud", "3.2.0", "--to", "production");
	e2e_expect(&r, 1, NULL,
	    "modelreg: promote fraud 3.2.0: FAILED_PRECONDITION: ");
	e2e_expect(&r, 1, NULL, "is in dev");
	E2E_CLI(&f->s, r, "promote", "fraud", "3.2.0", "--to", "staging",
	    "--expect", "staging");
	e2e_expect(&r, 1, NULL, "someone changed it");
	E2E_CLI(&f->s, r, "promote", "fraud", "3.2.0", "--to", "staging",
	    "--expect", "dev");
	e2e_expect(&r, 0, "is now in staging", NULL);
	E2E_CLI(&f->s, r, "--json", "promote", "fraud", "3.2.0", "--to",
	    "production", "--reason", "canary clean");
	e2e_expect(&r, 0, NULL, NULL);
	j = e2e_json(&r);
	assert_string_equal(e2e_jstr(j, "version.stage"), "production");
	assert_string_equal(e2e_jstr(j, "version.displaced_version"), "3.1.0");
	assert_true(e2e_jint(j, "revision") > 0);
	json_object_put(j);

	E2E_CLI(&f->s, r, "rollback", "fraud", "--reason", "p99 doubled");
	e2e_expect(&r, 0, "fraud: production is now 3.1.0 (revision ", NULL);
	E2E_CLI(&f->s, r, "--json", "rollback", "fraud", "--reason", "again");
	e2e_expect(
	    &r, 1, NULL, "modelreg: rollback fraud: FAILED_PRECONDITION: ");
	assert_string_equal(r.out, "");
	E2E_CLI(&f->s, r, "--json", "rollback", "fraud", "--to", "3.2.0",
	    "--reason", "forward");
	e2e_expect(&r, 0, NULL, NULL);
	j = e2e_json(&r);
	assert_string_equal(e2e_jstr(j, "version.version"), "3.2.0");
	assert_string_equal(e2e_jstr(j, "version.stage"), "production");
	json_object_put(j);

	E2E_CLI(&f->s, r, "history", "fraud");
	e2e_expect(&r, 0, NULL, NULL);
	e2e_expect_field(&r, "REVISION", "EVENT");
	e2e_expect_field(&r, "version_registered", "tester");
	e2e_expect_field(&r, " rollback ", "p99 doubled");
	e2e_expect_field(&r, "rolled back: p99 doubled", "archived");
	e2e_expect_field(&r, "canary clean", "stage_changed");
	E2E_CLI(&f->s, r, "--json", "history", "fraud");
	e2e_expect(&r, 0, NULL, NULL);
	j = e2e_json(&r);
	events = e2e_jget(j, "events");
	n = json_object_array_length(events);
	/* Created, 2 registered, 4 promotions, the archiving each later
	 * promotion or rollback does, 2 rollbacks. */
	assert_int_equal(n, 12);
	assert_string_equal(e2e_jstr(events, "0.kind"), "model_created");
	assert_string_equal(e2e_jstr(events, "1.kind"), "version_registered");
	assert_string_equal(e2e_jstr(events, "1.version"), "3.1.0");
	assert_string_equal(e2e_jstr(events, "1.actor"), "tester");
	assert_string_equal(e2e_jstr(events, "8.kind"), "stage_changed");
	assert_string_equal(e2e_jstr(events, "8.to_stage"), "archived");
	assert_string_equal(e2e_jstr(events, "9.kind"), "rollback");
	assert_string_equal(e2e_jstr(events, "9.version"), "3.1.0");
	assert_string_equal(e2e_jstr(events, "9.reason"), "p99 doubled");
	assert_string_equal(e2e_jstr(events, "9.from_stage"), "archived");
	assert_string_equal(e2e_jstr(events, "9.to_stage"), "production");
	assert_int_equal(e2e_jint(events, "9.revision"), 10);
	assert_int_equal(e2e_jint(j, "last_revision"), e2e_jint(events, "11.revision"));
	assert_false(json_object_get_boolean(e2e_jget(j, "more")));
	json_object_put(j);
	E2E_CLI(&f->s, r, "history", "--limit", "1");
	e2e_expect(&r, 0, "model_created", "more events: add --after 1");
	e2e_run_free(&r);
}

static void
test_cli_list_and_info_print_aligned_tables_and_json(void **state)
{
	fixture *f = *state;
	char *header, *row;
	e2e_run r = {0};
	json_object *j;

	register_fraud(f, &r);
	E2E_CLI(&f->s, r, "register", "fraud", f->model, "--version", "3.2.0");
	E2E_CLI(&f->s, r, "register", "other", f->other, "--version", "1.0.0");
	e2e_expect(&r, 0, NULL, NULL);

	E2E_CLI(&f->s, r, "list");
	e2e_expect(&r, 0, NULL, NULL);
	header = e2e_line_with(r.out, "NAME");
	row = e2e_line_with(r.out, "fraud");
	assert_non_null(header);
	assert_non_null(row);
	assert_ptr_equal(header, strstr(header, "NAME"));
	/* Columns line up: the latest version sits under LATEST. */
	assert_int_equal(
	    strstr(header, "LATEST") - header, strstr(row, "3.2.0") - row);
	assert_int_equal(strstr(header, "VERSIONS") - header,
	    strchr(strstr(row, "3.2.0") + 5, '2') - row);
	free(header);
	free(row);
	assert_non_null(strstr(r.out, "other"));
	assert_string_equal(r.err, "");

	E2E_CLI(&f->s, r, "--json", "list");
	e2e_expect(&r, 0, NULL, NULL);
	j = e2e_json(&r);
	assert_int_equal(json_object_array_length(e2e_jget(j, "models")), 2);
	assert_string_equal(e2e_jstr(j, "models.0.name"), "fraud");
	assert_string_equal(e2e_jstr(j, "models.0.latest_version"), "3.2.0");
	assert_int_equal(e2e_jint(j, "models.0.version_count"), 2);
	assert_string_equal(e2e_jstr(j, "models.1.name"), "other");
	assert_string_equal(e2e_jstr(j, "next_page_token"), "");
	json_object_put(j);

	E2E_CLI(&f->s, r, "list", "--limit", "1");
	e2e_expect(&r, 0, "fraud", "more models: add --page-token ");
	assert_null(strstr(r.out, "other"));
	E2E_CLI(&f->s, r, "list", "--limit", "1", "--all");
	e2e_expect(&r, 0, "other", NULL);
	assert_string_equal(r.err, "");
	E2E_CLI(&f->s, r, "list", "fraud");
	e2e_expect(&r, 0, "3.2.0", NULL);
	e2e_expect_field(&r, "VERSION", "ARTIFACT SIZE");
	e2e_expect_field(&r, "3.1.0", "env=test");
	E2E_CLI(&f->s, r, "--json", "list", "fraud", "--tag", "env=test");
	e2e_expect(&r, 0, NULL, NULL);
	j = e2e_json(&r);
	assert_int_equal(json_object_array_length(e2e_jget(j, "versions")), 1);
	assert_string_equal(e2e_jstr(j, "versions.0.version"), "3.1.0");
	json_object_put(j);

	E2E_CLI(&f->s, r, "info", "fraud");
	e2e_expect(&r, 0, "Recent history", NULL);
	e2e_expect_field(&r, "versions:", "2");
	e2e_expect_field(&r, "latest:", "3.2.0");
	E2E_CLI(&f->s, r, "--json", "info", "fraud");
	e2e_expect(&r, 0, NULL, NULL);
	j = e2e_json(&r);
	assert_string_equal(e2e_jstr(j, "model.name"), "fraud");
	assert_int_equal(json_object_array_length(e2e_jget(j, "versions")), 2);
	assert_int_equal(json_object_array_length(e2e_jget(j, "events")), 3);
	json_object_put(j);
	E2E_CLI(&f->s, r, "info", "nope");
	e2e_expect(&r, 1, NULL, "modelreg: info nope: NOT_FOUND: ");
	e2e_run_free(&r);
}

static void
test_cli_bad_usage_exits_2_with_a_hint(void **state)
{
	fixture *f = *state;
	e2e_run r = {0};
	json_object *j;

	E2E_CLI(&f->s, r, "register", "fraud", f->model);
	e2e_expect(&r, 2, NULL, "modelreg: register: --version is required");
	e2e_expect(&r, 2, NULL, "Run \"modelreg help register\" for usage.");
	E2E_CLI(&f->s, r, "register", "fraud", f->model, "--version", "9.0.0",
	    "--metadata", f->bad_key);
	e2e_expect(&r, 2, NULL, "unknown key \"epochs\"");
	e2e_expect(&r, 2, NULL, f->bad_key);
	E2E_CLI(&f->s, r, "register", "fraud", f->model, "--version", "9.0.0",
	    "--metadata", f->bad_syntax);
	e2e_expect(&r, 2, NULL, "line 2");
	E2E_CLI(&f->s, r, "register", "fraud", f->model, "--version", "9.0.0",
	    "--metadata", "/nonexistent/meta.json");
	e2e_expect(&r, 2, NULL, "/nonexistent/meta.json");
	E2E_CLI(&f->s, r, "register", "fraud", f->model, "--version", "9.0.0",
	    "--tag", "novalue");
	e2e_expect(&r, 2, NULL, "--tag wants KEY=VALUE");
	E2E_CLI(&f->s, r, "get", "fraud@3.1.0", "--stage", "prod");
	e2e_expect(&r, 2, NULL, "not both");
	E2E_CLI(&f->s, r, "promote", "fraud", "3.1.0");
	e2e_expect(&r, 2, NULL, "--to STAGE is required");
	E2E_CLI(&f->s, r, "promote", "fraud", "3.1.0", "--to", "qa");
	e2e_expect(&r, 2, NULL, "\"qa\" is not a stage");
	E2E_CLI(&f->s, r, "rollback", "fraud");
	e2e_expect(&r, 2, NULL, "--reason TEXT is required");
	E2E_CLI(&f->s, r, "list", "--bogus");
	e2e_expect(&r, 2, NULL, "unknown option --bogus");
	E2E_CLI(&f->s, r, "history", "--limit", "0");
	e2e_expect(&r, 2, NULL, "--limit wants a number from 1 to 1000");
	E2E_CLI(&f->s, r, "--timeout", "0", "list");
	e2e_expect(&r, 2, NULL, "--timeout wants milliseconds");
	E2E_CLI(&f->s, r, "frobnicate");
	e2e_expect(&r, 2, NULL, "no command \"frobnicate\"");
	E2E_CLI(&f->s, r, "--json");
	e2e_expect(&r, 2, NULL, "usage: modelreg");
	assert_string_equal(r.out, "");
	/* Nothing above reached the registry. */
	E2E_CLI(&f->s, r, "--json", "list");
	e2e_expect(&r, 0, NULL, NULL);
	j = e2e_json(&r);
	assert_int_equal(json_object_array_length(e2e_jget(j, "models")), 0);
	json_object_put(j);

	E2E_CLI(&f->s, r, "help", "register");
	e2e_expect(&r, 0, "Metadata file", NULL);
	e2e_expect(
	    &r, 0, "usage: modelreg register NAME PATH --version V", NULL);
	assert_string_equal(r.err, "");
	E2E_CLI(&f->s, r, "--help");
	e2e_expect(&r, 0, "modelreg rollback NAME", NULL);
	E2E_CLI(&f->s, r, "pull", "--help");
	e2e_expect(&r, 0, "--force", NULL);
	e2e_run_free(&r);
}

static void
test_cli_unreachable_server_exits_1_naming_the_address(void **state)
{
	fixture *f = *state;
	e2e_run r = {0};

	E2E_CLI(&f->s, r, "--server", "ipc:///nonexistent/x.sock", "list");
	e2e_expect(&r, 1, NULL,
	    "modelreg: connect: UNAVAILABLE: cannot connect to "
	    "ipc:///nonexistent/x.sock");
	assert_string_equal(r.out, "");
	E2E_CLI(&f->s, r, "--server", "nonsense://x", "--json", "get", "fraud");
	e2e_expect(&r, 1, NULL, "modelreg: connect: INVALID_ARGUMENT: ");
	e2e_run_free(&r);
}

static void
test_cli_pull_of_a_bad_chunk_is_data_loss_and_writes_nothing(void **state)
{
	fixture *f = *state;
	char dest[PATH_MAX + 64];
	uint8_t digest[MR_DIGEST_LEN];
	size_t len, first;
	char *bytes, *other;
	bool stored = false;
	mr_codec *codec = mr_codec_create();
	store *st;
	mr_err e;
	e2e_run r = {0};
	int status;

	/* With modelregd stopped, its store gets other bytes under the name
	 * of model.bin's first chunk. */
	bytes = tu_read_file(f->model, &len);
	assert_non_null(bytes);
	first = mr_cdc_cut((const uint8_t *)bytes, len, true);
	mr_sha256(codec, bytes, first, digest);
	other = malloc(first);
	tu_fill_random(other, first, 77);
	status = e2e_kill(&f->s, SIGTERM);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	mr_err_clear(&e);
	if (store_open(&st, f->s.data, &e) != MR_OK)
		fail_msg("store_open: %s", e.msg);
	assert_int_equal(store_put_chunk(st, digest, MR_ENC_RAW,
	                     (uint32_t)first, other, first, &stored, &e),
	    MR_OK);
	assert_true(stored);
	store_close(st);
	e2e_restart(&f->s);

	E2E_CLI(&f->s, r, "register", "fraud", f->model, "--version", "1.0.0");
	e2e_expect(&r, 0, "2 of 3 chunks sent", NULL);
	snprintf(dest, sizeof(dest), "%s/bad.bin", f->out);
	E2E_CLI(&f->s, r, "pull", "fraud@1.0.0", dest);
	e2e_expect(&r, 1, NULL, "modelreg: pull fraud 1.0.0: DATA_LOSS: ");
	e2e_expect(&r, 1, NULL, "chunk 0 of model.bin");
	assert_string_equal(r.out, "");
	E2E_CLI(&f->s, r, "--json", "pull", "fraud@1.0.0", dest);
	e2e_expect(&r, 1, NULL, "DATA_LOSS");
	assert_string_equal(r.out, "");
	assert_int_equal(entries(f->out), 0);
	e2e_run_free(&r);
	mr_codec_free(codec);
	free(bytes);
	free(other);
}

/* ---- lineage ----------------------------------------------------------------
 */

/* The issue's example: dataset "@v2024-01", features "@v1" derived from
 * it, experiment exp-003-xgboost trained on them; fraud-detection-model
 * 3.1.0 registered naming all three, promoted to staging, then to
 * production. */
static void
issue_example(fixture *f, e2e_run *r)
{
	static const char md[] = "{\"training_data_version\": \"v2024-01\",\n"
	                         " \"feature_set_version\": \"v1\",\n"
	                         " \"experiment\": \"exp-003-xgboost\"}\n";
	char meta[E2E_PATH_SIZE];

	E2E_CLI(&f->s, *r, "lineage", "add", "dataset", "@v2024-01");
	e2e_expect(r, 0, "added dataset:@v2024-01\n", NULL);
	E2E_CLI(&f->s, *r, "lineage", "add", "features:@v1", "--from",
	    "dataset:v2024-01");
	e2e_expect(r, 0, "added features:@v1\n", NULL);
	e2e_expect_field(r, "upstream", "derived_from  dataset:@v2024-01");
	E2E_CLI(&f->s, *r, "lineage", "add", "experiment", "exp-003-xgboost",
	    "--from", "features:v1");
	e2e_expect_field(r, "upstream", "trained_on  features:@v1");
	e2e_path(meta, f->s.dir, "lineage.json");
	tu_write_file(meta, md, strlen(md));
	E2E_CLI(&f->s, *r, "register", "fraud-detection-model", f->model,
	    "--version", "3.1.0", "--metadata", meta);
	e2e_expect(r, 0, "registered fraud-detection-model 3.1.0", NULL);
	assert_string_equal(r->err, ""); /* every reference resolved */
	E2E_CLI(&f->s, *r, "promote", "fraud-detection-model", "3.1.0", "--to",
	    "staging");
	e2e_expect(r, 0, NULL, NULL);
	E2E_CLI(&f->s, *r, "promote", "fraud-detection-model", "3.1.0", "--to",
	    "production");
	e2e_expect(r, 0, NULL, NULL);
}

/* A token of DOT as cg_print_dot writes it: a quoted string (returned
 * unquoted), a word, "->" or one punctuation character. */
static char *
dot_token(const char **p)
{
	const char *s = *p, *start;
	char *tok;
	size_t n = 0;

	while (isspace((unsigned char)*s))
		s++;
	start = s;
	if (*s == '\0') {
		tok = NULL;
	} else if (*s == '"') {
		tok = malloc(strlen(s));
		for (s++; *s != '"'; s++) {
			if (*s == '\0')
				fail_msg("unterminated string in DOT");
			if (*s == '\\')
				s++;
			tok[n++] = *s;
		}
		tok[n] = '\0';
		s++;
	} else if (strncmp(s, "->", 2) == 0) {
		tok = strdup("->");
		s += 2;
	} else if (isalpha((unsigned char)*s)) {
		while (isalnum((unsigned char)*s) || *s == '_')
			s++;
		tok = strndup(start, (size_t)(s - start));
	} else {
		tok = strndup(s++, 1);
	}
	*p = s;
	return tok;
}

static void
dot_expect(const char **p, const char *want)
{
	char *tok = dot_token(p);

	if (tok == NULL || strcmp(tok, want) != 0)
		fail_msg("DOT: \"%s\" where \"%s\" belongs",
		    tok ? tok : "(end)", want);
	free(tok);
}

/*
 * Parses `digraph NAME { "id" [label="..."]; "a" -> "b" [label="..."];
 * ... }` and nothing after it. Every edge must join declared nodes.
 * Returns how many nodes; *n_edges gets the edges.
 */
static int
parse_dot(const char *text, int *n_edges)
{
	const char *p = text;
	char *ids[64], *tok;
	int n = 0;

	*n_edges = 0;
	dot_expect(&p, "digraph");
	free(dot_token(&p));
	dot_expect(&p, "{");
	while ((tok = dot_token(&p)) != NULL && strcmp(tok, "}") != 0) {
		const char *save = p;
		char *next = dot_token(&p);

		if (next != NULL && strcmp(next, "->") == 0) {
			char *to = dot_token(&p);
			int found = 0;

			for (int i = 0; i < n; i++)
				found += strcmp(ids[i], tok) == 0 ||
				    strcmp(ids[i], to) == 0;
			if (found != 2)
				fail_msg("DOT edge %s -> %s joins undeclared "
				         "nodes",
				    tok, to);
			free(to);
			free(tok);
			(*n_edges)++;
		} else {
			assert_true(n < 64);
			ids[n++] = tok;
			p = save;
		}
		free(next);
		dot_expect(&p, "[");
		dot_expect(&p, "label");
		dot_expect(&p, "=");
		free(dot_token(&p));
		dot_expect(&p, "]");
		dot_expect(&p, ";");
	}
	if (tok == NULL)
		fail_msg("DOT without its closing brace");
	free(tok);
	assert_null(dot_token(&p));
	for (int i = 0; i < n; i++)
		free(ids[i]);
	return n;
}

static void
test_cli_lineage_of_a_version_is_the_issue_chain(void **state)
{
	fixture *f = *state;
	e2e_run r = {0};
	json_object *j;
	int edges;

	issue_example(f, &r);
	E2E_CLI(&f->s, r, "lineage", "fraud-detection-model", "3.1.0");
	e2e_expect(&r, 0, NULL, NULL);
	assert_string_equal(r.out,
	    "data:v2024-01\n"
	    "└─> feature-engineering:v1\n"
	    "    └─> experiment:exp-003-xgboost\n"
	    "        └─> model:fraud-detection-model-3.1.0\n"
	    "            └─> deployment:production\n");
	assert_string_equal(r.err, "");

	/* The staging deployment ended with the promotion: shown on
	 * request, marked. */
	E2E_CLI(&f->s, r, "lineage", "fraud-detection-model@3.1.0",
	    "--all-deployments");
	e2e_expect(&r, 0,
	    "        └─> model:fraud-detection-model-3.1.0\n"
	    "            ├─> deployment:production\n"
	    "            └─> deployment:staging (ended 20",
	    NULL);

	E2E_CLI(&f->s, r, "lineage", "fraud-detection-model", "3.1.0", "--dot");
	e2e_expect(&r, 0, "digraph", NULL);
	assert_int_equal(parse_dot(r.out, &edges), 5);
	/* Dataset, features and experiment into the model, the chain
	 * between them, and the deployment. */
	assert_int_equal(edges, 6);
	e2e_expect(
	    &r, 0, "\"dataset:@v2024-01\" [label=\"data:v2024-01\"];", NULL);
	e2e_expect(&r, 0,
	    "\"experiment:exp-003-xgboost\" -> "
	    "\"model:fraud-detection-model@3.1.0\" [label=\"produced_by\"];",
	    NULL);

	E2E_CLI(
	    &f->s, r, "--json", "lineage", "fraud-detection-model", "3.1.0");
	e2e_expect(&r, 0, NULL, NULL);
	j = e2e_json(&r);
	assert_int_equal(json_object_array_length(e2e_jget(j, "nodes")), 5);
	assert_int_equal(json_object_array_length(e2e_jget(j, "edges")), 6);
	assert_string_equal(
	    e2e_jstr(j, "nodes.0.id"), "model:fraud-detection-model@3.1.0");
	assert_string_equal(e2e_jstr(j, "nodes.0.kind"), "model");
	assert_int_equal(
	    json_object_array_length(e2e_jget(j, "nodes.0.dangling")), 0);
	assert_string_equal(e2e_jstr(j, "nodes.4.kind"), "deployment");
	assert_string_equal(e2e_jstr(j, "nodes.4.stage"), "production");
	assert_int_equal(e2e_jint(j, "nodes.4.ended_at_ms"), 0);
	json_object_put(j);

	E2E_CLI(&f->s, r, "lineage", "impact", "dataset:v2024-01");
	e2e_expect(&r, 0, "Affected model versions:\n", NULL);
	e2e_expect_field(&r, "fraud-detection-model  3.1.0", "production  1");
	e2e_expect(&r, 0, "\nLive deployments:\n", NULL);
	e2e_expect_field(&r,
	    "deployment:fraud-detection-model@3.1.0/production/",
	    "production  default");
	assert_null(strstr(r.out, "staging"));
	E2E_CLI(&f->s, r, "--json", "lineage", "impact", "dataset:v2024-01");
	e2e_expect(&r, 0, NULL, NULL);
	j = e2e_json(&r);
	assert_int_equal(json_object_array_length(e2e_jget(j, "versions")), 1);
	assert_string_equal(e2e_jstr(j, "versions.0.stage"), "production");
	assert_int_equal(
	    json_object_array_length(e2e_jget(j, "live_deployments")), 1);
	assert_string_equal(
	    e2e_jstr(j, "live_deployments.0.environment"), "default");
	assert_string_equal(e2e_jstr(j, "next_page_token"), "");
	json_object_put(j);
	e2e_run_free(&r);
}

static void
test_cli_lineage_dangling_reference_is_warned_until_its_node_is_added(
    void **state)
{
	fixture *f = *state;
	static const char md[] = "{\"experiment\": \"exp-9\"}";
	char meta[E2E_PATH_SIZE];
	e2e_run r = {0};
	json_object *j;

	e2e_path(meta, f->s.dir, "dangling.json");
	tu_write_file(meta, md, strlen(md));
	E2E_CLI(&f->s, r, "register", "fraud", f->model, "--version", "1.0.0",
	    "--metadata", meta);
	e2e_expect(&r, 0, "registered fraud 1.0.0",
	    "modelreg: warning: experiment = exp-9 names no lineage node; it "
	    "will be linked when added\n");
	E2E_CLI(&f->s, r, "--json", "register", "fraud", f->model, "--version",
	    "1.1.0", "--metadata", meta);
	e2e_expect(&r, 0, NULL, "experiment = exp-9 names no lineage node");
	j = e2e_json(&r);
	assert_string_equal(e2e_jstr(j, "dangling.0.field"), "experiment");
	assert_string_equal(e2e_jstr(j, "dangling.0.value"), "exp-9");
	assert_string_equal(e2e_jstr(j, "dangling.0.kind"), "experiment");
	json_object_put(j);

	E2E_CLI(&f->s, r, "lineage", "fraud", "1.0.0");
	e2e_expect(&r, 0,
	    "model:fraud-1.0.0\n\ndangling: experiment = exp-9 (no lineage "
	    "node",
	    NULL);
	E2E_CLI(&f->s, r, "lineage", "show", "model:fraud@1.0.0");
	e2e_expect_field(&r, "dangling:", "experiment = exp-9");

	/* Adding the experiment links both versions to it. */
	E2E_CLI(&f->s, r, "lineage", "add", "experiment", "exp-9");
	e2e_expect(&r, 0, "added experiment:exp-9\n", NULL);
	e2e_expect_field(&r, "model:fraud@1.0.0", "downstream  produced_by");
	e2e_expect_field(&r, "model:fraud@1.1.0", "downstream  produced_by");
	E2E_CLI(&f->s, r, "lineage", "fraud", "1.0.0");
	e2e_expect(&r, 0, NULL, NULL);
	assert_string_equal(r.out, "experiment:exp-9\n└─> model:fraud-1.0.0\n");
	E2E_CLI(&f->s, r, "lineage", "show", "model:fraud@1.0.0");
	e2e_expect_field(&r, "upstream", "produced_by  experiment:exp-9");
	assert_null(strstr(r.out, "dangling"));
	e2e_run_free(&r);
}

static void
test_cli_lineage_walks_paths_and_edits_of_the_graph(void **state)
{
	fixture *f = *state;
	e2e_run r = {0};
	json_object *j;

	E2E_CLI(&f->s, r, "lineage", "add", "dataset", "raw", "--property",
	    "owner=data-eng");
	e2e_expect(&r, 0, "added dataset:raw\n", NULL);
	E2E_CLI(&f->s, r, "lineage", "add", "dataset", "clean", "--from",
	    "dataset:raw");
	E2E_CLI(&f->s, r, "lineage", "add", "features", "fs", "--version", "v2",
	    "--from", "dataset:clean");
	e2e_expect_field(&r, "upstream", "derived_from  dataset:clean");
	E2E_CLI(&f->s, r, "lineage", "add", "experiment", "exp", "--from",
	    "features:fs@v2");
	e2e_expect(&r, 0, "added experiment:exp\n", NULL);

	E2E_CLI(&f->s, r, "lineage", "downstream", "dataset:raw");
	e2e_expect(&r, 0, NULL, NULL);
	e2e_expect_field(&r, "DEPTH", "ID  ");
	e2e_expect_field(&r, "KIND", "VIA");
	e2e_expect_field(&r, "dataset:clean", "dataset     derived_from");
	e2e_expect_field(&r, "3      experiment:exp", "trained_on");
	assert_string_equal(r.err, "");
	E2E_CLI(
	    &f->s, r, "lineage", "downstream", "dataset:raw", "--depth", "1");
	e2e_expect(&r, 0, "dataset:clean", "more lies past depth 1");
	assert_null(strstr(r.out, "features:fs"));
	E2E_CLI(
	    &f->s, r, "lineage", "upstream", "experiment:exp", "--limit", "1");
	e2e_expect(&r, 0, "features:fs@v2",
	    "more nodes: add --page-token 1 (or --all)");
	assert_null(strstr(r.out, "dataset:raw"));
	E2E_CLI(&f->s, r, "lineage", "upstream", "experiment:exp", "--limit",
	    "1", "--page-token", "2");
	e2e_expect(&r, 0, "dataset:raw", NULL);
	assert_string_equal(r.err, "");
	E2E_CLI(&f->s, r, "--json", "lineage", "upstream", "experiment:exp",
	    "--limit", "1", "--all");
	e2e_expect(&r, 0, NULL, NULL);
	j = e2e_json(&r);
	assert_int_equal(json_object_array_length(e2e_jget(j, "nodes")), 4);
	assert_int_equal(json_object_array_length(e2e_jget(j, "edges")), 3);
	assert_int_equal(e2e_jint(j, "nodes.3.depth"), 3);
	assert_string_equal(e2e_jstr(j, "edges.2.from"), "dataset:raw");
	assert_string_equal(e2e_jstr(j, "edges.2.type"), "derived_from");
	assert_string_equal(e2e_jstr(j, "next_page_token"), "");
	json_object_put(j);

	E2E_CLI(&f->s, r, "lineage", "path", "dataset:raw", "experiment:exp");
	e2e_expect(&r, 0, NULL, NULL);
	assert_string_equal(r.out,
	    "dataset:raw -[derived_from]-> dataset:clean -[derived_from]-> "
	    "features:fs@v2 -[trained_on]-> experiment:exp\n");
	E2E_CLI(&f->s, r, "lineage", "path", "experiment:exp", "dataset:clean");
	e2e_expect(&r, 0,
	    "dataset:clean -[derived_from]-> features:fs@v2 -[trained_on]-> "
	    "experiment:exp\n",
	    NULL);
	E2E_CLI(&f->s, r, "lineage", "path", "dataset:raw", "experiment:exp",
	    "--depth", "2");
	e2e_expect(&r, 1, NULL,
	    "modelreg: lineage path dataset:raw "
	    "experiment:exp: NOT_FOUND: no path");

	E2E_CLI(&f->s, r, "lineage", "link", "experiment:exp", "dataset:raw",
	    "--type", "derived_from");
	e2e_expect(&r, 1, NULL, "FAILED_PRECONDITION: ");
	e2e_expect(&r, 1, NULL, "would close a cycle");
	E2E_CLI(&f->s, r, "lineage", "link", "dataset:raw", "experiment:exp");
	e2e_expect(
	    &r, 0, "linked dataset:raw -[trained_on]-> experiment:exp\n", NULL);
	E2E_CLI(&f->s, r, "lineage", "rm", "dataset:clean");
	e2e_expect(&r, 1, NULL,
	    "modelreg: lineage rm dataset:clean: FAILED_PRECONDITION: ");
	E2E_CLI(&f->s, r, "lineage", "rm", "experiment:exp");
	e2e_expect(&r, 0, "deleted experiment:exp\n", NULL);
	E2E_CLI(&f->s, r, "lineage", "show", "experiment:exp");
	e2e_expect(
	    &r, 1, NULL, "modelreg: lineage show experiment:exp: NOT_FOUND: ");

	E2E_CLI(&f->s, r, "lineage", "show", "dataset:raw");
	e2e_expect_field(&r, "id:", "dataset:raw");
	e2e_expect_field(&r, "kind:", "dataset");
	e2e_expect_field(&r, "properties:", "owner=data-eng");
	e2e_expect_field(&r, "downstream", "derived_from  dataset:clean");
	E2E_CLI(&f->s, r, "--json", "lineage", "show", "features:fs@v2");
	e2e_expect(&r, 0, NULL, NULL);
	j = e2e_json(&r);
	assert_string_equal(e2e_jstr(j, "node.kind"), "features");
	assert_string_equal(e2e_jstr(j, "node.version"), "v2");
	assert_string_equal(e2e_jstr(j, "edges.0.from"), "dataset:clean");
	json_object_put(j);

	E2E_CLI(&f->s, r, "lineage", "nodes", "--kind", "dataset");
	e2e_expect_field(&r, "ID", "KIND");
	e2e_expect_field(&r, "dataset:clean", "clean");
	e2e_expect_field(&r, "dataset:raw", "raw");
	assert_null(strstr(r.out, "features:fs"));
	E2E_CLI(&f->s, r, "--json", "lineage", "nodes", "--limit", "2");
	e2e_expect(&r, 0, NULL, "more nodes: add --page-token ");
	j = e2e_json(&r);
	assert_int_equal(json_object_array_length(e2e_jget(j, "nodes")), 2);
	assert_string_equal(e2e_jstr(j, "nodes.0.id"), "dataset:clean");
	json_object_put(j);
	E2E_CLI(&f->s, r, "lineage", "add", "dataset:raw");
	e2e_expect(
	    &r, 1, NULL, "modelreg: lineage add dataset raw: ALREADY_EXISTS");
	e2e_run_free(&r);
}

static void
test_cli_lineage_bad_usage_exits_2_and_help_tells_every_form(void **state)
{
	fixture *f = *state;
	e2e_run r = {0};

	E2E_CLI(&f->s, r, "lineage");
	e2e_expect(&r, 2, NULL, "modelreg: lineage: give NAME VERSION");
	e2e_expect(&r, 2, NULL, "Run \"modelreg help lineage\" for usage.");
	E2E_CLI(&f->s, r, "lineage", "fraud");
	e2e_expect(&r, 2, NULL, "which version?");
	E2E_CLI(&f->s, r, "lineage", "fraud", "1.0.0", "--depth", "33");
	e2e_expect(&r, 2, NULL, "--depth wants a number from 1 to 32");
	E2E_CLI(&f->s, r, "lineage", "fraud", "1.0.0", "--dot", "--json");
	e2e_expect(&r, 2, NULL, "--dot or --json, not both");
	E2E_CLI(&f->s, r, "lineage", "upstream");
	e2e_expect(&r, 2, NULL, "modelreg: lineage upstream: give one node id");
	e2e_expect(&r, 2, NULL, "Run \"modelreg help lineage upstream\"");
	E2E_CLI(&f->s, r, "lineage", "add", "table", "x");
	e2e_expect(&r, 2, NULL, "\"table\" is not a node kind");
	E2E_CLI(
	    &f->s, r, "lineage", "add", "dataset", "x@v1", "--version", "v2");
	e2e_expect(&r, 2, NULL, "give the version once");
	E2E_CLI(&f->s, r, "lineage", "add", "dataset", "x", "--from",
	    "dataset:y", "--type", "sideways");
	e2e_expect(&r, 2, NULL, "--type \"sideways\" is not an edge type");
	E2E_CLI(&f->s, r, "lineage", "add", "dataset", "x", "--property",
	    "novalue");
	e2e_expect(&r, 2, NULL, "--property wants KEY=VALUE");
	E2E_CLI(&f->s, r, "lineage", "link", "model:a@1.0.0", "dataset:x");
	e2e_expect(&r, 2, NULL, "from a model to a dataset; give --type");
	E2E_CLI(&f->s, r, "lineage", "link", "nope", "dataset:x");
	e2e_expect(&r, 2, NULL, "\"nope\" is not a node id");
	E2E_CLI(&f->s, r, "lineage", "nodes", "--kind", "table");
	e2e_expect(&r, 2, NULL, "not a node kind");
	E2E_CLI(&f->s, r, "lineage", "rm");
	e2e_expect(&r, 2, NULL, "give one node id");
	/* What the library refuses is a status: exit 1, nothing sent. */
	E2E_CLI(&f->s, r, "lineage", "show", "bogus");
	e2e_expect(&r, 1, NULL,
	    "modelreg: lineage show bogus: INVALID_ARGUMENT: node \"bogus\" is "
	    "not a node id");
	E2E_CLI(&f->s, r, "lineage", "add", "model", "m@1.0.0");
	e2e_expect(&r, 1, NULL, "INVALID_ARGUMENT: nodes added are datasets");
	E2E_CLI(&f->s, r, "lineage", "fraud", "9.9.9");
	e2e_expect(&r, 1, NULL, "modelreg: lineage fraud 9.9.9: NOT_FOUND: ");
	assert_string_equal(r.out, "");

	E2E_CLI(&f->s, r, "help", "lineage");
	e2e_expect(&r, 0,
	    "usage: modelreg lineage NAME VERSION [--depth N] "
	    "[--all-deployments] [--dot]",
	    NULL);
	e2e_expect(&r, 0, "only live ones are shown", NULL);
	e2e_expect(&r, 0, "\nmodelreg lineage upstream ID [--depth N]", NULL);
	e2e_expect(&r, 0, "\nmodelreg lineage impact ID", NULL);
	e2e_expect(&r, 0, "\nmodelreg lineage path FROM TO", NULL);
	e2e_expect(&r, 0, "\nmodelreg lineage add KIND NAME[@VERSION]", NULL);
	e2e_expect(&r, 0, "\nmodelreg lineage link FROM TO", NULL);
	e2e_expect(&r, 0, "\nmodelreg lineage rm ID", NULL);
	e2e_expect(&r, 0, "\nmodelreg lineage show ID", NULL);
	e2e_expect(&r, 0, "\nmodelreg lineage nodes", NULL);
	E2E_CLI(&f->s, r, "help", "lineage", "impact");
	e2e_expect(&r, 0, "usage: modelreg lineage impact ID", NULL);
	assert_null(strstr(r.out, "lineage path"));
	E2E_CLI(&f->s, r, "lineage", "add", "--help");
	e2e_expect(&r, 0, "usage: modelreg lineage add KIND", NULL);
	E2E_CLI(&f->s, r, "lineage", "show", "--help");
	e2e_expect(&r, 0, "usage: modelreg lineage show ID", NULL);
	E2E_CLI(&f->s, r, "help", "lineage", "nope");
	e2e_expect(&r, 2, NULL, "no command \"lineage nope\"");
	E2E_CLI(&f->s, r, "--help");
	e2e_expect(&r, 0, "  modelreg lineage path FROM TO", NULL);
	e2e_run_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, e2e_teardown)
	    T(test_cli_register_sends_only_missing_chunks_and_says_so),
	    T(test_cli_get_shows_a_version_as_text_and_as_json),
	    T(test_cli_pull_writes_verified_artifacts_and_keeps_existing_files),
	    T(test_cli_promote_rollback_and_history_follow_the_lifecycle),
	    T(test_cli_list_and_info_print_aligned_tables_and_json),
	    T(test_cli_bad_usage_exits_2_with_a_hint),
	    T(test_cli_unreachable_server_exits_1_naming_the_address),
	    T(test_cli_pull_of_a_bad_chunk_is_data_loss_and_writes_nothing),
	    T(test_cli_lineage_of_a_version_is_the_issue_chain),
	    T(test_cli_lineage_dangling_reference_is_warned_until_its_node_is_added),
	    T(test_cli_lineage_walks_paths_and_edits_of_the_graph),
	    T(test_cli_lineage_bad_usage_exits_2_and_help_tells_every_form),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
