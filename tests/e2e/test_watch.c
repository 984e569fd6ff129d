/*
 * test_watch.c - `modelreg watch` against the real modelregd: it prints
 * the stored events after --since, then follows new ones as they are
 * committed, one line (or JSON object) per event, by revision, none
 * skipped, and stops after --count.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>

#include "e2e.h"
#include "testutil.h"

static void
register_m(e2e_server *s, mr_client *c)
{
	char path[E2E_PATH_SIZE];
	mr_register_params p = {
		.name = "m",
		.version = "1.0.0",
		.path = e2e_path(path, s->dir, "m.bin"),
	};

	e2e_write_random(path, 4000, 3);
	if (mr_register(c, &p, NULL) != MR_OK)
		fail_msg("register: %s", mr_client_errmsg(c));
}

/* The revisions of the JSON lines of `out`, in order; returns the count. */
static size_t
json_revisions(const char *out, uint64_t *revs, size_t cap)
{
	size_t n = 0;

	for (const char *line = out; *line != '\0' && n < cap;) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char *copy = strndup(line, len);
		json_object *o = json_tokener_parse(copy), *r;

		assert_non_null(o);
		assert_true(json_object_object_get_ex(o, "revision", &r));
		revs[n++] = (uint64_t)json_object_get_int64(r);
		assert_true(json_object_object_get_ex(o, "model", &r));
		assert_string_equal(json_object_get_string(r), "m");
		json_object_put(o);
		free(copy);
		line += len + (nl != NULL);
	}
	return n;
}

struct live {
	e2e_server *s;
	char since[32];
	e2e_run r;
};

static void *
live_main(void *arg)
{
	struct live *l = arg;

	E2E_CLI(l->s, l->r, "watch", "m", "--since", l->since, "--count",
	    "3");
	return NULL;
}

static void
test_cli_watch_prints_stored_then_live_events(void **state)
{
	e2e_server s;
	mr_client *c;
	mr_event_list *l;
	e2e_run r = { 0 };
	struct live live = { .s = &s };
	uint64_t revs[64], last;
	char *line;
	size_t n;
	pthread_t th;

	(void)state;
	e2e_start(&s, "watch");
	c = e2e_client(&s);
	register_m(&s, c);
	assert_int_equal(mr_list_events(c, "m", 0, 100, &l), MR_OK);
	assert_true(l->count >= 2);

	/* Stored events, as JSON lines. */
	E2E_CLI(&s, r, "--json", "watch", "m", "--since", "0", "--count",
	    (snprintf(live.since, sizeof(live.since), "%zu", l->count),
		live.since));
	e2e_expect(&r, 0, NULL, NULL);
	n = json_revisions(r.out, revs, 64);
	assert_int_equal(n, l->count);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(revs[i], l->items[i].revision);
	last = l->items[l->count - 1].revision;
	mr_event_list_free(l);

	/* Live events, in the human format, as they are committed. */
	snprintf(live.since, sizeof(live.since), "%llu",
	    (unsigned long long)last);
	assert_int_equal(pthread_create(&th, NULL, live_main, &live), 0);
	usleep(300 * 1000);
	assert_int_equal(mr_set_alias(c, "m", "champion", "1.0.0", "x", NULL),
	    MR_OK);
	assert_int_equal(mr_promote(c, "m", "1.0.0", MR_STAGE_STAGING,
			     MR_STAGE_NONE, "ready", NULL),
	    MR_OK);
	assert_int_equal(mr_delete_alias(c, "m", "champion", "x", NULL),
	    MR_OK);
	pthread_join(th, NULL);
	e2e_expect(&live.r, 0, "alias_set", NULL);
	line = e2e_line_with(live.r.out, "stage_changed");
	assert_non_null(line);
	assert_non_null(strstr(line, "dev -> staging"));
	assert_non_null(strstr(line, "ready"));
	free(line);
	line = e2e_line_with(live.r.out, "champion=1.0.0");
	assert_non_null(line);
	assert_true(strtoull(line, NULL, 10) == last + 1);
	free(line);
	line = e2e_line_with(live.r.out, "alias_deleted");
	assert_non_null(line);
	free(line);

	/* Bad usage. */
	E2E_CLI(&s, r, "watch", "m", "--since", "x");
	e2e_expect(&r, 2, NULL, "--since");
	E2E_CLI(&s, r, "watch", "a b", "--count", "1");
	e2e_expect(&r, 1, NULL, "INVALID_ARGUMENT");

	e2e_run_free(&r);
	e2e_run_free(&live.r);
	mr_client_close(c);
	e2e_finish(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cli_watch_prints_stored_then_live_events),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
