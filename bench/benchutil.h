/*
 * benchutil.h - what the benchmarks share: a free loopback port and
 * percentiles of latency samples.
 */
#ifndef MR_BENCHUTIL_H
#define MR_BENCHUTIL_H

#include <stddef.h>
#include <stdint.h>

/* A TCP port on 127.0.0.1 that nothing listens on right now. */
int bench_free_port(void);
/* Sorts `ns` (nanoseconds) and returns the q-quantile in microseconds. */
double bench_quantile_us(uint64_t *ns, size_t n, double q);

#endif /* MR_BENCHUTIL_H */
