/*
 * e2e.h - end-to-end tests run the real binaries: modelregd as a child
 * process on an ipc:// socket in a temporary directory, and the modelreg
 * CLI as a command whose exit code and output are checked.
 */
#ifndef MR_E2E_H
#define MR_E2E_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "modelreg.h"

typedef struct e2e_server {
	char dir[PATH_MAX];       /* temporary directory of the test */
	char data[PATH_MAX + 8];  /* dir/data */
	char url[PATH_MAX + 32];  /* ipc://dir/modelregd.sock */
	pid_t pid;
	/* The token calls are made with: identity "tester", ADMIN on every
	 * model; also in $MODELREG_TOKEN, for the CLI and other clients. */
	char token[128];
	struct {
		char user[64];
		char token[128];
	} users[16];
	size_t n_users;
	/* e2e_start_tls: certificates in dir/certs (tu_make_certs); ca is
	 * the CA that clients verify the server with. ca[0] 0: plain. */
	char certs[PATH_MAX + 8];
	char ca[PATH_MAX + 32];
	/* More modelregd arguments, NULL-terminated (e2e_start_args); every
	 * restart passes them again. NULL: none. */
	const char *const *args;
} e2e_server;

/* Makes the directory and starts modelregd; waits until it answers. */
void e2e_start(e2e_server *s, const char *tag);
/* e2e_start with more modelregd arguments (`args`, NULL-terminated, kept
 * by pointer: e2e_restart passes them again), such as "--gc-grace", "0". */
void e2e_start_args(e2e_server *s, const char *tag, const char *const *args);
/*
 * e2e_start with TLS: makes certificates in dir/certs and starts
 * modelregd on tls+tcp://localhost:PORT with --tls-cert and --tls-key
 * (certs/server.pem and .key).
 */
void e2e_start_tls(e2e_server *s, const char *tag);
/* Starts modelregd again on the same directory (after a kill). */
void e2e_restart(e2e_server *s);
/* Sends `sig` and waits for the process; returns its wait status. */
int e2e_kill(e2e_server *s, int sig);
/* Stops the server (SIGTERM) and removes the directory. */
void e2e_finish(e2e_server *s);
/*
 * Forgets the tokens made so far, and the first admin token's file: for
 * a test that gives the server a new, empty data directory, where the
 * next start makes a first token again.
 */
void e2e_forget_tokens(e2e_server *s);
/* The token of `user` (ADMIN on every model), made on first use. */
const char *e2e_token(e2e_server *s, const char *user);
/*
 * Runs `modelregd ARGS` (a shell line: quote as needed) and returns its
 * exit code; stdout and stderr into out[cap].
 */
int e2e_modelregd(char *out, size_t cap, const char *args);
/* A client connected to the server (fails the test if it cannot). */
mr_client *e2e_client(const e2e_server *s);
/* The same with options of the test's own (a timeout; NULL token and CA:
 * the harness's). */
mr_client *e2e_client_opts(const e2e_server *s, const mr_client_options *o);

/*
 * Runs the CLI with `args` (NULL-terminated, without "modelreg") against
 * the server, captures stdout and stderr (malloc'd, NUL-terminated) and
 * returns the exit code.
 */
int e2e_cli(const e2e_server *s, char **out, char **err, const char *arg0,
    ...) __attribute__((sentinel));

/*
 * The tests below share one way of running the CLI and checking what it
 * did, so that a failure reads the same in each of them: the exit code
 * wanted and got, then all of stdout and stderr.
 */

/* One run of the CLI: its exit code and its stdout and stderr (malloc'd). */
typedef struct e2e_run {
	int code;
	char *out;
	char *err;
} e2e_run;

/* Frees the output of `r` and sets it to NULL; a run may then be reused. */
void e2e_run_free(e2e_run *r);

/*
 * Runs `modelreg --server URL --token T ARGS...` (T: tester's) against the server
 * `s` into the e2e_run `r`, freeing what `r` held before; evaluates to
 * the exit code.
 */
#define E2E_CLI(s, r, ...)                                                     \
	(e2e_run_free(&(r)),                                                   \
	    (r).code = e2e_cli(                                                \
	        (s), &(r).out, &(r).err, __VA_ARGS__, (char *)NULL))

/*
 * Fails the test unless `r` exited with `code` and, for each of `in_out`
 * and `in_err` that is not NULL, stdout or stderr holds that text.
 */
void e2e_expect(
    const e2e_run *r, int code, const char *in_out, const char *in_err);

/* Fails the test unless a line of stdout holds both `label` and `value`. */
void e2e_expect_field(const e2e_run *r, const char *label, const char *value);

/* The line of `text` holding `part`, without its newline (malloc'd); NULL
 * if none. */
char *e2e_line_with(const char *text, const char *part);

/* The size of a path made by e2e_path. */
#define E2E_PATH_SIZE (PATH_MAX + 32)

/* Writes "dir/name" into `out` (E2E_PATH_SIZE bytes); returns `out`. */
char *e2e_path(char out[E2E_PATH_SIZE], const char *dir, const char *name);

/* Writes `size` pseudo-random bytes from `seed` (tu_fill_random) to `path`,
 * making its directories. */
void e2e_write_random(const char *path, size_t size, uint64_t seed);

/*
 * The cmocka teardown of a fixture that is malloc'd and begins with its
 * e2e_server: stops the server (e2e_finish), then frees the fixture.
 */
int e2e_teardown(void **state);

/*
 * Pulls name@version into `dir` and fails the test unless it is
 * byte-identical to `src`; the pulled file is removed.
 */
void e2e_expect_pull_identical(mr_client *c, const char *dir,
    const char *name, const char *version, const char *src);

/*
 * Waits up to `timeout_ms` for the server to exit by itself (a kill point,
 * a crash) and returns its wait status; fails the test if it is still
 * running.
 */
int e2e_wait_exit(e2e_server *s, int timeout_ms);

/*
 * The checks every crash test ends with: a whole scrub pass finds no
 * damaged chunk and the audit chain verifies. Fails the test otherwise;
 * returns the number of audit records, and the chunks checked in
 * *chunks (may be NULL).
 */
uint64_t e2e_expect_sound_store(mr_client *c, uint64_t *chunks);

#endif /* MR_E2E_H */
