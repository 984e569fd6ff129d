/*
 * convert.h - protobuf-c messages to and from the plain structures of
 * modelreg.h.
 *
 * Results are deep copies: they own every string and array and share
 * nothing with the message they came from, so the message can be freed
 * at once. Every string field of a result is a string (possibly ""),
 * never NULL; map fields come back sorted by key.
 *
 * Requests go the other way through an arena: the message and its arrays
 * live in the arena, while strings point at the caller's, so building one
 * copies no text and one cv_arena_free() releases it all.
 */
#ifndef MR_CLIENT_CONVERT_H
#define MR_CLIENT_CONVERT_H

#include <stdbool.h>

#include "audit.pb-c.h"
#include "lineage.pb-c.h"
#include "model.pb-c.h"
#include "mr_err.h"
#include "registry.pb-c.h"

mr_status cv_version_new(
    mr_version **out, const Modelreg__V1__ModelVersion *pb, mr_err *e);
mr_status cv_model_new(
    mr_model **out, const Modelreg__V1__Model *pb, mr_err *e);
mr_status cv_model_list_new(
    mr_model_list **out, const Modelreg__V1__ListModelsResponse *pb, mr_err *e);
mr_status cv_version_list_new(mr_version_list **out,
    const Modelreg__V1__ListVersionsResponse *pb, mr_err *e);
/* A page of `n` versions, whichever answer holds them (searches too). */
mr_status cv_versions_new(mr_version_list **out,
    Modelreg__V1__ModelVersion *const *pb, size_t n,
    const char *next_page_token, mr_err *e);
mr_status cv_event_list_new(
    mr_event_list **out, const Modelreg__V1__ListEventsResponse *pb, mr_err *e);
/* The registered version with the references that were left dangling. */
mr_status cv_registered_new(mr_version **out,
    const Modelreg__V1__RegisterVersionResponse *pb, mr_err *e);

/* CompareVersions; both versions must be present. */
mr_status cv_comparison_new(mr_comparison **out,
    const Modelreg__V1__CompareVersionsResponse *pb, mr_err *e);
mr_status cv_audit_list_new(
    mr_audit_list **out, const Modelreg__V1__ListAuditResponse *pb, mr_err *e);
mr_status cv_audit_check_new(mr_audit_check **out,
    const Modelreg__V1__VerifyAuditResponse *pb, mr_err *e);

mr_status cv_node_new(mr_node **out, const Modelreg__V1__Node *pb, mr_err *e);
mr_status cv_impact_new(
    mr_impact **out, const Modelreg__V1__ImpactResponse *pb, mr_err *e);

/*
 * The parts of a lineage answer that make an mr_graph, in order: `start`
 * (if not NULL, at depth 0), then `nodes`, then the walk's nodes with
 * their depths; the edges of each of the two edge arrays in turn.
 */
typedef struct cv_graph_parts {
	const Modelreg__V1__Node *start;
	Modelreg__V1__Node *const *nodes;
	size_t n_nodes;
	Modelreg__V1__WalkNode *const *walk;
	size_t n_walk;
	Modelreg__V1__Edge *const *edges[2];
	size_t n_edges[2];
	const char *next_page_token;
	bool depth_limited;
} cv_graph_parts;

mr_status cv_graph_new(mr_graph **out, const cv_graph_parts *p, mr_err *e);

/* Allocations for building a request; all freed together. */
typedef struct cv_arena {
	void *head;
	bool failed; /* an allocation failed: the request is incomplete */
} cv_arena;

#define CV_ARENA_INIT                                                          \
	{                                                                      \
		NULL, false                                                    \
	}

/* Zeroed memory, or NULL (and a->failed set) when out of memory. */
void *cv_alloc(cv_arena *a, size_t size);
void cv_arena_free(cv_arena *a);

/*
 * `n` messages of descriptor `d`, initialized, as the array of pointers
 * a repeated field holds (cast to its type); NULL when n is 0.
 */
void *cv_messages(cv_arena *a, const ProtobufCMessageDescriptor *d, size_t n);

/*
 * The request forms of the public structures. A NULL argument gives NULL
 * (the field is left out). Tag entries are built with descriptor `d`,
 * since each map field has its own entry message; the result is the
 * array to store in the field (cast to its entry type).
 */
Modelreg__V1__Metadata *cv_metadata_pb(cv_arena *a, const mr_metadata *m);
Modelreg__V1__Signature *cv_signature_pb(cv_arena *a, const mr_signature *s);
void *cv_tags_pb(cv_arena *a, const ProtobufCMessageDescriptor *d,
    const mr_kv *kv, size_t n);

#endif /* MR_CLIENT_CONVERT_H */
