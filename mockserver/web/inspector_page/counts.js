// The tab counts: what the mock holds (GET /_mock/health), not what the page has loaded. Read
// again a little after anything changes.

import { get } from './api.js';
import { $, number } from './dom.js';
import { throttled } from './store.js';

export async function refresh() {
  let health;
  try {
    health = await get('/_mock/health');
  } catch {
    return; // the next event, or the next (re)connection, reads them again
  }
  show('requests', number(health.journal), `${number(health.journal)} requests in the journal`);
  const inFlight = health.jobsInFlight;
  show('jobs', inFlight ? `${number(inFlight)} / ${number(health.jobs)}` : number(health.jobs),
    `${number(inFlight)} in flight of ${number(health.jobs)} jobs`);
  show('webhooks', number(health.deliveries),
    `${number(health.deliveriesFailed)} failed of ${number(health.deliveries)} deliveries`, health.deliveriesFailed > 0);
  show('accounts', number(health.accounts), `${number(health.accounts)} accounts`);
}

function show(tab, text, title, alert = false) {
  const el = $(`count-${tab}`);
  el.textContent = text;
  el.title = title;
  el.classList.toggle('alert', alert);
}

export const soon = throttled(refresh, 300);
