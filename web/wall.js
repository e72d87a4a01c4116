// commcell wall display: the board, full screen, for an operations room.
//
// A display signs in once with a device token from an admin: the link /?token=... is exchanged
// for a session cookie (HttpOnly, kept by the browser) and the token is taken out of the address
// bar, so it is not left on the screen or in the history. From then on the cookie opens the
// WebSocket; the display stays signed in until an admin revokes its token.

import { startBoard, setLostNote, subscribe } from './board.js';
import { createActionsStrip } from './actions_strip.js';

async function exchangeToken() {
  const url = new URL(location.href);
  const token = url.searchParams.get('token');
  if (!token) return;
  url.searchParams.delete('token');
  history.replaceState(null, '', url.pathname + url.search + url.hash);
  try {
    const res = await fetch('/api/session', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ token }),
      credentials: 'same-origin',
    });
    if (!res.ok) {
      const body = await res.json().catch(() => ({}));
      setLostNote(body.error || `sign-in failed (HTTP ${res.status})`);
    }
  } catch (err) {
    setLostNote(`cannot sign in: ${err.message}`);
  }
}

// After a failed connection: say so when the reason is that this screen is not signed in.
let checking = false;
async function checkSession() {
  if (checking) return;
  checking = true;
  try {
    const res = await fetch('/api/session', { credentials: 'same-origin' });
    setLostNote(res.status === 401
      ? 'this display is not signed in: open the wall display link with its device token from an admin'
      : null);
  } catch (err) {
    setLostNote(null);   // the server is unreachable: the usual words say it
  } finally {
    checking = false;
  }
}

// How long each page of a board too big for one screen is shown: ?dwell=SECONDS in the
// display's link (3 to 600), else 20 s.
const DWELL_DEFAULT_S = 20;
function dwellSeconds() {
  const v = Number(new URL(location.href).searchParams.get('dwell'));
  return Number.isFinite(v) && v >= 3 && v <= 600 ? v : DWELL_DEFAULT_S;
}

async function main() {
  const dwell = dwellSeconds();
  await exchangeToken();
  const strip = createActionsStrip(document.getElementById('actions'));
  // every applied message, and the tick at midnight when actions fall due
  subscribe((board) => strip.update(board.actions, board.today));
  startBoard({ onLost: checkSession, labels: 'short', paging: true, dwellMs: dwell * 1000 });
}

if (document.readyState === 'loading') {
  document.addEventListener('DOMContentLoaded', main, { once: true });
} else {
  main();
}
