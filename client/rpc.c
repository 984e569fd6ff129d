/*
 * rpc.c - unary calls and windows of calls over one nng REQ0 socket.
 *
 * Every call travels in a modelreg.v1.Request envelope and comes back in
 * a modelreg.v1.Response (proto/envelope.proto). A call runs on an nng
 * context with its own aio: the send completes once the request is handed
 * to a connection, the receive once the reply arrives. If the connection
 * drops in between, the REQ protocol sends the request again on the next
 * connection, and again every RPC_RESEND_MS without a reply; that is why
 * mutations carry an idempotency key, made once per call so that every
 * resend carries the same one.
 *
 * A window is a ring of such contexts. A reply that arrives before its
 * receive is posted is kept by the context, so posting receives in start
 * order costs nothing while the others are still on the wire. A window is
 * never abandoned with calls in flight: closing it waits for them (see
 * rpc_window_close() for the nng bug that makes this matter).
 *
 * The socket's dialer reconnects by itself when a connection drops,
 * except in one case: nng 1.5.2 gives up dialing for good when a new
 * connection fails its SP handshake with NNG_ECLOSED, which is what a
 * server that dies between accepting the connection and the handshake
 * gives the client's header write (EPIPE). Every later call would time
 * out though the server is back, so a call that times out while the
 * socket has no connection at all replaces the dialer
 * (redial_if_stranded).
 *
 * nng's errors are turned into statuses in one place, transport_fail():
 * no answer in time is DEADLINE_EXCEEDED, a refused or dropped connection
 * UNAVAILABLE, and a reply that does not parse INTERNAL. Connecting, TLS
 * included, is mr_tls_dial's (common/tls.c), shared with the watch's SUB
 * socket.
 */
#include <assert.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/req.h>

#include "common.h"
#include "envelope.pb-c.h"
#include "tls.h"
#include "wire.h"
#include "rpc.h"

/* One call at a time on a context of the socket. */
typedef struct slot {
	nng_ctx ctx;
	bool ctx_open;
	nng_aio *aio;
	const char *method;   /* a string literal: method names are constants */
	uint64_t deadline_ns; /* monotonic */
	uintptr_t tag;
} slot;

struct rpc {
	nng_socket sock;
	char *url;
	char *token;
	char *tls_ca, *tls_cert, *tls_key; /* copies; NULL: none */
	mr_tls_files tls;                  /* the three above */
	nng_dialer dialer;
	atomic_int pipes; /* connections of the socket (pipe_event) */
	int timeout_ms;
	uint64_t revision;
	slot unary;
};

struct rpc_window {
	rpc *r;
	slot *slots;
	size_t size;
	size_t head; /* oldest call in flight */
	size_t count;
};

/* "/modelreg.v1.Registry/GetVersion" -> "GetVersion", for messages. */
static const char *
short_name(const char *method)
{
	const char *p = strrchr(method, '/');

	return p != NULL ? p + 1 : method;
}

static mr_status
transport_fail(const rpc *r, const char *method, int rv, mr_err *e)
{
	const char *m = short_name(method);

	switch (rv) {
	case NNG_ETIMEDOUT:
		return mr_fail(e, MR_DEADLINE_EXCEEDED,
		    "%s: no answer from %s within %d ms", m, r->url,
		    r->timeout_ms);
	case NNG_ENOMEM:
		return mr_fail(e, MR_RESOURCE_EXHAUSTED,
		    "%s: out of memory in the transport", m);
	default:
		return mr_fail(e, MR_UNAVAILABLE, "%s: connection to %s: %s", m,
		    r->url, nng_strerror(rv));
	}
}

static mr_status
new_key(char key[RPC_KEY_LEN + 1], mr_err *e)
{
	static const char hex[] = "0123456789abcdef";
	uint8_t raw[RPC_KEY_LEN / 2];
	ssize_t n;

	do {
		n = getrandom(raw, sizeof(raw), 0);
	} while (n < 0 && errno == EINTR);
	if (n != (ssize_t)sizeof(raw))
		return mr_fail(e, MR_INTERNAL,
		    "cannot make an idempotency key: getrandom: %s",
		    n < 0 ? strerror(errno) : "short read");
	for (size_t i = 0; i < sizeof(raw); i++) {
		key[2 * i] = hex[raw[i] >> 4];
		key[2 * i + 1] = hex[raw[i] & 15];
	}
	key[RPC_KEY_LEN] = '\0';
	return MR_OK;
}

/* Bytes of `v` as a varint. */
static size_t
varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/*
 * Packs `req` into an envelope, straight into a new nng message. The
 * envelope is packed without its payload, and the payload field (2,
 * length-delimited) follows it, the request packed in place: a parser
 * takes fields in any order, and a PutChunk's megabytes are then copied
 * once here instead of twice (into a payload, then into the envelope).
 */
static mr_status
build_msg(const rpc *r, const char *method, const ProtobufCMessage *req,
    const char *key, nng_msg **out, mr_err *e)
{
	Modelreg__V1__Request env = MODELREG__V1__REQUEST__INIT;
	size_t plen = protobuf_c_message_get_packed_size(req);
	size_t hlen, len;
	uint8_t *p;
	nng_msg *msg;
	int rv;

	env.method = (char *)method;
	env.deadline_unix_ms = (uint64_t)(mr_now_ms() + r->timeout_ms);
	env.auth_token = r->token;
	env.idempotency_key = (char *)(key != NULL ? key : "");
	hlen = modelreg__v1__request__get_packed_size(&env);
	len = hlen + (plen > 0 ? 1 + varint_len(plen) + plen : 0);
	if (len > MR_MSG_MAX)
		return mr_fail(e, MR_RESOURCE_EXHAUSTED,
		    "%s: the request is %zu bytes; messages are limited to "
		    "%u bytes",
		    short_name(method), len, MR_MSG_MAX);
	if ((rv = nng_msg_alloc(&msg, len)) != 0)
		return transport_fail(r, method, rv, e);
	p = nng_msg_body(msg);
	p += modelreg__v1__request__pack(&env, p);
	if (plen > 0) {
		uint64_t v = plen;

		*p++ = (2 << 3) | 2; /* field 2, length-delimited */
		for (; v >= 0x80; v >>= 7)
			*p++ = (uint8_t)(v | 0x80);
		*p++ = (uint8_t)v;
		p += protobuf_c_message_pack(req, p);
	}
	assert(p == (uint8_t *)nng_msg_body(msg) + len);
	*out = msg;
	return MR_OK;
}

/* ---- reply arenas --------------------------------------------------------
 *
 * A reply is unpacked into an arena: a few blocks instead of a malloc per
 * string and sub-message. A page of 20 versions is ~900 of those; freeing
 * them one by one filled glibc's fast bins, which it consolidates on the
 * next large allocation, and that was ~40% of a list call's client time.
 * The message is the arena's first allocation, placed right after the
 * arena's header, which is how rpc_reply_free() finds the arena.
 */

#define ARENA_ALIGN 16
#define ARENA_BLOCK (64u << 10)
#define ARENA_MAGIC 0x6d72617265706c79ull /* "mrareply" */

typedef struct arena_block {
	struct arena_block *next;
} arena_block;

typedef struct reply_arena {
	uint64_t magic;
	arena_block *extra; /* blocks after the first */
	char *at, *end;     /* room left in the current block */
	bool failed;
} reply_arena;

/* The header's size, rounded so that the message after it is aligned. */
#define ARENA_HDR                                                          \
	((sizeof(reply_arena) + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1))

/*
 * Under AddressSanitizer every object but the message gets a block of its
 * own (ARENA_EXACT), so that the sanitizer still sees an overflow from one
 * object into the next.
 */
#if defined(__SANITIZE_ADDRESS__)
#define ARENA_EXACT 1
#else
#define ARENA_EXACT 0
#endif

static void *
arena_alloc(void *data, size_t size)
{
	reply_arena *a = data;
	char *p;

	size = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
	if (ARENA_EXACT && a->at != (char *)a + ARENA_HDR) {
		size_t hdr = (sizeof(arena_block) + ARENA_ALIGN - 1) &
		    ~(size_t)(ARENA_ALIGN - 1);
		arena_block *b = malloc(hdr + size);
		if (b == NULL) {
			a->failed = true;
			return NULL;
		}
		b->next = a->extra;
		a->extra = b;
		return (char *)b + hdr;
	}
	if ((size_t)(a->end - a->at) < size) {
		size_t cap = size > ARENA_BLOCK ? size : ARENA_BLOCK;
		size_t hdr = (sizeof(arena_block) + ARENA_ALIGN - 1) &
		    ~(size_t)(ARENA_ALIGN - 1);
		arena_block *b = malloc(hdr + cap);
		if (b == NULL) {
			a->failed = true;
			return NULL;
		}
		b->next = a->extra;
		a->extra = b;
		a->at = (char *)b + hdr;
		a->end = a->at + cap;
	}
	p = a->at;
	a->at += size;
	return p;
}

static void
arena_free(void *data, void *p)
{
	/* Everything goes at once, in rpc_reply_free. */
	(void)data;
	(void)p;
}

static void
arena_release(reply_arena *a)
{
	while (a->extra != NULL) {
		arena_block *b = a->extra;
		a->extra = b->next;
		free(b);
	}
	free(a);
}

/* Unpacks `len` bytes as a `rd` message into a new arena; NULL if they do
 * not parse (or memory ran out). */
static ProtobufCMessage *
arena_unpack(const ProtobufCMessageDescriptor *rd, const uint8_t *data,
    size_t len)
{
	/* Most replies fit; string-heavy ones take more blocks. */
	size_t first = len + len / 2 + rd->sizeof_message + 1024;
	reply_arena *a = malloc(ARENA_HDR + first);
	ProtobufCAllocator alloc = {
		.alloc = arena_alloc, .free = arena_free, .allocator_data = a
	};
	ProtobufCMessage *m;

	if (a == NULL)
		return NULL;
	a->magic = ARENA_MAGIC;
	a->extra = NULL;
	a->at = (char *)a + ARENA_HDR;
	a->end = a->at + first;
	a->failed = false;
	m = protobuf_c_message_unpack(rd, &alloc, len, data);
	if (m == NULL || a->failed) {
		arena_release(a);
		return NULL;
	}
	assert((char *)m == (char *)a + ARENA_HDR);
	return m;
}

void
rpc_reply_free(ProtobufCMessage *m)
{
	reply_arena *a;

	if (m == NULL)
		return;
	a = (reply_arena *)((char *)m - ARENA_HDR);
	assert(a->magic == ARENA_MAGIC);
	arena_release(a);
}

/* Unpacks a reply envelope and, if it says OK, its payload. */
static mr_status
parse_reply(rpc *r, const char *method, nng_msg *msg,
    const ProtobufCMessageDescriptor *rd, ProtobufCMessage **resp, mr_err *e)
{
	Modelreg__V1__Response *rsp;
	ProtobufCMessage *body;
	mr_status rv = MR_OK;

	rsp = modelreg__v1__response__unpack(
	    NULL, nng_msg_len(msg), nng_msg_body(msg));
	if (rsp == NULL)
		return mr_fail(e, MR_INTERNAL,
		    "%s: the reply from %s (%zu bytes) is not a "
		    "modelreg.v1.Response",
		    short_name(method), r->url, nng_msg_len(msg));
	if (rsp->code != MODELREG__V1__STATUS_CODE__STATUS_OK) {
		int code = (int)rsp->code;

		if (code < MR_CANCELLED || code > MR_UNAUTHENTICATED)
			code = MR_UNKNOWN;
		rv = mr_fail(e, (mr_status)code, "%s",
		    rsp->message[0] != '\0' ? rsp->message
		                            : "the server gave no reason");
		goto out;
	}
	if (rd == NULL) /* the caller does not want it */
		goto out;
	body = arena_unpack(rd, rsp->payload.data, rsp->payload.len);
	if (body == NULL) {
		rv = mr_fail(e, MR_INTERNAL,
		    "%s: the server's answer is not a %s", short_name(method),
		    rd->name);
		goto out;
	}
	r->revision = rsp->revision;
	*resp = body;
out:
	modelreg__v1__response__free_unpacked(rsp, NULL);
	return rv;
}

static mr_status
slot_open(slot *s, rpc *r, mr_err *e)
{
	int rv;

	if ((rv = nng_aio_alloc(&s->aio, NULL, NULL)) != 0 ||
	    (rv = nng_ctx_open(&s->ctx, r->sock)) != 0)
		return mr_fail(e, MR_RESOURCE_EXHAUSTED,
		    "cannot set up a call to %s: %s", r->url, nng_strerror(rv));
	s->ctx_open = true;
	return MR_OK;
}

/* Frees a slot, stopping its aio first should anything still run. */
static void
slot_close(slot *s)
{
	if (s->aio != NULL) {
		nng_msg *msg;

		nng_aio_stop(s->aio);
		/* A cancelled send hands its message back to the aio. */
		if ((msg = nng_aio_get_msg(s->aio)) != NULL)
			nng_msg_free(msg);
		nng_aio_free(s->aio);
		s->aio = NULL;
	}
	if (s->ctx_open)
		nng_ctx_close(s->ctx);
	s->ctx_open = false;
}

static mr_status
slot_start(slot *s, rpc *r, const char *method, const ProtobufCMessage *req,
    const char *key, uintptr_t tag, mr_err *e)
{
	nng_msg *msg = NULL;
	mr_status rv;

	if ((rv = build_msg(r, method, req, key, &msg, e)) != MR_OK)
		return rv;
	s->method = method;
	s->tag = tag;
	s->deadline_ns = mr_mono_ns() + (uint64_t)r->timeout_ms * 1000000u;
	nng_aio_set_msg(s->aio, msg);
	nng_aio_set_timeout(s->aio, r->timeout_ms);
	nng_ctx_send(s->ctx, s->aio);
	return MR_OK;
}

/* Counts the socket's connections. A connection refused after
 * NNG_PIPE_EV_ADD_PRE still gets NNG_PIPE_EV_REM_POST; one that fails
 * before gets neither. Runs on nng's threads. */
static void
pipe_event(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	rpc *r = arg;

	(void)p;
	if (ev == NNG_PIPE_EV_ADD_PRE)
		atomic_fetch_add(&r->pipes, 1);
	else if (ev == NNG_PIPE_EV_REM_POST)
		atomic_fetch_sub(&r->pipes, 1);
}

/*
 * After a call timed out: if the socket has no connection, a new dialer
 * in place of the old one, which may have given up (see the top of the
 * file). One that had not loses nothing but its wait for the next
 * attempt. The old dialer is closed only once the new one is started;
 * if the new one cannot be made, the old one stays.
 */
static void
redial_if_stranded(rpc *r)
{
	nng_dialer d;
	mr_err ignored;

	if (atomic_load(&r->pipes) > 0)
		return;
	if (mr_tls_dial(r->sock, r->url, &r->tls, NNG_FLAG_NONBLOCK, &d,
		&ignored) != MR_OK)
		return;
	nng_dialer_close(r->dialer);
	r->dialer = d;
}

/* Waits for the send of the slot's call, then for its reply message. */
static mr_status
slot_receive(slot *s, rpc *r, nng_msg **out, mr_err *e)
{
	uint64_t now;
	nng_msg *msg;
	int rv;

	nng_aio_wait(s->aio);
	if ((rv = nng_aio_result(s->aio)) != 0) {
		if ((msg = nng_aio_get_msg(s->aio)) != NULL)
			nng_msg_free(msg);
		nng_aio_set_msg(s->aio, NULL);
		if (rv == NNG_ETIMEDOUT)
			redial_if_stranded(r);
		return transport_fail(r, s->method, rv, e);
	}
	now = mr_mono_ns();
	nng_aio_set_timeout(s->aio,
	    now >= s->deadline_ns
	        ? 1
	        : (nng_duration)((s->deadline_ns - now + 999999) / 1000000));
	nng_ctx_recv(s->ctx, s->aio);
	nng_aio_wait(s->aio);
	if ((rv = nng_aio_result(s->aio)) != 0) {
		if (rv == NNG_ETIMEDOUT)
			redial_if_stranded(r);
		return transport_fail(r, s->method, rv, e);
	}
	*out = nng_aio_get_msg(s->aio);
	nng_aio_set_msg(s->aio, NULL);
	return MR_OK;
}

static mr_status
slot_finish(slot *s, rpc *r, const ProtobufCMessageDescriptor *rd,
    ProtobufCMessage **resp, mr_err *e)
{
	nng_msg *msg;
	mr_status st;

	if ((st = slot_receive(s, r, &msg, e)) != MR_OK)
		return st;
	st = parse_reply(r, s->method, msg, rd, resp, e);
	nng_msg_free(msg);
	return st;
}

/* A copy of `s` into *out (NULL stays NULL); false if out of memory. */
static bool
dup_path(const char *s, char **out)
{
	*out = s != NULL ? strdup(s) : NULL;
	return s == NULL || *out != NULL;
}

static void
free_strings(rpc *r)
{
	free(r->url);
	free(r->token);
	free(r->tls_ca);
	free(r->tls_cert);
	free(r->tls_key);
}

mr_status
rpc_open(rpc **out, const char *url, const char *token, int timeout_ms,
    const mr_tls_files *tls, mr_err *e)
{
	const mr_tls_files none = { 0 };
	mr_status st;
	rpc *r;
	int rv;

	if (tls == NULL)
		tls = &none;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return mr_fail(e, MR_RESOURCE_EXHAUSTED, "out of memory");
	r->timeout_ms = timeout_ms;
	atomic_init(&r->pipes, 0);
	r->url = strdup(url);
	r->token = strdup(token != NULL ? token : "");
	if (r->url == NULL || r->token == NULL ||
	    !dup_path(tls->ca, &r->tls_ca) ||
	    !dup_path(tls->cert, &r->tls_cert) ||
	    !dup_path(tls->key, &r->tls_key)) {
		st = mr_fail(e, MR_RESOURCE_EXHAUSTED, "out of memory");
		goto err_alloc;
	}
	r->tls = (mr_tls_files){ .ca = r->tls_ca, .cert = r->tls_cert,
		.key = r->tls_key };
	if ((rv = nng_req0_open(&r->sock)) != 0) {
		st = mr_fail(e, MR_RESOURCE_EXHAUSTED,
		    "cannot open a REQ socket: %s", nng_strerror(rv));
		goto err_alloc;
	}
	/* The receive limit must be in place before the first connection. */
	if ((rv = nng_socket_set_size(
	         r->sock, NNG_OPT_RECVMAXSZ, MR_MSG_MAX)) != 0 ||
	    (rv = nng_socket_set_ms(
	         r->sock, NNG_OPT_REQ_RESENDTIME, RPC_RESEND_MS)) != 0 ||
	    (rv = nng_pipe_notify(
	         r->sock, NNG_PIPE_EV_ADD_PRE, pipe_event, r)) != 0 ||
	    (rv = nng_pipe_notify(
	         r->sock, NNG_PIPE_EV_REM_POST, pipe_event, r)) != 0) {
		st = mr_fail(e, MR_INTERNAL, "cannot set socket options: %s",
		    nng_strerror(rv));
		goto err_socket;
	}
	/* Blocking: a dead address (or a failed TLS handshake) fails
	 * here. After this, the dialer reconnects on its own whenever the
	 * connection drops. */
	if ((st = mr_tls_dial(r->sock, url, &r->tls, 0, &r->dialer, e)) !=
	    MR_OK)
		goto err_socket;
	if ((st = slot_open(&r->unary, r, e)) != MR_OK)
		goto err_slot;
	*out = r;
	return MR_OK;

err_slot:
	slot_close(&r->unary);
err_socket:
	nng_close(r->sock);
err_alloc:
	free_strings(r);
	free(r);
	return st;
}

void
rpc_close(rpc *r)
{
	if (r == NULL)
		return;
	slot_close(&r->unary);
	nng_close(r->sock);
	free_strings(r);
	free(r);
}

uint64_t
rpc_revision(const rpc *r)
{
	return r->revision;
}

mr_status
rpc_call(rpc *r, const char *method, const ProtobufCMessage *req, bool mutation,
    const ProtobufCMessageDescriptor *rd, ProtobufCMessage **resp, mr_err *e)
{
	char key[RPC_KEY_LEN + 1];
	mr_status rv;

	if (mutation && (rv = new_key(key, e)) != MR_OK)
		return rv;
	rv = slot_start(&r->unary, r, method, req, mutation ? key : NULL, 0, e);
	if (rv != MR_OK)
		return rv;
	return slot_finish(&r->unary, r, rd, resp, e);
}

mr_status
rpc_window_open(rpc_window **out, rpc *r, int size, mr_err *e)
{
	rpc_window *w;
	mr_status rv;

	assert(size > 0);
	if ((w = calloc(1, sizeof(*w))) == NULL ||
	    (w->slots = calloc((size_t)size, sizeof(slot))) == NULL) {
		free(w);
		return mr_fail(e, MR_RESOURCE_EXHAUSTED, "out of memory");
	}
	w->r = r;
	w->size = (size_t)size;
	for (size_t i = 0; i < w->size; i++) {
		if ((rv = slot_open(&w->slots[i], r, e)) != MR_OK) {
			rpc_window_close(w);
			return rv;
		}
	}
	*out = w;
	return MR_OK;
}

void
rpc_window_close(rpc_window *w)
{
	if (w == NULL)
		return;
	/* Calls still in flight are waited for (each until its deadline)
	 * and their answers dropped, rather than cancelled. Cancelling
	 * would leave replies on the wire, and nng 1.5.2 can hang for good
	 * in nng_close() when a connection closes while a reply is being
	 * received (the transport re-arms a stopped aio). */
	while (w->count > 0) {
		uintptr_t tag;
		mr_err ignored;

		rpc_window_wait(w, NULL, NULL, &tag, &ignored);
	}
	for (size_t i = 0; i < w->size; i++)
		slot_close(&w->slots[i]);
	free(w->slots);
	free(w);
}

bool
rpc_window_full(const rpc_window *w)
{
	return w->count == w->size;
}

bool
rpc_window_empty(const rpc_window *w)
{
	return w->count == 0;
}

mr_status
rpc_window_start(rpc_window *w, const char *method, const ProtobufCMessage *req,
    uintptr_t tag, mr_err *e)
{
	slot *s = &w->slots[(w->head + w->count) % w->size];
	mr_status rv;

	assert(w->count < w->size);
	if ((rv = slot_start(s, w->r, method, req, NULL, tag, e)) != MR_OK)
		return rv;
	w->count++;
	return MR_OK;
}

mr_status
rpc_window_wait(rpc_window *w, const ProtobufCMessageDescriptor *rd,
    ProtobufCMessage **resp, uintptr_t *tag, mr_err *e)
{
	slot *s = &w->slots[w->head];

	assert(w->count > 0);
	w->head = (w->head + 1) % w->size;
	w->count--;
	*tag = s->tag;
	return slot_finish(s, w->r, rd, resp, e);
}

mr_status
rpc_window_wait_view(rpc_window *w, rpc_view *v, uintptr_t *tag, mr_err *e)
{
	slot *s = &w->slots[w->head];
	const uint8_t *p, *end;
	nng_msg *msg;
	mr_wire_field f;
	mr_status st;
	int got;

	assert(w->count > 0);
	w->head = (w->head + 1) % w->size;
	w->count--;
	*tag = s->tag;
	memset(v, 0, sizeof(*v));
	if ((st = slot_receive(s, w->r, &msg, e)) != MR_OK)
		return st;
	p = nng_msg_body(msg);
	end = p + nng_msg_len(msg);
	while ((got = mr_wire_next(&p, end, &f)) > 0) {
		if (f.num == 1 && f.v != MODELREG__V1__STATUS_CODE__STATUS_OK)
			break; /* an error: parse_reply says which */
		if (f.num == 3 && f.p != NULL) {
			v->data = f.p;
			v->len = f.len;
		}
	}
	if (got != 0) {
		/* An error or a malformed reply: the general path explains. */
		st = parse_reply(w->r, s->method, msg, NULL, NULL, e);
		nng_msg_free(msg);
		return st != MR_OK ? st
		                   : mr_fail(e, MR_INTERNAL,
		                         "%s: a malformed reply from %s",
		                         short_name(s->method), w->r->url);
	}
	v->msg = msg;
	return MR_OK;
}

void
rpc_view_free(rpc_view *v)
{
	if (v != NULL && v->msg != NULL) {
		nng_msg_free(v->msg);
		v->msg = NULL;
	}
}

const char *
rpc_url(const rpc *r)
{
	return r->url;
}

const mr_tls_files *
rpc_tls(const rpc *r)
{
	return &r->tls;
}
