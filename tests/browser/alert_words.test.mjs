// Browser test: alerts read in words. A value at Northgate General Hospital goes red and fires an
// alert; the wall display's alert line, the manager view's alert list and its audit log name the
// measure, the site, the partner and the person told by their labels, not by their keys.
//
// Needs what wall.test.mjs needs (Debian's chromium, psql, tests/harness/commcell_env.py).

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
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
const PASSWORD = 'words not keys, please';

// The harness seeds metric ed.four_hour_performance ("ED 4-hour performance", red below 76) for
// partner acute ("Northgate Hospitals NHS Trust"); this test names site NGH.
const WORDS = ['ED 4-hour performance', 'Northgate General Hospital', 'Northgate Hospitals NHS Trust'];
const KEYS = /ed\.four_hour_performance|\bacute\b|\bNGH\b/;

let envDir = null;
let env = null;
let browser = null;
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
  const context = await browser.newContext({ viewport: { width: 1920, height: 1080 } });
  const page = await context.newPage();
  page.on('pageerror', (err) => { console.error(`page error: ${err.message}`); });
  return page;
}

describe('alerts in words', { concurrency: false }, () => {
  before(async () => {
    try {
      if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
      envDir = fs.mkdtempSync(path.join(os.tmpdir(), 'commcell-words-'));
      await harness('start', 240_000);
      env = JSON.parse(fs.readFileSync(path.join(envDir, 'env.json'), 'utf8'));
      const hash = await hashPassword(PASSWORD);
      await psql(env.hub, `INSERT INTO commcell.app_user (name, role, password_hash) VALUES ('mona', 'manager', '${hash}')`);
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
    await m.fill('#signin-user', 'mona');
    await m.fill('#signin-password', PASSWORD);
    await m.click('#signin-submit');
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
