/**
 * The browser build: everything but starting a server, which needs Node. Bundlers pick this
 * file through the package's `browser` export condition, so no `node:` module reaches them.
 */

import type { DoitongMockServer, StartOptions } from './start.js';

export * from './common.js';
export type { DoitongMockServer, StartOptions } from './start.js';

/** Not in a browser: a page cannot start a process. Use `connect(baseUrl)` to a running mock. */
export function start(options?: StartOptions): Promise<DoitongMockServer> {
  void options;
  return Promise.reject(new Error('start() runs in Node, not in a browser: connect(baseUrl) to a running doitong-mock instead'));
}
