#include "scenario.h"

#include <string.h>

#include "calibration.h"
#include "simclock.h"

double scenario_pressure(const struct scenario *s, int64_t t)
{
	const double base = CAL_PRESSURE_ORDINARY_WINTER;

	if (s->kind != SCENARIO_WINTER)
		return base;
	if (t <= s->ramp_start)
		return s->ramp_us > 0 ? base : 1;
	if (s->ramp_us <= 0 || t - s->ramp_start >= s->ramp_us)
		return 1;
	return base + (1 - base) * (double)(t - s->ramp_start) / (double)s->ramp_us;
}

bool scenario_parse(const char *name, enum scenario_kind *out)
{
	if (strcmp(name, "normal") == 0)
		*out = SCENARIO_NORMAL;
	else if (strcmp(name, "winter") == 0)
		*out = SCENARIO_WINTER;
	else
		return false;
	return true;
}

const char *scenario_name(enum scenario_kind k)
{
	return k == SCENARIO_WINTER ? "winter" : "normal";
}

static double mean_of(const double *v, int n)
{
	double s = 0;

	for (int i = 0; i < n; i++)
		s += v[i];
	return s / n;
}

/* Linear interpolation in an hourly table, divided by the table's mean. */
static double hourly(const double *table, double hour)
{
	int h = (int)hour;
	double f = hour - h;

	h %= 24;
	return (table[h] * (1 - f) + table[(h + 1) % 24] * f) / mean_of(table, 24);
}

double shape_ed(int64_t t)
{
	struct civil c = civil_time(t);

	return hourly(cal_hour_ed, c.hour) * cal_weekday_ed[c.weekday] / mean_of(cal_weekday_ed, 7) *
	       cal_month_factor[c.month - 1];
}

double shape_111(int64_t t)
{
	struct civil c = civil_time(t);

	return hourly(cal_hour_111, c.hour) * cal_weekday_111[c.weekday] / mean_of(cal_weekday_111, 7);
}

double shape_discharge(int64_t t)
{
	struct civil c = civil_time(t);

	return hourly(cal_hour_discharge, c.hour) * cal_weekday_discharge[c.weekday] /
	       mean_of(cal_weekday_discharge, 7);
}

double shape_peak(double (*shape)(int64_t), int64_t t)
{
	double peak = 0;

	for (int i = 0; i < 366 * 24 * 4; i++) {
		double v = shape(t + (int64_t)i * 15 * US_PER_MIN);
		if (v > peak)
			peak = v;
	}
	return peak;
}

int64_t poisson_next(struct rng *r, int64_t t, double per_day, double factor,
		     double (*shape)(int64_t), double shape_max)
{
	double peak = per_day * factor * shape_max; /* arrivals a day at the busiest moment */

	if (peak <= 0)
		return t + US_PER_DAY;
	for (int i = 0; i < 10000; i++) {
		t += (int64_t)(rng_exp(r, 1.0 / peak) * (double)US_PER_DAY) + 1;
		if (rng_uniform(r) * shape_max <= shape(t))
			return t;
	}
	return t;
}

int64_t discharge_time_after(struct rng *r, int64_t t)
{
	/* candidate moments every ~20 minutes, kept with probability shape / max */
	for (int i = 0; i < 100000; i++) {
		if (rng_uniform(r) * SHAPE_DISCHARGE_MAX <= shape_discharge(t))
			return t;
		t += (int64_t)(rng_exp(r, 20.0) * (double)US_PER_MIN) + 1;
	}
	return t;
}
