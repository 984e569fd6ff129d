/*
 * fuzz_dispatch.c - hostile bytes as a whole request: the envelope, then
 * whichever request message its method names, through the real
 * dispatcher and handlers on a real store (a temporary directory made
 * once per run). Every input must get an answer, a well-formed Response,
 * never a crash, a leak or undefined behaviour. fuzz_request reaches each
 * method's request directly; this one is for the envelope itself.
 */
#include "fuzzsvc.h"

static svc_worker *g_worker;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	g_worker = fuzz_worker("dispatch");
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_dispatch(g_worker, data, size);
	return 0;
}
