/*
 * fake_server.h - a small in-memory registry on a real nng REP socket, for
 * the client's unit tests.
 *
 * It is not modelregd: it implements just enough of the Artifacts and
 * Registry methods (chunks in memory, versions as stored manifests) to
 * drive the client through uploads and pulls over a real socket, plus
 * knobs to make it misbehave the ways a real server or network can. It
 * answers one request at a time on its own thread; every field is read or
 * set by tests only while no call is in flight.
 */
#ifndef MR_TESTS_FAKE_SERVER_H
#define MR_TESTS_FAKE_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "modelreg.h"

typedef struct fake_server fake_server;

typedef struct fake_knobs {
	/* Answer every request with this code and message (0: behave). */
	mr_status fail_code;
	const char *fail_message;
	/* Sleep this long before answering. */
	int delay_ms;
	/* Answer with bytes that are not a Response. */
	bool garbage_reply;
	/* Flip a byte of every chunk GetChunk returns. */
	bool corrupt_chunks;
	/* Refuse RegisterVersion (only) with this code (0: don't). */
	mr_status refuse_register;
	/* The next RegisterVersion forgets every chunk first, as a server
	 * restored from an old backup would, and so refuses. */
	bool lose_chunks_once;
	/* Replace the first file's path in GetVersion answers. */
	const char *evil_path;
} fake_knobs;

typedef struct fake_stats {
	int find_missing;   /* calls */
	int put_chunk;
	int register_calls;
	int get_version;
	int get_chunk;
	int requests;       /* all methods */
	uint64_t revision;  /* last revision handed out */
	char last_method[128];
	char last_key[160]; /* idempotency key of the last request */
	char last_user[160];
	uint64_t last_deadline_ms;
} fake_stats;

/* Listens at `url` (inproc:// in tests); NULL if that fails. */
fake_server *fake_start(const char *url);
void fake_stop(fake_server *f);
fake_knobs *fake_knobs_of(fake_server *f);
const fake_stats *fake_stats_of(fake_server *f);
/* How many distinct chunks the server holds. */
size_t fake_chunk_count(fake_server *f);

#endif /* MR_TESTS_FAKE_SERVER_H */
