// Follows one job to its end with the two WebSocket protocols' own client libraries, and opens a
// plain WebSocket that offers no protocol. Prints what each saw, as JSON. The job's account has a
// clock of its own: once both clients have seen the job's first update, the script moves that
// clock on (ADVANCE_URL), so the job finishes while both watch, however slow the machine.
// Usage: node subscriptions.mjs WS_URL KEY JOB_ID ADVANCE_URL
import { SubscriptionClient } from 'subscriptions-transport-ws';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, key, id, advanceUrl] = process.argv.slice(2);
let watching = 0;
function firstUpdate() {
  watching += 1;
  if (watching === 2) {
    fetch(advanceUrl, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"seconds": 600}' })
      .then((r) => { if (!r.ok) throw new Error(`advance: ${r.status}`); })
      .catch((error) => { console.error(error); process.exit(1); });
  }
}
const query = 'subscription Watch($id: ID!) { generationUpdated(id: $id) { id status progress } }';
const connectionParams = { Authorization: `Bearer ${key}` };

function legacy() {
  return new Promise((resolve, reject) => {
    const client = new SubscriptionClient(url, { connectionParams, reconnect: false }, WebSocket);
    const statuses = [];
    client.request({ query, variables: { id } }).subscribe({
      next: (result) => {
        statuses.push(result.data ? result.data.generationUpdated.status : result.errors[0].extensions.code);
        if (statuses.length === 1) firstUpdate();
      },
      error: (error) => reject(new Error(`legacy: ${JSON.stringify(error)}`)),
      complete: () => { client.close(); resolve(statuses); },
    });
  });
}

function modern() {
  return new Promise((resolve, reject) => {
    const client = createClient({ url, webSocketImpl: WebSocket, connectionParams, retryAttempts: 0 });
    const statuses = [];
    client.subscribe({ query, variables: { id } }, {
      next: (result) => {
        statuses.push(result.data ? result.data.generationUpdated.status : result.errors[0].extensions.code);
        if (statuses.length === 1) firstUpdate();
      },
      error: (error) => reject(new Error(`graphql-ws: ${JSON.stringify(error)}`)),
      complete: () => { client.dispose(); resolve(statuses); },
    });
  });
}

function plain() {
  return new Promise((resolve) => {
    const socket = new WebSocket(url);
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    socket.on('error', (error) => resolve({ error: String(error) }));
  });
}

const [legacyStatuses, modernStatuses, plainClose] = await Promise.all([legacy(), modern(), plain()]);
console.log(JSON.stringify({ legacy: legacyStatuses, modern: modernStatuses, plain: plainClose }));
