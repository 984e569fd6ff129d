/*
 * main.c - modelregd: open the store, serve until SIGINT or SIGTERM.
 *
 * Shutdown is orderly: workers answer every request that has arrived
 * (for up to 5 s), the socket closes, then RocksDB closes.
 * Nothing is lost if it is not: every acknowledged change was synced to the
 * WAL before its reply was sent.
 *
 * Two subcommands act on a registry rather than serve it:
 *   modelregd backup DIR [--server URL | --data DATA]
 *   modelregd restore BACKUP --data DATA [--force]
 * backup asks a running server (Admin.Backup), or opens a store no server
 * has open (--data); restore is offline (storage/backup.c).
 */
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

static void
usage_admin(FILE *f)
{
	fprintf(f,
	    "usage: modelregd backup DIR [--server URL | --data DATA]\n"
	    "       modelregd restore BACKUP --data DATA [--force]\n"
	    "\n"
	    "backup: an online, consistent backup of the whole registry into\n"
	    "  DIR, which must not exist or be empty. With --server (default\n"
	    "  " MR_DEFAULT_URL ") the running server writes it, so DIR is an\n"
	    "  absolute path on the SERVER's machine; with --data, a store no\n"
	    "  server has open is backed up by this process.\n"
	    "restore: offline; makes DATA a copy of BACKUP and prints its\n"
	    "  revision. A non-empty DATA is refused unless --force, which\n"
	    "  moves it aside to DATA.before-restore-<unix time>.\n");
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

/* modelregd backup DIR [--server URL | --data DATA] */
static int
cmd_backup(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "server", required_argument, NULL, 's' },
		{ "data", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *url = NULL, *data = NULL, *dir;
	char path[4096];
	uint64_t rev = 0, bytes = 0;
	mr_status rv;
	int ch;

	while ((ch = getopt_long(argc, argv, "s:d:h", opts, NULL)) != -1) {
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
		mr_client_options o = { .timeout_ms = BACKUP_TIMEOUT_MS };
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

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: modelregd [--listen URL]... [--data DIR] [--workers N]\n"
	    "                 [--environment NAME] [--publish URL]...\n"
	    "                 [--max-connections N] [--idle-timeout S]\n"
	    "                 [--scrub-rate MIB] [--backup-root DIR]\n"
	    "\n"
	    "Serves the modelreg registry.\n"
	    "\n"
	    "  --listen URL   address to serve, repeatable (tcp://HOST:PORT,\n"
	    "                 ipc:///path); default " MR_DEFAULT_URL "\n"
	    "  --data DIR     data directory, created if missing; default\n"
	    "                 " DEFAULT_DATA "\n"
	    "  --workers N    threads for requests that may block (writes,\n"
	    "                 chunks), 1..%d; default %d\n"
	    "  --environment NAME  recorded on the deployment nodes of the\n"
	    "                 lineage graph (dev, staging, prod...); default\n"
	    "                 " SVC_ENVIRONMENT_DEFAULT "\n"
	    "  --publish URL  where committed events are published (nng PUB),\n"
	    "                 repeatable; default derived from the first\n"
	    "                 --listen: tcp://H:P -> tcp://H:(P+1), ipc://X ->\n"
	    "                 ipc://X.pub, inproc://X -> inproc://X.pub\n"
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
	    "\n"
	    "Requests are limited to %u bytes (larger ones up to %u get\n"
	    "RESOURCE_EXHAUSTED; beyond that the connection is dropped).\n"
	    "\n"
	    "       modelregd backup DIR [--server URL | --data DATA]\n"
	    "       modelregd restore BACKUP --data DATA [--force]\n"
	    "(modelregd backup --help for those.)\n",
	    SVC_WORKERS_MAX, SVC_WORKERS_DEFAULT, SVC_CONNS_LIMIT,
	    SVC_CONNS_DEFAULT, SVC_IDLE_MS_DEFAULT / 1000,
	    SVC_SCRUB_RATE_MAX_MIB, SVC_SCRUB_RATE_DEFAULT_MIB, MR_MSG_MAX,
	    MR_WIRE_MAX);
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
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *urls[LISTEN_MAX];
	const char *pub_urls[SVC_PUBLISH_MAX];
	svc_options so = { .urls = urls, .n_urls = 0, .workers = 0,
		.scrub_rate_mib = SVC_SCRUB_RATE_DEFAULT_MIB };
	const char *data = DEFAULT_DATA;
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
	while ((ch = getopt_long(argc, argv, "l:d:w:e:p:c:i:s:b:h", opts, NULL)) != -1) {
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
	if (svc_server_start(&srv, st, &so, &e) != MR_OK) {
		fprintf(stderr, "modelregd: %s: %s\n", mr_strerror(e.code),
		    e.msg);
		store_close(st);
		return 1;
	}
	for (size_t i = 0; i < so.n_urls; i++) {
		fprintf(stderr, "modelregd: serving %s\n", urls[i]);
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

	sigwait(&sigs, &sig);
	fprintf(stderr, "modelregd: %s, finishing requests in flight\n",
	    sig == SIGINT ? "SIGINT" : "SIGTERM");
	svc_server_stop(srv);
	store_close(st);
	fprintf(stderr, "modelregd: stopped\n");
	return 0;
}
