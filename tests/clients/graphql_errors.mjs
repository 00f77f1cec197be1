// Runs one mutation through Apollo Client and urql against the mock and prints, for each, what
// the application sees of the error: its kind, extensions.code and the other extensions.
// Usage: node graphql_errors.mjs URL KEY INPUT_JSON
import { ApolloClient, InMemoryCache, HttpLink, gql, CombinedGraphQLErrors } from '@apollo/client';
import { Client, fetchExchange } from '@urql/core';

const [url, key, inputJson] = process.argv.slice(2);
const input = JSON.parse(inputJson);
const MUTATION = `mutation GenerateAvatar($input: AvatarGenerationInput!) {
  generateAvatar(input: $input) { id status }
}`;
const headers = { Authorization: `Bearer ${key}` };

function describe(errors) {
  const [first] = errors;
  const { code, ...rest } = first.extensions;
  return { code, extensions: rest, message: first.message };
}

async function apollo() {
  const client = new ApolloClient({ link: new HttpLink({ uri: url, headers }), cache: new InMemoryCache() });
  try {
    const result = await client.mutate({ mutation: gql(MUTATION), variables: { input } });
    return { kind: 'data', data: result.data };
  } catch (error) {
    if (CombinedGraphQLErrors.is(error)) return { kind: 'graphql', ...describe(error.errors) };
    return { kind: 'transport', message: String(error) };
  }
}

async function urql() {
  const client = new Client({ url, exchanges: [fetchExchange], fetchOptions: { headers } });
  const result = await client.mutation(MUTATION, { input }).toPromise();
  if (!result.error) return { kind: 'data', data: result.data };
  if (result.error.graphQLErrors.length) return { kind: 'graphql', ...describe(result.error.graphQLErrors) };
  return { kind: 'transport', message: String(result.error.networkError) };
}

console.log(JSON.stringify({ apollo: await apollo(), urql: await urql() }));
