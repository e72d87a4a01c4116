/* Community health and social care: requests for packages of care and community beds (from the
 * hospital for patients on discharge pathways 1-3, and from the community), started after a wait
 * that grows in winter; and the virtual ward, whose occupancy the provider's own system computes
 * and pushes as a ready value into commcell.observation. Writes ops.care_package_request
 * (sql/partner-ops/community.sql) and commcell.observation (sql/partner/001_observation.sql). */
#ifndef SIM_COMMUNITY_H
#define SIM_COMMUNITY_H

#include "world.h"

struct community *community_new(struct world *w);
void community_start(struct world *w);
void community_free(struct community *c);

/* The hospital asks for care so that an inpatient can leave on pathway 1-3; when it starts,
 * community calls acute_package_started(w, spell). */
void community_request_for_spell(struct world *w, void *spell, int pathway);

struct community_report {
	int awaited;
	double virtual_ward_occupancy;
};
void community_report(const struct world *w, struct community_report *r);

#endif
