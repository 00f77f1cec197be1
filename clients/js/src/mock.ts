/** The handle on a running mock: `connect()` makes one, `start()` makes one with a process. */

import type {
  AccountInfo,
  AccountList,
  AdvanceBody,
  Clock,
  ClockMoved,
  ClockUpdateBody,
  ControlJob,
  Delivery,
  DeliveryList,
  EventKind,
  Fault,
  FaultList,
  FullRequestList,
  Health,
  Job,
  JobDetail,
  JobFailureBody,
  JobStateBody,
  JobStatus,
  NewAccountBody,
  RecordedRequest,
  Removed,
  ResetResult,
  SettleBody,
} from './api.js';
import { Account } from './account.js';
import { type EventsOptions, type MockEvent, readEvents } from './events.js';
import {
  type DeliveriesQuery,
  type DeliveryWait,
  faultBody,
  type JobFilters,
  type MockFaultOptions,
  type NewAccountOptions,
  type RequestFilters,
  type Speed,
  type WaitOptions,
} from './options.js';
import { enc, Transport, type QueryValue } from './transport.js';

export interface ConnectOptions {
  /** The mock's `--admin-token`, sent as `X-Admin-Token`. */
  adminToken?: string;
}

/** What an advance waits for by default (the mock's 60 s), and the margin the HTTP call adds. */
const ADVANCE_WAIT_S = 60;
const CALL_MARGIN_S = 30;

/**
 * A mock that is running: the control API as methods. Each test makes its own account
 * (`newAccount()`), which has a clock of its own, so tests that share the mock never share
 * jobs, credits, limits or time.
 */
export class DoitongMock {
  readonly baseUrl: string;
  readonly graphqlUrl: string;
  /** @internal */
  readonly transport: Transport;
  readonly #closing = new AbortController();
  /** The accounts this handle made and has not deleted, with the body that made each. */
  readonly #made = new Map<string, NewAccountBody>();

  constructor(baseUrl: string, options: ConnectOptions = {}) {
    this.transport = new Transport(baseUrl, options.adminToken);
    this.baseUrl = this.transport.baseUrl;
    this.graphqlUrl = `${this.baseUrl}/graphql`;
  }

  /** Health, readiness and counters (`GET /_mock/health`). */
  health(): Promise<Health> {
    return this.transport.call('GET', '/_mock/health');
  }

  // ---- accounts -------------------------------------------------------------------------------

  /** A throw-away account: Pro with 10,000 credits and a clock of its own, unless told otherwise. */
  async newAccount(options: NewAccountOptions = {}): Promise<Account> {
    const body: NewAccountBody = { ...options, clock: options.clock ?? 'own' };
    const info = await this.transport.call<AccountInfo>('POST', '/_mock/accounts', { body });
    this.#made.set(info.key, { ...body, key: info.key, webhookSecret: info.webhookSecret });
    return new Account(this, info);
  }

  /** An account that exists already (a fixture account, say), to steer it. */
  async account(key: string): Promise<Account> {
    return new Account(this, await this.transport.call<AccountInfo>('GET', `/_mock/accounts/${enc(key)}`, { query: { entries: 0 } }));
  }

  /** Every account, and every plan with its limits. */
  accounts(): Promise<AccountList> {
    return this.transport.call('GET', '/_mock/accounts');
  }

  /** @internal An account of this handle's is gone: reset() will not make it again. */
  forget(key: string): void {
    this.#made.delete(key);
  }

  /**
   * Everything back to the fixtures, for everyone on the mock; the accounts this handle made
   * are made again as they were made (same key and secret, fresh credits and clock).
   */
  async reset(): Promise<ResetResult> {
    const result = await this.transport.call<ResetResult>('POST', '/_mock/reset');
    for (const body of this.#made.values()) await this.transport.call('POST', '/_mock/accounts', { body });
    return result;
  }

  // ---- the server's clock -----------------------------------------------------------------

  /** The server's clock (accounts with a clock of their own have theirs: `account.clock()`). */
  clock(): Promise<Clock> {
    return this.transport.call('GET', '/_mock/clock');
  }

  /** Move the server's clock; returns once what fell due has run, webhook attempts included. */
  advance(seconds: number, options: WaitOptions = {}): Promise<ClockMoved> {
    return this.clockCall('/_mock/clock/advance', { seconds }, options);
  }

  /** Move the server's clock to its next scheduled event and run it. */
  next(options: WaitOptions = {}): Promise<ClockMoved> {
    return this.clockCall('/_mock/clock/advance', { next: true }, options);
  }

  /** Wait until nothing of the server's clock is due and no webhook attempt is in flight. */
  settle(options: WaitOptions = {}): Promise<ClockMoved> {
    return this.clockCall('/_mock/clock/settle', {}, options);
  }

  /** The server clock's speed, for what is scheduled from now on. */
  setSpeed(speed: Speed): Promise<Clock> {
    return this.transport.call('PATCH', '/_mock/clock', { body: { speed } satisfies ClockUpdateBody });
  }

  /** @internal An advance or a settle: the call waits as long as the mock may, and a margin. */
  clockCall(path: string, body: AdvanceBody | SettleBody, options: WaitOptions): Promise<ClockMoved> {
    const waits = options.timeout === undefined ? {} : { timeout: options.timeout };
    return this.transport.call('POST', path, {
      body: { ...body, ...waits } satisfies AdvanceBody | SettleBody,
      timeoutMs: ((options.timeout ?? ADVANCE_WAIT_S) + CALL_MARGIN_S) * 1000,
    });
  }

  // ---- jobs -------------------------------------------------------------------------------

  /** Every account's jobs (or those the filters pick), newest first. */
  async jobs(filters: JobFilters = {}): Promise<ControlJob[]> {
    const query: Record<string, QueryValue> = { ...filters };
    return (await this.transport.call<{ jobs: ControlJob[] }>('GET', '/_mock/jobs', { query })).jobs;
  }

  /** Any account's job, with its timeline, the ledger entries of its credits and its deliveries. */
  job(id: string): Promise<JobDetail> {
    return this.transport.call('GET', `/_mock/jobs/${enc(id)}`);
  }

  /** Complete a job now. */
  complete(id: string): Promise<Job> {
    return this.transport.call('POST', `/_mock/jobs/${enc(id)}/complete`);
  }

  /** Fail a job now, with that error. */
  fail(id: string, code = 'GENERATION_FAILED', message = 'Failed by the test'): Promise<Job> {
    return this.transport.call('POST', `/_mock/jobs/${enc(id)}/fail`, { body: { code, message } satisfies JobFailureBody });
  }

  /** Move a job to a status now (`failed` with `code` and `message`, if given). */
  setState(id: string, status: Exclude<JobStatus, 'queued'>, error: { code?: string; message?: string } = {}): Promise<Job> {
    return this.transport.call('POST', `/_mock/jobs/${enc(id)}/state`, { body: { status, ...error } satisfies JobStateBody });
  }

  // ---- faults -----------------------------------------------------------------------------

  /** The faults in force. */
  async faults(): Promise<Fault[]> {
    return (await this.transport.call<FaultList>('GET', '/_mock/faults')).faults;
  }

  /** The next `count` matching API requests (any key's, or `key`'s) fail or slow down. */
  injectFault(options: MockFaultOptions): Promise<Fault> {
    const { key, ...rest } = options;
    return this.transport.call('POST', '/_mock/faults', { body: faultBody(rest, key) });
  }

  /** Remove one fault. */
  async removeFault(id: string): Promise<void> {
    await this.transport.call<Removed>('DELETE', `/_mock/faults/${enc(id)}`);
  }

  /** Remove every fault, everyone's; returns how many there were. */
  async clearFaults(): Promise<number> {
    return (await this.transport.call<Removed>('DELETE', '/_mock/faults')).removed;
  }

  // ---- the request journal and webhook deliveries ----------------------------------------

  /** Journal entries, oldest first: the newest `limit` (1000) that match the filters. */
  async requests(filters: RequestFilters = {}): Promise<RecordedRequest[]> {
    const query: Record<string, QueryValue> = { limit: 1000, ...filters };
    return (await this.transport.call<FullRequestList>('GET', '/_mock/requests', { query })).requests;
  }

  /** Clear the journal; returns how many entries it held. */
  async clearRequests(): Promise<number> {
    return (await this.transport.call<Removed>('DELETE', '/_mock/requests')).removed;
  }

  /** The webhook delivery log, oldest first: all of it, a job's (given its id), or what the filters pick. */
  async deliveries(query: DeliveriesQuery = {}): Promise<Delivery[]> {
    const filters: Record<string, QueryValue> = typeof query === 'string' ? { job: query } : { ...query };
    return (await this.transport.call<DeliveryList>('GET', '/_mock/deliveries', { query: filters })).deliveries;
  }

  /** One delivery; with `attempts`, once that many of its attempts are recorded (waiting `wait` seconds at most). */
  delivery(id: string, wait: DeliveryWait = {}): Promise<Delivery> {
    const query: Record<string, QueryValue> = { ...wait };
    return this.transport.call('GET', `/_mock/deliveries/${enc(id)}`, {
      query,
      timeoutMs: ((wait.wait ?? 0) + CALL_MARGIN_S) * 1000,
    });
  }

  /** Send a delivery once more now; answers with its outcome recorded. */
  resend(deliveryId: string): Promise<Delivery> {
    return this.transport.call('POST', `/_mock/deliveries/${enc(deliveryId)}/resend`, {
      timeoutMs: (ADVANCE_WAIT_S + CALL_MARGIN_S) * 1000,
    });
  }

  // ---- the event stream ---------------------------------------------------------------------

  /**
   * What changes in the mock from now on, as it happens (`GET /_mock/events`): iterate with
   * `for await`; it ends when you break out of the loop, when `signal` aborts, when this
   * handle closes or stops, or when the server shuts down.
   */
  events<K extends EventKind = EventKind>(options: EventsOptions<K> = {}): AsyncGenerator<MockEvent<K | 'hello' | 'lagged'>, void, undefined> {
    return readEvents(this.transport, options, this.#closing.signal);
  }

  /**
   * Done with the mock: the event streams end, and the accounts this handle made (and did not
   * delete) go, so a mock that many suites share does not fill up.
   */
  async close(): Promise<void> {
    this.#closing.abort();
    const keys = [...this.#made.keys()];
    this.#made.clear();
    await Promise.allSettled(keys.map((key) => this.transport.call('DELETE', `/_mock/accounts/${enc(key)}`)));
  }

  /** @internal Ends the event streams only (the process is about to go). */
  endStreams(): void {
    this.#closing.abort();
  }
}

/** A handle on a mock that is already running (docker-compose, a shared one, another runner's). */
export function connect(baseUrl: string, options: ConnectOptions = {}): DoitongMock {
  return new DoitongMock(baseUrl, options);
}
