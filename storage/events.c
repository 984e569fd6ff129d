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
#include <stdlib.h>
#include <string.h>

#include "storeint.h"

void
store_txn_on_commit(store_txn *t, store_commit_fn fn, void *arg)
{
	t->on_commit = fn;
	t->on_commit_arg = arg;
}

void
store_txn_free_committed(store_txn *t)
{
	for (size_t i = 0; i < t->n_committed; i++) {
		free((void *)t->committed[i].model);
		free((void *)t->committed[i].event);
	}
	free(t->committed);
	t->committed = NULL;
	t->n_committed = t->cap_committed = 0;
}

static int
last_history_key(void *arg, const uint8_t *k, size_t klen, const uint8_t *v,
    size_t vlen)
{
	uint64_t *rev = arg;

	(void)v;
	(void)vlen;
	if (klen >= 8)
		*rev = keys_get_u64(k + klen - 8);
	return 1;
}

/*
 * The revision of the last event of `model` before this one: staged
 * earlier in `t`, or else the last key of its history, one seek under the
 * writer lock (nobody can add one meanwhile).
 */
static mr_status
model_prev_revision(store_txn *t, const char *model, uint64_t *out, mr_err *e)
{
	uint8_t prefix[KEYS_MAX];
	store_range r = { .cf = KEYS_CF_HISTORY, .prefix = prefix,
		.descending = true };

	*out = 0;
	for (size_t i = t->n_committed; i > 0; i--)
		if (strcmp(t->committed[i - 1].model, model) == 0) {
			*out = t->committed[i - 1].revision;
			return MR_OK;
		}
	r.plen = keys_history_prefix(prefix, model);
	return store_scan_range(t->s, &r, last_history_key, out,
	    "reading a model's last event", e);
}

/* Keeps a copy of `ev` for the commit hook. */
static mr_status
keep_committed(store_txn *t, const mr_pb_event *ev, mr_err *e)
{
	store_committed *c;
	uint64_t prev;
	mr_status rv;

	if ((rv = model_prev_revision(t, ev->model, &prev, e)) != MR_OK)
		return rv;
	if (t->n_committed == t->cap_committed) {
		size_t cap = t->cap_committed ? 2 * t->cap_committed : 4;
		c = realloc(t->committed, cap * sizeof(*c));
		if (c == NULL)
			return mr_fail(e, MR_RESOURCE_EXHAUSTED,
			    "out of memory");
		t->committed = c;
		t->cap_committed = cap;
	}
	c = &t->committed[t->n_committed];
	c->revision = ev->revision;
	c->model_prev_revision = prev;
	c->event_len = protobuf_c_message_get_packed_size(&ev->base);
	c->model = strdup(ev->model);
	c->event = malloc(c->event_len ? c->event_len : 1);
	if (c->model == NULL || c->event == NULL) {
		free((void *)c->model);
		free((void *)c->event);
		return mr_fail(e, MR_RESOURCE_EXHAUSTED, "out of memory");
	}
	protobuf_c_message_pack(&ev->base, (uint8_t *)c->event);
	t->n_committed++;
	return MR_OK;
}

uint64_t
store_txn_append_event(store_txn *t, mr_pb_event *ev, mr_err *e)
{
	uint8_t key[KEYS_MAX];
	size_t n;

	ev->revision = t->next_rev;
	if (t->on_commit != NULL && keep_committed(t, ev, e) != MR_OK)
		return 0;
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
