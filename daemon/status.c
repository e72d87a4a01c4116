#include "status.h"

#include <stdio.h>

const char *cc_status_name(enum cc_status s)
{
	static const char *const names[] = { "green", "amber", "red", "stale", "error" };
	return (unsigned)s < 5 ? names[s] : "error";
}

/* NHS thresholds are phrased "below 95%" (performance) and "above 92%" (occupancy): a value
 * exactly on the line is on target, so only a value strictly beyond it counts. */
static bool beyond(const struct cc_metric_def *def, double value, double line)
{
	return def->higher_is_better ? value < line : value > line;
}

enum cc_status cc_status_judge(const struct cc_metric_def *def, double value)
{
	if (def->has_red && beyond(def, value, def->red))
		return CC_RED;
	if (def->has_amber && beyond(def, value, def->amber))
		return CC_AMBER;
	return CC_GREEN;
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
