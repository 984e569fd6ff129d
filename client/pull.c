/*
 * pull.c - mr_pull: download a version's artifact, verified, and put it in
 * place all at once.
 *
 * Steps: GetVersion with chunk lists; check the manifest (manifest.c), so
 * that no path in it can point outside the destination; decide the final
 * path (the target) and refuse an existing one early unless overwriting;
 * build the artifact in a partial directory beside the target (same file
 * system, so the final rename is atomic); fsync; rename into place.
 *
 * The transfer is a pipeline. This thread keeps a window of GetChunk calls
 * in flight and hands each reply to PULL_THREADS worker threads, which
 * decode it, check it against its SHA-256 and write it at its offset, so
 * hashing and writing overlap with receiving. A chunk is written only
 * after it verifies, and the manifest's chunk lists are checked to cover
 * every file exactly, so the files are the registered bytes without
 * hashing each file again from the start (a second SHA-256 pass would
 * cost as much CPU as all the chunk checks). Writeback is started as each
 * chunk lands, so the final fsync finds little left to do.
 *
 * Chunks that need no transfer are not fetched:
 * - Resuming: the partial directory is named after the artifact digest
 *   ("<target>.mr-partial-<16 hex digits>") and is kept when a pull fails
 *   for a reason that may pass (the server went away, a deadline). A pull
 *   that finds it checks the chunks already there (holes are skipped, the
 *   rest hashed) and fetches only the others. A lock file keeps two pulls
 *   out of the same partial directory.
 * - The chunk cache (cache.c, opt->cache_dir): chunks found there are read
 *   and verified by the workers; chunks fetched are added to it.
 */
#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "artifacts.pb-c.h"
#include "cache.h"
#include "client.h"
#include "convert.h"
#include "manifest.h"
#include "wire.h"

/* Threads that verify and write chunks while this one receives. */
#define PULL_THREADS 2
/* Times a pull tries to lock a partial directory others keep removing. */
#define PULL_LOCK_TRIES 5

/* A chunk for the workers: fetched (a reply) or to read from the cache. */
typedef struct job {
	uint32_t file;
	uint32_t chunk;
	rpc_view reply; /* reply.msg NULL: from the cache */
} job;

typedef struct pfile {
	int fd;      /* open while chunks of it are being written */
	size_t left; /* chunks not yet in place */
	bool *have;  /* chunks a resumed pull found in place, or NULL */
} pfile;

typedef struct pull {
	mr_client *c;
	const Modelreg__V1__Manifest *mf;
	const mr_pull_options *opt;
	chunk_cache *cache;
	char *target; /* where the artifact ends up */
	bool exists;  /* something is at target now */
	char *tmp;    /* the partial directory, once made */
	char *root;   /* tmp/artifact: the file, or the directory */
	int lock_fd;  /* flock on tmp/lock */
	bool locked;  /* tmp is ours until we are done */
	bool keep;    /* leave tmp for a later pull to resume */

	/* Shared with the workers, under mu. */
	pthread_mutex_t mu;
	pthread_cond_t more; /* a job was queued, or closing */
	pthread_cond_t room; /* a job was taken, or a worker went idle */
	job *q;
	size_t q_cap, q_head, q_len;
	int busy;     /* workers running a job */
	bool closing; /* no more jobs: workers leave when the queue is empty */
	bool failed;  /* the first failure is in err */
	mr_err err;
	pfile *files;
	char **dirs; /* directories made under root, to fsync */
	size_t n_dirs;
	job *refetch; /* cache entries that failed their check */
	size_t n_refetch;

	_Atomic uint64_t done; /* bytes in place */
	_Atomic uint64_t chunks_sent, bytes_sent, chunks_reused, bytes_reused;
	pthread_t threads[PULL_THREADS];
	int n_threads;
} pull;

static mr_status
oom(mr_err *e)
{
	return mr_fail(e, MR_RESOURCE_EXHAUSTED, "out of memory");
}

static char *
path_join(const char *a, const char *b)
{
	char *p;

	return asprintf(&p, "%s/%s", a, b) < 0 ? NULL : p;
}

/* The directory holding `path`, for the fsync after a rename. */
static char *
parent_of(const char *path)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return strdup(".");
	if (slash == path)
		return strdup("/");
	return strndup(path, (size_t)(slash - path));
}

/* Works out the target path and whether something is there already. */
static mr_status
plan(pull *p, const char *dest)
{
	mr_err *e = &p->c->err;
	struct stat st;
	size_t len = strlen(dest);
	char *d;

	/* "out/" is "out": the temporary sibling must land beside it, not
	 * inside it. */
	while (len > 1 && dest[len - 1] == '/')
		len--;
	if ((d = strndup(dest, len)) == NULL)
		return oom(e);
	if (!p->mf->directory && stat(d, &st) == 0 && S_ISDIR(st.st_mode)) {
		const char *name = strrchr(p->mf->files[0]->path, '/');

		name = name != NULL ? name + 1 : p->mf->files[0]->path;
		p->target = path_join(d, name);
		free(d);
	} else {
		p->target = d;
	}
	if (p->target == NULL)
		return oom(e);
	if (lstat(p->target, &st) == 0)
		p->exists = true;
	else if (errno != ENOENT)
		return client_sys_fail(e, "stat", p->target);
	if (p->exists && !p->opt->overwrite)
		return mr_fail(e, MR_ALREADY_EXISTS,
		    "%s already exists; pull with overwrite to replace it",
		    p->target);
	return MR_OK;
}

/* mkdir -p of the directory that will hold the target. */
static mr_status
make_target_parents(pull *p)
{
	char *parent = parent_of(p->target);
	mr_status rv;

	if (parent == NULL)
		return oom(&p->c->err);
	rv = client_mkdirs(&p->c->err, parent);
	free(parent);
	return rv;
}

/* Records the first failure; the others are consequences of it. */
static mr_status
pull_fail(pull *p, const mr_err *e)
{
	pthread_mutex_lock(&p->mu);
	if (!p->failed) {
		p->failed = true;
		p->err = *e;
	}
	pthread_cond_broadcast(&p->room);
	pthread_mutex_unlock(&p->mu);
	return e->code;
}

/* Makes the directories above `rel` inside root, remembering each.
 * Called under mu. */
static mr_status
make_parents(pull *p, const char *rel, mr_err *e)
{
	for (const char *s = strchr(rel, '/'); s != NULL;
	     s = strchr(s + 1, '/')) {
		char *dir, *sub = strndup(rel, (size_t)(s - rel));
		char **dirs;

		if (sub == NULL || (dir = path_join(p->root, sub)) == NULL) {
			free(sub);
			return oom(e);
		}
		free(sub);
		if (mkdir(dir, 0777) != 0) {
			mr_status rv = errno == EEXIST
			    ? MR_OK
			    : client_sys_fail(e, "mkdir", dir);
			free(dir);
			if (rv != MR_OK)
				return rv;
			continue;
		}
		dirs = realloc(p->dirs, (p->n_dirs + 1) * sizeof(*dirs));
		if (dirs == NULL) {
			free(dir);
			return oom(e);
		}
		p->dirs = dirs;
		p->dirs[p->n_dirs++] = dir;
	}
	return MR_OK;
}

/* The path of file `i` inside root; NULL when out of memory. */
static char *
file_path(pull *p, size_t i)
{
	return p->mf->directory ? path_join(p->root, p->mf->files[i]->path)
	                        : strdup(p->root);
}

/*
 * Opens a file of the partial directory: never through a symbolic link,
 * never anything but a regular file (O_NONBLOCK, so that a FIFO cannot
 * block the open; it changes nothing for regular files). -1 with errno.
 */
static int
open_regular(const char *path, int flags)
{
	int fd = open(path, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	struct stat st;

	if (fd >= 0 && (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

/* Opens file `i` for writing (creating it and its directories). Called
 * under mu. */
static mr_status
open_file(pull *p, size_t i, mr_err *e)
{
	const Modelreg__V1__FileEntry *f = p->mf->files[i];
	mr_status rv;
	char *path;

	if (p->files[i].fd >= 0)
		return MR_OK;
	if (p->mf->directory && (rv = make_parents(p, f->path, e)) != MR_OK)
		return rv;
	if ((path = file_path(p, i)) == NULL)
		return oom(e);
	/* Not O_EXCL: a resumed pull reopens what it wrote before. */
	p->files[i].fd = open_regular(path, O_WRONLY | O_CREAT);
	if (p->files[i].fd < 0 || ftruncate(p->files[i].fd, (off_t)f->size)) {
		rv = client_sys_fail(e, "create", path);
		free(path);
		return rv;
	}
	free(path);
	return MR_OK;
}

/*
 * Sets a complete file's mode, syncs and closes it. The owner keeps read
 * and write until install() (which gives the exact mode to the few
 * files whose mode lacks them), so that a resumed pull can reopen any
 * file of the partial directory.
 */
static mr_status
finish_file(pull *p, size_t i, int fd, mr_err *e)
{
	const Modelreg__V1__FileEntry *f = p->mf->files[i];
	mr_status rv = MR_OK;

	if (fchmod(fd, (f->mode & 0777) | 0600) != 0 || fsync(fd) != 0)
		rv = client_sys_fail(e, "write", f->path);
	close(fd);
	return rv;
}

/* Gives the files whose mode lacks owner read or write their exact mode. */
static mr_status
exact_modes(pull *p)
{
	mr_err *e = &p->c->err;

	for (size_t i = 0; i < p->mf->n_files; i++) {
		mode_t mode = p->mf->files[i]->mode & 0777;
		char *path;
		int fd;

		if ((mode & 0600) == 0600)
			continue;
		if ((path = file_path(p, i)) == NULL)
			return oom(e);
		fd = open_regular(path, O_RDONLY);
		if (fd < 0 || fchmod(fd, mode) != 0 || fsync(fd) != 0) {
			mr_status rv = client_sys_fail(e, "chmod", path);
			if (fd >= 0)
				close(fd);
			free(path);
			return rv;
		}
		close(fd);
		free(path);
	}
	return MR_OK;
}

/* Writes verified bytes of file `i` at `off`; finishes the file with its
 * last chunk. */
static mr_status
place(pull *p, size_t i, uint64_t off, const uint8_t *bytes, uint32_t len,
    mr_err *e)
{
	const char *name = p->mf->files[i]->path;
	mr_status rv;
	int fd;

	pthread_mutex_lock(&p->mu);
	rv = open_file(p, i, e);
	fd = p->files[i].fd;
	pthread_mutex_unlock(&p->mu);
	if (rv != MR_OK)
		return rv;
	if (!client_pwrite_full(fd, bytes, len, off))
		return client_sys_fail(e, "write", name);
	/* Start writeback now rather than all at once in the fsync. */
	sync_file_range(fd, (off_t)off, len, SYNC_FILE_RANGE_WRITE);
	atomic_fetch_add(&p->done, len);
	pthread_mutex_lock(&p->mu);
	if (--p->files[i].left > 0)
		fd = -1;
	else
		p->files[i].fd = -1;
	pthread_mutex_unlock(&p->mu);
	return fd >= 0 ? finish_file(p, i, fd, e) : MR_OK;
}

/* A GetChunkResponse, read in place (see rpc_window_wait_view). */
typedef struct chunk_reply {
	int encoding;
	uint32_t raw_length;
	const uint8_t *data;
	size_t len;
} chunk_reply;

static bool
parse_chunk_reply(const rpc_view *v, chunk_reply *out)
{
	const uint8_t *p = v->data, *end = v->data + v->len;
	mr_wire_field f;
	int got;

	memset(out, 0, sizeof(*out));
	out->data = p; /* an empty chunk is no chunk: decode refuses it */
	while ((got = mr_wire_next(&p, end, &f)) > 0) {
		if (f.num == 1)
			out->encoding = (int)f.v;
		else if (f.num == 2)
			out->raw_length = (uint32_t)f.v;
		else if (f.num == 3 && f.p != NULL) {
			out->data = f.p;
			out->len = f.len;
		}
	}
	return got == 0;
}

/* Verifies one chunk and writes it. False sends it back to be fetched
 * (a cache entry that failed its check). */
static bool
run_job(pull *p, mr_codec *codec, uint8_t *buf, const job *j)
{
	const Modelreg__V1__FileEntry *f = p->mf->files[j->file];
	const Modelreg__V1__ChunkRef *ref = f->chunks[j->chunk];
	const uint8_t *bytes = buf;
	chunk_reply cr, *resp = &cr;
	mr_err e, why;

	if (j->reply.msg == NULL) {
		if (!cache_get(
		        p->cache, codec, ref->digest.data, ref->length, buf))
			return false;
		atomic_fetch_add(&p->chunks_reused, 1);
		atomic_fetch_add(&p->bytes_reused, ref->length);
	} else {
		if (!parse_chunk_reply(&j->reply, &cr)) {
			mr_fail(&e, MR_DATA_LOSS,
			    "chunk %u of %s: the server's reply is malformed",
			    j->chunk, f->path);
			pull_fail(p, &e);
			return true;
		}
		if (resp->raw_length != ref->length) {
			mr_fail(&e, MR_DATA_LOSS,
			    "chunk %u of %s: the server sent %u bytes, the "
			    "manifest says %u",
			    j->chunk, f->path, resp->raw_length, ref->length);
			pull_fail(p, &e);
			return true;
		}
		if (mr_chunk_decode(codec, resp->encoding, resp->data,
		        resp->len, ref->length, ref->digest.data, buf,
		        (const void **)&bytes, &why) != MR_OK) {
			mr_fail(&e, MR_DATA_LOSS,
			    "chunk %u of %s (offset %llu): %s", j->chunk,
			    f->path, (unsigned long long)ref->offset, why.msg);
			pull_fail(p, &e);
			return true;
		}
		if (p->cache != NULL)
			cache_put(
			    p->cache, ref->digest.data, bytes, ref->length);
		atomic_fetch_add(&p->chunks_sent, 1);
		atomic_fetch_add(&p->bytes_sent, resp->len);
	}
	if (place(p, j->file, ref->offset, bytes, ref->length, &e) != MR_OK)
		pull_fail(p, &e);
	return true;
}

static void *
worker_main(void *arg)
{
	pull *p = arg;
	mr_codec *codec = mr_codec_create();
	uint8_t *buf = malloc(MR_CHUNK_MAX);
	mr_err e;

	if (codec == NULL || buf == NULL) {
		oom(&e);
		pull_fail(p, &e);
	}
	pthread_mutex_lock(&p->mu);
	for (;;) {
		job j;
		bool done;

		while (p->q_len == 0 && !p->closing)
			pthread_cond_wait(&p->more, &p->mu);
		if (p->q_len == 0)
			break;
		j = p->q[p->q_head];
		p->q_head = (p->q_head + 1) % p->q_cap;
		p->q_len--;
		p->busy++;
		pthread_cond_broadcast(&p->room);
		if (p->failed || codec == NULL || buf == NULL) {
			/* Drain: what is queued is no longer wanted. */
			p->busy--;
			rpc_view_free(&j.reply);
			continue;
		}
		pthread_mutex_unlock(&p->mu);
		done = run_job(p, codec, buf, &j);
		rpc_view_free(&j.reply);
		pthread_mutex_lock(&p->mu);
		if (!done)
			p->refetch[p->n_refetch++] = j;
		p->busy--;
		pthread_cond_broadcast(&p->room);
	}
	pthread_mutex_unlock(&p->mu);
	mr_codec_free(codec);
	free(buf);
	return NULL;
}

/* Queues a job, waiting for room. False if the pull has failed (the
 * job's reply is freed). */
static bool
enqueue(pull *p, job j)
{
	bool ok;

	pthread_mutex_lock(&p->mu);
	while (p->q_len == p->q_cap && !p->failed)
		pthread_cond_wait(&p->room, &p->mu);
	ok = !p->failed;
	if (ok) {
		p->q[(p->q_head + p->q_len) % p->q_cap] = j;
		p->q_len++;
		pthread_cond_signal(&p->more);
	}
	pthread_mutex_unlock(&p->mu);
	if (!ok)
		rpc_view_free(&j.reply);
	return ok;
}

/* Waits until every queued job has run. */
static void
wait_idle(pull *p)
{
	pthread_mutex_lock(&p->mu);
	while ((p->q_len > 0 || p->busy > 0) && !p->failed)
		pthread_cond_wait(&p->room, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

static bool
failed(pull *p)
{
	bool f;

	pthread_mutex_lock(&p->mu);
	f = p->failed;
	pthread_mutex_unlock(&p->mu);
	return f;
}

static void
report(pull *p)
{
	if (p->opt->progress != NULL)
		p->opt->progress(p->opt->progress_arg, atomic_load(&p->done),
		    p->mf->total_size);
}

/* Adds where a failed call was to the message of its error. */
static mr_status
chunk_fail(pull *p, const job *j, const mr_err *e)
{
	mr_err full;

	mr_fail(&full, e->code, "chunk %u of %s: %s", j->chunk,
	    p->mf->files[j->file]->path, e->msg);
	return pull_fail(p, &full);
}

/*
 * One pass over `todo` (n jobs, file order): each is read from the cache
 * when `use_cache` says it is there, else fetched through a window of
 * calls; replies go to the workers in the order the calls were started.
 */
static mr_status
fetch_pass(pull *p, const job *todo, size_t n, bool use_cache)
{
	job *inflight = calloc((size_t)p->c->window, sizeof(*inflight));
	size_t head = 0, len = 0, next = 0;
	rpc_window *w;
	mr_err e;
	mr_status rv = MR_OK;

	if (inflight == NULL)
		return pull_fail(p, (oom(&e), &e));
	if (rpc_window_open(&w, p->c->rpc, p->c->window, &e) != MR_OK) {
		free(inflight);
		return pull_fail(p, &e);
	}
	while (!failed(p)) {
		Modelreg__V1__GetChunkRequest req =
		    MODELREG__V1__GET_CHUNK_REQUEST__INIT;
		const Modelreg__V1__ChunkRef *ref;
		uintptr_t tag;
		job j;

		if (next < n && !rpc_window_full(w)) {
			j = todo[next++];
			ref = p->mf->files[j.file]->chunks[j.chunk];
			if (use_cache &&
			    cache_has(p->cache, ref->digest.data)) {
				if (!enqueue(p, j))
					break;
				continue;
			}
			req.digest = ref->digest;
			if (rpc_window_start(
			        w, M_GET_CHUNK, &req.base, 0, &e) != MR_OK) {
				chunk_fail(p, &j, &e);
				break;
			}
			inflight[(head + len++) % (size_t)p->c->window] = j;
			continue;
		}
		if (rpc_window_empty(w))
			break;
		/* Replies come in start order: the oldest is inflight[head]. */
		j = inflight[head];
		head = (head + 1) % (size_t)p->c->window;
		len--;
		if (rpc_window_wait_view(w, &j.reply, &tag, &e) != MR_OK) {
			chunk_fail(p, &j, &e);
			break;
		}
		if (!enqueue(p, j))
			break;
		report(p);
	}
	rpc_window_close(w);
	free(inflight);
	wait_idle(p);
	pthread_mutex_lock(&p->mu);
	if (p->failed)
		rv = p->err.code;
	pthread_mutex_unlock(&p->mu);
	return rv;
}

/* Every chunk not yet in place, in file order. */
static job *
chunks_to_fetch(pull *p, size_t *n_out)
{
	const Modelreg__V1__Manifest *mf = p->mf;
	job *todo =
	    calloc(mf->chunk_count > 0 ? mf->chunk_count : 1, sizeof(*todo));
	size_t n = 0;

	if (todo == NULL)
		return NULL;
	for (size_t i = 0; i < mf->n_files; i++) {
		const bool *have = p->files[i].have;

		for (size_t k = 0; k < mf->files[i]->n_chunks; k++)
			if (have == NULL || !have[k])
				todo[n++] = (job){
				    .file = (uint32_t)i, .chunk = (uint32_t)k};
	}
	*n_out = n;
	return todo;
}
/* Syncs what we built and renames it into place. */
static mr_status
install(pull *p)
{
	mr_err *e = &p->c->err;
	struct stat st;
	char *old, *parent;
	mr_status rv;

	if ((rv = exact_modes(p)) != MR_OK)
		return rv;
	for (size_t i = p->n_dirs; i > 0; i--)
		if ((rv = client_fsync_dir(e, p->dirs[i - 1])) != MR_OK)
			return rv;
	if ((rv = client_fsync_dir(e, p->mf->directory ? p->root : p->tmp)) !=
	    MR_OK)
		return rv;
	if (!p->exists) {
		/* Someone may have put something there since we looked:
		 * refuse to replace it. */
		if (renameat2(AT_FDCWD, p->root, AT_FDCWD, p->target,
		        RENAME_NOREPLACE) != 0 &&
		    ((errno != EINVAL && errno != ENOSYS) ||
		        rename(p->root, p->target) != 0))
			return client_sys_fail(e, "rename into", p->target);
	} else if (!p->mf->directory && lstat(p->target, &st) == 0 &&
	    !S_ISDIR(st.st_mode)) {
		/* A file over a file: rename replaces it atomically. */
		if (rename(p->root, p->target) != 0)
			return client_sys_fail(e, "rename into", p->target);
	} else {
		/* Anything else moves aside into tmp first, and goes away
		 * with it. */
		if ((old = path_join(p->tmp, "old")) == NULL)
			return oom(e);
		if (rename(p->target, old) != 0) {
			rv = client_sys_fail(e, "move aside", p->target);
		} else if (rename(p->root, p->target) != 0) {
			rv = client_sys_fail(e, "rename into", p->target);
			if (rename(old, p->target) != 0) {
				/* What was there is in tmp: keep it. */
				char msg[MR_ERRMSG_MAX];
				snprintf(msg, sizeof(msg), "%s", e->msg);
				p->keep = true;
				mr_fail(e, rv, "%s; what was at %s is now %s",
				    msg, p->target, old);
			}
		}
		free(old);
		if (rv != MR_OK)
			return rv;
	}
	if ((parent = parent_of(p->target)) == NULL)
		return oom(e);
	rv = client_fsync_dir(e, parent);
	free(parent);
	return rv;
}

/*
 * Finds the chunks an interrupted pull left in place. Regions never
 * written are holes and are skipped unread (each file is created at its
 * full size); the rest is hashed, and a chunk counts only if it matches.
 */
static mr_status
resume(pull *p, uint8_t *buf)
{
	const Modelreg__V1__Manifest *mf = p->mf;
	mr_err *e = &p->c->err;
	mr_codec *codec = p->c->codec;

	for (size_t i = 0; i < mf->n_files; i++) {
		const Modelreg__V1__FileEntry *f = mf->files[i];
		pfile *pf = &p->files[i];
		uint8_t got[MR_DIGEST_LEN];
		struct stat st;
		size_t found = 0;
		char *path;
		int fd;

		if (f->n_chunks == 0)
			continue;
		if ((path = file_path(p, i)) == NULL)
			return oom(e);
		fd = open_regular(path, O_RDWR);
		free(path);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) != 0 ||
		    (pf->have = calloc(f->n_chunks, sizeof(bool))) == NULL) {
			close(fd);
			continue;
		}
		for (size_t k = 0; k < f->n_chunks; k++) {
			const Modelreg__V1__ChunkRef *ref = f->chunks[k];
			off_t off = (off_t)ref->offset;

			if (ref->offset + ref->length > (uint64_t)st.st_size)
				break;
			if (lseek(fd, off, SEEK_DATA) != off ||
			    !client_pread_full(
			        fd, buf, ref->length, ref->offset, NULL))
				continue;
			mr_sha256(codec, buf, ref->length, got);
			if (memcmp(got, ref->digest.data, MR_DIGEST_LEN) != 0)
				continue;
			pf->have[k] = true;
			found++;
			atomic_fetch_add(&p->done, ref->length);
			atomic_fetch_add(&p->chunks_reused, 1);
			atomic_fetch_add(&p->bytes_reused, ref->length);
		}
		pf->left -= found;
		if (found == 0) {
			close(fd);
		} else if (pf->left > 0) {
			if (ftruncate(fd, (off_t)f->size) != 0) {
				close(fd);
				return client_sys_fail(e, "truncate", f->path);
			}
			pf->fd = fd;
		} else {
			mr_status rv = MR_OK;
			if (ftruncate(fd, (off_t)f->size) != 0)
				rv = client_sys_fail(e, "truncate", f->path);
			if (rv != MR_OK ||
			    (rv = finish_file(p, i, fd, e)) != MR_OK)
				return rv;
		}
	}
	return MR_OK;
}

/* Creates the files that have no chunks: no fetch will bring them. */
static mr_status
create_empty_files(pull *p)
{
	mr_err *e = &p->c->err;
	mr_status rv;

	for (size_t i = 0; i < p->mf->n_files; i++) {
		if (p->mf->files[i]->n_chunks > 0)
			continue;
		if ((rv = open_file(p, i, e)) != MR_OK)
			return rv;
		rv = finish_file(p, i, p->files[i].fd, e);
		p->files[i].fd = -1;
		if (rv != MR_OK)
			return rv;
	}
	return MR_OK;
}

/*
 * Makes (or, resuming, reopens) the partial directory and locks it. It is
 * made 0700 and, when it exists, must be a directory of ours: its name is
 * predictable, and in a shared parent another user could otherwise plant
 * links in it for us to write through.
 *
 * The lock is a flock on tmp/lock. Whoever removes a partial directory
 * renames it away first while holding its lock (discard()), so a lock
 * taken on a file that has since been unlinked is worth nothing: we check
 * that the file we locked is still the one at tmp/lock, and start again
 * if not.
 */
static mr_status
make_partial(pull *p)
{
	mr_err *e = &p->c->err;
	char hex[2 * MR_DIGEST_LEN + 1], *lock;
	mr_status rv;

	if ((rv = make_target_parents(p)) != MR_OK)
		return rv;
	mr_digest_hex(p->mf->digest.data, hex);
	if (asprintf(&p->tmp, "%s.mr-partial-%.16s", p->target, hex) < 0) {
		p->tmp = NULL;
		return oom(e);
	}
	if ((lock = path_join(p->tmp, "lock")) == NULL)
		return oom(e);
	for (int tries = 0; !p->locked; tries++) {
		struct stat mine, there;

		if (tries == PULL_LOCK_TRIES) {
			free(lock);
			p->keep = true;
			return mr_fail(e, MR_ABORTED,
			    "%s keeps being removed under this pull", p->tmp);
		}
		if (mkdir(p->tmp, 0700) != 0 && errno != EEXIST) {
			free(lock);
			return client_sys_fail(e, "mkdir", p->tmp);
		}
		if (lstat(p->tmp, &there) != 0 || !S_ISDIR(there.st_mode) ||
		    there.st_uid != geteuid()) {
			free(lock);
			p->keep = true; /* not ours to remove */
			return mr_fail(e, MR_FAILED_PRECONDITION,
			    "%s is in the way: it is not a directory of this "
			    "user's; remove it",
			    p->tmp);
		}
		if (p->lock_fd >= 0)
			close(p->lock_fd);
		p->lock_fd = open_regular(lock, O_RDWR | O_CREAT);
		if (p->lock_fd < 0) {
			free(lock);
			p->keep = true;
			return client_sys_fail(
			    e, "create a lock file in", p->tmp);
		}
		if (flock(p->lock_fd, LOCK_EX | LOCK_NB) != 0) {
			free(lock);
			p->keep = true; /* it is someone else's */
			return mr_fail(e, MR_ABORTED,
			    "another pull into %s is under way (%s is locked)",
			    p->target, p->tmp);
		}
		p->locked = fstat(p->lock_fd, &mine) == 0 &&
		    mine.st_nlink > 0 && lstat(lock, &there) == 0 &&
		    mine.st_ino == there.st_ino && mine.st_dev == there.st_dev;
	}
	free(lock);
	if ((p->root = path_join(p->tmp, "artifact")) == NULL)
		return oom(e);
	if (p->mf->directory && mkdir(p->root, 0777) != 0 && errno != EEXIST)
		return client_sys_fail(e, "mkdir", p->root);
	return MR_OK;
}

/*
 * Removes a partial directory whose lock the caller holds: renamed away
 * first, so that a pull arriving meanwhile makes a new one rather than
 * locking a file about to be unlinked.
 */
static void
discard(const char *dir)
{
	static atomic_ulong seq;
	char *dead;

	if (asprintf(&dead, "%s.dead-%ld-%lu", dir, (long)getpid(),
	        atomic_fetch_add(&seq, 1)) < 0)
		return;
	if (rename(dir, dead) == 0)
		client_remove_tree(dead);
	free(dead);
}

/* Runs the pipeline over every chunk not yet in place. */
static mr_status
transfer(pull *p)
{
	size_t n = 0;
	job *todo;
	mr_status rv;

	if ((todo = chunks_to_fetch(p, &n)) == NULL ||
	    (p->refetch = calloc(n > 0 ? n : 1, sizeof(job))) == NULL ||
	    (p->q = calloc((size_t)p->c->window + 2 * PULL_THREADS,
	         sizeof(job))) == NULL) {
		free(todo);
		return oom(&p->c->err);
	}
	p->q_cap = (size_t)p->c->window + 2 * PULL_THREADS;
	for (; p->n_threads < PULL_THREADS; p->n_threads++)
		if (pthread_create(
		        &p->threads[p->n_threads], NULL, worker_main, p) != 0)
			break;
	if (p->n_threads == 0) {
		free(todo);
		return mr_fail(
		    &p->c->err, MR_RESOURCE_EXHAUSTED, "cannot start a thread");
	}
	rv = fetch_pass(p, todo, n, p->cache != NULL);
	if (rv == MR_OK && p->n_refetch > 0) {
		/* Cache entries that did not verify: fetch those. */
		size_t k = p->n_refetch;

		memcpy(todo, p->refetch, k * sizeof(job));
		p->n_refetch = 0;
		rv = fetch_pass(p, todo, k, false);
	}
	pthread_mutex_lock(&p->mu);
	p->closing = true;
	pthread_cond_broadcast(&p->more);
	pthread_mutex_unlock(&p->mu);
	for (int i = 0; i < p->n_threads; i++)
		pthread_join(p->threads[i], NULL);
	free(todo);
	if (rv != MR_OK)
		p->c->err = p->err;
	return rv;
}

/* Failures after which the partial directory is worth keeping. */
static bool
resumable(mr_status rv)
{
	return rv == MR_UNAVAILABLE || rv == MR_DEADLINE_EXCEEDED ||
	    rv == MR_CANCELLED || rv == MR_RESOURCE_EXHAUSTED;
}

/*
 * Removes partial directories of other artifacts left beside the target
 * by interrupted pulls, unless a pull is using them.
 */
static void
remove_stale_partials(pull *p)
{
	char *parent = parent_of(p->target);
	const char *base = strrchr(p->target, '/');
	char prefix[NAME_MAX + 1];
	struct dirent *d;
	DIR *dir;

	base = base != NULL ? base + 1 : p->target;
	if (parent == NULL || (dir = opendir(parent)) == NULL) {
		free(parent);
		return;
	}
	snprintf(prefix, sizeof(prefix), "%s.mr-partial-", base);
	while ((d = readdir(dir)) != NULL) {
		char *path, *lock;
		struct stat st;
		int fd;

		if (strncmp(d->d_name, prefix, strlen(prefix)) != 0 ||
		    (path = path_join(parent, d->d_name)) == NULL)
			continue;
		if (lstat(path, &st) != 0 || !S_ISDIR(st.st_mode) ||
		    st.st_uid != geteuid()) {
			free(path);
			continue;
		}
		if ((lock = path_join(path, "lock")) != NULL &&
		    (fd = open_regular(lock, O_RDWR)) >= 0) {
			if (flock(fd, LOCK_EX | LOCK_NB) == 0)
				discard(path);
			close(fd);
		}
		free(lock);
		free(path);
	}
	closedir(dir);
	free(parent);
}

static mr_status
pull_artifact(pull *p, const char *dest)
{
	mr_codec *codec = p->c->codec;
	uint8_t got[MR_DIGEST_LEN];
	uint8_t *buf;
	mr_status rv;

	if ((rv = plan(p, dest)) != MR_OK || (rv = make_partial(p)) != MR_OK)
		return rv;
	if ((p->files = calloc(p->mf->n_files, sizeof(*p->files))) == NULL)
		return oom(&p->c->err);
	for (size_t i = 0; i < p->mf->n_files; i++) {
		p->files[i].fd = -1;
		p->files[i].left = p->mf->files[i]->n_chunks;
	}
	/* The artifact digest covers the file digests the manifest lists:
	 * check it before anything is fetched. */
	manifest_digest(codec, p->mf->files, p->mf->n_files, got);
	if (memcmp(got, p->mf->digest.data, MR_DIGEST_LEN) != 0)
		return mr_fail(&p->c->err, MR_DATA_LOSS,
		    "the files do not add up to the artifact digest");
	if (p->opt->cache_dir != NULL &&
	    (rv = cache_open(&p->cache, p->opt->cache_dir, &p->c->err)) !=
	        MR_OK)
		return rv;
	if ((buf = malloc(MR_CHUNK_MAX)) == NULL)
		return oom(&p->c->err);
	rv = resume(p, buf);
	free(buf);
	if (rv != MR_OK || (rv = create_empty_files(p)) != MR_OK)
		return rv;
	report(p);
	if ((rv = transfer(p)) != MR_OK) {
		p->keep = resumable(rv);
		return rv;
	}
	report(p);
	if ((rv = install(p)) == MR_OK) {
		remove_stale_partials(p);
		if (p->cache != NULL && p->opt->cache_max_bytes > 0)
			cache_trim(p->cache, p->opt->cache_max_bytes);
	}
	return rv;
}

mr_status
mr_pull(mr_client *c, const char *name, const char *version, mr_stage stage,
    const char *dest, const mr_pull_options *opt, mr_version **out)
{
	static const mr_pull_options defaults;
	Modelreg__V1__GetVersionResponse *resp;
	pull p;
	mr_status rv;

	if (c == NULL)
		return MR_INVALID_ARGUMENT;
	mr_err_clear(&c->err);
	memset(&c->stats, 0, sizeof(c->stats));
	if (dest == NULL || dest[0] == '\0')
		return mr_fail(
		    &c->err, MR_INVALID_ARGUMENT, "no destination given");
	rv = client_get_version(c, name, version, stage, true, &resp);
	if (rv != MR_OK)
		return rv;
	memset(&p, 0, sizeof(p));
	p.c = c;
	p.opt = opt != NULL ? opt : &defaults;
	p.lock_fd = -1;
	pthread_mutex_init(&p.mu, NULL);
	pthread_cond_init(&p.more, NULL);
	pthread_cond_init(&p.room, NULL);
	if (resp->version == NULL) {
		rv = mr_fail(&c->err, MR_INTERNAL,
		    "the server's answer holds no version");
		goto out;
	}
	p.mf = resp->version->manifest;
	if ((rv = manifest_check(p.mf, &c->err)) != MR_OK)
		goto out;
	c->stats.files = p.mf->n_files;
	c->stats.chunks = p.mf->chunk_count;
	c->stats.bytes = p.mf->total_size;
	rv = pull_artifact(&p, dest);
	c->stats.chunks_sent = atomic_load(&p.chunks_sent);
	c->stats.bytes_sent = atomic_load(&p.bytes_sent);
	c->stats.chunks_reused = atomic_load(&p.chunks_reused);
	c->stats.bytes_reused = atomic_load(&p.bytes_reused);
	if (rv != MR_OK && p.keep && p.locked) {
		char msg[MR_ERRMSG_MAX];
		snprintf(msg, sizeof(msg), "%s", c->err.msg);
		mr_fail(&c->err, rv,
		    "%s (%llu of %llu bytes are in place; pull again to "
		    "resume)",
		    msg, (unsigned long long)atomic_load(&p.done),
		    (unsigned long long)p.mf->total_size);
	}
	if (rv == MR_OK && out != NULL)
		rv = cv_version_new(out, resp->version, &c->err);
out:
	if (p.files != NULL) {
		for (size_t i = 0; i < p.mf->n_files; i++) {
			if (p.files[i].fd >= 0)
				close(p.files[i].fd);
			free(p.files[i].have);
		}
	}
	if (p.tmp != NULL && p.locked && !p.keep)
		discard(p.tmp);
	if (p.lock_fd >= 0)
		close(p.lock_fd);
	for (size_t i = 0; i < p.n_dirs; i++)
		free(p.dirs[i]);
	cache_close(p.cache);
	pthread_mutex_destroy(&p.mu);
	pthread_cond_destroy(&p.more);
	pthread_cond_destroy(&p.room);
	free(p.files);
	free(p.dirs);
	free(p.q);
	free(p.refetch);
	free(p.root);
	free(p.tmp);
	free(p.target);
	rpc_reply_free(&resp->base);
	return rv;
}
