// Requests: the journal, newest first, filtered and paged by the server; one request's headers
// and bodies beside it, with what it is linked to (the job it made, the request it replays),
// and copy as curl, copy body and replay.

import { get } from './api.js';
import {
  $, badge, bodyBlock, bytes, dateTime, facts, h, headersTable, jsonBlock, latency, statusClass, timeOfDay, until,
} from './dom.js';
import { Feed } from './feed.js';
import { formatQuery, graphqlRequest } from './graphql.js';
import { List } from './list.js';
import { linkTo } from './nav.js';
import { invalidate, mockNow, state } from './store.js';

const form = $('request-filters');
const FIELDS = ['key', 'surface', 'status', 'text', 'job'];
const SURFACES = { graphql: 'GraphQL', rest: 'REST', media: 'media', websocket: 'WebSocket', other: 'other' };
const STATUS_PARAMS = { '2xx': { status: '2xx' }, '4xx': { status: '4xx' }, '5xx': { status: '5xx' },
  error: { status: '4xx,5xx' }, fault: { fault: '1' } };
export const details = new Map(); // id -> the full entry shown (copy and replay read it)

/** The filters as they are in the address. */
export function filters() {
  const f = new FormData(form);
  const params = new URLSearchParams();
  for (const name of FIELDS) {
    const value = String(f.get(name) || '').trim();
    if (value) params.set(name, value);
  }
  return params;
}

/** Put filters from the address in the form; true when they changed. */
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

function serverParams() {
  const f = filters();
  const params = new URLSearchParams({ brief: '1' });
  for (const name of ['key', 'surface', 'text', 'job']) if (f.get(name)) params.set(name, f.get(name));
  for (const [name, value] of Object.entries(STATUS_PARAMS[f.get('status')] || {})) params.set(name, value);
  return params;
}

function statusMatches(r, wanted) {
  if (!wanted) return true;
  if (wanted === 'fault') return Boolean(r.fault);
  if (wanted === 'error') return r.status >= 400;
  return String(r.status)[0] === wanted[0];
}

/** Whether a new entry belongs in the list, or null when only the server can tell (a text
 * search looks into bodies; a job is named in bodies too). */
function matches(r) {
  const f = filters();
  if (f.get('key') && r.key !== f.get('key')) return false;
  if (f.get('surface') && r.surface !== f.get('surface')) return false;
  if (!statusMatches(r, f.get('status'))) return false;
  if (f.get('job') && r.jobId !== f.get('job')) return null;
  if (f.get('text')) return null;
  return true;
}

export const feed = new Feed({
  path: '/_mock/requests',
  field: 'requests',
  idOf: (r) => String(r.id),
  rankOf: (r) => r.id,
  cursorOf: (r) => r.id,
  params: serverParams,
  matches,
  onChange: () => invalidate('requests'),
});

const list = new List({
  tab: 'requests',
  rows: 'requests-rows',
  detail: 'request-detail',
  empty: 'requests-empty',
  more: 'requests-more',
  held: 'requests-held',
  keyOf: (r) => r.id,
  build: row,
  onSelect: (key) => showDetail(Number(key)),
  filters,
  noun: 'request',
});

export function reset() {
  feed.clear();
  details.clear();
  list.clear('Select a request to see what was sent and what the mock answered.');
}

export function cleared() {
  feed.clear();
  details.clear();
  list.clear('The journal was cleared.');
}

export function open(id) {
  list.select(String(id), { focus: false, history: false });
}

export function render(active) {
  const keys = new Set(state.accounts.keys());
  for (const r of feed.items.values()) if (r.key) keys.add(r.key);
  const datalist = $('known-keys');
  if (datalist.options.length !== keys.size) {
    datalist.replaceChildren(...[...keys].sort().map((k) => h('option', { value: k })));
  }
  if (!active) return;
  list.draw(feed.sorted(), { total: feed.total, older: feed.next !== null, held: feed.held.size });
}

function what(r) {
  if ((r.surface === 'graphql' || r.surface === 'websocket') && r.operation) {
    return h('span', null, h('span.method', null, r.method), ' ', h('span.mono.path', null, r.path), ' ',
      h('span.op', null, r.operation.split(',').join(' · ')));
  }
  const query = r.query ? `?${r.query}` : '';
  return h('span', null, h('span.method', null, r.method), ' ', h('span.mono.path', { title: r.path + query }, r.path + query));
}

function row(r) {
  return h('tr', { dataset: { requestId: r.id } },
    h('td.mono.time', { title: dateTime(r.at) }, timeOfDay(r.at)),
    h('td.opt', null, badge(SURFACES[r.surface] || r.surface, `surface-${r.surface}`)),
    h('td.what', null, what(r)),
    h('td.opt.mono.key', { title: r.key || '' }, r.key || h('span.muted', null, 'no key')),
    h('td', null, h(`span.code.${statusClass(r.status)}`, null, r.status)),
    h('td.opt.num.mono', null, latency(r.latencyMs)),
    h('td.opt', null, r.fault ? badge(r.fault, 'fault') : ''));
}

/** `X-RateLimit-Reset: 1765000060` with the time it says, as people read it (on the clock the
 * request's account follows). */
function headerValue(name, value, key) {
  if (/^x-ratelimit-reset$/i.test(name) && /^\d{9,11}$/.test(value)) {
    const iso = new Date(Number(value) * 1000).toISOString();
    return [value, h('span.annotation', null, ` · ${timeOfDay(iso, false)} UTC, ${until(Number(value) - mockNow(key || undefined))}`)];
  }
  return value;
}

function bodyHeading(label, size, truncated) {
  return h('h5', null, label, truncated
    ? [' ', h('span.badge.truncated', { title: `The journal keeps the first 16 KiB of a body; this one had ${bytes(size)}` },
      `truncated · 16 KiB of ${bytes(size)}`)]
    : '');
}

function actions(r) {
  const socket = r.surface === 'websocket';
  const cut = r.bodyTruncated;
  const why = socket ? 'A WebSocket operation cannot be sent as one HTTP request'
    : cut ? 'The journal kept only the first 16 KiB of this body' : undefined;
  return h('div.actions.request-actions', { dataset: { detailFor: r.id } },
    h('button.small', { type: 'button', dataset: { action: 'replay' }, disabled: Boolean(why), title: why || 'Send it to the mock again, as it came; the new entry opens' }, 'Replay'),
    h('button.small.quiet', { type: 'button', dataset: { action: 'copy-curl' }, disabled: Boolean(why), title: why || 'Copy as a curl command' }, 'Copy curl'),
    h('label.check', null, h('input', { type: 'checkbox', name: 'reveal-key', checked: localStorage.getItem('doitong-mock.curl-key') === 'shown' }), 'with the real key'),
    h('button.small.quiet', { type: 'button', dataset: { action: 'copy-body' }, disabled: !r.body, title: r.body ? 'Copy the request body' : 'No body' }, 'Copy body'));
}

async function showDetail(id) {
  list.show(list.header(`Request #${id}`), h('p.muted', null, 'Loading…'));
  let r;
  try {
    r = await get(`/_mock/requests/${id}`);
  } catch (error) {
    if (list.selected === String(id)) list.show(list.header(`Request #${id}`), h('p.error', null, error.message));
    return;
  }
  if (list.selected !== String(id)) return;
  details.clear(); // only the entry shown: what its buttons act on
  details.set(String(id), r);
  const gql = r.surface === 'graphql' || r.surface === 'websocket' ? graphqlRequest(r) : null;
  const request = [
    h('h4', null, 'Request'),
    h('p.line.mono', null, h('strong', null, r.method), ' ', r.path + (r.query ? `?${r.query}` : '')),
    headersTable(r.headers, 'Request headers', (n) => n === 'authorization' || n === 'x-api-key'),
  ];
  if (gql) {
    request.push(
      h('h5', null, 'GraphQL', gql.operationName ? h('span.muted', null, ` · ${gql.operationName}`) : ''),
      h('pre.code.graphql', { tabindex: 0, 'aria-label': 'GraphQL query' }, formatQuery(gql.query)),
      h('h5', null, 'Variables'),
      gql.variables ? jsonBlock(gql.variables, 'GraphQL variables') : h('p.muted', null, '(none)'));
  } else if (r.method !== 'GET' || r.body) {
    const sent = Number((r.headers.find(([n]) => n === 'content-length') || [])[1] || 0);
    request.push(bodyHeading('Body', r.bodySize, r.bodyTruncated), !r.body && sent
      ? h('p.muted', null, `${sent} bytes sent, not read: the mock answered before reading the body.`)
      : bodyBlock(r.body, 'Request body'));
  }
  const response = [
    h('h4', null, r.surface === 'websocket' ? 'Answer ' : 'Response ', h(`span.code.${statusClass(r.status)}`, null, r.status)),
    headersTable(r.response.headers.map(([n, v]) => [n, headerValue(n, v, r.key)]), 'Response headers',
      (n) => n.startsWith('x-ratelimit') || n === 'retry-after'),
    bodyHeading('Body', r.response.bodySize, r.response.bodyTruncated),
    bodyBlock(r.response.body, 'Response body'),
  ];
  list.show(
    list.header(`Request #${id}`, r.fault ? badge(`answered by ${r.fault}`, 'fault') : ''),
    actions(r),
    facts([
      ['Received', h('span.mono', null, dateTime(r.at))],
      ['Surface', SURFACES[r.surface] || r.surface],
      r.operation ? ['Operation', h('span.mono', null, r.operation)] : null,
      ['API key', r.key ? h('a.mono', { href: linkTo('accounts', r.key) }, r.key) : h('span.muted', null, 'none')],
      ['Latency', latency(r.latencyMs)],
      r.fault ? ['Fault', h('span.mono', null, r.fault)] : null,
      r.jobId ? ['Job it made', h('a.mono', { href: linkTo('jobs', r.jobId) }, r.jobId)] : null,
      r.replayOf ? ['Replay of', h('a.mono', { href: linkTo('requests', r.replayOf) }, `#${r.replayOf}`)] : null,
    ]),
    h('section.block', { 'aria-label': 'Request' }, request),
    h('section.block', { 'aria-label': r.surface === 'websocket' ? 'Answer' : 'Response' }, response),
  );
}

/** The request as a curl command that sends it again; credentials masked unless `withKey`. */
export function curlFor(r, base = location.origin) {
  const q = (s) => `'${String(s).replaceAll("'", "'\\''")}'`;
  const skip = new Set(['host', 'content-length', 'connection', 'transfer-encoding', 'accept-encoding', 'expect']);
  const lines = [`curl -X ${r.method} ${q(base + r.path + (r.query ? `?${r.query}` : ''))}`];
  for (const [name, value] of r.headers) if (!skip.has(name)) lines.push(`  -H ${q(`${name}: ${value}`)}`);
  if (r.body) lines.push(`  --data-raw ${q(r.body)}`);
  return lines.join(' \\\n');
}

/** The entry with its credentials as sent, for a curl command with the real key. */
export async function withCredentials(id) {
  return get(`/_mock/requests/${id}?unmasked=1`);
}

export function select(id) {
  list.select(String(id), { focus: false });
}

export function close() {
  list.clear('Select a request to see what was sent and what the mock answered.');
}

form.addEventListener('input', () => refilter());
form.addEventListener('submit', (event) => event.preventDefault());

let refilterTimer = null;
function refilter() {
  clearTimeout(refilterTimer);
  refilterTimer = setTimeout(() => {
    filtersChanged();
    feed.reload().catch(() => {});
  }, 250);
}

let filtersChanged = () => {};
/** Told whenever a filter changes (the address follows). */
export function onFilters(fn) {
  filtersChanged = fn;
}

export const panel = { render, list, feed, filters, setFilters, open, close, name: 'requests' };

