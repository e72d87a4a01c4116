#include "session_api.h"
#include "app.h"
#include "auth.h"
#include "hubreply.h"
#include "log.h"
#include "util.h"

#include <arpa/inet.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define COOKIE_ATTRS "; HttpOnly; SameSite=Strict; Path=/"

/* A cookie set over https must never travel without it: over commcelld's own TLS
 * (tls_cert_file), or when TLS ends at a proxy in front of it (docs/scaling.md) that says the
 * browser came over HTTPS. Anyone can send X-Forwarded-Proto, so it counts only from a trusted
 * proxy: one whose X-Forwarded-For was believed (the client's address then differs from the
 * socket's peer). */
static const char *secure_attr(struct cc_request *r)
{
	const char *proto = cc_request_header(r, "x-forwarded-proto");
	bool via_trusted_proxy = strcmp(cc_request_peer(r), cc_request_tcp_peer(r)) != 0;

	if (cc_request_over_tls(r))
		return "; Secure";
	return via_trusted_proxy && proto && !strcasecmp(proto, "https") ? "; Secure" : "";
}

/* sql/hub/011_auth_hardening.sql decides, under a per-address lock, whether this attempt must
 * wait, and records it when not; the user's row comes with it. */
static const char check_sql[] =
	"SELECT b.attempt, b.wait_s, b.scope, b.pair_failures, b.address_failures, "
	"u.password_hash, u.role, u.disabled_at IS NOT NULL "
	"FROM commcell.signin_begin($1, $2, $3::int, $4::int, $5::int, $6::int, $7::int) b "
	"LEFT JOIN commcell.app_user u ON u.name = $1";

static const char user_session_sql[] =
	"WITH d AS (UPDATE commcell.signin_attempt SET ok = true WHERE id = $1::bigint), "
	"s AS (INSERT INTO commcell.session (token_hash, user_name, csrf_token, expires_at, "
	"      address, user_agent) VALUES ($2, $3, $4, now() + make_interval(secs => $5::int), "
	"      $6, $7) RETURNING (extract(epoch FROM expires_at) * 1000)::bigint AS exp), "
	"au AS (INSERT INTO commcell.audit (actor, action, target, detail) VALUES ($3, "
	"      'session.signin', $3, jsonb_build_object('address', $6::text))) "
	"SELECT exp FROM s";

static const char token_session_sql[] =
	"WITH t AS (SELECT id, label FROM commcell.device_token WHERE token_hash = $1 "
	"      AND revoked_at IS NULL), "
	"d AS (UPDATE commcell.signin_attempt SET ok = EXISTS (SELECT 1 FROM t) "
	"      WHERE id = $2::bigint), "
	"s AS (INSERT INTO commcell.session (token_hash, device_token_id, csrf_token, expires_at, "
	"      address, user_agent) SELECT $3, t.id, $4, now() + make_interval(secs => $5::int), "
	"      $6, $7 FROM t RETURNING (extract(epoch FROM expires_at) * 1000)::bigint AS exp), "
	"au AS (INSERT INTO commcell.audit (actor, action, target, detail) SELECT 'token:' || t.id, "
	"      'session.signin', t.label, jsonb_build_object('address', $6::text, "
	"      'device_token', t.id) FROM t) "
	"SELECT t.id, t.label, s.exp FROM t, s";

static const char signout_sql[] =
	"WITH s AS (DELETE FROM commcell.session WHERE token_hash = $1 "
	"      RETURNING user_name, device_token_id), "
	"au AS (INSERT INTO commcell.audit (actor, action, target) "
	"      SELECT coalesce(user_name, 'token:' || device_token_id), 'session.signout', "
	"      coalesce(user_name, '') FROM s) "
	"SELECT count(*) FROM s";

struct signin {
	struct cc_request *req;
	struct cc_authstore *store;
	bool by_token;
	char user[CC_SIGNIN_MAX_USER + 1];
	char *password;                        /* wiped and freed as soon as it is checked */
	char token_hash[CC_SECRET_HASH_LEN + 1];   /* of the device token presented */
	char address[64];
	char throttle[64];                     /* what the delays count by (throttle_key) */
	char agent[256];
	char attempt[24];
	enum cc_role role;
	int64_t t0;
};

static void free_signin(struct signin *s)
{
	if (s->password) {
		sodium_memzero(s->password, strlen(s->password));
		free(s->password);
	}
	free(s);
}

static json_t *identity_json(const struct cc_identity *id, bool anonymous)
{
	char iso[40];
	json_t *o = json_object();

	json_object_set_new(o, "user", json_string(id->user));
	json_object_set_new(o, "role", json_string(cc_role_name(id->role)));
	json_object_set_new(o, "kind", json_string(anonymous ? "anonymous"
						   : id->device ? "device" : "user"));
	json_object_set_new(o, "csrf_token", id->csrf[0] ? json_string(id->csrf) : json_null());
	if (id->expires_ms && id->expires_ms != INT64_MAX) {
		cc_format_iso(id->expires_ms, iso, sizeof iso);
		json_object_set_new(o, "expires_at", json_string(iso));
	}
	return o;
}

/* The new session is in the hub: tell this instance at once, set the cookie, answer. */
static void signed_in(struct signin *s, struct cc_identity *id, const char *token)
{
	char cookie[256];

	cc_authstore_add(s->store, id);
	snprintf(cookie, sizeof cookie, CC_SESSION_COOKIE "=%s; Max-Age=%d" COOKIE_ATTRS "%s", token,
		 id->device ? CC_SESSION_DEVICE_S : CC_SESSION_USER_S, secure_attr(s->req));
	cc_request_add_header(s->req, "set-cookie", cookie);
	cc_info("auth: %s signed in from %s (%s, %lld ms)", id->user, s->address,
		cc_role_name(id->role), (long long)(cc_mono_ms() - s->t0));
	cc_request_reply(s->req, 200, identity_json(id, false));
}

struct created {
	struct signin *s;
	struct cc_identity id;
	char token[CC_SECRET_TEXT_LEN + 1];
};

static void session_created(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	struct created *c = arg;
	struct signin *s = c->s;

	(void)pc;
	if (err) {
		cc_hubreply_error(s->req, res, err);
	} else if (!PQntuples(res)) {
		/* only a device token can be missing here: unknown or revoked */
		cc_request_error(s->req, 401, "this device token is not valid: it may have been "
					      "revoked; ask an admin for a new wall display link");
	} else {
		if (s->by_token) {
			c->id.token_id = atoi(PQgetvalue(res, 0, 0));
			cc_strlcpy(c->id.user, PQgetvalue(res, 0, 1), sizeof c->id.user);
			c->id.expires_ms = strtoll(PQgetvalue(res, 0, 2), NULL, 10);
		} else {
			c->id.expires_ms = strtoll(PQgetvalue(res, 0, 0), NULL, 10);
		}
		signed_in(s, &c->id, c->token);
	}
	sodium_memzero(c->token, sizeof c->token);
	free(c);
	free_signin(s);
}

static void create_session(struct signin *s)
{
	struct created *c = cc_xcalloc(1, sizeof *c);
	char lifetime[16];
	const char *params[7];

	c->s = s;
	cc_secret_new(c->token, sizeof c->token);
	cc_secret_hash(c->token, c->id.session, sizeof c->id.session);
	cc_secret_new(c->id.csrf, sizeof c->id.csrf);
	c->id.device = s->by_token;
	c->id.role = s->by_token ? CC_ROLE_DISPLAY : s->role;
	cc_strlcpy(c->id.user, s->user, sizeof c->id.user);
	snprintf(lifetime, sizeof lifetime, "%d", s->by_token ? CC_SESSION_DEVICE_S
							       : CC_SESSION_USER_S);
	/* user_session_sql: attempt, session hash, user, csrf, lifetime, address, agent;
	 * token_session_sql: token hash, attempt, session hash, csrf, lifetime, address, agent */
	params[0] = s->by_token ? s->token_hash : s->attempt;
	params[1] = s->by_token ? s->attempt : c->id.session;
	params[2] = s->by_token ? c->id.session : s->user;
	params[3] = c->id.csrf;
	params[4] = lifetime;
	params[5] = s->address;
	params[6] = s->agent;
	if (cc_pgconn_query(cc_authstore_conn(s->store),
			    s->by_token ? token_session_sql : user_session_sql, 7, params,
			    session_created, c)) {
		cc_request_error(s->req, 503, "the hub database is not reachable right now");
		free(c);
		free_signin(s);
	}
}

static void ignore(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	(void)pc;
	(void)res;
	(void)arg;
	if (err)
		cc_warn("auth: recording a failed sign-in: %s", err);
}

static void refuse(struct signin *s, const char *why)
{
	const char *params[1] = { s->attempt };

	/* the delay runs from when the failure was known, not from when the slow check began */
	cc_pgconn_query(cc_authstore_conn(s->store),
			"UPDATE commcell.signin_attempt SET ok = false, at = now() "
			"WHERE id = $1::bigint", 1,
			params, ignore, NULL);
	cc_warn("auth: sign-in refused for '%s' from %s: %s", s->user, s->address, why);
}

static void checked(bool ok, const char *hash, const char *err, void *arg)
{
	struct signin *s = arg;

	(void)hash;
	sodium_memzero(s->password, strlen(s->password));
	if (err) {
		cc_request_error(s->req, 503, "cannot check the password right now: %s", err);
		free_signin(s);
		return;
	}
	if (!ok || s->role == CC_ROLE_NONE) {
		refuse(s, "wrong user name or password");
		cc_request_error(s->req, 401, "Wrong user name or password.");
		free_signin(s);
		return;
	}
	create_session(s);
}

/* What sign-in delays count by: the address, or for IPv6 its /64, since one subscriber usually
 * holds a whole /64 and could otherwise take a fresh address for every guess. */
static void throttle_key(const char *address, char *out, size_t len)
{
	unsigned char a[16];
	char text[INET6_ADDRSTRLEN];
	static const unsigned char v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	cc_strlcpy(out, address, len);
	if (inet_pton(AF_INET6, address, a) != 1 || !memcmp(a, v4_mapped, sizeof v4_mapped))
		return;
	memset(a + 8, 0, 8);
	if (inet_ntop(AF_INET6, a, text, sizeof text))
		snprintf(out, len, "%s/64", text);
}

/* "4 seconds", "15 minutes": what a person reads in the sign-in form. */
static void say_duration(long seconds, char *out, size_t len)
{
	long n = seconds < 60 ? seconds : (seconds + 59) / 60;

	snprintf(out, len, "%ld %s%s", n, seconds < 60 ? "second" : "minute", n == 1 ? "" : "s");
}

static void limits_read(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	struct signin *s = arg;
	bool disabled;

	(void)pc;
	if (err) {
		cc_hubreply_error(s->req, res, err);
		free_signin(s);
		return;
	}
	if (PQgetisnull(res, 0, 0)) {
		long wait = atol(PQgetvalue(res, 0, 1));
		bool pair = !strcmp(PQgetvalue(res, 0, 2), "pair");
		char after[24], words[32];

		if (wait < 1)
			wait = 1;
		snprintf(after, sizeof after, "%ld", wait);
		say_duration(wait, words, sizeof words);
		cc_request_add_header(s->req, "retry-after", after);
		cc_warn("auth: sign-in from %s for '%s' delayed %ld s (%s failures for the pair, "
			"%s from the address)", s->address, s->user, wait, PQgetvalue(res, 0, 3),
			PQgetvalue(res, 0, 4));
		cc_request_error(s->req, 429, "Too many failed sign-ins %s. Try again in %s.",
				 pair ? (s->by_token ? "with a device token from this address"
						     : "for this user from this address")
				      : "from this address",
				 words);
		free_signin(s);
		return;
	}
	cc_strlcpy(s->attempt, PQgetvalue(res, 0, 0), sizeof s->attempt);
	if (s->by_token) {
		create_session(s);
		return;
	}
	disabled = PQgetvalue(res, 0, 7)[0] == 't';
	if (PQgetisnull(res, 0, 5) || disabled || cc_role_parse(PQgetvalue(res, 0, 6), &s->role))
		s->role = CC_ROLE_NONE;
	/* an unknown or disabled user costs the same time as a known one */
	if (cc_pwhash_verify(cc_authstore_hasher(s->store),
			     s->role == CC_ROLE_NONE ? NULL : PQgetvalue(res, 0, 5), s->password,
			     checked, s)) {
		refuse(s, "password checks queue full");
		cc_request_error(s->req, 503, "too many sign-ins at once: try again in a moment");
		free_signin(s);
	}
}

int cc_session_parse_signin(const json_t *body, struct cc_signin_body *out, char *err,
			    size_t errlen)
{
	memset(out, 0, sizeof *out);
	if (!json_is_object(body)) {
		snprintf(err, errlen, "send {\"user\": ..., \"password\": ...} or {\"token\": ...}");
		return -1;
	}
	out->user = json_string_value(json_object_get(body, "user"));
	out->password = json_string_value(json_object_get(body, "password"));
	out->token = json_string_value(json_object_get(body, "token"));
	if (out->token) {
		/* a token is hashed, never stored: only its length needs a bound */
		if (!*out->token || strlen(out->token) > CC_SIGNIN_MAX_TOKEN) {
			snprintf(err, errlen, "the token must have 1 to %d characters",
				 CC_SIGNIN_MAX_TOKEN);
			return -1;
		}
		out->user = out->password = NULL;
		return 0;
	}
	if (!out->user || !out->password) {
		snprintf(err, errlen, "send {\"user\": ..., \"password\": ...} or {\"token\": ...}");
		return -1;
	}
	/* strlen, not json_string_length: a name with \u0000 in it is cut there, and that is
	 * the name the hub would see */
	if (!*out->user || strlen(out->user) > CC_SIGNIN_MAX_USER ||
	    strlen(out->password) > CC_SIGNIN_MAX_PASSWORD) {
		snprintf(err, errlen, "the user name must have 1 to %d characters and the "
				      "password at most %d", CC_SIGNIN_MAX_USER, CC_SIGNIN_MAX_PASSWORD);
		return -1;
	}
	return 0;
}

void cc_session_api_signin(struct cc_request *r)
{
	struct cc_authstore *store = cc_app_auth(cc_request_app(r));
	struct cc_signin_body b;
	const char *user, *password, *token;
	const char *agent = cc_request_header(r, "user-agent");
	char limits[5][16], err[200];
	const char *params[7];
	struct signin *s;

	if (!cc_auth_origin_allowed(r))
		return;
	if (cc_session_parse_signin(cc_request_body(r), &b, err, sizeof err)) {
		cc_request_error(r, 400, "%s", err);
		return;
	}
	user = b.user, password = b.password, token = b.token;
	s = cc_xcalloc(1, sizeof *s);
	s->req = r;
	s->store = store;
	s->t0 = cc_mono_ms();
	s->by_token = token != NULL;
	if (token) {
		/* junk gets a hash that matches nothing, and counts against the address */
		cc_secret_hash(token, s->token_hash, sizeof s->token_hash);
	} else {
		cc_strlcpy(s->user, user, sizeof s->user);
		s->password = cc_xstrdup(password);
	}
	cc_strlcpy(s->address, cc_request_peer(r), sizeof s->address);
	throttle_key(s->address, s->throttle, sizeof s->throttle);
	cc_strlcpy(s->agent, agent ? agent : "", sizeof s->agent);
	snprintf(limits[0], sizeof limits[0], "%d", CC_SIGNIN_PAIR_FREE);
	snprintf(limits[1], sizeof limits[1], "%d", CC_SIGNIN_ADDRESS_FREE);
	snprintf(limits[2], sizeof limits[2], "%d", CC_SIGNIN_MAX_DELAY_S);
	snprintf(limits[3], sizeof limits[3], "%d", CC_SIGNIN_PAIR_MEMORY_S);
	snprintf(limits[4], sizeof limits[4], "%d", CC_SIGNIN_ADDRESS_WINDOW_S);
	params[0] = s->user;
	params[1] = s->throttle;
	for (int i = 0; i < 5; i++)
		params[2 + i] = limits[i];
	if (cc_pgconn_query(cc_authstore_conn(store), check_sql, 7, params, limits_read, s)) {
		cc_request_error(r, 503, "the hub database is not reachable right now");
		free_signin(s);
	}
}

static void signed_out(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	struct cc_request *r = arg;

	(void)pc;
	if (err) {
		cc_hubreply_error(r, res, err);
		return;
	}
	cc_request_reply(r, 200, json_pack("{s:b}", "signed_out", 1));
}

void cc_session_api_signout(struct cc_request *r)
{
	struct cc_authstore *store = cc_app_auth(cc_request_app(r));
	struct cc_identity id;
	const char *params[1];

	if (!cc_auth_origin_allowed(r))
		return;
	/* The cookie goes whatever happens next: the browser is signed out either way. */
	{
		char cookie[128];
		snprintf(cookie, sizeof cookie, CC_SESSION_COOKIE "=; Max-Age=0" COOKIE_ATTRS "%s",
			 secure_attr(r));
		cc_request_add_header(r, "set-cookie", cookie);
	}
	if (!cc_auth_lookup(r, &id) || !id.session[0]) {
		cc_request_reply(r, 200, json_pack("{s:b}", "signed_out", 0));
		return;
	}
	cc_authstore_drop(store, id.session);
	params[0] = id.session;
	if (cc_pgconn_query(cc_authstore_conn(store), signout_sql, 1, params, signed_out, r))
		cc_request_error(r, 503, "signed out here, but the hub database is not reachable "
					 "to end the session everywhere");
}

void cc_session_api_whoami(struct cc_request *r)
{
	struct cc_authstore *store = cc_app_auth(cc_request_app(r));
	struct cc_identity id;

	if (cc_auth_lookup(r, &id)) {
		cc_request_reply(r, 200, identity_json(&id, false));
		return;
	}
	if (cc_authstore_anonymous_display(store)) {
		memset(&id, 0, sizeof id);
		id.role = CC_ROLE_DISPLAY;
		cc_request_reply(r, 200, identity_json(&id, true));
		return;
	}
	cc_request_error(r, 401, "not signed in");
}
