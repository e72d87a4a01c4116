#include "httpd.h"
#include "app.h"
#include "auth.h"
#include "log.h"
#include "pgconn.h"
#include "pwhash.h"
#include "request.h"
#include "routes.h"
#include "sender.h"
#include "signals.h"
#include "strbuf.h"
#include "util.h"

#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define CC_WS_MAX_MESSAGE 4096
#define CC_HTTP_MAX_BODY (64 * 1024)

struct kv {
	char *name, *value;         /* value NULL: looked up and absent */
};

struct cc_request {
	struct lws *wsi;            /* NULL once the client is gone */
	struct cc_app *app;
	char method[8];
	char *path;
	const char *tail;
	struct cc_strbuf body_text;
	json_t *body;
	struct kv *args, *headers;
	size_t n_args, n_headers;
	char peer[64];
	char *user;
	enum cc_role role;
	struct cc_strbuf extra_headers;   /* "name\0value\0" pairs */
	/* the reply */
	bool replied;
	unsigned status;
	char *reply;
	const char *reply_type;     /* static string; NULL: application/json */
};

struct http_pss {
	char *body;                 /* response being written */
	size_t len, sent;
	struct cc_request *req;     /* an API request in progress */
};

struct ws_pss {
	struct cc_client *client;
	char *rx;                  /* fragments of a message in progress */
	size_t rx_len;
	struct cc_identity id;     /* who opened it: checked again when sessions change */
	unsigned auth_generation;
};

static struct cc_app *app_of(struct lws *wsi) { return lws_context_user(lws_get_context(wsi)); }

int cc_httpd_ws_direct_ok(struct lws *wsi)
{
	/* Sessions changed since this connection last passed its WRITEABLE check: let the next
	 * message go that way, so a signed-out display gets nothing more. */
	struct ws_pss *pss = lws_wsi_user(wsi);
	return pss && pss->auth_generation == cc_authstore_generation(cc_app_auth(app_of(wsi)));
}

/* ---- cc_request ------------------------------------------------------------------------ */

const char *cc_role_name(enum cc_role r)
{
	static const char *const names[] = { "none", "display", "manager", "admin" };
	return (unsigned)r < 4 ? names[r] : "none";
}

int cc_role_parse(const char *name, enum cc_role *out)
{
	for (int i = 1; i < 4; i++)
		if (!strcmp(name, cc_role_name((enum cc_role)i))) {
			*out = (enum cc_role)i;
			return 0;
		}
	return -1;
}

const char *cc_request_method(const struct cc_request *r) { return r->method; }
const char *cc_request_path(const struct cc_request *r) { return r->path; }
const char *cc_request_tail(const struct cc_request *r) { return r->tail ? r->tail : ""; }
json_t *cc_request_body(const struct cc_request *r) { return r->body; }
const char *cc_request_peer(const struct cc_request *r) { return r->peer; }
struct cc_app *cc_request_app(const struct cc_request *r) { return r->app; }
enum cc_role cc_request_role(const struct cc_request *r) { return r->role; }
const char *cc_request_user(const struct cc_request *r) { return r->user ? r->user : ""; }

void cc_request_set_identity(struct cc_request *r, const char *user, enum cc_role role)
{
	free(r->user);
	r->user = cc_xstrdup(user ? user : "");
	r->role = role;
}

static const char *cached(struct kv **list, size_t *n, const char *name, char *value)
{
	*list = cc_xrealloc(*list, (*n + 1) * sizeof **list);
	(*list)[*n].name = cc_xstrdup(name);
	(*list)[*n].value = value;
	return (*list)[(*n)++].value;
}

static const char *lookup(struct kv *list, size_t n, const char *name, bool *found)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i].name, name)) {
			*found = true;
			return list[i].value;
		}
	*found = false;
	return NULL;
}

const char *cc_request_arg(struct cc_request *r, const char *name)
{
	char key[64], buf[1024];
	const char *v;
	bool found;

	v = lookup(r->args, r->n_args, name, &found);
	if (found || !r->wsi)
		return v;
	snprintf(key, sizeof key, "%s=", name);
	v = lws_get_urlarg_by_name(r->wsi, key, buf, sizeof buf);
	return cached(&r->args, &r->n_args, name, v ? cc_xstrdup(v) : NULL);
}

const char *cc_request_header(struct cc_request *r, const char *name)
{
	static const struct { const char *name; enum lws_token_indexes token; } known[] = {
		{ "cookie", WSI_TOKEN_HTTP_COOKIE },
		{ "origin", WSI_TOKEN_ORIGIN },
		{ "host", WSI_TOKEN_HOST },
		{ "authorization", WSI_TOKEN_HTTP_AUTHORIZATION },
		{ "user-agent", WSI_TOKEN_HTTP_USER_AGENT },
		{ "x-forwarded-for", WSI_TOKEN_X_FORWARDED_FOR },
	};
	char buf[4096], custom[80];
	const char *v;
	bool found;
	int n = -1;

	v = lookup(r->headers, r->n_headers, name, &found);
	if (found || !r->wsi)
		return v;
	for (size_t i = 0; i < CC_ARRAY_LEN(known); i++)
		if (!strcmp(known[i].name, name)) {
			n = lws_hdr_total_length(r->wsi, known[i].token) > 0 &&
					    lws_hdr_total_length(r->wsi, known[i].token) < (int)sizeof buf
				    ? lws_hdr_copy(r->wsi, buf, sizeof buf, known[i].token)
				    : -1;
			return cached(&r->headers, &r->n_headers, name, n >= 0 ? cc_xstrdup(buf) : NULL);
		}
	snprintf(custom, sizeof custom, "%s:", name);
	n = lws_hdr_custom_copy(r->wsi, buf, sizeof buf, custom, (int)strlen(custom));
	return cached(&r->headers, &r->n_headers, name, n >= 0 ? cc_xstrdup(buf) : NULL);
}

void cc_request_add_header(struct cc_request *r, const char *name, const char *value)
{
	cc_strbuf_append(&r->extra_headers, name, strlen(name) + 1);
	cc_strbuf_append(&r->extra_headers, value, strlen(value) + 1);
}

static void free_request(struct cc_request *r)
{
	for (size_t i = 0; i < r->n_args; i++) {
		free(r->args[i].name);
		free(r->args[i].value);
	}
	for (size_t i = 0; i < r->n_headers; i++) {
		free(r->headers[i].name);
		free(r->headers[i].value);
	}
	free(r->args);
	free(r->headers);
	free(r->path);
	free(r->user);
	free(r->reply);
	json_decref(r->body);
	cc_strbuf_free(&r->body_text);
	cc_strbuf_free(&r->extra_headers);
	free(r);
}

void cc_request_reply(struct cc_request *r, unsigned status, json_t *body)
{
	if (r->replied) {
		cc_error("http: second reply to %s %s dropped", r->method, r->path);
		json_decref(body);
		return;
	}
	r->replied = true;
	r->status = status;
	r->reply = json_dumps(body ? body : json_object(), JSON_COMPACT | JSON_REAL_PRECISION(15));
	json_decref(body);
	if (!r->wsi) {
		free_request(r);  /* the client left while we worked */
		return;
	}
	lws_callback_on_writable(r->wsi);
}

void cc_request_reply_text(struct cc_request *r, unsigned status, const char *content_type,
			   const char *text)
{
	if (r->replied)
		return;
	r->replied = true;
	r->status = status;
	r->reply = cc_xstrdup(text);
	r->reply_type = content_type;
	if (!r->wsi) {
		free_request(r);
		return;
	}
	lws_callback_on_writable(r->wsi);
}

void cc_request_error(struct cc_request *r, unsigned status, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	cc_request_reply(r, status, json_pack("{s:s}", "error", msg));
}

/* ---- HTTP transport ------------------------------------------------------------------- */

static int respond(struct lws *wsi, struct http_pss *pss, unsigned status, const char *ctype,
		   char *body, size_t len, const struct cc_strbuf *extra)
{
	uint8_t buf[LWS_PRE + 4096], *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf;
	static const char nocache[] = "no-store";
	static const char nosniff[] = "nosniff";

	pss->body = body;
	pss->len = len;
	pss->sent = 0;
	if (lws_add_http_common_headers(wsi, status, ctype, len, &p, end) ||
	    lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL,
					 (const unsigned char *)nocache, sizeof nocache - 1, &p,
					 end) ||
	    lws_add_http_header_by_name(wsi, (const unsigned char *)"x-content-type-options:",
					(const unsigned char *)nosniff, sizeof nosniff - 1, &p, end))
		return 1;
	for (size_t off = 0; extra && off < extra->len;) {
		const char *name = extra->data + off, *value = name + strlen(name) + 1;
		char hname[80];
		snprintf(hname, sizeof hname, "%s:", name);
		if (lws_add_http_header_by_name(wsi, (const unsigned char *)hname,
						(const unsigned char *)value, (int)strlen(value), &p,
						end))
			return 1;
		off += strlen(name) + strlen(value) + 2;
	}
	if (lws_finalize_write_http_header(wsi, start, &p, end))
		return 1;
	lws_callback_on_writable(wsi);
	return 0;
}

static int respond_text(struct lws *wsi, struct http_pss *pss, unsigned status, const char *text)
{
	return respond(wsi, pss, status, "text/plain; charset=utf-8", cc_xstrdup(text),
		       strlen(text), NULL);
}

static int write_body(struct lws *wsi, struct http_pss *pss)
{
	uint8_t buf[LWS_PRE + 4096];
	size_t chunk;
	bool last;

	if (!pss->body)
		return 0;
	chunk = pss->len - pss->sent;
	if (chunk > sizeof buf - LWS_PRE)
		chunk = sizeof buf - LWS_PRE;
	last = pss->sent + chunk == pss->len;
	memcpy(buf + LWS_PRE, pss->body + pss->sent, chunk);
	if (lws_write(wsi, buf + LWS_PRE, chunk, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) !=
	    (int)chunk)
		return -1;
	pss->sent += chunk;
	if (!last) {
		lws_callback_on_writable(wsi);
		return 0;
	}
	free(pss->body);
	pss->body = NULL;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static const char *method_of(struct lws *wsi)
{
	if (lws_hdr_total_length(wsi, WSI_TOKEN_GET_URI) > 0)
		return "GET";
	if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0)
		return "POST";
	if (lws_hdr_total_length(wsi, WSI_TOKEN_DELETE_URI) > 0)
		return "DELETE";
	if (lws_hdr_total_length(wsi, WSI_TOKEN_PUT_URI) > 0)
		return "PUT";
	return "OTHER";
}

static void dispatch(struct cc_request *r)
{
	const struct cc_route *route = NULL;
	bool path_known = false;

	for (const struct cc_route *rt = cc_routes; rt->path; rt++) {
		size_t n = strlen(rt->path);
		bool match = rt->path[n - 1] == '/' ? !strncmp(r->path, rt->path, n) && r->path[n]
						     : !strcmp(r->path, rt->path);
		if (!match)
			continue;
		path_known = true;
		if (!strcmp(rt->method, r->method)) {
			route = rt;
			r->tail = rt->path[n - 1] == '/' ? r->path + n : "";
			break;
		}
	}
	if (!route) {
		if (path_known)
			cc_request_error(r, 405, "method %s is not allowed here", r->method);
		else
			cc_request_error(r, 404, "not found: %s", r->path);
		return;
	}
	if (r->body_text.len) {
		json_error_t jerr;
		r->body = json_loadb(r->body_text.data, r->body_text.len, 0, &jerr);
		if (!r->body) {
			cc_request_error(r, 400, "the body is not valid JSON: %s (line %d)", jerr.text,
					 jerr.line);
			return;
		}
	}
	cc_auth_identify(r);
	if (cc_request_role(r) < route->min_role) {
		if (cc_request_role(r) == CC_ROLE_NONE || !*cc_request_user(r))
			cc_request_error(r, 401, "sign in as %s or above to do this",
					 cc_role_name(route->min_role));
		else
			cc_request_error(r, 403, "%s may not do this: it needs %s or above",
					 cc_request_user(r), cc_role_name(route->min_role));
		return;
	}
	if (route->changes && !cc_auth_change_allowed(r))
		return;  /* it replied */
	route->fn(r);
}

static int start_request(struct lws *wsi, struct http_pss *pss, const char *uri)
{
	struct cc_request *r = cc_xcalloc(1, sizeof *r);

	r->wsi = wsi;
	r->app = app_of(wsi);
	cc_strlcpy(r->method, method_of(wsi), sizeof r->method);
	r->path = cc_xstrdup(uri);
	lws_get_peer_simple(wsi, r->peer, sizeof r->peer);
	r->user = cc_xstrdup("");
	pss->req = r;
	/* a body (POST, PUT) arrives in LWS_CALLBACK_HTTP_BODY; dispatch when it is complete */
	if (!strcmp(r->method, "POST") || !strcmp(r->method, "PUT"))
		return 0;
	dispatch(r);
	return 0;
}

static int handle_http(struct lws *wsi, struct http_pss *pss, const char *path)
{
	struct cc_app *app = app_of(wsi);
	char uri[512], why[512], msg[600];
	int n = -1;

	/* Mounts hand us the path below the mount point; route on the full URI. */
	static const enum lws_token_indexes uris[] = {
		WSI_TOKEN_GET_URI, WSI_TOKEN_POST_URI, WSI_TOKEN_DELETE_URI, WSI_TOKEN_PUT_URI,
	};
	for (size_t i = 0; i < CC_ARRAY_LEN(uris) && n <= 0; i++)
		if (lws_hdr_total_length(wsi, uris[i]) > 0)
			n = lws_hdr_copy(wsi, uri, sizeof uri, uris[i]);
	if (n <= 0)
		cc_strlcpy(uri, path ? path : "", sizeof uri);
	if (!strncmp(uri, "/api/", 5))
		return start_request(wsi, pss, uri);
	if (strcmp(method_of(wsi), "GET"))
		return respond_text(wsi, pss, 405, "method not allowed\n");
	if (!strcmp(uri, "/healthz"))
		return respond_text(wsi, pss, 200, "ok\n");
	if (!strcmp(uri, "/readyz")) {
		if (cc_app_ready(app, why, sizeof why))
			return respond_text(wsi, pss, 200, "ready\n");
		snprintf(msg, sizeof msg, "not ready: %s\n", why);
		return respond_text(wsi, pss, 503, msg);
	}
	if (!strcmp(uri, "/metrics")) {
		char *text = cc_app_prometheus(app);
		return respond(wsi, pss, 200, "text/plain; version=0.0.4", text, strlen(text), NULL);
	}
	return respond_text(wsi, pss, 404, "not found\n");
}

static void drop_request(struct http_pss *pss)
{
	struct cc_request *r = pss->req;

	if (!r)
		return;
	pss->req = NULL;
	if (r->replied)
		free_request(r);
	else
		r->wsi = NULL;  /* the handler still owes a reply: it frees the request then */
}

static int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
			 size_t len)
{
	struct http_pss *pss = user;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		return handle_http(wsi, pss, in);
	case LWS_CALLBACK_HTTP_BODY:
		if (!pss->req)
			return -1;
		if (pss->req->body_text.len + len > CC_HTTP_MAX_BODY) {
			cc_strbuf_reset(&pss->req->body_text);
			cc_request_error(pss->req, 413, "the body is larger than %d bytes",
					 CC_HTTP_MAX_BODY);
			return 0;
		}
		if (len)   /* an empty body comes as (NULL, 0): nothing to copy */
			cc_strbuf_append(&pss->req->body_text, in, len);
		return 0;
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (pss->req && !pss->req->replied)
			dispatch(pss->req);
		return 0;
	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (pss->req && pss->req->replied && !pss->body) {
			struct cc_request *r = pss->req;
			char *body = r->reply;
			struct cc_strbuf extra = r->extra_headers;
			int rc;

			r->reply = NULL;
			memset(&r->extra_headers, 0, sizeof r->extra_headers);
			pss->req = NULL;
			rc = respond(wsi, pss, r->status,
				     r->reply_type ? r->reply_type : "application/json", body,
				     strlen(body), &extra);
			cc_strbuf_free(&extra);
			free_request(r);
			return rc;
		}
		return write_body(wsi, pss);
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		if (pss) {
			free(pss->body);
			pss->body = NULL;
			drop_request(pss);
		}
		break;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

/* ---- WebSocket ----------------------------------------------------------------------- */

static void send_json(struct ws_pss *pss, json_t *o)
{
	char *text = json_dumps(o, JSON_COMPACT);
	struct cc_msg *m = cc_msg_create(text, strlen(text));

	cc_bus_send(pss->client, m);
	cc_msg_unref(m);
	free(text);
	json_decref(o);
}

static void handle_message(struct lws *wsi, struct ws_pss *pss, const char *text, size_t len)
{
	struct cc_app *app = app_of(wsi);
	json_error_t jerr;
	json_t *o = json_loadb(text, len, 0, &jerr);
	const char *type = o ? json_string_value(json_object_get(o, "type")) : NULL;

	if (!o || !json_is_object(o) || !type) {
		send_json(pss, json_pack("{s:s,s:s}", "type", "error", "message",
					 "malformed message: expected a JSON object with a type"));
	} else if (!strcmp(type, "ping")) {
		struct cc_msg *m = cc_board_beat(cc_app_board(app), "pong", cc_now_ms());
		cc_bus_send(pss->client, m);
		cc_msg_unref(m);
	} else {
		char msg[160];
		snprintf(msg, sizeof msg, "unknown message type '%.64s'", type);
		send_json(pss, json_pack("{s:s,s:s}", "type", "error", "message", msg));
	}
	json_decref(o);
}

static int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		       size_t len)
{
	struct ws_pss *pss = user;
	struct cc_app *app;
	char uri[64];

	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) <= 0 || strcmp(uri, "/ws"))
			return 1;
		return cc_auth_ws_identify(wsi, &pss->id) ? 0 : 1;
	case LWS_CALLBACK_ESTABLISHED: {
		/* Keep the kernel from queueing megabytes for a reader that stopped: past this much
		 * unsent data the socket reports not writable, and the bus's bounded queue (then a
		 * fresh snapshot) takes over instead of a stale backlog. */
		int lowat = 64 * 1024;
		setsockopt(lws_get_socket_fd(wsi), IPPROTO_TCP, TCP_NOTSENT_LOWAT, &lowat,
			   sizeof lowat);
	}
		app = app_of(wsi);
		pss->auth_generation = cc_authstore_generation(cc_app_auth(app));
		pss->client = cc_bus_attach(cc_app_bus(app), wsi);
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE: {
		/* Every message passes here, the heartbeat at least every 10 s: a session signed out
		 * or a token revoked elsewhere ends its connections within that time. */
		struct cc_authstore *auth = cc_app_auth(app_of(wsi));
		if (pss->auth_generation != cc_authstore_generation(auth)) {
			pss->auth_generation = cc_authstore_generation(auth);
			if (!cc_authstore_still_valid(auth, &pss->id)) {
				cc_info("ws: closing a connection of %s: its session or token ended",
					pss->id.user[0] ? pss->id.user : "an anonymous display");
				lws_close_reason(wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION,
						 (unsigned char *)"signed out", 10);
				return -1;
			}
		}
		return pss->client ? cc_bus_writable(pss->client) : 0;
	}
	case LWS_CALLBACK_RECEIVE: {
		bool first = lws_is_first_fragment(wsi), final = lws_is_final_fragment(wsi);
		if (first)
			pss->rx_len = 0;
		if (first && final) {
			if (len > CC_WS_MAX_MESSAGE)
				goto too_big;
			handle_message(wsi, pss, in, len);
			return 0;
		}
		if (pss->rx_len + len > CC_WS_MAX_MESSAGE)
			goto too_big;
		pss->rx = cc_xrealloc(pss->rx, pss->rx_len + len);
		memcpy(pss->rx + pss->rx_len, in, len);
		pss->rx_len += len;
		if (final) {
			handle_message(wsi, pss, pss->rx, pss->rx_len);
			free(pss->rx);
			pss->rx = NULL;
			pss->rx_len = 0;
		}
		return 0;
	too_big:
		lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
				 (unsigned char *)"message too large", 17);
		return -1;
	}
	case LWS_CALLBACK_CLOSED:
		cc_bus_detach(pss->client);
		pss->client = NULL;
		free(pss->rx);
		pss->rx = NULL;
		return 0;
	default:
		return 0;
	}
}

static const struct lws_protocols http_protocol = {
	"http", http_callback, sizeof(struct http_pss), 0, 0, NULL, 0,
};

const struct lws_protocols cc_httpd_ws_protocol = {
	/* rx: client messages are small. tx: without a packet size lws caps every send() at the
	 * rx buffer size, and a 20 KiB delta to 10,000 clients took ~20 rounds over all sockets
	 * (bench/README.md); with it one send() usually takes the whole message. */
	CC_WS_PROTOCOL, ws_callback, sizeof(struct ws_pss), 1024, 0, NULL, 256 * 1024,
};

const struct lws_protocols *const cc_httpd_protocols[] = {
	&http_protocol, &cc_httpd_ws_protocol, &cc_pgconn_protocol, &cc_signals_protocol,
	&cc_pwhash_protocol, &cc_sender_protocol, NULL,
};

/* The mount keeps a pointer to its origin; one daemon per process, so one buffer will do. */
static char vendor_uplot[4096];

void cc_httpd_mounts(struct lws_http_mount mounts[CC_HTTPD_MOUNTS], const char *web_root)
{
	static const char *const dynamic[] = { "/healthz", "/readyz", "/metrics", "/api" };
	size_t i;

	memset(mounts, 0, sizeof(struct lws_http_mount) * CC_HTTPD_MOUNTS);
	for (i = 0; i < CC_ARRAY_LEN(dynamic); i++) {
		mounts[i].mountpoint = dynamic[i];
		mounts[i].mountpoint_len = (unsigned char)strlen(dynamic[i]);
		mounts[i].protocol = "http";
		mounts[i].origin_protocol = LWSMPRO_CALLBACK;
		mounts[i].mount_next = &mounts[i + 1];
	}
	/* /vendor/uplot: the chart library, installed by npm ci in web/ (web/package.json) */
	snprintf(vendor_uplot, sizeof vendor_uplot, "%s/node_modules/uplot/dist", web_root);
	mounts[i].mountpoint = "/vendor/uplot";
	mounts[i].mountpoint_len = (unsigned char)strlen(mounts[i].mountpoint);
	mounts[i].origin = vendor_uplot;
	mounts[i].origin_protocol = LWSMPRO_FILE;
	mounts[i].mount_next = &mounts[i + 1];
	i++;
	/* /manager serves manager.html from the same root so both pages share their assets */
	mounts[i].mountpoint = "/manager";
	mounts[i].mountpoint_len = 8;
	mounts[i].origin = web_root;
	mounts[i].def = "manager.html";
	mounts[i].origin_protocol = LWSMPRO_FILE;
	mounts[i].mount_next = &mounts[i + 1];
	i++;
	mounts[i].mountpoint = "/";
	mounts[i].mountpoint_len = 1;
	mounts[i].origin = web_root;
	mounts[i].def = "index.html";
	mounts[i].origin_protocol = LWSMPRO_FILE;
	mounts[i].mount_next = NULL;
}
