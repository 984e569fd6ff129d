/*
 * fleet_bench.c - modelreg-fleet-bench: the calls an inference fleet makes
 * most, GetModel and Resolve, against the raw transport they ride on.
 *
 * The fleet issue asks for their p50 and p99 within 1.1x of a raw nng
 * REQ/REP echo at 1 and at 64 concurrent clients. The registry
 * (modelregd's service library on a RocksDB store in a temporary
 * directory, default options) and the echo server (benchutil.c: it
 * answers from nng's aio callbacks) run in this process on loopback TCP,
 * so both sides of each comparison share the same two cores. The echo
 * gets requests and replies of the same sizes as the method measured,
 * found by sending that method's request to the registry once.
 *
 * The model has a production version, a staging version and a 10%
 * traffic split to staging, so Resolve hashes each routing key (a new one
 * each call) and reads the version on its side of the split. Each client
 * thread has its own mr_client. Nothing here passes or fails.
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

#define MODEL "fleet-model"

enum op { OP_RAW, OP_GET_MODEL, OP_RESOLVE };

static double g_seconds = 4.0; /* per figure, both sides */
#define ROUNDS 4

/* ---- latency runs --------------------------------------------------- */

struct lat_thread {
	pthread_t t;
	int id;
	const char *url;
	enum op op;
	const uint8_t *req; /* OP_RAW: the request sent */
	size_t req_size;
	uint64_t *lat; /* ns */
	size_t n, cap;
	pthread_barrier_t *ready;
	atomic_bool *stop;
	bool failed;
};

static int
call(struct lat_thread *lt, mr_client *c, nng_socket s, size_t i)
{
	char key[64];
	mr_version *v;
	mr_model *m;

	switch (lt->op) {
	case OP_RAW:
		return bench_req_call(s, lt->req, lt->req_size);
	case OP_GET_MODEL:
		if (mr_get_model(c, MODEL, &m) != MR_OK)
			return -1;
		mr_model_free(m);
		return 0;
	case OP_RESOLVE:
		/* A key per call, as a fleet routes users or requests. */
		snprintf(key, sizeof(key), "user-%d-%zu", lt->id, i);
		if (mr_resolve(c, MODEL, key, NULL, NULL, &v) != MR_OK)
			return -1;
		mr_version_free(v);
		return 0;
	}
	return -1;
}

static void *
lat_main(void *arg)
{
	struct lat_thread *lt = arg;
	nng_socket s = NNG_SOCKET_INITIALIZER;
	mr_client *c = NULL;
	bool ok;

	if (lt->op == OP_RAW)
		ok = bench_req_dial(&s, lt->url) == 0;
	else
		ok = mr_client_open(&c, lt->url, NULL) == MR_OK;
	/* Everyone connected, then the clock starts. */
	pthread_barrier_wait(lt->ready);
	while (ok && !atomic_load(lt->stop) && lt->n < lt->cap) {
		uint64_t t0 = mr_mono_ns();
		if (call(lt, c, s, lt->n) != 0) {
			lt->failed = true;
			break;
		}
		lt->lat[lt->n++] = mr_mono_ns() - t0;
	}
	lt->failed |= !ok;
	if (lt->op == OP_RAW)
		nng_close(s);
	else
		mr_client_close(c);
	return NULL;
}

/* Samples pooled over the rounds of one figure. */
struct lat_pool {
	uint64_t *ns;
	size_t n, cap;
	double seconds;
};

static void
run_latency(struct lat_pool *pool, const char *url, enum op op, int clients,
    const uint8_t *req, size_t req_size, double seconds)
{
	struct lat_thread *th = calloc((size_t)clients, sizeof(*th));
	atomic_bool stop = false;
	pthread_barrier_t ready;
	uint64_t t0, t1;
	size_t total = 0;

	pthread_barrier_init(&ready, NULL, (unsigned)clients + 1);
	for (int i = 0; i < clients; i++) {
		th[i].id = i;
		th[i].url = url;
		th[i].op = op;
		th[i].req = req;
		th[i].req_size = req_size;
		th[i].cap = 1000000;
		th[i].lat = malloc(th[i].cap * sizeof(uint64_t));
		th[i].ready = &ready;
		th[i].stop = &stop;
		pthread_create(&th[i].t, NULL, lat_main, &th[i]);
	}
	pthread_barrier_wait(&ready);
	t0 = mr_mono_ns();
	usleep((useconds_t)(seconds * 1e6));
	atomic_store(&stop, true);
	for (int i = 0; i < clients; i++) {
		pthread_join(th[i].t, NULL);
		if (th[i].failed) {
			fprintf(stderr, "modelreg-fleet-bench: a client "
					"failed\n");
			exit(1);
		}
		total += th[i].n;
	}
	t1 = mr_mono_ns();
	pthread_barrier_destroy(&ready);
	if (pool->n + total > pool->cap) {
		pool->cap = 2 * (pool->n + total);
		pool->ns = realloc(pool->ns, pool->cap * sizeof(*pool->ns));
	}
	for (int i = 0; i < clients; i++) {
		memcpy(pool->ns + pool->n, th[i].lat,
		    th[i].n * sizeof(*pool->ns));
		pool->n += th[i].n;
		free(th[i].lat);
	}
	pool->seconds += (double)(t1 - t0) / 1e9;
	free(th);
}

struct lat_result {
	double p50_us, p99_us, per_sec;
};

static struct lat_result
pool_result(struct lat_pool *pool)
{
	struct lat_result r = {
		.p50_us = bench_quantile_us(pool->ns, pool->n, 0.50),
		.p99_us = bench_quantile_us(pool->ns, pool->n, 0.99),
		.per_sec = (double)pool->n / pool->seconds,
	};

	free(pool->ns);
	memset(pool, 0, sizeof(*pool));
	return r;
}

/* ---- the sizes the echo mimics ---------------------------------------- */

/*
 * The request envelope for `method`, as the client library packs it (the
 * same fields: user and deadline), into `out`; returns its size.
 */
static size_t
pack_request(const char *method, const ProtobufCMessage *payload,
    uint8_t *out)
{
	Modelreg__V1__Request env = MODELREG__V1__REQUEST__INIT;
	uint8_t buf[512];

	env.method = (char *)method;
	env.auth_token = (char *)bench_token();
	env.deadline_unix_ms = (uint64_t)mr_now_ms() + 60000;
	env.payload.data = buf;
	env.payload.len = protobuf_c_message_pack(payload, buf);
	return modelreg__v1__request__pack(&env, out);
}

/* Sends `req` to the registry once; the size of its reply. */
static size_t
reply_size(const char *url, const uint8_t *req, size_t len)
{
	nng_socket s;
	void *buf;
	size_t n = 0;

	if (bench_req_dial(&s, url) != 0 ||
	    nng_send(s, (void *)req, len, 0) != 0 ||
	    nng_recv(s, &buf, &n, NNG_FLAG_ALLOC) != 0) {
		fprintf(stderr, "modelreg-fleet-bench: cannot probe %s\n", url);
		exit(1);
	}
	nng_free(buf, n);
	nng_close(s);
	return n;
}

/*
 * The server's own cost of a request: svc_dispatch on one worker in this
 * thread, with no transport; the median of `n` calls, in microseconds.
 */
static void *
malloc_reply(void *arg, size_t len)
{
	void **out = arg;

	return *out = malloc(len);
}

static double
dispatch_us(store *st, const uint8_t *req, size_t len, int n)
{
	uint64_t *ns = malloc((size_t)n * sizeof(*ns));
	svc_worker w;
	mr_err e;
	double us;

	if (svc_worker_init(&w, st, &e) != MR_OK)
		return 0;
	for (int i = 0; i < n; i++) {
		void *out = NULL;
		svc_reply reply = { .alloc = malloc_reply, .arg = &out };
		uint64_t t0 = mr_mono_ns();
		svc_dispatch(&w, req, len, &reply);
		ns[i] = mr_mono_ns() - t0;
		free(out);
	}
	us = bench_quantile_us(ns, (size_t)n, 0.5);
	svc_worker_fini(&w);
	free(ns);
	return us;
}

/* ---- setup ------------------------------------------------------------- */

static void
check(mr_status rv, mr_client *c, const char *what)
{
	if (rv != MR_OK) {
		fprintf(stderr, "modelreg-fleet-bench: %s: %s: %s\n", what,
		    mr_strerror(rv), mr_client_errmsg(c));
		exit(1);
	}
}

static void
write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(p, 1, n, f) != n) {
		fprintf(stderr, "modelreg-fleet-bench: cannot write %s\n",
		    path);
		exit(1);
	}
	fclose(f);
}

/* Registers `version` with a small artifact and real metadata. */
static void
register_version(mr_client *c, const char *dir, const char *version)
{
	mr_metric metrics[] = { { "accuracy", 0.91 }, { "auc", 0.95 },
		{ "latency_p50_ms", 12.5 } };
	char *features[] = { "amount", "merchant", "hour", "country" };
	mr_metadata md = { .metrics = metrics, .n_metrics = 3,
		.framework = "pytorch", .python_version = "3.11",
		.features = features, .n_features = 4,
		.training_data_version = "v2024-01" };
	mr_register_params p = { .name = MODEL, .version = version,
		.metadata = &md };
	char path[PATH_MAX + 64];
	uint8_t buf[64 << 10];

	tu_fill_weights(buf, sizeof(buf), (uint32_t)version[2]);
	snprintf(path, sizeof(path), "%s/weights-%s.bin", dir, version);
	write_file(path, buf, sizeof(buf));
	p.path = path;
	check(mr_register(c, &p, NULL), c, "register");
}

static void
usage(void)
{
	fprintf(stderr, "usage: modelreg-fleet-bench [--quick] [--seconds S] "
			"[--dir DIR]\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "seconds", required_argument, NULL, 's' },
		{ "dir", required_argument, NULL, 'd' },
		{ NULL, 0, NULL, 0 },
	};
	static const int levels[] = { 1, 64 };
	const char *base = getenv("TMPDIR");
	char dir[PATH_MAX], url[64], echo_url[64], path[PATH_MAX + 64];
	svc_options so = { .n_urls = 1 }; /* modelregd's defaults */
	const char *urls[1] = { url };
	Modelreg__V1__GetModelRequest gm = MODELREG__V1__GET_MODEL_REQUEST__INIT;
	Modelreg__V1__ResolveRequest rs = MODELREG__V1__RESOLVE_REQUEST__INIT;
	struct {
		const char *name;
		enum op op;
		uint8_t req[1024];
		size_t req_size, rep_size;
	} ops[2] = {
		{ .name = "GetModel", .op = OP_GET_MODEL },
		{ .name = "Resolve", .op = OP_RESOLVE },
	};
	svc_server *srv;
	mr_client *c;
	store *st;
	mr_err e;
	int ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'q':
			g_seconds = 0.5;
			break;
		case 's':
			g_seconds = atof(optarg);
			break;
		case 'd':
			base = optarg;
			break;
		default:
			usage();
			return 2;
		}
	}
	snprintf(dir, sizeof(dir), "%s/modelreg-fleet-XXXXXX",
	    base != NULL ? base : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/store", dir);
	if (store_open(&st, path, &e) != MR_OK) {
		fprintf(stderr, "modelreg-fleet-bench: %s\n", e.msg);
		return 1;
	}
	bench_token_store(st);
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", bench_free_port());
	so.urls = urls;
	if (svc_server_start(&srv, st, &so, &e) != MR_OK) {
		fprintf(stderr, "modelreg-fleet-bench: %s\n", e.msg);
		return 1;
	}
	if (mr_client_open(&c, url, NULL) != MR_OK) {
		fprintf(stderr, "modelreg-fleet-bench: %s\n",
		    mr_client_errmsg(NULL));
		return 1;
	}

	/* Production 1.0.0, staging 1.1.0, 10% of keys to staging. */
	register_version(c, dir, "1.0.0");
	register_version(c, dir, "1.1.0");
	check(mr_promote(c, MODEL, "1.0.0", MR_STAGE_STAGING, MR_STAGE_NONE,
		  "bench", NULL), c, "promote");
	check(mr_promote(c, MODEL, "1.0.0", MR_STAGE_PRODUCTION,
		  MR_STAGE_NONE, "bench", NULL), c, "promote");
	check(mr_promote(c, MODEL, "1.1.0", MR_STAGE_STAGING, MR_STAGE_NONE,
		  "bench", NULL), c, "promote");
	check(mr_set_traffic_split(c, MODEL, MR_STAGE_STAGING, 1000, "bench",
		  NULL), c, "traffic split");
	mr_client_close(c);

	gm.name = MODEL;
	ops[0].req_size = pack_request("/modelreg.v1.Registry/GetModel",
	    &gm.base, ops[0].req);
	rs.name = MODEL;
	rs.routing_key.data = (uint8_t *)"user-0-000000";
	rs.routing_key.len = strlen("user-0-000000");
	ops[1].req_size = pack_request("/modelreg.v1.Registry/Resolve",
	    &rs.base, ops[1].req);
	for (int i = 0; i < 2; i++)
		ops[i].rep_size = reply_size(url, ops[i].req, ops[i].req_size);

	printf("fleet reads over tcp, %d rounds of %.2f s per figure, "
	       "alternating with the baseline: a raw nng REQ/REP echo "
	       "answering from aio callbacks, same sizes\n",
	    ROUNDS, g_seconds / ROUNDS);
	for (int i = 0; i < 2; i++)
		printf("%s: the server's own work (svc_dispatch, no transport), "
		       "median %.1f us\n", ops[i].name,
		    dispatch_us(st, ops[i].req, ops[i].req_size, 5000));
	printf("%-9s %4s %5s %5s %9s %9s %8s   %9s %9s %8s   %6s %6s %6s\n",
	    "method", "cli", "req B", "rep B", "p50 us", "p99 us", "calls/s",
	    "raw p50", "raw p99", "raw/s", "p50 x", "p99 x", "rate x");
	for (size_t l = 0; l < sizeof(levels) / sizeof(levels[0]); l++) {
		for (int i = 0; i < 2; i++) {
			struct lat_pool rawp = { 0 }, mrp = { 0 };
			struct lat_result raw, mr;
			bench_echo *echo;

			snprintf(echo_url, sizeof(echo_url),
			    "tcp://127.0.0.1:%d", bench_free_port());
			echo = bench_echo_start(echo_url, ops[i].rep_size);
			if (echo == NULL) {
				fprintf(stderr, "modelreg-fleet-bench: cannot "
						"listen on %s\n", echo_url);
				return 1;
			}
			/* Alternating rounds, so that the other load on a
			 * shared machine weighs on both sides alike. */
			for (int r = 0; r < ROUNDS; r++) {
				run_latency(&rawp, echo_url, OP_RAW, levels[l],
				    ops[i].req, ops[i].req_size,
				    g_seconds / ROUNDS);
				run_latency(&mrp, url, ops[i].op, levels[l],
				    NULL, 0, g_seconds / ROUNDS);
			}
			bench_echo_stop(echo);
			raw = pool_result(&rawp);
			mr = pool_result(&mrp);
			printf("%-9s %4d %5zu %5zu %9.1f %9.1f %8.0f   %9.1f "
			       "%9.1f %8.0f   %6.2f %6.2f %6.2f\n",
			    ops[i].name, levels[l], ops[i].req_size,
			    ops[i].rep_size, mr.p50_us, mr.p99_us, mr.per_sec,
			    raw.p50_us, raw.p99_us, raw.per_sec,
			    mr.p50_us / raw.p50_us, mr.p99_us / raw.p99_us,
			    mr.per_sec / raw.per_sec);
			fflush(stdout);
		}
	}

	svc_server_stop(srv);
	store_close(st);
	snprintf(path, sizeof(path), "rm -rf '%s'", dir);
	if (system(path) != 0)
		fprintf(stderr, "modelreg-fleet-bench: could not remove %s\n",
		    dir);
	return 0;
}
