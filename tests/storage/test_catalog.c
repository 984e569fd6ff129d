/*
 * test_catalog.c - tests of storage/catalog.c on a real store: models and
 * versions round trip; a version record comes back without its files' chunk
 * lists while its manifest keeps them (and the caller's message is not
 * changed by the stripping); version scans follow semantic version
 * precedence both ways, with `after` exclusive whether or not it exists,
 * stop when the callback says so, and never cross into a model whose name
 * extends the scanned one ("a" vs "a.b" vs "ab"); the stage index follows
 * stage changes so a scan by stage returns exactly that stage's versions;
 * latest-version lookups by stage and overall; model scans by name with
 * `after`; and NOT_FOUND messages that name the model and version.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storetest.h"

enum {
	DEV = MODELREG__V1__STAGE__STAGE_DEV,
	STAGING = MODELREG__V1__STAGE__STAGE_STAGING,
	PRODUCTION = MODELREG__V1__STAGE__STAGE_PRODUCTION,
	ARCHIVED = MODELREG__V1__STAGE__STAGE_ARCHIVED,
};

/* ---- helpers ------------------------------------------------------------ */

static mr_semver
sv(const char *text)
{
	mr_semver v;

	if (mr_semver_parse(text, &v, NULL) != MR_OK)
		fail_msg("bad version %s", text);
	return v;
}

static store_txn *
begin(store *s)
{
	store_txn *t = NULL;
	mr_err e;

	if (store_txn_begin(s, &t, &e) != MR_OK)
		fail_msg("begin: %s", e.msg);
	return t;
}

static void
stage_version(store_txn *t, const char *name, const char *version, int stage,
    int old_stage)
{
	mr_pb_version v = MODELREG__V1__MODEL_VERSION__INIT;
	mr_pb_version old;
	mr_err e;

	v.name = (char *)name;
	v.version = (char *)version;
	v.stage = (Modelreg__V1__Stage)stage;
	v.created_by = (char *)"tester";
	old = v;
	old.stage = (Modelreg__V1__Stage)old_stage;
	mr_err_clear(&e);
	if (store_txn_put_version(t, &v, old_stage != 0 ? &old : NULL, &e) !=
	    MR_OK)
		fail_msg("put_version %s %s: %s", name, version, e.msg);
}

/* Commits one version at `stage`, moved from `old_stage`. */
static void
put_version(
    store *s, const char *name, const char *version, int stage, int old_stage)
{
	store_txn *t = begin(s);

	stage_version(t, name, version, stage, old_stage);
	st_commit(t);
}

static void
put_model(store *s, const char *name)
{
	mr_pb_model m = MODELREG__V1__MODEL__INIT;
	store_txn *t = begin(s);
	mr_err e;

	m.name = (char *)name;
	if (store_txn_put_model(t, &m, &e) != MR_OK)
		fail_msg("put_model: %s", e.msg);
	st_commit(t);
}

#define SEEN_MAX 32

struct seen {
	char what[SEEN_MAX][MR_VERSION_MAX + 1];
	int stage[SEEN_MAX];
	size_t n;
	size_t stop_at; /* stop after this many; 0: never */
};

static int
see_version(void *arg, mr_pb_version *v)
{
	struct seen *s = arg;

	if (s->n < SEEN_MAX) {
		snprintf(s->what[s->n], sizeof(s->what[0]), "%s", v->version);
		s->stage[s->n] = (int)v->stage;
	}
	s->n++;
	protobuf_c_message_free_unpacked(&v->base, NULL);
	return s->stop_at != 0 && s->n >= s->stop_at;
}

static int
see_model(void *arg, mr_pb_model *m)
{
	struct seen *s = arg;

	if (s->n < SEEN_MAX)
		snprintf(s->what[s->n], sizeof(s->what[0]), "%s", m->name);
	s->n++;
	protobuf_c_message_free_unpacked(&m->base, NULL);
	return s->stop_at != 0 && s->n >= s->stop_at;
}

static void
assert_seen(const struct seen *s, const char *const *want, size_t n)
{
	if (s->n != n)
		fail_msg("saw %zu records, want %zu (first: %s)", s->n, n,
		    s->n > 0 ? s->what[0] : "-");
	for (size_t i = 0; i < n; i++)
		if (strcmp(s->what[i], want[i]) != 0)
			fail_msg("record %zu is %s, want %s", i, s->what[i],
			    want[i]);
}

#define ASSERT_SEEN(s, ...)                                                    \
	do {                                                                   \
		const char *const w_[] = {__VA_ARGS__};                        \
		assert_seen((s), w_, sizeof(w_) / sizeof(w_[0]));              \
	} while (0)

/* Scans `name`'s versions; `after` NULL for none. */
static struct seen
scan(store *s, const char *name, int stage, const char *after, bool descending)
{
	struct seen seen;
	mr_semver a;
	mr_err e;

	memset(&seen, 0, sizeof(seen));
	if (after != NULL)
		a = sv(after);
	mr_err_clear(&e);
	if (store_scan_versions(s, name, stage, after != NULL ? &a : NULL,
	        descending, see_version, &seen, &e) != MR_OK)
		fail_msg("scan: %s", e.msg);
	return seen;
}

/* The section 11 list and neighbours, in precedence order. */
static const char *const ordered[] = {
    "0.1.0",
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
    "3.9.0",
    "3.10.0",
    "10.0.0",
};
#define NORDERED (sizeof(ordered) / sizeof(ordered[0]))

/* Registers `ordered` under `name` in a scrambled order, in dev. */
static void
put_ordered(store *s, const char *name)
{
	store_txn *t = begin(s);

	/* 5 is coprime with 12: every index once, far from sorted. */
	for (size_t i = 0; i < NORDERED; i++)
		stage_version(t, name, ordered[(i * 5 + 3) % NORDERED], DEV, 0);
	st_commit(t);
}

/* ---- models and versions ------------------------------------------------ */

static void
test_put_then_get_model_round_trips(void **state)
{
	st_fix *f = *state;
	mr_pb_model m = MODELREG__V1__MODEL__INIT, *got = NULL;
	Modelreg__V1__Model__TagsEntry tag =
	    MODELREG__V1__MODEL__TAGS_ENTRY__INIT;
	Modelreg__V1__Model__TagsEntry *tags[1] = {&tag};
	store_txn *t = begin(f->s);
	mr_err e;

	m.name = (char *)"fraud";
	m.description = (char *)"d\xc3\xa9tecteur";
	m.owner = (char *)"risk";
	tag.key = (char *)"team";
	tag.value = (char *)"ml";
	m.n_tags = 1;
	m.tags = tags;
	m.version_count = 4;
	m.latest_version = (char *)"1.2.0";
	m.production_version = (char *)"1.1.0";
	m.revision = 42;
	m.created_at_ms = 1705312800000LL;
	assert_int_equal(store_txn_put_model(t, &m, &e), MR_OK);
	st_commit(t);

	assert_int_equal(store_get_model(f->s, "fraud", &got, &e), MR_OK);
	assert_string_equal(got->name, "fraud");
	assert_string_equal(got->description, "d\xc3\xa9tecteur");
	assert_string_equal(got->owner, "risk");
	assert_int_equal(got->n_tags, 1);
	assert_string_equal(got->tags[0]->key, "team");
	assert_string_equal(got->tags[0]->value, "ml");
	assert_int_equal(got->version_count, 4);
	assert_string_equal(got->latest_version, "1.2.0");
	assert_string_equal(got->production_version, "1.1.0");
	assert_int_equal(got->revision, 42);
	assert_int_equal(got->created_at_ms, 1705312800000LL);
	protobuf_c_message_free_unpacked(&got->base, NULL);
}

static void
test_get_missing_model_is_not_found_naming_it(void **state)
{
	st_fix *f = *state;
	mr_pb_model *got = NULL;
	mr_err e;

	put_model(f->s, "fraud");
	mr_err_clear(&e);
	assert_int_equal(
	    store_get_model(f->s, "fraud2", &got, &e), MR_NOT_FOUND);
	assert_null(got);
	assert_int_equal(e.code, MR_NOT_FOUND);
	assert_non_null(strstr(e.msg, "\"fraud2\""));
	/* A prefix of an existing name is another name. */
	assert_int_equal(store_get_model(f->s, "frau", &got, &e), MR_NOT_FOUND);
	assert_non_null(strstr(e.msg, "\"frau\""));
}

static void
test_put_then_get_version_round_trips(void **state)
{
	st_fix *f = *state;
	mr_pb_version v = MODELREG__V1__MODEL_VERSION__INIT, *got = NULL;
	Modelreg__V1__Metadata md = MODELREG__V1__METADATA__INIT;
	mr_semver ver = sv("2.1.0-rc.1");
	store_txn *t = begin(f->s);
	mr_err e;

	v.name = (char *)"fraud";
	v.version = (char *)"2.1.0-rc.1";
	v.stage = MODELREG__V1__STAGE__STAGE_STAGING;
	v.description = (char *)"candidate";
	md.framework = (char *)"xgboost";
	v.metadata = &md;
	v.created_by = (char *)"alice";
	v.created_revision = 17;
	v.displaced_version = (char *)"2.0.0";
	v.ever_production = 1;
	assert_int_equal(store_txn_put_version(t, &v, NULL, &e), MR_OK);
	st_commit(t);

	assert_int_equal(
	    store_get_version(f->s, "fraud", &ver, &got, &e), MR_OK);
	assert_string_equal(got->name, "fraud");
	assert_string_equal(got->version, "2.1.0-rc.1");
	assert_int_equal(got->stage, STAGING);
	assert_string_equal(got->description, "candidate");
	assert_non_null(got->metadata);
	assert_string_equal(got->metadata->framework, "xgboost");
	assert_string_equal(got->created_by, "alice");
	assert_int_equal(got->created_revision, 17);
	assert_string_equal(got->displaced_version, "2.0.0");
	assert_true(got->ever_production);
	assert_null(got->manifest);
	protobuf_c_message_free_unpacked(&got->base, NULL);
}

static void
test_put_version_with_unparsable_version_is_invalid_argument(void **state)
{
	st_fix *f = *state;
	mr_pb_version v = MODELREG__V1__MODEL_VERSION__INIT;
	store_txn *t = begin(f->s);
	mr_err e;

	v.name = (char *)"fraud";
	v.version = (char *)"1.0";
	mr_err_clear(&e);
	assert_int_equal(
	    store_txn_put_version(t, &v, NULL, &e), MR_INVALID_ARGUMENT);
	store_txn_abort(t);
}

static void
test_get_missing_version_is_not_found_naming_model_and_version(void **state)
{
	st_fix *f = *state;
	mr_pb_version *got = NULL;
	mr_pb_manifest *man = NULL;
	mr_semver v = sv("1.2.3-rc.1");
	mr_semver other = sv("1.2.3");
	mr_err e;

	put_version(f->s, "a", "1.2.3-rc.1", DEV, 0);
	mr_err_clear(&e);
	assert_int_equal(
	    store_get_version(f->s, "a", &other, &got, &e), MR_NOT_FOUND);
	assert_null(got);
	assert_non_null(strstr(e.msg, "1.2.3"));
	assert_non_null(strstr(e.msg, "\"a\""));
	/* The same version under a model whose name extends "a". */
	mr_err_clear(&e);
	assert_int_equal(
	    store_get_version(f->s, "ab", &v, &got, &e), MR_NOT_FOUND);
	assert_non_null(strstr(e.msg, "1.2.3-rc.1"));
	assert_non_null(strstr(e.msg, "\"ab\""));
	/* A version without a stored manifest has none. */
	mr_err_clear(&e);
	assert_int_equal(
	    store_get_manifest(f->s, "a", &v, &man, &e), MR_NOT_FOUND);
	assert_null(man);
	assert_non_null(strstr(e.msg, "1.2.3-rc.1"));
	assert_non_null(strstr(e.msg, "\"a\""));
	/* And the present one is found. */
	assert_int_equal(store_get_version(f->s, "a", &v, &got, &e), MR_OK);
	protobuf_c_message_free_unpacked(&got->base, NULL);
}

static void
test_version_record_has_no_chunk_lists_while_manifest_has(void **state)
{
	st_fix *f = *state;
	Modelreg__V1__ChunkRef c[4] = {MODELREG__V1__CHUNK_REF__INIT,
	    MODELREG__V1__CHUNK_REF__INIT, MODELREG__V1__CHUNK_REF__INIT,
	    MODELREG__V1__CHUNK_REF__INIT};
	Modelreg__V1__ChunkRef *c0[3] = {&c[0], &c[1], &c[2]};
	Modelreg__V1__ChunkRef *c1[1] = {&c[3]};
	Modelreg__V1__FileEntry fe[2] = {
	    MODELREG__V1__FILE_ENTRY__INIT, MODELREG__V1__FILE_ENTRY__INIT};
	Modelreg__V1__FileEntry *files[2] = {&fe[0], &fe[1]};
	mr_pb_manifest man = MODELREG__V1__MANIFEST__INIT, *gm = NULL;
	mr_pb_version v = MODELREG__V1__MODEL_VERSION__INIT, *gv = NULL;
	uint8_t digests[6][MR_DIGEST_LEN];
	mr_semver ver = sv("1.0.0");
	store_txn *t;
	mr_err e;

	for (int i = 0; i < 6; i++)
		memset(digests[i], 0x10 + i, MR_DIGEST_LEN);
	for (int i = 0; i < 4; i++) {
		c[i].offset = i < 3 ? (uint64_t)i << 20 : 0;
		c[i].length = i == 3 ? 100 : 1u << 20;
		c[i].digest.data = digests[i];
		c[i].digest.len = MR_DIGEST_LEN;
	}
	fe[0].path = (char *)"model/weights.bin";
	fe[0].size = 3u << 20;
	fe[0].digest.data = digests[4];
	fe[0].digest.len = MR_DIGEST_LEN;
	fe[0].mode = 0644;
	fe[0].n_chunks = 3;
	fe[0].chunks = c0;
	fe[1].path = (char *)"model/config.json";
	fe[1].size = 100;
	fe[1].digest.data = digests[5];
	fe[1].digest.len = MR_DIGEST_LEN;
	fe[1].mode = 0755;
	fe[1].n_chunks = 1;
	fe[1].chunks = c1;
	man.format = 1;
	man.directory = 1;
	man.n_files = 2;
	man.files = files;
	man.total_size = (3u << 20) + 100;
	man.chunk_count = 4;
	v.name = (char *)"m";
	v.version = (char *)"1.0.0";
	v.stage = MODELREG__V1__STAGE__STAGE_DEV;
	v.manifest = &man;

	t = begin(f->s);
	assert_int_equal(store_txn_put_version(t, &v, NULL, &e), MR_OK);
	assert_int_equal(store_txn_put_manifest(t, "m", &ver, &man, &e), MR_OK);
	st_commit(t);
	/* Stripping the record did not touch the caller's message. */
	assert_ptr_equal(v.manifest, &man);
	assert_ptr_equal(man.files, files);
	assert_int_equal(fe[0].n_chunks, 3);
	assert_ptr_equal(fe[0].chunks, c0);
	assert_int_equal(fe[1].n_chunks, 1);

	assert_int_equal(store_get_version(f->s, "m", &ver, &gv, &e), MR_OK);
	assert_non_null(gv->manifest);
	assert_int_equal(gv->manifest->n_files, 2);
	assert_int_equal(gv->manifest->total_size, (3u << 20) + 100);
	assert_int_equal(gv->manifest->chunk_count, 4);
	assert_true(gv->manifest->directory);
	for (int i = 0; i < 2; i++) {
		Modelreg__V1__FileEntry *g = gv->manifest->files[i];
		assert_string_equal(g->path, fe[i].path);
		assert_int_equal(g->size, fe[i].size);
		assert_int_equal(g->mode, fe[i].mode);
		assert_int_equal(g->digest.len, MR_DIGEST_LEN);
		assert_memory_equal(
		    g->digest.data, digests[4 + i], MR_DIGEST_LEN);
		assert_int_equal(g->n_chunks, 0);
	}
	protobuf_c_message_free_unpacked(&gv->base, NULL);

	assert_int_equal(store_get_manifest(f->s, "m", &ver, &gm, &e), MR_OK);
	assert_int_equal(gm->n_files, 2);
	assert_int_equal(gm->files[0]->n_chunks, 3);
	assert_int_equal(gm->files[1]->n_chunks, 1);
	for (int i = 0; i < 3; i++) {
		Modelreg__V1__ChunkRef *g = gm->files[0]->chunks[i];
		assert_int_equal(g->offset, (uint64_t)i << 20);
		assert_int_equal(g->length, 1u << 20);
		assert_memory_equal(g->digest.data, digests[i], MR_DIGEST_LEN);
	}
	assert_int_equal(gm->files[1]->chunks[0]->length, 100);
	assert_memory_equal(
	    gm->files[1]->chunks[0]->digest.data, digests[3], MR_DIGEST_LEN);
	protobuf_c_message_free_unpacked(&gm->base, NULL);
}

/* ---- version scans ------------------------------------------------------ */

static void
test_scan_versions_ascending_follows_precedence(void **state)
{
	st_fix *f = *state;
	struct seen s;

	put_ordered(f->s, "m");
	s = scan(f->s, "m", 0, NULL, false);
	assert_seen(&s, ordered, NORDERED);
}

static void
test_scan_versions_descending_follows_precedence(void **state)
{
	st_fix *f = *state;
	const char *rev[NORDERED];
	struct seen s;

	for (size_t i = 0; i < NORDERED; i++)
		rev[i] = ordered[NORDERED - 1 - i];
	put_ordered(f->s, "m");
	s = scan(f->s, "m", 0, NULL, true);
	assert_seen(&s, rev, NORDERED);
}

static void
test_scan_versions_after_is_exclusive_ascending(void **state)
{
	st_fix *f = *state;
	struct seen s;

	put_ordered(f->s, "m");
	s = scan(f->s, "m", 0, "1.0.0-rc.1", false);
	ASSERT_SEEN(&s, "1.0.0", "3.9.0", "3.10.0", "10.0.0");
	/* An `after` that is not stored starts at the next one. */
	s = scan(f->s, "m", 0, "1.0.0-beta.3", false);
	ASSERT_SEEN(&s, "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "3.9.0",
	    "3.10.0", "10.0.0");
	s = scan(f->s, "m", 0, "0.0.1", false);
	assert_seen(&s, ordered, NORDERED);
	s = scan(f->s, "m", 0, "10.0.0", false);
	assert_int_equal(s.n, 0);
	s = scan(f->s, "m", 0, "99.0.0", false);
	assert_int_equal(s.n, 0);
}

static void
test_scan_versions_after_is_exclusive_descending(void **state)
{
	st_fix *f = *state;
	struct seen s;

	put_ordered(f->s, "m");
	s = scan(f->s, "m", 0, "1.0.0-alpha.beta", true);
	ASSERT_SEEN(&s, "1.0.0-alpha.1", "1.0.0-alpha", "0.1.0");
	s = scan(f->s, "m", 0, "3.10.0", true);
	ASSERT_SEEN(&s, "3.9.0", "1.0.0", "1.0.0-rc.1", "1.0.0-beta.11",
	    "1.0.0-beta.2", "1.0.0-beta", "1.0.0-alpha.beta", "1.0.0-alpha.1",
	    "1.0.0-alpha", "0.1.0");
	/* Not stored: starts at the one below. */
	s = scan(f->s, "m", 0, "1.0.0-alpha.0", true);
	ASSERT_SEEN(&s, "1.0.0-alpha", "0.1.0");
	s = scan(f->s, "m", 0, "99.0.0", true);
	assert_int_equal(s.n, NORDERED);
	assert_string_equal(s.what[0], "10.0.0");
	s = scan(f->s, "m", 0, "0.1.0", true);
	assert_int_equal(s.n, 0);
	s = scan(f->s, "m", 0, "0.0.1", true);
	assert_int_equal(s.n, 0);
}

static void
test_scan_versions_stops_when_the_callback_says_so(void **state)
{
	st_fix *f = *state;
	struct seen s;
	mr_err e;

	put_ordered(f->s, "m");
	memset(&s, 0, sizeof(s));
	s.stop_at = 3;
	assert_int_equal(
	    store_scan_versions(f->s, "m", 0, NULL, false, see_version, &s, &e),
	    MR_OK);
	ASSERT_SEEN(&s, "0.1.0", "1.0.0-alpha", "1.0.0-alpha.1");
}

static void
test_scan_versions_never_crosses_into_another_model(void **state)
{
	st_fix *f = *state;
	struct seen s;

	/* "a" sorts before "a.b" before "ab"; "a" and "ab" have one
	 * version each beyond what "a.b" holds. */
	put_version(f->s, "a", "1.0.0", DEV, 0);
	put_version(f->s, "a", "2.0.0", PRODUCTION, 0);
	put_version(f->s, "a.b", "1.5.0", DEV, 0);
	put_version(f->s, "a.b", "3.0.0", PRODUCTION, 0);
	put_version(f->s, "ab", "0.1.0", DEV, 0);
	put_version(f->s, "ab", "9.0.0", PRODUCTION, 0);
	put_version(f->s, "b", "1.0.0", DEV, 0);

	s = scan(f->s, "a", 0, NULL, false);
	ASSERT_SEEN(&s, "1.0.0", "2.0.0");
	s = scan(f->s, "a", 0, NULL, true);
	ASSERT_SEEN(&s, "2.0.0", "1.0.0");
	s = scan(f->s, "a.b", 0, NULL, false);
	ASSERT_SEEN(&s, "1.5.0", "3.0.0");
	s = scan(f->s, "ab", 0, NULL, true);
	ASSERT_SEEN(&s, "9.0.0", "0.1.0");
	s = scan(f->s, "a", PRODUCTION, NULL, false);
	ASSERT_SEEN(&s, "2.0.0");
	s = scan(f->s, "a", PRODUCTION, NULL, true);
	ASSERT_SEEN(&s, "2.0.0");
	s = scan(f->s, "a", 0, "2.0.0", false);
	assert_int_equal(s.n, 0);
	s = scan(f->s, "ab", 0, "0.1.0", true);
	assert_int_equal(s.n, 0);
	s = scan(f->s, "nosuch", 0, NULL, false);
	assert_int_equal(s.n, 0);
	s = scan(f->s, "nosuch", 0, NULL, true);
	assert_int_equal(s.n, 0);
}

/* ---- stage index -------------------------------------------------------- */

static void
assert_stage_holds(
    store *s, const char *name, int stage, const char *const *want, size_t n)
{
	struct seen seen = scan(s, name, stage, NULL, false);

	assert_seen(&seen, want, n);
	for (size_t i = 0; i < seen.n; i++)
		assert_int_equal(seen.stage[i], stage);
}

#define ASSERT_STAGE(s, name, stage, ...)                                      \
	do {                                                                   \
		const char *const w_[] = {__VA_ARGS__};                        \
		assert_stage_holds(                                            \
		    (s), (name), (stage), w_, sizeof(w_) / sizeof(w_[0]));     \
	} while (0)
#define ASSERT_STAGE_EMPTY(s, name, stage)                                     \
	assert_int_equal(scan((s), (name), (stage), NULL, false).n, 0)

static void
test_stage_index_follows_stage_changes(void **state)
{
	st_fix *f = *state;

	put_version(f->s, "m", "1.0.0", DEV, 0);
	put_version(f->s, "m", "1.1.0", DEV, 0);
	put_version(f->s, "m", "1.2.0-rc.1", DEV, 0);
	put_version(f->s, "m", "2.0.0", STAGING, 0);
	ASSERT_STAGE(f->s, "m", DEV, "1.0.0", "1.1.0", "1.2.0-rc.1");
	ASSERT_STAGE(f->s, "m", STAGING, "2.0.0");
	ASSERT_STAGE_EMPTY(f->s, "m", PRODUCTION);
	ASSERT_STAGE_EMPTY(f->s, "m", ARCHIVED);

	/* Promote 1.1.0, then replace it in production with 2.0.0 and
	 * archive it, all in one transaction. */
	put_version(f->s, "m", "1.1.0", PRODUCTION, DEV);
	ASSERT_STAGE(f->s, "m", DEV, "1.0.0", "1.2.0-rc.1");
	ASSERT_STAGE(f->s, "m", PRODUCTION, "1.1.0");
	{
		store_txn *t = begin(f->s);
		stage_version(t, "m", "2.0.0", PRODUCTION, STAGING);
		stage_version(t, "m", "1.1.0", ARCHIVED, PRODUCTION);
		stage_version(t, "m", "1.0.0", ARCHIVED, DEV);
		st_commit(t);
	}
	ASSERT_STAGE(f->s, "m", DEV, "1.2.0-rc.1");
	ASSERT_STAGE_EMPTY(f->s, "m", STAGING);
	ASSERT_STAGE(f->s, "m", PRODUCTION, "2.0.0");
	ASSERT_STAGE(f->s, "m", ARCHIVED, "1.0.0", "1.1.0");

	/* A rewrite in the same stage (old_stage == stage) keeps one
	 * entry; the unfiltered scan still has every version once. */
	put_version(f->s, "m", "2.0.0", PRODUCTION, PRODUCTION);
	ASSERT_STAGE(f->s, "m", PRODUCTION, "2.0.0");
	{
		struct seen s = scan(f->s, "m", 0, NULL, false);
		ASSERT_SEEN(&s, "1.0.0", "1.1.0", "1.2.0-rc.1", "2.0.0");
	}
	/* Back from archived. */
	put_version(f->s, "m", "1.1.0", PRODUCTION, ARCHIVED);
	ASSERT_STAGE(f->s, "m", PRODUCTION, "1.1.0", "2.0.0");
	ASSERT_STAGE(f->s, "m", ARCHIVED, "1.0.0");
}

static void
test_scan_by_stage_honours_after_and_direction(void **state)
{
	st_fix *f = *state;
	struct seen s;

	put_version(f->s, "m", "1.0.0", ARCHIVED, 0);
	put_version(f->s, "m", "1.1.0", DEV, 0);
	put_version(f->s, "m", "1.2.0", ARCHIVED, 0);
	put_version(f->s, "m", "1.3.0", ARCHIVED, 0);
	put_version(f->s, "m", "1.4.0", DEV, 0);
	s = scan(f->s, "m", ARCHIVED, NULL, true);
	ASSERT_SEEN(&s, "1.3.0", "1.2.0", "1.0.0");
	s = scan(f->s, "m", ARCHIVED, "1.2.0", false);
	ASSERT_SEEN(&s, "1.3.0");
	s = scan(f->s, "m", ARCHIVED, "1.2.0", true);
	ASSERT_SEEN(&s, "1.0.0");
	s = scan(f->s, "m", ARCHIVED, "1.1.0", false);
	ASSERT_SEEN(&s, "1.2.0", "1.3.0");
	s = scan(f->s, "m", DEV, "1.4.0", false);
	assert_int_equal(s.n, 0);
}

static void
test_latest_version_overall_and_by_stage(void **state)
{
	st_fix *f = *state;
	mr_pb_version *v = NULL;
	mr_err e;

	put_version(f->s, "m", "3.9.0", PRODUCTION, 0);
	put_version(f->s, "m", "3.10.0-rc.1", STAGING, 0);
	put_version(f->s, "m", "3.10.0-beta", STAGING, 0);
	put_version(f->s, "m", "1.0.0", ARCHIVED, 0);
	put_version(f->s, "m.x", "99.0.0", PRODUCTION, 0);

	assert_int_equal(store_latest_version(f->s, "m", 0, &v, &e), MR_OK);
	assert_string_equal(v->version, "3.10.0-rc.1");
	protobuf_c_message_free_unpacked(&v->base, NULL);
	assert_int_equal(
	    store_latest_version(f->s, "m", PRODUCTION, &v, &e), MR_OK);
	assert_string_equal(v->version, "3.9.0");
	assert_int_equal(v->stage, PRODUCTION);
	protobuf_c_message_free_unpacked(&v->base, NULL);
	assert_int_equal(
	    store_latest_version(f->s, "m", STAGING, &v, &e), MR_OK);
	assert_string_equal(v->version, "3.10.0-rc.1");
	protobuf_c_message_free_unpacked(&v->base, NULL);

	/* After a promotion, production's latest moves. */
	put_version(f->s, "m", "3.10.0-rc.1", PRODUCTION, STAGING);
	assert_int_equal(
	    store_latest_version(f->s, "m", PRODUCTION, &v, &e), MR_OK);
	assert_string_equal(v->version, "3.10.0-rc.1");
	protobuf_c_message_free_unpacked(&v->base, NULL);
	assert_int_equal(
	    store_latest_version(f->s, "m", STAGING, &v, &e), MR_OK);
	assert_string_equal(v->version, "3.10.0-beta");
	protobuf_c_message_free_unpacked(&v->base, NULL);
}

static void
test_latest_version_of_empty_stage_or_model_is_not_found(void **state)
{
	st_fix *f = *state;
	mr_pb_version *v = NULL;
	mr_err e;

	put_version(f->s, "m", "1.0.0", DEV, 0);
	mr_err_clear(&e);
	assert_int_equal(
	    store_latest_version(f->s, "m", PRODUCTION, &v, &e), MR_NOT_FOUND);
	assert_null(v);
	assert_non_null(strstr(e.msg, "\"m\""));
	assert_non_null(strstr(e.msg, "production"));
	mr_err_clear(&e);
	assert_int_equal(
	    store_latest_version(f->s, "m.x", 0, &v, &e), MR_NOT_FOUND);
	assert_null(v);
	assert_non_null(strstr(e.msg, "\"m.x\""));
}

/* ---- model scans -------------------------------------------------------- */

static void
test_scan_models_by_name_with_after_exclusive(void **state)
{
	st_fix *f = *state;
	struct seen s;
	mr_err e;

	put_model(f->s, "b");
	put_model(f->s, "ab");
	put_model(f->s, "a");
	put_model(f->s, "c");
	put_model(f->s, "a.b");
	/* Versions live in the same family; they must not show up. */
	put_version(f->s, "a", "1.0.0", DEV, 0);

	memset(&s, 0, sizeof(s));
	assert_int_equal(
	    store_scan_models(f->s, NULL, see_model, &s, &e), MR_OK);
	ASSERT_SEEN(&s, "a", "a.b", "ab", "b", "c");

	memset(&s, 0, sizeof(s));
	assert_int_equal(
	    store_scan_models(f->s, "a", see_model, &s, &e), MR_OK);
	ASSERT_SEEN(&s, "a.b", "ab", "b", "c");

	memset(&s, 0, sizeof(s));
	assert_int_equal(
	    store_scan_models(f->s, "aa", see_model, &s, &e), MR_OK);
	ASSERT_SEEN(&s, "ab", "b", "c");

	memset(&s, 0, sizeof(s));
	assert_int_equal(
	    store_scan_models(f->s, "c", see_model, &s, &e), MR_OK);
	assert_int_equal(s.n, 0);

	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	assert_int_equal(
	    store_scan_models(f->s, NULL, see_model, &s, &e), MR_OK);
	ASSERT_SEEN(&s, "a", "a.b");
}

static void
test_scan_models_of_empty_store_sees_nothing(void **state)
{
	st_fix *f = *state;
	struct seen s;
	mr_err e;

	memset(&s, 0, sizeof(s));
	/* Only versions: still no models. */
	put_version(f->s, "a", "1.0.0", DEV, 0);
	assert_int_equal(
	    store_scan_models(f->s, NULL, see_model, &s, &e), MR_OK);
	assert_int_equal(s.n, 0);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, st_setup, st_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    T(test_put_then_get_model_round_trips),
	    T(test_get_missing_model_is_not_found_naming_it),
	    T(test_put_then_get_version_round_trips),
	    T(test_put_version_with_unparsable_version_is_invalid_argument),
	    T(test_get_missing_version_is_not_found_naming_model_and_version),
	    T(test_version_record_has_no_chunk_lists_while_manifest_has),
	    T(test_scan_versions_ascending_follows_precedence),
	    T(test_scan_versions_descending_follows_precedence),
	    T(test_scan_versions_after_is_exclusive_ascending),
	    T(test_scan_versions_after_is_exclusive_descending),
	    T(test_scan_versions_stops_when_the_callback_says_so),
	    T(test_scan_versions_never_crosses_into_another_model),
	    T(test_stage_index_follows_stage_changes),
	    T(test_scan_by_stage_honours_after_and_direction),
	    T(test_latest_version_overall_and_by_stage),
	    T(test_latest_version_of_empty_stage_or_model_is_not_found),
	    T(test_scan_models_by_name_with_after_exclusive),
	    T(test_scan_models_of_empty_store_sees_nothing),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
