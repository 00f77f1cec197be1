/** The handle on a running mock: `connect()` makes one, `start()` makes one with a process. */
import type { AccountList, Clock, ClockMoved, ControlJob, Delivery, EventKind, Fault, Health, Job, JobDetail, JobStatus, RecordedRequest, ResetResult } from './api.js';
import { Account } from './account.js';
import { type EventsOptions, type MockEvent } from './events.js';
import { type DeliveriesQuery, type DeliveryWait, type JobFilters, type MockFaultOptions, type NewAccountOptions, type RequestFilters, type Speed, type WaitOptions } from './options.js';
export interface ConnectOptions {
    /** The mock's `--admin-token`, sent as `X-Admin-Token`. */
    adminToken?: string;
}
/**
 * A mock that is running: the control API as methods. Each test makes its own account
 * (`newAccount()`), which has a clock of its own, so tests that share the mock never share
 * jobs, credits, limits or time.
 */
export declare class DoitongMock {
    #private;
    readonly baseUrl: string;
    readonly graphqlUrl: string;
    constructor(baseUrl: string, options?: ConnectOptions);
    /** Health, readiness and counters (`GET /_mock/health`). */
    health(): Promise<Health>;
    /** A throw-away account: Pro with 10,000 credits and a clock of its own, unless told otherwise. */
    newAccount(options?: NewAccountOptions): Promise<Account>;
    /** An account that exists already (a fixture account, say), to steer it. */
    account(key: string): Promise<Account>;
    /** Every account, and every plan with its limits. */
    accounts(): Promise<AccountList>;
    /**
     * Everything back to the fixtures, for everyone on the mock; the accounts this handle made
     * are made again as they were made (same key and secret, fresh credits and clock).
     */
    reset(): Promise<ResetResult>;
    /** The server's clock (accounts with a clock of their own have theirs: `account.clock()`). */
    clock(): Promise<Clock>;
    /** Move the server's clock; returns once what fell due has run, webhook attempts included. */
    advance(seconds: number, options?: WaitOptions): Promise<ClockMoved>;
    /** Move the server's clock to its next scheduled event and run it. */
    next(options?: WaitOptions): Promise<ClockMoved>;
    /** Wait until nothing of the server's clock is due and no webhook attempt is in flight. */
    settle(options?: WaitOptions): Promise<ClockMoved>;
    /** The server clock's speed, for what is scheduled from now on. */
    setSpeed(speed: Speed): Promise<Clock>;
    /** Every account's jobs (or those the filters pick), newest first. */
    jobs(filters?: JobFilters): Promise<ControlJob[]>;
    /** Any account's job, with its timeline, the ledger entries of its credits and its deliveries. */
    job(id: string): Promise<JobDetail>;
    /** Complete a job now. */
    complete(id: string): Promise<Job>;
    /** Fail a job now, with that error. */
    fail(id: string, code?: string, message?: string): Promise<Job>;
    /** Move a job to a status now (`failed` with `code` and `message`, if given). */
    setState(id: string, status: Exclude<JobStatus, 'queued'>, error?: {
        code?: string;
        message?: string;
    }): Promise<Job>;
    /** The faults in force. */
    faults(): Promise<Fault[]>;
    /** The next `count` matching API requests (any key's, or `key`'s) fail or slow down. */
    injectFault(options: MockFaultOptions): Promise<Fault>;
    /** Remove one fault. */
    removeFault(id: string): Promise<void>;
    /** Remove every fault, everyone's; returns how many there were. */
    clearFaults(): Promise<number>;
    /** Journal entries, oldest first: the newest `limit` (1000) that match the filters. */
    requests(filters?: RequestFilters): Promise<RecordedRequest[]>;
    /** Clear the journal; returns how many entries it held. */
    clearRequests(): Promise<number>;
    /** The webhook delivery log, oldest first: all of it, a job's (given its id), or what the filters pick. */
    deliveries(query?: DeliveriesQuery): Promise<Delivery[]>;
    /** One delivery; with `attempts`, once that many of its attempts are recorded (waiting `wait` seconds at most). */
    delivery(id: string, wait?: DeliveryWait): Promise<Delivery>;
    /** Send a delivery once more now; answers with its outcome recorded. */
    resend(deliveryId: string): Promise<Delivery>;
    /**
     * What changes in the mock from now on, as it happens (`GET /_mock/events`): iterate with
     * `for await`; it ends when you break out of the loop, when `signal` aborts, when this
     * handle closes or stops, or when the server shuts down.
     */
    events<K extends EventKind = EventKind>(options?: EventsOptions<K>): AsyncGenerator<MockEvent<K | 'hello' | 'lagged'>, void, undefined>;
    /**
     * Done with the mock: the event streams end, and the accounts this handle made (and did not
     * delete) go, so a mock that many suites share does not fill up.
     */
    close(): Promise<void>;
}
/** A handle on a mock that is already running (docker-compose, a shared one, another runner's). */
export declare function connect(baseUrl: string, options?: ConnectOptions): DoitongMock;
