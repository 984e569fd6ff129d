/*
 * realserver.c - the real registry in-process for the client's tests
 * (see realserver.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rocksdb/c.h>

#include "keys.h"
#include "realserver.h"
#include "storetest.h"
#include "testutil.h"

/* Few workers: tests keep at most a window of calls in flight. */
#define RS_WORKERS 4

static void
serve(rs_server *s)
{
	const char *urls[] = {s->url};
	svc_options so = {.urls = urls, .n_urls = 1, .workers = RS_WORKERS,
	    .scrub_rate_mib = s->scrub_rate_mib, .gc_grace_ms = s->gc_grace_ms};
	mr_err e;

	mr_err_clear(&e);
	if (store_open(&s->st, s->data, &e) != MR_OK)
		fail_msg("store_open %s: %s", s->data, e.msg);
	if (svc_server_start(&s->srv, s->st, &so, &e) != MR_OK)
		fail_msg("svc_server_start %s: %s", s->url, e.msg);
}

void
rs_start(rs_server *s, const char *tag, const char *url)
{
	memset(s, 0, sizeof(*s));
	tu_mkdtemp(s->dir, tag);
	snprintf(s->data, sizeof(s->data), "%s/data", s->dir);
	if (url != NULL)
		snprintf(s->url, sizeof(s->url), "%s", url);
	else
		snprintf(
		    s->url, sizeof(s->url), "ipc://%s/registry.sock", s->dir);
	s->stores = 1;
	serve(s);
}

void
rs_stop(rs_server *s)
{
	svc_server_stop(s->srv);
	store_close(s->st);
	s->srv = NULL;
	s->st = NULL;
}

void
rs_resume(rs_server *s)
{
	serve(s);
}

void
rs_restart(rs_server *s)
{
	rs_stop(s);
	rs_resume(s);
}

void
rs_replace_store(rs_server *s)
{
	rs_stop(s);
	s->stores++;
	snprintf(s->data, sizeof(s->data), "%s/data-%d", s->dir, s->stores);
	serve(s);
}

void
rs_finish(rs_server *s)
{
	if (s->st != NULL)
		rs_stop(s);
	tu_rmtree(s->dir);
}

int
rs_fixture_setup(void **state, const char *tag)
{
	rs_fixture *f = calloc(1, sizeof(*f));

	rs_start(&f->s, tag, NULL);
	f->c = rs_client(f->s.url, "alice", 30000, 0);
	*state = f;
	return 0;
}

int
rs_fixture_teardown(void **state)
{
	rs_fixture *f = *state;

	mr_client_close(f->c);
	rs_finish(&f->s);
	free(f);
	return 0;
}

mr_client *
rs_client(const char *url, const char *user, int timeout_ms, int window)
{
	mr_client_options o = {
	    .user = user != NULL ? user : "alice",
	    .timeout_ms = timeout_ms,
	    .window = window,
	};
	mr_client *c;

	if (mr_client_open(&c, url, &o) != MR_OK)
		fail_msg("mr_client_open %s: %s", url, mr_client_errmsg(NULL));
	return c;
}

int
rs_damage_chunks(rs_server *s)
{
	int damaged;

	rs_stop(s);
	damaged = st_damage_chunks(s->data);
	rs_resume(s);
	return damaged;
}

void
rs_plant_chunk(rs_server *s, const uint8_t digest[MR_DIGEST_LEN],
    const void *bytes, size_t len)
{
	bool stored = false;
	mr_err e;

	mr_err_clear(&e);
	if (store_put_chunk(s->st, digest, MR_ENC_RAW, (uint32_t)len, bytes,
	        len, &stored, &e) != MR_OK)
		fail_msg("store_put_chunk: %s", e.msg);
	assert_true(stored);
}

void
rs_set_manifest_path(rs_server *s, const char *name, const char *version,
    size_t file, const char *path)
{
	mr_pb_manifest *m;
	store_txn *t;
	mr_semver sv;
	mr_err e;

	mr_err_clear(&e);
	if (mr_semver_parse(version, &sv, &e) != MR_OK ||
	    store_txn_begin(s->st, &t, &e) != MR_OK)
		fail_msg("%s", e.msg);
	if (store_get_manifest(s->st, name, &sv, &m, &e) != MR_OK)
		fail_msg("store_get_manifest: %s", e.msg);
	assert_true(file < m->n_files);
	free(m->files[file]->path);
	m->files[file]->path = strdup(path);
	if (store_txn_put_manifest(t, name, &sv, m, &e) != MR_OK ||
	    store_txn_commit(t, &e) != MR_OK)
		fail_msg("rewriting the manifest: %s", e.msg);
	protobuf_c_message_free_unpacked(&m->base, NULL);
}

/* ---- local files ----------------------------------------------------------
 */

char *
rs_path(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		fail_msg("out of memory");
	return p;
}

void
rs_write_mode(const char *path, const void *data, size_t len, mode_t mode)
{
	tu_write_file(path, data, len);
	if (chmod(path, mode) != 0)
		fail_msg("chmod %s", path);
}

void
rs_write_random(const char *path, size_t size, uint64_t seed, mode_t mode)
{
	uint8_t *buf = malloc(size + 1);

	tu_fill_random(buf, size, seed);
	rs_write_mode(path, buf, size, mode);
	free(buf);
}

bool
rs_same_file(const char *a, const char *b)
{
	size_t la = 0, lb = 0;
	char *x = tu_read_file(a, &la), *y = tu_read_file(b, &lb);
	bool same = x != NULL && y != NULL && la == lb && memcmp(x, y, la) == 0;

	free(x);
	free(y);
	return same;
}

bool
rs_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

void
rs_sha256(const void *data, size_t len, uint8_t out[MR_DIGEST_LEN])
{
	mr_codec *c = mr_codec_create();

	assert_non_null(c);
	mr_sha256(c, data, len, out);
	mr_codec_free(c);
}
