#include "pgwriter.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "simlog.h"

#define CHUNK_ROWS 500 /* rows per INSERT statement (parameters stay far below 65535) */

void rows_init(struct rows *r, const struct table_def *t)
{
	memset(r, 0, sizeof *r);
	r->t = t;
}

void rows_reset(struct rows *r)
{
	r->len = 0;
	r->nvals = 0;
	r->failed = false;
}

void rows_free(struct rows *r)
{
	free(r->buf);
	free(r->off);
	memset(r, 0, sizeof *r);
}

size_t rows_count(const struct rows *r)
{
	return r->t->ncols ? r->nvals / (size_t)r->t->ncols : 0;
}

static bool grow_vals(struct rows *r)
{
	if (r->nvals < r->capvals)
		return true;
	size_t cap = r->capvals ? r->capvals * 2 : 256;
	long *off = realloc(r->off, cap * sizeof *off);
	if (!off) {
		r->failed = true;
		return false;
	}
	r->off = off;
	r->capvals = cap;
	return true;
}

void rows_null(struct rows *r)
{
	if (grow_vals(r))
		r->off[r->nvals++] = -1;
}

void rows_text(struct rows *r, const char *v)
{
	if (!v) {
		rows_null(r);
		return;
	}
	size_t n = strlen(v) + 1;
	if (!grow_vals(r))
		return;
	if (r->len + n > r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 4096;
		while (cap < r->len + n)
			cap *= 2;
		char *b = realloc(r->buf, cap);
		if (!b) {
			r->failed = true;
			return;
		}
		r->buf = b;
		r->cap = cap;
	}
	memcpy(r->buf + r->len, v, n);
	r->off[r->nvals++] = (long)r->len;
	r->len += n;
}

void rows_int(struct rows *r, long long v)
{
	char s[32];

	snprintf(s, sizeof s, "%lld", v);
	rows_text(r, s);
}

void rows_bool(struct rows *r, bool v)
{
	rows_text(r, v ? "true" : "false");
}

void rows_time(struct rows *r, const struct simclock *c, int64_t sim_us)
{
	char s[48];

	if (!sim_us) {
		rows_null(r);
		return;
	}
	format_utc(s, sizeof s, simclock_stored(c, sim_us));
	rows_text(r, s);
}

void pdb_init(struct partner_db *p, const char *name)
{
	memset(p, 0, sizeof *p);
	p->name = strdup(name);
	size_t n = strlen(name) + sizeof "partner_";
	p->dbname = malloc(n);
	if (p->dbname)
		snprintf(p->dbname, n, "partner_%s", name);
	p->resync = true;
}

void pdb_close(struct partner_db *p)
{
	if (p->conn)
		PQfinish(p->conn);
	p->conn = NULL;
	free(p->name);
	free(p->dbname);
	free(p->last_error);
	memset(p, 0, sizeof *p);
}

static char *first_line(const char *msg)
{
	size_t n = strcspn(msg, "\n");
	char *s = malloc(n + 1);

	if (s) {
		memcpy(s, msg, n);
		s[n] = '\0';
	}
	return s;
}

void pdb_fail(struct partner_db *p, const char *what, const char *msg)
{
	char *line = first_line(msg && *msg ? msg : "unknown error");
	int64_t now = wall_now_us();
	bool same = p->failing && p->last_error && line && strcmp(p->last_error, line) == 0;

	if (!same || now - p->last_error_logged >= 60 * US_PER_S) {
		sim_log("partner %s (%s): %s: %s; retrying at the next tick", p->name, p->dbname, what,
			line ? line : "out of memory");
		p->last_error_logged = now;
	}
	free(p->last_error);
	p->last_error = line;
	p->failing = true;
	p->resync = true;
	if (p->conn) {
		PQfinish(p->conn);
		p->conn = NULL;
	}
}

bool pdb_connect(struct partner_db *p, const char *base_conninfo)
{
	if (p->conn && PQstatus(p->conn) == CONNECTION_OK)
		return true;
	if (p->conn) {
		PQfinish(p->conn);
		p->conn = NULL;
	}
	if (!p->dbname) {
		pdb_fail(p, "cannot connect", "out of memory");
		return false;
	}
	/* defaults first, then the user's conninfo (expanded), then the partner's database */
	const char *keys[] = {"connect_timeout", "application_name", "options", "dbname", "dbname", NULL};
	const char *vals[] = {"5", "commcell-sim", "-c statement_timeout=30000 -c synchronous_commit=off",
			      base_conninfo, p->dbname, NULL};
	p->conn = PQconnectdbParams(keys, vals, 1);
	if (!p->conn || PQstatus(p->conn) != CONNECTION_OK) {
		pdb_fail(p, "cannot connect", p->conn ? PQerrorMessage(p->conn) : "out of memory");
		return false;
	}
	PGresult *res = PQexec(p->conn, "SET client_min_messages = warning");
	PQclear(res);
	return true;
}

bool pdb_exec(struct partner_db *p, const char *sql, int nparams, const char *const *params)
{
	if (!p->conn)
		return false;
	PGresult *res = PQexecParams(p->conn, sql, nparams, NULL, params, NULL, NULL, 0);
	ExecStatusType st = PQresultStatus(res);
	bool ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;

	if (!ok) {
		/* name the statement by its first words */
		char what[64];
		snprintf(what, sizeof what, "%.60s", sql);
		pdb_fail(p, what, PQerrorMessage(p->conn));
	}
	PQclear(res);
	return ok;
}

/* Append to a growing string; false when out of memory. */
static bool sb_add(char **s, size_t *len, size_t *cap, const char *add)
{
	size_t n = strlen(add);

	if (*len + n + 1 > *cap) {
		size_t c = *cap ? *cap * 2 : 1024;
		while (c < *len + n + 1)
			c *= 2;
		char *b = realloc(*s, c);
		if (!b)
			return false;
		*s = b;
		*cap = c;
	}
	memcpy(*s + *len, add, n + 1);
	*len += n;
	return true;
}

bool pdb_write_rows(struct partner_db *p, struct rows *r)
{
	const struct table_def *t = r->t;
	size_t nrows = rows_count(r);

	if (r->failed) {
		pdb_fail(p, t->name, "out of memory");
		return false;
	}
	for (size_t first = 0; first < nrows; first += CHUNK_ROWS) {
		size_t n = nrows - first < CHUNK_ROWS ? nrows - first : CHUNK_ROWS;
		char *sql = NULL, tmp[64];
		size_t len = 0, cap = 0;
		bool ok = sb_add(&sql, &len, &cap, "INSERT INTO ") && sb_add(&sql, &len, &cap, t->name) &&
			  sb_add(&sql, &len, &cap, " (");
		for (int c = 0; ok && c < t->ncols; c++)
			ok = sb_add(&sql, &len, &cap, c ? ", " : "") && sb_add(&sql, &len, &cap, t->cols[c]);
		ok = ok && sb_add(&sql, &len, &cap, ") VALUES ");
		for (size_t i = 0; ok && i < n; i++) {
			ok = sb_add(&sql, &len, &cap, i ? ", (" : "(");
			for (int c = 0; ok && c < t->ncols; c++) {
				snprintf(tmp, sizeof tmp, "%s$%zu", c ? ", " : "", i * (size_t)t->ncols + (size_t)c + 1);
				ok = sb_add(&sql, &len, &cap, tmp);
			}
			ok = ok && sb_add(&sql, &len, &cap, ")");
		}
		if (ok && t->conflict) {
			ok = sb_add(&sql, &len, &cap, " ON CONFLICT ") && sb_add(&sql, &len, &cap, t->conflict);
			/* "(id) DO UPDATE": set every other column from the new row */
			if (ok && strstr(t->conflict, "DO UPDATE")) {
				ok = sb_add(&sql, &len, &cap, " SET ");
				bool firstset = true;
				for (int c = 1; ok && c < t->ncols; c++) {
					ok = sb_add(&sql, &len, &cap, firstset ? "" : ", ") &&
					     sb_add(&sql, &len, &cap, t->cols[c]) &&
					     sb_add(&sql, &len, &cap, " = EXCLUDED.") &&
					     sb_add(&sql, &len, &cap, t->cols[c]);
					firstset = false;
				}
			}
		}
		const char **params = ok ? malloc(n * (size_t)t->ncols * sizeof *params) : NULL;
		if (!params) {
			free(sql);
			pdb_fail(p, t->name, "out of memory");
			return false;
		}
		for (size_t v = 0; v < n * (size_t)t->ncols; v++) {
			long off = r->off[first * (size_t)t->ncols + v];
			params[v] = off < 0 ? NULL : r->buf + off;
		}
		ok = pdb_exec(p, sql, (int)(n * (size_t)t->ncols), params);
		free(params);
		free(sql);
		if (!ok)
			return false;
		p->rows_written += n;
	}
	return true;
}

bool pdb_shift(struct partner_db *p, const struct table_def *t, int64_t delta_us)
{
	char *sql = NULL, param[48];
	size_t len = 0, cap = 0;
	bool ok;

	if (!t->ntime || !delta_us)
		return true;
	ok = sb_add(&sql, &len, &cap, "UPDATE ") && sb_add(&sql, &len, &cap, t->name) &&
	     sb_add(&sql, &len, &cap, " SET ");
	for (int i = 0; ok && i < t->ntime; i++)
		ok = sb_add(&sql, &len, &cap, i ? ", " : "") && sb_add(&sql, &len, &cap, t->time_cols[i]) &&
		     sb_add(&sql, &len, &cap, " = ") && sb_add(&sql, &len, &cap, t->time_cols[i]) &&
		     sb_add(&sql, &len, &cap, " - $1::interval");
	if (!ok) {
		free(sql);
		pdb_fail(p, t->name, "out of memory");
		return false;
	}
	snprintf(param, sizeof param, "%lld microseconds", (long long)delta_us);
	const char *params[] = {param};
	ok = pdb_exec(p, sql, 1, params);
	free(sql);
	return ok;
}

bool pdb_delete_ids(struct partner_db *p, const char *table, const int64_t *ids, size_t n)
{
	char *sql = NULL, *arr = NULL, tmp[32];
	size_t len = 0, cap = 0, alen = 0, acap = 0;
	bool ok;

	if (!n)
		return true;
	ok = sb_add(&arr, &alen, &acap, "{");
	for (size_t i = 0; ok && i < n; i++) {
		snprintf(tmp, sizeof tmp, "%s%lld", i ? "," : "", (long long)ids[i]);
		ok = sb_add(&arr, &alen, &acap, tmp);
	}
	ok = ok && sb_add(&arr, &alen, &acap, "}") && sb_add(&sql, &len, &cap, "DELETE FROM ") &&
	     sb_add(&sql, &len, &cap, table) && sb_add(&sql, &len, &cap, " WHERE id = ANY($1::bigint[])");
	if (ok) {
		const char *params[] = {arr};
		ok = pdb_exec(p, sql, 1, params);
	} else {
		pdb_fail(p, table, "out of memory");
	}
	free(sql);
	free(arr);
	return ok;
}
