/*
 * test_rpc.c - the transport (client/rpc.c) over real nng sockets: status
 * mapping, transport failures, envelopes, and windows of calls.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common.h"
#include "fake_server.h"
#include "registry.pb-c.h"
#include "rpc.h"
#include "ctutil.h"

typedef struct fixture {
	fake_server *srv;
	rpc *r;
	const char *url;
} fixture;

static int
setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	mr_err e;

	f->url = ct_url();
	f->srv = fake_start(f->url);
	assert_non_null(f->srv);
	assert_int_equal(rpc_open(&f->r, f->url, "alice", "tok", 2000, &e),
	    MR_OK);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	fixture *f = *state;

	rpc_close(f->r);
	fake_stop(f->srv);
	free(f);
	return 0;
}

static mr_status
get_model(rpc *r, const char *name, Modelreg__V1__GetModelResponse **resp,
    mr_err *e)
{
	Modelreg__V1__GetModelRequest req =
	    MODELREG__V1__GET_MODEL_REQUEST__INIT;

	req.name = (char *)name;
	return rpc_call(r, "/modelreg.v1.Registry/GetModel", &req.base, false,
	    &modelreg__v1__get_model_response__descriptor,
	    (ProtobufCMessage **)resp, e);
}

static mr_status
promote(rpc *r, mr_err *e)
{
	Modelreg__V1__PromoteRequest req = MODELREG__V1__PROMOTE_REQUEST__INIT;
	Modelreg__V1__PromoteResponse *resp;
	mr_status rv;

	req.name = "fraud";
	req.version = "1.0.0";
	req.to_stage = MODELREG__V1__STAGE__STAGE_STAGING;
	rv = rpc_call(r, "/modelreg.v1.Registry/Promote", &req.base, true,
	    &modelreg__v1__promote_response__descriptor,
	    (ProtobufCMessage **)&resp, e);
	if (rv == MR_OK)
		protobuf_c_message_free_unpacked(&resp->base, NULL);
	return rv;
}

static void
test_rpc_dead_address_is_unavailable_fast_naming_the_url(void **state)
{
	const char *url = "ipc:///nonexistent/modelreg-test.sock";
	uint64_t t0 = mr_mono_ns();
	rpc *r = NULL;
	mr_err e;

	(void)state;
	assert_int_equal(rpc_open(&r, url, "u", NULL, 1000, &e),
	    MR_UNAVAILABLE);
	assert_null(r);
	assert_true(mr_mono_ns() - t0 < 500000000u);
	assert_non_null(strstr(e.msg, url));
	assert_int_equal(rpc_open(&r, "tcp://127.0.0.1:1", "u", NULL, 1000,
			     &e),
	    MR_UNAVAILABLE);
	assert_non_null(strstr(e.msg, "refused"));
}

static void
test_rpc_url_nng_cannot_parse_is_invalid_argument(void **state)
{
	rpc *r = NULL;
	mr_err e;

	(void)state;
	assert_int_equal(rpc_open(&r, "nonsense://x", "u", NULL, 1000, &e),
	    MR_INVALID_ARGUMENT);
	assert_non_null(strstr(e.msg, "nonsense://x"));
}

static void
test_rpc_call_returns_the_unpacked_response(void **state)
{
	fixture *f = *state;
	Modelreg__V1__GetModelResponse *resp;
	mr_err e;

	assert_int_equal(get_model(f->r, "fraud", &resp, &e), MR_OK);
	assert_string_equal(resp->model->name, "fraud");
	protobuf_c_message_free_unpacked(&resp->base, NULL);
}

static void
test_rpc_server_status_and_message_are_kept(void **state)
{
	fixture *f = *state;
	Modelreg__V1__GetModelResponse *resp = NULL;
	mr_err e;

	fake_knobs_of(f->srv)->fail_code = MR_FAILED_PRECONDITION;
	fake_knobs_of(f->srv)->fail_message = "version 3.1.0 is in dev";
	assert_int_equal(get_model(f->r, "fraud", &resp, &e),
	    MR_FAILED_PRECONDITION);
	assert_string_equal(e.msg, "version 3.1.0 is in dev");
	assert_null(resp);
	fake_knobs_of(f->srv)->fail_message = NULL;
	fake_knobs_of(f->srv)->fail_code = MR_NOT_FOUND;
	assert_int_equal(get_model(f->r, "fraud", &resp, &e), MR_NOT_FOUND);
	assert_string_equal(e.msg, "the server gave no reason");
}

static void
test_rpc_status_code_outside_the_set_is_unknown(void **state)
{
	fixture *f = *state;
	Modelreg__V1__GetModelResponse *resp;
	mr_err e;

	fake_knobs_of(f->srv)->fail_code = (mr_status)99;
	fake_knobs_of(f->srv)->fail_message = "from the future";
	assert_int_equal(get_model(f->r, "fraud", &resp, &e), MR_UNKNOWN);
	assert_string_equal(e.msg, "from the future");
}

static void
test_rpc_slow_server_is_deadline_exceeded(void **state)
{
	fixture *f = *state;
	Modelreg__V1__GetModelResponse *resp;
	rpc *quick;
	mr_err e;

	assert_int_equal(rpc_open(&quick, f->url, "u", NULL, 100, &e), MR_OK);
	fake_knobs_of(f->srv)->delay_ms = 400;
	assert_int_equal(get_model(quick, "fraud", &resp, &e),
	    MR_DEADLINE_EXCEEDED);
	assert_non_null(strstr(e.msg, "GetModel"));
	assert_non_null(strstr(e.msg, "100 ms"));
	assert_non_null(strstr(e.msg, f->url));
	rpc_close(quick);
	/* The late answer must not be taken for the next call's. */
	fake_knobs_of(f->srv)->delay_ms = 0;
	assert_int_equal(get_model(f->r, "other", &resp, &e), MR_OK);
	assert_string_equal(resp->model->name, "other");
	protobuf_c_message_free_unpacked(&resp->base, NULL);
}

static void
test_rpc_garbage_reply_is_internal(void **state)
{
	fixture *f = *state;
	Modelreg__V1__GetModelResponse *resp;
	mr_err e;

	fake_knobs_of(f->srv)->garbage_reply = true;
	assert_int_equal(get_model(f->r, "fraud", &resp, &e), MR_INTERNAL);
	assert_non_null(strstr(e.msg, "not a modelreg.v1.Response"));
}

static void
test_rpc_payload_of_the_wrong_type_is_internal(void **state)
{
	fixture *f = *state;
	Modelreg__V1__GetModelRequest req =
	    MODELREG__V1__GET_MODEL_REQUEST__INIT;
	ProtobufCMessage *resp;
	mr_err e;

	/* A GetModelResponse read as a ListEventsResponse: field 1 of
	 * the Event there is a varint, of the Model here a string. */
	req.name = "fraud";
	assert_int_equal(rpc_call(f->r, "/modelreg.v1.Registry/GetModel",
			     &req.base, false,
			     &modelreg__v1__list_events_response__descriptor,
			     &resp, &e),
	    MR_INTERNAL);
}

static void
test_rpc_mutation_carries_a_fresh_idempotency_key(void **state)
{
	fixture *f = *state;
	const fake_stats *st = fake_stats_of(f->srv);
	Modelreg__V1__GetModelResponse *resp;
	char first[160];
	mr_err e;

	assert_int_equal(promote(f->r, &e), MR_OK);
	assert_int_equal(strlen(st->last_key), RPC_KEY_LEN);
	assert_int_equal(strspn(st->last_key, "0123456789abcdef"),
	    RPC_KEY_LEN);
	strcpy(first, st->last_key);
	assert_int_equal(promote(f->r, &e), MR_OK);
	assert_string_not_equal(first, st->last_key);
	assert_int_equal(rpc_revision(f->r), st->revision);
	assert_int_equal(get_model(f->r, "fraud", &resp, &e), MR_OK);
	assert_string_equal(st->last_key, "");
	protobuf_c_message_free_unpacked(&resp->base, NULL);
}

static void
test_rpc_envelope_carries_user_and_deadline(void **state)
{
	fixture *f = *state;
	const fake_stats *st = fake_stats_of(f->srv);
	Modelreg__V1__GetModelResponse *resp;
	int64_t before = mr_now_ms();
	mr_err e;

	assert_int_equal(get_model(f->r, "fraud", &resp, &e), MR_OK);
	protobuf_c_message_free_unpacked(&resp->base, NULL);
	assert_string_equal(st->last_method, "/modelreg.v1.Registry/GetModel");
	assert_string_equal(st->last_user, "alice");
	assert_true((int64_t)st->last_deadline_ms >= before + 2000);
	assert_true((int64_t)st->last_deadline_ms <= mr_now_ms() + 2000);
}

/* Waits for the oldest call of `w`, which must be the one tagged `want`. */
static void
wait_for(rpc_window *w, uintptr_t want, const char *name)
{
	Modelreg__V1__GetModelResponse *resp;
	uintptr_t tag;
	mr_err e;

	assert_int_equal(rpc_window_wait(w,
			     &modelreg__v1__get_model_response__descriptor,
			     (ProtobufCMessage **)&resp, &tag, &e),
	    MR_OK);
	assert_int_equal(tag, want);
	assert_string_equal(resp->model->name, name);
	protobuf_c_message_free_unpacked(&resp->base, NULL);
}

static void
test_rpc_window_completes_calls_in_start_order(void **state)
{
	fixture *f = *state;
	char names[10][16];
	uintptr_t waited = 0;
	rpc_window *w;
	mr_err e;

	assert_int_equal(rpc_window_open(&w, f->r, 4, &e), MR_OK);
	assert_true(rpc_window_empty(w));
	for (uintptr_t i = 0; i < 10; i++) {
		Modelreg__V1__GetModelRequest req =
		    MODELREG__V1__GET_MODEL_REQUEST__INIT;

		snprintf(names[i], sizeof(names[i]), "model-%d", (int)i);
		req.name = names[i];
		if (rpc_window_full(w)) {
			assert_int_equal(i - waited, 4);
			wait_for(w, waited, names[waited]);
			waited++;
		}
		assert_int_equal(rpc_window_start(w,
				     "/modelreg.v1.Registry/GetModel",
				     &req.base, i, &e),
		    MR_OK);
	}
	for (; !rpc_window_empty(w); waited++)
		wait_for(w, waited, names[waited]);
	assert_int_equal(waited, 10);
	rpc_window_close(w);
}

static void
test_rpc_window_close_waits_for_calls_in_flight(void **state)
{
	fixture *f = *state;
	Modelreg__V1__GetModelRequest req =
	    MODELREG__V1__GET_MODEL_REQUEST__INIT;
	Modelreg__V1__GetModelResponse *resp;
	int before = fake_stats_of(f->srv)->requests;
	uint64_t t0;
	rpc_window *w;
	mr_err e;

	req.name = "fraud";
	fake_knobs_of(f->srv)->delay_ms = 50;
	assert_int_equal(rpc_window_open(&w, f->r, 3, &e), MR_OK);
	for (int i = 0; i < 3; i++)
		assert_int_equal(rpc_window_start(w,
				     "/modelreg.v1.Registry/GetModel",
				     &req.base, 0, &e),
		    MR_OK);
	t0 = mr_mono_ns();
	rpc_window_close(w);
	/* The server answers one at a time: three answers, 50 ms each. */
	assert_true(mr_mono_ns() - t0 >= 120000000u);
	assert_int_equal(fake_stats_of(f->srv)->requests, before + 3);
	fake_knobs_of(f->srv)->delay_ms = 0;
	assert_int_equal(get_model(f->r, "after", &resp, &e), MR_OK);
	assert_string_equal(resp->model->name, "after");
	protobuf_c_message_free_unpacked(&resp->base, NULL);
}

static void
test_rpc_request_over_the_message_limit_is_refused_locally(void **state)
{
	fixture *f = *state;
	Modelreg__V1__GetModelRequest req =
	    MODELREG__V1__GET_MODEL_REQUEST__INIT;
	Modelreg__V1__GetModelResponse *resp;
	char *big = malloc(MR_MSG_MAX + 1);
	int before = fake_stats_of(f->srv)->requests;
	mr_err e;

	memset(big, 'x', MR_MSG_MAX);
	big[MR_MSG_MAX] = '\0';
	req.name = big;
	assert_int_equal(rpc_call(f->r, "/modelreg.v1.Registry/GetModel",
			     &req.base, false,
			     &modelreg__v1__get_model_response__descriptor,
			     (ProtobufCMessage **)&resp, &e),
	    MR_RESOURCE_EXHAUSTED);
	assert_int_equal(fake_stats_of(f->srv)->requests, before);
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(
		    test_rpc_dead_address_is_unavailable_fast_naming_the_url),
		cmocka_unit_test(
		    test_rpc_url_nng_cannot_parse_is_invalid_argument),
#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)
		T(test_rpc_call_returns_the_unpacked_response),
		T(test_rpc_server_status_and_message_are_kept),
		T(test_rpc_status_code_outside_the_set_is_unknown),
		T(test_rpc_slow_server_is_deadline_exceeded),
		T(test_rpc_garbage_reply_is_internal),
		T(test_rpc_payload_of_the_wrong_type_is_internal),
		T(test_rpc_mutation_carries_a_fresh_idempotency_key),
		T(test_rpc_envelope_carries_user_and_deadline),
		T(test_rpc_window_completes_calls_in_start_order),
		T(test_rpc_window_close_waits_for_calls_in_flight),
		T(test_rpc_request_over_the_message_limit_is_refused_locally),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
