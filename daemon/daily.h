/*
 * The leader keeps commcell.daily up to date (commcell.daily_refresh): at gaining leadership the
 * last 62 days, a day per query, then today every minute (and yesterday with it during the
 * first hour of the day, for rows recorded late). It has a hub connection
 * of its own, open only while leading, so the refresh never waits behind API queries or history
 * writes, nor they behind it. One query in flight; a failure is logged when it first happens
 * and when it clears, not every minute.
 */
#ifndef CC_DAILY_H
#define CC_DAILY_H

#include "loop.h"

#include <stdbool.h>
#include <stdint.h>

struct cc_daily;

struct cc_daily *cc_daily_create(const struct cc_loop *loop, const char *hub_conninfo);
void cc_daily_destroy(struct cc_daily *d);

/* Leading: connect and start refreshing; not leading: stop and close the connection. */
void cc_daily_set_leading(struct cc_daily *d, bool leading);

/* Refresh rounds that succeeded and failed since start (for /metrics and tests). */
uint64_t cc_daily_refreshes(const struct cc_daily *d);
uint64_t cc_daily_failures(const struct cc_daily *d);

#endif
