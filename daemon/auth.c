#include "auth.h"
#include "log.h"
#include "util.h"

#include <string.h>

/* Until sign-in exists every caller is an anonymous wall display: read-only. Routes that need a
 * manager or admin therefore answer 401. */
void cc_auth_identify(struct cc_request *r)
{
	cc_request_set_identity(r, "", CC_ROLE_DISPLAY);
}

bool cc_auth_same_origin(const char *origin, const char *host)
{
	const char *p;

	if (!origin || !host)
		return false;
	p = strstr(origin, "://");
	if (!p)
		return false;
	p += 3;
	return !strcmp(p, host);
}

bool cc_auth_change_allowed(struct cc_request *r)
{
	const char *origin = cc_request_header(r, "origin");
	const char *host = cc_request_header(r, "host");

	/* Browsers send Origin on every cross-site POST: one from another site is a forgery. */
	if (origin && !cc_auth_same_origin(origin, host)) {
		cc_warn("http: refused %s %s from origin %s (host %s)", cc_request_method(r),
			cc_request_path(r), origin, host ? host : "?");
		cc_request_error(r, 403, "cross-origin requests may not change anything");
		return false;
	}
	return true;
}

bool cc_auth_ws_allowed(struct lws *wsi)
{
	char origin[256], host[256];

	/* Non-browser clients send no Origin; a browser page from another site must not read
	 * the board through its visitor's network position. */
	if (lws_hdr_total_length(wsi, WSI_TOKEN_ORIGIN) <= 0)
		return true;
	if (lws_hdr_copy(wsi, origin, sizeof origin, WSI_TOKEN_ORIGIN) < 0 ||
	    lws_hdr_copy(wsi, host, sizeof host, WSI_TOKEN_HOST) < 0)
		return false;
	if (cc_auth_same_origin(origin, host))
		return true;
	cc_warn("ws: refused upgrade from origin %s (host %s)", origin, host);
	return false;
}
