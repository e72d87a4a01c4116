/* Integrated urgent care: NHS 111 calls (queued, answered or abandoned) and out-of-hours cases
 * waiting for a clinical call-back. Writes ops.call and ops.ooh_case (sql/partner-ops/111.sql). */
#ifndef SIM_IUC_H
#define SIM_IUC_H

#include "world.h"

struct iuc *iuc_new(struct world *w);
void iuc_start(struct world *w);
void iuc_free(struct iuc *u);

struct iuc_report {
	int offered_last_hour, cases_waiting;
	double abandoned_pct, answered_60s_pct; /* last 4 hours (NAN: no calls) */
};
void iuc_report(const struct world *w, struct iuc_report *r);

#endif
