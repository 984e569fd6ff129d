/*
 * chunk.h - SHA-256 and the chunk codec, shared by server and client.
 *
 * A chunk is kept and sent either raw or as one zstd frame, whichever the
 * encoder chose; the decoder checks the length and the SHA-256 of the
 * decoded bytes before anyone may use them. Contexts are created once per
 * thread and reused, as zstd recommends.
 */
#ifndef MR_CHUNK_H
#define MR_CHUNK_H

#include <stddef.h>
#include <stdint.h>

#include "mr_err.h"

/* Chunk encodings; the numbers are modelreg.v1.ChunkEncoding's. */
enum { MR_ENC_RAW = 0, MR_ENC_ZSTD = 1 };

/* zstd level used for chunks. */
#define MR_ZSTD_LEVEL 3
/*
 * A compressed chunk is kept only if it saves at least 1/MR_ZSTD_MIN_SAVING
 * of the raw size: decoding raw bytes costs nothing, while zstd decodes
 * float32 weights (which it shrinks by ~8%) at under 1 GB/s.
 */
#define MR_ZSTD_MIN_SAVING 8
/*
 * Chunks of at least 4 samples are first tried on one sample from their
 * middle; if that does not pay, the chunk goes raw without compressing
 * the rest.
 */
#define MR_ZSTD_SAMPLE (64 * 1024)
/*
 * The largest window a chunk's zstd frame may declare, as a power of two:
 * the smallest covering MR_CHUNK_MAX. A frame of at most MR_CHUNK_MAX bytes
 * never needs more (our encoder declares the content size, and zstd then
 * makes the window no larger than the content), so a frame that asks for
 * more was made to cost a decoder memory, and is refused (MR_DATA_LOSS).
 */
#define MR_ZSTD_WINDOW_LOG_MAX 22

_Static_assert((1ull << MR_ZSTD_WINDOW_LOG_MAX) >= MR_CHUNK_MAX &&
        (1ull << (MR_ZSTD_WINDOW_LOG_MAX - 1)) < MR_CHUNK_MAX,
    "MR_ZSTD_WINDOW_LOG_MAX must be the smallest log covering MR_CHUNK_MAX");

typedef struct mr_codec mr_codec;

/* NULL when out of memory. mr_codec_free(NULL) is a no-op. */
mr_codec *mr_codec_create(void);
void mr_codec_free(mr_codec *c);

/* One-shot SHA-256. */
void mr_sha256(mr_codec *c, const void *data, size_t len,
    uint8_t out[MR_DIGEST_LEN]);

/* One-shot SHA-256 without a codec, for occasional digests (audit). */
void mr_sha256_once(const void *data, size_t len, uint8_t out[MR_DIGEST_LEN]);

/* Incremental SHA-256 on the codec's second context (file digests). */
void mr_sha256_begin(mr_codec *c);
void mr_sha256_update(mr_codec *c, const void *data, size_t len);
void mr_sha256_end(mr_codec *c, uint8_t out[MR_DIGEST_LEN]);

/* Capacity `dst` needs for mr_chunk_encode of `len` bytes. */
size_t mr_chunk_encode_bound(size_t len);

/*
 * Encodes `len` bytes of `src`: compresses into `dst` (capacity from
 * mr_chunk_encode_bound) and keeps the result if it pays, else says raw.
 * On return *enc is MR_ENC_ZSTD with *out and *out_len naming dst, or
 * MR_ENC_RAW with *out == src. Fails only if zstd fails.
 */
mr_status mr_chunk_encode(mr_codec *c, const void *src, size_t len,
    void *dst, size_t cap, int *enc, const void **out, size_t *out_len,
    mr_err *e);

/*
 * Decodes a stored or received chunk and verifies it: the result must be
 * exactly `raw_len` bytes (1..MR_CHUNK_MAX) hashing to `digest`. Raw chunks
 * are checked in place (*out == data); zstd chunks are decoded into `dst`,
 * which must hold raw_len bytes. MR_DATA_LOSS when the bytes do not match
 * (a wrong length or digest, or a frame that is damaged, is not zstd,
 * declares another size or a window over 2^MR_ZSTD_WINDOW_LOG_MAX bytes),
 * MR_INVALID_ARGUMENT for an unknown encoding or a raw_len outside
 * 1..MR_CHUNK_MAX.
 */
mr_status mr_chunk_decode(mr_codec *c, int enc, const void *data, size_t len,
    uint32_t raw_len, const uint8_t digest[MR_DIGEST_LEN], void *dst,
    const void **out, mr_err *e);

#endif /* MR_CHUNK_H */
