#include "threshold_api.h"
#include "app.h"
#include "hubreply.h"
#include "log.h"
#include "threshold.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ISO(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

static const char list_sql[] =
	"SELECT coalesce(json_agg(json_build_object('partner', m.partner, 'metric', m.key, "
	"'label', m.label, 'unit', m.unit, 'stage', m.stage, 'definition', m.definition, "
	"'higher_is_better', m.higher_is_better, 'amber', m.amber, 'red', m.red, "
	"'hysteresis', m.hysteresis, 'min_duration_s', m.min_duration_s, "
	"'updated_by', m.updated_by, 'updated_at', " ISO("m.updated_at") ", "
	"'sites', (SELECT coalesce(json_agg(json_build_object('site', t.site, 'amber', t.amber, "
	"          'red', t.red, 'hysteresis', t.hysteresis, 'min_duration_s', t.min_duration_s, "
	"          'updated_by', t.updated_by, 'updated_at', " ISO("t.updated_at") ") "
	"          ORDER BY t.site), '[]') FROM commcell.threshold t "
	"          WHERE t.partner = m.partner AND t.metric = m.key)) "
	"ORDER BY s.position, m.position, m.partner, m.key), '[]') "
	"FROM commcell.metric m JOIN commcell.stage s ON s.key = m.stage "
	"WHERE ($1::text IS NULL OR m.partner = $1)";

#define NUMBERS "$4::float8, $5::float8, $6::float8, $7::int"
#define SETTING "jsonb_build_object('amber', amber, 'red', red, 'hysteresis', hysteresis, " \
		"'min_duration_s', min_duration_s)"

/* $1 partner, $2 metric, $3 site (unused), $4..$7 numbers, $8 actor */
static const char default_sql[] =
	"WITH old AS (SELECT " SETTING " AS v FROM commcell.metric "
	"      WHERE partner = $1 AND key = $2 FOR UPDATE), "
	"u AS (UPDATE commcell.metric SET (amber, red, hysteresis, min_duration_s) = (" NUMBERS "), "
	"      updated_by = $8, updated_at = now() WHERE partner = $1 AND key = $2 "
	"      AND $3::text IS NULL RETURNING " SETTING " AS v), "
	"au AS (INSERT INTO commcell.audit (actor, action, target, detail) SELECT $8, "
	"      'threshold.update', $1 || '/' || $2, jsonb_build_object('partner', $1::text, "
	"      'metric', $2::text, 'before', old.v, 'after', u.v) FROM old, u RETURNING id) "
	"SELECT id FROM au";

static const char override_sql[] =
	"WITH old AS (SELECT " SETTING " AS v FROM commcell.threshold "
	"      WHERE partner = $1 AND metric = $2 AND site = $3 FOR UPDATE), "
	"u AS (INSERT INTO commcell.threshold (partner, metric, site, amber, red, hysteresis, "
	"      min_duration_s, updated_by, updated_at) VALUES ($1, $2, $3, " NUMBERS ", $8, now()) "
	"      ON CONFLICT (partner, metric, site) DO UPDATE SET amber = EXCLUDED.amber, "
	"      red = EXCLUDED.red, hysteresis = EXCLUDED.hysteresis, "
	"      min_duration_s = EXCLUDED.min_duration_s, updated_by = EXCLUDED.updated_by, "
	"      updated_at = now() RETURNING " SETTING " AS v), "
	"au AS (INSERT INTO commcell.audit (actor, action, target, detail) SELECT $8, "
	"      'threshold.override', $1 || '/' || $2 || '/' || $3, jsonb_build_object("
	"      'partner', $1::text, 'metric', $2::text, 'site', $3::text, "
	"      'before', (SELECT v FROM old), 'after', u.v) FROM u RETURNING id) "
	"SELECT id FROM au";

static const char clear_sql[] =
	"WITH d AS (DELETE FROM commcell.threshold WHERE partner = $1 AND metric = $2 "
	"      AND site = $3 RETURNING " SETTING " AS v), "
	"au AS (INSERT INTO commcell.audit (actor, action, target, detail) SELECT $4, "
	"      'threshold.clear', $1 || '/' || $2 || '/' || $3, jsonb_build_object("
	"      'partner', $1::text, 'metric', $2::text, 'site', $3::text, 'before', d.v) "
	"      FROM d RETURNING id) "
	"SELECT id FROM au";

static const char audit_sql[] =
	"SELECT coalesce(json_agg(json_build_object('id', a.id, 'at', "
	ISO("a.at") ", 'actor', a.actor, 'action', a.action, 'target', a.target, "
	"'detail', a.detail, 'title', commcell.audit_title(a.action, a.target, a.detail)) "
	"ORDER BY a.id DESC), '[]') FROM (SELECT * FROM commcell.audit "
	"WHERE ($2::bigint IS NULL OR id < $2::bigint) "
	"AND ($3::text IS NULL OR action LIKE replace(replace($3, '%', ''), '_', '\\_') || '%') "
	"ORDER BY id DESC LIMIT $1::int) a";

struct change {
	struct cc_request *req;
	struct cc_threshold_change c;
};

void cc_threshold_api_list(struct cc_request *r)
{
	const char *params[1] = { cc_request_arg(r, "partner") };

	cc_hubreply_json(r, cc_app_hub_conn(cc_request_app(r)), list_sql, 1, params, "metrics");
}

static void written(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	struct change *ch = arg;
	const struct cc_threshold_change *c = &ch->c;

	(void)pc;
	if (err) {
		cc_hubreply_error(ch->req, res, err);
	} else if (!PQntuples(res)) {
		if (c->clear)
			cc_request_error(ch->req, 404, "site '%s' of %s/%s has no override to clear",
					 c->site, c->partner, c->metric);
		else
			cc_request_error(ch->req, 404, "metric %s of %s is gone", c->metric,
					 c->partner);
	} else {
		json_t *o = json_object();
		cc_info("thresholds: %s changed %s/%s%s%s (audit %s)", cc_request_user(ch->req),
			c->partner, c->metric, c->has_site ? "/" : "", c->site,
			PQgetvalue(res, 0, 0));
		json_object_set_new(o, "audit_id", json_integer(strtoll(PQgetvalue(res, 0, 0), NULL,
									 10)));
		json_object_set_new(o, "partner", json_string(c->partner));
		json_object_set_new(o, "metric", json_string(c->metric));
		json_object_set_new(o, "site", c->has_site ? json_string(c->site) : json_null());
		cc_request_reply(ch->req, 200, o);
	}
	free(ch);
}

void cc_threshold_api_change(struct cc_request *r)
{
	struct cc_app *app = cc_request_app(r);
	struct change *ch = cc_xcalloc(1, sizeof *ch);
	struct cc_threshold_change *c = &ch->c;
	char field[64], msg[300], amber[32], red[32], hyst[32], dur[16];
	const char *params[8];
	int rc;

	ch->req = r;
	if (cc_threshold_parse(cc_request_body(r), cc_app_catalog(app), c, field, sizeof field, msg,
			       sizeof msg)) {
		json_t *o = json_pack("{s:s,s:s}", "error", msg, "field", field);
		free(ch);
		if (o)
			cc_request_reply(r, 400, o);
		else
			cc_request_error(r, 400, "the threshold change is not valid");
		return;
	}
	snprintf(amber, sizeof amber, "%.17g", c->amber);
	snprintf(red, sizeof red, "%.17g", c->red);
	snprintf(hyst, sizeof hyst, "%.17g", c->hysteresis);
	snprintf(dur, sizeof dur, "%d", c->min_duration_s);
	params[0] = c->partner;
	params[1] = c->metric;
	params[2] = c->has_site ? c->site : NULL;
	if (c->clear) {
		params[3] = cc_request_user(r);
		rc = cc_pgconn_query(cc_app_hub_conn(app), clear_sql, 4, params, written, ch);
	} else {
		params[3] = c->has_amber ? amber : NULL;
		params[4] = c->has_red ? red : NULL;
		params[5] = hyst;
		params[6] = dur;
		params[7] = cc_request_user(r);
		rc = cc_pgconn_query(cc_app_hub_conn(app), c->has_site ? override_sql : default_sql, 8,
				     params, written, ch);
	}
	if (rc) {
		free(ch);
		cc_request_error(r, 503, "the hub database is not reachable right now");
	}
}

void cc_audit_api_list(struct cc_request *r)
{
	const char *limit = cc_request_arg(r, "limit"), *before = cc_request_arg(r, "before");
	const char *action = cc_request_arg(r, "action");
	const char *params[3];
	char *end, lim[16];
	long n = 100;

	if (limit) {
		n = strtol(limit, &end, 10);
		if (*end || n < 1 || n > 1000) {
			cc_request_error(r, 400, "limit= must be from 1 to 1000");
			return;
		}
	}
	if (before && (!*before || strspn(before, "0123456789") != strlen(before) ||
		       strlen(before) > 18)) {
		cc_request_error(r, 400, "before= must be an audit id");
		return;
	}
	if (action && strlen(action) > 64) {
		cc_request_error(r, 400, "action= is too long");
		return;
	}
	snprintf(lim, sizeof lim, "%ld", n);
	params[0] = lim;
	params[1] = before;
	params[2] = action;
	cc_hubreply_json(r, cc_app_hub_conn(cc_request_app(r)), audit_sql, 3, params, "rows");
}
