/*
 * cli_watch.c - `modelreg watch`: follows the change feed and prints one
 * line per event, as it happens, flushing each, until interrupted (or
 * --count events). The watch itself (client/watch.c) guarantees that no
 * revision is skipped, so a pipeline reading this output sees every
 * change once, by revision.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common.h"

/* How long each wait for an event lasts; then it waits again. */
#define WATCH_WAIT_MS 1000

static void
print_event(const mr_event *ev)
{
	char time[32];
	const char *what = ev->model[0] != '\0' ? ev->model : ev->node;

	printf("%llu  %s  %s  %s", (unsigned long long)ev->revision,
	    mr_format_time(ev->time_ms, time), mr_event_kind_name(ev->kind),
	    what);
	if (ev->alias[0] != '\0')
		printf("  %s=%s", ev->alias, ev->version);
	else if (ev->version[0] != '\0')
		printf("  %s", ev->version);
	if (ev->from_stage != ev->to_stage)
		printf("  %s -> %s", mr_stage_name(ev->from_stage),
		    mr_stage_name(ev->to_stage));
	printf("  by %s", ev->actor);
	if (ev->reason[0] != '\0')
		printf(": %s", ev->reason);
	putchar('\n');
}

int
cmd_watch(cli *g, const command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"since", required_argument, NULL, 's'},
	    {"count", required_argument, NULL, 'n'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *name = NULL;
	uint64_t since = 0, count = 0, seen = 0;
	bool since_given = false;
	mr_watch *w;
	mr_status rv;
	int ch, code;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			if (!parse_u64(optarg, UINT64_MAX, &since))
				return usage_error(
				    cmd, "--since wants a revision number");
			since_given = true;
			break;
		case 'n':
			if (!parse_u64(optarg, UINT64_MAX, &count) ||
			    count == 0)
				return usage_error(
				    cmd, "--count wants a positive number");
			break;
		case 'h':
			return help_for(cmd, stdout, 0);
		default:
			return option_error(cmd, ch, argv);
		}
	}
	if (argc - optind > 1)
		return usage_error(cmd, "one model name at most");
	if (optind < argc)
		name = argv[optind];
	if ((code = connect_client(g)) != 0)
		return code;
	if ((rv = mr_watch_open(g->c, name, since_given ? since : MR_WATCH_NOW,
		 &w)) != MR_OK)
		return status_error(g, rv, "watch %s", name ? name : "");
	for (;;) {
		mr_event *ev;

		rv = mr_watch_next(w, WATCH_WAIT_MS, &ev);
		if (rv == MR_DEADLINE_EXCEEDED)
			continue;
		if (rv != MR_OK) {
			code = status_error(g, rv, "watch %s",
			    name ? name : "");
			break;
		}
		if (g->json) {
			json_object *o = cj_event(ev);
			printf("%s\n", json_object_to_json_string_ext(o,
			    JSON_C_TO_STRING_PLAIN));
			json_object_put(o);
		} else {
			print_event(ev);
		}
		fflush(stdout);
		mr_event_free(ev);
		if (count != 0 && ++seen == count) {
			code = 0;
			break;
		}
	}
	mr_watch_close(w);
	return code;
}
