// Unit tests of web/trajectory.js (the goal's expected value on a day, and the judgement of a
// live value against it) and of the pure part of web/actions_strip.js (which actions are due,
// in what order, in what words). No browser: node imports the page's modules as they are.
//   node --test tests/browser/trajectory.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectedOn, judge, localDay, dayNumber, daysBetween } from '../../web/trajectory.js';
import { dueActions, dueWords } from '../../web/actions_strip.js';

// 4-hour performance from 70 % on 1 Jan to 78 % on 31 Mar, through 74 % on 1 Feb.
const ED_GOAL = {
  partner: 'acute', metric: 'ed.four_hour_performance', site: '',
  baseline: 70, target: 78, starts_on: '2026-01-01', ends_on: '2026-03-31',
  milestones: [{ on: '2026-02-01', value: 74 }], unit: '%', decimals: 1, higher_is_better: true,
};

// Patients waiting over 12 hours: from 40 down to 10, no milestones; lower is better.
const WAITS_GOAL = {
  partner: 'acute', metric: 'ed.twelve_hour_waits', site: 'RXX01',
  baseline: 40, target: 10, starts_on: '2026-01-01', ends_on: '2026-01-31',
  milestones: [], unit: 'patients', decimals: 0, higher_is_better: false,
};

const near = (a, b, msg) => assert.ok(Math.abs(a - b) < 1e-9, `${msg}: ${a} is not ${b}`);

test('expectedOn: baseline before the start, target after the end', () => {
  assert.equal(expectedOn(ED_GOAL, '2025-12-01'), 70);
  assert.equal(expectedOn(ED_GOAL, '2026-01-01'), 70);
  assert.equal(expectedOn(ED_GOAL, '2026-03-31'), 78);
  assert.equal(expectedOn(ED_GOAL, '2027-06-01'), 78);
});

test('expectedOn: on the straight line through each milestone', () => {
  assert.equal(expectedOn(ED_GOAL, '2026-02-01'), 74, 'on the milestone itself');
  // 15 of January's 31 days from 70 towards 74
  near(expectedOn(ED_GOAL, '2026-01-16'), 70 + 4 * 15 / 31, '16 Jan');
  // after the milestone the line bends: 1 Feb 74 to 31 Mar 78 over 58 days
  near(expectedOn(ED_GOAL, '2026-03-02'), 74 + 4 * 29 / 58, '2 Mar');
  // two milestones, given out of order, are still taken in date order
  const g = { ...ED_GOAL, milestones: [{ on: '2026-03-01', value: 77 }, { on: '2026-02-01', value: 71 }] };
  near(expectedOn(g, '2026-02-15'), 71 + 6 * 14 / 28, '15 Feb between two milestones');
  // days, not hours: the clocks going forward on 29 March changes nothing
  near(expectedOn({ ...ED_GOAL, milestones: [] }, '2026-03-30'), 70 + 8 * 88 / 89, 'across the DST change');
});

test('expectedOn: null for what cannot be read', () => {
  assert.equal(expectedOn(null, '2026-01-10'), null);
  assert.equal(expectedOn(ED_GOAL, 'yesterday'), null);
  assert.equal(expectedOn(ED_GOAL, '2026-02-30'), null, 'not a date');
  assert.equal(expectedOn({ ...ED_GOAL, ends_on: '2025-12-01' }, '2026-01-10'), null, 'reversed dates');
});

test('judge, higher is better: on with the gap in points, off with the gap and what was expected', () => {
  const on = judge(ED_GOAL, { value: 75.2, status: 'red' }, '2026-02-01');
  assert.equal(on.state, 'on');
  near(on.gap, 1.2, 'gap');
  assert.equal(on.expected, 74);
  assert.equal(on.words, 'on trajectory +1.2 pts');
  assert.equal(on.symbol, '▲');

  const exactly = judge(ED_GOAL, { value: 74, status: 'amber' }, '2026-02-01');
  assert.equal(exactly.state, 'on', 'a value exactly on the line is on it');
  assert.equal(exactly.words, 'on trajectory ±0.0 pts');
  assert.equal(judge(ED_GOAL, { value: 74.01, status: 'green' }, '2026-02-01').words, 'on trajectory ±0.0 pts');

  const off = judge(ED_GOAL, { value: 70.6, status: 'green' }, '2026-02-01');
  assert.equal(off.state, 'off');
  near(off.gap, -3.4, 'gap');
  assert.equal(off.words, '3.4 pts off trajectory (expected 74.0 %)');
  assert.equal(off.symbol, '▼');

  const hair = judge(ED_GOAL, { value: 73.99, status: 'green' }, '2026-02-01');
  assert.equal(hair.state, 'off', 'a hair below the line is off it');
  assert.equal(hair.words, 'just off trajectory (expected 74.0 %)');
});

test('judge, lower is better: below the line is on it', () => {
  // 16 Jan: 40 - 30 * 15/30 = 25 expected
  const on = judge(WAITS_GOAL, { value: 21, status: 'red' }, '2026-01-16');
  assert.equal(on.state, 'on');
  assert.equal(on.words, 'on trajectory −4 patients');
  assert.equal(judge(WAITS_GOAL, { value: 25, status: 'red' }, '2026-01-16').words, 'on trajectory ±0 patients');
  const off = judge(WAITS_GOAL, { value: 31, status: 'green' }, '2026-01-16');
  assert.equal(off.state, 'off');
  near(off.gap, 6, 'gap');
  assert.equal(off.words, '6 patients off trajectory (expected 25 patients)');
});

test('judge: a stale, failing or missing value is never on the trajectory', () => {
  for (const entry of [
    { value: 99, status: 'stale' },
    { value: 99, status: 'error' },
    { value: 99, status: 'mystery' },
    { value: null, status: 'green' },
    null,
  ]) {
    const j = judge(ED_GOAL, entry, '2026-02-01');
    assert.equal(j.state, 'none', JSON.stringify(entry));
    assert.equal(j.gap, null);
    assert.equal(j.words, 'no current figure against trajectory');
  }
});

test('localDay is the day in London, not UTC', () => {
  // 23:30 UTC on 30 June is 00:30 on 1 July in London (BST); in January they agree
  assert.equal(localDay(Date.UTC(2026, 5, 30, 23, 30)), '2026-07-01');
  assert.equal(localDay(Date.UTC(2026, 0, 15, 23, 30)), '2026-01-15');
  assert.equal(daysBetween('2026-03-28', '2026-03-30'), 2);
  assert.ok(Number.isNaN(dayNumber('2026-13-01')));
});

test('dueActions: overdue and due today, still to do, most overdue first', () => {
  const a = (id, due_on, status = 'open') => ({ id, title: `a${id}`, owner: 'p', owner_name: 'P', due_on, status });
  // ids in another order than the due dates, so that the order shown comes from the dates
  const list = [a(1, '2026-02-02'), a(2, '2026-02-03'), a(3, '2026-02-01'), a(4, '2026-01-30', 'in_progress'),
    a(5, '2026-01-20', 'done'), a(6, '2026-01-25', 'dropped')];
  const due = dueActions(list, '2026-02-02');
  assert.deepEqual(due.map((d) => [d.action.id, d.overdue]), [[4, 3], [3, 1], [1, 0]]);
  assert.equal(dueWords(3), 'Overdue 3 days');
  assert.equal(dueWords(1), 'Overdue 1 day');
  assert.equal(dueWords(0), 'Due today');
  assert.deepEqual(dueActions(list, '2026-01-01'), [], 'nothing due yet');
});
