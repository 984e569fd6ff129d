/*
 * err.c - mr_fail and the names of the public enums.
 */
#include <stdarg.h>
#include <stdio.h>
#include <strings.h>

#include "mr_err.h"

mr_status
mr_fail(mr_err *e, mr_status code, const char *fmt, ...)
{
	va_list ap;

	if (e == NULL)
		return code;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

const char *
mr_strerror(mr_status code)
{
	static const char *const names[] = {
		[MR_OK] = "OK",
		[MR_CANCELLED] = "CANCELLED",
		[MR_UNKNOWN] = "UNKNOWN",
		[MR_INVALID_ARGUMENT] = "INVALID_ARGUMENT",
		[MR_DEADLINE_EXCEEDED] = "DEADLINE_EXCEEDED",
		[MR_NOT_FOUND] = "NOT_FOUND",
		[MR_ALREADY_EXISTS] = "ALREADY_EXISTS",
		[MR_PERMISSION_DENIED] = "PERMISSION_DENIED",
		[MR_RESOURCE_EXHAUSTED] = "RESOURCE_EXHAUSTED",
		[MR_FAILED_PRECONDITION] = "FAILED_PRECONDITION",
		[MR_ABORTED] = "ABORTED",
		[MR_OUT_OF_RANGE] = "OUT_OF_RANGE",
		[MR_UNIMPLEMENTED] = "UNIMPLEMENTED",
		[MR_INTERNAL] = "INTERNAL",
		[MR_UNAVAILABLE] = "UNAVAILABLE",
		[MR_DATA_LOSS] = "DATA_LOSS",
		[MR_UNAUTHENTICATED] = "UNAUTHENTICATED",
	};

	if ((unsigned)code >= sizeof(names) / sizeof(names[0]))
		return "UNKNOWN";
	return names[code];
}

const char *
mr_stage_name(mr_stage stage)
{
	switch (stage) {
	case MR_STAGE_DEV:
		return "dev";
	case MR_STAGE_STAGING:
		return "staging";
	case MR_STAGE_PRODUCTION:
		return "production";
	case MR_STAGE_ARCHIVED:
		return "archived";
	default:
		return "";
	}
}

int
mr_stage_parse(const char *text, mr_stage *out)
{
	static const struct {
		const char *name;
		mr_stage stage;
	} names[] = {
		{ "dev", MR_STAGE_DEV },
		{ "development", MR_STAGE_DEV },
		{ "staging", MR_STAGE_STAGING },
		{ "stage", MR_STAGE_STAGING },
		{ "production", MR_STAGE_PRODUCTION },
		{ "prod", MR_STAGE_PRODUCTION },
		{ "archived", MR_STAGE_ARCHIVED },
		{ "archive", MR_STAGE_ARCHIVED },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcasecmp(text, names[i].name) == 0) {
			*out = names[i].stage;
			return 0;
		}
	}
	return -1;
}

const char *
mr_event_kind_name(mr_event_kind kind)
{
	switch (kind) {
	case MR_EVENT_MODEL_CREATED:
		return "model_created";
	case MR_EVENT_VERSION_REGISTERED:
		return "version_registered";
	case MR_EVENT_STAGE_CHANGED:
		return "stage_changed";
	case MR_EVENT_ROLLBACK:
		return "rollback";
	case MR_EVENT_LINEAGE_NODE_ADDED:
		return "node_added";
	case MR_EVENT_LINEAGE_EDGE_ADDED:
		return "edge_added";
	case MR_EVENT_LINEAGE_NODE_DELETED:
		return "node_deleted";
	case MR_EVENT_MODEL_UPDATED:
		return "model_updated";
	case MR_EVENT_VERSION_UPDATED:
		return "version_updated";
	case MR_EVENT_POLICY_CHANGED:
		return "policy_changed";
	case MR_EVENT_REVIEWED:
		return "reviewed";
	case MR_EVENT_DEPRECATED:
		return "deprecated";
	case MR_EVENT_UNDEPRECATED:
		return "undeprecated";
	case MR_EVENT_ALIAS_SET:
		return "alias_set";
	case MR_EVENT_ALIAS_DELETED:
		return "alias_deleted";
	case MR_EVENT_SPLIT_CHANGED:
		return "split_changed";
	case MR_EVENT_VERSION_DELETED:
		return "version_deleted";
	case MR_EVENT_MODEL_DELETED:
		return "model_deleted";
	default:
		return "unknown";
	}
}

char *
mr_digest_hex(const uint8_t digest[MR_DIGEST_LEN], char out[65])
{
	static const char hex[] = "0123456789abcdef";

	for (int i = 0; i < MR_DIGEST_LEN; i++) {
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 15];
	}
	out[64] = '\0';
	return out;
}
