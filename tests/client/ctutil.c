/*
 * ctutil.c - file helpers for the client's tests (see ctutil.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctutil.h"

static void
die(const char *what, const char *path)
{
	fprintf(stderr, "test setup: %s %s: %s\n", what, path,
	    strerror(errno));
	abort();
}

char *
ct_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *p;

	if (base == NULL || base[0] == '\0')
		base = "/tmp";
	if (asprintf(&p, "%s/mr-test-XXXXXX", base) < 0)
		abort();
	if (mkdtemp(p) == NULL)
		die("mkdtemp", p);
	return p;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	chmod(path, 0700); /* so that a test's 0000 file goes too */
	remove(path);
	return 0;
}

void
ct_rmtree(const char *path)
{
	if (path != NULL)
		nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *
ct_path(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		abort();
	return p;
}

static void
make_parents(const char *path)
{
	char *copy = strdup(path);

	for (char *s = strchr(copy + 1, '/'); s != NULL;
	     s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(copy, 0755) != 0 && errno != EEXIST)
			die("mkdir", copy);
		*s = '/';
	}
	free(copy);
}

void
ct_write(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd;

	make_parents(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0)
		die("create", path);
	if (len > 0 && write(fd, data, len) != (ssize_t)len)
		die("write", path);
	if (fchmod(fd, mode) != 0)
		die("chmod", path);
	close(fd);
}

void
ct_write_pattern(const char *path, size_t len, uint32_t seed, mode_t mode)
{
	uint8_t *buf = malloc(len + 1);
	uint32_t x = seed * 2654435761u + 1;

	for (size_t i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (uint8_t)x;
	}
	ct_write(path, buf, len, mode);
	free(buf);
}

uint8_t *
ct_read(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf;
	int fd;

	if ((fd = open(path, O_RDONLY)) < 0)
		return NULL;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (read(fd, buf, (size_t)st.st_size) != (ssize_t)st.st_size) {
		free(buf);
		close(fd);
		return NULL;
	}
	close(fd);
	*len = (size_t)st.st_size;
	return buf;
}

bool
ct_same_file(const char *a, const char *b)
{
	size_t la, lb;
	uint8_t *x = ct_read(a, &la), *y = ct_read(b, &lb);
	bool same = x != NULL && y != NULL && la == lb &&
	    memcmp(x, y, la) == 0;

	free(x);
	free(y);
	return same;
}

bool
ct_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

int
ct_count_entries(const char *dir, const char *part)
{
	struct dirent *de;
	DIR *d = opendir(dir);
	int n = 0;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
		if (strstr(de->d_name, part) != NULL)
			n++;
	closedir(d);
	return n;
}

const char *
ct_url(void)
{
	static char url[64];
	static int n;

	snprintf(url, sizeof(url), "inproc://mr-test-%d-%d", (int)getpid(),
	    ++n);
	return url;
}
