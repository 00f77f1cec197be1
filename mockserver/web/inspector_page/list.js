// A list of rows with one selected, shown in the detail pane beside it (over it on a phone).
// Keyboard: Tab reaches the list once; the arrow keys, Home and End move and select; Enter
// selects; Escape closes the detail on a narrow screen. What is open is in the address
// (#<tab>/<key>), so it can be linked to, reloaded and gone back to.

import { $, h, number, syncRows } from './dom.js';
import { go } from './nav.js';

const NARROW = window.matchMedia('(max-width: 760px)');

export class List {
  /**
   * tab: the panel's name in the address; filters(): its filters as URLSearchParams;
   * noun, nouns: what a row is ('delivery', 'deliveries'), for the counts under and over the rows.
   */
  constructor({ tab, rows, detail, empty, more, held, keyOf, build, onSelect, filters = () => new URLSearchParams(), noun, nouns = `${noun}s` }) {
    this.tab = tab;
    this.tbody = $(rows);
    this.detail = $(detail);
    this.empty = $(empty);
    this.more = more ? $(more) : null;
    this.held = held ? $(held) : null;
    this.keyOf = keyOf;
    this.build = build;
    this.onSelect = onSelect;
    this.filters = filters;
    this.noun = noun;
    this.nouns = nouns;
    this.selected = null;
    this.tbody.addEventListener('click', (event) => {
      if (event.target.closest('button, a, input, select, textarea, video, summary')) return;
      const row = event.target.closest('tr[data-key]');
      if (row) this.select(row.dataset.key, { focus: false });
    });
    this.tbody.addEventListener('keydown', (event) => this.keydown(event));
    document.addEventListener('keydown', (event) => {
      if (event.key !== 'Escape' || document.querySelector('dialog[open]')) return;
      if (this.detail.classList.contains('open') && !this.detail.closest('[hidden]') && NARROW.matches) this.closeDetail();
    });
  }

  /** Rows for `items`; `total` is what the mock holds for the filters, `older` whether more can be
   * read, `held` how many new ones wait while the list is paused. */
  draw(items, { total = items.length, older = false, held = 0 } = {}) {
    syncRows(this.tbody, items, this.keyOf, this.build);
    this.empty.hidden = items.length > 0;
    if (this.more) {
      this.more.hidden = items.length === 0 || (!older && total <= items.length);
      this.more.querySelector('.shown').textContent =
        `Showing the newest ${number(items.length)} of ${number(Math.max(total, items.length))} ${this.nouns}.`;
      this.more.querySelector('[data-action=load-more]').hidden = !older;
    }
    if (this.held) {
      this.held.hidden = held === 0;
      this.held.querySelector('button').textContent =
        `${number(held)} new ${held === 1 ? this.noun : this.nouns} since you paused: show`;
    }
    this.mark();
  }

  rows() {
    return [...this.tbody.children];
  }

  mark() {
    let stop = null;
    for (const row of this.rows()) {
      const on = row.dataset.key === this.selected;
      row.classList.toggle('selected', on);
      if (on) row.setAttribute('aria-current', 'true');
      else row.removeAttribute('aria-current');
      row.tabIndex = -1;
      if (on) stop = row;
    }
    const first = stop || this.tbody.firstElementChild;
    if (first) first.tabIndex = 0;
  }

  /** Select `key` and show it (resolves once shown); `history`: 'push' a new address, 'replace' it, or false. */
  select(key, { focus = true, open = true, history = 'push' } = {}) {
    this.selected = key;
    this.mark();
    const row = this.rows().find((r) => r.dataset.key === key);
    if (row && focus) row.focus();
    if (open) this.detail.classList.add('open');
    if (history) go({ tab: this.tab, id: key, params: this.filters() }, history);
    return this.onSelect(key);
  }

  keydown(event) {
    const row = event.target.closest('tr[data-key]');
    if (!row || event.target !== row) return;
    const rows = this.rows();
    const at = rows.indexOf(row);
    let next = null;
    if (event.key === 'ArrowDown') next = rows[Math.min(at + 1, rows.length - 1)];
    else if (event.key === 'ArrowUp') next = rows[Math.max(at - 1, 0)];
    else if (event.key === 'Home') next = rows[0];
    else if (event.key === 'End') next = rows[rows.length - 1];
    else if (event.key === 'Enter' || event.key === ' ') {
      event.preventDefault();
      this.select(row.dataset.key);
      if (NARROW.matches) this.detail.focus();
      return;
    } else return;
    event.preventDefault();
    if (next) this.select(next.dataset.key, { open: !NARROW.matches, history: 'replace' });
  }

  closeDetail({ history = 'push' } = {}) {
    this.detail.classList.remove('open');
    const row = this.rows().find((r) => r.dataset.key === this.selected);
    if (row) row.focus();
    if (history) go({ tab: this.tab, params: this.filters() }, history);
  }

  /** The detail pane's header: a title, what it is, and a Close button for narrow screens. */
  header(title, ...extra) {
    return h('div.detail-head', null,
      h('h3', null, title), ...extra,
      h('button.close', { type: 'button', onclick: () => this.closeDetail(), 'aria-label': 'Close details' }, 'Close'));
  }

  show(...children) {
    this.detail.replaceChildren(...children);
  }

  clear(message) {
    this.selected = null;
    this.detail.classList.remove('open');
    this.detail.replaceChildren(h('p.placeholder', null, message));
    this.mark();
  }
}
