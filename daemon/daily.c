#include "daily.h"
#include "log.h"
#include "pgconn.h"
#include "util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EVERY_MS 60000
#define BACKLOG_DAYS 62
/* A day of a dense series is a few hundred thousand history rows: generous, but bounded. */
#define STATEMENT_TIMEOUT_MS 120000

struct cc_daily {
	struct cc_loop loop;
	char *conninfo;
	struct cc_pgconn *pc;      /* only while leading */
	bool leading, in_flight;
	int backlog;               /* days of the start-up refresh still to do, the oldest first */
	char last_error[256];      /* "" when the last round succeeded */
	uint64_t ok, failed;
	lws_sorted_usec_list_t sul;
};

static void step(struct cc_daily *d);

static void fired(lws_sorted_usec_list_t *sul)
{
	step(lws_container_of(sul, struct cc_daily, sul));
}

static void schedule(struct cc_daily *d, int ms)
{
	lws_sul_schedule(d->loop.ctx, 0, &d->sul, fired, (lws_usec_t)ms * LWS_US_PER_MS);
}

static void done(struct cc_pgconn *pc, PGresult *res, const char *err, void *arg)
{
	struct cc_daily *d = arg;

	(void)pc;
	(void)res;
	d->in_flight = false;
	if (!d->leading)
		return;
	if (err) {
		d->failed++;
		/* the same failure every minute is one line, not one a minute */
		if (strcmp(err, d->last_error)) {
			cc_warn("daily figures: refresh failed (retrying every %d s): %s",
				EVERY_MS / 1000, err);
			cc_strlcpy(d->last_error, err, sizeof d->last_error);
			if (!d->last_error[0])
				cc_strlcpy(d->last_error, "?", sizeof d->last_error);
		}
		schedule(d, EVERY_MS);
		return;
	}
	d->ok++;
	if (d->last_error[0]) {
		cc_info("daily figures: refreshing again");
		d->last_error[0] = '\0';
	}
	if (d->backlog > 0) {
		if (--d->backlog > 0) {
			step(d);
			return;
		}
		cc_info("daily figures: the last %d days refreshed; now today's every %d s",
			BACKLOG_DAYS, EVERY_MS / 1000);
	}
	schedule(d, EVERY_MS);
}

static void step(struct cc_daily *d)
{
	char offset[16];
	const char *params[1] = { offset };
	int rc;

	if (!d->leading || d->in_flight || !d->pc || cc_pgconn_state(d->pc) != CC_PG_READY)
		return;
	if (d->backlog > 0) {
		snprintf(offset, sizeof offset, "%d", d->backlog - 1);
		rc = cc_pgconn_query(d->pc,
				     "SELECT commcell.daily_refresh(x.day, x.day) FROM (SELECT "
				     "commcell.london_today() - $1::int AS day) x",
				     1, params, done, d);
	} else {
		/* yesterday as well in the first hour of the day, while rows written late (the
		 * recorder's backlog, the last polls before midnight) still reach it; later it is
		 * complete and reading it again every minute would double the cost */
		rc = cc_pgconn_query(d->pc,
				     "SELECT commcell.daily_refresh(CASE WHEN now() < "
				     "commcell.london_today()::timestamp AT TIME ZONE 'Europe/London' "
				     "+ interval '1 hour' THEN commcell.london_today() - 1 "
				     "ELSE commcell.london_today() END, commcell.london_today())",
				     0, NULL, done, d);
	}
	if (!rc)
		d->in_flight = true;
}

static void on_ready(struct cc_pgconn *pc, void *arg)
{
	struct cc_daily *d = arg;

	(void)pc;
	d->in_flight = false;
	step(d);
}

static void on_failure(struct cc_pgconn *pc, const char *reason, int64_t retry_ms, void *arg)
{
	struct cc_daily *d = arg;

	(void)pc;
	(void)reason;
	(void)retry_ms;
	d->in_flight = false;   /* the connection answered what it had queued with an error */
}

struct cc_daily *cc_daily_create(const struct cc_loop *loop, const char *hub_conninfo)
{
	struct cc_daily *d = cc_xcalloc(1, sizeof *d);

	d->loop = *loop;
	d->conninfo = cc_xstrdup(hub_conninfo);
	return d;
}

void cc_daily_set_leading(struct cc_daily *d, bool leading)
{
	static const struct cc_pgconn_events ev = { on_ready, on_failure, NULL };
	struct cc_pgconn_opts opts = { .statement_timeout_ms = STATEMENT_TIMEOUT_MS };

	if (d->leading == leading)
		return;
	d->leading = leading;
	lws_sul_cancel(&d->sul);
	d->in_flight = false;
	cc_pgconn_destroy(d->pc);   /* drops a query in flight without calling back */
	d->pc = NULL;
	if (!leading)
		return;
	d->backlog = BACKLOG_DAYS;
	d->last_error[0] = '\0';
	d->pc = cc_pgconn_create(&d->loop, "hub-daily", d->conninfo, &opts, &ev, d);
	cc_pgconn_start(d->pc);
}

uint64_t cc_daily_refreshes(const struct cc_daily *d) { return d->ok; }
uint64_t cc_daily_failures(const struct cc_daily *d) { return d->failed; }

void cc_daily_destroy(struct cc_daily *d)
{
	if (!d)
		return;
	lws_sul_cancel(&d->sul);
	cc_pgconn_destroy(d->pc);
	free(d->conninfo);
	free(d);
}
