/*
 * Who is asking, and may they. Every API request passes cc_auth_identify before its handler;
 * every change passes cc_auth_change_allowed; every WebSocket upgrade cc_auth_ws_allowed.
 */
#ifndef CC_AUTH_H
#define CC_AUTH_H

#include "request.h"

#include <libwebsockets.h>
#include <stdbool.h>

/* Set the request's user and role from its credentials. */
void cc_auth_identify(struct cc_request *r);

/* A change may go ahead (same-origin, CSRF token): true, or it replies 403 and returns false. */
bool cc_auth_change_allowed(struct cc_request *r);

/* The WebSocket upgrade may go ahead (Origin of this server, credentials). */
bool cc_auth_ws_allowed(struct lws *wsi);

/* "http://host:port" -> does its host:port equal host? */
bool cc_auth_same_origin(const char *origin, const char *host);

#endif
