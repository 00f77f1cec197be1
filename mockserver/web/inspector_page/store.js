// What the page knows of the mock, kept up to date by the event stream, and when to redraw.

export const state = {
  accounts: new Map(), // key -> account
  plans: [],
  faults: [],
  clock: null,
  clockAt: 0, // performance.now() when `clock` was read
  stoppedAt: null, // the mock's time when the page lost it (nothing moves on until it is back)
  tab: 'requests',
};

let version = 0;
let order = 0;

/** Mark an item changed (rows are redrawn by version) and give it its place in arrival order. */
export function stamp(item, previous) {
  item._v = ++version;
  item._order = previous ? previous._order : ++order;
  return item;
}

export function setClock(clock) {
  state.clock = clock;
  state.clockAt = performance.now();
}

/** The page follows the mock, or has lost it: while it is lost, the mock's time (and with it
 * every age, countdown and progress bar) stands still rather than run on a guess. */
export function setFollowing(following) {
  // Before the page has read the mock's clock there is no time of the mock's to stop at.
  state.stoppedAt = following || !state.clock ? null : state.stoppedAt ?? mockNow();
}

/** The mock's time now, in Unix seconds: a real clock runs on between reads, a virtual one waits.
 * With an account key, the time of the clock that account follows: its own (virtual) one, if it
 * has one, else the server's. */
export function mockNow(accountKey) {
  const own = accountKey === undefined ? null : state.accounts.get(accountKey)?.clock;
  if (own?.own) return own.now;
  if (state.stoppedAt !== null) return state.stoppedAt;
  const clock = state.clock;
  if (!clock) return Date.now() / 1000;
  if (clock.mode === 'virtual') return clock.now;
  return clock.now + (performance.now() - state.clockAt) / 1000;
}

// Redrawing: changes mark what they touch; one pass a little later redraws it.

const panels = new Map();
const dirty = new Set();
let pending = null;

export function registerPanel(name, panel) {
  panels.set(name, panel);
}

export function invalidate(...names) {
  for (const name of names) dirty.add(name);
  if (!pending) pending = setTimeout(flush, 60);
}

function flush() {
  pending = null;
  const names = [...dirty];
  dirty.clear();
  // Hidden panels are drawn too, so every row on the page (and every test hook) is current.
  for (const name of names) {
    const panel = panels.get(name);
    if (panel) panel.render(true);
  }
}

/** Run `fn` at most once per `ms`, and never more than `ms` after the first call asked. */
export function throttled(fn, ms) {
  let timer = null;
  return (...args) => {
    if (timer) return;
    timer = setTimeout(() => {
      timer = null;
      fn(...args);
    }, ms);
  };
}
