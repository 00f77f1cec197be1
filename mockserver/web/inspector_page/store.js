// What the page knows of the mock, kept up to date by the event stream, and when to redraw.

export const state = {
  requests: new Map(), // id -> brief journal entry
  jobs: new Map(), // id -> job
  deliveries: new Map(), // id -> delivery
  accounts: new Map(), // key -> account
  plans: [],
  faults: [],
  clock: null,
  clockAt: 0, // performance.now() when `clock` was read
  tab: 'requests',
};

export const MAX_REQUESTS = 1000; // the journal's default size
export const MAX_ROWS = 400; // rows drawn per list; the rest are counted
export const MAX_KEPT = 2000; // jobs and deliveries the page keeps (a load test makes many more)

/** Forget the oldest entries of a map past `max` (maps keep insertion order: oldest first). */
export function cap(map, max = MAX_KEPT) {
  while (map.size > max) map.delete(map.keys().next().value);
}

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

/** The mock's time now, in Unix seconds: a real clock runs on between reads, a virtual one waits.
 * With an account key, the time of the clock that account follows: its own (virtual) one, if it
 * has one, else the server's. */
export function mockNow(accountKey) {
  const own = accountKey === undefined ? null : state.accounts.get(accountKey)?.clock;
  if (own?.own) return own.now;
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

export function sortedBy(map, keyOf) {
  return [...map.values()].sort((a, b) => keyOf(b) - keyOf(a));
}
