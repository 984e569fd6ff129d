/*
 * realserver.h - the registry the client's tests talk to: the real one,
 * in-process.
 *
 * rs_start() opens a RocksDB store (store_open) in a fresh temporary
 * directory and serves it with the real transport and dispatcher
 * (svc_server_start) on an ipc:// socket in the same directory; tests
 * connect to it with the public libmodelreg API. Nothing here answers a
 * request itself. What a healthy registry never shows a client, a test
 * gets by doing to this one what a bad disk, a tampered backup or an
 * operator would: stop it and flip bytes in its RocksDB files, write
 * through the storage API (which trusts its caller), or restart it on
 * another, empty store.
 *
 * Failures end the test (cmocka's fail_msg): a test that cannot set
 * itself up has nothing to report.
 */
#ifndef MR_TESTS_CLIENT_REALSERVER_H
#define MR_TESTS_CLIENT_REALSERVER_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common.h"
#include "modelreg.h"
#include "store.h"
#include "svc.h"

typedef struct rs_server {
	char dir[PATH_MAX]; /* temporary directory, gone after rs_finish */
	char data[PATH_MAX + 32]; /* the store's directory inside dir */
	char url[PATH_MAX + 32];  /* where it listens */
	store *st;                /* NULL while stopped */
	svc_server *srv;
	int stores; /* stores made so far (rs_replace_store) */
	/* Background scrub rate of the next serve (rs_resume); 0: none. */
	uint32_t scrub_rate_mib;
	/* Reads without a token, and whole events on the feed (rs_start_open,
	 * modelregd --anonymous-read). */
	bool anonymous_read;
	/* Tokens made for rs_client's users (rs_token). */
	struct {
		char user[64];
		char token[SVC_TOKEN_LEN + 1];
	} tokens[8];
	size_t n_tokens;
	/* For a tls+tcp:// url: the server's certificate and key, and the
	 * CA its clients' certificates must be signed by (NULL: none). */
	mr_tls_files tls;
	/* Garbage collection's grace of the next serve, as svc_options has
	 * it: 0 the default, < 0 none. */
	int64_t gc_grace_ms;
} rs_server;

/*
 * Makes the directory, opens a store in it and serves it at `url`, or
 * when `url` is NULL at ipc://<dir>/registry.sock.
 */
void rs_start(rs_server *s, const char *tag, const char *url);
/* rs_start with reads open to callers without a token. */
void rs_start_open(rs_server *s, const char *tag, const char *url);
/* rs_start on a tls+tcp:// `url`, served with `tls` (kept in s->tls). */
void rs_start_tls(rs_server *s, const char *tag, const char *url,
    const mr_tls_files *tls);
/* Stops serving and closes the store; the directory stays. */
void rs_stop(rs_server *s);
/* Opens the store again and serves it at the same URL. */
void rs_resume(rs_server *s);
/* rs_stop then rs_resume: what a restart of modelregd does. */
void rs_restart(rs_server *s);
/*
 * Stops, then serves a new, empty store at the same URL: a registry
 * restored from a backup that lacks everything written so far.
 */
void rs_replace_store(rs_server *s);
/* Stops (if running) and removes the directory. */
void rs_finish(rs_server *s);

/*
 * A client of `url` calling with the token of `user` ("alice" when NULL)
 * if a server started here serves `url`; fails the test if none.
 */
mr_client *rs_client(
    const char *url, const char *user, int timeout_ms, int window);
/*
 * The token of `user` ("alice" when NULL) on the server at `url`, else on
 * the last one started (`url` is a proxy's); NULL if none runs.
 */
const char *rs_token_for(const char *url, const char *user);
/* The token of `user` on `s`: ADMIN on every model, made on first use. */
const char *rs_token(rs_server *s, const char *user);
/* A new token of `user` on `s` with one grant, into out. */
const char *rs_token_with(rs_server *s, const char *user, int role,
    const char *models, int stage, char out[SVC_TOKEN_LEN + 1]);

/*
 * The fixture of tests that need a registry and one client of it (user
 * "alice", an admin): a cmocka setup (making it in a directory named after `tag`)
 * and teardown.
 */
typedef struct rs_fixture {
	rs_server s;
	mr_client *c;
} rs_fixture;

int rs_fixture_setup(void **state, const char *tag);
/* The same with reads open to callers without a token (rs_start_open). */
int rs_fixture_setup_open(void **state, const char *tag);
int rs_fixture_teardown(void **state);

/*
 * Stops the server, flips a byte in the middle of every stored chunk
 * with RocksDB itself, and serves the damaged store again. Returns how
 * many chunks were damaged.
 */
int rs_damage_chunks(rs_server *s);
/*
 * Stores `len` bytes under `digest` with store_put_chunk, which trusts
 * its caller: a chunk whose bytes need not match its name.
 */
void rs_plant_chunk(rs_server *s, const uint8_t digest[MR_DIGEST_LEN],
    const void *bytes, size_t len);
/*
 * Rewrites the path of file `file` in the stored manifest of
 * name@version (the one pulls read), in a store transaction.
 */
void rs_set_manifest_path(rs_server *s, const char *name, const char *version,
    size_t file, const char *path);

/* ---- local files ----------------------------------------------------------
 */

/* "dir/name", malloc'd. */
char *rs_path(const char *dir, const char *name);

/* Writes `size` bytes of tu_fill_random(seed) with permission bits `mode`. */
void rs_write_random(const char *path, size_t size, uint64_t seed, mode_t mode);
/* Writes `len` bytes with permission bits `mode`. */
void rs_write_mode(const char *path, const void *data, size_t len, mode_t mode);
/* True if both files can be read and hold the same bytes. */
bool rs_same_file(const char *a, const char *b);
/* True if something (even a dangling link) is at `path`. */
bool rs_exists(const char *path);
/* The SHA-256 of `len` bytes. */
void rs_sha256(const void *data, size_t len, uint8_t out[MR_DIGEST_LEN]);

#endif /* MR_TESTS_CLIENT_REALSERVER_H */
