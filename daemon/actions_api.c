#include "actions_api.h"
#include "action.h"
#include "app.h"
#include "hubreply.h"
#include "utf8.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* $1 statuses (text[]), $2 owner, $3 partner, $4 metric, $5 site, $6 due before, $7 limit */
static const char list_sql[] =
	"SELECT coalesce(jsonb_agg(x.j ORDER BY x.due_on, x.id), '[]'::jsonb) FROM ("
	" SELECT commcell.action_json(a) AS j, a.due_on, a.id FROM commcell.action a"
	" WHERE ($1::text[] IS NULL OR a.status = ANY ($1::text[]))"
	" AND ($2::text IS NULL OR a.owner = $2) AND ($3::text IS NULL OR a.partner = $3)"
	" AND ($4::text IS NULL OR a.metric = $4) AND ($5::text IS NULL OR a.site = $5)"
	" AND ($6::date IS NULL OR a.due_on < $6::date)"
	" ORDER BY a.due_on, a.id LIMIT $7::int) x";

static const char get_sql[] =
	"SELECT commcell.action_json(a) || jsonb_build_object('updates', ("
	" SELECT coalesce(jsonb_agg(jsonb_build_object('at', u.at, 'by', u.by_user,"
	" 'status', u.status, 'text', u.text) ORDER BY u.at, u.id), '[]'::jsonb)"
	" FROM commcell.action_update u WHERE u.action_id = a.id))"
	" FROM commcell.action a WHERE a.id = $1::bigint";

static const char create_sql[] =
	"SELECT commcell.action_create($1, $2, $3, $4, $5, $6::date, $7::bigint, $8)";

static const char change_sql[] =
	"SELECT commcell.action_change($1::bigint, $2, $3, $4, $5, $6::date, $7)";

#define LIST_LIMIT_DEFAULT 1000
#define LIST_LIMIT_MAX 10000

struct pending {
	struct cc_request *req;
	unsigned ok_status;
	char missing[96];
	bool csv;
};

static void answered(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	struct pending *p = arg;
	const char *state = err && res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *words = err && res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	json_t *v;

	(void)pc;
	if (state && !strcmp(state, "P0002")) {
		cc_request_error(p->req, 404, "%s", words ? words : p->missing);
	} else if (state && !strcmp(state, "55000")) {
		cc_request_error(p->req, 409, "%s", words ? words : "not possible now");
	} else if (state && !strcmp(state, "23505")) {
		/* two instances starting a huddle at once: the index has the last word */
		cc_request_error(p->req, 409, "a huddle is already running");
	} else if (err) {
		cc_hubreply_error(p->req, res, err);
	} else if (PQntuples(res) == 0 || PQgetisnull(res, 0, 0)) {
		cc_request_error(p->req, 404, "%s", p->missing);
	} else if (!(v = json_loads(PQgetvalue(res, 0, 0), JSON_DECODE_ANY, NULL))) {
		cc_request_error(p->req, 500, "unexpected answer from the hub");
	} else if (p->csv) {
		char *text = cc_action_csv(v), name[80], day[11];
		time_t now = time(NULL);
		struct tm tm;

		strftime(day, sizeof day, "%Y-%m-%d", gmtime_r(&now, &tm));
		snprintf(name, sizeof name, "attachment; filename=\"commcell-actions-%s.csv\"", day);
		cc_request_add_header(p->req, "content-disposition", name);
		cc_request_reply_text(p->req, p->ok_status, "text/csv; charset=utf-8; header=present",
				      text);
		free(text);
		json_decref(v);
	} else if (json_is_array(v)) {
		cc_request_reply(p->req, p->ok_status, json_pack("{s:o}", "actions", v));
	} else {
		cc_request_reply(p->req, p->ok_status, v);
	}
	free(p);
}

static void run(struct cc_request *r, struct pending *p, const char *sql, int n,
		const char *const *params)
{
	if (cc_pgconn_query(cc_app_hub_conn(cc_request_app(r)), sql, n, params, answered, p)) {
		free(p);
		cc_request_error(r, 503, "the hub database is not reachable right now");
	}
}

static struct pending *pending(struct cc_request *r, unsigned ok_status, const char *missing)
{
	struct pending *p = cc_xcalloc(1, sizeof *p);

	p->req = r;
	p->ok_status = ok_status;
	cc_strlcpy(p->missing, missing ? missing : "not found", sizeof p->missing);
	return p;
}

void cc_meeting_api_run(struct cc_request *r, const char *sql, int nparams,
			const char *const *params, unsigned ok_status, const char *missing)
{
	run(r, pending(r, ok_status, missing), sql, nparams, params);
}

/* A filter's text: NULL when absent or empty, else bounded. */
static int filter(struct cc_request *r, const char *name, size_t max, const char **out)
{
	const char *v = cc_request_arg(r, name);

	*out = v && *v ? v : NULL;
	if (*out && strlen(*out) > max) {
		cc_request_error(r, 400, "%s= is too long: at most %zu characters", name, max);
		return -1;
	}
	return 0;
}

void cc_actions_api_list(struct cc_request *r)
{
	const char *format = cc_request_arg(r, "format"), *status = cc_request_arg(r, "status");
	const char *due = cc_request_arg(r, "due_before"), *limit = cc_request_arg(r, "limit");
	const char *params[7] = { NULL };
	char statuses[64], lim[16], err[200], *end;
	long n = LIST_LIMIT_DEFAULT;
	struct pending *p;
	bool csv = false;

	if (format && !strcmp(format, "csv")) {
		/* the export is a manager's, the list itself is for every display */
		if (cc_request_role(r) < CC_ROLE_MANAGER) {
			if (cc_request_role(r) == CC_ROLE_NONE)
				cc_request_error(r, 401, "sign in as manager or above to export actions");
			else
				cc_request_error(r, 403, "%s may not export actions: it needs manager "
						 "or above", cc_request_user(r));
			return;
		}
		csv = true;
	} else if (format && strcmp(format, "json")) {
		cc_request_error(r, 400, "format= must be json or csv");
		return;
	}
	if (status && *status) {
		if (cc_action_statuses_parse(status, statuses, sizeof statuses, err, sizeof err)) {
			cc_request_error(r, 400, "%s", err);
			return;
		}
		params[0] = statuses;
	}
	/* an empty filter is no filter: a form's unused fields come as "owner=&site=" */
	if (filter(r, "owner", 63, &params[1]) || filter(r, "partner", 63, &params[2]) ||
	    filter(r, "metric", 127, &params[3]) || filter(r, "site", 64, &params[4]))
		return;
	if (due && *due) {
		if (!cc_action_date_valid(due)) {
			cc_request_error(r, 400, "due_before= must be a date that exists, written "
					 "YYYY-MM-DD");
			return;
		}
		params[5] = due;
	}
	if (limit) {
		n = strtol(limit, &end, 10);
		if (!*limit || *end || n < 1 || n > LIST_LIMIT_MAX) {
			cc_request_error(r, 400, "limit= must be from 1 to %d", LIST_LIMIT_MAX);
			return;
		}
	}
	snprintf(lim, sizeof lim, "%ld", n);
	params[6] = lim;
	p = pending(r, 200, "no actions");
	p->csv = csv;
	run(r, p, list_sql, 7, params);
}

void cc_actions_api_get(struct cc_request *r)
{
	long long id = cc_action_id(cc_request_tail(r));
	char ids[24], missing[64], cut[24];
	const char *params[1] = { ids };

	if (!id) {
		cc_request_error(r, 404, "there is no action '%s'",
				 cc_utf8_copy(cut, sizeof cut, cc_request_tail(r)));
		return;
	}
	snprintf(ids, sizeof ids, "%lld", id);
	snprintf(missing, sizeof missing, "there is no action %lld", id);
	cc_meeting_api_run(r, get_sql, 1, params, 200, missing);
}

void cc_actions_api_create(struct cc_request *r)
{
	struct cc_action_new a;
	const char *params[8];
	char err[300], huddle[24];

	if (cc_action_new_parse(cc_request_body(r), &a, err, sizeof err)) {
		cc_request_error(r, 400, "%s", err);
		return;
	}
	snprintf(huddle, sizeof huddle, "%lld", a.huddle_id);
	params[0] = a.title;
	params[1] = a.owner;
	params[2] = a.partner;
	params[3] = a.metric;
	params[4] = a.site;
	params[5] = a.due_on;
	params[6] = a.huddle_id ? huddle : NULL;
	params[7] = cc_request_user(r);
	cc_meeting_api_run(r, create_sql, 8, params, 201, "the action was not saved");
}

void cc_actions_api_change(struct cc_request *r)
{
	long long id = cc_action_id(cc_request_tail(r));
	struct cc_action_change c;
	const char *params[7];
	char err[300], ids[24], cut[24];

	if (!id) {
		cc_request_error(r, 404, "there is no action '%s'",
				 cc_utf8_copy(cut, sizeof cut, cc_request_tail(r)));
		return;
	}
	if (cc_action_change_parse(cc_request_body(r), &c, err, sizeof err)) {
		cc_request_error(r, 400, "%s", err);
		return;
	}
	snprintf(ids, sizeof ids, "%lld", id);
	params[0] = ids;
	params[1] = c.status;
	params[2] = c.text;
	params[3] = c.title;
	params[4] = c.owner;
	params[5] = c.due_on[0] ? c.due_on : NULL;
	params[6] = cc_request_user(r);
	cc_meeting_api_run(r, change_sql, 7, params, 200, "there is no such action");
}
