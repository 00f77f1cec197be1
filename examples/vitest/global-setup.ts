import { start } from 'doitong-mock';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    doitongMockUrl: string;
  }
}

// One mock for the run: the one at DOITONG_MOCK_URL if it is set (docker-compose), else one
// started here and stopped at the end. Each test gets an account with a clock of its own on it.
export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  if (process.env.DOITONG_MOCK_URL) {
    project.provide('doitongMockUrl', process.env.DOITONG_MOCK_URL);
    return undefined;
  }
  const server = await start();
  project.provide('doitongMockUrl', server.baseUrl);
  return () => server.stop();
}
