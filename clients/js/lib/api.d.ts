/**
 * The control API's (`/_mock`) requests and answers, as the server sends them.
 *
 * This is the one module that knows the wire shapes: every other module imports its types from
 * here and nowhere else. They are written by hand from the server's answers for now; when the
 * server describes the control API itself (`GET /_mock/openapi.json`), this module becomes the
 * types generated from that document (re-exported under these names), and nothing else changes.
 */
/** One error of the API's format; `extensions.code` says what went wrong. */
export interface ApiError {
    message: string;
    extensions: {
        code: string;
        [more: string]: unknown;
    };
}
/** Every error answer: `{"errors": [...]}` with the HTTP status of the first one's code. */
export interface ErrorEnvelope {
    errors: ApiError[];
}
/** `GET /_mock/clock` and `GET /_mock/accounts/{key}/clock`. */
export interface Clock {
    /** Unix seconds on this clock. */
    now: number;
    iso: string;
    mode: 'real' | 'virtual';
    /** `realtime`, `instant` or a factor such as `"10"`. */
    speed: string;
    /** Whether this is an account's clock of its own (false: the server's). */
    own: boolean;
    /** When the clock's next job transition or webhook retry is due, if any. */
    nextDueAt: string | null;
    nextDueIn: number | null;
}
/** The answer of an advance or a settle: the clock, then what ran and what is still going on. */
export interface ClockMoved extends Clock {
    /** Timers (job transitions, window resets, webhook retries) that ran. */
    ran: number;
    /** Webhook attempts still in flight after the wait (they go on in the background). */
    inFlight: number;
}
/** `POST .../clock/settle`. */
export interface SettleBody {
    /** Real seconds to wait, in all, for the webhook attempts that fall due (the mock's default: 60). */
    timeout?: number;
}
/** `POST .../clock/advance`: `seconds` or `next`, not both. */
export interface AdvanceBody extends SettleBody {
    seconds?: number;
    next?: boolean;
}
/** `PATCH .../clock`. */
export interface ClockUpdateBody {
    /** `realtime`, `instant` or a factor. */
    speed: string | number;
}
export type ClockKind = 'own' | 'server';
/** A plan and its limits (null: unlimited). */
export interface Plan {
    id: string;
    name: string;
    requestsPerMinute: number | null;
    concurrentJobs: number | null;
    dailyJobs: number | null;
}
export type LedgerKind = 'initial' | 'grant' | 'adjust' | 'hold' | 'charge' | 'release';
export interface LedgerEntry {
    at: string;
    kind: LedgerKind;
    amount: number;
    jobId: string | null;
    balanceAfter: number;
    availableAfter: number;
    heldAfter: number;
}
export interface Credits {
    balance: number;
    available: number;
    held: number;
    charged: number;
    /** The newest entries, as many as asked for (`?entries=`). */
    entries: LedgerEntry[];
}
export interface Usage {
    requestsThisMinute: number;
    minuteResetsAt: string;
    jobsToday: number;
    dayResetsAt: string;
    activeJobs: number;
}
/** An account as the control API shows it: as its owner sees it, plus what tests need. */
export interface AccountInfo {
    id: string;
    name: string;
    email: string;
    plan: Plan;
    credits: Credits;
    enabled: boolean;
    usage: Usage;
    key: string;
    webhookSecret: string;
    standardWebhooks: boolean;
    /** Made through the control API (a fixture account is not). */
    ephemeral: boolean;
    /** The clock the account follows. */
    clock: Clock;
}
/** `GET /_mock/accounts`. */
export interface AccountList {
    accounts: AccountInfo[];
    plans: Plan[];
}
/** `POST /_mock/accounts`: the mock's defaults (Pro, 10,000 credits, the server's clock) where not given. */
export interface NewAccountBody {
    plan?: string;
    credits?: number;
    key?: string;
    name?: string;
    webhookSecret?: string;
    /** Also sign webhooks with the Standard Webhooks headers. */
    standardWebhooks?: boolean;
    clock?: ClockKind;
}
/** `PATCH /_mock/accounts/{key}`. */
export interface AccountUpdateBody {
    credits?: number;
    plan?: string;
    enabled?: boolean;
}
/** `DELETE /_mock/accounts/{key}`. */
export interface AccountDeleted {
    deleted: string;
}
export type JobStatus = 'queued' | 'processing' | 'completed' | 'failed' | 'cancelled';
export interface JobError {
    code: string;
    message: string;
}
export interface JobMetadata {
    duration: number;
    width: number;
    height: number;
    [more: string]: unknown;
}
/** A job as its owner sees it on REST and GraphQL. */
export interface Job {
    id: string;
    status: JobStatus;
    type: string;
    provider: string;
    service: string;
    url: string | null;
    videoUrl: string | null;
    metadata: JobMetadata | null;
    creditCost: number;
    createdAt: string;
    startedAt: string | null;
    completedAt: string | null;
    progress: number;
    duration: number;
    webhookUrl: string | null;
    error: JobError | null;
    text: string | null;
    avatarId: string | null;
    imageUrl: string | null;
    audioUrl: string | null;
    voice: string | null;
    language: string | null;
    version: string | null;
    aspectRatio: string | null;
    resolution: string | null;
}
/** A job as the control API lists it: any account's, with its planned times. */
export interface ControlJob extends Job {
    accountKey: string;
    seq: number;
    startsAt: string | null;
    endsAt: string | null;
    tier: string;
    scenario: string | null;
}
export interface TimelineStep {
    status: JobStatus;
    at: string | null;
    /** Still to come: it moves if the clock's speed changes or someone steps in. */
    planned: boolean;
}
/** `GET /_mock/jobs/{id}`. */
export interface JobDetail extends ControlJob {
    timeline: TimelineStep[];
    ledger: LedgerEntry[];
    deliveries: Delivery[];
}
/** `GET /_mock/jobs`: newest first; pass `next` as `before` for the page just older. */
export interface JobList {
    jobs: ControlJob[];
    total: number;
    next: number | null;
}
/** `POST /_mock/jobs/{id}/fail`. */
export interface JobFailureBody {
    code?: string;
    message?: string;
}
/** `POST /_mock/jobs/{id}/state`. */
export interface JobStateBody {
    status: Exclude<JobStatus, 'queued'>;
    code?: string;
    message?: string;
}
export type Surface = 'graphql' | 'rest' | 'media' | 'websocket' | 'other';
export interface FaultMatch {
    key?: string | null;
    surface?: 'graphql' | 'rest' | 'media' | null;
    /** A GraphQL operation name or root field. */
    operation?: string | null;
    /** A path; ending in `*` it is a prefix. */
    path?: string | null;
    method?: string | null;
}
/** `POST /_mock/faults`: a status, a latency or both. */
export interface NewFaultBody {
    status?: number;
    code?: string;
    message?: string;
    extensions?: Record<string, unknown>;
    /** Seconds to delay each matching request (at most 120). */
    latency?: number;
    /** How many matching requests it hits before it is used up. */
    count?: number;
    match?: FaultMatch;
}
export interface Fault {
    id: string;
    remaining: number;
    hits: number;
    status: number | null;
    code: string | null;
    message: string | null;
    extensions: Record<string, unknown>;
    latency: number;
    match: Required<FaultMatch>;
}
/** `GET /_mock/faults`. */
export interface FaultList {
    faults: Fault[];
}
/** `DELETE /_mock/faults`, `DELETE /_mock/faults/{id}`, `DELETE /_mock/requests`. */
export interface Removed {
    removed: number;
}
/** A journal entry without headers and bodies. */
export interface RequestBrief {
    id: number;
    at: string;
    method: string;
    path: string;
    query: string;
    surface: Surface;
    /** GraphQL: the operation name and root fields, e.g. `Generate,generate`. */
    operation: string | null;
    key: string | null;
    status: number;
    latencyMs: number;
    /** The fault that answered it, if any. */
    fault: string | null;
    /** The job it made, if any. */
    jobId: string | null;
    replayOf: number | null;
}
/** A journal entry: what was received (credentials masked) and what was answered. */
export interface RecordedRequest extends RequestBrief {
    body: string | null;
    bodySize: number;
    bodyTruncated: boolean;
    headers: [string, string][];
    response: {
        status: number;
        headers: [string, string][];
        body: string | null;
        bodySize: number;
        bodyTruncated: boolean;
    };
}
/** `GET /_mock/requests`: oldest first; pass `next` as `before` for the page just older. */
export interface RequestList {
    requests: RecordedRequest[];
    total: number;
    next: number | null;
}
export type DeliveryState = 'pending' | 'delivered' | 'failed';
export interface Attempt {
    number: number;
    at: string;
    url: string;
    statusCode: number | null;
    error: string | null;
    latencyMs: number;
    /** A re-send from the control API. */
    manual: boolean;
    /** The headers this attempt was sent with (its signatures among them). */
    headers: Record<string, string>;
}
/** The payload of a webhook: the job as the document describes it, `error` when it failed. */
export interface WebhookPayload {
    id: string;
    status: JobStatus;
    url: string | null;
    service: string;
    createdAt: string;
    completedAt: string | null;
    metadata?: JobMetadata | null;
    error?: JobError;
    [more: string]: unknown;
}
export interface Delivery {
    id: string;
    jobId: string;
    accountKey: string;
    url: string;
    event: string;
    state: DeliveryState;
    createdAt: string;
    nextAttemptAt: string | null;
    attempts: Attempt[];
    payload: WebhookPayload;
    /** The exact text POSTed: what the signatures are over. */
    body: string;
}
/** `GET /_mock/deliveries`: oldest first; pass `next` as `before` for the page just older. */
export interface DeliveryList {
    deliveries: Delivery[];
    total: number;
    next: string | null;
}
/** `GET /healthz`. */
export interface Healthz {
    status: string;
    clock: Omit<Clock, 'own' | 'nextDueAt' | 'nextDueIn'>;
    /** Changes at each reset, and at each start without `--state-file`. */
    generation: string;
}
/** `GET /_mock/health`. */
export interface Health extends Healthz {
    ready: boolean;
    fixtures: string;
    jobs: number;
    jobsInFlight: number;
    deliveries: number;
    deliveriesFailed: number;
    journal: number;
    faults: number;
    accounts: number;
    eventStreams: number;
}
/** `POST /_mock/reset`. */
export interface ResetResult {
    reset: true;
    fixtures: string;
}
/** What each kind of event carries. */
export interface EventData {
    hello: {
        version: string;
        clock: Clock;
        kinds: EventKind[];
        adminToken: boolean;
    };
    request: {
        request: RequestBrief;
    };
    journal: {
        removed: number;
    };
    job: {
        job: ControlJob;
    };
    delivery: {
        delivery: Delivery;
    };
    ledger: {
        account: string;
        entry: LedgerEntry;
    };
    account: {
        account: AccountInfo | {
            key: string;
            deleted: true;
        };
    };
    clock: {
        clock: Clock;
    };
    fault: {
        fault: Fault | null;
        faults: Fault[];
    };
    reset: {
        reason: 'reset' | 'reload';
    };
    lagged: {
        dropped: number;
    };
}
/** The kinds `?kinds=` may ask for (`hello` and `lagged` always come). */
export type EventKind = Exclude<keyof EventData, 'hello' | 'lagged'>;
