/*
 * auth.c - who is calling, and whether they may.
 *
 * A token is "<id>.<secret>" (proto/auth.proto). The store keeps the
 * token's record under its id with the SHA-256 of the secret; a call's
 * token is looked up by id, its secret hashed and compared in constant
 * time, then its expiry and revocation are checked. The identity on the
 * record becomes the call's actor: audit records, approvals and
 * registrations all take it from here, never from the client.
 *
 * What each method needs is the table `rules` below: one line per method,
 * the role and the request field that names the model the call is about.
 * A method missing from it needs ADMIN on "*" (default deny); a test
 * checks that every method served has its line.
 *
 * Checks run in the dispatcher before the handler, so before any state is
 * read or written: authentication right after the method is known,
 * authorization once the request is unpacked (the model name is in it).
 */
#include <fnmatch.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/crypto.h>

#include "envelope.pb-c.h"
#include "svc.h"

/* ---- the rules ------------------------------------------------------------ */

typedef struct rule {
	const char *method; /* after "/modelreg.v1." */
	svc_need need;
	/* The request's field naming the model; NULL: the call is about no
	 * one model. An empty value means every model (needs "*"). */
	const char *model;
} rule;

static const rule rules[] = {
	{ "Registry/RegisterVersion", SVC_NEED_WRITE, "name" },
	{ "Registry/GetModel", SVC_NEED_READ, "name" },
	{ "Registry/GetVersion", SVC_NEED_READ, "name" },
	{ "Registry/ListModels", SVC_NEED_READ, NULL }, /* filtered */
	{ "Registry/ListVersions", SVC_NEED_READ, "name" },
	{ "Registry/Promote", SVC_NEED_WRITE, "name" },
	{ "Registry/Rollback", SVC_NEED_WRITE, "name" },
	{ "Registry/ListEvents", SVC_NEED_READ, "name" },
	{ "Registry/UpdateModel", SVC_NEED_WRITE, "name" },
	{ "Registry/UpdateVersion", SVC_NEED_WRITE, "name" },
	{ "Registry/SetApprovalPolicy", SVC_NEED_ADMIN, "name" },
	{ "Registry/Review", SVC_NEED_APPROVE, "name" },
	{ "Registry/Deprecate", SVC_NEED_WRITE, "name" },
	{ "Registry/SetAlias", SVC_NEED_WRITE, "name" },
	{ "Registry/DeleteAlias", SVC_NEED_WRITE, "name" },
	{ "Registry/CompareVersions", SVC_NEED_READ, "name" },
	{ "Registry/SetTrafficSplit", SVC_NEED_WRITE, "name" },
	{ "Registry/Resolve", SVC_NEED_READ, "name" },
	{ "Registry/SearchVersions", SVC_NEED_READ, NULL }, /* filtered */
	{ "Registry/DeleteVersion", SVC_NEED_ADMIN, "name" },
	{ "Registry/DeleteModel", SVC_NEED_ADMIN, "name" },
	{ "Artifacts/FindMissingChunks", SVC_NEED_WRITE, NULL },
	{ "Artifacts/PutChunk", SVC_NEED_WRITE, NULL },
	{ "Artifacts/GetChunk", SVC_NEED_READ, NULL },
	{ "Lineage/AddNode", SVC_NEED_WRITE, NULL },
	{ "Lineage/AddEdge", SVC_NEED_WRITE, NULL },
	{ "Lineage/DeleteNode", SVC_NEED_WRITE, NULL },
	{ "Lineage/GetNode", SVC_NEED_READ, NULL },
	{ "Lineage/Walk", SVC_NEED_READ, NULL },
	{ "Lineage/Impact", SVC_NEED_READ, NULL },
	{ "Lineage/Path", SVC_NEED_READ, NULL },
	{ "Lineage/ListNodes", SVC_NEED_READ, NULL },
	{ "Audit/ListAudit", SVC_NEED_READ, "model" },
	{ "Audit/VerifyAudit", SVC_NEED_READ, NULL },
	{ "Watch/Info", SVC_NEED_READ, NULL },
	{ "Watch/WatchSince", SVC_NEED_READ, "name" },
	{ "Scrub/Run", SVC_NEED_ADMIN, NULL },
	{ "Admin/Backup", SVC_NEED_ADMIN, NULL },
	{ "Admin/CollectGarbage", SVC_NEED_ADMIN, NULL },
	{ "Auth/CreateToken", SVC_NEED_ADMIN, NULL },
	{ "Auth/ListTokens", SVC_NEED_ADMIN, NULL },
	{ "Auth/RevokeToken", SVC_NEED_ADMIN, NULL },
	{ "Auth/WhoAmI", SVC_NEED_TOKEN, NULL },
};

static const rule default_rule = { "", SVC_NEED_ADMIN, NULL };

static const rule *
rule_of(const svc_method *m)
{
	const char *short_name = m->name + strlen("/modelreg.v1.");

	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (strcmp(rules[i].method, short_name) == 0)
			return &rules[i];
	return NULL;
}

bool
svc_auth_has_rule(const svc_method *m)
{
	return rule_of(m) != NULL;
}

static const char *
need_name(svc_need need)
{
	switch (need) {
	case SVC_NEED_TOKEN:
		return "a token";
	case SVC_NEED_READ:
		return "READER";
	case SVC_NEED_WRITE:
		return "WRITER";
	case SVC_NEED_APPROVE:
		return "APPROVER";
	case SVC_NEED_ADMIN:
		return "ADMIN";
	}
	return "?";
}

/* ---- checks --------------------------------------------------------------- */

const char *
svc_string_field(const ProtobufCMessage *req, const char *name)
{
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field_by_name(req->descriptor,
		name);

	if (f == NULL || f->type != PROTOBUF_C_TYPE_STRING ||
	    f->label == PROTOBUF_C_LABEL_REPEATED)
		return NULL;
	return *(char *const *)((const char *)req + f->offset);
}

static int
stage_field(const ProtobufCMessage *req)
{
	const ProtobufCFieldDescriptor *f =
	    protobuf_c_message_descriptor_get_field_by_name(req->descriptor,
		"stage");

	if (f == NULL || f->type != PROTOBUF_C_TYPE_ENUM)
		return 0;
	return *(const int *)((const char *)req + f->offset);
}

/* Whether grant `g` gives `need` (APPROVE for `stage`). */
static bool
role_gives(const Modelreg__V1__Grant *g, svc_need need, int stage)
{
	switch (g->role) {
	case MODELREG__V1__ROLE__ROLE_ADMIN:
		return true;
	case MODELREG__V1__ROLE__ROLE_WRITER:
		return need == SVC_NEED_READ || need == SVC_NEED_WRITE ||
		    need == SVC_NEED_TOKEN;
	case MODELREG__V1__ROLE__ROLE_APPROVER:
		return need == SVC_NEED_READ || need == SVC_NEED_TOKEN ||
		    (need == SVC_NEED_APPROVE &&
			(g->stage == 0 || (int)g->stage == stage));
	case MODELREG__V1__ROLE__ROLE_READER:
		return need == SVC_NEED_READ || need == SVC_NEED_TOKEN;
	default:
		return false;
	}
}

/*
 * Whether the caller has `need` on `model`: one model (a name), every
 * model (""), or some model (NULL).
 */
static bool
may(const svc_call *c, svc_need need, const char *model, int stage)
{
	const Modelreg__V1__Token *t = c->token;
	/* A name no model can have matches only "*" (the handler then says
	 * what is wrong with it); fnmatch never sees 64 KiB of it. */
	bool named = model != NULL && model[0] != '\0' &&
	    mr_check_name(model, NULL) == MR_OK;

	if (c->w->local != NULL)
		return true;
	if (t == NULL) /* anonymous: reads, when opened */
		return c->w->anonymous_read && need == SVC_NEED_READ;
	for (size_t i = 0; i < t->n_grants; i++) {
		const Modelreg__V1__Grant *g = t->grants[i];
		if (!role_gives(g, need, stage))
			continue;
		if (model == NULL || strcmp(g->models, "*") == 0 ||
		    (named && fnmatch(g->models, model, 0) == 0))
			return true;
	}
	return false;
}

bool
svc_may(const svc_call *c, svc_need need, const char *model)
{
	return may(c, need, model, 0);
}

static bool
hex_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') ||
			(s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return true;
}

/*
 * Counts commits that wrote a token. A worker's cached token is good
 * while this has not moved since it was read: bumped after the commit, so
 * a record read before a revocation was committed is always older than
 * the count that follows it.
 */
static _Atomic uint64_t token_generation;

void
svc_tokens_changed(void)
{
	atomic_fetch_add(&token_generation, 1);
}

static void
cache_token(svc_worker *w, const char *text, Modelreg__V1__Token *rec,
    uint64_t generation)
{
	if (w->last_token.rec != NULL)
		modelreg__v1__token__free_unpacked(w->last_token.rec, NULL);
	memcpy(w->last_token.text, text, SVC_TOKEN_LEN + 1);
	w->last_token.rec = rec;
	w->last_token.generation = generation;
}

void
svc_auth_forget(svc_worker *w)
{
	if (w->last_token.rec != NULL)
		modelreg__v1__token__free_unpacked(w->last_token.rec, NULL);
	memset(&w->last_token, 0, sizeof(w->last_token));
}

mr_status
svc_authenticate(svc_call *c, const svc_method *m, const char *token)
{
	const rule *r = rule_of(m);
	uint8_t want[MR_DIGEST_LEN];
	char id[SVC_TOKEN_ID_LEN + 1];
	Modelreg__V1__Token *t;
	uint64_t gen;
	mr_err e;

	if (c->w->local != NULL) {
		c->user = c->w->local;
		return MR_OK;
	}
	if (token[0] == '\0') {
		if (c->w->anonymous_read && r != NULL &&
		    r->need == SVC_NEED_READ) {
			c->user = "anonymous";
			return MR_OK;
		}
		c->user = "anonymous";
		return mr_fail(&c->err, MR_UNAUTHENTICATED,
		    "%s needs a token (set MODELREG_TOKEN or --token)",
		    m->name + strlen("/modelreg.v1."));
	}
	c->user = "unauthenticated";
	if (strlen(token) != SVC_TOKEN_LEN || token[SVC_TOKEN_ID_LEN] != '.' ||
	    !hex_digits(token, SVC_TOKEN_ID_LEN) ||
	    !hex_digits(token + SVC_TOKEN_ID_LEN + 1, SVC_TOKEN_SECRET_LEN))
		return mr_fail(&c->err, MR_UNAUTHENTICATED,
		    "the token is malformed (want <16 hex>.<64 hex>)");
	memcpy(id, token, SVC_TOKEN_ID_LEN);
	id[SVC_TOKEN_ID_LEN] = '\0';
	gen = atomic_load(&token_generation);
	if (c->w->last_token.rec != NULL &&
	    c->w->last_token.generation == gen &&
	    CRYPTO_memcmp(c->w->last_token.text, token, SVC_TOKEN_LEN) == 0) {
		/* The same token as this worker's last call, and no token
		 * was written since it was verified. */
		t = c->w->last_token.rec;
	} else {
		if (store_get_token(c->st, id, &t, &e) != MR_OK) {
			if (e.code != MR_NOT_FOUND)
				return mr_fail(&c->err, e.code, "%s", e.msg);
			return mr_fail(&c->err, MR_UNAUTHENTICATED,
			    "token %s is not known here", id);
		}
		mr_sha256(c->w->codec, token + SVC_TOKEN_ID_LEN + 1,
		    SVC_TOKEN_SECRET_LEN, want);
		if (t->secret_sha256.len != MR_DIGEST_LEN ||
		    CRYPTO_memcmp(want, t->secret_sha256.data,
			MR_DIGEST_LEN) != 0) {
			modelreg__v1__token__free_unpacked(t, NULL);
			return mr_fail(&c->err, MR_UNAUTHENTICATED,
			    "token %s: the secret does not match", id);
		}
		cache_token(c->w, token, t, gen);
	}
	c->user = t->identity;
	if (t->revoked_at_ms != 0)
		return mr_fail(&c->err, MR_UNAUTHENTICATED,
		    "token %s of %s was revoked", id, t->identity);
	if (t->expires_at_ms != 0 && c->now_ms >= t->expires_at_ms)
		return mr_fail(&c->err, MR_UNAUTHENTICATED,
		    "token %s of %s has expired", id, t->identity);
	c->token = t;
	return MR_OK;
}

mr_status
svc_authorize(svc_call *c, const svc_method *m, const ProtobufCMessage *req)
{
	const rule *r = rule_of(m);
	const char *model;
	int stage;

	if (r == NULL)
		r = &default_rule;
	model = r->model != NULL ? svc_string_field(req, r->model) : NULL;
	/* Registry-wide administration needs ADMIN over every model. */
	if (r->need == SVC_NEED_ADMIN && r->model == NULL)
		model = "";
	stage = r->need == SVC_NEED_APPROVE ? stage_field(req) : 0;
	if (may(c, r->need, model, stage))
		return MR_OK;
	if (c->token == NULL && c->w->local == NULL)
		return mr_fail(&c->err, MR_UNAUTHENTICATED,
		    "%s needs a token (set MODELREG_TOKEN or --token)",
		    m->name + strlen("/modelreg.v1."));
	if (model == NULL)
		return mr_fail(&c->err, MR_PERMISSION_DENIED,
		    "%s needs %s on some model; %s has no such grant",
		    m->name + strlen("/modelreg.v1."), need_name(r->need),
		    c->user);
	if (model[0] == '\0')
		return mr_fail(&c->err, MR_PERMISSION_DENIED,
		    "%s needs %s on every model (\"*\"); %s has no such "
		    "grant",
		    m->name + strlen("/modelreg.v1."), need_name(r->need),
		    c->user);
	if (r->need == SVC_NEED_APPROVE && stage != 0)
		return mr_fail(&c->err, MR_PERMISSION_DENIED,
		    "%s needs APPROVER for stage %d on \"%.128s\"; %s has no "
		    "such grant",
		    m->name + strlen("/modelreg.v1."), stage, model, c->user);
	return mr_fail(&c->err, MR_PERMISSION_DENIED,
	    "%s needs %s on \"%.128s\"; %s has no such grant",
	    m->name + strlen("/modelreg.v1."), need_name(r->need), model,
	    c->user);
}

/* ---- auditing denials ----------------------------------------------------- */

static struct {
	pthread_mutex_t mu;
	int64_t second;   /* the second being counted */
	unsigned written; /* denial records written in it */
	uint64_t dropped; /* not written since the last one that was */
} denials = { .mu = PTHREAD_MUTEX_INITIALIZER };

void
svc_audit_denied(svc_call *c, const svc_method *m, const ProtobufCMessage *req)
{
	char outcome[MR_ERRMSG_MAX + 96];
	uint64_t dropped;
	svc_call d = { .w = c->w, .st = c->st, .user = c->user };
	bool write;

	pthread_mutex_lock(&denials.mu);
	if (c->now_ms / 1000 != denials.second) {
		denials.second = c->now_ms / 1000;
		denials.written = 0;
	}
	write = denials.written < SVC_DENIALS_AUDITED_PER_S;
	dropped = denials.dropped;
	if (write) {
		denials.written++;
		denials.dropped = 0;
	} else {
		denials.dropped++;
	}
	pthread_mutex_unlock(&denials.mu);
	if (!write)
		return;

	if (dropped > 0)
		snprintf(outcome, sizeof(outcome),
		    "denied: %s: %s (and %llu earlier denials not recorded "
		    "one by one)",
		    mr_strerror(c->err.code), c->err.msg,
		    (unsigned long long)dropped);
	else
		snprintf(outcome, sizeof(outcome), "denied: %s: %s",
		    mr_strerror(c->err.code), c->err.msg);
	d.audit.outcome = outcome;
	d.audit.after = "{}";
	/* The request was refused before any handler checked it: a name
	 * that is no model's must not reach the audit log's model index
	 * (keys hold names of at most MR_NAME_MAX bytes), nor a long
	 * version its target. */
	{
		const char *name = svc_string_field(req, "name");
		const char *version = svc_string_field(req, "version");
		if (name != NULL && name[0] != '\0' &&
		    mr_check_name(name, NULL) != MR_OK) {
			d.audit.model = "";
			d.audit.target = "(not a model name)";
		} else if (version != NULL &&
		    strlen(version) > MR_VERSION_MAX) {
			d.audit.target = name;
		}
	}
	if (store_txn_begin(d.st, &d.txn, &d.err) != MR_OK)
		return;
	d.now_ms = mr_now_ms();
	if (svc_audit_append(&d, m, req) != MR_OK) {
		store_txn_abort(d.txn);
		fprintf(stderr, "modelregd: could not audit a denial: %s\n",
		    d.err.msg);
	} else if (store_txn_commit(d.txn, &d.err) != MR_OK) {
		fprintf(stderr, "modelregd: could not audit a denial: %s\n",
		    d.err.msg);
	}
	/* svc_audit_append may have deferred memory. */
	while (d.n_deferred > 0) {
		struct svc_deferred *x = &d.deferred[--d.n_deferred];
		x->fn(x->p);
	}
	free(d.deferred);
}

/* ---- the Auth service ----------------------------------------------------- */

static mr_status
check_identity(const char *id, mr_err *e)
{
	size_t n = strlen(id);

	if (n == 0 || n > MR_USER_MAX)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "a token's identity is 1..%d characters", MR_USER_MAX);
	for (size_t i = 0; i < n; i++) {
		char ch = id[i];
		bool alnum = (ch >= 'a' && ch <= 'z') ||
		    (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
		if (!alnum && (i == 0 || strchr("._@-", ch) == NULL))
			return mr_fail(e, MR_INVALID_ARGUMENT,
			    "identity \"%.128s\": letters, digits and \"._@-\","
			    " starting with a letter or digit",
			    id);
	}
	if (strcmp(id, "anonymous") == 0 || strcmp(id, "unauthenticated") == 0)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "identity \"%s\" is reserved", id);
	return MR_OK;
}

static mr_status
check_grant(const Modelreg__V1__Grant *g, mr_err *e)
{
	size_t n = strlen(g->models);

	if (g->role < MODELREG__V1__ROLE__ROLE_READER ||
	    g->role > MODELREG__V1__ROLE__ROLE_ADMIN)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "a grant needs a role (reader, writer, approver, admin)");
	if (n == 0 || n > MR_NAME_MAX)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "a grant's model pattern is 1..%d characters", MR_NAME_MAX);
	for (size_t i = 0; i < n; i++) {
		char ch = g->models[i];
		bool alnum = (ch >= 'a' && ch <= 'z') ||
		    (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
		if (!alnum && strchr("._-*?[]!", ch) == NULL)
			return mr_fail(e, MR_INVALID_ARGUMENT,
			    "model pattern \"%.128s\": model name characters "
			    "and the glob characters \"*?[]!\"",
			    g->models);
	}
	if (g->stage != 0 && g->role != MODELREG__V1__ROLE__ROLE_APPROVER)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "only an approver grant names a stage");
	if (g->stage != 0 && g->stage != MODELREG__V1__STAGE__STAGE_STAGING &&
	    g->stage != MODELREG__V1__STAGE__STAGE_PRODUCTION)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "approvals are for staging or production (stage %d)",
		    (int)g->stage);
	return MR_OK;
}

/* A copy of `t` without the secret's hash, for replies. */
static Modelreg__V1__Token *
shown(svc_call *c, Modelreg__V1__Token *t, bool owned)
{
	Modelreg__V1__Token *copy = owned ? svc_editable(c, &t->base)
					  : svc_alloc(c, 1, sizeof(*copy));

	if (copy == NULL)
		return NULL;
	if (!owned)
		*copy = *t;
	copy->secret_sha256.data = NULL;
	copy->secret_sha256.len = 0;
	return copy;
}

static void
hex(const uint8_t *b, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[b[i] >> 4];
		out[2 * i + 1] = digits[b[i] & 15];
	}
	out[2 * n] = '\0';
}

static mr_status
random_bytes(uint8_t *b, size_t n, mr_err *e)
{
	while (n > 0) {
		ssize_t got = getrandom(b, n, 0);
		if (got < 0)
			return mr_fail(e, MR_INTERNAL,
			    "the OS gave no random bytes");
		b += got;
		n -= (size_t)got;
	}
	return MR_OK;
}

static mr_status
create_token_h(svc_call *c, const ProtobufCMessage *reqm,
    ProtobufCMessage *respm)
{
	const Modelreg__V1__CreateTokenRequest *rq = (const void *)reqm;
	Modelreg__V1__CreateTokenResponse *resp = (void *)respm;
	uint8_t id_raw[SVC_TOKEN_ID_LEN / 2], secret_raw[SVC_TOKEN_SECRET_LEN / 2];
	uint8_t *hash;
	char *id, *token;
	Modelreg__V1__Token *t, *old;
	mr_err e;
	mr_status rv;

	if ((rv = check_identity(rq->identity, &c->err)) != MR_OK ||
	    (rv = mr_check_text("description", rq->description, MR_TEXT_MAX,
		 false, &c->err)) != MR_OK)
		return rv;
	if (rq->n_grants == 0 || rq->n_grants > SVC_GRANTS_MAX)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "a token has 1..%d grants", SVC_GRANTS_MAX);
	for (size_t i = 0; i < rq->n_grants; i++)
		if ((rv = check_grant(rq->grants[i], &c->err)) != MR_OK)
			return rv;
	if (rq->expires_at_ms != 0 && rq->expires_at_ms <= c->now_ms)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "the expiry is not in the future");

	id = svc_alloc(c, SVC_TOKEN_ID_LEN + 1, 1);
	token = svc_alloc(c, SVC_TOKEN_LEN + 1, 1);
	hash = svc_alloc(c, MR_DIGEST_LEN, 1);
	t = svc_alloc(c, 1, sizeof(*t));
	if (id == NULL || token == NULL || hash == NULL || t == NULL)
		return c->err.code;
	/* 64 random bits: a clash is next to impossible, but cheap to rule
	 * out under the writer lock. */
	do {
		if ((rv = random_bytes(id_raw, sizeof(id_raw), &c->err)) !=
		    MR_OK)
			return rv;
		hex(id_raw, sizeof(id_raw), id);
		rv = store_get_token(c->st, id, &old, &e);
		if (rv == MR_OK)
			modelreg__v1__token__free_unpacked(old, NULL);
		else if (rv != MR_NOT_FOUND)
			return mr_fail(&c->err, rv, "%s", e.msg);
	} while (rv == MR_OK);
	if ((rv = random_bytes(secret_raw, sizeof(secret_raw), &c->err)) !=
	    MR_OK)
		return rv;
	memcpy(token, id, SVC_TOKEN_ID_LEN);
	token[SVC_TOKEN_ID_LEN] = '.';
	hex(secret_raw, sizeof(secret_raw), token + SVC_TOKEN_ID_LEN + 1);
	OPENSSL_cleanse(secret_raw, sizeof(secret_raw));
	mr_sha256(c->w->codec, token + SVC_TOKEN_ID_LEN + 1,
	    SVC_TOKEN_SECRET_LEN, hash);

	modelreg__v1__token__init(t);
	t->id = id;
	t->identity = rq->identity;
	t->grants = rq->grants;
	t->n_grants = rq->n_grants;
	t->description = rq->description;
	t->created_at_ms = c->now_ms;
	t->created_by = (char *)c->user;
	t->expires_at_ms = rq->expires_at_ms;
	t->secret_sha256.data = hash;
	t->secret_sha256.len = MR_DIGEST_LEN;
	if ((rv = store_txn_put_token(c->txn, t, &c->err)) != MR_OK)
		return rv;
	store_txn_mark_bootstrapped(c->txn);
	c->tokens_changed = true;
	if ((rv = svc_audit_node(c, "token:%s", id)) != MR_OK)
		return rv;
	resp->token = token;
	if ((resp->info = shown(c, t, false)) == NULL)
		return c->err.code;
	return svc_audit_after(c, &resp->info->base);
}

struct token_list {
	svc_call *c;
	Modelreg__V1__Token **items;
	size_t n, cap;
	mr_status rv;
};

static int
token_add(void *arg, mr_pb_token *t)
{
	struct token_list *l = arg;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		Modelreg__V1__Token **p = svc_alloc(l->c, cap, sizeof(*p));
		if (p == NULL) {
			modelreg__v1__token__free_unpacked(t, NULL);
			l->rv = l->c->err.code;
			return 1;
		}
		if (l->n > 0)
			memcpy(p, l->items, l->n * sizeof(*p));
		l->items = p;
		l->cap = cap;
	}
	if ((l->items[l->n] = shown(l->c, t, true)) == NULL) {
		l->rv = l->c->err.code;
		return 1;
	}
	l->n++;
	return 0;
}

static mr_status
list_tokens_h(svc_call *c, const ProtobufCMessage *reqm,
    ProtobufCMessage *respm)
{
	Modelreg__V1__ListTokensResponse *resp = (void *)respm;
	struct token_list l = { .c = c };
	mr_status rv;

	(void)reqm;
	if ((rv = store_scan_tokens(c->st, token_add, &l, &c->err)) != MR_OK)
		return rv;
	if (l.rv != MR_OK)
		return l.rv;
	resp->tokens = l.items;
	resp->n_tokens = l.n;
	return MR_OK;
}

static mr_status
revoke_token_h(svc_call *c, const ProtobufCMessage *reqm,
    ProtobufCMessage *respm)
{
	const Modelreg__V1__RevokeTokenRequest *rq = (const void *)reqm;
	Modelreg__V1__RevokeTokenResponse *resp = (void *)respm;
	Modelreg__V1__Token *t, *orig;
	mr_status rv;

	if ((rv = mr_check_text("reason", rq->reason, MR_REASON_MAX, true,
		 &c->err)) != MR_OK)
		return rv;
	if (strlen(rq->id) != SVC_TOKEN_ID_LEN ||
	    !hex_digits(rq->id, SVC_TOKEN_ID_LEN))
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "a token id is %d hex digits", SVC_TOKEN_ID_LEN);
	if ((rv = store_get_token(c->st, rq->id, &orig, &c->err)) != MR_OK)
		return rv == MR_NOT_FOUND
		    ? mr_fail(&c->err, MR_NOT_FOUND, "no token %s", rq->id)
		    : rv;
	if ((t = svc_editable(c, &orig->base)) == NULL ||
	    (rv = svc_audit_node(c, "token:%s", rq->id)) != MR_OK)
		return c->err.code;
	if ((resp->info = shown(c, t, false)) == NULL ||
	    (rv = svc_audit_before(c, &resp->info->base)) != MR_OK)
		return c->err.code;
	/* Revoking twice keeps the first revocation's time and author. */
	if (t->revoked_at_ms == 0) {
		t->revoked_at_ms = c->now_ms;
		t->revoked_by = (char *)c->user;
		if ((rv = store_txn_put_token(c->txn, t, &c->err)) != MR_OK)
			return rv;
		c->tokens_changed = true;
	}
	if ((resp->info = shown(c, t, false)) == NULL)
		return c->err.code;
	return svc_audit_after(c, &resp->info->base);
}

static mr_status
whoami_h(svc_call *c, const ProtobufCMessage *reqm, ProtobufCMessage *respm)
{
	Modelreg__V1__WhoAmIResponse *resp = (void *)respm;

	(void)reqm;
	if (c->token == NULL) {
		/* A local tool: an identity with every right. */
		Modelreg__V1__Token *t = svc_alloc(c, 1, sizeof(*t));
		if (t == NULL)
			return c->err.code;
		modelreg__v1__token__init(t);
		t->identity = (char *)c->user;
		resp->info = t;
		return MR_OK;
	}
	resp->info = shown(c, (Modelreg__V1__Token *)c->token, false);
	return resp->info != NULL ? MR_OK : c->err.code;
}

#define METHOD(meth, req, resp, fn, mut)                                   \
	{                                                                  \
		.name = "/modelreg.v1.Auth/" meth,                         \
		.request = &modelreg__v1__##req##__descriptor,             \
		.response = &modelreg__v1__##resp##__descriptor,           \
		.handler = fn, .mutates = mut,                             \
	}

const svc_method svc_auth_methods[] = {
	METHOD("CreateToken", create_token_request, create_token_response,
	    create_token_h, true),
	METHOD("ListTokens", list_tokens_request, list_tokens_response,
	    list_tokens_h, false),
	METHOD("RevokeToken", revoke_token_request, revoke_token_response,
	    revoke_token_h, true),
	METHOD("WhoAmI", who_am_irequest, who_am_iresponse, whoami_h,
	    false),
};
const size_t svc_auth_method_count =
    sizeof(svc_auth_methods) / sizeof(svc_auth_methods[0]);

/* ---- calls from this process ---------------------------------------------- */

struct local_reply {
	uint8_t *buf;
	size_t len;
};

static void *
local_alloc(void *arg, size_t len)
{
	struct local_reply *r = arg;

	r->buf = malloc(len ? len : 1);
	r->len = len;
	return r->buf;
}

mr_status
svc_local_call(store *st, const char *identity, const char *method,
    const ProtobufCMessage *req, ProtobufCMessage **resp, mr_err *e)
{
	Modelreg__V1__Request env = MODELREG__V1__REQUEST__INIT;
	struct local_reply out = { 0 };
	svc_reply reply = { local_alloc, &out };
	Modelreg__V1__Response *r;
	const svc_method *m;
	uint8_t *msg, *pl;
	svc_worker w;
	size_t n;
	mr_status rv;

	if ((rv = svc_worker_init(&w, st, e)) != MR_OK)
		return rv;
	w.local = identity;
	n = protobuf_c_message_get_packed_size(req);
	pl = malloc(n ? n : 1);
	env.method = (char *)method;
	env.payload.data = pl;
	env.payload.len = n;
	if (pl != NULL)
		protobuf_c_message_pack(req, pl);
	msg = pl != NULL ? malloc(modelreg__v1__request__get_packed_size(&env))
			 : NULL;
	if (msg == NULL) {
		free(pl);
		svc_worker_fini(&w);
		return mr_fail(e, MR_RESOURCE_EXHAUSTED, "out of memory");
	}
	n = modelreg__v1__request__pack(&env, msg);
	svc_dispatch(&w, msg, n, &reply);
	free(msg);
	free(pl);
	svc_worker_fini(&w);
	if (out.buf == NULL)
		return mr_fail(e, MR_RESOURCE_EXHAUSTED, "out of memory");
	r = modelreg__v1__response__unpack(NULL, out.len, out.buf);
	free(out.buf);
	if (r == NULL)
		return mr_fail(e, MR_INTERNAL, "the reply does not unpack");
	rv = (mr_status)r->code;
	if (rv != MR_OK) {
		mr_fail(e, rv, "%s", r->message);
	} else if ((m = svc_method_of_name(method)) == NULL ||
	    (*resp = protobuf_c_message_unpack(m->response, NULL,
		 r->payload.len, r->payload.data)) == NULL) {
		rv = mr_fail(e, MR_INTERNAL, "the reply does not unpack");
	}
	modelreg__v1__response__free_unpacked(r, NULL);
	return rv;
}

mr_status
svc_token_mint(store *st, const char *by, const char *identity,
    const Modelreg__V1__Grant *grant, char *out, mr_err *e)
{
	Modelreg__V1__CreateTokenRequest rq =
	    MODELREG__V1__CREATE_TOKEN_REQUEST__INIT;
	Modelreg__V1__Grant *gs[] = { (Modelreg__V1__Grant *)grant };
	Modelreg__V1__CreateTokenResponse *resp;
	mr_status rv;

	rq.identity = (char *)identity;
	rq.grants = gs;
	rq.n_grants = 1;
	rv = svc_local_call(st, by, "/modelreg.v1.Auth/CreateToken", &rq.base,
	    (ProtobufCMessage **)&resp, e);
	if (rv != MR_OK)
		return rv;
	snprintf(out, SVC_TOKEN_LEN + 1, "%s", resp->token);
	modelreg__v1__create_token_response__free_unpacked(resp, NULL);
	return MR_OK;
}

mr_status
svc_auth_bootstrap(store *st, char *out, bool *made, mr_err *e)
{
	Modelreg__V1__Grant g = MODELREG__V1__GRANT__INIT;
	mr_status rv;

	*made = false;
	if (store_tokens_bootstrapped(st))
		return MR_OK;
	g.role = MODELREG__V1__ROLE__ROLE_ADMIN;
	g.models = "*";
	if ((rv = svc_token_mint(st, "modelregd", "admin", &g, out, e)) ==
	    MR_OK)
		*made = true;
	return rv;
}
