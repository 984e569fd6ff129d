/*
 * reg.h - what the Registry service's files share: registry.c (versions,
 * stages, rollback, events), lifecycle.c (updates, approvals,
 * deprecation, aliases, comparison) and search.c.
 */
#ifndef MR_SERVICE_REG_H
#define MR_SERVICE_REG_H

#include "model.pb-c.h"
#include "registry.pb-c.h"
#include "svc.h"

/* A <string, string> map entry; every generated one has this layout. */
typedef struct kv_entry {
	ProtobufCMessage base;
	char *key;
	char *value;
} kv_entry;

/* "dev", ...; "no stage" for 0. */
const char *reg_stage_name(int stage);
bool reg_stage_valid(int stage);
mr_status reg_parse_version(svc_call *c, const char *text, mr_semver *v);
/* qsort, which must not be given NULL even for zero items. */
void reg_sort(void *base, size_t n, size_t size,
    int (*cmp)(const void *, const void *));
/* Orders kv_entry pointers by key. */
int reg_cmp_kv(const void *a, const void *b);
/* Sorts tag entries by key and checks them. */
mr_status reg_check_tags(svc_call *c, const char *what, kv_entry **tags,
    size_t n);
/* Copies tag entries into entries of another map type (same layout). */
kv_entry **reg_copy_tags(svc_call *c, const ProtobufCMessageDescriptor *d,
    kv_entry *const *src, size_t n);
mr_status reg_check_string(svc_call *c, const char *what, const char *s);
mr_status reg_check_signature(svc_call *c, const Modelreg__V1__Signature *sig);
/* A "key" or "key=value" tag filter against a tag list. */
bool reg_tags_match(const char *filter, kv_entry *const *tags, size_t n);
/* The version as the client should see it: files without chunk lists. */
mr_status reg_strip_chunks(svc_call *c, mr_pb_version *v);
mr_status reg_append_event(svc_call *c, Modelreg__V1__EventKind kind,
    const char *model, const char *version, int from, int to,
    const char *reason);
/*
 * If version `v` of `name` was deleted, says so in c->err (with `code`,
 * who deleted it, when and why, then `then`) and returns true; else
 * leaves c->err as it was.
 */
bool reg_deleted_note(svc_call *c, const char *name, const mr_semver *v,
    mr_status code, const char *then);
/*
 * The rollback target a model gets when it would be `version`: that
 * version if it exists, else, if it was deleted, the version it had
 * displaced, and so on; "" when the chain ends. *out points into memory
 * that lives as long as the call.
 */
mr_status reg_rollback_target(svc_call *c, const char *name,
    const char *version, char **out);
/* Records the handlers may edit (svc_editable copies). */
mr_status reg_get_model(svc_call *c, const char *name, mr_pb_model **out);
mr_status reg_get_version(svc_call *c, const char *name, const mr_semver *v,
    mr_pb_version **out);
/* Stamps the model with the change's time and revision and stages it. */
mr_status reg_finish_model(svc_call *c, mr_pb_model *m);

/* ---- lifecycle.c ---------------------------------------------------------- */

/*
 * The version a request names by `text`: a semantic version, an alias of
 * the model, or a reserved alias ("latest", a stage name). `m` is the
 * model if the caller has it (else it is read when needed). Fills the
 * editable record of the version.
 */
mr_status reg_resolve(svc_call *c, const char *name, const char *text,
    const mr_pb_model *m, mr_pb_version **out);
/* Whether `text` is an alias name (reserved or not) rather than a
 * version: aliases never hold a '.'. */
bool reg_is_alias(const char *text);

/* Whether model `m` requires approvals before a version enters `stage`. */
bool reg_stage_gated(const mr_pb_model *m, int stage);

/*
 * Why `v` may not enter stage `to` under model `m`'s rules:
 * FAILED_PRECONDITION when it is deprecated or lacks approvals its
 * stage's policy requires, naming what is missing.
 */
mr_status reg_check_promotion(svc_call *c, const mr_pb_model *m,
    const mr_pb_version *v, int to);

/*
 * Refuses (FAILED_PRECONDITION, naming the fields) a signature `sig` for
 * version `sv` of `m` that breaks the production version's signature
 * unless `sv` has a higher major number. `self` is the version's own text
 * when it is updated (it may be the production version).
 */
mr_status reg_check_breaking(svc_call *c, const mr_pb_model *m,
    const mr_semver *sv, const Modelreg__V1__Signature *sig);

/*
 * Chooses the version of a new one from `rq->bump`: writes the text into
 * `text` (MR_VERSION_MAX + 1) and how it was chosen into `rule`
 * (svc_alloc'd).
 */
mr_status reg_choose_version(svc_call *c,
    const Modelreg__V1__RegisterVersionRequest *rq, char *text, char **rule);

/* The version in `stage` at `at_ms`, from the model's stage history. */
mr_status reg_version_at(svc_call *c, const char *name, int stage,
    int64_t at_ms, mr_pb_version **out);

#endif /* MR_SERVICE_REG_H */
