/*
 * dispatch.c - from request bytes to reply bytes.
 *
 * The dispatcher does, in order, everything that is the same for every
 * method, so handlers hold only their method's logic:
 *   1. unpack the Request envelope under a byte budget (malformed: INVALID_ARGUMENT)
 *   2. check the envelope's fields and the deadline (DEADLINE_EXCEEDED)
 *   3. find the method (unknown: UNIMPLEMENTED)
 *   4. unpack the payload as the method's request, refusing unknown fields,
 *      which is how a payload of the wrong type usually shows
 *   5. for a mutation: take the store's writer lock, answer a retried
 *      idempotency key with the stored reply, else run the handler and
 *      commit its writes together with the reply under the key
 *   6. pack the Response with the payload, directly into the reply buffer.
 * A committed mutation's events go to the change feed (publish.c) from
 * the store's commit hook, in revision order.
 */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include "crash.h"
#include "envelope.pb-c.h"
#include "svc.h"
#include "wire.h"

/* ---- per-request allocation budget ---------------------------------- */

struct budget {
	size_t used;
	size_t limit;
	bool exhausted; /* an allocation was refused */
};

/* Each block is prefixed with its size so that free can credit it. */
#define BUDGET_HDR 16

static void *
budget_alloc(void *data, size_t size)
{
	struct budget *b = data;
	uint8_t *p;

	if (size > b->limit - b->used) {
		b->exhausted = true;
		return NULL;
	}
	if ((p = malloc(size + BUDGET_HDR)) == NULL)
		return NULL;
	b->used += size;
	memcpy(p, &size, sizeof(size));
	return p + BUDGET_HDR;
}

static void
budget_free(void *data, void *ptr)
{
	struct budget *b = data;
	uint8_t *p = ptr;
	size_t size;

	if (p == NULL)
		return;
	p -= BUDGET_HDR;
	memcpy(&size, p, sizeof(size));
	b->used -= size;
	free(p);
}

/* ---- deferred frees --------------------------------------------------- */

mr_status
svc_defer(svc_call *c, void (*fn)(void *), void *p)
{
	if (c->n_deferred == c->cap_deferred) {
		size_t cap = c->cap_deferred ? 2 * c->cap_deferred : 16;
		struct svc_deferred *d = realloc(c->deferred, cap * sizeof(*d));
		if (d == NULL) {
			fn(p);
			return mr_fail(&c->err, MR_RESOURCE_EXHAUSTED,
			    "out of memory");
		}
		c->deferred = d;
		c->cap_deferred = cap;
	}
	c->deferred[c->n_deferred].fn = fn;
	c->deferred[c->n_deferred].p = p;
	c->n_deferred++;
	return MR_OK;
}

static void
free_msg(void *m)
{
	protobuf_c_message_free_unpacked(m, NULL);
}

mr_status
svc_defer_msg(svc_call *c, void *msg)
{
	return svc_defer(c, free_msg, msg);
}

void *
svc_alloc(svc_call *c, size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size);

	if (p == NULL) {
		mr_fail(&c->err, MR_RESOURCE_EXHAUSTED, "out of memory");
		return NULL;
	}
	if (svc_defer(c, free, p) != MR_OK)
		return NULL;
	return p;
}

void *
svc_editable(svc_call *c, ProtobufCMessage *orig)
{
	void *copy;

	if (svc_defer_msg(c, orig) != MR_OK)
		return NULL;
	if ((copy = svc_alloc(c, 1, orig->descriptor->sizeof_message)) == NULL)
		return NULL;
	memcpy(copy, orig, orig->descriptor->sizeof_message);
	return copy;
}

/* ---- pages ------------------------------------------------------------ */

size_t
svc_page_size(uint32_t asked)
{
	if (asked == 0)
		return MR_PAGE_SIZE_DEFAULT;
	return asked > MR_PAGE_SIZE_MAX ? MR_PAGE_SIZE_MAX : asked;
}

mr_status
svc_page_init(svc_page *p, svc_call *c, uint32_t asked)
{
	memset(p, 0, sizeof(*p));
	p->c = c;
	p->limit = svc_page_size(asked);
	if ((p->items = svc_alloc(c, p->limit, sizeof(*p->items))) == NULL)
		return c->err.code;
	return MR_OK;
}

int
svc_page_add(svc_page *p, ProtobufCMessage *m, bool wanted)
{
	/* Only the page is kept: a scan that rejects most of what it reads
	 * must not hold it all until the reply. */
	if (!wanted || p->rv != MR_OK || p->n == p->limit) {
		if (wanted && p->rv == MR_OK)
			p->more = true;
		protobuf_c_message_free_unpacked(m, NULL);
		return p->rv != MR_OK || p->more;
	}
	if (svc_defer_msg(p->c, m) != MR_OK) {
		p->rv = p->c->err.code;
		return 1;
	}
	p->items[p->n++] = m;
	return 0;
}

static void
run_deferred(svc_call *c)
{
	/* Newest first: later records may point into earlier ones. */
	while (c->n_deferred > 0) {
		struct svc_deferred *d = &c->deferred[--c->n_deferred];
		d->fn(d->p);
	}
	free(c->deferred);
	c->deferred = NULL;
	c->cap_deferred = 0;
}

/* ---- workers ------------------------------------------------------------ */

mr_status
svc_worker_init(svc_worker *w, store *st, mr_err *e)
{
	memset(w, 0, sizeof(*w));
	w->st = st;
	w->environment = SVC_ENVIRONMENT_DEFAULT;
	w->gc_grace_ms = MR_GC_GRACE_MS;
	w->codec = mr_codec_create();
	w->scratch = malloc(MR_CHUNK_MAX);
	if (w->codec == NULL || w->scratch == NULL) {
		svc_worker_fini(w);
		return mr_fail(e, MR_RESOURCE_EXHAUSTED, "out of memory");
	}
	return MR_OK;
}

void
svc_worker_fini(svc_worker *w)
{
	svc_auth_forget(w);
	mr_codec_free(w->codec);
	free(w->scratch);
	w->codec = NULL;
	w->scratch = NULL;
}

/* ---- checks ------------------------------------------------------------- */

/*
 * The method called `name`, or with `name` NULL the nth of all methods
 * served (NULL past the last).
 */
static const svc_method *
method_lookup(const char *name, size_t nth)
{
	static const struct {
		const svc_method *table;
		const size_t *count;
	} services[] = {
		{ svc_registry_methods, &svc_registry_method_count },
		{ svc_artifact_methods, &svc_artifact_method_count },
		{ svc_lineage_methods, &svc_lineage_method_count },
		{ svc_audit_methods, &svc_audit_method_count },
		{ svc_lifecycle_methods, &svc_lifecycle_method_count },
		{ svc_search_methods, &svc_search_method_count },
		{ svc_watch_methods, &svc_watch_method_count },
		{ svc_scrub_methods, &svc_scrub_method_count },
		{ svc_admin_methods, &svc_admin_method_count },
		{ svc_auth_methods, &svc_auth_method_count },
	};

	for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++)
		for (size_t j = 0; j < *services[i].count; j++) {
			const svc_method *m = &services[i].table[j];
			if (name != NULL ? strcmp(m->name, name) == 0
					 : nth-- == 0)
				return m;
		}
	return NULL;
}

const svc_method *
svc_method_nth(size_t nth)
{
	return method_lookup(NULL, nth);
}

const svc_method *
svc_method_of_name(const char *name)
{
	return method_lookup(name, SIZE_MAX);
}

/*
 * Finds the first unknown field in `m` or its sub-messages. Our schemas
 * have no recursive message types, so the depth is bounded by the schema.
 */
static bool
find_unknown_field(const ProtobufCMessage *m, const char **where,
    uint32_t *tag)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;

	if (m->n_unknown_fields > 0) {
		*where = d->name;
		*tag = m->unknown_fields[0].tag;
		return true;
	}
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const uint8_t *base = (const uint8_t *)m;

		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(base + f->quantifier_offset);
			ProtobufCMessage *const *arr =
			    *(ProtobufCMessage *const *const *)(base + f->offset);
			for (size_t k = 0; k < n; k++)
				if (find_unknown_field(arr[k], where, tag))
					return true;
		} else {
			const ProtobufCMessage *sub =
			    *(const ProtobufCMessage *const *)(base + f->offset);
			if (sub != NULL && find_unknown_field(sub, where, tag))
				return true;
		}
	}
	return false;
}

/*
 * Every string field of the packed message p[0..len), a `d`, and of its
 * sub-messages (map entries included): valid UTF-8, no NUL byte (which
 * protobuf-c would keep, cutting the C string short: "prod\0uction" would
 * read as "prod"), at most SVC_STRING_MAX bytes. Per-field limits are the
 * handlers'; this one holds for every field of every method. Read in
 * place from the wire, where a NUL is still visible.
 */
static mr_status
check_strings(const ProtobufCMessageDescriptor *d, const uint8_t *p,
    size_t len, int depth, mr_err *e)
{
	const uint8_t *end;
	mr_wire_field f;
	mr_status rv;
	int got;

	if (len == 0) /* p may be NULL: an empty message */
		return MR_OK;
	end = p + len;
	if (depth > SVC_NESTING_MAX)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "the request nests deeper than %d messages",
		    SVC_NESTING_MAX);
	while ((got = mr_wire_next(&p, end, &f)) > 0) {
		const ProtobufCFieldDescriptor *fd;

		if (f.p == NULL ||
		    (fd = protobuf_c_message_descriptor_get_field(d, f.num)) ==
			NULL)
			continue;
		if (fd->type == PROTOBUF_C_TYPE_MESSAGE) {
			rv = check_strings(fd->descriptor, f.p, f.len,
			    depth + 1, e);
			if (rv != MR_OK)
				return rv;
			continue;
		}
		if (fd->type != PROTOBUF_C_TYPE_STRING)
			continue;
		if (f.len > SVC_STRING_MAX)
			return mr_fail(e, MR_INVALID_ARGUMENT,
			    "%s.%s is %zu bytes long; no string may exceed %d",
			    d->short_name, fd->name, f.len, SVC_STRING_MAX);
		if (!mr_utf8_valid((const char *)f.p, f.len))
			return mr_fail(e, MR_INVALID_ARGUMENT,
			    "%s.%s is not UTF-8 text without NUL bytes",
			    d->short_name, fd->name);
	}
	return got == 0 ? MR_OK
			: mr_fail(e, MR_INVALID_ARGUMENT,
			      "the payload is not a valid %s", d->name);
}

static mr_status
check_envelope(const Modelreg__V1__Request *rq, mr_err *e)
{
	mr_status rv;

	if (rq->method[0] == '\0')
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "the request names no method");
	if (rq->n_metadata > MR_METADATA_MAX)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "the request has %zu metadata entries; the limit is %d",
		    rq->n_metadata, MR_METADATA_MAX);
	if ((rv = mr_check_text("token", rq->auth_token, SVC_TOKEN_LEN, false,
		 e)) != MR_OK)
		return rv;
	if (strlen(rq->idempotency_key) > MR_IDEMPOTENCY_KEY_MAX)
		return mr_fail(e, MR_INVALID_ARGUMENT,
		    "idempotency key is longer than %d bytes",
		    MR_IDEMPOTENCY_KEY_MAX);
	return mr_check_text("idempotency key", rq->idempotency_key,
	    MR_IDEMPOTENCY_KEY_MAX, false, e);
}

/* ---- replies ------------------------------------------------------------ */

static size_t
varint_len(size_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/*
 * Packs a Response: code, message and revision, then the payload as field
 * 3 appended by hand, so that a large payload (a chunk) is packed once,
 * straight into `out`, instead of being packed and then copied.
 */
static size_t
response_size(const Modelreg__V1__Response *hdr, const ProtobufCMessage *pl,
    size_t *pl_len)
{
	size_t n = modelreg__v1__response__get_packed_size(hdr);

	*pl_len = pl != NULL ? protobuf_c_message_get_packed_size(pl) : 0;
	if (*pl_len > 0)
		n += 1 + varint_len(*pl_len) + *pl_len;
	return n;
}

static void
response_pack(const Modelreg__V1__Response *hdr, const ProtobufCMessage *pl,
    size_t pl_len, uint8_t *out)
{
	uint8_t *p = out + modelreg__v1__response__pack(hdr, out);

	if (pl_len == 0)
		return;
	*p++ = (3 << 3) | 2; /* field 3, length-delimited */
	for (size_t v = pl_len; ; v >>= 7) {
		if (v < 0x80) {
			*p++ = (uint8_t)v;
			break;
		}
		*p++ = (uint8_t)(v | 0x80);
	}
	protobuf_c_message_pack(pl, p);
}

static int
reply_bytes(const svc_reply *reply, const void *bytes, size_t len)
{
	void *out = reply->alloc(reply->arg, len);

	if (out == NULL)
		return -1;
	memcpy(out, bytes, len);
	return 0;
}

static int
reply_status(const svc_reply *reply, mr_status code, const char *msg)
{
	Modelreg__V1__Response hdr = MODELREG__V1__RESPONSE__INIT;
	size_t pl_len, n;
	void *out;

	hdr.code = (Modelreg__V1__StatusCode)code;
	hdr.message = (char *)msg;
	n = response_size(&hdr, NULL, &pl_len);
	if ((out = reply->alloc(reply->arg, n)) == NULL)
		return -1;
	response_pack(&hdr, NULL, 0, out);
	return 0;
}

static int
reply_err(const svc_reply *reply, const mr_err *e)
{
	return reply_status(reply, e->code, e->msg);
}

/* ---- mutations ---------------------------------------------------------- */

static void
abort_txn(svc_call *c)
{
	store_txn_abort(c->txn);
	c->txn = NULL;
}

/*
 * Runs a mutation's handler inside a transaction and commits its writes
 * together with the reply under the idempotency key, so that a retry of
 * the same call finds the reply if and only if the change happened.
 */
static int
run_mutation(svc_call *c, const svc_method *m,
    const Modelreg__V1__Request *rq, const ProtobufCMessage *req,
    ProtobufCMessage *resp, const svc_reply *reply)
{
	Modelreg__V1__Response hdr = MODELREG__V1__RESPONSE__INIT;
	Modelreg__V1__IdempotencyRecord rec =
	    MODELREG__V1__IDEMPOTENCY_RECORD__INIT;
	const char *key = rq->idempotency_key;
	uint8_t digest[MR_DIGEST_LEN];
	mr_pb_idem *old = NULL;
	uint8_t *buf = NULL;
	size_t n, pl_len;
	mr_status rv;
	int ret;

	if ((rv = store_txn_begin(c->st, &c->txn, &c->err)) != MR_OK)
		return reply_err(reply, &c->err);
	/* The change's time is taken under the writer lock, so that times
	 * follow revisions: point-in-time reads replay history by time. */
	c->now_ms = mr_now_ms();
	/* The events the mutation appends are published once durable. */
	if (c->w->pub != NULL)
		store_txn_on_commit(c->txn, svc_publish_committed, c->w->pub);
	/* The lock may have been a long wait: look at the clock again. */
	if (rq->deadline_unix_ms != 0 &&
	    (uint64_t)mr_now_ms() > rq->deadline_unix_ms) {
		abort_txn(c);
		return reply_status(reply, MR_DEADLINE_EXCEEDED,
		    "the deadline passed while waiting to write");
	}
	if (key[0] != '\0') {
		mr_sha256(c->w->codec, rq->payload.data, rq->payload.len,
		    digest);
		rv = store_txn_get_idem(c->txn, key, &old, &c->err);
		if (rv == MR_OK) {
			if (strcmp(old->method, rq->method) != 0 ||
			    old->request_digest.len != MR_DIGEST_LEN ||
			    memcmp(old->request_digest.data, digest,
				MR_DIGEST_LEN) != 0) {
				mr_fail(&c->err, MR_INVALID_ARGUMENT,
				    "idempotency key \"%s\" was used for a "
				    "different request",
				    key);
				ret = reply_err(reply, &c->err);
			} else {
				ret = reply_bytes(reply, old->response.data,
				    old->response.len);
			}
			modelreg__v1__idempotency_record__free_unpacked(old,
			    NULL);
			abort_txn(c);
			return ret;
		}
		if (rv != MR_NOT_FOUND) {
			abort_txn(c);
			return reply_err(reply, &c->err);
		}
	}

	if ((rv = m->handler(c, req, resp)) != MR_OK ||
	    (rv = svc_audit_append(c, m, req)) != MR_OK) {
		abort_txn(c);
		return reply_err(reply, &c->err);
	}
	hdr.revision = store_txn_revision(c->txn);
	n = response_size(&hdr, resp, &pl_len);
	if (n > MR_MSG_MAX) {
		abort_txn(c);
		return reply_status(reply, MR_RESOURCE_EXHAUSTED,
		    "the reply would exceed the message size limit");
	}
	if ((buf = malloc(n)) == NULL) {
		abort_txn(c);
		return reply_status(reply, MR_RESOURCE_EXHAUSTED,
		    "out of memory");
	}
	response_pack(&hdr, resp, pl_len, buf);
	if (key[0] != '\0') {
		rec.method = rq->method;
		rec.request_digest.data = digest;
		rec.request_digest.len = MR_DIGEST_LEN;
		rec.created_at_ms = c->now_ms;
		rec.response.data = buf;
		rec.response.len = n;
		if (store_txn_put_idem(c->txn, key, &rec, &c->err) != MR_OK) {
			free(buf);
			abort_txn(c);
			return reply_err(reply, &c->err);
		}
	}
	rv = store_txn_commit(c->txn, &c->err);
	c->txn = NULL;
	if (rv == MR_OK && c->tokens_changed)
		svc_tokens_changed();
	if (rv == MR_OK)
		mr_crash_point("after_commit_before_reply");
	ret = rv == MR_OK ? reply_bytes(reply, buf, n) : reply_err(reply, &c->err);
	free(buf);
	return ret;
}

/* ---- the dispatcher ----------------------------------------------------- */

const svc_method *
svc_method_of(const uint8_t *msg, size_t len)
{
	const uint8_t *p = msg, *end = msg + len;
	char name[SVC_METHOD_NAME_MAX + 1] = "";
	mr_wire_field f;
	int got;

	/* Only the method field, read in place: unpacking the envelope here
	 * would copy its payload (a chunk: megabytes) once more than the
	 * dispatch that follows. As protobuf, the last occurrence counts. */
	if (len > MR_MSG_MAX)
		return NULL;
	while ((got = mr_wire_next(&p, end, &f)) > 0) {
		if (f.num != 1 || f.p == NULL)
			continue;
		if (f.len > SVC_METHOD_NAME_MAX)
			return NULL;
		memcpy(name, f.p, f.len);
		name[f.len] = '\0';
	}
	return got == 0 ? svc_method_of_name(name) : NULL;
}

int
svc_dispatch(svc_worker *w, const uint8_t *msg, size_t len,
    const svc_reply *reply)
{
	struct budget budget = { .used = 0, .limit = SVC_DECODE_BUDGET };
	ProtobufCAllocator alloc = {
		.alloc = budget_alloc,
		.free = budget_free,
		.allocator_data = &budget,
	};
	Modelreg__V1__Request *rq;
	ProtobufCMessage *req = NULL, *resp = NULL;
	const svc_method *m;
	svc_call c = { .w = w, .st = w->st, .now_ms = mr_now_ms() };
	const char *where;
	uint32_t tag;
	int ret;

	if (len > MR_MSG_MAX)
		return reply_status(reply, MR_RESOURCE_EXHAUSTED,
		    "the request exceeds the message size limit "
		    "(16 MiB, MR_MSG_MAX)");
	rq = modelreg__v1__request__unpack(&alloc, len, msg);
	if (rq == NULL)
		return reply_status(reply, MR_INVALID_ARGUMENT,
		    budget.exhausted
			? "the request envelope exceeds the decoding budget"
			: "the request is not a modelreg.v1.Request envelope");
	if (check_strings(&modelreg__v1__request__descriptor, msg, len, 0,
		&c.err) != MR_OK ||
	    check_envelope(rq, &c.err) != MR_OK) {
		ret = reply_err(reply, &c.err);
		goto done;
	}
	if (rq->deadline_unix_ms != 0 &&
	    (uint64_t)c.now_ms > rq->deadline_unix_ms) {
		ret = reply_status(reply, MR_DEADLINE_EXCEEDED,
		    "the request's deadline had passed when it arrived");
		goto done;
	}
	if ((m = svc_method_of_name(rq->method)) == NULL) {
		mr_fail(&c.err, MR_UNIMPLEMENTED, "unknown method \"%.200s\"",
		    rq->method);
		ret = reply_err(reply, &c.err);
		goto done;
	}
	req = protobuf_c_message_unpack(m->request, &alloc, rq->payload.len,
	    rq->payload.data);
	if (req == NULL) {
		mr_fail(&c.err, budget.exhausted ? MR_RESOURCE_EXHAUSTED
						 : MR_INVALID_ARGUMENT,
		    budget.exhausted ? "the payload exceeds the decoding "
				       "budget of a %s"
				     : "the payload is not a valid %s",
		    m->request->name);
		ret = reply_err(reply, &c.err);
		goto done;
	}
	if (check_strings(m->request, rq->payload.data, rq->payload.len, 0,
		&c.err) != MR_OK) {
		ret = reply_err(reply, &c.err);
		goto done;
	}
	if (find_unknown_field(req, &where, &tag)) {
		mr_fail(&c.err, MR_INVALID_ARGUMENT,
		    "unknown field %u in %s (is the payload a %s?)", tag,
		    where, m->request->name);
		ret = reply_err(reply, &c.err);
		goto done;
	}
	if ((resp = calloc(1, m->response->sizeof_message)) == NULL) {
		ret = reply_status(reply, MR_RESOURCE_EXHAUSTED,
		    "out of memory");
		goto done;
	}
	m->response->message_init(resp);
	/* Before the handler, so before any state is read or written. */
	if (svc_authenticate(&c, m, rq->auth_token) != MR_OK ||
	    svc_authorize(&c, m, req) != MR_OK) {
		if (c.err.code == MR_UNAUTHENTICATED ||
		    c.err.code == MR_PERMISSION_DENIED)
			svc_audit_denied(&c, m, req);
		ret = reply_err(reply, &c.err);
		goto done;
	}

	if (m->mutates) {
		ret = run_mutation(&c, m, rq, req, resp, reply);
	} else if (m->handler(&c, req, resp) != MR_OK) {
		ret = reply_err(reply, &c.err);
	} else {
		Modelreg__V1__Response hdr = MODELREG__V1__RESPONSE__INIT;
		size_t pl_len, n = response_size(&hdr, resp, &pl_len);
		uint8_t *out;

		if (n > MR_MSG_MAX) {
			ret = reply_status(reply, MR_RESOURCE_EXHAUSTED,
			    "the reply would exceed the message size limit; "
			    "ask for a smaller page");
		} else if ((out = reply->alloc(reply->arg, n)) == NULL) {
			ret = -1;
		} else {
			response_pack(&hdr, resp, pl_len, out);
			ret = 0;
		}
	}
	assert(c.txn == NULL);

done:
	run_deferred(&c);
	free(resp);
	if (req != NULL)
		protobuf_c_message_free_unpacked(req, &alloc);
	modelreg__v1__request__free_unpacked(rq, &alloc);
	return ret;
}
