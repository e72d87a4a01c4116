// Browser test: alerts read in words. A value at Northgate General Hospital goes red and fires an
// alert; the wall display's alert line, the manager view's alert list and its audit log name the
// measure, the site, the partner and the person told by their labels, not by their keys.
//
// Needs what wall.test.mjs needs (Debian's chromium, psql, tests/harness/commcell_env.py).

import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Session, OUTPUT, psql, addUsers, signInForm } from './common.mjs';

const PASSWORD = 'words not keys, please';

// The harness seeds metric ed.four_hour_performance ("ED 4-hour performance", red below 76) for
// partner acute ("Northgate Hospitals NHS Trust"); this test names site NGH.
const WORDS = ['ED 4-hour performance', 'Northgate General Hospital', 'Northgate Hospitals NHS Trust'];
const KEYS = /ed\.four_hour_performance|\bacute\b|\bNGH\b/;

const session = new Session('commcell-words-');
const step = session.step.bind(session);
const newPage = () => session.newPage();
let env = null;

describe('alerts in words', { concurrency: false }, () => {
  before(async () => {
    await session.start(async (e) => {
      env = e;
      await addUsers(env.hub, PASSWORD, { mona: 'manager' });
      // someone on call, told by a command that succeeds, and a rule that fires at once
      await psql(env.hub, "INSERT INTO commcell.site (partner, code, label) VALUES ('acute', 'NGH', 'Northgate General Hospital');" +
        "INSERT INTO commcell.person VALUES ('alice', 'Alice Oncall');" +
        "INSERT INTO commcell.contact (person, channel, target) VALUES ('alice', 'exec', '[\"/bin/true\"]');" +
        "INSERT INTO commcell.team VALUES ('ops', 'Operations');" +
        "INSERT INTO commcell.rota_shift (team, level, person, starts_at, ends_at) VALUES ('ops', 1, 'alice', now() - interval '1 hour', now() + interval '1 day');" +
        "INSERT INTO commcell.escalation_policy (name) VALUES ('standard');" +
        "INSERT INTO commcell.alert_rule (name, partner, metric, status, for_s, severity, team, policy) VALUES " +
        "('ED 4-hour red', 'acute', 'ed.four_hour_performance', 'red', 0, 'critical', 'ops', 'standard')");
      await psql(env.partners.acute, "INSERT INTO commcell.observation (metric, site, value) VALUES ('ed.four_hour_performance', 'NGH', 51.5)");
    });
  }, { timeout: 300_000 });

  after(() => session.stop(), { timeout: 90_000 });

  step('the wall display\'s alert line names measure, site, partner and person', { timeout: 60_000 }, async () => {
    const wall = await newPage();
    await wall.goto(`${env.url}/`);
    await wall.waitForFunction(() => [...document.querySelectorAll('.alert-line')].some((l) => /told Alice Oncall/.test(l.textContent)),
      null, { timeout: 30_000 });
    const line = await wall.textContent('.alert-line');
    for (const w of WORDS) assert.ok(line.includes(w), `"${w}" not in the alert line: ${line}`);
    assert.doesNotMatch(line, KEYS, `a key in the alert line: ${line}`);
    fs.mkdirSync(OUTPUT, { recursive: true });
    await wall.screenshot({ path: path.join(OUTPUT, 'wall-alert-words-1920x1080.png') });
  });

  step('the manager view\'s alert list and audit log read in words', { timeout: 60_000 }, async () => {
    const m = await newPage();
    await m.goto(`${env.url}/manager`);
    await signInForm(m, 'mona', PASSWORD);
    await m.waitForFunction(() => document.body.dataset.view === 'app', null, { timeout: 15_000 });
    await m.click('#tabbtn-alerts');
    const row = '#alerts-panel tr[data-alert]';
    await m.waitForSelector(row, { timeout: 15_000 });
    const what = await m.textContent(row);
    for (const w of WORDS) assert.ok(what.includes(w), `"${w}" not in the alert row: ${what}`);
    assert.doesNotMatch(what, KEYS, `a key in the alert row: ${what}`);
    // acknowledge it here; the audit log says which alert in words
    await m.click(`${row} button:has-text("Acknowledge")`);
    await m.click('#tabbtn-audit');
    await m.waitForFunction(() => [...document.querySelectorAll('#audit-table td')].some((td) => td.textContent === 'alert.ack'),
      null, { timeout: 15_000 });
    const audit = await m.textContent('#audit-table tbody tr');
    assert.ok(audit.includes('ED 4-hour performance at Northgate General Hospital'), `audit row: ${audit}`);
  });
});
