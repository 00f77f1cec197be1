// A list the server pages through (requests, jobs, deliveries): the newest page first, older
// pages on demand, live arrivals on top (held back while the list is paused), and the mock's
// total for the filters in force. The server does the filtering and the counting; what arrives
// live is matched here when that can be decided, else the first page is read again.

import { get } from './api.js';
import { stamp, throttled } from './store.js';

export const PAGE = 200; // items per page read
export const MAX_LOADED = 2000; // live arrivals past this drop the oldest rows (Load older reads them again)

export class Feed {
  /**
   * path, field: the control API's list route and the answer's field;
   * idOf(item), rankOf(item): its key and its place (larger is newer);
   * cursorOf(item): the `before` that reads what is older than it;
   * params(): URLSearchParams of the filters; matches(item): true, false, or null when only the
   * server can tell; isNew(item): whether an item not loaded is a new one (else an older one that
   * changed, beyond the pages read; by default: ranked above everything loaded); onChange(): redraw. With `ranked`, items have no order of
   * their own (deliveries): their rank is their place in the server's pages, oldest first.
   */
  constructor({ path, field, idOf, rankOf, cursorOf, params, matches, isNew, onChange, ranked = false }) {
    Object.assign(this, { path, field, idOf, cursorOf, params, matches, onChange, ranked });
    this.isNew = isNew || ((item) => this.items.size === 0 || this.rankOf(item) > this.newestRank());
    this.rankOf = ranked ? (item) => item._rank : rankOf;
    this.items = new Map();
    this.held = new Map();
    this.total = 0;
    this.next = null;
    this.paused = false;
    this.ticket = 0;
    this.refreshSoon = throttled(() => this.refresh(), 300);
    this.countSoon = throttled(() => this.count(), 600);
  }

  url(extra) {
    const params = this.params();
    for (const [name, value] of Object.entries(extra)) params.set(name, value);
    return `${this.path}?${params}`;
  }

  clear() {
    this.ticket += 1;
    this.items.clear();
    this.held.clear();
    this.total = 0;
    this.next = null;
    this.onChange();
  }

  /** The newest page for the filters in force, in place of what was loaded. */
  async reload() {
    const ticket = ++this.ticket;
    const data = await get(this.url({ limit: PAGE }));
    if (ticket !== this.ticket) return;
    this.items.clear();
    this.held.clear();
    this.take(data, false);
    this.onChange();
  }

  /** The page older than what is loaded. */
  async loadOlder() {
    if (this.next === null) return;
    const ticket = this.ticket;
    const data = await get(this.url({ limit: PAGE, before: this.next }));
    if (ticket !== this.ticket) return;
    this.take(data, true);
    this.onChange();
  }

  /** The newest page again, kept with what is loaded (new items a text search found, say). */
  async refresh() {
    const ticket = this.ticket;
    try {
      const data = await get(this.url({ limit: PAGE }));
      if (ticket !== this.ticket) return;
      const oldest = this.oldestRank();
      for (const item of data[this.field]) {
        const id = this.idOf(item);
        if (this.items.has(id) || this.held.has(id)) continue;
        if (this.paused && this.rankOf(item) > this.newestRank()) this.held.set(id, item);
        else if (oldest === null || this.rankOf(item) >= oldest || this.items.size < PAGE) this.put(item);
      }
      this.total = data.total;
      if (this.next === null && this.items.size) this.next = data.next;
      this.onChange();
    } catch {
      // the next event, or the next (re)connection, reads it again
    }
  }

  async count() {
    const ticket = this.ticket;
    try {
      const data = await get(this.url({ limit: 1 }));
      if (ticket === this.ticket && data.total !== this.total) {
        this.total = data.total;
        this.onChange();
      }
    } catch {
      // as above
    }
  }

  take(data, older) {
    const page = data[this.field];
    if (this.ranked) {
      const base = older ? (this.oldestRank() ?? 0) - page.length : 0;
      page.forEach((item, i) => { item._rank = base + i; });
    }
    for (const item of page) this.put(item);
    this.total = data.total;
    this.next = data.next;
  }

  put(item) {
    const id = this.idOf(item);
    const previous = this.items.get(id) || this.held.get(id);
    if (this.ranked && item._rank === undefined) {
      item._rank = previous ? previous._rank : (this.newestRank() ?? 0) + 1 + this.held.size;
    }
    this.items.set(id, stamp(item, previous));
  }

  newestRank() {
    let best = null;
    for (const item of this.items.values()) if (best === null || this.rankOf(item) > best) best = this.rankOf(item);
    return best;
  }

  oldestRank() {
    let best = null;
    for (const item of this.items.values()) if (best === null || this.rankOf(item) < best) best = this.rankOf(item);
    return best;
  }

  /** Something the event stream brought: a change to a loaded item, or a new one. */
  arrive(item) {
    const id = this.idOf(item);
    const verdict = this.matches(item);
    if (this.held.has(id)) {
      if (verdict === false) this.held.delete(id);
      else this.held.set(id, Object.assign(item, { _rank: this.held.get(id)._rank }));
      this.onChange();
    } else if (this.items.has(id)) {
      if (verdict === false) this.items.delete(id);
      else this.put(item);
      this.onChange();
    } else if (verdict === null) {
      this.refreshSoon();
      return;
    } else if (verdict && this.isNew(item)) {
      if (this.paused) {
        if (this.ranked) item._rank = (this.newestRank() ?? 0) + 1 + this.held.size;
        this.held.set(id, item);
      } else {
        this.put(item);
        this.trim();
      }
      this.onChange();
    } else if (verdict) {
      const oldest = this.oldestRank();
      if (oldest !== null && this.rankOf(item) > oldest) {
        this.put(item); // an older item that now matches, inside what is loaded
        this.onChange();
      }
    }
    this.countSoon();
  }

  /** Live arrivals past MAX_LOADED: the oldest rows go, and Load older reads them again. */
  trim() {
    if (this.items.size <= MAX_LOADED) return;
    const sorted = [...this.items.values()].sort((a, b) => this.rankOf(b) - this.rankOf(a));
    for (const item of sorted.slice(MAX_LOADED)) this.items.delete(this.idOf(item));
    this.next = this.cursorOf(sorted[MAX_LOADED - 1]);
  }

  pause(on) {
    this.paused = on;
    if (!on) {
      for (const item of this.held.values()) this.put(item);
      this.held.clear();
      this.trim();
    }
    this.onChange();
  }

  /** Loaded items, newest first. */
  sorted() {
    return [...this.items.values()].sort((a, b) => this.rankOf(b) - this.rankOf(a));
  }
}
