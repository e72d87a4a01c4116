// commcell wall: the strip of actions that are overdue or due today, with their owners, so the
// room sees who owes what without anyone opening the manager view.
//
// The board (board.js) keeps the open and in-progress actions from the snapshot and `actions`
// messages; the page hands them here with today's date (Europe/London, by the server's clock).
// The strip is hidden when nothing is due, and never taller than its CSS max-height: the lines
// that do not fit are left out, most overdue kept, and counted under the title ("+3 more").

import { daysBetween } from './trajectory.js';

const LIVE = new Set(['open', 'in_progress']);

// The actions to show on `today`: still to do and due on or before today, most overdue first
// (then the earlier created, then by id). Each as {action, overdue} (whole days late, 0 = due
// today). Pure, for tests and other pages.
export function dueActions(actions, today) {
  const out = [];
  for (const a of Array.isArray(actions) ? actions : []) {
    if (!a || typeof a !== 'object' || !LIVE.has(a.status)) continue;
    const overdue = daysBetween(a.due_on, today);
    if (Number.isFinite(overdue) && overdue >= 0) out.push({ action: a, overdue });
  }
  out.sort((x, y) => (y.overdue - x.overdue) ||
    String(x.action.created_at || '').localeCompare(String(y.action.created_at || '')) ||
    (Number(x.action.id) - Number(y.action.id)));
  return out;
}

// "Due today", "Overdue 1 day", "Overdue 12 days".
export function dueWords(overdue) {
  if (overdue <= 0) return 'Due today';
  return `Overdue ${overdue} ${overdue === 1 ? 'day' : 'days'}`;
}

function ownerOf(a) {
  return (typeof a.owner_name === 'string' && a.owner_name) || (typeof a.owner === 'string' ? a.owner : '');
}

// What an action is about, in words, for the line's tooltip.
function about(a) {
  return [a.metric_label, a.site_label && `at ${a.site_label}`, a.partner_label && `(${a.partner_label})`]
    .filter(Boolean).join(' ');
}

function span(cls, text) {
  const e = document.createElement('span');
  e.className = cls;
  e.textContent = text;
  return e;
}

function itemNode({ action: a, overdue }) {
  const node = document.createElement('div');
  node.className = 'as-item';
  node.dataset.action = String(a.id);
  node.dataset.due = overdue > 0 ? 'overdue' : 'today';
  node.dataset.overdue = String(overdue);
  node.append(span('as-when', dueWords(overdue)), ' · ', span('as-what', String(a.title || '')),
    ' · ', span('as-owner', ownerOf(a)));
  const what = about(a);
  node.title = `${a.status === 'in_progress' ? 'in progress' : 'open'}, due ${a.due_on}${what ? `, about ${what}` : ''}`;
  return node;
}

// A strip drawn into `node` (an element with the CSS class actions-strip). Returns
// {update(actions, today), destroy()}.
export function createActionsStrip(node) {
  const head = document.createElement('div');
  head.className = 'as-head';
  const more = span('as-more', '');
  head.append(span('as-title', 'Actions due'), more);
  const list = document.createElement('div');
  list.className = 'as-list';
  node.replaceChildren(head, list);
  node.hidden = true;
  let shown = null;    // the lines last drawn, to skip redrawing the same strip
  let due = [];

  function draw() {
    const items = due.map(itemNode);
    list.replaceChildren(...items);
    more.textContent = '';
    more.hidden = true;
    node.hidden = items.length === 0;
    node.dataset.count = String(items.length);
    if (!items.length) return;
    // Leave out the least overdue lines until the rest fits, with a count of what was left out.
    const overflows = () => node.scrollHeight > node.clientHeight + 1;
    let kept = items.length;
    while (kept > 1 && overflows()) {
      items[kept - 1].remove();
      kept -= 1;
      more.textContent = `+${items.length - kept} more`;
      more.hidden = false;
    }
    node.dataset.shown = String(kept);
  }

  function update(actions, today) {
    due = dueActions(actions, today);
    const key = `${today}\n${due.map(({ action: a, overdue }) =>
      `${a.id}|${overdue}|${a.title}|${ownerOf(a)}|${a.status}|${a.due_on}`).join('\n')}`;
    if (key === shown) return;
    shown = key;
    draw();
  }

  const onResize = () => { if (due.length) draw(); };
  window.addEventListener('resize', onResize);

  return {
    update,
    destroy() {
      window.removeEventListener('resize', onResize);
      node.replaceChildren();
      node.hidden = true;
    },
  };
}
