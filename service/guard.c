/*
 * guard.c - limits on a socket's connections: how many may be open at
 * once, and how long one may go without completing a request.
 *
 * nng 1.5.2 has neither: it accepts every connection, and keeps one whose
 * peer sent half a message (or nothing) open forever, each holding a file
 * descriptor and buffers. The guard counts pipes in nng's pipe-notify
 * callback and closes at once any past the limit; a reaper thread closes
 * pipes with no request being answered whose last request arrived, or
 * was answered, longer ago than the idle limit. A half-sent message never
 * completes, so its pipe times out like an idle one; a long request (a
 * backup) keeps its pipe. Clients reconnect by themselves (nng REQ redials), so
 * closing an idle client's connection costs it a reconnect, nothing more.
 *
 * Pipes live in a small open-addressed table keyed by pipe id, under one
 * mutex; the reaper closes pipes outside it (closing a pipe calls the
 * notify callback, which takes the mutex).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common.h"
#include "guard.h"

typedef struct slot {
	uint32_t id;      /* 0: empty */
	int busy;         /* requests of this pipe being answered */
	uint64_t last_ns; /* when the last request arrived or was answered */
} slot;

struct svc_guard {
	nng_socket sock;
	int max_conns;
	uint64_t idle_ns;
	pthread_mutex_t mu;
	pthread_cond_t cv; /* the reaper's sleep, cut short by stop */
	slot *table;
	size_t cap; /* a power of two, at least twice max_conns */
	int count;
	uint64_t refused, reaped;
	bool stop;
	pthread_t reaper;
	bool started;
};

static size_t
home(const svc_guard *g, uint32_t id)
{
	return (id * 2654435761u) & (g->cap - 1);
}

/* The slot of `id`, or the empty slot where it would go. */
static slot *
find(svc_guard *g, uint32_t id)
{
	for (size_t i = home(g, id);; i = (i + 1) & (g->cap - 1))
		if (g->table[i].id == id || g->table[i].id == 0)
			return &g->table[i];
}

/* Removes `id`, moving later entries of its run back (no tombstones). */
static void
forget(svc_guard *g, uint32_t id)
{
	slot *s = find(g, id);
	size_t i = (size_t)(s - g->table), j = i;

	if (s->id == 0)
		return;
	g->count--;
	for (;;) {
		g->table[i].id = 0;
		for (;;) {
			size_t h;

			j = (j + 1) & (g->cap - 1);
			if (g->table[j].id == 0)
				return;
			h = home(g, g->table[j].id);
			/* j's entry may move to i if its home is not
			 * cyclically in (i, j]. */
			if (i <= j ? (h <= i || h > j) : (h <= i && h > j))
				break;
		}
		g->table[i] = g->table[j];
		i = j;
	}
}

static void
on_pipe(nng_pipe p, nng_pipe_ev ev, void *arg)
{
	svc_guard *g = arg;
	uint32_t id = (uint32_t)nng_pipe_id(p);
	bool refuse = false;

	pthread_mutex_lock(&g->mu);
	if (ev == NNG_PIPE_EV_ADD_PRE) {
		if (g->count >= g->max_conns) {
			refuse = true;
			g->refused++;
		} else {
			slot *s = find(g, id);
			if (s->id == 0) {
				s->id = id;
				s->busy = 0;
				g->count++;
			}
			s->last_ns = mr_mono_ns();
		}
	} else if (ev == NNG_PIPE_EV_REM_POST) {
		forget(g, id);
	}
	pthread_mutex_unlock(&g->mu);
	if (refuse)
		nng_pipe_close(p);
}

/* Notes a request of `p` arriving (+1) or answered (-1). */
static void
note(svc_guard *g, nng_pipe p, int delta)
{
	slot *s;

	if (g == NULL || nng_pipe_id(p) <= 0)
		return;
	pthread_mutex_lock(&g->mu);
	s = find(g, (uint32_t)nng_pipe_id(p));
	if (s->id != 0) {
		s->busy += delta;
		s->last_ns = mr_mono_ns();
	}
	pthread_mutex_unlock(&g->mu);
}

void
svc_guard_begin(svc_guard *g, nng_pipe p)
{
	note(g, p, 1);
}

void
svc_guard_end(svc_guard *g, nng_pipe p)
{
	note(g, p, -1);
}

static void *
reap_main(void *arg)
{
	svc_guard *g = arg;
	uint64_t period_ns = g->idle_ns / 4;
	uint32_t *idle = calloc(g->cap, sizeof(*idle));

	if (period_ns < SVC_GUARD_PERIOD_MIN_MS * 1000000ull)
		period_ns = SVC_GUARD_PERIOD_MIN_MS * 1000000ull;
	pthread_mutex_lock(&g->mu);
	while (!g->stop) {
		struct timespec until;
		uint64_t now = mr_mono_ns();
		size_t n = 0;

		for (size_t i = 0; idle != NULL && i < g->cap; i++)
			if (g->table[i].id != 0 && g->table[i].busy <= 0 &&
			    now - g->table[i].last_ns > g->idle_ns)
				idle[n++] = g->table[i].id;
		g->reaped += n;
		pthread_mutex_unlock(&g->mu);
		for (size_t i = 0; i < n; i++) {
			nng_pipe p = NNG_PIPE_INITIALIZER;
			p.id = idle[i];
			nng_pipe_close(p);
		}
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += (time_t)(period_ns / 1000000000ull);
		until.tv_nsec += (long)(period_ns % 1000000000ull);
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_mutex_lock(&g->mu);
		if (!g->stop)
			pthread_cond_timedwait(&g->cv, &g->mu, &until);
	}
	pthread_mutex_unlock(&g->mu);
	free(idle);
	return NULL;
}

mr_status
svc_guard_start(
    svc_guard **out, nng_socket sock, int max_conns, int idle_ms, mr_err *e)
{
	svc_guard *g;
	int err;

	if (max_conns < 1 || max_conns > SVC_CONNS_LIMIT)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "%d connections; the limit is 1..%d", max_conns,
		    SVC_CONNS_LIMIT);
	if (idle_ms < 0)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "an idle timeout of %d ms", idle_ms);
	if ((g = calloc(1, sizeof(*g))) == NULL)
		return mr_fail(e, MR_RESOURCE_EXHAUSTED, "out of memory");
	g->sock = sock;
	g->max_conns = max_conns;
	g->idle_ns = (uint64_t)idle_ms * 1000000ull;
	for (g->cap = 16; g->cap < 2 * (size_t)max_conns; g->cap *= 2)
		;
	if ((g->table = calloc(g->cap, sizeof(*g->table))) == NULL) {
		free(g);
		return mr_fail(e, MR_RESOURCE_EXHAUSTED, "out of memory");
	}
	pthread_mutex_init(&g->mu, NULL);
	pthread_cond_init(&g->cv, NULL);
	if ((err = nng_pipe_notify(sock, NNG_PIPE_EV_ADD_PRE, on_pipe, g)) !=
	        0 ||
	    (err = nng_pipe_notify(sock, NNG_PIPE_EV_REM_POST, on_pipe, g)) !=
	        0) {
		svc_guard_stop(g);
		return mr_fail(e, MR_INTERNAL, "watching connections: %s",
		    nng_strerror(err));
	}
	if (idle_ms > 0) {
		if (pthread_create(&g->reaper, NULL, reap_main, g) != 0) {
			svc_guard_stop(g);
			return mr_fail(e, MR_RESOURCE_EXHAUSTED,
			    "cannot start the idle-connection reaper");
		}
		g->started = true;
	}
	*out = g;
	return MR_OK;
}

void
svc_guard_counts(svc_guard *g, int *open, uint64_t *refused, uint64_t *reaped)
{
	pthread_mutex_lock(&g->mu);
	*open = g->count;
	*refused = g->refused;
	*reaped = g->reaped;
	pthread_mutex_unlock(&g->mu);
}

void
svc_guard_stop(svc_guard *g)
{
	if (g == NULL)
		return;
	/* The socket (closed by the caller first) calls back no more. */
	pthread_mutex_lock(&g->mu);
	g->stop = true;
	pthread_cond_signal(&g->cv);
	pthread_mutex_unlock(&g->mu);
	if (g->started)
		pthread_join(g->reaper, NULL);
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
	free(g->table);
	free(g);
}
