/*
 * test_crash_points.c - modelregd ended at each named point of the write
 * path (MODELREG_CRASH_AT, common/crash.h), restarted, and checked: the
 * store holds all of a change or none of it, and which one agrees with
 * where the crash was. The client sees its connection fail in each case.
 *
 *   after_chunk_write          the version is absent; the chunk may stay
 *                              (it is content-addressed) and is whole
 *   before_commit              absent, nothing of it in the audit log
 *   after_commit_before_reply  present, once; a retry of the same call
 *                              (REQ resends it with its idempotency key)
 *                              gets the original reply, not a second
 *                              application (ALREADY_EXISTS, "already in
 *                              staging", a second audit record)
 *
 * Every case ends with a whole scrub pass and the audit chain verified.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "crash.h"
#include "e2e.h"
#include "testutil.h"

/* A client whose calls give up soon: the server it talks to dies. */
#define SHORT_TIMEOUT_MS 1000
#define MODEL            "points"

/* ---- the mutations tried at each point --------------------------------- */

/*
 * Each mutation acts on its own target (k), so that one store serves all
 * of them: prepare() sets the target up on a healthy server, run() is the
 * call that meets the kill point, applied() says whether its effect is
 * visible and fails the test on anything in between.
 */
struct op {
	const char *name;
	void (*prepare)(mr_client *c, const char *dir, int k);
	mr_status (*run)(mr_client *c, const char *dir, int k);
	bool (*applied)(mr_client *c, const char *dir, int k);
};

static void
artifact_path(const char *dir, int k, char out[E2E_PATH_SIZE])
{
	char name[32];

	snprintf(name, sizeof(name), "art-%d.bin", k);
	e2e_path(out, dir, name);
}

/* A fresh artifact of a few chunks, so that PutChunk runs. */
static mr_status
register_version(mr_client *c, const char *dir, const char *version, int k)
{
	char path[E2E_PATH_SIZE];
	mr_register_params p = { .name = MODEL, .version = version,
		.description = "crash point", .path = path };

	artifact_path(dir, k, path);
	if (access(path, R_OK) != 0)
		e2e_write_random(
		    path, (3u << 20) + (size_t)k * 4099, (uint64_t)k + 1000);
	return mr_register(c, &p, NULL);
}

static void
version_text(int major, int k, char out[32])
{
	snprintf(out, 32, "%d.0.%d", major, k);
}

/* The artifact's chunks are uploaded beforehand (as another version), so
 * that the registration under test is quick: one commit. */
static void
register_prepare(mr_client *c, const char *dir, int k)
{
	char v[32];

	version_text(9, k, v);
	if (register_version(c, dir, v, k) != MR_OK)
		fail_msg("register %s: %s", v, mr_client_errmsg(c));
}

static mr_status
register_run(mr_client *c, const char *dir, int k)
{
	char v[32];

	version_text(2, k, v);
	return register_version(c, dir, v, k);
}

static bool
register_applied(mr_client *c, const char *dir, int k)
{
	char v[32], path[E2E_PATH_SIZE];
	mr_version *ver;
	mr_status rv;

	version_text(2, k, v);
	rv = mr_get_version(c, MODEL, v, MR_STAGE_NONE, &ver);
	if (rv == MR_NOT_FOUND)
		return false;
	if (rv != MR_OK)
		fail_msg("get %s: %s", v, mr_client_errmsg(c));
	assert_string_equal(ver->description, "crash point");
	assert_int_equal(ver->stage, MR_STAGE_DEV);
	mr_version_free(ver);
	/* Visible means whole: every chunk is there and verifies. */
	artifact_path(dir, k, path);
	e2e_expect_pull_identical(c, dir, MODEL, v, path);
	return true;
}

static void
promote_prepare(mr_client *c, const char *dir, int k)
{
	char v[32];

	version_text(3, k, v);
	if (register_version(c, dir, v, 100 + k) != MR_OK)
		fail_msg("register %s: %s", v, mr_client_errmsg(c));
}

static mr_status
promote_run(mr_client *c, const char *dir, int k)
{
	char v[32];

	(void)dir;
	version_text(3, k, v);
	return mr_promote(
	    c, MODEL, v, MR_STAGE_STAGING, MR_STAGE_NONE, "crash point", NULL);
}

static bool
promote_applied(mr_client *c, const char *dir, int k)
{
	char v[32];
	mr_version *ver;
	bool staged;

	(void)dir;
	version_text(3, k, v);
	if (mr_get_version(c, MODEL, v, MR_STAGE_NONE, &ver) != MR_OK)
		fail_msg("get %s: %s", v, mr_client_errmsg(c));
	if (ver->stage != MR_STAGE_DEV && ver->stage != MR_STAGE_STAGING)
		fail_msg("%s is in %s", v, mr_stage_name(ver->stage));
	staged = ver->stage == MR_STAGE_STAGING;
	mr_version_free(ver);
	return staged;
}

static void
base_prepare(mr_client *c, const char *dir, int k)
{
	mr_version *v;

	(void)k;
	if (mr_get_version(c, MODEL, "1.0.0", MR_STAGE_NONE, &v) == MR_OK) {
		mr_version_free(v);
		return;
	}
	if (register_version(c, dir, "1.0.0", 0) != MR_OK)
		fail_msg("register 1.0.0: %s", mr_client_errmsg(c));
}

static void
alias_name(int k, char out[16])
{
	snprintf(out, 16, "a%d", k);
}

static mr_status
alias_run(mr_client *c, const char *dir, int k)
{
	char a[16];

	(void)dir;
	alias_name(k, a);
	return mr_set_alias(c, MODEL, a, "1.0.0", "crash point", NULL);
}

static bool
alias_applied(mr_client *c, const char *dir, int k)
{
	char a[16];
	mr_model *m;
	bool found = false;

	(void)dir;
	alias_name(k, a);
	if (mr_get_model(c, MODEL, &m) != MR_OK)
		fail_msg("get model: %s", mr_client_errmsg(c));
	for (size_t i = 0; i < m->n_aliases; i++)
		if (strcmp(m->aliases[i].key, a) == 0) {
			assert_string_equal(m->aliases[i].value, "1.0.0");
			found = true;
		}
	mr_model_free(m);
	return found;
}

static mr_status
tag_run(mr_client *c, const char *dir, int k)
{
	char key[16];
	mr_kv kv = { .key = key, .value = "set" };
	mr_version_update u = { .set_tags = &kv, .n_set_tags = 1 };

	(void)dir;
	snprintf(key, sizeof(key), "t%d", k);
	return mr_update_version(c, MODEL, "1.0.0", &u, NULL);
}

static bool
tag_applied(mr_client *c, const char *dir, int k)
{
	char key[16];
	mr_version *v;
	bool found = false;

	(void)dir;
	snprintf(key, sizeof(key), "t%d", k);
	if (mr_get_version(c, MODEL, "1.0.0", MR_STAGE_NONE, &v) != MR_OK)
		fail_msg("get 1.0.0: %s", mr_client_errmsg(c));
	for (size_t i = 0; i < v->n_tags; i++)
		if (strcmp(v->tags[i].key, key) == 0) {
			assert_string_equal(v->tags[i].value, "set");
			found = true;
		}
	mr_version_free(v);
	return found;
}

static const struct op ops[] = {
    {"register", register_prepare, register_run, register_applied},
    {"promote", promote_prepare, promote_run, promote_applied},
    {"set alias", base_prepare, alias_run, alias_applied},
    {"tag", base_prepare, tag_run, tag_applied},
};
#define N_OPS (sizeof(ops) / sizeof(ops[0]))

/* ---- harness ------------------------------------------------------------ */

/* Starts (or restarts) modelregd with MODELREG_CRASH_AT=point. */
/* Audit records of a new store before the test's first call: its
 * first admin token and the harness's (start_armed). */
static uint64_t base_records;

static uint64_t audit_records(const e2e_server *s);

/*
 * Starts modelregd armed at `point`. A first start runs unarmed, then
 * stops, so that the tokens every new store makes (themselves commits)
 * are made before the point is armed.
 */
static void
start_armed(e2e_server *s, const char *point, bool first, const char *tag)
{
	if (first) {
		e2e_start(s, tag);
		base_records = audit_records(s);
		assert_int_equal(e2e_kill(s, SIGTERM), 0);
	}
	setenv("MODELREG_CRASH_AT", point, 1);
	e2e_restart(s);
	unsetenv("MODELREG_CRASH_AT");
}

/* The server ended itself at its kill point, not for another reason. */
static void
expect_crashed_at_point(e2e_server *s, const char *point)
{
	int status = e2e_wait_exit(s, 10000);

	if (!WIFEXITED(status) || WEXITSTATUS(status) != MR_CRASH_EXIT)
		fail_msg("modelregd did not exit at %s (status %#x); see %s/"
		         "modelregd.log",
		    point, status, s->dir);
}

static mr_client *
short_client(const e2e_server *s)
{
	mr_client_options o = { .timeout_ms = SHORT_TIMEOUT_MS };

	return e2e_client_opts(s, &o);
}

/* The call met the kill point: the client was told nothing definite. */
static void
expect_connection_failed(mr_status rv, const char *what)
{
	if (rv != MR_DEADLINE_EXCEEDED && rv != MR_UNAVAILABLE)
		fail_msg("%s: %s, where the server died before answering", what,
		    mr_strerror(rv));
}

static uint64_t
audit_records(const e2e_server *s)
{
	mr_client *c = e2e_client(s);
	uint64_t n = e2e_expect_sound_store(c, NULL);

	mr_client_close(c);
	return n;
}

/*
 * For each mutation: prepare it on a healthy server, run it on one armed
 * at `point` (the connection fails), restart and compare with `want`.
 * Returns with the server running.
 */
static void
visit_point(e2e_server *s, const char *point, bool want, int k0)
{
	for (size_t i = 0; i < N_OPS; i++) {
		const struct op *op = &ops[i];
		int k = k0 + (int)i;
		uint64_t before;
		mr_client *c;
		mr_status rv;

		c = e2e_client(s);
		op->prepare(c, s->dir, k);
		assert_false(op->applied(c, s->dir, k));
		mr_client_close(c);
		before = audit_records(s);

		assert_int_equal(e2e_kill(s, SIGTERM), 0);
		start_armed(s, point, false, NULL);
		c = short_client(s);
		rv = op->run(c, s->dir, k);
		mr_client_close(c);
		expect_connection_failed(rv, op->name);
		expect_crashed_at_point(s, point);

		e2e_restart(s);
		c = e2e_client(s);
		if (op->applied(c, s->dir, k) != want)
			fail_msg("%s at %s: the change is %s after the restart",
			    op->name, point, want ? "absent" : "present");
		mr_client_close(c);
		assert_int_equal(audit_records(s), before + (want ? 1 : 0));

		/* The client, told nothing, tries again: it works once. */
		c = e2e_client(s);
		rv = op->run(c, s->dir, k);
		if (want) {
			/* A new call (a new idempotency key) on a change that
			 * happened is refused or repeats it harmlessly. */
			assert_true(rv == MR_OK || rv == MR_ALREADY_EXISTS ||
			    rv == MR_FAILED_PRECONDITION);
		} else if (rv != MR_OK) {
			fail_msg("%s again after %s: %s", op->name, point,
			    mr_client_errmsg(c));
		}
		assert_true(op->applied(c, s->dir, k));
		mr_client_close(c);
	}
}

/* ---- the tests ---------------------------------------------------------- */

static void
test_after_chunk_write_keeps_the_version_absent_and_the_chunk_whole(
    void **state)
{
	e2e_server *sp = *state;
	const mr_transfer_stats *st;
	mr_client *c;
	mr_status rv;

	start_armed(sp, "after_chunk_write", true, "pt-chunk");
	c = short_client(sp);
	rv = register_run(c, sp->dir, 1);
	mr_client_close(c);
	expect_connection_failed(rv, "register");
	expect_crashed_at_point(sp, "after_chunk_write");

	e2e_restart(sp);
	c = e2e_client(sp);
	assert_false(register_applied(c, sp->dir, 1));
	/* A store with a chunk no version names is sound: the chunk is
	 * whole, and the audit log has nothing. */
	assert_int_equal(e2e_expect_sound_store(c, NULL), base_records);
	assert_int_equal(register_run(c, sp->dir, 1), MR_OK);
	/* The chunk written before the crash was not sent again: an
	 * unsynced WAL write survives the process. */
	st = mr_client_transfer_stats(c);
	assert_true(st->chunks >= 2);
	assert_true(st->chunks_sent < st->chunks);
	assert_true(register_applied(c, sp->dir, 1));
	assert_int_equal(e2e_expect_sound_store(c, NULL), base_records + 1);
	mr_client_close(c);
	e2e_finish(sp);
}

static void
test_before_commit_leaves_every_mutation_absent(void **state)
{
	e2e_server *sp = *state;

	e2e_start(sp, "pt-before");
	visit_point(sp, "before_commit", false, 10);
	e2e_finish(sp);
}

static void
test_after_commit_before_reply_leaves_every_mutation_present(void **state)
{
	e2e_server *sp = *state;

	e2e_start(sp, "pt-after");
	visit_point(sp, "after_commit_before_reply", true, 20);
	e2e_finish(sp);
}

struct call {
	const e2e_server *s;
	const struct op *op;
	int k;
	mr_status rv;
	char msg[256];
	uint64_t revision;
};

static void *
call_main(void *arg)
{
	struct call *a = arg;
	/* Long enough to outlive the crash and the restart. */
	mr_client_options o = { .token = a->s->token, .timeout_ms = 30000 };
	mr_client *c;

	if (mr_client_open(&c, a->s->url, &o) != MR_OK) {
		a->rv = MR_UNAVAILABLE;
		return NULL;
	}
	a->rv = a->op->run(c, a->s->dir, a->k);
	snprintf(a->msg, sizeof(a->msg), "%s", mr_client_errmsg(c));
	a->revision = mr_client_revision(c);
	mr_client_close(c);
	return NULL;
}

static void
test_retry_after_commit_before_reply_gets_the_original_reply(void **state)
{
	e2e_server *sp = *state;

	e2e_start(sp, "pt-retry");
	for (size_t i = 0; i < N_OPS; i++) {
		struct call a = { .s = sp, .op = &ops[i], .k = 30 + (int)i };
		uint64_t before, after;
		mr_event_list *l;
		pthread_t t;
		mr_client *c;

		c = e2e_client(sp);
		ops[i].prepare(c, sp->dir, a.k);
		mr_client_close(c);
		before = audit_records(sp);
		assert_int_equal(e2e_kill(sp, SIGTERM), 0);

		/* The call stays waiting while the server dies after its
		 * commit and a new one starts: nng's REQ socket sends it
		 * again, with the same idempotency key, to the new one. */
		start_armed(sp, "after_commit_before_reply", false, NULL);
		assert_int_equal(pthread_create(&t, NULL, call_main, &a), 0);
		expect_crashed_at_point(sp, "after_commit_before_reply");
		e2e_restart(sp);
		pthread_join(t, NULL);
		if (a.rv != MR_OK)
			fail_msg("%s, resent after the restart: %s: %s",
			    ops[i].name, mr_strerror(a.rv), a.msg);

		c = e2e_client(sp);
		assert_true(ops[i].applied(c, sp->dir, a.k));
		after = e2e_expect_sound_store(c, NULL);
		if (after != before + 1)
			fail_msg("%s was applied %llu times", ops[i].name,
			    (unsigned long long)(after - before));
		/* The reply is the one stored with the commit: its revision
		 * is the change's last event, which nothing has followed. */
		assert_int_equal(
		    mr_list_events(c, NULL, a.revision - 1, 10, &l), MR_OK);
		assert_true(l->count >= 1);
		assert_int_equal(l->items[0].revision, a.revision);
		mr_event_list_free(l);
		assert_int_equal(
		    mr_list_events(c, NULL, a.revision, 10, &l), MR_OK);
		assert_int_equal(l->count, 0);
		mr_event_list_free(l);
		mr_client_close(c);
	}
	e2e_finish(sp);
}

static void
test_crash_point_count_picks_the_nth_pass(void **state)
{
	e2e_server *sp = *state;
	mr_client *c;

	e2e_start(sp, "pt-count");
	c = e2e_client(sp);
	base_prepare(c, sp->dir, 0);
	mr_client_close(c);
	assert_int_equal(e2e_kill(sp, SIGTERM), 0);

	start_armed(sp, "before_commit:3", false, NULL);
	c = short_client(sp);
	assert_int_equal(alias_run(c, sp->dir, 1), MR_OK);
	assert_int_equal(alias_run(c, sp->dir, 2), MR_OK);
	expect_connection_failed(alias_run(c, sp->dir, 3), "third alias");
	mr_client_close(c);
	expect_crashed_at_point(sp, "before_commit");

	e2e_restart(sp);
	c = e2e_client(sp);
	assert_true(alias_applied(c, sp->dir, 1));
	assert_true(alias_applied(c, sp->dir, 2));
	assert_false(alias_applied(c, sp->dir, 3));
	/* Registration of 1.0.0, then two aliases. */
	assert_int_equal(e2e_expect_sound_store(c, NULL), base_records + 3);
	mr_client_close(c);
	e2e_finish(sp);
}

static void
test_unknown_crash_point_is_refused_at_start(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, 2);
		setenv("MODELREG_CRASH_AT", "before_comit", 1);
		execl(MODELREGD_PATH, "modelregd", "--listen", "inproc://never",
		    "--data", "/nonexistent/never", (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 2);
}

static int
setup(void **state)
{
	*state = calloc(1, sizeof(e2e_server));
	return *state == NULL ? -1 : 0;
}

/* After a failure: no armed variable for the next test, no server left
 * running, and the store kept for a look. */
static int
teardown(void **state)
{
	e2e_server *s = *state;

	unsetenv("MODELREG_CRASH_AT");
	if (s->pid > 0) {
		e2e_kill(s, SIGKILL);
		print_message("the store is kept in %s\n", s->dir);
	}
	free(s);
	return 0;
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_after_chunk_write_keeps_the_version_absent_and_the_chunk_whole),
	    T(test_before_commit_leaves_every_mutation_absent),
	    T(test_after_commit_before_reply_leaves_every_mutation_present),
	    T(test_retry_after_commit_before_reply_gets_the_original_reply),
	    T(test_crash_point_count_picks_the_nth_pass),
	    T(test_unknown_crash_point_is_refused_at_start),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
