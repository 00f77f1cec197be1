/**
 * The browser build: everything but starting a server, which needs Node. Bundlers pick this
 * file through the package's `browser` export condition, so no `node:` module reaches them.
 */
import type { DoitongMockServer, StartOptions } from './start.js';
export * from './common.js';
export type { DoitongMockServer, StartOptions } from './start.js';
/** Not in a browser: a page cannot start a process. Use `connect(baseUrl)` to a running mock. */
export declare function start(options?: StartOptions): Promise<DoitongMockServer>;
