"""meson install: a fresh build with --prefix=/usr installed into a DESTDIR puts the binary, web/
with its chart library, sql/, the systemd unit, the sysusers.d file, the man pages and an
example config where they belong; the unit passes systemd-analyze verify; the man pages render
without warnings and document every command-line option and every bootstrap key."""

import sys
sys.dont_write_bytecode = True

import glob
import os
import re
import shutil
import subprocess
import tempfile
import unittest

from itbase import out

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), '..', '..'))
UNIT = 'lib/systemd/system/commcelld.service'


def run(argv, **kw):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          timeout=kw.pop('timeout', 600), **kw)


class InstallTest(unittest.TestCase):
    tmp = None

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix='commcell-install-')
        cls.root = os.path.join(cls.tmp, 'root')
        build = os.path.join(cls.tmp, 'build')
        for argv in (['meson', 'setup', build, REPO, '--prefix=/usr', '-Dtests=disabled'],
                     ['meson', 'compile', '-C', build],
                     ['meson', 'install', '-C', build, '--destdir', cls.root]):
            r = run(argv)
            if r.returncode:
                raise AssertionError('%s failed:\n%s%s' % (' '.join(argv), r.stdout[-3000:],
                                                           r.stderr[-3000:]))

    @classmethod
    def tearDownClass(cls):
        if cls.tmp and os.environ.get('COMMCELL_TEST_KEEP') != '1':
            shutil.rmtree(cls.tmp, ignore_errors=True)

    def path(self, rel):
        return os.path.join(self.root, rel.lstrip('/'))

    def read(self, rel):
        with open(self.path(rel)) as f:
            return f.read()

    def test_01_files_in_place(self):
        expected = ['usr/bin/commcelld', UNIT, 'usr/lib/sysusers.d/commcell.conf',
                    'usr/share/man/man8/commcelld.8', 'usr/share/man/man5/commcelld.conf.5',
                    'usr/share/doc/commcell/commcelld.conf.example',
                    # what webroot.c serves under /vendor/uplot/
                    'usr/share/commcell/web/node_modules/uplot/dist/uPlot.esm.js',
                    'usr/share/commcell/web/node_modules/uplot/dist/uPlot.min.css',
                    'usr/share/commcell/web/node_modules/uplot/dist/uPlot.iife.min.js',
                    'usr/share/commcell/web/node_modules/uplot/LICENSE']
        for pattern in ('web/*.html', 'web/*.js', 'web/*.css', 'sql/*/*.sql'):
            for f in glob.glob(os.path.join(REPO, pattern)):
                expected.append('usr/share/commcell/' + os.path.relpath(f, REPO))
        missing = [p for p in expected if not os.path.isfile(self.path(p))]
        self.assertEqual(missing, [], 'not installed')
        for sub in ('hub', 'partner', 'partner-ops', 'demo'):
            self.assertTrue(glob.glob(self.path('usr/share/commcell/sql/%s/*.sql' % sub)), sub)
        self.assertFalse(os.path.exists(self.path('usr/share/commcell/web/package.json')),
                         'npm files are not part of the web root')
        r = run([self.path('usr/bin/commcelld'), '--version'])
        self.assertEqual(r.returncode, 0, r.stderr)
        out('%d files installed' % sum(len(f) for _, _, f in os.walk(self.root)))

    def test_02_unit_says_what_it_must(self):
        unit = self.read(UNIT)
        for line in ('Type=notify',
                     'ExecStartPre=/usr/bin/commcelld --migrate --config '
                     '/etc/commcell/commcelld.conf',
                     'ExecStart=/usr/bin/commcelld --config /etc/commcell/commcelld.conf',
                     'ExecReload=/bin/kill -HUP $MAINPID', 'WatchdogSec=30',
                     'Restart=on-failure', 'User=commcell', 'ProtectSystem=strict',
                     'ProtectHome=yes', 'NoNewPrivileges=yes', 'PrivateTmp=yes',
                     'PrivateDevices=yes', 'CapabilityBoundingSet=',
                     'RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6 AF_NETLINK',
                     'LockPersonality=yes', 'MemoryDenyWriteExecute=yes',
                     'SystemCallFilter=@system-service', 'RestrictNamespaces=yes'):
            self.assertIn('\n' + line + '\n', unit)
        nofile = int(re.search(r'^LimitNOFILE=(\d+)$', unit, re.M).group(1))
        self.assertGreater(nofile, 20000, 'room for max_connections (20000) and the databases')
        r = run(['systemd-sysusers', '--dry-run', '--root=' + self.root]) \
            if shutil.which('systemd-sysusers') else None
        if r is not None:
            self.assertEqual(r.returncode, 0, r.stderr)
            self.assertIn("Creating user 'commcell'", r.stdout + r.stderr)

    @unittest.skipUnless(shutil.which('systemd-analyze'), 'systemd-analyze is not installed')
    def test_03_systemd_analyze_verify(self):
        # verify wants the Exec binaries to exist, and --root would also look there for
        # sysinit.target and /bin/kill: check a copy whose paths point into DESTDIR instead,
        # with man finding the installed pages for Documentation=.
        unit = self.read(UNIT).replace('/usr/bin/commcelld', self.path('usr/bin/commcelld'))
        unit = unit.replace('/usr/share/commcell', self.path('usr/share/commcell'))
        vdir = os.path.join(self.tmp, 'verify')
        os.makedirs(vdir, exist_ok=True)
        copy = os.path.join(vdir, 'commcelld.service')
        with open(copy, 'w') as f:
            f.write(unit)
        env = dict(os.environ, MANPATH=self.path('usr/share/man'))
        r = run(['systemd-analyze', 'verify', copy], env=env, cwd=vdir)
        self.assertEqual((r.returncode, r.stdout + r.stderr), (0, ''),
                         'systemd-analyze verify (unknown keys and bad values only warn)')
        r = run(['systemd-analyze', 'security', '--offline=yes', copy], env=env, cwd=vdir)
        m = re.search(r'Overall exposure level for commcelld.service: ([0-9.]+)', r.stdout)
        self.assertIsNotNone(m, r.stdout[-2000:] + r.stderr)
        out('systemd-analyze security: exposure %s (0 best, 10 worst)' % m.group(1))
        self.assertLessEqual(float(m.group(1)), 2.0, 'hardening is what it was')

    def test_04_man_pages_render_and_cover_everything(self):
        pages = {}
        for rel in ('usr/share/man/man8/commcelld.8', 'usr/share/man/man5/commcelld.conf.5'):
            r = run(['man', '--warnings', '-l', self.path(rel)],
                    env=dict(os.environ, MANWIDTH='100', LC_ALL='C.UTF-8', MAN_KEEP_STDERR='1'))
            self.assertEqual((r.returncode, r.stderr), (0, ''), rel)
            self.assertIn('NAME', r.stdout)
            with open(self.path(rel)) as f:
                pages[rel] = f.read().replace('\\-', '-')
        with open(os.path.join(REPO, 'daemon', 'main.c')) as f:
            options = re.findall(r'\{ "([a-z-]+)", (?:no|required)_argument', f.read())
        self.assertIn('migrate', options)
        page8 = pages['usr/share/man/man8/commcelld.8']
        for o in options:
            self.assertRegex(page8, r'\n\.[BI]+ --%s\b' % re.escape(o),
                             'commcelld(8) lacks --%s' % o)
        with open(os.path.join(REPO, 'daemon', 'config.c')) as f:
            names = re.search(r'key_names\[K_COUNT\] = \{(.*?)\};', f.read(), re.S).group(1)
        keys = re.findall(r'"([a-z_0-9]+)"', names)
        self.assertIn('tls_cert_file', keys)
        page5 = pages['usr/share/man/man5/commcelld.conf.5']
        for k in keys:
            self.assertRegex(page5, r'\n\.TP\n\.B %s\n' % k, 'commcelld.conf(5) lacks %s' % k)

    def test_05_example_config_is_valid(self):
        text = self.read('usr/share/doc/commcell/commcelld.conf.example')
        self.assertIn('web_root = /usr/share/commcell/web\n', text)
        conf = os.path.join(self.tmp, 'example.conf')
        with open(conf, 'w') as f:
            f.write(text.replace('/usr/share/commcell/web', self.path('usr/share/commcell/web')))
        r = run([self.path('usr/bin/commcelld'), '--check-config', conf])
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)


if __name__ == '__main__':
    unittest.main()
