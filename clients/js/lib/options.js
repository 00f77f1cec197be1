/**
 * What callers pass to the handles' methods: the control API's bodies and queries, shaped for a
 * test (arrays, dates and booleans where the wire takes comma-separated text and 1 or 0). These
 * are the package's own API: they stay when the wire types of api.ts are generated.
 */
/** The control API's body of a fault: its effect, and what it matches (`key`: one key's requests only). */
export function faultBody(options, key) {
    const { surface, operation, path, method, ...effect } = options;
    const match = Object.fromEntries(Object.entries({ key, surface, operation, path, method }).filter(([, value]) => value !== undefined));
    return { ...effect, match };
}
