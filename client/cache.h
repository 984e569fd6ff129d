/*
 * cache.h - the client's content-addressed chunk cache: a directory of
 * chunks named by their SHA-256, shared by every pull that names it.
 *
 * A pull looks each chunk up here before asking the server, and keeps
 * every chunk it fetched and verified, so pulling a version that shares
 * chunks with one pulled before transfers only the chunks that differ.
 * Entries are checked against their name each time they are read: a
 * damaged or half-written entry is dropped and the chunk fetched again,
 * so entries are written without fsync and the cache needs no lock.
 *
 * Layout: DIR/ab/abcdef... (the hex digest, sharded by its first byte),
 * holding the chunk's raw bytes. Entries are the models' bytes, so they
 * are private to the user (0600, in 0700 shard directories), and only
 * regular files are read, never through a link.
 */
#ifndef MR_CLIENT_CACHE_H
#define MR_CLIENT_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "chunk.h"

typedef struct chunk_cache chunk_cache;

/* Opens (creating it and its parents if need be) the cache at `dir`. */
mr_status cache_open(chunk_cache **out, const char *dir, mr_err *e);
/* Accepts NULL. */
void cache_close(chunk_cache *cc);

/* Whether an entry for `digest` exists; it is verified only when read. */
bool cache_has(const chunk_cache *cc, const uint8_t digest[MR_DIGEST_LEN]);

/*
 * Reads the `len`-byte chunk named `digest` into `buf` and verifies it.
 * False when it is absent, of another length or does not match its name;
 * a damaged entry is removed. Safe from several threads, each with its
 * own codec.
 */
bool cache_get(const chunk_cache *cc, mr_codec *c,
    const uint8_t digest[MR_DIGEST_LEN], uint32_t len, uint8_t *buf);

/*
 * Keeps a verified chunk: written under a temporary name and renamed, so
 * a reader sees all of it or nothing. Best effort: a cache that cannot
 * be written (disk full, read-only) slows later pulls, never this one.
 */
void cache_put(const chunk_cache *cc, const uint8_t digest[MR_DIGEST_LEN],
    const void *data, uint32_t len);

/*
 * Removes least recently used entries (by mtime: cache_get touches what
 * it reads) until the entries hold at most `max_bytes`, and leftovers of
 * writes that were cut short. Best effort, like cache_put.
 */
void cache_trim(const chunk_cache *cc, uint64_t max_bytes);

#endif /* MR_CLIENT_CACHE_H */
