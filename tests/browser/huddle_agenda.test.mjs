// Unit tests of web/huddle_agenda.js: what each screen of the huddle shows (which stages, which
// alerts, which actions and how due, a stage at a glance). No browser: node imports the page's
// module as it is.
//   node --test tests/browser/huddle_agenda.test.mjs

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  OVERVIEW, stepsOf, goalFor, alertsOnStep, actionOnStep, dueOf, actionsDue, dueCounts, stageSummary,
} from '../../web/huddle_agenda.js';

const STAGES = [
  { key: 'beds', label: 'Beds and flow', position: 50 },
  { key: 'ed', label: 'Emergency department', position: 30 },
  { key: 'mental_health', label: 'Mental health', position: 80 },   // no measure on the board
  { key: '111', label: '111 / OOH', position: 10 },
];
const ENTRIES = [
  { partner: 'acute', key: 'ed.four_hour_performance', site: '', stage: 'ed', status: 'red', value: 74.5, unit: '%', decimals: 1 },
  { partner: 'acute', key: 'ed.four_hour_performance', site: 'NGH', stage: 'ed', status: 'amber', value: 80, unit: '%', decimals: 1 },
  { partner: 'acute', key: 'ed.in_department', site: '', stage: 'ed', status: 'stale', value: 40, unit: 'patients', decimals: 0 },
  { partner: 'acute', key: 'beds.ga_occupancy', site: '', stage: 'beds', status: 'red', value: 98.7, unit: '%', decimals: 1,
    higher_is_better: false },
  { partner: '111', key: '111.abandoned_pct', site: '', stage: '111', status: 'green', value: 2, unit: '%', decimals: 1 },
];
const GOALS = [
  // 72 % on 1 Nov to 78 % on 31 Mar: about 73.2 % on 1 Dec, so 74.5 % is on trajectory
  { partner: 'acute', metric: 'ed.four_hour_performance', site: '', baseline: 72, target: 78,
    starts_on: '2026-11-01', ends_on: '2027-03-31', milestones: [], unit: '%', decimals: 1, higher_is_better: true },
  // occupancy 95.5 % down to 92 %: 98.7 % is off
  { partner: 'acute', metric: 'beds.ga_occupancy', site: '', baseline: 95.5, target: 92,
    starts_on: '2026-11-01', ends_on: '2027-01-31', milestones: [], unit: '%', decimals: 1, higher_is_better: false },
  // a stale value is never on trajectory
  { partner: 'acute', metric: 'ed.in_department', site: '', baseline: 40, target: 30,
    starts_on: '2026-11-01', ends_on: '2027-01-31', milestones: [], unit: 'patients', decimals: 0, higher_is_better: false },
];
const TODAY = '2026-12-01';

function action(id, fields) {
  return { id, title: `action ${id}`, status: 'open', partner: null, metric: null, site: '', due_on: TODAY, ...fields };
}

test('stepsOf: the whole system, then the stages with measures in pathway order', () => {
  assert.deepEqual(stepsOf(STAGES, ENTRIES).map((s) => s.key), [OVERVIEW, '111', 'ed', 'beds']);
  assert.equal(stepsOf(STAGES, ENTRIES)[0].label, 'The whole system');
  assert.equal(stepsOf(STAGES, ENTRIES)[2].label, 'Emergency department');
  assert.deepEqual(stepsOf(null, null).map((s) => s.key), [OVERVIEW], 'before the board arrives');
});

test('goalFor matches partner, metric and site', () => {
  assert.equal(goalFor(GOALS, ENTRIES[0]), GOALS[0]);
  assert.equal(goalFor(GOALS, ENTRIES[1]), null, 'a goal for the whole trust is not a site\'s');
  assert.equal(goalFor(undefined, ENTRIES[0]), null);
});

test('alertsOnStep: an alert on its measure\'s stage, a level alert on the whole system', () => {
  const alerts = [{ id: 1, stage: 'ed' }, { id: 2, stage: 'beds' }, { id: 3, stage: null }, { id: 4, stage: '' }];
  assert.deepEqual(alertsOnStep(alerts, 'ed').map((a) => a.id), [1]);
  assert.deepEqual(alertsOnStep(alerts, OVERVIEW).map((a) => a.id), [3, 4]);
  assert.deepEqual(alertsOnStep(undefined, 'ed'), []);
});

test('actionOnStep: by its measure\'s stage, by its partner\'s stages, or the whole system', () => {
  const aboutEd = action(1, { partner: 'acute', metric: 'ed.four_hour_performance' });
  const aboutAcute = action(2, { partner: 'acute' });
  const system = action(3, {});
  const unknownMetric = action(4, { partner: 'acute', metric: 'not.on.the.board' });
  assert.ok(actionOnStep(aboutEd, 'ed', ENTRIES));
  assert.ok(!actionOnStep(aboutEd, 'beds', ENTRIES));
  assert.ok(!actionOnStep(aboutEd, OVERVIEW, ENTRIES));
  assert.ok(actionOnStep(aboutAcute, 'ed', ENTRIES) && actionOnStep(aboutAcute, 'beds', ENTRIES));
  assert.ok(!actionOnStep(aboutAcute, '111', ENTRIES));
  assert.ok(actionOnStep(system, OVERVIEW, ENTRIES) && !actionOnStep(system, 'ed', ENTRIES));
  assert.ok(!actionOnStep(unknownMetric, 'ed', ENTRIES));
});

test('dueOf: overdue, today, tomorrow, within a week, later', () => {
  assert.deepEqual(dueOf({ due_on: '2026-11-28' }, TODAY), { bucket: 'overdue', text: 'OVERDUE 3 days' });
  assert.deepEqual(dueOf({ due_on: '2026-11-30' }, TODAY), { bucket: 'overdue', text: 'OVERDUE 1 day' });
  assert.deepEqual(dueOf({ due_on: TODAY }, TODAY), { bucket: 'today', text: 'DUE TODAY' });
  assert.deepEqual(dueOf({ due_on: '2026-12-02' }, TODAY), { bucket: 'soon', text: 'due tomorrow' });
  assert.deepEqual(dueOf({ due_on: '2026-12-08' }, TODAY), { bucket: 'soon', text: 'due in 7 days' });
  assert.equal(dueOf({ due_on: '2026-12-09' }, TODAY).bucket, 'later');
  // across the end of March (clocks go forward): whole days still
  assert.equal(dueOf({ due_on: '2027-03-29' }, '2027-03-27').text, 'due in 2 days');
});

test('actionsDue: open and in progress only, due within a week, soonest first', () => {
  const list = [
    action(1, { partner: 'acute', metric: 'ed.four_hour_performance', due_on: '2026-12-05' }),
    action(2, { partner: 'acute', metric: 'ed.four_hour_performance', due_on: '2026-11-29', status: 'in_progress' }),
    action(3, { partner: 'acute', metric: 'ed.four_hour_performance', due_on: '2026-11-20', status: 'done' }),
    action(4, { partner: 'acute', metric: 'ed.four_hour_performance', due_on: '2026-11-20', status: 'dropped' }),
    action(5, { partner: 'acute', metric: 'ed.four_hour_performance', due_on: '2027-01-20' }),
    action(6, { partner: 'acute', metric: 'beds.ga_occupancy', due_on: TODAY }),
    action(7, { partner: 'acute', due_on: TODAY }),
  ];
  const ed = actionsDue(list, 'ed', ENTRIES, TODAY);
  assert.deepEqual(ed.map((x) => x.action.id), [2, 7, 1]);
  assert.deepEqual(ed.map((x) => x.due.bucket), ['overdue', 'today', 'soon']);
  assert.deepEqual(actionsDue(list, 'beds', ENTRIES, TODAY).map((x) => x.action.id), [6, 7]);
  assert.deepEqual(dueCounts(list, TODAY), { overdue: 1, dueToday: 2 });
});

test('stageSummary: statuses, the worst, goals on and off (a stale value neither)', () => {
  const ed = stageSummary(ENTRIES, GOALS, 'ed', TODAY);
  assert.equal(ed.measures, 3);
  assert.deepEqual(ed.counts, { red: 1, amber: 1, green: 0, stale: 1, error: 0 });
  assert.equal(ed.worst, 'red');
  assert.equal(ed.on, 1, '74.5 % against about 73.2 % expected');
  assert.equal(ed.off, 0, 'the stale measure is not judged');
  const beds = stageSummary(ENTRIES, GOALS, 'beds', TODAY);
  assert.deepEqual([beds.on, beds.off], [0, 1]);
  const calls = stageSummary(ENTRIES, GOALS, '111', TODAY);
  assert.deepEqual([calls.worst, calls.on, calls.off], ['green', 0, 0]);
});
