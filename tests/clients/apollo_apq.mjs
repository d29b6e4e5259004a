// Runs one query twice through Apollo Client 4 with its persisted-queries link, set up as the
// README shows (hashed queries over GET), against the GraphQL endpoint named on the command
// line; prints both answers and every request the client sent (method, URL, body) as JSON.
import { createHash } from 'node:crypto';
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';

const [url, query] = process.argv.slice(2);
if (!url || !query) {
  console.error('usage: node apollo_apq.mjs <graphql url> <query>');
  process.exit(2);
}

const requests = [];
async function recordingFetch(input, init) {
  const body = typeof init?.body === 'string' ? JSON.parse(init.body) : null;
  requests.push({ method: init?.method ?? 'GET', url: String(input), body });
  return fetch(input, init);
}

const sha256 = (text) => createHash('sha256').update(text).digest('hex');
const client = new ApolloClient({
  cache: new InMemoryCache(),
  link: new PersistedQueryLink({ sha256, useGETForHashedQueries: true }).concat(
    new HttpLink({ uri: url, fetch: recordingFetch }),
  ),
});

const answers = [];
for (let i = 0; i < 2; i++) {
  const result = await client.query({ query: gql(query), fetchPolicy: 'network-only' });
  answers.push({ data: result.data ?? null, error: result.error ? String(result.error) : null });
}
process.stdout.write(JSON.stringify({ answers, requests }) + '\n');
