/*
 * fuzz_dispatch.c - hostile bytes as a whole request: the envelope, then
 * whichever request message its method names, through the real
 * dispatcher and handlers on a real store (a temporary directory made
 * once per run). Every input must get an answer, a well-formed Response,
 * never a crash, a leak or undefined behaviour. fuzz_request reaches each
 * method's request directly; this one is for the envelope itself.
 *
 * Every input gets an admin's token appended as field 4 (auth_token; in
 * protobuf the last occurrence wins), so that envelopes the fuzzer makes
 * reach the handlers; fuzz_request fuzzes who calls.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzzsvc.h"

static svc_worker *g_worker;
static const char *g_token;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	g_worker = fuzz_worker("dispatch");
	g_token = fuzz_token("fuzz", MODELREG__V1__ROLE__ROLE_ADMIN, "*");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *msg = malloc(size + 2 + SVC_TOKEN_LEN);

	if (msg == NULL)
		return 0;
	if (size > 0)
		memcpy(msg, data, size);
	msg[size] = (4 << 3) | 2; /* auth_token, length-delimited */
	msg[size + 1] = SVC_TOKEN_LEN; /* < 128: a one-byte varint */
	memcpy(msg + size + 2, g_token, SVC_TOKEN_LEN);
	fuzz_dispatch(g_worker, msg, size + 2 + SVC_TOKEN_LEN);
	free(msg);
	return 0;
}
