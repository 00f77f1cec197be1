// Webhooks: every delivery and its attempts, with the exact headers and body sent.

import { $, badge, bodyBlock, dateTime, facts, h, headersTable, latency, seconds, statusClass, timeOfDay, until } from './dom.js';
import { List } from './list.js';
import { MAX_ROWS, cap, invalidate, mockNow, stamp, state } from './store.js';

const form = $('delivery-filters');
const chosenAttempt = new Map(); // delivery id -> attempt number shown

const list = new List({
  rows: 'webhooks-rows',
  detail: 'delivery-detail',
  empty: 'webhooks-empty',
  more: 'webhooks-more',
  keyOf: (d) => d.id,
  build: row,
  onSelect: (id) => showDetail(id),
});

export function reset() {
  state.deliveries.clear();
  chosenAttempt.clear();
  list.clear('Select a delivery to see each attempt and the exact request the mock sent.');
}

export function load(deliveries) {
  state.deliveries.clear();
  for (const d of deliveries) state.deliveries.set(d.id, stamp(d));
  invalidate('webhooks');
}

export function update(delivery) {
  state.deliveries.set(delivery.id, stamp(delivery, state.deliveries.get(delivery.id)));
  cap(state.deliveries);
  invalidate('webhooks');
  if (list.selected === delivery.id) showDetail(delivery.id);
}

export function select(id) {
  list.select(id);
}

function visible() {
  const f = new FormData(form);
  const wanted = f.get('state');
  const text = f.get('text').trim().toLowerCase();
  const out = [];
  for (const d of state.deliveries.values()) {
    if (wanted && d.state !== wanted) continue;
    if (text && !`${d.id} ${d.jobId} ${d.url} ${d.event} ${d.accountKey}`.toLowerCase().includes(text)) continue;
    out.push(d);
  }
  return out.sort((a, b) => b._order - a._order);
}

export function render(active) {
  let pending = 0;
  let failed = 0;
  for (const d of state.deliveries.values()) {
    if (d.state === 'pending') pending += 1;
    else if (d.state === 'failed') failed += 1;
  }
  const count = $('count-webhooks');
  count.textContent = state.deliveries.size;
  count.classList.toggle('alert', failed > 0);
  count.title = `${pending} pending, ${failed} failed of ${state.deliveries.size}`;
  if (!active) return;
  const items = visible();
  list.draw(items.slice(0, MAX_ROWS), items.length);
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
    h('td', null,
      h('span.mono.url', { title: d.url }, d.url),
      h('span.sub', null, h('span.mono', null, d.event), ' · job ', h('span.mono', null, d.jobId))),
    h('td', null, badge(d.state, `delivery-${d.state}`), h('span.sub', null, `${d.attempts.length} attempt${d.attempts.length === 1 ? '' : 's'}`)),
    h('td.opt', null, outcome(last), last ? h('span.sub.mono', null, latency(last.latencyMs)) : ''),
    h('td.opt.mono', { dataset: d.nextAttemptAt ? { due: d.nextAttemptAt, account: d.accountKey } : {}, title: dateTime(d.nextAttemptAt) },
      d.nextAttemptAt ? until(seconds(d.nextAttemptAt) - mockNow(d.accountKey)) : '–'),
    h('td.actions', null, actions()));
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

function showDetail(id) {
  const d = state.deliveries.get(id);
  if (!d) return;
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
      ['Job', h('button.link.mono', { type: 'button', dataset: { action: 'show-job', target: d.jobId } }, d.jobId)],
      ['Account', h('span.mono', null, d.accountKey)],
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

form.addEventListener('input', () => invalidate('webhooks'));
form.addEventListener('submit', (event) => event.preventDefault());

export const panel = { render, list };
