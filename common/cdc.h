/*
 * cdc.h - content-defined chunking: where the client cuts a file into
 * chunks.
 *
 * Cutting at fixed offsets makes one inserted byte shift every later chunk,
 * so a small edit re-sends the rest of the file. Cutting where the content
 * says (FastCDC: Xia et al., "FastCDC: a Fast and Efficient Content-Defined
 * Chunking Approach for Data Deduplication", USENIX ATC 2016) puts the
 * boundaries back in step a chunk or two after the edit, so a push or a
 * pull moves only the chunks around it.
 *
 * The cut points are part of what is stored: the same bytes must always
 * cut the same way, on every client, or deduplication silently stops
 * working across versions. So the sizes below, the masks and the gear
 * table in cdc.c must never change. A different chunking would be a new
 * function next to this one, never an edit of it.
 */
#ifndef MR_CDC_H
#define MR_CDC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "modelreg.h"

/*
 * Chunk sizes in bytes. No cut is looked for in the first MR_CDC_MIN bytes
 * (FastCDC's cut-point skipping: it saves hashing a quarter of the data and
 * keeps tiny chunks out of the store); up to MR_CDC_NORMAL a cut point is
 * harder to hit, past it easier ("normalized chunking", level 2), which
 * narrows the spread of lengths around the target; at MR_CDC_MAX, the
 * largest chunk the server accepts, the chunk is cut whatever the content.
 * Random data averages about 1.1 MiB a chunk with these.
 */
#define MR_CDC_MIN    (256u << 10)
#define MR_CDC_NORMAL (1u << 20)
#define MR_CDC_MAX    (4u << 20)

_Static_assert(
    MR_CDC_MAX <= MR_CHUNK_MAX, "a cut chunk must be one the server accepts");
_Static_assert(MR_CDC_MIN < MR_CDC_NORMAL && MR_CDC_NORMAL < MR_CDC_MAX,
    "the chunk sizes must be ordered");

/*
 * The length of the chunk that starts at p[0], given the `n` bytes
 * available from there; `at_eof` says no more bytes follow them.
 *
 * Returns 1..MR_CDC_MAX, at least MR_CDC_MIN unless it is the rest of the
 * input at end of file. Returns 0 when the answer depends on bytes not yet
 * given (no cut point in fewer than MR_CDC_MAX bytes, and not at end of
 * file): call again from the same p with more bytes. It never returns 0
 * when n >= MR_CDC_MAX or, for n > 0, when at_eof.
 *
 * A cut depends only on the bytes of its own chunk, so cutting a stream
 * chunk by chunk through any window of at least MR_CDC_MAX bytes gives the
 * same chunks as cutting it all in memory.
 */
size_t mr_cdc_cut(const uint8_t *p, size_t n, bool at_eof);

/*
 * mr_cdc_cut() for a caller that already called it with the first `seen`
 * of these `n` bytes (same p) and got 0: the same answer, but only the
 * bytes from `seen` on are scanned (and the 64 before them rehashed), so
 * a file can be cut while it is read in small steps without scanning its
 * bytes over again. `seen` 0 is mr_cdc_cut().
 */
size_t mr_cdc_cut_more(const uint8_t *p, size_t n, bool at_eof, size_t seen);

/* The gear table (256 entries), exposed so a test can pin it down. */
extern const uint64_t mr_cdc_gear[256];

#endif /* MR_CDC_H */
