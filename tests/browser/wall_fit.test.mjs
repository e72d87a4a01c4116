// Browser tests of the wall display's fit to its screen (issue 15): no text cut or ending in an
// ellipsis at 1366x768, 1920x1080 and 3840x2160; short labels from the hub; a pending status
// said in words on the badge ("RED in 40 s") without covering the value; a board too big for
// the screen paging through whole stages with a dwell from the display's link.
//
// Needs what tests/browser/wall.test.mjs needs (the harness, Debian's chromium, psql). Run:
//   node --test tests/browser/wall_fit.test.mjs
// Screenshots go to tests/output/.

import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { Session, psql, waitForLive, settle, clipped, pageState, ensureOutput, SIZES, ED, ED_TILE } from './wall_common.mjs';

const EXTRA = 56;   // metrics added to make the board too big for one screen

const session = new Session('commcell-wall-');
const step = session.step.bind(session);
let env = null;
let browser = null;
let page = null;

async function hub(sql) {
  return psql(env.hub, sql);
}

// Each opening gets a browser context of its own, so no HTTP connection is reused from the
// last one.
async function open(query = '', viewport = { width: 1920, height: 1080 }) {
  if (page) await page.context().close();
  page = await (await browser.newContext({ viewport })).newPage();
  page.on('pageerror', (err) => { console.error(`page error: ${err.message}`); });
  await page.goto(`${env.url}/${query}`);
  await waitForLive(page);
  await page.waitForFunction(() => document.querySelectorAll('.tile').length > 0);
  await settle(page);
}

async function tileInfo(sel) {
  return page.evaluate((s) => {
    const t = document.querySelector(s);
    if (!t) return null;
    return { ...t.dataset, label: t.querySelector('.t-label').textContent, title: t.querySelector('.t-label').title,
      sub: t.querySelector('.t-sub').textContent, badge: t.querySelector('.badge').textContent };
  }, sel);
}

describe('wall display fits its screen', { concurrency: false }, () => {
  before(async () => {
    await session.start();
    ({ env, browser } = session);
  }, { timeout: 300_000 });

  after(() => session.stop(), { timeout: 90_000 });

  step('nothing is cut or scrolls at 1366x768, 1920x1080 and 3840x2160', { timeout: 90_000 }, async (t) => {
    await open();
    const out = ensureOutput();
    for (const [width, height] of SIZES) {
      await page.setViewportSize({ width, height });
      await settle(page);
      const bad = await clipped(page);
      assert.deepEqual(bad, [], `at ${width}x${height}, text is cut:\n${bad.join('\n')}`);
      const p = await pageState(page);
      assert.equal(p.pages, 1, `the harness board should fit one page at ${width}x${height}: ${JSON.stringify(p)}`);
      const u = await page.evaluate(() => parseFloat(getComputedStyle(document.getElementById('board')).getPropertyValue('--u')));
      t.diagnostic(`${width}x${height}: base font ${u} px`);
      await page.screenshot({ path: path.join(out, `wall-fit-${width}x${height}.png`), animations: 'disabled' });
    }
    await page.setViewportSize({ width: 1920, height: 1080 });
  });

  step('tiles and the feeds strip use the short labels from the hub, the label when there is none', { timeout: 60_000 }, async () => {
    await open();
    const before = await tileInfo(ED_TILE);
    const label = (await hub(`SELECT label FROM commcell.metric WHERE partner = 'acute' AND key = '${ED.key}'`)).trim();
    const partner = (await hub(`SELECT label FROM commcell.partner WHERE name = 'acute'`)).trim();
    assert.equal(before.label, label, 'without a short label the tile shows the label');
    assert.ok(before.sub.includes(partner), `the tile's second line "${before.sub}" lacks the partner's label`);

    await hub(`UPDATE commcell.metric SET short_label = '4h test' WHERE partner = 'acute' AND key = '${ED.key}'`);
    await hub(`UPDATE commcell.partner SET short_label = 'Acute' WHERE name = 'acute'`);
    await page.waitForFunction((s) => document.querySelector(s)?.querySelector('.t-label').textContent === '4h test',
      ED_TILE, { timeout: 15_000 });
    await page.waitForFunction(() => [...document.querySelectorAll('.partner .p-name')].some((n) => n.textContent === 'Acute'),
      null, { timeout: 15_000 });
    const after = await tileInfo(ED_TILE);
    assert.equal(after.sub, 'Acute', 'the tile names its partner by the short label');
    assert.ok(after.title.includes(label), `the full label is kept in the title: "${after.title}"`);
    const entry = await page.evaluate((k) => window.commcell.entries.find((e) => e.key === k), ED.key);
    assert.equal(entry.label, label, 'the board JSON keeps the label beside the short label');
    assert.equal(entry.short_label, '4h test');

    await hub(`UPDATE commcell.metric SET short_label = NULL WHERE partner = 'acute' AND key = '${ED.key}'`);
    await page.waitForFunction(({ s, l }) => document.querySelector(s)?.querySelector('.t-label').textContent === l,
      { s: ED_TILE, l: label }, { timeout: 15_000 });
  });

  step('a worse status waiting out min_duration_s reads "RED in N s", never OK, beside the value', { timeout: 90_000 }, async (t) => {
    await open();
    await psql(env.partners.acute, `INSERT INTO commcell.observation(metric, site, value) VALUES ('${ED.key}', '', 96)`);
    await page.waitForFunction((s) => document.querySelector(s)?.dataset.status === 'green', ED_TILE, { timeout: 15_000 });
    await hub(`UPDATE commcell.metric SET min_duration_s = 100 WHERE partner = 'acute' AND key = '${ED.key}'`);
    await page.waitForFunction((k) => window.commcell.entries.some((e) => e.key === k && e.min_duration_s === 100),
      ED.key, { timeout: 15_000 });
    // 46.6 is past the red line (76): red must wait 100 s
    await psql(env.partners.acute, `INSERT INTO commcell.observation(metric, site, value) VALUES ('${ED.key}', '', 46.6)`);
    await page.waitForFunction((s) => document.querySelector(s)?.dataset.pending === 'red', ED_TILE, { timeout: 15_000 });
    await settle(page);
    const info = await tileInfo(ED_TILE);
    assert.notEqual(info.status, 'red', 'the status itself should still be waiting');
    assert.match(info.badge, /^RED in \d+ s$/, `the badge reads "${info.badge}"`);
    assert.doesNotMatch(info.badge, /OK/);
    const first = Number(info.badge.match(/\d+/)[0]);
    assert.ok(first > 0 && first <= 100, `countdown ${first}`);

    // the value is not covered: its box overlaps no other text of the tile, and it is on top
    const boxes = await page.evaluate((s) => {
      const tile = document.querySelector(s);
      const r = (e) => { const b = e.getBoundingClientRect(); return { l: b.left, t: b.top, r: b.right, b: b.bottom }; };
      const value = tile.querySelector('.v-num');
      const vb = value.getBoundingClientRect();
      const top = document.elementFromPoint(vb.left + vb.width / 2, vb.top + vb.height / 2);
      return { value: r(value), others: ['.t-label', '.t-sub', '.t-reason', '.badge', '.t-time']
        .map((q) => tile.querySelector(q)).filter((e) => e && !e.hidden && e.textContent.trim())
        .map((e) => ({ cls: e.className, ...r(e) })), onTop: value.contains(top) };
    }, ED_TILE);
    for (const o of boxes.others) {
      const overlap = !(o.r <= boxes.value.l || o.l >= boxes.value.r || o.b <= boxes.value.t || o.t >= boxes.value.b);
      assert.ok(!overlap, `${o.cls} overlaps the value: ${JSON.stringify(o)} vs ${JSON.stringify(boxes.value)}`);
    }
    assert.ok(boxes.onTop, 'something covers the middle of the value');
    const bad = await clipped(page);
    assert.deepEqual(bad, [], `with a pending status, text is cut:\n${bad.join('\n')}`);
    await page.screenshot({ path: path.join(ensureOutput(), 'wall-pending-1920x1080.png'), animations: 'disabled' });

    // the countdown runs
    await page.waitForFunction(({ s, n }) => {
      const m = document.querySelector(s)?.querySelector('.badge').textContent.match(/^RED in (\d+) s$/);
      return m && Number(m[1]) < n;
    }, { s: ED_TILE, n: first }, { timeout: 5000 });
    t.diagnostic(`badge "${info.badge}" while the status is ${info.status}`);

    // back to green: no pending status left
    await psql(env.partners.acute, `INSERT INTO commcell.observation(metric, site, value) VALUES ('${ED.key}', '', 97)`);
    await page.waitForFunction((s) => { const t = document.querySelector(s); return t && !t.dataset.pending && t.dataset.status === 'green'; },
      ED_TILE, { timeout: 15_000 });
    assert.equal((await tileInfo(ED_TILE)).badge, 'OK');
    await hub(`UPDATE commcell.metric SET min_duration_s = 0 WHERE partner = 'acute' AND key = '${ED.key}'`);
  });

  step('a board too big for the screen pages through whole stages, each page fitting, at the dwell of the link', { timeout: 150_000 }, async (t) => {
    const stages = (await hub(`SELECT string_agg(key, ',' ORDER BY position) FROM commcell.stage`)).trim().split(',');
    await hub(`INSERT INTO commcell.metric (partner, key, label, unit, stage, higher_is_better, amber, red, freshness_s, decimals, position)
      SELECT 'acute', 'test.extra_' || i, 'Extra measure number ' || i || ' for paging', 'patients',
             (ARRAY['${stages.join("','")}'])[1 + i % ${stages.length}], false, 50, 80, 3600, 0, 100 + i
        FROM generate_series(1, ${EXTRA}) AS i`);
    await open('?dwell=3', { width: 1366, height: 768 });
    await page.waitForFunction((n) => window.commcell.entries.filter((e) => e.key.startsWith('test.extra_')).length === n,
      EXTRA, { timeout: 15_000 });
    await psql(env.partners.acute, `INSERT INTO commcell.observation(metric, site, value)
      SELECT 'test.extra_' || i, '', i FROM generate_series(1, ${EXTRA}) AS i`);
    await page.waitForFunction(() => !document.querySelector('.tile[data-key^="test.extra_"][data-status="stale"]'),
      null, { timeout: 15_000 });
    await settle(page);

    const allStages = await page.evaluate(() => [...document.querySelectorAll('#board .stage')].map((c) => c.dataset.stage));
    const first = await pageState(page);
    assert.ok(first.pages > 1, `the big board should page at 1366x768: ${JSON.stringify(first)}`);
    assert.match(first.text, /^Page \d+ \/ \d+$/);
    t.diagnostic(`${allStages.length} stages, ${await page.evaluate(() => document.querySelectorAll('.tile').length)} tiles: ${first.pages} pages`);
    const seen = new Map();
    let current = first;
    const out = ensureOutput();
    for (let i = 0; i < first.pages; i++) {
      const bad = await clipped(page);
      assert.deepEqual(bad, [], `page ${current.text}: text is cut:\n${bad.join('\n')}`);
      // every tile of a shown stage is on this page: a stage is never split
      const split = await page.evaluate(() => [...document.querySelectorAll('#board .stage:not([hidden]) .tile')]
        .filter((t) => { const r = t.getBoundingClientRect(); return r.width === 0 || r.bottom > innerHeight || r.right > innerWidth; })
        .map((t) => t.dataset.key));
      assert.deepEqual(split, [], `tiles of a shown stage are off the screen on ${current.text}`);
      assert.ok(!seen.has(current.page), `page ${current.page} came round again before all were shown`);
      seen.set(current.page, current.stages);
      await page.screenshot({ path: path.join(out, `wall-pages-${current.page}-1366x768.png`), animations: 'disabled' });
      if (i === first.pages - 1) break;
      // dwell 3 s from the link: the next page comes within a few seconds
      await page.waitForFunction((p) => document.getElementById('page-indicator').dataset.page !== String(p),
        current.page, { timeout: 8000 });
      await settle(page);
      current = await pageState(page);
      assert.equal(current.page, (seen.size % first.pages) + 1 === current.page ? current.page : -1, 'pages go in order');
    }
    const shown = [...seen.values()].flat();
    assert.deepEqual([...shown].sort(), [...allStages].sort(), 'every stage is on exactly one page');
    assert.deepEqual(shown, allStages, 'pages keep the stages in pathway order');

    // without ?dwell a page stays for 20 s
    await open('', { width: 1366, height: 768 });
    const p0 = await pageState(page);
    await page.waitForTimeout(6000);
    assert.equal((await pageState(page)).page, p0.page, 'the page turned before the default dwell');

    await hub(`DELETE FROM commcell.metric WHERE key LIKE 'test.extra_%'`);
    await page.waitForFunction(() => document.getElementById('page-indicator').hidden, null, { timeout: 15_000 });
    await page.setViewportSize({ width: 1920, height: 1080 });
  });
});
