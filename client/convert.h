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
mr_status cv_event_list_new(
    mr_event_list **out, const Modelreg__V1__ListEventsResponse *pb, mr_err *e);

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
