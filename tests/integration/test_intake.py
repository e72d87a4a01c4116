"""Hostile partner rows (issue 12): times out of any sane range, text that is not UTF-8 (a
SQL_ASCII partner database passes any bytes), rows the hub refuses. Each bad row ends in
quarantine with its reason; good rows, of this partner and of every other, keep reaching the
board and history. Before the intake check and the recorder's split, one such row jammed the
history queue for every partner."""

import datetime
import time

from itbase import EnvCase, ce, out

POLL_MS = 300
LEGACY = 'legacy'
KEY = 'test.legacy_waiting'


class IntakeTest(EnvCase):
    env_options = {'poll_ms': POLL_MS}

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        db = 'partner_' + LEGACY
        # SQL_ASCII: the server stores and sends any bytes, as old partner databases do
        env.main.execute('postgres', "CREATE DATABASE %s ENCODING 'SQL_ASCII' LC_COLLATE 'C' "
                         "LC_CTYPE 'C' TEMPLATE template0" % db)
        env.main._apply_sql_files(db, 'postgres', 'sql/partner/*.sql')
        env.hub('INSERT INTO commcell.partner (name, label, conninfo) VALUES (%s, %s, %s)',
                (LEGACY, 'Legacy system (SQL_ASCII)',
                 env.main.conninfo(db, 'commcell_reader')))
        # the metric before the feed: each statement reloads the daemon's configuration, and a
        # feed that starts before its metric exists would refuse the first row as unknown
        env.hub("INSERT INTO commcell.metric (partner, key, label, unit, stage, higher_is_better, "
                "amber, red, freshness_s, decimals) VALUES (%s, %s, 'Legacy waiting', "
                "'patients', 'admission', false, 50, 100, 600, 0)", (LEGACY, KEY))
        env.hub('INSERT INTO commcell.feed (partner, poll_interval_ms, statement_timeout_ms) '
                'VALUES (%s, %s, 5000)', (LEGACY, POLL_MS))

    def legacy(self, sql, params=None):
        return self.env.main.execute('partner_' + LEGACY, sql, params)

    def wait_entry(self, partner, key, site, cond, timeout=20.0):
        async def go():
            async with self.env.client('intake') as c:
                await c.snapshot()
                e = c.entry(partner, key, site)
                if e is not None and cond(e):
                    return e
                _, e = await c.wait_entry(partner, key, site, cond, timeout)
                return e
        return self.run_async(go(), timeout + 20)

    def history_values(self, partner, metric, site=''):
        return [r[0] for r in self.env.hub(
            'SELECT value FROM commcell.history WHERE partner = %s AND metric = %s '
            'AND site = %s ORDER BY observed_at', (partner, metric, site))]

    def quarantined(self, partner):
        rows = self.env.get_json('/api/quarantine?partner=%s&limit=1000' % partner)['rows']
        return rows

    def metric_value(self, name):
        text = self.env.get('/metrics')[2]
        text = text.decode() if isinstance(text, bytes) else text
        for line in text.splitlines():
            if line.startswith(name + ' ') or line.startswith(name + '{'):
                return line
        return None

    def assert_acute_history_flows(self, value):
        """A fresh acute value reaches history: the queue is not jammed."""
        self.env.insert('acute', 'admission.waiting_for_bed', value)
        ce.wait_until(lambda: value in self.history_values('acute', 'admission.waiting_for_bed'),
                      15, what='acute value %s in history' % value)

    def test_01_hostile_rows_are_quarantined_and_history_flows(self):
        env = self.env
        self.legacy("INSERT INTO commcell.observation (metric, site, value) VALUES (%s, '', 1)",
                    (KEY,))
        self.wait_entry(LEGACY, KEY, '', lambda e: e['value'] == 1)
        bad = [
            ("'0001-01-01 00:00:00+00 BC'", "''", 'before the year 2000'),
            ("'0200-01-01 00:00:00+00'", "''", 'before the year 2000'),
            ("'infinity'", "''", 'not a finite time'),
            ("'-infinity'", "''", 'not a finite time'),
            ('now()', "E'ward \\xff\\xfe'", 'site is not valid UTF-8'),
            ('now()', "E'caf\\xc3'", 'site is not valid UTF-8'),
            ('now()', "repeat('x', 5000)", 'at most 200'),
        ]
        for at, site, _ in bad:
            self.legacy("INSERT INTO commcell.observation (metric, site, value, observed_at) "
                        "VALUES (%%s, %s, 7, %s)" % (site, at), (KEY,))
        self.legacy("INSERT INTO commcell.observation (metric, site, value) "
                    "VALUES (E'test.\\xfe', '', 8)")
        t0 = time.monotonic()
        self.legacy("INSERT INTO commcell.observation (metric, site, value) VALUES (%s, '', 42)",
                    (KEY,))
        e = self.wait_entry(LEGACY, KEY, '', lambda e: e['value'] == 42)
        self.assertEqual(e['status'], 'green', e)
        ce.wait_until(lambda: 42 in self.history_values(LEGACY, KEY), 15,
                      what='the good legacy row in history')
        out('good row after %d hostile ones: in history %.0f ms after its commit'
            % (len(bad) + 1, (time.monotonic() - t0) * 1000))
        self.assert_acute_history_flows(17)

        def reasons():
            return [r['reason'] for r in self.quarantined(LEGACY)]
        ce.wait_until(lambda: len(reasons()) >= len(bad) + 1, 15,
                      what='%d quarantined legacy rows' % (len(bad) + 1))
        rs = reasons()
        for _, _, words in bad:
            self.assertTrue(any(words in r for r in rs), '%r not among %r' % (words, rs))
        self.assertTrue(any('metric is not valid UTF-8' in r for r in rs), rs)
        rows = self.quarantined(LEGACY)
        sites = [r['site'] for r in rows]
        self.assertIn('ward \\xFF\\xFE', sites, 'invalid bytes are kept, escaped')
        self.assertTrue(all(len(s or '') <= 1000 for s in sites), 'quarantined text is bounded')
        self.assertIsNotNone(self.metric_value('commcell_rows_rejected_total{reason="bad_text"}'))
        self.assertNotIn('writing', ''.join(l for l in env.daemon.log_text().splitlines(True)
                                            if 'recorder' in l))
        self.assertDaemonAlive()

    def test_02_rows_the_hub_refuses_are_split_out(self):
        """A batch the hub refuses as data (here a CHECK the hub adds) is split; the refused row
        goes to quarantine with the database's words and the rest reaches history."""
        env = self.env
        key = 'admission.waiting_for_bed'
        env.hub('ALTER TABLE commcell.history ADD CONSTRAINT test_refuse_666 CHECK (value <> 666)')
        try:
            env.partner_sql('acute', "INSERT INTO commcell.observation (metric, site, value) "
                            "SELECT %s, 'S' || g, CASE WHEN g = 37 THEN 666 ELSE g END "
                            "FROM generate_series(1, 100) g", (key,))

            def stored():
                return env.hub("SELECT count(*) FROM commcell.history WHERE partner = 'acute' "
                               "AND metric = %s AND site LIKE 'S%%'", (key,))[0][0]
            ce.wait_until(lambda: stored() == 99, 20, what='99 of 100 rows in history')
            ce.wait_until(lambda: any(r['site'] == 'S37' for r in self.quarantined('acute')), 10,
                          what='the refused row in quarantine')
            row = [r for r in self.quarantined('acute') if r['site'] == 'S37'][0]
            self.assertIn('test_refuse_666', row['reason'])
            self.assertEqual(row['value'], '666')
            self.assertIsNotNone(row['observed_at'])
            line = self.metric_value('commcell_history_rows_refused_total')
            self.assertIsNotNone(line)
            self.assertGreaterEqual(int(line.split()[-1]), 1)
        finally:
            env.hub('ALTER TABLE commcell.history DROP CONSTRAINT test_refuse_666')
        self.assert_acute_history_flows(18)

    def test_03_history_times_are_checked(self):
        env = self.env
        base = '/api/history?partner=acute&metric=admission.waiting_for_bed'
        for q, words in (('&to=2026-01-01T00:00:00-1:2', 'zone offset'),
                         ('&to=%2B', ''),
                         ('&to=2026-01-01T00:00:00%2B99:99', 'at most 23:59'),
                         ('&from=99999999-01-01T00:00:00Z', ''),
                         ('&from=0001-01-01T00:00:00Z&to=9999-12-31T00:00:00Z', 'at most 20 years'),
                         ('&from=1&to=253402300799999&step=1', 'at most 20 years'),
                         ('&step=99999999999999999999', 'step=')):
            status, _, body = env.get(base + q)
            self.assertEqual(status, 400, '%s: %r' % (q, body))
            self.assertIn(words, body.decode() if isinstance(body, bytes) else body)
        now = datetime.datetime.now(datetime.timezone.utc)
        status, _, body = env.get(base + '&from=%s&to=%s' % (
            (now - datetime.timedelta(hours=1)).strftime('%Y-%m-%dT%H:%M:%S.%fZ'),
            now.strftime('%Y-%m-%dT%H:%M:%SZ')))
        self.assertEqual(status, 200, body)
        self.assertDaemonAlive()
