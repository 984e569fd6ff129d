/*
 * test_sync.c - `modelreg sync` against the real modelregd, on real
 * files: the layout it makes, switches on promotion and rollback (local
 * copies without a pull), --exec and what happens when it fails, a
 * server that goes away and comes back, and the property the agent
 * exists for: a reader of DIR/current never sees a partial or missing
 * model while versions are switched under it.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "e2e.h"
#include "testutil.h"

/* A model file of `size` bytes from `seed`, registered as name@version. */
static void
register_file(e2e_server *s, mr_client *c, const char *name,
    const char *version, size_t size, uint64_t seed)
{
	char path[E2E_PATH_SIZE], file[64];
	mr_register_params p = {
	    .name = name,
	    .version = version,
	    .path = path,
	};

	snprintf(file, sizeof(file), "src-%s/%s.bin", version, name);
	e2e_path(path, s->dir, file);
	e2e_write_random(path, size, seed);
	if (mr_register(c, &p, NULL) != MR_OK)
		fail_msg(
		    "register %s %s: %s", name, version, mr_client_errmsg(c));
}

static void
to_production(mr_client *c, const char *name, const char *version)
{
	if (mr_promote(c, name, version, MR_STAGE_STAGING, MR_STAGE_NONE, "t",
	        NULL) != MR_OK ||
	    mr_promote(c, name, version, MR_STAGE_PRODUCTION, MR_STAGE_NONE,
	        "t", NULL) != MR_OK)
		fail_msg(
		    "promote %s %s: %s", name, version, mr_client_errmsg(c));
}

static void
roll_back(mr_client *c, const char *name, const char *version)
{
	if (mr_rollback(c, name, version, "t", NULL) != MR_OK)
		fail_msg("rollback %s to %s: %s", name,
		    version != NULL ? version : "the previous version",
		    mr_client_errmsg(c));
}

/* The source file of name@version, as register_file wrote it. */
static char *
source_of(e2e_server *s, const char *name, const char *version,
    char out[E2E_PATH_SIZE])
{
	char file[64];

	snprintf(file, sizeof(file), "src-%s/%s.bin", version, name);
	return e2e_path(out, s->dir, file);
}

static bool
same_bytes(const char *a, const char *b)
{
	size_t la, lb;
	void *x = tu_read_file(a, &la), *y = tu_read_file(b, &lb);
	bool same = x != NULL && y != NULL && la == lb && memcmp(x, y, la) == 0;

	free(x);
	free(y);
	return same;
}

/* ---- the agent as a background process ------------------------------------
 */

typedef struct agent {
	pid_t pid;
	char log[E2E_PATH_SIZE];
} agent;

/* Starts `modelreg --server URL sync ARGS...` with stdout and stderr in
 * a->log. */
static void
agent_start(agent *a, const e2e_server *s, const char *arg0, ...)
{
	const char *argv[32];
	int argc = 0;
	va_list ap;

	e2e_path(a->log, s->dir, "agent.log");
	argv[argc++] = "modelreg";
	argv[argc++] = "--server";
	argv[argc++] = s->url;
	argv[argc++] = "sync";
	va_start(ap, arg0);
	for (const char *x = arg0; x != NULL && argc < 31;
	     x = va_arg(ap, const char *))
		argv[argc++] = x;
	va_end(ap);
	argv[argc] = NULL;
	if ((a->pid = fork()) < 0)
		fail_msg("fork: %s", strerror(errno));
	if (a->pid == 0) {
		int fd = open(a->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		dup2(fd, 1);
		dup2(fd, 2);
		execv(MODELREG_CLI_PATH, (char *const *)argv);
		_exit(127);
	}
}

static char *
agent_log(const agent *a)
{
	size_t len;
	char *text = tu_read_file(a->log, &len), *z;

	z = calloc(1, (text != NULL ? len : 0) + 1);
	if (text != NULL)
		memcpy(z, text, len);
	free(text);
	return z;
}

/* SIGTERM; the agent must stop cleanly (exit 0). */
static void
agent_stop(agent *a)
{
	int status;

	kill(a->pid, SIGTERM);
	waitpid(a->pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		char *log = agent_log(a);
		fail_msg("agent status %d; log:\n%s", status, log);
	}
}

/* Waits (up to 20 s) until DIR/current points at versions/VERSION. */
static void
wait_current(const agent *a, const char *dir, const char *version)
{
	char link[E2E_PATH_SIZE], want[128], got[256];

	e2e_path(link, dir, "current");
	snprintf(want, sizeof(want), "versions/%s", version);
	for (int i = 0; i < 2000; i++) {
		ssize_t n = readlink(link, got, sizeof(got) - 1);
		if (n > 0) {
			got[n] = '\0';
			if (strcmp(got, want) == 0)
				return;
		}
		usleep(10 * 1000);
	}
	fail_msg("%s never pointed at %s; agent log:\n%s", link, want,
	    a != NULL ? agent_log(a) : "(none)");
}

static ino_t
inode_of(const char *path)
{
	struct stat st;

	assert_int_equal(stat(path, &st), 0);
	return st.st_ino;
}

static bool
exists(const char *dir, const char *name)
{
	char p[E2E_PATH_SIZE];

	return access(e2e_path(p, dir, name), F_OK) == 0;
}

/* ---- tests ----------------------------------------------------------------
 */

static void
test_sync_once_installs_current_version(void **state)
{
	char dir[E2E_PATH_SIZE], ddir[E2E_PATH_SIZE], p[E2E_PATH_SIZE];
	char q[E2E_PATH_SIZE], link[64];
	mr_register_params dp = {.name = "d", .version = "1.0.0"};
	e2e_run r = {0};
	e2e_server s;
	mr_client *c;
	ssize_t n;

	(void)state;
	e2e_start(&s, "sync-once");
	c = e2e_client(&s);
	register_file(&s, c, "m", "1.0.0", 300000, 1);
	register_file(&s, c, "m", "2.0.0", 300000, 2);
	to_production(c, "m", "1.0.0");
	e2e_path(dir, s.dir, "srv/m");

	E2E_CLI(&s, r, "sync", "m", "--dir", dir, "--once");
	e2e_expect(&r, 0, NULL, "switched production from nothing to 1.0.0");
	/* A relative link, so the tree can move. */
	n = readlink(e2e_path(p, dir, "current"), link, sizeof(link) - 1);
	assert_true(n > 0);
	link[n] = '\0';
	assert_string_equal(link, "versions/1.0.0");
	assert_true(same_bytes(
	    e2e_path(p, dir, "current/m.bin"), source_of(&s, "m", "1.0.0", q)));
	assert_true(exists(dir, "versions/1.0.0/m.bin"));

	/* Again: nothing to do. */
	E2E_CLI(&s, r, "sync", "m", "--dir", dir, "--once");
	e2e_expect(&r, 0, NULL, "production holds 1.0.0, which is current");

	/* The current copy damaged by hand: pulled again, then swapped in;
	 * a stray file in versions/ is cleaned up. */
	assert_int_equal(truncate(e2e_path(p, dir, "versions/1.0.0/m.bin"), 10),
	    0);
	e2e_write_random(e2e_path(p, dir, "versions/stray"), 10, 5);
	E2E_CLI(&s, r, "sync", "m", "--dir", dir, "--once");
	e2e_expect(&r, 0, NULL, "(pulled)");
	assert_true(same_bytes(
	    e2e_path(p, dir, "current/m.bin"), source_of(&s, "m", "1.0.0", q)));
	assert_false(exists(dir, "versions/stray"));
	assert_false(exists(dir, "versions/.pull-1.0.0"));

	/* A directory artifact is the version's directory itself. */
	e2e_write_random(e2e_path(p, s.dir, "dsrc/weights/a.bin"), 200000, 3);
	e2e_write_random(e2e_path(p, s.dir, "dsrc/config.json"), 100, 4);
	dp.path = e2e_path(p, s.dir, "dsrc");
	assert_int_equal(mr_register(c, &dp, NULL), MR_OK);
	e2e_path(ddir, s.dir, "srv/d");
	E2E_CLI(&s, r, "sync", "d", "--dir", ddir, "--stage", "dev", "--once");
	e2e_expect(&r, 0, NULL, "switched dev from nothing to 1.0.0");
	assert_true(same_bytes(e2e_path(p, ddir, "current/weights/a.bin"),
	    e2e_path(q, s.dir, "dsrc/weights/a.bin")));
	assert_true(same_bytes(e2e_path(p, ddir, "current/config.json"),
	    e2e_path(q, s.dir, "dsrc/config.json")));

	/* No version in the stage: a failure, and the directory stays. */
	E2E_CLI(
	    &s, r, "sync", "m", "--dir", dir, "--stage", "staging", "--once");
	e2e_expect(&r, 1, NULL, "NOT_FOUND");
	assert_true(exists(dir, "current/m.bin"));
	/* Usage. */
	E2E_CLI(&s, r, "sync", "m", "--once");
	e2e_expect(&r, 2, NULL, "--dir");
	E2E_CLI(&s, r, "sync", "m", "--dir", dir, "--keep", "0");
	e2e_expect(&r, 2, NULL, "--keep");

	e2e_run_free(&r);
	mr_client_close(c);
	e2e_finish(&s);
}

static void
test_sync_switches_on_promotion_and_keeps_previous(void **state)
{
	char dir[E2E_PATH_SIZE], p[E2E_PATH_SIZE], q[E2E_PATH_SIZE];
	e2e_run r = {0};
	e2e_server s;
	mr_client *c;
	agent a;

	(void)state;
	e2e_start(&s, "sync-promote");
	c = e2e_client(&s);
	register_file(&s, c, "m", "1.0.0", 300000, 1);
	register_file(&s, c, "m", "2.0.0", 300000, 2);
	register_file(&s, c, "m", "3.0.0", 300000, 3);
	to_production(c, "m", "1.0.0");
	e2e_path(dir, s.dir, "srv");
	agent_start(&a, &s, "m", "--dir", dir, (char *)NULL);
	wait_current(&a, dir, "1.0.0");

	/* One agent per directory. */
	E2E_CLI(&s, r, "sync", "m", "--dir", dir, "--once");
	e2e_expect(&r, 1, NULL, "another sync agent holds");

	to_production(c, "m", "2.0.0");
	wait_current(&a, dir, "2.0.0");
	assert_true(same_bytes(
	    e2e_path(p, dir, "current/m.bin"), source_of(&s, "m", "2.0.0", q)));
	assert_true(exists(dir, "versions/1.0.0/m.bin")); /* the previous */

	to_production(c, "m", "3.0.0");
	wait_current(&a, dir, "3.0.0");
	/* Keep 2: current and previous; 1.0.0 is gone, and nothing else
	 * (no temporary) is left in versions/. */
	for (int i = 0; i < 200 && exists(dir, "versions/1.0.0"); i++)
		usleep(10 * 1000);
	assert_false(exists(dir, "versions/1.0.0"));
	assert_true(exists(dir, "versions/2.0.0/m.bin"));
	assert_true(exists(dir, "versions/3.0.0/m.bin"));
	agent_stop(&a);
	{
		char *log = agent_log(&a);
		assert_non_null(strstr(log, "from 2.0.0 to 3.0.0 (pulled)"));
		assert_non_null(strstr(log, "removed 1.0.0"));
		free(log);
	}

	e2e_run_free(&r);
	mr_client_close(c);
	e2e_finish(&s);
}

static void
test_sync_rollback_uses_local_copy_without_pulling(void **state)
{
	char dir[E2E_PATH_SIZE], p[E2E_PATH_SIZE], q[E2E_PATH_SIZE], *log;
	e2e_server s;
	mr_client *c;
	ino_t before;
	agent a;

	(void)state;
	e2e_start(&s, "sync-rollback");
	c = e2e_client(&s);
	register_file(&s, c, "m", "1.0.0", 300000, 1);
	register_file(&s, c, "m", "2.0.0", 300000, 2);
	to_production(c, "m", "1.0.0");
	e2e_path(dir, s.dir, "srv");
	agent_start(&a, &s, "m", "--dir", dir, (char *)NULL);
	wait_current(&a, dir, "1.0.0");
	to_production(c, "m", "2.0.0");
	wait_current(&a, dir, "2.0.0");
	before = inode_of(e2e_path(p, dir, "versions/1.0.0/m.bin"));

	roll_back(c, "m", NULL);
	wait_current(&a, dir, "1.0.0");
	/* The very file pulled before, not a new copy. */
	assert_true(inode_of(e2e_path(p, dir, "current/m.bin")) == before);
	assert_true(same_bytes(p, source_of(&s, "m", "1.0.0", q)));
	agent_stop(&a);
	log = agent_log(&a);
	assert_non_null(
	    strstr(log, "from 2.0.0 to 1.0.0 (a local copy, no pull)"));
	/* 1.0.0 was pulled once only. */
	{
		char *first = strstr(log, "pulled 1.0.0");
		assert_non_null(first);
		assert_null(strstr(first + 1, "pulled 1.0.0"));
	}
	free(log);

	mr_client_close(c);
	e2e_finish(&s);
}

static void
test_sync_exec_runs_after_switch_with_version_env(void **state)
{
	char dir[E2E_PATH_SIZE], hooks[E2E_PATH_SIZE], cmd[3 * E2E_PATH_SIZE];
	char want[3 * E2E_PATH_SIZE], *text;
	e2e_server s;
	mr_client *c;
	size_t len;
	agent a;

	(void)state;
	e2e_start(&s, "sync-exec");
	c = e2e_client(&s);
	register_file(&s, c, "m", "1.0.0", 1000, 1);
	register_file(&s, c, "m", "2.0.0", 1000, 2);
	to_production(c, "m", "1.0.0");
	e2e_path(dir, s.dir, "srv");
	e2e_path(hooks, s.dir, "hooks.txt");
	/* The hook sees the switch done: current already names it. */
	snprintf(cmd, sizeof(cmd),
	    "echo \"$MODELREG_VERSION [$MODELREG_PREVIOUS] $MODELREG_DIR "
	    "$(readlink \"$MODELREG_DIR/current\")\" >> %s",
	    hooks);
	agent_start(&a, &s, "m", "--dir", dir, "--exec", cmd, (char *)NULL);
	wait_current(&a, dir, "1.0.0");
	to_production(c, "m", "2.0.0");
	wait_current(&a, dir, "2.0.0");
	for (int i = 0; i < 500; i++) {
		text = tu_read_file(hooks, &len);
		if (text != NULL &&
		    memchr(text, '\n', len) != memrchr(text, '\n', len))
			break;
		free(text);
		text = NULL;
		usleep(10 * 1000);
	}
	agent_stop(&a);
	assert_non_null(text);
	text = realloc(text, len + 1);
	text[len] = '\0';
	snprintf(want, sizeof(want),
	    "1.0.0 [] %s versions/1.0.0\n2.0.0 [1.0.0] %s versions/2.0.0\n",
	    dir, dir);
	assert_string_equal(text, want);
	free(text);
	text = agent_log(&a);
	assert_non_null(strstr(text, "exec for 2.0.0 exited with status 0"));
	free(text);

	mr_client_close(c);
	e2e_finish(&s);
}

/* A failing --exec leaves the switch in place and runs again until it
 * succeeds, once. */
static void
test_sync_failed_exec_keeps_switch_and_runs_again(void **state)
{
	char dir[E2E_PATH_SIZE], hooks[E2E_PATH_SIZE], cmd[2 * E2E_PATH_SIZE];
	char *text;
	e2e_run r = {0};
	e2e_server s;
	mr_client *c;
	size_t len;

	(void)state;
	e2e_start(&s, "sync-exec-fail");
	c = e2e_client(&s);
	register_file(&s, c, "m", "1.0.0", 1000, 1);
	to_production(c, "m", "1.0.0");
	e2e_path(dir, s.dir, "srv");
	e2e_path(hooks, s.dir, "hooks.txt");

	E2E_CLI(&s, r, "sync", "m", "--dir", dir, "--once", "--exec", "exit 3");
	e2e_expect(&r, 1, NULL, "exited with status 3");
	wait_current(NULL, dir, "1.0.0");
	assert_true(exists(dir, "current/m.bin"));
	assert_true(exists(dir, ".hook-pending"));

	snprintf(cmd, sizeof(cmd), "echo \"$MODELREG_VERSION\" >> %s", hooks);
	E2E_CLI(&s, r, "sync", "m", "--dir", dir, "--once", "--exec", cmd);
	e2e_expect(&r, 0, NULL, "exec for 1.0.0 exited with status 0");
	assert_false(exists(dir, ".hook-pending"));
	/* Done once: no switch, no pending hook, no run. */
	E2E_CLI(&s, r, "sync", "m", "--dir", dir, "--once", "--exec", cmd);
	e2e_expect(&r, 0, NULL, NULL);
	text = tu_read_file(hooks, &len);
	assert_non_null(text);
	assert_int_equal(len, 6);
	assert_memory_equal(text, "1.0.0\n", 6);
	free(text);

	e2e_run_free(&r);
	mr_client_close(c);
	e2e_finish(&s);
}

static void
test_sync_survives_server_restart(void **state)
{
	char dir[E2E_PATH_SIZE], p[E2E_PATH_SIZE], q[E2E_PATH_SIZE], *log;
	e2e_server s;
	mr_client *c;
	agent a;

	(void)state;
	e2e_start(&s, "sync-restart");
	c = e2e_client(&s);
	register_file(&s, c, "m", "1.0.0", 300000, 1);
	register_file(&s, c, "m", "2.0.0", 300000, 2);
	to_production(c, "m", "1.0.0");
	mr_client_close(c);
	e2e_path(dir, s.dir, "srv");

	/* Started while the server is down: it keeps trying. */
	e2e_kill(&s, SIGTERM);
	agent_start(&a, &s, "m", "--dir", dir, (char *)NULL);
	usleep(700 * 1000);
	e2e_restart(&s);
	wait_current(&a, dir, "1.0.0");

	/* Killed under it, restarted, then a promotion. */
	e2e_kill(&s, SIGKILL);
	usleep(500 * 1000);
	e2e_restart(&s);
	c = e2e_client(&s);
	to_production(c, "m", "2.0.0");
	wait_current(&a, dir, "2.0.0");
	assert_true(same_bytes(
	    e2e_path(p, dir, "current/m.bin"), source_of(&s, "m", "2.0.0", q)));
	agent_stop(&a);
	log = agent_log(&a);
	assert_non_null(strstr(log, "connect failed: UNAVAILABLE"));
	assert_non_null(strstr(log, "retry 2 in"));
	free(log);

	mr_client_close(c);
	e2e_finish(&s);
}

/* ---- atomicity ------------------------------------------------------------
 */

#define ATOM_VERSIONS 4
#define ATOM_SIZE     (8u << 20)
#define ATOM_SWITCHES 12

typedef struct reader {
	char path[E2E_PATH_SIZE]; /* DIR/current/m.bin */
	char *want[ATOM_VERSIONS];
	volatile int stop;
	unsigned long reads, bad, seen[ATOM_VERSIONS];
	char *buf;
	char why[256];
} reader;

/* Reads DIR/current/m.bin whole, over and over; each read must be
 * exactly one of the versions. */
static void *
reader_main(void *arg)
{
	reader *rd = arg;

	while (!rd->stop) {
		int fd = open(rd->path, O_RDONLY);
		size_t got = 0;
		ssize_t n;
		int which = -1;

		if (fd < 0) {
			/* Before the first switch there is nothing yet. */
			if (rd->reads > 0) {
				rd->bad++;
				snprintf(rd->why, sizeof(rd->why),
				    "open: %s after %lu reads", strerror(errno),
				    rd->reads);
			}
			usleep(1000);
			continue;
		}
		while (got < ATOM_SIZE + 1 &&
		    (n = read(fd, rd->buf + got, ATOM_SIZE + 1 - got)) > 0)
			got += (size_t)n;
		close(fd);
		for (int v = 0; v < ATOM_VERSIONS && got == ATOM_SIZE; v++)
			if (memcmp(rd->buf, rd->want[v], ATOM_SIZE) == 0)
				which = v;
		rd->reads++;
		if (which < 0) {
			rd->bad++;
			snprintf(rd->why, sizeof(rd->why),
			    "read %zu bytes matching no version", got);
		} else {
			rd->seen[which]++;
		}
	}
	return NULL;
}

static void
test_sync_switches_are_atomic_for_readers(void **state)
{
	static const char *const versions[ATOM_VERSIONS] = {
	    "1.0.0", "2.0.0", "3.0.0", "4.0.0"};
	char dir[E2E_PATH_SIZE], src[E2E_PATH_SIZE];
	reader *rd = calloc(1, sizeof(*rd));
	unsigned switches = 0;
	e2e_server s;
	mr_client *c;
	pthread_t th;
	size_t len;
	agent a;

	(void)state;
	e2e_start(&s, "sync-atomic");
	c = e2e_client(&s);
	for (int v = 0; v < ATOM_VERSIONS; v++) {
		register_file(&s, c, "m", versions[v], ATOM_SIZE, 10 + v);
		rd->want[v] =
		    tu_read_file(source_of(&s, "m", versions[v], src), &len);
		assert_int_equal(len, ATOM_SIZE);
	}
	rd->buf = malloc(ATOM_SIZE + 1);
	e2e_path(dir, s.dir, "srv");
	e2e_path(rd->path, dir, "current/m.bin");
	assert_int_equal(pthread_create(&th, NULL, reader_main, rd), 0);
	agent_start(&a, &s, "m", "--dir", dir, (char *)NULL);

	/* Each version enters production once by promotion, then they
	 * take turns by rollback; keep 2 makes most switches pull. */
	for (int v = 0; v < ATOM_VERSIONS; v++) {
		to_production(c, "m", versions[v]);
		wait_current(&a, dir, versions[v]);
		switches++;
	}
	for (int i = 0; switches < ATOM_SWITCHES; i++, switches++) {
		const char *to = versions[i % ATOM_VERSIONS];
		roll_back(c, "m", to);
		wait_current(&a, dir, to);
		usleep(20 * 1000); /* let the reader read this one too */
	}
	rd->stop = 1;
	pthread_join(th, NULL);
	agent_stop(&a);

	if (rd->bad != 0)
		fail_msg("%lu bad reads of %lu; last: %s", rd->bad, rd->reads,
		    rd->why);
	assert_true(rd->reads >= 20);
	for (int v = 0; v < ATOM_VERSIONS; v++)
		assert_true(rd->seen[v] > 0);
	print_message(
	    "%u switches, %lu whole reads, none bad\n", switches, rd->reads);

	for (int v = 0; v < ATOM_VERSIONS; v++)
		free(rd->want[v]);
	free(rd->buf);
	free(rd);
	mr_client_close(c);
	e2e_finish(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sync_once_installs_current_version),
	    cmocka_unit_test(
	        test_sync_switches_on_promotion_and_keeps_previous),
	    cmocka_unit_test(
	        test_sync_rollback_uses_local_copy_without_pulling),
	    cmocka_unit_test(test_sync_exec_runs_after_switch_with_version_env),
	    cmocka_unit_test(test_sync_failed_exec_keeps_switch_and_runs_again),
	    cmocka_unit_test(test_sync_survives_server_restart),
	    cmocka_unit_test(test_sync_switches_are_atomic_for_readers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
