/*
 * e2e.h - end-to-end tests run the real binaries: modelregd as a child
 * process on an ipc:// socket in a temporary directory, and the modelreg
 * CLI as a command whose exit code and output are checked.
 */
#ifndef MR_E2E_H
#define MR_E2E_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "modelreg.h"

typedef struct e2e_server {
	char dir[PATH_MAX];       /* temporary directory of the test */
	char data[PATH_MAX + 8];  /* dir/data */
	char url[PATH_MAX + 32];  /* ipc://dir/modelregd.sock */
	pid_t pid;
} e2e_server;

/* Makes the directory and starts modelregd; waits until it answers. */
void e2e_start(e2e_server *s, const char *tag);
/* Starts modelregd again on the same directory (after a kill). */
void e2e_restart(e2e_server *s);
/* Sends `sig` and waits for the process; returns its wait status. */
int e2e_kill(e2e_server *s, int sig);
/* Stops the server (SIGTERM) and removes the directory. */
void e2e_finish(e2e_server *s);
/* A client connected to the server (fails the test if it cannot). */
mr_client *e2e_client(const e2e_server *s);

/*
 * Runs the CLI with `args` (NULL-terminated, without "modelreg") against
 * the server, captures stdout and stderr (malloc'd, NUL-terminated) and
 * returns the exit code.
 */
int e2e_cli(const e2e_server *s, char **out, char **err, const char *arg0,
    ...) __attribute__((sentinel));

#endif /* MR_E2E_H */
