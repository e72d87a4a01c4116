#include "rowcheck.h"
#include "utf8.h"
#include "util.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static enum cc_row_fault fault(enum cc_row_fault f, char *why, size_t whylen, const char *fmt,
			       ...)
{
	va_list ap;

	if (whylen) {
		va_start(ap, fmt);
		vsnprintf(why, whylen, fmt, ap);
		va_end(ap);
	}
	return f;
}

/* Where the first byte that is not UTF-8 is, or -1; the offset, not the byte, goes into the
 * reason so the reason itself stays valid text. */
static long first_bad_byte(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		size_t n = cc_utf8_prefix(s + i, len - i, 4);
		size_t good = 0;
		/* the longest valid prefix of up to 4 bytes is at least one whole character */
		for (size_t k = n; k > 0 && !good; k--)
			if (cc_utf8_valid(s + i, k))
				good = k;
		if (!good)
			return (long)i;
		i += good;
	}
	return -1;
}

static enum cc_row_fault check_text(const char *name, const char *s, char *why, size_t whylen)
{
	size_t len;
	long bad;

	if (!s)
		return fault(CC_ROW_BAD_TEXT, why, whylen, "%s is NULL", name);
	len = strlen(s);
	if (len > CC_ROW_MAX_TEXT)
		return fault(CC_ROW_BAD_TEXT, why, whylen, "%s is %zu bytes long; at most %d are "
			     "accepted", name, len, CC_ROW_MAX_TEXT);
	bad = first_bad_byte(s, len);
	if (bad >= 0)
		return fault(CC_ROW_BAD_TEXT, why, whylen, "%s is not valid UTF-8 (byte 0x%02X at "
			     "offset %ld); is the partner database SQL_ASCII?", name,
			     (unsigned char)s[bad], bad);
	return CC_ROW_OK;
}

enum cc_row_fault cc_rowcheck_fault(const struct cc_row *row, int64_t now_ms, char *why,
				    size_t whylen)
{
	enum cc_row_fault f;

	if (whylen)
		why[0] = '\0';
	/* text first: every other reason names the row by its metric and site */
	if ((f = check_text("metric", row->metric, why, whylen)) ||
	    (f = check_text("site", row->site, why, whylen)))
		return f;
	if (row->value_null)
		return fault(CC_ROW_NULL_VALUE, why, whylen, "value is NULL or not a number");
	if (!isfinite(row->value))
		return fault(CC_ROW_NONFINITE, why, whylen, "value is not finite (NaN or infinity)");
	if (row->observed_null)
		return fault(CC_ROW_BAD_TIME, why, whylen, "observed_at is NULL or not a finite time");
	/* Partners report what is true now. A time before 2000 is a default or sentinel
	 * (0001-01-01, the 1970 epoch, a BC date), not a measurement, and the hub's history is
	 * bucketed from 2000-01-01. */
	if (row->observed_ms < CC_ROW_MIN_OBSERVED_MS)
		return fault(CC_ROW_BAD_TIME, why, whylen, "observed_at is before the year 2000");
	/* The same bound keeps the arithmetic below from overflowing for any now_ms we can see. */
	if (now_ms > INT64_MAX - CC_ROW_FUTURE_MS || row->observed_ms > now_ms + CC_ROW_FUTURE_MS)
		return fault(CC_ROW_FUTURE, why, whylen,
			     "observed_at is more than 5 minutes in the future");
	return CC_ROW_OK;
}

bool cc_rowcheck(const struct cc_row *row, int64_t now_ms, char *why, size_t whylen)
{
	return cc_rowcheck_fault(row, now_ms, why, whylen) == CC_ROW_OK;
}

char *cc_rowcheck_clean(const char *s, size_t max)
{
	size_t len, i = 0, o = 0;
	char *buf, *out;

	if (!s)
		return NULL;
	len = strlen(s);
	buf = cc_xmalloc(4 * len + 1);
	while (i < len) {
		size_t n = cc_utf8_prefix(s + i, len - i, 4), good = 0;
		for (size_t k = n; k > 0 && !good; k--)
			if (cc_utf8_valid(s + i, k))
				good = k;
		if (good) {
			memcpy(buf + o, s + i, good);
			o += good;
			i += good;
		} else {
			o += (size_t)sprintf(buf + o, "\\x%02X", (unsigned char)s[i]);
			i++;
		}
	}
	buf[o] = '\0';
	out = cc_xmalloc(max + 1);
	cc_utf8_copy(out, max + 1, buf);
	free(buf);
	return out;
}
