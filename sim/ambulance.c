/*
 * The ambulance service.
 *
 * Incidents arrive CAL_INCIDENTS_PER_TYPE1 times the trust's type 1 attendances a day, shaped like
 * A&E arrivals, a little more in winter (AmbSYS, December 2019 against August 2019: +7.7%), in the
 * AmbSYS category mix. The response time of each category is drawn from a lognormal with the
 * published England mean and 90th centile (calibration.h), stretched by how many crews are stuck
 * at hospital: crews held beyond the 15-minute handover standard are crews not answering calls,
 * so long handovers make responses slower (most for Categories 2-4, little for Category 1, which
 * is answered first). Winter pressure on its own stretches each category by the published
 * December 2019 mean over the normal months' (calibration.h); handover losses add to that, so the
 * winter scenario lands between December 2019 and the worse winters after the file ends.
 *
 * Conveyed patients reach hospital after time on scene and travel, wait for handover (longer when
 * the department is crowded: acute_crowding) and then join A&E; the A&E clock starts at handover,
 * or 15 minutes after arrival at hospital if that is earlier.
 */
#include "ambulance.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "acute.h"
#include "calibration.h"
#include "model.h"

#define LOST_WINDOW_US (6 * US_PER_H)
#define CREWS_ON_DUTY 14.0 /* for about 180 incidents a day */
/* typical share of crews lost to handover delays in normal running: the response times are
 * calibrated at this level, longer above it */
#define LOST_SHARE_NORMAL 0.03
/* how much each category's response stretches per unit share of crews lost */
static const double stretch[4] = {0.2, 1.5, 2.0, 1.5};
static const double conveyance[4] = {0.60, 0.70, 0.50, 0.30};

struct incident {
	int64_t id;
	int category, hospital; /* hospital: -1 none */
	bool conveyed, decided, dirty, done;
	int64_t call, clock_start, dispatch, first_arrival, clock_stop, at_hospital, handover, closed;
};

struct handover_loss {
	int64_t at;
	double lost_h;
};

struct ambulance {
	struct ptrvec inc;
	int64_t next_id;
	double median_s[4], sigma[4];
	/* recent handovers and the crew time they lost, for the pressure on responses */
	struct handover_loss *loss;
	size_t nloss, caploss;
	double lost_h;
	struct rows r_hosp, r_inc;
};

static const char *const hosp_cols[] = {"code", "name"};
static const struct table_def t_hosp = {"ops.hospital", hosp_cols, 2, "(code) DO NOTHING", NULL, 0};
static const char *const inc_cols[] = {"id", "call_connected_at", "category", "clock_start_at",
				       "first_dispatch_at", "first_arrival_at", "clock_stop_at", "conveyed",
				       "hospital", "at_hospital_at", "handover_at", "closed_at"};
static const char *const inc_time[] = {"call_connected_at", "clock_start_at", "first_dispatch_at",
				       "first_arrival_at", "clock_stop_at", "at_hospital_at", "handover_at",
				       "closed_at"};
static const struct table_def t_inc = {"ops.incident", inc_cols, 12, "(id) DO UPDATE", inc_time, 8};

static const char *const hospital_name[2] = {"Northgate General Hospital A&E", "Southgate Hospital A&E"};

/* Share of crews held at hospital beyond 15 minutes, over the last 6 hours. */
static double lost_share(struct world *w)
{
	struct ambulance *a = w->amb;
	size_t j = 0;

	for (size_t i = 0; i < a->nloss; i++) {
		if (a->loss[i].at < w->now - LOST_WINDOW_US)
			a->lost_h -= a->loss[i].lost_h;
		else
			a->loss[j++] = a->loss[i];
	}
	a->nloss = j;
	if (a->lost_h < 0)
		a->lost_h = 0;
	return a->lost_h / 6.0 / CREWS_ON_DUTY;
}

static void record_loss(struct world *w, double lost_h)
{
	struct ambulance *a = w->amb;

	if (lost_h <= 0)
		return;
	if (a->nloss == a->caploss) {
		size_t cap = a->caploss ? a->caploss * 2 : 256;
		struct handover_loss *l = realloc(a->loss, cap * sizeof *l);
		if (!l) {
			w->failed = true;
			return;
		}
		a->loss = l;
		a->caploss = cap;
	}
	a->loss[a->nloss].at = w->now;
	a->loss[a->nloss++].lost_h = lost_h;
	a->lost_h += lost_h;
}

static void inc_close(struct world *w, void *obj, int64_t arg)
{
	struct incident *in = obj;
	(void)arg;
	in->closed = w->now;
	in->done = true;
	in->dirty = true;
}

/* The patient joins A&E: the clock starts at handover or 15 minutes after arrival at hospital. */
static void inc_ed_arrival(struct world *w, void *obj, int64_t arg)
{
	struct incident *in = obj;
	(void)arg;
	acute_ambulance_arrival(w, in->hospital, w->now);
}

static void inc_handover(struct world *w, void *obj, int64_t arg)
{
	struct incident *in = obj;
	(void)arg;
	in->handover = w->now;
	in->dirty = true;
	record_loss(w, (double)(in->handover - in->at_hospital - 15 * US_PER_MIN) / US_PER_H);
	world_at(w, w->now + mins(rng_lognormal(&w->rng, 14, 0.4)), inc_close, in, 0);
}

static void inc_at_hospital(struct world *w, void *obj, int64_t arg)
{
	struct incident *in = obj;
	(void)arg;
	in->at_hospital = w->now;
	in->dirty = true;
	/* handover: quick when the department has room; long, with a long tail, when it is crowded
	 * (about 10% over 30 min and 2% over 60 at crowding 0.3; 25% and 10% at 1.5) */
	double crowd = acute_crowding(w, in->hospital);
	double spread = crowd < 1.5 ? crowd : 1.5;
	double wait = rng_lognormal(&w->rng, 9 * (1 + 0.35 * crowd), 0.78 + 0.26 * spread);
	if (wait > 600)
		wait = 600;
	int64_t handover = w->now + mins(wait);
	int64_t ed = w->now + 15 * US_PER_MIN;
	world_at(w, handover < ed ? handover : ed, inc_ed_arrival, in, 0);
	world_at(w, handover, inc_handover, in, 0);
}

static void inc_on_scene(struct world *w, void *obj, int64_t arg)
{
	struct incident *in = obj;
	(void)arg;
	in->first_arrival = w->now;
	in->clock_stop = w->now;
	in->dirty = true;
	in->conveyed = rng_bernoulli(&w->rng, conveyance[in->category - 1]);
	in->decided = true;
	if (!in->conveyed) {
		world_at(w, w->now + mins(rng_lognormal(&w->rng, 50, 0.5)), inc_close, in, 0);
		return;
	}
	in->hospital = rng_bernoulli(&w->rng, CAL_SITE_SHARE_NGH) ? 0 : 1;
	double on_scene = rng_lognormal(&w->rng, 32, 0.4), travel = rng_lognormal(&w->rng, 16, 0.5);
	world_at(w, w->now + mins(on_scene + travel), inc_at_hospital, in, 0);
}

static void inc_dispatch(struct world *w, void *obj, int64_t arg)
{
	struct incident *in = obj;
	(void)arg;
	in->dispatch = w->now;
	in->dirty = true;
}

static void inc_clock_start(struct world *w, void *obj, int64_t arg)
{
	struct incident *in = obj;
	struct ambulance *a = w->amb;
	(void)arg;
	int c = in->category - 1;
	double share = lost_share(w);
	double p = scenario_pressure(&w->sc, w->now);
	/* winter demand on its own: the published December 2019 mean against the normal months */
	double winter = 1 + (cal_response_winter_mean_s[c] / cal_response_mean_s[c] - 1) * p;
	double f = winter * (1 + stretch[c] * share) / (1 + stretch[c] * LOST_SHARE_NORMAL);
	double resp_s = rng_lognormal(&w->rng, a->median_s[c] * f, a->sigma[c]);
	if (resp_s < 60)
		resp_s = 60 + rng_uniform(&w->rng) * 60;

	in->clock_start = w->now;
	in->dirty = true;
	/* the first dispatch: for Category 1 almost at once, otherwise after a share of the wait */
	world_at(w, w->now + (int64_t)(resp_s * (c == 0 ? 0.05 : 0.3 * rng_uniform(&w->rng)) * US_PER_S),
		 inc_dispatch, in, 0);
	world_at(w, w->now + (int64_t)(resp_s * US_PER_S), inc_on_scene, in, 0);
}

static void incident_call(struct world *w, void *obj, int64_t arg)
{
	struct ambulance *a = obj;
	(void)arg;
	double p = scenario_pressure(&w->sc, w->now);
	world_at(w, poisson_next(&w->rng, w->now, CAL_INCIDENTS_PER_TYPE1 * CAL_TYPE1_PER_DAY,
				 1 + 0.077 * p, shape_ed, SHAPE_ED_MAX),
		 incident_call, a, 0);

	struct incident *in = world_alloc(w, sizeof *in);
	if (!in || !ptrvec_push(w, &a->inc, in)) {
		free(in);
		return;
	}
	in->id = a->next_id++;
	in->category = 1 + rng_pick(&w->rng, cal_category_mix, 4);
	in->hospital = -1;
	in->call = w->now;
	in->dirty = true;
	/* call handling until the problem is identified */
	double s = in->category == 1 ? 20 + rng_exp(&w->rng, 40) : 60 + rng_exp(&w->rng, 90);
	world_at(w, w->now + (int64_t)(s * US_PER_S), inc_clock_start, in, 0);
}

struct ambulance *ambulance_new(struct world *w)
{
	struct ambulance *a = world_alloc(w, sizeof *a);

	if (!a)
		return NULL;
	a->next_id = 1;
	for (int c = 0; c < 4; c++)
		if (!lognormal_from_mean_p90(cal_response_mean_s[c], cal_response_p90_s[c], &a->median_s[c],
					     &a->sigma[c])) {
			a->median_s[c] = cal_response_mean_s[c];
			a->sigma[c] = 0.6;
		}
	rows_init(&a->r_hosp, &t_hosp);
	rows_init(&a->r_inc, &t_inc);
	return a;
}

void ambulance_start(struct world *w)
{
	world_at(w, w->now, incident_call, w->amb, 0);
}

void ambulance_free(struct ambulance *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->inc.n; i++)
		free(a->inc.v[i]);
	ptrvec_free(&a->inc);
	free(a->loss);
	rows_free(&a->r_hosp);
	rows_free(&a->r_inc);
	free(a);
}

static bool expired(const struct world *w, const struct incident *in)
{
	return in->done && in->closed < w->expire_before;
}

static void inc_row(const struct world *w, struct rows *r, const struct incident *in)
{
	const struct simclock *c = &w->clock;

	rows_int(r, in->id);
	rows_time(r, c, in->call);
	if (in->clock_start)
		rows_int(r, in->category);
	else
		rows_null(r);
	rows_time(r, c, in->clock_start);
	rows_time(r, c, in->dispatch);
	rows_time(r, c, in->first_arrival);
	rows_time(r, c, in->clock_stop);
	if (in->decided)
		rows_bool(r, in->conveyed);
	else
		rows_null(r);
	rows_text(r, in->hospital >= 0 ? acute_site_code(in->hospital) : NULL);
	rows_time(r, c, in->at_hospital);
	rows_time(r, c, in->handover);
	rows_time(r, c, in->closed);
}

static bool ambulance_write(struct world *w, struct partner_db *db, bool full)
{
	struct ambulance *a = w->amb;
	int64_t *gone = full ? NULL : malloc((a->inc.n + 1) * sizeof *gone);
	size_t ngone = 0;

	if (!full && !gone) {
		pdb_fail(db, "ambulance", "out of memory");
		return false;
	}
	rows_reset(&a->r_hosp);
	rows_reset(&a->r_inc);
	if (full) {
		for (int h = 0; h < 2; h++) {
			rows_text(&a->r_hosp, acute_site_code(h));
			rows_text(&a->r_hosp, hospital_name[h]);
		}
	}
	for (size_t i = 0; i < a->inc.n; i++) {
		struct incident *in = a->inc.v[i];
		if (expired(w, in)) {
			if (!full)
				gone[ngone++] = in->id;
		} else if (full || in->dirty) {
			inc_row(w, &a->r_inc, in);
		}
	}
	bool ok = pdb_write_rows(db, &a->r_hosp) && pdb_write_rows(db, &a->r_inc) &&
		  (full || pdb_delete_ids(db, "ops.incident", gone, ngone));
	free(gone);
	return ok;
}

static void ambulance_settle(struct world *w)
{
	struct ambulance *a = w->amb;
	size_t j = 0;

	for (size_t i = 0; i < a->inc.n; i++) {
		struct incident *in = a->inc.v[i];
		if (expired(w, in)) {
			free(in);
			continue;
		}
		in->dirty = false;
		a->inc.v[j++] = in;
	}
	a->inc.n = j;
}

static const struct table_def *const ambulance_shifted[] = {&t_inc};

const struct model ambulance_model = {
	.kind = "ambulance",
	.truncate_sql = "TRUNCATE ops.incident, ops.hospital",
	.shifted = ambulance_shifted,
	.nshifted = 1,
	.write = ambulance_write,
	.settle = ambulance_settle,
};

static int cmp_double(const void *x, const void *y)
{
	double a = *(const double *)x, b = *(const double *)y;

	return a < b ? -1 : a > b;
}

void ambulance_report(const struct world *w, struct ambulance_report *r)
{
	const struct ambulance *a = w->amb;
	double *v = malloc((a->inc.n + 1) * sizeof *v);

	memset(r, 0, sizeof *r);
	for (int c = 0; c < 4; c++) {
		size_t n = 0;
		double sum = 0;
		for (size_t i = 0; v && i < a->inc.n; i++) {
			const struct incident *in = a->inc.v[i];
			if (in->category == c + 1 && in->clock_stop && in->clock_stop > w->now - US_PER_DAY) {
				v[n] = (double)(in->clock_stop - in->clock_start) / US_PER_S;
				sum += v[n++];
			}
		}
		if (!n) {
			r->mean_min[c] = r->p90_min[c] = NAN;
			continue;
		}
		qsort(v, n, sizeof *v, cmp_double);
		r->mean_min[c] = sum / (double)n / 60;
		r->p90_min[c] = v[(size_t)ceil(0.9 * (double)n) - 1] / 60;
	}
	free(v);
	for (size_t i = 0; i < a->inc.n; i++) {
		const struct incident *in = a->inc.v[i];
		if (!in->at_hospital || in->at_hospital <= w->now - US_PER_DAY)
			continue;
		int64_t end = in->handover ? in->handover : w->now;
		r->over30[in->hospital] += end - in->at_hospital > 30 * US_PER_MIN;
		r->over60[in->hospital] += end - in->at_hospital > 60 * US_PER_MIN;
	}
	r->crews_lost = a->lost_h / 6.0;
}
