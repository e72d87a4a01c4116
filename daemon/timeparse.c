#include "timeparse.h"

#include <stdarg.h>
#include <stdio.h>

static bool fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return false;
}

static bool is_digit(char c) { return c >= '0' && c <= '9'; }

/* Exactly n digits at *p, advancing past them. Stops at the first non-digit, so the string's
 * terminating NUL is never passed. */
static bool digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!is_digit((*p)[i]))
			return false;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return true;
}

static bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int days_in_month(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && leap(y) ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (year >= 1): eras of 400 years repeat
 * exactly, so the count needs no table and no time_t. */
static int64_t days_from_civil(int y, int m, int d)
{
	int64_t yy = y - (m <= 2);
	int64_t era = yy / 400;  /* yy >= 0 for the years accepted */
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

static bool epoch_digits(const char *s, int64_t *epoch_ms, char *err, size_t errlen)
{
	int64_t v = 0;

	for (const char *p = s; *p; p++) {
		/* checked before it can overflow: the bound is far below INT64_MAX / 10 */
		v = v * 10 + (*p - '0');
		if (v > CC_TIME_MAX_MS)
			return fail(err, errlen, "epoch milliseconds after the year 9999");
	}
	*epoch_ms = v;
	return true;
}

bool cc_timeparse(const char *text, int64_t *epoch_ms, char *err, size_t errlen)
{
	const char *p = text;
	int year, month, day, hour, minute, second = 0, ms = 0, off_h = 0, off_m = 0, sign = 0;
	int64_t t;

	if (errlen)
		err[0] = '\0';
	if (!text || !*text)
		return fail(err, errlen, "empty time");
	while (is_digit(*p))
		p++;
	if (!*p)
		return epoch_digits(text, epoch_ms, err, errlen);
	p = text;
	if (!digits(&p, 4, &year) || *p++ != '-' || !digits(&p, 2, &month) || *p++ != '-' ||
	    !digits(&p, 2, &day))
		return fail(err, errlen, "the date must be YYYY-MM-DD");
	if (*p != 'T' && *p != 't')
		return fail(err, errlen, "a 'T' and a time of day must follow the date");
	p++;
	if (!digits(&p, 2, &hour) || *p++ != ':' || !digits(&p, 2, &minute))
		return fail(err, errlen, "the time of day must be HH:MM or HH:MM:SS");
	if (*p == ':') {
		p++;
		if (!digits(&p, 2, &second))
			return fail(err, errlen, "seconds must be two digits");
		if (*p == '.') {
			int n = 0;
			p++;
			for (; is_digit(*p); p++, n++) {
				if (n >= 9)
					return fail(err, errlen, "at most 9 digits of a second");
				if (n < 3)
					ms = ms * 10 + (*p - '0');
			}
			if (!n)
				return fail(err, errlen, "digits must follow the decimal point");
			for (; n < 3; n++)
				ms *= 10;
		}
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		sign = *p++ == '+' ? 1 : -1;
		if (!digits(&p, 2, &off_h) || *p++ != ':' || !digits(&p, 2, &off_m))
			return fail(err, errlen, "the zone offset must be +HH:MM or -HH:MM");
		if (off_h > 23 || off_m > 59)
			return fail(err, errlen, "the zone offset must be at most 23:59");
	} else {
		return fail(err, errlen, "a zone must follow the time (Z or +HH:MM): a time without "
					 "one is ambiguous across a clock change");
	}
	if (*p)
		return fail(err, errlen, "unexpected text after the zone");
	if (year < 1)
		return fail(err, errlen, "the year must be 0001 to 9999");
	if (month < 1 || month > 12)
		return fail(err, errlen, "the month must be 01 to 12");
	if (day < 1 || day > days_in_month(year, month))
		return fail(err, errlen, "no such day in that month");
	if (hour > 23 || minute > 59 || second > 59)
		return fail(err, errlen, "no such time of day");
	t = days_from_civil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second;
	t -= sign * (off_h * 3600 + off_m * 60);
	t = t * 1000 + ms;
	if (t < CC_TIME_MIN_MS || t > CC_TIME_MAX_MS)
		return fail(err, errlen, "the time must fall within the years 0001 to 9999 (UTC)");
	*epoch_ms = t;
	return true;
}

bool cc_dateparse(const char *text, long *days, int *year, int *month, int *day)
{
	const char *p = text;
	int y, m, d;

	if (!p || !digits(&p, 4, &y) || *p++ != '-' || !digits(&p, 2, &m) || *p++ != '-' || !digits(&p, 2, &d) || *p)
		return false;
	if (y < 1 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return false;
	if (days)
		*days = (long)days_from_civil(y, m, d);
	if (year)
		*year = y;
	if (month)
		*month = m;
	if (day)
		*day = d;
	return true;
}
