/*
 * benchutil.c - see benchutil.h.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nng/nng.h>
#include <nng/protocol/reqrep0/rep.h>
#include <nng/protocol/reqrep0/req.h>

#include "benchutil.h"
#include "gen.h"
#include "modelreg.h"
#include "svc.h"

int
bench_free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = 0;

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	if (fd >= 0)
		close(fd);
	return port;
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

double
bench_quantile_us(uint64_t *ns, size_t n, double q)
{
	if (n == 0)
		return 0;
	qsort(ns, n, sizeof(*ns), cmp_u64);
	return (double)ns[(size_t)((double)(n - 1) * q)] / 1e3;
}

/* ---- the echo server: nng's async demo, replying fixed sizes ---------- */

struct echo_work {
	enum { ECHO_RECV, ECHO_SEND } state;
	nng_aio *aio;
	nng_ctx ctx;
	size_t reply_size;
	const uint8_t *reply_bytes;
};

struct bench_echo {
	nng_socket sock;
	struct echo_work work[BENCH_ECHO_WORKERS];
	uint8_t *bytes;
};

static void
echo_cb(void *arg)
{
	struct echo_work *w = arg;
	nng_msg *m;

	switch (w->state) {
	case ECHO_RECV:
		if (nng_aio_result(w->aio) != 0)
			return; /* closed */
		m = nng_aio_get_msg(w->aio);
		nng_msg_clear(m);
		nng_msg_append(m, w->reply_bytes, w->reply_size);
		nng_aio_set_msg(w->aio, m);
		w->state = ECHO_SEND;
		nng_ctx_send(w->ctx, w->aio);
		break;
	case ECHO_SEND:
		if (nng_aio_result(w->aio) != 0) {
			nng_msg_free(nng_aio_get_msg(w->aio));
			return;
		}
		w->state = ECHO_RECV;
		nng_ctx_recv(w->ctx, w->aio);
		break;
	}
}

bench_echo *
bench_echo_start(const char *url, size_t reply_size)
{
	bench_echo *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return NULL;
	e->bytes = calloc(1, reply_size ? reply_size : 1);
	tu_fill_weights(e->bytes, reply_size, 9);
	nng_rep0_open(&e->sock);
	nng_socket_set_size(e->sock, NNG_OPT_RECVMAXSZ, MR_WIRE_MAX);
	for (int i = 0; i < BENCH_ECHO_WORKERS; i++) {
		struct echo_work *w = &e->work[i];
		w->reply_size = reply_size;
		w->reply_bytes = e->bytes;
		nng_aio_alloc(&w->aio, echo_cb, w);
		nng_ctx_open(&w->ctx, e->sock);
		w->state = ECHO_RECV;
		nng_ctx_recv(w->ctx, w->aio);
	}
	if (nng_listen(e->sock, url, NULL, 0) != 0) {
		bench_echo_stop(e);
		return NULL;
	}
	return e;
}

void
bench_echo_stop(bench_echo *e)
{
	if (e == NULL)
		return;
	nng_close(e->sock);
	for (int i = 0; i < BENCH_ECHO_WORKERS; i++)
		nng_aio_free(e->work[i].aio);
	free(e->bytes);
	free(e);
}

/* ---- its client ------------------------------------------------------- */

int
bench_req_dial(nng_socket *out, const char *url)
{
	nng_socket s;
	int rv;

	if ((rv = nng_req0_open(&s)) != 0)
		return rv;
	nng_socket_set_size(s, NNG_OPT_RECVMAXSZ, MR_WIRE_MAX);
	if ((rv = nng_dial(s, url, NULL, 0)) != 0) {
		nng_close(s);
		return rv;
	}
	*out = s;
	return 0;
}

int
bench_req_call(nng_socket s, const void *req, size_t len)
{
	void *buf;
	size_t n;
	int rv;

	if ((rv = nng_send(s, (void *)req, len, 0)) != 0 ||
	    (rv = nng_recv(s, &buf, &n, NNG_FLAG_ALLOC)) != 0)
		return rv;
	nng_free(buf, n);
	return 0;
}

void
bench_token_store(store *st)
{
	Modelreg__V1__Grant g = MODELREG__V1__GRANT__INIT;
	char token[SVC_TOKEN_LEN + 1];
	mr_err e;

	g.role = MODELREG__V1__ROLE__ROLE_ADMIN;
	g.models = "*";
	if (svc_token_mint(st, "bench", "bench", &g, token, &e) != MR_OK) {
		fprintf(stderr, "bench: making a token: %s\n", e.msg);
		exit(1);
	}
	setenv("MODELREG_TOKEN", token, 1);
}

void
bench_token_file(const char *path)
{
	char token[256] = "";
	FILE *f = fopen(path, "r");

	if (f == NULL || fgets(token, sizeof(token), f) == NULL) {
		fprintf(stderr, "bench: no token in %s\n", path);
		exit(1);
	}
	fclose(f);
	token[strcspn(token, "\n")] = '\0';
	setenv("MODELREG_TOKEN", token, 1);
}

const char *
bench_token(void)
{
	const char *t = getenv("MODELREG_TOKEN");

	return t != NULL ? t : "";
}
