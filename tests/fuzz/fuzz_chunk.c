/*
 * fuzz_chunk.c - hostile chunk bytes as a server or client decodes them:
 * an encoding, a declared length and data that may be any zstd frame or
 * none. Decoding must refuse without reading or writing past its
 * buffers, whatever a frame declares (a 1 GiB frame of zeros is 32 KB).
 */
#include <stdlib.h>
#include <string.h>

#include "chunk.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static mr_codec *c;
	static uint8_t *buf;
	uint8_t digest[MR_DIGEST_LEN] = { 0 };
	const void *out;
	uint32_t raw_len;
	mr_err e;

	if (c == NULL && ((c = mr_codec_create()) == NULL ||
	                     (buf = malloc(MR_CHUNK_MAX)) == NULL))
		abort();
	if (size < 5)
		return 0;
	/* raw_len within the codec's range most of the time, so that the
	 * decoder itself is reached, not only the range check. */
	raw_len = ((uint32_t)data[1] << 16 | (uint32_t)data[2] << 8 | data[3]) %
	    (MR_CHUNK_MAX + 2);
	if (size > 37)
		memcpy(digest, data + 5, MR_DIGEST_LEN);
	mr_chunk_decode(c, data[0] % 3, data + 4, size - 4, raw_len, digest,
	    buf, &out, &e);
	return 0;
}
