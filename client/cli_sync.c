/*
 * cli_sync.c - `modelreg sync`: the agent that keeps a serving directory
 * on a stage's version. The work is the library's (sync.c: layout,
 * atomic switch, retries); this file parses the command line, logs to
 * stderr, turns SIGTERM and SIGINT into a clean stop, and runs --exec
 * through /bin/sh as the switch hook.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "common.h"

static volatile sig_atomic_t stop;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

typedef struct agent {
	const char *name;
	const char *exec; /* NULL: no hook */
} agent;

/* "2024-01-15T10:00:00Z modelreg sync fraud: <line>" */
static void
log_line(void *arg, const char *line)
{
	const agent *a = arg;
	char time[32];

	fprintf(stderr, "%s modelreg sync %s: %s\n",
	    mr_format_time(mr_now_ms(), time), a->name, line);
}

/*
 * The hook: `sh -c CMD` with MODELREG_VERSION, MODELREG_PREVIOUS and
 * MODELREG_DIR set, waited for, so that hooks never overlap and each sees
 * the switch it is told about. Its exit status is logged.
 */
static int
run_exec(void *arg, const char *dir, const char *version, const char *previous)
{
	const agent *a = arg;
	char what[160];
	int status;
	pid_t pid;

	fflush(NULL);
	if ((pid = fork()) < 0) {
		snprintf(
		    what, sizeof(what), "could not start: %s", strerror(errno));
		log_line(arg, what);
		return -1;
	}
	if (pid == 0) {
		if (setenv("MODELREG_VERSION", version, 1) != 0 ||
		    setenv("MODELREG_PREVIOUS", previous, 1) != 0 ||
		    setenv("MODELREG_DIR", dir, 1) != 0)
			_exit(127);
		execl("/bin/sh", "sh", "-c", a->exec, (char *)NULL);
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(status))
		snprintf(what, sizeof(what),
		    "exec for %s exited with status %d", version,
		    WEXITSTATUS(status));
	else
		snprintf(what, sizeof(what), "exec for %s killed by signal %d",
		    version, WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	log_line(arg, what);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}

int
cmd_sync(cli *g, const command *cmd, int argc, char **argv)
{
	static const struct option opts[] = {
	    {"stage", required_argument, NULL, 's'},
	    {"dir", required_argument, NULL, 'd'},
	    {"exec", required_argument, NULL, 'x'},
	    {"cache", required_argument, NULL, 'c'},
	    {"cache-max", required_argument, NULL, 'm'},
	    {"keep", required_argument, NULL, 'k'},
	    {"once", no_argument, NULL, '1'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	mr_sync_options so = {.stage = MR_STAGE_PRODUCTION};
	mr_client_options co = {
	    .token = g->token,
	    .timeout_ms = g->timeout_ms,
	    .tls_ca = g->tls_ca,
	    .tls_cert = g->tls_cert,
	    .tls_key = g->tls_key,
	};
	struct sigaction sa = {.sa_handler = on_signal};
	const char *dir = NULL;
	agent a = {0};
	bool once = false;
	uint64_t keep;
	mr_status rv;
	int ch, code;

	optind = 0;
	while ((ch = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			if ((code = stage_arg(
			         cmd, "--stage", optarg, &so.stage)) != 0)
				return code;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'x':
			a.exec = optarg;
			break;
		case 'c':
			so.cache_dir = optarg;
			break;
		case 'm':
			if (!parse_size(optarg, &so.cache_max_bytes))
				return usage_error(cmd,
				    "--cache-max wants a size: bytes, or a "
				    "number with K, M, G or T");
			break;
		case 'k':
			if (!parse_u64(optarg, 1000, &keep) || keep == 0)
				return usage_error(
				    cmd, "--keep wants a number, 1 to 1000");
			so.keep = (unsigned)keep;
			break;
		case '1':
			once = true;
			break;
		case 'h':
			return help_for(cmd, stdout, 0);
		default:
			return option_error(cmd, ch, argv);
		}
	}
	if (argc - optind != 1)
		return usage_error(cmd, "give a model name");
	if (dir == NULL || dir[0] == '\0')
		return usage_error(
		    cmd, "give the directory to keep: --dir DIR");
	if (so.stage == MR_STAGE_NONE)
		return usage_error(cmd, "--stage wants a stage");
	a.name = argv[optind];
	so.log = log_line;
	so.log_arg = &a;
	if (a.exec != NULL) {
		so.hook = run_exec;
		so.hook_arg = &a;
	}
	if (once) {
		if ((code = connect_client(g)) != 0)
			return code;
		rv = mr_sync_once(g->c, a.name, dir, &so);
		if (rv != MR_OK)
			return status_error(g, rv, "sync %s", a.name);
		return 0;
	}
	/* No SA_RESTART: a signal should cut a wait short. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	so.stop = &stop;
	log_line(&a, "following");
	rv = mr_sync_follow(g->server, &co, a.name, dir, &so);
	if (rv != MR_OK)
		return CLI_EXIT_STATUS; /* the reason is logged */
	log_line(&a, "stopped");
	return 0;
}
