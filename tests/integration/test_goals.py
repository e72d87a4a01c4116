"""Goals with trajectories and daily figures (issue 16, items 1 and 7).

The goals API (GET/POST /api/goals, POST/DELETE /api/goals/{id}): who may read and change,
create/replace/delete with their audit rows, every refusal with its words (400), a second goal
on a series (409). /api/daily: the trajectory's expected value on chosen days equals the
interpolation worked out by hand; daily figures formed from history rows written straight into
the hub (last, mean of 15-minute bucket means, max), complete, status by the thresholds (a
site's override, line_inclusive), a day without history losing its figure; and the leader
filling commcell.daily by itself, for today and for a day of its 62-day start-up refresh."""

import json
import time
import unittest
import urllib.parse

from itbase import EnvCase, ce, out, summary_ms
from test_auth import Session, hash_password, PASSWORD

BEDS = ('acute', 'beds.ga_occupancy')      # lower is better, amber 92, red 95 (harness seed)
ED = ('acute', 'ed.four_hour_performance')  # higher is better, amber 95, red 76
WAIT = ('acute', 'admission.waiting_for_bed')  # lower is better, amber 10, red 20

GOAL_KEYS = {'id', 'partner', 'metric', 'site', 'baseline', 'target', 'starts_on', 'ends_on',
             'milestones', 'agreed_by', 'note', 'created_by', 'created_at', 'updated_by',
             'updated_at', 'unit', 'higher_is_better', 'decimals', 'stage', 'daily',
             'metric_label', 'partner_label', 'site_label'}


def goal(**over):
    body = {'partner': 'acute', 'metric': 'ed.four_hour_performance', 'site': '',
            'baseline': 70, 'target': 78, 'starts_on': '2026-10-01', 'ends_on': '2027-03-31',
            'milestones': [{'on': '2026-12-31', 'value': 74}], 'agreed_by': 'System board',
            'note': 'Winter plan'}
    body.update(over)
    return {k: v for k, v in body.items() if v is not ...}


class GoalsTest(EnvCase):
    start_daemon = False

    @classmethod
    def configure(cls):
        cls.env.write_config(allow_anonymous_display='false')
        # twenty days ago: only the leader's start-up refresh of the last 62 days reaches it
        cls.env.hub("INSERT INTO commcell.history (partner, metric, site, value, observed_at) "
                    "VALUES ('acute', 'ed.four_hour_performance', 'BACK', 81.5, "
                    "(commcell.london_today() - 20)::timestamp AT TIME ZONE 'Europe/London' "
                    "+ interval '12 hours')")
        cls.env.start_daemon()
        h = hash_password(PASSWORD)
        for name, role in (('mona', 'manager'), ('dora', 'display')):
            cls.env.hub('INSERT INTO commcell.app_user (name, role, password_hash) '
                        'VALUES (%s, %s, %s)', (name, role, h))

    # -- helpers --------------------------------------------------------------------------------
    def signin(self, user):
        s = Session(self)
        status, hdrs, body = s.request('POST', '/api/session', {'user': user, 'password': PASSWORD})
        self.assertEqual(status, 200, body)
        s.cookie = hdrs['set-cookie'].split(';')[0].split('=', 1)[1]
        s.csrf = body['csrf_token']
        return s

    def manager(self):
        if not hasattr(type(self), '_mona'):
            type(self)._mona = self.signin('mona')
        return type(self)._mona

    def audits(self, action):
        return self.env.hub('SELECT actor, target, detail, '
                            'commcell.audit_title(action, target, detail) '
                            'FROM commcell.audit WHERE action = %s ORDER BY id', (action,))

    def daily(self, s, partner, metric, site='', frm=None, to=None):
        q = {'partner': partner, 'metric': metric, 'site': site}
        if frm:
            q['from'] = frm
        if to:
            q['to'] = to
        status, _, body = s.request('GET', '/api/daily?' + urllib.parse.urlencode(q))
        self.assertEqual(status, 200, body)
        return body

    def history(self, partner, metric, site, rows):
        """rows: (value, 'YYYY-MM-DD HH:MM:SS' in Europe/London)"""
        for value, local in rows:
            self.env.hub('INSERT INTO commcell.history (partner, metric, site, value, observed_at) '
                         "VALUES (%s, %s, %s, %s, %s::timestamp AT TIME ZONE 'Europe/London')",
                         (partner, metric, site, value, local))

    def refresh(self, frm, to, *series):
        return self.env.hub('SELECT commcell.daily_refresh(%s, %s, %s, %s, %s)',
                            (frm, to) + tuple(series))[0][0]

    # -- access ---------------------------------------------------------------------------------
    def test_01_who_may_read_and_change(self):
        anon, dora = Session(self), self.signin('dora')
        for method, path in (('GET', '/api/goals'), ('POST', '/api/goals'),
                             ('POST', '/api/goals/1'), ('DELETE', '/api/goals/1'),
                             ('GET', '/api/daily?partner=acute&metric=beds.ga_occupancy')):
            status, _, body = anon.request(method, path, goal() if method == 'POST' else None)
            self.assertEqual(status, 401, '%s %s anonymous: %r' % (method, path, body))
        status, _, body = dora.request('GET', '/api/goals')
        self.assertEqual(status, 200, body)
        self.assertIsInstance(body['goals'], list)
        status, _, body = dora.request('GET', '/api/daily?partner=acute&metric=beds.ga_occupancy')
        self.assertEqual(status, 200, body)
        for method, path in (('POST', '/api/goals'), ('POST', '/api/goals/1'),
                             ('DELETE', '/api/goals/1')):
            status, _, body = dora.request(method, path, goal() if method == 'POST' else None)
            self.assertEqual(status, 403, '%s %s as display: %r' % (method, path, body))
        self.assertEqual(self.env.hub('SELECT count(*) FROM commcell.goal')[0][0], 0)

    # -- create, replace, delete ----------------------------------------------------------------
    def test_02_create_replace_delete_audited(self):
        m = self.manager()
        status, _, g = m.request('POST', '/api/goals', goal(site='RX1', extra='ignored'))
        self.assertEqual(status, 201, g)
        self.assertEqual(set(g), GOAL_KEYS, 'the GOAL of the contract')
        self.assertEqual((g['partner'], g['metric'], g['site'], g['baseline'], g['target']),
                         ('acute', 'ed.four_hour_performance', 'RX1', 70, 78))
        self.assertEqual((g['starts_on'], g['ends_on']), ('2026-10-01', '2027-03-31'))
        self.assertEqual(g['milestones'], [{'on': '2026-12-31', 'value': 74}])
        self.assertEqual((g['created_by'], g['updated_by'], g['agreed_by'], g['note']),
                         ('mona', 'mona', 'System board', 'Winter plan'))
        self.assertEqual((g['unit'], g['higher_is_better'], g['stage'], g['decimals']),
                         ('%', True, 'ed', 1))
        self.assertEqual(g['metric_label'], 'ED 4-hour performance')
        gid = g['id']

        status, _, body = m.request('GET', '/api/goals')
        self.assertEqual(status, 200, body)
        self.assertEqual([x['id'] for x in body['goals']], [gid])

        # one goal per series: the second is refused in words, nothing written
        status, _, body = m.request('POST', '/api/goals', goal(site='RX1', target=80))
        self.assertEqual(status, 409, body)
        self.assertIn('already a goal', body['error'])

        a = self.audits('goal.create')
        self.assertEqual(len(a), 1, a)
        actor, target, detail, title = a[0]
        self.assertEqual((actor, detail['id'], detail['partner'], detail['metric'], detail['site']),
                         ('mona', gid, 'acute', 'ed.four_hour_performance', 'RX1'))
        self.assertEqual(detail['after']['target'], 78)
        self.assertIn('ED 4-hour performance', title, 'the audit log names the series in words')

        # replace: the whole goal, milestones dropped; before and after in the audit row
        status, _, g2 = m.request('POST', '/api/goals/%d' % gid,
                                  goal(site='RX1', target=80, milestones=[], note='Revised'))
        self.assertEqual(status, 200, g2)
        self.assertEqual((g2['id'], g2['target'], g2['milestones'], g2['note'], g2['created_at']),
                         (gid, 80, [], 'Revised', g['created_at']))
        a = self.audits('goal.update')
        self.assertEqual(len(a), 1, a)
        self.assertEqual((a[0][2]['before']['target'], a[0][2]['after']['target']), (78, 80))
        self.assertEqual(a[0][2]['before']['milestones'], [{'on': '2026-12-31', 'value': 74}])

        # moving it onto a series that has its own goal: 409 as well
        status, _, other = m.request('POST', '/api/goals', goal(site='RX2'))
        self.assertEqual(status, 201, other)
        status, _, body = m.request('POST', '/api/goals/%d' % other['id'], goal(site='RX1'))
        self.assertEqual(status, 409, body)

        for bad in ('999999', 'abc', '-1'):
            status, _, body = m.request('POST', '/api/goals/' + bad, goal(site='RX9'))
            self.assertEqual(status, 404, '%s: %r' % (bad, body))
            self.assertIn('no goal', body['error'])

        status, _, body = m.request('DELETE', '/api/goals/%d' % gid)
        self.assertEqual((status, body), (200, {'deleted': gid}))
        status, _, body = m.request('DELETE', '/api/goals/%d' % gid)
        self.assertEqual(status, 404, body)
        status, _, body = m.request('DELETE', '/api/goals/%d' % other['id'])
        self.assertEqual(status, 200, body)
        a = self.audits('goal.delete')
        self.assertEqual([x[2]['id'] for x in a], [gid, other['id']])
        self.assertEqual(a[0][2]['before']['target'], 80)
        status, _, body = m.request('GET', '/api/goals')
        self.assertEqual(body['goals'], [])

    # -- refusals -------------------------------------------------------------------------------
    def test_03_refused_in_words(self):
        m = self.manager()
        cases = [
            (goal(ends_on='2026-09-30'), 'ends_on must be after starts_on'),
            (goal(ends_on='2026-10-01'), 'ends_on must be after starts_on'),
            (goal(starts_on='2026-02-30'), '2026-02-30 is not a real date'),
            (goal(ends_on='2027-13-01'), 'is not a real date'),
            (goal(starts_on='1/10/2026'), 'starts_on must be a date written YYYY-MM-DD'),
            (goal(starts_on=20261001), 'starts_on must be a date written YYYY-MM-DD'),
            (goal(baseline='seventy'), 'baseline must be a number'),
            (goal(target=None), 'target is required'),
            (goal(target=True), 'target must be a number'),
            (goal(baseline=1e300), 'baseline must be a finite number of reasonable size'),
            (goal(metric='ed.no_such_thing'), 'no metric ed.no_such_thing for partner acute'),
            (goal(partner='nobody'), 'no metric ed.four_hour_performance for partner nobody'),
            (goal(partner=...), 'partner is required'),
            (goal(starts_on=...), 'starts_on is required'),
            (goal(milestones=[{'on': '2027-04-01', 'value': 75}]),
             'milestone 1 (2027-04-01) must fall after starts_on (2026-10-01) and before ends_on'),
            (goal(milestones=[{'on': '2026-10-01', 'value': 75}]), 'must fall after starts_on'),
            (goal(milestones=[{'on': '2027-01-10', 'value': 74}, {'on': '2026-12-01', 'value': 73}]),
             'milestone 2 (2026-12-01) must come after milestone 1 (2027-01-10)'),
            (goal(milestones=[{'on': '2026-12-31'}]), 'milestone 1: value is required'),
            (goal(milestones=[{'on': '2026-12-31', 'value': 'x'}]), 'milestone 1: value must be a number'),
            (goal(milestones=[{'on': '2026-11-31', 'value': 1}]), 'milestone 1: on: 2026-11-31 is not a real date'),
            (goal(milestones={'on': '2026-12-31', 'value': 74}), 'milestones must be a list'),
            (goal(agreed_by='x' * 201), 'agreed_by is longer than 200 characters'),
            (goal(note='n' * 1001), 'note is longer than 1000 characters'),
            (goal(site=7), 'site must be text'),
            ([1, 2], 'the goal must be a JSON object'),
        ]
        for body, words in cases:
            status, _, reply = m.request('POST', '/api/goals', body)
            self.assertEqual(status, 400, '%r: %r' % (body, reply))
            self.assertIn(words, reply['error'], json.dumps(body)[:200])
        # the same checks guard a replacement
        status, _, g = m.request('POST', '/api/goals', goal(site='RV'))
        self.assertEqual(status, 201, g)
        status, _, reply = m.request('POST', '/api/goals/%d' % g['id'], goal(site='RV', ends_on='2026-01-01'))
        self.assertEqual(status, 400, reply)
        self.assertIn('ends_on must be after starts_on', reply['error'])
        # at the limits it is accepted: 200 characters counted as characters, not bytes
        status, _, g2 = m.request('POST', '/api/goals/%d' % g['id'],
                                  goal(site='RV', agreed_by='é' * 200, note='line one\nline two'))
        self.assertEqual((status, g2.get('agreed_by')), (200, 'é' * 200), g2)
        m.request('DELETE', '/api/goals/%d' % g['id'])
        # refused bodies left no goal and no audit row: create, the accepted replacement, delete
        self.assertEqual(self.env.hub("SELECT count(*) FROM commcell.goal WHERE site = 'RV'")[0][0], 0)
        self.assertEqual(self.env.hub("SELECT count(*) FROM commcell.audit WHERE action LIKE 'goal.%%' "
                                      "AND target LIKE 'acute/ed.four_hour_performance/RV'")[0][0], 3)

    # -- trajectory -----------------------------------------------------------------------------
    def test_04_expected_values_follow_the_trajectory(self):
        m = self.manager()
        body = {'partner': 'acute', 'metric': 'beds.ga_occupancy', 'site': 'TRJ',
                'baseline': 96, 'target': 92, 'starts_on': '2026-01-01', 'ends_on': '2026-03-31',
                'milestones': [{'on': '2026-02-01', 'value': 95}, {'on': '2026-03-01', 'value': 93}]}
        status, _, g = m.request('POST', '/api/goals', body)
        self.assertEqual(status, 201, g)
        d = self.daily(m, *BEDS, site='TRJ', frm='2025-12-30', to='2026-04-02')
        self.assertEqual(d['goal']['id'], g['id'])
        days = {x['day']: x for x in d['days']}
        self.assertEqual(len(d['days']), 94, 'every day from..to is listed')
        self.assertEqual([x['day'] for x in d['days']][:2], ['2025-12-30', '2025-12-31'])
        hand = {
            '2025-12-30': 96, '2026-01-01': 96,          # the baseline before and on the start
            '2026-01-16': 96 + (95 - 96) * 15 / 31,      # 15 of January's 31 days to 95
            '2026-02-01': 95,
            '2026-02-15': 95 + (93 - 95) * 14 / 28,      # halfway through February: 94
            '2026-03-01': 93,
            '2026-03-16': 93 + (92 - 93) * 15 / 30,      # 92.5
            '2026-03-31': 92, '2026-04-02': 92,          # the target on the end and after
        }
        for day, want in hand.items():
            self.assertAlmostEqual(days[day]['expected'], want, places=9, msg=day)
        x = days['2026-02-15']
        self.assertEqual((x['value'], x['samples'], x['status'], x['complete']), (None, 0, None, True))
        # without a goal the series has no trajectory
        d = self.daily(m, *BEDS, site='NOGOAL', frm='2026-01-01', to='2026-01-03')
        self.assertIsNone(d['goal'])
        self.assertEqual([x['expected'] for x in d['days']], [None, None, None])
        # arguments refused in words
        for q, status_want, words in (
                ('partner=acute&metric=beds.ga_occupancy&from=2026-02-30', 400, 'real date'),
                ('partner=acute&metric=beds.ga_occupancy&from=2026-03-01&to=2026-02-01', 400,
                 'must not be before'),
                ('partner=acute&metric=beds.ga_occupancy&from=2020-01-01&to=2026-01-01', 400,
                 'at most 800 days'),
                ('partner=acute', 400, 'required'),
                ('partner=acute&metric=nothing', 404, 'no metric nothing for partner acute')):
            status, _, reply = m.request('GET', '/api/daily?' + q)
            self.assertEqual(status, status_want, '%s: %r' % (q, reply))
            self.assertIn(words, reply['error'])
        m.request('DELETE', '/api/goals/%d' % g['id'])

    # -- daily figures --------------------------------------------------------------------------
    def test_05_daily_figures_from_history(self):
        m = self.manager()
        self.env.hub("UPDATE commcell.metric SET daily = 'last' WHERE partner = %s AND key = %s", ED)
        self.env.hub("UPDATE commcell.metric SET daily = 'mean' WHERE partner = %s AND key = %s", BEDS)
        self.env.hub("UPDATE commcell.metric SET daily = 'max' WHERE partner = %s AND key = %s", WAIT)
        self.history(*ED, 'T1', [(70, '2026-01-10 08:00:00'), (90, '2026-01-10 12:00:00'),
                                 (85, '2026-01-10 23:59:00'),
                                 (60, '2026-01-11 00:00:00'), (70, '2026-01-11 18:00:00'),
                                 (96, '2026-01-12 10:00:00')])
        # three values in the first quarter hour (their mean 20) weigh as much as one at noon
        self.history(*BEDS, 'T1', [(10, '2026-01-10 00:00:00'), (20, '2026-01-10 00:05:00'),
                                   (30, '2026-01-10 00:14:59'), (80, '2026-01-10 12:00:00'),
                                   (95, '2026-01-11 09:00:00'),
                                   (93, '2026-01-12 09:00:00')])
        self.history(*WAIT, 'T1', [(5, '2026-01-10 01:00:00'), (25, '2026-01-10 09:00:00'),
                                   (12, '2026-01-10 22:00:00')])
        # the local day in summer: 23:30 UTC on 1 July is 00:30 on 2 July in London
        self.env.hub('INSERT INTO commcell.history (partner, metric, site, value, observed_at) '
                     "VALUES ('acute', 'admission.waiting_for_bed', 'T1', 7, '2026-07-01 23:30:00+00')")
        n = self.refresh('2026-01-09', '2026-01-12', 'acute', None, 'T1')
        self.assertEqual(n, 7, 'three ED days, three bed days, one waiting day')
        self.assertEqual(self.refresh('2026-07-01', '2026-07-02', 'acute', None, 'T1'), 1)
        rows = {(r[0], str(r[1])): r[2:] for r in self.env.hub(
            "SELECT metric, day, value, samples, complete FROM commcell.daily WHERE site = 'T1'")}
        self.assertEqual(rows[('ed.four_hour_performance', '2026-01-10')], (85, 3, True), 'last')
        self.assertEqual(rows[('ed.four_hour_performance', '2026-01-11')], (70, 2, True), 'last')
        self.assertAlmostEqual(rows[('beds.ga_occupancy', '2026-01-10')][0], 50, 9,
                               'mean of the quarter-hour means, not of the rows (35)')
        self.assertEqual(rows[('beds.ga_occupancy', '2026-01-10')][1], 4)
        self.assertEqual(rows[('admission.waiting_for_bed', '2026-01-10')], (25, 3, True), 'max')
        self.assertIn(('admission.waiting_for_bed', '2026-07-02'), rows)
        self.assertNotIn(('admission.waiting_for_bed', '2026-07-01'), rows)

        # through the API, with statuses: ED higher is better, amber 95, red 76
        d = self.daily(m, *ED, site='T1', frm='2026-01-09', to='2026-01-12')
        got = [(x['day'], x['value'], x['status'], x['complete']) for x in d['days']]
        self.assertEqual(got, [('2026-01-09', None, None, True), ('2026-01-10', 85, 'amber', True),
                               ('2026-01-11', 70, 'red', True), ('2026-01-12', 96, 'green', True)])
        # a site's own lines replace the metric's: amber 80, red 60 at T1
        self.env.hub("INSERT INTO commcell.threshold (partner, metric, site, amber, red) "
                     "VALUES ('acute', 'ed.four_hour_performance', 'T1', 80, 60)")
        d = self.daily(m, *ED, site='T1', frm='2026-01-10', to='2026-01-11')
        self.assertEqual([x['status'] for x in d['days']], ['green', 'amber'])
        # beds lower is better, amber 92, red 95: 95 exactly is amber until the line counts
        d = self.daily(m, *BEDS, site='T1', frm='2026-01-11', to='2026-01-12')
        self.assertEqual([(x['value'], x['status']) for x in d['days']], [(95, 'amber'), (93, 'amber')])
        self.env.hub('UPDATE commcell.metric SET line_inclusive = true WHERE partner = %s AND key = %s', BEDS)
        d = self.daily(m, *BEDS, site='T1', frm='2026-01-11', to='2026-01-11')
        self.assertEqual(d['days'][0]['status'], 'red', 'on the red line, inclusive')
        self.env.hub('UPDATE commcell.metric SET line_inclusive = false WHERE partner = %s AND key = %s', BEDS)

        # history gone: the day's figure goes at the next refresh
        self.env.hub("DELETE FROM commcell.history WHERE site = 'T1' AND metric = 'ed.four_hour_performance' "
                     "AND observed_at >= '2026-01-12' AND observed_at < '2026-01-13'")
        self.assertEqual(self.refresh('2026-01-12', '2026-01-12', *ED, 'T1'), 1)
        d = self.daily(m, *ED, site='T1', frm='2026-01-12', to='2026-01-12')
        self.assertIsNone(d['days'][0]['value'])

        # today is not over: its figure is not complete
        self.env.hub('INSERT INTO commcell.history (partner, metric, site, value, observed_at) '
                     "VALUES ('acute', 'admission.waiting_for_bed', 'T1', 9, now())")
        self.refresh(self.today(), self.today(), *WAIT, 'T1')
        d = self.daily(m, *WAIT, site='T1')
        self.assertEqual(d['days'][-1]['day'], self.today(), 'to defaults to today in London')
        self.assertEqual(len(d['days']), 31, 'from defaults to 30 days before')
        self.assertEqual((d['days'][-1]['value'], d['days'][-1]['complete']), (9, False))

    def today(self):
        return str(self.env.hub('SELECT commcell.london_today()')[0][0])

    def test_06_the_leader_keeps_daily_figures(self):
        # the start-up refresh of the last 62 days reached twenty days back
        ce.wait_until(lambda: self.env.hub("SELECT 1 FROM commcell.daily WHERE site = 'BACK' "
                                           'AND day = commcell.london_today() - 20'),
                      30, 0.5, 'the start-up refresh of the last 62 days')
        row = self.env.hub("SELECT value, samples, complete FROM commcell.daily WHERE site = 'BACK'")
        self.assertEqual(row, [(81.5, 1, True)])
        ce.wait_until(lambda: 'the last 62 days refreshed' in self.env.daemon.log_text(), 30, 0.5,
                      'the start-up refresh to end')
        # then a value recorded today reaches today's figure at the next round (every minute),
        # as does the live series the daemon itself recorded
        self.env.hub('INSERT INTO commcell.history (partner, metric, site, value, observed_at) '
                     "VALUES ('acute', 'ed.four_hour_performance', 'TICK', 77.5, now())")

        def today(site):
            return self.env.hub('SELECT value, complete FROM commcell.daily WHERE partner = %s '
                                'AND metric = %s AND site = %s AND day = commcell.london_today()',
                                ED + (site,))
        ce.wait_until(lambda: today('TICK'), 90, 0.5, "the leader's next round for today")
        self.assertEqual(today('TICK'), [(77.5, False)])
        self.assertEqual(today(''), [(96.0, False)], 'the seeded live value, recorded by the daemon')
        self.assertDaemonAlive()


class DemoDailyTest(unittest.TestCase):
    """The demo's metrics say how their daily figure is formed (sql/demo/seed.sql), and what a
    refresh of yesterday and today costs on a demo-sized history (printed, not asserted)."""

    env = None

    @classmethod
    def setUpClass(cls):
        cls.env = ce.DemoEnv()
        cls.env.start(daemon=False)

    @classmethod
    def tearDownClass(cls):
        if cls.env is not None:
            env, cls.env = cls.env, None
            env.close()

    def test_every_demo_metric_says_its_daily_figure(self):
        rows = self.env.hub('SELECT key, label, daily FROM commcell.metric ORDER BY partner, key')
        self.assertGreaterEqual(len(rows), 25)
        for key, label, daily in rows:
            with self.subTest(metric=key):
                # a window that the end of the day completes: the last value is the day's
                if 'since midnight' in label or 'last 24 h' in label or '(today)' in label:
                    self.assertEqual(daily, 'last', label)
                else:
                    self.assertIn(daily, ('mean', 'max'), label)
        self.assertEqual({r[2] for r in rows}, {'last', 'mean', 'max'})
        self.assertEqual(dict((r[0], r[2]) for r in rows)['ed.patients_in_department'], 'max')

    def test_refresh_cost_on_a_demo_sized_history(self):
        # 45 series (the demo's tiles with a value), a value every 10 s since yesterday's
        # local midnight: what the leader's minute round reads (today; yesterday too in the
        # first hour of the day)
        self.env.hub("""
            INSERT INTO commcell.history (partner, metric, site, value, observed_at)
            SELECT m.partner, m.key, s.site, mod(extract(epoch FROM t)::bigint, 997) / 10.0, t
              FROM (SELECT partner, key FROM commcell.metric ORDER BY partner, key LIMIT 15) m
             CROSS JOIN (VALUES (''), ('A'), ('B')) AS s (site)
             CROSS JOIN generate_series((commcell.london_today() - 1)::timestamp
                                            AT TIME ZONE 'Europe/London',
                                        now() - interval '1 second', interval '10 seconds') AS t""")
        rows = self.env.hub('SELECT count(*) FROM commcell.history')[0][0]
        today = self.env.hub('SELECT count(*) FROM commcell.history WHERE observed_at >= '
                             "commcell.london_today()::timestamp AT TIME ZONE 'Europe/London'")[0][0]
        for days, first, want in (('yesterday and today', 1, 90), ('today', 0, 45)):
            took = []
            for _ in range(3):
                t0 = time.monotonic()
                n = self.env.hub('SELECT commcell.daily_refresh(commcell.london_today() - %s, '
                                 'commcell.london_today())', (first,))[0][0]
                took.append(time.monotonic() - t0)
                self.assertEqual(n, want, '45 series, %s' % days)
            scan = time.monotonic()
            self.env.hub('SELECT count(*), avg(value) FROM commcell.history WHERE observed_at >= '
                         "(commcell.london_today() - %s)::timestamp AT TIME ZONE 'Europe/London'",
                         (first,))
            scan = time.monotonic() - scan
            out('daily_refresh of %s, %d history rows of 45 series: %s (a plain scan of the '
                'rows: %.0f ms)' % (days, rows if first else today, summary_ms(took), scan * 1000))
        # each series' 'last' figure for yesterday is its last value of yesterday
        bad = self.env.hub("""
            SELECT d.partner, d.metric, d.site FROM commcell.daily d
              JOIN commcell.metric m ON m.partner = d.partner AND m.key = d.metric
             WHERE m.daily = 'last' AND d.day = commcell.london_today() - 1
               AND d.value IS DISTINCT FROM (
                   SELECT h.value FROM commcell.history h
                    WHERE (h.partner, h.metric, h.site) = (d.partner, d.metric, d.site)
                      AND h.observed_at < commcell.london_today()::timestamp AT TIME ZONE 'Europe/London'
                    ORDER BY h.observed_at DESC LIMIT 1)""")
        self.assertEqual(bad, [])
        self.assertEqual(self.env.hub('SELECT count(*) FROM commcell.daily WHERE complete')[0][0], 45)
