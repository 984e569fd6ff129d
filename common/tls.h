/*
 * tls.h - nng's tls+tcp:// transport for modelregd's listeners and the
 * client's dialers (tls.c).
 *
 * Every socket of either side listens or dials through these, so that a
 * tls+tcp:// URL gets its TLS configuration wherever a URL is used: the
 * server's REP and PUB sockets, the client's REQ and SUB sockets. Other
 * URLs go to nng_listen and nng_dial as they are.
 */
#ifndef MR_TLS_H
#define MR_TLS_H

#include <stdbool.h>

#include <nng/nng.h>
#include <nng/supplemental/tls/tls.h>

#include "common.h" /* mr_tls_files */

/* A PEM file larger than this is refused: certificates and keys are a
 * few KiB, a chain a few tens. */
#define MR_TLS_PEM_MAX (1u << 20)

/* Whether `url` is tls+tcp://, tls+tcp4:// or tls+tcp6://. */
bool mr_tls_url(const char *url);

/*
 * A server's TLS configuration: f->cert and f->key (both needed) are
 * what it presents; with f->ca, clients must present a certificate that
 * it signed (NNG_TLS_AUTH_MODE_REQUIRED), else none is asked for.
 * MR_INVALID_ARGUMENT, naming the file, if one cannot be read or used.
 * Free with nng_tls_config_free.
 */
mr_status mr_tls_server_config(
    nng_tls_config **out, const mr_tls_files *f, mr_err *e);

/*
 * nng_listen(s, url, out, 0), except that a tls+tcp:// URL is served
 * with `tls` (NNG_EINVAL if it is NULL). Returns an nng error.
 */
int mr_tls_listen(
    nng_socket s, const char *url, nng_tls_config *tls, nng_listener *out);

/*
 * nng_dial(s, url, out, flags), except that a tls+tcp:// URL is dialed
 * with a configuration made from `f` for this dial: the server's
 * certificate must be signed by f->ca (needed) and name the URL's host;
 * f->cert and f->key, if given, are presented when the server asks.
 * *out (may be NULL) gets the dialer, on success only.
 * MR_INVALID_ARGUMENT for a URL or a file that cannot be used,
 * MR_UNAVAILABLE when the connection or its TLS handshake fails.
 */
mr_status mr_tls_dial(nng_socket s, const char *url, const mr_tls_files *f,
    int flags, nng_dialer *out, mr_err *e);

#endif /* MR_TLS_H */
