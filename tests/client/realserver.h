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
	/* Garbage collection's grace of the next serve, as svc_options has
	 * it: 0 the default, < 0 none. */
	int64_t gc_grace_ms;
} rs_server;

/*
 * Makes the directory, opens a store in it and serves it at `url`, or
 * when `url` is NULL at ipc://<dir>/registry.sock.
 */
void rs_start(rs_server *s, const char *tag, const char *url);
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

/* A client of `url` (user "alice" when NULL); fails the test if none. */
mr_client *rs_client(
    const char *url, const char *user, int timeout_ms, int window);

/*
 * The fixture of tests that need a registry and one client of it (user
 * "alice"): a cmocka setup (making it in a directory named after `tag`)
 * and teardown.
 */
typedef struct rs_fixture {
	rs_server s;
	mr_client *c;
} rs_fixture;

int rs_fixture_setup(void **state, const char *tag);
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
