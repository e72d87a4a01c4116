/*
 * One HTTP API request, as route handlers see it: method, path, query arguments, JSON body, the
 * caller's identity and role, and one reply that may come at once or later (after a hub query).
 * httpd.c owns the transport; a request whose client went away still takes its reply, which is
 * then dropped.
 */
#ifndef CC_REQUEST_H
#define CC_REQUEST_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct cc_access;
struct cc_app;
struct cc_request;

enum cc_role { CC_ROLE_NONE = 0, CC_ROLE_DISPLAY, CC_ROLE_MANAGER, CC_ROLE_ADMIN };

const char *cc_role_name(enum cc_role r);
int cc_role_parse(const char *name, enum cc_role *out);

const char *cc_request_method(const struct cc_request *r);   /* "GET", "POST", "DELETE" */
const char *cc_request_path(const struct cc_request *r);
/* The part of the path after a route's prefix, e.g. "17/ack" for "/api/alerts/" + "17/ack". */
const char *cc_request_tail(const struct cc_request *r);
const char *cc_request_arg(struct cc_request *r, const char *name);  /* NULL when absent */
json_t *cc_request_body(const struct cc_request *r);  /* parsed JSON body, NULL if none */
const char *cc_request_header(struct cc_request *r, const char *name); /* e.g. "cookie" */
/* The client's address: the X-Forwarded-For client when the TCP peer is a trusted proxy
 * (trusted_proxies), else the TCP peer. */
const char *cc_request_peer(const struct cc_request *r);
const char *cc_request_tcp_peer(const struct cc_request *r);  /* the socket's peer */
/* The request came over TLS that commcelld itself terminates (tls_cert_file). */
bool cc_request_over_tls(const struct cc_request *r);
/* The origin and /metrics policy (access.h). */
const struct cc_access *cc_request_access(const struct cc_request *r);
struct cc_app *cc_request_app(const struct cc_request *r);

/* Who is asking, set by the authentication step before the handler runs. */
enum cc_role cc_request_role(const struct cc_request *r);
const char *cc_request_user(const struct cc_request *r);  /* "" when anonymous */
void cc_request_set_identity(struct cc_request *r, const char *user, enum cc_role role);

/* Extra response header (e.g. "set-cookie"); call before the reply. */
void cc_request_add_header(struct cc_request *r, const char *name, const char *value);

/* Answer with a JSON body (stolen). Exactly once per request, now or later. */
void cc_request_reply(struct cc_request *r, unsigned status, json_t *body);
/* Answer with a body of another type (e.g. a small HTML page); text is copied. */
void cc_request_reply_text(struct cc_request *r, unsigned status, const char *content_type,
			   const char *text);
/* Answer {"error": message}. */
void cc_request_error(struct cc_request *r, unsigned status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

typedef void (*cc_route_fn)(struct cc_request *r);

struct cc_route {
	const char *method;
	const char *path;          /* exact, or a prefix when it ends in '/' */
	enum cc_role min_role;     /* below it: 401 when anonymous, 403 otherwise */
	bool changes;              /* a change: needs the CSRF check */
	cc_route_fn fn;
};

#endif
