/*
 * fuzz_filter.c - hostile search filters and orderings (SearchVersions):
 * the recursive-descent parser must refuse with a position, never crash,
 * recurse without bound or leak, and a parsed filter must plan.
 */
#include <stdlib.h>
#include <string.h>

#include "filter.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	filter *f;
	filter_order *o;
	filter_plan plan;
	mr_err e;

	if (text == NULL)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (filter_parse(text, &f, &e) == MR_OK) {
		filter_plan_get(f, &plan);
		filter_free(f);
	}
	if (filter_order_parse(text, &o, &e) == MR_OK)
		filter_order_free(o);
	free(text);
	return 0;
}
