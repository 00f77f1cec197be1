/**
 * The control API's (`/_mock`) requests and answers, as the server sends them.
 *
 * This is the one module that knows the wire shapes: every other module imports its types from
 * here and nowhere else. They are written by hand from the server's answers for now; when the
 * server describes the control API itself (`GET /_mock/openapi.json`), this module becomes the
 * types generated from that document (re-exported under these names), and nothing else changes.
 */
export {};
