/*
 * pull_bench.c - modelreg-pull-bench: moving artifacts in and out of the
 * registry, each figure next to a baseline that moves the same bytes
 * without a registry, in the same run on the same machine.
 *
 * 1. Push of a float32-weights artifact (default 1 GiB): mr_register
 *    against RocksDB puts of the same bytes in chunks of the same size
 *    into a fresh database (WAL on, not synced until the last put, which
 *    is what the registry's chunk writes do).
 * 2. Pull of it, every chunk verified and the file fsync'd, against nginx
 *    (sendfile) serving the same file on 127.0.0.1 and curl writing it,
 *    then fsync'd: the bench starts nginx for the run when it is
 *    installed.
 * 3. The same for a 100 MB XGBoost-like model (JSON, compresses ~3x).
 * 4. Delta pulls through a chunk cache: bytes on the wire, as a fraction
 *    of the artifact, for the same version pulled again, a fine-tuned
 *    version whose last layers changed, and an XGBoost model retrained
 *    with more trees.
 *
 * The registry is the real modelregd, in a process of its own on a
 * loopback TCP port, as nginx is. Nothing here passes or fails.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <rocksdb/c.h>

#include "benchutil.h"
#include "common.h"
#include "gen.h"
#include "modelreg.h"

#define MIB (1024.0 * 1024.0)

static size_t g_mib = 1024;    /* weights artifact */
static size_t g_xgb_mib = 100; /* XGBoost-like artifact */
static int g_rounds = 3;

/* Children to stop however the bench ends. */
static pid_t g_children[2];

static void
stop_children(void)
{
	for (int i = 0; i < 2; i++)
		if (g_children[i] > 0) {
			kill(g_children[i], SIGTERM);
			waitpid(g_children[i], NULL, 0);
			g_children[i] = 0;
		}
}

static void
die(const char *what)
{
	fprintf(stderr, "modelreg-pull-bench: %s\n", what);
	exit(1);
}

static void
check(mr_status rv, mr_client *c, const char *what)
{
	if (rv != MR_OK) {
		fprintf(stderr, "modelreg-pull-bench: %s: %s: %s\n", what,
		    mr_strerror(rv), mr_client_errmsg(c));
		exit(1);
	}
}

/*
 * Waits until the registry's data directory has not changed for a second
 * (at most a minute): RocksDB compacts a large upload for a few seconds
 * after it, and the pulls are measured on a settled store. (Pulls during
 * that compaction run ~40% slower: see RESULTS.md.)
 */
static void
wait_compacted(const char *data)
{
	uint64_t last = 0, same_since = mr_mono_ns(), t0 = same_since;

	while (mr_mono_ns() - t0 < 60ull * 1000000000) {
		DIR *d = opendir(data);
		struct dirent *de;
		uint64_t sum = 0;

		if (d == NULL)
			return;
		while ((de = readdir(d)) != NULL) {
			char p[PATH_MAX + 300];
			struct stat st;

			snprintf(p, sizeof(p), "%s/%s", data, de->d_name);
			if (stat(p, &st) == 0)
				sum = sum * 31 + (uint64_t)st.st_size +
				    (uint64_t)st.st_ino * 7;
		}
		closedir(d);
		if (sum != last) {
			last = sum;
			same_since = mr_mono_ns();
		} else if (mr_mono_ns() - same_since > 1000000000ull) {
			return;
		}
		usleep(100000);
	}
}

/* Lets earlier writes reach the disk, so that each timed run starts with
 * no writeback of another's bytes to pay for. */
static void
settle(void)
{
	sync();
	usleep(300000);
}

static double
secs_since(uint64_t t0)
{
	return (double)(mr_mono_ns() - t0) / 1e9;
}

static void
write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(p, 1, n, f) != n || fclose(f) != 0)
		die("cannot write an input file");
}

static void
fsync_file(const char *path)
{
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fsync(fd) != 0)
		die("cannot fsync a pulled file");
	close(fd);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return v[n / 2];
}

/* ---- the synthetic XGBoost model ---------------------------------------- */

/*
 * Appends one tree in the shape of XGBoost's JSON model format: arrays of
 * node fields for a full tree of depth 6. Tree `k` is the same whatever
 * the number of trees, as boosting rounds are.
 */
static size_t
xgb_tree(char *out, size_t cap, int k)
{
	enum { NODES = 127, INNER = 63 };
	uint64_t s = 0x9E3779B97F4A7C15ull * (uint64_t)(k + 1);
	size_t n = 0;

#define RND()    (s ^= s << 13, s ^= s >> 7, s ^= s << 17, s)
#define PUT(...) (n += (size_t)snprintf(out + n, cap - n, __VA_ARGS__))
	PUT("{\"base_weights\":[");
	for (int i = 0; i < NODES; i++)
		PUT("%s%.8E", i ? "," : "",
		    ((double)(RND() % 2000000) - 1e6) / 1e7);
	PUT("],\"default_left\":[");
	for (int i = 0; i < NODES; i++)
		PUT("%s%d", i ? "," : "", (int)(RND() & 1));
	PUT("],\"id\":%d,\"left_children\":[", k);
	for (int i = 0; i < NODES; i++)
		PUT("%s%d", i ? "," : "", i < INNER ? 2 * i + 1 : -1);
	PUT("],\"loss_changes\":[");
	for (int i = 0; i < NODES; i++)
		PUT("%s%.8E", i ? "," : "",
		    i < INNER ? (double)(RND() % 1000000) / 1e3 : 0.0);
	PUT("],\"right_children\":[");
	for (int i = 0; i < NODES; i++)
		PUT("%s%d", i ? "," : "", i < INNER ? 2 * i + 2 : -1);
	PUT("],\"split_conditions\":[");
	for (int i = 0; i < NODES; i++)
		PUT("%s%.8E", i ? "," : "", (double)(RND() % 100000) / 1e4);
	PUT("],\"split_indices\":[");
	for (int i = 0; i < NODES; i++)
		PUT("%s%d", i ? "," : "", i < INNER ? (int)(RND() % 200) : 0);
	PUT("],\"tree_param\":{\"num_feature\":\"200\",\"num_nodes\":\"%d\"}}",
	    NODES);
#undef PUT
#undef RND
	return n;
}

/* An XGBoost-like model of about `mib` MiB; `more` percent more trees
 * than that for the retrained one. Returns its size. */
static size_t
xgb_model(const char *path, size_t mib, int more)
{
	size_t cap = (mib << 20) * (size_t)(100 + more) / 100 + (1u << 20);
	char *buf = malloc(cap), tree[32768];
	size_t n = 0, one = xgb_tree(tree, sizeof(tree), 0);
	int trees = (int)((mib << 20) / one) * (100 + more) / 100;

	if (buf == NULL)
		die("out of memory");
	n += (size_t)snprintf(buf + n, cap - n,
	    "{\"learner\":{\"attributes\":{},\"gradient_booster\":{\"model\":"
	    "{\"gbtree_model_param\":{\"num_parallel_tree\":\"1\","
	    "\"num_trees\":\"%d\"},\"trees\":[",
	    trees);
	for (int k = 0; k < trees && n + sizeof(tree) < cap; k++) {
		if (k > 0)
			buf[n++] = ',';
		n += xgb_tree(buf + n, cap - n, k);
	}
	n += (size_t)snprintf(buf + n, cap - n,
	    "]}},\"name\":\"gbtree\"},\"learner_model_param\":{"
	    "\"base_score\":\"5E-1\",\"num_class\":\"0\",\"num_feature\":"
	    "\"200\"},\"objective\":{\"name\":\"binary:logistic\"}},"
	    "\"version\":[1,7,4]}\n");
	write_file(path, buf, n);
	free(buf);
	return n;
}

/* ---- modelregd and nginx, as child processes ---------------------------- */

static pid_t
spawn(char *const argv[], bool quiet)
{
	pid_t pid = fork();

	if (pid < 0)
		die("fork failed");
	if (pid == 0) {
		if (quiet) {
			int fd = open("/dev/null", O_WRONLY);
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static mr_client *
connect_to(const char *url)
{
	mr_client_options o = {.timeout_ms = 120000};
	mr_client *c = NULL;

	for (int i = 0; i < 200; i++) {
		if (mr_client_open(&c, url, &o) == MR_OK)
			return c;
		usleep(50000);
	}
	die("modelregd did not answer");
	return NULL;
}

/* The nginx binary, or NULL when it is not installed. */
static const char *
find_nginx(void)
{
	static const char *const where[] = {
	    "/usr/sbin/nginx", "/usr/local/sbin/nginx", "/usr/bin/nginx"};

	for (size_t i = 0; i < sizeof(where) / sizeof(where[0]); i++)
		if (access(where[i], X_OK) == 0)
			return where[i];
	return NULL;
}

static pid_t
start_nginx(const char *bin, const char *dir, const char *root, int port)
{
	char conf[PATH_MAX + 16], tmp[PATH_MAX + 16], prefix[PATH_MAX];
	char *argv[] = {(char *)bin, "-c", conf, "-p", prefix, NULL};
	FILE *f;
	pid_t pid;

	snprintf(prefix, sizeof(prefix), "%s/", dir);
	snprintf(conf, sizeof(conf), "%s/nginx.conf", dir);
	snprintf(tmp, sizeof(tmp), "%s/nginx-tmp", dir);
	mkdir(tmp, 0755);
	if ((f = fopen(conf, "w")) == NULL)
		die("cannot write nginx.conf");
	fprintf(f,
	    "daemon off; worker_processes 1; pid %s/nginx.pid;\n"
	    "error_log %s/nginx-error.log;\n"
	    "events { worker_connections 64; }\n"
	    "http { access_log off; sendfile on; tcp_nopush on;\n"
	    "  client_body_temp_path %s; proxy_temp_path %s;\n"
	    "  fastcgi_temp_path %s; uwsgi_temp_path %s; scgi_temp_path %s;\n"
	    "  server { listen 127.0.0.1:%d; root %s; } }\n",
	    dir, dir, tmp, tmp, tmp, tmp, tmp, port, root);
	fclose(f);
	pid = spawn(argv, true);
	usleep(300000);
	return pid;
}

/* curl of `url` into `dest`, then fsync: seconds. */
static double
curl_once(const char *url, const char *dest)
{
	char *argv[] = {
	    "curl", "-s", "-f", "-o", (char *)dest, (char *)url, NULL};
	uint64_t t0;
	int status;
	pid_t pid;
	double s;

	settle();
	t0 = mr_mono_ns();
	pid = spawn(argv, false);
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		die("curl failed (is curl installed?)");
	fsync_file(dest);
	s = secs_since(t0);
	unlink(dest);
	return s;
}

/* ---- the runs ------------------------------------------------------------ */

/* RocksDB puts of `len` bytes in MR_CHUNK_SIZE values: seconds. */
static double
raw_rocksdb_puts(const char *dir, const uint8_t *data, size_t len)
{
	rocksdb_options_t *o = rocksdb_options_create();
	rocksdb_writeoptions_t *wo = rocksdb_writeoptions_create();
	char *err = NULL;
	uint64_t t0;
	rocksdb_t *db;
	double s;

	rocksdb_options_set_create_if_missing(o, 1);
	if ((db = rocksdb_open(o, dir, &err)) == NULL)
		die(err);
	settle();
	t0 = mr_mono_ns();
	for (size_t off = 0, i = 0; off < len; off += MR_CHUNK_SIZE, i++) {
		size_t n =
		    len - off < MR_CHUNK_SIZE ? len - off : MR_CHUNK_SIZE;
		uint8_t key[MR_DIGEST_LEN] = {0};

		memcpy(key, &i, sizeof(i));
		/* The last put is synced, as the registry's commit is. */
		rocksdb_writeoptions_set_sync(wo, off + n == len);
		rocksdb_put(db, wo, (const char *)key, sizeof(key),
		    (const char *)data + off, n, &err);
		if (err != NULL)
			die(err);
	}
	s = secs_since(t0);
	rocksdb_close(db);
	rocksdb_writeoptions_destroy(wo);
	rocksdb_options_destroy(o);
	return s;
}

static double
push_once(mr_client *c, const char *name, const char *version, const char *path)
{
	mr_register_params p = {.name = name, .version = version, .path = path};
	uint64_t t0;

	settle();
	t0 = mr_mono_ns();
	check(mr_register(c, &p, NULL), c, "register");
	return secs_since(t0);
}

static double
pull_once(mr_client *c, const char *name, const char *version, const char *dest,
    const char *cache)
{
	mr_pull_options o = {.cache_dir = cache};
	uint64_t t0;
	double s;

	settle();
	t0 = mr_mono_ns();
	check(mr_pull(c, name, version, MR_STAGE_NONE, dest, &o, NULL), c,
	    "pull");
	s = secs_since(t0);
	if (cache == NULL)
		unlink(dest);
	return s;
}

/* Pulls against nginx + curl, alternating, g_rounds each. */
static void
compare_pulls(mr_client *c, const char *name, const char *dir, const char *file,
    size_t bytes, const char *nginx_url)
{
	double ours[16], theirs[16];
	char dest[PATH_MAX + 16], url[PATH_MAX + 64];
	const char *base = strrchr(file, '/') + 1;

	snprintf(dest, sizeof(dest), "%s/pulled.bin", dir);
	snprintf(url, sizeof(url), "%s/%s", nginx_url != NULL ? nginx_url : "",
	    base);
	printf("\npull of %s (%.0f MiB), verified, written and fsync'd\n", name,
	    (double)bytes / MIB);
	for (int r = 0; r < g_rounds; r++) {
		ours[r] = pull_once(c, name, "1.0.0", dest, NULL);
		theirs[r] = nginx_url != NULL ? curl_once(url, dest) : 0;
		printf("round %d   modelreg %7.0f MiB/s", r + 1,
		    (double)bytes / MIB / ours[r]);
		if (nginx_url != NULL)
			printf("   nginx+curl %7.0f MiB/s   ratio %.2f",
			    (double)bytes / MIB / theirs[r],
			    theirs[r] / ours[r]);
		printf("\n");
	}
	if (nginx_url != NULL) {
		double o = median(ours, g_rounds), t = median(theirs, g_rounds);
		printf("median    modelreg %7.0f MiB/s   nginx+curl %7.0f "
		       "MiB/s   ratio %.2f\n",
		    (double)bytes / MIB / o, (double)bytes / MIB / t, t / o);
	} else {
		printf("(nginx is not installed: no baseline; apt-get install "
		       "nginx-light)\n");
	}
}

/* One delta pull through `cache`: what went on the wire. */
static void
delta(mr_client *c, const char *what, const char *name, const char *version,
    const char *dir, const char *cache)
{
	char dest[PATH_MAX + 16];
	const mr_transfer_stats *s;

	snprintf(dest, sizeof(dest), "%s/delta-%s-%s", dir, name, version);
	pull_once(c, name, version, dest, cache);
	s = mr_client_transfer_stats(c);
	printf("%-34s %8.1f MiB  %8.1f MiB  %6.1f %%  %5llu of %5llu\n", what,
	    (double)s->bytes / MIB, (double)s->bytes_sent / MIB,
	    100.0 * (double)s->bytes_sent / (double)s->bytes,
	    (unsigned long long)s->chunks_sent, (unsigned long long)s->chunks);
	unlink(dest);
}

static void
usage(void)
{
	fprintf(stderr,
	    "usage: modelreg-pull-bench [--mib N] [--xgb-mib N] "
	    "[--rounds N] [--dir DIR]\n");
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"mib", required_argument, NULL, 'm'},
	    {"xgb-mib", required_argument, NULL, 'x'},
	    {"rounds", required_argument, NULL, 'r'},
	    {"dir", required_argument, NULL, 'd'},
	    {NULL, 0, NULL, 0},
	};
	char dir[PATH_MAX] = "", path[PATH_MAX + 32], data[PATH_MAX + 16];
	char www[PATH_MAX + 16], weights[PATH_MAX + 32], tuned[PATH_MAX + 32];
	char xgb[PATH_MAX + 32], xgb2[PATH_MAX + 32], cache[PATH_MAX + 16];
	char url[64], nginx_url[64], listen[64];
	const char *parent = "/tmp", *nginx = find_nginx();
	pid_t server, web = 0;
	size_t bytes, xbytes;
	uint8_t *buf;
	double ours[16], raw[16];
	mr_client *c;
	int ch;

	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			g_mib = (size_t)atol(optarg);
			break;
		case 'x':
			g_xgb_mib = (size_t)atol(optarg);
			break;
		case 'r':
			g_rounds = atoi(optarg);
			break;
		case 'd':
			parent = optarg;
			break;
		default:
			usage();
			return 2;
		}
	}
	if (g_mib == 0 || g_xgb_mib == 0 || g_rounds < 1 || g_rounds > 16) {
		usage();
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s/modelreg-pull-bench-XXXXXX", parent);
	if (mkdtemp(dir) == NULL)
		die("cannot make a temporary directory");
	/* nginx's worker runs as another user and must reach www/. */
	chmod(dir, 0755);
	snprintf(www, sizeof(www), "%s/www", dir);
	snprintf(data, sizeof(data), "%s/data", dir);
	snprintf(cache, sizeof(cache), "%s/cache", dir);
	mkdir(www, 0755);
	snprintf(weights, sizeof(weights), "%s/weights.bin", www);
	snprintf(tuned, sizeof(tuned), "%s/tuned.bin", www);
	snprintf(xgb, sizeof(xgb), "%s/xgb.json", www);
	snprintf(xgb2, sizeof(xgb2), "%s/xgb-more.json", www);

	/* The inputs: weights, the same with the last 5% retrained, and an
	 * XGBoost model before and after 10% more boosting rounds. */
	bytes = g_mib << 20;
	if ((buf = malloc(bytes)) == NULL)
		die("out of memory");
	tu_fill_weights(buf, bytes, 1);
	write_file(weights, buf, bytes);
	tu_fill_weights(buf + bytes - bytes / 20, bytes / 20, 2);
	write_file(tuned, buf, bytes);
	tu_fill_weights(buf + bytes - bytes / 20, bytes / 20, 1);
	xbytes = xgb_model(xgb, g_xgb_mib, 0);
	xgb_model(xgb2, g_xgb_mib, 10);

	snprintf(
	    listen, sizeof(listen), "tcp://127.0.0.1:%d", bench_free_port());
	snprintf(url, sizeof(url), "%s", listen);
	{
		char tokfile[PATH_MAX + 32];
		char *args[] = {MODELREGD_PATH, "--listen", listen, "--data",
		    data, "--bootstrap-token-file", tokfile, NULL};
		snprintf(tokfile, sizeof(tokfile), "%s.token", data);
		server = spawn(args, true);
		/* Written before modelregd listens. */
		for (int i = 0; i < 200 && access(tokfile, R_OK) != 0; i++)
			usleep(50000);
		bench_token_file(tokfile);
	}
	g_children[0] = server;
	atexit(stop_children);
	c = connect_to(url);
	if (nginx != NULL) {
		int port = bench_free_port();
		snprintf(
		    nginx_url, sizeof(nginx_url), "http://127.0.0.1:%d", port);
		web = start_nginx(nginx, dir, www, port);
		g_children[1] = web;
	}

	printf("modelreg-pull-bench: modelregd and %s on 127.0.0.1, "
	       "2 x %d rounds\n",
	    nginx != NULL ? "nginx" : "no nginx", g_rounds);

	/* 1. Push, the first time only: later pushes send nothing. */
	ours[0] = push_once(c, "weights", "1.0.0", weights);
	snprintf(path, sizeof(path), "%s/raw-rocksdb", dir);
	raw[0] = raw_rocksdb_puts(path, buf, bytes);
	printf("\npush of %zu MiB weights: modelreg %.0f MiB/s, raw RocksDB "
	       "puts %.0f MiB/s, ratio %.2f (%llu bytes on the wire)\n",
	    g_mib, (double)bytes / MIB / ours[0], (double)bytes / MIB / raw[0],
	    raw[0] / ours[0],
	    (unsigned long long)mr_client_transfer_stats(c)->bytes_sent);
	push_once(c, "xgb", "1.0.0", xgb);
	printf("push of the XGBoost-like model: %.1f MiB, %.1f MiB on the "
	       "wire\n",
	    (double)xbytes / MIB,
	    (double)mr_client_transfer_stats(c)->bytes_sent / MIB);
	free(buf);

	/* 2, 3. Pulls against nginx + curl, on a settled store. */
	wait_compacted(data);
	compare_pulls(c, "weights", dir, weights, bytes,
	    nginx != NULL ? nginx_url : NULL);
	compare_pulls(
	    c, "xgb", dir, xgb, xbytes, nginx != NULL ? nginx_url : NULL);

	/* 4. Deltas through a cache. */
	push_once(c, "weights", "1.1.0", tuned);
	printf("\npush of the fine-tuned weights: %.1f MiB on the wire\n",
	    (double)mr_client_transfer_stats(c)->bytes_sent / MIB);
	push_once(c, "xgb", "1.1.0", xgb2);
	printf("push of the XGBoost model with 10%% more trees: %.1f MiB on "
	       "the wire\n",
	    (double)mr_client_transfer_stats(c)->bytes_sent / MIB);
	printf("\ndelta pulls through --cache            artifact      wire   "
	       "share   chunks\n");
	delta(c, "weights 1.0.0, cold cache", "weights", "1.0.0", dir, cache);
	delta(c, "weights 1.0.0 again", "weights", "1.0.0", dir, cache);
	delta(c, "weights 1.1.0 (last 5% retrained)", "weights", "1.1.0", dir,
	    cache);
	delta(c, "xgb 1.0.0, cold cache", "xgb", "1.0.0", dir, cache);
	delta(c, "xgb 1.1.0 (10% more trees)", "xgb", "1.1.0", dir, cache);

	mr_client_close(c);
	stop_children();
	{
		char *rm[] = {"rm", "-rf", dir, NULL};
		waitpid(spawn(rm, false), NULL, 0);
	}
	return 0;
}
