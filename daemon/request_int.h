/*
 * The request object's insides, shared by its accessors (request.c) and the transport that
 * fills it and writes its reply (httpd.c). Handlers see only request.h.
 */
#ifndef CC_REQUEST_INT_H
#define CC_REQUEST_INT_H

#include "request.h"
#include "strbuf.h"

#include <jansson.h>
#include <libwebsockets.h>
#include <stdbool.h>

struct kv {
	char *name, *value;         /* value NULL: looked up and absent */
};

struct cc_request {
	struct lws *wsi;            /* NULL once the client is gone */
	struct cc_app *app;
	const struct cc_access *access;   /* origin and /metrics policy */
	char method[8];
	char *path;
	const char *tail;
	const void *route;          /* the struct cc_route it goes to (httpd.c) */
	bool session_fetched;       /* an unknown session cookie was looked for in the hub */
	struct cc_strbuf body_text;
	json_t *body;
	struct kv *args, *headers;
	size_t n_args, n_headers;
	char peer[64];              /* the client: X-Forwarded-For when tcp_peer is a trusted proxy */
	char tcp_peer[64];
	bool tls;                   /* came over commcelld's own TLS */
	char *user;
	enum cc_role role;
	struct cc_strbuf extra_headers;   /* "name\0value\0" pairs */
	/* the reply */
	bool replied;
	unsigned status;
	char *reply;
	const char *reply_type;     /* static string; NULL: application/json */
};

/* Frees r and everything it holds; the transport calls it once the reply is written or when
 * no handler ever took r. */
void cc_request_free(struct cc_request *r);

#endif
