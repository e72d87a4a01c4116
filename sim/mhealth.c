/*
 * Mental health (levels in calibration.h; shared/data has no mental health file).
 *
 * Crisis referrals arrive through the day (the A&E shape) and wait for the crisis team's first
 * assessment, by urgency: emergency about 1.5 hours, very urgent 3, urgent 10, routine 2 days,
 * longer in winter; a few are closed without one.
 *
 * Adult acute admissions take a local bed when one is free; otherwise the patient is placed out
 * of area because no local bed was available (an inappropriate out-of-area placement). A few
 * are placed out of area for a specialist need whatever the local beds. Stays are long (a month
 * on average), so the warm-up fills the beds and out-of-area numbers move slowly.
 */
#include "mhealth.h"

#include <stdlib.h>
#include <string.h>

#include "calibration.h"
#include "model.h"

enum urgency { URG_EMERGENCY, URG_VERY_URGENT, URG_URGENT, URG_ROUTINE };
static const char *const urgency_name[] = {"emergency", "very_urgent", "urgent", "routine"};
static const char *const source_name[] = {"emergency_department", "nhs111", "gp", "police", "self", "other"};

struct referral {
	int64_t id;
	enum urgency urgency;
	int source;
	bool dirty, done;
	int64_t received, assessed, closed;
};

enum reason { R_LOCAL, R_NO_LOCAL_BED, R_SPECIALIST };
static const char *const reason_name[] = {"local_bed", "no_local_bed", "specialist_need"};

struct placement {
	int64_t id;
	enum reason reason;
	bool dirty, done;
	int64_t started, ended;
};

struct mhealth {
	struct ptrvec refs, places;
	int64_t next_ref, next_place;
	int local_occupied;
	struct rows r_ref, r_place;
};

static const char *const ref_cols[] = {"id", "received_at", "source", "urgency", "assessed_at", "closed_at"};
static const char *const ref_time[] = {"received_at", "assessed_at", "closed_at"};
static const struct table_def t_ref = {"ops.crisis_referral", ref_cols, 6, "(id) DO UPDATE", ref_time, 3};
static const char *const place_cols[] = {"id", "started_at", "ended_at", "provider", "out_of_area", "reason"};
static const char *const place_time[] = {"started_at", "ended_at"};
static const struct table_def t_place = {"ops.placement", place_cols, 6, "(id) DO UPDATE", place_time, 2};

static void referral_done(struct world *w, void *obj, int64_t arg)
{
	struct referral *r = obj;

	if (arg)
		r->closed = w->now;
	else
		r->assessed = w->now;
	r->done = true;
	r->dirty = true;
}

static void referral_received(struct world *w, void *obj, int64_t arg)
{
	struct mhealth *m = obj;
	(void)arg;
	double p = scenario_pressure(&w->sc, w->now);
	world_at(w, poisson_next(&w->rng, w->now, CAL_MH_REFERRALS_PER_DAY, 1 + 0.1 * p, shape_ed, SHAPE_ED_MAX),
		 referral_received, m, 0);

	struct referral *r = world_alloc(w, sizeof *r);
	if (!r || !ptrvec_push(w, &m->refs, r)) {
		free(r);
		return;
	}
	static const double mix[4] = {0.10, 0.30, 0.45, 0.15};
	static const double wait_h[4] = {1.5, 3, 10, 48};
	static const double sources[6] = {0.30, 0.15, 0.25, 0.10, 0.15, 0.05};
	r->id = m->next_ref++;
	r->urgency = (enum urgency)rng_pick(&w->rng, mix, 4);
	r->source = rng_pick(&w->rng, sources, 6);
	r->received = w->now;
	r->dirty = true;
	double wait = rng_lognormal(&w->rng, wait_h[r->urgency] * 0.8 * (1 + 0.4 * p), 0.6);
	world_at(w, w->now + hours(wait), referral_done, r, rng_bernoulli(&w->rng, 0.05));
}

static void placement_end(struct world *w, void *obj, int64_t arg)
{
	struct placement *pl = obj;
	(void)arg;
	pl->ended = w->now;
	pl->done = true;
	pl->dirty = true;
	if (pl->reason == R_LOCAL)
		w->mh->local_occupied--;
}

static void admission(struct world *w, void *obj, int64_t arg)
{
	struct mhealth *m = obj;
	(void)arg;
	double p = scenario_pressure(&w->sc, w->now);
	world_at(w, poisson_next(&w->rng, w->now, CAL_MH_ADMISSIONS_PER_DAY, 1 + 0.15 * p, shape_ed, SHAPE_ED_MAX),
		 admission, m, 0);

	struct placement *pl = world_alloc(w, sizeof *pl);
	if (!pl || !ptrvec_push(w, &m->places, pl)) {
		free(pl);
		return;
	}
	pl->id = m->next_place++;
	pl->started = w->now;
	pl->dirty = true;
	if (rng_bernoulli(&w->rng, 0.04)) {
		pl->reason = R_SPECIALIST;
	} else if (m->local_occupied < CAL_MH_LOCAL_BEDS) {
		pl->reason = R_LOCAL;
		m->local_occupied++;
	} else {
		pl->reason = R_NO_LOCAL_BED;
	}
	world_at(w, w->now + days(rng_lognormal(&w->rng, CAL_MH_LOS_MEDIAN_DAYS, 0.8)), placement_end, pl, 0);
}

struct mhealth *mhealth_new(struct world *w)
{
	struct mhealth *m = world_alloc(w, sizeof *m);

	if (!m)
		return NULL;
	m->next_ref = m->next_place = 1;
	rows_init(&m->r_ref, &t_ref);
	rows_init(&m->r_place, &t_place);
	return m;
}

/* The patients already in beds at the start: those admitted over the past year (the same Poisson
 * stream) whose stay has not ended, oldest first: the ward's steady state without a long
 * warm-up (the stays are too long for the warm-up to fill the beds). */
static void seed_placements(struct world *w)
{
	struct mhealth *m = w->mh;
	double ages[4096];
	int n = 0;

	for (double a = 365; n < 4096;) {
		a -= rng_exp(&w->rng, 1.0 / CAL_MH_ADMISSIONS_PER_DAY);
		if (a <= 0)
			break;
		ages[n++] = a;
	}
	for (int i = 0; i < n; i++) {
		double los = rng_lognormal(&w->rng, CAL_MH_LOS_MEDIAN_DAYS, 0.8);
		if (los <= ages[i])
			continue;
		struct placement *pl = world_alloc(w, sizeof *pl);
		if (!pl || !ptrvec_push(w, &m->places, pl)) {
			free(pl);
			return;
		}
		pl->id = m->next_place++;
		pl->started = w->now - days(ages[i]);
		pl->dirty = true;
		if (rng_bernoulli(&w->rng, 0.04)) {
			pl->reason = R_SPECIALIST;
		} else if (m->local_occupied < CAL_MH_LOCAL_BEDS) {
			pl->reason = R_LOCAL;
			m->local_occupied++;
		} else {
			pl->reason = R_NO_LOCAL_BED;
		}
		world_at(w, pl->started + days(los), placement_end, pl, 0);
	}
}

void mhealth_start(struct world *w)
{
	seed_placements(w);
	world_at(w, w->now, referral_received, w->mh, 0);
	world_at(w, w->now, admission, w->mh, 0);
}

void mhealth_free(struct mhealth *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->refs.n; i++)
		free(m->refs.v[i]);
	for (size_t i = 0; i < m->places.n; i++)
		free(m->places.v[i]);
	ptrvec_free(&m->refs);
	ptrvec_free(&m->places);
	rows_free(&m->r_ref);
	rows_free(&m->r_place);
	free(m);
}

static bool ref_expired(const struct world *w, const struct referral *r)
{
	return r->done && (r->assessed ? r->assessed : r->closed) < w->expire_before;
}

static bool place_expired(const struct world *w, const struct placement *pl)
{
	return pl->done && pl->ended < w->expire_before;
}

static bool mhealth_write(struct world *w, struct partner_db *db, bool full)
{
	struct mhealth *m = w->mh;
	const struct simclock *ck = &w->clock;
	int64_t *gone = full ? NULL : malloc((m->refs.n + m->places.n + 1) * sizeof *gone);
	size_t ngone = 0;

	if (!full && !gone) {
		pdb_fail(db, "mental_health", "out of memory");
		return false;
	}
	rows_reset(&m->r_ref);
	rows_reset(&m->r_place);
	for (size_t i = 0; i < m->refs.n; i++) {
		const struct referral *r = m->refs.v[i];
		if (ref_expired(w, r)) {
			if (!full)
				gone[ngone++] = r->id;
			continue;
		}
		if (!full && !r->dirty)
			continue;
		rows_int(&m->r_ref, r->id);
		rows_time(&m->r_ref, ck, r->received);
		rows_text(&m->r_ref, source_name[r->source]);
		rows_text(&m->r_ref, urgency_name[r->urgency]);
		rows_time(&m->r_ref, ck, r->assessed);
		rows_time(&m->r_ref, ck, r->closed);
	}
	bool ok = pdb_write_rows(db, &m->r_ref) && (full || pdb_delete_ids(db, "ops.crisis_referral", gone, ngone));
	ngone = 0;
	for (size_t i = 0; ok && i < m->places.n; i++) {
		const struct placement *pl = m->places.v[i];
		if (place_expired(w, pl)) {
			if (!full)
				gone[ngone++] = pl->id;
			continue;
		}
		if (!full && !pl->dirty)
			continue;
		rows_int(&m->r_place, pl->id);
		rows_time(&m->r_place, ck, pl->started);
		rows_time(&m->r_place, ck, pl->ended);
		rows_text(&m->r_place, pl->reason == R_LOCAL ? "Shire MH adult acute unit"
				       : pl->reason == R_SPECIALIST ? "Specialist unit (national)"
				       : "Independent sector unit (out of area)");
		rows_bool(&m->r_place, pl->reason != R_LOCAL);
		rows_text(&m->r_place, reason_name[pl->reason]);
	}
	ok = ok && pdb_write_rows(db, &m->r_place) && (full || pdb_delete_ids(db, "ops.placement", gone, ngone));
	free(gone);
	return ok;
}

static void mhealth_settle(struct world *w)
{
	struct mhealth *m = w->mh;
	size_t j = 0;

	for (size_t i = 0; i < m->refs.n; i++) {
		struct referral *r = m->refs.v[i];
		if (ref_expired(w, r)) {
			free(r);
			continue;
		}
		r->dirty = false;
		m->refs.v[j++] = r;
	}
	m->refs.n = j;
	j = 0;
	for (size_t i = 0; i < m->places.n; i++) {
		struct placement *pl = m->places.v[i];
		if (place_expired(w, pl)) {
			free(pl);
			continue;
		}
		pl->dirty = false;
		m->places.v[j++] = pl;
	}
	m->places.n = j;
}

static const struct table_def *const mhealth_shifted[] = {&t_ref, &t_place};

const struct model mhealth_model = {
	.kind = "mental_health",
	.truncate_sql = "TRUNCATE ops.crisis_referral, ops.placement",
	.shifted = mhealth_shifted,
	.nshifted = 2,
	.write = mhealth_write,
	.settle = mhealth_settle,
};

void mhealth_report(const struct world *w, struct mhealth_report *r)
{
	const struct mhealth *m = w->mh;

	memset(r, 0, sizeof *r);
	for (size_t i = 0; i < m->refs.n; i++) {
		const struct referral *x = m->refs.v[i];
		r->referrals_waiting += !x->done;
	}
	for (size_t i = 0; i < m->places.n; i++) {
		const struct placement *pl = m->places.v[i];
		r->oaps_inappropriate += !pl->done && pl->reason == R_NO_LOCAL_BED;
	}
	r->local_occupied = m->local_occupied;
}
