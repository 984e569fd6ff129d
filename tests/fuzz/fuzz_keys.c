/*
 * fuzz_keys.c - the key encoding (storage/keys.c): a version that parses
 * encodes to a key that decodes to the same version, and keys sort as
 * versions compare; decoders given any bytes refuse or decode, never
 * read past them.
 */
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "keys.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t key[KEYS_MAX], key2[KEYS_MAX];
	char text[MR_VERSION_MAX + 2], name[MR_NAME_MAX + 1];
	size_t half = size / 2, n, n2;
	mr_semver v, back, w;
	keys_chunkmeta cm;
	const char *far;
	size_t far_len;
	int type;
	mr_err e;

	/* Decoders on raw bytes. */
	keys_verkey_decode(data, size, &back);
	keys_ref_decode(data, size, name, &back);
	keys_edge_decode(data, size, &type, &far, &far_len);
	keys_chunkmeta_decode(data, size, &cm);

	/* Round trip and order of two versions made of the input. */
	if (half > MR_VERSION_MAX)
		return 0;
	memcpy(text, data, half);
	text[half] = '\0';
	if (mr_semver_parse(text, &v, &e) != MR_OK)
		return 0;
	n = keys_verkey(key, &v);
	if (keys_verkey_decode(key, n, &back) != 0 ||
	    mr_semver_cmp(&v, &back) != 0)
		abort();
	if (size - half > MR_VERSION_MAX)
		return 0;
	memcpy(text, data + half, size - half);
	text[size - half] = '\0';
	if (mr_semver_parse(text, &w, &e) != MR_OK)
		return 0;
	n2 = keys_verkey(key2, &w);
	{
		int c = memcmp(key, key2, n < n2 ? n : n2);
		int byk = c != 0 ? c : (n > n2) - (n < n2);
		int byv = mr_semver_cmp(&v, &w);
		if ((byk > 0) != (byv > 0) || (byk < 0) != (byv < 0))
			abort();
	}
	return 0;
}
