#include "routes.h"
#include "actions_api.h"
#include "admin_api.h"
#include "alerts_api.h"
#include "api.h"
#include "app.h"
#include "huddle_api.h"
#include "goals_api.h"
#include "partner_api.h"
#include "report_api.h"
#include "rota_api.h"
#include "session_api.h"
#include "threshold_api.h"

#include <string.h>

static void feeds(struct cc_request *r)
{
	cc_request_reply(r, 200, cc_app_feeds_json(cc_request_app(r)));
}

const struct cc_route cc_routes[] = {
	{ "GET", "/api/feeds", CC_ROLE_DISPLAY, false, feeds },
	{ "GET", "/api/alerts", CC_ROLE_DISPLAY, false, cc_alerts_api_list },
	/* acknowledging checks its own credential: a manager's session or a signed link */
	{ "POST", "/api/alerts/", CC_ROLE_NONE, false, cc_alerts_api_ack },
	{ "GET", "/api/alerts/", CC_ROLE_NONE, false, cc_alerts_api_ack_page },
	{ "GET", "/api/silences", CC_ROLE_DISPLAY, false, cc_alerts_api_silences },
	{ "POST", "/api/silences", CC_ROLE_MANAGER, true, cc_alerts_api_silence_add },
	{ "DELETE", "/api/silences/", CC_ROLE_MANAGER, true, cc_alerts_api_silence_end },
	{ "GET", "/api/history", CC_ROLE_DISPLAY, false, cc_api_history },
	{ "GET", "/api/quarantine", CC_ROLE_DISPLAY, false, cc_api_quarantine },
	/* signing in and out check the Origin themselves: there is no CSRF token before it */
	{ "GET", "/api/session", CC_ROLE_NONE, false, cc_session_api_whoami },
	{ "POST", "/api/session", CC_ROLE_NONE, false, cc_session_api_signin },
	{ "DELETE", "/api/session", CC_ROLE_NONE, false, cc_session_api_signout },
	{ "GET", "/api/thresholds", CC_ROLE_MANAGER, false, cc_threshold_api_list },
	{ "POST", "/api/thresholds", CC_ROLE_MANAGER, true, cc_threshold_api_change },
	{ "GET", "/api/audit", CC_ROLE_MANAGER, false, cc_audit_api_list },
	{ "GET", "/api/reports/board", CC_ROLE_MANAGER, false, cc_report_api_board },
	{ "GET", "/api/goals", CC_ROLE_DISPLAY, false, cc_goals_api_list },
	{ "POST", "/api/goals", CC_ROLE_MANAGER, true, cc_goals_api_create },
	{ "POST", "/api/goals/", CC_ROLE_MANAGER, true, cc_goals_api_update },
	{ "DELETE", "/api/goals/", CC_ROLE_MANAGER, true, cc_goals_api_delete },
	{ "GET", "/api/daily", CC_ROLE_DISPLAY, false, cc_goals_api_daily },
	{ "GET", "/api/actions", CC_ROLE_DISPLAY, false, cc_actions_api_list },
	{ "POST", "/api/actions", CC_ROLE_MANAGER, true, cc_actions_api_create },
	{ "GET", "/api/actions/", CC_ROLE_DISPLAY, false, cc_actions_api_get },
	{ "POST", "/api/actions/", CC_ROLE_MANAGER, true, cc_actions_api_change },
	{ "GET", "/api/huddles", CC_ROLE_DISPLAY, false, cc_huddle_api_list },
	{ "POST", "/api/huddles", CC_ROLE_MANAGER, true, cc_huddle_api_start },
	{ "GET", "/api/huddles/brief", CC_ROLE_DISPLAY, false, cc_huddle_api_brief },
	{ "POST", "/api/huddles/", CC_ROLE_MANAGER, true, cc_huddle_api_change },
	{ "GET", "/api/users", CC_ROLE_ADMIN, false, cc_admin_api_users },
	{ "POST", "/api/users", CC_ROLE_ADMIN, true, cc_admin_api_user_create },
	{ "POST", "/api/users/", CC_ROLE_ADMIN, true, cc_admin_api_user_update },
	{ "GET", "/api/tokens", CC_ROLE_ADMIN, false, cc_admin_api_tokens },
	{ "POST", "/api/tokens", CC_ROLE_ADMIN, true, cc_admin_api_token_create },
	{ "DELETE", "/api/tokens/", CC_ROLE_ADMIN, true, cc_admin_api_token_revoke },
	{ "GET", "/api/partners", CC_ROLE_ADMIN, false, cc_partner_api_list },
	{ "POST", "/api/partners", CC_ROLE_ADMIN, true, cc_partner_api_save },
	{ "GET", "/api/rota", CC_ROLE_MANAGER, false, cc_rota_api_get },
	{ "POST", "/api/rota/shifts", CC_ROLE_ADMIN, true, cc_rota_api_shift_add },
	{ "DELETE", "/api/rota/shifts/", CC_ROLE_ADMIN, true, cc_rota_api_shift_delete },
	{ "POST", "/api/rota/people", CC_ROLE_ADMIN, true, cc_rota_api_person_save },
	{ NULL, NULL, CC_ROLE_NONE, false, NULL },
};

const struct cc_route *cc_route_find(const char *method, const char *path, const char **tail,
				     bool *path_known)
{
	*path_known = false;
	*tail = "";
	for (const struct cc_route *rt = cc_routes; rt->path; rt++) {
		size_t n = strlen(rt->path);
		bool prefix = rt->path[n - 1] == '/';
		if (prefix ? strncmp(path, rt->path, n) || !path[n] : strcmp(path, rt->path))
			continue;
		*path_known = true;
		if (!strcmp(rt->method, method)) {
			*tail = prefix ? path + n : "";
			return rt;
		}
	}
	return NULL;
}
