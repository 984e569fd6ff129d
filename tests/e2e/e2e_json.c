/*
 * e2e_json.c - dotted-path reads of the CLI's --json output (e2e_json.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "e2e_json.h"

json_object *
e2e_json(const e2e_run *r)
{
	json_object *o = json_tokener_parse(r->out);

	if (o == NULL)
		fail_msg("stdout is not JSON:\n%s", r->out);
	return o;
}

json_object *
e2e_jget(json_object *o, const char *path)
{
	char buf[256], *save = NULL;

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *k = strtok_r(buf, ".", &save); k != NULL;
	     k = strtok_r(NULL, ".", &save)) {
		json_object *next = NULL;

		if (json_object_is_type(o, json_type_array))
			next = json_object_array_get_idx(o, (size_t)atoi(k));
		else if (!json_object_object_get_ex(o, k, &next))
			next = NULL;
		if (next == NULL)
			fail_msg(
			    "no %s in %s", path, json_object_to_json_string(o));
		o = next;
	}
	return o;
}

const char *
e2e_jstr(json_object *o, const char *path)
{
	json_object *v = e2e_jget(o, path);

	if (!json_object_is_type(v, json_type_string))
		fail_msg("%s is not a string: %s", path,
		    json_object_to_json_string(v));
	return json_object_get_string(v);
}

int64_t
e2e_jint(json_object *o, const char *path)
{
	json_object *v = e2e_jget(o, path);

	if (!json_object_is_type(v, json_type_int))
		fail_msg("%s is not an integer: %s", path,
		    json_object_to_json_string(v));
	return json_object_get_int64(v);
}
