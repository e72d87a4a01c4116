// commcell board: one live picture of the unplanned-care pathway, shared by the wall display
// (wall.js) and the manager view (manager.js).
//
// Speaks the WebSocket protocol commcell.v1 (docs/protocol.md): the server sends a `snapshot`,
// then `delta`s with consecutive `seq`, and a `heartbeat` every 10 s. This module keeps the
// board's state, draws it as one column per pathway stage and keeps the connection alive.
// It is plain ES2020 with no dependencies and no build step; the page provides the elements it
// looks up by id (board, board-empty, banner, partners, freshness, clock, level) and calls
// startBoard() once it may connect (the WebSocket needs a session cookie or an anonymous board).

import { judge, localDay } from './trajectory.js';

const SUBPROTOCOL = 'commcell.v1';
const BACKOFF_MIN_MS = 500;
const BACKOFF_MAX_MS = 10000;
const WATCHDOG_MS = 30000;      // no message for this long: the connection is dead
const SKEW_IGNORED_MS = 3000;   // clock differences below this are not corrected
// How long a tile that turns red pulses, and how long a changed value glows, is in wall.css.

const STATUS = {
  red:   { text: 'RED',   icon: 'triangle' },
  amber: { text: 'AMBER', icon: 'diamond' },
  error: { text: 'ERROR', icon: 'cross' },
  stale: { text: 'STALE', icon: 'hourglass' },
  green: { text: 'OK',    icon: 'circle' },
};
const UNKNOWN_STATUS = { text: '?', icon: 'cross' };

const PARTNER_STATE = {
  ok:         { text: 'ok',         icon: 'circle' },
  connecting: { text: 'connecting', icon: 'hourglass' },
  backoff:    { text: 'retrying',   icon: 'hourglass' },
  failing:    { text: 'failing',    icon: 'cross' },
};

// ---------------------------------------------------------------------------------------------
// Formatting

const timeFmt = new Intl.DateTimeFormat('en-GB', {
  hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false,
});
const hmFmt = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', hour12: false });
const dayFmt = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short' });
const numFmts = new Map();

function numberFormat(decimals) {
  const d = Number.isInteger(decimals) && decimals >= 0 && decimals <= 6 ? decimals : 0;
  let f = numFmts.get(d);
  if (!f) {
    f = new Intl.NumberFormat('en-GB', { minimumFractionDigits: d, maximumFractionDigits: d });
    numFmts.set(d, f);
  }
  return f;
}

function formatNumber(value, decimals) {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '—';
  return numberFormat(decimals).format(value);
}

// "1 s", "5 min", "3 h": a compact age for people.
function formatAge(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h`;
  return `${Math.floor(h / 24)} days`;
}

// When a value was true: "just now", "5 min ago" within the hour, "at 14:02" today,
// "25 Nov 14:02" before that. `compact` is for narrow tiles: "now", "5m ago", "14:02".
function formatObserved(iso, now, compact) {
  if (!iso) return '';
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return '';
  const age = now - t;
  const at = compact ? '' : 'at ';
  if (age < -60000) return `${at}${hmFmt.format(t)}`;
  if (age < 60000) return compact ? 'now' : 'just now';
  if (age < 3600000) return compact ? `${Math.floor(age / 60000)}m ago` : `${Math.floor(age / 60000)} min ago`;
  const then = new Date(t);
  const today = new Date(now);
  if (then.toDateString() === today.toDateString()) return `${at}${hmFmt.format(t)}`;
  return `${dayFmt.format(t)} ${hmFmt.format(t)}`;
}

// ---------------------------------------------------------------------------------------------
// Icons: drawn as SVG so that the status shapes do not depend on the fonts of the screen.

const SVG_NS = 'http://www.w3.org/2000/svg';
const ICON_PATHS = {
  triangle:  'M12 2 L23 21 H1 Z',
  diamond:   'M12 1 L23 12 L12 23 L1 12 Z',
  circle:    'M12 2 A10 10 0 1 1 11.99 2 Z',
  hourglass: 'M4 2 H20 V5 L14 12 L20 19 V22 H4 V19 L10 12 L4 5 Z',
  cross:     'M5 2 L12 9 L19 2 L22 5 L15 12 L22 19 L19 22 L12 15 L5 22 L2 19 L9 12 L2 5 Z',
  // against a trajectory: on it (pointing up), off it (down), no figure to judge (a bar)
  up:        'M12 3 L23 21 H1 Z',
  down:      'M1 3 H23 L12 21 Z',
  bar:       'M2 9 H22 V15 H2 Z',
};
const TRAJ_ICON = { on: 'up', off: 'down', none: 'bar' };

function makeIcon(name) {
  const svg = document.createElementNS(SVG_NS, 'svg');
  svg.setAttribute('viewBox', '0 0 24 24');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', 'icon');
  const path = document.createElementNS(SVG_NS, 'path');
  path.setAttribute('d', ICON_PATHS[name] || ICON_PATHS.cross);
  svg.appendChild(path);
  return svg;
}

function setIcon(svg, name) {
  if (svg.dataset.icon === name) return;
  svg.dataset.icon = name;
  svg.firstChild.setAttribute('d', ICON_PATHS[name] || ICON_PATHS.cross);
}

function el(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function setText(node, text) {
  if (node.textContent !== text) node.textContent = text;
}

// ---------------------------------------------------------------------------------------------
// State. Everything here is bounded by the size of the board: one entry per metric and site,
// one DOM node per entry, one column per stage, one chip per partner.

const state = {
  seq: null,
  stages: new Map(),     // key -> {key, label, position}
  partners: new Map(),   // name -> {name, label, state, reason}
  entries: new Map(),    // partner|key|site -> entry
  level: null,           // {level, label} or null
  alerts: [],            // pending and firing alerts, and those resolved in the last hour
  goals: [],             // every agreed goal (commcell.goal_json), replaced whole by `goals`
  actions: [],           // open and in-progress actions (commcell.action_json), replaced whole
  connection: 'connecting',
  today: null,           // YYYY-MM-DD, Europe/London, by the server's clock (set by the tick)
  lastMessageAt: 0,      // Date.now() of the last message of any type
  skewMs: 0,             // server clock minus ours, from server_time
};

const ui = {
  board: null, empty: null, banner: null, partners: null, freshness: null, clock: null, level: null,
  alerts: null,
  tiles: new Map(),      // entry id -> tile record
  columns: new Map(),    // stage key -> column record
  chips: new Map(),      // partner name -> chip record
  layoutWanted: false,
  sorted: [],            // [{column, tiles:[tile...]}] in screen order, rebuilt on structure change
};

// What the page asked for in startBoard().
const options = {
  filter: null,          // entry -> boolean: which tiles to show (drill-down); null shows all
  onTileClick: null,     // entry -> void: a tile was chosen (manager view)
  onLost: null,          // () -> void: the connection failed (the page may check its session)
  labels: 'full',        // 'short': tiles and partner names use the wall's short labels
  paging: false,         // true: a board too big to read at the floor size pages (the wall)
  dwellMs: 20000,        // how long each page is shown
};

function entryId(e) {
  return `${e.partner}|${e.key}|${e.site}`;
}

function now() {
  return Date.now() + state.skewMs;
}

function partnerLabel(name) {
  const p = state.partners.get(name);
  if (!p) return name;
  return (options.labels === 'short' && p.short_label) || p.label || name;
}

function metricLabel(e) {
  return (options.labels === 'short' && e.short_label) || e.label || e.key;
}

// ---------------------------------------------------------------------------------------------
// Tiles

function createTile(id) {
  // A tile that can be chosen is a button (ARIA allows no button role on an article).
  const node = el(options.onTileClick ? 'div' : 'article', 'tile');
  const label = el('div', 't-label');
  const sub = el('div', 't-sub');
  const reason = el('div', 't-reason');
  const main = el('div', 't-main');
  const value = el('div', 'value');
  const num = el('span', 'v-num');
  const unit = el('span', 'v-unit');
  const lastKnown = el('div', 't-lastknown', 'last known');
  value.append(num, unit);
  main.append(value, lastKnown);
  const foot = el('div', 't-foot');
  const badge = el('span', 'badge');
  const icon = makeIcon('circle');
  const badgeText = el('span', 'b-text');
  badge.append(icon, badgeText);
  const time = el('span', 't-time');
  foot.append(badge, time);
  // Against the goal agreed for this series, when there is one: in words, shape and colour.
  const traj = el('div', 't-traj');
  const trajIcon = makeIcon('bar');
  const trajText = el('span', 'tj-text');
  traj.append(trajIcon, trajText);
  traj.hidden = true;
  // The last hours as a faint line behind the value (absolutely placed: the layout ignores it).
  const spark = document.createElementNS(SVG_NS, 'svg');
  spark.setAttribute('class', 't-spark');
  spark.setAttribute('viewBox', '0 0 100 20');
  spark.setAttribute('preserveAspectRatio', 'none');
  spark.setAttribute('aria-hidden', 'true');
  const line = document.createElementNS(SVG_NS, 'polyline');
  spark.appendChild(line);
  node.append(spark, label, sub, reason, main, traj, foot);
  if (options.onTileClick) {
    node.tabIndex = 0;
    node.setAttribute('role', 'button');
    const choose = () => { const t = ui.tiles.get(id); if (t && t.entry) options.onTileClick(t.entry); };
    node.addEventListener('click', choose);
    node.addEventListener('keydown', (ev) => { if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); choose(); } });
  }
  node.addEventListener('animationend', (ev) => {
    if (ev.animationName === 'cc-red-flash') node.classList.remove('flash-red');
  });
  value.addEventListener('animationend', (ev) => {
    if (ev.animationName === 'cc-changed') value.classList.remove('changed');
  });
  return {
    id, node, label, sub, reason, main, value, num, unit, lastKnown, foot, badge, icon, badgeText, time,
    traj, trajIcon, trajText, spark, line, sparkAt: 0,
    column: null, entry: null, valueText: null,
  };
}

function restartAnimation(node, cls) {
  node.classList.remove(cls);
  void node.offsetWidth; // restart the CSS animation
  node.classList.add(cls);
}

// Draw one entry into its tile. `prev` is the entry as it was before (undefined for a new tile
// or the first snapshot), used to decide whether to draw attention to the change.
function renderTile(t, e, prev, animate) {
  const status = typeof e.status === 'string' ? e.status : 'unknown';
  const d = t.node.dataset;
  if (d.key !== e.key) d.key = e.key;
  if (d.site !== e.site) d.site = e.site;
  if (d.partner !== e.partner) d.partner = e.partner;
  if (d.stage !== e.stage) d.stage = e.stage;
  if (d.status !== status) d.status = status;
  const rawValue = typeof e.value === 'number' ? String(e.value) : '';
  if (d.value !== rawValue) d.value = rawValue;

  setText(t.label, metricLabel(e));
  const fullLabel = `${e.label || e.key} (${e.key})`;
  if (t.label.title !== fullLabel) t.label.title = fullLabel;
  setText(t.sub, subLine(e));

  const reason = tileReason(e, status);
  setText(t.reason, reason.text);
  if (t.reason.title !== reason.full) t.reason.title = reason.full;
  t.reason.hidden = reason.text === '';

  const numText = formatNumber(e.value, e.decimals);
  const unit = typeof e.unit === 'string' ? e.unit : '';
  const hasValue = numText !== '—';
  setText(t.num, numText);
  setText(t.unit, hasValue && unit ? (unit === '%' ? '%' : ` ${unit}`) : '');
  t.lastKnown.hidden = !(hasValue && (status === 'error' || status === 'stale'));
  setText(t.lastKnown, status === 'error' ? 'last known' : 'last value');

  renderBadge(t, e, now());

  const valueText = numText + t.unit.textContent;
  const valueChanged = t.valueText !== null && t.valueText !== valueText;
  t.valueText = valueText;
  t.entry = e;
  const sizeKey = `${valueText}|${status}`;
  if (t.sizeKey !== sizeKey) {
    t.sizeKey = sizeKey;
    sizeValue(t);
  }
  renderTime(t, now());
  if (renderTrajectory(t)) requestLayout();
  // A line that comes or goes (a reason, a pending status, a caption) changes the room left
  // for the rest of the tile: measure again.
  const shape = `${t.reason.hidden}|${t.node.dataset.pending || ''}|${t.lastKnown.hidden}|${t.label.textContent}|${t.sub.textContent}`;
  if (t.shape !== undefined && t.shape !== shape) requestLayout();
  t.shape = shape;
  checkFoot(t);

  if (animate && prev) {
    if (status === 'red' && prev.status !== 'red') {
      restartAnimation(t.node, 'flash-red');
    } else if (valueChanged || prev.status !== status) {
      restartAnimation(t.value, 'changed');
    }
  }
}

// Today as the trajectories count days: the local day in Europe/London by the server's clock.
function today() {
  if (state.today === null) state.today = localDay(now());
  return state.today;
}

// The tile's line against its goal's trajectory. Returns true when the tile needs measuring
// again: the line came or went, or its words grew longer than they were when last measured.
function renderTrajectory(t) {
  const goal = goalFor(t.entry);
  const wasHidden = t.traj.hidden;
  if (!goal) {
    t.traj.hidden = true;
    delete t.traj.dataset.traj;
    return !wasHidden;
  }
  const j = judge(goal, t.entry, today());
  setIcon(t.trajIcon, TRAJ_ICON[j.state]);
  setText(t.trajText, j.words);
  if (t.traj.dataset.traj !== j.state) t.traj.dataset.traj = j.state;
  t.traj.hidden = false;
  return wasHidden || (t.trajLen !== undefined && j.words.length > t.trajLen);
}

function renderTime(t, nowMs) {
  setText(t.time, formatObserved(t.entry && t.entry.observed_at, nowMs, geom.compact));
}

function subLine(e) {
  const who = partnerLabel(e.partner);
  return e.site ? `${e.site} · ${who}` : who;
}

// Why a tile is not to be trusted, if it is not: {text on the tile, full text}. On the wall the
// tile says it in a few words; the whole reason is in its title and, for a failing feed, on the
// feeds strip at the bottom.
function tileReason(e, status) {
  const short = options.labels === 'short';
  if (status === 'stale' || status === 'error' || !STATUS[status]) {
    const full = e.reason || (status === 'stale' ? 'no recent value' : 'feed problem');
    if (!short) return { text: full, full };
    if (status === 'stale') return { text: /yet/.test(full) ? 'no value yet' : 'no new value', full };
    return { text: status === 'error' ? 'feed failing' : 'unknown status', full };
  }
  if (e.rejected && typeof e.rejected.reason === 'string') {
    const full = `last row refused: ${e.rejected.reason}`;
    return { text: short ? 'last row refused' : full, full };
  }
  return { text: '', full: '' };
}

// A worse status waiting out its minimum duration: {status, at (ms, or null)} or null.
function pendingOf(e) {
  const p = e && e.pending;
  if (!p || typeof p.status !== 'string' || !STATUS[p.status]) return null;
  const at = Date.parse(p.shows_at);
  return { status: p.status, at: Number.isFinite(at) ? at : null };
}

function formatLeft(ms) {
  const s = Math.ceil(ms / 1000);
  if (s <= 0) return 'now';
  if (s < 120) return `in ${s} s`;
  return `in ${Math.ceil(s / 60)} min`;
}

// The status a tile's badge shows. A worse status waiting out its minimum duration takes the
// badge at once, with the time left ("RED in 40 s"): a value past a line never reads as OK.
// The tile keeps the colour of the status in force (docs/protocol.md).
function renderBadge(t, e, nowMs) {
  const status = typeof e.status === 'string' ? e.status : 'unknown';
  const pend = (status === 'green' || status === 'amber') ? pendingOf(e) : null;
  const st = STATUS[pend ? pend.status : status] || UNKNOWN_STATUS;
  const text = pend ? `${st.text} ${pend.at === null ? 'soon' : formatLeft(pend.at - nowMs)}` : st.text;
  setIcon(t.icon, st.icon);
  setText(t.badgeText, text);
  const pendingAttr = pend ? pend.status : '';
  if ((t.node.dataset.pending || '') !== pendingAttr) {
    if (pendingAttr) t.node.dataset.pending = pendingAttr; else delete t.node.dataset.pending;
  }
  const aria = pend ? `status ${STATUS[status].text}, turning ${st.text} ${text.slice(st.text.length + 1)} if it holds`
    : `status ${st.text}`;
  if (t.badge.getAttribute('aria-label') !== aria) t.badge.setAttribute('aria-label', aria);
}

// ---------------------------------------------------------------------------------------------
// Layout: every tile has the same size; each stage gets as many sub-columns as it needs,
// choosing the split that gives the largest tiles. The text is then measured: the base font
// size shrinks until every label, line and heading fits whole (nothing is cut or ends in an
// ellipsis). On the wall it may not shrink below a size readable across the room: a board
// that cannot fit at that size is split into pages of whole stages that take turns.

const REF_W = 240;   // a comfortable tile at 1080p, in px; only the ratio matters
const REF_H = 150;
const geom = { u: 16, tileW: 240, tileH: 150, gap: 8, compact: false };
const FIT_STEPS = 7;            // halvings of the interval of base sizes searched
const TINY_UNIT = 6;            // below the floor only when nothing else fits, never below this
const MAX_PLAN_STAGES = 14;     // beyond this many stages, pages are cut greedily

// The wall's pages: lists of indexes into ui.sorted, the one shown and when the next is due.
const pages = { list: [], index: 0, timer: 0, shownKey: null };

function requestLayout() {
  if (ui.layoutWanted) return;
  ui.layoutWanted = true;
  requestAnimationFrame(() => {
    ui.layoutWanted = false;
    arrange();
    layout();
  });
}

function compareEntries(a, b) {
  const pa = Number.isFinite(a.position) ? a.position : 0;
  const pb = Number.isFinite(b.position) ? b.position : 0;
  if (pa !== pb) return pa - pb;
  const la = a.label || a.key, lb = b.label || b.key;
  if (la !== lb) return la < lb ? -1 : 1;
  if (a.site !== b.site) return a.site < b.site ? -1 : 1;
  if (a.partner !== b.partner) return a.partner < b.partner ? -1 : 1;
  return 0;
}

function stageInfo(key) {
  const s = state.stages.get(key);
  if (s) return s;
  return { key, label: key, position: Number.MAX_SAFE_INTEGER };
}

// Put columns and tiles in order. Existing nodes are moved, never recreated.
function arrange() {
  const groups = new Map();
  for (const e of state.entries.values()) {
    if (options.filter && !options.filter(e)) {
      const t = ui.tiles.get(entryId(e));
      if (t) { t.node.remove(); t.column = null; }
      continue;
    }
    let g = groups.get(e.stage);
    if (!g) { g = []; groups.set(e.stage, g); }
    g.push(e);
  }
  const order = [...groups.keys()].map(stageInfo).sort((a, b) =>
    (a.position - b.position) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

  // Columns of stages that have no metric any more collapse: their nodes go.
  for (const [key, col] of ui.columns) {
    if (!groups.has(key)) { col.node.remove(); ui.columns.delete(key); }
  }
  const sorted = [];
  for (const s of order) {
    let col = ui.columns.get(s.key);
    if (!col) {
      const node = el('section', 'stage');
      const head = el('h2', 'stage-label');
      const headText = el('span', 'stage-label-text');
      head.appendChild(headText);
      const tiles = el('div', 'stage-tiles');
      node.append(head, tiles);
      col = { key: s.key, node, headBox: head, head: headText, tiles };
      ui.columns.set(s.key, col);
    }
    col.node.dataset.stage = s.key;
    col.node.dataset.position = String(s.position === Number.MAX_SAFE_INTEGER ? '' : s.position);
    setText(col.head, s.label);
    ui.board.appendChild(col.node);
    const entries = groups.get(s.key).sort(compareEntries);
    const tiles = [];
    for (const e of entries) {
      const t = ui.tiles.get(entryId(e));
      col.tiles.appendChild(t.node);
      t.column = col;
      tiles.push(t);
    }
    sorted.push({ column: col, tiles });
  }
  ui.sorted = sorted;
  ui.empty.hidden = sorted.length > 0;
  if (sorted.length === 0) {
    ui.empty.textContent = state.seq === null ? 'Connecting to commcell…'
      : options.filter && state.entries.size ? 'Nothing matches this selection.' : 'No metrics are configured yet.';
  }
}

// The board's inner size, or null while it has none.
function boardBox() {
  const board = ui.board;
  const cs = getComputedStyle(board);
  const W = board.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight);
  const H = board.clientHeight - parseFloat(cs.paddingTop) - parseFloat(cs.paddingBottom);
  return W > 0 && H > 0 ? { W, H } : null;
}

// The base font size of a tile: everything inside is in em of this.
function unitFor(tileW, tileH, boardH) {
  return Math.max(9, Math.min(tileH / 8.8, tileW / 11, boardH / 24));
}

// The smallest base font size the wall may use: its labels stay readable from a few metres
// (about 17 px on a 1080-line screen, 35 px on a 2160-line one).
function floorUnit() {
  return options.paging ? Math.max(11, window.innerHeight * 0.016) : 9;
}

// The split into sub-columns that gives the largest tiles for stages of these tile counts.
function gridFor(counts, box) {
  const { W, H } = box;
  const gap = Math.max(3, Math.round(Math.min(W, H * 16 / 9) * 0.004));
  const colGap = gap * 2;
  const maxN = Math.max(...counts);
  let best = null;
  let headH = Math.round(H * 0.05);
  // Each stage has a heading over its tiles, sized with the tiles; two passes settle it.
  for (let pass = 0; pass < 2; pass++) {
    best = null;
    for (let rows = 1; rows <= maxN; rows++) {
      const cols = counts.map((n) => Math.ceil(n / rows));
      // rows that are not needed by any stage are wasted height: skip those splits
      if (Math.max(...counts.map((n, i) => Math.ceil(n / cols[i]))) < rows) continue;
      const C = cols.reduce((a, b) => a + b, 0);
      const tileW = (W - gap * (C - counts.length) - colGap * (counts.length - 1)) / C;
      const tileH = (H - headH - gap * rows) / rows;
      if (tileW <= 0 || tileH <= 0) continue;
      const score = Math.min(tileW / REF_W, tileH / REF_H);
      if (!best || score > best.score + 1e-9) best = { score, rows, cols, tileW, tileH };
    }
    if (!best) return null;
    headH = Math.round(unitFor(best.tileW, best.tileH, H) * 2.9);
  }
  // The last pass's tiles were sized for the heading before it: they take what the final
  // heading leaves, or a taller heading would push the last row off the board.
  best.tileH = (H - headH - gap * best.rows) / best.rows;
  if (best.tileH <= 0) return null;
  best.headH = headH;
  best.gap = gap;
  best.colGap = colGap;
  best.u = unitFor(best.tileW, best.tileH, H);
  return best;
}

// Pages of whole stages, in order, each as large as the floor allows: the fewest pages (at
// least `min`) whose smallest estimated base font size reaches the floor.
function planPages(counts, box, min) {
  const S = counts.length;
  const floor = floorUnit();
  const all = [counts.map((_, i) => i)];
  if (!options.paging || S <= 1) return all;
  const unitOf = (idx) => {
    const g = gridFor(idx.map((i) => counts[i]), box);
    return g ? g.u : 0;
  };
  for (let P = Math.max(1, min); P <= S; P++) {
    let best = null;
    if (S <= MAX_PLAN_STAGES) {
      // every way of cutting the stages into P runs; C(S-1, P-1) of them, at most a few thousand
      const cuts = (start, left) => {
        if (left === 1) return [[start]];
        const out = [];
        for (let c = start + 1; c <= S - left + 1; c++) {
          for (const rest of cuts(c, left - 1)) out.push([start, ...rest]);
        }
        return out;
      };
      for (const starts of cuts(0, P)) {
        const plan = starts.map((s, i) => counts.map((_, k) => k).slice(s, i + 1 < P ? starts[i + 1] : S));
        const u = Math.min(...plan.map(unitOf));
        if (!best || u > best.u + 1e-9) best = { u, plan };
      }
    } else {
      // many stages: cut where the running tile count passes each P-th of the whole
      const total = counts.reduce((a, b) => a + b, 0);
      const plan = [[]];
      let run = 0;
      counts.forEach((n, i) => {
        if (plan[plan.length - 1].length && run + n / 2 > total * plan.length / P && plan.length < P) plan.push([]);
        plan[plan.length - 1].push(i);
        run += n;
      });
      best = { u: Math.min(...plan.map(unitOf)), plan };
    }
    if (best.u >= floor || P === S) return best.plan;
  }
  return all;
}

// Lay the board out: plan the pages, check that each one's text fits, show the current one.
function layout() {
  const box = boardBox();
  if (!box || ui.sorted.length === 0) {
    showPageIndicator();
    return;
  }
  const counts = ui.sorted.map((g) => g.tiles.length);
  let plan = planPages(counts, box, 1);
  // The estimate counts tiles, not words: a page whose text does not fit at the floor means
  // one more page. Each page is tried in turn (a few layouts each, and only when the board's
  // structure or size changes).
  while (options.paging && plan.length < counts.length && !plan.every((page) => fitPage(page, box, true))) {
    plan = planPages(counts, box, plan.length + 1);
  }
  pages.list = plan;
  // stay on the page that starts with the same stage, if there is one
  const again = plan.findIndex((p) => ui.sorted[p[0]].column.key === pages.shownKey);
  pages.index = again >= 0 ? again : Math.min(pages.index, plan.length - 1);
  showPage(pages.index, box);
  // a layout (a new metric, a resize) does not restart the current page's dwell
  if (!pages.timer || pages.list.length <= 1) schedulePageTurn();
}

function showPage(index, box) {
  const page = pages.list[index] || [];
  pages.shownKey = page.length ? ui.sorted[page[0]].column.key : null;
  const on = new Set(page);
  ui.sorted.forEach((g, i) => { g.column.node.hidden = !on.has(i); });
  fitPage(page, box || boardBox());
  showPageIndicator();
}

function showPageIndicator() {
  const ind = ui.pageIndicator;
  if (!ind) return;
  const n = pages.list.length;
  ind.hidden = n <= 1;
  setText(ind, n > 1 ? `Page ${pages.index + 1} / ${n}` : '');
  ind.dataset.page = String(pages.index + 1);
  ind.dataset.pages = String(n);
}

function schedulePageTurn() {
  if (pages.timer) { clearTimeout(pages.timer); pages.timer = 0; }
  if (pages.list.length <= 1) return;
  pages.timer = setTimeout(() => {
    pages.timer = 0;
    if (pages.list.length <= 1) return;
    pages.index = (pages.index + 1) % pages.list.length;
    showPage(pages.index);
    schedulePageTurn();
  }, options.dwellMs);
}

// Size one page's grid and find the largest base font size at which its text fits. Returns
// false when the text does not fit even at the floor (the page is left at the floor). quick:
// only whether it fits at the floor, leaving the page half done (for planning).
function fitPage(page, box, quick = false) {
  if (!box || page.length === 0) return true;
  const groups = page.map((i) => ui.sorted[i]);
  const on = new Set(page);
  ui.sorted.forEach((g, i) => { g.column.node.hidden = !on.has(i); });
  const best = gridFor(groups.map((g) => g.tiles.length), box);
  if (!best) return true;
  const board = ui.board;
  geom.tileW = best.tileW;
  geom.tileH = best.tileH;
  geom.gap = best.gap;
  board.style.setProperty('--gap', `${best.gap}px`);
  board.style.setProperty('--col-gap', `${best.colGap}px`);
  board.style.setProperty('--head-h', `${best.headH}px`);
  board.style.setProperty('--tile-h', `${Math.floor(best.tileH)}px`);
  groups.forEach((g, i) => {
    const c = best.cols[i];
    const width = Math.floor(c * best.tileW + (c - 1) * best.gap);
    g.column.node.style.width = `${width}px`;
    g.column.tiles.style.gridTemplateColumns = `repeat(${c}, 1fr)`;
  });
  const floor = Math.min(floorUnit(), best.u);
  const tryUnit = (x) => { setUnit(x, best); return textFits(groups, x); };
  // Planning pages only asks whether the page fits at the floor: one layout.
  if (quick) return tryUnit(floor);
  // Otherwise the largest size that fits, by halving the interval: a few layouts, each of the
  // page's tiles at once (text fits better at a smaller size, so the search is sound).
  let u = best.u;
  let fits = tryUnit(u);
  if (!fits) {
    let lo = floor, hi = u;
    fits = tryUnit(lo);
    if (!fits) {
      // Not even at the floor, with no page left to split off (one stage of very many tiles):
      // smaller text is better than cut text.
      hi = lo;
      lo = TINY_UNIT;
      fits = tryUnit(lo);
    }
    for (let step = 0; fits && step < FIT_STEPS && hi - lo > 0.25; step++) {
      const mid = (lo + hi) / 2;
      if (tryUnit(mid)) lo = mid; else hi = mid;
    }
    u = lo;
    if (fits) tryUnit(u);
  }
  // The heading was sized for the largest base size; at a smaller one, its spare height goes
  // to the tiles (more room can only help the text).
  const headH = Math.round(u * 2.9);
  if (headH < best.headH) {
    const tileH = best.tileH + (best.headH - headH) / best.rows;
    geom.tileH = tileH;
    board.style.setProperty('--head-h', `${headH}px`);
    board.style.setProperty('--tile-h', `${Math.floor(tileH)}px`);
  }
  for (const g of groups) for (const t of g.tiles) measureMain(t);
  // the estimate of a number's width is generous; where a font is wider still, bring it in
  const tiles = groups.flatMap((g) => g.tiles);
  const widths = tiles.map((t) => [t.value.scrollWidth, t.lastKnown.hidden ? 0 : t.lastKnown.offsetWidth]);
  tiles.forEach((t, i) => {
    const [w, beside] = widths[i];
    const room = t.room.w - beside * 1.1;
    if (w > room && w > 0) {
      t.value.style.fontSize = `${Math.floor(parseFloat(t.value.style.fontSize) * room / w * 0.97 * 10) / 10}px`;
    }
  });
  return fits;
}

function setUnit(u, best) {
  geom.u = u;
  geom.compact = best.tileW / u < 13;
  ui.board.style.setProperty('--u', `${u.toFixed(2)}px`);
  const n = now();
  for (const t of ui.tiles.values()) {
    renderTime(t, n);
    // the number is sized after the text around it; meanwhile it must not push the text out
    t.value.style.fontSize = `${u.toFixed(1)}px`;
  }
}

// Whether every heading and every line of every tile on these columns is shown whole at base
// font size u, leaving room for a number of a readable size.
function textFits(groups, u) {
  const over = (e) => e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1;
  for (const g of groups) {
    if (over(g.column.headBox)) return false;
    for (const t of g.tiles) {
      if (over(t.node) || over(t.label) || over(t.sub) || over(t.foot)) return false;
      if (!t.reason.hidden && over(t.reason)) return false;
      if (!t.lastKnown.hidden && over(t.lastKnown)) return false;
      if (!t.traj.hidden && over(t.traj)) return false;
      if (t.main.clientHeight < u * 1.6 * 1.22) return false;
    }
  }
  return true;
}

// The room the number has, read once per layout so that updates need no measuring.
function measureMain(t) {
  t.room = { w: t.main.clientWidth, h: t.main.clientHeight };
  t.footLen = t.foot.textContent.length;
  t.trajLen = t.traj.hidden ? 0 : t.trajText.textContent.length;
  sizeValue(t);
}

// The bottom line's words change with time ("RED in 9 s", "5 min ago"): a longer one may need
// a second line, and so a new layout.
function checkFoot(t) {
  if (t.footLen !== undefined && t.foot.textContent.length > t.footLen) {
    t.footLen = t.foot.textContent.length;
    requestLayout();
  }
}

// The big number is as large as its room allows, estimated from its characters so that no
// measuring (and no forced layout) is needed on every update.
function sizeValue(t) {
  const { u, tileW, tileH } = geom;
  const e = t.entry;
  const status = e ? e.status : 'stale';
  const quiet = status === 'stale' || status === 'error' || !STATUS[status];
  const num = t.num.textContent;
  const unit = t.unit.textContent;
  let em = 0;
  for (const ch of num) em += (ch >= '0' && ch <= '9') ? 0.7 : (ch === '—' ? 1.0 : 0.38);
  em += unit === '%' ? 0.7 : unit.length * 0.62 * 0.5;
  em += 0.12;   // the number's own padding
  const roomW = t.room ? t.room.w : tileW - 1.6 * u;
  const roomH = t.room ? t.room.h : tileH - 6.0 * u;
  // the "last known" caption stands beside the number of a stale or error tile
  const byWidth = (roomW - (quiet ? 4.6 * u : 0)) / Math.max(em, 1.4);
  const byHeight = roomH / 1.22;
  const cap = (quiet ? 2.2 : 5.5) * u;
  const px = Math.max(0.8 * u, Math.min(byWidth, byHeight, cap));
  t.value.style.fontSize = `${Math.floor(px * 10) / 10}px`;
}

// ---------------------------------------------------------------------------------------------
// Partners footer

function renderPartners() {
  const list = [...state.partners.values()];
  for (const [name, chip] of ui.chips) {
    if (!state.partners.has(name)) { chip.node.remove(); ui.chips.delete(name); }
  }
  // Partners in trouble first, so they are never the ones cut off on a crowded strip.
  list.sort((a, b) => ((a.state === 'ok') - (b.state === 'ok')) ||
    (a.label || a.name).localeCompare(b.label || b.name, 'en-GB'));
  if (!ui.partnersTitle) {
    ui.partnersTitle = el('span', 'partners-title', 'Feeds');
  }
  ui.partners.appendChild(ui.partnersTitle);
  for (const p of list) {
    let chip = ui.chips.get(p.name);
    if (!chip) {
      const node = el('span', 'partner');
      const icon = makeIcon('circle');
      const name = el('span', 'p-name');
      const info = el('span', 'p-info');
      node.append(icon, name, info);
      chip = { node, icon, name, info };
      ui.chips.set(p.name, chip);
    }
    const st = PARTNER_STATE[p.state] || { text: String(p.state || 'unknown'), icon: 'cross' };
    chip.node.dataset.partner = p.name;
    chip.node.dataset.state = String(p.state);
    setIcon(chip.icon, st.icon);
    setText(chip.name, partnerLabel(p.name));
    const info = p.state === 'ok' ? '' : (p.reason ? `${st.text}: ${p.reason}` : st.text);
    setText(chip.info, info);
    if (chip.node.title !== info) chip.node.title = info;
    chip.info.hidden = info === '';
    ui.partners.appendChild(chip.node);
  }
}

function refreshPartnerLabels() {
  let changed = false;
  for (const t of ui.tiles.values()) {
    if (t.entry && t.sub.textContent !== subLine(t.entry)) {
      setText(t.sub, subLine(t.entry));
      changed = true;
    }
  }
  if (changed) requestLayout();
}

// ---------------------------------------------------------------------------------------------
// Escalation level (OPEL 1-4, from the snapshot and `level` messages)

function setLevel(msg) {
  const n = Number(msg && msg.level);
  if (!Number.isInteger(n) || n < 1 || n > 4) {
    state.level = null;
    ui.level.hidden = true;
    return;
  }
  state.level = { level: n, label: typeof msg.label === 'string' && msg.label ? msg.label : `Level ${n}` };
  ui.level.dataset.level = String(n);
  setText(ui.level, state.level.label);
  ui.level.hidden = false;
}

// ---------------------------------------------------------------------------------------------
// Trends: each tile's last hours from /api/history, one tile at a time, refreshed every few
// minutes; a failure only leaves the line as it was.

const TREND_HOURS = 6;
const TREND_STEP_S = 600;
const TREND_REFRESH_MS = 5 * 60 * 1000;
let trendBusy = false;

function drawTrend(t, points) {
  const ys = points.map((p) => p.last).filter((v) => typeof v === 'number' && Number.isFinite(v));
  if (ys.length < 2) { t.line.setAttribute('points', ''); return; }
  const lo = Math.min(...ys), hi = Math.max(...ys);
  const span = hi - lo || 1;
  const pts = ys.map((v, i) => `${(100 * i / (ys.length - 1)).toFixed(1)},${(19 - 18 * (v - lo) / span).toFixed(1)}`);
  t.line.setAttribute('points', pts.join(' '));
}

async function refreshOneTrend() {
  if (trendBusy || state.connection !== 'live') return;
  let oldest = null;
  for (const t of ui.tiles.values()) {
    if (!t.entry || t.node.hidden) continue;
    if (Date.now() - t.sparkAt < TREND_REFRESH_MS) continue;
    if (!oldest || t.sparkAt < oldest.sparkAt) oldest = t;
  }
  if (!oldest) return;
  const t = oldest;
  const e = t.entry;
  t.sparkAt = Date.now();
  trendBusy = true;
  try {
    const q = new URLSearchParams({ partner: e.partner, metric: e.key, site: e.site,
      from: new Date(Date.now() - TREND_HOURS * 3600e3).toISOString().replace(/\.\d+Z$/, 'Z'),
      step: String(TREND_STEP_S) });
    const res = await fetch(`/api/history?${q}`, { credentials: 'same-origin' });
    if (res.ok) {
      const body = await res.json();
      if (ui.tiles.get(t.id) === t) drawTrend(t, Array.isArray(body.points) ? body.points : []);
    }
  } catch (err) {
    // offline or signed out: the connection banner says so; try again at the next refresh
  } finally {
    trendBusy = false;
  }
}

// ---------------------------------------------------------------------------------------------
// Alerts: firing ones across the top with who has been told and whether anyone acknowledged

const MAX_ALERT_LINES = 4;

function alertLine(a) {
  const told = new Map();
  for (const n of Array.isArray(a.notifications) ? a.notifications : []) {
    if (!n || typeof n.person !== 'string' || n.event === 'resolved') continue;
    const ok = !!n.sent_at;
    const name = typeof n.name === 'string' && n.name ? n.name : n.person;
    told.set(`${n.person}/${n.channel}`, `${name} (${n.channel}${ok ? ' ✓' : n.attempts ? ' retrying' : ' queued'})`);
  }
  const who = told.size ? `told ${[...told.values()].join(', ')}` : 'nobody told yet';
  const ack = a.acked_by ? `ACKNOWLEDGED by ${a.acked_by}` : 'NOT ACKNOWLEDGED';
  // the hub writes the summary in words (metric, site and partner labels); keys are the last resort
  const named = [a.metric_label, a.site_label && `at ${a.site_label}`, a.partner_label && `(${a.partner_label})`]
    .filter(Boolean).join(' ');
  const parts = [`${String(a.severity || '').toUpperCase()}`, a.summary || named || a.rule || `alert ${a.id}`];
  if (a.silenced) parts.push('SILENCED');
  else if (a.state === 'firing') parts.push(who, ack);
  else parts.push('pending');
  return parts.join(' — ');
}

function setAlerts(list) {
  state.alerts = Array.isArray(list) ? list.filter((a) => a && typeof a === 'object') : [];
  if (!ui.alerts) return;
  const active = state.alerts.filter((a) => a.state === 'firing');
  ui.alerts.replaceChildren();
  for (const a of active.slice(0, MAX_ALERT_LINES)) {
    const line = el('div', 'alert-line', alertLine(a));
    line.dataset.alert = String(a.id);
    line.dataset.acked = a.acked_by ? 'yes' : 'no';
    line.dataset.silenced = a.silenced ? 'yes' : 'no';
    line.dataset.severity = String(a.severity || '');
    ui.alerts.appendChild(line);
  }
  if (active.length > MAX_ALERT_LINES) {
    ui.alerts.appendChild(el('div', 'alert-more', `+${active.length - MAX_ALERT_LINES} more firing`));
  }
  ui.alerts.hidden = active.length === 0;
  requestLayout();
}

// ---------------------------------------------------------------------------------------------
// Applying messages

function isEntry(e) {
  return e && typeof e === 'object' && typeof e.key === 'string' && typeof e.partner === 'string';
}

function normalise(e) {
  if (typeof e.site !== 'string') e.site = '';
  if (typeof e.stage !== 'string') e.stage = '';
  return e;
}

function upsert(e, animate) {
  const id = entryId(e);
  const prev = state.entries.get(id);
  let t = ui.tiles.get(id);
  let structural = false;
  if (!t) {
    t = createTile(id);
    ui.tiles.set(id, t);
    structural = true;
  } else if (!prev || prev.stage !== e.stage || prev.label !== e.label || prev.position !== e.position ||
             prev.short_label !== e.short_label) {
    structural = true;
  }
  state.entries.set(id, e);
  renderTile(t, e, prev, animate);
  return structural;
}

function removeEntry(id) {
  const t = ui.tiles.get(id);
  if (t) { t.node.remove(); ui.tiles.delete(id); }
  return state.entries.delete(id) || !!t;
}

function applyStages(list) {
  if (!Array.isArray(list)) return;
  state.stages.clear();
  for (const s of list) {
    if (s && typeof s.key === 'string') {
      state.stages.set(s.key, {
        key: s.key,
        label: typeof s.label === 'string' && s.label ? s.label : s.key,
        position: Number.isFinite(s.position) ? s.position : Number.MAX_SAFE_INTEGER - 1,
      });
    }
  }
}

function applyPartners(list, replace) {
  if (!Array.isArray(list)) return;
  if (replace) state.partners.clear();
  for (const p of list) {
    if (p && typeof p.name === 'string') state.partners.set(p.name, p);
  }
  renderPartners();
  refreshPartnerLabels();
}

function applySnapshot(msg) {
  const firstEver = state.seq === null;
  applyStages(msg.stages);
  applyPartners(msg.partners || [], true);
  const keep = new Set();
  const metrics = Array.isArray(msg.metrics) ? msg.metrics : [];
  for (const raw of metrics) {
    if (!isEntry(raw)) continue;
    const e = normalise(raw);
    keep.add(entryId(e));
    upsert(e, !firstEver);
  }
  for (const id of [...state.entries.keys()]) if (!keep.has(id)) removeEntry(id);
  for (const id of [...ui.tiles.keys()]) if (!keep.has(id)) removeEntry(id);
  if (msg.level && typeof msg.level === 'object') setLevel(msg.level);
  if (Array.isArray(msg.alerts)) setAlerts(msg.alerts);
  if (Array.isArray(msg.goals)) setGoals(msg.goals);
  if (Array.isArray(msg.actions)) setActions(msg.actions);
  state.seq = msg.seq;
  requestLayout();
}

// ---------------------------------------------------------------------------------------------
// The meeting's lists: agreed goals and the actions still to do. Both arrive whole (in the
// snapshot and in `goals`/`actions` messages) and replace what was there.

function objects(list) {
  return Array.isArray(list) ? list.filter((x) => x && typeof x === 'object') : [];
}

function setGoals(list) {
  state.goals = objects(list);
  let changed = false;
  for (const t of ui.tiles.values()) if (renderTrajectory(t)) changed = true;
  if (changed) requestLayout();
}

function setActions(list) {
  state.actions = objects(list);
}

// The goal agreed for an entry's series, or null.
function goalFor(e) {
  if (!e) return null;
  return state.goals.find((g) => g.partner === e.partner && g.metric === e.key &&
    (typeof g.site === 'string' ? g.site : '') === e.site) || null;
}

function applyDelta(msg) {
  let structural = false;
  if (Array.isArray(msg.partners)) applyPartners(msg.partners, false);
  if (Array.isArray(msg.stages)) { applyStages(msg.stages); structural = true; }
  if (Array.isArray(msg.metrics)) {
    for (const raw of msg.metrics) {
      if (isEntry(raw) && upsert(normalise(raw), true)) structural = true;
    }
  }
  if (Array.isArray(msg.removed)) {
    for (const r of msg.removed) {
      if (r && typeof r.key === 'string' && typeof r.partner === 'string') {
        if (removeEntry(`${r.partner}|${r.key}|${typeof r.site === 'string' ? r.site : ''}`)) structural = true;
      }
    }
  }
  state.seq = msg.seq;
  if (structural) requestLayout();
}

// ---------------------------------------------------------------------------------------------
// Connection

const conn = {
  ws: null,
  gotSnapshot: false,   // on the current socket
  attempt: 0,           // reconnects since the last good snapshot
  timer: 0,
  openedAt: 0,
  lostSince: null,
};

function wsUrl() {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}/ws`;
}

function setConnection(s) {
  state.connection = s;
  if (document.body.dataset.connection !== s) document.body.dataset.connection = s;
  if (s === 'lost') {
    ui.banner.textContent = `Connection lost since ${timeFmt.format(conn.lostSince + state.skewMs)} — ` +
      (ui.lostNote || 'reconnecting…');
    ui.banner.hidden = false;
  } else {
    ui.banner.hidden = true;
  }
}

function connect() {
  conn.timer = 0;
  let sock;
  try {
    sock = new WebSocket(wsUrl(), SUBPROTOCOL);
  } catch (err) {
    drop();
    return;
  }
  conn.ws = sock;
  conn.gotSnapshot = false;
  conn.openedAt = Date.now();
  sock.onopen = () => {
    if (conn.ws !== sock) return;
    if (sock.protocol !== SUBPROTOCOL) drop(4002, 'subprotocol not agreed');
  };
  sock.onmessage = (ev) => { if (conn.ws === sock) onMessage(ev.data); };
  sock.onerror = () => { if (conn.ws === sock) drop(); };
  sock.onclose = () => { if (conn.ws === sock) drop(); };
}

// Forget the current socket (closing it if need be), show the board as not live and try again.
function drop(code, reason) {
  const sock = conn.ws;
  conn.ws = null;
  conn.gotSnapshot = false;
  if (sock) {
    sock.onopen = sock.onmessage = sock.onerror = sock.onclose = null;
    try {
      if (code) sock.close(code, reason); else sock.close();
    } catch (err) {
      try { sock.close(); } catch (err2) { /* already closed */ }
    }
  }
  if (conn.lostSince === null) conn.lostSince = Date.now();
  setConnection('lost');
  scheduleReconnect();
  if (options.onLost) options.onLost();
}

function scheduleReconnect() {
  if (conn.timer) return;
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_MIN_MS * 2 ** Math.min(conn.attempt, 10));
  const delay = Math.min(BACKOFF_MAX_MS, base * (0.75 + Math.random() * 0.5));
  conn.attempt += 1;
  conn.timer = setTimeout(connect, delay);
}

function onMessage(data) {
  let msg;
  try { msg = JSON.parse(data); } catch (err) { return; }
  if (!msg || typeof msg !== 'object' || typeof msg.type !== 'string') return;
  state.lastMessageAt = Date.now();
  // A screen's clock may be wrong: ages and the clock follow the server's when they differ by
  // more than a few seconds. Snapshots are left out (the server may send a cached one whose
  // server_time is old), and small differences are network delay, not skew.
  if (msg.type !== 'snapshot' && typeof msg.server_time === 'string') {
    const t = Date.parse(msg.server_time);
    if (Number.isFinite(t)) {
      const skew = t - Date.now();
      state.skewMs = Math.abs(skew) > SKEW_IGNORED_MS ? skew : 0;
    }
  }
  switch (msg.type) {
    case 'snapshot':
      if (!Number.isInteger(msg.seq)) { drop(4001, 'snapshot without seq'); return; }
      conn.gotSnapshot = true;
      conn.attempt = 0;
      conn.lostSince = null;
      applySnapshot(msg);
      setConnection('live');
      updateFreshness(Date.now());
      break;
    case 'delta':
      if (!conn.gotSnapshot || !Number.isInteger(msg.seq) || msg.seq !== state.seq + 1) {
        drop(4000, 'seq gap'); // a missed change: a new connection brings a fresh snapshot
        return;
      }
      applyDelta(msg);
      break;
    case 'heartbeat':
      // A heartbeat carries the last seq sent; one above ours means a delta went missing.
      if (conn.gotSnapshot && Number.isInteger(msg.seq) && msg.seq > state.seq) {
        drop(4000, 'seq gap');
      }
      return;
    case 'level':
      setLevel(msg);
      break;
    case 'alerts':
      setAlerts(msg.alerts);
      break;
    case 'goals':
      setGoals(msg.goals);
      break;
    case 'actions':
      setActions(msg.actions);
      break;
    default:
      return; // pong, error, alert and types of later versions: nothing to draw yet
  }
  notifySubscribers();
}

// Pages built on the board (manager view, huddle) hear of every applied message.
const subscribers = new Set();

function notifySubscribers() {
  const view = window.commcell;
  for (const fn of [...subscribers]) {
    try { fn(view); } catch (err) { console.error(err); }
  }
}

// ---------------------------------------------------------------------------------------------
// Once a second: the clock, the freshness line, tile ages and the watchdog.

function updateFreshness(t) {
  let text;
  let cls = '';
  if (!state.lastMessageAt) {
    text = 'waiting for data';
  } else {
    const age = t - state.lastMessageAt;
    text = `updated ${formatAge(age)} ago`;
    if (age > 20000) cls = 'late';
    if (age > WATCHDOG_MS) cls = 'dead';
  }
  setText(ui.freshness, text);
  if (ui.freshness.dataset.age !== cls) ui.freshness.dataset.age = cls;
}

function tick() {
  refreshOneTrend();
  const t = Date.now();
  const n = now();
  setText(ui.clock, timeFmt.format(n));
  ui.clock.dateTime = new Date(n).toISOString();
  updateFreshness(t);
  // At midnight the trajectories expect the new day's values and actions fall due.
  const day = localDay(n);
  if (state.today !== null && day !== state.today) {
    state.today = day;
    let changed = false;
    for (const tile of ui.tiles.values()) if (renderTrajectory(tile)) changed = true;
    if (changed) requestLayout();
    notifySubscribers();
  }
  state.today = day;
  for (const tile of ui.tiles.values()) {
    renderTime(tile, n);
    if (tile.entry && tile.node.dataset.pending) renderBadge(tile, tile.entry, n);
    checkFoot(tile);
  }

  const sock = conn.ws;
  if (sock) {
    const since = Math.max(state.lastMessageAt, conn.openedAt);
    if (t - since > WATCHDOG_MS) drop(4003, 'no message for 30 s');
  }
  setTimeout(tick, 1000 - (Date.now() % 1000) + 5);
}

// ---------------------------------------------------------------------------------------------
// Read-only view for tests and tools: window.commcell.seq, .entries, ...

function exposeState() {
  const view = {};
  Object.defineProperties(view, {
    seq: { get: () => state.seq, enumerable: true },
    stages: { get: () => [...state.stages.values()].map((x) => Object.freeze({ ...x })), enumerable: true },
    entries: { get: () => [...state.entries.values()].map((e) => Object.freeze({ ...e })), enumerable: true },
    partners: { get: () => [...state.partners.values()].map((p) => Object.freeze({ ...p })), enumerable: true },
    level: { get: () => (state.level ? Object.freeze({ ...state.level }) : null), enumerable: true },
    alerts: { get: () => state.alerts.slice(), enumerable: true },
    goals: { get: () => state.goals.slice(), enumerable: true },
    actions: { get: () => state.actions.slice(), enumerable: true },
    today: { get: () => today(), enumerable: true },
    connection: { get: () => state.connection, enumerable: true },
  });
  Object.freeze(view);
  Object.defineProperty(window, 'commcell', { value: view, enumerable: true });
}

// Start drawing and connecting. opts: {filter, onTileClick, onLost} (see `options`).
export function startBoard(opts = {}) {
  Object.assign(options, opts);
  ui.board = document.getElementById('board');
  ui.empty = document.getElementById('board-empty');
  ui.banner = document.getElementById('banner');
  ui.partners = document.getElementById('partners');
  ui.freshness = document.getElementById('freshness');
  ui.clock = document.getElementById('clock');
  ui.level = document.getElementById('level');
  ui.alerts = document.getElementById('alerts');
  ui.pageIndicator = document.getElementById('page-indicator');
  exposeState();
  setConnection('connecting');
  new ResizeObserver(() => requestLayout()).observe(ui.board);
  tick();
  connect();
}

// Change the drill-down (null: everything) and lay the board out again.
export function setFilter(fn) {
  options.filter = fn;
  requestLayout();
}

// The current entries, partners and stages (copies), for pickers and detail panels.
export function boardState() {
  return window.commcell;
}

// Call fn(boardState()) after every message applied (snapshot, delta, level, alerts, goals,
// actions). Returns the function that stops it.
export function subscribe(fn) {
  subscribers.add(fn);
  return () => { subscribers.delete(fn); };
}

// A note shown in the connection-lost banner instead of "reconnecting…" (e.g. why: not signed
// in); null puts the usual words back.
export function setLostNote(text) {
  ui.lostNote = text || null;
  if (state.connection === 'lost') setConnection('lost');
}

// Now by the server's clock (ms since the epoch): this screen's clock corrected for its skew.
export function serverNow() {
  return now();
}

// The formatting helpers, for the manager view's tables and charts.
export { formatNumber, formatObserved, timeFmt, partnerLabel };
