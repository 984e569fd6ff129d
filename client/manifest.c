/*
 * manifest.c - building a manifest from local files, checking a received
 * one.
 *
 * Building walks the tree first (lstat only, so nothing is read from a
 * path that turns out to be refused), sorts the files by path bytewise,
 * then reads each file with pread through a window of 2 * MR_CDC_MAX
 * bytes and cuts it where its content says (common/cdc.c), so that an
 * edit moves only the chunk boundaries near it and a new version shares
 * every other chunk with the old. Each chunk is hashed on its own (its
 * name in the chunk store) and into the file's running digest. Memory
 * stays at the window whatever the artifact size, and a file that shrinks
 * while we read it is an error rather than the SIGBUS a mapping would
 * give. The number of chunks is known only once a file is cut, so the
 * chunk refs grow as cuts are found.
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

/*
 * The window a file is cut through: twice the largest chunk, so that a
 * refill reads at least MR_CDC_MAX bytes however much of the window is
 * still uncut, and no byte is moved more than once.
 */
#define MF_CUT_BUF (2 * (size_t)MR_CDC_MAX)

typedef struct walk {
	mf_file *files;
	size_t n;
	size_t cap;
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
walk_add(walk *w, char *source, char *rel, mode_t mode, mr_err *e)
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
	f->pb.mode = (uint32_t)(mode & 0777);
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
			rv = walk_add(w, src, r, st.st_mode, e);
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

/* Reads exactly `len` bytes at `off`; false if the file ends first. */
static bool
read_full(int fd, uint8_t *buf, size_t len, uint64_t off, int *err)
{
	size_t done = 0;

	*err = 0;
	while (done < len) {
		ssize_t n =
		    pread(fd, buf + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			*err = n < 0 ? errno : 0;
			return false;
		}
		done += (size_t)n;
	}
	return true;
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
 * Makes buf[*start..*end) hold at least MR_CDC_MAX bytes, or all that is
 * left of the file's first `size` bytes: moves the bytes not yet cut to
 * the front and reads after them. *at is the file offset of buf[*end].
 */
static mr_status
refill(mf_file *f, int fd, uint8_t *buf, size_t *start, size_t *end,
    uint64_t *at, uint64_t size, mr_err *e)
{
	size_t keep = *end - *start, want;
	int err;

	/* Less than MR_CDC_MAX is kept, so a read of at least MR_CDC_MAX
	 * fits, and the next refill comes only once more than that has been
	 * cut: no byte is moved twice. */
	assert(keep < MR_CDC_MAX);
	memmove(buf, buf + *start, keep);
	want = MF_CUT_BUF - keep;
	if (want > size - *at)
		want = (size_t)(size - *at);
	if (!read_full(fd, buf + keep, want, *at, &err)) {
		if (err == 0)
			return mr_fail(e, MR_ABORTED,
			    "%s shrank while it was being read", f->source);
		errno = err;
		return client_sys_fail(e, "read", f->source);
	}
	*start = 0;
	*end = keep + want;
	*at += want;
	return MR_OK;
}

/*
 * Cuts one file into content-defined chunks and digests them and the
 * whole file. `buf` holds MF_CUT_BUF bytes.
 */
static mr_status
hash_file(
    mf_file *f, mr_codec *c, uint8_t *buf, uint64_t *chunks_total, mr_err *e)
{
	struct stat st;
	uint64_t size, at = 0, off = 0;
	size_t start = 0, end = 0, n = 0, cap = 0;
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
	if ((size + MR_CDC_MAX - 1) / MR_CDC_MAX >
	    MR_CHUNKS_MAX - *chunks_total) {
		rv = chunks_exhausted(f, e);
		goto out;
	}
	mr_sha256_begin(c);
	for (;;) {
		Modelreg__V1__ChunkRef *ref;
		size_t len;

		if (end - start < MR_CDC_MAX && at < size) {
			rv = refill(f, fd, buf, &start, &end, &at, size, e);
			if (rv != MR_OK)
				goto out;
		}
		if (start == end)
			break;
		/* With MR_CDC_MAX bytes in hand or the rest of the file, the
		 * cut is always decided. */
		len = mr_cdc_cut(buf + start, end - start, at == size);
		assert(len > 0 && len <= end - start);
		if (*chunks_total == MR_CHUNKS_MAX) {
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
		mr_sha256(
		    c, buf + start, len, f->chunk_digests + n * MR_DIGEST_LEN);
		mr_sha256_update(c, buf + start, len);
		n++;
		(*chunks_total)++;
		off += len;
		start += len;
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
	mr_sha256_end(c, f->digest);
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
	if (!read_full(r->fd, buf, ref->length, ref->offset, &err)) {
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
	return walk_add(w, source, rel, st.st_mode, e);
}

mr_status
manifest_build(manifest **out, const char *path, mr_codec *c, mr_err *e)
{
	walk w = {NULL, 0, 0};
	uint64_t chunks = 0, total = 0;
	bool directory = false;
	manifest *m;
	uint8_t *buf;
	mr_status rv;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return oom(e);
	if ((rv = collect(&w, path, &directory, e)) != MR_OK)
		goto err_files;
	m->files = w.files;
	m->n_files = w.n;
	w.files = NULL;
	w.n = 0;
	qsort(m->files, m->n_files, sizeof(mf_file), cmp_file);
	if ((buf = malloc(MF_CUT_BUF)) == NULL ||
	    (m->entries = calloc(m->n_files, sizeof(*m->entries))) == NULL) {
		free(buf);
		rv = oom(e);
		goto err_files;
	}
	for (size_t i = 0; i < m->n_files && rv == MR_OK; i++) {
		rv = hash_file(&m->files[i], c, buf, &chunks, e);
		m->entries[i] = &m->files[i].pb;
		total += m->files[i].pb.size;
	}
	free(buf);
	if (rv != MR_OK)
		goto err_files;
	modelreg__v1__manifest__init(&m->pb);
	m->pb.format = 1;
	m->pb.directory = directory;
	m->pb.files = m->entries;
	m->pb.n_files = m->n_files;
	manifest_digest(c, m->entries, m->n_files, m->digest);
	m->pb.digest.data = m->digest;
	m->pb.digest.len = MR_DIGEST_LEN;
	m->pb.total_size = total;
	m->pb.chunk_count = (uint32_t)chunks;
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
