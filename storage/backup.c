/*
 * backup.c - online backups (RocksDB checkpoints) and offline restores.
 *
 * A backup is a RocksDB checkpoint of the live database: a directory that
 * is itself a database, holding one point in time. SST files are
 * immutable, so on the store's file system they are hard links; the WAL
 * and the small metadata files are copies. The checkpoint is taken under
 * the store's writer lock, so that no commit lands while its files are
 * listed and the revision it holds is exactly the store's revision at
 * that moment: commits wait for the duration (mostly a memtable flush),
 * reads and chunk uploads do not.
 *
 * A restore is a plain copy of a backup's files, each fsynced, into a
 * directory beside the data directory, which is opened as a store (the
 * check that it is one, and what reports its revision), closed, and only
 * then renamed into place: a restore that fails leaves the data directory
 * as it was. Copies, not links: a backup must stay a backup once the
 * restored store starts compacting.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "storeint.h"

/* Read and write size of the restore's copy loop. */
#define BACKUP_COPY_BUF (1u << 20)

static mr_status
sys_fail(mr_err *e, const char *what, const char *path)
{
	int err = errno;
	mr_status code = MR_UNAVAILABLE;

	if (err == ENOSPC || err == EDQUOT)
		code = MR_RESOURCE_EXHAUSTED;
	else if (err == EACCES || err == EPERM || err == EROFS)
		code = MR_PERMISSION_DENIED;
	return mr_fail(e, code, "%s %s: %s", what, path, strerror(err));
}

/* What is at `path`: -1 nothing, 0 an empty directory, 1 anything else. */
static int
path_state(const char *path)
{
	struct stat st;
	struct dirent *d;
	DIR *dir;
	int state = 0;

	if (lstat(path, &st) != 0)
		return errno == ENOENT ? -1 : 1;
	if (!S_ISDIR(st.st_mode) || (dir = opendir(path)) == NULL)
		return 1;
	while ((d = readdir(dir)) != NULL)
		if (strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0) {
			state = 1;
			break;
		}
	closedir(dir);
	return state;
}

static mr_status
fsync_path(const char *path, mr_err *e)
{
	int fd = open(path, O_RDONLY | O_DIRECTORY);
	mr_status rv = MR_OK;

	if (fd < 0)
		return sys_fail(e, "open", path);
	if (fsync(fd) != 0)
		rv = sys_fail(e, "fsync", path);
	close(fd);
	return rv;
}

/* The parent directory of `path` (absolute, no trailing slash) in out. */
static void
parent_of(const char *path, char out[PATH_MAX])
{
	const char *slash = strrchr(path, '/');
	size_t n = slash == path ? 1 : (size_t)(slash - path);

	memcpy(out, path, n);
	out[n] = '\0';
}

/*
 * Copies `path` into out[PATH_MAX] without trailing slashes, checking that
 * it is absolute and fits. `what` names it in errors.
 */
static mr_status
clean_path(const char *path, const char *what, char out[PATH_MAX], mr_err *e)
{
	size_t n = strlen(path);

	if (n == 0)
		return mr_fail(e, MR_INVALID_ARGUMENT, "%s is empty", what);
	if (path[0] != '/')
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "%s \"%.200s\" is not an absolute path", what, path);
	if (n >= PATH_MAX - 32)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "%s is %zu bytes long; at most %d", what, n, PATH_MAX - 33);
	while (n > 1 && path[n - 1] == '/')
		n--;
	if (n == 1)
		return mr_fail(e, MR_INVALID_ARGUMENT, "%s cannot be /", what);
	memcpy(out, path, n);
	out[n] = '\0';
	return MR_OK;
}

/* Total size of the regular files directly in `path`. */
static uint64_t
dir_bytes(const char *path)
{
	char file[2 * PATH_MAX];
	struct dirent *d;
	uint64_t total = 0;
	struct stat st;
	DIR *dir;

	if ((dir = opendir(path)) == NULL)
		return 0;
	while ((d = readdir(dir)) != NULL) {
		snprintf(file, sizeof(file), "%s/%s", path, d->d_name);
		if (lstat(file, &st) == 0 && S_ISREG(st.st_mode))
			total += (uint64_t)st.st_size;
	}
	closedir(dir);
	return total;
}

mr_status
store_checkpoint(store *s, const char *dir, uint64_t *revision,
    uint64_t *bytes, mr_err *e)
{
	char path[PATH_MAX], parent[PATH_MAX];
	rocksdb_checkpoint_t *cp;
	struct stat st;
	char *err = NULL;
	bool was_empty;
	mr_status rv;
	uint64_t rev;
	int state;

	if ((rv = clean_path(dir, "the backup directory", path, e)) != MR_OK)
		return rv;
	parent_of(path, parent);
	if (stat(parent, &st) != 0 || !S_ISDIR(st.st_mode))
		return mr_fail(e, MR_FAILED_PRECONDITION,
		    "the backup directory's parent %s is not a directory on "
		    "the server",
		    parent);

	/* Under the writer lock: no commit between the checkpoint's file
	 * list and the revision we report, and two backups into the same
	 * directory (a resent request) cannot interleave. */
	pthread_mutex_lock(&s->write_lock);
	state = path_state(path);
	if (state > 0) {
		rv = mr_fail(e, MR_ALREADY_EXISTS,
		    "%s exists and is not an empty directory", path);
		goto err_locked;
	}
	/* RocksDB creates the directory itself and refuses one that
	 * exists. */
	was_empty = state == 0;
	if (was_empty && rmdir(path) != 0) {
		rv = sys_fail(e, "rmdir", path);
		goto err_locked;
	}
	cp = rocksdb_checkpoint_object_create(s->db, &err);
	if (err == NULL) {
		/* 0: always flush the memtables, so the backup's WAL is
		 * short and a restore replays little. */
		rocksdb_checkpoint_create(cp, path, 0, &err);
		rocksdb_checkpoint_object_destroy(cp);
	}
	rev = atomic_load(&s->revision);
	pthread_mutex_unlock(&s->write_lock);
	if (err != NULL) {
		rv = store_rocks_err(e, "creating the backup", err);
		if (was_empty)
			(void)mkdir(path, 0755);
		return rv;
	}
	if ((rv = fsync_path(parent, e)) != MR_OK)
		return rv;
	*revision = rev;
	if (bytes != NULL)
		*bytes = dir_bytes(path);
	return MR_OK;

err_locked:
	pthread_mutex_unlock(&s->write_lock);
	return rv;
}

/* ---- restore ------------------------------------------------------------ */

static mr_status
copy_file(const char *from, const char *to, uint8_t *buf, mr_err *e)
{
	int in, out;
	mr_status rv = MR_OK;
	ssize_t n;

	if ((in = open(from, O_RDONLY | O_NOFOLLOW)) < 0)
		return sys_fail(e, "open", from);
	if ((out = open(to, O_WRONLY | O_CREAT | O_EXCL, 0644)) < 0) {
		rv = sys_fail(e, "create", to);
		goto err_in;
	}
	while ((n = read(in, buf, BACKUP_COPY_BUF)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rv = sys_fail(e, "read", from);
			goto err_out;
		}
		for (ssize_t done = 0; done < n;) {
			ssize_t w = write(out, buf + done, (size_t)(n - done));
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				rv = sys_fail(e, "write", to);
				goto err_out;
			}
			done += w;
		}
	}
	if (fsync(out) != 0)
		rv = sys_fail(e, "fsync", to);
err_out:
	if (close(out) != 0 && rv == MR_OK)
		rv = sys_fail(e, "close", to);
err_in:
	close(in);
	return rv;
}

/* Removes the regular files directly in `path`, then `path`. */
static void
remove_flat(const char *path)
{
	char file[2 * PATH_MAX];
	struct dirent *d;
	DIR *dir;

	if ((dir = opendir(path)) != NULL) {
		while ((d = readdir(dir)) != NULL) {
			if (strcmp(d->d_name, ".") == 0 ||
			    strcmp(d->d_name, "..") == 0)
				continue;
			snprintf(file, sizeof(file), "%s/%s", path, d->d_name);
			(void)unlink(file);
		}
		closedir(dir);
	}
	(void)rmdir(path);
}

/* Copies the files of backup directory `from` into new directory `to`. */
static mr_status
copy_backup(const char *from, const char *to, mr_err *e)
{
	char src[2 * PATH_MAX], dst[2 * PATH_MAX];
	uint8_t *buf;
	struct dirent *d;
	struct stat st;
	mr_status rv = MR_OK;
	DIR *dir;

	if ((buf = malloc(BACKUP_COPY_BUF)) == NULL)
		return mr_fail(e, MR_RESOURCE_EXHAUSTED, "out of memory");
	if ((dir = opendir(from)) == NULL) {
		rv = sys_fail(e, "open", from);
		goto err_buf;
	}
	if (mkdir(to, 0755) != 0) {
		rv = sys_fail(e, "mkdir", to);
		goto err_dir;
	}
	while (rv == MR_OK && (d = readdir(dir)) != NULL) {
		if (strcmp(d->d_name, ".") == 0 || strcmp(d->d_name, "..") == 0)
			continue;
		/* The lock file of a store opened on the backup itself. */
		if (strcmp(d->d_name, "LOCK") == 0)
			continue;
		snprintf(src, sizeof(src), "%s/%s", from, d->d_name);
		snprintf(dst, sizeof(dst), "%s/%s", to, d->d_name);
		if (lstat(src, &st) != 0)
			rv = sys_fail(e, "stat", src);
		else if (!S_ISREG(st.st_mode))
			rv = mr_fail(e, MR_FAILED_PRECONDITION,
			    "%s is not a regular file: a backup holds only "
			    "files",
			    src);
		else
			rv = copy_file(src, dst, buf, e);
	}
	if (rv == MR_OK)
		rv = fsync_path(to, e);
	if (rv != MR_OK)
		remove_flat(to);
err_dir:
	closedir(dir);
err_buf:
	free(buf);
	return rv;
}

mr_status
store_restore(const char *backup, const char *data, bool force,
    uint64_t *revision, char *aside, size_t aside_cap, mr_err *e)
{
	char from[PATH_MAX], to[PATH_MAX], tmp[PATH_MAX + 16], parent[PATH_MAX];
	char current[PATH_MAX + 16], moved[PATH_MAX + 48];
	struct stat st;
	store *s;
	mr_status rv;
	uint64_t rev;
	int state;

	if ((rv = clean_path(backup, "the backup", from, e)) != MR_OK ||
	    (rv = clean_path(data, "the data directory", to, e)) != MR_OK)
		return rv;
	snprintf(current, sizeof(current), "%s/CURRENT", from);
	if (stat(from, &st) != 0 || !S_ISDIR(st.st_mode))
		return mr_fail(e, MR_NOT_FOUND, "no backup directory %s", from);
	if (stat(current, &st) != 0)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "%s is not a backup (it has no CURRENT file)", from);
	state = path_state(to);
	if (state > 0 && !force)
		return mr_fail(e, MR_ALREADY_EXISTS,
		    "%s exists and is not empty; restore into a new "
		    "directory, or pass --force to move it aside",
		    to);
	parent_of(to, parent);
	snprintf(tmp, sizeof(tmp), "%s.restoring", to);
	if (path_state(tmp) >= 0)
		return mr_fail(e, MR_FAILED_PRECONDITION,
		    "%s exists (left by an interrupted restore?): remove it "
		    "first",
		    tmp);

	if ((rv = copy_backup(from, tmp, e)) != MR_OK)
		return rv;
	/* Open it: the check that it is a store, and its revision. */
	if ((rv = store_open(&s, tmp, e)) != MR_OK)
		goto err_tmp;
	rev = store_revision(s);
	store_close(s);
	if ((rv = fsync_path(tmp, e)) != MR_OK)
		goto err_tmp;

	moved[0] = '\0';
	if (state > 0) {
		snprintf(moved, sizeof(moved), "%s.before-restore-%lld", to,
		    (long long)time(NULL));
		if (rename(to, moved) != 0) {
			rv = sys_fail(e, "rename", to);
			goto err_tmp;
		}
	} else if (state == 0 && rmdir(to) != 0) {
		rv = sys_fail(e, "rmdir", to);
		goto err_tmp;
	}
	if (rename(tmp, to) != 0) {
		rv = sys_fail(e, "rename", tmp);
		if (moved[0] != '\0')
			(void)rename(moved, to);
		goto err_tmp;
	}
	if ((rv = fsync_path(parent, e)) != MR_OK)
		return rv;
	if (aside != NULL && aside_cap > 0)
		snprintf(aside, aside_cap, "%s", moved);
	*revision = rev;
	return MR_OK;

err_tmp:
	remove_flat(tmp);
	return rv;
}
