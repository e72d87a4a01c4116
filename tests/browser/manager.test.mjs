// Browser tests of signing in and of the manager view against the real commcelld, with
// allow_anonymous_display = false (the harness's --no-anonymous-display): a wall display signs in
// with a device token and stays signed in; a threshold edited in the manager view turns a tile
// red on the open wall display; a display's sign-in cannot open the manager view; a wrong
// password gets a clear message and is rate-limited. Screenshots at 1920x1080 go to tests/output/
// (PNG), with small JPEG copies for the README (docs/img/ holds the ones committed).
//
// Needs what wall.test.mjs needs (Debian's chromium, psql, tests/harness/commcell_env.py).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '..', '..');
const HARNESS = process.env.COMMCELL_HARNESS || path.join(repoRoot, 'tests', 'harness', 'commcell_env.py');
const BIN = process.env.COMMCELL_BIN || path.join(repoRoot, 'build', 'daemon', 'commcelld');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const OUTPUT = path.join(repoRoot, 'tests', 'output');
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const PASSWORD = 'correct horse battery';
const VIEWPORT = { width: 1920, height: 1080 };

// Seeded by the harness: higher is better, amber 95, red 76, value 96 (green).
const ED = { partner: 'acute', key: 'ed.four_hour_performance', site: '' };
const ED_TILE = `.tile[data-partner="${ED.partner}"][data-key="${ED.key}"][data-site="${ED.site}"]`;

let envDir = null;
let env = null;
let browser = null;
let wall = null;          // the wall display's page (its own browser context: its own cookies)
let wallToken = null;
let failed = false;
let startError = null;

async function harness(command, timeout = 120_000, extra = []) {
  try {
    return await run('/usr/bin/python3', [HARNESS, command, '--dir', envDir, ...extra], { cwd: repoRoot, timeout });
  } catch (err) {
    throw new Error(`harness ${command} failed (${err.code ?? err.signal}):\n${err.stderr || ''}${err.stdout || ''}`);
  }
}

async function psql(conninfo, sql) {
  try {
    await run('psql', [conninfo, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', sql], { timeout: 15_000 });
  } catch (err) {
    throw new Error(`psql failed: ${sql}\n${err.stderr || err.message}`);
  }
}

async function hashPassword(password) {
  const child = execFile(BIN, ['--hash-password'], { timeout: 30_000 });
  const out = [];
  child.stdout.on('data', (d) => out.push(d));
  child.stdin.end(`${password}\n`);
  const code = await new Promise((resolve) => child.on('close', resolve));
  const text = out.join('').trim();
  if (code !== 0 || !text.startsWith('$argon2id$')) throw new Error(`commcelld --hash-password failed (${code}): ${text}`);
  return text;
}

function step(name, options, fn) {
  test(name, options, async (t) => {
    if (startError) throw startError;
    try {
      await fn(t);
    } catch (err) {
      failed = true;
      throw err;
    }
  });
}

async function newPage() {
  const context = await browser.newContext({ viewport: VIEWPORT });
  const page = await context.newPage();
  page.on('pageerror', (err) => { console.error(`page error: ${err.message}`); });
  return page;
}

async function shot(page, name) {
  fs.mkdirSync(OUTPUT, { recursive: true });
  const file = path.join(OUTPUT, `${name}.png`);
  await page.screenshot({ path: file });
  assert.ok(fs.statSync(file).size > 10_000, `${file} looks empty`);
  // the small copy a README can carry
  await page.screenshot({ path: path.join(OUTPUT, `${name}-small.jpg`), type: 'jpeg', quality: 70 });
  return file;
}

async function signInForm(page, user, password) {
  await page.fill('#signin-user', user);
  await page.fill('#signin-password', password);
  await page.click('#signin-submit');
}

describe('signing in, and the manager view', { concurrency: false }, () => {
  before(async () => {
    try {
      if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
      envDir = fs.mkdtempSync(path.join(os.tmpdir(), 'commcell-manager-'));
      await harness('start', 240_000, ['--no-anonymous-display']);
      env = JSON.parse(fs.readFileSync(path.join(envDir, 'env.json'), 'utf8'));
      const hash = await hashPassword(PASSWORD);
      await psql(env.hub, 'INSERT INTO commcell.app_user (name, role, password_hash) VALUES ' +
        `('alice', 'admin', '${hash}'), ('mona', 'manager', '${hash}'), ('victim', 'manager', '${hash}')`);
      // A device token as an admin hands it out: random, and only its SHA-256 in the hub.
      wallToken = randomBytes(32).toString('base64url');
      await psql(env.hub, 'INSERT INTO commcell.device_token (token_hash, label, created_by) VALUES ' +
        `(encode(sha256(convert_to('${wallToken}', 'UTF8')), 'hex'), 'Control room left', 'alice')`);
      // a day of history for the chart (older values are recorded, not shown as current)
      const rows = [];
      for (let h = 24; h >= 1; h--) {
        const v = (90 + 6 * Math.sin(h / 3.5) + (h % 5) * 0.4).toFixed(1);
        rows.push(`('${ED.key}', '${ED.site}', ${v}, now() - interval '${h} hours')`);
      }
      await psql(env.partners[ED.partner], 'INSERT INTO commcell.observation (metric, site, value, observed_at) VALUES ' +
        rows.join(', '));
      await psql(env.partners[ED.partner], `INSERT INTO commcell.observation (metric, site, value) VALUES ('${ED.key}', '${ED.site}', 96)`);
      browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    } catch (err) {
      startError = err;
      failed = true;
    }
  }, { timeout: 300_000 });

  after(async () => {
    if (browser) await browser.close().catch(() => {});
    const started = envDir && ['env.json', 'harness-state.json'].some((f) => fs.existsSync(path.join(envDir, f)));
    if (started) {
      await harness('stop', 60_000, failed ? ['--keep-logs'] : []).catch((err) => {
        failed = true;
        console.error(err.message);
      });
    }
    if (envDir) {
      if (failed) console.error(`# kept the test environment and its logs in ${envDir}`);
      else fs.rmSync(envDir, { recursive: true, force: true });
    }
  }, { timeout: 90_000 });

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
