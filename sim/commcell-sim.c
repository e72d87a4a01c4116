/*
 * commcell-sim: writes plausible urgent-care figures into the demo partner databases.
 *
 * Every interval it inserts, into each partner database's reference observation feed
 * (commcell.observation, see sql/partner/001_observation.sql), one row per metric and site
 * of that partner. The metric keys match sql/demo/seed.sql.
 *
 * Each series is a mean-reverting random walk (a discretised Ornstein-Uhlenbeck process)
 * around a level taken from NHS England's published figures in shared/data:
 *   - ED 4-hour performance (type 1 departments): 76-86% in 2016-19, about 70-75% (all types)
 *     in 2024-25; the demo trust's sites sit around 71% and 77%.
 *   - G&A bed occupancy: England 88-95% in winter 2022-23 (median 94.4%).
 *   - Category 1 mean response about 7-8 min, Category 2 mean 21-32 min in the winters of
 *     2019-21 (higher since); the demo service runs at 36 min.
 *   - Ambulance handovers over 60 min: winter 2022-23 trust median 2, 90th centile 32 a day.
 *   - Patients not meeting the criteria to reside: trust median 173 (January 2025), of whom
 *     about 70 are discharged a day.
 * Hourly series (ED arrivals, patients in ED, 111 calls) follow a daily shape in local time;
 * discharges today count up from midnight, most of them in the afternoon.
 *
 * The program is deliberately simple and blocking: one libpq connection per partner, one
 * multi-row INSERT per partner and interval. A partner whose database is down is logged and
 * retried at the next interval; the simulator never exits because of it.
 * SIGINT and SIGTERM end it cleanly.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#define PROG "commcell-sim"
#define DEFAULT_PARTNERS "acute,ambulance,community,111,mental_health"
#define ERROR_REPEAT_S 60.0  /* repeat an unchanged error message at most this often */
#define SUMMARY_EVERY_S 60.0 /* how often to log a line of progress */

/* ---------------------------------------------------------------------------------------- */
/* Series definitions                                                                       */

enum shape {
    SHAPE_FLAT,        /* level only */
    SHAPE_ED_ARRIVALS, /* hourly ED arrivals: low at night, high late morning to evening */
    SHAPE_ED_OCCUPANCY,/* patients in ED: lags arrivals, lowest early morning */
    SHAPE_CALLS_111,   /* 111 calls: morning and evening peaks, busier at weekends */
    SHAPE_CUMULATIVE,  /* count since local midnight; level = expected daily total */
};

struct series_def {
    const char *key;
    const char *site;
    double level;  /* mean level (daily mean for shaped series, daily total for cumulative) */
    double sd;     /* standard deviation around the (shaped) level */
    double tau_s;  /* time constant of the reversion to the level, in seconds */
    double lo, hi; /* published values are clamped to [lo, hi] */
    int decimals;  /* published values are rounded to this many decimals (0: a count) */
    enum shape shape;
};

#define NOLIMIT 1e9

/* NHS 111 and out-of-hours GP: a service for about two million people. */
static const struct series_def nhs111_series[] = {
    {"111.calls_offered", "", 115, 12, 600, 0, NOLIMIT, 0, SHAPE_CALLS_111},
    {"111.abandoned_pct", "", 4.2, 1.6, 900, 0, 100, 1, SHAPE_FLAT},
    {"111.answered_60s_pct", "", 80, 7, 900, 0, 100, 1, SHAPE_FLAT},
    {"ooh.cases_waiting", "", 26, 9, 900, 0, NOLIMIT, 0, SHAPE_FLAT},
};

static const struct series_def ambulance_series[] = {
    {"ambulance.cat1_mean_min", "", 8.2, 0.7, 1800, 3, 120, 1, SHAPE_FLAT},
    {"ambulance.cat2_mean_min", "", 36, 8, 2400, 8, 600, 1, SHAPE_FLAT},
    {"ambulance.handovers_over_60_min", "", 32, 10, 3600, 0, NOLIMIT, 0, SHAPE_FLAT},
};

/* Northgate Hospitals: a large site (NGH, about 340 ED arrivals a day) and a smaller one (SGH). */
static const struct series_def acute_series[] = {
    {"ed.four_hour_performance", "NGH", 71, 3.5, 1800, 0, 100, 1, SHAPE_FLAT},
    {"ed.four_hour_performance", "SGH", 77, 3.5, 1800, 0, 100, 1, SHAPE_FLAT},
    {"ed.arrivals_last_hour", "NGH", 14, 2.5, 300, 0, NOLIMIT, 0, SHAPE_ED_ARRIVALS},
    {"ed.arrivals_last_hour", "SGH", 9, 2, 300, 0, NOLIMIT, 0, SHAPE_ED_ARRIVALS},
    {"ed.patients_in_department", "NGH", 68, 7, 900, 0, NOLIMIT, 0, SHAPE_ED_OCCUPANCY},
    {"ed.patients_in_department", "SGH", 42, 5, 900, 0, NOLIMIT, 0, SHAPE_ED_OCCUPANCY},
    {"ed.twelve_hours_from_arrival", "NGH", 9, 3, 1800, 0, NOLIMIT, 0, SHAPE_FLAT},
    {"ed.twelve_hours_from_arrival", "SGH", 4, 2, 1800, 0, NOLIMIT, 0, SHAPE_FLAT},
    {"admission.dta_waiting", "NGH", 17, 5, 1800, 0, NOLIMIT, 0, SHAPE_FLAT},
    {"admission.dta_waiting", "SGH", 8, 3, 1800, 0, NOLIMIT, 0, SHAPE_FLAT},
    {"beds.ga_occupancy", "NGH", 95.2, 1.6, 3600, 0, 100, 1, SHAPE_FLAT},
    {"beds.ga_occupancy", "SGH", 93.0, 2.0, 3600, 0, 100, 1, SHAPE_FLAT},
    {"beds.escalation_beds_open", "", 22, 7, 7200, 0, NOLIMIT, 0, SHAPE_FLAT},
    {"discharge.nctr_patients", "", 108, 12, 7200, 0, NOLIMIT, 0, SHAPE_FLAT},
    {"discharge.discharges_today", "", 125, 0.08, 0, 0, NOLIMIT, 0, SHAPE_CUMULATIVE},
};

static const struct series_def community_series[] = {
    {"community.packages_awaited", "", 31, 6, 7200, 0, NOLIMIT, 0, SHAPE_FLAT},
    {"community.virtual_ward_occupancy", "", 76, 5, 7200, 0, 100, 0, SHAPE_FLAT},
};

static const struct series_def mental_health_series[] = {
    {"mental_health.crisis_referrals_waiting", "", 9, 4, 1800, 0, NOLIMIT, 0, SHAPE_FLAT},
    {"mental_health.out_of_area_placements", "", 7, 2, 14400, 0, NOLIMIT, 0, SHAPE_FLAT},
};

struct profile {
    const char *name;
    const char *alias; /* another accepted partner name, or NULL */
    const struct series_def *series;
    size_t n;
};

#define PROFILE(name, alias, arr) {name, alias, arr, sizeof(arr) / sizeof((arr)[0])}
static const struct profile profiles[] = {
    PROFILE("acute", NULL, acute_series),
    PROFILE("ambulance", NULL, ambulance_series),
    PROFILE("community", NULL, community_series),
    PROFILE("nhs111", "111", nhs111_series),
    PROFILE("mental_health", NULL, mental_health_series),
};
#define NPROFILES (sizeof(profiles) / sizeof(profiles[0]))

/* Hour-by-hour multipliers (00:00 .. 23:00, local time); normalised to a mean of 1 at start. */
static double shape_ed_arrivals[24] = {
    0.55, 0.45, 0.38, 0.33, 0.30, 0.32, 0.45, 0.70, 1.05, 1.35, 1.50, 1.52,
    1.48, 1.42, 1.38, 1.35, 1.32, 1.30, 1.28, 1.20, 1.08, 0.95, 0.82, 0.68,
};
static double shape_ed_occupancy[24] = {
    1.05, 0.95, 0.85, 0.78, 0.72, 0.68, 0.66, 0.68, 0.75, 0.86, 0.97, 1.05,
    1.10, 1.14, 1.17, 1.19, 1.21, 1.23, 1.24, 1.25, 1.24, 1.22, 1.18, 1.12,
};
static double shape_calls_111[24] = {
    0.75, 0.55, 0.40, 0.32, 0.30, 0.35, 0.55, 0.95, 1.45, 1.55, 1.40, 1.25,
    1.15, 1.10, 1.05, 1.05, 1.10, 1.30, 1.50, 1.55, 1.45, 1.25, 1.05, 0.88,
};
#define WEEKEND_111 1.5 /* 111 and out-of-hours demand on Saturdays and Sundays */
/* Share of the day's discharges in each hour (relative weights). */
static double discharge_weights[24] = {
    0.5, 0.3, 0.2, 0.2, 0.2, 0.2, 0.3, 0.5, 1.0, 2.0, 3.5, 5.0,
    6.5, 7.5, 8.5, 9.0, 9.0, 8.5, 7.5, 6.0, 5.0, 3.5, 2.0, 1.0,
};

static void normalise_mean(double *v, size_t n)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += v[i];
    for (size_t i = 0; i < n; i++)
        v[i] = v[i] * (double)n / sum;
}

static void normalise_sum(double *v, size_t n)
{
    double sum = 0;
    for (size_t i = 0; i < n; i++)
        sum += v[i];
    for (size_t i = 0; i < n; i++)
        v[i] /= sum;
}

/* Linear interpolation in an hourly table, hour in [0, 24). */
static double hourly(const double *table, double hour)
{
    int h = (int)floor(hour);
    double f = hour - h;
    h %= 24;
    return table[h] * (1 - f) + table[(h + 1) % 24] * f;
}

/* Fraction of the day's discharges done by this hour, in [0, 1]. */
static double discharge_cdf(double hour)
{
    double done = 0;
    int h = (int)floor(hour);
    for (int i = 0; i < h && i < 24; i++)
        done += discharge_weights[i];
    if (h < 24)
        done += discharge_weights[h] * (hour - h);
    return done > 1 ? 1 : done;
}

/* ---------------------------------------------------------------------------------------- */
/* Random numbers: splitmix64, and normal deviates by Box-Muller                            */

static uint64_t rng_state;

static uint64_t rng_next(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

/* uniform in (0, 1) */
static double rng_uniform(void)
{
    return ((double)(rng_next() >> 11) + 0.5) / 9007199254740992.0;
}

static double rng_normal(void)
{
    static bool have_spare;
    static double spare;
    if (have_spare) {
        have_spare = false;
        return spare;
    }
    double r = sqrt(-2.0 * log(rng_uniform()));
    double t = 6.283185307179586 * rng_uniform(); /* 2 pi */
    spare = r * sin(t);
    have_spare = true;
    return r * cos(t);
}

/* ---------------------------------------------------------------------------------------- */
/* Logging                                                                                   */

static void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void log_msg(const char *fmt, ...)
{
    char stamp[32];
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
    fprintf(stderr, "%s %s: ", stamp, PROG);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
}

/* ---------------------------------------------------------------------------------------- */
/* Simulation state                                                                          */

struct series {
    const struct series_def *def;
    double dev;   /* current deviation from the shaped level, in units of sd */
    double total; /* SHAPE_CUMULATIVE: count since midnight */
    int day;      /* SHAPE_CUMULATIVE: local day (tm_yday) of total */
    double value; /* the value to publish, rounded */
};

struct partner {
    char *name;
    char *dbname;
    const struct profile *profile;
    struct series *series;
    PGconn *conn;
    char *insert_sql;
    bool failing;
    char *last_error;
    double last_error_logged; /* monotonic seconds */
    unsigned long rows_ok;
};

struct local_time {
    double hour; /* fractional hour of the local day */
    int yday;
    int wday; /* 0 = Sunday */
};

static double monotonic_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static struct local_time local_now(void)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    localtime_r(&ts.tv_sec, &tm);
    struct local_time lt = {
        .hour = tm.tm_hour + tm.tm_min / 60.0 + (tm.tm_sec + (double)ts.tv_nsec / 1e9) / 3600.0,
        .yday = tm.tm_yday,
        .wday = tm.tm_wday,
    };
    return lt;
}

static double shaped_level(const struct series_def *d, const struct local_time *lt)
{
    switch (d->shape) {
    case SHAPE_ED_ARRIVALS:
        return d->level * hourly(shape_ed_arrivals, lt->hour);
    case SHAPE_ED_OCCUPANCY:
        return d->level * hourly(shape_ed_occupancy, lt->hour);
    case SHAPE_CALLS_111: {
        bool weekend = lt->wday == 0 || lt->wday == 6;
        return d->level * hourly(shape_calls_111, lt->hour) * (weekend ? WEEKEND_111 : 1.0);
    }
    case SHAPE_FLAT:
    case SHAPE_CUMULATIVE:
        break;
    }
    return d->level;
}

static double round_to(double v, int decimals)
{
    double scale = pow(10.0, decimals);
    return round(v * scale) / scale;
}

static double clamp(double v, double lo, double hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Advance one series by dt seconds (dt = 0: start from a draw of the stationary distribution). */
static void series_step(struct series *s, double dt, const struct local_time *lt)
{
    const struct series_def *d = s->def;

    if (d->shape == SHAPE_CUMULATIVE) {
        /* discharges today: expected count so far, with day-to-day variation of sd (relative) */
        if (dt <= 0 || lt->yday != s->day) {
            double scale = 1.0 + d->sd * rng_normal();
            s->total = d->level * discharge_cdf(lt->hour) * (scale > 0.5 ? scale : 0.5);
            s->day = lt->yday;
        } else {
            double prev_hour = lt->hour - dt / 3600.0;
            double expected = d->level * (discharge_cdf(lt->hour) - discharge_cdf(prev_hour < 0 ? 0 : prev_hour));
            /* Poisson-like noise on the increment: never negative, so the count only grows */
            double inc = expected + sqrt(expected) * rng_normal();
            s->total += inc > 0 ? inc : 0;
        }
        s->value = clamp(floor(s->total), d->lo, d->hi);
        return;
    }

    if (dt <= 0) {
        s->dev = rng_normal();
    } else {
        /* exact discretisation of an Ornstein-Uhlenbeck process with unit variance */
        double a = exp(-dt / d->tau_s);
        s->dev = a * s->dev + sqrt(1 - a * a) * rng_normal();
    }
    double level = shaped_level(d, lt);
    double spread = d->sd;
    if (d->shape != SHAPE_FLAT && d->level > 0)
        spread *= sqrt(level / d->level); /* counts: noise grows with the expected count */
    double v = level + spread * s->dev;
    s->value = clamp(round_to(v, d->decimals), d->lo, d->hi);
}

/* ---------------------------------------------------------------------------------------- */
/* Database                                                                                  */

static const char *base_conninfo = "";

/* Keep only the first line of a libpq error message, without its trailing newline. */
static char *one_line(const char *msg)
{
    size_t n = strcspn(msg, "\n");
    char *s = malloc(n + 1);
    if (!s)
        return NULL;
    memcpy(s, msg, n);
    s[n] = '\0';
    return s;
}

static void partner_error(struct partner *p, const char *what, const char *msg)
{
    char *line = one_line(msg && *msg ? msg : "unknown error");
    double now = monotonic_s();
    bool same = p->failing && p->last_error && line && strcmp(p->last_error, line) == 0;
    if (!same || now - p->last_error_logged >= ERROR_REPEAT_S) {
        log_msg("partner %s (%s): %s: %s; retrying every interval", p->name, p->dbname, what,
                line ? line : "out of memory");
        p->last_error_logged = now;
    }
    free(p->last_error);
    p->last_error = line;
    p->failing = true;
}

static void partner_disconnect(struct partner *p)
{
    if (p->conn) {
        PQfinish(p->conn);
        p->conn = NULL;
    }
}

static bool partner_connect(struct partner *p)
{
    if (p->conn && PQstatus(p->conn) == CONNECTION_OK)
        return true;
    partner_disconnect(p);

    /* Defaults first, then the user's conninfo (expanded), then the partner's database. */
    const char *keys[] = {"connect_timeout", "application_name", "options", "dbname", "dbname", NULL};
    const char *vals[] = {"5", PROG, "-c statement_timeout=10000", base_conninfo, p->dbname, NULL};
    p->conn = PQconnectdbParams(keys, vals, 1);
    if (!p->conn) {
        partner_error(p, "cannot connect", "out of memory");
        return false;
    }
    if (PQstatus(p->conn) != CONNECTION_OK) {
        partner_error(p, "cannot connect", PQerrorMessage(p->conn));
        partner_disconnect(p);
        return false;
    }
    return true;
}

static bool partner_insert(struct partner *p, const char *observed_at)
{
    size_t n = p->profile->n;
    size_t nparams = 3 * n + 1;
    const char **params = calloc(nparams, sizeof *params);
    char(*values)[40] = calloc(n, sizeof *values);
    bool ok = false;
    if (!params || !values) {
        partner_error(p, "insert", "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        const struct series *s = &p->series[i];
        snprintf(values[i], sizeof values[i], "%.*f", s->def->decimals, s->value);
        params[3 * i] = s->def->key;
        params[3 * i + 1] = s->def->site;
        params[3 * i + 2] = values[i];
    }
    params[3 * n] = observed_at;

    PGresult *res = PQexecParams(p->conn, p->insert_sql, (int)nparams, NULL, params, NULL, NULL, 0);
    if (PQresultStatus(res) == PGRES_COMMAND_OK) {
        ok = true;
        p->rows_ok += n;
        if (p->failing)
            log_msg("partner %s (%s): writing again", p->name, p->dbname);
        p->failing = false;
    } else {
        partner_error(p, "insert failed", PQerrorMessage(p->conn));
        /* after a lost connection, or any doubt about its state, start afresh next time */
        partner_disconnect(p);
    }
    PQclear(res);
out:
    free(params);
    free(values);
    return ok;
}

/* INSERT ... VALUES ($1,$2,$3,$T),($4,$5,$6,$T)... with $T the shared observed_at. */
static char *build_insert_sql(size_t n)
{
    size_t cap = 128 + n * 64;
    char *sql = malloc(cap);
    if (!sql)
        return NULL;
    size_t len = (size_t)snprintf(sql, cap, "INSERT INTO commcell.observation (metric, site, value, observed_at) VALUES ");
    for (size_t i = 0; i < n; i++) {
        len += (size_t)snprintf(sql + len, cap - len, "%s($%zu, $%zu, $%zu, $%zu)", i ? ", " : "",
                                3 * i + 1, 3 * i + 2, 3 * i + 3, 3 * n + 1);
    }
    return sql;
}

/* ---------------------------------------------------------------------------------------- */
/* Command line                                                                              */

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
    stop_signal = sig;
}

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: " PROG " [OPTIONS]\n"
            "Write simulated urgent-care figures into the demo partner databases.\n"
            "\n"
            "  --conninfo STR     libpq connection string of the cluster, without dbname\n"
            "                     (e.g. \"host=/path/run port=54329 user=postgres\"); each\n"
            "                     partner NAME is written to the database partner_NAME\n"
            "  --partners LIST    comma-separated partners (default " DEFAULT_PARTNERS ")\n"
            "  --interval-ms N    milliseconds between rounds of inserts (default 3000)\n"
            "  --seed N           seed of the random numbers (default: from the clock)\n"
            "  --ticks N          stop after N rounds (default 0: run until SIGINT/SIGTERM)\n"
            "  --list             print the partner, metric key and site of each series, then exit\n"
            "  --verbose          log every value written\n"
            "  --help             this text\n");
}

static bool parse_ulong(const char *s, unsigned long long max, unsigned long long *out)
{
    if (!s || !*s || *s == '-' || *s == '+')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max)
        return false;
    *out = v;
    return true;
}

static const struct profile *find_profile(const char *name)
{
    for (size_t i = 0; i < NPROFILES; i++) {
        if (strcmp(profiles[i].name, name) == 0 || (profiles[i].alias && strcmp(profiles[i].alias, name) == 0))
            return &profiles[i];
    }
    return NULL;
}

static void free_partners(struct partner *ps, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        partner_disconnect(&ps[i]);
        free(ps[i].name);
        free(ps[i].dbname);
        free(ps[i].series);
        free(ps[i].insert_sql);
        free(ps[i].last_error);
    }
    free(ps);
}

/* Split LIST on commas into partners. Returns NULL (after a message) on a bad list. */
static struct partner *make_partners(const char *list, size_t *count)
{
    char *copy = strdup(list);
    size_t cap = 1;
    for (const char *c = list; *c; c++)
        cap += *c == ',';
    struct partner *ps = calloc(cap, sizeof *ps);
    size_t n = 0;
    bool ok = copy && ps;
    char *save = NULL;
    for (char *tok = ok ? strtok_r(copy, ",", &save) : NULL; ok && tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ')
            tok++;
        size_t len = strlen(tok);
        while (len && tok[len - 1] == ' ')
            tok[--len] = '\0';
        if (!len)
            continue;
        const struct profile *prof = find_profile(tok);
        if (!prof) {
            fprintf(stderr, PROG ": unknown partner '%s' (known: " DEFAULT_PARTNERS ")\n", tok);
            ok = false;
            break;
        }
        for (size_t i = 0; i < n; i++) {
            if (strcmp(ps[i].name, tok) == 0) {
                fprintf(stderr, PROG ": partner '%s' given twice\n", tok);
                ok = false;
            }
        }
        if (!ok)
            break;
        struct partner *p = &ps[n++];
        p->name = strdup(tok);
        p->profile = prof;
        p->dbname = malloc(len + sizeof "partner_");
        p->series = calloc(prof->n, sizeof *p->series);
        p->insert_sql = build_insert_sql(prof->n);
        if (!p->name || !p->dbname || !p->series || !p->insert_sql) {
            fprintf(stderr, PROG ": out of memory\n");
            ok = false;
            break;
        }
        snprintf(p->dbname, len + sizeof "partner_", "partner_%s", tok);
        for (size_t i = 0; i < prof->n; i++)
            p->series[i].def = &prof->series[i];
    }
    if (ok && n == 0) {
        fprintf(stderr, PROG ": no partners given\n");
        ok = false;
    }
    free(copy);
    if (!ok) {
        if (ps)
            free_partners(ps, n);
        return NULL;
    }
    *count = n;
    return ps;
}

/* Sleep until the monotonic time deadline, waking early when a signal asks us to stop. */
static void sleep_until(double deadline)
{
    while (!stop_signal) {
        double left = deadline - monotonic_s();
        if (left <= 0)
            return;
        if (left > 0.2)
            left = 0.2; /* check the stop flag often: a signal may come just before we sleep */
        struct timespec ts = {.tv_sec = (time_t)left, .tv_nsec = (long)((left - (time_t)left) * 1e9)};
        nanosleep(&ts, NULL);
    }
}

static void format_utc_now(char *buf, size_t size)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    size_t len = strftime(buf, size, "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(buf + len, size - len, ".%06ld+00", ts.tv_nsec / 1000);
}

int main(int argc, char **argv)
{
    const char *partners_arg = DEFAULT_PARTNERS;
    unsigned long long interval_ms = 3000, ticks = 0, seed = 0;
    bool have_seed = false, list = false, verbose = false;

    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        const char *val = NULL;
        char name[32];
        const char *eq = strchr(arg, '=');
        if (strncmp(arg, "--", 2) == 0 && eq && (size_t)(eq - arg) < sizeof name) {
            memcpy(name, arg, (size_t)(eq - arg));
            name[eq - arg] = '\0';
            val = eq + 1;
            arg = name;
        }
        bool takes_value = strcmp(arg, "--conninfo") == 0 || strcmp(arg, "--partners") == 0 ||
                           strcmp(arg, "--interval-ms") == 0 || strcmp(arg, "--seed") == 0 ||
                           strcmp(arg, "--ticks") == 0;
        if (takes_value && !val) {
            if (i + 1 >= argc) {
                fprintf(stderr, PROG ": %s needs a value\n", arg);
                return 2;
            }
            val = argv[++i];
        } else if (!takes_value && val) {
            fprintf(stderr, PROG ": %s takes no value\n", arg);
            return 2;
        }

        if (strcmp(arg, "--conninfo") == 0) {
            base_conninfo = val;
        } else if (strcmp(arg, "--partners") == 0) {
            partners_arg = val;
        } else if (strcmp(arg, "--interval-ms") == 0) {
            if (!parse_ulong(val, 86400000ULL, &interval_ms) || interval_ms < 10) {
                fprintf(stderr, PROG ": --interval-ms wants a number of milliseconds from 10 to 86400000\n");
                return 2;
            }
        } else if (strcmp(arg, "--seed") == 0) {
            if (!parse_ulong(val, UINT64_MAX, &seed)) {
                fprintf(stderr, PROG ": --seed wants a non-negative integer\n");
                return 2;
            }
            have_seed = true;
        } else if (strcmp(arg, "--ticks") == 0) {
            if (!parse_ulong(val, ULONG_MAX, &ticks)) {
                fprintf(stderr, PROG ": --ticks wants a non-negative integer\n");
                return 2;
            }
        } else if (strcmp(arg, "--list") == 0) {
            list = true;
        } else if (strcmp(arg, "--verbose") == 0) {
            verbose = true;
        } else if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            usage(stdout);
            return 0;
        } else {
            fprintf(stderr, PROG ": unknown argument '%s'\n", argv[i]);
            usage(stderr);
            return 2;
        }
    }

    size_t npartners = 0;
    struct partner *partners = make_partners(partners_arg, &npartners);
    if (!partners)
        return 2;

    if (list) {
        for (size_t i = 0; i < npartners; i++) {
            for (size_t j = 0; j < partners[i].profile->n; j++) {
                const struct series_def *d = &partners[i].profile->series[j];
                printf("%s\t%s\t%s\n", partners[i].name, d->key, d->site);
            }
        }
        free_partners(partners, npartners);
        return 0;
    }

    if (!have_seed) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        seed = (uint64_t)ts.tv_sec * 1000003u ^ (uint64_t)ts.tv_nsec ^ ((uint64_t)getpid() << 32);
    }
    rng_state = seed;

    normalise_mean(shape_ed_arrivals, 24);
    normalise_mean(shape_ed_occupancy, 24);
    normalise_mean(shape_calls_111, 24);
    normalise_sum(discharge_weights, 24);

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    log_msg("writing to %zu partner(s) every %llu ms (seed %llu)", npartners, interval_ms, seed);

    struct local_time lt = local_now();
    for (size_t i = 0; i < npartners; i++)
        for (size_t j = 0; j < partners[i].profile->n; j++)
            series_step(&partners[i].series[j], 0, &lt);

    double last = monotonic_s(), next = last, last_summary = last;
    unsigned long long tick = 0, rows_total = 0, rows_since_summary = 0;
    while (!stop_signal && (ticks == 0 || tick < ticks)) {
        double now = monotonic_s();
        double dt = now - last;
        last = now;
        lt = local_now();
        char observed_at[64];
        format_utc_now(observed_at, sizeof observed_at);

        for (size_t i = 0; i < npartners && !stop_signal; i++) {
            struct partner *p = &partners[i];
            if (tick > 0)
                for (size_t j = 0; j < p->profile->n; j++)
                    series_step(&p->series[j], dt, &lt);
            if (verbose) {
                for (size_t j = 0; j < p->profile->n; j++) {
                    const struct series *s = &p->series[j];
                    log_msg("%s %s %s = %.*f", p->name, s->def->key, *s->def->site ? s->def->site : "-",
                            s->def->decimals, s->value);
                }
            }
            if (partner_connect(p) && partner_insert(p, observed_at)) {
                rows_total += p->profile->n;
                rows_since_summary += p->profile->n;
            }
        }
        tick++;

        now = monotonic_s();
        if (now - last_summary >= SUMMARY_EVERY_S) {
            size_t up = 0;
            for (size_t i = 0; i < npartners; i++)
                up += !partners[i].failing;
            log_msg("%llu rows written in the last %.0f s; %zu of %zu partners writing", rows_since_summary,
                    now - last_summary, up, npartners);
            rows_since_summary = 0;
            last_summary = now;
        }

        if (ticks && tick >= ticks)
            break;
        next += (double)interval_ms / 1000.0;
        if (next < now)
            next = now; /* fell behind (a slow partner): do not try to catch up */
        sleep_until(next);
    }

    if (stop_signal)
        log_msg("stopping on signal %d after %llu round(s), %llu rows written", (int)stop_signal, tick, rows_total);
    free_partners(partners, npartners);
    /* a bounded run (--ticks) that wrote nothing at all is a failure worth an exit status */
    return (ticks && rows_total == 0) ? 1 : 0;
}
