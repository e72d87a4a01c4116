#include "feed.h"
#include "backoff.h"
#include "log.h"
#include "util.h"
#include "watermark.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct cc_feed {
	struct lws_context *ctx;
	struct cc_feed_def def;     /* own copy: the catalog may be replaced while we run */
	struct cc_feed_events ev;
	void *user;

	struct cc_pgconn *pc;       /* NULL while the partner is disconnected */
	char *sql_initial;          /* observation feeds */
	char *sql_poll;
	char *sql_listen;
	char *sql_max;

	bool loaded;                /* first load done: watermark is meaningful */
	bool in_flight;
	bool verify;                /* check the table was not reset before resuming the watermark */
	bool again;                 /* a NOTIFY or timer came while a poll was in flight */
	int64_t started_ms;         /* when the query in flight was sent */
	struct cc_watermark *wm;
	uint64_t rows, polls;
	char *error;
	int64_t last_ok_ms;
	struct cc_backoff backoff;  /* for a failing query; the connection has its own */
	lws_sorted_usec_list_t poll_sul;
};

const char *cc_feed_state_name(enum cc_feed_state s)
{
	switch (s) {
	case CC_FEED_CONNECTING: return "connecting";
	case CC_FEED_OK: return "ok";
	case CC_FEED_FAILING: return "failing";
	case CC_FEED_BACKOFF: return "backoff";
	}
	return "?";
}

static void poll_now(struct cc_feed *f);

/* Quote an SQL identifier by doubling embedded quotes. The hub's CHECK constraints already
 * restrict relation and channel to [a-z0-9_]; quoting keeps this safe if that is loosened. */
static char *quote_ident(const char *s, size_t n)
{
	char *out = cc_xmalloc(2 * n + 3), *p = out;

	*p++ = '"';
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '"')
			*p++ = '"';
		*p++ = s[i];
	}
	*p++ = '"';
	*p = '\0';
	return out;
}

static char *quote_relation(const char *relation)
{
	const char *dot = strchr(relation, '.');
	char *qs, *qt, *out;

	if (!dot)
		return quote_ident(relation, strlen(relation));
	qs = quote_ident(relation, (size_t)(dot - relation));
	qt = quote_ident(dot + 1, strlen(dot + 1));
	out = cc_xasprintf("%s.%s", qs, qt);
	free(qs);
	free(qt);
	return out;
}

/* observed_at as epoch milliseconds; NULL for 'infinity', whose conversion would fail the
 * whole query (and with it every later row of the feed) instead of just this row. */
#define EPOCH_MS_SQL(col) \
	"CASE WHEN isfinite(" col ") THEN (extract(epoch FROM " col ") * 1000)::bigint END"

static void build_sql(struct cc_feed *f)
{
	char *rel = quote_relation(f->def.relation);
	char *chan = quote_ident(f->def.channel, strlen(f->def.channel));

	/* One statement, one snapshot: the latest row per (metric, site) and the watermark agree.
	 * The recursive CTE walks the (metric, site, id) index one key at a time (a "skip scan"),
	 * so the first load costs one index probe per series, not a scan of the whole table.
	 * value::text keeps the exact stored digits; observed_at as epoch milliseconds. */
	f->sql_initial = cc_xasprintf(
		"WITH RECURSIVE k AS ("
		" (SELECT metric, site FROM %s ORDER BY metric, site LIMIT 1)"
		" UNION ALL"
		" SELECT n.metric, n.site FROM k CROSS JOIN LATERAL"
		" (SELECT metric, site FROM %s WHERE (metric, site) > (k.metric, k.site)"
		"  ORDER BY metric, site LIMIT 1) n)"
		" SELECT o.id, o.metric, o.site, o.value::text, %s, (SELECT max(id) FROM %s)"
		" FROM k CROSS JOIN LATERAL"
		" (SELECT id, metric, site, value, observed_at FROM %s"
		"  WHERE metric = k.metric AND site = k.site ORDER BY id DESC LIMIT 1) o",
		rel, rel, EPOCH_MS_SQL("o.observed_at"), rel, rel);
	f->sql_poll = cc_xasprintf(
		"SELECT id, metric, site, value::text, %s, NULL FROM %s "
		"WHERE id > $1 ORDER BY id LIMIT $2::int",
		EPOCH_MS_SQL("observed_at"), rel);
	f->sql_listen = cc_xasprintf("LISTEN %s", chan);
	f->sql_max = cc_xasprintf("SELECT coalesce(max(id), 0) FROM %s", rel);
	free(rel);
	free(chan);
}

static void poll_fired(lws_sorted_usec_list_t *sul)
{
	struct cc_feed *f = lws_container_of(sul, struct cc_feed, poll_sul);
	poll_now(f);
}

static void schedule_poll(struct cc_feed *f, int64_t ms)
{
	lws_sul_schedule(f->ctx, 0, &f->poll_sul, poll_fired, (lws_usec_t)ms * 1000);
}

static void parse_value(struct cc_row *row, PGresult *res, int i, int col)
{
	char *end;

	row->value_null = PQgetisnull(res, i, col);
	row->value_text = row->value_null ? NULL : PQgetvalue(res, i, col);
	if (!row->value_null) {
		row->value = strtod(row->value_text, &end);
		if (end == row->value_text || *end)
			row->value_null = true;
	}
}

/* A failing query: this feed only, retried with backoff; the connection stays up. */
static void feed_failed(struct cc_feed *f, const char *err)
{
	int64_t delay = cc_backoff_next(&f->backoff);

	if (!f->error || strcmp(f->error, err))
		cc_warn("feed %d (%s %s): %s; retrying in %lld ms", f->def.id, f->def.partner,
			f->def.kind == CC_FEED_QUERY ? f->def.metric : f->def.relation, err,
			(long long)delay);
	free(f->error);
	f->error = cc_xstrdup(err);
	f->verify = true;
	if (f->ev.on_batch)
		f->ev.on_batch(f, err, f->user);
	schedule_poll(f, delay);
}

static void feed_succeeded(struct cc_feed *f, bool more)
{
	if (f->error)
		cc_info("feed %d (%s): recovered", f->def.id, f->def.partner);
	f->loaded = true;
	free(f->error);
	f->error = NULL;
	cc_backoff_reset(&f->backoff);
	f->last_ok_ms = cc_now_ms();
	if (f->ev.on_batch)
		f->ev.on_batch(f, NULL, f->user);
	if (f->def.kind == CC_FEED_OBSERVATION && (more || f->again)) {
		f->again = false;
		poll_now(f);
	} else {
		f->again = false;
		schedule_poll(f, f->def.poll_interval_ms);
	}
}

/* Returns whether there may be more rows to read right away. */
static bool observation_rows(struct cc_feed *f, PGresult *res)
{
	int nrows = PQntuples(res), fresh = 0;
	bool replay = !f->loaded;
	int64_t now = cc_now_ms(), skipped;

	if (replay) {
		int64_t max_id = 0;
		if (nrows && !PQgetisnull(res, 0, 5))
			cc_parse_int64(PQgetvalue(res, 0, 5), &max_id);
		cc_watermark_reset(f->wm, max_id);
	}
	for (int i = 0; i < nrows; i++) {
		struct cc_row row;

		memset(&row, 0, sizeof row);
		if (!cc_parse_int64(PQgetvalue(res, i, 0), &row.id))
			continue;
		/* a row with no usable time still goes on, to be quarantined with the reason */
		row.observed_null = PQgetisnull(res, i, 4) ||
				    !cc_parse_int64(PQgetvalue(res, i, 4), &row.observed_ms);
		if (!replay) {
			if (cc_watermark_done(f->wm, row.id))
				continue;  /* read before a lower id that committed late */
			cc_watermark_add(f->wm, row.id, now);
		}
		row.metric = PQgetvalue(res, i, 1);
		row.site = PQgetvalue(res, i, 2);
		row.replay = replay;
		parse_value(&row, res, i, 3);
		f->rows++;
		fresh++;
		if (f->ev.on_row)
			f->ev.on_row(f, &row, f->user);
	}
	skipped = cc_watermark_settle(f->wm, now);
	if (skipped)
		cc_warn("feed %d (%s %s): %lld ids never became visible within %d s (rolled back, or a "
			"sequence jump) and are no longer waited for", f->def.id, f->def.partner,
			f->def.relation, (long long)skipped, CC_FEED_GAP_WAIT_MS / 1000);
	return !replay && fresh > 0 && nrows >= f->def.batch_limit;
}

static void query_rows(struct cc_feed *f, PGresult *res)
{
	int nrows = PQntuples(res);

	for (int i = 0; i < nrows; i++) {
		struct cc_row row;

		memset(&row, 0, sizeof row);
		row.metric = f->def.metric;
		row.site = PQgetisnull(res, i, 0) ? "" : PQgetvalue(res, i, 0);
		row.observed_ms = f->started_ms;
		parse_value(&row, res, i, 1);
		f->rows++;
		if (f->ev.on_row)
			f->ev.on_row(f, &row, f->user);
	}
}

static void result_cb(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	struct cc_feed *f = arg;
	int want = f->def.kind == CC_FEED_QUERY ? 2 : 6;
	char msg[320];

	(void)pc;
	f->in_flight = false;
	f->polls++;
	if (err) {
		/* A dropped connection (no res) is the partner's to report; a failing query ours. */
		if (res)
			feed_failed(f, cc_feed_explain_error(&f->def, res, err, msg, sizeof msg));
		return;
	}
	if (PQnfields(res) != want) {
		snprintf(msg, sizeof msg,
			 "query returned %d columns; a query feed must return (site text, value "
			 "double precision)", PQnfields(res));
		feed_failed(f, msg);
		return;
	}
	if (f->def.kind == CC_FEED_QUERY) {
		query_rows(f, res);
		feed_succeeded(f, false);
	} else {
		feed_succeeded(f, observation_rows(f, res));
	}
}

/* After a failure or a reconnect the table may have been dropped and recreated, or restored
 * from a backup, with ids starting again below our watermark: rows above it would never come.
 * Seeing max(id) below the watermark, start again with a first load. */
static void verify_cb(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	struct cc_feed *f = arg;
	int64_t max_id;

	(void)pc;
	f->in_flight = false;
	if (err) {
		if (res)
			feed_failed(f, err);
		return;
	}
	f->verify = false;
	if (PQntuples(res) == 1 && cc_parse_int64(PQgetvalue(res, 0, 0), &max_id) &&
	    max_id < cc_watermark_high(f->wm)) {
		cc_warn("feed %d (%s %s): highest id %lld is below the watermark %lld: the table was "
			"reset; loading it afresh", f->def.id, f->def.partner, f->def.relation,
			(long long)max_id, (long long)cc_watermark_high(f->wm));
		f->loaded = false;
		cc_watermark_reset(f->wm, 0);
	}
	poll_now(f);
}

static void poll_now(struct cc_feed *f)
{
	char wm[32], limit[32];
	const char *params[2] = { wm, limit };
	int rc;

	if (!f->pc || cc_pgconn_state(f->pc) != CC_PG_READY)
		return;
	if (f->in_flight) {
		f->again = true;
		return;
	}
	lws_sul_cancel(&f->poll_sul);
	f->in_flight = true;
	f->started_ms = cc_now_ms();
	if (f->def.kind == CC_FEED_QUERY) {
		rc = cc_feed_run_query(f->pc, &f->def, f->started_ms, result_cb, f);
	} else if (f->loaded && f->verify) {
		rc = cc_pgconn_query_timeout(f->pc, f->def.statement_timeout_ms, f->sql_max, 0, NULL,
					     verify_cb, f);
	} else if (!f->loaded) {
		rc = cc_pgconn_query_timeout(f->pc, f->def.statement_timeout_ms, f->sql_initial, 0,
					     NULL, result_cb, f);
	} else {
		/* rows already read above a hole come back too: make room for them in the batch */
		snprintf(wm, sizeof wm, "%" PRId64, cc_watermark_low(f->wm));
		snprintf(limit, sizeof limit, "%zu",
			 (size_t)f->def.batch_limit + cc_watermark_pending(f->wm));
		rc = cc_pgconn_query_timeout(f->pc, f->def.statement_timeout_ms, f->sql_poll, 2,
					     params, result_cb, f);
	}
	if (rc)
		f->in_flight = false;
}

void cc_feed_instant(int64_t epoch_ms, char *buf, size_t len)
{
	cc_format_iso(epoch_ms, buf, len);
}

int cc_feed_run_query(struct cc_pgconn *pc, const struct cc_feed_def *def, int64_t epoch_ms,
		      cc_pg_result_cb cb, void *arg)
{
	char at[CC_FEED_INSTANT_LEN];
	const char *params[1] = { at };

	if (!def->as_of)
		return cc_pgconn_query_timeout(pc, def->statement_timeout_ms, def->query, 0, NULL,
					       cb, arg);
	cc_feed_instant(epoch_ms, at, sizeof at);
	return cc_pgconn_query_timeout(pc, def->statement_timeout_ms, def->query, 1, params, cb,
				       arg);
}

const char *cc_feed_explain_error(const struct cc_feed_def *def, const PGresult *res,
				  const char *err, char *buf, size_t len)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	if (def->kind != CC_FEED_QUERY || !state)
		return err;
	/* 08P01: the bind message and the query disagree on how many parameters there are */
	if (def->as_of && !strcmp(state, "08P01"))
		snprintf(buf, len, "the feed is set to take the instant as $1 (as_of) but its query "
			 "has no $1: write $1::timestamptz where it says now(), or turn as_of off");
	else if (!def->as_of && (!strcmp(state, "42P02") || !strcmp(state, "08P01")))
		snprintf(buf, len, "the query uses $1 but the feed is not set to take the instant "
			 "(as_of): turn as_of on, or take $1 out of the query");
	else if (def->as_of && !strcmp(state, "42P18"))
		snprintf(buf, len, "the query does not say what type $1 is: write $1::timestamptz");
	else
		return err;
	return buf;
}

static void listen_cb(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	struct cc_feed *f = arg;

	(void)pc;
	if (err && res)
		cc_warn("feed %d (%s): LISTEN failed, relying on polling: %s", f->def.id,
			f->def.partner, err);
}

static char *dup_or_null(const char *s) { return s ? cc_xstrdup(s) : NULL; }

struct cc_feed *cc_feed_create(struct lws_context *ctx, const struct cc_feed_def *def,
			       const struct cc_feed_events *ev, void *user)
{
	struct cc_feed *f = cc_xcalloc(1, sizeof *f);
	int64_t max_backoff = def->poll_interval_ms > 60000 ? def->poll_interval_ms : 60000;

	f->ctx = ctx;
	f->def = *def;
	f->def.partner = cc_xstrdup(def->partner);
	f->def.relation = dup_or_null(def->relation);
	f->def.channel = dup_or_null(def->channel);
	f->def.metric = dup_or_null(def->metric);
	f->def.query = dup_or_null(def->query);
	f->ev = *ev;
	f->user = user;
	f->wm = cc_watermark_create(CC_FEED_GAP_WAIT_MS, CC_FEED_MAX_PENDING_IDS);
	cc_backoff_init(&f->backoff, 1000, max_backoff,
			(uint64_t)(uintptr_t)f ^ (uint64_t)cc_mono_ms() ^ (uint64_t)def->id);
	if (f->def.kind == CC_FEED_OBSERVATION)
		build_sql(f);
	return f;
}

void cc_feed_attach(struct cc_feed *f, struct cc_pgconn *pc)
{
	f->pc = pc;
	f->in_flight = false;
	f->again = false;
	f->verify = true;
	if (f->def.kind == CC_FEED_OBSERVATION)
		cc_pgconn_query(pc, f->sql_listen, 0, NULL, listen_cb, f);
	poll_now(f);
}

void cc_feed_detach(struct cc_feed *f)
{
	f->pc = NULL;
	f->in_flight = false;
	f->again = false;
	lws_sul_cancel(&f->poll_sul);
}

void cc_feed_notify(struct cc_feed *f, const char *channel)
{
	if (f->def.kind == CC_FEED_OBSERVATION && !strcmp(channel, f->def.channel))
		poll_now(f);
}

enum cc_feed_state cc_feed_state(const struct cc_feed *f)
{
	/* the connection's own states (connecting, backoff) are the partner's to add */
	if (f->error)
		return CC_FEED_FAILING;
	return f->loaded ? CC_FEED_OK : CC_FEED_CONNECTING;
}

const struct cc_feed_def *cc_feed_def(const struct cc_feed *f) { return &f->def; }
int64_t cc_feed_watermark(const struct cc_feed *f) { return cc_watermark_high(f->wm); }
const struct cc_watermark *cc_feed_position(const struct cc_feed *f) { return f->wm; }
uint64_t cc_feed_rows(const struct cc_feed *f) { return f->rows; }
uint64_t cc_feed_polls(const struct cc_feed *f) { return f->polls; }
bool cc_feed_loaded(const struct cc_feed *f) { return f->loaded; }
const char *cc_feed_error(const struct cc_feed *f) { return f->error; }
int64_t cc_feed_last_ok_ms(const struct cc_feed *f) { return f->last_ok_ms; }

void cc_feed_destroy(struct cc_feed *f)
{
	if (!f)
		return;
	lws_sul_cancel(&f->poll_sul);
	free(f->def.partner);
	free(f->def.relation);
	free(f->def.channel);
	free(f->def.metric);
	free(f->def.query);
	free(f->sql_initial);
	free(f->sql_poll);
	free(f->sql_listen);
	free(f->sql_max);
	free(f->error);
	cc_watermark_destroy(f->wm);
	free(f);
}
