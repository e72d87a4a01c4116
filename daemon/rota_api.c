#include "rota_api.h"
#include "bodycheck.h"
#include "app.h"
#include "authstore.h"
#include "hubreply.h"
#include "utf8.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ISO(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

static const char rota_sql[] =
	"SELECT json_build_object("
	"'teams', (SELECT coalesce(json_agg(json_build_object('name', name, 'label', label) "
	"          ORDER BY name), '[]') FROM commcell.team), "
	"'people', (SELECT coalesce(json_agg(json_build_object('name', p.name, 'label', p.label, "
	"          'contacts', (SELECT coalesce(json_agg(json_build_object('id', c.id, "
	"                       'channel', c.channel, 'target', c.target, 'enabled', c.enabled, "
	"                       'has_secret', c.secret IS NOT NULL) ORDER BY c.id), '[]') "
	"                       FROM commcell.contact c WHERE c.person = p.name)) "
	"          ORDER BY p.name), '[]') FROM commcell.person p), "
	"'shifts', (SELECT coalesce(json_agg(json_build_object('id', s.id, 'team', s.team, "
	"          'level', s.level, 'person', s.person, 'starts_at', " ISO("s.starts_at") ", "
	"          'ends_at', " ISO("s.ends_at") ", 'is_override', s.is_override, "
	"          'reason', s.reason) ORDER BY s.starts_at, s.team, s.level, s.id), '[]') "
	"          FROM commcell.rota_shift s WHERE s.ends_at > now() - interval '1 day' "
	"          AND s.starts_at < now() + interval '14 days'), "
	"'policies', (SELECT coalesce(json_agg(json_build_object('name', name, "
	"          'ack_timeout_s', ack_timeout_s, 'repeat_s', repeat_s, 'max_level', max_level, "
	"          'notify_resolved', notify_resolved) ORDER BY name), '[]') "
	"          FROM commcell.escalation_policy))";

/* $1 team, $2 level, $3 person, $4 starts_at, $5 ends_at, $6 is_override, $7 reason, $8 actor */
static const char shift_add_sql[] =
	"WITH s AS (INSERT INTO commcell.rota_shift (team, level, person, starts_at, ends_at, "
	"      is_override, reason) VALUES ($1, $2::int, $3, $4::timestamptz, $5::timestamptz, "
	"      $6::boolean, $7) RETURNING *), "
	"au AS (INSERT INTO commcell.audit (actor, action, target, detail) SELECT $8, "
	"      'rota.shift.create', s.id::text, jsonb_build_object('team', s.team, "
	"      'level', s.level, 'person', s.person, 'starts_at', s.starts_at, "
	"      'ends_at', s.ends_at, 'is_override', s.is_override, 'reason', s.reason) FROM s) "
	"SELECT json_build_object('id', id, 'team', team, 'level', level, 'person', person, "
	"      'starts_at', " ISO("starts_at") ", 'ends_at', " ISO("ends_at") ", "
	"      'is_override', is_override, 'reason', reason) FROM s";

static const char shift_delete_sql[] =
	"WITH s AS (DELETE FROM commcell.rota_shift WHERE id = $1::int RETURNING *), "
	"au AS (INSERT INTO commcell.audit (actor, action, target, detail) SELECT $2, "
	"      'rota.shift.delete', s.id::text, jsonb_build_object('team', s.team, "
	"      'level', s.level, 'person', s.person, 'starts_at', s.starts_at, "
	"      'ends_at', s.ends_at, 'is_override', s.is_override, 'reason', s.reason) FROM s) "
	"SELECT json_build_object('id', id, 'deleted', true) FROM s";

/* $1 name, $2 label, $3 contacts (a JSON array of {channel, target, secret?}), $4 actor. The
 * person's contacts are replaced; the audit row names channels and targets, never secrets. */
static const char person_save_sql[] =
	"WITH old AS (SELECT label FROM commcell.person WHERE name = $1), "
	"p AS (INSERT INTO commcell.person (name, label) VALUES ($1, $2) ON CONFLICT (name) "
	"      DO UPDATE SET label = EXCLUDED.label RETURNING name, label), "
	"d AS (DELETE FROM commcell.contact c USING p WHERE c.person = p.name RETURNING c.id), "
	"n AS (INSERT INTO commcell.contact (person, channel, target, secret) "
	"      SELECT p.name, e->>'channel', e->>'target', e->>'secret' "
	"      FROM p, jsonb_array_elements($3::jsonb) WITH ORDINALITY AS x(e, i) ORDER BY i "
	"      RETURNING id), "
	"au AS (INSERT INTO commcell.audit (actor, action, target, detail) SELECT $4, "
	"      'rota.person.save', p.name, jsonb_build_object('created', old.label IS NULL, "
	"      'label', p.label, 'contacts', (SELECT coalesce(jsonb_agg(jsonb_build_object("
	"      'channel', e->>'channel', 'target', e->>'target', 'has_secret', e ? 'secret')), "
	"      '[]') FROM jsonb_array_elements($3::jsonb) e)) FROM p LEFT JOIN old ON true) "
	"SELECT json_build_object('name', p.name, 'label', p.label, "
	"      'contacts', (SELECT count(*) FROM n), 'created', NOT EXISTS (SELECT 1 FROM old)) "
	"FROM p";

struct pending {
	struct cc_request *req;
	unsigned ok_status;
	char missing[96];      /* the 404 message when the statement returned no row */
	char id[16];
	char *json;            /* a parameter to free */
};

static struct cc_pgconn *conn(struct cc_request *r)
{
	return cc_authstore_conn(cc_app_auth(cc_request_app(r)));
}

static void answered(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	struct pending *p = arg;
	json_t *v;

	(void)pc;
	if (err)
		cc_hubreply_error(p->req, res, err);
	else if (PQntuples(res) == 0)
		cc_request_error(p->req, 404, "%s", p->missing);
	else if (!(v = json_loads(PQgetvalue(res, 0, 0), 0, NULL)))
		cc_request_error(p->req, 500, "unexpected answer from the hub");
	else
		cc_request_reply(p->req, json_is_true(json_object_get(v, "created")) ||
						 p->ok_status == 201 ? 201 : 200, v);
	free(p->json);
	free(p);
}

static void run(struct cc_request *r, struct pending *p, const char *sql, int n,
		const char *const *params)
{
	if (cc_pgconn_query(conn(r), sql, n, params, answered, p)) {
		cc_request_error(r, 503, "the hub database is not reachable right now");
		free(p->json);
		free(p);
	}
}

static struct pending *pending(struct cc_request *r, unsigned ok_status)
{
	struct pending *p = cc_xcalloc(1, sizeof *p);

	p->req = r;
	p->ok_status = ok_status;
	return p;
}

void cc_rota_api_get(struct cc_request *r)
{
	cc_hubreply_json(r, conn(r), rota_sql, 0, NULL, NULL);
}

static bool valid_name(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 1 || n > 63 || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= '0' && s[0] <= '9')))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
		      strchr("_.-", s[i])))
			return false;
	return true;
}

static int digits(const char **s, int n)
{
	int v = 0;

	for (int i = 0; i < n; i++, (*s)++) {
		if (**s < '0' || **s > '9')
			return -1;
		v = v * 10 + (**s - '0');
	}
	return v;
}

/* ISO 8601 with a zone: YYYY-MM-DDTHH:MM[:SS[.fff]](Z|+HH:MM|-HH:MM), to epoch milliseconds. */
static bool parse_iso(const char *s, int64_t *ms)
{
	struct tm tm = { 0 };
	int y, mo, d, h, mi, sec = 0, frac = 0, zone = 0, zh, zm;
	time_t t;

	if (!s)
		return false;
	if ((y = digits(&s, 4)) < 0 || *s++ != '-' || (mo = digits(&s, 2)) < 1 || mo > 12 ||
	    *s++ != '-' || (d = digits(&s, 2)) < 1 || d > 31 || (*s != 'T' && *s != ' ') ||
	    (s++, (h = digits(&s, 2)) < 0) || h > 23 || *s++ != ':' ||
	    (mi = digits(&s, 2)) < 0 || mi > 59)
		return false;
	if (*s == ':') {
		s++;
		if ((sec = digits(&s, 2)) < 0 || sec > 59)
			return false;
		if (*s == '.') {
			int scale = 100;
			s++;
			if (*s < '0' || *s > '9')
				return false;
			for (; *s >= '0' && *s <= '9'; s++, scale /= 10)
				frac += (*s - '0') * scale;
		}
	}
	if (*s == 'Z' || *s == 'z') {
		s++;
	} else if (*s == '+' || *s == '-') {
		int sign = *s++ == '-' ? -1 : 1;
		if ((zh = digits(&s, 2)) < 0 || zh > 23)
			return false;
		if (*s == ':')
			s++;
		if ((zm = digits(&s, 2)) < 0 || zm > 59)
			return false;
		zone = sign * (zh * 60 + zm);
	} else {
		return false;
	}
	if (*s)
		return false;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	*ms = ((int64_t)t - (int64_t)zone * 60) * 1000 + frac;
	return true;
}


int cc_rota_shift_parse(const json_t *body, struct cc_shift_add *out, char *err, size_t errlen)
{
	static const char *const known[] = { "team", "level", "person", "starts_at", "ends_at",
					     "is_override", "reason", NULL };
	json_t *v;
	json_int_t lv;

	memset(out, 0, sizeof *out);
	out->reason = "";
	if (!json_is_object(body))
		return cc_utf8_error(err, errlen, "the body must be a JSON object");
	if (cc_body_known(body, known, err, errlen))
		return -1;
	out->team = json_string_value(json_object_get(body, "team"));
	out->person = json_string_value(json_object_get(body, "person"));
	out->starts_at = json_string_value(json_object_get(body, "starts_at"));
	out->ends_at = json_string_value(json_object_get(body, "ends_at"));
	if (!valid_name(out->team))
		return cc_utf8_error(err, errlen, "team is required: the name of a team");
	if (!valid_name(out->person))
		return cc_utf8_error(err, errlen, "person is required: the name of a person");
	v = json_object_get(body, "level");
	lv = v ? (json_is_integer(v) ? json_integer_value(v) : 0) : 1;
	if (lv < 1 || lv > 5)
		return cc_utf8_error(err, errlen, "level must be a whole number from 1 to 5");
	out->level = (int)lv;
	if (!parse_iso(out->starts_at, &out->starts_ms))
		return cc_utf8_error(err, errlen, "starts_at must be an ISO 8601 time with a zone, "
					   "e.g. 2026-01-31T08:00:00Z");
	if (!parse_iso(out->ends_at, &out->ends_ms))
		return cc_utf8_error(err, errlen, "ends_at must be an ISO 8601 time with a zone, "
					   "e.g. 2026-01-31T20:00:00Z");
	if (out->ends_ms <= out->starts_ms)
		return cc_utf8_error(err, errlen, "ends_at must be after starts_at");
	if ((v = json_object_get(body, "is_override"))) {
		if (!json_is_boolean(v))
			return cc_utf8_error(err, errlen, "is_override must be true or false");
		out->is_override = json_is_true(v);
	}
	if ((v = json_object_get(body, "reason"))) {
		if (!json_is_string(v) || strlen(json_string_value(v)) > 500)
			return cc_utf8_error(err, errlen, "reason must be text of at most 500 characters");
		out->reason = json_string_value(v);
	}
	if (out->is_override && !*out->reason)
		return cc_utf8_error(err, errlen, "reason is required for an override");
	return 0;
}

void cc_rota_api_shift_add(struct cc_request *r)
{
	struct cc_shift_add s;
	const char *params[8];
	char level[8], err[200];

	if (cc_rota_shift_parse(cc_request_body(r), &s, err, sizeof err)) {
		cc_request_error(r, 400, "%s", err);
		return;
	}
	snprintf(level, sizeof level, "%d", s.level);
	params[0] = s.team;
	params[1] = level;
	params[2] = s.person;
	params[3] = s.starts_at;
	params[4] = s.ends_at;
	params[5] = s.is_override ? "true" : "false";
	params[6] = s.reason;
	params[7] = cc_request_user(r);
	run(r, pending(r, 201), shift_add_sql, 8, params);
}

void cc_rota_api_shift_delete(struct cc_request *r)
{
	const char *id = cc_request_tail(r);
	const char *params[2];
	struct pending *p;
	size_t n = strspn(id, "0123456789");

	if (!n || id[n] || n > 9) {
		char cut[24];
		cc_request_error(r, 404, "no shift '%s'", cc_utf8_copy(cut, sizeof cut, id));
		return;
	}
	p = pending(r, 200);
	cc_strlcpy(p->id, id, sizeof p->id);
	snprintf(p->missing, sizeof p->missing, "no shift %s", p->id);
	params[0] = p->id;
	params[1] = cc_request_user(r);
	run(r, p, shift_delete_sql, 2, params);
}

/* One contact of a person: webhook (an http(s) URL), email (an address) or exec (a JSON array
 * of strings: the command and its arguments), with an optional secret. */
static int check_contact(const json_t *c, size_t i, char *err, size_t errlen)
{
	const char *ch = json_string_value(json_object_get(c, "channel"));
	const char *target = json_string_value(json_object_get(c, "target"));
	json_t *secret = json_object_get(c, "secret");

	if (!json_is_object(c) || !ch ||
	    (strcmp(ch, "webhook") && strcmp(ch, "email") && strcmp(ch, "exec")))
		return cc_utf8_error(err, errlen, "contacts[%zu]: channel must be webhook, email or exec", i);
	if (!target || !*target || strlen(target) > 1000)
		return cc_utf8_error(err, errlen, "contacts[%zu]: target is required: 1 to 1000 characters",
			      i);
	if (!strcmp(ch, "email") && !strchr(target, '@'))
		return cc_utf8_error(err, errlen, "contacts[%zu]: target must be an email address", i);
	if (!strcmp(ch, "webhook") && strncmp(target, "https://", 8) &&
	    strncmp(target, "http://", 7))
		return cc_utf8_error(err, errlen, "contacts[%zu]: target must be an http(s) URL", i);
	if (!strcmp(ch, "exec")) {
		json_t *argv = json_loads(target, 0, NULL), *a;
		bool ok = json_is_array(argv) && json_array_size(argv) > 0;
		size_t j;

		json_array_foreach(argv, j, a)
			ok = ok && json_is_string(a);
		json_decref(argv);
		if (!ok)
			return cc_utf8_error(err, errlen, "contacts[%zu]: target must be a JSON array of "
						   "strings (the command and its arguments)", i);
	}
	if (secret && !json_is_null(secret) &&
	    (!json_is_string(secret) || strlen(json_string_value(secret)) > 1000))
		return cc_utf8_error(err, errlen, "contacts[%zu]: secret must be text", i);
	return 0;
}

int cc_rota_person_parse(const json_t *body, struct cc_person_save *out, char *err,
			 size_t errlen)
{
	static const char *const known[] = { "name", "label", "contacts", NULL };
	json_t *contacts, *c, *list;
	size_t i;

	memset(out, 0, sizeof *out);
	if (!json_is_object(body))
		return cc_utf8_error(err, errlen, "the body must be a JSON object");
	if (cc_body_known(body, known, err, errlen))
		return -1;
	out->name = json_string_value(json_object_get(body, "name"));
	out->label = json_string_value(json_object_get(body, "label"));
	if (!valid_name(out->name))
		return cc_utf8_error(err, errlen, "name must be 1 to 63 lower-case letters, digits or _.- "
					   "(starting with a letter or digit)");
	if (!out->label || !*out->label || strlen(out->label) > 200)
		return cc_utf8_error(err, errlen, "label is required: 1 to 200 characters");
	contacts = json_object_get(body, "contacts");
	if (contacts && (!json_is_array(contacts) || json_array_size(contacts) > 20))
		return cc_utf8_error(err, errlen, "contacts must be a list of at most 20 contacts");
	list = json_array();
	json_array_foreach(contacts, i, c) {
		json_t *secret = json_object_get(c, "secret"), *e;

		if (check_contact(c, i, err, errlen)) {
			json_decref(list);
			return -1;
		}
		e = json_pack("{s:s,s:s}", "channel", json_string_value(json_object_get(c, "channel")),
			      "target", json_string_value(json_object_get(c, "target")));
		if (e && json_is_string(secret) && *json_string_value(secret) &&
		    json_object_set(e, "secret", secret)) {
			json_decref(e);
			e = NULL;  /* never save a contact without the secret it was given */
		}
		if (!e || json_array_append_new(list, e)) {
			json_decref(list);
			return cc_utf8_error(err, errlen, "contacts[%zu]: cannot be encoded", i);
		}
	}
	out->contacts = json_dumps(list, JSON_COMPACT);
	json_decref(list);
	if (!out->contacts)
		return cc_utf8_error(err, errlen, "contacts cannot be encoded");
	return 0;
}

void cc_rota_api_person_save(struct cc_request *r)
{
	struct cc_person_save ps;
	const char *params[4];
	struct pending *p;
	char err[200];

	if (cc_rota_person_parse(cc_request_body(r), &ps, err, sizeof err)) {
		cc_request_error(r, 400, "%s", err);
		return;
	}
	p = pending(r, 200);
	p->json = ps.contacts;
	params[0] = ps.name;
	params[1] = ps.label;
	params[2] = p->json;
	params[3] = cc_request_user(r);
	run(r, p, person_save_sql, 4, params);
}
