#include "huddle_api.h"
#include "action.h"
#include "actions_api.h"
#include "utf8.h"

#include <stdio.h>

#define HUDDLES_LISTED "20"

static const char list_sql[] =
	"SELECT jsonb_build_object("
	" 'huddles', (SELECT coalesce(jsonb_agg(commcell.huddle_json(h)"
	"   ORDER BY h.started_at DESC, h.id DESC), '[]'::jsonb) FROM commcell.huddle h"
	"   WHERE h.id IN (SELECT id FROM commcell.huddle"
	"   ORDER BY started_at DESC, id DESC LIMIT " HUDDLES_LISTED ")),"
	" 'open', (SELECT commcell.huddle_json(h) FROM commcell.huddle h"
	"   WHERE h.ended_at IS NULL ORDER BY h.id DESC LIMIT 1))";

static const char start_sql[] = "SELECT commcell.huddle_start($1, $2)";
static const char change_sql[] = "SELECT commcell.huddle_change($1::bigint, $2::boolean, $3, $4)";
static const char brief_sql[] = "SELECT commcell.huddle_brief()";

void cc_huddle_api_list(struct cc_request *r)
{
	cc_meeting_api_run(r, list_sql, 0, NULL, 200, "no huddles");
}

void cc_huddle_api_brief(struct cc_request *r)
{
	cc_meeting_api_run(r, brief_sql, 0, NULL, 200, "no brief");
}

void cc_huddle_api_start(struct cc_request *r)
{
	struct cc_huddle_change c;
	const char *params[2];
	char err[300];

	if (cc_huddle_change_parse(cc_request_body(r), true, &c, err, sizeof err)) {
		cc_request_error(r, 400, "%s", err);
		return;
	}
	params[0] = cc_request_user(r);
	params[1] = c.notes;
	cc_meeting_api_run(r, start_sql, 2, params, 201, "the huddle was not started");
}

void cc_huddle_api_change(struct cc_request *r)
{
	long long id = cc_action_id(cc_request_tail(r));
	struct cc_huddle_change c;
	const char *params[4];
	char err[300], ids[24], cut[24];

	if (!id) {
		cc_request_error(r, 404, "there is no huddle '%s'",
				 cc_utf8_copy(cut, sizeof cut, cc_request_tail(r)));
		return;
	}
	if (cc_huddle_change_parse(cc_request_body(r), false, &c, err, sizeof err)) {
		cc_request_error(r, 400, "%s", err);
		return;
	}
	snprintf(ids, sizeof ids, "%lld", id);
	params[0] = ids;
	params[1] = c.end ? "true" : "false";
	params[2] = c.notes;
	params[3] = cc_request_user(r);
	cc_meeting_api_run(r, change_sql, 4, params, 200, "there is no such huddle");
}
