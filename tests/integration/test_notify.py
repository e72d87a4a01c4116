"""The NOTIFY path: with acute polled only every 60 s, a committed row must reach clients at
once, which only LISTEN/NOTIFY can explain. Measures commit-to-client latency."""

import asyncio
import datetime
import time
import unittest

from itbase import EnvCase, ce, out, summary_ms

KEY = ('acute', 'ed.four_hour_performance')
SANITY_S = 2.0      # generous bound per delta; the design budget (p99 50 ms) is bench/'s job


class NotifyTest(EnvCase):
    env_options = {'poll_ms': {'acute': 60000, 'ambulance': 1000, 'community': 1000,
                               'nhs111': 1000}}

    def test_01_statuses_via_notify(self):
        env = self.env

        async def scenario():
            results = []
            async with env.client('notify') as c:
                await c.snapshot()
                for value, want in [(50.0, 'red'), (90, 'amber'), (97, 'green'), (80.0, 'amber'),
                                    (75.9, 'red'), (95.1, 'green')]:
                    seq_before = c.seq
                    await asyncio.sleep(0.002)   # distinct observed_at, as in test_02
                    ins = await env.ainsert(*KEY, value)
                    m, e = await c.wait_value(*KEY, value, timeout=SANITY_S)
                    results.append((value, want, e, m.data['seq'], seq_before,
                                    m.t - ins.t_commit_start, m.data['type']))
            return results
        t0 = datetime.datetime.now(datetime.timezone.utc)
        for value, want, e, seq, seq_before, lat, typ in self.run_async(scenario()):
            with self.subTest(value=value):
                self.assertEqual(typ, 'delta')
                # nothing else changes in this module, so the very next delta carries the row
                # (and every delta's seq is the previous + 1: WsClient checks that throughout)
                self.assertEqual(seq, seq_before + 1)
                self.assertEqual(e['status'], want, 'status for %r: %r' % (value, e))
                self.assertEntryOk(e)
                obs = ce.parse_iso_utc(e['observed_at'])
                self.assertLess(abs((obs - t0).total_seconds()), 60, 'observed_at %r' % obs)
                self.assertLess(lat, SANITY_S)

    def test_02_latency_100_inserts(self):
        env = self.env

        async def scenario():
            lat = []
            async with env.client('latency') as c:
                await c.snapshot()
                for i in range(100):
                    v = 95.5 + i * 0.01
                    # A whole cycle can take under a millisecond; observed_at (the partner's
                    # now()) reaches the board in whole milliseconds, and a second row with the
                    # same observed_at is refused as a duplicate. Keep the rows apart.
                    await asyncio.sleep(0.002)
                    ins = await env.ainsert(*KEY, v)
                    m, e = await c.wait_value(*KEY, v, timeout=SANITY_S + 1)
                    lat.append(m.t - ins.t_commit_start)
            return lat
        t0 = time.monotonic()
        lat = self.run_async(scenario())
        out('NOTIFY path, commit to client, 100 sequential inserts: %s (%.1f s in all)'
            % (summary_ms(lat), time.monotonic() - t0))
        slow = [(i, round(l * 1000)) for i, l in enumerate(lat) if l >= SANITY_S]
        self.assertEqual(slow, [], 'deltas slower than %.0f s (index, ms)' % SANITY_S)

    def test_03_one_statement_many_rows(self):
        """One statement inserting rows for several metrics (one NOTIFY): all reach the board."""
        env = self.env

        async def scenario():
            async with env.client('multi') as c:
                await c.snapshot()
                vals = {'ed.four_hour_performance': 96.6, 'beds.ga_occupancy': 96.1,
                        'admission.waiting_for_bed': 3.0}
                def insert_all():
                    conn = env.cluster_of('acute').connect('partner_acute')
                    try:
                        with conn.cursor() as cur:
                            cur.execute('INSERT INTO commcell.observation (metric, value) '
                                        'SELECT * FROM unnest(%s::text[], %s::float8[])',
                                        (list(vals), list(vals.values())))
                    finally:
                        conn.close()
                await asyncio.to_thread(insert_all)
                deadline = time.monotonic() + SANITY_S

                def done(_m):
                    return all(ce.same_value((c.entry('acute', k) or {}).get('value'), v)
                               for k, v in vals.items())
                await c.wait_for(done, max(0.1, deadline - time.monotonic()))
                return {k: c.entry('acute', k) for k in vals}
        got = self.run_async(scenario())
        self.assertEqual(got['ed.four_hour_performance']['status'], 'green')
        self.assertEqual(got['beds.ga_occupancy']['status'], 'red')
        self.assertEqual(got['admission.waiting_for_bed']['status'], 'green')


if __name__ == '__main__':
    unittest.main()
