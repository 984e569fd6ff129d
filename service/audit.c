/*
 * audit.c - the audit record of every mutation, and the Audit service.
 *
 * The dispatcher calls svc_audit_append() after a mutation's handler has
 * succeeded and before the transaction commits, so exactly one record
 * lands with each change. What the record says comes first from the
 * handler (svc_audit_target, svc_audit_before, svc_audit_after: the record
 * it changed, as it was and as it is) and otherwise from the request
 * itself: its `name` and `version` fields name the target, its `reason`
 * (or `comment`) field is the reason, and the request, as asked, is the
 * "after". Records are rendered as JSON with json-c (packaged by Debian
 * as libjson-c5, already the CLI's JSON library) by walking the protobuf
 * descriptors, so a new field appears in the audit log without code here.
 * Artifact manifests are summarized, and long lists cut at
 * AUDIT_ARRAY_MAX with a count: a version's audit entry should not hold a
 * hundred thousand file names.
 */
#include <json-c/json.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "audit.pb-c.h"
#include "model.pb-c.h"
#include "svc.h"

/* ---- protobuf to JSON ------------------------------------------------- */

/* Elements of one repeated field an audit record shows. */
#define AUDIT_ARRAY_MAX 100

static json_object *to_json(const ProtobufCMessage *m);

static json_object *
hex(const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char buf[2 * 64 + 4];
	size_t k = 0;

	for (size_t i = 0; i < n && i < 64; i++) {
		buf[k++] = digits[p[i] >> 4];
		buf[k++] = digits[p[i] & 15];
	}
	if (n > 64) {
		memcpy(buf + k, "...", 3);
		k += 3;
	}
	return json_object_new_string_len(buf, (int)k);
}

static json_object *
scalar(const ProtobufCFieldDescriptor *f, const void *p)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
		return json_object_new_int64(*(const int32_t *)p);
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return json_object_new_int64(*(const uint32_t *)p);
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
		return json_object_new_int64(*(const int64_t *)p);
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
		return json_object_new_uint64(*(const uint64_t *)p);
	case PROTOBUF_C_TYPE_FLOAT:
		return json_object_new_double(*(const float *)p);
	case PROTOBUF_C_TYPE_DOUBLE:
		return json_object_new_double(*(const double *)p);
	case PROTOBUF_C_TYPE_BOOL:
		return json_object_new_boolean(*(const protobuf_c_boolean *)p);
	case PROTOBUF_C_TYPE_ENUM: {
		const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value(
		    f->descriptor, *(const int *)p);
		return ev != NULL ? json_object_new_string(ev->name)
				  : json_object_new_int(*(const int *)p);
	}
	case PROTOBUF_C_TYPE_STRING:
		return json_object_new_string(*(char *const *)p);
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *b = p;
		return hex(b->data, b->len);
	}
	case PROTOBUF_C_TYPE_MESSAGE:
		return to_json(*(ProtobufCMessage *const *)p);
	}
	return NULL;
}

static size_t
elem_size(const ProtobufCFieldDescriptor *f)
{
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(void *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	default:
		return 4;
	}
}

/* A map field: repeated entries with `key` and `value`. */
static bool
is_map(const ProtobufCFieldDescriptor *f)
{
	const ProtobufCMessageDescriptor *d = f->descriptor;

	return f->type == PROTOBUF_C_TYPE_MESSAGE &&
	    f->label == PROTOBUF_C_LABEL_REPEATED && d->n_fields == 2 &&
	    strcmp(d->fields[0].name, "key") == 0 &&
	    strcmp(d->fields[1].name, "value") == 0 &&
	    strstr(d->name, "Entry") != NULL;
}

static json_object *
manifest_summary(const Modelreg__V1__Manifest *m)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "digest", hex(m->digest.data, m->digest.len));
	json_object_object_add(o, "total_size",
	    json_object_new_uint64(m->total_size));
	json_object_object_add(o, "files",
	    json_object_new_uint64(m->n_files));
	return o;
}

static json_object *
to_json(const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d;
	json_object *o;

	if (m == NULL)
		return NULL;
	d = m->descriptor;
	if (d == &modelreg__v1__manifest__descriptor)
		return manifest_summary((const void *)m);
	o = json_object_new_object();
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *p = (const char *)m + f->offset;

		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)((const char *)m +
			    f->quantifier_offset);
			const char *arr = *(char *const *)p;
			json_object *a;

			if (n == 0)
				continue;
			if (is_map(f)) {
				const ProtobufCMessageDescriptor *ed =
				    f->descriptor;
				a = json_object_new_object();
				for (size_t k = 0; k < n; k++) {
					const char *e =
					    ((char *const *)arr)[k];
					json_object_object_add(a,
					    *(char *const *)(e +
						ed->fields[0].offset),
					    scalar(&ed->fields[1],
						e + ed->fields[1].offset));
				}
			} else {
				/* A record holds up to 10,000 features: the
				 * log keeps the first AUDIT_ARRAY_MAX and how
				 * many more there were. */
				size_t shown = n < AUDIT_ARRAY_MAX
				    ? n
				    : AUDIT_ARRAY_MAX;
				a = json_object_new_array();
				for (size_t k = 0; k < shown; k++)
					json_object_array_add(a,
					    scalar(f, arr + k * elem_size(f)));
				if (shown < n) {
					char more[48];
					snprintf(more, sizeof(more),
					    "... and %zu more", n - shown);
					json_object_array_add(a,
					    json_object_new_string(more));
				}
			}
			json_object_object_add(o, f->name, a);
			continue;
		}
		/* Defaults are left out, as proto3's JSON mapping does. */
		switch (f->type) {
		case PROTOBUF_C_TYPE_STRING:
			if ((*(char *const *)p)[0] == '\0')
				continue;
			break;
		case PROTOBUF_C_TYPE_MESSAGE:
			if (*(void *const *)p == NULL)
				continue;
			break;
		case PROTOBUF_C_TYPE_BYTES:
			if (((const ProtobufCBinaryData *)p)->len == 0)
				continue;
			break;
		default: {
			static const char zero[8];
			if (memcmp(p, zero, elem_size(f)) == 0)
				continue;
		}
		}
		json_object_object_add(o, f->name, scalar(f, p));
	}
	return o;
}

/* `m` as compact JSON text, allocated for the call; "{}" for NULL. */
static char *
render(svc_call *c, const ProtobufCMessage *m)
{
	json_object *o = to_json(m);
	const char *text;
	char *out;
	size_t n;

	if (o == NULL)
		return "{}";
	text = json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	n = strlen(text);
	if ((out = svc_alloc(c, n + 1, 1)) != NULL)
		memcpy(out, text, n + 1);
	json_object_put(o);
	return out;
}

mr_status
svc_audit_before(svc_call *c, const ProtobufCMessage *m)
{
	if ((c->audit.before = render(c, m)) == NULL)
		return c->err.code;
	return MR_OK;
}

mr_status
svc_audit_after(svc_call *c, const ProtobufCMessage *m)
{
	if ((c->audit.after = render(c, m)) == NULL)
		return c->err.code;
	return MR_OK;
}

mr_status
svc_audit_target(svc_call *c, const char *model, const char *version)
{
	size_t n = strlen(model) + (version != NULL ? strlen(version) + 1 : 0);
	char *t = svc_alloc(c, n + 1, 1);

	if (t == NULL)
		return c->err.code;
	snprintf(t, n + 1, "%s%s%s", model, version != NULL ? "@" : "",
	    version != NULL ? version : "");
	c->audit.model = model;
	c->audit.target = t;
	return MR_OK;
}

mr_status
svc_audit_node(svc_call *c, const char *fmt, ...)
{
	va_list ap;
	char *t;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if ((t = svc_alloc(c, (size_t)n + 1, 1)) == NULL)
		return c->err.code;
	va_start(ap, fmt);
	vsnprintf(t, (size_t)n + 1, fmt, ap);
	va_end(ap);
	c->audit.model = "";
	c->audit.target = t;
	return MR_OK;
}

mr_status
svc_audit_append(svc_call *c, const svc_method *m, const ProtobufCMessage *req)
{
	mr_pb_audit r = MODELREG__V1__AUDIT_RECORD__INIT;
	const char *name = svc_string_field(req, "name");
	const char *version = svc_string_field(req, "version");
	const char *reason = svc_string_field(req, "reason");
	const char *action = strrchr(m->name, '/');
	char *target = NULL;

	if (reason == NULL)
		reason = svc_string_field(req, "comment");
	if (c->audit.target == NULL) {
		const char *t = name != NULL ? name : svc_string_field(req, "id");
		size_t n;
		if (t == NULL)
			t = "";
		n = strlen(t) + (version != NULL ? strlen(version) + 1 : 0);
		if ((target = svc_alloc(c, n + 1, 1)) == NULL)
			return c->err.code;
		snprintf(target, n + 1, "%s%s%s", t,
		    version != NULL && version[0] != '\0' ? "@" : "",
		    version != NULL ? version : "");
	}
	if (c->audit.after == NULL &&
	    (c->audit.after = render(c, req)) == NULL)
		return c->err.code;
	r.time_ms = c->now_ms;
	r.actor = (char *)c->user;
	r.action = (char *)(action != NULL ? action + 1 : m->name);
	/* Only the Registry's requests name a model in `name`. */
	r.model = (char *)(c->audit.model != NULL ? c->audit.model
		       : name != NULL && strncmp(m->name, "/modelreg.v1.Registry/",
					     22) == 0
		       ? name
		       : "");
	r.target = c->audit.target != NULL ? (char *)c->audit.target : target;
	r.before = c->audit.before != NULL ? c->audit.before : "{}";
	r.after = c->audit.after;
	r.reason = (char *)(reason != NULL ? reason : "");
	r.revision = store_txn_revision(c->txn);
	if (c->audit.outcome != NULL) {
		/* A refusal changed nothing: it is at the current revision. */
		r.outcome = (char *)c->audit.outcome;
		r.revision = store_revision(c->st);
	}
	return store_txn_append_audit(c->txn, &r, &c->err);
}

/* ---- the Audit service ---------------------------------------------------- */

struct audit_page {
	svc_page pg;
	int64_t from, to;
	size_t visited; /* bounded by MR_SCAN_MAX */
	uint64_t last;  /* seq of the last record read */
	bool cut;
};

static int
audit_page_add(void *arg, mr_pb_audit *r)
{
	struct audit_page *p = arg;
	bool wanted = r->time_ms >= p->from && (p->to == 0 || r->time_ms <= p->to);

	if (p->visited == MR_SCAN_MAX) {
		p->cut = true;
		protobuf_c_message_free_unpacked(&r->base, NULL);
		return 1;
	}
	p->visited++;
	if (!p->pg.more)
		p->last = r->seq;
	return svc_page_add(&p->pg, &r->base, wanted);
}

static mr_status
list_audit_h(svc_call *c, const ProtobufCMessage *reqm,
    ProtobufCMessage *respm)
{
	const Modelreg__V1__ListAuditRequest *rq = (const void *)reqm;
	Modelreg__V1__ListAuditResponse *resp = (void *)respm;
	const char *model = rq->model[0] != '\0' ? rq->model : NULL;
	struct audit_page p = { .from = rq->from_ms, .to = rq->to_ms };
	mr_status rv;

	if (model != NULL && (rv = mr_check_name(model, &c->err)) != MR_OK)
		return rv;
	if (rq->from_ms < 0 || rq->to_ms < 0 ||
	    (rq->to_ms != 0 && rq->to_ms < rq->from_ms))
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "the time range [%lld, %lld] is empty or negative",
		    (long long)rq->from_ms, (long long)rq->to_ms);
	if ((rv = svc_page_init(&p.pg, c, rq->page_size)) != MR_OK)
		return rv;
	rv = store_scan_audit(c->st, model, rq->after_seq, audit_page_add, &p,
	    &c->err);
	if (rv != MR_OK || (rv = p.pg.rv) != MR_OK)
		return rv;
	resp->records = (Modelreg__V1__AuditRecord **)p.pg.items;
	resp->n_records = p.pg.n;
	resp->more = p.pg.more || p.cut;
	/* A full page continues after its last record; a scan cut short by
	 * MR_SCAN_MAX after the last record it read. */
	if (p.pg.more)
		resp->last_seq = resp->records[p.pg.n - 1]->seq;
	else
		resp->last_seq = p.last > rq->after_seq ? p.last : rq->after_seq;
	return MR_OK;
}

static mr_status
verify_audit_h(svc_call *c, const ProtobufCMessage *reqm,
    ProtobufCMessage *respm)
{
	Modelreg__V1__VerifyAuditResponse *resp = (void *)respm;
	store_audit_check *chk;
	mr_status rv;

	(void)reqm;
	if ((chk = svc_alloc(c, 1, sizeof(*chk))) == NULL)
		return c->err.code;
	if ((rv = store_audit_verify(c->st, chk, &c->err)) != MR_OK)
		return rv;
	resp->ok = chk->first_broken == 0;
	resp->records = chk->records;
	resp->first_broken = chk->first_broken;
	resp->problem = chk->problem;
	resp->head_hash.data = chk->head_hash;
	resp->head_hash.len = chk->records > 0 ? MR_DIGEST_LEN : 0;
	return MR_OK;
}

const svc_method svc_audit_methods[] = {
	{
		.name = "/modelreg.v1.Audit/ListAudit",
		.request = &modelreg__v1__list_audit_request__descriptor,
		.response = &modelreg__v1__list_audit_response__descriptor,
		.handler = list_audit_h,
	},
	{
		.name = "/modelreg.v1.Audit/VerifyAudit",
		.request = &modelreg__v1__verify_audit_request__descriptor,
		.response = &modelreg__v1__verify_audit_response__descriptor,
		.handler = verify_audit_h,
	},
};
const size_t svc_audit_method_count =
    sizeof(svc_audit_methods) / sizeof(svc_audit_methods[0]);
