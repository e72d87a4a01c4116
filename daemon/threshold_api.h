/*
 * Manager endpoints over configuration kept in the hub: GET/POST /api/thresholds and
 * GET /api/audit. A threshold change is validated here (threshold.c), then written together
 * with its audit row in one statement; the hub's NOTIFY commcell_config makes every instance
 * reload, judge again and push the new statuses to every display.
 */
#ifndef CC_THRESHOLD_API_H
#define CC_THRESHOLD_API_H

#include "request.h"

void cc_threshold_api_list(struct cc_request *r);
void cc_threshold_api_change(struct cc_request *r);
void cc_audit_api_list(struct cc_request *r);

#endif
