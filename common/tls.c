/*
 * tls.c - TLS configurations from PEM files, and listening and dialing
 * with them (see tls.h).
 *
 * nng's TLS engine (mbedTLS in Debian's libnng1) does the work; this only
 * builds its configuration. nng_tls_config_cert_key_file wants the
 * certificate and the key in one file, so the two files are read here
 * and handed over as strings (the key is wiped from memory after).
 *
 * A client makes one configuration per dial, because the name the
 * server's certificate must carry is the host of the URL dialed, and a
 * configuration cannot change once a connection has used it. nng's own
 * TLS dialer would set that name too, but only on the configuration it
 * makes itself, which ours replaces.
 *
 * What failures look like to a client with nng 1.5.2 and mbedTLS 2.28
 * (TLS 1.2): a server certificate not signed by the CA, or not for the
 * host dialed, and a client certificate the server does not trust, fail
 * the handshake with NNG_ECRYPTO (NNG_EPEERAUTH for some alerts); no
 * client certificate where one is required, and a plain tcp:// client of
 * a TLS listener, get NNG_ECONNSHUT. mbedTLS 2.28 matches the host
 * only against the certificate's DNS names, never its IP addresses: dial
 * the name the certificate was issued for (tls+tcp://localhost:7878, not
 * tls+tcp://127.0.0.1:7878), or list the address as a DNS name too.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "tls.h"

bool
mr_tls_url(const char *url)
{
	return strncmp(url, "tls+tcp://", 10) == 0 ||
	    strncmp(url, "tls+tcp4://", 11) == 0 ||
	    strncmp(url, "tls+tcp6://", 11) == 0;
}

/* The whole of a PEM file, NUL-terminated, into *out (malloc'd). */
static mr_status
read_pem(const char *what, const char *path, char **out, size_t *len, mr_err *e)
{
	FILE *f = fopen(path, "re");
	struct stat st;
	char *buf;
	size_t n;

	if (f == NULL)
		return mr_fail(e, MR_INVALID_ARGUMENT, "%s %s: %s", what, path,
		    strerror(errno));
	if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode) ||
	    st.st_size > MR_TLS_PEM_MAX) {
		fclose(f);
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "%s %s: not a regular file of at most %u bytes", what, path,
		    MR_TLS_PEM_MAX);
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		fclose(f);
		return mr_fail(e, MR_RESOURCE_EXHAUSTED, "out of memory");
	}
	n = fread(buf, 1, (size_t)st.st_size, f);
	buf[n] = '\0';
	fclose(f);
	*out = buf;
	*len = n;
	return MR_OK;
}

/* f->cert and f->key as our own certificate. */
static mr_status
own_cert(nng_tls_config *cfg, const mr_tls_files *f, mr_err *e)
{
	char *cert = NULL, *key = NULL;
	size_t cert_len, key_len = 0;
	mr_status rv;
	int err;

	if ((rv = read_pem("certificate", f->cert, &cert, &cert_len, e)) !=
	        MR_OK ||
	    (rv = read_pem("key", f->key, &key, &key_len, e)) != MR_OK)
		goto done;
	if ((err = nng_tls_config_own_cert(cfg, cert, key, NULL)) != 0)
		rv = mr_fail(e, MR_INVALID_ARGUMENT,
		    "certificate %s with key %s: %s (PEM, matching, and the "
		    "key not encrypted?)",
		    f->cert, f->key, nng_strerror(err));
done:
	if (key != NULL)
		explicit_bzero(key, key_len);
	free(key);
	free(cert);
	return rv;
}

static mr_status
ca_file(nng_tls_config *cfg, const char *path, mr_err *e)
{
	int err = nng_tls_config_ca_file(cfg, path);

	if (err == 0)
		return MR_OK;
	return mr_fail(e, MR_INVALID_ARGUMENT, "CA file %s: %s", path,
	    err == NNG_ECRYPTO ? "no PEM certificate in it"
	                       : nng_strerror(err));
}

mr_status
mr_tls_server_config(nng_tls_config **out, const mr_tls_files *f, mr_err *e)
{
	nng_tls_config *cfg;
	mr_status rv;
	int err;

	if (f->cert == NULL || f->key == NULL)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "a server certificate needs its key, and a key its "
		    "certificate");
	if ((err = nng_tls_config_alloc(&cfg, NNG_TLS_MODE_SERVER)) != 0)
		return mr_fail(
		    e, MR_INTERNAL, "no TLS in nng: %s", nng_strerror(err));
	if ((rv = own_cert(cfg, f, e)) != MR_OK ||
	    (f->ca != NULL && (rv = ca_file(cfg, f->ca, e)) != MR_OK))
		goto err_config;
	err = nng_tls_config_auth_mode(cfg,
	    f->ca != NULL ? NNG_TLS_AUTH_MODE_REQUIRED
	                  : NNG_TLS_AUTH_MODE_NONE);
	if (err != 0) {
		rv = mr_fail(
		    e, MR_INTERNAL, "TLS auth mode: %s", nng_strerror(err));
		goto err_config;
	}
	*out = cfg;
	return MR_OK;

err_config:
	nng_tls_config_free(cfg);
	return rv;
}

int
mr_tls_listen(
    nng_socket s, const char *url, nng_tls_config *tls, nng_listener *out)
{
	nng_listener l;
	int err;

	if (!mr_tls_url(url))
		return nng_listen(s, url, out, 0);
	if (tls == NULL)
		return NNG_EINVAL;
	if ((err = nng_listener_create(&l, s, url)) != 0)
		return err;
	if ((err = nng_listener_set_ptr(l, NNG_OPT_TLS_CONFIG, tls)) != 0 ||
	    (err = nng_listener_start(l, 0)) != 0) {
		nng_listener_close(l);
		return err;
	}
	*out = l;
	return 0;
}

/* A client's configuration for dialing `url`. */
static mr_status
client_config(
    nng_tls_config **out, const char *url, const mr_tls_files *f, mr_err *e)
{
	nng_tls_config *cfg;
	nng_url *u;
	mr_status rv;
	int err;

	if (f == NULL || f->ca == NULL)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "%s is TLS: no CA file to verify the server's "
		    "certificate with (tls_ca, $MODELREG_TLS_CA; modelreg "
		    "--ca)",
		    url);
	if ((f->cert == NULL) != (f->key == NULL))
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "a client certificate needs its key, and a key its "
		    "certificate");
	if ((err = nng_url_parse(&u, url)) != 0)
		return mr_fail(
		    e, MR_INVALID_ARGUMENT, "%s: %s", url, nng_strerror(err));
	if ((err = nng_tls_config_alloc(&cfg, NNG_TLS_MODE_CLIENT)) != 0) {
		nng_url_free(u);
		return mr_fail(
		    e, MR_INTERNAL, "no TLS in nng: %s", nng_strerror(err));
	}
	err = nng_tls_config_server_name(cfg, u->u_hostname);
	if (err == 0)
		err = nng_tls_config_auth_mode(cfg, NNG_TLS_AUTH_MODE_REQUIRED);
	nng_url_free(u);
	if (err != 0) {
		rv = mr_fail(
		    e, MR_INTERNAL, "TLS configuration: %s", nng_strerror(err));
		goto err_config;
	}
	if ((rv = ca_file(cfg, f->ca, e)) != MR_OK ||
	    (f->cert != NULL && (rv = own_cert(cfg, f, e)) != MR_OK))
		goto err_config;
	*out = cfg;
	return MR_OK;

err_config:
	nng_tls_config_free(cfg);
	return rv;
}

static mr_status
dial_fail(const char *url, const mr_tls_files *f, int err, mr_err *e)
{
	bool tls = mr_tls_url(url);

	if (err == NNG_EADDRINVAL || err == NNG_ENOTSUP || err == NNG_EINVAL)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "cannot connect to %s: %s", url, nng_strerror(err));
	if (tls && (err == NNG_ECRYPTO || err == NNG_EPEERAUTH))
		return mr_fail(e, MR_UNAVAILABLE,
		    "cannot connect to %s: TLS handshake failed (%s): either "
		    "the server's certificate is not signed by %s or not "
		    "issued for the URL's host, or the server wants a client "
		    "certificate%s%s",
		    url, nng_strerror(err), f->ca,
		    f->cert != NULL ? " other than " : "",
		    f->cert != NULL ? f->cert : "");
	/* The peer hung up during the handshake; nng tells no more. */
	if (err == NNG_ECONNSHUT)
		return mr_fail(e, MR_UNAVAILABLE,
		    "cannot connect to %s: %s during the handshake (%s)", url,
		    nng_strerror(err),
		    tls ? "does the server require a client certificate?"
			: "is it a tls+tcp:// server?");
	return mr_fail(e, MR_UNAVAILABLE, "cannot connect to %s: %s", url,
	    nng_strerror(err));
}

mr_status
mr_tls_dial(nng_socket s, const char *url, const mr_tls_files *f, int flags,
    nng_dialer *out, mr_err *e)
{
	nng_tls_config *cfg = NULL;
	nng_dialer d;
	mr_status rv;
	int err;

	if (!mr_tls_url(url)) {
		if ((err = nng_dial(s, url, &d, flags)) != 0)
			return dial_fail(url, f, err, e);
		if (out != NULL)
			*out = d;
		return MR_OK;
	}
	if ((rv = client_config(&cfg, url, f, e)) != MR_OK)
		return rv;
	if ((err = nng_dialer_create(&d, s, url)) != 0) {
		nng_tls_config_free(cfg);
		return dial_fail(url, f, err, e);
	}
	/* The dialer holds the configuration from here on. */
	err = nng_dialer_set_ptr(d, NNG_OPT_TLS_CONFIG, cfg);
	nng_tls_config_free(cfg);
	if (err == 0)
		err = nng_dialer_start(d, flags);
	if (err != 0) {
		nng_dialer_close(d);
		return dial_fail(url, f, err, e);
	}
	if (out != NULL)
		*out = d;
	return MR_OK;
}
