/*
 * test_rpc.c - the client's transport (client/rpc.c): envelopes out,
 * statuses and payloads back, windows of calls in flight, and what a
 * caller is told when the other end misbehaves. Calls that a healthy
 * registry answers go to the real one (realserver.c). Replies it never
 * sends - garbage, a status outside the code set, a payload of another
 * type, an answer that comes late or not at all, a socket that closes
 * mid-call - come from raw nng responders (wire.c), each doing just the
 * one thing its test is about. A connection whose handshake fails comes
 * from this file's own sendmsg(2) (see "a handshake cut off").
 */
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/supplemental/util/platform.h>

#include "common.h"
#include "realserver.h"
#include "registry.pb-c.h"
#include "rpc.h"
#include "testutil.h"
#include "wire.h"

#define M_GET_MODEL   "/modelreg.v1.Registry/GetModel"
#define M_LIST_MODELS "/modelreg.v1.Registry/ListModels"
#define M_PROMOTE     "/modelreg.v1.Registry/Promote"

static mr_status
get_model(
    rpc *r, const char *name, Modelreg__V1__GetModelResponse **resp, mr_err *e)
{
	Modelreg__V1__GetModelRequest req =
	    MODELREG__V1__GET_MODEL_REQUEST__INIT;

	req.name = (char *)name;
	return rpc_call(r, M_GET_MODEL, &req.base, false,
	    &modelreg__v1__get_model_response__descriptor,
	    (ProtobufCMessage **)resp, e);
}

static mr_status
promote(rpc *r, mr_err *e)
{
	Modelreg__V1__PromoteRequest req = MODELREG__V1__PROMOTE_REQUEST__INIT;
	Modelreg__V1__PromoteResponse *resp;
	mr_status rv;

	req.name = "fraud";
	req.version = "1.0.0";
	req.to_stage = MODELREG__V1__STAGE__STAGE_STAGING;
	rv = rpc_call(r, M_PROMOTE, &req.base, true,
	    &modelreg__v1__promote_response__descriptor,
	    (ProtobufCMessage **)&resp, e);
	if (rv == MR_OK)
		rpc_reply_free(&resp->base);
	return rv;
}

static rpc *
open_rpc(const char *url, int timeout_ms)
{
	rpc *r = NULL;
	mr_err e;

	const char *t = rs_token_for(url, NULL);

	if (rpc_open(&r, url, t != NULL ? t : "tok", timeout_ms, NULL, &e) != MR_OK)
		fail_msg("rpc_open %s: %s", url, e.msg);
	return r;
}

/* Registers `name` with a small artifact through the public API. */
static void
register_model(rs_server *s, const char *name)
{
	char *path = rs_path(s->dir, "w.bin");
	mr_client *c = rs_client(s->url, NULL, 30000, 0);
	mr_register_params p = {.name = name, .version = "1.0.0", .path = path};

	rs_write_random(path, 1000, 1, 0644);
	if (mr_register(c, &p, NULL) != MR_OK)
		fail_msg("register %s: %s", name, mr_client_errmsg(c));
	mr_client_close(c);
	free(path);
}

/* A GetModelResponse naming a model, for responders to send. */
typedef struct model_reply {
	Modelreg__V1__GetModelResponse resp;
	Modelreg__V1__Model model;
} model_reply;

static const ProtobufCMessage *
model_named(model_reply *m, const char *name)
{
	modelreg__v1__get_model_response__init(&m->resp);
	modelreg__v1__model__init(&m->model);
	m->model.name = (char *)name;
	m->resp.model = &m->model;
	return &m->resp.base;
}

/* ---- no server --------------------------------------------------------------
 */

static void
test_rpc_dead_address_is_unavailable_at_once_naming_the_url(void **state)
{
	const char *url = "ipc:///nonexistent/modelreg-test.sock";
	uint64_t t0 = mr_mono_ns();
	rpc *r = NULL;
	mr_err e;

	(void)state;
	/* With a minute to spare, failing in under half of it shows the
	 * dial did not wait for the timeout. */
	assert_int_equal(
	    rpc_open(&r, url, NULL, 60000, NULL, &e), MR_UNAVAILABLE);
	assert_null(r);
	assert_true(mr_mono_ns() - t0 < 30000000000u);
	assert_non_null(strstr(e.msg, url));
	assert_int_equal(
	    rpc_open(&r, "tcp://127.0.0.1:1", NULL, 60000, NULL, &e),
	    MR_UNAVAILABLE);
	assert_non_null(strstr(e.msg, "refused"));
}

static void
test_rpc_url_nng_cannot_parse_is_invalid_argument(void **state)
{
	rpc *r = NULL;
	mr_err e;

	(void)state;
	assert_int_equal(rpc_open(&r, "nonsense://x", NULL, 1000, NULL, &e),
	    MR_INVALID_ARGUMENT);
	assert_non_null(strstr(e.msg, "nonsense://x"));
}

/* ---- the real registry
 * -------------------------------------------------------- */

static void
test_rpc_call_returns_the_servers_unpacked_response(void **state)
{
	Modelreg__V1__GetModelResponse *resp;
	rs_server s;
	mr_err e;
	rpc *r;

	(void)state;
	rs_start(&s, "rpc-call", NULL);
	register_model(&s, "fraud");
	r = open_rpc(s.url, 30000);
	assert_int_equal(get_model(r, "fraud", &resp, &e), MR_OK);
	assert_string_equal(resp->model->name, "fraud");
	assert_int_equal(resp->model->version_count, 1);
	rpc_reply_free(&resp->base);
	rpc_close(r);
	rs_finish(&s);
}

static void
test_rpc_refusal_keeps_the_servers_status_and_message(void **state)
{
	Modelreg__V1__GetModelResponse *resp = NULL;
	rs_server s;
	mr_err e;
	rpc *r;

	(void)state;
	rs_start(&s, "rpc-refusal", NULL);
	r = open_rpc(s.url, 30000);
	assert_int_equal(get_model(r, "nope", &resp, &e), MR_NOT_FOUND);
	assert_null(resp);
	assert_string_equal(e.msg, "model \"nope\" does not exist");
	rpc_close(r);
	rs_finish(&s);
}

/* Waits for the oldest call of `w`, which must be the one tagged `want`. */
static void
wait_for(rpc_window *w, uintptr_t want, const char *name)
{
	Modelreg__V1__GetModelResponse *resp;
	uintptr_t tag;
	mr_err e;

	assert_int_equal(
	    rpc_window_wait(w, &modelreg__v1__get_model_response__descriptor,
	        (ProtobufCMessage **)&resp, &tag, &e),
	    MR_OK);
	assert_int_equal(tag, want);
	assert_string_equal(resp->model->name, name);
	rpc_reply_free(&resp->base);
}

static void
test_rpc_window_completes_calls_in_start_order(void **state)
{
	char names[10][16];
	uintptr_t waited = 0;
	rpc_window *w;
	rs_server s;
	mr_err e;
	rpc *r;

	(void)state;
	rs_start(&s, "rpc-window", NULL);
	for (int i = 0; i < 10; i++) {
		snprintf(names[i], sizeof(names[i]), "model-%d", i);
		register_model(&s, names[i]);
	}
	r = open_rpc(s.url, 30000);
	assert_int_equal(rpc_window_open(&w, r, 4, &e), MR_OK);
	assert_true(rpc_window_empty(w));
	for (uintptr_t i = 0; i < 10; i++) {
		Modelreg__V1__GetModelRequest req =
		    MODELREG__V1__GET_MODEL_REQUEST__INIT;

		req.name = names[i];
		if (rpc_window_full(w)) {
			assert_int_equal(i - waited, 4);
			wait_for(w, waited, names[waited]);
			waited++;
		}
		assert_int_equal(
		    rpc_window_start(w, M_GET_MODEL, &req.base, i, &e), MR_OK);
	}
	for (; !rpc_window_empty(w); waited++)
		wait_for(w, waited, names[waited]);
	assert_int_equal(waited, 10);
	rpc_window_close(w);
	rpc_close(r);
	rs_finish(&s);
}

/* ---- responders: statuses and payloads
 * ------------------------------------------ */

/* Answers every call with the same reply, and counts the calls. */
typedef struct canned {
	mr_status code;
	const char *message;
	const ProtobufCMessage *payload;
	const void *bytes; /* sent as they are instead, when not NULL */
	size_t len;
	atomic_int calls;
} canned;

static void
answer_canned(void *arg, wr_responder *r, nng_msg *req)
{
	canned *c = arg;

	atomic_fetch_add(&c->calls, 1);
	if (c->bytes != NULL)
		wr_reply_bytes(r, req, c->bytes, c->len);
	else
		wr_reply(r, req, c->code, c->message, c->payload, 0);
}

static void
test_rpc_refusal_without_a_message_says_the_server_gave_no_reason(void **state)
{
	canned c = {.code = MR_NOT_FOUND, .message = ""};
	Modelreg__V1__GetModelResponse *resp = NULL;
	wr_responder *rsp;
	char url[64];
	mr_err e;
	rpc *r;

	(void)state;
	wr_url(url, "no-reason");
	rsp = wr_responder_start(url, answer_canned, &c);
	r = open_rpc(url, 30000);
	assert_int_equal(get_model(r, "fraud", &resp, &e), MR_NOT_FOUND);
	assert_string_equal(e.msg, "the server gave no reason");
	assert_null(resp);
	rpc_close(r);
	wr_responder_stop(rsp);
}

static void
test_rpc_status_code_outside_the_set_is_unknown(void **state)
{
	canned c = {.code = (mr_status)99, .message = "from the future"};
	Modelreg__V1__GetModelResponse *resp = NULL;
	wr_responder *rsp;
	char url[64];
	mr_err e;
	rpc *r;

	(void)state;
	wr_url(url, "code-99");
	rsp = wr_responder_start(url, answer_canned, &c);
	r = open_rpc(url, 30000);
	assert_int_equal(get_model(r, "fraud", &resp, &e), MR_UNKNOWN);
	assert_string_equal(e.msg, "from the future");
	assert_null(resp);
	rpc_close(r);
	wr_responder_stop(rsp);
}

static void
test_rpc_reply_that_is_not_a_response_is_internal(void **state)
{
	static const uint8_t garbage[] = {0xff, 0xff, 0xff, 0x07};
	canned c = {.bytes = garbage, .len = sizeof(garbage)};
	Modelreg__V1__GetModelResponse *resp = NULL;
	wr_responder *rsp;
	char url[64];
	mr_err e;
	rpc *r;

	(void)state;
	wr_url(url, "garbage");
	rsp = wr_responder_start(url, answer_canned, &c);
	r = open_rpc(url, 30000);
	assert_int_equal(get_model(r, "fraud", &resp, &e), MR_INTERNAL);
	assert_non_null(strstr(e.msg, "not a modelreg.v1.Response"));
	assert_non_null(strstr(e.msg, url));
	assert_null(resp);
	rpc_close(r);
	wr_responder_stop(rsp);
}

static void
test_rpc_reply_payload_of_the_wrong_type_is_internal(void **state)
{
	/* A ListEventsResponse where a GetModelResponse belongs: field 1
	 * is a message in both, but field 1 inside it is a varint in an
	 * Event and a string in a Model, so it cannot be read as one. */
	Modelreg__V1__ListEventsResponse events =
	    MODELREG__V1__LIST_EVENTS_RESPONSE__INIT;
	Modelreg__V1__Event ev = MODELREG__V1__EVENT__INIT;
	Modelreg__V1__Event *evs[] = {&ev};
	canned c = {.code = MR_OK};
	Modelreg__V1__GetModelResponse *resp = NULL;
	wr_responder *rsp;
	char url[64];
	mr_err e;
	rpc *r;

	(void)state;
	ev.revision = 5;
	events.events = evs;
	events.n_events = 1;
	c.payload = &events.base;
	wr_url(url, "wrong-type");
	rsp = wr_responder_start(url, answer_canned, &c);
	r = open_rpc(url, 30000);
	assert_int_equal(get_model(r, "fraud", &resp, &e), MR_INTERNAL);
	assert_non_null(strstr(e.msg, "GetModel"));
	assert_non_null(strstr(e.msg, "modelreg.v1.GetModelResponse"));
	assert_null(resp);
	rpc_close(r);
	wr_responder_stop(rsp);
}

static void
test_rpc_request_over_the_message_limit_is_refused_without_sending(void **state)
{
	canned c = {.code = MR_INTERNAL, .message = "should not be called"};
	Modelreg__V1__GetModelRequest req =
	    MODELREG__V1__GET_MODEL_REQUEST__INIT;
	Modelreg__V1__GetModelResponse *resp;
	char *big = malloc(MR_MSG_MAX + 1);
	wr_responder *rsp;
	char url[64];
	mr_err e;
	rpc *r;

	(void)state;
	wr_url(url, "too-big");
	rsp = wr_responder_start(url, answer_canned, &c);
	r = open_rpc(url, 30000);
	memset(big, 'x', MR_MSG_MAX);
	big[MR_MSG_MAX] = '\0';
	req.name = big;
	assert_int_equal(rpc_call(r, M_GET_MODEL, &req.base, false,
	                     &modelreg__v1__get_model_response__descriptor,
	                     (ProtobufCMessage **)&resp, &e),
	    MR_RESOURCE_EXHAUSTED);
	assert_non_null(strstr(e.msg, "messages are limited"));
	rpc_close(r);
	wr_responder_stop(rsp);
	assert_int_equal(atomic_load(&c.calls), 0);
	free(big);
}

/* ---- responders: what travels
 * ---------------------------------------------------- */

/* Keeps the envelope of the last request; answers OK with revision n. */
typedef struct recorder {
	pthread_mutex_t mu;
	char method[128];
	char key[MR_IDEMPOTENCY_KEY_MAX + 1];
	char token[64];
	uint64_t deadline_ms;
	uint64_t revision;
} recorder;

static void
record(void *arg, wr_responder *r, nng_msg *req)
{
	recorder *x = arg;
	Modelreg__V1__Request *env = wr_envelope(req);
	uint64_t rev;

	assert_non_null(env);
	pthread_mutex_lock(&x->mu);
	snprintf(x->method, sizeof(x->method), "%s", env->method);
	snprintf(x->key, sizeof(x->key), "%s", env->idempotency_key);
	snprintf(x->token, sizeof(x->token), "%s", env->auth_token);
	x->deadline_ms = env->deadline_unix_ms;
	rev = ++x->revision;
	pthread_mutex_unlock(&x->mu);
	modelreg__v1__request__free_unpacked(env, NULL);
	wr_reply(r, req, MR_OK, NULL, NULL, rev);
}

static void
test_rpc_each_mutation_carries_a_fresh_idempotency_key_and_reads_none(
    void **state)
{
	recorder x = {.mu = PTHREAD_MUTEX_INITIALIZER};
	Modelreg__V1__GetModelResponse *resp;
	char first[sizeof(x.key)];
	wr_responder *rsp;
	char url[64];
	mr_err e;
	rpc *r;

	(void)state;
	wr_url(url, "keys");
	rsp = wr_responder_start(url, record, &x);
	r = open_rpc(url, 30000);
	assert_int_equal(promote(r, &e), MR_OK);
	pthread_mutex_lock(&x.mu);
	assert_string_equal(x.method, M_PROMOTE);
	assert_int_equal(strlen(x.key), RPC_KEY_LEN);
	assert_int_equal(strspn(x.key, "0123456789abcdef"), RPC_KEY_LEN);
	strcpy(first, x.key);
	pthread_mutex_unlock(&x.mu);
	assert_int_equal(rpc_revision(r), 1);

	assert_int_equal(promote(r, &e), MR_OK);
	pthread_mutex_lock(&x.mu);
	assert_int_equal(strlen(x.key), RPC_KEY_LEN);
	assert_string_not_equal(first, x.key);
	pthread_mutex_unlock(&x.mu);
	assert_int_equal(rpc_revision(r), 2);

	assert_int_equal(get_model(r, "fraud", &resp, &e), MR_OK);
	rpc_reply_free(&resp->base);
	pthread_mutex_lock(&x.mu);
	assert_string_equal(x.method, M_GET_MODEL);
	assert_string_equal(x.key, "");
	pthread_mutex_unlock(&x.mu);
	rpc_close(r);
	wr_responder_stop(rsp);
}

static void
test_rpc_envelope_carries_token_and_deadline(void **state)
{
	recorder x = {.mu = PTHREAD_MUTEX_INITIALIZER};
	Modelreg__V1__GetModelResponse *resp;
	wr_responder *rsp;
	int64_t before, after;
	char url[64];
	mr_err e;
	rpc *r;

	(void)state;
	wr_url(url, "envelope");
	rsp = wr_responder_start(url, record, &x);
	r = open_rpc(url, 2000);
	before = mr_now_ms();
	assert_int_equal(get_model(r, "fraud", &resp, &e), MR_OK);
	after = mr_now_ms();
	rpc_reply_free(&resp->base);
	pthread_mutex_lock(&x.mu);
	assert_string_equal(x.method, M_GET_MODEL);
	assert_string_equal(x.token, "tok");
	/* The deadline is the call's start plus the timeout, in UTC ms. */
	assert_true((int64_t)x.deadline_ms >= before + 2000);
	assert_true((int64_t)x.deadline_ms <= after + 2000);
	pthread_mutex_unlock(&x.mu);
	rpc_close(r);
	wr_responder_stop(rsp);
}

/* ---- responders: late, never, gone
 * --------------------------------------------- */

/*
 * Keeps the first request unanswered. When the second arrives, answers
 * the first ("stale") and then the second ("fresh").
 */
typedef struct late {
	nng_msg *held;
} late;

static void
answer_late(void *arg, wr_responder *r, nng_msg *req)
{
	late *l = arg;
	model_reply stale, fresh;

	if (l->held == NULL) {
		l->held = req;
		return;
	}
	wr_reply(r, l->held, MR_OK, NULL, model_named(&stale, "stale"), 0);
	l->held = NULL;
	wr_reply(r, req, MR_OK, NULL, model_named(&fresh, "fresh"), 0);
}

static void
test_rpc_unanswered_call_is_deadline_exceeded_and_its_late_reply_ignored(
    void **state)
{
	Modelreg__V1__GetModelResponse *resp = NULL;
	late l = {NULL};
	wr_responder *rsp;
	char url[64];
	mr_err e;
	rpc *r;

	(void)state;
	wr_url(url, "late");
	rsp = wr_responder_start(url, answer_late, &l);
	r = open_rpc(url, 2000);
	/* Nothing answers the first call before the second is made. */
	assert_int_equal(
	    get_model(r, "first", &resp, &e), MR_DEADLINE_EXCEEDED);
	assert_null(resp);
	assert_non_null(strstr(e.msg, "GetModel"));
	assert_non_null(strstr(e.msg, "2000 ms"));
	assert_non_null(strstr(e.msg, url));
	/* The first call's answer now arrives first; it is not taken for
	 * the second call's. */
	assert_int_equal(get_model(r, "second", &resp, &e), MR_OK);
	assert_string_equal(resp->model->name, "fresh");
	rpc_reply_free(&resp->base);
	rpc_close(r);
	wr_responder_stop(rsp);
}

/*
 * Keeps requests until three have arrived, waits a while (a window that
 * did not wait for its calls would be closed by then), and answers them
 * all. Later requests are answered at once.
 */
typedef struct batch {
	nng_msg *held[3];
	int n;
	atomic_int answered;
} batch;

static void
answer_batch(void *arg, wr_responder *r, nng_msg *req)
{
	batch *b = arg;
	model_reply m;

	if (atomic_load(&b->answered) == 3) {
		wr_reply(r, req, MR_OK, NULL, model_named(&m, "after"), 0);
		return;
	}
	b->held[b->n++] = req;
	if (b->n < 3)
		return;
	nng_msleep(200);
	for (int i = 0; i < 3; i++) {
		atomic_fetch_add(&b->answered, 1);
		wr_reply(
		    r, b->held[i], MR_OK, NULL, model_named(&m, "held"), 0);
	}
}

static void
test_rpc_window_close_waits_for_the_calls_in_flight(void **state)
{
	Modelreg__V1__GetModelRequest req =
	    MODELREG__V1__GET_MODEL_REQUEST__INIT;
	Modelreg__V1__GetModelResponse *resp;
	batch b = {.n = 0};
	wr_responder *rsp;
	rpc_window *w;
	char url[64];
	mr_err e;
	rpc *r;

	(void)state;
	wr_url(url, "batch");
	rsp = wr_responder_start(url, answer_batch, &b);
	r = open_rpc(url, 30000);
	req.name = "fraud";
	assert_int_equal(rpc_window_open(&w, r, 3, &e), MR_OK);
	for (int i = 0; i < 3; i++)
		assert_int_equal(
		    rpc_window_start(w, M_GET_MODEL, &req.base, 0, &e), MR_OK);
	assert_true(rpc_window_full(w));
	rpc_window_close(w);
	assert_int_equal(atomic_load(&b.answered), 3);
	/* The dropped answers do not reach the next call. */
	assert_int_equal(get_model(r, "after", &resp, &e), MR_OK);
	assert_string_equal(resp->model->name, "after");
	rpc_reply_free(&resp->base);
	rpc_close(r);
	wr_responder_stop(rsp);
}

/*
 * Takes the first request and goes away without answering; a real
 * registry then starts at the same address.
 */
typedef struct successor {
	rs_server *s;
	const char *url;
	atomic_int calls;
} successor;

static void
go_away(void *arg, wr_responder *r, nng_msg *req)
{
	successor *x = arg;

	atomic_fetch_add(&x->calls, 1);
	nng_msg_free(req);
	wr_responder_close(r);
	/* Reads open: the call in flight carries no token of this one. */
	rs_start_open(x->s, "rpc-successor", x->url);
}

static void
test_rpc_call_cut_off_by_a_server_going_away_is_resent_to_its_successor(
    void **state)
{
	Modelreg__V1__ListModelsRequest req =
	    MODELREG__V1__LIST_MODELS_REQUEST__INIT;
	Modelreg__V1__ListModelsResponse *resp;
	rs_server s;
	char url[64];
	successor x = {.s = &s, .url = url};
	wr_responder *rsp;
	mr_err e;
	rpc *r;

	(void)state;
	wr_url(url, "successor");
	rsp = wr_responder_start(url, go_away, &x);
	/* No token: the successor, not started yet, opens reads. */
	if (rpc_open(&r, url, NULL, 30000, NULL, &e) != MR_OK)
		fail_msg("rpc_open %s: %s", url, e.msg);
	assert_int_equal(rpc_call(r, M_LIST_MODELS, &req.base, false,
	                     &modelreg__v1__list_models_response__descriptor,
	                     (ProtobufCMessage **)&resp, &e),
	    MR_OK);
	assert_int_equal(resp->n_models, 0);
	rpc_reply_free(&resp->base);
	assert_int_equal(atomic_load(&x.calls), 1);
	rpc_close(r);
	wr_responder_stop(rsp);
	rs_finish(&s);
}

/* ---- a handshake cut off ---------------------------------------------------
 *
 * This sendmsg(2) is the one libnng calls (an executable's definition
 * comes first), forwarding to the next one. Armed, it fails the next SP
 * handshake header that a REQ socket sends, with EPIPE: what a client
 * gets from a server that died between accepting its connection and the
 * handshake. nng 1.5.2 turns that into NNG_ECLOSED, and its dialer then
 * stops dialing for good (client/rpc.c).
 */

static atomic_int cut_armed, cut_done;

typedef ssize_t (*sendmsg_fn)(int, const struct msghdr *, int);
static sendmsg_fn next_sendmsg;
static pthread_once_t next_sendmsg_once = PTHREAD_ONCE_INIT;

static void
find_next_sendmsg(void)
{
	next_sendmsg = (sendmsg_fn)dlsym(RTLD_NEXT, "sendmsg");
}

ssize_t
sendmsg(int fd, const struct msghdr *m, int flags)
{
	/* "\0SP\0", then the sender's protocol: REQ0 is 0x30. */
	static const uint8_t req_header[6] = {0, 'S', 'P', 0, 0, 0x30};

	pthread_once(&next_sendmsg_once, find_next_sendmsg);
	if (m->msg_iovlen == 1 && m->msg_iov[0].iov_len == 8 &&
	    memcmp(m->msg_iov[0].iov_base, req_header, 6) == 0 &&
	    atomic_exchange(&cut_armed, 0)) {
		atomic_store(&cut_done, 1);
		errno = EPIPE;
		return -1;
	}
	return next_sendmsg(fd, m, flags);
}

static void
test_rpc_dialer_whose_handshake_is_cut_off_dials_again(void **state)
{
	Modelreg__V1__GetModelResponse *resp;
	mr_status rv = MR_DEADLINE_EXCEEDED;
	rs_server s;
	mr_err e;
	rpc *r;

	(void)state;
	rs_start(&s, "rpc-cut", NULL);
	r = open_rpc(s.url, 500);
	assert_int_equal(get_model(r, "fraud", &resp, &e), MR_NOT_FOUND);

	/* The server restarts; the client's handshake with it fails as if
	 * it had died in between. */
	atomic_store(&cut_armed, 1);
	rs_restart(&s);
	for (int i = 0; i < 500 && !atomic_load(&cut_done); i++)
		nng_msleep(10);
	assert_true(atomic_load(&cut_done));
	/* The server's listener may have met the cut connection with EPIPE
	 * too, which stops an nng 1.5.2 listener for good: the server that
	 * stays is restarted once more. */
	rs_restart(&s);

	/* The first call may find no connection and time out; it dials
	 * again, and the next one is answered. */
	for (int i = 0; i < 3 && rv == MR_DEADLINE_EXCEEDED; i++)
		rv = get_model(r, "fraud", &resp, &e);
	assert_int_equal(rv, MR_NOT_FOUND);
	rpc_close(r);
	rs_finish(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        test_rpc_dead_address_is_unavailable_at_once_naming_the_url),
	    cmocka_unit_test(test_rpc_url_nng_cannot_parse_is_invalid_argument),
	    cmocka_unit_test(
	        test_rpc_call_returns_the_servers_unpacked_response),
	    cmocka_unit_test(
	        test_rpc_refusal_keeps_the_servers_status_and_message),
	    cmocka_unit_test(test_rpc_window_completes_calls_in_start_order),
	    cmocka_unit_test(
	        test_rpc_refusal_without_a_message_says_the_server_gave_no_reason),
	    cmocka_unit_test(test_rpc_status_code_outside_the_set_is_unknown),
	    cmocka_unit_test(test_rpc_reply_that_is_not_a_response_is_internal),
	    cmocka_unit_test(
	        test_rpc_reply_payload_of_the_wrong_type_is_internal),
	    cmocka_unit_test(
	        test_rpc_request_over_the_message_limit_is_refused_without_sending),
	    cmocka_unit_test(
	        test_rpc_each_mutation_carries_a_fresh_idempotency_key_and_reads_none),
	    cmocka_unit_test(test_rpc_envelope_carries_token_and_deadline),
	    cmocka_unit_test(
	        test_rpc_unanswered_call_is_deadline_exceeded_and_its_late_reply_ignored),
	    cmocka_unit_test(
	        test_rpc_window_close_waits_for_the_calls_in_flight),
	    cmocka_unit_test(
	        test_rpc_call_cut_off_by_a_server_going_away_is_resent_to_its_successor),
	    cmocka_unit_test(
	        test_rpc_dialer_whose_handshake_is_cut_off_dials_again),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
