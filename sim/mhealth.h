/* The mental health trust: crisis team referrals waiting for assessment, and adult acute
 * inpatient placements, out of area when no local bed is free. Writes ops.crisis_referral and
 * ops.placement (sql/partner-ops/mental_health.sql). */
#ifndef SIM_MHEALTH_H
#define SIM_MHEALTH_H

#include "world.h"

struct mhealth *mhealth_new(struct world *w);
void mhealth_start(struct world *w);
void mhealth_free(struct mhealth *m);

struct mhealth_report {
	int referrals_waiting, oaps_inappropriate, local_occupied;
};
void mhealth_report(const struct world *w, struct mhealth_report *r);

#endif
