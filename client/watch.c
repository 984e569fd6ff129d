/*
 * watch.c - a change feed that never skips a revision.
 *
 * A watch holds one number, `have`: it has returned or queued every
 * matching event up to that revision. Events come from two places. The
 * server's PUB socket (a SUB socket here, the second part of the client
 * that speaks nng, beside rpc.c) is fast but drops messages for a
 * subscriber that falls behind, and misses what was published while it
 * was reconnecting. The event log, read with Watch.WatchSince, is
 * complete. So a published event is returned only if it follows `have`
 * directly: its revision is have + 1 (watching every model), or its
 * model's previous revision is at most `have` (watching one model). Any
 * other event, or a heartbeat announcing a revision above `have`, starts
 * a catch-up: WatchSince(after = have) page by page, queued and returned
 * first; the last page says up to which revision the log was read, and
 * that becomes `have`. Published events at or below `have` are
 * duplicates and dropped.
 *
 * The SUB socket dials like the client's REQ socket (mr_tls_dial), so a
 * tls+tcp:// feed is verified with the client's CA and gets its client
 * certificate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nng/nng.h>
#include <nng/protocol/pubsub0/sub.h>
#include <nng/supplemental/util/platform.h>

#include "client.h"
#include "convert.h"
#include "tls.h"
#include "watch.h"
#include "watch.pb-c.h"

#define M_WATCH_INFO  "/modelreg.v1.Watch/Info"
#define M_WATCH_SINCE "/modelreg.v1.Watch/WatchSince"
/* Events asked for per catch-up call. */
#define WATCH_PAGE 1000
/* A dropped SUB connection is dialed again after 50 ms, backing off to
 * at most 500 ms: a restarted server is followed within a heartbeat. */
#define WATCH_RECONN_MIN_MS 50
#define WATCH_RECONN_MAX_MS 500
/* Pause between catch-up attempts while the server does not answer. */
#define WATCH_RETRY_MS 100

struct mr_watch {
	mr_client *c;
	char *name; /* NULL: every model */
	uint64_t have;
	bool catch_up;
	nng_socket sub;
	char *url;
	mr_event_list *q; /* events to return first, from q->items[qi] */
	size_t qi;
	watch_stats stats;
};

void
mr_event_free(mr_event *ev)
{
	mr_event_list l = { .items = ev, .count = 1 };
	mr_event_list *lp;

	if (ev == NULL)
		return;
	/* mr_event_list_free frees the list itself: give it a copy. */
	if ((lp = malloc(sizeof(*lp))) == NULL) {
		free(ev->model), free(ev->version), free(ev->actor);
		free(ev->reason), free(ev->node), free(ev->alias);
		free(ev);
		return;
	}
	*lp = l;
	mr_event_list_free(lp);
}

/* Converts pb events into an mr_event_list, through cv_event_list_new. */
static mr_status
events_new(mr_event_list **out, Modelreg__V1__Event **evs, size_t n,
    mr_err *e)
{
	Modelreg__V1__ListEventsResponse r =
	    MODELREG__V1__LIST_EVENTS_RESPONSE__INIT;

	r.events = evs;
	r.n_events = n;
	return cv_event_list_new(out, &r, e);
}

/* One WatchSince page after `have`, queued. */
static mr_status
fetch_page(mr_watch *w)
{
	Modelreg__V1__WatchSinceRequest req =
	    MODELREG__V1__WATCH_SINCE_REQUEST__INIT;
	Modelreg__V1__WatchSinceResponse *resp;
	mr_status rv;

	req.name = client_str(w->name);
	req.after_revision = w->have;
	req.page_size = WATCH_PAGE;
	rv = client_call(w->c, M_WATCH_SINCE, &req.base, false,
	    &modelreg__v1__watch_since_response__descriptor, &resp);
	if (rv != MR_OK)
		return rv;
	w->stats.catch_ups++;
	if (resp->n_events > 0) {
		rv = events_new(&w->q, resp->events, resp->n_events,
		    &w->c->err);
		if (rv != MR_OK)
			goto done;
		w->qi = 0;
		w->stats.from_log += resp->n_events;
		w->have = resp->last_revision;
	}
	if (!resp->more) {
		if (resp->current_revision > w->have)
			w->have = resp->current_revision;
		w->catch_up = false;
	}
done:
	rpc_reply_free(&resp->base);
	return rv;
}

/* tcp://, tls+tcp:// and their 4 and 6 forms. */
static bool
is_tcp(const char *url)
{
	return strncmp(url, "tcp", 3) == 0 || mr_tls_url(url);
}

/* [tls+]tcp://HOST:PORT with HOST a wildcard: the host of the client's
 * URL (which a TLS client also checks the certificate against). */
static char *
pub_url(const char *pub, const char *own)
{
	static const char *const wild[] = { "0.0.0.0", "*", "", "[::]" };
	const char *h = strstr(pub, "://"), *colon = strrchr(pub, ':');
	const char *oh = strstr(own, "://"), *ocolon = strrchr(own, ':');
	char *out;

	if (!is_tcp(pub) || !is_tcp(own) ||
	    h == NULL || oh == NULL || colon <= h + 2 || ocolon <= oh + 2)
		return strdup(pub);
	h += 3;
	oh += 3;
	for (size_t i = 0; i < sizeof(wild) / sizeof(wild[0]); i++) {
		if ((size_t)(colon - h) != strlen(wild[i]) ||
		    strncmp(h, wild[i], strlen(wild[i])) != 0)
			continue;
		if ((out = malloc(strlen(pub) + strlen(own) + 1)) == NULL)
			return NULL;
		sprintf(out, "%.*s%.*s%s", (int)(h - pub), pub,
		    (int)(ocolon - oh), oh, colon);
		return out;
	}
	return strdup(pub);
}

/* Asks Info for the PUB URLs and picks one of the client's scheme. */
static mr_status
find_feed(mr_watch *w)
{
	Modelreg__V1__InfoRequest req = MODELREG__V1__INFO_REQUEST__INIT;
	Modelreg__V1__InfoResponse *resp;
	const char *own = rpc_url(w->c->rpc), *pick = NULL;
	size_t slen = strcspn(own, ":");
	mr_status rv;

	rv = client_call(w->c, M_WATCH_INFO, &req.base, false,
	    &modelreg__v1__info_response__descriptor, &resp);
	if (rv != MR_OK)
		return rv;
	for (size_t i = 0; i < resp->n_publish_urls && pick == NULL; i++)
		if (strncmp(resp->publish_urls[i], own, slen) == 0)
			pick = resp->publish_urls[i];
	if (w->have == MR_WATCH_NOW)
		w->have = resp->revision;
	if (pick == NULL && resp->n_publish_urls > 0)
		pick = resp->publish_urls[0];
	if (pick == NULL)
		rv = mr_fail(&w->c->err, MR_UNIMPLEMENTED,
		    "the registry at %s publishes no change feed", own);
	else if ((w->url = pub_url(pick, own)) == NULL)
		rv = mr_fail(&w->c->err, MR_RESOURCE_EXHAUSTED,
		    "out of memory");
	rpc_reply_free(&resp->base);
	return rv;
}

static mr_status
open_sub(mr_watch *w)
{
	static const char heartbeat[] = "\x01";
	const mr_tls_files *tls = rpc_tls(w->c->rpc);
	char topic[MR_NAME_MAX + 2];
	mr_status rv;
	size_t tlen;
	int err;

	if ((err = nng_sub0_open(&w->sub)) != 0)
		return mr_fail(&w->c->err, MR_INTERNAL,
		    "opening a SUB socket: %s", nng_strerror(err));
	if (w->name != NULL) {
		tlen = strlen(w->name) + 1; /* with its 0x00 */
		memcpy(topic, w->name, tlen);
		err = nng_socket_set(w->sub, NNG_OPT_SUB_SUBSCRIBE, topic,
		    tlen);
		if (err == 0)
			err = nng_socket_set(w->sub, NNG_OPT_SUB_SUBSCRIBE,
			    heartbeat, sizeof(heartbeat));
	} else {
		err = nng_socket_set(w->sub, NNG_OPT_SUB_SUBSCRIBE, "", 0);
	}
	if (err == 0)
		err = nng_socket_set_size(w->sub, NNG_OPT_RECVMAXSZ,
		    MR_WIRE_MAX);
	if (err == 0)
		err = nng_socket_set_ms(w->sub, NNG_OPT_RECONNMINT,
		    WATCH_RECONN_MIN_MS);
	if (err == 0)
		err = nng_socket_set_ms(w->sub, NNG_OPT_RECONNMAXT,
		    WATCH_RECONN_MAX_MS);
	if (err != 0)
		return mr_fail(&w->c->err, MR_INTERNAL,
		    "setting up the SUB socket: %s", nng_strerror(err));
	/* Connected before the first catch-up when the server is up; if it
	 * is not, dialed again in the background until it is back. */
	rv = mr_tls_dial(w->sub, w->url, tls, 0, NULL, &w->c->err);
	if (rv == MR_UNAVAILABLE)
		rv = mr_tls_dial(w->sub, w->url, tls, NNG_FLAG_NONBLOCK, NULL,
		    &w->c->err);
	if (rv == MR_OK)
		mr_err_clear(&w->c->err);
	return rv;
}

mr_status
mr_watch_open(mr_client *c, const char *name, uint64_t after_revision,
    mr_watch **out)
{
	mr_watch *w;
	mr_status rv;

	if (c == NULL)
		return MR_INVALID_ARGUMENT;
	mr_err_clear(&c->err);
	if (out == NULL)
		return client_no_out(&c->err);
	if (name != NULL && name[0] == '\0')
		name = NULL;
	if (name != NULL && (rv = mr_check_name(name, &c->err)) != MR_OK)
		return rv;
	if ((w = calloc(1, sizeof(*w))) == NULL)
		return mr_fail(&c->err, MR_RESOURCE_EXHAUSTED, "out of memory");
	w->c = c;
	w->have = after_revision;
	w->catch_up = true;
	if (name != NULL && (w->name = strdup(name)) == NULL) {
		free(w);
		return mr_fail(&c->err, MR_RESOURCE_EXHAUSTED, "out of memory");
	}
	/* Subscribe first, then read the log: whatever is published in
	 * between arrives twice rather than not at all. */
	if ((rv = find_feed(w)) != MR_OK || (rv = open_sub(w)) != MR_OK ||
	    (rv = fetch_page(w)) != MR_OK) {
		mr_err keep = c->err;
		mr_watch_close(w);
		c->err = keep;
		return rv;
	}
	*out = w;
	return MR_OK;
}

void
mr_watch_close(mr_watch *w)
{
	if (w == NULL)
		return;
	if (nng_socket_id(w->sub) > 0)
		nng_close(w->sub);
	mr_event_list_free(w->q);
	free(w->url);
	free(w->name);
	free(w);
}

uint64_t
mr_watch_revision(const mr_watch *w)
{
	return w != NULL ? w->have : 0;
}

/* Hands out the next queued event; false if the queue is empty. */
static bool
pop(mr_watch *w, mr_event **out)
{
	mr_event *ev;

	if (w->q == NULL)
		return false;
	if (w->qi == w->q->count) {
		mr_event_list_free(w->q);
		w->q = NULL;
		return false;
	}
	if ((ev = malloc(sizeof(*ev))) == NULL)
		return false;
	*ev = w->q->items[w->qi];
	memset(&w->q->items[w->qi], 0, sizeof(*ev));
	w->qi++;
	*out = ev;
	return true;
}

/*
 * Takes one published message: queues its event if it follows `have`,
 * or starts a catch-up if it shows a gap. Damaged messages are dropped:
 * the next heartbeat shows what they held.
 */
static void
take(mr_watch *w, nng_msg *m)
{
	const uint8_t *b = nng_msg_body(m), *nul;
	size_t len = nng_msg_len(m);
	Modelreg__V1__Notification *n;
	uint64_t rev, prev;

	if ((nul = memchr(b, 0, len)) == NULL)
		return;
	n = modelreg__v1__notification__unpack(NULL,
	    len - (size_t)(nul - b) - 1, nul + 1);
	if (n == NULL)
		return;
	if (n->event == NULL) {
		w->stats.heartbeats++;
		/* Above: we missed something. Below: the registry went back
		 * (restored from a backup), which the catch-up reports. */
		if (n->revision != w->have)
			w->catch_up = true;
		goto done;
	}
	rev = n->event->revision;
	if (rev <= w->have)
		goto done; /* had it */
	if (w->name != NULL && strcmp(n->event->model, w->name) != 0)
		goto done; /* another model's, sharing our prefix */
	prev = w->name != NULL ? n->model_prev_revision : rev - 1;
	if (prev > w->have) {
		w->catch_up = true;
		goto done;
	}
	if (events_new(&w->q, &n->event, 1, &w->c->err) == MR_OK) {
		w->qi = 0;
		w->have = rev;
		w->stats.from_feed++;
	} else {
		w->catch_up = true; /* no memory now: from the log later */
	}
done:
	modelreg__v1__notification__free_unpacked(n, NULL);
}

mr_status
mr_watch_next(mr_watch *w, int timeout_ms, mr_event **out)
{
	uint64_t deadline;
	mr_status rv;

	if (w == NULL)
		return MR_INVALID_ARGUMENT;
	mr_err_clear(&w->c->err);
	if (out == NULL)
		return client_no_out(&w->c->err);
	deadline = timeout_ms < 0
	    ? UINT64_MAX
	    : mr_mono_ns() + (uint64_t)timeout_ms * 1000000u;
	for (;;) {
		uint64_t now;
		nng_msg *m;
		int err;

		if (pop(w, out))
			return MR_OK;
		if (w->catch_up) {
			rv = fetch_page(w);
			if (rv == MR_OK)
				continue;
			if (rv == MR_FAILED_PRECONDITION ||
			    mr_mono_ns() >= deadline)
				return rv;
			nng_msleep(WATCH_RETRY_MS);
			continue;
		}
		now = mr_mono_ns();
		if (now >= deadline)
			err = nng_recvmsg(w->sub, &m, NNG_FLAG_NONBLOCK);
		else {
			uint64_t left = (deadline - now) / 1000000u;
			nng_socket_set_ms(w->sub, NNG_OPT_RECVTIMEO,
			    deadline == UINT64_MAX ? NNG_DURATION_INFINITE
			    : left > 0		   ? (nng_duration)left
						   : 1);
			err = nng_recvmsg(w->sub, &m, 0);
		}
		if (err == NNG_ETIMEDOUT || err == NNG_EAGAIN)
			return mr_fail(&w->c->err, MR_DEADLINE_EXCEEDED,
			    "no event within %d ms", timeout_ms);
		if (err != 0)
			return mr_fail(&w->c->err, MR_INTERNAL,
			    "receiving from %s: %s", w->url,
			    nng_strerror(err));
		take(w, m);
		nng_msg_free(m);
	}
}

void
watch_get_stats(const mr_watch *w, watch_stats *out)
{
	*out = w->stats;
}

mr_status
watch_set_recv_buffer(mr_watch *w, int msgs)
{
	int err = nng_socket_set_int(w->sub, NNG_OPT_RECVBUF, msgs);

	if (err != 0)
		return mr_fail(&w->c->err, MR_INVALID_ARGUMENT,
		    "receive buffer of %d messages: %s", msgs,
		    nng_strerror(err));
	return MR_OK;
}

const char *
watch_url(const mr_watch *w)
{
	return w->url;
}
