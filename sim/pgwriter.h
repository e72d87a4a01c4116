/* Writing to a partner database: one blocking libpq connection per partner, one transaction per
 * tick, rows sent as multi-row upserts with text parameters.
 *
 * The simulator owns the rows of the operational tables it writes. A tick's transaction moves
 * every stored time back by the growth of the clock offset (simclock.h), upserts the rows that
 * changed, and deletes the ones past retention. After any failure (the partner down, a
 * statement refused) the next transaction rewrites everything the simulator holds ("resync"):
 * TRUNCATE, then every row afresh, so nothing half-written or half-shifted survives. */
#ifndef SIM_PGWRITER_H
#define SIM_PGWRITER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "simclock.h"

/* A table as the simulator writes it. */
struct table_def {
	const char *name;             /* e.g. "ops.ed_attendance" */
	const char *const *cols;      /* every column written, in order */
	int ncols;
	const char *conflict;         /* "(id) DO UPDATE", "(ward, recorded_at) DO NOTHING", ... */
	const char *const *time_cols; /* timestamptz columns moved back when the offset grows */
	int ntime;
};

/* Rows for one table, built column by column. */
struct rows {
	const struct table_def *t;
	char *buf;       /* values, each NUL-terminated */
	size_t len, cap;
	long *off;       /* per value: offset into buf, or -1 for NULL */
	size_t nvals, capvals;
	bool failed;     /* out of memory */
};

void rows_init(struct rows *r, const struct table_def *t);
void rows_reset(struct rows *r);
void rows_free(struct rows *r);
size_t rows_count(const struct rows *r);
void rows_null(struct rows *r);
void rows_text(struct rows *r, const char *v); /* NULL: SQL NULL */
void rows_int(struct rows *r, long long v);
void rows_bool(struct rows *r, bool v);
/* A simulated time as stored under the clock's current offset; 0 means "not yet": NULL. */
void rows_time(struct rows *r, const struct simclock *c, int64_t sim_us);

struct partner_db {
	char *name;   /* partner name, e.g. "acute" */
	char *dbname; /* partner_<name> */
	PGconn *conn;
	bool resync;            /* the next transaction rewrites everything */
	int64_t applied_offset; /* the clock offset the stored times are under */
	bool failing;
	char *last_error;
	int64_t last_error_logged; /* wall clock, us */
	unsigned long long rows_written;
};

void pdb_init(struct partner_db *p, const char *name);
void pdb_close(struct partner_db *p);
/* Connect if needed (defaults, then base_conninfo, then dbname=partner_<name>). */
bool pdb_connect(struct partner_db *p, const char *base_conninfo);
/* Run one statement; false (after recording the error) when it fails. */
bool pdb_exec(struct partner_db *p, const char *sql, int nparams, const char *const *params);
/* Upsert the rows (in chunks); rows_count 0 does nothing. */
bool pdb_write_rows(struct partner_db *p, struct rows *r);
/* Move every time column of the table back by delta_us. */
bool pdb_shift(struct partner_db *p, const struct table_def *t, int64_t delta_us);
/* DELETE FROM table WHERE id = ANY(ids). */
bool pdb_delete_ids(struct partner_db *p, const char *table, const int64_t *ids, size_t n);
/* Record a failure: log it (an unchanged message at most once a minute) and drop the connection. */
void pdb_fail(struct partner_db *p, const char *what, const char *msg);

#endif
