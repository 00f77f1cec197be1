// start(): a server of its own for a test run, which ends with stop() or with the runner,
// whatever way the runner ends; and a clear error when it cannot start.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { connect, ControlApiError, start, StartError } from 'doitong-mock';

import { eventually, PYTHON, submit } from './helpers.mjs';

const RUNNER = fileURLToPath(new URL('./fixtures/runner.mjs', import.meta.url));

const answers = async (baseUrl) => {
  try {
    return (await fetch(`${baseUrl}/healthz`)).ok;
  } catch {
    return false;
  }
};

const groupAlive = (pid) => {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
};

test('start() runs doitong-mock from the PATH on a free port, and stop() ends it and its event streams', async () => {
  const server = await start({ args: ['--no-render'] });
  assert.match(server.baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(server.graphqlUrl, `${server.baseUrl}/graphql`);
  assert.equal((await server.health()).status, 'ok');
  assert.match(server.output(), /listening on/);
  const seen = [];
  let stopped;
  for await (const event of server.events()) {  // ends when the server stops
    seen.push(event.kind);
    stopped ??= server.stop();
  }
  await stopped;
  assert.deepEqual(seen, ['hello']);
  assert.equal(await answers(server.baseUrl), false);
  assert.equal(groupAlive(server.pid), false);
});

test('start() runs a given command with an admin token, which the handle sends and others lack', async () => {
  const server = await start({ command: [PYTHON, '-m', 'mockserver'], args: ['--no-render'], adminToken: 'let-me-in' });
  try {
    const account = await server.newAccount();
    assert.equal((await account.info()).key, account.key);
    const refused = await connect(server.baseUrl).newAccount().catch((e) => e);
    assert.ok(refused instanceof ControlApiError);
    assert.equal(refused.status, 401);
    assert.equal(refused.code, 'UNAUTHENTICATED');
  } finally {
    await server.stop();
  }
});

test("reset() puts the mock back to its fixtures and makes the handle's accounts again", async () => {
  const server = await start({ args: ['--no-render'] });
  try {
    const account = await server.newAccount({ credits: 500 });
    const job = await submit(server, account);
    await account.advance(600);
    assert.ok((await account.info()).credits.available < 500);
    const result = await server.reset();
    assert.equal(result.reset, true);
    const info = await account.info();
    assert.equal(info.credits.available, 500);
    assert.equal(info.webhookSecret, account.webhookSecret);
    assert.equal(info.clock.own, true);
    assert.deepEqual(await account.jobs(), []);
    assert.equal((await server.job(job.id).catch((e) => e)).code, 'NOT_FOUND');
  } finally {
    await server.stop();
  }
});

test("a server that cannot start is a StartError with the server's last output", async () => {
  const error = await start({ args: ['--fixtures', '/no/such/fixtures'] }).catch((e) => e);
  assert.ok(error instanceof StartError);
  assert.equal(error.exitCode, 2);
  assert.match(error.message, /exited with code 2 before it answered/);
  assert.match(error.message, /bad fixture file \/no\/such\/fixtures/);
  assert.match(error.output, /is not a directory/);
});

test('a command that is not there, or never answers, is a StartError that says so', async () => {
  const missing = await start({ command: 'doitong-mock-not-installed --verbose' }).catch((e) => e);
  assert.ok(missing instanceof StartError);
  assert.match(missing.message, /could not run doitong-mock-not-installed: it is not on the PATH/);
  const silent = await start({ command: [PYTHON, '-c', 'print("starting...", flush=True); import time; time.sleep(600)'], timeout: 1 })
    .catch((e) => e);
  assert.ok(silent instanceof StartError);
  assert.match(silent.message, /did not answer http:\/\/127\.0\.0\.1:\d+\/healthz within 1 s/);
  assert.match(silent.output, /starting\.\.\./);
});

for (const how of ['SIGINT', 'SIGTERM', 'SIGHUP', 'exit', 'throw']) {
  test(`a runner that ends by ${how} without stop() takes the server and its children with it`, async () => {
    const runner = spawn(process.execPath, [RUNNER, how, PYTHON], { stdio: ['pipe', 'pipe', 'pipe'] });
    const [line] = await once(runner.stdout, 'data');
    const { baseUrl, pid } = JSON.parse(line.toString());
    assert.equal(await answers(baseUrl), true);  // served by the shell's child, the runner's grandchild
    const ended = once(runner, 'exit');
    if (how.startsWith('SIG')) runner.kill(how);
    else runner.stdin.write('end now\n');
    const [code, signal] = await ended;
    if (how.startsWith('SIG')) assert.equal(signal, how);  // the signal still ends the runner as it would have
    else assert.equal(code, how === 'exit' ? 0 : 1);
    await eventually(() => !groupAlive(pid));
    assert.equal(await answers(baseUrl), false);
  });
}
