#include "api.h"
#include "app.h"
#include "strbuf.h"
#include "timeparse.h"
#include "utf8.h"
#include "util.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_POINTS 10000
#define DEFAULT_RANGE_MS (24 * 3600 * 1000LL)
/* History is kept for days to months; a range of decades is a mistake, not a question. */
#define MAX_RANGE_YEARS 20
#define MAX_RANGE_MS (MAX_RANGE_YEARS * 366 * 24 * 3600 * 1000LL)
/* A CSV export holds every value, not buckets: past this many, ask for a shorter range (the
 * answer is built in memory). */
#define MAX_CSV_ROWS 200000

enum { CALL_HISTORY, CALL_QUARANTINE, CALL_HISTORY_CSV };

struct call {
	struct cc_request *req;
	int kind;                   /* CALL_... */
	char *partner, *metric, *site;
	int64_t from_ms, to_ms, step_s;
};

static json_t *error_body(const char *msg)
{
	json_t *o = json_object();
	char *clean = cc_xmalloc(strlen(msg) + 1);

	/* messages quote the caller's text: never let a byte of it make the answer NULL */
	json_object_set_new(o, "error", json_string(cc_utf8_copy(clean, strlen(msg) + 1, msg)));
	free(clean);
	return o;
}

static void free_call(struct call *c)
{
	free(c->partner);
	free(c->metric);
	free(c->site);
	free(c);
}

static json_t *number_or_null(PGresult *res, int row, int col)
{
	return PQgetisnull(res, row, col) ? json_null()
					  : json_real(strtod(PQgetvalue(res, row, col), NULL));
}

/* One CSV field (RFC 4180): quoted when it holds a separator, a quote or a line break. Text
 * that a spreadsheet would take for a formula (=, +, -, @ first) gets a leading apostrophe. */
static void csv_field(struct cc_strbuf *sb, const char *s, bool text)
{
	bool quote = strpbrk(s, ",\"\r\n") != NULL;

	if (quote)
		cc_strbuf_puts(sb, "\"");
	if (text && s[0] && strchr("=+-@\t", s[0]))
		cc_strbuf_puts(sb, "'");
	for (const char *q = s; *q; q++) {
		if (*q == '"')
			cc_strbuf_puts(sb, "\"");
		cc_strbuf_append(sb, q, 1);
	}
	if (quote)
		cc_strbuf_puts(sb, "\"");
}

/* A name to save the file under: the series' keys with anything unusual replaced. */
static void csv_filename(char *out, size_t len, const struct call *c)
{
	size_t n;

	snprintf(out, len, "commcell-history-%s-%s%s%s.csv", c->partner, c->metric,
		 *c->site ? "-" : "", c->site);
	n = strlen(out);
	for (size_t i = 0; i < n; i++)
		if (!((out[i] >= 'a' && out[i] <= 'z') || (out[i] >= 'A' && out[i] <= 'Z') ||
		      (out[i] >= '0' && out[i] <= '9') || out[i] == '.' || out[i] == '-'))
			out[i] = '_';
}

static void answer_csv(struct call *c, PGresult *res)
{
	struct cc_strbuf sb = { 0 };
	char disp[400], name[300];

	if (PQntuples(res) > MAX_CSV_ROWS) {
		cc_request_reply(c->req, 400, error_body("more than 200000 values in that range: "
							 "ask for a shorter range"));
		return;
	}
	cc_strbuf_puts(&sb, "partner,metric,site,observed_at,value,backfilled\r\n");
	for (int i = 0; i < PQntuples(res); i++) {
		for (int col = 0; col < 6; col++) {
			if (col)
				cc_strbuf_puts(&sb, ",");
			csv_field(&sb, PQgetvalue(res, i, col), col < 3);
		}
		cc_strbuf_puts(&sb, "\r\n");
	}
	csv_filename(name, sizeof name, c);
	snprintf(disp, sizeof disp, "attachment; filename=\"%s\"", name);
	cc_request_add_header(c->req, "content-disposition", disp);
	cc_request_reply_text(c->req, 200, "text/csv; charset=utf-8; header=present", sb.data);
	cc_strbuf_free(&sb);
}

static void answered(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	struct call *c = arg;
	char iso[40];
	json_t *body, *rows;

	(void)pc;
	if (err) {
		cc_request_reply(c->req, res ? 500 : 503, error_body(err));
		free_call(c);
		return;
	}
	if (c->kind == CALL_HISTORY_CSV) {
		answer_csv(c, res);
		free_call(c);
		return;
	}
	rows = json_array();
	for (int i = 0; i < PQntuples(res); i++) {
		json_t *o;
		if (c->kind == CALL_HISTORY) {
			cc_format_iso(strtoll(PQgetvalue(res, i, 0), NULL, 10), iso, sizeof iso);
			o = json_pack("{s:s,s:o,s:o,s:o,s:o,s:I}", "t", iso, "avg",
				      number_or_null(res, i, 1), "min", number_or_null(res, i, 2),
				      "max", number_or_null(res, i, 3), "last",
				      number_or_null(res, i, 4), "n",
				      (json_int_t)strtoll(PQgetvalue(res, i, 5), NULL, 10));
			/* every value of the bucket computed afterwards from the partner's rows */
			if (o && PQnfields(res) > 6)
				json_object_set_new(o, "backfilled",
						    json_boolean(!strcmp(PQgetvalue(res, i, 6), "t")));
		} else {
			o = json_object();
			for (int col = 0; col < PQnfields(res); col++) {
				const char *name = PQfname(res, col);
				if (PQgetisnull(res, i, col))
					json_object_set_new(o, name, json_null());
				else if (!strcmp(name, "id") || !strcmp(name, "feed_id") ||
					 !strcmp(name, "row_id"))
					json_object_set_new(o, name,
							    json_integer(strtoll(PQgetvalue(res, i, col),
										 NULL, 10)));
				else
					json_object_set_new(o, name, json_string(PQgetvalue(res, i, col)));
			}
		}
		json_array_append_new(rows, o);
	}
	if (c->kind == CALL_HISTORY) {
		body = json_object();
		json_object_set_new(body, "partner", json_string(c->partner));
		json_object_set_new(body, "metric", json_string(c->metric));
		json_object_set_new(body, "site", json_string(c->site));
		cc_format_iso(c->from_ms, iso, sizeof iso);
		json_object_set_new(body, "from", json_string(iso));
		cc_format_iso(c->to_ms, iso, sizeof iso);
		json_object_set_new(body, "to", json_string(iso));
		json_object_set_new(body, "step", json_integer(c->step_s));
		json_object_set_new(body, "points", rows);
	} else {
		body = json_pack("{s:o}", "rows", rows);
	}
	cc_request_reply(c->req, 200, body);
	free_call(c);
}

struct args {
	const char *partner, *metric, *site, *from, *to, *step, *limit, *format;
};

static unsigned history(const struct args *a, const struct cc_catalog *cat,
			struct cc_pgconn *hub, struct call *c, json_t **body)
{
	char p_from[32], p_to[32], p_step[32], msg[256], why[160];
	const char *params[6];
	const char *partner = a->partner;
	int64_t range_ms, points;

	if (!a->metric) {
		*body = error_body("metric= is required");
		return 400;
	}
	if (!partner) {
		/* a metric key published by one partner only needs no partner= */
		for (size_t i = 0; cat && i < cat->n_metrics; i++) {
			if (strcmp(cat->metrics[i].key, a->metric))
				continue;
			if (partner) {
				*body = error_body("several partners publish this metric: give partner=");
				return 400;
			}
			partner = cat->metrics[i].partner;
		}
	}
	if (!partner || !cat || !cc_catalog_metric(cat, partner, a->metric)) {
		snprintf(msg, sizeof msg, "no metric '%.80s'%s%.40s is defined", a->metric,
			 a->partner ? " for partner " : "", a->partner ? a->partner : "");
		*body = error_body(msg);
		return 404;
	}
	c->to_ms = cc_now_ms();
	if (a->to && !cc_timeparse(a->to, &c->to_ms, why, sizeof why)) {
		snprintf(msg, sizeof msg, "to= must be an ISO 8601 time with a zone "
			 "(2026-11-26T20:00:00Z) or epoch milliseconds: %s", why);
		*body = error_body(msg);
		return 400;
	}
	/* both ends lie within the years 1 to 9999 (cc_timeparse), so no difference of them can
	 * overflow; the checks below are belt and braces for that promise */
	if (__builtin_sub_overflow(c->to_ms, DEFAULT_RANGE_MS, &c->from_ms))
		c->from_ms = CC_TIME_MIN_MS;
	if (a->from && !cc_timeparse(a->from, &c->from_ms, why, sizeof why)) {
		snprintf(msg, sizeof msg, "from= must be an ISO 8601 time with a zone "
			 "(2026-11-26T20:00:00Z) or epoch milliseconds: %s", why);
		*body = error_body(msg);
		return 400;
	}
	if (c->from_ms >= c->to_ms) {
		*body = error_body("from= must be before to=");
		return 400;
	}
	if (__builtin_sub_overflow(c->to_ms, c->from_ms, &range_ms) || range_ms > MAX_RANGE_MS) {
		snprintf(msg, sizeof msg, "the range from= to to= may span at most %d years",
			 MAX_RANGE_YEARS);
		*body = error_body(msg);
		return 400;
	}
	if (a->step) {
		char *end;
		errno = 0;
		c->step_s = strtoll(a->step, &end, 10);
		if (errno || end == a->step || *end || c->step_s < 1 ||
		    c->step_s > MAX_RANGE_MS / 1000) {
			snprintf(msg, sizeof msg, "step= must be a whole number of seconds, from 1 "
				 "to %lld", MAX_RANGE_MS / 1000);
			*body = error_body(msg);
			return 400;
		}
	} else {
		/* about 500 points across the range, never finer than a minute */
		c->step_s = range_ms / 1000 / 500;
		if (c->step_s < 60)
			c->step_s = 60;
	}
	points = range_ms / 1000 / c->step_s;
	if (points > MAX_POINTS && c->kind != CALL_HISTORY_CSV) {
		snprintf(msg, sizeof msg, "that range and step give more than %d points: use a larger "
			 "step= or a shorter range", MAX_POINTS);
		*body = error_body(msg);
		return 400;
	}
	c->partner = cc_xstrdup(partner);
	c->metric = cc_xstrdup(a->metric);
	c->site = cc_xstrdup(a->site ? a->site : "");
	snprintf(p_from, sizeof p_from, "%" PRId64, c->from_ms);
	snprintf(p_to, sizeof p_to, "%" PRId64, c->to_ms);
	snprintf(p_step, sizeof p_step, "%" PRId64 " seconds", c->step_s);
	params[0] = c->partner;
	params[1] = c->metric;
	params[2] = c->site;
	params[3] = p_from;
	params[4] = p_to;
	params[5] = p_step;
	if (c->kind == CALL_HISTORY_CSV) {
		char p_limit[16];
		snprintf(p_limit, sizeof p_limit, "%d", MAX_CSV_ROWS + 1);
		params[5] = p_limit;
		/* every value as recorded, oldest first; one more than allowed tells "too many" */
		if (cc_pgconn_query(hub,
				    "SELECT partner, metric, site, to_char(observed_at AT TIME ZONE "
				    "'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), value::text, "
				    "backfilled::text FROM commcell.history WHERE partner = $1 AND "
				    "metric = $2 AND site = $3 "
				    "AND observed_at >= to_timestamp($4::bigint / 1000.0) "
				    "AND observed_at < to_timestamp($5::bigint / 1000.0) "
				    "ORDER BY observed_at LIMIT $6::int",
				    6, params, answered, c)) {
			*body = error_body("the hub database is not reachable right now");
			return 503;
		}
		return 0;
	}
	/* date_bin buckets from a fixed origin so the same step gives the same buckets in every
	 * request; the range bounds prune the daily partitions. */
	if (cc_pgconn_query(hub,
			    "SELECT (extract(epoch FROM b) * 1000)::bigint, avg(value), min(value), "
			    "max(value), (array_agg(value ORDER BY observed_at DESC))[1], count(*), "
			    "bool_and(backfilled) "
			    "FROM (SELECT date_bin($6::interval, observed_at, "
			    "TIMESTAMPTZ '2000-01-01 00:00:00+00') AS b, value, observed_at, backfilled "
			    "FROM commcell.history WHERE partner = $1 AND metric = $2 AND site = $3 "
			    "AND observed_at >= to_timestamp($4::bigint / 1000.0) "
			    "AND observed_at < to_timestamp($5::bigint / 1000.0)) s "
			    "GROUP BY b ORDER BY b",
			    6, params, answered, c)) {
		*body = error_body("the hub database is not reachable right now");
		return 503;
	}
	return 0;
}

static unsigned quarantine(const struct args *a, struct cc_pgconn *hub, struct call *c,
			   json_t **body)
{
	char limit[16];
	const char *params[2];
	long n = 100;

	if (a->limit) {
		char *end;
		n = strtol(a->limit, &end, 10);
		if (*end || n < 1 || n > 1000) {
			*body = error_body("limit= must be from 1 to 1000");
			return 400;
		}
	}
	snprintf(limit, sizeof limit, "%ld", n);
	params[0] = limit;
	params[1] = a->partner;
	if (cc_pgconn_query(hub,
			    "SELECT id, partner, feed_id, row_id, metric, site, value, "
			    "to_char(observed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') "
			    "AS observed_at, reason, "
			    "to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') "
			    "AS received_at FROM commcell.quarantine "
			    "WHERE $2::text IS NULL OR partner = $2 ORDER BY id DESC LIMIT $1::int",
			    2, params, answered, c)) {
		*body = error_body("the hub database is not reachable right now");
		return 503;
	}
	return 0;
}

static void start(struct cc_request *r, int kind)
{
	struct cc_app *app = cc_request_app(r);
	struct args a = {
		.partner = cc_request_arg(r, "partner"),
		.metric = cc_request_arg(r, "metric"),
		.site = cc_request_arg(r, "site"),
		.from = cc_request_arg(r, "from"),
		.to = cc_request_arg(r, "to"),
		.step = cc_request_arg(r, "step"),
		.limit = cc_request_arg(r, "limit"),
		.format = cc_request_arg(r, "format"),
	};
	struct call *c = cc_xcalloc(1, sizeof *c);
	json_t *body = NULL;
	unsigned status;

	c->req = r;
	c->kind = kind;
	if (kind == CALL_HISTORY && a.format && strcmp(a.format, "json")) {
		if (strcmp(a.format, "csv")) {
			free_call(c);
			cc_request_error(r, 400, "format= may be csv, or json (the default)");
			return;
		}
		/* a download of every value is a manager's, like the other exports */
		if (cc_request_role(r) < CC_ROLE_MANAGER) {
			free_call(c);
			if (cc_request_role(r) == CC_ROLE_NONE || !*cc_request_user(r))
				cc_request_error(r, 401, "sign in as manager or above to download history");
			else
				cc_request_error(r, 403, "%s may not download history: it needs manager "
						 "or above", cc_request_user(r));
			return;
		}
		c->kind = kind = CALL_HISTORY_CSV;
	}
	status = kind != CALL_QUARANTINE ? history(&a, cc_app_catalog(app), cc_app_hub_conn(app), c, &body)
			   : quarantine(&a, cc_app_hub_conn(app), c, &body);
	if (status) {
		free_call(c);
		cc_request_reply(r, status, body);
	}
}

void cc_api_history(struct cc_request *r) { start(r, CALL_HISTORY); }
void cc_api_quarantine(struct cc_request *r) { start(r, CALL_QUARANTINE); }
