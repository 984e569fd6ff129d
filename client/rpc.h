/*
 * rpc.h - the client's transport: unary calls and a window of calls in
 * flight, over one nng REQ0 socket.
 *
 * This is the only part of the client that knows about nng. Callers hand
 * in a protobuf-c request message and a response descriptor and get back
 * an unpacked response or an mr_status with a sentence in an mr_err:
 * the server's own message when it answered with an error, or one naming
 * the URL and what went wrong when it did not answer at all.
 *
 * Ownership: a response returned through `*resp` belongs to the caller,
 * who frees it with rpc_reply_free(resp) (it lives in an arena; never
 * give it to protobuf_c_message_free_unpacked). Request
 * messages are only read, and are packed before the call returns, so the
 * caller may reuse their buffers at once.
 */
#ifndef MR_CLIENT_RPC_H
#define MR_CLIENT_RPC_H

#include <stdbool.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

#include "common.h"

/* Resend interval of the REQ socket: a request unanswered this long is
 * sent again (mutations carry idempotency keys, so this is safe). */
#define RPC_RESEND_MS 10000

/* Length of an idempotency key: 16 random bytes in hex. */
#define RPC_KEY_LEN 32

typedef struct rpc rpc;

/*
 * Opens a REQ socket and dials `url`, blocking until connected, so that
 * a dead address fails here (MR_UNAVAILABLE; MR_INVALID_ARGUMENT for a
 * URL nng cannot parse). `token` travels in every envelope;
 * `timeout_ms` bounds every call (and sets its deadline). A tls+tcp://
 * URL is dialed with `tls` (mr_tls_dial), which is copied: the watch
 * dials the change feed with it too (rpc_tls). `tls` may be NULL.
 */
mr_status rpc_open(rpc **out, const char *url, const char *token,
    int timeout_ms, const mr_tls_files *tls, mr_err *e);
/* Closes the socket. Accepts NULL. */
void rpc_close(rpc *r);

/*
 * One call. `mutation` adds a fresh idempotency key to the envelope; the
 * key stays the same for every resend of this call. On MR_OK, *resp holds
 * the unpacked response (of descriptor `rd`), to free with
 * rpc_reply_free().
 */
mr_status rpc_call(rpc *r, const char *method, const ProtobufCMessage *req,
    bool mutation, const ProtobufCMessageDescriptor *rd,
    ProtobufCMessage **resp, mr_err *e);

/*
 * Frees a response of rpc_call or rpc_window_wait: they live in an arena,
 * never to be given to protobuf_c_message_free_unpacked. Accepts NULL.
 */
void rpc_reply_free(ProtobufCMessage *resp);

/* The URL the socket dials, as given to rpc_open. */
const char *rpc_url(const rpc *r);
/* The TLS files given to rpc_open (all NULL if none). */
const mr_tls_files *rpc_tls(const rpc *r);

/* The registry revision of the last successful response (0 if none). */
uint64_t rpc_revision(const rpc *r);

/*
 * A window keeps up to `size` calls in flight, each on its own nng
 * context. Calls complete in the order they were started: start calls
 * while the window is not full, then wait for the oldest, process it,
 * and start the next. Closing the window waits for the calls still in
 * flight (each at most until its deadline) and drops their answers. Window
 * calls carry no idempotency key: they are for idempotent methods.
 */
typedef struct rpc_window rpc_window;

mr_status rpc_window_open(rpc_window **out, rpc *r, int size, mr_err *e);
void rpc_window_close(rpc_window *w);
bool rpc_window_full(const rpc_window *w);
bool rpc_window_empty(const rpc_window *w);
/* Starts a call; the window must not be full. `tag` comes back from
 * rpc_window_wait with the call's response. */
mr_status rpc_window_start(rpc_window *w, const char *method,
    const ProtobufCMessage *req, uintptr_t tag, mr_err *e);
/* Waits for the oldest call; the window must not be empty. Its slot is
 * free again whatever the outcome. *tag is set even on failure. With `rd`
 * NULL the answer's payload is not unpacked (and `resp` is not used). */
mr_status rpc_window_wait(rpc_window *w, const ProtobufCMessageDescriptor *rd,
    ProtobufCMessage **resp, uintptr_t *tag, mr_err *e);

/*
 * The bulk path: a reply whose payload is read where it was received.
 * protobuf-c's unpack copies every bytes field, and a chunk reply would
 * be copied twice (the envelope's payload, then the chunk's data): a
 * tenth of a pull's CPU. rpc_window_wait_view() checks the envelope's
 * status and leaves *v naming the payload inside the received message
 * (an error reply is reported as rpc_window_wait would); the caller
 * reads the payload with mr_wire_next() (wire.h) and frees the message with
 * rpc_view_free(), from any thread.
 */
typedef struct rpc_view {
	void *msg; /* the nng message holding the bytes */
	const uint8_t *data;
	size_t len;
} rpc_view;

mr_status rpc_window_wait_view(rpc_window *w, rpc_view *v, uintptr_t *tag,
    mr_err *e);
void rpc_view_free(rpc_view *v);

#endif /* MR_CLIENT_RPC_H */
