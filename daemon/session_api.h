/*
 * Signing in and out: POST /api/session ({user, password} or {token}), DELETE /api/session,
 * GET /api/session (who am I, my role, my CSRF token). Wrong passwords slow down further tries
 * per (user, address) pair and per address, counted in the hub so that every instance sees the
 * same counts (sql/hub/011_auth_hardening.sql). No account is ever locked: a lockout per user
 * would let anyone keep admin out by guessing wrong.
 */
#ifndef CC_SESSION_API_H
#define CC_SESSION_API_H

#include "request.h"

#include <jansson.h>

/* Past CC_SIGNIN_PAIR_FREE failures for one user from one address (counted for a day, cleared by
 * a success there), or CC_SIGNIN_ADDRESS_FREE from one address for any users within an hour,
 * each further failure doubles the wait before the next try: 1 s, 2 s, 4 s ... up to 15 min. */
#define CC_SIGNIN_PAIR_FREE 3
#define CC_SIGNIN_ADDRESS_FREE 20
#define CC_SIGNIN_MAX_DELAY_S (15 * 60)
#define CC_SIGNIN_PAIR_MEMORY_S (24 * 3600)
#define CC_SIGNIN_ADDRESS_WINDOW_S 3600

#define CC_SIGNIN_MAX_USER 64
#define CC_SIGNIN_MAX_PASSWORD 1024
#define CC_SIGNIN_MAX_TOKEN 256

/* A sign-in body: {user, password} or {token}. The strings point into body. 0, or -1 with the
 * reason in words in err. */
struct cc_signin_body {
	const char *user, *password, *token;
};
int cc_session_parse_signin(const json_t *body, struct cc_signin_body *out, char *err,
			    size_t errlen);

void cc_session_api_signin(struct cc_request *r);
void cc_session_api_signout(struct cc_request *r);
void cc_session_api_whoami(struct cc_request *r);

#endif
