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

mr_status
store_scan_events(store *s, const char *name, uint64_t after,
    store_event_fn fn, void *arg, mr_err *e)
{
	uint8_t start[KEYS_MAX], end[KEYS_MAX];
	rocksdb_readoptions_t *ro = rocksdb_readoptions_create();
	rocksdb_iterator_t *it;
	size_t slen, elen;
	char *err = NULL;
	mr_status rv = MR_OK;
	int cf;

	if (after == UINT64_MAX)
		goto done;
	if (name != NULL) {
		cf = KEYS_CF_HISTORY;
		slen = keys_history(start, name, after + 1);
		elen = keys_history_prefix(end, name);
		end[elen - 1] = 0x01; /* just past name 0x00 */
	} else {
		cf = KEYS_CF_EVENTS;
		slen = keys_event(start, after + 1);
		elen = 0;
	}
	if (elen > 0)
		rocksdb_readoptions_set_iterate_upper_bound(ro,
		    (const char *)end, elen);
	it = rocksdb_create_iterator_cf(s->db, ro, s->cf[cf]);
	for (rocksdb_iter_seek(it, (const char *)start, slen);
	    rocksdb_iter_valid(it); rocksdb_iter_next(it)) {
		size_t vlen;
		const char *val = rocksdb_iter_value(it, &vlen);
		mr_pb_event *ev = modelreg__v1__event__unpack(NULL, vlen,
		    (const uint8_t *)val);

		if (ev == NULL) {
			rv = mr_fail(e, MR_DATA_LOSS,
			    "a stored event record is damaged");
			break;
		}
		if (fn(arg, ev) != 0)
			break;
	}
	if (rv == MR_OK) {
		rocksdb_iter_get_error(it, &err);
		if (err != NULL)
			rv = store_rocks_err(e, "scanning events", err);
	}
	rocksdb_iter_destroy(it);
done:
	rocksdb_readoptions_destroy(ro);
	return rv;
}
