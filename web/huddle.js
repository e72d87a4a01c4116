// commcell huddle: the page on the comm cell's meeting screen. A manager starts a huddle, the
// page walks the pathway stage by stage — each measure now and against its agreed trajectory,
// the alerts since the last huddle, the actions due — and records the actions agreed, with an
// owner and a date. Driven from the keyboard or a presenter remote (which sends PageUp and
// PageDown); nothing needs a mouse.
//
// The live values come from board.js (the same WebSocket as the wall display), drawn into a
// hidden board and read back through subscribe(); huddles, the brief and actions go through the
// JSON API (docs/huddle.md).

import { startBoard, subscribe, boardState, formatNumber, partnerLabel } from './board.js';
import { judge, localDay, ZONE } from './trajectory.js';
import { $, ROLE_RANK, me, api, say } from './manager_util.js';
import {
  OVERVIEW, DUE_AHEAD_DAYS, stepsOf, goalFor, alertsOnStep, actionsDue, dueCounts, stageSummary,
} from './huddle_agenda.js';

const DAY_MS = 86400000;
const BRIEF_MAX_AGE_MS = 15000;   // the brief is asked again on a stage change after this long

const meeting = {
  view: 'loading',
  huddle: null,          // the open huddle (HUDDLE) or null
  lastEnded: null,       // the last huddle that ended, for "since the last huddle"
  brief: null,           // GET /api/huddles/brief
  briefAt: 0,
  people: [],            // the rota's people: [{name, label}]
  actions: [],           // open and in-progress actions (ACTION)
  boardActions: '[]',    // the board's last list, as text: a change there replaces `actions`
  steps: [],             // [{key, label}]: the whole system first, then the stages in order
  index: 0,
  row: 0,                // the chosen measure on the stage
  rows: [],              // the entries shown on the stage, in order
  renderWanted: false,
  boardStarted: false,
  ending: false,         // an end request is on its way
};

// ---------------------------------------------------------------------------------------------
// Small helpers

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined && text !== null) e.textContent = text;
  return e;
}

const whenFmt = new Intl.DateTimeFormat('en-GB', {
  timeZone: ZONE, weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', hour12: false,
});
const hmFmt = new Intl.DateTimeFormat('en-GB', { timeZone: ZONE, hour: '2-digit', minute: '2-digit', hour12: false });
const dateFmt = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short', year: 'numeric' });

function when(iso) {
  const t = Date.parse(iso);
  return Number.isFinite(t) ? whenFmt.format(t) : '—';
}

// "14:02" today, "Wed 2 Dec, 14:02" another day
function shortWhen(iso) {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '—';
  return localDay(t) === today() ? hmFmt.format(t) : whenFmt.format(t);
}

function dateWords(day) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day || '');
  return m ? dateFmt.format(Date.UTC(+m[1], +m[2] - 1, +m[3])) : String(day || '');
}

function minutes(fromIso, toMs) {
  const t = Date.parse(fromIso);
  return Number.isFinite(t) ? Math.max(0, Math.round((toMs - t) / 60000)) : 0;
}

function plural(n, one, many) {
  return `${n} ${n === 1 ? one : many}`;
}

function today() {
  return localDay(Date.now());
}

function unitText(unit) {
  if (!unit) return '';
  return unit === '%' ? '%' : ` ${unit}`;
}

function announce(text) {
  const a = $('announce');
  // the same words twice in a row are still said: clear first, then set on the next frame
  a.textContent = '';
  requestAnimationFrame(() => { a.textContent = text; });
}

// ---------------------------------------------------------------------------------------------
// Views

function setView(view) {
  meeting.view = view;
  document.body.dataset.view = view;
  for (const id of ['signin', 'blocked', 'start', 'meeting', 'summary']) $(id).hidden = id !== view;
  $('hints').hidden = view !== 'meeting';
  $('huddle-clock').hidden = view !== 'meeting';
}

async function whoami() {
  try {
    const s = await api('GET', '/api/session');
    Object.assign(me, { user: s.user, role: s.role, kind: s.kind, csrf: s.csrf_token });
  } catch (err) {
    if (err.status !== 401) throw err;
    Object.assign(me, { user: '', role: 'none', kind: 'anonymous', csrf: null });
  }
}

async function signIn(ev) {
  ev.preventDefault();
  const button = $('signin-submit');
  button.disabled = true;
  say($('signin-error'), '');
  try {
    const s = await api('POST', '/api/session', { user: $('signin-user').value, password: $('signin-password').value });
    Object.assign(me, { user: s.user, role: s.role, kind: s.kind, csrf: s.csrf_token });
    $('signin-password').value = '';
    await enter();
  } catch (err) {
    say($('signin-error'), err.message);
    $('signin-password').select();
  } finally {
    button.disabled = false;
  }
}

async function signOut() {
  try { await api('DELETE', '/api/session'); } catch (err) { /* the cookie is gone either way */ }
  location.reload();
}

async function enter() {
  if (ROLE_RANK[me.role] < ROLE_RANK.manager) {
    const what = me.kind === 'device' ? `the wall display "${me.user}" (device token)` : `${me.user} (role ${me.role})`;
    $('blocked-text').textContent = `This browser is signed in as ${what}. Running a huddle needs a manager or admin.`;
    setView('blocked');
    return;
  }
  if (!meeting.boardStarted) {
    meeting.boardStarted = true;
    // short labels: the huddle's rows are read across a room, like the wall's tiles
    startBoard({ labels: 'short' });
    subscribe(onBoard);
  }
  await Promise.all([loadPeople(), loadActions()]);
  await loadHuddles();
}

// ---------------------------------------------------------------------------------------------
// Loading

async function loadPeople() {
  try {
    const r = await api('GET', '/api/rota');
    meeting.people = (Array.isArray(r.people) ? r.people : [])
      .filter((p) => p && typeof p.name === 'string')
      .map((p) => ({ name: p.name, label: p.label || p.name }))
      .sort((a, b) => a.label.localeCompare(b.label, 'en-GB'));
  } catch (err) {
    meeting.people = [];
  }
}

async function loadActions() {
  try {
    const r = await api('GET', '/api/actions?status=open,in_progress');
    meeting.actions = Array.isArray(r.actions) ? r.actions : [];
  } catch (err) {
    /* the board's list, when it comes, is used instead */
  }
}

async function loadBrief(force) {
  if (!force && meeting.brief && Date.now() - meeting.briefAt < BRIEF_MAX_AGE_MS) return;
  meeting.briefAt = Date.now();
  try {
    meeting.brief = await api('GET', '/api/huddles/brief');
  } catch (err) {
    meeting.brief = { error: err.message, alerts: [], levels: [] };
  }
  requestRender();
}

async function loadHuddles() {
  const r = await api('GET', '/api/huddles');
  const list = Array.isArray(r.huddles) ? r.huddles : [];
  meeting.lastEnded = list.find((h) => h && h.ended_at) || null;
  if (r.open) {
    // a huddle left open (a reload, another screen): carry on with it
    meeting.huddle = r.open;
    await openMeeting();
  } else {
    showStart();
  }
}

// ---------------------------------------------------------------------------------------------
// The start screen

function sinceWords() {
  const h = meeting.lastEnded;
  if (!h) return 'No huddle recorded yet: this one will show the last 24 hours.';
  const took = Math.max(1, Math.round((Date.parse(h.ended_at) - Date.parse(h.started_at)) / 60000));
  return `Since the last huddle: ${when(h.started_at)}, run by ${h.run_by} (${plural(took, 'minute', 'minutes')}).`;
}

// What waits for the meeting: actions late or due today, and how much happened since.
function startCounts() {
  const { overdue, dueToday } = dueCounts(meeting.actions, today());
  const parts = [`${plural(overdue, 'action', 'actions')} overdue`, `${dueToday} due today`];
  const b = meeting.brief;
  if (b && !b.error) {
    parts.push(`${plural((b.alerts || []).length, 'alert', 'alerts')} and ${plural((b.levels || []).length, 'level change', 'level changes')} since the last huddle`);
  }
  return parts.join(' · ');
}

function showStart() {
  meeting.huddle = null;
  say($('start-error'), '');
  $('since-line').textContent = sinceWords();
  $('start-counts').textContent = startCounts();
  setView('start');
  $('start-button').focus();
  loadBrief(true).then(() => {
    if (meeting.view === 'start') $('start-counts').textContent = startCounts();
  });
}

async function startHuddle() {
  const button = $('start-button');
  if (button.disabled) return;
  button.disabled = true;
  say($('start-error'), '');
  try {
    meeting.huddle = await api('POST', '/api/huddles', {});
    await openMeeting();
  } catch (err) {
    if (err.status === 409) {
      // someone else started one a moment ago: join it
      await loadHuddles().catch((e) => say($('start-error'), e.message));
    } else {
      say($('start-error'), err.message);
    }
  } finally {
    button.disabled = false;
  }
}

// ---------------------------------------------------------------------------------------------
// The meeting

async function openMeeting() {
  meeting.index = 0;
  meeting.row = 0;
  buildSteps();
  setView('meeting');
  showStep(0);
  await loadBrief(true);
}

function entriesOf(view) {
  return view && Array.isArray(view.entries) ? view.entries : [];
}

// The screens from the board's stages; the one on screen stays on screen when they change.
function buildSteps() {
  const view = boardState();
  const keyNow = meeting.steps[meeting.index] && meeting.steps[meeting.index].key;
  const steps = stepsOf(view && view.stages, entriesOf(view));
  const same = steps.length === meeting.steps.length && steps.every((s, i) => s.key === meeting.steps[i].key && s.label === meeting.steps[i].label);
  if (same) return false;
  meeting.steps = steps;
  const i = steps.findIndex((s) => s.key === keyNow);
  meeting.index = i >= 0 ? i : Math.min(meeting.index, steps.length - 1);
  return true;
}

function stepWords(i) {
  const s = meeting.steps[i];
  return i === 0 ? `${s.label}, 1 of ${meeting.steps.length}` : `Stage ${i} of ${meeting.steps.length - 1}: ${s.label}`;
}

function showStep(i) {
  const n = meeting.steps.length;
  const to = Math.max(0, Math.min(n - 1, i));
  const moved = to !== meeting.index;
  meeting.index = to;
  if (moved) meeting.row = 0;
  render();
  const title = $('stage-title');
  title.focus({ preventScroll: true });
  announce(stepWords(to));
  loadBrief(false);
}

function requestRender() {
  if (meeting.renderWanted) return;
  meeting.renderWanted = true;
  requestAnimationFrame(() => {
    meeting.renderWanted = false;
    if (meeting.view === 'meeting') render();
  });
}

function onBoard(view) {
  const text = JSON.stringify(view.actions || []);
  if (text !== meeting.boardActions) {
    meeting.boardActions = text;
    meeting.actions = view.actions;
  }
  if (meeting.view !== 'meeting') return;
  if (buildSteps()) announce(stepWords(meeting.index));
  requestRender();
}

function render() {
  const step = meeting.steps[meeting.index];
  if (!step) return;
  const title = $('stage-title');
  title.textContent = step.label;
  title.dataset.stage = step.key;
  renderDots();
  if (step.key === OVERVIEW) renderOverview(); else renderStage(step);
  renderSince(step);
  renderActions(step);
  renderHuddleClock();
  fitMetrics();
  fitList($('since-list'));
  fitList($('actions-list'));
}

// A stage with many measures: the table's text shrinks to a floor, then the box scrolls so the
// chosen measure is on screen, with a note of how many are out of sight.
const METRICS_FONT_STEPS = [1, 0.92, 0.85, 0.78, 0.72];

function fitMetrics() {
  const box = $('metrics-box');
  const table = $('metrics');
  let i = 0;
  table.style.fontSize = '';
  while (box.scrollHeight > box.clientHeight + 1 && i < METRICS_FONT_STEPS.length - 1) {
    i++;
    table.style.fontSize = `${METRICS_FONT_STEPS[i]}em`;
  }
  const more = $('metrics-more');
  if (box.scrollHeight <= box.clientHeight + 1) {
    box.scrollTop = 0;
    say(more, '');
    return;
  }
  const chosen = table.querySelector('tr.chosen');
  if (chosen) chosen.scrollIntoView({ block: 'nearest' });
  const top = box.getBoundingClientRect().top, bottom = box.getBoundingClientRect().bottom;
  let above = 0, below = 0;
  for (const tr of table.tBodies[0].rows) {
    const r = tr.getBoundingClientRect();
    if (r.bottom <= top + 2) above++;
    else if (r.top >= bottom - 2) below++;
    else if (r.bottom > bottom + 2) below++;
  }
  say(more, [above && `${above} more above`, below && `${below} more below`].filter(Boolean).join(' · ') + ' (↑ ↓)');
}

// A list longer than its box shows what fits and says how many more there are.
function fitList(ul) {
  const box = ul;
  const items = [...ul.children];
  if (box.scrollHeight <= box.clientHeight + 1 || items.length < 2) return;
  let hidden = 0;
  const note = el('li', 'line muted more', '');
  ul.appendChild(note);
  for (let i = items.length - 1; i > 0 && box.scrollHeight > box.clientHeight + 1; i--) {
    items[i].remove();
    hidden++;
    note.textContent = `+${hidden} more`;
  }
}

function renderDots() {
  const ol = $('stage-dots');
  ol.replaceChildren();
  meeting.steps.forEach((s, i) => {
    const li = el('li', i === meeting.index ? 'here' : '', s.key === OVERVIEW ? 'System' : s.label);
    if (i === meeting.index) li.setAttribute('aria-current', 'step');
    ol.appendChild(li);
  });
}

function renderHuddleClock() {
  const h = meeting.huddle;
  $('huddle-clock').textContent = h ? `Huddle ${plural(minutes(h.started_at, Date.now()), 'min', 'min')}` : '';
}

const STATUS_WORDS = {
  green: { text: 'OK', shape: '●' },
  amber: { text: 'AMBER', shape: '◆' },
  red: { text: 'RED', shape: '▲' },
  stale: { text: 'STALE', shape: '⧗' },
  error: { text: 'ERROR', shape: '✖' },
};

function statusCell(status) {
  const s = STATUS_WORDS[status] || { text: String(status || '?'), shape: '✖' };
  const td = el('td', 'status');
  const badge = el('span', 'badge');
  badge.dataset.status = String(status);
  badge.append(el('span', 'shape', s.shape), el('span', 'word', s.text));
  badge.firstChild.setAttribute('aria-hidden', 'true');
  td.appendChild(badge);
  return td;
}

function whereWords(e) {
  return e.site ? `${e.site} · ${partnerLabel(e.partner)}` : `${partnerLabel(e.partner)} · all sites`;
}

function shortLabel(e) {
  return e.short_label || e.label || e.key;
}

// A measure's short name for a line about it (alerts): the board's, else what the line carries.
function measureWords(partner, metric, fallback) {
  const e = entriesOf(boardState()).find((x) => x.partner === partner && x.key === metric);
  return e ? shortLabel(e) : fallback;
}

function compareEntries(a, b) {
  return ((a.position || 0) - (b.position || 0)) ||
    String(a.label).localeCompare(String(b.label), 'en-GB') ||
    (a.site < b.site ? -1 : a.site > b.site ? 1 : 0) ||
    (a.partner < b.partner ? -1 : a.partner > b.partner ? 1 : 0);
}

function renderStage(step) {
  const view = boardState();
  const goals = view && Array.isArray(view.goals) ? view.goals : [];
  const rows = entriesOf(view).filter((e) => e.stage === step.key).sort(compareEntries);
  meeting.rows = rows;
  if (meeting.row >= rows.length) meeting.row = Math.max(0, rows.length - 1);
  const day = today();
  const tbody = $('metrics').tBodies[0];
  tbody.replaceChildren();
  $('metrics').hidden = rows.length === 0;
  say($('metrics-empty'), rows.length ? '' : 'No measures on this stage.');
  $('metrics-head').textContent = 'Measures against trajectory';
  rows.forEach((e, i) => {
    const tr = el('tr');
    tr.dataset.partner = e.partner;
    tr.dataset.key = e.key;
    tr.dataset.site = e.site;
    tr.dataset.status = String(e.status);
    if (i === meeting.row) { tr.classList.add('chosen'); tr.setAttribute('aria-current', 'true'); }
    const name = el('th', 'measure');
    name.scope = 'row';
    name.title = e.label || e.key;
    name.append(el('span', 'm-label', shortLabel(e)), el('span', 'm-where', whereWords(e)));
    const value = el('td', 'value');
    const hasValue = typeof e.value === 'number' && Number.isFinite(e.value);
    value.textContent = hasValue ? `${formatNumber(e.value, e.decimals)}${unitText(e.unit)}` : '—';
    const traj = el('td', 'trajectory');
    const goal = goalFor(goals, e);
    if (goal) {
      const j = judge(goal, e, day);
      traj.dataset.state = j.state;
      const line = el('span', 'j-line');
      line.append(el('span', 'j-shape', j.symbol), el('span', 'j-words', j.words));
      line.firstChild.setAttribute('aria-hidden', 'true');
      traj.append(line, el('span', 'j-goal',
        `goal ${formatNumber(goal.target, goal.decimals)}${unitText(goal.unit)} by ${dateWords(goal.ends_on)}`));
    } else {
      traj.dataset.state = 'nogoal';
      traj.append(el('span', 'j-none', 'no goal agreed'));
    }
    tr.append(name, value, statusCell(e.status), traj);
    tbody.appendChild(tr);
  });
}

// The whole system: each stage's statuses and trajectories at a glance.
function renderOverview() {
  const view = boardState();
  const goals = view && Array.isArray(view.goals) ? view.goals : [];
  const entries = entriesOf(view);
  const day = today();
  meeting.rows = [];
  const tbody = $('metrics').tBodies[0];
  tbody.replaceChildren();
  $('metrics-head').textContent = 'Each stage now';
  $('metrics').hidden = meeting.steps.length < 2;
  say($('metrics-empty'), meeting.steps.length < 2 ? 'Waiting for the board…' : '');
  for (const s of meeting.steps.slice(1)) {
    const sum = stageSummary(entries, goals, s.key, day);
    const tr = el('tr');
    tr.dataset.stage = s.key;
    const name = el('th', 'measure');
    name.scope = 'row';
    name.append(el('span', 'm-label', s.label), el('span', 'm-where', plural(sum.measures, 'measure', 'measures')));
    const parts = [['red', 'red'], ['amber', 'amber'], ['green', 'OK'], ['stale', 'stale'], ['error', 'error']]
      .filter(([st]) => sum.counts[st]).map(([st, w]) => `${sum.counts[st]} ${w}`);
    const traj = el('td', 'trajectory');
    traj.dataset.state = sum.off ? 'off' : sum.on ? 'on' : 'nogoal';
    traj.textContent = sum.on + sum.off ? `${sum.on} on trajectory, ${sum.off} off` : 'no goals agreed';
    tr.append(name, el('td', 'value', parts.join(' · ')), statusCell(sum.worst), traj);
    tbody.appendChild(tr);
  }
}

function alertLine(a) {
  const li = el('li', 'line alert');
  li.dataset.alert = String(a.id);
  li.dataset.severity = String(a.severity || '');
  li.dataset.state = String(a.state || '');
  // the summary is the whole sentence (labels, value, status): too long to read across a room
  const what = a.metric
    ? `${measureWords(a.partner, a.metric, a.metric_label || a.metric)} · ${a.site_label || a.partner_label || a.partner}`
    : (a.summary || a.rule || `alert ${a.id}`);
  const times = [];
  times.push(`${a.state === 'pending' ? 'pending since' : 'started'} ${shortWhen(a.started_at)}`);
  if (a.resolved_at) times.push(`resolved ${shortWhen(a.resolved_at)}`);
  else if (a.state === 'firing') times.push('still firing');
  times.push(a.acked_by ? `acknowledged by ${a.acked_by}` : (a.state === 'resolved' ? 'not acknowledged' : 'NOT ACKNOWLEDGED'));
  li.title = a.summary || '';
  li.append(el('span', 'l-tag', String(a.severity || 'alert').toUpperCase()), el('span', 'l-text', what),
    el('span', 'l-sub', times.join(' · ')));
  return li;
}

function levelLine(l) {
  const li = el('li', 'line level-change');
  li.dataset.level = String(l.level);
  li.append(el('span', 'l-tag', l.label || `Level ${l.level}`), el('span', 'l-text', l.reason || ''),
    el('span', 'l-sub', shortWhen(l.at)));
  return li;
}

function renderSince(step) {
  const ul = $('since-list');
  ul.replaceChildren();
  const b = meeting.brief;
  const head = $('since-head');
  if (!b) {
    head.textContent = 'Since the last huddle';
    ul.appendChild(el('li', 'line muted', 'Loading…'));
    return;
  }
  head.textContent = b.since ? `Since the last huddle (${shortWhen(b.since)})` : 'Since the last huddle';
  if (b.error) ul.appendChild(el('li', 'line muted', `Cannot load what happened: ${b.error}`));
  const alerts = alertsOnStep(b.alerts, step.key);
  const levels = step.key === OVERVIEW && Array.isArray(b.levels) ? b.levels : [];
  for (const l of levels) ul.appendChild(levelLine(l));
  for (const a of alerts) ul.appendChild(alertLine(a));
  if (step.key === OVERVIEW) {
    const staged = (Array.isArray(b.alerts) ? b.alerts : []).filter((a) => a.stage).length;
    if (staged) ul.appendChild(el('li', 'line muted', `${plural(staged, 'alert', 'alerts')} on the stages: shown with each stage`));
  }
  if (!ul.children.length) {
    ul.appendChild(el('li', 'line muted', step.key === OVERVIEW ? 'No level changes.' : 'No alerts on this stage.'));
  }
}

function renderActions(step) {
  const ul = $('actions-list');
  ul.replaceChildren();
  const list = actionsDue(meeting.actions, step.key, entriesOf(boardState()), today());
  for (const { action: a, due } of list) {
    const li = el('li', 'line action');
    li.dataset.action = String(a.id);
    li.dataset.due = due.bucket;
    const about = [a.metric && measureWords(a.partner, a.metric, a.metric_label), a.site_label && `at ${a.site_label}`]
      .filter(Boolean).join(' ');
    const sub = [`${a.owner_name || a.owner}`, a.status === 'in_progress' ? 'in progress' : '', about].filter(Boolean).join(' · ');
    li.append(el('span', 'l-tag', due.text), el('span', 'l-text', a.title), el('span', 'l-sub', sub));
    ul.appendChild(li);
  }
  if (!list.length) ul.appendChild(el('li', 'line muted', `No actions due in the next ${DUE_AHEAD_DAYS} days.`));
}

function chooseRow(delta) {
  if (!meeting.rows.length) return;
  meeting.row = Math.max(0, Math.min(meeting.rows.length - 1, meeting.row + delta));
  render();
  const e = meeting.rows[meeting.row];
  announce(`${e.label}, ${whereWords(e)}`);
}

// ---------------------------------------------------------------------------------------------
// Recording an action

function dialogOpen() {
  return !$('action-dialog').hidden;
}

function openActionForm() {
  const step = meeting.steps[meeting.index];
  if (!step || !meeting.huddle) return;
  const owner = $('action-owner');
  owner.replaceChildren();
  for (const p of meeting.people) {
    const o = el('option', '', p.label);
    o.value = p.name;
    owner.appendChild(o);
  }
  const about = $('action-about');
  about.replaceChildren();
  if (step.key === OVERVIEW) {
    const o = el('option', '', 'The whole system');
    o.value = '';
    about.appendChild(o);
  } else {
    meeting.rows.forEach((e, i) => {
      const o = el('option', '', `${e.label} — ${whereWords(e)}`);
      o.value = String(i);
      about.appendChild(o);
    });
    about.value = String(meeting.row);
  }
  $('action-about-line').textContent = step.key === OVERVIEW
    ? 'For the whole system.' : `For the stage ${step.label}.`;
  $('action-title').value = '';
  $('action-due').value = localDay(Date.now() + DAY_MS);
  say($('action-error'), meeting.people.length ? ''
    : 'Nobody is on the rota yet: an admin adds people in the manager view (Rota).');
  $('action-dialog').hidden = false;
  $('action-title').focus();
}

function closeActionForm() {
  $('action-dialog').hidden = true;
  $('stage-title').focus({ preventScroll: true });
}

async function saveAction() {
  const form = $('action-form');
  if (form.dataset.busy === 'yes') return;
  const step = meeting.steps[meeting.index];
  const title = $('action-title').value.trim();
  if (!title) { say($('action-error'), 'Say what will be done.'); $('action-title').focus(); return; }
  const body = {
    title, owner: $('action-owner').value, due_on: $('action-due').value, huddle_id: meeting.huddle.id,
    partner: null, metric: null, site: '',
  };
  if (step.key !== OVERVIEW) {
    const e = meeting.rows[Number($('action-about').value)];
    if (e) Object.assign(body, { partner: e.partner, metric: e.key, site: e.site });
  }
  form.dataset.busy = 'yes';
  say($('action-error'), '');
  try {
    const a = await api('POST', '/api/actions', body);
    if (a && a.id !== undefined && !meeting.actions.some((x) => x.id === a.id)) meeting.actions = [...meeting.actions, a];
    closeActionForm();
    render();
    announce(`Action recorded: ${a.title}, ${a.owner_name || a.owner}, due ${dateWords(a.due_on)}`);
  } catch (err) {
    say($('action-error'), err.message);
  } finally {
    form.dataset.busy = '';
  }
}

// ---------------------------------------------------------------------------------------------
// Ending

async function endHuddle() {
  const h = meeting.huddle;
  if (!h || meeting.ending) return;
  meeting.ending = true;
  try {
    const done = await api('POST', `/api/huddles/${h.id}`, { end: true });
    meeting.huddle = null;
    meeting.lastEnded = done;
    let recorded = [];
    try {
      const r = await api('GET', '/api/actions');
      recorded = (Array.isArray(r.actions) ? r.actions : []).filter((a) => a.huddle_id === done.id);
    } catch (err) { /* the summary says what it can */ }
    showSummary(done, recorded);
  } catch (err) {
    announce(`The huddle could not be ended: ${err.message}`);
    $('banner').textContent = `The huddle could not be ended: ${err.message}`;
    $('banner').hidden = false;
  } finally {
    meeting.ending = false;
  }
}

function showSummary(h, recorded) {
  const took = minutes(h.started_at, Date.parse(h.ended_at) || Date.now());
  const length = took < 1 ? 'less than a minute' : plural(took, 'minute', 'minutes');
  $('summary-line').textContent = `Ended ${when(h.ended_at)} after ${length}, run by ${h.run_by}. ` +
    `${plural(recorded.length, 'action', 'actions')} recorded.`;
  const ul = $('summary-actions');
  ul.replaceChildren();
  for (const a of recorded.sort((x, y) => x.id - y.id)) {
    const li = el('li', 'line action');
    li.dataset.action = String(a.id);
    const about = [a.metric_label, a.site_label && `at ${a.site_label}`].filter(Boolean).join(' ') || 'the whole system';
    li.append(el('span', 'l-tag', `due ${dateWords(a.due_on)}`), el('span', 'l-text', a.title),
      el('span', 'l-sub', `${a.owner_name || a.owner} · ${about}`));
    ul.appendChild(li);
  }
  if (!recorded.length) ul.appendChild(el('li', 'line muted', 'No actions were recorded.'));
  setView('summary');
  $('summary-done').focus();
  announce(`Huddle ended. ${plural(recorded.length, 'action', 'actions')} recorded.`);
}

// ---------------------------------------------------------------------------------------------
// Keys

function onKey(ev) {
  if (ev.ctrlKey || ev.altKey || ev.metaKey) return;
  if (dialogOpen()) {
    if (ev.key === 'Escape') { ev.preventDefault(); closeActionForm(); }
    else if (ev.key === 'Enter') { ev.preventDefault(); saveAction(); }
    else if (ev.key === 'Tab') {
      // the dialog keeps the focus: Tab from its last field goes back to its first
      const fields = [$('action-title'), $('action-owner'), $('action-due'), $('action-about')];
      const at = fields.indexOf(document.activeElement);
      const to = at < 0 ? 0 : ev.shiftKey ? (at === 0 ? fields.length - 1 : -1) : (at === fields.length - 1 ? 0 : -1);
      if (to >= 0) { ev.preventDefault(); fields[to].focus(); }
    }
    return;
  }
  if (meeting.view === 'start' || meeting.view === 'summary') {
    // a presenter remote has only its two page keys
    if (ev.key === 'PageDown' || ev.key === 'ArrowRight') {
      ev.preventDefault();
      if (meeting.view === 'start') startHuddle(); else showStart();
    }
    return;
  }
  if (meeting.view !== 'meeting') return;
  switch (ev.key) {
    case 'ArrowRight': case 'PageDown': case ' ':
      showStep(meeting.index + 1); break;
    case 'ArrowLeft': case 'PageUp':
      showStep(meeting.index - 1); break;
    case 'Home':
      showStep(0); break;
    case 'End':
      showStep(meeting.steps.length - 1); break;
    case 'ArrowDown':
      chooseRow(1); break;
    case 'ArrowUp':
      chooseRow(-1); break;
    case 'a': case 'A':
      openActionForm(); break;
    case 'e': case 'E':
      endHuddle(); break;
    default:
      return;
  }
  ev.preventDefault();
}

// ---------------------------------------------------------------------------------------------

async function main() {
  $('signin-form').addEventListener('submit', signIn);
  $('blocked-signout').addEventListener('click', signOut);
  $('start-button').addEventListener('click', startHuddle);
  $('summary-done').addEventListener('click', showStart);
  $('action-form').addEventListener('submit', (ev) => { ev.preventDefault(); saveAction(); });
  document.addEventListener('keydown', onKey);
  setInterval(() => { if (meeting.view === 'meeting') renderHuddleClock(); }, 15000);
  try {
    await whoami();
  } catch (err) {
    $('banner').textContent = `Cannot reach commcell: ${err.message}`;
    $('banner').hidden = false;
    return;
  }
  if (me.kind === 'anonymous') {
    setView('signin');
    $('signin-user').focus();
    return;
  }
  await enter();
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', main, { once: true });
} else {
  main();
}
