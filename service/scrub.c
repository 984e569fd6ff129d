/*
 * scrub.c - the Scrub service and modelregd's background scrubber.
 *
 * Both read the chunk store through store_scrub(), one slice at a time:
 * Scrub/Run checks one slice for a client (modelreg scrub runs a pass as a
 * sequence of them), and the background thread walks the store forever in
 * slices of SCRUB_SLICE_CHUNKS, sleeping after each for as long as its
 * bytes take at the configured rate, so that it uses a bounded share of
 * the disk and a core. Damage is logged to stderr and counted; every Run
 * reply carries the counters, and Run with max_chunks 0 is only that.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "scrub.pb-c.h"
#include "svc.h"

/* Chunks per background slice. */
#define SCRUB_SLICE_CHUNKS 64
/* The shortest pause between background slices: an idle store is not
 * spun over. */
#define SCRUB_MIN_PAUSE_MS 10
/* Pause between complete background passes. */
#define SCRUB_PASS_PAUSE_MS (60 * 1000)
/* One Run call checks at most this many chunks and bytes. */
#define SCRUB_RUN_CHUNKS_MAX 1024
#define SCRUB_RUN_BYTES_MAX (256ull << 20)
/* Damaged chunks listed in one reply. */
#define SCRUB_DAMAGED_MAX 1000

struct svc_scrubber {
	store *st;
	uint64_t rate; /* bytes per second */
	mr_codec *codec;
	uint8_t *scratch;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool quit; /* under mu */
	_Atomic uint64_t passes, chunks, bytes, damaged, last_pass_damaged;
};

static int
log_damage(void *arg, const uint8_t digest[MR_DIGEST_LEN],
    store_scrub_reason why, const char *detail)
{
	char hex[2 * MR_DIGEST_LEN + 1];

	(void)arg;
	fprintf(stderr, "modelregd: scrub: chunk %s is damaged: %s (%s)\n",
	    mr_digest_hex(digest, hex), store_scrub_reason_name(why), detail);
	return 0;
}

/* Waits `ms` or until stopped; true if stopped. */
static bool
pause_ms(svc_scrubber *sc, uint64_t ms)
{
	struct timespec ts;
	bool quit;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)(ms / 1000);
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&sc->mu);
	while (!sc->quit &&
	    pthread_cond_timedwait(&sc->cv, &sc->mu, &ts) != ETIMEDOUT)
		;
	quit = sc->quit;
	pthread_mutex_unlock(&sc->mu);
	return quit;
}

static void *
scrub_main(void *arg)
{
	svc_scrubber *sc = arg;
	uint8_t next[MR_DIGEST_LEN];
	bool at_start = true;
	uint64_t pass_damaged = 0;

	for (;;) {
		store_scrub_slice sl;
		uint64_t ms;
		mr_err e;

		mr_err_clear(&e);
		/* A slice reads about one pause's worth of bytes. */
		if (store_scrub(sc->st, at_start ? NULL : next,
			SCRUB_SLICE_CHUNKS, sc->rate, sc->codec, sc->scratch,
			log_damage, sc, &sl, &e) != MR_OK) {
			fprintf(stderr, "modelregd: scrub: %s: %s\n",
			    mr_strerror(e.code), e.msg);
			at_start = true;
			if (pause_ms(sc, SCRUB_PASS_PAUSE_MS))
				break;
			continue;
		}
		atomic_fetch_add(&sc->chunks, sl.chunks);
		atomic_fetch_add(&sc->bytes, sl.bytes);
		atomic_fetch_add(&sc->damaged, sl.damaged);
		pass_damaged += sl.damaged;
		ms = sl.bytes * 1000 / sc->rate;
		if (ms < SCRUB_MIN_PAUSE_MS)
			ms = SCRUB_MIN_PAUSE_MS;
		if (sl.done) {
			atomic_store(&sc->last_pass_damaged, pass_damaged);
			atomic_fetch_add(&sc->passes, 1);
			pass_damaged = 0;
			at_start = true;
			if (ms < SCRUB_PASS_PAUSE_MS)
				ms = SCRUB_PASS_PAUSE_MS;
		} else {
			memcpy(next, sl.next, sizeof(next));
			at_start = false;
		}
		if (pause_ms(sc, ms))
			break;
	}
	return NULL;
}

mr_status
svc_scrubber_start(svc_scrubber **out, store *st, uint32_t rate_mib,
    mr_err *e)
{
	svc_scrubber *sc;

	if (rate_mib == 0 || rate_mib > SVC_SCRUB_RATE_MAX_MIB)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "scrub rate %u MiB/s is outside 1..%u", rate_mib,
		    SVC_SCRUB_RATE_MAX_MIB);
	if ((sc = calloc(1, sizeof(*sc))) == NULL)
		return mr_fail(e, MR_RESOURCE_EXHAUSTED, "out of memory");
	sc->st = st;
	sc->rate = (uint64_t)rate_mib << 20;
	sc->codec = mr_codec_create();
	sc->scratch = malloc(MR_CHUNK_MAX);
	if (sc->codec == NULL || sc->scratch == NULL)
		goto err_alloc;
	pthread_mutex_init(&sc->mu, NULL);
	pthread_cond_init(&sc->cv, NULL);
	if (pthread_create(&sc->thread, NULL, scrub_main, sc) != 0) {
		pthread_cond_destroy(&sc->cv);
		pthread_mutex_destroy(&sc->mu);
		goto err_alloc;
	}
	*out = sc;
	return MR_OK;

err_alloc:
	mr_codec_free(sc->codec);
	free(sc->scratch);
	free(sc);
	return mr_fail(e, MR_RESOURCE_EXHAUSTED, "cannot start the scrubber");
}

void
svc_scrubber_stop(svc_scrubber *sc)
{
	if (sc == NULL)
		return;
	pthread_mutex_lock(&sc->mu);
	sc->quit = true;
	pthread_cond_signal(&sc->cv);
	pthread_mutex_unlock(&sc->mu);
	pthread_join(sc->thread, NULL);
	pthread_cond_destroy(&sc->cv);
	pthread_mutex_destroy(&sc->mu);
	mr_codec_free(sc->codec);
	free(sc->scratch);
	free(sc);
}

/* ---- Scrub/Run ----------------------------------------------------------- */

struct run_state {
	svc_call *c;
	Modelreg__V1__DamagedChunk **items;
	size_t n;
	mr_status rv;
};

static int
collect_damage(void *arg, const uint8_t digest[MR_DIGEST_LEN],
    store_scrub_reason why, const char *detail)
{
	struct run_state *rs = arg;
	Modelreg__V1__DamagedChunk *d;
	uint8_t *dg;
	char *det;

	d = svc_alloc(rs->c, 1, sizeof(*d));
	dg = svc_alloc(rs->c, MR_DIGEST_LEN, 1);
	det = svc_alloc(rs->c, strlen(detail) + 1, 1);
	if (d == NULL || dg == NULL || det == NULL) {
		rs->rv = rs->c->err.code;
		return 1;
	}
	modelreg__v1__damaged_chunk__init(d);
	memcpy(dg, digest, MR_DIGEST_LEN);
	memcpy(det, detail, strlen(detail) + 1);
	d->digest.data = dg;
	d->digest.len = MR_DIGEST_LEN;
	d->reason = (char *)store_scrub_reason_name(why);
	d->detail = det;
	rs->items[rs->n++] = d;
	/* A full list ends the slice; the next one resumes after it. */
	return rs->n == SCRUB_DAMAGED_MAX;
}

static void
fill_status(svc_call *c, Modelreg__V1__ScrubStatus *st)
{
	const svc_scrubber *sc = c->w->scrub;

	if (sc == NULL)
		return;
	st->enabled = true;
	st->rate_bytes_per_s = sc->rate;
	st->passes = atomic_load(&sc->passes);
	st->chunks_checked = atomic_load(&sc->chunks);
	st->bytes_checked = atomic_load(&sc->bytes);
	st->damaged = atomic_load(&sc->damaged);
	st->last_pass_damaged = atomic_load(&sc->last_pass_damaged);
}

static mr_status
run_h(svc_call *c, const ProtobufCMessage *reqm, ProtobufCMessage *respm)
{
	const Modelreg__V1__RunScrubRequest *rq = (const void *)reqm;
	Modelreg__V1__RunScrubResponse *resp = (void *)respm;
	Modelreg__V1__ScrubStatus *bg;
	struct run_state rs = { .c = c, .rv = MR_OK };
	uint64_t max_chunks = rq->max_chunks, max_bytes = rq->max_bytes;
	store_scrub_slice sl;
	uint8_t *next;
	mr_status rv;

	if (rq->start.len != 0 && rq->start.len != MR_DIGEST_LEN)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "a start digest is %zu bytes; SHA-256 digests are 32",
		    rq->start.len);
	if ((bg = svc_alloc(c, 1, sizeof(*bg))) == NULL)
		return c->err.code;
	modelreg__v1__scrub_status__init(bg);
	fill_status(c, bg);
	resp->background = bg;
	if (max_chunks == 0)
		return MR_OK;
	if (max_chunks > SCRUB_RUN_CHUNKS_MAX)
		max_chunks = SCRUB_RUN_CHUNKS_MAX;
	if (max_bytes == 0 || max_bytes > SCRUB_RUN_BYTES_MAX)
		max_bytes = SCRUB_RUN_BYTES_MAX;
	rs.items = svc_alloc(c, SCRUB_DAMAGED_MAX, sizeof(*rs.items));
	next = svc_alloc(c, MR_DIGEST_LEN, 1);
	if (rs.items == NULL || next == NULL)
		return c->err.code;
	rv = store_scrub(c->st, rq->start.len != 0 ? rq->start.data : NULL,
	    max_chunks, max_bytes, c->w->codec, c->w->scratch, collect_damage,
	    &rs, &sl, &c->err);
	if (rv != MR_OK)
		return rv;
	if (rs.rv != MR_OK)
		return rs.rv;
	resp->chunks_checked = sl.chunks;
	resp->bytes_checked = sl.bytes;
	resp->damaged = rs.items;
	resp->n_damaged = rs.n;
	resp->done = sl.done;
	if (!sl.done) {
		memcpy(next, sl.next, MR_DIGEST_LEN);
		resp->next.data = next;
		resp->next.len = MR_DIGEST_LEN;
	}
	return MR_OK;
}

const svc_method svc_scrub_methods[] = {
	{
		.name = "/modelreg.v1.Scrub/Run",
		.request = &modelreg__v1__run_scrub_request__descriptor,
		.response = &modelreg__v1__run_scrub_response__descriptor,
		.handler = run_h,
		.mutates = false,
	},
};
const size_t svc_scrub_method_count =
    sizeof(svc_scrub_methods) / sizeof(svc_scrub_methods[0]);
