#include "backfill.h"
#include "feed.h"
#include "log.h"
#include "utf8.h"
#include "util.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* How long a partner rests after a round before its holes are looked for again: new holes come
 * only from outages of this instance or of the partner, and a round costs little when there are
 * none. */
#define RECHECK_MS (15 * 60 * 1000)
/* The hub could not be asked (down, or refused): try again after this long. */
#define HUB_RETRY_MS 5000
/* A chunk the hub refused to record this many times is given up: its feed is marked failed. */
#define RECORD_ATTEMPTS 3

enum task_state { T_WAITING, T_RUNNING, T_DONE, T_FAILED };

static const char *const task_state_names[] = { "waiting", "running", "done", "failed" };

/* One query feed's backfill. */
struct task {
	struct cc_feed_def def;     /* own copy of what the work needs */
	enum task_state state;
	uint64_t filled;
	int64_t remaining;          /* -1: not asked yet */
	char *error;
};

struct ticket;

/* One partner's backfill: its feeds, one after the other. */
struct job {
	struct cc_backfill *bf;
	char *partner;
	char *conninfo;
	struct task *tasks;
	size_t n_tasks, cur;
	struct cc_pgconn *pc;       /* the backfill's own connection; NULL between rounds */
	struct ticket *pending;     /* the hub query in flight, if any */

	int64_t inst[CC_BACKFILL_CHUNK];
	size_t n_inst, next;
	bool requested;             /* the chunk is requested instants, not grid ones */
	bool evaluating;            /* a partner query is in flight */
	int64_t chunk_started_ms;
	json_t *rows;
	int record_attempts;
	uint64_t round_queries, round_rows;
	int64_t round_started_ms;
	lws_sorted_usec_list_t sul;
};

/* A hub query's way back to its job, which may be gone by the time the answer comes. */
struct ticket {
	struct ticket *prev, *next;
	struct cc_backfill *bf;
	struct job *job;            /* NULL once the job is gone */
};

struct cc_backfill {
	struct cc_loop loop;
	char *instance;
	struct cc_pgconn *hub;
	int days;
	struct job **jobs;
	size_t n_jobs;
	struct ticket *tickets;
	uint64_t queries, rows, failures;
};

static void job_step(struct job *j);
static void eval_next(struct job *j);
static void record_chunk(struct job *j);

static char *dup_or_null(const char *s) { return s ? cc_xstrdup(s) : NULL; }

static struct ticket *ticket_take(struct job *j)
{
	struct ticket *t = cc_xcalloc(1, sizeof *t);

	t->bf = j->bf;
	t->job = j;
	t->next = j->bf->tickets;
	if (t->next)
		t->next->prev = t;
	j->bf->tickets = t;
	j->pending = t;
	return t;
}

/* Returns the job the ticket was for, or NULL when it is gone; frees the ticket. */
static struct job *ticket_redeem(struct ticket *t)
{
	struct job *j = t->job;

	if (t->prev)
		t->prev->next = t->next;
	else
		t->bf->tickets = t->next;
	if (t->next)
		t->next->prev = t->prev;
	if (j)
		j->pending = NULL;
	free(t);
	return j;
}

static void schedule(struct job *j, int64_t ms, void (*fn)(lws_sorted_usec_list_t *))
{
	lws_sul_schedule(j->bf->loop.ctx, 0, &j->sul, fn, (lws_usec_t)ms * LWS_US_PER_MS);
}

static void step_fired(lws_sorted_usec_list_t *sul)
{
	job_step(lws_container_of(sul, struct job, sul));
}

static void record_fired(lws_sorted_usec_list_t *sul)
{
	record_chunk(lws_container_of(sul, struct job, sul));
}

static void drop_chunk(struct job *j)
{
	json_decref(j->rows);
	j->rows = NULL;
	j->n_inst = j->next = 0;
	j->record_attempts = 0;
}

static void close_conn(struct job *j)
{
	cc_pgconn_destroy(j->pc);
	j->pc = NULL;
	j->evaluating = false;
}

static void task_failed(struct job *j, struct task *t, const char *why)
{
	cc_warn("backfill of %s %s stopped until the next round: %s", j->partner, t->def.metric,
		why);
	free(t->error);
	/* a partner's message may carry any bytes; /api/feeds is JSON */
	t->error = cc_xmalloc(strlen(why) + 1);
	cc_utf8_copy(t->error, strlen(why) + 1, why);
	t->state = T_FAILED;
	j->bf->failures++;
	drop_chunk(j);
	j->cur++;
}

/* ---- the partner side: evaluating the chunk's instants one at a time ---------------------- */

static void eval_cb(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	struct job *j = arg;
	struct task *t = &j->tasks[j->cur];
	char at[CC_FEED_INSTANT_LEN], num[40], msg[320];
	int nrows;

	(void)pc;
	j->evaluating = false;
	if (err && !res)
		return;  /* the connection went: on_ready resumes at the same instant */
	if (err) {
		task_failed(j, t, cc_feed_explain_error(&t->def, res, err, msg, sizeof msg));
		job_step(j);
		return;
	}
	if (PQnfields(res) != 2) {
		snprintf(msg, sizeof msg, "query returned %d columns; a query feed must return "
			 "(site text, value double precision)", PQnfields(res));
		task_failed(j, t, msg);
		job_step(j);
		return;
	}
	cc_feed_instant(j->inst[j->next], at, sizeof at);
	nrows = PQntuples(res);
	for (int i = 0; i < nrows; i++) {
		const char *text = PQgetisnull(res, i, 1) ? NULL : PQgetvalue(res, i, 1);
		char *end;
		double v = text ? strtod(text, &end) : NAN;

		/* what live polling would quarantine is left out: no value for that instant */
		if (!text || end == text || *end || !isfinite(v))
			continue;
		snprintf(num, sizeof num, "%.17g", v);
		json_array_append_new(j->rows, json_pack("{s:s,s:s,s:s}", "site",
							 PQgetisnull(res, i, 0) ? ""
										: PQgetvalue(res, i, 0),
							 "value", num, "at", at));
	}
	j->bf->queries++;
	j->round_queries++;
	t->filled++;
	if (t->remaining > 0)
		t->remaining--;
	j->next++;
	eval_next(j);
}

static void eval_next(struct job *j)
{
	struct task *t = &j->tasks[j->cur];

	if (j->next >= j->n_inst) {
		record_chunk(j);
		return;
	}
	if (j->evaluating || !j->pc || cc_pgconn_state(j->pc) != CC_PG_READY)
		return;  /* on_ready carries on */
	if (!cc_feed_run_query(j->pc, &t->def, j->inst[j->next], eval_cb, j))
		j->evaluating = true;
}

static void on_ready(struct cc_pgconn *pc, void *user)
{
	struct job *j = user;

	(void)pc;
	j->evaluating = false;
	if (j->cur < j->n_tasks && j->n_inst && j->next < j->n_inst && !j->pending)
		eval_next(j);
}

static void on_failure(struct cc_pgconn *pc, const char *reason, int64_t retry_ms, void *user)
{
	struct job *j = user;

	(void)pc;
	j->evaluating = false;
	cc_info("backfill of %s: connection lost (%s); retrying in %lld ms", j->partner, reason,
		(long long)retry_ms);
}

static void open_conn(struct job *j)
{
	static const struct cc_pgconn_events ev = { on_ready, on_failure, NULL };
	struct cc_pgconn_opts opts = { 0 };
	char name[96];

	opts.statement_timeout_ms = 5000;
	opts.read_only = true;
	snprintf(name, sizeof name, "backfill %s", j->partner);
	j->pc = cc_pgconn_create(&j->bf->loop, name, j->conninfo, &opts, &ev, j);
	cc_pgconn_start(j->pc);
}

/* ---- the hub side: which instants, and recording what they gave ------------------------- */

static void record_cb(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	struct job *j = ticket_redeem(arg);
	struct task *t;
	int64_t written = 0;

	(void)pc;
	if (!j)
		return;
	t = &j->tasks[j->cur];
	if (err) {
		if (++j->record_attempts >= RECORD_ATTEMPTS) {
			task_failed(j, t, err);
			job_step(j);
		} else {
			cc_warn("backfill of %s %s: cannot record to the hub (%s); trying again",
				j->partner, t->def.metric, err);
			schedule(j, HUB_RETRY_MS, record_fired);
		}
		return;
	}
	if (PQntuples(res) == 1)
		cc_parse_int64(PQgetvalue(res, 0, 0), &written);
	j->bf->rows += (uint64_t)written;
	j->round_rows += (uint64_t)written;
	drop_chunk(j);
	job_step(j);
}

static void record_chunk(struct job *j)
{
	struct task *t = &j->tasks[j->cur];
	json_t *instants = json_array();
	char feed[16], started[CC_FEED_INSTANT_LEN], at[CC_FEED_INSTANT_LEN];
	char *inst_text, *rows_text;
	const char *params[8];
	struct ticket *tk;

	for (size_t i = 0; i < j->n_inst; i++) {
		cc_feed_instant(j->inst[i], at, sizeof at);
		json_array_append_new(instants, json_string(at));
	}
	snprintf(feed, sizeof feed, "%d", t->def.id);
	cc_format_iso(j->chunk_started_ms, started, sizeof started);
	inst_text = json_dumps(instants, JSON_COMPACT);
	rows_text = json_dumps(j->rows, JSON_COMPACT);
	json_decref(instants);
	params[0] = feed;
	params[1] = j->partner;
	params[2] = t->def.metric;
	params[3] = started;
	params[4] = j->requested ? "true" : "false";
	params[5] = inst_text ? inst_text : "[]";
	params[6] = rows_text ? rows_text : "[]";
	params[7] = j->bf->instance;
	tk = ticket_take(j);
	if (!j->bf->hub ||
	    cc_pgconn_query(j->bf->hub, "SELECT commcell.backfill_record($1::int, $2, $3, "
				      "$4::timestamptz, $5::boolean, $6::jsonb, $7::jsonb, $8)",
			    8, params, record_cb, tk)) {
		ticket_redeem(tk);
		schedule(j, HUB_RETRY_MS, record_fired);
	}
	free(inst_text);
	free(rows_text);
}

static void ask_cb(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	struct job *j = ticket_redeem(arg);
	struct task *t;
	int n;

	(void)pc;
	if (!j)
		return;
	t = &j->tasks[j->cur];
	if (err) {
		cc_warn("backfill of %s %s: cannot ask the hub for instants: %s", j->partner,
			t->def.metric, err);
		schedule(j, HUB_RETRY_MS, step_fired);
		return;
	}
	n = PQntuples(res);
	if (!n) {
		if (t->state != T_DONE)
			cc_info("backfill of %s %s: done (%" PRIu64 " instants evaluated)", j->partner,
				t->def.metric, t->filled);
		t->state = T_DONE;
		t->remaining = 0;
		free(t->error);
		t->error = NULL;
		j->cur++;
		job_step(j);
		return;
	}
	j->n_inst = 0;
	for (int i = 0; i < n && i < CC_BACKFILL_CHUNK; i++)
		if (cc_parse_int64(PQgetvalue(res, i, 0), &j->inst[j->n_inst]))
			j->n_inst++;
	j->requested = !strcmp(PQgetvalue(res, 0, 1), "t");
	cc_parse_int64(PQgetvalue(res, 0, 2), &t->remaining);
	j->next = 0;
	j->record_attempts = 0;
	j->chunk_started_ms = cc_now_ms();
	j->rows = json_array();
	t->state = T_RUNNING;
	free(t->error);
	t->error = NULL;
	if (!j->pc)
		open_conn(j);
	eval_next(j);
}

static void rest_fired(lws_sorted_usec_list_t *sul)
{
	struct job *j = lws_container_of(sul, struct job, sul);

	close_conn(j);
	schedule(j, RECHECK_MS, step_fired);
}

static void round_over(struct job *j)
{
	if (j->round_queries)
		cc_info("backfill of %s: round over: %" PRIu64 " as-of queries, %" PRIu64 " history "
			"rows in %.1f s", j->partner, j->round_queries, j->round_rows,
			(double)(cc_now_ms() - j->round_started_ms) / 1000.0);
	j->cur = 0;
	j->round_queries = j->round_rows = 0;
	/* not from here: this may run inside a callback of the very connection to close */
	schedule(j, 0, rest_fired);
}

static void job_step(struct job *j)
{
	struct task *t;
	struct ticket *tk;
	char days[16], gap[32], limit[16];
	const char *params[5];

	if (j->cur >= j->n_tasks) {
		round_over(j);
		return;
	}
	if (j->cur == 0 && !j->round_queries && !j->n_inst)
		j->round_started_ms = cc_now_ms();
	t = &j->tasks[j->cur];
	snprintf(days, sizeof days, "%d", j->bf->days);
	/* a hole is a stretch live polling should have filled several times over */
	snprintf(gap, sizeof gap, "%lld",
		 (long long)(3LL * t->def.poll_interval_ms > CC_BACKFILL_GRID_MS
				     ? 3LL * t->def.poll_interval_ms
				     : CC_BACKFILL_GRID_MS));
	snprintf(limit, sizeof limit, "%d", CC_BACKFILL_CHUNK);
	params[0] = j->partner;
	params[1] = t->def.metric;
	params[2] = days;
	params[3] = gap;
	params[4] = limit;
	tk = ticket_take(j);
	if (!j->bf->hub ||
	    cc_pgconn_query(j->bf->hub, "SELECT at_ms, requested, remaining FROM "
				      "commcell.backfill_instants($1, $2, $3::int, "
				      "make_interval(secs => $4::bigint / 1000.0), $5::int)",
			    5, params, ask_cb, tk)) {
		ticket_redeem(tk);
		schedule(j, HUB_RETRY_MS, step_fired);
	}
}

/* ---- jobs ------------------------------------------------------------------------------- */

static struct job *job_create(struct cc_backfill *bf, const struct cc_partner_def *p,
			      const struct cc_catalog *cat)
{
	struct job *j = cc_xcalloc(1, sizeof *j);

	j->bf = bf;
	j->partner = cc_xstrdup(p->name);
	j->conninfo = cc_xstrdup(p->conninfo);
	for (size_t i = 0; i < cat->n_feeds; i++) {
		const struct cc_feed_def *d = &cat->feeds[i];
		struct task *t;

		if (d->kind != CC_FEED_QUERY || !d->as_of || strcmp(d->partner, p->name))
			continue;
		j->tasks = cc_xrealloc(j->tasks, (j->n_tasks + 1) * sizeof *j->tasks);
		t = &j->tasks[j->n_tasks++];
		memset(t, 0, sizeof *t);
		t->def = *d;
		t->def.partner = cc_xstrdup(d->partner);
		t->def.relation = NULL;
		t->def.channel = NULL;
		t->def.metric = dup_or_null(d->metric);
		t->def.query = dup_or_null(d->query);
		t->remaining = -1;
	}
	return j;
}

static void job_destroy(struct job *j)
{
	if (!j)
		return;
	lws_sul_cancel(&j->sul);
	if (j->pending)
		j->pending->job = NULL;
	close_conn(j);
	json_decref(j->rows);
	for (size_t i = 0; i < j->n_tasks; i++) {
		free(j->tasks[i].def.partner);
		free(j->tasks[i].def.metric);
		free(j->tasks[i].def.query);
		free(j->tasks[i].error);
	}
	free(j->tasks);
	free(j->partner);
	free(j->conninfo);
	free(j);
}

/* Would the job built from p and cat do the same work? */
static bool job_same(const struct job *j, const struct cc_partner_def *p,
		     const struct cc_catalog *cat)
{
	size_t n = 0;

	if (strcmp(j->partner, p->name) || strcmp(j->conninfo, p->conninfo))
		return false;
	for (size_t i = 0; i < cat->n_feeds; i++) {
		const struct cc_feed_def *d = &cat->feeds[i];
		const struct cc_feed_def *o;

		if (d->kind != CC_FEED_QUERY || !d->as_of || strcmp(d->partner, p->name))
			continue;
		if (n >= j->n_tasks)
			return false;
		o = &j->tasks[n++].def;
		if (o->id != d->id || strcmp(o->metric, d->metric) || strcmp(o->query, d->query) ||
		    o->poll_interval_ms != d->poll_interval_ms ||
		    o->statement_timeout_ms != d->statement_timeout_ms)
			return false;
	}
	return n == j->n_tasks;
}

struct cc_backfill *cc_backfill_create(const struct cc_loop *loop, const char *instance)
{
	struct cc_backfill *bf = cc_xcalloc(1, sizeof *bf);

	bf->loop = *loop;
	bf->instance = cc_xstrdup(instance);
	return bf;
}

void cc_backfill_set_hub(struct cc_backfill *bf, struct cc_pgconn *hub) { bf->hub = hub; }

void cc_backfill_stop(struct cc_backfill *bf)
{
	for (size_t i = 0; i < bf->n_jobs; i++)
		job_destroy(bf->jobs[i]);
	free(bf->jobs);
	bf->jobs = NULL;
	bf->n_jobs = 0;
}

void cc_backfill_start(struct cc_backfill *bf, const struct cc_catalog *cat, int days)
{
	struct job **next = NULL;
	size_t n = 0;

	if (days != bf->days)
		cc_backfill_stop(bf);  /* a different window: every plan changes */
	bf->days = days;
	for (size_t i = 0; days > 0 && i < cat->n_partners; i++) {
		const struct cc_partner_def *p = &cat->partners[i];
		struct job *j = NULL;

		for (size_t k = 0; k < bf->n_jobs; k++) {
			if (bf->jobs[k] && job_same(bf->jobs[k], p, cat)) {
				j = bf->jobs[k];
				bf->jobs[k] = NULL;
				break;
			}
		}
		if (!j) {
			j = job_create(bf, p, cat);
			if (!j->n_tasks) {
				job_destroy(j);
				continue;
			}
			job_step(j);
		}
		next = cc_xrealloc(next, (n + 1) * sizeof *next);
		next[n++] = j;
	}
	cc_backfill_stop(bf);
	bf->jobs = next;
	bf->n_jobs = n;
}

json_t *cc_backfill_feed_json(const struct cc_backfill *bf, int feed_id)
{
	for (size_t i = 0; i < bf->n_jobs; i++) {
		for (size_t k = 0; k < bf->jobs[i]->n_tasks; k++) {
			const struct task *t = &bf->jobs[i]->tasks[k];
			if (t->def.id != feed_id)
				continue;
			return json_pack("{s:s,s:I,s:o,s:o}", "state", task_state_names[t->state],
					 "filled", (json_int_t)t->filled, "remaining",
					 t->remaining < 0 ? json_null()
							  : json_integer((json_int_t)t->remaining),
					 "error", t->error ? json_string(t->error) : json_null());
		}
	}
	return NULL;
}

uint64_t cc_backfill_queries(const struct cc_backfill *bf) { return bf->queries; }
uint64_t cc_backfill_rows(const struct cc_backfill *bf) { return bf->rows; }
uint64_t cc_backfill_failures(const struct cc_backfill *bf) { return bf->failures; }

void cc_backfill_destroy(struct cc_backfill *bf)
{
	struct ticket *t, *next;

	if (!bf)
		return;
	cc_backfill_stop(bf);
	/* hub queries still queued never call back once the hub connection is gone */
	for (t = bf->tickets; t; t = next) {
		next = t->next;
		free(t);
	}
	free(bf->instance);
	free(bf);
}
