/** `GET /_mock/events` read as an async iterator of typed events. */
import { ControlApiError } from './errors.js';
import { unreachable } from './transport.js';
/**
 * The events from now on, until the caller stops (a `break`, `signal`) or `closed` fires (the
 * handle closed), or the server ends the stream (it shuts down). The connection ends with them.
 */
export async function* readEvents(transport, options, closed) {
    const signals = [closed, options.signal].filter((signal) => signal !== undefined);
    if (signals.some((signal) => signal.aborted))
        return;
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    for (const signal of signals)
        signal.addEventListener('abort', onAbort, { once: true });
    try {
        let response;
        const path = '/_mock/events';
        const query = { kinds: options.kinds?.length ? options.kinds.join(',') : undefined };
        try {
            response = await fetch(transport.url(path, query), {
                headers: transport.headers({ Accept: 'text/event-stream' }),
                signal: stop.signal,
            });
        }
        catch (error) {
            if (stop.signal.aborted)
                return;
            throw unreachable(transport.baseUrl, `GET ${path}`, error);
        }
        if (!response.ok || response.body === null) {
            throw ControlApiError.fromAnswer('GET', path, response.status, await response.text());
        }
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
        const parser = new EventParser();
        try {
            for (;;) {
                let chunk;
                try {
                    chunk = await reader.read();
                }
                catch (error) {
                    if (stop.signal.aborted)
                        return;
                    throw unreachable(transport.baseUrl, `GET ${path} to the end`, error);
                }
                if (chunk.done)
                    return;
                for (const event of parser.push(chunk.value))
                    yield event;
            }
        }
        finally {
            stop.abort();
            reader.releaseLock();
        }
    }
    finally {
        stop.abort();
        for (const signal of signals)
            signal.removeEventListener('abort', onAbort);
    }
}
/** Server-sent events from text as it arrives (https://html.spec.whatwg.org/#event-stream-interpretation). */
class EventParser {
    #buffer = '';
    #id = '';
    #kind = '';
    #data = [];
    push(text) {
        this.#buffer += text;
        const lines = this.#buffer.split(/\r?\n/);
        this.#buffer = lines.pop() ?? '';
        const events = [];
        for (const line of lines) {
            if (line === '') {
                if (this.#data.length > 0) {
                    events.push({ id: Number(this.#id), kind: this.#kind || 'message', data: JSON.parse(this.#data.join('\n')) });
                }
                this.#kind = '';
                this.#data = [];
                continue;
            }
            if (line.startsWith(':'))
                continue;
            const colon = line.indexOf(':');
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
            if (field === 'data')
                this.#data.push(value);
            else if (field === 'event')
                this.#kind = value;
            else if (field === 'id')
                this.#id = value;
        }
        return events;
    }
}
