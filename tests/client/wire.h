/*
 * wire.h - raw nng for the client's tests: what a healthy registry never
 * does, done on purpose, and a window onto what travels.
 *
 * A responder is a REP socket with a thread that hands every request to
 * the test's function, which does the one thing its test is about:
 * answers garbage, answers with a payload of the wrong type, answers
 * late or never, or closes the socket mid-call. It knows nothing of the
 * registry. The socket is in raw mode, so a function may keep a request
 * and answer it after later ones.
 *
 * A tap sits between a client and a real server and forwards every
 * request and reply unchanged, one call at a time, counting what goes by:
 * calls per method, the digests of uploaded chunks, idempotency keys.
 * Asked to, it loses the reply to one call and drops that client's
 * connection, as a network can; the client's REQ socket then sends the
 * same request again on its next connection.
 */
#ifndef MR_TESTS_CLIENT_WIRE_H
#define MR_TESTS_CLIENT_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include <nng/nng.h>

#include "envelope.pb-c.h"
#include "modelreg.h"

/* ---- responders -----------------------------------------------------------
 */

typedef struct wr_responder wr_responder;

/*
 * Called on the responder's thread with each request, whose ownership it
 * takes: reply with wr_reply*(), keep it, or nng_msg_free() it.
 */
typedef void (*wr_fn)(void *arg, wr_responder *r, nng_msg *req);

/* Listens at `url` and serves with `fn`; fails the test if it cannot. */
wr_responder *wr_responder_start(const char *url, wr_fn fn, void *arg);
/* Closes the socket (if still open) and joins the thread. */
void wr_responder_stop(wr_responder *r);
/* From inside `fn`: closes the socket, so the responder goes away. */
void wr_responder_close(wr_responder *r);

/* Sends `bytes` back as the reply to `req` (taking `req`). */
void wr_reply_bytes(
    wr_responder *r, nng_msg *req, const void *bytes, size_t len);
/* Replies with a Response of `code`, `message` and, when not NULL,
 * `payload` packed, and `revision`. */
void wr_reply(wr_responder *r, nng_msg *req, mr_status code,
    const char *message, const ProtobufCMessage *payload, uint64_t revision);

/*
 * A wr_fn that counts requests in the atomic_int `arg` and answers each
 * with INTERNAL: for showing that a call never reached the wire.
 */
void wr_count_calls(void *arg, wr_responder *r, nng_msg *req);

/* The envelope of a request (free with modelreg__v1__request__free_unpacked),
 * or NULL if the bytes are not one. */
Modelreg__V1__Request *wr_envelope(nng_msg *req);

/* An inproc:// address no other test in this process uses. */
void wr_url(char out[64], const char *what);

/* ---- taps -------------------------------------------------------------------
 */

typedef struct wr_tap wr_tap;

/* Listens at `front` and forwards to the server at `back`. */
wr_tap *wr_tap_start(const char *front, const char *back);
void wr_tap_stop(wr_tap *t);
/* Calls seen of `method` ("PutChunk"), or of every method (NULL). */
int wr_tap_calls(wr_tap *t, const char *method);
/* Distinct chunk digests uploaded with PutChunk. */
int wr_tap_distinct_chunks(wr_tap *t);
/*
 * The idempotency key of the i-th call of `method` (in order seen), into
 * out (MR_IDEMPOTENCY_KEY_MAX + 1 bytes); "" when it had none.
 */
void wr_tap_key(wr_tap *t, const char *method, int i, char *out);
/* Forgets what it has counted. */
void wr_tap_reset(wr_tap *t);
/*
 * The next call of `method` is forwarded and answered by the server, but
 * its reply is dropped and the client's connection closed.
 */
void wr_tap_lose_reply(wr_tap *t, const char *method);
/*
 * After `after` more calls of `method`, the tap forwards nothing and
 * answers nothing, as a network gone down, until wr_tap_light().
 */
void wr_tap_go_dark(wr_tap *t, const char *method, int after);
void wr_tap_light(wr_tap *t);

#endif /* MR_TESTS_CLIENT_WIRE_H */
