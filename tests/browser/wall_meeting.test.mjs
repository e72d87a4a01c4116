// Browser tests of the comm cell's meeting on the wall display (issue 16): a tile with an agreed
// goal says whether its live value is on the trajectory and by how much, in words and shape as
// well as colour, and never "on" without a current figure; the strip of overdue and due-today
// actions with their owners follows the hub at once (an insert on the hub reaches an open wall
// within a second), most overdue first, bounded in height.
//
// Needs what tests/browser/wall.test.mjs needs (the harness, Debian's chromium, psql). Run:
//   node --test tests/browser/wall_meeting.test.mjs
// The screenshot goes to tests/output/wall-meeting-1920x1080.png.

import { describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Session, psql, waitForLive, settle, clipped, shot, SIZES, ED, ED_TILE } from './wall_common.mjs';

const session = new Session('commcell-meeting-');
const step = session.step.bind(session);
let env = null;
let page = null;

// Today and its neighbours as the hub counts local days.
const TODAY = "(now() AT TIME ZONE 'Europe/London')::date";

function hub(sql) {
  return psql(env.hub, sql);
}

function setEd(value) {
  return psql(env.partners[ED.partner],
    `INSERT INTO commcell.observation(metric, site, value) VALUES ('${ED.key}', '${ED.site}', ${value})`);
}

// The ED tile's trajectory line: {state, icon, text, hidden, status, colour} or null.
function edTrajectory() {
  return page.evaluate((sel) => {
    const t = document.querySelector(sel);
    const line = t && t.querySelector('.t-traj');
    if (!line) return null;
    return { state: line.dataset.traj || '', icon: line.querySelector('.icon')?.dataset.icon || '',
      text: line.textContent, hidden: line.hidden || line.closest('[hidden]') !== null,
      status: t.dataset.status, value: t.dataset.value, colour: getComputedStyle(line).color };
  }, ED_TILE);
}

// Wait until the ED tile's trajectory line is shown with these: {traj, value, status} (each
// optional; value as the tile's data-value).
async function waitForEdTrajectory(want, timeout = 15_000) {
  try {
    await page.waitForFunction(({ sel, want }) => {
      const t = document.querySelector(sel);
      const line = t && t.querySelector('.t-traj');
      if (!line || line.hidden) return false;
      return (want.traj === undefined || line.dataset.traj === want.traj) &&
        (want.value === undefined || t.dataset.value === want.value) &&
        (want.status === undefined || t.dataset.status === want.status);
    }, { sel: ED_TILE, want }, { timeout, polling: 50 });
  } catch (err) {
    throw new Error(`the ED tile did not show ${JSON.stringify(want)} within ${timeout} ms; it shows ${JSON.stringify(await edTrajectory())}`);
  }
  return edTrajectory();
}

// The lines of the actions strip: [{id, due, text}], and whether the strip is shown.
function strip() {
  return page.evaluate(() => {
    const s = document.getElementById('actions');
    const r = s.getBoundingClientRect();
    return {
      hidden: s.hidden, height: r.height, bottom: r.bottom,
      items: [...s.querySelectorAll('.as-item')].map((i) => ({ id: i.dataset.action, due: i.dataset.due, text: i.textContent })),
      more: s.querySelector('.as-more:not([hidden])')?.textContent || '',
    };
  });
}

// Inserts an action; returns its id and the hub's clock (ms) at the end of the INSERT, just
// before it commits (the same machine's clock as the browser's).
async function insertAction(title, dueOffsetDays, owner = 'patel') {
  const out = await hub(`INSERT INTO commcell.action (title, owner, partner, metric, site, due_on, created_by)
    VALUES ('${title}', '${owner}', 'acute', '${ED.key}', '', ${TODAY} + ${dueOffsetDays}, 'test')
    RETURNING id, (extract(epoch FROM clock_timestamp()) * 1000)::bigint`);
  const [id, at] = out.trim().split('\n')[0].split('|');
  return { id, at: Number(at) };
}

async function addAction(title, dueOffsetDays, owner = 'patel') {
  return (await insertAction(title, dueOffsetDays, owner)).id;
}

describe('the meeting on the wall display', { concurrency: false }, () => {
  before(async () => {
    await session.start(async (e) => {
      env = e;
      await psql(env.hub, "INSERT INTO commcell.person (name, label) VALUES ('patel', 'Dr Patel'), ('okafor', 'Ms Okafor') " +
        'ON CONFLICT (name) DO NOTHING');
    }, async (browser) => {
      page = await (await browser.newContext({ viewport: { width: 1920, height: 1080 } })).newPage();
      page.on('pageerror', (err) => { console.error(`page error: ${err.message}`); });
      await page.goto(`${env.url}/`);
      await waitForLive(page);
      await page.waitForSelector(ED_TILE);
      // Anything ever drawn as "on trajectory" on a tile without a current figure is recorded.
      await page.evaluate(() => {
        window.__onWhileNotCurrent = [];
        const check = () => {
          for (const t of document.querySelectorAll('.tile')) {
            const line = t.querySelector('.t-traj');
            if (line && !line.hidden && line.dataset.traj === 'on' && !['green', 'amber', 'red'].includes(t.dataset.status)) {
              window.__onWhileNotCurrent.push(`${t.dataset.key}: ${t.dataset.status} "${line.textContent}"`);
            }
          }
        };
        new MutationObserver(check).observe(document.getElementById('board'),
          { subtree: true, attributes: true, childList: true, characterData: true });
      });
    });
  }, { timeout: 300_000 });

  after(() => session.stop(), { timeout: 90_000 });

  step('a tile without a goal has no trajectory line', { timeout: 30_000 }, async () => {
    await setEd(80);
    await page.waitForFunction((s) => document.querySelector(s)?.dataset.value === '80', ED_TILE, { timeout: 15_000 });
    const line = await edTrajectory();
    assert.ok(line.hidden, `the ED tile shows a trajectory line with no goal: ${JSON.stringify(line)}`);
  });

  step('a goal set by SQL: the tile says "on trajectory" with the gap in points, and a shape', { timeout: 30_000 }, async (t) => {
    // from 70 % a month ago to 80 % in a month: 75.0 % expected today
    await hub(`INSERT INTO commcell.goal (partner, metric, site, baseline, target, starts_on, ends_on, created_by, updated_by)
      VALUES ('${ED.partner}', '${ED.key}', '${ED.site}', 70, 80, ${TODAY} - 30, ${TODAY} + 30, 'test', 'test')`);
    const line = await waitForEdTrajectory({ traj: 'on' });
    assert.equal(line.text, 'on trajectory +5.0 pts', 'value 80 against 75.0 expected');
    assert.equal(line.icon, 'up', 'on trajectory has its own shape');
    const goals = await page.evaluate(() => window.commcell.goals);
    assert.equal(goals.length, 1, 'window.commcell.goals holds the goal');
    assert.equal(goals[0].metric, ED.key);
    t.diagnostic(`on: "${line.text}" in ${line.colour}`);
  });

  step('a value below the trajectory: the tile says how far off and what was expected', { timeout: 30_000 }, async (t) => {
    const on = await edTrajectory();
    await setEd(71.6);
    const line = await waitForEdTrajectory({ traj: 'off' });
    assert.equal(line.text, '3.4 pts off trajectory (expected 75.0 %)');
    assert.equal(line.icon, 'down', 'off trajectory has its own shape');
    assert.notEqual(line.colour, on.colour, 'off and on differ in colour too');
    // the goal moved by a manager: the tile follows
    await hub(`UPDATE commcell.goal SET baseline = 60, updated_by = 'test' WHERE metric = '${ED.key}'`);
    const moved = await waitForEdTrajectory({ traj: 'on' });
    assert.equal(moved.text, 'on trajectory +1.6 pts', 'value 71.6 against 70.0 expected');
    t.diagnostic(`off: "${line.text}"`);
  });

  step('a stale value: "no current figure against trajectory", never "on"', { timeout: 60_000 }, async () => {
    await setEd(90);
    await waitForEdTrajectory({ traj: 'on', value: '90' });
    await hub(`UPDATE commcell.metric SET freshness_s = 2 WHERE partner = '${ED.partner}' AND key = '${ED.key}'`);
    try {
      const line = await waitForEdTrajectory({ status: 'stale' }, 20_000);
      assert.equal(line.state, 'none', `stale but ${JSON.stringify(line)}`);
      assert.equal(line.text, 'no current figure against trajectory');
      assert.equal(line.icon, 'bar');
      assert.equal(line.value, '90', 'the last value is still on the tile');
    } finally {
      await hub(`UPDATE commcell.metric SET freshness_s = 600 WHERE partner = '${ED.partner}' AND key = '${ED.key}'`);
    }
    await setEd(90.5);
    await waitForEdTrajectory({ traj: 'on', value: '90.5' });
    assert.deepEqual(await page.evaluate(() => window.__onWhileNotCurrent), [],
      'a tile without a current figure was drawn "on trajectory"');
  });

  step('an overdue action reaches the strip with its owner within 1 s; done, it goes', { timeout: 60_000 }, async (t) => {
    const before = await strip();
    assert.ok(before.hidden, `the strip shows with nothing due: ${JSON.stringify(before)}`);
    // the moment each action's line first appears, by the page's clock
    await page.evaluate(() => {
      window.__seen = {};
      new MutationObserver(() => {
        for (const i of document.querySelectorAll('#actions .as-item')) {
          if (!(i.dataset.action in window.__seen)) window.__seen[i.dataset.action] = Date.now();
        }
      }).observe(document.getElementById('actions'), { subtree: true, childList: true });
    });
    // From the hub's clock at the end of the INSERT (it commits just after: the time measured
    // is, if anything, a little long) to the line's appearance by the page's clock.
    const { id, at } = await insertAction('Ward discharge lounge open 8am', -2);
    await page.waitForFunction((i) => i in window.__seen, id, { timeout: 5000 })
      .catch(async () => assert.fail(`action ${id} did not reach the strip within 5 s: ${JSON.stringify(await strip())}`));
    const seenAt = await page.evaluate((i) => window.__seen[i], id);
    const ms = seenAt - at;
    t.diagnostic(`action ${id} on the wall ${ms} ms after its INSERT committed`);
    assert.ok(ms >= 0 && ms < 1000, `the action took ${ms} ms to reach the wall`);
    const s = await strip();
    assert.equal(s.hidden, false);
    assert.deepEqual(s.items.map((i) => i.text), ['Overdue 2 days · Ward discharge lounge open 8am · Dr Patel']);
    assert.equal(s.items[0].due, 'overdue');

    // due today comes after the overdue one, and one due tomorrow is not shown
    const today = await addAction('Escalation call with social care', 0, 'okafor');
    const later = await addAction('Review the discharge to assess beds', 1, 'okafor');
    await page.waitForFunction((i) => i in window.__seen, today, { timeout: 5000 });
    const both = await strip();
    assert.deepEqual(both.items.map((i) => i.text), [
      'Overdue 2 days · Ward discharge lounge open 8am · Dr Patel',
      'Due today · Escalation call with social care · Ms Okafor',
    ]);
    assert.ok(!both.items.some((i) => i.id === later), 'an action due tomorrow is on the strip');

    // done by SQL: off the strip; the strip goes when nothing is due
    await hub(`UPDATE commcell.action SET status = 'done', closed_at = now() WHERE id = ${id}`);
    await page.waitForFunction((i) => !document.querySelector(`#actions .as-item[data-action="${i}"]`), id, { timeout: 5000 })
      .catch(async () => assert.fail(`the done action is still on the strip: ${JSON.stringify(await strip())}`));
    await hub(`UPDATE commcell.action SET status = 'dropped', closed_at = now() WHERE id = ${today}`);
    await page.waitForFunction(() => document.getElementById('actions').hidden, null, { timeout: 5000 })
      .catch(async () => assert.fail(`the strip stays with nothing due: ${JSON.stringify(await strip())}`));
    await hub(`DELETE FROM commcell.action WHERE id = ${later}`);
  });

  step('many actions due: the strip stays bounded, counts the rest, and the board still fits', { timeout: 60_000 }, async (t) => {
    const values = [];
    for (let i = 0; i < 14; i++) {
      values.push(`('Action ${String(i).padStart(2, '0')}: call the ward managers about flow', ` +
        `'${i % 2 ? 'patel' : 'okafor'}', ${TODAY} - ${i % 5}, 'test')`);
    }
    await hub(`INSERT INTO commcell.action (title, owner, due_on, created_by) VALUES ${values.join(', ')}`);
    await page.waitForFunction(() => document.querySelector('#actions .as-more:not([hidden])'), null, { timeout: 5000 })
      .catch(async () => assert.fail(`no "+N more" on the strip: ${JSON.stringify(await strip())}`));
    await settle(page);
    const s = await strip();
    const shown = s.items.length;
    assert.equal(shown, 3, 'the strip shows three lines');
    assert.equal(s.more, `+${14 - shown} more`);
    assert.ok(s.height <= 1080 * 0.12, `the strip is ${s.height} px high`);
    // most overdue first: 4 days late before 3 before ...
    const days = s.items.map((i) => (/Overdue (\d+) day/.exec(i.text) || [0, 0])[1]).map(Number);
    assert.deepEqual(days, [...days].sort((a, b) => b - a), `not most overdue first: ${days}`);
    assert.equal(days[0], 4);
    // the board gives up the room: nothing is cut, nothing lies outside the window
    const bad = await clipped(page);
    assert.deepEqual(bad, [], `with the strip shown, text is cut:\n${bad.join('\n')}`);
    await setEd(71.6);
    await waitForEdTrajectory({ traj: 'on', value: '71.6' });
    // lower is better: G&A occupancy at 93.5 % against 93.0 % expected is off; patients waiting
    // for a bed, 25 against 25 expected, level with it
    await hub(`INSERT INTO commcell.goal (partner, metric, site, baseline, target, starts_on, ends_on, created_by, updated_by)
      VALUES ('acute', 'beds.ga_occupancy', '', 95, 91, ${TODAY} - 10, ${TODAY} + 10, 'test', 'test'),
             ('acute', 'admission.waiting_for_bed', '', 35, 15, ${TODAY} - 20, ${TODAY} + 20, 'test', 'test')`);
    const lines = async () => page.evaluate(() => Object.fromEntries([...document.querySelectorAll('.tile')]
      .filter((x) => !x.querySelector('.t-traj').hidden).map((x) => [x.dataset.key, x.querySelector('.t-traj').textContent])));
    await page.waitForFunction(() => document.querySelectorAll('.tile .t-traj:not([hidden])').length === 3, null, { timeout: 5000 })
      .catch(async () => assert.fail(`three tiles should have a trajectory line: ${JSON.stringify(await lines())}`));
    const words = await lines();
    assert.equal(words['beds.ga_occupancy'], '0.5 pts off trajectory (expected 93.0 %)');
    assert.equal(words['admission.waiting_for_bed'], 'on trajectory ±0 patients');
    for (const [width, height] of SIZES) {
      await page.setViewportSize({ width, height });
      await settle(page);
      const cut = await clipped(page);
      assert.deepEqual(cut, [], `at ${width}x${height} with a trajectory line and the strip, text is cut:\n${cut.join('\n')}`);
      const h = (await strip()).height;
      assert.ok(h <= height * 0.12, `at ${width}x${height} the strip is ${h} px high`);
    }
    await page.setViewportSize({ width: 1920, height: 1080 });
    await settle(page);
    // let the glow of the last change fade (wall.css: 1.5 s) before the picture
    await page.waitForFunction(() => !document.querySelector('.value.changed, .tile.flash-red'), null, { timeout: 10_000 });
    const file = await shot(page, 'wall-meeting-1920x1080');
    t.diagnostic(`${shown} of 14 actions shown; screenshot ${file}`);
  });

  step('at midnight in London the strip and the trajectories move to the new day by themselves', { timeout: 60_000 }, async () => {
    await hub("DELETE FROM commcell.action WHERE title LIKE 'Action %'");
    const id = await addAction('Check the escalation plan', 0);
    // A second wall whose clock Playwright drives. Once it is live, the server's messages are
    // held back: a heartbeat would set the clock right (board.js follows the server's clock),
    // and the change must come from the page's own tick, not from a message.
    const context = await session.browser.newContext({ viewport: { width: 1920, height: 1080 } });
    try {
      let hold = false;
      await context.routeWebSocket(/\/ws$/, (ws) => {
        const server = ws.connectToServer();
        server.onMessage((m) => { if (!hold) ws.send(m); });
        ws.onMessage((m) => server.send(m));
      });
      const wall = await context.newPage();
      await wall.clock.install({ time: Date.now() });
      await wall.goto(`${env.url}/`);
      // the board lays itself out in animation frames, which the page's clock drives now
      const ready = () => wall.evaluate(({ sel, i }) => !!document.querySelector(`#actions .as-item[data-action="${i}"]`) &&
        !!document.querySelector(sel)?.querySelector('.t-traj:not([hidden])'), { sel: ED_TILE, i: id });
      for (let waited = 0; !(await ready()); waited += 100) {
        assert.ok(waited < 15_000, 'the second wall did not show the action and the ED tile\'s trajectory');
        await wall.clock.runFor(100);
        await new Promise((r) => setTimeout(r, 100));
      }
      const read = () => wall.evaluate(({ sel, i }) => ({
        today: window.commcell.today,
        action: document.querySelector(`#actions .as-item[data-action="${i}"]`)?.textContent,
        ed: document.querySelector(sel).querySelector('.t-traj').textContent,
      }), { sel: ED_TILE, i: id });
      const before = await read();
      assert.equal(before.action, 'Due today · Check the escalation plan · Dr Patel');
      assert.equal(before.ed, 'on trajectory +1.6 pts', 'value 71.6 against 70.0 expected today');
      hold = true;
      // one second past the next midnight in London
      const day = (ms) => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(ms);
      let next = Date.now();
      while (day(next) === before.today) next += 60_000;
      next -= next % 60_000;
      await wall.clock.setSystemTime(next + 1000);
      await wall.clock.runFor(1100);
      const after = await read();
      assert.notEqual(after.today, before.today, 'the board\'s day did not change at midnight');
      assert.equal(after.action, 'Overdue 1 day · Check the escalation plan · Dr Patel');
      // the trajectory climbs 20 points over 60 days: a third of a point a day
      assert.equal(after.ed, 'on trajectory +1.3 pts', 'value 71.6 against 70.3 expected tomorrow');
    } finally {
      await context.close();
    }
  });
});
