"""Feeds that fail in every way a partner can fail, query feeds, quarantine, history and live
configuration: each fault turns only its own metrics to error with a readable reason, and
recovers by itself."""

import datetime
import re
import glob
import os
import time

from itbase import EnvCase, ce, out

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
POLL_MS = 500


class FeedFaultsTest(EnvCase):
    env_options = {'poll_ms': POLL_MS}

    def wait_entry(self, partner, key, site='', cond=None, timeout=15.0):
        async def go():
            async with self.env.client('faults') as c:
                await c.snapshot()
                e = c.entry(partner, key, site)
                if e is not None and (cond is None or cond(e)):
                    return e
                _, e = await c.wait_entry(partner, key, site, cond, timeout)
                return e
        return self.run_async(go(), timeout + 20)

    def feed_entry(self, partner, pred):
        for f in self.feed_of(partner)['feeds']:
            if pred(f):
                return f
        self.fail('no such feed of %s in /api/feeds' % partner)

    def assert_partner_flows(self, partner, key, site=''):
        """A fresh value for another partner still arrives quickly: the fault stayed local."""
        v = 40 + (time.time() % 100) / 10.0
        self.env.insert(partner, key, v, site=site)
        e = self.wait_entry(partner, key, site, lambda e: ce.same_value(e['value'], v), 5)
        self.assertNotEqual(e['status'], 'error', e)

    def add_query_feed(self, partner, key, query, stage='community', timeout_ms=5000, unit='items'):
        self.env.hub(
            "INSERT INTO commcell.metric (partner, key, label, unit, stage, higher_is_better, "
            "amber, red, freshness_s, decimals) VALUES (%s, %s, %s, %s, %s, false, 50, 100, 600, 0)",
            (partner, key, 'Test ' + key, unit, stage))
        self.env.hub(
            "INSERT INTO commcell.feed (partner, kind, metric, query, poll_interval_ms, "
            "statement_timeout_ms) VALUES (%s, 'query', %s, %s, %s, %s)",
            (partner, key, query, POLL_MS, timeout_ms))

    # -- query feeds ------------------------------------------------------------------------------
    def test_01_query_feed(self):
        env = self.env
        env.partner_sql('community', "CREATE SCHEMA IF NOT EXISTS ops_test; "
                        "CREATE TABLE ops_test.items (site text, waiting int); "
                        "INSERT INTO ops_test.items VALUES ('A', 3), ('A', 4), ('B', 10); "
                        "GRANT USAGE ON SCHEMA ops_test TO commcell_reader; "
                        "GRANT SELECT ON ops_test.items TO commcell_reader")
        self.add_query_feed('community', 'test.items_waiting',
                            'SELECT site, sum(waiting)::float8 FROM ops_test.items GROUP BY site')
        a = self.wait_entry('community', 'test.items_waiting', 'A', lambda e: e['value'] == 7)
        b = self.wait_entry('community', 'test.items_waiting', 'B', lambda e: e['value'] == 10)
        self.assertEqual(a['status'], 'green')
        t0 = time.monotonic()
        env.partner_sql('community', "INSERT INTO ops_test.items VALUES ('B', 45)")
        b = self.wait_entry('community', 'test.items_waiting', 'B', lambda e: e['value'] == 55)
        out('query feed: new value on the board %.0f ms after the commit (poll %d ms)'
            % ((time.monotonic() - t0) * 1000, POLL_MS))
        self.assertEqual(b['status'], 'amber')
        f = self.feed_entry('community', lambda f: f.get('metric') == 'test.items_waiting')
        self.assertEqual((f['kind'], f['state'], f['error']), ('query', 'ok', None))

    def test_02_query_feed_cannot_write(self):
        # partner connections are read-only sessions: a query feed that writes is refused
        self.env.partner_sql('community', "CREATE TABLE IF NOT EXISTS ops_test.sink (x int); "
                             "GRANT INSERT ON ops_test.sink TO commcell_reader")
        self.add_query_feed('community', 'test.writer',
                            "WITH w AS (INSERT INTO ops_test.sink VALUES (1) RETURNING x) "
                            "SELECT '' AS site, x::float8 FROM w")
        e = self.wait_entry('community', 'test.writer', '', lambda e: e['status'] == 'error')
        self.assertIn('read-only', e['reason'])
        self.assertEqual(self.env.partner_sql('community', 'SELECT count(*) FROM ops_test.sink')[0][0], 0)

    def test_03_statement_timeout(self):
        self.add_query_feed('community', 'test.slow',
                            "SELECT '' AS site, 1::float8 FROM pg_sleep(3)", timeout_ms=300)
        e = self.wait_entry('community', 'test.slow', '', lambda e: e['status'] == 'error')
        self.assertIn('statement timeout', e['reason'])
        f = self.feed_entry('community', lambda f: f.get('metric') == 'test.slow')
        self.assertEqual(f['state'], 'failing')
        self.assertIn('statement timeout', f['error'])
        # the partner's other feed is fine, and so is everybody else
        self.assert_partner_flows('community', 'discharge.ready_not_discharged')
        self.assert_partner_flows('acute', 'ed.four_hour_performance')
        self.env.hub("DELETE FROM commcell.feed WHERE metric = 'test.slow'")

    # -- a partner's observation feed breaks -----------------------------------------------------
    def test_04_revoked_grant(self):
        env = self.env
        key = 'nhs111.calls_abandoned_pct' if any(m.key == 'nhs111.calls_abandoned_pct'
                                                 for m in ce.METRICS) else \
            [m.key for m in ce.METRICS if m.partner == 'nhs111'][0]
        env.partner_sql('nhs111', 'REVOKE SELECT ON commcell.observation FROM commcell_reader')
        try:
            e = self.wait_entry('nhs111', key, '', lambda e: e['status'] == 'error')
            self.assertIn('permission denied', e['reason'])
            self.assert_partner_flows('acute', 'ed.four_hour_performance')
        finally:
            env.partner_sql('nhs111', 'GRANT SELECT ON commcell.observation TO commcell_reader')
        v = 1.5 + (time.time() % 10)
        env.insert('nhs111', key, v)
        e = self.wait_entry('nhs111', key, '', lambda e: ce.same_value(e['value'], v), 20)
        self.assertNotEqual(e['status'], 'error')

    def test_05_dropped_table_recreated(self):
        env = self.env
        key = [m.key for m in ce.METRICS if m.partner == 'nhs111'][0]
        for i in range(3):
            env.insert('nhs111', key, 10 + i)
        env.partner_sql('nhs111', 'DROP TABLE commcell.observation')
        e = self.wait_entry('nhs111', key, '', lambda e: e['status'] == 'error')
        self.assertIn('does not exist', e['reason'])
        env.close_insert_connections()
        for path in sorted(glob.glob(os.path.join(REPO, 'sql', 'partner', '*.sql'))):
            with open(path) as f:
                env.partner_sql('nhs111', f.read())
        # ids start again at 1, below what commcell had read: it must notice and start afresh
        v = 2.25
        env.insert('nhs111', key, v)
        e = self.wait_entry('nhs111', key, '', lambda e: ce.same_value(e['value'], v), 30)
        self.assertNotEqual(e['status'], 'error')

    def test_06_backend_terminated(self):
        env = self.env
        n = env.partner_sql('acute', "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                            "WHERE datname = 'partner_acute' AND application_name = 'commcelld'")[0][0]
        self.assertGreaterEqual(n, 1, 'no commcelld session found on partner_acute')
        t0 = time.monotonic()
        v = 88.5
        env.insert('acute', 'ed.four_hour_performance', v)
        self.wait_entry('acute', 'ed.four_hour_performance', '',
                        lambda e: ce.same_value(e['value'], v) and e['status'] != 'error', 20)
        out('terminated backend: value on the board again after %.2f s'
            % (time.monotonic() - t0))

    def test_07_out_of_order_commits(self):
        """id N commits after id N+1: both rows must be read, none skipped."""
        env = self.env
        slow = env.cluster_of('acute').connect('partner_acute', autocommit=False)
        try:
            cur = slow.cursor()
            cur.execute("INSERT INTO commcell.observation (metric, site, value, observed_at) "
                        "VALUES ('beds.ga_occupancy', 'LATE', 91.25, now()) RETURNING id")
            first = cur.fetchone()[0]
            env.insert('acute', 'beds.ga_occupancy', 90.5, site='EARLY')
            self.wait_entry('acute', 'beds.ga_occupancy', 'EARLY', lambda e: e['value'] == 90.5)
            time.sleep(1.5)  # several polls pass the later id while the first is uncommitted
            slow.commit()
        finally:
            slow.close()
        e = self.wait_entry('acute', 'beds.ga_occupancy', 'LATE', lambda e: e['value'] == 91.25)
        out('row id %d committed 1.5 s after a higher id: read, status %s' % (first, e['status']))

    # -- bad rows, freshness, history, configuration -----------------------------------------------
    def _duplicates_counted(self):
        text = self.env.get('/metrics')[2]
        text = text.decode() if isinstance(text, bytes) else text
        m = re.search(r'^commcell_rows_rejected_total\{reason="duplicate"\} (\d+)$', text, re.M)
        self.assertIsNotNone(m, 'no duplicate counter in /metrics')
        return int(m.group(1))

    def test_08_quarantine(self):
        env = self.env
        key = 'admission.waiting_for_bed'
        # the counter is the daemon's since it started: earlier tests (a table recreated, a
        # grant revoked) may have counted duplicates of their own
        dup_before = self._duplicates_counted()
        env.insert('acute', key, 12)
        good = self.wait_entry('acute', key, '', lambda e: e['value'] == 12)
        future = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=2)
        env.insert('acute', key, 99, observed_at=future)
        env.partner_sql('acute', "INSERT INTO commcell.observation (metric, site, value, observed_at) "
                        "VALUES (%s, '', 13, %s), (%s, '', 14, %s)",
                        (key, good['observed_at'], key, good['observed_at']))
        e = self.wait_entry('acute', key, '', lambda e: e.get('rejected'))
        self.assertEqual(e['value'], 12, 'the last good value stays')
        self.assertEqual(e['observed_at'], good['observed_at'])

        def reasons():
            rows = env.get_json('/api/quarantine?partner=acute')['rows']
            return [r['reason'] for r in rows if r['metric'] == key]
        ce.wait_until(lambda: len(reasons()) >= 3, 10, what='3 quarantined rows')
        rs = reasons()
        self.assertTrue(any('future' in r for r in rs), rs)
        self.assertEqual(sum('same observed_at' in r for r in rs), 2, rs)
        self.assertEqual(self._duplicates_counted() - dup_before, 2)

    def test_09_stale_after_freshness_window(self):
        env = self.env
        key = 'beds.ga_occupancy'
        env.hub("UPDATE commcell.metric SET freshness_s = 2 WHERE partner = 'acute' AND key = %s",
                (key,))
        try:
            env.insert('acute', key, 90.0)
            self.wait_entry('acute', key, '', lambda e: e['value'] == 90.0, 10)
            e = self.wait_entry('acute', key, '',
                                lambda e: e['value'] == 90.0 and e['status'] == 'stale', 15)
            self.assertEqual(e['value'], 90.0)
            self.assertIn('2 s freshness window', e['reason'])
        finally:
            env.hub("UPDATE commcell.metric SET freshness_s = 600 WHERE partner = 'acute' "
                    "AND key = %s", (key,))

    def test_10_history_api(self):
        env = self.env
        key = 'ed.four_hour_performance'
        for v in (70.0, 71.0, 72.0):
            env.insert('acute', key, v)
            time.sleep(0.05)
        self.wait_entry('acute', key, '', lambda e: e['value'] == 72.0)

        def points():
            return env.get_json('/api/history?partner=acute&metric=%s&step=3600' % key)['points']
        ce.wait_until(lambda: points() and points()[-1]['last'] == 72.0, 10, what='history point')
        p = points()[-1]
        self.assertLessEqual(p['min'], 70.0)
        self.assertGreaterEqual(p['n'], 3)
        status, _, body = env.get('/api/history?metric=%s&from=yesterday' % key)
        self.assertEqual(status, 400, body)
        status, _, body = env.get('/api/history?metric=no.such.metric')
        self.assertEqual(status, 404, body)

    def test_11_config_change_is_live(self):
        env = self.env
        since = self.feed_of('acute')['since']
        env.insert('acute', 'ed.four_hour_performance', 90.0)
        self.wait_entry('acute', 'ed.four_hour_performance', '', lambda e: e['value'] == 90.0)
        env.hub("UPDATE commcell.metric SET amber = 85 WHERE partner = 'acute' "
                "AND key = 'ed.four_hour_performance'")
        try:
            e = self.wait_entry('acute', 'ed.four_hour_performance', '',
                                lambda e: e['amber'] == 85 and e['status'] == 'green')
            self.assertEqual(e['value'], 90.0)
            self.assertEqual(self.feed_of('acute')['since'], since,
                             'a threshold change must not reconnect the partner')
        finally:
            env.hub("UPDATE commcell.metric SET amber = 95 WHERE partner = 'acute' "
                    "AND key = 'ed.four_hour_performance'")

    def test_12_big_batch_reaches_history(self):
        """More rows at once than one history write takes (2,000): all of them are stored."""
        env = self.env
        env.partner_sql('acute', "INSERT INTO commcell.observation (metric, site, value) "
                        "SELECT 'admission.waiting_for_bed', 'B' || g, g % 30 "
                        "FROM generate_series(1, 2500) g")

        def stored():
            return env.hub("SELECT count(*) FROM commcell.history WHERE partner = 'acute' "
                           "AND metric = 'admission.waiting_for_bed' AND site LIKE 'B%%'")[0][0]
        ce.wait_until(lambda: stored() == 2500, 20, what='2,500 history rows')
        self.assertNotIn('writing', ''.join(l for l in env.daemon.log_text().splitlines(True)
                                            if 'recorder' in l))
