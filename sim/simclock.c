#include "simclock.h"

#include <stdio.h>
#include <time.h>

int64_t wall_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * US_PER_S + ts.tv_nsec / 1000;
}

void simclock_start(struct simclock *c, double speed, int64_t real_now)
{
	c->speed = speed < 1 ? 1 : speed;
	c->real_start = real_now;
	c->now = real_now;
	c->offset = 0;
}

int64_t simclock_advance(struct simclock *c, int64_t real_now)
{
	int64_t elapsed = real_now - c->real_start;
	if (elapsed < 0)
		elapsed = 0; /* the wall clock went back: hold still rather than run backwards */
	int64_t now = c->real_start + (int64_t)((double)elapsed * c->speed);
	if (now > c->now)
		c->now = now;
	/* never let a stored time pass the real now, even if the wall clock stepped back */
	int64_t offset = c->now - real_now;
	if (offset > c->offset)
		c->offset = offset;
	return c->now;
}

int64_t simclock_stored(const struct simclock *c, int64_t sim_us)
{
	return sim_us - c->offset;
}

void format_utc(char *buf, size_t size, int64_t us)
{
	time_t s = (time_t)(us / US_PER_S);
	long frac = (long)(us % US_PER_S);
	struct tm tm;

	if (frac < 0) {
		frac += US_PER_S;
		s--;
	}
	gmtime_r(&s, &tm);
	size_t n = strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(buf + n, size - n, ".%06ld+00", frac);
}

struct civil civil_time(int64_t sim_us)
{
	time_t s = (time_t)(sim_us / US_PER_S);
	struct tm tm;
	struct civil cv;

	localtime_r(&s, &tm);
	cv.hour = tm.tm_hour + tm.tm_min / 60.0 + tm.tm_sec / 3600.0;
	cv.weekday = (tm.tm_wday + 6) % 7;
	cv.month = tm.tm_mon + 1;
	cv.yday = tm.tm_yday;
	return cv;
}
