/* Simulated time and how it maps onto the wall clock.
 *
 * The simulation runs in simulated time (microseconds since the Unix epoch). During the warm-up
 * it runs as fast as it can through the days before the start; from the start on, simulated time
 * advances `speed` times faster than the wall clock.
 *
 * Rows written to the partners must never lie in the future, and the windows the metrics use
 * ("the last hour", "since midnight") must hold simulated hours. So the simulator's "now" is
 * anchored to the real now: a row's stored time is its simulated time minus the current offset,
 * offset = simulated now - real now, which grows by (speed - 1) x elapsed real time. Each time
 * the offset grows, every stored time of the simulator's rows is moved back by the growth
 * (pgwriter does that in the same transaction as the new rows), so stored times always keep
 * their simulated spacing and the newest rows are stamped with the real now. At --speed 1 the
 * offset stays 0 and nothing is moved.
 */
#ifndef SIM_SIMCLOCK_H
#define SIM_SIMCLOCK_H

#include <stddef.h>
#include <stdint.h>

struct simclock {
	double speed;        /* simulated seconds per real second, >= 1 */
	int64_t real_start;  /* wall clock (us) when live running began */
	int64_t now;         /* simulated now (us) */
	int64_t offset;      /* simulated now - real now (us), >= 0 */
};

int64_t wall_now_us(void);
/* Start live running at the wall clock time real_now, simulated now = real_now. */
void simclock_start(struct simclock *c, double speed, int64_t real_now);
/* Advance to the wall clock time real_now: sets and returns the simulated now. */
int64_t simclock_advance(struct simclock *c, int64_t real_now);
/* Stored time of a simulated time under the current offset. */
int64_t simclock_stored(const struct simclock *c, int64_t sim_us);
/* "YYYY-MM-DD HH:MM:SS.ffffff+00" for a stored (wall clock) time, in UTC. */
void format_utc(char *buf, size_t size, int64_t us);

/* Local civil time (Europe/London, set by the simulator at start) of a simulated time: the hour
 * as a fraction, the weekday (0 = Monday), the month (1-12). */
struct civil {
	double hour;
	int weekday;
	int month;
	int yday;
};
struct civil civil_time(int64_t sim_us);

#define US_PER_S 1000000LL
#define US_PER_MIN (60 * US_PER_S)
#define US_PER_H (3600 * US_PER_S)
#define US_PER_DAY (24 * US_PER_H)

#endif
