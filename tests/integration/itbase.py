"""Shared pieces of the integration tests: import path, a unittest base class with one Env
per test class (clusters are expensive), and small assertions."""

import sys
sys.dont_write_bytecode = True  # keep __pycache__ out of the work tree

import os
import statistics
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'harness'))

import commcell_env as ce  # noqa: E402


def out(msg):
    """Test output meant for people (measurements): stdout, flushed, indented under the test."""
    sys.stdout.write('    %s\n' % msg)
    sys.stdout.flush()


def summary_ms(samples):
    s = sorted(samples)
    p = lambda q: s[min(len(s) - 1, int(round(q * (len(s) - 1))))]  # noqa: E731
    return 'n=%d median %.1f ms, p90 %.1f ms, p99 %.1f ms, max %.1f ms' % (
        len(s), statistics.median(s) * 1000, p(0.9) * 1000, p(0.99) * 1000, s[-1] * 1000)


class EnvCase(unittest.TestCase):
    """One Env (two clusters, hub, partners, daemon) for all tests of the class.

    env_options: keyword arguments for ce.Env. start_daemon = False leaves starting the daemon to
    configure(), which runs once the clusters are up. At the end the daemon must exit 0 on SIGTERM
    (and, with COMMCELL_SANITIZED=1, leave no sanitizer report); otherwise tearDownClass fails."""

    env_options = {}
    start_daemon = True
    env = None

    @classmethod
    def setUpClass(cls):
        ce.Daemon(ce.default_bin()).check_binary()
        cls.env = ce.Env(**cls.env_options)
        cls.env.start(daemon=cls.start_daemon)  # on failure the Env has closed itself
        try:
            cls.configure()
        except BaseException:
            # unittest skips tearDownClass when setUpClass fails: without this the clusters,
            # the daemon and whatever configure() started would outlive the class
            cls.tearDownClass()
            raise

    @classmethod
    def configure(cls):
        """Class set-up that needs the running Env: write the daemon's config and start it (with
        start_daemon = False), add rows, start helpers that tearDownClass stops."""

    @classmethod
    def tearDownClass(cls):
        if cls.env is not None:
            env, cls.env = cls.env, None
            env.close(check_daemon=True)

    # -- helpers --------------------------------------------------------------------------------
    def run_async(self, coro, timeout=120):
        return ce.run(coro, timeout)

    def assertDaemonAlive(self):
        d = self.env.daemon
        self.assertTrue(d.alive(), 'commcelld is not running (exit code %s); log tail:\n%s'
                        % (d.exit_code(), d.log_tail()))
        status, _, _ = self.env.get('/healthz')
        self.assertEqual(status, 200, '/healthz')

    def assertEntryOk(self, e):
        probs = ce.entry_problems(e)
        self.assertEqual(probs, [], 'entry %r: %s' % (e, '; '.join(probs)))

    def feeds(self):
        data = self.env.get_json('/api/feeds')
        self.assertIsInstance(data, list, '/api/feeds must be a JSON array')
        return data

    def feed_of(self, partner):
        rows = [f for f in self.feeds() if isinstance(f, dict) and f.get('partner') == partner]
        self.assertTrue(rows, '/api/feeds has no feed of partner %s' % partner)
        return rows[0]
