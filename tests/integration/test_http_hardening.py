"""The HTTP and WebSocket transport under hostile input (issue 12): a client message that once
stopped the daemon, bodies where none belong, oversized URIs, heads and bodies, upgrades that
skip commcell.v1, DNS-rebinding origins, connection limits, slow heads, security headers,
/metrics access and the allow-list of served files. One daemon with small limits, serving a
copy of web/ with a planted symbolic link."""

import json
import os
import shutil
import socket
import tempfile
import time

from itbase import EnvCase, ce, out

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
TOKEN = 'metrics-token-for-the-hardening-test'
LIMITS = dict(max_connections_per_address='30', handshake_timeout_s='3',
              ws_max_message_bytes='1024', ws_messages_per_s='5', max_uri_bytes='1024',
              max_header_bytes='4096', max_body_bytes='4096',
              # clients "behind a proxy" at 127.0.0.1; 127.0.0.2 is a plain client
              trusted_proxies='127.0.0.1/32')


class HttpHardeningTest(EnvCase):
    env_options = {'poll_ms': 500}
    start_daemon = False

    @classmethod
    def configure(cls):
        cls.tmp = tempfile.mkdtemp(prefix='cc-hardening-')
        web = os.path.join(cls.tmp, 'web')
        shutil.copytree(os.path.join(REPO, 'web'), web, symlinks=True)
        os.symlink('/etc/passwd', os.path.join(web, 'leak.js'))
        os.makedirs(os.path.join(web, '.git'))
        with open(os.path.join(web, '.git', 'config'), 'w') as f:
            f.write('[core]\n')
        token_file = os.path.join(cls.tmp, 'metrics.token')
        with open(token_file, 'w') as f:
            f.write(TOKEN + '\n')
        cls.env.write_config(web_root=web, metrics_token_file=token_file, **LIMITS)
        cls.env.start_daemon()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        shutil.rmtree(getattr(cls, 'tmp', '/nonexistent'), ignore_errors=True)

    # -- helpers --------------------------------------------------------------------------------
    def connect(self, source='127.0.0.1'):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(5)
        s.bind((source, 0))
        s.connect((self.env.daemon.host, self.env.daemon.port))
        return s

    def raw(self, data, source='127.0.0.1', timeout=5):
        """Send data on a new connection; (status or None, whole answer bytes). None when the
        connection ended without an answer (closed or reset)."""
        s = self.connect(source)
        s.settimeout(timeout)
        got = b''
        try:
            s.sendall(data)
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                got += chunk
                if got.startswith(b'HTTP/1.1 101 ') and b'\r\n\r\n' in got:
                    break
                if b'\r\n\r\n' in got and b'connection: close' not in got.lower():
                    head, _, body = got.partition(b'\r\n\r\n')
                    n = [int(l.split(b':')[1]) for l in head.lower().split(b'\r\n')
                         if l.startswith(b'content-length:')]
                    if n and len(body) >= n[0]:
                        break
        except (ConnectionResetError, BrokenPipeError):
            pass
        finally:
            s.close()
        if not got.startswith(b'HTTP/1.1 '):
            return None, got
        return int(got[9:12]), got

    def request(self, path, headers=None):
        return ce.http_request(self.env.url + path, headers=headers or {})

    def ws_session(self, script, origin=None, subprotocols=(ce.SUBPROTOCOL,)):
        """Run script(ws) on an open /ws; returns (script result, close code or None)."""
        import websockets

        async def go():
            async with websockets.connect(self.env.ws_url, subprotocols=list(subprotocols),
                                          origin=origin, open_timeout=5, close_timeout=2,
                                          ping_interval=None, max_size=None) as c:
                first = json.loads(await c.recv())
                self.assertEqual(first.get('type'), 'snapshot')
                try:
                    return await script(c), None
                except websockets.exceptions.ConnectionClosed as e:
                    return None, e.rcvd.code if e.rcvd else None
        return self.run_async(go(), 60)

    @staticmethod
    async def next_of(c, kinds):
        while True:
            m = json.loads(await c.recv())
            if m.get('type') in kinds:
                return m

    def metric(self, name):
        status, _, body = self.request('/metrics')
        self.assertEqual(status, 200)
        for line in body.decode().splitlines():
            if line.startswith(name + ' '):
                return float(line.split()[1])
        self.fail('/metrics has no %s' % name)

    # -- tests ----------------------------------------------------------------------------------
    def test_01_type_cut_inside_a_character(self):
        """63 ASCII characters and an 'é': the error reply once cut it in half and crashed."""
        hostile = 'a' * 63 + '\u00e9'

        async def script(c):
            await c.send(json.dumps({'type': hostile}, ensure_ascii=False))
            err = await self.next_of(c, ('error',))
            await c.send(json.dumps({'type': 'ping'}))
            await self.next_of(c, ('pong',))
            return err
        err, code = self.ws_session(script)
        self.assertIsNone(code, 'closed with %s' % code)
        self.assertIn('unknown message type', err['message'])
        self.assertDaemonAlive()

    def test_02_ws_message_too_big(self):
        async def script(c):
            await c.send(json.dumps({'type': 'x' * 2000}))
            await self.next_of(c, ('never',))
        _, code = self.ws_session(script)
        self.assertEqual(code, 1009)
        self.assertDaemonAlive()

    def test_03_ws_message_rate(self):
        async def polite(c):   # the burst allowance (2 s worth) is not a violation
            for _ in range(8):
                await c.send('{"type":"ping"}')
            for _ in range(8):
                await self.next_of(c, ('pong',))
            return True

        async def flood(c):
            for _ in range(200):
                await c.send('{"type":"ping"}')
            await self.next_of(c, ('never',))
        self.assertEqual(self.ws_session(polite), (True, None))
        _, code = self.ws_session(flood)
        self.assertEqual(code, 1008)
        self.assertGreaterEqual(self.metric('commcell_refused_total{reason="ws_too_many_messages"}'),
                                1)
        self.assertDaemonAlive()

    def test_04_body_where_none_belongs(self):
        """A GET or DELETE with a body was dispatched twice: a use after free."""
        for method, path in (('GET', '/api/feeds'), ('DELETE', '/api/session'),
                             ('GET', '/api/history?metric=x')):
            status, _ = self.raw(('%s %s HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n'
                                  '0123456789' % (method, path)).encode())
            self.assertEqual(status, 400, '%s %s with a body' % (method, path))
        # a body bigger than max_body_bytes on a GET: refused before any handler, in words
        status, got = self.raw(b'GET /api/feeds HTTP/1.1\r\nHost: x\r\nContent-Length: 70000'
                               b'\r\n\r\n' + b'x' * 70000)
        self.assertIn(status, (400, 413))
        self.assertIn(b'body', got)
        self.assertDaemonAlive()

    def test_05_body_too_large(self):
        body = json.dumps({'user': 'x', 'password': 'y' * 5000}).encode()
        status, _ = self.raw(b'POST /api/session HTTP/1.1\r\nHost: x\r\nContent-Type: '
                             b'application/json\r\nContent-Length: %d\r\n\r\n' % len(body) + body)
        self.assertEqual(status, 413)
        # chunked: the size is known only as it comes
        chunk = b'y' * 3000
        status, _ = self.raw(b'POST /api/session HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: '
                             b'chunked\r\n\r\n' + (b'%x\r\n' % len(chunk) + chunk + b'\r\n') * 2 +
                             b'0\r\n\r\n')
        self.assertIn(status, (413, None))
        self.assertDaemonAlive()

    def test_06_uri_and_head_limits(self):
        status, _ = self.raw(b'GET /api/feeds?x=' + b'a' * 1100 + b' HTTP/1.1\r\nHost: x\r\n\r\n')
        self.assertEqual(status, 414)
        status, _ = self.raw(b'GET /api/alerts/' + b'1' * 1100 + b' HTTP/1.1\r\nHost: x\r\n\r\n')
        self.assertEqual(status, 414)
        status, _ = self.raw(b'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ' + b'b' * 3000 +
                             b'\r\n\r\n')
        self.assertEqual(status, 200, 'a head within max_header_bytes')
        status, _ = self.raw(b'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ' + b'b' * 4200 +
                             b'\r\n\r\n')
        self.assertEqual(status, 431, 'one header over max_header_bytes')
        status, _ = self.raw(b'GET /api/feeds HTTP/1.1\r\nHost: x\r\n' +
                             b''.join(b'X-Pad-%d: %s\r\n' % (i, b'd' * 450) for i in range(10)) +
                             b'\r\n')
        self.assertEqual(status, 431, 'many headers over max_header_bytes')
        # far past it lws's buffer ends the connection at once: 431 or a close, nothing more
        t0 = time.monotonic()
        status, got = self.raw(b'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: ' + b'b' * 102400 +
                               b'\r\n\r\n')
        self.assertIn(status, (431, None), got[:200])
        self.assertLess(time.monotonic() - t0, 2)
        self.assertGreaterEqual(self.metric('commcell_refused_total{reason="header_too_large"}'), 2)
        self.assertDaemonAlive()

    def test_07_upgrade_must_select_commcell_v1(self):
        key = b'dGhlIHNhbXBsZSBub25jZQ=='
        base = (b'GET %s HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n'
                b'Sec-WebSocket-Key: ' + key + b'\r\nSec-WebSocket-Version: 13\r\n')
        status, _ = self.raw(base % b'/ws' + b'\r\n')
        self.assertNotEqual(status, 101, 'an upgrade without a subprotocol')
        status, _ = self.raw(base % b'/ws' + b'Sec-WebSocket-Protocol: other\r\n\r\n')
        self.assertNotEqual(status, 101, 'an upgrade to another subprotocol')
        status, _ = self.raw(base % b'/api/feeds' + b'Sec-WebSocket-Protocol: commcell.v1\r\n\r\n',
                             timeout=2)
        self.assertNotEqual(status, 101, 'an upgrade on another path')
        status, _ = self.raw(base % b'/ws' + b'Sec-WebSocket-Protocol: commcell.v1\r\n\r\n',
                             timeout=2)
        self.assertEqual(status, 101, 'the real thing')
        self.assertDaemonAlive()

    def test_08_dns_rebinding_origin(self):
        port = self.env.daemon.port
        evil = 'evil.example:%d' % port
        body = b'{"user":"nobody","password":"wrong"}'
        status, got = self.raw(b'POST /api/session HTTP/1.1\r\nHost: %s\r\nOrigin: http://%s\r\n'
                               b'Content-Type: application/json\r\nContent-Length: %d\r\n\r\n'
                               % (evil.encode(), evil.encode(), len(body)) + body)
        self.assertEqual(status, 403, got[-300:])
        self.assertIn(b'cross-origin', got)
        status, _ = self.raw(b'GET /ws HTTP/1.1\r\nHost: %s\r\nOrigin: http://%s\r\n'
                             b'Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: '
                             b'dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n'
                             b'Sec-WebSocket-Protocol: commcell.v1\r\n\r\n'
                             % (evil.encode(), evil.encode()), timeout=2)
        self.assertNotEqual(status, 101)
        # the server's own origin still works
        _, code = self.ws_session(lambda c: c.send('{"type":"ping"}'),
                                  origin='http://127.0.0.1:%d' % port)
        self.assertIsNone(code)

    def test_09_connections_per_address(self):
        held = []
        try:
            for _ in range(30):
                held.append(self.connect('127.0.0.2'))
            time.sleep(0.3)
            status, got = self.raw(b'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', '127.0.0.2')
            self.assertIn(status, (503, None), got[:200])
            # other addresses and trusted proxies are not affected
            status, _ = self.raw(b'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', '127.0.0.3')
            self.assertEqual(status, 200)
            status, _ = self.raw(b'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', '127.0.0.1')
            self.assertEqual(status, 200)
        finally:
            for s in held:
                s.close()
        time.sleep(0.5)
        status, _ = self.raw(b'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n', '127.0.0.2')
        self.assertEqual(status, 200, 'the limit releases when the connections end')
        self.assertGreaterEqual(
            self.metric('commcell_refused_total{reason="max_connections_per_address"}'), 1)

    def test_10_slow_head_is_cut(self):
        s = self.connect('127.0.0.4')
        s.sendall(b'GET /healthz HTTP/1.1\r\nHost: x\r\n')
        t0 = time.monotonic()
        cut = answer = None
        try:
            for _ in range(20):
                s.sendall(b'X')
                t1 = time.monotonic()
                status, _ = self.raw(b'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n')
                self.assertEqual(status, 200)
                self.assertLess(time.monotonic() - t1, 1.0, 'a normal client waited')
                s.settimeout(max(0.01, 1 - (time.monotonic() - t1)))
                try:
                    answer = s.recv(1000)
                    cut = time.monotonic() - t0
                    break
                except socket.timeout:
                    pass
        except (BrokenPipeError, ConnectionResetError):
            cut = time.monotonic() - t0
        finally:
            s.close()
        out('a head trickled at a byte a second was cut after %s s (handshake_timeout_s = 3) '
            'with %r' % ('%.1f' % cut if cut is not None else 'never', (answer or b'')[:30]))
        self.assertIsNotNone(cut, 'the slow head was never cut')
        self.assertLess(cut, 6)
        self.assertTrue(answer is None or answer == b'' or answer.startswith(b'HTTP/1.1 408'))

    def test_11_security_headers(self):
        for path in ('/', '/manager', '/wall.js', '/api/feeds', '/healthz', '/nope'):
            status, h, _ = self.request(path)
            csp = h.get('content-security-policy', '')
            self.assertIn("script-src 'self'", csp, path)
            self.assertIn("frame-ancestors 'none'", csp, path)
            self.assertNotIn('unsafe-inline', csp, path)
            self.assertEqual(h.get('x-content-type-options'), 'nosniff', path)
            self.assertEqual(h.get('referrer-policy'), 'no-referrer', path)
        _, h, _ = self.request('/api/feeds')
        self.assertEqual(h.get('cache-control'), 'no-store')
        for page in ('/', '/manager'):
            _, _, body = self.request(page)
            text = body.decode()
            self.assertNotRegex(text, r'<script(?![^>]*\bsrc=)', '%s: inline script' % page)
            self.assertNotIn(' style=', text, '%s: inline style' % page)
            self.assertNotIn('<style', text, '%s: inline style' % page)

    def test_12_metrics_and_readyz_access(self):
        outside = {'X-Forwarded-For': '192.0.2.7'}   # through the trusted proxy at 127.0.0.1
        self.assertEqual(self.request('/metrics')[0], 200, 'loopback')
        self.assertEqual(self.request('/metrics', outside)[0], 403)
        self.assertEqual(self.request('/metrics', dict(outside, Authorization='Bearer nope'))[0],
                         403)
        self.assertEqual(self.request('/metrics',
                                      dict(outside, Authorization='Bearer ' + TOKEN))[0], 200)
        status, _, body = self.request('/readyz', outside)
        self.assertEqual((status, body), (200, b'ready\n'))

    def test_13_only_listed_files(self):
        for path in ('/node_modules/uplot/package.json', '/.git/config', '/package.json',
                     '/package-lock.json', '/leak.js', '/vendor/uplot/uPlot.d.ts',
                     '/vendor/uplot/../../package.json', '/%2e%2e/%2e%2e/etc/passwd',
                     '/manager/../package.json', '/wall.js/'):
            status, _, body = self.request(path)
            self.assertEqual(status, 404, path)
            self.assertNotIn(b'root:', body)
        for path, mime in (('/', 'text/html'), ('/manager', 'text/html'),
                           ('/wall.js', 'text/javascript'), ('/wall.css', 'text/css'),
                           ('/vendor/uplot/uPlot.esm.js', 'text/javascript'),
                           ('/vendor/uplot/uPlot.min.css', 'text/css')):
            status, h, _ = self.request(path)
            self.assertEqual(status, 200, path)
            self.assertTrue(h.get('content-type', '').startswith(mime), (path, h))

    def test_14_keep_alive_heads_are_each_within_the_limit(self):
        # Browsers reuse one connection for a page's files: heads that are each well within
        # max_header_bytes must keep passing however many have gone over the connection before.
        s = self.connect()
        agent = b'Mozilla/5.0 ' + b'x' * 500
        try:
            for i in range(30):
                s.sendall(b'GET /wall.css HTTP/1.1\r\nHost: x\r\nUser-Agent: ' + agent +
                          b'\r\n\r\n')
                got = b''
                while b'\r\n\r\n' not in got:
                    chunk = s.recv(65536)
                    self.assertTrue(chunk, 'connection closed after %d requests' % i)
                    got += chunk
                head, _, body = got.partition(b'\r\n\r\n')
                self.assertTrue(head.startswith(b'HTTP/1.1 200 '), (i, head[:80]))
                n = [int(l.split(b':')[1]) for l in head.lower().split(b'\r\n')
                     if l.startswith(b'content-length:')][0]
                while len(body) < n:
                    chunk = s.recv(65536)
                    self.assertTrue(chunk)
                    body += chunk
        finally:
            s.close()
