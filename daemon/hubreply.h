/*
 * Answering an API request from one hub query. Lists (users, tokens, audit, thresholds) are
 * built as JSON by PostgreSQL itself (json_agg), so the daemon parses one value instead of
 * converting column by column; errors become the right HTTP status.
 */
#ifndef CC_HUBREPLY_H
#define CC_HUBREPLY_H

#include "pgconn.h"
#include "request.h"

/* Run sql, which returns one row with one json column, and reply 200 with {key: that value}.
 * Replies 503 at once when the hub is not connected. */
void cc_hubreply_json(struct cc_request *r, struct cc_pgconn *pc, const char *sql, int nparams,
		      const char *const *params, const char *key);

/* Reply to a query that failed: 503 when it could not run (hub unreachable), 400 with the
 * database's words for a violated constraint, 500 otherwise. */
void cc_hubreply_error(struct cc_request *r, PGresult *res, const char *err);

#endif
