/*
 * fuzzsvc.h - what the harnesses that drive the dispatcher share: a worker
 * on a real store in a temporary directory (removed when the run exits),
 * and one dispatch whose reply must be a well-formed Response.
 */
#ifndef MR_FUZZSVC_H
#define MR_FUZZSVC_H

#include <stddef.h>
#include <stdint.h>

#include "svc.h"

/*
 * A worker on a new store in /tmp/modelreg-fuzz-<name>-XXXXXX; aborts on
 * failure. Call once, from LLVMFuzzerInitialize.
 */
svc_worker *fuzz_worker(const char *name);

/*
 * A token of `identity` with one grant (`role` over `models`) in the
 * store of fuzz_worker; made once per call, at initialization.
 */
const char *fuzz_token(const char *identity, int role, const char *models);

/*
 * Dispatches one request message; aborts unless it is answered with a
 * Response that unpacks (every request gets one, malformed ones too).
 */
void fuzz_dispatch(svc_worker *w, const uint8_t *msg, size_t len);

#endif /* MR_FUZZSVC_H */
