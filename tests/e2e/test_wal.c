/*
 * test_wal.c - what modelregd does with a write-ahead log left by a
 * crash: a torn tail (the last write, never acknowledged, cut short)
 * starts with every earlier write; damage before the end refuses to
 * start, saying so, rather than dropping acknowledged writes after it.
 */
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "e2e.h"
#include "testutil.h"

#define N_VERSIONS 6

/* Registers m@1.0.1 .. m@1.0.N with small artifacts, then kills -9. */
static void
write_and_crash(e2e_server *s)
{
	mr_client *c = e2e_client(s);
	char path[E2E_PATH_SIZE], version[16];

	for (int i = 1; i <= N_VERSIONS; i++) {
		mr_register_params p = {.name = "m", .version = version};

		snprintf(version, sizeof(version), "1.0.%d", i);
		snprintf(path, sizeof(path), "%s/src-%d.bin", s->dir, i);
		e2e_write_random(path, 3000, (uint64_t)i);
		p.path = path;
		assert_int_equal(mr_register(c, &p, NULL), MR_OK);
	}
	mr_client_close(c);
	e2e_kill(s, SIGKILL);
}

/* The largest WAL file of the store (the one holding the writes). */
static void
wal_of(const e2e_server *s, char out[E2E_PATH_SIZE])
{
	struct dirent *de;
	DIR *d = opendir(s->data);
	off_t best = -1;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		size_t n = strlen(de->d_name);
		char p[E2E_PATH_SIZE];
		struct stat st;

		if (n < 4 || strcmp(de->d_name + n - 4, ".log") != 0)
			continue;
		e2e_path(p, s->data, de->d_name);
		if (stat(p, &st) == 0 && st.st_size > best) {
			best = st.st_size;
			memcpy(out, p, E2E_PATH_SIZE);
		}
	}
	closedir(d);
	assert_true(best > 0);
}

/* Versions of m the restarted server lists. */
static int
versions_listed(const e2e_server *s)
{
	mr_client *c = e2e_client(s);
	mr_version_list *l;
	int n;

	assert_int_equal(mr_list_versions(c, "m", NULL, &l), MR_OK);
	n = (int)l->count;
	mr_version_list_free(l);
	mr_client_close(c);
	return n;
}

static void
test_wal_with_half_a_record_at_its_end_starts_with_every_write(void **state)
{
	char wal[E2E_PATH_SIZE];
	e2e_server s;
	int fd;

	(void)state;
	e2e_start(&s, "wal-torn");
	write_and_crash(&s);
	wal_of(&s, wal);
	/* Half a record more, as a crash in the middle of a write leaves. */
	fd = open(wal, O_WRONLY | O_APPEND);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "\x7f\x01\x02\x03\x04\x05\x06", 7), 7);
	close(fd);
	e2e_restart(&s);
	assert_int_equal(versions_listed(&s), N_VERSIONS);
	e2e_finish(&s);
}

static void
test_wal_whose_last_record_is_cut_short_starts_without_it(void **state)
{
	char wal[E2E_PATH_SIZE];
	struct stat st;
	e2e_server s;

	(void)state;
	e2e_start(&s, "wal-cut");
	write_and_crash(&s);
	wal_of(&s, wal);
	/* The last registration's record loses its end: it was never
	 * acknowledged as far as the disk knows; the others stay. */
	assert_int_equal(stat(wal, &st), 0);
	assert_int_equal(truncate(wal, st.st_size - 20), 0);
	e2e_restart(&s);
	assert_int_equal(versions_listed(&s), N_VERSIONS - 1);
	e2e_finish(&s);
}

static void
test_wal_damaged_before_its_end_refuses_to_start_and_says_why(void **state)
{
	char wal[E2E_PATH_SIZE], log[E2E_PATH_SIZE];
	uint8_t b[16];
	struct stat st;
	e2e_server s;
	size_t len;
	char *msg;
	int fd, status;
	pid_t pid;

	(void)state;
	e2e_start(&s, "wal-damaged");
	write_and_crash(&s);
	wal_of(&s, wal);
	assert_int_equal(stat(wal, &st), 0);
	fd = open(wal, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(pread(fd, b, sizeof(b), st.st_size / 3), sizeof(b));
	for (size_t i = 0; i < sizeof(b); i++)
		b[i] ^= 0xff;
	assert_int_equal(pwrite(fd, b, sizeof(b), st.st_size / 3), sizeof(b));
	close(fd);

	e2e_path(log, s.dir, "refused.log");
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		int out = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(out, 2);
		execl(MODELREGD_PATH, "modelregd", "--listen", s.url, "--data",
		    s.data, (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_not_equal(WEXITSTATUS(status), 0);
	msg = tu_read_file(log, &len);
	assert_non_null(strstr(msg, "DATA_LOSS"));
	assert_non_null(strstr(msg, "write-ahead log is damaged"));
	assert_non_null(strstr(msg, "restore from a backup"));
	free(msg);
	/* Nothing was changed: the store is as the crash left it. */
	assert_int_equal(stat(wal, &st), 0);
	tu_rmtree(s.dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        test_wal_with_half_a_record_at_its_end_starts_with_every_write),
	    cmocka_unit_test(
	        test_wal_whose_last_record_is_cut_short_starts_without_it),
	    cmocka_unit_test(
	        test_wal_damaged_before_its_end_refuses_to_start_and_says_why),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
