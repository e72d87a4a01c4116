// Helpers shared by the wall display's browser tests (wall_fit.test.mjs, wall_demo.test.mjs):
// waiting for the wall to be live and laid out, and the check that nothing on the screen is cut.

// the harness, SQL and the browser come from common.mjs, for every browser test
export * from './common.mjs';
export const SIZES = [[1366, 768], [1920, 1080], [3840, 2160]];

export async function waitForLive(page, timeout = 20_000) {
  try {
    await page.waitForFunction(() => document.body.dataset.connection === 'live', null, { timeout });
  } catch (err) {
    const why = await page.evaluate(() => `${document.body.dataset.connection}: ${document.getElementById('banner').textContent}`)
      .catch((e) => `the page does not answer: ${e.message}`);
    throw new Error(`the wall did not become live within ${timeout} ms (${why})`);
  }
}

// Two animation frames: the board lays itself out on the next frame after a change.
export async function settle(page) {
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
}

// Every element on the screen that holds text and is not shown whole: content wider or taller
// than its box (1 px allowed for rounding), or an ellipsis in effect. Inline elements have no
// box of their own: their block is checked. Also whether the page itself scrolls.
export function clipped(page) {
  return page.evaluate(() => {
    const bad = [];
    for (const e of document.body.querySelectorAll('*')) {
      if (e instanceof SVGElement || !e.textContent.trim() || e.closest('[hidden]')) continue;
      const cs = getComputedStyle(e);
      if (cs.display === 'none' || cs.visibility === 'hidden') continue;
      const what = `${e.tagName.toLowerCase()}.${e.className} "${e.textContent.trim().slice(0, 50)}"`;
      if (cs.textOverflow === 'ellipsis') bad.push(`${what}: text-overflow ellipsis`);
      if (cs.webkitLineClamp && cs.webkitLineClamp !== 'none') bad.push(`${what}: line-clamp ${cs.webkitLineClamp}`);
      if (cs.display === 'inline') continue;
      if (e.scrollWidth > e.clientWidth + 1 || e.scrollHeight > e.clientHeight + 1) {
        bad.push(`${what}: content ${e.scrollWidth}x${e.scrollHeight} in ${e.clientWidth}x${e.clientHeight}`);
      }
    }
    const s = document.scrollingElement;
    const scrolls = s.scrollWidth > s.clientWidth || s.scrollHeight > s.clientHeight;
    if (scrolls) bad.push(`the page scrolls: ${s.scrollWidth}x${s.scrollHeight} in ${s.clientWidth}x${s.clientHeight}`);
    // nothing lies outside the window either
    for (const t of document.querySelectorAll('.tile, .stage-label, .partner')) {
      if (t.closest('[hidden]')) continue;
      const r = t.getBoundingClientRect();
      if (r.right > innerWidth + 1 || r.bottom > innerHeight + 1 || r.left < -1 || r.top < -1) {
        bad.push(`${t.className} "${t.textContent.trim().slice(0, 40)}" lies outside the window`);
      }
    }
    return bad;
  });
}

// The page indicator: {page, pages, text}; pages is 1 when it is hidden.
export function pageState(page) {
  return page.evaluate(() => {
    const ind = document.getElementById('page-indicator');
    const visible = [...document.querySelectorAll('#board .stage')].filter((c) => !c.hidden).map((c) => c.dataset.stage);
    return { hidden: ind.hidden, text: ind.textContent, page: Number(ind.dataset.page || 1),
      pages: ind.hidden ? 1 : Number(ind.dataset.pages || 1), stages: visible };
  });
}
