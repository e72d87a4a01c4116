"""Parallel direct fan-out (daemon/fanout.c, bus.c): with fanout_threads 2 and a batch of 4, every
broadcast to a handful of clients is split between two threads that send straight to the sockets.
Checked with plain sockets that parse every WebSocket frame themselves, so a frame cut or
interleaved anywhere shows up as a broken stream:

- forty clients get every delta, byte for byte the same, in order, and /metrics says two threads
  sent them;
- a client that stops reading (tiny receive buffer) fills its socket mid-frame: the others keep
  getting everything at once, and when it reads again its stream is whole — the rest of a cut
  frame first, then queued deltas or a fresh snapshot, never a gap without a snapshot."""

import json
import select
import socket
import threading
import time

from itbase import EnvCase, ce, out

SITES = 150          # rows per large change: one delta of ~30 KiB


class RawWs:
    """A WebSocket client on a bare socket: handshake, then frames parsed by hand."""

    def __init__(self, host, port, rcvbuf=None):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        self.sock.settimeout(10)
        self.sock.connect((host, port))
        self.sock.sendall(('GET /ws HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\n'
                           'Connection: Upgrade\r\nSec-WebSocket-Key: dGVzdC1mYW5vdXQtMDE=\r\n'
                           'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: commcell.v1\r\n'
                           '\r\n' % (host, port)).encode())
        head = b''
        while b'\r\n\r\n' not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise AssertionError('connection closed during the handshake')
            head += chunk
        head, self.buf = head.split(b'\r\n\r\n', 1)
        if not head.startswith(b'HTTP/1.1 101'):
            raise AssertionError('handshake refused: %r' % head[:200])
        self.sock.setblocking(False)
        self.messages = []     # (raw bytes, parsed JSON) of each text frame, in order
        self.problems = []
        self._parse()          # the snapshot may have come with the 101

    def fileno(self):
        return self.sock.fileno()

    def pump(self):
        """Read what the socket has; parse whole frames. Returns bytes read (0: nothing)."""
        got = 0
        while True:
            try:
                chunk = self.sock.recv(1 << 20)
            except BlockingIOError:
                break
            if not chunk:
                self.problems.append('closed by the server')
                break
            got += len(chunk)
            self.buf += chunk
        self._parse()
        return got

    def _parse(self):
        b = self.buf
        while len(b) >= 2:
            fin, op, masked, n = b[0] & 0x80, b[0] & 0x0f, b[1] & 0x80, b[1] & 0x7f
            h = 2
            if n == 126:
                if len(b) < 4:
                    break
                n, h = int.from_bytes(b[2:4], 'big'), 4
            elif n == 127:
                if len(b) < 10:
                    break
                n, h = int.from_bytes(b[2:10], 'big'), 10
            if len(b) < h + n:
                break
            payload, b = b[h:h + n], b[h + n:]
            if masked or not fin:
                self.problems.append('frame with mask %s fin %s' % (bool(masked), bool(fin)))
            if op == 1:
                try:
                    self.messages.append((payload, json.loads(payload)))
                except ValueError as e:
                    self.problems.append('text frame is not JSON (%s): %r...' % (e, payload[:80]))
            elif op not in (9, 10):
                self.problems.append('unexpected opcode %d' % op)
        self.buf = b

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def pump_all(clients, until, timeout):
    """Read all clients until until() holds (or timeout s pass)."""
    deadline = time.monotonic() + timeout
    while not until():
        left = deadline - time.monotonic()
        if left <= 0:
            return False
        r, _, _ = select.select(clients, [], [], min(left, 0.2))
        for c in r:
            c.pump()
    return True


def check_stream(testcase, name, msgs):
    """Every delta's seq is the previous message's + 1, except right after a snapshot, which may
    jump forward (a resync). Returns the last seq."""
    last = None
    for raw, m in msgs:
        t, seq = m.get('type'), m.get('seq')
        if t == 'snapshot':
            if last is not None:
                testcase.assertGreaterEqual(seq, last, '%s: snapshot went back in seq' % name)
            last = seq
        elif t == 'delta':
            testcase.assertIsNotNone(last, '%s: a delta before any snapshot' % name)
            testcase.assertEqual(seq, last + 1, '%s: delta seq %s after %s' % (name, seq, last))
            last = seq
        elif t == 'heartbeat':
            pass
    return last


class FanoutTest(EnvCase):
    start_daemon = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.write_config(fanout_threads='2', fanout_batch='4')
        cls.env.start_daemon()

    def metric(self, name):
        _, _, body = self.env.get('/metrics')
        for line in body.decode().splitlines():
            if line.startswith(name + ' '):
                return float(line.split()[-1])
        self.fail('/metrics has no %s' % name)

    def large_change(self, value):
        self.env.cluster_of('acute').execute('partner_acute',
                         "INSERT INTO commcell.observation (metric, site, value) "
                         "SELECT 'beds.ga_occupancy', 'ward-' || lpad(g::text, 3, '0'), %s "
                         "FROM generate_series(1, %s) g", (value, SITES))

    def test_01_forty_clients_same_bytes_two_threads(self):
        env = self.env
        clients = [RawWs(env.daemon.host, env.daemon.port) for _ in range(40)]
        try:
            ok = pump_all(clients, lambda: all(c.messages for c in clients), 15)
            self.assertTrue(ok, 'not every client got its snapshot')
            whole0 = self.metric('commcell_fanout_frames_total{outcome="whole"}')
            values = [81.25 + k for k in range(6)]
            for v in values:
                env.insert('acute', 'ed.four_hour_performance', v)
                needle = ('"value":%s' % v).encode()
                ok = pump_all(clients, lambda: all(any(needle in raw for raw, _ in c.messages)
                                                    for c in clients), 10)
                self.assertTrue(ok, 'value %s did not reach every client' % v)
            for c in clients:
                self.assertEqual(c.problems, [])
                check_stream(self, 'client', c.messages)
            # the same bytes to all, in the same order
            ref = [raw for raw, m in clients[0].messages if m.get('type') == 'delta']
            for c in clients[1:]:
                mine = [raw for raw, m in c.messages if m.get('type') == 'delta']
                self.assertEqual(mine, ref, 'clients got different delta bytes')
            whole = self.metric('commcell_fanout_frames_total{outcome="whole"}') - whole0
            self.assertGreaterEqual(whole, 40 * len(values))
            self.assertEqual(self.metric('commcell_fanout_last_threads'), 2)
            self.assertGreaterEqual(self.metric('commcell_fanout_last_clients'), 40)
            out('%d frames sent whole by the direct path; last broadcast %d clients, 2 threads, '
                'held the loop %.2f ms' % (whole, self.metric('commcell_fanout_last_clients'),
                                           self.metric('commcell_fanout_last_seconds') * 1000))
        finally:
            for c in clients:
                c.close()

    def test_02_stalled_reader_stream_stays_whole(self):
        env = self.env
        readers = [RawWs(env.daemon.host, env.daemon.port) for _ in range(8)]
        stalled = RawWs(env.daemon.host, env.daemon.port, rcvbuf=4096)
        try:
            ok = pump_all(readers + [stalled],
                          lambda: all(c.messages for c in readers + [stalled]), 15)
            self.assertTrue(ok, 'not every client got its snapshot')
            partial0 = self.metric('commcell_fanout_frames_total{outcome="partial"}')
            queued0 = self.metric('commcell_fanout_frames_total{outcome="queued"}')
            resync0 = self.metric('commcell_ws_resyncs_total')
            stop = threading.Event()
            lag = []

            def read_loop():
                while not stop.is_set():
                    r, _, _ = select.select(readers, [], [], 0.05)
                    for c in r:
                        c.pump()
            t = threading.Thread(target=read_loop, daemon=True)
            t.start()
            changes = 90
            try:
                for k in range(changes):
                    v = 50.0 + k / 8.0
                    self.large_change(v)
                    needle = ('"value":%s' % v).encode()
                    t0 = time.monotonic()
                    while not all(any(needle in raw for raw, _ in c.messages[-3:])
                                  for c in readers):
                        self.assertLess(time.monotonic() - t0, 10,
                                        'change %d did not reach every reading client' % k)
                        time.sleep(0.002)
                    lag.append(time.monotonic() - t0)
            finally:
                stop.set()
                t.join()
            partial = self.metric('commcell_fanout_frames_total{outcome="partial"}') - partial0
            queued = self.metric('commcell_fanout_frames_total{outcome="queued"}') - queued0
            resyncs = self.metric('commcell_ws_resyncs_total') - resync0
            self.assertGreater(partial + queued, 0,
                               'the stalled socket never filled; the test proves nothing')
            for c in readers:
                self.assertEqual(c.problems, [])
                check_stream(self, 'reader', c.messages)
            final = readers[0].messages[-1][1]['seq']
            # now it reads: a whole stream, ending at the readers' last seq
            ok = pump_all([stalled], lambda: stalled.messages and
                          stalled.messages[-1][1].get('seq', -1) >= final, 30)
            self.assertEqual(stalled.problems, [])
            self.assertTrue(ok, 'the stalled client never caught up to seq %s (it is at %s)'
                            % (final, stalled.messages[-1][1].get('seq')))
            last = check_stream(self, 'stalled client', stalled.messages)
            self.assertEqual(last, final)
            snaps = sum(1 for _, m in stalled.messages if m.get('type') == 'snapshot')
            deltas = sum(1 for _, m in stalled.messages if m.get('type') == 'delta')
            out('%d changes of %d rows; stalled socket: %d frames cut by the kernel, %d queued, '
                '%d resync(s); it then read %d deltas + %d snapshots, stream whole; readers: '
                'max %.0f ms per change' % (changes, SITES, partial, queued, resyncs, deltas,
                                            snaps, max(lag) * 1000))
            self.assertDaemonAlive()
        finally:
            for c in readers + [stalled]:
                c.close()


if __name__ == '__main__':
    import unittest
    unittest.main()
