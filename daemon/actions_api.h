/*
 * The action log: GET /api/actions (filters, or ?format=csv for managers), GET /api/actions/{id}
 * with its updates, POST /api/actions (new), POST /api/actions/{id} (status, update text, edits).
 * Bodies are checked by action.c; each change and its audit row are one hub statement
 * (sql/hub/019_actions.sql). Displays learn of changes through NOTIFY commcell_meeting
 * (meeting.c), not from here.
 */
#ifndef CC_ACTIONS_API_H
#define CC_ACTIONS_API_H

#include "request.h"

void cc_actions_api_list(struct cc_request *r);
void cc_actions_api_get(struct cc_request *r);
void cc_actions_api_create(struct cc_request *r);
void cc_actions_api_change(struct cc_request *r);

/* Run sql, which returns one row with one jsonb column, and reply ok_status with that value.
 * Hub errors become words: no_data_found 404, object_not_in_prerequisite_state and a unique
 * violation 409, bad input 400 (cc_hubreply_error); no row at all: 404 with missing. Shared
 * with huddle_api.c. */
void cc_meeting_api_run(struct cc_request *r, const char *sql, int nparams,
			const char *const *params, unsigned ok_status, const char *missing);

#endif
