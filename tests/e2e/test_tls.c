/*
 * test_tls.c - modelregd started with --tls-cert and --tls-key on a
 * tls+tcp:// address, and the modelreg CLI against it: with --ca it
 * registers and pulls; without a CA, or with another one, it is refused
 * with the reason on stderr. modelregd itself refuses a tls+tcp://
 * address without a certificate.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "e2e.h"
#include "testutil.h"

static int
setup(void **state)
{
	e2e_server *s = calloc(1, sizeof(*s));

	/* The CLI would take the CA from here: the tests say which. */
	unsetenv("MODELREG_TLS_CA");
	e2e_start_tls(s, "e2e-tls");
	*state = s;
	return 0;
}

static void
test_cli_with_ca_registers_and_pulls_over_tls(void **state)
{
	e2e_server *s = *state;
	char src[E2E_PATH_SIZE], dest[E2E_PATH_SIZE];
	e2e_run r = {0};
	size_t a_len, b_len;
	void *a, *b;

	e2e_write_random(e2e_path(src, s->dir, "model.bin"), 200000, 5);
	e2e_path(dest, s->dir, "pulled.bin");
	E2E_CLI(s, r, "--ca", s->ca, "register", "fraud", src, "--version",
	    "1.0.0");
	e2e_expect(&r, 0, "registered fraud 1.0.0", NULL);
	E2E_CLI(s, r, "--ca", s->ca, "get", "fraud@1.0.0");
	e2e_expect(&r, 0, "1.0.0", NULL);
	E2E_CLI(s, r, "--ca", s->ca, "pull", "fraud@1.0.0", dest);
	e2e_expect(&r, 0, "pulled fraud 1.0.0", NULL);
	e2e_run_free(&r);
	a = tu_read_file(src, &a_len);
	b = tu_read_file(dest, &b_len);
	assert_non_null(b);
	assert_int_equal(a_len, b_len);
	assert_memory_equal(a, b, a_len);
	free(a);
	free(b);
}

static void
test_cli_without_the_servers_ca_is_refused_with_the_reason(void **state)
{
	e2e_server *s = *state;
	char other[E2E_PATH_SIZE];
	e2e_run r = {0};

	E2E_CLI(s, r, "list");
	e2e_expect(&r, 1, NULL, "MODELREG_TLS_CA");
	E2E_CLI(
	    s, r, "--ca", e2e_path(other, s->certs, "other-ca.pem"), "list");
	e2e_expect(&r, 1, NULL, "UNAVAILABLE");
	e2e_expect(&r, 1, NULL, "TLS handshake failed");
	e2e_run_free(&r);
}

static void
test_modelregd_refuses_a_tls_address_without_a_certificate(void **state)
{
	e2e_server *s = *state;
	char cmd[3 * PATH_MAX], log[E2E_PATH_SIZE];
	size_t len;
	char *text;
	int status;

	e2e_path(log, s->dir, "refused.log");
	/* timeout: a modelregd that started anyway must not hang the test. */
	snprintf(cmd, sizeof(cmd),
	    "timeout 10 '%s' --listen tls+tcp://localhost:1 --data "
	    "'%s/refused' "
	    "> '%s' 2>&1",
	    MODELREGD_PATH, s->dir, log);
	status = system(cmd);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
	text = tu_read_file(log, &len);
	assert_non_null(text);
	if (strstr(text, "--tls-cert") == NULL)
		fail_msg("no word of --tls-cert in: %.*s", (int)len, text);
	free(text);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, e2e_teardown)
	const struct CMUnitTest tests[] = {
	    T(test_cli_with_ca_registers_and_pulls_over_tls),
	    T(test_cli_without_the_servers_ca_is_refused_with_the_reason),
	    T(test_modelregd_refuses_a_tls_address_without_a_certificate),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
