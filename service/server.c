/*
 * server.c - the transport: one nng REP0 socket, a fixed set of contexts
 * answering small reads inline, and worker threads for everything else.
 *
 * Each context owns an nng context and an aio, and is a little state
 * machine driven by the aio's callback, as in nng's demo/async server:
 * RECV -> (answer inline | hand to a worker) -> SEND -> RECV. N contexts
 * means N requests in flight at once; nng's REP0 contexts route each
 * reply to the pipe its request came from, so a reply must go out on the
 * context that received the request.
 *
 * Small point reads of the catalog (methods marked inline_read: GetModel,
 * GetVersion, Resolve) are answered right in the receive callback with
 * the context's own svc_worker, so a fleet's hot calls cost what a raw
 * REQ/REP echo costs plus the handler, with no thread hand-off. They only
 * read RocksDB's block cache (a miss reads an SST block from the page
 * cache), and never take a lock that a writer holds across an fsync.
 *
 * Everything else goes to worker threads of our own through a queue.
 * Those handlers block: a mutation waits for the writer lock and a synced
 * WAL write, a chunk read may wait for the disk. nng runs callbacks on a
 * small shared task pool that also completes socket I/O, so blocking
 * there would stall every connection behind one fsync. A worker pops a
 * context, dispatches its request, sends the reply on that context with
 * an aio of its own and waits for the send, then sets the context
 * receiving again. Waiting for the send keeps the workers' replies in
 * memory (GetChunk: up to MR_CHUNK_MAX each) bounded by the number of
 * workers, not of contexts, however slowly clients read.
 *
 * Nothing polls: idle contexts wait in nng, idle workers on a condvar.
 * Stopping sets a flag and cancels the receives; a context that sees the
 * flag receives with a short timeout instead, and retires when that
 * times out with nothing received or the stop deadline has passed: a
 * request received is a request answered.
 *
 * Committed events go out on a second socket, PUB0 (publish.c), opened
 * before the contexts so that no mutation commits unpublished.
 *
 * The receive size limit is set on the socket before any listener starts,
 * since nng 1.5.2's default is unlimited: a peer could announce 4 GiB.
 *
 * tls+tcp:// listeners, the change feed's included, share one TLS
 * configuration (tls.c), made before anything else starts so that a
 * missing or unusable certificate refuses to start with its reason.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/supplemental/util/platform.h>

#include "guard.h"
#include "svc.h"
#include "tls.h"

/* A stopping context waits this long for one more request. */
#define SVC_STOP_POLL_MS 100
/* A stopping server answers what has arrived for at most this long. */
#define SVC_STOP_DRAIN_MS 5000
/* A reply that cannot be queued within this time is dropped. */
#define SVC_SEND_TIMEOUT_MS 10000
/*
 * nng completes a REP send once the reply is queued on its pipe, and
 * closing the socket may abort what is still queued there. nng 1.5.2 has
 * no linger option, so a stopping server waits this long after its
 * contexts are done for the last replies to reach the kernel.
 */
#define SVC_DRAIN_MS 200

/*
 * One request in flight. `state` belongs to whoever drives the context
 * at the moment (its aio callback, or the worker that popped it); only
 * `receiving`, which svc_server_stop reads, needs the lock.
 */
struct conn {
	svc_server *srv;
	enum { CONN_RECV, CONN_SEND } state;
	nng_ctx ctx;
	nng_aio *aio; /* driven by conn_cb */
	svc_worker w; /* answers the inline reads */
	nng_msg *req; /* waiting in the queue for a worker */
	nng_pipe pipe; /* of the request being answered, for the guard */
	struct conn *next;
	pthread_mutex_t mu;
	bool receiving; /* a receive is posted on aio */
};

struct worker {
	svc_server *srv;
	svc_worker w;
	nng_aio *aio; /* sends replies, waited for; no callback */
	pthread_t thread;
	bool started;
};

struct svc_server {
	nng_socket sock;
	nng_listener *listeners;
	size_t n_listeners;
	struct conn *conns;
	int n_conns;
	struct worker *workers;
	int n_workers;
	svc_publisher *pub; /* the change feed */
	svc_guard *guard;   /* connection count and idle limits */
	svc_scrubber *scrub; /* NULL: none */
	nng_tls_config *tls; /* for tls+tcp:// listeners; NULL: none */
	atomic_bool stopping;
	uint64_t stop_deadline_ns; /* set before `stopping` */

	pthread_mutex_t mu; /* guards the fields below */
	pthread_cond_t work_cv; /* the queue has a context, or quit */
	pthread_cond_t done_cv; /* n_live reached 0 */
	struct conn *head, *tail; /* contexts waiting for a worker */
	int n_live; /* contexts that have not retired */
	bool quit;  /* set once n_live is 0: workers leave */
};

static void *
reply_alloc(void *arg, size_t len)
{
	nng_msg **out = arg;

	if (nng_msg_alloc(out, len) != 0)
		return NULL;
	return nng_msg_body(*out);
}

/*
 * Dispatches `req` and frees it. Non-zero: no memory for a reply; the
 * client's request times out and nng's REQ resends it.
 */
static int
handle(svc_worker *w, nng_msg *req, nng_msg **out)
{
	nng_msg *rep = NULL;
	svc_reply reply = { .alloc = reply_alloc, .arg = &rep };
	int rv = svc_dispatch(w, nng_msg_body(req), nng_msg_len(req), &reply);

	nng_msg_free(req);
	if (rv != 0) {
		if (rep != NULL)
			nng_msg_free(rep);
		return -1;
	}
	*out = rep;
	return 0;
}

/* A context that takes no more requests: the stop waits for all. */
static void
conn_retire(struct conn *c)
{
	svc_server *s = c->srv;

	pthread_mutex_lock(&s->mu);
	if (--s->n_live == 0)
		pthread_cond_broadcast(&s->done_cv);
	pthread_mutex_unlock(&s->mu);
}

/*
 * Sets `c` receiving: with no timeout while serving, for SVC_STOP_POLL_MS
 * once stopping. Under c->mu so that a stop either sees the receive
 * posted and cancels it, or was seen here and gave it the timeout.
 */
static void
conn_recv(struct conn *c)
{
	svc_server *s = c->srv;
	bool stopping;

	/* The request before, if any, has been answered. */
	if (nng_pipe_id(c->pipe) > 0) {
		svc_guard_end(s->guard, c->pipe);
		c->pipe = (nng_pipe)NNG_PIPE_INITIALIZER;
	}
	pthread_mutex_lock(&c->mu);
	stopping = atomic_load(&s->stopping);
	if (stopping && mr_mono_ns() > s->stop_deadline_ns) {
		pthread_mutex_unlock(&c->mu);
		conn_retire(c);
		return;
	}
	c->state = CONN_RECV;
	c->receiving = true;
	nng_aio_set_timeout(c->aio,
	    stopping ? SVC_STOP_POLL_MS : NNG_DURATION_INFINITE);
	/* nng completes the aio on its task threads, never in this call. */
	nng_ctx_recv(c->ctx, c->aio);
	pthread_mutex_unlock(&c->mu);
}

static void
conn_send(struct conn *c, nng_msg *rep)
{
	c->state = CONN_SEND;
	nng_aio_set_timeout(c->aio, SVC_SEND_TIMEOUT_MS);
	nng_aio_set_msg(c->aio, rep);
	nng_ctx_send(c->ctx, c->aio);
}

/* Queues `c`, holding `req`, for the workers. */
static void
conn_enqueue(struct conn *c, nng_msg *req)
{
	svc_server *s = c->srv;

	c->req = req;
	c->next = NULL;
	pthread_mutex_lock(&s->mu);
	if (s->tail != NULL)
		s->tail->next = c;
	else
		s->head = c;
	s->tail = c;
	pthread_cond_signal(&s->work_cv);
	pthread_mutex_unlock(&s->mu);
}

/* The context's state machine, on nng's callback threads. */
static void
conn_cb(void *arg)
{
	struct conn *c = arg;
	int rv = nng_aio_result(c->aio);
	const svc_method *m;
	nng_msg *req, *rep;

	switch (c->state) {
	case CONN_RECV:
		pthread_mutex_lock(&c->mu);
		c->receiving = false;
		pthread_mutex_unlock(&c->mu);
		if (rv == NNG_ECANCELED) {
			/* The stop woke us: receive with its timeout. */
			conn_recv(c);
			return;
		}
		if (rv != 0) {
			/* NNG_ETIMEDOUT: stopping, and nothing more came;
			 * NNG_ECLOSED: the socket is gone. */
			conn_retire(c);
			return;
		}
		req = nng_aio_get_msg(c->aio);
		nng_aio_set_msg(c->aio, NULL);
		c->pipe = nng_msg_get_pipe(req);
		svc_guard_begin(c->srv->guard, c->pipe);
		m = svc_method_of(nng_msg_body(req), nng_msg_len(req));
		if (m == NULL || !m->inline_read) {
			/* Blocking, unknown or malformed: a worker answers. */
			conn_enqueue(c, req);
			return;
		}
		if (handle(&c->w, req, &rep) != 0) {
			conn_recv(c);
			return;
		}
		conn_send(c, rep);
		return;
	case CONN_SEND:
		if (rv != 0) /* the peer went away */
			nng_msg_free(nng_aio_get_msg(c->aio));
		conn_recv(c);
		return;
	}
}

/*
 * Serves the queue until quit. The worker sends the reply on the
 * request's context with its own aio and waits, so that it holds at most
 * one reply at a time; then it gives the context back to receiving.
 */
static void *
worker_main(void *arg)
{
	struct worker *wk = arg;
	svc_server *s = wk->srv;

	for (;;) {
		struct conn *c;
		nng_msg *rep;

		pthread_mutex_lock(&s->mu);
		while (s->head == NULL && !s->quit)
			pthread_cond_wait(&s->work_cv, &s->mu);
		if ((c = s->head) == NULL) {
			pthread_mutex_unlock(&s->mu);
			break; /* quit, and no context waits */
		}
		if ((s->head = c->next) == NULL)
			s->tail = NULL;
		pthread_mutex_unlock(&s->mu);

		if (handle(&wk->w, c->req, &rep) == 0) {
			nng_aio_set_timeout(wk->aio, SVC_SEND_TIMEOUT_MS);
			nng_aio_set_msg(wk->aio, rep);
			nng_ctx_send(c->ctx, wk->aio);
			nng_aio_wait(wk->aio);
			if (nng_aio_result(wk->aio) != 0)
				nng_msg_free(rep); /* the peer went away */
		}
		c->req = NULL;
		conn_recv(c);
	}
	return NULL;
}

/*
 * Stops taking requests, answers those that have arrived, and frees the
 * contexts and workers; also undoes a partial start.
 */
static void
stop_serving(svc_server *s)
{
	s->stop_deadline_ns = mr_mono_ns() + SVC_STOP_DRAIN_MS * 1000000ull;
	atomic_store(&s->stopping, true);
	/* Receives posted before the flag have no timeout: wake them. */
	for (int i = 0; i < s->n_conns; i++) {
		struct conn *c = &s->conns[i];
		pthread_mutex_lock(&c->mu);
		if (c->receiving)
			nng_aio_cancel(c->aio);
		pthread_mutex_unlock(&c->mu);
	}
	pthread_mutex_lock(&s->mu);
	while (s->n_live > 0)
		pthread_cond_wait(&s->done_cv, &s->mu);
	s->quit = true;
	pthread_cond_broadcast(&s->work_cv);
	pthread_mutex_unlock(&s->mu);

	for (int i = 0; i < s->n_workers; i++) {
		struct worker *wk = &s->workers[i];
		if (wk->started)
			pthread_join(wk->thread, NULL);
		if (wk->aio != NULL)
			nng_aio_free(wk->aio);
		svc_worker_fini(&wk->w);
	}
	for (int i = 0; i < s->n_conns; i++) {
		struct conn *c = &s->conns[i];
		/* Waits for a callback still on its way out of conn_retire. */
		if (c->aio != NULL)
			nng_aio_free(c->aio);
		nng_ctx_close(c->ctx);
		svc_worker_fini(&c->w);
		pthread_mutex_destroy(&c->mu);
	}
	free(s->workers);
	free(s->conns);
	s->workers = NULL;
	s->conns = NULL;
	s->n_workers = s->n_conns = 0;
}

/* The change feed on opt's publish URLs, or on one derived from the
 * first listen URL. */
static mr_status
open_publisher(svc_server *s, store *st, const svc_options *opt, mr_err *e)
{
	char derived[SVC_URL_MAX + 8];
	const char *urls[1] = { derived };
	mr_status rv;

	if (opt->n_publish_urls > 0)
		return svc_publisher_open(&s->pub, st, opt->publish_urls,
		    opt->n_publish_urls, false, s->tls, e);
	if ((rv = svc_publish_url_default(opt->urls[0], derived,
		 sizeof(derived), e)) != MR_OK)
		return rv;
	return svc_publisher_open(&s->pub, st, urls, 1, true, s->tls, e);
}

/* The first tls+tcp:// URL of `urls`; NULL if none. */
static const char *
first_tls_url(const char *const *urls, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (mr_tls_url(urls[i]))
			return urls[i];
	return NULL;
}

/*
 * The TLS configuration, if there is a certificate; a tls+tcp:// URL
 * without one is refused here, before anything listens.
 */
static mr_status
open_tls(svc_server *s, const svc_options *opt, mr_err *e)
{
	const mr_tls_files f = { .ca = opt->tls_client_ca,
		.cert = opt->tls_cert, .key = opt->tls_key };
	const char *u;

	if (opt->tls_cert == NULL && opt->tls_key == NULL) {
		if ((u = first_tls_url(opt->urls, opt->n_urls)) != NULL ||
		    (u = first_tls_url(opt->publish_urls,
			 opt->n_publish_urls)) != NULL)
			return mr_fail(e, MR_INVALID_ARGUMENT,
			    "%s is TLS: give the server's certificate and key "
			    "(--tls-cert, --tls-key)", u);
		if (opt->tls_client_ca != NULL)
			return mr_fail(e, MR_INVALID_ARGUMENT,
			    "a client CA (--tls-client-ca) needs the "
			    "server's certificate and key (--tls-cert, "
			    "--tls-key)");
		return MR_OK;
	}
	return mr_tls_server_config(&s->tls, &f, e);
}

static mr_status
worker_res_init(svc_worker *w, store *st, const svc_options *opt,
    svc_publisher *pub, svc_scrubber *scrub, mr_err *e)
{
	mr_status rv;

	if ((rv = svc_worker_init(w, st, e)) != MR_OK)
		return rv;
	if (opt->environment != NULL)
		w->environment = opt->environment;
	w->backup_root = opt->backup_root;
	w->anonymous_read = opt->anonymous_read;
	w->local = opt->local;
	if (opt->gc_grace_ms != 0)
		w->gc_grace_ms = opt->gc_grace_ms > 0 ? opt->gc_grace_ms : 0;
	w->pub = pub;
	w->scrub = scrub;
	return MR_OK;
}

/* Opens the contexts and starts the workers; stop_serving undoes it. */
static mr_status
start_serving(svc_server *s, store *st, const svc_options *opt, int n,
    mr_err *e)
{
	int n_conns = n > SVC_CONTEXTS_MIN ? n : SVC_CONTEXTS_MIN;
	mr_status rv;
	int err;

	s->conns = calloc((size_t)n_conns, sizeof(*s->conns));
	s->workers = calloc((size_t)n, sizeof(*s->workers));
	if (s->conns == NULL || s->workers == NULL)
		return mr_fail(e, MR_RESOURCE_EXHAUSTED, "out of memory");
	s->n_conns = n_conns;
	s->n_workers = n;
	for (int i = 0; i < n_conns; i++) {
		s->conns[i].srv = s;
		pthread_mutex_init(&s->conns[i].mu, NULL);
	}
	for (int i = 0; i < n_conns; i++) {
		struct conn *c = &s->conns[i];
		if ((rv = worker_res_init(&c->w, st, opt, s->pub, s->scrub,
		    e)) != MR_OK)
			return rv;
		if ((err = nng_ctx_open(&c->ctx, s->sock)) != 0 ||
		    (err = nng_aio_alloc(&c->aio, conn_cb, c)) != 0)
			return mr_fail(e, MR_INTERNAL, "opening a context: %s",
			    nng_strerror(err));
	}
	for (int i = 0; i < n; i++) {
		struct worker *wk = &s->workers[i];
		wk->srv = s;
		if ((rv = worker_res_init(&wk->w, st, opt, s->pub, s->scrub,
		    e)) != MR_OK)
			return rv;
		if ((err = nng_aio_alloc(&wk->aio, NULL, NULL)) != 0)
			return mr_fail(e, MR_INTERNAL, "allocating an aio: %s",
			    nng_strerror(err));
		if (pthread_create(&wk->thread, NULL, worker_main, wk) != 0)
			return mr_fail(e, MR_RESOURCE_EXHAUSTED,
			    "cannot start worker %d", i);
		wk->started = true;
	}
	s->n_live = n_conns;
	for (int i = 0; i < n_conns; i++)
		conn_recv(&s->conns[i]);
	return MR_OK;
}

mr_status
svc_server_start(svc_server **out, store *st, const svc_options *opt,
    mr_err *e)
{
	int n = opt->workers > 0 ? opt->workers : SVC_WORKERS_DEFAULT;
	svc_server *s;
	mr_status rv;
	int err;

	if (n > SVC_WORKERS_MAX)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "%d workers; the limit is %d", n, SVC_WORKERS_MAX);
	if (opt->n_urls == 0)
		return mr_fail(e, MR_INVALID_ARGUMENT, "no address to listen on");
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return mr_fail(e, MR_RESOURCE_EXHAUSTED, "out of memory");
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->work_cv, NULL);
	pthread_cond_init(&s->done_cv, NULL);
	if ((rv = open_tls(s, opt, e)) != MR_OK)
		goto err_alloc;
	if ((err = nng_rep0_open(&s->sock)) != 0) {
		rv = mr_fail(e, MR_INTERNAL, "opening the socket: %s",
		    nng_strerror(err));
		goto err_tls;
	}
	if ((err = nng_socket_set_size(s->sock, NNG_OPT_RECVMAXSZ,
		 MR_WIRE_MAX)) != 0) {
		rv = mr_fail(e, MR_INTERNAL, "setting the receive limit: %s",
		    nng_strerror(err));
		goto err_socket;
	}

	if ((rv = svc_guard_start(&s->guard, s->sock,
		 opt->max_connections > 0 ? opt->max_connections
					  : SVC_CONNS_DEFAULT,
		 opt->idle_timeout_ms == 0 ? SVC_IDLE_MS_DEFAULT
		     : opt->idle_timeout_ms < 0 ? 0
						 : opt->idle_timeout_ms,
		 e)) != MR_OK)
		goto err_socket;
	if ((rv = open_publisher(s, st, opt, e)) != MR_OK)
		goto err_socket;
	svc_publisher_doorbell(s->pub, !opt->anonymous_read);
	if (opt->scrub_rate_mib > 0 &&
	    (rv = svc_scrubber_start(&s->scrub, st, opt->scrub_rate_mib, e)) !=
		MR_OK)
		goto err_socket;

	/* Contexts receive before the listeners start, so that the first
	 * request finds one. */
	if ((rv = start_serving(s, st, opt, n, e)) != MR_OK)
		goto err_serving;

	s->listeners = calloc(opt->n_urls, sizeof(*s->listeners));
	if (s->listeners == NULL) {
		rv = mr_fail(e, MR_RESOURCE_EXHAUSTED, "out of memory");
		goto err_serving;
	}
	for (size_t i = 0; i < opt->n_urls; i++) {
		err = mr_tls_listen(s->sock, opt->urls[i], s->tls,
		    &s->listeners[i]);
		if (err != 0) {
			rv = mr_fail(e, err == NNG_EADDRINUSE ? MR_UNAVAILABLE
							      : MR_INVALID_ARGUMENT,
			    "cannot listen on %s: %s", opt->urls[i],
			    nng_strerror(err));
			goto err_listeners;
		}
		s->n_listeners++;
	}
	*out = s;
	return MR_OK;

err_listeners:
	for (size_t i = 0; i < s->n_listeners; i++)
		nng_listener_close(s->listeners[i]);
	free(s->listeners);
err_serving:
	stop_serving(s);
err_socket:
	svc_scrubber_stop(s->scrub);
	svc_publisher_close(s->pub);
	nng_close(s->sock);
	svc_guard_stop(s->guard);
err_tls:
	if (s->tls != NULL)
		nng_tls_config_free(s->tls);
err_alloc:
	pthread_cond_destroy(&s->done_cv);
	pthread_cond_destroy(&s->work_cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
	return rv;
}

void
svc_server_stop(svc_server *s)
{
	if (s == NULL)
		return;
	/* Listeners stay open until the contexts are done: closing a
	 * listener closes the connections it accepted, and with them the
	 * replies still to be sent. */
	stop_serving(s);
	svc_scrubber_stop(s->scrub);
	nng_msleep(SVC_DRAIN_MS);
	nng_close(s->sock);
	svc_guard_stop(s->guard);
	svc_publisher_close(s->pub);
	if (s->tls != NULL)
		nng_tls_config_free(s->tls);
	pthread_cond_destroy(&s->done_cv);
	pthread_cond_destroy(&s->work_cv);
	pthread_mutex_destroy(&s->mu);
	free(s->listeners);
	free(s);
}

bool
svc_url_plain_off_host(const char *url)
{
	static const char *const local[] = { "127.", "localhost:", "[::1]:" };
	const char *host;

	if (strncmp(url, "tcp://", 6) != 0 && strncmp(url, "tcp4://", 7) != 0 &&
	    strncmp(url, "tcp6://", 7) != 0)
		return false; /* ipc, inproc: this machine; tls+tcp: sealed */
	host = strstr(url, "://") + 3;
	for (size_t i = 0; i < sizeof(local) / sizeof(local[0]); i++)
		if (strncmp(host, local[i], strlen(local[i])) == 0)
			return false;
	return true;
}

svc_publisher *
svc_server_publisher(svc_server *s)
{
	return s->pub;
}
