#include "log.h"

#include <libwebsockets.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

static enum cc_log_level threshold = CC_LOG_INFO;

static const char *const names[] = { "error", "warn", "info", "debug" };

void cc_log_set_level(enum cc_log_level level) { threshold = level; }

enum cc_log_level cc_log_get_level(void) { return threshold; }

const char *cc_log_level_name(enum cc_log_level level)
{
	return (unsigned)level < 4 ? names[level] : "?";
}

int cc_log_level_parse(const char *name, enum cc_log_level *out)
{
	for (int i = 0; i < 4; i++)
		if (!strcmp(name, names[i])) {
			*out = (enum cc_log_level)i;
			return 0;
		}
	return -1;
}

static void emit(enum cc_log_level level, const char *msg)
{
	struct timeval tv;
	struct tm tm;
	char ts[32];
	static const char *const tags[] = { "ERROR", "WARN ", "INFO ", "DEBUG" };

	gettimeofday(&tv, NULL);
	gmtime_r(&tv.tv_sec, &tm);
	strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
	/* One fprintf per line so lines from a crash handler or child never interleave mid-line. */
	fprintf(stderr, "%s.%03ldZ %s %s\n", ts, (long)(tv.tv_usec / 1000), tags[level], msg);
}

void cc_log(enum cc_log_level level, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	if (level > threshold)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	emit(level, buf);
}

static void lws_emit(int lws_level, const char *line)
{
	enum cc_log_level level = CC_LOG_DEBUG;
	char buf[1024];
	size_t n;

	if (lws_level & LLL_ERR)
		level = CC_LOG_ERROR;
	else if (lws_level & LLL_WARN)
		level = CC_LOG_WARN;
	if (level > threshold)
		return;
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	if (n >= sizeof buf)
		n = sizeof buf - 1;
	memcpy(buf, line, n);
	buf[n] = '\0';
	emit(level, buf);
}

void cc_log_hook_lws(void)
{
	int mask = LLL_ERR | LLL_WARN;

	if (threshold >= CC_LOG_DEBUG)
		mask |= LLL_NOTICE;
	lws_set_log_level(mask, lws_emit);
}
