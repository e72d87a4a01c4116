/* Judging a value: the status a display shows for it. Pure functions, no I/O. */
#ifndef CC_STATUS_H
#define CC_STATUS_H

#include "catalog.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cc_status { CC_GREEN = 0, CC_AMBER, CC_RED, CC_STALE, CC_ERROR };

const char *cc_status_name(enum cc_status s);

/* Thresholds only: where the value sits against amber and red in the metric's direction. */
enum cc_status cc_status_judge(const struct cc_metric_def *def, double value);

/*
 * The full verdict, in order of precedence: a failing feed (error, its reason), no value yet or
 * a value older than the freshness window (stale), then the thresholds. feed_error is NULL when
 * the feed is healthy. reason is set to "" for green/amber/red.
 */
enum cc_status cc_status_eval(const struct cc_metric_def *def, bool has_value, double value,
			      int64_t observed_ms, int64_t now_ms, const char *feed_error,
			      char *reason, size_t reason_len);

#endif
