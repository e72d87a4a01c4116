#include "utf8.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Length of the well-formed character at s (at most avail bytes), or 0 when there is none. */
static size_t char_len(const unsigned char *s, size_t avail)
{
	unsigned c = s[0];
	size_t n;
	uint32_t cp;

	if (c == 0)
		return 0;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2, cp = c & 0x1F;
	else if (c >= 0xE0 && c <= 0xEF)
		n = 3, cp = c & 0x0F;
	else if (c >= 0xF0 && c <= 0xF4)
		n = 4, cp = c & 0x07;
	else
		return 0;
	if (n > avail)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return n;
}

bool cc_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;

	for (size_t i = 0; i < len;) {
		size_t n = char_len(p + i, len - i);
		if (!n)
			return false;
		i += n;
	}
	return true;
}

size_t cc_utf8_prefix(const char *s, size_t len, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		size_t n = char_len(p + i, len - i);
		if (!n)
			n = 1;
		if (i + n > max)
			break;
		i += n;
	}
	return i;
}

char *cc_utf8_copy(char *dst, size_t dstlen, const char *src)
{
	static const char ellipsis[] = "\xE2\x80\xA6";
	const unsigned char *p = (const unsigned char *)src;
	size_t len = strlen(src), i = 0, o = 0;

	if (!dstlen)
		return dst;
	while (i < len) {
		size_t n = char_len(p + i, len - i);
		const char *from = src + i;
		size_t take = n;

		if (!n) {
			from = "?";
			take = 1;
		}
		if (o + take > dstlen - 1)
			break;
		memcpy(dst + o, from, take);
		o += take;
		i += n ? n : 1;
	}
	if (i < len) {
		/* cut: make room for the ellipsis by dropping whole characters from the end */
		while (o > 0 && o + sizeof ellipsis - 1 > dstlen - 1) {
			do
				o--;
			while (o > 0 && ((unsigned char)dst[o] & 0xC0) == 0x80);
		}
		if (o + sizeof ellipsis - 1 <= dstlen - 1) {
			memcpy(dst + o, ellipsis, sizeof ellipsis - 1);
			o += sizeof ellipsis - 1;
		}
	}
	dst[o] = '\0';
	return dst;
}

int cc_utf8_error(char *dst, size_t dstlen, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	cc_utf8_copy(dst, dstlen, msg);
	return -1;
}

size_t cc_utf8_chars(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;  /* continuation bytes are not characters */
	return n;
}
