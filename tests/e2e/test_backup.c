/*
 * test_backup.c - `modelregd backup` and `modelregd restore` with the real
 * binaries: a backup taken while versions are being registered restores
 * to exactly the revision it reports, with every version it covers
 * pulling byte for byte and none it does not; and bad input is refused
 * without changing anything.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "e2e.h"
#include "store.h"
#include "testutil.h"

#define N_BASE 10
#define LOAD_MAX 200

struct loader {
	const e2e_server *s;
	atomic_int acked; /* versions 0.0.1 .. 0.0.acked were acknowledged */
	atomic_bool stop;
	atomic_bool done; /* the loader returned */
	uint64_t rev[LOAD_MAX + 1]; /* revision of each acknowledged one */
};

static void
load_src(const char *dir, int i, char *out, size_t cap)
{
	snprintf(out, cap, "%s/load-%d.bin", dir, i);
}

static void *
loader_main(void *arg)
{
	struct loader *l = arg;
	mr_client_options o = { .timeout_ms = 30000 };
	char version[16], src[PATH_MAX + 32];
	mr_client *c;

	if (mr_client_open(&c, l->s->url, &o) != MR_OK) {
		atomic_store(&l->done, true);
		return NULL;
	}
	for (int i = 1; i <= LOAD_MAX && !atomic_load(&l->stop); i++) {
		mr_register_params p = { .name = "load", .path = src };

		load_src(l->s->dir, i, src, sizeof(src));
		e2e_write_random(src, (1u << 20) + (size_t)i * 4099,
		    1000 + (uint64_t)i);
		snprintf(version, sizeof(version), "0.0.%d", i);
		p.version = version;
		if (mr_register(c, &p, NULL) != MR_OK)
			break;
		l->rev[i] = mr_client_revision(c);
		atomic_store(&l->acked, i);
	}
	mr_client_close(c);
	atomic_store(&l->done, true);
	return NULL;
}

static void
test_backup_under_load_restores_every_version_byte_for_byte(void **state)
{
	e2e_server s, r;
	char src[N_BASE][PATH_MAX + 32], version[16], out[4096];
	char backup[PATH_MAX + 32], data2[PATH_MAX + 32], args[3 * PATH_MAX];
	struct loader *l = calloc(1, sizeof(*l));
	uint64_t rev = 0, restored_rev = 0;
	int acked_before, acked, covered = 0;
	pthread_t t;
	mr_client *c;
	store *st;
	mr_err e;
	char *at;

	(void)state;
	e2e_start(&s, "backup");
	c = e2e_client(&s);
	for (int i = 0; i < N_BASE; i++) {
		mr_register_params p = { .name = "base", .path = src[i] };
		snprintf(src[i], sizeof(src[i]), "%s/base-%d.bin", s.dir, i);
		e2e_write_random(src[i], (1u << 20) + (size_t)i * 209715,
		    (uint64_t)i + 1);
		snprintf(version, sizeof(version), "1.%d.0", i);
		p.version = version;
		assert_int_equal(mr_register(c, &p, NULL), MR_OK);
	}

	/* Load: registrations go on while the backup is taken. */
	l->s = &s;
	assert_int_equal(pthread_create(&t, NULL, loader_main, l), 0);
	while (atomic_load(&l->acked) < 3 && !atomic_load(&l->done))
		usleep(5 * 1000);
	assert_false(atomic_load(&l->done));
	acked_before = atomic_load(&l->acked);
	e2e_path(backup, s.dir, "backup");
	assert_int_equal(mr_backup(c, backup, &rev), MR_OK);
	while (atomic_load(&l->acked) < acked_before + 6 &&
	    !atomic_load(&l->done))
		usleep(5 * 1000);
	atomic_store(&l->stop, true);
	pthread_join(t, NULL);
	acked = atomic_load(&l->acked);
	assert_true(rev >= l->rev[acked_before]);
	assert_true(rev < l->rev[acked]);
	mr_client_close(c);
	assert_int_equal(e2e_kill(&s, SIGTERM), 0);

	/* Restore into a new data directory. */
	e2e_path(data2, s.dir, "data2");
	snprintf(args, sizeof(args), "restore %s --data %s", backup, data2);
	assert_int_equal(e2e_modelregd(out, sizeof(out), args), 0);
	assert_non_null(at = strstr(out, "restored revision "));
	restored_rev = strtoull(at + strlen("restored revision "), NULL, 10);
	assert_int_equal(restored_rev, rev);

	/* A server on it has every version the backup covers, and none
	 * registered after its revision. */
	r = s;
	assert_true(strlen(data2) < sizeof(r.data));
	memcpy(r.data, data2, strlen(data2) + 1);
	snprintf(r.url, sizeof(r.url), "ipc://%s/restored.sock", s.dir);
	e2e_restart(&r);
	c = e2e_client(&r);
	for (int i = 0; i < N_BASE; i++) {
		snprintf(version, sizeof(version), "1.%d.0", i);
		e2e_expect_pull_identical(c, s.dir, "base", version, src[i]);
	}
	for (int i = 1; i <= acked; i++) {
		char lsrc[PATH_MAX + 32];
		mr_version *v = NULL;
		mr_status rv;

		snprintf(version, sizeof(version), "0.0.%d", i);
		rv = mr_get_version(c, "load", version, MR_STAGE_NONE, &v);
		mr_version_free(v);
		if (l->rev[i] > rev) {
			assert_int_equal(rv, MR_NOT_FOUND);
			continue;
		}
		assert_int_equal(rv, MR_OK);
		load_src(s.dir, i, lsrc, sizeof(lsrc));
		e2e_expect_pull_identical(c, s.dir, "load", version, lsrc);
		covered++;
	}
	assert_true(covered >= acked_before);
	mr_client_close(c);
	assert_int_equal(e2e_kill(&r, SIGTERM), 0);

	/* The restored registry's revision is the backup's. */
	assert_int_equal(store_open(&st, data2, &e), MR_OK);
	assert_int_equal(store_revision(st), rev);
	store_close(st);
	free(l);
	tu_rmtree(s.dir);
}

static void
test_backup_refuses_relative_existing_and_orphan_dirs(void **state)
{
	e2e_server s;
	char dir[E2E_PATH_SIZE], file[E2E_PATH_SIZE + 16], out[4096];
	char args[3 * PATH_MAX];
	mr_register_params p = { .name = "m", .version = "1.0.0" };
	uint64_t rev = 0;
	mr_client *c;

	(void)state;
	e2e_start(&s, "backupbad");
	c = e2e_client(&s);
	e2e_path(file, s.dir, "m.bin");
	e2e_write_random(file, 100000, 7);
	p.path = file;
	assert_int_equal(mr_register(c, &p, NULL), MR_OK);

	assert_int_equal(mr_backup(c, "relative/dir", &rev), MR_INVALID_ARGUMENT);
	assert_non_null(strstr(mr_client_errmsg(c), "absolute"));
	assert_int_equal(mr_backup(c, "", &rev), MR_INVALID_ARGUMENT);

	/* Existing and not empty: refused, and left alone. */
	e2e_path(dir, s.dir, "full");
	assert_int_equal(mkdir(dir, 0755), 0);
	snprintf(file, sizeof(file), "%s/keep", dir);
	tu_write_file(file, "x", 1);
	assert_int_equal(mr_backup(c, dir, &rev), MR_ALREADY_EXISTS);
	assert_int_equal(access(file, F_OK), 0);

	/* Only below the server's --backup-root (the test's directory). */
	assert_int_equal(mr_backup(c, "/tmp/modelreg-outside-root", &rev),
	    MR_PERMISSION_DENIED);
	assert_non_null(strstr(mr_client_errmsg(c), "backup root"));
	snprintf(file, sizeof(file), "%s/../escaped", s.dir);
	assert_int_equal(mr_backup(c, file, &rev), MR_PERMISSION_DENIED);
	snprintf(file, sizeof(file), "%s/..", s.dir);
	assert_int_equal(mr_backup(c, file, &rev), MR_INVALID_ARGUMENT);

	/* A parent that does not exist. */
	e2e_path(dir, s.dir, "no/such/dir");
	assert_int_equal(mr_backup(c, dir, &rev), MR_FAILED_PRECONDITION);

	/* An empty directory is fine, and so is a trailing slash. */
	e2e_path(dir, s.dir, "empty/");
	assert_int_equal(mkdir(dir, 0755), 0);
	assert_int_equal(mr_backup(c, dir, &rev), MR_OK);
	assert_true(rev > 0);
	/* ...but not twice. */
	assert_int_equal(mr_backup(c, dir, &rev), MR_ALREADY_EXISTS);
	mr_client_close(c);

	/* The command line says why. */
	snprintf(args, sizeof(args), "backup rel/x --server %s", s.url);
	assert_int_equal(e2e_modelregd(out, sizeof(out), args), 1);
	assert_non_null(strstr(out, "INVALID_ARGUMENT"));
	e2e_finish(&s);
}

static void
test_restore_into_non_empty_dir_needs_force(void **state)
{
	e2e_server s;
	char backup[E2E_PATH_SIZE], data2[E2E_PATH_SIZE], out[4096];
	char file[E2E_PATH_SIZE + 16], args[3 * PATH_MAX], *at;
	mr_register_params p = { .name = "m", .version = "1.0.0" };
	struct stat sb;
	uint64_t rev = 0;
	mr_client *c;

	(void)state;
	e2e_start(&s, "restorebad");
	c = e2e_client(&s);
	e2e_path(file, s.dir, "m.bin");
	e2e_write_random(file, 100000, 9);
	p.path = file;
	assert_int_equal(mr_register(c, &p, NULL), MR_OK);
	e2e_path(backup, s.dir, "bk");
	assert_int_equal(mr_backup(c, backup, &rev), MR_OK);
	mr_client_close(c);

	/* Not a backup. */
	e2e_path(data2, s.dir, "d2");
	snprintf(args, sizeof(args), "restore %s --data %s", s.dir, data2);
	assert_int_equal(e2e_modelregd(out, sizeof(out), args), 1);
	assert_non_null(strstr(out, "not a backup"));
	assert_int_equal(stat(data2, &sb), -1);

	/* A non-empty data directory: refused and untouched... */
	assert_int_equal(mkdir(data2, 0755), 0);
	snprintf(file, sizeof(file), "%s/precious", data2);
	tu_write_file(file, "y", 1);
	snprintf(args, sizeof(args), "restore %s --data %s", backup, data2);
	assert_int_equal(e2e_modelregd(out, sizeof(out), args), 1);
	assert_non_null(strstr(out, "ALREADY_EXISTS"));
	assert_int_equal(access(file, F_OK), 0);

	/* ...unless --force, which moves it aside. */
	snprintf(args, sizeof(args), "restore %s --data %s --force", backup,
	    data2);
	assert_int_equal(e2e_modelregd(out, sizeof(out), args), 0);
	assert_non_null(at = strstr(out, "moved the old data directory to "));
	{
		char aside[E2E_PATH_SIZE + 64];
		char *nl;
		snprintf(aside, sizeof(aside), "%s",
		    at + strlen("moved the old data directory to "));
		if ((nl = strchr(aside, '\n')) != NULL)
			*nl = '\0';
		assert_non_null(strstr(aside, ".before-restore-"));
		strcat(aside, "/precious");
		assert_int_equal(access(aside, F_OK), 0);
	}
	assert_int_equal(access(file, F_OK), -1);
	snprintf(args, sizeof(args), "restored revision %llu",
	    (unsigned long long)rev);
	assert_non_null(strstr(out, args));

	/* The live data directory cannot be backed up offline while the
	 * server has it open. */
	snprintf(args, sizeof(args), "backup %s/offline --data %s", s.dir,
	    s.data);
	assert_int_equal(e2e_modelregd(out, sizeof(out), args), 1);
	assert_non_null(strstr(out, "UNAVAILABLE"));
	e2e_finish(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_backup_under_load_restores_every_version_byte_for_byte),
		cmocka_unit_test(
		    test_backup_refuses_relative_existing_and_orphan_dirs),
		cmocka_unit_test(test_restore_into_non_empty_dir_needs_force),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
