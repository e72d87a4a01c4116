"""commcelld --check-config FILE: exit 0 for a good file; exit 1 with `FILE:LINE: message` on
stderr for a bad one. Needs only the binary (no database: --check-config must not connect)."""

import os
import re
import shutil
import tempfile
import unittest

from itbase import ce

GOOD = """# commcell bootstrap configuration
listen_port = 8080

listen_address = 127.0.0.1
hub = host=/nonexistent/run port=5432 dbname=commcell user=commcell
web_root = {web}
# a comment between keys
log_level = debug
"""


class CheckConfigTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bin = ce.default_bin()
        ce.Daemon(cls.bin).check_binary()
        cls.dir = tempfile.mkdtemp(prefix='commcell-cfg-')
        cls.web = os.path.join(ce.REPO, 'web')

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.dir, ignore_errors=True)

    def write(self, name, text):
        path = os.path.join(self.dir, name)
        with open(path, 'w') as f:
            f.write(text.format(web=self.web))
        return path

    def check(self, path):
        return ce.check_config(self.bin, path)

    def assertGood(self, path):
        rc, so, se = self.check(path)
        self.assertEqual(rc, 0, '--check-config %s exited %d; stderr: %s' % (path, rc, se))

    def assertBad(self, path, line=None, words=()):
        """Exit 1 and stderr holding `path:LINE:` (LINE given: exactly that line)."""
        rc, so, se = self.check(path)
        self.assertEqual(rc, 1, '--check-config %s exited %d (expected 1); stderr: %r'
                         % (path, rc, se))
        want = re.escape(path) + ':' + (str(line) if line is not None else r'\d+') + ':'
        self.assertRegex(se, want, 'stderr must say `%s:%s: message`' % (path, line or 'LINE'))
        m = re.search(want + r'\s*(\S.*)', se)
        self.assertTrue(m, 'no message after %s:%s:' % (path, line))
        for w in words:
            self.assertIn(w.lower(), se.lower())
        return se

    def test_good_file_passes(self):
        self.assertGood(self.write('good.conf', GOOD))

    def test_minimal_file_passes(self):
        # only the required keys; listen_port, listen_address, log_level have defaults
        self.assertGood(self.write('minimal.conf',
                                   'hub = dbname=commcell\nweb_root = {web}\n'))

    def test_unknown_key(self):
        text = GOOD.replace('# a comment between keys', 'colour = blue')
        self.assertBad(self.write('unknown.conf', text), 7, ['colour'])

    def test_bad_port(self):
        for i, bad in enumerate(['70000', '0', 'http', '-1', '80x', '']):
            with self.subTest(port=bad):
                text = GOOD.replace('listen_port = 8080', 'listen_port = %s' % bad)
                self.assertBad(self.write('port%d.conf' % i, text), 2)

    def test_missing_hub(self):
        text = '\n'.join(l for l in GOOD.splitlines() if not l.startswith('hub')) + '\n'
        self.assertBad(self.write('nohub.conf', text), None, ['hub'])

    def test_bad_log_level(self):
        for i, bad in enumerate(['verbose', 'INFOX', 'trace']):
            with self.subTest(level=bad):
                text = GOOD.replace('log_level = debug', 'log_level = %s' % bad)
                self.assertBad(self.write('level%d.conf' % i, text), 8, ['log_level'])

    def test_web_root_not_a_directory(self):
        text = GOOD.replace('web_root = {web}', 'web_root = /nonexistent/commcell-web')
        self.assertBad(self.write('webroot.conf', text), 6, ['web_root'])

    def test_bad_listen_address(self):
        for i, bad in enumerate(['not-an-ip', '127.0.0.300']):
            with self.subTest(address=bad):
                text = GOOD.replace('listen_address = 127.0.0.1', 'listen_address = %s' % bad)
                self.assertBad(self.write('addr%d.conf' % i, text), 4, ['listen_address'])

    def test_line_without_equals(self):
        self.assertBad(self.write('noeq.conf', GOOD.replace('# a comment between keys',
                                                             'just some words')), 7)

    def test_missing_file(self):
        path = os.path.join(self.dir, 'does-not-exist.conf')
        rc, so, se = self.check(path)
        self.assertEqual(rc, 1, 'exit code for a missing file; stderr %r' % se)
        self.assertIn(path, se)


if __name__ == '__main__':
    unittest.main()
