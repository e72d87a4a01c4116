/* HTTP routes of the alert engine: the alert list, acknowledgement (by a signed-in manager or a
 * signed link from a message), and silences. */
#ifndef CC_ALERTS_API_H
#define CC_ALERTS_API_H

#include "request.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* A POST /api/silences body; the text is borrowed from it. */
struct cc_silence_add {
	long long rule_id;         /* 0: none */
	const char *partner, *metric, *site;   /* NULL: any */
	int minutes;               /* 1 to a week */
	const char *reason;
};

/* Checks a body without touching anything else: 0 with *out filled, or -1 with the reason for
 * the caller (valid UTF-8, cut to errlen) in err. */
int cc_silence_parse(const json_t *body, struct cc_silence_add *out, char *err, size_t errlen);

void cc_alerts_api_list(struct cc_request *r);          /* GET /api/alerts */
void cc_alerts_api_ack(struct cc_request *r);           /* POST /api/alerts/{id}/ack */
void cc_alerts_api_ack_page(struct cc_request *r);      /* GET /api/alerts/{id}/ack?... */
void cc_alerts_api_silences(struct cc_request *r);      /* GET /api/silences */
void cc_alerts_api_silence_add(struct cc_request *r);   /* POST /api/silences */
void cc_alerts_api_silence_end(struct cc_request *r);   /* DELETE /api/silences/{id} */

#endif
