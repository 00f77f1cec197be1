import { defineConfig } from '@playwright/test';

// CHROMIUM_PATH: a browser of the system's (Debian's /usr/bin/chromium, say) instead of the one
// `npx playwright install` downloads.
const executablePath = process.env.CHROMIUM_PATH;

export default defineConfig({
  testDir: './tests',
  globalSetup: './global-setup.ts',
  use: {
    launchOptions: executablePath ? { executablePath, args: ['--no-sandbox', '--disable-gpu'] } : {},
  },
});
