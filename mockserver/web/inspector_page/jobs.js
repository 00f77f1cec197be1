// Jobs: every account's, newest first; one job's timeline, input, price, video and webhooks.

import { get } from './api.js';
import { $, ago, badge, dateTime, facts, h, number, seconds, span, timeOfDay } from './dom.js';
import { List } from './list.js';
import { MAX_ROWS, cap, invalidate, mockNow, stamp, state, throttled } from './store.js';

const ACTIVE = new Set(['queued', 'processing']);
const form = $('job-filters');

const list = new List({
  rows: 'jobs-rows',
  detail: 'job-detail',
  empty: 'jobs-empty',
  more: 'jobs-more',
  keyOf: (j) => j.id,
  build: row,
  onSelect: (id) => showDetail(id),
});

export function reset() {
  state.jobs.clear();
  list.clear('Select a job to see its timeline, its input and price, its video and its webhooks.');
}

export function load(jobs) {
  state.jobs.clear();
  for (const job of [...jobs].reverse()) state.jobs.set(job.id, stamp(job)); // oldest first, like arrivals
  invalidate('jobs');
}

export function update(job) {
  state.jobs.set(job.id, stamp(job, state.jobs.get(job.id)));
  cap(state.jobs);
  invalidate('jobs');
  if (list.selected === job.id) refreshDetail();
}

/** Something about a job changed elsewhere (a delivery, a ledger entry): redraw its detail. */
export function touched(jobId) {
  if (jobId && list.selected === jobId) refreshDetail();
}

export function select(id) {
  list.select(id);
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

function visible() {
  const f = new FormData(form);
  const account = f.get('account').trim();
  const status = f.get('status');
  const out = [];
  for (const job of state.jobs.values()) {
    if (account && job.accountKey !== account) continue;
    if (status === 'active' ? !ACTIVE.has(job.status) : status && job.status !== status) continue;
    out.push(job);
  }
  return out.sort((a, b) => b.seq - a.seq);
}

export function render(active) {
  let inFlight = 0;
  for (const job of state.jobs.values()) if (ACTIVE.has(job.status)) inFlight += 1;
  $('count-jobs').textContent = inFlight ? `${inFlight} / ${state.jobs.size}` : state.jobs.size;
  $('count-jobs').title = `${inFlight} in flight of ${state.jobs.size}`;
  if (!active) return;
  const items = visible();
  list.draw(items.slice(0, MAX_ROWS), items.length);
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
  try {
    job = await get(`/_mock/jobs/${encodeURIComponent(id)}`);
  } catch (error) {
    list.show(list.header(`Job ${id}`), h('p.error', null, error.message));
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
    h('section.block', { 'aria-label': 'Price' }, h('h4', null, 'Price'), price(job)),
    h('section.block', { 'aria-label': 'Webhook deliveries' }, h('h4', null, 'Webhooks'), deliveries(job)),
  );
}

function video(job) {
  const meta = job.metadata || {};
  return h('figure.video', null,
    h('video', { controls: true, preload: 'none', playsinline: true, src: job.url, dataset: { src: job.url },
      'aria-label': `Output video of ${job.id}` }),
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
    ['Account', h('span.mono', null, job.accountKey)],
  ]);
}

function price(job) {
  return [
    facts([
      ['Cost', h('strong', null, `${number(job.creditCost)} credits`)],
      ['Speech', `${job.duration} s (${job.tier} tier)`],
    ]),
    job.ledger.length
      ? h('table.kv.ledger', null, h('caption.visually-hidden', null, 'Ledger entries of this job'),
        h('tbody', null, job.ledger.map((e) => h('tr', null,
          h('th', { scope: 'row' }, e.kind),
          h('td.num.mono', null, number(e.amount)),
          h('td.mono', { title: dateTime(e.at) }, timeOfDay(e.at))))))
      : h('p.muted', null, 'No ledger entries kept for this job.'),
  ];
}

function deliveries(job) {
  if (!job.webhookUrl) return h('p.muted', null, 'No webhookUrl: nothing is delivered.');
  if (!job.deliveries.length) return h('p.muted', null, 'Delivered when the job finishes.');
  return h('ul.plain', null, job.deliveries.map((d) => h('li', null,
    badge(d.state, `delivery-${d.state}`), ' ',
    h('button.link', { type: 'button', dataset: { action: 'show-delivery', target: d.id } }, d.id), ' ',
    h('span.muted', null, `${d.event}, ${d.attempts.length} attempt${d.attempts.length === 1 ? '' : 's'}`))));
}

/** Once a second: ages and progress move with the mock's clock. */
export function tick() {
  for (const el of document.querySelectorAll('#jobs-rows [data-since]')) {
    el.textContent = ago(mockNow(el.dataset.account) - seconds(el.dataset.since));
  }
  for (const el of document.querySelectorAll('[data-progress-job]')) {
    const job = state.jobs.get(el.dataset.progressJob);
    if (!job) continue;
    const p = progress(job);
    el.value = p;
    const pct = el.parentElement.querySelector('[data-pct-job]');
    if (pct) pct.textContent = `${Math.round(p * 100)}%`;
  }
}

form.addEventListener('input', () => invalidate('jobs'));
form.addEventListener('submit', (event) => event.preventDefault());

export const panel = { render, list };
