/*
 * gen.c - synthetic model data for tests and benchmarks (see gen.h).
 */
#include <math.h>
#include <string.h>

#include "gen.h"

static uint64_t
next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

void
tu_fill_random(void *buf, size_t len, uint64_t seed)
{
	uint8_t *p = buf;
	uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;

	for (size_t i = 0; i < len; i += 8) {
		uint64_t v = next(&s);
		memcpy(p + i, &v, len - i < 8 ? len - i : 8);
	}
}

void
tu_fill_weights(void *buf, size_t len, uint64_t seed)
{
	uint64_t s = seed * 0x9e3779b97f4a7c15ull + 1;
	uint8_t *p = buf;
	size_t i;

	/* Box-Muller over xorshift: two normal samples per pair. */
	for (i = 0; i + 8 <= len; i += 8) {
		double u1 = ((double)(next(&s) >> 11) + 1.0) / 9007199254740993.0;
		double u2 = (double)(next(&s) >> 11) / 9007199254740992.0;
		double r = sqrt(-2.0 * log(u1));
		float a = (float)(0.02 * r * cos(2 * M_PI * u2));
		float b = (float)(0.02 * r * sin(2 * M_PI * u2));
		memcpy(p + i, &a, 4);
		memcpy(p + i + 4, &b, 4);
	}
	for (; i < len; i++)
		p[i] = (uint8_t)next(&s);
}
