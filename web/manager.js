// commcell manager view: the live board (shared with the wall display through board.js) plus
// drill-down, history charts (with a goal's trajectory and daily figures), threshold editing,
// alerts, the audit log, the on-call rota, and for admins users, wall display tokens, partners
// and rota changes. Goals, actions and the board report have modules of their own
// (manager_goals.js, manager_actions.js, manager_report.js).
//
// Every change goes to the JSON API with the session's CSRF token in X-CSRF-Token; the server
// validates it, saves it in the hub, writes the audit row and pushes the result to every display.
// The page never trusts itself: it shows the server's error messages as they come.

import { startBoard, setFilter, boardState, formatNumber, partnerLabel } from './board.js';
import uPlot from '/vendor/uplot/uPlot.esm.js';
import { me, ROLE_RANK, $, api, el, show, say, when, num, parseField, fillSelect } from './manager_util.js';
import { setupGoals, openGoalsTab, loadGoals, onGoalsChanged, goalSeries } from './manager_goals.js';
import { setupActions, openActionsTab } from './manager_actions.js';
import { setupReport } from './manager_report.js';

// ---------------------------------------------------------------------------------------------
// Signing in

async function whoami() {
  try {
    const s = await api('GET', '/api/session');
    Object.assign(me, { user: s.user, role: s.role, kind: s.kind, csrf: s.csrf_token });
  } catch (err) {
    if (err.status !== 401) throw err;
    Object.assign(me, { user: '', role: 'none', kind: 'anonymous', csrf: null });
  }
}

function setView(view) {
  document.body.dataset.view = view;
  show($('signin'), view === 'signin');
  show($('blocked'), view === 'blocked');
  show($('tabs'), view === 'app');
  show($('app'), view === 'app');
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
    enter();
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

// ---------------------------------------------------------------------------------------------
// Tabs

const loaders = {};
let boardStarted = false;

function openTab(name) {
  for (const b of $('tabs').querySelectorAll('button[data-tab]')) {
    const on = b.dataset.tab === name;
    b.setAttribute('aria-selected', String(on));
    b.tabIndex = on ? 0 : -1;   // one tab stop for the whole list; the arrows move within it
  }
  for (const s of document.querySelectorAll('.tab')) show(s, s.id === `tab-${name}`);
  document.body.dataset.tab = name;
  if (loaders[name]) loaders[name]().catch((err) => console.error(err));
}

function enter() {
  if (ROLE_RANK[me.role] < ROLE_RANK.manager) {
    const what = me.kind === 'device' ? `the wall display "${me.user}" (device token)` : `${me.user} (role ${me.role})`;
    $('blocked-text').textContent = `This browser is signed in as ${what}. The manager view needs a manager or admin.`;
    setView('blocked');
    return;
  }
  $('whoami-name').textContent = `${me.user} · ${me.role}`;
  show($('whoami'), true);
  for (const b of $('tabs').querySelectorAll('[data-role="admin"]')) show(b, me.role === 'admin');
  setView('app');
  openTab('board');
  if (!boardStarted) {
    boardStarted = true;
    startBoard({ filter: null, onTileClick: selectEntry });
    setInterval(() => { refreshPickers(); refreshDetail(); }, 1000);
    loadGoals().catch((err) => console.error(err));
  }
}

// Arrow keys, Home and End move between the visible tabs and open the one reached (ARIA tabs).
function tabKeys(ev) {
  const tabs = [...$('tabs').querySelectorAll('button[data-tab]')].filter((b) => !b.hidden);
  const at = tabs.indexOf(ev.target);
  if (at < 0) return;
  const to = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: tabs.length - 1 }[ev.key];
  if (to === undefined) return;
  ev.preventDefault();
  const b = tabs[(to + tabs.length) % tabs.length];
  openTab(b.dataset.tab);
  b.focus();
}

// ---------------------------------------------------------------------------------------------
// Board: drill-down by partner and site

function refreshPickers() {
  const view = boardState();
  if (!view) return;
  const partnerSel = $('filter-partner');
  const siteSel = $('filter-site');
  const partners = view.partners.map((p) => [p.name, p.label || p.name]).sort((a, b) => a[1].localeCompare(b[1]));
  fillSelect(partnerSel, [['', 'All partners'], ...partners]);
  const p = partnerSel.value;
  const sites = [...new Set(view.entries.filter((e) => !p || e.partner === p).map((e) => e.site))]
    .sort().map((s) => [s, s === '' ? 'Whole organisation' : s]);
  fillSelect(siteSel, [['*', 'All sites'], ...sites]);
}

function applyFilter() {
  const p = $('filter-partner').value;
  const s = $('filter-site').value;
  const allSites = s === '*';
  setFilter(!p && allSites ? null : (e) => (!p || e.partner === p) && (allSites || e.site === s));
}

// ---------------------------------------------------------------------------------------------
// Detail: history chart and thresholds of one tile

const detail = { entry: null, range: 86400, chart: null, thresholds: null, ticket: 0 };

// In words: the partner's label, not its key (the keys are in the line's tooltip)
function describe(e) {
  return `${partnerLabel(e.partner)}${e.site ? ` · site ${e.site}` : ''} · now ` +
    `${formatNumber(e.value, e.decimals)}${e.unit && e.value !== null ? ` ${e.unit}` : ''} (${e.status})`;
}

// The chosen metric's line follows the board (a threshold edit turns it red here too).
function refreshDetail() {
  if (!detail.entry) return;
  const text = describe(currentEntry());
  if ($('detail-sub').textContent !== text) $('detail-sub').textContent = text;
}

// One column on a narrow screen: the detail is below the whole board, out of sight.
const narrow = window.matchMedia('(max-width: 800px)');

function tileOf(e) {
  return document.querySelector(`.tile[data-partner="${CSS.escape(e.partner)}"][data-key="${CSS.escape(e.key)}"][data-site="${CSS.escape(e.site)}"]`);
}

function selectEntry(e) {
  detail.entry = e;
  show($('detail-empty'), false);
  show($('detail-body'), true);
  $('detail-title').textContent = e.label || e.key;
  $('detail-sub').textContent = describe(e);
  $('detail-sub').title = `${e.partner} · ${e.key}`;
  $('detail-definition').textContent = 'Loading…';
  $('detail-said').textContent = `${e.label || e.key} chosen: its definition, history and thresholds are in the panel.`;
  for (const t of document.querySelectorAll('.tile.chosen')) {
    t.classList.remove('chosen');
    t.removeAttribute('aria-pressed');
  }
  const tile = tileOf(e);
  if (tile) {
    tile.classList.add('chosen');
    tile.setAttribute('aria-pressed', 'true');
  }
  if (narrow.matches) {
    // the detail opens in view; its title takes the focus so that Back returns to the tile
    $('detail').scrollIntoView({ block: 'start' });
    $('detail-title').focus({ preventScroll: true });
  }
  loadChart().catch((err) => say($('chart-note'), err.message));
  loadThresholdForm().catch((err) => say($('th-error'), err.message));
}

function backToBoard() {
  const tile = detail.entry && tileOf(detail.entry);
  if (tile) {
    tile.scrollIntoView({ block: 'center' });
    tile.focus({ preventScroll: true });
  } else {
    $('board').scrollIntoView({ block: 'start' });
  }
}

// The chosen entry as the board has it now (its thresholds may have changed since).
function currentEntry() {
  const e = detail.entry;
  const view = boardState();
  return (view && view.entries.find((x) => x.partner === e.partner && x.key === e.key && x.site === e.site)) || e;
}

// Tables keyed on their first column (x, seconds) merged into one for uPlot: every x of any
// table, undefined where a table has no value there. uPlot draws a line across undefined and
// breaks it at null, so a gap in the history stays a gap and another table's x does not make one.
function joinTables(tables) {
  const xs = [...new Set(tables.flatMap((t) => t[0]))].sort((a, b) => a - b);
  const out = [xs];
  for (const t of tables) {
    const at = new Map(t[0].map((x, i) => [x, i]));
    for (const col of t.slice(1)) out.push(xs.map((x) => (at.has(x) ? col[at.get(x)] : undefined)));
  }
  return out;
}

async function loadChart() {
  const e = currentEntry();
  const ticket = ++detail.ticket;
  const to = Date.now();
  const from = to - detail.range * 1000;
  const q = new URLSearchParams({ partner: e.partner, metric: e.key, site: e.site, from: String(from), to: String(to) });
  const [data, goal] = await Promise.all([api('GET', `/api/history?${q}`), goalSeries(e.partner, e.key, e.site, from, to)]);
  if (ticket !== detail.ticket) return;   // a later range or tile was chosen meanwhile
  const pts = data.points || [];
  const hx = pts.map((p) => Date.parse(p.t) / 1000);
  // the threshold lines run across the whole range, history or not
  const edge = [from / 1000, to / 1000];
  const level = (v) => edge.map(() => (typeof v === 'number' ? v : null));
  const tables = [[hx, pts.map((p) => p.avg), pts.map((p) => p.min), pts.map((p) => p.max)], [edge, level(e.amber), level(e.red)]];
  const seriesOpts = [
    {},
    { label: 'average', stroke: '#8cc8ff', width: 2 },
    { label: 'min', stroke: '#5b7a99', width: 1, dash: [4, 4] },
    { label: 'max', stroke: '#5b7a99', width: 1, dash: [4, 4] },
    { label: 'amber line', stroke: '#ffb31a', width: 1, points: { show: false } },
    { label: 'red line', stroke: '#ff4f4f', width: 1, points: { show: false } },
  ];
  if (goal) {
    // told apart without colour: the trajectory by its long dashes, the daily figures by dots
    tables.push([goal.xs, goal.trajectory, goal.daily]);
    seriesOpts.push(
      { label: 'trajectory (dashed)', stroke: '#f2f2f2', width: 2, dash: [12, 6], points: { show: false } },
      { label: 'daily figure (dots)', stroke: '#7ee2a8', width: 1,
        points: { show: true, size: 9, width: 2, stroke: '#7ee2a8', fill: '#0b1118' } });
  }
  const box = $('chart');
  const width = Math.max(280, box.clientWidth - 4);
  // British dates on the time axis ("27 Nov", not uPlot's "11/27"); hours for a day or less
  const tick = new Intl.DateTimeFormat('en-GB', detail.range > 2 * 86400 ? { day: 'numeric', month: 'short' } : { hour: '2-digit', minute: '2-digit' });
  const opts = {
    width, height: Math.max(180, Math.min(340, Math.round(width * 0.5))),
    scales: { x: { time: true, range: [from / 1000, to / 1000] } },
    axes: [
      { stroke: '#a9b6c4', grid: { stroke: '#243140' }, ticks: { stroke: '#2c3947' },
        values: (u, splits) => splits.map((x) => tick.format(new Date(x * 1000))) },
      { stroke: '#a9b6c4', grid: { stroke: '#243140' }, ticks: { stroke: '#2c3947' }, size: 56 },
    ],
    series: seriesOpts,
    legend: { live: true },
  };
  const joined = joinTables(tables);
  if (detail.chart) detail.chart.destroy();
  box.replaceChildren();
  detail.chart = new uPlot(opts, joined, box);
  detail.drawn = { partner: e.partner, metric: e.key, site: e.site, from, to };
  const parts = [pts.length ? `${pts.length} points, one per ${Math.round(data.step / 60)} min.` : 'No history in this range yet.'];
  if (goal) {
    parts.push(goal.words);
    parts.push(goal.problem ? `(${goal.problem})` : `${goal.dailyCount} daily figure${goal.dailyCount === 1 ? '' : 's'} around this range.`);
  }
  say($('chart-note'), parts.join(' '));
}

async function loadThresholds() {
  const d = await api('GET', '/api/thresholds');
  detail.thresholds = d.metrics;
  return d.metrics;
}

async function loadThresholdForm() {
  const e = detail.entry;
  const metrics = await loadThresholds();
  const m = metrics.find((x) => x.partner === e.partner && x.metric === e.key);
  if (!m) {
    $('detail-definition').textContent = 'This metric is not in the hub any more.';
    throw new Error('this metric has no thresholds in the hub');
  }
  const def = typeof m.definition === 'string' ? m.definition.trim() : '';
  $('detail-definition').textContent = def || 'No definition has been written for this metric yet.';
  $('detail-definition').classList.toggle('muted', !def);
  const scope = $('th-scope');
  const opts = [el('option', { value: '\u0000' }, 'every site (the metric\'s default)')];
  if (e.site) opts.push(el('option', { value: e.site }, `site ${e.site} only (an override)`));
  scope.replaceChildren(...opts);
  const override = e.site && m.sites.find((s) => s.site === e.site);
  scope.value = override ? e.site : '\u0000';
  fillThresholdInputs(m, override);
  scope.onchange = () => fillThresholdInputs(m, scope.value !== '\u0000' && m.sites.find((s) => s.site === scope.value));
  $('th-direction').textContent = m.higher_is_better
    ? 'Higher is better: red must be at or below amber.' : 'Lower is better: red must be at or above amber.';
  say($('th-error'), '');
  say($('th-ok'), '');
}

function fillThresholdInputs(m, override) {
  const src = override || m;
  $('th-amber').value = num(src.amber);
  $('th-red').value = num(src.red);
  $('th-hysteresis').value = num(src.hysteresis);
  $('th-min-duration').value = num(src.min_duration_s);
  show($('th-clear'), !!override);
  for (const id of ['th-amber', 'th-red', 'th-hysteresis', 'th-min-duration']) $(id).removeAttribute('aria-invalid');
}

const FIELD_INPUT = { amber: 'th-amber', red: 'th-red', hysteresis: 'th-hysteresis', min_duration_s: 'th-min-duration' };

async function saveThresholds(ev) {
  ev.preventDefault();
  const e = detail.entry;
  const scope = $('th-scope').value;
  const body = {
    partner: e.partner, metric: e.key,
    amber: parseField($('th-amber').value), red: parseField($('th-red').value),
    hysteresis: parseField($('th-hysteresis').value) ?? 0,
    min_duration_s: parseField($('th-min-duration').value) ?? 0,
  };
  if (scope !== '\u0000') body.site = scope;
  await sendThreshold(body, $('th-error'), $('th-ok'), FIELD_INPUT);
}

async function sendThreshold(body, errNode, okNode, inputs) {
  say(errNode, '');
  if (okNode) say(okNode, '');
  for (const id of Object.values(inputs || {})) { const n = $(id); if (n) n.removeAttribute('aria-invalid'); }
  try {
    const r = await api('POST', '/api/thresholds', body);
    if (okNode) say(okNode, `Saved (audit #${r.audit_id}). Every display follows now.`);
    return true;
  } catch (err) {
    say(errNode, err.message);
    const field = err.body && err.body.field;
    if (field && inputs && inputs[field] && $(inputs[field])) $(inputs[field]).setAttribute('aria-invalid', 'true');
    return false;
  }
}

async function clearOverride() {
  const e = detail.entry;
  if (await sendThreshold({ partner: e.partner, metric: e.key, site: $('th-scope').value, clear: true }, $('th-error'), $('th-ok'))) {
    await loadThresholdForm();
  }
}

// For tests and tools: what the chart shows now (uPlot's series and data), read-only.
window.commcellManager = Object.freeze({
  chart() {
    const c = detail.chart;
    if (!c) return null;
    return {
      series: detail.drawn,
      labels: c.series.slice(1).map((s) => s.label),
      dash: c.series.slice(1).map((s) => (s.dash ? [...s.dash] : null)),
      data: c.data.map((col) => col.map((v) => (v === undefined ? null : v))),
    };
  },
});

loaders.goals = openGoalsTab;
loaders.actions = openActionsTab;

// ---------------------------------------------------------------------------------------------
// Thresholds page: every metric and override, editable in place

loaders.thresholds = async () => {
  const metrics = await loadThresholds();
  const rows = [];
  for (const m of metrics) {
    rows.push(thresholdRow(m, null));
    for (const s of m.sites) rows.push(thresholdRow(m, s));
  }
  $('th-table').tBodies[0].replaceChildren(...rows);
};

function thresholdRow(m, site) {
  const src = site || m;
  const input = (v, name) => el('input', { value: num(v), 'data-field': name, size: 6, inputmode: 'decimal', 'aria-label': name });
  const inputs = [input(src.amber, 'amber'), input(src.red, 'red'), input(src.hysteresis, 'hysteresis'), input(src.min_duration_s, 'min_duration_s')];
  const err = el('div', { class: 'error', hidden: true, role: 'alert' });
  const save = el('button', { type: 'button', class: 'small' }, 'Save');
  const tr = el('tr', { 'data-partner': m.partner, 'data-metric': m.metric, 'data-site': site ? site.site : '' },
    el('td', {}, site ? '' : m.label, site ? null : el('div', { class: 'muted' }, m.metric)),
    el('td', {}, m.partner),
    el('td', {}, site ? site.site : el('span', { class: 'muted' }, 'default')),
    el('td', {}, m.higher_is_better ? 'higher' : 'lower'),
    ...inputs.map((i) => el('td', {}, i)),
    el('td', { class: 'muted' }, src.updated_by ? `${src.updated_by}, ${when(src.updated_at)}` : '—'),
    el('td', {}, save, err));
  save.addEventListener('click', async () => {
    const body = { partner: m.partner, metric: m.metric };
    for (const i of inputs) body[i.dataset.field] = parseField(i.value);
    body.hysteresis ??= 0;
    body.min_duration_s ??= 0;
    if (site) body.site = site.site;
    for (const i of inputs) i.removeAttribute('aria-invalid');
    say(err, '');
    try {
      await api('POST', '/api/thresholds', body);
      save.textContent = 'Saved';
      setTimeout(() => { save.textContent = 'Save'; }, 2000);
    } catch (e) {
      say(err, e.message);
      const bad = inputs.find((i) => i.dataset.field === e.body.field);
      if (bad) bad.setAttribute('aria-invalid', 'true');
    }
  });
  return tr;
}

// ---------------------------------------------------------------------------------------------
// Alerts and silences: the alert engine adds /api/alerts; until then this says so.

loaders.alerts = async () => {
  const panel = $('alerts-panel');
  const silences = $('silences-panel');
  let data;
  try {
    data = await api('GET', '/api/alerts');
  } catch (err) {
    if (err.status === 404) {
      panel.replaceChildren(el('p', { class: 'muted', id: 'alerts-none' }, 'No alert engine yet: alerts, acknowledgement and silences appear here once the daemon has one.'));
      silences.replaceChildren();
      return;
    }
    panel.replaceChildren(el('p', { class: 'error' }, err.message));
    return;
  }
  const list = Array.isArray(data) ? data : (data.alerts || []);
  if (!list.length) {
    panel.replaceChildren(el('p', { class: 'muted' }, 'No alerts firing.'));
  } else {
    panel.replaceChildren(el('table', { class: 'list', tabindex: '0' },
      el('thead', {}, el('tr', {}, ...['Since', 'State', 'Severity', 'What', 'Acknowledged', ''].map((h) => el('th', {}, h)))),
      el('tbody', {}, ...list.map(alertRow))));
  }
  try {
    const s = await api('GET', '/api/silences');
    const rows = Array.isArray(s) ? s : (s.silences || []);
    show($('silence-form'), true);
    silences.replaceChildren(rows.length
      ? el('table', { class: 'list', tabindex: '0' },
        el('thead', {}, el('tr', {}, ...['What', 'Until', 'Reason', 'By', ''].map((h) => el('th', {}, h)))),
        el('tbody', {}, ...rows.map(silenceRow)))
      : el('p', { class: 'muted' }, 'No silences.'));
  } catch (err) {
    silences.replaceChildren(el('p', { class: 'muted' }, err.status === 404 ? 'No silences yet.' : err.message));
  }
};

function silenceRow(x) {
  const end = el('button', { type: 'button', class: 'small secondary' }, 'End now');
  end.disabled = !x.active;
  end.addEventListener('click', async () => {
    try { await api('DELETE', `/api/silences/${encodeURIComponent(x.id)}`); loaders.alerts(); } catch (err) { end.textContent = err.message; }
  });
  const what = [x.rule_id ? `rule ${x.rule_id}` : '', x.partner, x.metric, x.site].filter(Boolean).join(' · ');
  return el('tr', { 'data-silence': x.id }, el('td', {}, what), el('td', {}, `${x.active ? '' : 'ended '}${when(x.ends_at)}`),
    el('td', {}, x.reason || ''), el('td', {}, x.created_by || ''), el('td', {}, end));
}

async function addSilence(ev) {
  ev.preventDefault();
  say($('silence-error'), '');
  const text = (id) => $(id).value.trim() || null;
  const body = { partner: text('silence-partner'), metric: text('silence-metric'), site: text('silence-site'),
    minutes: parseField($('silence-minutes').value), reason: text('silence-reason') };
  try {
    await api('POST', '/api/silences', body);
    $('silence-form').reset();
    await loaders.alerts();
  } catch (err) {
    say($('silence-error'), err.message);
  }
}

// What an alert is about, in the words people use: the hub's summary names the measure, the site
// and the partner by their labels (the keys stay in the row's title for whoever needs them).
function alertWhat(a) {
  const named = [a.metric_label, a.site_label && `at ${a.site_label}`, a.partner_label && `(${a.partner_label})`]
    .filter(Boolean).join(' ');
  return a.summary || named || [a.partner, a.metric, a.site].filter(Boolean).join(' · ');
}

function alertRow(a) {
  const ack = el('button', { type: 'button', class: 'small' }, 'Acknowledge');
  const acked = a.acked_at || a.acknowledged;
  ack.disabled = !!acked || a.state !== 'firing';
  ack.addEventListener('click', async () => {
    try { await api('POST', `/api/alerts/${encodeURIComponent(a.id)}/ack`, {}); loaders.alerts(); } catch (err) { ack.textContent = err.message; }
  });
  const silence = el('button', { type: 'button', class: 'small secondary' }, 'Silence…');
  silence.addEventListener('click', () => {
    $('silence-partner').value = a.partner || '';
    $('silence-metric').value = a.metric || '';
    $('silence-site').value = a.site || '';
    $('silence-reason').focus();
  });
  return el('tr', { 'data-alert': a.id }, el('td', {}, when(a.fired_at || a.started_at || a.since)), el('td', {}, a.state || ''),
    el('td', {}, a.severity || ''), el('td', { title: [a.partner, a.metric, a.site].filter(Boolean).join(' · ') }, alertWhat(a)),
    el('td', {}, acked ? `${a.acked_by || a.acknowledged_by || 'yes'}${a.acked_at ? `, ${when(a.acked_at)}` : ''}` : 'no'), el('td', {}, ack, silence));
}

// ---------------------------------------------------------------------------------------------
// Audit log

const audit = { last: null };

loaders.audit = async (more) => {
  const q = new URLSearchParams({ limit: '50' });
  if (more === true && audit.last) q.set('before', String(audit.last));
  const d = await api('GET', `/api/audit?${q}`);
  const rows = d.rows.map((r) => el('tr', {}, el('td', {}, when(r.at)), el('td', {}, r.actor), el('td', {}, r.action),
    el('td', { title: r.target || '' }, r.title || r.target), el('td', { class: 'detail-json' }, summarise(r.detail))));
  const body = $('audit-table').tBodies[0];
  if (more === true) body.append(...rows); else body.replaceChildren(...rows);
  if (d.rows.length) audit.last = d.rows[d.rows.length - 1].id;
  show($('audit-more'), d.rows.length === 50);
};

function summarise(detail) {
  if (!detail || typeof detail !== 'object') return '';
  if (detail.before !== undefined || detail.after !== undefined) {
    const fmt = (v) => (v && typeof v === 'object' ? Object.entries(v).map(([k, x]) => `${k} ${x}`).join(', ') : String(v));
    return `${fmt(detail.before)} → ${fmt(detail.after)}`;
  }
  return JSON.stringify(detail);
}

// ---------------------------------------------------------------------------------------------
// Users (admin)

loaders.users = async () => {
  const d = await api('GET', '/api/users');
  $('user-table').tBodies[0].replaceChildren(...d.users.map(userRow));
};

function userRow(u) {
  const role = el('select', { 'aria-label': `role of ${u.name}` }, ...['display', 'manager', 'admin'].map((r) => el('option', { value: r }, r)));
  role.value = u.role;
  const err = el('div', { class: 'error', hidden: true, role: 'alert' });
  const act = async (body) => {
    say(err, '');
    try { await api('POST', `/api/users/${encodeURIComponent(u.name)}`, body); await loaders.users(); } catch (e) { say(err, e.message); }
  };
  role.addEventListener('change', () => act({ role: role.value }));
  const toggle = el('button', { type: 'button', class: 'small secondary' }, u.disabled ? 'Enable' : 'Disable');
  toggle.addEventListener('click', () => act({ disabled: !u.disabled }));
  const reset = el('button', { type: 'button', class: 'small secondary' }, 'New password');
  reset.addEventListener('click', () => {
    const p = prompt(`New password for ${u.name} (at least 10 characters):`);
    if (p) act({ password: p });
  });
  return el('tr', { 'data-user': u.name }, el('td', {}, u.name), el('td', {}, role),
    el('td', {}, u.disabled ? `disabled ${when(u.disabled_at)}` : 'active'), el('td', {}, when(u.last_seen_at)),
    el('td', {}, toggle, reset, err));
}

async function createUser(ev) {
  ev.preventDefault();
  say($('user-error'), '');
  try {
    await api('POST', '/api/users', { name: $('user-name').value.trim(), role: $('user-role').value, password: $('user-password').value });
    $('user-form').reset();
    await loaders.users();
  } catch (err) {
    say($('user-error'), err.message);
  }
}

// ---------------------------------------------------------------------------------------------
// Wall display tokens (admin)

loaders.tokens = async () => {
  const d = await api('GET', '/api/tokens');
  $('token-table').tBodies[0].replaceChildren(...d.tokens.map((t) => {
    const revoke = el('button', { type: 'button', class: 'small secondary' }, 'Revoke');
    revoke.disabled = t.revoked;
    revoke.addEventListener('click', async () => {
      if (!confirm(`Revoke "${t.label}"? Its displays are signed out at once.`)) return;
      try { await api('DELETE', `/api/tokens/${t.id}`); await loaders.tokens(); } catch (e) { revoke.textContent = e.message; }
    });
    return el('tr', { 'data-token': t.id }, el('td', {}, String(t.id)), el('td', {}, t.label),
      el('td', {}, t.revoked ? `revoked ${when(t.revoked_at)} by ${t.revoked_by}` : `${t.sessions} signed-in display${t.sessions === 1 ? '' : 's'}`),
      el('td', {}, `${when(t.created_at)} by ${t.created_by}`), el('td', {}, when(t.last_seen_at)), el('td', {}, revoke));
  }));
};

async function createToken(ev) {
  ev.preventDefault();
  say($('token-error'), '');
  try {
    const t = await api('POST', '/api/tokens', { label: $('token-label').value.trim() });
    $('token-url').textContent = `${location.origin}${t.wall_path}`;
    show($('token-new'), true);
    $('token-form').reset();
    await loaders.tokens();
  } catch (err) {
    say($('token-error'), err.message);
  }
}

// ---------------------------------------------------------------------------------------------
// Server validation errors next to their field. The server's message starts with the field's
// name ("label is required: ...", "contacts[1]: target must be ..."); the input carrying that
// name in data-field gets the message beside it, anything else goes to the form's error box.

function clearFieldErrors(form, box) {
  for (const n of form.querySelectorAll('.field-error')) n.remove();
  for (const n of form.querySelectorAll('[aria-invalid]')) n.removeAttribute('aria-invalid');
  if (box) say(box, '');
}

function showFieldError(form, box, err) {
  const m = /^(?:contacts\[(\d+)\]: )?([a-z_]+)\b/.exec(err.message);
  let scope = form;
  if (m && m[1] !== undefined) scope = form.querySelectorAll('.contact-row')[Number(m[1])] || form;
  const input = m && scope.querySelector(`[data-field="${m[2]}"]`);
  if (!input) { say(box, err.message); return; }
  input.setAttribute('aria-invalid', 'true');
  const note = el('span', { class: 'field-error', role: 'alert' }, err.message);
  (input.closest('label') || input.parentNode).append(note);
  input.focus();
}

// ---------------------------------------------------------------------------------------------
// Partners (admin)

loaders.partners = async () => {
  const d = await api('GET', '/api/partners');
  $('partner-table').tBodies[0].replaceChildren(...d.partners.map(partnerRow));
};

function partnerRow(p) {
  const edit = el('button', { type: 'button', class: 'small secondary' }, 'Edit');
  edit.addEventListener('click', () => {
    clearFieldErrors($('partner-form'), $('partner-error'));
    $('partner-name').value = p.name;
    $('partner-name').readOnly = true;
    $('partner-label').value = p.label;
    $('partner-conninfo').value = '';
    $('partner-conninfo').required = false;
    $('partner-conninfo').placeholder = `unchanged: ${p.conninfo}`;
    $('partner-enabled').checked = p.enabled;
    $('partner-save').textContent = `Save ${p.name}`;
    $('partner-label').focus();
  });
  const err = el('div', { class: 'error', hidden: true, role: 'alert' });
  const toggle = el('button', { type: 'button', class: 'small secondary' }, p.enabled ? 'Disable' : 'Enable');
  toggle.addEventListener('click', async () => {
    say(err, '');
    try {
      await api('POST', '/api/partners', { name: p.name, label: p.label, enabled: !p.enabled });
      await loaders.partners();
    } catch (e) { say(err, e.message); }
  });
  return el('tr', { 'data-partner': p.name }, el('td', {}, p.name), el('td', {}, p.label),
    el('td', { class: 'detail-json' }, p.conninfo), el('td', {}, String(p.feeds)),
    el('td', {}, p.enabled ? 'enabled' : el('span', { class: 'badge off' }, 'disabled')), el('td', {}, edit, toggle, err));
}

function newPartner() {
  $('partner-form').reset();
  clearFieldErrors($('partner-form'), $('partner-error'));
  say($('partner-ok'), '');
  $('partner-name').readOnly = false;
  $('partner-conninfo').required = true;
  $('partner-conninfo').placeholder = 'host=db.example.nhs.uk dbname=partner_acute user=commcell_reader password=…';
  $('partner-save').textContent = 'Save partner';
}

async function savePartner(ev) {
  ev.preventDefault();
  const form = $('partner-form');
  clearFieldErrors(form, $('partner-error'));
  say($('partner-ok'), '');
  const body = { name: $('partner-name').value.trim(), label: $('partner-label').value.trim(), enabled: $('partner-enabled').checked };
  const conninfo = $('partner-conninfo').value.trim();
  if (conninfo || !$('partner-name').readOnly) body.conninfo = conninfo;
  try {
    const r = await api('POST', '/api/partners', body);
    newPartner();
    say($('partner-ok'), `${r.name} ${r.created ? 'added' : 'saved'}: every instance reloads it now.`);
    await loaders.partners();
  } catch (err) {
    showFieldError(form, $('partner-error'), err);
  }
}

// ---------------------------------------------------------------------------------------------
// Rota: managers read it, admins change it

const rota = { people: [] };

function localInput(date) {
  const d = new Date(date.getTime() - date.getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 16);
}

function duration(s) {
  return s % 3600 === 0 ? `${s / 3600} h` : s % 60 === 0 ? `${s / 60} min` : `${s} s`;
}

loaders.rota = async () => {
  const d = await api('GET', '/api/rota');
  const admin = me.role === 'admin';
  rota.people = d.people;
  for (const f of document.querySelectorAll('#tab-rota .admin-only')) show(f, admin);
  fillSelect($('shift-team'), d.teams.map((t) => [t.name, t.label ? `${t.label} (${t.name})` : t.name]));
  fillSelect($('shift-person'), d.people.map((p) => [p.name, p.label ? `${p.label} (${p.name})` : p.name]));
  if (!$('shift-starts').value) {
    const start = new Date(Math.ceil(Date.now() / 3600000) * 3600000);
    $('shift-starts').value = localInput(start);
    $('shift-ends').value = localInput(new Date(start.getTime() + 12 * 3600000));
  }
  const shifts = d.shifts;
  $('shift-table').tBodies[0].replaceChildren(...(shifts.length ? shifts.map((s) => shiftRow(s, admin))
    : [el('tr', {}, el('td', { colspan: 7, class: 'muted' }, 'No shifts in the next 14 days.'))]));
  $('person-table').tBodies[0].replaceChildren(...d.people.map((p) => personRow(p, admin)));
  $('policy-table').tBodies[0].replaceChildren(...d.policies.map((p) => el('tr', {}, el('td', {}, p.name),
    el('td', {}, duration(p.ack_timeout_s)), el('td', {}, duration(p.repeat_s)), el('td', {}, String(p.max_level)),
    el('td', {}, p.notify_resolved ? 'yes' : 'no'))));
};

function shiftRow(s, admin) {
  let del = null;
  if (admin) {
    del = el('button', { type: 'button', class: 'small secondary' }, 'Delete');
    del.addEventListener('click', async () => {
      if (!confirm(`Delete ${s.person}'s shift (${s.team}, level ${s.level}) from ${when(s.starts_at)}?`)) return;
      try { await api('DELETE', `/api/rota/shifts/${s.id}`); await loaders.rota(); } catch (e) { del.textContent = e.message; }
    });
  }
  const kind = s.is_override ? el('span', { class: 'badge override', title: s.reason }, `override${s.reason ? `: ${s.reason}` : ''}`) : 'rota';
  return el('tr', { 'data-shift': s.id, ...(s.is_override ? { class: 'override' } : {}) }, el('td', {}, s.team), el('td', {}, String(s.level)),
    el('td', {}, s.person), el('td', {}, when(s.starts_at)), el('td', {}, when(s.ends_at)), el('td', {}, kind), el('td', {}, del));
}

async function addShift(ev) {
  ev.preventDefault();
  const form = $('shift-form');
  clearFieldErrors(form, $('shift-error'));
  // the browser's local time, sent with its zone as ISO 8601 (UTC)
  const isoOf = (id) => { const t = new Date($(id).value); return Number.isNaN(t.getTime()) ? $(id).value : t.toISOString(); };
  const body = { team: $('shift-team').value, level: Number($('shift-level').value), person: $('shift-person').value,
    starts_at: isoOf('shift-starts'), ends_at: isoOf('shift-ends'), is_override: $('shift-override').checked,
    reason: $('shift-reason').value.trim() };
  try {
    await api('POST', '/api/rota/shifts', body);
    $('shift-reason').value = '';
    $('shift-override').checked = false;
    await loaders.rota();
  } catch (err) {
    showFieldError(form, $('shift-error'), err);
  }
}

function contactText(c) {
  return `${c.channel}: ${c.target}${c.has_secret ? ' (signed)' : ''}${c.enabled === false ? ' (off)' : ''}`;
}

function personRow(p, admin) {
  let edit = null;
  if (admin) {
    edit = el('button', { type: 'button', class: 'small secondary' }, 'Edit');
    edit.addEventListener('click', () => editPerson(p));
  }
  return el('tr', { 'data-person': p.name }, el('td', {}, p.name), el('td', {}, p.label),
    el('td', {}, ...(p.contacts.length ? p.contacts.map((c) => el('div', {}, contactText(c))) : [el('span', { class: 'muted' }, 'none')])),
    el('td', {}, edit));
}

function contactRow(c = {}) {
  const channel = el('select', { 'data-field': 'channel' }, ...['email', 'webhook', 'exec'].map((x) => el('option', { value: x }, x)));
  channel.value = c.channel || 'email';
  const target = el('input', { 'data-field': 'target', size: 40, value: c.target || '',
    placeholder: 'name@example.org · https://… · ["/usr/local/bin/page", "--to", "…"]' });
  const secret = el('input', { 'data-field': 'secret', type: 'password', size: 16, autocomplete: 'new-password',
    placeholder: c.has_secret ? 'set: type to replace' : 'optional' });
  const remove = el('button', { type: 'button', class: 'small secondary' }, 'Remove');
  const row = el('div', { class: 'inline-form contact-row' }, el('label', {}, 'Channel ', channel),
    el('label', {}, 'Target ', target), el('label', {}, 'Signing secret ', secret), remove);
  row.hadSecret = !!c.has_secret;
  remove.addEventListener('click', () => row.remove());
  return row;
}

function editPerson(p) {
  const form = $('person-form');
  clearFieldErrors(form, $('person-error'));
  $('person-name').value = p ? p.name : '';
  $('person-name').readOnly = !!p;
  $('person-label').value = p ? p.label : '';
  $('person-contacts').replaceChildren(...(p ? p.contacts.map(contactRow) : []));
  if (p) $('person-label').focus(); else $('person-name').focus();
}

async function savePerson(ev) {
  ev.preventDefault();
  const form = $('person-form');
  clearFieldErrors(form, $('person-error'));
  const rows = [...form.querySelectorAll('.contact-row')];
  if (rows.some((r) => r.hadSecret && !r.querySelector('[data-field="secret"]').value)) {
    // secrets never come back from the server: saving replaces the contacts, so ask for them again
    say($('person-error'), 'A contact had a signing secret: type it again (secrets are never shown), or remove it.');
    return;
  }
  const contacts = rows.map((r) => {
    const v = (f) => r.querySelector(`[data-field="${f}"]`).value.trim();
    const c = { channel: v('channel'), target: v('target') };
    if (v('secret')) c.secret = v('secret');
    return c;
  });
  try {
    await api('POST', '/api/rota/people', { name: $('person-name').value.trim(), label: $('person-label').value.trim(), contacts });
    editPerson(null);
    await loaders.rota();
  } catch (err) {
    showFieldError(form, $('person-error'), err);
  }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  $('signin-form').addEventListener('submit', signIn);
  $('signout').addEventListener('click', signOut);
  $('blocked-signout').addEventListener('click', signOut);
  $('tabs').addEventListener('click', (ev) => { const b = ev.target.closest('button[data-tab]'); if (b) openTab(b.dataset.tab); });
  $('tabs').addEventListener('keydown', tabKeys);
  $('detail-back').addEventListener('click', backToBoard);
  $('filter-partner').addEventListener('change', () => { refreshPickers(); applyFilter(); });
  $('filter-site').addEventListener('change', applyFilter);
  $('th-form').addEventListener('submit', saveThresholds);
  $('th-clear').addEventListener('click', clearOverride);
  $('user-form').addEventListener('submit', createUser);
  $('token-form').addEventListener('submit', createToken);
  $('partner-form').addEventListener('submit', savePartner);
  $('partner-new').addEventListener('click', newPartner);
  $('shift-form').addEventListener('submit', addShift);
  $('person-form').addEventListener('submit', savePerson);
  $('person-new').addEventListener('click', () => editPerson(null));
  $('person-add-contact').addEventListener('click', () => $('person-contacts').append(contactRow()));
  $('silence-form').addEventListener('submit', addSilence);
  $('audit-more').addEventListener('click', () => loaders.audit(true));
  setupGoals();
  setupActions();
  setupReport();
  onGoalsChanged(() => { if (detail.entry) loadChart().catch((err) => say($('chart-note'), err.message)); });
  for (const b of document.querySelectorAll('[data-range]')) {
    b.addEventListener('click', () => {
      detail.range = Number(b.dataset.range);
      for (const o of document.querySelectorAll('[data-range]')) o.setAttribute('aria-pressed', String(o === b));
      if (detail.entry) loadChart().catch((err) => say($('chart-note'), err.message));
    });
  }
  try {
    await whoami();
  } catch (err) {
    $('signin-error').textContent = `commcell is not answering: ${err.message}`;
    show($('signin-error'), true);
  }
  if (me.kind === 'anonymous') {
    setView('signin');
    $('signin-user').focus();
  } else {
    enter();
  }
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', main, { once: true });
} else {
  main();
}
