/*
 * test_server.c - the transport over real nng sockets: malformed and
 * oversized frames get answers (or, past the wire limit, a dropped
 * connection) while the server keeps serving; many requests are in flight
 * at once; stopping lets the request being handled finish and reply.
 */
#include <errno.h>
#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "svctest.h"
#include "testutil.h"

struct fixture {
	st_env env;
	svc_server *srv;
	char url[PATH_MAX + 16];
	char tcp_url[64];
	int tcp_port;
	nng_socket req;
};

/* A loopback port nobody listens on (bind to 0, read it, close). */
static int
free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *urls[2];
	/* Transport tests send reads without tokens (auth: test_auth). */
	svc_options so = { .urls = urls, .n_urls = 2, .workers = 8,
		.anonymous_read = true };
	mr_err e;

	st_setup(&f->env, "server");
	snprintf(f->url, sizeof(f->url), "ipc://%s/s.ipc", f->env.dir);
	urls[0] = f->url;
	f->tcp_port = free_port();
	snprintf(f->tcp_url, sizeof(f->tcp_url), "tcp://127.0.0.1:%d",
	    f->tcp_port);
	urls[1] = f->tcp_url;
	if (svc_server_start(&f->srv, f->env.st, &so, &e) != MR_OK)
		fail_msg("svc_server_start: %s", e.msg);
	assert_int_equal(nng_req0_open(&f->req), 0);
	assert_int_equal(nng_socket_set_size(f->req, NNG_OPT_RECVMAXSZ,
			     MR_WIRE_MAX),
	    0);
	assert_int_equal(nng_socket_set_ms(f->req, NNG_OPT_RECVTIMEO, 10000),
	    0);
	assert_int_equal(nng_dial(f->req, f->url, NULL, 0), 0);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	nng_close(f->req);
	svc_server_stop(f->srv);
	st_teardown(&f->env);
	free(f);
	return 0;
}

/* Sends raw bytes; returns the reply's status, or -nng_error. */
static int
roundtrip(nng_socket s, const void *bytes, size_t len, char *msg, size_t cap)
{
	Modelreg__V1__Response *r;
	void *buf;
	size_t n;
	int rv, code;

	if ((rv = nng_send(s, (void *)bytes, len, 0)) != 0)
		return -rv;
	if ((rv = nng_recv(s, &buf, &n, NNG_FLAG_ALLOC)) != 0)
		return -rv;
	r = modelreg__v1__response__unpack(NULL, n, buf);
	nng_free(buf, n);
	assert_non_null(r);
	code = (int)r->code;
	if (msg != NULL)
		snprintf(msg, cap, "%s", r->message);
	modelreg__v1__response__free_unpacked(r, NULL);
	return code;
}

static uint8_t *
get_model_request(const char *name, size_t *len)
{
	Modelreg__V1__GetModelRequest gm = MODELREG__V1__GET_MODEL_REQUEST__INIT;
	Modelreg__V1__Request rq = MODELREG__V1__REQUEST__INIT;
	uint8_t payload[256], *out;

	gm.name = (char *)name;
	rq.method = "/modelreg.v1.Registry/GetModel";
	rq.payload.data = payload;
	rq.payload.len = modelreg__v1__get_model_request__pack(&gm, payload);
	*len = modelreg__v1__request__get_packed_size(&rq);
	out = malloc(*len);
	modelreg__v1__request__pack(&rq, out);
	return out;
}

static void
test_garbage_frame_is_answered_and_server_keeps_serving(void **state)
{
	struct fixture *f = *state;
	const uint8_t junk[] = { 0x0a, 0xff, 0xff, 0xff, 0xff, 0x7f };
	char msg[256];
	size_t len;
	uint8_t *ok = get_model_request("absent", &len);

	assert_int_equal(roundtrip(f->req, junk, sizeof(junk), msg,
			     sizeof(msg)),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(roundtrip(f->req, ok, len, msg, sizeof(msg)),
	    MR_NOT_FOUND);
	assert_non_null(strstr(msg, "absent"));
	free(ok);
}

static void
test_request_over_msg_max_is_resource_exhausted(void **state)
{
	struct fixture *f = *state;
	size_t big = MR_MSG_MAX + 4096;
	uint8_t *b = calloc(1, big);
	char msg[256];

	assert_int_equal(roundtrip(f->req, b, big, msg, sizeof(msg)),
	    MR_RESOURCE_EXHAUSTED);
	free(b);
}

static void
test_frame_over_wire_limit_drops_only_that_connection(void **state)
{
	struct fixture *f = *state;
	struct sockaddr_in a = { .sin_family = AF_INET };
	/* SP over TCP, by hand: the REQ0 header, then a frame whose 64-bit
	 * length announces one byte more than MR_WIRE_MAX. */
	const uint8_t hello[8] = { 0, 'S', 'P', 0, 0, 0x30, 0, 0 };
	uint8_t frame[8], peer[8], junk[64];
	uint64_t n = (uint64_t)MR_WIRE_MAX + 1;
	size_t len, got = 0;
	uint8_t *ok = get_model_request("absent", &len);
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ssize_t r;

	struct timeval tv = { .tv_sec = 10 };

	/* A server that kept the connection would fail the test, not hang
	 * it. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	a.sin_port = htons((uint16_t)f->tcp_port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(write(fd, hello, 8), 8);
	while (got < 8 && (r = read(fd, peer + got, 8 - got)) > 0)
		got += (size_t)r;
	assert_int_equal(got, 8);
	assert_int_equal(peer[5], 0x31); /* REP0 */
	for (int i = 0; i < 8; i++)
		frame[i] = (uint8_t)(n >> (56 - 8 * i));
	assert_int_equal(write(fd, frame, 8), 8);
	/* The server closes the connection instead of reading 32 MiB. */
	assert_true(read(fd, junk, sizeof(junk)) <= 0);
	close(fd);
	/* Everyone else is still served. */
	assert_int_equal(roundtrip(f->req, ok, len, NULL, 0), MR_NOT_FOUND);
	free(ok);
}

static void
test_many_requests_are_in_flight_at_once(void **state)
{
	struct fixture *f = *state;
	enum { N = 32 };
	nng_ctx ctx[N];
	nng_aio *aio[N];
	size_t len;
	uint8_t *req = get_model_request("absent", &len);

	for (int i = 0; i < N; i++) {
		nng_msg *m;
		assert_int_equal(nng_ctx_open(&ctx[i], f->req), 0);
		assert_int_equal(nng_aio_alloc(&aio[i], NULL, NULL), 0);
		nng_aio_set_timeout(aio[i], 10000);
		assert_int_equal(nng_msg_alloc(&m, 0), 0);
		assert_int_equal(nng_msg_append(m, req, len), 0);
		nng_aio_set_msg(aio[i], m);
		nng_ctx_send(ctx[i], aio[i]);
	}
	for (int i = 0; i < N; i++) {
		nng_aio_wait(aio[i]);
		assert_int_equal(nng_aio_result(aio[i]), 0);
		nng_ctx_recv(ctx[i], aio[i]);
	}
	for (int i = 0; i < N; i++) {
		nng_msg *m;
		Modelreg__V1__Response *r;
		nng_aio_wait(aio[i]);
		assert_int_equal(nng_aio_result(aio[i]), 0);
		m = nng_aio_get_msg(aio[i]);
		r = modelreg__v1__response__unpack(NULL, nng_msg_len(m),
		    nng_msg_body(m));
		assert_non_null(r);
		assert_int_equal(r->code, MR_NOT_FOUND);
		modelreg__v1__response__free_unpacked(r, NULL);
		nng_msg_free(m);
		nng_aio_free(aio[i]);
		nng_ctx_close(ctx[i]);
	}
	free(req);
}

struct stopper {
	svc_server *srv;
};

static void *
stop_thread(void *arg)
{
	struct stopper *s = arg;

	svc_server_stop(s->srv);
	return NULL;
}

static void
test_stop_lets_the_request_in_hand_finish(void **state)
{
	struct fixture *f = *state;
	Modelreg__V1__PromoteRequest pr = MODELREG__V1__PROMOTE_REQUEST__INIT;
	Modelreg__V1__Request rq = MODELREG__V1__REQUEST__INIT;
	uint8_t payload[256], *bytes;
	struct stopper s = { f->srv };
	store_txn *hold;
	pthread_t t;
	nng_aio *aio;
	nng_msg *m;
	size_t len;
	mr_err e;

	assert_int_equal(st_register(&f->env, "m", "1.0.0", 10), MR_OK);
	pr.name = "m";
	pr.version = "1.0.0";
	pr.to_stage = MODELREG__V1__STAGE__STAGE_STAGING;
	rq.method = "/modelreg.v1.Registry/Promote";
	rq.auth_token = (char *)st_token(&f->env, f->env.user);
	rq.payload.data = payload;
	rq.payload.len = modelreg__v1__promote_request__pack(&pr, payload);
	len = modelreg__v1__request__get_packed_size(&rq);
	bytes = malloc(len);
	modelreg__v1__request__pack(&rq, bytes);

	/* Hold the writer lock so the promotion is stuck in a worker. */
	assert_int_equal(store_txn_begin(f->env.st, &hold, &e), MR_OK);
	assert_int_equal(nng_aio_alloc(&aio, NULL, NULL), 0);
	nng_aio_set_timeout(aio, 10000);
	assert_int_equal(nng_msg_alloc(&m, 0), 0);
	assert_int_equal(nng_msg_append(m, bytes, len), 0);
	nng_aio_set_msg(aio, m);
	nng_send_aio(f->req, aio);
	nng_aio_wait(aio);
	assert_int_equal(nng_aio_result(aio), 0);
	nng_recv_aio(f->req, aio);
	usleep(200 * 1000); /* let a worker pick it up and block */

	f->srv = NULL; /* the stopper owns it now */
	assert_int_equal(pthread_create(&t, NULL, stop_thread, &s), 0);
	usleep(200 * 1000); /* the stop is now waiting for that worker */
	store_txn_abort(hold);
	nng_aio_wait(aio);
	assert_int_equal(nng_aio_result(aio), 0);
	m = nng_aio_get_msg(aio);
	{
		Modelreg__V1__Response *r = modelreg__v1__response__unpack(
		    NULL, nng_msg_len(m), nng_msg_body(m));
		assert_non_null(r);
		assert_int_equal(r->code, MR_OK);
		modelreg__v1__response__free_unpacked(r, NULL);
	}
	nng_msg_free(m);
	pthread_join(t, NULL);
	assert_int_equal(st_stage(&f->env, "m", "1.0.0"),
	    MODELREG__V1__STAGE__STAGE_STAGING);
	nng_aio_free(aio);
	free(bytes);
}

static void
test_plain_tcp_off_this_host_is_told_apart(void **state)
{
	(void)state;
	assert_true(svc_url_plain_off_host("tcp://0.0.0.0:7878"));
	assert_true(svc_url_plain_off_host("tcp://10.1.2.3:7878"));
	assert_true(svc_url_plain_off_host("tcp://registry.example:7878"));
	assert_true(svc_url_plain_off_host("tcp://[::]:7878"));
	assert_false(svc_url_plain_off_host("tcp://127.0.0.1:7878"));
	assert_false(svc_url_plain_off_host("tcp://localhost:7878"));
	assert_false(svc_url_plain_off_host("tcp://[::1]:7878"));
	assert_false(svc_url_plain_off_host("ipc:///run/modelreg.sock"));
	assert_false(svc_url_plain_off_host("inproc://x"));
	assert_false(svc_url_plain_off_host("tls+tcp://0.0.0.0:7878"));
}

static void
test_tls_url_without_a_certificate_is_refused_at_start(void **state)
{
	struct fixture *f = *state;
	const char *urls[1] = { "tls+tcp://127.0.0.1:0" };
	svc_options so = { .urls = urls, .n_urls = 1, .workers = 1 };
	svc_server *srv = NULL;
	mr_err e;

	assert_int_equal(svc_server_start(&srv, f->env.st, &so, &e),
	    MR_INVALID_ARGUMENT);
	assert_non_null(strstr(e.msg, "tls+tcp://127.0.0.1:0"));
	assert_non_null(strstr(e.msg, "--tls-cert"));
	/* A certificate that cannot be read is named. */
	so.tls_cert = "/nonexistent/server.pem";
	so.tls_key = "/nonexistent/server.key";
	assert_int_equal(svc_server_start(&srv, f->env.st, &so, &e),
	    MR_INVALID_ARGUMENT);
	assert_non_null(strstr(e.msg, "/nonexistent/server.pem"));
	assert_null(srv);
}

/* ---- connection limits (guard.c) ------------------------------------- */

/* A second server on its own TCP port with the given limits. */
static svc_server *
start_guarded(struct fixture *f, int max_conns, int idle_ms, int *port)
{
	char url[64];
	const char *urls[1] = { url };
	char pub[PATH_MAX + 32];
	const char *pubs[1] = { pub };
	svc_options so = { .urls = urls, .n_urls = 1, .workers = 2,
		.anonymous_read = true,
		.max_connections = max_conns, .idle_timeout_ms = idle_ms,
		.publish_urls = pubs, .n_publish_urls = 1 };
	svc_server *srv;
	mr_err e;

	*port = free_port();
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", *port);
	snprintf(pub, sizeof(pub), "ipc://%s/guarded-%d.pub", f->env.dir,
	    *port);
	if (svc_server_start(&srv, f->env.st, &so, &e) != MR_OK)
		fail_msg("svc_server_start: %s", e.msg);
	return srv;
}

/* A TCP connection that has done the SP handshake as a REQ0 peer. */
static int
sp_connect(int port)
{
	const uint8_t hello[8] = { 0, 'S', 'P', 0, 0, 0x30, 0, 0 };
	struct sockaddr_in a = { .sin_family = AF_INET };
	struct timeval tv = { .tv_sec = 5 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	uint8_t peer[8];
	size_t got = 0;
	ssize_t r;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(write(fd, hello, 8), 8);
	while (got < 8 && (r = read(fd, peer + got, 8 - got)) > 0)
		got += (size_t)r;
	assert_int_equal(got, 8);
	return fd;
}

/* Whether the server closes `fd` within `ms` milliseconds. */
static bool
closed_within(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000,
		.tv_usec = (ms % 1000) * 1000 };
	uint8_t b[16];

	ssize_t n;

	/* The server may send its SP header before it closes: read past
	 * it, to the end (0) or a reset; a timeout means still open. */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while ((n = read(fd, b, sizeof(b))) > 0)
		;
	return n == 0 || (n < 0 && errno == ECONNRESET);
}

static void
test_connections_past_the_limit_are_closed_as_they_arrive(void **state)
{
	struct fixture *f = *state;
	int port, fds[4];
	svc_server *srv = start_guarded(f, 3, -1, &port);

	for (int i = 0; i < 3; i++)
		fds[i] = sp_connect(port);
	usleep(300 * 1000); /* counted before the fourth arrives */
	fds[3] = sp_connect(port);
	assert_true(closed_within(fds[3], 3000));
	for (int i = 0; i < 3; i++)
		assert_false(closed_within(fds[i], 200));
	/* A place freed is a place for the next one. */
	close(fds[0]);
	close(fds[3]);
	usleep(200 * 1000);
	fds[0] = sp_connect(port);
	assert_false(closed_within(fds[0], 300));
	for (int i = 0; i < 3; i++)
		close(fds[i]);
	svc_server_stop(srv);
}

static void
test_a_half_sent_request_is_closed_after_the_idle_timeout(void **state)
{
	struct fixture *f = *state;
	int port;
	svc_server *srv = start_guarded(f, 16, 400, &port);
	uint8_t frame[8 + 10] = { 0, 0, 0, 0, 0, 0, 0, 100 };
	size_t len;
	uint8_t *ok = get_model_request("absent", &len);
	char url[64];
	nng_socket busy;
	int fd = sp_connect(port);

	/* 100 bytes announced, 10 sent, and then nothing. */
	assert_int_equal(write(fd, frame, sizeof(frame)), sizeof(frame));
	/* Meanwhile a client that keeps asking is never cut off. */
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", port);
	assert_int_equal(nng_req0_open(&busy), 0);
	assert_int_equal(nng_socket_set_ms(busy, NNG_OPT_RECVTIMEO, 5000), 0);
	assert_int_equal(nng_dial(busy, url, NULL, 0), 0);
	for (int i = 0; i < 8; i++) {
		assert_int_equal(roundtrip(busy, ok, len, NULL, 0),
		    MR_NOT_FOUND);
		usleep(150 * 1000);
	}
	assert_true(closed_within(fd, 3000));
	close(fd);
	nng_close(busy);
	free(ok);
	svc_server_stop(srv);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_garbage_frame_is_answered_and_server_keeps_serving),
		T(test_request_over_msg_max_is_resource_exhausted),
		T(test_frame_over_wire_limit_drops_only_that_connection),
		T(test_many_requests_are_in_flight_at_once),
		T(test_stop_lets_the_request_in_hand_finish),
		T(test_connections_past_the_limit_are_closed_as_they_arrive),
		T(test_a_half_sent_request_is_closed_after_the_idle_timeout),
		T(test_tls_url_without_a_certificate_is_refused_at_start),
		cmocka_unit_test(test_plain_tcp_off_this_host_is_told_apart),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
