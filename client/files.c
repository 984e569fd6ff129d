/*
 * files.c - the local file operations the artifact code shares: mkdir -p,
 * fsync of a directory, rm -rf, whole reads and writes at an offset.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "client.h"

mr_status
client_mkdirs(mr_err *e, const char *path)
{
	char *p = strdup(path);
	mr_status rv = MR_OK;

	if (p == NULL)
		return mr_fail(e, MR_RESOURCE_EXHAUSTED, "out of memory");
	for (char *at = p + 1;; at++) {
		bool end = *at == '\0';

		if (*at != '/' && !end)
			continue;
		*at = '\0';
		if (mkdir(p, 0777) != 0 && errno != EEXIST) {
			rv = client_sys_fail(e, "mkdir", p);
			break;
		}
		if (end)
			break;
		*at = '/';
	}
	free(p);
	return rv;
}

mr_status
client_fsync_dir(mr_err *e, const char *path)
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

static int
remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

void
client_remove_tree(const char *path)
{
	nftw(path, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

bool
client_pread_full(int fd, void *buf, size_t len, uint64_t off, int *err)
{
	uint8_t *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n =
		    pread(fd, p + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (err != NULL)
				*err = n < 0 ? errno : 0;
			return false;
		}
		done += (size_t)n;
	}
	return true;
}

bool
client_pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
	const uint8_t *p = buf;
	size_t done = 0;

	while (done < len) {
		ssize_t n =
		    pwrite(fd, p + done, len - done, (off_t)(off + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = ENOSPC;
			return false;
		}
		done += (size_t)n;
	}
	return true;
}
