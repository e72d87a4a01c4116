/* A growable string, for building SQL array literals and Prometheus text. */
#ifndef CC_STRBUF_H
#define CC_STRBUF_H

#include <stddef.h>

struct cc_strbuf {
	char *data;
	size_t len, cap;
};

void cc_strbuf_append(struct cc_strbuf *sb, const char *s, size_t n);
void cc_strbuf_puts(struct cc_strbuf *sb, const char *s);
void cc_strbuf_printf(struct cc_strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append one element of a PostgreSQL array literal: quoted and escaped, or NULL. */
void cc_strbuf_array_elem(struct cc_strbuf *sb, const char *s);
void cc_strbuf_reset(struct cc_strbuf *sb);
void cc_strbuf_free(struct cc_strbuf *sb);

#endif
