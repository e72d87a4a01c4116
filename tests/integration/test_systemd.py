"""systemd's notify protocol, spoken to a NOTIFY_SOCKET this test owns: READY=1 only once /readyz
answers 200, STATUS= in words, WATCHDOG=1 from the event loop at half of WATCHDOG_USEC (and not
for another process's WATCHDOG_PID), STOPPING=1 on SIGTERM."""

import os
import signal
import socket
import struct
import threading
import time
import unittest

from itbase import EnvCase, ce, out


class NotifySocket:
    """A unix datagram socket like systemd's: every message with its sender's pid and arrival
    time, collected by a thread so the daemon never waits on a full queue."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.sock.settimeout(0.2)
        self.messages = []    # (monotonic time, sender pid, {field: value})
        self.lock = threading.Lock()
        self.done = False
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        space = socket.CMSG_SPACE(struct.calcsize('iII'))
        while not self.done:
            try:
                data, anc, _, _ = self.sock.recvmsg(4096, space)
            except socket.timeout:
                continue
            except OSError:
                return
            pid = None
            for level, kind, payload in anc:
                if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
                    pid = struct.unpack('iII', payload[:12])[0]
            fields = dict(line.split('=', 1) for line in data.decode().split('\n') if '=' in line)
            with self.lock:
                self.messages.append((time.monotonic(), pid, fields))

    def since(self, t0=0.0, field=None):
        with self.lock:
            return [m for m in self.messages if m[0] >= t0 and (field is None or field in m[2])]

    def wait_for(self, field, timeout, t0=0.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            got = self.since(t0, field)
            if got:
                return got[0]
            time.sleep(0.02)
        return None

    def close(self):
        self.done = True
        self.thread.join(2)
        self.sock.close()
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass


class SystemdNotifyTest(EnvCase):
    start_daemon = False

    def setUp(self):
        self.notify = NotifySocket(os.path.join(self.env.base, 'notify.sock'))

    def tearDown(self):
        self.notify.close()

    def launch(self, watchdog_usec='2000000', watchdog_pid=None):
        """Start commcelld as systemd would, with NOTIFY_SOCKET and the watchdog variables."""
        saved = {k: os.environ.get(k) for k in ('NOTIFY_SOCKET', 'WATCHDOG_USEC', 'WATCHDOG_PID')}
        os.environ['NOTIFY_SOCKET'] = self.notify.path
        os.environ.pop('WATCHDOG_PID', None)
        if watchdog_usec:
            os.environ['WATCHDOG_USEC'] = watchdog_usec
        if watchdog_pid:
            os.environ['WATCHDOG_PID'] = str(watchdog_pid)
        try:
            self.env.daemon.start(wait_ready=False)
        finally:
            for k, v in saved.items():
                if v is None:
                    os.environ.pop(k, None)
                else:
                    os.environ[k] = v
        self.env.daemon.wait_healthy(15)
        return self.env.daemon.pid

    def test_01_ready_only_once_readyz_says_200(self):
        env = self.env
        env.main.stop()                       # the hub is down: the daemon cannot be ready
        try:
            pid = self.launch()
            seen = set()
            t_end = time.monotonic() + 3.0
            while time.monotonic() < t_end:
                seen.add(env.get('/readyz')[0])
                time.sleep(0.2)
            self.assertEqual(seen, {503}, '/readyz while the hub is down')
            self.assertEqual(self.notify.since(0, 'READY'), [],
                             'READY=1 sent while /readyz answered 503')
            waiting = self.notify.since(0, 'STATUS')
            self.assertTrue(waiting, 'no STATUS= while waiting for the hub')
            self.assertTrue(waiting[-1][2]['STATUS'].startswith('waiting'),
                            'status while the hub is down: %r' % waiting[-1][2])
        finally:
            env.main.start()
        t_hub = time.monotonic()
        ready = self.notify.wait_for('READY', 60)
        self.assertIsNotNone(ready, 'no READY=1 after the hub came back; log tail:\n%s'
                             % env.daemon.log_tail())
        # the moment systemd is told, /readyz says so too
        self.assertEqual(env.get('/readyz')[0], 200, '/readyz right after READY=1')
        out('READY=1 %.1f s after the hub came back' % (ready[0] - t_hub))
        self.assertEqual(ready[2]['READY'], '1')
        self.assertEqual(ready[1], pid, 'READY=1 must come from the main process')
        self.assertEqual(ready[2].get('STATUS'), 'ready: %d partners, leader' % len(ce.PARTNERS),
                         'the status sent with READY=1')
        time.sleep(1.5)
        self.assertEqual(len(self.notify.since(0, 'READY')), 1, 'READY=1 is sent once')

    def test_02_watchdog_pings_from_the_loop(self):
        d = self.env.daemon
        if not d.alive():
            self.launch()
        else:
            d.stop()
            self.launch()
        self.assertIsNotNone(self.notify.wait_for('READY', 60), 'no READY=1')
        t0 = time.monotonic()
        time.sleep(3.5)
        pings = self.notify.since(t0, 'WATCHDOG')
        out('%d WATCHDOG=1 in 3.5 s with WATCHDOG_USEC=2000000' % len(pings))
        self.assertGreaterEqual(len(pings), 3, 'WATCHDOG=1 at half of WATCHDOG_USEC (1 s)')
        self.assertTrue(all(p[1] == d.pid for p in pings), 'pings from the main process')
        # a stuck loop stops the pings: that is what makes systemd restart it
        os.kill(d.pid, signal.SIGSTOP)
        try:
            time.sleep(0.3)
            t_stop = time.monotonic()
            time.sleep(2.5)
            self.assertEqual(self.notify.since(t_stop, 'WATCHDOG'), [],
                             'WATCHDOG=1 while the process was stopped')
        finally:
            os.kill(d.pid, signal.SIGCONT)
        t_cont = time.monotonic()
        self.assertIsNotNone(self.notify.wait_for('WATCHDOG', 5, t_cont),
                             'pings resume once the loop turns again')

    def test_03_no_watchdog_for_another_pid(self):
        d = self.env.daemon
        if d.alive():
            d.stop()
        # sd_watchdog_enabled(3): WATCHDOG_PID names the process meant; others must not ping
        self.launch(watchdog_pid=1)
        self.assertIsNotNone(self.notify.wait_for('READY', 60), 'no READY=1')
        time.sleep(2.5)
        self.assertEqual(self.notify.since(0, 'WATCHDOG'), [],
                         'WATCHDOG=1 sent although WATCHDOG_PID is another process')

    def test_04_stopping_on_sigterm(self):
        d = self.env.daemon
        if d.alive():
            d.stop()
        pid = self.launch()
        self.assertIsNotNone(self.notify.wait_for('READY', 60), 'no READY=1')
        t0 = time.monotonic()
        os.kill(pid, signal.SIGTERM)
        rc = d._wait_exit(15)
        self.assertEqual(rc, 0, 'exit code after SIGTERM; log tail:\n%s' % d.log_tail())
        d.check_sanitizer_log()
        d.proc = None
        stopping = self.notify.wait_for('STOPPING', 2, t0)
        self.assertIsNotNone(stopping, 'no STOPPING=1 on SIGTERM')
        self.assertEqual(stopping[1], pid)
        later = [m for m in self.notify.since(stopping[0]) if 'READY' in m[2]]
        self.assertEqual(later, [], 'READY=1 after STOPPING=1')


if __name__ == '__main__':
    unittest.main()
