/*
 * A feed: where values come from in a partner database (design.md section 3).
 *
 * Observation feed: an append-only table read by watermark. On (re)connect it LISTENs on the
 * feed's channel. The first load takes the latest row per (metric, site) and the table's highest
 * id; after that only rows above the watermark are read, in id order, at most batch_limit at a
 * time, on NOTIFY and on every poll interval. Reconnecting resumes from the watermark, so rows
 * written while commcell could not see the partner are read in order, not lost.
 *
 * Query feed: a read-only query over the partner's operational tables, run every poll interval,
 * returning (site, value) rows of one metric, observed when the query started. A feed with
 * as_of passes that instant to its query as $1 instead of letting it say now(), so the same
 * query can also be evaluated as of a past instant (backfill.c).
 *
 * A failing query (missing table, revoked grant, statement timeout) makes only this feed
 * "failing" and is retried with exponential backoff and jitter.
 */
#ifndef CC_FEED_H
#define CC_FEED_H

#include "catalog.h"
#include "pgconn.h"

#include <stdbool.h>
#include <stdint.h>

struct cc_feed;
struct cc_watermark;

/* How long a hole in the ids is waited for, and how many ids read above holes are remembered. */
#define CC_FEED_GAP_WAIT_MS 30000
#define CC_FEED_MAX_PENDING_IDS 100000

/* One row as read. value_null is set for NULL or text that is not a number. */
struct cc_row {
	int64_t id;                /* the partner's id; 0 for query feeds */
	const char *metric;
	const char *site;
	const char *value_text;    /* as received, NULL for SQL NULL */
	bool value_null;
	double value;              /* may be non-finite: the receiver judges */
	int64_t observed_ms;
	bool observed_null;        /* observed_at NULL or infinite: observed_ms means nothing */
	bool replay;               /* re-read by a first load: may equal what is shown already */
};

enum cc_feed_state { CC_FEED_CONNECTING, CC_FEED_OK, CC_FEED_FAILING, CC_FEED_BACKOFF };
const char *cc_feed_state_name(enum cc_feed_state s);

struct cc_feed_events {
	void (*on_row)(struct cc_feed *f, const struct cc_row *row, void *user);
	/* After each batch; error non-NULL when the feed's query failed. */
	void (*on_batch)(struct cc_feed *f, const char *error, void *user);
};

struct cc_feed *cc_feed_create(struct lws_context *ctx, const struct cc_feed_def *def,
			       const struct cc_feed_events *ev, void *user);
void cc_feed_destroy(struct cc_feed *f);

/* The partner's connection is up: LISTEN and load. */
void cc_feed_attach(struct cc_feed *f, struct cc_pgconn *pc);
/* The connection is gone: stop polling until the next attach. */
void cc_feed_detach(struct cc_feed *f);
/* A NOTIFY arrived on this partner's connection. */
void cc_feed_notify(struct cc_feed *f, const char *channel);

/* The instant a query feed with as_of is evaluated at, as its $1: ISO 8601 UTC with milliseconds
 * ("2026-01-31T09:15:00.000Z"). Live polls and the backfill both write it this way, so the same
 * instant gives the same SQL with the same parameter. */
#define CC_FEED_INSTANT_LEN 40
void cc_feed_instant(int64_t epoch_ms, char *buf, size_t len);
/* Run a query feed's SQL as of epoch_ms when the feed takes the instant, else as it is. */
int cc_feed_run_query(struct cc_pgconn *pc, const struct cc_feed_def *def, int64_t epoch_ms,
		      cc_pg_result_cb cb, void *arg);
/* A query feed's failure in words. When the as_of flag and the query's use of $1 disagree the
 * partner's message says little ("bind message supplies 1 parameters..."): this says which way
 * round it is and what to change. Returns err itself otherwise. */
const char *cc_feed_explain_error(const struct cc_feed_def *def, const PGresult *res,
				  const char *err, char *buf, size_t len);

const struct cc_feed_def *cc_feed_def(const struct cc_feed *f);
/* The feed's own state: the connection's, or failing/backoff when its query fails. */
enum cc_feed_state cc_feed_state(const struct cc_feed *f);
int64_t cc_feed_watermark(const struct cc_feed *f);
const struct cc_watermark *cc_feed_position(const struct cc_feed *f);
uint64_t cc_feed_rows(const struct cc_feed *f);
uint64_t cc_feed_polls(const struct cc_feed *f);
bool cc_feed_loaded(const struct cc_feed *f);
const char *cc_feed_error(const struct cc_feed *f);   /* NULL when the last query succeeded */
int64_t cc_feed_last_ok_ms(const struct cc_feed *f);

#endif
