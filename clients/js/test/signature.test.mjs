// verifySignature(): X-Doitong-Signature and the Standard Webhooks headers, checked against
// Node's own crypto and against what the mock really sends.
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { test } from 'node:test';

import { sign, signStandard, verifySignature } from 'doitong-mock';

import { sharedMock, submit, webhookReceiver } from './helpers.mjs';

const mock = await sharedMock();

test("sign() is node:crypto's HMAC-SHA256 for bodies and keys of every length around the block size", () => {
  const lengths = [0, 1, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 1000, 70_000];
  for (const bodyLength of lengths) {
    for (const keyLength of [0, 1, 32, 64, 65, 200]) {
      const body = randomBytes(bodyLength);
      const secret = randomBytes(keyLength).toString('hex').slice(0, keyLength);
      const expected = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
      assert.equal(sign(secret, body), expected, `body ${bodyLength} bytes, key ${keyLength}`);
    }
  }
  const text = 'Xin chào, 你好, 👋';
  assert.equal(sign('whsec_k', text), `sha256=${createHmac('sha256', 'whsec_k').update(text, 'utf8').digest('hex')}`);
  assert.equal(sign('k', new Uint8Array([1, 2, 3]).buffer), `sha256=${createHmac('sha256', 'k').update(Buffer.from([1, 2, 3])).digest('hex')}`);
});

test('a signature header is read as the mock writes it, in any case and spacing; anything else is refused', () => {
  const body = '{"id":"abc"}';
  const header = sign('whsec_s', body);
  assert.equal(verifySignature('whsec_s', body, header), true);
  assert.equal(verifySignature('whsec_s', body, ` ${header.toUpperCase().replace('SHA256=', 'sha256=')} `), true);
  assert.equal(verifySignature('whsec_s', body, { 'X-Doitong-Signature': header }), true);
  assert.equal(verifySignature('whsec_s', body, { 'x-doitong-signature': [header] }), true);
  for (const wrong of [null, undefined, '', 'sha256=', header.slice(0, -1), `${header}0`, header.replace('sha256', 'sha1'), {}]) {
    assert.equal(verifySignature('whsec_s', body, wrong), false, String(wrong));
  }
  assert.equal(verifySignature('whsec_s', `${body} `, header), false);
});

test("signStandard() is the Standard Webhooks signature, keyed with the secret's base64 key", () => {
  const key = randomBytes(24);
  const secret = `whsec_${key.toString('base64')}`;
  const body = '{"id":"abc"}';
  const expected = `v1,${createHmac('sha256', key).update(`msg_1.1700000000.${body}`).digest('base64')}`;
  assert.equal(signStandard(secret, 'msg_1', 1700000000, body), expected);
  const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': '1700000000', 'webhook-signature': `v1,bogus ${expected}` };
  assert.equal(verifySignature(secret, body, headers), true);  // one of several signatures holds
  assert.equal(verifySignature(secret, body, { ...headers, 'webhook-id': 'msg_2' }), false);
  assert.equal(verifySignature(secret, body, { ...headers, 'webhook-timestamp': '1700000001' }), false);
  assert.equal(verifySignature(secret, body, { 'webhook-signature': expected }), false);  // no id, no timestamp
});

// Secrets the mock makes, the spec's own form, and the odd ones a test may give: the key is
// derived exactly as the mock derives it, or the Standard Webhooks signature would not hold.
const SECRETS = [
  undefined,
  `whsec_${Buffer.from('a key of twenty-four b!!').toString('base64')}`,
  'plain-secret-no-prefix',
  'whsec_abcde',
  'whsec_ab=cd-ef_gh',
  'whsec_sécret',
];

test('every delivery of a Standard Webhooks account verifies by both its signatures, whatever its secret', async () => {
  const receiver = await webhookReceiver();
  for (const [i, webhookSecret] of SECRETS.entries()) {
    const account = await mock.newAccount({ standardWebhooks: true, ...(webhookSecret ? { webhookSecret } : {}) });
    await submit(mock, account, { webhookUrl: receiver.url });
    await account.advance(600);
    const { headers, body } = receiver.deliveries[i];
    assert.ok(headers['webhook-signature'].startsWith('v1,'), JSON.stringify(headers));
    assert.equal(verifySignature(account.webhookSecret, body, headers), true, `secret ${account.webhookSecret}`);
    const { 'x-doitong-signature': _, ...standardOnly } = headers;
    assert.equal(verifySignature(account.webhookSecret, body, standardOnly), true, `secret ${account.webhookSecret}`);
    const tampered = { ...headers, 'webhook-signature': signStandard(account.webhookSecret, 'other-id', headers['webhook-timestamp'], body) };
    assert.equal(verifySignature(account.webhookSecret, body, tampered), false);
  }
});
