// The inspector: loads what the mock holds, follows /_mock/events, and steers the mock through
// the control API. Every action button carries data-action inside the row (or detail) it acts on.

import * as accounts from './accounts.js';
import { del, follow, get, onTokenNeeded, patch, post } from './api.js';
import { $, ask, dateTime, h, seconds, timeOfDay, toast, until } from './dom.js';
import * as faults from './faults.js';
import * as jobs from './jobs.js';
import * as requests from './requests.js';
import { MAX_REQUESTS, invalidate, mockNow, registerPanel, setClock, state, throttled } from './store.js';
import * as webhooks from './webhooks.js';

const TABS = ['requests', 'jobs', 'webhooks', 'accounts', 'faults'];

registerPanel('requests', requests.panel);
registerPanel('jobs', jobs.panel);
registerPanel('webhooks', webhooks.panel);
registerPanel('accounts', accounts.panel);
registerPanel('faults', faults.panel);
registerPanel('clock', { render: renderClock });

// Loading everything: at start, after every (re)connection, reset, or lost events. Events that
// arrive while a load is in flight are held and applied after it (its snapshot may predate them),
// and a reload asked for meanwhile runs once it is done (its snapshot may predate that too).

let loading = null;
let held = null;
let again = false;

function loadAll() {
  if (loading) {
    again = true;
    return loading;
  }
  held = [];
  loading = (async () => {
    try {
      const [r, j, d, a, f, c] = await Promise.all([
        get(`/_mock/requests?brief=1&limit=${MAX_REQUESTS}`),
        get('/_mock/jobs?limit=1000'),
        get('/_mock/deliveries?limit=1000'),
        get('/_mock/accounts'),
        get('/_mock/faults'),
        get('/_mock/clock'),
      ]);
      requests.load(r.requests);
      jobs.load(j.jobs);
      webhooks.load(d.deliveries);
      accounts.load(a);
      faults.load(f.faults);
      setClock(c);
      invalidate('clock');
      document.body.dataset.loaded = 'true';
    } catch (error) {
      toast(`Could not read the mock: ${error.message}`, 'error');
    } finally {
      const arrived = held;
      held = null;
      loading = null;
      for (const [kind, data] of arrived) handle(kind, data);
      if (again) {
        again = false;
        loadAll();
      }
    }
  })();
  return loading;
}

const RELOADING = new Set(['hello', 'reset', 'lagged']);

function handle(kind, data) {
  if (held && !RELOADING.has(kind)) {
    held.push([kind, data]);
    return;
  }
  const handler = handlers[kind];
  if (handler) handler(data);
}

function resetAll(message) {
  requests.reset();
  jobs.reset();
  webhooks.reset();
  accounts.reset();
  if (message) toast(message);
  return loadAll();
}

// The event stream

const clockSoon = throttled(async () => {
  try {
    setClock(await get('/_mock/clock'));
    invalidate('clock');
  } catch {
    // the stream's next hello reloads it
  }
}, 250);

const handlers = {
  hello: (data) => {
    setClock(data.clock);
    invalidate('clock');
    loadAll();
  },
  request: ({ request }) => {
    requests.add(request);
    accounts.touched(request.key);
  },
  journal: () => requests.cleared(),
  job: ({ job }) => {
    jobs.update(job);
    accounts.touched(job.accountKey);
    clockSoon();
  },
  delivery: ({ delivery }) => {
    webhooks.update(delivery);
    jobs.touched(delivery.jobId);
    clockSoon();
  },
  ledger: ({ account, entry }) => {
    accounts.touched(account);
    jobs.touched(entry.jobId);
  },
  account: ({ account }) => (account.deleted ? accounts.remove(account.key) : accounts.update(account)),
  clock: ({ clock }) => {
    setClock(clock);
    invalidate('clock', 'jobs', 'webhooks');
  },
  fault: (data) => faults.load(data.faults),
  reset: ({ reason }) => resetAll(reason === 'reload' ? 'Fixtures reloaded: everything is back to them.' : 'The mock was reset.'),
  lagged: () => loadAll(),
};

const LIVE_TEXT = { live: 'Live', connecting: 'Connecting…', reconnecting: 'Reconnecting…', locked: 'Needs the admin token' };

function setLive(status) {
  const el = $('live');
  el.dataset.state = status;
  el.textContent = LIVE_TEXT[status] || status;
  document.body.dataset.live = status;
}

// The clock in the header

function renderClock() {
  const c = state.clock;
  if (!c) return;
  const now = mockNow();
  const iso = new Date(now * 1000).toISOString();
  const el = $('clock-time');
  el.textContent = `${timeOfDay(iso, false)} UTC`;
  el.dateTime = iso;
  el.title = dateTime(iso);
  $('clock-mode').textContent = c.mode === 'virtual' ? 'virtual clock' : 'real clock';
  $('clock-mode').dataset.mode = c.mode;
  const speed = $('speed');
  if (document.activeElement !== speed) {
    if (![...speed.options].some((o) => o.value === c.speed)) speed.append(h('option', { value: c.speed }, `${c.speed}×`));
    speed.value = c.speed;
  }
  const next = $('next-due');
  next.textContent = c.nextDueAt ? `(${until(seconds(c.nextDueAt) - now)})` : '(none)';
  $('advance-next').disabled = !c.nextDueAt;
}

// Tabs (WAI-ARIA tabs: arrow keys move between them)

function showTab(name, focus = false) {
  state.tab = name;
  for (const tab of TABS) {
    const button = $(`tab-${tab}`);
    const on = tab === name;
    button.setAttribute('aria-selected', String(on));
    button.tabIndex = on ? 0 : -1;
    $(`panel-${tab}`).hidden = !on;
  }
  if (focus) $(`tab-${name}`).focus();
  $(`tab-${name}`).scrollIntoView({ block: 'nearest', inline: 'nearest' });
  if (location.hash !== `#${name}`) history.replaceState(null, '', `#${name}`);
  invalidate(name);
}

$('tablist').addEventListener('click', (event) => {
  const tab = event.target.closest('[role=tab]');
  if (tab) showTab(tab.id.slice(4));
});
$('tablist').addEventListener('keydown', (event) => {
  const at = TABS.indexOf(state.tab);
  const moves = { ArrowRight: at + 1, ArrowLeft: at - 1, Home: 0, End: TABS.length - 1 };
  if (!(event.key in moves)) return;
  event.preventDefault();
  showTab(TABS[(moves[event.key] + TABS.length) % TABS.length], true);
});

// Actions: one handler for every [data-action], which finds what it acts on from the row (or
// detail pane) the button is in.

function target(el, attribute) {
  const holder = el.closest(`[data-${attribute}]`);
  if (holder) return holder.dataset[attribute.replace(/-(\w)/g, (_, c) => c.toUpperCase())];
  const detail = el.closest('[data-detail-for]');
  return detail ? detail.dataset.detailFor : null;
}

const FAIL_CODES = ['GENERATION_FAILED', 'FACE_NOT_DETECTED', 'CONTENT_POLICY_VIOLATION', 'AUDIO_UNREADABLE', 'INTERNAL_ERROR', 'TIMEOUT'];

const actions = {
  async complete(el) {
    const id = target(el, 'job-id');
    await post(`/_mock/jobs/${id}/complete`);
    toast(`Job ${id} completed.`);
  },
  async fail(el) {
    const id = target(el, 'job-id');
    const answer = await ask({
      title: `Fail job ${id}`,
      text: 'The job fails now with this error; its held credits are released and its webhook (if any) is sent.',
      fields: [
        { name: 'code', label: 'Error code', value: FAIL_CODES[0], list: 'fail-codes', required: true },
        { name: 'message', label: 'Message', value: 'The job was failed from the inspector' },
      ],
      confirm: 'Fail job',
      danger: true,
    });
    if (!answer) return;
    await post(`/_mock/jobs/${id}/fail`, { code: answer.code.trim() || FAIL_CODES[0], message: answer.message || 'Failed from the inspector' });
    toast(`Job ${id} failed with ${answer.code}.`);
  },
  async cancel(el) {
    const id = target(el, 'job-id');
    await post(`/_mock/jobs/${id}/state`, { status: 'cancelled' });
    toast(`Job ${id} cancelled.`);
  },
  async resend(el) {
    const id = target(el, 'delivery-id');
    const delivery = await post(`/_mock/deliveries/${id}/resend`);
    const last = delivery.attempts[delivery.attempts.length - 1];
    const result = last ? (last.statusCode ? `HTTP ${last.statusCode}` : last.error) : 'no answer';
    toast(`Resent ${id}: ${result}.`, last && last.statusCode >= 200 && last.statusCode < 300 ? 'ok' : 'warn');
  },
  async 'copy-curl'(el) {
    const id = target(el, 'delivery-id');
    const delivery = state.deliveries.get(id);
    if (!delivery) return;
    await copy(webhooks.curlFor(delivery));
    toast('Copied the delivery as a curl command.');
  },
  async advance(el) {
    const next = el.dataset.seconds === 'next';
    const clock = await post('/_mock/clock/advance', next ? { next: true } : { seconds: Number(el.dataset.seconds) });
    setClock(clock);
    invalidate('clock', 'jobs', 'webhooks');
  },
  async reset() {
    const ok = await ask({
      title: 'Reset the mock?',
      text: 'Accounts, credits, jobs, limits, webhook deliveries, the request journal and faults go back to the loaded fixtures. The clock runs on.',
      confirm: 'Reset',
      danger: true,
    });
    if (ok) await post('/_mock/reset');
  },
  async reload() {
    const ok = await ask({
      title: 'Reload the fixture files?',
      text: 'The fixture files are read again and the mock is reset to them. A bad file changes nothing and is reported.',
      confirm: 'Reload and reset',
      danger: true,
    });
    if (ok) await post('/_mock/fixtures/reload');
  },
  async 'set-credits'(el) {
    const key = target(el, 'account-key');
    const account = state.accounts.get(key);
    const answer = await ask({
      title: `Set credits of ${key}`,
      text: 'What is spendable becomes this; credits held for jobs in flight stay held.',
      fields: [{ name: 'credits', label: 'Available credits', type: 'number', min: 0, step: 1, value: account ? account.credits.available : 0, required: true }],
      confirm: 'Set credits',
    });
    if (!answer) return;
    accounts.update(await patch(`/_mock/accounts/${encodeURIComponent(key)}`, { credits: Number(answer.credits) }));
  },
  async 'change-plan'(el) {
    const key = target(el, 'account-key');
    const account = state.accounts.get(key);
    const answer = await ask({
      title: `Change the plan of ${key}`,
      fields: [{ name: 'plan', label: 'Plan', value: account ? account.plan.id : undefined, options: planOptions() }],
      confirm: 'Change plan',
    });
    if (!answer) return;
    accounts.update(await patch(`/_mock/accounts/${encodeURIComponent(key)}`, { plan: answer.plan }));
  },
  async 'toggle-enabled'(el) {
    const key = target(el, 'account-key');
    const account = state.accounts.get(key);
    if (!account) return;
    accounts.update(await patch(`/_mock/accounts/${encodeURIComponent(key)}`, { enabled: !account.enabled }));
  },
  async 'create-account'() {
    const answer = await ask({
      title: 'New throw-away account',
      text: 'An account of its own for one test or one session: its own key, credits, limits and webhook secret.',
      fields: [
        { name: 'plan', label: 'Plan', value: 'pro', options: planOptions() },
        { name: 'credits', label: 'Credits', type: 'number', min: 0, step: 1, value: 10000, required: true },
        { name: 'name', label: 'Name (optional)' },
      ],
      confirm: 'Create account',
    });
    if (!answer) return;
    const body = { plan: answer.plan, credits: Number(answer.credits) };
    if (answer.name.trim()) body.name = answer.name.trim();
    const account = await post('/_mock/accounts', body);
    accounts.update(account);
    showTab('accounts');
    invalidate('accounts');
    setTimeout(() => accounts.select(account.key), 100);
    toast(`Created ${account.key}.`, 'ok');
  },
  async 'remove-fault'(el) {
    await del(`/_mock/faults/${target(el, 'fault-id')}`);
  },
  async 'clear-faults'() {
    await del('/_mock/faults');
  },
  async 'clear-requests'() {
    await del('/_mock/requests');
  },
  'show-delivery'(el) {
    showTab('webhooks');
    setTimeout(() => webhooks.select(el.dataset.target), 100);
  },
  'show-job'(el) {
    showTab('jobs');
    setTimeout(() => jobs.select(el.dataset.target), 100);
  },
};

function planOptions() {
  return state.plans.map((p) => [p.id, `${p.name} (${p.id})`]);
}

async function copy(text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = h('textarea', { 'aria-hidden': 'true', class: 'offscreen' });
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }
}

async function run(name, el) {
  const action = actions[name];
  if (!action) return;
  const busy = el.tagName === 'BUTTON';
  if (busy) el.disabled = true;
  try {
    await action(el);
  } catch (error) {
    toast(error.message, 'error');
  } finally {
    if (busy && el.isConnected) el.disabled = false;
  }
}

document.addEventListener('click', (event) => {
  const el = event.target.closest('button[data-action]');
  if (!el || el.closest('dialog') || el.type === 'submit') return;
  run(el.dataset.action, el);
});

$('speed').addEventListener('change', async (event) => {
  try {
    setClock(await patch('/_mock/clock', { speed: event.target.value }));
    invalidate('clock');
    toast(`Speed: ${event.target.value}. It applies to what is scheduled from now on.`);
  } catch (error) {
    toast(error.message, 'error');
  }
});

$('fault-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target;
  const button = form.querySelector('[data-action=add-fault]');
  button.disabled = true;
  try {
    const fault = await post('/_mock/faults', faults.formBody(form));
    toast(`Added ${fault.id}.`, 'ok');
  } catch (error) {
    toast(error.message, 'error');
  } finally {
    button.disabled = false;
  }
});

// The admin token, asked for once when the server wants one

onTokenNeeded(async (wasWrong) => {
  setLive('locked');
  const answer = await ask({
    title: 'Admin token',
    text: wasWrong
      ? 'That token was not accepted. This server needs its --admin-token for the control API.'
      : 'This server was started with --admin-token. Enter it to use the inspector; it is kept for this tab only.',
    fields: [{ name: 'token', label: 'Token', type: 'password', required: true }],
    confirm: 'Use token',
  });
  return answer && answer.token ? answer.token : null;
});

// Start

document.body.append(h('datalist', { id: 'fail-codes' }, FAIL_CODES.map((c) => h('option', { value: c }))));
requests.reset();
jobs.reset();
webhooks.reset();
accounts.reset();
showTab(TABS.includes(location.hash.slice(1)) ? location.hash.slice(1) : 'requests');
setInterval(() => {
  renderClock();
  jobs.tick();
  webhooks.tick();
  accounts.tick();
}, 1000);
follow(handle, setLive);
