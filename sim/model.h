/* What every partner model offers the main loop: how to write its tables to the partner's
 * database, and how to settle after a tick. Each model simulates its organisation whether or not
 * its database is written (--partners), because patients cross between them. */
#ifndef SIM_MODEL_H
#define SIM_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#include "pgwriter.h"
#include "world.h"

struct model {
	const char *kind;            /* acute, ambulance, 111, community, mental_health */
	const char *truncate_sql;    /* empties the tables the simulator owns (resync) */
	const struct table_def *const *shifted; /* tables whose times move with the offset */
	int nshifted;
	/* Write into an open transaction: everything held (full) or what changed since the last
	 * tick, and delete what expired. false after pdb_fail. */
	bool (*write)(struct world *w, struct partner_db *db, bool full);
	/* After every tick, written or not: forget the changes, free what expired. */
	void (*settle)(struct world *w);
};

extern const struct model acute_model;
extern const struct model ambulance_model;
extern const struct model iuc_model;
extern const struct model community_model;
extern const struct model mhealth_model;

/* The model of a partner name (the name is also the kind; nhs111 is accepted for 111). */
const struct model *model_find(const char *name);
/* The i-th model (0-4), or NULL past the last. */
const struct model *model_at(size_t i);

#endif
