#include "strbuf.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void reserve(struct cc_strbuf *sb, size_t extra)
{
	if (sb->len + extra + 1 <= sb->cap)
		return;
	while (sb->len + extra + 1 > sb->cap)
		sb->cap = sb->cap ? sb->cap * 2 : 256;
	sb->data = cc_xrealloc(sb->data, sb->cap);
}

void cc_strbuf_append(struct cc_strbuf *sb, const char *s, size_t n)
{
	reserve(sb, n);
	memcpy(sb->data + sb->len, s, n);
	sb->len += n;
	sb->data[sb->len] = '\0';
}

void cc_strbuf_puts(struct cc_strbuf *sb, const char *s) { cc_strbuf_append(sb, s, strlen(s)); }

void cc_strbuf_printf(struct cc_strbuf *sb, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	reserve(sb, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	sb->len += (size_t)n;
}

void cc_strbuf_array_elem(struct cc_strbuf *sb, const char *s)
{
	if (sb->len && sb->data[sb->len - 1] != '{')
		cc_strbuf_append(sb, ",", 1);
	if (!s) {
		cc_strbuf_append(sb, "NULL", 4);
		return;
	}
	cc_strbuf_append(sb, "\"", 1);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			cc_strbuf_append(sb, "\\", 1);
		cc_strbuf_append(sb, s, 1);
	}
	cc_strbuf_append(sb, "\"", 1);
}

void cc_strbuf_reset(struct cc_strbuf *sb)
{
	sb->len = 0;
	if (sb->data)
		sb->data[0] = '\0';
}

void cc_strbuf_free(struct cc_strbuf *sb)
{
	free(sb->data);
	sb->data = NULL;
	sb->len = sb->cap = 0;
}
