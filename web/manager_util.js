// What the manager view's modules and the huddle page share: the signed-in user, the JSON API with its CSRF header,
// a small DOM builder, and the calendar of the comm cell (local days in Europe/London).

export const me = { user: '', role: 'none', kind: 'anonymous', csrf: null };
export const ROLE_RANK = { none: 0, display: 1, manager: 2, admin: 3 };

export const $ = (id) => document.getElementById(id);

export class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error) || `HTTP ${status}`);
    this.status = status;
    this.body = body || {};
  }
}

export async function api(method, path, body) {
  const headers = {};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && me.csrf) headers['X-CSRF-Token'] = me.csrf;
  const res = await fetch(path, {
    method, headers, credentials: 'same-origin',
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let data = null;
  try { data = await res.json(); } catch (err) { data = null; }
  if (!res.ok) throw new ApiError(res.status, data);
  return data;
}

export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (v !== undefined && v !== null && v !== false) e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) e.append(c);
  return e;
}

export function show(node, on) { node.hidden = !on; }

export function say(node, text) {
  node.textContent = text || '';
  node.hidden = !text;
}

export const when = (iso) => (iso ? new Date(iso).toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' }) : '—');
export const num = (v) => (v === null || v === undefined ? '' : String(v));

// "" -> null, a number -> the number, anything else stays text: the server says what is wrong.
export function parseField(text) {
  const t = text.trim();
  if (t === '') return null;
  const n = Number(t);
  return Number.isFinite(n) ? n : t;
}

export function fillSelect(sel, options) {
  const want = options.map((o) => o[0]).join('\u0001');
  if (sel.dataset.options === want) return;
  const keep = sel.value;
  sel.replaceChildren(...options.map(([v, t]) => el('option', { value: v }, t)));
  sel.dataset.options = want;
  if (options.some((o) => o[0] === keep)) sel.value = keep;
}

// ---------------------------------------------------------------------------------------------
// Days. Goals, due dates and daily figures are local days in Europe/London, whatever the
// browser's own zone is (trajectory.js's localDay names today).

const LONDON_HOUR = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', hour: '2-digit', hourCycle: 'h23' });

export function addDays(day, n) {
  const d = new Date(`${day}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + n);
  return d.toISOString().slice(0, 10);
}

// The instant (ms) a London day starts: midnight UTC, or an hour earlier in summer time.
export function londonMidnight(day) {
  const utc = Date.parse(`${day}T00:00:00Z`);
  return Number(LONDON_HOUR.format(new Date(utc))) === 1 ? utc - 3600000 : utc;
}

const DAY_WORDS = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });

// "2027-03-31" -> "31 Mar 2027"
export function dayWords(day) {
  const t = Date.parse(`${day}T00:00:00Z`);
  return Number.isNaN(t) ? String(day || '') : DAY_WORDS.format(new Date(t));
}

// The series (partner, metric, site) a picker offers, from the board's entries, in words.
export function seriesOptions(view, partnerLabel) {
  if (!view) return [];
  return view.entries.map((e) => [seriesKey(e.partner, e.key, e.site),
    `${e.label || e.key} — ${partnerLabel(e.partner)}${e.site ? `, site ${e.site}` : ''}`])
    .sort((a, b) => a[1].localeCompare(b[1]));
}

export function seriesKey(partner, metric, site) {
  return `${partner}\u0001${metric}\u0001${site || ''}`;
}

export function splitSeries(key) {
  const [partner, metric, site] = key.split('\u0001');
  return { partner, metric, site: site || '' };
}
