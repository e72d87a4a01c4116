// Browser tests of the manager view for everyone who uses it (issue 15, items 2, 4 and 5):
//  - accessibility: axe-core (npm, tests/browser/node_modules) run inside the page finds no
//    serious or critical WCAG 2.2 A/AA violation on the wall display, the sign-in page, the
//    manager board, a chosen tile's detail and every tab, at 1920x1080 and on a phone;
//  - the keyboard: Tab reaches the tabs and the tiles, each with a visible focus ring; the
//    arrow keys move between tabs; Enter on a tile opens its detail;
//  - status by shape and word as well as colour on every tile;
//  - a chosen tile shows its metric's definition (commcell.metric.definition, served in
//    GET /api/thresholds), or says that none has been written;
//  - a phone (390x844): stages in one column, nothing wider than the screen on any tab, values
//    at 16 px or more, a tap on a tile brings its history and thresholds into view.
// Screenshots go to tests/output/ (manager-detail-1920x1080, manager-phone-390x844, ...).
//
// Needs what wall.test.mjs needs (Debian's chromium, psql, tests/harness/commcell_env.py) and
// `npm ci` in tests/browser (axe-core, playwright-core).

import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import { Session, psql, addUsers, addDeviceToken, shot, signInForm, DESK, ED, ED_TILE } from './common.mjs';

const require = createRequire(import.meta.url);
const PASSWORD = 'correct horse battery';
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };
// The page's CSP allows no inline script: axe goes in through the DevTools protocol instead.
const AXE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
const TABS = ['board', 'thresholds', 'goals', 'actions', 'report', 'alerts', 'audit', 'users', 'tokens', 'partners', 'rota'];

// Seeded by the harness (common.mjs's ED): acute's 4-hour performance.
const ED_DEFINITION = 'Share of A&E attendances that departed since midnight within 4 hours of arrival. Standard 95%.';
// Status words and the shapes board.js draws for them (its ICON_PATHS).
const STATUS_WORD = { green: 'OK', amber: 'AMBER', red: 'RED', stale: 'STALE', error: 'ERROR' };

const session = new Session('commcell-access-', ['--no-anonymous-display']);
const step = session.step.bind(session);
const newPage = (device) => session.newPage(device);
let env = null;
let wallToken = null;

async function signIn(device, user = 'alice') {
  const page = await newPage(device);
  await page.goto(`${env.url}/manager`);
  await page.waitForSelector('#signin-form');
  await signInForm(page, user, PASSWORD);
  await page.waitForFunction(() => document.body.dataset.view === 'app' && document.body.dataset.connection === 'live',
    null, { timeout: 15_000 });
  await page.waitForSelector(ED_TILE);
  return page;
}

// axe-core's serious and critical violations on the page as it is now, in words for the report.
async function axeProblems(page, where) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.evaluate(AXE);
  const result = await page.evaluate((tags) => window.axe.run(document, { runOnly: { type: 'tag', values: tags } }), AXE_TAGS);
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${where}: ${v.impact} ${v.id} on ${v.nodes.length} element(s), e.g. ` +
      v.nodes.slice(0, 3).map((n) => `${n.target.join(' ')} (${n.failureSummary.replace(/\s+/g, ' ').trim()})`).join('; '));
}

async function openTab(page, name) {
  await page.click(`button[data-tab="${name}"]`);
  await page.waitForFunction((n) => !document.getElementById(`tab-${n}`).hidden, name);
  // the page's data comes from the API: wait until the loader has filled it
  await page.waitForLoadState('networkidle').catch(() => {});
  await page.waitForTimeout(300);
}

async function documentWidth(page) {
  return page.evaluate(() => ({
    scroll: document.scrollingElement.scrollWidth,
    body: document.body.scrollWidth,
    viewport: window.innerWidth,
  }));
}

describe('the manager view for everyone: accessibility, keyboard, definitions, phone', { concurrency: false }, () => {
  before(async () => {
    await session.start(async (e) => {
      env = e;
      await addUsers(env.hub, PASSWORD, { alice: 'admin', mona: 'manager' });
      wallToken = await addDeviceToken(env.hub, 'Control room left', 'alice');
      // one metric with a definition; the others have none (the harness's seed writes none)
      await psql(env.hub, `UPDATE commcell.metric SET definition = '${ED_DEFINITION}' ` +
        `WHERE partner = '${ED.partner}' AND key = '${ED.key}'`);
    });
  }, { timeout: 300_000 });

  after(() => session.stop(), { timeout: 90_000 });

  step('a. axe-core: no serious or critical violation on the wall display', { timeout: 60_000 }, async () => {
    const wall = await newPage(DESK);
    await wall.goto(`${env.url}/?token=${wallToken}`);
    await wall.waitForFunction(() => document.body.dataset.connection === 'live', null, { timeout: 15_000 });
    // the wall may page its stages: the tile need not be on the page shown
    await wall.waitForSelector(ED_TILE, { state: 'attached' });
    await wall.waitForTimeout(500);
    const problems = await axeProblems(wall, 'wall 1920x1080');
    assert.deepEqual(problems, [], problems.join('\n'));
    await wall.context().close();
  });

  step('b. axe-core: no serious or critical violation on the sign-in page, the board, a detail and every tab', { timeout: 120_000 }, async () => {
    const problems = [];
    const gate = await newPage(DESK);
    await gate.goto(`${env.url}/manager`);
    await gate.waitForSelector('#signin-form');
    problems.push(...await axeProblems(gate, 'sign-in'));
    await gate.context().close();

    const page = await signIn(DESK);
    problems.push(...await axeProblems(page, 'board'));
    await page.click(ED_TILE);
    await page.waitForSelector('#chart .uplot', { timeout: 10_000 });
    problems.push(...await axeProblems(page, 'board with a chosen tile'));
    for (const tab of TABS.slice(1)) {
      await openTab(page, tab);
      problems.push(...await axeProblems(page, `tab ${tab}`));
    }
    assert.deepEqual(problems, [], problems.join('\n'));
    // the tab list is one: tabs, each controlling its panel, the chosen one selected
    const roles = await page.evaluate(() => [...document.querySelectorAll('#tabs [data-tab]')].map((b) =>
      [b.getAttribute('role'), b.getAttribute('aria-selected'), document.getElementById(b.getAttribute('aria-controls'))?.getAttribute('role')].join(' ')));
    assert.deepEqual(roles, [...TABS.slice(0, -1).map(() => 'tab false tabpanel'), 'tab true tabpanel']);
    await page.context().close();
  });

  step('c. keyboard: Tab reaches the tabs and the tiles with a visible focus ring; arrows move between tabs; Enter opens a tile', { timeout: 60_000 }, async () => {
    const page = await signIn(DESK);
    await page.evaluate(() => document.activeElement && document.activeElement.blur());
    const seen = [];
    let tab = null;
    let tile = null;
    for (let i = 0; i < 60 && !(tab && tile); i++) {
      await page.keyboard.press('Tab');
      const f = await page.evaluate(() => {
        const e = document.activeElement;
        const cs = getComputedStyle(e);
        return {
          what: e.getAttribute('role') === 'tab' ? `tab ${e.dataset.tab}` : e.classList.contains('tile') ? `tile ${e.dataset.key}` : `${e.tagName.toLowerCase()}#${e.id}`,
          role: e.getAttribute('role'),
          tile: e.classList.contains('tile'),
          key: e.dataset.key || '', partner: e.dataset.partner || '', site: e.dataset.site || '',
          outlineStyle: cs.outlineStyle, outlineWidth: parseFloat(cs.outlineWidth), outlineColor: cs.outlineColor,
          visible: e.matches(':focus-visible'),
        };
      });
      seen.push(f.what);
      if (f.role === 'tab' && !tab) tab = f;
      if (f.tile && !tile) tile = f;
    }
    assert.ok(tab, `Tab never reached the tabs: ${seen.join(', ')}`);
    assert.ok(tile, `Tab never reached a tile: ${seen.join(', ')}`);
    for (const f of [tab, tile]) {
      assert.ok(f.visible, `${f.what} has no :focus-visible`);
      assert.ok(f.outlineStyle !== 'none' && f.outlineWidth >= 2, `${f.what} has no visible focus outline: ${f.outlineStyle} ${f.outlineWidth}px ${f.outlineColor}`);
    }
    // only the chosen tab is a tab stop (the first one reached is Board)
    assert.equal(tab.what, 'tab board');
    assert.equal(seen.filter((w) => w.startsWith('tab ')).length, 1, `one tab stop for the tab list: ${seen.join(', ')}`);

    // Enter on the focused tile opens its detail
    await page.keyboard.press('Enter');
    await page.waitForSelector('#detail-body:not([hidden])', { timeout: 5000 });
    const label = await page.evaluate((f) => document.querySelector(
      `.tile[data-partner="${CSS.escape(f.partner)}"][data-key="${CSS.escape(f.key)}"][data-site="${CSS.escape(f.site)}"] .t-label`).textContent, tile);
    assert.equal(await page.textContent('#detail-title'), label);
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-pressed')), 'true', 'the chosen tile says so');

    // arrows on the tab list
    await page.focus('button[data-tab="board"]');
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction(() => !document.getElementById('tab-thresholds').hidden);
    assert.equal(await page.evaluate(() => document.activeElement.dataset.tab), 'thresholds');
    await page.keyboard.press('End');
    assert.equal(await page.evaluate(() => document.activeElement.dataset.tab), 'rota');
    await page.keyboard.press('ArrowRight');
    assert.equal(await page.evaluate(() => document.activeElement.dataset.tab), 'board', 'the arrows wrap around');
    assert.equal(await page.evaluate(() => document.getElementById('tab-board').hidden), false);
    await page.context().close();
  });

  step('d. every tile tells its status by a word and a shape, not by colour alone', { timeout: 60_000 }, async () => {
    const page = await signIn(DESK);
    const badgeOf = (sel) => page.evaluate((s) => {
      const t = document.querySelector(s);
      return { status: t.dataset.status, word: t.querySelector('.badge .b-text')?.textContent || '',
        shape: t.querySelector('.badge svg.icon path')?.getAttribute('d') || '',
        visible: t.querySelector('.badge').getBoundingClientRect().width > 0 };
    }, sel);
    // one tile through green, amber and red (amber 95, red 76, higher is better)
    const seen = new Map();
    for (const [value, status] of [[96, 'green'], [80, 'amber'], [50, 'red']]) {
      await psql(env.partners[ED.partner], `INSERT INTO commcell.observation (metric, site, value) VALUES ('${ED.key}', '${ED.site}', ${value})`);
      await page.waitForFunction(([sel, st]) => document.querySelector(sel)?.dataset.status === st, [ED_TILE, status], { timeout: 10_000 });
      const b = await badgeOf(ED_TILE);
      assert.equal(b.word, STATUS_WORD[status], `${value}: the badge must read ${STATUS_WORD[status]}`);
      assert.ok(b.shape && b.visible, `${value}: no shape`);
      seen.set(status, b.shape);
    }
    assert.equal(new Set(seen.values()).size, 3, 'green, amber and red need three shapes');
    // and every tile on the board, whatever its status, carries its word and that status's shape
    const tiles = await page.evaluate(() => [...document.querySelectorAll('.tile')].map((t) => ({
      key: t.dataset.key, status: t.dataset.status,
      word: t.querySelector('.badge .b-text')?.textContent || '',
      shape: t.querySelector('.badge svg.icon path')?.getAttribute('d') || '',
    })));
    assert.ok(tiles.length >= 5, `tiles: ${tiles.length}`);
    for (const t of tiles) {
      assert.equal(t.word, STATUS_WORD[t.status], `${t.key}: status ${t.status} must read ${STATUS_WORD[t.status]}, reads "${t.word}"`);
      assert.ok(t.shape, `${t.key}: no shape`);
      if (!seen.has(t.status)) seen.set(t.status, t.shape);
      assert.equal(seen.get(t.status), t.shape, `${t.key}: one shape per status`);
    }
    assert.equal(new Set(seen.values()).size, seen.size, 'two statuses share a shape');
    await psql(env.partners[ED.partner], `INSERT INTO commcell.observation (metric, site, value) VALUES ('${ED.key}', '${ED.site}', 96)`);
    await page.context().close();
  });

  step('e. a chosen tile shows its metric\'s definition, or says there is none yet', { timeout: 60_000 }, async () => {
    const page = await signIn(DESK, 'mona');
    await page.click(ED_TILE);
    await page.waitForFunction((d) => document.getElementById('detail-definition').textContent === d, ED_DEFINITION, { timeout: 10_000 });
    assert.ok(await page.isVisible('#detail-definition'));
    // the line under the title is in words: the partner's label, its keys only in the tooltip
    const sub = await page.$eval('#detail-sub', (n) => ({ text: n.textContent, title: n.title }));
    assert.ok(sub.text.startsWith('Northgate Hospitals NHS Trust'), sub.text);
    assert.ok(!sub.text.includes(ED.key) && !sub.text.startsWith(ED.partner), sub.text);
    assert.ok(sub.title.includes(ED.key), sub.title);
    await page.waitForSelector('#chart .uplot', { timeout: 10_000 });
    await page.waitForTimeout(300);
    await shot(page, 'manager-detail-1920x1080');
    // and served with the metric by the API the manager view reads
    const api = await page.evaluate(async (ed) => (await (await fetch('/api/thresholds')).json())
      .metrics.find((m) => m.partner === ed.partner && m.metric === ed.key), ED);
    assert.equal(api.definition, ED_DEFINITION);

    const other = await page.evaluate((sel) => {
      const t = [...document.querySelectorAll('.tile')].find((x) => !x.matches(sel));
      return `.tile[data-partner="${t.dataset.partner}"][data-key="${t.dataset.key}"][data-site="${t.dataset.site}"]`;
    }, ED_TILE);
    await page.click(other);
    await page.waitForFunction(() => /No definition has been written/.test(document.getElementById('detail-definition').textContent), null, { timeout: 10_000 });
    await page.context().close();
  });

  step('f. a phone (390x844): one column of stages, nothing wider than the screen, values of 16 px or more, a tap opens history and thresholds', { timeout: 120_000 }, async () => {
    const page = await signIn(PHONE);
    await page.waitForTimeout(500);   // board.js lays the board out on the next frame
    const width = await documentWidth(page);
    assert.ok(width.scroll <= width.viewport && width.body <= width.viewport, `board tab: ${JSON.stringify(width)}`);

    const layout = await page.evaluate(() => ({
      stages: [...document.querySelectorAll('#board .stage')].map((s) => { const r = s.getBoundingClientRect(); return { left: r.left, right: r.right, top: r.top, bottom: r.bottom }; }),
      values: [...document.querySelectorAll('#board .tile .value')].map((v) => parseFloat(getComputedStyle(v).fontSize)),
      labels: [...document.querySelectorAll('#board .tile .t-label')].map((l) => ({ size: parseFloat(getComputedStyle(l).fontSize), cut: l.scrollHeight > l.clientHeight + 1 || l.scrollWidth > l.clientWidth + 1 })),
      tiles: [...document.querySelectorAll('#board .tile')].map((t) => { const r = t.getBoundingClientRect(); return { left: r.left, right: r.right }; }),
    }));
    assert.ok(layout.stages.length >= 3, `stages: ${layout.stages.length}`);
    for (let i = 1; i < layout.stages.length; i++) {
      assert.ok(layout.stages[i].top >= layout.stages[i - 1].bottom - 1, `stage ${i} is not below stage ${i - 1}: a vertical list`);
    }
    for (const r of [...layout.stages, ...layout.tiles]) {
      assert.ok(r.left >= -1 && r.right <= 391, `inside the screen: ${JSON.stringify(r)}`);
    }
    assert.ok(layout.values.length >= 5);
    for (const px of layout.values) assert.ok(px >= 16, `a value is ${px} px`);
    for (const l of layout.labels) {
      assert.ok(l.size >= 14, `a label is ${l.size} px`);
      assert.ok(!l.cut, 'a tile label is cut');
    }
    await shot(page, 'manager-phone-390x844');

    // a tap brings the tile's detail into view: history, thresholds and definition
    await page.tap(ED_TILE);
    await page.waitForFunction(() => document.getElementById('th-amber').value !== '', null, { timeout: 10_000 });
    await page.waitForSelector('#chart .uplot', { timeout: 10_000 });
    await page.waitForFunction((d) => document.getElementById('detail-definition').textContent === d, ED_DEFINITION, { timeout: 10_000 });
    const top = await page.evaluate(() => document.getElementById('detail-title').getBoundingClientRect().top);
    assert.ok(top >= 0 && top < 844, `the detail's title must be in view after the tap (top ${top})`);
    const w2 = await documentWidth(page);
    assert.ok(w2.scroll <= w2.viewport, `with the detail open: ${JSON.stringify(w2)}`);
    await shot(page, 'manager-phone-detail-390x844');
    await page.tap('#detail-back');
    await page.waitForFunction((sel) => document.activeElement === document.querySelector(sel), ED_TILE, { timeout: 5000 });
    const tileTop = await page.evaluate((sel) => document.querySelector(sel).getBoundingClientRect().top, ED_TILE);
    assert.ok(tileTop >= 0 && tileTop < 844, `back on the board at the chosen tile (top ${tileTop})`);

    // every tab fits the width, can be reached by a tap, and passes axe at this size too
    const problems = await axeProblems(page, 'phone board');
    for (const tab of TABS.slice(1)) {
      await page.tap(`button[data-tab="${tab}"]`);
      await page.waitForFunction((n) => !document.getElementById(`tab-${n}`).hidden, tab);
      await page.waitForTimeout(400);
      const w = await documentWidth(page);
      assert.ok(w.scroll <= w.viewport && w.body <= w.viewport, `tab ${tab}: ${JSON.stringify(w)}`);
      problems.push(...await axeProblems(page, `phone tab ${tab}`));
    }
    assert.deepEqual(problems, [], problems.join('\n'));
    await page.context().close();
  });
});
