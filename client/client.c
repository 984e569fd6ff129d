/*
 * client.c - the client handle and the unary calls of libmodelreg.
 *
 * Each API function follows the same steps: clear the handle's error,
 * check every argument here (so a bad one costs no round trip and gets a
 * message that names it), build the request message on the stack with
 * pointers to the caller's strings, make one call, and copy the answer
 * into the plain structures of modelreg.h (convert.c). The server checks
 * everything again; it is the authority, and these checks only mirror the
 * limits modelreg.h documents.
 */
#include <assert.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client.h"
#include "convert.h"
#include "registry.pb-c.h"

/* Why the last mr_client_open() on this thread failed: there is no
 * handle yet to keep it in. */
static _Thread_local mr_err open_err;

mr_status
client_sys_fail(mr_err *e, const char *what, const char *path)
{
	int err = errno;
	mr_status code;

	switch (err) {
	case ENOENT:
	case ENOTDIR:
		code = MR_NOT_FOUND;
		break;
	case EEXIST:
	case ENOTEMPTY:
		code = MR_ALREADY_EXISTS;
		break;
	case EACCES:
	case EPERM:
	case EROFS:
		code = MR_PERMISSION_DENIED;
		break;
	case ENOSPC:
	case EDQUOT:
	case EMFILE:
	case ENFILE:
	case ENOMEM:
		code = MR_RESOURCE_EXHAUSTED;
		break;
	case ELOOP:
	case ENAMETOOLONG:
	case EISDIR:
		code = MR_INVALID_ARGUMENT;
		break;
	default:
		code = MR_UNKNOWN;
		break;
	}
	return mr_fail(e, code, "%s %s: %s", what, path, strerror(err));
}

mr_status
client_alias_check(const char *alias, mr_err *e)
{
	size_t len;

	if (alias == NULL || alias[0] == '\0')
		return mr_fail(e, MR_INVALID_ARGUMENT, "alias is empty");
	len = strlen(alias);
	if (len > MR_ALIAS_MAX)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "alias is %zu bytes long; the limit is %d", len,
		    MR_ALIAS_MAX);
	if (alias[0] < 'a' || alias[0] > 'z')
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "alias \"%.64s\" must start with a lower-case letter",
		    alias);
	for (size_t i = 1; i < len; i++) {
		char ch = alias[i];
		if (!((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
		        ch == '_' || ch == '-'))
			return mr_fail(e, MR_INVALID_ARGUMENT,
			    "alias has a character not allowed at byte %zu "
			    "(allowed: lower-case letters, digits, \"_\" and "
			    "\"-\")",
			    i);
	}
	return MR_OK;
}

mr_status
client_version_arg(const char *version, char *out, mr_err *e)
{
	if (version == NULL || version[0] == '\0') {
		out[0] = '\0';
		return MR_OK;
	}
	_Static_assert(MR_ALIAS_MAX <= MR_VERSION_MAX,
	    "an alias must fit where a version goes");
	if (client_alias_check(version, NULL) == MR_OK) {
		strcpy(out, version);
		return MR_OK;
	}
	return mr_semver_normalize(version, out, e);
}

mr_status
client_version_need(const char *what, const char *version, char *out, mr_err *e)
{
	if (version == NULL || version[0] == '\0')
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "no %s given (a version or an alias)", what);
	return client_version_arg(version, out, e);
}

mr_status
client_stage_arg(const char *what, mr_stage stage, bool none_ok, mr_err *e)
{
	if ((int)stage < MR_STAGE_NONE || stage > MR_STAGE_ARCHIVED ||
	    (stage == MR_STAGE_NONE && !none_ok))
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "%s %d is not a stage (dev, staging, production or "
		    "archived)",
		    what, (int)stage);
	return MR_OK;
}

static mr_status
check_tag_filter(const char *tag, mr_err *e)
{
	char key[MR_TAG_KEY_MAX + 2];
	const char *eq;
	size_t n;
	mr_status rv;

	if (tag == NULL || tag[0] == '\0')
		return MR_OK;
	eq = strchr(tag, '=');
	n = eq != NULL ? (size_t)(eq - tag) : strlen(tag);
	/* One byte too many is enough for the check to call it too long. */
	if (n >= sizeof(key))
		n = sizeof(key) - 1;
	memcpy(key, tag, n);
	key[n] = '\0';
	if ((rv = mr_check_tag_key(key, e)) != MR_OK)
		return rv;
	if (eq == NULL)
		return MR_OK;
	return mr_check_text("tag value", eq + 1, MR_TAG_VALUE_MAX, false, e);
}

mr_status
client_check_kv(
    const char *what, const mr_kv *kv, size_t n, size_t max, mr_err *e)
{
	char label[64];
	mr_status rv;

	if (n > 0 && kv == NULL)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "%zu %ss announced but none given", n, what);
	if (n > max)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "%zu %ss; the limit is %zu", n, what, max);
	snprintf(label, sizeof(label), "%s value", what);
	for (size_t i = 0; i < n; i++) {
		if (mr_check_tag_key(kv[i].key, NULL) != MR_OK)
			return mr_fail(e, MR_INVALID_ARGUMENT,
			    "%s key \"%.64s\" must be 1 to %d letters, digits "
			    "and \"._/-\", starting with a letter or digit",
			    what, kv[i].key != NULL ? kv[i].key : "",
			    MR_TAG_KEY_MAX);
		if ((rv = mr_check_text(label, kv[i].value, MR_TAG_VALUE_MAX,
		         false, e)) != MR_OK)
			return rv;
		for (size_t k = 0; k < i; k++)
			if (strcmp(kv[k].key, kv[i].key) == 0)
				return mr_fail(e, MR_INVALID_ARGUMENT,
				    "%s \"%s\" is given twice", what,
				    kv[i].key);
	}
	return MR_OK;
}

mr_status
client_no_out(mr_err *e)
{
	return mr_fail(e, MR_INVALID_ARGUMENT, "no place for the result");
}

char *
client_str(const char *s)
{
	return (char *)(s != NULL ? s : "");
}

mr_status
client_call(mr_client *c, const char *method, const ProtobufCMessage *req,
    bool mutation, const ProtobufCMessageDescriptor *rd, void *resp)
{
	mr_status rv;

	rv = rpc_call(c->rpc, method, req, mutation, rd,
	    (ProtobufCMessage **)resp, &c->err);
	if (rv == MR_OK && mutation)
		c->revision = rpc_revision(c->rpc);
	return rv;
}

/* The message in field `name` of `m`; the reply descriptors guarantee it. */
static const ProtobufCMessage *
record_field(const ProtobufCMessage *m, const char *name)
{
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field_by_name(m->descriptor, name);

	assert(f != NULL && f->type == PROTOBUF_C_TYPE_MESSAGE);
	return *(ProtobufCMessage *const *)((const char *)m + f->offset);
}

static mr_status
call_record(mr_client *c, const char *method, const ProtobufCMessage *req,
    bool mutation, const ProtobufCMessageDescriptor *rd, const char *field,
    void *out)
{
	ProtobufCMessage *resp;
	const ProtobufCMessage *rec;
	mr_status rv;

	if ((rv = client_call(c, method, req, mutation, rd, &resp)) != MR_OK)
		return rv;
	rec = record_field(resp, field);
	if (out != NULL && field[0] == 'v')
		rv = cv_version_new(out, (const void *)rec, &c->err);
	else if (out != NULL)
		rv = cv_model_new(out, (const void *)rec, &c->err);
	rpc_reply_free(resp);
	return rv;
}

mr_status
client_call_version(mr_client *c, const char *method,
    const ProtobufCMessage *req, bool mutation,
    const ProtobufCMessageDescriptor *rd, mr_version **out)
{
	return call_record(c, method, req, mutation, rd, "version", out);
}

mr_status
client_call_model(mr_client *c, const char *method,
    const ProtobufCMessage *req, bool mutation,
    const ProtobufCMessageDescriptor *rd, mr_model **out)
{
	return call_record(c, method, req, mutation, rd, "model", out);
}

/* ---- the handle --------------------------------------------------------- */

/* An option's file name; "" (an empty environment variable) is none. */
static const char *
path_or_null(const char *s)
{
	return s != NULL && s[0] != '\0' ? s : NULL;
}

mr_status
mr_client_open(mr_client **out, const char *url, const mr_client_options *opt)
{
	mr_client_options o = {0};
	mr_err *e = &open_err;
	mr_tls_files tls;
	mr_client *c;
	mr_status rv;

	mr_err_clear(e);
	if (opt != NULL)
		o = *opt;
	if (o.token == NULL)
		o.token = getenv("MODELREG_TOKEN");
	if (o.tls_ca == NULL)
		o.tls_ca = getenv("MODELREG_TLS_CA");
	tls = (mr_tls_files){ .ca = path_or_null(o.tls_ca),
	    .cert = path_or_null(o.tls_cert), .key = path_or_null(o.tls_key) };
	if (o.timeout_ms == 0)
		o.timeout_ms = CLIENT_TIMEOUT_DEFAULT_MS;
	if (o.window == 0)
		o.window = CLIENT_WINDOW_DEFAULT;
	if (out == NULL)
		return client_no_out(e);
	if (url == NULL || url[0] == '\0')
		return mr_fail(e, MR_INVALID_ARGUMENT, "no server URL given");
	if (o.timeout_ms < 0)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "timeout %d ms is negative", o.timeout_ms);
	if (o.window < 0 || o.window > CLIENT_WINDOW_MAX)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "window %d is outside 1..%d", o.window, CLIENT_WINDOW_MAX);
	if ((rv = mr_check_text("token", o.token, MR_TEXT_MAX, false, e)) !=
	    MR_OK)
		return rv;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return mr_fail(e, MR_RESOURCE_EXHAUSTED, "out of memory");
	c->window = o.window;
	if ((c->codec = mr_codec_create()) == NULL) {
		rv = mr_fail(e, MR_RESOURCE_EXHAUSTED, "out of memory");
		goto err_client;
	}
	rv = rpc_open(&c->rpc, url, o.token, o.timeout_ms, &tls, e);
	if (rv != MR_OK)
		goto err_codec;
	*out = c;
	return MR_OK;

err_codec:
	mr_codec_free(c->codec);
err_client:
	free(c);
	return rv;
}

void
mr_client_close(mr_client *c)
{
	if (c == NULL)
		return;
	rpc_close(c->rpc);
	mr_codec_free(c->codec);
	free(c);
}

const char *
mr_client_errmsg(const mr_client *c)
{
	return c != NULL ? c->err.msg : open_err.msg;
}

uint64_t
mr_client_revision(const mr_client *c)
{
	return c != NULL ? c->revision : 0;
}

const mr_transfer_stats *
mr_client_transfer_stats(const mr_client *c)
{
	static const mr_transfer_stats none;

	return c != NULL ? &c->stats : &none;
}

/* ---- reads -------------------------------------------------------------- */

mr_status
mr_get_model(mr_client *c, const char *name, mr_model **out)
{
	Modelreg__V1__GetModelRequest req =
	    MODELREG__V1__GET_MODEL_REQUEST__INIT;
	mr_status rv;

	if (c == NULL)
		return MR_INVALID_ARGUMENT;
	mr_err_clear(&c->err);
	if (out == NULL)
		return client_no_out(&c->err);
	if ((rv = mr_check_name(name, &c->err)) != MR_OK)
		return rv;
	req.name = (char *)name;
	return client_call_model(c, M_GET_MODEL, &req.base, false,
	    &modelreg__v1__get_model_response__descriptor, out);
}

mr_status
client_get_version(mr_client *c, const char *name, const char *version,
    mr_stage stage, bool with_chunks, Modelreg__V1__GetVersionResponse **out)
{
	Modelreg__V1__GetVersionRequest req =
	    MODELREG__V1__GET_VERSION_REQUEST__INIT;
	char v[MR_VERSION_MAX + 1];
	mr_status rv;

	if ((rv = mr_check_name(name, &c->err)) != MR_OK ||
	    (rv = client_version_arg(version, v, &c->err)) != MR_OK ||
	    (rv = client_stage_arg("stage", stage, true, &c->err)) != MR_OK)
		return rv;
	req.name = (char *)name;
	req.version = v;
	req.stage = (Modelreg__V1__Stage)stage;
	req.with_chunks = with_chunks;
	return client_call(c, M_GET_VERSION, &req.base, false,
	    &modelreg__v1__get_version_response__descriptor, out);
}

mr_status
mr_get_version(mr_client *c, const char *name, const char *version,
    mr_stage stage, mr_version **out)
{
	Modelreg__V1__GetVersionResponse *resp;
	mr_status rv;

	if (c == NULL)
		return MR_INVALID_ARGUMENT;
	mr_err_clear(&c->err);
	if (out == NULL)
		return client_no_out(&c->err);
	rv = client_get_version(c, name, version, stage, false, &resp);
	if (rv != MR_OK)
		return rv;
	rv = cv_version_new(out, resp->version, &c->err);
	rpc_reply_free(&resp->base);
	return rv;
}

static const mr_list_params list_defaults;

mr_status
mr_list_models(mr_client *c, const mr_list_params *p, mr_model_list **out)
{
	Modelreg__V1__ListModelsRequest req =
	    MODELREG__V1__LIST_MODELS_REQUEST__INIT;
	Modelreg__V1__ListModelsResponse *resp;
	mr_status rv;

	if (c == NULL)
		return MR_INVALID_ARGUMENT;
	mr_err_clear(&c->err);
	if (out == NULL)
		return client_no_out(&c->err);
	if (p == NULL)
		p = &list_defaults;
	if ((rv = client_stage_arg("stage", p->stage, true, &c->err)) !=
	        MR_OK ||
	    (rv = check_tag_filter(p->tag, &c->err)) != MR_OK)
		return rv;
	req.page_size = p->page_size;
	req.page_token = client_str(p->page_token);
	req.stage = (Modelreg__V1__Stage)p->stage;
	req.tag = client_str(p->tag);
	rv = client_call(c, M_LIST_MODELS, &req.base, false,
	    &modelreg__v1__list_models_response__descriptor, &resp);
	if (rv != MR_OK)
		return rv;
	rv = cv_model_list_new(out, resp, &c->err);
	rpc_reply_free(&resp->base);
	return rv;
}

mr_status
mr_list_versions(mr_client *c, const char *name, const mr_list_params *p,
    mr_version_list **out)
{
	Modelreg__V1__ListVersionsRequest req =
	    MODELREG__V1__LIST_VERSIONS_REQUEST__INIT;
	Modelreg__V1__ListVersionsResponse *resp;
	mr_status rv;

	if (c == NULL)
		return MR_INVALID_ARGUMENT;
	mr_err_clear(&c->err);
	if (out == NULL)
		return client_no_out(&c->err);
	if (p == NULL)
		p = &list_defaults;
	if ((rv = mr_check_name(name, &c->err)) != MR_OK ||
	    (rv = client_stage_arg("stage", p->stage, true, &c->err)) !=
	        MR_OK ||
	    (rv = check_tag_filter(p->tag, &c->err)) != MR_OK)
		return rv;
	req.name = (char *)name;
	req.page_size = p->page_size;
	req.page_token = client_str(p->page_token);
	req.stage = (Modelreg__V1__Stage)p->stage;
	req.tag = client_str(p->tag);
	req.descending = p->descending;
	rv = client_call(c, M_LIST_VERSIONS, &req.base, false,
	    &modelreg__v1__list_versions_response__descriptor, &resp);
	if (rv != MR_OK)
		return rv;
	rv = cv_version_list_new(out, resp, &c->err);
	rpc_reply_free(&resp->base);
	return rv;
}

mr_status
mr_list_events(mr_client *c, const char *name, uint64_t after,
    uint32_t page_size, mr_event_list **out)
{
	Modelreg__V1__ListEventsRequest req =
	    MODELREG__V1__LIST_EVENTS_REQUEST__INIT;
	Modelreg__V1__ListEventsResponse *resp;
	mr_status rv;

	if (c == NULL)
		return MR_INVALID_ARGUMENT;
	mr_err_clear(&c->err);
	if (out == NULL)
		return client_no_out(&c->err);
	if (name != NULL && name[0] != '\0' &&
	    (rv = mr_check_name(name, &c->err)) != MR_OK)
		return rv;
	req.name = client_str(name);
	req.after_revision = after;
	req.page_size = page_size;
	rv = client_call(c, M_LIST_EVENTS, &req.base, false,
	    &modelreg__v1__list_events_response__descriptor, &resp);
	if (rv != MR_OK)
		return rv;
	rv = cv_event_list_new(out, resp, &c->err);
	rpc_reply_free(&resp->base);
	return rv;
}

/* ---- stage changes ------------------------------------------------------ */

mr_status
mr_promote(mr_client *c, const char *name, const char *version, mr_stage to,
    mr_stage expected, const char *reason, mr_version **out)
{
	Modelreg__V1__PromoteRequest req = MODELREG__V1__PROMOTE_REQUEST__INIT;
	char v[MR_VERSION_MAX + 1];
	mr_status rv;

	if (c == NULL)
		return MR_INVALID_ARGUMENT;
	mr_err_clear(&c->err);
	if ((rv = mr_check_name(name, &c->err)) != MR_OK ||
	    (rv = client_version_need("version", version, v, &c->err)) !=
	        MR_OK ||
	    (rv = client_stage_arg("target stage", to, false, &c->err)) !=
	        MR_OK ||
	    (rv = client_stage_arg(
	         "expected stage", expected, true, &c->err)) != MR_OK ||
	    (rv = mr_check_text(
	         "reason", reason, MR_REASON_MAX, true, &c->err)) != MR_OK)
		return rv;
	req.name = (char *)name;
	req.version = v;
	req.to_stage = (Modelreg__V1__Stage)to;
	req.expected_stage = (Modelreg__V1__Stage)expected;
	req.reason = client_str(reason);
	return client_call_version(c, M_PROMOTE, &req.base, true,
	    &modelreg__v1__promote_response__descriptor, out);
}

mr_status
mr_rollback(mr_client *c, const char *name, const char *to_version,
    const char *reason, mr_version **out)
{
	Modelreg__V1__RollbackRequest req =
	    MODELREG__V1__ROLLBACK_REQUEST__INIT;
	char v[MR_VERSION_MAX + 1];
	mr_status rv;

	if (c == NULL)
		return MR_INVALID_ARGUMENT;
	mr_err_clear(&c->err);
	if ((rv = mr_check_name(name, &c->err)) != MR_OK ||
	    (rv = client_version_arg(to_version, v, &c->err)) != MR_OK ||
	    (rv = mr_check_text(
	         "reason", reason, MR_REASON_MAX, true, &c->err)) != MR_OK)
		return rv;
	if (reason == NULL || reason[0] == '\0')
		return mr_fail(
		    &c->err, MR_INVALID_ARGUMENT, "a rollback needs a reason");
	req.name = (char *)name;
	req.to_version = v;
	req.reason = (char *)reason;
	return client_call_version(c, M_ROLLBACK, &req.base, true,
	    &modelreg__v1__rollback_response__descriptor, out);
}
