/*
 * test_crash.c - the crash driver, after RocksDB's db_crashtest: client
 * threads register versions with small artifacts, review, promote, alias,
 * tag and delete them at random, while the driver kills modelregd with
 * SIGKILL at random moments, restarts it and lets them go on.
 *
 * Each thread owns one model, so its calls on it are sequential and its
 * ledger is exact: every call's outcome is acknowledged (OK: it happened),
 * rejected (the server answered an error: it did not), or unknown (no
 * answer, or UNAVAILABLE / INTERNAL: it may have). The ledger keeps, for
 * each thing a call can change (a version's presence, stage, tags and
 * approval; an alias), the set of values it may hold: the last
 * acknowledged one, and those of unknown calls since. After each restart,
 * with the threads parked, the driver collects garbage with no grace and
 * checks the registry against the ledger:
 *   - every acknowledged change is visible, and nothing holds a value no
 *     call gave it; a deleted version is gone (listed nowhere, NOT_FOUND
 *     to a get) and its number stays taken;
 *   - a version is there whole or not at all: exact metadata, files,
 *     tags, and (once per version, after an unknown deletion, and every
 *     PULL_ALL_EVERY collections) a pull compared byte for byte with
 *     what was registered;
 *   - the collection kept exactly the distinct chunks the versions
 *     reference, a whole scrub pass reads that many and finds no damaged
 *     one, the audit chain verifies, and the audit log holds one record
 *     per acknowledged mutation plus at most one per unknown one.
 * What was seen then replaces the sets: an unknown call has happened or
 * not for good (see barrier() for why that is safe).
 *
 * MODELREG_CRASH_ITERATIONS (default 15) sets the number of kills and
 * MODELREG_CRASH_SEED the seed, which is printed: it fixes every choice
 * (operations, targets, artifacts, kill delays); thread timing varies.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "e2e.h"
#include "testutil.h"

#define THREADS            4
#define ITERATIONS_DEFAULT 15
#define TAG_KEYS           3  /* "k0" ... "k2" on every version */
#define ALIASES            3  /* per model */
#define CANDS              32 /* values one thing may hold between checks */
#define VALUE_MAX          24
#define FILES_MAX          3
#define THINK_MS           20 /* a thread waits up to this long between calls */
/* Every version is pulled again after this many collections, and after
 * the last; in between, the new ones are, and a chunk count proves the
 * others' chunks all there (see check_all). */
#define PULL_ALL_EVERY     5
/* The shared file: same bytes in every model, so chunks are shared. */
#define SHARED_SEED 0x5eedull
#define SHARED_SIZE 20000
/* Per-thread call timeouts: the short one leaves calls unanswered while
 * the server is down (unknown outcomes); the long ones are resent to the
 * restarted server by nng's REQ socket, with their idempotency keys. */
static const int timeouts_ms[THREADS] = {400, 3000, 800, 5000};
static const char *const alias_names[ALIASES] = {
    "champion", "challenger", "shadow"};

/* ---- random numbers: splitmix64 ----------------------------------------- */

static uint64_t
rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static uint32_t
rng_below(uint64_t *s, uint32_t n)
{
	return (uint32_t)(rng_next(s) % n);
}

/* ---- the ledger --------------------------------------------------------- */

/* The values one thing may hold; "" is "none" (no tag, no alias). */
typedef struct cands {
	int n;
	char v[CANDS][VALUE_MAX];
} cands;

static bool
cands_has(const cands *c, const char *v)
{
	for (int i = 0; i < c->n; i++)
		if (strcmp(c->v[i], v) == 0)
			return true;
	return false;
}

/* Acknowledged: the value now. */
static void
cands_set(cands *c, const char *v)
{
	c->n = 1;
	snprintf(c->v[0], VALUE_MAX, "%s", v);
}

/* Unknown: one more value it may hold. The caller checked for room. */
static void
cands_add(cands *c, const char *v)
{
	if (!cands_has(c, v) && c->n < CANDS)
		snprintf(c->v[c->n++], VALUE_MAX, "%s", v);
}

static bool
cands_full(const cands *c)
{
	return c->n >= CANDS - 1;
}

static void
cands_text(const cands *c, char *out, size_t cap)
{
	size_t k = 0;

	out[0] = '\0';
	for (int i = 0; i < c->n && k < cap; i++)
		k += (size_t)snprintf(
		    out + k, cap - k, "%s\"%s\"", i > 0 ? ", " : "", c->v[i]);
}

typedef enum presence {
	ABSENT,        /* never registered, or seen absent */
	MAYBE,         /* registered with an unknown outcome, not yet seen */
	PRESENT,       /* acknowledged, or seen */
	MAYBE_DELETED, /* present, then deleted with an unknown outcome */
	DELETED,       /* deleted: acknowledged, or seen gone after a
	                  MAYBE_DELETED; its number is taken for good */
} presence;

typedef enum approval { NOT_APPROVED, MAYBE_APPROVED, APPROVED } approval;

typedef struct lfile {
	char name[VALUE_MAX + 16];
	size_t size;
	uint64_t seed;
} lfile;

/* What one version of a thread's model is, or may be. */
typedef struct lversion {
	char text[VALUE_MAX]; /* "1.0.N", N its index */
	presence pres;
	bool pulled; /* compared byte for byte since it was last seen */
	bool directory;
	int n_files;
	lfile files[FILES_MAX];
	double accuracy;
	int batch;       /* a hyperparameter */
	unsigned stages; /* bit 1 << mr_stage for each stage it may be in */
	cands tags[TAG_KEYS];
	approval approved; /* for production, by the thread's reviewer */
	uint32_t chunks;   /* chunk references, as the registry lists them */
	bool gone_seen;    /* DELETED: a get answered NOT_FOUND since */
} lversion;

enum outcome { ACKED, REJECTED, UNKNOWN, N_OUTCOMES };

struct drv;

/* One client thread, its model and its ledger. */
typedef struct actor {
	struct drv *d;
	int id;
	char model[32];
	char user[32];           /* registers */
	char reviewer[32];       /* approves: a registrant cannot */
	char dir[E2E_PATH_SIZE]; /* its artifacts, while they upload */
	uint64_t rng;
	mr_client *c, *rc;
	lversion *v; /* by index N of "1.0.N" */
	size_t n_v, cap_v;
	cands aliases[ALIASES];
	/* Mutations since the last check, for the audit log's bounds. */
	uint64_t acked_mut, unknown_mut;
	uint64_t max_rev; /* highest revision acknowledged */
	/* An answer the ledger rules out (a delete of a version that is
	 * surely free refused, a deleted number registered again), seen by
	 * the thread and reported by the next check. */
	char surprise[512];
	pthread_t thread;
} actor;

/* ---- the operations -----------------------------------------------------
 *
 * Each picks its target in the ledger, makes its call, and records what
 * the outcome allows, through outcome(). To add one, write its function
 * and give it a line in op_table; an answer the ledger rules out goes
 * into a->surprise (see surprise()), which the next check reports.
 */

typedef struct op_kind {
	const char *name;
	unsigned weight;
	/* -1: nothing to do now; else the outcome of the call made. */
	int (*run)(actor *a);
} op_kind;

static enum outcome
classify(mr_status rv)
{
	switch (rv) {
	case MR_OK:
		return ACKED;
	/* No answer, or one that does not say the change did not happen
	 * (a commit whose WAL sync failed may be replayed at restart). */
	case MR_DEADLINE_EXCEEDED:
	case MR_UNAVAILABLE:
	case MR_CANCELLED:
	case MR_UNKNOWN:
	case MR_INTERNAL:
	case MR_RESOURCE_EXHAUSTED:
		return UNKNOWN;
	default:
		return REJECTED;
	}
}

static enum outcome
outcome(actor *a, mr_client *c, mr_status rv)
{
	enum outcome o = classify(rv);

	if (o == ACKED) {
		a->acked_mut++;
		if (mr_client_revision(c) > a->max_rev)
			a->max_rev = mr_client_revision(c);
	} else if (o == UNKNOWN) {
		a->unknown_mut++;
	}
	return o;
}

static void
surprise(actor *a, const char *fmt, ...)
{
	va_list ap;

	if (a->surprise[0] != '\0')
		return; /* the first one tells */
	va_start(ap, fmt);
	vsnprintf(a->surprise, sizeof(a->surprise), fmt, ap);
	va_end(ap);
}

/* A version to act on: mostly recent ones; NULL if none may exist. A
 * MAYBE_DELETED one is fair game: if it is gone, the call is refused. */
static lversion *
pick_version(actor *a)
{
	for (int tries = 0; tries < 8 && a->n_v > 0; tries++) {
		size_t n = a->n_v, i;

		if (n > 8 && rng_below(&a->rng, 5) != 0)
			i = n - 1 - rng_below(&a->rng, 8);
		else
			i = rng_below(&a->rng, (uint32_t)n);
		if (a->v[i].pres != ABSENT && a->v[i].pres != DELETED)
			return &a->v[i];
	}
	return NULL;
}

static lversion *
new_version(actor *a)
{
	lversion *lv;

	if (a->n_v == a->cap_v) {
		a->cap_v = a->cap_v ? 2 * a->cap_v : 64;
		a->v = realloc(a->v, a->cap_v * sizeof(*a->v));
		assert_non_null(a->v);
	}
	lv = &a->v[a->n_v];
	memset(lv, 0, sizeof(*lv));
	snprintf(lv->text, sizeof(lv->text), "1.0.%zu", a->n_v);
	a->n_v++;
	return lv;
}

/* The bytes of a file of the ledger. */
static void *
file_bytes(const lfile *f)
{
	void *buf = malloc(f->size);

	assert_non_null(buf);
	tu_fill_random(buf, f->size, f->seed);
	return buf;
}

/* A small artifact: one file or a directory of up to three, mostly a few
 * KiB, sometimes over a chunk, sometimes the shared file. */
static void
design_artifact(actor *a, lversion *lv)
{
	static const char *const names[FILES_MAX] = {
	    "weights.bin", "config.json", "vocab.txt"};

	lv->directory = rng_below(&a->rng, 3) == 0;
	lv->n_files = lv->directory ? 2 + (int)rng_below(&a->rng, 2) : 1;
	for (int i = 0; i < lv->n_files; i++) {
		lfile *f = &lv->files[i];

		if (lv->directory)
			snprintf(f->name, sizeof(f->name), "%s", names[i]);
		else
			snprintf(
			    f->name, sizeof(f->name), "model-%s.bin", lv->text);
		f->seed = rng_next(&a->rng);
		switch (rng_below(&a->rng, 20)) {
		case 0:
			f->size = (1u << 20) + rng_below(&a->rng, 600000);
			break;
		case 1:
		case 2:
		case 3:
			f->seed = SHARED_SEED;
			f->size = SHARED_SIZE;
			break;
		default:
			f->size = 1 + rng_below(&a->rng, 64 << 10);
			break;
		}
	}
	lv->accuracy = (double)rng_below(&a->rng, 1000000) / 1e6;
	lv->batch = 16 << rng_below(&a->rng, 4);
}

/* Writes the artifact under a->dir; returns its path in `path`. */
static void
write_artifact(actor *a, const lversion *lv, char path[E2E_PATH_SIZE])
{
	char name[64], file[E2E_PATH_SIZE + 64];

	snprintf(name, sizeof(name), "src-%s", lv->text);
	e2e_path(path, a->dir, lv->directory ? name : lv->files[0].name);
	for (int i = 0; i < lv->n_files; i++) {
		void *buf = file_bytes(&lv->files[i]);

		if (lv->directory)
			snprintf(file, sizeof(file), "%s/%s", path,
			    lv->files[i].name);
		else
			snprintf(file, sizeof(file), "%s", path);
		tu_write_file(file, buf, lv->files[i].size);
		free(buf);
	}
}

static void
describe(const actor *a, const lversion *lv, char *out, size_t cap)
{
	snprintf(out, cap, "crash thread %d version %s", a->id, lv->text);
}

static int
op_register(actor *a)
{
	char path[E2E_PATH_SIZE], desc[96], lr[32];
	lversion *lv = new_version(a);
	mr_metric metrics[2];
	mr_kv params[2] = { { "lr", "0.001" }, { "batch", lr } };
	mr_kv tags[2] = { { "origin", "crash" }, { "k0", "v0" } };
	mr_metadata md = { .metrics = metrics, .n_metrics = 2,
		.hyperparameters = params, .n_hyperparameters = 2,
		.framework = "pytorch", .framework_version = "2.1" };
	mr_register_params p = { .name = a->model, .description = desc,
		.metadata = &md, .tags = tags, .n_tags = 2, .path = path,
		.reason = "crash test" };
	enum outcome o;

	design_artifact(a, lv);
	describe(a, lv, desc, sizeof(desc));
	metrics[0] = (mr_metric){"accuracy", lv->accuracy};
	metrics[1] = (mr_metric){"loss", 1.0 - lv->accuracy};
	snprintf(lr, sizeof(lr), "%d", lv->batch);
	p.version = lv->text;
	write_artifact(a, lv, path);

	o = outcome(a, a->c, mr_register(a->c, &p, NULL));
	tu_rmtree(path);
	lv->stages = 1u << MR_STAGE_DEV;
	cands_set(&lv->tags[0], "v0");
	for (int k = 1; k < TAG_KEYS; k++)
		cands_set(&lv->tags[k], "");
	lv->pres = o == ACKED ? PRESENT : o == UNKNOWN ? MAYBE : ABSENT;
	return (int)o;
}

/* Promotion to production archives the production version: in the
 * ledger, whatever may be in production may now be archived instead. */
static void
displace_production(actor *a, const lversion *winner, bool certain)
{
	for (size_t i = 0; i < a->n_v; i++) {
		lversion *w = &a->v[i];

		if (w == winner || !(w->stages & (1u << MR_STAGE_PRODUCTION)))
			continue;
		if (certain)
			w->stages &= ~(1u << MR_STAGE_PRODUCTION);
		w->stages |= 1u << MR_STAGE_ARCHIVED;
	}
}

static int
op_promote(actor *a)
{
	lversion *lv = pick_version(a);
	mr_stage from = MR_STAGE_NONE, to;
	enum outcome o;

	if (lv == NULL)
		return -1;
	/* From one of the stages it may be in, with a check-and-set on it. */
	for (int tries = 0; tries < 4 && from == MR_STAGE_NONE; tries++) {
		mr_stage s = (mr_stage)(1 + rng_below(&a->rng, 3));
		if (lv->stages & (1u << s))
			from = s;
	}
	if (from == MR_STAGE_NONE)
		return -1;
	to = rng_below(&a->rng, 10) == 0 ? MR_STAGE_ARCHIVED
	    : from == MR_STAGE_DEV       ? MR_STAGE_STAGING
	    : from == MR_STAGE_STAGING   ? MR_STAGE_PRODUCTION
	                                 : MR_STAGE_ARCHIVED;
	o = outcome(a, a->c,
	    mr_promote(a->c, a->model, lv->text, to, from, "crash test", NULL));
	if (o == ACKED)
		lv->stages = 1u << to;
	else if (o == UNKNOWN)
		lv->stages |= 1u << to;
	if (o != REJECTED && to == MR_STAGE_PRODUCTION)
		displace_production(a, lv, o == ACKED);
	return (int)o;
}

static int
op_review(actor *a)
{
	lversion *lv = pick_version(a);
	enum outcome o;

	if (lv == NULL || lv->approved == APPROVED)
		return -1;
	o = outcome(a, a->rc,
	    mr_review_version(a->rc, a->model, lv->text, MR_STAGE_PRODUCTION,
	        MR_APPROVE, "looks right", NULL, NULL, NULL));
	if (o == ACKED)
		lv->approved = APPROVED;
	else if (o == UNKNOWN)
		lv->approved = MAYBE_APPROVED;
	return (int)o;
}

static int
op_alias(actor *a)
{
	int k = (int)rng_below(&a->rng, ALIASES);
	cands *al = &a->aliases[k];
	lversion *lv = pick_version(a);
	const char *to;
	mr_status rv;
	enum outcome o;

	if (cands_full(al))
		return -1;
	if (lv == NULL || rng_below(&a->rng, 6) == 0) {
		to = "";
		rv = mr_delete_alias(
		    a->c, a->model, alias_names[k], "crash test", NULL);
	} else {
		to = lv->text;
		rv = mr_set_alias(
		    a->c, a->model, alias_names[k], to, "crash test", NULL);
	}
	o = outcome(a, a->c, rv);
	if (o == ACKED)
		cands_set(al, to);
	else if (o == UNKNOWN)
		cands_add(al, to);
	return (int)o;
}

static int
op_tag(actor *a)
{
	lversion *lv = pick_version(a);
	int k = (int)rng_below(&a->rng, TAG_KEYS);
	char key[8], value[VALUE_MAX];
	const char *const del[1] = {key};
	mr_kv kv = { .key = key, .value = value };
	mr_version_update u = { .reason = "crash test" };
	enum outcome o;

	if (lv == NULL || cands_full(&lv->tags[k]))
		return -1;
	snprintf(key, sizeof(key), "k%d", k);
	if (rng_below(&a->rng, 5) == 0) {
		value[0] = '\0';
		u.delete_tags = del;
		u.n_delete_tags = 1;
	} else {
		snprintf(value, sizeof(value), "v%" PRIu32,
		    rng_below(&a->rng, 100000));
		u.set_tags = &kv;
		u.n_set_tags = 1;
	}
	o = outcome(
	    a, a->c, mr_update_version(a->c, a->model, lv->text, &u, NULL));
	if (o == ACKED)
		cands_set(&lv->tags[k], value);
	else if (o == UNKNOWN)
		cands_add(&lv->tags[k], value);
	return (int)o;
}

/*
 * What holds version `lv` against deletion, by the ledger: *may if it
 * may be in production or an alias may point at it, *sure if it surely
 * is or does (the one value the ledger allows).
 */
static void
holds(const actor *a, const lversion *lv, bool *may, bool *sure)
{
	const unsigned prod = 1u << MR_STAGE_PRODUCTION;

	*may = (lv->stages & prod) != 0;
	*sure = lv->stages == prod;
	for (int k = 0; k < ALIASES; k++) {
		const cands *al = &a->aliases[k];

		if (cands_has(al, lv->text)) {
			*may = true;
			*sure = *sure || al->n == 1;
		}
	}
}

static int
op_delete(actor *a)
{
	/* Mostly a version the ledger knows is free to go; sometimes any,
	 * which the server refuses if it is held. */
	bool any = rng_below(&a->rng, 4) == 0, may = false, sure = false;
	lversion *lv = NULL;
	mr_status rv;
	enum outcome o;

	for (int tries = 0; tries < 8 && lv == NULL; tries++) {
		lversion *w = pick_version(a);

		if (w == NULL || w->pres != PRESENT)
			continue;
		holds(a, w, &may, &sure);
		if (!may || any)
			lv = w;
	}
	if (lv == NULL)
		return -1;
	rv = mr_delete_version(a->c, a->model, lv->text, "crash test", NULL);
	o = outcome(a, a->c, rv);
	if (o == ACKED) {
		if (sure)
			surprise(a,
			    "delete %s@%s: OK, but it is surely in "
			    "production or aliased",
			    a->model, lv->text);
		lv->pres = DELETED;
	} else if (o == UNKNOWN) {
		lv->pres = MAYBE_DELETED;
	} else if (rv != MR_FAILED_PRECONDITION || !may) {
		/* Present for sure, and free for sure unless `may`: a
		 * resend that lost its idempotency record would say
		 * NOT_FOUND here. */
		surprise(a, "delete %s@%s: %s: %s (held: %s)", a->model,
		    lv->text, mr_strerror(rv), mr_client_errmsg(a->c),
		    may ? "maybe" : "no");
	}
	return (int)o;
}

/* Registers a deleted number again: the registry must refuse it, for
 * whoever pinned name@version must never get other bytes under it. The
 * upload it makes first is garbage for the next collection. */
static int
op_reuse(actor *a)
{
	char path[E2E_PATH_SIZE];
	lversion *lv = NULL;
	mr_register_params p = {
	    .name = a->model, .path = path, .reason = "crash test"};
	mr_status rv;
	enum outcome o;

	if (a->n_v == 0)
		return -1;
	for (int tries = 0; tries < 8 && lv == NULL; tries++) {
		lversion *w = &a->v[rng_below(&a->rng, (uint32_t)a->n_v)];

		if (w->pres == DELETED)
			lv = w;
	}
	if (lv == NULL)
		return -1;
	p.version = lv->text;
	e2e_path(path, a->dir, "reuse.bin");
	e2e_write_random(path, 1 + rng_below(&a->rng, 8192), rng_next(&a->rng));
	rv = mr_register(a->c, &p, NULL);
	o = outcome(a, a->c, rv);
	unlink(path);
	if (o != UNKNOWN &&
	    (rv != MR_ALREADY_EXISTS ||
	        strstr(mr_client_errmsg(a->c), "was deleted") == NULL))
		surprise(a, "register %s@%s again after its deletion: %s: %s",
		    a->model, lv->text, mr_strerror(rv),
		    mr_client_errmsg(a->c));
	return (int)o;
}

/* Deletes stay a minority, so that versions accumulate. */
static const op_kind op_table[] = {
    {"register", 20, op_register},
    {"promote", 30, op_promote},
    {"review", 15, op_review},
    {"alias", 15, op_alias},
    {"tag", 20, op_tag},
    {"delete", 8, op_delete},
    {"reuse", 2, op_reuse},
};
#define N_OPS (sizeof(op_table) / sizeof(op_table[0]))

/* ---- the driver --------------------------------------------------------- */

struct drv {
	e2e_server s;
	uint64_t seed;
	uint64_t rng;
	int iteration;
	mr_client *c; /* the driver's own, for checks */
	actor actors[THREADS];

	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool paused, stop;
	int parked;
	/* Tallies, by operation and outcome (under mu). */
	uint64_t tally[N_OPS][N_OUTCOMES];

	/* The audit log's bounds: records at the last check, and the
	 * driver's own mutations since. */
	uint64_t audit_base;
	uint64_t drv_acked;
	uint64_t unknown_applied; /* by the audit count, summed */
	uint64_t unknown_total;
	uint64_t maybe_registers_present;
	uint64_t maybe_deletes_applied, maybe_deletes_undone;
	uint64_t kills;
	uint64_t chunks;
	/* Garbage collection before each check (grace 0): passes, chunks
	 * and stored bytes collected, and what the last pass kept. */
	uint64_t gc_passes, gc_deleted, gc_bytes;
	mr_gc_result gc;
	/* Distinct chunks the versions seen by a check reference, which is
	 * what a collection must keep and all it may keep: each version's
	 * chunk count, less its copies of the shared file's one chunk, plus
	 * that chunk if any version holds it, plus crash-sync's. */
	uint64_t want_chunks;
	bool want_shared;
	/* Where pulls are compared: /dev/shm if it can be, since a pull
	 * fsyncs what it writes and the check pulls every new version. */
	char verify_dir[E2E_PATH_SIZE];
};

static void
ms_sleep(uint32_t ms)
{
	usleep(ms * 1000u);
}

static void
violation(struct drv *d, const char *fmt, ...)
{
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr,
	    "crash: VIOLATION at iteration %d (MODELREG_CRASH_SEED=%" PRIu64
	    "): %s\ncrash: the store and modelregd.log are kept in %s\n",
	    d->iteration, d->seed, msg, d->s.dir);
	e2e_kill(&d->s, SIGKILL);
	tu_rmtree(d->verify_dir);
	fail_msg("%s", msg);
}

/* SIGKILL, after making sure that the server had not died by itself (a
 * crash of its own, a sanitizer's report) in the meantime. */
static void
kill_9(struct drv *d)
{
	int status = e2e_kill(&d->s, SIGKILL);

	d->kills++;
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
		violation(d,
		    "modelregd died by itself (wait status %#x); see "
		    "modelregd.log",
		    status);
}

static void *
actor_main(void *arg)
{
	actor *a = arg;
	struct drv *d = a->d;
	unsigned total = 0;

	for (size_t i = 0; i < N_OPS; i++)
		total += op_table[i].weight;
	for (;;) {
		unsigned r;
		size_t i;
		int o;

		pthread_mutex_lock(&d->mu);
		while (d->paused && !d->stop) {
			d->parked++;
			pthread_cond_broadcast(&d->cv);
			pthread_cond_wait(&d->cv, &d->mu);
			d->parked--;
		}
		if (d->stop) {
			pthread_mutex_unlock(&d->mu);
			break;
		}
		pthread_mutex_unlock(&d->mu);

		/* A pause between calls, as real clients have: fewer
		 * calls to check, as many moments to be killed at. */
		ms_sleep(rng_below(&a->rng, THINK_MS));
		r = rng_below(&a->rng, total);
		for (i = 0; r >= op_table[i].weight; i++)
			r -= op_table[i].weight;
		if ((o = op_table[i].run(a)) < 0)
			continue;
		pthread_mutex_lock(&d->mu);
		d->tally[i][o]++;
		pthread_mutex_unlock(&d->mu);
	}
	return NULL;
}

static void
pause_actors(struct drv *d)
{
	pthread_mutex_lock(&d->mu);
	d->paused = true;
	pthread_mutex_unlock(&d->mu);
}

static void
wait_parked(struct drv *d)
{
	pthread_mutex_lock(&d->mu);
	while (d->parked < THREADS)
		pthread_cond_wait(&d->cv, &d->mu);
	pthread_mutex_unlock(&d->mu);
}

static void
resume_actors(struct drv *d)
{
	pthread_mutex_lock(&d->mu);
	d->paused = false;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

/*
 * With every thread parked, one more mutation of the driver's own. A call
 * a thread gave up on may still be committing: the server takes the
 * writer lock, then refuses a request whose deadline has passed, and a
 * thread gives up only after its deadline, so such a commit holds the
 * lock now or never will. This mutation waits for that lock: once it is
 * answered, no call of the past can still change anything.
 */
static void
barrier(struct drv *d)
{
	for (int tries = 0;; tries++) {
		mr_status rv = mr_set_alias(d->c, "crash-sync", "barrier",
		    "0.0.1", "crash test barrier", NULL);

		if (rv == MR_OK) {
			d->drv_acked++;
			return;
		}
		if (classify(rv) != UNKNOWN || tries == 20)
			violation(d, "the barrier mutation failed: %s",
			    mr_client_errmsg(d->c));
		/* Count it as an unknown call of the driver's. */
		d->actors[0].unknown_mut++;
		usleep(100 * 1000);
	}
}

static bool
has_review(const mr_version *v, const char *reviewer)
{
	for (size_t i = 0; i < v->n_reviews; i++)
		if (v->reviews[i].stage == MR_STAGE_PRODUCTION &&
		    v->reviews[i].decision == MR_APPROVE &&
		    strcmp(v->reviews[i].reviewer, reviewer) == 0)
			return true;
	return false;
}

static const char *
tag_of(const mr_version *v, const char *key)
{
	for (size_t i = 0; i < v->n_tags; i++)
		if (strcmp(v->tags[i].key, key) == 0)
			return v->tags[i].value;
	return "";
}

static const char *
hyper_of(const mr_metadata *md, const char *key)
{
	for (size_t i = 0; i < md->n_hyperparameters; i++)
		if (strcmp(md->hyperparameters[i].key, key) == 0)
			return md->hyperparameters[i].value;
	return NULL;
}

static double
metric_of(const mr_metadata *md, const char *name)
{
	for (size_t i = 0; i < md->n_metrics; i++)
		if (strcmp(md->metrics[i].name, name) == 0)
			return md->metrics[i].value;
	return -1;
}

/* A version seen in the registry is exactly the one registered, and in
 * a state some set of calls could have left it in. */
static void
check_version(struct drv *d, actor *a, lversion *lv, const mr_version *v)
{
	char desc[96], want[CANDS * (VALUE_MAX + 4)], lr[32];
	bool reviewed;

	describe(a, lv, desc, sizeof(desc));
	snprintf(lr, sizeof(lr), "%d", lv->batch);
	if (strcmp(v->description, desc) != 0 ||
	    strcmp(v->created_by, a->user) != 0 ||
	    metric_of(&v->metadata, "accuracy") != lv->accuracy ||
	    metric_of(&v->metadata, "loss") != 1.0 - lv->accuracy ||
	    v->metadata.n_metrics != 2 || v->metadata.n_hyperparameters != 2 ||
	    hyper_of(&v->metadata, "lr") == NULL ||
	    strcmp(hyper_of(&v->metadata, "lr"), "0.001") != 0 ||
	    hyper_of(&v->metadata, "batch") == NULL ||
	    strcmp(hyper_of(&v->metadata, "batch"), lr) != 0 ||
	    strcmp(v->metadata.framework, "pytorch") != 0 ||
	    strcmp(v->metadata.framework_version, "2.1") != 0 ||
	    strcmp(tag_of(v, "origin"), "crash") != 0)
		violation(d,
		    "%s@%s: its metadata is not what was registered "
		    "(description \"%s\", by %s)",
		    a->model, lv->text, v->description, v->created_by);
	if (v->directory != lv->directory || v->n_files != (size_t)lv->n_files)
		violation(d,
		    "%s@%s: %zu files (directory %d), registered %d "
		    "(directory %d)",
		    a->model, lv->text, v->n_files, v->directory, lv->n_files,
		    lv->directory);
	for (int i = 0; i < lv->n_files; i++) {
		const lfile *f = &lv->files[i];
		bool found = false;

		for (size_t j = 0; j < v->n_files; j++)
			if (strcmp(v->files[j].path, f->name) == 0 &&
			    v->files[j].size == f->size)
				found = true;
		if (!found)
			violation(d, "%s@%s: no file %s of %zu bytes", a->model,
			    lv->text, f->name, f->size);
	}
	if (!(lv->stages & (1u << v->stage)))
		violation(d,
		    "%s@%s is in %s, which no call put it in (stage "
		    "set %#x)",
		    a->model, lv->text, mr_stage_name(v->stage), lv->stages);
	for (int k = 0; k < TAG_KEYS; k++) {
		char key[8];
		const char *got;

		snprintf(key, sizeof(key), "k%d", k);
		got = tag_of(v, key);
		if (!cands_has(&lv->tags[k], got)) {
			cands_text(&lv->tags[k], want, sizeof(want));
			violation(d, "%s@%s: tag %s is \"%s\", not one of %s",
			    a->model, lv->text, key, got, want);
		}
		cands_set(&lv->tags[k], got);
	}
	reviewed = has_review(v, a->reviewer);
	if ((lv->approved == APPROVED && !reviewed) ||
	    (lv->approved == NOT_APPROVED && reviewed))
		violation(d, "%s@%s: the approval is %s, acknowledged %s",
		    a->model, lv->text, reviewed ? "there" : "missing",
		    lv->approved == APPROVED ? "given" : "never");
	lv->approved = reviewed ? APPROVED : NOT_APPROVED;
	lv->stages = 1u << v->stage;
}

/* Pulls a version and compares every file with the bytes registered. */
static void
check_artifact(struct drv *d, actor *a, const lversion *lv)
{
	char dest[E2E_PATH_SIZE], path[E2E_PATH_SIZE + 64];
	mr_status rv;

	e2e_path(dest, d->verify_dir, "pulled");
	tu_rmtree(dest);
	rv = mr_pull(d->c, a->model, lv->text, MR_STAGE_NONE, dest, NULL, NULL);
	if (rv != MR_OK)
		violation(d, "pull %s@%s: %s", a->model, lv->text,
		    mr_client_errmsg(d->c));
	for (int i = 0; i < lv->n_files; i++) {
		size_t len;
		void *got, *want;

		if (lv->directory)
			snprintf(path, sizeof(path), "%s/%s", dest,
			    lv->files[i].name);
		else
			snprintf(path, sizeof(path), "%s", dest);
		got = tu_read_file(path, &len);
		want = file_bytes(&lv->files[i]);
		if (got == NULL || len != lv->files[i].size ||
		    memcmp(got, want, len) != 0)
			violation(d,
			    "%s@%s: pulled %s differs from what was "
			    "registered",
			    a->model, lv->text, lv->files[i].name);
		free(got);
		free(want);
	}
	tu_rmtree(dest);
}

/* The files of a version that are the shared file: its chunk once each. */
static uint32_t
shared_files(const lversion *lv)
{
	uint32_t n = 0;

	for (int i = 0; i < lv->n_files; i++)
		n += lv->files[i].seed == SHARED_SEED;
	return n;
}

/* A version deleted for sure is gone from gets, which say so. */
static void
check_gone(struct drv *d, actor *a, lversion *lv)
{
	mr_version *v = NULL;
	mr_status rv = mr_get_version(d->c, a->model, lv->text, 0, &v);

	if (rv != MR_NOT_FOUND ||
	    strstr(mr_client_errmsg(d->c), "was deleted") == NULL)
		violation(d, "%s@%s was deleted, but get answers %s: %s",
		    a->model, lv->text, mr_strerror(rv),
		    rv == MR_OK ? v->version : mr_client_errmsg(d->c));
	mr_version_free(v);
	lv->gone_seen = true;
}

static void
check_actor(struct drv *d, actor *a, bool pull_all)
{
	char want[CANDS * (VALUE_MAX + 4)];
	mr_version_list *l = NULL;
	bool *seen = calloc(a->n_v + 1, sizeof(*seen));
	const char *token = NULL;
	char *next = NULL;
	int in_production = 0;
	const char *production = "";
	size_t n_seen = 0, highest = 0;
	mr_model *m;

	assert_non_null(seen);
	if (a->surprise[0] != '\0')
		violation(d, "%s", a->surprise);
	if (mr_get_model(d->c, a->model, &m) != MR_OK)
		violation(d, "model %s: %s", a->model, mr_client_errmsg(d->c));
	do {
		mr_list_params p = { .page_size = 1000, .page_token = token };

		if (mr_list_versions(d->c, a->model, &p, &l) != MR_OK)
			violation(
			    d, "list %s: %s", a->model, mr_client_errmsg(d->c));
		for (size_t i = 0; i < l->count; i++) {
			const mr_version *v = &l->items[i];
			unsigned long n;
			lversion *lv;

			if (sscanf(v->version, "1.0.%lu", &n) != 1 ||
			    n >= a->n_v)
				violation(d,
				    "%s@%s: a version nobody "
				    "registered",
				    a->model, v->version);
			lv = &a->v[n];
			if (seen[n])
				violation(d, "%s@%s is listed twice", a->model,
				    v->version);
			if (lv->pres == ABSENT)
				violation(d,
				    "%s@%s is there, but its "
				    "registration was refused or it "
				    "was seen absent before",
				    a->model, v->version);
			if (lv->pres == DELETED)
				violation(d,
				    "%s@%s is there, but it was "
				    "deleted%s",
				    a->model, v->version,
				    lv->gone_seen ? " and seen gone" : "");
			if (lv->pres == MAYBE)
				d->maybe_registers_present++;
			if (lv->pres == MAYBE_DELETED)
				d->maybe_deletes_undone++;
			if (lv->chunks != 0 && v->chunk_count != lv->chunks)
				violation(d,
				    "%s@%s: %" PRIu32 " chunks, %" PRIu32
				    " when last seen",
				    a->model, v->version, v->chunk_count,
				    lv->chunks);
			check_version(d, a, lv, v);
			/* Whole, or not there: an unknown registration or
			 * deletion is pulled and compared. */
			if (lv->pres == MAYBE || lv->pres == MAYBE_DELETED ||
			    !lv->pulled || pull_all) {
				check_artifact(d, a, lv);
				lv->pulled = true;
			}
			lv->pres = PRESENT;
			lv->chunks = v->chunk_count;
			seen[n] = true;
			n_seen++;
			if (n >= highest)
				highest = n;
			d->want_chunks += v->chunk_count - shared_files(lv);
			d->want_shared = d->want_shared || shared_files(lv) > 0;
			if (v->stage == MR_STAGE_PRODUCTION) {
				in_production++;
				production = lv->text;
			}
		}
		free(next);
		next = strdup(l->next_page_token);
		token = next;
		mr_version_list_free(l);
	} while (token[0] != '\0');
	free(next);

	for (size_t n = 0; n < a->n_v; n++) {
		lversion *lv = &a->v[n];

		if (seen[n])
			continue;
		if (lv->pres == PRESENT)
			violation(d, "%s@%s was acknowledged and is gone",
			    a->model, lv->text);
		if (lv->pres == MAYBE)
			lv->pres = ABSENT;
		if (lv->pres == MAYBE_DELETED) {
			d->maybe_deletes_applied++;
			lv->pres = DELETED;
		}
		if (lv->pres == DELETED && !lv->gone_seen)
			check_gone(d, a, lv);
	}

	if (in_production > 1 ||
	    strcmp(m->production_version, in_production ? production : "") != 0)
		violation(d,
		    "%s: %d versions in production, the model says "
		    "\"%s\"",
		    a->model, in_production, m->production_version);
	/* The model's record follows registrations and deletions. */
	if (m->version_count != n_seen ||
	    strcmp(m->latest_version, n_seen ? a->v[highest].text : "") != 0)
		violation(d,
		    "%s: the model says %" PRIu32 " versions, latest \"%s\"; "
		    "%zu are listed, the highest \"%s\"",
		    a->model, m->version_count, m->latest_version, n_seen,
		    n_seen ? a->v[highest].text : "");
	for (int k = 0; k < ALIASES; k++) {
		const char *got = "";
		unsigned long n;

		for (size_t i = 0; i < m->n_aliases; i++)
			if (strcmp(m->aliases[i].key, alias_names[k]) == 0)
				got = m->aliases[i].value;
		if (!cands_has(&a->aliases[k], got)) {
			cands_text(&a->aliases[k], want, sizeof(want));
			violation(d,
			    "%s: alias %s points to \"%s\", not one "
			    "of %s",
			    a->model, alias_names[k], got, want);
		}
		/* A deletion is refused while an alias points at it. */
		if (got[0] != '\0' &&
		    (sscanf(got, "1.0.%lu", &n) != 1 || n >= a->n_v ||
		        !seen[n]))
			violation(d,
			    "%s: alias %s points to %s, which is not "
			    "there",
			    a->model, alias_names[k], got);
		cands_set(&a->aliases[k], got);
	}
	free(seen);
	mr_model_free(m);
}

/*
 * A garbage collection with no grace (modelregd runs with --gc-grace 0),
 * with the threads parked and the barrier passed: no upload is between
 * its chunks and its commit, so every chunk no version references goes,
 * those of unknown registrations that did not commit and of deleted
 * versions among them. check_all() then holds what it kept to what the
 * versions reference, pulls, and scrubs.
 */
static void
collect(struct drv *d)
{
	mr_gc_result r;

	if (mr_collect_garbage(d->c, 0, false, &r) != MR_OK)
		violation(d, "garbage collection: %s", mr_client_errmsg(d->c));
	if (r.grace_ms != 0 || r.kept_by_grace != 0 ||
	    r.chunks_scanned != r.chunks_deleted + r.kept_referenced)
		violation(d,
		    "garbage collection with no grace and no upload: "
		    "grace %" PRIu64 " ms, %" PRIu64 " chunks scanned, %" PRIu64
		    " deleted, %" PRIu64 " kept referenced, %" PRIu64
		    " kept by the grace",
		    r.grace_ms, r.chunks_scanned, r.chunks_deleted,
		    r.kept_referenced, r.kept_by_grace);
	d->gc = r;
	d->gc_passes++;
	d->gc_deleted += r.chunks_deleted;
	d->gc_bytes += r.bytes_freed;
}

/* Everything, with the threads parked, the barrier passed and the
 * garbage collected. */
static void
check_all(struct drv *d, bool pull_all)
{
	uint64_t acked = d->drv_acked, unknown = 0, max_rev = 0, records;
	mr_event_list *l;

	d->want_chunks = 1; /* crash-sync's */
	d->want_shared = false;
	for (int i = 0; i < THREADS; i++) {
		actor *a = &d->actors[i];

		check_actor(d, a, pull_all);
		acked += a->acked_mut;
		unknown += a->unknown_mut;
		if (a->max_rev > max_rev)
			max_rev = a->max_rev;
	}
	records = e2e_expect_sound_store(d->c, &d->chunks);
	/* The collection kept every chunk a version references, and only
	 * those; the scrub read them all whole. */
	d->want_chunks += d->want_shared;
	if (d->gc.kept_referenced != d->want_chunks ||
	    d->chunks != d->want_chunks)
		violation(d,
		    "the versions reference %" PRIu64 " distinct chunks; "
		    "the collection kept %" PRIu64 " and the scrub "
		    "read %" PRIu64,
		    d->want_chunks, d->gc.kept_referenced, d->chunks);
	if (records < d->audit_base + acked ||
	    records > d->audit_base + acked + unknown)
		violation(d,
		    "%" PRIu64 " audit records; %" PRIu64
		    " before, then %" PRIu64 " acknowledged and %" PRIu64
		    " unknown mutations",
		    records, d->audit_base, acked, unknown);
	d->unknown_applied += records - d->audit_base - acked;
	d->unknown_total += unknown;
	d->audit_base = records;
	d->drv_acked = 0;
	for (int i = 0; i < THREADS; i++)
		d->actors[i].acked_mut = d->actors[i].unknown_mut = 0;
	/* The last acknowledged revision is in the event log. */
	if (max_rev > 0) {
		if (mr_list_events(d->c, NULL, max_rev - 1, 1, &l) != MR_OK ||
		    l->count != 1 || l->items[0].revision != max_rev)
			violation(d,
			    "event %" PRIu64 ", acknowledged, is not "
			    "in the log",
			    max_rev);
		mr_event_list_free(l);
	}
}

static uint64_t
env_number(const char *name, uint64_t dflt)
{
	const char *s = getenv(name);
	char *end;
	uint64_t n;

	if (s == NULL || s[0] == '\0')
		return dflt;
	errno = 0;
	n = strtoull(s, &end, 0);
	if (errno != 0 || *end != '\0')
		fail_msg("%s=%s is not a number", name, s);
	return n;
}

/* The thread's model, its approval policy and a first version, before
 * any kill: acknowledged, so that the ledger starts exact. */
static void
setup_actor(struct drv *d, actor *a)
{
	/* Each thread registers as itself and is approved by its own
	 * reviewer: a registrant cannot approve. */
	mr_client_options o = {
	    .token = e2e_token(&d->s, a->user),
	    .timeout_ms = timeouts_ms[a->id]};
	mr_client_options ro = o;
	char dir[32];

	ro.token = e2e_token(&d->s, a->reviewer);
	snprintf(dir, sizeof(dir), "t%d", a->id);
	e2e_path(a->dir, d->s.dir, dir);
	mkdir(a->dir, 0755);
	a->c = e2e_client_opts(&d->s, &o);
	a->rc = e2e_client_opts(&d->s, &ro);
	if (op_register(a) != ACKED)
		fail_msg("setup: register: %s", mr_client_errmsg(a->c));
	if (mr_set_approval_policy(a->c, a->model, MR_STAGE_PRODUCTION, NULL, 0,
	        1, "crash test", NULL) != MR_OK)
		fail_msg("setup: policy: %s", mr_client_errmsg(a->c));
	a->acked_mut++;
	for (int k = 0; k < ALIASES; k++)
		cands_set(&a->aliases[k], "");
}

/* No grace for garbage collection: collect() runs only while no thread
 * uploads. */
static const char *const modelregd_args[] = {"--gc-grace", "0", NULL};

static void
test_kill_9_at_random_loses_nothing_acknowledged(void **state)
{
	struct drv *d = calloc(1, sizeof(*d));
	uint64_t iterations, acked = 0, rejected = 0, unknown = 0, present = 0;
	uint64_t deleted = 0;
	uint64_t t0 = mr_mono_ns();
	bool verbose;
	char sync_src[E2E_PATH_SIZE];

	(void)state;
	assert_non_null(d);
	iterations =
	    env_number("MODELREG_CRASH_ITERATIONS", ITERATIONS_DEFAULT);
	d->seed = env_number("MODELREG_CRASH_SEED",
	    (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32));
	d->rng = d->seed;
	verbose = getenv("MODELREG_CRASH_VERBOSE") != NULL;
	printf("crash: MODELREG_CRASH_SEED=%" PRIu64 " MODELREG_CRASH_"
	       "ITERATIONS=%" PRIu64 "\n",
	    d->seed, iterations);
	fflush(stdout);
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->cv, NULL);

	e2e_start_args(&d->s, "crash", modelregd_args);
	snprintf(d->verify_dir, sizeof(d->verify_dir),
	    "/dev/shm/modelreg-crash-%d", (int)getpid());
	if (mkdir(d->verify_dir, 0700) != 0)
		e2e_path(d->verify_dir, d->s.dir, "verify");
	d->c = e2e_client(&d->s);
	/* Every thread's tokens first: their records are the audit log's
	 * base, before the first acknowledged mutation. */
	for (int i = 0; i < THREADS; i++) {
		char name[32];
		snprintf(name, sizeof(name), "crash-t%d", i);
		(void)e2e_token(&d->s, name);
		snprintf(name, sizeof(name), "reviewer-t%d", i);
		(void)e2e_token(&d->s, name);
	}
	{
		mr_audit_check *chk;
		assert_int_equal(mr_verify_audit(d->c, &chk), MR_OK);
		d->audit_base = chk->records;
		mr_audit_check_free(chk);
	}
	{
		mr_register_params p = {
		    .name = "crash-sync", .version = "0.0.1", .path = sync_src};
		e2e_path(sync_src, d->s.dir, "sync.bin");
		e2e_write_random(sync_src, 100, 1);
		assert_int_equal(mr_register(d->c, &p, NULL), MR_OK);
		d->drv_acked++;
	}
	for (int i = 0; i < THREADS; i++) {
		actor *a = &d->actors[i];

		a->d = d;
		a->id = i;
		a->rng = d->seed ^ (0x1000193ull * (uint64_t)(i + 1));
		snprintf(a->model, sizeof(a->model), "crash-t%d", i);
		snprintf(a->user, sizeof(a->user), "crash-t%d", i);
		snprintf(a->reviewer, sizeof(a->reviewer), "reviewer-t%d", i);
		setup_actor(d, a);
	}
	collect(d);
	check_all(d, false);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&d->actors[i].thread, NULL,
		                     actor_main, &d->actors[i]),
		    0);

	for (d->iteration = 1; (uint64_t)d->iteration <= iterations;
	     d->iteration++) {
		uint64_t t1, t2, t3, t4, t5;
		bool pull_all = d->iteration % PULL_ALL_EVERY == 0;

		ms_sleep(50 + rng_below(&d->rng, 750));
		t1 = mr_mono_ns();
		kill_9(d);
		pause_actors(d);
		ms_sleep(rng_below(&d->rng, 300));
		e2e_restart(&d->s);
		if (rng_below(&d->rng, 5) == 0) {
			/* Killed again soon after it came back. */
			ms_sleep(rng_below(&d->rng, 40));
			kill_9(d);
			e2e_restart(&d->s);
		}
		t2 = mr_mono_ns();
		wait_parked(d);
		t3 = mr_mono_ns();
		barrier(d);
		collect(d);
		t4 = mr_mono_ns();
		check_all(d, pull_all);
		t5 = mr_mono_ns();
		if (verbose)
			printf("crash: iteration %d: restart %.2f s, park %.2f "
			       "s, gc %.2f s (%" PRIu64 " of %" PRIu64
			       " chunks), check %.2f s%s\n",
			    d->iteration, (double)(t2 - t1) / 1e9,
			    (double)(t3 - t2) / 1e9, (double)(t4 - t3) / 1e9,
			    d->gc.chunks_deleted, d->gc.chunks_scanned,
			    (double)(t5 - t4) / 1e9,
			    pull_all ? " (every version pulled)" : "");
		resume_actors(d);
	}

	/* A last round without a kill, then everything pulled again. */
	ms_sleep(300);
	pause_actors(d);
	wait_parked(d);
	barrier(d);
	collect(d);
	check_all(d, true);
	pthread_mutex_lock(&d->mu);
	d->stop = true;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
	for (int i = 0; i < THREADS; i++)
		pthread_join(d->actors[i].thread, NULL);

	printf("crash: %" PRIu64 " iterations, %" PRIu64 " kills, %d threads, "
	       "%.1f s\n",
	    iterations, d->kills, THREADS, (double)(mr_mono_ns() - t0) / 1e9);
	for (size_t i = 0; i < N_OPS; i++) {
		printf("crash:   %-8s acknowledged %6" PRIu64
		       ", rejected %6" PRIu64 ", unknown %5" PRIu64 "\n",
		    op_table[i].name, d->tally[i][ACKED], d->tally[i][REJECTED],
		    d->tally[i][UNKNOWN]);
		acked += d->tally[i][ACKED];
		rejected += d->tally[i][REJECTED];
		unknown += d->tally[i][UNKNOWN];
	}
	for (int i = 0; i < THREADS; i++) {
		actor *a = &d->actors[i];

		for (size_t n = 0; n < a->n_v; n++) {
			present += a->v[n].pres == PRESENT;
			deleted += a->v[n].pres == DELETED;
		}
		mr_client_close(a->c);
		mr_client_close(a->rc);
		free(a->v);
	}
	printf("crash: ops acknowledged %" PRIu64 ", rejected %" PRIu64
	       ", unknown %" PRIu64 "; unknown mutations applied %" PRIu64
	       " of %" PRIu64 " (audit count), unknown registrations found "
	       "%" PRIu64 "; versions present %" PRIu64
	       ", chunks scrubbed %" PRIu64 ", audit records %" PRIu64
	       "; lost 0\n",
	    acked, rejected, unknown, d->unknown_applied, d->unknown_total,
	    d->maybe_registers_present, present, d->chunks, d->audit_base);
	printf("crash: versions deleted %" PRIu64 " (unknown deletions "
	       "applied %" PRIu64 ", not applied %" PRIu64 "); %" PRIu64
	       " garbage collections took %" PRIu64 " chunks (%" PRIu64
	       " bytes), none referenced\n",
	    deleted, d->maybe_deletes_applied, d->maybe_deletes_undone,
	    d->gc_passes, d->gc_deleted, d->gc_bytes);
	mr_client_close(d->c);
	tu_rmtree(d->verify_dir);
	e2e_finish(&d->s);
	pthread_cond_destroy(&d->cv);
	pthread_mutex_destroy(&d->mu);
	free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kill_9_at_random_loses_nothing_acknowledged),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
