/*
 * wire.c - responders and taps for the client's tests (see wire.h).
 *
 * Both use blocking nng calls on threads of their own. Every socket
 * accepts messages up to MR_WIRE_MAX: nng's default limit (1 MiB) would
 * drop a chunk's reply together with its connection. A tap forwards one
 * call at a time (the calls of a client's window wait their turn in nng's
 * queues), so the reply it holds always belongs to the request it just
 * forwarded and no bookkeeping pairs them.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

#include "artifacts.pb-c.h"
#include "testutil.h"
#include "wire.h"

static void
check_nng(int rv, const char *what)
{
	if (rv != 0)
		fail_msg("%s: %s", what, nng_strerror(rv));
}

static const char *
short_name(const char *method)
{
	const char *p = strrchr(method, '/');

	return p != NULL ? p + 1 : method;
}

void
wr_url(char out[64], const char *what)
{
	static int n;

	snprintf(out, 64, "inproc://%s-%d-%d", what, (int)getpid(), ++n);
}

Modelreg__V1__Request *
wr_envelope(nng_msg *req)
{
	return modelreg__v1__request__unpack(
	    NULL, nng_msg_len(req), nng_msg_body(req));
}

/* ---- responders -----------------------------------------------------------
 */

struct wr_responder {
	nng_socket sock;
	pthread_t thread;
	wr_fn fn;
	void *arg;
};

static void *
respond(void *arg)
{
	wr_responder *r = arg;
	nng_msg *msg;

	while (nng_recvmsg(r->sock, &msg, 0) == 0)
		r->fn(r->arg, r, msg);
	return NULL;
}

wr_responder *
wr_responder_start(const char *url, wr_fn fn, void *arg)
{
	wr_responder *r = calloc(1, sizeof(*r));

	assert_non_null(r);
	r->fn = fn;
	r->arg = arg;
	check_nng(nng_rep0_open_raw(&r->sock), "nng_rep0_open_raw");
	check_nng(nng_socket_set_size(r->sock, NNG_OPT_RECVMAXSZ, MR_WIRE_MAX),
	    "recv-size-max");
	check_nng(nng_listen(r->sock, url, NULL, 0), url);
	assert_int_equal(pthread_create(&r->thread, NULL, respond, r), 0);
	return r;
}

void
wr_responder_close(wr_responder *r)
{
	nng_close(r->sock);
}

void
wr_responder_stop(wr_responder *r)
{
	if (r == NULL)
		return;
	nng_close(r->sock); /* NNG_ECLOSED if the function closed it */
	pthread_join(r->thread, NULL);
	free(r);
}

void
wr_reply_bytes(wr_responder *r, nng_msg *req, const void *bytes, size_t len)
{
	/* The header holds the request's route back: keep it. */
	nng_msg_clear(req);
	check_nng(nng_msg_append(req, bytes, len), "nng_msg_append");
	if (nng_sendmsg(r->sock, req, 0) != 0)
		nng_msg_free(req);
}

void
wr_reply(wr_responder *r, nng_msg *req, mr_status code, const char *message,
    const ProtobufCMessage *payload, uint64_t revision)
{
	Modelreg__V1__Response rsp = MODELREG__V1__RESPONSE__INIT;
	uint8_t *buf, *pay = NULL;
	size_t len;

	rsp.code = (Modelreg__V1__StatusCode)code;
	rsp.message = (char *)(message != NULL ? message : "");
	rsp.revision = revision;
	if (payload != NULL) {
		rsp.payload.len = protobuf_c_message_get_packed_size(payload);
		pay = malloc(rsp.payload.len + 1);
		protobuf_c_message_pack(payload, pay);
		rsp.payload.data = pay;
	}
	len = modelreg__v1__response__get_packed_size(&rsp);
	buf = malloc(len + 1);
	modelreg__v1__response__pack(&rsp, buf);
	wr_reply_bytes(r, req, buf, len);
	free(buf);
	free(pay);
}

void
wr_count_calls(void *arg, wr_responder *r, nng_msg *req)
{
	atomic_fetch_add((atomic_int *)arg, 1);
	wr_reply(r, req, MR_INTERNAL, "no call was expected", NULL, 0);
}

/* ---- taps -------------------------------------------------------------------
 */

typedef struct seen {
	char method[64];
	char key[MR_IDEMPOTENCY_KEY_MAX + 1];
	uint8_t digest[MR_DIGEST_LEN]; /* PutChunk only */
} seen;

struct wr_tap {
	nng_socket front; /* REP, where clients connect */
	nng_socket back;  /* REQ, to the server */
	pthread_t thread;
	pthread_mutex_t mu;
	seen *calls;
	size_t n_calls;
	char lose[64]; /* method whose next reply to lose; "" for none */
	char cut[64];  /* method after whose next `cut_after` calls ... */
	int cut_after;
	bool dark;     /* ... nothing is forwarded any more */
};

enum { TAP_FORWARD, TAP_LOSE, TAP_DROP };

/* Notes a request; returns what to do with it. */
static int
note(wr_tap *t, nng_msg *msg)
{
	Modelreg__V1__Request *env = wr_envelope(msg);
	seen s;
	int what = TAP_FORWARD;

	memset(&s, 0, sizeof(s));
	if (env != NULL) {
		snprintf(
		    s.method, sizeof(s.method), "%s", short_name(env->method));
		snprintf(s.key, sizeof(s.key), "%s", env->idempotency_key);
		if (strcmp(s.method, "PutChunk") == 0) {
			Modelreg__V1__PutChunkRequest *put =
			    modelreg__v1__put_chunk_request__unpack(
			        NULL, env->payload.len, env->payload.data);
			if (put != NULL && put->digest.len == MR_DIGEST_LEN)
				memcpy(
				    s.digest, put->digest.data, MR_DIGEST_LEN);
			if (put != NULL)
				modelreg__v1__put_chunk_request__free_unpacked(
				    put, NULL);
		}
		modelreg__v1__request__free_unpacked(env, NULL);
	}
	pthread_mutex_lock(&t->mu);
	if (t->cut[0] != '\0' && strcmp(t->cut, s.method) == 0 &&
	    t->cut_after-- <= 0) {
		t->cut[0] = '\0';
		t->dark = true;
	}
	if (t->dark) {
		pthread_mutex_unlock(&t->mu);
		return TAP_DROP;
	}
	t->calls = realloc(t->calls, (t->n_calls + 1) * sizeof(*t->calls));
	t->calls[t->n_calls++] = s;
	if (t->lose[0] != '\0' && strcmp(t->lose, s.method) == 0) {
		t->lose[0] = '\0';
		what = TAP_LOSE;
	}
	pthread_mutex_unlock(&t->mu);
	return what;
}

static void *
forward(void *arg)
{
	wr_tap *t = arg;
	nng_msg *req, *rep;
	int rv;

	while (nng_recvmsg(t->front, &req, 0) == 0) {
		nng_pipe client = nng_msg_get_pipe(req);
		int what = note(t, req);

		if (what == TAP_DROP) {
			/* Gone dark: the client waits in vain. */
			nng_msg_free(req);
			continue;
		}
		if ((rv = nng_sendmsg(t->back, req, 0)) != 0) {
			nng_msg_free(req);
			if (rv == NNG_ECLOSED)
				break;
			continue;
		}
		if ((rv = nng_recvmsg(t->back, &rep, 0)) != 0) {
			if (rv == NNG_ECLOSED)
				break;
			continue;
		}
		if (what == TAP_LOSE) {
			/* The server has answered; the client never hears. */
			nng_msg_free(rep);
			nng_pipe_close(client);
			continue;
		}
		if (nng_sendmsg(t->front, rep, 0) != 0)
			nng_msg_free(rep);
	}
	return NULL;
}

wr_tap *
wr_tap_start(const char *front, const char *back)
{
	wr_tap *t = calloc(1, sizeof(*t));

	assert_non_null(t);
	pthread_mutex_init(&t->mu, NULL);
	check_nng(nng_rep0_open(&t->front), "nng_rep0_open");
	check_nng(nng_req0_open(&t->back), "nng_req0_open");
	check_nng(nng_socket_set_size(t->front, NNG_OPT_RECVMAXSZ, MR_WIRE_MAX),
	    "recv-size-max");
	check_nng(nng_socket_set_size(t->back, NNG_OPT_RECVMAXSZ, MR_WIRE_MAX),
	    "recv-size-max");
	check_nng(nng_listen(t->front, front, NULL, 0), front);
	check_nng(nng_dial(t->back, back, NULL, 0), back);
	assert_int_equal(pthread_create(&t->thread, NULL, forward, t), 0);
	return t;
}

void
wr_tap_stop(wr_tap *t)
{
	if (t == NULL)
		return;
	nng_close(t->front);
	nng_close(t->back);
	pthread_join(t->thread, NULL);
	pthread_mutex_destroy(&t->mu);
	free(t->calls);
	free(t);
}

int
wr_tap_calls(wr_tap *t, const char *method)
{
	int n = 0;

	pthread_mutex_lock(&t->mu);
	for (size_t i = 0; i < t->n_calls; i++)
		if (method == NULL || strcmp(t->calls[i].method, method) == 0)
			n++;
	pthread_mutex_unlock(&t->mu);
	return n;
}

int
wr_tap_distinct_chunks(wr_tap *t)
{
	int n = 0;

	pthread_mutex_lock(&t->mu);
	for (size_t i = 0; i < t->n_calls; i++) {
		bool first = strcmp(t->calls[i].method, "PutChunk") == 0;

		for (size_t k = 0; first && k < i; k++)
			if (strcmp(t->calls[k].method, "PutChunk") == 0 &&
			    memcmp(t->calls[k].digest, t->calls[i].digest,
			        MR_DIGEST_LEN) == 0)
				first = false;
		n += first;
	}
	pthread_mutex_unlock(&t->mu);
	return n;
}

void
wr_tap_key(wr_tap *t, const char *method, int i, char *out)
{
	int k = 0;

	out[0] = '\0';
	pthread_mutex_lock(&t->mu);
	for (size_t j = 0; j < t->n_calls; j++) {
		if (strcmp(t->calls[j].method, method) != 0)
			continue;
		if (k++ == i) {
			strcpy(out, t->calls[j].key);
			break;
		}
	}
	pthread_mutex_unlock(&t->mu);
	if (k <= i)
		fail_msg("the tap saw %d %s calls, not %d", k, method, i + 1);
}

void
wr_tap_reset(wr_tap *t)
{
	pthread_mutex_lock(&t->mu);
	t->n_calls = 0;
	pthread_mutex_unlock(&t->mu);
}

void
wr_tap_lose_reply(wr_tap *t, const char *method)
{
	pthread_mutex_lock(&t->mu);
	snprintf(t->lose, sizeof(t->lose), "%s", method);
	pthread_mutex_unlock(&t->mu);
}

void
wr_tap_go_dark(wr_tap *t, const char *method, int after)
{
	pthread_mutex_lock(&t->mu);
	snprintf(t->cut, sizeof(t->cut), "%s", method);
	t->cut_after = after;
	pthread_mutex_unlock(&t->mu);
}

void
wr_tap_light(wr_tap *t)
{
	pthread_mutex_lock(&t->mu);
	t->cut[0] = '\0';
	t->dark = false;
	pthread_mutex_unlock(&t->mu);
}
