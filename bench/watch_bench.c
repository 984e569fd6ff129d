/*
 * watch_bench.c - modelreg-watch-bench: how long a promotion takes to
 * reach 1, 100 and 1,000 watchers.
 *
 * The real server runs in this process on loopback TCP (its PUB socket on
 * the next port). Each subscriber is a thread with its own mr_client and
 * mr_watch on the model, as a fleet node would have, so 1,000 subscribers
 * are 1,000 SUB and 1,000 REQ connections. For each sample the main
 * thread reads the monotonic clock just before calling mr_promote (a
 * fresh version, dev -> staging), and each subscriber reads it when
 * mr_watch_next returns that stage change: the latency covers the
 * Promote call, the synced commit, publishing and the fan-out. The next
 * promotion waits until every subscriber has the last one, so samples do
 * not queue behind each other. Since a watch never skips a revision, a
 * subscriber's k-th stage change is sample k.
 *
 * Baseline, from the same run: the Promote call's own round trip (the
 * time from the call to its return, which includes the fsync), so the
 * ratio says what the feed adds to a commit.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benchutil.h"
#include "common.h"
#include "modelreg.h"
#include "svc.h"
#include "watch.h"

#define MODEL "bench"

struct sub {
	pthread_t th;
	mr_client *c;
	mr_watch *w;
	uint64_t *recv_ns; /* per sample */
	atomic_bool ready;  /* has seen a heartbeat: connected */
	uint64_t from_log;
};

static struct {
	int samples;
	atomic_int *delivered; /* per sample: subscribers that have it */
	atomic_bool stop;
} g;

static void
die(const char *what, const char *msg)
{
	fprintf(stderr, "modelreg-watch-bench: %s: %s\n", what, msg);
	exit(1);
}

static void *
sub_main(void *arg)
{
	struct sub *s = arg;
	int k = 0;

	while (!atomic_load(&g.stop)) {
		mr_event *ev;
		watch_stats st;
		mr_status rv = mr_watch_next(s->w, 1000, &ev);

		if (!atomic_load(&s->ready)) {
			watch_get_stats(s->w, &st);
			if (st.heartbeats > 0)
				atomic_store(&s->ready, true);
		}
		if (rv != MR_OK)
			continue;
		if (ev->kind == MR_EVENT_STAGE_CHANGED && k < g.samples) {
			s->recv_ns[k] = mr_mono_ns();
			atomic_fetch_add(&g.delivered[k], 1);
			k++;
		}
		mr_event_free(ev);
	}
	{
		watch_stats st;
		watch_get_stats(s->w, &st);
		s->from_log = st.from_log;
	}
	return NULL;
}

static void
run(const char *url, mr_client *c, int n_subs, int *next_version)
{
	struct sub *subs = calloc((size_t)n_subs, sizeof(*subs));
	uint64_t *t0 = calloc((size_t)g.samples, sizeof(*t0));
	uint64_t *rtt = calloc((size_t)g.samples, sizeof(*rtt));
	uint64_t *lat = malloc((size_t)n_subs * g.samples * sizeof(*lat));
	mr_client_options o = { .timeout_ms = 60000 };
	uint64_t from_log = 0;
	size_t n_lat = 0;
	char v[32];

	g.delivered = calloc((size_t)g.samples, sizeof(*g.delivered));
	atomic_store(&g.stop, false);
	for (int i = 0; i < n_subs; i++) {
		struct sub *s = &subs[i];
		s->recv_ns = calloc((size_t)g.samples, sizeof(uint64_t));
		if (mr_client_open(&s->c, url, &o) != MR_OK)
			die("mr_client_open", mr_client_errmsg(NULL));
		if (mr_watch_open(s->c, MODEL, MR_WATCH_NOW, &s->w) != MR_OK)
			die("mr_watch_open", mr_client_errmsg(s->c));
		if (pthread_create(&s->th, NULL, sub_main, s) != 0)
			die("pthread_create", "failed");
	}
	/* Every SUB socket connected: each has had a heartbeat. */
	for (int i = 0; i < n_subs; i++)
		while (!atomic_load(&subs[i].ready))
			usleep(10000);

	for (int k = 0; k < g.samples; k++) {
		uint64_t deadline;

		snprintf(v, sizeof(v), "1.0.%d", (*next_version)++);
		t0[k] = mr_mono_ns();
		if (mr_promote(c, MODEL, v, MR_STAGE_STAGING, MR_STAGE_NONE,
			"bench", NULL) != MR_OK)
			die("mr_promote", mr_client_errmsg(c));
		rtt[k] = mr_mono_ns() - t0[k];
		deadline = mr_mono_ns() + 10000000000ull;
		while (atomic_load(&g.delivered[k]) < n_subs) {
			if (mr_mono_ns() > deadline)
				die("waiting for delivery", "10 s passed");
			usleep(200);
		}
	}
	atomic_store(&g.stop, true);
	for (int i = 0; i < n_subs; i++) {
		struct sub *s = &subs[i];
		pthread_join(s->th, NULL);
		for (int k = 0; k < g.samples; k++)
			lat[n_lat++] = s->recv_ns[k] - t0[k];
		from_log += s->from_log;
		/* Left open: the process ends after one level (see main). */
		free(s->recv_ns);
	}
	{
		double p50 = bench_quantile_us(lat, n_lat, 0.50);
		double p99 = bench_quantile_us(lat, n_lat, 0.99);
		double b50 = bench_quantile_us(rtt, (size_t)g.samples, 0.50);
		double b99 = bench_quantile_us(rtt, (size_t)g.samples, 0.99);
		printf("%-6d %10.0f %10.0f %12.0f %12.0f %8.2f %8.2f %10llu\n",
		    n_subs, p50, p99, b50, b99, p50 / b50, p99 / b99,
		    (unsigned long long)from_log);
		fflush(stdout);
	}
	free(g.delivered);
	free(subs);
	free(t0);
	free(rtt);
	free(lat);
}

int
main(int argc, char **argv)
{
	int levels[] = { 1, 100, 1000 }, n_levels = 3, next_version = 0;
	int only = 0;
	char dir[] = "/tmp/modelreg-watch-bench-XXXXXX", data[64], url[64],
	     file[64], cmd[128];
	const char *urls[1] = { url };
	svc_options so = { .urls = urls, .n_urls = 1 };
	svc_server *srv;
	mr_client *c;
	store *st;
	mr_err e;
	FILE *f;

	g.samples = 200;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--samples") == 0 && i + 1 < argc)
			g.samples = atoi(argv[++i]);
		else if (strcmp(argv[i], "--subscribers") == 0 &&
		    i + 1 < argc)
			only = atoi(argv[++i]);
		else if (strcmp(argv[i], "--max-subscribers") == 0 &&
		    i + 1 < argc) {
			int max = atoi(argv[++i]);
			while (n_levels > 1 && levels[n_levels - 1] > max)
				n_levels--;
		} else {
			fprintf(stderr, "usage: modelreg-watch-bench "
					"[--samples N] [--max-subscribers N] "
					"[--subscribers N]\n");
			return 2;
		}
	}
	if (g.samples < 1)
		die("--samples", "at least 1");
	if (only == 0) {
		/*
		 * Each level in a process of its own, which exits without
		 * closing its 2N sockets: closing hundreds of SUB sockets
		 * at once now and then deadlocks nng 1.5.2's reaper (a
		 * close-path bug fixed in later nng releases), and a fresh
		 * process also keeps one level's connections out of the
		 * next one's fan-out.
		 */
		printf("promote (dev -> staging) to delivery by "
		       "mr_watch_next, over tcp, %d samples per level;\n"
		       "baseline: the Promote call's round trip (commit "
		       "with fsync)\n",
		    g.samples);
		printf("%-6s %10s %10s %12s %12s %8s %8s %10s\n", "subs",
		    "p50 us", "p99 us", "promote p50", "promote p99",
		    "p50 x", "p99 x", "from log");
		fflush(stdout);
		for (int i = 0; i < n_levels; i++) {
			char line[4200];
			snprintf(line, sizeof(line),
			    "'%s' --samples %d --subscribers %d", argv[0],
			    g.samples, levels[i]);
			if (system(line) != 0)
				die("level", line);
		}
		return 0;
	}
	levels[0] = only;
	n_levels = 1;
	if (mkdtemp(dir) == NULL)
		die("mkdtemp", dir);
	snprintf(data, sizeof(data), "%s/data", dir);
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", bench_free_port());
	if (store_open(&st, data, &e) != MR_OK)
		die("store_open", e.msg);
	bench_token_store(st);
	if (svc_server_start(&srv, st, &so, &e) != MR_OK)
		die("svc_server_start", e.msg);
	if (mr_client_open(&c, url, NULL) != MR_OK)
		die("mr_client_open", mr_client_errmsg(NULL));

	/* The versions to promote, one per sample and level. */
	snprintf(file, sizeof(file), "%s/w.bin", dir);
	if ((f = fopen(file, "w")) == NULL)
		die("fopen", file);
	fputs("weights", f);
	fclose(f);
	for (int i = 0; i < g.samples * n_levels; i++) {
		char v[32];
		mr_register_params p = { .name = MODEL, .version = v,
			.path = file };
		snprintf(v, sizeof(v), "1.0.%d", i);
		if (mr_register(c, &p, NULL) != MR_OK)
			die("mr_register", mr_client_errmsg(c));
	}

	run(url, c, levels[0], &next_version);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "modelreg-watch-bench: could not remove %s\n",
		    dir);
	(void)srv;
	(void)st;
	_exit(0); /* without closing: see above */
}
