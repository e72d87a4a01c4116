"""The admin's partners and rota: each change is validated by the daemon, saved in the hub with
its audit row in the same statement, and (for partners) reloaded live; managers may read the rota
but change nothing; passwords and contact secrets never come back out."""

import json
import time

from itbase import ce
import test_auth as base  # the same harness: its daemon, users and sign-in helpers

PARTNER_PW = 'pw-Never-Shown-42'


def iso(offset_s):
    return time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime(time.time() + offset_s))


class AdminTest(base.AuthTest):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.env.hub("INSERT INTO commcell.team (name, label) VALUES ('it_oncall', 'IT on call') "
                        "ON CONFLICT DO NOTHING")
        except BaseException:
            cls.tearDownClass()
            raise

    def test_20_partner_create_reloads_live(self):
        a = self.admin()
        conninfo = ('host=127.0.0.1 port=1 dbname=partner_extra user=reader password=%s '
                    'connect_timeout=1' % PARTNER_PW)
        status, _, b = a.request('POST', '/api/partners', {
            'name': 'extra_trust', 'label': 'Extra Trust', 'conninfo': conninfo, 'enabled': True})
        self.assertEqual(status, 201, b)
        ce.wait_until(lambda: 'extra_trust' in [p['partner'] for p in
                                                 a.request('GET', '/api/feeds')[2]],
                      10, 0.1, 'the new partner to appear in /api/feeds')
        status, _, b = a.request('GET', '/api/partners')
        self.assertEqual(status, 200, b)
        p = {x['name']: x for x in b['partners']}['extra_trust']
        self.assertEqual((p['label'], p['enabled'], p['feeds']), ('Extra Trust', True, 0))
        self.assertNotIn(PARTNER_PW, json.dumps(b))
        self.assertIn('password=********', p['conninfo'])
        # disabling it is an update (200) and takes it off the board
        status, _, b = a.request('POST', '/api/partners', {
            'name': 'extra_trust', 'label': 'Extra Trust', 'conninfo': conninfo,
            'enabled': False})
        self.assertEqual(status, 200, b)
        ce.wait_until(lambda: 'extra_trust' not in [p['partner'] for p in
                                                     a.request('GET', '/api/feeds')[2]],
                      10, 0.1, 'the disabled partner to leave /api/feeds')
        rows = self.audit('partner.save')
        self.assertEqual(len(rows), 2, rows)
        self.assertEqual({(r[0], r[1]) for r in rows}, {('alice', 'extra_trust')})
        self.assertNotIn(PARTNER_PW, json.dumps([r[2] for r in rows]))
        self.assertNotIn('conninfo', [k for r in rows for k in r[2] if k != 'conninfo_changed'])
        # an update may leave the connection string out: the hub keeps it
        status, _, b = a.request('POST', '/api/partners', {
            'name': 'extra_trust', 'label': 'Extra Trust (renamed)', 'enabled': False})
        self.assertEqual(status, 200, b)
        self.assertEqual(self.env.hub("SELECT label, conninfo FROM commcell.partner "
                                      "WHERE name = 'extra_trust'")[0], ('Extra Trust (renamed)',
                                                                          conninfo))
        self.assertFalse(self.audit('partner.save')[-1][2]['conninfo_changed'])

    def test_21_partner_validation_and_roles(self):
        a, m = self.admin(), self.signin('mona')
        good = {'name': 'other', 'label': 'Other', 'conninfo': 'host=x dbname=y'}
        status, _, b = m.request('POST', '/api/partners', good)
        self.assertEqual(status, 403, b)
        status, _, b = m.request('GET', '/api/partners')
        self.assertEqual(status, 403, b)
        for field, value in (('name', 'Bad Name!'), ('name', ''), ('name', 'x' * 41),
                             ('label', ''), ('label', 'l' * 201), ('conninfo', 'nonsense'),
                             ('conninfo', ''), ('enabled', 'yes')):
            status, _, b = a.request('POST', '/api/partners', dict(good, **{field: value}))
            self.assertEqual(status, 400, '%s=%r: %r' % (field, value, b))
            self.assertTrue(b['error'].startswith(field), b)
        status, _, b = a.request('POST', '/api/partners', {'name': 'other', 'label': 'Other'})
        self.assertEqual(status, 400, b)
        self.assertEqual(b['error'], 'conninfo is required for a new partner')
        before = len(self.audit('partner.save'))
        self.assertEqual(self.env.hub("SELECT count(*) FROM commcell.partner "
                                      "WHERE name = 'other'")[0][0], 0)
        self.assertEqual(len(self.audit('partner.save')), before)

    def test_22_person_with_contacts_round_trips_without_secrets(self):
        a, m = self.admin(), self.signin('mona')
        person = {'name': 'pat', 'label': 'Pat Oncall', 'contacts': [
            {'channel': 'email', 'target': 'pat@example.org'},
            {'channel': 'webhook', 'target': 'https://hooks.example.org/pat',
             'secret': 'hook-Secret-99'}]}
        status, _, b = m.request('POST', '/api/rota/people', person)
        self.assertEqual(status, 403, b)
        status, _, b = a.request('POST', '/api/rota/people', person)
        self.assertEqual(status, 201, b)
        status, _, b = m.request('GET', '/api/rota')
        self.assertEqual(status, 200, b)
        self.assertNotIn('hook-Secret-99', json.dumps(b))
        p = {x['name']: x for x in b['people']}['pat']
        self.assertEqual(p['label'], 'Pat Oncall')
        self.assertEqual([(c['channel'], c['target'], c['has_secret']) for c in p['contacts']],
                         [('email', 'pat@example.org', False),
                          ('webhook', 'https://hooks.example.org/pat', True)])
        self.assertIn('it_oncall', [t['name'] for t in b['teams']])
        # saving again replaces the contacts
        person['contacts'] = person['contacts'][:1]
        status, _, b = a.request('POST', '/api/rota/people', person)
        self.assertEqual(status, 200, b)
        b = a.request('GET', '/api/rota')[2]
        self.assertEqual(len({x['name']: x for x in b['people']}['pat']['contacts']), 1)
        status, _, b = a.request('POST', '/api/rota/people', dict(person, contacts=[
            {'channel': 'pager', 'target': '123'}]))
        self.assertEqual(status, 400, b)
        rows = self.audit('rota.person.save')
        self.assertEqual(len(rows), 2, rows)
        self.assertNotIn('hook-Secret-99', json.dumps([r[2] for r in rows]))

    def test_23_shift_create_delete_audit(self):
        a = self.admin()
        a.request('POST', '/api/rota/people', {'name': 'sam', 'label': 'Sam', 'contacts': []})
        shift = {'team': 'it_oncall', 'level': 1, 'person': 'sam', 'starts_at': iso(3600),
                 'ends_at': iso(3600 * 13), 'is_override': True, 'reason': 'covering leave'}
        status, _, b = self.signin('mona').request('POST', '/api/rota/shifts', shift)
        self.assertEqual(status, 403, b)
        status, _, b = a.request('POST', '/api/rota/shifts', dict(shift, ends_at=iso(60)))
        self.assertEqual(status, 400, b)
        self.assertIn('ends_at must be after starts_at', b['error'])
        status, _, b = a.request('POST', '/api/rota/shifts', dict(shift, level=6))
        self.assertEqual(status, 400, b)
        status, _, b = a.request('POST', '/api/rota/shifts', dict(shift, starts_at='tomorrow'))
        self.assertEqual(status, 400, b)
        status, _, b = a.request('POST', '/api/rota/shifts', dict(shift, person='nobody'))
        self.assertEqual(status, 400, b)
        status, _, b = a.request('POST', '/api/rota/shifts', shift)
        self.assertEqual(status, 201, b)
        sid = b['id']
        b = a.request('GET', '/api/rota')[2]
        s = {x['id']: x for x in b['shifts']}[sid]
        self.assertEqual((s['person'], s['team'], s['is_override']), ('sam', 'it_oncall', True))
        status, _, b = a.request('DELETE', '/api/rota/shifts/%d' % sid)
        self.assertEqual(status, 200, b)
        status, _, b = a.request('DELETE', '/api/rota/shifts/%d' % sid)
        self.assertEqual(status, 404, b)
        self.assertNotIn(sid, [x['id'] for x in a.request('GET', '/api/rota')[2]['shifts']])
        self.assertEqual([r[1] for r in self.audit('rota.shift.create')], [str(sid)])
        self.assertEqual([r[1] for r in self.audit('rota.shift.delete')], [str(sid)])
        self.assertEqual(self.audit('rota.shift.delete')[0][0], 'alice')


# the inherited sign-in tests run in test_auth; here only the admin tests above
for _name in [n for n in dir(base.AuthTest) if n.startswith('test_')]:
    setattr(AdminTest, _name, None)
