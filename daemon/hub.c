#include "hub.h"
#include "log.h"
#include "migrate.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

enum step {
	STEP_STAGES, STEP_PARTNERS, STEP_FEEDS, STEP_METRICS, STEP_THRESHOLDS, STEP_LEVELS,
	STEP_ALERT_RULES, STEP_DONE
};

static const char *const step_sql[] = {
	"SELECT key, label, position FROM commcell.stage ORDER BY position",
	"SELECT name, label, conninfo, coalesce(short_label, label) FROM commcell.partner "
	"WHERE enabled ORDER BY name",
	"SELECT f.id, f.partner, f.relation, f.channel, f.poll_interval_ms, "
	"f.statement_timeout_ms, f.batch_limit, f.kind, f.metric, f.query, f.as_of "
	"FROM commcell.feed f "
	"JOIN commcell.partner p ON p.name = f.partner "
	"WHERE f.enabled AND p.enabled ORDER BY f.id",
	"SELECT m.partner, m.key, m.label, m.unit, m.stage, m.higher_is_better, m.amber, m.red, "
	"m.freshness_s, m.decimals, m.position, m.hysteresis, m.min_duration_s, m.line_inclusive, "
	"coalesce(m.short_label, m.label) "
	"FROM commcell.metric m "
	"JOIN commcell.partner p ON p.name = m.partner "
	"JOIN commcell.stage s ON s.key = m.stage "
	"WHERE p.enabled ORDER BY s.position, m.position, m.partner, m.key",
	"SELECT partner, metric, site, amber, red, hysteresis, min_duration_s "
	"FROM commcell.threshold ORDER BY partner, metric, site",
	"SELECT level, status, count, stage, partner, description FROM commcell.level_rule "
	"ORDER BY level DESC, id",
	"SELECT id, name, partner, metric, site, status, level FROM commcell.alert_rule "
	"WHERE enabled ORDER BY id",
};

static char *dup_value_or_null(PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? NULL : cc_xstrdup(PQgetvalue(res, row, col));
}

static bool number(PGresult *res, int row, int col, double *out)
{
	if (PQgetisnull(res, row, col))
		return false;
	*out = strtod(PQgetvalue(res, row, col), NULL);
	return true;
}

struct cc_hub {
	struct lws_context *ctx;
	struct cc_pgconn *pc;
	struct cc_hub_events ev;
	void *user;
	struct cc_catalog *loading;
	bool load_in_flight;
	bool reload_wanted;
	bool up;
	enum step step;
	char error[512];
	lws_sorted_usec_list_t retry_sul;
	struct cc_migrations *known;   /* the hub migrations built into this commcelld */
	bool schema_in_flight;
	/* Checked once: an instance already serving keeps serving a hub upgraded under it (the
	 * migrations are additive), and the exit-or-not decision at start is main.c's. */
	bool schema_ok;
};

static void load_step(struct cc_hub *h, enum step step);

static char *dup_value(PGresult *res, int row, int col)
{
	return cc_xstrdup(PQgetvalue(res, row, col));
}

static bool value_true(PGresult *res, int row, int col)
{
	return PQgetvalue(res, row, col)[0] == 't';
}

static void fill(struct cc_catalog *cat, enum step step, PGresult *res)
{
	int n = PQntuples(res);

	for (int i = 0; i < n; i++) {
		switch (step) {
		case STEP_STAGES: {
			struct cc_stage *s = cc_catalog_add_stage(cat);
			s->key = dup_value(res, i, 0);
			s->label = dup_value(res, i, 1);
			s->position = atoi(PQgetvalue(res, i, 2));
			break;
		}
		case STEP_PARTNERS: {
			struct cc_partner_def *p = cc_catalog_add_partner(cat);
			p->name = dup_value(res, i, 0);
			p->label = dup_value(res, i, 1);
			p->conninfo = dup_value(res, i, 2);
			p->short_label = dup_value(res, i, 3);
			break;
		}
		case STEP_FEEDS: {
			struct cc_feed_def *f = cc_catalog_add_feed(cat);
			f->id = atoi(PQgetvalue(res, i, 0));
			f->partner = dup_value(res, i, 1);
			f->relation = dup_value(res, i, 2);
			f->channel = dup_value(res, i, 3);
			f->poll_interval_ms = atoi(PQgetvalue(res, i, 4));
			f->statement_timeout_ms = atoi(PQgetvalue(res, i, 5));
			f->batch_limit = atoi(PQgetvalue(res, i, 6));
			f->kind = strcmp(PQgetvalue(res, i, 7), "query") ? CC_FEED_OBSERVATION
								: CC_FEED_QUERY;
			f->metric = PQgetisnull(res, i, 8) ? NULL : dup_value(res, i, 8);
			f->query = PQgetisnull(res, i, 9) ? NULL : dup_value(res, i, 9);
			f->as_of = value_true(res, i, 10);
			break;
		}
		case STEP_METRICS: {
			struct cc_metric_def *m = cc_catalog_add_metric(cat);
			m->partner = dup_value(res, i, 0);
			m->key = dup_value(res, i, 1);
			m->label = dup_value(res, i, 2);
			m->unit = dup_value(res, i, 3);
			m->stage = dup_value(res, i, 4);
			m->higher_is_better = value_true(res, i, 5);
			m->has_amber = !PQgetisnull(res, i, 6);
			m->amber = m->has_amber ? strtod(PQgetvalue(res, i, 6), NULL) : 0;
			m->has_red = !PQgetisnull(res, i, 7);
			m->red = m->has_red ? strtod(PQgetvalue(res, i, 7), NULL) : 0;
			m->freshness_s = atoi(PQgetvalue(res, i, 8));
			m->decimals = atoi(PQgetvalue(res, i, 9));
			m->position = atoi(PQgetvalue(res, i, 10));
			m->hysteresis = strtod(PQgetvalue(res, i, 11), NULL);
			m->min_duration_s = atoi(PQgetvalue(res, i, 12));
			m->line_inclusive = value_true(res, i, 13);
			m->short_label = dup_value(res, i, 14);
			break;
		}
		case STEP_THRESHOLDS: {
			struct cc_threshold *t = cc_catalog_add_threshold(cat);
			t->partner = dup_value(res, i, 0);
			t->metric = dup_value(res, i, 1);
			t->site = dup_value(res, i, 2);
			t->has_amber = number(res, i, 3, &t->amber);
			t->has_red = number(res, i, 4, &t->red);
			t->hysteresis = strtod(PQgetvalue(res, i, 5), NULL);
			t->min_duration_s = atoi(PQgetvalue(res, i, 6));
			break;
		}
		case STEP_LEVELS: {
			struct cc_level_rule *l = cc_catalog_add_level_rule(cat);
			l->level = atoi(PQgetvalue(res, i, 0));
			l->red_only = !strcmp(PQgetvalue(res, i, 1), "red");
			l->count = atoi(PQgetvalue(res, i, 2));
			l->stage = dup_value_or_null(res, i, 3);
			l->partner = dup_value_or_null(res, i, 4);
			l->description = dup_value(res, i, 5);
			break;
		}
		case STEP_ALERT_RULES: {
			struct cc_alert_rule *a = cc_catalog_add_alert_rule(cat);
			a->id = atoi(PQgetvalue(res, i, 0));
			a->name = dup_value(res, i, 1);
			a->partner = dup_value_or_null(res, i, 2);
			a->metric = dup_value_or_null(res, i, 3);
			a->site = dup_value_or_null(res, i, 4);
			a->by_level = PQgetisnull(res, i, 5);
			a->red_only = !a->by_level && !strcmp(PQgetvalue(res, i, 5), "red");
			a->level = a->by_level ? atoi(PQgetvalue(res, i, 6)) : 0;
			break;
		}
		case STEP_DONE:
			break;
		}
	}
}

static void retry_fired(lws_sorted_usec_list_t *sul)
{
	struct cc_hub *h = lws_container_of(sul, struct cc_hub, retry_sul);
	if (cc_pgconn_state(h->pc) == CC_PG_READY && !h->load_in_flight)
		load_step(h, STEP_STAGES);
}

static void step_done(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	struct cc_hub *h = arg;
	struct cc_catalog *cat;

	(void)pc;
	if (err) {
		h->load_in_flight = false;
		cc_catalog_destroy(h->loading);
		h->loading = NULL;
		if (!res)
			return;  /* connection lost: on_failure reports it and reconnect reloads */
		/* The schema is missing or broken: say so, and try again shortly. */
		cc_error("hub: cannot load configuration: %s (are the migrations in sql/hub applied?)",
			 err);
		snprintf(h->error, sizeof h->error, "cannot load configuration: %s", err);
		if (h->ev.on_state)
			h->ev.on_state(h, false, h->error, h->user);
		lws_sul_schedule(h->ctx, 0, &h->retry_sul, retry_fired, 5 * LWS_US_PER_SEC);
		return;
	}
	fill(h->loading, h->step, res);
	if (h->step + 1 < STEP_DONE) {
		load_step(h, h->step + 1);
		return;
	}
	cat = h->loading;
	h->loading = NULL;
	h->load_in_flight = false;
	h->error[0] = '\0';
	cc_info("hub: configuration loaded: %zu partners, %zu feeds, %zu metrics",
		cat->n_partners, cat->n_feeds, cat->n_metrics);
	if (!h->up) {
		h->up = true;
		if (h->ev.on_state)
			h->ev.on_state(h, true, "", h->user);
	}
	if (h->ev.on_catalog)
		h->ev.on_catalog(h, cat, h->user);
	if (h->reload_wanted) {
		h->reload_wanted = false;
		load_step(h, STEP_STAGES);
	}
}

/* When main.c could not reach the hub at start, the first connection makes the same check: a
 * hub without this daemon's migrations (or with newer ones) keeps /readyz at 503 saying what to
 * do, and is asked again every 5 s, so running --migrate is enough to get going. */
static void schema_done(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	struct cc_hub *h = arg;

	(void)pc;
	h->schema_in_flight = false;
	if (err && !res)
		return;  /* connection lost: the next on_ready asks again */
	if (cc_migrate_judge(h->known, res, NULL, h->error, sizeof h->error) == CC_MIGRATE_REFUSE) {
		cc_error("hub: %s", h->error);
		if (h->ev.on_state)
			h->ev.on_state(h, false, h->error, h->user);
		lws_sul_schedule(h->ctx, 0, &h->retry_sul, retry_fired, 5 * LWS_US_PER_SEC);
		return;
	}
	h->schema_ok = true;  /* also when unreadable: the catalog load then says what is wrong */
	load_step(h, STEP_STAGES);
}

static void check_schema(struct cc_hub *h)
{
	if (h->schema_in_flight)
		return;
	h->schema_in_flight = true;
	if (cc_pgconn_query(h->pc, CC_MIGRATE_APPLIED_SQL, 0, NULL, schema_done, h))
		h->schema_in_flight = false;  /* not connected: the next on_ready asks */
}

static void load_step(struct cc_hub *h, enum step step)
{
	if (step == STEP_STAGES && !h->schema_ok) {
		check_schema(h);
		return;
	}
	if (step == STEP_STAGES) {
		if (h->load_in_flight) {
			h->reload_wanted = true;
			return;
		}
		h->loading = cc_catalog_create();
		h->load_in_flight = true;
	}
	h->step = step;
	if (cc_pgconn_query(h->pc, step_sql[step], 0, NULL, step_done, h)) {
		/* not connected: the next on_ready loads again */
		cc_catalog_destroy(h->loading);
		h->loading = NULL;
		h->load_in_flight = false;
	}
}

static void listen_done(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	(void)pc;
	(void)arg;
	if (err && res)
		cc_warn("hub: LISTEN failed; changes made in the hub reach this instance only at "
			"restart: %s", err);
}

static void on_ready(struct cc_pgconn *pc, void *user)
{
	struct cc_hub *h = user;

	cc_info("hub: connected");
	cc_pgconn_query(pc, "LISTEN commcell_config", 0, NULL, listen_done, h);
	cc_pgconn_query(pc, "LISTEN commcell_current", 0, NULL, listen_done, h);
	cc_pgconn_query(pc, "LISTEN commcell_meeting", 0, NULL, listen_done, h);
	h->load_in_flight = false;
	h->reload_wanted = false;
	h->schema_in_flight = false;
	load_step(h, STEP_STAGES);
}

static void on_failure(struct cc_pgconn *pc, const char *reason, int64_t retry_ms, void *user)
{
	struct cc_hub *h = user;

	(void)pc;
	cc_error("hub: %s (retrying in %lld ms)", reason, (long long)retry_ms);
	snprintf(h->error, sizeof h->error, "hub database unreachable: %s", reason);
	h->up = false;
	if (h->ev.on_state)
		h->ev.on_state(h, false, h->error, h->user);
}

static void on_notify(struct cc_pgconn *pc, const char *channel, const char *payload, void *user)
{
	struct cc_hub *h = user;

	(void)pc;
	if (strcmp(channel, "commcell_config")) {
		if (h->ev.on_notify)
			h->ev.on_notify(h, channel, payload ? payload : "", h->user);
		return;
	}
	cc_info("hub: configuration changed (%s); reloading", payload && *payload ? payload : "?");
	load_step(h, STEP_STAGES);
}

struct cc_hub *cc_hub_create(const struct cc_loop *loop, const char *conninfo,
			     const struct cc_hub_events *ev, void *user)
{
	static const struct cc_pgconn_events pev = { on_ready, on_failure, on_notify };
	struct cc_pgconn_opts opts = { .statement_timeout_ms = 10000 };
	struct cc_hub *h = cc_xcalloc(1, sizeof *h);

	h->ctx = loop->ctx;
	h->ev = *ev;
	h->user = user;
	cc_strlcpy(h->error, "hub database not connected yet", sizeof h->error);
	h->known = cc_migrations_embedded();
	h->pc = cc_pgconn_create(loop, "hub", conninfo, &opts, &pev, h);
	return h;
}

void cc_hub_start(struct cc_hub *h) { cc_pgconn_start(h->pc); }
bool cc_hub_up(const struct cc_hub *h) { return h->up; }
struct cc_pgconn *cc_hub_conn(struct cc_hub *h) { return h->pc; }
const char *cc_hub_error(const struct cc_hub *h) { return h->error; }

void cc_hub_destroy(struct cc_hub *h)
{
	if (!h)
		return;
	lws_sul_cancel(&h->retry_sul);
	cc_pgconn_destroy(h->pc);
	cc_catalog_destroy(h->loading);
	cc_migrations_destroy(h->known);
	free(h);
}
