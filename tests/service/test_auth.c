/*
 * test_auth.c - tokens and roles, through svc_dispatch on a real store.
 *
 * The matrix: every method served, called with no token, a malformed
 * one, an unknown one, a wrong secret, an expired and a revoked token,
 * the wrong role and a grant on other models, is refused with
 * UNAUTHENTICATED or PERMISSION_DENIED and changes nothing but the audit
 * log, which records the refusal.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.pb-c.h"
#include "auth.pb-c.h"
#include "svctest.h"
#include "testutil.h"

#define READER MODELREG__V1__ROLE__ROLE_READER
#define WRITER MODELREG__V1__ROLE__ROLE_WRITER
#define APPROVER MODELREG__V1__ROLE__ROLE_APPROVER
#define ADMIN MODELREG__V1__ROLE__ROLE_ADMIN
#define STAGING MODELREG__V1__STAGE__STAGE_STAGING
#define PROD MODELREG__V1__STAGE__STAGE_PRODUCTION

/* The method's request with its string fields "model" and "name" set to
 * `model` and "stage" to production: what a call is about. free() it. */
static ProtobufCMessage *
request_about(const svc_method *m, const char *model)
{
	const ProtobufCMessageDescriptor *d = m->request;
	ProtobufCMessage *req = calloc(1, d->sizeof_message);
	const char *names[] = { "name", "model" };

	d->message_init(req);
	for (size_t i = 0; i < 2; i++) {
		const ProtobufCFieldDescriptor *f =
		    protobuf_c_message_descriptor_get_field_by_name(d,
			names[i]);
		if (f != NULL && f->type == PROTOBUF_C_TYPE_STRING &&
		    f->label != PROTOBUF_C_LABEL_REPEATED)
			*(const char **)((char *)req + f->offset) = model;
	}
	{
		const ProtobufCFieldDescriptor *f =
		    protobuf_c_message_descriptor_get_field_by_name(d,
			"stage");
		if (f != NULL && f->type == PROTOBUF_C_TYPE_ENUM)
			*(int *)((char *)req + f->offset) = PROD;
	}
	return req;
}

static mr_status
call_as(st_env *env, const char *token, const svc_method *m,
    const ProtobufCMessage *req)
{
	return st_call_as(env, token, m->name + strlen("/modelreg.v1."), req,
	    NULL, NULL, NULL);
}

/* Denial records in the audit log (read with an admin token). */
static size_t
count_denials(st_env *env, const char *actor, const char *outcome_part)
{
	Modelreg__V1__ListAuditRequest rq =
	    MODELREG__V1__LIST_AUDIT_REQUEST__INIT;
	Modelreg__V1__ListAuditResponse *r;
	size_t n = 0;

	rq.page_size = 1000;
	do {
		assert_int_equal(st_call_as(env, st_token(env, "root"),
				     "Audit/ListAudit", &rq.base, NULL,
				     &modelreg__v1__list_audit_response__descriptor,
				     (ProtobufCMessage **)&r),
		    MR_OK);
		for (size_t i = 0; i < r->n_records; i++)
			if (strncmp(r->records[i]->outcome, "denied: ", 8) ==
				0 &&
			    (actor == NULL ||
				strcmp(r->records[i]->actor, actor) == 0) &&
			    strstr(r->records[i]->outcome, outcome_part) !=
				NULL)
				n++;
		rq.after_seq = r->last_seq;
		if (!r->more) {
			modelreg__v1__list_audit_response__free_unpacked(r,
			    NULL);
			break;
		}
		modelreg__v1__list_audit_response__free_unpacked(r, NULL);
	} while (1);
	return n;
}

static mr_status
revoke_token(st_env *env, const char *token)
{
	Modelreg__V1__RevokeTokenRequest rq =
	    MODELREG__V1__REVOKE_TOKEN_REQUEST__INIT;
	char id[SVC_TOKEN_ID_LEN + 1];

	memcpy(id, token, SVC_TOKEN_ID_LEN);
	id[SVC_TOKEN_ID_LEN] = '\0';
	rq.id = id;
	rq.reason = "test";
	return st_call_as(env, st_token(env, "root"), "Auth/RevokeToken",
	    &rq.base, NULL, NULL, NULL);
}

/*
 * Every method, with every kind of bad credential: refused before the
 * handler (the registry revision does not move, no model appears), each
 * refusal audited.
 */
static void
test_every_method_refuses_every_bad_credential(void **state)
{
	st_env *env = *state;
	char reader[SVC_TOKEN_LEN + 1], other[SVC_TOKEN_LEN + 1];
	char expired[SVC_TOKEN_LEN + 1], revoked[SVC_TOKEN_LEN + 1];
	char wrong_secret[SVC_TOKEN_LEN + 1], unknown[SVC_TOKEN_LEN + 1];
	Modelreg__V1__CreateTokenRequest ct =
	    MODELREG__V1__CREATE_TOKEN_REQUEST__INIT;
	Modelreg__V1__CreateTokenResponse *cr;
	Modelreg__V1__Grant g = MODELREG__V1__GRANT__INIT, *gs[] = { &g };
	uint64_t before;
	size_t methods = 0, denials;

	assert_int_equal(st_register(env, "fraud", "1.0.0", 100), MR_OK);
	st_token_with(env, "rita", READER, "*", reader);
	st_token_with(env, "otto", ADMIN, "other-*", other);
	st_token_with(env, "rick", ADMIN, "*", revoked);
	assert_int_equal(revoke_token(env, revoked), MR_OK);
	/* Expires 50 ms from now. */
	g.role = ADMIN;
	g.models = "*";
	ct.identity = "eve";
	ct.grants = gs;
	ct.n_grants = 1;
	ct.expires_at_ms = mr_now_ms() + 50;
	assert_int_equal(st_call_as(env, st_token(env, "root"),
			     "Auth/CreateToken", &ct.base, NULL,
			     &modelreg__v1__create_token_response__descriptor,
			     (ProtobufCMessage **)&cr),
	    MR_OK);
	snprintf(expired, sizeof(expired), "%s", cr->token);
	modelreg__v1__create_token_response__free_unpacked(cr, NULL);
	usleep(100 * 1000);
	/* root's id with another secret; an id nobody has. */
	snprintf(wrong_secret, sizeof(wrong_secret), "%s",
	    st_token(env, "root"));
	wrong_secret[SVC_TOKEN_LEN - 1] =
	    wrong_secret[SVC_TOKEN_LEN - 1] == '0' ? '1' : '0';
	snprintf(unknown, sizeof(unknown), "%s", st_token(env, "root"));
	memcpy(unknown, "0000000000000000", SVC_TOKEN_ID_LEN);

	before = store_revision(env->st);
	for (const svc_method *m; (m = svc_method_nth(methods)) != NULL;
	    methods++) {
		const struct {
			const char *token, *what;
			mr_status want;
		} bad[] = {
			{ "", "none", MR_UNAUTHENTICATED },
			{ "Bearer xyz", "malformed", MR_UNAUTHENTICATED },
			{ unknown, "unknown", MR_UNAUTHENTICATED },
			{ wrong_secret, "wrong secret", MR_UNAUTHENTICATED },
			{ expired, "expired", MR_UNAUTHENTICATED },
			{ revoked, "revoked", MR_UNAUTHENTICATED },
		};
		ProtobufCMessage *req = request_about(m, "fraud");

		assert_true(svc_auth_has_rule(m));
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			mr_status rv = call_as(env, bad[i].token, m, req);
			if (rv != bad[i].want)
				fail_msg("%s with %s token: %s (%s)", m->name,
				    bad[i].what, mr_strerror(rv),
				    env->last_message);
		}
		/* A grant on other models: denied wherever the call is
		 * about a model (or about the registry as a whole). */
		if (strcmp(m->name, "/modelreg.v1.Auth/WhoAmI") != 0 &&
		    strstr(m->name, ".Lineage/") == NULL &&
		    strstr(m->name, ".Artifacts/") == NULL &&
		    strcmp(m->name, "/modelreg.v1.Registry/ListModels") != 0 &&
		    strcmp(m->name, "/modelreg.v1.Registry/SearchVersions") !=
			0 &&
		    strcmp(m->name, "/modelreg.v1.Audit/VerifyAudit") != 0 &&
		    strcmp(m->name, "/modelreg.v1.Watch/Info") != 0) {
			mr_status rv = call_as(env, other, m, req);
			if (rv != MR_PERMISSION_DENIED)
				fail_msg("%s with a grant on other models: "
					 "%s (%s)",
				    m->name, mr_strerror(rv),
				    env->last_message);
		}
		/* A reader is refused everything but reads. */
		if (!m->inline_read && (m->mutates ||
					   strstr(m->name, ".Admin/") ||
					   strstr(m->name, ".Scrub/") ||
					   strstr(m->name, "Token"))) {
			mr_status rv = call_as(env, reader, m, req);
			if (rv != MR_PERMISSION_DENIED)
				fail_msg("%s as a reader: %s (%s)", m->name,
				    mr_strerror(rv), env->last_message);
		}
		free(req);
	}
	assert_true(methods >= 40);
	/* Nothing was changed: no event, and fraud is as it was. */
	assert_int_equal(store_revision(env->st), before);
	assert_int_equal(st_stage(env, "fraud", "1.0.0"), MR_STAGE_DEV);
	/* Every refusal is in the audit log, up to the rate limit. */
	denials = count_denials(env, NULL, "");
	assert_true(denials >= SVC_DENIALS_AUDITED_PER_S);
}

/* A refusal's audit record names who, what, and why. */
static void
test_refusal_is_audited_with_the_tokens_identity(void **state)
{
	st_env *env = *state;
	Modelreg__V1__PromoteRequest rq = MODELREG__V1__PROMOTE_REQUEST__INIT;
	char reader[SVC_TOKEN_LEN + 1];

	/* A second of its own: the rate of denial records is per second,
	 * and the matrix above spent a second's worth. */
	usleep(1100 * 1000);
	assert_int_equal(st_register(env, "fraud", "1.0.0", 100), MR_OK);
	st_token_with(env, "rita", READER, "*", reader);
	rq.name = "fraud";
	rq.version = "1.0.0";
	rq.to_stage = STAGING;
	assert_int_equal(st_call_as(env, reader, "Registry/Promote", &rq.base,
			     NULL, NULL, NULL),
	    MR_PERMISSION_DENIED);
	assert_non_null(strstr(env->last_message,
	    "Registry/Promote needs WRITER on \"fraud\"; rita"));
	assert_int_equal(count_denials(env, "rita",
			     "PERMISSION_DENIED: Registry/Promote needs WRITER"),
	    1);
	assert_int_equal(st_stage(env, "fraud", "1.0.0"), MR_STAGE_DEV);
}

/*
 * A refusal comes before any handler has checked the request: a name no
 * model could have (2000 bytes, past every key's room) is recorded as
 * such, and the server goes on.
 */
static void
test_refusal_of_a_request_with_an_impossible_name_is_audited_safely(
    void **state)
{
	st_env *env = *state;
	Modelreg__V1__GetVersionRequest gv =
	    MODELREG__V1__GET_VERSION_REQUEST__INIT;
	char *name = malloc(2001), *version = malloc(301);

	usleep(1100 * 1000); /* a second's denial budget of its own */
	memset(name, 'n', 2000);
	name[2000] = '\0';
	memset(version, '1', 300);
	version[300] = '\0';
	gv.name = name;
	gv.version = version;
	assert_int_equal(st_call_as(env, "", "Registry/GetVersion", &gv.base,
			     NULL, NULL, NULL),
	    MR_UNAUTHENTICATED);
	gv.name = "fraud";
	assert_int_equal(st_call_as(env, "", "Registry/GetVersion", &gv.base,
			     NULL, NULL, NULL),
	    MR_UNAUTHENTICATED);
	free(name);
	free(version);
	assert_int_equal(count_denials(env, "anonymous", "GetVersion needs a "
							 "token"),
	    2);
	assert_int_equal(st_register(env, "fraud", "1.0.0", 10), MR_OK);
}

/* The identity of a change is the token's, whatever the client says. */
static void
test_identity_comes_from_the_token_not_the_client(void **state)
{
	st_env *env = *state;
	Modelreg__V1__GetVersionRequest gv =
	    MODELREG__V1__GET_VERSION_REQUEST__INIT;
	Modelreg__V1__GetVersionResponse *r;
	Modelreg__V1__Request rq = MODELREG__V1__REQUEST__INIT;
	Modelreg__V1__PromoteRequest pr = MODELREG__V1__PROMOTE_REQUEST__INIT;
	uint8_t payload[256], *bytes;
	size_t len;

	env->user = "carol";
	assert_int_equal(st_register(env, "fraud", "1.0.0", 100), MR_OK);
	gv.name = "fraud";
	gv.version = "1.0.0";
	assert_int_equal(st_call(env, "Registry/GetVersion", &gv.base, NULL,
			     &modelreg__v1__get_version_response__descriptor,
			     (ProtobufCMessage **)&r),
	    MR_OK);
	assert_string_equal(r->version->created_by, "carol");
	modelreg__v1__get_version_response__free_unpacked(r, NULL);

	/* An envelope that still carries the old claimed-user field 7,
	 * "mallory": ignored. */
	pr.name = "fraud";
	pr.version = "1.0.0";
	pr.to_stage = STAGING;
	pr.reason = "ok";
	rq.method = "/modelreg.v1.Registry/Promote";
	rq.auth_token = (char *)st_token(env, "carol");
	rq.payload.data = payload;
	rq.payload.len = modelreg__v1__promote_request__pack(&pr, payload);
	len = modelreg__v1__request__get_packed_size(&rq);
	bytes = malloc(len + 16);
	modelreg__v1__request__pack(&rq, bytes);
	bytes[len++] = (7 << 3) | 2;
	bytes[len++] = 7;
	memcpy(bytes + len, "mallory", 7);
	len += 7;
	assert_int_equal(st_call_raw(env, bytes, len, NULL), MR_OK);
	free(bytes);
	assert_int_equal(count_denials(env, NULL, ""), 0);
	{
		Modelreg__V1__ListAuditRequest la =
		    MODELREG__V1__LIST_AUDIT_REQUEST__INIT;
		Modelreg__V1__ListAuditResponse *a;
		la.model = "fraud";
		assert_int_equal(st_call(env, "Audit/ListAudit", &la.base,
				     NULL,
				     &modelreg__v1__list_audit_response__descriptor,
				     (ProtobufCMessage **)&a),
		    MR_OK);
		assert_int_equal(a->n_records, 2);
		assert_string_equal(a->records[1]->action, "Promote");
		assert_string_equal(a->records[1]->actor, "carol");
		modelreg__v1__list_audit_response__free_unpacked(a, NULL);
	}
}

/* Grants are scoped: a pattern, and for approvers a stage. */
static void
test_grants_are_scoped_by_model_pattern_and_stage(void **state)
{
	st_env *env = *state;
	Modelreg__V1__ReviewRequest rv = MODELREG__V1__REVIEW_REQUEST__INIT;
	Modelreg__V1__ListModelsRequest lm =
	    MODELREG__V1__LIST_MODELS_REQUEST__INIT;
	Modelreg__V1__ListModelsResponse *models;
	char writer[SVC_TOKEN_LEN + 1], prod[SVC_TOKEN_LEN + 1];

	assert_int_equal(st_register(env, "fraud-eu", "1.0.0", 100), MR_OK);
	assert_int_equal(st_register(env, "churn", "1.0.0", 100), MR_OK);
	st_token_with(env, "wendy", WRITER, "fraud-*", writer);

	/* The writer writes fraud-*, not churn; reads only fraud-*. */
	{
		Modelreg__V1__SetAliasRequest sa =
		    MODELREG__V1__SET_ALIAS_REQUEST__INIT;
		sa.name = "fraud-eu";
		sa.alias = "champion";
		sa.version = "1.0.0";
		assert_int_equal(st_call_as(env, writer, "Registry/SetAlias",
				     &sa.base, NULL, NULL, NULL),
		    MR_OK);
		sa.name = "churn";
		assert_int_equal(st_call_as(env, writer, "Registry/SetAlias",
				     &sa.base, NULL, NULL, NULL),
		    MR_PERMISSION_DENIED);
	}
	assert_int_equal(st_call_as(env, writer, "Registry/ListModels",
			     &lm.base, NULL,
			     &modelreg__v1__list_models_response__descriptor,
			     (ProtobufCMessage **)&models),
	    MR_OK);
	assert_int_equal(models->n_models, 1);
	assert_string_equal(models->models[0]->name, "fraud-eu");
	modelreg__v1__list_models_response__free_unpacked(models, NULL);

	/* An approver for production reviews for production only. */
	{
		Modelreg__V1__Grant g = MODELREG__V1__GRANT__INIT;
		Modelreg__V1__CreateTokenRequest ct =
		    MODELREG__V1__CREATE_TOKEN_REQUEST__INIT;
		Modelreg__V1__CreateTokenResponse *cr;
		Modelreg__V1__Grant *gs[] = { &g };
		g.role = APPROVER;
		g.models = "*";
		g.stage = PROD;
		ct.identity = "paula";
		ct.grants = gs;
		ct.n_grants = 1;
		assert_int_equal(st_call_as(env, st_token(env, "root"),
				     "Auth/CreateToken", &ct.base, NULL,
				     &modelreg__v1__create_token_response__descriptor,
				     (ProtobufCMessage **)&cr),
		    MR_OK);
		snprintf(prod, sizeof(prod), "%s", cr->token);
		modelreg__v1__create_token_response__free_unpacked(cr, NULL);
	}
	rv.name = "churn";
	rv.version = "1.0.0";
	rv.decision = MODELREG__V1__DECISION__DECISION_APPROVE;
	rv.stage = STAGING;
	assert_int_equal(st_call_as(env, prod, "Registry/Review", &rv.base,
			     NULL, NULL, NULL),
	    MR_PERMISSION_DENIED);
	assert_non_null(strstr(env->last_message, "APPROVER for stage"));
	rv.stage = PROD;
	assert_int_equal(st_call_as(env, prod, "Registry/Review", &rv.base,
			     NULL, NULL, NULL),
	    MR_OK);
}

/* An admin may approve its own version only with an audited override. */
static void
test_admin_self_approval_needs_an_audited_override(void **state)
{
	st_env *env = *state;
	Modelreg__V1__ReviewRequest rv = MODELREG__V1__REVIEW_REQUEST__INIT;
	Modelreg__V1__ReviewResponse *r;
	char writer[SVC_TOKEN_LEN + 1];

	env->user = "ada"; /* an admin */
	assert_int_equal(st_register(env, "fraud", "1.0.0", 100), MR_OK);
	rv.name = "fraud";
	rv.version = "1.0.0";
	rv.stage = PROD;
	rv.decision = MODELREG__V1__DECISION__DECISION_APPROVE;
	assert_int_equal(st_call(env, "Registry/Review", &rv.base, NULL, NULL,
			     NULL),
	    MR_PERMISSION_DENIED);
	assert_non_null(strstr(env->last_message, "separation of duties"));
	/* The override wants a reason... */
	rv.override_separation = true;
	assert_int_equal(st_call(env, "Registry/Review", &rv.base, NULL, NULL,
			     NULL),
	    MR_PERMISSION_DENIED);
	/* ... and an admin: a writer of the model may not. */
	rv.comment = "on call, approver away; incident 4711";
	st_token_with(env, "ada", WRITER, "*", writer);
	assert_int_equal(st_call_as(env, writer, "Registry/Review", &rv.base,
			     NULL, NULL, NULL),
	    MR_PERMISSION_DENIED);
	assert_int_equal(st_call(env, "Registry/Review", &rv.base, NULL,
			     &modelreg__v1__review_response__descriptor,
			     (ProtobufCMessage **)&r),
	    MR_OK);
	assert_int_equal(r->version->n_approvals, 1);
	assert_true(r->version->approvals[0]->separation_overridden);
	assert_string_equal(r->version->approvals[0]->reviewer, "ada");
	modelreg__v1__review_response__free_unpacked(r, NULL);
	{
		Modelreg__V1__ListAuditRequest la =
		    MODELREG__V1__LIST_AUDIT_REQUEST__INIT;
		Modelreg__V1__ListAuditResponse *a;
		la.model = "fraud";
		assert_int_equal(st_call(env, "Audit/ListAudit", &la.base,
				     NULL,
				     &modelreg__v1__list_audit_response__descriptor,
				     (ProtobufCMessage **)&a),
		    MR_OK);
		assert_string_equal(a->records[a->n_records - 1]->action,
		    "Review");
		assert_string_equal(a->records[a->n_records - 1]->reason,
		    "on call, approver away; incident 4711");
		assert_non_null(strstr(a->records[a->n_records - 1]->after,
		    "separation_overridden"));
		modelreg__v1__list_audit_response__free_unpacked(a, NULL);
	}
}

/* Reads without a token only where the server opens them. */
static void
test_anonymous_reads_only_when_opened(void **state)
{
	st_env *env = *state;
	Modelreg__V1__GetModelRequest gm = MODELREG__V1__GET_MODEL_REQUEST__INIT;
	Modelreg__V1__UpdateModelRequest um =
	    MODELREG__V1__UPDATE_MODEL_REQUEST__INIT;

	assert_int_equal(st_register(env, "fraud", "1.0.0", 100), MR_OK);
	gm.name = "fraud";
	assert_int_equal(st_call_as(env, "", "Registry/GetModel", &gm.base,
			     NULL, NULL, NULL),
	    MR_UNAUTHENTICATED);
	env->w.anonymous_read = true;
	assert_int_equal(st_call_as(env, "", "Registry/GetModel", &gm.base,
			     NULL, NULL, NULL),
	    MR_OK);
	um.name = "fraud";
	um.description = "x";
	assert_int_equal(st_call_as(env, "", "Registry/UpdateModel", &um.base,
			     NULL, NULL, NULL),
	    MR_UNAUTHENTICATED);
	env->w.anonymous_read = false;
}

/* Only a hash of the secret is stored, and no reply shows even that. */
static void
test_token_secret_is_stored_only_as_its_hash(void **state)
{
	st_env *env = *state;
	Modelreg__V1__ListTokensRequest lq =
	    MODELREG__V1__LIST_TOKENS_REQUEST__INIT;
	Modelreg__V1__ListTokensResponse *l;
	const char *t = st_token(env, "root");
	const char *secret = t + SVC_TOKEN_ID_LEN + 1;
	uint8_t want[MR_DIGEST_LEN];
	Modelreg__V1__Token *rec;
	char path[4096 + 300];
	struct dirent *de;
	mr_err e;
	DIR *d;

	assert_int_equal(store_get_token(env->st, "0000000000000000", &rec,
			     &e),
	    MR_NOT_FOUND);
	{
		char id[SVC_TOKEN_ID_LEN + 1];
		memcpy(id, t, SVC_TOKEN_ID_LEN);
		id[SVC_TOKEN_ID_LEN] = '\0';
		assert_int_equal(store_get_token(env->st, id, &rec, &e), MR_OK);
	}
	mr_sha256_once(secret, SVC_TOKEN_SECRET_LEN, want);
	assert_int_equal(rec->secret_sha256.len, MR_DIGEST_LEN);
	assert_memory_equal(rec->secret_sha256.data, want, MR_DIGEST_LEN);
	modelreg__v1__token__free_unpacked(rec, NULL);

	assert_int_equal(st_call(env, "Auth/ListTokens", &lq.base, NULL,
			     &modelreg__v1__list_tokens_response__descriptor,
			     (ProtobufCMessage **)&l),
	    MR_OK);
	assert_true(l->n_tokens >= 2);
	for (size_t i = 0; i < l->n_tokens; i++)
		assert_int_equal(l->tokens[i]->secret_sha256.len, 0);
	modelreg__v1__list_tokens_response__free_unpacked(l, NULL);

	/* Not one of the store's files (WAL included) holds the secret. */
	st_reopen(env);
	assert_non_null(d = opendir(env->dir));
	while ((de = readdir(d)) != NULL) {
		size_t len;
		char *b;
		snprintf(path, sizeof(path), "%s/%s", env->dir, de->d_name);
		if ((b = tu_read_file(path, &len)) == NULL)
			continue;
		for (size_t i = 0; i + SVC_TOKEN_SECRET_LEN <= len; i++)
			if (memcmp(b + i, secret, SVC_TOKEN_SECRET_LEN) == 0)
				fail_msg("the secret is in %s", path);
		free(b);
	}
	closedir(d);
}

/* Revocation takes effect on the next call, and is kept on record. */
static void
test_revoked_token_is_refused_at_once(void **state)
{
	st_env *env = *state;
	Modelreg__V1__WhoAmIRequest w = MODELREG__V1__WHO_AM_IREQUEST__INIT;
	Modelreg__V1__WhoAmIResponse *r;
	char t[SVC_TOKEN_LEN + 1];

	st_token_with(env, "rita", READER, "*", t);
	assert_int_equal(st_call_as(env, t, "Auth/WhoAmI", &w.base, NULL,
			     &modelreg__v1__who_am_iresponse__descriptor,
			     (ProtobufCMessage **)&r),
	    MR_OK);
	assert_string_equal(r->info->identity, "rita");
	assert_int_equal(r->info->n_grants, 1);
	assert_int_equal(r->info->secret_sha256.len, 0);
	modelreg__v1__who_am_iresponse__free_unpacked(r, NULL);
	assert_int_equal(revoke_token(env, t), MR_OK);
	assert_int_equal(st_call_as(env, t, "Auth/WhoAmI", &w.base, NULL, NULL,
			     NULL),
	    MR_UNAUTHENTICATED);
	assert_non_null(strstr(env->last_message, "was revoked"));
	/* Revoking twice keeps the first record. */
	assert_int_equal(revoke_token(env, t), MR_OK);
}

/* Tokens are checked when made: identity, grants, expiry. */
static void
test_bad_token_requests_are_refused(void **state)
{
	st_env *env = *state;
	Modelreg__V1__CreateTokenRequest ct =
	    MODELREG__V1__CREATE_TOKEN_REQUEST__INIT;
	Modelreg__V1__Grant g = MODELREG__V1__GRANT__INIT, *gs[] = { &g };
	const char *root = st_token(env, "root");

	ct.identity = "ok";
	assert_int_equal(st_call_as(env, root, "Auth/CreateToken", &ct.base,
			     NULL, NULL, NULL),
	    MR_INVALID_ARGUMENT); /* no grant */
	ct.grants = gs;
	ct.n_grants = 1;
	g.role = READER;
	g.models = "a b";
	assert_int_equal(st_call_as(env, root, "Auth/CreateToken", &ct.base,
			     NULL, NULL, NULL),
	    MR_INVALID_ARGUMENT);
	g.models = "*";
	g.stage = PROD; /* a stage on a reader grant */
	assert_int_equal(st_call_as(env, root, "Auth/CreateToken", &ct.base,
			     NULL, NULL, NULL),
	    MR_INVALID_ARGUMENT);
	g.stage = 0;
	ct.identity = "anonymous";
	assert_int_equal(st_call_as(env, root, "Auth/CreateToken", &ct.base,
			     NULL, NULL, NULL),
	    MR_INVALID_ARGUMENT);
	ct.identity = "ok";
	ct.expires_at_ms = 1;
	assert_int_equal(st_call_as(env, root, "Auth/CreateToken", &ct.base,
			     NULL, NULL, NULL),
	    MR_INVALID_ARGUMENT);
	ct.expires_at_ms = 0;
	assert_int_equal(st_call_as(env, root, "Auth/CreateToken", &ct.base,
			     NULL, NULL, NULL),
	    MR_OK);
}

/* The first admin token is made once, on a registry that never had one. */
static void
test_first_admin_token_is_made_once(void **state)
{
	st_env env;
	char t[SVC_TOKEN_LEN + 1];
	bool made;
	mr_err e;

	(void)state;
	st_setup(&env, "auth-bootstrap");
	assert_int_equal(svc_auth_bootstrap(env.st, t, &made, &e), MR_OK);
	assert_true(made);
	assert_int_equal(strlen(t), SVC_TOKEN_LEN);
	assert_int_equal(revoke_token(&env, t), MR_OK);
	assert_int_equal(svc_auth_bootstrap(env.st, t, &made, &e), MR_OK);
	assert_false(made);
	st_reopen(&env);
	assert_int_equal(svc_auth_bootstrap(env.st, t, &made, &e), MR_OK);
	assert_false(made);
	st_teardown(&env);
}

int
main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, st_fixture_setup, \
    st_fixture_teardown)
	const struct CMUnitTest tests[] = {
		T(test_every_method_refuses_every_bad_credential),
		T(test_refusal_is_audited_with_the_tokens_identity),
		T(test_refusal_of_a_request_with_an_impossible_name_is_audited_safely),
		T(test_identity_comes_from_the_token_not_the_client),
		T(test_grants_are_scoped_by_model_pattern_and_stage),
		T(test_admin_self_approval_needs_an_audited_override),
		T(test_anonymous_reads_only_when_opened),
		T(test_token_secret_is_stored_only_as_its_hash),
		T(test_revoked_token_is_refused_at_once),
		T(test_bad_token_requests_are_refused),
		T(test_first_admin_token_is_made_once),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
