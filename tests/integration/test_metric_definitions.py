"""Every metric of the demo carries its definition in words (issue 15, item 5).

sql/hub/014_metric_definitions.sql adds commcell.metric.definition; sql/demo/seed.sql fills it.
The manager view shows it when a tile is chosen (tests/browser/manager_access.test.mjs checks
that end to end). Here: the demo seed loaded into a fresh hub leaves no metric without one, each
names its window or says it is a position now, and the hub refuses a definition too long to read.
No daemon is needed.
"""

import re
import unittest

import psycopg2

from itbase import ce

# A definition says over which time it counts: a window ("last hour", "last 24 hours", "since
# midnight"), a position ("now", "latest"), or that the provider defines it.
WINDOW = re.compile(r'last (hour|\d+ hours)|since midnight|\bnow\b|today|latest|own definition')


class MetricDefinitionsTest(unittest.TestCase):
    env = None

    @classmethod
    def setUpClass(cls):
        cls.env = ce.DemoEnv()
        cls.env.start(daemon=False)

    @classmethod
    def tearDownClass(cls):
        if cls.env is not None:
            env, cls.env = cls.env, None
            env.close()

    def test_every_demo_metric_has_a_definition(self):
        rows = self.env.hub('SELECT partner, key, label, definition FROM commcell.metric ORDER BY partner, key')
        self.assertGreaterEqual(len(rows), 25, 'the demo seed defines the whole pathway')
        for partner, key, label, definition in rows:
            with self.subTest(metric='%s/%s' % (partner, key)):
                self.assertIsNotNone(definition, '%s has no definition' % key)
                text = definition.strip()
                self.assertGreaterEqual(len(text), 40, 'too short to say what is counted: %r' % text)
                self.assertNotEqual(text, label.strip(), 'a definition is more than the label')
                self.assertRegex(text, WINDOW, 'the definition must say its window')
        # no two metrics share one text (a copy-paste slip would)
        texts = [r[3] for r in rows]
        self.assertEqual(len(set(texts)), len(texts), 'two metrics share a definition')

    def test_definition_length_is_bounded(self):
        key = 'ed.arrivals_last_hour'
        before = self.env.hub('SELECT definition FROM commcell.metric WHERE key = %s', (key,))[0][0]
        try:
            with self.assertRaises(psycopg2.errors.CheckViolation):
                self.env.hub("UPDATE commcell.metric SET definition = repeat('x', 2001) WHERE key = %s", (key,))
            # a paragraph is fine, and NULL (not written yet) too
            self.env.hub("UPDATE commcell.metric SET definition = repeat('x', 2000) WHERE key = %s", (key,))
            self.env.hub('UPDATE commcell.metric SET definition = NULL WHERE key = %s', (key,))
        finally:
            self.env.hub('UPDATE commcell.metric SET definition = %s WHERE key = %s', (before, key))


if __name__ == '__main__':
    unittest.main()
