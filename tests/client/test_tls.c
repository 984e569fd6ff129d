/*
 * test_tls.c - libmodelreg and the real server in-process over
 * tls+tcp://, with certificates made by openssl for the run
 * (tu_make_certs): a client that trusts the server's CA registers, reads
 * and pulls; one that trusts another CA, one that dials a server whose
 * certificate names another host, and a plain tcp:// one are refused with
 * a reason; with a client CA, the server admits only clients with a
 * certificate it signed; the change feed is TLS too, client certificate
 * included.
 *
 * Servers listen on tls+tcp://localhost:PORT, the name in the server's
 * certificate: mbedTLS 2.28 (Debian's nng) never matches a host against
 * the certificate's IP addresses.
 */
#include <arpa/inet.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/supplemental/util/platform.h>

#include "realserver.h"
#include "testutil.h"
#include "watch.h"

/* The certificates of the run (tu_make_certs), made once. */
static struct {
	char dir[PATH_MAX];
	char ca[PATH_MAX + 32], other_ca[PATH_MAX + 32];
	char server[PATH_MAX + 32], server_key[PATH_MAX + 32];
	char elsewhere[PATH_MAX + 32], elsewhere_key[PATH_MAX + 32];
	char client[PATH_MAX + 32], client_key[PATH_MAX + 32];
	char stranger[PATH_MAX + 32], stranger_key[PATH_MAX + 32];
} certs;

static int
make_certs(void **state)
{
	(void)state;
	tu_mkdtemp(certs.dir, "tls-certs");
	tu_make_certs(certs.dir);
#define CERT(field, file)                                                      \
	snprintf(certs.field, sizeof(certs.field), "%s/%s", certs.dir, file)
	CERT(ca, "ca.pem");
	CERT(other_ca, "other-ca.pem");
	CERT(server, "server.pem");
	CERT(server_key, "server.key");
	CERT(elsewhere, "elsewhere.pem");
	CERT(elsewhere_key, "elsewhere.key");
	CERT(client, "client.pem");
	CERT(client_key, "client.key");
	CERT(stranger, "stranger.pem");
	CERT(stranger_key, "stranger.key");
#undef CERT
	return 0;
}

static int
remove_certs(void **state)
{
	(void)state;
	tu_rmtree(certs.dir);
	return 0;
}

/* A loopback port nobody listens on (bind to 0, read it, close). */
static int
free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

/*
 * Serves at tls+tcp://localhost:PORT with certificate `cert` (and its
 * key); with `client_ca`, clients need a certificate it signed. Returns
 * PORT.
 */
static int
start(rs_server *s, const char *tag, const char *cert, const char *key,
    const char *client_ca)
{
	mr_tls_files tls = {.ca = client_ca, .cert = cert, .key = key};
	int port = free_port();
	char url[64];

	snprintf(url, sizeof(url), "tls+tcp://localhost:%d", port);
	rs_start_tls(s, tag, url, &tls);
	return port;
}

/* mr_client_open at `url` with these TLS files (NULL: none). */
static mr_status
open_client(mr_client **c, const char *url, const char *ca, const char *cert,
    const char *key)
{
	mr_client_options o = {.token = rs_token_for(url, NULL),
	    .timeout_ms = 10000,
	    .tls_ca = ca,
	    .tls_cert = cert,
	    .tls_key = key};

	return mr_client_open(c, url, &o);
}

static void
register_file(mr_client *c, const char *name, const char *path)
{
	mr_register_params p = {.name = name, .version = "1.0.0", .path = path};

	if (mr_register(c, &p, NULL) != MR_OK)
		fail_msg("register %s: %s", name, mr_client_errmsg(c));
}

/* Fails the test unless the last mr_client_open said `part`. */
static void
expect_open_message(const char *part)
{
	if (strstr(mr_client_errmsg(NULL), part) == NULL)
		fail_msg("\"%s\" not in \"%s\"", part, mr_client_errmsg(NULL));
}

static void
test_client_trusting_the_servers_ca_registers_gets_and_pulls(void **state)
{
	rs_server s;
	mr_client *c = NULL;
	mr_version *v = NULL;
	char *src, *dest;

	(void)state;
	start(&s, "tls-ok", certs.server, certs.server_key, NULL);
	src = rs_path(s.dir, "model.bin");
	dest = rs_path(s.dir, "pulled.bin");
	rs_write_random(src, 300000, 7, 0644);
	if (open_client(&c, s.url, certs.ca, NULL, NULL) != MR_OK)
		fail_msg("open %s: %s", s.url, mr_client_errmsg(NULL));
	register_file(c, "fraud", src);
	assert_int_equal(
	    mr_get_version(c, "fraud", "1.0.0", MR_STAGE_NONE, &v), MR_OK);
	assert_string_equal(v->version, "1.0.0");
	assert_int_equal(
	    mr_pull(c, "fraud", "1.0.0", MR_STAGE_NONE, dest, NULL, NULL),
	    MR_OK);
	assert_true(rs_same_file(src, dest));
	mr_version_free(v);
	mr_client_close(c);
	free(src);
	free(dest);
	rs_finish(&s);
}

static void
test_client_trusting_another_ca_is_refused_with_a_reason(void **state)
{
	rs_server s;
	mr_client *c = NULL;

	(void)state;
	start(&s, "tls-other-ca", certs.server, certs.server_key, NULL);
	assert_int_equal(
	    open_client(&c, s.url, certs.other_ca, NULL, NULL), MR_UNAVAILABLE);
	assert_null(c);
	expect_open_message("TLS handshake failed");
	expect_open_message(certs.other_ca);
	rs_finish(&s);
}

static void
test_server_certificate_for_another_host_is_refused(void **state)
{
	rs_server s;
	mr_client *c = NULL;

	(void)state;
	start(&s, "tls-elsewhere", certs.elsewhere, certs.elsewhere_key, NULL);
	assert_int_equal(
	    open_client(&c, s.url, certs.ca, NULL, NULL), MR_UNAVAILABLE);
	expect_open_message("not issued for the URL's host");
	rs_finish(&s);
}

static void
test_plain_tcp_client_of_a_tls_listener_is_refused(void **state)
{
	rs_server s;
	mr_client *c = NULL;
	char url[64];

	(void)state;
	snprintf(url, sizeof(url), "tcp://localhost:%d",
	    start(&s, "tls-plain", certs.server, certs.server_key, NULL));
	assert_int_equal(
	    open_client(&c, url, NULL, NULL, NULL), MR_UNAVAILABLE);
	expect_open_message("is it a tls+tcp:// server?");
	rs_finish(&s);
}

static void
test_tls_url_needs_a_ca_and_takes_it_from_the_environment(void **state)
{
	rs_server s;
	mr_client *c = NULL;

	(void)state;
	start(&s, "tls-env", certs.server, certs.server_key, NULL);
	unsetenv("MODELREG_TLS_CA");
	assert_int_equal(
	    open_client(&c, s.url, NULL, NULL, NULL), MR_INVALID_ARGUMENT);
	expect_open_message("MODELREG_TLS_CA");
	setenv("MODELREG_TLS_CA", certs.ca, 1);
	if (open_client(&c, s.url, NULL, NULL, NULL) != MR_OK)
		fail_msg(
		    "open with $MODELREG_TLS_CA: %s", mr_client_errmsg(NULL));
	unsetenv("MODELREG_TLS_CA");
	mr_client_close(c);
	rs_finish(&s);
}

static void
test_client_ca_admits_only_clients_with_a_certificate_it_signed(void **state)
{
	rs_server s;
	mr_client *c = NULL;
	mr_model_list *l = NULL;

	(void)state;
	start(&s, "tls-mutual", certs.server, certs.server_key, certs.ca);
	assert_int_equal(
	    open_client(&c, s.url, certs.ca, NULL, NULL), MR_UNAVAILABLE);
	expect_open_message("require a client certificate");
	assert_int_equal(open_client(&c, s.url, certs.ca, certs.stranger,
	                     certs.stranger_key),
	    MR_UNAVAILABLE);
	expect_open_message("TLS handshake failed");
	assert_int_equal(open_client(&c, s.url, certs.ca, certs.client, NULL),
	    MR_INVALID_ARGUMENT);
	if (open_client(&c, s.url, certs.ca, certs.client, certs.client_key) !=
	    MR_OK)
		fail_msg("open with a client certificate: %s",
		    mr_client_errmsg(NULL));
	assert_int_equal(mr_list_models(c, NULL, &l), MR_OK);
	mr_model_list_free(l);
	mr_client_close(c);
	rs_finish(&s);
}

static void
test_watch_over_tls_delivers_a_published_event(void **state)
{
	rs_server s;
	mr_client *c = NULL;
	mr_watch *w = NULL;
	mr_event *ev = NULL;
	watch_stats st;
	char *src;

	(void)state;
	/* Client certificates required: the SUB socket must present one. */
	start(&s, "tls-watch", certs.server, certs.server_key, certs.ca);
	src = rs_path(s.dir, "w.bin");
	rs_write_random(src, 3000, 11, 0644);
	if (open_client(&c, s.url, certs.ca, certs.client, certs.client_key) !=
	    MR_OK)
		fail_msg("open: %s", mr_client_errmsg(NULL));
	if (mr_watch_open(c, NULL, MR_WATCH_NOW, &w) != MR_OK)
		fail_msg("watch: %s", mr_client_errmsg(c));
	assert_non_null(strstr(watch_url(w), "tls+tcp://localhost:"));
	register_file(c, "watched", src);
	if (mr_watch_next(w, 10000, &ev) != MR_OK)
		fail_msg("watch_next: %s", mr_client_errmsg(c));
	assert_string_equal(ev->model, "watched");
	/* The feed (revisions only, as reads need tokens) came over TLS and
	 * rang: the event was then read from the log with the token. */
	watch_get_stats(w, &st);
	assert_true(st.heartbeats > 0);
	assert_int_equal(st.from_feed, 0);
	assert_true(st.from_log >= 1);
	mr_event_free(ev);
	mr_watch_close(w);
	mr_client_close(c);
	free(src);
	rs_finish(&s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(
	        test_client_trusting_the_servers_ca_registers_gets_and_pulls),
	    cmocka_unit_test(
	        test_client_trusting_another_ca_is_refused_with_a_reason),
	    cmocka_unit_test(
	        test_server_certificate_for_another_host_is_refused),
	    cmocka_unit_test(
	        test_plain_tcp_client_of_a_tls_listener_is_refused),
	    cmocka_unit_test(
	        test_tls_url_needs_a_ca_and_takes_it_from_the_environment),
	    cmocka_unit_test(
	        test_client_ca_admits_only_clients_with_a_certificate_it_signed),
	    cmocka_unit_test(test_watch_over_tls_delivers_a_published_event),
	};

	return cmocka_run_group_tests(tests, make_certs, remove_certs);
}
