/**
 * `start()`: run a mock server for a test run (Node only), and make sure it ends with the run.
 *
 * The server runs in a process group of its own, so `stop()` ends it and everything it started
 * (a shell's child, a container runtime's helpers). If the runner exits or is interrupted
 * (SIGINT, SIGTERM, SIGHUP) before `stop()`, the group is ended then; only SIGKILL of the
 * runner itself cannot be caught.
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

import { StartError } from './errors.js';
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

const HOST = '127.0.0.1';
const DEFAULT_TIMEOUT_S = 30;
const STOP_GRACE_MS = 10_000;
const POLL_MS = 50;
const OUTPUT_KEPT = 16_384;
const TRIES_ON_PORT_CLASH = 3;
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
const PORT_TAKEN = /address already in use|EADDRINUSE|Errno 98/i;

/** Start a mock server and wait until it answers; its handle has `stop()`. */
export async function start(options: StartOptions = {}): Promise<DoitongMockServer> {
  for (let attempt = 1; ; attempt++) {
    const port = options.port ?? (await freePort());
    try {
      return await launch(options, port);
    } catch (error) {
      // Another process took the free port between our look and the server's bind: try another.
      const clash = error instanceof StartError && error.exitCode !== null && PORT_TAKEN.test(error.output);
      if (!clash || options.port !== undefined || attempt >= TRIES_ON_PORT_CLASH) throw error;
    }
  }
}

/** A mock server this process started: a handle on it, and `stop()`. */
export class DoitongMockServer extends DoitongMock {
  readonly #process: ServerProcess;
  readonly #onExit = (): void => this.#process.signal('SIGTERM');
  readonly #onSignal = (signal: NodeJS.Signals): void => {
    this.#process.signal('SIGTERM');
    this.#unlisten();
    // The last of our handlers: let the signal do what it would have done without them.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };

  /** @internal */
  constructor(baseUrl: string, adminToken: string | undefined, server: ServerProcess) {
    super(baseUrl, adminToken === undefined ? {} : { adminToken });
    this.#process = server;
    process.on('exit', this.#onExit);
    for (const signal of SIGNALS) process.on(signal, this.#onSignal);
  }

  /** The server's process id (and its process group's). */
  get pid(): number {
    return this.#process.pid;
  }

  /** What the server printed lately (its last 16 KiB). */
  output(): string {
    return this.#process.output();
  }

  /** End the server and everything it started: SIGTERM, then SIGKILL after `graceMs` (10 s). */
  async stop(graceMs = STOP_GRACE_MS): Promise<void> {
    this.endStreams();
    this.#unlisten();
    await this.#process.end(graceMs);
  }

  #unlisten(): void {
    process.off('exit', this.#onExit);
    for (const signal of SIGNALS) process.off(signal, this.#onSignal);
  }
}

/** The server's process and its group: its output, its exit, and the signals that end them. */
class ServerProcess {
  readonly pid: number;
  readonly #child: ChildProcess;
  readonly #output: string[] = [];
  readonly #exited: Promise<void>;
  readonly #closed: Promise<void>;
  #ended = false;
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  spawnError: NodeJS.ErrnoException | null = null;

  constructor(program: string, args: readonly string[], options: { cwd?: string | undefined; env: NodeJS.ProcessEnv }) {
    this.#child = spawn(program, args, {
      cwd: options.cwd,
      env: options.env,
      // A group of its own, so the signals reach everything the server starts.
      detached: process.platform !== 'win32',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.pid = this.#child.pid ?? 0;
    const keep = (chunk: Buffer): void => {
      this.#output.push(chunk.toString());
      while (this.#output.length > 1 && this.#output.reduce((n, s) => n + s.length, 0) > OUTPUT_KEPT) this.#output.shift();
    };
    this.#child.stdout?.on('data', keep);
    this.#child.stderr?.on('data', keep);
    // The server never keeps the runner alive: if a test forgets stop(), the exit handler ends it.
    this.#child.unref();
    for (const stream of [this.#child.stdout, this.#child.stderr]) (stream as { unref?: () => void } | null)?.unref?.();
    this.#exited = new Promise((resolve) => {
      this.#child.once('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        this.#ended = true;
        resolve();
      });
      this.#child.once('error', (error) => {
        this.spawnError = error;
        this.#ended = true;
        resolve();
      });
    });
    this.#closed = new Promise((resolve) => this.#child.once('close', () => resolve()));
  }

  get ended(): boolean {
    return this.#ended;
  }

  get exited(): Promise<void> {
    return this.#exited;
  }

  output(): string {
    return this.#output.join('');
  }

  /** The last lines of output, once the pipes have given what they still hold (a second at most). */
  async lastOutput(lines = 40): Promise<string> {
    await within(this.#closed, 1000);
    return this.output().trimEnd().split('\n').slice(-lines).join('\n');
  }

  signal(signal: NodeJS.Signals): void {
    try {
      if (process.platform === 'win32') this.#child.kill(signal);
      else process.kill(-this.pid, signal);
    } catch {
      // the group is gone already
    }
  }

  /** SIGTERM to the group; SIGKILL to whatever of it is left after `graceMs`. */
  async end(graceMs: number): Promise<void> {
    if (this.spawnError !== null) return;
    const deadline = Date.now() + graceMs;
    this.signal('SIGTERM');
    await within(this.#exited, graceMs);
    // The group may outlive its leader for a moment (a shell's child shutting down).
    while (this.#groupAlive() && Date.now() < deadline) await delay(POLL_MS);
    this.signal('SIGKILL');
    await this.#exited;
  }

  #groupAlive(): boolean {
    if (process.platform === 'win32') return !this.#ended;
    try {
      process.kill(-this.pid, 0);
      return true;
    } catch {
      return false;
    }
  }
}

async function launch(options: StartOptions, port: number): Promise<DoitongMockServer> {
  const [program, ...commandArgs] = commandLine(options.command);
  const args = [...commandArgs, ...(options.args ?? [])];
  const env: NodeJS.ProcessEnv = { ...process.env, DOITONG_MOCK_HOST: HOST, ...options.env, DOITONG_MOCK_PORT: String(port) };
  if (options.adminToken !== undefined) env['DOITONG_MOCK_ADMIN_TOKEN'] = options.adminToken;
  const shown = [program, ...args].join(' ');
  const server = new ServerProcess(program, args, { cwd: options.cwd, env });
  const baseUrl = `http://${HOST}:${port}`;
  const timeout = options.timeout ?? DEFAULT_TIMEOUT_S;
  const deadline = Date.now() + timeout * 1000;
  while (!server.ended) {
    if (await healthy(baseUrl)) return new DoitongMockServer(baseUrl, options.adminToken, server);
    if (Date.now() >= deadline) {
      await server.end(2000);
      throw new StartError(`${shown} did not answer ${baseUrl}/healthz within ${timeout} s`, server.exitCode, await server.lastOutput());
    }
    await Promise.race([delay(POLL_MS), server.exited]);
  }
  const spawnError = server.spawnError;
  if (spawnError !== null) {
    throw new StartError(spawnError.code === 'ENOENT'
      ? `could not run ${program}: it is not on the PATH (install the Python package, pip install doitong-mock, ` +
        "or give start() a command such as ['python', '-m', 'mockserver'])"
      : `could not run ${shown}: ${spawnError.message}`, null, '');
  }
  server.signal('SIGTERM');  // whatever it started goes with it
  const how = server.exitSignal !== null ? `was ended by ${server.exitSignal}` : `exited with code ${server.exitCode}`;
  throw new StartError(`${shown} ${how} before it answered ${baseUrl}/healthz`, server.exitCode, await server.lastOutput());
}

function commandLine(command: StartOptions['command']): [string, ...string[]] {
  const parts = command === undefined ? ['doitong-mock'] : typeof command === 'string' ? command.split(/\s+/).filter(Boolean) : [...command];
  const [program, ...args] = parts;
  if (program === undefined) throw new TypeError('start(): command is empty');
  return [program, ...args];
}

async function healthy(baseUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(1000) });
    await response.arrayBuffer();
    return response.ok;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, HOST, () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

/** Whether `promise` settles within `ms` (the timer does not outlive it). */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timedOut = new Promise<false>((resolve) => { timer = setTimeout(() => resolve(false), ms); });
  try {
    return await Promise.race([promise.then(() => true), timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
