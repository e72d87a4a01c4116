// Browser test of the wall display on the demo's board (sql/demo/seed.sql, filled by a short
// run of the simulator): at 1366x768, 1920x1080 and 3840x2160 no text is cut, ends in an
// ellipsis or scrolls, on every page; every tile is told apart by its short label and site.
//
// Needs what tests/browser/wall.test.mjs needs, plus the simulator (COMMCELL_SIM_BIN, else
// build/sim/commcell-sim); tests/browser/wall_demo_env.py starts the demo. Run:
//   node --test tests/browser/wall_demo.test.mjs
// Both of the simulator's scenarios, normal and winter (two weeks of it). Screenshots go to
// tests/output/wall-demo-SCENARIO-*.png, with a small JPEG of each at 1920x1080 for README.

import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { PYTHON, repoRoot, launch, waitForLive, settle, clipped, pageState, ensureOutput, SIZES } from './wall_common.mjs';

const DWELL_S = 3;

function demoSuite(scenario) {
  let demo = null;        // the wall_demo_env.py process
  let env = null;
  let browser = null;
  let page = null;
  let startError = null;

  function startDemo() {
    return new Promise((resolve, reject) => {
      demo = spawn(PYTHON, [path.join(repoRoot, 'tests', 'browser', 'wall_demo_env.py'), scenario],
        { cwd: repoRoot, stdio: ['pipe', 'pipe', 'inherit'] });
      const timer = setTimeout(() => reject(new Error('the demo did not start within 240 s')), 240_000);
      demo.on('exit', (code) => { clearTimeout(timer); reject(new Error(`wall_demo_env.py exited with ${code}`)); });
      readline.createInterface({ input: demo.stdout }).once('line', (line) => {
        clearTimeout(timer);
        resolve(JSON.parse(line));
      });
    });
  }

  function stopDemo() {
    return new Promise((resolve) => {
      if (!demo || demo.exitCode !== null) { resolve(demo ? demo.exitCode : 0); return; }
      demo.removeAllListeners('exit');
      demo.on('exit', (code) => resolve(code));
      demo.stdin.end();   // the helper stops the daemon and the cluster when its input closes
    });
  }

  function step(name, options, fn) {
    test(name, options, async (t) => {
      if (startError) throw startError;
      await fn(t);
    });
  }

  describe(`wall display on the demo board (${scenario})`, { concurrency: false }, () => {
    before(async () => {
      try {
        env = await startDemo();
        browser = await launch();
        page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
        page.on('pageerror', (err) => { console.error(`page error: ${err.message}`); });
        await page.goto(`${env.url}/?dwell=${DWELL_S}`);
        await waitForLive(page);
        // every demo metric has a tile with a value
        await page.waitForFunction(() => window.commcell.entries.length > 0 &&
          window.commcell.entries.every((e) => e.status !== 'stale'), null, { timeout: 60_000 });
      } catch (err) {
        startError = err;
      }
    }, { timeout: 300_000 });

    after(async () => {
      if (browser) await browser.close().catch(() => {});
      const code = await stopDemo();
      assert.equal(code, 0, 'wall_demo_env.py did not stop cleanly (see its output)');
    }, { timeout: 90_000 });

    step('every demo metric and partner has a short label, and no two tiles read the same', { timeout: 30_000 }, async () => {
      const board = await page.evaluate(() => ({
        entries: window.commcell.entries.map((e) => ({ key: e.key, site: e.site, label: e.label, short: e.short_label })),
        partners: window.commcell.partners.map((p) => ({ name: p.name, label: p.label, short: p.short_label })),
        tiles: [...document.querySelectorAll('.tile')].map((t) =>
          `${t.querySelector('.t-label').textContent} | ${t.querySelector('.t-sub').textContent}`),
      }));
      for (const e of board.entries) {
        assert.ok(e.short && e.short !== e.label && e.short.length <= 24, `${e.key}: short label "${e.short}" (label "${e.label}")`);
      }
      for (const p of board.partners) {
        assert.ok(p.short && p.short !== p.label, `partner ${p.name}: short label "${p.short}"`);
      }
      const dup = board.tiles.filter((x, i) => board.tiles.indexOf(x) !== i);
      assert.deepEqual(dup, [], 'tiles that read the same');
    });

    step('nothing is cut or scrolls at 1366x768, 1920x1080 and 3840x2160, on every page', { timeout: 180_000 }, async (t) => {
      const out = ensureOutput();
      for (const [width, height] of SIZES) {
        await page.setViewportSize({ width, height });
        await settle(page);
        const first = await pageState(page);
        const seen = new Set();
        let cur = first;
        for (;;) {
          const bad = await clipped(page);
          assert.deepEqual(bad, [], `at ${width}x${height}, page ${cur.page} / ${cur.pages}, text is cut:\n${bad.join('\n')}`);
          seen.add(cur.page);
          const suffix = cur.pages > 1 ? `-p${cur.page}` : '';
          const name = `wall-demo-${scenario}-${width}x${height}${suffix}`;
          await page.screenshot({ path: path.join(out, `${name}.png`), animations: 'disabled' });
          if (width === 1920 && cur.page === 1) {
            const small = path.join(out, `${name}-small.jpg`);
            await page.screenshot({ path: small, type: 'jpeg', quality: 70, animations: 'disabled' });
            assert.ok(fs.statSync(small).size > 10_000, `${small} looks empty`);
          }
          if (seen.size >= cur.pages) break;
          await page.waitForFunction((p) => document.getElementById('page-indicator').dataset.page !== String(p),
            cur.page, { timeout: (DWELL_S + 5) * 1000 });
          await settle(page);
          cur = await pageState(page);
        }
        const u = await page.evaluate(() => parseFloat(getComputedStyle(document.getElementById('board')).getPropertyValue('--u')));
        t.diagnostic(`${width}x${height}: ${first.pages} page(s), base font ${u} px`);
      }
    });
  });
}

demoSuite('normal');
demoSuite('winter');
