/*
 * search.c - SearchVersions: versions of every model by a filter, ordered
 * and paged.
 *
 * The filter (filter.c) tells which index can narrow the scan: a
 * top-level `tags.K = 'V'` reads the tag index (whose entries carry the
 * version's stage, so a top-level `stage = S` skips the others before
 * their records are read), `stage = S` alone the stage index across
 * models, and a name pattern's literal prefix narrows any of them, or the
 * version records themselves, to one key range. Every candidate is then
 * checked against the whole filter.
 *
 * All three sources yield versions by name, then precedence. In that
 * order (the default) a page is read by streaming and stops one match
 * past the page; its token is the last "name@version", so paging is
 * stable under concurrent registrations: no version is skipped or shown
 * twice. Any other order needs every match: they are collected (at most
 * MR_SEARCH_SORT_MAX), sorted by their order key (filter_order_key, which
 * ends with name and version, so keys are unique), and the token is the
 * last key in hex: the next page starts strictly after it. A search reads
 * at most MR_SCAN_MAX records: in the default order it then returns what
 * it has with a token after the last record read, so a client paging on
 * gets everything; a sorted search cannot, and says so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filter.h"
#include "reg.h"

struct search {
	svc_call *c;
	const filter *f;
	const filter_order *o;
	bool need_model;
	mr_pb_model *model; /* of the last candidate; deferred */
	/* Streaming (default order). */
	svc_page pg;
	/* Sorting: matches with their keys. */
	struct hit {
		mr_pb_version *v;
		uint8_t *key;
		size_t klen;
	} *hits;
	size_t n_hits, cap_hits;
	const uint8_t *after; /* token key; NULL on the first page */
	size_t after_len;
	/* Records read, bounded by MR_SCAN_MAX, and the last one read. */
	size_t visited;
	bool cut;
	char last[MR_NAME_MAX + MR_VERSION_MAX + 2];
	mr_status rv;
};

/* Counts a record read; false (and the record freed) past the budget. */
static bool
visit(struct search *s, mr_pb_version *v)
{
	if (s->visited == MR_SCAN_MAX) {
		s->cut = true;
		protobuf_c_message_free_unpacked(&v->base, NULL);
		return false;
	}
	s->visited++;
	snprintf(s->last, sizeof(s->last), "%s@%s", v->name, v->version);
	return true;
}

/* The model of `v`, read once per run of its versions. */
static const mr_pb_model *
model_of(struct search *s, const mr_pb_version *v)
{
	mr_pb_model *m;

	if (s->model != NULL && strcmp(s->model->name, v->name) == 0)
		return s->model;
	if ((s->rv = store_get_model(s->c->st, v->name, &m, &s->c->err)) !=
		MR_OK ||
	    (s->rv = svc_defer_msg(s->c, m)) != MR_OK)
		return NULL;
	return s->model = m;
}

static int
stream_one(void *arg, mr_pb_version *v)
{
	struct search *s = arg;
	const mr_pb_model *m = NULL;

	if (!visit(s, v))
		return 1;
	if (s->need_model && (m = model_of(s, v)) == NULL) {
		protobuf_c_message_free_unpacked(&v->base, NULL);
		return 1;
	}
	/* A caller finds the versions it may read, and no others. */
	return svc_page_add(&s->pg, &v->base,
	    svc_may(s->c, SVC_NEED_READ, v->name) && filter_match(s->f, m, v));
}

static int
collect_one(void *arg, mr_pb_version *v)
{
	struct search *s = arg;
	const mr_pb_model *m = NULL;
	uint8_t key[FILTER_KEY_MAX];
	struct hit *h;
	size_t n;

	if (!visit(s, v)) {
		s->rv = mr_fail(&s->c->err, MR_RESOURCE_EXHAUSTED,
		    "a search ordered other than by name reads at most %d "
		    "versions; narrow the filter with a name prefix, "
		    "tags.K = V or stage = S, or order by name",
		    MR_SCAN_MAX);
		return 1;
	}
	if (s->need_model && (m = model_of(s, v)) == NULL)
		goto drop;
	if (!svc_may(s->c, SVC_NEED_READ, v->name) ||
	    !filter_match(s->f, m, v))
		goto drop;
	n = filter_order_key(s->o, m, v, key);
	if (s->after != NULL) {
		size_t k = n < s->after_len ? n : s->after_len;
		int cmp = memcmp(key, s->after, k);
		if (cmp < 0 || (cmp == 0 && n <= s->after_len))
			goto drop;
	}
	if (s->n_hits == MR_SEARCH_SORT_MAX) {
		s->rv = mr_fail(&s->c->err, MR_RESOURCE_EXHAUSTED,
		    "more than %d versions match and must be sorted; narrow "
		    "the filter or order by name",
		    MR_SEARCH_SORT_MAX);
		goto drop;
	}
	if (s->n_hits == s->cap_hits) {
		size_t cap = s->cap_hits ? 2 * s->cap_hits : 64;
		struct hit *nh = realloc(s->hits, cap * sizeof(*nh));
		if (nh == NULL) {
			s->rv = mr_fail(&s->c->err, MR_RESOURCE_EXHAUSTED,
			    "out of memory");
			goto drop;
		}
		s->hits = nh;
		s->cap_hits = cap;
	}
	if ((s->rv = svc_defer_msg(s->c, v)) != MR_OK)
		return 1;
	h = &s->hits[s->n_hits];
	if ((h->key = svc_alloc(s->c, n, 1)) == NULL) {
		s->rv = s->c->err.code;
		return 1;
	}
	memcpy(h->key, key, n);
	h->klen = n;
	h->v = v;
	s->n_hits++;
	return 0;
drop:
	protobuf_c_message_free_unpacked(&v->base, NULL);
	return s->rv != MR_OK;
}

static int
cmp_hit(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;
	size_t n = x->klen < y->klen ? x->klen : y->klen;
	int c = memcmp(x->key, y->key, n);

	return c != 0 ? c : (x->klen > y->klen) - (x->klen < y->klen);
}

static char *
hex_token(svc_call *c, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char *t = svc_alloc(c, 2 * n + 1, 1);

	if (t != NULL)
		for (size_t i = 0; i < n; i++) {
			t[2 * i] = digits[p[i] >> 4];
			t[2 * i + 1] = digits[p[i] & 15];
		}
	return t;
}

static int
unhex(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

static mr_status
bad_token(svc_call *c)
{
	return mr_fail(&c->err, MR_INVALID_ARGUMENT,
	    "the page token is not one this server issued for this order");
}

static mr_status
search_h(svc_call *c, const ProtobufCMessage *reqm, ProtobufCMessage *respm)
{
	const Modelreg__V1__SearchVersionsRequest *rq = (const void *)reqm;
	Modelreg__V1__SearchVersionsResponse *resp = (void *)respm;
	struct search s = { .c = c, .rv = MR_OK };
	store_query q = { .index = STORE_BY_NAME };
	char after_name[MR_NAME_MAX + 1];
	mr_semver after_v;
	filter_plan plan;
	filter *f;
	filter_order *o;
	mr_status rv;

	if (strlen(rq->filter) > MR_FILTER_MAX ||
	    strlen(rq->order_by) > MR_FILTER_MAX)
		return mr_fail(&c->err, MR_INVALID_ARGUMENT,
		    "the filter or order is longer than %d bytes",
		    MR_FILTER_MAX);
	if ((rv = filter_parse(rq->filter, &f, &c->err)) != MR_OK)
		return rv;
	if ((rv = svc_defer(c, (void (*)(void *))filter_free, f)) != MR_OK ||
	    (rv = filter_order_parse(rq->order_by, &o, &c->err)) != MR_OK ||
	    (rv = svc_defer(c, (void (*)(void *))filter_order_free, o)) !=
		MR_OK)
		return rv;
	s.f = f;
	s.o = o;
	s.need_model = filter_needs_model(f) || filter_order_needs_model(o);

	filter_plan_get(f, &plan);
	q.name_prefix = plan.name_prefix;
	/* No stored tag has a key or value past the limits: such a
	 * conjunct matches nothing, and must not reach the key builders. */
	if (plan.tag_key != NULL &&
	    (mr_check_tag_key(plan.tag_key, NULL) != MR_OK ||
		strlen(plan.tag_value) > MR_TAG_VALUE_MAX))
		return MR_OK;
	if (plan.tag_key != NULL) {
		/* Tag entries carry the stage: both narrow the one scan. */
		q.index = STORE_BY_TAG;
		q.tag_key = plan.tag_key;
		q.tag_value = plan.tag_value;
		q.stage = plan.stage;
	} else if (plan.stage != 0) {
		q.index = STORE_BY_STAGE;
		q.stage = plan.stage;
	}

	if (filter_order_is_default(o)) {
		if (rq->page_token[0] != '\0') {
			const char *at = strchr(rq->page_token, '@');
			size_t n = at != NULL ? (size_t)(at - rq->page_token) : 0;
			if (n == 0 || n > MR_NAME_MAX)
				return bad_token(c);
			memcpy(after_name, rq->page_token, n);
			after_name[n] = '\0';
			if (mr_check_name(after_name, NULL) != MR_OK ||
			    mr_semver_parse(at + 1, &after_v, NULL) != MR_OK)
				return bad_token(c);
			q.after_name = after_name;
			q.after = &after_v;
		}
		if ((rv = svc_page_init(&s.pg, c, rq->page_size)) != MR_OK)
			return rv;
		rv = store_scan_catalog(c->st, &q, stream_one, &s, &c->err);
		if (rv != MR_OK || (rv = s.rv) != MR_OK ||
		    (rv = s.pg.rv) != MR_OK)
			return rv;
		resp->versions = (Modelreg__V1__ModelVersion **)s.pg.items;
		resp->n_versions = s.pg.n;
		if (s.pg.more && s.pg.n > 0) {
			const mr_pb_version *last = resp->versions[s.pg.n - 1];
			snprintf(s.last, sizeof(s.last), "%s@%s", last->name,
			    last->version);
		} else if (!s.cut) {
			return MR_OK;
		}
		/* A full page ends at its last version; a scan cut short by
		 * MR_SCAN_MAX at the last version it read. */
		if ((resp->next_page_token = svc_alloc(c, strlen(s.last) + 1,
			 1)) == NULL)
			return c->err.code;
		strcpy(resp->next_page_token, s.last);
		return MR_OK;
	}

	if (rq->page_token[0] != '\0') {
		size_t n = strlen(rq->page_token);
		uint8_t *k;
		if (n % 2 != 0 || n / 2 > FILTER_KEY_MAX)
			return bad_token(c);
		if ((k = svc_alloc(c, n / 2, 1)) == NULL)
			return c->err.code;
		for (size_t i = 0; i < n / 2; i++) {
			int hi = unhex(rq->page_token[2 * i]);
			int lo = unhex(rq->page_token[2 * i + 1]);
			if (hi < 0 || lo < 0)
				return bad_token(c);
			k[i] = (uint8_t)(hi << 4 | lo);
		}
		s.after = k;
		s.after_len = n / 2;
	}
	rv = store_scan_catalog(c->st, &q, collect_one, &s, &c->err);
	if (rv == MR_OK)
		rv = s.rv;
	if (rv != MR_OK) {
		free(s.hits);
		return rv;
	}
	if (s.n_hits > 1)
		qsort(s.hits, s.n_hits, sizeof(*s.hits), cmp_hit);
	{
		size_t limit = svc_page_size(rq->page_size);
		size_t n = s.n_hits < limit ? s.n_hits : limit;
		resp->versions = svc_alloc(c, n, sizeof(*resp->versions));
		if (resp->versions == NULL) {
			free(s.hits);
			return c->err.code;
		}
		for (size_t i = 0; i < n; i++)
			resp->versions[i] = s.hits[i].v;
		resp->n_versions = n;
		if (s.n_hits > n && n > 0 &&
		    (resp->next_page_token = hex_token(c, s.hits[n - 1].key,
			 s.hits[n - 1].klen)) == NULL) {
			free(s.hits);
			return c->err.code;
		}
	}
	free(s.hits);
	return MR_OK;
}

const svc_method svc_search_methods[] = {
	{
		.name = "/modelreg.v1.Registry/SearchVersions",
		.request = &modelreg__v1__search_versions_request__descriptor,
		.response = &modelreg__v1__search_versions_response__descriptor,
		.handler = search_h,
	},
};
const size_t svc_search_method_count =
    sizeof(svc_search_methods) / sizeof(svc_search_methods[0]);
