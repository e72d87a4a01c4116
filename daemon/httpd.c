#include "httpd.h"
#include "access.h"
#include "app.h"
#include "auth.h"
#include "connlimit.h"
#include "log.h"
#include "pgconn.h"
#include "pwhash.h"
#include "request.h"
#include "request_int.h"
#include "routes.h"
#include "sender.h"
#include "signals.h"
#include "sockstat.h"
#include "strbuf.h"
#include "util.h"
#include "webroot.h"
#include "wsmsg.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

/* Every answer: no script but our own files, never framed, no Referer leaks of signed links. */
#define CSP "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " \
	    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; " \
	    "form-action 'self'"

/* Browsers that reached us over https once never try plain http again for a year: with TLS on
 * this port there is no plain http to fall back to, and behind a proxy it is the proxy's. */
#define HSTS "max-age=31536000"

/* Refusals, by reason, for /metrics. */
enum refusal {
	REF_MAX_CONNECTIONS, REF_MAX_PER_ADDRESS, REF_URI_TOO_LONG, REF_BODY_TOO_LARGE,
	REF_BODY_NOT_ALLOWED, REF_BAD_UPGRADE, REF_WS_TOO_BIG, REF_WS_RATE, REF_HEAD_TOO_LARGE,
	REF_HEAD_TIMEOUT, REF_BAD_REQUEST, REF_COUNT
};

struct cc_httpd {
	const struct cc_config *cfg;   /* the app's; replaced by cc_httpd_set_config on reload */
	bool tls;                      /* this port speaks https and wss (fixed at start) */
	struct cc_access *access;
	struct cc_connlimit *conns;
	struct cc_webroot *web;
	/* copies of the two protocols below carrying this object as their user pointer */
	struct lws_protocols http, ws;
	const struct lws_protocols *list[8];
	uint64_t refused[REF_COUNT];
};

struct http_pss {
	char *body;                 /* response being written */
	size_t len, sent;
	bool close_after;           /* a refusal: the rest of what the client sends is not read */
	bool refused;
	struct cc_request *req;     /* an API request in progress */
	bool dispatched;            /* a handler owns req: only its reply may answer */
};

struct ws_pss {
	struct cc_client *client;
	char *rx;                  /* fragments of a message in progress */
	size_t rx_len;
	struct cc_identity id;     /* who opened it: checked again when sessions change */
	unsigned auth_generation;
	double tokens;             /* messages the client may still send now */
	int64_t tokens_at_us;
};

static struct cc_app *app_of(struct lws *wsi) { return lws_context_user(lws_get_context(wsi)); }

static struct cc_httpd *httpd_of(struct lws *wsi)
{
	const struct lws_protocols *p = lws_vhost_name_to_protocol(lws_get_vhost(wsi), "http");

	return p ? p->user : NULL;
}

/* The origin and /metrics policy of the vhost wsi belongs to. */
static const struct cc_access *cc_httpd_access(struct lws *wsi)
{
	struct cc_httpd *h = httpd_of(wsi);

	return h ? h->access : NULL;
}

int cc_httpd_ws_direct_ok(struct lws *wsi)
{
	/* Sessions changed since this connection last passed its WRITEABLE check: let the next
	 * message go that way, so a signed-out display gets nothing more. */
	struct ws_pss *pss = lws_wsi_user(wsi);
	struct cc_httpd *h = httpd_of(wsi);

	/* over TLS only lws (OpenSSL) may write to the socket */
	if (!h || h->tls)
		return 0;
	return pss && pss->auth_generation == cc_authstore_generation(cc_app_auth(app_of(wsi)));
}

/* The socket's peer as text; an IPv4 client of an IPv6 socket as plain IPv4. */
static void peer_of_fd(int fd, char *out, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;

	cc_strlcpy(out, "?", len);
	if (getpeername(fd, (struct sockaddr *)&ss, &sl))
		return;
	if (ss.ss_family == AF_INET) {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, out, (socklen_t)len);
	} else if (ss.ss_family == AF_INET6) {
		const struct in6_addr *a = &((struct sockaddr_in6 *)&ss)->sin6_addr;
		if (IN6_IS_ADDR_V4MAPPED(a))
			inet_ntop(AF_INET, &a->s6_addr[12], out, (socklen_t)len);
		else
			inet_ntop(AF_INET6, a, out, (socklen_t)len);
	}
}

/* ---- HTTP transport ------------------------------------------------------------------- */

static int add_header(struct lws *wsi, const char *name, const char *value, uint8_t **p,
		      uint8_t *end)
{
	return lws_add_http_header_by_name(wsi, (const unsigned char *)name,
					   (const unsigned char *)value, (int)strlen(value), p, end);
}

/* The browser's side of this connection is https: ours, or a trusted proxy's that says so. */
static bool browser_on_https(struct lws *wsi, const struct cc_httpd *h)
{
	static const char xfp[] = "x-forwarded-proto:";
	char tcp[64], proto[16];

	if (!h)
		return false;
	if (h->tls)
		return true;
	if (lws_hdr_custom_copy(wsi, proto, sizeof proto, xfp, (int)strlen(xfp)) < 0 ||
	    strcasecmp(proto, "https"))
		return false;
	peer_of_fd(lws_get_socket_fd(wsi), tcp, sizeof tcp);
	return cc_cidrs_match(h->cfg->trusted_proxies, tcp);
}

/* Sends the head now and the body (taken) as the socket allows. cache: Cache-Control. */
/* A response that carries its own policy (a printable report with inline style) sends that
 * one instead of the default: two policies would both apply, the stricter winning. */
static bool own_csp(const struct cc_strbuf *extra)
{
	for (size_t off = 0; extra && off < extra->len;) {
		const char *name = extra->data + off, *value = name + strlen(name) + 1;

		if (!strcasecmp(name, "content-security-policy"))
			return true;
		off += strlen(name) + strlen(value) + 2;
	}
	return false;
}

static int respond(struct lws *wsi, struct http_pss *pss, unsigned status, const char *ctype,
		   const char *cache, char *body, size_t len, const struct cc_strbuf *extra)
{
	uint8_t buf[LWS_PRE + 4096], *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf;

	free(pss->body);
	pss->body = body;
	pss->len = len;
	pss->sent = 0;
	if (lws_add_http_common_headers(wsi, status, ctype, len, &p, end) ||
	    add_header(wsi, "cache-control:", cache, &p, end) ||
	    add_header(wsi, "x-content-type-options:", "nosniff", &p, end) ||
	    add_header(wsi, "referrer-policy:", "no-referrer", &p, end) ||
	    add_header(wsi, "x-frame-options:", "DENY", &p, end) ||
	    (!own_csp(extra) && add_header(wsi, "content-security-policy:", CSP, &p, end)) ||
	    (pss->close_after && add_header(wsi, "connection:", "close", &p, end)) ||
	    (browser_on_https(wsi, httpd_of(wsi)) &&
	     add_header(wsi, "strict-transport-security:", HSTS, &p, end)))
		return 1;
	for (size_t off = 0; extra && off < extra->len;) {
		const char *name = extra->data + off, *value = name + strlen(name) + 1;
		char hname[80];
		/* names are the handlers' literals; one that does not fit is a bug, not input */
		if ((size_t)snprintf(hname, sizeof hname, "%s:", name) >= sizeof hname ||
		    add_header(wsi, hname, value, &p, end))
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
	return respond(wsi, pss, status, "text/plain; charset=utf-8", "no-store", cc_xstrdup(text),
		       strlen(text), NULL);
}

/* The transport answers for itself (no handler owns anything) and ends the connection: what
 * the client sends after a refused head (a body nobody reads) must not be taken for the next
 * request. */
static int refuse(struct lws *wsi, struct http_pss *pss, enum refusal why, unsigned status,
		  const char *text)
{
	struct cc_httpd *h = httpd_of(wsi);

	if (h)
		h->refused[why]++;
	pss->refused = pss->close_after = true;
	return respond_text(wsi, pss, status, text);
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
	if (pss->close_after)
		return -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static const struct {
	const char *name;
	enum lws_token_indexes token;
	bool body;                  /* may carry a request body */
} methods[] = {
	{ "GET", WSI_TOKEN_GET_URI, false },
	{ "POST", WSI_TOKEN_POST_URI, true },
	{ "DELETE", WSI_TOKEN_DELETE_URI, false },
	{ "PUT", WSI_TOKEN_PUT_URI, true },
	{ "PATCH", WSI_TOKEN_PATCH_URI, true },
	{ "OPTIONS", WSI_TOKEN_OPTIONS_URI, false },
	{ "HEAD", WSI_TOKEN_HEAD_URI, false },
};

static int method_index(struct lws *wsi)
{
	for (size_t i = 0; i < CC_ARRAY_LEN(methods); i++)
		if (lws_hdr_total_length(wsi, methods[i].token) > 0)
			return (int)i;
	return -1;
}

static void authorise_and_run(struct cc_request *r);

static void session_looked_up(void *arg)
{
	struct cc_request *r = arg;
	struct cc_httpd *h = r->wsi ? httpd_of(r->wsi) : NULL;

	if (!h) {
		/* the client left while the hub was asked: nobody hears this, it only frees r */
		cc_request_error(r, 401, "the client has gone");
		return;
	}
	/* a reload while the hub was asked may have replaced the policy the request came with */
	r->access = h->access;
	authorise_and_run(r);
}

static void dispatch(struct cc_request *r)
{
	const char *tail = "";
	bool path_known = false;
	const struct cc_route *route = cc_route_find(r->method, r->path, &tail, &path_known);

	if (!route) {
		if (path_known)
			cc_request_error(r, 405, "method %s is not allowed here", r->method);
		else
			cc_request_error(r, 404, "not found: %s", r->path);
		return;
	}
	r->tail = tail;
	if (r->body_text.len) {
		json_error_t jerr;
		r->body = json_loadb(r->body_text.data, r->body_text.len, 0, &jerr);
		if (!r->body) {
			cc_request_error(r, 400, "the body is not valid JSON: %s (line %d)", jerr.text,
					 jerr.line);
			return;
		}
	}
	r->route = route;
	authorise_and_run(r);
}

static void authorise_and_run(struct cc_request *r)
{
	const struct cc_route *route = r->route;

	cc_auth_identify(r);
	/* a session cookie unknown here may be a session made a moment ago by another instance,
	 * whose NOTIFY has not reached this one yet: the hub is asked once, rather than the
	 * request treated as signed out */
	if (!*cc_request_user(r) && !r->session_fetched) {
		r->session_fetched = true;
		if (cc_auth_fetch_session(r, session_looked_up, r))
			return;
	}
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

/* Hands the request to its handler: from here only cc_request_reply may answer it. */
static void hand_over(struct http_pss *pss, const struct cc_httpd *h)
{
	/* the policy of now, not of when the head came: a reload may have replaced it while the
	 * body arrived (handlers look at it only before they first return) */
	pss->req->access = h->access;
	pss->dispatched = true;
	dispatch(pss->req);
}

static const char *header_copy(struct lws *wsi, enum lws_token_indexes t, char *buf, size_t len)
{
	int n = lws_hdr_total_length(wsi, t);

	if (n <= 0 || (size_t)n >= len || lws_hdr_copy(wsi, buf, (int)len, t) < 0)
		return NULL;
	return buf;
}

/* The client's address: X-Forwarded-For is believed only from a trusted proxy. */
static void client_of(struct lws *wsi, const struct cc_httpd *h, char *tcp, char *client,
		      size_t len)
{
	char xff[1024];

	peer_of_fd(lws_get_socket_fd(wsi), tcp, len);
	cc_forwarded_client(h->cfg->trusted_proxies, tcp,
			    header_copy(wsi, WSI_TOKEN_X_FORWARDED_FOR, xff, sizeof xff), client,
			    len);
}

static int start_request(struct lws *wsi, struct http_pss *pss, struct cc_httpd *h,
			 const char *method, const char *uri, bool has_body)
{
	struct cc_request *r = cc_xcalloc(1, sizeof *r);

	r->wsi = wsi;
	r->app = app_of(wsi);
	r->access = h->access;
	r->tls = h->tls;
	cc_strlcpy(r->method, method, sizeof r->method);
	r->path = cc_xstrdup(uri);
	client_of(wsi, h, r->tcp_peer, r->peer, sizeof r->peer);
	r->user = cc_xstrdup("");
	pss->req = r;
	pss->dispatched = false;
	/* a body arrives in LWS_CALLBACK_HTTP_BODY; the handler gets it when it is complete */
	if (!has_body)
		hand_over(pss, h);
	return 0;
}

static int serve_file(struct lws *wsi, struct http_pss *pss, struct cc_httpd *h, const char *uri)
{
	char file[160];
	const char *mime;
	size_t len;
	char *body;

	if (!cc_webroot_lookup(uri, file, sizeof file, &mime) ||
	    !(body = cc_webroot_read(h->web, file, &len)))
		return respond_text(wsi, pss, 404, "not found\n");
	return respond(wsi, pss, 200, mime, "no-cache", body, len, NULL);
}

static int serve_status(struct lws *wsi, struct http_pss *pss, struct cc_httpd *h,
			const char *uri)
{
	struct cc_app *app = app_of(wsi);
	char tcp[64], client[64], authz[512], why[512], msg[600];
	bool allowed;

	client_of(wsi, h, tcp, client, sizeof client);
	allowed = cc_access_metrics_ok(h->access, client,
				       header_copy(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, authz,
						   sizeof authz));
	if (!strcmp(uri, "/readyz")) {
		/* load balancers ask from anywhere: the answer is open, the reason is not */
		if (cc_app_ready(app, why, sizeof why))
			return respond_text(wsi, pss, 200, "ready\n");
		snprintf(msg, sizeof msg, "not ready: %s\n", why);
		return respond_text(wsi, pss, 503, allowed ? msg : "not ready\n");
	}
	if (!allowed)
		return respond_text(wsi, pss, 403, "/metrics is open to the addresses in "
						   "metrics_allow or to its bearer token\n");
	{
		struct cc_strbuf sb = { 0 };
		char *text = cc_app_prometheus(app);
		static const char *const names[REF_COUNT] = {
			"max_connections", "max_connections_per_address", "uri_too_long",
			"body_too_large", "body_not_allowed", "bad_upgrade", "ws_message_too_big",
			"ws_too_many_messages", "header_too_large", "handshake_timeout",
			"bad_request",
		};

		cc_strbuf_puts(&sb, text ? text : "");
		free(text);
		cc_strbuf_printf(&sb, "# HELP commcell_connections_open HTTP and WebSocket "
				      "connections open now.\n"
				      "# TYPE commcell_connections_open gauge\n"
				      "commcell_connections_open %zu\n"
				      "# HELP commcell_refused_total Connections, requests and "
				      "WebSocket clients refused or closed by a limit, by reason.\n"
				      "# TYPE commcell_refused_total counter\n",
				 cc_connlimit_open(h->conns));
		for (int i = 0; i < REF_COUNT; i++)
			cc_strbuf_printf(&sb, "commcell_refused_total{reason=\"%s\"} %llu\n",
					 names[i], (unsigned long long)h->refused[i]);
		return respond(wsi, pss, 200, "text/plain; version=0.0.4", "no-store", sb.data,
			       sb.len, NULL);
	}
}

/*
 * The size of the first request head on a connection. lws keeps header values but not the
 * head itself, so this is the larger of the values it kept and what the kernel says the
 * client has sent less the body it announced. (Requests pipelined behind the first count
 * toward it: a client that pipelines more than max_header_bytes at once is refused.) lws's
 * own buffer, twice max_header_bytes, bounds later heads on the connection.
 */
static uint64_t head_bytes(struct lws *wsi)
{
	uint64_t values = 0, received = 0, body = 0;
	char cl[32];
	const char *clen = header_copy(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, cl, sizeof cl);

	for (int t = 0; t < WSI_TOKEN_COUNT; t++) {
		int n = lws_hdr_total_length(wsi, (enum lws_token_indexes)t);
		if (n > 0)
			values += (uint64_t)n;
	}
	/* a chunked body's size is not announced: only the values can be counted then; over TLS
	 * the kernel's count holds the handshake and record framing, not the head */
	if (httpd_of(wsi)->tls || lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0 ||
	    !cc_sock_bytes_received(lws_get_socket_fd(wsi), &received))
		return values;
	if (clen && strlen(clen) < 16)
		body = strtoull(clen, NULL, 10);
	return received > body && received - body > values ? received - body : values;
}

static int handle_http(struct lws *wsi, struct http_pss *pss)
{
	struct cc_httpd *h = httpd_of(wsi);
	int m = method_index(wsi), n;
	char cl[32], *uri;
	const char *clen;
	bool has_body;
	int rc;

	if (!h || m < 0)
		return respond_text(wsi, pss, 405, "method not allowed\n");
	if (h->tls && !lws_is_ssl(wsi))
		/* lws redirects plain http on a TLS port before it gets here: never serve it */
		return refuse(wsi, pss, REF_BAD_REQUEST, 400, "use https://\n");
	/* lws zeroes pss for each request of a keep-alive connection, so the mark that the
	 * first head was measured lives on the connection itself: later heads would be measured
	 * against everything the connection ever received */
	if (!lws_get_opaque_user_data(wsi)) {
		lws_set_opaque_user_data(wsi, h);
		if (head_bytes(wsi) > (uint64_t)h->cfg->max_header_bytes)
			return refuse(wsi, pss, REF_HEAD_TOO_LARGE, 431,
				      "the request head is too large\n");
	}
	/* lws keeps the path apart from the query; the limit is on what the client sent */
	n = lws_hdr_total_length(wsi, methods[m].token);
	if (n + lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_URI_ARGS) > h->cfg->max_uri_bytes)
		return refuse(wsi, pss, REF_URI_TOO_LONG, 414, "the URI is too long\n");
	clen = header_copy(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH, cl, sizeof cl);
	has_body = (clen && strcmp(clen, "0")) ||
		   lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0;
	if (has_body && !methods[m].body)
		return refuse(wsi, pss, REF_BODY_NOT_ALLOWED, 400,
			      "this request may not carry a body\n");
	if (clen && (strlen(clen) > 12 || atoll(clen) > h->cfg->max_body_bytes))
		return refuse(wsi, pss, REF_BODY_TOO_LARGE, 413, "the body is too large\n");
	uri = cc_xmalloc((size_t)n + 1);
	if (lws_hdr_copy(wsi, uri, n + 1, methods[m].token) < 0) {
		free(uri);
		return refuse(wsi, pss, REF_URI_TOO_LONG, 414, "the URI is too long\n");
	}
	if (!strncmp(uri, "/api/", 5))
		rc = start_request(wsi, pss, h, methods[m].name, uri, methods[m].body);
	else if (strcmp(methods[m].name, "GET"))
		rc = respond_text(wsi, pss, 405, "method not allowed\n");
	else if (!strcmp(uri, "/healthz"))
		rc = respond_text(wsi, pss, 200, "ok\n");
	else if (!strcmp(uri, "/readyz") || !strcmp(uri, "/metrics"))
		rc = serve_status(wsi, pss, h, uri);
	else
		rc = serve_file(wsi, pss, h, uri);
	free(uri);
	return rc;
}

static void drop_request(struct http_pss *pss)
{
	struct cc_request *r = pss->req;

	if (!r)
		return;
	pss->req = NULL;
	if (r->replied || !pss->dispatched)
		cc_request_free(r);
	else
		r->wsi = NULL;  /* the handler still owes a reply: it frees the request then */
}

static int on_body(struct lws *wsi, struct http_pss *pss, const void *in, size_t len)
{
	struct cc_httpd *h = httpd_of(wsi);

	if (pss->refused)
		return 0;       /* being refused: the connection ends after the answer */
	if (!pss->req || pss->dispatched)
		return -1;      /* not ours to take */
	if (pss->req->body_text.len + len > (size_t)h->cfg->max_body_bytes) {
		/* still the transport's: no handler has seen it */
		drop_request(pss);
		return refuse(wsi, pss, REF_BODY_TOO_LARGE, 413, "the body is too large\n");
	}
	if (len)   /* an empty body comes as (NULL, 0): nothing to copy */
		cc_strbuf_append(&pss->req->body_text, in, len);
	return 0;
}

/* lws asks before it makes a connection object: count the socket, or refuse it at once. */
static int admit(struct lws *wsi, int fd)
{
	static const char too_many[] = "HTTP/1.1 503 Service Unavailable\r\n"
				       "Content-Type: text/plain\r\nConnection: close\r\n"
				       "Content-Length: 21\r\n\r\ntoo many connections\n";
	static const char from_addr[] = "HTTP/1.1 503 Service Unavailable\r\n"
					"Content-Type: text/plain\r\nConnection: close\r\n"
					"Content-Length: 40\r\n\r\n"
					"too many connections from your address\n";
	struct cc_httpd *h = httpd_of(wsi);
	char addr[64];
	enum cc_conn_verdict v;

	if (!h)
		return 0;
	peer_of_fd(fd, addr, sizeof addr);
	v = cc_connlimit_admit(h->conns, addr,
			       cc_cidrs_match(h->cfg->trusted_proxies, addr));
	if (v == CC_CONN_OK)
		return 0;
	h->refused[v == CC_CONN_TOO_MANY ? REF_MAX_CONNECTIONS : REF_MAX_PER_ADDRESS]++;
	if (h->tls)
		return 1;   /* plain text before a TLS handshake would only read as a broken one */
	/* a fresh socket's buffer takes this whole; the client may read it before the close */
	if (send(fd, v == CC_CONN_TOO_MANY ? too_many : from_addr,
		 v == CC_CONN_TOO_MANY ? sizeof too_many - 1 : sizeof from_addr - 1,
		 MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		cc_debug("http: could not tell %s it was refused", addr);
	return 1;
}

/*
 * lws ends a connection whose first request head failed (past max_header_bytes, past the
 * handshake timeout, or not HTTP) without a word, before any request reaches us. Its socket is
 * still open here: say why, as a server should, rather than leave the client guessing. What
 * the client sent and nobody read is drained first, or the close would reset the connection
 * and take the answer with it.
 */
static void answer_failed_head(struct lws *wsi)
{
	static const char *const answers[] = {
		"431 Request Header Fields Too Large", "request head too large",
		"408 Request Timeout", "request head not sent in time",
		"400 Bad Request", "not an HTTP request this server takes",
	};
	struct cc_httpd *h = httpd_of(wsi);
	int fd = lws_get_socket_fd(wsi), i;
	uint64_t received = 0;
	int64_t age;
	char buf[4096], text[256];
	size_t drained = 0;
	ssize_t n;

	/* With TLS the socket carries a TLS session (plain text in it is garbage to the client),
	 * a failed handshake, or plain http that lws answered with its redirect: nothing to add. */
	if (!h || h->tls || fd < 0 || !cc_sock_bytes_received(fd, &received) || !received)
		return;     /* nothing sent (a pre-connect, or gone): nothing to answer */
	age = cc_connlimit_age_ms(h->conns, wsi);
	if (received >= (uint64_t)h->cfg->max_header_bytes)
		i = 0;
	else if (age >= (int64_t)h->cfg->handshake_timeout_s * 1000 - 100)
		i = 2;
	else
		i = 4;
	h->refused[i == 0 ? REF_HEAD_TOO_LARGE : i == 2 ? REF_HEAD_TIMEOUT : REF_BAD_REQUEST]++;
	while (drained < 256 * 1024 && (n = recv(fd, buf, sizeof buf, MSG_DONTWAIT)) > 0)
		drained += (size_t)n;
	n = snprintf(text, sizeof text, "HTTP/1.1 %s\r\nContent-Type: text/plain\r\n"
					"Connection: close\r\nContent-Length: %zu\r\n\r\n%s\n",
		     answers[i], strlen(answers[i + 1]) + 1, answers[i + 1]);
	if (send(fd, text, (size_t)n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		cc_debug("http: could not answer a failed request head");
}

static void httpd_destroy(struct cc_httpd *h);

static int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
			 size_t len)
{
	struct http_pss *pss = user;
	struct cc_httpd *h;

	switch (reason) {
	case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
		return admit(wsi, (int)(intptr_t)in);
	case LWS_CALLBACK_WSI_CREATE:
		/* every connection object of the vhost, ours or not, is announced here and at its
		 * end (below): only the one just admitted attaches */
		if ((h = httpd_of(wsi)))
			cc_connlimit_attach(h->conns, wsi);
		return 0;
	case LWS_CALLBACK_WSI_DESTROY:
		if ((h = httpd_of(wsi)))
			cc_connlimit_release(h->conns, wsi);
		return 0;
	case LWS_CALLBACK_PROTOCOL_DESTROY:
		/* after every connection has closed: nothing uses the object any more */
		httpd_destroy(httpd_of(wsi));
		return 0;
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
		/* an upgrade that did not select commcell.v1 lands here: it is not a board client */
		if ((h = httpd_of(wsi)))
			h->refused[REF_BAD_UPGRADE]++;
		return 1;
	case LWS_CALLBACK_HTTP:
		return handle_http(wsi, pss);
	case LWS_CALLBACK_HTTP_BODY:
		return on_body(wsi, pss, in, len);
	case LWS_CALLBACK_HTTP_BODY_COMPLETION:
		if (pss->req && !pss->dispatched && !pss->refused && (h = httpd_of(wsi)))
			hand_over(pss, h);
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
				     r->reply_type ? r->reply_type : "application/json", "no-store",
				     body, strlen(body), &extra);
			cc_strbuf_free(&extra);
			cc_request_free(r);
			return rc;
		}
		return write_body(wsi, pss);
	case LWS_CALLBACK_CLOSED_HTTP:
		if (!pss) {
			/* no request ever reached us on this connection: its first head failed */
			answer_failed_head(wsi);
			break;
		}
		/* fall through */
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
	char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
	struct cc_msg *m;

	json_decref(o);
	if (!text) {
		cc_error("ws: a reply to a client could not be encoded; not sent");
		return;
	}
	m = cc_msg_create(text, strlen(text));
	cc_bus_send(pss->client, m);
	cc_msg_unref(m);
	free(text);
}

static void handle_message(struct lws *wsi, struct ws_pss *pss, const char *text, size_t len)
{
	char err[200];

	if (cc_wsmsg_parse(text, len, err, sizeof err) == CC_WSMSG_PING) {
		struct cc_msg *m = cc_board_beat(cc_app_board(app_of(wsi)), "pong", cc_now_ms());
		cc_bus_send(pss->client, m);
		cc_msg_unref(m);
	} else
		send_json(pss, json_pack("{s:s,s:s}", "type", "error", "message", err));
}

/* A token bucket: rate messages a second, bursts of twice that. */
static bool within_rate(struct ws_pss *pss, int rate)
{
	int64_t now = cc_mono_us();

	pss->tokens += (double)(now - pss->tokens_at_us) * rate / 1e6;
	pss->tokens_at_us = now;
	if (pss->tokens > 2.0 * rate)
		pss->tokens = 2.0 * rate;
	if (pss->tokens < 1.0)
		return false;
	pss->tokens -= 1.0;
	return true;
}

static int ws_close(struct lws *wsi, enum refusal why, enum lws_close_status status,
		    const char *text)
{
	struct cc_httpd *h = httpd_of(wsi);

	if (h)
		h->refused[why]++;
	lws_close_reason(wsi, status, (unsigned char *)text, strlen(text));
	return -1;
}

static int ws_receive(struct lws *wsi, struct ws_pss *pss, const char *in, size_t len)
{
	const struct cc_config *cfg = httpd_of(wsi)->cfg;
	bool first = lws_is_first_fragment(wsi), final = lws_is_final_fragment(wsi);
	size_t max = (size_t)cfg->ws_max_message_bytes;

	/* every message counts, and so does every empty piece of one: a stream of empty
	 * continuation frames costs the loop as much as messages do */
	if ((first || !len) && !within_rate(pss, cfg->ws_messages_per_s))
		return ws_close(wsi, REF_WS_RATE, LWS_CLOSE_STATUS_POLICY_VIOLATION,
				"too many messages");
	if (first)
		pss->rx_len = 0;
	/* the frame's declared length counts too: a client announcing a megabyte and sending a
	 * trickle is refused at its first bytes, not when the limit is finally reached */
	if (pss->rx_len + len > max || lws_remaining_packet_payload(wsi) > max - pss->rx_len - len)
		return ws_close(wsi, REF_WS_TOO_BIG, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE,
				"message too large");
	if (first && final) {
		handle_message(wsi, pss, in, len);
		return 0;
	}
	pss->rx = cc_xrealloc(pss->rx, pss->rx_len + len + 1);
	memcpy(pss->rx + pss->rx_len, in, len);
	pss->rx_len += len;
	if (final) {
		handle_message(wsi, pss, pss->rx, pss->rx_len);
		free(pss->rx);
		pss->rx = NULL;
		pss->rx_len = 0;
	}
	return 0;
}

static int ws_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		       size_t len)
{
	struct ws_pss *pss = user;
	struct cc_app *app;
	char uri[16];

	switch (reason) {
	case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: {
		struct cc_httpd *h = httpd_of(wsi);
		/* lws lets an upgrade in the clear through on the TLS port (it redirects only plain
		 * GETs): the board goes over wss only */
		if ((h && h->tls && !lws_is_ssl(wsi)) ||
		    !header_copy(wsi, WSI_TOKEN_GET_URI, uri, sizeof uri) || strcmp(uri, "/ws")) {
			if (h)
				h->refused[REF_BAD_UPGRADE]++;
			return 1;
		}
	}
		return cc_auth_ws_identify(wsi, cc_httpd_access(wsi), &pss->id) ? 0 : 1;
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
		pss->tokens = 2.0 * httpd_of(wsi)->cfg->ws_messages_per_s;
		pss->tokens_at_us = cc_mono_us();
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
	case LWS_CALLBACK_RECEIVE:
		return ws_receive(wsi, pss, in, len);
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

struct cc_httpd *cc_httpd_create(const struct cc_config *cfg, char *err, size_t errlen)
{
	struct cc_httpd *h = cc_xcalloc(1, sizeof *h);
	size_t i;

	h->cfg = cfg;
	h->tls = cfg->tls_cert_file != NULL;
	h->access = cc_access_create(cfg, err, errlen);
	h->web = h->access ? cc_webroot_create(cfg->web_root, err, errlen) : NULL;
	if (!h->web) {
		httpd_destroy(h);
		return NULL;
	}
	h->conns = cc_connlimit_create(cfg->max_connections, cfg->max_connections_per_address);
	h->http = http_protocol;
	h->http.user = h;
	h->ws = cc_httpd_ws_protocol;
	h->ws.user = h;
	for (i = 0; cc_httpd_protocols[i] && i < CC_ARRAY_LEN(h->list) - 1; i++)
		h->list[i] = cc_httpd_protocols[i] == &http_protocol ? &h->http
			   : cc_httpd_protocols[i] == &cc_httpd_ws_protocol ? &h->ws
			   : cc_httpd_protocols[i];
	h->list[i] = NULL;
	return h;
}

void cc_httpd_setup(struct cc_httpd *h, struct lws_context_creation_info *info)
{
	/* no mounts: every path comes to the http protocol, which serves only what it knows */
	info->pprotocols = h->list;
	info->mounts = NULL;
	/* heads up to max_header_bytes pass, heads a little over are answered 431 (head_bytes),
	 * and lws closes a connection whose head outgrows this buffer */
	info->max_http_header_data = (unsigned short)(2 * h->cfg->max_header_bytes > 65535
							  ? 65535 : 2 * h->cfg->max_header_bytes);
	/* a head must be whole within this; lws does not restart the clock per byte */
	info->timeout_secs_ah_idle = (unsigned)h->cfg->handshake_timeout_s;
	info->timeout_secs = (unsigned)h->cfg->handshake_timeout_s;
	if (h->tls) {
		/* lws keeps these paths: a reload (cc_tls_reload) finds the vhost by them. Plain http
		 * on this port is served nothing but lws's 301 to https://HOST/ (a browser given an
		 * http:// link lands on the page; the API and /ws are never served in the clear).
		 * HTTP/2 is not offered: every limit and the WebSocket path here are HTTP/1.1's. */
		info->options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT |
				 LWS_SERVER_OPTION_ALLOW_NON_SSL_ON_SSL_PORT |
				 LWS_SERVER_OPTION_REDIRECT_HTTP_TO_HTTPS;
		info->alpn = "http/1.1";
		info->ssl_cert_filepath = h->cfg->tls_cert_file;
		info->ssl_private_key_filepath = h->cfg->tls_key_file;
	}
}

int cc_httpd_set_config(struct cc_httpd *h, const struct cc_config *cfg, char *err,
			size_t errlen)
{
	/* the one step that can fail comes first, so a failure leaves everything as it was */
	struct cc_access *a = cc_access_create(cfg, err, errlen);

	if (!a)
		return -1;
	cc_access_destroy(h->access);
	h->access = a;
	cc_connlimit_set_limits(h->conns, cfg->max_connections, cfg->max_connections_per_address);
	h->cfg = cfg;
	return 0;
}

static void front_setup(void *front, struct lws_context_creation_info *info)
{
	cc_httpd_setup(front, info);
}

static int front_set_config(void *front, const struct cc_config *cfg, char *err, size_t errlen)
{
	return cc_httpd_set_config(front, cfg, err, errlen);
}

void cc_httpd_front(struct cc_httpd *h, struct cc_app_front *out)
{
	out->front = h;
	out->setup = front_setup;
	out->set_config = front_set_config;
	out->ws_protocol = &cc_httpd_ws_protocol;
	out->direct_ok = cc_httpd_ws_direct_ok;
}

static void httpd_destroy(struct cc_httpd *h)
{
	if (!h)
		return;
	cc_access_destroy(h->access);
	cc_connlimit_destroy(h->conns);
	cc_webroot_destroy(h->web);
	free(h);
}

void cc_httpd_destroy(struct cc_httpd *h) { httpd_destroy(h); }
