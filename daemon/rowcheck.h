/*
 * The intake check for partner rows: a row is judged before it reaches the board or history,
 * so a value the hub could not store (a time out of any sane range, text that is not UTF-8 or
 * too long to index) is quarantined with the reason at once instead of failing a batch later.
 */
#ifndef CC_ROWCHECK_H
#define CC_ROWCHECK_H

#include "feed.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest metric key and site code accepted, in bytes: far above any real code, well below
 * what fits in a btree index entry of the history table. */
#define CC_ROW_MAX_TEXT 200

/* observed_at before this is not a measurement: 2000-01-01T00:00:00Z. */
#define CC_ROW_MIN_OBSERVED_MS 946684800000LL
/* Rows dated further ahead than this are a partner's clock or data error, not a value. */
#define CC_ROW_FUTURE_MS (5 * 60 * 1000)

enum cc_row_fault {
	CC_ROW_OK = 0,
	CC_ROW_NULL_VALUE,      /* value NULL or not a number */
	CC_ROW_NONFINITE,       /* NaN or infinity */
	CC_ROW_BAD_TIME,        /* observed_at NULL, infinite, or before 2000 */
	CC_ROW_FUTURE,          /* observed_at more than CC_ROW_FUTURE_MS ahead */
	CC_ROW_BAD_TEXT,        /* metric or site not UTF-8, or too long */
};

/* Which fault, with why in words (valid UTF-8, never the offending bytes themselves). */
enum cc_row_fault cc_rowcheck_fault(const struct cc_row *row, int64_t now_ms, char *why,
				    size_t whylen);

/* True when the row may go on: the same judgement as cc_rowcheck_fault. */
bool cc_rowcheck(const struct cc_row *row, int64_t now_ms, char *why, size_t whylen);

/* A copy of text from outside (NULL stays NULL) that the hub will store: bytes that are not
 * well-formed UTF-8 become \xNN, and the result is cut between characters to at most max bytes
 * (an ellipsis marks the cut). The caller frees it. */
char *cc_rowcheck_clean(const char *s, size_t max);

#endif
