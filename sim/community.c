/*
 * Community and social care. A request waits until the service can start it: the waits by
 * service (reablement and home care for pathway 1, an intermediate care bed for pathway 2, a
 * care home for pathway 3) are set so that hospital patients wait about CAL_NCTR_DELAY_DAYS_NORMAL
 * days on average between no longer meeting the criteria to reside and discharge, all pathways
 * together (calibration.h), and lengthen by CAL_NCTR_DELAY_WINTER_FACTOR and more in winter.
 * Requests from outside the hospital (CAL_COMMUNITY_REFERRALS_PER_DAY) are sometimes cancelled.
 *
 * The virtual ward is not simulated patient by patient: its occupancy is a mean-reverting random
 * walk (Ornstein-Uhlenbeck) around 76%, a little fuller in winter, pushed as an observation.
 */
#include "community.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "acute.h"
#include "calibration.h"
#include "model.h"

enum service { SVC_REABLEMENT, SVC_HOME_CARE, SVC_BED, SVC_CARE_HOME };
static const char *const service_name[] = {"reablement", "home_care", "intermediate_care_bed", "care_home"};
/* mean wait in days before a service starts, normal running */
static const double service_wait_days[] = {1.6, 2.0, 2.6, 4.5};

struct request {
	int64_t id;
	enum service service;
	int pathway; /* 1-3, or 0 when not a hospital discharge */
	bool from_hospital, dirty, done;
	void *spell;
	int64_t requested, started, cancelled;
};

struct community {
	struct ptrvec req;
	int64_t next_id;
	double vw_dev;         /* virtual ward: deviation from its level, in standard deviations */
	int64_t vw_last;       /* simulated time of the last step */
	double vw_value;       /* rounded occupancy to push */
	double vw_pushed;      /* the value last pushed (NAN: none yet) */
	int64_t vw_pushed_at;  /* wall clock of the last push */
	struct rows r_req, r_obs;
};

static const char *const req_cols[] = {"id", "requested_at", "referrer", "patient_ref", "discharge_pathway",
				       "service", "started_at", "cancelled_at"};
static const char *const req_time[] = {"requested_at", "started_at", "cancelled_at"};
static const struct table_def t_req = {"ops.care_package_request", req_cols, 8, "(id) DO UPDATE", req_time, 3};
static const char *const obs_cols[] = {"metric", "site", "value", "observed_at"};
static const struct table_def t_obs = {"commcell.observation", obs_cols, 4, NULL, NULL, 0};

static void request_start(struct world *w, void *obj, int64_t arg)
{
	struct request *q = obj;
	(void)arg;
	if (arg == 1) {
		q->cancelled = w->now;
	} else {
		q->started = w->now;
		if (q->spell)
			acute_package_started(w, q->spell);
	}
	q->spell = NULL;
	q->done = true;
	q->dirty = true;
}

static struct request *new_request(struct world *w, enum service svc, int pathway)
{
	struct community *c = w->comm;
	struct request *q = world_alloc(w, sizeof *q);

	if (!q || !ptrvec_push(w, &c->req, q)) {
		free(q);
		return NULL;
	}
	q->id = c->next_id++;
	q->service = svc;
	q->pathway = pathway;
	q->requested = w->now;
	q->dirty = true;
	double p = scenario_pressure(&w->sc, w->now);
	double mean = service_wait_days[svc] * (1 + (CAL_NCTR_DELAY_WINTER_FACTOR - 1) * p);
	/* care starts in working hours: the wait, then the next daytime slot */
	int64_t start = w->now + days(rng_lognormal(&w->rng, mean * 0.8, 0.65));
	struct civil cv = civil_time(start);
	if (cv.hour < 8)
		start += hours(8 - cv.hour + rng_uniform(&w->rng) * 8);
	else if (cv.hour > 18)
		start += hours(24 - cv.hour + 8 + rng_uniform(&w->rng) * 8);
	int cancel = !pathway && rng_bernoulli(&w->rng, 0.08);
	world_at(w, start, request_start, q, cancel);
	return q;
}

void community_request_for_spell(struct world *w, void *spell, int pathway)
{
	enum service svc = pathway == 1 ? (rng_bernoulli(&w->rng, 0.6) ? SVC_REABLEMENT : SVC_HOME_CARE)
			   : pathway == 2 ? SVC_BED : SVC_CARE_HOME;
	struct request *q = new_request(w, svc, pathway);

	if (q) {
		q->from_hospital = true;
		q->spell = spell;
	} else {
		acute_package_started(w, spell); /* out of memory: let the patient go */
	}
}

static void referral(struct world *w, void *obj, int64_t arg)
{
	(void)obj;
	(void)arg;
	world_at(w, poisson_next(&w->rng, w->now, CAL_COMMUNITY_REFERRALS_PER_DAY, 1, shape_ed, SHAPE_ED_MAX),
		 referral, NULL, 0);
	new_request(w, rng_bernoulli(&w->rng, 0.5) ? SVC_HOME_CARE : SVC_REABLEMENT, 0);
}

/* The virtual ward's occupancy, stepped every 5 simulated minutes. */
static void virtual_ward_step(struct world *w, void *obj, int64_t arg)
{
	struct community *c = obj;
	(void)arg;
	world_at(w, w->now + 5 * US_PER_MIN, virtual_ward_step, c, 0);
	const double tau_s = 4 * 3600.0, level = 76, sd = 5;
	double dt = (double)(w->now - c->vw_last) / US_PER_S;

	if (!c->vw_last) {
		c->vw_dev = rng_normal(&w->rng);
	} else {
		double a = exp(-dt / tau_s);
		c->vw_dev = a * c->vw_dev + sqrt(1 - a * a) * rng_normal(&w->rng);
	}
	c->vw_last = w->now;
	double v = level + 8 * scenario_pressure(&w->sc, w->now) + sd * c->vw_dev;
	c->vw_value = round(v < 0 ? 0 : v > 100 ? 100 : v);
}

struct community *community_new(struct world *w)
{
	struct community *c = world_alloc(w, sizeof *c);

	if (!c)
		return NULL;
	c->next_id = 1;
	c->vw_pushed = NAN;
	rows_init(&c->r_req, &t_req);
	rows_init(&c->r_obs, &t_obs);
	return c;
}

void community_start(struct world *w)
{
	world_at(w, w->now, referral, NULL, 0);
	world_at(w, w->now, virtual_ward_step, w->comm, 0);
}

void community_free(struct community *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->req.n; i++)
		free(c->req.v[i]);
	ptrvec_free(&c->req);
	rows_free(&c->r_req);
	rows_free(&c->r_obs);
	free(c);
}

static bool expired(const struct world *w, const struct request *q)
{
	return q->done && (q->started ? q->started : q->cancelled) < w->expire_before;
}

static void req_row(const struct world *w, struct rows *r, const struct request *q)
{
	char ref[32];

	rows_int(r, q->id);
	rows_time(r, &w->clock, q->requested);
	rows_text(r, q->from_hospital ? "acute" : "primary_care");
	snprintf(ref, sizeof ref, "C%06lld", (long long)q->id);
	rows_text(r, ref);
	if (q->pathway)
		rows_int(r, q->pathway);
	else
		rows_null(r);
	rows_text(r, service_name[q->service]);
	rows_time(r, &w->clock, q->started);
	rows_time(r, &w->clock, q->cancelled);
}

static bool community_write(struct world *w, struct partner_db *db, bool full)
{
	struct community *c = w->comm;
	int64_t *gone = full ? NULL : malloc((c->req.n + 1) * sizeof *gone);
	size_t ngone = 0;

	if (!full && !gone) {
		pdb_fail(db, "community", "out of memory");
		return false;
	}
	rows_reset(&c->r_req);
	for (size_t i = 0; i < c->req.n; i++) {
		const struct request *q = c->req.v[i];
		if (expired(w, q)) {
			if (!full)
				gone[ngone++] = q->id;
		} else if (full || q->dirty) {
			req_row(w, &c->r_req, q);
		}
	}
	bool ok = pdb_write_rows(db, &c->r_req) &&
		  (full || pdb_delete_ids(db, "ops.care_package_request", gone, ngone));
	free(gone);

	/* the virtual ward's ready value: when it changes, and at least every 60 s of wall clock */
	int64_t wall = wall_now_us();
	if (ok && (isnan(c->vw_pushed) || c->vw_value != c->vw_pushed || wall - c->vw_pushed_at >= 60 * US_PER_S)) {
		char v[32], at[48];
		snprintf(v, sizeof v, "%.0f", c->vw_value);
		format_utc(at, sizeof at, wall);
		rows_reset(&c->r_obs);
		rows_text(&c->r_obs, "community.virtual_ward_occupancy");
		rows_text(&c->r_obs, "");
		rows_text(&c->r_obs, v);
		rows_text(&c->r_obs, at);
		ok = pdb_write_rows(db, &c->r_obs);
		if (ok) {
			c->vw_pushed = c->vw_value;
			c->vw_pushed_at = wall;
		}
	}
	return ok;
}

static void community_settle(struct world *w)
{
	struct community *c = w->comm;
	size_t j = 0;

	for (size_t i = 0; i < c->req.n; i++) {
		struct request *q = c->req.v[i];
		if (expired(w, q)) {
			free(q);
			continue;
		}
		q->dirty = false;
		c->req.v[j++] = q;
	}
	c->req.n = j;
}

static const struct table_def *const community_shifted[] = {&t_req};

const struct model community_model = {
	.kind = "community",
	.truncate_sql = "TRUNCATE ops.care_package_request",
	.shifted = community_shifted,
	.nshifted = 1,
	.write = community_write,
	.settle = community_settle,
};

void community_report(const struct world *w, struct community_report *r)
{
	const struct community *c = w->comm;

	r->awaited = 0;
	for (size_t i = 0; i < c->req.n; i++) {
		const struct request *q = c->req.v[i];
		r->awaited += !q->done;
	}
	r->virtual_ward_occupancy = c->vw_value;
}
