#include "status.h"

#include <stdio.h>

const char *cc_status_name(enum cc_status s)
{
	static const char *const names[] = { "green", "amber", "red", "stale", "error" };
	return (unsigned)s < 5 ? names[s] : "error";
}

/* Standards word their lines both ways: "95% within 4 hours" is met by 95.0 (only a value
 * strictly past the line counts), "fewer than 5% abandoned" is failed by 5.0 (a value on the
 * line counts too). The metric says which (commcell.metric.line_inclusive). */
static bool beyond(const struct cc_limits *l, double value, double line)
{
	if (l->line_inclusive)
		return l->higher_is_better ? value <= line : value >= line;
	return l->higher_is_better ? value < line : value > line;
}

void cc_limits_for(const struct cc_catalog *cat, const struct cc_metric_def *def, const char *site,
		   struct cc_limits *out)
{
	const struct cc_threshold *t = cc_catalog_threshold(cat, def->partner, def->key, site);

	out->higher_is_better = def->higher_is_better;
	out->line_inclusive = def->line_inclusive;
	if (t) {
		out->has_amber = t->has_amber;
		out->amber = t->amber;
		out->has_red = t->has_red;
		out->red = t->red;
		out->hysteresis = t->hysteresis;
		out->min_duration_s = t->min_duration_s;
	} else {
		out->has_amber = def->has_amber;
		out->amber = def->amber;
		out->has_red = def->has_red;
		out->red = def->red;
		out->hysteresis = def->hysteresis;
		out->min_duration_s = def->min_duration_s;
	}
}

enum cc_status cc_status_judge_limits(const struct cc_limits *l, double value)
{
	if (l->has_red && beyond(l, value, l->red))
		return CC_RED;
	if (l->has_amber && beyond(l, value, l->amber))
		return CC_AMBER;
	return CC_GREEN;
}

enum cc_status cc_status_judge(const struct cc_metric_def *def, double value)
{
	struct cc_limits l = {
		.higher_is_better = def->higher_is_better,
		.line_inclusive = def->line_inclusive,
		.has_amber = def->has_amber, .has_red = def->has_red,
		.amber = def->amber, .red = def->red,
	};
	return cc_status_judge_limits(&l, value);
}

enum cc_status cc_status_hysteresis(const struct cc_limits *l, double value, enum cc_status shown)
{
	enum cc_status now = cc_status_judge_limits(l, value), held;

	if (now >= shown || l->hysteresis <= 0)
		return now;
	/* Improving: judge the value as if it were worse by the hysteresis; it only leaves a
	 * status once it has cleared that status's line by that much, never ending worse. */
	held = cc_status_judge_limits(l, l->higher_is_better ? value - l->hysteresis
							     : value + l->hysteresis);
	return held < shown ? (held > now ? held : now) : shown;
}

static void format_window(int seconds, char *buf, size_t len)
{
	if (seconds % 3600 == 0)
		snprintf(buf, len, "%d h", seconds / 3600);
	else if (seconds % 60 == 0)
		snprintf(buf, len, "%d min", seconds / 60);
	else
		snprintf(buf, len, "%d s", seconds);
}

enum cc_status cc_status_eval(const struct cc_metric_def *def, bool has_value, double value,
			      int64_t observed_ms, int64_t now_ms, const char *feed_error,
			      char *reason, size_t reason_len)
{
	char window[32];

	reason[0] = '\0';
	if (feed_error) {
		snprintf(reason, reason_len, "%s", feed_error);
		return CC_ERROR;
	}
	if (!has_value) {
		snprintf(reason, reason_len, "no value received yet");
		return CC_STALE;
	}
	if (now_ms - observed_ms > (int64_t)def->freshness_s * 1000) {
		format_window(def->freshness_s, window, sizeof window);
		snprintf(reason, reason_len, "no new value within the %s freshness window", window);
		return CC_STALE;
	}
	return cc_status_judge(def, value);
}
