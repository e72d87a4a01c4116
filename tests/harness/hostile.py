"""Hostile clients on bare sockets, for tests/integration/test_hostile.py.

Everything here speaks HTTP/1.1 and WebSocket (RFC 6455) by hand, so a test can send what no
well-behaved library would: cut request heads, oversized fields, frames with bad opcodes, wrong
masks, lying length fields, invalid UTF-8. Each connection ends in an Outcome that says what the
server did about it: an HTTP status, a WebSocket close code, a reply, a close without a word, or
nothing at all (still open).

asyncio only (one thread drives hundreds of connections); connections may bind a chosen source
address in 127.0.0.0/8, so tests can play many clients without leaving loopback.
"""

import asyncio
import base64
import json
import os
import socket
import struct
import time

# WebSocket opcodes
CONT, TEXT, BINARY, CLOSE, PING, PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA

# the server's own traffic to every display: not an answer to anything a client sent
BROADCAST_TYPES = ('snapshot', 'delta', 'heartbeat', 'alert', 'level', 'alerts', 'partners')


class Outcome:
    """How a hostile connection ended.

    kind: 'http' (code: status), 'ws-close' (code: close code, None if the frame had none),
    'ws-error' (a JSON message of type error), 'ws-reply' (another answer, e.g. pong; detail
    says which), 'eof' (closed with no word), 'reset' (RST), 'open' (nothing happened in time),
    'garbage' (bytes that are no HTTP reply).
    elapsed: seconds from the start of the connection to the outcome."""

    __slots__ = ('kind', 'code', 'detail', 'elapsed')

    def __init__(self, kind, code=None, detail='', elapsed=0.0):
        self.kind, self.code, self.detail, self.elapsed = kind, code, detail, elapsed

    @property
    def label(self):
        """A short name for tables: 'http 414', 'ws-close 1009', 'eof'."""
        return self.kind if self.code is None else '%s %s' % (self.kind, self.code)

    def __repr__(self):
        return '<%s after %.1f s%s>' % (self.label, self.elapsed,
                                        ': ' + self.detail if self.detail else '')


def ws_frame(opcode, payload=b'', fin=True, mask=True, rsv=0, length=None):
    """One WebSocket frame as a client sends it. length overrides the length field (a lie)."""
    if isinstance(payload, str):
        payload = payload.encode()
    n = len(payload) if length is None else length
    head = bytes([(0x80 if fin else 0) | (rsv & 7) << 4 | opcode & 0x0F])
    m = 0x80 if mask else 0
    if n < 126:
        head += bytes([m | n])
    elif n < 1 << 16:
        head += bytes([m | 126]) + struct.pack('>H', n)
    else:
        head += bytes([m | 127]) + struct.pack('>Q', n)
    if not mask:
        return head + payload
    key = os.urandom(4)
    return head + key + bytes(b ^ key[i & 3] for i, b in enumerate(payload))


def upgrade_request(host, port, path='/ws', protocol='commcell.v1', origin=None, version='13',
                    host_header=None, extra=()):
    """A WebSocket upgrade request head. protocol/origin None: header left out."""
    key = base64.b64encode(os.urandom(16)).decode()
    lines = ['GET %s HTTP/1.1' % path, 'Host: %s' % (host_header or '%s:%d' % (host, port)),
             'Upgrade: websocket',
             'Connection: Upgrade', 'Sec-WebSocket-Key: %s' % key,
             'Sec-WebSocket-Version: %s' % version]
    if protocol is not None:
        lines.append('Sec-WebSocket-Protocol: %s' % protocol)
    if origin is not None:
        lines.append('Origin: %s' % origin)
    lines.extend(extra)
    return ('\r\n'.join(lines) + '\r\n\r\n').encode()


class RawConn:
    """One TCP connection to the daemon from a chosen loopback source address."""

    def __init__(self, host, port, source='127.0.0.1', rcvbuf=None, origin=None):
        self.host, self.port, self.source, self.rcvbuf = host, port, source, rcvbuf
        self.origin = origin     # the Origin a page of this daemon would send
        self.sock = None
        self.send_failed = False
        self.t0 = time.monotonic()
        self.buf = b''
        self.eof = False
        self.reset = False
        self.texts = []          # text messages from the server after the upgrade (decoded JSON)

    async def open(self, timeout=5.0):
        self.t0 = time.monotonic()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            if self.rcvbuf:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
            sock.bind((self.source, 0))
            sock.setblocking(False)
            await asyncio.wait_for(asyncio.get_running_loop().sock_connect(
                sock, (self.host, self.port)), timeout)
        except BaseException:
            sock.close()
            raise
        # bare sockets, not asyncio streams: after a failed send (the server closed on us) the
        # reply it sent first must still be readable, and a stream transport would drop it
        self.sock = sock
        return self

    def elapsed(self):
        return time.monotonic() - self.t0

    def outcome(self, kind, code=None, detail=''):
        return Outcome(kind, code, detail, self.elapsed())

    async def send(self, data):
        """Write data; False when the server has already closed or reset the connection."""
        if self.sock is None or self.send_failed:
            return False
        try:
            await asyncio.wait_for(asyncio.get_running_loop().sock_sendall(self.sock, data), 10)
            return True
        except (ConnectionError, OSError, asyncio.TimeoutError):
            self.send_failed = True
            return False

    async def trickle(self, data, interval, stop_at=None):
        """Send data one byte per interval until done, the server closes, or stop_at
        (time.monotonic()) passes. Returns the number of bytes sent."""
        for i in range(len(data)):
            if self.eof or self.reset or (stop_at and time.monotonic() >= stop_at):
                return i
            if not await self.send(data[i:i + 1]):
                return i
            await self.fill(interval)
        return len(data)

    async def fill(self, timeout):
        """Read what arrives within timeout into buf. False on EOF, reset or timeout."""
        if self.eof or self.reset or self.sock is None:
            return False
        try:
            chunk = await asyncio.wait_for(
                asyncio.get_running_loop().sock_recv(self.sock, 1 << 16), max(0.0, timeout))
        except asyncio.TimeoutError:
            return False
        except (ConnectionError, OSError):
            self.reset = True
            return False
        if not chunk:
            self.eof = True
            return False
        self.buf += chunk
        return True

    def closed_outcome(self):
        if self.reset:
            return self.outcome('reset')
        if self.eof:
            return self.outcome('eof')
        return None

    async def http_response(self, timeout):
        """Wait for the status line and headers of a reply. Returns (Outcome, headers dict);
        the body stays in buf."""
        deadline = time.monotonic() + timeout
        while b'\r\n\r\n' not in self.buf:
            if not await self.fill(deadline - time.monotonic()):
                if self.buf.startswith(b'HTTP/'):
                    break   # a reply cut short still says its status
                return self.closed_outcome() or self.outcome('open'), {}
        head, _, self.buf = self.buf.partition(b'\r\n\r\n')
        lines = head.decode('latin-1').split('\r\n')
        parts = lines[0].split(' ', 2)
        if len(parts) < 2 or not parts[0].startswith('HTTP/') or not parts[1].isdigit():
            return self.outcome('garbage', detail=repr(head[:80])), {}
        headers = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(':')
            headers[k.strip().lower()] = v.strip()
        return self.outcome('http', int(parts[1]), parts[2] if len(parts) > 2 else ''), headers

    async def read_body(self, headers, timeout):
        """The body of a reply with a Content-Length (what arrives within timeout)."""
        n = int(headers.get('content-length', '0') or 0)
        deadline = time.monotonic() + timeout
        while len(self.buf) < n and await self.fill(deadline - time.monotonic()):
            pass
        body, self.buf = self.buf[:n], self.buf[n:]
        return body

    async def upgrade(self, timeout=5.0, **kw):
        """Send an upgrade request (see upgrade_request) and read the answer's head."""
        await self.send(upgrade_request(self.host, self.port, **kw))
        return (await self.http_response(timeout))[0]

    def _frames(self):
        """Whole server frames parsed off buf: (fin, opcode, payload)."""
        out = []
        while len(self.buf) >= 2:
            b = self.buf
            n, h = b[1] & 0x7F, 2
            if n == 126:
                if len(b) < 4:
                    break
                n, h = struct.unpack('>H', b[2:4])[0], 4
            elif n == 127:
                if len(b) < 10:
                    break
                n, h = struct.unpack('>Q', b[2:10])[0], 10
            if b[1] & 0x80:
                h += 4   # a server must not mask; skip the key rather than misparse
            if len(b) < h + n:
                break
            out.append((bool(b[0] & 0x80), b[0] & 0x0F, b[h:h + n]))
            self.buf = b[h + n:]
        return out

    async def ws_outcome(self, timeout, until_reply=True):
        """Read frames until the server answers. until_reply: the first error/other reply (or
        a close) ends it; otherwise only a close, EOF or reset does. Broadcast traffic
        (snapshot, delta, heartbeat) is read past. 'open' when nothing ended it in time."""
        deadline = time.monotonic() + timeout
        replies = []
        while True:
            for fin, op, payload in self._frames():
                if op == CLOSE:
                    code = struct.unpack('>H', payload[:2])[0] if len(payload) >= 2 else None
                    return self.outcome('ws-close', code,
                                        payload[2:].decode('utf-8', 'replace'))
                if op != TEXT:
                    continue
                try:
                    msg = json.loads(payload)
                except ValueError:
                    replies.append(self.outcome('ws-reply', detail='not JSON: %r' % payload[:60]))
                    continue
                self.texts.append(msg)
                t = msg.get('type') if isinstance(msg, dict) else None
                if t in BROADCAST_TYPES:
                    continue
                o = (self.outcome('ws-error', detail=str(msg.get('message', ''))[:120])
                     if t == 'error' else self.outcome('ws-reply', detail=str(t)))
                if until_reply:
                    return o
                replies.append(o)
            closed = self.closed_outcome()
            if closed:
                return closed
            left = deadline - time.monotonic()
            if left <= 0:
                break
            await self.fill(left)
        if replies:
            r = replies[-1]
            r.detail = '%d replies, last %s' % (len(replies), r.detail)
            return r
        return self.outcome('open')

    async def wait_closed(self, timeout):
        """Read (and drop) until the server closes: an Outcome 'eof'/'reset', or 'open'."""
        deadline = time.monotonic() + timeout
        while not (self.eof or self.reset):
            left = deadline - time.monotonic()
            if left <= 0:
                return self.outcome('open')
            await self.fill(left)
            self.buf = self.buf[-4096:]
        return self.closed_outcome()

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None


def rss_kib(pid):
    """VmRSS of a process in KiB (None if it is gone)."""
    try:
        with open('/proc/%d/status' % pid) as f:
            for line in f:
                if line.startswith('VmRSS:'):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def open_fds(pid):
    try:
        return len(os.listdir('/proc/%d/fd' % pid))
    except OSError:
        return None
