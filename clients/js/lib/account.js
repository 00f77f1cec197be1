/** One account on the mock, steered by a test: its key, its clock, its jobs, faults and logs. */
import { ControlApiError } from './errors.js';
import { faultBody, } from './options.js';
import { enc } from './transport.js';
/**
 * An account and the control operations scoped to it. With a clock of its own (`clockKind`
 * `own`, what `newAccount()` makes by default), `advance()` moves only this account's world:
 * its jobs, rate-limit windows, daily counts, idempotency keys and webhook retries.
 */
export class Account {
    key;
    webhookSecret;
    /** Its webhooks carry the Standard Webhooks headers too. */
    standardWebhooks;
    /** `own`: a clock of its own; `server`: it follows the server's clock. */
    clockKind;
    #mock;
    constructor(mock, info) {
        this.#mock = mock;
        this.key = info.key;
        this.webhookSecret = info.webhookSecret;
        this.standardWebhooks = info.standardWebhooks;
        this.clockKind = info.clock.own ? 'own' : 'server';
    }
    /** GraphQL-style auth: `Authorization: Bearer <key>`. */
    get headers() {
        return { Authorization: `Bearer ${this.key}` };
    }
    /** REST-style auth: `X-API-Key: <key>`. */
    get restHeaders() {
        return { 'X-API-Key': this.key };
    }
    /** The account as it is now: plan, credits (with its newest `entries` ledger entries), usage, clock. */
    info(entries = 50) {
        return this.#mock.transport.call('GET', this.#path(), { query: { entries } });
    }
    /** Spendable credits become `credits` (what is held stays held). */
    setCredits(credits) {
        return this.#mock.transport.call('PATCH', this.#path(), { body: { credits } });
    }
    setPlan(plan) {
        return this.#mock.transport.call('PATCH', this.#path(), { body: { plan } });
    }
    /** A disabled account's requests are refused (403 `FORBIDDEN`). */
    setEnabled(enabled) {
        return this.#mock.transport.call('PATCH', this.#path(), { body: { enabled } });
    }
    /** Delete the account and everything of it: its jobs stop, its deliveries and clock go. */
    async delete() {
        await this.#mock.transport.call('DELETE', this.#path());
        this.#mock.forget(this.key);
    }
    // ---- its clock ----------------------------------------------------------------------------
    /** The clock this account follows (`own` says whether it is its own). */
    clock() {
        return this.#mock.transport.call('GET', `${this.#path()}/clock`);
    }
    /**
     * Move this account's clock (the server's, for an account that follows it): every job
     * transition, window reset and webhook retry that falls due runs in order, each at its own
     * time, and has run, webhook attempts recorded, when the promise resolves.
     */
    advance(seconds, options = {}) {
        return this.#mock.clockCall(`${this.#clockPath()}/advance`, { seconds }, options);
    }
    /** Move this account's clock to its next scheduled event (a job transition, a webhook retry) and run it. */
    next(options = {}) {
        return this.#mock.clockCall(`${this.#clockPath()}/advance`, { next: true }, options);
    }
    /** Wait until nothing of this account's clock is due and no webhook attempt is in flight. */
    settle(options = {}) {
        return this.#mock.clockCall(`${this.#path()}/clock/settle`, {}, options);
    }
    /** This account's clock's speed, for what is scheduled on it from now on. */
    setSpeed(speed) {
        return this.#mock.transport.call('PATCH', this.#clockPath(), { body: { speed } });
    }
    // ---- its jobs -----------------------------------------------------------------------------
    /** This account's jobs (or those the filters pick), newest first. */
    jobs(filters = {}) {
        return this.#mock.jobs({ ...filters, account: this.key });
    }
    job(id) {
        return this.#mock.job(id);
    }
    complete(id) {
        return this.#mock.complete(id);
    }
    fail(id, code, message) {
        return this.#mock.fail(id, code, message);
    }
    setState(id, status, error = {}) {
        return this.#mock.setState(id, status, error);
    }
    // ---- its faults ---------------------------------------------------------------------------
    /** The next `count` matching requests of this account (of any key's with `anyKey`) fail or slow down. */
    injectFault(options) {
        const { anyKey, ...fault } = options;
        return this.#mock.transport.call('POST', '/_mock/faults', { body: faultBody(fault, anyKey ? undefined : this.key) });
    }
    /** The faults in force on this account's requests. */
    async faults() {
        return (await this.#mock.faults()).filter((fault) => fault.match.key === this.key);
    }
    /** Remove the faults on this account's requests (others' stay); returns how many went. */
    async clearFaults() {
        let removed = 0;
        for (const fault of await this.faults()) {
            try {
                await this.#mock.removeFault(fault.id);
                removed += 1;
            }
            catch (error) {
                if (!(error instanceof ControlApiError && error.code === 'NOT_FOUND'))
                    throw error; // used up meanwhile
            }
        }
        return removed;
    }
    // ---- its journal and deliveries -------------------------------------------------------------
    /** This account's journal entries, oldest first (filters: method, path, status, operation, ...). */
    requests(filters = {}) {
        return this.#mock.requests({ ...filters, key: this.key });
    }
    /** This account's webhook deliveries, or one job's (given its id). */
    deliveries(query = {}) {
        return this.#mock.deliveries(typeof query === 'string' ? { job: query } : { ...query, account: this.key });
    }
    resend(deliveryId) {
        return this.#mock.resend(deliveryId);
    }
    #path() {
        return `/_mock/accounts/${enc(this.key)}`;
    }
    /** The clock this account's moves go to: its own, or the server's it follows. */
    #clockPath() {
        return this.clockKind === 'own' ? `${this.#path()}/clock` : '/_mock/clock';
    }
}
