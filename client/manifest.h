/*
 * manifest.h - artifact manifests: building one from local files, and
 * checking one that came from a server.
 *
 * Building needs no network, which is what makes the upload testable in
 * pieces: the manifest is the whole of what a push decides; the rest is
 * sending what the server lacks.
 */
#ifndef MR_CLIENT_MANIFEST_H
#define MR_CLIENT_MANIFEST_H

#include "chunk.h"
#include "model.pb-c.h"

/* One file of a built manifest, with the storage behind its message. */
typedef struct mf_file {
	Modelreg__V1__FileEntry pb;
	char *source; /* the local path to read it from */
	Modelreg__V1__ChunkRef *refs;
	Modelreg__V1__ChunkRef **ref_ptrs;
	uint8_t *chunk_digests; /* MR_DIGEST_LEN bytes per chunk */
	uint8_t digest[MR_DIGEST_LEN];
} mf_file;

typedef struct manifest {
	Modelreg__V1__Manifest pb; /* ready to send; points into the rest */
	mf_file *files;            /* sorted by path, as pb.files */
	Modelreg__V1__FileEntry **entries;
	size_t n_files;
	uint8_t digest[MR_DIGEST_LEN];
} manifest;

/*
 * Builds the manifest of the artifact at `path`: a regular file (the
 * artifact is that one file, named by its base name) or a directory
 * (every regular file below it, by relative '/'-separated path). Reads
 * every byte once, cutting files into content-defined chunks (cdc.h) of
 * up to MR_CDC_MAX bytes, to digest chunks and files. Refuses
 * symbolic links, devices, sockets and FIFOs inside a directory, a
 * directory without files, and anything past MR_FILES_MAX, MR_CHUNKS_MAX
 * or mr_check_path(), with MR_INVALID_ARGUMENT naming the path.
 */
mr_status manifest_build(
    manifest **out, const char *path, mr_codec *c, mr_err *e);
void manifest_free(manifest *m);

/*
 * Reads chunks of a built manifest back, for sending, keeping the last
 * file open between calls. manifest_read_chunk() fills `buf` (at least
 * MR_CHUNK_MAX bytes) with the chunk: MR_ABORTED if the file is now too
 * short. It does not hash the bytes again: the server checks every chunk
 * against its digest, and push.c turns that refusal into "changed since
 * it was read" (hashing here too would cost a fourth of a push's CPU).
 */
typedef struct mf_reader {
	int fd;
	size_t file;
} mf_reader;

void mf_reader_init(mf_reader *r);
void mf_reader_close(mf_reader *r);
mr_status manifest_read_chunk(const manifest *m, mf_reader *r, size_t file,
    size_t chunk, uint8_t *buf, mr_err *e);

/*
 * The artifact digest over `files` (see proto/model.proto): SHA-256 of,
 * for each file in order, its path, a 0x00 byte, its size as 8 big-endian
 * bytes and its 32-byte digest.
 */
void manifest_digest(mr_codec *c, Modelreg__V1__FileEntry *const *files,
    size_t n, uint8_t out[MR_DIGEST_LEN]);

/*
 * Checks a manifest received from a server before anything is written
 * from it: format, paths (so none can escape the destination), order,
 * digest lengths, limits, and that chunk lists cover each file exactly.
 * MR_DATA_LOSS names the first problem.
 */
mr_status manifest_check(const Modelreg__V1__Manifest *m, mr_err *e);

#endif /* MR_CLIENT_MANIFEST_H */
