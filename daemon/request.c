#include "request.h"
#include "request_int.h"
#include "log.h"
#include "utf8.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
const char *cc_request_tcp_peer(const struct cc_request *r) { return r->tcp_peer; }
const struct cc_access *cc_request_access(const struct cc_request *r) { return r->access; }
bool cc_request_over_tls(const struct cc_request *r) { return r->tls; }
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

void cc_request_free(struct cc_request *r)
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
	/* NULL: a json_pack that failed, or nothing to say */
	r->reply = body ? json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
	if (!r->reply && (body || status < 400)) {
		cc_error("http: the reply to %s %s could not be encoded", r->method, r->path);
		r->status = 500;
		r->reply = cc_xstrdup("{\"error\":\"internal error\"}");
	} else if (!r->reply)
		r->reply = cc_xstrdup("{}");
	json_decref(body);
	if (!r->wsi) {
		cc_request_free(r);  /* the client left while we worked */
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
		cc_request_free(r);
		return;
	}
	lws_callback_on_writable(r->wsi);
}

void cc_request_error(struct cc_request *r, unsigned status, const char *fmt, ...)
{
	char raw[512], msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);
	/* the message may quote the client (a path, a name) or be cut inside a character */
	cc_utf8_copy(msg, sizeof msg, raw);
	cc_request_reply(r, status, json_pack("{s:s}", "error", msg));
}
