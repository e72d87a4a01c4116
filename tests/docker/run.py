#!/usr/bin/python3
"""The container images and the compose stack (docker/), end to end.

Builds the images with docker/build (cached layers and the base image are reused), starts
docker/compose.yaml as its own compose project with fresh volumes, and checks through HAProxy on
https/wss only: readiness, the admin's sign-in, a wall display token, a partner's insert reaching
a display, the leader's container killed (another instance leads within 5 s, displays reconnect and
get a fresh snapshot), down then up keeping users, thresholds and history, and the hardening of
the commcelld image (non-root, read-only root filesystem, no build CA). Containers and volumes of
the test project are removed at the end; the images stay for the next run.

Usage: tests/docker/run.py [-k PATTERN] [-v]
Prints "RESULT docker passed=N failed=M" last (scripts/test counts it).
Environment: COMMCELL_DOCKER_PROJECT (compose project, default commcelltest),
COMMCELL_HTTPS_PORT (default 8443, or a free port when 8443 is taken), COMMCELL_DOCKER_NET_PREFIX
(its network's /24, default 172.30.69: beside a stack of docker/compose.yaml's default one),
DOCKER (client).
"""

import asyncio
import base64
import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tarfile
import tempfile
import time
import unittest
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, os.path.join(REPO, 'tests', 'harness'))
import commcell_env as ce  # noqa: E402

DOCKER = os.environ.get('DOCKER', 'docker')
PROJECT = os.environ.get('COMMCELL_DOCKER_PROJECT', 'commcelltest')
COMPOSE_FILE = os.path.join(REPO, 'docker', 'compose.yaml')
ADMIN_PASSWORD = 'docker test admin ' + base64.urlsafe_b64encode(os.urandom(9)).decode()
FINAL_IMAGES = ('commcell/commcelld', 'commcell/hub', 'commcell/partners', 'commcell/haproxy')
FIGURES = []


def out(msg):
    FIGURES.append(msg)
    print('[docker] ' + msg, flush=True)


def run(argv, check=True, timeout=600, input=None, env=None):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                       timeout=timeout, input=input, env=env)
    if check and p.returncode != 0:
        raise AssertionError('%s failed (%d):\n%s' % (' '.join(argv), p.returncode, p.stdout[-3000:]))
    return p.stdout


def compose_cmd():
    if subprocess.run([DOCKER, 'compose', 'version'], stdout=subprocess.DEVNULL,
                      stderr=subprocess.DEVNULL).returncode == 0:
        return [DOCKER, 'compose']
    return ['docker-compose']


def pick_port():
    want = int(os.environ.get('COMMCELL_HTTPS_PORT', '8443'))
    with socket.socket() as s:
        try:
            s.bind(('127.0.0.1', want))
            return want
        except OSError:
            return ce.free_port()


def pem_blocks(text):
    return re.findall(r'-----BEGIN CERTIFICATE-----\s*(.*?)\s*-----END CERTIFICATE-----', text, re.S)


class Stack:
    """One compose project of docker/compose.yaml."""

    def __init__(self, port):
        self.port = port
        self.cmd = compose_cmd() + ['-p', PROJECT, '-f', COMPOSE_FILE]
        self.env = dict(os.environ, COMMCELL_HTTPS_PORT=str(port),
                        COMMCELL_ADMIN_PASSWORD=ADMIN_PASSWORD,
                        COMMCELL_NET_PREFIX=os.environ.get('COMMCELL_DOCKER_NET_PREFIX', '172.30.69'))
        self.env.pop('COMPOSE_PROJECT_NAME', None)

    def compose(self, *args, check=True, timeout=600):
        return run(self.cmd + list(args), check=check, timeout=timeout, env=self.env)

    def cid(self, service):
        c = self.compose('ps', '-q', service).strip().splitlines()
        if not c:
            raise AssertionError('no container for service %s' % service)
        return c[-1]

    def exec(self, service, *argv, user=None, check=True):
        return run([DOCKER, 'exec'] + (['-u', user] if user else []) + [self.cid(service)] + list(argv),
                   check=check, timeout=60)

    def hub(self, sql):
        return self.exec('hub', 'psql', '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-h', '/run/postgresql',
                         '-U', 'postgres', '-d', 'commcell', '-c', sql, user='postgres').strip()

    def partner(self, name, sql):
        return self.exec('partners', 'psql', '-X', '-q', '-At', '-v', 'ON_ERROR_STOP=1', '-h',
                         '/run/postgresql', '-U', 'postgres', '-d', 'partner_' + name, '-c', sql,
                         user='postgres').strip()

    def is_leader(self, service):
        text = self.exec(service, 'curl', '-fsS', '--max-time', '2', 'http://127.0.0.1:8080/metrics',
                         check=False)
        return re.search(r'^commcell_leader 1\b', text, re.M) is not None

    def logs(self):
        return self.compose('logs', '--no-color', '--tail', '60', check=False, timeout=60)


class TlsWsClient(ce.WsClient):
    """The harness's commcell.v1 client over wss, verifying the server against one certificate."""

    def __init__(self, url, ssl_context, **kw):
        super().__init__(url, **kw)
        self.ssl_context = ssl_context

    async def connect(self, timeout=10.0):
        import websockets
        self.ws = await asyncio.wait_for(
            websockets.connect(self.url, ssl=self.ssl_context, subprotocols=[ce.SUBPROTOCOL],
                               origin=self.origin, extra_headers=self.headers, open_timeout=timeout,
                               ping_interval=None, close_timeout=2, max_size=64 * 1024 * 1024,
                               max_queue=None),
            timeout + 1)
        self.reader = asyncio.ensure_future(self._read())
        return self


class DockerStackTest(unittest.TestCase):
    stack = None

    @classmethod
    def setUpClass(cls):
        t0 = time.monotonic()
        build = subprocess.run([os.path.join(REPO, 'docker', 'build')], stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, timeout=3600)
        sys.stdout.write(build.stdout)
        if build.returncode != 0:
            raise AssertionError('docker/build failed')
        out('docker/build: %.1f s' % (time.monotonic() - t0))
        cls.port = pick_port()
        cls.stack = Stack(cls.port)
        cls.stack.compose('down', '-v', '--remove-orphans', check=False)
        cls.origin = 'https://localhost:%d' % cls.port
        cls.base = cls.origin
        t0 = time.monotonic()
        cls.stack.compose('up', '-d')
        # the certificate is made at HAProxy's first start; trust only it from here on
        cls.tmp = tempfile.mkdtemp(prefix='commcell-docker-')
        cls.cert = os.path.join(cls.tmp, 'cert.pem')
        with open(cls.cert, 'w') as f:
            f.write(cls.stack.exec('haproxy', 'cat', '/etc/commcell-tls/cert.pem'))
        cls.ctx = ssl.create_default_context(cafile=cls.cert)
        cls.wait_ready(180)
        cls.start_to_ready = time.monotonic() - t0
        out('compose up (fresh volumes) to /readyz 200 through HAProxy: %.1f s' % cls.start_to_ready)

    @classmethod
    def tearDownClass(cls):
        if cls.stack is not None:
            if os.environ.get('COMMCELL_DOCKER_KEEP') == '1':
                print('[docker] COMMCELL_DOCKER_KEEP=1: the stack %s stays up' % PROJECT)
            else:
                cls.stack.compose('down', '-v', '--remove-orphans', check=False)
        if getattr(cls, 'tmp', None):
            shutil.rmtree(cls.tmp, ignore_errors=True)

    # ---- https ------------------------------------------------------------------------------
    @classmethod
    def request(cls, method, path, body=None, headers=None, timeout=10):
        h = {'Origin': cls.origin}
        h.update(headers or {})
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            h['Content-Type'] = 'application/json'
        req = urllib.request.Request(cls.base + path, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=timeout, context=cls.ctx) as r:
                return r.status, cls.headers_of(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, cls.headers_of(e.headers), e.read()

    @staticmethod
    def headers_of(msg):
        """Lower-case names; set-cookie as the list of every Set-Cookie."""
        h = {k.lower(): v for k, v in msg.items()}
        h['set-cookie'] = msg.get_all('Set-Cookie') or []
        return h

    @classmethod
    def wait_ready(cls, timeout):
        def ok():
            try:
                return cls.request('GET', '/readyz', timeout=3)[0] == 200
            except (OSError, ssl.SSLError):
                return False
        try:
            ce.wait_until(ok, timeout, interval=0.25, what='/readyz 200 through HAProxy')
        except AssertionError:
            sys.stdout.write(cls.stack.logs())
            raise

    def signin(self, body):
        """(every Set-Cookie of the answer, its JSON body)"""
        status, hdrs, raw = self.request('POST', '/api/session', body)
        self.assertEqual(status, 200, raw[:300])
        return hdrs['set-cookie'], json.loads(raw)

    @staticmethod
    def session_cookie(cookies):
        s = [c for c in cookies if c.startswith('commcell_session=')]
        if len(s) != 1:
            raise AssertionError('Set-Cookie: %r' % (cookies,))
        return s[0]

    def display_cookie(self):
        """The wall display's session cookie, once every instance knows the session: the test's
        connections carry no HAProxy instance cookie, so they may go to either."""
        token = self.stack.exec('hub', 'cat', '/var/lib/commcell-hub/secrets/wall-token').strip()
        cookies, who = self.signin({'token': token})
        self.assertEqual(who.get('kind'), 'device')
        cookie = self.session_cookie(cookies).split(';')[0]

        def known(svc):
            return self.stack.exec(svc, 'curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', '-H',
                                   'Cookie: ' + cookie, 'http://127.0.0.1:8080/api/session',
                                   check=False).strip() == '200'
        ce.wait_until(lambda: known('commcelld-a') and known('commcelld-b'), 10, interval=0.1,
                      what='the session known to both instances')
        return cookie

    def ws_client(self, cookie, name):
        return TlsWsClient('wss://localhost:%d/ws' % self.port, self.ctx, name=name,
                           origin=self.origin, headers={'Cookie': cookie})

    def run_async(self, coro):
        return asyncio.new_event_loop().run_until_complete(coro)

    # ---- tests --------------------------------------------------------------------------------
    def test_01_readyz_over_https_with_the_generated_certificate(self):
        status, hdrs, body = self.request('GET', '/readyz')
        self.assertEqual(status, 200, body)
        self.assertIn('max-age=', hdrs.get('strict-transport-security', ''))
        # anything else than the generated certificate is refused: verification is on
        strict = ssl.create_default_context()
        with self.assertRaises(urllib.error.URLError):
            urllib.request.urlopen(self.base + '/readyz', timeout=5, context=strict)
        # and plain http on the TLS port gets nowhere
        with self.assertRaises(Exception):
            urllib.request.urlopen('http://localhost:%d/readyz' % self.port, timeout=5).read()

    def test_02_admin_signs_in_over_https_with_a_secure_cookie(self):
        cookies, who = self.signin({'user': 'admin', 'password': ADMIN_PASSWORD})
        self.assertEqual(who.get('role'), 'admin')
        cookie = self.session_cookie(cookies)
        attrs = [a.strip() for a in cookie.split(';')]
        self.assertIn('Secure', attrs, cookie)
        self.assertIn('HttpOnly', attrs, cookie)
        # the next request at once, as the manager page makes it, with every cookie a browser
        # would send back (HAProxy's keeps it on the instance that knows the new session)
        jar = '; '.join(c.split(';')[0] for c in cookies)
        for c in cookies:
            self.assertIn('Secure', [a.strip() for a in c.split(';')], c)
        status, _, body = self.request('GET', '/api/session', headers={'Cookie': jar})
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body).get('user'), 'admin')
        # the password the hub wrote at its first start is the one given
        self.assertEqual(self.stack.exec('hub', 'cat', '/var/lib/commcell-hub/secrets/admin-password').strip(),
                         ADMIN_PASSWORD)

    def test_03_partner_insert_reaches_a_wss_display(self):
        cookie = self.display_cookie()
        value = 40 + (int(time.time()) % 50) + 0.5

        async def go():
            async with self.ws_client(cookie, 'display') as c:
                await c.snapshot()
                t0 = time.monotonic()
                self.stack.partner('community', "INSERT INTO commcell.observation (metric, value) "
                                   "VALUES ('community.virtual_ward_occupancy', %s)" % value)
                await c.wait_value('community', 'community.virtual_ward_occupancy', value, timeout=30)
                return time.monotonic() - t0
        dt = self.run_async(go())
        out('partner INSERT -> wss display through HAProxy: %.0f ms (incl. docker exec psql)' % (dt * 1000))

    def test_04_leader_killed_another_leads_and_displays_resynchronise(self):
        st = self.stack
        ce.wait_until(lambda: st.is_leader('commcelld-a') or st.is_leader('commcelld-b'), 30,
                      interval=0.5, what='a leader')
        leader = 'commcelld-a' if st.is_leader('commcelld-a') else 'commcelld-b'
        other = 'commcelld-b' if leader == 'commcelld-a' else 'commcelld-a'
        self.assertFalse(st.is_leader(other))
        cookie = self.display_cookie()
        key = ('community', 'community.virtual_ward_occupancy')
        before = 10.25 + (int(time.time()) % 20)
        after = before + 1

        async def go():
            clients = [self.ws_client(cookie, 'display%d' % i) for i in range(4)]
            for c in clients:
                await c.connect()
                await c.snapshot()
            st.partner('community', "INSERT INTO commcell.observation (metric, value) VALUES "
                       "('%s', %s)" % (key[1], before))
            for c in clients:
                await c.wait_value(*key, before, timeout=30)
            killed_at = time.time()
            t0 = time.monotonic()
            run([DOCKER, 'kill', st.cid(leader)])
            ce.wait_until(lambda: st.is_leader(other), 15, interval=0.1, what=other + ' to lead')
            seen = time.monotonic() - t0
            since = float(st.hub("SELECT extract(epoch FROM since) FROM commcell.leader"))
            # which displays were on the killed instance: their connection ends
            cut = []
            for c in clients:
                try:
                    await c.wait_for(lambda m: False, timeout=1.5, types=('delta', 'heartbeat'))
                except ce.ConnectionClosedError:
                    cut.append(c)
                except ce.HarnessError:
                    pass
            again = []
            for c in cut:
                n = self.ws_client(cookie, c.name + '-again')
                await n.connect()
                snap = await n.snapshot()
                self.assertTrue(snap.get('metrics'), 'an empty snapshot after the reconnect')
                self.assertAlmostEqual(n.entry(*key)['value'], before)
                again.append(n)
            st.partner('community', "INSERT INTO commcell.observation (metric, value) VALUES "
                       "('%s', %s)" % (key[1], after))
            live = [c for c in clients if c not in cut] + again
            for c in live:
                await c.wait_value(*key, after, timeout=30)
            for c in live:
                await c.close()
            return seen, since - killed_at, len(cut)
        seen, takeover, ncut = self.run_async(go())
        out('leader %s killed: %s leads after %.2f s (hub commcell.leader.since), seen by polling '
            'after %.2f s; %d of 4 displays were cut and resynchronised' % (leader, other, takeover, seen, ncut))
        self.assertLessEqual(takeover, 5.0)
        self.assertGreaterEqual(ncut, 1, 'no display was on the killed instance')
        # bring the killed instance back for what follows
        st.compose('up', '-d')
        ce.wait_until(lambda: 'healthy' in run([DOCKER, 'inspect', '-f', '{{.State.Health.Status}}',
                                                st.cid(leader)], check=False), 60, interval=0.5,
                      what=leader + ' healthy again')

    def test_05_down_then_up_keeps_users_thresholds_and_history(self):
        st = self.stack
        st.hub("INSERT INTO commcell.app_user (name, role, password_hash, created_by) "
               "SELECT 'persisted', 'manager', password_hash, 'tests/docker' FROM commcell.app_user "
               "WHERE name = 'admin'")
        st.hub("UPDATE commcell.metric SET amber = CASE WHEN higher_is_better THEN amber + 0.25 "
               "ELSE amber - 0.25 END WHERE partner = 'acute' AND key = 'ed.four_hour_performance'")
        amber = st.hub("SELECT amber FROM commcell.metric WHERE partner = 'acute' "
                       "AND key = 'ed.four_hour_performance'")
        history = int(st.hub('SELECT count(*) FROM commcell.history'))
        self.assertGreater(history, 0)
        marker = st.hub("SELECT max(observed_at)::text FROM commcell.history")
        st.compose('down')
        t0 = time.monotonic()
        st.compose('up', '-d')
        self.wait_ready(180)
        out('compose up (existing volumes) to /readyz 200 through HAProxy: %.1f s' % (time.monotonic() - t0))
        self.assertEqual(st.hub("SELECT role FROM commcell.app_user WHERE name = 'persisted'"), 'manager')
        self.assertEqual(st.hub("SELECT amber FROM commcell.metric WHERE partner = 'acute' "
                                "AND key = 'ed.four_hour_performance'"), amber)
        self.assertGreaterEqual(int(st.hub('SELECT count(*) FROM commcell.history')), history)
        self.assertEqual(st.hub("SELECT count(*) FROM commcell.history WHERE observed_at = '%s'" % marker), '1')
        # the admin's password still works after the restart
        self.signin({'user': 'admin', 'password': ADMIN_PASSWORD})

    def test_06_commcelld_runs_as_non_root_on_a_read_only_root(self):
        st = self.stack
        for svc in ('commcelld-a', 'commcelld-b'):
            cid = st.cid(svc)
            info = json.loads(run([DOCKER, 'inspect', cid]))[0]
            self.assertTrue(info['HostConfig']['ReadonlyRootfs'], svc)
            self.assertEqual(info['State']['Health']['Status'], 'healthy', svc)
            self.assertNotEqual(st.exec(svc, 'id', '-u').strip(), '0')
            r = subprocess.run([DOCKER, 'exec', cid, 'touch', '/usr/share/commcell/x'],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn('Read-only', r.stdout)
        cfg = json.loads(run([DOCKER, 'image', 'inspect', 'commcell/commcelld']))[0]['Config']
        self.assertNotIn(cfg.get('User') or 'root', ('', 'root', '0'))
        self.assertIn('/readyz', ' '.join(cfg['Healthcheck']['Test']))

    def test_07_no_final_image_holds_the_build_ca(self):
        ca = os.environ.get('NODE_EXTRA_CA_CERTS') or '/etc/ssl/certs/ca-certificates.crt'
        build_ca = set()
        if os.path.isfile(ca):
            with open(ca, encoding='ascii', errors='replace') as f:
                build_ca = set(b.replace('\n', '') for b in pem_blocks(f.read()))
        for image in FINAL_IMAGES:
            names, blobs, stock = self.image_files(image)
            self.assertFalse([n for n in names if 'build-ca' in n], image)
            # the certificates only the build machine has (its proxy's), not Debian's own
            extra = build_ca - stock
            found = [b[:40] for b in extra if any(b[:200].encode() in blob for blob in blobs)]
            self.assertFalse(found, '%s holds certificates of the build CA file' % image)
        out('final images checked for the build CA (%d certificates in it)' % len(build_ca))

    def image_files(self, image):
        """(file names, contents of its text-sized regular files, Debian's CA bundle's certs)."""
        cid = run([DOCKER, 'create', image]).strip().splitlines()[-1]
        try:
            p = subprocess.Popen([DOCKER, 'export', cid], stdout=subprocess.PIPE)
            names, blobs, stock = [], [], set()
            with tarfile.open(fileobj=p.stdout, mode='r|') as tar:
                for m in tar:
                    names.append(m.name)
                    if not m.isfile() or m.size > 4 << 20:
                        continue
                    data = tar.extractfile(m).read()
                    if m.name.endswith('etc/ssl/certs/ca-certificates.crt'):
                        stock = set(b.replace('\n', '') for b in pem_blocks(data.decode('ascii', 'replace')))
                    if b'-----BEGIN CERTIFICATE-----' in data:
                        blobs.append(data.replace(b'\n', b''))
            p.wait()
            return names, blobs, stock
        finally:
            run([DOCKER, 'rm', '-f', '-v', cid], check=False)


def main():
    import argparse
    ap = argparse.ArgumentParser()
    ap.add_argument('-k', action='append', default=[])
    ap.add_argument('-v', action='store_true')
    args = ap.parse_args()
    loader = unittest.TestLoader()
    if args.k:
        loader.testNamePatterns = ['*%s*' % k for k in args.k]
    suite = loader.loadTestsFromTestCase(DockerStackTest)
    t0 = time.monotonic()
    result = unittest.TextTestRunner(verbosity=2, stream=sys.stdout).run(suite)
    failed = len(result.failures) + len(result.errors)
    passed = result.testsRun - failed - len(result.skipped)
    if result.testsRun == 0 and (result.errors or result.failures):
        passed = 0
    print('\nfigures:')
    for f in FIGURES:
        print('  ' + f)
    print('docker suite: %.1f s' % (time.monotonic() - t0))
    print('RESULT docker passed=%d failed=%d' % (passed, failed))
    return 0 if failed == 0 and passed > 0 else 1


if __name__ == '__main__':
    sys.exit(main())
