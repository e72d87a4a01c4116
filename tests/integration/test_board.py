"""The board over WebSocket: snapshot, deltas from polling, identical bytes for every client,
rows the daemon must reject, client messages, and a partner whose whole server goes away."""

import asyncio
import datetime
import time
import unittest

from itbase import EnvCase, ce, out

POLL_MS = 1000
POLL_MARGIN_MS = 1000


class BoardTest(EnvCase):
    env_options = {'poll_ms': POLL_MS}

    # -- snapshot -------------------------------------------------------------------------------
    def test_01_snapshot(self):
        env = self.env

        async def get():
            async with env.client() as c:
                snap = await c.snapshot()
                return snap, c.snapshot_msg
        t_before = datetime.datetime.now(datetime.timezone.utc)
        snap, msg = self.run_async(get())
        self.assertEqual(snap.get('type'), 'snapshot')
        self.assertIsInstance(snap.get('seq'), int, 'snapshot seq')
        self.assertNotIsInstance(snap.get('seq'), bool)
        st = ce.parse_iso_utc(snap.get('server_time'))
        self.assertLess(abs((st - t_before).total_seconds()), 30, 'server_time %r' % st)

        stages = snap.get('stages')
        self.assertIsInstance(stages, list, 'snapshot stages')
        self.assertEqual([s.get('key') for s in sorted(stages, key=lambda s: s.get('position'))],
                         ['111', 'ambulance', 'ed', 'admission', 'beds', 'discharge',
                          'community', 'mental_health'], 'stages in position order')
        for s in stages:
            self.assertIsInstance(s.get('label'), str)

        partners = {p.get('name'): p for p in snap.get('partners') or []}
        self.assertEqual(sorted(partners), sorted(ce.PARTNERS), 'snapshot partners')
        for name, p in partners.items():
            self.assertEqual(p.get('label'), ce.PARTNERS[name][0], 'label of %s' % name)
            self.assertEqual(p.get('state'), 'ok', 'partner %s: %r' % (name, p))
            self.assertIn('reason', p)

        metrics = snap.get('metrics')
        self.assertIsInstance(metrics, list)
        for e in metrics:
            self.assertEntryOk(e)
        board = {ce.entry_id(e): e for e in metrics}
        self.assertEqual(len(board), len(metrics), 'duplicate entries in the snapshot')
        for m in ce.METRICS:
            with self.subTest(metric=m.id):
                e = board.get(m.id)
                self.assertIsNotNone(e, 'snapshot lacks %r' % (m.id,))
                self.assertEqual(e['stage'], m.stage)
                self.assertEqual(e['label'], m.label)
                self.assertEqual(e['unit'], m.unit)
                self.assertEqual(e['decimals'], m.decimals)
                self.assertIs(e['higher_is_better'], m.higher_is_better)
                self.assertTrue(ce.same_value(e['amber'], m.amber), 'amber %r' % e)
                self.assertTrue(ce.same_value(e['red'], m.red), 'red %r' % e)
                self.assertEqual(e['status'], m.expect, 'status of %r' % e)
                if m.seed is None:
                    self.assertIsNone(e['value'])
                    self.assertIsNone(e['observed_at'])
                    self.assertTrue(e.get('reason'), 'a stale entry needs a reason')
                else:
                    self.assertTrue(ce.same_value(e['value'], m.seed), 'value of %r' % e)
                    obs = ce.parse_iso_utc(e['observed_at'])
                    self.assertLess(abs((obs - t_before).total_seconds()), 120,
                                    'observed_at %r' % e['observed_at'])
        extra = set(board) - {m.id for m in ce.METRICS}
        self.assertEqual(extra, set(), 'entries the hub does not define')

    # -- deltas reach every client as the same bytes ----------------------------------------------
    def test_02_two_clients_identical_bytes(self):
        env = self.env
        key = ('acute', 'beds.ga_occupancy')

        async def scenario():
            async with env.client('a') as a, env.client('b') as b:
                await a.snapshot()
                await b.snapshot()
                await env.ainsert(*key, 91.25)
                ma, ea = await a.wait_value(*key, 91.25, timeout=5)
                mb, eb = await b.wait_value(*key, 91.25, timeout=5)
                return ma, mb, ea
        ma, mb, ea = self.run_async(scenario())
        self.assertEqual(ma.raw, mb.raw, 'two clients got different bytes for the same delta')
        self.assertEqual(ea['status'], 'green')
        self.assertEqual(ma.data['type'], 'delta')

    # -- rows the daemon must not put on the board ------------------------------------------------
    def _bad_rows(self, bad_rows):
        """Insert bad_rows (partner, metric, value) for acute, then a good sentinel row; the
        board must keep ed.four_hour_performance as it was and show no unknown metric."""
        env = self.env
        key = ('acute', 'ed.four_hour_performance', '')
        sentinel = ('acute', 'admission.waiting_for_bed')

        async def scenario():
            async with env.client('bad-rows') as c:
                await c.snapshot()
                before = dict(c.board[key])
                for metric, value in bad_rows:
                    await env.ainsert('acute', metric, value)
                v = 7 + (time.time() % 1000) / 1000.0
                await env.ainsert(*sentinel, v)
                seen = []
                t0 = time.monotonic()
                while True:
                    m = await c.wait_delta(lambda m: True, timeout=max(0.1, 5 - (time.monotonic() - t0)))
                    seen.append(m)
                    if any(ce.entry_id(e) == sentinel + ('',) and ce.same_value(e['value'], v)
                           for e in m.data.get('metrics') or []):
                        break
                return before, seen, dict(c.board)
        before, seen, board = self.run_async(scenario())
        for m in seen:
            for e in m.data.get('metrics') or []:
                self.assertNotIn(e.get('key'), [k for k, _ in bad_rows
                                                if k not in ('ed.four_hour_performance',)],
                                 'an unknown metric reached the board: %r' % e)
                if ce.entry_id(e) == key:
                    self.assertTrue(ce.same_value(e.get('value'), before['value']),
                                    'a bad row changed the value: %r -> %r' % (before, e))
                    self.assertEqual(e.get('observed_at'), before['observed_at'])
                    if e.get('status') != before['status']:
                        out('note: status went %s -> %s (%s)' % (before['status'], e.get('status'),
                                                                  e.get('reason')))
        self.assertDaemonAlive()
        # a new client sees the same
        async def fresh():
            async with env.client('fresh') as c:
                await c.snapshot()
                return c.board
        board2 = self.run_async(fresh())
        self.assertTrue(ce.same_value(board2[key]['value'], before['value']))
        for k, _ in bad_rows:
            if k != 'ed.four_hour_performance':
                self.assertFalse([i for i in board2 if i[1] == k], 'unknown metric %s on board' % k)

        # the feed is not stuck behind the bad rows
        async def after():
            async with env.client('after') as c:
                await c.snapshot()
                await env.ainsert('acute', 'ed.four_hour_performance', 96.5)
                return await c.wait_value('acute', 'ed.four_hour_performance', 96.5, timeout=5)
        m, e = self.run_async(after())
        self.assertEqual(e['status'], 'green')

    def test_03_bad_rows_null_and_unknown_metric(self):
        self._bad_rows([('ed.four_hour_performance', None), ('ed.no_such_metric', 42.0)])

    def test_04_bad_rows_not_finite(self):
        # JSON has no NaN or Infinity: such a value must be rejected, not sent or crashed on
        self._bad_rows([('ed.four_hour_performance', float('nan')),
                        ('ed.four_hour_performance', float('inf')),
                        ('ed.four_hour_performance', float('-inf'))])

    # -- client to server -------------------------------------------------------------------------
    def test_05_client_messages(self):
        env = self.env

        async def scenario():
            async with env.client('talker') as c:
                await c.snapshot()
                answers = []
                for bad in ['not json', '[1, 2]', '{}', '{"type":"no_such_type"}', '"ping"',
                            '{"type":17}']:
                    await c.send(bad)
                    m = await c.wait_for(lambda m: m.type in ('error', 'pong'), 5,
                                         ('error', 'pong'))
                    answers.append((bad, m))
                await c.send({'type': 'ping'})
                pong = await c.wait_for(lambda m: True, 5, ('pong',))
                # still open and usable after all that
                await c.send('{"type":"ping"}')
                pong2 = await c.wait_for(lambda m: True, 5, ('pong',))
                return answers, pong, pong2, c.seq
        answers, pong, pong2, seq = self.run_async(scenario())
        for bad, m in answers:
            self.assertEqual(m.type, 'error', 'answer to %r: %r' % (bad, m.raw))
            self.assertIsInstance(m.data.get('message'), str, 'error without a message')
            self.assertTrue(m.data['message'])
        for p in (pong, pong2):
            self.assertIsInstance(p.data.get('seq'), int, 'pong seq: %r' % p.raw)
            ce.parse_iso_utc(p.data.get('server_time'))
        self.assertEqual(pong2.data['seq'], seq, 'pong seq is the current seq')

    # -- polling path -----------------------------------------------------------------------------
    def test_06_polling_path_without_notify(self):
        env = self.env
        key = ('community', 'discharge.ready_not_discharged')
        env.set_notify_trigger('community', False)
        try:
            async def scenario():
                lat = []
                async with env.client('poll') as c:
                    await c.snapshot()
                    for i, v in enumerate([45.0, 41.0, 70.0]):
                        ins = await env.ainsert(*key, v)
                        m, e = await c.wait_value(*key, v, timeout=(POLL_MS + 3000) / 1000)
                        lat.append((m.t - ins.t_commit_start, e['status']))
                        await asyncio.sleep(0.37 * (i + 1))   # land at other points of the cycle
                return lat
            lat = self.run_async(scenario())
        finally:
            env.set_notify_trigger('community', True)
        out('polling path (trigger disabled, poll_interval %d ms): %s'
            % (POLL_MS, ', '.join('%.0f ms' % (l * 1000) for l, _ in lat)))
        self.assertEqual([s for _, s in lat], ['amber', 'amber', 'red'])
        for l, _ in lat:
            self.assertLess(l * 1000, POLL_MS + POLL_MARGIN_MS,
                            'polling path slower than poll_interval + %d ms' % POLL_MARGIN_MS)

    # -- a partner's whole server goes away and comes back -----------------------------------------
    def test_07_partner_down_and_back(self):
        env = self.env
        amb = [m for m in ce.METRICS if m.partner == 'ambulance']
        pid = env.daemon.pid

        async def scenario():
            c = env.client('partner-down')
            await c.connect()
            t_start = time.monotonic()
            try:
                await c.snapshot()
                before = {m.id: dict(c.board[m.id]) for m in amb}
                await asyncio.to_thread(env.amb.stop)
                t_down = time.monotonic()

                def all_error(m):
                    return all((c.board.get(x.id) or {}).get('status') == 'error' for x in amb)
                await c.wait_for(all_error, 20, ('delta', 'snapshot'))
                out('ambulance metrics turned error %.2f s after its server stopped'
                    % (time.monotonic() - t_down))
                errors = {m.id: dict(c.board[m.id]) for m in amb}

                def partner_failing(m):
                    return (c.partners.get('ambulance') or {}).get('state') in ('failing', 'backoff')
                if not partner_failing(None):
                    await c.wait_for(partner_failing, 10, ('delta', 'snapshot'))
                p_state = dict(c.partners['ambulance'])

                # the others carry on
                await env.ainsert('acute', 'ed.four_hour_performance', 95.5)
                await c.wait_value('acute', 'ed.four_hour_performance', 95.5, timeout=5)
                feeds = await asyncio.to_thread(self.feeds)

                await asyncio.to_thread(env.amb.start)
                t_up = time.monotonic()
                await env.ainsert('ambulance', 'ambulance.cat2_mean', 33.0)
                m, e = await c.wait_value('ambulance', 'ambulance.cat2_mean', 33.0, timeout=40)
                t_back = time.monotonic() - t_up

                def none_error(m):
                    return all((c.board.get(x.id) or {}).get('status') != 'error' for x in amb)
                if not none_error(None):
                    await c.wait_for(none_error, 10, ('delta', 'snapshot'))
                after = {m.id: dict(c.board[m.id]) for m in amb}
                hb = [x for x in c.messages if x.type == 'heartbeat']
                return before, errors, p_state, feeds, e, t_back, after, hb, \
                    time.monotonic() - t_start
            finally:
                await c.close()
                if not env.amb.is_running():
                    await asyncio.to_thread(env.amb.start)
        before, errors, p_state, feeds, e, t_back, after, hb, connected = \
            self.run_async(scenario(), timeout=150)
        out('ambulance back on the board %.2f s after its server restarted' % t_back)

        for mid, err in errors.items():
            self.assertEqual(err['status'], 'error')
            self.assertTrue(isinstance(err.get('reason'), str) and err['reason'],
                            'error without a reason: %r' % err)
            self.assertTrue(ce.same_value(err['value'], before[mid]['value']),
                            'the last good value must stay while the feed fails: %r' % err)
        self.assertTrue(p_state.get('reason'), 'failing partner without a reason: %r' % p_state)
        f = {x.get('partner'): x for x in feeds}
        self.assertIn(f['ambulance'].get('state'), ('failing', 'backoff'),
                      '/api/feeds ambulance: %r' % f['ambulance'])
        self.assertTrue(f['ambulance'].get('reason'), '/api/feeds ambulance reason: %r'
                        % f['ambulance'])
        self.assertEqual(f['acute'].get('state'), 'ok', '/api/feeds acute: %r' % f['acute'])

        self.assertEqual(e['status'], 'amber', 'cat2_mean 33 min: %r' % e)
        other = after[('ambulance', 'ambulance.handovers_over_60', '')]
        self.assertEqual(other['status'], 'green', 'handovers after recovery: %r' % other)
        ce.wait_until(lambda: self.feed_of('ambulance').get('state') == 'ok', 10, 0.2,
                      '/api/feeds ambulance ok again')
        self.assertEqual(env.daemon.pid, pid, 'commcelld must not have restarted')
        self.assertDaemonAlive()
        if connected > 11:
            self.assertTrue(hb, 'no heartbeat in %.0f s of connection (every 10 s expected)'
                            % connected)
            out('heartbeats seen: %d in %.0f s' % (len(hb), connected))

    # -- a partner's server hangs (kill -STOP): only its own feed may suffer ------------------------
    def test_08_partner_hangs(self):
        env = self.env
        amb = [m for m in ce.METRICS if m.partner == 'ambulance']

        async def scenario():
            c = env.client('partner-hangs')
            await c.connect()
            t_start = time.monotonic()
            lat = []
            try:
                await c.snapshot()
                await asyncio.to_thread(env.amb.freeze)
                t_frozen = time.monotonic()
                # while ambulance hangs, acute must still get through at once, again and again
                t_err = None
                for i in range(40):
                    v = 96.0 + i / 100.0
                    ins = await env.ainsert('acute', 'ed.four_hour_performance', v)
                    m, _ = await c.wait_value('acute', 'ed.four_hour_performance', v, timeout=2)
                    lat.append(m.t - ins.t_commit_start)
                    if t_err is None and all((c.board.get(x.id) or {}).get('status') == 'error'
                                             for x in amb):
                        t_err = time.monotonic() - t_frozen
                    if t_err is not None and time.monotonic() - t_start > 11:
                        break
                    await asyncio.sleep(0.5)
                await asyncio.to_thread(env.amb.thaw)
                t_thaw = time.monotonic()
                await env.ainsert('ambulance', 'ambulance.handovers_over_60', 4.0)
                _, e = await c.wait_value('ambulance', 'ambulance.handovers_over_60', 4.0,
                                          timeout=40)
                t_back = time.monotonic() - t_thaw
                hb = [x for x in c.messages if x.type == 'heartbeat']
                return lat, t_err, e, t_back, hb, time.monotonic() - t_start
            finally:
                env.amb.thaw()
                await c.close()
        lat, t_err, e, t_back, hb, connected = self.run_async(scenario(), timeout=150)
        out('acute while ambulance hangs: %s' % ce_summary(lat))
        self.assertIsNotNone(t_err, 'ambulance metrics did not turn error while its server hung '
                             '(statement_timeout_ms 5000)')
        out('ambulance turned error %.1f s after its server hung; back %.1f s after it resumed'
            % (t_err, t_back))
        self.assertEqual(e['status'], 'amber', 'handovers 4: %r' % e)
        self.assertDaemonAlive()
        self.assertTrue(hb, 'no heartbeat in %.0f s of connection (every 10 s expected)'
                        % connected)
        out('heartbeats seen: %d in %.0f s' % (len(hb), connected))


def ce_summary(lat):
    from itbase import summary_ms
    return summary_ms(lat)


if __name__ == '__main__':
    unittest.main()
