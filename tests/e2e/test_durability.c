/*
 * test_durability.c - acknowledged writes survive kill -9, unacknowledged
 * ones are never half-visible, and a chunk damaged on disk is caught by a
 * pull rather than written as good data. modelregd runs as a real process.
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "e2e.h"
#include "storetest.h"
#include "testutil.h"

#define N_VERSIONS 12

static void
make_artifact(const char *dir, int i, char *path, size_t cap)
{
	/* Versions share their first 2 MiB, so chunks are deduplicated
	 * across versions and the restart must keep shared chunks intact. */
	size_t size = (2u << 20) + (size_t)i * 100000 + 17;
	uint8_t *buf = malloc(size);

	tu_fill_weights(buf, 2u << 20, 42);
	tu_fill_weights(buf + (2u << 20), size - (2u << 20), (uint64_t)i + 1);
	snprintf(path, cap, "%s/src-%d.bin", dir, i);
	tu_write_file(path, buf, size);
	free(buf);
}

static void
test_acknowledged_versions_survive_kill_9(void **state)
{
	e2e_server s;
	char src[N_VERSIONS][PATH_MAX + 32], version[16];
	mr_client *c;
	uint64_t last_rev;

	(void)state;
	e2e_start(&s, "durable");
	c = e2e_client(&s);
	for (int i = 0; i < N_VERSIONS; i++) {
		mr_register_params p = { .name = "fraud", .path = src[i] };
		make_artifact(s.dir, i, src[i], sizeof(src[i]));
		snprintf(version, sizeof(version), "1.%d.0", i);
		p.version = version;
		assert_int_equal(mr_register(c, &p, NULL), MR_OK);
	}
	assert_int_equal(mr_promote(c, "fraud", "1.3.0", MR_STAGE_STAGING,
			     MR_STAGE_NONE, "ok", NULL),
	    MR_OK);
	assert_int_equal(mr_promote(c, "fraud", "1.3.0", MR_STAGE_PRODUCTION,
			     MR_STAGE_NONE, "ok", NULL),
	    MR_OK);
	last_rev = mr_client_revision(c);
	mr_client_close(c);

	e2e_kill(&s, SIGKILL);
	e2e_restart(&s);

	c = e2e_client(&s);
	{
		mr_model *m;
		assert_int_equal(mr_get_model(c, "fraud", &m), MR_OK);
		assert_int_equal(m->version_count, N_VERSIONS);
		assert_string_equal(m->production_version, "1.3.0");
		assert_true(m->revision >= last_rev);
		mr_model_free(m);
	}
	for (int i = 0; i < N_VERSIONS; i++) {
		snprintf(version, sizeof(version), "1.%d.0", i);
		e2e_expect_pull_identical(c, s.dir, "fraud", version, src[i]);
	}
	mr_client_close(c);
	e2e_finish(&s);
}

struct writer {
	const e2e_server *s;
	const char *src;
	atomic_int acked; /* versions 0.0.1 .. 0.0.acked were acknowledged */
	atomic_bool stop;
};

static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	mr_client_options o = { .timeout_ms = 3000 };
	mr_client *c;
	char version[16];

	if (mr_client_open(&c, w->s->url, &o) != MR_OK)
		return NULL;
	for (int i = 1; !atomic_load(&w->stop); i++) {
		/* Each version names its predecessor as parent (an edge) and
		 * a dataset nobody added (a dangling reference): lineage is
		 * written in the same batch as every registration. */
		char parent[32];
		mr_metadata md = { .training_data_version = "v-never-added",
			.parent_model = parent };
		mr_register_params p = { .name = "stream", .path = w->src,
			.metadata = &md };
		snprintf(version, sizeof(version), "0.0.%d", i);
		parent[0] = '\0';
		if (i > 1)
			snprintf(parent, sizeof(parent), "stream@0.0.%d", i - 1);
		p.version = version;
		if (mr_register(c, &p, NULL) != MR_OK)
			break;
		atomic_store(&w->acked, i);
	}
	mr_client_close(c);
	return NULL;
}

static void
test_kill_9_during_registrations_loses_no_acknowledged_version(void **state)
{
	e2e_server s;
	char src[PATH_MAX + 32];
	struct writer w;
	pthread_t t;
	mr_client *c;
	int acked, present = 0;
	uint64_t edges = 0;
	store *st;
	mr_err e;

	(void)state;
	e2e_start(&s, "killmid");
	make_artifact(s.dir, 99, src, sizeof(src));
	memset(&w, 0, sizeof(w));
	w.s = &s;
	w.src = src;
	assert_int_equal(pthread_create(&t, NULL, writer_main, &w), 0);
	while (atomic_load(&w.acked) < 5)
		usleep(10 * 1000);
	e2e_kill(&s, SIGKILL);
	acked = atomic_load(&w.acked);
	atomic_store(&w.stop, true);
	pthread_join(t, NULL);
	e2e_restart(&s);

	c = e2e_client(&s);
	for (int i = 1; i <= acked + 1; i++) {
		char version[16];
		mr_version *v = NULL;
		mr_status rv;

		snprintf(version, sizeof(version), "0.0.%d", i);
		rv = mr_get_version(c, "stream", version, MR_STAGE_NONE, &v);
		if (i <= acked) {
			assert_int_equal(rv, MR_OK);
		} else if (rv != MR_OK) {
			/* The one in flight may be absent... */
			assert_int_equal(rv, MR_NOT_FOUND);
			continue;
		}
		/* ...but whatever is visible pulls whole. */
		mr_version_free(v);
		e2e_expect_pull_identical(c, s.dir, "stream", version, src);
		present++;
	}
	mr_client_close(c);

	/* No half edges: every edge has both keys and both nodes, one
	 * parent edge per version after the first, nothing more. */
	assert_int_equal(e2e_kill(&s, SIGTERM), 0);
	assert_int_equal(store_open(&st, s.data, &e), MR_OK);
	assert_int_equal(store_lineage_check(st, &edges, &e), MR_OK);
	assert_int_equal(edges, (uint64_t)present - 1);
	store_close(st);
	tu_rmtree(s.dir);
}

static void
test_chunk_damaged_on_disk_is_data_loss_and_nothing_is_written(void **state)
{
	e2e_server s;
	char src[PATH_MAX + 32], dest[PATH_MAX + 32];
	struct stat st;
	mr_client *c;
	mr_register_params p = { .name = "m", .version = "1.0.0" };

	(void)state;
	e2e_start(&s, "damage");
	make_artifact(s.dir, 1, src, sizeof(src));
	p.path = src;
	c = e2e_client(&s);
	assert_int_equal(mr_register(c, &p, NULL), MR_OK);
	mr_client_close(c);
	e2e_kill(&s, SIGTERM);

	assert_true(st_damage_chunks(s.data) > 0);
	e2e_restart(&s);
	c = e2e_client(&s);
	snprintf(dest, sizeof(dest), "%s/out.bin", s.dir);
	assert_int_equal(mr_pull(c, "m", "1.0.0", MR_STAGE_NONE, dest, NULL,
			     NULL),
	    MR_DATA_LOSS);
	assert_non_null(strstr(mr_client_errmsg(c), "digest"));
	assert_int_equal(stat(dest, &st), -1);
	mr_client_close(c);
	e2e_finish(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acknowledged_versions_survive_kill_9),
		cmocka_unit_test(
		    test_kill_9_during_registrations_loses_no_acknowledged_version),
		cmocka_unit_test(
		    test_chunk_damaged_on_disk_is_data_loss_and_nothing_is_written),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
