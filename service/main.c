/*
 * main.c - modelregd: open the store, serve until SIGINT or SIGTERM.
 *
 * Shutdown is orderly: workers answer every request that has arrived
 * (for up to 5 s), the socket closes, then RocksDB closes.
 * Nothing is lost if it is not: every acknowledged change was synced to the
 * WAL before its reply was sent.
 *
 * Subcommands act on a registry rather than serve it:
 *   modelregd backup DIR [--server URL [TLS files] | --data DATA]
 *   modelregd restore BACKUP --data DATA [--force]
 *   modelregd token create|list|revoke ... [--server URL | --data DATA]
 *   modelregd gc [--server URL | --data DATA] [--grace S] [--dry-run]
 * backup, token and gc ask a running server, or open a store no server
 * has open (--data); restore is offline (storage/backup.c).
 *
 * On a registry that never had a token, the server makes the first admin
 * token and prints it once (and writes it to --bootstrap-token-file).
 */
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crash.h"
#include "guard.h"
#include "modelreg.h"
#include "svc.h"
#include "tls.h"

#define LISTEN_MAX 16
#define DEFAULT_DATA "./var/modelreg"
/*
 * glibc serves allocations above its mmap threshold (128 KiB) with mmap,
 * but raises the threshold to the size of each such block freed, after
 * which the 1 MiB buffers of every pull (chunk replies, RocksDB block
 * reads) come from the allocator's arenas, which keep what is freed for
 * reuse. With one arena per thread (glibc allows 8 per core) each arena
 * keeps its own: 16 concurrent pulls took the peak RSS from 26 to ~110
 * MiB. Two arenas share the freed buffers between all threads instead
 * (peak ~64 MiB, same throughput; bench/RESULTS.md). A fixed mmap
 * threshold bounded it as well but cost page faults on every buffer.
 * Set here, not in the library: the allocator is the program's choice.
 */
#define MALLOC_ARENAS 2
/* How long `modelregd backup --server` waits for the answer. */
#define BACKUP_TIMEOUT_MS (3600 * 1000)
/* The longest --expires a token takes: ten years. */
#define TOKEN_EXPIRY_MAX_MS (3650LL * 86400 * 1000)
/* How long `modelregd gc --server` waits: a sweep reads every chunk
 * record. */
#define GC_TIMEOUT_MS (3600 * 1000)
/* Longest grace period the flags take: a year, in seconds. */
#define GC_GRACE_MAX_S (366L * 86400)

static void
usage_admin(FILE *f)
{
	fprintf(f,
	    "usage: modelregd backup DIR [--server URL | --data DATA]\n"
	    "                 [--ca FILE] [--cert FILE --key FILE]\n"
	    "       modelregd restore BACKUP --data DATA [--force]\n"
	    "       modelregd gc [--server URL | --data DATA] [--grace S]\n"
	    "                    [--dry-run] [--ca F] [--cert F --key F]\n"
	    "\n"
	    "backup: an online, consistent backup of the whole registry into\n"
	    "  DIR, which must not exist or be empty. With --server (default\n"
	    "  " MR_DEFAULT_URL ") the running server writes it, so DIR is an\n"
	    "  absolute path on the SERVER's machine; with --data, a store no\n"
	    "  server has open is backed up by this process. For a\n"
	    "  tls+tcp:// server, --ca (default $MODELREG_TLS_CA) verifies it\n"
	    "  and --cert/--key ($MODELREG_TLS_CERT, $MODELREG_TLS_KEY) are\n"
	    "  presented if it asks for a client certificate.\n"
	    "restore: offline; makes DATA a copy of BACKUP and prints its\n"
	    "  revision. A non-empty DATA is refused unless --force, which\n"
	    "  moves it aside to DATA.before-restore-<unix time>.\n"
	    "gc: deletes the stored chunks that no version references and\n"
	    "  that no upload stored or was told exist within the grace\n"
	    "  period. With --server (default " MR_DEFAULT_URL ") the running\n"
	    "  server collects, with the longer of S and its own --gc-grace;\n"
	    "  with --data, this process collects in a store no server has\n"
	    "  open, with S (default %d s). --dry-run deletes nothing and\n"
	    "  counts what would go.\n",
	    MR_GC_GRACE_MS / 1000);
}

/* `path` made absolute against the working directory, into out. */
static int
absolute(const char *path, char *out, size_t cap)
{
	char cwd[4096];

	if (path[0] == '/')
		return snprintf(out, cap, "%s", path) < (int)cap ? 0 : -1;
	if (getcwd(cwd, sizeof(cwd)) == NULL)
		return -1;
	return snprintf(out, cap, "%s/%s", cwd, path) < (int)cap ? 0 : -1;
}

static int
admin_fail(const char *cmd, mr_status rv, const char *msg)
{
	fprintf(stderr, "modelregd %s: %s: %s\n", cmd, mr_strerror(rv), msg);
	return 1;
}

/* The flags of a subcommand that asks a server over TLS. */
#define TLS_CLIENT_OPTIONS                                                     \
	{ "ca", required_argument, NULL, 'a' },                                \
	{ "cert", required_argument, NULL, 'c' },                              \
	{ "key", required_argument, NULL, 'k' }

/* Takes --ca, --cert or --key (getopt's `ch`) into `o`; false for others. */
static bool
tls_client_flag(int ch, mr_client_options *o)
{
	switch (ch) {
	case 'a':
		o->tls_ca = optarg;
		return true;
	case 'c':
		o->tls_cert = optarg;
		return true;
	case 'k':
		o->tls_key = optarg;
		return true;
	}
	return false;
}

/* modelregd backup DIR [--server URL | --data DATA] [--ca F] [--cert F
 * --key F] */
static int
cmd_backup(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "data", required_argument, NULL, 'd' },
		TLS_CLIENT_OPTIONS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	mr_client_options o = { .timeout_ms = BACKUP_TIMEOUT_MS,
		.tls_cert = getenv("MODELREG_TLS_CERT"),
		.tls_key = getenv("MODELREG_TLS_KEY") };
	const char *url = NULL, *data = NULL, *dir;
	char path[4096];
	uint64_t rev = 0, bytes = 0;
	mr_status rv;
	int ch;

	while ((ch = getopt_long(argc, argv, "s:d:a:c:k:h", opts, NULL)) !=
	    -1) {
		if (tls_client_flag(ch, &o))
			continue;
		switch (ch) {
		case 's':
			url = optarg;
			break;
		case 'd':
			data = optarg;
			break;
		case 'h':
			usage_admin(stdout);
			return 0;
		default:
			usage_admin(stderr);
			return 2;
		}
	}
	if (optind + 1 != argc || (url != NULL && data != NULL)) {
		usage_admin(stderr);
		return 2;
	}
	dir = argv[optind];
	if (data != NULL) {
		store *st;
		mr_err e;

		if (absolute(dir, path, sizeof(path)) != 0)
			return admin_fail("backup", MR_INVALID_ARGUMENT,
			    "path too long");
		if ((rv = store_open(&st, data, &e)) != MR_OK)
			return admin_fail("backup", rv, e.msg);
		rv = store_checkpoint(st, path, &rev, &bytes, &e);
		store_close(st);
		if (rv != MR_OK)
			return admin_fail("backup", rv, e.msg);
		printf("backup of revision %llu in %s (%llu bytes)\n",
		    (unsigned long long)rev, path, (unsigned long long)bytes);
		return 0;
	} else {
		mr_client *c;

		if ((rv = mr_client_open(&c, url != NULL ? url : MR_DEFAULT_URL,
			 &o)) != MR_OK)
			return admin_fail("backup", rv, mr_client_errmsg(NULL));
		rv = mr_backup(c, dir, &rev);
		if (rv != MR_OK) {
			admin_fail("backup", rv, mr_client_errmsg(c));
			mr_client_close(c);
			return 1;
		}
		mr_client_close(c);
		printf("backup of revision %llu in %s (on the server)\n",
		    (unsigned long long)rev, dir);
		return 0;
	}
}

/* modelregd restore BACKUP --data DATA [--force] */
static int
cmd_restore(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "data", required_argument, NULL, 'd' },
		{ "force", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char from[4096], to[4096], aside[4200];
	const char *data = NULL;
	bool force = false;
	uint64_t rev = 0;
	mr_status rv;
	mr_err e;
	int ch;

	while ((ch = getopt_long(argc, argv, "d:fh", opts, NULL)) != -1) {
		switch (ch) {
		case 'd':
			data = optarg;
			break;
		case 'f':
			force = true;
			break;
		case 'h':
			usage_admin(stdout);
			return 0;
		default:
			usage_admin(stderr);
			return 2;
		}
	}
	if (optind + 1 != argc || data == NULL) {
		usage_admin(stderr);
		return 2;
	}
	if (absolute(argv[optind], from, sizeof(from)) != 0 ||
	    absolute(data, to, sizeof(to)) != 0)
		return admin_fail("restore", MR_INVALID_ARGUMENT,
		    "path too long");
	rv = store_restore(from, to, force, &rev, aside, sizeof(aside), &e);
	if (rv != MR_OK)
		return admin_fail("restore", rv, e.msg);
	if (aside[0] != '\0')
		printf("moved the old data directory to %s\n", aside);
	printf("restored revision %llu into %s\n", (unsigned long long)rev, to);
	return 0;
}

static bool number_arg(const char *flag, const char *text, long lo, long hi,
    const char *unit, long *out);

/* modelregd gc [--server URL | --data DATA] [--grace S] [--dry-run] */
static int
cmd_gc(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "data", required_argument, NULL, 'd' },
		{ "grace", required_argument, NULL, 'g' },
		{ "dry-run", no_argument, NULL, 'n' },
		TLS_CLIENT_OPTIONS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	mr_client_options o = { .timeout_ms = GC_TIMEOUT_MS,
		.tls_cert = getenv("MODELREG_TLS_CERT"),
		.tls_key = getenv("MODELREG_TLS_KEY") };
	const char *url = NULL, *data = NULL;
	mr_gc_result r = { 0 };
	bool dry_run = false, grace_given = false;
	long grace_s = MR_GC_GRACE_MS / 1000;
	mr_status rv;
	int ch;

	while ((ch = getopt_long(argc, argv, "s:d:g:na:c:k:h", opts, NULL)) !=
	    -1) {
		if (tls_client_flag(ch, &o))
			continue;
		switch (ch) {
		case 's':
			url = optarg;
			break;
		case 'd':
			data = optarg;
			break;
		case 'g':
			if (!number_arg("--grace", optarg, 0, GC_GRACE_MAX_S,
				" seconds", &grace_s))
				return 2;
			grace_given = true;
			break;
		case 'n':
			dry_run = true;
			break;
		case 'h':
			usage_admin(stdout);
			return 0;
		default:
			usage_admin(stderr);
			return 2;
		}
	}
	if (optind != argc || (url != NULL && data != NULL)) {
		usage_admin(stderr);
		return 2;
	}
	if (data != NULL) {
		store_gc_stats st;
		store *s;
		mr_err e;

		if ((rv = store_open(&s, data, &e)) != MR_OK)
			return admin_fail("gc", rv, e.msg);
		rv = store_gc(s, grace_s * 1000, dry_run, &st, &e);
		store_close(s);
		if (rv != MR_OK)
			return admin_fail("gc", rv, e.msg);
		r.chunks_scanned = st.scanned;
		r.chunks_deleted = st.deleted;
		r.bytes_freed = st.bytes_freed;
		r.kept_by_grace = st.kept_grace;
		r.kept_referenced = st.kept_referenced;
		r.grace_ms = (uint64_t)grace_s * 1000;
	} else {
		mr_client *c;

		if ((rv = mr_client_open(&c, url != NULL ? url : MR_DEFAULT_URL,
			 &o)) != MR_OK)
			return admin_fail("gc", rv, mr_client_errmsg(NULL));
		rv = mr_collect_garbage(c,
		    grace_given ? (uint64_t)grace_s * 1000 : 0, dry_run, &r);
		if (rv != MR_OK) {
			admin_fail("gc", rv, mr_client_errmsg(c));
			mr_client_close(c);
			return 1;
		}
		mr_client_close(c);
	}
	printf("%s %llu of %llu chunks (%llu bytes); kept %llu referenced, "
	       "%llu within the grace period of %llu s\n",
	    dry_run ? "would delete" : "deleted",
	    (unsigned long long)r.chunks_deleted,
	    (unsigned long long)r.chunks_scanned,
	    (unsigned long long)r.bytes_freed,
	    (unsigned long long)r.kept_referenced,
	    (unsigned long long)r.kept_by_grace,
	    (unsigned long long)(r.grace_ms / 1000));
	return 0;
}

static void
usage_token(FILE *f)
{
	fprintf(f,
	    "usage: modelregd token create IDENTITY --grant ROLE[:MODELS[:STAGE]]...\n"
	    "                       [--expires WHEN] [--description TEXT]\n"
	    "       modelregd token list\n"
	    "       modelregd token revoke ID [--reason TEXT]\n"
	    "  each with [--server URL [--ca F] [--cert F --key F] | --data DATA]\n"
	    "\n"
	    "Tokens are \"<id>.<secret>\"; the registry keeps only a hash of the\n"
	    "secret, so create prints it once. ROLE is reader, writer, approver\n"
	    "or admin; MODELS a glob over model names (default \"*\"); STAGE\n"
	    "(approver only) staging or production (default: both). WHEN is a\n"
	    "duration (90m, 12h, 30d) or a time (2027-01-31T00:00:00Z).\n"
	    "With --server (default " MR_DEFAULT_URL ") the running server does\n"
	    "it and $MODELREG_TOKEN must be an admin's; with --data this process\n"
	    "opens a store no server has open, as \"local:<your login>\", which\n"
	    "is how to get a token when none is left.\n");
}

/* ROLE[:MODELS[:STAGE]] into g (models points into `spec`, changed). */
static bool
grant_arg(char *spec, mr_grant *g)
{
	char *models = strchr(spec, ':'), *stage = NULL;

	if (models != NULL) {
		*models++ = '\0';
		if ((stage = strchr(models, ':')) != NULL)
			*stage++ = '\0';
	}
	g->role = mr_role_parse(spec);
	g->models = models != NULL && models[0] != '\0' ? models : "*";
	g->stage = MR_STAGE_NONE;
	if (stage != NULL && (mr_stage_parse(stage, &g->stage) != 0 ||
				 g->stage == MR_STAGE_NONE)) {
		fprintf(stderr, "modelregd token: no stage \"%s\"\n", stage);
		return false;
	}
	if (g->role == 0) {
		fprintf(stderr, "modelregd token: no role \"%s\" (reader, "
		    "writer, approver, admin)\n", spec);
		return false;
	}
	return true;
}

/* 90m, 12h, 30d from now, or an RFC 3339 time; into *ms. */
static bool
expiry_arg(const char *text, int64_t *ms)
{
	char *end;
	long long n;
	int64_t unit = 0;

	errno = 0;
	n = strtoll(text, &end, 10);
	if (errno == 0 && end != text && n > 0 && end[0] != '\0' &&
	    end[1] == '\0')
		unit = end[0] == 'm' ? 60000 : end[0] == 'h' ? 3600000
		    : end[0] == 'd' ? 86400000 : 0;
	if (unit != 0 && n <= TOKEN_EXPIRY_MAX_MS / unit) {
		*ms = mr_now_ms() + n * unit;
		return true;
	}
	if (unit == 0 && mr_parse_time(text, ms) == 0 && *ms > mr_now_ms())
		return true;
	fprintf(stderr, "modelregd token: --expires takes 90m, 12h, 30d (up "
	    "to ten years) or a future time like 2027-01-31T00:00:00Z\n");
	return false;
}

/*
 * A client for the token commands: to the server at `url`, or with
 * `data`, to this process serving that store on inproc:// as
 * "local:<login>".
 */
typedef struct admin_conn {
	store *st;
	svc_server *srv;
	mr_client *c;
} admin_conn;

static int
admin_open(admin_conn *a, const char *cmd, const char *url,
    const char *data, const mr_client_options *o)
{
	memset(a, 0, sizeof(*a));
	if (data != NULL) {
		static char local[64 + 32], inproc[64];
		const struct passwd *pw = getpwuid(getuid());
		const char *u[1] = { inproc };
		svc_options so = { .urls = u, .n_urls = 1, .workers = 1,
			.local = local, .idle_timeout_ms = -1 };
		mr_err e;

		snprintf(local, sizeof(local), "local:%.64s",
		    pw != NULL ? pw->pw_name : "unknown");
		snprintf(inproc, sizeof(inproc), "inproc://modelregd-local-%d",
		    (int)getpid());
		if (store_open(&a->st, data, &e) != MR_OK)
			return admin_fail(cmd, e.code, e.msg);
		if (svc_server_start(&a->srv, a->st, &so, &e) != MR_OK) {
			store_close(a->st);
			return admin_fail(cmd, e.code, e.msg);
		}
		url = inproc;
	}
	if (mr_client_open(&a->c, url != NULL ? url : MR_DEFAULT_URL,
		data != NULL ? NULL : o) != MR_OK) {
		int code = admin_fail(cmd, MR_UNAVAILABLE,
		    mr_client_errmsg(NULL));
		svc_server_stop(a->srv);
		store_close(a->st);
		return code;
	}
	return 0;
}

static void
admin_close(admin_conn *a)
{
	mr_client_close(a->c);
	svc_server_stop(a->srv);
	if (a->st != NULL)
		store_close(a->st);
}

static void
print_token(const mr_token_info *t)
{
	char when[32];

	printf("%s  %s", t->id, t->identity);
	for (size_t i = 0; i < t->n_grants; i++) {
		const mr_grant *g = &t->grants[i];
		printf("%s%s:%s%s%s", i == 0 ? "  " : ",", mr_role_name(g->role),
		    g->models, g->stage != MR_STAGE_NONE ? ":" : "",
		    mr_stage_name(g->stage));
	}
	if (t->revoked_at_ms != 0)
		printf("  revoked %s by %s",
		    mr_format_time(t->revoked_at_ms, when), t->revoked_by);
	else if (t->expires_at_ms != 0)
		printf("  %s %s",
		    t->expires_at_ms <= mr_now_ms() ? "expired" : "expires",
		    mr_format_time(t->expires_at_ms, when));
	printf("  (created %s by %s%s%s)\n",
	    mr_format_time(t->created_at_ms, when), t->created_by,
	    t->description[0] != '\0' ? ": " : "", t->description);
}

/* modelregd token create|list|revoke ... */
static int
cmd_token(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "data", required_argument, NULL, 'd' },
		{ "grant", required_argument, NULL, 'g' },
		{ "expires", required_argument, NULL, 'x' },
		{ "description", required_argument, NULL, 'D' },
		{ "reason", required_argument, NULL, 'r' },
		TLS_CLIENT_OPTIONS,
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	mr_client_options o = { .tls_cert = getenv("MODELREG_TLS_CERT"),
		.tls_key = getenv("MODELREG_TLS_KEY") };
	const char *url = NULL, *data = NULL, *desc = "", *reason = "";
	mr_grant grants[MR_GRANTS_MAX];
	size_t n_grants = 0;
	int64_t expires = 0;
	const char *sub;
	mr_token_list *l = NULL;
	char *token = NULL;
	admin_conn a;
	mr_status rv;
	int ch, code;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		usage_token(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	sub = argv[1];
	argc--;
	argv++;
	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		if (tls_client_flag(ch, &o))
			continue;
		switch (ch) {
		case 's':
			url = optarg;
			break;
		case 'd':
			data = optarg;
			break;
		case 'g':
			if (n_grants == MR_GRANTS_MAX) {
				fprintf(stderr, "modelregd token: at most %d "
				    "grants\n", MR_GRANTS_MAX);
				return 2;
			}
			if (!grant_arg(optarg, &grants[n_grants++]))
				return 2;
			break;
		case 'x':
			if (!expiry_arg(optarg, &expires))
				return 2;
			break;
		case 'D':
			desc = optarg;
			break;
		case 'r':
			reason = optarg;
			break;
		case 'h':
			usage_token(stdout);
			return 0;
		default:
			usage_token(stderr);
			return 2;
		}
	}
	if ((url != NULL && data != NULL) ||
	    (strcmp(sub, "list") == 0 && optind != argc) ||
	    (strcmp(sub, "list") != 0 && optind + 1 != argc) ||
	    (strcmp(sub, "create") == 0 && n_grants == 0) ||
	    (strcmp(sub, "create") != 0 && strcmp(sub, "list") != 0 &&
		strcmp(sub, "revoke") != 0)) {
		usage_token(stderr);
		return 2;
	}
	if ((code = admin_open(&a, "token", url, data, &o)) != 0)
		return code;
	if (strcmp(sub, "create") == 0) {
		rv = mr_token_create(a.c, argv[optind], grants, n_grants, desc,
		    expires, &token, &l);
		if (rv == MR_OK) {
			print_token(&l->items[0]);
			printf("%s\n", token);
		}
	} else if (strcmp(sub, "list") == 0) {
		if ((rv = mr_token_list_all(a.c, &l)) == MR_OK)
			for (size_t i = 0; i < l->count; i++)
				print_token(&l->items[i]);
	} else {
		rv = mr_token_revoke(a.c, argv[optind], reason, &l);
		if (rv == MR_OK)
			print_token(&l->items[0]);
	}
	code = rv == MR_OK ? 0 : admin_fail("token", rv, mr_client_errmsg(a.c));
	free(token);
	mr_token_list_free(l);
	admin_close(&a);
	return code;
}

/*
 * Makes the first admin token if the registry never had one: printed
 * once on stderr, and written to `file` (0600) if given.
 */
static int
bootstrap(store *st, const char *file)
{
	char token[SVC_TOKEN_LEN + 1];
	bool made;
	mr_err e;
	int fd;

	if (svc_auth_bootstrap(st, token, &made, &e) != MR_OK) {
		fprintf(stderr, "modelregd: making the first token: %s\n",
		    e.msg);
		return -1;
	}
	if (!made)
		return 0;
	fprintf(stderr,
	    "modelregd: the registry had no token; the first admin token "
	    "(identity \"admin\", shown only this once):\n%s\n", token);
	if (file == NULL)
		return 0;
	fd = open(file, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW, 0600);
	if (fd < 0 || fchmod(fd, 0600) != 0 ||
	    write(fd, token, strlen(token)) != (ssize_t)strlen(token) ||
	    write(fd, "\n", 1) != 1 || fsync(fd) != 0) {
		fprintf(stderr, "modelregd: writing %s: %s\n", file,
		    strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	fprintf(stderr, "modelregd: (also written to %s)\n", file);
	return 0;
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: modelregd [--listen URL]... [--data DIR] [--workers N]\n"
	    "                 [--environment NAME] [--publish URL]...\n"
	    "                 [--max-connections N] [--idle-timeout S]\n"
	    "                 [--scrub-rate MIB] [--backup-root DIR]\n"
	    "                 [--tls-cert FILE --tls-key FILE "
	    "[--tls-client-ca FILE]]\n"
	    "                 [--anonymous-read] [--bootstrap-token-file F]\n"
	    "                 [--gc-grace S]\n"
	    "\n"
	    "Serves the modelreg registry.\n"
	    "\n"
	    "  --listen URL   address to serve, repeatable (tcp://HOST:PORT,\n"
	    "                 tls+tcp://HOST:PORT, ipc:///path); default\n"
	    "                 " MR_DEFAULT_URL "\n"
	    "  --data DIR     data directory, created if missing; default\n"
	    "                 " DEFAULT_DATA "\n"
	    "  --workers N    threads for requests that may block (writes,\n"
	    "                 chunks), 1..%d; default %d\n"
	    "  --environment NAME  recorded on the deployment nodes of the\n"
	    "                 lineage graph (dev, staging, prod...); default\n"
	    "                 " SVC_ENVIRONMENT_DEFAULT "\n"
	    "  --publish URL  where committed events are published (nng PUB),\n"
	    "                 repeatable; default derived from the first\n"
	    "                 --listen: tcp://H:P -> tcp://H:(P+1) (tls+tcp\n"
	    "                 likewise), ipc://X -> ipc://X.pub, inproc://X ->\n"
	    "                 inproc://X.pub\n"
	    "  --max-connections N  connections open at once, 1..%d;\n"
	    "                 more are closed as they arrive; default %d\n"
	    "  --idle-timeout S  close a connection with no request for S\n"
	    "                 seconds (also one that sent half a message);\n"
	    "                 0: never; default %d (clients reconnect)\n"
	    "  --scrub-rate MIB  background check of every stored chunk\n"
	    "                 (decoded and hashed against its digest), reading\n"
	    "                 at most MIB MiB/s, 0..%u; 0 disables; default %d.\n"
	    "                 Damaged chunks are logged here\n"
	    "  --backup-root DIR  allow online backups (Admin/Backup,\n"
	    "                 modelregd backup) into directories below DIR;\n"
	    "                 without it they are refused\n"
	    "  --anonymous-read  reads need no token (a fleet without\n"
	    "                 tokens); the change feed then carries whole\n"
	    "                 events. Off by default: every call needs a token\n"
	    "  --bootstrap-token-file F  on a registry that never had a\n"
	    "                 token, the first admin token is printed once;\n"
	    "                 also write it to F (mode 0600)\n"
	    "  --tls-cert FILE, --tls-key FILE  the server's certificate\n"
	    "                 (chain) and unencrypted private key, PEM;\n"
	    "                 needed by every tls+tcp:// address (the change\n"
	    "                 feed's too)\n"
	    "  --tls-client-ca FILE  clients of tls+tcp:// addresses must\n"
	    "                 present a certificate signed by this CA (PEM);\n"
	    "                 without it none is asked for\n"
	    "  --gc-grace S   garbage collection (Admin/CollectGarbage,\n"
	    "                 modelregd gc) keeps unreferenced chunks that an\n"
	    "                 upload stored or was told exist in the last S\n"
	    "                 seconds (an upload has that long to commit);\n"
	    "                 callers may ask for more, not less; default %d\n"
	    "\n"
	    "Requests are limited to %u bytes (larger ones up to %u get\n"
	    "RESOURCE_EXHAUSTED; beyond that the connection is dropped).\n"
	    "\n"
	    "       modelregd backup DIR [--server URL | --data DATA]\n"
	    "       modelregd restore BACKUP --data DATA [--force]\n"
	    "       modelregd gc [--server URL | --data DATA] [--grace S]\n"
	    "                    [--dry-run]\n"
	    "       modelregd token create|list|revoke ...\n"
	    "(modelregd backup --help, modelregd token --help for those.)\n",
	    SVC_WORKERS_MAX, SVC_WORKERS_DEFAULT, SVC_CONNS_LIMIT,
	    SVC_CONNS_DEFAULT, SVC_IDLE_MS_DEFAULT / 1000,
	    SVC_SCRUB_RATE_MAX_MIB, SVC_SCRUB_RATE_DEFAULT_MIB,
	    MR_GC_GRACE_MS / 1000, MR_MSG_MAX, MR_WIRE_MAX);
}

/* A whole number in lo..hi for `flag`, or a message and false. */
static bool
number_arg(const char *flag, const char *text, long lo, long hi,
    const char *unit, long *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || n < lo || n > hi) {
		fprintf(stderr, "modelregd: %s takes %ld..%ld%s\n", flag, lo,
		    hi, unit);
		return false;
	}
	*out = n;
	return true;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "data", required_argument, NULL, 'd' },
		{ "workers", required_argument, NULL, 'w' },
		{ "environment", required_argument, NULL, 'e' },
		{ "publish", required_argument, NULL, 'p' },
		{ "max-connections", required_argument, NULL, 'c' },
		{ "idle-timeout", required_argument, NULL, 'i' },
		{ "scrub-rate", required_argument, NULL, 's' },
		{ "backup-root", required_argument, NULL, 'b' },
		{ "anonymous-read", no_argument, NULL, 'a' },
		{ "bootstrap-token-file", required_argument, NULL, 'B' },
		{ "tls-cert", required_argument, NULL, 'T' },
		{ "tls-key", required_argument, NULL, 'K' },
		{ "tls-client-ca", required_argument, NULL, 'A' },
		{ "gc-grace", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *urls[LISTEN_MAX];
	const char *pub_urls[SVC_PUBLISH_MAX];
	svc_options so = { .urls = urls, .n_urls = 0, .workers = 0,
		.scrub_rate_mib = SVC_SCRUB_RATE_DEFAULT_MIB };
	const char *data = DEFAULT_DATA, *token_file = NULL;
	svc_server *srv = NULL;
	store *st = NULL;
	sigset_t sigs;
	mr_err e;
	int ch, sig;
	long n;

	if (argc > 1 && strcmp(argv[1], "backup") == 0)
		return cmd_backup(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "restore") == 0)
		return cmd_restore(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "token") == 0)
		return cmd_token(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "gc") == 0)
		return cmd_gc(argc - 1, argv + 1);
	while ((ch = getopt_long(argc, argv, "l:d:w:e:p:c:i:s:b:aB:T:K:A:g:h",
		    opts, NULL)) != -1) {
		switch (ch) {
		case 'l':
			if (so.n_urls == LISTEN_MAX) {
				fprintf(stderr, "modelregd: at most %d "
				    "--listen addresses\n", LISTEN_MAX);
				return 2;
			}
			urls[so.n_urls++] = optarg;
			break;
		case 'p':
			if (so.n_publish_urls == SVC_PUBLISH_MAX) {
				fprintf(stderr, "modelregd: at most %d "
				    "--publish addresses\n", SVC_PUBLISH_MAX);
				return 2;
			}
			pub_urls[so.n_publish_urls++] = optarg;
			so.publish_urls = pub_urls;
			break;
		case 'd':
			data = optarg;
			break;
		case 'w':
			if (!number_arg("--workers", optarg, 1, SVC_WORKERS_MAX,
				"", &n))
				return 2;
			so.workers = (int)n;
			break;
		case 'c':
			if (!number_arg("--max-connections", optarg, 1,
				SVC_CONNS_LIMIT, "", &n))
				return 2;
			so.max_connections = (int)n;
			break;
		case 'i':
			if (!number_arg("--idle-timeout", optarg, 0, 86400,
				" seconds", &n))
				return 2;
			so.idle_timeout_ms = n == 0 ? -1 : (int)n * 1000;
			break;
		case 's':
			if (!number_arg("--scrub-rate", optarg, 0,
				SVC_SCRUB_RATE_MAX_MIB, " (MiB/s)", &n))
				return 2;
			so.scrub_rate_mib = (uint32_t)n;
			break;
		case 'b':
			if (optarg[0] != '/') {
				fprintf(stderr, "modelregd: --backup-root takes "
				    "an absolute path\n");
				return 2;
			}
			so.backup_root = optarg;
			break;
		case 'a':
			so.anonymous_read = true;
			break;
		case 'B':
			token_file = optarg;
			break;
		case 'T':
			so.tls_cert = optarg;
			break;
		case 'K':
			so.tls_key = optarg;
			break;
		case 'A':
			so.tls_client_ca = optarg;
			break;
		case 'g':
			if (!number_arg("--gc-grace", optarg, 0, GC_GRACE_MAX_S,
				" seconds", &n))
				return 2;
			so.gc_grace_ms = n == 0 ? -1 : n * 1000;
			break;
		case 'e':
			if (mr_check_tag_key(optarg, NULL) != MR_OK ||
			    strlen(optarg) > MR_LINEAGE_NAME_MAX) {
				fprintf(stderr, "modelregd: --environment takes "
				    "letters, digits and \"._/-\"\n");
				return 2;
			}
			so.environment = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	if (so.n_urls == 0)
		urls[so.n_urls++] = MR_DEFAULT_URL;

	mallopt(M_ARENA_MAX, MALLOC_ARENAS);
	/* The crash tests' kill points (common/crash.h): armed only by
	 * MODELREG_CRASH_AT, which tests set. */
	if (mr_crash_init() != 0)
		return 2;

	/* Signals are taken by sigwait below, never by a worker thread:
	 * block them before any thread starts. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (store_open(&st, data, &e) != MR_OK) {
		fprintf(stderr, "modelregd: %s: %s\n", mr_strerror(e.code),
		    e.msg);
		return 1;
	}
	if (bootstrap(st, token_file) != 0) {
		store_close(st);
		return 1;
	}
	if (svc_server_start(&srv, st, &so, &e) != MR_OK) {
		fprintf(stderr, "modelregd: %s: %s\n", mr_strerror(e.code),
		    e.msg);
		store_close(st);
		return 1;
	}
	for (size_t i = 0; i < so.n_urls; i++) {
		fprintf(stderr, "modelregd: serving %s%s\n", urls[i],
		    !mr_tls_url(urls[i])        ? ""
			: so.tls_client_ca != NULL ? " (TLS, client "
						     "certificates required)"
						   : " (TLS)");
		if (svc_url_plain_off_host(urls[i]))
			fprintf(stderr,
			    "modelregd: warning: %s is plain TCP on an address "
			    "other machines can reach: requests and their "
			    "tokens cross the network unencrypted\n",
			    urls[i]);
	}
	{
		const char *const *pub;
		size_t n = svc_publisher_urls(svc_server_publisher(srv), &pub);
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, "modelregd: publishing events on %s\n",
			    pub[i]);
	}
	fprintf(stderr,
	    "modelregd: data in %s, revision %llu, %d workers; ready\n", data,
	    (unsigned long long)store_revision(st),
	    so.workers > 0 ? so.workers : SVC_WORKERS_DEFAULT);
	if (so.scrub_rate_mib > 0)
		fprintf(stderr, "modelregd: scrubbing chunks at %u MiB/s\n",
		    so.scrub_rate_mib);
	if (so.anonymous_read)
		fprintf(stderr, "modelregd: reads are open to callers without "
		    "a token (--anonymous-read)\n");

	sigwait(&sigs, &sig);
	fprintf(stderr, "modelregd: %s, finishing requests in flight\n",
	    sig == SIGINT ? "SIGINT" : "SIGTERM");
	svc_server_stop(srv);
	store_close(st);
	fprintf(stderr, "modelregd: stopped\n");
	return 0;
}
