/*
 * test_dispatch.c - the generic request path: every malformed or
 * unacceptable envelope gets its status and a message and changes
 * nothing; retried mutations are applied once.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admin.pb-c.h"
#include "svctest.h"
#include "testutil.h"

/* Packs an envelope around a payload. */
static uint8_t *
envelope(st_env *env, const char *method, const ProtobufCMessage *payload,
    uint64_t deadline, const char *key, size_t *len)
{
	Modelreg__V1__Request rq = MODELREG__V1__REQUEST__INIT;
	uint8_t *out;

	rq.method = (char *)method;
	rq.auth_token = (char *)st_token(env, env->user);
	rq.deadline_unix_ms = deadline;
	rq.idempotency_key = (char *)(key != NULL ? key : "");
	if (payload != NULL) {
		rq.payload.len = protobuf_c_message_get_packed_size(payload);
		rq.payload.data = malloc(rq.payload.len + 1);
		protobuf_c_message_pack(payload, rq.payload.data);
	}
	*len = modelreg__v1__request__get_packed_size(&rq);
	out = malloc(*len);
	modelreg__v1__request__pack(&rq, out);
	free(rq.payload.data);
	return out;
}

static void
test_garbage_bytes_are_invalid_argument(void **state)
{
	st_env *env = *state;
	const uint8_t junk[] = { 0xff, 0xff, 0xff, 0xff, 0x0f, 0x12, 0x99 };

	assert_int_equal(st_call_raw(env, junk, sizeof(junk), NULL),
	    MR_INVALID_ARGUMENT);
	assert_non_null(strstr(env->last_message, "envelope"));
}

static void
test_empty_message_names_no_method(void **state)
{
	st_env *env = *state;

	assert_int_equal(st_call_raw(env, "", 0, NULL), MR_INVALID_ARGUMENT);
	assert_non_null(strstr(env->last_message, "no method"));
}

static void
test_unknown_method_is_unimplemented(void **state)
{
	st_env *env = *state;
	Modelreg__V1__GetModelRequest rq = MODELREG__V1__GET_MODEL_REQUEST__INIT;
	size_t len;
	uint8_t *b = envelope(env, "/modelreg.v1.Registry/DropTables", &rq.base, 0,
	    NULL, &len);

	assert_int_equal(st_call_raw(env, b, len, NULL), MR_UNIMPLEMENTED);
	assert_non_null(strstr(env->last_message, "DropTables"));
	free(b);
}

static void
test_wrong_payload_type_is_invalid_argument(void **state)
{
	st_env *env = *state;
	Modelreg__V1__PutChunkRequest put = MODELREG__V1__PUT_CHUNK_REQUEST__INIT;
	uint8_t data[4] = { 1, 2, 3, 4 };
	size_t len;
	uint8_t *b;

	/* A PutChunkRequest has fields 3 and 4 (varint, bytes) that
	 * GetModelRequest does not know. */
	put.raw_length = 4;
	put.data.data = data;
	put.data.len = 4;
	b = envelope(env, "/modelreg.v1.Registry/GetModel", &put.base, 0, NULL,
	    &len);
	assert_int_equal(st_call_raw(env, b, len, NULL), MR_INVALID_ARGUMENT);
	assert_non_null(strstr(env->last_message, "unknown field"));
	free(b);
}

static void
test_payload_with_wrong_wire_type_is_invalid_argument(void **state)
{
	st_env *env = *state;
	Modelreg__V1__Request rq = MODELREG__V1__REQUEST__INIT;
	/* Field 1 (name, a string) sent as a varint. */
	uint8_t payload[] = { 0x08, 0x01 };
	uint8_t buf[128];
	size_t len;

	rq.method = "/modelreg.v1.Registry/GetModel";
	rq.payload.data = payload;
	rq.payload.len = sizeof(payload);
	len = modelreg__v1__request__pack(&rq, buf);
	assert_int_equal(st_call_raw(env, buf, len, NULL), MR_INVALID_ARGUMENT);
	assert_non_null(strstr(env->last_message, "GetModelRequest"));
}

static void
test_expired_deadline_is_deadline_exceeded_and_changes_nothing(void **state)
{
	st_env *env = *state;
	Modelreg__V1__PromoteRequest rq = MODELREG__V1__PROMOTE_REQUEST__INIT;
	uint64_t before;
	size_t len;
	uint8_t *b;

	assert_int_equal(st_register(env, "m", "1.0.0", 100), MR_OK);
	before = store_revision(env->st);
	rq.name = "m";
	rq.version = "1.0.0";
	rq.to_stage = MODELREG__V1__STAGE__STAGE_STAGING;
	b = envelope(env, "/modelreg.v1.Registry/Promote", &rq.base,
	    (uint64_t)mr_now_ms() - 1000, NULL, &len);
	assert_int_equal(st_call_raw(env, b, len, NULL), MR_DEADLINE_EXCEEDED);
	assert_int_equal(store_revision(env->st), before);
	assert_int_equal(st_stage(env, "m", "1.0.0"), MR_STAGE_DEV);
	free(b);
}

static void
test_future_deadline_is_served(void **state)
{
	st_env *env = *state;
	Modelreg__V1__GetModelRequest rq = MODELREG__V1__GET_MODEL_REQUEST__INIT;
	size_t len;
	uint8_t *b;

	assert_int_equal(st_register(env, "m", "1.0.0", 100), MR_OK);
	rq.name = "m";
	b = envelope(env, "/modelreg.v1.Registry/GetModel", &rq.base,
	    (uint64_t)mr_now_ms() + 60000, NULL, &len);
	assert_int_equal(st_call_raw(env, b, len, NULL), MR_OK);
	free(b);
}

static void
test_oversized_request_is_resource_exhausted(void **state)
{
	st_env *env = *state;
	size_t len = MR_MSG_MAX + 1;
	uint8_t *b = calloc(1, len);

	assert_int_equal(st_call_raw(env, b, len, NULL), MR_RESOURCE_EXHAUSTED);
	assert_non_null(strstr(env->last_message, "limit"));
	free(b);
}

static void
test_decoding_budget_refuses_allocation_bombs(void **state)
{
	st_env *env = *state;
	/* 8 MiB of empty Field messages (2 bytes each on the wire, ~50
	 * bytes each unpacked) inside a Signature inside a request. */
	size_t n = 4u << 20, i = 0;
	uint8_t *sig = malloc(2 * n), *payload, *env_bytes;
	Modelreg__V1__Request rq = MODELREG__V1__REQUEST__INIT;
	size_t plen = 0, len;

	for (size_t k = 0; k < n; k++) {
		sig[i++] = 0x0a; /* Signature.inputs, length-delimited */
		sig[i++] = 0x00;
	}
	payload = malloc(2 * n + 16);
	payload[plen++] = 0x3a; /* RegisterVersionRequest.signature = 7 */
	/* varint of 2n */
	for (size_t v = 2 * n;; v >>= 7) {
		if (v < 0x80) {
			payload[plen++] = (uint8_t)v;
			break;
		}
		payload[plen++] = (uint8_t)(v | 0x80);
	}
	memcpy(payload + plen, sig, 2 * n);
	plen += 2 * n;
	rq.method = "/modelreg.v1.Registry/RegisterVersion";
	rq.payload.data = payload;
	rq.payload.len = plen;
	len = modelreg__v1__request__get_packed_size(&rq);
	env_bytes = malloc(len);
	modelreg__v1__request__pack(&rq, env_bytes);
	assert_int_equal(st_call_raw(env, env_bytes, len, NULL),
	    MR_RESOURCE_EXHAUSTED);
	assert_non_null(strstr(env->last_message, "budget"));
	free(sig);
	free(payload);
	free(env_bytes);
}

static void
test_too_many_metadata_entries_is_invalid_argument(void **state)
{
	st_env *env = *state;
	Modelreg__V1__Request rq = MODELREG__V1__REQUEST__INIT;
	Modelreg__V1__Request__MetadataEntry e[MR_METADATA_MAX + 1];
	Modelreg__V1__Request__MetadataEntry *ep[MR_METADATA_MAX + 1];
	uint8_t *b;
	size_t len;

	for (int i = 0; i <= MR_METADATA_MAX; i++) {
		modelreg__v1__request__metadata_entry__init(&e[i]);
		e[i].key = "k";
		e[i].value = "v";
		ep[i] = &e[i];
	}
	rq.method = "/modelreg.v1.Registry/ListModels";
	rq.n_metadata = MR_METADATA_MAX + 1;
	rq.metadata = ep;
	len = modelreg__v1__request__get_packed_size(&rq);
	b = malloc(len);
	modelreg__v1__request__pack(&rq, b);
	assert_int_equal(st_call_raw(env, b, len, NULL), MR_INVALID_ARGUMENT);
	free(b);
}

static void
test_retried_mutation_with_same_key_is_applied_once(void **state)
{
	st_env *env = *state;
	Modelreg__V1__PromoteRequest rq = MODELREG__V1__PROMOTE_REQUEST__INIT;
	uint64_t first, after_retry;

	assert_int_equal(st_register(env, "m", "1.0.0", 100), MR_OK);
	rq.name = "m";
	rq.version = "1.0.0";
	rq.to_stage = MODELREG__V1__STAGE__STAGE_STAGING;
	assert_int_equal(st_call(env, "Registry/Promote", &rq.base, "key-1",
			     NULL, NULL),
	    MR_OK);
	first = env->last_revision;
	assert_true(first > 0);
	/* Without the key this would fail: 1.0.0 is in staging now. */
	assert_int_equal(st_call(env, "Registry/Promote", &rq.base, "key-1",
			     NULL, NULL),
	    MR_OK);
	after_retry = env->last_revision;
	assert_int_equal(after_retry, first);
	assert_int_equal(store_revision(env->st), first);
	assert_int_equal(st_call(env, "Registry/Promote", &rq.base, "key-2",
			     NULL, NULL),
	    MR_FAILED_PRECONDITION);
}

static void
test_retry_survives_restart(void **state)
{
	st_env *env = *state;
	Modelreg__V1__PromoteRequest rq = MODELREG__V1__PROMOTE_REQUEST__INIT;
	uint64_t first;

	assert_int_equal(st_register(env, "m", "1.0.0", 100), MR_OK);
	rq.name = "m";
	rq.version = "1.0.0";
	rq.to_stage = MODELREG__V1__STAGE__STAGE_STAGING;
	assert_int_equal(st_call(env, "Registry/Promote", &rq.base, "k", NULL,
			     NULL),
	    MR_OK);
	first = env->last_revision;
	st_reopen(env);
	assert_int_equal(st_call(env, "Registry/Promote", &rq.base, "k", NULL,
			     NULL),
	    MR_OK);
	assert_int_equal(env->last_revision, first);
}

static void
test_same_key_for_another_request_is_invalid_argument(void **state)
{
	st_env *env = *state;
	Modelreg__V1__PromoteRequest rq = MODELREG__V1__PROMOTE_REQUEST__INIT;

	assert_int_equal(st_register(env, "m", "1.0.0", 100), MR_OK);
	assert_int_equal(st_register(env, "m", "1.1.0", 100), MR_OK);
	rq.name = "m";
	rq.version = "1.0.0";
	rq.to_stage = MODELREG__V1__STAGE__STAGE_STAGING;
	assert_int_equal(st_call(env, "Registry/Promote", &rq.base, "k", NULL,
			     NULL),
	    MR_OK);
	rq.version = "1.1.0";
	assert_int_equal(st_call(env, "Registry/Promote", &rq.base, "k", NULL,
			     NULL),
	    MR_INVALID_ARGUMENT);
	assert_non_null(strstr(env->last_message, "different request"));
	assert_int_equal(st_stage(env, "m", "1.1.0"), MR_STAGE_DEV);
}

static void
test_failed_mutation_is_not_remembered_under_its_key(void **state)
{
	st_env *env = *state;
	Modelreg__V1__PromoteRequest rq = MODELREG__V1__PROMOTE_REQUEST__INIT;

	rq.name = "m";
	rq.version = "1.0.0";
	rq.to_stage = MODELREG__V1__STAGE__STAGE_STAGING;
	assert_int_equal(st_call(env, "Registry/Promote", &rq.base, "k", NULL,
			     NULL),
	    MR_NOT_FOUND);
	assert_int_equal(st_register(env, "m", "1.0.0", 100), MR_OK);
	assert_int_equal(st_call(env, "Registry/Promote", &rq.base, "k", NULL,
			     NULL),
	    MR_OK);
}

static void
test_overlong_idempotency_key_is_invalid_argument(void **state)
{
	st_env *env = *state;
	Modelreg__V1__PromoteRequest rq = MODELREG__V1__PROMOTE_REQUEST__INIT;
	char key[MR_IDEMPOTENCY_KEY_MAX + 2];

	memset(key, 'k', sizeof(key) - 1);
	key[sizeof(key) - 1] = '\0';
	rq.name = "m";
	rq.version = "1.0.0";
	rq.to_stage = MODELREG__V1__STAGE__STAGE_STAGING;
	assert_int_equal(st_call(env, "Registry/Promote", &rq.base, key, NULL,
			     NULL),
	    MR_INVALID_ARGUMENT);
}

static void
test_backup_without_a_backup_root_is_refused(void **state)
{
	st_env *env = *state;
	Modelreg__V1__BackupRequest rq = MODELREG__V1__BACKUP_REQUEST__INIT;
	char dir[PATH_MAX + 16];

	snprintf(dir, sizeof(dir), "%s/backup", env->dir);
	rq.dir = dir;
	assert_int_equal(
	    st_call(env, "Admin/Backup", &rq.base, NULL, NULL, NULL),
	    MR_FAILED_PRECONDITION);
	assert_non_null(strstr(env->last_message, "--backup-root"));
}

/* Raw payload bytes for `method` in an envelope with alice's token. */
static mr_status
call_payload(st_env *env, const char *method, const uint8_t *pl, size_t n)
{
	Modelreg__V1__Request rq = MODELREG__V1__REQUEST__INIT;
	uint8_t buf[1024];
	size_t len;

	rq.method = (char *)method;
	rq.auth_token = (char *)st_token(env, env->user);
	rq.payload.data = (uint8_t *)pl;
	rq.payload.len = n;
	assert_true(modelreg__v1__request__get_packed_size(&rq) <=
	    sizeof(buf));
	len = modelreg__v1__request__pack(&rq, buf);
	return st_call_raw(env, buf, len, NULL);
}

/*
 * Every string of every request is UTF-8 without NUL: "m\0x" would reach
 * a handler as "m" (protobuf-c keeps the byte and C stops at it), and
 * bytes that are not text are not a name, wherever they are nested.
 */
static void
test_strings_with_nul_or_bad_utf8_are_refused_anywhere(void **state)
{
	st_env *env = *state;
	/* GetModelRequest{name = "m\0x"} */
	const uint8_t nul[] = { 0x0a, 0x03, 'm', 0x00, 'x' };
	/* GetModelRequest{name = "\xc3\x28"} (a broken sequence) */
	const uint8_t utf8[] = { 0x0a, 0x02, 0xc3, 0x28 };
	/* RegisterVersionRequest{tags (field 6) = {"k": "\xff"}}: a map
	 * entry is a nested message of key 1 and value 2. */
	const uint8_t nested[] = { 0x0a, 0x01, 'm', 0x32, 0x06, 0x0a, 0x01,
		'k', 0x12, 0x01, 0xff };
	uint8_t big[4 + 70000];

	assert_int_equal(st_register(env, "m", "1.0.0", 10), MR_OK);
	assert_int_equal(call_payload(env, "/modelreg.v1.Registry/GetModel",
			     nul, sizeof(nul)),
	    MR_INVALID_ARGUMENT);
	assert_non_null(strstr(env->last_message,
	    "GetModelRequest.name is not UTF-8 text without NUL bytes"));
	assert_int_equal(call_payload(env, "/modelreg.v1.Registry/GetModel",
			     utf8, sizeof(utf8)),
	    MR_INVALID_ARGUMENT);
	assert_int_equal(call_payload(env,
			     "/modelreg.v1.Registry/RegisterVersion", nested,
			     sizeof(nested)),
	    MR_INVALID_ARGUMENT);
	assert_non_null(strstr(env->last_message, "value is not UTF-8"));
	/* Over SVC_STRING_MAX: refused whatever the field's own limit. */
	big[0] = 0x0a;
	big[1] = 0x80 | (70000 & 0x7f);
	big[2] = 0x80 | ((70000 >> 7) & 0x7f);
	memset(big + 4, 'a', sizeof(big) - 4);
	big[3] = 70000 >> 14;
	{
		Modelreg__V1__Request rq = MODELREG__V1__REQUEST__INIT;
		uint8_t *buf = malloc(sizeof(big) + 256);
		size_t len;
		rq.method = "/modelreg.v1.Registry/GetModel";
		rq.auth_token = (char *)st_token(env, env->user);
		rq.payload.data = big;
		rq.payload.len = 4 + 70000;
		len = modelreg__v1__request__pack(&rq, buf);
		assert_int_equal(st_call_raw(env, buf, len, NULL),
		    MR_INVALID_ARGUMENT);
		assert_non_null(strstr(env->last_message, "no string may "
							  "exceed 65536"));
		free(buf);
	}
	/* The model is as it was. */
	assert_int_equal(st_stage(env, "m", "1.0.0"), MR_STAGE_DEV);
	/* And a request with no payload at all (a message without fields)
	 * is checked as empty, not read from a null pointer (UBSan). */
	assert_int_equal(call_payload(env, "/modelreg.v1.Watch/Info", NULL, 0),
	    MR_OK);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, st_fixture_setup, \
    st_fixture_teardown)
	const struct CMUnitTest tests[] = {
		T(test_garbage_bytes_are_invalid_argument),
		T(test_empty_message_names_no_method),
		T(test_unknown_method_is_unimplemented),
		T(test_wrong_payload_type_is_invalid_argument),
		T(test_payload_with_wrong_wire_type_is_invalid_argument),
		T(test_strings_with_nul_or_bad_utf8_are_refused_anywhere),
		T(test_expired_deadline_is_deadline_exceeded_and_changes_nothing),
		T(test_future_deadline_is_served),
		T(test_oversized_request_is_resource_exhausted),
		T(test_decoding_budget_refuses_allocation_bombs),
		T(test_too_many_metadata_entries_is_invalid_argument),
		T(test_retried_mutation_with_same_key_is_applied_once),
		T(test_retry_survives_restart),
		T(test_same_key_for_another_request_is_invalid_argument),
		T(test_failed_mutation_is_not_remembered_under_its_key),
		T(test_overlong_idempotency_key_is_invalid_argument),
		T(test_backup_without_a_backup_root_is_refused),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
