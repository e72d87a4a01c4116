/*
 * UTF-8 text from outside (client messages, partner rows, hub settings) checked before it is
 * used, and cut only between characters: jansson refuses invalid UTF-8, so text cut inside a
 * character turns a reply or a broadcast into NULL.
 */
#ifndef CC_UTF8_H
#define CC_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True when the len bytes at s are well-formed UTF-8 (RFC 3629: no overlongs, no surrogates,
 * nothing above U+10FFFF) with no NUL byte. */
bool cc_utf8_valid(const char *s, size_t len);

/* The length of the longest prefix of s (len bytes, assumed valid) that is at most max bytes
 * and ends on a character boundary. */
size_t cc_utf8_prefix(const char *s, size_t len, size_t max);

/* Copy src into dst (size dstlen) cut on a character boundary, appending "…" when it was cut
 * and there is room. Invalid bytes in src are replaced by '?', so the result is always valid
 * UTF-8 and always terminated. Returns dst. */
char *cc_utf8_copy(char *dst, size_t dstlen, const char *src);

/* Characters (not bytes) in valid UTF-8 text: the hub's length limits count characters. */
size_t cc_utf8_chars(const char *s);

/* A validator's reason for a JSON reply: formatted like snprintf (at most 511 bytes before the
 * cut), then copied with cc_utf8_copy. Returns -1, so a validator can end with
 * `return cc_utf8_error(err, errlen, "...", ...)`. */
int cc_utf8_error(char *dst, size_t dstlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
