#include "goals_api.h"
#include "app.h"
#include "goal.h"
#include "hubreply.h"
#include "log.h"
#include "utf8.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char list_sql[] =
	"SELECT coalesce(jsonb_agg(commcell.goal_json(g) "
	"       ORDER BY s.position, m.position, g.partner, g.metric, g.site), '[]') "
	"FROM commcell.goal g JOIN commcell.metric m ON m.partner = g.partner AND m.key = g.metric "
	"JOIN commcell.stage s ON s.key = m.stage";

/* The audit detail names the series (partner/metric/site), so commcell.audit_title says which
 * measure in words; before and after are the whole rows. */
#define AUDIT_SERIES(v) "'id', (" v ").id, 'partner', (" v ").partner, 'metric', (" v ").metric, " \
			"'site', (" v ").site"
#define TARGET(v) "(" v ").partner || '/' || (" v ").metric || '/' || (" v ").site"

/* $1 partner, $2 metric, $3 site, $4 baseline, $5 target, $6 starts_on, $7 ends_on,
 * $8 milestones, $9 agreed_by, $10 note, $11 who; $12 the id for an update */
static const char create_sql[] =
	"WITH ins AS (INSERT INTO commcell.goal AS g (partner, metric, site, baseline, target, "
	"      starts_on, ends_on, milestones, agreed_by, note, created_by, updated_by) "
	"      VALUES ($1, $2, $3, $4::float8, $5::float8, $6::date, $7::date, $8::jsonb, $9, $10, "
	"      $11, $11) RETURNING g AS goal), "
	"au AS (INSERT INTO commcell.audit (actor, action, target, detail) "
	"      SELECT $11, 'goal.create', " TARGET("goal") ", jsonb_build_object(" AUDIT_SERIES("goal")
	", 'after', to_jsonb(goal)) FROM ins) "
	"SELECT commcell.goal_json(goal) FROM ins";

static const char update_sql[] =
	"WITH old AS (SELECT g AS goal FROM commcell.goal g WHERE g.id = $12::bigint), "
	"up AS (UPDATE commcell.goal AS g SET partner = $1, metric = $2, site = $3, "
	"      baseline = $4::float8, target = $5::float8, starts_on = $6::date, ends_on = $7::date, "
	"      milestones = $8::jsonb, agreed_by = $9, note = $10, updated_by = $11, "
	"      updated_at = now() WHERE g.id = $12::bigint RETURNING g AS goal), "
	"au AS (INSERT INTO commcell.audit (actor, action, target, detail) "
	"      SELECT $11, 'goal.update', " TARGET("up.goal") ", jsonb_build_object("
	AUDIT_SERIES("up.goal") ", 'before', to_jsonb(old.goal), 'after', to_jsonb(up.goal)) "
	"      FROM up, old) "
	"SELECT commcell.goal_json(goal) FROM up";

static const char delete_sql[] =
	"WITH d AS (DELETE FROM commcell.goal AS g WHERE g.id = $1::bigint RETURNING g AS goal), "
	"au AS (INSERT INTO commcell.audit (actor, action, target, detail) "
	"      SELECT $2, 'goal.delete', " TARGET("goal") ", jsonb_build_object(" AUDIT_SERIES("goal")
	", 'before', to_jsonb(goal)) FROM d) "
	"SELECT (goal).id FROM d";

static const char daily_sql[] =
	"SELECT commcell.daily_json($1, $2, $3, $4::date, $5::date)";

struct write {
	struct cc_request *req;
	struct cc_goal g;
	long long id;       /* 0: a new goal */
	bool is_delete;
};

/* The hub's refusals in a manager's words. The checks in goal.c catch nearly everything first;
 * these remain for races (the metric deleted meanwhile, two managers adding the same goal) and
 * for what only the hub knows. */
static void refused(struct write *w, PGresult *res, const char *err)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const struct cc_goal *g = &w->g;

	if (state && !strcmp(state, "23505"))
		cc_request_error(w->req, 409, "there is already a goal for %s of %s%s%s: change that "
				 "one instead", g->metric, g->partner, *g->site ? " at " : "",
				 g->site);
	else if (state && !strcmp(state, "23503"))
		cc_request_error(w->req, 400, "no metric %s for partner %s", g->metric, g->partner);
	else
		cc_hubreply_error(w->req, res, err);
}

static void written(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	struct write *w = arg;
	json_t *v;

	(void)pc;
	if (err) {
		refused(w, res, err);
	} else if (!PQntuples(res)) {
		cc_request_error(w->req, 404, "there is no goal %lld", w->id);
	} else if (w->is_delete) {
		cc_info("goals: %s deleted goal %lld", cc_request_user(w->req), w->id);
		cc_request_reply(w->req, 200, json_pack("{s:I}", "deleted", (json_int_t)w->id));
	} else if (!(v = json_loads(PQgetvalue(res, 0, 0), 0, NULL))) {
		cc_request_error(w->req, 500, "unexpected answer from the hub");
	} else {
		cc_info("goals: %s %s the goal for %s/%s/%s", cc_request_user(w->req),
			w->id ? "changed" : "set", w->g.partner, w->g.metric, w->g.site);
		cc_request_reply(w->req, w->id ? 200 : 201, v);
	}
	free(w);
}

/* The id in the path, or 0 when it is not one (answered 404: no such goal). */
static long long path_id(struct cc_request *r)
{
	const char *tail = cc_request_tail(r);
	int64_t id;

	if (!*tail || strspn(tail, "0123456789") != strlen(tail) || !cc_parse_int64(tail, &id) ||
	    id < 1) {
		char cut[40];
		cc_utf8_copy(cut, sizeof cut, tail);
		cc_request_error(r, 404, "there is no goal '%s'", cut);
		return 0;
	}
	return (long long)id;
}

static void save(struct cc_request *r, long long id)
{
	struct cc_app *app = cc_request_app(r);
	struct write *w = cc_xcalloc(1, sizeof *w);
	struct cc_goal *g = &w->g;
	char field[64], msg[400], base[32], target[32], idtext[24], *ms;
	const char *params[12];
	json_t *list;

	w->req = r;
	w->id = id;
	if (cc_goal_parse(cc_request_body(r), cc_app_catalog(app), g, field, sizeof field, msg,
			  sizeof msg)) {
		json_t *o = json_pack("{s:s,s:s}", "error", msg, "field", field);
		free(w);
		if (o)
			cc_request_reply(r, 400, o);
		else
			cc_request_error(r, 400, "the goal is not valid");
		return;
	}
	snprintf(base, sizeof base, "%.17g", g->baseline);
	snprintf(target, sizeof target, "%.17g", g->target);
	snprintf(idtext, sizeof idtext, "%lld", id);
	list = cc_goal_milestones_json(g);
	ms = json_dumps(list, JSON_COMPACT | JSON_REAL_PRECISION(17));
	json_decref(list);
	params[0] = g->partner;
	params[1] = g->metric;
	params[2] = g->site;
	params[3] = base;
	params[4] = target;
	params[5] = g->starts_on;
	params[6] = g->ends_on;
	params[7] = ms ? ms : "[]";
	params[8] = g->agreed_by;
	params[9] = g->note;
	params[10] = cc_request_user(r);
	params[11] = idtext;
	if (cc_pgconn_query(cc_app_hub_conn(app), id ? update_sql : create_sql, id ? 12 : 11, params,
			    written, w)) {
		free(w);
		cc_request_error(r, 503, "the hub database is not reachable right now");
	}
	free(ms);
}

void cc_goals_api_list(struct cc_request *r)
{
	cc_hubreply_json(r, cc_app_hub_conn(cc_request_app(r)), list_sql, 0, NULL, "goals");
}

void cc_goals_api_create(struct cc_request *r)
{
	save(r, 0);
}

void cc_goals_api_update(struct cc_request *r)
{
	long long id = path_id(r);

	if (id)
		save(r, id);
}

void cc_goals_api_delete(struct cc_request *r)
{
	long long id = path_id(r);
	struct write *w;
	char idtext[24];
	const char *params[2];

	if (!id)
		return;
	w = cc_xcalloc(1, sizeof *w);
	w->req = r;
	w->id = id;
	w->is_delete = true;
	snprintf(idtext, sizeof idtext, "%lld", id);
	params[0] = idtext;
	params[1] = cc_request_user(r);
	if (cc_pgconn_query(cc_app_hub_conn(cc_request_app(r)), delete_sql, 2, params, written, w)) {
		free(w);
		cc_request_error(r, 503, "the hub database is not reachable right now");
	}
}

/* A date argument: absent (the default) or a real YYYY-MM-DD date. */
static bool date_arg(struct cc_request *r, const char *name, const char **out)
{
	*out = cc_request_arg(r, name);
	if (*out && !cc_goal_date(*out, NULL)) {
		char cut[24];
		cc_utf8_copy(cut, sizeof cut, *out);
		cc_request_error(r, 400, "%s= must be a real date written YYYY-MM-DD, not '%s'", name,
				 cut);
		return false;
	}
	return true;
}

void cc_goals_api_daily(struct cc_request *r)
{
	const struct cc_catalog *cat = cc_app_catalog(cc_request_app(r));
	const char *partner = cc_request_arg(r, "partner"), *metric = cc_request_arg(r, "metric");
	const char *site = cc_request_arg(r, "site");
	const char *params[5];

	if (!partner || !metric || !*partner || !*metric) {
		cc_request_error(r, 400, "partner= and metric= are required");
		return;
	}
	if (strlen(partner) > 63 || strlen(metric) > 127 || (site && strlen(site) > CC_GOAL_SITE_MAX) ||
	    !cat || !cc_catalog_metric(cat, partner, metric)) {
		char p[64], m[128];
		cc_utf8_copy(p, sizeof p, partner);
		cc_utf8_copy(m, sizeof m, metric);
		cc_request_error(r, 404, "no metric %s for partner %s", m, p);
		return;
	}
	params[0] = partner;
	params[1] = metric;
	params[2] = site ? site : "";
	if (!date_arg(r, "from", &params[3]) || !date_arg(r, "to", &params[4]))
		return;
	cc_hubreply_json(r, cc_app_hub_conn(cc_request_app(r)), daily_sql, 5, params, NULL);
}
