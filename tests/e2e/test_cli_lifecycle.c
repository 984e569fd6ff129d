/*
 * test_cli_lifecycle.c - the lifecycle commands of modelreg as users run
 * them, against the real modelregd on an ipc:// socket in a temporary
 * directory (e2e.c): automatic version numbers, comparisons in the shape
 * the issue gives, point-in-time reads across a promotion and a
 * rollback, aliases used where versions go, approvals gating a
 * promotion, deprecation refusing one, search filters, updates and the
 * events and audit records they leave. Each check runs one command and
 * looks at its exit code (0 done, 1 refused, 2 bad usage), stdout and
 * stderr, as test_cli.c does.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>
#include <rocksdb/c.h>

#include "audit.pb-c.h"
#include "e2e.h"
#include "e2e_json.h"
#include "keys.h"
#include "testutil.h"

#define MODEL_SIZE 200000

typedef struct fixture {
	e2e_server s;
	char model[E2E_PATH_SIZE];
	char out[E2E_PATH_SIZE]; /* an empty directory to pull into */
} fixture;

static int
setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));

	e2e_start(&f->s, "clilife");
	e2e_path(f->model, f->s.dir, "model.bin");
	e2e_path(f->out, f->s.dir, "out");
	e2e_write_random(f->model, MODEL_SIZE, 7);
	assert_int_equal(mkdir(f->out, 0755), 0);
	*state = f;
	return 0;
}

/* Writes `text` to a file of the test directory; its path into out. */
static void
write_file(const fixture *f, char out[E2E_PATH_SIZE], const char *name,
    const char *text)
{
	e2e_path(out, f->s.dir, name);
	tu_write_file(out, text, strlen(text));
}

/* ---- helpers ---------------------------------------------------------- */

/* Line `n` (from 0) of `text`, without its newline, into out. */
static const char *
nth_line(const char *text, int n, char *out, size_t size)
{
	const char *end;

	for (; n > 0 && text != NULL; n--)
		if ((text = strchr(text, '\n')) != NULL)
			text++;
	if (text == NULL)
		return "(no such line)";
	end = strchr(text, '\n');
	snprintf(out, size, "%.*s",
	    (int)(end != NULL ? (size_t)(end - text) : strlen(text)), text);
	return out;
}

/* Asserts that lines first.. of stdout are exactly `want`, in order. */
static void
expect_lines(const e2e_run *r, int first, const char *const *want, int n)
{
	char buf[512];

	for (int i = 0; i < n; i++)
		if (strcmp(nth_line(r->out, first + i, buf, sizeof(buf)),
		        want[i]) != 0)
			fail_msg("line %d is \"%s\", want \"%s\", in:\n%s",
			    first + i + 1, buf, want[i], r->out);
}

/* Registers NAME@VERSION of the fixture's artifact with metadata `meta`
 * (JSON text, may be NULL). */
static void
register_version(fixture *f, e2e_run *r, const char *name, const char *version,
    const char *meta)
{
	char path[E2E_PATH_SIZE], file[64];

	if (meta == NULL) {
		E2E_CLI(&f->s, *r, "register", name, f->model, "--version",
		    version);
	} else {
		snprintf(file, sizeof(file), "meta-%s-%s.json", name, version);
		write_file(f, path, file, meta);
		E2E_CLI(&f->s, *r, "register", name, f->model, "--version",
		    version, "--metadata", path);
	}
	e2e_expect(r, 0, "registered ", NULL);
}

/* The RFC 3339 text of a time in ms, with milliseconds: "...:05.123Z". */
static void
time_with_ms(int64_t ms, char out[48])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char base[32];

	gmtime_r(&t, &tm);
	strftime(base, sizeof(base), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 48, "%s.%03dZ", base, (int)(ms % 1000));
}

static const char meta_300[] =
    "{\"metrics\": {\"accuracy\": 0.85, \"precision\": 0.8, \"recall\": 0.7,"
    " \"latency_p50_ms\": 40, \"model_size_mb\": 12},"
    " \"features\": [\"amount\", \"obsolete_feature_x\"]}";
static const char meta_310[] =
    "{\"metrics\": {\"accuracy\": 0.87, \"precision\": 0.82, "
    "\"recall\": 0.75, \"latency_p50_ms\": 35, \"model_size_mb\": 10},"
    " \"features\": [\"amount\", \"merchant_reputation_score\"]}";

/* ---- tests ------------------------------------------------------------ */

static void
test_cli_register_bump_auto_prints_the_rule(void **state)
{
	fixture *f = *state;
	char m1[E2E_PATH_SIZE], m2[E2E_PATH_SIZE], m3[E2E_PATH_SIZE];
	e2e_run r = {0};
	json_object *j;

	write_file(f, m1, "m1.json",
	    "{\"features\": [\"amount\", \"merchant\"],"
	    " \"signature\": {\"inputs\": {\"amount\": \"float32\"}}}");
	write_file(f, m2, "m2.json",
	    "{\"features\": [\"amount\", \"merchant\", \"hour\"],"
	    " \"signature\": {\"inputs\": {\"amount\": \"float32\"}}}");
	write_file(f, m3, "m3.json",
	    "{\"features\": [\"amount\", \"hour\"],"
	    " \"signature\": {\"inputs\": {\"amount\": \"float32\"}}}");

	E2E_CLI(&f->s, r, "register", "fraud", f->model, "--bump", "auto",
	    "--metadata", m1, "--reason", "first model");
	e2e_expect(&r, 0, "registered fraud 1.0.0 (dev)", NULL);
	/* A feature added: minor. */
	E2E_CLI(&f->s, r, "register", "fraud", f->model, "--bump", "auto",
	    "--metadata", m2);
	e2e_expect(&r, 0, "registered fraud 1.1.0 (dev)", NULL);
	e2e_expect(&r, 0, "version    1.1.0, chosen by auto minor", NULL);
	/* A feature dropped: major. */
	E2E_CLI(&f->s, r, "register", "fraud", f->model, "--bump", "auto",
	    "--metadata", m3);
	e2e_expect(&r, 0, "registered fraud 2.0.0 (dev)", NULL);
	e2e_expect(&r, 0, "chosen by auto major", NULL);
	E2E_CLI(&f->s, r, "register", "fraud", f->model, "--bump", "patch");
	e2e_expect(&r, 0, "registered fraud 2.0.1 (dev)", NULL);
	e2e_expect(&r, 0, "chosen by bump patch", NULL);

	E2E_CLI(&f->s, r, "--json", "register", "fraud", f->model, "--bump",
	    "minor");
	e2e_expect(&r, 0, NULL, NULL);
	j = e2e_json(&r);
	assert_string_equal(e2e_jstr(j, "version.version"), "2.1.0");
	assert_true(
	    strncmp(e2e_jstr(j, "version.version_rule"), "bump minor", 10) == 0);
	json_object_put(j);

	/* An explicit version says so in get, not in register. */
	E2E_CLI(&f->s, r, "register", "fraud", f->model, "--version", "9.0.0");
	e2e_expect(&r, 0, "registered fraud 9.0.0", NULL);
	assert_null(strstr(r.out, "chosen by"));
	E2E_CLI(&f->s, r, "get", "fraud@1.1.0");
	e2e_expect_field(&r, "version rule:", "auto minor");

	E2E_CLI(&f->s, r, "register", "fraud", f->model, "--bump", "sideways");
	e2e_expect(&r, 2, NULL, "--bump \"sideways\" is not major, minor");
	E2E_CLI(&f->s, r, "register", "fraud", f->model, "--bump", "auto",
	    "--version", "1.0.0");
	e2e_expect(&r, 2, NULL, "--version or --bump, not both");
	e2e_run_free(&r);
}

static void
test_cli_compare_prints_the_issue_shape(void **state)
{
	static const char *const want[] = {
	    "Comparison: 3.0.0 vs 3.1.0",
	    "Metrics:",
	    "- accuracy: 0.85 → 0.87 (+2.4%) better",
	    "- latency_p50_ms: 40 → 35 (-12.5%) better",
	    "- model_size_mb: 12 → 10 (-16.7%) better",
	    "- precision: 0.8 → 0.82 (+2.5%) better",
	    "- recall: 0.7 → 0.75 (+7.1%) better",
	    "Features:",
	    "- added: merchant_reputation_score",
	    "- removed: obsolete_feature_x",
	};
	fixture *f = *state;
	e2e_run r = {0};
	json_object *j;
	int n = (int)(sizeof(want) / sizeof(want[0]));

	register_version(f, &r, "fraud", "3.0.0", meta_300);
	register_version(f, &r, "fraud", "3.1.0", meta_310);
	register_version(f, &r, "fraud", "3.2.0",
	    "{\"metrics\": {\"accuracy\": 0.9},"
	    " \"features\": [\"merchant_reputation_score\", \"amount\"]}");

	E2E_CLI(&f->s, r, "compare", "fraud", "3.0.0", "3.1.0");
	e2e_expect(&r, 0, NULL, NULL);
	expect_lines(&r, 0, want, n);
	/* Same artifact on both sides. */
	expect_lines(
	    &r, n, (const char *const[]){"Size: 195.3 KiB → 195.3 KiB"}, 1);
	expect_lines(&r, n + 1,
	    (const char *const[]){
	        "Recommendation: 3.1.0 is better (improves 5 of 5 metrics)"},
	    1);

	/* The other way round, every metric is worse. */
	E2E_CLI(&f->s, r, "compare", "fraud", "3.1.0", "3.0.0");
	e2e_expect(&r, 0, "- accuracy: 0.87 → 0.85 (-2.3%) worse\n", NULL);
	e2e_expect(&r, 0, "- latency_p50_ms: 35 → 40 (+14.3%) worse\n", NULL);
	e2e_expect(&r, 0, "\nRecommendation: ", NULL);

	/* Metrics on one side only; features that moved. */
	E2E_CLI(&f->s, r, "compare", "fraud", "3.1.0", "3.2.0");
	e2e_expect(&r, 0, "- precision: 0.82 → (absent)\n", NULL);
	e2e_expect(&r, 0, "- accuracy: 0.87 → 0.9 (+3.4%) better\n", NULL);
	e2e_expect(&r, 0, "- moved: amount (1 → 2)\n", NULL);
	e2e_expect(&r, 0, "- moved: merchant_reputation_score (2 → 1)\n", NULL);
	E2E_CLI(&f->s, r, "compare", "fraud", "3.2.0", "3.1.0");
	e2e_expect(&r, 0, "- recall: (absent) → 0.75\n", NULL);

	E2E_CLI(&f->s, r, "--json", "compare", "fraud", "3.0.0", "3.1.0");
	e2e_expect(&r, 0, NULL, NULL);
	j = e2e_json(&r);
	assert_string_equal(e2e_jstr(j, "baseline.version"), "3.0.0");
	assert_string_equal(e2e_jstr(j, "candidate.version"), "3.1.0");
	assert_int_equal(json_object_array_length(e2e_jget(j, "metrics")), 5);
	assert_string_equal(e2e_jstr(j, "metrics.1.name"), "latency_p50_ms");
	assert_string_equal(e2e_jstr(j, "metrics.1.goal"), "lower");
	assert_string_equal(e2e_jstr(j, "metrics.1.outcome"), "better");
	assert_true(
	    json_object_get_double(e2e_jget(j, "metrics.1.relative")) == -0.125);
	assert_string_equal(e2e_jstr(j, "features.0.kind"), "added");
	assert_string_equal(e2e_jstr(j, "verdict"), "candidate");
	assert_string_equal(e2e_jstr(j, "recommendation"),
	    "3.1.0 is better (improves 5 of 5 metrics)");
	assert_int_equal(e2e_jint(j, "baseline_size"), MODEL_SIZE);
	json_object_put(j);

	E2E_CLI(&f->s, r, "compare", "fraud", "3.0.0", "7.0.0");
	e2e_expect(
	    &r, 1, NULL, "modelreg: compare fraud 3.0.0 7.0.0: NOT_FOUND");
	assert_string_equal(r.out, "");
	E2E_CLI(&f->s, r, "compare", "fraud", "3.0.0");
	e2e_expect(&r, 2, NULL, "give NAME BASELINE CANDIDATE");
	e2e_run_free(&r);
}

/* The time of the first event of `kind` for `version` in `history
 * --json` output, as text (seconds) and in ms. */
static int64_t
event_time(const e2e_run *r, const char *kind, const char *version,
    const char *to_stage, char text[32])
{
	json_object *j = e2e_json(r), *events = e2e_jget(j, "events");
	int64_t ms = -1;

	for (size_t i = 0; i < json_object_array_length(events); i++) {
		json_object *e = json_object_array_get_idx(events, i);

		if (strcmp(e2e_jstr(e, "kind"), kind) == 0 &&
		    strcmp(e2e_jstr(e, "version"), version) == 0 &&
		    strcmp(e2e_jstr(e, "to_stage"), to_stage) == 0) {
			ms = e2e_jint(e, "time_ms");
			snprintf(text, 32, "%s", e2e_jstr(e, "time"));
			break;
		}
	}
	json_object_put(j);
	if (ms < 0)
		fail_msg("no %s event of %s in:\n%s", kind, version, r->out);
	return ms;
}

static void
test_cli_get_at_follows_promotions_and_rollback(void **state)
{
	fixture *f = *state;
	char t1[32], t2[32], t3[32], before[48];
	int64_t ms1, ms2;
	e2e_run r = {0};
	json_object *j;

	register_version(f, &r, "fraud", "3.0.0", NULL);
	register_version(f, &r, "fraud", "3.1.0", NULL);
	E2E_CLI(&f->s, r, "promote", "fraud", "3.0.0", "--to", "staging");
	E2E_CLI(&f->s, r, "promote", "fraud", "3.0.0", "--to", "production");
	e2e_expect(&r, 0, "is now in production", NULL);
	/* Each change in a second of its own, so that whole seconds tell
	 * them apart. */
	usleep(1100 * 1000);
	E2E_CLI(&f->s, r, "promote", "fraud", "3.1.0", "--to", "staging");
	E2E_CLI(&f->s, r, "promote", "fraud", "3.1.0", "--to", "production");
	e2e_expect(&r, 0, "is now in production", NULL);
	usleep(1100 * 1000);
	E2E_CLI(&f->s, r, "rollback", "fraud", "--reason", "p99 doubled");
	e2e_expect(&r, 0, "production is now 3.0.0", NULL);

	E2E_CLI(&f->s, r, "--json", "history", "fraud");
	e2e_expect(&r, 0, NULL, NULL);
	ms1 = event_time(&r, "stage_changed", "3.0.0", "production", t1);
	ms2 = event_time(&r, "stage_changed", "3.1.0", "production", t2);
	event_time(&r, "rollback", "3.0.0", "production", t3);

	/* Whole seconds: the end of that second. */
	E2E_CLI(&f->s, r, "get", "fraud", "--stage", "production", "--at", t1);
	e2e_expect(&r, 0, NULL, NULL);
	e2e_expect_field(&r, "version:", "3.0.0");
	E2E_CLI(&f->s, r, "get", "fraud", "--stage", "production", "--at", t2);
	e2e_expect_field(&r, "version:", "3.1.0");
	E2E_CLI(
	    &f->s, r, "--json", "get", "fraud", "--stage", "prod", "--at", t3);
	e2e_expect(&r, 0, NULL, NULL);
	j = e2e_json(&r);
	assert_string_equal(e2e_jstr(j, "version"), "3.0.0");
	json_object_put(j);

	/* Milliseconds count as given. */
	time_with_ms(ms2 - 1, before);
	E2E_CLI(
	    &f->s, r, "get", "fraud", "--stage", "production", "--at", before);
	e2e_expect_field(&r, "version:", "3.0.0");
	time_with_ms(ms1 - 1, before);
	E2E_CLI(
	    &f->s, r, "get", "fraud", "--stage", "production", "--at", before);
	e2e_expect(&r, 1, NULL, "modelreg: get fraud (production) at ");
	e2e_expect(&r, 1, NULL, "NOT_FOUND");
	assert_string_equal(r.out, "");

	/* A date is the end of that day: after the rollback. */
	snprintf(before, sizeof(before), "%.10s", t3);
	E2E_CLI(
	    &f->s, r, "get", "fraud", "--stage", "production", "--at", before);
	e2e_expect_field(&r, "version:", "3.0.0");

	E2E_CLI(&f->s, r, "get", "fraud", "--at", t1);
	e2e_expect(&r, 2, NULL, "--at needs --stage S");
	E2E_CLI(&f->s, r, "get", "fraud@3.0.0", "--at", t1);
	e2e_expect(&r, 2, NULL, "--at goes with --stage, not a version");
	E2E_CLI(
	    &f->s, r, "get", "fraud", "--stage", "production", "--at", "noon");
	e2e_expect(&r, 2, NULL, "--at wants an RFC 3339 time");
	e2e_run_free(&r);
}

static void
test_cli_alias_stands_for_a_version_in_get_and_pull(void **state)
{
	fixture *f = *state;
	char dest[PATH_MAX + 64];
	e2e_run r = {0};
	json_object *j;

	register_version(f, &r, "fraud", "3.0.0", NULL);
	register_version(f, &r, "fraud", "3.1.0", NULL);
	E2E_CLI(&f->s, r, "alias", "set", "fraud", "champion", "3.1.0",
	    "--reason", "best offline");
	e2e_expect(&r, 0, "fraud: champion -> 3.1.0 (new)", NULL);
	E2E_CLI(&f->s, r, "get", "fraud@champion");
	e2e_expect(&r, 0, NULL, NULL);
	e2e_expect_field(&r, "version:", "3.1.0");
	snprintf(dest, sizeof(dest), "%s/champion.bin", f->out);
	E2E_CLI(&f->s, r, "pull", "fraud@champion", dest);
	e2e_expect(&r, 0, "pulled fraud 3.1.0 to ", NULL);
	E2E_CLI(&f->s, r, "promote", "fraud@champion", "--to", "staging");
	e2e_expect(&r, 0, "fraud 3.1.0 is now in staging", NULL);

	/* An alias set from an alias names the version it now points at. */
	E2E_CLI(&f->s, r, "alias", "set", "fraud", "runner-up", "champion");
	e2e_expect(&r, 0, "fraud: runner-up -> 3.1.0 (new) (revision ", NULL);
	E2E_CLI(&f->s, r, "--json", "alias", "set", "fraud", "runner-up",
	    "champion");
	e2e_expect(&r, 0, NULL, NULL);
	j = e2e_json(&r);
	assert_string_equal(e2e_jstr(j, "version"), "3.1.0");
	assert_string_equal(e2e_jstr(j, "previous"), "3.1.0");
	assert_true(e2e_jint(j, "revision") > 0);
	json_object_put(j);

	E2E_CLI(&f->s, r, "alias", "set", "fraud", "challenger", "3.0.0");
	e2e_expect(&r, 0, "(new)", NULL);
	E2E_CLI(&f->s, r, "alias", "fraud");
	e2e_expect(&r, 0, NULL, NULL);
	e2e_expect_field(&r, "ALIAS", "VERSION");
	e2e_expect_field(&r, "champion", "3.1.0");
	e2e_expect_field(&r, "challenger", "3.0.0");
	E2E_CLI(&f->s, r, "alias", "set", "fraud", "champion", "3.0.0");
	e2e_expect(&r, 0, "fraud: champion -> 3.0.0 (was 3.1.0)", NULL);
	E2E_CLI(&f->s, r, "info", "fraud");
	e2e_expect_field(&r, "aliases:", "champion=3.0.0");
	E2E_CLI(&f->s, r, "--json", "alias", "fraud");
	e2e_expect(&r, 0, NULL, NULL);
	j = e2e_json(&r);
	assert_string_equal(e2e_jstr(j, "aliases.champion"), "3.0.0");
	json_object_put(j);

	E2E_CLI(&f->s, r, "alias", "rm", "fraud", "champion");
	e2e_expect(&r, 0, "fraud: removed alias champion (was 3.0.0)", NULL);
	E2E_CLI(&f->s, r, "get", "fraud@champion");
	e2e_expect(&r, 1, NULL, "modelreg: get fraud champion: NOT_FOUND");
	E2E_CLI(&f->s, r, "alias", "set", "fraud", "latest", "3.0.0");
	e2e_expect(&r, 1, NULL, "reserved");
	E2E_CLI(&f->s, r, "alias", "set", "fraud", "x");
	e2e_expect(&r, 2, NULL, "give NAME ALIAS VERSION");
	E2E_CLI(&f->s, r, "history", "fraud");
	e2e_expect(&r, 0, "alias_set", NULL);
	e2e_expect(&r, 0, "alias_deleted", NULL);
	e2e_expect_field(&r, "alias_set", "champion=3.1.0"); /* the first */
	e2e_run_free(&r);
}

static void
test_cli_approvals_gate_a_promotion(void **state)
{
	fixture *f = *state;
	e2e_run r = {0};
	json_object *j;

	register_version(f, &r, "fraud", "3.1.0", NULL);
	E2E_CLI(&f->s, r, "promote", "fraud", "3.1.0", "--to", "staging");
	e2e_expect(&r, 0, NULL, NULL);
	E2E_CLI(&f->s, r, "policy", "fraud");
	e2e_expect(&r, 0, "fraud has no approval policy", NULL);
	/* Approvals gate staging and production only: said before asking. */
	E2E_CLI(&f->s, r, "policy", "fraud", "dev", "--require", "1");
	e2e_expect(&r, 2, NULL,
	    "STAGE dev: approvals are for staging or production only");
	E2E_CLI(&f->s, r, "policy", "fraud", "archived", "--require", "1");
	e2e_expect(&r, 2, NULL, "STAGE archived: ");
	E2E_CLI(&f->s, r, "--token", e2e_token(&f->s, "alice"), "approve", "fraud", "3.1.0",
	    "--stage", "dev");
	e2e_expect(&r, 2, NULL,
	    "--stage dev: approvals are for staging or production only");
	E2E_CLI(&f->s, r, "policy", "fraud", "production", "--require", "1",
	    "--approver", "alice", "--reason", "four eyes");
	e2e_expect(
	    &r, 0, "fraud: production needs 1 approval from alice", NULL);
	E2E_CLI(&f->s, r, "policy", "fraud");
	e2e_expect_field(&r, "STAGE", "APPROVERS");
	e2e_expect_field(&r, "production", "alice");
	E2E_CLI(&f->s, r, "info", "fraud");
	e2e_expect_field(
	    &r, "approval policy:", "production: 1 approval from alice");

	E2E_CLI(&f->s, r, "promote", "fraud", "3.1.0", "--to", "production");
	e2e_expect(&r, 1, NULL, "modelreg: promote fraud 3.1.0: ");
	/* The registrant, then someone the policy does not name. */
	E2E_CLI(&f->s, r, "approve", "fraud", "3.1.0", "--stage", "production");
	e2e_expect(&r, 1, NULL, "approve fraud 3.1.0: PERMISSION_DENIED");
	E2E_CLI(&f->s, r, "--token", e2e_token(&f->s, "bob"), "approve", "fraud", "3.1.0",
	    "--stage", "production");
	e2e_expect(&r, 1, NULL, "PERMISSION_DENIED");
	/* A rejection needs a comment; --json has the counts. */
	E2E_CLI(&f->s, r, "--token", e2e_token(&f->s, "alice"), "reject", "fraud", "3.1.0",
	    "--stage", "production");
	e2e_expect(&r, 2, NULL, "--comment C is required");
	E2E_CLI(&f->s, r, "--json", "--token", e2e_token(&f->s, "alice"), "reject", "fraud",
	    "3.1.0", "--stage", "production", "--comment", "drifted");
	e2e_expect(&r, 0, NULL, NULL);
	j = e2e_json(&r);
	assert_int_equal(e2e_jint(j, "approvals"), 0);
	assert_int_equal(e2e_jint(j, "required"), 1);
	assert_string_equal(e2e_jstr(j, "decision"), "reject");
	assert_string_equal(e2e_jstr(j, "version.reviews.0.reviewer"), "alice");
	assert_string_equal(e2e_jstr(j, "version.reviews.0.decision"), "reject");
	json_object_put(j);
	E2E_CLI(&f->s, r, "promote", "fraud", "3.1.0", "--to", "production");
	e2e_expect(&r, 1, NULL, "modelreg: promote fraud 3.1.0: ");

	/* Her approval replaces her rejection. */
	E2E_CLI(&f->s, r, "--token", e2e_token(&f->s, "alice"), "approve", "fraud@3.1.0",
	    "--stage", "production", "--comment", "metrics hold up");
	e2e_expect(&r, 0,
	    "approved fraud 3.1.0 for production: approvals 1 of 1", NULL);
	E2E_CLI(&f->s, r, "get", "fraud@3.1.0");
	e2e_expect_field(&r, "review:", "production: approved by alice");
	e2e_expect_field(&r, "review:", "metrics hold up");
	E2E_CLI(&f->s, r, "promote", "fraud", "3.1.0", "--to", "production");
	e2e_expect(&r, 0, "fraud 3.1.0 is now in production", NULL);

	E2E_CLI(&f->s, r, "policy", "fraud", "production", "--require", "0");
	e2e_expect(&r, 0, "fraud: production needs no approval", NULL);
	E2E_CLI(&f->s, r, "approve", "fraud", "3.1.0");
	e2e_expect(&r, 2, NULL, "--stage S is required");
	E2E_CLI(&f->s, r, "policy", "fraud", "production");
	e2e_expect(&r, 2, NULL, "--require N is required");
	e2e_run_free(&r);
}

static void
test_cli_deprecated_version_cannot_be_promoted(void **state)
{
	fixture *f = *state;
	e2e_run r = {0};
	json_object *j;

	register_version(f, &r, "fraud", "3.0.0", NULL);
	E2E_CLI(&f->s, r, "deprecate", "fraud", "3.0.0", "--reason",
	    "leaks PII", "--eol", "2030-01-01");
	e2e_expect(&r, 0,
	    "deprecated fraud 3.0.0: leaks PII; end of life "
	    "2030-01-01T00:00:00Z",
	    NULL);
	E2E_CLI(&f->s, r, "get", "fraud@3.0.0");
	e2e_expect_field(
	    &r, "deprecated:", "leaks PII; end of life 2030-01-01");
	e2e_expect_field(&r, "deprecated:", "by tester");
	/* The version list shows it beside the stage. */
	E2E_CLI(&f->s, r, "list", "fraud");
	e2e_expect(&r, 0, "dev (deprecated)", NULL);
	E2E_CLI(&f->s, r, "promote", "fraud", "3.0.0", "--to", "staging");
	e2e_expect(&r, 1, NULL,
	    "modelreg: promote fraud 3.0.0: FAILED_PRECONDITION: ");
	assert_string_equal(r.out, "");
	E2E_CLI(&f->s, r, "--json", "get", "fraud@3.0.0");
	j = e2e_json(&r);
	assert_true(json_object_get_boolean(e2e_jget(j, "deprecated")));
	assert_string_equal(e2e_jstr(j, "deprecation.reason"), "leaks PII");
	assert_int_equal(e2e_jint(j, "deprecation.end_of_life_ms"), 1893456000000);
	json_object_put(j);

	E2E_CLI(
	    &f->s, r, "undeprecate", "fraud", "3.0.0", "--reason", "scrubbed");
	e2e_expect(&r, 0, "fraud 3.0.0 is no longer deprecated", NULL);
	E2E_CLI(&f->s, r, "promote", "fraud", "3.0.0", "--to", "staging");
	e2e_expect(&r, 0, "is now in staging", NULL);
	E2E_CLI(&f->s, r, "deprecate", "fraud", "3.0.0");
	e2e_expect(&r, 2, NULL, "--reason R is required");
	E2E_CLI(&f->s, r, "deprecate", "fraud", "3.0.0", "--reason", "x",
	    "--eol", "someday");
	e2e_expect(&r, 2, NULL, "--eol wants an RFC 3339 time");
	e2e_run_free(&r);
}

static void
test_cli_search_filters_and_refuses_a_malformed_filter(void **state)
{
	fixture *f = *state;
	char *row;
	e2e_run r = {0};
	json_object *j;

	register_version(f, &r, "fraud", "3.0.0", meta_300);
	register_version(f, &r, "fraud", "3.1.0", meta_310);
	register_version(f, &r, "ranker", "1.0.0", NULL);

	E2E_CLI(&f->s, r, "search", "metrics.accuracy > 0.86");
	e2e_expect(&r, 0, NULL, NULL);
	e2e_expect_field(&r, "NAME", "VERSION  STAGE");
	e2e_expect_field(&r, "NAME", "CREATED");
	e2e_expect_field(&r, "NAME", "TAGS");
	row = e2e_line_with(r.out, "3.1.0");
	assert_non_null(row);
	assert_non_null(strstr(row, "fraud"));
	assert_non_null(strstr(row, "tester"));
	free(row);
	assert_null(strstr(r.out, "3.0.0"));
	assert_null(strstr(r.out, "ranker"));

	E2E_CLI(&f->s, r, "--json", "search",
	    "name GLOB 'fra*' AND stage = dev", "--order-by",
	    "metrics.accuracy desc");
	e2e_expect(&r, 0, NULL, NULL);
	j = e2e_json(&r);
	assert_int_equal(json_object_array_length(e2e_jget(j, "versions")), 2);
	assert_string_equal(e2e_jstr(j, "versions.0.version"), "3.1.0");
	assert_string_equal(e2e_jstr(j, "versions.1.version"), "3.0.0");
	assert_string_equal(e2e_jstr(j, "next_page_token"), "");
	json_object_put(j);

	E2E_CLI(&f->s, r, "search", "--limit", "1");
	e2e_expect(&r, 0, "fraud", "more versions: add --page-token ");
	E2E_CLI(&f->s, r, "search", "--limit", "1", "--all");
	e2e_expect(&r, 0, "ranker", NULL);
	assert_string_equal(r.err, "");

	E2E_CLI(&f->s, r, "search", "metrics.accuracy >");
	e2e_expect(&r, 1, NULL, "modelreg: search: INVALID_ARGUMENT: ");
	e2e_expect(&r, 1, NULL, "position");
	assert_string_equal(r.out, "");
	E2E_CLI(&f->s, r, "search", "metrics.accuracy", "> 0.8");
	e2e_expect(&r, 2, NULL, "give the filter as one argument");
	e2e_run_free(&r);
}

static void
test_cli_update_changes_tags_and_leaves_events(void **state)
{
	fixture *f = *state;
	char sig[E2E_PATH_SIZE], bad[E2E_PATH_SIZE];
	size_t model_updates = 0, version_updates = 0;
	e2e_run r = {0};
	json_object *j, *events;

	register_version(f, &r, "fraud", "3.0.0",
	    "{\"signature\": {\"inputs\": {\"amount\": \"float32\"},"
	    " \"outputs\": {\"score\": \"float32\"}}}");
	E2E_CLI(&f->s, r, "update", "fraud", "--tag", "team=risk",
	    "--description", "fraud models", "--reason", "ownership");
	e2e_expect(&r, 0, "updated fraud (revision ", NULL);
	e2e_expect_field(&r, "tags:", "team=risk");
	e2e_expect_field(&r, "description:", "fraud models");
	E2E_CLI(&f->s, r, "update", "fraud", "--primary-metric", "accuracy",
	    "--goal", "latency=higher", "--goal", "coverage=lower");
	e2e_expect(&r, 0, NULL, NULL);
	E2E_CLI(&f->s, r, "info", "fraud");
	e2e_expect_field(&r, "primary metric:", "accuracy");
	e2e_expect_field(&r, "metric goals:", "latency higher");
	e2e_expect_field(&r, "metric goals:", "coverage lower");

	E2E_CLI(&f->s, r, "update", "fraud", "3.0.0", "--tag", "qa=passed",
	    "--tag", "owner=ml");
	e2e_expect(&r, 0, "updated fraud 3.0.0 (revision ", NULL);
	E2E_CLI(&f->s, r, "get", "fraud@3.0.0");
	e2e_expect_field(&r, "tags:", "qa=passed");
	E2E_CLI(&f->s, r, "update", "fraud@3.0.0", "--untag", "qa");
	e2e_expect(&r, 0, NULL, NULL);
	E2E_CLI(&f->s, r, "--json", "get", "fraud@3.0.0");
	j = e2e_json(&r);
	assert_false(json_object_object_get_ex(e2e_jget(j, "tags"), "qa", NULL));
	assert_string_equal(e2e_jstr(j, "tags.owner"), "ml");
	json_object_put(j);

	/* A signature file: either form of a metadata file's signature. */
	write_file(f, sig, "sig.json",
	    "{\"inputs\": [{\"name\": \"amount\", \"type\": \"float32\"},"
	    " {\"name\": \"hour\", \"type\": \"int8\"}],"
	    " \"outputs\": {\"score\": \"float32\"}}");
	E2E_CLI(&f->s, r, "update", "fraud", "3.0.0", "--signature", sig);
	e2e_expect(&r, 0, "updated fraud 3.0.0", NULL);
	e2e_expect_field(&r, "inputs:", "amount float32, hour int8");
	E2E_CLI(&f->s, r, "signature", "fraud@3.0.0");
	e2e_expect(&r, 0, NULL, NULL);
	e2e_expect_field(&r, "NAME", "DIRECTION");
	e2e_expect_field(&r, "hour", "int8");
	e2e_expect_field(&r, "hour", "input");
	e2e_expect_field(&r, "score", "output");
	E2E_CLI(&f->s, r, "--json", "signature", "fraud", "3.0.0");
	j = e2e_json(&r);
	assert_string_equal(e2e_jstr(j, "inputs.1.name"), "hour");
	assert_string_equal(e2e_jstr(j, "outputs.0.type"), "float32");
	json_object_put(j);
	write_file(f, bad, "bad-sig.json", "{\"inputs\": {}, \"extra\": 1}");
	E2E_CLI(&f->s, r, "update", "fraud", "3.0.0", "--signature", bad);
	e2e_expect(&r, 2, NULL, "unknown key \"signature.extra\"");

	E2E_CLI(&f->s, r, "audit", "log", "fraud");
	e2e_expect(&r, 0, NULL, NULL);
	e2e_expect_field(&r, "UpdateModel", "ownership");
	e2e_expect(&r, 0, "UpdateVersion", NULL);

	E2E_CLI(&f->s, r, "update", "fraud");
	e2e_expect(&r, 2, NULL, "nothing to change");
	E2E_CLI(&f->s, r, "update", "fraud", "3.0.0", "--owner", "me");
	e2e_expect(&r, 2, NULL, "are for a model");
	E2E_CLI(&f->s, r, "update", "fraud", "--goal", "accuracy=up");
	e2e_expect(&r, 2, NULL, "\"up\" is not higher, lower or default");
	E2E_CLI(&f->s, r, "update", "fraud", "--tag", "novalue");
	e2e_expect(&r, 2, NULL, "--tag wants KEY=VALUE");

	E2E_CLI(&f->s, r, "--json", "history", "fraud");
	e2e_expect(&r, 0, NULL, NULL);
	j = e2e_json(&r);
	events = e2e_jget(j, "events");
	for (size_t i = 0; i < json_object_array_length(events); i++) {
		const char *kind =
		    e2e_jstr(json_object_array_get_idx(events, i), "kind");
		model_updates += strcmp(kind, "model_updated") == 0;
		version_updates += strcmp(kind, "version_updated") == 0;
	}
	json_object_put(j);
	assert_int_equal(model_updates, 2);
	assert_int_equal(version_updates, 3);
	e2e_run_free(&r);
}

static void
test_cli_audit_log_pages_and_verify_finds_it_intact(void **state)
{
	fixture *f = *state;
	char *line;
	e2e_run r = {0};
	json_object *j;

	register_version(f, &r, "fraud", "3.0.0", NULL);
	E2E_CLI(&f->s, r, "promote", "fraud", "3.0.0", "--to", "staging",
	    "--reason", "tests pass");
	e2e_expect(&r, 0, NULL, NULL);
	register_version(f, &r, "other", "1.0.0", NULL);

	E2E_CLI(&f->s, r, "audit", "verify");
	e2e_expect(&r, 0, "audit log intact: ", NULL);
	line = e2e_line_with(r.out, "intact");
	assert_non_null(strstr(line, " records, head "));
	assert_int_equal(strlen(strstr(line, "head ") + 5), 64);
	free(line);
	E2E_CLI(&f->s, r, "--json", "audit", "verify");
	j = e2e_json(&r);
	assert_true(json_object_get_boolean(e2e_jget(j, "ok")));
	assert_int_equal(e2e_jint(j, "first_broken"), 0);
	assert_true(e2e_jint(j, "records") >= 3);
	json_object_put(j);

	E2E_CLI(&f->s, r, "audit", "log");
	e2e_expect(&r, 0, NULL, NULL);
	e2e_expect_field(&r, "SEQ", "ACTION");
	e2e_expect_field(&r, "SEQ", "TARGET");
	e2e_expect_field(&r, "Promote", "tests pass");
	e2e_expect_field(&r, "Promote", "fraud@3.0.0");
	E2E_CLI(&f->s, r, "audit", "log", "fraud");
	assert_null(strstr(r.out, "other"));
	E2E_CLI(&f->s, r, "audit", "log", "--limit", "1");
	e2e_expect(&r, 0, NULL, "more records: add --page-token 1 ");
	E2E_CLI(&f->s, r, "audit", "log", "--limit", "1", "--page-token", "1");
	e2e_expect(&r, 0, NULL, "--page-token 2 ");
	E2E_CLI(&f->s, r, "--json", "audit", "log", "--limit", "1", "--all");
	e2e_expect(&r, 0, NULL, NULL);
	assert_string_equal(r.err, "");
	j = e2e_json(&r);
	assert_int_equal(e2e_jint(j, "records.0.seq"), 1);
	assert_true(
	    json_object_is_type(e2e_jget(j, "records.0.after"), json_type_object));
	assert_int_equal(strlen(e2e_jstr(j, "records.1.prev_hash")), 64);
	assert_string_equal(
	    e2e_jstr(j, "records.1.prev_hash"), e2e_jstr(j, "records.0.hash"));
	json_object_put(j);
	/* Nothing after a time in the future. */
	E2E_CLI(&f->s, r, "--json", "audit", "log", "--from", "2999-01-01");
	j = e2e_json(&r);
	assert_int_equal(json_object_array_length(e2e_jget(j, "records")), 0);
	json_object_put(j);

	E2E_CLI(&f->s, r, "audit");
	e2e_expect(&r, 2, NULL, "give a subcommand: log, verify");
	E2E_CLI(&f->s, r, "audit", "nope");
	e2e_expect(&r, 2, NULL, "no subcommand \"nope\"");
	/* A date as --to is the whole day: today's records. */
	{
		time_t now = time(NULL);
		char today[16];
		struct tm tm;

		gmtime_r(&now, &tm);
		strftime(today, sizeof(today), "%Y-%m-%d", &tm);
		E2E_CLI(
		    &f->s, r, "--json", "audit", "log", "fraud", "--to", today);
		j = e2e_json(&r);
		assert_int_equal(
		    json_object_array_length(e2e_jget(j, "records")), 2);
		json_object_put(j);
	}

	E2E_CLI(&f->s, r, "audit", "log", "--from", "yesterday");
	e2e_expect(&r, 2, NULL, "--from wants an RFC 3339 time");
	/* 0 would mean "no bound" to the registry; earlier is no time. */
	E2E_CLI(&f->s, r, "audit", "log", "--to", "1970-01-01T00:00:00.000Z");
	e2e_expect(&r, 2, NULL,
	    "--to \"1970-01-01T00:00:00.000Z\" is not after "
	    "1970-01-01T00:00:00Z");
	E2E_CLI(&f->s, r, "audit", "log", "--from", "1969-12-31");
	e2e_expect(&r, 2, NULL, "--from \"1969-12-31\" is not after");
	E2E_CLI(&f->s, r, "audit", "verify", "extra");
	e2e_expect(&r, 2, NULL, "give no arguments");
	e2e_run_free(&r);
}

static void
test_cli_lifecycle_help_names_every_command(void **state)
{
	static const char *const synopses[] = {
	    "  modelreg update NAME [VERSION]",
	    "  modelreg signature NAME[@VERSION]",
	    "  modelreg policy NAME [STAGE --require N",
	    "  modelreg approve NAME VERSION --stage S",
	    "  modelreg reject NAME VERSION --stage S --comment C",
	    "  modelreg deprecate NAME VERSION --reason R",
	    "  modelreg undeprecate NAME VERSION",
	    "  modelreg alias NAME",
	    "  modelreg alias set NAME ALIAS VERSION",
	    "  modelreg alias rm NAME ALIAS",
	    "  modelreg split NAME --canary STAGE --percent P",
	    "  modelreg resolve NAME KEY",
	    "  modelreg compare NAME BASELINE CANDIDATE",
	    "  modelreg search [FILTER]",
	    "  modelreg audit log [NAME]",
	    "  modelreg audit verify",
	};
	fixture *f = *state;
	e2e_run r = {0};

	E2E_CLI(&f->s, r, "--help");
	for (size_t i = 0; i < sizeof(synopses) / sizeof(synopses[0]); i++)
		e2e_expect(&r, 0, synopses[i], NULL);
	E2E_CLI(&f->s, r, "help", "get");
	e2e_expect(&r, 0, "the end of", NULL);
	e2e_expect(&r, 0, "that second (.999)", NULL);
	E2E_CLI(&f->s, r, "help", "audit");
	e2e_expect(&r, 0, "\nmodelreg audit verify\n", NULL);
	E2E_CLI(&f->s, r, "audit", "log", "--help");
	e2e_expect(&r, 0, "usage: modelreg audit log", NULL);
	E2E_CLI(&f->s, r, "alias", "set", "--help");
	e2e_expect(&r, 0, "usage: modelreg alias set", NULL);
	E2E_CLI(&f->s, r, "compare", "--help");
	e2e_expect(&r, 0, "Comparison: 3.0.0 vs 3.1.0", NULL);
	E2E_CLI(&f->s, r, "update", "--help");
	e2e_expect(&r, 0, "--signature FILE", NULL);
	E2E_CLI(&f->s, r, "help", "register");
	e2e_expect(&r, 0, "--bump B", NULL);
	e2e_run_free(&r);
}

/*
 * What an insider with the disk would do: rewrite audit record `seq` of
 * the stopped server's store with another reason, keeping its hashes.
 */
static void
tamper_audit(const char *data, uint64_t seq)
{
	rocksdb_options_t *o = rocksdb_options_create();
	rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
	rocksdb_writeoptions_t *wo = rocksdb_writeoptions_create();
	const rocksdb_options_t *cfo[KEYS_CF_COUNT];
	rocksdb_column_family_handle_t *cf[KEYS_CF_COUNT];
	Modelreg__V1__AuditRecord *r;
	uint8_t key[16], *buf;
	size_t n = keys_audit(key, seq), len;
	char *err = NULL, *val, *orig;
	rocksdb_t *db;

	for (int i = 0; i < KEYS_CF_COUNT; i++)
		cfo[i] = o;
	db = rocksdb_open_column_families(o, data, KEYS_CF_COUNT,
	    keys_cf_names, cfo, cf, &err);
	assert_null(err);
	val = rocksdb_get_cf(db, ro, cf[KEYS_CF_AUDIT], (const char *)key, n,
	    &len, &err);
	assert_null(err);
	assert_non_null(val);
	r = modelreg__v1__audit_record__unpack(NULL, len, (uint8_t *)val);
	assert_non_null(r);
	rocksdb_free(val);
	orig = r->reason;
	r->reason = "routine maintenance";
	len = modelreg__v1__audit_record__get_packed_size(r);
	buf = malloc(len);
	modelreg__v1__audit_record__pack(r, buf);
	rocksdb_put_cf(db, wo, cf[KEYS_CF_AUDIT], (const char *)key, n,
	    (const char *)buf, len, &err);
	assert_null(err);
	free(buf);
	r->reason = orig;
	modelreg__v1__audit_record__free_unpacked(r, NULL);
	for (int i = 0; i < KEYS_CF_COUNT; i++)
		rocksdb_column_family_handle_destroy(cf[i]);
	rocksdb_close(db);
	rocksdb_writeoptions_destroy(wo);
	rocksdb_readoptions_destroy(ro);
	rocksdb_options_destroy(o);
}

static void
test_cli_audit_verify_names_the_record_edited_on_disk(void **state)
{
	fixture *f = *state;
	e2e_run r = {0};
	json_object *j;

	register_version(f, &r, "fraud", "3.0.0", NULL);
	E2E_CLI(&f->s, r, "promote", "fraud", "3.0.0", "--to", "staging",
	    "--reason", "offline eval passed");
	e2e_expect(&r, 0, NULL, NULL);
	register_version(f, &r, "fraud", "3.1.0", NULL);
	assert_int_equal(e2e_kill(&f->s, SIGTERM), 0);
	tamper_audit(f->s.data, 2);
	e2e_restart(&f->s);

	E2E_CLI(&f->s, r, "audit", "verify");
	e2e_expect(&r, 1, "audit log broken at record 2: ", NULL);
	e2e_expect(&r, 1, "do not match its hash", NULL);
	E2E_CLI(&f->s, r, "--json", "audit", "verify");
	j = e2e_json(&r);
	assert_false(json_object_get_boolean(e2e_jget(j, "ok")));
	assert_int_equal(e2e_jint(j, "first_broken"), 2);
	json_object_put(j);
	e2e_run_free(&r);
}

static void
test_cli_split_resolve_and_info_line(void **state)
{
	fixture *f = *state;
	e2e_run r = {0};
	json_object *j;
	int64_t bucket;

	register_version(f, &r, "fraud", "3.0.0", NULL);
	register_version(f, &r, "fraud", "3.1.0", NULL);
	E2E_CLI(&f->s, r, "promote", "fraud", "3.0.0", "--to", "staging");
	e2e_expect(&r, 0, NULL, NULL);
	E2E_CLI(&f->s, r, "promote", "fraud", "3.0.0", "--to", "production");
	e2e_expect(&r, 0, "is now in production", NULL);
	E2E_CLI(&f->s, r, "promote", "fraud", "3.1.0", "--to", "staging");
	e2e_expect(&r, 0, "is now in staging", NULL);

	/* No split: every key goes to production. */
	E2E_CLI(&f->s, r, "resolve", "fraud", "user-42");
	e2e_expect(&r, 0, NULL, NULL);
	e2e_expect_field(&r, "version:", "3.0.0");
	e2e_expect_field(&r, "stage:", "production");
	e2e_expect_field(&r, "side:", "production");

	E2E_CLI(&f->s, r, "split", "fraud", "--canary", "staging", "--percent",
	    "100", "--reason", "all in");
	e2e_expect(&r, 0,
	    "fraud: traffic split staging 100% (production 0%) (revision ",
	    NULL);
	E2E_CLI(&f->s, r, "resolve", "fraud", "user-42");
	e2e_expect(&r, 0, NULL, NULL);
	e2e_expect_field(&r, "version:", "3.1.0");
	e2e_expect_field(&r, "stage:", "staging");
	e2e_expect_field(&r, "side:", "canary");
	e2e_expect(&r, 0, "bucket:", NULL);

	E2E_CLI(&f->s, r, "split", "fraud", "--canary", "staging", "--percent",
	    "12.5");
	e2e_expect(&r, 0, "staging 12.5% (production 87.5%)", NULL);
	E2E_CLI(&f->s, r, "info", "fraud");
	e2e_expect(&r, 0, NULL, NULL);
	e2e_expect_field(&r, "traffic split:", "staging 12.5% (production 87.5%)");
	E2E_CLI(&f->s, r, "--json", "resolve", "fraud", "user-42");
	e2e_expect(&r, 0, NULL, NULL);
	j = e2e_json(&r);
	bucket = e2e_jint(j, "bucket");
	assert_true(bucket >= 0 && bucket < 10000);
	assert_int_equal(json_object_get_boolean(e2e_jget(j, "canary")),
	    bucket < 1250);
	assert_string_equal(e2e_jstr(j, "version"), bucket < 1250 ? "3.1.0" : "3.0.0");
	assert_string_equal(e2e_jstr(j, "side"), bucket < 1250 ? "canary"
	                                                   : "production");
	json_object_put(j);

	/* Bad usage and refusals. */
	E2E_CLI(&f->s, r, "split", "fraud", "--canary", "production",
	    "--percent", "10");
	e2e_expect(&r, 2, NULL, "dev or staging");
	E2E_CLI(&f->s, r, "split", "fraud", "--canary", "staging", "--percent",
	    "10.125");
	e2e_expect(&r, 2, NULL, "two decimals");
	E2E_CLI(&f->s, r, "split", "fraud", "--canary", "staging", "--percent",
	    "101");
	e2e_expect(&r, 2, NULL, "--percent");
	E2E_CLI(&f->s, r, "resolve", "fraud");
	e2e_expect(&r, 2, NULL, "give NAME KEY");

	E2E_CLI(&f->s, r, "split", "fraud", "--percent", "0");
	e2e_expect(&r, 0, "fraud: traffic split removed", NULL);
	E2E_CLI(&f->s, r, "info", "fraud");
	e2e_expect(&r, 0, NULL, NULL);
	assert_null(strstr(r.out, "traffic split:"));
	E2E_CLI(&f->s, r, "history", "fraud");
	e2e_expect(&r, 0, "split_changed", NULL);
	e2e_run_free(&r);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, e2e_teardown)
	    T(test_cli_register_bump_auto_prints_the_rule),
	    T(test_cli_compare_prints_the_issue_shape),
	    T(test_cli_get_at_follows_promotions_and_rollback),
	    T(test_cli_alias_stands_for_a_version_in_get_and_pull),
	    T(test_cli_approvals_gate_a_promotion),
	    T(test_cli_deprecated_version_cannot_be_promoted),
	    T(test_cli_search_filters_and_refuses_a_malformed_filter),
	    T(test_cli_update_changes_tags_and_leaves_events),
	    T(test_cli_audit_log_pages_and_verify_finds_it_intact),
	    T(test_cli_audit_verify_names_the_record_edited_on_disk),
	    T(test_cli_lifecycle_help_names_every_command),
	    T(test_cli_split_resolve_and_info_line),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
