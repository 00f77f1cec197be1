/** One call to the control API: JSON in and out, its errors as `ControlApiError`. */
import { MockUnreachableError } from './errors.js';
/** A query parameter as callers give it; `undefined` and `null` are left out. */
export type QueryValue = string | number | boolean | Date | readonly (string | number)[] | null | undefined;
export interface CallOptions {
    body?: unknown;
    query?: Record<string, QueryValue>;
    /** Milliseconds before the call is given up (default 30 s). */
    timeoutMs?: number;
}
export declare class Transport {
    #private;
    readonly baseUrl: string;
    constructor(baseUrl: string, adminToken: string | undefined);
    /** The URL of a path, with its query. */
    url(path: string, query?: Record<string, QueryValue>): string;
    /** Headers every control call carries (the admin token, if any), plus `extra`. */
    headers(extra?: Record<string, string>): Record<string, string>;
    call<T>(method: string, path: string, options?: CallOptions): Promise<T>;
}
export declare function unreachable(baseUrl: string, what: string, error: unknown): MockUnreachableError;
/** A path segment (a key, an id) as it goes in a URL. */
export declare function enc(segment: string): string;
