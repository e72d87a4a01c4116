#include "httpd.h"
#include "api.h"
#include "app.h"
#include "log.h"
#include "pgconn.h"
#include "signals.h"
#include "util.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define CC_WS_MAX_MESSAGE 4096

/* An answer that comes later (from a hub query). The HTTP connection may be gone by then:
 * wsi is cleared when it closes, and whoever finishes last frees the request. */
struct pending {
	struct lws *wsi;
	unsigned status;
	char *body;
	bool ready;
};

struct http_pss {
	char *body;
	size_t len, sent;
	struct pending *pending;
};

struct ws_pss {
	struct cc_client *client;
	char *rx;                  /* fragments of a message in progress */
	size_t rx_len;
	bool rx_too_big;
};

static struct cc_app *app_of(struct lws *wsi) { return lws_context_user(lws_get_context(wsi)); }

static int respond(struct lws *wsi, struct http_pss *pss, unsigned status, const char *ctype,
		   char *body, size_t len)
{
	uint8_t buf[LWS_PRE + 1024], *start = buf + LWS_PRE, *p = start, *end = buf + sizeof buf;
	static const char nocache[] = "no-store";

	pss->body = body;
	pss->len = len;
	pss->sent = 0;
	if (lws_add_http_common_headers(wsi, status, ctype, len, &p, end) ||
	    lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL,
					 (const unsigned char *)nocache, sizeof nocache - 1, &p,
					 end) ||
	    lws_finalize_write_http_header(wsi, start, &p, end))
		return 1;
	lws_callback_on_writable(wsi);
	return 0;
}

static int respond_text(struct lws *wsi, struct http_pss *pss, unsigned status, const char *text)
{
	return respond(wsi, pss, status, "text/plain; charset=utf-8", cc_xstrdup(text),
		       strlen(text));
}

static int respond_json(struct lws *wsi, struct http_pss *pss, unsigned status, json_t *o)
{
	char *text = json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(15));

	json_decref(o);
	return respond(wsi, pss, status, "application/json", text, strlen(text));
}

static void api_done(void *arg, unsigned status, json_t *body)
{
	struct pending *pd = arg;

	if (!pd->wsi) {
		json_decref(body);
		free(pd);
		return;
	}
	pd->status = status;
	pd->body = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(15));
	json_decref(body);
	pd->ready = true;
	lws_callback_on_writable(pd->wsi);
}

static const char *urlarg(struct lws *wsi, const char *name, char *buf, int len)
{
	/* lws_get_urlarg_by_name wants "name=" and returns the value after it */
	char key[32];

	snprintf(key, sizeof key, "%s=", name);
	return lws_get_urlarg_by_name(wsi, key, buf, len);
}

static int start_api(struct lws *wsi, struct http_pss *pss, const char *uri)
{
	struct cc_app *app = app_of(wsi);
	char b[7][256];
	struct cc_api_args args = {
		.partner = urlarg(wsi, "partner", b[0], sizeof b[0]),
		.metric = urlarg(wsi, "metric", b[1], sizeof b[1]),
		.site = urlarg(wsi, "site", b[2], sizeof b[2]),
		.from = urlarg(wsi, "from", b[3], sizeof b[3]),
		.to = urlarg(wsi, "to", b[4], sizeof b[4]),
		.step = urlarg(wsi, "step", b[5], sizeof b[5]),
		.limit = urlarg(wsi, "limit", b[6], sizeof b[6]),
	};
	struct pending *pd = cc_xcalloc(1, sizeof *pd);
	json_t *body = NULL;
	unsigned status;

	pd->wsi = wsi;
	status = cc_api_start(uri, &args, cc_app_catalog(app), cc_app_hub_conn(app), api_done, pd,
			      &body);
	if (status) {
		free(pd);
		return respond_json(wsi, pss, status, body);
	}
	pss->pending = pd;
	return 0;
}

static int handle_http(struct lws *wsi, struct http_pss *pss, const char *path)
{
	struct cc_app *app = app_of(wsi);
	char uri[256], why[512], msg[600];
	int n;

	/* Mounts hand us the path below the mount point; use the full URI to route. */
	n = lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI);
	if (n <= 0) {
		if (lws_hdr_total_length(wsi, WSI_TOKEN_POST_URI) > 0)
			return respond_text(wsi, pss, 405, "method not allowed\n");
		cc_strlcpy(uri, path ? path : "", sizeof uri);
	}
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
		return respond(wsi, pss, 200, "text/plain; version=0.0.4", text, strlen(text));
	}
	if (!strcmp(uri, "/api/feeds"))
		return respond_json(wsi, pss, 200, cc_app_feeds_json(app));
	if (!strcmp(uri, "/api/history") || !strcmp(uri, "/api/quarantine"))
		return start_api(wsi, pss, uri);
	return respond_json(wsi, pss, 404,
			    json_pack("{s:s,s:s}", "error", "not found", "path", uri));
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

static int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
			 size_t len)
{
	struct http_pss *pss = user;

	switch (reason) {
	case LWS_CALLBACK_HTTP:
		return handle_http(wsi, pss, in);
	case LWS_CALLBACK_HTTP_WRITEABLE:
		if (pss->pending && pss->pending->ready) {
			struct pending *pd = pss->pending;
			char *body = pd->body ? pd->body : cc_xstrdup("{}");
			unsigned status = pd->status;
			pss->pending = NULL;
			free(pd);
			return respond(wsi, pss, status, "application/json", body, strlen(body));
		}
		return write_body(wsi, pss);
	case LWS_CALLBACK_CLOSED_HTTP:
	case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
		if (pss) {
			free(pss->body);
			pss->body = NULL;
			if (pss->pending) {
				/* the answer may still come: let api_done free it */
				if (pss->pending->ready) {
					free(pss->pending->body);
					free(pss->pending);
				} else {
					pss->pending->wsi = NULL;
				}
				pss->pending = NULL;
			}
		}
		break;
	default:
		break;
	}
	return lws_callback_http_dummy(wsi, reason, user, in, len);
}

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
		return 0;
	case LWS_CALLBACK_ESTABLISHED:
		app = app_of(wsi);
		pss->client = cc_bus_attach(cc_app_bus(app), wsi);
		return 0;
	case LWS_CALLBACK_SERVER_WRITEABLE:
		return pss->client ? cc_bus_writable(pss->client) : 0;
	case LWS_CALLBACK_RECEIVE: {
		bool first = lws_is_first_fragment(wsi), final = lws_is_final_fragment(wsi);
		if (first) {
			pss->rx_len = 0;
			pss->rx_too_big = false;
		}
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
	CC_WS_PROTOCOL, ws_callback, sizeof(struct ws_pss), 1024, 0, NULL, 0,
};

const struct lws_protocols *const cc_httpd_protocols[] = {
	&http_protocol, &cc_httpd_ws_protocol, &cc_pgconn_protocol, &cc_signals_protocol, NULL,
};

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
