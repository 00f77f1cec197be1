// Faults: what is injected now, and a form to add one.

import { $, h, syncRows } from './dom.js';
import { invalidate, stamp, state } from './store.js';

export function load(faults) {
  state.faults = faults.map((f) => stamp(f));
  invalidate('faults');
}

export function render(active) {
  $('count-faults').textContent = state.faults.length;
  $('count-faults').classList.toggle('alert', state.faults.length > 0);
  if (!active) return;
  syncRows($('faults-rows'), state.faults, (f) => f.id, row);
  $('faults-empty').hidden = state.faults.length > 0;
}

function answer(f) {
  const parts = [];
  if (f.status) parts.push(h('span.code.status-' + String(f.status)[0] + 'xx', null, f.status), ' ', h('span.mono', null, f.code));
  if (f.latency) parts.push(parts.length ? ' after ' : 'delay ', h('span.mono', null, `${f.latency} s`));
  return parts;
}

function matches(f) {
  const m = Object.entries(f.match).filter(([, v]) => v !== null && v !== undefined);
  return m.length ? m.map(([k, v]) => `${k}=${v}`).join(', ') : 'any API request';
}

function row(f) {
  return h('tr', { dataset: { faultId: f.id } },
    h('td.mono', null, f.id),
    h('td', null, answer(f), f.message ? h('span.sub', null, f.message) : ''),
    h('td.num.mono', null, f.remaining, h('span.sub', null, `${f.hits} used`)),
    h('td.opt.mono.small', null, matches(f)),
    h('td.actions', null, h('button.small.quiet', { type: 'button', dataset: { action: 'remove-fault' }, title: `Remove ${f.id}` }, 'Remove')));
}

/** The form as the control API's POST /_mock/faults body. */
export function formBody(form) {
  const f = new FormData(form);
  const text = (name) => (f.get(name) || '').trim() || undefined;
  const body = { count: Number(f.get('count') || 1), latency: Number(f.get('latency') || 0) };
  if (f.get('status')) body.status = Number(f.get('status'));
  if (text('code')) body.code = text('code');
  if (text('message')) body.message = text('message');
  const match = {};
  for (const name of ['key', 'surface', 'operation', 'path', 'method']) if (text(name)) match[name] = text(name);
  if (Object.keys(match).length) body.match = match;
  return body;
}

export const panel = { render };
