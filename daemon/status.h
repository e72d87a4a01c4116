/* Judging a value: the status a display shows for it. Pure functions, no I/O. */
#ifndef CC_STATUS_H
#define CC_STATUS_H

#include "catalog.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum cc_status { CC_GREEN = 0, CC_AMBER, CC_RED, CC_STALE, CC_ERROR };

const char *cc_status_name(enum cc_status s);

/* The thresholds in force for one series: the metric's defaults or its site's override (which
 * moves the lines but keeps the metric's wording of them, line_inclusive). */
struct cc_limits {
	bool higher_is_better;
	bool line_inclusive;        /* a value on a line has its status ("fewer than 5%") */
	bool has_amber, has_red;
	double amber, red;
	double hysteresis;          /* how far back past a line a value must come to leave it */
	int min_duration_s;         /* how long a worse status must hold before it shows */
};

void cc_limits_for(const struct cc_catalog *cat, const struct cc_metric_def *def, const char *site,
		   struct cc_limits *out);

/* Thresholds only: where the value sits against amber and red in the metric's direction. */
enum cc_status cc_status_judge(const struct cc_metric_def *def, double value);
enum cc_status cc_status_judge_limits(const struct cc_limits *l, double value);

/* The same, for a series now shown at `shown` (green, amber or red): a better status needs the
 * value to clear the line by the hysteresis; a worse one applies at once (the minimum duration
 * is the caller's, who knows how long it has held). */
enum cc_status cc_status_hysteresis(const struct cc_limits *l, double value, enum cc_status shown);

/*
 * The full verdict, in order of precedence: a failing feed (error, its reason), no value yet or
 * a value older than the freshness window (stale), then the thresholds. feed_error is NULL when
 * the feed is healthy. reason is set to "" for green/amber/red.
 */
enum cc_status cc_status_eval(const struct cc_metric_def *def, bool has_value, double value,
			      int64_t observed_ms, int64_t now_ms, const char *feed_error,
			      char *reason, size_t reason_len);

#endif
