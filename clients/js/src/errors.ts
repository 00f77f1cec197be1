/** The errors this package throws. */

import type { ApiError, ErrorEnvelope } from './api.js';

/**
 * The control API refused a call: the API's own `message` and `extensions.code` (`NOT_FOUND`,
 * `BAD_USER_INPUT`, `CONFLICT`, ...), with the HTTP status and the call that was refused. An
 * answer that is not in the API's error format (a proxy's page, say) has the code `HTTP_ERROR`.
 */
export class ControlApiError extends Error {
  override readonly name = 'ControlApiError';
  readonly status: number;
  readonly code: string;
  /** `extensions` of the first error: `code`, and `field`, `limit`, ... where the API gives them. */
  readonly extensions: ApiError['extensions'];
  /** Every error of the answer. */
  readonly errors: ApiError[];
  readonly method: string;
  readonly path: string;

  constructor(method: string, path: string, status: number, errors: ApiError[]) {
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
  static fromAnswer(method: string, path: string, status: number, text: string): ControlApiError {
    return new ControlApiError(method, path, status, parseErrors(text) ?? [{
      message: `HTTP ${status}: ${text.slice(0, 500)}`,
      extensions: { code: 'HTTP_ERROR' },
    }]);
  }
}

function parseErrors(text: string): ApiError[] | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  const errors = (parsed as Partial<ErrorEnvelope> | null)?.errors;
  if (!Array.isArray(errors) || errors.length === 0) return null;
  const valid = errors.every((e: unknown) => {
    const error = e as Partial<ApiError> | null;
    return typeof error?.message === 'string' && typeof error.extensions?.code === 'string';
  });
  return valid ? errors : null;
}

/** The mock could not be reached (not started, gone, wrong URL); `cause` is the network error. */
export class MockUnreachableError extends Error {
  override readonly name = 'MockUnreachableError';
}

/** `start()` could not start the server: its exit code, if it exited, and its last output. */
export class StartError extends Error {
  override readonly name = 'StartError';
  readonly exitCode: number | null;
  readonly output: string;

  constructor(message: string, exitCode: number | null, output: string) {
    super(output ? `${message}\n--- its last output ---\n${output}` : message);
    this.exitCode = exitCode;
    this.output = output;
  }
}
