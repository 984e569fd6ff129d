/*
 * cache.c - the content-addressed chunk cache (see cache.h).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cache.h"
#include "client.h"

/* A temporary entry older than this was left by a writer that died. */
#define CACHE_TMP_STALE_S 3600

static atomic_ulong tmp_seq;

struct chunk_cache {
	char *dir;
};

/* "DIR/ab/abcd..." for `digest`. */
static void
entry_path(const chunk_cache *cc, const uint8_t *digest, char *out, size_t cap)
{
	char hex[2 * MR_DIGEST_LEN + 1];

	mr_digest_hex(digest, hex);
	snprintf(out, cap, "%s/%.2s/%s", cc->dir, hex, hex);
}

mr_status
cache_open(chunk_cache **out, const char *dir, mr_err *e)
{
	chunk_cache *cc;
	char shard[PATH_MAX];
	mr_status rv;

	if (dir == NULL || dir[0] == '\0')
		return mr_fail(e, MR_INVALID_ARGUMENT, "no cache directory");
	if (strlen(dir) + 2 * MR_DIGEST_LEN + 32 > PATH_MAX)
		return mr_fail(
		    e, MR_INVALID_ARGUMENT, "cache directory path is too long");
	if ((cc = calloc(1, sizeof(*cc))) == NULL ||
	    (cc->dir = strdup(dir)) == NULL) {
		free(cc);
		return mr_fail(e, MR_RESOURCE_EXHAUSTED, "out of memory");
	}
	if ((rv = client_mkdirs(e, cc->dir)) != MR_OK) {
		cache_close(cc);
		return rv;
	}
	/* The 256 shard directories exist from the start, so that writing
	 * an entry is one open and one rename. */
	for (int i = 0; i < 256; i++) {
		snprintf(shard, sizeof(shard), "%s/%02x", cc->dir, i);
		if (mkdir(shard, 0700) != 0 && errno != EEXIST) {
			rv = client_sys_fail(e, "mkdir", shard);
			cache_close(cc);
			return rv;
		}
	}
	*out = cc;
	return MR_OK;
}

void
cache_close(chunk_cache *cc)
{
	if (cc == NULL)
		return;
	free(cc->dir);
	free(cc);
}

bool
cache_has(const chunk_cache *cc, const uint8_t digest[MR_DIGEST_LEN])
{
	char path[PATH_MAX];

	entry_path(cc, digest, path, sizeof(path));
	return access(path, F_OK) == 0;
}

bool
cache_get(const chunk_cache *cc, mr_codec *c,
    const uint8_t digest[MR_DIGEST_LEN], uint32_t len, uint8_t *buf)
{
	char path[PATH_MAX];
	uint8_t got[MR_DIGEST_LEN];
	struct stat st;
	int fd;

	entry_path(cc, digest, path, sizeof(path));
	/* Never a link, never anything that could block the open. */
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) <
	    0)
		return false;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size != (off_t)len)
		goto bad;
	/* A hit is a use: trimming keeps what was used last. */
	futimens(fd, NULL);
	if (!client_pread_full(fd, buf, len, 0, NULL))
		goto bad;
	close(fd);
	mr_sha256(c, buf, len, got);
	if (memcmp(got, digest, MR_DIGEST_LEN) == 0)
		return true;
	unlink(path);
	return false;
bad:
	close(fd);
	unlink(path);
	return false;
}

void
cache_put(const chunk_cache *cc, const uint8_t digest[MR_DIGEST_LEN],
    const void *data, uint32_t len)
{
	char path[PATH_MAX], tmp[PATH_MAX + 32];
	bool ok;
	int fd;

	entry_path(cc, digest, path, sizeof(path));
	/* Unique per process and per call: two threads may keep the same
	 * chunk at once (an artifact can hold it twice). */
	snprintf(tmp, sizeof(tmp), "%s.tmp-%ld-%lu", path, (long)getpid(),
	    atomic_fetch_add(&tmp_seq, 1));
	if ((fd = open(tmp,
	         O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600)) <
	    0)
		return;
	ok = client_pwrite_full(fd, data, len, 0);
	if (close(fd) != 0 || !ok || rename(tmp, path) != 0)
		unlink(tmp);
}

typedef struct entry {
	struct timespec mtime;
	uint64_t size;
	char *path;
} entry;

static int
cmp_age(const void *a, const void *b)
{
	const entry *x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
	return x->mtime.tv_nsec < y->mtime.tv_nsec
	    ? -1
	    : x->mtime.tv_nsec > y->mtime.tv_nsec;
}

void
cache_trim(const chunk_cache *cc, uint64_t max_bytes)
{
	entry *all = NULL;
	size_t n = 0, cap = 0;
	uint64_t total = 0;
	time_t stale = time(NULL) - CACHE_TMP_STALE_S;

	for (int i = 0; i < 256; i++) {
		char shard[PATH_MAX];
		struct dirent *de;
		DIR *d;

		snprintf(shard, sizeof(shard), "%s/%02x", cc->dir, i);
		if ((d = opendir(shard)) == NULL)
			continue;
		while ((de = readdir(d)) != NULL) {
			struct stat st;
			char *path;

			if (de->d_name[0] == '.' ||
			    asprintf(&path, "%s/%s", shard, de->d_name) < 0)
				continue;
			if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
				free(path);
				continue;
			}
			if (strstr(de->d_name, ".tmp-") != NULL) {
				/* A write cut short, long enough ago. */
				if (st.st_mtime < stale)
					unlink(path);
				free(path);
				continue;
			}
			if (n == cap) {
				size_t more = cap > 0 ? 2 * cap : 1024;
				entry *p = realloc(all, more * sizeof(*p));

				if (p == NULL) {
					/* Trim by what was listed so far. */
					free(path);
					closedir(d);
					goto trim;
				}
				all = p;
				cap = more;
			}
			all[n++] =
			    (entry){st.st_mtim, (uint64_t)st.st_size, path};
			total += (uint64_t)st.st_size;
		}
		closedir(d);
	}
trim:
	if (n > 0)
		qsort(all, n, sizeof(*all), cmp_age);
	for (size_t i = 0; i < n; i++) {
		if (total > max_bytes && unlink(all[i].path) == 0)
			total -= all[i].size;
		free(all[i].path);
	}
	free(all);
}
