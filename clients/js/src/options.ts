/**
 * What callers pass to the handles' methods: the control API's bodies and queries, shaped for a
 * test (a value or several, dates, booleans, where the wire takes comma-separated text and 1 or
 * 0). The filters are the operations' query parameters as the generated types say them, with
 * only those shapes changed, so a parameter the server renames or drops goes from here too.
 */

import type { ClockKind, FaultMatch, JobStatus, NewAccountBody, NewFaultBody, QueryOf } from './api.js';

/** A clock's speed: `realtime`, `instant` or a factor (0.001 to 1,000,000). */
export type Speed = 'realtime' | 'instant' | number | `${number}`;

/** Query of `GET /_mock/jobs`. */
export interface JobFilters extends Omit<QueryOf<'listJobs'>, 'status'> {
  /** One status or several. */
  status?: JobStatus | JobStatus[];
}

/** Query of `GET /_mock/requests` (`brief` is not one: `requests()` answers entries in full). */
export interface RequestFilters extends Omit<QueryOf<'listRequests'>, 'status' | 'since' | 'brief'> {
  /** Codes and classes, one or several: `404`, `'4xx'`, `['4xx', '5xx']`. */
  status?: number | string | (number | string)[];
  /** Unix seconds, an ISO 8601 time or a Date. */
  since?: number | string | Date;
}

/** Query of `GET /_mock/deliveries`. */
export type DeliveryFilters = QueryOf<'listDeliveries'>;

/** Query of `GET /_mock/deliveries/{id}`: wait until `attempts` are recorded, at most `wait` seconds. */
export type DeliveryWait = QueryOf<'getDelivery'>;

/** How long an advance or a settle may wait for the webhook attempts it starts. */
export interface WaitOptions {
  /** Real seconds to wait for webhook attempts in all (the mock's default: 60). */
  timeout?: number;
}

/** `newAccount()`: a throw-away account; Pro with 10,000 credits and a clock of its own unless told. */
export interface NewAccountOptions extends Omit<NewAccountBody, 'clock'> {
  /** `own` (the default here): a virtual clock of its own; `server`: it follows the server's. */
  clock?: ClockKind;
}

interface FaultEffect {
  /** How many matching requests it hits (default 1). */
  count?: number;
  /** The error's code, if not the status's usual one (500: `INTERNAL_SERVER_ERROR`, ...). */
  code?: string;
  message?: string;
  extensions?: Record<string, unknown>;
  surface?: NonNullable<FaultMatch['surface']>;
  /** A GraphQL operation name or root field, e.g. `generate`. */
  operation?: string;
  /** A path; ending in `*` it is a prefix (without one, faults hit only `/graphql` and `/v1`). */
  path?: string;
  method?: string;
}

/** A fault: it answers with `status`, or waits `latency` seconds first, or both. */
export type FaultOptions = FaultEffect & (
  | { status: number; latency?: number }
  | { status?: number; latency: number }
);

/** A fault on the whole mock: any key's requests, or one key's (`key`). */
export type MockFaultOptions = FaultOptions & { key?: string };

/** A fault on an account: its own requests only, unless `anyKey`. */
export type AccountFaultOptions = FaultOptions & { anyKey?: boolean };

/** A job's id, or the filters of the delivery log. */
export type DeliveriesQuery = string | DeliveryFilters;

/** The control API's body of a fault: its effect, and what it matches (`key`: one key's requests only). */
export function faultBody(options: FaultOptions, key: string | undefined): NewFaultBody {
  const { surface, operation, path, method, ...effect } = options;
  const match = Object.fromEntries(
    Object.entries({ key, surface, operation, path, method }).filter(([, value]) => value !== undefined),
  );
  return { ...effect, match };
}
