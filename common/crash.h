/*
 * crash.h - named kill points for crash tests, in the manner of SQLite's
 * and RocksDB's test hooks.
 *
 * modelregd calls mr_crash_init() once at start. If MODELREG_CRASH_AT is
 * set to POINT or POINT:N, the process ends with _exit(MR_CRASH_EXIT) the
 * N-th time (default: the first) a thread passes mr_crash_point(POINT):
 * no reply, no flush, no atexit handlers, no destructors, which leaves
 * on disk exactly what a crash at that instant would. Unset, a point is
 * one load of a global and a branch.
 *
 * The points, in the order a write passes them:
 *   after_chunk_write         PutChunk stored its chunk (unsynced WAL
 *                             write), before the reply
 *   before_commit             a mutation's batch is built, before the
 *                             synced RocksDB write (store_txn_commit;
 *                             also the format-1 upgrade at open)
 *   after_commit_before_reply the batch is durable, before the reply
 *                             (and its idempotency record) reach the
 *                             client
 */
#ifndef MR_CRASH_H
#define MR_CRASH_H

#include <stdbool.h>

/* The exit status of a process ended at a kill point. */
#define MR_CRASH_EXIT 86

/* True when MODELREG_CRASH_AT named a point; set by mr_crash_init. */
extern bool mr_crash_armed;

/*
 * Reads MODELREG_CRASH_AT. Returns 0, or -1 (with a message on stderr)
 * when it names no known point or has a bad count, so that a misspelt
 * point fails loudly instead of never firing.
 */
int mr_crash_init(void);

/* Ends the process if `point` is the armed one and its count is reached. */
void mr_crash_hit(const char *point);

#define mr_crash_point(point)                                                  \
	do {                                                                   \
		if (mr_crash_armed)                                            \
			mr_crash_hit(point);                                   \
	} while (0)

#endif /* MR_CRASH_H */
