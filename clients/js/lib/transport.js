/** One call to the control API: JSON in and out, its errors as `ControlApiError`. */
import { ControlApiError, MockUnreachableError } from './errors.js';
const DEFAULT_TIMEOUT_MS = 30_000;
export class Transport {
    baseUrl;
    #headers;
    constructor(baseUrl, adminToken) {
        this.baseUrl = baseUrl.replace(/\/+$/, '');
        this.#headers = adminToken ? { 'X-Admin-Token': adminToken } : {};
    }
    /** The URL of a path, with its query. */
    url(path, query) {
        const params = new URLSearchParams();
        for (const [name, value] of Object.entries(query ?? {})) {
            if (value !== undefined && value !== null)
                params.set(name, queryValue(value));
        }
        const search = params.toString();
        return `${this.baseUrl}${path}${search ? `?${search}` : ''}`;
    }
    /** Headers every control call carries (the admin token, if any), plus `extra`. */
    headers(extra = {}) {
        return { ...this.#headers, ...extra };
    }
    async call(method, path, options = {}) {
        const signal = AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
        const hasBody = options.body !== undefined;
        let response;
        try {
            response = await fetch(this.url(path, options.query), {
                method,
                headers: this.headers(hasBody ? { 'Content-Type': 'application/json' } : {}),
                body: hasBody ? JSON.stringify(options.body) : undefined,
                signal,
            });
        }
        catch (error) {
            throw unreachable(this.baseUrl, `${method} ${path}`, error);
        }
        const text = await response.text();
        if (!response.ok)
            throw ControlApiError.fromAnswer(method, path, response.status, text);
        return JSON.parse(text);
    }
}
export function unreachable(baseUrl, what, error) {
    const reason = error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error);
    return new MockUnreachableError(`doitong-mock at ${baseUrl} did not answer ${what}: ${reason}`, { cause: error });
}
function queryValue(value) {
    if (value instanceof Date)
        return value.toISOString();
    if (typeof value === 'boolean')
        return value ? '1' : '0';
    if (Array.isArray(value))
        return value.join(',');
    return String(value);
}
/** A path segment (a key, an id) as it goes in a URL. */
export function enc(segment) {
    return encodeURIComponent(segment);
}
