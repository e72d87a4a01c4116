#include "report_api.h"
#include "app.h"
#include "hubreply.h"
#include "report.h"

#include <stdio.h>
#include <stdlib.h>

/* Without from= and to=: the four weeks to today (London). */
#define DEFAULT_DAYS 28

static void answered(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	struct cc_request *r = arg;
	json_error_t jerr;
	json_t *doc;
	const char *from, *to;
	char *html;

	(void)pc;
	if (err) {
		cc_hubreply_error(r, res, err);
		return;
	}
	if (PQntuples(res) != 1 || PQnfields(res) != 1 ||
	    !(doc = json_loads(PQgetvalue(res, 0, 0), 0, &jerr))) {
		cc_request_error(r, 500, "unexpected answer from the hub");
		return;
	}
	html = cc_report_html(doc, NULL);
	from = json_string_value(json_object_get(doc, "from"));
	to = json_string_value(json_object_get(doc, "to"));
	/* a name to save it under; the dates are checked so nothing else reaches the header */
	if (cc_report_parse_day(from, NULL) && cc_report_parse_day(to, NULL)) {
		char disp[128];
		snprintf(disp, sizeof disp, "inline; filename=\"commcell-board-report-%s-to-%s.html\"",
			 from, to);
		cc_request_add_header(r, "content-disposition", disp);
	}
	/* the page carries its own style inline, and nothing else may load */
	cc_request_add_header(r, "content-security-policy", CC_REPORT_CSP);
	cc_request_reply_text(r, 200, "text/html; charset=utf-8", html);
	free(html);
	json_decref(doc);
}

static bool day_arg(struct cc_request *r, const char *name, const char *v, long *days)
{
	if (!v || cc_report_parse_day(v, days))
		return true;
	cc_request_error(r, 400, "%s= must be a date written YYYY-MM-DD, such as 2026-11-01", name);
	return false;
}

void cc_report_api_board(struct cc_request *r)
{
	const char *from = cc_request_arg(r, "from"), *to = cc_request_arg(r, "to");
	const char *params[3];
	char span[16];
	long a = 0, b = 0;

	if (from && !*from)
		from = NULL;
	if (to && !*to)
		to = NULL;
	if (!day_arg(r, "from", from, &a) || !day_arg(r, "to", to, &b))
		return;
	if (from && to && a > b) {
		cc_request_error(r, 400, "from= (%s) is after to= (%s): the report needs its first day "
				 "first", from, to);
		return;
	}
	if (from && to && b - a + 1 > CC_REPORT_MAX_DAYS) {
		cc_request_error(r, 400, "a report covers at most %d days; %s to %s is %ld days",
				 CC_REPORT_MAX_DAYS, from, to, b - a + 1);
		return;
	}
	snprintf(span, sizeof span, "%d", DEFAULT_DAYS - 1);
	params[0] = from;
	params[1] = to;
	params[2] = span;
	/* a missing end is today and a missing start four weeks before the end, both in London;
	 * the hub checks the period again (and words its refusal) */
	if (cc_pgconn_query(cc_app_hub_conn(cc_request_app(r)),
			    "WITH p AS (SELECT coalesce($2::date, (now() AT TIME ZONE 'Europe/London')::date)"
			    " AS to_) "
			    "SELECT commcell.board_report(coalesce($1::date, p.to_ - $3::int), p.to_)::text "
			    "FROM p",
			    3, params, answered, r))
		cc_request_error(r, 503, "the hub database is not reachable right now");
}
