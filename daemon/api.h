/*
 * JSON API endpoints answered from the hub database (history, quarantine). Each validates its
 * arguments, starts one non-blocking hub query and answers through a callback; httpd.c carries
 * the answer to the HTTP client if it is still there.
 */
#ifndef CC_API_H
#define CC_API_H

#include "catalog.h"
#include "pgconn.h"

#include <jansson.h>

/* Arguments from the query string; NULL when absent. */
struct cc_api_args {
	const char *partner, *metric, *site, *from, *to, *step, *limit;
};

/* body is owned by the callee after the call. */
typedef void (*cc_api_done)(void *req, unsigned status, json_t *body);

/*
 * Start the query for path ("/api/history" or "/api/quarantine"). Returns 0 when started (done
 * is called later, exactly once), or the HTTP status to answer now with *body (bad arguments,
 * hub unreachable, unknown path).
 */
unsigned cc_api_start(const char *path, const struct cc_api_args *args,
		      const struct cc_catalog *cat, struct cc_pgconn *hub, cc_api_done done,
		      void *req, json_t **body);

/* "2026-11-26T20:01:02Z", with optional fraction and +HH:MM offset, or epoch milliseconds. */
int cc_api_parse_time(const char *s, int64_t *epoch_ms);

#endif
