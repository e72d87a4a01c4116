#include "routes.h"
#include "api.h"
#include "app.h"

static void feeds(struct cc_request *r)
{
	cc_request_reply(r, 200, cc_app_feeds_json(cc_request_app(r)));
}

const struct cc_route cc_routes[] = {
	{ "GET", "/api/feeds", CC_ROLE_DISPLAY, false, feeds },
	{ "GET", "/api/history", CC_ROLE_DISPLAY, false, cc_api_history },
	{ "GET", "/api/quarantine", CC_ROLE_DISPLAY, false, cc_api_quarantine },
	{ NULL, NULL, CC_ROLE_NONE, false, NULL },
};
