/* The acute trust: two sites, each with a type 1 emergency department and an urgent treatment
 * centre (type 3), general and acute wards with escalation beds, and the inpatients from
 * admission to discharge. Writes ops.site, ops.ward, ops.bed_state, ops.ed_attendance and
 * ops.inpatient_spell (sql/partner-ops/acute.sql). */
#ifndef SIM_ACUTE_H
#define SIM_ACUTE_H

#include <stdint.h>

#include "world.h"

#define ACUTE_NSITES 2

struct acute *acute_new(struct world *w);
void acute_start(struct world *w); /* schedule the arrival streams from w->now */
void acute_free(struct acute *a);

const char *acute_site_code(int site);
/* An ambulance crew hands a patient over at site now (A&E type 1, arrival by ambulance). */
void acute_ambulance_arrival(struct world *w, int site, int64_t arrived);
/* How crowded the site's type 1 department is: 0 while it holds under 70% as many patients as it
 * has cubicles, 1 at 120%, and on. Handover delays follow it. */
double acute_crowding(const struct world *w, int site);
/* Community care for a patient waiting on discharge pathway 1-3 has started. */
void acute_package_started(struct world *w, void *spell);

/* Figures for the dry-run report, computed from memory the way the query feeds define them. */
struct acute_report {
	double perf_all[ACUTE_NSITES + 1], perf_t1[ACUTE_NSITES + 1]; /* since midnight; [2]: trust */
	int in_dept[ACUTE_NSITES], dta_waiting[ACUTE_NSITES], over_12h[ACUTE_NSITES];
	int arrivals_last_hour[ACUTE_NSITES];
	double occupancy[ACUTE_NSITES + 1];
	int escalation_open, nctr_today, nctr_remaining, discharges_today;
	int occupied, available;
};
void acute_report(const struct world *w, struct acute_report *r);

#endif
