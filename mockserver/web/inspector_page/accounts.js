// Accounts: plan, usage against each limit, credits and the ledger; steer credits and plans.

import { get } from './api.js';
import { $, badge, dateTime, facts, h, number, seconds, timeOfDay, until } from './dom.js';
import { LEDGER_TITLES, ledgerAmount } from './jobs.js';
import { List } from './list.js';
import { linkTo } from './nav.js';
import { invalidate, mockNow, stamp, state, throttled } from './store.js';

const MAX_ROWS = 500; // rows drawn; the rest are counted (the filter finds them)

const form = $('account-filters');
const dirty = new Set();
const revealed = new Set();

const list = new List({
  tab: 'accounts',
  rows: 'accounts-rows',
  detail: 'account-detail',
  empty: 'accounts-empty',
  more: 'accounts-more',
  keyOf: (a) => a.key,
  build: row,
  onSelect: (key) => showDetail(key),
  filters,
  noun: 'account',
});

export function filters() {
  const text = String(new FormData(form).get('text') || '').trim();
  return new URLSearchParams(text ? { text } : {});
}

export function setFilters(params) {
  const value = params.get('text') || '';
  if (form.elements.text.value === value) return false;
  form.elements.text.value = value;
  invalidate('accounts');
  return true;
}

export function open(key) {
  list.select(key, { focus: false, history: false });
}

export function close() {
  list.clear('Select an account to see its limits, credits and ledger.');
}

export function reset() {
  state.accounts.clear();
  revealed.clear();
  list.clear('Select an account to see its limits, credits and ledger.');
}

export function load(data) {
  state.accounts.clear();
  state.plans = data.plans;
  for (const a of data.accounts) state.accounts.set(a.key, stamp(a));
  invalidate('accounts', 'requests');
  if (list.selected) refreshDetail();
}

export function update(account) {
  state.accounts.set(account.key, stamp(account, state.accounts.get(account.key)));
  invalidate('accounts');
  if (list.selected === account.key) refreshDetail();
}

/** The account was deleted (a test's teardown): its row and details go. */
export function remove(key) {
  state.accounts.delete(key);
  dirty.delete(key);
  invalidate('accounts');
  if (list.selected === key) list.clear('The account was deleted.');
}

/** An account's numbers moved (a request, a job, a ledger entry): read it again soon. */
export function touched(key) {
  if (!key || !state.accounts.has(key)) return;
  dirty.add(key);
  refetchSoon();
}

export function select(key) {
  return list.select(key, { focus: false });
}

const refetchSoon = throttled(async () => {
  const keys = [...dirty];
  dirty.clear();
  try {
    if (keys.length > 20) {
      load(await get('/_mock/accounts'));
      return;
    }
    for (const key of keys) update(await get(`/_mock/accounts/${encodeURIComponent(key)}?entries=0`));
  } catch {
    // gone in a reset: the reset reloads everything
  }
}, 300);

function visible() {
  const text = new FormData(form).get('text').trim().toLowerCase();
  const out = [];
  for (const a of state.accounts.values()) {
    if (text && !`${a.key} ${a.name} ${a.plan.name} ${a.plan.id}`.toLowerCase().includes(text)) continue;
    out.push(a);
  }
  return out.sort((a, b) => a._order - b._order);
}

export function render(active) {
  if (!active) return;
  const items = visible();
  list.draw(items.slice(0, MAX_ROWS), { total: items.length });
}

function meter(label, used, limit, note) {
  const text = limit === null || limit === undefined ? `${number(used)} / ∞` : `${number(used)} / ${number(limit)}`;
  const full = limit !== null && limit !== undefined && used >= limit;
  return h('span.meter', { class: full ? 'full' : undefined, title: note },
    h('span.meter-label', null, label),
    limit === null || limit === undefined
      ? h('span.bar.unlimited', { 'aria-hidden': 'true' })
      : h('meter', { min: 0, max: Math.max(limit, 1), value: Math.min(used, limit), high: limit * 0.8, optimum: 0,
        'aria-label': `${label}: ${text}` }),
    h('span.meter-value.mono', null, text));
}

function usage(a) {
  const u = a.usage;
  return h('span.usage', null,
    meter('req/min', u.requestsThisMinute, a.plan.requestsPerMinute,
      u.requestsThisMinute ? `the window resets at ${dateTime(u.minuteResetsAt)}` : 'no window open'),
    meter('in flight', u.activeJobs, a.plan.concurrentJobs, 'jobs queued or processing'),
    meter('today', u.jobsToday, a.plan.dailyJobs, `resets ${resetsAt(u.dayResetsAt, a.key)}`));
}

function actions() {
  return h('span.row-actions', null,
    h('button.small', { type: 'button', dataset: { action: 'set-credits' } }, 'Set credits'),
    h('button.small.quiet', { type: 'button', dataset: { action: 'change-plan' } }, 'Change plan'));
}

function row(a) {
  return h('tr', { dataset: { accountKey: a.key } },
    h('td', null, h('span.mono.key', { title: a.key }, a.key),
      h('span.sub', null, `${a.plan.name} · ${a.name}`, a.ephemeral ? ' · throw-away' : '', a.clock?.own ? ' · own clock' : '', a.enabled ? '' : ' · disabled')),
    h('td.num', null, h('strong.mono', null, number(a.credits.available)),
      h('span.sub.mono', null, `held ${number(a.credits.held)} · charged ${number(a.credits.charged)}`)),
    h('td.opt', null, usage(a)),
    h('td.actions.stacked', null, actions()));
}

const refreshDetail = throttled(() => list.selected && showDetail(list.selected, true), 250);

async function showDetail(key, quiet = false) {
  if (!quiet) list.show(list.header(key), h('p.muted', null, 'Loading…'));
  let a;
  try {
    a = await get(`/_mock/accounts/${encodeURIComponent(key)}?entries=200`);
  } catch (error) {
    list.show(list.header(key), h('p.error', null, error.message));
    return;
  }
  if (list.selected !== key) return;
  const u = a.usage;
  const now = mockNow(a.key);
  const secret = revealed.has(key) ? a.webhookSecret : '•'.repeat(16);
  list.show(
    list.header(a.name, a.enabled ? badge('enabled', 'ok') : badge('disabled', 'off'), a.ephemeral ? badge('throw-away', 'manual') : ''),
    h('div.actions', { dataset: { detailFor: a.key } },
      actions(),
      h('button.small.quiet', { type: 'button', dataset: { action: 'toggle-enabled' } }, a.enabled ? 'Disable' : 'Enable')),
    facts([
      ['API key', h('span.with-action', { dataset: { detailFor: a.key } }, h('span.mono', null, a.key), ' ',
        h('button.small.quiet', { type: 'button', dataset: { action: 'copy-key' }, title: 'Copy the API key' }, 'Copy'))],
      ['Its traffic', h('span', null,
        h('a', { href: linkTo('jobs', null, new URLSearchParams({ account: a.key })) }, 'jobs'), ' · ',
        h('a', { href: linkTo('requests', null, new URLSearchParams({ key: a.key })) }, 'requests'), ' · ',
        h('a', { href: linkTo('webhooks', null, new URLSearchParams({ text: a.key })) }, 'webhooks'))],
      ['Email', a.email],
      ['Plan', `${a.plan.name} (${a.plan.id})`],
      ['Webhook secret', h('span', null, h('span.mono', null, secret), ' ',
        h('button.link', { type: 'button', onclick: () => { toggle(revealed, key); showDetail(key, true); } },
          revealed.has(key) ? 'hide' : 'show'))],
      ['Standard Webhooks', a.standardWebhooks ? 'on' : 'off'],
      ['Clock', a.clock?.own
        ? h('span', null, 'its own: ', h('span.mono', null, dateTime(a.clock.iso)), ` · ${a.clock.speed}`)
        : "the server's"],
    ]),
    h('section.block', { 'aria-label': 'Limits' }, h('h4', null, 'Limits'),
      h('div.limits', null,
        limit('Requests this minute', u.requestsThisMinute, a.plan.requestsPerMinute,
          u.requestsThisMinute ? `window resets ${until(seconds(u.minuteResetsAt) - now)} (${timeOfDay(u.minuteResetsAt, false)})` : 'no window open'),
        limit('Jobs in flight', u.activeJobs, a.plan.concurrentJobs, 'queued or processing'),
        limit('Jobs today', u.jobsToday, a.plan.dailyJobs, `resets ${resetsAt(u.dayResetsAt, a.key)}`))),
    h('section.block', { 'aria-label': 'Credits' }, h('h4', null, 'Credits'),
      h('div.credits', null,
        credit('Available', a.credits.available), credit('Held', a.credits.held),
        credit('Charged', a.credits.charged), credit('Balance', a.credits.balance))),
    h('section.block', { 'aria-label': 'Ledger' }, h('h4', null, 'Ledger', h('span.muted', null, ' · newest first')), ledger(a.credits.entries)),
  );
}

/** "at 00:00 UTC, in 9 h 12 min": when a limit's window ends, on the clock the account follows. */
function resetsAt(iso, key) {
  return `at ${timeOfDay(iso, false).slice(0, 5)} UTC, ${until(seconds(iso) - mockNow(key))}`;
}

function toggle(set, key) {
  if (set.has(key)) set.delete(key);
  else set.add(key);
}

function limit(label, used, max, note) {
  return h('div.limit', null, meter(label, used, max), h('span.sub', null, note));
}

function credit(label, value) {
  return h('div.credit', null, h('span.sub', null, label), h('strong.mono', null, number(value)));
}

function ledger(entries) {
  if (!entries.length) return h('p.muted', null, 'No entries.');
  return h('div.scroll-x', null, h('table.ledger-table', null,
    h('caption.visually-hidden', null, 'Ledger entries'),
    h('thead', null, h('tr', null, ['Time', 'Entry', 'Amount', 'Job', 'Available', 'Held'].map((t, i) =>
      h('th', { scope: 'col', class: [i === 2 || i > 3 ? 'num' : '', i === 5 ? 'wide-only' : ''].join(' ').trim() || undefined }, t)))),
    h('tbody', null, entries.map((e) => h('tr', null,
      h('td.mono', { title: dateTime(e.at) }, timeOfDay(e.at)),
      h('td', null, badge(e.kind, `ledger-${e.kind}`)),
      h('td.num.mono', { title: LEDGER_TITLES[e.kind] }, ledgerAmount(e)),
      h('td.mono', null, e.jobId ? h('a.mono', { href: linkTo('jobs', e.jobId) }, e.jobId) : ''),
      h('td.num.mono', null, number(e.availableAfter)),
      h('td.num.mono.wide-only', null, number(e.heldAfter)))))));
}

/** Rate-limit windows end without any event: read those accounts again when they do. */
export function tick() {
  for (const a of state.accounts.values()) {
    if (a.usage.requestsThisMinute && seconds(a.usage.minuteResetsAt) <= mockNow(a.key)) touched(a.key);
  }
}

let filtersChanged = () => {};
export function onFilters(fn) {
  filtersChanged = fn;
}

form.addEventListener('input', () => {
  filtersChanged();
  invalidate('accounts');
});
form.addEventListener('submit', (event) => event.preventDefault());

export const panel = { render, list, filters, setFilters, open, close, name: 'accounts' };
