/*
 * stream.h - cutting an artifact on a thread of its own, handing each
 * chunk over with its bytes, so that a push sends while it still reads.
 *
 * The cutter (manifest_cut() on the stream's thread) reads files into a
 * few buffers of MF_BUF_SIZE bytes and queues each chunk it cuts: its
 * place, its digest and a pointer to its bytes in a buffer. The taker
 * (push.c) takes chunks in batches and releases each once it is done with
 * its bytes; a buffer is read into again only when every chunk in it has
 * been released. So memory stays at STREAM_BUFFERS buffers whatever the
 * artifact, no byte is read from a file twice, and when the taker falls
 * behind the cutter waits ("stalls") instead of reading ahead.
 */
#ifndef MR_CLIENT_STREAM_H
#define MR_CLIENT_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "manifest.h"

/* Buffers of MF_BUF_SIZE bytes: one being read into while the other holds
 * chunks queued or on their way. More did not help, and every byte read
 * passes through them: a larger footprint falls out of the CPU's caches
 * (3 cost the cutter ~15% here). */
#define STREAM_BUFFERS 2
/* Chunks queued at most; past it the cutter stalls (many small files). */
#define STREAM_QUEUE 512

typedef struct mf_stream mf_stream;

/* A chunk handed over by the stream. */
typedef struct mf_piece {
	uint32_t file;  /* index in manifest.files */
	uint32_t index; /* in the file's chunk list */
	uint64_t offset;
	uint32_t length;
	uint8_t digest[MR_DIGEST_LEN];
	const uint8_t *bytes; /* `length` bytes, valid until released */
	void *buffer;         /* the stream's, for the release */
} mf_piece;

/*
 * Starts cutting `m` (from manifest_open(); complete once
 * mf_stream_end() returns MR_OK) on a new thread. `m` must outlive the
 * stream; only its file list may be read meanwhile.
 */
mr_status mf_stream_start(mf_stream **out, manifest *m, mr_err *e);

/*
 * Takes up to `max` queued chunks into out[], in cut order: once at
 * least `want` are queued, or fewer (at least one) when the cutter has
 * finished or stalls for want of room. With `wait` false it returns 0 at
 * once rather than wait for that. *over is set when no chunk will come
 * any more: the cutter finished (or failed) and the queue is empty.
 */
size_t mf_stream_take(mf_stream *s, mf_piece *out, size_t max, size_t want,
    bool wait, bool *over);

/* Whether the cutter has failed (mf_stream_end() says why). */
bool mf_stream_failed(mf_stream *s);

/* Gives back a taken chunk: its bytes may be overwritten from now on. */
void mf_stream_release(mf_stream *s, mf_piece *p);

/*
 * Stops the cutter if it still runs (it then ends with MR_CANCELLED),
 * waits for it and frees the stream and every buffer, taken chunks'
 * included. Returns the cutter's status, with its message in `e` unless
 * it was MR_OK. Accepts NULL (MR_OK).
 */
mr_status mf_stream_end(mf_stream *s, mr_err *e);

#endif /* MR_CLIENT_STREAM_H */
