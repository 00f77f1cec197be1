// A small GraphQL client for the mock's own pages: POST for queries and mutations,
// graphql-transport-ws over WebSocket for subscriptions. No dependencies.

// `operationName` picks the operation to run when the document has several (GraphiQL's tabs).
export async function request(query, variables, headers, operationName) {
  const response = await fetch('/graphql', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables, operationName: operationName || undefined }),
  });
  return response.json();
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
