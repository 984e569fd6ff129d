/*
 * test_cli_json.c - the CLI's JSON, both ways (client/cli_json.c): the
 * --metadata file parser, whose errors must name the offending key or the
 * line of a syntax error and keep nothing half-parsed, and the --json
 * renderings of results. Both are pure functions of their input, so no
 * registry is involved; the CLI as a whole, against the real modelregd,
 * is tests/e2e/test_cli.c.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "realserver.h"
#include "testutil.h"

static int
parse(cli_meta *m, const char *text, char err[CLI_ERR_MAX])
{
	return cli_meta_parse(m, text, strlen(text), err);
}

static void
test_cli_metadata_full_example_is_parsed(void **state)
{
	static const char text[] =
	    "{\n"
	    "  \"description\": \"gradient boosted trees\",\n"
	    "  \"metrics\": {\"accuracy\": 0.87, \"auc\": 1},\n"
	    "  \"hyperparameters\": {\"max_depth\": 6, \"eta\": \"0.1\"},\n"
	    "  \"framework\": \"xgboost\", \"framework_version\": \"2.0.3\",\n"
	    "  \"python_version\": \"3.11\",\n"
	    "  \"features\": [\"amount\", \"merchant\"],\n"
	    "  \"training_data_version\": \"v2024-01\",\n"
	    "  \"feature_set_version\": \"fs-7\",\n"
	    "  \"experiment\": \"exp-003\", \"increment\": \"inc-12\",\n"
	    "  \"parent_model\": \"fraud@3.0.0\",\n"
	    "  \"signature\": {\"inputs\": {\"amount\": \"float32\"},\n"
	    "                 \"outputs\": [{\"name\": \"score\", \"type\": "
	    "\"float32\"}]},\n"
	    "  \"tags\": {\"team\": \"risk\"}\n"
	    "}\n";
	char err[CLI_ERR_MAX];
	cli_meta m;

	(void)state;
	assert_int_equal(parse(&m, text, err), 0);
	assert_string_equal(m.description, "gradient boosted trees");
	assert_int_equal(m.md.n_metrics, 2);
	assert_string_equal(m.md.metrics[0].name, "accuracy");
	assert_true(m.md.metrics[0].value == 0.87);
	assert_true(m.md.metrics[1].value == 1.0);
	assert_int_equal(m.md.n_hyperparameters, 2);
	assert_string_equal(m.md.framework, "xgboost");
	assert_string_equal(m.md.framework_version, "2.0.3");
	assert_string_equal(m.md.python_version, "3.11");
	assert_int_equal(m.md.n_features, 2);
	assert_string_equal(m.md.features[1], "merchant");
	assert_string_equal(m.md.training_data_version, "v2024-01");
	assert_string_equal(m.md.feature_set_version, "fs-7");
	assert_string_equal(m.md.experiment, "exp-003");
	assert_string_equal(m.md.increment, "inc-12");
	assert_string_equal(m.md.parent_model, "fraud@3.0.0");
	assert_true(m.has_signature);
	assert_int_equal(m.sig.n_inputs, 1);
	assert_string_equal(m.sig.inputs[0].name, "amount");
	assert_string_equal(m.sig.inputs[0].type, "float32");
	assert_int_equal(m.sig.n_outputs, 1);
	assert_string_equal(m.sig.outputs[0].name, "score");
	assert_int_equal(m.n_tags, 1);
	assert_string_equal(m.tags[0].key, "team");
	assert_string_equal(m.tags[0].value, "risk");
	cli_meta_free(&m);
}

static void
test_cli_metadata_unknown_key_is_refused(void **state)
{
	char err[CLI_ERR_MAX];
	cli_meta m;

	(void)state;
	assert_int_equal(
	    parse(&m, "{\"framework\": \"x\", \"metrcs\": {}}", err), -1);
	assert_non_null(strstr(err, "\"metrcs\""));
	assert_null(m.md.framework); /* nothing half-parsed is kept */
	cli_meta_free(&m);
}

static void
test_cli_metadata_hyperparameters_keep_their_json_text(void **state)
{
	char err[CLI_ERR_MAX];
	cli_meta m;

	(void)state;
	assert_int_equal(parse(&m,
	                     "{\"hyperparameters\": {\"eta\": 0.10, "
	                     "\"depth\": 6, \"early\": true, \"obj\": "
	                     "\"binary:logistic\"}}",
	                     err),
	    0);
	assert_int_equal(m.md.n_hyperparameters, 4);
	assert_string_equal(m.md.hyperparameters[0].key, "eta");
	assert_string_equal(m.md.hyperparameters[0].value, "0.10");
	assert_string_equal(m.md.hyperparameters[1].value, "6");
	assert_string_equal(m.md.hyperparameters[2].value, "true");
	assert_string_equal(m.md.hyperparameters[3].value, "binary:logistic");
	cli_meta_free(&m);
}

static void
test_cli_metadata_null_and_nested_values_are_refused(void **state)
{
	char err[CLI_ERR_MAX];
	cli_meta m;

	(void)state;
	assert_int_equal(
	    parse(&m, "{\"hyperparameters\": {\"eta\": null}}", err), -1);
	assert_non_null(strstr(err, "eta"));
	assert_int_equal(parse(&m, "{\"framework\": [\"x\"]}", err), -1);
	assert_non_null(strstr(err, "framework"));
	assert_int_equal(parse(&m, "{\"features\": \"amount\"}", err), -1);
	assert_int_equal(parse(&m, "{\"tags\": [1]}", err), -1);
	assert_non_null(strstr(err, "tags"));
}

static void
test_cli_metadata_metric_must_be_a_number(void **state)
{
	char err[CLI_ERR_MAX];
	cli_meta m;

	(void)state;
	assert_int_equal(
	    parse(&m, "{\"metrics\": {\"auc\": \"0.9\"}}", err), -1);
	assert_non_null(strstr(err, "auc"));
	assert_int_equal(parse(&m, "{\"metrics\": {\"auc\": NaN}}", err), -1);
}

static void
test_cli_metadata_signature_forms_keep_order(void **state)
{
	char err[CLI_ERR_MAX];
	cli_meta m;

	(void)state;
	assert_int_equal(parse(&m,
	                     "{\"signature\": {\"inputs\": {\"b\": \"int64\", "
	                     "\"a\": \"float32[?, 30]\"}, \"outputs\": "
	                     "[{\"type\": \"float32\", \"name\": \"p\"}, "
	                     "{\"name\": \"q\"}]}}",
	                     err),
	    0);
	assert_int_equal(m.sig.n_inputs, 2);
	assert_string_equal(m.sig.inputs[0].name, "b");
	assert_string_equal(m.sig.inputs[1].type, "float32[?, 30]");
	assert_int_equal(m.sig.n_outputs, 2);
	assert_string_equal(m.sig.outputs[0].name, "p");
	assert_string_equal(m.sig.outputs[0].type, "float32");
	assert_string_equal(m.sig.outputs[1].type, "");
	cli_meta_free(&m);
}

static void
test_cli_metadata_signature_mistake_is_named(void **state)
{
	char err[CLI_ERR_MAX];
	cli_meta m;

	(void)state;
	assert_int_equal(parse(&m,
	                     "{\"signature\": {\"inputs\": [{\"name\": "
	                     "\"a\", \"dtype\": \"f\"}]}}",
	                     err),
	    -1);
	assert_non_null(strstr(err, "dtype"));
	assert_int_equal(
	    parse(&m, "{\"signature\": {\"input\": {}}}", err), -1);
	assert_non_null(strstr(err, "signature.input"));
	assert_int_equal(parse(&m,
	                     "{\"signature\": {\"outputs\": [{\"type\": "
	                     "\"f\"}]}}",
	                     err),
	    -1);
	assert_non_null(strstr(err, "no \"name\""));
}

static void
test_cli_metadata_syntax_error_names_the_line(void **state)
{
	char err[CLI_ERR_MAX];
	cli_meta m;

	(void)state;
	assert_int_equal(
	    parse(&m, "{\n  \"framework\": \"x\",\n  oops\n}", err), -1);
	assert_non_null(strstr(err, "line 3"));
	assert_int_equal(parse(&m, "{\"framework\": \"x\"", err), -1);
	assert_non_null(strstr(err, "ends too early"));
	assert_int_equal(parse(&m, "", err), -1);
}

static void
test_cli_metadata_text_after_the_object_is_refused(void **state)
{
	char err[CLI_ERR_MAX];
	cli_meta m;

	(void)state;
	assert_int_equal(parse(&m, "{} {}", err), -1);
	assert_non_null(strstr(err, "more text"));
	assert_int_equal(parse(&m, "{}\n\n", err), 0);
	cli_meta_free(&m);
}

static void
test_cli_metadata_must_be_an_object(void **state)
{
	char err[CLI_ERR_MAX];
	cli_meta m;

	(void)state;
	assert_int_equal(parse(&m, "[1, 2]", err), -1);
	assert_non_null(strstr(err, "one JSON object"));
}

static void
test_cli_metadata_load_names_the_file(void **state)
{
	char dir[PATH_MAX], *path;
	char err[CLI_ERR_MAX];
	cli_meta m;

	(void)state;
	tu_mkdtemp(dir, "cli-json");
	path = rs_path(dir, "meta.json");
	assert_int_equal(cli_meta_load(&m, path, err), -1);
	assert_non_null(strstr(err, path));
	tu_write_file(path, "{\"bogus\": 1}", 12);
	assert_int_equal(cli_meta_load(&m, path, err), -1);
	assert_non_null(strstr(err, path));
	assert_non_null(strstr(err, "bogus"));
	tu_write_file(path, "{\"framework\": \"sklearn\"}", 24);
	assert_int_equal(cli_meta_load(&m, path, err), 0);
	assert_string_equal(m.md.framework, "sklearn");
	cli_meta_free(&m);
	assert_int_equal(cli_meta_load(&m, dir, err), -1);
	tu_rmtree(dir);
	free(path);
}

static void
test_cli_kv_set_replaces_an_existing_key(void **state)
{
	mr_kv *kv = NULL;
	size_t n = 0;

	(void)state;
	assert_int_equal(cli_kv_set(&kv, &n, "team", "risk"), 0);
	assert_int_equal(cli_kv_set(&kv, &n, "env", "prod"), 0);
	assert_int_equal(cli_kv_set(&kv, &n, "team", "fraud"), 0);
	assert_int_equal(n, 2);
	assert_string_equal(kv[0].value, "fraud");
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

static void
test_cli_json_version_has_every_field(void **state)
{
	mr_kv tag = {"team", "risk"};
	mr_metric metric = {"auc", 0.5};
	mr_file file = {"model.bin", 42, {1}, 0644};
	mr_version v;
	json_object *o, *x;

	(void)state;
	memset(&v, 0, sizeof(v));
	v.name = "fraud";
	v.version = "3.1.0";
	v.stage = MR_STAGE_PRODUCTION;
	v.description = "d";
	v.metadata.metrics = &metric;
	v.metadata.n_metrics = 1;
	v.tags = &tag;
	v.n_tags = 1;
	v.files = &file;
	v.n_files = 1;
	v.artifact_size = 42;
	v.created_by = "alice";
	v.created_at_ms = 1705312800000;
	v.displaced_version = "3.0.0";
	o = cj_version(&v);
	assert_true(json_object_object_get_ex(o, "stage", &x));
	assert_string_equal(json_object_get_string(x), "production");
	assert_true(json_object_object_get_ex(o, "created_at", &x));
	assert_string_equal(json_object_get_string(x), "2024-01-15T10:00:00Z");
	assert_true(json_object_object_get_ex(o, "stage_changed_at", &x));
	assert_null(x); /* unset times are null */
	assert_true(json_object_object_get_ex(o, "metadata", &x));
	assert_true(json_object_object_get_ex(x, "metrics", &x));
	assert_true(json_object_object_get_ex(x, "auc", &x));
	assert_true(json_object_get_double(x) == 0.5);
	assert_true(json_object_object_get_ex(o, "artifact", &x));
	assert_true(json_object_object_get_ex(x, "files", &x));
	assert_int_equal(json_object_array_length(x), 1);
	x = json_object_array_get_idx(x, 0);
	assert_true(json_object_object_get_ex(x, "mode", &x));
	assert_int_equal(json_object_get_int(x), 0644);
	for (const char *const *k = (const char *const[]){"name", "version",
	         "description", "tags", "signature", "created_by",
	         "created_at_ms", "created_revision", "stage_changed_at_ms",
	         "displaced_version", "ever_production", NULL};
	     *k != NULL; k++)
		assert_true(json_object_object_get_ex(o, *k, NULL));
	json_object_put(o);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cli_metadata_full_example_is_parsed),
	    cmocka_unit_test(test_cli_metadata_unknown_key_is_refused),
	    cmocka_unit_test(
	        test_cli_metadata_hyperparameters_keep_their_json_text),
	    cmocka_unit_test(
	        test_cli_metadata_null_and_nested_values_are_refused),
	    cmocka_unit_test(test_cli_metadata_metric_must_be_a_number),
	    cmocka_unit_test(test_cli_metadata_signature_forms_keep_order),
	    cmocka_unit_test(test_cli_metadata_signature_mistake_is_named),
	    cmocka_unit_test(test_cli_metadata_syntax_error_names_the_line),
	    cmocka_unit_test(
	        test_cli_metadata_text_after_the_object_is_refused),
	    cmocka_unit_test(test_cli_metadata_must_be_an_object),
	    cmocka_unit_test(test_cli_metadata_load_names_the_file),
	    cmocka_unit_test(test_cli_kv_set_replaces_an_existing_key),
	    cmocka_unit_test(test_cli_json_version_has_every_field),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
