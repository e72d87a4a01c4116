/* The simulated world: the clock, the agenda, the random stream, the scenario and the five
 * partner models, which call each other where patients move between organisations (ambulance
 * to A&E, hospital to community care and back). */
#ifndef SIM_WORLD_H
#define SIM_WORLD_H

#include <stdbool.h>
#include <stdint.h>

#include "eventq.h"
#include "rng.h"
#include "scenario.h"
#include "simclock.h"

struct acute;
struct ambulance;
struct iuc;
struct community;
struct mhealth;


struct world {
	struct simclock clock;
	struct eventq q;
	struct rng rng;
	struct scenario sc;
	int64_t now;           /* simulated time of the event being run */
	int64_t expire_before; /* finished entities older than this are dropped (set per tick) */
	/* How long finished rows stay in the partners' tables (and entities in memory): at least
	 * as long as commcelld may backfill history from them (backfill_days). */
	int64_t retention_us;
	bool failed;           /* out of memory: stop */
	struct acute *acute;
	struct ambulance *amb;
	struct iuc *iuc;
	struct community *comm;
	struct mhealth *mh;
};

/* Schedule fn(w, obj, arg) at simulated time at (never before now). */
void world_at(struct world *w, int64_t at, event_fn fn, void *obj, int64_t arg);
/* Run every event due up to and including until; w->now ends at until. */
void world_run_until(struct world *w, int64_t until);
/* Allocate zeroed memory, or mark the world failed and return NULL. */
void *world_alloc(struct world *w, size_t size);

/* Durations in microseconds from minutes, hours, days (doubles from the random draws). */
static inline int64_t mins(double m) { return (int64_t)(m * 60e6); }
static inline int64_t hours(double h) { return (int64_t)(h * 3600e6); }
static inline int64_t days(double d) { return (int64_t)(d * 86400e6); }

/* A growable array of pointers: the entities a model holds. */
struct ptrvec {
	void **v;
	size_t n, cap;
};
bool ptrvec_push(struct world *w, struct ptrvec *p, void *x);
void ptrvec_free(struct ptrvec *p);

#endif
