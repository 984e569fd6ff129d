/*
 * crash.c - see crash.h. The environment is read once, before any thread
 * starts; afterwards only the hit counter changes, atomically, so that
 * "the N-th time" counts passes by every thread.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crash.h"

bool mr_crash_armed;

static const char *const points[] = {
    "after_chunk_write",
    "before_commit",
    "after_commit_before_reply",
};

static const char *armed_point;
static unsigned long armed_count;
static atomic_ulong hits;

int
mr_crash_init(void)
{
	const char *spec = getenv("MODELREG_CRASH_AT");
	const char *colon;
	size_t len;

	if (spec == NULL || spec[0] == '\0')
		return 0;
	colon = strchr(spec, ':');
	len = colon != NULL ? (size_t)(colon - spec) : strlen(spec);
	armed_count = 1;
	if (colon != NULL) {
		char *end;
		armed_count = strtoul(colon + 1, &end, 10);
		if (colon[1] == '\0' || *end != '\0' || armed_count == 0) {
			fprintf(stderr,
			    "MODELREG_CRASH_AT=%s: the count after "
			    "':' is a whole number from 1\n",
			    spec);
			return -1;
		}
	}
	for (size_t i = 0; i < sizeof(points) / sizeof(points[0]); i++)
		if (strlen(points[i]) == len &&
		    strncmp(points[i], spec, len) == 0)
			armed_point = points[i];
	if (armed_point == NULL) {
		fprintf(stderr,
		    "MODELREG_CRASH_AT=%s: no such point; the "
		    "points are after_chunk_write, before_commit and "
		    "after_commit_before_reply\n",
		    spec);
		return -1;
	}
	mr_crash_armed = true;
	return 0;
}

void
mr_crash_hit(const char *point)
{
	char msg[128];
	int n;

	if (strcmp(point, armed_point) != 0 ||
	    atomic_fetch_add(&hits, 1) + 1 != armed_count)
		return;
	/* One write(2), not stdio: nothing buffered is flushed on the way,
	 * and a failed write changes nothing about the exit. */
	n = snprintf(msg, sizeof(msg),
	    "modelregd: exiting at crash point %s (MODELREG_CRASH_AT)\n",
	    point);
	if (n > 0 && write(2, msg, (size_t)n) < 0)
		_exit(MR_CRASH_EXIT);
	_exit(MR_CRASH_EXIT);
}
