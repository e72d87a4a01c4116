/*
 * Who is asking, and may they. Every API request passes cc_auth_identify before its handler;
 * every change passes cc_auth_change_allowed; every WebSocket upgrade cc_auth_ws_identify.
 *
 * Credentials, in order: the session cookie commcell_session (browsers, any role), then
 * "Authorization: Bearer <device token>" (scripts and displays that cannot keep a cookie), then,
 * only when the bootstrap file says allow_anonymous_display = true, an anonymous display.
 */
#ifndef CC_AUTH_H
#define CC_AUTH_H

#include "authstore.h"
#include "request.h"

#include <libwebsockets.h>
#include <stdbool.h>

#define CC_SESSION_COOKIE "commcell_session"
#define CC_CSRF_HEADER "x-csrf-token"

/* Set the request's user and role from its credentials. */
void cc_auth_identify(struct cc_request *r);
/* The request's session cookie is one this instance does not know: look for it in the hub (it
 * may be milliseconds old, made by another instance), then done(arg). False when
 * there is nothing to look for. */
bool cc_auth_fetch_session(struct cc_request *r, void (*done)(void *arg), void *arg);

/* The full identity of the request's credentials; false when it has none (anonymous). */
bool cc_auth_lookup(struct cc_request *r, struct cc_identity *out);

/* A change may go ahead (same origin, and the session's CSRF token in X-CSRF-Token when the
 * credential is a cookie): true, or it replies 403 and returns false. */
bool cc_auth_change_allowed(struct cc_request *r);

/* No Origin (not a browser) or one of this server's own (cc_access_origin_ok): for sign-in
 * and sign-out, which have no CSRF token to show yet. Otherwise it replies 403: false. */
bool cc_auth_origin_allowed(struct cc_request *r);

/* The WebSocket upgrade may go ahead: an Origin that access allows (or none, from a
 * non-browser) and a credential. On true *out is who it is, to check again later. */
struct cc_access;
bool cc_auth_ws_identify(struct lws *wsi, const struct cc_access *access,
			 struct cc_identity *out);

#endif
