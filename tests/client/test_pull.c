/*
 * test_pull.c - mr_pull (client/pull.c) against the fake server: what
 * lands where, overwrite rules, and that a bad chunk or a bad manifest
 * leaves nothing behind.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_server.h"
#include "modelreg.h"
#include "ctutil.h"

typedef struct fixture {
	fake_server *srv;
	mr_client *c;
	char *src; /* what we register */
	char *out; /* where we pull to */
} fixture;

static int
setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	const char *url = ct_url();
	mr_client_options o = { .user = "alice", .timeout_ms = 5000,
		.window = 3 };

	f->srv = fake_start(url);
	assert_non_null(f->srv);
	assert_int_equal(mr_client_open(&f->c, url, &o), MR_OK);
	f->src = ct_tmpdir();
	f->out = ct_tmpdir();
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fixture *f = *state;

	mr_client_close(f->c);
	fake_stop(f->srv);
	ct_rmtree(f->src);
	ct_rmtree(f->out);
	free(f->src);
	free(f->out);
	free(f);
	return 0;
}

static void
register_path(fixture *f, const char *name, const char *version,
    const char *path)
{
	mr_register_params p = { .name = name, .version = version,
		.path = path };

	assert_int_equal(mr_register(f->c, &p, NULL), MR_OK);
}

/* A one-file artifact of a few chunks; returns its path. */
static char *
one_file(fixture *f, const char *name, uint32_t seed)
{
	char *path = ct_path(f->src, name);

	ct_write_pattern(path, 2 * MR_CHUNK_SIZE + 12345, seed, 0640);
	register_path(f, "fraud", seed == 1 ? "1.0.0" : "2.0.0", path);
	return path;
}

/* A directory artifact with nesting, an empty file and modes. */
static char *
tree(fixture *f)
{
	char *dir = ct_path(f->src, "tree");
	const char *files[] = { "config.json", "weights/part-0.bin",
		"weights/part-1.bin", "bin/run.sh", "empty" };
	mode_t modes[] = { 0644, 0600, 0600, 0755, 0644 };
	size_t sizes[] = { 300, MR_CHUNK_SIZE + 1, 5, 40, 0 };

	for (int i = 0; i < 5; i++) {
		char *p = ct_path(dir, files[i]);
		ct_write_pattern(p, sizes[i], (uint32_t)i + 10, modes[i]);
		free(p);
	}
	register_path(f, "ranker", "1.0.0", dir);
	return dir;
}

static void
assert_same_tree(const char *a, const char *b)
{
	const char *files[] = { "config.json", "weights/part-0.bin",
		"weights/part-1.bin", "bin/run.sh", "empty" };

	for (int i = 0; i < 5; i++) {
		char *x = ct_path(a, files[i]), *y = ct_path(b, files[i]);
		struct stat sx, sy;

		assert_true(ct_same_file(x, y));
		assert_int_equal(stat(x, &sx), 0);
		assert_int_equal(stat(y, &sy), 0);
		assert_int_equal(sx.st_mode & 0777, sy.st_mode & 0777);
		free(x);
		free(y);
	}
}

static void
test_pull_file_artifact_is_written_to_dest(void **state)
{
	fixture *f = *state;
	char *src = one_file(f, "model.bin", 1);
	char *dest = ct_path(f->out, "copy.bin");
	const mr_transfer_stats *s;
	struct stat st;
	mr_version *v;

	assert_int_equal(mr_pull(f->c, "fraud", "1.0.0", MR_STAGE_NONE, dest,
			     NULL, &v),
	    MR_OK);
	assert_true(ct_same_file(src, dest));
	assert_int_equal(stat(dest, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_string_equal(v->version, "1.0.0");
	s = mr_client_transfer_stats(f->c);
	assert_int_equal(s->files, 1);
	assert_int_equal(s->chunks, 3);
	assert_int_equal(s->chunks_sent, 3);
	assert_int_equal(s->bytes, 2 * MR_CHUNK_SIZE + 12345);
	assert_int_equal(ct_count_entries(f->out, "mr-tmp"), 0);
	mr_version_free(v);
	free(src);
	free(dest);
}

static void
test_pull_file_artifact_into_a_directory_keeps_its_name(void **state)
{
	fixture *f = *state;
	char *src = one_file(f, "model.bin", 1);
	char *dest = ct_path(f->out, "model.bin");

	assert_int_equal(mr_pull(f->c, "fraud", NULL, MR_STAGE_DEV, f->out,
			     NULL, NULL),
	    MR_OK);
	assert_true(ct_same_file(src, dest));
	free(src);
	free(dest);
}

static void
test_pull_directory_artifact_recreates_tree_and_modes(void **state)
{
	fixture *f = *state;
	char *src = tree(f);
	char *dest = ct_path(f->out, "ranker");

	assert_int_equal(mr_pull(f->c, "ranker", "1.0.0", MR_STAGE_NONE, dest,
			     NULL, NULL),
	    MR_OK);
	assert_same_tree(src, dest);
	assert_int_equal(mr_client_transfer_stats(f->c)->files, 5);
	assert_int_equal(ct_count_entries(f->out, "mr-tmp"), 0);
	free(src);
	free(dest);
}

static void
test_pull_over_an_existing_destination_is_already_exists(void **state)
{
	fixture *f = *state;
	char *src = one_file(f, "model.bin", 1);
	char *dest = ct_path(f->out, "copy.bin");
	size_t len;
	uint8_t *data;

	ct_write(dest, "keep me", 7, 0644);
	assert_int_equal(mr_pull(f->c, "fraud", "1.0.0", MR_STAGE_NONE, dest,
			     NULL, NULL),
	    MR_ALREADY_EXISTS);
	assert_non_null(strstr(mr_client_errmsg(f->c), dest));
	data = ct_read(dest, &len);
	assert_int_equal(len, 7);
	assert_memory_equal(data, "keep me", 7);
	assert_int_equal(fake_stats_of(f->srv)->get_chunk, 0);
	free(data);
	free(src);
	free(dest);
}

static void
test_pull_with_overwrite_replaces_files_and_directories(void **state)
{
	fixture *f = *state;
	char *src = one_file(f, "model.bin", 1);
	char *dir = tree(f);
	char *dest = ct_path(f->out, "thing");
	char *stale = ct_path(dest, "stale.txt");
	char *inside = ct_path(dest, "model.bin");
	char *file = ct_path(f->out, "model-copy.bin");
	mr_pull_options o = { .overwrite = true };

	/* A directory replaces a file... */
	ct_write(dest, "old", 3, 0644);
	assert_int_equal(mr_pull(f->c, "ranker", "1.0.0", MR_STAGE_NONE, dest,
			     &o, NULL),
	    MR_OK);
	assert_same_tree(dir, dest);
	/* ... a directory replaces a directory, leaving nothing stale ... */
	ct_write(stale, "x", 1, 0644);
	assert_int_equal(mr_pull(f->c, "ranker", "1.0.0", MR_STAGE_NONE, dest,
			     &o, NULL),
	    MR_OK);
	assert_false(ct_exists(stale));
	assert_same_tree(dir, dest);
	/* ... a one-file artifact goes into a directory, twice ... */
	assert_int_equal(mr_pull(f->c, "fraud", "1.0.0", MR_STAGE_NONE, dest,
			     &o, NULL),
	    MR_OK);
	assert_true(ct_same_file(src, inside));
	assert_int_equal(mr_pull(f->c, "fraud", "1.0.0", MR_STAGE_NONE, dest,
			     &o, NULL),
	    MR_OK);
	assert_true(ct_same_file(src, inside));
	/* ... and replaces a file. */
	ct_write(file, "old", 3, 0644);
	assert_int_equal(mr_pull(f->c, "fraud", "1.0.0", MR_STAGE_NONE, file,
			     &o, NULL),
	    MR_OK);
	assert_true(ct_same_file(src, file));
	assert_int_equal(ct_count_entries(f->out, "mr-tmp"), 0);
	assert_int_equal(ct_count_entries(dest, "mr-tmp"), 0);
	free(src);
	free(dir);
	free(dest);
	free(stale);
	free(inside);
	free(file);
}

static void
test_pull_corrupt_chunk_is_data_loss_and_leaves_nothing(void **state)
{
	fixture *f = *state;
	char *src = one_file(f, "model.bin", 1);
	char *dest = ct_path(f->out, "copy.bin");

	fake_knobs_of(f->srv)->corrupt_chunks = true;
	assert_int_equal(mr_pull(f->c, "fraud", "1.0.0", MR_STAGE_NONE, dest,
			     NULL, NULL),
	    MR_DATA_LOSS);
	assert_non_null(strstr(mr_client_errmsg(f->c), "model.bin"));
	assert_non_null(strstr(mr_client_errmsg(f->c), "chunk 0"));
	assert_false(ct_exists(dest));
	assert_int_equal(ct_count_entries(f->out, "mr-tmp"), 0);
	free(src);
	free(dest);
}

static void
test_pull_manifest_path_that_escapes_is_refused_first(void **state)
{
	fixture *f = *state;
	char *dir = tree(f);
	char *dest = ct_path(f->out, "ranker");

	fake_knobs_of(f->srv)->evil_path = "../escape";
	assert_int_equal(mr_pull(f->c, "ranker", "1.0.0", MR_STAGE_NONE, dest,
			     NULL, NULL),
	    MR_DATA_LOSS);
	assert_non_null(strstr(mr_client_errmsg(f->c), "../escape"));
	assert_false(ct_exists(dest));
	assert_int_equal(ct_count_entries(f->out, ""), 2); /* . and .. */
	assert_int_equal(fake_stats_of(f->srv)->get_chunk, 0);
	free(dir);
	free(dest);
}

static void
test_pull_of_an_empty_file_creates_it(void **state)
{
	fixture *f = *state;
	char *src = ct_path(f->src, "empty.bin");
	char *dest = ct_path(f->out, "empty.bin");
	size_t len = 1;
	uint8_t *data;

	ct_write(src, "", 0, 0644);
	register_path(f, "blank", "1.0.0", src);
	assert_int_equal(mr_pull(f->c, "blank", "1.0.0", MR_STAGE_NONE, dest,
			     NULL, NULL),
	    MR_OK);
	data = ct_read(dest, &len);
	assert_non_null(data);
	assert_int_equal(len, 0);
	free(data);
	free(src);
	free(dest);
}

static void
test_pull_into_a_missing_directory_is_not_found(void **state)
{
	fixture *f = *state;
	char *src = one_file(f, "model.bin", 1);
	char *dest = ct_path(f->out, "no/such/dir/model.bin");

	assert_int_equal(mr_pull(f->c, "fraud", "1.0.0", MR_STAGE_NONE, dest,
			     NULL, NULL),
	    MR_NOT_FOUND);
	free(src);
	free(dest);
}

static void
test_pull_of_an_unknown_version_is_not_found(void **state)
{
	fixture *f = *state;
	char *dest = ct_path(f->out, "x");

	assert_int_equal(mr_pull(f->c, "fraud", "9.9.9", MR_STAGE_NONE, dest,
			     NULL, NULL),
	    MR_NOT_FOUND);
	assert_false(ct_exists(dest));
	assert_int_equal(mr_pull(f->c, "fraud", "9.9", MR_STAGE_NONE, dest,
			     NULL, NULL),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(mr_pull(f->c, "fraud", NULL, MR_STAGE_NONE, "",
			     NULL, NULL),
	    MR_INVALID_ARGUMENT);
	free(dest);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_pull_file_artifact_is_written_to_dest),
		T(test_pull_file_artifact_into_a_directory_keeps_its_name),
		T(test_pull_directory_artifact_recreates_tree_and_modes),
		T(test_pull_over_an_existing_destination_is_already_exists),
		T(test_pull_with_overwrite_replaces_files_and_directories),
		T(test_pull_corrupt_chunk_is_data_loss_and_leaves_nothing),
		T(test_pull_manifest_path_that_escapes_is_refused_first),
		T(test_pull_of_an_empty_file_creates_it),
		T(test_pull_into_a_missing_directory_is_not_found),
		T(test_pull_of_an_unknown_version_is_not_found),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
