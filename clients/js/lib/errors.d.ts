/** The errors this package throws. */
import type { ApiError } from './api.js';
/**
 * The control API refused a call: the API's own `message` and `extensions.code` (`NOT_FOUND`,
 * `BAD_USER_INPUT`, `CONFLICT`, ...), with the HTTP status and the call that was refused. An
 * answer that is not in the API's error format (a proxy's page, say) has the code `HTTP_ERROR`.
 */
export declare class ControlApiError extends Error {
    readonly name = "ControlApiError";
    readonly status: number;
    readonly code: string;
    /** `extensions` of the first error: `code`, and `field`, `limit`, ... where the API gives them. */
    readonly extensions: ApiError['extensions'];
    /** Every error of the answer. */
    readonly errors: ApiError[];
    readonly method: string;
    readonly path: string;
    constructor(method: string, path: string, status: number, errors: ApiError[]);
    /** The error of an answer, from its status and its body as text. */
    static fromAnswer(method: string, path: string, status: number, text: string): ControlApiError;
}
/** The mock could not be reached (not started, gone, wrong URL); `cause` is the network error. */
export declare class MockUnreachableError extends Error {
    readonly name = "MockUnreachableError";
}
/** `start()` could not start the server: its exit code, if it exited, and its last output. */
export declare class StartError extends Error {
    readonly name = "StartError";
    readonly exitCode: number | null;
    readonly output: string;
    constructor(message: string, exitCode: number | null, output: string);
}
