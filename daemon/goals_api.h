/*
 * Goals and daily figures (issue 16): GET/POST /api/goals, POST/DELETE /api/goals/{id} and
 * GET /api/daily. A goal is checked by goal.c before the hub is asked, then written with its
 * audit row in one statement; the hub's answers (a second goal on a series, a constraint) come
 * back as 409 or 400 in words. The hub's NOTIFY commcell_meeting tells every instance.
 */
#ifndef CC_GOALS_API_H
#define CC_GOALS_API_H

#include "request.h"

void cc_goals_api_list(struct cc_request *r);
void cc_goals_api_create(struct cc_request *r);
void cc_goals_api_update(struct cc_request *r);
void cc_goals_api_delete(struct cc_request *r);
void cc_goals_api_daily(struct cc_request *r);

#endif
