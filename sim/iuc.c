/*
 * NHS 111. Calls arrive CAL_111_CALLS_PER_TYPE1 times the trust's type 1 attendances a day,
 * shaped by hour and weekday (calibration.h), a quarter more in winter. Each caller waits in the
 * queue for an exponential time whose mean grows with the hour's load and with winter pressure,
 * and hangs up after an exponential patience of 10 minutes if not answered first. With a mean
 * wait of 25 s this gives about 1-2% abandoned after 30 s and about 90% answered within 60 s, the
 * NHS 111 minimum data set levels of 2014-15; at full winter pressure about 4% and 75-80%
 * (December 2015: 4.4% and 86%).
 *
 * CAL_111_CALLBACK_SHARE of answered calls become a case for a clinical call-back (out of hours
 * GP); call-backs wait longer in winter.
 */
#include "iuc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "calibration.h"
#include "model.h"

enum disposition { DISP_NONE, DISP_AMBULANCE, DISP_ED, DISP_PRIMARY, DISP_CALLBACK, DISP_SELF, DISP_OTHER };
static const char *const disposition_name[] = {NULL, "ambulance", "emergency_department", "primary_care",
					       "clinical_callback", "self_care", "other"};

struct call {
	int64_t id;
	enum disposition disposition;
	bool dirty, done;
	int64_t connected, answered, abandoned, ended;
};

struct ooh_case {
	int64_t id, call_id;
	int priority; /* 0 urgent, 1 less urgent, 2 routine */
	bool dirty, done;
	int64_t created, called_back, closed;
};

struct iuc {
	struct ptrvec calls, cases;
	int64_t next_call, next_case;
	struct rows r_call, r_case;
};

static const char *const priority_name[] = {"urgent", "less_urgent", "routine"};

static const char *const call_cols[] = {"id", "connected_at", "answered_at", "abandoned_at", "ended_at",
					"disposition"};
static const char *const call_time[] = {"connected_at", "answered_at", "abandoned_at", "ended_at"};
static const struct table_def t_call = {"ops.call", call_cols, 6, "(id) DO UPDATE", call_time, 4};
static const char *const case_cols[] = {"id", "call_id", "created_at", "priority", "called_back_at",
					"closed_at"};
static const char *const case_time[] = {"created_at", "called_back_at", "closed_at"};
static const struct table_def t_case = {"ops.ooh_case", case_cols, 6, "(id) DO UPDATE", case_time, 3};

static void case_closed(struct world *w, void *obj, int64_t arg)
{
	struct ooh_case *k = obj;
	(void)arg;
	k->closed = w->now;
	k->done = true;
	k->dirty = true;
}

static void case_called_back(struct world *w, void *obj, int64_t arg)
{
	struct ooh_case *k = obj;
	(void)arg;
	k->called_back = w->now;
	k->dirty = true;
	world_at(w, w->now + mins(rng_lognormal(&w->rng, 12, 0.5)), case_closed, k, 0);
}

static void call_ended(struct world *w, void *obj, int64_t arg)
{
	struct call *c = obj;
	struct iuc *u = w->iuc;
	(void)arg;
	c->ended = w->now;
	c->done = true;
	c->dirty = true;
	if (!c->answered)
		return;
	double r = rng_uniform(&w->rng);
	double cb = CAL_111_CALLBACK_SHARE;
	c->disposition = r < cb ? DISP_CALLBACK : r < cb + 0.10 ? DISP_AMBULANCE : r < cb + 0.19 ? DISP_ED
			 : r < cb + 0.70 ? DISP_PRIMARY : r < cb + 0.85 ? DISP_SELF : DISP_OTHER;
	if (c->disposition != DISP_CALLBACK)
		return;
	struct ooh_case *k = world_alloc(w, sizeof *k);
	if (!k || !ptrvec_push(w, &u->cases, k)) {
		free(k);
		return;
	}
	k->id = u->next_case++;
	k->call_id = c->id;
	k->created = w->now;
	k->dirty = true;
	static const double mix[3] = {0.2, 0.5, 0.3};
	static const double wait_min[3] = {25, 60, 140};
	k->priority = rng_pick(&w->rng, mix, 3);
	double p = scenario_pressure(&w->sc, w->now);
	world_at(w, w->now + mins(rng_exp(&w->rng, wait_min[k->priority] * (1 + 1.5 * p))), case_called_back, k, 0);
}

static void call_answered(struct world *w, void *obj, int64_t arg)
{
	struct call *c = obj;
	(void)arg;
	c->answered = w->now;
	c->dirty = true;
	world_at(w, w->now + mins(rng_lognormal(&w->rng, 11, 0.5)), call_ended, c, 0);
}

static void call_abandoned(struct world *w, void *obj, int64_t arg)
{
	struct call *c = obj;
	(void)arg;
	c->abandoned = w->now;
	c->dirty = true;
	call_ended(w, c, 0);
}

static void call_offered(struct world *w, void *obj, int64_t arg)
{
	struct iuc *u = obj;
	(void)arg;
	double p = scenario_pressure(&w->sc, w->now);
	world_at(w, poisson_next(&w->rng, w->now, CAL_111_CALLS_PER_TYPE1 * CAL_TYPE1_PER_DAY, 1 + 0.25 * p,
				 shape_111, SHAPE_111_MAX),
		 call_offered, u, 0);

	struct call *c = world_alloc(w, sizeof *c);
	if (!c || !ptrvec_push(w, &u->calls, c)) {
		free(c);
		return;
	}
	c->id = u->next_call++;
	c->connected = w->now;
	c->dirty = true;
	/* staffing follows the expected demand, so the wait grows only where it falls short */
	double load = 0.7 + 0.3 * shape_111(w->now);
	double wait_s = rng_exp(&w->rng, 25 * load * (1 + 0.9 * p));
	double patience_s = rng_exp(&w->rng, 600);
	if (patience_s < wait_s)
		world_at(w, w->now + (int64_t)(patience_s * US_PER_S), call_abandoned, c, 0);
	else
		world_at(w, w->now + (int64_t)(wait_s * US_PER_S), call_answered, c, 0);
}

struct iuc *iuc_new(struct world *w)
{
	struct iuc *u = world_alloc(w, sizeof *u);

	if (!u)
		return NULL;
	u->next_call = u->next_case = 1;
	rows_init(&u->r_call, &t_call);
	rows_init(&u->r_case, &t_case);
	return u;
}

void iuc_start(struct world *w)
{
	world_at(w, w->now, call_offered, w->iuc, 0);
}

void iuc_free(struct iuc *u)
{
	if (!u)
		return;
	for (size_t i = 0; i < u->calls.n; i++)
		free(u->calls.v[i]);
	for (size_t i = 0; i < u->cases.n; i++)
		free(u->cases.v[i]);
	ptrvec_free(&u->calls);
	ptrvec_free(&u->cases);
	rows_free(&u->r_call);
	rows_free(&u->r_case);
	free(u);
}

static bool call_expired(const struct world *w, const struct call *c)
{
	return c->done && c->ended < w->expire_before;
}

static bool case_expired(const struct world *w, const struct ooh_case *k)
{
	return k->done && k->closed < w->expire_before;
}

static bool iuc_write(struct world *w, struct partner_db *db, bool full)
{
	struct iuc *u = w->iuc;
	const struct simclock *ck = &w->clock;
	int64_t *gone = full ? NULL : malloc((u->calls.n + u->cases.n + 1) * sizeof *gone);
	size_t ngone = 0;

	if (!full && !gone) {
		pdb_fail(db, "111", "out of memory");
		return false;
	}
	rows_reset(&u->r_call);
	rows_reset(&u->r_case);
	for (size_t i = 0; i < u->calls.n; i++) {
		const struct call *c = u->calls.v[i];
		if (call_expired(w, c)) {
			if (!full)
				gone[ngone++] = c->id;
			continue;
		}
		if (!full && !c->dirty)
			continue;
		rows_int(&u->r_call, c->id);
		rows_time(&u->r_call, ck, c->connected);
		rows_time(&u->r_call, ck, c->answered);
		rows_time(&u->r_call, ck, c->abandoned);
		rows_time(&u->r_call, ck, c->ended);
		rows_text(&u->r_call, disposition_name[c->disposition]);
	}
	bool ok = pdb_write_rows(db, &u->r_call) && (full || pdb_delete_ids(db, "ops.call", gone, ngone));
	ngone = 0;
	for (size_t i = 0; ok && i < u->cases.n; i++) {
		const struct ooh_case *k = u->cases.v[i];
		if (case_expired(w, k)) {
			if (!full)
				gone[ngone++] = k->id;
			continue;
		}
		if (!full && !k->dirty)
			continue;
		rows_int(&u->r_case, k->id);
		rows_int(&u->r_case, k->call_id);
		rows_time(&u->r_case, ck, k->created);
		rows_text(&u->r_case, priority_name[k->priority]);
		rows_time(&u->r_case, ck, k->called_back);
		rows_time(&u->r_case, ck, k->closed);
	}
	ok = ok && pdb_write_rows(db, &u->r_case) && (full || pdb_delete_ids(db, "ops.ooh_case", gone, ngone));
	free(gone);
	return ok;
}

static void iuc_settle(struct world *w)
{
	struct iuc *u = w->iuc;
	size_t j = 0;

	for (size_t i = 0; i < u->calls.n; i++) {
		struct call *c = u->calls.v[i];
		if (call_expired(w, c)) {
			free(c);
			continue;
		}
		c->dirty = false;
		u->calls.v[j++] = c;
	}
	u->calls.n = j;
	j = 0;
	for (size_t i = 0; i < u->cases.n; i++) {
		struct ooh_case *k = u->cases.v[i];
		if (case_expired(w, k)) {
			free(k);
			continue;
		}
		k->dirty = false;
		u->cases.v[j++] = k;
	}
	u->cases.n = j;
}

static const struct table_def *const iuc_shifted[] = {&t_call, &t_case};

const struct model iuc_model = {
	.kind = "111",
	.truncate_sql = "TRUNCATE ops.call, ops.ooh_case",
	.shifted = iuc_shifted,
	.nshifted = 2,
	.write = iuc_write,
	.settle = iuc_settle,
};

void iuc_report(const struct world *w, struct iuc_report *r)
{
	const struct iuc *u = w->iuc;
	int offered = 0, abandoned = 0, answered = 0, within = 0;

	memset(r, 0, sizeof *r);
	for (size_t i = 0; i < u->calls.n; i++) {
		const struct call *c = u->calls.v[i];
		if (c->connected > w->now - US_PER_H)
			r->offered_last_hour++;
		if (c->connected > w->now - 4 * US_PER_H) {
			offered++;
			abandoned += c->abandoned && c->abandoned - c->connected > 30 * US_PER_S;
		}
		if (c->answered && c->answered > w->now - 4 * US_PER_H) {
			answered++;
			within += c->answered - c->connected <= 60 * US_PER_S;
		}
	}
	r->abandoned_pct = offered ? 100.0 * abandoned / offered : NAN;
	r->answered_60s_pct = answered ? 100.0 * within / answered : NAN;
	for (size_t i = 0; i < u->cases.n; i++) {
		const struct ooh_case *k = u->cases.v[i];
		r->cases_waiting += !k->called_back && !k->closed;
	}
}
