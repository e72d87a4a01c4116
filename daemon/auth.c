#include "auth.h"
#include "access.h"
#include "app.h"
#include "log.h"
#include "secret.h"
#include "util.h"

#include <string.h>
#include <strings.h>

/* A Bearer value, or NULL. */
static const char *bearer(const char *authorization)
{
	if (!authorization || strncasecmp(authorization, "Bearer ", 7))
		return NULL;
	authorization += 7;
	while (*authorization == ' ')
		authorization++;
	return authorization;
}

/* The identity behind a Cookie and an Authorization header; false when neither holds one. */
static bool identify(struct cc_authstore *s, const char *cookie, const char *authorization,
		     struct cc_identity *out)
{
	char token[CC_SECRET_TEXT_LEN + 2];
	const char *b = bearer(authorization);

	memset(out, 0, sizeof *out);
	if (cookie && cc_cookie_get(cookie, CC_SESSION_COOKIE, token, sizeof token) &&
	    cc_authstore_session(s, token, out))
		return true;
	if (b && cc_authstore_device(s, b, out))
		return true;
	memset(out, 0, sizeof *out);
	return false;
}

bool cc_auth_lookup(struct cc_request *r, struct cc_identity *out)
{
	struct cc_authstore *s = cc_app_auth(cc_request_app(r));

	return identify(s, cc_request_header(r, "cookie"), cc_request_header(r, "authorization"),
			out);
}

bool cc_auth_fetch_session(struct cc_request *r, void (*done)(void *arg), void *arg)
{
	char token[CC_SECRET_TEXT_LEN + 2];
	const char *cookie = cc_request_header(r, "cookie");

	if (!cookie || !cc_cookie_get(cookie, CC_SESSION_COOKIE, token, sizeof token))
		return false;
	return cc_authstore_fetch_session(cc_app_auth(cc_request_app(r)), token, done, arg);
}

void cc_auth_identify(struct cc_request *r)
{
	struct cc_authstore *s = cc_app_auth(cc_request_app(r));
	struct cc_identity id;

	if (cc_auth_lookup(r, &id))
		cc_request_set_identity(r, id.user, id.role);
	else if (cc_authstore_anonymous_display(s))
		cc_request_set_identity(r, "", CC_ROLE_DISPLAY);
	else
		cc_request_set_identity(r, "", CC_ROLE_NONE);
}

bool cc_auth_origin_allowed(struct cc_request *r)
{
	const char *origin = cc_request_header(r, "origin");

	/* Browsers send Origin on every cross-site POST: one from another site is a forgery. The
	 * Host header proves nothing (a rebound DNS name carries the attacker's own): only the
	 * origins the bootstrap file names count. */
	if (origin && !cc_access_origin_ok(cc_request_access(r), origin)) {
		cc_warn("http: refused %s %s from origin %s", cc_request_method(r),
			cc_request_path(r), origin);
		cc_request_error(r, 403, "cross-origin requests may not change anything (an origin "
					 "of this server's own pages: public_url or allowed_origins)");
		return false;
	}
	return true;
}

bool cc_auth_change_allowed(struct cc_request *r)
{
	struct cc_identity id;
	const char *sent;

	if (!cc_auth_origin_allowed(r))
		return false;
	/* A cookie is sent by the browser on its own, so a request riding on one must also show
	 * the token that only our own pages can read (GET /api/session). A bearer token is never
	 * sent on its own, so it needs none. */
	if (!cc_auth_lookup(r, &id) || !id.session[0])
		return true;
	sent = cc_request_header(r, CC_CSRF_HEADER);
	if (!sent || !cc_secret_equal(sent, id.csrf)) {
		cc_warn("http: refused %s %s by %s: %s CSRF token", cc_request_method(r),
			cc_request_path(r), id.user, sent ? "wrong" : "no");
		cc_request_error(r, 403, "this change needs the session's CSRF token in the "
					 "X-CSRF-Token header (reload the page)");
		return false;
	}
	return true;
}

static const char *header(struct lws *wsi, enum lws_token_indexes t, char *buf, size_t len)
{
	int n = lws_hdr_total_length(wsi, t);

	if (n <= 0 || (size_t)n >= len || lws_hdr_copy(wsi, buf, (int)len, t) < 0)
		return NULL;
	return buf;
}

bool cc_auth_ws_identify(struct lws *wsi, const struct cc_access *access,
			 struct cc_identity *out)
{
	struct cc_app *app = lws_context_user(lws_get_context(wsi));
	struct cc_authstore *s = cc_app_auth(app);
	char origin[256], cookie[4096], authz[256];
	const char *o = header(wsi, WSI_TOKEN_ORIGIN, origin, sizeof origin);

	/* Non-browser clients send no Origin; a browser page from another site must not read
	 * the board through its visitor's network position or cookies. */
	if (lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN) > 0 &&
	    (!o || !access || !cc_access_origin_ok(access, o))) {
		cc_warn("ws: refused upgrade from origin %s", o ? o : "(too long)");
		return false;
	}
	if (identify(s, header(wsi, WSI_TOKEN_HTTP_COOKIE, cookie, sizeof cookie),
		     header(wsi, WSI_TOKEN_HTTP_AUTHORIZATION, authz, sizeof authz), out))
		return true;
	if (cc_authstore_anonymous_display(s)) {
		out->role = CC_ROLE_DISPLAY;
		return true;
	}
	cc_info("ws: refused upgrade without a session or device token");
	return false;
}
