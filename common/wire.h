/*
 * wire.h - reading protobuf wire format in place, field by field.
 *
 * protobuf-c's unpack copies every bytes field. Where a message carries
 * megabytes (a chunk) or only one small field is wanted (the method of a
 * request envelope), the fields are read where they lie instead. Only
 * varints and length-delimited fields carry values; fixed 32/64-bit
 * fields are skipped. Every length is checked against the end, so
 * nothing is read past the buffer.
 */
#ifndef MR_WIRE_H
#define MR_WIRE_H

#include <stddef.h>
#include <stdint.h>

/* One field: varints in v; length-delimited bytes in p, len. */
typedef struct mr_wire_field {
	uint32_t num;
	uint64_t v;
	const uint8_t *p;
	size_t len;
} mr_wire_field;

/* Reads the field at *p (advancing it): 1, 0 at `end`, -1 malformed. */
int mr_wire_next(const uint8_t **p, const uint8_t *end, mr_wire_field *f);

#endif /* MR_WIRE_H */
