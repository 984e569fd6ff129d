/*
 * pull.c - mr_pull: download a version's artifact, verified, and put it in
 * place all at once.
 *
 * Steps: GetVersion with chunk lists; check the manifest (manifest.c), so
 * that no path in it can point outside the destination; decide the final
 * path (the target) and refuse an existing one early unless overwriting;
 * make a temporary directory beside the target ("<target>.mr-tmp-XXXXXX",
 * same file system, so the final rename is atomic) and build the artifact
 * inside it as "artifact"; fetch every chunk with GetChunk through a
 * window of calls in flight, decoding and verifying each one before a
 * byte of it is written; check each file's digest as it completes and
 * the artifact digest at the end; fsync files and directories; rename
 * into place. Whatever fails, the temporary directory is removed, so
 * nothing appears at the destination.
 *
 * Replies come back in the order the calls were started, which is file
 * order then offset order, so files are written front to back one at a
 * time and each file's digest is computed as it is written, without
 * reading anything back.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "artifacts.pb-c.h"
#include "client.h"
#include "convert.h"
#include "manifest.h"

typedef struct pull {
	mr_client *c;
	const Modelreg__V1__Manifest *mf;
	const mr_pull_options *opt;
	char *target; /* where the artifact ends up */
	bool exists;  /* something is at target now */
	char *tmp;    /* the temporary directory, once made */
	char *root;   /* tmp/artifact: the file, or the directory */
	char **dirs;  /* directories made under root, to fsync */
	size_t n_dirs;
	size_t next; /* files created so far; the last is open if fd >= 0 */
	int fd;
	uint8_t *buf;  /* one decoded chunk */
	uint64_t done; /* bytes written */
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

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* Removes a tree we made; best effort, as it runs on failure paths. */
static void
remove_tree(const char *path)
{
	nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static mr_status
fsync_path(mr_err *e, const char *path)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || fsync(fd) != 0) {
		mr_status rv = client_sys_fail(e, "fsync", path);
		if (fd >= 0)
			close(fd);
		return rv;
	}
	close(fd);
	return MR_OK;
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
	mr_status rv = MR_OK;

	if (parent == NULL)
		return oom(&p->c->err);
	for (char *s = parent + 1;; s++) {
		bool end = *s == '\0';
		if (*s != '/' && !end)
			continue;
		*s = '\0';
		if (mkdir(parent, 0777) != 0 && errno != EEXIST) {
			rv = client_sys_fail(&p->c->err, "mkdir", parent);
			break;
		}
		if (end)
			break;
		*s = '/';
	}
	free(parent);
	return rv;
}

static mr_status
make_tmp(pull *p)
{
	mr_err *e = &p->c->err;
	mr_status rv;

	if ((rv = make_target_parents(p)) != MR_OK)
		return rv;
	if (asprintf(&p->tmp, "%s.mr-tmp-XXXXXX", p->target) < 0) {
		p->tmp = NULL;
		return oom(e);
	}
	if (mkdtemp(p->tmp) == NULL) {
		rv = client_sys_fail(e, "create a temporary directory", p->tmp);
		free(p->tmp);
		p->tmp = NULL;
		return rv;
	}
	if ((p->root = path_join(p->tmp, "artifact")) == NULL)
		return oom(e);
	if (p->mf->directory && mkdir(p->root, 0777) != 0)
		return client_sys_fail(e, "mkdir", p->root);
	return MR_OK;
}

/* Makes the directories above `rel` inside root, remembering each. */
static mr_status
make_parents(pull *p, const char *rel)
{
	mr_err *e = &p->c->err;

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

/* Checks, fsyncs and closes the file being written. */
static mr_status
finish_file(pull *p)
{
	const Modelreg__V1__FileEntry *f = p->mf->files[p->next - 1];
	uint8_t got[MR_DIGEST_LEN];
	mr_err *e = &p->c->err;
	mr_status rv = MR_OK;

	mr_sha256_end(p->c->codec, got);
	if (memcmp(got, f->digest.data, MR_DIGEST_LEN) != 0) {
		char want_hex[65], got_hex[65];
		rv = mr_fail(e, MR_DATA_LOSS,
		    "file %s does not match its digest: expected %s, got %s",
		    f->path, mr_digest_hex(f->digest.data, want_hex),
		    mr_digest_hex(got, got_hex));
	} else if (fchmod(p->fd, f->mode & 0777) != 0 || fsync(p->fd) != 0) {
		rv = client_sys_fail(e, "write", f->path);
	}
	close(p->fd);
	p->fd = -1;
	return rv;
}

static mr_status
create_file(pull *p, const Modelreg__V1__FileEntry *f)
{
	mr_err *e = &p->c->err;
	mr_status rv;
	char *path;

	if (p->mf->directory) {
		if ((rv = make_parents(p, f->path)) != MR_OK)
			return rv;
		path = path_join(p->root, f->path);
	} else {
		path = strdup(p->root);
	}
	if (path == NULL)
		return oom(e);
	p->fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (p->fd < 0) {
		rv = client_sys_fail(e, "create", path);
		free(path);
		return rv;
	}
	free(path);
	mr_sha256_begin(p->c->codec);
	return MR_OK;
}

/*
 * Makes `file` the open one, finishing the files before it (empty ones
 * have no chunks to bring them here). With file == n_files, finishes all.
 */
static mr_status
advance_to(pull *p, size_t file)
{
	mr_status rv;

	for (;;) {
		if (p->fd >= 0 && p->next == file + 1)
			return MR_OK;
		if (p->fd >= 0 && (rv = finish_file(p)) != MR_OK)
			return rv;
		if (p->next == p->mf->n_files)
			return MR_OK;
		if ((rv = create_file(p, p->mf->files[p->next])) != MR_OK)
			return rv;
		p->next++;
	}
}

/* Verifies one fetched chunk and writes it where it belongs. */
static mr_status
write_chunk(
    pull *p, size_t file, size_t k, const Modelreg__V1__GetChunkResponse *resp)
{
	const Modelreg__V1__FileEntry *f = p->mf->files[file];
	const Modelreg__V1__ChunkRef *ref = f->chunks[k];
	mr_err *e = &p->c->err;
	const uint8_t *bytes;
	size_t off = 0;
	mr_err why;
	mr_status rv;

	if ((rv = advance_to(p, file)) != MR_OK)
		return rv;
	if (resp->raw_length != ref->length)
		return mr_fail(e, MR_DATA_LOSS,
		    "chunk %zu of %s: the server sent %u bytes, the manifest "
		    "says %u",
		    k, f->path, resp->raw_length, ref->length);
	rv = mr_chunk_decode(p->c->codec, (int)resp->encoding, resp->data.data,
	    resp->data.len, ref->length, ref->digest.data, p->buf,
	    (const void **)&bytes, &why);
	if (rv != MR_OK)
		return mr_fail(e, MR_DATA_LOSS,
		    "chunk %zu of %s (offset %llu): %s", k, f->path,
		    (unsigned long long)ref->offset, why.msg);
	while (off < ref->length) {
		ssize_t n = pwrite(p->fd, bytes + off, ref->length - off,
		    (off_t)(ref->offset + off));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return client_sys_fail(e, "write", f->path);
		off += (size_t)n;
	}
	mr_sha256_update(p->c->codec, bytes, ref->length);
	p->c->stats.chunks_sent++;
	p->c->stats.bytes_sent += resp->data.len;
	p->done += ref->length;
	if (p->opt->progress != NULL)
		p->opt->progress(
		    p->opt->progress_arg, p->done, p->mf->total_size);
	return MR_OK;
}

/* Adds where a failed call was to the message of its error. */
static mr_status
chunk_fail(pull *p, size_t file, size_t k, mr_status rv)
{
	mr_err *e = &p->c->err;
	char msg[MR_ERRMSG_MAX];

	snprintf(msg, sizeof(msg), "%s", e->msg);
	return mr_fail(
	    e, rv, "chunk %zu of %s: %s", k, p->mf->files[file]->path, msg);
}

/* Fetches every chunk, in file order, through a window of calls. */
static mr_status
fetch(pull *p)
{
	const Modelreg__V1__Manifest *mf = p->mf;
	size_t sf = 0, sk = 0; /* next chunk to ask for */
	size_t wf = 0, wk = 0; /* next chunk to arrive */
	rpc_window *w;
	mr_status rv;

	if ((rv = rpc_window_open(&w, p->c->rpc, p->c->window, &p->c->err)) !=
	    MR_OK)
		return rv;
	for (;;) {
		Modelreg__V1__GetChunkRequest req =
		    MODELREG__V1__GET_CHUNK_REQUEST__INIT;
		Modelreg__V1__GetChunkResponse *resp;
		uintptr_t tag;

		while (sf < mf->n_files && sk == mf->files[sf]->n_chunks) {
			sf++;
			sk = 0;
		}
		if (sf < mf->n_files && !rpc_window_full(w)) {
			req.digest = mf->files[sf]->chunks[sk]->digest;
			rv = rpc_window_start(
			    w, M_GET_CHUNK, &req.base, 0, &p->c->err);
			if (rv != MR_OK)
				break;
			sk++;
			continue;
		}
		if (rpc_window_empty(w))
			break;
		/* Replies come in start order, so the oldest call is for
		 * the next chunk in file order and needs no tag. */
		while (wk == mf->files[wf]->n_chunks) {
			wf++;
			wk = 0;
		}
		rv = rpc_window_wait(w,
		    &modelreg__v1__get_chunk_response__descriptor,
		    (ProtobufCMessage **)&resp, &tag, &p->c->err);
		if (rv != MR_OK) {
			rv = chunk_fail(p, wf, wk, rv);
			break;
		}
		rv = write_chunk(p, wf, wk, resp);
		rpc_reply_free(&resp->base);
		if (rv != MR_OK)
			break;
		wk++;
	}
	rpc_window_close(w);
	if (rv == MR_OK)
		rv = advance_to(p, mf->n_files);
	return rv;
}

/* Syncs what we built and renames it into place. */
static mr_status
install(pull *p)
{
	mr_err *e = &p->c->err;
	struct stat st;
	char *old, *parent;
	mr_status rv = MR_OK;

	for (size_t i = p->n_dirs; i > 0; i--)
		if ((rv = fsync_path(e, p->dirs[i - 1])) != MR_OK)
			return rv;
	if ((rv = fsync_path(e, p->mf->directory ? p->root : p->tmp)) != MR_OK)
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
			rename(old, p->target);
		}
		free(old);
		if (rv != MR_OK)
			return rv;
	}
	if ((parent = parent_of(p->target)) == NULL)
		return oom(e);
	rv = fsync_path(e, parent);
	free(parent);
	return rv;
}

static mr_status
pull_artifact(pull *p, const char *dest)
{
	mr_codec *codec = p->c->codec;
	uint8_t got[MR_DIGEST_LEN];
	mr_status rv;

	if ((rv = plan(p, dest)) != MR_OK || (rv = make_tmp(p)) != MR_OK)
		return rv;
	if ((p->buf = malloc(MR_CHUNK_MAX)) == NULL)
		return oom(&p->c->err);
	if (p->opt->progress != NULL)
		p->opt->progress(p->opt->progress_arg, 0, p->mf->total_size);
	if ((rv = fetch(p)) != MR_OK)
		return rv;
	manifest_digest(codec, p->mf->files, p->mf->n_files, got);
	if (memcmp(got, p->mf->digest.data, MR_DIGEST_LEN) != 0)
		return mr_fail(&p->c->err, MR_DATA_LOSS,
		    "the files do not add up to the artifact digest");
	return install(p);
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
	p.fd = -1;
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
	if (rv == MR_OK && out != NULL)
		rv = cv_version_new(out, resp->version, &c->err);
out:
	if (p.fd >= 0)
		close(p.fd);
	if (p.tmp != NULL)
		remove_tree(p.tmp);
	for (size_t i = 0; i < p.n_dirs; i++)
		free(p.dirs[i]);
	free(p.dirs);
	free(p.buf);
	free(p.root);
	free(p.tmp);
	free(p.target);
	rpc_reply_free(&resp->base);
	return rv;
}
