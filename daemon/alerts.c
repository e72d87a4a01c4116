#include "alerts.h"
#include "log.h"
#include "sender.h"
#include "utf8.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STEP_MS 2000
#define DELIVER_MS 1000
#define MAX_IN_FLIGHT 16
#define CC_STR_(x) #x
#define CC_STR(x) CC_STR_(x)
#define SEND_TIMEOUT_MS 15000
/* A claim outlives the longest send: a commcelld killed mid-send leaves its rows to others (or
 * to itself after a restart) once this has passed. */
#define CLAIM_LEASE_S 20
/* What people call the system level; the hub says the same (commcell.level_label()). */
#define CC_LEVEL_LABEL "System escalation level (OPEL)"

struct delivery {
	struct cc_alerts *a;
	char *id;
	struct delivery *prev, *next;   /* in flight, so destroy can free them */
};

struct cc_alerts {
	struct cc_loop loop;
	struct cc_board *board;
	struct cc_sender *sender;
	struct cc_pgconn *pc;
	const struct cc_catalog *cat;
	void (*on_list)(void *arg, json_t *alerts);
	void *arg;

	char *base_url;
	char instance[128];
	struct cc_smtp_config smtp;
	char *smtp_password;

	bool active;
	bool step_in_flight, list_in_flight, claim_in_flight;
	size_t delivering;
	struct delivery *flying;
	json_t *list;
	char *list_text;
	uint64_t steps, queued, sent, failed;
	lws_sorted_usec_list_t step_sul, deliver_sul;
};

static void deliver(struct cc_alerts *a);
static void refresh_list(struct cc_alerts *a);

static bool matches(const char *pattern, const char *value)
{
	return !pattern || !strcmp(pattern, value);
}

struct obs_ctx {
	struct cc_alerts *a;
	const struct cc_alert_rule *rule;
	json_t *obs;
};

/* The reading ("71.2 %, red") goes with a summary made from what commcelld knows; the hub
 * remakes the summary from its labels (commcell.label_observations), site names included. */
static void observe_series(void *arg, const struct cc_board_view *v)
{
	struct obs_ctx *c = arg;
	const struct cc_alert_rule *r = c->rule;
	const struct cc_metric_def *m;
	const struct cc_partner_def *p;
	char summary[512], reading[160], *full;
	bool bad;
	int decimals;

	if (!matches(r->partner, v->partner) || !matches(r->metric, v->key) ||
	    !matches(r->site, v->site))
		return;
	/* stale or failing: commcell cannot say whether it is bad, so the alert stays as it is */
	if (v->status == CC_STALE || v->status == CC_ERROR)
		return;
	bad = v->status == CC_RED || (!r->red_only && v->status == CC_AMBER);
	m = cc_catalog_metric(c->a->cat, v->partner, v->key);
	p = cc_catalog_partner(c->a->cat, v->partner);
	decimals = m && m->decimals >= 0 && m->decimals <= 6 ? m->decimals : 1;
	/* formatted whole, then cut between characters: jansson refuses half a character */
	full = cc_xasprintf("%.*f %s, %s", decimals, v->value, v->unit, cc_status_name(v->status));
	cc_utf8_copy(reading, sizeof reading, full);
	free(full);
	full = cc_xasprintf("%s%s%s - %s: %s", v->label, *v->site ? " at " : "", v->site,
			    p && p->label && *p->label ? p->label : v->partner, reading);
	cc_utf8_copy(summary, sizeof summary, full);
	free(full);
	json_array_append_new(c->obs, json_pack("{s:i,s:s,s:s,s:s,s:b,s:f,s:s,s:s}", "rule", r->id,
						"partner", v->partner, "metric", v->key, "site",
						v->site, "bad", bad, "value", v->value, "summary",
						summary, "reading", reading));
}

static json_t *observations(struct cc_alerts *a)
{
	json_t *obs = json_array();
	const char *why;
	int level = cc_board_level(a->board, &why);

	for (size_t i = 0; a->cat && i < a->cat->n_alert_rules; i++) {
		const struct cc_alert_rule *r = &a->cat->alert_rules[i];
		struct obs_ctx c = { a, r, obs };
		if (r->by_level) {
			char summary[400], reading[360];
			char *full = cc_xasprintf("OPEL %d: %s", level, why);
			cc_utf8_copy(reading, sizeof reading, full);
			free(full);
			full = cc_xasprintf(CC_LEVEL_LABEL ": %s", reading);
			cc_utf8_copy(summary, sizeof summary, full);
			free(full);
			json_array_append_new(obs, json_pack("{s:i,s:s,s:s,s:s,s:b,s:i,s:s,s:s}", "rule",
							     r->id, "partner", "", "metric",
							     "system.level", "site", "", "bad",
							     level >= r->level, "value", level,
							     "summary", summary, "reading", reading));
			continue;
		}
		cc_board_foreach(a->board, observe_series, &c);
	}
	return obs;
}

static void step_done(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	struct cc_alerts *a = arg;
	long queued;

	(void)pc;
	a->step_in_flight = false;
	if (err) {
		if (res)
			cc_error("alerts: evaluation failed: %s", err);
		return;
	}
	a->steps++;
	queued = PQntuples(res) ? strtol(PQgetvalue(res, 0, 0), NULL, 10) : 0;
	if (queued > 0) {
		a->queued += (uint64_t)queued;
		cc_info("alerts: %ld notifications queued", queued);
		deliver(a);
	}
	refresh_list(a);
}

static void step(struct cc_alerts *a)
{
	json_t *obs;
	char *text;
	const char *params[2];

	if (!a->pc || cc_pgconn_state(a->pc) != CC_PG_READY || a->step_in_flight || !a->cat) {
		refresh_list(a);
		return;
	}
	if (!a->active) {
		refresh_list(a);   /* followers still show the list */
		return;
	}
	obs = observations(a);
	text = json_dumps(obs, JSON_COMPACT);
	json_decref(obs);
	if (!text)
		return;  /* out of memory: the next round tries again */
	params[0] = text;
	params[1] = a->base_url;
	if (!cc_pgconn_query(a->pc,
			     "SELECT commcell.alert_step(commcell.label_observations($1::jsonb), $2)",
			     2, params, step_done, a))
		a->step_in_flight = true;
	free(text);
}

static void step_fired(lws_sorted_usec_list_t *sul)
{
	struct cc_alerts *a = lws_container_of(sul, struct cc_alerts, step_sul);

	step(a);
	lws_sul_schedule(a->loop.ctx, 0, &a->step_sul, step_fired, STEP_MS * LWS_US_PER_MS);
}

static void list_done(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	struct cc_alerts *a = arg;
	const char *text;
	json_t *list;

	(void)pc;
	a->list_in_flight = false;
	if (err || PQntuples(res) != 1)
		return;
	text = PQgetvalue(res, 0, 0);
	if (a->list_text && !strcmp(a->list_text, text))
		return;
	list = json_loads(text, 0, NULL);
	if (!list)
		return;
	free(a->list_text);
	a->list_text = cc_xstrdup(text);
	json_decref(a->list);
	a->list = list;
	if (a->on_list)
		a->on_list(a->arg, list);
}

static void refresh_list(struct cc_alerts *a)
{
	if (!a->pc || cc_pgconn_state(a->pc) != CC_PG_READY || a->list_in_flight)
		return;
	if (!cc_pgconn_query(
		    a->pc,
		    "SELECT coalesce(json_agg(x ORDER BY x.state DESC, x.id DESC), '[]')::text FROM ("
		    " SELECT a.id, r.name AS rule, a.severity, a.state, a.partner, a.metric, a.site,"
		    " a.summary, a.value, a.started_at, a.fired_at, a.resolved_at, a.acked_by,"
		    " a.acked_at, a.escalation_level, a.silenced,"
		    " l.metric_label, l.partner_label, l.site_label,"
		    " (SELECT coalesce(json_agg(json_build_object('person', o.person, 'name',"
		    "  coalesce(p.label, o.person), 'channel',"
		    "  o.channel, 'event', o.event, 'sent_at', o.sent_at, 'attempts', o.attempts,"
		    "  'last_error', o.last_error) ORDER BY o.id), '[]')"
		    "  FROM commcell.outbox o LEFT JOIN commcell.person p ON p.name = o.person"
		    "  WHERE o.alert_id = a.id) AS notifications"
		    " FROM commcell.alert a JOIN commcell.alert_rule r ON r.id = a.rule_id,"
		    " jsonb_to_record(commcell.series_labels(a.partner, a.metric, a.site))"
		    "  AS l (metric_label text, partner_label text, site_label text)"
		    " WHERE a.state IN ('pending', 'firing')"
		    " OR a.resolved_at > now() - interval '1 hour') x",
		    0, NULL, list_done, a))
		a->list_in_flight = true;
}

static void result_done(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	struct cc_alerts *a = arg;

	(void)pc;
	(void)res;
	if (err)
		cc_warn("alerts: could not record a delivery (it will be sent again when its claim "
			"expires): %s", err);
	refresh_list(a);
}

static void sent(void *arg, bool ok, const char *detail)
{
	struct delivery *d = arg;
	struct cc_alerts *a = d->a;
	const char *params[4] = { d->id, ok ? "true" : "false", detail ? detail : "", a->instance };

	if (d->prev)
		d->prev->next = d->next;
	else
		a->flying = d->next;
	if (d->next)
		d->next->prev = d->prev;
	a->delivering--;
	if (ok)
		a->sent++;
	else
		a->failed++;
	if (!ok)
		cc_warn("alerts: delivery of outbox %s failed: %s", d->id, detail ? detail : "?");
	if (!a->pc || cc_pgconn_query(a->pc, "SELECT commcell.outbox_result($1, $2, $3, $4)", 4,
				      params, result_done, a))
		cc_warn("alerts: hub unreachable: delivery %s of outbox %s is not recorded and will be "
			"sent again", ok ? "success" : "failure", d->id);
	free(d->id);
	free(d);
	deliver(a);
}

/* The notification in words for a command that reads no JSON: COMMCELL_SUBJECT and the keys
 * with their labels beside them, as in the JSON on its stdin. Values with a NUL are left out. */
static char **exec_env(json_t *payload)
{
	static const struct {
		const char *var, *object, *key;
	} vars[] = {
		{ "COMMCELL_EVENT", NULL, "event" },
		{ "COMMCELL_SUBJECT", NULL, "subject" },
		{ "COMMCELL_DEDUP_KEY", NULL, "dedup_key" },
		{ "COMMCELL_ACK_URL", NULL, "ack_url" },
		{ "COMMCELL_SEVERITY", "alert", "severity" },
		{ "COMMCELL_RULE", "alert", "rule" },
		{ "COMMCELL_SUMMARY", "alert", "summary" },
		{ "COMMCELL_METRIC", "alert", "metric" },
		{ "COMMCELL_METRIC_LABEL", "alert", "metric_label" },
		{ "COMMCELL_PARTNER", "alert", "partner" },
		{ "COMMCELL_PARTNER_LABEL", "alert", "partner_label" },
		{ "COMMCELL_SITE", "alert", "site" },
		{ "COMMCELL_SITE_LABEL", "alert", "site_label" },
	};
	size_t n_vars = sizeof vars / sizeof vars[0], n = 0;
	char **env = cc_xcalloc(n_vars + 1, sizeof *env);

	for (size_t i = 0; i < n_vars; i++) {
		json_t *from = vars[i].object ? json_object_get(payload, vars[i].object) : payload;
		json_t *v = json_object_get(from, vars[i].key);
		const char *text = json_string_value(v);
		if (!text || strlen(text) != json_string_length(v))
			continue;
		env[n++] = cc_xasprintf("%s=%s", vars[i].var, text);
	}
	return env;
}

static void start_one(struct cc_alerts *a, PGresult *res, int i)
{
	const char *id = PQgetvalue(res, i, 0), *channel = PQgetvalue(res, i, 1);
	const char *target = PQgetvalue(res, i, 2);
	const char *secret = PQgetisnull(res, i, 3) ? NULL : PQgetvalue(res, i, 3);
	const char *payload = PQgetvalue(res, i, 4), *dedup = PQgetvalue(res, i, 5);
	struct delivery *d = cc_xcalloc(1, sizeof *d);
	json_t *p = json_loads(payload, 0, NULL);
	char detail[256] = "";
	int rc = -1;

	d->a = a;
	d->id = cc_xstrdup(id);
	d->next = a->flying;
	if (a->flying)
		a->flying->prev = d;
	a->flying = d;
	if (!strcmp(channel, "webhook")) {
		rc = cc_sender_webhook(a->sender, target, payload, dedup, secret, SEND_TIMEOUT_MS, sent,
				       d);
	} else if (!strcmp(channel, "email")) {
		if (!a->smtp.url || !a->smtp.from) {
			snprintf(detail, sizeof detail,
				 "no SMTP server configured (smtp_url and smtp_from)");
		} else {
			rc = cc_sender_email(a->sender, &a->smtp, target,
					     json_string_value(json_object_get(p, "subject")),
					     json_string_value(json_object_get(p, "text")), dedup,
					     SEND_TIMEOUT_MS, sent, d);
		}
	} else if (!strcmp(channel, "exec")) {
		json_t *argv = json_loads(target, 0, NULL);
		size_t n = json_array_size(argv);
		const char **args = cc_xcalloc(n + 1, sizeof *args);
		for (size_t j = 0; j < n; j++)
			args[j] = json_string_value(json_array_get(argv, j));
		char **env = exec_env(p);
		if (n && args[0])
			rc = cc_sender_exec_env(a->sender, args, (const char *const *)env, payload,
						SEND_TIMEOUT_MS, sent, d);
		for (size_t k = 0; env[k]; k++)
			free(env[k]);
		free(env);
		free(args);
		json_decref(argv);
	}
	json_decref(p);
	if (rc) {
		/* could not even start: record the failure so it is retried with backoff */
		if (!*detail) {
			char *full = cc_xasprintf("cannot start a %s delivery to %s", channel,
						  target);
			cc_utf8_copy(detail, sizeof detail, full);
			free(full);
		}
		a->delivering++;
		sent(d, false, detail);
		return;
	}
	a->delivering++;
}

static void claimed(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	struct cc_alerts *a = arg;

	(void)pc;
	a->claim_in_flight = false;
	if (err) {
		if (res)
			cc_error("alerts: claiming notifications failed: %s", err);
		return;
	}
	for (int i = 0; i < PQntuples(res); i++)
		start_one(a, res, i);
}

static void deliver(struct cc_alerts *a)
{
	char limit[16];
	const char *params[1] = { limit };

	if (!a->active || !a->pc || cc_pgconn_state(a->pc) != CC_PG_READY || a->claim_in_flight ||
	    a->delivering >= MAX_IN_FLIGHT || !a->sender)
		return;
	snprintf(limit, sizeof limit, "%zu", MAX_IN_FLIGHT - a->delivering);
	if (!cc_pgconn_query(a->pc,
			     "SELECT id, channel, target, secret, payload::text, dedup_key "
			     "FROM commcell.outbox_claim($1::int, " CC_STR(CLAIM_LEASE_S) ")",
			     1, params, claimed, a))
		a->claim_in_flight = true;
}

static void deliver_fired(lws_sorted_usec_list_t *sul)
{
	struct cc_alerts *a = lws_container_of(sul, struct cc_alerts, deliver_sul);

	deliver(a);
	lws_sul_schedule(a->loop.ctx, 0, &a->deliver_sul, deliver_fired, DELIVER_MS * LWS_US_PER_MS);
}

static char *read_secret(const char *path)
{
	FILE *f = fopen(path, "r");
	char buf[512];
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		buf[--n] = '\0';
	return cc_xstrdup(buf);
}

struct cc_alerts *cc_alerts_create(const struct cc_loop *loop, struct cc_board *board,
				   const struct cc_config *cfg,
				   void (*on_list)(void *arg, json_t *alerts), void *arg)
{
	struct cc_alerts *a = cc_xcalloc(1, sizeof *a);
	char host[64] = "?";

	a->loop = *loop;
	a->board = board;
	a->on_list = on_list;
	a->arg = arg;
	a->list = json_array();
	a->sender = cc_sender_create(loop);
	if (!a->sender)
		cc_error("alerts: cannot set up outgoing notifications (libcurl); alerts will be "
			 "evaluated and queued but not sent");
	gethostname(host, sizeof host - 1);
	snprintf(a->instance, sizeof a->instance, "%s:%d", host, (int)getpid());
	cc_alerts_set_config(a, cfg);
	lws_sul_schedule(loop->ctx, 0, &a->step_sul, step_fired, STEP_MS * LWS_US_PER_MS);
	lws_sul_schedule(loop->ctx, 0, &a->deliver_sul, deliver_fired, DELIVER_MS * LWS_US_PER_MS);
	return a;
}

void cc_alerts_set_conn(struct cc_alerts *a, struct cc_pgconn *hub)
{
	a->pc = hub;
	a->step_in_flight = a->list_in_flight = a->claim_in_flight = false;
	step(a);
	deliver(a);
}

void cc_alerts_set_catalog(struct cc_alerts *a, const struct cc_catalog *cat) { a->cat = cat; }

void cc_alerts_set_config(struct cc_alerts *a, const struct cc_config *cfg)
{
	free(a->base_url);
	a->base_url = cc_config_public_base(cfg);
	a->smtp.url = cfg->smtp_url;
	a->smtp.from = cfg->smtp_from;
	a->smtp.user = cfg->smtp_user;
	a->smtp.starttls = cfg->smtp_starttls;
	if (a->smtp_password) {
		memset(a->smtp_password, 0, strlen(a->smtp_password));
		free(a->smtp_password);
		a->smtp_password = NULL;
	}
	if (cfg->smtp_password_file) {
		a->smtp_password = read_secret(cfg->smtp_password_file);
		if (!a->smtp_password)
			cc_error("alerts: cannot read smtp_password_file %s", cfg->smtp_password_file);
	}
	a->smtp.password = a->smtp_password;
}

void cc_alerts_poke(struct cc_alerts *a) { step(a); }

void cc_alerts_set_active(struct cc_alerts *a, bool active)
{
	a->active = active;
	if (active) {
		step(a);
		deliver(a);
	}
}

json_t *cc_alerts_list(const struct cc_alerts *a) { return a->list; }

json_t *cc_alerts_stats(const struct cc_alerts *a)
{
	return json_pack("{s:I,s:I,s:I,s:I,s:I}", "rounds", (json_int_t)a->steps, "queued",
			 (json_int_t)a->queued, "sent", (json_int_t)a->sent, "failed",
			 (json_int_t)a->failed, "in_flight", (json_int_t)a->delivering);
}

void cc_alerts_destroy(struct cc_alerts *a)
{
	if (!a)
		return;
	lws_sul_cancel(&a->step_sul);
	lws_sul_cancel(&a->deliver_sul);
	/* deliveries in flight are dropped: their claims expire and they are sent again */
	cc_sender_destroy(a->sender);
	while (a->flying) {
		struct delivery *d = a->flying;
		a->flying = d->next;
		free(d->id);
		free(d);
	}
	json_decref(a->list);
	free(a->list_text);
	free(a->base_url);
	if (a->smtp_password) {
		memset(a->smtp_password, 0, strlen(a->smtp_password));
		free(a->smtp_password);
	}
	free(a);
}
