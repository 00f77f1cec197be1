/** One account on the mock, steered by a test: its key, its clock, its jobs, faults and logs. */

import type {
  AccountInfo,
  AccountUpdateBody,
  Clock,
  ClockKind,
  ClockMoved,
  ClockUpdateBody,
  ControlJob,
  Delivery,
  Fault,
  Job,
  JobDetail,
  JobStatus,
  RecordedRequest,
} from './api.js';
import { ControlApiError } from './errors.js';
import type { DoitongMock } from './mock.js';
import {
  type AccountFaultOptions,
  type DeliveriesQuery,
  faultBody,
  type JobFilters,
  type RequestFilters,
  type Speed,
  type WaitOptions,
} from './options.js';
import { enc } from './transport.js';

/**
 * An account and the control operations scoped to it. With a clock of its own (`clockKind`
 * `own`, what `newAccount()` makes by default), `advance()` moves only this account's world:
 * its jobs, rate-limit windows, daily counts, idempotency keys and webhook retries.
 */
export class Account {
  readonly key: string;
  readonly webhookSecret: string;
  /** Its webhooks carry the Standard Webhooks headers too. */
  readonly standardWebhooks: boolean;
  /** `own`: a clock of its own; `server`: it follows the server's clock. */
  readonly clockKind: ClockKind;
  readonly #mock: DoitongMock;

  constructor(mock: DoitongMock, info: AccountInfo) {
    this.#mock = mock;
    this.key = info.key;
    this.webhookSecret = info.webhookSecret;
    this.standardWebhooks = info.standardWebhooks;
    this.clockKind = info.clock.own ? 'own' : 'server';
  }

  /** GraphQL-style auth: `Authorization: Bearer <key>`. */
  get headers(): { Authorization: string } {
    return { Authorization: `Bearer ${this.key}` };
  }

  /** REST-style auth: `X-API-Key: <key>`. */
  get restHeaders(): { 'X-API-Key': string } {
    return { 'X-API-Key': this.key };
  }

  /** The account as it is now: plan, credits (with its newest `entries` ledger entries), usage, clock. */
  info(entries = 50): Promise<AccountInfo> {
    return this.#mock.transport.call('GET', this.#path(), { query: { entries } });
  }

  /** Spendable credits become `credits` (what is held stays held). */
  setCredits(credits: number): Promise<AccountInfo> {
    return this.#mock.transport.call('PATCH', this.#path(), { body: { credits } satisfies AccountUpdateBody });
  }

  setPlan(plan: string): Promise<AccountInfo> {
    return this.#mock.transport.call('PATCH', this.#path(), { body: { plan } satisfies AccountUpdateBody });
  }

  /** A disabled account's requests are refused (403 `FORBIDDEN`). */
  setEnabled(enabled: boolean): Promise<AccountInfo> {
    return this.#mock.transport.call('PATCH', this.#path(), { body: { enabled } satisfies AccountUpdateBody });
  }

  /** Delete the account and everything of it: its jobs stop, its deliveries and clock go. */
  async delete(): Promise<void> {
    await this.#mock.transport.call('DELETE', this.#path());
    this.#mock.forget(this.key);
  }

  // ---- its clock ----------------------------------------------------------------------------

  /** The clock this account follows (`own` says whether it is its own). */
  clock(): Promise<Clock> {
    return this.#mock.transport.call('GET', `${this.#path()}/clock`);
  }

  /**
   * Move this account's clock (the server's, for an account that follows it): every job
   * transition, window reset and webhook retry that falls due runs in order, each at its own
   * time, and has run, webhook attempts recorded, when the promise resolves.
   */
  advance(seconds: number, options: WaitOptions = {}): Promise<ClockMoved> {
    return this.#mock.clockCall(`${this.#clockPath()}/advance`, { seconds }, options);
  }

  /** Move this account's clock to its next scheduled event (a job transition, a webhook retry) and run it. */
  next(options: WaitOptions = {}): Promise<ClockMoved> {
    return this.#mock.clockCall(`${this.#clockPath()}/advance`, { next: true }, options);
  }

  /** Wait until nothing of this account's clock is due and no webhook attempt is in flight. */
  settle(options: WaitOptions = {}): Promise<ClockMoved> {
    return this.#mock.clockCall(`${this.#path()}/clock/settle`, {}, options);
  }

  /** This account's clock's speed, for what is scheduled on it from now on. */
  setSpeed(speed: Speed): Promise<Clock> {
    return this.#mock.transport.call('PATCH', this.#clockPath(), { body: { speed } satisfies ClockUpdateBody });
  }

  // ---- its jobs -----------------------------------------------------------------------------

  /** This account's jobs (or those the filters pick), newest first. */
  jobs(filters: Omit<JobFilters, 'account'> = {}): Promise<ControlJob[]> {
    return this.#mock.jobs({ ...filters, account: this.key });
  }

  job(id: string): Promise<JobDetail> {
    return this.#mock.job(id);
  }

  complete(id: string): Promise<Job> {
    return this.#mock.complete(id);
  }

  fail(id: string, code?: string, message?: string): Promise<Job> {
    return this.#mock.fail(id, code, message);
  }

  setState(id: string, status: Exclude<JobStatus, 'queued'>, error: { code?: string; message?: string } = {}): Promise<Job> {
    return this.#mock.setState(id, status, error);
  }

  // ---- its faults ---------------------------------------------------------------------------

  /** The next `count` matching requests of this account (of any key's with `anyKey`) fail or slow down. */
  injectFault(options: AccountFaultOptions): Promise<Fault> {
    const { anyKey, ...fault } = options;
    return this.#mock.transport.call('POST', '/_mock/faults', { body: faultBody(fault, anyKey ? undefined : this.key) });
  }

  /** The faults in force on this account's requests. */
  async faults(): Promise<Fault[]> {
    return (await this.#mock.faults()).filter((fault) => fault.match.key === this.key);
  }

  /** Remove the faults on this account's requests (others' stay); returns how many went. */
  async clearFaults(): Promise<number> {
    let removed = 0;
    for (const fault of await this.faults()) {
      try {
        await this.#mock.removeFault(fault.id);
        removed += 1;
      } catch (error) {
        if (!(error instanceof ControlApiError && error.code === 'NOT_FOUND')) throw error;  // used up meanwhile
      }
    }
    return removed;
  }

  // ---- its journal and deliveries -------------------------------------------------------------

  /** This account's journal entries, oldest first (filters: method, path, status, operation, ...). */
  requests(filters: Omit<RequestFilters, 'key'> = {}): Promise<RecordedRequest[]> {
    return this.#mock.requests({ ...filters, key: this.key });
  }

  /** This account's webhook deliveries, or one job's (given its id). */
  deliveries(query: DeliveriesQuery = {}): Promise<Delivery[]> {
    return this.#mock.deliveries(typeof query === 'string' ? { job: query } : { ...query, account: this.key });
  }

  resend(deliveryId: string): Promise<Delivery> {
    return this.#mock.resend(deliveryId);
  }

  #path(): string {
    return `/_mock/accounts/${enc(this.key)}`;
  }

  /** The clock this account's moves go to: its own, or the server's it follows. */
  #clockPath(): string {
    return this.clockKind === 'own' ? `${this.#path()}/clock` : '/_mock/clock';
  }
}
