// Subscribes through Apollo Client 4, set up as the README shows (HttpLink: multipart
// subscriptions over HTTP, no WebSocket), to the GraphQL endpoint named on the command line;
// prints one JSON line per event (data or error) and exits after `count` of them.
// usage: node apollo_subscribe.mjs <graphql url> <subscription> [count]
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';

const [url, query, count = '1'] = process.argv.slice(2);
const print = (line) => process.stdout.write(JSON.stringify(line) + '\n');
const client = new ApolloClient({ cache: new InMemoryCache(), link: new HttpLink({ uri: url }) });

let received = 0;
client.subscribe({ query: gql(query) }).subscribe({
  next: (result) => {
    print({ data: result.data ?? null, error: result.error ? String(result.error) : null });
    received += 1;
    if (received >= Number(count)) process.exit(0);
  },
  error: (error) => {
    print({ error: String(error) });
    process.exit(1);
  },
});
