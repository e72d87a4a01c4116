// The manager view's Goals tab: the goals the partners agreed, each judged against its trajectory
// as the board stands now, and the form that sets, revises or removes one. The server checks
// every goal (dates in order, numbers, a known metric) and says what is wrong in words; the form
// keeps what was typed until a save succeeds.
//
// Also what the history chart needs of goals: the goal of a series, and its trajectory and the
// daily figures on the chart's days.

import { boardState, subscribe, partnerLabel, formatNumber } from './board.js';
import { expectedOn, judge, localDay } from './trajectory.js';
import { $, api, el, say, show, when, parseField, fillSelect, seriesOptions, seriesKey, splitSeries, addDays, londonMidnight, dayWords } from './manager_util.js';

const goals = { list: [], editing: null, listeners: new Set(), seen: null };

export function goalFor(partner, metric, site) {
  return goals.list.find((g) => g.partner === partner && g.metric === metric && (g.site || '') === (site || '')) || null;
}

// fn() after the list of goals changed (a save here, or anyone's change pushed by the server).
export function onGoalsChanged(fn) {
  goals.listeners.add(fn);
}

export async function loadGoals() {
  const d = await api('GET', '/api/goals');
  goals.list = Array.isArray(d.goals) ? d.goals : [];
  renderGoals();
  for (const fn of goals.listeners) fn();
}

// ---------------------------------------------------------------------------------------------
// The list

function unitText(g, v) {
  if (v === null || v === undefined) return '—';
  return `${formatNumber(v, g.decimals)}${g.unit === '%' ? ' %' : g.unit ? ` ${g.unit}` : ''}`;
}

function measureWords(g) {
  return `${g.metric_label || g.metric} — ${g.partner_label || partnerLabel(g.partner)}${g.site ? `, ${g.site_label || `site ${g.site}`}` : ''}`;
}

function entryOf(g) {
  const view = boardState();
  return view ? view.entries.find((e) => e.partner === g.partner && e.key === g.metric && e.site === (g.site || '')) : null;
}

function nowCell(g) {
  const e = entryOf(g);
  const j = judge(g, e, localDay(Date.now()));
  const value = e && typeof e.value === 'number' ? `${unitText(g, e.value)}: ` : '';
  return { text: `${j.symbol} ${value}${j.words}`, state: j.state };
}

function goalRow(g) {
  const edit = el('button', { type: 'button', class: 'small secondary', 'aria-label': `Edit the goal for ${measureWords(g)}` }, 'Edit');
  edit.addEventListener('click', () => editGoal(g));
  const today = localDay(Date.now());
  const now = nowCell(g);
  const milestones = (g.milestones || []).map((m) => `${dayWords(m.on)}: ${unitText(g, m.value)}`);
  return el('tr', { 'data-goal': g.id, 'data-series': seriesKey(g.partner, g.metric, g.site) },
    el('td', {}, measureWords(g)),
    el('td', {}, `${unitText(g, g.baseline)} → ${unitText(g, g.target)}`,
      el('div', { class: 'muted' }, g.higher_is_better === false ? 'lower is better' : 'higher is better')),
    el('td', {}, `${dayWords(g.starts_on)} to ${dayWords(g.ends_on)}`),
    el('td', {}, ...(milestones.length ? milestones.map((m) => el('div', {}, m)) : [el('span', { class: 'muted' }, 'none')])),
    el('td', {}, g.agreed_by || el('span', { class: 'muted' }, 'not recorded'),
      g.note ? el('div', { class: 'muted' }, g.note) : null),
    el('td', { class: 'goal-expected' }, unitText(g, expectedOn(g, today))),
    el('td', { class: 'goal-now', 'data-state': now.state }, now.text),
    el('td', { class: 'muted' }, `${g.updated_by || g.created_by || ''}, ${when(g.updated_at || g.created_at)}`),
    el('td', {}, edit));
}

function renderGoals() {
  const body = $('goal-table').tBodies[0];
  body.replaceChildren(...(goals.list.length ? goals.list.map(goalRow)
    : [el('tr', {}, el('td', { colspan: 9, class: 'muted' }, 'No goals agreed yet: set one with the form below.'))]));
}

// The live value moves every few seconds: only the "now" cells follow it, so that a row's
// buttons stay where they are under the pointer.
function refreshNow() {
  if ($('tab-goals').hidden) return;
  for (const g of goals.list) {
    const cell = $('goal-table').querySelector(`tr[data-goal="${CSS.escape(String(g.id))}"] .goal-now`);
    if (!cell) continue;
    const now = nowCell(g);
    if (cell.textContent !== now.text) cell.textContent = now.text;
    if (cell.dataset.state !== now.state) cell.dataset.state = now.state;
  }
}

// ---------------------------------------------------------------------------------------------
// The form

function refreshSeriesPicker(extra) {
  const opts = seriesOptions(boardState(), partnerLabel);
  if (extra && !opts.some((o) => o[0] === extra[0])) opts.push(extra);
  fillSelect($('goal-series'), [['', 'Choose a measure…'], ...opts]);
}

function milestoneRow(m = {}) {
  const on = el('input', { type: 'date', 'data-field': 'on', value: m.on || '' });
  const value = el('input', { 'data-field': 'value', inputmode: 'decimal', size: 8, value: m.value ?? '' });
  const remove = el('button', { type: 'button', class: 'small secondary' }, 'Remove');
  const row = el('div', { class: 'inline-form milestone-row' }, el('label', {}, 'On', on), el('label', {}, 'Value', value), remove);
  remove.addEventListener('click', () => { row.remove(); numberMilestones(); });
  return row;
}

// Each row's remove button says which milestone it removes, for a screen reader.
function numberMilestones() {
  [...$('goal-milestones').querySelectorAll('.milestone-row')].forEach((r, i) => {
    r.querySelector('button').setAttribute('aria-label', `Remove milestone ${i + 1}`);
  });
}

function editGoal(g) {
  const form = $('goal-form');
  goals.editing = g ? g.id : null;
  say($('goal-error'), '');
  say($('goal-ok'), '');
  for (const n of form.querySelectorAll('[aria-invalid]')) n.removeAttribute('aria-invalid');
  const key = g ? seriesKey(g.partner, g.metric, g.site) : '';
  refreshSeriesPicker(g ? [key, measureWords(g)] : null);
  $('goal-series').value = key;
  $('goal-baseline').value = g ? String(g.baseline) : '';
  $('goal-target').value = g ? String(g.target) : '';
  $('goal-starts').value = g ? g.starts_on : '';
  $('goal-ends').value = g ? g.ends_on : '';
  $('goal-agreed').value = g ? g.agreed_by || '' : '';
  $('goal-note').value = g ? g.note || '' : '';
  $('goal-milestones').replaceChildren(...(g ? (g.milestones || []).map(milestoneRow) : []));
  numberMilestones();
  $('goal-form-title').textContent = g ? `Revise the goal for ${measureWords(g)}` : 'New goal';
  $('goal-save').textContent = g ? 'Save changes' : 'Save goal';
  show($('goal-delete'), !!g);
  if (g) $('goal-baseline').focus();
}

// The form as the API takes it; what is not a number stays text for the server to name.
function goalBody() {
  const series = $('goal-series').value;
  const { partner, metric, site } = series ? splitSeries(series) : { partner: '', metric: '', site: '' };
  const text = (id) => $(id).value.trim();
  return {
    partner, metric, site,
    baseline: parseField($('goal-baseline').value),
    target: parseField($('goal-target').value),
    starts_on: text('goal-starts') || null,
    ends_on: text('goal-ends') || null,
    milestones: [...$('goal-milestones').querySelectorAll('.milestone-row')].map((r) => ({
      on: r.querySelector('[data-field="on"]').value || null,
      value: parseField(r.querySelector('[data-field="value"]').value),
    })),
    agreed_by: text('goal-agreed'),
    note: text('goal-note'),
  };
}

const FIELD_INPUT = { baseline: 'goal-baseline', target: 'goal-target', starts_on: 'goal-starts', ends_on: 'goal-ends',
  metric: 'goal-series', partner: 'goal-series', site: 'goal-series', agreed_by: 'goal-agreed', note: 'goal-note' };

async function saveGoal(ev) {
  ev.preventDefault();
  const form = $('goal-form');
  say($('goal-error'), '');
  say($('goal-ok'), '');
  for (const n of form.querySelectorAll('[aria-invalid]')) n.removeAttribute('aria-invalid');
  const body = goalBody();
  const button = $('goal-save');
  button.disabled = true;
  try {
    const g = goals.editing === null ? await api('POST', '/api/goals', body)
      : await api('POST', `/api/goals/${encodeURIComponent(goals.editing)}`, body);
    await loadGoals();
    editGoal(g);
    say($('goal-ok'), `Saved: ${measureWords(g)}, ${unitText(g, g.baseline)} → ${unitText(g, g.target)} by ${dayWords(g.ends_on)}. Every display follows now.`);
  } catch (err) {
    say($('goal-error'), err.message);
    const field = err.body && err.body.field;
    if (field && FIELD_INPUT[field]) $(FIELD_INPUT[field]).setAttribute('aria-invalid', 'true');
  } finally {
    button.disabled = false;
  }
}

async function deleteGoal() {
  const g = goals.list.find((x) => x.id === goals.editing);
  if (!g || !confirm(`Delete the goal for ${measureWords(g)}? Its trajectory leaves every display.`)) return;
  say($('goal-error'), '');
  try {
    await api('DELETE', `/api/goals/${encodeURIComponent(g.id)}`);
    editGoal(null);
    say($('goal-ok'), `Deleted the goal for ${measureWords(g)}.`);
    await loadGoals();
  } catch (err) {
    say($('goal-error'), err.message);
  }
}

export function setupGoals() {
  $('goal-form').addEventListener('submit', saveGoal);
  $('goal-new').addEventListener('click', () => { editGoal(null); $('goal-series').focus(); });
  $('goal-delete').addEventListener('click', deleteGoal);
  $('goal-add-milestone').addEventListener('click', () => {
    const row = milestoneRow();
    $('goal-milestones').append(row);
    numberMilestones();
    row.querySelector('input').focus();
  });
  // The server pushes the whole list when anyone changes a goal; it is read again from the API,
  // which has every field the page shows.
  subscribe((view) => {
    const list = view && Array.isArray(view.goals) ? JSON.stringify(view.goals) : null;
    if (list !== null && goals.seen !== null && list !== goals.seen) loadGoals().catch((err) => console.error(err));
    goals.seen = list;
    refreshNow();
  });
}

export function openGoalsTab() {
  refreshSeriesPicker(null);
  return loadGoals();
}

// ---------------------------------------------------------------------------------------------
// On the history chart: one point per local day, at its midday, for the days the chart shows
// and one either side so that the lines run to its edges.

export function chartDays(fromMs, toMs) {
  const days = [];
  const last = addDays(localDay(toMs), 1);
  for (let d = addDays(localDay(fromMs), -1); d <= last; d = addDays(d, 1)) days.push(d);
  return days;
}

export const middayOf = (day) => (londonMidnight(day) + 12 * 3600000) / 1000;

// {xs (s), trajectory, daily, note} for the chart, or null when the series has no goal. The daily
// figures come from GET /api/daily; when they cannot be had the trajectory is still drawn.
export async function goalSeries(partner, metric, site, fromMs, toMs) {
  const g = goalFor(partner, metric, site);
  if (!g) return null;
  const days = chartDays(fromMs, toMs);
  const byDay = new Map();
  let problem = null;
  try {
    const q = new URLSearchParams({ partner, metric, site, from: days[0], to: days[days.length - 1] });
    const d = await api('GET', `/api/daily?${q}`);
    for (const x of d.days || []) if (typeof x.value === 'number') byDay.set(x.day, x);
  } catch (err) {
    problem = `daily figures unavailable: ${err.message}`;
  }
  return {
    goal: g,
    xs: days.map(middayOf),
    trajectory: days.map((d) => expectedOn(g, d)),
    daily: days.map((d) => (byDay.has(d) ? byDay.get(d).value : null)),
    dailyCount: days.filter((d) => byDay.has(d)).length,
    words: goalWords(g),
    problem,
  };
}

const DAILY_WORDS = { last: 'the value at the end of each day', mean: 'the average over each day',
  max: 'the highest value of each day', min: 'the lowest value of each day' };

function goalWords(g) {
  const today = localDay(Date.now());
  const steps = (g.milestones || []).map((m) => `${unitText(g, m.value)} by ${dayWords(m.on)}`);
  return `Goal${g.agreed_by ? ` agreed by ${g.agreed_by}` : ''}: from ${unitText(g, g.baseline)} on ${dayWords(g.starts_on)}` +
    `${steps.length ? `, ${steps.join(', ')}` : ''} to ${unitText(g, g.target)} by ${dayWords(g.ends_on)}; ` +
    `the trajectory (dashed line) expects ${unitText(g, expectedOn(g, today))} today. ` +
    `Daily figures (dots): ${DAILY_WORDS[g.daily] || 'one per day'}.`;
}
