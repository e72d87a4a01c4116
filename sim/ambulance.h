/* The ambulance service: 999 incidents from call to clock stop, conveyance to one of the trust's
 * two emergency departments, and handover there. Writes ops.hospital and ops.incident
 * (sql/partner-ops/ambulance.sql). */
#ifndef SIM_AMBULANCE_H
#define SIM_AMBULANCE_H

#include "world.h"

struct ambulance *ambulance_new(struct world *w);
void ambulance_start(struct world *w);
void ambulance_free(struct ambulance *a);

struct ambulance_report {
	double mean_min[4], p90_min[4]; /* clock stopped in the last 24 h (NAN: none) */
	int over30[2], over60[2];       /* per hospital, arrived in the last 24 h */
	double crews_lost;              /* crews held at hospital beyond 15 min, last 6 h average */
};
void ambulance_report(const struct world *w, struct ambulance_report *r);

#endif
