/*
 * test_push.c - mr_register (client/push.c) against the fake server:
 * only missing chunks travel, each distinct chunk once, and a commit
 * refused for lost chunks is repaired once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "fake_server.h"
#include "modelreg.h"
#include "ctutil.h"

typedef struct fixture {
	fake_server *srv;
	mr_client *c;
	char *dir;
} fixture;

static int
setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	const char *url = ct_url();
	mr_client_options o = { .user = "alice", .timeout_ms = 5000 };

	f->srv = fake_start(url);
	assert_non_null(f->srv);
	assert_int_equal(mr_client_open(&f->c, url, &o), MR_OK);
	f->dir = ct_tmpdir();
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fixture *f = *state;

	mr_client_close(f->c);
	fake_stop(f->srv);
	ct_rmtree(f->dir);
	free(f->dir);
	free(f);
	return 0;
}

/* 3 identical 1 MiB blocks, then half a MiB of other bytes: four chunk
 * references, two distinct chunks. */
static char *
repetitive_file(fixture *f)
{
	char *path = ct_path(f->dir, "weights.bin");
	size_t n = 3 * MR_CHUNK_SIZE + MR_CHUNK_SIZE / 2;
	uint8_t *buf = malloc(n);

	for (size_t i = 0; i < n; i++)
		buf[i] = i < 3 * MR_CHUNK_SIZE ? (uint8_t)(i % 256)
					       : (uint8_t)(i * 7 + 3);
	ct_write(path, buf, n, 0644);
	free(buf);
	return path;
}

static void
test_register_sends_each_distinct_chunk_once(void **state)
{
	fixture *f = *state;
	char *path = repetitive_file(f);
	mr_register_params p = { .name = "fraud", .version = "v3.1.0",
		.path = path };
	const mr_transfer_stats *s;
	mr_version *v;

	assert_int_equal(mr_register(f->c, &p, &v), MR_OK);
	assert_string_equal(v->name, "fraud");
	assert_string_equal(v->version, "3.1.0"); /* normalized */
	assert_string_equal(v->created_by, "alice");
	assert_int_equal(v->artifact_size, 3 * MR_CHUNK_SIZE +
		MR_CHUNK_SIZE / 2);
	s = mr_client_transfer_stats(f->c);
	assert_int_equal(s->files, 1);
	assert_int_equal(s->chunks, 4);
	assert_int_equal(s->chunks_sent, 2);
	assert_int_equal(s->bytes, v->artifact_size);
	assert_true(s->bytes_sent > 0);
	/* The repeated block compresses; the codec decided so. */
	assert_true(s->bytes_sent < MR_CHUNK_SIZE + MR_CHUNK_SIZE / 2);
	assert_int_equal(fake_chunk_count(f->srv), 2);
	assert_int_equal(fake_stats_of(f->srv)->put_chunk, 2);
	assert_int_equal(mr_client_revision(f->c),
	    fake_stats_of(f->srv)->revision);
	mr_version_free(v);
	free(path);
}

static void
test_register_of_known_content_sends_no_chunks(void **state)
{
	fixture *f = *state;
	char *path = repetitive_file(f);
	mr_register_params p = { .name = "fraud", .version = "1.0.0",
		.path = path };

	assert_int_equal(mr_register(f->c, &p, NULL), MR_OK);
	p.version = "1.0.1";
	assert_int_equal(mr_register(f->c, &p, NULL), MR_OK);
	assert_int_equal(mr_client_transfer_stats(f->c)->chunks_sent, 0);
	assert_int_equal(mr_client_transfer_stats(f->c)->bytes_sent, 0);
	assert_int_equal(fake_stats_of(f->srv)->put_chunk, 2);
	free(path);
}

static void
test_register_directory_commits_the_sorted_manifest(void **state)
{
	fixture *f = *state;
	const char *names[] = { "b/x.json", "a.bin", "b.txt" };
	mr_register_params p = { .name = "ranker", .version = "0.1.0-rc.1",
		.path = f->dir };
	mr_version *v;

	for (int i = 0; i < 3; i++) {
		char *path = ct_path(f->dir, names[i]);
		ct_write_pattern(path, 100 + (size_t)i, (uint32_t)i, 0644);
		free(path);
	}
	assert_int_equal(mr_register(f->c, &p, NULL), MR_OK);
	assert_int_equal(mr_get_version(f->c, "ranker", "0.1.0-rc.1",
			     MR_STAGE_NONE, &v),
	    MR_OK);
	assert_true(v->directory);
	assert_int_equal(v->n_files, 3);
	assert_string_equal(v->files[0].path, "a.bin");
	assert_string_equal(v->files[1].path, "b.txt");
	assert_string_equal(v->files[2].path, "b/x.json");
	assert_int_equal(v->files[2].size, 100);
	mr_version_free(v);
}

static void
test_register_resends_lost_chunks_and_commits_once_more(void **state)
{
	fixture *f = *state;
	char *path = repetitive_file(f);
	mr_register_params p = { .name = "fraud", .version = "2.0.0",
		.path = path };

	fake_knobs_of(f->srv)->lose_chunks_once = true;
	assert_int_equal(mr_register(f->c, &p, NULL), MR_OK);
	assert_int_equal(fake_stats_of(f->srv)->register_calls, 2);
	assert_int_equal(fake_stats_of(f->srv)->find_missing, 2);
	assert_int_equal(mr_client_transfer_stats(f->c)->chunks_sent, 4);
	free(path);
}

static void
test_register_refusal_without_missing_chunks_stands(void **state)
{
	fixture *f = *state;
	char *path = repetitive_file(f);
	mr_register_params p = { .name = "fraud", .version = "2.0.0",
		.path = path };

	fake_knobs_of(f->srv)->refuse_register = MR_FAILED_PRECONDITION;
	assert_int_equal(mr_register(f->c, &p, NULL), MR_FAILED_PRECONDITION);
	assert_string_equal(mr_client_errmsg(f->c), "refused by the test");
	assert_int_equal(fake_stats_of(f->srv)->register_calls, 1);
	fake_knobs_of(f->srv)->refuse_register = MR_ALREADY_EXISTS;
	assert_int_equal(mr_register(f->c, &p, NULL), MR_ALREADY_EXISTS);
	assert_int_equal(fake_stats_of(f->srv)->register_calls, 2);
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
	char *path = repetitive_file(f);
	progress_log log = { 0 };
	mr_register_params p = { .name = "fraud", .version = "1.0.0",
		.path = path, .progress = log_progress,
		.progress_arg = &log };

	assert_int_equal(mr_register(f->c, &p, NULL), MR_OK);
	assert_int_equal(log.total, MR_CHUNK_SIZE + MR_CHUNK_SIZE / 2);
	assert_int_equal(log.last_done, log.total);
	assert_int_equal(log.calls, 3); /* the start, then each chunk */
	assert_false(log.backwards);
	free(path);
}

static void
test_register_bad_parameters_cost_no_round_trip(void **state)
{
	fixture *f = *state;
	char *path = repetitive_file(f);
	mr_kv dup_tags[] = { { "team", "a" }, { "team", "b" } };
	mr_metric metrics[] = { { "", 1.0 } };
	mr_metadata md = { .metrics = metrics, .n_metrics = 1 };
	mr_register_params p = { .name = "fraud", .version = "1.0",
		.path = path };

	assert_int_equal(mr_register(f->c, &p, NULL), MR_INVALID_ARGUMENT);
	assert_non_null(strstr(mr_client_errmsg(f->c), "semantic version"));
	p.version = "1.0.0";
	p.name = "fraud detector";
	assert_int_equal(mr_register(f->c, &p, NULL), MR_INVALID_ARGUMENT);
	p.name = "fraud";
	p.tags = dup_tags;
	p.n_tags = 2;
	assert_int_equal(mr_register(f->c, &p, NULL), MR_INVALID_ARGUMENT);
	assert_non_null(strstr(mr_client_errmsg(f->c), "twice"));
	p.n_tags = 0;
	p.metadata = &md;
	assert_int_equal(mr_register(f->c, &p, NULL), MR_INVALID_ARGUMENT);
	assert_non_null(strstr(mr_client_errmsg(f->c), "metric name"));
	p.metadata = NULL;
	p.stage = (mr_stage)7;
	assert_int_equal(mr_register(f->c, &p, NULL), MR_INVALID_ARGUMENT);
	p.stage = MR_STAGE_NONE;
	p.path = NULL;
	assert_int_equal(mr_register(f->c, &p, NULL), MR_INVALID_ARGUMENT);
	assert_int_equal(mr_register(f->c, NULL, NULL), MR_INVALID_ARGUMENT);
	assert_int_equal(fake_stats_of(f->srv)->requests, 0);
	free(path);
}

static void
test_register_symlink_in_directory_is_refused_by_name(void **state)
{
	fixture *f = *state;
	char *file = ct_path(f->dir, "model.bin");
	char *link = ct_path(f->dir, "alias.bin");
	mr_register_params p = { .name = "fraud", .version = "1.0.0",
		.path = f->dir };

	ct_write(file, "weights", 7, 0644);
	assert_int_equal(symlink("model.bin", link), 0);
	assert_int_equal(mr_register(f->c, &p, NULL), MR_INVALID_ARGUMENT);
	assert_non_null(strstr(mr_client_errmsg(f->c), link));
	assert_int_equal(fake_stats_of(f->srv)->requests, 0);
	free(file);
	free(link);
}

static void
test_register_sends_metadata_and_tags(void **state)
{
	fixture *f = *state;
	char *path = ct_path(f->dir, "m.bin");
	mr_kv tags[] = { { "team", "risk" } };
	mr_kv params[] = { { "eta", "0.1" } };
	mr_metric metrics[] = { { "auc", 0.91 } };
	mr_field ins[] = { { "amount", "float32" } };
	mr_metadata md = { .metrics = metrics, .n_metrics = 1,
		.hyperparameters = params, .n_hyperparameters = 1,
		.framework = "xgboost" };
	mr_signature sig = { .inputs = ins, .n_inputs = 1 };
	mr_register_params p = { .name = "fraud", .version = "1.0.0",
		.path = path, .description = "first", .metadata = &md,
		.tags = tags, .n_tags = 1, .signature = &sig };
	mr_version *v;

	ct_write(path, "w", 1, 0644);
	assert_int_equal(mr_register(f->c, &p, &v), MR_OK);
	/* The fake server echoes what it was sent. */
	assert_string_equal(v->description, "first");
	assert_string_equal(v->metadata.framework, "xgboost");
	assert_string_equal(v->metadata.metrics[0].name, "auc");
	assert_string_equal(v->metadata.hyperparameters[0].value, "0.1");
	assert_string_equal(v->tags[0].value, "risk");
	assert_string_equal(v->signature.inputs[0].name, "amount");
	mr_version_free(v);
	free(path);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_register_sends_each_distinct_chunk_once),
		T(test_register_of_known_content_sends_no_chunks),
		T(test_register_directory_commits_the_sorted_manifest),
		T(test_register_resends_lost_chunks_and_commits_once_more),
		T(test_register_refusal_without_missing_chunks_stands),
		T(test_register_reports_progress_up_to_the_bytes_to_send),
		T(test_register_bad_parameters_cost_no_round_trip),
		T(test_register_symlink_in_directory_is_refused_by_name),
		T(test_register_sends_metadata_and_tags),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
