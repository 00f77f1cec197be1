/**
 * `start()`: run a mock server for a test run (Node only), and make sure it ends with the run.
 *
 * The server runs in a process group of its own, so `stop()` ends it and everything it started
 * (a shell's child, a container runtime's helpers). If the runner exits or is interrupted
 * (SIGINT, SIGTERM, SIGHUP) before `stop()`, the group is ended then; only SIGKILL of the
 * runner itself cannot be caught.
 */
import { DoitongMock } from './mock.js';
export interface StartOptions {
    /**
     * What to run: `doitong-mock` (on the PATH) by default, or e.g. `['python', '-m', 'mockserver']`
     * or a container runtime's command line. A string is split at spaces.
     */
    command?: string | readonly string[];
    /** The server's options, e.g. `['--speed', 'instant', '--fixtures', './fixtures']`. */
    args?: readonly string[];
    /**
     * The port (default: a free one). It reaches the server as `DOITONG_MOCK_PORT`, with
     * `DOITONG_MOCK_HOST=127.0.0.1`; a container command must publish it itself.
     */
    port?: number;
    /** Environment variables for the server, over this process's own. */
    env?: Readonly<Record<string, string | undefined>>;
    cwd?: string;
    /** An admin token for the server (`DOITONG_MOCK_ADMIN_TOKEN`), which the handle then sends. */
    adminToken?: string;
    /** Seconds to wait for the server to answer `/healthz` (default 30). */
    timeout?: number;
}
/** Start a mock server and wait until it answers; its handle has `stop()`. */
export declare function start(options?: StartOptions): Promise<DoitongMockServer>;
/** A mock server this process started: a handle on it, and `stop()`. */
export declare class DoitongMockServer extends DoitongMock {
    #private;
    /** The server's process id (and its process group's). */
    get pid(): number;
    /** What the server printed lately (its last 16 KiB). */
    output(): string;
    /** End the server and everything it started: SIGTERM, then SIGKILL after `graceMs` (10 s). */
    stop(graceMs?: number): Promise<void>;
}
