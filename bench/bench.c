/*
 * bench.c - modelreg-bench: the registry's hot paths against the raw
 * transport they ride on, measured in one run on one machine.
 *
 * 1. GetVersion by stage (what a fleet asks: "the production version of
 *    M") at 1, 16 and 64 concurrent clients: latency p50/p99 and calls/s,
 *    next to a raw nng REQ/REP echo that sends and answers messages of the
 *    same sizes on the same transport.
 * 2. Pull of a float32-weights artifact (default 256 MiB), verified and
 *    written to disk, next to a raw nng transfer of the same bytes in
 *    messages of the same size (1 MiB chunks) with the same number in
 *    flight.
 *
 * The registry (modelregd's service library on a RocksDB store in a
 * temporary directory) and the echo server run in this process, so both
 * sides of each comparison share the same two cores. Each figure is
 * printed with its ratio to the baseline; nothing here passes or fails.
 */
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nng/nng.h>

#include "benchutil.h"
#include "envelope.pb-c.h"
#include "gen.h"
#include "modelreg.h"
#include "registry.pb-c.h"
#include "svc.h"

#define MIB (1024.0 * 1024.0)

static double g_seconds = 2.0;   /* per latency level */
static size_t g_pull_mib = 256;
static int g_window = 8;         /* the client library's default */

/* ---- latency runs --------------------------------------------------- */

struct lat_thread {
	pthread_t t;
	const char *url;
	bool raw;
	size_t req_size;
	uint64_t *lat; /* ns */
	size_t n, cap;
	pthread_barrier_t *ready;
	atomic_bool *stop;
};

static void *
lat_main(void *arg)
{
	struct lat_thread *lt = arg;
	mr_client *c = NULL;
	nng_socket s = NNG_SOCKET_INITIALIZER;
	uint8_t *req = NULL;

	if (lt->raw) {
		req = calloc(1, lt->req_size);
		if (bench_req_dial(&s, lt->url) != 0)
			lt->cap = 0;
	} else if (mr_client_open(&c, lt->url, NULL) != MR_OK) {
		c = NULL;
	}
	/* Everyone connected, then the clock starts. */
	pthread_barrier_wait(lt->ready);
	if (!lt->raw && c == NULL)
		return NULL;
	while (!atomic_load(lt->stop) && lt->n < lt->cap) {
		uint64_t t0 = mr_mono_ns();
		if (lt->raw) {
			if (bench_req_call(s, req, lt->req_size) != 0)
				break;
		} else {
			mr_version *v;
			if (mr_get_version(c, "bench-model", NULL,
				MR_STAGE_PRODUCTION, &v) != MR_OK)
				break;
			mr_version_free(v);
		}
		lt->lat[lt->n++] = mr_mono_ns() - t0;
	}
	if (lt->raw) {
		nng_close(s);
		free(req);
	} else {
		mr_client_close(c);
	}
	return NULL;
}

struct lat_result {
	double p50_us, p99_us, per_sec;
};

static struct lat_result
run_latency(const char *url, bool raw, int clients, size_t req_size)
{
	struct lat_thread *th = calloc((size_t)clients, sizeof(*th));
	atomic_bool stop = false;
	pthread_barrier_t ready;
	struct lat_result r;
	uint64_t *all, t0, t1;
	size_t total = 0, k = 0;

	pthread_barrier_init(&ready, NULL, (unsigned)clients + 1);
	for (int i = 0; i < clients; i++) {
		th[i].url = url;
		th[i].raw = raw;
		th[i].req_size = req_size;
		th[i].cap = 2000000;
		th[i].lat = malloc(th[i].cap * sizeof(uint64_t));
		th[i].ready = &ready;
		th[i].stop = &stop;
		pthread_create(&th[i].t, NULL, lat_main, &th[i]);
	}
	pthread_barrier_wait(&ready);
	t0 = mr_mono_ns();
	usleep((useconds_t)(g_seconds * 1e6));
	atomic_store(&stop, true);
	for (int i = 0; i < clients; i++) {
		pthread_join(th[i].t, NULL);
		total += th[i].n;
	}
	t1 = mr_mono_ns();
	pthread_barrier_destroy(&ready);
	all = malloc((total ? total : 1) * sizeof(*all));
	for (int i = 0; i < clients; i++) {
		memcpy(all + k, th[i].lat, th[i].n * sizeof(*all));
		k += th[i].n;
		free(th[i].lat);
	}
	r.p50_us = bench_quantile_us(all, total, 0.50);
	r.p99_us = bench_quantile_us(all, total, 0.99);
	r.per_sec = (double)total / ((double)(t1 - t0) / 1e9);
	free(all);
	free(th);
	return r;
}

/* ---- pull runs ------------------------------------------------------ */

static double
raw_transfer(const char *url, size_t total, size_t msg)
{
	nng_socket s;
	nng_ctx ctx[64];
	nng_aio *aio[64];
	size_t sent = 0, got = 0;
	uint8_t req[64] = { 0 };
	uint64_t t0, t1;
	int w = g_window;

	if (bench_req_dial(&s, url) != 0) {
		fprintf(stderr, "modelreg-bench: cannot dial %s\n", url);
		exit(1);
	}
	for (int i = 0; i < w; i++) {
		nng_ctx_open(&ctx[i], s);
		nng_aio_alloc(&aio[i], NULL, NULL);
	}
	t0 = mr_mono_ns();
	/* The same pattern as a pull: w requests in flight, oldest first. */
	for (int i = 0; i < w && sent < total; i++, sent += msg) {
		nng_msg *m;
		nng_msg_alloc(&m, 0);
		nng_msg_append(m, req, sizeof(req));
		nng_aio_set_msg(aio[i], m);
		nng_ctx_send(ctx[i], aio[i]);
		nng_aio_wait(aio[i]);
		nng_ctx_recv(ctx[i], aio[i]);
	}
	for (int i = 0; got < total; i = (i + 1) % w) {
		nng_msg *m;
		nng_aio_wait(aio[i]);
		m = nng_aio_get_msg(aio[i]);
		got += nng_msg_len(m);
		nng_msg_free(m);
		if (sent < total) {
			nng_msg_alloc(&m, 0);
			nng_msg_append(m, req, sizeof(req));
			nng_aio_set_msg(aio[i], m);
			nng_ctx_send(ctx[i], aio[i]);
			nng_aio_wait(aio[i]);
			nng_ctx_recv(ctx[i], aio[i]);
			sent += msg;
		}
	}
	t1 = mr_mono_ns();
	for (int i = 0; i < w; i++) {
		nng_aio_free(aio[i]);
		nng_ctx_close(ctx[i]);
	}
	nng_close(s);
	return (double)total / MIB / ((double)(t1 - t0) / 1e9);
}

/* ---- setup ------------------------------------------------------------- */

static void
make_url(char *out, size_t cap, const char *transport, const char *dir,
    const char *name)
{
	if (strcmp(transport, "ipc") == 0)
		snprintf(out, cap, "ipc://%s/%s.sock", dir, name);
	else
		snprintf(out, cap, "tcp://127.0.0.1:%d", bench_free_port());
}

static void
write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(p, 1, n, f) != n) {
		fprintf(stderr, "modelreg-bench: cannot write %s\n", path);
		exit(1);
	}
	fclose(f);
}

static void
check(mr_status rv, mr_client *c, const char *what)
{
	if (rv != MR_OK) {
		fprintf(stderr, "modelreg-bench: %s: %s: %s\n", what,
		    mr_strerror(rv), mr_client_errmsg(c));
		exit(1);
	}
}

/* Packed size of a GetVersion-by-stage request as the client sends it. */
static size_t
request_size(void)
{
	Modelreg__V1__GetVersionRequest gv = MODELREG__V1__GET_VERSION_REQUEST__INIT;
	Modelreg__V1__Request env = MODELREG__V1__REQUEST__INIT;
	uint8_t buf[256];

	gv.name = "bench-model";
	gv.stage = MODELREG__V1__STAGE__STAGE_PRODUCTION;
	env.method = "/modelreg.v1.Registry/GetVersion";
	env.auth_token = (char *)bench_token();
	env.deadline_unix_ms = (uint64_t)mr_now_ms();
	env.payload.data = buf;
	env.payload.len = modelreg__v1__get_version_request__pack(&gv, buf);
	return modelreg__v1__request__get_packed_size(&env);
}

/* Packed size of the reply to that request. */
static size_t
reply_size(store *st)
{
	Modelreg__V1__GetVersionResponse r =
	    MODELREG__V1__GET_VERSION_RESPONSE__INIT;
	Modelreg__V1__Response env = MODELREG__V1__RESPONSE__INIT;
	mr_pb_version *v;
	mr_err e;
	size_t n;

	if (store_latest_version(st, "bench-model", MR_STAGE_PRODUCTION, &v,
		&e) != MR_OK)
		return 256;
	r.version = v;
	n = modelreg__v1__get_version_response__get_packed_size(&r);
	protobuf_c_message_free_unpacked(&v->base, NULL);
	return modelreg__v1__response__get_packed_size(&env) + 1 + 2 + n;
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: modelreg-bench [--quick] [--transport tcp|ipc] "
	    "[--seconds S] [--pull-mib N] [--dir DIR]\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "transport", required_argument, NULL, 't' },
		{ "seconds", required_argument, NULL, 's' },
		{ "pull-mib", required_argument, NULL, 'p' },
		{ "dir", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	const char *transport = "tcp", *base = getenv("TMPDIR");
	char dir[PATH_MAX], url[PATH_MAX + 32], echo_url[PATH_MAX + 32];
	char path[PATH_MAX + 64], dest[PATH_MAX + 64];
	static const int levels[] = { 1, 16, 64 };
	svc_options so = { .n_urls = 1, .workers = 64 };
	const char *urls[1];
	size_t req_size, rep_size, pull_bytes;
	svc_server *srv;
	mr_client *c;
	bench_echo *echo;
	store *st;
	uint8_t *buf;
	mr_err e;
	int ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'q':
			g_seconds = 0.5;
			g_pull_mib = 64;
			break;
		case 't':
			transport = optarg;
			break;
		case 's':
			g_seconds = atof(optarg);
			break;
		case 'p':
			g_pull_mib = (size_t)atol(optarg);
			break;
		case 'd':
			base = optarg;
			break;
		default:
			usage();
			return 2;
		}
	}
	snprintf(dir, sizeof(dir), "%s/modelreg-bench-XXXXXX",
	    base != NULL ? base : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/store", dir);
	if (store_open(&st, path, &e) != MR_OK) {
		fprintf(stderr, "modelreg-bench: %s\n", e.msg);
		return 1;
	}
	bench_token_store(st);
	make_url(url, sizeof(url), transport, dir, "registry");
	urls[0] = url;
	so.urls = urls;
	if (svc_server_start(&srv, st, &so, &e) != MR_OK) {
		fprintf(stderr, "modelreg-bench: %s\n", e.msg);
		return 1;
	}
	if (mr_client_open(&c, url, NULL) != MR_OK) {
		fprintf(stderr, "modelreg-bench: %s\n", mr_client_errmsg(NULL));
		return 1;
	}

	/* A production version with a one-file artifact and real metadata. */
	pull_bytes = g_pull_mib << 20;
	buf = malloc(pull_bytes);
	tu_fill_weights(buf, pull_bytes, 1);
	snprintf(path, sizeof(path), "%s/weights.bin", dir);
	write_file(path, buf, pull_bytes);
	{
		mr_metric metrics[] = { { "accuracy", 0.91 }, { "auc", 0.95 },
			{ "latency_p50_ms", 12.5 } };
		char *features[] = { "amount", "merchant", "hour", "country" };
		mr_metadata md = { .metrics = metrics, .n_metrics = 3,
			.framework = "pytorch", .python_version = "3.11",
			.features = features, .n_features = 4,
			.training_data_version = "v2024-01" };
		mr_register_params p = { .name = "bench-model",
			.version = "1.0.0", .metadata = &md, .path = path };
		uint64_t t0 = mr_mono_ns();
		check(mr_register(c, &p, NULL), c, "register");
		printf("push      %zu MiB float32 weights: %.0f MiB/s "
		       "(chunks %llu, %.1f MiB on the wire)\n",
		    g_pull_mib,
		    (double)pull_bytes / MIB /
			((double)(mr_mono_ns() - t0) / 1e9),
		    (unsigned long long)mr_client_transfer_stats(c)->chunks_sent,
		    (double)mr_client_transfer_stats(c)->bytes_sent / MIB);
	}
	check(mr_promote(c, "bench-model", "1.0.0", MR_STAGE_STAGING,
		  MR_STAGE_NONE, "bench", NULL), c, "promote");
	check(mr_promote(c, "bench-model", "1.0.0", MR_STAGE_PRODUCTION,
		  MR_STAGE_NONE, "bench", NULL), c, "promote");
	req_size = request_size();
	rep_size = reply_size(st);

	printf("\nGetVersion(stage=production) over %s, request %zu B, "
	       "reply %zu B; baseline: raw nng REQ/REP of the same sizes\n",
	    transport, req_size, rep_size);
	printf("%-8s %10s %10s %12s   %10s %10s %12s   %7s %7s %7s\n",
	    "clients", "p50 us", "p99 us", "calls/s", "raw p50", "raw p99",
	    "raw/s", "p50 x", "p99 x", "rate x");
	make_url(echo_url, sizeof(echo_url), transport, dir, "echo");
	if ((echo = bench_echo_start(echo_url, rep_size)) == NULL) {
		fprintf(stderr, "modelreg-bench: cannot listen on %s\n",
		    echo_url);
		return 1;
	}
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		struct lat_result raw = run_latency(echo_url, true, levels[i],
		    req_size);
		struct lat_result mr = run_latency(url, false, levels[i], 0);
		printf("%-8d %10.1f %10.1f %12.0f   %10.1f %10.1f %12.0f   "
		       "%7.2f %7.2f %7.2f\n",
		    levels[i], mr.p50_us, mr.p99_us, mr.per_sec, raw.p50_us,
		    raw.p99_us, raw.per_sec, mr.p50_us / raw.p50_us,
		    mr.p99_us / raw.p99_us, mr.per_sec / raw.per_sec);
	}
	bench_echo_stop(echo);

	printf("\npull of %zu MiB float32 weights over %s, verified and "
	       "written to disk, %d chunks in flight; baseline: raw nng "
	       "transfer of the same bytes in 1 MiB messages\n",
	    g_pull_mib, transport, g_window);
	make_url(echo_url, sizeof(echo_url), transport, dir, "bulk");
	if ((echo = bench_echo_start(echo_url, MR_CHUNK_SIZE)) == NULL) {
		fprintf(stderr, "modelreg-bench: cannot listen on %s\n",
		    echo_url);
		return 1;
	}
	for (int round = 0; round < 3; round++) {
		double raw = raw_transfer(echo_url, pull_bytes, MR_CHUNK_SIZE);
		uint64_t t0 = mr_mono_ns();
		double mbs;

		snprintf(dest, sizeof(dest), "%s/pulled-%d.bin", dir, round);
		check(mr_pull(c, "bench-model", NULL, MR_STAGE_PRODUCTION,
			  dest, NULL, NULL), c, "pull");
		mbs = (double)pull_bytes / MIB /
		    ((double)(mr_mono_ns() - t0) / 1e9);
		unlink(dest);
		printf("round %d   pull %7.0f MiB/s   raw %7.0f MiB/s   "
		       "ratio %.2f\n",
		    round + 1, mbs, raw, mbs / raw);
	}
	bench_echo_stop(echo);

	mr_client_close(c);
	svc_server_stop(srv);
	store_close(st);
	free(buf);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		fprintf(stderr, "modelreg-bench: could not remove %s\n", dir);
	return 0;
}
