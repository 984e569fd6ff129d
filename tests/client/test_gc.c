/*
 * test_gc.c - deleting versions and models and collecting their chunks
 * (mr_delete_version, mr_delete_model, mr_collect_garbage) against the
 * real server and RocksDB, with real pushes and pulls: a version's chunks
 * go with it unless a live version shares them; and pushes racing a
 * collector that runs over and over with no grace at all either commit
 * whole (every registered version pulls back, verified, byte for byte)
 * or fail cleanly with FAILED_PRECONDITION.
 */
#include <stdarg.h>
#include <setjmp.h>
#include <stddef.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "realserver.h"
#include "testutil.h"

#define MIB (1u << 20)

/*
 * Writes `path`: `shared` MiB of the bytes every such file has, then
 * `own` MiB of its own (from `seed`). Cut by content, the shared part
 * gives the same chunks in every file.
 */
static void
write_artifact(const char *path, size_t shared, size_t own, uint64_t seed)
{
	size_t len = (shared + own) * MIB;
	uint8_t *b = malloc(len);

	assert_non_null(b);
	tu_fill_random(b, shared * MIB, 4242);
	tu_fill_random(b + shared * MIB, own * MIB, seed);
	rs_write_mode(path, b, len, 0644);
	free(b);
}

static mr_status
push(mr_client *c, const char *name, const char *version, const char *path)
{
	mr_register_params p = {
	    .name = name,
	    .version = version,
	    .path = path,
	};

	return mr_register(c, &p, NULL);
}

/* Pulls name@version to a fresh path and compares it with `src`. */
static bool
pulls_back(mr_client *c, const char *dir, const char *name, const char *version,
    const char *src)
{
	mr_pull_options o = {.overwrite = true};
	char *dest = rs_path(dir, "pulled.bin");
	mr_status rv;
	bool same;

	rv = mr_pull(c, name, version, MR_STAGE_NONE, dest, &o, NULL);
	if (rv != MR_OK)
		print_error("pull %s %s: %s: %s\n", name, version,
		    mr_strerror(rv), mr_client_errmsg(c));
	same = rv == MR_OK && rs_same_file(src, dest);
	free(dest);
	return same;
}

static int
setup(void **state)
{
	return rs_fixture_setup(state, "gc");
}

static int
teardown(void **state)
{
	return rs_fixture_teardown(state);
}

static void
test_gc_frees_a_deleted_versions_own_chunks_and_keeps_shared_ones(void **state)
{
	rs_fixture *f = *state;
	char *a = rs_path(f->s.dir, "a.bin"), *b = rs_path(f->s.dir, "b.bin");
	mr_gc_result r;
	mr_version *v;

	f->s.gc_grace_ms = -1;
	rs_restart(&f->s);
	write_artifact(a, 4, 4, 1);
	write_artifact(b, 4, 4, 2);
	assert_int_equal(push(f->c, "fraud", "1.0.0", a), MR_OK);
	assert_int_equal(push(f->c, "fraud", "2.0.0", b), MR_OK);

	assert_int_equal(mr_delete_version(f->c, "fraud", "1.0.0",
	                     "trained on leaked labels", &v),
	    MR_OK);
	assert_true(v->deleted);
	assert_string_equal(v->deletion_reason, "trained on leaked labels");
	assert_string_equal(v->deleted_by, "alice");
	mr_version_free(v);

	assert_int_equal(mr_collect_garbage(f->c, 0, false, &r), MR_OK);
	assert_true(r.chunks_deleted > 0);
	assert_true(r.kept_referenced > 0);
	assert_int_equal(
	    r.chunks_scanned, r.chunks_deleted + r.kept_referenced);
	/* About 4 MiB went: 1.0.0's own part (chunk boundaries near the
	 * joint differ). */
	assert_true(r.bytes_freed >= 3 * MIB && r.bytes_freed <= 6 * MIB);
	assert_int_equal(r.grace_ms, 0);
	assert_true(pulls_back(f->c, f->s.dir, "fraud", "2.0.0", b));
	assert_int_equal(
	    mr_get_version(f->c, "fraud", "1.0.0", MR_STAGE_NONE, &v),
	    MR_NOT_FOUND);
	/* The deleted number is not free again. */
	assert_int_equal(push(f->c, "fraud", "1.0.0", a), MR_ALREADY_EXISTS);
	free(a);
	free(b);
}

static void
test_delete_model_then_gc_leaves_no_chunk(void **state)
{
	rs_fixture *f = *state;
	char *a = rs_path(f->s.dir, "a.bin");
	size_t n = 0;
	mr_gc_result r;
	mr_model *m;

	f->s.gc_grace_ms = -1;
	rs_restart(&f->s);
	write_artifact(a, 1, 2, 3);
	assert_int_equal(push(f->c, "churn", "1.0.0", a), MR_OK);
	assert_int_equal(push(f->c, "churn", "1.1.0", a), MR_OK);
	/* Refused as the library sees it: an alias is no exact version. */
	assert_int_equal(mr_delete_version(f->c, "churn", "latest", "x", NULL),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(
	    mr_delete_model(f->c, "churn", NULL, NULL), MR_INVALID_ARGUMENT);
	assert_int_equal(mr_delete_model(f->c, "churn", "retired", &n), MR_OK);
	assert_int_equal(n, 2);
	assert_int_equal(mr_get_model(f->c, "churn", &m), MR_NOT_FOUND);
	assert_int_equal(mr_collect_garbage(f->c, 0, false, &r), MR_OK);
	assert_int_equal(r.kept_referenced, 0);
	assert_int_equal(r.chunks_deleted, r.chunks_scanned);
	assert_true(r.chunks_deleted > 0);
	free(a);
}

/* ---- pushes racing a collector ------------------------------------------- */

enum { RACE_VERSIONS = 10, RACE_TRIES = 8 };

struct race {
	rs_fixture *f;
	atomic_bool done;
	int sweeps;
	mr_status sweep_rv;
	char *paths[RACE_VERSIONS];
	bool registered[RACE_VERSIONS], deleted[RACE_VERSIONS];
	int refusals;
	mr_status other; /* a failure other than FAILED_PRECONDITION */
	char other_msg[512];
};

static void *
collector(void *arg)
{
	struct race *rc = arg;
	mr_client *c = rs_client(rc->f->s.url, "ops", 60000, 0);
	mr_gc_result r;

	/* Sweeps come 1 to 80 ms apart: often enough to hit every stage
	 * of an upload, with a gap now and then long enough for a retried
	 * commit (which sends only what went missing) to get through. */
	static const int gap_ms[] = { 1, 5, 1, 20, 1, 80 };

	for (size_t i = 0; !atomic_load(&rc->done); i++) {
		mr_status rv = mr_collect_garbage(c, 0, false, &r);
		if (rv != MR_OK) {
			rc->sweep_rv = rv;
			break;
		}
		rc->sweeps++;
		usleep(1000 * gap_ms[i % (sizeof(gap_ms) / sizeof(gap_ms[0]))]);
	}
	mr_client_close(c);
	return NULL;
}

static void
test_pushes_racing_gc_without_grace_commit_whole_or_fail_cleanly(void **state)
{
	rs_fixture *f = *state;
	struct race *rc = calloc(1, sizeof(*rc));
	pthread_t th;
	int ok = 0;

	assert_non_null(rc);
	rc->f = f;
	f->s.gc_grace_ms = -1;
	rs_restart(&f->s);
	for (int i = 0; i < RACE_VERSIONS; i++) {
		char name[32];
		snprintf(name, sizeof(name), "v%d.bin", i);
		rc->paths[i] = rs_path(f->s.dir, name);
		/* A part all share, and one of its own. */
		write_artifact(rc->paths[i], 2, 1, 100 + (uint64_t)i);
	}
	assert_int_equal(pthread_create(&th, NULL, collector, rc), 0);
	for (int i = 0; i < RACE_VERSIONS; i++) {
		char ver[32];
		mr_status rv = MR_FAILED_PRECONDITION;

		snprintf(ver, sizeof(ver), "1.0.%d", i);
		for (int t = 0; t < RACE_TRIES && rv == MR_FAILED_PRECONDITION;
		     t++) {
			rv = push(f->c, "race", ver, rc->paths[i]);
			if (rv == MR_FAILED_PRECONDITION)
				rc->refusals++;
		}
		if (rv == MR_OK) {
			rc->registered[i] = true;
		} else if (rv != MR_FAILED_PRECONDITION && rc->other == MR_OK) {
			rc->other = rv;
			snprintf(rc->other_msg, sizeof(rc->other_msg), "%s",
			    mr_client_errmsg(f->c));
		}
		/* Garbage for the collector: every other version, once
		 * the next has shared its common part. */
		if (i >= 2 && (i - 2) % 2 == 0 && rc->registered[i - 2]) {
			snprintf(ver, sizeof(ver), "1.0.%d", i - 2);
			assert_int_equal(
			    mr_delete_version(f->c, "race", ver, "churn", NULL),
			    MR_OK);
			rc->deleted[i - 2] = true;
		}
	}
	atomic_store(&rc->done, true);
	assert_int_equal(pthread_join(th, NULL), 0);
	print_message("%d sweeps; %d refused commits were retried\n",
	    rc->sweeps, rc->refusals);
	assert_int_equal(rc->sweep_rv, MR_OK);
	if (rc->other != MR_OK)
		fail_msg("a push failed other than cleanly: %s: %s",
		    mr_strerror(rc->other), rc->other_msg);
	assert_true(rc->sweeps > 0);

	/* Every version committed and not deleted is whole; a last sweep
	 * changes nothing about that. */
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < RACE_VERSIONS; i++) {
			char ver[32];
			if (!rc->registered[i] || rc->deleted[i])
				continue;
			snprintf(ver, sizeof(ver), "1.0.%d", i);
			assert_true(pulls_back(
			    f->c, f->s.dir, "race", ver, rc->paths[i]));
			ok++;
		}
		if (round == 0) {
			mr_gc_result r;
			assert_int_equal(
			    mr_collect_garbage(f->c, 0, false, &r), MR_OK);
		}
	}
	assert_true(ok > 0);
	for (int i = 0; i < RACE_VERSIONS; i++)
		free(rc->paths[i]);
	free(rc);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(
	        test_gc_frees_a_deleted_versions_own_chunks_and_keeps_shared_ones,
	        setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_delete_model_then_gc_leaves_no_chunk, setup, teardown),
	    cmocka_unit_test_setup_teardown(
	        test_pushes_racing_gc_without_grace_commit_whole_or_fail_cleanly,
	        setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
