"""Hub upgrades: `commcelld --migrate --config FILE` applies the hub migrations built into the
binary, once each, under an advisory lock; a daemon refuses a hub whose recorded migrations are
not exactly its own. One cluster, one fresh database per test."""

import os
import re
import shutil
import subprocess
import tempfile
import unittest

from itbase import ce

HUB_DIR = os.path.join(ce.REPO, 'sql', 'hub')


def hub_files():
    return sorted((f for f in os.listdir(HUB_DIR) if f.endswith('.sql')), key=str.encode)


class MigrateTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.bin = ce.default_bin()
        ce.Daemon(cls.bin).check_binary()
        cls.base = tempfile.mkdtemp(prefix='commcell-migrate-')
        os.chmod(cls.base, 0o755)
        cls.cluster = ce.Cluster(os.path.join(cls.base, 'pg'), name='migrate')
        cls.cluster.no_fsync = True
        cls.cluster.provision(hub=False, template=False)
        cls.cluster._ensure_role('commcell')
        cls.n = 0

    @classmethod
    def tearDownClass(cls):
        cls.cluster.close_connections()
        cls.cluster.destroy()
        if os.environ.get('COMMCELL_TEST_KEEP') != '1':
            shutil.rmtree(cls.base, ignore_errors=True)

    # -- helpers --------------------------------------------------------------------------------
    def new_db(self):
        MigrateTest.n += 1
        db = 'hub_%d' % MigrateTest.n
        self.cluster.execute('postgres', 'CREATE DATABASE %s OWNER commcell' % db)
        return db

    def config(self, db):
        path = os.path.join(self.base, '%s.conf' % db)
        ce.write_config_file(path, {'listen_port': ce.free_port(), 'listen_address': '127.0.0.1',
                                    'hub': self.cluster.conninfo(db, 'commcell'),
                                    'web_root': os.path.join(ce.REPO, 'web')})
        return path

    def argv(self, db, *extra):
        return [self.bin, '--migrate', '--config', self.config(db)] + list(extra)

    def migrate(self, db, *extra):
        return subprocess.run(self.argv(db, *extra), env=ce.sanitizer_env(),
                              stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, timeout=300)

    def recorded(self, db):
        return [r[0] for r in self.cluster.query(
            db, 'SELECT file FROM public.commcell_schema_migration ORDER BY file')]

    def run_daemon(self, db, timeout=60):
        """Start commcelld --config on db; return (exit code, output) once it exits by itself."""
        conf = self.config(db)
        p = subprocess.run([self.bin, '--config', conf], env=ce.sanitizer_env(),
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=timeout)
        return p.returncode, p.stdout, conf

    def assertServes(self, db):
        d = ce.Daemon(self.bin, config=os.path.join(self.base, '%s-run.conf' % db))
        d.write_config(ce.free_port(), self.cluster.conninfo(db, 'commcell'))
        d.start(wait_ready=False)
        try:
            d.wait_healthy(30)
            self.assertIn('the hub has the %d migrations this commcelld knows' % len(hub_files()),
                          d.log_text())
        finally:
            d.stop()
        if ce.sanitized():
            d.check_sanitizer_log()

    # -- tests ----------------------------------------------------------------------------------
    def test_01_fresh_hub_gets_all_then_nothing(self):
        db = self.new_db()
        p = self.migrate(db)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        files = hub_files()
        applied = re.findall(r'^applied (\S+)$', p.stdout, re.M)
        # every file of sql/hub is built in (a file the build missed fails here), in order
        self.assertEqual(applied, files, p.stdout)
        self.assertEqual(self.recorded(db), files)
        self.assertIn('hub is up to date (%d migrations' % len(files), p.stdout)
        self.assertTrue(self.cluster.query(db, "SELECT to_regclass('commcell.metric')")[0][0])

        again = self.migrate(db)
        self.assertEqual(again.returncode, 0, again.stdout + again.stderr)
        self.assertNotIn('applied ', again.stdout)
        self.assertIn('hub is up to date (%d migrations)' % len(files), again.stdout)
        self.assertServes(db)

        # a file changed after it was applied is reported, not re-applied
        self.cluster.execute(db, "UPDATE public.commcell_schema_migration SET checksum = 'x' "
                                 "WHERE file = %s", (files[0],))
        warned = self.migrate(db)
        self.assertEqual(warned.returncode, 0, warned.stdout + warned.stderr)
        self.assertIn('warning: %s was applied with other contents' % files[0], warned.stdout)
        self.assertNotIn('applied ' + files[0], warned.stdout)

    def test_02_two_at_once_apply_each_file_once(self):
        db = self.new_db()
        procs = [subprocess.Popen(self.argv(db), env=ce.sanitizer_env(),
                                  stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(2)]
        outs = [p.communicate(timeout=300) for p in procs]
        for p, (out, err) in zip(procs, outs):
            self.assertEqual(p.returncode, 0, out + err)
        applied = [f for out, _ in outs for f in re.findall(r'^applied (\S+)$', out, re.M)]
        self.assertEqual(sorted(applied), hub_files(), 'each file applied exactly once: %r'
                         % [o for o, _ in outs])
        self.assertEqual(self.recorded(db), hub_files())

    def test_03_hub_newer_than_daemon_is_refused(self):
        db = self.new_db()
        self.assertEqual(self.migrate(db).returncode, 0)
        self.cluster.execute(db, "INSERT INTO public.commcell_schema_migration (file) "
                                 "VALUES ('999_from_the_future.sql')")
        rc, out, _ = self.run_daemon(db)
        self.assertEqual(rc, 1, out)
        self.assertIn('the hub has migration 999_from_the_future.sql that this commcelld does '
                      'not know: upgrade commcelld', out)
        self.assertNotIn('listening', out, 'refused before serving anything')
        # --migrate will not touch it either
        p = self.migrate(db)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn('999_from_the_future.sql that this commcelld does not know', p.stderr)

    def test_04_pending_migrations_are_refused(self):
        db = self.new_db()
        self.assertEqual(self.migrate(db).returncode, 0)
        last = hub_files()[-1]
        self.cluster.execute(db, 'DELETE FROM public.commcell_schema_migration WHERE file = %s',
                             (last,))
        rc, out, conf = self.run_daemon(db)
        self.assertEqual(rc, 1, out)
        self.assertIn('the hub lacks 1 of the %d migrations this commcelld needs (the first is '
                      '%s): run commcelld --migrate --config %s' % (len(hub_files()), last, conf),
                      out)
        # a hub nothing was applied to (no record table at all) is refused the same way
        empty = self.new_db()
        rc, out, conf = self.run_daemon(empty)
        self.assertEqual(rc, 1, out)
        self.assertIn('run commcelld --migrate --config %s' % conf, out)

    def test_05_broken_migration_applies_nothing_of_itself(self):
        db = self.new_db()
        d = os.path.join(self.base, 'broken-sql')
        os.makedirs(d, exist_ok=True)
        for f in hub_files():
            shutil.copy(os.path.join(HUB_DIR, f), d)
        broken = os.path.join(d, '900_broken.sql')
        with open(broken, 'w') as f:
            f.write('CREATE TABLE commcell.broken_probe (x int);\n'
                    'INSERT INTO commcell.broken_probe VALUES (1);\n'
                    '-- the next statement cannot work\n'
                    'SELECT 1 / 0;\n')
        p = self.migrate(db, '--migrations-dir', d)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn('900_broken.sql', p.stderr)
        self.assertIn('division by zero', p.stderr)
        self.assertIsNone(self.cluster.query(
            db, "SELECT to_regclass('commcell.broken_probe')")[0][0], 'part of it stayed')
        self.assertEqual(self.recorded(db), hub_files(), 'the good ones before it stay applied')

        # a syntax error is placed at its line
        with open(broken, 'w') as f:
            f.write('CREATE TABLE commcell.broken_probe (x int);\n\nSELEC 2;\n')
        p = self.migrate(db, '--migrations-dir', d)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn('900_broken.sql:3: ERROR: syntax error at or near "SELEC"', p.stderr)
        self.assertIsNone(self.cluster.query(
            db, "SELECT to_regclass('commcell.broken_probe')")[0][0])

        # fixed, it is the only one applied
        with open(broken, 'w') as f:
            f.write('CREATE TABLE commcell.broken_probe (x int);\n')
        p = self.migrate(db, '--migrations-dir', d)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertEqual(re.findall(r'^applied (\S+)$', p.stdout, re.M), ['900_broken.sql'])

        # a file that ends the transaction itself is not recorded as applied
        with open(os.path.join(d, '901_commits.sql'), 'w') as f:
            f.write('CREATE TABLE commcell.commit_probe (x int);\nCOMMIT;\nSELECT 1;\n')
        p = self.migrate(db, '--migrations-dir', d)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn('migration 901_commits.sql ended its transaction itself', p.stderr)
        self.assertNotIn('901_commits.sql', self.recorded(db))

    def test_06_hub_made_by_the_old_scripts_cluster_is_up_to_date(self):
        db = self.new_db()
        ci = self.cluster.conninfo(db, 'commcell')
        # what scripts/cluster hub did before --migrate: psql, one transaction per file, a row
        # with the file name in a table without a checksum column
        self.cluster.execute(db, 'CREATE TABLE public.commcell_schema_migration ('
                                 'file text PRIMARY KEY, applied_at timestamptz NOT NULL '
                                 'DEFAULT now())')
        self.cluster.execute(db, 'ALTER TABLE public.commcell_schema_migration OWNER TO commcell')
        for f in hub_files():
            subprocess.run(['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '--single-transaction',
                            '-d', ci, '-f', os.path.join(HUB_DIR, f), '-c',
                            "INSERT INTO public.commcell_schema_migration (file) VALUES ('%s')"
                            % f], check=True, stdout=subprocess.DEVNULL,
                           env=dict(os.environ, PGOPTIONS='-c client_min_messages=warning'))
        self.assertServes(db)
        p = self.migrate(db)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        self.assertNotIn('applied ', p.stdout)
        self.assertNotIn('warning', p.stdout)
        self.assertIn('hub is up to date (%d migrations)' % len(hub_files()), p.stdout)
        self.assertEqual(self.recorded(db), hub_files())

    def test_07_unreachable_hub_is_waited_for_not_refused(self):
        # the daemon's rule since the start: it never exits for a database it cannot reach
        d = ce.Daemon(self.bin, config=os.path.join(self.base, 'unreachable.conf'))
        d.write_config(ce.free_port(), 'host=%s/nowhere dbname=commcell user=commcell'
                       % self.base)
        d.start(wait_ready=False)
        try:
            d.wait_healthy(30)
            self.assertEqual(d.get('/readyz')[0], 503)
            self.assertIn("cannot check the hub's migrations", d.log_text())
        finally:
            d.stop()
        if ce.sanitized():
            d.check_sanitizer_log()
    def test_08_hub_unmigrated_when_it_comes_up_is_not_served_until_migrated(self):
        db = self.new_db()   # nothing applied: no record table at all
        self.cluster.close_connections()
        self.cluster.stop()
        d = ce.Daemon(self.bin, config=os.path.join(self.base, 'late.conf'))
        try:
            d.write_config(ce.free_port(), self.cluster.conninfo(db, 'commcell'))
            d.start(wait_ready=False)
            d.wait_healthy(30)
            self.assertIn("cannot check the hub's migrations", d.log_text())
        finally:
            self.cluster.start()
        try:
            def refused():
                st, _, body = d.get('/readyz')
                return st == 503 and b'run commcelld --migrate' in body
            ce.wait_until(refused, 60, 0.2, '/readyz to say that the hub needs --migrate')
            self.assertTrue(d.alive())
            p = self.migrate(db)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            ce.wait_until(lambda: d.get('/readyz')[0] == 200, 60, 0.2,
                          'ready once the hub is migrated')
        finally:
            d.stop()
        if ce.sanitized():
            d.check_sanitizer_log()

if __name__ == '__main__':
    unittest.main()
