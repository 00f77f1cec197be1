/** `GET /_mock/events` read as an async iterator of typed events. */

import type { EventData, EventKind } from './api.js';
import { ControlApiError } from './errors.js';
import { type Transport, unreachable } from './transport.js';

/** One server-sent event: its `id`, its kind and its data. */
export type MockEvent<K extends keyof EventData = keyof EventData> = {
  [Kind in K]: { id: number; kind: Kind; data: EventData[Kind] };
}[K];

export interface EventsOptions<K extends EventKind> {
  /** Only these kinds (and `hello` and `lagged`, which always come); all of them without it. */
  kinds?: readonly K[];
  /** Ends the iteration when aborted. */
  signal?: AbortSignal;
}

/**
 * The events from now on, until the caller stops (a `break`, `signal`) or `closed` fires (the
 * handle closed), or the server ends the stream (it shuts down). The connection ends with them.
 */
export async function* readEvents<K extends EventKind>(
  transport: Transport,
  options: EventsOptions<K>,
  closed: AbortSignal,
): AsyncGenerator<MockEvent<K | 'hello' | 'lagged'>, void, undefined> {
  const signals = [closed, options.signal].filter((signal) => signal !== undefined);
  if (signals.some((signal) => signal.aborted)) return;
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  for (const signal of signals) signal.addEventListener('abort', onAbort, { once: true });
  try {
    let response: Response;
    const path = '/_mock/events';
    const query = { kinds: options.kinds?.length ? options.kinds.join(',') : undefined };
    try {
      response = await fetch(transport.url(path, query), {
        headers: transport.headers({ Accept: 'text/event-stream' }),
        signal: stop.signal,
      });
    } catch (error) {
      if (stop.signal.aborted) return;
      throw unreachable(transport.baseUrl, `GET ${path}`, error);
    }
    if (!response.ok || response.body === null) {
      throw ControlApiError.fromAnswer('GET', path, response.status, await response.text());
    }
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    const parser = new EventParser();
    try {
      for (;;) {
        let chunk: ReadableStreamReadResult<string>;
        try {
          chunk = await reader.read();
        } catch (error) {
          if (stop.signal.aborted) return;
          throw unreachable(transport.baseUrl, `GET ${path} to the end`, error);
        }
        if (chunk.done) return;
        for (const event of parser.push(chunk.value)) yield event as MockEvent<K | 'hello' | 'lagged'>;
      }
    } finally {
      stop.abort();
      reader.releaseLock();
    }
  } finally {
    stop.abort();
    for (const signal of signals) signal.removeEventListener('abort', onAbort);
  }
}

/** Server-sent events from text as it arrives (https://html.spec.whatwg.org/#event-stream-interpretation). */
class EventParser {
  #buffer = '';
  #id = '';
  #kind = '';
  #data: string[] = [];

  push(text: string): MockEvent[] {
    this.#buffer += text;
    const lines = this.#buffer.split(/\r?\n/);
    this.#buffer = lines.pop() ?? '';
    const events: MockEvent[] = [];
    for (const line of lines) {
      if (line === '') {
        if (this.#data.length > 0) {
          events.push({ id: Number(this.#id), kind: this.#kind || 'message', data: JSON.parse(this.#data.join('\n')) } as MockEvent);
        }
        this.#kind = '';
        this.#data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') this.#data.push(value);
      else if (field === 'event') this.#kind = value;
      else if (field === 'id') this.#id = value;
    }
    return events;
  }
}
