// The board report printed by Chromium (issue 16, items 4 and 7): a manager signs in, opens
// GET /api/reports/board for ten days of figures written into the hub (three stages with
// measures, one with a goal), and prints it with page.pdf({format: 'A4', landscape: true,
// preferCSSPageSize: true}). pdftoppm (poppler-utils) turns the pages into images:
//  - one summary page and one page per stage with measures, no more (nothing spilled over);
//  - every page landscape and not blank (dark pixels counted in a grey PGM, parsed here);
//  - each stage's page carries that stage's heading (pdftotext per page), in order;
//  - the page fetched nothing but itself and broke no rule of its Content-Security-Policy.
// The PDF and the pages as PNG go to tests/output/ (board-report.pdf, board-report-N.png).
//
// Needs what wall.test.mjs needs (Debian's chromium, psql, tests/harness/commcell_env.py) and
// poppler-utils (pdftoppm, pdftotext); scripts/deps installs them.

import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Session, psql, addUsers, signInForm, ensureOutput, run, DESK } from './common.mjs';

const PASSWORD = 'correct horse battery';
const FROM = '2026-09-01';
const TO = '2026-09-10';
// series of the harness's seed with ten days of figures: [partner, metric, stage label, first]
const SERIES = [
  ['acute', 'ed.four_hour_performance', 'Emergency department', 72],
  ['acute', 'beds.ga_occupancy', 'Beds and flow', 90],
  ['acute', 'admission.waiting_for_bed', 'Admission', 8],
];
const STAGE_ORDER = ['Emergency department', 'Admission', 'Beds and flow'];  // by position

const session = new Session('commcell-report-');
const step = session.step.bind(session);
let env = null;

// A grey PGM (P5) as pdftoppm -gray writes it: width, height and the share of dark pixels.
function pgmStats(file) {
  const buf = fs.readFileSync(file);
  const fields = [];
  let i = 0;
  while (fields.length < 4) {
    while (/\s/.test(String.fromCharCode(buf[i]))) i++;
    if (buf[i] === 0x23) {                    // a comment runs to the end of its line
      while (buf[i] !== 0x0a) i++;
      continue;
    }
    let tok = '';
    while (!/\s/.test(String.fromCharCode(buf[i]))) tok += String.fromCharCode(buf[i++]);
    fields.push(tok);
  }
  i++;                                        // the one whitespace byte before the raster
  const [magic, w, h, max] = [fields[0], Number(fields[1]), Number(fields[2]), Number(fields[3])];
  assert.equal(magic, 'P5', `${file} is not a binary grey PGM`);
  assert.ok(max < 256, `${file}: 16-bit PGM`);
  const pixels = buf.subarray(i, i + w * h);
  assert.equal(pixels.length, w * h, `${file} is cut short`);
  let dark = 0;
  for (const p of pixels) if (p < max * 0.8) dark++;
  return { w, h, dark: dark / (w * h) };
}

describe('the board report printed to PDF', { concurrency: false }, () => {
  before(async () => {
    await session.start(async (e) => {
      env = e;
      await addUsers(env.hub, PASSWORD, { mona: 'manager' });
      const rows = [];
      for (const [partner, metric, , first] of SERIES) {
        for (let d = 1; d <= 10; d++) {
          if (d === 5 && metric !== 'ed.four_hour_performance') continue;   // a day with no figure
          const v = first + ((d * 7) % 5) - (d % 3);
          rows.push(`('${partner}', '${metric}', '', ${v}, ` +
            `'2026-09-${String(d).padStart(2, '0')} 12:00'::timestamp AT TIME ZONE 'Europe/London')`);
        }
      }
      await psql(env.hub, 'INSERT INTO commcell.history (partner, metric, site, value, observed_at) VALUES ' + rows.join(', '));
      await psql(env.hub, `SELECT commcell.daily_refresh('${FROM}', '${TO}')`);
      await psql(env.hub, 'INSERT INTO commcell.goal (partner, metric, site, baseline, target, starts_on, ends_on, ' +
        "milestones, created_by, updated_by) VALUES ('acute', 'ed.four_hour_performance', '', 70, 78, '2026-08-20', " +
        `'2026-10-31', '[{"on": "2026-09-15", "value": 74}]', 'mona', 'mona')`);
      await psql(env.hub, "INSERT INTO commcell.level_history (level, label, reason, at) VALUES " +
        "(2, 'OPEL 2', 'test', '2026-08-30 12:00Z'), (3, 'OPEL 3', 'test', '2026-09-04 12:00Z'), " +
        "(4, 'OPEL 4', 'test', '2026-09-06 12:00Z'), (2, 'OPEL 2', 'test', '2026-09-08 12:00Z')");
      await psql(env.hub, "INSERT INTO commcell.person (name, label) VALUES ('pat', 'Pat Owner')");
      await psql(env.hub, 'INSERT INTO commcell.action (title, owner, due_on, status, created_by, created_at) VALUES ' +
        "('Open the discharge lounge at 8', 'pat', '2026-09-04', 'open', 'mona', '2026-09-02 09:00Z'), " +
        "('Review 12-hour waits with the site team', 'pat', '2026-09-12', 'in_progress', 'mona', '2026-09-03 09:00Z')");
    });
  }, { timeout: 300_000 });

  after(() => session.stop(), { timeout: 90_000 });

  step('a manager prints the report: a summary page and one landscape page per stage, none blank', { timeout: 120_000 }, async () => {
    const page = await session.newPage(DESK);
    await page.goto(`${env.url}/manager`);
    await page.waitForSelector('#signin-form');
    await signInForm(page, 'mona', PASSWORD);
    await page.waitForFunction(() => document.body.dataset.view === 'app', null, { timeout: 15_000 });

    // the report in a tab of its own (the manager view's link opens one), with the session's
    // cookie: what it requests is its own, not the manager view's
    const report = await page.context().newPage();
    const requests = [];
    const violations = [];
    report.on('request', (r) => requests.push(r.url()));
    report.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) violations.push(m.text()); });
    const url = `${env.url}/api/reports/board?from=${FROM}&to=${TO}`;
    const resp = await report.goto(url);
    assert.equal(resp.status(), 200);
    assert.match(resp.headers()['content-type'], /^text\/html/);
    assert.deepEqual(requests, [url], 'the report fetches nothing but itself');
    assert.deepEqual(violations, [], 'no Content-Security-Policy violation');
    const stages = await report.$$eval('section.stage h2', (hs) => hs.map((h) => h.textContent));
    assert.deepEqual(stages, STAGE_ORDER, 'a page per stage with measures, in pathway order');

    const out = ensureOutput();
    const pdf = path.join(out, 'board-report.pdf');
    await report.pdf({ path: pdf, format: 'A4', landscape: true, preferCSSPageSize: true, printBackground: true });
    for (const f of fs.readdirSync(out)) if (/^board-report-\d+\.(png|pgm)$/.test(f)) fs.rmSync(path.join(out, f));
    await run('pdftoppm', ['-r', '50', '-png', pdf, path.join(out, 'board-report')]);
    await run('pdftoppm', ['-gray', '-r', '30', pdf, path.join(out, 'board-report')]);
    const pgms = fs.readdirSync(out).filter((f) => /^board-report-\d+\.pgm$/.test(f)).sort();
    const pngs = fs.readdirSync(out).filter((f) => /^board-report-\d+\.png$/.test(f));
    assert.equal(pgms.length, 1 + STAGE_ORDER.length, `pages: ${pgms.join(', ')}`);
    assert.equal(pngs.length, pgms.length);
    for (const f of pgms) {
      const s = pgmStats(path.join(out, f));
      assert.ok(s.w > s.h, `${f} is ${s.w}x${s.h}: not landscape`);
      // A4 at 30 dpi is about 350x248
      assert.ok(Math.abs(s.w / s.h - 297 / 210) < 0.02, `${f} is ${s.w}x${s.h}: not A4`);
      assert.ok(s.dark > 0.01, `${f} is blank (${(s.dark * 100).toFixed(2)}% dark pixels)`);
      fs.rmSync(path.join(out, f));             // the PNGs are what people look at
    }
    // each page holds what it should: the summary first, then each stage's heading
    const text = async (n) => (await run('pdftotext', ['-f', String(n), '-l', String(n), '-layout', pdf, '-'])).stdout;
    const first = await text(1);
    assert.match(first, /Comm cell board report/);
    assert.match(first, /Escalation level by day/);
    assert.match(first, /Open the discharge lounge at 8/, 'the overdue action is on the summary');
    for (let n = 0; n < STAGE_ORDER.length; n++) {
      const t = await text(n + 2);
      assert.ok(t.includes(STAGE_ORDER[n]), `page ${n + 2} lacks "${STAGE_ORDER[n]}":\n${t}`);
      for (const other of STAGE_ORDER.filter((x) => x !== STAGE_ORDER[n])) {
        assert.ok(!t.split('\n').some((l) => l.trim() === other), `page ${n + 2} also has "${other}"`);
      }
    }
    assert.match(await text(2), /On or better than trajectory on \d+ of 10 days\./);
  });
});
