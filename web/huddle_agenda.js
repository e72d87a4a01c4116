// commcell huddle agenda: what the huddle page puts on each of its screens, as pure functions
// over the board's state (entries, stages, goals), the open actions and the huddle's brief. No
// DOM: the huddle page and node's test runner import this file as it is.
//
// The screens are the whole system first, then the pathway's stages in order. An alert belongs
// to the stage of its measure (a level alert to the whole system); an action to the stage of the
// measure it is about, to every stage of its partner when it names no measure, and to the whole
// system when it names no partner.

import { judge, daysBetween } from './trajectory.js';

export const OVERVIEW = '*';
export const DUE_AHEAD_DAYS = 7;

const entryList = (entries) => (Array.isArray(entries) ? entries : []);

// [{key, label}]: the whole system, then the stages that have measures on the board, in order.
export function stepsOf(stages, entries) {
  const used = new Set(entryList(entries).map((e) => e.stage));
  const list = (Array.isArray(stages) ? stages : [])
    .filter((s) => s && used.has(s.key))
    .sort((a, b) => (a.position - b.position) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return [{ key: OVERVIEW, label: 'The whole system' }, ...list.map((s) => ({ key: s.key, label: s.label || s.key }))];
}

export function goalFor(goals, e) {
  return (Array.isArray(goals) ? goals : [])
    .find((g) => g.partner === e.partner && g.metric === e.key && (g.site || '') === e.site) || null;
}

export function alertsOnStep(alerts, stepKey) {
  return (Array.isArray(alerts) ? alerts : [])
    .filter((a) => a && (stepKey === OVERVIEW ? !a.stage : a.stage === stepKey));
}

export function actionOnStep(a, stepKey, entries) {
  if (!a.partner) return stepKey === OVERVIEW;
  if (stepKey === OVERVIEW) return false;
  const list = entryList(entries);
  if (a.metric) return list.some((e) => e.partner === a.partner && e.key === a.metric && e.stage === stepKey);
  return list.some((e) => e.partner === a.partner && e.stage === stepKey);
}

function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

// When an action is due, from today (YYYY-MM-DD): {bucket: overdue | today | soon | later, text}.
export function dueOf(a, today) {
  const d = daysBetween(today, a.due_on);
  if (!Number.isFinite(d)) return { bucket: 'later', text: `due ${a.due_on}` };
  if (d < 0) return { bucket: 'overdue', text: `OVERDUE ${plural(-d, 'day', 'days')}` };
  if (d === 0) return { bucket: 'today', text: 'DUE TODAY' };
  if (d === 1) return { bucket: 'soon', text: 'due tomorrow' };
  if (d <= DUE_AHEAD_DAYS) return { bucket: 'soon', text: `due in ${d} days` };
  return { bucket: 'later', text: `due ${a.due_on}` };
}

// The open and in-progress actions a screen shows: due by a week from today, soonest first.
export function actionsDue(actions, stepKey, entries, today) {
  return (Array.isArray(actions) ? actions : [])
    .filter((a) => a && (a.status === 'open' || a.status === 'in_progress') && actionOnStep(a, stepKey, entries))
    .map((a) => ({ action: a, due: dueOf(a, today) }))
    .filter((x) => x.due.bucket !== 'later')
    .sort((x, y) => (x.action.due_on < y.action.due_on ? -1 : x.action.due_on > y.action.due_on ? 1
      : x.action.id - y.action.id));
}

// How many open actions are overdue and due today, anywhere.
export function dueCounts(actions, today) {
  let overdue = 0, dueToday = 0;
  for (const a of Array.isArray(actions) ? actions : []) {
    if (!a || (a.status !== 'open' && a.status !== 'in_progress')) continue;
    const d = daysBetween(today, a.due_on);
    if (d < 0) overdue++; else if (d === 0) dueToday++;
  }
  return { overdue, dueToday };
}

const WORST_FIRST = ['red', 'amber', 'error', 'stale', 'green'];

// One stage at a glance: how many measures at each status, the worst of them, and how many of
// those with a goal are on and off their trajectory today.
export function stageSummary(entries, goals, stageKey, today) {
  const list = entryList(entries).filter((e) => e.stage === stageKey);
  const counts = { red: 0, amber: 0, green: 0, stale: 0, error: 0 };
  let on = 0, off = 0;
  for (const e of list) {
    if (e.status in counts) counts[e.status]++;
    const g = goalFor(goals, e);
    if (!g) continue;
    const j = judge(g, e, today);
    if (j.state === 'on') on++; else if (j.state === 'off') off++;
  }
  const worst = WORST_FIRST.find((s) => counts[s] > 0) || 'green';
  return { measures: list.length, counts, worst, on, off };
}
