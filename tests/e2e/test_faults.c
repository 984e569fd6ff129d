/*
 * test_faults.c - modelregd on a disk that fills up, on one whose bytes
 * rot, and on one whose fsync fails, in the spirit of SQLite's I/O fault
 * tests; the first two are real faults, the third comes from the system
 * calls RocksDB makes (faultfs.c, preloaded):
 *
 *   - the data directory on a small tmpfs (mount(2); the test is skipped
 *     where it cannot mount): pushes until the disk is full. Writes then
 *     fail with RESOURCE_EXHAUSTED saying so, reads (get, list, pull) go
 *     on, nothing acknowledged is lost; once the tmpfs is grown, writes
 *     resume without a restart; a kill -9 while full loses nothing either.
 *   - a byte flipped inside a table file on disk: the versions whose
 *     chunks it touches fail to pull with DATA_LOSS and nothing is written,
 *     scrub names the chunk and goes on, every other version pulls whole.
 *   - fsync/fdatasync of the WAL failing with EIO: the commit is
 *     UNAVAILABLE, saying its outcome is known after a restart; RocksDB
 *     refuses writes until then; reads go on; after a restart the change
 *     is there whole or not at all, and writes work.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "e2e.h"
#include "testutil.h"

#define SMALL "size=24m"
/* Room for RocksDB to resume: it waits until the largest memtable (the
 * chunk family's, 64 MiB) fits in what is free. */
#define GROWN         "size=160m"
#define ARTIFACT_SIZE (1536u * 1024)
#define MAX_VERSIONS  64

/* A test's server, kept in cmocka's state so that the teardown stops it,
 * unmounts its tmpfs and removes its directory even when a check fails. */
typedef struct fixture {
	e2e_server s;
	bool mounted;
} fixture;

static int
setup(void **state)
{
	*state = calloc(1, sizeof(fixture));
	return *state == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	fixture *f = *state;

	unsetenv("LD_PRELOAD");
	unsetenv("MODELREG_FAULT_SYNC");
	if (f->s.pid > 0)
		e2e_kill(&f->s, SIGKILL);
	if (f->mounted && umount2(f->s.data, 0) != 0)
		umount2(f->s.data, MNT_DETACH);
	if (f->s.dir[0] != '\0')
		tu_rmtree(f->s.dir);
	free(f);
	return 0;
}

struct fill {
	int acked; /* versions 1.0.0 .. 1.0.(acked-1) were acknowledged */
	mr_status failed; /* the first refusal */
	char msg[1024];
};

static void
artifact(const e2e_server *s, int i, char path[E2E_PATH_SIZE])
{
	char name[32];

	snprintf(name, sizeof(name), "art-%d.bin", i);
	e2e_path(path, s->dir, name);
	if (access(path, R_OK) != 0)
		e2e_write_random(path, ARTIFACT_SIZE, 7000 + (uint64_t)i);
}

static mr_status
push(mr_client *c, const e2e_server *s, int i)
{
	char path[E2E_PATH_SIZE], version[32];
	mr_register_params p = { .name = "full", .version = version,
		.path = path, .description = "fills the disk" };

	snprintf(version, sizeof(version), "1.0.%d", i);
	artifact(s, i, path);
	return mr_register(c, &p, NULL);
}

/*
 * Starts modelregd with its data directory on a fresh tmpfs of `opts`;
 * false (the server stopped) if mount(2) is not allowed here.
 */
static bool
start_on_tmpfs(fixture *fx, const char *tag, const char *opts)
{
	e2e_server *s = &fx->s;

	e2e_start(s, tag);
	assert_int_equal(e2e_kill(s, SIGTERM), 0);
	tu_rmtree(s->data);
	e2e_forget_tokens(s);
	assert_int_equal(mkdir(s->data, 0755), 0);
	if (mount("tmpfs", s->data, "tmpfs", 0, opts) != 0) {
		print_message("skipped: cannot mount a tmpfs on %s: %s (the "
		              "test needs root, or CAP_SYS_ADMIN)\n",
		    s->data, strerror(errno));
		return false;
	}
	fx->mounted = true;
	e2e_restart(s);
	return true;
}

static void
grow(const e2e_server *s)
{
	if (mount("tmpfs", s->data, "tmpfs", MS_REMOUNT, GROWN) != 0)
		fail_msg("remount %s: %s", s->data, strerror(errno));
}

/* SIGKILL, to a server that was still running (it did not crash). */
static void
kill_9(e2e_server *s)
{
	int status = e2e_kill(s, SIGKILL);

	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
		fail_msg("modelregd had died by itself (status %#x); see %s/"
		         "modelregd.log",
		    status, s->dir);
}

/* A clean stop: the teardown unmounts and removes the rest. */
static void
stop(e2e_server *s)
{
	assert_int_equal(e2e_kill(s, SIGTERM), 0);
}

/* Pushes 1.5 MiB versions until one is refused. */
static void
fill(mr_client *c, const e2e_server *s, struct fill *f)
{
	mr_status rv;

	memset(f, 0, sizeof(*f));
	while ((rv = push(c, s, f->acked)) == MR_OK) {
		f->acked++;
		assert_true(f->acked < MAX_VERSIONS);
	}
	f->failed = rv;
	snprintf(f->msg, sizeof(f->msg), "%s", mr_client_errmsg(c));
}

/* A refusal for a full disk: the right code and words that say so. */
static void
expect_full(mr_status rv, const char *msg)
{
	if ((rv != MR_RESOURCE_EXHAUSTED && rv != MR_UNAVAILABLE) ||
	    strstr(msg, "full") == NULL)
		fail_msg(
		    "a write on a full disk: %s: %s", mr_strerror(rv), msg);
}

/* Everything acknowledged is there, whole; the version refused at
 * `failed` (if any) is there whole or not at all. */
static void
expect_versions(mr_client *c, const e2e_server *s, int acked, int failed)
{
	char path[E2E_PATH_SIZE], version[32];
	mr_version_list *l;
	mr_list_params p = { .page_size = 1000 };

	assert_int_equal(mr_list_versions(c, "full", &p, &l), MR_OK);
	assert_true(l->count == (size_t)acked ||
	    (failed >= 0 && l->count == (size_t)acked + 1));
	mr_version_list_free(l);
	for (int i = 0; i < acked + (failed >= 0); i++) {
		mr_version *v;

		snprintf(version, sizeof(version), "1.0.%d", i);
		if (i == failed &&
		    mr_get_version(c, "full", version, MR_STAGE_NONE, &v) ==
		        MR_NOT_FOUND)
			continue;
		artifact(s, i, path);
		e2e_expect_pull_identical(c, s->dir, "full", version, path);
	}
}

static void
test_full_disk_refuses_writes_keeps_reads_and_resumes_without_restart(
    void **state)
{
	fixture *fx = *state;
	e2e_server *sp = &fx->s;
	struct fill f;
	mr_client *c;
	mr_status rv = MR_OK;
	pid_t pid;
	int waited;

	if (!start_on_tmpfs(fx, "full", SMALL)) {
		skip();
		return;
	}
	pid = sp->pid;
	c = e2e_client(sp);
	fill(c, sp, &f);
	print_message("disk full after %d versions: %s: %s\n", f.acked,
	    mr_strerror(f.failed), f.msg);
	assert_true(f.acked >= 5);
	expect_full(f.failed, f.msg);

	/* A write of a few bytes is refused as well, saying why. */
	rv = mr_set_alias(c, "full", "best", "1.0.0", NULL, NULL);
	expect_full(rv, mr_client_errmsg(c));

	/* Reads go on, for longer than RocksDB's 5 s recovery poll, whose
	 * log lines used to bring modelregd down (storage/store.c). */
	for (int round = 0; round < 3; round++) {
		mr_model *m;

		assert_int_equal(mr_get_model(c, "full", &m), MR_OK);
		assert_true(m->version_count >= (uint32_t)f.acked);
		mr_model_free(m);
		expect_versions(c, sp, f.acked, f.acked);
		sleep(2);
	}
	assert_int_equal(waitpid(pid, NULL, WNOHANG), 0);

	/* More room: writes resume, with no restart. */
	grow(sp);
	for (waited = 0; waited < 30000; waited += 250) {
		rv = mr_set_alias(c, "full", "best", "1.0.0", NULL, NULL);
		if (rv == MR_OK)
			break;
		expect_full(rv, mr_client_errmsg(c));
		usleep(250 * 1000);
	}
	if (rv != MR_OK)
		fail_msg("writes did not resume within 30 s of the disk "
		         "growing: %s",
		    mr_client_errmsg(c));
	print_message("writes resumed %d ms after the disk grew\n", waited);
	assert_int_equal(sp->pid, pid);
	assert_int_equal(waitpid(pid, NULL, WNOHANG), 0);
	/* The version refused is pushed again (or was there whole). */
	rv = push(c, sp, f.acked);
	assert_true(rv == MR_OK || rv == MR_ALREADY_EXISTS);
	expect_versions(c, sp, f.acked + 1, -1);
	e2e_expect_sound_store(c, NULL);
	mr_client_close(c);

	/* And all of it survives a kill -9. */
	kill_9(sp);
	e2e_restart(sp);
	c = e2e_client(sp);
	expect_versions(c, sp, f.acked + 1, -1);
	e2e_expect_sound_store(c, NULL);
	mr_client_close(c);
	stop(sp);
}

/* Runs modelregd on s->data in the foreground until it exits or answers;
 * returns its wait status, or -1 if it is serving. */
static int
try_start(e2e_server *s, char *log, size_t cap)
{
	char path[E2E_PATH_SIZE];
	int status = -1, fd;
	pid_t pid;

	e2e_path(path, s->dir, "try.log");
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(fd, 1);
		dup2(fd, 2);
		execl(MODELREGD_PATH, "modelregd", "--listen", s->url, "--data",
		    s->data, (char *)NULL);
		_exit(127);
	}
	for (int i = 0; i < 200 && status == -1; i++) {
		mr_client_options o = { .timeout_ms = 500 };
		mr_client *c;

		if (waitpid(pid, &status, WNOHANG) == pid)
			break;
		status = -1;
		if (mr_client_open(&c, s->url, &o) == MR_OK) {
			mr_model *m = NULL;
			if (mr_get_model(c, "full", &m) == MR_OK) {
				mr_model_free(m);
				mr_client_close(c);
				kill(pid, SIGKILL);
				waitpid(pid, NULL, 0);
				break;
			}
			mr_client_close(c);
		}
		usleep(50 * 1000);
	}
	fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, log, cap - 1) : -1;
	log[n > 0 ? n : 0] = '\0';
	if (fd >= 0)
		close(fd);
	return status;
}

static void
test_kill_9_on_a_full_disk_loses_nothing_acknowledged(void **state)
{
	fixture *fx = *state;
	e2e_server *sp = &fx->s;
	struct fill f;
	mr_client *c;
	char log[4096];
	int status;

	if (!start_on_tmpfs(fx, "fullkill", SMALL)) {
		skip();
		return;
	}
	c = e2e_client(sp);
	fill(c, sp, &f);
	expect_full(f.failed, f.msg);
	mr_client_close(c);
	kill_9(sp);

	/* Still full: modelregd either serves (reads) or says why it
	 * cannot start; it does not crash. */
	status = try_start(sp, log, sizeof(log));
	print_message(
	    "start on the full disk: %s\n", status == -1 ? "serving" : log);
	if (status != -1 &&
	    (!WIFEXITED(status) || WEXITSTATUS(status) != 1 ||
	        strstr(log, "full") == NULL))
		fail_msg(
		    "modelregd on a full disk: status %#x: %s", status, log);

	grow(sp);
	e2e_restart(sp);
	c = e2e_client(sp);
	expect_versions(c, sp, f.acked, f.acked);
	e2e_expect_sound_store(c, NULL);
	assert_int_equal(push(c, sp, MAX_VERSIONS), MR_OK);
	mr_client_close(c);
	stop(sp);
}

/* The largest file of the store whose name ends in .sst. */
static void
largest_table(const char *data, char out[E2E_PATH_SIZE])
{
	char cmd[E2E_PATH_SIZE + 64];
	FILE *p;

	snprintf(cmd, sizeof(cmd), "ls -S %s/*.sst | head -1", data);
	p = popen(cmd, "r");
	assert_non_null(p);
	assert_non_null(fgets(out, E2E_PATH_SIZE, p));
	out[strcspn(out, "\n")] = '\0';
	pclose(p);
}

/* Flips a byte of `file` where `needle` (n bytes) is; false if absent. */
static bool
rot(const char *file, const void *needle, size_t n)
{
	size_t len;
	uint8_t *buf = tu_read_file(file, &len);
	uint8_t *at = buf != NULL ? memmem(buf, len, needle, n) : NULL;
	int fd;

	if (at == NULL) {
		free(buf);
		return false;
	}
	at[n / 2] ^= 0x01;
	fd = open(file, O_WRONLY);
	assert_true(fd >= 0);
	assert_int_equal(
	    pwrite(fd, at + n / 2, 1, (off_t)(at - buf + n / 2)), 1);
	close(fd);
	free(buf);
	return true;
}

static void
test_bit_rot_in_a_table_file_fails_only_the_version_it_touches(void **state)
{
	fixture *fx = *state;
	e2e_server *sp = &fx->s;
	char path[E2E_PATH_SIZE], table[E2E_PATH_SIZE], dest[E2E_PATH_SIZE];
	uint8_t *bytes;
	size_t len;
	mr_client *c;
	uint64_t chunks_before = 0, chunks_after = 0, damaged = 0;
	uint8_t next[MR_DIGEST_LEN];
	bool first = true;
	struct stat st;

	e2e_start(sp, "rot");
	c = e2e_client(sp);
	for (int i = 0; i < 4; i++)
		assert_int_equal(push(c, sp, i), MR_OK);
	e2e_expect_sound_store(c, &chunks_before);
	mr_client_close(c);
	/* A restart replays the WAL into table files; flip a byte of
	 * version 1.0.2's bytes in the one holding the chunks. */
	assert_int_equal(e2e_kill(sp, SIGTERM), 0);
	e2e_restart(sp);
	assert_int_equal(e2e_kill(sp, SIGTERM), 0);
	largest_table(sp->data, table);
	artifact(sp, 2, path);
	bytes = tu_read_file(path, &len);
	assert_true(rot(table, bytes + len / 3, 64));
	free(bytes);

	e2e_restart(sp);
	c = e2e_client(sp);
	/* The catalog is elsewhere: the version is listed... */
	{
		mr_version *v;
		assert_int_equal(
		    mr_get_version(c, "full", "1.0.2", MR_STAGE_NONE, &v),
		    MR_OK);
		mr_version_free(v);
	}
	/* ...but its bytes are lost, and nothing is written. */
	e2e_path(dest, sp->dir, "rotten.bin");
	assert_int_equal(
	    mr_pull(c, "full", "1.0.2", MR_STAGE_NONE, dest, NULL, NULL),
	    MR_DATA_LOSS);
	print_message("pull of the rotten version: %s\n", mr_client_errmsg(c));
	assert_int_equal(stat(dest, &st), -1);
	/* The others pull whole. */
	for (int i = 0; i < 4; i++) {
		char version[16];

		if (i == 2)
			continue;
		snprintf(version, sizeof(version), "1.0.%d", i);
		artifact(sp, i, path);
		e2e_expect_pull_identical(c, sp->dir, "full", version, path);
	}
	/* Scrub names the damage and checks every chunk after it. */
	for (;;) {
		mr_scrub_result *r;

		if (mr_scrub(c, first ? NULL : next, 1024, 0, &r) != MR_OK)
			fail_msg("scrub: %s", mr_client_errmsg(c));
		for (size_t i = 0; i < r->n_damaged; i++)
			print_message("scrub: damaged: %s (%s)\n",
			    r->damaged[i].reason, r->damaged[i].detail);
		damaged += r->n_damaged;
		chunks_after += r->chunks_checked;
		if (r->done || r->chunks_checked == 0) {
			mr_scrub_result_free(r);
			break;
		}
		memcpy(next, r->next, sizeof(next));
		first = false;
		mr_scrub_result_free(r);
	}
	/* One byte flipped: one chunk lost, named once. */
	assert_int_equal(damaged, 1);
	assert_int_equal(chunks_after, chunks_before);
	mr_client_close(c);
	stop(sp);
}

/* Restarts the server with faultfs.c preloaded, armed by `trigger`. */
static void
restart_with_faultfs(e2e_server *s, const char *trigger)
{
	const char *asan = getenv("ASAN_OPTIONS");
	char opts[1024];

	/* A sanitized modelregd wants its runtime first in the list. */
	snprintf(opts, sizeof(opts), "%s%sverify_asan_link_order=0",
	    asan != NULL ? asan : "", asan != NULL ? ":" : "");
	setenv("ASAN_OPTIONS", opts, 1);
	setenv("LD_PRELOAD", FAULTFS_PATH, 1);
	setenv("MODELREG_FAULT_SYNC", trigger, 1);
	e2e_restart(s);
	unsetenv("LD_PRELOAD");
	unsetenv("MODELREG_FAULT_SYNC");
	if (asan != NULL)
		setenv("ASAN_OPTIONS", asan, 1);
	else
		unsetenv("ASAN_OPTIONS");
}

static bool
has_alias(mr_client *c, const char *alias)
{
	mr_model *m;
	bool found = false;

	assert_int_equal(mr_get_model(c, "full", &m), MR_OK);
	for (size_t i = 0; i < m->n_aliases; i++)
		found |= strcmp(m->aliases[i].key, alias) == 0;
	mr_model_free(m);
	return found;
}

static void
test_eio_on_wal_sync_fails_the_write_and_reads_go_on(void **state)
{
	fixture *fx = *state;
	e2e_server *sp = &fx->s;
	char trigger[E2E_PATH_SIZE], path[E2E_PATH_SIZE];
	mr_client *c;
	mr_status rv, after;

	e2e_start(sp, "eio");
	c = e2e_client(sp);
	assert_int_equal(push(c, sp, 0), MR_OK);
	mr_client_close(c);
	stop(sp);
	e2e_path(trigger, sp->dir, "fail-sync");
	restart_with_faultfs(sp, trigger);

	c = e2e_client(sp);
	tu_write_file(trigger, "", 0);
	rv = mr_set_alias(c, "full", "best", "1.0.0", NULL, NULL);
	print_message("a commit whose WAL sync fails: %s: %s\n",
	    mr_strerror(rv), mr_client_errmsg(c));
	assert_int_equal(rv, MR_UNAVAILABLE);
	unlink(trigger);
	assert_non_null(strstr(mr_client_errmsg(c), "restarts"));
	/* RocksDB takes a failed WAL sync as fatal: the next write is
	 * refused though the disk is well again, until a restart. */
	after = mr_set_alias(c, "full", "next", "1.0.0", NULL, NULL);
	assert_int_equal(after, MR_UNAVAILABLE);
	/* Reads go on. */
	artifact(sp, 0, path);
	e2e_expect_pull_identical(c, sp->dir, "full", "1.0.0", path);
	mr_client_close(c);

	/* A crash now: the refused commit is there whole or not at all,
	 * and writes work again. */
	kill_9(sp);
	e2e_restart(sp);
	c = e2e_client(sp);
	print_message("after the restart, the refused alias is %s\n",
	    has_alias(c, "best") ? "there" : "absent");
	assert_false(has_alias(c, "next"));
	e2e_expect_pull_identical(c, sp->dir, "full", "1.0.0", path);
	assert_int_equal(
	    mr_set_alias(c, "full", "best", "1.0.0", NULL, NULL), MR_OK);
	e2e_expect_sound_store(c, NULL);
	mr_client_close(c);
	stop(sp);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_full_disk_refuses_writes_keeps_reads_and_resumes_without_restart),
	    T(test_kill_9_on_a_full_disk_loses_nothing_acknowledged),
	    T(test_bit_rot_in_a_table_file_fails_only_the_version_it_touches),
	    T(test_eio_on_wal_sync_fails_the_write_and_reads_go_on),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
