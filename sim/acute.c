/*
 * The acute trust, event by event.
 *
 * Emergency department: patients arrive (walk-in streams per site and department type, shaped by
 * hour, weekday and month; ambulance patients from ambulance.c), are triaged, seen, and either
 * leave or are admitted. Waits grow with crowding of the type 1 department. An admitted patient
 * waits in the department after the decision to admit until a bed is free on the site: that
 * exit block is what turns a full hospital into long A&E waits and, through handover delays,
 * into slow ambulance responses.
 *
 * Wards: general and acute (adult and paediatric) wards with core beds, escalation beds opened
 * when patients are waiting and closed when they are empty again, and critical care (outside
 * G&A, not simulated in detail). Inpatients come from A&E, directly (GP and same-day emergency
 * care) and electively; after their clinical stay, patients with a longer stay stop meeting the
 * criteria to reside and wait for discharge on a pathway: 0 home, 1-3 with community care
 * (community.c decides when that starts). Discharges follow the calibrated hour and weekday
 * shape. The levels and their sources are in calibration.h.
 */
#include "acute.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calibration.h"
#include "community.h"
#include "fifo.h"
#include "model.h"
#include "scenario.h"

/* ---- the trust's layout --------------------------------------------------------------------- */

struct site_def {
	const char *code, *name;
	double share;     /* of the trust's activity */
	int cubicles;     /* type 1 majors cubicles: crowding is measured against them */
	int adult_wards, adult_beds, paed_beds, icu_beds, esc_per_ward;
};

static const struct site_def sites[ACUTE_NSITES] = {
	{"NGH", "Northgate General Hospital", CAL_SITE_SHARE_NGH, 42, 15, 34, 26, 16, 2},
	{"SGH", "Southgate Hospital", 1 - CAL_SITE_SHARE_NGH, 28, 10, 31, 16, 8, 2},
};

enum bed_type { BED_ADULT_GA, BED_PAED_GA, BED_ICU };
static const char *const bed_type_name[] = {"adult_ga", "paediatric_ga", "adult_critical_care"};

struct ward {
	char code[16], name[48];
	int site;
	enum bed_type type;
	int core, core_open, esc_max, esc_open, occupied;
	bool changed;
};

/* ---- the patients ----------------------------------------------------------------------------- */

enum disposal { DISP_NONE, DISP_ADMITTED, DISP_DISCHARGED, DISP_REFERRED, DISP_TRANSFERRED, DISP_LEFT };
static const char *const disposal_name[] = {NULL, "admitted", "discharged", "referred", "transferred",
					    "left_before_treatment"};

struct attendance {
	int64_t id;
	int site, type, acuity;
	enum disposal disposal;
	bool ambulance, dirty, done, paediatric;
	int64_t arrived, triaged, seen, dta, departed;
};

enum source { SRC_ED, SRC_DIRECT, SRC_ELECTIVE };
static const char *const source_name[] = {"emergency_ed", "emergency_direct", "elective"};

struct spell {
	int64_t id, ed_id;
	int site, ward, pathway;
	enum source source;
	bool paediatric, nctr_path, dirty, done;
	double clinical_days;
	int64_t admitted, nctr, discharged;
};

/* A ward's beds at an hour of the warm-up: the partner's bed history before the first write. */
struct bed_snap {
	int ward, core_open, esc_open, occupied;
	int64_t at;
};

struct acute {
	struct ward *wards;
	int nwards;
	struct ptrvec att, spells;
	struct fifo bed_queue[ACUTE_NSITES];    /* attendances with a decision to admit */
	struct fifo direct_queue[ACUTE_NSITES]; /* direct admissions waiting (spells not yet in) */
	int in_dept_t1[ACUTE_NSITES];
	int64_t next_att_id, next_spell_id;
	int64_t last_heartbeat;
	struct rows r_site, r_ward, r_bed, r_att, r_spell;
	/* Hourly bed states from the warm-up, written with the first full write: without them the
	 * partner's bed_state table starts at the demo's start, and occupancy has no past for
	 * commcelld to backfill its history from. */
	struct bed_snap *hist;
	size_t nhist, cap_hist;
	bool hist_written;
};

/* ---- tables ------------------------------------------------------------------------------------- */

static const char *const site_cols[] = {"code", "name"};
static const struct table_def t_site = {"ops.site", site_cols, 2, "(code) DO NOTHING", NULL, 0};
static const char *const ward_cols[] = {"code", "site", "name", "bed_type"};
static const struct table_def t_ward = {"ops.ward", ward_cols, 4, "(code) DO NOTHING", NULL, 0};
static const char *const bed_cols[] = {"ward", "recorded_at", "core_beds_open", "escalation_beds_open",
				       "beds_occupied"};
static const char *const bed_time[] = {"recorded_at"};
static const struct table_def t_bed = {"ops.bed_state", bed_cols, 5, "(ward, recorded_at) DO NOTHING",
				       bed_time, 1};
static const char *const att_cols[] = {"id", "site", "department_type", "arrival_mode", "arrived_at",
				       "triaged_at", "acuity", "seen_at", "decided_to_admit_at",
				       "departed_at", "disposal"};
static const char *const att_time[] = {"arrived_at", "triaged_at", "seen_at", "decided_to_admit_at",
				       "departed_at"};
static const struct table_def t_att = {"ops.ed_attendance", att_cols, 11, "(id) DO UPDATE", att_time, 5};
static const char *const spell_cols[] = {"id", "site", "ward", "admitted_at", "admission_source",
					 "ed_attendance_id", "nctr_at", "discharge_pathway", "discharged_at"};
static const char *const spell_time[] = {"admitted_at", "nctr_at", "discharged_at"};
static const struct table_def t_spell = {"ops.inpatient_spell", spell_cols, 9, "(id) DO UPDATE",
					 spell_time, 3};

/* ---- helpers ------------------------------------------------------------------------------------- */

const char *acute_site_code(int site)
{
	return sites[site].code;
}

double acute_crowding(const struct world *w, int site)
{
	double ratio = (double)w->acute->in_dept_t1[site] / sites[site].cubicles;

	return ratio > 0.7 ? (ratio - 0.7) / 0.5 : 0;
}

/* The crowding that slows the department's own work: past 1, it works in corridors and its
 * waits stop growing with the crowd (while ambulances queue outside: ambulance.c uses the whole). */
static double ed_crowding(const struct world *w, int site)
{
	double crowd = acute_crowding(w, site);

	return crowd < 1.0 ? crowd : 1.0;
}

static double pressure(const struct world *w)
{
	return scenario_pressure(&w->sc, w->now);
}

static void ward_set_changed(struct ward *wd)
{
	wd->changed = true;
}

static int free_beds(const struct ward *wd)
{
	int n = wd->core_open + wd->esc_open - wd->occupied;

	return n > 0 ? n : 0;
}

/* The G&A ward with most free beds on the site for this patient (paediatric patients go to the
 * children's ward while it has room, else overflow to an adult ward), or -1. */
static int find_bed(const struct acute *a, int site, bool paediatric)
{
	int best = -1;

	if (paediatric) {
		for (int i = 0; i < a->nwards; i++)
			if (a->wards[i].site == site && a->wards[i].type == BED_PAED_GA && free_beds(&a->wards[i]))
				return i;
	}
	for (int i = 0; i < a->nwards; i++) {
		const struct ward *wd = &a->wards[i];
		if (wd->site != site || wd->type != BED_ADULT_GA || !free_beds(wd))
			continue;
		if (best < 0 || free_beds(wd) > free_beds(&a->wards[best]))
			best = i;
	}
	return best;
}

static struct attendance *new_attendance(struct world *w, int site, int type, bool ambulance)
{
	struct acute *a = w->acute;
	struct attendance *p = world_alloc(w, sizeof *p);

	if (!p || !ptrvec_push(w, &a->att, p)) {
		free(p);
		return NULL;
	}
	p->id = a->next_att_id++;
	p->site = site;
	p->type = type;
	p->ambulance = ambulance;
	p->arrived = w->now;
	p->dirty = true;
	/* triage category (Manchester 1-5): ambulance patients are sicker */
	static const double walkin_mix[5] = {0.01, 0.09, 0.40, 0.40, 0.10};
	static const double amb_mix[5] = {0.04, 0.26, 0.55, 0.14, 0.01};
	static const double utc_mix[5] = {0.0, 0.01, 0.14, 0.60, 0.25};
	const double *mix = type == 3 ? utc_mix : ambulance ? amb_mix : walkin_mix;
	p->acuity = 1 + rng_pick(&w->rng, mix, 5);
	p->paediatric = rng_bernoulli(&w->rng, 0.04);
	if (type == 1)
		a->in_dept_t1[site]++;
	return p;
}

/* ---- the emergency department ------------------------------------------------------------------- */

static void ed_triage(struct world *w, void *obj, int64_t arg);
static void ed_seen(struct world *w, void *obj, int64_t arg);
static void ed_decide_admit(struct world *w, void *obj, int64_t arg);
static void ed_depart(struct world *w, void *obj, int64_t arg);
static void try_admit(struct world *w, int site);
static void spell_admit(struct world *w, struct spell *s, int ward);

static void ed_arrive(struct world *w, struct attendance *p)
{
	double crowd = p->type == 1 ? ed_crowding(w, p->site) : 0;
	double mean = p->type == 1 ? 9 * (1 + crowd) : 7;

	if (p->acuity <= 2)
		mean = 3;
	world_at(w, w->now + mins(rng_exp(&w->rng, mean)), ed_triage, p, 0);
}

static void ed_triage(struct world *w, void *obj, int64_t arg)
{
	struct attendance *p = obj;
	(void)arg;
	p->triaged = w->now;
	p->dirty = true;
	double crowd = p->type == 1 ? ed_crowding(w, p->site) : 0;
	/* time to be seen by a clinician: the sickest at once, the rest wait longer when crowded */
	static const double urgency[5] = {0.1, 0.3, 1.0, 1.3, 1.4};
	double median = (p->type == 1 ? 40 : 25) * urgency[p->acuity - 1] * (1 + 1.2 * crowd);
	double wait = rng_lognormal(&w->rng, median, 0.75);
	/* a few walk away before being seen, more when the wait is long */
	if (p->acuity >= 3 && rng_bernoulli(&w->rng, 0.015 + 0.01 * wait / 60)) {
		p->disposal = DISP_LEFT;
		world_at(w, w->now + mins(wait * rng_uniform(&w->rng)), ed_depart, p, 0);
		return;
	}
	world_at(w, w->now + mins(wait), ed_seen, p, 0);
}

static double admit_probability(const struct world *w, const struct attendance *p)
{
	double winter = 1 + (CAL_ADMIT_WINTER_FACTOR - 1) * pressure(w);

	if (p->type == 3)
		return CAL_ADMIT_TYPE3 * winter;
	/* about 30% of type 1 arrivals come by ambulance and are admitted more than twice as often;
	 * 0.3 x 0.50 + 0.7 x 0.213 = CAL_ADMIT_TYPE1. Within each, sicker patients are admitted more
	 * (the weights average 1 over each arrival mode's triage mix). */
	double pr = p->ambulance ? 0.50 : 0.213;
	static const double by_acuity[5] = {2.2, 1.6, 1.05, 0.5, 0.2};
	return pr * by_acuity[p->acuity - 1] / (p->ambulance ? 1.154 : 0.806) * winter;
}

static void ed_seen(struct world *w, void *obj, int64_t arg)
{
	struct attendance *p = obj;
	(void)arg;
	p->seen = w->now;
	p->dirty = true;
	if (rng_bernoulli(&w->rng, admit_probability(w, p))) {
		/* investigations and specialist review before the decision to admit */
		double median = p->type == 1 ? 85 : 60;
		world_at(w, w->now + mins(rng_lognormal(&w->rng, median, 0.6)), ed_decide_admit, p, 0);
		return;
	}
	double crowd = p->type == 1 ? ed_crowding(w, p->site) : 0;
	double median = (p->type == 1 ? 84 * (1 + CAL_T1_TREAT_WINTER * pressure(w)) : 30) * (1 + 0.4 * crowd);
	double r = rng_uniform(&w->rng);
	p->disposal = r < 0.86 ? DISP_DISCHARGED : r < 0.97 ? DISP_REFERRED : DISP_TRANSFERRED;
	world_at(w, w->now + mins(rng_lognormal(&w->rng, median, 0.75)), ed_depart, p, 0);
}

static void ed_decide_admit(struct world *w, void *obj, int64_t arg)
{
	struct attendance *p = obj;
	(void)arg;
	p->dta = w->now;
	p->dirty = true;
	if (!fifo_push(&w->acute->bed_queue[p->site], p)) {
		w->failed = true;
		return;
	}
	try_admit(w, p->site);
}

static void ed_depart(struct world *w, void *obj, int64_t arg)
{
	struct attendance *p = obj;
	struct acute *a = w->acute;

	p->departed = w->now;
	p->dirty = true;
	p->done = true;
	if (p->type == 1)
		a->in_dept_t1[p->site]--;
	if (p->disposal == DISP_ADMITTED) {
		/* arg: the ward whose bed was held for the patient */
		struct spell *s = world_alloc(w, sizeof *s);
		if (!s || !ptrvec_push(w, &a->spells, s)) {
			free(s);
			return;
		}
		s->source = SRC_ED;
		s->ed_id = p->id;
		s->site = p->site;
		s->paediatric = p->paediatric;
		spell_admit(w, s, (int)arg);
	}
}

/* ---- beds ----------------------------------------------------------------------------------------- */

static void spell_fit(struct world *w, void *obj, int64_t arg);
static void spell_discharge(struct world *w, void *obj, int64_t arg);

/* The patient takes a bed on the ward (already counted as occupied when it was held). */
static void spell_admit(struct world *w, struct spell *s, int ward)
{
	struct acute *a = w->acute;
	/* winter patients are older and frailer: a little longer in hospital (an assumption) */
	double p = 1 + 0.03 * pressure(w);

	s->id = a->next_spell_id++;
	s->ward = ward;
	s->admitted = w->now;
	s->dirty = true;
	switch (s->source) {
	case SRC_ED:
		s->clinical_days = rng_lognormal(&w->rng, 3.05 * p, 1.0);
		break;
	case SRC_DIRECT:
		s->clinical_days = rng_lognormal(&w->rng, 2.1 * p, 1.0);
		break;
	case SRC_ELECTIVE:
		s->clinical_days = rng_lognormal(&w->rng, 1.2, 0.7);
		break;
	}
	/* the longer stays go on to wait for discharge without meeting the criteria to reside */
	s->nctr_path = s->source != SRC_ELECTIVE && s->clinical_days >= 2.25;
	world_at(w, w->now + days(s->clinical_days), spell_fit, s, 0);
}

/* Serve the site's queues while it has beds: decisions to admit in A&E first, then direct
 * admissions. A held bed counts as occupied from the moment it is allocated. */
static void try_admit(struct world *w, int site)
{
	struct acute *a = w->acute;

	for (;;) {
		struct attendance *p = fifo_peek(&a->bed_queue[site]);
		if (!p)
			break;
		int ward = find_bed(a, site, p->paediatric);
		if (ward < 0)
			return;
		fifo_pop(&a->bed_queue[site]);
		a->wards[ward].occupied++;
		ward_set_changed(&a->wards[ward]);
		p->disposal = DISP_ADMITTED;
		/* porter, handover to the ward */
		world_at(w, w->now + mins(rng_lognormal(&w->rng, 30, 0.4)), ed_depart, p, ward);
	}
	for (;;) {
		struct spell *s = fifo_peek(&a->direct_queue[site]);
		if (!s)
			break;
		int ward = find_bed(a, site, s->paediatric);
		if (ward < 0)
			return;
		fifo_pop(&a->direct_queue[site]);
		a->wards[ward].occupied++;
		ward_set_changed(&a->wards[ward]);
		spell_admit(w, s, ward);
	}
}

static void spell_ready(struct world *w, struct spell *s, int64_t ready)
{
	world_at(w, discharge_time_after(&w->rng, ready), spell_discharge, s, 0);
}

static void spell_fit(struct world *w, void *obj, int64_t arg)
{
	struct spell *s = obj;
	(void)arg;
	if (!s->nctr_path) {
		/* discharged on the day they are well, no delay to speak of */
		spell_ready(w, s, w->now);
		return;
	}
	s->nctr = w->now;
	s->dirty = true;
	static const double mix[4] = {0.55, 0.33, 0.08, 0.04};
	s->pathway = rng_pick(&w->rng, mix, 4);
	if (s->pathway == 0) {
		/* home without new support: medicines, transport, the discharge letter */
		spell_ready(w, s, w->now + hours(rng_exp(&w->rng, 5)));
		return;
	}
	community_request_for_spell(w, s, s->pathway);
}

void acute_package_started(struct world *w, void *spell)
{
	struct spell *s = spell;

	spell_ready(w, s, w->now + mins(rng_exp(&w->rng, 90)));
}

static void spell_discharge(struct world *w, void *obj, int64_t arg)
{
	struct spell *s = obj;
	struct acute *a = w->acute;
	(void)arg;
	s->discharged = w->now;
	s->dirty = true;
	s->done = true;
	struct ward *wd = &a->wards[s->ward];
	wd->occupied--;
	ward_set_changed(wd);
	try_admit(w, s->site);
}

/* ---- arrival streams ------------------------------------------------------------------------------- */

/* arg: site * 4 + stream (0 type 1 walk-in, 1 type 3, 2 direct admission, 3 elective) */
static double stream_per_day(int site, int stream)
{
	double share = sites[site].share;
	/* walk-ins: type 1 attendances less those brought by ambulance (ambulance.c brings them) */
	double type1_walkin = CAL_TYPE1_PER_DAY * (1 - 0.30);

	switch (stream) {
	case 0: return type1_walkin * share;
	case 1: return CAL_TYPE1_PER_DAY * CAL_TYPE3_PER_TYPE1 * share;
	case 2: return 30 * share;
	default: return 28 * share; /* electives on weekdays (20 a day over the week) */
	}
}

static void stream_arrival(struct world *w, void *obj, int64_t arg);

static void stream_schedule(struct world *w, int64_t arg, int64_t from)
{
	int site = (int)(arg / 4), stream = (int)(arg % 4);
	int64_t next;

	if (stream == 3) {
		/* electives come in on weekday mornings: 07:00-11:00, evenly */
		int64_t t = from;
		for (;;) {
			t += (int64_t)(rng_exp(&w->rng, 1.0 / (stream_per_day(site, 3) * 6)) * (double)US_PER_DAY) + 1;
			struct civil c = civil_time(t);
			if (c.weekday < 5 && c.hour >= 7 && c.hour < 11)
				break;
		}
		next = t;
	} else {
		next = poisson_next(&w->rng, from, stream_per_day(site, stream), 1, shape_ed, SHAPE_ED_MAX);
	}
	world_at(w, next, stream_arrival, w->acute, arg);
}

static void stream_arrival(struct world *w, void *obj, int64_t arg)
{
	struct acute *a = obj;
	int site = (int)(arg / 4), stream = (int)(arg % 4);

	stream_schedule(w, arg, w->now);
	if (stream <= 1) {
		struct attendance *p = new_attendance(w, site, stream == 0 ? 1 : 3, false);
		if (p)
			ed_arrive(w, p);
		return;
	}
	struct spell *s = world_alloc(w, sizeof *s);
	if (!s || !ptrvec_push(w, &a->spells, s)) {
		free(s);
		return;
	}
	s->site = site;
	s->source = stream == 2 ? SRC_DIRECT : SRC_ELECTIVE;
	s->paediatric = rng_bernoulli(&w->rng, stream == 2 ? 0.06 : 0.03);
	if (s->source == SRC_ELECTIVE) {
		int ward = find_bed(a, site, s->paediatric);
		if (ward < 0) {
			/* no bed: the operation is cancelled; the spell never starts */
			s->done = true;
			return;
		}
		a->wards[ward].occupied++;
		ward_set_changed(&a->wards[ward]);
		spell_admit(w, s, ward);
		return;
	}
	if (!fifo_push(&a->direct_queue[site], s)) {
		w->failed = true;
		return;
	}
	try_admit(w, site);
}

void acute_ambulance_arrival(struct world *w, int site, int64_t arrived)
{
	struct attendance *p = new_attendance(w, site, 1, true);

	if (!p)
		return;
	p->arrived = arrived;
	ed_arrive(w, p);
}

/* ---- escalation, bed closures, the hourly bed state ------------------------------------------------ */

/* Every 30 minutes: open escalation beds while patients wait for a bed with none free; close
 * empty ones when the queue is gone and core beds are free again. Each morning at 08:00 a few
 * core beds may be closed in winter (infection control), as the sitreps report. */
static void bed_management(struct world *w, void *obj, int64_t arg)
{
	struct acute *a = obj;
	(void)arg;
	world_at(w, w->now + mins(30), bed_management, a, 0);
	for (int site = 0; site < ACUTE_NSITES; site++) {
		int waiting = (int)a->bed_queue[site].n + (int)a->direct_queue[site].n;
		int free_core = 0;
		for (int i = 0; i < a->nwards; i++) {
			struct ward *wd = &a->wards[i];
			if (wd->site == site && wd->type == BED_ADULT_GA)
				free_core += free_beds(wd);
		}
		if (waiting >= 3 && free_core == 0) {
			int to_open = waiting < 8 ? waiting : 8;
			for (int i = 0; i < a->nwards && to_open > 0; i++) {
				struct ward *wd = &a->wards[i];
				if (wd->site != site || wd->type != BED_ADULT_GA || wd->esc_open >= wd->esc_max)
					continue;
				wd->esc_open++;
				to_open--;
				ward_set_changed(wd);
			}
			try_admit(w, site);
		} else if (waiting == 0 && free_core >= 10) {
			for (int i = 0; i < a->nwards; i++) {
				struct ward *wd = &a->wards[i];
				if (wd->site != site || !wd->esc_open)
					continue;
				int empty = wd->core_open + wd->esc_open - wd->occupied;
				int close = empty < wd->esc_open ? empty : wd->esc_open;
				if (close > 0) {
					wd->esc_open -= close;
					ward_set_changed(wd);
				}
			}
		}
	}
	struct civil c = civil_time(w->now);
	if (c.hour >= 8 && c.hour < 8.5) {
		double p = pressure(w);
		for (int i = 0; i < a->nwards; i++) {
			struct ward *wd = &a->wards[i];
			if (wd->type == BED_ICU) {
				/* critical care: outside G&A, a plausible occupancy for the bed state */
				int occ = (int)lround(wd->core * (0.8 + 0.15 * rng_uniform(&w->rng) + 0.05 * p));
				wd->occupied = occ < wd->core ? occ : wd->core;
				ward_set_changed(wd);
				continue;
			}
			int closed = rng_bernoulli(&w->rng, 0.05 + 0.25 * p) ? 1 + (int)(rng_uniform(&w->rng) * 4) : 0;
			int open = wd->core - closed;
			/* an occupied bed is not closed under its patient */
			if (open < wd->occupied - wd->esc_open)
				open = wd->occupied - wd->esc_open < wd->core ? wd->occupied - wd->esc_open : wd->core;
			if (wd->core_open != open) {
				wd->core_open = open;
				ward_set_changed(wd);
			}
		}
	}
}

/* ---- set-up ------------------------------------------------------------------------------------------ */

struct acute *acute_new(struct world *w)
{
	struct acute *a = world_alloc(w, sizeof *a);
	if (!a)
		return NULL;
	int n = 0;
	for (int s = 0; s < ACUTE_NSITES; s++)
		n += sites[s].adult_wards + 2;
	a->wards = world_alloc(w, (size_t)n * sizeof *a->wards);
	if (!a->wards) {
		free(a);
		return NULL;
	}
	for (int s = 0; s < ACUTE_NSITES; s++) {
		const struct site_def *sd = &sites[s];
		for (int i = 0; i < sd->adult_wards + 2; i++) {
			struct ward *wd = &a->wards[a->nwards++];
			wd->site = s;
			if (i < sd->adult_wards) {
				wd->type = BED_ADULT_GA;
				wd->core = sd->adult_beds;
				wd->esc_max = sd->esc_per_ward;
				snprintf(wd->code, sizeof wd->code, "%s-W%02d", sd->code, i + 1);
				snprintf(wd->name, sizeof wd->name, "%s ward %d", sd->code, i + 1);
			} else if (i == sd->adult_wards) {
				wd->type = BED_PAED_GA;
				wd->core = sd->paed_beds;
				snprintf(wd->code, sizeof wd->code, "%s-PAED", sd->code);
				snprintf(wd->name, sizeof wd->name, "%s children's ward", sd->code);
			} else {
				wd->type = BED_ICU;
				wd->core = sd->icu_beds;
				wd->occupied = sd->icu_beds * 8 / 10;
				snprintf(wd->code, sizeof wd->code, "%s-ICU", sd->code);
				snprintf(wd->name, sizeof wd->name, "%s critical care", sd->code);
			}
			wd->core_open = wd->core;
			wd->changed = true;
		}
	}
	a->next_att_id = 1;
	a->next_spell_id = 1;
	rows_init(&a->r_site, &t_site);
	rows_init(&a->r_ward, &t_ward);
	rows_init(&a->r_bed, &t_bed);
	rows_init(&a->r_att, &t_att);
	rows_init(&a->r_spell, &t_spell);
	return a;
}

static void bed_history(struct world *w, void *obj, int64_t arg)
{
	struct acute *a = obj;

	(void)arg;
	if (a->hist_written)
		return;  /* live writes keep the history from here on (hourly heartbeat) */
	/* bounded: what has passed retention would not be written anyway (acute may not be one
	 * of the partners written, and then this runs for as long as the simulator does) */
	size_t old = 0;
	while (old < a->nhist && a->hist[old].at < w->expire_before)
		old++;
	if (old) {
		memmove(a->hist, a->hist + old, (a->nhist - old) * sizeof *a->hist);
		a->nhist -= old;
	}
	if (a->nhist + (size_t)a->nwards > a->cap_hist) {
		size_t cap = a->cap_hist ? a->cap_hist * 2 : 64 * (size_t)a->nwards;
		struct bed_snap *v = realloc(a->hist, cap * sizeof *v);
		if (!v)
			return;  /* out of memory: the history starts later, nothing else is lost */
		a->hist = v;
		a->cap_hist = cap;
	}
	for (int i = 0; i < a->nwards; i++) {
		const struct ward *wd = &a->wards[i];
		a->hist[a->nhist++] = (struct bed_snap){ i, wd->core_open, wd->esc_open, wd->occupied,
							 w->now };
	}
	world_at(w, w->now + US_PER_H, bed_history, a, 0);
}

void acute_start(struct world *w)
{
	struct acute *a = w->acute;

	for (int site = 0; site < ACUTE_NSITES; site++)
		for (int stream = 0; stream < 4; stream++)
			stream_schedule(w, site * 4 + stream, w->now);
	world_at(w, w->now + mins(30), bed_management, a, 0);
	world_at(w, w->now + US_PER_H, bed_history, a, 0);
	a->last_heartbeat = w->now;
}

void acute_free(struct acute *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->att.n; i++)
		free(a->att.v[i]);
	for (size_t i = 0; i < a->spells.n; i++)
		free(a->spells.v[i]);
	/* spells still queued for a bed are in spells too */
	ptrvec_free(&a->att);
	ptrvec_free(&a->spells);
	for (int s = 0; s < ACUTE_NSITES; s++) {
		fifo_free(&a->bed_queue[s]);
		fifo_free(&a->direct_queue[s]);
	}
	rows_free(&a->r_site);
	rows_free(&a->r_ward);
	rows_free(&a->r_bed);
	rows_free(&a->r_att);
	rows_free(&a->r_spell);
	free(a->hist);
	free(a->wards);
	free(a);
}

/* ---- writing ------------------------------------------------------------------------------------------ */

static bool att_expired(const struct world *w, const struct attendance *p)
{
	return p->done && p->departed < w->expire_before;
}

static bool spell_expired(const struct world *w, const struct spell *s)
{
	return s->done && (!s->admitted || s->discharged < w->expire_before);
}

static void att_row(const struct world *w, struct rows *r, const struct attendance *p)
{
	const struct simclock *c = &w->clock;

	rows_int(r, p->id);
	rows_text(r, sites[p->site].code);
	rows_int(r, p->type);
	rows_text(r, p->ambulance ? "ambulance" : "walk_in");
	rows_time(r, c, p->arrived);
	rows_time(r, c, p->triaged);
	if (p->triaged)
		rows_int(r, p->acuity);
	else
		rows_null(r);
	rows_time(r, c, p->seen);
	rows_time(r, c, p->dta);
	rows_time(r, c, p->departed);
	rows_text(r, p->departed ? disposal_name[p->disposal] : NULL);
}

static void spell_row(const struct world *w, struct rows *r, const struct spell *s)
{
	const struct simclock *c = &w->clock;
	const struct acute *a = w->acute;

	rows_int(r, s->id);
	rows_text(r, sites[s->site].code);
	rows_text(r, a->wards[s->ward].code);
	rows_time(r, c, s->admitted);
	rows_text(r, source_name[s->source]);
	if (s->source == SRC_ED)
		rows_int(r, s->ed_id);
	else
		rows_null(r);
	rows_time(r, c, s->nctr);
	if (s->nctr)
		rows_int(r, s->pathway);
	else
		rows_null(r);
	rows_time(r, c, s->discharged);
}

static void bed_row(const struct world *w, struct rows *r, const struct ward *wd)
{
	rows_text(r, wd->code);
	rows_time(r, &w->clock, w->now);
	rows_int(r, wd->core_open);
	rows_int(r, wd->esc_open);
	rows_int(r, wd->occupied);
}

static bool acute_write(struct world *w, struct partner_db *db, bool full)
{
	struct acute *a = w->acute;
	bool heartbeat = w->now - a->last_heartbeat >= US_PER_H;

	rows_reset(&a->r_site);
	rows_reset(&a->r_ward);
	rows_reset(&a->r_bed);
	rows_reset(&a->r_att);
	rows_reset(&a->r_spell);
	if (full) {
		for (int s = 0; s < ACUTE_NSITES; s++) {
			rows_text(&a->r_site, sites[s].code);
			rows_text(&a->r_site, sites[s].name);
		}
		for (int i = 0; i < a->nwards; i++) {
			const struct ward *wd = &a->wards[i];
			rows_text(&a->r_ward, wd->code);
			rows_text(&a->r_ward, sites[wd->site].code);
			rows_text(&a->r_ward, wd->name);
			rows_text(&a->r_ward, bed_type_name[wd->type]);
		}
	}
	for (int i = 0; i < a->nwards; i++)
		if (full || heartbeat || a->wards[i].changed)
			bed_row(w, &a->r_bed, &a->wards[i]);
	if (full && !a->hist_written) {
		for (size_t i = 0; i < a->nhist; i++) {
			const struct bed_snap *b = &a->hist[i];
			if (b->at < w->expire_before)
				continue;
			rows_text(&a->r_bed, a->wards[b->ward].code);
			rows_time(&a->r_bed, &w->clock, b->at);
			rows_int(&a->r_bed, b->core_open);
			rows_int(&a->r_bed, b->esc_open);
			rows_int(&a->r_bed, b->occupied);
		}
	}

	int64_t *gone = NULL;
	size_t ngone = 0;
	if (!full) {
		gone = malloc((a->att.n + a->spells.n + 1) * sizeof *gone);
		if (!gone) {
			pdb_fail(db, "acute", "out of memory");
			return false;
		}
	}
	for (size_t i = 0; i < a->att.n; i++) {
		const struct attendance *p = a->att.v[i];
		if (att_expired(w, p)) {
			if (!full)
				gone[ngone++] = p->id;
		} else if (full || p->dirty) {
			att_row(w, &a->r_att, p);
		}
	}
	bool ok = pdb_write_rows(db, &a->r_site) && pdb_write_rows(db, &a->r_ward) &&
		  pdb_write_rows(db, &a->r_bed) && pdb_write_rows(db, &a->r_att) &&
		  (full || pdb_delete_ids(db, "ops.ed_attendance", gone, ngone));
	if (ok && full && !a->hist_written) {
		a->hist_written = true;
		free(a->hist);
		a->hist = NULL;
		a->nhist = a->cap_hist = 0;
	}
	ngone = 0;
	for (size_t i = 0; ok && i < a->spells.n; i++) {
		const struct spell *s = a->spells.v[i];
		if (!s->admitted)
			continue;
		if (spell_expired(w, s)) {
			if (!full)
				gone[ngone++] = s->id;
		} else if (full || s->dirty) {
			spell_row(w, &a->r_spell, s);
		}
	}
	ok = ok && pdb_write_rows(db, &a->r_spell) &&
	     (full || pdb_delete_ids(db, "ops.inpatient_spell", gone, ngone));
	free(gone);
	if (ok && !full) {
		/* bed states past retention; every ward has a newer one (at least hourly) */
		char cutoff[48];
		format_utc(cutoff, sizeof cutoff, simclock_stored(&w->clock, w->expire_before));
		const char *params[] = {cutoff};
		ok = pdb_exec(db, "DELETE FROM ops.bed_state WHERE recorded_at < $1", 1, params);
	}
	return ok;
}

static void acute_settle(struct world *w)
{
	struct acute *a = w->acute;
	size_t j = 0;

	if (w->now - a->last_heartbeat >= US_PER_H)
		a->last_heartbeat = w->now;
	for (int i = 0; i < a->nwards; i++)
		a->wards[i].changed = false;
	for (size_t i = 0; i < a->att.n; i++) {
		struct attendance *p = a->att.v[i];
		if (att_expired(w, p)) {
			free(p);
			continue;
		}
		p->dirty = false;
		a->att.v[j++] = p;
	}
	a->att.n = j;
	j = 0;
	for (size_t i = 0; i < a->spells.n; i++) {
		struct spell *s = a->spells.v[i];
		if (spell_expired(w, s)) {
			free(s);
			continue;
		}
		s->dirty = false;
		a->spells.v[j++] = s;
	}
	a->spells.n = j;
}

static const struct table_def *const acute_shifted[] = {&t_bed, &t_att, &t_spell};

const struct model acute_model = {
	.kind = "acute",
	.truncate_sql = "TRUNCATE ops.bed_state, ops.ed_attendance, ops.inpatient_spell, ops.ward, ops.site",
	.shifted = acute_shifted,
	.nshifted = 3,
	.write = acute_write,
	.settle = acute_settle,
};

/* ---- the dry-run report ----------------------------------------------------------------------------- */

static int64_t local_midnight(int64_t t)
{
	struct civil c = civil_time(t);

	return t - (int64_t)(c.hour * (double)US_PER_H);
}

void acute_report(const struct world *w, struct acute_report *r)
{
	const struct acute *a = w->acute;
	int64_t midnight = local_midnight(w->now);
	int n_all[ACUTE_NSITES + 1] = {0}, ok_all[ACUTE_NSITES + 1] = {0};
	int n_t1[ACUTE_NSITES + 1] = {0}, ok_t1[ACUTE_NSITES + 1] = {0};

	memset(r, 0, sizeof *r);
	for (size_t i = 0; i < a->att.n; i++) {
		const struct attendance *p = a->att.v[i];
		if (!p->departed) {
			r->in_dept[p->site]++;
			if (p->dta)
				r->dta_waiting[p->site]++;
			if (w->now - p->arrived > 12 * US_PER_H)
				r->over_12h[p->site]++;
		}
		if (p->arrived > w->now - US_PER_H)
			r->arrivals_last_hour[p->site]++;
		if (p->departed >= midnight) {
			bool ok = p->departed - p->arrived <= 4 * US_PER_H;
			for (int k = 0; k < 2; k++) {
				int s = k ? ACUTE_NSITES : p->site;
				n_all[s]++;
				ok_all[s] += ok;
				if (p->type == 1) {
					n_t1[s]++;
					ok_t1[s] += ok;
				}
			}
		}
	}
	for (int s = 0; s <= ACUTE_NSITES; s++) {
		r->perf_all[s] = n_all[s] ? 100.0 * ok_all[s] / n_all[s] : NAN;
		r->perf_t1[s] = n_t1[s] ? 100.0 * ok_t1[s] / n_t1[s] : NAN;
	}
	int occ[ACUTE_NSITES + 1] = {0}, avail[ACUTE_NSITES + 1] = {0};
	for (int i = 0; i < a->nwards; i++) {
		const struct ward *wd = &a->wards[i];
		if (wd->type == BED_ICU)
			continue;
		occ[wd->site] += wd->occupied;
		avail[wd->site] += wd->core_open + wd->esc_open;
		occ[ACUTE_NSITES] += wd->occupied;
		avail[ACUTE_NSITES] += wd->core_open + wd->esc_open;
		r->escalation_open += wd->esc_open;
	}
	for (int s = 0; s <= ACUTE_NSITES; s++)
		r->occupancy[s] = avail[s] ? 100.0 * occ[s] / avail[s] : NAN;
	r->occupied = occ[ACUTE_NSITES];
	r->available = avail[ACUTE_NSITES];
	for (size_t i = 0; i < a->spells.n; i++) {
		const struct spell *s = a->spells.v[i];
		if (!s->nctr)
			continue;
		if (!s->discharged) {
			r->nctr_remaining++;
			r->nctr_today++;
		} else if (s->discharged >= midnight) {
			r->discharges_today++;
			r->nctr_today++;
		}
	}
}
