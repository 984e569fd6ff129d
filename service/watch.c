/*
 * watch.c - the Watch service: where the change feed is published, and
 * the stored events a subscriber missed.
 *
 * Publishing itself is publish.c's (the transport's); these handlers only
 * read. WatchSince reads the registry's revision before it scans, so that
 * every event up to that revision is visible to the scan: a caller that
 * reads the last page knows it holds every matching event up to
 * current_revision, which is how a subscriber to one model learns that a
 * heartbeat's revision was about other models.
 */
#include <string.h>

#include "svc.h"
#include "watch.pb-c.h"

static mr_status
info_h(svc_call *c, const ProtobufCMessage *reqm, ProtobufCMessage *respm)
{
	Modelreg__V1__InfoResponse *resp = (void *)respm;
	const char *const *urls = NULL;

	(void)reqm;
	resp->revision = store_revision(c->st);
	resp->heartbeat_ms = SVC_HEARTBEAT_MS;
	if (c->w->pub != NULL) {
		resp->n_publish_urls = svc_publisher_urls(c->w->pub, &urls);
		/* The publisher outlives every request it serves. */
		resp->publish_urls = (char **)urls;
	}
	return MR_OK;
}

static mr_status
watch_since_h(svc_call *c, const ProtobufCMessage *reqm,
    ProtobufCMessage *respm)
{
	const Modelreg__V1__WatchSinceRequest *rq = (const void *)reqm;
	Modelreg__V1__WatchSinceResponse *resp = (void *)respm;
	uint64_t current = store_revision(c->st);
	mr_status rv;

	if (rq->after_revision > current)
		return mr_fail(&c->err, MR_FAILED_PRECONDITION,
		    "revision %llu is ahead of the registry's (%llu): was the "
		    "registry restored from an older backup?",
		    (unsigned long long)rq->after_revision,
		    (unsigned long long)current);
	if ((rv = svc_event_page(c, rq->name[0] != '\0' ? rq->name : NULL,
		 rq->after_revision, rq->page_size, &resp->events,
		 &resp->n_events, &resp->more, &resp->last_revision)) != MR_OK)
		return rv;
	/* Events committed after `current` may be in the page: the caller
	 * is complete up to the later of the two. */
	resp->current_revision =
	    resp->last_revision > current ? resp->last_revision : current;
	return MR_OK;
}

#define METHOD(meth, req, resp, fn)                                        \
	{                                                                  \
		.name = "/modelreg.v1.Watch/" meth,                        \
		.request = &modelreg__v1__##req##__descriptor,             \
		.response = &modelreg__v1__##resp##__descriptor,           \
		.handler = fn, .mutates = false,                           \
	}

const svc_method svc_watch_methods[] = {
	METHOD("Info", info_request, info_response, info_h),
	METHOD("WatchSince", watch_since_request, watch_since_response,
	    watch_since_h),
};
const size_t svc_watch_method_count =
    sizeof(svc_watch_methods) / sizeof(svc_watch_methods[0]);
