/**
 * What callers pass to the handles' methods: the control API's bodies and queries, shaped for a
 * test (a value or several, dates, booleans, where the wire takes comma-separated text and 1 or
 * 0). The filters are the operations' query parameters as the generated types say them, with
 * only those shapes changed, so a parameter the server renames or drops goes from here too.
 */
/** The control API's body of a fault: its effect, and what it matches (`key`: one key's requests only). */
export function faultBody(options, key) {
    const { surface, operation, path, method, ...effect } = options;
    const match = Object.fromEntries(Object.entries({ key, surface, operation, path, method }).filter(([, value]) => value !== undefined));
    return { ...effect, match };
}
