// events(): the mock's event stream as an async iterator that ends with the caller or the handle.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { connect, ControlApiError } from 'doitong-mock';

import { eventually, sharedMock, submit } from './helpers.mjs';

const mock = await sharedMock();

/** How many event streams the server is serving. */
const streams = async () => (await mock.health()).eventStreams;

test("events() yields the job's moves as they happen, and breaking out ends the connection", async () => {
  const account = await mock.newAccount();
  const before = await streams();
  const statuses = [];
  let jobId = null;
  let first = null;
  for await (const event of mock.events({ kinds: ['job'] })) {
    first ??= event;
    if (event.kind === 'hello') {
      assert.deepEqual(event.data.kinds, ['job']);
      jobId = (await submit(mock, account)).id;  // after hello: every move of it comes next
      void account.advance(600);
      continue;
    }
    assert.equal(event.kind, 'job');
    if (event.data.job.id !== jobId) continue;  // another test's job
    assert.equal(event.data.job.accountKey, account.key);
    statuses.push(event.data.job.status);
    if (event.data.job.status === 'completed') break;
  }
  assert.equal(first.kind, 'hello');
  assert.deepEqual(statuses, ['queued', 'processing', 'completed']);
  await eventually(async () => (await streams()) === before);
});

test('close() ends an iteration that is waiting for the next event', async () => {
  const handle = connect(mock.baseUrl);
  const seen = [];
  const iteration = (async () => {
    for await (const event of handle.events({ kinds: ['reset'] })) {
      seen.push(event.kind);
      if (event.kind === 'hello') void handle.close();
    }
  })();
  await iteration;  // ends: no reset happens, the close does it
  assert.deepEqual(seen, ['hello']);
});

test('an aborted signal ends the iteration', async () => {
  const stop = new AbortController();
  const seen = [];
  for await (const event of mock.events({ kinds: ['fault'], signal: stop.signal })) {
    seen.push(event.kind);
    stop.abort();
  }
  assert.deepEqual(seen, ['hello']);
});

test('an unknown kind is refused with the API error', async () => {
  const refused = await mock.events({ kinds: ['jobs'] }).next().catch((e) => e);
  assert.ok(refused instanceof ControlApiError);
  assert.equal(refused.code, 'BAD_USER_INPUT');
  assert.match(refused.message, /query parameter 'kinds': .*'job'.* \(got 'jobs'\)/);
  assert.equal(refused.extensions.field, 'kinds');
});
