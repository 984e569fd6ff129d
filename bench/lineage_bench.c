/*
 * lineage_bench.c - modelreg-lineage-bench: lineage walks on a large graph.
 *
 * Builds a lineage graph of 100,000 nodes and 500,000 edges shaped like a
 * real registry's (datasets derived from datasets, feature sets from
 * datasets, experiments trained on feature sets and grouped in increments,
 * model versions produced by experiments, trained on data and features,
 * each the parent of the next, and deployments of a share of them),
 * written straight into a store through storage/ in large batches. Then
 * it serves that store over loopback TCP and measures Walk upstream from
 * model versions and downstream from datasets at depth 5 (one page, 100
 * nodes at most) through libmodelreg, next to the baseline: the same
 * breadth-first walks done in this process by range scans of the same
 * edge keys and point reads of the same nodes, without RPC or protobuf
 * replies. Prints p50/p99 of each and the ratio.
 */
#include <getopt.h>
#include <limits.h>
#include <search.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "benchutil.h"
#include "gen.h"
#include "modelreg.h"
#include "svc.h"

#define N_DATASETS 2000
#define N_FEATURES 8000
#define N_EXPERIMENTS 10000
#define N_INCREMENTS 2000
#define N_MODELS 1000      /* models, each with ... */
#define N_VERSIONS 60      /* ... this many versions */
#define N_DEPLOYMENTS 18000
#define N_EDGES 500000
#define BATCH 20000        /* writes per transaction while loading */

#define DATASET MODELREG__V1__NODE_KIND__NODE_KIND_DATASET
#define FEATURES MODELREG__V1__NODE_KIND__NODE_KIND_FEATURES
#define EXPERIMENT MODELREG__V1__NODE_KIND__NODE_KIND_EXPERIMENT
#define INCREMENT MODELREG__V1__NODE_KIND__NODE_KIND_INCREMENT
#define MODEL MODELREG__V1__NODE_KIND__NODE_KIND_MODEL
#define DEPLOYMENT MODELREG__V1__NODE_KIND__NODE_KIND_DEPLOYMENT

static uint64_t rng = 88172645463325252ull;

static uint32_t
rnd(uint32_t n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng % n);
}

/* ---- loading --------------------------------------------------------- */

struct loader {
	store *st;
	store_txn *t;
	size_t ops;
	uint64_t nodes, edges;
};

static void
die(const char *what, const mr_err *e)
{
	fprintf(stderr, "modelreg-lineage-bench: %s: %s\n", what, e->msg);
	exit(1);
}

static void
flush(struct loader *l, bool reopen)
{
	mr_err e;

	if (l->t != NULL && store_txn_commit(l->t, &e) != MR_OK)
		die("commit", &e);
	l->t = NULL;
	l->ops = 0;
	if (reopen && store_txn_begin(l->st, &l->t, &e) != MR_OK)
		die("begin", &e);
}

static void
count_op(struct loader *l)
{
	if (++l->ops == BATCH)
		flush(l, true);
}

static void
node(struct loader *l, int kind, const char *name, const char *version,
    const char *id)
{
	mr_pb_node n = MODELREG__V1__NODE__INIT;
	mr_err e;

	n.id = (char *)id;
	n.kind = (Modelreg__V1__NodeKind)kind;
	n.name = (char *)name;
	n.version = (char *)version;
	n.created_at_ms = mr_now_ms();
	if (kind == DEPLOYMENT) {
		n.stage = MODELREG__V1__STAGE__STAGE_PRODUCTION;
		n.environment = "default";
	}
	if (store_txn_put_node(l->t, &n, NULL, &e) != MR_OK)
		die("node", &e);
	l->nodes++;
	count_op(l);
}

static void
edge(struct loader *l, const char *from, const char *to, int type)
{
	store_txn_put_edge(l->t, from, to, type);
	l->edges++;
	count_op(l);
}

static void
id_of(char *out, int kind, uint32_t i)
{
	switch (kind) {
	case DATASET:
		sprintf(out, "dataset:ds-%u@v1", i);
		break;
	case FEATURES:
		sprintf(out, "features:fs-%u@v1", i);
		break;
	case EXPERIMENT:
		sprintf(out, "experiment:exp-%u", i);
		break;
	case INCREMENT:
		sprintf(out, "increment:inc-%u", i);
		break;
	case MODEL:
		sprintf(out, "model:m-%u@1.0.%u", i / N_VERSIONS,
		    i % N_VERSIONS);
		break;
	default:
		sprintf(out, "deployment:m-%u@1.0.%u/production/%u",
		    i / N_VERSIONS, i % N_VERSIONS, i);
		break;
	}
}

static void
load(store *st)
{
	struct loader l = { .st = st };
	char a[128], b[128], name[64], ver[32];
	uint32_t n_models = N_MODELS * N_VERSIONS;

	flush(&l, true);
	for (uint32_t i = 0; i < N_DATASETS; i++) {
		id_of(a, DATASET, i);
		sprintf(name, "ds-%u", i);
		node(&l, DATASET, name, "v1", a);
	}
	for (uint32_t i = 0; i < N_FEATURES; i++) {
		id_of(a, FEATURES, i);
		sprintf(name, "fs-%u", i);
		node(&l, FEATURES, name, "v1", a);
		for (int k = 0; k < 3; k++) {
			id_of(b, DATASET, rnd(N_DATASETS));
			edge(&l, b, a, MODELREG__V1__EDGE_TYPE__EDGE_TYPE_DERIVED_FROM);
		}
	}
	for (uint32_t i = 0; i < N_INCREMENTS; i++) {
		id_of(a, INCREMENT, i);
		sprintf(name, "inc-%u", i);
		node(&l, INCREMENT, name, "", a);
	}
	for (uint32_t i = 0; i < N_EXPERIMENTS; i++) {
		id_of(a, EXPERIMENT, i);
		sprintf(name, "exp-%u", i);
		node(&l, EXPERIMENT, name, "", a);
		for (int k = 0; k < 3; k++) {
			id_of(b, FEATURES, rnd(N_FEATURES));
			edge(&l, b, a, MODELREG__V1__EDGE_TYPE__EDGE_TYPE_TRAINED_ON);
		}
		/* Most experiments belong to an increment; 1,000 stand alone,
		 * which brings the total to 500,000 edges exactly. */
		if (i >= 1000) {
			id_of(b, INCREMENT, rnd(N_INCREMENTS));
			edge(&l, b, a,
			    MODELREG__V1__EDGE_TYPE__EDGE_TYPE_PART_OF);
		}
	}
	for (uint32_t i = 0; i < n_models; i++) {
		id_of(a, MODEL, i);
		sprintf(name, "m-%u", i / N_VERSIONS);
		sprintf(ver, "1.0.%u", i % N_VERSIONS);
		node(&l, MODEL, name, ver, a);
		id_of(b, EXPERIMENT, rnd(N_EXPERIMENTS));
		edge(&l, b, a, MODELREG__V1__EDGE_TYPE__EDGE_TYPE_PRODUCED_BY);
		for (int k = 0; k < 2; k++) {
			id_of(b, FEATURES, rnd(N_FEATURES));
			edge(&l, b, a, MODELREG__V1__EDGE_TYPE__EDGE_TYPE_TRAINED_ON);
			id_of(b, DATASET, rnd(N_DATASETS));
			edge(&l, b, a, MODELREG__V1__EDGE_TYPE__EDGE_TYPE_TRAINED_ON);
		}
		id_of(b, INCREMENT, rnd(N_INCREMENTS));
		edge(&l, b, a, MODELREG__V1__EDGE_TYPE__EDGE_TYPE_PART_OF);
		if (i % N_VERSIONS != 0) {
			id_of(b, MODEL, i - 1);
			edge(&l, b, a, MODELREG__V1__EDGE_TYPE__EDGE_TYPE_PARENT_OF);
		}
	}
	for (uint32_t i = 0; i < N_DEPLOYMENTS; i++) {
		uint32_t m = i * (n_models / N_DEPLOYMENTS);
		id_of(a, DEPLOYMENT, m);
		id_of(b, MODEL, m);
		sprintf(name, "m-%u", m / N_VERSIONS);
		sprintf(ver, "1.0.%u", m % N_VERSIONS);
		node(&l, DEPLOYMENT, name, ver, a);
		edge(&l, b, a, MODELREG__V1__EDGE_TYPE__EDGE_TYPE_DEPLOYED_AS);
	}
	/* Datasets derived from earlier datasets (index order keeps it
	 * acyclic) make up the rest, if the shape above falls short. */
	while (l.edges < N_EDGES) {
		uint32_t x = 1 + rnd(N_DATASETS - 1), y = rnd(x);
		id_of(a, DATASET, y);
		id_of(b, DATASET, x);
		edge(&l, a, b, MODELREG__V1__EDGE_TYPE__EDGE_TYPE_DERIVED_FROM);
	}
	flush(&l, false);
	printf("loaded %llu nodes, %llu edges\n", (unsigned long long)l.nodes,
	    (unsigned long long)l.edges);
}

/* ---- the baseline: the same walk in process --------------------------- */

struct local {
	store *st;
	char **q;
	uint32_t *depth;
	size_t n, cap, limit;
	void *seen;
	uint32_t cur_depth;
};

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int
local_edge(void *arg, const char *far, int type)
{
	struct local *w = arg;
	char *id;

	(void)type;
	if (tfind(far, &w->seen, cmp_str) != NULL)
		return 0;
	if (w->n == w->limit)
		return 1;
	id = strdup(far);
	tsearch(id, &w->seen, cmp_str);
	w->q[w->n] = id;
	w->depth[w->n++] = w->cur_depth + 1;
	return 0;
}

static void
no_free(void *p)
{
	(void)p;
}

/* Breadth first to `depth`, at most 1 + 100 + 1 nodes, reading each. */
static size_t
local_walk(store *st, const char *start, bool downstream, uint32_t depth)
{
	enum { LIMIT = 102 };
	char *q[LIMIT];
	uint32_t d[LIMIT];
	struct local w = { .st = st, .q = q, .depth = d, .limit = LIMIT };
	mr_err e;

	q[0] = strdup(start);
	d[0] = 0;
	w.n = 1;
	tsearch(q[0], &w.seen, cmp_str);
	for (size_t i = 0; i < w.n && w.n < LIMIT; i++) {
		if (d[i] >= depth)
			continue;
		w.cur_depth = d[i];
		store_scan_edges(st, q[i], downstream, local_edge, &w, &e);
	}
	for (size_t i = 1; i < w.n; i++) {
		mr_pb_node *n;
		if (store_get_node(st, q[i], &n, &e) == MR_OK)
			protobuf_c_message_free_unpacked(&n->base, NULL);
	}
	tdestroy(w.seen, no_free);
	for (size_t i = 0; i < w.n; i++)
		free(q[i]);
	return w.n - 1;
}

/* ---- measuring ------------------------------------------------------------ */

struct stats {
	double p50, p99;
	double nodes; /* mean nodes returned */
};

static struct stats
summarize(uint64_t *ns, size_t n, uint64_t nodes)
{
	struct stats s;

	s.p50 = bench_quantile_us(ns, n, 0.50);
	s.p99 = bench_quantile_us(ns, n, 0.99);
	s.nodes = (double)nodes / (double)n;
	return s;
}

static void
run(mr_client *c, store *st, bool downstream, size_t queries)
{
	uint64_t *rpc = malloc(queries * sizeof(*rpc));
	uint64_t *raw = malloc(queries * sizeof(*raw));
	uint64_t rpc_nodes = 0, raw_nodes = 0;
	struct stats a, b;
	char id[128];

	for (size_t i = 0; i < queries; i++) {
		mr_graph *g;
		uint64_t t0;

		if (downstream)
			id_of(id, DATASET, rnd(N_DATASETS));
		else
			id_of(id, MODEL, rnd(N_MODELS * N_VERSIONS));
		t0 = mr_mono_ns();
		raw_nodes += local_walk(st, id, downstream, 5);
		raw[i] = mr_mono_ns() - t0;
		t0 = mr_mono_ns();
		if (mr_lineage_walk(c, id, downstream ? MR_DOWNSTREAM
						      : MR_UPSTREAM,
			5, NULL, &g) != MR_OK) {
			fprintf(stderr, "modelreg-lineage-bench: walk %s: %s\n",
			    id, mr_client_errmsg(c));
			exit(1);
		}
		rpc[i] = mr_mono_ns() - t0;
		rpc_nodes += g->n_nodes - 1;
		mr_graph_free(g);
	}
	a = summarize(rpc, queries, rpc_nodes);
	b = summarize(raw, queries, raw_nodes);
	printf("%-10s %8.0f %10.1f %10.1f   %10.1f %10.1f   %6.2f %6.2f\n",
	    downstream ? "downstream" : "upstream", a.nodes, a.p50, a.p99,
	    b.p50, b.p99, a.p50 / b.p50, a.p99 / b.p99);
	free(rpc);
	free(raw);
}

int
main(int argc, char **argv)
{
	const char *base = getenv("TMPDIR");
	char dir[PATH_MAX], path[PATH_MAX + 16], url[64], cmd[PATH_MAX + 16];
	size_t queries = 2000;
	const char *urls[1] = { url };
	svc_options so = { .urls = urls, .n_urls = 1, .workers = 4 };
	svc_server *srv;
	mr_client *c;
	store *st;
	mr_err e;
	int ch;

	while ((ch = getopt(argc, argv, "n:")) != -1) {
		if (ch != 'n') {
			fprintf(stderr, "usage: modelreg-lineage-bench "
					"[-n QUERIES]\n");
			return 2;
		}
		queries = (size_t)atol(optarg);
	}
	snprintf(dir, sizeof(dir), "%s/modelreg-lineage-bench-XXXXXX",
	    base != NULL ? base : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/store", dir);
	if (store_open(&st, path, &e) != MR_OK)
		die("open", &e);
	bench_token_store(st);
	{
		uint64_t t0 = mr_mono_ns();
		load(st);
		printf("load took %.1f s\n", (double)(mr_mono_ns() - t0) / 1e9);
	}
	snprintf(url, sizeof(url), "tcp://127.0.0.1:%d", bench_free_port());
	if (svc_server_start(&srv, st, &so, &e) != MR_OK)
		die("serve", &e);
	if (mr_client_open(&c, url, NULL) != MR_OK) {
		fprintf(stderr, "modelreg-lineage-bench: %s\n",
		    mr_client_errmsg(NULL));
		return 1;
	}
	printf("\nWalk at depth 5, one page (<= 100 nodes), %zu queries each, "
	       "1 client over tcp loopback;\nbaseline: the same walk in "
	       "process (range scans of the same edge keys, point reads of "
	       "the same nodes)\n",
	    queries);
	printf("%-10s %8s %10s %10s   %10s %10s   %6s %6s\n", "direction",
	    "nodes", "p50 us", "p99 us", "base p50", "base p99", "p50 x",
	    "p99 x");
	run(c, st, false, queries);
	run(c, st, true, queries);
	mr_client_close(c);
	svc_server_stop(srv);
	store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return 0;
}
