// Helpers shared by the wall display's browser tests (wall_fit.test.mjs, wall_demo.test.mjs):
// the test harness, SQL, the browser, and the check that nothing on the screen is cut.

import { execFile } from 'node:child_process';
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
export const PYTHON = '/usr/bin/python3';
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const OUTPUT = path.join(repoRoot, 'tests', 'output');
export const SIZES = [[1366, 768], [1920, 1080], [3840, 2160]];
const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

// The standard test world of tests/harness/commcell_env.py in a fresh directory.
export class HarnessEnv {
  constructor() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'commcell-wall-'));
    this.env = null;
  }

  async cmd(command, timeout = 120_000, extra = []) {
    try {
      return await run(PYTHON, [HARNESS, command, '--dir', this.dir, ...extra], { cwd: repoRoot, timeout });
    } catch (err) {
      throw new Error(`harness ${command} failed (${err.code ?? err.signal}):\n${err.stderr || ''}${err.stdout || ''}`);
    }
  }

  async start() {
    if (!fs.existsSync(HARNESS)) throw new Error(`${HARNESS} does not exist`);
    await this.cmd('start', 240_000);
    this.env = JSON.parse(fs.readFileSync(path.join(this.dir, 'env.json'), 'utf8'));
    return this.env;
  }

  async stop(keep) {
    const started = ['env.json', 'harness-state.json'].some((f) => fs.existsSync(path.join(this.dir, f)));
    if (started) await this.cmd('stop', 60_000, keep ? ['--keep-logs'] : []);
    if (keep) console.error(`# kept the test environment and its logs in ${this.dir}`);
    else fs.rmSync(this.dir, { recursive: true, force: true });
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

export async function launch() {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium`);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

export async function waitForLive(page, timeout = 20_000) {
  try {
    await page.waitForFunction(() => document.body.dataset.connection === 'live', null, { timeout });
  } catch (err) {
    const why = await page.evaluate(() => `${document.body.dataset.connection}: ${document.getElementById('banner').textContent}`)
      .catch((e) => `the page does not answer: ${e.message}`);
    throw new Error(`the wall did not become live within ${timeout} ms (${why})`);
  }
}

// Two animation frames: the board lays itself out on the next frame after a change.
export async function settle(page) {
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

// Every element on the screen that holds text and is not shown whole: content wider or taller
// than its box (1 px allowed for rounding), or an ellipsis in effect. Inline elements have no
// box of their own: their block is checked. Also whether the page itself scrolls.
export function clipped(page) {
  return page.evaluate(() => {
    const bad = [];
    for (const e of document.body.querySelectorAll('*')) {
      if (e instanceof SVGElement || !e.textContent.trim() || e.closest('[hidden]')) continue;
      const cs = getComputedStyle(e);
      if (cs.display === 'none' || cs.visibility === 'hidden') continue;
      const what = `${e.tagName.toLowerCase()}.${e.className} "${e.textContent.trim().slice(0, 50)}"`;
      if (cs.textOverflow === 'ellipsis') bad.push(`${what}: text-overflow ellipsis`);
      if (cs.webkitLineClamp && cs.webkitLineClamp !== 'none') bad.push(`${what}: line-clamp ${cs.webkitLineClamp}`);
      if (cs.display === 'inline') continue;
      if (e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1) {
        bad.push(`${what}: content ${e.scrollWidth}x${e.scrollHeight} in ${e.clientWidth}x${e.clientHeight}`);
      }
    }
    const s = document.scrollingElement;
    const scrolls = s.scrollWidth > s.clientWidth || s.scrollHeight > s.clientHeight;
    if (scrolls) bad.push(`the page scrolls: ${s.scrollWidth}x${s.scrollHeight} in ${s.clientWidth}x${s.clientHeight}`);
    // nothing lies outside the window either
    for (const t of document.querySelectorAll('.tile, .stage-label, .partner')) {
      if (t.closest('[hidden]')) continue;
      const r = t.getBoundingClientRect();
      if (r.right > innerWidth + 1 || r.bottom > innerHeight + 1 || r.left < -1 || r.top < -1) {
        bad.push(`${t.className} "${t.textContent.trim().slice(0, 40)}" lies outside the window`);
      }
    }
    return bad;
  });
}

// The page indicator: {page, pages, text}; pages is 1 when it is hidden.
export function pageState(page) {
  return page.evaluate(() => {
    const ind = document.getElementById('page-indicator');
    const visible = [...document.querySelectorAll('#board .stage')].filter((c) => !c.hidden).map((c) => c.dataset.stage);
    return { hidden: ind.hidden, text: ind.textContent, page: Number(ind.dataset.page || 1),
      pages: ind.hidden ? 1 : Number(ind.dataset.pages || 1), stages: visible };
  });
}

export function ensureOutput() {
  fs.mkdirSync(OUTPUT, { recursive: true });
  return OUTPUT;
}
