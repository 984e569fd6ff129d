/*
 * auth.c - the Auth service's calls: tokens.
 */
#include <stdlib.h>
#include <string.h>

#include "auth.pb-c.h"
#include "client.h"

#define M_CREATE "/modelreg.v1.Auth/CreateToken"
#define M_LIST   "/modelreg.v1.Auth/ListTokens"
#define M_REVOKE "/modelreg.v1.Auth/RevokeToken"
#define M_WHOAMI "/modelreg.v1.Auth/WhoAmI"

static const char *const role_names[] = {
	[MR_ROLE_READER] = "reader",
	[MR_ROLE_WRITER] = "writer",
	[MR_ROLE_APPROVER] = "approver",
	[MR_ROLE_ADMIN] = "admin",
};

const char *
mr_role_name(mr_role r)
{
	if (r < MR_ROLE_READER || r > MR_ROLE_ADMIN)
		return "";
	return role_names[r];
}

mr_role
mr_role_parse(const char *name)
{
	for (int r = MR_ROLE_READER; r <= MR_ROLE_ADMIN; r++)
		if (name != NULL && strcmp(name, role_names[r]) == 0)
			return (mr_role)r;
	return 0;
}

void
mr_token_list_free(mr_token_list *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->count; i++)
		free((void *)l->items[i].grants);
	free(l->items);
	if (l->reply_ != NULL)
		rpc_reply_free(l->reply_);
	free(l);
}

/* A list over `tokens`, which point into `reply` (owned by the list). */
static mr_status
list_new(mr_client *c, ProtobufCMessage *reply,
    Modelreg__V1__Token *const *tokens, size_t n, mr_token_list **out)
{
	mr_token_list *l = calloc(1, sizeof(*l));

	if (l == NULL || (l->items = calloc(n ? n : 1, sizeof(*l->items))) ==
	    NULL) {
		free(l);
		rpc_reply_free(reply);
		return mr_fail(&c->err, MR_RESOURCE_EXHAUSTED, "out of memory");
	}
	l->reply_ = reply;
	for (size_t i = 0; i < n; i++) {
		const Modelreg__V1__Token *t = tokens[i];
		mr_token_info *o = &l->items[i];
		mr_grant *g = calloc(t->n_grants ? t->n_grants : 1, sizeof(*g));

		if (g == NULL) {
			mr_token_list_free(l);
			return mr_fail(&c->err, MR_RESOURCE_EXHAUSTED,
			    "out of memory");
		}
		for (size_t k = 0; k < t->n_grants; k++) {
			g[k].role = (mr_role)t->grants[k]->role;
			g[k].models = t->grants[k]->models;
			g[k].stage = (mr_stage)t->grants[k]->stage;
		}
		o->grants = g;
		o->n_grants = t->n_grants;
		o->id = t->id;
		o->identity = t->identity;
		o->description = t->description;
		o->created_at_ms = t->created_at_ms;
		o->created_by = t->created_by;
		o->expires_at_ms = t->expires_at_ms;
		o->revoked_at_ms = t->revoked_at_ms;
		o->revoked_by = t->revoked_by;
		l->count++;
	}
	*out = l;
	return MR_OK;
}

/* The one token of a reply, as a list of one; NULL `out`: dropped. */
static mr_status
one(mr_client *c, ProtobufCMessage *reply, Modelreg__V1__Token *t,
    mr_token_list **out)
{
	if (out == NULL) {
		rpc_reply_free(reply);
		return MR_OK;
	}
	if (t == NULL) {
		rpc_reply_free(reply);
		return mr_fail(&c->err, MR_INTERNAL,
		    "the server sent no token record");
	}
	return list_new(c, reply, &t, 1, out);
}

mr_status
mr_token_create(mr_client *c, const char *identity, const mr_grant *grants,
    size_t n_grants, const char *description, int64_t expires_at_ms,
    char **token, mr_token_list **info)
{
	Modelreg__V1__CreateTokenRequest req =
	    MODELREG__V1__CREATE_TOKEN_REQUEST__INIT;
	Modelreg__V1__CreateTokenResponse *resp;
	Modelreg__V1__Grant g[MR_GRANTS_MAX], *gp[MR_GRANTS_MAX];
	mr_status rv;

	if (c == NULL)
		return MR_INVALID_ARGUMENT;
	mr_err_clear(&c->err);
	if (token == NULL)
		return client_no_out(&c->err);
	if (n_grants == 0 || n_grants > MR_GRANTS_MAX || grants == NULL)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "a token has 1..%d grants", MR_GRANTS_MAX);
	for (size_t i = 0; i < n_grants; i++) {
		modelreg__v1__grant__init(&g[i]);
		g[i].role = (Modelreg__V1__Role)grants[i].role;
		g[i].models = client_str(grants[i].models);
		g[i].stage = (Modelreg__V1__Stage)grants[i].stage;
		gp[i] = &g[i];
	}
	req.identity = client_str(identity);
	req.grants = gp;
	req.n_grants = n_grants;
	req.description = client_str(description);
	req.expires_at_ms = expires_at_ms;
	rv = client_call(c, M_CREATE, &req.base, true,
	    &modelreg__v1__create_token_response__descriptor, &resp);
	if (rv != MR_OK)
		return rv;
	if ((*token = strdup(resp->token)) == NULL) {
		rpc_reply_free(&resp->base);
		return mr_fail(&c->err, MR_RESOURCE_EXHAUSTED, "out of memory");
	}
	if ((rv = one(c, &resp->base, resp->info, info)) != MR_OK) {
		free(*token);
		*token = NULL;
	}
	return rv;
}

mr_status
mr_token_list_all(mr_client *c, mr_token_list **out)
{
	Modelreg__V1__ListTokensRequest req =
	    MODELREG__V1__LIST_TOKENS_REQUEST__INIT;
	Modelreg__V1__ListTokensResponse *resp;
	mr_status rv;

	if (c == NULL)
		return MR_INVALID_ARGUMENT;
	mr_err_clear(&c->err);
	if (out == NULL)
		return client_no_out(&c->err);
	rv = client_call(c, M_LIST, &req.base, false,
	    &modelreg__v1__list_tokens_response__descriptor, &resp);
	if (rv != MR_OK)
		return rv;
	return list_new(c, &resp->base, resp->tokens, resp->n_tokens, out);
}

mr_status
mr_token_revoke(mr_client *c, const char *id, const char *reason,
    mr_token_list **out)
{
	Modelreg__V1__RevokeTokenRequest req =
	    MODELREG__V1__REVOKE_TOKEN_REQUEST__INIT;
	Modelreg__V1__RevokeTokenResponse *resp;
	mr_status rv;

	if (c == NULL)
		return MR_INVALID_ARGUMENT;
	mr_err_clear(&c->err);
	req.id = client_str(id);
	req.reason = client_str(reason);
	rv = client_call(c, M_REVOKE, &req.base, true,
	    &modelreg__v1__revoke_token_response__descriptor, &resp);
	if (rv != MR_OK)
		return rv;
	return one(c, &resp->base, resp->info, out);
}

mr_status
mr_whoami(mr_client *c, mr_token_list **out)
{
	Modelreg__V1__WhoAmIRequest req = MODELREG__V1__WHO_AM_IREQUEST__INIT;
	Modelreg__V1__WhoAmIResponse *resp;
	mr_status rv;

	if (c == NULL)
		return MR_INVALID_ARGUMENT;
	mr_err_clear(&c->err);
	if (out == NULL)
		return client_no_out(&c->err);
	rv = client_call(c, M_WHOAMI, &req.base, false,
	    &modelreg__v1__who_am_iresponse__descriptor, &resp);
	if (rv != MR_OK)
		return rv;
	return one(c, &resp->base, resp->info, out);
}
