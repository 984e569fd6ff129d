/*
 * test_pull_resume.c - `modelreg pull` killed with SIGKILL halfway, then
 * run again: the second run fetches only what the first had not
 * verified, and the result is the registered file byte for byte.
 */
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "e2e.h"
#include "e2e_json.h"
#include "testutil.h"

#define MODEL_SIZE (256u << 20)

/* The partial directory's artifact beside `dest`, once there is one. */
static bool
partial_artifact(const char *dir, char out[E2E_PATH_SIZE])
{
	struct dirent *de;
	DIR *d = opendir(dir);
	bool found = false;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL && !found) {
		char p[E2E_PATH_SIZE];
		if (strstr(de->d_name, ".mr-partial-") == NULL)
			continue;
		e2e_path(p, dir, de->d_name);
		e2e_path(out, p, "artifact");
		found = true;
	}
	closedir(d);
	return found;
}

/* Bytes of `path` actually written (holes excluded). */
static uint64_t
written(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (uint64_t)st.st_blocks * 512 : 0;
}

static bool
exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

static bool
same_file(const char *a, const char *b)
{
	size_t la, lb;
	char *x = tu_read_file(a, &la), *y = tu_read_file(b, &lb);
	bool same = la == lb && memcmp(x, y, la) == 0;

	free(x);
	free(y);
	return same;
}

static void
test_pull_killed_halfway_resumes_and_fetches_only_the_rest(void **state)
{
	e2e_server s;
	char src[E2E_PATH_SIZE], out[E2E_PATH_SIZE], dest[E2E_PATH_SIZE];
	char part[E2E_PATH_SIZE];
	mr_register_params p = {.name = "big", .version = "1.0.0"};
	mr_client *c;
	e2e_run r = {0};
	json_object *j;
	uint64_t t0;
	int64_t chunks, reused, sent;
	pid_t pid;

	(void)state;
	e2e_start(&s, "pull-resume");
	e2e_write_random(e2e_path(src, s.dir, "model.bin"), MODEL_SIZE, 3);
	p.path = src;
	c = e2e_client(&s);
	assert_int_equal(mr_register(c, &p, NULL), MR_OK);
	mr_client_close(c);
	e2e_path(out, s.dir, "out");
	assert_int_equal(mkdir(out, 0755), 0);
	e2e_path(dest, out, "model.bin");

	/* Start a pull and kill it once 32 MiB are on disk. */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		freopen("/dev/null", "w", stdout);
		execl(MODELREG_CLI_PATH, "modelreg", "--server", s.url, "pull",
		    "big@1.0.0", dest, (char *)NULL);
		_exit(127);
	}
	t0 = mr_mono_ns();
	while (!partial_artifact(out, part) || written(part) < (32u << 20)) {
		assert_true(mr_mono_ns() - t0 < 60ull * 1000000000);
		usleep(200);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	assert_false(exists(dest));

	/* Again: only the chunks that were not in place travel. */
	E2E_CLI(&s, r, "--json", "pull", "big@1.0.0", dest);
	e2e_expect(&r, 0, NULL, NULL);
	j = e2e_json(&r);
	chunks = e2e_jint(j, "transfer.chunks");
	reused = e2e_jint(j, "transfer.chunks_reused");
	sent = e2e_jint(j, "transfer.chunks_sent");
	assert_true(reused > 0);
	assert_true(sent > 0);
	assert_int_equal(reused + sent, chunks);
	assert_true(same_file(src, dest));
	assert_false(partial_artifact(out, part));
	json_object_put(j);
	e2e_run_free(&r);
	e2e_finish(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        test_pull_killed_halfway_resumes_and_fetches_only_the_rest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
