/*
 * events.c - the ordered event log and each model's stage history.
 *
 * Every event is written twice in the same batch: under its revision in
 * the global log (what watchers replay: "events since revision N") and
 * under its model and revision in the history family (what "which version
 * was in production at time T" and a model's history read). Revisions are
 * handed out under the writer lock, so they are dense and increase
 * strictly in commit order.
 */
#include <string.h>

#include "storeint.h"

uint64_t
store_txn_append_event(store_txn *t, mr_pb_event *ev, mr_err *e)
{
	uint8_t key[KEYS_MAX];
	size_t n;

	ev->revision = t->next_rev;
	n = keys_event(key, ev->revision);
	if (store_txn_put_pb(t, KEYS_CF_EVENTS, key, n, &ev->base, e) != MR_OK)
		return 0;
	n = keys_history(key, ev->model, ev->revision);
	if (store_txn_put_pb(t, KEYS_CF_HISTORY, key, n, &ev->base, e) != MR_OK)
		return 0;
	t->last_rev = t->next_rev++;
	return ev->revision;
}

struct event_fwd {
	store_event_fn fn;
	void *arg;
};

static int
event_one(void *arg, ProtobufCMessage *m)
{
	struct event_fwd *f = arg;

	return f->fn(f->arg, (mr_pb_event *)m);
}

mr_status
store_scan_events(store *s, const char *name, uint64_t after,
    store_event_fn fn, void *arg, mr_err *e)
{
	struct event_fwd f = { fn, arg };
	uint8_t prefix[KEYS_MAX], start[KEYS_MAX];
	store_range r = { .start = start };

	if (after == UINT64_MAX)
		return MR_OK;
	if (name != NULL) {
		r.cf = KEYS_CF_HISTORY;
		r.prefix = prefix;
		r.plen = keys_history_prefix(prefix, name);
		r.slen = keys_history(start, name, after + 1);
	} else {
		r.cf = KEYS_CF_EVENTS;
		r.slen = keys_event(start, after + 1);
	}
	return store_scan_records(s, &r, &modelreg__v1__event__descriptor,
	    event_one, &f, e);
}
