#include "recorder.h"
#include "log.h"
#include "rowcheck.h"
#include "strbuf.h"
#include "timeparse.h"
#include "util.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FLUSH_MS 500
#define BATCH_ROWS 2000
/* Quarantined text is kept for people to read, not whole: a partner can send megabytes. */
#define QUARANTINE_TEXT_MAX 1000

enum kind { HISTORY, QUARANTINE, LEVEL };

struct row {
	enum kind kind;
	char *partner, *metric, *site, *value_text, *reason;
	double value;
	int64_t observed_ms, row_id;
	int feed_id;
	bool time_dropped;         /* quarantine: the hub refused the row with its time */
};

struct cc_recorder {
	struct lws_context *ctx;
	struct cc_pgconn *pc;
	size_t max_rows;
	/* a ring of pending rows; [head, head+count) */
	struct row *rows;
	size_t cap, head, count;
	size_t in_flight;           /* rows at the head being written now */
	/* While a batch the hub refused as bad data is split to find the bad rows: the largest
	 * batch to send; BATCH_ROWS otherwise. */
	size_t batch_cap;
	uint64_t written, dropped, quarantined, refused;
	lws_sorted_usec_list_t flush_sul;
	bool maintenance_in_flight;
};

static void flush(struct cc_recorder *r);

static void free_row(struct row *w)
{
	free(w->partner);
	free(w->metric);
	free(w->site);
	free(w->value_text);
	free(w->reason);
}

static struct row *at(struct cc_recorder *r, size_t i) { return &r->rows[(r->head + i) % r->cap]; }

static void flush_fired(lws_sorted_usec_list_t *sul)
{
	struct cc_recorder *r = lws_container_of(sul, struct cc_recorder, flush_sul);
	flush(r);
}

static void arm(struct cc_recorder *r)
{
	lws_sul_schedule(r->ctx, 0, &r->flush_sul, flush_fired, FLUSH_MS * LWS_US_PER_MS);
}

static struct row *push(struct cc_recorder *r)
{
	struct row *w;

	if (r->count == r->max_rows) {
		/* Full: drop the oldest row not being written right now. */
		if (r->in_flight < r->count) {
			size_t victim = r->in_flight;
			free_row(at(r, victim));
			for (size_t i = victim; i + 1 < r->count; i++)
				*at(r, i) = *at(r, i + 1);
			r->count--;
			if (r->dropped++ % 10000 == 0)
				cc_error("recorder: hub unreachable and %zu rows waiting: dropping the "
					 "oldest (%llu dropped so far)", r->max_rows,
					 (unsigned long long)r->dropped);
		} else {
			return NULL;
		}
	}
	if (r->count == r->cap) {
		size_t ncap = r->cap ? r->cap * 2 : 256;
		struct row *n = cc_xcalloc(ncap, sizeof *n);
		for (size_t i = 0; i < r->count; i++)
			n[i] = *at(r, i);
		free(r->rows);
		r->rows = n;
		r->cap = ncap;
		r->head = 0;
	}
	w = at(r, r->count++);
	memset(w, 0, sizeof *w);
	return w;
}

/* After the caller has filled the row in: a full batch goes now, else within FLUSH_MS. */
static void pushed(struct cc_recorder *r)
{
	if (r->count >= BATCH_ROWS)
		flush(r);
	else
		arm(r);
}

void cc_recorder_history(struct cc_recorder *r, const char *partner, const char *metric,
			 const char *site, double value, int64_t observed_ms)
{
	struct row *w = push(r);

	if (!w)
		return;
	w->kind = HISTORY;
	w->partner = cc_xstrdup(partner);
	w->metric = cc_xstrdup(metric);
	w->site = cc_xstrdup(site);
	w->value = value;
	w->observed_ms = observed_ms;
	pushed(r);
}

void cc_recorder_quarantine(struct cc_recorder *r, const char *partner, int feed_id,
			    int64_t row_id, const char *metric, const char *site,
			    const char *value_text, int64_t observed_ms, const char *reason)
{
	struct row *w = push(r);

	r->quarantined++;
	if (!w)
		return;
	/* rows are quarantined because something about them is wrong, the bytes of their text
	 * included: store what the hub accepts, so the quarantine itself never jams */
	w->kind = QUARANTINE;
	w->partner = cc_rowcheck_clean(partner, QUARANTINE_TEXT_MAX);
	w->feed_id = feed_id;
	w->row_id = row_id;
	w->metric = cc_rowcheck_clean(metric, QUARANTINE_TEXT_MAX);
	w->site = cc_rowcheck_clean(site, QUARANTINE_TEXT_MAX);
	w->value_text = cc_rowcheck_clean(value_text, QUARANTINE_TEXT_MAX);
	w->observed_ms = observed_ms;
	w->reason = cc_rowcheck_clean(reason, QUARANTINE_TEXT_MAX);
	pushed(r);
}

void cc_recorder_level(struct cc_recorder *r, int level, const char *label, const char *reason,
		       int64_t at_ms)
{
	struct row *w = push(r);

	if (!w)
		return;
	w->kind = LEVEL;
	w->partner = cc_xstrdup(label);    /* columns reused: label, reason, level, time */
	w->metric = cc_xstrdup(reason);
	w->value = level;
	w->observed_ms = at_ms;
	pushed(r);
}

/* An instant as the hub reads it (years 0001 to 9999, four digits), or NULL outside them. */
static const char *iso_time(int64_t ms, char *buf, size_t len)
{
	time_t secs;
	struct tm tm;

	if (ms < CC_TIME_MIN_MS || ms > CC_TIME_MAX_MS)
		return NULL;
	secs = (time_t)((ms - (((ms % 1000) + 1000) % 1000)) / 1000);
	if (!gmtime_r(&secs, &tm))
		return NULL;
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(((ms % 1000) + 1000) % 1000));
	return buf;
}

/* The hub refused the rows themselves, not the connection: a data exception (class 22), an
 * integrity violation (23) or a program limit such as an index entry too large (54). Sending
 * the same batch again would fail the same way, forever, ahead of every later row. */
static bool data_error(PGresult *res)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;

	return state && (!strncmp(state, "22", 2) || !strncmp(state, "23", 2) ||
			 !strncmp(state, "54", 2));
}

static void drop_head(struct cc_recorder *r)
{
	free_row(at(r, 0));
	r->head = (r->head + 1) % r->cap;
	r->count--;
}

static void clean(char **text)
{
	char *c = cc_rowcheck_clean(*text, QUARANTINE_TEXT_MAX);

	free(*text);
	*text = c;
}

/* One row the hub refused on its own: history goes to quarantine with the hub's words; a
 * quarantine row is tried once more without its time, then given up. */
static void refused_row(struct cc_recorder *r, const char *msg)
{
	struct row *w = at(r, 0);
	char num[64], *reason;

	r->refused++;
	switch (w->kind) {
	case HISTORY:
		cc_warn("recorder: the hub refused a history row (%s, %s, '%s'): %s; quarantined",
			w->partner, w->metric, w->site, msg);
		snprintf(num, sizeof num, "%.17g", w->value);
		reason = cc_xasprintf("the hub refused it for history: %s", msg);
		clean(&w->partner);
		clean(&w->metric);
		clean(&w->site);
		w->kind = QUARANTINE;
		w->value_text = cc_xstrdup(num);
		w->reason = cc_rowcheck_clean(reason, QUARANTINE_TEXT_MAX);
		free(reason);
		r->quarantined++;
		return;
	case QUARANTINE:
		if (w->observed_ms && !w->time_dropped) {
			w->time_dropped = true;
			w->observed_ms = 0;
			return;
		}
		break;
	case LEVEL:
		break;
	}
	cc_error("recorder: the hub refused a %s row and it is dropped: %s",
		 w->kind == LEVEL ? "level history" : "quarantine", msg);
	r->dropped++;
	drop_head(r);
}

static void written(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	struct cc_recorder *r = arg;
	size_t n = r->in_flight;

	(void)pc;
	r->in_flight = 0;
	if (err && data_error(res)) {
		/* halve until the bad row is alone, then set it aside; the rest flows on */
		if (n > 1) {
			if (r->batch_cap == BATCH_ROWS)
				cc_warn("recorder: the hub refused a batch of %zu rows as bad data (%s); "
					"finding the rows it refuses", n, err);
			r->batch_cap = n / 2;
		} else {
			const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
			refused_row(r, primary ? primary : err);
			r->batch_cap = BATCH_ROWS;
		}
		flush(r);
		return;
	}
	if (err) {
		/* keep the rows; try again later (a lost connection retries when it is back) */
		cc_warn("recorder: writing %zu rows to the hub failed: %s", n, err);
		arm(r);
		return;
	}
	for (size_t i = 0; i < n; i++)
		free_row(at(r, i));
	r->head = (r->head + n) % r->cap;
	r->count -= n;
	r->written += n;
	if (r->count)
		flush(r);
}

/* One statement per batch of one kind: arrays of columns unnested server-side. */
static void flush(struct cc_recorder *r)
{
	enum { NCOLS = 8 };
	struct cc_strbuf cols[NCOLS];
	const char *params[NCOLS];
	enum kind kind;
	size_t n = 0;
	char num[64], iso[80];  /* room for any int year the compiler can imagine */
	const char *when;
	int rc;

	if (!r->pc || cc_pgconn_state(r->pc) != CC_PG_READY || r->in_flight || !r->count)
		return;
	memset(cols, 0, sizeof cols);
	kind = at(r, 0)->kind;
	for (int c = 0; c < NCOLS; c++)
		cc_strbuf_puts(&cols[c], "{");
	for (; n < r->count && n < r->batch_cap && at(r, n)->kind == kind; n++) {
		struct row *w = at(r, n);

		/* a time the hub cannot read is sent as NULL: refused as a row, not as a batch */
		when = iso_time(w->observed_ms, iso, sizeof iso);
		cc_strbuf_array_elem(&cols[0], w->partner);
		cc_strbuf_array_elem(&cols[1], w->metric);
		cc_strbuf_array_elem(&cols[2], w->site);
		if (kind == LEVEL) {
			snprintf(num, sizeof num, "%d", (int)w->value);
			cc_strbuf_array_elem(&cols[3], num);
			cc_strbuf_array_elem(&cols[4], when);
			continue;
		}
		if (kind == HISTORY) {
			snprintf(num, sizeof num, "%.17g", w->value);
			cc_strbuf_array_elem(&cols[3], num);
			cc_strbuf_array_elem(&cols[4], when);
			continue;
		}
		cc_strbuf_array_elem(&cols[3], w->value_text);
		cc_strbuf_array_elem(&cols[4], w->observed_ms ? when : NULL);
		snprintf(num, sizeof num, "%d", w->feed_id);
		cc_strbuf_array_elem(&cols[5], w->feed_id ? num : NULL);
		snprintf(num, sizeof num, "%" PRId64, w->row_id);
		cc_strbuf_array_elem(&cols[6], w->row_id ? num : NULL);
		cc_strbuf_array_elem(&cols[7], w->reason);
	}
	for (int c = 0; c < NCOLS; c++) {
		cc_strbuf_puts(&cols[c], "}");
		params[c] = cols[c].data;
	}
	r->in_flight = n;
	if (kind == LEVEL)
		rc = cc_pgconn_query(r->pc,
				     "INSERT INTO commcell.level_history (label, reason, level, at) "
				     "SELECT a, b, d, e FROM unnest($1::text[], $2::text[], $3::text[], "
				     "$4::int[], $5::timestamptz[]) AS u(a, b, c, d, e)",
				     5, params, written, r);
	else if (kind == HISTORY)
		rc = cc_pgconn_query(r->pc,
				     "INSERT INTO commcell.history (partner, metric, site, value, "
				     "observed_at) SELECT * FROM unnest($1::text[], $2::text[], "
				     "$3::text[], $4::float8[], $5::timestamptz[]) "
				     "ON CONFLICT DO NOTHING",
				     5, params, written, r);
	else
		rc = cc_pgconn_query(r->pc,
				     "INSERT INTO commcell.quarantine (partner, metric, site, value, "
				     "observed_at, feed_id, row_id, reason) SELECT * FROM "
				     "unnest($1::text[], $2::text[], $3::text[], $4::text[], "
				     "$5::timestamptz[], $6::int[], $7::bigint[], $8::text[])",
				     8, params, written, r);
	if (rc)
		r->in_flight = 0;
	for (int c = 0; c < NCOLS; c++)
		cc_strbuf_free(&cols[c]);
}

struct cc_recorder *cc_recorder_create(struct lws_context *ctx, size_t max_rows)
{
	struct cc_recorder *r = cc_xcalloc(1, sizeof *r);

	r->ctx = ctx;
	r->max_rows = max_rows ? max_rows : 1;
	r->batch_cap = BATCH_ROWS;
	return r;
}

void cc_recorder_set_conn(struct cc_recorder *r, struct cc_pgconn *pc)
{
	r->pc = pc;
	r->in_flight = 0;  /* a lost connection answered the write with an error already */
	if (pc)
		flush(r);
}

static void maintained(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	struct cc_recorder *r = arg;

	(void)pc;
	r->maintenance_in_flight = false;
	if (err)
		cc_error("recorder: history partition maintenance failed: %s", err);
	else if (res && PQntuples(res) == 1 && strcmp(PQgetvalue(res, 0, 1), "0"))
		cc_info("recorder: history retention dropped %s daily partitions",
			PQgetvalue(res, 0, 1));
}

void cc_recorder_maintain(struct cc_recorder *r, int retention_days)
{
	char keep[32];
	const char *params[1] = { keep };

	if (!r->pc || cc_pgconn_state(r->pc) != CC_PG_READY || r->maintenance_in_flight)
		return;
	snprintf(keep, sizeof keep, "%d days", retention_days);
	if (!cc_pgconn_query(r->pc,
			     "SELECT commcell.history_ensure_partitions(current_date - 1, "
			     "current_date + 7), commcell.history_apply_retention($1::interval)",
			     1, params, maintained, r))
		r->maintenance_in_flight = true;
}

uint64_t cc_recorder_written(const struct cc_recorder *r) { return r->written; }
uint64_t cc_recorder_dropped(const struct cc_recorder *r) { return r->dropped; }
uint64_t cc_recorder_quarantined(const struct cc_recorder *r) { return r->quarantined; }
uint64_t cc_recorder_refused(const struct cc_recorder *r) { return r->refused; }
size_t cc_recorder_pending(const struct cc_recorder *r) { return r->count; }

void cc_recorder_destroy(struct cc_recorder *r)
{
	if (!r)
		return;
	lws_sul_cancel(&r->flush_sul);
	for (size_t i = 0; i < r->count; i++)
		free_row(at(r, i));
	if (r->count)
		cc_warn("recorder: %zu rows not yet written to the hub at shutdown", r->count);
	free(r->rows);
	free(r);
}
