/*
 * scrub.c - mr_scrub: one slice of the registry's chunk check
 * (Scrub/Run), converted into plain C.
 */
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "scrub.pb-c.h"

#define M_SCRUB_RUN "/modelreg.v1.Scrub/Run"

void
mr_scrub_result_free(mr_scrub_result *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->n_damaged; i++) {
		free(r->damaged[i].reason);
		free(r->damaged[i].detail);
	}
	free(r->damaged);
	free(r);
}

static mr_status
convert(mr_scrub_result **out, const Modelreg__V1__RunScrubResponse *pb,
    mr_err *e)
{
	mr_scrub_result *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return mr_fail(e, MR_RESOURCE_EXHAUSTED, "out of memory");
	r->chunks_checked = pb->chunks_checked;
	r->bytes_checked = pb->bytes_checked;
	r->done = pb->done;
	/* A status-only reply (nothing checked) has no next digest. */
	if (!pb->done && pb->chunks_checked > 0 &&
	    pb->next.len != MR_DIGEST_LEN) {
		mr_scrub_result_free(r);
		return mr_fail(e, MR_INTERNAL, "the registry's scrub reply "
		    "has a %zu-byte next digest", pb->next.len);
	}
	if (pb->next.len == MR_DIGEST_LEN)
		memcpy(r->next, pb->next.data, MR_DIGEST_LEN);
	if (pb->n_damaged > 0 &&
	    (r->damaged = calloc(pb->n_damaged, sizeof(*r->damaged))) ==
		NULL) {
		mr_scrub_result_free(r);
		return mr_fail(e, MR_RESOURCE_EXHAUSTED, "out of memory");
	}
	for (size_t i = 0; i < pb->n_damaged; i++) {
		const Modelreg__V1__DamagedChunk *d = pb->damaged[i];
		mr_damaged_chunk *o = &r->damaged[i];

		r->n_damaged++;
		if (d->digest.len == MR_DIGEST_LEN)
			memcpy(o->digest, d->digest.data, MR_DIGEST_LEN);
		o->reason = strdup(d->reason);
		o->detail = strdup(d->detail);
		if (o->reason == NULL || o->detail == NULL) {
			mr_scrub_result_free(r);
			return mr_fail(e, MR_RESOURCE_EXHAUSTED,
			    "out of memory");
		}
	}
	if (pb->background != NULL) {
		const Modelreg__V1__ScrubStatus *b = pb->background;
		r->background.enabled = b->enabled;
		r->background.rate_bytes_per_s = b->rate_bytes_per_s;
		r->background.passes = b->passes;
		r->background.chunks_checked = b->chunks_checked;
		r->background.bytes_checked = b->bytes_checked;
		r->background.damaged = b->damaged;
		r->background.last_pass_damaged = b->last_pass_damaged;
	}
	*out = r;
	return MR_OK;
}

mr_status
mr_scrub(mr_client *c, const uint8_t *start, uint32_t max_chunks,
    uint64_t max_bytes, mr_scrub_result **out)
{
	Modelreg__V1__RunScrubRequest req = MODELREG__V1__RUN_SCRUB_REQUEST__INIT;
	Modelreg__V1__RunScrubResponse *resp;
	mr_status rv;

	if (c == NULL)
		return MR_INVALID_ARGUMENT;
	mr_err_clear(&c->err);
	if (out == NULL)
		return client_no_out(&c->err);
	if (start != NULL) {
		req.start.data = (uint8_t *)start;
		req.start.len = MR_DIGEST_LEN;
	}
	req.max_chunks = max_chunks;
	req.max_bytes = max_bytes;
	rv = client_call(c, M_SCRUB_RUN, &req.base, false,
	    &modelreg__v1__run_scrub_response__descriptor, &resp);
	if (rv != MR_OK)
		return rv;
	rv = convert(out, resp, &c->err);
	rpc_reply_free(&resp->base);
	return rv;
}
