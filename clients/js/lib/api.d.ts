/**
 * The control API's (`/_mock`) requests and answers, as the server sends them.
 *
 * This is the one module that knows the wire shapes: every other module imports its types from
 * here and nowhere else. They are generated, never written by hand: the server describes the
 * control API itself (`GET /_mock/openapi.json`, kept as `openapi/control.json`), and
 * `npm run generate` turns that document into `generated/control.ts`. This module gives its
 * types the package's names; the suite fails when either file is behind the server.
 */
import type { components, operations, paths } from './generated/control.js';
type Schemas = components['schemas'];
/** Every route of the control API, its parameters, bodies and answers (for openapi-fetch and the like). */
export type ControlApiPaths = paths;
/** The query parameters an operation of the control API takes, by its `operationId`. */
export type QueryOf<Operation extends keyof operations> = NonNullable<operations[Operation]['parameters']['query']>;
/** One error of the API's format; `extensions.code` says what went wrong. */
export type ApiError = Schemas['ApiError'];
/** Every error answer: `{"errors": [...]}` with the HTTP status of the first one's code. */
export type ErrorEnvelope = Schemas['ErrorEnvelope'];
/** A clock (the server's, or an account's own) and its next scheduled event. */
export type Clock = Schemas['Clock'];
/** A clock as `GET /healthz` shows it. */
export type PlainClock = Schemas['PlainClock'];
/** The answer of an advance or a settle: the clock, then what ran and what is still going on. */
export type ClockMoved = Schemas['ClockMoved'];
export type SettleBody = Schemas['SettleBody'];
/** `seconds`, or `next`: not both. */
export type AdvanceBody = Schemas['AdvanceBody'];
export type ClockUpdateBody = Schemas['ClockUpdateBody'];
export type ClockKind = Schemas['ClockKind'];
/** A plan and its limits (null: unlimited). */
export type Plan = Schemas['Plan'];
export type LedgerKind = Schemas['LedgerKind'];
/** One movement of an account's credits, and the balance it left. */
export type LedgerEntry = Schemas['LedgerEntry'];
export type Credits = Schemas['Credits'];
export type Usage = Schemas['Usage'];
/** An account as the control API shows it: as its owner sees it, plus what tests need. */
export type AccountInfo = Schemas['AccountInfo'];
export type AccountList = Schemas['AccountList'];
/** `POST /_mock/accounts`: the mock's defaults (Pro, 10,000 credits, the server's clock) where not given. */
export type NewAccountBody = Schemas['NewAccountBody'];
export type AccountUpdateBody = Schemas['AccountUpdateBody'];
export type AccountDeleted = Schemas['AccountDeleted'];
export type JobStatus = Schemas['JobStatus'];
export type JobError = Schemas['JobError'];
export type JobMetadata = Schemas['JobMetadata'];
/** A job as its owner sees it on REST and GraphQL. */
export type Job = Schemas['Job'];
/** A job as the control API lists it: any account's, with its planned times. */
export type ControlJob = Schemas['ControlJob'];
export type TimelineStep = Schemas['TimelineStep'];
/** One job with its timeline, its credits' ledger entries and its webhook deliveries. */
export type JobDetail = Schemas['JobDetail'];
/** Newest first; pass `next` as `before` for the page just older. */
export type JobList = Schemas['JobList'];
export type JobFailureBody = Schemas['JobFailureBody'];
export type JobStateBody = Schemas['JobStateBody'];
export type Surface = Schemas['Surface'];
/** What a fault's requests must match (any request to /graphql and /v1, without it). */
export type FaultMatch = Schemas['FaultMatch'];
/** `POST /_mock/faults`: a status, a latency or both. */
export type NewFaultBody = Schemas['NewFaultBody'];
export type Fault = Schemas['Fault'];
export type FaultList = Schemas['FaultList'];
export type Removed = Schemas['Removed'];
/** A journal entry without headers and bodies. */
export type RequestBrief = Schemas['RequestBrief'];
/** A journal entry: what was received (credentials masked) and what was answered. */
export type RecordedRequest = Schemas['RecordedRequest'];
/** Oldest first; pass `next` as `before` for the page just older. With `brief=1`, entries without headers and bodies. */
export type RequestList = Schemas['RequestList'];
/** `GET /_mock/requests` without `brief=1`: every entry in full. */
export type FullRequestList = Omit<RequestList, 'requests'> & {
    requests: RecordedRequest[];
};
export type DeliveryState = Schemas['DeliveryState'];
export type Attempt = Schemas['Attempt'];
/** The payload of a webhook: the job as the document describes it, `error` when it failed. */
export type WebhookPayload = Schemas['WebhookPayload'];
export type Delivery = Schemas['Delivery'];
/** Oldest first; pass `next` as `before` for the page just older. */
export type DeliveryList = Schemas['DeliveryList'];
/** `GET /_mock/health`: health, readiness and counters. */
export type Health = Schemas['Health'];
/** `GET /healthz` (outside the control API, so not in its document): what it shares with `/_mock/health`. */
export type Healthz = Pick<Health, 'status' | 'clock' | 'generation'>;
export type ResetResult = Schemas['ResetResult'];
/** What each kind of event carries, by kind. */
export type EventData = Schemas['EventData'];
/** The kinds `?kinds=` may ask for (`hello` and `lagged` always come). */
export type EventKind = Schemas['EventKind'];
export {};
