// Browser tests of signing in and of the manager view against the real commcelld, with
// allow_anonymous_display = false (the harness's --no-anonymous-display): a wall display signs in
// with a device token and stays signed in; a threshold edited in the manager view turns a tile
// red on the open wall display; a display's sign-in cannot open the manager view; a wrong
// password gets a clear message and is rate-limited. Screenshots at 1920x1080 go to tests/output/
// (PNG), with small JPEG copies for the README (docs/img/ holds the ones committed).
//
// Needs what wall.test.mjs needs (Debian's chromium, psql, tests/harness/commcell_env.py).

import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Session, psql, addUsers, addDeviceToken, shot, signInForm, ED, ED_TILE } from './common.mjs';

const PASSWORD = 'correct horse battery';

const session = new Session('commcell-manager-', ['--no-anonymous-display']);
const step = session.step.bind(session);
const newPage = () => session.newPage();
let env = null;
let wall = null;          // the wall display's page (its own browser context: its own cookies)
let wallToken = null;

describe('signing in, and the manager view', { concurrency: false }, () => {
  before(async () => {
    await session.start(async (e) => {
      env = e;
      await addUsers(env.hub, PASSWORD, { alice: 'admin', mona: 'manager', victim: 'manager' });
      wallToken = await addDeviceToken(env.hub, 'Control room left', 'alice');
      // a day of history for the chart (older values are recorded, not shown as current)
      const rows = [];
      for (let h = 24; h >= 1; h--) {
        const v = (90 + 6 * Math.sin(h / 3.5) + (h % 5) * 0.4).toFixed(1);
        rows.push(`('${ED.key}', '${ED.site}', ${v}, now() - interval '${h} hours')`);
      }
      await psql(env.partners[ED.partner], 'INSERT INTO commcell.observation (metric, site, value, observed_at) VALUES ' +
        rows.join(', '));
      await psql(env.partners[ED.partner], `INSERT INTO commcell.observation (metric, site, value) VALUES ('${ED.key}', '${ED.site}', 96)`);
    });
  }, { timeout: 300_000 });

  after(() => session.stop(), { timeout: 90_000 });

  step('e. the wall display signs in once with a device token and stays signed in', { timeout: 60_000 }, async () => {
    wall = await newPage();
    // without a sign-in the board stays closed and says why
    await wall.goto(`${env.url}/`);
    await wall.waitForFunction(() => /not signed in/.test(document.getElementById('banner').textContent), null, { timeout: 15_000 });
    await wall.goto(`${env.url}/?token=${wallToken}`);
    await wall.waitForFunction(() => document.body.dataset.connection === 'live', null, { timeout: 15_000 });
    assert.equal(new URL(wall.url()).search, '', `the token must leave the address bar: ${wall.url()}`);
    const cookies = await wall.context().cookies();
    const c = cookies.find((x) => x.name === 'commcell_session');
    assert.ok(c && c.httpOnly && c.sameSite === 'Strict', `session cookie: ${JSON.stringify(c)}`);
    assert.ok(c.expires * 1000 > Date.now() + 300 * 86400 * 1000, 'a display session lasts (400 days)');
    await wall.reload();
    await wall.waitForFunction(() => document.body.dataset.connection === 'live', null, { timeout: 15_000 });
    await wall.waitForSelector(ED_TILE);
    await shot(wall, 'wall-signed-in-1920x1080');
  });

  step('f. a display token cannot open the manager view', { timeout: 30_000 }, async () => {
    const page = await wall.context().newPage();   // same cookies as the wall display
    await page.goto(`${env.url}/manager`);
    await page.waitForSelector('#blocked:not([hidden])', { timeout: 10_000 });
    const text = await page.textContent('#blocked-text');
    assert.match(text, /wall display "Control room left"/, text);
    assert.match(text, /needs a manager or admin/, text);
    assert.ok(await page.evaluate(() => document.getElementById('app').hidden), 'the manager view must stay hidden');
    const status = await page.evaluate(async () => (await fetch('/api/thresholds')).status);
    assert.equal(status, 403, 'the API refuses a display too');
    await page.close();
  });

  step('g. a threshold edited in the manager view turns a tile red on the open wall display', { timeout: 90_000 }, async (t) => {
    assert.equal(await wall.getAttribute(ED_TILE, 'data-status'), 'green', 'ED starts green');
    const m = await newPage();
    await m.goto(`${env.url}/manager`);
    await m.waitForSelector('#signin-form');
    await signInForm(m, 'mona', PASSWORD);
    await m.waitForFunction(() => document.body.dataset.view === 'app' && document.body.dataset.connection === 'live', null, { timeout: 15_000 });
    await m.click(ED_TILE);
    await m.waitForFunction(() => document.getElementById('th-amber').value !== '', null, { timeout: 10_000 });
    await m.waitForSelector('#chart .uplot', { timeout: 10_000 });

    // the server's validation comes back to the form
    await m.fill('#th-amber', '90');
    await m.fill('#th-red', '97');
    await m.click('#th-save');
    await m.waitForSelector('#th-error:not([hidden])', { timeout: 10_000 });
    const err = await m.textContent('#th-error');
    assert.match(err, /red \(97\) must be at or below amber \(90\)/, err);
    assert.equal(await m.getAttribute('#th-red', 'aria-invalid'), 'true');
    assert.equal(await wall.getAttribute(ED_TILE, 'data-status'), 'green', 'a refused change changes nothing');

    await m.fill('#th-amber', '99');
    await m.fill('#th-red', '97');
    const t0 = Date.now();
    await m.click('#th-save');
    await m.waitForSelector('#th-ok:not([hidden])', { timeout: 10_000 });
    await wall.waitForFunction((sel) => document.querySelector(sel)?.dataset.status === 'red', ED_TILE, { timeout: 10_000, polling: 50 });
    t.diagnostic(`saved in the manager view -> red on the wall display in ${Date.now() - t0} ms`);
    await m.waitForFunction((sel) => document.querySelector(sel)?.dataset.status === 'red', ED_TILE, { timeout: 10_000 });

    // the audit log shows it
    await m.click('button[data-tab="audit"]');
    await m.waitForFunction(() => [...document.querySelectorAll('#audit-table td')].some((td) => td.textContent === 'threshold.update'), null, { timeout: 10_000 });
    await m.click('button[data-tab="board"]');
    await m.click('[data-range="86400"]');
    await m.waitForSelector('#chart .uplot', { timeout: 10_000 });
    await m.waitForTimeout(300);
    await shot(m, 'manager-1920x1080');
    await shot(wall, 'wall-red-1920x1080');

    // put it back for anything after this
    await m.fill('#th-amber', '95');
    await m.fill('#th-red', '76');
    await m.click('#th-save');
    await wall.waitForFunction((sel) => document.querySelector(sel)?.dataset.status === 'green', ED_TILE, { timeout: 10_000 });
    await m.context().close();
  });

  step('h. a wrong password gets a clear message, and repeated ones are rate-limited', { timeout: 90_000 }, async () => {
    const page = await newPage();
    await page.goto(`${env.url}/manager`);
    await page.waitForSelector('#signin-form');
    for (let i = 1; i <= 3; i++) {
      await signInForm(page, 'victim', `wrong guess ${i}`);
      await page.waitForFunction((n) => !document.getElementById('signin-error').hidden &&
        !document.getElementById('signin-submit').disabled, i, { timeout: 15_000 });
      assert.equal(await page.textContent('#signin-error'), 'Wrong user name or password.');
    }
    // seven more failures from here, so the wait (2^7 s) does not run out before the click
    await psql(env.hub, "INSERT INTO commcell.signin_attempt (user_name, address, ok) SELECT user_name, address, false " +
      "FROM commcell.signin_attempt, generate_series(1, 7) WHERE user_name = 'victim' LIMIT 7");
    await signInForm(page, 'victim', PASSWORD);
    await page.waitForFunction(() => /Too many failed sign-ins/.test(document.getElementById('signin-error').textContent), null, { timeout: 15_000 });
    const msg = await page.textContent('#signin-error');
    assert.match(msg, /Too many failed sign-ins for this user from this address\. Try again in \d+ minutes?\./, msg);
    assert.equal(await page.evaluate(() => document.body.dataset.view), 'signin', 'still not signed in');
    await shot(page, 'manager-rate-limited-1920x1080');
    await page.context().close();
  });
});
