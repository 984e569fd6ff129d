/*
 * e2e_json.h - reading the CLI's --json output in end-to-end tests: the
 * output parsed, and values found by dotted paths. Every function fails
 * the test (cmocka's fail_msg) when the output or the value is not there.
 */
#ifndef MR_TESTS_E2E_JSON_H
#define MR_TESTS_E2E_JSON_H

#include <stdint.h>

#include <json-c/json.h>

#include "e2e.h"

/* The run's stdout as JSON; release it with json_object_put. */
json_object *e2e_json(const e2e_run *r);
/* The value at a dotted path ("version.artifact.files.0.path"); numbers
 * index arrays. */
json_object *e2e_jget(json_object *o, const char *path);
/* The string, or the integer, at a dotted path. */
const char *e2e_jstr(json_object *o, const char *path);
int64_t e2e_jint(json_object *o, const char *path);

#endif /* MR_TESTS_E2E_JSON_H */
