/*
 * guard.h - connection limits for the server's socket (guard.c).
 */
#ifndef MR_SVC_GUARD_H
#define MR_SVC_GUARD_H

#include <stdint.h>

#include <nng/nng.h>

#include "mr_err.h"

/* Connections open at once by default, and at most (--max-connections). */
#define SVC_CONNS_DEFAULT 4096
#define SVC_CONNS_LIMIT   65536
/* A connection with no request for this long is closed (--idle-timeout). */
#define SVC_IDLE_MS_DEFAULT (300 * 1000)
/* The reaper looks every quarter of the idle limit, at most this often. */
#define SVC_GUARD_PERIOD_MIN_MS 100

typedef struct svc_guard svc_guard;

/*
 * Watches the pipes of `sock` (before it listens): closes any past
 * `max_conns`, and, with idle_ms > 0, those idle longer than that.
 */
mr_status svc_guard_start(
    svc_guard **out, nng_socket sock, int max_conns, int idle_ms, mr_err *e);
/* A request of `p` arrived; it was answered (or dropped). g may be NULL. */
void svc_guard_begin(svc_guard *g, nng_pipe p);
void svc_guard_end(svc_guard *g, nng_pipe p);
/* Open connections now; refused and reaped so far. */
void svc_guard_counts(
    svc_guard *g, int *open, uint64_t *refused, uint64_t *reaped);
/* After the socket is closed. Accepts NULL. */
void svc_guard_stop(svc_guard *g);

#endif /* MR_SVC_GUARD_H */
