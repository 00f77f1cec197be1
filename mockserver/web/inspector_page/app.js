// The inspector: loads what the mock holds, follows /_mock/events, and steers the mock through
// the control API. Every action button carries data-action inside the row (or detail) it acts on.

import * as accounts from './accounts.js';
import { del, follow, get, onTokenNeeded, patch, post } from './api.js';
import * as counts from './counts.js';
import { $, ask, copy, dateTime, h, returnFocus, seconds, timeOfDay, toast, until } from './dom.js';
import * as faults from './faults.js';
import * as jobs from './jobs.js';
import * as nav from './nav.js';
import * as requests from './requests.js';
import { invalidate, mockNow, registerPanel, setClock, setFollowing, state, throttled } from './store.js';
import * as webhooks from './webhooks.js';

const TABS = nav.TABS;
const PANELS = { requests: requests.panel, jobs: jobs.panel, webhooks: webhooks.panel, accounts: accounts.panel };

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
let firstLoaded;
// Resolved once the first load has ended (read or failed): an address opened on a fresh load
// shows its item after the page knows the mock's clock, so its times are read against it.
const firstLoad = new Promise((resolve) => { firstLoaded = resolve; });

function loadAll() {
  if (loading) {
    again = true;
    return loading;
  }
  held = [];
  loading = (async () => {
    try {
      const [a, f, c] = await Promise.all([
        get('/_mock/accounts'),
        get('/_mock/faults'),
        get('/_mock/clock'),
        requests.feed.reload(),
        jobs.feed.reload(),
        webhooks.feed.reload(),
        counts.refresh(),
      ]);
      accounts.load(a);
      faults.load(f.faults);
      setClock(c);
      invalidate('clock');
      document.body.dataset.loaded = 'true';
    } catch (error) {
      toast(`Could not read the mock: ${error.message}`, 'error');
    } finally {
      firstLoaded();
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
    requests.feed.arrive(request);
    accounts.touched(request.key);
    jobs.touched(request.jobId);
    counts.soon();
  },
  journal: () => {
    requests.cleared();
    counts.soon();
  },
  job: ({ job }) => {
    jobs.arrive(job);
    accounts.touched(job.accountKey);
    counts.soon();
    clockSoon();
  },
  delivery: ({ delivery }) => {
    webhooks.arrive(delivery);
    jobs.touched(delivery.jobId);
    counts.soon();
    clockSoon();
  },
  ledger: ({ account, entry }) => {
    accounts.touched(account);
    jobs.touched(entry.jobId);
  },
  account: ({ account }) => {
    if (account.deleted) accounts.remove(account.key);
    else accounts.update(account);
    counts.soon();
  },
  clock: ({ clock }) => {
    setClock(clock);
    invalidate('clock', 'jobs', 'webhooks');
  },
  fault: (data) => faults.load(data.faults),
  reset: ({ reason }) => resetAll(reason === 'reload' ? 'Fixtures reloaded: everything is back to them.' : 'The mock was reset.'),
  lagged: () => loadAll(),
};

const LIVE_TEXT = { live: 'Live', connecting: 'Connecting…', reconnecting: 'Reconnecting…', locked: 'Needs token' };

function setLive(status) {
  const el = $('live');
  el.dataset.state = status;
  el.textContent = LIVE_TEXT[status] || status;
  el.title = status === 'live' ? 'Following the mock as it changes'
    : 'Not following the mock: times, ages and progress stand still until it is back';
  document.body.dataset.live = status;
  setFollowing(status === 'live');
  tickAll(); // what moves with the mock's clock shows the moment it was lost, and stays
}

function tickAll() {
  renderClock();
  jobs.tick();
  webhooks.tick();
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
  $('clock-mode').textContent = c.mode === 'virtual' ? 'virtual' : 'real';
  $('clock-mode').title = c.mode === 'virtual' ? 'A virtual clock: it moves only when advanced' : 'The real clock';
  $('clock-mode').dataset.mode = c.mode;
  const speed = $('speed');
  if (document.activeElement !== speed) {
    if (![...speed.options].some((o) => o.value === c.speed)) speed.append(h('option', { value: c.speed }, `${c.speed}×`));
    speed.value = c.speed;
  }
  const next = $('next-due');
  next.textContent = c.nextDueAt ? until(seconds(c.nextDueAt) - now) : 'none due';
  $('advance-next').disabled = !c.nextDueAt;
  $('advance-next').title = c.nextDueAt
    ? `Advance to the next job transition or webhook retry: ${next.textContent}, at ${dateTime(c.nextDueAt)}`
    : 'Nothing is scheduled';
}

// Tabs (WAI-ARIA tabs: arrow keys move between them), and the address they and the lists keep

function showTab(name, { focus = false, history = 'push' } = {}) {
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
  const panel = PANELS[name];
  if (history) {
    const id = panel && panel.list.selected && panel.list.detail.classList.contains('open') ? panel.list.selected : null;
    nav.go({ tab: name, id, params: panel ? panel.filters() : null }, history);
  }
  invalidate(name);
}

/** Show what an address names: its tab, its filters and the item it opens (read from the mock
 * when the lists do not hold it: an old job, a request past the first page). */
function applyRoute({ tab, id, params }) {
  const name = tab || 'requests';
  showTab(name, { history: false });
  const panel = PANELS[name];
  if (!panel) return;
  if (panel.setFilters(params) && panel.feed) panel.feed.reload().catch((error) => toast(error.message, 'error'));
  if (id !== null && id !== undefined) {
    if (panel.list.selected !== id || !panel.list.detail.classList.contains('open')) panel.open(id);
  } else if (panel.list.selected !== null) {
    panel.close();
  }
}

for (const panel of Object.values(PANELS)) {
  const module = { requests, jobs, webhooks, accounts }[panel.name];
  module.onFilters(() => nav.go({ tab: panel.name, id: panel.list.selected, params: panel.filters() }, 'replace'));
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
  showTab(TABS[(moves[event.key] + TABS.length) % TABS.length], { focus: true, history: 'replace' });
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
    if (el.closest('#panel-requests')) {
      const id = target(el, 'request-id');
      const reveal = el.closest('.actions').querySelector('[name=reveal-key]').checked;
      const entry = reveal ? await requests.withCredentials(id) : requests.details.get(String(id));
      await copy(requests.curlFor(entry));
      toast(reveal ? 'Copied as a curl command, with the real key.' : 'Copied as a curl command, the key masked.');
      return;
    }
    const delivery = await webhooks.delivery(target(el, 'delivery-id'));
    await copy(webhooks.curlFor(delivery));
    toast('Copied the delivery as a curl command.');
  },
  async 'copy-body'(el) {
    const entry = requests.details.get(String(target(el, 'request-id')));
    await copy(entry.body);
    toast(entry.bodyTruncated ? 'Copied the body: the first 16 KiB, all the journal kept.' : 'Copied the body.');
  },
  async replay(el) {
    const id = target(el, 'request-id');
    const entry = await post(`/_mock/requests/${id}/replay`);
    toast(`Replayed #${id} as #${entry.id}: ${entry.status}.`, entry.status < 400 ? 'ok' : 'warn');
    requests.feed.arrive(entry);
    requests.select(entry.id);
  },
  async 'copy-key'(el) {
    const key = target(el, 'account-key');
    await copy(key);
    toast(`Copied the key ${key}.`);
  },
  async 'load-more'(el) {
    const panel = PANELS[el.closest('[role=tabpanel]').id.slice(6)];
    await panel.feed.loadOlder();
  },
  pause(el) {
    const panel = PANELS[el.closest('[role=tabpanel]').id.slice(6)];
    const on = el.getAttribute('aria-pressed') !== 'true';
    el.setAttribute('aria-pressed', String(on));
    el.textContent = on ? 'Resume' : 'Pause';
    panel.feed.pause(on);
  },
  'show-new'(el) {
    const panelEl = el.closest('[role=tabpanel]');
    const button = panelEl.querySelector('[data-action=pause]');
    if (button.getAttribute('aria-pressed') === 'true') actions.pause(button);
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
    toast(`Created ${account.key}: its key is in the details, with a Copy button.`, 'ok');
    await accounts.select(account.key);
    const button = document.querySelector('#account-detail [data-action=copy-key]');
    if (button) button.focus();
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
};

function planOptions() {
  return state.plans.map((p) => [p.id, `${p.name} (${p.id})`]);
}

async function run(name, el) {
  const action = actions[name];
  if (!action) return;
  const busy = el.tagName === 'BUTTON';
  const row = el.closest('tr[data-key]');
  if (busy) el.disabled = true;
  try {
    await action(el);
  } catch (error) {
    toast(error.message, 'error');
  } finally {
    if (busy && el.isConnected) el.disabled = false;
    returnFocus(el, row ? row.dataset.key : null);
  }
}

document.addEventListener('click', (event) => {
  const el = event.target.closest('button[data-action]');
  if (!el || el.closest('dialog') || el.type === 'submit') return;
  run(el.dataset.action, el);
});

// The speed: a choice made with the mouse applies at once; the arrow keys only move through the
// choices (each step would change the mock's speed), and Enter, or leaving the list, applies the
// one reached. Escape goes back to the mock's speed.

const speed = $('speed');
let keyed = false;

async function applySpeed() {
  const value = speed.value;
  if (!state.clock || value === state.clock.speed) return;
  try {
    setClock(await patch('/_mock/clock', { speed: value }));
    invalidate('clock');
    toast(`Speed: ${value}. It applies to what is scheduled from now on.`);
  } catch (error) {
    toast(error.message, 'error');
  }
}

speed.addEventListener('keydown', (event) => {
  if (event.key === 'Enter') {
    event.preventDefault();
    keyed = false;
    applySpeed();
  } else if (event.key === 'Escape' && state.clock) {
    keyed = false;
    speed.value = state.clock.speed;
  } else if (event.key.startsWith('Arrow') || ['Home', 'End', 'PageUp', 'PageDown'].includes(event.key) || event.key.length === 1) {
    keyed = true;
  }
});
speed.addEventListener('change', () => {
  if (!keyed) applySpeed();
});
speed.addEventListener('blur', () => {
  if (keyed) {
    keyed = false;
    applySpeed();
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

// Enter in a dialog's field confirms it (the form's first button is Cancel).
$('dialog-form').addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && event.target.matches('input')) {
    event.preventDefault();
    $('dialog-form').requestSubmit($('dialog-confirm'));
  }
});

document.body.append(h('datalist', { id: 'fail-codes' }, FAIL_CODES.map((c) => h('option', { value: c }))));
requests.reset();
jobs.reset();
webhooks.reset();
accounts.reset();
firstLoad.then(() => {
  applyRoute(nav.current());
  nav.go(nav.current(), 'replace');
  nav.follow(applyRoute);
});
setInterval(() => {
  tickAll();
  accounts.tick();
}, 1000);
follow(handle, setLive);
