"""The comm cell's action log and huddles (issue 16): the API checks what managers send and says
why in words, each change is saved with its audit row, the action list exports as CSV that a
spreadsheet reads back intact, a huddle is one at a time with a brief of what happened since the
last one, and the live lists (goals, open actions) reach every display of every instance."""

import asyncio
import csv
import io
import os
import shutil
import tempfile
import time

from itbase import EnvCase, ce, out
import test_auth as ta   # its Session and password hashing, not its tests

PEOPLE = (('ann', 'Ann Smith'), ('bob', 'Bob Jones'), ('cat', 'Cat Lee'))
ED = ('acute', 'ed.four_hour_performance')


def day(offset_days):
    return time.strftime('%Y-%m-%d', time.gmtime(time.time() + offset_days * 86400))


class ActionsTest(EnvCase):
    env_options = {'poll_ms': 500}
    start_daemon = False

    @classmethod
    def configure(cls):
        env = cls.env
        env.write_config(allow_anonymous_display='false', trusted_proxies='127.0.0.1/32')
        env.start_daemon()
        h = ta.hash_password(ta.PASSWORD)
        for name, role in (('mona', 'manager'), ('dora', 'display'), ('alice', 'admin')):
            env.hub('INSERT INTO commcell.app_user (name, role, password_hash) '
                    'VALUES (%s, %s, %s)', (name, role, h))
        for name, label in PEOPLE:
            env.hub('INSERT INTO commcell.person (name, label) VALUES (%s, %s)', (name, label))
        cls.sessions = {}
        cls.b = None

    @classmethod
    def tearDownClass(cls):
        try:
            if cls.b is not None:
                cls.b.stop(check=True)
        finally:
            super().tearDownClass()

    # -- helpers --------------------------------------------------------------------------------
    def who(self, user):
        s = self.sessions.get(user)
        if s is None:
            s = ta.Session(self)
            status, hdrs, body = s.request('POST', '/api/session',
                                           {'user': user, 'password': ta.PASSWORD})
            self.assertEqual(status, 200, body)
            s.cookie = hdrs['set-cookie'].split(';')[0].split('=', 1)[1]
            s.csrf = body['csrf_token']
            self.sessions[user] = s
        return s

    def create(self, **fields):
        body = dict({'title': 'Open the escalation ward', 'owner': 'ann', 'due_on': day(3)},
                    **fields)
        status, _, b = self.who('mona').request('POST', '/api/actions', body)
        self.assertEqual(status, 201, b)
        return b

    def audit(self, action, target=None):
        return self.env.hub('SELECT actor, target, detail FROM commcell.audit WHERE action = %s '
                            'AND (%s::text IS NULL OR target = %s) ORDER BY id',
                            (action, target, target)) or []

    def count(self, table):
        return self.env.hub('SELECT count(*) FROM commcell.%s' % table)[0][0]

    def ws(self, url=None, user='dora'):
        return ce.WsClient(url or self.env.ws_url, user,
                           headers={'Cookie': 'commcell_session=' + self.who(user).cookie})

    # -- the action log -------------------------------------------------------------------------
    def test_01_create_checks_and_audit(self):
        m = self.who('mona')
        a = self.create(title='  Open, "now"  ', partner=ED[0], metric=ED[1], site='',
                        due_on=day(2))
        self.assertEqual((a['title'], a['owner'], a['owner_name'], a['status'], a['partner'],
                          a['metric'], a['due_on'], a['created_by'], a['closed_at'],
                          a['last_update']),
                         ('Open, "now"', 'ann', 'Ann Smith', 'open', 'acute', ED[1], day(2),
                          'mona', None, None))
        self.assertEqual(a['metric_label'], 'ED 4-hour performance')
        rows = self.audit('action.create', 'action %d' % a['id'])
        self.assertEqual(len(rows), 1, rows)
        self.assertEqual(rows[0][0], 'mona')
        self.assertEqual({k: rows[0][2].get(k) for k in ('title', 'owner', 'partner', 'metric')},
                         {'title': 'Open, "now"', 'owner': 'ann', 'partner': 'acute',
                          'metric': ED[1]})
        self.assertNotIn('site', rows[0][2], 'an empty site is left out of the detail')
        whole = self.create(title='Whole system')
        self.assertNotIn('partner', self.audit('action.create', 'action %d' % whole['id'])[0][2])
        # the audit log reads in words: the action's title and what it is about
        status, _, b = m.request('GET', '/api/audit?action=action.create')
        titles = {r['target']: r['title'] for r in b['rows']}
        self.assertEqual(titles['action %d' % whole['id']], 'Whole system')
        self.assertEqual(titles['action %d' % a['id']],
                         'Open, "now" - ED 4-hour performance - ' + a['partner_label'])

        before = (self.count('action'), len(self.audit('action.create')))
        good = {'title': 'x', 'owner': 'ann', 'due_on': day(1)}
        for change, words in (
                ({'title': ''}, 'title must say what is to be done'),
                ({'owner': 'Ann Smith'}, 'owner must be a person of the rota'),
                ({'owner': 'zed'}, 'owner must be a person of the rota: nobody called "zed"'),
                ({'due_on': '2026-02-30'}, 'due_on must be a date that exists'),
                ({'due_on': None}, 'due_on must be a date that exists'),
                ({'partner': 'nowhere'}, 'partner "nowhere" is not one of the partners'),
                ({'partner': 'acute', 'metric': 'ed.nothing'},
                 'metric "ed.nothing" is not a measure of'),
                ({'metric': ED[1]}, 'metric needs its partner'),
                ({'huddle_id': 999999}, 'huddle_id 999999: there is no such huddle'),
                ({'colour': 'red'}, "unknown field 'colour'")):
            status, _, b = m.request('POST', '/api/actions', dict(good, **change))
            self.assertEqual(status, 400, '%r: %r' % (change, b))
            self.assertIn(words, b['error'], change)
        status, _, b = m.request('POST', '/api/actions', [1])
        self.assertEqual(status, 400, b)
        self.assertEqual((self.count('action'), len(self.audit('action.create'))), before,
                         'a refused action left a row behind')

    def test_02_updates_close_reopen_and_history(self):
        m = self.who('mona')
        a = self.create(title='Discharge lounge open at weekends')
        path = '/api/actions/%d' % a['id']
        status, _, b = m.request('POST', path, {'status': 'in_progress',
                                                'text': 'Rang the site manager'})
        self.assertEqual(status, 200, b)
        self.assertEqual((b['status'], b['closed_at']), ('in_progress', None))
        self.assertEqual({k: b['last_update'][k] for k in ('by', 'status', 'text')},
                         {'by': 'mona', 'status': 'in_progress', 'text': 'Rang the site manager'})
        self.assertGreater(ce.parse_iso_utc(b['updated_at']), ce.parse_iso_utc(a['updated_at']))
        status, _, done = m.request('POST', path, {'status': 'done'})
        self.assertEqual(status, 200, done)
        self.assertIsNotNone(done['closed_at'], 'closing must stamp closed_at')
        status, _, b = m.request('POST', path, {'owner': 'bob', 'due_on': day(9)})
        self.assertEqual(status, 200, b)
        self.assertEqual((b['owner'], b['owner_name'], b['due_on'], b['closed_at']),
                         ('bob', 'Bob Jones', day(9), done['closed_at']),
                         'an edit of a closed action keeps it closed')
        status, _, b = m.request('POST', path, {'status': 'open', 'text': 'Not over yet'})
        self.assertEqual(status, 200, b)
        self.assertIsNone(b['closed_at'], 'reopening must clear closed_at')
        status, _, b = self.who('dora').request('GET', path)
        self.assertEqual(status, 200, b)
        self.assertEqual([(u['by'], u['status'], u['text']) for u in b['updates']],
                         [('mona', 'in_progress', 'Rang the site manager'),
                          ('mona', 'done', ''),
                          ('mona', None, 'owner now Bob Jones; due %s (was %s)' % (day(9), day(3))),
                          ('mona', 'open', 'Not over yet')])
        rows = self.audit('action.update', 'action %d' % a['id'])
        self.assertEqual(len(rows), 4, rows)
        self.assertEqual((rows[1][2]['before'], rows[1][2]['after']),
                         ({'status': 'in_progress'}, {'status': 'done'}))
        self.assertEqual(rows[3][2]['text'], 'Not over yet')

        for body, words in (({'status': 'closed'}, 'status must be open, in_progress, done or '
                                                   'dropped'),
                            ({}, 'nothing to record'),
                            ({'owner': 'zed'}, 'nobody called "zed"'),
                            ({'due_on': '31/12/2026'}, 'due_on must be a date that exists')):
            status, _, b = m.request('POST', path, body)
            self.assertEqual(status, 400, '%r: %r' % (body, b))
            self.assertIn(words, b['error'])
        for p in ('/api/actions/999999', '/api/actions/abc'):
            status, _, b = m.request('POST', p, {'status': 'done'})
            self.assertEqual(status, 404, b)
            self.assertIn('there is no action', b['error'])
            status, _, b = m.request('GET', p)
            self.assertEqual(status, 404, b)
        self.assertEqual(len(self.audit('action.update', 'action %d' % a['id'])), 4,
                         'refused changes must not be audited')

    def test_03_roles(self):
        anon, dora, mona = ta.Session(self), self.who('dora'), self.who('mona')
        a = self.create()
        for path in ('/api/actions', '/api/actions/%d' % a['id'], '/api/huddles',
                     '/api/huddles/brief', '/api/actions?format=csv'):
            status, _, b = anon.request('GET', path)
            self.assertEqual(status, 401, '%s: %r' % (path, b))
            status, _, b = dora.request('GET', path)
            self.assertEqual(status, 403 if 'csv' in path else 200, '%s: %r' % (path, b))
        for path, body in (('/api/actions', {'title': 'x', 'owner': 'ann', 'due_on': day(1)}),
                           ('/api/actions/%d' % a['id'], {'status': 'done'}),
                           ('/api/huddles', {}), ('/api/huddles/1', {'end': True})):
            status, _, b = dora.request('POST', path, body)
            self.assertEqual(status, 403, '%s: %r' % (path, b))
            status, _, b = anon.request('POST', path, body)
            self.assertEqual(status, 401, '%s: %r' % (path, b))
            status, _, b = mona.request('POST', path, body, csrf=False)
            self.assertEqual(status, 403, 'no CSRF token: %s: %r' % (path, b))
        status, _, b = mona.request('GET', '/api/actions?format=csv')
        self.assertEqual(status, 200, b)

    def test_04_filters_and_csv(self):
        m = self.who('mona')
        tricky = 'Beds, "escalation"\nand a second line'
        x = self.create(title=tricky, owner='cat', partner='acute', metric=ED[1], site='RXX01',
                        due_on=day(-1))
        y = self.create(title='later', owner='cat', due_on=day(30))
        z = self.create(title='dropped one', owner='cat', due_on=day(-2))
        m.request('POST', '/api/actions/%d' % z['id'], {'status': 'dropped', 'text': 'no, thanks'})

        def ids(query):
            status, _, b = self.who('dora').request('GET', '/api/actions?' + query)
            self.assertEqual(status, 200, b)
            return [a['id'] for a in b['actions']]
        mine = ids('owner=cat')
        self.assertEqual(mine, [z['id'], x['id'], y['id']], 'ordered by due date')
        self.assertEqual(ids('owner=cat&status=open,in_progress'), [x['id'], y['id']])
        self.assertEqual(ids('owner=cat&status=dropped'), [z['id']])
        self.assertEqual(ids('owner=cat&due_before=' + day(0)), [z['id'], x['id']])
        self.assertEqual(ids('owner=cat&partner=acute&metric=' + ED[1] + '&site=RXX01'), [x['id']])
        self.assertEqual(ids('owner=cat&limit=1'), [z['id']])
        self.assertEqual(ids('owner=cat&status=&partner=&metric=&site=&due_before='), mine,
                         'empty filters filter nothing')
        for query, words in (('status=late', 'status= must list'),
                             ('due_before=2026-13-01', 'due_before= must be a date'),
                             ('limit=0', 'limit='), ('format=xml', 'format=')):
            status, _, b = m.request('GET', '/api/actions?' + query)
            self.assertEqual(status, 400, '%s: %r' % (query, b))
            self.assertIn(words, b['error'])

        status, hdrs, raw = ce.http_request(
            self.env.url + '/api/actions?format=csv&owner=cat', 'GET', None,
            {'Cookie': 'commcell_session=' + m.cookie}, timeout=30)
        self.assertEqual(status, 200, raw)
        self.assertTrue(hdrs['content-type'].startswith('text/csv'), hdrs)
        self.assertRegex(hdrs['content-disposition'],
                         r'^attachment; filename="commcell-actions-\d{4}-\d\d-\d\d\.csv"$')
        text = raw.decode('utf-8') if isinstance(raw, bytes) else raw
        self.assertIn('\r\n', text, 'RFC 4180 records end in CRLF')
        rows = list(csv.DictReader(io.StringIO(text, newline='')))
        self.assertEqual([int(r['id']) for r in rows], [z['id'], x['id'], y['id']])
        self.assertEqual(rows[1]['title'], tricky, 'the title must come back intact')
        self.assertEqual((rows[1]['owner_name'], rows[1]['partner'], rows[1]['metric_label'],
                          rows[1]['site'], rows[1]['due_on'], rows[1]['status']),
                         ('Cat Lee', 'acute', 'ED 4-hour performance', 'RXX01', day(-1), 'open'))
        self.assertEqual((rows[0]['status'], rows[0]['last_update_text'],
                          rows[0]['last_update_by']), ('dropped', 'no, thanks', 'mona'))
        self.assertNotEqual(rows[0]['closed_at'], '')
        self.assertEqual(rows[2]['partner'], '')

    # -- huddles ----------------------------------------------------------------------------------
    def test_05_huddles_and_brief(self):
        env, m = self.env, self.who('mona')
        env.hub("INSERT INTO commcell.team (name, label) VALUES ('ops', 'Ops') "
                "ON CONFLICT DO NOTHING")
        env.hub("INSERT INTO commcell.escalation_policy (name) VALUES ('std') "
                "ON CONFLICT DO NOTHING")
        # disabled: the alert engine leaves its alerts alone, the brief still reads them
        rule = env.hub("INSERT INTO commcell.alert_rule (name, partner, metric, status, team, "
                       "policy, enabled) VALUES ('ED red', 'acute', %s, 'red', 'ops', 'std', "
                       "false) RETURNING id", (ED[1],))[0][0]

        def alert(summary, ago_s):
            env.hub("INSERT INTO commcell.alert (rule_id, partner, metric, state, severity, "
                    "summary, started_at, fired_at, resolved_at) VALUES (%s, 'acute', %s, "
                    "'resolved', 'warning', %s, now() - make_interval(secs => %s), "
                    "now() - make_interval(secs => %s), now() - make_interval(secs => %s))",
                    (rule, ED[1], summary, ago_s, ago_s, ago_s))

        def level(reason, ago_s):
            env.hub("INSERT INTO commcell.level_history (level, label, reason, at) VALUES "
                    "(3, 'OPEL 3', %s, now() - make_interval(secs => %s))", (reason, ago_s))

        status, _, b = m.request('GET', '/api/huddles')
        self.assertEqual((status, b['open']), (200, None), b)
        status, _, first = m.request('POST', '/api/huddles')
        self.assertEqual(status, 201, first)
        self.assertEqual((first['run_by'], first['ended_at']), ('mona', None))
        status, _, b = self.who('alice').request('POST', '/api/huddles', {})
        self.assertEqual(status, 409, b)
        self.assertIn('a huddle is already running: mona started it', b['error'])
        status, _, b = m.request('GET', '/api/huddles')
        self.assertEqual(b['open']['id'], first['id'])
        status, _, b = m.request('POST', '/api/huddles/%d' % first['id'],
                                 {'end': True, 'notes': 'Beds short at Southgate'})
        self.assertEqual(status, 200, b)
        self.assertIsNotNone(b['ended_at'])
        self.assertEqual(b['notes'], 'Beds short at Southgate')
        status, _, b = m.request('POST', '/api/huddles/%d' % first['id'], {'end': True})
        self.assertEqual(status, 409, b)
        self.assertIn('this huddle already ended', b['error'])
        status, _, b = m.request('POST', '/api/huddles/999999', {'end': True})
        self.assertEqual((status, b['error']), (404, 'there is no huddle 999999'))
        status, _, b = m.request('POST', '/api/huddles/%d' % first['id'], {'end': False})
        self.assertEqual(status, 400, b)
        starts = self.audit('huddle.start', 'huddle %d' % first['id'])
        ends = self.audit('huddle.end', 'huddle %d' % first['id'])
        self.assertEqual(([r[0] for r in starts], [r[0] for r in ends]), (['mona'], ['mona']))
        self.assertEqual(ends[0][2]['notes'], 'Beds short at Southgate')
        status, _, b = m.request('GET', '/api/audit?action=huddle.')
        self.assertRegex([r['title'] for r in b['rows'] if r['target'] == 'huddle %d' % first['id']
                          and r['action'] == 'huddle.start'][0],
                         r'^huddle of \d\d [A-Z][a-z]{2} \d{4} \d\d:\d\d run by mona$')

        # before the last ended huddle started: not in the brief; after: in it, oldest first
        alert('before the huddle', 3600)
        level('before the huddle', 3600)
        alert('since the huddle', 0)
        level('since the huddle, first', 0)
        level('since the huddle, second', 0)
        status, _, b = self.who('dora').request('GET', '/api/huddles/brief')
        self.assertEqual(status, 200, b)
        self.assertEqual(ce.parse_iso_utc(b['since']), ce.parse_iso_utc(first['started_at']))
        summaries = [a['summary'] for a in b['alerts']]
        self.assertIn('since the huddle', summaries)
        self.assertNotIn('before the huddle', summaries)
        a = [x for x in b['alerts'] if x['summary'] == 'since the huddle'][0]
        self.assertEqual((a['rule'], a['stage'], a['state'], a['metric_label']),
                         ('ED red', 'ed', 'resolved', 'ED 4-hour performance'))
        reasons = [lv['reason'] for lv in b['levels']]
        self.assertNotIn('before the huddle', reasons)
        self.assertLess(reasons.index('since the huddle, first'),
                        reasons.index('since the huddle, second'))

        # an action recorded during the next huddle names it
        status, _, second = m.request('POST', '/api/huddles', {'notes': 'winter'})
        self.assertEqual(status, 201, second)
        act = self.create(title='Recorded in the huddle', huddle_id=second['id'])
        self.assertEqual(act['huddle_id'], second['id'])
        status, _, b = m.request('POST', '/api/huddles/%d' % second['id'], {'end': True})
        self.assertEqual(status, 200, b)

    # -- live lists ------------------------------------------------------------------------------
    def test_06_live_lists_on_the_websocket(self):
        env, m = self.env, self.who('mona')
        env.hub('DELETE FROM commcell.goal')

        async def go():
            async with self.ws() as c:
                snap = await c.snapshot()
                self.assertIsInstance(snap.get('goals'), list, 'snapshot without goals')
                self.assertIsInstance(snap.get('actions'), list, 'snapshot without actions')
                self.assertTrue(all(a['status'] in ('open', 'in_progress')
                                    for a in snap['actions']), snap['actions'])
                t0 = time.monotonic()
                a = await asyncio.to_thread(self.create, title='Live on the wall')
                msg = await c.wait_for(lambda x: a['id'] in [y['id'] for y in x.data['actions']],
                                       timeout=1.0, types=('actions',))
                live = [y for y in msg.data['actions'] if y['id'] == a['id']][0]
                self.assertEqual((live['title'], live['owner_name']), ('Live on the wall',
                                                                       'Ann Smith'))
                took = msg.t - t0
                # closing it takes it off the list
                await asyncio.to_thread(m.request, 'POST', '/api/actions/%d' % a['id'],
                                        {'status': 'done'})
                await c.wait_for(lambda x: a['id'] not in [y['id'] for y in x.data['actions']],
                                 timeout=1.0, types=('actions',))
                t1 = time.monotonic()
                await asyncio.to_thread(
                    env.hub, "INSERT INTO commcell.goal (partner, metric, baseline, target, "
                    "starts_on, ends_on, created_by, updated_by) VALUES (%s, %s, 70, 78, "
                    "'2026-01-01', '2027-03-31', 'sql', 'sql')", ED)
                msg = await c.wait_for(lambda x: len(x.data['goals']) == 1, timeout=1.0,
                                       types=('goals',))
                g = msg.data['goals'][0]
                self.assertEqual((g['partner'], g['metric'], g['target'], g['unit']),
                                 (ED[0], ED[1], 78, '%'))
                return took, msg.t - t1
        took, goal_took = self.run_async(go())
        out('POST /api/actions -> "actions" message at a display: %.0f ms; goal INSERT -> '
            '"goals" message: %.0f ms' % (took * 1000, goal_took * 1000))

        # a display connecting now gets both in its snapshot
        async def fresh():
            async with self.ws() as c:
                return await c.snapshot()
        snap = self.run_async(fresh())
        self.assertEqual([g['metric'] for g in snap['goals']], [ED[1]])

    def test_07_second_instance_hears_changes_made_through_the_first(self):
        env = self.env
        tmp = tempfile.mkdtemp(prefix='commcell-actions-')
        os.chmod(tmp, 0o755)
        cls = type(self)
        cls.b = ce.Daemon(env.daemon.bin, os.path.join(tmp, 'b.conf'), os.path.join(tmp, 'b.log'))
        cls.b.write_config(ce.free_port(), env.hub_conninfo(), allow_anonymous_display='false',
                           trusted_proxies='127.0.0.1/32')
        cls.b.start()
        cookie = self.who('dora').cookie

        async def go():
            async with ce.WsClient(cls.b.ws_url, 'display of B',
                                   headers={'Cookie': 'commcell_session=' + cookie}) as c:
                await c.snapshot()
                t0 = time.monotonic()
                a = await asyncio.to_thread(self.create, title='Made through A')
                msg = await c.wait_for(lambda x: a['id'] in [y['id'] for y in x.data['actions']],
                                       timeout=2.0, types=('actions',))
                return msg.t - t0
        took = self.run_async(go())
        out('POST to instance A -> "actions" message at a display of instance B: %.0f ms'
            % (took * 1000))
        cls.b.stop(check=True)
        cls.b = None
        if not env.keep:
            shutil.rmtree(tmp, ignore_errors=True)

    def test_08_lists_reload_when_the_hub_connection_comes_back(self):
        env = self.env

        async def go():
            async with self.ws() as c:
                await c.snapshot()
                # without its NOTIFY, only the reload after a reconnect can bring this action
                await asyncio.to_thread(env.hub, 'ALTER TABLE commcell.action '
                                        'DISABLE TRIGGER action_meeting_notify')
                try:
                    aid = (await asyncio.to_thread(
                        env.hub, "INSERT INTO commcell.action (title, owner, due_on, created_by) "
                        "VALUES ('Written while nobody listened', 'ann', current_date, 'sql') "
                        "RETURNING id"))[0][0]
                finally:
                    await asyncio.to_thread(env.hub, 'ALTER TABLE commcell.action '
                                            'ENABLE TRIGGER action_meeting_notify')
                with self.assertRaises(ce.HarnessError):
                    await c.wait_for(lambda x: aid in [y['id'] for y in x.data['actions']],
                                     timeout=1.5, types=('actions',))
                n = (await asyncio.to_thread(
                    env.hub, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = 'commcell' AND application_name = 'commcelld'"))[0][0]
                self.assertGreaterEqual(n, 1, 'no commcelld session on the hub')
                await c.wait_for(lambda x: aid in [y['id'] for y in x.data['actions']],
                                 timeout=20, types=('actions',))
        self.run_async(go())
        self.assertDaemonAlive()
