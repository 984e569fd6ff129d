/*
 * fuzz_manifest.c - a manifest as a server might send it to a pull:
 * unpacked by protobuf-c, then checked (manifest_check) before any path
 * in it is used. The check must refuse every path that could leave the
 * destination, whatever else the bytes hold.
 */
#include <stdlib.h>
#include <string.h>

#include "manifest.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Modelreg__V1__Manifest *m =
	    modelreg__v1__manifest__unpack(NULL, size, data);
	mr_err e;

	if (m == NULL)
		return 0;
	if (manifest_check(m, &e) == MR_OK)
		for (size_t i = 0; i < m->n_files; i++) {
			const char *p = m->files[i]->path;
			if (p[0] == '/' || strstr(p, "..") == p ||
			    strstr(p, "/../") != NULL)
				abort();
		}
	modelreg__v1__manifest__free_unpacked(m, NULL);
	return 0;
}
