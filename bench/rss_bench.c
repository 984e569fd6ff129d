/*
 * rss_bench.c - modelreg-rss-bench: the server's peak memory while a fleet
 * pulls one large artifact at once.
 *
 * The fleet issue asks for a peak server RSS under 128 MiB during 16
 * concurrent pulls of a 1 GiB artifact. The server must be alone in its
 * process for its RSS to mean anything, so this bench runs the built
 * modelregd (MODELREGD_PATH, or --modelregd) on a temporary data
 * directory and loopback TCP, pushes a float32-weights artifact to it,
 * then restarts it, so that the peak measured is the pulls' and not the
 * push's (VmHWM is a high-water mark since the process started).
 *
 * During the pulls a thread reads VmRSS from /proc/PID/status every 10 ms
 * and keeps the largest; VmHWM, read at the end, catches a peak shorter
 * than a sample period. Each pull runs on its own thread with its own
 * mr_client, writes to its own file, and deletes it when done. The
 * aggregate throughput is the bytes pulled over the wall time of all.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "benchutil.h"
#include "common.h"
#include "gen.h"
#include "modelreg.h"

#define MODEL "rss-model"
#define MIB (1024.0 * 1024.0)
/* The memory figure the fleet issue sets. */
#define TARGET_MIB 128

static const char *g_modelregd = MODELREGD_PATH;

/* ---- the server process ------------------------------------------------ */

struct server {
	pid_t pid;
	char url[64];
};

/* "VmRSS" or "VmHWM" of `pid`, in KiB; -1 if it cannot be read. */
static long
proc_status_kib(pid_t pid, const char *field)
{
	char path[64], line[256];
	size_t flen = strlen(field);
	long kib = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, field, flen) == 0 && line[flen] == ':') {
			kib = strtol(line + flen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return kib;
}

static void
server_start(struct server *sv, const char *data, const char *workers)
{
	char pub[64], tokfile[PATH_MAX + 8];
	int port = bench_free_port();
	mr_client *c;
	mr_model *m;

	snprintf(sv->url, sizeof(sv->url), "tcp://127.0.0.1:%d", port);
	snprintf(pub, sizeof(pub), "tcp://127.0.0.1:%d", bench_free_port());
	snprintf(tokfile, sizeof(tokfile), "%s.token", data);
	if ((sv->pid = fork()) == 0) {
		const char *argv[] = { g_modelregd, "--data", data, "--listen",
			sv->url, "--publish", pub, "--workers", workers,
			"--bootstrap-token-file", tokfile, NULL };
		execv(g_modelregd, (char **)argv);
		fprintf(stderr, "modelreg-rss-bench: cannot run %s: %s\n",
		    g_modelregd, strerror(errno));
		_exit(127);
	}
	/* Ready when it answers: NOT_FOUND for the model not pushed yet. */
	for (int i = 0; i < 200; i++) {
		if (mr_client_open(&c, sv->url, NULL) == MR_OK) {
			mr_status rv = mr_get_model(c, MODEL, &m);
			if (rv == MR_OK)
				mr_model_free(m);
			mr_client_close(c);
			if (rv == MR_OK || rv == MR_NOT_FOUND ||
			    rv == MR_UNAUTHENTICATED) {
				bench_token_file(tokfile);
				return;
			}
		}
		usleep(50 * 1000);
	}
	fprintf(stderr, "modelreg-rss-bench: %s did not start\n", g_modelregd);
	kill(sv->pid, SIGKILL);
	exit(1);
}

static void
server_stop(struct server *sv)
{
	int status;

	kill(sv->pid, SIGTERM);
	waitpid(sv->pid, &status, 0);
}

/* ---- sampling ------------------------------------------------------------ */

struct sampler {
	pthread_t t;
	pid_t pid;
	atomic_bool stop;
	long peak_kib;
	size_t samples;
};

static void *
sampler_main(void *arg)
{
	struct sampler *s = arg;

	while (!atomic_load(&s->stop)) {
		long kib = proc_status_kib(s->pid, "VmRSS");
		if (kib > s->peak_kib)
			s->peak_kib = kib;
		s->samples++;
		usleep(10 * 1000);
	}
	return NULL;
}

/* ---- pulls ------------------------------------------------------------ */

struct puller {
	pthread_t t;
	const char *url;
	char dest[PATH_MAX + 32];
	mr_status rv;
	char msg[256];
};

static void *
pull_main(void *arg)
{
	struct puller *p = arg;
	mr_client *c;

	if ((p->rv = mr_client_open(&c, p->url, NULL)) != MR_OK) {
		snprintf(p->msg, sizeof(p->msg), "%s", mr_client_errmsg(NULL));
		return NULL;
	}
	p->rv = mr_pull(c, MODEL, "1.0.0", MR_STAGE_NONE, p->dest, NULL, NULL);
	if (p->rv != MR_OK)
		snprintf(p->msg, sizeof(p->msg), "%s", mr_client_errmsg(c));
	mr_client_close(c);
	unlink(p->dest); /* 16 GiB of results would fill a small disk */
	return NULL;
}

/* ---- setup ------------------------------------------------------------ */

/* Writes `mib` MiB of float32-like weights to `path`, 64 MiB at a time. */
static void
write_weights(const char *path, size_t mib)
{
	size_t piece = 64u << 20;
	uint8_t *buf = malloc(piece);
	FILE *f = fopen(path, "wb");

	if (buf == NULL || f == NULL) {
		fprintf(stderr, "modelreg-rss-bench: cannot write %s\n", path);
		exit(1);
	}
	for (size_t done = 0, i = 0; done < mib << 20; done += piece, i++) {
		size_t n = (mib << 20) - done < piece ? (mib << 20) - done
						       : piece;
		tu_fill_weights(buf, n, 7 + i);
		if (fwrite(buf, 1, n, f) != n) {
			fprintf(stderr, "modelreg-rss-bench: cannot write "
					"%s\n", path);
			exit(1);
		}
	}
	fclose(f);
	free(buf);
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: modelreg-rss-bench [--mib N] [--pulls N] [--workers N] "
	    "[--dir DIR] [--modelregd PATH]\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mib", required_argument, NULL, 'm' },
		{ "pulls", required_argument, NULL, 'n' },
		{ "workers", required_argument, NULL, 'w' },
		{ "dir", required_argument, NULL, 'd' },
		{ "modelregd", required_argument, NULL, 'x' },
		{ NULL, 0, NULL, 0 },
	};
	const char *base = getenv("TMPDIR"), *workers = "16";
	char dir[PATH_MAX], data[PATH_MAX + 16], path[PATH_MAX + 64];
	size_t mib = 1024;
	int pulls = 16, ch, failed = 0;
	struct sampler smp = { .stop = false };
	struct puller *p;
	struct server sv;
	uint64_t t0, t1;
	long idle_kib, push_hwm_kib, hwm_kib;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			mib = (size_t)atol(optarg);
			break;
		case 'n':
			pulls = atoi(optarg);
			break;
		case 'w':
			workers = optarg;
			break;
		case 'd':
			base = optarg;
			break;
		case 'x':
			g_modelregd = optarg;
			break;
		default:
			usage();
			return 2;
		}
	}
	if (mib == 0 || pulls < 1) {
		usage();
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	snprintf(dir, sizeof(dir), "%s/modelreg-rss-XXXXXX",
	    base != NULL ? base : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(data, sizeof(data), "%s/data", dir);
	snprintf(path, sizeof(path), "%s/weights.bin", dir);
	write_weights(path, mib);

	/* Push, then restart: the pulls start from a fresh process. */
	server_start(&sv, data, workers);
	{
		mr_register_params rp = { .name = MODEL, .version = "1.0.0",
			.path = path };
		mr_client *c;
		mr_status rv;

		t0 = mr_mono_ns();
		if ((rv = mr_client_open(&c, sv.url, NULL)) != MR_OK ||
		    (rv = mr_register(c, &rp, NULL)) != MR_OK) {
			fprintf(stderr, "modelreg-rss-bench: push: %s\n",
			    mr_strerror(rv));
			server_stop(&sv);
			return 1;
		}
		mr_client_close(c);
		push_hwm_kib = proc_status_kib(sv.pid, "VmHWM");
		printf("push      %zu MiB float32 weights: %.0f MiB/s, server "
		       "VmHWM %.1f MiB\n",
		    mib,
		    (double)mib / ((double)(mr_mono_ns() - t0) / 1e9),
		    (double)push_hwm_kib / 1024);
	}
	unlink(path);
	server_stop(&sv);
	server_start(&sv, data, workers);
	idle_kib = proc_status_kib(sv.pid, "VmRSS");

	p = calloc((size_t)pulls, sizeof(*p));
	smp.pid = sv.pid;
	smp.peak_kib = idle_kib;
	pthread_create(&smp.t, NULL, sampler_main, &smp);
	t0 = mr_mono_ns();
	for (int i = 0; i < pulls; i++) {
		p[i].url = sv.url;
		snprintf(p[i].dest, sizeof(p[i].dest), "%s/pulled-%d.bin", dir,
		    i);
		pthread_create(&p[i].t, NULL, pull_main, &p[i]);
	}
	for (int i = 0; i < pulls; i++) {
		pthread_join(p[i].t, NULL);
		if (p[i].rv != MR_OK) {
			fprintf(stderr, "modelreg-rss-bench: pull %d: %s: "
					"%s\n", i, mr_strerror(p[i].rv), p[i].msg);
			failed++;
		}
	}
	t1 = mr_mono_ns();
	atomic_store(&smp.stop, true);
	pthread_join(smp.t, NULL);
	hwm_kib = proc_status_kib(sv.pid, "VmHWM");
	server_stop(&sv);

	printf("pulls     %d x %zu MiB over tcp, %s workers: %.0f MiB/s "
	       "aggregate (%.1f s)%s\n",
	    pulls, mib, workers,
	    (double)pulls * (double)mib / ((double)(t1 - t0) / 1e9),
	    (double)(t1 - t0) / 1e9, failed ? ", SOME FAILED" : "");
	printf("server    RSS idle %.1f MiB, peak %.1f MiB (%zu samples "
	       "every 10 ms), VmHWM %.1f MiB; target < %d MiB: ratio %.2f\n",
	    (double)idle_kib / 1024, (double)smp.peak_kib / 1024,
	    smp.samples, (double)hwm_kib / 1024, TARGET_MIB,
	    (double)hwm_kib / 1024 / TARGET_MIB);

	free(p);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		fprintf(stderr, "modelreg-rss-bench: could not remove %s\n",
		    dir);
	return failed ? 1 : 0;
}
