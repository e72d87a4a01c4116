/*
 * The board report as a printable HTML document (issue 16): commcell.board_report's JSON in, one
 * self-contained page out: a summary page (period, escalation level by day, alerts, actions),
 * then one A4 landscape page per pathway stage with each measure's daily figures drawn against
 * its trajectory as inline SVG. No scripts, fonts or images are fetched, so the page prints and
 * saves anywhere; every text from the hub is escaped.
 *
 * Pure: no I/O, no globals. Input of any shape is accepted (the renderer is fuzzed): what is
 * missing or of the wrong type is left out or shown as "no figure".
 *
 * Figures a reader or a test may want to pick out carry data-* attributes: data-figure="NAME"
 * on the element holding one number, data-day/data-level on each day of the level strip,
 * data-day/data-value/data-status on each point of a chart.
 */
#ifndef CC_REPORT_H
#define CC_REPORT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* The Content-Security-Policy the document needs: its own inline style and nothing else. */
#define CC_REPORT_CSP                                                                       \
	"default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "   \
	"form-action 'none'; frame-ancestors 'none'"

/* A real calendar day written YYYY-MM-DD (2026-02-30 is not); *days: days since 1970-01-01. */
bool cc_report_parse_day(const char *s, long *days);

/* The document for report (a JSON object; anything else gives an empty report). Returns a
 * NUL-terminated string to free(); *len (when not NULL) is its length. */
char *cc_report_html(const json_t *report, size_t *len);

#endif
