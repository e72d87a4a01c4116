#include "admin_api.h"
#include "app.h"
#include "authstore.h"
#include "hubreply.h"
#include "log.h"
#include "secret.h"
#include "utf8.h"
#include "util.h"

#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ISO(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"

static const char users_sql[] =
	"SELECT coalesce(json_agg(json_build_object('name', u.name, 'role', u.role, "
	"'created_at', " ISO("u.created_at") ", 'created_by', u.created_by, "
	"'password_changed_at', " ISO("u.password_changed_at") ", "
	"'disabled', u.disabled_at IS NOT NULL, 'disabled_at', " ISO("u.disabled_at") ", "
	"'last_seen_at', (SELECT " ISO("max(s.last_seen_at)") " FROM commcell.session s "
	"                 WHERE s.user_name = u.name)) ORDER BY u.name), '[]') "
	"FROM commcell.app_user u";

static const char user_create_sql[] =
	"WITH u AS (INSERT INTO commcell.app_user (name, role, password_hash, created_by) "
	"      VALUES ($1, $2, $3, $4) ON CONFLICT (name) DO NOTHING RETURNING name), "
	"au AS (INSERT INTO commcell.audit (actor, action, target, detail) SELECT $4, "
	"      'user.create', $1, jsonb_build_object('role', $2::text) FROM u) "
	"SELECT count(*) FROM u";

/* $1 name, $2 role or NULL, $3 new hash or NULL, $4 disabled or NULL, $5 actor. Refuses (no
 * row in u) a change that would leave no enabled admin. */
static const char user_update_sql[] =
	"WITH old AS (SELECT name, role, disabled_at IS NOT NULL AS disabled "
	"      FROM commcell.app_user WHERE name = $1 FOR UPDATE), "
	"others AS (SELECT count(*) AS n FROM commcell.app_user WHERE role = 'admin' "
	"      AND disabled_at IS NULL AND name <> $1), "
	"u AS (UPDATE commcell.app_user a SET role = coalesce($2, a.role), "
	"      password_hash = coalesce($3, a.password_hash), "
	"      password_changed_at = CASE WHEN $3 IS NULL THEN a.password_changed_at ELSE now() END, "
	"      disabled_at = CASE WHEN $4::boolean IS NULL THEN a.disabled_at "
	"                         WHEN $4::boolean THEN coalesce(a.disabled_at, now()) END, "
	"      disabled_by = CASE WHEN $4::boolean IS NULL THEN a.disabled_by "
	"                         WHEN $4::boolean THEN $5 END "
	"      FROM old, others WHERE a.name = old.name AND (others.n > 0 OR "
	"      (coalesce($2, old.role) = 'admin' AND NOT coalesce($4::boolean, old.disabled))) "
	"      RETURNING a.name, a.role, a.disabled_at IS NOT NULL AS disabled), "
	"au AS (INSERT INTO commcell.audit (actor, action, target, detail) SELECT $5, "
	"      'user.update', $1, jsonb_build_object('before', jsonb_build_object('role', old.role, "
	"      'disabled', old.disabled), 'after', jsonb_build_object('role', u.role, "
	"      'disabled', u.disabled), 'password_changed', $3 IS NOT NULL) FROM old, u) "
	"SELECT (SELECT count(*) FROM old), (SELECT count(*) FROM u)";

static const char tokens_sql[] =
	"SELECT coalesce(json_agg(json_build_object('id', t.id, 'label', t.label, 'role', t.role, "
	"'created_at', " ISO("t.created_at") ", 'created_by', t.created_by, "
	"'revoked', t.revoked_at IS NOT NULL, 'revoked_at', " ISO("t.revoked_at") ", "
	"'revoked_by', t.revoked_by, "
	"'sessions', (SELECT count(*) FROM commcell.session s WHERE s.device_token_id = t.id "
	"             AND s.expires_at > now()), "
	"'last_seen_at', (SELECT " ISO("max(s.last_seen_at)") " FROM commcell.session s "
	"                 WHERE s.device_token_id = t.id)) ORDER BY t.id), '[]') "
	"FROM commcell.device_token t";

static const char token_create_sql[] =
	"WITH t AS (INSERT INTO commcell.device_token (token_hash, label, created_by) "
	"      VALUES ($1, $2, $3) RETURNING id), "
	"au AS (INSERT INTO commcell.audit (actor, action, target, detail) SELECT $3, "
	"      'token.create', t.id::text, jsonb_build_object('label', $2::text) FROM t) "
	"SELECT id FROM t";

/* Revoking also ends the sessions the token opened: its displays are signed out at once. */
static const char token_revoke_sql[] =
	"WITH t AS (UPDATE commcell.device_token SET revoked_at = now(), revoked_by = $2 "
	"      WHERE id = $1::int AND revoked_at IS NULL RETURNING id, label), "
	"s AS (DELETE FROM commcell.session USING t WHERE device_token_id = t.id), "
	"au AS (INSERT INTO commcell.audit (actor, action, target, detail) SELECT $2, "
	"      'token.revoke', t.id::text, jsonb_build_object('label', t.label) FROM t) "
	"SELECT count(*) FROM t";

struct change {
	struct cc_request *req;
	char name[80];
	char role[16];
	bool has_role;
	int disabled;          /* -1 unchanged */
	char *password;
	char token[CC_SECRET_TEXT_LEN + 1];
	char label[128];
};

static void free_change(struct change *c)
{
	if (c->password) {
		sodium_memzero(c->password, strlen(c->password));
		free(c->password);
	}
	sodium_memzero(c->token, sizeof c->token);
	free(c);
}

static struct cc_pgconn *conn(struct cc_request *r)
{
	return cc_authstore_conn(cc_app_auth(cc_request_app(r)));
}

/* jansson refuses text that is not UTF-8: an answer it could not build is an error, never an
 * empty object with the status of success. */
static void reply(struct cc_request *r, unsigned status, json_t *body)
{
	if (body)
		cc_request_reply(r, status, body);
	else
		cc_request_error(r, 500, "could not encode the answer");
}

static bool valid_name(const char *s)
{
	size_t n = strlen(s);

	if (n < 1 || n > 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || !strchr("._@-", c)))
			return false;
	}
	return true;
}

int cc_admin_user_parse(const json_t *body, bool create, struct cc_user_change *out, char *err,
			size_t errlen)
{
	const char *key, *name = json_string_value(json_object_get(body, "name"));
	enum cc_role role;
	json_t *v;

	memset(out, 0, sizeof *out);
	out->disabled = -1;
	if (create) {
		if (!name || !valid_name(name))
			return cc_utf8_error(err, errlen, "name must be 1 to 64 letters, digits or ._@- "
						   "(starting with a letter or digit)");
		cc_strlcpy(out->name, name, sizeof out->name);
	}
	if (!json_is_object(body))
		return cc_utf8_error(err, errlen, "the body must be a JSON object");
	json_object_foreach((json_t *)body, key, v) {
		if (strcmp(key, "role") && strcmp(key, "password") && strcmp(key, "disabled") &&
		    (!create || strcmp(key, "name"))) {
			char cut[64];
			return cc_utf8_error(err, errlen, "unknown field '%s'",
				      cc_utf8_copy(cut, sizeof cut, key));
		}
	}
	if ((v = json_object_get(body, "role"))) {
		if (!json_is_string(v) || cc_role_parse(json_string_value(v), &role))
			return cc_utf8_error(err, errlen, "role must be display, manager or admin");
		cc_strlcpy(out->role, cc_role_name(role), sizeof out->role);
		out->has_role = true;
	} else if (create) {
		return cc_utf8_error(err, errlen, "role is required (display, manager or admin)");
	}
	if ((v = json_object_get(body, "password"))) {
		size_t n = json_is_string(v) ? strlen(json_string_value(v)) : 0;
		if (!json_is_string(v) || n < CC_PASSWORD_MIN || n > 1024)
			return cc_utf8_error(err, errlen, "password must have %d to 1024 characters",
				      CC_PASSWORD_MIN);
		out->password = json_string_value(v);
	} else if (create) {
		return cc_utf8_error(err, errlen, "password is required");
	}
	if ((v = json_object_get(body, "disabled"))) {
		if (!json_is_boolean(v) || create)
			return cc_utf8_error(err, errlen, "%s", create ? "a new user cannot start disabled"
								: "disabled must be true or false");
		out->disabled = json_is_true(v);
	}
	if (!create && !out->has_role && !out->password && out->disabled < 0)
		return cc_utf8_error(err, errlen, "nothing to change: give role, password or disabled");
	return 0;
}

const char *cc_admin_token_label(const json_t *body, char *err, size_t errlen)
{
	const char *label = json_string_value(json_object_get(body, "label"));

	if (!label || !*label || strlen(label) > 100) {
		cc_utf8_error(err, errlen, "label is required: 1 to 100 characters naming the display");
		return NULL;
	}
	return label;
}

/* The request's fields into c; replies and returns -1 when they are not fit to use. */
static int read_user_fields(struct cc_request *r, struct change *c, bool create)
{
	struct cc_user_change u;
	char err[200];

	if (cc_admin_user_parse(cc_request_body(r), create, &u, err, sizeof err)) {
		cc_request_error(r, 400, "%s", err);
		return -1;
	}
	if (create)
		cc_strlcpy(c->name, u.name, sizeof c->name);
	cc_strlcpy(c->role, u.role, sizeof c->role);
	c->has_role = u.has_role;
	c->disabled = u.disabled;
	c->password = u.password ? cc_xstrdup(u.password) : NULL;
	return 0;
}

void cc_admin_api_users(struct cc_request *r)
{
	cc_hubreply_json(r, conn(r), users_sql, 0, NULL, "users");
}

static void user_created(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	struct change *c = arg;

	(void)pc;
	if (err)
		cc_hubreply_error(c->req, res, err);
	else if (atol(PQgetvalue(res, 0, 0)) == 0)
		cc_request_error(c->req, 409, "a user named '%s' already exists", c->name);
	else
		reply(c->req, 201, json_pack("{s:s,s:s}", "name", c->name, "role", c->role));
	free_change(c);
}

static void user_updated(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	struct change *c = arg;

	(void)pc;
	if (err)
		cc_hubreply_error(c->req, res, err);
	else if (atol(PQgetvalue(res, 0, 0)) == 0)
		cc_request_error(c->req, 404, "no user named '%s'", c->name);
	else if (atol(PQgetvalue(res, 0, 1)) == 0)
		cc_request_error(c->req, 409, "refused: that would leave no enabled admin");
	else {
		/* the hub ended them (sql/hub/011_auth_hardening.sql); here too, without waiting for
		 * the reload its NOTIFY brings */
		if (c->password || c->disabled == 1)
			cc_authstore_drop_user(cc_app_auth(cc_request_app(c->req)), c->name);
		reply(c->req, 200, json_pack("{s:s}", "name", c->name));
	}
	free_change(c);
}

/* The hash (when a password was given) is ready: write the change. */
static void hashed(bool ok, const char *hash, const char *err, void *arg)
{
	struct change *c = arg;
	const char *create[4] = { c->name, c->role, hash, cc_request_user(c->req) };
	const char *update[5] = { c->name, c->has_role ? c->role : NULL, hash,
				  c->disabled < 0 ? NULL : c->disabled ? "true" : "false",
				  cc_request_user(c->req) };
	bool is_create = !strcmp(cc_request_method(c->req), "POST") && !*cc_request_tail(c->req);
	int rc;

	if (c->password && (!ok || err)) {
		cc_request_error(c->req, 503, "cannot hash the password right now: %s",
				 err ? err : "unknown error");
		free_change(c);
		return;
	}
	rc = is_create ? cc_pgconn_query(conn(c->req), user_create_sql, 4, create, user_created, c)
		       : cc_pgconn_query(conn(c->req), user_update_sql, 5, update, user_updated, c);
	if (rc) {
		cc_request_error(c->req, 503, "the hub database is not reachable right now");
		free_change(c);
	}
}

static void start_change(struct cc_request *r, struct change *c)
{
	if (!c->password) {
		hashed(true, NULL, NULL, c);
		return;
	}
	if (cc_pwhash_hash(cc_authstore_hasher(cc_app_auth(cc_request_app(r))), c->password, hashed,
			   c)) {
		cc_request_error(r, 503, "too many password changes at once: try again");
		free_change(c);
	}
}

void cc_admin_api_user_create(struct cc_request *r)
{
	struct change *c = cc_xcalloc(1, sizeof *c);

	c->req = r;
	if (read_user_fields(r, c, true)) {
		free_change(c);
		return;
	}
	start_change(r, c);
}

void cc_admin_api_user_update(struct cc_request *r)
{
	struct change *c = cc_xcalloc(1, sizeof *c);
	const char *name = cc_request_tail(r);

	c->req = r;
	if (!valid_name(name)) {
		char cut[68];
		cc_request_error(r, 404, "no user named '%s'", cc_utf8_copy(cut, sizeof cut, name));
		free_change(c);
		return;
	}
	cc_strlcpy(c->name, name, sizeof c->name);
	if (read_user_fields(r, c, false)) {
		free_change(c);
		return;
	}
	start_change(r, c);
}

void cc_admin_api_tokens(struct cc_request *r)
{
	cc_hubreply_json(r, conn(r), tokens_sql, 0, NULL, "tokens");
}

static void token_created(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	struct change *c = arg;
	char path[128];
	json_int_t id;

	(void)pc;
	if (err) {
		cc_hubreply_error(c->req, res, err);
	} else {
		/* the only time the token itself is shown: the hub keeps its hash */
		id = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		snprintf(path, sizeof path, "/?token=%s", c->token);
		reply(c->req, 201, json_pack("{s:I,s:s,s:s,s:s,s:s}", "id", id, "label", c->label,
					     "role", "display", "token", c->token, "wall_path",
					     path));
	}
	free_change(c);
}

void cc_admin_api_token_create(struct cc_request *r)
{
	char err[200], hash[CC_SECRET_HASH_LEN + 1];
	const char *label = cc_admin_token_label(cc_request_body(r), err, sizeof err);
	struct change *c;
	const char *params[3];

	if (!label) {
		cc_request_error(r, 400, "%s", err);
		return;
	}
	c = cc_xcalloc(1, sizeof *c);
	c->req = r;
	cc_strlcpy(c->label, label, sizeof c->label);
	cc_secret_new(c->token, sizeof c->token);
	cc_secret_hash(c->token, hash, sizeof hash);
	params[0] = hash;
	params[1] = c->label;
	params[2] = cc_request_user(r);
	if (cc_pgconn_query(conn(r), token_create_sql, 3, params, token_created, c)) {
		cc_request_error(r, 503, "the hub database is not reachable right now");
		free_change(c);
	}
}

static void token_revoked(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	struct change *c = arg;

	(void)pc;
	if (err)
		cc_hubreply_error(c->req, res, err);
	else if (atol(PQgetvalue(res, 0, 0)) == 0)
		cc_request_error(c->req, 404, "no active device token %s", c->name);
	else
		reply(c->req, 200, json_pack("{s:s,s:b}", "id", c->name, "revoked", 1));
	free_change(c);
}

void cc_admin_api_token_revoke(struct cc_request *r)
{
	const char *id = cc_request_tail(r);
	const char *params[2];
	struct change *c;
	size_t n = strspn(id, "0123456789");

	if (!n || id[n] || n > 9) {
		char cut[24];
		cc_request_error(r, 404, "no device token '%s'", cc_utf8_copy(cut, sizeof cut, id));
		return;
	}
	c = cc_xcalloc(1, sizeof *c);
	c->req = r;
	cc_strlcpy(c->name, id, sizeof c->name);
	params[0] = c->name;
	params[1] = cc_request_user(r);
	if (cc_pgconn_query(conn(r), token_revoke_sql, 2, params, token_revoked, c)) {
		cc_request_error(r, 503, "the hub database is not reachable right now");
		free_change(c);
	}
}
