/*
 * e2e.c - see e2e.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "e2e.h"
#include "testutil.h"

static void
read_line(const char *path, char *out, size_t cap)
{
	size_t len;
	char *t = tu_read_file(path, &len);

	if (t == NULL || len == 0 || len >= cap)
		fail_msg("no token in %s", path);
	memcpy(out, t, len);
	out[strcspn(out, "\n")] = '\0';
	free(t);
}

/*
 * Once per server: the admin token modelregd printed on its first start
 * makes "tester", whose token every call then carries.
 */
static void
first_token(e2e_server *s, const char *admin_file)
{
	char admin[128];
	mr_client_options o = { .timeout_ms = 30000, .token = admin,
		.tls_ca = s->ca[0] != '\0' ? s->ca : NULL };
	mr_grant g = { .role = MR_ROLE_ADMIN, .models = "*" };
	mr_client *c;
	char *t;

	if (s->token[0] == '\0') {
		read_line(admin_file, admin, sizeof(admin));
		if (mr_client_open(&c, s->url, &o) != MR_OK ||
		    mr_token_create(c, "tester", &g, 1, "e2e", 0, &t, NULL) !=
			MR_OK)
			fail_msg("making tester's token: %s",
			    mr_client_errmsg(c));
		snprintf(s->token, sizeof(s->token), "%s", t);
		free(t);
		mr_client_close(c);
	}
	setenv("MODELREG_TOKEN", s->token, 1);
}

void
e2e_forget_tokens(e2e_server *s)
{
	char admin[PATH_MAX + 16];

	snprintf(admin, sizeof(admin), "%s/admin.token", s->dir);
	unlink(admin);
	s->token[0] = '\0';
	s->n_users = 0;
}

const char *
e2e_token(e2e_server *s, const char *user)
{
	mr_grant g = { .role = MR_ROLE_ADMIN, .models = "*" };
	mr_client *c;
	size_t i;
	char *t;

	for (i = 0; i < s->n_users; i++)
		if (strcmp(s->users[i].user, user) == 0)
			return s->users[i].token;
	if (i == sizeof(s->users) / sizeof(s->users[0]))
		fail_msg("more than %zu users", i);
	c = e2e_client(s);
	if (mr_token_create(c, user, &g, 1, "e2e", 0, &t, NULL) != MR_OK)
		fail_msg("making %s's token: %s", user, mr_client_errmsg(c));
	snprintf(s->users[i].user, sizeof(s->users[i].user), "%s", user);
	snprintf(s->users[i].token, sizeof(s->users[i].token), "%s", t);
	free(t);
	mr_client_close(c);
	s->n_users++;
	return s->users[i].token;
}

static void
spawn(e2e_server *s)
{
	char log[PATH_MAX + 16], admin[PATH_MAX + 16];
	char cert[PATH_MAX + 32], key[PATH_MAX + 32];
	const char *argv[32];
	size_t argc = 0;
	pid_t pid;

	snprintf(log, sizeof(log), "%s/modelregd.log", s->dir);
	snprintf(admin, sizeof(admin), "%s/admin.token", s->dir);
	snprintf(cert, sizeof(cert), "%s/server.pem", s->certs);
	snprintf(key, sizeof(key), "%s/server.key", s->certs);
	argv[argc++] = "modelregd";
	argv[argc++] = "--listen";
	argv[argc++] = s->url;
	argv[argc++] = "--data";
	argv[argc++] = s->data;
	argv[argc++] = "--workers";
	argv[argc++] = "8";
	argv[argc++] = "--backup-root";
	argv[argc++] = s->dir;
	argv[argc++] = "--bootstrap-token-file";
	argv[argc++] = admin;
	for (size_t i = 0; s->args != NULL && s->args[i] != NULL; i++) {
		if (argc + 5 >= sizeof(argv) / sizeof(argv[0]))
			fail_msg("too many modelregd arguments");
		argv[argc++] = s->args[i];
	}
	if (s->ca[0] != '\0') {
		argv[argc++] = "--tls-cert";
		argv[argc++] = cert;
		argv[argc++] = "--tls-key";
		argv[argc++] = key;
	}
	argv[argc] = NULL;
	pid = fork();
	if (pid < 0)
		fail_msg("fork: %s", strerror(errno));
	if (pid == 0) {
		int fd = open(log, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execv(MODELREGD_PATH, (char *const *)argv);
		_exit(127);
	}
	s->pid = pid;
	/* Ready when a call gets an answer (NOT_FOUND, or UNAUTHENTICATED
	 * before the first token is read, counts). */
	for (int i = 0; i < 200; i++) {
		mr_client *c;
		/* With the tester's token once there is one: a refusal
		 * would be audited. */
		mr_client_options o = { .timeout_ms = 1000, .token = s->token,
			.tls_ca = s->ca[0] != '\0' ? s->ca : NULL };
		mr_model *m = NULL;
		if (mr_client_open(&c, s->url, &o) == MR_OK) {
			mr_status rv = mr_get_model(c, "ready-probe", &m);
			mr_model_free(m);
			mr_client_close(c);
			if (rv == MR_OK || rv == MR_NOT_FOUND ||
			    rv == MR_UNAUTHENTICATED) {
				first_token(s, admin);
				return;
			}
		}
		if (waitpid(pid, NULL, WNOHANG) == pid)
			fail_msg("modelregd exited at start; see %s", log);
		usleep(50 * 1000);
	}
	fail_msg("modelregd did not answer within 10 s; see %s", log);
}

void
e2e_start(e2e_server *s, const char *tag)
{
	e2e_start_args(s, tag, NULL);
}

void
e2e_start_args(e2e_server *s, const char *tag, const char *const *args)
{
	memset(s, 0, sizeof(*s));
	s->args = args;
	tu_mkdtemp(s->dir, tag);
	snprintf(s->data, sizeof(s->data), "%s/data", s->dir);
	snprintf(s->url, sizeof(s->url), "ipc://%s/modelregd.sock", s->dir);
	spawn(s);
}

void
e2e_start_tls(e2e_server *s, const char *tag)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(s, 0, sizeof(*s));
	tu_mkdtemp(s->dir, tag);
	snprintf(s->data, sizeof(s->data), "%s/data", s->dir);
	snprintf(s->certs, sizeof(s->certs), "%s/certs", s->dir);
	snprintf(s->ca, sizeof(s->ca), "%s/ca.pem", s->certs);
	if (mkdir(s->certs, 0700) != 0)
		fail_msg("mkdir %s: %s", s->certs, strerror(errno));
	tu_make_certs(s->certs);
	/* A free loopback port: bound to 0, read, closed. */
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) != 0)
		fail_msg("no free port: %s", strerror(errno));
	close(fd);
	/* The name the server's certificate is for. */
	snprintf(s->url, sizeof(s->url), "tls+tcp://localhost:%d",
	    ntohs(a.sin_port));
	spawn(s);
}

void
e2e_restart(e2e_server *s)
{
	spawn(s);
}

int
e2e_kill(e2e_server *s, int sig)
{
	int status = 0;

	if (s->pid <= 0)
		return 0;
	kill(s->pid, sig);
	waitpid(s->pid, &status, 0);
	s->pid = 0;
	return status;
}

void
e2e_finish(e2e_server *s)
{
	int status = e2e_kill(s, SIGTERM);

	/* A clean stop exits 0: it is part of what the tests check. */
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("modelregd did not stop cleanly (status %d)", status);
	tu_rmtree(s->dir);
}

int
e2e_modelregd(char *out, size_t cap, const char *args)
{
	char cmd[3 * PATH_MAX];
	size_t len = 0;
	FILE *p;
	int status;

	snprintf(cmd, sizeof(cmd), "%s %s 2>&1", MODELREGD_PATH, args);
	assert_non_null(p = popen(cmd, "r"));
	while (len + 1 < cap && fgets(out + len, (int)(cap - len), p) != NULL)
		len += strlen(out + len);
	out[len] = '\0';
	status = pclose(p);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

mr_client *
e2e_client(const e2e_server *s)
{
	return e2e_client_opts(s, NULL);
}

mr_client *
e2e_client_opts(const e2e_server *s, const mr_client_options *opt)
{
	/* Tester's token and the server's CA unless the test says. */
	mr_client_options o = { .token = s->token, .timeout_ms = 30000,
		.tls_ca = s->ca[0] != '\0' ? s->ca : NULL };
	mr_client *c;

	if (opt != NULL) {
		const char *token = o.token, *ca = o.tls_ca;
		o = *opt;
		if (o.token == NULL)
			o.token = token;
		if (o.tls_ca == NULL)
			o.tls_ca = ca;
	}
	if (mr_client_open(&c, s->url, &o) != MR_OK)
		fail_msg("cannot connect to %s", s->url);
	return c;
}

static char *
slurp(int fd)
{
	size_t cap = 4096, len = 0;
	char *buf = malloc(cap);
	ssize_t n;

	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += (size_t)n;
		if (cap - len < 2)
			buf = realloc(buf, cap *= 2);
	}
	buf[len] = '\0';
	return buf;
}

int
e2e_cli(const e2e_server *s, char **out, char **err, const char *arg0, ...)
{
	const char *argv[64];
	char ofile[PATH_MAX + 16], efile[PATH_MAX + 16];
	int argc = 0, status;
	va_list ap;
	pid_t pid;

	argv[argc++] = "modelreg";
	argv[argc++] = "--server";
	argv[argc++] = s->url;
	argv[argc++] = "--token";
	argv[argc++] = s->token;
	va_start(ap, arg0);
	for (const char *a = arg0; a != NULL && argc < 63;
	    a = va_arg(ap, const char *))
		argv[argc++] = a;
	va_end(ap);
	argv[argc] = NULL;

	snprintf(ofile, sizeof(ofile), "%s/cli.out", s->dir);
	snprintf(efile, sizeof(efile), "%s/cli.err", s->dir);
	pid = fork();
	if (pid == 0) {
		int o = open(ofile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		int e = open(efile, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		dup2(o, 1);
		dup2(e, 2);
		execv(MODELREG_CLI_PATH, (char *const *)argv);
		_exit(127);
	}
	waitpid(pid, &status, 0);
	if (out != NULL) {
		int fd = open(ofile, O_RDONLY);
		*out = slurp(fd);
		close(fd);
	}
	if (err != NULL) {
		int fd = open(efile, O_RDONLY);
		*err = slurp(fd);
		close(fd);
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

void
e2e_run_free(e2e_run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

void
e2e_expect(const e2e_run *r, int code, const char *in_out, const char *in_err)
{
	if (r->code != code ||
	    (in_out != NULL && strstr(r->out, in_out) == NULL) ||
	    (in_err != NULL && strstr(r->err, in_err) == NULL))
		fail_msg("exit %d (want %d), stdout%s%s%s, stderr%s%s%s:\n"
		         "--- stdout\n%s--- stderr\n%s",
		    r->code, code, in_out ? " with \"" : "",
		    in_out ? in_out : "", in_out ? "\"" : "",
		    in_err ? " with \"" : "", in_err ? in_err : "",
		    in_err ? "\"" : "", r->out, r->err);
}

char *
e2e_line_with(const char *text, const char *part)
{
	const char *at = strstr(text, part), *start, *end;

	if (at == NULL)
		return NULL;
	for (start = at; start > text && start[-1] != '\n'; start--)
		;
	end = strchr(at, '\n');
	return strndup(
	    start, end != NULL ? (size_t)(end - start) : strlen(start));
}

void
e2e_expect_field(const e2e_run *r, const char *label, const char *value)
{
	char *line = e2e_line_with(r->out, label);

	if (line == NULL || strstr(line, value) == NULL)
		fail_msg("no \"%s ... %s\" line in:\n%s", label, value, r->out);
	free(line);
}

char *
e2e_path(char out[E2E_PATH_SIZE], const char *dir, const char *name)
{
	/* The precision keeps the compiler sure that the result fits. */
	snprintf(out, E2E_PATH_SIZE, "%.*s/%s", PATH_MAX - 128, dir, name);
	return out;
}

void
e2e_write_random(const char *path, size_t size, uint64_t seed)
{
	char *buf = malloc(size);

	tu_fill_random(buf, size, seed);
	tu_write_file(path, buf, size);
	free(buf);
}

int
e2e_teardown(void **state)
{
	/* A pointer to a struct points to its first member too. */
	e2e_server *s = *state;

	e2e_finish(s);
	free(*state);
	return 0;
}

void
e2e_expect_pull_identical(mr_client *c, const char *dir, const char *name,
    const char *version, const char *src)
{
	char dest[PATH_MAX + 64];
	size_t a_len, b_len;
	void *a, *b;

	snprintf(dest, sizeof(dest), "%s/pulled-%s-%s", dir, name, version);
	if (mr_pull(c, name, version, MR_STAGE_NONE, dest, NULL, NULL) != MR_OK)
		fail_msg("pull %s@%s: %s", name, version, mr_client_errmsg(c));
	a = tu_read_file(src, &a_len);
	b = tu_read_file(dest, &b_len);
	assert_non_null(a);
	assert_non_null(b);
	assert_int_equal(a_len, b_len);
	assert_memory_equal(a, b, a_len);
	free(a);
	free(b);
	unlink(dest);
}

int
e2e_wait_exit(e2e_server *s, int timeout_ms)
{
	int status = 0;

	for (int waited = 0; waited <= timeout_ms; waited += 10) {
		if (waitpid(s->pid, &status, WNOHANG) == s->pid) {
			s->pid = 0;
			return status;
		}
		usleep(10 * 1000);
	}
	fail_msg("modelregd (pid %d) did not exit within %d ms", (int)s->pid,
	    timeout_ms);
	return -1;
}

uint64_t
e2e_expect_sound_store(mr_client *c, uint64_t *chunks)
{
	uint8_t next[MR_DIGEST_LEN];
	uint64_t checked = 0, records;
	mr_audit_check *a;
	bool first = true;

	for (;;) {
		mr_scrub_result *r;
		char hex[65];

		if (mr_scrub(c, first ? NULL : next, 1024, 0, &r) != MR_OK)
			fail_msg("scrub: %s", mr_client_errmsg(c));
		if (r->n_damaged > 0)
			fail_msg("scrub: chunk %s is damaged: %s (%s)",
			    mr_digest_hex(r->damaged[0].digest, hex),
			    r->damaged[0].reason, r->damaged[0].detail);
		checked += r->chunks_checked;
		if (r->done || r->chunks_checked == 0) {
			mr_scrub_result_free(r);
			break;
		}
		memcpy(next, r->next, sizeof(next));
		first = false;
		mr_scrub_result_free(r);
	}
	if (mr_verify_audit(c, &a) != MR_OK)
		fail_msg("audit verify: %s", mr_client_errmsg(c));
	if (!a->ok)
		fail_msg("the audit chain is broken at record %llu: %s",
		    (unsigned long long)a->first_broken, a->problem);
	records = a->records;
	mr_audit_check_free(a);
	if (chunks != NULL)
		*chunks = checked;
	return records;
}
