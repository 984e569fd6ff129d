/*
 * wire.c - reading protobuf wire format in place (see wire.h).
 */
#include "wire.h"

int
mr_wire_next(const uint8_t **pp, const uint8_t *end, mr_wire_field *f)
{
	const uint8_t *p = *pp;
	uint64_t key = 0, v = 0;

	if (p == end)
		return 0;
	for (int shift = 0;; shift += 7) {
		if (p == end || shift > 63)
			return -1;
		key |= (uint64_t)(*p & 0x7f) << shift;
		if ((*p++ & 0x80) == 0)
			break;
	}
	f->num = (uint32_t)(key >> 3);
	f->p = NULL;
	f->len = 0;
	switch (key & 7) {
	case 0: /* varint */
	case 2: /* length-delimited: a varint length, then the bytes */
		for (int shift = 0;; shift += 7) {
			if (p == end || shift > 63)
				return -1;
			v |= (uint64_t)(*p & 0x7f) << shift;
			if ((*p++ & 0x80) == 0)
				break;
		}
		f->v = v;
		if ((key & 7) == 2) {
			if (v > (uint64_t)(end - p))
				return -1;
			f->p = p;
			f->len = (size_t)v;
			p += v;
		}
		break;
	case 1: /* fixed 64 */
	case 5: /* fixed 32 */
		if ((size_t)(end - p) < ((key & 7) == 1 ? 8u : 4u))
			return -1;
		p += (key & 7) == 1 ? 8 : 4;
		f->v = 0;
		break;
	default:
		return -1;
	}
	*pp = p;
	return 1;
}
