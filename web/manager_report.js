// The manager view's Board report tab: a period (by default the last full month) and a link that
// opens the print-ready report for it in a new tab, where the browser prints it or saves it as
// PDF. The server checks the dates and says what is wrong on that page.

import { localDay } from './trajectory.js';
import { $, addDays, dayWords } from './manager_util.js';

// The first and last day of the month before today's (local days, Europe/London).
export function lastFullMonth(todayISO) {
  const firstThis = `${todayISO.slice(0, 8)}01`;
  const lastPrev = addDays(firstThis, -1);
  return { from: `${lastPrev.slice(0, 8)}01`, to: lastPrev };
}

function refreshLink() {
  const from = $('report-from').value;
  const to = $('report-to').value;
  const q = new URLSearchParams({ from, to });
  $('report-print').href = `/api/reports/board?${q}`;
  $('report-words').textContent = from && to
    ? `The report for ${dayWords(from)} to ${dayWords(to)} opens in a new tab: print it there, or choose "Save as PDF" as the printer.`
    : 'Choose the first and the last day of the period.';
}

export function setupReport() {
  const { from, to } = lastFullMonth(localDay(Date.now()));
  $('report-from').value = from;
  $('report-to').value = to;
  for (const id of ['report-from', 'report-to']) $(id).addEventListener('input', refreshLink);
  refreshLink();
}
