/**
 * Webhook signatures, checked the way the mock makes them, with no dependency and no await:
 * SHA-256 and HMAC are written out here, so the same call works in Node (18 has no global
 * WebCrypto) and in browsers, synchronously, like the Python `verify_signature`.
 */
/** Headers as a receiver has them: a `Headers`, Node's `req.headers`, or a plain object. */
export type HeaderSource = {
    get(name: string): string | null;
} | Readonly<Record<string, string | readonly string[] | undefined>>;
/** A body exactly as received, before any JSON parsing. */
export type RawBody = string | Uint8Array | ArrayBuffer;
/**
 * Whether a webhook delivery is signed with `secret` (the account's `webhookSecret`).
 *
 * `header` is either the value of `X-Doitong-Signature`, or all the request's headers: then every
 * signature they carry must hold (`X-Doitong-Signature`, and for an account with
 * `standardWebhooks` the Standard Webhooks `webhook-signature` over `webhook-id`,
 * `webhook-timestamp` and the body), and at least one must be there. Timestamps are not judged
 * here: refuse old ones in your receiver if it should.
 */
export declare function verifySignature(secret: string, body: RawBody, header: string | HeaderSource | null | undefined): boolean;
/** The value of `X-Doitong-Signature` for a body: `sha256=` and the hex HMAC-SHA256 keyed with the secret. */
export declare function sign(secret: string, body: RawBody): string;
/** The value of Standard Webhooks' `webhook-signature` (`v1,<base64>` over `id.timestamp.body`). */
export declare function signStandard(secret: string, id: string, timestamp: number | string, body: RawBody): string;
/** SHA-256 of `data`. */
export declare function sha256(data: Uint8Array): Uint8Array;
/** HMAC-SHA256 of `data` keyed with `key`. */
export declare function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array;
