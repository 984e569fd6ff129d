/*
 * test_gc.c - `modelreg delete` and `modelregd gc` with the real binaries:
 * a version in production is refused and one that is not goes, leaving
 * its number taken; a model goes whole; the running server's collection
 * keeps fresh chunks for its grace period, and an offline collection
 * with no grace frees the deleted version's chunks while the live
 * version still pulls byte for byte.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "e2e.h"
#include "testutil.h"

static void
push(mr_client *c, const char *name, const char *version, const char *src)
{
	mr_register_params p = {.name = name, .version = version, .path = src};

	if (mr_register(c, &p, NULL) != MR_OK)
		fail_msg(
		    "register %s %s: %s", name, version, mr_client_errmsg(c));
}

static void
test_delete_then_gc_frees_the_deleted_version_and_keeps_the_live_one(
    void **state)
{
	char a[E2E_PATH_SIZE], b[E2E_PATH_SIZE], out[4096], args[3 * PATH_MAX];
	e2e_server s;
	e2e_run r = {0};
	mr_client *c;

	(void)state;
	e2e_start(&s, "gc");
	c = e2e_client(&s);
	e2e_write_random(e2e_path(a, s.dir, "a.bin"), 3u << 20, 1);
	e2e_write_random(e2e_path(b, s.dir, "b.bin"), 3u << 20, 2);
	push(c, "fraud", "1.0.0", a);
	push(c, "fraud", "1.1.0", b);
	E2E_CLI(&s, r, "promote", "fraud", "1.1.0", "--to", "staging");
	e2e_expect(&r, 0, NULL, NULL);
	E2E_CLI(&s, r, "promote", "fraud", "1.1.0", "--to", "production");
	e2e_expect(&r, 0, NULL, NULL);

	E2E_CLI(&s, r, "delete", "fraud@1.1.0", "--reason", "x");
	e2e_expect(&r, 1, NULL, "FAILED_PRECONDITION");
	e2e_expect(&r, 1, NULL, "in production");
	E2E_CLI(&s, r, "delete", "fraud@1.0.0");
	e2e_expect(&r, 2, NULL, "--reason");
	E2E_CLI(&s, r, "delete", "fraud@1.0.0", "--reason", "leaked labels");
	e2e_expect(&r, 0, "deleted fraud 1.0.0", NULL);
	E2E_CLI(&s, r, "get", "fraud@1.0.0");
	e2e_expect(&r, 1, NULL, "was deleted");
	E2E_CLI(&s, r, "watch", "fraud", "--since", "5", "--count", "1");
	e2e_expect(&r, 0, "version_deleted", NULL);

	/* Online: just uploaded, so within the server's hour of grace. */
	snprintf(args, sizeof(args), "gc --server %s", s.url);
	assert_int_equal(e2e_modelregd(out, sizeof(out), args), 0);
	assert_non_null(strstr(out, "deleted 0 of"));
	assert_non_null(strstr(out, "grace period of 3600 s"));
	/* Offline needs the store to itself. */
	snprintf(args, sizeof(args), "gc --data %s --grace 0", s.data);
	assert_int_equal(e2e_modelregd(out, sizeof(out), args), 1);
	assert_non_null(strstr(out, "UNAVAILABLE"));

	mr_client_close(c);
	assert_int_equal(e2e_kill(&s, SIGTERM), 0);
	snprintf(
	    args, sizeof(args), "gc --data %s --grace 0 --dry-run", s.data);
	assert_int_equal(e2e_modelregd(out, sizeof(out), args), 0);
	assert_non_null(strstr(out, "would delete"));
	snprintf(args, sizeof(args), "gc --data %s --grace 0", s.data);
	assert_int_equal(e2e_modelregd(out, sizeof(out), args), 0);
	assert_null(strstr(out, "deleted 0 of"));
	assert_non_null(strstr(out, "grace period of 0 s"));
	/* A second pass finds nothing more. */
	assert_int_equal(e2e_modelregd(out, sizeof(out), args), 0);
	assert_non_null(strstr(out, "deleted 0 of"));

	e2e_restart(&s);
	c = e2e_client(&s);
	e2e_expect_pull_identical(c, s.dir, "fraud", "1.1.0", b);
	/* The number stays taken. */
	{
		mr_register_params p = {
		    .name = "fraud", .version = "1.0.0", .path = a};
		assert_int_equal(mr_register(c, &p, NULL), MR_ALREADY_EXISTS);
	}
	mr_client_close(c);
	e2e_run_free(&r);
	e2e_finish(&s);
}

static void
test_delete_of_a_model_removes_it_with_its_versions(void **state)
{
	char a[E2E_PATH_SIZE];
	e2e_server s;
	e2e_run r = {0};
	mr_client *c;

	(void)state;
	e2e_start(&s, "gc-model");
	c = e2e_client(&s);
	e2e_write_random(e2e_path(a, s.dir, "a.bin"), 100000, 3);
	push(c, "churn", "1.0.0", a);
	push(c, "churn", "2.0.0", a);
	mr_client_close(c);

	E2E_CLI(&s, r, "delete", "churn", "--reason", "retired");
	e2e_expect(&r, 0, "deleted model churn and its 2 versions", NULL);
	E2E_CLI(&s, r, "info", "churn");
	e2e_expect(&r, 1, NULL, "NOT_FOUND");
	E2E_CLI(&s, r, "list");
	e2e_expect(&r, 0, NULL, NULL);
	assert_null(strstr(r.out, "churn"));
	E2E_CLI(&s, r, "audit", "log", "churn");
	e2e_expect(&r, 0, "DeleteModel", NULL);
	e2e_run_free(&r);
	e2e_finish(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        test_delete_then_gc_frees_the_deleted_version_and_keeps_the_live_one),
	    cmocka_unit_test(
	        test_delete_of_a_model_removes_it_with_its_versions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
