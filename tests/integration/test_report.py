"""The board report and the history export (issue 16, item 4).

GET /api/reports/board: ten days of history, a goal, alerts, level changes and actions written
straight into the hub (some of them just either side of local midnight, Europe/London in
summer time, so a report counting UTC days would get them wrong), daily figures made by
commcell.daily_refresh; the report's HTML is parsed (html.parser) and every figure it carries
in data-* attributes checked against what was worked out by hand: days at each status,
attainment against the trajectory, the last figure against the target, alerts and the median
time to acknowledge, the level of each day, actions opened, closed and overdue per owner.
Refusals (400) with words, 401 and 403; the page's own Content-Security-Policy.

GET /api/history?format=csv: text/csv with a header row, every value of the range, a file
name, quoting, manager or above."""

import csv
import io
import urllib.parse
from html.parser import HTMLParser

from itbase import EnvCase
from test_auth import Session, hash_password, PASSWORD

FROM, TO = '2026-09-01', '2026-09-10'   # British Summer Time: local midnight is 23:00 UTC

# ED 4-hour performance (higher is better, amber below 95, red below 76), one figure a day at
# 00:30 local time (23:30 UTC the day before); None: no figure that day.
ED_VALUES = [70, 75, 77, 80, None, 96, 94, 96.5, 74, 79]
# the goal: 70 on 1 September to 80 on 11 September, so it expects 70 + (day - 1)
ED_STATUS = ['red', 'red', 'amber', 'amber', None, 'green', 'amber', 'green', 'red', 'amber']
# G&A occupancy (lower is better, amber above 92, red above 95), no goal
BEDS_VALUES = [93, 96] + [None] * 8

LEVELS = [2, 3, 1, 1, 4, 4, 2, 2, 2, 2]


def day(n):
    return '2026-09-%02d' % n


class Figures(HTMLParser):
    """Collects what the report carries in data-* attributes, by the section it is in."""

    def __init__(self):
        super().__init__()
        self.stack = []            # (tag, attrs) of open elements
        self.capture = None        # [key, text] of an element with data-figure being read
        self.summary = {}          # data-figure -> text, on the summary page
        self.metrics = []          # one dict per measure: attrs, figures, points
        self.levels = []           # (day, level) of the strip
        self.owners = {}           # owner -> {opened, closed, overdue}
        self.stages = []           # data-stage of each stage section
        self.sections = []         # class of each section, in order
        self.scripts = 0
        self.traj = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ('meta', 'br', 'img', 'input', 'link'):
            # void elements never close
            if tag in ('script', 'img', 'link'):
                self.scripts += 1
            return
        self.stack.append((tag, a))
        if tag == 'script':
            self.scripts += 1
        if tag == 'section':
            self.sections.append(a.get('class'))
            if a.get('class') == 'stage':
                self.stages.append(a.get('data-stage'))
        if tag == 'div' and a.get('class') == 'metric':
            self.metrics.append({'attrs': a, 'fig': {}, 'points': [], 'text': ''})
        if tag == 'polyline' and a.get('class') == 'traj':
            self.traj += 1
        if 'data-status' in a and self.metrics:
            self.metrics[-1]['points'].append((a['data-day'], float(a['data-value']),
                                               a['data-status']))
        if 'data-level' in a:
            self.levels.append((a['data-day'], int(a['data-level']) if a['data-level'] else None))
        if 'data-owner' in a:
            self.owners[a['data-owner']] = {}
        if 'data-figure' in a:
            self.capture = [a['data-figure'], '', a.get('data-value')]

    def handle_endtag(self, tag):
        if self.capture and self.stack and 'data-figure' in self.stack[-1][1]:
            key, text, value = self.capture
            self.capture = None
            owner = next((x[1]['data-owner'] for x in reversed(self.stack)
                          if 'data-owner' in x[1]), None)
            in_metric = any(x[1].get('class') == 'metric' for x in self.stack)
            if owner is not None:
                self.owners[owner][key] = int(text)
            elif in_metric:
                self.metrics[-1]['fig'][key] = value if value is not None else text
            else:
                self.summary[key] = text
        while self.stack:
            t, _ = self.stack.pop()
            if t == tag:
                break

    def handle_data(self, data):
        if self.capture:
            self.capture[1] += data
        if self.metrics and any(x[1].get('class') == 'metric' for x in self.stack):
            self.metrics[-1]['text'] += data


class ReportTest(EnvCase):
    start_daemon = False

    @classmethod
    def configure(cls):
        cls.env.write_config(allow_anonymous_display='false')
        cls.env.start_daemon()
        h = hash_password(PASSWORD)
        for name, role in (('mona', 'manager'), ('dora', 'display')):
            cls.env.hub('INSERT INTO commcell.app_user (name, role, password_hash) '
                        'VALUES (%s, %s, %s)', (name, role, h))
        cls.build_world()

    @classmethod
    def local(cls, sql, params=()):
        cls.env.hub(sql, params)

    @classmethod
    def build_world(cls):
        hub = cls.env.hub
        # history: one value a day just after local midnight (the evening before in UTC)
        for series, values in ((('acute', 'ed.four_hour_performance', ''), ED_VALUES),
                               (('acute', 'beds.ga_occupancy', ''), BEDS_VALUES)):
            for i, v in enumerate(values):
                if v is not None:
                    hub("INSERT INTO commcell.history (partner, metric, site, value, observed_at) "
                        "VALUES (%s, %s, %s, %s, %s::timestamp AT TIME ZONE 'Europe/London')",
                        series + (v, day(i + 1) + ' 00:30'))
        # outside the period on either side: never counted
        for local in ('2026-08-31 23:30', '2026-09-11 00:30'):
            hub("INSERT INTO commcell.history (partner, metric, site, value, observed_at) "
                "VALUES ('acute', 'ed.four_hour_performance', '', 50, "
                "%s::timestamp AT TIME ZONE 'Europe/London')", (local,))
        hub("SELECT commcell.daily_refresh('2026-08-25', '2026-09-15')")
        hub("INSERT INTO commcell.goal (partner, metric, site, baseline, target, starts_on, "
            "ends_on, created_by, updated_by) VALUES ('acute', 'ed.four_hour_performance', '', "
            "70, 80, '2026-09-01', '2026-09-11', 'mona', 'mona')")

        # alerts: minutes to acknowledge 10, 30, 60 and 20 (median 25); one never acknowledged;
        # one fired before the period and one just after it (local time)
        hub("INSERT INTO commcell.team (name, label) VALUES ('ops', 'Operations')")
        hub("INSERT INTO commcell.escalation_policy (name) VALUES ('std')")
        rule = hub("INSERT INTO commcell.alert_rule (name, status, severity, team, policy) "
                   "VALUES ('red anywhere', 'red', 'warning', 'ops', 'std') RETURNING id")[0][0]
        for i, (sev, fired, ack_min) in enumerate((
                ('critical', '2026-09-02 10:00', 10), ('warning', '2026-09-03 12:00', 30),
                ('warning', '2026-09-05 08:00', 60), ('critical', '2026-09-07 09:00', None),
                ('warning', '2026-08-30 09:00', 5), ('warning', '2026-09-10 23:30', 20),
                ('critical', '2026-09-11 00:30', 1))):
            hub("INSERT INTO commcell.alert (rule_id, partner, metric, site, state, severity, "
                "summary, started_at, fired_at, resolved_at, acked_by, acked_at) "
                "SELECT %s, 'acute', 'm' || %s, '', 'resolved', %s, 'alert ' || %s, f, f, "
                "f + interval '2 hours', CASE WHEN %s::int IS NOT NULL THEN 'mona' END, "
                "f + make_interval(mins => %s::int) "
                "FROM (SELECT %s::timestamp AT TIME ZONE 'Europe/London' AS f) x",
                (rule, i, sev, i, ack_min, ack_min, fired))

        # level changes (local times): 2 from before the period; 3 then 1 on the 2nd; 4 at
        # 00:30 on the 5th (the 4th in UTC); 2 on the 6th
        for level, local in ((2, '2026-08-30 12:00'), (3, '2026-09-02 09:00'),
                             (1, '2026-09-02 15:00'), (4, '2026-09-05 00:30'),
                             (2, '2026-09-06 10:00')):
            hub("INSERT INTO commcell.level_history (level, label, reason, at) VALUES "
                "(%s, 'OPEL ' || %s, 'test', %s::timestamp AT TIME ZONE 'Europe/London')",
                (level, level, local))

        # actions: (owner, created, due, status, closed)
        hub("INSERT INTO commcell.person (name, label) VALUES ('pat', 'Pat Owner'), "
            "('sam', 'Sam <Lee>')")
        for owner, created, due, status, closed in (
                ('pat', '2026-09-01 10:00', '2026-09-05', 'done', '2026-09-04 10:00'),
                ('pat', '2026-09-02 10:00', '2026-09-06', 'open', None),
                ('sam', '2026-08-20 10:00', '2026-09-03', 'done', '2026-09-08 10:00'),
                ('pat', '2026-08-25 10:00', '2026-08-28', 'in_progress', None),
                ('sam', '2026-09-09 10:00', '2026-09-10', 'open', None),
                ('sam', '2026-09-03 10:00', '2026-09-04', 'done', '2026-09-15 10:00'),
                ('sam', '2026-09-12 10:00', '2026-09-13', 'open', None)):
            hub("INSERT INTO commcell.action (title, owner, due_on, status, created_by, "
                "created_at, updated_at, closed_at) VALUES ('do ' || %s, %s, %s, %s, 'mona', "
                "%s::timestamp AT TIME ZONE 'Europe/London', now(), "
                "%s::timestamp AT TIME ZONE 'Europe/London')",
                (due, owner, due, status, created, closed))

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

    def report(self, **q):
        status, hdrs, body = self.manager().request('GET', '/api/reports/board?'
                                                    + urllib.parse.urlencode(q))
        return status, hdrs, body

    def parsed(self):
        status, hdrs, body = self.report(**{'from': FROM, 'to': TO})
        self.assertEqual(status, 200, body)
        f = Figures()
        f.feed(body.decode())
        return f, hdrs, body.decode()

    def measure(self, f, metric):
        ms = [m for m in f.metrics if m['attrs']['data-metric'] == metric]
        self.assertEqual(len(ms), 1, metric)
        return ms[0]

    # -- the report -----------------------------------------------------------------------------
    def test_01_a_whole_page_with_its_own_policy(self):
        f, hdrs, html = self.parsed()
        self.assertEqual(hdrs['content-type'], 'text/html; charset=utf-8')
        csp = hdrs['content-security-policy']
        self.assertIn("default-src 'none'", csp)
        self.assertIn("style-src 'unsafe-inline'", csp)
        self.assertNotIn('script-src', csp)
        self.assertIn('commcell-board-report-2026-09-01-to-2026-09-10.html',
                      hdrs.get('content-disposition', ''))
        self.assertTrue(html.startswith('<!DOCTYPE html>'))
        self.assertIn('@page{size:A4 landscape', html)
        self.assertEqual(f.scripts, 0)
        # a summary page, then a page per stage with measures, in the stages' order
        self.assertEqual(f.sections, ['summary', 'stage', 'stage'])
        self.assertEqual(f.stages, ['ed', 'beds'])
        self.assertEqual(f.summary['days'], '10')
        # the person's label is text, escaped
        self.assertIn('Sam &lt;Lee&gt;', html)

    def test_02_days_at_each_status_and_attainment(self):
        f, _, _ = self.parsed()
        ed = self.measure(f, 'ed.four_hour_performance')
        fig = ed['fig']
        want = {s: ED_STATUS.count(s) for s in ('green', 'amber', 'red')}
        self.assertEqual((fig['days_green'], fig['days_amber'], fig['days_red'], fig['days_none']),
                         (str(want['green']), str(want['amber']), str(want['red']), '1'))
        # expected 70 + (day - 1): on track every day with a figure but the 9th (74 < 78);
        # the 10th meets it exactly (79 = 79)
        self.assertEqual((fig['on_track'], fig['with_figure']), ('8', '9'))
        self.assertIn('On or better than trajectory on 8 of 9 days', ed['text'])
        self.assertEqual(fig['target_met'], 'no')
        self.assertIn('Last 79.0% (10 Sep), target 80.0% by 11 Sep 2026: 1.0 points short',
                      ed['text'])
        # each point is the day's figure with its status; the day outside the period is absent
        want_points = [(day(i + 1), float(v), s) for i, (v, s) in
                       enumerate(zip(ED_VALUES, ED_STATUS)) if v is not None]
        self.assertEqual(ed['points'], want_points)
        self.assertEqual(f.traj, 1, 'the trajectory is drawn for the measure with a goal only')

        beds = self.measure(f, 'beds.ga_occupancy')
        self.assertEqual((beds['fig']['days_green'], beds['fig']['days_amber'],
                          beds['fig']['days_red'], beds['fig']['days_none']), ('0', '1', '1', '8'))
        self.assertIn('No agreed goal.', beds['text'])
        self.assertNotIn('on_track', beds['fig'])

    def test_03_alerts(self):
        f, _, _ = self.parsed()
        s = f.summary
        self.assertEqual((s['alerts_fired'], s['alerts_critical'], s['alerts_warning']),
                         ('5', '2', '3'))
        self.assertEqual((s['alerts_acknowledged'], s['alerts_unacknowledged']), ('4', '1'))
        self.assertEqual(s['median_ack_minutes'], '25.0')

    def test_04_level_by_day(self):
        f, _, _ = self.parsed()
        self.assertEqual(f.levels, [(day(i + 1), lv) for i, lv in enumerate(LEVELS)])
        for lv in range(1, 5):
            self.assertEqual(f.summary['level%d_days' % lv], str(LEVELS.count(lv)), lv)
        self.assertNotIn('level_unknown_days', f.summary)

    def test_05_actions(self):
        f, _, _ = self.parsed()
        s = f.summary
        self.assertEqual((s['actions_opened'], s['actions_closed'], s['actions_overdue']),
                         ('4', '2', '3'))
        self.assertEqual(f.owners, {'pat': {'opened': 2, 'closed': 1, 'overdue': 2},
                                    'sam': {'opened': 2, 'closed': 1, 'overdue': 1}})

    def test_06_refusals(self):
        for q, words in (({'from': '2026-02-30', 'to': TO}, 'from= must be a date'),
                         ({'from': FROM, 'to': '10/09/2026'}, 'to= must be a date'),
                         ({'from': TO, 'to': FROM}, 'is after'),
                         ({'from': '2025-09-01', 'to': '2026-09-02'}, 'at most 366 days'),
                         # only the hub knows the default end (today): it refuses in words too
                         ({'from': '2020-01-01'}, 'at most 366 days')):
            status, _, body = self.report(**q)
            self.assertEqual(status, 400, (q, body))
            self.assertIn(words, body['error'], q)
        status, _, body = self.report(**{'from': '2025-09-10', 'to': '2026-09-10'})
        self.assertEqual(status, 200, 'a year and a day is allowed')

    def test_07_who_may_read(self):
        status, _, _ = Session(self).request('GET', '/api/reports/board?from=%s&to=%s'
                                             % (FROM, TO))
        self.assertEqual(status, 401)
        status, _, _ = self.signin('dora').request('GET', '/api/reports/board')
        self.assertEqual(status, 403)

    def test_08_default_period_is_four_weeks_to_today(self):
        status, hdrs, body = self.report()
        self.assertEqual(status, 200, body)
        f = Figures()
        f.feed(body.decode())
        self.assertEqual(f.summary['days'], '28')
        self.assertEqual(len(f.levels), 28)

    # -- the history export ---------------------------------------------------------------------
    def history_csv(self, s, **q):
        q.setdefault('partner', 'acute')
        q.setdefault('metric', 'ed.four_hour_performance')
        q.setdefault('from', '2026-08-31T00:00:00Z')
        q.setdefault('to', '2026-09-12T00:00:00Z')
        q.setdefault('format', 'csv')
        return s.request('GET', '/api/history?' + urllib.parse.urlencode(q))

    def test_09_history_csv(self):
        status, hdrs, body = self.history_csv(self.manager())
        self.assertEqual(status, 200, body)
        self.assertTrue(hdrs['content-type'].startswith('text/csv'), hdrs['content-type'])
        self.assertIn('attachment; filename="commcell-history-acute-ed.four_hour_performance.csv"',
                      hdrs['content-disposition'])
        rows = list(csv.reader(io.StringIO(body.decode())))
        self.assertEqual(rows[0], ['partner', 'metric', 'site', 'observed_at', 'value',
                                   'backfilled'])
        # every value in the range, oldest first: the one the evening before, the nine days,
        # the one just after (all in UTC)
        want = [50] + [v for v in ED_VALUES if v is not None] + [50]
        self.assertEqual([float(r[4]) for r in rows[1:]], want)
        self.assertEqual(rows[1][:4], ['acute', 'ed.four_hour_performance', '',
                                       '2026-08-31T22:30:00.000Z'])
        self.assertTrue(all(r[5] == 'false' for r in rows[1:]))

    def test_10_history_csv_quotes_text(self):
        self.env.hub("INSERT INTO commcell.history (partner, metric, site, value, observed_at) "
                     "VALUES ('acute', 'beds.ga_occupancy', %s, 1.5, '2026-09-03T12:00:00Z')",
                     ('=HYPERLINK("x"),y',))
        status, hdrs, body = self.history_csv(self.manager(), metric='beds.ga_occupancy',
                                              site='=HYPERLINK("x"),y')
        self.assertEqual(status, 200, body)
        text = body.decode()
        self.assertIn('"\'=HYPERLINK(""x""),y"', text)
        rows = list(csv.reader(io.StringIO(text)))
        self.assertEqual(rows[1][2], '\'=HYPERLINK("x"),y')
        self.assertEqual(rows[1][4], '1.5')
        self.assertNotIn('"', hdrs['content-disposition'].split('filename=')[1].strip('"'))

    def test_11_history_csv_who_and_refusals(self):
        status, _, body = self.history_csv(Session(self))
        self.assertEqual(status, 401, body)
        dora = self.signin('dora')
        status, _, body = self.history_csv(dora)
        self.assertEqual(status, 403, body)
        # the JSON history stays open to displays
        status, _, body = self.history_csv(dora, format='json')
        self.assertEqual(status, 200, body)
        self.assertTrue(body['points'])
        status, _, body = self.history_csv(self.manager(), format='xml')
        self.assertEqual(status, 400)
        self.assertIn('format=', body['error'])
        status, _, body = self.history_csv(self.manager(), metric='no.such')
        self.assertEqual(status, 404, body)


if __name__ == '__main__':
    import unittest
    unittest.main()
