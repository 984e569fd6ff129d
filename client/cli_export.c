/*
 * cli_export.c - the commands that write the registry out for people:
 * `modelreg export DIR` (export.c does the work) and `modelreg audit
 * report NAME` (report.c). Their help lives in cli.c's command table.
 *
 * Both only read the registry. Their errors carry the status of whatever
 * failed, the registry's or the file system's, in the form every command
 * uses: "modelreg: export out: PERMISSION_DENIED: mkdir out/models: ...".
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common.h"

static int
export_error(const char *what, const char *arg, const mr_err *e)
{
	fprintf(stderr, "modelreg: %s %s: %s: %s\n", what, arg,
	    mr_strerror(e->code), e->msg);
	return CLI_EXIT_STATUS;
}

int
cmd_export(cli *g, const command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"model", required_argument, NULL, 'm'},
	    {"no-artifacts", no_argument, NULL, 'A'},
	    OPT_END,
	};
	export_options o = {0};
	export_summary sum = {0};
	const char **names = NULL;
	size_t n_names = 0;
	mr_err e = {0};
	int ch, code = 0;

	optind = 0;
	while (code == 0 &&
	    (ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			if (mr_check_name(optarg, &e) != MR_OK) {
				code = usage_error(cmd, "--model: %s", e.msg);
				break;
			}
			names = cli_must(
			    realloc(names, (n_names + 1) * sizeof(*names)));
			names[n_names++] = optarg;
			break;
		case 'A':
			o.no_artifacts = true;
			break;
		case 'h':
			free(names);
			return help_for(cmd, stdout, 0);
		default:
			code = option_error(cmd, ch, argv);
		}
	}
	if (code == 0 && argc - optind != 1)
		code = usage_error(cmd, "give the folder to export to");
	if (code == 0)
		code = connect_client(g);
	if (code != 0) {
		free(names);
		return code;
	}
	o.dir = argv[optind];
	o.models = names;
	o.n_models = n_names;
	if (export_registry(g->c, &o, &sum, &e) != MR_OK) {
		free(names);
		return export_error("export", o.dir, &e);
	}
	free(names);

	if (g->json) {
		json_object *j = cli_must(json_object_new_object());

		json_object_object_add(
		    j, "dir", cli_must(json_object_new_string(o.dir)));
		json_object_object_add(
		    j, "models", cli_must(json_object_new_uint64(sum.models)));
		json_object_object_add(j, "versions",
		    cli_must(json_object_new_uint64(sum.versions)));
		json_object_object_add(j, "increments",
		    cli_must(json_object_new_uint64(sum.increments)));
		json_object_object_add(j, "written",
		    cli_must(json_object_new_uint64(sum.written)));
		json_object_object_add(j, "unchanged",
		    cli_must(json_object_new_uint64(sum.unchanged)));
		json_object_object_add(
		    j, "pulled", cli_must(json_object_new_uint64(sum.pulled)));
		json_object_object_add(j, "removed",
		    cli_must(json_object_new_uint64(sum.removed)));
		json_object_object_add(
		    j, "pruned", cli_must(json_object_new_boolean(sum.pruned)));
		cj_print(j);
	} else {
		printf("exported %zu model%s, %zu version%s, %zu increment%s "
		       "to %s\n",
		    sum.models, sum.models == 1 ? "" : "s", sum.versions,
		    sum.versions == 1 ? "" : "s", sum.increments,
		    sum.increments == 1 ? "" : "s", o.dir);
		printf("files: %zu written, %zu unchanged; %zu artifact%s "
		       "pulled",
		    sum.written, sum.unchanged, sum.pulled,
		    sum.pulled == 1 ? "" : "s");
		if (sum.pruned)
			printf("; %zu stale file%s removed", sum.removed,
			    sum.removed == 1 ? "" : "s");
		putchar('\n');
	}
	if (!sum.pruned && n_names == 0)
		fprintf(stderr,
		    "modelreg: stale files under %s/models and %s/increments "
		    "were left alone:\nthe folder was not made by modelreg "
		    "export\n",
		    o.dir, o.dir);
	return 0;
}

int
cmd_audit_report(cli *g, const command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"from", required_argument, NULL, 'f'},
	    {"to", required_argument, NULL, 't'},
	    OPT_END,
	};
	int64_t from_ms = 0, to_ms = 0;
	bool has_from = false, has_to = false;
	json_object *r;
	mr_err e = {0};
	int ch, code = 0;

	optind = 0;
	while (code == 0 &&
	    (ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			code = time_arg(cmd, "--from", optarg, false, &from_ms);
			has_from = true;
			break;
		case 't':
			/* A day or a whole second ends at its last ms. */
			code = time_arg(cmd, "--to", optarg, true, &to_ms);
			has_to = true;
			break;
		case 'h':
			return help_for(cmd, stdout, 0);
		default:
			code = option_error(cmd, ch, argv);
		}
	}
	if (code != 0)
		return code;
	if (argc - optind != 1)
		return usage_error(cmd, "give the model's name");
	if (!has_from && !has_to)
		return usage_error(
		    cmd, "give the period: --from DATE --to DATE");
	if (!has_from || !has_to)
		return usage_error(cmd,
		    "give the period's %s as well: --from DATE --to DATE",
		    has_from ? "end (--to)" : "start (--from)");
	if (from_ms > to_ms)
		return usage_error(cmd, "--from is after --to");
	if ((code = connect_client(g)) != 0)
		return code;
	if (report_build(g->c, argv[optind], from_ms, to_ms, &r, &e) != MR_OK)
		return export_error("audit report", argv[optind], &e);
	if (g->json) {
		cj_print(r);
	} else {
		report_markdown(r, stdout);
		json_object_put(r);
	}
	return 0;
}
