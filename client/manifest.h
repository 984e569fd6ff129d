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

#include "cdc.h"
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
	uint64_t size_hint; /* the files' sizes when they were listed */
} manifest;

/*
 * Builds the manifest of the artifact at `path`: a regular file (the
 * artifact is that one file, named by its base name) or a directory
 * (every regular file below it, by relative '/'-separated path). Reads
 * every byte once, cutting files into content-defined chunks (cdc.h) of
 * up to MR_CDC_MAX bytes, to digest chunks and files. Refuses
 * symbolic links, devices, sockets and FIFOs inside a directory, a
 * directory without files, and anything past MR_FILES_MAX, MR_CHUNKS_MAX
 * or mr_check_path(), with MR_INVALID_ARGUMENT naming the path; a file
 * that changes while it is read is MR_ABORTED, naming it.
 *
 * manifest_build() is manifest_open() then manifest_cut() without a
 * sink. A push runs the two apart (stream.c): it lists the files first,
 * so that a refused path fails before anything is sent, then cuts on a
 * thread of its own and sends each chunk as it is cut.
 */
mr_status manifest_build(
    manifest **out, const char *path, mr_codec *c, mr_err *e);

/*
 * Lists the files of the artifact at `path` and checks their paths,
 * reading none: the result has files, paths, modes and size_hint, and
 * is complete only after manifest_cut().
 */
mr_status manifest_open(manifest **out, const char *path, mr_err *e);

/* Bytes read at a time: small enough for a chunk's bytes to stay in the
 * CPU's cache from the read to the cut and both digests. */
#define MF_READ_STEP ((size_t)1 << 20)
/* Files are read through buffers of this many bytes: room for the
 * largest chunk and a read step after it, so that a read after the
 * uncut rest of a chunk always fits; no more, as every byte read passes
 * through them and a small footprint stays in the CPU's caches. */
#define MF_BUF_SIZE ((size_t)MR_CDC_MAX + 2 * MF_READ_STEP)

/* A chunk as it is cut: where it is, its digest and its bytes. */
typedef struct mf_chunk {
	size_t file;           /* index in manifest.files */
	size_t index;          /* index in the file's chunk list */
	uint64_t offset;
	uint32_t length;
	const uint8_t *digest; /* MR_DIGEST_LEN bytes, valid in the call */
	const uint8_t *bytes;  /* inside the sink's current buffer */
} mf_chunk;

/*
 * Where manifest_cut() reads into and hands chunks to. buffer() gives a
 * buffer of MF_BUF_SIZE bytes whenever the cutter moves on from the
 * previous one, whose bytes it no longer touches (NULL: stop,
 * MR_CANCELLED). chunk() is called for each chunk in file order while
 * its bytes lie in the current buffer; a status other than MR_OK stops
 * the cut with it (and its message in `e`).
 */
typedef struct mf_sink {
	uint8_t *(*buffer)(void *arg);
	mr_status (*chunk)(void *arg, const mf_chunk *ch, mr_err *e);
	void *arg;
} mf_sink;

/*
 * Reads, cuts and digests every file of a manifest from manifest_open(),
 * then digests the artifact: the manifest is complete on MR_OK. With
 * `sink` NULL it reads through a buffer of its own. The file list does
 * not move meanwhile (paths and sources may be read from another
 * thread); the chunk lists do.
 */
mr_status manifest_cut(
    manifest *m, mr_codec *c, const mf_sink *sink, mr_err *e);
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
