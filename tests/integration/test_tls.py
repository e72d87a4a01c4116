"""commcelld's own TLS (tls_cert_file, tls_key_file): https and wss on the one port with a
certificate made here by the openssl command, HSTS on every answer, the session cookie marked
Secure, the board and a partner's change over wss, and plain http on that port answered only
with a redirect to https (no page, API or board in the clear). The bootstrap file's TLS checks
(--check-config)."""

import asyncio
import http.client
import json
import os
import socket
import ssl
import subprocess

from itbase import EnvCase, ce

PASSWORD = 'correct horse battery'
HSTS = 'max-age=31536000'


def make_cert(directory, name, serial, cn='localhost'):
    """A self-signed certificate for localhost and 127.0.0.1 with the given serial number.
    Returns (cert path, key path)."""
    cert = os.path.join(directory, name + '.crt')
    key = os.path.join(directory, name + '.key')
    subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key,
                    '-out', cert, '-days', '2', '-subj', '/CN=' + cn, '-set_serial', str(serial),
                    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
    return cert, key


def client_context(*certs):
    """An ssl context that trusts exactly these certificates (and checks the host name)."""
    ctx = ssl.create_default_context(ssl.Purpose.SERVER_AUTH)
    ctx.load_verify_locations(cadata=''.join(open(c).read() for c in certs))
    return ctx


def https_request(port, path, ctx, method='GET', body=None, headers=None, host='localhost'):
    """(status, headers with lower-case names, body bytes, the server certificate's serial)."""
    conn = http.client.HTTPSConnection(host, port, context=ctx, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        serial = conn.sock.getpeercert().get('serialNumber')
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read(), serial
    finally:
        conn.close()


def wait_https_ready(daemon, ctx, timeout=60):
    """The harness waits over plain http; with TLS /readyz is asked over https."""
    def ok():
        if not daemon.alive():
            raise ce.HarnessError('commcelld exited; log tail:\n%s' % daemon.log_tail())
        try:
            return https_request(daemon.port, '/readyz', ctx)[0] == 200
        except (OSError, ssl.SSLError, http.client.HTTPException):
            return False
    ce.wait_until(ok, timeout, 0.1, 'https /readyz 200')


class WssClient(ce.WsClient):
    """The harness's board client over wss, trusting ctx, with an https Origin."""

    def __init__(self, port, ctx, name='wss'):
        super().__init__('wss://localhost:%d/ws' % port, name,
                         origin='https://localhost:%d' % port)
        self.ctx = ctx

    async def connect(self, timeout=10.0):
        import websockets
        self.ws = await asyncio.wait_for(
            websockets.connect(self.url, subprotocols=[ce.SUBPROTOCOL], origin=self.origin,
                               extra_headers=self.headers, open_timeout=timeout,
                               ping_interval=None, close_timeout=2, ssl=self.ctx,
                               max_size=64 * 1024 * 1024, max_queue=None),
            timeout + 1)
        self.reader = asyncio.ensure_future(self._read())
        return self

    def serial(self):
        return self.ws.transport.get_extra_info('ssl_object').getpeercert().get('serialNumber')


def start_tls_daemon(env, cert, key, **extra):
    env.write_config(tls_cert_file=cert, tls_key_file=key, **extra)
    env.start_daemon(wait_ready=False)
    wait_https_ready(env.daemon, client_context(cert))


class TlsTest(EnvCase):
    env_options = {'poll_ms': 500}
    start_daemon = False

    @classmethod
    def configure(cls):
        from test_auth import hash_password
        cls.cert, cls.key = make_cert(cls.env.base, 'tls', 4242)
        cls.ctx = client_context(cls.cert)
        start_tls_daemon(cls.env, cls.cert, cls.key)
        cls.env.hub('INSERT INTO commcell.app_user (name, role, password_hash) '
                    'VALUES (%s, %s, %s)', ('mona', 'manager', hash_password(PASSWORD)))

    def get(self, path, **kw):
        return https_request(self.env.daemon.port, path, self.ctx, **kw)

    def test_01_https_readyz_with_hsts(self):
        status, hdrs, body, serial = self.get('/readyz')
        self.assertEqual((status, body), (200, b'ready\n'))
        self.assertEqual(hdrs.get('strict-transport-security'), HSTS)
        self.assertEqual(int(serial, 16), 4242)
        # a browser offers HTTP/2 first: it gets HTTP/1.1, the protocol every limit is made for
        ctx = client_context(self.cert)
        ctx.set_alpn_protocols(['h2', 'http/1.1'])
        with socket.create_connection(('127.0.0.1', self.env.daemon.port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname='localhost') as s:
                self.assertEqual(s.selected_alpn_protocol(), 'http/1.1')
        # every answer, not only the status pages: a page, an API refusal, a 404
        for path in ('/', '/api/feeds', '/no-such-page'):
            status, hdrs, _, _ = self.get(path)
            self.assertEqual(hdrs.get('strict-transport-security'), HSTS, '%s (%d)' % (path, status))

    def test_02_signin_cookie_is_secure(self):
        port = self.env.daemon.port
        status, hdrs, body, _ = self.get(
            '/api/session', method='POST',
            body=json.dumps({'user': 'mona', 'password': PASSWORD}),
            headers={'Content-Type': 'application/json', 'Origin': 'https://localhost:%d' % port})
        self.assertEqual(status, 200, body)
        attrs = [a.strip() for a in hdrs.get('set-cookie', '').split(';')]
        self.assertTrue(attrs[0].startswith('commcell_session='), attrs)
        self.assertIn('Secure', attrs)
        self.assertIn('HttpOnly', attrs)
        # the page's origin is https now: a plain-http origin for the same host is a stranger
        status, _, _, _ = self.get(
            '/api/session', method='POST',
            body=json.dumps({'user': 'mona', 'password': PASSWORD}),
            headers={'Content-Type': 'application/json', 'Origin': 'http://localhost:%d' % port})
        self.assertEqual(status, 403)

    def test_03_wss_snapshot_and_partner_change(self):
        env = self.env

        async def go():
            async with WssClient(env.daemon.port, self.ctx) as c:
                snap = await c.snapshot()
                env.insert('acute', 'beds.ga_occupancy', 91.5)
                await c.wait_value('acute', 'beds.ga_occupancy', 91.5, timeout=15)
                return snap
        snap = self.run_async(go(), 60)
        self.assertEqual(snap.get('type'), 'snapshot')
        self.assertEqual(sorted(p.get('name') for p in snap.get('partners') or []),
                         sorted(ce.PARTNERS))

    def test_04_plain_http_is_redirected_never_served(self):
        port = self.env.daemon.port
        # a browser given an http:// link: lws answers 301 to the https root, and nothing else
        for path in ('/readyz', '/api/feeds', '/manager'):
            with socket.create_connection(('127.0.0.1', port), timeout=10) as s:
                s.sendall(('GET %s HTTP/1.1\r\nHost: localhost:%d\r\n\r\n'
                           % (path, port)).encode())
                got = s.recv(4096)
            self.assertTrue(got.startswith(b'HTTP/1.1 301 '), got)
            self.assertIn(b'\r\nlocation: https://localhost:%d/\r\n' % port, got.lower())
            self.assertNotIn(b'ready', got)
            self.assertNotIn(b'[', got)   # no JSON: the API was not answered in the clear

        # a WebSocket in the clear gets no board
        import websockets

        async def plain_ws():
            try:
                async with websockets.connect('ws://127.0.0.1:%d/ws' % port,
                                              subprotocols=[ce.SUBPROTOCOL],
                                              origin='https://localhost:%d' % port,
                                              open_timeout=5, close_timeout=1) as c:
                    return await asyncio.wait_for(c.recv(), 5)
            except (websockets.exceptions.InvalidHandshake, OSError, EOFError,
                    websockets.exceptions.ConnectionClosed, asyncio.TimeoutError) as e:
                return 'refused: %r' % e
        got = self.run_async(plain_ws(), 30)
        self.assertTrue(got.startswith('refused'), got)
        # and the daemon still serves https afterwards
        self.assertEqual(self.get('/healthz')[0], 200)

    def test_05_check_config(self):
        other_cert, other_key = make_cert(self.env.base, 'other', 7)
        base = os.path.join(self.env.base, 'check.conf')

        def check(**keys):
            ce.write_config_file(base, dict({'hub': 'dbname=x', 'web_root': ce.REPO + '/web'},
                                            **keys))
            p = subprocess.run([ce.default_bin(), '--check-config', base], capture_output=True,
                               text=True, env=ce.sanitizer_env(), timeout=60)
            return p.returncode, p.stdout + p.stderr

        self.assertEqual(check(tls_cert_file=self.cert, tls_key_file=self.key)[0], 0)
        rc, text = check(tls_cert_file=self.cert, tls_key_file=other_key)
        self.assertEqual(rc, 1)
        self.assertIn('check.conf:5: tls_key_file', text)
        self.assertIn('does not match the certificate', text)
        rc, text = check(tls_cert_file=self.cert)
        self.assertEqual(rc, 1)
        self.assertIn('tls_key_file is not', text)
        rc, text = check(tls_cert_file=other_key, tls_key_file=self.key)
        self.assertEqual(rc, 1)
        self.assertIn('no usable PEM certificate', text)
        rc, text = check(tls_cert_file=self.cert + '.missing', tls_key_file=self.key)
        self.assertEqual(rc, 1)
        self.assertIn('not a readable file', text)
