// A small GraphQL client for the mock's own pages: POST for queries and mutations,
// graphql-transport-ws over WebSocket for subscriptions. No dependencies.

// Thrown when there is no GraphQL answer at all: the server is down or unreachable, or something
// in between answered with other than JSON. `network` tells the first case.
export class TransportError extends Error {
  constructor(message, { network = false, status = null } = {}) {
    super(message);
    this.name = 'TransportError';
    this.network = network;
    this.status = status;
  }
}

// `operationName` picks the operation to run when the document has several (GraphiQL's tabs).
// Resolves to the GraphQL answer, `{data, errors}`, whatever its HTTP status.
export async function request(query, variables, headers, operationName) {
  let response;
  try {
    response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: JSON.stringify({ query, variables, operationName: operationName || undefined }),
    });
  } catch (error) {
    throw new TransportError(`cannot reach ${location.origin} (${error.message})`, { network: true });
  }
  try {
    return await response.json();
  } catch {
    throw new TransportError(`${location.origin} answered HTTP ${response.status} without a GraphQL answer`,
                             { status: response.status });
  }
}

function apiKeyOf(headers) {
  const auth = headers.Authorization || headers.authorization || '';
  return headers['X-API-Key'] || headers['x-api-key'] || auth.replace(/^Bearer\s+/i, '');
}

// Yields each `next` payload of one subscription; ends on `complete`.
export async function* subscribe(query, variables, headers, operationName) {
  const url = new URL('/graphql', location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const socket = new WebSocket(url, 'graphql-transport-ws');
  const queue = [];
  let wake = null;
  const push = (item) => { queue.push(item); if (wake) { wake(); wake = null; } };
  socket.onopen = () => socket.send(JSON.stringify({
    type: 'connection_init', payload: { 'X-API-Key': apiKeyOf(headers || {}) },
  }));
  socket.onmessage = (event) => {
    const message = JSON.parse(event.data);
    if (message.type === 'connection_ack') {
      socket.send(JSON.stringify({ id: '1', type: 'subscribe', payload: { query, variables, operationName } }));
    } else if (message.type === 'next') {
      push({ value: message.payload });
    } else if (message.type === 'error') {
      push({ value: { errors: message.payload } });
      push({ done: true });
    } else if (message.type === 'complete') {
      push({ done: true });
    } else if (message.type === 'ping') {
      socket.send(JSON.stringify({ type: 'pong' }));
    }
  };
  socket.onclose = (event) => {
    if (event.code !== 1000) push({ value: { errors: [{ message: `connection closed (${event.code}) ${event.reason}` }] } });
    push({ done: true });
  };
  try {
    while (true) {
      if (!queue.length) await new Promise((resolve) => { wake = resolve; });
      const item = queue.shift();
      if (item.done) return;
      yield item.value;
    }
  } finally {
    if (socket.readyState <= 1) socket.close(1000);
  }
}
