import { start } from 'doitong-mock';

// One mock for the run: the one at DOITONG_MOCK_URL if it is set (docker-compose), else one
// started here and stopped at the end. Each test gets an account with a clock of its own on it.
export default async function globalSetup(): Promise<(() => Promise<void>) | undefined> {
  if (process.env.DOITONG_MOCK_URL) return undefined;
  const server = await start();
  process.env.DOITONG_MOCK_URL = server.baseUrl;
  return () => server.stop();
}
