// Browser test of the wall display against the real commcelld.
//
// Run with `node --test tests/browser/` after `npm ci` in tests/browser. Needs Debian's
// /usr/bin/chromium (driven by playwright-core, which downloads no browser), psql, and the test
// harness tests/harness/commcell_env.py, which starts a private PostgreSQL cluster with the
// partner databases and commcelld:
//   python3 tests/harness/commcell_env.py start --dir DIR    writes DIR/env.json:
//     {"url": "http://127.0.0.1:PORT", "hub": "<conninfo>",
//      "partners": {"acute": "<superuser conninfo to partner_acute>", ...}}
//   ... stop --dir DIR | stop-daemon --dir DIR | start-daemon --dir DIR | restart-daemon --dir DIR
// COMMCELL_HARNESS overrides the harness path (for developing against a stand-in) and CHROMIUM
// the browser. Screenshots go to tests/output/.

import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Session, OUTPUT, psql, ED, ED_TILE } from './common.mjs';

const session = new Session('commcell-browser-');
const step = session.step.bind(session);
let env = null;
let page = null;

async function waitForHttp(url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
      if (res.ok) return;
      last = `HTTP ${res.status}`;
    } catch (err) {
      last = err.message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (last: ${last})`);
}

function connection() {
  return page.evaluate(() => document.body.dataset.connection);
}

async function waitForConnection(state, timeout) {
  try {
    await page.waitForFunction((s) => document.body.dataset.connection === s, state, { timeout });
  } catch (err) {
    throw new Error(`connection did not become "${state}" within ${timeout} ms (it is "${await connection()}")`);
  }
}

// What the page shows for the ED tile, for assertion messages.
function edTile() {
  return page.evaluate((sel) => {
    const t = document.querySelector(sel);
    return t ? { ...t.dataset, text: t.querySelector('.value')?.textContent } : null;
  }, ED_TILE);
}

async function waitForEd(value, status, timeout) {
  const t0 = Date.now();
  try {
    await page.waitForFunction(({ sel, value, status }) => {
      const t = document.querySelector(sel);
      return !!t && t.dataset.value !== '' && Number(t.dataset.value) === value &&
        (status === null || t.dataset.status === status);
    }, { sel: ED_TILE, value, status }, { timeout, polling: 50 });
  } catch (err) {
    throw new Error(`tile ${ED_TILE} did not show ${value}${status ? ` (${status})` : ''} within ${timeout} ms; ` +
      `it shows ${JSON.stringify(await edTile())}`);
  }
  return Date.now() - t0;
}

function noScroll() {
  return page.evaluate(() => ({
    scrollW: document.documentElement.scrollWidth, scrollH: document.documentElement.scrollHeight,
    w: innerWidth, h: innerHeight,
  }));
}

describe('wall display against commcelld', { concurrency: false }, () => {
  before(async () => {
    await session.start(async (e) => {
      env = e;
      assert.ok(env.url && env.partners && typeof env.partners === 'object', `env.json lacks url or partners: ${JSON.stringify(env)}`);
      assert.ok(env.partners[ED.partner], `env.json has no partner "${ED.partner}"`);
      await waitForHttp(`${env.url}/`, 30_000);
    }, async (browser) => {
      page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
      page.on('pageerror', (err) => { console.error(`page error: ${err.message}`); });
    });
  }, { timeout: 300_000 });

  after(() => session.stop(), { timeout: 90_000 });

  step('a. renders the snapshot: live, a tile per partner, stages in order', { timeout: 60_000 }, async () => {
    await page.goto(`${env.url}/`);
    await waitForConnection('live', 20_000);
    const partners = Object.keys(env.partners);
    try {
      await page.waitForFunction((names) => names.every((n) =>
        document.querySelector(`.tile[data-partner="${CSS.escape(n)}"]`)), partners, { timeout: 15_000 });
    } catch (err) {
      const shown = await page.$$eval('.tile', (ts) => [...new Set(ts.map((t) => t.dataset.partner))]);
      assert.fail(`expected at least one tile for each partner ${JSON.stringify(partners)}; tiles are for ${JSON.stringify(shown)}`);
    }
    const board = await page.evaluate(() => {
      const stages = window.commcell.stages;
      const entries = window.commcell.entries;
      const columns = [...document.querySelectorAll('#board .stage')].map((c) => ({
        stage: c.dataset.stage,
        left: c.getBoundingClientRect().left,
        tiles: [...c.querySelectorAll('.tile')].map((t) => ({
          stage: t.dataset.stage, key: t.dataset.key, value: t.querySelector('.value') !== null,
        })),
      }));
      return { stages, entries: entries.map((e) => e.stage), columns };
    });
    assert.ok(board.columns.length > 0, 'no stage columns on the board');
    const withMetrics = new Set(board.entries);
    const expected = board.stages.filter((s) => withMetrics.has(s.key))
      .sort((a, b) => a.position - b.position).map((s) => s.key);
    const known = board.columns.map((c) => c.stage).filter((k) => board.stages.some((s) => s.key === k));
    assert.deepEqual(known, expected, 'stage columns are not in the order of the stages\' positions');
    for (let i = 1; i < board.columns.length; i++) {
      assert.ok(board.columns[i].left > board.columns[i - 1].left, 'stage columns are not laid out left to right');
    }
    for (const c of board.columns) {
      assert.ok(c.tiles.length > 0, `stage column ${c.stage} is empty: empty stages should collapse`);
      for (const t of c.tiles) {
        assert.equal(t.stage, c.stage, `tile ${t.key} of stage ${t.stage} is in column ${c.stage}`);
        assert.ok(t.value, `tile ${t.key} has no .value child`);
      }
    }
    const s = await noScroll();
    assert.ok(s.scrollW <= s.w && s.scrollH <= s.h, `the page scrolls at 1920x1080: ${JSON.stringify(s)}`);
  });

  step('b. a value inserted in a partner database appears within 2 s', { timeout: 30_000 }, async (t) => {
    await waitForConnection('live', 10_000);
    await psql(env.partners[ED.partner],
      `INSERT INTO commcell.observation(metric, site, value) VALUES ('${ED.key}', '${ED.site}', 50)`);
    const ms = await waitForEd(50, 'red', 2000);
    const text = await page.textContent(`${ED_TILE} .value`);
    assert.match(text, /\b50\b/, `the tile's value reads "${text}"`);
    t.diagnostic(`${ED.key} (site "${ED.site}") = 50 shown as red ${ms} ms after the insert committed`);
  });

  step('d. screenshots of the board', { timeout: 60_000 }, async () => {
    await waitForConnection('live', 10_000);
    fs.mkdirSync(OUTPUT, { recursive: true });
    const shots = [[1920, 1080], [3840, 2160]];
    for (const [width, height] of shots) {
      await page.setViewportSize({ width, height });
      // the board lays itself out again on the next animation frame after a resize
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      const s = await noScroll();
      assert.ok(s.scrollW <= s.w && s.scrollH <= s.h, `the page scrolls at ${width}x${height}: ${JSON.stringify(s)}`);
      const file = path.join(OUTPUT, `wall-${width}x${height}.png`);
      await page.screenshot({ path: file });
      assert.ok(fs.statSync(file).size > 10_000, `${file} looks empty`);
    }
    await page.setViewportSize({ width: 1920, height: 1080 });
  });

  step('c. commcelld stopped: lost banner; started again: live with current values, no reload', { timeout: 120_000 }, async () => {
    await waitForConnection('live', 10_000);
    const marker = `no-reload-${Date.now()}`;
    await page.evaluate((m) => { window.__commcellTestMarker = m; }, marker);

    await session.harness.cmd('stop-daemon');
    // A closed socket is noticed at once; a half-open one by the 30 s watchdog.
    await waitForConnection('lost', 40_000);
    const banner = await page.evaluate(() => {
      const b = document.getElementById('banner');
      return { hidden: b.hidden, text: b.textContent, height: b.getBoundingClientRect().height };
    });
    assert.ok(!banner.hidden && banner.height > 0, 'the connection-lost banner is not visible');
    assert.match(banner.text, /Connection lost since \d\d:\d\d:\d\d/, `banner reads "${banner.text}"`);
    assert.ok(await page.$(ED_TILE), 'tiles should stay on the board (as not live) while disconnected');
    fs.mkdirSync(OUTPUT, { recursive: true });
    await page.screenshot({ path: path.join(OUTPUT, 'wall-lost-1920x1080.png') });

    // A change made while the daemon is down must be on the board once it is back.
    await psql(env.partners[ED.partner],
      `INSERT INTO commcell.observation(metric, site, value) VALUES ('${ED.key}', '${ED.site}', 97)`);
    await session.harness.cmd('start-daemon');
    // backoff is at most 10 s (with jitter) between attempts
    await waitForConnection('live', 45_000);
    await waitForEd(97, null, 15_000);
    assert.equal(await page.evaluate(() => window.__commcellTestMarker), marker, 'the page was reloaded');
    assert.ok(await page.evaluate(() => document.getElementById('banner').hidden), 'the banner is still shown');
  });
});
