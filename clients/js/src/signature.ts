/**
 * Webhook signatures, checked the way the mock makes them, with no dependency and no await:
 * SHA-256 and HMAC are written out here, so the same call works in Node (18 has no global
 * WebCrypto) and in browsers, synchronously, like the Python `verify_signature`.
 */

/** Headers as a receiver has them: a `Headers`, Node's `req.headers`, or a plain object. */
export type HeaderSource =
  | { get(name: string): string | null }
  | Readonly<Record<string, string | readonly string[] | undefined>>;

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
export function verifySignature(secret: string, body: RawBody, header: string | HeaderSource | null | undefined): boolean {
  if (header === null || header === undefined) return false;
  const bytes = toBytes(body);
  if (typeof header === 'string') return doitongSignatureHolds(secret, bytes, header);
  const doitong = headerValue(header, 'x-doitong-signature');
  const standard = headerValue(header, 'webhook-signature');
  if (doitong === undefined && standard === undefined) return false;
  if (doitong !== undefined && !doitongSignatureHolds(secret, bytes, doitong)) return false;
  if (standard !== undefined) {
    const id = headerValue(header, 'webhook-id');
    const timestamp = headerValue(header, 'webhook-timestamp');
    if (id === undefined || timestamp === undefined) return false;
    if (!standardSignatureHolds(secret, id, timestamp, bytes, standard)) return false;
  }
  return true;
}

/** The value of `X-Doitong-Signature` for a body: `sha256=` and the hex HMAC-SHA256 keyed with the secret. */
export function sign(secret: string, body: RawBody): string {
  return `sha256=${hex(hmacSha256(utf8(secret), toBytes(body)))}`;
}

/** The value of Standard Webhooks' `webhook-signature` (`v1,<base64>` over `id.timestamp.body`). */
export function signStandard(secret: string, id: string, timestamp: number | string, body: RawBody): string {
  const signed = concat(utf8(`${id}.${timestamp}.`), toBytes(body));
  return `v1,${base64(hmacSha256(standardKey(secret), signed))}`;
}

function doitongSignatureHolds(secret: string, body: Uint8Array, given: string): boolean {
  return constantTimeEqual(sign(secret, body), given.trim().toLowerCase());
}

/** `webhook-signature` may carry several space-separated `v1,<base64>` values: one must hold. */
function standardSignatureHolds(secret: string, id: string, timestamp: string, body: Uint8Array, given: string): boolean {
  const expected = signStandard(secret, id, timestamp, body);
  return given.split(' ').filter(Boolean).some((candidate) => constantTimeEqual(expected, candidate));
}

/**
 * The signing key of a `whsec_<base64>` secret, decoded as the mock does (with Python's lenient
 * base64: characters outside the alphabet are skipped, a padded quad ends the input); a secret
 * that does not decode to a key signs with its own bytes.
 */
function standardKey(secret: string): Uint8Array {
  const key = /^[\x00-\x7f]*$/.test(secret) ? lenientBase64(`${secret.replace(/^whsec_/, '')}==`) : null;
  return key !== null && key.length > 0 ? key : utf8(secret);
}

function headerValue(headers: HeaderSource, name: string): string | undefined {
  if (typeof headers.get === 'function') {
    return (headers as { get(name: string): string | null }).get(name) ?? undefined;
  }
  for (const [key, value] of Object.entries(headers as Record<string, string | readonly string[] | undefined>)) {
    if (key.toLowerCase() !== name || value === undefined) continue;
    return typeof value === 'string' ? value : value[0];
  }
  return undefined;
}

function constantTimeEqual(expected: string, given: string): boolean {
  if (expected.length !== given.length) return false;
  let diff = 0;
  for (let i = 0; i < expected.length; i++) diff |= expected.charCodeAt(i) ^ given.charCodeAt(i);
  return diff === 0;
}

// ---- bytes ----------------------------------------------------------------------------------

function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

function toBytes(body: RawBody): Uint8Array {
  if (typeof body === 'string') return utf8(body);
  return body instanceof Uint8Array ? body : new Uint8Array(body);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

function base64(bytes: Uint8Array): string {
  let out = '';
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const chars = Math.min(bytes.length - i, 3) + 1;
    for (let j = 0; j < 4; j++) out += j < chars ? ALPHABET[(n >> (18 - 6 * j)) & 63] : '=';
  }
  return out;
}

/** Base64 decoded as Python's `base64.b64decode` does by default; null where it raises. */
function lenientBase64(text: string): Uint8Array | null {
  const out: number[] = [];
  let quad = 0;
  let pads = 0;
  let left = 0;
  for (const char of text) {
    if (char === '=') {
      if (quad >= 2 && quad + ++pads >= 4) return new Uint8Array(out);
      continue;
    }
    const value = ALPHABET.indexOf(char);
    if (value < 0) continue;
    pads = 0;
    if (quad === 1) out.push((left << 2) | (value >> 4));
    else if (quad === 2) out.push(((left & 0x0f) << 4) | (value >> 2));
    else if (quad === 3) out.push(((left & 0x03) << 6) | value);
    left = value;
    quad = (quad + 1) % 4;
  }
  return quad === 0 ? new Uint8Array(out) : null;
}

// ---- SHA-256 and HMAC (FIPS 180-4, RFC 2104) ------------------------------------------------

const K = new Uint32Array([
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]);

/** SHA-256 of `data`. */
export function sha256(data: Uint8Array): Uint8Array {
  const blocks = Math.ceil((data.length + 9) / 64);
  const padded = new Uint8Array(blocks * 64);
  padded.set(data);
  padded[data.length] = 0x80;
  const view = new DataView(padded.buffer);
  view.setUint32(padded.length - 8, Math.floor(data.length / 0x20000000));
  view.setUint32(padded.length - 4, (data.length * 8) >>> 0);
  const h = new Uint32Array([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]);
  const w = new Uint32Array(64);
  for (let offset = 0; offset < padded.length; offset += 64) {
    for (let t = 0; t < 16; t++) w[t] = view.getUint32(offset + t * 4);
    for (let t = 16; t < 64; t++) {
      const x = w[t - 15]!;
      const y = w[t - 2]!;
      const s0 = rotr(x, 7) ^ rotr(x, 18) ^ (x >>> 3);
      const s1 = rotr(y, 17) ^ rotr(y, 19) ^ (y >>> 10);
      w[t] = w[t - 16]! + s0 + w[t - 7]! + s1;
    }
    let a = h[0]!, b = h[1]!, c = h[2]!, d = h[3]!, e = h[4]!, f = h[5]!, g = h[6]!, k = h[7]!;
    for (let t = 0; t < 64; t++) {
      const t1 = (k + (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) + ((e & f) ^ (~e & g)) + K[t]! + w[t]!) >>> 0;
      const t2 = ((rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) >>> 0;
      k = g;
      g = f;
      f = e;
      e = (d + t1) >>> 0;
      d = c;
      c = b;
      b = a;
      a = (t1 + t2) >>> 0;
    }
    h[0] = h[0]! + a; h[1] = h[1]! + b; h[2] = h[2]! + c; h[3] = h[3]! + d;
    h[4] = h[4]! + e; h[5] = h[5]! + f; h[6] = h[6]! + g; h[7] = h[7]! + k;
  }
  const out = new Uint8Array(32);
  const outView = new DataView(out.buffer);
  h.forEach((word, i) => outView.setUint32(i * 4, word));
  return out;
}

function rotr(x: number, n: number): number {
  return (x >>> n) | (x << (32 - n));
}

/** HMAC-SHA256 of `data` keyed with `key`. */
export function hmacSha256(key: Uint8Array, data: Uint8Array): Uint8Array {
  const block = new Uint8Array(64);
  block.set(key.length > 64 ? sha256(key) : key);
  const inner = new Uint8Array(64 + data.length);
  const outer = new Uint8Array(64 + 32);
  for (let i = 0; i < 64; i++) {
    inner[i] = block[i]! ^ 0x36;
    outer[i] = block[i]! ^ 0x5c;
  }
  inner.set(data, 64);
  outer.set(sha256(inner), 64);
  return sha256(outer);
}
