/* HTTP routes of the alert engine: the alert list, acknowledgement (by a signed-in manager or a
 * signed link from a message), and silences. */
#ifndef CC_ALERTS_API_H
#define CC_ALERTS_API_H

#include "request.h"

void cc_alerts_api_list(struct cc_request *r);          /* GET /api/alerts */
void cc_alerts_api_ack(struct cc_request *r);           /* POST /api/alerts/{id}/ack */
void cc_alerts_api_ack_page(struct cc_request *r);      /* GET /api/alerts/{id}/ack?... */
void cc_alerts_api_silences(struct cc_request *r);      /* GET /api/silences */
void cc_alerts_api_silence_add(struct cc_request *r);   /* POST /api/silences */
void cc_alerts_api_silence_end(struct cc_request *r);   /* DELETE /api/silences/{id} */

#endif
