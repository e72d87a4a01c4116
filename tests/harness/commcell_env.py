#!/usr/bin/python3
"""Integration test harness for commcell: private PostgreSQL clusters, the daemon, clients.

Library
    Cluster(state_dir, port)   one PostgreSQL cluster (scripts/cluster, or a private equivalent)
    Daemon(bin, config)        commcelld: config file, start, readiness, stop/kill, sanitizer log
    WsClient(url)              asyncio WebSocket client (commcell.v1): snapshot, deltas, seq checks
    Env(...)                   the standard test world: hub + acute/community/nhs111 on one
                               cluster, ambulance on a second cluster, seeded metrics, a daemon
    DemoEnv(...)               the demo's shape: hub + the five demo partners with their
                               operational schemas (sql/partner-ops/) and sql/demo/seed.sql's
                               query feeds, optionally a daemon

CLI (used by the browser tests; see `commcell_env.py --help`)
    start --dir DIR            start everything, write DIR/env.json, return leaving it running
    stop --dir DIR             stop everything and clean up
    stop-daemon / start-daemon / restart-daemon --dir DIR

Only the Python standard library plus Debian's python3-psycopg2 and python3-websockets (10.4).
Run with /usr/bin/python3.
"""

import argparse
import asyncio
import atexit
import datetime
import glob
import json
import math
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

try:
    import psycopg2
    import psycopg2.extensions
except ImportError:  # pragma: no cover - reported when used
    psycopg2 = None
try:
    import websockets
except ImportError:  # pragma: no cover
    websockets = None

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, '..', '..'))
SUBPROTOCOL = 'commcell.v1'
STATUSES = ('green', 'amber', 'red', 'stale', 'error')
PARTNER_STATES = ('connecting', 'ok', 'failing', 'backoff')
SANITIZER_PATTERNS = ('ERROR: AddressSanitizer', 'runtime error:', 'LeakSanitizer')


class HarnessError(AssertionError):
    """Something the harness expected of the daemon or a cluster did not happen.

    An AssertionError so unittest reports it as a failure of the test, not a crash of it."""


def log(msg):
    if os.environ.get('COMMCELL_TEST_QUIET') != '1':
        sys.stderr.write('[harness %s] %s\n' % (time.strftime('%H:%M:%S'), msg))
        sys.stderr.flush()


def require_libs():
    missing = [n for n, m in (('python3-psycopg2', psycopg2), ('python3-websockets', websockets))
               if m is None]
    if missing:
        raise RuntimeError('missing Debian packages %s (apt-get install %s); run with /usr/bin/python3'
                           % (', '.join(missing), ' '.join(missing)))


# ----------------------------------------------------------------------------------------------
# small helpers

def _ephemeral_low():
    """The lowest port the kernel hands out as the source of an outgoing connection."""
    try:
        with open('/proc/sys/net/ipv4/ip_local_port_range') as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def _bindable(host, port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def free_port(host='127.0.0.1', avoid=()):
    """A TCP port nobody listens on right now, below the kernel's ephemeral range: a port from
    that range (bind to 0) can be taken as the source port of any outgoing connection (a test's
    psycopg, Chromium, npm) between this check and the daemon's bind, which then fails with
    "address in use"."""
    low = _ephemeral_low()
    if low > 20000:
        rnd = random.Random()
        for _ in range(200):
            port = rnd.randrange(20000, low)
            if port in avoid or port in _ports_handed_out or not _bindable(host, port):
                continue
            _ports_handed_out.add(port)
            return port
    for _ in range(50):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.bind((host, 0))
            port = s.getsockname()[1]
        if port not in avoid and port not in _ports_handed_out:
            _ports_handed_out.add(port)
            return port
    raise HarnessError('no free port found')


_ports_handed_out = set()


def port_still_free(port, host='127.0.0.1'):
    """Whether nobody has taken port since free_port handed it out (an outgoing connection's
    ephemeral port may have, when minutes passed in between)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def wait_until(pred, timeout, interval=0.05, what='condition'):
    """Poll pred() until it returns a truthy value; return it, or raise HarnessError."""
    deadline = time.monotonic() + timeout
    last_exc = None
    while True:
        try:
            v = pred()
            if v:
                return v
        except Exception as e:  # noqa: BLE001 - keep polling, report the last one
            last_exc = e
        if time.monotonic() >= deadline:
            raise HarnessError('timed out after %.1f s waiting for %s%s'
                               % (timeout, what, ' (last error: %r)' % (last_exc,) if last_exc else ''))
        time.sleep(interval)


def pid_alive(pid):
    """True when pid exists and is not a zombie."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            stat = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return False
    state = stat[stat.rindex(')') + 2:].split()[0]
    return state not in ('Z', 'X')


def proc_stat(pid):
    """(ppid, pgid, sid, comm) of a live process, or None."""
    try:
        with open('/proc/%d/stat' % pid) as f:
            stat = f.read()
    except OSError:
        return None
    comm = stat[stat.index('(') + 1:stat.rindex(')')]
    fields = stat[stat.rindex(')') + 2:].split()
    return int(fields[1]), int(fields[2]), int(fields[3]), comm


def all_pids():
    return [int(d) for d in os.listdir('/proc') if d.isdigit()]


def descendants(pid):
    """Every live process whose parent chain leads to pid."""
    children = {}
    for p in all_pids():
        st = proc_stat(p)
        if st:
            children.setdefault(st[0], []).append(p)
    out, todo = [], [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            if pid_alive(c):
                out.append(c)
                todo.append(c)
    return out


def session_members(sid):
    """Live processes in session sid (the daemon runs as a session leader)."""
    out = []
    for p in all_pids():
        st = proc_stat(p)
        if st and st[2] == sid and p != sid and pid_alive(p):
            out.append(p)
    return out


def http_request(url, method='GET', body=None, headers=None, timeout=5.0):
    """(status, headers dict with lower-case names, body bytes). Non-2xx statuses are returned,
    not raised; connection errors are raised."""
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, {k.lower(): v for k, v in r.headers.items()}, r.read()
    except urllib.error.HTTPError as e:
        return e.code, {k.lower(): v for k, v in e.headers.items()}, e.read()


def parse_iso_utc(s):
    """Parse an ISO 8601 UTC time as sent by the daemon; raise ValueError if it is not UTC."""
    if not isinstance(s, str):
        raise ValueError('not a string: %r' % (s,))
    t = s[:-1] + '+00:00' if s.endswith('Z') else s
    d = datetime.datetime.fromisoformat(t)
    if d.tzinfo is None or d.utcoffset() != datetime.timedelta(0):
        raise ValueError('not a UTC time: %r' % (s,))
    return d


def tail(path, n=40):
    try:
        with open(path, 'rb') as f:
            f.seek(0, 2)
            size = f.tell()
            f.seek(max(0, size - 64 * 1024))
            lines = f.read().decode('utf-8', 'replace').splitlines()
    except OSError as e:
        return '(cannot read %s: %s)' % (path, e)
    return '\n'.join(lines[-n:])


def _chown_postgres(path):
    import pwd
    pw = pwd.getpwnam('postgres')
    os.chown(path, pw.pw_uid, pw.pw_gid)


def _ensure_traversable(path):
    """The postgres OS user must reach state dirs made by root under private temp dirs."""
    path = os.path.abspath(path)
    while path not in ('/', ''):
        try:
            st = os.stat(path)
            if not st.st_mode & 0o001:
                os.chmod(path, st.st_mode | 0o011)
        except OSError:
            pass
        path = os.path.dirname(path)


# ----------------------------------------------------------------------------------------------
# PostgreSQL clusters

def ops_schema_file(kind):
    """sql/partner-ops/<kind>.sql: the operational schema of a partner of that kind."""
    return os.path.join(REPO, 'sql', 'partner-ops', kind + '.sql')


def _pg_bindir():
    for d in sorted(glob.glob('/usr/lib/postgresql/*/bin'), reverse=True):
        if os.path.exists(os.path.join(d, 'initdb')):
            return d
    w = shutil.which('initdb')
    if w:
        return os.path.dirname(os.path.realpath(w))
    raise HarnessError('PostgreSQL server binaries (initdb) not found; apt-get install postgresql')


class Cluster:
    """One PostgreSQL cluster in state_dir listening on port (unix socket in state_dir/run).

    Backend 'script' drives scripts/cluster (COMMCELL_STATE_DIR, COMMCELL_PG_PORT); backend
    'private' does the same with initdb/pg_ctl run as the OS user postgres. 'auto' (the default)
    picks 'script' when scripts/cluster exists and is executable, unless COMMCELL_TEST_CLUSTER
    says otherwise ('script' or 'private')."""

    SCRIPT = os.path.join(REPO, 'scripts', 'cluster')

    def __init__(self, state_dir, port=None, backend=None, name=None):
        self.state_dir = os.path.abspath(state_dir)
        self.port = int(port) if port else free_port()
        self.name = name or os.path.basename(self.state_dir)
        backend = backend or os.environ.get('COMMCELL_TEST_CLUSTER', 'auto')
        if backend == 'auto':
            backend = 'script' if os.access(self.SCRIPT, os.X_OK) else 'private'
        if backend not in ('script', 'private'):
            raise ValueError('cluster backend must be script or private, not %r' % backend)
        self.backend = backend
        self.run_dir = os.path.join(self.state_dir, 'run')
        self.pgdata = os.path.join(self.state_dir, 'pgdata')   # private backend only
        self.log_path = os.path.join(self.state_dir, 'postgres.log')
        self._conns = {}
        self._conninfo_cache = {}
        # throw-away data: no fsync (the private backend never syncs; scripts/cluster is asked to
        # skip it with COMMCELL_PG_FSYNC=off at each start)
        self.no_fsync = False

    def describe(self):
        return {'state_dir': self.state_dir, 'port': self.port, 'backend': self.backend,
                'name': self.name}

    # -- scripts/cluster --------------------------------------------------------------------
    def _script(self, *args, check=True, timeout=120):
        env = dict(os.environ, COMMCELL_STATE_DIR=self.state_dir, COMMCELL_PG_PORT=str(self.port))
        if self.no_fsync:
            env['COMMCELL_PG_FSYNC'] = 'off'
        p = subprocess.run([self.SCRIPT] + list(args), env=env, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                           text=True)
        if check and p.returncode != 0:
            raise HarnessError('scripts/cluster %s failed (exit %d):\n%s%s'
                               % (' '.join(args), p.returncode, p.stdout, p.stderr))
        return p

    # -- private backend --------------------------------------------------------------------
    def _as_postgres(self, argv, check=True, timeout=120):
        p = subprocess.run(['runuser', '-u', 'postgres', '--'] + argv, stdin=subprocess.DEVNULL,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                           text=True, cwd='/')
        if check and p.returncode != 0:
            raise HarnessError('%s failed (exit %d):\n%s%s'
                               % (' '.join(argv), p.returncode, p.stdout, p.stderr))
        return p

    # -- lifecycle ----------------------------------------------------------------------------
    def init(self):
        os.makedirs(self.state_dir, exist_ok=True)
        _ensure_traversable(self.state_dir)
        if self.backend == 'script':
            self._script('init')
            return
        _chown_postgres(self.state_dir)
        os.makedirs(self.run_dir, exist_ok=True)
        _chown_postgres(self.run_dir)
        if os.path.exists(os.path.join(self.pgdata, 'PG_VERSION')):
            return
        bindir = _pg_bindir()
        self._as_postgres([os.path.join(bindir, 'initdb'), '-D', self.pgdata, '-A', 'trust',
                           '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync'])
        with open(os.path.join(self.pgdata, 'postgresql.conf'), 'a') as f:
            f.write("\n# commcell integration tests\ninclude_if_exists 'harness.conf'\n")

    def _write_private_settings(self):
        # rewritten at every start, so a copied cluster follows its new port and directory
        path = os.path.join(self.pgdata, 'harness.conf')
        with open(path, 'w') as f:
            f.write("listen_addresses = '127.0.0.1'\n"
                    'port = %d\n'
                    "unix_socket_directories = '%s'\n"
                    'fsync = off\n'
                    'full_page_writes = off\n'
                    'max_connections = 100\n'
                    "timezone = 'UTC'\n"
                    "log_min_messages = warning\n" % (self.port, self.run_dir))
        _chown_postgres(path)

    def start(self, timeout=60):
        if self.backend == 'script':
            self._script('start')
        else:
            bindir = _pg_bindir()
            self._write_private_settings()
            if not os.path.exists(self.log_path):
                open(self.log_path, 'a').close()
                _chown_postgres(self.log_path)
            self._as_postgres([os.path.join(bindir, 'pg_ctl'), '-D', self.pgdata, '-l',
                               self.log_path, '-w', '-t', str(int(timeout)), 'start'],
                              timeout=timeout + 10)
        wait_until(self.accepts_connections, timeout, 0.1, 'cluster %s to accept connections'
                   % self.name)

    def stop(self, mode='fast'):
        self.thaw()
        self.close_connections()
        if self.backend == 'script':
            self._script('stop')
        else:
            if not os.path.exists(os.path.join(self.pgdata, 'postmaster.pid')):
                return
            bindir = _pg_bindir()
            self._as_postgres([os.path.join(bindir, 'pg_ctl'), '-D', self.pgdata, '-m', mode,
                               '-w', '-t', '60', 'stop'], check=False, timeout=90)
        wait_until(lambda: not self.is_running(), 60, 0.1, 'cluster %s to stop' % self.name)

    def postmaster_pid(self):
        """The postmaster's pid from postmaster.pid (found under state_dir), or None."""
        for path in ([os.path.join(self.pgdata, 'postmaster.pid')] +
                     glob.glob(os.path.join(self.state_dir, '*', 'postmaster.pid')) +
                     glob.glob(os.path.join(self.state_dir, '*', '*', 'postmaster.pid'))):
            try:
                with open(path) as f:
                    pid = int(f.readline().strip())
            except (OSError, ValueError):
                continue
            if pid_alive(pid):
                return pid
        return None

    def is_running(self):
        return self.postmaster_pid() is not None

    def accepts_connections(self):
        try:
            c = psycopg2.connect(self.conninfo('postgres'), connect_timeout=3)
            c.close()
            return True
        except psycopg2.OperationalError:
            return False

    def _signal_all(self, sig):
        pid = self.postmaster_pid()
        if pid is None:
            return []
        pids = [pid] + descendants(pid)
        for p in pids:
            try:
                os.kill(p, sig)
            except ProcessLookupError:
                pass
        return pids

    def freeze(self):
        """kill -STOP the postmaster and all its backends: the server hangs with sockets open."""
        self._frozen = self._signal_all(signal.SIGSTOP)
        return self._frozen

    def thaw(self):
        """kill -CONT what freeze() stopped (and anything else of this cluster)."""
        for p in getattr(self, '_frozen', []) or []:
            try:
                os.kill(p, signal.SIGCONT)
            except ProcessLookupError:
                pass
        self._frozen = []
        self._signal_all(signal.SIGCONT)

    kill_stop = freeze
    kill_cont = thaw

    def destroy(self):
        """Stop (if running) and remove the state dir."""
        try:
            if self.is_running():
                self.stop(mode='immediate')
        finally:
            shutil.rmtree(self.state_dir, ignore_errors=True)

    # -- connections ------------------------------------------------------------------------
    def conninfo(self, db='postgres', user='postgres'):
        key = (db, user)
        if key not in self._conninfo_cache:
            if self.backend == 'script':
                ci = self._script('conninfo', db, user).stdout.strip().splitlines()[-1].strip()
            else:
                ci = 'host=%s port=%d dbname=%s user=%s' % (self.run_dir, self.port, db, user)
            self._conninfo_cache[key] = ci
        return self._conninfo_cache[key]

    def connect(self, db='postgres', user='postgres', autocommit=True):
        c = psycopg2.connect(self.conninfo(db, user), connect_timeout=5)
        c.autocommit = autocommit
        return c

    def _cached(self, db):
        c = self._conns.get(db)
        if c is None or c.closed:
            c = self._conns[db] = self.connect(db)
        return c

    def close_connections(self):
        for c in self._conns.values():
            try:
                c.close()
            except Exception:  # noqa: BLE001
                pass
        self._conns.clear()

    def execute(self, db, sql, params=None):
        """Run sql as superuser with autocommit; return rows when it has any, else None."""
        for attempt in (0, 1):
            c = self._cached(db)
            try:
                with c.cursor() as cur:
                    cur.execute(sql, params)
                    return cur.fetchall() if cur.description else None
            except (psycopg2.OperationalError, psycopg2.InterfaceError):
                self._conns.pop(db, None)
                if attempt:
                    raise

    def query(self, db, sql, params=None):
        return self.execute(db, sql, params) or []

    def psql(self, db='postgres', *args, input=None, check=True):
        """Run the psql client against db as superuser (scripts/cluster psql when available)."""
        if self.backend == 'script':
            env = dict(os.environ, COMMCELL_STATE_DIR=self.state_dir,
                       COMMCELL_PG_PORT=str(self.port))
            argv = [self.SCRIPT, 'psql', db] + list(args)
        else:
            env = dict(os.environ)
            argv = ['psql', self.conninfo(db)] + list(args)
        p = subprocess.run(argv, env=env, input=input, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, text=True, timeout=120)
        if check and p.returncode != 0:
            raise HarnessError('psql %s failed (exit %d): %s' % (' '.join(args), p.returncode,
                                                                 p.stderr))
        return p

    def provision(self, hub=False, partners=(), template=None):
        """init + start + (hub) + partner databases, in one scripts/cluster call when possible.

        template (default: on unless COMMCELL_TEST_NO_TEMPLATE=1): build a stopped cluster of
        this shape once per process and copy it (cp -a) for later clusters of the same shape;
        scripts/cluster rewrites port and socket directory at each start, so a copy works."""
        if template is None:
            template = os.environ.get('COMMCELL_TEST_NO_TEMPLATE') != '1'
        if template and not os.path.exists(self.state_dir + '/pgdata/PG_VERSION'):
            tpl = _template_for(self.backend, hub, tuple(partners))
            if tpl:
                os.makedirs(self.state_dir, exist_ok=True)
                _ensure_traversable(self.state_dir)
                subprocess.run(['cp', '-a', tpl + '/.', self.state_dir + '/'], check=True)
                for stale in glob.glob(os.path.join(self.state_dir, '*', 'postmaster.pid')):
                    os.unlink(stale)
                self.start()
                return
        self._provision_fresh(hub, partners)

    def _provision_fresh(self, hub, partners):
        """partners: names, or (name, kind) pairs (see create_partner)."""
        partners = [p if isinstance(p, tuple) else (p, None) for p in partners]
        if self.backend == 'script':
            os.makedirs(self.state_dir, exist_ok=True)
            _ensure_traversable(self.state_dir)
            args = ['init', 'start'] + (['hub'] if hub else [])
            for p, kind in partners:
                args += ['partner', p] + ([kind] if kind else [])
            self._script(*args)
            wait_until(self.accepts_connections, 30, 0.1,
                       'cluster %s to accept connections' % self.name)
            return
        self.init()
        self.start()
        if hub:
            self.create_hub()
        for p, kind in partners:
            self.create_partner(p, kind)

    def _apply_sql_files(self, db, user, pattern):
        for path in sorted(glob.glob(os.path.join(REPO, pattern))):
            argv = ['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', self.conninfo(db, user),
                    '-f', path]
            p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               timeout=120)
            if p.returncode != 0:
                raise HarnessError('applying %s to %s failed: %s' % (path, db, p.stderr))

    def _ensure_role(self, role):
        self.execute('postgres',
                     "DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = %s) THEN "
                     "EXECUTE format('CREATE ROLE %%I LOGIN', %s); END IF; END $$",
                     (role, role))

    def _db_exists(self, db):
        return bool(self.query('postgres', 'SELECT 1 FROM pg_database WHERE datname = %s', (db,)))

    def create_hub(self):
        """Create and migrate the hub database commcell (owner role commcell)."""
        if self.backend == 'script':
            self._script('hub')
            return
        self._ensure_role('commcell')
        if not self._db_exists('commcell'):
            self.execute('postgres', 'CREATE DATABASE commcell OWNER commcell')
        self.migrate_hub()

    def migrate_hub(self, extra_args=(), check=True):
        """Run `commcelld --migrate` on the hub, as scripts/cluster hub does; return the
        CompletedProcess. check: raise HarnessError when it fails."""
        with tempfile.NamedTemporaryFile('w', suffix='.conf', prefix='commcell-migrate-',
                                         delete=False) as f:
            f.write('hub = %s\nweb_root = %s\n' % (self.conninfo('commcell', 'commcell'),
                                                    os.path.join(REPO, 'web')))
        try:
            p = subprocess.run([default_bin(), '--migrate', '--config', f.name]
                               + list(extra_args), env=sanitizer_env(),
                               stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, timeout=300)
        finally:
            os.unlink(f.name)
        if check and p.returncode != 0:
            raise HarnessError('commcelld --migrate failed (exit %d):\n%s%s'
                               % (p.returncode, p.stdout, p.stderr))
        return p

    def create_partner(self, name, kind=None):
        """Create partner_<name> with the reference observation feed and commcell_reader, then
        the operational schema sql/partner-ops/<kind>.sql (kind defaults to name: a name with no
        such file gets none; 'none' asks for none), as `scripts/cluster partner NAME [KIND]`."""
        if not re.fullmatch(r'[a-z0-9][a-z0-9_]{0,39}', name):
            raise ValueError('bad partner name %r' % name)
        if kind is not None and kind != 'none' and not os.path.exists(ops_schema_file(kind)):
            raise ValueError('unknown partner kind %r (no %s)' % (kind, ops_schema_file(kind)))
        if self.backend == 'script':
            self._script('partner', name, *([kind] if kind else []))
            return
        self._ensure_role('commcell_reader')
        db = 'partner_' + name
        if not self._db_exists(db):
            self.execute('postgres', 'CREATE DATABASE %s' % db)
        self._apply_sql_files(db, 'postgres', 'sql/partner/*.sql')
        ops = kind or name
        if ops != 'none' and os.path.exists(ops_schema_file(ops)):
            self._apply_sql_files(db, 'postgres', os.path.relpath(ops_schema_file(ops), REPO))

    def load_seed(self):
        """Load sql/demo/seed.sql into the hub, its partners' conninfo pointing at this cluster."""
        if self.backend == 'script':
            self._script('seed')
            return
        argv = ['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '--single-transaction',
                '-v', 'pghost=%s' % self.run_dir, '-v', 'pgport=%d' % self.port,
                '-d', self.conninfo('commcell', 'commcell'),
                '-f', os.path.join(REPO, 'sql', 'demo', 'seed.sql')]
        p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           timeout=120)
        if p.returncode != 0:
            raise HarnessError('loading sql/demo/seed.sql failed: %s' % p.stderr)


_templates = {}
_template_lock = threading.Lock()
_template_root = None


def _template_for(backend, hub, partners):
    """Path of a stopped template cluster of this shape, built on first use (None on failure)."""
    global _template_root
    key = (backend, hub, partners)
    with _template_lock:
        ent = _templates.get(key)
        if ent is None:
            ent = _templates[key] = {'lock': threading.Lock(), 'path': None}
        if _template_root is None:
            _template_root = tempfile.mkdtemp(prefix='commcell-it-tpl-')
            os.chmod(_template_root, 0o755)
            atexit.register(shutil.rmtree, _template_root, True)
    with ent['lock']:
        if ent['path'] is None:
            names = [p if isinstance(p, str) else '-'.join(x for x in p if x) for p in partners]
            path = os.path.join(_template_root, '%s-%s-%s' % (backend, int(hub),
                                                             '_'.join(names) or 'none'))
            c = Cluster(path, backend=backend, name='template')
            try:
                c._provision_fresh(hub, partners)
                c.stop()
            except Exception as e:  # noqa: BLE001 - fall back to building each cluster
                log('template cluster failed (%s); building clusters from scratch' % e)
                c.destroy()
                return None
            ent['path'] = path
        return ent['path']


# ----------------------------------------------------------------------------------------------
# the daemon

def default_bin():
    b = os.environ.get('COMMCELL_BIN') or os.path.join(REPO, 'build', 'daemon', 'commcelld')
    return os.path.abspath(b)


def sim_bin():
    """The simulator (sim/commcell-sim) the demo environments run."""
    b = os.environ.get('COMMCELL_SIM_BIN') or os.path.join(REPO, 'build', 'sim', 'commcell-sim')
    if not os.access(b, os.X_OK):
        raise HarnessError('simulator not found at %s (build it, or set COMMCELL_SIM_BIN)' % b)
    return b


def sanitizer_env(env=None):
    """Environment for running commcelld: sanitizers stop at the first report, leaks detected."""
    env = dict(os.environ if env is None else env)

    def add(var, opts):
        cur = env.get(var, '')
        have = {kv.split('=', 1)[0] for kv in cur.split(':') if kv}
        extra = ['%s=%s' % (k, v) for k, v in opts if k not in have]
        env[var] = ':'.join([x for x in [cur] + extra if x])

    add('ASAN_OPTIONS', [('halt_on_error', '1'), ('detect_leaks', '1'), ('abort_on_error', '0'),
                         ('strict_string_checks', '1')])
    add('UBSAN_OPTIONS', [('halt_on_error', '1'), ('print_stacktrace', '1')])
    add('LSAN_OPTIONS', [('exitcode', '23')])
    return env


def sanitized():
    return os.environ.get('COMMCELL_SANITIZED') == '1'


def write_config_file(path, values, comment='written by tests/harness/commcell_env.py'):
    """Write a `key = value` config file. values is an ordered dict; None values are skipped."""
    with open(path, 'w') as f:
        f.write('# %s\n' % comment)
        for k, v in values.items():
            if v is not None:
                f.write('%s = %s\n' % (k, v))
    return path


class Daemon:
    """commcelld run with --config FILE, stdout and stderr appended to a log file.

    Attached (default): a child of this process in its own session; stop() sees its exit code.
    Detached (for the CLI): started through a small supervisor process that outlives the CLI and
    records the exit code in a file, so a later `stop-daemon` can still check it."""

    def __init__(self, bin=None, config=None, log=None, detached=False, run_dir=None):
        self.bin = os.path.abspath(bin or default_bin())
        self.config = os.path.abspath(config) if config else None
        self.log = os.path.abspath(log) if log else (self.config + '.log' if self.config else None)
        self.detached = detached
        self.run_dir = run_dir or (os.path.dirname(self.config) if self.config else None)
        self.proc = None
        self._pid = None
        self.port = None
        self.host = '127.0.0.1'
        self.log_offset = 0
        self.last_exit = None

    # -- config --------------------------------------------------------------------------------
    def write_config(self, listen_port, hub, web_root=None, listen_address='127.0.0.1',
                     log_level=None, **extra):
        values = {'listen_port': listen_port, 'listen_address': listen_address, 'hub': hub,
                  'web_root': web_root or os.path.join(REPO, 'web'),
                  'log_level': log_level or os.environ.get('COMMCELL_TEST_LOG_LEVEL', 'info'),
                  # the board tests read it without signing in; the auth tests pass
                  # allow_anonymous_display='false' (None leaves the key out: the default, false)
                  'allow_anonymous_display': 'true'}
        values.update(extra)
        self.port = int(listen_port)
        if listen_address and listen_address not in ('0.0.0.0', '::'):
            self.host = listen_address
        return write_config_file(self.config, values)

    @property
    def url(self):
        return 'http://%s:%d' % (self.host, self.port)

    @property
    def ws_url(self):
        return 'ws://%s:%d/ws' % (self.host, self.port)

    # -- files used in detached mode ------------------------------------------------------------
    def _f(self, name):
        return os.path.join(self.run_dir, 'commcelld.' + name)

    @property
    def pid(self):
        if self.proc is not None:
            return self.proc.pid
        if self._pid is None and self.detached:
            try:
                with open(self._f('pid')) as f:
                    self._pid = int(f.read().strip())
            except (OSError, ValueError):
                return None
        return self._pid

    def exit_code(self):
        """The exit code when the daemon has exited (negative: killed by that signal), else None."""
        if self.proc is not None:
            return self.proc.poll()
        if self.detached:
            try:
                with open(self._f('rc')) as f:
                    return int(f.read().strip())
            except (OSError, ValueError):
                pass
        return None

    def alive(self):
        if self.exit_code() is not None:
            return False
        pid = self.pid
        return pid is not None and pid_alive(pid)

    # -- start ------------------------------------------------------------------------------------
    def check_binary(self):
        if not os.access(self.bin, os.X_OK):
            raise HarnessError('commcelld binary not found at %s (build it, or set COMMCELL_BIN)'
                               % self.bin)

    def start(self, wait_ready=True, timeout=30):
        self.check_binary()
        if self.alive():
            raise HarnessError('daemon already running (pid %s)' % self.pid)
        if self.config is None or not os.path.exists(self.config):
            raise HarnessError('no config file written')
        with open(self.log, 'ab') as f:
            f.write(('---- %s starting %s --config %s\n'
                     % (time.strftime('%Y-%m-%d %H:%M:%S'), self.bin, self.config)).encode())
            self.log_offset = f.tell()
        argv = [self.bin, '--config', self.config]
        env = sanitizer_env()
        self.last_exit = None
        if self.detached:
            for n in ('pid', 'rc'):
                try:
                    os.unlink(self._f(n))
                except FileNotFoundError:
                    pass
            self._pid = None
            sup = [sys.executable, os.path.abspath(__file__), '_supervise', '--pidfile',
                   self._f('pid'), '--rcfile', self._f('rc'), '--log', self.log, '--'] + argv
            subprocess.Popen(sup, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True, close_fds=True,
                             cwd=self.run_dir)
            wait_until(lambda: self.pid, 10, 0.02, 'the supervisor to start commcelld')
        else:
            logf = open(self.log, 'ab')
            try:
                self.proc = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                                             stdout=logf, stderr=subprocess.STDOUT,
                                             start_new_session=True, close_fds=True)
            finally:
                logf.close()
        log('commcelld started (pid %s) on port %s' % (self.pid, self.port))
        if wait_ready:
            self.wait_ready(timeout)
        return self

    def get(self, path, timeout=5.0):
        return http_request(self.url + path, timeout=timeout)

    def _probe(self, path):
        try:
            return self.get(path, timeout=2)[0]
        except (OSError, urllib.error.URLError):
            return None

    def _check_running(self, what):
        if not self.alive():
            rc = self.exit_code()
            raise HarnessError('commcelld exited (code %s) while waiting for %s; log tail:\n%s'
                               % (rc, what, self.log_tail()))

    def wait_healthy(self, timeout=15):
        def ok():
            self._check_running('/healthz')
            return self._probe('/healthz') == 200
        try:
            wait_until(ok, timeout, 0.05, '/healthz 200')
        except HarnessError as e:
            if 'commcelld exited' in str(e):
                raise
            raise HarnessError('%s; log tail:\n%s' % (e, self.log_tail()))

    def wait_ready(self, timeout=30):
        def ok():
            self._check_running('/readyz')
            return self._probe('/readyz') == 200
        try:
            wait_until(ok, timeout, 0.05, '/readyz 200')
        except HarnessError as e:
            if 'commcelld exited' in str(e):
                raise
            raise HarnessError('%s; log tail:\n%s' % (e, self.log_tail()))

    # -- stop ---------------------------------------------------------------------------------------
    def _wait_exit(self, timeout):
        if self.proc is not None:
            try:
                return self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                return None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            rc = self.exit_code()
            if rc is not None:
                return rc
            if self.pid and not pid_alive(self.pid) and not self.detached:
                return -999
            time.sleep(0.02)
        return None

    def stop(self, timeout=10.0, check=True):
        """SIGTERM; assert exit code 0 within timeout and (when sanitized) a clean log.
        Returns the exit code. A daemon that does not exit in time is killed with SIGKILL."""
        if not self.alive():
            rc = self.exit_code()
            self.last_exit = rc
            if check:
                raise HarnessError('commcelld was not running at stop (exit code %s); log tail:\n%s'
                                   % (rc, self.log_tail()))
            return rc
        pid = self.pid
        os.kill(pid, signal.SIGTERM)
        t0 = time.monotonic()
        rc = self._wait_exit(timeout)
        if rc is None:
            self.kill9()
            if check:
                raise HarnessError('commcelld (pid %d) did not exit within %.0f s of SIGTERM; '
                                   'killed with SIGKILL; log tail:\n%s'
                                   % (pid, timeout, self.log_tail()))
            return None
        self.last_exit = rc
        log('commcelld stopped in %.2f s, exit code %s' % (time.monotonic() - t0, rc))
        if check:
            if rc != 0:
                raise HarnessError('commcelld exited with %s after SIGTERM (expected 0); log '
                                   'tail:\n%s' % (rc, self.log_tail()))
            self.check_sanitizer_log()
        self.proc = None
        self._pid = None
        return rc

    def kill9(self):
        pid = self.pid
        if pid and pid_alive(pid):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            rc = self._wait_exit(10)
            self.last_exit = rc
        self.proc = None
        self._pid = None

    def children(self):
        pid = self.pid
        return descendants(pid) if pid and pid_alive(pid) else []

    # -- logs ---------------------------------------------------------------------------------------
    def log_text(self, since_start=True):
        try:
            with open(self.log, 'rb') as f:
                if since_start:
                    f.seek(self.log_offset)
                return f.read().decode('utf-8', 'replace')
        except OSError:
            return ''

    def log_tail(self, n=40):
        return tail(self.log, n) if self.log else ''

    def sanitizer_findings(self):
        text = self.log_text()
        return [line for line in text.splitlines() if any(p in line for p in SANITIZER_PATTERNS)]

    def check_sanitizer_log(self):
        """When COMMCELL_SANITIZED=1: fail if the log since the last start holds sanitizer reports."""
        if not sanitized():
            return
        found = self.sanitizer_findings()
        if found:
            raise HarnessError('sanitizer reports in %s:\n%s\n(log tail:)\n%s'
                               % (self.log, '\n'.join(found[:20]), self.log_tail(60)))


def check_config(bin, path, timeout=10):
    """Run commcelld --check-config path; return (exit code, stdout, stderr)."""
    p = subprocess.run([bin, '--check-config', path], stdin=subprocess.DEVNULL,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout,
                       env=sanitizer_env())
    return p.returncode, p.stdout.decode('utf-8', 'replace'), p.stderr.decode('utf-8', 'replace')


# ----------------------------------------------------------------------------------------------
# WebSocket client

class SeqError(AssertionError):
    pass


class Message:
    __slots__ = ('raw', 'data', 't', 'type')

    def __init__(self, raw, data, t):
        self.raw, self.data, self.t = raw, data, t
        self.type = data.get('type') if isinstance(data, dict) else None

    def __repr__(self):
        r = self.raw if len(self.raw) < 400 else self.raw[:400] + '...'
        return '<Message %s>' % r


def entry_id(e):
    return (e.get('partner'), e.get('key'), e.get('site'))


ENTRY_FIELDS = {
    'key': str, 'site': str, 'partner': str, 'stage': str, 'label': str, 'unit': str,
    'decimals': int, 'higher_is_better': bool, 'amber': (int, float, type(None)),
    'red': (int, float, type(None)), 'value': (int, float, type(None)),
    'observed_at': (str, type(None)), 'status': str,
}


def entry_problems(e):
    """What is wrong with a metric entry, by docs/protocol.md (empty list: nothing)."""
    probs = []
    if not isinstance(e, dict):
        return ['entry is not an object: %r' % (e,)]
    for k, t in ENTRY_FIELDS.items():
        if k not in e:
            probs.append('missing field %r' % k)
            continue
        v = e[k]
        ok = isinstance(v, bool) if t is bool else (isinstance(v, t) and not isinstance(v, bool))
        if not ok:
            probs.append('field %r has type %s: %r' % (k, type(v).__name__, v))
    st = e.get('status')
    if st not in STATUSES:
        probs.append('status %r is not one of %s' % (st, STATUSES))
    if st in ('stale', 'error') and not (isinstance(e.get('reason'), str) and e['reason']):
        probs.append('status %s without a reason' % st)
    if isinstance(e.get('observed_at'), str):
        try:
            parse_iso_utc(e['observed_at'])
        except ValueError as ex:
            probs.append('observed_at: %s' % ex)
    if isinstance(e.get('value'), float) and not math.isfinite(e['value']):
        probs.append('value is not finite')
    return probs


class WsClient:
    """One commcell.v1 WebSocket connection.

    A background task reads every message as it arrives and stamps it with time.monotonic(), so
    latency measurements do not depend on when the test gets round to looking. The client keeps
    the board (entries by (partner, key, site)) and checks that each delta's seq is exactly one
    more than the previous snapshot's or delta's, and that a heartbeat's seq is the current one."""

    def __init__(self, url, name='client', origin=None, headers=None):
        require_libs()
        self.url = url
        self.name = name
        self.headers = headers or {}   # e.g. {'Cookie': 'commcell_session=...'}
        m = re.match(r'wss?://([^/]+)', url)
        self.origin = origin if origin is not None else ('http://%s' % m.group(1) if m else None)
        self.ws = None
        self.queue = asyncio.Queue()
        self.reader = None
        self.seq = None
        self.board = {}
        self.partners = {}
        self.messages = []       # every Message received, in order
        self.snapshot_msg = None
        self.closed_exc = None

    async def connect(self, timeout=10.0):
        self.ws = await asyncio.wait_for(
            websockets.connect(self.url, subprotocols=[SUBPROTOCOL], origin=self.origin,
                               extra_headers=self.headers, open_timeout=timeout, ping_interval=None, close_timeout=2,
                               max_size=64 * 1024 * 1024, max_queue=None),
            timeout + 1)
        if self.ws.subprotocol != SUBPROTOCOL:
            raise HarnessError('server chose subprotocol %r, expected %r'
                               % (self.ws.subprotocol, SUBPROTOCOL))
        self.reader = asyncio.ensure_future(self._read())
        return self

    async def _read(self):
        try:
            async for raw in self.ws:
                t = time.monotonic()
                if isinstance(raw, bytes):
                    self.queue.put_nowait(('binary', raw, t))
                    continue
                try:
                    data = json.loads(raw)
                except ValueError:
                    data = None
                self.queue.put_nowait(('msg', Message(raw, data, t), t))
        except Exception as e:  # noqa: BLE001 - connection closed with an error
            self.closed_exc = e
        self.queue.put_nowait(('closed', self.closed_exc, time.monotonic()))

    async def __aenter__(self):
        if self.ws is None:
            await self.connect()
        return self

    async def __aexit__(self, *exc):
        await self.close()

    async def close(self):
        if self.ws is not None:
            try:
                await asyncio.wait_for(self.ws.close(), 3)
            except Exception:  # noqa: BLE001
                pass
        if self.reader is not None:
            self.reader.cancel()
            try:
                await self.reader
            except BaseException:  # noqa: BLE001
                pass
            self.reader = None

    async def send(self, obj):
        await self.ws.send(obj if isinstance(obj, (str, bytes)) else json.dumps(obj))

    async def recv_raw(self, timeout=15.0):
        """Next Message without interpreting it (raises HarnessError on timeout or close)."""
        try:
            kind, m, t = await asyncio.wait_for(self.queue.get(), timeout)
        except asyncio.TimeoutError:
            raise HarnessError('%s: no message within %.1f s' % (self.name, timeout)) from None
        if kind == 'closed':
            self.queue.put_nowait((kind, m, t))   # stay closed for later callers
            raise ConnectionClosedError('%s: connection closed (%r)' % (self.name, m))
        if kind == 'binary':
            raise HarnessError('%s: server sent a binary frame (%d bytes)' % (self.name, len(m)))
        if m.data is None or not isinstance(m.data, dict) or 'type' not in m.data:
            raise HarnessError('%s: server sent a message that is not a JSON object with a type: %r'
                               % (self.name, m.raw[:300]))
        self.messages.append(m)
        return m

    def _apply(self, m):
        d = m.data
        typ = d.get('type')
        if typ == 'snapshot':
            seq = d.get('seq')
            if not isinstance(seq, int) or isinstance(seq, bool):
                raise SeqError('%s: snapshot seq is not an integer: %r' % (self.name, seq))
            if self.seq is not None and seq < self.seq:
                raise SeqError('%s: snapshot seq %d went back from %d' % (self.name, seq, self.seq))
            self.seq = seq
            self.board = {entry_id(e): e for e in d.get('metrics') or []}
            self.partners = {p.get('name'): p for p in d.get('partners') or []}
            self.snapshot_msg = m
        elif typ == 'delta':
            seq = d.get('seq')
            if self.seq is None:
                raise SeqError('%s: delta before any snapshot: %r' % (self.name, m.raw[:200]))
            if seq != self.seq + 1:
                raise SeqError('%s: delta seq %r after seq %d (expected %d)'
                               % (self.name, seq, self.seq, self.seq + 1))
            self.seq = seq
            for e in d.get('metrics') or []:
                self.board[entry_id(e)] = e
            for r in d.get('removed') or []:
                self.board.pop(entry_id(r), None)
            for p in d.get('partners') or []:
                self.partners[p.get('name')] = p
        elif typ == 'heartbeat':
            if self.seq is not None and d.get('seq') != self.seq:
                raise SeqError('%s: heartbeat seq %r but the last seq was %d'
                               % (self.name, d.get('seq'), self.seq))

    async def recv(self, timeout=15.0):
        """Next message, folded into the board with seq checks."""
        m = await self.recv_raw(timeout)
        self._apply(m)
        return m

    async def snapshot(self, timeout=15.0):
        """Read the first message, which must be a snapshot; return its data."""
        m = await self.recv_raw(timeout)
        if m.type != 'snapshot':
            raise HarnessError('%s: first message is %r, not a snapshot: %r'
                               % (self.name, m.type, m.raw[:300]))
        self._apply(m)
        return m.data

    async def wait_for(self, pred, timeout=10.0, types=('delta',)):
        """Read messages until pred(Message) is true for one whose type is in types; return it.
        Every message on the way is checked for seq continuity and folded into the board."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise HarnessError('%s: no matching %s within %.1f s (seq %s)'
                                   % (self.name, '/'.join(types), timeout, self.seq))
            try:
                m = await self.recv(left)
            except HarnessError as e:
                if 'no message within' in str(e):
                    raise HarnessError('%s: no matching %s within %.1f s (seq %s)'
                                       % (self.name, '/'.join(types), timeout, self.seq)) from None
                raise
            if m.type in types and pred(m):
                return m

    async def wait_delta(self, pred, timeout=10.0):
        return await self.wait_for(pred, timeout, ('delta',))

    async def wait_entry(self, partner, key, site='', cond=None, timeout=10.0,
                         types=('delta', 'snapshot')):
        """Wait for a delta (or a fresh snapshot) carrying the entry (partner, key, site) with
        cond(entry) true. Returns (Message, entry)."""
        found = {}

        def pred(m):
            for e in m.data.get('metrics') or []:
                if entry_id(e) == (partner, key, site) and (cond is None or cond(e)):
                    found['e'] = e
                    return True
            return False
        m = await self.wait_for(pred, timeout, types)
        return m, found['e']

    async def wait_value(self, partner, key, value, site='', timeout=10.0):
        return await self.wait_entry(partner, key, site,
                                     lambda e: same_value(e.get('value'), value), timeout)

    async def drain(self, quiet=0.3, limit=5.0):
        """Read (and fold in) whatever arrives until nothing has come for `quiet` seconds."""
        out = []
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            try:
                out.append(await self.recv(min(quiet, max(0.01, deadline - time.monotonic()))))
            except HarnessError as e:
                if 'no message within' in str(e):
                    break
                raise
        return out

    def entry(self, partner, key, site=''):
        return self.board.get((partner, key, site))


class ConnectionClosedError(HarnessError):
    pass


def same_value(a, b, eps=1e-9):
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) <= eps * max(1.0, abs(float(b)))


# ----------------------------------------------------------------------------------------------
# the standard test world

PARTNERS = {
    # name: (label, which cluster)
    'acute': ('Northgate Hospitals NHS Trust', 'main'),
    'community': ('Riverside Community Health', 'main'),
    'nhs111': ('NHS 111 North', 'main'),
    'ambulance': ('Northern Ambulance Service', 'ambulance'),
}


class MetricDef:
    def __init__(self, partner, key, label, unit, stage, higher_is_better, amber, red,
                 freshness_s, decimals, seed, expect):
        self.partner, self.key, self.label, self.unit, self.stage = partner, key, label, unit, stage
        self.higher_is_better, self.amber, self.red = higher_is_better, amber, red
        self.freshness_s, self.decimals = freshness_s, decimals
        self.seed = seed          # initial value inserted before the daemon starts (None: none)
        self.expect = expect      # the status that seed value must get

    @property
    def id(self):
        return (self.partner, self.key, '')


METRICS = [
    MetricDef('acute', 'ed.four_hour_performance', 'ED 4-hour performance', '%', 'ed',
              True, 95, 76, 600, 1, 96.0, 'green'),
    MetricDef('acute', 'beds.ga_occupancy', 'G&A bed occupancy', '%', 'beds',
              False, 92, 95, 600, 1, 93.5, 'amber'),
    MetricDef('acute', 'admission.waiting_for_bed', 'Waiting for a bed after decision to admit',
              'patients', 'admission', False, 10, 20, 600, 0, 25, 'red'),
    MetricDef('ambulance', 'ambulance.cat2_mean', 'Category 2 mean response', 'min', 'ambulance',
              False, 30, 40, 600, 0, 28, 'green'),
    MetricDef('ambulance', 'ambulance.handovers_over_60', 'Handovers over 60 minutes', 'patients',
              'ambulance', False, 3, 6, 600, 0, 1, 'green'),
    MetricDef('community', 'discharge.ready_not_discharged',
              'Ready to go home, not yet discharged', 'patients', 'discharge',
              False, 40, 60, 600, 0, 35, 'green'),
    MetricDef('community', 'community.care_home_beds_free', 'Care home beds free', 'beds',
              'community', True, 10, 5, 600, 0, 12, 'green'),
    MetricDef('nhs111', '111.calls_answered_60s', '111 calls answered within 60 s', '%', '111',
              True, 90, 80, 600, 1, 92.0, 'green'),
    MetricDef('nhs111', '111.calls_abandoned', '111 calls abandoned', '%', '111',
              False, 3, 5, 600, 1, None, 'stale'),
]


class Insert:
    __slots__ = ('id', 't_commit_start', 't_committed')

    def __init__(self, id, t0, t1):
        self.id, self.t_commit_start, self.t_committed = id, t0, t1


_live_envs = []


class Env:
    """Hub + partners acute, community, nhs111 on one cluster; partner ambulance on a second
    cluster (so its whole server can be stopped); partners/feeds/metrics registered in the hub;
    seed values inserted; daemon config written; daemon started.

    poll_ms: an int for every feed, or a dict partner -> poll_interval_ms (default 1000)."""

    def __init__(self, base_dir=None, poll_ms=1000, bin=None, http_port=None, log_level=None,
                 keep=None, detached=False, seed=True):
        require_libs()
        self.created_base = base_dir is None
        self.created_base_cli = False
        self.base = os.path.abspath(base_dir or tempfile.mkdtemp(prefix='commcell-it-'))
        os.makedirs(self.base, exist_ok=True)
        _ensure_traversable(self.base)
        os.chmod(self.base, 0o755)
        self.keep = (os.environ.get('COMMCELL_TEST_KEEP') == '1') if keep is None else keep
        self.poll = {p: (poll_ms.get(p, 1000) if isinstance(poll_ms, dict) else int(poll_ms))
                     for p in PARTNERS}
        self.seed_values = seed
        self.main = Cluster(os.path.join(self.base, 'pg-main'), name='main')
        self.amb = Cluster(os.path.join(self.base, 'pg-ambulance'),
                           avoid_port(self.main.port), name='ambulance')
        self.daemon = Daemon(bin or default_bin(), os.path.join(self.base, 'commcelld.conf'),
                             os.path.join(self.base, 'commcelld.log'), detached=detached,
                             run_dir=self.base)
        self.http_port = http_port or free_port(avoid={self.main.port, self.amb.port})
        self.log_level = log_level
        self.metrics = list(METRICS)
        self._ins = {}
        _live_envs.append(self)

    # -- clusters ---------------------------------------------------------------------------------
    def cluster_of(self, partner):
        return self.amb if PARTNERS[partner][1] == 'ambulance' else self.main

    @property
    def clusters(self):
        return [self.main, self.amb]

    def hub_conninfo(self):
        return self.main.conninfo('commcell', 'commcell')

    def partner_conninfo(self, partner, user='postgres'):
        return self.cluster_of(partner).conninfo('partner_' + partner, user)

    def hub(self, sql, params=None):
        return self.main.execute('commcell', sql, params)

    def partner_sql(self, partner, sql, params=None):
        return self.cluster_of(partner).execute('partner_' + partner, sql, params)

    def setup_clusters(self):
        """Create, start and migrate both clusters (in parallel: each takes a few seconds)."""
        t0 = time.monotonic()
        errors = []

        def provision(cluster, hub):
            try:
                cluster.provision(hub=hub, partners=[p for p in PARTNERS
                                                     if self.cluster_of(p) is cluster])
            except BaseException as e:  # noqa: BLE001 - re-raised below
                errors.append(e)
        threads = [threading.Thread(target=provision, args=(self.main, True)),
                   threading.Thread(target=provision, args=(self.amb, False))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if errors:
            raise errors[0]
        self.register()
        if self.seed_values:
            self.seed()
        log('clusters ready in %.1f s (main port %d, ambulance port %d, %s backend)'
            % (time.monotonic() - t0, self.main.port, self.amb.port, self.main.backend))

    def register(self):
        """Insert this test world's partners, feeds and metrics into the hub."""
        for p, (label, _) in PARTNERS.items():
            self.hub('INSERT INTO commcell.partner (name, label, conninfo) VALUES (%s, %s, %s) '
                     'ON CONFLICT (name) DO UPDATE SET label = EXCLUDED.label, '
                     'conninfo = EXCLUDED.conninfo',
                     (p, label, self.partner_conninfo(p, 'commcell_reader')))
            self.hub('DELETE FROM commcell.feed WHERE partner = %s', (p,))
            self.hub('INSERT INTO commcell.feed (partner, poll_interval_ms, statement_timeout_ms) '
                     'VALUES (%s, %s, 5000)', (p, self.poll[p]))
        for i, m in enumerate(self.metrics):
            self.hub('INSERT INTO commcell.metric (partner, key, label, unit, stage, '
                     'higher_is_better, amber, red, freshness_s, decimals, position) '
                     'VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) ON CONFLICT (partner, key) DO '
                     'UPDATE SET label = EXCLUDED.label, unit = EXCLUDED.unit, '
                     'stage = EXCLUDED.stage, higher_is_better = EXCLUDED.higher_is_better, '
                     'amber = EXCLUDED.amber, red = EXCLUDED.red, '
                     'freshness_s = EXCLUDED.freshness_s, decimals = EXCLUDED.decimals, '
                     'position = EXCLUDED.position',
                     (m.partner, m.key, m.label, m.unit, m.stage, m.higher_is_better, m.amber,
                      m.red, m.freshness_s, m.decimals, i))

    def set_poll_interval(self, partner, ms):
        self.poll[partner] = ms
        self.hub('UPDATE commcell.feed SET poll_interval_ms = %s WHERE partner = %s', (ms, partner))

    def seed(self):
        for m in self.metrics:
            if m.seed is not None:
                self.insert(m.partner, m.key, m.seed)

    # -- observations -------------------------------------------------------------------------------
    def _insert_conn(self, partner):
        c = self._ins.get(partner)
        if c is None or c.closed:
            c = self.cluster_of(partner).connect('partner_' + partner, autocommit=False)
            self._ins[partner] = c
        return c

    def insert(self, partner, metric, value, site='', observed_at=None):
        """Insert one observation as superuser and commit. Returns Insert(id, t0, t1) where t0
        and t1 are time.monotonic() just before and just after COMMIT."""
        sql = ('INSERT INTO commcell.observation (metric, site, value%s) VALUES (%%s, %%s, %%s%s) '
               'RETURNING id' % ((', observed_at', ', %s') if observed_at is not None else ('', '')))
        params = (metric, site, value) + ((observed_at,) if observed_at is not None else ())
        for attempt in (0, 1):
            c = self._insert_conn(partner)
            try:
                with c.cursor() as cur:
                    cur.execute(sql, params)
                    rid = cur.fetchone()[0]
                t0 = time.monotonic()
                c.commit()
                t1 = time.monotonic()
                return Insert(rid, t0, t1)
            except (psycopg2.OperationalError, psycopg2.InterfaceError):
                try:
                    c.close()
                except Exception:  # noqa: BLE001
                    pass
                self._ins.pop(partner, None)
                if attempt:
                    raise

    async def ainsert(self, partner, metric, value, site='', observed_at=None):
        return await asyncio.to_thread(self.insert, partner, metric, value, site, observed_at)

    def set_notify_trigger(self, partner, enabled):
        self.partner_sql(partner, 'ALTER TABLE commcell.observation %s TRIGGER observation_notify'
                         % ('ENABLE' if enabled else 'DISABLE'))

    def close_insert_connections(self):
        for c in self._ins.values():
            try:
                c.close()
            except Exception:  # noqa: BLE001
                pass
        self._ins.clear()

    # -- daemon -------------------------------------------------------------------------------------
    def write_config(self, **extra):
        return self.daemon.write_config(self.http_port, self.hub_conninfo(),
                                        log_level=self.log_level, **extra)

    def start_daemon(self, wait_ready=True, timeout=30):
        if not os.path.exists(self.daemon.config):
            self.write_config()
        return self.daemon.start(wait_ready, timeout)

    def start(self, daemon=True):
        try:
            self.setup_clusters()
            self.write_config()
            if daemon:
                self.start_daemon()
        except BaseException:
            self.close()
            raise
        return self

    @property
    def url(self):
        return self.daemon.url

    @property
    def ws_url(self):
        return self.daemon.ws_url

    def get(self, path, timeout=5.0):
        return self.daemon.get(path, timeout)

    def get_json(self, path, timeout=5.0):
        status, headers, body = self.get(path, timeout)
        if status != 200:
            raise HarnessError('GET %s: %d %r' % (path, status, body[:300]))
        return json.loads(body)

    def client(self, name='client'):
        return WsClient(self.ws_url, name)

    def env_json(self):
        return {'url': self.url, 'ws': self.ws_url, 'hub': self.hub_conninfo(),
                'partners': {p: self.partner_conninfo(p) for p in PARTNERS},
                'daemon_pid': self.daemon.pid, 'daemon_log': self.daemon.log,
                'state_dir': self.base}

    # -- teardown -----------------------------------------------------------------------------------
    def close(self, check_daemon=False):
        """Stop the daemon (SIGTERM, then SIGKILL) and both clusters; remove the state dir
        unless keep. With check_daemon, a bad daemon exit raises after cleanup."""
        err = None
        try:
            if self.daemon.alive():
                try:
                    self.daemon.stop(check=check_daemon)
                except HarnessError as e:
                    err = e
                finally:
                    self.daemon.kill9()
            elif check_daemon and self.daemon.exit_code() not in (None, 0):
                err = HarnessError('commcelld had exited by itself with %s; log tail:\n%s'
                                   % (self.daemon.exit_code(), self.daemon.log_tail()))
        finally:
            self.close_insert_connections()
            for c in self.clusters:
                try:
                    c.close_connections()
                    c.thaw()
                    if c.is_running():
                        c.stop(mode='immediate')
                except Exception as e:  # noqa: BLE001
                    log('stopping cluster %s: %s' % (c.name, e))
            if self in _live_envs:
                _live_envs.remove(self)
            if not self.keep:
                shutil.rmtree(self.base, ignore_errors=True)
            else:
                log('kept state in %s' % self.base)
        if err:
            raise err


# ----------------------------------------------------------------------------------------------
# the demo's shape: partners with operational schemas, metrics computed by query feeds

DEMO_PARTNERS = ('acute', 'ambulance', '111', 'community', 'mental_health')


class DemoEnv:
    """One cluster holding the hub and the demo partners, each database partner_<name> with its
    operational schema ops (sql/partner-ops/<name>.sql), and the demo configuration
    sql/demo/seed.sql loaded into the hub: partners, metrics and the query feeds whose SQL
    implements the NHS definitions. Optionally commcelld on top. Nothing writes into the
    partners but the test (no simulator).

    poll_ms: when set, every feed's poll_interval_ms is set to it after the seed is loaded."""

    def __init__(self, base_dir=None, partners=DEMO_PARTNERS, bin=None, http_port=None,
                 log_level=None, keep=None, poll_ms=None):
        require_libs()
        unknown = [p for p in partners if p not in DEMO_PARTNERS]
        if unknown:
            raise ValueError('not demo partners: %s' % ', '.join(unknown))
        self.created_base = base_dir is None
        self.base = os.path.abspath(base_dir or tempfile.mkdtemp(prefix='commcell-demo-'))
        os.makedirs(self.base, exist_ok=True)
        _ensure_traversable(self.base)
        os.chmod(self.base, 0o755)
        self.keep = (os.environ.get('COMMCELL_TEST_KEEP') == '1') if keep is None else keep
        self.partners = tuple(partners)
        self.poll_ms = poll_ms
        self.cluster = Cluster(os.path.join(self.base, 'pg'), name='demo')
        self.cluster.no_fsync = True   # bulk loads of published data; nothing here must survive
        self.daemon = Daemon(bin or default_bin(), os.path.join(self.base, 'commcelld.conf'),
                             os.path.join(self.base, 'commcelld.log'), run_dir=self.base)
        self.port_given = bool(http_port)
        self.http_port = http_port or free_port(avoid={self.cluster.port})
        self.log_level = log_level
        _live_envs.append(self)

    @property
    def clusters(self):
        return [self.cluster]

    # -- set-up -------------------------------------------------------------------------------------
    def setup_cluster(self):
        t0 = time.monotonic()
        self.cluster.provision(hub=True, partners=self.partners)
        self.cluster.load_seed()
        missing = [p for p in DEMO_PARTNERS if p not in self.partners]
        if missing:
            self.hub('DELETE FROM commcell.partner WHERE name = ANY(%s)', (missing,))
        if self.poll_ms:
            self.hub('UPDATE commcell.feed SET poll_interval_ms = %s', (int(self.poll_ms),))
        log('demo cluster ready in %.1f s (port %d, %s backend)'
            % (time.monotonic() - t0, self.cluster.port, self.cluster.backend))

    def start(self, daemon=False):
        try:
            self.setup_cluster()
            self.write_config()
            if daemon:
                self.start_daemon()
        except BaseException:
            self.close()
            raise
        return self

    # -- SQL ----------------------------------------------------------------------------------------
    def hub_conninfo(self):
        return self.cluster.conninfo('commcell', 'commcell')

    def partner_conninfo(self, partner, user='postgres'):
        return self.cluster.conninfo('partner_' + partner, user)

    def hub(self, sql, params=None):
        return self.cluster.execute('commcell', sql, params)

    def partner_sql(self, partner, sql, params=None):
        """Run sql in partner_<partner> as superuser (autocommit); rows or None."""
        return self.cluster.execute('partner_' + partner, sql, params)

    def feed_query(self, partner, metric, with_as_of=False):
        """The SQL of the query feed that computes metric at partner, as the hub holds it (and,
        with_as_of, whether it takes the instant as $1: (sql, as_of))."""
        rows = self.hub("SELECT query, as_of FROM commcell.feed WHERE kind = 'query' "
                        'AND partner = %s AND metric = %s', (partner, metric))
        if not rows:
            raise HarnessError('the hub has no query feed for %s at %s' % (metric, partner))
        return tuple(rows[0]) if with_as_of else rows[0][0]

    def run_feed(self, partner, metric, timeout_ms=30000, at=None):
        """Run the feed's query the way commcelld does: as commcell_reader, read-only, with a
        statement timeout, one statement. Returns {site: value}; checks the result's shape.
        A feed with as_of gets the instant as $1 (a server-side parameter, as commcelld sends
        it): at (ISO 8601 text or a datetime), else the transaction's now()."""
        sql, as_of = self.feed_query(partner, metric, with_as_of=True)
        c = psycopg2.connect(self.partner_conninfo(partner, 'commcell_reader'), connect_timeout=5,
                             options='-c default_transaction_read_only=on '
                                     '-c statement_timeout=%d' % int(timeout_ms))
        try:
            c.autocommit = True
            with c.cursor() as cur:
                if as_of:
                    cur.execute('PREPARE feed_as_of(timestamptz) AS ' + sql)
                    if at is None:
                        cur.execute('EXECUTE feed_as_of(now())')
                    else:
                        cur.execute('EXECUTE feed_as_of(%s)', (at,))
                else:
                    cur.execute(sql)
                if len(cur.description) != 2:
                    raise HarnessError('%s: query returned %d columns, not (site, value)'
                                       % (metric, len(cur.description)))
                out = {}
                for site, value in cur.fetchall():
                    if site in out:
                        raise HarnessError('%s: site %r returned twice' % (metric, site))
                    if value is None or not math.isfinite(value):
                        raise HarnessError('%s: site %r has value %r (would be quarantined)'
                                           % (metric, site, value))
                    out['' if site is None else site] = float(value)
                return out
        finally:
            c.close()

    def copy_rows(self, partner, table, columns, rows):
        """COPY rows (tuples; None is NULL) into partner table (e.g. ops.incident) as superuser."""
        import csv
        import io
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator='\n')
        n = 0
        for r in rows:
            w.writerow(['' if v is None else v for v in r])
            n += 1
        buf.seek(0)
        c = self.cluster.connect('partner_' + partner, autocommit=False)
        try:
            with c.cursor() as cur:
                cur.copy_expert('COPY %s (%s) FROM STDIN WITH (FORMAT csv)'
                                % (table, ', '.join(columns)), buf)
            c.commit()
        finally:
            c.close()
        return n

    def reset_ops(self, partner):
        """Empty every table of the partner's operational schema."""
        tables = self.partner_sql(partner, "SELECT string_agg(format('%I.%I', schemaname, "
                                           "tablename), ', ') FROM pg_tables WHERE schemaname = 'ops'")
        if tables and tables[0][0]:
            self.partner_sql(partner, 'TRUNCATE %s RESTART IDENTITY CASCADE' % tables[0][0])

    # -- daemon -------------------------------------------------------------------------------------
    def write_config(self, **extra):
        # The demo's feeds take their instant as $1, so commcelld backfills their history from
        # the partners' rows: six weeks of it costs minutes of partner queries, which tests that
        # are not about it do without (test_backfill covers it; pass backfill_days to change).
        extra.setdefault('backfill_days', '1')
        return self.daemon.write_config(self.http_port, self.hub_conninfo(),
                                        log_level=self.log_level, **extra)

    def start_daemon(self, wait_ready=True, timeout=30):
        if not os.path.exists(self.daemon.config):
            # the port was picked when the env was made, often minutes of data loading ago
            if not self.port_given and not port_still_free(self.http_port):
                self.http_port = free_port(avoid={self.cluster.port})
            self.write_config()
        return self.daemon.start(wait_ready, timeout)

    @property
    def url(self):
        return self.daemon.url

    @property
    def ws_url(self):
        return self.daemon.ws_url

    def get(self, path, timeout=5.0):
        return self.daemon.get(path, timeout)

    def client(self, name='client'):
        return WsClient(self.ws_url, name)

    def close(self, check_daemon=False):
        """Stop the daemon and the cluster; remove the state dir unless keep."""
        err = None
        try:
            if self.daemon.alive():
                try:
                    self.daemon.stop(check=check_daemon)
                except HarnessError as e:
                    err = e
                finally:
                    self.daemon.kill9()
            elif check_daemon and self.daemon.exit_code() not in (None, 0):
                err = HarnessError('commcelld had exited by itself with %s; log tail:\n%s'
                                   % (self.daemon.exit_code(), self.daemon.log_tail()))
        finally:
            try:
                self.cluster.close_connections()
                if self.cluster.is_running():
                    self.cluster.stop(mode='immediate')
            except Exception as e:  # noqa: BLE001
                log('stopping cluster %s: %s' % (self.cluster.name, e))
            if self in _live_envs:
                _live_envs.remove(self)
            if not self.keep:
                shutil.rmtree(self.base, ignore_errors=True)
            else:
                log('kept state in %s' % self.base)
        if err:
            raise err


def avoid_port(p):
    return free_port(avoid={p})


@atexit.register
def _cleanup_live_envs():
    for env in list(_live_envs):
        try:
            env.close()
        except Exception as e:  # noqa: BLE001
            log('cleanup: %s' % e)


def live_envs():
    return list(_live_envs)


def run(coro, timeout=120):
    """asyncio.run with an overall timeout (tests must never hang the suite)."""
    async def guarded():
        return await asyncio.wait_for(coro, timeout)
    return asyncio.run(guarded())


# ----------------------------------------------------------------------------------------------
# CLI

STATE_FILE = 'harness-state.json'


def _save_state(env, d):
    state = {'base': env.base, 'created_base': env.created_base_cli,
             'clusters': {'main': env.main.describe(), 'ambulance': env.amb.describe()},
             'daemon': {'bin': env.daemon.bin, 'config': env.daemon.config, 'log': env.daemon.log,
                        'port': env.http_port},
             'poll': env.poll, 'log_level': env.log_level}
    tmp = os.path.join(d, STATE_FILE + '.tmp')
    with open(tmp, 'w') as f:
        json.dump(state, f, indent=2)
    os.replace(tmp, os.path.join(d, STATE_FILE))


def _write_env_json(env, d):
    tmp = os.path.join(d, 'env.json.tmp')
    with open(tmp, 'w') as f:
        json.dump(env.env_json(), f, indent=2)
        f.write('\n')
    os.replace(tmp, os.path.join(d, 'env.json'))


def _load_env(d):
    path = os.path.join(d, STATE_FILE)
    try:
        with open(path) as f:
            st = json.load(f)
    except FileNotFoundError:
        raise SystemExit('commcell_env: %s not found; was `start --dir %s` run?' % (path, d))
    env = Env.__new__(Env)
    env.created_base = False
    env.created_base_cli = st.get('created_base', False)
    env.base = st['base']
    env.keep = True
    env.poll = st.get('poll', {})
    env.seed_values = False
    env.main = Cluster(st['clusters']['main']['state_dir'], st['clusters']['main']['port'],
                       st['clusters']['main']['backend'], 'main')
    env.amb = Cluster(st['clusters']['ambulance']['state_dir'],
                      st['clusters']['ambulance']['port'], st['clusters']['ambulance']['backend'],
                      'ambulance')
    dd = st['daemon']
    env.daemon = Daemon(dd['bin'], dd['config'], dd['log'], detached=True, run_dir=env.base)
    env.daemon.port = dd['port']
    env.http_port = dd['port']
    env.log_level = st.get('log_level')
    env.metrics = list(METRICS)
    env._ins = {}
    return env


def _cmd_start(a):
    d = os.path.abspath(a.dir)
    if os.path.exists(os.path.join(d, STATE_FILE)):
        raise SystemExit('commcell_env: %s already holds a running environment; '
                         '`stop --dir %s` first' % (d, d))
    created = not os.path.exists(d)
    os.makedirs(d, exist_ok=True)
    env = Env(base_dir=d, poll_ms=a.poll_ms, bin=a.bin, http_port=a.port, log_level=a.log_level,
              keep=True, detached=True)
    env.created_base_cli = created
    _live_envs.remove(env)    # the CLI leaves it running on purpose
    try:
        env.setup_clusters()
        env.write_config(**({'allow_anonymous_display': 'false'} if a.no_anonymous_display
                            else {}))
        _save_state(env, d)
        env.start_daemon(timeout=a.timeout)
    except BaseException:
        log('start failed; stopping what was started')
        try:
            env.daemon.kill9()
            for c in env.clusters:
                if c.is_running():
                    c.stop(mode='immediate')
        finally:
            try:
                os.unlink(os.path.join(d, STATE_FILE))
            except FileNotFoundError:
                pass
        raise
    env.close_insert_connections()
    for c in env.clusters:
        c.close_connections()
    _write_env_json(env, d)
    print(json.dumps(env.env_json(), indent=2))


def _cmd_stop(a):
    d = os.path.abspath(a.dir)
    env = _load_env(d)
    problems = []
    try:
        if env.daemon.alive():
            env.daemon.stop(check=True)
        else:
            rc = env.daemon.exit_code()
            if rc not in (None, 0):
                problems.append('commcelld had already exited with %s; log tail:\n%s'
                                % (rc, env.daemon.log_tail()))
            env.daemon.check_sanitizer_log()
    except HarnessError as e:
        problems.append(str(e))
    finally:
        env.daemon.kill9()
    for c in env.clusters:
        try:
            c.thaw()
            if c.is_running():
                c.stop()
        except Exception as e:  # noqa: BLE001
            problems.append('stopping cluster %s: %s' % (c.name, e))
    if problems:
        sys.stderr.write('\n'.join(problems) + '\n')
    if a.keep_logs or problems:
        for c in env.clusters:
            shutil.rmtree(c.state_dir, ignore_errors=True)
        for n in (STATE_FILE, 'env.json', 'commcelld.pid', 'commcelld.rc'):
            try:
                os.unlink(os.path.join(d, n))
            except FileNotFoundError:
                pass
        if problems:
            sys.stderr.write('logs kept in %s\n' % d)
    elif env.created_base_cli:
        shutil.rmtree(d, ignore_errors=True)
    else:
        for c in env.clusters:
            shutil.rmtree(c.state_dir, ignore_errors=True)
        for n in (STATE_FILE, 'env.json', 'commcelld.pid', 'commcelld.rc', 'commcelld.conf',
                  'commcelld.log'):
            try:
                os.unlink(os.path.join(d, n))
            except FileNotFoundError:
                pass
    return 1 if problems else 0


def _cmd_stop_daemon(a):
    d = os.path.abspath(a.dir)
    env = _load_env(d)
    if not env.daemon.alive():
        sys.stderr.write('commcelld is not running (last exit code %s)\n' % env.daemon.exit_code())
        return 1
    env.daemon.stop(check=True)
    return 0


def _cmd_start_daemon(a):
    d = os.path.abspath(a.dir)
    env = _load_env(d)
    if env.daemon.alive():
        sys.stderr.write('commcelld already running (pid %s)\n' % env.daemon.pid)
        return 1
    env.daemon.start(wait_ready=True, timeout=a.timeout)
    _write_env_json(env, d)
    print(json.dumps(env.env_json(), indent=2))
    return 0


def _cmd_restart_daemon(a):
    d = os.path.abspath(a.dir)
    env = _load_env(d)
    if env.daemon.alive():
        env.daemon.stop(check=True)
    env.daemon.start(wait_ready=True, timeout=a.timeout)
    _write_env_json(env, d)
    print(json.dumps(env.env_json(), indent=2))
    return 0


def _cmd_supervise(a):
    """Internal: run commcelld, record its pid and exit code (the CLI has gone by then)."""
    for s in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM):
        signal.signal(s, signal.SIG_IGN)
    argv = a.argv[1:] if a.argv and a.argv[0] == '--' else a.argv
    with open(a.log, 'ab') as logf:
        p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT,
                             preexec_fn=lambda: [signal.signal(s, signal.SIG_DFL) for s in
                                                 (signal.SIGINT, signal.SIGHUP, signal.SIGTERM)])
    tmp = a.pidfile + '.tmp'
    with open(tmp, 'w') as f:
        f.write('%d\n' % p.pid)
    os.replace(tmp, a.pidfile)
    rc = p.wait()
    tmp = a.rcfile + '.tmp'
    with open(tmp, 'w') as f:
        f.write('%d\n' % rc)
    os.replace(tmp, a.rcfile)
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(prog='commcell_env.py', description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest='cmd', required=True)
    default_dir = os.environ.get('COMMCELL_ENV_DIR')

    def with_dir(p):
        p.add_argument('--dir', default=default_dir, required=default_dir is None,
                       help='state directory (default $COMMCELL_ENV_DIR)')
        return p

    s = with_dir(sub.add_parser('start', help='start clusters and daemon, write DIR/env.json'))
    s.add_argument('--port', type=int, default=None, help='daemon HTTP/WS port (default: free)')
    s.add_argument('--poll-ms', type=int, default=1000, help='poll_interval_ms of every feed')
    s.add_argument('--bin', default=None, help='commcelld binary (default $COMMCELL_BIN or '
                                               'build/daemon/commcelld)')
    s.add_argument('--log-level', default=None, choices=['error', 'warn', 'info', 'debug'])
    s.add_argument('--timeout', type=float, default=30, help='seconds to wait for /readyz')
    s.add_argument('--no-anonymous-display', action='store_true',
                   help='allow_anonymous_display = false: the board needs a sign-in')
    s = with_dir(sub.add_parser('stop', help='stop everything and clean up'))
    s.add_argument('--keep-logs', action='store_true', help='keep DIR/*.log')
    with_dir(sub.add_parser('stop-daemon', help='SIGTERM commcelld, check it exits 0'))
    for n in ('start-daemon', 'restart-daemon'):
        s = with_dir(sub.add_parser(n, help='%s commcelld and wait for /readyz' % n.split('-')[0]))
        s.add_argument('--timeout', type=float, default=30)
    s = sub.add_parser('_supervise')
    s.add_argument('--pidfile', required=True)
    s.add_argument('--rcfile', required=True)
    s.add_argument('--log', required=True)
    s.add_argument('argv', nargs=argparse.REMAINDER)
    a = ap.parse_args(argv)
    if a.cmd == '_supervise':
        return _cmd_supervise(a)
    require_libs()
    fn = {'start': _cmd_start, 'stop': _cmd_stop, 'stop-daemon': _cmd_stop_daemon,
          'start-daemon': _cmd_start_daemon, 'restart-daemon': _cmd_restart_daemon}[a.cmd]
    try:
        return fn(a) or 0
    except HarnessError as e:
        sys.stderr.write('commcell_env %s: %s\n' % (a.cmd, e))
        return 1


if __name__ == '__main__':
    sys.exit(main())
