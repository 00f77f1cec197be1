// A page's code (DOM types, no Node types) using the package: its declarations need nothing of Node.
import { connect, verifySignature } from 'doitong-mock';

export async function fromAPage(): Promise<string> {
  const mock = connect(location.origin);
  const account = await mock.newAccount();
  await account.advance(60);
  void verifySignature(account.webhookSecret, 'body', new Headers());
  return account.key;
}
