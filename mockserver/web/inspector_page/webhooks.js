// Webhooks: every delivery and its attempts, with the exact headers and body sent; filtered and
// paged by the server.

import { get } from './api.js';
import { $, badge, bodyBlock, dateTime, facts, h, headersTable, latency, seconds, statusClass, timeOfDay, until } from './dom.js';
import { Feed } from './feed.js';
import { List } from './list.js';
import { linkTo } from './nav.js';
import { invalidate, mockNow } from './store.js';

const form = $('delivery-filters');
const FIELDS = ['state', 'text'];
const chosenAttempt = new Map(); // delivery id -> attempt number shown
const shownDeliveries = new Map(); // id -> the delivery last read for the detail (not in the list, say)

export function filters() {
  const f = new FormData(form);
  const params = new URLSearchParams();
  for (const name of FIELDS) {
    const value = String(f.get(name) || '').trim();
    if (value) params.set(name, value);
  }
  return params;
}

export function setFilters(params) {
  let changed = false;
  for (const name of FIELDS) {
    const el = form.elements[name];
    const value = params.get(name) || '';
    if (el.value !== value) {
      el.value = value;
      changed = true;
    }
  }
  return changed;
}

function matches(d) {
  const f = filters();
  if (f.get('state') && d.state !== f.get('state')) return false;
  const text = (f.get('text') || '').toLowerCase();
  return !text || `${d.id}\n${d.jobId}\n${d.accountKey}\n${d.url}\n${d.event}`.toLowerCase().includes(text);
}

export const feed = new Feed({
  path: '/_mock/deliveries',
  field: 'deliveries',
  idOf: (d) => d.id,
  cursorOf: (d) => d.id,
  params: filters,
  matches,
  isNew: (d) => d.attempts.length === 0, // the first event of a delivery: it started
  onChange: () => invalidate('webhooks'),
  ranked: true,
});

const list = new List({
  tab: 'webhooks',
  rows: 'webhooks-rows',
  detail: 'delivery-detail',
  empty: 'webhooks-empty',
  more: 'webhooks-more',
  held: 'webhooks-held',
  keyOf: (d) => d.id,
  build: row,
  onSelect: (id) => showDetail(id),
  filters,
  noun: 'delivery',
  nouns: 'deliveries',
});

export function reset() {
  feed.clear();
  chosenAttempt.clear();
  shownDeliveries.clear();
  list.clear('Select a delivery to see each attempt and the exact request the mock sent.');
}

export function arrive(delivery) {
  feed.arrive(delivery);
  if (list.selected === delivery.id) {
    shownDeliveries.clear();
    shownDeliveries.set(delivery.id, delivery);
    showDetail(delivery.id);
  }
}

export function open(id) {
  list.select(id, { focus: false, history: false });
}

export function close() {
  list.clear('Select a delivery to see each attempt and the exact request the mock sent.');
}

/** The delivery: as listed, as last read for the detail, or read now. */
export async function delivery(id) {
  const known = feed.items.get(id) || shownDeliveries.get(id);
  if (known) return known;
  const read = await get(`/_mock/deliveries/${encodeURIComponent(id)}`);
  shownDeliveries.clear();
  shownDeliveries.set(id, read);
  return read;
}

export function render(active) {
  if (!active) return;
  list.draw(feed.sorted(), { total: feed.total, older: feed.next !== null, held: feed.held.size });
}

function lastAttempt(d) {
  return d.attempts.length ? d.attempts[d.attempts.length - 1] : null;
}

export function outcome(a) {
  if (!a) return h('span.muted', null, 'not yet');
  if (a.statusCode) return h(`span.code.${statusClass(a.statusCode)}`, null, a.statusCode);
  return h('span.code.status-err', { title: a.error }, 'error');
}

function actions() {
  return h('span.row-actions', null,
    h('button.small', { type: 'button', dataset: { action: 'resend' }, title: 'Send it once more now' }, 'Resend'),
    h('button.small.quiet', { type: 'button', dataset: { action: 'copy-curl' }, title: 'Copy as a curl command' }, 'Copy curl'));
}

function row(d) {
  const last = lastAttempt(d);
  return h('tr', { dataset: { deliveryId: d.id } },
    h('td.mono.time', { title: `created ${dateTime(d.createdAt)}` }, timeOfDay(d.createdAt, false)),
    h('td', null,
      h('span.mono.url', { title: d.url }, d.url),
      h('span.sub', null, h('span.mono', null, d.event), ' · job ', h('span.mono', null, d.jobId))),
    h('td', null, badge(d.state, `delivery-${d.state}`), h('span.sub', null, `${d.attempts.length} attempt${d.attempts.length === 1 ? '' : 's'}`)),
    h('td.opt', null, outcome(last), last ? h('span.sub.mono', null, latency(last.latencyMs)) : ''),
    h('td.opt.mono', { dataset: d.nextAttemptAt ? { due: d.nextAttemptAt, account: d.accountKey } : {}, title: dateTime(d.nextAttemptAt) },
      d.nextAttemptAt ? until(seconds(d.nextAttemptAt) - mockNow(d.accountKey)) : '–'),
    h('td.actions.stacked', null, actions()));
}

/** The request a delivery's attempt made, as a curl command that makes it again. */
export function curlFor(d) {
  const withHeaders = [...d.attempts].reverse().find((a) => a.headers && Object.keys(a.headers).length);
  const headers = withHeaders ? withHeaders.headers : { 'Content-Type': 'application/json' };
  const q = (s) => `'${String(s).replaceAll("'", "'\\''")}'`;
  return [
    `curl -X POST ${q(d.url)}`,
    ...Object.entries(headers).map(([name, value]) => `  -H ${q(`${name}: ${value}`)}`),
    `  --data-raw ${q(d.body)}`,
  ].join(' \\\n');
}

async function showDetail(id) {
  let d;
  try {
    d = await delivery(id);
  } catch (error) {
    if (list.selected === id) list.show(list.header('Delivery'), h('p.error', null, error.message));
    return;
  }
  if (list.selected !== id) return;
  const number = chosenAttempt.get(id) ?? (d.attempts.length ? d.attempts[d.attempts.length - 1].number : null);
  const shown = d.attempts.find((a) => a.number === number) || null;
  const isSignature = (name) => /signature/i.test(name);
  const attempts = d.attempts.length
    ? h('table.attempts', null,
      h('caption.visually-hidden', null, 'Attempts'),
      h('thead', null, h('tr', null, ['#', 'Sent at', 'Result', 'Latency'].map((t) => h('th', { scope: 'col' }, t)),
        h('th', { scope: 'col' }, h('span.visually-hidden', null, 'Resent, headers')))),
      h('tbody', null, d.attempts.map((a) => h('tr', { class: a.number === number ? 'selected' : undefined },
        h('td.mono', null, a.number),
        h('td.mono', { title: dateTime(a.at) }, timeOfDay(a.at)),
        h('td', null, outcome(a), a.error ? h('span.sub.error', null, a.error) : ''),
        h('td.mono.num', null, latency(a.latencyMs)),
        h('td', null, a.manual ? badge('resent', 'manual') : '',
          h('button.link', {
            type: 'button', 'aria-pressed': a.number === number ? 'true' : 'false',
            onclick: () => { chosenAttempt.set(id, a.number); showDetail(id); },
          }, 'headers'))))))
    : h('p.muted', null, 'No attempt yet: the first one goes out right away, from the background.');
  list.show(
    list.header('Delivery', badge(d.state, `delivery-${d.state}`)),
    h('div.actions', { dataset: { detailFor: d.id } }, actions()),
    facts([
      ['Id', h('span.mono', null, d.id)],
      ['URL', h('span.mono', null, d.url)],
      ['Event', h('span.mono', null, d.event)],
      ['Job', h('a.mono', { href: linkTo('jobs', d.jobId) }, d.jobId)],
      ['Account', h('a.mono', { href: linkTo('accounts', d.accountKey) }, d.accountKey)],
      ['Created', h('span.mono', null, dateTime(d.createdAt))],
      ['Next attempt', d.nextAttemptAt
        ? h('span.mono', { dataset: { due: d.nextAttemptAt, account: d.accountKey } }, until(seconds(d.nextAttemptAt) - mockNow(d.accountKey)))
        : h('span.muted', null, d.state === 'pending' ? 'in flight' : 'none')],
    ]),
    h('section.block', { 'aria-label': 'Attempts' }, h('h4', null, 'Attempts'), attempts),
    h('section.block', { 'aria-label': 'Request sent' },
      h('h4', null, shown ? `Headers sent with attempt ${shown.number}` : 'Headers'),
      shown ? headersTable(Object.entries(shown.headers || {}), 'Headers sent', isSignature) : h('p.muted', null, 'Nothing sent yet.'),
      h('h5', null, 'Body (the exact bytes signed)'),
      h('pre.code.raw', { tabindex: 0, 'aria-label': 'Exact body sent' }, d.body),
      h('details', null, h('summary', null, 'Body, laid out'), bodyBlock(d.body, 'Body, laid out')),
      h('details', null, h('summary', null, 'As a curl command'), h('pre.code', { tabindex: 0, 'aria-label': 'curl command' }, curlFor(d)))),
  );
}

export function tick() {
  for (const el of document.querySelectorAll('#panel-webhooks [data-due]')) {
    el.textContent = until(seconds(el.dataset.due) - mockNow(el.dataset.account));
  }
}

let filtersChanged = () => {};
export function onFilters(fn) {
  filtersChanged = fn;
}

let refilterTimer = null;
form.addEventListener('input', () => {
  clearTimeout(refilterTimer);
  refilterTimer = setTimeout(() => {
    filtersChanged();
    feed.reload().catch(() => {});
  }, 250);
});
form.addEventListener('submit', (event) => event.preventDefault());

export const panel = { render, list, feed, filters, setFilters, open, close, name: 'webhooks' };
