/**
 * doitong-mock for JavaScript and TypeScript tests: start the mock (Node), connect to one that
 * runs, give each test an account with its own clock, steer it, and check webhook signatures.
 * Browsers get everything but `start()` (see browser.ts).
 */
export * from './common.js';
export { DoitongMockServer, start } from './start.js';
