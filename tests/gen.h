/*
 * gen.h - synthetic model data, deterministic from a seed, shared by the
 * tests and the benchmarks.
 */
#ifndef MR_GEN_H
#define MR_GEN_H

#include <stddef.h>
#include <stdint.h>

/* `len` pseudo-random bytes from `seed` (xorshift). */
void tu_fill_random(void *buf, size_t len, uint64_t seed);
/*
 * float32 weights from a normal distribution (mean 0, std 0.02), as a
 * trained network's layers look: what zstd compresses only ~8%.
 */
void tu_fill_weights(void *buf, size_t len, uint64_t seed);

#endif /* MR_GEN_H */
