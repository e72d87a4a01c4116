/*
 * One non-blocking libpq connection driven by the libwebsockets loop.
 *
 * The socket is watched by adopting a dup() of it into lws as a raw file: lws closes what it
 * adopts, and libpq must stay the only owner of its own descriptor. Queries are queued and run
 * one at a time; every query has a deadline on our side as well as statement_timeout on the
 * server's, so a server that accepts TCP but never answers is noticed too. On any failure the
 * connection is dropped, every queued query is answered with an error, and a reconnect is
 * scheduled with exponential backoff and jitter.
 */
#ifndef CC_PGCONN_H
#define CC_PGCONN_H

#include <libpq-fe.h>
#include "loop.h"

#include <libwebsockets.h>
#include <stdbool.h>

struct cc_pgconn;

enum cc_pg_state {
	CC_PG_IDLE,        /* not started */
	CC_PG_CONNECTING,
	CC_PG_READY,       /* connected; queries run */
	CC_PG_BACKOFF,     /* failed; waiting to retry */
};

const char *cc_pg_state_name(enum cc_pg_state s);

struct cc_pgconn_events {
	/* Connection is up (first time or after a reconnect): LISTEN again, reload state. */
	void (*on_ready)(struct cc_pgconn *pc, void *user);
	/* Connection failed or dropped; reason is for people. retry_ms: when the next attempt is. */
	void (*on_failure)(struct cc_pgconn *pc, const char *reason, int64_t retry_ms, void *user);
	void (*on_notify)(struct cc_pgconn *pc, const char *channel, const char *payload, void *user);
};

/* res is NULL when the query could not run (connection lost, timeout); err says why.
 * res, when given, is owned by pgconn and freed after the callback returns. */
typedef void (*cc_pg_result_cb)(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg);

struct cc_pgconn_opts {
	int connect_timeout_ms;
	int statement_timeout_ms;     /* sent as SET on connect; 0: leave the server's */
	bool read_only;               /* SET default_transaction_read_only on connect */
	int query_grace_ms;           /* our own deadline = statement_timeout + grace */
	int backoff_base_ms;
	int backoff_max_ms;
};

struct cc_pgconn *cc_pgconn_create(const struct cc_loop *loop, const char *name, const char *conninfo,
				   const struct cc_pgconn_opts *opts,
				   const struct cc_pgconn_events *ev, void *user);
void cc_pgconn_destroy(struct cc_pgconn *pc);

void cc_pgconn_start(struct cc_pgconn *pc);

/* Queue a query. Parameters are text and copied. Returns 0, or -1 when not READY (cb not called). */
int cc_pgconn_query(struct cc_pgconn *pc, const char *sql, int nparams, const char *const *params,
		    cc_pg_result_cb cb, void *arg);

enum cc_pg_state cc_pgconn_state(const struct cc_pgconn *pc);
const char *cc_pgconn_name(const struct cc_pgconn *pc);
const char *cc_pgconn_last_error(const struct cc_pgconn *pc);
bool cc_pgconn_busy(const struct cc_pgconn *pc);

/* The same with a statement timeout of its own (ms, 0: the connection's). A SET is sent first
 * when it differs from the one in force; our own deadline follows it too. */
int cc_pgconn_query_timeout(struct cc_pgconn *pc, int timeout_ms, const char *sql, int nparams,
			    const char *const *params, cc_pg_result_cb cb, void *arg);

/* Drop the connection now (as if it failed) and reconnect after backoff. */
void cc_pgconn_reset(struct cc_pgconn *pc, const char *reason);

/* The lws protocol that adopted libpq sockets are bound to; add it to the vhost's list. */
extern const struct lws_protocols cc_pgconn_protocol;

#endif
