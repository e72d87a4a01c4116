/*
 * Signing in and out: POST /api/session ({user, password} or {token}), DELETE /api/session,
 * GET /api/session (who am I, my role, my CSRF token). Wrong passwords are rate-limited per user
 * and per address, counted in the hub so that every instance sees the same counts.
 */
#ifndef CC_SESSION_API_H
#define CC_SESSION_API_H

#include "request.h"

/* Wrong passwords allowed per window, per user name and per client address. */
#define CC_SIGNIN_WINDOW_S (15 * 60)
#define CC_SIGNIN_USER_LIMIT 5
#define CC_SIGNIN_ADDRESS_LIMIT 20

void cc_session_api_signin(struct cc_request *r);
void cc_session_api_signout(struct cc_request *r);
void cc_session_api_whoami(struct cc_request *r);

#endif
