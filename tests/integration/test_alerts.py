"""Threshold alerts end to end: a real HTTP receiver, a real SMTP server and an exec command
receive notifications from commcelld through the hub's outbox, in escalation order; an
acknowledgement stops escalation; a receiver that was down gets its message when it is back; a
killed commcelld loses nothing; two instances notify once; a flapping value raises no storm."""

import hashlib
import hmac
import http.server
import json
import os
import socket
import socketserver
import stat
import subprocess
import tempfile
import threading
import time
import urllib.request

from itbase import EnvCase, ce, out

SECRET = 'hook-secret'


class Receiver:
    """An HTTP server on 127.0.0.1 that records every POST (headers, body, arrival time)."""

    def __init__(self, port=None, delay=0.0):
        self.port = port or ce.free_port()
        self.delay = delay
        self.got = []
        self.lock = threading.Lock()
        self.server = None

    def start(self):
        rec = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
                if rec.delay:
                    time.sleep(rec.delay)
                with rec.lock:
                    rec.got.append({'t': time.time(), 'headers': dict(self.headers),
                                    'body': body, 'json': json.loads(body)})
                try:
                    self.send_response(200)
                    self.send_header('Content-Length', '2')
                    self.end_headers()
                    self.wfile.write(b'ok')
                except OSError:
                    pass   # the sender went away mid-request (the kill -9 test)

            def log_message(self, *a):
                pass

        socketserver.TCPServer.allow_reuse_address = True
        self.server = http.server.ThreadingHTTPServer(('127.0.0.1', self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def bodies(self, pred=lambda j: True):
        with self.lock:
            return [g for g in self.got if pred(g['json'])]


class SmtpSink:
    """Just enough SMTP (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT) to receive a message."""

    def __init__(self):
        self.port = ce.free_port()
        self.messages = []
        self.lock = threading.Lock()

    def start(self):
        sink = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                w = lambda s: self.wfile.write((s + '\r\n').encode())  # noqa: E731
                w('220 sink ESMTP')
                rcpt, data = [], None
                while True:
                    line = self.rfile.readline()
                    if not line:
                        return
                    cmd = line.decode(errors='replace').strip()
                    up = cmd.upper()
                    if up.startswith('EHLO'):
                        w('250-sink')
                        w('250 8BITMIME')
                    elif up.startswith('HELO'):
                        w('250 sink')
                    elif up.startswith('MAIL FROM'):
                        rcpt = []
                        w('250 ok')
                    elif up.startswith('RCPT TO'):
                        rcpt.append(cmd[8:].strip(' <>'))
                        w('250 ok')
                    elif up == 'DATA':
                        w('354 go ahead')
                        lines = []
                        while True:
                            l = self.rfile.readline().decode(errors='replace')
                            if l in ('.\r\n', '.\n', ''):
                                break
                            lines.append(l[1:] if l.startswith('..') else l)
                        with sink.lock:
                            sink.messages.append({'t': time.time(), 'to': rcpt,
                                                  'data': ''.join(lines)})
                        w('250 queued')
                    elif up in ('RSET', 'NOOP'):
                        w('250 ok')
                    elif up == 'QUIT':
                        w('221 bye')
                        return
                    else:
                        w('502 not here')

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        self.server = socketserver.ThreadingTCPServer(('127.0.0.1', self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


class AlertsTest(EnvCase):
    env_options = {'poll_ms': 500}
    start_daemon = False

    @classmethod
    def configure(cls):
        env = cls.env
        cls.tmp = tempfile.mkdtemp(prefix='commcell-alerts-')
        os.chmod(cls.tmp, 0o755)
        cls.hook = Receiver().start()
        cls.smtp = SmtpSink().start()
        cls.exec_out = os.path.join(cls.tmp, 'exec.jsonl')
        script = os.path.join(cls.tmp, 'notify.sh')
        with open(script, 'w') as f:
            f.write('#!/bin/sh\ncat >> "%s"\necho >> "%s"\n' % (cls.exec_out, cls.exec_out))
            # the alert in words in the environment, for scripts that read no JSON
            f.write('printf "%%s|%%s\\n" "$COMMCELL_SITE" "$COMMCELL_SUBJECT" >> "%s.env"\n'
                    % cls.exec_out)
        os.chmod(script, stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
        env.hub("INSERT INTO commcell.person VALUES ('alice', 'Alice Oncall'), ('bob', 'Bob Second')")
        env.hub("INSERT INTO commcell.contact (person, channel, target, secret) VALUES "
                "('alice', 'webhook', %s, %s), ('bob', 'email', 'bob@example.org', NULL), "
                "('bob', 'exec', %s, NULL)",
                ('http://127.0.0.1:%d/hook' % cls.hook.port, SECRET, json.dumps([script])))
        env.hub("INSERT INTO commcell.team VALUES ('ops', 'Operations')")
        env.hub("INSERT INTO commcell.rota_shift (team, level, person, starts_at, ends_at) VALUES "
                "('ops', 1, 'alice', now() - interval '1 hour', now() + interval '1 day'), "
                "('ops', 2, 'bob', now() - interval '1 hour', now() + interval '1 day')")
        env.hub("INSERT INTO commcell.escalation_policy (name, ack_timeout_s, repeat_s, max_level) "
                "VALUES ('fast', 10, 3600, 2)")
        cls.rule = env.hub("INSERT INTO commcell.alert_rule (name, partner, metric, status, for_s, "
                           "severity, team, policy) VALUES ('ED 4-hour red', 'acute', "
                           "'ed.four_hour_performance', 'red', 2, 'critical', 'ops', 'fast') "
                           "RETURNING id")[0][0]
        env.write_config(smtp_url='smtp://127.0.0.1:%d' % cls.smtp.port,
                         smtp_from='alerts@commcell.test',
                         public_url='http://127.0.0.1:%d' % env.http_port)
        env.start_daemon()

    @classmethod
    def tearDownClass(cls):
        try:
            super().tearDownClass()
        finally:
            cls.hook.stop()
            cls.smtp.stop()

    def set_acute(self, value):
        self.env.insert('acute', 'ed.four_hour_performance', value)

    def wait_webhooks(self, pred, n=1, timeout=30):
        ce.wait_until(lambda: len(self.hook.bodies(pred)) >= n, timeout,
                      what='%d webhook(s)' % n)
        return self.hook.bodies(pred)

    def alert_ids(self):
        return {r[0] for r in self.env.hub("SELECT id FROM commcell.alert")}

    def resolve_all(self):
        self.set_acute(97.0)
        ce.wait_until(lambda: not self.env.hub("SELECT 1 FROM commcell.alert WHERE state <> "
                                               "'resolved'"), 20, what='alerts resolved')

    # -------------------------------------------------------------------------------------------
    def test_01_fires_and_escalates_in_order(self):
        before = self.alert_ids()
        self.set_acute(50.0)
        t_cross = time.time()
        hooks = self.wait_webhooks(lambda j: j['event'] == 'firing')
        h = hooks[0]
        delay = h['t'] - (t_cross + 2)
        out('threshold crossed + 2 s duration -> webhook received in %.2f s' % delay)
        self.assertLess(delay, 10)
        j = h['json']
        self.assertEqual(j['recipient']['person'], 'alice')
        self.assertEqual(j['alert']['severity'], 'critical')
        self.assertEqual(h['headers'].get('X-Commcell-Dedup-Key'), j['dedup_key'])
        sig = hmac.new(SECRET.encode(), h['body'], hashlib.sha256).hexdigest()
        self.assertEqual(h['headers'].get('X-Commcell-Signature'), 'sha256=' + sig)
        self.assertTrue(j['ack_url'].startswith('http://127.0.0.1:'))
        self.assertEqual(self.smtp.messages, [], 'level 2 must not be told before the timeout')
        # nobody acknowledges: after 10 s bob (level 2) hears by e-mail and by exec
        ce.wait_until(lambda: self.smtp.messages, 30, what='escalation e-mail')
        m = self.smtp.messages[0]
        self.assertEqual(m['to'], ['bob@example.org'])
        self.assertIn('ESCALATED', m['data'])
        self.assertIn('X-Commcell-Dedup-Key:', m['data'])
        ce.wait_until(lambda: os.path.exists(self.exec_out) and os.path.getsize(self.exec_out),
                      15, what='exec notification')
        with open(self.exec_out) as f:
            ex = json.loads(f.readline())
        self.assertEqual((ex['event'], ex['recipient']['person']), ('escalated', 'bob'))
        self.assertGreater(m['t'], h['t'] + 8, 'escalation came before the ack timeout')
        out('alice told at +%.1f s, bob at +%.1f s' % (h['t'] - t_cross, m['t'] - t_cross))
        alerts = self.env.get_json('/api/alerts')['alerts']
        firing = [a for a in alerts if a['state'] == 'firing']
        self.assertEqual(len(firing), 1)
        people = sorted({n['person'] for n in firing[0]['notifications']})
        self.assertEqual(people, ['alice', 'bob'])
        self.resolve_all()
        resolved = self.wait_webhooks(lambda j: j['event'] == 'resolved')
        self.assertEqual(resolved[0]['json']['recipient']['person'], 'alice')
        ce.wait_until(lambda: any('RESOLVED' in x['data'] for x in self.smtp.messages), 15,
                      what='resolved e-mail')
        new = self.alert_ids() - before
        self.assertEqual(len(new), 1)

    def test_02_acknowledgement_stops_escalation(self):
        n_mail = len(self.smtp.messages)
        self.set_acute(40.0)
        h = self.wait_webhooks(lambda j: j['event'] == 'firing' and j['alert']['value'] == 40.0)[0]
        url = h['json']['ack_url']
        page = urllib.request.urlopen(url, timeout=5).read().decode()
        self.assertIn('Acknowledge', page)     # a GET only shows the button
        self.assertIsNone(self.env.hub("SELECT acked_at FROM commcell.alert WHERE id = %s",
                                       (h['json']['alert']['id'],))[0][0])
        req = urllib.request.Request(url, method='POST', data=b'')
        res = json.loads(urllib.request.urlopen(req, timeout=5).read())
        self.assertEqual(res['result'], 'acknowledged')
        # a forged link is refused
        bad = url[:-4] + ('0000' if not url.endswith('0000') else '1111')
        try:
            urllib.request.urlopen(urllib.request.Request(bad, method='POST', data=b''), timeout=5)
            self.fail('a bad signature was accepted')
        except urllib.error.HTTPError as e:
            self.assertEqual(e.code, 403)
        time.sleep(13)   # past the 10 s acknowledgement timeout
        self.assertEqual(len(self.smtp.messages), n_mail, 'escalated after acknowledgement')
        row = self.env.hub("SELECT acked_by FROM commcell.alert WHERE id = %s",
                           (h['json']['alert']['id'],))[0]
        self.assertEqual(row[0], 'alice')
        audit = self.env.hub("SELECT actor FROM commcell.audit WHERE action = 'alert.ack' "
                             "AND target = %s", ('alert %d' % h['json']['alert']['id'],))
        self.assertEqual(audit, [('alice',)])
        self.resolve_all()

    def test_03_receiver_down_gets_it_when_back(self):
        port = self.hook.port
        self.hook.stop()
        try:
            self.set_acute(45.0)
            ce.wait_until(lambda: self.env.hub(
                "SELECT 1 FROM commcell.outbox WHERE last_error IS NOT NULL AND sent_at IS NULL"),
                20, what='a failed delivery attempt')
            err = self.env.hub("SELECT last_error FROM commcell.outbox WHERE sent_at IS NULL "
                               "AND last_error IS NOT NULL LIMIT 1")[0][0]
            out('while the receiver is down: %s' % err)
        finally:
            self.hook = Receiver(port).start()
            type(self).hook = self.hook
        t0 = time.time()
        self.wait_webhooks(lambda j: j['event'] == 'firing' and j['alert']['value'] == 45.0,
                           timeout=40)
        out('receiver back: message arrived %.1f s later (retry backoff)' % (time.time() - t0))
        self.resolve_all()

    def test_04_flapping_raises_no_storm(self):
        n = len(self.hook.got)
        for i in range(12):
            self.set_acute(70.0 if i % 2 == 0 else 80.0)   # across the 76 red line every 0.5 s
            time.sleep(0.5)
        self.set_acute(97.0)
        time.sleep(4)
        firings = [g for g in self.hook.got[n:] if g['json']['event'] == 'firing']
        self.assertEqual(firings, [], 'a value flapping faster than the 2 s duration fired')

    def test_05_kill9_loses_nothing(self):
        env = self.env
        self.hook.delay = 3.0     # commcelld is mid-send when it dies
        try:
            self.set_acute(42.0)
            ce.wait_until(lambda: env.hub("SELECT 1 FROM commcell.outbox WHERE attempts > 0 AND "
                                          "sent_at IS NULL AND (payload->'alert'->>'value')::float = 42"),
                          20, what='a claimed notification')
            env.daemon.kill9()
            time.sleep(3.5)
            self.hook.delay = 0
            env.start_daemon()
            got = self.wait_webhooks(lambda j: j['event'] == 'firing' and j['alert']['value'] == 42.0,
                                     timeout=60)
        finally:
            self.hook.delay = 0
        keys = [g['json']['dedup_key'] for g in got]
        out('after kill -9: %d deliveries of %d distinct notification(s) (repeats carry the same '
            'dedup key)' % (len(keys), len(set(keys))))
        self.assertEqual(len(set(keys)), 1)
        ce.wait_until(lambda: env.hub("SELECT sent_at FROM commcell.outbox WHERE dedup_key = %s",
                                      (keys[0],))[0][0] is not None, 30, what='recorded as sent')
        self.resolve_all()

    def test_06_two_instances_notify_once(self):
        env = self.env
        second = ce.Daemon(env.daemon.bin, os.path.join(self.tmp, 'second.conf'),
                           os.path.join(self.tmp, 'second.log'))
        second.write_config(ce.free_port(), env.hub_conninfo(), smtp_url='smtp://127.0.0.1:%d'
                            % self.smtp.port, smtp_from='alerts@commcell.test')
        second.start()
        try:
            n = len(self.hook.got)
            self.set_acute(33.0)
            self.wait_webhooks(lambda j: j['event'] == 'firing' and j['alert']['value'] == 33.0)
            self.resolve_all()
            self.wait_webhooks(lambda j: j['event'] == 'resolved', n=2)
            time.sleep(3)
            keys = [g['json']['dedup_key'] for g in self.hook.got[n:]]
            self.assertEqual(len(keys), len(set(keys)), 'a notification was sent twice: %s' % keys)
            self.assertEqual(sorted(k.split('-')[3] for k in keys), ['firing', 'resolved'])
        finally:
            second.stop()

    def test_07_silenced_alert_tells_nobody(self):
        env = self.env
        env.hub("INSERT INTO commcell.silence (partner, ends_at, reason, created_by) VALUES "
                "('acute', now() + interval '1 hour', 'planned maintenance', 'test')")
        try:
            n = len(self.hook.got)
            self.set_acute(30.0)
            ce.wait_until(lambda: any(a['state'] == 'firing' and a['silenced']
                                      for a in env.get_json('/api/alerts')['alerts']), 20,
                          what='a silenced firing alert')
            time.sleep(3)
            self.assertEqual(self.hook.got[n:], [])
        finally:
            env.hub("UPDATE commcell.silence SET ends_at = now() + interval '1 ms'")
            self.set_acute(97.0)

    def manager_get(self, path):
        """GET path as a signed-in manager (the audit log is for managers)."""
        env, pw = self.env, 'labels in words, please'
        h = subprocess.run([env.daemon.bin, '--hash-password'], input=pw + '\n', text=True,
                           stdout=subprocess.PIPE, check=True, timeout=60,
                           env=ce.sanitizer_env()).stdout.strip()
        env.hub("INSERT INTO commcell.app_user (name, role, password_hash) VALUES "
                "('mona', 'manager', %s) ON CONFLICT (name) DO UPDATE SET password_hash = %s",
                (h, h))
        status, hdrs, body = ce.http_request(
            env.url + '/api/session', 'POST', json.dumps({'user': 'mona', 'password': pw}).encode(),
            {'Content-Type': 'application/json', 'Origin': env.url}, timeout=30)
        self.assertEqual(status, 200, body)
        cookie = hdrs['set-cookie'].split(';')[0]
        status, _, body = ce.http_request(env.url + path, headers={'Cookie': cookie})
        self.assertEqual(status, 200, body)
        return json.loads(body)

    def test_08_messages_speak_in_labels(self):
        """The notification a receiver gets, the alert list, the board's alert line and the
        audit log name the measure, the site and the partner by their labels; keys stay."""
        env = self.env
        env.hub("INSERT INTO commcell.site (partner, code, label) VALUES "
                "('acute', 'NGH', 'Northgate General Hospital') ON CONFLICT DO NOTHING")
        n_mail = len(self.smtp.messages)
        env.insert('acute', 'ed.four_hour_performance', 51.5, site='NGH')
        h = self.wait_webhooks(lambda j: j['event'] == 'firing' and j['alert']['site'] == 'NGH')[0]
        j = h['json']
        words = ('ED 4-hour performance', 'Northgate General Hospital',
                 'Northgate Hospitals NHS Trust')
        out('webhook subject: %s' % j['subject'])
        for w in words:
            self.assertIn(w, j['subject'])
            self.assertIn(w, j['text'])
        self.assertIn('51.5 %, red', j['subject'])
        self.assertNotIn('ed.four_hour_performance', j['subject'])
        self.assertNotIn('ed.four_hour_performance', j['text'])
        a = j['alert']
        self.assertEqual((a['partner'], a['metric'], a['site']),
                         ('acute', 'ed.four_hour_performance', 'NGH'))
        self.assertEqual((a['partner_label'], a['metric_label'], a['site_label']),
                         ('Northgate Hospitals NHS Trust', 'ED 4-hour performance',
                          'Northgate General Hospital'))
        # the e-mail to the second level and the exec command's JSON say the same
        ce.wait_until(lambda: any('Northgate General Hospital' in m['data']
                                  for m in self.smtp.messages[n_mail:]), 30,
                      what='the escalation e-mail')
        mail = [m for m in self.smtp.messages[n_mail:] if 'Northgate General Hospital' in m['data']][0]
        subject = [l for l in mail['data'].splitlines() if l.startswith('Subject:')][0]
        self.assertIn('ED 4-hour performance at Northgate General Hospital', subject)
        self.assertIn('Northgate General Hospital - Northgate Hospitals NHS Trust', subject)

        def exec_got():
            if not os.path.exists(self.exec_out):
                return None
            with open(self.exec_out) as f:
                found = [json.loads(l) for l in f if l.strip()]
            return [x for x in found if x['alert']['site'] == 'NGH']
        ce.wait_until(exec_got, 15, what='the exec notification')
        self.assertEqual(exec_got()[0]['alert']['site_label'], 'Northgate General Hospital')
        def env_subjects():
            if not os.path.exists(self.exec_out + '.env'):
                return []
            with open(self.exec_out + '.env') as f:
                return [l.split('|', 1)[1] for l in f.read().splitlines() if l.startswith('NGH|')]
        ce.wait_until(env_subjects, 15, what="the exec command's environment")
        subjects = env_subjects()
        self.assertTrue(subjects and 'ED 4-hour performance at Northgate General Hospital - '
                        'Northgate Hospitals NHS Trust' in subjects[0], subjects)
        # the alert list (manager view) and the board's alert line (wall) carry the words
        listed = [x for x in env.get_json('/api/alerts')['alerts']
                  if x['site'] == 'NGH' and x['state'] == 'firing'][0]
        self.assertEqual(listed['metric_label'], 'ED 4-hour performance')
        self.assertEqual(listed['site_label'], 'Northgate General Hospital')
        self.assertIn('Northgate Hospitals NHS Trust', listed['summary'])
        self.assertEqual({n['name'] for n in listed['notifications']}, {'Alice Oncall', 'Bob Second'})

        async def board_alerts():
            async with env.client('words') as c:
                snap = await c.snapshot()
                return snap.get('alerts') or []
        on_board = [x for x in ce.run(board_alerts(), 30) if x.get('site') == 'NGH']
        self.assertTrue(on_board and 'Northgate General Hospital' in on_board[0]['summary'],
                        on_board)
        # acknowledged: the audit log names the alert in words
        env.hub("SELECT commcell.alert_ack(%s, 'alice', 'test')", (a['id'],))
        rows = self.manager_get('/api/audit?action=alert.ack')['rows']
        mine = [r for r in rows if r['target'] == 'alert %d' % a['id']]
        self.assertTrue(mine, rows)
        self.assertIn('ED 4-hour performance at Northgate General Hospital', mine[0]['title'])
        env.insert('acute', 'ed.four_hour_performance', 97.0, site='NGH')
        self.resolve_all()

    def test_09_level_rule_reads_in_words(self):
        """An alert on the system level reads "System escalation level (OPEL)", not its key."""
        env = self.env
        obs = json.dumps([{'rule': 0, 'partner': '', 'metric': 'system.level', 'site': '',
                           'bad': True, 'value': 4, 'summary': 'x', 'reading': 'OPEL 4: test'}])
        got = env.hub("SELECT commcell.label_observations(%s::jsonb)", (obs,))[0][0]
        self.assertEqual(got[0]['summary'], 'System escalation level (OPEL): OPEL 4: test')
        self.assertEqual(got[0]['metric'], 'system.level')
        labels = env.hub("SELECT commcell.series_labels('', 'system.level', '')")[0][0]
        self.assertEqual(labels['metric_label'], 'System escalation level (OPEL)')
