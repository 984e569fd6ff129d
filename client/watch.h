/*
 * watch.h - what tests and benchmarks see of a watch beyond modelreg.h.
 */
#ifndef MR_CLIENT_WATCH_H
#define MR_CLIENT_WATCH_H

#include "modelreg.h"

/* Where a watch's events came from. */
typedef struct watch_stats {
	uint64_t from_feed; /* published messages returned */
	uint64_t from_log;  /* events fetched with WatchSince */
	uint64_t catch_ups; /* WatchSince calls */
	uint64_t heartbeats;
} watch_stats;

void watch_get_stats(const mr_watch *w, watch_stats *out);
/*
 * Sets the SUB socket's receive queue to `msgs` messages (nng's
 * NNG_OPT_RECVBUF): a tiny one makes a subscriber that does not read lose
 * messages, as a slow one does.
 */
mr_status watch_set_recv_buffer(mr_watch *w, int msgs);
/* The PUB URL the watch subscribed to. */
const char *watch_url(const mr_watch *w);

#endif /* MR_CLIENT_WATCH_H */
