/*
 * test_auth.c - tokens with the real binaries: the first admin token
 * printed once, `modelregd token create|list|revoke` over the wire and
 * offline, and the CLI calling with each token.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "e2e.h"
#include "testutil.h"

/* The last line of `text` (a token create prints the token last). */
static void
last_line(const char *text, char *out, size_t cap)
{
	size_t n = strlen(text);
	const char *start;

	while (n > 0 && text[n - 1] == '\n')
		n--;
	start = text + n;
	while (start > text && start[-1] != '\n')
		start--;
	snprintf(out, cap, "%.*s", (int)(text + n - start), start);
}

static size_t
count(const char *hay, const char *needle)
{
	size_t n = 0;

	for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
		n++;
	return n;
}

static void
test_first_admin_token_is_printed_once(void **state)
{
	e2e_server s;
	char path[PATH_MAX + 32];
	size_t len;
	char *log;

	(void)state;
	e2e_start(&s, "auth-first");
	e2e_kill(&s, SIGTERM);
	e2e_restart(&s);
	snprintf(path, sizeof(path), "%s/modelregd.log", s.dir);
	assert_non_null(log = tu_read_file(path, &len));
	/* Two starts, one first token. */
	assert_int_equal(count(log, "ready\n"), 2);
	assert_int_equal(count(log, "the first admin token"), 1);
	free(log);
	e2e_finish(&s);
}

static void
test_tokens_made_revoked_and_used_from_the_cli(void **state)
{
	e2e_server s;
	e2e_run r = {0};
	char out[8192], args[2 * PATH_MAX], rita[128], id[17];

	(void)state;
	e2e_start(&s, "auth-cli");
	E2E_CLI(&s, r, "register", "fraud-eu", "/etc/hostname", "--version",
	    "1.0.0");
	e2e_expect(&r, 0, "registered fraud-eu 1.0.0", NULL);

	/* A reader of fraud-*, made by tester (an admin) over the wire. */
	snprintf(args, sizeof(args),
	    "token create rita --grant 'reader:fraud-*' --expires 30d "
	    "--description 'dashboards' --server %s",
	    s.url);
	assert_int_equal(e2e_modelregd(out, sizeof(out), args), 0);
	assert_non_null(strstr(out, "rita  reader:fraud-*  expires "));
	last_line(out, rita, sizeof(rita));
	assert_int_equal(strlen(rita), 81);
	memcpy(id, rita, 16);
	id[16] = '\0';

	E2E_CLI(&s, r, "--token", rita, "get", "fraud-eu@1.0.0");
	e2e_expect(&r, 0, "1.0.0", NULL);
	E2E_CLI(&s, r, "--token", rita, "whoami");
	e2e_expect(&r, 0, "rita (token ", NULL);
	assert_non_null(strstr(r.out, ": reader:fraud-*; expires "));
	E2E_CLI(&s, r, "--token", rita, "promote", "fraud-eu", "1.0.0", "--to",
	    "staging");
	e2e_expect(&r, 1, NULL,
	    "PERMISSION_DENIED: Registry/Promote needs WRITER on \"fraud-eu\"; "
	    "rita has no such grant");
	/* The refusal is in the audit log, with rita's name. */
	E2E_CLI(&s, r, "audit", "log", "fraud-eu");
	e2e_expect(&r, 0, "rita", "");
	assert_non_null(strstr(r.out, "denied: PERMISSION_DENIED"));

	snprintf(args, sizeof(args), "token list --server %s", s.url);
	assert_int_equal(e2e_modelregd(out, sizeof(out), args), 0);
	assert_non_null(strstr(out, id));
	assert_null(strstr(out, rita + 17)); /* never a secret */

	snprintf(args, sizeof(args), "token revoke %s --reason left --server %s",
	    id, s.url);
	assert_int_equal(e2e_modelregd(out, sizeof(out), args), 0);
	assert_non_null(strstr(out, "revoked"));
	E2E_CLI(&s, r, "--token", rita, "get", "fraud-eu@1.0.0");
	e2e_expect(&r, 1, NULL, "UNAUTHENTICATED");
	assert_non_null(strstr(r.err, "was revoked"));

	/* No token at all; a token file. */
	E2E_CLI(&s, r, "--token", "", "list");
	e2e_expect(&r, 1, NULL, "UNAUTHENTICATED");
	{
		char file[PATH_MAX + 16];
		snprintf(file, sizeof(file), "%s/tester.token", s.dir);
		tu_write_file(file, s.token, strlen(s.token));
		E2E_CLI(&s, r, "--token", "", "--token-file", file, "list");
		e2e_expect(&r, 0, "fraud-eu", NULL);
	}

	/* Bad requests: usage errors before any call. */
	snprintf(args, sizeof(args),
	    "token create x --grant boss --server %s", s.url);
	assert_int_equal(e2e_modelregd(out, sizeof(out), args), 2);
	assert_non_null(strstr(out, "no role \"boss\""));
	snprintf(args, sizeof(args),
	    "token create x --grant reader --expires yesterday --server %s",
	    s.url);
	assert_int_equal(e2e_modelregd(out, sizeof(out), args), 2);
	e2e_run_free(&r);
	e2e_finish(&s);
}

/* With the server stopped, the data directory's owner makes a token. */
static void
test_offline_token_is_made_as_the_local_user(void **state)
{
	e2e_server s;
	e2e_run r = {0};
	char out[8192], args[2 * PATH_MAX], ops[128], who[128];
	const struct passwd *pw = getpwuid(getuid());

	(void)state;
	e2e_start(&s, "auth-offline");
	assert_int_equal(WEXITSTATUS(e2e_kill(&s, SIGTERM)), 0);
	snprintf(args, sizeof(args),
	    "token create ops --grant admin --data %s", s.data);
	assert_int_equal(e2e_modelregd(out, sizeof(out), args), 0);
	last_line(out, ops, sizeof(ops));
	e2e_restart(&s);
	E2E_CLI(&s, r, "--token", ops, "list");
	e2e_expect(&r, 0, NULL, NULL);
	E2E_CLI(&s, r, "audit", "log");
	snprintf(who, sizeof(who), "local:%s", pw != NULL ? pw->pw_name : "");
	e2e_expect(&r, 0, who, NULL);
	/* A store a server has open cannot be opened offline. */
	assert_int_equal(e2e_modelregd(out, sizeof(out), args), 1);
	e2e_run_free(&r);
	e2e_finish(&s);
}

/* An admin approving its own version: only with the override, audited. */
static void
test_cli_override_of_separation_is_audited(void **state)
{
	e2e_server s;
	e2e_run r = {0};

	(void)state;
	e2e_start(&s, "auth-override");
	E2E_CLI(&s, r, "register", "fraud", "/etc/hostname", "--version",
	    "1.0.0");
	e2e_expect(&r, 0, NULL, NULL);
	E2E_CLI(&s, r, "approve", "fraud", "1.0.0", "--stage", "production");
	e2e_expect(&r, 1, NULL, "separation of duties");
	E2E_CLI(&s, r, "approve", "fraud", "1.0.0", "--stage", "production",
	    "--override-separation");
	e2e_expect(&r, 2, NULL, "--override-separation needs --comment");
	E2E_CLI(&s, r, "approve", "fraud", "1.0.0", "--stage", "production",
	    "--override-separation", "--comment", "approver on leave");
	e2e_expect(&r, 0, "approved fraud 1.0.0 for production", NULL);
	E2E_CLI(&s, r, "audit", "log", "fraud");
	e2e_expect(&r, 0, "approver on leave", NULL);
	e2e_run_free(&r);
	e2e_finish(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_admin_token_is_printed_once),
		cmocka_unit_test(test_tokens_made_revoked_and_used_from_the_cli),
		cmocka_unit_test(test_offline_token_is_made_as_the_local_user),
		cmocka_unit_test(test_cli_override_of_separation_is_audited),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
