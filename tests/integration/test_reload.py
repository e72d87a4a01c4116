"""SIGHUP reloads the bootstrap file: live settings (log_level, a limit) take effect while a
display stays connected and keeps receiving; a broken file keeps the running settings and says
why with file:line; a restart-only key (listen_port) is reported and kept; a new certificate
reaches new TLS connections while an open wss connection stays up on the old one, and a
mismatched one is refused with the running certificate kept."""

import os
import re
import shutil
import signal
import socket
import time

from itbase import EnvCase, ce
from test_tls import WssClient, client_context, https_request, make_cert, start_tls_daemon


def uri_status(daemon, length):
    """The status of GET /healthz?pad=... with a request URI of length bytes."""
    path = '/healthz?pad='
    path += 'x' * (length - len(path))
    with socket.create_connection((daemon.host, daemon.port), timeout=10) as s:
        s.sendall(('GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n'
                   % path).encode())
        head = s.recv(64).decode('latin-1')
    m = re.match(r'HTTP/1\.1 (\d+)', head)
    return int(m.group(1)) if m else None


def sighup(daemon):
    os.kill(daemon.pid, signal.SIGHUP)


def wait_log(daemon, pattern, timeout=10, after=0):
    """The first log line from offset after on that matches pattern (a regex)."""
    found = []

    def seen():
        for line in daemon.log_text()[after:].splitlines():
            if re.search(pattern, line):
                found.append(line)
                return True
        return False
    ce.wait_until(seen, timeout, 0.05, 'a log line matching %r' % pattern)
    return found[0]


def write(env, **extra):
    """The daemon's bootstrap file: the harness's keys, log_level info and max_uri_bytes 2048
    unless extra says otherwise."""
    values = {'listen_port': env.http_port, 'listen_address': '127.0.0.1',
              'hub': env.hub_conninfo(), 'web_root': os.path.join(ce.REPO, 'web'),
              'log_level': 'info', 'allow_anonymous_display': 'true', 'max_uri_bytes': 2048}
    values.update(extra)
    env.daemon.port = env.http_port
    ce.write_config_file(env.daemon.config, values)


class ReloadTest(EnvCase):
    env_options = {'poll_ms': 500}
    start_daemon = False

    @classmethod
    def configure(cls):
        write(cls.env)
        cls.env.start_daemon()

    def write(self, **extra):
        write(self.env, **extra)

    def refused_origin_logged(self, marker):
        """POST with a foreign Origin: commcelld answers 403 and logs a WARN naming it."""
        status, _, _ = ce.http_request(self.env.url + '/api/session', 'POST', b'{}',
                                       {'Origin': 'http://%s.example' % marker,
                                        'Content-Type': 'application/json'})
        self.assertEqual(status, 403)
        time.sleep(0.3)   # the line is written before the answer; this only lets the file settle
        return ('%s.example' % marker) in self.env.daemon.log_text()

    def test_01_live_settings_while_a_display_stays(self):
        env, d = self.env, self.env.daemon
        self.assertEqual(uri_status(d, 1500), 200)
        self.assertTrue(self.refused_origin_logged('before-reload'))

        async def go():
            async with env.client() as c:
                await c.snapshot()
                self.write(log_level='error', max_uri_bytes=1024)
                sighup(d)
                ce.wait_until(lambda: uri_status(d, 1500) == 414, 10, 0.1,
                              'the new max_uri_bytes')
                env.insert('acute', 'beds.ga_occupancy', 90.5)
                await c.wait_value('acute', 'beds.ga_occupancy', 90.5, timeout=15)
                env.insert('acute', 'beds.ga_occupancy', 90.25)
                await c.wait_value('acute', 'beds.ga_occupancy', 90.25, timeout=15)
                return c.closed_exc
        self.assertIsNone(self.run_async(go(), 60), 'the display was disconnected')
        self.assertEqual(uri_status(d, 900), 200)
        # log_level = error: the WARN of a refused origin is no longer written
        self.assertFalse(self.refused_origin_logged('after-reload'))
        self.write()
        sighup(d)
        ce.wait_until(lambda: uri_status(d, 1500) == 200, 10, 0.1, 'max_uri_bytes back')
        self.assertTrue(self.refused_origin_logged('back-at-info'))

    def test_02_broken_file_keeps_running_settings(self):
        d = self.env.daemon
        self.write(max_uri_bytes=1024)
        sighup(d)
        ce.wait_until(lambda: uri_status(d, 1500) == 414, 10, 0.1, 'max_uri_bytes 1024')
        offset = len(d.log_text())
        with open(d.config, 'a') as f:
            f.write('max_body_bytes = 4096\nthis line has no equals sign\n')
        sighup(d)
        line = wait_log(d, r'ERROR .*reload', after=offset)
        lines = sum(1 for _ in open(d.config))
        self.assertIn('%s:%d: expected' % (d.config, lines), line)
        self.assertIn('keeping the running configuration', line)
        self.assertTrue(d.alive())
        self.assertEqual(uri_status(d, 1500), 414, 'the running max_uri_bytes was kept')
        self.assertEqual(uri_status(d, 900), 200)
        # a value out of range is refused the same way
        self.write(max_uri_bytes=10)
        offset = len(d.log_text())
        sighup(d)
        line = wait_log(d, r'ERROR .*reload', after=offset)
        self.assertIn('max_uri_bytes must be a whole number', line)
        self.assertEqual(uri_status(d, 1500), 414)
        self.write()
        sighup(d)
        ce.wait_until(lambda: uri_status(d, 1500) == 200, 10, 0.1, 'max_uri_bytes back')

    def test_03_listen_port_is_restart_only(self):
        d = self.env.daemon
        offset = len(d.log_text())
        other = ce.free_port(avoid={d.port})
        self.write(listen_port=other, max_uri_bytes=1024)
        sighup(d)
        line = wait_log(d, r'listen_port changed', after=offset)
        self.assertIn('WARN', line)
        self.assertIn('listen_port changed: takes effect at restart', line)
        # the rest of the file applies; the daemon stays on its port
        ce.wait_until(lambda: uri_status(d, 1500) == 414, 10, 0.1, 'max_uri_bytes 1024')
        self.assertEqual(self.env.get('/healthz')[0], 200)
        with self.assertRaises(OSError):
            socket.create_connection(('127.0.0.1', other), timeout=2).close()
        self.write()
        sighup(d)
        ce.wait_until(lambda: uri_status(d, 1500) == 200, 10, 0.1, 'max_uri_bytes back')

    def test_04_trusted_proxies_and_hsts_behind_a_proxy(self):
        d = self.env.daemon

        def hsts(proto):
            _, hdrs, _ = ce.http_request(self.env.url + '/healthz',
                                         headers={'X-Forwarded-Proto': proto,
                                                  'X-Forwarded-For': '198.51.100.7'})
            return hdrs.get('strict-transport-security')
        # anyone may claim https: not believed from an address that is not a trusted proxy
        self.assertIsNone(hsts('https'))
        self.write(trusted_proxies='127.0.0.1/32')
        sighup(d)
        ce.wait_until(lambda: hsts('https') == 'max-age=31536000', 10, 0.1,
                      'HSTS once 127.0.0.1 is a trusted proxy saying https')
        self.assertIsNone(hsts('http'))
        self.write()
        sighup(d)
        ce.wait_until(lambda: hsts('https') is None, 10, 0.1, 'trusted_proxies emptied again')

    def test_05_anonymous_display_switched_off_closes_anonymous_boards(self):
        env, d = self.env, self.env.daemon

        async def go():
            async with env.client() as c:
                await c.snapshot()
                self.write(allow_anonymous_display='false')
                sighup(d)
                # the heartbeat (every 10 s) at the latest carries the check
                while True:
                    try:
                        await c.recv_raw(20)
                    except ce.ConnectionClosedError:
                        return c.ws.close_code, c.ws.close_reason
        code, reason = self.run_async(go(), 60)
        self.assertEqual((code, reason), (1008, 'signed out'))
        status, _, _ = env.get('/api/feeds')
        self.assertEqual(status, 401)
        self.write()
        sighup(d)
        ce.wait_until(lambda: env.get('/api/feeds')[0] == 200, 10, 0.1, 'anonymous boards again')


class CertReloadTest(EnvCase):
    env_options = {'poll_ms': 500}
    start_daemon = False

    @classmethod
    def configure(cls):
        base = cls.env.base
        cls.first = make_cert(base, 'first', 1001)
        cls.second = make_cert(base, 'second', 2002)
        cls.stray = make_cert(base, 'stray', 3003)
        cls.cert = os.path.join(base, 'live.crt')
        cls.key = os.path.join(base, 'live.key')
        shutil.copy(cls.first[0], cls.cert)
        shutil.copy(cls.first[1], cls.key)
        cls.ctx = client_context(cls.first[0], cls.second[0], cls.stray[0])
        start_tls_daemon(cls.env, cls.cert, cls.key)

    def serial(self):
        return int(https_request(self.env.daemon.port, '/healthz', self.ctx)[3], 16)

    def test_01_new_certificate_old_connection_stays(self):
        env, d = self.env, self.env.daemon
        self.assertEqual(self.serial(), 1001)

        async def go():
            async with WssClient(d.port, self.ctx) as c:
                await c.snapshot()
                self.assertEqual(int(c.serial(), 16), 1001)
                shutil.copy(self.second[0], self.cert)
                shutil.copy(self.second[1], self.key)
                offset = len(d.log_text())
                sighup(d)
                line = wait_log(d, r'TLS certificate loaded', after=offset)
                self.assertIn('serial 07D2', line)   # 2002
                self.assertEqual(self.serial(), 2002)
                # the display opened before the reload still receives, on the old certificate
                env.insert('acute', 'beds.ga_occupancy', 89.5)
                await c.wait_value('acute', 'beds.ga_occupancy', 89.5, timeout=15)
                self.assertEqual(int(c.serial(), 16), 1001)
                return c.closed_exc
        self.assertIsNone(self.run_async(go(), 60))

    def test_02_mismatched_certificate_is_refused(self):
        d = self.env.daemon
        shutil.copy(self.second[0], self.cert)
        shutil.copy(self.second[1], self.key)
        sighup(d)
        ce.wait_until(lambda: self.serial() == 2002, 10, 0.1, 'the second certificate')
        # a new certificate with the old key: the pair does not fit
        shutil.copy(self.stray[0], self.cert)
        offset = len(d.log_text())
        sighup(d)
        line = wait_log(d, r'ERROR .*reload', after=offset)
        self.assertIn('does not match the certificate', line)
        self.assertRegex(line, r'commcelld\.conf:\d+: ')
        self.assertEqual(self.serial(), 2002, 'the running certificate was kept')
        self.assertTrue(d.alive())
        shutil.copy(self.second[0], self.cert)
