/** One call to the control API: JSON in and out, its errors as `ControlApiError`. */

import { ControlApiError, MockUnreachableError } from './errors.js';

/** A query parameter as callers give it; `undefined` and `null` are left out. */
export type QueryValue = string | number | boolean | Date | readonly (string | number)[] | null | undefined;

export interface CallOptions {
  body?: unknown;
  query?: Record<string, QueryValue>;
  /** Milliseconds before the call is given up (default 30 s). */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 30_000;

export class Transport {
  readonly baseUrl: string;
  readonly #headers: Record<string, string>;

  constructor(baseUrl: string, adminToken: string | undefined) {
    this.baseUrl = baseUrl.replace(/\/+$/, '');
    this.#headers = adminToken ? { 'X-Admin-Token': adminToken } : {};
  }

  /** The URL of a path, with its query. */
  url(path: string, query?: Record<string, QueryValue>): string {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== null) params.set(name, queryValue(value));
    }
    const search = params.toString();
    return `${this.baseUrl}${path}${search ? `?${search}` : ''}`;
  }

  /** Headers every control call carries (the admin token, if any), plus `extra`. */
  headers(extra: Record<string, string> = {}): Record<string, string> {
    return { ...this.#headers, ...extra };
  }

  async call<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
    const signal = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
    const hasBody = options.body !== undefined;
    let response: Response;
    try {
      response = await fetch(this.url(path, options.query), {
        method,
        headers: this.headers(hasBody ? { 'Content-Type': 'application/json' } : {}),
        body: hasBody ? JSON.stringify(options.body) : undefined,
        signal,
      });
    } catch (error) {
      throw unreachable(this.baseUrl, `${method} ${path}`, error);
    }
    const text = await response.text();
    if (!response.ok) throw ControlApiError.fromAnswer(method, path, response.status, text);
    return JSON.parse(text) as T;
  }
}

export function unreachable(baseUrl: string, what: string, error: unknown): MockUnreachableError {
  const reason = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
  return new MockUnreachableError(`doitong-mock at ${baseUrl} did not answer ${what}: ${reason}`, { cause: error });
}

function queryValue(value: Exclude<QueryValue, null | undefined>): string {
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (Array.isArray(value)) return value.join(',');
  return String(value);
}

/** A path segment (a key, an id) as it goes in a URL. */
export function enc(segment: string): string {
  return encodeURIComponent(segment);
}
