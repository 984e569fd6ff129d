/*
 * test_push.c - mr_register (client/push.c) against the real registry:
 * only the chunks the server lacks travel, each distinct chunk once, and
 * the version becomes visible only when the commit succeeds. A tap between
 * client and server (wire.c) counts what crosses the wire. A commit
 * refused because chunks went missing meanwhile is repaired by sending
 * them again: the test replaces the server's store with an empty one just
 * before the commit, as a restore from an old backup would. The one path
 * a real server cannot take - a commit refused for another reason while
 * nothing is missing - is driven by a responder with a canned answer.
 */
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "artifacts.pb-c.h"
#include "cdc.h"
#include "realserver.h"
#include "stream.h"
#include "testutil.h"
#include "wire.h"

typedef struct fixture {
	rs_server s;
	wr_tap *tap;
	char url[64]; /* the tap's */
	mr_client *c; /* through the tap */
} fixture;

static int
setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));

	rs_start(&f->s, "push", NULL);
	wr_url(f->url, "push-tap");
	f->tap = wr_tap_start(f->url, f->s.url);
	f->c = rs_client(f->url, "alice", 30000, 0);
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
	free(f);
	return 0;
}

/* The tail of the repetitive file: shorter than MR_CDC_MIN, so one chunk. */
#define TAIL_SIZE (100u << 10)

/*
 * The repeated block: the first content-defined chunk of bytes that take
 * 16 values only, so that zstd about halves it. Wherever a copy of it
 * starts a chunk, the chunk ends where the copy does.
 */
static uint8_t *
block(size_t *len)
{
	uint8_t *b = malloc(MR_CDC_MAX);

	tu_fill_random(b, MR_CDC_MAX, 5);
	for (size_t i = 0; i < MR_CDC_MAX; i++)
		b[i] &= 0x0f;
	*len = mr_cdc_cut(b, MR_CDC_MAX, false);
	return b;
}

static size_t
block_size(void)
{
	size_t len;

	free(block(&len));
	return len;
}

static size_t
repetitive_size(void)
{
	return 3 * block_size() + TAIL_SIZE;
}

/* 3 identical blocks, then TAIL_SIZE of other bytes: four chunk
 * references, two distinct chunks. */
static char *
repetitive_file(fixture *f, const char *name)
{
	char *path = rs_path(f->s.dir, name);
	size_t len;
	uint8_t *b = block(&len), *buf = malloc(3 * len + TAIL_SIZE);

	for (size_t i = 0; i < 3; i++)
		memcpy(buf + i * len, b, len);
	for (size_t i = 0; i < TAIL_SIZE; i++)
		buf[3 * len + i] = (uint8_t)(i * 7 + 3);
	rs_write_mode(path, buf, 3 * len + TAIL_SIZE, 0644);
	free(buf);
	free(b);
	return path;
}

/* The digests of the chunks the client cuts `data` into; *n says how
 * many. */
static uint8_t *
chunk_digests(const uint8_t *data, size_t len, size_t *n)
{
	uint8_t *d = malloc((len / MR_CDC_MIN + 1) * MR_DIGEST_LEN);

	*n = 0;
	for (size_t off = 0, c; off < len; off += c, (*n)++) {
		c = mr_cdc_cut(data + off, len - off, true);
		rs_sha256(data + off, c, d + *n * MR_DIGEST_LEN);
	}
	return d;
}

/* How many chunks of `b` are not among the chunks of `a`. */
static size_t
chunks_not_in(const uint8_t *b, size_t nb, const uint8_t *a, size_t na)
{
	size_t ka, kb, fresh = 0;
	uint8_t *da = chunk_digests(a, na, &ka);
	uint8_t *db = chunk_digests(b, nb, &kb);

	for (size_t i = 0; i < kb; i++) {
		bool found = false;

		for (size_t k = 0; k < ka && !found; k++)
			found = memcmp(db + i * MR_DIGEST_LEN,
			            da + k * MR_DIGEST_LEN, MR_DIGEST_LEN) == 0;
		fresh += !found;
	}
	free(da);
	free(db);
	return fresh;
}

static uint64_t
last_event_revision(
    mr_client *c, const char *name, mr_event_kind kind, int *count)
{
	mr_event_list *l;
	uint64_t rev = 0;

	*count = 0;
	assert_int_equal(mr_list_events(c, name, 0, 0, &l), MR_OK);
	for (size_t i = 0; i < l->count; i++)
		if (l->items[i].kind == kind) {
			rev = l->items[i].revision;
			(*count)++;
		}
	mr_event_list_free(l);
	return rev;
}

static void
test_register_sends_each_distinct_chunk_once(void **state)
{
	fixture *f = *state;
	char *path = repetitive_file(f, "weights.bin");
	mr_register_params p = {
	    .name = "fraud", .version = "v3.1.0", .path = path};
	const mr_transfer_stats *s;
	mr_version *v;
	int n;

	assert_int_equal(mr_register(f->c, &p, &v), MR_OK);
	assert_string_equal(v->name, "fraud");
	assert_string_equal(v->version, "3.1.0"); /* normalized */
	assert_string_equal(v->created_by, "alice");
	assert_int_equal(v->stage, MR_STAGE_DEV);
	assert_int_equal(v->artifact_size, repetitive_size());
	assert_int_equal(v->chunk_count, 4);
	/* On the wire: one question, two distinct chunks, one commit. */
	assert_int_equal(wr_tap_calls(f->tap, "FindMissingChunks"), 1);
	assert_int_equal(wr_tap_calls(f->tap, "PutChunk"), 2);
	assert_int_equal(wr_tap_distinct_chunks(f->tap), 2);
	assert_int_equal(wr_tap_calls(f->tap, "RegisterVersion"), 1);
	s = mr_client_transfer_stats(f->c);
	assert_int_equal(s->files, 1);
	assert_int_equal(s->chunks, 4);
	assert_int_equal(s->chunks_sent, 2);
	assert_int_equal(s->bytes, repetitive_size());
	assert_true(s->bytes_sent > 0);
	/* The repeated block compresses; the codec decided so. */
	assert_true(s->bytes_sent < block_size() + TAIL_SIZE);
	assert_int_equal(mr_client_revision(f->c),
	    last_event_revision(
	        f->c, "fraud", MR_EVENT_VERSION_REGISTERED, &n));
	assert_int_equal(n, 1);
	mr_version_free(v);
	free(path);
}

static void
test_register_of_content_the_server_holds_sends_no_chunks(void **state)
{
	fixture *f = *state;
	char *path = repetitive_file(f, "weights.bin");
	mr_register_params p = {
	    .name = "fraud", .version = "1.0.0", .path = path};

	assert_int_equal(mr_register(f->c, &p, NULL), MR_OK);
	wr_tap_reset(f->tap);
	p.version = "1.0.1";
	assert_int_equal(mr_register(f->c, &p, NULL), MR_OK);
	assert_int_equal(wr_tap_calls(f->tap, "FindMissingChunks"), 1);
	assert_int_equal(wr_tap_calls(f->tap, "PutChunk"), 0);
	assert_int_equal(wr_tap_calls(f->tap, "RegisterVersion"), 1);
	assert_int_equal(mr_client_transfer_stats(f->c)->chunks_sent, 0);
	assert_int_equal(mr_client_transfer_stats(f->c)->bytes_sent, 0);
	/* Another model with the same bytes shares them too. */
	p.name = "fraud-copy";
	assert_int_equal(mr_register(f->c, &p, NULL), MR_OK);
	assert_int_equal(wr_tap_calls(f->tap, "PutChunk"), 0);
	free(path);
}

static void
test_register_sends_only_the_chunks_the_server_lacks(void **state)
{
	fixture *f = *state;
	size_t size = 8 * MR_CHUNK_SIZE, all, fresh;
	uint8_t *a_bytes = malloc(size), *b_bytes = malloc(size);
	char *a = rs_path(f->s.dir, "a.bin"), *b = rs_path(f->s.dir, "b.bin");
	mr_register_params p = {
	    .name = "ranker", .version = "1.0.0", .path = a};

	/* b.bin differs from a.bin in its last MiB only: the chunks that
	 * end before it are the same. */
	tu_fill_weights(a_bytes, size, 11);
	rs_write_mode(a, a_bytes, size, 0644);
	memcpy(b_bytes, a_bytes, size);
	tu_fill_weights(b_bytes + size - MR_CHUNK_SIZE, MR_CHUNK_SIZE, 12);
	rs_write_mode(b, b_bytes, size, 0644);
	free(chunk_digests(b_bytes, size, &all));
	fresh = chunks_not_in(b_bytes, size, a_bytes, size);
	assert_true(fresh >= 1 && fresh <= 2 && fresh < all);

	assert_int_equal(mr_register(f->c, &p, NULL), MR_OK);
	wr_tap_reset(f->tap);
	p.version = "1.1.0";
	p.path = b;
	assert_int_equal(mr_register(f->c, &p, NULL), MR_OK);
	assert_int_equal(wr_tap_calls(f->tap, "PutChunk"), fresh);
	assert_int_equal(mr_client_transfer_stats(f->c)->chunks, all);
	assert_int_equal(mr_client_transfer_stats(f->c)->chunks_sent, fresh);
	free(a_bytes);
	free(b_bytes);
	free(a);
	free(b);
}

static void
test_register_directory_commits_the_sorted_manifest(void **state)
{
	fixture *f = *state;
	const char *names[] = {"b/x.json", "a.bin", "b.txt"};
	char *dir = rs_path(f->s.dir, "tree");
	mr_register_params p = {
	    .name = "ranker", .version = "0.1.0-rc.1", .path = dir};
	mr_version *v;

	for (int i = 0; i < 3; i++) {
		char *path = rs_path(dir, names[i]);
		rs_write_random(path, 100 + (size_t)i, (uint64_t)i, 0644);
		free(path);
	}
	assert_int_equal(mr_register(f->c, &p, NULL), MR_OK);
	assert_int_equal(
	    mr_get_version(f->c, "ranker", "0.1.0-rc.1", MR_STAGE_NONE, &v),
	    MR_OK);
	assert_true(v->directory);
	assert_int_equal(v->n_files, 3);
	assert_string_equal(v->files[0].path, "a.bin");
	assert_string_equal(v->files[1].path, "b.txt");
	assert_string_equal(v->files[2].path, "b/x.json");
	assert_int_equal(v->files[2].size, 100);
	assert_int_equal(v->artifact_size, 100 + 101 + 102);
	mr_version_free(v);
	free(dir);
}

/* Replaces the server's store with an empty one once every chunk has
 * been sent, just before the commit. */
typedef struct restore {
	rs_server *s;
	bool done;
} restore;

static void
restore_old_backup(void *arg, uint64_t done, uint64_t total)
{
	restore *r = arg;

	if (!r->done && total > 0 && done == total) {
		r->done = true;
		rs_replace_store(r->s);
	}
}

static void
test_register_after_the_server_lost_its_chunks_sends_them_again(void **state)
{
	fixture *f = *state;
	char *path = repetitive_file(f, "weights.bin");
	restore r = {&f->s, false};
	mr_register_params p = {.name = "fraud",
	    .version = "2.0.0",
	    .path = path,
	    .progress = restore_old_backup,
	    .progress_arg = &r};
	mr_version *v;
	int n;

	assert_int_equal(mr_register(f->c, &p, NULL), MR_OK);
	assert_true(r.done);
	/* Commit refused for missing chunks, asked again, sent again,
	 * committed again. */
	assert_int_equal(wr_tap_calls(f->tap, "RegisterVersion"), 2);
	assert_int_equal(wr_tap_calls(f->tap, "FindMissingChunks"), 2);
	assert_int_equal(wr_tap_calls(f->tap, "PutChunk"), 4);
	assert_int_equal(mr_client_transfer_stats(f->c)->chunks_sent, 4);
	/* The new store holds the version, whole. */
	assert_int_equal(
	    mr_get_version(f->c, "fraud", "2.0.0", MR_STAGE_NONE, &v), MR_OK);
	assert_int_equal(v->artifact_size, repetitive_size());
	mr_version_free(v);
	assert_int_equal(mr_client_revision(f->c),
	    last_event_revision(
	        f->c, "fraud", MR_EVENT_VERSION_REGISTERED, &n));
	assert_int_equal(n, 1);
	free(path);
}

/* Canned answers: nothing is missing, and every commit is refused. */
typedef struct refuser {
	atomic_int find_missing, put_chunk, register_calls;
} refuser;

static void
refuse_commits(void *arg, wr_responder *r, nng_msg *req)
{
	Modelreg__V1__FindMissingChunksResponse none =
	    MODELREG__V1__FIND_MISSING_CHUNKS_RESPONSE__INIT;
	Modelreg__V1__Request *env = wr_envelope(req);
	refuser *x = arg;

	assert_non_null(env);
	if (strstr(env->method, "/FindMissingChunks") != NULL) {
		atomic_fetch_add(&x->find_missing, 1);
		wr_reply(r, req, MR_OK, NULL, &none.base, 0);
	} else if (strstr(env->method, "/RegisterVersion") != NULL) {
		atomic_fetch_add(&x->register_calls, 1);
		wr_reply(r, req, MR_FAILED_PRECONDITION, "refused by the test",
		    NULL, 0);
	} else {
		atomic_fetch_add(&x->put_chunk, 1);
		wr_reply(r, req, MR_INTERNAL, "unexpected call", NULL, 0);
	}
	modelreg__v1__request__free_unpacked(env, NULL);
}

static void
test_register_refused_with_nothing_missing_keeps_the_refusal(void **state)
{
	fixture *f = *state;
	char *path = repetitive_file(f, "weights.bin");
	mr_register_params p = {
	    .name = "fraud", .version = "2.0.0", .path = path};
	refuser x = {0};
	wr_responder *rsp;
	mr_client *c;
	char url[64];

	wr_url(url, "refuser");
	rsp = wr_responder_start(url, refuse_commits, &x);
	c = rs_client(url, "alice", 30000, 0);
	assert_int_equal(mr_register(c, &p, NULL), MR_FAILED_PRECONDITION);
	assert_string_equal(mr_client_errmsg(c), "refused by the test");
	mr_client_close(c);
	wr_responder_stop(rsp);
	/* It asked again whether anything was missing, and committed once. */
	assert_int_equal(atomic_load(&x.register_calls), 1);
	assert_int_equal(atomic_load(&x.find_missing), 2);
	assert_int_equal(atomic_load(&x.put_chunk), 0);
	free(path);
}

static void
test_register_of_an_existing_version_is_already_exists_once(void **state)
{
	fixture *f = *state;
	char *path = repetitive_file(f, "weights.bin");
	mr_register_params p = {
	    .name = "fraud", .version = "2.0.0", .path = path};
	mr_version *v = NULL;
	int n;

	assert_int_equal(mr_register(f->c, &p, NULL), MR_OK);
	wr_tap_reset(f->tap);
	p.description = "another try";
	assert_int_equal(mr_register(f->c, &p, &v), MR_ALREADY_EXISTS);
	assert_null(v);
	assert_non_null(strstr(mr_client_errmsg(f->c), "already exists"));
	assert_int_equal(wr_tap_calls(f->tap, "RegisterVersion"), 1);
	last_event_revision(f->c, "fraud", MR_EVENT_VERSION_REGISTERED, &n);
	assert_int_equal(n, 1);
	free(path);
}

typedef struct progress_log {
	uint64_t last_done, total;
	int calls;
	bool backwards;
} progress_log;

static void
log_progress(void *arg, uint64_t done, uint64_t total)
{
	progress_log *l = arg;

	if (done < l->last_done)
		l->backwards = true;
	l->last_done = done;
	l->total = total;
	l->calls++;
}

static void
test_register_reports_progress_up_to_the_bytes_to_send(void **state)
{
	fixture *f = *state;
	char *path = repetitive_file(f, "weights.bin");
	progress_log log = {0};
	mr_register_params p = {.name = "fraud",
	    .version = "1.0.0",
	    .path = path,
	    .progress = log_progress,
	    .progress_arg = &log};

	assert_int_equal(mr_register(f->c, &p, NULL), MR_OK);
	assert_int_equal(log.total, block_size() + TAIL_SIZE);
	assert_int_equal(log.last_done, log.total);
	assert_int_equal(log.calls, 3); /* the start, then each chunk */
	assert_false(log.backwards);
	free(path);
}

/* The artifact of the edit test: more than the push holds in memory
 * (STREAM_BUFFERS buffers of MF_BUF_SIZE) plus a chunk in flight. */
#define EDITED_SIZE ((size_t)(STREAM_BUFFERS + 3) * MF_BUF_SIZE)

typedef struct editor {
	const char *path;
	bool edited;
} editor;

/* Rewrites the artifact when the first chunk has been stored: it is
 * being read then, for the rest of it cannot be in memory yet. */
static void
edit_file(void *arg, uint64_t done, uint64_t total)
{
	editor *ed = arg;

	(void)total;
	if (done > 0 && !ed->edited) {
		ed->edited = true;
		rs_write_random(ed->path, EDITED_SIZE, 99, 0644);
	}
}

static void
test_register_of_a_file_changed_while_it_is_read_is_aborted(void **state)
{
	fixture *f = *state;
	char *path = rs_path(f->s.dir, "weights.bin");
	uint8_t *bytes = malloc(EDITED_SIZE);
	editor ed = {path, false};
	mr_register_params p = {.name = "fraud",
	    .version = "1.0.0",
	    .path = path,
	    .progress = edit_file,
	    .progress_arg = &ed};
	/* One call in flight, so that the reader cannot run far ahead. */
	mr_client *c = rs_client(f->url, "alice", 30000, 1);
	mr_model *m;

	tu_fill_weights(bytes, EDITED_SIZE, 7);
	rs_write_mode(path, bytes, EDITED_SIZE, 0644);
	assert_int_equal(mr_register(c, &p, NULL), MR_ABORTED);
	assert_true(ed.edited);
	assert_non_null(strstr(mr_client_errmsg(c), "changed"));
	assert_non_null(strstr(mr_client_errmsg(c), path));
	assert_int_equal(wr_tap_calls(f->tap, "RegisterVersion"), 0);
	assert_int_equal(mr_get_model(c, "fraud", &m), MR_NOT_FOUND);
	mr_client_close(c);
	free(bytes);
	free(path);
}

static void
test_register_directory_sends_chunks_shared_by_files_once(void **state)
{
	fixture *f = *state;
	char *dir = rs_path(f->s.dir, "tree");
	char *a = rs_path(dir, "a.bin"), *b = rs_path(dir, "sub/b.bin");
	char *c = rs_path(dir, "c.bin"), *dest = rs_path(f->s.dir, "out");
	size_t len;
	uint8_t *blk = block(&len), *buf = malloc(3 * len + TAIL_SIZE);
	mr_register_params p = {.name = "ranker", .version = "1.0.0", .path = dir};
	const mr_transfer_stats *s;

	/* a.bin and sub/b.bin: 3 blocks and a tail; c.bin: one block and
	 * another tail. 10 chunk refs, 3 distinct chunks. */
	for (size_t i = 0; i < 3; i++)
		memcpy(buf + i * len, blk, len);
	for (size_t i = 0; i < TAIL_SIZE; i++)
		buf[3 * len + i] = (uint8_t)(i * 7 + 3);
	rs_write_mode(a, buf, 3 * len + TAIL_SIZE, 0644);
	rs_write_mode(b, buf, 3 * len + TAIL_SIZE, 0644);
	for (size_t i = 0; i < TAIL_SIZE; i++)
		buf[len + i] = (uint8_t)(i * 11 + 5);
	rs_write_mode(c, buf, len + TAIL_SIZE, 0644);
	assert_int_equal(mr_register(f->c, &p, NULL), MR_OK);
	assert_int_equal(wr_tap_calls(f->tap, "PutChunk"), 3);
	assert_int_equal(wr_tap_distinct_chunks(f->tap), 3);
	s = mr_client_transfer_stats(f->c);
	assert_int_equal(s->files, 3);
	assert_int_equal(s->chunks, 10);
	assert_int_equal(s->chunks_sent, 3);
	/* What was committed is what is on disk. */
	assert_int_equal(
	    mr_pull(f->c, "ranker", "1.0.0", MR_STAGE_NONE, dest, NULL, NULL),
	    MR_OK);
	{
		char *pa = rs_path(dest, "a.bin"), *pb = rs_path(dest, "sub/b.bin");
		char *pc = rs_path(dest, "c.bin");
		assert_true(rs_same_file(pa, a));
		assert_true(rs_same_file(pb, b));
		assert_true(rs_same_file(pc, c));
		free(pa);
		free(pb);
		free(pc);
	}
	free(blk);
	free(buf);
	free(a);
	free(b);
	free(c);
	free(dest);
	free(dir);
}

static void
test_register_larger_than_the_read_buffers_sends_every_chunk(void **state)
{
	fixture *f = *state;
	size_t size = (STREAM_BUFFERS + 2) * MF_BUF_SIZE + 12345, n;
	uint8_t *bytes = malloc(size);
	char *path = rs_path(f->s.dir, "big.bin");
	char *dest = rs_path(f->s.dir, "big-out.bin");
	mr_register_params p = {.name = "big", .version = "1.0.0", .path = path};
	mr_version *v;

	tu_fill_weights(bytes, size, 3);
	rs_write_mode(path, bytes, size, 0644);
	free(chunk_digests(bytes, size, &n));
	assert_int_equal(mr_register(f->c, &p, &v), MR_OK);
	assert_int_equal(v->artifact_size, size);
	assert_int_equal(v->chunk_count, n);
	assert_int_equal(wr_tap_calls(f->tap, "PutChunk"), n);
	assert_int_equal(mr_client_transfer_stats(f->c)->chunks_sent, n);
	mr_version_free(v);
	assert_int_equal(
	    mr_pull(f->c, "big", "1.0.0", MR_STAGE_NONE, dest, NULL, NULL),
	    MR_OK);
	assert_true(rs_same_file(dest, path));
	free(bytes);
	free(path);
	free(dest);
}

static void
test_register_of_more_files_than_the_queue_holds(void **state)
{
	fixture *f = *state;
	char *dir = rs_path(f->s.dir, "many");
	size_t files = STREAM_QUEUE + 100;
	mr_register_params p = {.name = "many", .version = "1.0.0", .path = dir};
	mr_version *v;

	for (size_t i = 0; i < files; i++) {
		char name[32], *path;

		snprintf(name, sizeof(name), "f%04zu.json", i);
		path = rs_path(dir, name);
		rs_write_random(path, 100 + i, (uint64_t)i + 1, 0644);
		free(path);
	}
	assert_int_equal(mr_register(f->c, &p, &v), MR_OK);
	assert_int_equal(v->n_files, files);
	assert_int_equal(v->chunk_count, files);
	assert_int_equal(wr_tap_calls(f->tap, "PutChunk"), files);
	/* Asked in batches, each within the server's limit. */
	assert_true(wr_tap_calls(f->tap, "FindMissingChunks") >= 2);
	mr_version_free(v);
	free(dir);
}

/* Counts requests; answers each with INTERNAL. */
static void
count_calls(void *arg, wr_responder *r, nng_msg *req)
{
	atomic_fetch_add((atomic_int *)arg, 1);
	wr_reply(r, req, MR_INTERNAL, "no call was expected", NULL, 0);
}

static void
test_register_bad_parameters_are_refused_without_a_round_trip(void **state)
{
	fixture *f = *state;
	char *path = repetitive_file(f, "weights.bin");
	mr_kv dup_tags[] = {{"team", "a"}, {"team", "b"}};
	mr_metric metrics[] = {{"", 1.0}};
	mr_metadata md = {.metrics = metrics, .n_metrics = 1};
	mr_register_params p = {
	    .name = "fraud", .version = "1.0", .path = path};
	char *odd = rs_path(f->s.dir, "odd"), *fifo = rs_path(odd, "pipe");
	atomic_int calls = 0;
	wr_responder *rsp;
	mr_client *c;
	char url[64];

	assert_int_equal(mkdir(odd, 0755), 0);
	assert_int_equal(mkfifo(fifo, 0644), 0);
	wr_url(url, "count");
	rsp = wr_responder_start(url, count_calls, &calls);
	c = rs_client(url, "alice", 30000, 0);
	assert_int_equal(mr_register(c, &p, NULL), MR_INVALID_ARGUMENT);
	assert_non_null(strstr(mr_client_errmsg(c), "semantic version"));
	p.version = "1.0.0";
	p.name = "fraud detector";
	assert_int_equal(mr_register(c, &p, NULL), MR_INVALID_ARGUMENT);
	p.name = "fraud";
	p.tags = dup_tags;
	p.n_tags = 2;
	assert_int_equal(mr_register(c, &p, NULL), MR_INVALID_ARGUMENT);
	assert_non_null(strstr(mr_client_errmsg(c), "twice"));
	p.n_tags = 0;
	p.metadata = &md;
	assert_int_equal(mr_register(c, &p, NULL), MR_INVALID_ARGUMENT);
	assert_non_null(strstr(mr_client_errmsg(c), "metric name"));
	p.metadata = NULL;
	p.stage = (mr_stage)7;
	assert_int_equal(mr_register(c, &p, NULL), MR_INVALID_ARGUMENT);
	p.stage = MR_STAGE_NONE;
	p.path = NULL;
	assert_int_equal(mr_register(c, &p, NULL), MR_INVALID_ARGUMENT);
	p.path = odd;
	assert_int_equal(mr_register(c, &p, NULL), MR_INVALID_ARGUMENT);
	assert_non_null(strstr(mr_client_errmsg(c), "FIFO"));
	assert_int_equal(mr_register(c, NULL, NULL), MR_INVALID_ARGUMENT);
	mr_client_close(c);
	wr_responder_stop(rsp);
	assert_int_equal(atomic_load(&calls), 0);
	free(path);
	free(odd);
	free(fifo);
}

static void
test_register_symlink_in_directory_is_refused_by_name(void **state)
{
	fixture *f = *state;
	char *dir = rs_path(f->s.dir, "tree");
	char *file = rs_path(dir, "model.bin");
	char *link = rs_path(dir, "alias.bin");
	mr_register_params p = {
	    .name = "fraud", .version = "1.0.0", .path = dir};
	mr_model *m;

	rs_write_mode(file, "weights", 7, 0644);
	assert_int_equal(symlink("model.bin", link), 0);
	assert_int_equal(mr_register(f->c, &p, NULL), MR_INVALID_ARGUMENT);
	assert_non_null(strstr(mr_client_errmsg(f->c), link));
	assert_non_null(strstr(mr_client_errmsg(f->c), "symbolic link"));
	assert_int_equal(wr_tap_calls(f->tap, NULL), 0);
	assert_int_equal(mr_get_model(f->c, "fraud", &m), MR_NOT_FOUND);
	free(dir);
	free(file);
	free(link);
}

static void
test_register_stores_metadata_signature_and_tags(void **state)
{
	fixture *f = *state;
	char *path = rs_path(f->s.dir, "m.bin");
	mr_kv tags[] = {{"team", "risk"}, {"env", "test"}};
	mr_kv params[] = {{"eta", "0.1"}};
	mr_metric metrics[] = {{"auc", 0.91}, {"accuracy", 0.87}};
	char *features[] = {"amount", "hour"};
	mr_field ins[] = {{"amount", "float32"}, {"hour", "int32"}};
	mr_field outs[] = {{"score", "float32"}};
	mr_metadata md = {.metrics = metrics,
	    .n_metrics = 2,
	    .hyperparameters = params,
	    .n_hyperparameters = 1,
	    .framework = "xgboost",
	    .framework_version = "2.0.3",
	    .features = features,
	    .n_features = 2,
	    .experiment = "exp-003"};
	mr_signature sig = {
	    .inputs = ins, .n_inputs = 2, .outputs = outs, .n_outputs = 1};
	mr_register_params p = {.name = "fraud",
	    .version = "1.0.0",
	    .stage = MR_STAGE_STAGING,
	    .path = path,
	    .description = "first",
	    .metadata = &md,
	    .tags = tags,
	    .n_tags = 2,
	    .signature = &sig,
	    .model_description = "card fraud"};
	mr_version *v;
	mr_model *m;

	rs_write_mode(path, "w", 1, 0644);
	assert_int_equal(mr_register(f->c, &p, NULL), MR_OK);
	/* Read back from the store, not from the commit's answer. */
	assert_int_equal(
	    mr_get_version(f->c, "fraud", "1.0.0", MR_STAGE_NONE, &v), MR_OK);
	assert_int_equal(v->stage, MR_STAGE_STAGING);
	assert_string_equal(v->description, "first");
	assert_string_equal(v->metadata.framework, "xgboost");
	assert_string_equal(v->metadata.framework_version, "2.0.3");
	assert_string_equal(v->metadata.experiment, "exp-003");
	assert_int_equal(v->metadata.n_metrics, 2);
	assert_string_equal(v->metadata.metrics[0].name, "accuracy");
	assert_true(v->metadata.metrics[1].value == 0.91);
	assert_string_equal(v->metadata.hyperparameters[0].value, "0.1");
	assert_int_equal(v->metadata.n_features, 2);
	assert_string_equal(v->metadata.features[1], "hour");
	assert_int_equal(v->n_tags, 2);
	assert_string_equal(v->tags[0].key, "env");
	assert_string_equal(v->tags[1].value, "risk");
	assert_int_equal(v->signature.n_inputs, 2);
	assert_string_equal(v->signature.inputs[1].type, "int32");
	assert_string_equal(v->signature.outputs[0].name, "score");
	assert_int_equal(v->n_files, 1);
	assert_string_equal(v->files[0].path, "m.bin");
	assert_int_equal(v->files[0].mode, 0644);
	mr_version_free(v);
	assert_int_equal(mr_get_model(f->c, "fraud", &m), MR_OK);
	assert_string_equal(m->description, "card fraud");
	mr_model_free(m);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
	    T(test_register_sends_each_distinct_chunk_once),
	    T(test_register_of_content_the_server_holds_sends_no_chunks),
	    T(test_register_sends_only_the_chunks_the_server_lacks),
	    T(test_register_directory_commits_the_sorted_manifest),
	    T(test_register_after_the_server_lost_its_chunks_sends_them_again),
	    T(test_register_refused_with_nothing_missing_keeps_the_refusal),
	    T(test_register_of_an_existing_version_is_already_exists_once),
	    T(test_register_reports_progress_up_to_the_bytes_to_send),
	    T(test_register_of_a_file_changed_while_it_is_read_is_aborted),
	    T(test_register_directory_sends_chunks_shared_by_files_once),
	    T(test_register_larger_than_the_read_buffers_sends_every_chunk),
	    T(test_register_of_more_files_than_the_queue_holds),
	    T(test_register_bad_parameters_are_refused_without_a_round_trip),
	    T(test_register_symlink_in_directory_is_refused_by_name),
	    T(test_register_stores_metadata_signature_and_tags),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
