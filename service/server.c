/*
 * server.c - the transport: one nng REP0 socket, N workers.
 *
 * Each worker owns an nng context and an aio, and loops: receive a
 * request on its context, dispatch it, send the reply. N workers means N
 * requests in flight at once; nng's REP0 contexts route each reply to the
 * pipe its request came from.
 *
 * Workers are threads of our own that wait on their aio, rather than
 * handlers running inside nng's aio callbacks. Handlers block: a mutation
 * waits for the writer lock and a synced WAL write, a chunk read may wait
 * for the disk. nng runs callbacks on a small shared task pool (twice the
 * CPU count) that also completes socket I/O, so blocking there would stall
 * every connection behind one fsync.
 *
 * Committed events go out on a second socket, PUB0 (publish.c), opened
 * before the workers so that no mutation commits unpublished.
 *
 * The receive size limit is set on the socket before any listener starts,
 * since nng 1.5.2's default is unlimited: a peer could announce 4 GiB.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/supplemental/util/platform.h>

#include "svc.h"

/* How often an idle worker looks at the stop flag. */
#define SVC_POLL_MS 100
/* A stopping server answers what has arrived for at most this long. */
#define SVC_STOP_DRAIN_MS 5000
/* A reply that cannot be queued within this time is dropped. */
#define SVC_SEND_TIMEOUT_MS 10000
/*
 * nng completes a REP send once the reply is queued on its pipe, and
 * closing the socket may abort what is still queued there. nng 1.5.2 has
 * no linger option, so a stopping server waits this long after its workers
 * are done for the last replies to reach the kernel.
 */
#define SVC_DRAIN_MS 200

struct worker {
	svc_server *srv;
	svc_worker w;
	nng_ctx ctx;
	nng_aio *aio;
	pthread_t thread;
	bool started;
};

struct svc_server {
	nng_socket sock;
	nng_listener *listeners;
	size_t n_listeners;
	struct worker *workers;
	int n_workers;
	svc_publisher *pub; /* the change feed */
	atomic_bool stopping;
	uint64_t stop_deadline_ns; /* set before `stopping` */
};

static void *
reply_alloc(void *arg, size_t len)
{
	nng_msg **out = arg;

	if (nng_msg_alloc(out, len) != 0)
		return NULL;
	return nng_msg_body(*out);
}

static void
serve_one(struct worker *wk, nng_msg *req)
{
	nng_msg *rep = NULL;
	svc_reply reply = { .alloc = reply_alloc, .arg = &rep };

	if (svc_dispatch(&wk->w, nng_msg_body(req), nng_msg_len(req),
		&reply) != 0) {
		/* No memory for a reply: the client's request times out and
		 * nng's REQ resends it. */
		if (rep != NULL)
			nng_msg_free(rep);
		nng_msg_free(req);
		return;
	}
	nng_msg_free(req);
	nng_aio_set_timeout(wk->aio, SVC_SEND_TIMEOUT_MS);
	nng_aio_set_msg(wk->aio, rep);
	nng_ctx_send(wk->ctx, wk->aio);
	nng_aio_wait(wk->aio);
	if (nng_aio_result(wk->aio) != 0)
		nng_msg_free(rep); /* the peer went away */
}

/*
 * Serves until stopped. A stopping worker goes on answering requests that
 * have already arrived, and leaves when none came for SVC_POLL_MS or the
 * stop deadline passed: a request received is a request answered.
 */
static void *
worker_main(void *arg)
{
	struct worker *wk = arg;
	svc_server *srv = wk->srv;

	for (;;) {
		bool stopping = atomic_load(&srv->stopping);
		int rv;

		if (stopping && mr_mono_ns() > srv->stop_deadline_ns)
			break;
		nng_aio_set_timeout(wk->aio, SVC_POLL_MS);
		nng_ctx_recv(wk->ctx, wk->aio);
		nng_aio_wait(wk->aio);
		rv = nng_aio_result(wk->aio);
		if (rv == NNG_ETIMEDOUT || rv == NNG_ECANCELED) {
			if (stopping)
				break;
			continue;
		}
		if (rv != 0)
			break; /* NNG_ECLOSED: the socket is gone */
		serve_one(wk, nng_aio_get_msg(wk->aio));
	}
	return NULL;
}

static void
stop_workers(svc_server *s)
{
	s->stop_deadline_ns = mr_mono_ns() + SVC_STOP_DRAIN_MS * 1000000ull;
	atomic_store(&s->stopping, true);
	for (int i = 0; i < s->n_workers; i++) {
		struct worker *wk = &s->workers[i];
		if (wk->started)
			pthread_join(wk->thread, NULL);
		if (wk->aio != NULL)
			nng_aio_free(wk->aio);
		nng_ctx_close(wk->ctx);
		svc_worker_fini(&wk->w);
	}
	free(s->workers);
	s->workers = NULL;
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
		    opt->n_publish_urls, false, e);
	if ((rv = svc_publish_url_default(opt->urls[0], derived,
		 sizeof(derived), e)) != MR_OK)
		return rv;
	return svc_publisher_open(&s->pub, st, urls, 1, true, e);
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
	if ((err = nng_rep0_open(&s->sock)) != 0) {
		free(s);
		return mr_fail(e, MR_INTERNAL, "opening the socket: %s",
		    nng_strerror(err));
	}
	if ((err = nng_socket_set_size(s->sock, NNG_OPT_RECVMAXSZ,
		 MR_WIRE_MAX)) != 0) {
		rv = mr_fail(e, MR_INTERNAL, "setting the receive limit: %s",
		    nng_strerror(err));
		goto err_socket;
	}

	if ((rv = open_publisher(s, st, opt, e)) != MR_OK)
		goto err_socket;

	s->workers = calloc((size_t)n, sizeof(*s->workers));
	s->n_workers = n;
	if (s->workers == NULL) {
		rv = mr_fail(e, MR_RESOURCE_EXHAUSTED, "out of memory");
		goto err_socket;
	}
	/* Workers exist before the listeners so that the first request
	 * finds someone to take it. */
	for (int i = 0; i < n; i++) {
		struct worker *wk = &s->workers[i];
		wk->srv = s;
		if ((rv = svc_worker_init(&wk->w, st, e)) != MR_OK)
			goto err_workers;
		if (opt->environment != NULL)
			wk->w.environment = opt->environment;
		wk->w.pub = s->pub;
		if ((err = nng_ctx_open(&wk->ctx, s->sock)) != 0 ||
		    (err = nng_aio_alloc(&wk->aio, NULL, NULL)) != 0) {
			rv = mr_fail(e, MR_INTERNAL, "opening a context: %s",
			    nng_strerror(err));
			goto err_workers;
		}
		if (pthread_create(&wk->thread, NULL, worker_main, wk) != 0) {
			rv = mr_fail(e, MR_RESOURCE_EXHAUSTED,
			    "cannot start worker %d", i);
			goto err_workers;
		}
		wk->started = true;
	}

	s->listeners = calloc(opt->n_urls, sizeof(*s->listeners));
	if (s->listeners == NULL) {
		rv = mr_fail(e, MR_RESOURCE_EXHAUSTED, "out of memory");
		goto err_workers;
	}
	for (size_t i = 0; i < opt->n_urls; i++) {
		err = nng_listen(s->sock, opt->urls[i], &s->listeners[i], 0);
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
err_workers:
	stop_workers(s);
err_socket:
	svc_publisher_close(s->pub);
	nng_close(s->sock);
	free(s);
	return rv;
}

void
svc_server_stop(svc_server *s)
{
	if (s == NULL)
		return;
	/* Listeners stay open until the workers are done: closing a
	 * listener closes the connections it accepted, and with them the
	 * replies still to be sent. Workers take no new requests once the
	 * flag is set. */
	stop_workers(s);
	nng_msleep(SVC_DRAIN_MS);
	nng_close(s->sock);
	svc_publisher_close(s->pub);
	free(s->listeners);
	free(s);
}

svc_publisher *
svc_server_publisher(svc_server *s)
{
	return s->pub;
}
