/** What callers pass to the handles' methods: the control API's bodies, shaped for a test. */
/** The control API's body of a fault: its effect, and what it matches (`key`: one key's requests only). */
export function faultBody(options, key) {
    const { surface, operation, path, method, ...effect } = options;
    const match = Object.fromEntries(Object.entries({ key, surface, operation, path, method }).filter(([, value]) => value !== undefined));
    return { ...effect, match };
}
