/*
 * clock.c - wall and monotonic clocks, RFC 3339 text.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common.h"

int64_t
mr_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

uint64_t
mr_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

char *
mr_format_time(int64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || gmtime_r(&t, &tm) == NULL) {
		snprintf(out, 32, "-");
		return out;
	}
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return out;
}

int
mr_parse_time(const char *text, int64_t *ms_out)
{
	struct tm tm;
	const char *p;
	long offset = 0;
	time_t t;

	memset(&tm, 0, sizeof(tm));
	p = strptime(text, "%Y-%m-%d", &tm);
	if (p == NULL)
		return -1;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p = strptime(p + 1, "%H:%M:%S", &tm);
		if (p == NULL)
			return -1;
		if (*p == '.') /* fractions of a second are dropped */
			for (p++; *p >= '0' && *p <= '9'; p++)
				;
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			/* Exactly "hh:mm": p += 6 below must not step past
			 * the end of a shorter offset. */
			int hh, mm;
			int sign = *p == '-' ? -1 : 1;
			for (int i = 1; i <= 5; i++)
				if (i == 3 ? p[i] != ':'
					   : (p[i] < '0' || p[i] > '9'))
					return -1;
			hh = (p[1] - '0') * 10 + (p[2] - '0');
			mm = (p[4] - '0') * 10 + (p[5] - '0');
			if (hh > 23 || mm > 59)
				return -1;
			offset = sign * (hh * 3600L + mm * 60L);
			p += 6;
		} else {
			return -1;
		}
	}
	if (*p != '\0')
		return -1;
	{
		/* timegm normalizes 2024-02-31 to 2024-03-02: refuse dates
		 * that do not survive the round trip. */
		int mday = tm.tm_mday, mon = tm.tm_mon;
		struct tm back;
		t = timegm(&tm);
		if (t == (time_t)-1 || gmtime_r(&t, &back) == NULL ||
		    back.tm_mday != mday || back.tm_mon != mon)
			return -1;
	}
	*ms_out = ((int64_t)t - offset) * 1000;
	return 0;
}
