/*
 * stream.c - the cutter thread of a push and the queue it fills.
 *
 * Cutting (reading, finding content-defined boundaries, two SHA-256
 * passes) costs about as much CPU as sending, so a push that cuts
 * everything first takes their sum. Here the cutter runs manifest_cut()
 * on a thread of its own with a sink that reads into a small pool of
 * buffers and queues every chunk as it is cut; push.c asks the server
 * about queued chunks and sends the missing ones meanwhile.
 *
 * One mutex and one condition variable guard the queue, the buffers'
 * reference counts and the flags; both sides broadcast on every change
 * that the other may wait for. A buffer's count is the number of queued
 * or taken chunks in it that are not released, plus one while the
 * cutter reads into it. The cutter stalls when it needs a buffer and
 * every one is referenced, or when the queue is full; then the queue
 * holds at least one chunk (every referenced buffer but the cutter's
 * holds chunks, and a taker that waits holds none), so a taker that waits
 * always gets one: there is no deadlock.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "stream.h"

_Static_assert(STREAM_BUFFERS >= 2,
    "the cutter needs a buffer while the taker holds chunks in another");

typedef struct buffer {
	uint8_t *bytes; /* MF_BUF_SIZE, allocated on first use */
	int refs;
} buffer;

struct mf_stream {
	manifest *m;
	mr_codec *codec; /* the cutter's own */
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	buffer buffers[STREAM_BUFFERS];
	buffer *cur; /* the one the cutter reads into */
	mf_piece queue[STREAM_QUEUE];
	size_t head, count;
	bool stalled; /* the cutter waits for a buffer or queue room */
	bool done;    /* the cutter returned; rv and err say how */
	bool stop;    /* the taker wants the cutter to stop */
	bool oom;     /* a buffer could not be allocated */
	mr_status rv;
	mr_err err;
};

/* Drops a reference to `b`; the lock is held. */
static void
unref(mf_stream *s, buffer *b)
{
	if (--b->refs == 0)
		pthread_cond_broadcast(&s->cv);
}

/* The sink's buffer(): leaves the current buffer, waits for a free one. */
static uint8_t *
next_buffer(void *arg)
{
	mf_stream *s = arg;
	buffer *b = NULL;

	pthread_mutex_lock(&s->mu);
	if (s->cur != NULL)
		unref(s, s->cur);
	s->cur = NULL;
	while (!s->stop) {
		for (size_t i = 0; i < STREAM_BUFFERS && b == NULL; i++)
			if (s->buffers[i].refs == 0)
				b = &s->buffers[i];
		if (b != NULL)
			break;
		s->stalled = true;
		pthread_cond_broadcast(&s->cv);
		pthread_cond_wait(&s->cv, &s->mu);
	}
	s->stalled = false;
	if (b != NULL && b->bytes == NULL &&
	    (b->bytes = malloc(MF_BUF_SIZE)) == NULL)
		s->oom = true;
	if (b == NULL || b->bytes == NULL) {
		pthread_mutex_unlock(&s->mu);
		return NULL;
	}
	b->refs = 1;
	s->cur = b;
	pthread_mutex_unlock(&s->mu);
	return b->bytes;
}

/* The sink's chunk(): queues the chunk, waiting for room. */
static mr_status
queue_chunk(void *arg, const mf_chunk *ch, mr_err *e)
{
	mf_stream *s = arg;
	mf_piece *p;

	pthread_mutex_lock(&s->mu);
	while (s->count == STREAM_QUEUE && !s->stop) {
		s->stalled = true;
		pthread_cond_broadcast(&s->cv);
		pthread_cond_wait(&s->cv, &s->mu);
	}
	s->stalled = false;
	if (s->stop) {
		pthread_mutex_unlock(&s->mu);
		return mr_fail(e, MR_CANCELLED, "the upload stopped");
	}
	p = &s->queue[(s->head + s->count) % STREAM_QUEUE];
	p->file = (uint32_t)ch->file;
	p->index = (uint32_t)ch->index;
	p->offset = ch->offset;
	p->length = ch->length;
	memcpy(p->digest, ch->digest, MR_DIGEST_LEN);
	p->bytes = ch->bytes;
	p->buffer = s->cur;
	s->cur->refs++;
	s->count++;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return MR_OK;
}

static void *
cutter_main(void *arg)
{
	mf_stream *s = arg;
	mf_sink sink = {next_buffer, queue_chunk, s};
	mr_err err;
	mr_status rv;

	mr_err_clear(&err);
	rv = manifest_cut(s->m, s->codec, &sink, &err);
	pthread_mutex_lock(&s->mu);
	if (s->oom)
		rv = mr_fail(&err, MR_RESOURCE_EXHAUSTED, "out of memory");
	if (s->cur != NULL)
		unref(s, s->cur);
	s->cur = NULL;
	s->rv = rv;
	s->err = err;
	s->done = true;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

mr_status
mf_stream_start(mf_stream **out, manifest *m, mr_err *e)
{
	mf_stream *s;
	int rv;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return mr_fail(e, MR_RESOURCE_EXHAUSTED, "out of memory");
	s->m = m;
	if ((s->codec = mr_codec_create()) == NULL) {
		free(s);
		return mr_fail(e, MR_RESOURCE_EXHAUSTED, "out of memory");
	}
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	if ((rv = pthread_create(&s->thread, NULL, cutter_main, s)) != 0) {
		pthread_cond_destroy(&s->cv);
		pthread_mutex_destroy(&s->mu);
		mr_codec_free(s->codec);
		free(s);
		return mr_fail(e, MR_RESOURCE_EXHAUSTED,
		    "cannot start a thread to read the artifact: %s",
		    strerror(rv));
	}
	*out = s;
	return MR_OK;
}

size_t
mf_stream_take(mf_stream *s, mf_piece *out, size_t max, size_t want,
    bool wait, bool *over)
{
	size_t n = 0;

	*over = false;
	pthread_mutex_lock(&s->mu);
	for (;;) {
		if (s->done && (s->rv != MR_OK || s->count == 0)) {
			/* A failed cut leaves nothing worth sending. */
			*over = true;
			break;
		}
		if (s->count > 0 &&
		    (s->count >= want || s->stalled || s->done)) {
			n = s->count < max ? s->count : max;
			break;
		}
		if (!wait)
			break;
		pthread_cond_wait(&s->cv, &s->mu);
	}
	for (size_t i = 0; i < n; i++) {
		out[i] = s->queue[s->head];
		s->head = (s->head + 1) % STREAM_QUEUE;
	}
	s->count -= n;
	if (n > 0)
		pthread_cond_broadcast(&s->cv); /* room in the queue */
	pthread_mutex_unlock(&s->mu);
	return n;
}

bool
mf_stream_failed(mf_stream *s)
{
	bool failed;

	pthread_mutex_lock(&s->mu);
	failed = s->done && s->rv != MR_OK;
	pthread_mutex_unlock(&s->mu);
	return failed;
}

void
mf_stream_release(mf_stream *s, mf_piece *p)
{
	if (p->buffer == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	unref(s, p->buffer);
	pthread_mutex_unlock(&s->mu);
	p->buffer = NULL;
	p->bytes = NULL;
}

mr_status
mf_stream_end(mf_stream *s, mr_err *e)
{
	mr_status rv;

	if (s == NULL)
		return MR_OK;
	pthread_mutex_lock(&s->mu);
	s->stop = true;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	rv = s->rv;
	if (rv != MR_OK)
		*e = s->err;
	for (size_t i = 0; i < STREAM_BUFFERS; i++)
		free(s->buffers[i].bytes);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	mr_codec_free(s->codec);
	free(s);
	return rv;
}
