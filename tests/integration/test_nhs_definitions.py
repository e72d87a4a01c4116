"""The demo's metric definitions against published NHS England figures.

Selected rows of the published statistics in <repo>/../shared/data are turned into operational
rows (A&E attendances, ambulance incidents, bed states, inpatient spells) in the partners'
schema ops; the query feeds of sql/demo/seed.sql must then compute exactly the published
figure, at the precision it is published to:

  * A&E 4-hour performance = 100 * (1 - breaches / attendances), 1 decimal place: trusts' type 1
    and all-type figures for a month (2016-19 file, 2021-25 file), and England type 1 for a month
    (the sum over every provider's row, 1.1 million attendances);
  * ambulance mean and 90th centile response by category, whole seconds (AmbSYS): a trust and
    England for a month; the incidents' response times are built so that their total is the
    published total response time and their 90th centile the published one;
  * handovers over 30 and over 60 minutes per hospital (winter sitrep, a day) and their
    England total;
  * G&A bed occupancy: each trust and England on a sitrep day (6 decimal places of the rate), and
    trusts' monthly published rate (3 decimal places);
  * patients not meeting the criteria to reside, discharged, and remaining (discharge sitrep):
    a trust and England on a day.

NHS 111, mental health and community definitions have no published file here: they are checked
on constructed rows, including the boundaries of each definition. So are the points issue 13
settled (docs/metrics.md): times stamped after now, handovers ended by the incident's close,
adult G&A, the AmbSYS clock start and centile, 12 hours from arrival as published, whole minutes
at the 4-hour line, lines that count a value on them, the rota's changeovers in UTC.

NhsDefinitionsSqlTest runs the feeds' SQL directly (as commcell_reader, read-only, as the daemon
does): no daemon needed. It loads about 1.6 million rows, so it runs once, in the unsanitized
pass.
NhsDefinitionsDaemonTest loads a smaller set and checks the same values end to end: hub query
feeds, commcelld, the WebSocket board.
"""

import csv
import datetime
import decimal
import math
import os
import time
import unittest

from itbase import ce, out

DATA = os.path.abspath(os.path.join(ce.REPO, '..', 'shared', 'data'))
LONDON_MIDNIGHT = ("date_trunc('day', now() AT TIME ZONE 'Europe/London') "
                   "AT TIME ZONE 'Europe/London'")
D = decimal.Decimal


# ----------------------------------------------------------------------------------------------
# published data

def require_data():
    if not os.path.isfile(os.path.join(DATA, 'README.md')):
        raise ce.HarnessError(
            'the published NHS England figures these tests check against are not at %s: the '
            'repository is expected to sit beside a directory "shared" holding data/ (see '
            'README.md, "Data and licence")' % DATA)


_csv_cache = {}


def read_csv(name):
    require_data()
    if name not in _csv_cache:
        path = os.path.join(DATA, name)
        if not os.path.isfile(path):
            raise ce.HarnessError('%s is missing from %s' % (name, DATA))
        with open(path, newline='', encoding='utf-8') as f:
            _csv_cache[name] = list(csv.DictReader(f))
    return _csv_cache[name]


def pct_published(numerator, denominator, places=1):
    """A percentage as NHS England publishes it: rounded half up to `places` decimals."""
    q = D(1).scaleb(-places)
    return (D(100) * D(numerator) / D(denominator)).quantize(q, decimal.ROUND_HALF_UP)


def rounded(value, places):
    """A computed float rounded half up, as a Decimal (repr keeps the shortest exact digits)."""
    return D(repr(value)).quantize(D(1).scaleb(-places), decimal.ROUND_HALF_UP)


# ----------------------------------------------------------------------------------------------
# windows

def db_now(env, partner):
    return env.partner_sql(partner, 'SELECT now(), %s' % LONDON_MIDNIGHT)[0]


def wait_for_day_window(env, partner, need_s=180):
    """"Since midnight" windows need room on both sides: make sure at least need_s seconds have
    passed since London midnight and at least 10 minutes remain before the next one (waiting
    if not). Returns (now, midnight)."""
    while True:
        now, midnight = db_now(env, partner)
        since = (now - midnight).total_seconds()
        left = 86400 - since   # near enough (DST days are 23 or 25 hours: more margin, or less)
        if since >= need_s and left >= 600:
            return now, midnight
        wait = need_s - since if since < need_s else left + need_s
        out('waiting %.0f s for room in the since-midnight window' % wait)
        time.sleep(min(wait, 60) + 1)


def spread(t0, t1, i, n):
    """The i-th of n instants spread evenly over [t0, t1]."""
    return t0 + (t1 - t0) * ((i + 0.5) / n)


# ----------------------------------------------------------------------------------------------
# loaders: published rows -> operational rows

def add_sites(env, codes):
    env.copy_rows('acute', 'ops.site', ('code', 'name'), [(c, 'Trust ' + c) for c in codes])


def load_attendances(env, groups):
    """groups: (site, department_type, attendances, breaches). Every attendance departs inside
    today's window (since London midnight, before now); breaches stay more than 4 hours, the
    others 4 hours or less, including some of exactly 4:00:00 (not a breach) and some breaches
    of exactly 4:01:00 (the published measure counts whole minutes: test_four_hour_whole_minutes
    has the seconds in between). Built in the database (generate_series): a million rows take
    seconds."""
    env.partner_sql('acute', 'CREATE TABLE IF NOT EXISTS public.ae_load (site text, '
                             'department_type smallint, attendances int, breaches int)')
    env.partner_sql('acute', 'TRUNCATE public.ae_load')
    env.copy_rows('acute', 'public.ae_load', ('site', 'department_type', 'attendances', 'breaches'),
                  groups)
    # departures spread evenly over [midnight + 1 s, now - 5 s], in order within each group
    # (inserting in time order keeps the index inserts cheap)
    env.partner_sql('acute', '''
        WITH w AS (SELECT %s + interval '1 second' AS t0, now() - interval '5 seconds' AS t1)
        INSERT INTO ops.ed_attendance (site, department_type, arrival_mode, arrived_at, departed_at,
                                       disposal)
        SELECT l.site, l.department_type,
               CASE WHEN g %% 3 = 0 THEN 'ambulance' ELSE 'walk_in' END,
               d.dep - CASE WHEN g <= l.breaches
                            THEN CASE WHEN g %% 50 = 0 THEN interval '4 hours 1 minute'
                                      ELSE interval '4 hours' + (1 + g %% 600) * interval '1 minute' END
                            ELSE CASE WHEN g %% 40 = 0 THEN interval '4 hours'
                                      ELSE (20 + g %% 215) * interval '1 minute' END
                       END,
               d.dep,
               CASE WHEN g %% 4 = 0 THEN 'admitted' ELSE 'discharged' END
          FROM public.ae_load AS l
         CROSS JOIN w
         CROSS JOIN LATERAL generate_series(1, l.attendances) AS g
         CROSS JOIN LATERAL (SELECT w.t0 + (w.t1 - w.t0) * ((g - 0.5) / l.attendances) AS dep) AS d
    ''' % LONDON_MIDNIGHT)
    # Attendances that must not count: departed yesterday (long waits), and still in the
    # department (no departure yet).
    env.partner_sql('acute', '''
        INSERT INTO ops.ed_attendance (site, department_type, arrived_at, departed_at, disposal)
        SELECT l.site, l.department_type, %(m)s - interval '20 hours', %(m)s - interval '1 minute',
               'discharged'
          FROM public.ae_load AS l, generate_series(1, 5)
    ''' % {'m': LONDON_MIDNIGHT})
    env.partner_sql('acute', '''
        INSERT INTO ops.ed_attendance (site, department_type, arrived_at)
        SELECT l.site, l.department_type, now() - interval '9 hours'
          FROM public.ae_load AS l, generate_series(1, 3)
    ''')
    env.partner_sql('acute', 'ANALYZE ops.ed_attendance')


def response_times(n, total, p90):
    """n whole-second response times that sum to total (so their mean is total / n exactly) and
    whose 90th centile by percentile_disc (the value at rank ceil(0.9 n)) is p90. The ranks
    around ceil(0.9 n) all hold p90, the ones below spread up to it, the ones above beyond it."""
    if n <= 0:
        return []
    k = math.ceil(0.9 * n)
    lo_rank, hi_rank = max(1, k - 2), min(n, k + 2)
    band = hi_rank - lo_rank + 1
    below, above = lo_rank - 1, n - hi_rank
    rest = total - band * p90
    floor_s = max(1, p90 // 20)
    # the tail: about 1.6 * p90 on average, but whatever the lower part cannot take
    upper = above * p90 + int(0.6 * p90 * above)
    upper = max(above * p90, min(upper, rest - below * floor_s))
    if rest - upper > below * p90:
        upper = rest - below * p90
    lower = rest - upper
    if not (below * floor_s <= lower <= below * p90 and upper >= above * p90) \
            or (below == 0 and lower != 0) or (above == 0 and upper != 0):
        raise ValueError('no %d response times with total %d and 90th centile %d' % (n, total, p90))

    def even_with_ramp(m, s, lo, hi):
        # m integers in [lo, hi] summing to s: equal shares, then a zero-sum ramp
        if m == 0:
            return []
        q, r = divmod(s, m)
        v = [q + (1 if i < r else 0) for i in range(m)]
        room = max(0, min(q - lo, hi - q - 1))
        for i in range(m // 2):
            d = room * (m - 1 - 2 * i) // max(1, m - 1)
            v[i] -= d
            v[m - 1 - i] += d
        return v

    vals = (even_with_ramp(below, lower, floor_s, p90) + [p90] * band +
            even_with_ramp(above, upper, p90, 10 * p90))
    vals.sort()
    assert len(vals) == n and sum(vals) == total and vals[k - 1] == p90, (n, total, p90)
    assert min(vals) >= 1
    return vals


INCIDENT_COLS = ('call_connected_at', 'category', 'clock_start_at', 'first_dispatch_at',
                 'first_arrival_at', 'clock_stop_at', 'conveyed', 'closed_at')


def load_incidents(env, per_category, now):
    """per_category: {category: [response seconds]}. Clock stops spread over the last 23 hours
    (minus a minute); also incidents outside the window that must not count."""
    rows = []
    t0, t1 = now - datetime.timedelta(hours=23), now - datetime.timedelta(minutes=1)
    for cat, secs in per_category.items():
        n = len(secs)
        for i, s in enumerate(secs):
            stop = spread(t0, t1, (i * 7919) % n, n)   # shuffle durations across the window
            start = stop - datetime.timedelta(seconds=s)
            rows.append((start - datetime.timedelta(seconds=20), cat, start, start, stop, stop,
                         i % 2 == 0, stop + datetime.timedelta(minutes=40)))
        for j in range(5):   # stopped 25 hours ago, very slow: outside the 24-hour window
            stop = now - datetime.timedelta(hours=25, minutes=j)
            start = stop - datetime.timedelta(hours=9)
            rows.append((start, cat, start, start, stop, stop, False, stop))
        # still waiting for a response: no clock stop
        rows.append((now - datetime.timedelta(minutes=30), cat, now - datetime.timedelta(minutes=29),
                     None, None, None, None, None))
    env.copy_rows('ambulance', 'ops.incident', INCIDENT_COLS, rows)
    env.partner_sql('ambulance', 'ANALYZE ops.incident')


HANDOVER_COLS = ('call_connected_at', 'first_arrival_at', 'conveyed', 'hospital',
                 'at_hospital_at', 'handover_at')


def load_handovers(env, hospitals, now):
    """hospitals: (code, handovers 30-60 min, handovers over 60 min). Arrivals at hospital spread
    over the last 22 hours; for each hospital also handovers within 30 min (some of exactly
    30:00), some of exactly 60:00 (in the 30-60 band, as the sitrep's "over 60" excludes them),
    and long waits that arrived more than 24 hours ago (outside the window). The incidents have
    no response clock (like inter-facility transfers), so they leave the response times alone."""
    env.copy_rows('ambulance', 'ops.hospital', ('code', 'name'),
                  [(h, 'Hospital ' + h) for h, _, _ in hospitals])
    rows = []
    t0, t1 = now - datetime.timedelta(hours=23), now - datetime.timedelta(hours=1)
    for h, n30, n60 in hospitals:
        mins = []
        mins += [10 + (i % 20) for i in range(4 * (n30 + n60) + 10)]             # on time
        mins += [30] * 3                                                           # exactly 30:00
        band = [31 + (i % 29) for i in range(n30)]                                 # 30-60
        for i in range(min(2, n30)):
            band[i] = 60                                                           # exactly 60:00
        mins += band
        mins += [61 + (i * 17) % 240 for i in range(n60)]                         # over 60
        n = len(mins)
        for i, m in enumerate(mins):
            arr = spread(t0, t1, (i * 7919) % n, n)
            call = arr - datetime.timedelta(minutes=50)
            rows.append((call, call + datetime.timedelta(minutes=15), True, h, arr,
                         arr + datetime.timedelta(minutes=m)))
        for j in range(4):   # arrived 25 hours ago and waited 3 hours: outside the window
            arr = now - datetime.timedelta(hours=25, minutes=j)
            rows.append((arr - datetime.timedelta(hours=1), arr - datetime.timedelta(minutes=30),
                         True, h, arr, arr + datetime.timedelta(hours=3)))
    env.copy_rows('ambulance', 'ops.incident', HANDOVER_COLS, rows)


def load_bed_states(env, trusts, now):
    """trusts: (site, [(bed_type, available, occupied), ...]) latest G&A positions. Each bed
    type's beds go into two wards (one with escalation beds); an older state of every ward
    (different numbers) and a critical care ward (not G&A) must not count."""
    wards, states = [], []
    for site, parts in trusts:
        for bed_type, avail, occ in parts:
            for w in range(2):
                code = '%s-%s-%d' % (site, bed_type, w)
                wards.append((code, site, code, bed_type))
                a = avail // 2 if w == 0 else avail - avail // 2
                o = occ // 2 if w == 0 else occ - occ // 2
                esc = min(a, 3) if w == 1 else 0
                states.append((code, now - datetime.timedelta(hours=30), a + 5, 0, 1))
                states.append((code, now - datetime.timedelta(minutes=10 + w), a - esc, esc, o))
        cc = '%s-cc' % site
        wards.append((cc, site, cc, 'adult_critical_care'))
        states.append((cc, now - datetime.timedelta(minutes=5), 20, 0, 20))
    env.copy_rows('acute', 'ops.ward', ('code', 'site', 'name', 'bed_type'), wards)
    env.copy_rows('acute', 'ops.bed_state', ('ward', 'recorded_at', 'core_beds_open',
                                             'escalation_beds_open', 'beds_occupied'), states)


def load_spells(env, site, nctr, discharged, now, midnight):
    """One trust-day of the discharge sitrep: nctr adults in G&A beds did not meet the criteria
    to reside today, of whom `discharged` were discharged since midnight; the rest are still in.
    Also rows that must not count: patients who still meet the criteria (no nctr_at), NCTR
    patients discharged yesterday, NCTR patients in paediatric G&A, critical care or no known
    ward (the sitrep counts adults in G&A beds), and patients discharged today whose nctr_at is
    stamped after their discharge (a clock ahead: they were not NCTR when they left)."""
    adult, paed, icu = site + '-nctr-adult', site + '-nctr-paed', site + '-nctr-icu'
    env.copy_rows('acute', 'ops.ward', ('code', 'site', 'name', 'bed_type'),
                  [(adult, site, adult, 'adult_ga'), (paed, site, paed, 'paediatric_ga'),
                   (icu, site, icu, 'adult_critical_care')])
    rows = []
    t0, t1 = midnight + datetime.timedelta(seconds=1), now - datetime.timedelta(seconds=5)
    for i in range(discharged):
        dis = spread(t0, t1, i, discharged)
        rows.append((site, adult, dis - datetime.timedelta(days=6), dis - datetime.timedelta(hours=20),
                     (0, 1, 2, 3)[i % 4], dis))
    for i in range(nctr - discharged):
        adm = now - datetime.timedelta(days=3 + i % 20)
        rows.append((site, adult, adm, now - datetime.timedelta(hours=2 + i % 70), (0, 1, 2, 3)[i % 4],
                     None))
    for i in range(max(10, nctr // 3)):
        rows.append((site, adult, now - datetime.timedelta(days=1 + i % 9), None, None, None))
    for i in range(7):
        dis = midnight - datetime.timedelta(minutes=5 + i)
        rows.append((site, adult, dis - datetime.timedelta(days=4), dis - datetime.timedelta(days=1), 1,
                     dis))
    for i in range(max(6, nctr // 50)):
        ward = (paed, icu, None)[i % 3]
        adm = now - datetime.timedelta(days=2 + i % 5)
        rows.append((site, ward, adm, now - datetime.timedelta(hours=3 + i % 30), 1,
                     None if i % 2 else spread(t0, t1, i, max(6, nctr // 50))))
    for i in range(5):
        dis = spread(t0, t1, i, 5)
        rows.append((site, adult, dis - datetime.timedelta(days=3), dis + datetime.timedelta(seconds=1 + i),
                     1, dis))
    env.copy_rows('acute', 'ops.inpatient_spell',
                  ('site', 'ward', 'admitted_at', 'nctr_at', 'discharge_pathway', 'discharged_at'), rows)


# ----------------------------------------------------------------------------------------------
# the published rows used

AE_MONTH = '2019-01-01'          # ae_attendances_monthly_2016_2019.csv: trusts of this month
AE_TRUSTS = ('RJ1', 'RXH', 'RA7')
AE_ENGLAND_MONTH = '2017-02-01'  # England type 1: the smallest month of the file (1.1 million)
AE_2024 = ('2024-12-01', ('R0A', 'RXN'))   # ae_monthly_trust_2021_2025.csv, all types
AMB_MONTH = '2019-01-01'         # ambulance_response_times_monthly_2017_2021.csv
AMB_TRUST = 'R1F'                # Isle of Wight: small, every category
SITREP_DAY = '2019-01-07'        # winter_sitrep_daily_2015_2023.csv (ENG = sum of trusts)
BEDS_MONTH = '2025-01-01'        # beds_monthly_trust_2022_2025.csv
NCTR_DAY = '2024-01-15'          # discharge_nctr_daily_trust_2022_2025.csv
NCTR_TRUST = 'RXN'


def ae_groups(month, trusts=None, types=('1', '2', 'other')):
    """(org, department_type, attendances, breaches) rows of the 2016-19 file."""
    tmap = {'1': 1, '2': 2, 'other': 3}
    out = []
    for r in read_csv('ae_attendances_monthly_2016_2019.csv'):
        if r['period'] == month and r['type'] in types and (trusts is None or r['org_code'] in trusts):
            out.append((r['org_code'], tmap[r['type']], int(r['attendances']), int(r['breaches'])))
    if trusts is not None:
        found = {g[0] for g in out}
        missing = set(trusts) - found
        if missing:
            raise ce.HarnessError('no A&E rows for %s in %s' % (sorted(missing), month))
    return out


def ae_2024_groups():
    month, trusts = AE_2024
    out = []
    for r in read_csv('ae_monthly_trust_2021_2025.csv'):
        if r['period'] == month and r['org_code'] in trusts:
            att, br = int(r['attendances_total']), int(r['attendances_over_4h'])
            # the file has no split by type: any split gives the same all-type figure
            t1 = att * 2 // 3
            b1 = min(br, t1)
            out.append(('N' + r['org_code'], 1, t1, b1))
            out.append(('N' + r['org_code'], 3, att - t1, br - b1))
    assert len(out) == 2 * len(trusts), out
    return out


def amb_row(org, month=AMB_MONTH):
    for r in read_csv('ambulance_response_times_monthly_2017_2021.csv'):
        if r['period'] == month and r['org_code'] == org:
            return r
    raise ce.HarnessError('no ambulance row for %s in %s' % (org, month))


def amb_times(row, cats=(1, 2, 3, 4)):
    out = {}
    for c in cats:
        n, tot, p90 = (int(row['c%d_%s' % (c, f)]) for f in ('incidents', 'response_total_s', 'p90_s'))
        out[c] = response_times(n, tot, p90)
    return out


def sitrep_rows(day):
    rows = [r for r in read_csv('winter_sitrep_daily_2015_2023.csv') if r['date'] == day]
    eng = [r for r in rows if r['org_code'] == 'ENG']
    trusts = [r for r in rows if r['org_code'] not in ('ENG', 'ENG_T1')]
    if len(eng) != 1 or not trusts:
        raise ce.HarnessError('no sitrep rows for %s' % day)
    return eng[0], trusts


def nctr_row(day, org):
    for r in read_csv('discharge_nctr_daily_trust_2022_2025.csv'):
        if r['date'] == day and r['org_code'] == org:
            return int(r['nctr_patients']), int(r['discharged_total'])
    raise ce.HarnessError('no discharge sitrep row for %s on %s' % (org, day))


def nctr_england(day):
    n = d = 0
    for r in read_csv('discharge_nctr_daily_trust_2022_2025.csv'):
        if r['date'] == day and r['nctr_patients'] and r['discharged_total']:
            n += int(r['nctr_patients'])
            d += int(r['discharged_total'])
    return n, d


def beds_month_rows(month, limit=12):
    """Trust-months with paediatric G&A beds whose published adult G&A rate (3 dp) the rounded
    monthly mean counts reproduce: the rate is published from unrounded means, so for about half
    the rows they cannot (README). (org, adult (available, occupied), paediatric (same),
    published adult rate, published all-G&A rate)."""
    out = []
    for r in read_csv('beds_monthly_trust_2022_2025.csv'):
        if r['period'] != month or not r['adult_ga_occupancy_rate_published']:
            continue
        try:
            ga = (int(r['ga_beds_available']), int(r['ga_beds_occupied']))
            adult = (int(r['adult_ga_beds_available']), int(r['adult_ga_beds_occupied']))
            paed = (int(r['paed_ga_beds_available']), int(r['paed_ga_beds_occupied']))
        except ValueError:
            continue
        if adult[0] <= 0 or paed[0] <= 0 or (adult[0] + paed[0], adult[1] + paed[1]) != ga:
            continue
        pub = D(r['adult_ga_occupancy_rate_published'])
        if (D(adult[1]) / D(adult[0])).quantize(D('0.001'), decimal.ROUND_HALF_UP) == pub:
            out.append((r['org_code'], adult, paed, pub, D(r['ga_occupancy_rate_published'] or '0')))
    return out[:limit]


# ----------------------------------------------------------------------------------------------
# the tests

class DefinitionChecks:
    """Assertions shared by the SQL and the end-to-end classes."""

    def assertPct(self, value, numerator, denominator, what):
        exact = 100.0 * numerator / denominator
        self.assertAlmostEqual(value, exact, delta=1e-9 * max(1, exact),
                               msg='%s: %r, computed from the rows %r' % (what, value, exact))
        self.assertEqual(rounded(value, 1), pct_published(numerator, denominator, 1),
                         '%s: %r does not round to the published %s%%'
                         % (what, value, pct_published(numerator, denominator, 1)))


@unittest.skipIf(ce.sanitized(), 'SQL only (no daemon): runs in the unsanitized pass')
class NhsDefinitionsSqlTest(unittest.TestCase, DefinitionChecks):
    env = None

    @classmethod
    def setUpClass(cls):
        require_data()
        cls.env = ce.DemoEnv()
        cls.env.start(daemon=False)

    @classmethod
    def tearDownClass(cls):
        if cls.env is not None:
            env, cls.env = cls.env, None
            env.close()

    def setUp(self):
        for p in self.env.partners:
            self.env.reset_ops(p)

    # -- A&E ------------------------------------------------------------------------------------
    def test_ae_trusts_by_type(self):
        """Three trusts' January 2019: type 1 and all types, per trust and for the three."""
        env = self.env
        groups = ae_groups(AE_MONTH, AE_TRUSTS)
        add_sites(env, AE_TRUSTS)
        wait_for_day_window(env, 'acute')
        load_attendances(env, groups)
        t1 = env.run_feed('acute', 'ed.four_hour_performance_type1')
        allt = env.run_feed('acute', 'ed.four_hour_performance')
        for org in AE_TRUSTS:
            a = sum(g[2] for g in groups if g[0] == org and g[1] == 1)
            b = sum(g[3] for g in groups if g[0] == org and g[1] == 1)
            self.assertPct(t1[org], a - b, a, '%s type 1 %s' % (org, AE_MONTH))
            a = sum(g[2] for g in groups if g[0] == org)
            b = sum(g[3] for g in groups if g[0] == org)
            self.assertPct(allt[org], a - b, a, '%s all types %s' % (org, AE_MONTH))
            out('%s %s: type 1 %.1f%%, all types %.1f%% (published figures recomputed from '
                'attendances and breaches)' % (org, AE_MONTH[:7], t1[org], allt[org]))
        a = sum(g[2] for g in groups if g[1] == 1)
        b = sum(g[3] for g in groups if g[1] == 1)
        self.assertPct(t1[''], a - b, a, 'the three trusts, type 1')
        self.assertEqual(set(t1), set(AE_TRUSTS) | {''})

    def test_ae_all_types_2024(self):
        env = self.env
        groups = ae_2024_groups()
        add_sites(env, sorted({g[0] for g in groups}))
        wait_for_day_window(env, 'acute')
        load_attendances(env, groups)
        allt = env.run_feed('acute', 'ed.four_hour_performance')
        for site in {g[0] for g in groups}:
            a = sum(g[2] for g in groups if g[0] == site)
            b = sum(g[3] for g in groups if g[0] == site)
            self.assertPct(allt[site], a - b, a, '%s all types %s' % (site[1:], AE_2024[0]))
            out('%s %s: all types %.1f%%' % (site[1:], AE_2024[0][:7], allt[site]))

    def test_ae_england_type1_month(self):
        """England type 1 for February 2017: every provider's row loaded as a site; the trust
        total row ('') is England."""
        env = self.env
        groups = ae_groups(AE_ENGLAND_MONTH, types=('1',))
        add_sites(env, sorted({g[0] for g in groups}))
        wait_for_day_window(env, 'acute')
        t0 = time.monotonic()
        load_attendances(env, groups)
        load_s = time.monotonic() - t0
        t0 = time.monotonic()
        t1 = env.run_feed('acute', 'ed.four_hour_performance_type1')
        q_s = time.monotonic() - t0
        a = sum(g[2] for g in groups)
        b = sum(g[3] for g in groups)
        self.assertPct(t1[''], a - b, a, 'England type 1 %s' % AE_ENGLAND_MONTH)
        for org, _, att, br in groups:
            self.assertPct(t1[org], att - br, att, '%s type 1 %s' % (org, AE_ENGLAND_MONTH))
        out('England type 1 %s: %d attendances, %d breaches -> %.1f%% (%d providers; loaded in '
            '%.1f s, query %.2f s)' % (AE_ENGLAND_MONTH[:7], a, b, t1[''], len(groups), load_s, q_s))

    # -- ambulance ------------------------------------------------------------------------------
    def check_ambulance(self, row, cats):
        env = self.env
        for c in cats:
            n, tot = int(row['c%d_incidents' % c]), int(row['c%d_response_total_s' % c])
            mean_pub, p90_pub = int(row['c%d_mean_s' % c]), int(row['c%d_p90_s' % c])
            if c in (1, 2):
                mean = env.run_feed('ambulance', 'ambulance.cat%d_mean_min' % c)['']
                self.assertAlmostEqual(mean * 60, tot / n, delta=1e-6,
                                       msg='C%d mean %r s, rows say %r s' % (c, mean * 60, tot / n))
                # AmbSYS publishes whole seconds; its means recompute from the totals to within
                # half a second (README of shared/data)
                self.assertLessEqual(abs(mean * 60 - mean_pub), 0.5,
                                     'C%d mean %.3f s vs published %d s' % (c, mean * 60, mean_pub))
            p90 = env.run_feed('ambulance', 'ambulance.cat%d_p90_min' % c)['']
            self.assertAlmostEqual(p90 * 60, p90_pub, delta=1e-6,
                                   msg='C%d 90th centile %r s vs published %d s' % (c, p90 * 60, p90_pub))
            out('%s %s C%d: %d incidents, mean %.2f s (published %d), 90th centile %.0f s '
                '(published %d)' % (row['org_code'], row['period'][:7], c, n, tot / n, mean_pub,
                                    p90 * 60, p90_pub))

    def test_ambulance_trust_month(self):
        env = self.env
        row = amb_row(AMB_TRUST)
        now = db_now(env, 'ambulance')[0]
        load_incidents(env, amb_times(row), now)
        self.check_ambulance(row, (1, 2, 3, 4))

    def test_ambulance_england_month(self):
        env = self.env
        row = amb_row('ENG')
        now = db_now(env, 'ambulance')[0]
        t0 = time.monotonic()
        load_incidents(env, amb_times(row, (1, 2)), now)
        out('England %s: %d incidents loaded in %.1f s' % (
            AMB_MONTH[:7], int(row['c1_incidents']) + int(row['c2_incidents']), time.monotonic() - t0))
        self.check_ambulance(row, (1, 2))

    # -- handovers ------------------------------------------------------------------------------
    def test_handovers_sitrep_day(self):
        env = self.env
        eng, trusts = sitrep_rows(SITREP_DAY)
        hosp = [(r['org_code'], int(r['handover_delays_30_60_min']), int(r['handover_delays_over_60_min']))
                for r in trusts if r['handover_delays_30_60_min'] and r['handover_delays_over_60_min']]
        now = db_now(env, 'ambulance')[0]
        load_handovers(env, hosp, now)
        o30 = env.run_feed('ambulance', 'ambulance.handovers_over_30_min')
        o60 = env.run_feed('ambulance', 'ambulance.handovers_over_60_min')
        for code, n30, n60 in hosp:
            self.assertEqual(o30[code], n30 + n60, '%s over 30 min' % code)
            self.assertEqual(o60[code], n60, '%s over 60 min' % code)
        self.assertEqual(sum(o30.values()), int(eng['handover_delays_30_60_min']) +
                         int(eng['handover_delays_over_60_min']), 'England over 30 min')
        self.assertEqual(sum(o60.values()), int(eng['handover_delays_over_60_min']), 'England over 60')
        out('England %s: handovers over 30 min %d, over 60 min %d (%d trusts)'
            % (SITREP_DAY, sum(o30.values()), sum(o60.values()), len(hosp)))

    # -- beds -----------------------------------------------------------------------------------
    def test_ga_occupancy_sitrep_day(self):
        env = self.env
        eng, trusts = sitrep_rows(SITREP_DAY)
        rows = [(r['org_code'], int(r['ga_beds_open']), int(r['ga_beds_occupied']), r['ga_occupancy_rate'])
                for r in trusts if r['ga_beds_open'] and int(r['ga_beds_open']) > 0]
        add_sites(env, [r[0] for r in rows])
        now = db_now(env, 'acute')[0]
        load_bed_states(env, [(code, [('adult_ga', o, occ)]) for code, o, occ, _ in rows], now)
        occ = env.run_feed('acute', 'beds.ga_occupancy')
        for code, o, oc, rate in rows:
            self.assertAlmostEqual(occ[code], 100.0 * oc / o, delta=1e-9)
            self.assertEqual(rounded(occ[code] / 100, 6), D(rate), '%s rate' % code)
        self.assertEqual(sum(r[1] for r in rows), int(eng['ga_beds_open']))
        self.assertEqual(rounded(occ[''] / 100, 6), D(eng['ga_occupancy_rate']), 'England rate')
        out('England %s: G&A occupancy %.4f%% (published rate %s)' % (SITREP_DAY, occ[''],
                                                                   eng['ga_occupancy_rate']))

    def test_ga_occupancy_monthly(self):
        """beds.ga_occupancy is adult G&A, the rate the 92% and 95% lines refer to: each trust's
        published adult rate, its paediatric beds loaded beside it (and counted apart)."""
        env = self.env
        rows = beds_month_rows(BEDS_MONTH)
        self.assertGreaterEqual(len(rows), 8)
        # the rows tell adult from all G&A: with paediatric beds in, most rates differ
        self.assertGreaterEqual(sum(1 for r in rows if r[3] != r[4]), len(rows) // 2)
        add_sites(env, [r[0] for r in rows])
        now = db_now(env, 'acute')[0]
        load_bed_states(env, [(code, [('adult_ga',) + adult, ('paediatric_ga',) + paed])
                              for code, adult, paed, _, _ in rows], now)
        occ = env.run_feed('acute', 'beds.ga_occupancy')
        paed_occ = env.run_feed('acute', 'beds.paediatric_ga_occupancy')
        for code, adult, paed, pub, _ in rows:
            self.assertEqual(rounded(occ[code] / 100, 3), pub, '%s %s adult' % (code, BEDS_MONTH))
            self.assertEqual(rounded(occ[code], 1), (pub * 100).quantize(D('0.1')))
            self.assertAlmostEqual(paed_occ[code], 100.0 * paed[1] / paed[0], delta=1e-9)
        self.assertAlmostEqual(occ[''], 100.0 * sum(r[1][1] for r in rows) / sum(r[1][0] for r in rows),
                               delta=1e-9)
        out('%d trusts, %s: adult G&A occupancy equals the published adult rate to 3 dp '
            '(all G&A would differ for %d)' % (len(rows), BEDS_MONTH[:7],
                                               sum(1 for r in rows if r[3] != r[4])))

    # -- discharge ------------------------------------------------------------------------------
    def check_nctr(self, nctr, discharged, what):
        env = self.env
        self.assertEqual(env.run_feed('acute', 'discharge.nctr_patients')[''], nctr, what + ' NCTR')
        self.assertEqual(env.run_feed('acute', 'discharge.discharges_today')[''], discharged,
                         what + ' discharged')
        self.assertEqual(env.run_feed('acute', 'discharge.nctr_remaining')[''], nctr - discharged,
                         what + ' remaining')
        out('%s: %d not meeting the criteria to reside, %d discharged, %d remaining'
            % (what, nctr, discharged, nctr - discharged))

    def test_nctr_trust_day(self):
        env = self.env
        nctr, dis = nctr_row(NCTR_DAY, NCTR_TRUST)
        add_sites(env, [NCTR_TRUST])
        now, midnight = wait_for_day_window(env, 'acute')
        load_spells(env, NCTR_TRUST, nctr, dis, now, midnight)
        self.check_nctr(nctr, dis, '%s %s' % (NCTR_TRUST, NCTR_DAY))

    def test_nctr_england_day(self):
        env = self.env
        nctr, dis = nctr_england(NCTR_DAY)
        self.assertEqual((nctr, dis), (23568, 9364))   # as quoted in shared/data/README.md
        add_sites(env, ['ENG'])
        now, midnight = wait_for_day_window(env, 'acute')
        load_spells(env, 'ENG', nctr, dis, now, midnight)
        self.check_nctr(nctr, dis, 'England %s' % NCTR_DAY)

    # -- ED now ----------------------------------------------------------------------------------
    def test_ed_now(self):
        """Patients in the department, 12 hours from arrival, waiting for a bed, arrivals in the
        last hour: constructed rows around each boundary."""
        env = self.env
        add_sites(env, ['AAA', 'BBB'])
        now = db_now(env, 'acute')[0]
        h = lambda x: now - datetime.timedelta(hours=x)  # noqa: E731
        rows = [
            # site, type, arrived, dta, departed, disposal
            ('AAA', 1, h(0.5), None, None, None),
            ('AAA', 1, h(11.9), h(3), None, None),          # in, under 12 h, waiting for a bed
            ('AAA', 1, h(12.1), h(8), None, None),          # in, over 12 h, waiting for a bed
            ('AAA', 3, h(13), None, None, None),            # in, over 12 h (type 3 counts too)
            ('AAA', 1, h(20), h(15), h(1), 'admitted'),     # left: counts nowhere now
            ('AAA', 1, h(0.9), None, h(0.2), 'discharged'), # arrived in the last hour, left
            ('BBB', 1, h(1.5), None, None, None),
        ]
        env.copy_rows('acute', 'ops.ed_attendance', ('site', 'department_type', 'arrived_at',
                                                     'decided_to_admit_at', 'departed_at', 'disposal'), rows)
        self.assertEqual(env.run_feed('acute', 'ed.patients_in_department'), {'AAA': 4, 'BBB': 1})
        self.assertEqual(env.run_feed('acute', 'ed.twelve_hours_from_arrival'), {'AAA': 2, 'BBB': 0})
        self.assertEqual(env.run_feed('acute', 'admission.dta_waiting'), {'AAA': 2, 'BBB': 0})
        self.assertEqual(env.run_feed('acute', 'ed.arrivals_last_hour'), {'AAA': 2, 'BBB': 0})
        # nothing departed since midnight yet at BBB: no 4-hour figure (not a NULL)
        perf = env.run_feed('acute', 'ed.four_hour_performance')
        self.assertNotIn('BBB', perf)

    # -- NHS 111 ------------------------------------------------------------------------------------
    def test_111_definitions(self):
        """NHS 111 minimum data set: abandoned after waiting longer than 30 s / offered; answered
        within 60 s / answered. shared/data has no 111 file: constructed calls at the edges."""
        env = self.env
        now = db_now(env, '111')[0]
        rows = []

        def call(age_min, answered_s=None, abandoned_s=None):
            c = now - datetime.timedelta(minutes=age_min)
            rows.append((c, c + datetime.timedelta(seconds=answered_s) if answered_s is not None else None,
                         c + datetime.timedelta(seconds=abandoned_s) if abandoned_s is not None else None))
        for i in range(100):
            call(5 + i * 2, answered_s=(10, 45, 60, 61, 200)[i % 5])   # 60 of 100 within 60 s
        for s in (5, 29, 30):
            call(50, abandoned_s=s)          # abandoned within 30 s: not counted
        for s in (31, 90, 600):
            call(70, abandoned_s=s)          # counted
        call(0.2)                            # still queueing: offered, not abandoned
        call(300, abandoned_s=400)           # offered 5 h ago: outside the 4-hour window
        call(300, answered_s=5)
        env.copy_rows('111', 'ops.call', ('connected_at', 'answered_at', 'abandoned_at'), rows)
        offered_4h = 100 + 3 + 3 + 1
        got = env.run_feed('111', '111.abandoned_pct')['']
        self.assertAlmostEqual(got, 100.0 * 3 / offered_4h, delta=1e-9)
        self.assertAlmostEqual(env.run_feed('111', '111.answered_60s_pct')[''], 60.0, delta=1e-9)
        # offered in the last hour: calls connected 5..59 min ago (28), the 3+3 abandoned ones at
        # 50 min (3), the queueing one (1); the 70-minute ones are older
        self.assertEqual(env.run_feed('111', '111.calls_offered')[''], 28 + 3 + 1)
        env.copy_rows('111', 'ops.ooh_case', ('created_at', 'called_back_at', 'closed_at'), [
            (now - datetime.timedelta(minutes=40), None, None),
            (now - datetime.timedelta(minutes=30), now - datetime.timedelta(minutes=5), None),
            (now - datetime.timedelta(minutes=20), None, now - datetime.timedelta(minutes=1)),
            (now - datetime.timedelta(minutes=10), None, None)])
        self.assertEqual(env.run_feed('111', 'ooh.cases_waiting'), {'': 2})

    # -- community and mental health --------------------------------------------------------------
    def test_community_and_mental_health(self):
        env = self.env
        now = db_now(env, 'community')[0]
        ago = lambda m: now - datetime.timedelta(minutes=m)  # noqa: E731
        env.copy_rows('community', 'ops.care_package_request',
                      ('requested_at', 'discharge_pathway', 'service', 'started_at', 'cancelled_at'),
                      [(ago(600), 1, 'reablement', None, None), (ago(500), 3, 'care_home', None, None),
                       (ago(400), 1, 'home_care', ago(10), None), (ago(300), 2, 'intermediate_care_bed',
                                                                    None, ago(20))])
        self.assertEqual(env.run_feed('community', 'community.packages_awaited'), {'': 2})
        env.copy_rows('mental_health', 'ops.crisis_referral', ('received_at', 'urgency', 'assessed_at',
                                                               'closed_at'),
                      [(ago(90), 'very_urgent', None, None), (ago(60), 'urgent', ago(5), None),
                       (ago(30), 'urgent', None, ago(2)), (ago(10), 'emergency', None, None)])
        self.assertEqual(env.run_feed('mental_health', 'mental_health.crisis_referrals_waiting'), {'': 2})
        env.copy_rows('mental_health', 'ops.placement', ('started_at', 'ended_at', 'provider',
                                                         'out_of_area', 'reason'),
                      [(ago(9000), None, 'Elsewhere', True, 'no_local_bed'),         # counts
                       (ago(8000), ago(100), 'Elsewhere', True, 'no_local_bed'),     # ended
                       (ago(7000), None, 'Specialist', True, 'specialist_need'),     # appropriate
                       (ago(6000), None, 'Local', False, 'local_bed'),               # local
                       (ago(5000), None, 'Elsewhere', True, 'no_local_bed')])        # counts
        self.assertEqual(env.run_feed('mental_health', 'mental_health.out_of_area_placements'), {'': 2})

    # -- issue 13: the letter of the definitions ----------------------------------------------------
    def test_times_after_now_have_not_happened(self):
        """A departure, abandonment, call-back, close, start, cancellation or assessment stamped
        after now (a partner's clock ahead) has not happened yet, in every query alike."""
        env = self.env
        add_sites(env, ['AAA'])
        now = db_now(env, 'acute')[0]
        ago = lambda m: now - datetime.timedelta(minutes=m)    # noqa: E731
        later = lambda m: now + datetime.timedelta(minutes=m)  # noqa: E731
        env.copy_rows('acute', 'ops.ed_attendance', ('site', 'department_type', 'arrived_at',
                                                     'decided_to_admit_at', 'departed_at', 'disposal'), [
            ('AAA', 1, ago(60), None, None, None),                # in the department
            ('AAA', 1, ago(90), ago(30), later(5), 'admitted'),   # leaves later: in, waiting for a bed
            ('AAA', 1, ago(800), None, later(1), 'discharged'),   # leaves later: in, over 12 h
            ('AAA', 1, ago(120), None, ago(10), 'discharged'),    # gone
        ])
        self.assertEqual(env.run_feed('acute', 'ed.patients_in_department'), {'AAA': 3})
        # evaluated as of another instant ($1, as the backfill does): later, those departures
        # have happened; earlier, the patient gone 10 minutes ago was still there
        self.assertEqual(env.run_feed('acute', 'ed.patients_in_department', at=later(6)),
                         {'AAA': 1})
        self.assertEqual(env.run_feed('acute', 'ed.patients_in_department', at=ago(100)),
                         {'AAA': 2})
        self.assertEqual(env.run_feed('acute', 'admission.dta_waiting'), {'AAA': 1})
        self.assertEqual(env.run_feed('acute', 'ed.twelve_hours_from_arrival'), {'AAA': 1})
        env.copy_rows('111', 'ops.call', ('connected_at', 'answered_at', 'abandoned_at'), [
            (ago(30), None, later(1)),       # offered, its abandonment not yet happened
            (ago(20), None, ago(19)),        # abandoned after 60 s
            (ago(10), ago(9.5), None),
            (ago(5), None, None)])
        self.assertAlmostEqual(env.run_feed('111', '111.abandoned_pct')[''], 25.0, delta=1e-9)
        env.copy_rows('111', 'ops.ooh_case', ('created_at', 'called_back_at', 'closed_at'), [
            (ago(40), later(5), None), (ago(30), None, later(2)), (ago(20), ago(1), None),
            (ago(10), None, None)])
        self.assertEqual(env.run_feed('111', 'ooh.cases_waiting'), {'': 3})
        env.copy_rows('community', 'ops.care_package_request',
                      ('requested_at', 'service', 'started_at', 'cancelled_at'),
                      [(ago(100), 'reablement', later(10), None), (ago(90), 'home_care', None, later(10)),
                       (ago(80), 'care_home', ago(5), None)])
        self.assertEqual(env.run_feed('community', 'community.packages_awaited'), {'': 2})
        env.copy_rows('mental_health', 'ops.crisis_referral',
                      ('received_at', 'urgency', 'assessed_at', 'closed_at'),
                      [(ago(60), 'urgent', later(3), None), (ago(50), 'urgent', None, later(3)),
                       (ago(40), 'urgent', None, None), (ago(30), 'urgent', ago(1), None)])
        self.assertEqual(env.run_feed('mental_health', 'mental_health.crisis_referrals_waiting'), {'': 3})

    def test_handovers_end_at_handover_or_close(self):
        """With no handover recorded the wait ends at the incident's close, as the sitrep counts
        it; only an incident with neither (or both after now) is still waiting."""
        env = self.env
        now = db_now(env, 'ambulance')[0]
        ago = lambda m: now - datetime.timedelta(minutes=m)    # noqa: E731
        later = lambda m: now + datetime.timedelta(minutes=m)  # noqa: E731
        env.copy_rows('ambulance', 'ops.hospital', ('code', 'name'), [('HHH', 'Hospital HHH')])
        rows = [   # arrived at hospital, handover, closed
            (ago(180), ago(170), ago(100)),   # 10 min
            (ago(180), None, ago(160)),       # closed after 20 min, no handover stamped
            (ago(180), None, ago(135)),       # closed after 45 min: over 30
            (ago(180), None, None),           # still waiting, 3 h: over 30 and 60
            (ago(180), None, later(10)),      # its close is not yet: still waiting
            (ago(100), ago(25), ago(5)),      # 75 min: over 30 and 60
            (ago(50), later(30), None),       # its handover is not yet: 50 min so far
        ]
        env.copy_rows('ambulance', 'ops.incident', ('call_connected_at', 'conveyed', 'hospital',
                                                    'at_hospital_at', 'handover_at', 'closed_at'),
                      [(a - datetime.timedelta(minutes=50), True, 'HHH', a, h, c) for a, h, c in rows])
        self.assertEqual(env.run_feed('ambulance', 'ambulance.handovers_over_30_min'), {'HHH': 5})
        self.assertEqual(env.run_feed('ambulance', 'ambulance.handovers_over_60_min'), {'HHH': 3})

    def test_twelve_hours_from_arrival_published(self):
        """The published measure: type 1 attendances that departed (since midnight) more than
        12 hours after arrival, whole minutes; the live count stays beside it."""
        env = self.env
        add_sites(env, ['AAA', 'BBB'])
        now, midnight = wait_for_day_window(env, 'acute', need_s=300)
        s = datetime.timedelta(seconds=1)
        h12 = datetime.timedelta(hours=12)
        dep = now.replace(second=0, microsecond=0) - datetime.timedelta(minutes=2) + 30 * s
        rows = [   # site, type, arrived, departed
            ('AAA', 1, dep - h12, dep),                       # 12:00:00: not more than 12 h
            ('AAA', 1, dep - h12 - 20 * s, dep),              # 12:00:20, still minute 720
            ('AAA', 1, dep - h12 - 40 * s, dep),              # crosses a minute: 721, counts
            ('AAA', 3, dep - 13 * 3600 * s, dep),             # type 3: not in the measure
            ('AAA', 1, midnight - 15 * 3600 * s, midnight - 60 * s),   # departed yesterday
            ('AAA', 1, now - 13 * 3600 * s, None),            # still in: the live count's
            ('AAA', 1, now - 13 * 3600 * s, now + 300 * s),   # leaves later: still in
            ('BBB', 1, dep - 15 * 3600 * s, dep),
        ]
        env.copy_rows('acute', 'ops.ed_attendance', ('site', 'department_type', 'arrived_at',
                                                     'departed_at', 'disposal'),
                      [r + (None if r[3] is None else 'admitted',) for r in rows])
        self.assertEqual(env.run_feed('acute', 'ed.twelve_hours_from_arrival_type1'),
                         {'AAA': 1, 'BBB': 1, '': 2})
        self.assertEqual(env.run_feed('acute', 'ed.twelve_hours_from_arrival'), {'AAA': 2, 'BBB': 0})

    def test_four_hour_whole_minutes(self):
        """4 h 00 min is within: each time counts to its minute (seconds dropped, as a record kept
        to the minute holds it). The rows tell this apart from comparing seconds (2 of 6 within)
        and from dropping the seconds of the duration (5 of 6)."""
        env = self.env
        add_sites(env, ['MMM'])
        now, midnight = wait_for_day_window(env, 'acute', need_s=420)
        s = datetime.timedelta(seconds=1)
        m = now.replace(second=0, microsecond=0) - datetime.timedelta(hours=4, minutes=5)
        h4 = datetime.timedelta(hours=4)
        rows = [   # arrived, departed (m is 10:00:00 in the comments)
            (m + 10 * s, m + h4 + 50 * s),              # 10:00:10 - 14:00:50: 240 min, within
            (m + 50 * s, m + h4 + 70 * s),              # 10:00:50 - 14:01:10: 241 min, breach
            (m, m + h4),                                # 4:00:00, within
            (m + 59.5 * s, m + h4 + 59.9 * s),          # 4:00:00.4, within
            (m, m + h4 + 60 * s),                       # 4:01:00, breach
            (m + 30 * s, m + h4 - 15 * s),              # 3:59:45, within
        ]
        env.copy_rows('acute', 'ops.ed_attendance', ('site', 'department_type', 'arrived_at',
                                                     'departed_at', 'disposal'),
                      [('MMM', 1, a, d, 'discharged') for a, d in rows])
        for key in ('ed.four_hour_performance', 'ed.four_hour_performance_type1'):
            got = env.run_feed('acute', key)
            self.assertAlmostEqual(got['MMM'], 100.0 * 4 / 6, delta=1e-9, msg=key)
            self.assertAlmostEqual(got[''], 100.0 * 4 / 6, delta=1e-9, msg=key)

    def test_ambulance_clock_start_and_centile(self):
        """The AmbSYS clock starts at the earliest of: the problem identified (CAD's
        clock_start_at), the first dispatch, call connect + 240 s (+ 30 s for Category 1). Ten
        responses of 1..10 minutes per category, their clock starts reached each of the three
        ways; the 90th centile is the nearest rank, 9:00 (interpolating would give 9:06,
        PERCENTILE.EXC 9:54), the mean 5:30."""
        env = self.env
        now = db_now(env, 'ambulance')[0]
        s = datetime.timedelta(seconds=1)
        rows = []
        for cat in (1, 2, 3, 4):
            fixed = 30 if cat == 1 else 240
            for k in range(1, 11):
                resp = 60 * k
                stop = now - datetime.timedelta(minutes=30 + 7 * k + cat)
                start = stop - resp * s       # the AmbSYS clock start
                if k % 3 == 0:                # the problem identified first
                    call, problem, dispatch = start - (fixed - 10) * s, start, start + 20 * s
                elif k % 3 == 1:              # a resource dispatched before that
                    call, problem, dispatch = start - 5 * s, start + (resp // 2) * s, start
                else:                         # neither within the fixed time after connect
                    call = start - fixed * s
                    problem, dispatch = start + (resp // 2) * s, start + (resp // 2 + 5) * s
                rows.append((call, cat, problem, dispatch, stop, stop, True,
                             stop + datetime.timedelta(minutes=40)))
        env.copy_rows('ambulance', 'ops.incident', INCIDENT_COLS, rows)
        for c in (1, 2):
            self.assertAlmostEqual(env.run_feed('ambulance', 'ambulance.cat%d_mean_min' % c)[''], 5.5,
                                   delta=1e-9, msg='C%d mean' % c)
        for c in (1, 2, 3, 4):
            self.assertAlmostEqual(env.run_feed('ambulance', 'ambulance.cat%d_p90_min' % c)[''], 9.0,
                                   delta=1e-9, msg='C%d 90th centile' % c)

    def test_lines_follow_the_standards_wording(self):
        """Only "fewer than 5% abandoned" has a line a value on it fails (the daemon test sees
        5.0% red on the board)."""
        env = self.env
        self.assertEqual(env.hub('SELECT partner, key FROM commcell.metric WHERE line_inclusive '
                                 'ORDER BY key'), [('111', '111.abandoned_pct')])

    def test_rota_changeovers_in_utc(self):
        """sql/demo/alerts.sql's shifts change at 08:00 and 20:00 UTC whatever the session's time
        zone (Asia/Kolkata is UTC+05:30), and one covers now."""
        env = self.env
        env.cluster.psql('commcell', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-v', 'notify_log=/dev/null',
                         '-v', 'webhook=', '-c', "SET TimeZone = 'Asia/Kolkata'",
                         '-f', os.path.join(ce.REPO, 'sql', 'demo', 'alerts.sql'))
        got = env.hub("SELECT DISTINCT to_char(starts_at AT TIME ZONE 'UTC', 'HH24:MI') "
                      "FROM commcell.rota_shift WHERE team = 'system-ops' AND NOT is_override ORDER BY 1")
        self.assertEqual([r[0] for r in got], ['08:00', '20:00'])
        cover = env.hub("SELECT level, count(*) FROM commcell.rota_shift WHERE team = 'system-ops' "
                        'AND starts_at <= now() AND ends_at > now() GROUP BY level ORDER BY level')
        self.assertEqual(cover, [(1, 1), (2, 1)])

    def test_every_feed_runs_on_empty_tables(self):
        """On empty operational tables every query runs as commcell_reader, read-only, within
        its timeout, and returns no NULL or non-finite value (rates return no row at all)."""
        env = self.env
        feeds = env.hub("SELECT partner, metric FROM commcell.feed WHERE kind = 'query' ORDER BY id")
        self.assertGreaterEqual(len(feeds), 20)
        for partner, metric in feeds:
            with self.subTest(metric=metric):
                env.run_feed(partner, metric)
        # every stage of the pathway still has metrics
        bare = env.hub('SELECT s.key FROM commcell.stage s WHERE NOT EXISTS (SELECT 1 FROM '
                       'commcell.metric m WHERE m.stage = s.key)')
        self.assertEqual(bare, [])


class NhsDefinitionsDaemonTest(unittest.TestCase, DefinitionChecks):
    """The same definitions end to end: published rows loaded into the partners, the seed's
    query feeds polled by commcelld, the values read from the WebSocket board."""
    env = None

    @classmethod
    def setUpClass(cls):
        require_data()
        ce.Daemon(ce.default_bin()).check_binary()
        cls.env = ce.DemoEnv(poll_ms=500)
        cls.env.start(daemon=False)

    @classmethod
    def tearDownClass(cls):
        if cls.env is not None:
            env, cls.env = cls.env, None
            env.close(check_daemon=True)

    def test_published_figures_on_the_board(self):
        env = self.env
        # A&E: three trusts, January 2019, all types (about 60,000 attendances)
        groups = ae_groups(AE_MONTH, AE_TRUSTS)
        add_sites(env, AE_TRUSTS)
        wait_for_day_window(env, 'acute')
        load_attendances(env, groups)
        # ambulance: a small trust, every category
        amb = amb_row(AMB_TRUST)
        now = db_now(env, 'ambulance')[0]
        load_incidents(env, amb_times(amb), now)
        # handovers and G&A occupancy: five trusts on a sitrep day
        eng, trusts = sitrep_rows(SITREP_DAY)
        sel = [r for r in trusts if r['org_code'] in AE_TRUSTS or r['org_code'] in ('RTH', 'RWE')]
        hosp = [(r['org_code'], int(r['handover_delays_30_60_min']), int(r['handover_delays_over_60_min']))
                for r in sel]
        load_handovers(env, hosp, now)
        beds = [(r['org_code'], int(r['ga_beds_open']), int(r['ga_beds_occupied']), r['ga_occupancy_rate'])
                for r in sel]
        add_sites(env, [b[0] for b in beds if b[0] not in AE_TRUSTS])
        load_bed_states(env, [(c, [('adult_ga', o, oc)]) for c, o, oc, _ in beds], now)
        # discharge: a trust-day
        nctr, dis = nctr_row(NCTR_DAY, NCTR_TRUST)
        add_sites(env, [NCTR_TRUST])
        now, midnight = db_now(env, 'acute')
        load_spells(env, NCTR_TRUST, nctr, dis, now, midnight)
        # NHS 111: exactly 5.0% abandoned, on the line of "fewer than 5%": red (line_inclusive)
        n111 = db_now(env, '111')[0]
        ago = lambda m: n111 - datetime.timedelta(minutes=m)  # noqa: E731
        env.copy_rows('111', 'ops.call', ('connected_at', 'answered_at', 'abandoned_at'),
                      [(ago(30), None, ago(29))] +
                      [(ago(30 + i), ago(30 + i) + datetime.timedelta(seconds=10), None)
                       for i in range(1, 20)])

        expect = {}   # (partner, key, site) -> (value, check)
        expect[('111', '111.abandoned_pct', '')] = (5.0, None)
        for org in AE_TRUSTS:
            for key, sel_t in (('ed.four_hour_performance_type1', (1,)),
                               ('ed.four_hour_performance', (1, 2, 3))):
                a = sum(g[2] for g in groups if g[0] == org and g[1] in sel_t)
                b = sum(g[3] for g in groups if g[0] == org and g[1] in sel_t)
                expect[('acute', key, org)] = (100.0 * (a - b) / a, (a - b, a))
        for c in (1, 2):
            n, tot = int(amb['c%d_incidents' % c]), int(amb['c%d_response_total_s' % c])
            expect[('ambulance', 'ambulance.cat%d_mean_min' % c, '')] = (tot / n / 60, None)
        for c in (1, 2, 3, 4):
            expect[('ambulance', 'ambulance.cat%d_p90_min' % c, '')] = (int(amb['c%d_p90_s' % c]) / 60, None)
        for code, n30, n60 in hosp:
            expect[('ambulance', 'ambulance.handovers_over_30_min', code)] = (n30 + n60, None)
            expect[('ambulance', 'ambulance.handovers_over_60_min', code)] = (n60, None)
        for code, o, oc, _ in beds:
            expect[('acute', 'beds.ga_occupancy', code)] = (100.0 * oc / o, None)
        expect[('acute', 'discharge.nctr_patients', '')] = (nctr, None)
        expect[('acute', 'discharge.discharges_today', '')] = (dis, None)
        expect[('acute', 'discharge.nctr_remaining', '')] = (nctr - dis, None)

        env.start_daemon()

        async def board():
            async with env.client('definitions') as c:
                await c.snapshot()
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    missing = [k for k, (v, _) in expect.items()
                               if not (c.entry(*k) and c.entry(*k).get('value') is not None and
                                       abs(c.entry(*k)['value'] - v) <= 1e-6 * max(1.0, abs(v)))]
                    if not missing:
                        return {k: c.entry(*k) for k in expect}, []
                    try:
                        await c.recv(2.0)
                    except ce.HarnessError as e:
                        if 'no message within' not in str(e):
                            raise
                return {k: c.entry(*k) for k in expect}, missing
        entries, missing = ce.run(board(), 120)
        self.assertEqual(missing, [], 'not on the board with the published value: %s' % [
            (k, expect[k][0], entries[k] and entries[k].get('value'), entries[k] and
             entries[k].get('status'), entries[k] and entries[k].get('reason')) for k in missing])
        for k, (v, pct) in expect.items():
            e = entries[k]
            self.assertEqual(e['partner'], k[0])
            if pct:
                self.assertPct(e['value'], pct[0], pct[1], '%s %s on the board' % (k[1], k[2]))
            # the same value as the feed's SQL computes directly
            direct = env.run_feed(k[0], k[1]).get(k[2])
            self.assertAlmostEqual(e['value'], direct, delta=1e-9 * max(1.0, abs(direct)))
        e = entries[('111', '111.abandoned_pct', '')]
        self.assertEqual(e['status'], 'red', '5.0%% abandoned is not "fewer than 5%%": %r' % e)
        c1 = entries[('ambulance', 'ambulance.cat1_mean_min', '')]['value'] * 60
        self.assertLessEqual(abs(c1 - int(amb['c1_mean_s'])), 0.5)
        out('%d published figures reached the board through query feeds' % len(expect))
