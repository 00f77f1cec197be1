/** `GET /_mock/events` read as an async iterator of typed events. */
import type { EventData, EventKind } from './api.js';
import { type Transport } from './transport.js';
/** One server-sent event: its `id`, its kind and its data. */
export type MockEvent<K extends keyof EventData = keyof EventData> = {
    [Kind in K]: {
        id: number;
        kind: Kind;
        data: EventData[Kind];
    };
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
export declare function readEvents<K extends EventKind>(transport: Transport, options: EventsOptions<K>, closed: AbortSignal): AsyncGenerator<MockEvent<K | 'hello' | 'lagged'>, void, undefined>;
