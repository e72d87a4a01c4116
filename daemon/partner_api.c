#include "partner_api.h"
#include "app.h"
#include "authstore.h"
#include "hubreply.h"
#include "utf8.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Hides a libpq conninfo's password, in keyword/value form (password=secret or
 * password='a b') and in URI form (postgres://user:secret@host, ?password=secret). */
#define MASKED(col) \
	"regexp_replace(regexp_replace(" col ", " \
	"'(password\\s*=\\s*)(''([^''\\\\]|\\\\.)*''|[^\\s&]+)', '\\1********', 'gi'), " \
	"'^(postgres(ql)?://[^:/@?]*:)[^@/?]*@', '\\1********@', 'i')"

static const char list_sql[] =
	"SELECT coalesce(json_agg(json_build_object('name', p.name, 'label', p.label, "
	"'short_label', p.short_label, 'conninfo', " MASKED("p.conninfo") ", 'enabled', p.enabled, "
	"'feeds', (SELECT count(*) FROM commcell.feed f WHERE f.partner = p.name)) "
	"ORDER BY p.name), '[]') FROM commcell.partner p";

/* $1 name, $2 label, $3 conninfo (NULL: keep the partner's current one), $4 enabled, $5 actor,
 * $6 short label, $7 whether it was given (else the current one is kept).
 * The audit detail never holds the conninfo: only whether it changed. (old is read without FOR
 * UPDATE: a row this statement changes would be skipped by the lock, and the snapshot has it.) */
static const char save_sql[] =
	"WITH old AS (SELECT label, short_label, conninfo, enabled FROM commcell.partner "
	"      WHERE name = $1), "
	"p AS (INSERT INTO commcell.partner (name, label, conninfo, enabled, short_label) "
	"      VALUES ($1, $2, coalesce($3, (SELECT conninfo FROM old)), $4::boolean, "
	"      CASE WHEN $7::boolean THEN $6::text ELSE (SELECT short_label FROM old) END) "
	"      ON CONFLICT (name) DO UPDATE SET label = EXCLUDED.label, "
	"      conninfo = EXCLUDED.conninfo, enabled = EXCLUDED.enabled, "
	"      short_label = EXCLUDED.short_label "
	"      RETURNING name, label, short_label, enabled), "
	"au AS (INSERT INTO commcell.audit (actor, action, target, detail) SELECT $5, "
	"      'partner.save', $1, jsonb_build_object('created', old.label IS NULL, "
	"      'before', CASE WHEN old.label IS NULL THEN NULL ELSE jsonb_build_object("
	"      'label', old.label, 'short_label', old.short_label, 'enabled', old.enabled) END, "
	"      'after', jsonb_build_object('label', p.label, 'short_label', p.short_label, "
	"      'enabled', p.enabled), "
	"      'conninfo_changed', $3::text IS NOT NULL AND old.conninfo IS DISTINCT FROM $3::text) "
	"      FROM p LEFT JOIN old ON true RETURNING id) "
	"SELECT json_build_object('name', p.name, 'label', p.label, 'short_label', p.short_label, "
	"      'enabled', p.enabled, "
	"      'created', NOT EXISTS (SELECT 1 FROM old)) FROM p, au";

static struct cc_pgconn *conn(struct cc_request *r)
{
	return cc_authstore_conn(cc_app_auth(cc_request_app(r)));
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 40 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return false;
	return true;
}

/* 1 to 40 characters (not bytes: jansson has checked the UTF-8), no control characters. */
static bool valid_short_label(const char *s)
{
	size_t chars = 0;

	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return false;
		if ((*p & 0xc0) != 0x80)
			chars++;
	}
	return chars >= 1 && chars <= 40;
}

void cc_partner_api_list(struct cc_request *r)
{
	cc_hubreply_json(r, conn(r), list_sql, 0, NULL, "partners");
}

static void saved(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	struct cc_request *r = arg;
	json_t *v;

	(void)pc;
	if (err && res && PQresultErrorField(res, PG_DIAG_SQLSTATE) &&
	    !strcmp(PQresultErrorField(res, PG_DIAG_SQLSTATE), "23502"))
		cc_request_error(r, 400, "conninfo is required for a new partner");
	else if (err)
		cc_hubreply_error(r, res, err);
	else if (PQntuples(res) != 1 || !(v = json_loads(PQgetvalue(res, 0, 0), 0, NULL)))
		cc_request_error(r, 500, "unexpected answer from the hub");
	else
		cc_request_reply(r, json_is_true(json_object_get(v, "created")) ? 201 : 200, v);
}

int cc_partner_parse(const json_t *body, struct cc_partner_save *out, char *err, size_t errlen)
{
	const char *key;
	json_t *v;

	memset(out, 0, sizeof *out);
	out->enabled = true;
	if (!json_is_object(body)) {
		cc_utf8_copy(err, errlen, "the body must be a JSON object");
		return -1;
	}
	json_object_foreach((json_t *)body, key, v) {
		if (strcmp(key, "name") && strcmp(key, "label") && strcmp(key, "conninfo") &&
		    strcmp(key, "enabled") && strcmp(key, "short_label")) {
			char cut[64], msg[96];
			snprintf(msg, sizeof msg, "unknown field '%s'",
				 cc_utf8_copy(cut, sizeof cut, key));
			cc_utf8_copy(err, errlen, msg);
			return -1;
		}
	}
	out->name = json_string_value(json_object_get(body, "name"));
	out->label = json_string_value(json_object_get(body, "label"));
	out->conninfo = json_string_value(json_object_get(body, "conninfo"));
	if (!out->name || !valid_name(out->name)) {
		cc_utf8_copy(err, errlen, "name must be 1 to 40 lower-case letters, digits or _ "
					  "(starting with a letter or digit)");
		return -1;
	}
	if (!out->label || !*out->label || strlen(out->label) > 200) {
		cc_utf8_copy(err, errlen, "label is required: 1 to 200 characters");
		return -1;
	}
	/* absent: an update keeps the current one (the list shows it masked) */
	if ((json_object_get(body, "conninfo") && !out->conninfo) ||
	    (out->conninfo && (!*out->conninfo || strlen(out->conninfo) > 1000 ||
			       (!strchr(out->conninfo, '=') && strncmp(out->conninfo, "postgres", 8))))) {
		cc_utf8_copy(err, errlen, "conninfo must be a libpq connection string of 1 to 1000 "
					  "characters: keyword=value pairs or a postgresql:// URI");
		return -1;
	}
	/* the wall's name: absent keeps it, null removes it (the label is used), else 1-40
	 * characters, as the hub's constraint has it */
	if ((v = json_object_get(body, "short_label"))) {
		out->short_label_given = true;
		out->short_label = json_string_value(v);
		if (!json_is_null(v) && (!out->short_label || !valid_short_label(out->short_label))) {
			cc_utf8_copy(err, errlen, "short_label must be 1 to 40 characters, or null "
						  "for none (the label is shown)");
			return -1;
		}
	}
	if ((v = json_object_get(body, "enabled"))) {
		if (!json_is_boolean(v)) {
			cc_utf8_copy(err, errlen, "enabled must be true or false");
			return -1;
		}
		out->enabled = json_is_true(v);
	}
	return 0;
}

void cc_partner_api_save(struct cc_request *r)
{
	struct cc_partner_save p;
	const char *params[7];
	char err[200];

	if (cc_partner_parse(cc_request_body(r), &p, err, sizeof err)) {
		cc_request_error(r, 400, "%s", err);
		return;
	}
	params[0] = p.name;
	params[1] = p.label;
	params[2] = p.conninfo;
	params[3] = p.enabled ? "true" : "false";
	params[4] = cc_request_user(r);
	params[5] = p.short_label;
	params[6] = p.short_label_given ? "true" : "false";
	if (cc_pgconn_query(conn(r), save_sql, 7, params, saved, r))
		cc_request_error(r, 503, "the hub database is not reachable right now");
}
