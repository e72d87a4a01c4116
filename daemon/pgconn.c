#include "pgconn.h"
#include "backoff.h"
#include "log.h"
#include "util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct query {
	struct query *next;
	char *sql;
	int nparams;
	char **params;
	cc_pg_result_cb cb;
	void *arg;
	int timeout_ms;             /* statement timeout in force when this runs */
};

struct cc_pgconn {
	struct lws_vhost *vh;
	struct lws_context *ctx;
	char *name;
	char *conninfo;
	struct cc_pgconn_opts opts;
	struct cc_pgconn_events ev;
	void *user;

	PGconn *conn;
	enum cc_pg_state state;
	struct lws *wsi;            /* watches a dup of watched_fd */
	int watched_fd;

	struct query *head, *tail;
	int queued_timeout_ms;      /* statement_timeout in force after the last queued query */
	bool in_flight;
	bool flushing;              /* PQflush left data in libpq's buffer */
	PGresult *res;              /* result being gathered for the query in flight */

	lws_sorted_usec_list_t deadline_sul;
	lws_sorted_usec_list_t retry_sul;
	lws_sorted_usec_list_t write_sul;
	bool deadline_is_connect;
	struct cc_backoff backoff;
	char last_error[256];
};

const char *cc_pg_state_name(enum cc_pg_state s)
{
	switch (s) {
	case CC_PG_IDLE: return "idle";
	case CC_PG_CONNECTING: return "connecting";
	case CC_PG_READY: return "ok";
	case CC_PG_BACKOFF: return "backoff";
	}
	return "?";
}

static void fail(struct cc_pgconn *pc, const char *reason);
static void pump(struct cc_pgconn *pc);
static void start_connect(struct cc_pgconn *pc);

/* libpq messages end in newlines and sometimes span lines; people see them on one line. */
static void tidy_message(const char *in, char *out, size_t len)
{
	size_t j = 0;

	for (size_t i = 0; in && in[i] && j + 1 < len; i++) {
		char c = in[i];
		if (c == '\n' || c == '\r' || c == '\t') {
			if (in[i + 1] == '\0')
				break;
			if (j >= 2 && out[j - 1] == ' ' && out[j - 2] == ';')
				continue;
			if (j + 3 >= len)
				break;
			out[j++] = ';';
			out[j++] = ' ';
			continue;
		}
		out[j++] = c;
	}
	while (j && (out[j - 1] == ' ' || out[j - 1] == ';'))
		j--;
	out[j] = '\0';
	if (!j)
		cc_strlcpy(out, "unknown error", len);
}

static void cancel_deadline(struct cc_pgconn *pc) { lws_sul_cancel(&pc->deadline_sul); }

static void deadline_fired(lws_sorted_usec_list_t *sul)
{
	struct cc_pgconn *pc = lws_container_of(sul, struct cc_pgconn, deadline_sul);
	char msg[128];

	if (pc->deadline_is_connect)
		snprintf(msg, sizeof msg, "no answer to connect within %d s",
			 pc->opts.connect_timeout_ms / 1000);
	else
		snprintf(msg, sizeof msg, "query got no answer within %d s",
			 (pc->opts.statement_timeout_ms + pc->opts.query_grace_ms) / 1000);
	fail(pc, msg);
}

static void arm_deadline(struct cc_pgconn *pc, bool connect, int ms)
{
	pc->deadline_is_connect = connect;
	lws_sul_schedule(pc->ctx, 0, &pc->deadline_sul, deadline_fired, (lws_usec_t)ms * 1000);
}

static void unwatch(struct cc_pgconn *pc)
{
	if (!pc->wsi)
		return;
	cc_loop_release(pc->wsi);
	pc->wsi = NULL;
	pc->watched_fd = -1;
}

static int watch(struct cc_pgconn *pc)
{
	int fd = PQsocket(pc->conn);
	int dupfd;

	if (fd < 0)
		return -1;
	if (pc->wsi && fd == pc->watched_fd)
		return 0;
	unwatch(pc);
	dupfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dupfd < 0)
		return -1;
	pc->wsi = cc_loop_adopt_fd(pc->vh, cc_pgconn_protocol.name, dupfd, pc);
	if (!pc->wsi)
		return -1;
	pc->watched_fd = fd;
	return 0;
}

static void write_fired(lws_sorted_usec_list_t *sul)
{
	struct cc_pgconn *pc = lws_container_of(sul, struct cc_pgconn, write_sul);

	if (pc->wsi)
		lws_callback_on_writable(pc->wsi);
}

/* lws 4.1 clears a raw file's POLLOUT after its writable callback returns, so a request made
 * inside that callback would be lost: ask from a timer instead, which runs right after. */
static void want_write(struct cc_pgconn *pc)
{
	lws_sul_schedule(pc->ctx, 0, &pc->write_sul, write_fired, 1);
}

static void free_query(struct query *q)
{
	for (int i = 0; i < q->nparams; i++)
		free(q->params[i]);
	free(q->params);
	free(q->sql);
	free(q);
}

static void retry_fired(lws_sorted_usec_list_t *sul)
{
	struct cc_pgconn *pc = lws_container_of(sul, struct cc_pgconn, retry_sul);
	start_connect(pc);
}

static void fail(struct cc_pgconn *pc, const char *reason)
{
	struct query *q, *next;
	int64_t delay;

	if (pc->state == CC_PG_BACKOFF || pc->state == CC_PG_IDLE)
		return;
	tidy_message(reason, pc->last_error, sizeof pc->last_error);
	unwatch(pc);
	cancel_deadline(pc);
	if (pc->res) {
		PQclear(pc->res);
		pc->res = NULL;
	}
	if (pc->conn) {
		PQfinish(pc->conn);
		pc->conn = NULL;
	}
	pc->state = CC_PG_BACKOFF;
	pc->in_flight = false;
	pc->flushing = false;
	delay = cc_backoff_next(&pc->backoff);
	lws_sul_schedule(pc->ctx, 0, &pc->retry_sul, retry_fired, (lws_usec_t)delay * 1000);

	/* Answer every queued query before telling the owner, so it sees a clean slate. */
	q = pc->head;
	pc->head = pc->tail = NULL;
	for (; q; q = next) {
		next = q->next;
		if (q->cb)
			q->cb(pc, NULL, pc->last_error, q->arg);
		free_query(q);
	}
	if (pc->ev.on_failure)
		pc->ev.on_failure(pc, pc->last_error, delay, pc->user);
}

static void setup_done(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	(void)res;
	(void)arg;
	if (err)
		cc_warn("%s: could not set statement_timeout: %s", pc->name, err);
}

static void connected(struct cc_pgconn *pc)
{
	cancel_deadline(pc);
	if (PQsetnonblocking(pc->conn, 1)) {
		fail(pc, PQerrorMessage(pc->conn));
		return;
	}
	pc->state = CC_PG_READY;
	pc->last_error[0] = '\0';
	pc->queued_timeout_ms = 0;
	cc_backoff_reset(&pc->backoff);
	cc_debug("%s: connected", pc->name);
	/* commcell never writes to a partner: make that the server's rule too, so a query feed
	 * that tries to is refused rather than trusted */
	if (pc->opts.read_only)
		cc_pgconn_query(pc, "SET default_transaction_read_only = on", 0, NULL, setup_done,
				NULL);
	if (pc->ev.on_ready)
		pc->ev.on_ready(pc, pc->user);
}

static void continue_connect(struct cc_pgconn *pc)
{
	switch (PQconnectPoll(pc->conn)) {
	case PGRES_POLLING_FAILED:
		fail(pc, PQerrorMessage(pc->conn));
		return;
	case PGRES_POLLING_OK:
		/* the socket can change while libpq tries each address; keep watching the last */
		if (watch(pc)) {
			fail(pc, "cannot watch the connection's socket");
			return;
		}
		connected(pc);
		return;
	case PGRES_POLLING_WRITING:
		if (watch(pc)) {
			fail(pc, "cannot watch the connection's socket");
			return;
		}
		want_write(pc);
		return;
	case PGRES_POLLING_READING:
	default:
		if (watch(pc))
			fail(pc, "cannot watch the connection's socket");
		return;
	}
}

/* libpq prints server notices (and a FATAL that arrives while idle) to stderr by default;
 * route them through our log so every line has a time, a level and the connection's name. */
static void notice(void *arg, const char *message)
{
	struct cc_pgconn *pc = arg;
	char tidy[512];

	tidy_message(message, tidy, sizeof tidy);
	cc_warn("%s: server says: %s", pc->name, tidy);
}

static void start_connect(struct cc_pgconn *pc)
{
	/* Keywords before dbname are defaults the conninfo may override; none come after it. */
	const char *keys[] = { "keepalives", "keepalives_idle", "keepalives_interval",
			       "keepalives_count", "fallback_application_name", "dbname", NULL };
	const char *vals[] = { "1", "30", "10", "3", "commcelld", pc->conninfo, NULL };

	pc->state = CC_PG_CONNECTING;
	pc->conn = PQconnectStartParams(keys, vals, 1);
	if (!pc->conn) {
		fail(pc, "out of memory starting a connection");
		return;
	}
	if (PQstatus(pc->conn) == CONNECTION_BAD) {
		fail(pc, PQerrorMessage(pc->conn));
		return;
	}
	PQsetNoticeProcessor(pc->conn, notice, pc);
	arm_deadline(pc, true, pc->opts.connect_timeout_ms);
	continue_connect(pc);
}

static bool is_error(PGresult *r)
{
	ExecStatusType s = PQresultStatus(r);
	return s == PGRES_FATAL_ERROR || s == PGRES_BAD_RESPONSE || s == PGRES_NONFATAL_ERROR;
}

static void complete_query(struct cc_pgconn *pc)
{
	struct query *q = pc->head;
	PGresult *res = pc->res;
	char err[512];

	pc->res = NULL;
	pc->in_flight = false;
	cancel_deadline(pc);
	pc->head = q->next;
	if (!pc->head)
		pc->tail = NULL;
	if (!res) {
		if (q->cb)
			q->cb(pc, NULL, "query returned no result", q->arg);
	} else if (is_error(res)) {
		tidy_message(PQresultErrorMessage(res), err, sizeof err);
		if (q->cb)
			q->cb(pc, res, err, q->arg);
	} else if (q->cb) {
		q->cb(pc, res, NULL, q->arg);
	}
	if (res)
		PQclear(res);
	free_query(q);
}

static void deliver_notifies(struct cc_pgconn *pc)
{
	PGnotify *n;

	while (pc->state == CC_PG_READY && (n = PQnotifies(pc->conn))) {
		if (pc->ev.on_notify)
			pc->ev.on_notify(pc, n->relname, n->extra, pc->user);
		PQfreemem(n);
	}
}

static void collect_results(struct cc_pgconn *pc)
{
	while (pc->state == CC_PG_READY && pc->in_flight && !PQisBusy(pc->conn)) {
		PGresult *r = PQgetResult(pc->conn);
		if (r) {
			/* several statements give several results: keep the first error, else the last */
			if (pc->res && is_error(pc->res)) {
				PQclear(r);
			} else {
				if (pc->res)
					PQclear(pc->res);
				pc->res = r;
			}
			continue;
		}
		complete_query(pc);
		pump(pc);
	}
}

static void pump(struct cc_pgconn *pc)
{
	struct query *q = pc->head;
	int r;

	if (pc->state != CC_PG_READY || pc->in_flight || !q)
		return;
	if (!PQsendQueryParams(pc->conn, q->sql, q->nparams, NULL, (const char *const *)q->params,
			       NULL, NULL, 0)) {
		fail(pc, PQerrorMessage(pc->conn));
		return;
	}
	pc->in_flight = true;
	arm_deadline(pc, false, (q->timeout_ms ? q->timeout_ms : pc->opts.statement_timeout_ms) +
					pc->opts.query_grace_ms);
	r = PQflush(pc->conn);
	if (r < 0) {
		fail(pc, PQerrorMessage(pc->conn));
		return;
	}
	pc->flushing = r == 1;
	if (pc->flushing)
		want_write(pc);
}

static void on_io(struct cc_pgconn *pc, bool readable, bool writable)
{
	if (pc->state == CC_PG_CONNECTING) {
		continue_connect(pc);
		return;
	}
	if (pc->state != CC_PG_READY)
		return;
	if (writable && pc->flushing) {
		int r = PQflush(pc->conn);
		if (r < 0) {
			fail(pc, PQerrorMessage(pc->conn));
			return;
		}
		pc->flushing = r == 1;
		if (pc->flushing)
			want_write(pc);
	}
	if (readable) {
		if (!PQconsumeInput(pc->conn)) {
			fail(pc, PQerrorMessage(pc->conn));
			return;
		}
		collect_results(pc);
		deliver_notifies(pc);
	}
}

static int pg_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
		       size_t len)
{
	struct cc_pgconn *pc = lws_get_opaque_user_data(wsi);

	(void)user;
	(void)in;
	(void)len;
	switch (reason) {
	case LWS_CALLBACK_RAW_RX_FILE:
		if (!pc)
			return -1;
		on_io(pc, true, false);
		return 0;
	case LWS_CALLBACK_RAW_WRITEABLE_FILE:
		if (!pc)
			return -1;
		on_io(pc, false, true);
		return 0;
	case LWS_CALLBACK_RAW_CLOSE_FILE:
		/* lws closed our watch (hang-up): let libpq tell us what happened */
		if (pc && pc->wsi == wsi) {
			pc->wsi = NULL;
			pc->watched_fd = -1;
			if (pc->state == CC_PG_READY && PQconsumeInput(pc->conn))
				fail(pc, "connection closed by the server");
			else if (pc->state == CC_PG_READY || pc->state == CC_PG_CONNECTING)
				fail(pc, pc->conn ? PQerrorMessage(pc->conn) : "connection closed");
		}
		return 0;
	default:
		return 0;
	}
}

const struct lws_protocols cc_pgconn_protocol = {
	"cc-pgconn", pg_callback, 0, 0, 0, NULL, 0,
};

struct cc_pgconn *cc_pgconn_create(const struct cc_loop *loop, const char *name, const char *conninfo,
				   const struct cc_pgconn_opts *opts,
				   const struct cc_pgconn_events *ev, void *user)
{
	struct cc_pgconn *pc = cc_xcalloc(1, sizeof *pc);

	pc->vh = loop->vh;
	pc->ctx = loop->ctx;
	pc->name = cc_xstrdup(name);
	pc->conninfo = cc_xstrdup(conninfo);
	pc->opts = *opts;
	if (pc->opts.connect_timeout_ms <= 0)
		pc->opts.connect_timeout_ms = 10000;
	if (pc->opts.query_grace_ms <= 0)
		pc->opts.query_grace_ms = 2000;
	if (pc->opts.backoff_base_ms <= 0)
		pc->opts.backoff_base_ms = 500;
	if (pc->opts.backoff_max_ms <= 0)
		pc->opts.backoff_max_ms = 30000;
	pc->ev = *ev;
	pc->user = user;
	pc->watched_fd = -1;
	pc->state = CC_PG_IDLE;
	cc_backoff_init(&pc->backoff, pc->opts.backoff_base_ms, pc->opts.backoff_max_ms,
			(uint64_t)(uintptr_t)pc ^ (uint64_t)cc_mono_ms());
	return pc;
}

void cc_pgconn_start(struct cc_pgconn *pc)
{
	if (pc->state == CC_PG_IDLE)
		start_connect(pc);
}

int cc_pgconn_query(struct cc_pgconn *pc, const char *sql, int nparams, const char *const *params,
		    cc_pg_result_cb cb, void *arg)
{
	return cc_pgconn_query_timeout(pc, 0, sql, nparams, params, cb, arg);
}

static void enqueue(struct cc_pgconn *pc, struct query *q)
{
	if (pc->tail)
		pc->tail->next = q;
	else
		pc->head = q;
	pc->tail = q;
}

int cc_pgconn_query_timeout(struct cc_pgconn *pc, int timeout_ms, const char *sql, int nparams,
			    const char *const *params, cc_pg_result_cb cb, void *arg)
{
	struct query *q;
	int want = timeout_ms > 0 ? timeout_ms : pc->opts.statement_timeout_ms;

	if (pc->state != CC_PG_READY)
		return -1;
	/* queries queue in order, so a SET queued now is in force when this one runs */
	if (want > 0 && want != pc->queued_timeout_ms) {
		q = cc_xcalloc(1, sizeof *q);
		q->sql = cc_xasprintf("SET statement_timeout = %d", want);
		q->params = cc_xcalloc(1, sizeof(char *));
		q->cb = setup_done;
		enqueue(pc, q);
		pc->queued_timeout_ms = want;
	}
	q = cc_xcalloc(1, sizeof *q);
	q->sql = cc_xstrdup(sql);
	q->nparams = nparams;
	q->params = cc_xcalloc((size_t)(nparams > 0 ? nparams : 1), sizeof(char *));
	for (int i = 0; i < nparams; i++)
		q->params[i] = params[i] ? cc_xstrdup(params[i]) : NULL;
	q->cb = cb;
	q->arg = arg;
	q->timeout_ms = want;
	enqueue(pc, q);
	pump(pc);
	return 0;
}

void cc_pgconn_reset(struct cc_pgconn *pc, const char *reason) { fail(pc, reason); }

enum cc_pg_state cc_pgconn_state(const struct cc_pgconn *pc) { return pc->state; }
const char *cc_pgconn_name(const struct cc_pgconn *pc) { return pc->name; }
const char *cc_pgconn_last_error(const struct cc_pgconn *pc) { return pc->last_error; }
bool cc_pgconn_busy(const struct cc_pgconn *pc) { return pc->in_flight || pc->head; }

void cc_pgconn_destroy(struct cc_pgconn *pc)
{
	struct query *q, *next;

	if (!pc)
		return;
	lws_sul_cancel(&pc->deadline_sul);
	lws_sul_cancel(&pc->retry_sul);
	lws_sul_cancel(&pc->write_sul);
	unwatch(pc);
	if (pc->res)
		PQclear(pc->res);
	if (pc->conn)
		PQfinish(pc->conn);
	for (q = pc->head; q; q = next) {
		next = q->next;
		free_query(q);
	}
	free(pc->name);
	free(pc->conninfo);
	free(pc);
}
