/*
 * test_manifest.c - building manifests from local files (client/manifest.c)
 * and checking received ones.
 *
 * Digests are recomputed here from the files' bytes, straight from the
 * definitions in proto/model.proto, so the builder is checked against the
 * format rather than against itself.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cdc.h"
#include "manifest.h"
#include "realserver.h"
#include "testutil.h"

typedef struct fixture {
	char dir[PATH_MAX];
	mr_codec *codec;
} fixture;

static int
setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));

	tu_mkdtemp(f->dir, "manifest");
	f->codec = mr_codec_create();
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fixture *f = *state;

	tu_rmtree(f->dir);
	mr_codec_free(f->codec);
	free(f);
	return 0;
}

/* The artifact digest as proto/model.proto defines it. */
static void
expected_artifact_digest(mr_codec *c, const char *const *paths,
    const char *root, size_t n, uint8_t out[MR_DIGEST_LEN])
{
	uint8_t *buf = NULL;
	size_t len = 0, at = 0;

	for (size_t i = 0; i < n; i++) {
		char *p = root != NULL ? rs_path(root, paths[i]) : NULL;
		size_t flen;
		uint8_t *data = tu_read_file(p != NULL ? p : paths[i], &flen);
		size_t plen = strlen(paths[i]);

		assert_non_null(data);
		buf = realloc(buf, len + plen + 1 + 8 + MR_DIGEST_LEN);
		len += plen + 1 + 8 + MR_DIGEST_LEN;
		memcpy(buf + at, paths[i], plen + 1);
		at += plen + 1;
		for (int k = 0; k < 8; k++)
			buf[at++] = (uint8_t)((uint64_t)flen >> (56 - 8 * k));
		mr_sha256(c, data, flen, buf + at);
		at += MR_DIGEST_LEN;
		free(data);
		free(p);
	}
	mr_sha256(c, buf, len, out);
	free(buf);
}

/*
 * Checks that the chunks of file entry `fe` are the ones cutting `data`
 * in memory gives, each with its digest.
 */
static void
assert_cut_as_in_memory(mr_codec *c, const Modelreg__V1__FileEntry *fe,
    const uint8_t *data, size_t len)
{
	uint8_t digest[MR_DIGEST_LEN];
	size_t off = 0, k = 0;

	while (off < len) {
		size_t want = mr_cdc_cut(data + off, len - off, true);
		const Modelreg__V1__ChunkRef *ch;

		assert_true(k < fe->n_chunks);
		ch = fe->chunks[k++];
		assert_int_equal(ch->offset, off);
		assert_int_equal(ch->length, want);
		mr_sha256(c, data + off, want, digest);
		assert_memory_equal(ch->digest.data, digest, MR_DIGEST_LEN);
		off += want;
	}
	assert_int_equal(fe->n_chunks, k);
}

static void
test_manifest_of_file_is_one_file_named_by_base_name(void **state)
{
	fixture *f = *state;
	char *path = rs_path(f->dir, "model.bin");
	size_t size = 2500000, len;
	uint8_t digest[MR_DIGEST_LEN], *data;
	const char *name = "model.bin";
	manifest *m;
	mr_err e;

	rs_write_random(path, size, 1, 0644);
	data = tu_read_file(path, &len);
	assert_int_equal(manifest_build(&m, path, f->codec, &e), MR_OK);
	assert_int_equal(m->pb.format, 1);
	assert_false(m->pb.directory);
	assert_int_equal(m->pb.n_files, 1);
	assert_string_equal(m->pb.files[0]->path, "model.bin");
	assert_int_equal(m->pb.files[0]->size, size);
	assert_int_equal(m->pb.total_size, size);
	/* These bytes cut into three chunks (common/cdc.c). */
	assert_int_equal(m->pb.chunk_count, 3);
	assert_cut_as_in_memory(f->codec, m->pb.files[0], data, len);
	mr_sha256(f->codec, data, len, digest);
	assert_memory_equal(m->pb.files[0]->digest.data, digest, MR_DIGEST_LEN);
	expected_artifact_digest(f->codec, &name, f->dir, 1, digest);
	assert_memory_equal(m->pb.digest.data, digest, MR_DIGEST_LEN);
	assert_int_equal(manifest_check(&m->pb, &e), MR_OK);
	manifest_free(m);
	free(data);
	free(path);
}

/*
 * A file longer than the window it is read through, with a run of zeros
 * (chunks of exactly MR_CDC_MAX) that crosses refills: the chunks are the
 * ones the cutter gives over the whole file in memory.
 */
static void
test_manifest_cuts_a_large_file_as_the_cutter_does_in_memory(void **state)
{
	fixture *f = *state;
	char *path = rs_path(f->dir, "big.bin");
	size_t size = 30 * MR_CHUNK_SIZE + 777;
	uint8_t *data = malloc(size);
	manifest *m;
	mr_err e;

	tu_fill_random(data, size, 5);
	memset(data + 9 * MR_CHUNK_SIZE + 4321, 0, 11 * MR_CHUNK_SIZE);
	rs_write_mode(path, data, size, 0644);
	assert_int_equal(manifest_build(&m, path, f->codec, &e), MR_OK);
	assert_int_equal(m->pb.files[0]->size, size);
	assert_cut_as_in_memory(f->codec, m->pb.files[0], data, size);
	assert_int_equal(m->pb.chunk_count, m->pb.files[0]->n_chunks);
	assert_int_equal(manifest_check(&m->pb, &e), MR_OK);
	manifest_free(m);
	free(data);
	free(path);
}

/* How many chunks of `b` have a digest no chunk of `a` has. */
static size_t
new_chunks(const Modelreg__V1__FileEntry *a, const Modelreg__V1__FileEntry *b)
{
	size_t fresh = 0;

	for (size_t i = 0; i < b->n_chunks; i++) {
		bool found = false;

		for (size_t k = 0; k < a->n_chunks && !found; k++)
			found =
			    memcmp(b->chunks[i]->digest.data,
			        a->chunks[k]->digest.data, MR_DIGEST_LEN) == 0;
		fresh += !found;
	}
	return fresh;
}

/*
 * An edit in the middle of a 24 MiB file, in place or inserting bytes,
 * leaves all but a few chunks as they were: what makes a push of the new
 * version send only those. With chunks cut at fixed offsets, the
 * insertion would have made every chunk after it new.
 */
static void
test_manifest_of_edited_file_shares_all_but_a_few_chunks(void **state)
{
	fixture *f = *state;
	char *path = rs_path(f->dir, "w.bin");
	size_t size = 24 * MR_CHUNK_SIZE, mid = 12 * MR_CHUNK_SIZE + 999;
	uint8_t *data = malloc(size + 1000), *edit = malloc(size + 1000);
	manifest *orig, *changed, *inserted;
	mr_err e;

	tu_fill_random(data, size, 9);
	rs_write_mode(path, data, size, 0644);
	assert_int_equal(manifest_build(&orig, path, f->codec, &e), MR_OK);
	assert_true(orig->pb.chunk_count >= 12);

	/* 4 KiB rewritten in place. */
	memcpy(edit, data, size);
	tu_fill_random(edit + mid, 4096, 10);
	rs_write_mode(path, edit, size, 0644);
	assert_int_equal(manifest_build(&changed, path, f->codec, &e), MR_OK);
	assert_true(new_chunks(orig->pb.files[0], changed->pb.files[0]) >= 1);
	assert_true(new_chunks(orig->pb.files[0], changed->pb.files[0]) <= 2);

	/* 1000 bytes inserted. */
	memcpy(edit, data, mid);
	tu_fill_random(edit + mid, 1000, 11);
	memcpy(edit + mid + 1000, data + mid, size - mid);
	rs_write_mode(path, edit, size + 1000, 0644);
	assert_int_equal(manifest_build(&inserted, path, f->codec, &e), MR_OK);
	assert_true(new_chunks(orig->pb.files[0], inserted->pb.files[0]) >= 1);
	assert_true(new_chunks(orig->pb.files[0], inserted->pb.files[0]) <= 3);

	manifest_free(orig);
	manifest_free(changed);
	manifest_free(inserted);
	free(data);
	free(edit);
	free(path);
}

static void
test_manifest_of_directory_is_sorted_and_digested(void **state)
{
	fixture *f = *state;
	/* Bytewise order: '.' (0x2e) sorts before '/' (0x2f). */
	const char *sorted[] = {"a.txt", "a/b/c", "a/z.bin", "b.txt"};
	uint8_t digest[MR_DIGEST_LEN];
	manifest *m;
	mr_err e;

	for (int i = 3; i >= 0; i--) {
		char *p = rs_path(f->dir, sorted[i]);
		rs_write_random(p, (size_t)(1000 * i + 10), (uint32_t)i, 0644);
		free(p);
	}
	assert_int_equal(manifest_build(&m, f->dir, f->codec, &e), MR_OK);
	assert_true(m->pb.directory);
	assert_int_equal(m->pb.n_files, 4);
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(m->pb.files[i]->path, sorted[i]);
	assert_int_equal(m->pb.total_size, 10 + 1010 + 2010 + 3010);
	assert_int_equal(m->pb.chunk_count, 4);
	expected_artifact_digest(f->codec, sorted, f->dir, 4, digest);
	assert_memory_equal(m->pb.digest.data, digest, MR_DIGEST_LEN);
	assert_int_equal(manifest_check(&m->pb, &e), MR_OK);
	manifest_free(m);
}

static void
test_manifest_of_empty_file_has_no_chunks(void **state)
{
	fixture *f = *state;
	char *path = rs_path(f->dir, "empty");
	uint8_t digest[MR_DIGEST_LEN];
	manifest *m;
	mr_err e;

	rs_write_mode(path, "", 0, 0644);
	assert_int_equal(manifest_build(&m, path, f->codec, &e), MR_OK);
	assert_int_equal(m->pb.files[0]->size, 0);
	assert_int_equal(m->pb.files[0]->n_chunks, 0);
	assert_int_equal(m->pb.chunk_count, 0);
	mr_sha256(f->codec, "", 0, digest);
	assert_memory_equal(m->pb.files[0]->digest.data, digest, MR_DIGEST_LEN);
	assert_int_equal(manifest_check(&m->pb, &e), MR_OK);
	manifest_free(m);
	free(path);
}

static void
test_manifest_records_permission_bits(void **state)
{
	fixture *f = *state;
	char *a = rs_path(f->dir, "run.sh"), *b = rs_path(f->dir, "secret");
	manifest *m;
	mr_err e;

	rs_write_mode(a, "#!/bin/sh\n", 10, 0755);
	rs_write_mode(b, "x", 1, 0600);
	assert_int_equal(manifest_build(&m, f->dir, f->codec, &e), MR_OK);
	assert_int_equal(m->pb.files[0]->mode, 0755);
	assert_int_equal(m->pb.files[1]->mode, 0600);
	manifest_free(m);
	free(a);
	free(b);
}

static void
test_manifest_refuses_symlink_in_directory_naming_it(void **state)
{
	fixture *f = *state;
	char *file = rs_path(f->dir, "real"), *link = rs_path(f->dir, "link");
	manifest *m = NULL;
	mr_err e;

	rs_write_mode(file, "x", 1, 0644);
	assert_int_equal(symlink("real", link), 0);
	assert_int_equal(
	    manifest_build(&m, f->dir, f->codec, &e), MR_INVALID_ARGUMENT);
	assert_null(m);
	assert_non_null(strstr(e.msg, link));
	assert_non_null(strstr(e.msg, "symbolic link"));
	free(file);
	free(link);
}

static void
test_manifest_refuses_fifo_in_directory(void **state)
{
	fixture *f = *state;
	char *fifo = rs_path(f->dir, "pipe");
	manifest *m = NULL;
	mr_err e;

	assert_int_equal(mkfifo(fifo, 0644), 0);
	assert_int_equal(
	    manifest_build(&m, f->dir, f->codec, &e), MR_INVALID_ARGUMENT);
	assert_non_null(strstr(e.msg, "FIFO"));
	free(fifo);
}

static void
test_manifest_refuses_directory_without_files(void **state)
{
	fixture *f = *state;
	char *sub = rs_path(f->dir, "empty-subdir");
	manifest *m = NULL;
	mr_err e;

	assert_int_equal(mkdir(sub, 0755), 0);
	assert_int_equal(
	    manifest_build(&m, f->dir, f->codec, &e), MR_INVALID_ARGUMENT);
	assert_non_null(strstr(e.msg, "no regular files"));
	free(sub);
}

static void
test_manifest_follows_symlink_given_as_the_artifact(void **state)
{
	fixture *f = *state;
	char *file = rs_path(f->dir, "weights.bin");
	char *link = rs_path(f->dir, "current");
	manifest *m;
	mr_err e;

	rs_write_mode(file, "abc", 3, 0644);
	assert_int_equal(symlink("weights.bin", link), 0);
	assert_int_equal(manifest_build(&m, link, f->codec, &e), MR_OK);
	assert_string_equal(m->pb.files[0]->path, "current");
	assert_int_equal(m->pb.files[0]->size, 3);
	manifest_free(m);
	free(file);
	free(link);
}

static void
test_manifest_of_missing_path_is_not_found(void **state)
{
	fixture *f = *state;
	char *path = rs_path(f->dir, "nope");
	manifest *m = NULL;
	mr_err e;

	assert_int_equal(manifest_build(&m, path, f->codec, &e), MR_NOT_FOUND);
	assert_non_null(strstr(e.msg, path));
	free(path);
}

/* A sparse file bigger than MR_CHUNKS_MAX chunks of MR_CDC_MAX can hold
 * is refused from its size, before a byte of it is read. */
static void
test_manifest_refuses_a_file_that_needs_too_many_chunks(void **state)
{
	fixture *f = *state;
	char *path = rs_path(f->dir, "huge.bin");
	manifest *m = NULL;
	mr_err e;
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(
	    ftruncate(fileno(fp), (off_t)MR_CHUNKS_MAX * MR_CDC_MAX + 1), 0);
	fclose(fp);
	assert_int_equal(
	    manifest_build(&m, path, f->codec, &e), MR_INVALID_ARGUMENT);
	assert_null(m);
	assert_non_null(strstr(e.msg, "more than 262144 chunks"));
	assert_non_null(strstr(e.msg, path));
	free(path);
}

static void
test_manifest_read_chunk_notices_a_file_that_shrank(void **state)
{
	fixture *f = *state;
	char *path = rs_path(f->dir, "w.bin");
	uint8_t *buf = malloc(MR_CHUNK_MAX);
	mf_reader r;
	manifest *m;
	mr_err e;

	rs_write_random(path, 5000, 7, 0644);
	assert_int_equal(manifest_build(&m, path, f->codec, &e), MR_OK);
	mf_reader_init(&r);
	assert_int_equal(manifest_read_chunk(m, &r, 0, 0, buf, &e), MR_OK);
	mf_reader_close(&r);
	rs_write_random(path, 10, 8, 0644);
	assert_int_equal(
	    manifest_read_chunk(m, &r, 0, 0, buf, &e), MR_ABORTED);
	assert_non_null(strstr(e.msg, "shrank"));
	mf_reader_close(&r);
	manifest_free(m);
	free(buf);
	free(path);
}

/* A built manifest to break in the checks below. */
static manifest *
two_files(fixture *f)
{
	char *a = rs_path(f->dir, "a"), *b = rs_path(f->dir, "b");
	manifest *m;
	mr_err e;

	rs_write_random(a, 2500000, 1, 0644); /* three chunks */
	rs_write_random(b, 10, 2, 0644);
	assert_int_equal(manifest_build(&m, f->dir, f->codec, &e), MR_OK);
	free(a);
	free(b);
	return m;
}

static void
test_manifest_check_refuses_paths_that_escape(void **state)
{
	fixture *f = *state;
	manifest *m = two_files(f);
	char *saved = m->pb.files[0]->path;
	const char *bad[] = {
	    "../x", "/etc/passwd", "a/../../x", "a//b", "./a", ""};
	mr_err e;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m->pb.files[0]->path = (char *)bad[i];
		assert_int_equal(manifest_check(&m->pb, &e), MR_DATA_LOSS);
	}
	m->pb.files[0]->path = saved;
	manifest_free(m);
}

static void
test_manifest_check_refuses_chunks_not_covering_the_file(void **state)
{
	fixture *f = *state;
	manifest *m = two_files(f);
	Modelreg__V1__ChunkRef *ch = m->pb.files[0]->chunks[1];
	mr_err e;

	ch->offset++;
	assert_int_equal(manifest_check(&m->pb, &e), MR_DATA_LOSS);
	ch->offset--;
	m->pb.files[0]->size++;
	assert_int_equal(manifest_check(&m->pb, &e), MR_DATA_LOSS);
	m->pb.files[0]->size--;
	ch->length = MR_CHUNK_MAX + 1;
	assert_int_equal(manifest_check(&m->pb, &e), MR_DATA_LOSS);
	manifest_free(m);
}

static void
test_manifest_check_refuses_unsorted_or_repeated_paths(void **state)
{
	fixture *f = *state;
	manifest *m = two_files(f);
	Modelreg__V1__FileEntry *t = m->pb.files[0];
	mr_err e;

	m->pb.files[0] = m->pb.files[1];
	m->pb.files[1] = t;
	assert_int_equal(manifest_check(&m->pb, &e), MR_DATA_LOSS);
	m->pb.files[1] = m->pb.files[0];
	assert_int_equal(manifest_check(&m->pb, &e), MR_DATA_LOSS);
	m->pb.files[0] = t;
	manifest_free(m);
}

static void
test_manifest_check_refuses_unknown_format_and_bad_totals(void **state)
{
	fixture *f = *state;
	manifest *m = two_files(f);
	mr_err e;

	m->pb.format = 2;
	assert_int_equal(manifest_check(&m->pb, &e), MR_UNIMPLEMENTED);
	m->pb.format = 1;
	m->pb.total_size++;
	assert_int_equal(manifest_check(&m->pb, &e), MR_DATA_LOSS);
	m->pb.total_size--;
	m->pb.directory = false;
	assert_int_equal(manifest_check(&m->pb, &e), MR_DATA_LOSS);
	assert_int_equal(manifest_check(NULL, &e), MR_DATA_LOSS);
	manifest_free(m);
}

static void
test_manifest_too_large_for_one_request_is_refused_before_reading(
    void **state)
{
	fixture *f = *state;
	char *dir = rs_path(f->dir, "many"), name[256];
	manifest *m;
	mr_err e;

	/* 70,000 empty files with 200-byte names: about 17 MB of manifest. */
	assert_int_equal(mkdir(dir, 0755), 0);
	for (int i = 0; i < 70000; i++) {
		char *p;
		snprintf(name, sizeof(name), "%0200d", i);
		p = rs_path(dir, name);
		rs_write_mode(p, "", 0, 0644);
		free(p);
	}
	assert_int_equal(manifest_build(&m, dir, f->codec, &e),
	    MR_INVALID_ARGUMENT);
	assert_non_null(strstr(e.msg, "MR_MSG_MAX"));
	free(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	    T(test_manifest_of_file_is_one_file_named_by_base_name),
	    T(test_manifest_cuts_a_large_file_as_the_cutter_does_in_memory),
	    T(test_manifest_of_edited_file_shares_all_but_a_few_chunks),
	    T(test_manifest_of_directory_is_sorted_and_digested),
	    T(test_manifest_of_empty_file_has_no_chunks),
	    T(test_manifest_records_permission_bits),
	    T(test_manifest_refuses_symlink_in_directory_naming_it),
	    T(test_manifest_refuses_fifo_in_directory),
	    T(test_manifest_refuses_directory_without_files),
	    T(test_manifest_follows_symlink_given_as_the_artifact),
	    T(test_manifest_of_missing_path_is_not_found),
	    T(test_manifest_refuses_a_file_that_needs_too_many_chunks),
	    T(test_manifest_read_chunk_notices_a_file_that_shrank),
	    T(test_manifest_too_large_for_one_request_is_refused_before_reading),
	    T(test_manifest_check_refuses_paths_that_escape),
	    T(test_manifest_check_refuses_chunks_not_covering_the_file),
	    T(test_manifest_check_refuses_unsorted_or_repeated_paths),
	    T(test_manifest_check_refuses_unknown_format_and_bad_totals),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
