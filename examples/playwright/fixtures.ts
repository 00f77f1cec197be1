import { test as base } from '@playwright/test';
import { type Account, connect, type DoitongMock } from 'doitong-mock';

export { expect } from '@playwright/test';

// `mock`: the control API, one per worker. `account`: this test's own throw-away account, on a
// clock of its own, deleted when the test ends.
export const test = base.extend<{ account: Account }, { mock: DoitongMock }>({
  mock: [async ({}, use) => {
    const mock = connect(process.env.DOITONG_MOCK_URL!);
    await use(mock);
    await mock.close();
  }, { scope: 'worker' }],
  account: async ({ mock }, use) => {
    const account = await mock.newAccount();
    await use(account);
    await account.delete();
  },
});
