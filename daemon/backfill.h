/*
 * History from the partners' own rows: while this instance leads, each query feed that takes the
 * instant as $1 (as_of) is evaluated as of past instants wherever its history within the last
 * `backfill_days` has a hole - no history at all (a new metric), or a stretch longer than
 * max(15 min, 3 poll intervals) without a value. Instants lie on a 15-minute grid, newest first,
 * so the last day fills first. The hub picks the instants and records what was done
 * (sql/hub/020_backfill.sql): a restart does not evaluate a range again.
 *
 * Bounded and in the background: per partner, one connection of its own, opened only while
 * there is something to fill, with one query in flight at a time and each feed's statement
 * timeout. The live polls keep the partner's main connection to themselves, so a backfill query
 * never waits in front of one (a connection runs one query at a time). A failing query stops
 * that feed's backfill until the next round; a lost connection is retried with the connection's
 * own backoff and the work resumes where it was.
 */
#ifndef CC_BACKFILL_H
#define CC_BACKFILL_H

#include "catalog.h"
#include "loop.h"
#include "pgconn.h"

#include <jansson.h>
#include <stdint.h>

struct cc_backfill;

/* Instants of one chunk: evaluated one by one, written and recorded to the hub together. */
#define CC_BACKFILL_CHUNK 96
#define CC_BACKFILL_GRID_MS (15 * 60 * 1000)

struct cc_backfill *cc_backfill_create(const struct cc_loop *loop, const char *instance);
void cc_backfill_destroy(struct cc_backfill *bf);

/* The hub connection to ask and record through. */
void cc_backfill_set_hub(struct cc_backfill *bf, struct cc_pgconn *hub);
/* Leading with this catalog (the backfill keeps copies): plan the work, keeping a partner's
 * work in progress when its connection and feeds did not change. days 0: no backfill. */
void cc_backfill_start(struct cc_backfill *bf, const struct cc_catalog *cat, int days);
/* No longer leading: stop at once, closing the backfill's connections. */
void cc_backfill_stop(struct cc_backfill *bf);

/* {"state": waiting|running|done|failed, "filled", "remaining", "error"} for a feed the backfill
 * looks after, else NULL. filled: instants evaluated since this instance started leading;
 * remaining: instants still to do as the hub last said (null before it was asked). */
json_t *cc_backfill_feed_json(const struct cc_backfill *bf, int feed_id);

uint64_t cc_backfill_queries(const struct cc_backfill *bf);   /* as-of queries run */
uint64_t cc_backfill_rows(const struct cc_backfill *bf);      /* history rows written */
uint64_t cc_backfill_failures(const struct cc_backfill *bf);  /* feeds' backfills that failed */

#endif
