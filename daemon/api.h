/*
 * JSON API endpoints answered from the hub database (history, quarantine). Each validates its
 * arguments, starts one non-blocking hub query and answers through a callback; httpd.c carries
 * the answer to the HTTP client if it is still there.
 */
#ifndef CC_API_H
#define CC_API_H

#include "catalog.h"
#include "pgconn.h"
#include "request.h"

#include <jansson.h>

/* GET /api/history?metric=&partner=&site=&from=&to=&step=; &format=csv (manager or above):
 * every value in the range as text/csv, a header row first */
void cc_api_history(struct cc_request *r);
/* GET /api/quarantine?partner=&limit= */
void cc_api_quarantine(struct cc_request *r);

#endif
