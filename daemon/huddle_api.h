/*
 * Huddles, the partners' meetings at the comm cell: GET /api/huddles (the latest 20 and the one
 * running), POST /api/huddles (start one, run by the signed-in user; one at a time),
 * POST /api/huddles/{id} (end it, write its notes), GET /api/huddles/brief (alerts and level
 * changes since the last huddle). Changes and their audit rows are hub functions
 * (sql/hub/019_actions.sql).
 */
#ifndef CC_HUDDLE_API_H
#define CC_HUDDLE_API_H

#include "request.h"

void cc_huddle_api_list(struct cc_request *r);
void cc_huddle_api_start(struct cc_request *r);
void cc_huddle_api_change(struct cc_request *r);
void cc_huddle_api_brief(struct cc_request *r);

#endif
