// How the package reads to a TypeScript user under --strict: type-checked by the suite (tsc),
// never run. Each @ts-expect-error marks a call that must not compile: tsc fails if it does.
import {
  type Account,
  type ControlJob,
  ControlApiError,
  connect,
  type DoitongMock,
  type MockEvent,
  start,
  StartError,
  verifySignature,
} from 'doitong-mock';

export async function usage(): Promise<void> {
  let server;
  try {
    server = await start({ command: ['python', '-m', 'mockserver'], args: ['--speed', 'instant'], env: { TZ: 'UTC' } });
  } catch (error) {
    if (error instanceof StartError) console.error(error.exitCode, error.output);
    throw error;
  }
  const mock: DoitongMock = connect(server.baseUrl, { adminToken: 'token' });
  const account: Account = await mock.newAccount({ plan: 'pro', credits: 10_000, clock: 'own' });
  const headers: { Authorization: string } = account.headers;
  await fetch(mock.graphqlUrl, { method: 'POST', headers: { ...headers, 'Content-Type': 'application/json' }, body: '{}' });

  const moved = await account.advance(600, { timeout: 5 });
  const ran: number = moved.ran;
  const own: boolean = (await account.clock()).own;
  const jobs: ControlJob[] = await account.jobs({ status: ['completed', 'failed'], limit: 10 });
  const job = jobs[0];
  if (job !== undefined) {
    const status: 'queued' | 'processing' | 'completed' | 'failed' | 'cancelled' = job.status;
    const url: string | null = job.videoUrl;
    await account.setState(job.id, 'failed', { code: 'GENERATION_FAILED', message: 'No.' });
    // @ts-expect-error: a job starts queued; it cannot be moved back there
    await account.setState(job.id, 'queued');
    const [delivery] = await account.deliveries(job.id);
    if (delivery) verifySignature(account.webhookSecret, delivery.body, delivery.attempts[0]?.headers);
    void [status, url];
  }

  await account.injectFault({ status: 503, count: 2, operation: 'generate' });
  await account.injectFault({ latency: 1.5, surface: 'rest', anyKey: true });
  // @ts-expect-error: a fault needs a status, a latency or both
  await account.injectFault({ count: 2 });
  // @ts-expect-error: a clock is 'own' or 'server'
  await mock.newAccount({ clock: 'mine' });
  // @ts-expect-error: credits are a number
  await account.setCredits('100');

  for await (const event of mock.events({ kinds: ['job', 'delivery'] })) {
    if (event.kind === 'job') {
      const moving: ControlJob = event.data.job;
      void moving;
    } else if (event.kind === 'delivery') {
      void event.data.delivery.attempts.length;
    } else if (event.kind === 'hello') {
      void event.data.version;
    } else {
      const dropped: number = event.data.dropped;  // lagged: the only kind left
      void dropped;
    }
    // @ts-expect-error: ledger events were not asked for, so none can come
    if (event.kind === 'ledger') break;
  }
  const any: MockEvent = { id: 1, kind: 'reset', data: { reason: 'reset' } };

  try {
    await mock.job('no-such-job');
  } catch (error) {
    if (!(error instanceof ControlApiError)) throw error;
    const code: string = error.code;
    const field: unknown = error.extensions['field'];
    void [code, field, error.status];
  }
  const ok: boolean = verifySignature(account.webhookSecret, new Uint8Array(), { 'x-doitong-signature': 'sha256=00' });
  void [ran, own, any, ok];
  await account.delete();
  await mock.close();
  await server.stop();
}
