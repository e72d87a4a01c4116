/*
 * Times and days given by people and programs (/api/history from= and to=, goal and action
 * dates, report periods): read
 * strictly, with every field's width and range checked, so any text gives an answer or a
 * reason in words and nothing past its end is read.
 */
#ifndef CC_TIMEPARSE_H
#define CC_TIMEPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The first and last instants accepted: 0001-01-01T00:00:00.000Z and 9999-12-31T23:59:59.999Z. */
#define CC_TIME_MIN_MS (-62135596800000LL)
#define CC_TIME_MAX_MS 253402300799999LL

/*
 * text is either epoch milliseconds (digits only, at most CC_TIME_MAX_MS) or an RFC 3339 time
 * with a zone: YYYY-MM-DDTHH:MM[:SS[.fraction]] then Z or +HH:MM / -HH:MM (a time without a
 * zone is ambiguous across a clock change). Years 0001 to 9999; a fraction is kept to the
 * millisecond (at most 9 digits). On success stores the instant and returns true; otherwise
 * writes why into err (errlen bytes, may be 0) and returns false.
 */
bool cc_timeparse(const char *text, int64_t *epoch_ms, char *err, size_t errlen);

/*
 * A calendar day written YYYY-MM-DD (goal and action dates, report periods): exactly ten
 * characters, years 0001 to 9999, a day that exists (2026-02-30 does not). On success stores
 * the days since 1970-01-01 and the year, month and day (each pointer may be NULL).
 */
bool cc_dateparse(const char *text, long *days, int *year, int *month, int *day);

#endif
