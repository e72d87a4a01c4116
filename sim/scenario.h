/* The scenario (normal running, or a winter that builds up) and the shapes of demand through the
 * day, the week and the year that every arrival stream follows. */
#ifndef SIM_SCENARIO_H
#define SIM_SCENARIO_H

#include <stdbool.h>
#include <stdint.h>

#include "rng.h"

enum scenario_kind { SCENARIO_NORMAL, SCENARIO_WINTER };

struct scenario {
	enum scenario_kind kind;
	int64_t ramp_start; /* simulated time the winter pressure starts to build */
	int64_t ramp_us;    /* how long it takes to reach full pressure (0: at once) */
};

/* Winter pressure at simulated time t, on a scale from 0 (a summer day) to 1 (a hard winter such
 * as December 2022). Normal running is an ordinary winter day, CAL_PRESSURE_ORDINARY_WINTER
 * throughout; the winter scenario starts there, rises linearly to 1 from ramp_start over
 * ramp_us, and stays there. Every model turns it into its own effects (more admissions, slower
 * discharges, fewer ambulances free, ...). */
double scenario_pressure(const struct scenario *s, int64_t t);
bool scenario_parse(const char *name, enum scenario_kind *out);
const char *scenario_name(enum scenario_kind k);

/* Demand multipliers with a mean of 1: hour of day x weekday x month of the year (A&E and
 * ambulance), hour x weekday (NHS 111). And the relative chance of a discharge at t. */
double shape_ed(int64_t t);
double shape_111(int64_t t);
double shape_discharge(int64_t t);
#define SHAPE_ED_MAX 2.0
#define SHAPE_111_MAX 3.0
#define SHAPE_DISCHARGE_MAX 3.2

/* The largest value each shape takes over the year from t (hourly samples), to check the
 * *_MAX bounds that thinning relies on. */
double shape_peak(double (*shape)(int64_t), int64_t t);

/* The next arrival after t of a Poisson stream of per_day arrivals a day on average, shaped by
 * shape(t) (at most shape_max) and scaled by factor: thinning (Lewis and Shedler). */
int64_t poisson_next(struct rng *r, int64_t t, double per_day, double factor,
		     double (*shape)(int64_t), double shape_max);

/* The first moment at or after t when a ward would discharge: the hour-of-day and weekday
 * shape of discharges (calibration.h), by rejection. */
int64_t discharge_time_after(struct rng *r, int64_t t);

#endif
