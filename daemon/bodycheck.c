#include "bodycheck.h"
#include "utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int cc_body_known(const json_t *body, const char *const *known, char *err, size_t errlen)
{
	const char *key;
	json_t *v;

	json_object_foreach((json_t *)body, key, v) {
		const char *const *k = known;
		char cut[64];

		while (*k && strcmp(key, *k))
			k++;
		if (!*k)
			return cc_utf8_error(err, errlen, "unknown field '%s'",
					     cc_utf8_copy(cut, sizeof cut, key));
	}
	return 0;
}

/* The field and the reason quote what the caller sent (keys, labels), and jansson refuses a
 * reply holding a character cut in half: both are cut between characters. */
int cc_why_bad(struct cc_why *w, const char *field, const char *fmt, ...)
{
	char msg[600];
	va_list ap;

	cc_utf8_copy(w->field, w->flen, field);
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	cc_utf8_copy(w->msg, w->mlen, msg);
	return -1;
}
