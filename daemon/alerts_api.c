#include "alerts_api.h"
#include "alerts.h"
#include "app.h"
#include "auth.h"
#include "hubreply.h"
#include "utf8.h"
#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "17/ack" -> 17; 0 when the tail is not an alert id followed by suffix */
static long long id_in_tail(const char *tail, const char *suffix)
{
	char *end;
	long long id = strtoll(tail, &end, 10);

	if (end == tail || id <= 0 || strcmp(end, suffix))
		return 0;
	return id;
}

static bool all_of(const char *s, const char *allowed_class)
{
	if (!s || !*s)
		return false;
	for (; *s; s++) {
		if (!strcmp(allowed_class, "digits") && !isdigit((unsigned char)*s))
			return false;
		if (!strcmp(allowed_class, "hex") && !isxdigit((unsigned char)*s))
			return false;
		if (!strcmp(allowed_class, "name") && !isalnum((unsigned char)*s) && !strchr("_.-", *s))
			return false;
	}
	return true;
}

void cc_alerts_api_list(struct cc_request *r)
{
	struct cc_alerts *a = cc_app_alerts(cc_request_app(r));
	json_t *o = json_pack("{s:O,s:o}", "alerts", cc_alerts_list(a), "delivery",
			      cc_alerts_stats(a));

	if (o)
		cc_request_reply(r, 200, o);
	else
		cc_request_error(r, 500, "could not encode the alerts");
}

static void acked(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	struct cc_request *r = arg;
	const char *result;

	(void)pc;
	if (err) {
		cc_hubreply_error(r, res, err);
		return;
	}
	result = PQgetisnull(res, 0, 0) ? "not firing or already acknowledged" : PQgetvalue(res, 0, 0);
	if (!strcmp(result, "ok") || all_of(result, "digits")) {
		json_t *o = json_pack("{s:s}", "result", "acknowledged");
		cc_alerts_poke(cc_app_alerts(cc_request_app(r)));
		if (o)
			cc_request_reply(r, 200, o);
		else
			cc_request_error(r, 500, "acknowledged, but could not encode the answer");
	} else if (!strcmp(result, "bad signature") || !strcmp(result, "expired")) {
		cc_request_error(r, 403, "this acknowledgement link is %s", !strcmp(result, "expired")
										  ? "out of date"
										  : "not valid");
	} else {
		cc_request_error(r, 409, "alert not acknowledged: %s", result);
	}
}

void cc_alerts_api_ack(struct cc_request *r)
{
	struct cc_pgconn *pc = cc_app_hub_conn(cc_request_app(r));
	long long id = id_in_tail(cc_request_tail(r), "/ack");
	const char *sig = cc_request_arg(r, "sig");
	char ids[32];
	int rc;

	if (!id) {
		cc_request_error(r, 404, "no such alert");
		return;
	}
	snprintf(ids, sizeof ids, "%lld", id);
	if (sig) {
		/* a signed link: the signature is the credential, the person it names the actor */
		const char *person = cc_request_arg(r, "person"), *expires = cc_request_arg(r, "expires");
		const char *params[4] = { ids, person, expires, sig };
		if (!cc_auth_origin_allowed(r))
			return;
		if (!all_of(person, "name") || !all_of(expires, "digits") || !all_of(sig, "hex")) {
			cc_request_error(r, 400, "this acknowledgement link is damaged");
			return;
		}
		rc = cc_pgconn_query(pc, "SELECT commcell.alert_ack_link($1::bigint, $2, $3::bigint, $4)",
				     4, params, acked, r);
	} else {
		const char *params[2] = { ids, cc_request_user(r) };
		if (cc_request_role(r) < CC_ROLE_MANAGER || !*cc_request_user(r)) {
			cc_request_error(r, cc_request_role(r) == CC_ROLE_NONE || !*cc_request_user(r)
						    ? 401 : 403,
					 "acknowledging needs a signed-in manager");
			return;
		}
		if (!cc_auth_change_allowed(r))
			return;
		rc = cc_pgconn_query(pc, "SELECT commcell.alert_ack($1::bigint, $2, 'manager view')", 2,
				     params, acked, r);
	}
	if (rc)
		cc_request_error(r, 503, "the hub database is not reachable right now");
}

void cc_alerts_api_ack_page(struct cc_request *r)
{
	long long id = id_in_tail(cc_request_tail(r), "/ack");
	const char *person = cc_request_arg(r, "person"), *expires = cc_request_arg(r, "expires");
	const char *sig = cc_request_arg(r, "sig");
	char *page;

	/* A GET must not change anything (mail scanners follow links): it shows a button that
	 * POSTs the same link. */
	if (!id || !all_of(person, "name") || !all_of(expires, "digits") || !all_of(sig, "hex")) {
		cc_request_reply_text(r, 400, "text/html; charset=utf-8",
				      "<!doctype html><title>commcell</title><p>This acknowledgement "
				      "link is damaged.</p>");
		return;
	}
	page = cc_xasprintf(
		"<!doctype html><html lang=\"en-GB\"><meta charset=\"utf-8\">"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
		"<title>Acknowledge alert %lld - commcell</title>"
		"<body style=\"font:1.2rem system-ui,sans-serif;max-width:32rem;margin:2rem auto\">"
		"<h1>Acknowledge alert %lld</h1><p>as <b>%s</b></p>"
		"<button id=\"b\" style=\"font-size:1.4rem;padding:.6rem 1.4rem\">Acknowledge</button>"
		"<p id=\"m\" role=\"status\"></p><script>"
		"document.getElementById('b').onclick=async()=>{const m=document.getElementById('m');"
		"const r=await fetch(location.href,{method:'POST'});const j=await r.json();"
		"m.textContent=r.ok?'Acknowledged. Escalation has stopped.':(j.error||'Failed');};"
		"</script></body></html>",
		id, id, person);
	cc_request_reply_text(r, 200, "text/html; charset=utf-8", page);
	free(page);
}

void cc_alerts_api_silences(struct cc_request *r)
{
	cc_hubreply_json(r, cc_app_hub_conn(cc_request_app(r)),
			 "SELECT coalesce(json_agg(s ORDER BY s.ends_at DESC), '[]') FROM "
			 "(SELECT id, rule_id, partner, metric, site, starts_at, ends_at, reason, "
			 "created_by, created_at, ends_at > now() AS active FROM commcell.silence "
			 "WHERE ends_at > now() - interval '1 day') s",
			 0, NULL, "silences");
}

static const char *opt_string(const json_t *body, const char *key, bool *bad)
{
	json_t *v = json_object_get(body, key);

	if (!v || json_is_null(v))
		return NULL;
	if (!json_is_string(v) || !json_string_length(v) || json_string_length(v) > 200) {
		*bad = true;
		return NULL;
	}
	return json_string_value(v);
}

static int refuse(char *err, size_t errlen, const char *why)
{
	cc_utf8_copy(err, errlen, why);
	return -1;
}

int cc_silence_parse(const json_t *body, struct cc_silence_add *out, char *err, size_t errlen)
{
	json_t *rule = json_object_get(body, "rule_id"), *minutes = json_object_get(body, "minutes");
	bool bad = false;

	memset(out, 0, sizeof *out);
	if (!json_is_object(body))
		return refuse(err, errlen, "send a JSON object: {\"partner\", \"metric\", \"site\", "
					   "\"rule_id\", \"minutes\", \"reason\"}");
	out->partner = opt_string(body, "partner", &bad);
	out->metric = opt_string(body, "metric", &bad);
	out->site = opt_string(body, "site", &bad);
	out->reason = opt_string(body, "reason", &bad);
	if (bad)
		return refuse(err, errlen, "partner, metric, site and reason must be non-empty text "
					   "(up to 200 characters) when given");
	if (!out->reason)
		return refuse(err, errlen, "a silence needs a reason (e.g. planned maintenance)");
	if (!json_is_integer(minutes) || json_integer_value(minutes) < 1 ||
	    json_integer_value(minutes) > 7 * 24 * 60)
		return refuse(err, errlen, "minutes must be a whole number from 1 to 10080 (a week)");
	out->minutes = (int)json_integer_value(minutes);
	if (rule && !json_is_null(rule) && (!json_is_integer(rule) || json_integer_value(rule) < 1))
		return refuse(err, errlen, "rule_id must be an alert rule's id");
	if ((!rule || json_is_null(rule)) && !out->partner && !out->metric)
		return refuse(err, errlen, "say what to silence: a rule_id, a partner or a metric");
	out->rule_id = json_is_integer(rule) ? (long long)json_integer_value(rule) : 0;
	return 0;
}

void cc_alerts_api_silence_add(struct cc_request *r)
{
	struct cc_silence_add s;
	char rule_s[32], minutes_s[32], err[200];
	const char *params[7];

	if (cc_silence_parse(cc_request_body(r), &s, err, sizeof err)) {
		cc_request_error(r, 400, "%s", err);
		return;
	}
	snprintf(rule_s, sizeof rule_s, "%lld", s.rule_id);
	snprintf(minutes_s, sizeof minutes_s, "%d", s.minutes);
	params[0] = s.rule_id ? rule_s : NULL;
	params[1] = s.partner;
	params[2] = s.metric;
	params[3] = s.site;
	params[4] = minutes_s;
	params[5] = s.reason;
	params[6] = cc_request_user(r);
	/* the silence and its audit row in one statement, so one is never without the other */
	cc_hubreply_json(r, cc_app_hub_conn(cc_request_app(r)),
			 "WITH s AS (INSERT INTO commcell.silence (rule_id, partner, metric, site, "
			 "ends_at, reason, created_by) VALUES ($1::int, $2, $3, $4, "
			 "now() + make_interval(mins => $5::int), $6, $7) RETURNING *), "
			 "a AS (INSERT INTO commcell.audit (actor, action, target, detail) "
			 "SELECT $7, 'silence.create', 'silence ' || s.id, to_jsonb(s) FROM s) "
			 "SELECT row_to_json(s) FROM s",
			 7, params, "silence");
}

void cc_alerts_api_silence_end(struct cc_request *r)
{
	char *end;
	long long id = strtoll(cc_request_tail(r), &end, 10);
	char ids[32];
	const char *params[2] = { ids, cc_request_user(r) };

	if (end == cc_request_tail(r) || *end || id < 1) {
		cc_request_error(r, 404, "no such silence");
		return;
	}
	snprintf(ids, sizeof ids, "%lld", id);
	cc_hubreply_json(r, cc_app_hub_conn(cc_request_app(r)),
			 "WITH s AS (UPDATE commcell.silence SET ends_at = now() "
			 "WHERE id = $1::int AND ends_at > now() RETURNING *), "
			 "a AS (INSERT INTO commcell.audit (actor, action, target, detail) "
			 "SELECT $2, 'silence.end', 'silence ' || s.id, to_jsonb(s) FROM s) "
			 "SELECT json_build_object('ended', count(*)) FROM s",
			 2, params, "result");
}
