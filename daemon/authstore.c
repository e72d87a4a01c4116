#include "authstore.h"
#include "log.h"
#include "util.h"

#include <stdlib.h>
#include <string.h>

/* last_seen_at is written at most this often per session: it is for people, not for security */
#define TOUCH_MS (5 * 60 * 1000)
#define MAINTAIN_MS (10 * 60 * 1000)

#define SESSIONS_SQL \
	"SELECT s.token_hash, s.csrf_token, coalesce(s.user_name, t.label), " \
	"coalesce(u.role, 'display'), coalesce(s.device_token_id, 0), " \
	"(extract(epoch FROM s.expires_at) * 1000)::bigint " \
	"FROM commcell.session s " \
	"LEFT JOIN commcell.app_user u ON u.name = s.user_name " \
	"LEFT JOIN commcell.device_token t ON t.id = s.device_token_id " \
	"WHERE s.expires_at > now() " \
	"AND (s.user_name IS NULL OR u.disabled_at IS NULL) " \
	"AND (s.device_token_id IS NULL OR t.revoked_at IS NULL)"
static const char sessions_sql[] = SESSIONS_SQL;
static const char one_session_sql[] = SESSIONS_SQL " AND s.token_hash = $1";
static const char tokens_sql[] =
	"SELECT token_hash, label, id FROM commcell.device_token WHERE revoked_at IS NULL";

struct entry {
	struct cc_identity id;
	char key[CC_SECRET_HASH_LEN + 1];   /* the session's or the device token's hash */
	int64_t touched_ms;
	unsigned added_at_load;             /* pending adds: loads started when it was added */
};

struct table {
	struct entry *v;
	size_t n, cap;
};

/* A look in the hub for one session this instance does not know (cc_authstore_fetch_session) */
struct fetch {
	struct cc_authstore *s;
	void (*done)(void *arg);
	void *arg;
	struct fetch *next;
};

struct cc_authstore {
	struct lws_context *ctx;
	struct cc_pgconn *pc;
	struct cc_pwhash *hasher;
	bool anonymous_display;
	struct table sessions, tokens;
	struct table loading_sessions;      /* the first half of a reload */
	/* Sessions this instance created that a reload may not have seen yet (it started before
	 * their INSERT committed): merged into each reload until one that started later is done. */
	struct table pending;
	/* Likewise sessions this instance ended, which an older reload may still hold. */
	struct table dropped;
	unsigned loads_started, load_number;
	bool loaded, load_in_flight, reload_wanted;
	unsigned generation;
	lws_sorted_usec_list_t maintain_sul;
	struct fetch *fetches;              /* in flight */
};

static int by_key(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->key, ((const struct entry *)b)->key);
}

/* qsort with an empty table would pass NULL, which C forbids even for zero elements. */
static void table_sort(struct table *t)
{
	if (t->n > 1)
		qsort(t->v, t->n, sizeof *t->v, by_key);
}

static void table_free(struct table *t)
{
	free(t->v);
	memset(t, 0, sizeof *t);
}

static struct entry *table_add(struct table *t)
{
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->v = cc_xrealloc(t->v, t->cap * sizeof *t->v);
	}
	memset(&t->v[t->n], 0, sizeof t->v[0]);
	return &t->v[t->n++];
}

static struct entry *table_find(const struct table *t, const char *key)
{
	struct entry probe;

	if (!t->n)
		return NULL;
	cc_strlcpy(probe.key, key, sizeof probe.key);
	return bsearch(&probe, t->v, t->n, sizeof *t->v, by_key);
}

static void table_remove(struct table *t, const char *key)
{
	struct entry *e = table_find(t, key);

	if (!e)
		return;
	memmove(e, e + 1, (size_t)(t->v + t->n - (e + 1)) * sizeof *e);
	t->n--;
}

static void fill_sessions(struct table *t, PGresult *res)
{
	for (int i = 0; i < PQntuples(res); i++) {
		struct entry *e = table_add(t);
		cc_strlcpy(e->key, PQgetvalue(res, i, 0), sizeof e->key);
		cc_strlcpy(e->id.session, e->key, sizeof e->id.session);
		cc_strlcpy(e->id.csrf, PQgetvalue(res, i, 1), sizeof e->id.csrf);
		cc_strlcpy(e->id.user, PQgetvalue(res, i, 2), sizeof e->id.user);
		if (cc_role_parse(PQgetvalue(res, i, 3), &e->id.role))
			e->id.role = CC_ROLE_NONE;
		e->id.token_id = atoi(PQgetvalue(res, i, 4));
		e->id.device = e->id.token_id != 0;
		e->id.expires_ms = strtoll(PQgetvalue(res, i, 5), NULL, 10);
		e->touched_ms = cc_now_ms();   /* whoever loaded it last touched it recently enough */
	}
	table_sort(t);
}

static void fill_tokens(struct table *t, PGresult *res)
{
	for (int i = 0; i < PQntuples(res); i++) {
		struct entry *e = table_add(t);
		cc_strlcpy(e->key, PQgetvalue(res, i, 0), sizeof e->key);
		cc_strlcpy(e->id.user, PQgetvalue(res, i, 1), sizeof e->id.user);
		e->id.token_id = atoi(PQgetvalue(res, i, 2));
		e->id.role = CC_ROLE_DISPLAY;
		e->id.device = true;
		e->id.expires_ms = INT64_MAX;
	}
	table_sort(t);
}

static void load(struct cc_authstore *s);

static void merge_pending(struct cc_authstore *s, struct table *loaded)
{
	size_t kept = 0;

	for (size_t i = 0; i < s->pending.n; i++) {
		struct entry *p = &s->pending.v[i];
		if (p->added_at_load < s->load_number)
			continue;   /* the load that just finished started after it was added */
		if (!table_find(loaded, p->key)) {
			*table_add(loaded) = *p;
			table_sort(loaded);
		}
		s->pending.v[kept++] = *p;
	}
	s->pending.n = kept;
	/* The signing-out DELETE runs on this same connection, so any load numbered after the drop
	 * was queued behind it and cannot hold the session any more. */
	kept = 0;
	for (size_t i = 0; i < s->dropped.n; i++) {
		struct entry *d = &s->dropped.v[i];
		if (d->added_at_load < s->load_number)
			continue;
		table_remove(loaded, d->key);
		s->dropped.v[kept++] = *d;
	}
	s->dropped.n = kept;
}

static void load_failed(struct cc_authstore *s, PGresult *res, const char *err)
{
	s->load_in_flight = false;
	table_free(&s->loading_sessions);
	/* connection lost: the next on_ready loads again; a broken schema is worth saying */
	if (res)
		cc_error("auth: cannot load sessions: %s (is sql/hub/010_auth.sql applied?)", err);
}

static void tokens_loaded(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	struct cc_authstore *s = arg;
	struct table tokens = { 0 };

	(void)pc;
	if (err)
		return load_failed(s, res, err);
	fill_tokens(&tokens, res);
	merge_pending(s, &s->loading_sessions);
	table_free(&s->sessions);
	table_free(&s->tokens);
	s->sessions = s->loading_sessions;
	memset(&s->loading_sessions, 0, sizeof s->loading_sessions);
	s->tokens = tokens;
	s->generation++;
	s->load_in_flight = false;
	if (!s->loaded)
		cc_info("auth: %zu sessions and %zu device tokens loaded", s->sessions.n, s->tokens.n);
	s->loaded = true;
	if (s->reload_wanted) {
		s->reload_wanted = false;
		load(s);
	}
}

static void sessions_loaded(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	struct cc_authstore *s = arg;

	if (err)
		return load_failed(s, res, err);
	fill_sessions(&s->loading_sessions, res);
	if (cc_pgconn_query(pc, tokens_sql, 0, NULL, tokens_loaded, s))
		load_failed(s, NULL, "not connected");
}

static void load(struct cc_authstore *s)
{
	if (s->load_in_flight) {
		s->reload_wanted = true;
		return;
	}
	s->load_in_flight = true;
	s->load_number = ++s->loads_started;
	if (cc_pgconn_query(s->pc, sessions_sql, 0, NULL, sessions_loaded, s))
		s->load_in_flight = false;   /* not connected: on_ready loads */
}

static void ignore(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	(void)pc;
	(void)arg;
	if (err && res)
		cc_warn("auth: %s", err);
}

static void maintain(lws_sorted_usec_list_t *sul)
{
	struct cc_authstore *s = lws_container_of(sul, struct cc_authstore, maintain_sul);

	/* Idempotent, so every instance may run it. Old attempts only matter for 15 minutes. */
	cc_pgconn_query(s->pc, "DELETE FROM commcell.session WHERE expires_at < now()", 0, NULL,
			ignore, s);
	cc_pgconn_query(s->pc, "DELETE FROM commcell.signin_attempt "
			       "WHERE at < now() - interval '1 day'", 0, NULL, ignore, s);
	lws_sul_schedule(s->ctx, 0, &s->maintain_sul, maintain, MAINTAIN_MS * LWS_US_PER_MS);
}

static void on_ready(struct cc_pgconn *pc, void *user)
{
	struct cc_authstore *s = user;

	cc_pgconn_query(pc, "LISTEN commcell_auth", 0, NULL, ignore, s);
	s->load_in_flight = false;
	s->reload_wanted = false;
	table_free(&s->loading_sessions);
	load(s);
}

static void on_failure(struct cc_pgconn *pc, const char *reason, int64_t retry_ms, void *user)
{
	(void)pc;
	(void)user;
	/* Sessions already loaded stay valid: a hub outage must not sign every display out. */
	cc_warn("auth: hub connection: %s (retrying in %lld ms)", reason, (long long)retry_ms);
}

static void on_notify(struct cc_pgconn *pc, const char *channel, const char *payload, void *user)
{
	(void)pc;
	(void)payload;
	if (!strcmp(channel, "commcell_auth"))
		load(user);
}

struct cc_authstore *cc_authstore_create(const struct cc_loop *loop, const char *hub_conninfo,
					 bool allow_anonymous_display, char *err, size_t errlen)
{
	static const struct cc_pgconn_events pev = { on_ready, on_failure, on_notify };
	struct cc_pgconn_opts opts = { .statement_timeout_ms = 10000 };
	struct cc_authstore *s = cc_xcalloc(1, sizeof *s);

	s->ctx = loop->ctx;
	s->anonymous_display = allow_anonymous_display;
	s->hasher = cc_pwhash_create(loop->ctx, err, errlen);
	if (!s->hasher) {
		free(s);
		return NULL;
	}
	s->pc = cc_pgconn_create(loop, "hub-auth", hub_conninfo, &opts, &pev, s);
	return s;
}

void cc_authstore_start(struct cc_authstore *s)
{
	cc_pgconn_start(s->pc);
	lws_sul_schedule(s->ctx, 0, &s->maintain_sul, maintain, 5 * LWS_US_PER_SEC);
}

void cc_authstore_destroy(struct cc_authstore *s)
{
	if (!s)
		return;
	lws_sul_cancel(&s->maintain_sul);
	cc_pwhash_destroy(s->hasher);
	cc_pgconn_destroy(s->pc);
	table_free(&s->sessions);
	table_free(&s->tokens);
	table_free(&s->loading_sessions);
	table_free(&s->pending);
	table_free(&s->dropped);
	while (s->fetches) {
		struct fetch *f = s->fetches;
		s->fetches = f->next;
		free(f);
	}
	free(s);
}

bool cc_authstore_loaded(const struct cc_authstore *s) { return s->loaded; }
bool cc_authstore_anonymous_display(const struct cc_authstore *s) { return s->anonymous_display; }
unsigned cc_authstore_generation(const struct cc_authstore *s) { return s->generation; }

void cc_authstore_set_anonymous_display(struct cc_authstore *s, bool allow)
{
	if (s->anonymous_display == allow)
		return;
	s->anonymous_display = allow;
	s->generation++;
}
struct cc_pgconn *cc_authstore_conn(struct cc_authstore *s) { return s->pc; }
struct cc_pwhash *cc_authstore_hasher(struct cc_authstore *s) { return s->hasher; }

bool cc_authstore_session(struct cc_authstore *s, const char *token, struct cc_identity *out)
{
	char hash[CC_SECRET_HASH_LEN + 1];
	struct entry *e;
	int64_t now = cc_now_ms();

	if (!cc_secret_well_formed(token))
		return false;
	cc_secret_hash(token, hash, sizeof hash);
	e = table_find(&s->sessions, hash);
	if (!e || e->id.expires_ms <= now || e->id.role == CC_ROLE_NONE)
		return false;
	if (now - e->touched_ms > TOUCH_MS) {
		const char *params[1] = { hash };
		e->touched_ms = now;
		cc_pgconn_query(s->pc, "UPDATE commcell.session SET last_seen_at = now() "
				       "WHERE token_hash = $1", 1, params, ignore, s);
	}
	*out = e->id;
	return true;
}

bool cc_authstore_device(struct cc_authstore *s, const char *token, struct cc_identity *out)
{
	char hash[CC_SECRET_HASH_LEN + 1];
	struct entry *e;

	if (!cc_secret_well_formed(token))
		return false;
	cc_secret_hash(token, hash, sizeof hash);
	e = table_find(&s->tokens, hash);
	if (!e)
		return false;
	*out = e->id;
	return true;
}

bool cc_authstore_still_valid(struct cc_authstore *s, const struct cc_identity *id)
{
	struct entry *e;

	if (id->session[0]) {
		e = table_find(&s->sessions, id->session);
		return e && e->id.expires_ms > cc_now_ms() && e->id.role == id->role;
	}
	if (id->device) {
		for (size_t i = 0; i < s->tokens.n; i++)
			if (s->tokens.v[i].id.token_id == id->token_id)
				return true;
		return false;
	}
	return id->role != CC_ROLE_NONE ? s->anonymous_display : true;
}

void cc_authstore_add(struct cc_authstore *s, const struct cc_identity *id)
{
	struct entry *e;

	if (table_find(&s->sessions, id->session))
		return;
	e = table_add(&s->sessions);
	e->id = *id;
	cc_strlcpy(e->key, id->session, sizeof e->key);
	e->touched_ms = cc_now_ms();
	e->added_at_load = s->loads_started;
	*table_add(&s->pending) = *e;
	table_sort(&s->sessions);
}

static void forget(struct cc_authstore *s, const char *session_hash)
{
	table_remove(&s->sessions, session_hash);
	for (size_t i = 0; i < s->pending.n; i++)   /* unsorted, and a handful at most */
		if (!strcmp(s->pending.v[i].key, session_hash))
			s->pending.v[i--] = s->pending.v[--s->pending.n];
	if (s->load_in_flight) {
		struct entry *d = table_add(&s->dropped);
		cc_strlcpy(d->key, session_hash, sizeof d->key);
		d->added_at_load = s->loads_started;
	}
}

void cc_authstore_drop(struct cc_authstore *s, const char *session_hash)
{
	forget(s, session_hash);
	s->generation++;
}

void cc_authstore_drop_user(struct cc_authstore *s, const char *user)
{
	size_t i = 0;

	/* forget() removes from the sorted table in place: step only past entries kept */
	while (i < s->sessions.n) {
		const struct entry *e = &s->sessions.v[i];
		char key[sizeof e->key];

		if (e->id.device || strcmp(e->id.user, user)) {
			i++;
			continue;
		}
		cc_strlcpy(key, e->key, sizeof key);
		forget(s, key);
	}
	s->generation++;
}

static void session_fetched(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	struct fetch *f = arg, **p;
	struct cc_authstore *s = f->s;

	(void)pc;
	for (p = &s->fetches; *p != f; p = &(*p)->next)
		;
	*p = f->next;
	if (!err && PQntuples(res) == 1) {
		struct table t = { 0 };

		fill_sessions(&t, res);
		cc_authstore_add(s, &t.v[0].id);
		table_free(&t);
	}
	f->done(f->arg);
	free(f);
}

bool cc_authstore_fetch_session(struct cc_authstore *s, const char *token,
				void (*done)(void *arg), void *arg)
{
	char hash[CC_SECRET_HASH_LEN + 1];
	const char *params[1] = { hash };
	struct fetch *f;

	if (!cc_secret_well_formed(token))
		return false;
	cc_secret_hash(token, hash, sizeof hash);
	if (table_find(&s->sessions, hash))
		return false;
	f = cc_xcalloc(1, sizeof *f);
	f->s = s;
	f->done = done;
	f->arg = arg;
	if (cc_pgconn_query(s->pc, one_session_sql, 1, params, session_fetched, f)) {
		free(f);
		return false;   /* the hub is away: what is loaded is all there is */
	}
	f->next = s->fetches;
	s->fetches = f;
	return true;
}
