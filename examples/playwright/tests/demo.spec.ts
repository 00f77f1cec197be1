import { expect, test } from '../fixtures.js';

test('a job submitted from the demo page plays once the test moves its clock', async ({ page, mock, account }) => {
  await page.goto(mock.baseUrl);
  await page.getByLabel('API key').fill(account.key);
  await page.getByLabel('Text').fill('Hello from a Playwright test.');
  await page.getByRole('button', { name: 'Generate' }).click();

  const job = page.locator('#jobs .job').first();
  await expect(job).toHaveAttribute('data-status', 'processing');
  // The account's clock stands still until the test moves it: the job waits, however slow the machine.
  const [waiting] = await account.jobs();
  expect(waiting?.status).toBe('processing');

  await account.advance(600);  // returns once the job has completed
  await expect(job).toHaveAttribute('data-status', 'completed');
  await expect(job.locator('.cost')).toContainText('charged');
  const player = page.locator('#player');
  await expect.poll(() => player.evaluate((video: HTMLVideoElement) => !video.paused && video.currentTime > 0.3),
    { timeout: 30_000 }).toBe(true);

  const [sent] = await account.requests({ operation: 'GenerateAvatar' });
  expect(sent?.jobId).toBe(waiting?.id);
});
