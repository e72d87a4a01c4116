/*
 * The read position of an observation feed, safe against ids that become visible out of order.
 *
 * Ids come from a sequence, but two transactions can commit in the other order: id 11 may be
 * visible while id 10 is still uncommitted. Reading "id > highest seen" would then skip id 10
 * for ever. So the position is kept at the lowest id not yet accounted for ("low"); ids above
 * it that were already processed are remembered so they are not processed twice; and a hole is
 * waited for at most gap_wait_ms after the row above it was seen (it may be a rolled-back
 * insert, which never comes), then given up and counted.
 */
#ifndef CC_WATERMARK_H
#define CC_WATERMARK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cc_watermark;

struct cc_watermark *cc_watermark_create(int64_t gap_wait_ms, size_t max_pending);
void cc_watermark_destroy(struct cc_watermark *w);

/* Start from a position: every id <= low is done. */
void cc_watermark_reset(struct cc_watermark *w, int64_t low);

/* Read rows with id > this. */
int64_t cc_watermark_low(const struct cc_watermark *w);
/* Highest id processed (for people: "read up to"). */
int64_t cc_watermark_high(const struct cc_watermark *w);

/* Was this id processed already (or given up)? */
bool cc_watermark_done(const struct cc_watermark *w, int64_t id);
/* Mark id processed. */
void cc_watermark_add(struct cc_watermark *w, int64_t id, int64_t now_ms);
/* Move low up past processed ids and holes waited for long enough. Returns how many ids were
 * given up by this call. */
int64_t cc_watermark_settle(struct cc_watermark *w, int64_t now_ms);

size_t cc_watermark_pending(const struct cc_watermark *w);
int64_t cc_watermark_given_up(const struct cc_watermark *w);

#endif
