import { type Account, connect } from 'doitong-mock';
import { afterAll, afterEach, beforeEach, expect, inject, test } from 'vitest';

import { requestAvatar, videoOf } from '../src/avatars.js';

const mock = connect(inject('doitongMockUrl'));
let account: Account;

beforeEach(async () => {
  account = await mock.newAccount();  // Pro, 10,000 credits, a clock of its own
});
afterEach(() => account.delete());
afterAll(() => mock.close());

test('the video is there once the job has had its time', async () => {
  const id = await requestAvatar(mock.baseUrl, account.key, 'Hello from Vitest.');
  expect(await videoOf(mock.baseUrl, account.key, id)).toBeNull();
  await account.advance(600);  // returns once the job has completed
  expect(await videoOf(mock.baseUrl, account.key, id)).toMatch(/\/outputs\/.+\.mp4$/);
});

test('a failed job is an error', async () => {
  const id = await requestAvatar(mock.baseUrl, account.key, 'Hello.');
  await account.fail(id, 'FACE_NOT_DETECTED', 'No face found in the portrait');
  await expect(videoOf(mock.baseUrl, account.key, id)).rejects.toThrow('No face found in the portrait');
});

test("the API's errors reach the caller", async () => {
  await account.injectFault({ status: 503, operation: 'generateAvatar' });
  await expect(requestAvatar(mock.baseUrl, account.key, 'Hello.')).rejects.toMatchObject({ code: 'SERVICE_UNAVAILABLE' });
  await account.setCredits(0);
  await expect(requestAvatar(mock.baseUrl, account.key, 'Hello.')).rejects.toMatchObject({ code: 'INSUFFICIENT_CREDITS' });
});
