// Jobs: every account's, newest first, searched and paged by the server; one job's timeline,
// input, price and ledger entries, video, the requests that made and named it, and its webhooks.

import { get } from './api.js';
import { $, ago, badge, dateTime, facts, h, number, seconds, signed, span, statusClass, timeOfDay } from './dom.js';
import { Feed } from './feed.js';
import { List } from './list.js';
import { linkTo } from './nav.js';
import { invalidate, mockNow, throttled } from './store.js';

const ACTIVE = new Set(['queued', 'processing']);
const STATUS_PARAMS = { active: 'queued,processing' };
const FIELDS = ['text', 'account', 'status'];
const form = $('job-filters');

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

function serverParams() {
  const params = filters();
  if (params.get('status')) params.set('status', STATUS_PARAMS[params.get('status')] || params.get('status'));
  return params;
}

/** What the server's text search looks in, so a job that arrives is matched alike. */
function searchable(job) {
  const error = job.error || {};
  return [job.id, job.accountKey, job.status, job.text, job.avatarId, job.voice, job.scenario, error.code,
    error.message, job.webhookUrl, job.audioUrl, job.imageUrl].map((part) => part || '').join('\n').toLowerCase();
}

function matches(job) {
  const f = filters();
  if (f.get('account') && job.accountKey !== f.get('account')) return false;
  const status = f.get('status');
  if (status === 'active' ? !ACTIVE.has(job.status) : status && job.status !== status) return false;
  return !f.get('text') || searchable(job).includes(f.get('text').toLowerCase());
}

export const feed = new Feed({
  path: '/_mock/jobs',
  field: 'jobs',
  idOf: (j) => j.id,
  rankOf: (j) => j.seq,
  cursorOf: (j) => j.seq,
  params: serverParams,
  matches,
  onChange: () => invalidate('jobs'),
});

const list = new List({
  tab: 'jobs',
  rows: 'jobs-rows',
  detail: 'job-detail',
  empty: 'jobs-empty',
  more: 'jobs-more',
  held: 'jobs-held',
  keyOf: (j) => j.id,
  build: row,
  onSelect: (id) => showDetail(id),
  filters,
  noun: 'job',
});

export function reset() {
  feed.clear();
  list.clear('Select a job to see its timeline, its input and price, its video, its requests and its webhooks.');
}

export function arrive(job) {
  feed.arrive(job);
  if (list.selected === job.id) refreshDetail();
}

/** Something about a job changed elsewhere (a delivery, a ledger entry, a request): redraw its detail. */
export function touched(jobId) {
  if (jobId && list.selected === jobId) refreshDetail();
}

export function open(id) {
  list.select(id, { focus: false, history: false });
}

export function close() {
  list.clear('Select a job to see its timeline, its input and price, its video, its requests and its webhooks.');
}

/** How far a job is, on the mock's clock (processing moves between events). */
export function progress(job) {
  if (job.status === 'completed') return 1;
  if (job.status !== 'processing') return job.progress ?? 0;
  const start = seconds(job.startedAt);
  const end = seconds(job.endsAt);
  if (start === null || end === null || end <= start) return job.progress ?? 0;
  return Math.min(Math.max((mockNow(job.accountKey) - start) / (end - start), 0), 0.99);
}

export function render(active) {
  if (!active) return;
  list.draw(feed.sorted(), { total: feed.total, older: feed.next !== null, held: feed.held.size });
}

export function statusBadge(job) {
  return badge(job.status, `job-${job.status}`);
}

function progressBar(job) {
  const p = progress(job);
  return h('span.progress.below', null,
    h('progress', { max: 1, value: p, dataset: { progressJob: job.id }, 'aria-label': `Progress of ${job.id}` }),
    h('span.pct.mono', { dataset: { pctJob: job.id } }, `${Math.round(p * 100)}%`));
}

function actions(job) {
  if (!ACTIVE.has(job.status)) return '';
  return h('span.row-actions', null,
    h('button.small', { type: 'button', dataset: { action: 'complete' }, title: `Complete ${job.id} now` }, 'Complete'),
    h('button.small.warn', { type: 'button', dataset: { action: 'fail' }, title: `Fail ${job.id} with a code` }, 'Fail'),
    h('button.small.quiet', { type: 'button', dataset: { action: 'cancel' }, title: `Cancel ${job.id}` }, 'Cancel'));
}

function summary(job) {
  if (job.text) return job.text.length > 60 ? `${job.text.slice(0, 57)}…` : job.text;
  return job.audioUrl ? `audio ${job.audioUrl}` : '';
}

function row(job) {
  return h('tr', { dataset: { jobId: job.id } },
    h('td', null, h('span.mono.id', null, job.id), h('span.sub', null, summary(job))),
    h('td.status', null, statusBadge(job), job.status === 'processing' ? progressBar(job) : '',
      h('span.sub.mono', { dataset: { since: job.createdAt, account: job.accountKey }, title: `created ${dateTime(job.createdAt)}` }, ago(mockNow(job.accountKey) - seconds(job.createdAt)))),
    h('td.opt.num.mono', null, number(job.creditCost)),
    h('td.opt.mono.key', { title: job.accountKey }, job.accountKey),
    h('td.actions', null, actions(job)));
}

const refreshDetail = throttled(() => list.selected && showDetail(list.selected, true), 200);

async function showDetail(id, quiet = false) {
  if (!quiet) list.show(list.header(`Job ${id}`), h('p.muted', null, 'Loading…'));
  let job;
  let sent;
  try {
    [job, sent] = await Promise.all([
      get(`/_mock/jobs/${encodeURIComponent(id)}`),
      get(`/_mock/requests?brief=1&limit=20&job=${encodeURIComponent(id)}`),
    ]);
  } catch (error) {
    if (list.selected === id) list.show(list.header(`Job ${id}`), h('p.error', null, error.message));
    return;
  }
  if (list.selected !== id) return;
  const old = list.detail.querySelector('video');
  const keepVideo = old && old.dataset.src === job.url ? old : null;
  list.show(
    list.header(`Job ${job.id}`, statusBadge(job)),
    ACTIVE.has(job.status) ? h('div.actions', { dataset: { detailFor: job.id } }, actions(job)) : '',
    job.error ? h('p.error-box', { role: 'note' }, h('strong.mono', null, job.error.code), ` ${job.error.message}`) : '',
    job.status === 'completed' && job.url ? (keepVideo || video(job)) : '',
    h('section.block', { 'aria-label': 'Timeline' }, h('h4', null, 'Timeline'), timeline(job)),
    h('section.block', { 'aria-label': 'Input' }, h('h4', null, 'Input'), input(job)),
    h('section.block', { 'aria-label': 'Price' }, h('h4', null, 'Price and ledger'), price(job)),
    h('section.block', { 'aria-label': 'Requests' }, h('h4', null, 'Requests'), requests(job, sent)),
    h('section.block', { 'aria-label': 'Webhook deliveries' }, h('h4', null, 'Webhooks'), deliveries(job)),
  );
}

function video(job) {
  const meta = job.metadata || {};
  // Not a black box before Play: the avatar's portrait stands in (served here, so the page's
  // policy allows it), and the first frame is read as soon as the video's metadata is.
  const poster = job.avatarId ? `/avatars/${encodeURIComponent(job.avatarId)}/portrait` : undefined;
  return h('figure.video', null,
    h('video', { controls: true, preload: 'metadata', playsinline: true, src: `${job.url}#t=0.1`, poster,
      dataset: { src: job.url }, 'aria-label': `Output video of ${job.id}` }),
    h('figcaption.muted', null, `${meta.width}×${meta.height}, ${meta.duration} s · `, h('a', { href: job.url }, 'open the MP4')));
}

function timeline(job) {
  const created = seconds(job.createdAt);
  return h('ol.timeline', null, job.timeline.map((step) =>
    h(`li.step.job-${step.status}`, { class: step.planned ? 'planned' : undefined },
      h('span.dot', { 'aria-hidden': 'true' }),
      h('span.label', null, step.planned ? `${step.status} (expected)` : step.status),
      h('time.mono', { datetime: step.at, title: dateTime(step.at) }, timeOfDay(step.at)),
      h('span.muted.mono', null, step.at && created !== null ? `+${span(seconds(step.at) - created)}` : ''))));
}

function input(job) {
  return facts([
    job.text ? ['Text', h('span.text', null, job.text)] : null,
    job.avatarId ? ['Avatar', h('span.mono', null, job.avatarId)] : null,
    job.imageUrl ? ['Image URL', h('span.mono', null, job.imageUrl)] : null,
    job.audioUrl ? ['Audio URL', h('span.mono', null, job.audioUrl)] : null,
    ['Voice', h('span.mono', null, job.voice || '–')],
    job.language ? ['Language', job.language] : null,
    ['Version', h('span.mono', null, job.version || '–')],
    ['Format', `${job.aspectRatio} · ${job.resolution} (${job.metadata.width}×${job.metadata.height})`],
    ['Webhook URL', job.webhookUrl ? h('span.mono', null, job.webhookUrl) : h('span.muted', null, 'none')],
    job.scenario ? ['Scenario', h('span.mono', null, job.scenario)] : null,
    ['Account', h('a.mono', { href: linkTo('accounts', job.accountKey) }, job.accountKey)],
  ]);
}

/** A ledger entry's amount, signed by what it did to the credits a job can spend (`hold`: fewer,
 * `release`: more back), or to the balance (`charge`: spent). */
export function ledgerAmount(entry) {
  const sign = { hold: -1, charge: -1, release: 1, initial: 1, grant: 1 }[entry.kind];
  return signed(sign === undefined ? entry.amount : sign * entry.amount);
}

export const LEDGER_TITLES = {
  hold: 'held for the job: no longer spendable',
  charge: 'spent: the held credits are gone',
  release: 'released: spendable again',
  adjust: 'set from the control API',
  initial: 'the account\'s first credits',
  grant: 'granted',
};

function price(job) {
  return [
    facts([
      ['Cost', h('strong', null, `${number(job.creditCost)} credits`)],
      ['Speech', `${job.duration} s (${job.tier} tier)`],
    ]),
    job.ledger.length
      ? h('table.kv.ledger', null, h('caption.visually-hidden', null, 'Ledger entries of this job'),
        h('tbody', null, job.ledger.map((e) => h('tr', null,
          h('th', { scope: 'row' }, badge(e.kind, `ledger-${e.kind}`)),
          h('td.num.mono', { title: LEDGER_TITLES[e.kind] }, ledgerAmount(e)),
          h('td.mono', { title: dateTime(e.at) }, timeOfDay(e.at))))))
      : h('p.muted', null, 'No ledger entries kept for this job.'),
  ];
}

function requests(job, sent) {
  if (!sent.requests.length) return h('p.muted', null, 'None in the journal (it keeps the newest --journal-size requests).');
  const newestFirst = [...sent.requests].reverse();
  return [
    h('ul.plain.links', null, newestFirst.map((r) => h('li', null,
      h('a.mono', { href: linkTo('requests', r.id) }, `#${r.id}`), ' ',
      h(`span.code.${statusClass(r.status)}`, null, r.status), ' ',
      h('span.mono', null, `${r.method} ${r.path}`), r.operation ? h('span.op', null, ` ${r.operation.split(',')[0]}`) : '',
      r.jobId === job.id ? h('span.muted', null, ' · made it') : '',
      h('span.muted.mono', { title: dateTime(r.at) }, ` · ${timeOfDay(r.at)}`)))),
    sent.total > sent.requests.length
      ? h('p.muted', null, h('a', { href: linkTo('requests', null, new URLSearchParams({ job: job.id })) }, `All ${number(sent.total)} in Requests`))
      : h('p', null, h('a', { href: linkTo('requests', null, new URLSearchParams({ job: job.id })) }, 'Show them in Requests')),
  ];
}

function deliveries(job) {
  if (!job.webhookUrl) return h('p.muted', null, 'No webhookUrl: nothing is delivered.');
  if (!job.deliveries.length) return h('p.muted', null, 'Delivered when the job finishes.');
  return h('ul.plain', null, job.deliveries.map((d) => h('li', null,
    badge(d.state, `delivery-${d.state}`), ' ',
    h('a.mono', { href: linkTo('webhooks', d.id) }, d.id), ' ',
    h('span.muted', null, `${d.event}, ${d.attempts.length} attempt${d.attempts.length === 1 ? '' : 's'}`))));
}

/** Once a second: ages and progress move with the mock's clock. */
export function tick() {
  for (const el of document.querySelectorAll('#jobs-rows [data-since]')) {
    el.textContent = ago(mockNow(el.dataset.account) - seconds(el.dataset.since));
  }
  for (const el of document.querySelectorAll('[data-progress-job]')) {
    const job = feed.items.get(el.dataset.progressJob);
    if (!job) continue;
    const p = progress(job);
    el.value = p;
    const pct = el.parentElement.querySelector('[data-pct-job]');
    if (pct) pct.textContent = `${Math.round(p * 100)}%`;
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

export const panel = { render, list, feed, filters, setFilters, open, close, name: 'jobs' };
