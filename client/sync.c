/*
 * sync.c - mr_sync_once and mr_sync_follow: keep a local directory on the
 * version a stage holds (the layout is in modelreg.h).
 *
 * The one invariant: DIR/current always names a complete version. So a
 * version is made complete in DIR/versions before anything points at it
 * (mr_pull renames a verified artifact into place), DIR/current is
 * replaced with rename(2) of a new symlink, the only atomic way to change
 * where a path leads, and a version is removed by renaming it aside
 * first, so a half-deleted tree never has a version's name. Which
 * versions are the "most recently current" is kept in the modification
 * times of their directories, touched when they become current, so there
 * is no state file to keep in step: what the agent has is DIR/current,
 * and every (re)start asks the server what it should have.
 *
 * The agent never infers a version from an event: an event only says
 * "ask again", and the answer of GetVersion for the stage is what counts.
 * Events that arrive while a sync is under way are read from the watch
 * afterwards and cause one more (cheap) ask, so none is lost.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include "client.h"

#define SYNC_KEEP_DEFAULT      2
#define SYNC_RETRY_MIN_DEFAULT 100
#define SYNC_RETRY_MAX_DEFAULT 30000
/* How long mr_sync_follow waits for an event before it looks at stop. */
#define SYNC_WAIT_MS 250

typedef struct syncer {
	mr_client *c; /* NULL while mr_sync_follow is not connected */
	const char *name;
	const char *dir;
	mr_sync_options o; /* with the defaults filled in */
	char *cache;       /* DIR/.cache when none is given */
	int lock_fd;
	mr_err err; /* errors of local steps before there is a client */
} syncer;

/* Where errors go: the client's, so that mr_client_errmsg tells them. */
static mr_err *
err_of(syncer *s)
{
	return s->c != NULL ? &s->c->err : &s->err;
}

static void say(syncer *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
say(syncer *s, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	if (s->o.log == NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	s->o.log(s->o.log_arg, line);
}

/* "DIR/a/b" (malloc'd; NULL when out of memory). */
static char *
path_of(const syncer *s, const char *a, const char *b)
{
	char *p;

	if (asprintf(&p, "%s/%s%s%s", s->dir, a, b != NULL ? "/" : "",
	        b != NULL ? b : "") < 0)
		return NULL;
	return p;
}

static mr_status
oom(syncer *s)
{
	return mr_fail(err_of(s), MR_RESOURCE_EXHAUSTED, "out of memory");
}

/*
 * A version name as a directory name: only the canonical text of a
 * semantic version, so that no answer of a server can name a path
 * outside DIR/versions, and temporary entries never pass for versions.
 */
static bool
is_version_name(const char *text)
{
	char canon[MR_VERSION_MAX + 1];

	return strlen(text) <= MR_VERSION_MAX &&
	    mr_semver_normalize(text, canon, NULL) == MR_OK &&
	    strcmp(canon, text) == 0;
}

/* ---- the directory ------------------------------------------------------ */

/* Makes DIR and DIR/versions, and takes DIR/.lock. */
static mr_status
open_dir(syncer *s)
{
	mr_err *e = err_of(s);
	char *versions, *lock;
	mr_status rv = MR_OK;

	if ((rv = client_mkdirs(err_of(s), s->dir)) != MR_OK)
		return rv;
	if ((versions = path_of(s, "versions", NULL)) == NULL ||
	    (lock = path_of(s, ".lock", NULL)) == NULL) {
		free(versions);
		return oom(s);
	}
	if (mkdir(versions, 0777) != 0 && errno != EEXIST)
		rv = client_sys_fail(e, "mkdir", versions);
	else if ((s->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0666)) <
	    0)
		rv = client_sys_fail(e, "open", lock);
	else if (flock(s->lock_fd, LOCK_EX | LOCK_NB) != 0)
		rv = errno == EWOULDBLOCK
		    ? mr_fail(e, MR_FAILED_PRECONDITION,
		          "another sync agent holds %s", lock)
		    : client_sys_fail(e, "lock", lock);
	free(versions);
	free(lock);
	return rv;
}

/* The version DIR/current names into out[MR_VERSION_MAX + 1]; "" if
 * there is no DIR/current, or it is a symlink we did not make. */
static mr_status
read_current(syncer *s, char *out)
{
	char target[PATH_MAX], *link = path_of(s, "current", NULL);
	struct stat st;
	ssize_t n;
	mr_status rv = MR_OK;

	out[0] = '\0';
	if (link == NULL)
		return oom(s);
	if (lstat(link, &st) != 0) {
		if (errno != ENOENT)
			rv = client_sys_fail(err_of(s), "stat", link);
	} else if (!S_ISLNK(st.st_mode)) {
		/* rename(2) cannot put a symlink over a directory. */
		rv = mr_fail(err_of(s), MR_FAILED_PRECONDITION,
		    "%s is not a symlink; move it away to sync here", link);
	} else if ((n = readlink(link, target, sizeof(target) - 1)) < 0) {
		rv = client_sys_fail(err_of(s), "readlink", link);
	} else {
		target[n] = '\0';
		if (strncmp(target, "versions/", 9) == 0 &&
		    is_version_name(target + 9))
			strcpy(out, target + 9);
	}
	free(link);
	return rv;
}

/* Where file `f` of version `v` lives in versions/VERSION (malloc'd). */
static char *
local_file(const syncer *s, const mr_version *v, const mr_file *f)
{
	const char *rel = f->path, *slash = strrchr(f->path, '/');
	char *dir, *p;

	if (!v->directory && slash != NULL)
		rel = slash + 1; /* as mr_pull names it inside a directory */
	if ((dir = path_of(s, "versions", v->version)) == NULL)
		return NULL;
	if (asprintf(&p, "%s/%s", dir, rel) < 0)
		p = NULL;
	free(dir);
	return p;
}

/*
 * Whether versions/VERSION holds every file of `v` with its size. Sizes,
 * not digests: this is the instant rollback path, and a version gets
 * there only through a verified pull and an atomic rename.
 */
static bool
have_locally(const syncer *s, const mr_version *v)
{
	for (size_t i = 0; i < v->n_files; i++) {
		char *p = local_file(s, v, &v->files[i]);
		struct stat st;
		bool ok = p != NULL &&
		    mr_check_path(v->files[i].path, NULL) == MR_OK &&
		    lstat(p, &st) == 0 && S_ISREG(st.st_mode) &&
		    (uint64_t)st.st_size == v->files[i].size;

		free(p);
		if (!ok)
			return false;
	}
	return v->n_files > 0;
}

/* Renames versions/NAME aside to a fresh ".trash-*" and removes it. */
static mr_status
discard(syncer *s, const char *name)
{
	char *from = path_of(s, "versions", name);
	char *trash = path_of(s, "versions", ".trash-XXXXXX");
	mr_status rv = MR_OK;

	if (from == NULL || trash == NULL) {
		rv = oom(s);
	} else if (mkdtemp(trash) == NULL) {
		rv = client_sys_fail(err_of(s), "mkdtemp", trash);
	} else if (rename(from, trash) != 0) {
		/* A file cannot replace the empty directory: just unlink. */
		if ((errno != ENOTDIR && errno != EISDIR) || unlink(from) != 0)
			rv = client_sys_fail(err_of(s), "rename aside", from);
	}
	if (trash != NULL)
		client_remove_tree(trash);
	free(from);
	free(trash);
	return rv;
}

static char *
size_text(uint64_t bytes, char out[32])
{
	if (bytes >= (1u << 20))
		snprintf(out, 32, "%.1f MiB", (double)bytes / (1u << 20));
	else if (bytes >= 1024)
		snprintf(out, 32, "%.1f KiB", (double)bytes / 1024);
	else
		snprintf(out, 32, "%llu B", (unsigned long long)bytes);
	return out;
}

/*
 * Moves a complete pull from `tmp` to versions/VERSION. A damaged copy
 * already there (possibly what DIR/current names) is swapped out in one
 * renameat2(RENAME_EXCHANGE), so that path never names nothing or half
 * a version; the old copy, now at `tmp`, is then removed.
 */
static mr_status
put_in_place(syncer *s, const char *tmp, const char *dest)
{
	if (access(dest, F_OK) != 0) {
		if (rename(tmp, dest) != 0)
			return client_sys_fail(err_of(s), "rename into", dest);
		return MR_OK;
	}
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dest, RENAME_EXCHANGE) != 0)
		return client_sys_fail(err_of(s), "swap in", dest);
	client_remove_tree(tmp);
	return MR_OK;
}

/*
 * Pulls `v` into versions/VERSION: into versions/.pull-VERSION first (a
 * directory artifact becomes that directory, a one-file artifact goes
 * inside it), then into place, so that the version appears whole.
 */
static mr_status
pull_version(syncer *s, const mr_version *v)
{
	mr_pull_options po = {
	    .cache_dir = s->o.cache_dir,
	    .cache_max_bytes = s->o.cache_max_bytes > 0
	        ? s->o.cache_max_bytes
	        : s->o.keep * v->artifact_size,
	};
	char *dest = path_of(s, "versions", v->version), *tmp = NULL;
	char *versions = path_of(s, "versions", NULL);
	const mr_transfer_stats *ts;
	char size[32], wire[32];
	uint64_t t0 = mr_mono_ns();
	mr_status rv;

	if (dest == NULL || versions == NULL) {
		rv = oom(s);
		goto out;
	}
	/* mkdir, not mkdtemp, for the umask's permissions: the server
	 * reading the model may run as another user. The name is ours
	 * while we hold the lock. */
	if (asprintf(&tmp, "%s/.pull-%s", versions, v->version) < 0) {
		tmp = NULL;
		rv = oom(s);
		goto out;
	}
	client_remove_tree(tmp);
	if (!v->directory && mkdir(tmp, 0777) != 0) {
		rv = client_sys_fail(err_of(s), "mkdir", tmp);
		free(tmp);
		tmp = NULL;
		goto out;
	}
	rv = mr_pull(s->c, s->name, v->version, MR_STAGE_NONE, tmp, &po, NULL);
	if (rv == MR_OK)
		rv = put_in_place(s, tmp, dest);
	if (rv == MR_OK)
		rv = client_fsync_dir(err_of(s), versions);
out:
	if (tmp != NULL && rv != MR_OK)
		client_remove_tree(tmp);
	if (rv == MR_OK) {
		ts = mr_client_transfer_stats(s->c);
		say(s,
		    "pulled %s: %s in %llu file%s, %llu of %llu chunks "
		    "fetched (%s on the wire) in %.2f s",
		    v->version, size_text(ts->bytes, size),
		    (unsigned long long)ts->files, ts->files == 1 ? "" : "s",
		    (unsigned long long)ts->chunks_sent,
		    (unsigned long long)ts->chunks,
		    size_text(ts->bytes_sent, wire),
		    (double)(mr_mono_ns() - t0) / 1e9);
	}
	free(tmp);
	free(dest);
	free(versions);
	return rv;
}

/*
 * Points DIR/current at versions/VERSION: a new symlink under a
 * temporary name, renamed over the old one, then DIR synced. The
 * version's directory is touched first: its time says how recently it
 * was current, which is what prune() keeps by.
 */
static mr_status
point_current(syncer *s, const char *version)
{
	char *target = NULL, *vdir = path_of(s, "versions", version);
	char *tmp = path_of(s, ".current.new", NULL);
	char *link = path_of(s, "current", NULL);
	mr_err *e = err_of(s);
	mr_status rv = MR_OK;

	if (vdir == NULL || tmp == NULL || link == NULL ||
	    asprintf(&target, "versions/%s", version) < 0) {
		target = NULL;
		rv = oom(s);
		goto out;
	}
	if (utimensat(AT_FDCWD, vdir, NULL, 0) != 0) {
		rv = client_sys_fail(e, "touch", vdir);
		goto out;
	}
	/* A leftover from a crash; we hold the lock, so it is no one's. */
	if (unlink(tmp) != 0 && errno != ENOENT) {
		rv = client_sys_fail(e, "unlink", tmp);
		goto out;
	}
	if (symlink(target, tmp) != 0)
		rv = client_sys_fail(e, "symlink", tmp);
	else if (rename(tmp, link) != 0)
		rv = client_sys_fail(e, "rename into", link);
	else
		rv = client_fsync_dir(err_of(s), s->dir);
out:
	free(target);
	free(vdir);
	free(tmp);
	free(link);
	return rv;
}

typedef struct entry {
	char *name;
	struct timespec mtime;
} entry;

static int
newest_first(const void *a, const void *b)
{
	const entry *x = a, *y = b;

	if (x->mtime.tv_sec != y->mtime.tv_sec)
		return x->mtime.tv_sec < y->mtime.tv_sec ? 1 : -1;
	if (x->mtime.tv_nsec != y->mtime.tv_nsec)
		return x->mtime.tv_nsec < y->mtime.tv_nsec ? 1 : -1;
	return 0;
}

/*
 * Keeps `current` and the keep - 1 versions most recently current;
 * removes every other entry of DIR/versions, leftovers of interrupted
 * pulls and removals included.
 */
static mr_status
prune(syncer *s, const char *current)
{
	char *versions = path_of(s, "versions", NULL);
	entry *list = NULL;
	size_t n = 0, cap = 0, kept = 1;
	struct dirent *d;
	DIR *dp;
	mr_status rv = MR_OK;

	if (versions == NULL)
		return oom(s);
	if ((dp = opendir(versions)) == NULL) {
		rv = client_sys_fail(err_of(s), "opendir", versions);
		free(versions);
		return rv;
	}
	while ((d = readdir(dp)) != NULL) {
		struct stat st;

		if (strcmp(d->d_name, ".") == 0 ||
		    strcmp(d->d_name, "..") == 0 ||
		    strcmp(d->d_name, current) == 0)
			continue;
		if (n == cap) {
			entry *grown = realloc(
			    list, (cap = cap ? 2 * cap : 8) * sizeof(*list));
			if (grown == NULL) {
				rv = oom(s);
				break;
			}
			list = grown;
		}
		list[n].name = strdup(d->d_name);
		list[n].mtime = (struct timespec){0, 0};
		if (list[n].name == NULL) {
			rv = oom(s);
			break;
		}
		/* Non-versions sort last, with time zero: always removed. */
		if (is_version_name(d->d_name) &&
		    fstatat(dirfd(dp), d->d_name, &st, AT_SYMLINK_NOFOLLOW) ==
		        0 &&
		    S_ISDIR(st.st_mode))
			list[n].mtime = st.st_mtim;
		n++;
	}
	closedir(dp);
	if (rv == MR_OK && n > 1) /* qsort wants a list, even of none */
		qsort(list, n, sizeof(*list), newest_first);
	for (size_t i = 0; i < n; i++) {
		bool version =
		    list[i].mtime.tv_sec != 0 || list[i].mtime.tv_nsec != 0;

		if (rv == MR_OK && version && kept < s->o.keep) {
			kept++;
			continue;
		}
		if (rv == MR_OK && (rv = discard(s, list[i].name)) == MR_OK &&
		    version)
			say(s, "removed %s (keeping %u version%s)",
			    list[i].name, s->o.keep, s->o.keep == 1 ? "" : "s");
	}
	for (size_t i = 0; i < n; i++)
		free(list[i].name);
	free(list);
	free(versions);
	return rv;
}

/* ---- the hook ----------------------------------------------------------- */

/*
 * DIR/.hook-pending holds "VERSION\nPREVIOUS\n": the switch whose hook
 * has not succeeded. It is written before DIR/current changes, so a
 * crash between the switch and the hook leaves it behind to be run at
 * the next start; one that names another version than DIR/current is
 * from a switch that never happened and is dropped.
 */
static mr_status
mark_pending(syncer *s, const char *version, const char *previous)
{
	char *path = path_of(s, ".hook-pending", NULL);
	char *tmp = path_of(s, ".hook-pending.new", NULL);
	mr_status rv = MR_OK;
	FILE *f;

	if (path == NULL || tmp == NULL) {
		rv = oom(s);
	} else if ((f = fopen(tmp, "we")) == NULL) {
		rv = client_sys_fail(err_of(s), "create", tmp);
	} else {
		bool ok = fprintf(f, "%s\n%s\n", version, previous) > 0 &&
		    fflush(f) == 0 && fsync(fileno(f)) == 0;
		if (fclose(f) != 0 || !ok || rename(tmp, path) != 0)
			rv = client_sys_fail(err_of(s), "write", path);
	}
	free(path);
	free(tmp);
	return rv;
}

/* Runs the pending hook, if it is for `current`. */
static mr_status
run_pending(syncer *s, const char *current)
{
	char version[MR_VERSION_MAX + 2] = "",
	                              previous[MR_VERSION_MAX + 2] = "";
	char *path;
	mr_status rv = MR_OK;
	FILE *f;

	if (s->o.hook == NULL)
		return MR_OK;
	if ((path = path_of(s, ".hook-pending", NULL)) == NULL)
		return oom(s);
	if ((f = fopen(path, "re")) == NULL) {
		free(path);
		return MR_OK;
	}
	if (fgets(version, sizeof(version), f) != NULL)
		fgets(previous, sizeof(previous), f);
	fclose(f);
	version[strcspn(version, "\n")] = '\0';
	previous[strcspn(previous, "\n")] = '\0';
	if (strcmp(version, current) != 0 || !is_version_name(version)) {
		unlink(path);
	} else if (s->o.hook(s->o.hook_arg, s->dir, version, previous) == 0) {
		unlink(path);
	} else {
		rv = mr_fail(err_of(s), MR_UNKNOWN,
		    "the hook failed after the switch to %s; the switch "
		    "stands and the hook runs again",
		    version);
	}
	free(path);
	return rv;
}

/* ---- one sync ----------------------------------------------------------- */

/* Syncs once with the lock held: see mr_sync_once. *absent is set
 * when the stage holds no version (the status is then MR_NOT_FOUND). */
static mr_status
sync_step(syncer *s, bool *absent)
{
	char current[MR_VERSION_MAX + 1];
	const char *how;
	mr_version *v;
	mr_status rv;

	*absent = false;
	if ((rv = read_current(s, current)) != MR_OK)
		return rv;
	rv = mr_get_version(s->c, s->name, NULL, s->o.stage, &v);
	if (rv != MR_OK) {
		*absent = rv == MR_NOT_FOUND;
		/* A hook still owed to what DIR/current names runs anyway. */
		if (*absent && current[0] != '\0') {
			mr_err absent_err = *err_of(s);
			mr_status hook = run_pending(s, current);
			if (hook != MR_OK) {
				*absent = false;
				return hook;
			}
			*err_of(s) = absent_err;
		}
		return rv;
	}
	if (!is_version_name(v->version)) {
		rv = mr_fail(err_of(s), MR_INTERNAL,
		    "the server named version \"%.64s\", which is not a "
		    "semantic version",
		    v->version);
		goto out;
	}
	if (strcmp(v->version, current) == 0 && have_locally(s, v)) {
		say(s, "%s holds %s, which is current",
		    mr_stage_name(s->o.stage), current);
		rv = run_pending(s, current);
		goto out;
	}
	if (have_locally(s, v)) {
		how = "a local copy, no pull";
	} else {
		/* Absent, or not whole (changed by hand?): fetched, and
		 * swapped in only once complete (put_in_place). */
		if ((rv = pull_version(s, v)) != MR_OK)
			goto out;
		how = "pulled";
	}
	if (s->o.hook != NULL &&
	    (rv = mark_pending(s, v->version, current)) != MR_OK)
		goto out;
	if ((rv = point_current(s, v->version)) != MR_OK)
		goto out;
	say(s, "switched %s from %s to %s (%s)", mr_stage_name(s->o.stage),
	    current[0] != '\0' ? current : "nothing", v->version, how);
	/* The switch is done: a failure to clean up is not worth undoing
	 * it, and the next prune tries again. */
	if (prune(s, v->version) != MR_OK)
		say(s, "cleaning up versions/: %s", err_of(s)->msg);
	rv = run_pending(s, v->version);
out:
	mr_version_free(v);
	return rv;
}

/* Checks the arguments and fills in the defaults. */
static mr_status
syncer_init(syncer *s, mr_client *c, const char *name, const char *dir,
    const mr_sync_options *opt)
{
	memset(s, 0, sizeof(*s));
	s->c = c;
	s->name = name;
	s->dir = dir;
	s->lock_fd = -1;
	if (opt != NULL)
		s->o = *opt;
	if (s->o.stage == MR_STAGE_NONE)
		s->o.stage = MR_STAGE_PRODUCTION;
	if (s->o.keep == 0)
		s->o.keep = SYNC_KEEP_DEFAULT;
	if (s->o.retry_min_ms <= 0)
		s->o.retry_min_ms = SYNC_RETRY_MIN_DEFAULT;
	if (s->o.retry_max_ms <= 0)
		s->o.retry_max_ms = SYNC_RETRY_MAX_DEFAULT;
	if (s->o.retry_max_ms < s->o.retry_min_ms)
		s->o.retry_max_ms = s->o.retry_min_ms;
	if (name == NULL || mr_check_name(name, err_of(s)) != MR_OK)
		return name == NULL ? mr_fail(err_of(s), MR_INVALID_ARGUMENT,
		                          "no model name given")
		                    : err_of(s)->code;
	if (dir == NULL || dir[0] == '\0')
		return mr_fail(
		    err_of(s), MR_INVALID_ARGUMENT, "no directory given");
	if (client_stage_arg("stage", s->o.stage, false, err_of(s)) != MR_OK)
		return MR_INVALID_ARGUMENT;
	if (s->o.cache_dir == NULL) {
		if ((s->cache = path_of(s, ".cache", NULL)) == NULL)
			return oom(s);
		s->o.cache_dir = s->cache;
	}
	return open_dir(s);
}

/* Removes the leftovers of an agent that stopped mid-way. */
static void
tidy(syncer *s)
{
	char current[MR_VERSION_MAX + 1];

	if (read_current(s, current) == MR_OK && current[0] != '\0')
		prune(s, current);
}

static void
syncer_fini(syncer *s)
{
	if (s->lock_fd >= 0)
		close(s->lock_fd); /* and with it the lock */
	free(s->cache);
}

mr_status
mr_sync_once(
    mr_client *c, const char *name, const char *dir, const mr_sync_options *opt)
{
	syncer s;
	mr_status rv;

	if (c == NULL)
		return MR_INVALID_ARGUMENT;
	mr_err_clear(&c->err);
	if ((rv = syncer_init(&s, c, name, dir, opt)) == MR_OK) {
		bool absent;
		tidy(&s);
		rv = sync_step(&s, &absent);
	}
	syncer_fini(&s);
	return rv;
}

/* ---- following ---------------------------------------------------------- */

static bool
stopped(const syncer *s)
{
	return s->o.stop != NULL && *s->o.stop != 0;
}

/* Sleeps `ms`, waking early once stop is set. */
static void
pause_ms(const syncer *s, uint64_t ms)
{
	while (ms > 0 && !stopped(s)) {
		uint64_t step = ms < 50 ? ms : 50;
		struct timespec ts = {0, (long)(step * 1000000u)};
		nanosleep(&ts, NULL);
		ms -= step;
	}
}

/*
 * The wait after `failures` failures in a row: uniform in [0, min(max,
 * min << failures)], so that a fleet of agents that lost the server at
 * the same moment does not come back in step.
 */
static uint64_t
backoff_ms(const syncer *s, unsigned failures, unsigned *seed)
{
	uint64_t cap = (uint64_t)s->o.retry_min_ms
	    << (failures < 20 ? failures : 20);

	if (cap > (uint64_t)s->o.retry_max_ms)
		cap = (uint64_t)s->o.retry_max_ms;
	return (uint64_t)rand_r(seed) % (cap + 1);
}

/* Whether `ev` may change which version is in the stage. */
static bool
moves_stage(const syncer *s, const mr_event *ev)
{
	return ev->from_stage == s->o.stage || ev->to_stage == s->o.stage;
}

mr_status
mr_sync_follow(const char *url, const mr_client_options *copt, const char *name,
    const char *dir, const mr_sync_options *opt)
{
	uint64_t after = MR_WATCH_NOW; /* where the next watch starts */
	unsigned failures = 0, seed = (unsigned)(mr_mono_ns() ^ getpid());
	bool need_sync = true, first = true;
	mr_watch *w = NULL;
	syncer s;
	mr_status rv;

	if ((rv = syncer_init(&s, NULL, name, dir, opt)) != MR_OK) {
		say(&s, "cannot sync %s into %s: %s: %s", name ? name : "",
		    dir ? dir : "", mr_strerror(rv), s.err.msg);
		syncer_fini(&s);
		return rv;
	}
	while (!stopped(&s)) {
		const char *doing, *why;
		mr_event *ev;

		if (s.c == NULL) {
			/* Once open, the handle reconnects by itself. */
			doing = "connect";
			rv = mr_client_open(&s.c, url, copt);
		} else if (w == NULL) {
			/* Opened before the sync, so that a change made
			 * while it runs is seen afterwards. */
			doing = "watch";
			rv = mr_watch_open(s.c, s.name, after, &w);
			if (rv == MR_OK)
				need_sync = true;
			else if (rv == MR_FAILED_PRECONDITION)
				after = MR_WATCH_NOW; /* registry went back */
		} else if (need_sync) {
			bool absent;

			doing = "sync";
			if (first)
				tidy(&s);
			first = false;
			rv = sync_step(&s, &absent);
			if (absent) {
				say(&s,
				    "%s; keeping %s/current as it is and "
				    "waiting for a change",
				    s.c->err.msg, s.dir);
				rv = MR_OK;
			}
			if (rv == MR_OK)
				need_sync = false;
		} else {
			doing = "watch";
			rv = mr_watch_next(w, SYNC_WAIT_MS, &ev);
			if (rv == MR_DEADLINE_EXCEEDED)
				continue; /* nothing happened: not a failure */
			if (rv == MR_OK) {
				need_sync = need_sync || moves_stage(&s, ev);
				mr_event_free(ev);
			}
			after = mr_watch_revision(w);
			if (rv == MR_FAILED_PRECONDITION) {
				/* The registry was restored from an older
				 * backup: start over from its present. */
				say(&s, "watch: %s; watching again from now",
				    s.c->err.msg);
				mr_watch_close(w);
				w = NULL;
				after = MR_WATCH_NOW;
				continue;
			}
		}
		if (rv == MR_OK) {
			failures = 0;
			continue;
		}
		why = s.c != NULL ? mr_client_errmsg(s.c)
		                  : mr_client_errmsg(NULL);
		{
			uint64_t ms = backoff_ms(&s, failures++, &seed);
			say(&s, "%s failed: %s: %s; retry %u in %llu ms", doing,
			    mr_strerror(rv), why, failures,
			    (unsigned long long)ms);
			pause_ms(&s, ms);
		}
	}
	mr_watch_close(w);
	mr_client_close(s.c);
	syncer_fini(&s);
	return MR_OK;
}
