/*
 * fuzz_dispatch.c - hostile bytes as a whole request: the envelope, then
 * whichever request message its method names, through the real
 * dispatcher and handlers on a real store (a temporary directory made
 * once per run). Every input must get an answer, never a crash, a leak
 * or undefined behaviour.
 */
#include <stdlib.h>
#include <string.h>

#include "svc.h"

static store *g_store;
static svc_worker g_worker;

static void *
reply_alloc(void *arg, size_t len)
{
	void **out = arg;

	*out = malloc(len > 0 ? len : 1);
	return *out;
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[] = "/tmp/modelreg-fuzz-dispatch-XXXXXX";
	mr_err e;

	(void)argc;
	(void)argv;
	if (mkdtemp(dir) == NULL || store_open(&g_store, dir, &e) != MR_OK ||
	    svc_worker_init(&g_worker, g_store, &e) != MR_OK)
		abort();
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	void *rep = NULL;
	svc_reply reply = { .alloc = reply_alloc, .arg = &rep };

	svc_dispatch(&g_worker, data, size, &reply);
	free(rep);
	return 0;
}
