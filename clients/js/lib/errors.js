/** The errors this package throws. */
/**
 * The control API refused a call: the API's own `message` and `extensions.code` (`NOT_FOUND`,
 * `BAD_USER_INPUT`, `CONFLICT`, ...), with the HTTP status and the call that was refused. An
 * answer that is not in the API's error format (a proxy's page, say) has the code `HTTP_ERROR`.
 */
export class ControlApiError extends Error {
    name = 'ControlApiError';
    status;
    code;
    /** `extensions` of the first error: `code`, and `field`, `limit`, ... where the API gives them. */
    extensions;
    /** Every error of the answer. */
    errors;
    method;
    path;
    constructor(method, path, status, errors) {
        const first = errors[0] ?? { message: `HTTP ${status}`, extensions: { code: 'HTTP_ERROR' } };
        super(`${method} ${path}: ${status} ${first.extensions.code}: ${first.message}`);
        this.status = status;
        this.code = first.extensions.code;
        this.extensions = first.extensions;
        this.errors = errors;
        this.method = method;
        this.path = path;
    }
    /** The error of an answer, from its status and its body as text. */
    static fromAnswer(method, path, status, text) {
        return new ControlApiError(method, path, status, parseErrors(text) ?? [{
                message: `HTTP ${status}: ${text.slice(0, 500)}`,
                extensions: { code: 'HTTP_ERROR' },
            }]);
    }
}
function parseErrors(text) {
    let parsed;
    try {
        parsed = JSON.parse(text);
    }
    catch {
        return null;
    }
    const errors = parsed?.errors;
    if (!Array.isArray(errors) || errors.length === 0)
        return null;
    const valid = errors.every((e) => {
        const error = e;
        return typeof error?.message === 'string' && typeof error.extensions?.code === 'string';
    });
    return valid ? errors : null;
}
/** The mock could not be reached (not started, gone, wrong URL); `cause` is the network error. */
export class MockUnreachableError extends Error {
    name = 'MockUnreachableError';
}
/** `start()` could not start the server: its exit code, if it exited, and its last output. */
export class StartError extends Error {
    name = 'StartError';
    exitCode;
    output;
    constructor(message, exitCode, output) {
        super(output ? `${message}\n--- its last output ---\n${output}` : message);
        this.exitCode = exitCode;
        this.output = output;
    }
}
