/**
 * The control API's (`/_mock`) requests and answers, as the server sends them.
 *
 * This is the one module that knows the wire shapes: every other module imports its types from
 * here and nowhere else. They are generated, never written by hand: the server describes the
 * control API itself (`GET /_mock/openapi.json`, kept as `openapi/control.json`), and
 * `npm run generate` turns that document into `generated/control.ts`. This module gives its
 * types the package's names; the suite fails when either file is behind the server.
 */
export {};
