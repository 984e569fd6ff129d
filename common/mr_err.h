/*
 * mr_err.h - a status code with its explanation, passed down call chains.
 *
 * Every layer (storage, service, client) reports failure the same way: it
 * returns an mr_status and, when given an mr_err, fills it with the code and
 * a sentence for a human. The message is kept in the struct so that no
 * error path allocates.
 */
#ifndef MR_ERR_H
#define MR_ERR_H

#include "modelreg.h"

#define MR_ERRMSG_MAX 512

typedef struct mr_err {
	mr_status code;
	char msg[MR_ERRMSG_MAX];
} mr_err;

/* Sets `e` (if not NULL) and returns `code`, for `return mr_fail(...)`. */
mr_status mr_fail(mr_err *e, mr_status code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static inline void
mr_err_clear(mr_err *e)
{
	if (e != NULL) {
		e->code = MR_OK;
		e->msg[0] = '\0';
	}
}

#endif /* MR_ERR_H */
