#include "app.h"
#include "alerts.h"
#include "backfill.h"
#include "bus.h"
#include "daily.h"
#include "fanout.h"
#include "leader.h"
#include "replica.h"
#include "hub.h"
#include "log.h"
#include "meeting.h"
#include "partner.h"
#include "recorder.h"
#include "reload.h"
#include "rowcheck.h"
#include "sdnotify.h"
#include "signals.h"
#include "tls.h"
#include "utf8.h"
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TICK_MS 1000
#define HEARTBEAT_MS 10000
/* A display that has taken nothing for this long while changes piled up is gone or stuck. */
#define STALLED_CLIENT_MS 60000
#define MAINTAIN_MS (3600 * 1000)
/* Rows waiting for the hub while it is unreachable: about 100 MB at the most. */
#define RECORDER_MAX_ROWS 500000
/* How long a graceful stop waits for pending history to reach the hub. */
#define DRAIN_MS 3000
enum reject {
	REJ_NULL, REJ_NONFINITE, REJ_UNKNOWN, REJ_FUTURE, REJ_DUPLICATE, REJ_TIME, REJ_TEXT,
	REJ_COUNT
};
static const char *const reject_names[REJ_COUNT] = {
	"null_value", "non_finite_value", "unknown_metric", "future_observed_at", "duplicate",
	"bad_observed_at", "bad_text",
};
/* The board's own reasons in words, for the quarantine table and the board. */
#define UNKNOWN_WORDS "no such metric is defined for this partner"
#define DUPLICATE_WORDS "a value with the same observed_at was already received"

struct cc_app {
	/* The app owns the running configuration; a reload replaces it whole and hands the new
	 * one to each module through its setter before the old one is freed. */
	struct cc_config *cfg;
	char *config_path;
	struct cc_app_front front;
	struct lws_context *lws;
	struct lws_vhost *vh;
	struct cc_loop loop;

	struct cc_hub *hub;
	struct cc_catalog *cat;
	struct cc_board *board;
	struct cc_bus *bus;
	struct cc_fanout *fanout;
	struct cc_recorder *recorder;
	struct cc_alerts *alerts;
	struct cc_leader *leader;
	struct cc_backfill *backfill;   /* history from partners' rows, while leading */
	struct cc_daily *daily;      /* the leader keeps commcell.daily up to date */
	struct cc_replica *replica;
	struct cc_meeting *meeting;  /* goals and open actions, for every display */
	char instance[128];
	struct cc_authstore *auth;
	struct cc_sdnotify *notify;   /* systemd: readiness, status, watchdog, stopping */
	struct cc_partner **partners;
	size_t n_partners;

	bool stopping;
	bool hub_up;
	uint64_t rejected[REJ_COUNT];
	uint64_t deltas;
	lws_sorted_usec_list_t tick_sul, beat_sul, maintain_sul, drain_sul;
	bool draining;
};

static void announce_level(struct cc_app *app, int64_t now)
{
	json_t *o = cc_board_level_json(app->board);
	const char *reason;
	int level = cc_board_level(app->board, &reason);
	char iso[40], *text;
	struct cc_msg *m;

	cc_info("system escalation level is now OPEL %d: %s", level, reason);
	cc_format_iso(now, iso, sizeof iso);
	json_object_set_new(o, "type", json_string("level"));
	json_object_set_new(o, "changed_at", json_string(iso));
	text = json_dumps(o, JSON_COMPACT);
	if (text) {
		m = cc_msg_create(text, strlen(text));
		cc_bus_broadcast(app->bus, m);
		cc_msg_unref(m);
		free(text);
	}
	cc_recorder_level(app->recorder, level, json_string_value(json_object_get(o, "label")),
			  reason, now);
	json_decref(o);
}

static void publish(struct cc_app *app)
{
	int64_t now = cc_now_ms();
	struct cc_msg *m = cc_board_flush(app->board, now);

	if (!m)
		return;
	app->deltas++;
	cc_bus_broadcast(app->bus, m);
	cc_msg_unref(m);
	if (cc_board_take_level_change(app->board))
		announce_level(app, now);
}

/* A bad row never becomes a value on the board: it goes to quarantine with the reason, is
 * counted, and the last good value stays, marked with why. */
static void reject_row(struct cc_app *app, struct cc_partner *p, const struct cc_feed_def *feed,
		       const struct cc_row *row, enum reject kind, const char *why)
{
	app->rejected[kind]++;
	cc_warn("partner %s: rejected row%s%lld (metric '%s', site '%s'): %s", cc_partner_name(p),
		row->id ? " id " : "", (long long)row->id, row->metric ? row->metric : "",
		row->site ? row->site : "", why);
	/* the recorder makes the text storable; a row without a usable time is kept without it */
	cc_recorder_quarantine(app->recorder, cc_partner_name(p), feed->id, row->id, row->metric,
			       row->site, row->value_text, row->observed_null ? 0 : row->observed_ms,
			       why);
	if (kind != REJ_TEXT)
		cc_board_mark_rejected(app->board, cc_partner_name(p), row->metric, row->site, why,
				       cc_now_ms());
}

static enum reject reject_kind(enum cc_row_fault f)
{
	switch (f) {
	case CC_ROW_NULL_VALUE: return REJ_NULL;
	case CC_ROW_NONFINITE: return REJ_NONFINITE;
	case CC_ROW_FUTURE: return REJ_FUTURE;
	case CC_ROW_BAD_TIME: return REJ_TIME;
	case CC_ROW_OK:
	case CC_ROW_BAD_TEXT: break;
	}
	return REJ_TEXT;
}

static void on_row(struct cc_partner *p, const struct cc_feed_def *feed, const struct cc_row *row,
		   void *user)
{
	struct cc_app *app = user;
	int64_t now = cc_now_ms();
	enum cc_row_fault fault;
	char why[256];
	bool record;

	if ((fault = cc_rowcheck_fault(row, now, why, sizeof why)) != CC_ROW_OK)
		return reject_row(app, p, feed, row, reject_kind(fault), why);
	switch (cc_board_observe(app->board, cc_partner_name(p), row->metric, row->site, row->value,
				 row->observed_ms, row->replay, now, &record)) {
	case CC_OBS_UNKNOWN_METRIC:
		return reject_row(app, p, feed, row, REJ_UNKNOWN, UNKNOWN_WORDS);
	case CC_OBS_DUPLICATE:
		return reject_row(app, p, feed, row, REJ_DUPLICATE, DUPLICATE_WORDS);
	case CC_OBS_OK:
	case CC_OBS_OLDER:
		break;
	}
	if (record)
		cc_recorder_history(app->recorder, cc_partner_name(p), row->metric, row->site,
				    row->value, row->observed_ms);
	/* followers see what the board holds: the newest good value per series */
	cc_replica_value(app->replica, cc_partner_name(p), row->metric, row->site, row->value,
			 row->observed_ms);
}

static void on_partner_change(struct cc_partner *p, void *user)
{
	struct cc_app *app = user;

	int64_t now = cc_now_ms();
	json_t *feed_errors = json_array();

	cc_board_partner_state(app->board, cc_partner_name(p), cc_partner_state(p),
			       cc_partner_reason(p), cc_partner_error(p), now);
	for (size_t i = 0; i < cc_partner_feed_count(p); i++) {
		const struct cc_feed *f = cc_partner_feed(p, i);
		const struct cc_feed_def *d = cc_feed_def(f);
		const char *metric = d->kind == CC_FEED_QUERY ? d->metric : NULL;
		char *error = cc_feed_error(f) ? cc_xasprintf("feed query failing: %s",
							      cc_feed_error(f))
					       : NULL;
		cc_board_feed_error(app->board, cc_partner_name(p), metric, error, now);
		if (error) {
			/* a partner's error text may carry any bytes; followers need valid JSON */
			json_t *fe = json_object();
			char *clean = cc_xmalloc(strlen(error) + 1);
			json_object_set_new(fe, "metric", metric ? json_string(metric) : json_null());
			json_object_set_new(fe, "error",
					    json_string(cc_utf8_copy(clean, strlen(error) + 1, error)));
			json_array_append_new(feed_errors, fe);
			free(clean);
		}
		free(error);
	}
	cc_replica_partner(app->replica, cc_partner_name(p), cc_partner_state(p),
			   cc_partner_reason(p), cc_partner_error(p), feed_errors);
	json_decref(feed_errors);
	cc_replica_flush(app->replica);
	publish(app);
}

static void drop_partners(struct cc_app *app)
{
	for (size_t i = 0; i < app->n_partners; i++)
		cc_partner_destroy(app->partners[i]);
	free(app->partners);
	app->partners = NULL;
	app->n_partners = 0;
}

static void on_catalog(struct cc_hub *h, struct cc_catalog *cat, void *user)
{
	static const struct cc_partner_events pev = { on_row, on_partner_change };
	struct cc_app *app = user;
	struct cc_catalog *old = app->cat;
	struct cc_partner **next = cc_xcalloc(cat->n_partners, sizeof *next);
	size_t kept = 0;

	(void)h;
	/* A partner whose connection and feeds are unchanged keeps running (its watermarks and
	 * connection survive an edit of, say, a threshold); any other is rebuilt, and its first
	 * load brings its latest values back. */
	for (size_t i = 0; i < cat->n_partners; i++) {
		for (size_t j = 0; j < app->n_partners; j++) {
			if (app->partners[j] && cc_partner_same(app->partners[j], &cat->partners[i], cat)) {
				next[i] = app->partners[j];
				app->partners[j] = NULL;
				kept++;
				break;
			}
		}
	}
	drop_partners(app);
	app->cat = cat;
	cc_board_set_catalog(app->board, cat, cc_now_ms());
	cc_alerts_set_catalog(app->alerts, cat);
	cc_catalog_destroy(old);
	if (!cc_leader_leading(app->leader)) {
		/* a follower reads partners' values from the hub, not from the partners */
		free(next);
		cc_replica_poke(app->replica);
		publish(app);
		return;
	}
	app->partners = next;
	app->n_partners = cat->n_partners;
	for (size_t i = 0; i < cat->n_partners; i++) {
		if (next[i]) {
			on_partner_change(next[i], app);  /* the board's partner list was rebuilt */
			continue;
		}
		next[i] = cc_partner_create(&app->loop, &cat->partners[i], cat, &pev, app);
		cc_partner_start(next[i]);
	}
	cc_backfill_start(app->backfill, cat, app->cfg->backfill_days);
	cc_info("configuration applied: %zu partners kept running, %zu (re)started", kept,
		cat->n_partners - kept);
	publish(app);
}

static void start_partners(struct cc_app *app)
{
	static const struct cc_partner_events pev = { on_row, on_partner_change };

	drop_partners(app);
	if (!app->cat)
		return;
	app->partners = cc_xcalloc(app->cat->n_partners, sizeof *app->partners);
	app->n_partners = app->cat->n_partners;
	for (size_t i = 0; i < app->cat->n_partners; i++) {
		app->partners[i] = cc_partner_create(&app->loop, &app->cat->partners[i], app->cat,
						     &pev, app);
		cc_partner_start(app->partners[i]);
	}
}

/* Leading: poll the partners, record history, run alerts, publish to followers. Following:
 * none of that; read the leader's board from the hub. */
static void leadership_changed(void *arg, bool leading)
{
	struct cc_app *app = arg;

	cc_replica_follow(app->replica, !leading);
	cc_alerts_set_active(app->alerts, leading);
	cc_daily_set_leading(app->daily, leading);
	if (leading)
		start_partners(app);
	else
		drop_partners(app);
	if (leading && app->cat)
		cc_backfill_start(app->backfill, app->cat, app->cfg->backfill_days);
	else
		cc_backfill_stop(app->backfill);
	publish(app);
}

static void replica_applied(void *arg)
{
	struct cc_app *app = arg;

	publish(app);
}

static void on_hub_notify(struct cc_hub *h, const char *channel, const char *payload, void *user)
{
	struct cc_app *app = user;

	(void)h;
	if (!strcmp(channel, "commcell_current"))
		cc_replica_poke(app->replica);
	else if (!strcmp(channel, "commcell_meeting"))
		cc_meeting_changed(app->meeting, payload);
}

static void on_hub_state(struct cc_hub *h, bool up, const char *reason, void *user)
{
	struct cc_app *app = user;

	(void)reason;
	app->hub_up = up;
	if (up) {
		cc_replica_set_conn(app->replica, cc_hub_conn(h));
		cc_alerts_set_conn(app->alerts, cc_hub_conn(h));
		cc_recorder_set_conn(app->recorder, cc_hub_conn(h));
		cc_backfill_set_hub(app->backfill, cc_hub_conn(h));
		cc_meeting_set_conn(app->meeting, cc_hub_conn(h));
		cc_recorder_maintain(app->recorder, app->cfg->history_retention_days);
	}
}

static void maintain(lws_sorted_usec_list_t *sul)
{
	struct cc_app *app = lws_container_of(sul, struct cc_app, maintain_sul);

	cc_recorder_maintain(app->recorder, app->cfg->history_retention_days);
	lws_sul_schedule(app->lws, 0, &app->maintain_sul, maintain, MAINTAIN_MS * LWS_US_PER_MS);
}

static void tick(lws_sorted_usec_list_t *sul)
{
	struct cc_app *app = lws_container_of(sul, struct cc_app, tick_sul);

	char why[256];

	if (app->draining && !cc_recorder_pending(app->recorder))
		app->stopping = true;
	/* tells systemd too: READY=1 at most a tick after the daemon became ready, unless a
	 * /readyz request saw it first */
	(void)cc_app_ready(app, why, sizeof why);
	cc_board_tick(app->board, cc_now_ms());
	publish(app);
	lws_sul_schedule(app->lws, 0, &app->tick_sul, tick, TICK_MS * LWS_US_PER_MS);
}

static void beat(lws_sorted_usec_list_t *sul)
{
	struct cc_app *app = lws_container_of(sul, struct cc_app, beat_sul);
	struct cc_msg *m = cc_board_beat(app->board, "heartbeat", cc_now_ms());
	size_t dropped = cc_bus_drop_stalled(app->bus, STALLED_CLIENT_MS);

	if (dropped)
		cc_warn("ws: disconnected %zu client(s) that stopped reading for %d s", dropped,
			STALLED_CLIENT_MS / 1000);
	cc_bus_broadcast(app->bus, m);
	cc_msg_unref(m);
	lws_sul_schedule(app->lws, 0, &app->beat_sul, beat, HEARTBEAT_MS * LWS_US_PER_MS);
}

static struct cc_msg *snapshot(void *user)
{
	struct cc_app *app = user;
	return cc_board_snapshot(app->board, cc_now_ms());
}

/* A status changed: let the alert engine look now rather than at its next round. */
static void status_changed(void *arg, const struct cc_board_view *v, enum cc_status old)
{
	struct cc_app *app = arg;

	(void)v;
	(void)old;
	cc_alerts_poke(app->alerts);
}

/* A list shown with the board changed (alerts, goals, actions): snapshots carry it from now
 * on, and every display gets it whole as {"type": name, name: list}. */
static void list_changed(void *arg, const char *name, json_t *list)
{
	struct cc_app *app = arg;
	json_t *o = json_pack("{s:s,s:O}", "type", name, name, list);
	char *text = o ? json_dumps(o, JSON_COMPACT | JSON_REAL_PRECISION(15)) : NULL;
	struct cc_msg *m;

	json_decref(o);
	cc_board_set_list(app->board, name, json_incref(list));
	if (!text)
		return;  /* out of memory: the next snapshot carries the list */
	m = cc_msg_create(text, strlen(text));
	cc_bus_broadcast(app->bus, m);
	cc_msg_unref(m);
	free(text);
}

static void alerts_changed(void *arg, json_t *alerts)
{
	list_changed(arg, "alerts", alerts);
}

static void restart_only(const char *key, void *arg)
{
	(void)arg;
	cc_warn("reload: %s changed: takes effect at restart", key);
}

/* SIGHUP. A file that does not load (syntax, values, an unreadable or mismatched certificate)
 * changes nothing: the daemon runs on as it was and says why on one line. */
static void reload(struct cc_app *app)
{
	struct cc_config *next, *old = app->cfg;
	char err[1024], about[200];

	next = cc_config_load(app->config_path, err, sizeof err);
	if (!next) {
		cc_error("reload: %s; keeping the running configuration", err);
		return;
	}
	cc_reload_keep_restart_only(next, old, restart_only, NULL);
	if (app->front.set_config(app->front.front, next, err, sizeof err)) {
		cc_error("reload: %s: %s; keeping the running configuration", app->config_path, err);
		cc_config_destroy(next);
		return;
	}
	cc_log_set_level(next->log_level);
	cc_log_hook_lws();   /* lws's own lines follow the level too */
	cc_authstore_set_anonymous_display(app->auth, next->allow_anonymous_display);
	cc_alerts_set_config(app->alerts, next);
	app->cfg = next;
	cc_config_destroy(old);
	if (next->tls_cert_file) {
		if (cc_tls_reload(app->lws, next->tls_cert_file, next->tls_key_file, err, sizeof err))
			cc_error("reload: %s; keeping the running certificate", err);
		else {
			cc_tls_describe(next->tls_cert_file, about, sizeof about);
			cc_info("reload: TLS certificate loaded for new connections (%s)", about);
		}
	}
	cc_info("reload: configuration reloaded from %s", app->config_path);
}

static void on_signal(int signo, void *user)
{
	struct cc_app *app = user;

	if (signo == SIGHUP) {
		reload(app);
		return;
	}
	cc_info("received signal %d; shutting down", signo);
	cc_app_stop(app);
}

struct cc_app *cc_app_create(struct cc_config *cfg, const char *config_path,
			     const struct cc_app_front *front, char *err, size_t errlen)
{
	static const struct cc_hub_events hev = { on_catalog, on_hub_state, on_hub_notify };
	char host[64] = "?";
	struct lws_context_creation_info info;
	struct cc_app *app = cc_xcalloc(1, sizeof *app);

	app->cfg = cfg;
	app->config_path = cc_xstrdup(config_path);
	app->front = *front;
	memset(&info, 0, sizeof info);
	front->setup(front->front, &info);
	info.port = cfg->listen_port;
	info.iface = cfg->listen_address;
	info.user = app;
	info.options |= LWS_SERVER_OPTION_VALIDATE_UTF8 | LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND;
	info.vhost_name = "commcell";
	app->lws = lws_create_context(&info);
	if (!app->lws) {
		snprintf(err, errlen, "cannot start the HTTP server on %s:%d (is the port in use?)",
			 cfg->listen_address ? cfg->listen_address : "*", cfg->listen_port);
		cc_config_destroy(cfg);
		free(app->config_path);
		free(app);
		return NULL;
	}
	app->vh = lws_get_vhost_by_name(app->lws, "commcell");
	if (!app->vh || cc_signals_watch(app->vh, on_signal, app)) {
		snprintf(err, errlen, "cannot set up the event loop");
		lws_context_destroy(app->lws);
		cc_config_destroy(cfg);
		free(app->config_path);
		free(app);
		return NULL;
	}
	app->loop.ctx = app->lws;
	app->loop.vh = app->vh;
	app->notify = cc_sdnotify_create(app->lws);
	app->board = cc_board_create();
	app->bus = cc_bus_create(app->lws, front->ws_protocol, snapshot, app);
	if (cfg->fanout_threads != 0 && cfg->tls_cert_file)
		/* a frame sent straight to the socket would skip the encryption: with TLS every
		 * client is written through lws (and OpenSSL), on the loop */
		cc_info("TLS on: broadcasts go through the event loop alone (fanout_threads unused)");
	else if (cfg->fanout_threads != 0) {
		int threads = cfg->fanout_threads > 0 ? cfg->fanout_threads : cc_fanout_cpus();
		char ferr[160];
		app->fanout = cc_fanout_create(threads, cfg->fanout_batch, ferr, sizeof ferr);
		if (app->fanout)
			cc_bus_set_fanout(app->bus, app->fanout, front->direct_ok);
		else
			cc_warn("%s; every client is served by the event loop alone", ferr);
	}
	app->recorder = cc_recorder_create(app->lws, RECORDER_MAX_ROWS);
	app->hub = cc_hub_create(&app->loop, cfg->hub, &hev, app);
	app->alerts = cc_alerts_create(&app->loop, app->board, cfg, alerts_changed, app);
	app->replica = cc_replica_create(app->lws, app->board, replica_applied, app);
	app->meeting = cc_meeting_create(list_changed, app);
	gethostname(host, sizeof host - 1);
	snprintf(app->instance, sizeof app->instance, "%s:%d:%d", host, cfg->listen_port,
		 (int)getpid());
	app->backfill = cc_backfill_create(&app->loop, app->instance);
	app->leader = cc_leader_create(&app->loop, cfg->hub, app->instance, leadership_changed, app);
	app->daily = cc_daily_create(&app->loop, cfg->hub);
	cc_board_on_status(app->board, status_changed, app);
	app->auth = cc_authstore_create(&app->loop, cfg->hub, cfg->allow_anonymous_display, err,
					errlen);
	if (!app->auth) {
		cc_app_destroy(app);
		return NULL;
	}
	return app;
}

int cc_app_run(struct cc_app *app)
{
	cc_info("commcelld listening on %s:%d, web root %s",
		app->cfg->listen_address ? app->cfg->listen_address : "*", app->cfg->listen_port,
		app->cfg->web_root);
	cc_hub_start(app->hub);
	cc_leader_start(app->leader);
	cc_replica_follow(app->replica, true);  /* until this instance knows it leads */
	cc_authstore_start(app->auth);
	lws_sul_schedule(app->lws, 0, &app->tick_sul, tick, TICK_MS * LWS_US_PER_MS);
	lws_sul_schedule(app->lws, 0, &app->beat_sul, beat, HEARTBEAT_MS * LWS_US_PER_MS);
	lws_sul_schedule(app->lws, 0, &app->maintain_sul, maintain, MAINTAIN_MS * LWS_US_PER_MS);
	if (cc_sdnotify_watchdog_usec(app->notify))
		cc_info("systemd watchdog: %llu ms, pinged every %llu ms from the event loop",
			(unsigned long long)cc_sdnotify_watchdog_usec(app->notify) / 1000,
			(unsigned long long)cc_sdnotify_watchdog_usec(app->notify) / 2000);
	while (!app->stopping)
		if (lws_service(app->lws, 0) < 0)
			return 1;
	return 0;
}

static void drain_done(lws_sorted_usec_list_t *sul)
{
	struct cc_app *app = lws_container_of(sul, struct cc_app, drain_sul);

	app->stopping = true;
}

/* Stop accepting new work but let history already accepted reach the hub, for a short while:
 * the tick checks whether the recorder is empty. */
void cc_app_stop(struct cc_app *app)
{
	if (cc_sdnotify_stopping(app->notify, "stopping"))
		cc_warn("cannot tell systemd the daemon is stopping: %s", strerror(errno));
	if (app->draining || !cc_recorder_pending(app->recorder) || !app->hub_up) {
		app->stopping = true;
		lws_cancel_service(app->lws);
		return;
	}
	app->draining = true;
	cc_info("waiting up to %d ms for %zu history rows to reach the hub", DRAIN_MS,
		cc_recorder_pending(app->recorder));
	lws_sul_schedule(app->lws, 0, &app->drain_sul, drain_done, DRAIN_MS * LWS_US_PER_MS);
}

struct cc_bus *cc_app_bus(struct cc_app *app) { return app->bus; }
struct cc_board *cc_app_board(struct cc_app *app) { return app->board; }
const struct cc_catalog *cc_app_catalog(struct cc_app *app) { return app->cat; }
struct cc_pgconn *cc_app_hub_conn(struct cc_app *app) { return cc_hub_conn(app->hub); }
struct cc_alerts *cc_app_alerts(struct cc_app *app) { return app->alerts; }
struct cc_authstore *cc_app_auth(struct cc_app *app) { return app->auth; }

static bool readiness(struct cc_app *app, char *why, size_t len)
{
	if (!app->hub_up || !cc_hub_up(app->hub)) {
		cc_strlcpy(why, cc_hub_error(app->hub), len);
		return false;
	}
	if (!app->cat) {
		cc_strlcpy(why, "configuration not loaded yet", len);
		return false;
	}
	if (!cc_authstore_loaded(app->auth)) {
		cc_strlcpy(why, "sessions and device tokens not loaded yet", len);
		return false;
	}
	if (!cc_leader_decided(app->leader)) {
		cc_strlcpy(why, "not yet known whether this instance leads", len);
		return false;
	}
	if (!cc_leader_leading(app->leader)) {
		if (!cc_replica_loaded(app->replica)) {
			cc_strlcpy(why, "following: the leader's board not read yet", len);
			return false;
		}
		return true;
	}
	for (size_t i = 0; i < app->n_partners; i++)
		if (!cc_partner_settled(app->partners[i])) {
			snprintf(why, len, "partner %s: first load not finished",
				 cc_partner_name(app->partners[i]));
			return false;
		}
	return true;
}

/* The one readiness both /readyz and systemd see: whoever asks first after the daemon became
 * ready sends READY=1, so systemd is never told before /readyz would say 200. */
bool cc_app_ready(struct cc_app *app, char *why, size_t len)
{
	bool ok = readiness(app, why, len);
	size_t partners = app->cat ? app->cat->n_partners : 0;
	char status[320];

	if (!ok)
		snprintf(status, sizeof status, "waiting: %s", why);
	else if (cc_leader_leading(app->leader))
		snprintf(status, sizeof status, "ready: %zu partners, leader", partners);
	else
		snprintf(status, sizeof status, "ready: %zu partners, following the leader", partners);
	if (cc_sdnotify_update(app->notify, ok, status))
		cc_warn("cannot tell systemd the daemon's state: %s", strerror(errno));
	return ok;
}

bool cc_app_leading(struct cc_app *app) { return cc_leader_leading(app->leader); }
const char *cc_app_instance(struct cc_app *app) { return app->instance; }

json_t *cc_app_feeds_json(struct cc_app *app)
{
	json_t *a = json_array();

	for (size_t i = 0; i < app->n_partners; i++) {
		json_t *p = cc_partner_json(app->partners[i]), *f;
		size_t k;

		/* the backfill's progress beside each feed it looks after */
		json_array_foreach(json_object_get(p, "feeds"), k, f) {
			json_t *b = cc_backfill_feed_json(
				app->backfill, (int)json_integer_value(json_object_get(f, "id")));
			json_object_set_new(f, "backfill", b ? b : json_null());
		}
		json_array_append_new(a, p);
	}
	return a;
}

/* Prometheus text exposition; label values are partner names, restricted to [a-z0-9_]. */
char *cc_app_prometheus(struct cc_app *app)
{
	char *buf = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&buf, &size);
	char why[256];

	fprintf(f, "# HELP commcell_ready 1 when the hub is reachable and every feed was tried.\n"
		   "# TYPE commcell_ready gauge\ncommcell_ready %d\n",
		cc_app_ready(app, why, sizeof why) ? 1 : 0);
	fprintf(f, "# TYPE commcell_hub_up gauge\ncommcell_hub_up %d\n", app->hub_up ? 1 : 0);
	fprintf(f, "# HELP commcell_leader 1 when this instance polls partners and runs alerts.\n"
		   "# TYPE commcell_leader gauge\ncommcell_leader %d\n",
		cc_leader_leading(app->leader) ? 1 : 0);
	fprintf(f, "# HELP commcell_daily_refreshes_total Daily-figure refresh queries that succeeded "
		   "and failed while leading.\n# TYPE commcell_daily_refreshes_total counter\n"
		   "commcell_daily_refreshes_total{result=\"ok\"} %llu\n"
		   "commcell_daily_refreshes_total{result=\"failed\"} %llu\n",
		(unsigned long long)cc_daily_refreshes(app->daily),
		(unsigned long long)cc_daily_failures(app->daily));
	fprintf(f, "# TYPE commcell_ws_clients gauge\ncommcell_ws_clients %zu\n",
		cc_bus_clients(app->bus));
	fprintf(f, "# TYPE commcell_ws_resyncs_total counter\ncommcell_ws_resyncs_total %llu\n",
		(unsigned long long)cc_bus_resyncs(app->bus));
	fprintf(f, "# TYPE commcell_ws_stalled_dropped_total counter\n"
		   "commcell_ws_stalled_dropped_total %llu\n",
		(unsigned long long)cc_bus_dropped(app->bus));
	{
		const struct cc_bus_fanout_stats *st = cc_bus_fanout_stats(app->bus);
		fprintf(f, "# HELP commcell_fanout_frames_total Frames sent straight to a client's "
			   "socket by a broadcast, by outcome.\n"
			   "# TYPE commcell_fanout_frames_total counter\n"
			   "commcell_fanout_frames_total{outcome=\"whole\"} %llu\n"
			   "commcell_fanout_frames_total{outcome=\"partial\"} %llu\n"
			   "commcell_fanout_frames_total{outcome=\"queued\"} %llu\n"
			   "commcell_fanout_frames_total{outcome=\"failed\"} %llu\n",
			(unsigned long long)(st->direct - st->partial - st->full - st->failed),
			(unsigned long long)st->partial, (unsigned long long)st->full,
			(unsigned long long)st->failed);
		fprintf(f, "# HELP commcell_fanout_last_seconds Time the last broadcast held the loop.\n"
			   "# TYPE commcell_fanout_last_seconds gauge\ncommcell_fanout_last_seconds %.6f\n"
			   "# TYPE commcell_fanout_last_clients gauge\ncommcell_fanout_last_clients %zu\n"
			   "# TYPE commcell_fanout_last_threads gauge\ncommcell_fanout_last_threads %d\n",
			st->last_us / 1e6, st->last_clients, st->last_threads);
	}
	fprintf(f, "# TYPE commcell_board_seq gauge\ncommcell_board_seq %llu\n",
		(unsigned long long)cc_board_seq(app->board));
	fprintf(f, "# TYPE commcell_board_entries gauge\ncommcell_board_entries %zu\n",
		cc_board_entries(app->board));
	fprintf(f, "# TYPE commcell_rows_rejected_total counter\n");
	for (int i = 0; i < REJ_COUNT; i++)
		fprintf(f, "commcell_rows_rejected_total{reason=\"%s\"} %llu\n", reject_names[i],
			(unsigned long long)app->rejected[i]);
	fprintf(f, "# TYPE commcell_history_rows_written_total counter\n"
		   "commcell_history_rows_written_total %llu\n",
		(unsigned long long)cc_recorder_written(app->recorder));
	fprintf(f, "# TYPE commcell_history_rows_dropped_total counter\n"
		   "commcell_history_rows_dropped_total %llu\n",
		(unsigned long long)cc_recorder_dropped(app->recorder));
	fprintf(f, "# TYPE commcell_history_rows_pending gauge\ncommcell_history_rows_pending %zu\n",
		cc_recorder_pending(app->recorder));
	fprintf(f, "# HELP commcell_history_rows_refused_total Rows the hub refused as bad data, "
		   "found by splitting their batch; history rows among them were quarantined.\n"
		   "# TYPE commcell_history_rows_refused_total counter\n"
		   "commcell_history_rows_refused_total %llu\n",
		(unsigned long long)cc_recorder_refused(app->recorder));
	{
		unsigned long long jobs, ms;
		cc_pwhash_stats(cc_authstore_hasher(app->auth), &jobs, &ms);
		fprintf(f, "# HELP commcell_password_hashes_total Argon2id hashes and checks done.\n"
			   "# TYPE commcell_password_hashes_total counter\n"
			   "commcell_password_hashes_total %llu\n"
			   "# TYPE commcell_password_hash_seconds_total counter\n"
			   "commcell_password_hash_seconds_total %.3f\n", jobs, ms / 1000.0);
	}
	fprintf(f, "# HELP commcell_backfill_queries_total Query feeds evaluated as of a past "
		   "instant to fill history.\n"
		   "# TYPE commcell_backfill_queries_total counter\n"
		   "commcell_backfill_queries_total %llu\n"
		   "# TYPE commcell_backfill_rows_total counter\n"
		   "commcell_backfill_rows_total %llu\n"
		   "# TYPE commcell_backfill_failures_total counter\n"
		   "commcell_backfill_failures_total %llu\n",
		(unsigned long long)cc_backfill_queries(app->backfill),
		(unsigned long long)cc_backfill_rows(app->backfill),
		(unsigned long long)cc_backfill_failures(app->backfill));
	fprintf(f, "# TYPE commcell_partner_up gauge\n");
	for (size_t i = 0; i < app->n_partners; i++)
		fprintf(f, "commcell_partner_up{partner=\"%s\"} %d\n",
			cc_partner_name(app->partners[i]),
			!strcmp(cc_partner_state(app->partners[i]), "ok"));
	fprintf(f, "# TYPE commcell_feed_rows_total counter\n");
	for (size_t i = 0; i < app->n_partners; i++)
		fprintf(f, "commcell_feed_rows_total{partner=\"%s\"} %llu\n",
			cc_partner_name(app->partners[i]),
			(unsigned long long)cc_partner_rows(app->partners[i]));
	fprintf(f, "# TYPE commcell_feed_polls_total counter\n");
	for (size_t i = 0; i < app->n_partners; i++)
		fprintf(f, "commcell_feed_polls_total{partner=\"%s\"} %llu\n",
			cc_partner_name(app->partners[i]),
			(unsigned long long)cc_partner_polls(app->partners[i]));
	fclose(f);
	return buf;
}

void cc_app_destroy(struct cc_app *app)
{
	if (!app)
		return;
	lws_sul_cancel(&app->tick_sul);
	lws_sul_cancel(&app->beat_sul);
	lws_sul_cancel(&app->maintain_sul);
	lws_sul_cancel(&app->drain_sul);
	drop_partners(app);
	cc_backfill_destroy(app->backfill);
	cc_recorder_destroy(app->recorder);
	cc_alerts_destroy(app->alerts);
	cc_leader_destroy(app->leader);
	cc_daily_destroy(app->daily);
	cc_replica_destroy(app->replica);
	cc_meeting_destroy(app->meeting);
	cc_authstore_destroy(app->auth);
	cc_hub_destroy(app->hub);
	cc_sdnotify_destroy(app->notify);
	/* The context closes every client connection; their CLOSED callbacks detach from bus. */
	lws_context_destroy(app->lws);
	cc_bus_destroy(app->bus);
	cc_fanout_destroy(app->fanout);
	cc_board_destroy(app->board);
	cc_catalog_destroy(app->cat);
	/* last: the modules above held pointers into it */
	cc_config_destroy(app->cfg);
	free(app->config_path);
	free(app);
}
