"""History from the first start (issue 16): query feeds evaluated as of an instant ($1), and the
backfill that fills a query feed's history from the partner's own rows.

The partner 'acute' gets a small operational table of events: one every 10 minutes at site A
and every 20 minutes at site B over the last two days, and one every 0.2 s at A for the next few
minutes (so the live value changes at every poll). The feed counts events in the day up to $1."""

import datetime
import re
import time

from itbase import EnvCase, ce, out

POLL_MS = 1000
DAYS = 3
GRID_S = 900
METRIC = 'bf.events'
COUNT_SQL = ("SELECT e.site, count(*)::float8 FROM bf.event e "
             "WHERE e.at <= $1::timestamptz AND e.at > $1::timestamptz - interval '1 day' "
             "GROUP BY e.site")


def wait_for(what, fn, timeout, step=0.25):
    deadline = time.monotonic() + timeout
    while True:
        v = fn()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError('timed out after %.0f s waiting for %s' % (timeout, what))
        time.sleep(step)


class BackfillTest(EnvCase):
    env_options = {'poll_ms': POLL_MS}
    start_daemon = False

    @classmethod
    def configure(cls):
        env = cls.env
        env.partner_sql('acute', """
            CREATE SCHEMA bf;
            CREATE TABLE bf.event (site text NOT NULL, at timestamptz NOT NULL);
            INSERT INTO bf.event
                SELECT 'A', g FROM generate_series(now() - interval '2 days', now(),
                                                   interval '10 minutes') g
                UNION ALL
                SELECT 'B', g FROM generate_series(now() - interval '2 days', now(),
                                                   interval '20 minutes') g
                UNION ALL
                SELECT 'A', g FROM generate_series(now(), now() + interval '30 minutes',
                                                   interval '200 milliseconds') g;
            CREATE INDEX ON bf.event (at);
            GRANT USAGE ON SCHEMA bf TO commcell_reader;
            GRANT SELECT ON bf.event TO commcell_reader""")
        cls.add_feed('acute', METRIC, COUNT_SQL, as_of=True)
        env.write_config(backfill_days=str(DAYS))
        env.start_daemon()

    @classmethod
    def add_feed(cls, partner, key, query, as_of, poll_ms=POLL_MS, timeout_ms=5000):
        cls.env.hub(
            "INSERT INTO commcell.metric (partner, key, label, unit, stage, higher_is_better, "
            "amber, red, freshness_s, decimals) VALUES (%s, %s, %s, 'events', 'community', "
            "false, NULL, NULL, 600, 0)", (partner, key, 'Test ' + key))
        cls.env.hub(
            "INSERT INTO commcell.feed (partner, kind, metric, query, as_of, poll_interval_ms, "
            "statement_timeout_ms) VALUES (%s, 'query', %s, %s, %s, %s, %s)",
            (partner, key, query, as_of, poll_ms, timeout_ms))

    # -- helpers ----------------------------------------------------------------------------------
    def feed(self, partner, key):
        for p in self.feeds():
            if p.get('partner') != partner:
                continue
            for f in p['feeds']:
                if f.get('metric') == key:
                    return f
        return None

    def backfill_state(self, partner, key):
        f = self.feed(partner, key)
        return f and f.get('backfill')

    def wait_backfill(self, partner, key, state, timeout=240):
        return wait_for('the backfill of %s to be %s' % (key, state),
                        lambda: (lambda b: b if b and b['state'] == state else None)(
                            self.backfill_state(partner, key)), timeout, 0.5)

    def metric_value(self, name):
        _, _, body = self.env.get('/metrics')
        m = re.search(r'^%s (\d+)$' % re.escape(name), body.decode(), re.M)
        self.assertIsNotNone(m, name + ' in /metrics')
        return int(m.group(1))

    def history(self, key, backfilled):
        return self.env.hub(
            "SELECT site, value, observed_at FROM commcell.history WHERE partner = 'acute' "
            "AND metric = %s AND backfilled = %s ORDER BY observed_at, site", (key, backfilled))

    def expected(self, instants):
        """The count, computed here from the partner's rows, for each (instant, site)."""
        rows = self.env.partner_sql(
            'acute', "SELECT t, e.site, count(*)::float8 FROM unnest(%s::timestamptz[]) t "
            "JOIN bf.event e ON e.at <= t AND e.at > t - interval '1 day' GROUP BY t, e.site",
            (list(instants),))
        return {(t, s): v for t, s, v in rows}

    # -- (b) a fresh start fills history on the 15-minute grid, newest first --------------------
    def test_1_fresh_start_fills_the_grid(self):
        env = self.env
        t0 = time.monotonic()
        b = self.wait_backfill('acute', METRIC, 'done')
        took = time.monotonic() - t0
        rows = self.history(METRIC, True)
        instants = sorted({r[2] for r in rows})
        out('backfill of %d days: %d instants evaluated, %d rows written, in about %.1f s'
            % (DAYS, b['filled'], len(rows), took))
        self.assertEqual(b['remaining'], 0, b)
        self.assertIsNone(b['error'], b)
        # every instant of the window was evaluated: those before the partner's rows began
        # gave no rows (and no history), the last two days one row per site each
        self.assertGreaterEqual(b['filled'], DAYS * 96 - 2, b)
        self.assertLessEqual(b['filled'], DAYS * 96 + 1, b)
        self.assertGreaterEqual(len(instants), 2 * 96 - 2)
        self.assertLessEqual(len(instants), 2 * 96 + 1)
        for t in instants:
            self.assertEqual(t.timestamp() % GRID_S, 0, 'instant %s is not on the 15-minute grid' % t)
        newest = env.hub('SELECT now()')[0][0]
        self.assertGreater(instants[0], newest - datetime.timedelta(days=2, minutes=16))
        self.assertGreater(instants[-1], newest - datetime.timedelta(minutes=16))
        # each value is what the partner's rows say for that instant, at both sites
        want = self.expected(instants)
        got = {(r[2], r[0]): r[1] for r in rows}
        self.assertEqual(got, want)
        self.assertEqual({r[0] for r in rows}, {'A', 'B'})
        # newest first: each recorded run ends before the one recorded before it begins
        runs = env.hub("SELECT from_at, to_at, instants, points FROM commcell.backfill_run "
                       "WHERE partner = 'acute' AND metric = %s ORDER BY id", (METRIC,))
        self.assertGreaterEqual(len(runs), 3)
        for a, b2 in zip(runs, runs[1:]):
            self.assertLess(b2[1], a[0], 'runs %r then %r: not newest first' % (a, b2))
        self.assertEqual(sum(r[2] for r in runs), b['filled'])
        self.assertEqual(sum(r[3] for r in runs), len(rows))
        self.assertTrue(any(r[3] == 0 for r in runs), 'the range before the partner\'s rows '
                        'is recorded as done too')
        self.assertGreaterEqual(self.metric_value('commcell_backfill_queries_total'), b['filled'])
        self.assertEqual(self.metric_value('commcell_backfill_rows_total'), len(rows))
        # the live value went on meanwhile, not marked backfilled
        self.assertTrue(self.history(METRIC, False))
        # /api/history says which points were backfilled
        h = env.get_json('/api/history?partner=acute&metric=%s&site=A&from=%d&to=%d&step=900'
                         % (METRIC, (time.time() - 86400) * 1000, (time.time() + 60) * 1000))
        marks = [p['backfilled'] for p in h['points']]
        self.assertGreaterEqual(len(marks), 90)
        self.assertTrue(all(marks[:-2]), h['points'][:3])
        self.assertFalse(marks[-1], h['points'][-1])
        self.assertDaemonAlive()

    # -- (a) the as-of query gives what live polling recorded, row for row -----------------------
    def test_2_backfill_equals_live(self):
        env = self.env
        live = wait_for('six live polls', lambda: (lambda r: r if len({x[2] for x in r}) >= 7
                                                   else None)(self.history(METRIC, False)), 30)
        # not the newest: the recorder may have written only some of its sites yet
        instants = sorted({r[2] for r in live})[-6:-1]
        recorded = {(r[2], r[0]): r[1] for r in live if r[2] in instants}
        self.assertGreater(len(set(recorded.values())), 1,
                           'the live value should change from poll to poll: %r' % recorded)
        env.daemon.stop()
        env.hub("DELETE FROM commcell.history WHERE partner = 'acute' AND metric = %s "
                "AND observed_at = ANY(%s)", (METRIC, instants))
        for t in instants:
            env.hub("INSERT INTO commcell.backfill_request (partner, metric, at) "
                    "VALUES ('acute', %s, %s)", (METRIC, t))
        env.daemon.start()
        wait_for('the requested instants to be evaluated', lambda: not env.hub(
            'SELECT 1 FROM commcell.backfill_request'), 60)
        again = self.env.hub(
            "SELECT site, value, observed_at, backfilled FROM commcell.history "
            "WHERE partner = 'acute' AND metric = %s AND observed_at = ANY(%s)",
            (METRIC, instants))
        self.assertTrue(all(r[3] for r in again), again)
        got = {(r[2], r[0]): r[1] for r in again}
        self.assertEqual({k: got.get(k) for k in recorded}, recorded)
        # live history keeps a value only when it changed (site B's count stays put for 20
        # minutes): where the backfill found one more, it is the value live polling last kept
        for (t, site), v in got.items():
            if (t, site) not in recorded:
                kept = [r for r in live if r[0] == site and r[2] < t]
                self.assertTrue(kept, 'no live value of site %s before %s' % (site, t))
                self.assertEqual(v, kept[-1][1], 'site %s at %s' % (site, t))
        out('%d live values at %d instants evaluated again as of the same instants: all equal'
            % (len(recorded), len(instants)))

    # -- (d) a restart does not evaluate a range again -------------------------------------------
    def test_3_restart_does_not_redo(self):
        env = self.env
        self.wait_backfill('acute', METRIC, 'done')
        runs = env.hub('SELECT count(*) FROM commcell.backfill_run')[0][0]
        rows = len(self.history(METRIC, True))
        env.daemon.stop()
        env.daemon.start()
        b = self.wait_backfill('acute', METRIC, 'done')
        self.assertEqual(b['filled'], 0, b)
        self.assertEqual(self.metric_value('commcell_backfill_queries_total'), 0)
        self.assertEqual(env.hub('SELECT count(*) FROM commcell.backfill_run')[0][0], runs)
        self.assertEqual(len(self.history(METRIC, True)), rows)

    # -- (e) a flag that does not match the query says so ----------------------------------------
    def test_4_flag_and_query_disagree(self):
        self.add_feed('community', 'bf.no_param', "SELECT 'X', 1::float8", as_of=True)
        self.add_feed('community', 'bf.not_flagged', "SELECT 'X', extract(epoch FROM "
                      "$1::timestamptz)::float8", as_of=False)
        f = wait_for('the as_of feed without $1 to fail', lambda: (
            lambda f: f if f and f['state'] == 'failing' else None)(
                self.feed('community', 'bf.no_param')), 30)
        self.assertIn('has no $1', f['error'])
        self.assertTrue(f['as_of'])
        b = self.wait_backfill('community', 'bf.no_param', 'failed', 60)
        self.assertIn('has no $1', b['error'])
        f = wait_for('the feed using $1 without as_of to fail', lambda: (
            lambda f: f if f and f['state'] == 'failing' else None)(
                self.feed('community', 'bf.not_flagged')), 30)
        self.assertIn('uses $1 but the feed is not set', f['error'])
        self.assertIsNone(f['backfill'])
        self.assertDaemonAlive()
        self.env.hub("DELETE FROM commcell.metric WHERE key IN ('bf.no_param', 'bf.not_flagged')")

    # -- (c) live polls keep their interval while a backfill runs --------------------------------
    def test_5_live_polls_not_delayed(self):
        env = self.env
        # past instants take 2 s each: on the live poll's connection every poll would wait
        # behind one, 2 s and more apart
        slow = ("WITH pause AS (SELECT pg_sleep(CASE WHEN $1::timestamptz < now() - "
                "interval '10 minutes' THEN 2 ELSE 0 END)) "
                "SELECT e.site, count(*)::float8 FROM pause, bf.event e "
                "WHERE e.at <= $1::timestamptz AND e.at > $1::timestamptz - interval '1 day' "
                "GROUP BY e.site")
        self.add_feed('acute', 'bf.slow', slow, as_of=True, poll_ms=500)
        before = self.wait_backfill('acute', 'bf.slow', 'running', 60)
        first = wait_for('live values of the slow feed', lambda: self.history('bf.slow', False), 30)
        t0 = first[-1][2]
        time.sleep(10)
        after = self.backfill_state('acute', 'bf.slow')
        self.assertEqual(after['state'], 'running', after)
        self.assertGreater(after['filled'], before['filled'])
        live = sorted({r[2] for r in self.history('bf.slow', False) if r[2] >= t0})
        gaps = [(b - a).total_seconds() for a, b in zip(live, live[1:])]
        out('live polls every 500 ms while the backfill ran (%d instants in 10 s): %d values, '
            'largest gap %.2f s' % (after['filled'] - before['filled'], len(live), max(gaps)))
        self.assertGreaterEqual(len(live), 8)
        self.assertLess(max(gaps), 1.5, 'live values %s' % live)
        env.hub("DELETE FROM commcell.metric WHERE partner = 'acute' AND key = 'bf.slow'")
        wait_for('the slow feed to go', lambda: self.feed('acute', 'bf.slow') is None, 30)
        self.assertDaemonAlive()


if __name__ == '__main__':
    import unittest
    unittest.main()
