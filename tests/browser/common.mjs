// What every browser test needs: the test harness (tests/harness/commcell_env.py) in a fresh
// directory, SQL against its databases, Chromium through playwright-core, users with hashed
// passwords, screenshots, and steps that record a failure so that the environment and its logs
// are kept for a look afterwards.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const run = promisify(execFile);
const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..');
export const HARNESS = process.env.COMMCELL_HARNESS || path.join(repoRoot, 'tests', 'harness', 'commcell_env.py');
export const BIN = process.env.COMMCELL_BIN || path.join(repoRoot, 'build', 'daemon', 'commcelld');
export const PYTHON = '/usr/bin/python3';
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const OUTPUT = path.join(repoRoot, 'tests', 'output');
export const DESK = { viewport: { width: 1920, height: 1080 } };
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

// The harness's seed defines this metric for partner acute, for the whole organisation (site ''):
// higher is better, amber 95, red 76, seeded at 96 (green).
export const ED = { partner: 'acute', key: 'ed.four_hour_performance', site: '' };
export const ED_TILE = `.tile[data-partner="${ED.partner}"][data-key="${ED.key}"][data-site="${ED.site}"]`;

// The standard test world of tests/harness/commcell_env.py in a fresh directory.
export class HarnessEnv {
  constructor(prefix = 'commcell-wall-') {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
    this.env = null;
  }

  async cmd(command, timeout = 120_000, extra = []) {
    try {
      return await run(PYTHON, [HARNESS, command, '--dir', this.dir, ...extra], { cwd: repoRoot, timeout });
    } catch (err) {
      throw new Error(`harness ${command} failed (${err.code ?? err.signal}):\n${err.stderr || ''}${err.stdout || ''}`);
    }
  }

  async start(extra = []) {
    if (!fs.existsSync(HARNESS)) {
      throw new Error(`the browser tests need the test harness, and ${HARNESS} does not exist. ` +
        'It must provide "start|stop|stop-daemon|start-daemon|restart-daemon --dir DIR" and write ' +
        'DIR/env.json with url, hub and partners (see the top of tests/browser/wall.test.mjs).');
    }
    await this.cmd('start', 240_000, extra);
    const envFile = path.join(this.dir, 'env.json');
    if (!fs.existsSync(envFile)) throw new Error(`harness start did not write ${envFile}`);
    this.env = JSON.parse(fs.readFileSync(envFile, 'utf8'));
    return this.env;
  }

  // The harness cleans up after a start that failed by itself; this stops what did start. A
  // stop that fails keeps the directory as a failed test does. Returns whether it was kept.
  async stop(keep) {
    const started = ['env.json', 'harness-state.json'].some((f) => fs.existsSync(path.join(this.dir, f)));
    if (started) {
      await this.cmd('stop', 60_000, keep ? ['--keep-logs'] : []).catch((err) => {
        keep = true;
        console.error(err.message);
      });
    }
    if (keep) console.error(`# kept the test environment and its logs in ${this.dir}`);
    else fs.rmSync(this.dir, { recursive: true, force: true });
    return keep;
  }
}

export async function psql(conninfo, sql) {
  try {
    const r = await run('psql', [conninfo, '-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-c', sql], { timeout: 15_000 });
    return r.stdout;
  } catch (err) {
    throw new Error(`psql failed: ${sql}\n${err.stderr || err.message}`);
  }
}

// An argon2id hash from the daemon itself, so that the tests store what the daemon would.
export async function hashPassword(password) {
  const child = execFile(BIN, ['--hash-password'], { timeout: 30_000 });
  const out = [];
  child.stdout.on('data', (d) => out.push(d));
  child.stdin.end(`${password}\n`);
  const code = await new Promise((resolve) => child.on('close', resolve));
  const text = out.join('').trim();
  if (code !== 0 || !text.startsWith('$argon2id$')) throw new Error(`commcelld --hash-password failed (${code}): ${text}`);
  return text;
}

// Users of the manager view, all with the same password: users maps name to role.
export async function addUsers(hub, password, users) {
  const hash = await hashPassword(password);
  const rows = Object.entries(users).map(([name, role]) => `('${name}', '${role}', '${hash}')`);
  await psql(hub, `INSERT INTO commcell.app_user (name, role, password_hash) VALUES ${rows.join(', ')}`);
}

// A device token as an admin hands it out: random, and only its SHA-256 in the hub.
export async function addDeviceToken(hub, label, createdBy) {
  const token = randomBytes(32).toString('base64url');
  await psql(hub, 'INSERT INTO commcell.device_token (token_hash, label, created_by) VALUES ' +
    `(encode(sha256(convert_to('${token}', 'UTF8')), 'hex'), '${label}', '${createdBy}')`);
  return token;
}

export async function launch() {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

export function ensureOutput() {
  fs.mkdirSync(OUTPUT, { recursive: true });
  return OUTPUT;
}

// A PNG in tests/output/ and the small JPEG copy a README can carry.
export async function shot(page, name, fullPage = false) {
  ensureOutput();
  const file = path.join(OUTPUT, `${name}.png`);
  await page.screenshot({ path: file, fullPage });
  assert.ok(fs.statSync(file).size > 10_000, `${file} looks empty`);
  await page.screenshot({ path: path.join(OUTPUT, `${name}-small.jpg`), type: 'jpeg', quality: 70, fullPage });
  return file;
}

export async function signInForm(page, user, password) {
  await page.fill('#signin-user', user);
  await page.fill('#signin-password', password);
  await page.click('#signin-submit');
}

// One describe block's world: the harness, Chromium, and whether anything has failed. Call
// start() in before() and stop() in after(); declare the tests with step().
export class Session {
  constructor(prefix, harnessArgs = []) {
    this.harness = new HarnessEnv(prefix);
    this.harnessArgs = harnessArgs;
    this.env = null;
    this.browser = null;
    this.failed = false;
    this.startError = null;
  }

  // setup(env) seeds the world before the browser starts, ready() runs once it has. What goes
  // wrong is kept for each step to report rather than failing the hook.
  async start(setup = null, ready = null) {
    try {
      if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
      this.env = await this.harness.start(this.harnessArgs);
      if (setup) await setup(this.env);
      this.browser = await launch();
      if (ready) await ready(this.browser);
    } catch (err) {
      this.startError = err;
      this.failed = true;
    }
  }

  async stop() {
    if (this.browser) await this.browser.close().catch(() => {});
    if (await this.harness.stop(this.failed)) this.failed = true;
  }

  // A test that fails when the start did, and records its own failure.
  step(name, options, fn) {
    test(name, options, async (t) => {
      if (this.startError) throw this.startError;
      try {
        await fn(t);
      } catch (err) {
        this.failed = true;
        throw err;
      }
    });
  }

  // A page in a browser context of its own (its own cookies).
  async newPage(options = DESK) {
    const context = await this.browser.newContext(options);
    const page = await context.newPage();
    page.on('pageerror', (err) => { console.error(`page error: ${err.message}`); });
    return page;
  }
}
