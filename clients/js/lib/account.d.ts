/** One account on the mock, steered by a test: its key, its clock, its jobs, faults and logs. */
import type { AccountInfo, Clock, ClockKind, ClockMoved, ControlJob, Delivery, Fault, Job, JobDetail, JobStatus, RecordedRequest } from './api.js';
import type { DoitongMock } from './mock.js';
import { type AccountFaultOptions, type DeliveriesQuery, type JobFilters, type RequestFilters, type Speed, type WaitOptions } from './options.js';
/**
 * An account and the control operations scoped to it. With a clock of its own (`clockKind`
 * `own`, what `newAccount()` makes by default), `advance()` moves only this account's world:
 * its jobs, rate-limit windows, daily counts, idempotency keys and webhook retries.
 */
export declare class Account {
    #private;
    readonly key: string;
    readonly webhookSecret: string;
    /** Its webhooks carry the Standard Webhooks headers too. */
    readonly standardWebhooks: boolean;
    /** `own`: a clock of its own; `server`: it follows the server's clock. */
    readonly clockKind: ClockKind;
    constructor(mock: DoitongMock, info: AccountInfo);
    /** GraphQL-style auth: `Authorization: Bearer <key>`. */
    get headers(): {
        Authorization: string;
    };
    /** REST-style auth: `X-API-Key: <key>`. */
    get restHeaders(): {
        'X-API-Key': string;
    };
    /** The account as it is now: plan, credits (with its newest `entries` ledger entries), usage, clock. */
    info(entries?: number): Promise<AccountInfo>;
    /** Spendable credits become `credits` (what is held stays held). */
    setCredits(credits: number): Promise<AccountInfo>;
    setPlan(plan: string): Promise<AccountInfo>;
    /** A disabled account's requests are refused (403 `FORBIDDEN`). */
    setEnabled(enabled: boolean): Promise<AccountInfo>;
    /** Delete the account and everything of it: its jobs stop, its deliveries and clock go. */
    delete(): Promise<void>;
    /** The clock this account follows (`own` says whether it is its own). */
    clock(): Promise<Clock>;
    /**
     * Move this account's clock (the server's, for an account that follows it): every job
     * transition, window reset and webhook retry that falls due runs in order, each at its own
     * time, and has run, webhook attempts recorded, when the promise resolves.
     */
    advance(seconds: number, options?: WaitOptions): Promise<ClockMoved>;
    /** Move this account's clock to its next scheduled event (a job transition, a webhook retry) and run it. */
    next(options?: WaitOptions): Promise<ClockMoved>;
    /** Wait until nothing of this account's clock is due and no webhook attempt is in flight. */
    settle(options?: WaitOptions): Promise<ClockMoved>;
    /** This account's clock's speed, for what is scheduled on it from now on. */
    setSpeed(speed: Speed): Promise<Clock>;
    /** This account's jobs (or those the filters pick), newest first. */
    jobs(filters?: Omit<JobFilters, 'account'>): Promise<ControlJob[]>;
    job(id: string): Promise<JobDetail>;
    complete(id: string): Promise<Job>;
    fail(id: string, code?: string, message?: string): Promise<Job>;
    setState(id: string, status: Exclude<JobStatus, 'queued'>, error?: {
        code?: string;
        message?: string;
    }): Promise<Job>;
    /** The next `count` matching requests of this account (of any key's with `anyKey`) fail or slow down. */
    injectFault(options: AccountFaultOptions): Promise<Fault>;
    /** The faults in force on this account's requests. */
    faults(): Promise<Fault[]>;
    /** Remove the faults on this account's requests (others' stay); returns how many went. */
    clearFaults(): Promise<number>;
    /** This account's journal entries, oldest first (filters: method, path, status, operation, ...). */
    requests(filters?: Omit<RequestFilters, 'key'>): Promise<RecordedRequest[]>;
    /** This account's webhook deliveries, or one job's (given its id). */
    deliveries(query?: DeliveriesQuery): Promise<Delivery[]>;
    resend(deliveryId: string): Promise<Delivery>;
}
