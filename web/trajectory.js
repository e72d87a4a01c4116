// commcell trajectories: where an agreed goal expects a metric to be on a given day, and whether
// a live value is on that line. Pure functions, no DOM: the wall, the manager view, the huddle
// page and node's test runner all import this file as it is.
//
// A goal (commcell.goal_json) runs from its baseline on starts_on to its target on ends_on
// through its milestones; between two points the trajectory is the straight line. Days are
// local days in Europe/London, written YYYY-MM-DD.

export const ZONE = 'Europe/London';
const DAY_MS = 86400000;

const dayFmt = new Intl.DateTimeFormat('en-CA', {
  timeZone: ZONE, year: 'numeric', month: '2-digit', day: '2-digit',
});

// The local day (YYYY-MM-DD, Europe/London) of an instant given in ms since the epoch.
export function localDay(ms) {
  const parts = {};
  for (const p of dayFmt.formatToParts(new Date(ms))) parts[p.type] = p.value;
  return `${parts.year}-${parts.month}-${parts.day}`;
}

// Days since 1970-01-01 of a YYYY-MM-DD date, or NaN. Whole days, so daylight saving time plays
// no part in the interpolation.
export function dayNumber(iso) {
  const m = typeof iso === 'string' && /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  if (!m) return NaN;
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  const d = new Date(t);
  // 2026-02-30 is not a date: Date.UTC would quietly roll it into March
  if (d.getUTCMonth() !== Number(m[2]) - 1 || d.getUTCDate() !== Number(m[3])) return NaN;
  return t / DAY_MS;
}

// Whole days from day a to day b (b - a), both YYYY-MM-DD; NaN when either is not a date.
export function daysBetween(a, b) {
  return dayNumber(b) - dayNumber(a);
}

function finite(x) {
  return typeof x === 'number' && Number.isFinite(x);
}

// The goal's points in date order: [[dayNumber, value], ...], or null for a goal that cannot
// be drawn (missing dates or numbers).
function points(goal) {
  if (!goal || typeof goal !== 'object') return null;
  const start = dayNumber(goal.starts_on);
  const end = dayNumber(goal.ends_on);
  if (!finite(start) || !finite(end) || !finite(goal.baseline) || !finite(goal.target) || end <= start) return null;
  const pts = [[start, goal.baseline]];
  const ms = Array.isArray(goal.milestones) ? goal.milestones : [];
  for (const m of ms) {
    const d = m && dayNumber(m.on);
    if (finite(d) && finite(m.value) && d > start && d < end) pts.push([d, m.value]);
  }
  pts.push([end, goal.target]);
  pts.sort((a, b) => a[0] - b[0]);
  return pts;
}

// The value the goal's trajectory expects on day (YYYY-MM-DD): the baseline up to starts_on,
// the target from ends_on, on the line between the points around it in between. null when the
// goal or the day cannot be read.
export function expectedOn(goal, day) {
  const pts = points(goal);
  const d = dayNumber(day);
  if (!pts || !finite(d)) return null;
  if (d <= pts[0][0]) return pts[0][1];
  const last = pts[pts.length - 1];
  if (d >= last[0]) return last[1];
  for (let i = 1; i < pts.length; i++) {
    const [d1, v1] = pts[i];
    if (d < d1) {
      const [d0, v0] = pts[i - 1];
      return v0 + (v1 - v0) * (d - d0) / (d1 - d0);
    }
  }
  return last[1];
}

const numFmts = new Map();
function formatNumber(x, decimals) {
  const d = Number.isInteger(decimals) && decimals >= 0 && decimals <= 6 ? decimals : 0;
  let f = numFmts.get(d);
  if (!f) {
    f = new Intl.NumberFormat('en-GB', { minimumFractionDigits: d, maximumFractionDigits: d });
    numFmts.set(d, f);
  }
  return f.format(x);
}

// A difference in the metric's unit: percentages differ by points.
function gapUnit(unit) {
  if (unit === '%') return ' pts';
  return unit ? ` ${unit}` : '';
}

function valueUnit(unit) {
  if (unit === '%') return ' %';
  return unit ? ` ${unit}` : '';
}

// Only a value with a threshold status in force is a current figure: a stale value, a feed in
// error, an unknown status or no value at all are never judged against the trajectory.
const CURRENT = new Set(['green', 'amber', 'red']);

// Whether a live entry ({value, status, ...} from the board) is on the goal's trajectory today.
// Returns {state: 'on' | 'off' | 'none', gap, expected, words, symbol}: gap is value - expected
// in the metric's unit (null when there is no current figure), words say it for people
// ("on trajectory +1.2 pts", "3.4 pts off trajectory (expected 74.0 %)", "no current figure
// against trajectory"), symbol is the shape that goes with them (▲ on, ▼ off, – none).
// The goal's unit, direction and decimals (goal_json) win over the entry's.
export function judge(goal, entry, todayISO) {
  const expected = expectedOn(goal, todayISO);
  const unit = typeof goal?.unit === 'string' ? goal.unit : (typeof entry?.unit === 'string' ? entry.unit : '');
  const decimals = Number.isInteger(goal?.decimals) ? goal.decimals
    : (Number.isInteger(entry?.decimals) ? entry.decimals : 0);
  const higher = typeof goal?.higher_is_better === 'boolean' ? goal.higher_is_better
    : entry?.higher_is_better !== false;
  const current = !!entry && finite(entry.value) && CURRENT.has(entry.status);
  if (expected === null || !current) {
    return {
      state: 'none', gap: null, expected,
      words: expected === null ? 'no trajectory to judge against' : 'no current figure against trajectory',
      symbol: '–',
    };
  }
  const gap = entry.value - expected;
  const on = higher ? gap >= 0 : gap <= 0;
  const size = formatNumber(Math.abs(gap), decimals);
  if (on) {
    // the sign says which side of the line; a gap too small to show is level with it
    const sign = Number(size.replace(/,/g, '')) === 0 ? '±' : gap > 0 ? '+' : '−';
    return { state: 'on', gap, expected, words: `on trajectory ${sign}${size}${gapUnit(unit)}`, symbol: '▲' };
  }
  const exp = `expected ${formatNumber(expected, decimals)}${valueUnit(unit)}`;
  // a gap too small to show at the metric's decimals is still a miss: say so without "0.0"
  const words = Number(size.replace(/,/g, '')) === 0
    ? `just off trajectory (${exp})`
    : `${size}${gapUnit(unit)} off trajectory (${exp})`;
  return { state: 'off', gap, expected, words, symbol: '▼' };
}
