// Requests: the journal, newest first, filtered; one request's headers and bodies beside it.

import { get } from './api.js';
import { $, badge, bodyBlock, facts, h, headersTable, jsonBlock, latency, statusClass, timeOfDay, dateTime } from './dom.js';
import { formatQuery, graphqlRequest } from './graphql.js';
import { List } from './list.js';
import { MAX_REQUESTS, MAX_ROWS, invalidate, stamp, state, throttled } from './store.js';

const form = $('request-filters');
let textMatches = null; // ids the server found for the text filter, or null without one

const list = new List({
  rows: 'requests-rows',
  detail: 'request-detail',
  empty: 'requests-empty',
  more: 'requests-more',
  keyOf: (r) => r.id,
  build: row,
  onSelect: (key) => showDetail(Number(key)),
});

export function reset() {
  state.requests.clear();
  list.clear('Select a request to see what was sent and what the mock answered.');
}

export function load(entries) {
  state.requests.clear();
  for (const entry of entries) state.requests.set(entry.id, stamp(entry));
  invalidate('requests');
}

export function add(entry) {
  state.requests.set(entry.id, stamp(entry));
  while (state.requests.size > MAX_REQUESTS) state.requests.delete(state.requests.keys().next().value);
  if (textMatches) searchSoon();
  invalidate('requests');
}

export function cleared() {
  state.requests.clear();
  list.clear('The journal was cleared.');
  invalidate('requests');
}

function statusMatches(r, wanted) {
  if (!wanted) return true;
  if (wanted === 'fault') return Boolean(r.fault);
  if (wanted === 'error') return r.status >= 400;
  return String(r.status)[0] === wanted[0];
}

function visible() {
  const f = new FormData(form);
  const key = f.get('key').trim();
  const surface = f.get('surface');
  const status = f.get('status');
  const out = [];
  for (const r of state.requests.values()) {
    if (key && r.key !== key) continue;
    if (surface && r.surface !== surface) continue;
    if (!statusMatches(r, status)) continue;
    if (textMatches && !textMatches.has(r.id)) continue;
    out.push(r);
  }
  return out.sort((a, b) => b.id - a.id);
}

export function render(active) {
  $('count-requests').textContent = state.requests.size;
  const keys = new Set([...state.accounts.keys()]);
  for (const r of state.requests.values()) if (r.key) keys.add(r.key);
  const datalist = $('known-keys');
  if (datalist.options.length !== keys.size) {
    datalist.replaceChildren(...[...keys].sort().map((k) => h('option', { value: k })));
  }
  if (!active) return;
  const items = visible();
  list.draw(items.slice(0, MAX_ROWS), items.length);
}

function what(r) {
  if (r.surface === 'graphql' && r.operation) {
    return h('span', null, h('span.method', null, r.method), ' ', h('span.mono', null, r.path), ' ',
      h('span.op', null, r.operation.split(',').join(' · ')));
  }
  const query = r.query ? `?${r.query}` : '';
  return h('span', null, h('span.method', null, r.method), ' ', h('span.mono.path', { title: r.path + query }, r.path + query));
}

function row(r) {
  return h('tr', { dataset: { requestId: r.id } },
    h('td.mono.time', { title: dateTime(r.at) }, timeOfDay(r.at)),
    h('td.opt', null, badge(r.surface === 'graphql' ? 'GraphQL' : r.surface === 'rest' ? 'REST' : r.surface, `surface-${r.surface}`)),
    h('td.what', null, what(r)),
    h('td.opt.mono.key', { title: r.key || '' }, r.key || h('span.muted', null, 'no key')),
    h('td', null, h(`span.code.${statusClass(r.status)}`, null, r.status)),
    h('td.opt.num.mono', null, latency(r.latencyMs)),
    h('td.opt', null, r.fault ? badge(r.fault, 'fault') : ''));
}

async function showDetail(id) {
  const brief = state.requests.get(id);
  list.show(list.header(`Request #${id}`), h('p.muted', null, 'Loading…'));
  let r;
  try {
    r = await get(`/_mock/requests/${id}`);
  } catch (error) {
    list.show(list.header(`Request #${id}`), h('p.error', null, error.message));
    return;
  }
  if (list.selected !== String(id)) return;
  const gql = r.surface === 'graphql' ? graphqlRequest(r) : null;
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
    request.push(h('h5', null, 'Body'), !r.body && sent
      ? h('p.muted', null, `${sent} bytes sent, not read: the mock answered before reading the body.`)
      : bodyBlock(r.body, 'Request body'));
  }
  const response = [
    h('h4', null, 'Response ', h(`span.code.${statusClass(r.status)}`, null, r.status)),
    headersTable(r.response.headers, 'Response headers', (n) => n.startsWith('x-ratelimit') || n === 'retry-after'),
    h('h5', null, 'Body'),
    bodyBlock(r.response.body, 'Response body'),
  ];
  list.show(
    list.header(`Request #${id}`, brief && brief.fault ? badge(`answered by ${brief.fault}`, 'fault') : ''),
    facts([
      ['Received', h('span.mono', null, dateTime(r.at))],
      ['Surface', r.surface],
      r.operation ? ['Operation', h('span.mono', null, r.operation)] : null,
      ['API key', r.key ? h('span.mono', null, r.key) : h('span.muted', null, 'none')],
      ['Latency', latency(r.latencyMs)],
      r.fault ? ['Fault', h('span.mono', null, r.fault)] : null,
    ]),
    h('section.block', { 'aria-label': 'Request' }, request),
    h('section.block', { 'aria-label': 'Response' }, response),
  );
}

// The text filter searches bodies too, so the server does it.
const searchSoon = throttled(search, 300);

async function search() {
  const text = new FormData(form).get('text').trim();
  if (!text) {
    textMatches = null;
  } else {
    const found = await get(`/_mock/requests?brief=1&limit=${MAX_REQUESTS}&text=${encodeURIComponent(text)}`);
    textMatches = new Set(found.requests.map((r) => r.id));
  }
  invalidate('requests');
}

form.addEventListener('input', (event) => {
  if (event.target.name === 'text') searchSoon();
  else invalidate('requests');
});
form.addEventListener('submit', (event) => event.preventDefault());

export const panel = { render, list };
