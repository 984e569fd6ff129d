/*
 * publish.c - the change feed: one nng PUB0 socket and its heartbeat.
 *
 * Every committed event is published by the store's commit hook
 * (store_txn_on_commit), which runs after the synced write and before the
 * writer lock is released: so an event is never published before it is
 * durable, never for a commit that failed, and always in revision order,
 * however many workers write. PUB0 never blocks a sender (a subscriber
 * that does not keep up loses messages instead), so publishing under the
 * lock costs one message allocation and a queue push per subscriber.
 *
 * A message is the topic (the model name; "" for lineage events), 0x00,
 * and a packed Notification (proto/watch.proto). Its bytes are put
 * together here by hand around the Event the store already packed, rather
 * than unpacked and packed again.
 *
 * A heartbeat thread publishes the last published revision every
 * SVC_HEARTBEAT_MS on topic "\x01", so that a subscriber that lost the
 * last message before a quiet spell learns of it within a second. The
 * revision it sends is the publisher's own, set with the event's message
 * under one lock, so a heartbeat never overtakes the event it announces
 * nor follows a newer event with an older revision.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/pubsub0/pub.h>

#include "svc.h"
#include "tls.h"

struct svc_publisher {
	nng_socket sock;
	char *urls[SVC_PUBLISH_MAX]; /* as bound */
	size_t n_urls;
	/* Last revision handed to the socket. Under send_mu with the send,
	 * so that no heartbeat goes out after a newer event with an older
	 * revision (a subscriber would take it for a registry gone back). */
	uint64_t published;
	pthread_mutex_t send_mu;
	pthread_t heartbeat;
	bool heartbeat_started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stopping; /* under mu */
	bool doorbell; /* revisions only: see svc_publisher_doorbell */
};

/* Heartbeats' topic; model names start with a letter or digit. */
static const char heartbeat_topic[] = "\x01";

static size_t
put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;

	while (v >= 0x80) {
		p[n++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	p[n++] = (uint8_t)v;
	return n;
}

/*
 * Publishes topic, 0x00, Notification{event, model_prev_revision,
 * revision}. `event` may be NULL (a heartbeat). Failures (no memory) are
 * not reported: the next heartbeat tells subscribers what they missed.
 */
static void
publish(svc_publisher *p, const char *topic, const uint8_t *event,
    size_t event_len, uint64_t prev, uint64_t rev)
{
	size_t tlen = strlen(topic);
	uint8_t *b;
	nng_msg *m;
	size_t n;

	if (nng_msg_alloc(&m, tlen + 1 + event_len + 3 * 11) != 0)
		return;
	b = nng_msg_body(m);
	memcpy(b, topic, tlen + 1);
	n = tlen + 1;
	if (event != NULL) {
		b[n++] = (1 << 3) | 2; /* event, length-delimited */
		n += put_varint(b + n, event_len);
		memcpy(b + n, event, event_len);
		n += event_len;
	}
	if (prev != 0) {
		b[n++] = 2 << 3; /* model_prev_revision, varint */
		n += put_varint(b + n, prev);
	}
	if (rev != 0) {
		b[n++] = 3 << 3; /* revision, varint */
		n += put_varint(b + n, rev);
	}
	nng_msg_realloc(m, n); /* shrinks: cannot fail */
	if (nng_sendmsg(p->sock, m, NNG_FLAG_NONBLOCK) != 0)
		nng_msg_free(m);
}

void
svc_publisher_doorbell(svc_publisher *p, bool on)
{
	p->doorbell = on;
}

void
svc_publish_committed(void *arg, const store_committed *evs, size_t n)
{
	svc_publisher *p = arg;

	pthread_mutex_lock(&p->send_mu);
	for (size_t i = 0; i < n; i++) {
		if (!p->doorbell)
			publish(p, evs[i].model, evs[i].event,
			    evs[i].event_len, evs[i].model_prev_revision,
			    evs[i].revision);
		p->published = evs[i].revision;
	}
	/* A heartbeat now: subscribers read what changed from the log. */
	if (p->doorbell && n > 0)
		publish(p, heartbeat_topic, NULL, 0, 0, p->published);
	pthread_mutex_unlock(&p->send_mu);
}

static void *
heartbeat_main(void *arg)
{
	svc_publisher *p = arg;
	struct timespec ts;

	pthread_mutex_lock(&p->mu);
	while (!p->stopping) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += SVC_HEARTBEAT_MS / 1000;
		ts.tv_nsec += (long)(SVC_HEARTBEAT_MS % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&p->cv, &p->mu, &ts);
		if (p->stopping)
			break;
		pthread_mutex_unlock(&p->mu);
		pthread_mutex_lock(&p->send_mu);
		publish(p, heartbeat_topic, NULL, 0, 0, p->published);
		pthread_mutex_unlock(&p->send_mu);
		pthread_mutex_lock(&p->mu);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

/* tcp://, tcp4://, tcp6:// and their tls+ forms: URLs that end in
 * ":PORT". */
static bool
is_tcp(const char *url)
{
	return strncmp(url, "tcp://", 6) == 0 ||
	    strncmp(url, "tcp4://", 7) == 0 ||
	    strncmp(url, "tcp6://", 7) == 0 || mr_tls_url(url);
}

mr_status
svc_publish_url_default(const char *listen, char *out, size_t cap,
    mr_err *e)
{
	int n;

	if (is_tcp(listen)) {
		const char *colon = strrchr(listen, ':');
		char *end;
		long port = colon != NULL ? strtol(colon + 1, &end, 10) : -1;

		if (colon == NULL || colon[1] == '\0' || *end != '\0' ||
		    port < 0 || port >= 65535 || colon[-1] == '/')
			return mr_fail(e, MR_INVALID_ARGUMENT,
			    "cannot derive a publish URL from %s; give one",
			    listen);
		n = snprintf(out, cap, "%.*s:%ld", (int)(colon - listen),
		    listen, port == 0 ? 0 : port + 1);
	} else if (strncmp(listen, "ipc://", 6) == 0 ||
	    strncmp(listen, "inproc://", 9) == 0) {
		n = snprintf(out, cap, "%s.pub", listen);
	} else {
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "cannot derive a publish URL from %s; give one", listen);
	}
	if (n < 0 || (size_t)n >= cap)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "the publish URL derived from %s is too long", listen);
	return MR_OK;
}

/* Listens on `url`; *bound is the URL as bound (malloc'd). */
static int
listen_one(svc_publisher *p, const char *url, bool derived,
    nng_tls_config *tls, char **bound)
{
	char buf[SVC_URL_MAX + 16];
	nng_listener l;
	int port, err;

	err = mr_tls_listen(p->sock, url, tls, &l);
	if (err == NNG_EADDRINUSE && derived && is_tcp(url)) {
		/* A derived port that is taken: let the system choose one;
		 * clients learn it from Info. */
		snprintf(buf, sizeof(buf), "%.*s:0",
		    (int)(strrchr(url, ':') - url), url);
		err = mr_tls_listen(p->sock, buf, tls, &l);
	}
	if (err != 0)
		return err;
	if (is_tcp(url) &&
	    nng_listener_get_int(l, NNG_OPT_TCP_BOUND_PORT, &port) == 0)
		snprintf(buf, sizeof(buf), "%.*s:%d",
		    (int)(strrchr(url, ':') - url), url, port);
	else
		snprintf(buf, sizeof(buf), "%s", url);
	*bound = strdup(buf);
	return *bound == NULL ? NNG_ENOMEM : 0;
}

mr_status
svc_publisher_open(svc_publisher **out, store *st, const char *const *urls,
    size_t n, bool derived, nng_tls_config *tls, mr_err *e)
{
	svc_publisher *p;
	mr_status rv;
	int err;

	if (n == 0 || n > SVC_PUBLISH_MAX)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "%zu publish URLs; give 1 to %d", n, SVC_PUBLISH_MAX);
	for (size_t i = 0; i < n; i++)
		if (strlen(urls[i]) > SVC_URL_MAX)
			return mr_fail(e, MR_INVALID_ARGUMENT,
			    "publish URL %zu is longer than %d bytes", i + 1,
			    SVC_URL_MAX);
	if ((p = calloc(1, sizeof(*p))) == NULL)
		return mr_fail(e, MR_RESOURCE_EXHAUSTED, "out of memory");
	pthread_mutex_init(&p->mu, NULL);
	pthread_mutex_init(&p->send_mu, NULL);
	pthread_cond_init(&p->cv, NULL);
	p->published = store_revision(st);
	if ((err = nng_pub0_open(&p->sock)) != 0) {
		rv = mr_fail(e, MR_INTERNAL, "opening the PUB socket: %s",
		    nng_strerror(err));
		goto err_alloc;
	}
	nng_socket_set_int(p->sock, NNG_OPT_SENDBUF, SVC_PUB_QUEUE);
	for (size_t i = 0; i < n; i++) {
		err = listen_one(p, urls[i], derived, tls, &p->urls[i]);
		if (err != 0) {
			rv = mr_fail(e, err == NNG_EADDRINUSE
				? MR_UNAVAILABLE
				: MR_INVALID_ARGUMENT,
			    "cannot publish on %s: %s", urls[i],
			    nng_strerror(err));
			goto err_socket;
		}
		p->n_urls++;
	}
	if (pthread_create(&p->heartbeat, NULL, heartbeat_main, p) != 0) {
		rv = mr_fail(e, MR_RESOURCE_EXHAUSTED,
		    "cannot start the heartbeat thread");
		goto err_socket;
	}
	p->heartbeat_started = true;
	*out = p;
	return MR_OK;

err_socket:
	nng_close(p->sock);
err_alloc:
	for (size_t i = 0; i < p->n_urls; i++)
		free(p->urls[i]);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->send_mu);
	pthread_mutex_destroy(&p->mu);
	free(p);
	return rv;
}

void
svc_publisher_close(svc_publisher *p)
{
	if (p == NULL)
		return;
	if (p->heartbeat_started) {
		pthread_mutex_lock(&p->mu);
		p->stopping = true;
		pthread_cond_signal(&p->cv);
		pthread_mutex_unlock(&p->mu);
		pthread_join(p->heartbeat, NULL);
	}
	nng_close(p->sock);
	for (size_t i = 0; i < p->n_urls; i++)
		free(p->urls[i]);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->send_mu);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

size_t
svc_publisher_urls(const svc_publisher *p, const char *const **urls)
{
	*urls = (const char *const *)p->urls;
	return p->n_urls;
}
