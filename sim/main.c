/*
 * commcell-sim: the demo partners' operational systems, simulated event by event.
 *
 * It simulates one health and care system (an acute trust with two sites, the ambulance service,
 * NHS 111, community care, mental health; see calibration.h for the levels and their sources)
 * and writes what happens into each partner database's operational tables (schema ops,
 * sql/partner-ops/), as those organisations' own systems would: A&E attendances as patients
 * arrive, are triaged, seen and leave; bed states as wards fill; incidents from call to handover;
 * calls; referrals. commcell computes its metrics from these rows with query feeds. The community
 * provider also pushes one ready value (virtual ward occupancy) into commcell.observation.
 *
 * Start-up: the simulation begins --warmup-days before now and runs through them at once, so
 * wards are full and every window ("the last 24 hours", "since midnight") holds data from the
 * start; then, each --interval-ms, it advances --speed times the elapsed wall clock and writes
 * the changes. Stored times never lie in the future: see simclock.h for how --speed keeps the
 * simulated "now" anchored to the real now. The simulator owns the ops tables: it empties them
 * when it starts (and after any failed write) and rewrites what it holds.
 *
 * The normal scenario is an ordinary English winter day (calibration.h). --scenario winter
 * builds from there to a hard winter over --ramp-hours of simulated time from the start
 * (0: hard winter from the first simulated day): more admissions and ambulance calls, slower
 * discharges and community care, a few beds closed; occupancy passes 95%, A&E performance falls,
 * handovers and responses lengthen.
 *
 * Blocking and simple on purpose: one libpq connection per partner, one transaction per partner
 * per tick. A partner whose database is down is logged and retried every tick; the simulator
 * never exits because of it. SIGINT and SIGTERM end it cleanly.
 */
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "acute.h"
#include "ambulance.h"
#include "community.h"
#include "iuc.h"
#include "mhealth.h"
#include "model.h"
#include "pgwriter.h"
#include "report.h"
#include "simlog.h"
#include "world.h"

#define PROG "commcell-sim"
#define DEFAULT_PARTNERS "acute,ambulance,community,111,mental_health"
#define SUMMARY_EVERY_US (60 * US_PER_S)

struct options {
	const char *conninfo, *partners;
	unsigned long long interval_ms, ticks, seed;
	bool have_seed, list, verbose, dry_run, have_start;
	double speed, ramp_hours, warmup_days, keep_days, dry_run_hours, start_at;
	enum scenario_kind scenario;
};

struct target {
	const struct model *model;
	struct partner_db db;
};

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: " PROG " [OPTIONS]\n"
		"Simulate the demo partners' operational systems and write them into their databases.\n"
		"\n"
		"  --conninfo STR       libpq connection string of the cluster, without dbname\n"
		"                       (e.g. \"host=/path/run port=54329 user=postgres\"); each partner\n"
		"                       NAME is written to the database partner_NAME\n"
		"  --partners LIST      comma-separated partners to write (default " DEFAULT_PARTNERS ");\n"
		"                       all five are simulated whatever the list (nhs111 = 111)\n"
		"  --interval-ms N      wall-clock milliseconds between writes (default 1000)\n"
		"  --speed X            simulated seconds per real second, 1 to 3600 (default 1)\n"
		"  --scenario S         normal (default: an ordinary winter day) or winter (a hard one)\n"
		"  --ramp-hours H       winter: simulated hours to build up to full pressure from the\n"
		"                       start (default 6; 0: winter throughout, warm-up included)\n"
		"  --warmup-days D      simulated days run through at start-up (default 42)\n"
		"  --keep-days D        days finished rows stay in the partners' tables, so commcelld\n"
		"                       can backfill its history from them (default 43)\n"
		"  --seed N             seed of the random numbers (default: from the clock)\n"
		"  --ticks N            stop after N writes (default 0: run until SIGINT/SIGTERM)\n"
		"  --dry-run HOURS      no database: simulate HOURS after the warm-up as fast as possible\n"
		"                       and print the system's state every simulated hour\n"
		"  --start-at SECONDS   dry run only: the simulated now at start, in seconds since 1970\n"
		"                       UTC (default the real now); with --seed, a repeatable run\n"
		"  --list               print each partner and the tables it writes, then exit\n"
		"  --verbose            log the system's state at every write\n"
		"  --help               this text\n");
}

static bool parse_ull(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;

	if (!s || !*s || *s == '-' || *s == '+')
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return false;
	*out = v;
	return true;
}

static bool parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;

	if (!s || !*s)
		return false;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

/* Returns 0 to go on, 1 to exit 0 (--help), 2 on a bad command line. */
static int parse_args(int argc, char **argv, struct options *o)
{
	static const char *const with_value[] = {"--conninfo", "--partners", "--interval-ms", "--speed",
						 "--scenario", "--ramp-hours", "--warmup-days", "--keep-days", "--seed",
						 "--ticks", "--dry-run", "--start-at", NULL};
	memset(o, 0, sizeof *o);
	o->conninfo = "";
	o->partners = DEFAULT_PARTNERS;
	o->interval_ms = 1000;
	o->speed = 1;
	o->ramp_hours = 6;
	o->warmup_days = 42;
	o->keep_days = 43;
	o->scenario = SCENARIO_NORMAL;

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i], *val = NULL, *eq = strchr(arg, '=');
		char name[32];
		if (strncmp(arg, "--", 2) == 0 && eq && (size_t)(eq - arg) < sizeof name) {
			memcpy(name, arg, (size_t)(eq - arg));
			name[eq - arg] = '\0';
			val = eq + 1;
			arg = name;
		}
		bool takes = false;
		for (int k = 0; with_value[k]; k++)
			takes = takes || strcmp(arg, with_value[k]) == 0;
		if (takes && !val) {
			if (i + 1 >= argc) {
				fprintf(stderr, PROG ": %s needs a value\n", arg);
				return 2;
			}
			val = argv[++i];
		} else if (!takes && val) {
			fprintf(stderr, PROG ": %s takes no value\n", arg);
			return 2;
		}
		if (strcmp(arg, "--conninfo") == 0) {
			o->conninfo = val;
		} else if (strcmp(arg, "--partners") == 0) {
			o->partners = val;
		} else if (strcmp(arg, "--interval-ms") == 0) {
			if (!parse_ull(val, 86400000ULL, &o->interval_ms) || o->interval_ms < 10) {
				fprintf(stderr, PROG ": --interval-ms wants a number of milliseconds from 10 to 86400000\n");
				return 2;
			}
		} else if (strcmp(arg, "--speed") == 0) {
			if (!parse_double(val, 1, 3600, &o->speed)) {
				fprintf(stderr, PROG ": --speed wants a number from 1 to 3600\n");
				return 2;
			}
		} else if (strcmp(arg, "--scenario") == 0) {
			if (!scenario_parse(val, &o->scenario)) {
				fprintf(stderr, PROG ": --scenario wants normal or winter, not '%s'\n", val);
				return 2;
			}
		} else if (strcmp(arg, "--ramp-hours") == 0) {
			if (!parse_double(val, 0, 24 * 365, &o->ramp_hours)) {
				fprintf(stderr, PROG ": --ramp-hours wants a number of hours from 0 to 8760\n");
				return 2;
			}
		} else if (strcmp(arg, "--warmup-days") == 0) {
			if (!parse_double(val, 0, 400, &o->warmup_days)) {
				fprintf(stderr, PROG ": --warmup-days wants a number of days from 0 to 400\n");
				return 2;
			}
		} else if (strcmp(arg, "--keep-days") == 0) {
			if (!parse_double(val, 1.0 / 24, 400, &o->keep_days)) {
				fprintf(stderr, PROG ": --keep-days wants a number of days from 0.05 to 400\n");
				return 2;
			}
		} else if (strcmp(arg, "--seed") == 0) {
			if (!parse_ull(val, UINT64_MAX, &o->seed)) {
				fprintf(stderr, PROG ": --seed wants a non-negative integer\n");
				return 2;
			}
			o->have_seed = true;
		} else if (strcmp(arg, "--ticks") == 0) {
			if (!parse_ull(val, ULONG_MAX, &o->ticks)) {
				fprintf(stderr, PROG ": --ticks wants a non-negative integer\n");
				return 2;
			}
		} else if (strcmp(arg, "--dry-run") == 0) {
			if (!parse_double(val, 0, 24 * 400, &o->dry_run_hours)) {
				fprintf(stderr, PROG ": --dry-run wants a number of simulated hours from 0 to 9600\n");
				return 2;
			}
			o->dry_run = true;
		} else if (strcmp(arg, "--start-at") == 0) {
			if (!parse_double(val, 0, 4102444800.0, &o->start_at)) {
				fprintf(stderr, PROG ": --start-at wants seconds since 1970 (UTC) up to 2100\n");
				return 2;
			}
			o->have_start = true;
		} else if (strcmp(arg, "--list") == 0) {
			o->list = true;
		} else if (strcmp(arg, "--verbose") == 0) {
			o->verbose = true;
		} else if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
			usage(stdout);
			return 1;
		} else {
			fprintf(stderr, PROG ": unknown argument '%s'\n", argv[i]);
			usage(stderr);
			return 2;
		}
	}
	if (o->have_start && !o->dry_run) {
		/* written rows must carry real times: only a dry run may start elsewhere */
		fprintf(stderr, PROG ": --start-at is for --dry-run only\n");
		return 2;
	}
	return 0;
}

static void free_targets(struct target *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		pdb_close(&t[i].db);
	free(t);
}

/* Split the partner list on commas. NULL (after a message) on a bad list. */
static struct target *make_targets(const char *list, size_t *count)
{
	char *copy = strdup(list), *save = NULL;
	size_t cap = 1, n = 0;
	bool ok = copy != NULL;

	for (const char *c = list; *c; c++)
		cap += *c == ',';
	struct target *t = calloc(cap, sizeof *t);
	ok = ok && t;
	for (char *tok = ok ? strtok_r(copy, ",", &save) : NULL; ok && tok; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		size_t len = strlen(tok);
		while (len && tok[len - 1] == ' ')
			tok[--len] = '\0';
		if (!len)
			continue;
		const struct model *m = model_find(tok);
		if (!m) {
			fprintf(stderr, PROG ": unknown partner '%s' (known: " DEFAULT_PARTNERS ", nhs111)\n", tok);
			ok = false;
			break;
		}
		for (size_t i = 0; i < n; i++) {
			if (t[i].model == m) {
				fprintf(stderr, PROG ": partner '%s' given twice\n", tok);
				ok = false;
			}
		}
		if (!ok)
			break;
		t[n].model = m;
		pdb_init(&t[n].db, tok);
		if (!t[n].db.name || !t[n].db.dbname) {
			fprintf(stderr, PROG ": out of memory\n");
			ok = false;
		}
		n++;
	}
	if (ok && n == 0) {
		fprintf(stderr, PROG ": no partners given\n");
		ok = false;
	}
	free(copy);
	if (!ok) {
		if (t)
			free_targets(t, n);
		return NULL;
	}
	*count = n;
	return t;
}

/* One partner's transaction for this tick. */
static bool write_partner(struct world *w, struct target *t, const char *conninfo)
{
	struct partner_db *db = &t->db;
	const struct model *m = t->model;

	if (!pdb_connect(db, conninfo) || !pdb_exec(db, "BEGIN", 0, NULL))
		return false;
	bool full = db->resync, ok = true;
	if (full) {
		ok = pdb_exec(db, m->truncate_sql, 0, NULL);
	} else if (w->clock.offset != db->applied_offset) {
		int64_t delta = w->clock.offset - db->applied_offset;
		for (int i = 0; ok && i < m->nshifted; i++)
			ok = pdb_shift(db, m->shifted[i], delta);
	}
	ok = ok && m->write(w, db, full) && pdb_exec(db, "COMMIT", 0, NULL);
	if (!ok)
		return false;
	if (db->failing)
		sim_log("partner %s (%s): writing again%s", db->name, db->dbname,
			full ? " (rewrote its operational tables)" : "");
	db->failing = false;
	db->resync = false;
	db->applied_offset = w->clock.offset;
	return true;
}

static void settle_all(struct world *w)
{
	for (size_t i = 0; model_at(i); i++)
		model_at(i)->settle(w);
}

static void sleep_until_wall(int64_t deadline)
{
	while (!stop_signal) {
		int64_t left = deadline - wall_now_us();
		if (left <= 0)
			return;
		if (left > 200000)
			left = 200000; /* check the stop flag often */
		struct timespec ts = {.tv_sec = (time_t)(left / US_PER_S), .tv_nsec = (long)(left % US_PER_S) * 1000};
		nanosleep(&ts, NULL);
	}
}

static void world_free(struct world *w)
{
	acute_free(w->acute);
	ambulance_free(w->amb);
	iuc_free(w->iuc);
	community_free(w->comm);
	mhealth_free(w->mh);
	eventq_free(&w->q);
}

int main(int argc, char **argv)
{
	struct options o;
	int rc = parse_args(argc, argv, &o);

	if (rc)
		return rc == 1 ? 0 : rc;

	size_t ntargets = 0;
	struct target *targets = make_targets(o.partners, &ntargets);
	if (!targets)
		return 2;
	if (o.list) {
		for (size_t i = 0; i < ntargets; i++)
			printf("%s\t%s\t%s\n", targets[i].db.name, targets[i].db.dbname,
			       targets[i].model->truncate_sql + strlen("TRUNCATE "));
		free_targets(targets, ntargets);
		return 0;
	}

	/* local time of the simulated system: the demo's control room is in England */
	setenv("TZ", "Europe/London", 1);
	tzset();

	if (!o.have_seed) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		o.seed = (uint64_t)ts.tv_sec * 1000003u ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32);
	}

	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	struct world w;
	memset(&w, 0, sizeof w);
	eventq_init(&w.q);
	rng_seed(&w.rng, o.seed);
	int64_t start = o.have_start ? (int64_t)(o.start_at * (double)US_PER_S) : wall_now_us();
	w.sc.kind = o.scenario;
	w.sc.ramp_start = start;
	w.sc.ramp_us = (int64_t)(o.ramp_hours * (double)US_PER_H);
	w.now = start - (int64_t)(o.warmup_days * (double)US_PER_DAY);
	w.retention_us = (int64_t)(o.keep_days * (double)US_PER_DAY);
	w.acute = acute_new(&w);
	w.amb = ambulance_new(&w);
	w.iuc = iuc_new(&w);
	w.comm = community_new(&w);
	w.mh = mhealth_new(&w);
	if (w.failed) {
		fprintf(stderr, PROG ": out of memory\n");
		world_free(&w);
		free_targets(targets, ntargets);
		return 1;
	}
	if (shape_peak(shape_ed, start) > SHAPE_ED_MAX || shape_peak(shape_111, start) > SHAPE_111_MAX ||
	    shape_peak(shape_discharge, start) > SHAPE_DISCHARGE_MAX)
		sim_log("warning: a demand shape exceeds its bound; arrivals are slightly flattened");
	acute_start(&w);
	ambulance_start(&w);
	iuc_start(&w);
	community_start(&w);
	mhealth_start(&w);

	sim_log("warming up: %.0f simulated days before now (seed %llu, scenario %s, speed %g)", o.warmup_days,
		o.seed, scenario_name(o.scenario), o.speed);
	/* the warm-up, a day at a time so memory stays bounded */
	while (!w.failed && !stop_signal && w.now < start) {
		int64_t until = w.now + US_PER_DAY < start ? w.now + US_PER_DAY : start;
		world_run_until(&w, until);
		w.expire_before = w.now - w.retention_us;
		settle_all(&w);
	}
	simclock_start(&w.clock, o.speed, start);

	char line[1024];
	int status = 0;
	if (o.dry_run) {
		int64_t end = start + (int64_t)(o.dry_run_hours * (double)US_PER_H);
		for (int64_t t = start; !w.failed && !stop_signal && t < end;) {
			t += US_PER_H;
			world_run_until(&w, t);
			w.expire_before = w.now - w.retention_us;
			settle_all(&w);
			report_line(&w, line, sizeof line);
			printf("%s\n", line);
		}
		fflush(stdout);
		goto out;
	}

	sim_log("writing to %zu partner(s) every %llu ms", ntargets, o.interval_ms);
	unsigned long long tick = 0, rows_before = 0;
	int64_t next = wall_now_us(), last_summary = next;
	bool wrote_any = false;
	while (!w.failed && !stop_signal && (o.ticks == 0 || tick < o.ticks)) {
		int64_t real = wall_now_us();
		world_run_until(&w, simclock_advance(&w.clock, real));
		w.expire_before = w.now - w.retention_us;
		for (size_t i = 0; i < ntargets && !stop_signal; i++)
			wrote_any |= write_partner(&w, &targets[i], o.conninfo);
		settle_all(&w);
		tick++;

		real = wall_now_us();
		if (o.verbose || real - last_summary >= SUMMARY_EVERY_US) {
			unsigned long long rows = 0;
			size_t up = 0;
			for (size_t i = 0; i < ntargets; i++) {
				rows += targets[i].db.rows_written;
				up += !targets[i].db.failing && !targets[i].db.resync;
			}
			report_line(&w, line, sizeof line);
			sim_log("%llu rows in %.0f s, %zu of %zu partners writing; %s", rows - rows_before,
				(double)(real - last_summary) / US_PER_S, up, ntargets, line);
			rows_before = rows;
			last_summary = real;
		}
		if (o.ticks && tick >= o.ticks)
			break;
		next += (int64_t)o.interval_ms * 1000;
		if (next < real)
			next = real; /* fell behind (a slow partner): do not try to catch up */
		sleep_until_wall(next);
	}
	if (stop_signal)
		sim_log("stopping on signal %d after %llu write(s)", (int)stop_signal, tick);
	/* a bounded run (--ticks) that wrote nothing at all is a failure worth an exit status */
	if (o.ticks && !wrote_any)
		status = 1;
out:
	if (w.failed) {
		sim_log("out of memory");
		status = 1;
	}
	world_free(&w);
	free_targets(targets, ntargets);
	return status;
}
