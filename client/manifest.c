/*
 * manifest.c - building a manifest from local files, checking a received
 * one.
 *
 * Building walks the tree first (lstat only, so nothing is read from a
 * path that turns out to be refused), sorts the files by path bytewise,
 * then reads each file with pread, MF_READ_STEP bytes at a time, into
 * buffers of MF_BUF_SIZE (MR_CDC_MAX and two steps) and cuts it where its
 * content says (common/cdc.c), so that an edit moves only the chunk
 * boundaries near it and a new version shares every other chunk with the
 * old. Each chunk is
 * hashed on its own (its name in the chunk store) and into the file's
 * running digest. Memory stays at a buffer or a few whatever the artifact
 * size, and a file that shrinks while we read it is an error rather than
 * the SIGBUS a mapping would give; one whose size or times changed by the
 * end of the read is refused too, as its bytes may mix two versions. The
 * number of chunks is known only once a file is cut, so the chunk refs
 * grow as cuts are found.
 *
 * Cutting goes as far as the bytes in hand decide, and reads more only
 * when they do not: after the last cut of a buffer fewer than a chunk's
 * bytes are left, and only those move. With a sink (a push, stream.c)
 * they move into the next buffer the sink hands out, so that the chunks
 * cut from the previous one stay where they are until they are sent;
 * small files are read one after another into the same buffer.
 *
 * Checking is the other half of the same rules, applied to what a server
 * sends before a pull writes anything.
 */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cdc.h"
#include "client.h"
#include "manifest.h"

/* Room left in a RegisterVersion request for all but the manifest. */
#define MANIFEST_ROOM (1u << 20)

typedef struct walk {
	mf_file *files;
	size_t n;
	size_t cap;
	uint64_t bytes; /* the files' sizes when listed */
} walk;

static char *
join(const char *dir, const char *name)
{
	char *p;

	if (dir[0] == '\0')
		return strdup(name);
	return asprintf(&p, "%s/%s", dir, name) < 0 ? NULL : p;
}

static mr_status
oom(mr_err *e)
{
	return mr_fail(e, MR_RESOURCE_EXHAUSTED, "out of memory");
}

static const char *
kind_of(mode_t mode)
{
	if (S_ISLNK(mode))
		return "a symbolic link";
	if (S_ISCHR(mode) || S_ISBLK(mode))
		return "a device";
	if (S_ISSOCK(mode))
		return "a socket";
	if (S_ISFIFO(mode))
		return "a FIFO";
	return "not a regular file";
}

/* Adds a regular file; takes `source` and `rel` in all cases. */
static mr_status
walk_add(walk *w, char *source, char *rel, const struct stat *st, mr_err *e)
{
	mf_file *f;

	if (w->n == MR_FILES_MAX) {
		free(source);
		free(rel);
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "the artifact has more than %d files", MR_FILES_MAX);
	}
	if (w->n == w->cap) {
		size_t cap = w->cap > 0 ? 2 * w->cap : 16;
		mf_file *p = realloc(w->files, cap * sizeof(*p));
		if (p == NULL) {
			free(source);
			free(rel);
			return oom(e);
		}
		w->files = p;
		w->cap = cap;
	}
	f = &w->files[w->n++];
	memset(f, 0, sizeof(*f));
	modelreg__v1__file_entry__init(&f->pb);
	f->source = source;
	f->pb.path = rel;
	f->pb.mode = (uint32_t)(st->st_mode & 0777);
	w->bytes += (uint64_t)st->st_size;
	return MR_OK;
}

/* Reads the names in a directory, so that no descriptor stays open
 * while we descend. */
static mr_status
list_dir(const char *source, char ***out, size_t *n_out, mr_err *e)
{
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	DIR *d;

	if ((d = opendir(source)) == NULL)
		return client_sys_fail(e, "open directory", source);
	for (errno = 0; (de = readdir(d)) != NULL; errno = 0) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			size_t ncap = cap > 0 ? 2 * cap : 16;
			char **p = realloc(names, ncap * sizeof(*p));
			if (p == NULL)
				goto err_names;
			names = p;
			cap = ncap;
		}
		if ((names[n] = strdup(de->d_name)) == NULL)
			goto err_names;
		n++;
	}
	if (errno != 0) {
		mr_status rv = client_sys_fail(e, "read directory", source);
		closedir(d);
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		free(names);
		return rv;
	}
	closedir(d);
	*out = names;
	*n_out = n;
	return MR_OK;

err_names:
	closedir(d);
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return oom(e);
}

static mr_status
walk_dir(walk *w, const char *source, const char *rel, mr_err *e)
{
	char **names = NULL;
	size_t n = 0;
	mr_status rv;

	if ((rv = list_dir(source, &names, &n, e)) != MR_OK)
		return rv;
	for (size_t i = 0; i < n && rv == MR_OK; i++) {
		char *src = join(source, names[i]);
		char *r = join(rel, names[i]);
		struct stat st;

		if (src == NULL || r == NULL) {
			rv = oom(e);
		} else if (mr_check_path(r, e) != MR_OK) {
			rv = MR_INVALID_ARGUMENT; /* e names the path */
		} else if (lstat(src, &st) != 0) {
			rv = client_sys_fail(e, "stat", src);
		} else if (S_ISDIR(st.st_mode)) {
			rv = walk_dir(w, src, r, e);
		} else if (S_ISREG(st.st_mode)) {
			rv = walk_add(w, src, r, &st, e);
			src = r = NULL; /* taken */
		} else {
			rv = mr_fail(e, MR_INVALID_ARGUMENT,
			    "%s is %s; an artifact holds only regular files "
			    "and directories",
			    src, kind_of(st.st_mode));
		}
		free(src);
		free(r);
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return rv;
}

static int
cmp_file(const void *a, const void *b)
{
	return strcmp(
	    ((const mf_file *)a)->pb.path, ((const mf_file *)b)->pb.path);
}

static mr_status
chunks_exhausted(const mf_file *f, mr_err *e)
{
	return mr_fail(e, MR_INVALID_ARGUMENT,
	    "the artifact needs more than %d chunks (cut by content, at most "
	    "%u MiB each); the limit is reached at %s",
	    MR_CHUNKS_MAX, MR_CDC_MAX >> 20, f->source);
}

/* Room for one more chunk ref in `f`, which holds `n` of `*cap`. */
static bool
reserve_ref(mf_file *f, size_t n, size_t *cap)
{
	Modelreg__V1__ChunkRef *refs;
	uint8_t *digests;
	size_t ncap;

	if (n < *cap)
		return true;
	ncap = *cap > 0 ? 2 * *cap : 16;
	if ((refs = realloc(f->refs, ncap * sizeof(*refs))) == NULL)
		return false;
	f->refs = refs;
	if ((digests = realloc(f->chunk_digests, ncap * MR_DIGEST_LEN)) == NULL)
		return false;
	f->chunk_digests = digests;
	*cap = ncap;
	return true;
}

/*
 * Reads more of the file after buf[*start..*end), the bytes not yet cut,
 * when they do not decide a cut: MF_READ_STEP bytes or the rest of the
 * file's first `size` bytes. They are read in place after *end when the
 * buffer has room for that; otherwise the uncut bytes (fewer than
 * MR_CDC_MAX: the cutter decides with that many) move to the front of a
 * new buffer from the sink, or of the same buffer without one, and the
 * read follows them. *at is the file offset of buf[*end].
 */
static mr_status
refill(mf_file *f, int fd, const mf_sink *sink, uint8_t **bufp,
    size_t *start, size_t *end, uint64_t *at, uint64_t size, mr_err *e)
{
	size_t keep = *end - *start, want = MF_READ_STEP;
	uint8_t *buf = *bufp;
	int err;

	assert(keep < MR_CDC_MAX);
	if (want > size - *at)
		want = (size_t)(size - *at);
	if (buf == NULL || MF_BUF_SIZE - *end < want) {
		uint8_t *to = buf;

		if (sink != NULL && (to = sink->buffer(sink->arg)) == NULL)
			return mr_fail(e, MR_CANCELLED, "the upload stopped");
		if (keep > 0)
			memmove(to, buf + *start, keep);
		*bufp = buf = to;
		*start = 0;
		*end = keep;
	}
	if (!client_pread_full(fd, buf + *end, want, *at, &err)) {
		if (err == 0)
			return mr_fail(e, MR_ABORTED,
			    "%s changed while it was being read (it shrank); "
			    "register again",
			    f->source);
		errno = err;
		return client_sys_fail(e, "read", f->source);
	}
	*end += want;
	*at += want;
	return MR_OK;
}

/* Whether the file behind `fd` is still as `before` said. */
static bool
unchanged(int fd, const struct stat *before)
{
	struct stat st;

	return fstat(fd, &st) == 0 && st.st_size == before->st_size &&
	    st.st_mtim.tv_sec == before->st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == before->st_mtim.tv_nsec &&
	    st.st_ctim.tv_sec == before->st_ctim.tv_sec &&
	    st.st_ctim.tv_nsec == before->st_ctim.tv_nsec;
}

/* Where a file is cut: the buffer, kept from one file to the next so
 * that small files share one, and what reads and digests. */
typedef struct cutter {
	mr_codec *c;
	const mf_sink *sink; /* NULL: one buffer of our own */
	uint8_t *buf;        /* MF_BUF_SIZE bytes */
	size_t start, end;   /* buf[start..end): read, not yet cut */
	size_t seen;         /* of which the first `seen` hold no cut */
	uint64_t chunks;     /* chunk refs so far, all files */
} cutter;

/*
 * Cuts file `fi` into content-defined chunks and digests them and the
 * whole file, handing each chunk to the sink, if any, as it is cut.
 */
static mr_status
hash_file(manifest *m, size_t fi, cutter *cu, mr_err *e)
{
	mf_file *f = &m->files[fi];
	struct stat st;
	uint64_t size, at = 0, off = 0;
	size_t n = 0, cap = 0;
	mr_status rv = MR_OK;
	int fd;

	/* O_NONBLOCK: should the path have become a FIFO since we looked,
	 * the open must not hang; it changes nothing for regular files. */
	if ((fd = open(f->source, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0)
		return client_sys_fail(e, "open", f->source);
	if (fstat(fd, &st) != 0) {
		rv = client_sys_fail(e, "stat", f->source);
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rv = mr_fail(e, MR_INVALID_ARGUMENT,
		    "%s is %s; an artifact holds only regular files", f->source,
		    kind_of(st.st_mode));
		goto out;
	}
	size = (uint64_t)st.st_size;
	/* Chunks hold at most MR_CDC_MAX bytes, so a file too big for the
	 * chunks left is refused before a byte of it is read. */
	if ((size + MR_CDC_MAX - 1) / MR_CDC_MAX > MR_CHUNKS_MAX - cu->chunks) {
		rv = chunks_exhausted(f, e);
		goto out;
	}
	assert(cu->start == cu->end);
	mr_sha256_begin(cu->c);
	for (;;) {
		Modelreg__V1__ChunkRef *ref;
		const uint8_t *p = cu->buf + cu->start;
		size_t len = 0;

		/* Cut with the bytes in hand, scanning only those not yet
		 * scanned; read more only when they do not decide the cut
		 * (fewer than MR_CDC_MAX, file not over). Reading a step at
		 * a time keeps a chunk's bytes in the CPU's cache from the
		 * read through the cut to both digests, and only the bytes
		 * of the chunk under way ever move. */
		if (cu->end > cu->start)
			len = mr_cdc_cut_more(
			    p, cu->end - cu->start, at == size, cu->seen);
		if (len == 0) {
			if (at == size)
				break;
			cu->seen = cu->end - cu->start;
			rv = refill(f, fd, cu->sink, &cu->buf, &cu->start,
			    &cu->end, &at, size, e);
			if (rv != MR_OK)
				goto out;
			continue;
		}
		assert(len <= cu->end - cu->start);
		if (cu->chunks == MR_CHUNKS_MAX) {
			rv = chunks_exhausted(f, e);
			goto out;
		}
		if (!reserve_ref(f, n, &cap)) {
			rv = oom(e);
			goto out;
		}
		ref = &f->refs[n];
		modelreg__v1__chunk_ref__init(ref);
		ref->offset = off;
		ref->length = (uint32_t)len;
		mr_sha256(cu->c, p, len, f->chunk_digests + n * MR_DIGEST_LEN);
		mr_sha256_update(cu->c, p, len);
		if (cu->sink != NULL) {
			mf_chunk ch = {fi, n, off, (uint32_t)len,
			    f->chunk_digests + n * MR_DIGEST_LEN, p};
			if ((rv = cu->sink->chunk(cu->sink->arg, &ch, e)) !=
			    MR_OK)
				goto out;
		}
		n++;
		cu->chunks++;
		off += len;
		cu->start += len;
		cu->seen = 0;
	}
	/* Bytes read at the end of a file that changed meanwhile may belong
	 * to neither version: refuse rather than register a mix. */
	if (!unchanged(fd, &st)) {
		rv = mr_fail(e, MR_ABORTED,
		    "%s changed while it was being read; register again",
		    f->source);
		goto out;
	}
	/* The arrays have stopped moving: point the refs into them. */
	if (n > 0 && (f->ref_ptrs = calloc(n, sizeof(*f->ref_ptrs))) == NULL) {
		rv = oom(e);
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		f->refs[i].digest.data = f->chunk_digests + i * MR_DIGEST_LEN;
		f->refs[i].digest.len = MR_DIGEST_LEN;
		f->ref_ptrs[i] = &f->refs[i];
	}
	mr_sha256_end(cu->c, f->digest);
	f->pb.size = size;
	f->pb.digest.data = f->digest;
	f->pb.digest.len = MR_DIGEST_LEN;
	f->pb.chunks = f->ref_ptrs;
	f->pb.n_chunks = n;
out:
	close(fd);
	return rv;
}

void
mf_reader_init(mf_reader *r)
{
	r->fd = -1;
	r->file = SIZE_MAX;
}

void
mf_reader_close(mf_reader *r)
{
	if (r->fd >= 0)
		close(r->fd);
	mf_reader_init(r);
}

mr_status
manifest_read_chunk(const manifest *m, mf_reader *r, size_t file, size_t chunk,
    uint8_t *buf, mr_err *e)
{
	const mf_file *f = &m->files[file];
	const Modelreg__V1__ChunkRef *ref = f->ref_ptrs[chunk];
	int err;

	if (r->file != file) {
		mf_reader_close(r);
		r->fd = open(f->source, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
		if (r->fd < 0)
			return client_sys_fail(e, "open", f->source);
		r->file = file;
	}
	if (!client_pread_full(r->fd, buf, ref->length, ref->offset, &err)) {
		if (err == 0)
			return mr_fail(e, MR_ABORTED,
			    "%s shrank since it was read; register again",
			    f->source);
		errno = err;
		return client_sys_fail(e, "read", f->source);
	}
	return MR_OK;
}

void
manifest_digest(mr_codec *c, Modelreg__V1__FileEntry *const *files, size_t n,
    uint8_t out[MR_DIGEST_LEN])
{
	mr_sha256_begin(c);
	for (size_t i = 0; i < n; i++) {
		uint8_t size[8];

		for (int k = 0; k < 8; k++)
			size[k] = (uint8_t)(files[i]->size >> (56 - 8 * k));
		mr_sha256_update(c, files[i]->path, strlen(files[i]->path) + 1);
		mr_sha256_update(c, size, sizeof(size));
		mr_sha256_update(c, files[i]->digest.data, MR_DIGEST_LEN);
	}
	mr_sha256_end(c, out);
}

/* Collects the files of the artifact at `path`, unhashed. */
static mr_status
collect(walk *w, const char *path, bool *directory, mr_err *e)
{
	struct stat st;
	const char *base;
	char *source, *rel;
	mr_status rv;

	/* The artifact path itself may be a symbolic link: the user named
	 * it. Only links inside a directory artifact are refused. */
	if (stat(path, &st) != 0)
		return client_sys_fail(e, "stat", path);
	if (S_ISDIR(st.st_mode)) {
		*directory = true;
		if ((source = strdup(path)) == NULL)
			return oom(e);
		rv = walk_dir(w, source, "", e);
		free(source);
		if (rv == MR_OK && w->n == 0)
			rv = mr_fail(e, MR_INVALID_ARGUMENT,
			    "directory %s holds no regular files; an artifact "
			    "needs at least one",
			    path);
		return rv;
	}
	if (!S_ISREG(st.st_mode))
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "%s is %s; an artifact is a regular file or a directory",
		    path, kind_of(st.st_mode));
	*directory = false;
	base = strrchr(path, '/');
	base = base != NULL ? base + 1 : path;
	if ((rv = mr_check_path(base, e)) != MR_OK)
		return rv;
	source = strdup(path);
	rel = strdup(base);
	if (source == NULL || rel == NULL) {
		free(source);
		free(rel);
		return oom(e);
	}
	return walk_add(w, source, rel, &st, e);
}

/*
 * The manifest travels in the one RegisterVersion request, under
 * MR_MSG_MAX. Refused here, before anything is read or sent, when even
 * its smallest encoding cannot fit: each file's path, digest and mode in
 * their entry (at least 41 bytes besides the path), and a chunk reference
 * (at least 40 bytes) per MR_CDC_MAX of data.
 */
static mr_status
check_manifest_size(const manifest *m, mr_err *e)
{
	uint64_t least = m->size_hint / MR_CDC_MAX * 40;

	for (size_t i = 0; i < m->n_files; i++)
		least += strlen(m->files[i].pb.path) + 41;
	if (least > MR_MSG_MAX - MANIFEST_ROOM)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "the manifest of %zu files would take at least %llu bytes; "
		    "a request holds %u (MR_MSG_MAX, less %u for the rest of "
		    "the registration): pack the files into fewer",
		    m->n_files, (unsigned long long)least, MR_MSG_MAX,
		    MANIFEST_ROOM);
	return MR_OK;
}

mr_status
manifest_open(manifest **out, const char *path, mr_err *e)
{
	walk w = {NULL, 0, 0, 0};
	bool directory = false;
	manifest *m;
	mr_status rv;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return oom(e);
	if ((rv = collect(&w, path, &directory, e)) != MR_OK)
		goto err_files;
	m->files = w.files;
	m->n_files = w.n;
	m->size_hint = w.bytes;
	w.files = NULL;
	w.n = 0;
	qsort(m->files, m->n_files, sizeof(mf_file), cmp_file);
	if ((m->entries = calloc(m->n_files, sizeof(*m->entries))) == NULL) {
		rv = oom(e);
		goto err_files;
	}
	for (size_t i = 0; i < m->n_files; i++)
		m->entries[i] = &m->files[i].pb;
	if ((rv = check_manifest_size(m, e)) != MR_OK)
		goto err_files;
	modelreg__v1__manifest__init(&m->pb);
	m->pb.format = 1;
	m->pb.directory = directory;
	m->pb.files = m->entries;
	m->pb.n_files = m->n_files;
	*out = m;
	return MR_OK;

err_files:
	for (size_t i = 0; i < w.n; i++) {
		free(w.files[i].source);
		free(w.files[i].pb.path);
	}
	free(w.files);
	manifest_free(m);
	return rv;
}

mr_status
manifest_cut(manifest *m, mr_codec *c, const mf_sink *sink, mr_err *e)
{
	cutter cu = {c, sink, NULL, 0, 0, 0, 0};
	uint64_t total = 0;
	mr_status rv = MR_OK;

	if (sink == NULL && (cu.buf = malloc(MF_BUF_SIZE)) == NULL)
		return oom(e);
	for (size_t i = 0; i < m->n_files && rv == MR_OK; i++) {
		rv = hash_file(m, i, &cu, e);
		total += m->files[i].pb.size;
	}
	if (sink == NULL)
		free(cu.buf);
	if (rv != MR_OK)
		return rv;
	manifest_digest(c, m->entries, m->n_files, m->digest);
	m->pb.digest.data = m->digest;
	m->pb.digest.len = MR_DIGEST_LEN;
	m->pb.total_size = total;
	m->pb.chunk_count = (uint32_t)cu.chunks;
	return MR_OK;
}

mr_status
manifest_build(manifest **out, const char *path, mr_codec *c, mr_err *e)
{
	manifest *m;
	mr_status rv;

	if ((rv = manifest_open(&m, path, e)) != MR_OK)
		return rv;
	if ((rv = manifest_cut(m, c, NULL, e)) != MR_OK) {
		manifest_free(m);
		return rv;
	}
	*out = m;
	return MR_OK;
}

void
manifest_free(manifest *m)
{
	if (m == NULL)
		return;
	for (size_t i = 0; i < m->n_files; i++) {
		mf_file *f = &m->files[i];
		free(f->pb.path);
		free(f->source);
		free(f->refs);
		free(f->ref_ptrs);
		free(f->chunk_digests);
	}
	free(m->files);
	free(m->entries);
	free(m);
}

mr_status
manifest_check(const Modelreg__V1__Manifest *m, mr_err *e)
{
	uint64_t chunks = 0, total = 0;
	mr_err pe;

	if (m == NULL)
		return mr_fail(e, MR_DATA_LOSS, "the version has no manifest");
	if (m->format != 1)
		return mr_fail(e, MR_UNIMPLEMENTED,
		    "manifest format %u is unknown to this client (it reads "
		    "format 1)",
		    m->format);
	if (m->digest.len != MR_DIGEST_LEN)
		return mr_fail(e, MR_DATA_LOSS,
		    "the manifest's artifact digest is %zu bytes, not %d",
		    m->digest.len, MR_DIGEST_LEN);
	if (!m->directory && m->n_files != 1)
		return mr_fail(e, MR_DATA_LOSS,
		    "a one-file manifest lists %zu files", m->n_files);
	if (m->n_files > MR_FILES_MAX)
		return mr_fail(e, MR_DATA_LOSS,
		    "the manifest lists %zu files; the limit is %d", m->n_files,
		    MR_FILES_MAX);
	for (size_t i = 0; i < m->n_files; i++) {
		const Modelreg__V1__FileEntry *f = m->files[i];
		uint64_t off = 0;

		if (mr_check_path(f->path, &pe) != MR_OK)
			return mr_fail(e, MR_DATA_LOSS, "manifest: %s", pe.msg);
		if (i > 0 && strcmp(m->files[i - 1]->path, f->path) >= 0)
			return mr_fail(e, MR_DATA_LOSS,
			    "manifest: \"%s\" is out of order or repeated",
			    f->path);
		if (f->digest.len != MR_DIGEST_LEN)
			return mr_fail(e, MR_DATA_LOSS,
			    "manifest: %s has a digest of %zu bytes", f->path,
			    f->digest.len);
		if (f->n_chunks > MR_CHUNKS_MAX - chunks)
			return mr_fail(e, MR_DATA_LOSS,
			    "manifest: more than %d chunks", MR_CHUNKS_MAX);
		chunks += f->n_chunks;
		for (size_t k = 0; k < f->n_chunks; k++) {
			const Modelreg__V1__ChunkRef *ch = f->chunks[k];

			if (ch->offset != off || ch->length == 0 ||
			    ch->length > MR_CHUNK_MAX ||
			    ch->digest.len != MR_DIGEST_LEN)
				return mr_fail(e, MR_DATA_LOSS,
				    "manifest: chunk %zu of %s is malformed "
				    "(offset %llu, length %u)",
				    k, f->path, (unsigned long long)ch->offset,
				    ch->length);
			off += ch->length;
		}
		if (off != f->size)
			return mr_fail(e, MR_DATA_LOSS,
			    "manifest: the chunks of %s cover %llu bytes of "
			    "%llu",
			    f->path, (unsigned long long)off,
			    (unsigned long long)f->size);
		total += f->size;
	}
	if (total != m->total_size || chunks != m->chunk_count)
		return mr_fail(e, MR_DATA_LOSS,
		    "manifest: totals (%llu bytes, %u chunks) do not match "
		    "its files (%llu bytes, %llu chunks)",
		    (unsigned long long)m->total_size, m->chunk_count,
		    (unsigned long long)total, (unsigned long long)chunks);
	return MR_OK;
}
