/*
 * benchutil.h - what the benchmarks share: a free loopback port,
 * percentiles of latency samples, and the raw transport baseline (an nng
 * REQ/REP echo server and a client for it).
 */
#ifndef MR_BENCHUTIL_H
#define MR_BENCHUTIL_H

#include <stddef.h>
#include <stdint.h>

#include <nng/nng.h>

/* A TCP port on 127.0.0.1 that nothing listens on right now. */
int bench_free_port(void);
/* Sorts `ns` (nanoseconds) and returns the q-quantile in microseconds. */
double bench_quantile_us(uint64_t *ns, size_t n, double q);

/*
 * The raw baseline: an nng REP server answering every request with
 * `reply_size` bytes of float32-like filler, from nng's aio callbacks on
 * BENCH_ECHO_WORKERS contexts (nng's demo/async server): the transport
 * alone, without a thread hand-off, decoding or storage. NULL if it
 * cannot listen on `url`.
 */
#define BENCH_ECHO_WORKERS 64

typedef struct bench_echo bench_echo;

bench_echo *bench_echo_start(const char *url, size_t reply_size);
/* Closes the socket and frees everything. Accepts NULL. */
void bench_echo_stop(bench_echo *e);

/* Opens a REQ socket (receive limit MR_WIRE_MAX) dialed to `url`; the
 * dial is synchronous. nng's error code, 0 on success. */
int bench_req_dial(nng_socket *out, const char *url);
/* One synchronous request of `len` bytes and its reply; nng's error. */
int bench_req_call(nng_socket s, const void *req, size_t len);

/*
 * Tokens: every call needs one. bench_token_store makes an admin token in
 * a store this process serves; bench_token_file reads the one modelregd
 * wrote (--bootstrap-token-file). Either puts it in $MODELREG_TOKEN, where
 * clients and bench_token() find it. Both exit on failure.
 */
struct store;
void bench_token_store(struct store *st);
void bench_token_file(const char *path);
/* $MODELREG_TOKEN, or "" */
const char *bench_token(void);

#endif /* MR_BENCHUTIL_H */
