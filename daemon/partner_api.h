/*
 * Admin endpoints for partners: GET /api/partners (conninfo passwords masked) and
 * POST /api/partners (create or update; an update may leave out conninfo to keep it). The change and its audit row are one hub statement;
 * the hub's config trigger then notifies commcell_config, so every instance reloads live.
 */
#ifndef CC_PARTNER_API_H
#define CC_PARTNER_API_H

#include "request.h"

void cc_partner_api_list(struct cc_request *r);
void cc_partner_api_save(struct cc_request *r);

#endif
