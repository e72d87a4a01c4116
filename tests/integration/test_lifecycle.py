"""HTTP endpoints, readiness while the hub is down, restart, graceful shutdown."""

import asyncio
import os
import re
import signal
import time
import unittest

from itbase import EnvCase, ce, out

PROM_LINE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{[^}]*\})? [-+]?([0-9.]+([eE][-+]?[0-9]+)?|NaN|Inf)'
                       r'( -?[0-9]+)?$')


class LifecycleTest(EnvCase):

    def test_01_http_endpoints(self):
        env = self.env
        status, _, _ = env.get('/healthz')
        self.assertEqual(status, 200, '/healthz')
        status, _, _ = env.get('/readyz')
        self.assertEqual(status, 200, '/readyz')

        feeds = self.feeds()
        partners = sorted(f.get('partner') for f in feeds)
        self.assertEqual(partners, sorted(ce.PARTNERS), '/api/feeds partners: %r' % feeds)
        for f in feeds:
            for k in ('partner', 'state', 'reason'):
                self.assertIn(k, f, '/api/feeds entry %r lacks %r' % (f, k))
        # every feed made its first attempt and the partners are up: all should be ok by now
        ce.wait_until(lambda: all(f.get('state') == 'ok' for f in self.feeds()), 10,
                      0.1, 'every feed ok in /api/feeds')

        status, headers, body = env.get('/metrics')
        self.assertEqual(status, 200, '/metrics')
        self.assertTrue(headers.get('content-type', '').startswith('text/plain'),
                        '/metrics content-type %r' % headers.get('content-type'))
        samples = [l for l in body.decode().splitlines() if l and not l.startswith('#')]
        self.assertTrue(samples, '/metrics has no samples')
        bad = [l for l in samples if not PROM_LINE.match(l)]
        self.assertEqual(bad, [], '/metrics lines not in Prometheus text format')

        index = os.path.join(ce.REPO, 'web', 'index.html')
        if os.path.exists(index):
            status, headers, body = env.get('/')
            self.assertEqual(status, 200, 'GET /')
            self.assertIn('text/html', headers.get('content-type', ''))
            with open(index, 'rb') as f:
                self.assertEqual(body, f.read(), 'GET / must serve web/index.html')
        else:
            out('web/index.html does not exist yet: GET / not checked')

        status, _, _ = env.get('/no/such/page')
        self.assertEqual(status, 404, 'GET of an unknown path')
        status, _, _ = env.get('/../../etc/passwd')
        self.assertIn(status, (400, 403, 404), 'path traversal must not be served')

    def test_02_restart_keeps_current_values(self):
        env = self.env
        key = ('acute', 'ed.four_hour_performance')

        async def before():
            async with env.client('before') as c:
                await c.snapshot()
                ins = await env.ainsert(*key, 88.8)
                await c.wait_value(*key, 88.8, timeout=5)
                return ins
        self.run_async(before())

        old_pid = env.daemon.pid
        env.daemon.stop()                     # asserts exit code 0 within 10 s
        env.insert(*key, 77.7)                # changed while commcelld is down: amber
        env.insert('nhs111', '111.calls_abandoned', 6.5)   # first value ever: red
        env.daemon.start()                    # waits for /readyz
        self.assertNotEqual(env.daemon.pid, old_pid)

        async def after():
            async with env.client('after') as c:
                snap = await c.snapshot()
                return snap, c.board
        snap, board = self.run_async(after())
        e = board.get(('acute', 'ed.four_hour_performance', ''))
        self.assertIsNotNone(e, 'snapshot after restart lacks acute ed.four_hour_performance')
        self.assertTrue(ce.same_value(e['value'], 77.7), 'value after restart: %r' % e)
        self.assertEqual(e['status'], 'amber', 'status of 77.7: %r' % e)
        e = board.get(('nhs111', '111.calls_abandoned', ''))
        self.assertIsNotNone(e)
        self.assertTrue(ce.same_value(e['value'], 6.5), 'value after restart: %r' % e)
        self.assertEqual(e['status'], 'red')
        for e in snap['metrics']:
            self.assertEntryOk(e)

    def test_03_readyz_503_while_hub_down(self):
        env = self.env
        env.daemon.stop()
        env.main.stop()                       # the hub (and acute, community, nhs111) is down
        try:
            env.daemon.start(wait_ready=False)
            env.daemon.wait_healthy(15)
            t_end = time.monotonic() + 2.0
            seen = []
            while time.monotonic() < t_end:
                seen.append(env.get('/readyz')[0])
                self.assertEqual(env.get('/healthz')[0], 200, '/healthz while the hub is down')
                time.sleep(0.2)
            self.assertEqual(set(seen), {503}, '/readyz while the hub is unreachable: %r' % seen)
        finally:
            if not env.main.is_running():
                env.main.start()
        pid = env.daemon.pid
        t0 = time.monotonic()
        env.daemon.wait_ready(45)
        out('/readyz became 200 %.1f s after the hub came back' % (time.monotonic() - t0))
        self.assertEqual(env.daemon.pid, pid, 'the daemon must not have been restarted')

        async def check():
            async with env.client() as c:
                await c.snapshot()
                return c.board
        board = self.run_async(check())
        for m in ce.METRICS:
            self.assertIn(m.id, board, 'snapshot after hub recovery lacks %r' % (m.id,))

    def test_04_graceful_shutdown(self):
        env = self.env
        d = env.daemon
        if not d.alive():
            d.start()

        async def scenario():
            c = env.client('shutdown')
            await c.connect()
            await c.snapshot()
            pid = d.pid
            children = d.children()
            t0 = time.monotonic()
            os.kill(pid, signal.SIGTERM)
            rc = await asyncio.to_thread(d._wait_exit, 10.0)
            took = time.monotonic() - t0
            # the client must see its connection end
            closed = False
            try:
                await c.recv(3)
            except ce.ConnectionClosedError:
                closed = True
            except ce.HarnessError:
                closed = c.ws.closed
            await c.close()
            return pid, children, rc, took, closed
        pid, children, rc, took, closed = self.run_async(scenario())
        if rc is None:
            d.kill9()
            self.fail('commcelld did not exit within 10 s of SIGTERM; log tail:\n%s' % d.log_tail())
        out('SIGTERM to exit: %.2f s, exit code %s' % (took, rc))
        self.assertEqual(rc, 0, 'exit code after SIGTERM; log tail:\n%s' % d.log_tail())
        d.check_sanitizer_log()
        d.proc = None
        left = [p for p in children if ce.pid_alive(p)] + ce.session_members(pid)
        self.assertEqual(sorted(set(left)), [], 'processes left behind by commcelld: %s'
                         % [(p, ce.proc_stat(p)) for p in set(left)])
        self.assertTrue(closed, 'the WebSocket client was not disconnected at shutdown')


if __name__ == '__main__':
    unittest.main()
