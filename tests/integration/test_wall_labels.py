"""Short labels for the wall (issue 15): commcell.metric.short_label and
commcell.partner.short_label reach the board JSON beside the labels, with the label when there
is none; an admin sets, keeps or clears a partner's short label through POST /api/partners,
validated, audited and reloaded live. (Metrics have no editing API besides their thresholds:
their short labels are set in the hub, as sql/demo/seed.sql does.)"""

import json

from itbase import EnvCase, ce
from test_auth import Session, hash_password, PASSWORD

ED = ('acute', 'ed.four_hour_performance')


class WallLabelsTest(EnvCase):
    start_daemon = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        try:
            cls.env.write_config(allow_anonymous_display='true')
            cls.env.start_daemon()
            cls.env.hub('INSERT INTO commcell.app_user (name, role, password_hash) '
                        "VALUES ('alice', 'admin', %s), ('mona', 'manager', %s)",
                        (hash_password(PASSWORD), hash_password(PASSWORD)))
        except BaseException:
            cls.tearDownClass()
            raise

    def signin(self, user):
        s = Session(self)
        status, hdrs, body = s.request('POST', '/api/session', {'user': user, 'password': PASSWORD})
        self.assertEqual(status, 200, body)
        s.cookie = hdrs['set-cookie'].split(';')[0].split('=', 1)[1]
        s.csrf = body['csrf_token']
        return s

    def snapshot(self):
        async def go():
            async with self.env.client() as c:
                return await c.snapshot()
        return self.run_async(go(), 30)

    def entry(self, snap, partner, key, site=''):
        for e in snap['metrics']:
            if (e['partner'], e['key'], e['site']) == (partner, key, site):
                return e
        self.fail('no entry %s/%s/%r in the snapshot' % (partner, key, site))

    def partner(self, snap, name):
        return {p['name']: p for p in snap['partners']}[name]

    def wait_snapshot(self, pred, what):
        box = {}

        def check():
            box['snap'] = self.snapshot()
            return pred(box['snap'])
        ce.wait_until(check, 15, 0.2, what)
        return box['snap']

    def test_01_metric_short_label_or_its_label(self):
        label = self.env.hub('SELECT label FROM commcell.metric WHERE partner = %s AND key = %s', ED)[0][0]
        snap = self.snapshot()
        e = self.entry(snap, *ED)
        self.assertEqual((e['label'], e['short_label']), (label, label), 'without one: the label')
        self.assertIsInstance(e['position'], int)
        self.env.hub("UPDATE commcell.metric SET short_label = '4h all' WHERE partner = %s AND key = %s", ED)
        snap = self.wait_snapshot(lambda s: self.entry(s, *ED)['short_label'] == '4h all',
                                  'the short label to reach the board')
        self.assertEqual(self.entry(snap, *ED)['label'], label, 'the label stays beside it')
        # the hub refuses an empty or long one
        for bad in ('', 'x' * 41):
            with self.assertRaises(Exception):
                self.env.hub('UPDATE commcell.metric SET short_label = %s WHERE partner = %s AND key = %s',
                             (bad,) + ED)
        self.env.hub('UPDATE commcell.metric SET short_label = NULL WHERE partner = %s AND key = %s', ED)
        self.wait_snapshot(lambda s: self.entry(s, *ED)['short_label'] == label,
                           'the label back as the short label')

    def test_02_partner_short_label_through_the_api(self):
        a, m = self.signin('alice'), self.signin('mona')
        label = self.partner(self.snapshot(), 'acute')['label']
        self.assertEqual(self.partner(self.snapshot(), 'acute')['short_label'], label)
        body = {'name': 'acute', 'label': label, 'short_label': 'Northgate'}
        status, _, b = m.request('POST', '/api/partners', body)
        self.assertEqual(status, 403, b)
        status, _, b = a.request('POST', '/api/partners', body)
        self.assertEqual(status, 200, b)
        self.assertEqual(b['short_label'], 'Northgate')
        self.wait_snapshot(lambda s: self.partner(s, 'acute')['short_label'] == 'Northgate',
                           'the partner short label to reach the board')
        status, _, b = a.request('GET', '/api/partners')
        self.assertEqual({p['name']: p for p in b['partners']}['acute']['short_label'], 'Northgate')
        audit = self.env.hub("SELECT detail FROM commcell.audit WHERE action = 'partner.save' "
                             'ORDER BY id DESC LIMIT 1')[0][0]
        self.assertEqual((audit['before']['short_label'], audit['after']['short_label']),
                         (None, 'Northgate'), json.dumps(audit))

        # left out: kept; null: removed (the label is shown)
        status, _, b = a.request('POST', '/api/partners', {'name': 'acute', 'label': label})
        self.assertEqual((status, b['short_label']), (200, 'Northgate'), b)
        status, _, b = a.request('POST', '/api/partners', {'name': 'acute', 'label': label,
                                                           'short_label': None})
        self.assertEqual((status, b['short_label']), (200, None), b)
        self.wait_snapshot(lambda s: self.partner(s, 'acute')['short_label'] == label,
                           'the label back as the partner short label')

        # refused before the hub is asked, with the field's name first
        before = self.env.hub("SELECT count(*) FROM commcell.audit WHERE action = 'partner.save'")[0][0]
        for bad in ('', 'x' * 41, 'two\nlines', 42, True, ['a']):
            status, _, b = a.request('POST', '/api/partners', {'name': 'acute', 'label': label,
                                                               'short_label': bad})
            self.assertEqual(status, 400, '%r: %r' % (bad, b))
            self.assertTrue(b['error'].startswith('short_label'), b)
        # forty characters are fine, counted as characters, not bytes
        status, _, b = a.request('POST', '/api/partners', {'name': 'acute', 'label': label,
                                                           'short_label': 'é' * 40})
        self.assertEqual((status, b['short_label']), (200, 'é' * 40), b)
        after = self.env.hub("SELECT count(*) FROM commcell.audit WHERE action = 'partner.save'")[0][0]
        self.assertEqual(after, before + 1, 'refused saves leave no audit row')
