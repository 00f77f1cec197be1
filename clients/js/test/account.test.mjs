// An account per test, steered through the handle: its own clock, its jobs, faults, journal,
// deliveries and settings, against a real mock.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ControlApiError, verifySignature } from 'doitong-mock';

import { poll, sharedMock, submit, webhookReceiver } from './helpers.mjs';

const mock = await sharedMock();

test('a new account is Pro with 10,000 credits on a clock of its own, and the headers carry its key', async () => {
  const account = await mock.newAccount();
  assert.equal(account.clockKind, 'own');
  assert.match(account.webhookSecret, /^whsec_/);
  assert.deepEqual(account.headers, { Authorization: `Bearer ${account.key}` });
  assert.deepEqual(account.restHeaders, { 'X-API-Key': account.key });
  const info = await account.info();
  assert.equal(info.plan.id, 'pro');
  assert.equal(info.credits.available, 10_000);
  assert.equal(info.clock.own, true);
  const graphql = await fetch(mock.graphqlUrl, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...account.headers },
    body: JSON.stringify({ query: '{ account { credits { available } } }' }),
  });
  assert.equal(graphql.status, 200, await graphql.clone().text());
  assert.equal((await graphql.json()).data.account.credits.available, 10_000);
  const onServerClock = await mock.newAccount({ plan: 'free', credits: 7, clock: 'server' });
  assert.equal(onServerClock.clockKind, 'server');
  assert.equal((await onServerClock.clock()).own, false);
  assert.equal((await onServerClock.info()).credits.available, 7);
});

test("advancing one account's clock moves its jobs and no one else's", async () => {
  const mine = await mock.newAccount();
  const other = await mock.newAccount();
  const job = await submit(mock, mine);
  const theirs = await submit(mock, other);
  assert.notEqual(job.status, 'completed');
  const before = await mine.clock();
  const moved = await mine.advance(600);
  assert.equal(moved.own, true);
  assert.equal(Math.round(moved.now - before.now), 600);
  assert.ok(moved.ran >= 1);
  assert.equal((await poll(mock, mine, job.id)).body.data.avatar.status, 'completed');
  assert.notEqual((await poll(mock, other, theirs.id)).body.data.avatar.status, 'completed');
  assert.equal(Math.round((await other.clock()).now - before.now), 0);
});

test("next() runs the account's next scheduled event, one at a time", async () => {
  const account = await mock.newAccount();
  const job = await submit(mock, account);
  const seen = [];
  for (let step = 0; step < 5 && seen.at(-1) !== 'completed'; step++) {
    const moved = await account.next();
    assert.ok(moved.ran >= 1, JSON.stringify(moved));
    seen.push((await account.job(job.id)).status);
  }
  assert.equal(seen.at(-1), 'completed');
  assert.equal((await account.clock()).nextDueAt, null);
  const [listed] = await account.jobs({ status: 'completed' });
  assert.equal(listed.id, job.id);
  assert.equal(listed.accountKey, account.key);
  assert.deepEqual(await account.jobs({ status: ['queued', 'processing'] }), []);
});

test('advance returns once the webhook is delivered and recorded; its signature checks out', async () => {
  const receiver = await webhookReceiver();
  const account = await mock.newAccount();
  const job = await submit(mock, account, { webhookUrl: receiver.url });
  await account.advance(600);
  assert.equal(receiver.deliveries.length, 1);  // made before advance() returned
  const [{ headers, body }] = receiver.deliveries;
  assert.equal(JSON.parse(body).id, job.id);
  assert.equal(verifySignature(account.webhookSecret, body, headers['x-doitong-signature']), true);
  assert.equal(verifySignature(account.webhookSecret, body, headers), true);
  assert.equal(verifySignature(account.webhookSecret, body.toString(), new Headers(headers)), true);
  assert.equal(verifySignature('whsec_someone_else', body, headers), false);
  assert.equal(verifySignature(account.webhookSecret, Buffer.concat([body, Buffer.from(' ')]), headers), false);
  assert.equal(headers['webhook-signature'], undefined);  // not a Standard Webhooks account
  const [logged] = await account.deliveries(job.id);
  assert.equal(logged.state, 'delivered');
  assert.equal(logged.attempts[0].statusCode, 200);
  assert.equal(logged.body, body.toString());
  assert.deepEqual((await account.deliveries()).map((d) => d.id), [logged.id]);
  assert.equal((await account.job(job.id)).deliveries[0].id, logged.id);
});

test('a failed delivery is retried on the account clock, and resend() sends it once more', async () => {
  const receiver = await webhookReceiver();
  receiver.respondWith(500, 500);
  const account = await mock.newAccount();
  const job = await submit(mock, account, { webhookUrl: receiver.url });
  await account.advance(30);  // the job completes; the first attempt fails, the retry 10 s later too
  const [delivery] = await account.deliveries(job.id);
  assert.deepEqual(delivery.attempts.map((a) => a.statusCode), [500, 500]);
  assert.equal(delivery.state, 'pending');
  const resent = await account.resend(delivery.id);
  assert.equal(resent.state, 'delivered');
  assert.equal(resent.attempts.at(-1).manual, true);
  assert.equal(receiver.deliveries.length, 3);
  assert.equal(new Set(receiver.deliveries.map((d) => d.headers['x-doitong-delivery'])).size, 1);
});

test('complete(), fail() and setState() move jobs now', async () => {
  const account = await mock.newAccount();
  const [a, b, c] = [await submit(mock, account), await submit(mock, account), await submit(mock, account)];
  assert.equal((await account.complete(a.id)).status, 'completed');
  const failed = await account.fail(b.id, 'FACE_NOT_DETECTED', 'No face in the portrait');
  assert.deepEqual(failed.error, { code: 'FACE_NOT_DETECTED', message: 'No face in the portrait' });
  assert.equal((await account.setState(c.id, 'cancelled')).status, 'cancelled');
  const seen = await Promise.all([a, b, c].map(async (job) => (await poll(mock, account, job.id)).body.data.avatar.status));
  assert.deepEqual(seen, ['completed', 'failed', 'cancelled']);
  const error = await account.complete(a.id).catch((e) => e);
  assert.ok(error instanceof ControlApiError);
  assert.equal(error.code, 'JOB_ALREADY_FINISHED');
  assert.equal(error.status, 409);
});

test("an account's fault hits only its own requests, and clearFaults() removes only its own", async () => {
  const mine = await mock.newAccount();
  const other = await mock.newAccount();
  const fault = await mine.injectFault({ status: 503, count: 1 });
  assert.equal(fault.match.key, mine.key);
  const theirs = await submit(mock, other);  // not hit
  const hit = await fetch(`${mock.baseUrl}/v1/avatar/${theirs.id}`, { headers: mine.restHeaders });
  assert.equal(hit.status, 503);
  assert.equal((await hit.json()).errors[0].extensions.code, 'SERVICE_UNAVAILABLE');
  assert.deepEqual(await mine.faults(), []);  // used up
  await mine.injectFault({ status: 500, count: 5, surface: 'rest' });
  await other.injectFault({ latency: 0.01, count: 5 });
  assert.equal(await mine.clearFaults(), 1);
  assert.deepEqual(await mine.faults(), []);
  assert.equal((await other.faults()).length, 1);
  assert.equal(await other.clearFaults(), 1);
  const [entry] = await mine.requests({ status: 503 });
  assert.equal(entry.fault, fault.id);
});

test("requests() is this account's journal, with filters", async () => {
  const account = await mock.newAccount();
  const job = await submit(mock, account);
  await poll(mock, account, 'no-such-job');
  const posted = await account.requests({ method: 'POST', path: '/v1/avatar' });
  assert.deepEqual(posted.map((r) => [r.key, r.jobId, r.status]), [[account.key, job.id, 200]]);
  assert.equal(JSON.parse(posted[0].body).text, 'Hello, welcome to our platform!');
  const refused = await account.requests({ status: '4xx' });
  assert.deepEqual(refused.map((r) => [r.path, r.status]), [['/v1/avatar/no-such-job', 404]]);
  assert.equal((await account.requests({ since: new Date(Date.now() + 3_600_000) })).length, 0);
});

test('setCredits(), setPlan(), setEnabled() change what the API lets the account do', async () => {
  const account = await mock.newAccount();
  assert.equal((await account.setCredits(5)).credits.available, 5);
  const refused = await fetch(`${mock.baseUrl}/v1/avatar`, {
    method: 'POST', headers: { 'Content-Type': 'application/json', ...account.restHeaders }, body: JSON.stringify({
      service: 'hedra', text: 'Hello', avatarId: 'professional-1',
    }),
  });
  assert.equal(refused.status, 402);
  assert.equal((await refused.json()).errors[0].extensions.creditsAvailable, 5);
  assert.equal((await account.setPlan('free')).plan.id, 'free');
  assert.equal((await account.info()).plan.requestsPerMinute, 10);
  await account.setEnabled(false);
  assert.equal((await poll(mock, account, 'anything')).status, 403);
  const error = await account.setPlan('no-such-plan').catch((e) => e);
  assert.ok(error instanceof ControlApiError);
  assert.equal(error.code, 'BAD_USER_INPUT');
});

test("the control API's errors arrive as ControlApiError with the API's message, code and extensions", async () => {
  const account = await mock.newAccount();
  const missing = await mock.job('no-such-job').catch((e) => e);
  assert.ok(missing instanceof ControlApiError);
  assert.equal(missing.status, 404);
  assert.equal(missing.code, 'NOT_FOUND');
  assert.equal(missing.message, "GET /_mock/jobs/no-such-job: 404 NOT_FOUND: no job with id 'no-such-job'");
  assert.deepEqual(missing.errors, [{ message: "no job with id 'no-such-job'", extensions: { code: 'NOT_FOUND' } }]);
  const negative = await account.advance(-1).catch((e) => e);
  assert.ok(negative instanceof ControlApiError);
  assert.equal(negative.code, 'BAD_USER_INPUT');
  assert.equal(negative.extensions.field, 'seconds');
  const badFault = await account.injectFault({ status: 200 }).catch((e) => e);
  assert.equal(badFault.code, 'BAD_USER_INPUT');
});

test('delete() removes the account; account() steers one that exists', async () => {
  const account = await mock.newAccount();
  const again = await mock.account(account.key);
  assert.equal(again.webhookSecret, account.webhookSecret);
  assert.equal(again.clockKind, 'own');
  await account.delete();
  const gone = await mock.account(account.key).catch((e) => e);
  assert.ok(gone instanceof ControlApiError);
  assert.equal(gone.code, 'NOT_FOUND');
  const fixture = await mock.account('YOUR_API_KEY');
  assert.equal(fixture.clockKind, 'server');
});
