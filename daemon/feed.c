#include "feed.h"
#include "log.h"
#include "util.h"

#include <errno.h>
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
	char *sql_initial;
	char *sql_poll;
	char *sql_listen;

	bool loaded;                /* first load done: watermark is meaningful */
	bool in_flight;
	bool again;                 /* a NOTIFY or timer came while a poll was in flight */
	int64_t watermark;
	uint64_t rows, polls;
	char *error;
	int64_t last_ok_ms;
	lws_sorted_usec_list_t poll_sul;
};

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
		" SELECT o.id, o.metric, o.site, o.value::text,"
		" (extract(epoch FROM o.observed_at) * 1000)::bigint, (SELECT max(id) FROM %s)"
		" FROM k CROSS JOIN LATERAL"
		" (SELECT id, metric, site, value, observed_at FROM %s"
		"  WHERE metric = k.metric AND site = k.site ORDER BY id DESC LIMIT 1) o",
		rel, rel, rel, rel);
	f->sql_poll = cc_xasprintf(
		"SELECT id, metric, site, value::text, "
		"(extract(epoch FROM observed_at) * 1000)::bigint, NULL FROM %s "
		"WHERE id > $1 ORDER BY id LIMIT %d",
		rel, f->def.batch_limit);
	f->sql_listen = cc_xasprintf("LISTEN %s", chan);
	free(rel);
	free(chan);
}
static void poll_fired(lws_sorted_usec_list_t *sul)
{
	struct cc_feed *f = lws_container_of(sul, struct cc_feed, poll_sul);
	poll_now(f);
}

static void schedule_poll(struct cc_feed *f, int ms)
{
	lws_sul_schedule(f->ctx, 0, &f->poll_sul, poll_fired, (lws_usec_t)ms * 1000);
}

static void set_error(struct cc_feed *f, const char *err)
{
	free(f->error);
	f->error = err ? cc_xstrdup(err) : NULL;
}

static bool parse_int64(const char *s, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return false;
	*out = v;
	return true;
}

static void result_cb(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	struct cc_feed *f = arg;
	int nrows;

	(void)pc;
	f->in_flight = false;
	f->polls++;
	if (err) {
		/* A dropped connection is reported by the partner; a failing query is ours to say. */
		if (res) {
			cc_warn("feed %d (%s %s): %s", f->def.id, f->def.partner, f->def.relation, err);
			set_error(f, err);
			if (f->ev.on_batch)
				f->ev.on_batch(f, err, f->user);
			schedule_poll(f, f->def.poll_interval_ms);
		}
		return;
	}
	if (PQnfields(res) != 6) {
		set_error(f, "feed query returned an unexpected shape");
		if (f->ev.on_batch)
			f->ev.on_batch(f, f->error, f->user);
		schedule_poll(f, f->def.poll_interval_ms);
		return;
	}
	nrows = PQntuples(res);
	for (int i = 0; i < nrows; i++) {
		struct cc_row row;
		char *end;

		if (!f->loaded && !PQgetisnull(res, i, 5)) {
			int64_t max_id;
			if (parse_int64(PQgetvalue(res, i, 5), &max_id) && max_id > f->watermark)
				f->watermark = max_id;
		}
		memset(&row, 0, sizeof row);
		if (!parse_int64(PQgetvalue(res, i, 0), &row.id) ||
		    !parse_int64(PQgetvalue(res, i, 4), &row.observed_ms))
			continue;
		row.metric = PQgetvalue(res, i, 1);
		row.site = PQgetvalue(res, i, 2);
		row.value_null = PQgetisnull(res, i, 3);
		if (!row.value_null) {
			const char *v = PQgetvalue(res, i, 3);
			row.value = strtod(v, &end);
			if (end == v || *end)
				row.value_null = true;
		}
		if (f->loaded && row.id > f->watermark)
			f->watermark = row.id;
		f->rows++;
		if (f->ev.on_row)
			f->ev.on_row(f, &row, f->user);
	}
	f->loaded = true;
	set_error(f, NULL);
	f->last_ok_ms = cc_now_ms();
	if (f->ev.on_batch)
		f->ev.on_batch(f, NULL, f->user);
	if (nrows >= f->def.batch_limit || f->again) {
		f->again = false;
		poll_now(f);
	} else {
		schedule_poll(f, f->def.poll_interval_ms);
	}
}

static void poll_now(struct cc_feed *f)
{
	char wm[32];
	const char *params[1] = { wm };

	if (!f->pc || cc_pgconn_state(f->pc) != CC_PG_READY)
		return;
	if (f->in_flight) {
		f->again = true;
		return;
	}
	lws_sul_cancel(&f->poll_sul);
	f->in_flight = true;
	if (!f->loaded) {
		if (cc_pgconn_query(f->pc, f->sql_initial, 0, NULL, result_cb, f))
			f->in_flight = false;
		return;
	}
	snprintf(wm, sizeof wm, "%" PRId64, f->watermark);
	if (cc_pgconn_query(f->pc, f->sql_poll, 1, params, result_cb, f))
		f->in_flight = false;
}

static void listen_cb(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	struct cc_feed *f = arg;

	(void)pc;
	if (err && res)
		cc_warn("feed %d (%s): LISTEN failed, relying on polling: %s", f->def.id,
			f->def.partner, err);
}

struct cc_feed *cc_feed_create(struct lws_context *ctx, const struct cc_feed_def *def,
			       const struct cc_feed_events *ev, void *user)
{
	struct cc_feed *f = cc_xcalloc(1, sizeof *f);

	f->ctx = ctx;
	f->def = *def;
	f->def.partner = cc_xstrdup(def->partner);
	f->def.relation = cc_xstrdup(def->relation);
	f->def.channel = cc_xstrdup(def->channel);
	f->ev = *ev;
	f->user = user;
	build_sql(f);
	return f;
}

void cc_feed_attach(struct cc_feed *f, struct cc_pgconn *pc)
{
	f->pc = pc;
	f->in_flight = false;
	f->again = false;
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
	if (!strcmp(channel, f->def.channel))
		poll_now(f);
}

const struct cc_feed_def *cc_feed_def(const struct cc_feed *f) { return &f->def; }
int64_t cc_feed_watermark(const struct cc_feed *f) { return f->watermark; }
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
	free(f->sql_initial);
	free(f->sql_poll);
	free(f->sql_listen);
	free(f->error);
	free(f);
}
