// The manager view's Actions tab: the action log kept at the comm cell's meetings. A list with
// filters (status, owner, partner, overdue), the form for a new action (the owner is a person of
// the on-call rota), one action's updates with who and when and the form that adds one, and the
// list as CSV. When anyone changes an action the server pushes the open ones to every display;
// this page then reads its list again.

import { boardState, subscribe, partnerLabel } from './board.js';
import { localDay } from './trajectory.js';
import { $, api, el, say, show, when, fillSelect, seriesOptions, seriesKey, splitSeries, addDays, dayWords } from './manager_util.js';

const STATUS_WORDS = { open: 'open', in_progress: 'in progress', done: 'done', dropped: 'dropped' };
const acts = { people: [], list: [], chosen: null, seen: null, ticket: 0 };

function today() {
  return localDay(Date.now());
}

// The filters as the API's query (also the CSV link's).
function filterQuery() {
  const q = new URLSearchParams();
  const overdue = $('act-f-overdue').checked;
  const status = overdue ? 'open,in_progress' : $('act-f-status').value;
  if (status) q.set('status', status);
  if ($('act-f-owner').value) q.set('owner', $('act-f-owner').value);
  if ($('act-f-partner').value) q.set('partner', $('act-f-partner').value);
  if (overdue) q.set('due_before', today());
  return q;
}

function refreshCsvLink() {
  const q = filterQuery();
  q.set('format', 'csv');
  $('act-csv').href = `/api/actions?${q}`;
}

function aboutWords(a) {
  if (!a.partner) return 'the whole system';
  const partner = a.partner_label || partnerLabel(a.partner);
  if (!a.metric) return partner;
  return `${a.metric_label || a.metric} — ${partner}${a.site ? `, ${a.site_label || `site ${a.site}`}` : ''}`;
}

// "overdue 3 days", "due today", "due in 2 days", or for a closed one nothing.
function dueWords(a) {
  if (a.status === 'done' || a.status === 'dropped') return '';
  const days = Math.round((Date.parse(`${a.due_on}T00:00:00Z`) - Date.parse(`${today()}T00:00:00Z`)) / 86400000);
  if (days < 0) return `overdue ${-days} day${days === -1 ? '' : 's'}`;
  if (days === 0) return 'due today';
  return `due in ${days} day${days === 1 ? '' : 's'}`;
}

function updateWords(u) {
  if (!u) return '';
  const change = u.status ? `now ${STATUS_WORDS[u.status] || u.status}` : '';
  return [change, u.text].filter(Boolean).join(': ');
}

function actionRow(a) {
  const open = el('button', { type: 'button', class: 'small secondary', 'aria-label': `Open "${a.title}": its updates and status` }, 'Open');
  open.addEventListener('click', () => chooseAction(a.id, true));
  const due = dueWords(a);
  const u = a.last_update;
  return el('tr', { 'data-action': a.id, 'data-status': a.status, ...(due.startsWith('overdue') ? { class: 'overdue' } : {}) },
    el('td', {}, dayWords(a.due_on), due ? el('div', { class: due.startsWith('overdue') ? 'due-words overdue' : 'due-words' }, due) : null),
    el('td', {}, a.title),
    el('td', {}, a.owner_name || a.owner),
    el('td', { class: 'act-about' }, aboutWords(a)),
    el('td', { class: 'act-status' }, STATUS_WORDS[a.status] || a.status),
    el('td', { class: 'act-last' }, u ? `${updateWords(u)} (${u.by}, ${when(u.at)})` : el('span', { class: 'muted' }, 'none')),
    el('td', {}, open));
}

export async function loadActions() {
  refreshCsvLink();
  const ticket = ++acts.ticket;
  const d = await api('GET', `/api/actions?${filterQuery()}`);
  if (ticket !== acts.ticket) return;   // the filters changed meanwhile
  acts.list = Array.isArray(d.actions) ? d.actions : [];
  $('act-table').tBodies[0].replaceChildren(...(acts.list.length ? acts.list.map(actionRow)
    : [el('tr', {}, el('td', { colspan: 7, class: 'muted' }, 'No actions match these filters.'))]));
  say($('act-count'), `${acts.list.length} action${acts.list.length === 1 ? '' : 's'}`);
  if (acts.chosen !== null) await chooseAction(acts.chosen, false);
}

async function loadPeople() {
  const d = await api('GET', '/api/rota');
  acts.people = Array.isArray(d.people) ? d.people : [];
  const people = acts.people.map((p) => [p.name, p.label ? `${p.label} (${p.name})` : p.name]);
  fillSelect($('act-owner'), [['', 'Choose a person…'], ...people]);
  fillSelect($('act-f-owner'), [['', 'Anyone'], ...people]);
}

function refreshPickers() {
  const view = boardState();
  if (!view) return;
  const partners = view.partners.map((p) => [p.name, p.label || p.name]).sort((a, b) => a[1].localeCompare(b[1]));
  fillSelect($('act-f-partner'), [['', 'All partners'], ...partners]);
  // what an action is about: the whole system, a partner, or one measure of a partner
  fillSelect($('act-about'), [['', 'The whole system'],
    ...partners.map(([name, label]) => [seriesKey(name, '', ''), `${label} (the whole organisation)`]),
    ...seriesOptions(view, partnerLabel)]);
}

// ---------------------------------------------------------------------------------------------
// One action: its story and the form that adds to it

async function chooseAction(id, focus) {
  acts.chosen = id;
  const a = await api('GET', `/api/actions/${encodeURIComponent(id)}`);
  if (acts.chosen !== id) return;
  show($('act-detail'), true);
  $('act-detail-title').textContent = a.title;
  $('act-detail-sub').textContent = `${a.owner_name || a.owner} · ${aboutWords(a)} · due ${dayWords(a.due_on)}` +
    `${dueWords(a) ? ` (${dueWords(a)})` : ''} · ${STATUS_WORDS[a.status] || a.status} · recorded by ${a.created_by}, ${when(a.created_at)}`;
  const updates = Array.isArray(a.updates) ? a.updates : [];
  $('act-updates').replaceChildren(...(updates.length
    ? updates.map((u) => el('li', {}, el('span', { class: 'muted' }, `${when(u.at)}, ${u.by}: `), updateWords(u) || 'no change'))
    : [el('li', { class: 'muted' }, 'No updates yet.')]));
  const status = $('act-new-status');
  status.value = '';
  status.dataset.current = a.status;
  for (const o of status.options) o.disabled = o.value === a.status;
  if (focus) $('act-detail-title').focus();
}

async function addUpdate(ev) {
  ev.preventDefault();
  say($('act-update-error'), '');
  const body = {};
  if ($('act-new-status').value) body.status = $('act-new-status').value;
  const text = $('act-update-text').value.trim();
  if (text) body.text = text;
  if (!body.status && !body.text) {
    say($('act-update-error'), 'Choose a new status or write an update first.');
    return;
  }
  try {
    await api('POST', `/api/actions/${encodeURIComponent(acts.chosen)}`, body);
    $('act-update-text').value = '';
    await loadActions();
  } catch (err) {
    say($('act-update-error'), err.message);
  }
}

// ---------------------------------------------------------------------------------------------
// A new action

async function createAction(ev) {
  ev.preventDefault();
  say($('act-error'), '');
  say($('act-ok'), '');
  const about = $('act-about').value;
  const { partner, metric, site } = about ? splitSeries(about) : { partner: null, metric: null, site: '' };
  const body = {
    title: $('act-title').value.trim(),
    owner: $('act-owner').value,
    partner: partner || null,
    metric: metric || null,
    site: site || '',
    due_on: $('act-due').value || null,
  };
  try {
    const a = await api('POST', '/api/actions', body);
    $('act-title').value = '';
    say($('act-ok'), `Recorded: "${a.title}", ${a.owner_name || a.owner}, due ${dayWords(a.due_on)}.`);
    await loadActions();
  } catch (err) {
    say($('act-error'), err.message);
  }
}

export function setupActions() {
  for (const id of ['act-f-status', 'act-f-owner', 'act-f-partner', 'act-f-overdue']) {
    $(id).addEventListener('change', () => {
      $('act-f-status').disabled = $('act-f-overdue').checked;
      loadActions().catch((err) => say($('act-list-error'), err.message));
    });
  }
  $('act-form').addEventListener('submit', createAction);
  $('act-update-form').addEventListener('submit', addUpdate);
  $('act-detail-close').addEventListener('click', () => { acts.chosen = null; show($('act-detail'), false); });
  // the server's `actions` message: someone changed an action, here or anywhere
  subscribe((view) => {
    const list = view && Array.isArray(view.actions) ? JSON.stringify(view.actions) : null;
    if (list !== null && acts.seen !== null && list !== acts.seen && !$('tab-actions').hidden) {
      loadActions().catch((err) => say($('act-list-error'), err.message));
    }
    acts.seen = list;
  });
}

export async function openActionsTab() {
  say($('act-list-error'), '');
  refreshPickers();
  if (!$('act-due').value) $('act-due').value = addDays(today(), 7);
  await Promise.all([loadPeople().catch((err) => say($('act-error'), `The rota's people could not be read: ${err.message}`)),
    loadActions().catch((err) => say($('act-list-error'), err.message))]);
}
