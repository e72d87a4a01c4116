/* Small helpers shared by every module: allocation that cannot fail, clocks, time formats. */
#ifndef CC_UTIL_H
#define CC_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Allocation failure in a long-running daemon is not recoverable in any useful way: abort with
 * a message rather than thread NULL checks through every caller. */
void *cc_xmalloc(size_t n);
void *cc_xcalloc(size_t count, size_t n);
void *cc_xrealloc(void *p, size_t n);
char *cc_xstrdup(const char *s);
char *cc_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

int64_t cc_now_ms(void);      /* wall clock, ms since the epoch */
int64_t cc_mono_ms(void);     /* monotonic, for durations */
int64_t cc_mono_us(void);

/* "2026-11-26T20:01:02.123Z"; buf needs 32 bytes. */
void cc_format_iso(int64_t epoch_ms, char *buf, size_t len);

/* A whole decimal number, all of s; false when it is not one or is out of range. */
bool cc_parse_int64(const char *s, int64_t *out);

/* Copy with truncation; always terminates. */
void cc_strlcpy(char *dst, const char *src, size_t len);

#define CC_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
