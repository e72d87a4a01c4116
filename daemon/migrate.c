#include "migrate.h"
#include "hubsql.h"
#include "util.h"

#include <dirent.h>
#include <errno.h>
#include <libpq-fe.h>
#include <poll.h>
#include <sodium.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Any constant will do, as long as every commcelld uses it and it is not the leader's. */
#define LOCK_KEY "6D6967726174"
#define TABLE "public.commcell_schema_migration"

struct migration {
	char *file;
	const char *sql;
	size_t len;
	char *owned;                             /* the text, when read from a directory */
	char checksum[crypto_hash_sha256_BYTES * 2 + 1];
};

struct cc_migrations {
	struct migration *v;
	size_t n;
};

static void set_checksum(struct migration *mg)
{
	unsigned char h[crypto_hash_sha256_BYTES];

	crypto_hash_sha256(h, (const unsigned char *)mg->sql, mg->len);
	sodium_bin2hex(mg->checksum, sizeof mg->checksum, h, sizeof h);
}

struct cc_migrations *cc_migrations_embedded(void)
{
	struct cc_migrations *m = cc_xcalloc(1, sizeof *m);

	if (sodium_init() < 0)
		abort();
	m->n = cc_hubsql_count;
	m->v = cc_xcalloc(m->n ? m->n : 1, sizeof *m->v);
	for (size_t i = 0; i < m->n; i++) {
		m->v[i].file = cc_xstrdup(cc_hubsql_names[i]);
		m->v[i].sql = cc_hubsql_texts[i];
		m->v[i].len = cc_hubsql_lens[i];
		set_checksum(&m->v[i]);
	}
	return m;
}

static int by_file(const void *a, const void *b)
{
	return strcmp(((const struct migration *)a)->file, ((const struct migration *)b)->file);
}

static char *read_text(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 4096, n = 0, got;
	char *buf;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	buf = cc_xmalloc(cap);
	while ((got = fread(buf + n, 1, cap - n - 1, f)) > 0) {
		n += got;
		if (cap - n - 1 == 0)
			buf = cc_xrealloc(buf, cap *= 2);
	}
	if (ferror(f) || memchr(buf, '\0', n)) {
		snprintf(err, errlen, "%s: %s", path, ferror(f) ? "read error" : "contains a NUL byte");
		fclose(f);
		free(buf);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

struct cc_migrations *cc_migrations_from_dir(const char *dir, char *err, size_t errlen)
{
	struct cc_migrations *m = cc_xcalloc(1, sizeof *m);
	size_t cap = 16;
	DIR *d = opendir(dir);
	struct dirent *e;

	if (sodium_init() < 0)
		abort();
	m->v = cc_xcalloc(cap, sizeof *m->v);
	if (!d) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		cc_migrations_destroy(m);
		return NULL;
	}
	while ((e = readdir(d))) {
		size_t nl = strlen(e->d_name);
		struct migration *mg;
		struct stat st;
		char *path;

		if (e->d_name[0] == '.' || nl < 5 || strcmp(e->d_name + nl - 4, ".sql"))
			continue;
		path = cc_xasprintf("%s/%s", dir, e->d_name);
		if (stat(path, &st) || !S_ISREG(st.st_mode)) {
			free(path);
			continue;
		}
		if (m->n == cap)
			m->v = cc_xrealloc(m->v, (cap *= 2) * sizeof *m->v);
		mg = &m->v[m->n];
		memset(mg, 0, sizeof *mg);
		mg->owned = read_text(path, &mg->len, err, errlen);
		free(path);
		if (!mg->owned) {
			closedir(d);
			cc_migrations_destroy(m);
			return NULL;
		}
		mg->sql = mg->owned;
		mg->file = cc_xstrdup(e->d_name);
		set_checksum(mg);
		m->n++;
	}
	closedir(d);
	qsort(m->v, m->n, sizeof *m->v, by_file);
	return m;
}

void cc_migrations_destroy(struct cc_migrations *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].file);
		free(m->v[i].owned);
	}
	free(m->v);
	free(m);
}

size_t cc_migrations_count(const struct cc_migrations *m) { return m->n; }
const char *cc_migrations_file(const struct cc_migrations *m, size_t i) { return m->v[i].file; }

/* libpq's messages end in a newline and may hold several lines: one line for ours. */
static void flatten(char *s)
{
	size_t n;

	for (char *p = s; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	n = strlen(s);
	while (n > 0 && s[n - 1] == ' ')
		s[--n] = '\0';
}

static void one_line(char *dst, size_t len, const char *src)
{
	cc_strlcpy(dst, src ? src : "", len);
	flatten(dst);
}

static const struct migration *find(const struct cc_migrations *m, const char *file)
{
	for (size_t i = 0; i < m->n; i++)
		if (!strcmp(m->v[i].file, file))
			return &m->v[i];
	return NULL;
}

static int find_row(PGresult *applied, const char *file)
{
	int n = applied ? PQntuples(applied) : 0;

	for (int i = 0; i < n; i++)
		if (!strcmp(PQgetvalue(applied, i, 0), file))
			return i;
	return -1;
}

/* Files recorded in the hub (column 0 of applied; NULL: none) that m does not have. */
static bool judge_unknown(const struct cc_migrations *m, PGresult *applied, char *msg,
			  size_t len)
{
	int n = applied ? PQntuples(applied) : 0, unknown = 0;
	const char *first = NULL;

	for (int i = 0; i < n; i++) {
		const char *f = PQgetvalue(applied, i, 0);
		if (find(m, f))
			continue;
		if (!first || strcmp(f, first) < 0)
			first = f;
		unknown++;
	}
	if (!unknown)
		return false;
	if (unknown == 1)
		snprintf(msg, len, "the hub has migration %s that this commcelld does not know: "
			 "upgrade commcelld", first);
	else
		snprintf(msg, len, "the hub has migration %s and %d more that this commcelld does "
			 "not know: upgrade commcelld", first, unknown - 1);
	return true;
}

/* The line of a 1-based character position in text (PostgreSQL counts characters). */
static int line_of(const char *text, long pos)
{
	int line = 1;
	long chars = 0;

	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if ((*p & 0xC0) != 0x80 && ++chars >= pos)
			break;
		if (*p == '\n')
			line++;
	}
	return line;
}

static void describe_failure(const struct migration *mg, PGconn *c, PGresult *r, char *err,
			     size_t errlen)
{
	const char *primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *sev = r ? PQresultErrorField(r, PG_DIAG_SEVERITY) : NULL;
	const char *pos = r ? PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION) : NULL;
	const char *detail = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL) : NULL;
	const char *hint = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_HINT) : NULL;
	const char *ctx = r ? PQresultErrorField(r, PG_DIAG_CONTEXT) : NULL;
	char where[32] = "", text[900], more[1200] = "";

	if (!primary) {
		one_line(text, sizeof text, PQerrorMessage(c));
		snprintf(err, errlen, "migration %s failed: %s; nothing of it was applied", mg->file,
			 text);
		return;
	}
	if (pos)
		snprintf(where, sizeof where, ":%d", line_of(mg->sql, atol(pos)));
	one_line(text, sizeof text, primary);
	if (detail)
		snprintf(more + strlen(more), sizeof more - strlen(more), " DETAIL: %s", detail);
	if (hint)
		snprintf(more + strlen(more), sizeof more - strlen(more), " HINT: %s", hint);
	if (ctx)
		snprintf(more + strlen(more), sizeof more - strlen(more), " CONTEXT: %s", ctx);
	flatten(more);
	snprintf(err, errlen, "migration %s failed: %s%s: %s: %s%s; nothing of it was applied",
		 mg->file, mg->file, where, sev ? sev : "ERROR", text, more);
}

/* Run sql whose result does not matter; false with err (prefixed with what) on failure. */
static bool exec_ok(PGconn *c, const char *sql, const char *what, char *err, size_t errlen)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
	char text[600];

	if (!ok) {
		one_line(text, sizeof text, r ? PQresultErrorMessage(r) : PQerrorMessage(c));
		snprintf(err, errlen, "%s: %s", what, text);
	}
	PQclear(r);
	return ok;
}

static bool apply_one(PGconn *c, const struct migration *mg, char *err, size_t errlen)
{
	const char *params[2] = { mg->file, mg->checksum };
	PGresult *r;
	ExecStatusType st;
	bool ok;

	if (!exec_ok(c, "BEGIN", "cannot begin a transaction", err, errlen))
		return false;
	r = PQexec(c, mg->sql);
	st = PQresultStatus(r);
	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_EMPTY_QUERY) {
		describe_failure(mg, c, r, err, errlen);
		PQclear(r);
		PQclear(PQexec(c, "ROLLBACK"));
		return false;
	}
	PQclear(r);
	if (PQtransactionStatus(c) != PQTRANS_INTRANS) {
		/* what ran after its COMMIT or ROLLBACK is applied and cannot be taken back */
		snprintf(err, errlen, "migration %s ended its transaction itself (COMMIT or ROLLBACK "
			 "in it): it is not recorded, and may be partly applied", mg->file);
		return false;
	}
	r = PQexecParams(c, "INSERT INTO " TABLE " (file, checksum) VALUES ($1, $2)", 2, NULL,
			 params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		describe_failure(mg, c, r, err, errlen);
		PQclear(r);
		PQclear(PQexec(c, "ROLLBACK"));
		return false;
	}
	PQclear(r);
	/* COMMIT of a transaction the file aborted says ROLLBACK, not an error */
	r = PQexec(c, "COMMIT");
	ok = PQresultStatus(r) == PGRES_COMMAND_OK && !strcmp(PQcmdStatus(r), "COMMIT");
	if (!ok)
		describe_failure(mg, c, r, err, errlen);
	PQclear(r);
	return ok;
}

struct say_ctx {
	cc_migrate_say_fn say;
	void *user;
};

static void notice(void *arg, const char *message)
{
	struct say_ctx *s = arg;
	char line[1024];

	one_line(line, sizeof line, message);
	s->say(line, s->user);
}

/* Under the lock: the record table, with the checksum column that older hubs lack. */
static bool ensure_table(PGconn *c, char *err, size_t errlen)
{
	PGresult *r;
	bool has;

	if (!exec_ok(c, "CREATE TABLE IF NOT EXISTS " TABLE " (file text PRIMARY KEY, "
		     "applied_at timestamptz NOT NULL DEFAULT now(), checksum text)",
		     "cannot create " TABLE, err, errlen))
		return false;
	r = PQexec(c, "SELECT 1 FROM pg_attribute WHERE attrelid = '" TABLE "'::regclass "
		   "AND attname = 'checksum' AND NOT attisdropped");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		snprintf(err, errlen, "cannot read the columns of " TABLE);
		PQclear(r);
		return false;
	}
	has = PQntuples(r) > 0;
	PQclear(r);
	/* the SHA-256 of each file as applied; rows from scripts/cluster's time have none */
	return has || exec_ok(c, "ALTER TABLE " TABLE " ADD COLUMN checksum text",
			      "cannot add the checksum column to " TABLE, err, errlen);
}

static bool lock(PGconn *c, const struct say_ctx *s, char *err, size_t errlen)
{
	PGresult *r = PQexec(c, "SELECT pg_try_advisory_lock(x'" LOCK_KEY "'::bigint)");
	bool got = PQresultStatus(r) == PGRES_TUPLES_OK && PQgetvalue(r, 0, 0)[0] == 't';

	PQclear(r);
	if (got)
		return true;
	s->say("another commcelld --migrate is at work on this hub: waiting for it", s->user);
	return exec_ok(c, "SELECT pg_advisory_lock(x'" LOCK_KEY "'::bigint)",
		       "cannot take the migration lock", err, errlen);
}

static int apply_locked(PGconn *c, const struct cc_migrations *m, const struct say_ctx *s,
			char *err, size_t errlen)
{
	PGresult *applied;
	size_t done = 0;
	char line[512];
	int rc = 0;

	if (!ensure_table(c, err, errlen))
		return -1;
	applied = PQexec(c, "SELECT file, checksum FROM " TABLE " ORDER BY file");
	if (PQresultStatus(applied) != PGRES_TUPLES_OK) {
		one_line(line, sizeof line, PQresultErrorMessage(applied));
		snprintf(err, errlen, "cannot read " TABLE ": %s", line);
		PQclear(applied);
		return -1;
	}
	if (judge_unknown(m, applied, err, errlen)) {
		PQclear(applied);
		return -1;
	}
	for (size_t i = 0; i < m->n && !rc; i++) {
		const struct migration *mg = &m->v[i];
		int row = find_row(applied, mg->file);

		if (row < 0) {
			if (!apply_one(c, mg, err, errlen)) {
				rc = -1;
				break;
			}
			snprintf(line, sizeof line, "applied %s", mg->file);
			s->say(line, s->user);
			done++;
		} else if (!PQgetisnull(applied, row, 1) &&
			   strcmp(PQgetvalue(applied, row, 1), mg->checksum)) {
			snprintf(line, sizeof line, "warning: %s was applied with other contents than "
				 "this commcelld's copy (edited after it was applied?)", mg->file);
			s->say(line, s->user);
		}
	}
	PQclear(applied);
	if (rc)
		return rc;
	if (done)
		snprintf(line, sizeof line, "hub is up to date (%zu migrations, %zu applied now)",
			 m->n, done);
	else
		snprintf(line, sizeof line, "hub is up to date (%zu migrations)", m->n);
	s->say(line, s->user);
	return 0;
}

int cc_migrate_apply(const char *conninfo, const struct cc_migrations *m, cc_migrate_say_fn say,
		     void *user, char *err, size_t errlen)
{
	static const char *const keys[] = { "connect_timeout", "fallback_application_name",
					    "dbname", NULL };
	const char *vals[] = { "10", "commcelld --migrate", conninfo, NULL };
	struct say_ctx s = { say, user };
	PGconn *c = PQconnectdbParams(keys, vals, 1);
	char text[600];
	int rc;

	if (PQstatus(c) != CONNECTION_OK) {
		one_line(text, sizeof text, PQerrorMessage(c));
		snprintf(err, errlen, "cannot connect to the hub: %s", text);
		PQfinish(c);
		return -1;
	}
	PQsetNoticeProcessor(c, notice, &s);
	/* NOTICEs ("already exists, skipping") are noise here; a migration may take long */
	if (!exec_ok(c, "SET client_min_messages = warning", "cannot set up the session", err,
		     errlen) ||
	    !exec_ok(c, "SET statement_timeout = 0", "cannot set up the session", err, errlen) ||
	    !lock(c, &s, err, errlen)) {
		PQfinish(c);
		return -1;
	}
	rc = apply_locked(c, m, &s, err, errlen);
	/* ending the session would release the lock too; saying so is clearer in pg_stat_activity */
	PQclear(PQexec(c, "SELECT pg_advisory_unlock(x'" LOCK_KEY "'::bigint)"));
	PQfinish(c);
	return rc;
}

/* Wait until c's socket is ready, or the deadline passes (false). */
static bool wait_socket(PGconn *c, bool for_write, int64_t deadline)
{
	struct pollfd p = { .fd = PQsocket(c), .events = for_write ? POLLOUT : POLLIN };

	for (;;) {
		int64_t left = deadline - cc_mono_ms();
		int n;

		if (left <= 0 || p.fd < 0)
			return false;
		n = poll(&p, 1, (int)left);
		if (n > 0)
			return true;
		if (n < 0 && errno != EINTR)
			return false;
	}
}

/* Connect and run one query with a deadline on every wait. NULL with msg on failure. */
static PGresult *query_within(const char *conninfo, const char *sql, int timeout_ms, char *msg,
			      size_t len)
{
	static const char *const keys[] = { "fallback_application_name", "dbname", NULL };
	const char *vals[] = { "commcelld", conninfo, NULL };
	int64_t deadline = cc_mono_ms() + timeout_ms;
	PGconn *c = PQconnectStartParams(keys, vals, 1);
	PostgresPollingStatusType st = PGRES_POLLING_WRITING;
	PGresult *r = NULL, *next;
	char text[600];

	if (!c || PQstatus(c) == CONNECTION_BAD) {
		one_line(text, sizeof text, c ? PQerrorMessage(c) : "out of memory");
		snprintf(msg, len, "%s", text);
		PQfinish(c);
		return NULL;
	}
	while (st != PGRES_POLLING_OK) {
		if (st == PGRES_POLLING_FAILED) {
			one_line(text, sizeof text, PQerrorMessage(c));
			snprintf(msg, len, "%s", text);
			PQfinish(c);
			return NULL;
		}
		if (!wait_socket(c, st == PGRES_POLLING_WRITING, deadline))
			goto timeout;
		st = PQconnectPoll(c);
	}
	if (PQsetnonblocking(c, 1) || !PQsendQuery(c, sql))
		goto failed;
	for (int f; (f = PQflush(c)) != 0;)
		if (f < 0 || !wait_socket(c, true, deadline))
			goto failed;
	while (PQisBusy(c))
		if (!wait_socket(c, false, deadline) || !PQconsumeInput(c))
			goto failed;
	/* keep the first result; the rest (none expected) only need reading */
	while ((next = PQgetResult(c))) {
		if (!r)
			r = next;
		else
			PQclear(next);
		while (PQisBusy(c))
			if (!wait_socket(c, false, deadline) || !PQconsumeInput(c))
				goto failed;
	}
	PQfinish(c);
	return r;
failed:
	if (cc_mono_ms() < deadline) {
		one_line(text, sizeof text, PQerrorMessage(c));
		snprintf(msg, len, "%s", text);
		PQclear(r);
		PQfinish(c);
		return NULL;
	}
timeout:
	snprintf(msg, len, "no answer within %d ms", timeout_ms);
	PQclear(r);
	PQfinish(c);
	return NULL;
}

enum cc_migrate_verdict cc_migrate_judge(const struct cc_migrations *m, const PGresult *res,
					 const char *config_path, char *msg, size_t msglen)
{
	PGresult *applied = (PGresult *)res;   /* libpq's getters take no const */
	const char *state, *first = NULL;
	size_t missing = 0;
	char text[600];

	if (res && PQresultStatus(res) != PGRES_TUPLES_OK) {
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		if (!state || strcmp(state, "42P01")) {   /* anything but "no such table" */
			one_line(text, sizeof text, PQresultErrorMessage(res));
			snprintf(msg, msglen, "cannot read " TABLE ": %s", text);
			return CC_MIGRATE_UNCHECKED;
		}
		applied = NULL;   /* a hub nothing was ever applied to */
	}
	if (judge_unknown(m, applied, msg, msglen))
		return CC_MIGRATE_REFUSE;
	for (size_t i = 0; i < m->n; i++)
		if (find_row(applied, m->v[i].file) < 0 && missing++ == 0)
			first = m->v[i].file;
	if (!missing) {
		snprintf(msg, msglen, "the hub has the %zu migrations this commcelld knows", m->n);
		return CC_MIGRATE_CURRENT;
	}
	snprintf(msg, msglen, "the hub lacks %zu of the %zu migrations this commcelld needs "
		 "(the first is %s): run commcelld --migrate --config %s", missing, m->n, first,
		 config_path ? config_path : "FILE (this daemon's bootstrap file)");
	return CC_MIGRATE_REFUSE;
}

enum cc_migrate_verdict cc_migrate_check(const char *conninfo, const struct cc_migrations *m,
					 const char *config_path, int timeout_ms, char *msg,
					 size_t msglen)
{
	PGresult *r = query_within(conninfo, CC_MIGRATE_APPLIED_SQL, timeout_ms, msg, msglen);
	enum cc_migrate_verdict v;

	if (!r)
		return CC_MIGRATE_UNCHECKED;
	v = cc_migrate_judge(m, r, config_path, msg, msglen);
	PQclear(r);
	return v;
}
