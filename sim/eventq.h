/* The simulator's agenda: events in simulated time, earliest first (a binary heap). Events at the
 * same time run in the order they were scheduled. */
#ifndef SIM_EVENTQ_H
#define SIM_EVENTQ_H

#include <stddef.h>
#include <stdint.h>

struct world;
typedef void (*event_fn)(struct world *w, void *obj, int64_t arg);

struct event {
	int64_t at; /* simulated time, microseconds since the Unix epoch */
	uint64_t seq;
	event_fn fn;
	void *obj;
	int64_t arg;
};

struct eventq {
	struct event *heap;
	size_t n, cap;
	uint64_t next_seq;
};

void eventq_init(struct eventq *q);
void eventq_free(struct eventq *q);
/* Returns 0, or -1 when out of memory. */
int eventq_push(struct eventq *q, int64_t at, event_fn fn, void *obj, int64_t arg);
/* The earliest event's time, or INT64_MAX when there is none. */
int64_t eventq_next_at(const struct eventq *q);
/* Remove the earliest event into *out. Returns 0, or -1 when the agenda is empty. */
int eventq_pop(struct eventq *q, struct event *out);

#endif
