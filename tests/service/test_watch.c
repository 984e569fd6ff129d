/*
 * test_watch.c - the Watch service and the change feed: WatchSince pages
 * the event log and refuses bad input; every committed event is published
 * after its commit, in revision order (several workers writing at once),
 * under its model's topic, with its model's previous revision; refused
 * mutations publish nothing; heartbeats carry the last revision; the
 * server derives its PUB URL from its first listen URL.
 *
 * The publisher is the real one (publish.c) on inproc://, subscribed to
 * with a real nng SUB socket.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/pubsub0/sub.h>
#include <nng/supplemental/util/platform.h>

#include "svctest.h"
#include "testutil.h"
#include "watch.pb-c.h"

struct fixture {
	st_env env;
	svc_publisher *pub;
	char url[128];
	nng_socket sub;
};

static int
setup(void **state)
{
	static int seq;
	struct fixture *f = calloc(1, sizeof(*f));
	const char *urls[1] = { f->url };
	mr_err e;

	st_setup(&f->env, "watch");
	snprintf(f->url, sizeof(f->url), "inproc://test-watch-%d", seq++);
	if (svc_publisher_open(&f->pub, f->env.st, urls, 1, false, NULL,
		&e) != MR_OK)
		fail_msg("svc_publisher_open: %s", e.msg);
	f->env.w.pub = f->pub;
	assert_int_equal(nng_sub0_open(&f->sub), 0);
	assert_int_equal(nng_socket_set_ms(f->sub, NNG_OPT_RECVTIMEO, 3000), 0);
	assert_int_equal(nng_dial(f->sub, f->url, NULL, 0), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	nng_close(f->sub);
	f->env.w.pub = NULL;
	svc_publisher_close(f->pub);
	st_teardown(&f->env);
	free(f);
	return 0;
}

static void
subscribe(struct fixture *f, const char *topic, size_t len)
{
	assert_int_equal(
	    nng_socket_set(f->sub, NNG_OPT_SUB_SUBSCRIBE, topic, len), 0);
}

/* The next message: its topic into `topic`; NULL on timeout. */
static Modelreg__V1__Notification *
next_msg(struct fixture *f, char *topic, size_t cap, int timeout_ms)
{
	Modelreg__V1__Notification *n;
	nng_msg *m;
	const char *b, *nul;
	size_t len;

	nng_socket_set_ms(f->sub, NNG_OPT_RECVTIMEO, timeout_ms);
	if (nng_recvmsg(f->sub, &m, 0) != 0)
		return NULL;
	b = nng_msg_body(m);
	len = nng_msg_len(m);
	nul = memchr(b, 0, len);
	assert_non_null(nul);
	assert_true((size_t)(nul - b) < cap);
	memcpy(topic, b, (size_t)(nul - b) + 1);
	n = modelreg__v1__notification__unpack(NULL,
	    len - (size_t)(nul - b) - 1, (const uint8_t *)nul + 1);
	nng_msg_free(m);
	assert_non_null(n);
	return n;
}

/* The next event's notification, skipping heartbeats. */
static Modelreg__V1__Notification *
next_event(struct fixture *f, char *topic, size_t cap, int timeout_ms)
{
	for (;;) {
		Modelreg__V1__Notification *n =
		    next_msg(f, topic, cap, timeout_ms);
		if (n == NULL || n->event != NULL)
			return n;
		modelreg__v1__notification__free_unpacked(n, NULL);
	}
}

static mr_status
watch_since(st_env *env, const char *name, uint64_t after, uint32_t page,
    Modelreg__V1__WatchSinceResponse **out)
{
	Modelreg__V1__WatchSinceRequest rq =
	    MODELREG__V1__WATCH_SINCE_REQUEST__INIT;

	rq.name = (char *)name;
	rq.after_revision = after;
	rq.page_size = page;
	return st_call(env, "Watch/WatchSince", &rq.base, NULL,
	    &modelreg__v1__watch_since_response__descriptor,
	    (ProtobufCMessage **)out);
}

static void
test_watch_since_pages_every_event_in_revision_order(void **state)
{
	struct fixture *f = *state;
	Modelreg__V1__WatchSinceResponse *r;
	uint64_t after = 0, rev = store_revision(f->env.st);
	uint64_t total;
	int pages = 0;

	assert_int_equal(st_register(&f->env, "a", "1.0.0", 100), MR_OK);
	assert_int_equal(st_register(&f->env, "b", "1.0.0", 100), MR_OK);
	assert_int_equal(
	    st_promote(&f->env, "a", "1.0.0", MODELREG__V1__STAGE__STAGE_STAGING),
	    MR_OK);
	total = store_revision(f->env.st);
	assert_true(total >= rev + 3);
	for (;;) {
		assert_int_equal(watch_since(&f->env, "", after, 2, &r), MR_OK);
		pages++;
		assert_true(r->n_events <= 2);
		for (size_t i = 0; i < r->n_events; i++)
			assert_int_equal(r->events[i]->revision, ++after);
		assert_int_equal(r->last_revision, after);
		assert_int_equal(r->current_revision, total);
		if (!r->more) {
			modelreg__v1__watch_since_response__free_unpacked(r,
			    NULL);
			break;
		}
		modelreg__v1__watch_since_response__free_unpacked(r, NULL);
	}
	assert_int_equal(after, total);
	assert_true(pages >= 2);

	/* One model: only its events, still by revision; past the end the
	 * page is empty and names the request's revision. */
	assert_int_equal(watch_since(&f->env, "a", 0, 0, &r), MR_OK);
	assert_true(r->n_events >= 2);
	for (size_t i = 0; i < r->n_events; i++) {
		assert_string_equal(r->events[i]->model, "a");
		if (i > 0)
			assert_true(r->events[i]->revision >
			    r->events[i - 1]->revision);
	}
	modelreg__v1__watch_since_response__free_unpacked(r, NULL);
	assert_int_equal(watch_since(&f->env, "a", total, 0, &r), MR_OK);
	assert_int_equal(r->n_events, 0);
	assert_false(r->more);
	assert_int_equal(r->last_revision, total);
	assert_int_equal(r->current_revision, total);
	modelreg__v1__watch_since_response__free_unpacked(r, NULL);
}

static void
test_watch_since_bad_input_is_refused(void **state)
{
	struct fixture *f = *state;
	Modelreg__V1__WatchSinceResponse *r = NULL;
	uint64_t rev;

	assert_int_equal(st_register(&f->env, "a", "1.0.0", 10), MR_OK);
	rev = store_revision(f->env.st);
	assert_int_equal(watch_since(&f->env, "-bad", 0, 0, &r),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(watch_since(&f->env, "a b", 0, 0, &r),
	    MR_INVALID_ARGUMENT);
	/* A revision the registry never reached: restored from a backup. */
	assert_int_equal(watch_since(&f->env, "", rev + 1, 0, &r),
	    MR_FAILED_PRECONDITION);
	assert_non_null(strstr(f->env.last_message, "ahead"));
	assert_int_equal(watch_since(&f->env, "a", UINT64_MAX, 0, &r),
	    MR_FAILED_PRECONDITION);
	assert_null(r);
}

static void
test_info_reports_publish_urls_and_revision(void **state)
{
	struct fixture *f = *state;
	Modelreg__V1__InfoRequest rq = MODELREG__V1__INFO_REQUEST__INIT;
	Modelreg__V1__InfoResponse *r;

	assert_int_equal(st_register(&f->env, "a", "1.0.0", 10), MR_OK);
	assert_int_equal(st_call(&f->env, "Watch/Info", &rq.base, NULL,
			     &modelreg__v1__info_response__descriptor,
			     (ProtobufCMessage **)&r),
	    MR_OK);
	assert_int_equal(r->n_publish_urls, 1);
	assert_string_equal(r->publish_urls[0], f->url);
	assert_int_equal(r->revision, store_revision(f->env.st));
	assert_int_equal(r->heartbeat_ms, SVC_HEARTBEAT_MS);
	modelreg__v1__info_response__free_unpacked(r, NULL);
}

/* Last revision seen per model, for model_prev_revision. */
struct prev_map {
	char names[8][32];
	uint64_t rev[8];
	int n;
};

static uint64_t *
prev_of(struct prev_map *m, const char *name)
{
	for (int i = 0; i < m->n; i++)
		if (strcmp(m->names[i], name) == 0)
			return &m->rev[i];
	assert_true(m->n < 8);
	snprintf(m->names[m->n], sizeof(m->names[0]), "%s", name);
	m->rev[m->n] = 0;
	return &m->rev[m->n++];
}

struct writer {
	st_env env;
	int id, count;
};

static void *
writer_main(void *arg)
{
	struct writer *w = arg;
	char name[32], version[32];

	snprintf(name, sizeof(name), "m%d", w->id);
	for (int i = 0; i < w->count; i++) {
		snprintf(version, sizeof(version), "1.0.%d", i);
		if (st_register(&w->env, name, version, 64) != MR_OK)
			return (void *)1;
	}
	return NULL;
}

static void
test_events_are_published_after_commit_in_revision_order(void **state)
{
	enum { WRITERS = 4, EACH = 10 };
	struct fixture *f = *state;
	struct writer w[WRITERS];
	pthread_t th[WRITERS];
	struct prev_map prev = { .n = 0 };
	Modelreg__V1__WatchSinceResponse *r;
	uint64_t want = store_revision(f->env.st) + 1, last;
	char topic[64];
	mr_err e;

	subscribe(f, "", 0);
	nng_msleep(50); /* the subscription reaches the publisher */
	for (int i = 0; i < WRITERS; i++) {
		w[i].env = f->env;
		assert_int_equal(svc_worker_init(&w[i].env.w, f->env.st, &e),
		    MR_OK);
		w[i].env.w.pub = f->pub;
		w[i].id = i;
		w[i].count = EACH;
		assert_int_equal(
		    pthread_create(&th[i], NULL, writer_main, &w[i]), 0);
	}
	for (int i = 0; i < WRITERS; i++) {
		void *ret;
		pthread_join(th[i], &ret);
		assert_null(ret);
		svc_worker_fini(&w[i].env.w);
	}
	last = store_revision(f->env.st);
	assert_true(last >= want + WRITERS * EACH - 1);

	/* Every event once, by revision, each after its commit, under its
	 * model's topic, naming its model's previous event. */
	assert_int_equal(watch_since(&f->env, "", want - 1, 1000, &r), MR_OK);
	for (size_t i = 0; want <= last; want++, i++) {
		Modelreg__V1__Notification *n =
		    next_event(f, topic, sizeof(topic), 3000);
		uint64_t *p;

		assert_non_null(n);
		assert_int_equal(n->event->revision, want);
		assert_int_equal(n->revision, want);
		assert_true(store_revision(f->env.st) >= want);
		assert_string_equal(topic, n->event->model);
		p = prev_of(&prev, n->event->model);
		assert_int_equal(n->model_prev_revision, *p);
		*p = want;
		/* The same event as the log holds. */
		assert_true(i < r->n_events);
		assert_int_equal(r->events[i]->kind, n->event->kind);
		assert_string_equal(r->events[i]->version, n->event->version);
		modelreg__v1__notification__free_unpacked(n, NULL);
	}
	modelreg__v1__watch_since_response__free_unpacked(r, NULL);
}

static void
test_model_topic_and_prev_revision_skip_other_models(void **state)
{
	struct fixture *f = *state;
	Modelreg__V1__Notification *n;
	uint64_t first;
	char topic[64];

	subscribe(f, "a\0", 2);
	nng_msleep(50);
	assert_int_equal(st_register(&f->env, "a", "1.0.0", 10), MR_OK);
	assert_int_equal(st_register(&f->env, "ab", "1.0.0", 10), MR_OK);
	assert_int_equal(st_register(&f->env, "b", "1.0.0", 10), MR_OK);
	assert_int_equal(
	    st_promote(&f->env, "a", "1.0.0", MODELREG__V1__STAGE__STAGE_STAGING),
	    MR_OK);

	/* "a" registered: model_created then version_registered. */
	n = next_event(f, topic, sizeof(topic), 3000);
	assert_non_null(n);
	assert_string_equal(topic, "a");
	assert_int_equal(n->model_prev_revision, 0);
	first = n->event->revision;
	modelreg__v1__notification__free_unpacked(n, NULL);
	for (;;) {
		uint64_t prev = first;
		n = next_event(f, topic, sizeof(topic), 3000);
		assert_non_null(n);
		assert_string_equal(topic, "a");
		assert_string_equal(n->event->model, "a");
		assert_int_equal(n->model_prev_revision, prev);
		first = n->event->revision;
		if (n->event->kind == MODELREG__V1__EVENT_KIND__EVENT_STAGE_CHANGED) {
			/* Events of "ab" and "b" came in between. */
			assert_true(first > prev + 1);
			modelreg__v1__notification__free_unpacked(n, NULL);
			break;
		}
		modelreg__v1__notification__free_unpacked(n, NULL);
	}
}

static void
test_refused_mutation_publishes_nothing(void **state)
{
	struct fixture *f = *state;
	Modelreg__V1__Notification *n;
	uint64_t rev, t0;
	char topic[64];

	assert_int_equal(st_register(&f->env, "a", "1.0.0", 10), MR_OK);
	rev = store_revision(f->env.st);
	subscribe(f, "", 0);
	nng_msleep(50);
	assert_int_equal(st_register(&f->env, "a", "1.0.0", 10),
	    MR_ALREADY_EXISTS);
	assert_int_equal(
	    st_promote(&f->env, "a", "9.9.9", MODELREG__V1__STAGE__STAGE_STAGING),
	    MR_NOT_FOUND);
	assert_int_equal(st_promote(&f->env, "a", "1.0.0",
			     MODELREG__V1__STAGE__STAGE_PRODUCTION),
	    MR_FAILED_PRECONDITION);
	assert_int_equal(store_revision(f->env.st), rev);
	/* Within 1.5 s, heartbeats with the unchanged revision and nothing
	 * newer (the registration's own events may still be on their way:
	 * SUB filters on receipt). */
	t0 = mr_mono_ns();
	while (mr_mono_ns() - t0 < 1500000000ull &&
	    (n = next_msg(f, topic, sizeof(topic), 1500)) != NULL) {
		if (n->event == NULL)
			assert_string_equal(topic, "\x01");
		assert_int_equal(n->revision <= rev, true);
		modelreg__v1__notification__free_unpacked(n, NULL);
	}
}

static void
test_heartbeat_carries_last_revision_every_second(void **state)
{
	struct fixture *f = *state;
	Modelreg__V1__Notification *n;
	char topic[64];
	uint64_t t0;

	assert_int_equal(st_register(&f->env, "a", "1.0.0", 10), MR_OK);
	subscribe(f, "\x01", 2);
	nng_msleep(50);
	t0 = mr_mono_ns();
	n = next_msg(f, topic, sizeof(topic), 2500);
	assert_non_null(n);
	assert_true(mr_mono_ns() - t0 < 2000000000ull);
	assert_string_equal(topic, "\x01");
	assert_null(n->event);
	assert_int_equal(n->revision, store_revision(f->env.st));
	modelreg__v1__notification__free_unpacked(n, NULL);
}

static void
test_publish_url_is_derived_from_listen_url(void **state)
{
	char out[SVC_URL_MAX];
	mr_err e;

	(void)state;
	assert_int_equal(svc_publish_url_default("tcp://127.0.0.1:7878", out,
			     sizeof(out), &e),
	    MR_OK);
	assert_string_equal(out, "tcp://127.0.0.1:7879");
	assert_int_equal(svc_publish_url_default("tcp://[::1]:0", out,
			     sizeof(out), &e),
	    MR_OK);
	assert_string_equal(out, "tcp://[::1]:0");
	assert_int_equal(svc_publish_url_default("tls+tcp://localhost:7878",
			     out, sizeof(out), &e),
	    MR_OK);
	assert_string_equal(out, "tls+tcp://localhost:7879");
	assert_int_equal(svc_publish_url_default("ipc:///tmp/r.sock", out,
			     sizeof(out), &e),
	    MR_OK);
	assert_string_equal(out, "ipc:///tmp/r.sock.pub");
	assert_int_equal(
	    svc_publish_url_default("inproc://x", out, sizeof(out), &e),
	    MR_OK);
	assert_string_equal(out, "inproc://x.pub");
	assert_int_equal(
	    svc_publish_url_default("tcp://host", out, sizeof(out), &e),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(svc_publish_url_default("ws://h:1/x", out,
			     sizeof(out), &e),
	    MR_INVALID_ARGUMENT);
}

static void
test_server_publishes_on_derived_url(void **state)
{
	struct fixture *f = *state;
	const char *urls[1] = { "inproc://test-watch-server" };
	svc_options so = { .urls = urls, .n_urls = 1, .workers = 2 };
	const char *const *pub;
	svc_server *srv;
	nng_socket sub;
	mr_err e;

	if (svc_server_start(&srv, f->env.st, &so, &e) != MR_OK)
		fail_msg("svc_server_start: %s", e.msg);
	assert_int_equal(svc_publisher_urls(svc_server_publisher(srv), &pub),
	    1);
	assert_string_equal(pub[0], "inproc://test-watch-server.pub");
	assert_int_equal(nng_sub0_open(&sub), 0);
	assert_int_equal(nng_dial(sub, pub[0], NULL, 0), 0);
	nng_close(sub);
	svc_server_stop(srv);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_watch_since_pages_every_event_in_revision_order),
		T(test_watch_since_bad_input_is_refused),
		T(test_info_reports_publish_urls_and_revision),
		T(test_events_are_published_after_commit_in_revision_order),
		T(test_model_topic_and_prev_revision_skip_other_models),
		T(test_refused_mutation_publishes_nothing),
		T(test_heartbeat_carries_last_revision_every_second),
		T(test_publish_url_is_derived_from_listen_url),
		T(test_server_publishes_on_derived_url),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
