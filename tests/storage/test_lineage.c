/*
 * test_lineage.c - tests of storage/lineage.c on a real store: nodes by
 * id, by kind and version, by kind and name; every edge readable from
 * both ends; dangling references found by what resolves them; deletion
 * removing index entries; and the integrity check catching an edge that
 * lost one of its two keys.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "storetest.h"

#define DATASET MODELREG__V1__NODE_KIND__NODE_KIND_DATASET
#define MODEL MODELREG__V1__NODE_KIND__NODE_KIND_MODEL

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
put_node(store *s, const char *id, int kind, const char *name,
    const char *version)
{
	mr_pb_node n = MODELREG__V1__NODE__INIT;
	store_txn *t = begin(s);
	mr_err e;

	n.id = (char *)id;
	n.kind = (Modelreg__V1__NodeKind)kind;
	n.name = (char *)name;
	n.version = (char *)version;
	assert_int_equal(store_txn_put_node(t, &n, NULL, &e), MR_OK);
	st_commit(t);
}

#define MAX_SEEN 16

struct seen {
	char ids[MAX_SEEN][128];
	int types[MAX_SEEN];
	int fields[MAX_SEEN];
	size_t n;
};

static int
see_edge(void *arg, const char *far, int type)
{
	struct seen *s = arg;

	assert_true(s->n < MAX_SEEN);
	snprintf(s->ids[s->n], sizeof(s->ids[0]), "%s", far);
	s->types[s->n++] = type;
	return 0;
}

static int
see_id(void *arg, const char *id)
{
	return see_edge(arg, id, 0);
}

static int
see_dangling(void *arg, const char *model_id, int field)
{
	struct seen *s = arg;

	see_edge(arg, model_id, 0);
	s->fields[s->n - 1] = field;
	return 0;
}

static void
test_node_round_trips_and_is_found_by_version_and_name(void **state)
{
	st_fix *f = *state;
	struct seen s = { 0 };
	mr_pb_node *n;
	mr_err e;

	put_node(f->s, "dataset:clicks@v7", DATASET, "clicks", "v7");
	put_node(f->s, "dataset:views@v7", DATASET, "views", "v7");
	put_node(f->s, "dataset:clicks@v8", DATASET, "clicks", "v8");
	assert_int_equal(store_get_node(f->s, "dataset:clicks@v7", &n, &e),
	    MR_OK);
	assert_string_equal(n->name, "clicks");
	assert_int_equal(n->kind, DATASET);
	protobuf_c_message_free_unpacked(&n->base, NULL);
	assert_int_equal(store_get_node(f->s, "dataset:nope", &n, &e),
	    MR_NOT_FOUND);
	assert_non_null(strstr(e.msg, "dataset:nope"));

	assert_int_equal(store_find_nodes(f->s, DATASET, true, "v7", see_id, &s,
			     &e),
	    MR_OK);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.ids[0], "dataset:clicks@v7");
	assert_string_equal(s.ids[1], "dataset:views@v7");
	s.n = 0;
	assert_int_equal(store_find_nodes(f->s, DATASET, false, "clicks",
			     see_id, &s, &e),
	    MR_OK);
	assert_int_equal(s.n, 2);
	/* Another kind with the same version is not a match. */
	s.n = 0;
	assert_int_equal(store_find_nodes(f->s, MODEL, true, "v7", see_id, &s,
			     &e),
	    MR_OK);
	assert_int_equal(s.n, 0);
}

static void
test_edges_are_read_from_both_ends(void **state)
{
	st_fix *f = *state;
	struct seen down = { 0 }, up = { 0 };
	store_txn *t;
	mr_err e;
	uint64_t edges = 0;

	put_node(f->s, "dataset:a", DATASET, "a", "");
	put_node(f->s, "dataset:ab", DATASET, "ab", "");
	put_node(f->s, "model:m@1.0.0", MODEL, "m", "1.0.0");
	t = begin(f->s);
	store_txn_put_edge(t, "dataset:a", "model:m@1.0.0", 2);
	store_txn_put_edge(t, "dataset:ab", "model:m@1.0.0", 1);
	st_commit(t);

	/* "a" must not see the edges of "ab", whose id extends it. */
	assert_int_equal(store_scan_edges(f->s, "dataset:a", true, see_edge,
			     &down, &e),
	    MR_OK);
	assert_int_equal(down.n, 1);
	assert_string_equal(down.ids[0], "model:m@1.0.0");
	assert_int_equal(down.types[0], 2);
	assert_int_equal(store_scan_edges(f->s, "model:m@1.0.0", false,
			     see_edge, &up, &e),
	    MR_OK);
	assert_int_equal(up.n, 2);
	/* By type, then by far id. */
	assert_string_equal(up.ids[0], "dataset:ab");
	assert_string_equal(up.ids[1], "dataset:a");
	assert_int_equal(store_lineage_check(f->s, &edges, &e), MR_OK);
	assert_int_equal(edges, 2);

	t = begin(f->s);
	store_txn_delete_edge(t, "dataset:a", "model:m@1.0.0", 2);
	st_commit(t);
	up.n = 0;
	assert_int_equal(store_scan_edges(f->s, "model:m@1.0.0", false,
			     see_edge, &up, &e),
	    MR_OK);
	assert_int_equal(up.n, 1);
}

static void
test_dangling_references_are_found_by_what_resolves_them(void **state)
{
	st_fix *f = *state;
	struct seen s = { 0 };
	store_txn *t = begin(f->s);
	mr_err e;

	store_txn_put_dangling(t, DATASET, "v2024-01", 1, "model:a@1.0.0");
	store_txn_put_dangling(t, DATASET, "v2024-01", 1, "model:b@2.0.0");
	store_txn_put_dangling(t, DATASET, "v2024-011", 1, "model:c@1.0.0");
	st_commit(t);
	assert_int_equal(store_scan_dangling(f->s, DATASET, "v2024-01",
			     see_dangling, &s, &e),
	    MR_OK);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.ids[0], "model:a@1.0.0");
	assert_int_equal(s.fields[0], 1);
	t = begin(f->s);
	store_txn_delete_dangling(t, DATASET, "v2024-01", 1, "model:a@1.0.0");
	st_commit(t);
	s.n = 0;
	assert_int_equal(store_scan_dangling(f->s, DATASET, "v2024-01",
			     see_dangling, &s, &e),
	    MR_OK);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.ids[0], "model:b@2.0.0");
}

static void
test_deleted_node_leaves_its_indexes(void **state)
{
	st_fix *f = *state;
	struct seen s = { 0 };
	mr_pb_node *n;
	store_txn *t;
	mr_err e;

	put_node(f->s, "dataset:x@v1", DATASET, "x", "v1");
	assert_int_equal(store_get_node(f->s, "dataset:x@v1", &n, &e), MR_OK);
	t = begin(f->s);
	assert_int_equal(store_txn_delete_node(t, n, &e), MR_OK);
	st_commit(t);
	protobuf_c_message_free_unpacked(&n->base, NULL);
	assert_int_equal(store_get_node(f->s, "dataset:x@v1", &n, &e),
	    MR_NOT_FOUND);
	assert_int_equal(store_find_nodes(f->s, DATASET, true, "v1", see_id, &s,
			     &e),
	    MR_OK);
	assert_int_equal(store_find_nodes(f->s, DATASET, false, "x", see_id, &s,
			     &e),
	    MR_OK);
	assert_int_equal(s.n, 0);
}

static void
test_check_catches_an_edge_missing_its_mirror_key(void **state)
{
	st_fix *f = *state;
	uint8_t key[KEYS_MAX];
	store_txn *t;
	size_t n;
	st_raw r;
	mr_err e;

	put_node(f->s, "dataset:a", DATASET, "a", "");
	put_node(f->s, "dataset:b", DATASET, "b", "");
	t = begin(f->s);
	store_txn_put_edge(t, "dataset:a", "dataset:b", 1);
	st_commit(t);
	st_close(f);
	st_raw_open(&r, f->dir);
	n = keys_edge(key, KEYS_EDGE_UP, "dataset:b", 1, "dataset:a");
	st_raw_delete(&r, KEYS_CF_LINEAGE, key, n);
	st_raw_close(&r);
	st_open(f);
	assert_int_equal(store_lineage_check(f->s, NULL, &e), MR_DATA_LOSS);
	assert_non_null(strstr(e.msg, "dataset:a -> dataset:b"));
}

static void
test_check_catches_an_edge_to_a_missing_node(void **state)
{
	st_fix *f = *state;
	store_txn *t;
	mr_err e;

	put_node(f->s, "dataset:a", DATASET, "a", "");
	t = begin(f->s);
	store_txn_put_edge(t, "dataset:a", "dataset:ghost", 1);
	st_commit(t);
	assert_int_equal(store_lineage_check(f->s, NULL, &e), MR_DATA_LOSS);
	assert_non_null(strstr(e.msg, "missing node"));
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, st_setup, st_teardown)
	const struct CMUnitTest tests[] = {
		T(test_node_round_trips_and_is_found_by_version_and_name),
		T(test_edges_are_read_from_both_ends),
		T(test_dangling_references_are_found_by_what_resolves_them),
		T(test_deleted_node_leaves_its_indexes),
		T(test_check_catches_an_edge_missing_its_mirror_key),
		T(test_check_catches_an_edge_to_a_missing_node),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
