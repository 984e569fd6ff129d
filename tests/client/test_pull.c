/*
 * test_pull.c - mr_pull (client/pull.c) against the real registry: what
 * lands where, the overwrite rules, and that nothing appears at the
 * destination unless every byte checked out. Bad data comes from the
 * server's own store, damaged the ways storage can go wrong: a chunk's
 * bytes flipped at rest in RocksDB, a chunk stored under a digest its
 * bytes do not have, a manifest rewritten to name a path outside the
 * destination. A tap between client and server (wire.c) shows whether
 * any chunk was fetched.
 */
#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cdc.h"
#include "realserver.h"
#include "testutil.h"
#include "wire.h"

/* tu_fill_random(1) bytes that the client cuts into three chunks. */
#define ONE_FILE_SIZE 2500000

typedef struct fixture {
	rs_server s;
	wr_tap *tap;
	char url[64];
	mr_client *c;       /* through the tap, 3 calls in flight */
	char *src;          /* what we register, under the server's dir */
	char out[PATH_MAX]; /* where we pull to */
} fixture;

static int
setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));

	rs_start(&f->s, "pull", NULL);
	wr_url(f->url, "pull-tap");
	f->tap = wr_tap_start(f->url, f->s.url);
	f->c = rs_client(f->url, "alice", 30000, 3);
	f->src = rs_path(f->s.dir, "src");
	assert_int_equal(mkdir(f->src, 0755), 0);
	tu_mkdtemp(f->out, "pull-out");
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fixture *f = *state;

	mr_client_close(f->c);
	wr_tap_stop(f->tap);
	rs_finish(&f->s);
	tu_rmtree(f->out);
	free(f->src);
	free(f);
	return 0;
}

static void
register_path(
    fixture *f, const char *name, const char *version, const char *path)
{
	mr_register_params p = {.name = name, .version = version, .path = path};

	if (mr_register(f->c, &p, NULL) != MR_OK)
		fail_msg("register: %s", mr_client_errmsg(f->c));
}

/* A one-file artifact of three chunks, registered as fraud@1.0.0. */
static char *
one_file(fixture *f)
{
	char *path = rs_path(f->src, "model.bin");

	rs_write_random(path, ONE_FILE_SIZE, 1, 0640);
	register_path(f, "fraud", "1.0.0", path);
	return path;
}

static const char *const tree_files[] = {"config.json", "weights/part-0.bin",
    "weights/part-1.bin", "bin/run.sh", "empty"};

/* A directory artifact with nesting, an empty file and modes, registered
 * as ranker@1.0.0. */
static char *
tree(fixture *f)
{
	char *dir = rs_path(f->src, "tree");
	mode_t modes[] = {0644, 0600, 0600, 0755, 0644};
	size_t sizes[] = {300, MR_CHUNK_SIZE + 1, 5, 40, 0};

	for (int i = 0; i < 5; i++) {
		char *p = rs_path(dir, tree_files[i]);
		rs_write_random(p, sizes[i], (uint64_t)i + 10, modes[i]);
		free(p);
	}
	register_path(f, "ranker", "1.0.0", dir);
	return dir;
}

static void
assert_same_tree(const char *a, const char *b)
{
	for (int i = 0; i < 5; i++) {
		char *x = rs_path(a, tree_files[i]),
		     *y = rs_path(b, tree_files[i]);
		struct stat sx, sy;

		assert_true(rs_same_file(x, y));
		assert_int_equal(stat(x, &sx), 0);
		assert_int_equal(stat(y, &sy), 0);
		assert_int_equal(sx.st_mode & 0777, sy.st_mode & 0777);
		free(x);
		free(y);
	}
}

/* Entries of `dir` (without . and ..) whose name contains `part`. */
static int
count_entries(const char *dir, const char *part)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 &&
		    strcmp(de->d_name, "..") != 0 &&
		    strstr(de->d_name, part) != NULL)
			n++;
	closedir(d);
	return n;
}

static void
test_pull_file_artifact_is_written_to_dest(void **state)
{
	fixture *f = *state;
	char *src = one_file(f);
	char *dest = rs_path(f->out, "copy.bin");
	const mr_transfer_stats *s;
	struct stat st;
	mr_version *v;

	wr_tap_reset(f->tap);
	assert_int_equal(
	    mr_pull(f->c, "fraud", "1.0.0", MR_STAGE_NONE, dest, NULL, &v),
	    MR_OK);
	assert_true(rs_same_file(src, dest));
	assert_int_equal(stat(dest, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_string_equal(v->version, "1.0.0");
	assert_int_equal(v->n_files, 1);
	s = mr_client_transfer_stats(f->c);
	assert_int_equal(s->files, 1);
	assert_int_equal(s->chunks, 3);
	assert_int_equal(s->chunks_sent, 3);
	assert_int_equal(s->bytes, ONE_FILE_SIZE);
	assert_int_equal(wr_tap_calls(f->tap, "GetVersion"), 1);
	assert_int_equal(wr_tap_calls(f->tap, "GetChunk"), 3);
	assert_int_equal(count_entries(f->out, ""), 1);
	mr_version_free(v);
	free(src);
	free(dest);
}

static void
test_pull_file_artifact_into_a_directory_keeps_its_name(void **state)
{
	fixture *f = *state;
	char *src = one_file(f);
	char *dest = rs_path(f->out, "model.bin");

	assert_int_equal(
	    mr_pull(f->c, "fraud", NULL, MR_STAGE_DEV, f->out, NULL, NULL),
	    MR_OK);
	assert_true(rs_same_file(src, dest));
	assert_int_equal(count_entries(f->out, ""), 1);
	free(src);
	free(dest);
}

static void
test_pull_by_stage_gets_the_version_in_that_stage(void **state)
{
	fixture *f = *state;
	char *a = rs_path(f->src, "a.bin"), *b = rs_path(f->src, "b.bin");
	char *dest = rs_path(f->out, "serving.bin");
	mr_version *v;

	rs_write_random(a, 5000, 1, 0644);
	rs_write_random(b, 6000, 2, 0644);
	register_path(f, "fraud", "1.0.0", a);
	register_path(f, "fraud", "2.0.0", b);
	assert_int_equal(mr_promote(f->c, "fraud", "1.0.0", MR_STAGE_STAGING,
	                     MR_STAGE_NONE, "ok", NULL),
	    MR_OK);
	assert_int_equal(mr_promote(f->c, "fraud", "1.0.0", MR_STAGE_PRODUCTION,
	                     MR_STAGE_NONE, "ok", NULL),
	    MR_OK);
	assert_int_equal(
	    mr_pull(f->c, "fraud", NULL, MR_STAGE_PRODUCTION, dest, NULL, &v),
	    MR_OK);
	assert_string_equal(v->version, "1.0.0");
	assert_true(rs_same_file(a, dest));
	mr_version_free(v);
	/* No selector: the highest version. */
	unlink(dest);
	assert_int_equal(
	    mr_pull(f->c, "fraud", NULL, MR_STAGE_NONE, dest, NULL, NULL),
	    MR_OK);
	assert_true(rs_same_file(b, dest));
	free(a);
	free(b);
	free(dest);
}

static void
test_pull_directory_artifact_recreates_tree_and_modes(void **state)
{
	fixture *f = *state;
	char *src = tree(f);
	char *dest = rs_path(f->out, "ranker");

	assert_int_equal(
	    mr_pull(f->c, "ranker", "1.0.0", MR_STAGE_NONE, dest, NULL, NULL),
	    MR_OK);
	assert_same_tree(src, dest);
	assert_int_equal(mr_client_transfer_stats(f->c)->files, 5);
	assert_int_equal(count_entries(f->out, ""), 1);
	free(src);
	free(dest);
}

static void
test_pull_over_an_existing_destination_is_already_exists_and_fetches_nothing(
    void **state)
{
	fixture *f = *state;
	char *src = one_file(f);
	char *dest = rs_path(f->out, "copy.bin");
	size_t len;
	char *data;

	rs_write_mode(dest, "keep me", 7, 0644);
	wr_tap_reset(f->tap);
	assert_int_equal(
	    mr_pull(f->c, "fraud", "1.0.0", MR_STAGE_NONE, dest, NULL, NULL),
	    MR_ALREADY_EXISTS);
	assert_non_null(strstr(mr_client_errmsg(f->c), dest));
	data = tu_read_file(dest, &len);
	assert_int_equal(len, 7);
	assert_memory_equal(data, "keep me", 7);
	assert_int_equal(wr_tap_calls(f->tap, "GetChunk"), 0);
	assert_int_equal(count_entries(f->out, ""), 1);
	free(data);
	free(src);
	free(dest);
}

static void
test_pull_with_overwrite_replaces_files_and_directories(void **state)
{
	fixture *f = *state;
	char *src = one_file(f);
	char *dir = tree(f);
	char *dest = rs_path(f->out, "thing");
	char *stale = rs_path(dest, "stale.txt");
	char *inside = rs_path(dest, "model.bin");
	char *file = rs_path(f->out, "model-copy.bin");
	mr_pull_options o = {.overwrite = true};

	/* A directory replaces a file... */
	rs_write_mode(dest, "old", 3, 0644);
	assert_int_equal(
	    mr_pull(f->c, "ranker", "1.0.0", MR_STAGE_NONE, dest, &o, NULL),
	    MR_OK);
	assert_same_tree(dir, dest);
	/* ... a directory replaces a directory, leaving nothing stale ... */
	rs_write_mode(stale, "x", 1, 0644);
	assert_int_equal(
	    mr_pull(f->c, "ranker", "1.0.0", MR_STAGE_NONE, dest, &o, NULL),
	    MR_OK);
	assert_false(rs_exists(stale));
	assert_same_tree(dir, dest);
	/* ... a one-file artifact goes into a directory, twice ... */
	assert_int_equal(
	    mr_pull(f->c, "fraud", "1.0.0", MR_STAGE_NONE, dest, &o, NULL),
	    MR_OK);
	assert_true(rs_same_file(src, inside));
	assert_int_equal(
	    mr_pull(f->c, "fraud", "1.0.0", MR_STAGE_NONE, dest, &o, NULL),
	    MR_OK);
	assert_true(rs_same_file(src, inside));
	/* ... and replaces a file. */
	rs_write_mode(file, "old", 3, 0644);
	assert_int_equal(
	    mr_pull(f->c, "fraud", "1.0.0", MR_STAGE_NONE, file, &o, NULL),
	    MR_OK);
	assert_true(rs_same_file(src, file));
	assert_int_equal(count_entries(f->out, "mr-tmp"), 0);
	assert_int_equal(count_entries(dest, "mr-tmp"), 0);
	free(src);
	free(dir);
	free(dest);
	free(stale);
	free(inside);
	free(file);
}

static void
test_pull_of_damaged_chunk_is_data_loss_and_writes_nothing(void **state)
{
	fixture *f = *state;
	char *src = one_file(f);
	char *dest = rs_path(f->out, "copy.bin");
	char *old = rs_path(f->out, "old.bin");
	mr_pull_options o = {.overwrite = true};
	size_t len;
	char *data;

	assert_int_equal(rs_damage_chunks(&f->s), 3);
	assert_int_equal(
	    mr_pull(f->c, "fraud", "1.0.0", MR_STAGE_NONE, dest, NULL, NULL),
	    MR_DATA_LOSS);
	assert_non_null(strstr(mr_client_errmsg(f->c), "chunk 0 of model.bin"));
	assert_non_null(strstr(mr_client_errmsg(f->c), "digest"));
	assert_false(rs_exists(dest));
	assert_int_equal(count_entries(f->out, ""), 0);
	/* Overwriting keeps what was there. */
	rs_write_mode(old, "previous", 8, 0644);
	assert_int_equal(
	    mr_pull(f->c, "fraud", "1.0.0", MR_STAGE_NONE, old, &o, NULL),
	    MR_DATA_LOSS);
	data = tu_read_file(old, &len);
	assert_int_equal(len, 8);
	assert_memory_equal(data, "previous", 8);
	assert_int_equal(count_entries(f->out, ""), 1);
	free(data);
	free(src);
	free(dest);
	free(old);
}

static void
test_pull_of_chunk_stored_under_another_digest_is_data_loss_and_writes_nothing(
    void **state)
{
	fixture *f = *state;
	char *src = rs_path(f->src, "model.bin");
	char *dest = rs_path(f->out, "copy.bin");
	uint8_t *buf = malloc(ONE_FILE_SIZE), *other;
	uint8_t digest[MR_DIGEST_LEN];
	size_t first, second;

	/* The registry already holds other bytes under the name of the
	 * file's second chunk, so the upload skips that chunk. */
	tu_fill_random(buf, ONE_FILE_SIZE, 1);
	rs_write_mode(src, buf, ONE_FILE_SIZE, 0644);
	first = mr_cdc_cut(buf, ONE_FILE_SIZE, true);
	second = mr_cdc_cut(buf + first, ONE_FILE_SIZE - first, true);
	rs_sha256(buf + first, second, digest);
	other = malloc(second);
	tu_fill_random(other, second, 2);
	rs_plant_chunk(&f->s, digest, other, second);
	register_path(f, "fraud", "1.0.0", src);
	assert_int_equal(wr_tap_calls(f->tap, "PutChunk"), 2);

	assert_int_equal(
	    mr_pull(f->c, "fraud", "1.0.0", MR_STAGE_NONE, dest, NULL, NULL),
	    MR_DATA_LOSS);
	assert_non_null(strstr(mr_client_errmsg(f->c), "chunk 1 of model.bin"));
	assert_false(rs_exists(dest));
	assert_int_equal(count_entries(f->out, ""), 0);
	free(buf);
	free(other);
	free(src);
	free(dest);
}

static void
test_pull_refuses_a_manifest_path_that_escapes_before_fetching(void **state)
{
	fixture *f = *state;
	const char *evil[] = {"../escape", "/tmp/absolute", "bin/../../up"};
	char *dir = tree(f);
	char *dest = rs_path(f->out, "ranker");

	for (size_t i = 0; i < sizeof(evil) / sizeof(evil[0]); i++) {
		rs_set_manifest_path(&f->s, "ranker", "1.0.0", 0, evil[i]);
		wr_tap_reset(f->tap);
		assert_int_equal(mr_pull(f->c, "ranker", "1.0.0", MR_STAGE_NONE,
		                     dest, NULL, NULL),
		    MR_DATA_LOSS);
		assert_non_null(strstr(mr_client_errmsg(f->c), evil[i]));
		assert_int_equal(wr_tap_calls(f->tap, "GetVersion"), 1);
		assert_int_equal(wr_tap_calls(f->tap, "GetChunk"), 0);
		assert_false(rs_exists(dest));
		assert_int_equal(count_entries(f->out, ""), 0);
	}
	free(dir);
	free(dest);
}

static void
test_pull_of_an_empty_file_creates_it(void **state)
{
	fixture *f = *state;
	char *src = rs_path(f->src, "empty.bin");
	char *dest = rs_path(f->out, "empty.bin");
	size_t len = 1;
	char *data;

	rs_write_mode(src, "", 0, 0644);
	register_path(f, "blank", "1.0.0", src);
	assert_int_equal(
	    mr_pull(f->c, "blank", "1.0.0", MR_STAGE_NONE, dest, NULL, NULL),
	    MR_OK);
	data = tu_read_file(dest, &len);
	assert_non_null(data);
	assert_int_equal(len, 0);
	assert_int_equal(mr_client_transfer_stats(f->c)->chunks_sent, 0);
	free(data);
	free(src);
	free(dest);
}

static void
test_pull_makes_missing_directories_above_the_destination(void **state)
{
	fixture *f = *state;
	char *src = one_file(f);
	char *dest = rs_path(f->out, "no/such/dir/model.bin");
	char *blocker = rs_path(f->out, "plain");
	char *under = rs_path(f->out, "plain/model.bin");
	size_t a_len, b_len;
	void *a, *b;

	assert_int_equal(
	    mr_pull(f->c, "fraud", "1.0.0", MR_STAGE_NONE, dest, NULL, NULL),
	    MR_OK);
	a = tu_read_file(src, &a_len);
	b = tu_read_file(dest, &b_len);
	assert_non_null(b);
	assert_int_equal(a_len, b_len);
	assert_memory_equal(a, b, a_len);
	/* A file where a directory should be is an error, not a crash. */
	tu_write_file(blocker, "x", 1);
	assert_int_not_equal(
	    mr_pull(f->c, "fraud", "1.0.0", MR_STAGE_NONE, under, NULL, NULL),
	    MR_OK);
	free(a);
	free(b);
	free(src);
	free(dest);
	free(blocker);
	free(under);
}

static void
test_pull_of_an_unknown_version_is_not_found(void **state)
{
	fixture *f = *state;
	char *src = one_file(f);
	char *dest = rs_path(f->out, "x");

	assert_int_equal(
	    mr_pull(f->c, "fraud", "9.9.9", MR_STAGE_NONE, dest, NULL, NULL),
	    MR_NOT_FOUND);
	assert_non_null(strstr(mr_client_errmsg(f->c), "9.9.9"));
	assert_int_equal(
	    mr_pull(f->c, "fraud", NULL, MR_STAGE_PRODUCTION, dest, NULL, NULL),
	    MR_NOT_FOUND);
	assert_int_equal(
	    mr_pull(f->c, "nope", NULL, MR_STAGE_NONE, dest, NULL, NULL),
	    MR_NOT_FOUND);
	assert_false(rs_exists(dest));
	assert_int_equal(
	    mr_pull(f->c, "fraud", "9.9", MR_STAGE_NONE, dest, NULL, NULL),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(
	    mr_pull(f->c, "fraud", NULL, MR_STAGE_NONE, "", NULL, NULL),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(count_entries(f->out, ""), 0);
	free(src);
	free(dest);
}

/* ---- the chunk cache and resumed pulls --------------------------------- */

#define BIG_SIZE (8u << 20)

/* An 8 MiB random model registered as `name`@`version`; with `edit`, 100
 * bytes in its middle are changed first. */
static char *
big_file(fixture *f, const char *file, const char *version, bool edit)
{
	char *path = rs_path(f->src, file);
	size_t len;
	uint8_t *data;

	rs_write_random(path, BIG_SIZE, 7, 0644);
	if (edit) {
		data = tu_read_file(path, &len);
		memset(data + BIG_SIZE / 2, 0xAB, 100);
		rs_write_mode(path, data, len, 0644);
		free(data);
	}
	register_path(f, "big", version, path);
	return path;
}

static void
test_pull_with_cache_fetches_only_chunks_it_lacks(void **state)
{
	fixture *f = *state;
	char *v1 = big_file(f, "v1.bin", "1.0.0", false);
	char *v2 = big_file(f, "v2.bin", "1.1.0", true);
	char *cache = rs_path(f->s.dir, "cache");
	char *a = rs_path(f->out, "a.bin"), *b = rs_path(f->out, "b.bin"),
	     *c = rs_path(f->out, "c.bin");
	mr_pull_options o = {.cache_dir = cache};
	const mr_transfer_stats *s = mr_client_transfer_stats(f->c);

	/* A cold cache: everything travels, and is kept. */
	assert_int_equal(
	    mr_pull(f->c, "big", "1.0.0", MR_STAGE_NONE, a, &o, NULL), MR_OK);
	assert_true(rs_same_file(v1, a));
	assert_int_equal(s->chunks_sent, s->chunks);
	assert_int_equal(s->chunks_reused, 0);
	/* The same version again: nothing travels. */
	wr_tap_reset(f->tap);
	assert_int_equal(
	    mr_pull(f->c, "big", "1.0.0", MR_STAGE_NONE, b, &o, NULL), MR_OK);
	assert_true(rs_same_file(v1, b));
	assert_int_equal(wr_tap_calls(f->tap, "GetChunk"), 0);
	assert_int_equal(s->chunks_sent, 0);
	assert_int_equal(s->chunks_reused, s->chunks);
	assert_int_equal(s->bytes_reused, BIG_SIZE);
	/* A version with 100 bytes changed: only the chunks around them. */
	wr_tap_reset(f->tap);
	assert_int_equal(
	    mr_pull(f->c, "big", "1.1.0", MR_STAGE_NONE, c, &o, NULL), MR_OK);
	assert_true(rs_same_file(v2, c));
	assert_in_range(s->chunks_sent, 1, 2);
	assert_int_equal(wr_tap_calls(f->tap, "GetChunk"), s->chunks_sent);
	assert_int_equal(s->chunks_reused + s->chunks_sent, s->chunks);
	free(v1);
	free(v2);
	free(cache);
	free(a);
	free(b);
	free(c);
}

/* Calls fn(path, size, arg) for each entry of the cache at `dir`. */
static void
each_cache_entry(const char *dir, void (*fn)(const char *, off_t, void *),
    void *arg)
{
	for (int i = 0; i < 256; i++) {
		char shard[PATH_MAX];
		struct dirent *de;
		DIR *d;

		snprintf(shard, sizeof(shard), "%s/%02x", dir, i);
		if ((d = opendir(shard)) == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			char path[PATH_MAX + 300];
			struct stat st;

			snprintf(path, sizeof(path), "%s/%s", shard, de->d_name);
			if (de->d_name[0] != '.' && stat(path, &st) == 0)
				fn(path, st.st_size, arg);
		}
		closedir(d);
	}
}

static void
add_size(const char *path, off_t size, void *arg)
{
	(void)path;
	*(uint64_t *)arg += (uint64_t)size;
}

/* Bytes held by the cache's entries. */
static uint64_t
cache_bytes(const char *cache)
{
	uint64_t total = 0;

	each_cache_entry(cache, add_size, &total);
	return total;
}

static void
test_pull_trims_the_cache_to_its_limit_keeping_what_was_used_last(
    void **state)
{
	fixture *f = *state;
	char *v1 = rs_path(f->src, "v1.bin"), *v2 = rs_path(f->src, "v2.bin");
	char *cache = rs_path(f->s.dir, "cache");
	char *a = rs_path(f->out, "a.bin"), *b = rs_path(f->out, "b.bin"),
	     *c = rs_path(f->out, "c.bin");
	mr_pull_options o = {.cache_dir = cache};
	const mr_transfer_stats *s = mr_client_transfer_stats(f->c);

	/* Two unrelated 8 MiB models. */
	rs_write_random(v1, BIG_SIZE, 7, 0644);
	rs_write_random(v2, BIG_SIZE, 8, 0644);
	register_path(f, "big", "1.0.0", v1);
	register_path(f, "big", "2.0.0", v2);
	assert_int_equal(
	    mr_pull(f->c, "big", "1.0.0", MR_STAGE_NONE, a, &o, NULL), MR_OK);
	assert_int_equal(cache_bytes(cache), BIG_SIZE);
	/* Room for one: 2.0.0 stays, 1.0.0 goes. */
	o.cache_max_bytes = BIG_SIZE;
	assert_int_equal(
	    mr_pull(f->c, "big", "2.0.0", MR_STAGE_NONE, b, &o, NULL), MR_OK);
	assert_true(cache_bytes(cache) <= BIG_SIZE);
	assert_int_equal(
	    mr_pull(f->c, "big", "2.0.0", MR_STAGE_NONE, c, &o, NULL), MR_OK);
	assert_int_equal(s->chunks_sent, 0);
	assert_true(rs_same_file(v2, c));
	free(v1);
	free(v2);
	free(cache);
	free(a);
	free(b);
	free(c);
}

/* Flips a byte in the middle of a cache entry. */
static void
flip_byte(const char *path, off_t size, void *arg)
{
	size_t len;
	uint8_t *data = tu_read_file(path, &len);

	(void)size;
	data[len / 2] ^= 1;
	rs_write_mode(path, data, len, 0644);
	free(data);
	(*(int *)arg)++;
}

/* Damages every entry of the cache; returns how many. */
static int
damage_cache(const char *cache)
{
	int n = 0;

	each_cache_entry(cache, flip_byte, &n);
	return n;
}

static void
test_pull_with_damaged_cache_entries_fetches_them_again(void **state)
{
	fixture *f = *state;
	char *v1 = big_file(f, "v1.bin", "1.0.0", false);
	char *cache = rs_path(f->s.dir, "cache");
	char *a = rs_path(f->out, "a.bin"), *b = rs_path(f->out, "b.bin");
	mr_pull_options o = {.cache_dir = cache};
	const mr_transfer_stats *s = mr_client_transfer_stats(f->c);

	assert_int_equal(
	    mr_pull(f->c, "big", "1.0.0", MR_STAGE_NONE, a, &o, NULL), MR_OK);
	assert_int_equal(damage_cache(cache), (int)s->chunks);
	assert_int_equal(
	    mr_pull(f->c, "big", "1.0.0", MR_STAGE_NONE, b, &o, NULL), MR_OK);
	assert_true(rs_same_file(v1, b));
	assert_int_equal(s->chunks_sent, s->chunks);
	assert_int_equal(s->chunks_reused, 0);
	free(v1);
	free(cache);
	free(a);
	free(b);
}

static void
test_pull_interrupted_by_a_network_drop_resumes_from_verified_chunks(
    void **state)
{
	fixture *f = *state;
	char *v1 = big_file(f, "v1.bin", "1.0.0", false);
	char *dest = rs_path(f->out, "model.bin");
	mr_client *c = rs_client(f->url, NULL, 1500, 2);
	const mr_transfer_stats *s = mr_client_transfer_stats(c);
	uint64_t fetched;

	/* The network goes down after three chunks have been fetched. */
	wr_tap_go_dark(f->tap, "GetChunk", 3);
	assert_int_equal(
	    mr_pull(c, "big", "1.0.0", MR_STAGE_NONE, dest, NULL, NULL),
	    MR_DEADLINE_EXCEEDED);
	assert_non_null(strstr(mr_client_errmsg(c), "pull again to resume"));
	assert_false(rs_exists(dest));
	assert_int_equal(count_entries(f->out, ".mr-partial-"), 1);
	fetched = s->chunks_sent;
	assert_in_range(fetched, 1, 3);

	wr_tap_light(f->tap);
	wr_tap_reset(f->tap);
	assert_int_equal(
	    mr_pull(c, "big", "1.0.0", MR_STAGE_NONE, dest, NULL, NULL), MR_OK);
	assert_true(rs_same_file(v1, dest));
	assert_int_equal(s->chunks_reused, fetched);
	assert_int_equal(s->chunks_sent, s->chunks - fetched);
	assert_int_equal(wr_tap_calls(f->tap, "GetChunk"), s->chunks_sent);
	/* The partial directory went with the success. */
	assert_int_equal(count_entries(f->out, ""), 1);
	mr_client_close(c);
	free(v1);
	free(dest);
}

static void
test_pull_into_a_target_another_pull_holds_is_aborted(void **state)
{
	fixture *f = *state;
	char *v1 = big_file(f, "v1.bin", "1.0.0", false);
	char *dest = rs_path(f->out, "model.bin");
	char *partial = NULL, *lock;
	mr_version *v;
	char hex[2 * MR_DIGEST_LEN + 1];
	int fd;

	assert_int_equal(mr_get_version(f->c, "big", "1.0.0", MR_STAGE_NONE,
			     &v),
	    MR_OK);
	assert_true(asprintf(&partial, "%s.mr-partial-%.16s", dest,
			mr_digest_hex(v->artifact_digest, hex)) > 0);
	assert_int_equal(mkdir(partial, 0755), 0);
	lock = rs_path(partial, "lock");
	fd = open(lock, O_RDWR | O_CREAT, 0600);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX), 0);
	assert_int_equal(
	    mr_pull(f->c, "big", "1.0.0", MR_STAGE_NONE, dest, NULL, NULL),
	    MR_ABORTED);
	assert_non_null(strstr(mr_client_errmsg(f->c), "under way"));
	/* Its partial directory is left alone. */
	assert_true(rs_exists(lock));
	close(fd);
	assert_int_equal(
	    mr_pull(f->c, "big", "1.0.0", MR_STAGE_NONE, dest, NULL, NULL),
	    MR_OK);
	assert_true(rs_same_file(v1, dest));
	assert_false(rs_exists(partial));
	mr_version_free(v);
	free(partial);
	free(lock);
	free(v1);
	free(dest);
}

/* stat of artifact/`name` in the one partial directory under `dir`. */
static void
partial_file(const char *dir, const char *name, struct stat *st)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	char path[PATH_MAX + 600];
	bool found = false;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL && !found)
		if (strstr(de->d_name, ".mr-partial-") != NULL) {
			snprintf(path, sizeof(path), "%s/%s/artifact/%s", dir,
			    de->d_name, name);
			found = true;
		}
	closedir(d);
	assert_true(found);
	assert_int_equal(stat(path, st), 0);
}

static void
test_pull_resume_reopens_files_whose_mode_is_read_only(void **state)
{
	fixture *f = *state;
	char *dir = rs_path(f->src, "ro"), *a = rs_path(dir, "a.bin"),
	     *b = rs_path(dir, "b.bin"), *dest = rs_path(f->out, "ro");
	char *got_a = rs_path(dest, "a.bin"), *got_b = rs_path(dest, "b.bin");
	mr_client *c = rs_client(f->url, NULL, 1500, 1);
	struct stat st;

	/* a.bin (one chunk, 0444) completes before the network goes. */
	rs_write_random(a, 1000, 1, 0444);
	rs_write_random(b, BIG_SIZE, 2, 0644);
	register_path(f, "ro", "1.0.0", dir);
	wr_tap_go_dark(f->tap, "GetChunk", 3);
	assert_int_not_equal(
	    mr_pull(c, "ro", "1.0.0", MR_STAGE_NONE, dest, NULL, NULL), MR_OK);
	assert_int_equal(count_entries(f->out, ".mr-partial-"), 1);
	/* Finished, a.bin waits with owner write kept, to be reopened. */
	partial_file(f->out, "a.bin", &st);
	assert_int_equal(st.st_mode & 0777, 0644);
	wr_tap_light(f->tap);
	assert_int_equal(
	    mr_pull(c, "ro", "1.0.0", MR_STAGE_NONE, dest, NULL, NULL), MR_OK);
	assert_true(mr_client_transfer_stats(c)->chunks_reused > 0);
	assert_true(rs_same_file(a, got_a));
	assert_true(rs_same_file(b, got_b));
	/* The exact mode once installed. */
	assert_int_equal(stat(got_a, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0444);
	mr_client_close(c);
	free(dir);
	free(a);
	free(b);
	free(dest);
	free(got_a);
	free(got_b);
}

/* The partial directory `dest` would use for big@1.0.0, made by hand. */
static char *
make_partial_dir(fixture *f, const char *dest)
{
	char hex[2 * MR_DIGEST_LEN + 1], *partial;
	mr_version *v;

	assert_int_equal(
	    mr_get_version(f->c, "big", "1.0.0", MR_STAGE_NONE, &v), MR_OK);
	assert_true(asprintf(&partial, "%s.mr-partial-%.16s", dest,
	                mr_digest_hex(v->artifact_digest, hex)) > 0);
	mr_version_free(v);
	assert_int_equal(mkdir(partial, 0700), 0);
	return partial;
}

static void
test_pull_that_cannot_lock_a_partial_directory_leaves_it_alone(void **state)
{
	fixture *f = *state;
	char *v1 = big_file(f, "v1.bin", "1.0.0", false);
	char *dest = rs_path(f->out, "model.bin");
	char *partial = make_partial_dir(f, dest);
	char *lock = rs_path(partial, "lock"), *other = rs_path(partial, "x");

	/* A lock that cannot be opened as a file: not ours to remove. */
	assert_int_equal(mkdir(lock, 0700), 0);
	rs_write_mode(other, "keep", 4, 0600);
	assert_int_not_equal(
	    mr_pull(f->c, "big", "1.0.0", MR_STAGE_NONE, dest, NULL, NULL),
	    MR_OK);
	assert_true(rs_exists(other));
	assert_false(rs_exists(dest));
	free(v1);
	free(dest);
	free(partial);
	free(lock);
	free(other);
}

static void
test_pull_never_writes_through_a_link_planted_in_its_partial_directory(
    void **state)
{
	fixture *f = *state;
	char *v1 = big_file(f, "v1.bin", "1.0.0", false);
	char *dest = rs_path(f->out, "model.bin");
	char *partial = make_partial_dir(f, dest);
	char *artifact = rs_path(partial, "artifact");
	char *victim = rs_path(f->s.dir, "victim");
	size_t len;
	char *data;

	rs_write_mode(victim, "precious", 8, 0644);
	assert_int_equal(symlink(victim, artifact), 0);
	assert_int_not_equal(
	    mr_pull(f->c, "big", "1.0.0", MR_STAGE_NONE, dest, NULL, NULL),
	    MR_OK);
	data = tu_read_file(victim, &len);
	assert_int_equal(len, 8);
	assert_memory_equal(data, "precious", 8);
	assert_false(rs_exists(dest));
	free(data);
	free(v1);
	free(dest);
	free(partial);
	free(artifact);
	free(victim);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	    T(test_pull_file_artifact_is_written_to_dest),
	    T(test_pull_file_artifact_into_a_directory_keeps_its_name),
	    T(test_pull_by_stage_gets_the_version_in_that_stage),
	    T(test_pull_directory_artifact_recreates_tree_and_modes),
	    T(test_pull_over_an_existing_destination_is_already_exists_and_fetches_nothing),
	    T(test_pull_with_overwrite_replaces_files_and_directories),
	    T(test_pull_of_damaged_chunk_is_data_loss_and_writes_nothing),
	    T(test_pull_of_chunk_stored_under_another_digest_is_data_loss_and_writes_nothing),
	    T(test_pull_refuses_a_manifest_path_that_escapes_before_fetching),
	    T(test_pull_of_an_empty_file_creates_it),
	    T(test_pull_makes_missing_directories_above_the_destination),
	    T(test_pull_of_an_unknown_version_is_not_found),
	    T(test_pull_with_cache_fetches_only_chunks_it_lacks),
	    T(test_pull_with_damaged_cache_entries_fetches_them_again),
	    T(test_pull_trims_the_cache_to_its_limit_keeping_what_was_used_last),
	    T(test_pull_interrupted_by_a_network_drop_resumes_from_verified_chunks),
	    T(test_pull_into_a_target_another_pull_holds_is_aborted),
	    T(test_pull_resume_reopens_files_whose_mode_is_read_only),
	    T(test_pull_that_cannot_lock_a_partial_directory_leaves_it_alone),
	    T(test_pull_never_writes_through_a_link_planted_in_its_partial_directory),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
