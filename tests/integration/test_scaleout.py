"""Two commcelld instances on one hub behind HAProxy: one leads (polls partners, runs alerts),
the other follows through the hub; killing the leader hands over within seconds, displays
reconnect through HAProxy and resynchronise, and no alert is lost or sent twice."""

import asyncio
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

from itbase import EnvCase, ce, out
from test_alerts import Receiver

HAPROXY = shutil.which('haproxy') or '/usr/sbin/haproxy'


def metric_value(daemon, name):
    status, _, body = daemon.get('/metrics')
    text = body.decode() if isinstance(body, bytes) else body
    for line in text.splitlines():
        if line.startswith(name + ' '):
            return float(line.split()[1])
    return None


class ScaleOutTest(EnvCase):
    env_options = {'poll_ms': 500}
    start_daemon = False

    @classmethod
    def configure(cls):
        env = cls.env
        # displays open the board through HAProxy: its origin is the one their pages come from
        cls.lb_port = ce.free_port()
        lb_origin = 'http://127.0.0.1:%d' % cls.lb_port
        env.write_config(allowed_origins=lb_origin)
        env.start_daemon()
        cls.tmp = tempfile.mkdtemp(prefix='commcell-scale-')
        os.chmod(cls.tmp, 0o755)
        ce.wait_until(lambda: metric_value(env.daemon, 'commcell_leader') == 1, 15,
                      what='the first instance to lead')
        cls.b = ce.Daemon(env.daemon.bin, os.path.join(cls.tmp, 'b.conf'),
                          os.path.join(cls.tmp, 'b.log'))
        cls.b.write_config(ce.free_port(), env.hub_conninfo(), allowed_origins=lb_origin)
        cls.b.start()
        cls.hook = Receiver().start()
        env.hub("INSERT INTO commcell.person VALUES ('carol', 'Carol')")
        env.hub("INSERT INTO commcell.contact (person, channel, target) VALUES ('carol', 'webhook', %s)",
                ('http://127.0.0.1:%d/hook' % cls.hook.port,))
        env.hub("INSERT INTO commcell.team VALUES ('ops', 'Ops')")
        env.hub("INSERT INTO commcell.rota_shift (team, person, starts_at, ends_at) VALUES "
                "('ops', 'carol', now() - interval '1 hour', now() + interval '1 day')")
        env.hub("INSERT INTO commcell.escalation_policy (name) VALUES ('std')")
        env.hub("INSERT INTO commcell.alert_rule (name, partner, metric, status, team, policy) "
                "VALUES ('occupancy red', 'acute', 'beds.ga_occupancy', 'red', 'ops', 'std')")
        cfg = os.path.join(cls.tmp, 'haproxy.cfg')
        with open(cfg, 'w') as f:
            f.write('''global
    maxconn 2000
defaults
    mode http
    option redispatch
    retries 3
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h
frontend commcell
    bind 127.0.0.1:%d
    default_backend daemons
backend daemons
    balance roundrobin
    option httpchk GET /healthz
    default-server inter 500ms fall 2 rise 1
    server a 127.0.0.1:%d check
    server b 127.0.0.1:%d check
''' % (cls.lb_port, env.daemon.port, cls.b.port))
        cls.lb = subprocess.Popen([HAPROXY, '-f', cfg, '-db'], stdout=subprocess.DEVNULL,
                                  stderr=open(os.path.join(cls.tmp, 'haproxy.log'), 'w'))
        ce.wait_until(lambda: ce.http_request('http://127.0.0.1:%d/healthz' % cls.lb_port)[0] == 200,
                      10, what='haproxy up')

    @classmethod
    def tearDownClass(cls):
        try:
            cls.lb.send_signal(signal.SIGTERM)
            cls.lb.wait(10)
            cls.b.stop(check=False)
            cls.hook.stop()
        finally:
            super().tearDownClass()

    def lb_ws(self):
        return 'ws://127.0.0.1:%d/ws' % self.lb_port

    def test_01_follower_serves_the_same_board(self):
        env = self.env
        self.assertEqual(metric_value(env.daemon, 'commcell_leader'), 1)
        self.assertEqual(metric_value(self.b, 'commcell_leader'), 0)

        async def go():
            async with ce.WsClient(self.b.ws_url, 'follower') as c:
                await c.snapshot()
                t0 = time.monotonic()
                await env.ainsert('acute', 'ed.four_hour_performance', 81.25)
                await c.wait_value('acute', 'ed.four_hour_performance', 81.25, timeout=10)
                return time.monotonic() - t0
        dt = self.run_async(go())
        out('leader commit -> client of the follower: %.0f ms' % (dt * 1000))

    def test_02_leader_killed_follower_takes_over(self):
        env = self.env
        self.env.insert('acute', 'beds.ga_occupancy', 97.0)   # red: one alert fires
        ce.wait_until(lambda: self.hook.bodies(lambda j: j['event'] == 'firing'), 20,
                      what='the first alert')

        async def go():
            # three display connections through HAProxy land on both instances
            clients = [ce.WsClient(self.lb_ws(), 'display%d' % i) for i in range(4)]
            for c in clients:
                await c.connect()
                await c.snapshot()
            t_kill = time.monotonic()
            env.daemon.kill9()
            await asyncio.get_running_loop().run_in_executor(
                None, lambda: ce.wait_until(lambda: metric_value(self.b, 'commcell_leader') == 1,
                                            10, what='takeover'))
            takeover = time.monotonic() - t_kill
            # every display reconnects through HAProxy and resynchronises from a snapshot
            fresh = []
            for i, c in enumerate(clients):
                await c.close()
                for attempt in range(20):      # as a display does: retry with a pause
                    n = ce.WsClient(self.lb_ws(), 'again%d' % i)
                    try:
                        await n.connect()
                        await n.snapshot()
                        break
                    except Exception:
                        await n.close()
                        await asyncio.sleep(0.25)
                else:
                    self.fail('no display could reconnect through HAProxy')
                fresh.append(n)
            await env.ainsert('acute', 'ed.four_hour_performance', 66.5)
            for n in fresh:
                await n.wait_value('acute', 'ed.four_hour_performance', 66.5, timeout=15)
                await n.close()
            return takeover
        takeover = self.run_async(go(), 90)
        out('leader killed -> follower leads after %.2f s' % takeover)
        self.assertLess(takeover, 5.0)
        # the firing alert resolves on the new leader; nobody hears anything twice
        env.insert('acute', 'beds.ga_occupancy', 80.0)
        ce.wait_until(lambda: self.hook.bodies(lambda j: j['event'] == 'resolved'), 20,
                      what='resolved message from the new leader')
        time.sleep(2)
        keys = [g['json']['dedup_key'] for g in self.hook.got]
        self.assertEqual(len(keys), len(set(keys)), keys)
        self.assertEqual(sorted(k.split('-')[3] for k in keys), ['firing', 'resolved'])
        # the old leader comes back as a follower
        env.start_daemon()
        ce.wait_until(lambda: metric_value(env.daemon, 'commcell_leader') == 0, 10,
                      what='old leader following')
