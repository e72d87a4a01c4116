/*
 * Checking a JSON request body before anything is done with it (thresholds, goals, actions,
 * the rota): only known fields, and a refusal that names the field and says why in words a
 * manager understands, safe to put in a JSON reply.
 */
#ifndef CC_BODYCHECK_H
#define CC_BODYCHECK_H

#include <jansson.h>
#include <stddef.h>

/* 0 when every key of body is in known (NULL-terminated); else -1 with "unknown field 'x'". */
int cc_body_known(const json_t *body, const char *const *known, char *err, size_t errlen);

/* Where a validator writes its refusal: the field's name and the reason, each in a buffer of
 * the caller's. */
struct cc_why {
	char *field, *msg;
	size_t flen, mlen;
};

/* Fill w (formatted like printf, cut between characters) and return -1, so a validator can end
 * with `return cc_why_bad(w, "target", "...", ...)`. */
int cc_why_bad(struct cc_why *w, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#endif
