/*
 * convert.c - protobuf-c messages to and from the structures of
 * modelreg.h, and the *_free functions of the public API.
 *
 * Copying out of a message goes through small fill functions that never
 * stop half way: each records an allocation failure in a flag and carries
 * on with NULLs, and the caller checks the flag once and frees whatever
 * was built. That keeps every converter a straight list of fields, which
 * is easy to compare against proto/model.proto.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "convert.h"

/*
 * Every map<string, string> entry message protobuf-c generates has this
 * layout (a message header, then key and value), so one function can copy
 * all of them. The assertions hold the generated code to it.
 */
typedef struct kv_entry {
	ProtobufCMessage base;
	char *key;
	char *value;
} kv_entry;

#define SAME_AS_KV_ENTRY(T)                                                    \
	_Static_assert(sizeof(T) == sizeof(kv_entry) &&                        \
	        offsetof(T, key) == offsetof(kv_entry, key) &&                 \
	        offsetof(T, value) == offsetof(kv_entry, value),               \
	    #T " is not laid out as a kv_entry")
SAME_AS_KV_ENTRY(Modelreg__V1__Model__TagsEntry);
SAME_AS_KV_ENTRY(Modelreg__V1__ModelVersion__TagsEntry);
SAME_AS_KV_ENTRY(Modelreg__V1__Metadata__HyperparametersEntry);
SAME_AS_KV_ENTRY(Modelreg__V1__RegisterVersionRequest__TagsEntry);
SAME_AS_KV_ENTRY(Modelreg__V1__RegisterVersionRequest__ModelTagsEntry);
SAME_AS_KV_ENTRY(Modelreg__V1__Node__PropertiesEntry);
SAME_AS_KV_ENTRY(Modelreg__V1__AddNodeRequest__PropertiesEntry);
SAME_AS_KV_ENTRY(Modelreg__V1__Model__AliasesEntry);
SAME_AS_KV_ENTRY(Modelreg__V1__UpdateModelRequest__SetTagsEntry);
SAME_AS_KV_ENTRY(Modelreg__V1__UpdateVersionRequest__SetTagsEntry);

/* ---- messages to results ------------------------------------------------ */

static char *
copy_str(const char *s, bool *oom)
{
	char *d = strdup(s != NULL ? s : "");

	if (d == NULL)
		*oom = true;
	return d;
}

/* calloc that records failure; n == 0 gives NULL without failing. */
static void *
alloc_array(size_t n, size_t size, bool *oom)
{
	void *p;

	if (n == 0)
		return NULL;
	if ((p = calloc(n, size)) == NULL)
		*oom = true;
	return p;
}

static int
cmp_kv(const void *a, const void *b)
{
	return strcmp(((const mr_kv *)a)->key, ((const mr_kv *)b)->key);
}

static int
cmp_metric(const void *a, const void *b)
{
	return strcmp(
	    ((const mr_metric *)a)->name, ((const mr_metric *)b)->name);
}

static void
kv_fill(mr_kv **out, size_t *n_out, size_t n, void *const *entries, bool *oom)
{
	mr_kv *kv = alloc_array(n, sizeof(*kv), oom);

	*out = kv;
	*n_out = kv != NULL ? n : 0;
	if (kv == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		const kv_entry *en = entries[i];
		kv[i].key = copy_str(en->key, oom);
		kv[i].value = copy_str(en->value, oom);
	}
	if (!*oom)
		qsort(kv, n, sizeof(*kv), cmp_kv);
}

static void
kv_clear(mr_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

static void
fields_fill(mr_field **out, size_t *n_out, size_t n,
    Modelreg__V1__Field *const *pb, bool *oom)
{
	mr_field *f = alloc_array(n, sizeof(*f), oom);

	*out = f;
	*n_out = f != NULL ? n : 0;
	for (size_t i = 0; f != NULL && i < n; i++) {
		f[i].name = copy_str(pb[i]->name, oom);
		f[i].type = copy_str(pb[i]->type, oom);
	}
}

static void
fields_clear(mr_field *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(f[i].name);
		free(f[i].type);
	}
	free(f);
}

static void
metadata_fill(mr_metadata *m, const Modelreg__V1__Metadata *pb, bool *oom)
{
	static const Modelreg__V1__Metadata none = MODELREG__V1__METADATA__INIT;

	if (pb == NULL)
		pb = &none;
	m->metrics = alloc_array(pb->n_metrics, sizeof(mr_metric), oom);
	m->n_metrics = m->metrics != NULL ? pb->n_metrics : 0;
	for (size_t i = 0; i < m->n_metrics; i++) {
		m->metrics[i].name = copy_str(pb->metrics[i]->key, oom);
		m->metrics[i].value = pb->metrics[i]->value;
	}
	if (!*oom && m->n_metrics > 0)
		qsort(m->metrics, m->n_metrics, sizeof(mr_metric), cmp_metric);
	kv_fill(&m->hyperparameters, &m->n_hyperparameters,
	    pb->n_hyperparameters, (void *const *)pb->hyperparameters, oom);
	m->framework = copy_str(pb->framework, oom);
	m->framework_version = copy_str(pb->framework_version, oom);
	m->python_version = copy_str(pb->python_version, oom);
	m->features = alloc_array(pb->n_features, sizeof(char *), oom);
	m->n_features = m->features != NULL ? pb->n_features : 0;
	for (size_t i = 0; i < m->n_features; i++)
		m->features[i] = copy_str(pb->features[i], oom);
	m->training_data_version = copy_str(pb->training_data_version, oom);
	m->feature_set_version = copy_str(pb->feature_set_version, oom);
	m->experiment = copy_str(pb->experiment, oom);
	m->increment = copy_str(pb->increment, oom);
	m->parent_model = copy_str(pb->parent_model, oom);
}

static void
metadata_clear(mr_metadata *m)
{
	for (size_t i = 0; i < m->n_metrics; i++)
		free(m->metrics[i].name);
	free(m->metrics);
	kv_clear(m->hyperparameters, m->n_hyperparameters);
	free(m->framework);
	free(m->framework_version);
	free(m->python_version);
	for (size_t i = 0; i < m->n_features; i++)
		free(m->features[i]);
	free(m->features);
	free(m->training_data_version);
	free(m->feature_set_version);
	free(m->experiment);
	free(m->increment);
	free(m->parent_model);
}

static void
digest_copy(uint8_t out[MR_DIGEST_LEN], ProtobufCBinaryData d)
{
	/* A digest of the wrong length is left as zeros rather than
	 * trusted in part. */
	if (d.len == MR_DIGEST_LEN)
		memcpy(out, d.data, MR_DIGEST_LEN);
}

static void
dangling_fill(mr_dangling **out, size_t *n_out, size_t n,
    Modelreg__V1__DanglingRef *const *pb, bool *oom)
{
	mr_dangling *d = alloc_array(n, sizeof(*d), oom);

	*out = d;
	*n_out = d != NULL ? n : 0;
	for (size_t i = 0; d != NULL && i < n; i++) {
		d[i].field = copy_str(pb[i]->field, oom);
		d[i].value = copy_str(pb[i]->value, oom);
		d[i].kind = (mr_node_kind)pb[i]->kind;
		d[i].reason = copy_str(pb[i]->reason, oom);
	}
}

static void
dangling_clear(mr_dangling *d, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(d[i].field);
		free(d[i].value);
		free(d[i].reason);
	}
	free(d);
}

static int
cmp_review(const void *a, const void *b)
{
	const mr_review *x = a, *y = b;

	if (x->stage != y->stage)
		return x->stage < y->stage ? -1 : 1;
	return strcmp(x->reviewer, y->reviewer);
}

static void
reviews_fill(mr_review **out, size_t *n_out, size_t n,
    Modelreg__V1__Approval *const *pb, bool *oom)
{
	mr_review *r = alloc_array(n, sizeof(*r), oom);

	*out = r;
	*n_out = r != NULL ? n : 0;
	for (size_t i = 0; r != NULL && i < n; i++) {
		r[i].stage = (mr_stage)pb[i]->stage;
		r[i].reviewer = copy_str(pb[i]->reviewer, oom);
		r[i].decision = (mr_decision)pb[i]->decision;
		r[i].comment = copy_str(pb[i]->comment, oom);
		r[i].time_ms = pb[i]->time_ms;
		r[i].revision = pb[i]->revision;
	}
	/* The server sends them in this order; sorting again costs little
	 * and makes the order modelreg.h promises hold whatever it sent. */
	if (r != NULL && !*oom)
		qsort(r, n, sizeof(*r), cmp_review);
}

static void
reviews_clear(mr_review *r, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(r[i].reviewer);
		free(r[i].comment);
	}
	free(r);
}

static void
version_fill(mr_version *v, const Modelreg__V1__ModelVersion *pb, bool *oom)
{
	static const Modelreg__V1__Deprecation none =
	    MODELREG__V1__DEPRECATION__INIT;
	const Modelreg__V1__Deprecation *dep =
	    pb->deprecation != NULL ? pb->deprecation : &none;
	static const Modelreg__V1__Deletion kept = MODELREG__V1__DELETION__INIT;
	const Modelreg__V1__Deletion *del =
	    pb->deletion != NULL ? pb->deletion : &kept;
	const Modelreg__V1__Manifest *mf = pb->manifest;

	v->name = copy_str(pb->name, oom);
	v->version = copy_str(pb->version, oom);
	v->stage = (mr_stage)pb->stage;
	v->description = copy_str(pb->description, oom);
	metadata_fill(&v->metadata, pb->metadata, oom);
	kv_fill(&v->tags, &v->n_tags, pb->n_tags, (void *const *)pb->tags, oom);
	if (pb->signature != NULL) {
		fields_fill(&v->signature.inputs, &v->signature.n_inputs,
		    pb->signature->n_inputs, pb->signature->inputs, oom);
		fields_fill(&v->signature.outputs, &v->signature.n_outputs,
		    pb->signature->n_outputs, pb->signature->outputs, oom);
	}
	if (mf != NULL) {
		v->directory = mf->directory;
		v->files = alloc_array(mf->n_files, sizeof(mr_file), oom);
		v->n_files = v->files != NULL ? mf->n_files : 0;
		for (size_t i = 0; i < v->n_files; i++) {
			const Modelreg__V1__FileEntry *f = mf->files[i];
			v->files[i].path = copy_str(f->path, oom);
			v->files[i].size = f->size;
			digest_copy(v->files[i].digest, f->digest);
			v->files[i].mode = f->mode;
		}
		digest_copy(v->artifact_digest, mf->digest);
		v->artifact_size = mf->total_size;
		v->chunk_count = mf->chunk_count;
	}
	v->created_by = copy_str(pb->created_by, oom);
	v->created_at_ms = pb->created_at_ms;
	v->created_revision = pb->created_revision;
	v->stage_changed_at_ms = pb->stage_changed_at_ms;
	v->displaced_version = copy_str(pb->displaced_version, oom);
	v->ever_production = pb->ever_production;
	v->deprecated = pb->deprecation != NULL;
	v->deprecation_reason = copy_str(dep->reason, oom);
	v->end_of_life_ms = dep->end_of_life_ms;
	v->deprecated_by = copy_str(dep->by, oom);
	v->deprecated_at_ms = dep->at_ms;
	reviews_fill(
	    &v->reviews, &v->n_reviews, pb->n_approvals, pb->approvals, oom);
	v->version_rule = copy_str(pb->version_rule, oom);
	v->deleted = pb->deletion != NULL;
	v->deleted_by = copy_str(del->by, oom);
	v->deleted_at_ms = del->at_ms;
	v->deletion_reason = copy_str(del->reason, oom);
}

static void
version_clear(mr_version *v)
{
	free(v->name);
	free(v->version);
	free(v->description);
	metadata_clear(&v->metadata);
	kv_clear(v->tags, v->n_tags);
	fields_clear(v->signature.inputs, v->signature.n_inputs);
	fields_clear(v->signature.outputs, v->signature.n_outputs);
	for (size_t i = 0; i < v->n_files; i++)
		free(v->files[i].path);
	free(v->files);
	free(v->created_by);
	free(v->displaced_version);
	dangling_clear(v->dangling, v->n_dangling);
	free(v->deprecation_reason);
	free(v->deprecated_by);
	reviews_clear(v->reviews, v->n_reviews);
	free(v->version_rule);
	free(v->deleted_by);
	free(v->deletion_reason);
}

static int
cmp_goal(const void *a, const void *b)
{
	return strcmp(((const mr_goal *)a)->metric, ((const mr_goal *)b)->metric);
}

static void
goals_fill(mr_goal **out, size_t *n_out, size_t n,
    Modelreg__V1__Model__MetricGoalsEntry *const *pb, bool *oom)
{
	mr_goal *g = alloc_array(n, sizeof(*g), oom);

	*out = g;
	*n_out = g != NULL ? n : 0;
	for (size_t i = 0; g != NULL && i < n; i++) {
		g[i].metric = copy_str(pb[i]->key, oom);
		g[i].goal = (mr_metric_goal)pb[i]->value;
	}
	if (g != NULL && !*oom)
		qsort(g, n, sizeof(*g), cmp_goal);
}

static int
cmp_policy(const void *a, const void *b)
{
	const mr_policy *x = a, *y = b;

	return x->stage < y->stage ? -1 : x->stage > y->stage;
}

static void
policies_fill(mr_policy **out, size_t *n_out, size_t n,
    Modelreg__V1__ApprovalPolicy *const *pb, bool *oom)
{
	mr_policy *p = alloc_array(n, sizeof(*p), oom);

	*out = p;
	*n_out = p != NULL ? n : 0;
	for (size_t i = 0; p != NULL && i < n; i++) {
		p[i].stage = (mr_stage)pb[i]->stage;
		p[i].approvers =
		    alloc_array(pb[i]->n_approvers, sizeof(char *), oom);
		p[i].n_approvers =
		    p[i].approvers != NULL ? pb[i]->n_approvers : 0;
		for (size_t k = 0; k < p[i].n_approvers; k++)
			p[i].approvers[k] = copy_str(pb[i]->approvers[k], oom);
		p[i].required = pb[i]->required;
	}
	if (p != NULL && !*oom)
		qsort(p, n, sizeof(*p), cmp_policy);
}

static void
policies_clear(mr_policy *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < p[i].n_approvers; k++)
			free(p[i].approvers[k]);
		free(p[i].approvers);
	}
	free(p);
}

static void
model_fill(mr_model *m, const Modelreg__V1__Model *pb, bool *oom)
{
	m->name = copy_str(pb->name, oom);
	m->description = copy_str(pb->description, oom);
	m->owner = copy_str(pb->owner, oom);
	kv_fill(&m->tags, &m->n_tags, pb->n_tags, (void *const *)pb->tags, oom);
	m->created_at_ms = pb->created_at_ms;
	m->updated_at_ms = pb->updated_at_ms;
	m->version_count = pb->version_count;
	m->latest_version = copy_str(pb->latest_version, oom);
	m->production_version = copy_str(pb->production_version, oom);
	m->rollback_target = copy_str(pb->rollback_target, oom);
	m->revision = pb->revision;
	m->primary_metric = copy_str(pb->primary_metric, oom);
	goals_fill(&m->goals, &m->n_goals, pb->n_metric_goals, pb->metric_goals,
	    oom);
	policies_fill(
	    &m->policies, &m->n_policies, pb->n_policies, pb->policies, oom);
	kv_fill(&m->aliases, &m->n_aliases, pb->n_aliases,
	    (void *const *)pb->aliases, oom);
	if (pb->traffic_split != NULL) {
		m->split_stage = (mr_stage)pb->traffic_split->canary_stage;
		m->split_basis_points = pb->traffic_split->canary_basis_points;
	}
}

static void
model_clear(mr_model *m)
{
	free(m->name);
	free(m->description);
	free(m->owner);
	kv_clear(m->tags, m->n_tags);
	free(m->latest_version);
	free(m->production_version);
	free(m->rollback_target);
	free(m->primary_metric);
	for (size_t i = 0; i < m->n_goals; i++)
		free(m->goals[i].metric);
	free(m->goals);
	policies_clear(m->policies, m->n_policies);
	kv_clear(m->aliases, m->n_aliases);
}

static void
event_fill(mr_event *ev, const Modelreg__V1__Event *pb, bool *oom)
{
	ev->revision = pb->revision;
	ev->time_ms = pb->time_ms;
	ev->kind = (mr_event_kind)pb->kind;
	ev->model = copy_str(pb->model, oom);
	ev->version = copy_str(pb->version, oom);
	ev->from_stage = (mr_stage)pb->from_stage;
	ev->to_stage = (mr_stage)pb->to_stage;
	ev->actor = copy_str(pb->actor, oom);
	ev->reason = copy_str(pb->reason, oom);
	ev->node = copy_str(pb->node, oom);
	ev->alias = copy_str(pb->alias, oom);
}

static void
event_clear(mr_event *ev)
{
	free(ev->model);
	free(ev->version);
	free(ev->actor);
	free(ev->reason);
	free(ev->node);
	free(ev->alias);
}

static void
node_fill(mr_node *n, const Modelreg__V1__Node *pb, uint32_t depth, bool *oom)
{
	n->id = copy_str(pb->id, oom);
	n->kind = (mr_node_kind)pb->kind;
	n->name = copy_str(pb->name, oom);
	n->version = copy_str(pb->version, oom);
	kv_fill(&n->properties, &n->n_properties, pb->n_properties,
	    (void *const *)pb->properties, oom);
	n->created_at_ms = pb->created_at_ms;
	n->created_revision = pb->created_revision;
	n->stage = (mr_stage)pb->stage;
	n->environment = copy_str(pb->environment, oom);
	n->ended_at_ms = pb->ended_at_ms;
	n->deleted_at_ms = pb->deleted_at_ms;
	dangling_fill(
	    &n->dangling, &n->n_dangling, pb->n_dangling, pb->dangling, oom);
	n->depth = depth;
}

static void
node_clear(mr_node *n)
{
	free(n->id);
	free(n->name);
	free(n->version);
	kv_clear(n->properties, n->n_properties);
	free(n->environment);
	dangling_clear(n->dangling, n->n_dangling);
}

static void
edge_fill(mr_edge *e, const Modelreg__V1__Edge *pb, bool *oom)
{
	e->from = copy_str(pb->from, oom);
	e->to = copy_str(pb->to, oom);
	e->type = (mr_edge_type)pb->type;
}

static mr_status
out_of_memory(mr_err *e)
{
	return mr_fail(e, MR_RESOURCE_EXHAUSTED,
	    "out of memory copying the server's answer");
}

mr_status
cv_version_new(
    mr_version **out, const Modelreg__V1__ModelVersion *pb, mr_err *e)
{
	bool oom = false;
	mr_version *v;

	if (pb == NULL)
		return mr_fail(
		    e, MR_INTERNAL, "the server's answer holds no version");
	if ((v = calloc(1, sizeof(*v))) == NULL)
		return out_of_memory(e);
	version_fill(v, pb, &oom);
	if (oom) {
		mr_version_free(v);
		return out_of_memory(e);
	}
	*out = v;
	return MR_OK;
}

mr_status
cv_model_new(mr_model **out, const Modelreg__V1__Model *pb, mr_err *e)
{
	bool oom = false;
	mr_model *m;

	if (pb == NULL)
		return mr_fail(
		    e, MR_INTERNAL, "the server's answer holds no model");
	if ((m = calloc(1, sizeof(*m))) == NULL)
		return out_of_memory(e);
	model_fill(m, pb, &oom);
	if (oom) {
		mr_model_free(m);
		return out_of_memory(e);
	}
	*out = m;
	return MR_OK;
}

mr_status
cv_model_list_new(
    mr_model_list **out, const Modelreg__V1__ListModelsResponse *pb, mr_err *e)
{
	bool oom = false;
	mr_model_list *l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return out_of_memory(e);
	l->items = alloc_array(pb->n_models, sizeof(mr_model), &oom);
	l->count = l->items != NULL ? pb->n_models : 0;
	for (size_t i = 0; i < l->count; i++)
		model_fill(&l->items[i], pb->models[i], &oom);
	l->next_page_token = copy_str(pb->next_page_token, &oom);
	if (oom) {
		mr_model_list_free(l);
		return out_of_memory(e);
	}
	*out = l;
	return MR_OK;
}

mr_status
cv_versions_new(mr_version_list **out, Modelreg__V1__ModelVersion *const *pb,
    size_t n, const char *next_page_token, mr_err *e)
{
	bool oom = false;
	mr_version_list *l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return out_of_memory(e);
	l->items = alloc_array(n, sizeof(mr_version), &oom);
	l->count = l->items != NULL ? n : 0;
	for (size_t i = 0; i < l->count; i++)
		version_fill(&l->items[i], pb[i], &oom);
	l->next_page_token = copy_str(next_page_token, &oom);
	if (oom) {
		mr_version_list_free(l);
		return out_of_memory(e);
	}
	*out = l;
	return MR_OK;
}

mr_status
cv_version_list_new(mr_version_list **out,
    const Modelreg__V1__ListVersionsResponse *pb, mr_err *e)
{
	return cv_versions_new(
	    out, pb->versions, pb->n_versions, pb->next_page_token, e);
}

mr_status
cv_event_list_new(
    mr_event_list **out, const Modelreg__V1__ListEventsResponse *pb, mr_err *e)
{
	bool oom = false;
	mr_event_list *l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return out_of_memory(e);
	l->items = alloc_array(pb->n_events, sizeof(mr_event), &oom);
	l->count = l->items != NULL ? pb->n_events : 0;
	for (size_t i = 0; i < l->count; i++)
		event_fill(&l->items[i], pb->events[i], &oom);
	l->last_revision = pb->last_revision;
	l->more = pb->more;
	if (oom) {
		mr_event_list_free(l);
		return out_of_memory(e);
	}
	*out = l;
	return MR_OK;
}

mr_status
cv_registered_new(mr_version **out,
    const Modelreg__V1__RegisterVersionResponse *pb, mr_err *e)
{
	bool oom = false;
	mr_version *v;
	mr_status rv;

	if ((rv = cv_version_new(&v, pb->version, e)) != MR_OK)
		return rv;
	dangling_fill(
	    &v->dangling, &v->n_dangling, pb->n_dangling, pb->dangling, &oom);
	if (oom) {
		mr_version_free(v);
		return out_of_memory(e);
	}
	*out = v;
	return MR_OK;
}

/* A comparison's version: a copy, or (absent) NULL so free passes it. */
static mr_version *
compared_version(const Modelreg__V1__ModelVersion *pb, bool *oom)
{
	mr_version *v;

	if (pb == NULL)
		return NULL;
	if ((v = calloc(1, sizeof(*v))) == NULL) {
		*oom = true;
		return NULL;
	}
	version_fill(v, pb, oom);
	return v;
}

mr_status
cv_comparison_new(mr_comparison **out,
    const Modelreg__V1__CompareVersionsResponse *pb, mr_err *e)
{
	bool oom = false;
	mr_comparison *cmp;

	if (pb->baseline == NULL || pb->candidate == NULL)
		return mr_fail(e, MR_INTERNAL,
		    "the server's comparison lacks one of the two versions");
	if ((cmp = calloc(1, sizeof(*cmp))) == NULL)
		return out_of_memory(e);
	cmp->baseline = compared_version(pb->baseline, &oom);
	cmp->candidate = compared_version(pb->candidate, &oom);
	cmp->metrics = alloc_array(pb->n_metrics, sizeof(mr_metric_delta), &oom);
	cmp->n_metrics = cmp->metrics != NULL ? pb->n_metrics : 0;
	for (size_t i = 0; i < cmp->n_metrics; i++) {
		const Modelreg__V1__MetricDelta *d = pb->metrics[i];
		mr_metric_delta *m = &cmp->metrics[i];
		m->name = copy_str(d->name, &oom);
		m->in_baseline = d->in_baseline;
		m->in_candidate = d->in_candidate;
		m->baseline = d->baseline;
		m->candidate = d->candidate;
		m->change = d->change;
		m->relative = d->relative;
		m->has_relative = d->has_relative;
		m->goal = (mr_metric_goal)d->goal;
		m->outcome = d->outcome;
	}
	cmp->features =
	    alloc_array(pb->n_features, sizeof(mr_feature_change), &oom);
	cmp->n_features = cmp->features != NULL ? pb->n_features : 0;
	for (size_t i = 0; i < cmp->n_features; i++) {
		const Modelreg__V1__FeatureChange *fc = pb->features[i];
		cmp->features[i].name = copy_str(fc->name, &oom);
		cmp->features[i].kind = (mr_change_kind)fc->kind;
		cmp->features[i].baseline_position = fc->baseline_position;
		cmp->features[i].candidate_position = fc->candidate_position;
	}
	cmp->signature =
	    alloc_array(pb->n_signature, sizeof(mr_field_change), &oom);
	cmp->n_signature = cmp->signature != NULL ? pb->n_signature : 0;
	for (size_t i = 0; i < cmp->n_signature; i++) {
		const Modelreg__V1__FieldChange *fc = pb->signature[i];
		mr_field_change *f = &cmp->signature[i];
		f->output = fc->output;
		f->name = copy_str(fc->name, &oom);
		f->kind = (mr_change_kind)fc->kind;
		f->baseline_type = copy_str(fc->baseline_type, &oom);
		f->candidate_type = copy_str(fc->candidate_type, &oom);
		f->breaking = fc->breaking;
	}
	cmp->baseline_size = pb->baseline_size;
	cmp->candidate_size = pb->candidate_size;
	cmp->verdict = (mr_verdict)pb->verdict;
	cmp->recommendation = copy_str(pb->recommendation, &oom);
	cmp->reasons = alloc_array(pb->n_reasons, sizeof(char *), &oom);
	cmp->n_reasons = cmp->reasons != NULL ? pb->n_reasons : 0;
	for (size_t i = 0; i < cmp->n_reasons; i++)
		cmp->reasons[i] = copy_str(pb->reasons[i], &oom);
	if (oom) {
		mr_comparison_free(cmp);
		return out_of_memory(e);
	}
	*out = cmp;
	return MR_OK;
}

mr_status
cv_audit_list_new(
    mr_audit_list **out, const Modelreg__V1__ListAuditResponse *pb, mr_err *e)
{
	bool oom = false;
	mr_audit_list *l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return out_of_memory(e);
	l->items = alloc_array(pb->n_records, sizeof(mr_audit_record), &oom);
	l->count = l->items != NULL ? pb->n_records : 0;
	for (size_t i = 0; i < l->count; i++) {
		const Modelreg__V1__AuditRecord *r = pb->records[i];
		mr_audit_record *a = &l->items[i];
		a->seq = r->seq;
		a->time_ms = r->time_ms;
		a->actor = copy_str(r->actor, &oom);
		a->action = copy_str(r->action, &oom);
		a->model = copy_str(r->model, &oom);
		a->target = copy_str(r->target, &oom);
		a->before = copy_str(r->before, &oom);
		a->after = copy_str(r->after, &oom);
		a->reason = copy_str(r->reason, &oom);
		a->outcome = copy_str(r->outcome, &oom);
		a->revision = r->revision;
		digest_copy(a->prev_hash, r->prev_hash);
		digest_copy(a->hash, r->hash);
	}
	l->last_seq = pb->last_seq;
	l->more = pb->more;
	if (oom) {
		mr_audit_list_free(l);
		return out_of_memory(e);
	}
	*out = l;
	return MR_OK;
}

mr_status
cv_audit_check_new(mr_audit_check **out,
    const Modelreg__V1__VerifyAuditResponse *pb, mr_err *e)
{
	bool oom = false;
	mr_audit_check *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return out_of_memory(e);
	a->ok = pb->ok;
	a->records = pb->records;
	a->first_broken = pb->first_broken;
	a->problem = copy_str(pb->problem, &oom);
	digest_copy(a->head_hash, pb->head_hash);
	if (oom) {
		mr_audit_check_free(a);
		return out_of_memory(e);
	}
	*out = a;
	return MR_OK;
}

mr_status
cv_node_new(mr_node **out, const Modelreg__V1__Node *pb, mr_err *e)
{
	bool oom = false;
	mr_node *n;

	if (pb == NULL)
		return mr_fail(
		    e, MR_INTERNAL, "the server's answer holds no node");
	if ((n = calloc(1, sizeof(*n))) == NULL)
		return out_of_memory(e);
	node_fill(n, pb, 0, &oom);
	if (oom) {
		mr_node_free(n);
		return out_of_memory(e);
	}
	*out = n;
	return MR_OK;
}

mr_status
cv_graph_new(mr_graph **out, const cv_graph_parts *p, mr_err *e)
{
	static const Modelreg__V1__Node none = MODELREG__V1__NODE__INIT;
	size_t n_nodes = (p->start != NULL) + p->n_nodes + p->n_walk;
	bool oom = false;
	mr_graph *g;
	size_t k = 0;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return out_of_memory(e);
	g->nodes = alloc_array(n_nodes, sizeof(mr_node), &oom);
	g->edges =
	    alloc_array(p->n_edges[0] + p->n_edges[1], sizeof(mr_edge), &oom);
	if (g->nodes != NULL) {
		/* Counted as filled, so that a failure frees what is. */
		g->n_nodes = n_nodes;
		if (p->start != NULL)
			node_fill(&g->nodes[k++], p->start, 0, &oom);
		for (size_t i = 0; i < p->n_nodes; i++)
			node_fill(&g->nodes[k++], p->nodes[i], 0, &oom);
		for (size_t i = 0; i < p->n_walk; i++) {
			const Modelreg__V1__WalkNode *w = p->walk[i];
			node_fill(&g->nodes[k++],
			    w->node != NULL ? w->node : &none, w->depth, &oom);
		}
	}
	if (g->edges != NULL) {
		for (int a = 0; a < 2; a++)
			for (size_t i = 0; i < p->n_edges[a]; i++)
				edge_fill(&g->edges[g->n_edges++],
				    p->edges[a][i], &oom);
	}
	g->next_page_token = copy_str(p->next_page_token, &oom);
	g->depth_limited = p->depth_limited;
	if (oom) {
		mr_graph_free(g);
		return out_of_memory(e);
	}
	*out = g;
	return MR_OK;
}

mr_status
cv_impact_new(
    mr_impact **out, const Modelreg__V1__ImpactResponse *pb, mr_err *e)
{
	bool oom = false;
	mr_impact *im;

	if ((im = calloc(1, sizeof(*im))) == NULL)
		return out_of_memory(e);
	im->versions = alloc_array(pb->n_versions, sizeof(mr_impacted), &oom);
	im->n_versions = im->versions != NULL ? pb->n_versions : 0;
	for (size_t i = 0; i < im->n_versions; i++) {
		const Modelreg__V1__ImpactedVersion *v = pb->versions[i];
		im->versions[i].model = copy_str(v->model, &oom);
		im->versions[i].version = copy_str(v->version, &oom);
		im->versions[i].stage = (mr_stage)v->stage;
		im->versions[i].depth = v->depth;
	}
	im->live_deployments =
	    alloc_array(pb->n_live_deployments, sizeof(mr_node), &oom);
	im->n_live_deployments =
	    im->live_deployments != NULL ? pb->n_live_deployments : 0;
	for (size_t i = 0; i < im->n_live_deployments; i++)
		node_fill(
		    &im->live_deployments[i], pb->live_deployments[i], 0, &oom);
	im->next_page_token = copy_str(pb->next_page_token, &oom);
	if (oom) {
		mr_impact_free(im);
		return out_of_memory(e);
	}
	*out = im;
	return MR_OK;
}

void
mr_version_free(mr_version *v)
{
	if (v == NULL)
		return;
	version_clear(v);
	free(v);
}

void
mr_model_free(mr_model *m)
{
	if (m == NULL)
		return;
	model_clear(m);
	free(m);
}

void
mr_model_list_free(mr_model_list *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->count; i++)
		model_clear(&l->items[i]);
	free(l->items);
	free(l->next_page_token);
	free(l);
}

void
mr_version_list_free(mr_version_list *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->count; i++)
		version_clear(&l->items[i]);
	free(l->items);
	free(l->next_page_token);
	free(l);
}

void
mr_event_list_free(mr_event_list *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->count; i++)
		event_clear(&l->items[i]);
	free(l->items);
	free(l);
}

void
mr_comparison_free(mr_comparison *cmp)
{
	if (cmp == NULL)
		return;
	mr_version_free(cmp->baseline);
	mr_version_free(cmp->candidate);
	for (size_t i = 0; i < cmp->n_metrics; i++)
		free(cmp->metrics[i].name);
	free(cmp->metrics);
	for (size_t i = 0; i < cmp->n_features; i++)
		free(cmp->features[i].name);
	free(cmp->features);
	for (size_t i = 0; i < cmp->n_signature; i++) {
		free(cmp->signature[i].name);
		free(cmp->signature[i].baseline_type);
		free(cmp->signature[i].candidate_type);
	}
	free(cmp->signature);
	free(cmp->recommendation);
	for (size_t i = 0; i < cmp->n_reasons; i++)
		free(cmp->reasons[i]);
	free(cmp->reasons);
	free(cmp);
}

void
mr_audit_list_free(mr_audit_list *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->count; i++) {
		mr_audit_record *a = &l->items[i];
		free(a->actor);
		free(a->action);
		free(a->model);
		free(a->target);
		free(a->before);
		free(a->after);
		free(a->reason);
		free(a->outcome);
	}
	free(l->items);
	free(l);
}

void
mr_audit_check_free(mr_audit_check *a)
{
	if (a == NULL)
		return;
	free(a->problem);
	free(a);
}

void
mr_node_free(mr_node *n)
{
	if (n == NULL)
		return;
	node_clear(n);
	free(n);
}

void
mr_graph_free(mr_graph *g)
{
	if (g == NULL)
		return;
	for (size_t i = 0; i < g->n_nodes; i++)
		node_clear(&g->nodes[i]);
	free(g->nodes);
	for (size_t i = 0; i < g->n_edges; i++) {
		free(g->edges[i].from);
		free(g->edges[i].to);
	}
	free(g->edges);
	free(g->next_page_token);
	free(g);
}

void
mr_impact_free(mr_impact *im)
{
	if (im == NULL)
		return;
	for (size_t i = 0; i < im->n_versions; i++) {
		free(im->versions[i].model);
		free(im->versions[i].version);
	}
	free(im->versions);
	for (size_t i = 0; i < im->n_live_deployments; i++)
		node_clear(&im->live_deployments[i]);
	free(im->live_deployments);
	free(im->next_page_token);
	free(im);
}

/* ---- results to messages ------------------------------------------------ */

/* Each arena block starts with this header, aligned for anything. */
typedef union arena_block {
	void *next;
	max_align_t align;
} arena_block;

void *
cv_alloc(cv_arena *a, size_t size)
{
	arena_block *b = calloc(1, sizeof(arena_block) + size);

	if (b == NULL) {
		a->failed = true;
		return NULL;
	}
	b->next = a->head;
	a->head = b;
	return b + 1;
}

void
cv_arena_free(cv_arena *a)
{
	while (a->head != NULL) {
		arena_block *b = a->head;
		a->head = b->next;
		free(b);
	}
	a->failed = false;
}

/* protobuf-c packs "" and NULL alike, but "" is what its own code uses. */
static char *
str(char *s)
{
	return s != NULL ? s : (char *)"";
}

void *
cv_messages(cv_arena *a, const ProtobufCMessageDescriptor *d, size_t n)
{
	void **arr;
	char *msgs;

	if (n == 0)
		return NULL;
	arr = cv_alloc(a, n * sizeof(*arr));
	msgs = cv_alloc(a, n * d->sizeof_message);
	if (arr == NULL || msgs == NULL)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		arr[i] = msgs + i * d->sizeof_message;
		protobuf_c_message_init(d, arr[i]);
	}
	return arr;
}

void *
cv_tags_pb(
    cv_arena *a, const ProtobufCMessageDescriptor *d, const mr_kv *kv, size_t n)
{
	kv_entry **arr = cv_messages(a, d, n);

	for (size_t i = 0; arr != NULL && i < n; i++) {
		arr[i]->key = str(kv[i].key);
		arr[i]->value = str(kv[i].value);
	}
	return arr;
}

Modelreg__V1__Metadata *
cv_metadata_pb(cv_arena *a, const mr_metadata *m)
{
	Modelreg__V1__Metadata *pb;

	if (m == NULL || (pb = cv_alloc(a, sizeof(*pb))) == NULL)
		return NULL;
	modelreg__v1__metadata__init(pb);
	pb->metrics = cv_messages(a,
	    &modelreg__v1__metadata__metrics_entry__descriptor, m->n_metrics);
	pb->n_metrics = pb->metrics != NULL ? m->n_metrics : 0;
	for (size_t i = 0; i < pb->n_metrics; i++) {
		pb->metrics[i]->key = str(m->metrics[i].name);
		pb->metrics[i]->value = m->metrics[i].value;
	}
	pb->hyperparameters = cv_tags_pb(a,
	    &modelreg__v1__metadata__hyperparameters_entry__descriptor,
	    m->hyperparameters, m->n_hyperparameters);
	pb->n_hyperparameters =
	    pb->hyperparameters != NULL ? m->n_hyperparameters : 0;
	pb->framework = str(m->framework);
	pb->framework_version = str(m->framework_version);
	pb->python_version = str(m->python_version);
	if (m->n_features > 0) {
		if ((pb->features = cv_alloc(
		         a, m->n_features * sizeof(char *))) == NULL)
			return NULL;
		for (size_t i = 0; i < m->n_features; i++)
			pb->features[i] = str(m->features[i]);
		pb->n_features = m->n_features;
	}
	pb->training_data_version = str(m->training_data_version);
	pb->feature_set_version = str(m->feature_set_version);
	pb->experiment = str(m->experiment);
	pb->increment = str(m->increment);
	pb->parent_model = str(m->parent_model);
	return pb;
}

static Modelreg__V1__Field **
fields_pb(cv_arena *a, const mr_field *f, size_t n)
{
	Modelreg__V1__Field **arr =
	    cv_messages(a, &modelreg__v1__field__descriptor, n);

	for (size_t i = 0; arr != NULL && i < n; i++) {
		arr[i]->name = str(f[i].name);
		arr[i]->type = str(f[i].type);
	}
	return arr;
}

Modelreg__V1__Signature *
cv_signature_pb(cv_arena *a, const mr_signature *s)
{
	Modelreg__V1__Signature *pb;

	if (s == NULL || (pb = cv_alloc(a, sizeof(*pb))) == NULL)
		return NULL;
	modelreg__v1__signature__init(pb);
	pb->inputs = fields_pb(a, s->inputs, s->n_inputs);
	pb->n_inputs = pb->inputs != NULL ? s->n_inputs : 0;
	pb->outputs = fields_pb(a, s->outputs, s->n_outputs);
	pb->n_outputs = pb->outputs != NULL ? s->n_outputs : 0;
	return pb;
}
