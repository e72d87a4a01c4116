#include "replica.h"
#include "log.h"
#include "strbuf.h"
#include "util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FOLLOW_MS 2000
#define READ_LIMIT 10000
#define CC_READ_LIMIT_S "10000"

struct cc_replica {
	struct lws_context *ctx;
	struct cc_board *board;
	struct cc_pgconn *pc;
	void (*applied)(void *arg);
	void *arg;

	/* leader: values waiting to be written, as columns of array literals */
	struct cc_strbuf cols[5];
	size_t pending;
	bool write_in_flight;

	/* follower */
	bool following, read_in_flight, again, loaded;
	int64_t version;
	lws_sorted_usec_list_t follow_sul;
};

static void reset_cols(struct cc_replica *r)
{
	for (int c = 0; c < 5; c++) {
		cc_strbuf_reset(&r->cols[c]);
		cc_strbuf_puts(&r->cols[c], "{");
	}
	r->pending = 0;
}

struct cc_replica *cc_replica_create(struct lws_context *ctx, struct cc_board *board,
				     void (*applied)(void *arg), void *arg)
{
	struct cc_replica *r = cc_xcalloc(1, sizeof *r);

	r->ctx = ctx;
	r->board = board;
	r->applied = applied;
	r->arg = arg;
	reset_cols(r);
	return r;
}

void cc_replica_set_conn(struct cc_replica *r, struct cc_pgconn *hub)
{
	r->pc = hub;
	r->write_in_flight = r->read_in_flight = false;
	cc_replica_flush(r);
	cc_replica_poke(r);
}

static void ignore(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	(void)pc;
	(void)res;
	(void)arg;
	if (err && res)
		cc_warn("replica: publishing to the hub failed: %s", err);
}

void cc_replica_value(struct cc_replica *r, const char *partner, const char *metric,
		      const char *site, double value, int64_t observed_ms)
{
	char num[40], iso[40];

	snprintf(num, sizeof num, "%.17g", value);
	cc_format_iso(observed_ms, iso, sizeof iso);
	cc_strbuf_array_elem(&r->cols[0], partner);
	cc_strbuf_array_elem(&r->cols[1], metric);
	cc_strbuf_array_elem(&r->cols[2], site);
	cc_strbuf_array_elem(&r->cols[3], num);
	cc_strbuf_array_elem(&r->cols[4], iso);
	r->pending++;
}

static void written(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	struct cc_replica *r = arg;

	(void)pc;
	r->write_in_flight = false;
	if (err && res)
		cc_warn("replica: publishing values to the hub failed: %s", err);
	if (r->pending)
		cc_replica_flush(r);
}

void cc_replica_flush(struct cc_replica *r)
{
	const char *params[5];

	/* one write in flight at a time keeps versions in commit order per series */
	if (!r->pending || r->write_in_flight || !r->pc || cc_pgconn_state(r->pc) != CC_PG_READY)
		return;
	for (int c = 0; c < 5; c++) {
		cc_strbuf_puts(&r->cols[c], "}");
		params[c] = r->cols[c].data;
	}
	if (!cc_pgconn_query(r->pc,
			     "INSERT INTO commcell.current (partner, metric, site, value, observed_at) "
			     "SELECT DISTINCT ON (p, m, s) p, m, s, v, o FROM unnest($1::text[], "
			     "$2::text[], $3::text[], $4::float8[], $5::timestamptz[]) AS u(p, m, s, v, o) "
			     "ORDER BY p, m, s, o DESC "
			     "ON CONFLICT (partner, metric, site) DO UPDATE SET value = EXCLUDED.value, "
			     "observed_at = EXCLUDED.observed_at, "
			     "version = nextval('commcell.current_version') "
			     "WHERE current.observed_at <= EXCLUDED.observed_at",
			     5, params, written, r))
		r->write_in_flight = true;
	else
		return;  /* keep the rows; the next flush retries */
	reset_cols(r);
}

void cc_replica_partner(struct cc_replica *r, const char *partner, const char *state,
			const char *reason, const char *error, json_t *feed_errors)
{
	char *fe = json_dumps(feed_errors, JSON_COMPACT);
	const char *params[5] = { partner, state, reason ? reason : "", error, fe ? fe : "[]" };

	if (r->pc && cc_pgconn_state(r->pc) == CC_PG_READY)
		cc_pgconn_query(r->pc,
				"INSERT INTO commcell.partner_state (partner, state, reason, error, "
				"feed_errors) VALUES ($1, $2, $3, $4, $5::jsonb) "
				"ON CONFLICT (partner) DO UPDATE SET state = EXCLUDED.state, "
				"reason = EXCLUDED.reason, error = EXCLUDED.error, "
				"feed_errors = EXCLUDED.feed_errors, "
				"version = nextval('commcell.current_version')",
				5, params, ignore, r);
	free(fe);
}

static void apply_partner(struct cc_replica *r, PGresult *res, int i, int64_t now)
{
	const char *partner = PQgetvalue(res, i, 1);
	json_t *fe = json_loads(PQgetvalue(res, i, 6), 0, NULL);
	size_t k;
	json_t *item;

	cc_board_partner_state(r->board, partner, PQgetvalue(res, i, 2), PQgetvalue(res, i, 3),
			       PQgetisnull(res, i, 4) ? NULL : PQgetvalue(res, i, 4), now);
	/* clear, then set, the feed errors the leader sees */
	cc_board_feed_error(r->board, partner, "*", NULL, now);
	json_array_foreach(fe, k, item) {
		const char *metric = json_string_value(json_object_get(item, "metric"));
		const char *error = json_string_value(json_object_get(item, "error"));
		cc_board_feed_error(r->board, partner, metric, error, now);
	}
	json_decref(fe);
}

static void read_done(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	struct cc_replica *r = arg;
	int64_t now = cc_now_ms();
	int n;

	(void)pc;
	r->read_in_flight = false;
	if (err) {
		if (res)
			cc_warn("replica: reading the board from the hub failed: %s", err);
		return;
	}
	n = PQntuples(res);
	for (int i = 0; i < n && r->following; i++) {
		int64_t version, observed;
		bool record;
		if (!cc_parse_int64(PQgetvalue(res, i, 7), &version))
			continue;
		if (version > r->version)
			r->version = version;
		if (PQgetvalue(res, i, 0)[0] == 'p') {
			apply_partner(r, res, i, now);
			continue;
		}
		if (!cc_parse_int64(PQgetvalue(res, i, 5), &observed))
			continue;
		cc_board_observe(r->board, PQgetvalue(res, i, 1), PQgetvalue(res, i, 2),
				 PQgetvalue(res, i, 3), strtod(PQgetvalue(res, i, 4), NULL), observed,
				 true, now, &record);
	}
	r->loaded = true;
	if (r->applied)
		r->applied(r->arg);
	if (n >= READ_LIMIT || r->again) {
		r->again = false;
		cc_replica_poke(r);
	}
}

void cc_replica_poke(struct cc_replica *r)
{
	char v[32];
	const char *params[1] = { v };

	if (!r->following || !r->pc || cc_pgconn_state(r->pc) != CC_PG_READY)
		return;
	if (r->read_in_flight) {
		r->again = true;
		return;
	}
	snprintf(v, sizeof v, "%" PRId64, r->version);
	if (!cc_pgconn_query(r->pc,
			     "SELECT * FROM (SELECT 'v' AS k, partner, metric, site, value::text, "
			     "(extract(epoch FROM observed_at) * 1000)::bigint::text, NULL, version "
			     "FROM commcell.current WHERE version > $1::bigint "
			     "UNION ALL SELECT 'p', partner, state, reason, error, NULL, "
			     "feed_errors::text, version FROM commcell.partner_state "
			     "WHERE version > $1::bigint) x ORDER BY version LIMIT " CC_READ_LIMIT_S,
			     1, params, read_done, r))
		r->read_in_flight = true;
}

static void follow_fired(lws_sorted_usec_list_t *sul)
{
	struct cc_replica *r = lws_container_of(sul, struct cc_replica, follow_sul);

	cc_replica_poke(r);
	if (r->following)
		lws_sul_schedule(r->ctx, 0, &r->follow_sul, follow_fired, FOLLOW_MS * LWS_US_PER_MS);
}

void cc_replica_follow(struct cc_replica *r, bool following)
{
	r->following = following;
	if (following) {
		cc_replica_poke(r);
		lws_sul_schedule(r->ctx, 0, &r->follow_sul, follow_fired, FOLLOW_MS * LWS_US_PER_MS);
	} else {
		lws_sul_cancel(&r->follow_sul);
	}
}

bool cc_replica_loaded(const struct cc_replica *r) { return r->loaded; }

void cc_replica_destroy(struct cc_replica *r)
{
	if (!r)
		return;
	lws_sul_cancel(&r->follow_sul);
	for (int c = 0; c < 5; c++)
		cc_strbuf_free(&r->cols[c]);
	free(r);
}
