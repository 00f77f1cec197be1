// What the package's tests share: the mock they run against, a webhook receiver, a job submitter.
import { once } from 'node:events';
import { createServer } from 'node:http';
import { after } from 'node:test';

import { connect, start } from 'doitong-mock';

export const BODY = { service: 'hedra', text: 'Hello, welcome to our platform!', avatarId: 'professional-1' };
/** The Python that runs the mock where a test gives start() a command of its own. */
export const PYTHON = process.env.DOITONG_MOCK_PYTHON || 'python3';

/**
 * The mock the tests share: the one at DOITONG_MOCK_URL (the pytest suite starts it), else one
 * started for this file. Each test makes its own accounts, each with a clock of its own.
 */
export async function sharedMock() {
  const url = process.env.DOITONG_MOCK_URL;
  const mock = url ? connect(url) : await start({ args: ['--no-render'] });
  after(() => (url ? mock.close() : mock.stop()));
  return mock;
}

/** Submit a job over REST for `account`; returns the job the API answered with. */
export async function submit(mock, account, extra = {}) {
  const response = await fetch(`${mock.baseUrl}/v1/avatar`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...account.restHeaders },
    body: JSON.stringify({ ...BODY, ...extra }),
  });
  const answer = await response.json();
  if (!response.ok) throw new Error(`submit: ${response.status} ${JSON.stringify(answer)}`);
  return answer.data.avatar;
}

/** The job as its owner reads it over REST, with the HTTP status. */
export async function poll(mock, account, id) {
  const response = await fetch(`${mock.baseUrl}/v1/avatar/${id}`, { headers: account.restHeaders });
  return { status: response.status, body: await response.json() };
}

/**
 * A real HTTP endpoint that webhooks are POSTed to: it keeps each delivery's headers and raw
 * body, and answers with the statuses it is told to (200 once they are used up).
 */
export async function webhookReceiver() {
  const deliveries = [];
  const statuses = [];
  const waiting = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
    req.on('end', () => {
      deliveries.push({ headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(statuses.shift() ?? 200).end();
      for (const wait of waiting.splice(0)) wait();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  after(() => new Promise((resolve) => server.close(resolve)));
  return {
    url: `http://127.0.0.1:${server.address().port}/hook`,
    deliveries,
    respondWith: (...codes) => statuses.push(...codes),
    /** Resolves once `count` deliveries have arrived. */
    async wait(count = 1) {
      while (deliveries.length < count) await new Promise((resolve) => waiting.push(resolve));
      return deliveries;
    },
  };
}

/** Resolves once `check()` holds, trying again after each of the mock's answers; fails after `ms`. */
export async function eventually(check, ms = 10_000) {
  const deadline = Date.now() + ms;
  for (;;) {
    const result = await check();
    if (result) return result;
    if (Date.now() > deadline) throw new Error(`still not so after ${ms} ms: ${check}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
