#include "hubreply.h"
#include "log.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

struct pending {
	struct cc_request *req;
	char *key;
};

void cc_hubreply_error(struct cc_request *r, PGresult *res, const char *err)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : NULL;

	if (!res) {
		cc_request_error(r, 503, "the hub database is not reachable right now: %s", err);
		return;
	}
	/* class 23: integrity constraint violation, 22: data exception: the caller's input */
	if (state && (!strncmp(state, "23", 2) || !strncmp(state, "22", 2))) {
		cc_request_error(r, 400, "%s", primary ? primary : err);
		return;
	}
	cc_error("api: %s %s: hub query failed: %s", cc_request_method(r), cc_request_path(r), err);
	cc_request_error(r, 500, "the hub database refused the query: %s", primary ? primary : err);
}

static void answered(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	struct pending *p = arg;
	json_error_t jerr;
	json_t *v;

	(void)pc;
	if (err) {
		cc_hubreply_error(p->req, res, err);
	} else if (PQntuples(res) != 1 || PQnfields(res) != 1 ||
		   !(v = json_loads(PQgetvalue(res, 0, 0), JSON_DECODE_ANY, &jerr))) {
		cc_request_error(p->req, 500, "unexpected answer from the hub");
	} else {
		json_t *body = p->key ? json_pack("{s:o}", p->key, v) : v;
		if (body)
			cc_request_reply(p->req, 200, body);
		else
			cc_request_error(p->req, 500, "cannot encode the hub's answer");
	}
	free(p->key);
	free(p);
}

void cc_hubreply_json(struct cc_request *r, struct cc_pgconn *pc, const char *sql, int nparams,
		      const char *const *params, const char *key)
{
	struct pending *p = cc_xcalloc(1, sizeof *p);

	p->req = r;
	p->key = key ? cc_xstrdup(key) : NULL;
	if (cc_pgconn_query(pc, sql, nparams, params, answered, p)) {
		free(p->key);
		free(p);
		cc_request_error(r, 503, "the hub database is not reachable right now");
	}
}
