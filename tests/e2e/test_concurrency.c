/*
 * test_concurrency.c - many clients at once against one modelregd: racing
 * registrations of the same version admit exactly one, racing promotions
 * leave exactly one production version, and every acknowledged change has
 * its event, with revisions dense and strictly increasing.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "e2e.h"
#include "testutil.h"

#define THREADS 8
#define PER_THREAD 6

struct shared {
	e2e_server *s;
	char src[PATH_MAX + 32];
	atomic_int registered;
	atomic_int already;
	atomic_int to_staging;
	atomic_int to_production;
	atomic_int cas_wins;
};

struct arg {
	struct shared *sh;
	int id;
};

static void *
racer(void *p)
{
	struct arg *a = p;
	struct shared *sh = a->sh;
	mr_client_options o = { .timeout_ms = 60000 };
	mr_client *c;
	char version[16];

	if (mr_client_open(&c, sh->s->url, &o) != MR_OK)
		return NULL;
	for (int i = 0; i < PER_THREAD; i++) {
		mr_register_params rp = { .name = "shared", .path = sh->src };
		mr_status rv;

		/* Everyone also tries 9.9.9: exactly one wins. */
		rp.version = "9.9.9";
		rv = mr_register(c, &rp, NULL);
		if (rv == MR_OK)
			atomic_fetch_add(&sh->registered, 1);
		else if (rv == MR_ALREADY_EXISTS)
			atomic_fetch_add(&sh->already, 1);
		/* ...and everyone tries to move it out of dev once: the
		 * check-and-set admits exactly one. */
		if (i == 0 && mr_promote(c, "shared", "9.9.9", MR_STAGE_STAGING,
				  MR_STAGE_DEV, "race", NULL) == MR_OK)
			atomic_fetch_add(&sh->cas_wins, 1);

		snprintf(version, sizeof(version), "1.%d.%d", a->id, i);
		rp.version = version;
		if (mr_register(c, &rp, NULL) != MR_OK)
			continue;
		atomic_fetch_add(&sh->registered, 1);
		if (mr_promote(c, "shared", version, MR_STAGE_STAGING,
			MR_STAGE_DEV, "race", NULL) == MR_OK)
			atomic_fetch_add(&sh->to_staging, 1);
		rv = mr_promote(c, "shared", version, MR_STAGE_PRODUCTION,
		    MR_STAGE_STAGING, "race", NULL);
		if (rv == MR_OK)
			atomic_fetch_add(&sh->to_production, 1);
	}
	mr_client_close(c);
	return NULL;
}

static void
test_racing_clients_leave_a_consistent_catalog(void **state)
{
	e2e_server s;
	struct shared sh;
	struct arg args[THREADS];
	pthread_t t[THREADS];
	mr_client *c;
	mr_model *m;
	mr_version_list *prod;
	uint64_t after = 0, expect_rev = 1;
	int events = 0, promotions = 0, archivals = 0, registrations = 0;
	uint8_t *buf = malloc(300000);

	(void)state;
	memset(&sh, 0, sizeof(sh));
	e2e_start(&s, "race");
	sh.s = &s;
	tu_fill_random(buf, 300000, 5);
	snprintf(sh.src, sizeof(sh.src), "%s/src.bin", s.dir);
	tu_write_file(sh.src, buf, 300000);
	free(buf);

	for (int i = 0; i < THREADS; i++) {
		args[i].sh = &sh;
		args[i].id = i;
		assert_int_equal(pthread_create(&t[i], NULL, racer, &args[i]),
		    0);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);

	assert_int_equal(sh.already, THREADS * PER_THREAD - 1);
	assert_int_equal(sh.registered, THREADS * PER_THREAD + 1);
	assert_int_equal(sh.to_production, THREADS * PER_THREAD);
	assert_int_equal(sh.cas_wins, 1);

	c = e2e_client(&s);
	assert_int_equal(mr_get_model(c, "shared", &m), MR_OK);
	assert_int_equal(m->version_count, THREADS * PER_THREAD + 1);
	{
		mr_list_params lp = { .stage = MR_STAGE_PRODUCTION };
		assert_int_equal(mr_list_versions(c, "shared", &lp, &prod),
		    MR_OK);
		assert_int_equal(prod->count, 1);
		assert_string_equal(prod->items[0].version,
		    m->production_version);
		mr_version_list_free(prod);
	}

	/* Every acknowledged change has its event; revisions are dense. */
	for (;;) {
		mr_event_list *l;
		assert_int_equal(mr_list_events(c, NULL, after, 1000, &l),
		    MR_OK);
		for (size_t i = 0; i < l->count; i++) {
			mr_event *ev = &l->items[i];
			assert_int_equal(ev->revision, expect_rev++);
			events++;
			if (ev->kind == MR_EVENT_VERSION_REGISTERED)
				registrations++;
			if (ev->kind == MR_EVENT_STAGE_CHANGED &&
			    ev->to_stage == MR_STAGE_PRODUCTION)
				promotions++;
			if (ev->kind == MR_EVENT_STAGE_CHANGED &&
			    ev->to_stage == MR_STAGE_ARCHIVED)
				archivals++;
		}
		after = l->last_revision;
		bool more = l->more;
		mr_event_list_free(l);
		if (!more)
			break;
	}
	assert_int_equal(registrations, THREADS * PER_THREAD + 1);
	assert_int_equal(promotions, THREADS * PER_THREAD);
	/* Each promotion but the first archived its predecessor. */
	assert_int_equal(archivals, THREADS * PER_THREAD - 1);
	assert_int_equal((uint64_t)events, m->revision);
	mr_model_free(m);
	mr_client_close(c);
	e2e_finish(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_racing_clients_leave_a_consistent_catalog),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
