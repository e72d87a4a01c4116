#include "log.h"
#include "utf8.h"

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

/* Bytes a well-formed character starting with lead would take; 0 for a byte no character
 * starts with. Whether the rest of it is well formed is cc_utf8_valid's business. */
static size_t lead_len(unsigned char lead)
{
	if (lead < 0x80)
		return 1;
	if (lead >= 0xC2 && lead <= 0xDF)
		return 2;
	if (lead >= 0xE0 && lead <= 0xEF)
		return 3;
	if (lead >= 0xF0 && lead <= 0xF4)
		return 4;
	return 0;
}

size_t cc_log_escape(char *dst, size_t dstlen, const char *src, size_t len)
{
	const unsigned char *p = (const unsigned char *)src;
	size_t at = 0, i = 0;

	if (!dstlen)
		return 0;
	while (i < len) {
		unsigned char c = p[i];
		size_t n = lead_len(c), outn;
		char esc[8];
		const char *out = esc;

		if (c == '\\' || c == '\n' || c == '\r' || c == '\t') {
			esc[0] = '\\';
			esc[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : c == '\t' ? 't' : '\\';
			outn = 2;
		} else if (c < 0x20 || c == 0x7F || !n || n > len - i ||
			   !cc_utf8_valid(src + i, n)) {
			outn = (size_t)snprintf(esc, sizeof esc, "\\x%02X", c);
			n = 1;
		} else if (n == 2 && c == 0xC2 && p[i + 1] < 0xA0) {
			/* C1 controls (U+0080..U+009F) can steer a terminal too */
			outn = (size_t)snprintf(esc, sizeof esc, "\\u%04X", p[i + 1]);
		} else {
			out = src + i;
			outn = n;
		}
		/* cut only between whole escapes or characters: the line stays valid UTF-8 */
		if (at + outn >= dstlen)
			break;
		memcpy(dst + at, out, outn);
		at += outn;
		i += n;
	}
	dst[at] = '\0';
	return at;
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
	char buf[2048], safe[sizeof buf * 4];
	va_list ap;
	int n;

	if (level > threshold)
		return;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	/* Escaped here, not by callers: one forgotten user name with a newline would forge a line. */
	cc_log_escape(safe, sizeof safe, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
	emit(level, safe);
}

static void lws_emit(int lws_level, const char *line)
{
	enum cc_log_level level = CC_LOG_DEBUG;
	char safe[1024 * 4];
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
	if (n > 1024)
		n = 1024;
	/* lws quotes headers and URIs from clients in its own lines */
	cc_log_escape(safe, sizeof safe, line, n);
	emit(level, safe);
}

void cc_log_hook_lws(void)
{
	int mask = LLL_ERR | LLL_WARN;

	if (threshold >= CC_LOG_DEBUG)
		mask |= LLL_NOTICE;
	lws_set_log_level(mask, lws_emit);
}
