// Subscribes with the `graphql-sse` client (distinct connections mode) to the GraphQL endpoint
// named on the command line; prints one JSON line per payload and exits after `count`.
// usage: node subscribe_sse.mjs <graphql url> <subscription> [count]
import { createClient } from 'graphql-sse';

const [url, query, count = '1'] = process.argv.slice(2);
const print = (line) => process.stdout.write(JSON.stringify(line) + '\n');
const client = createClient({ url, retryAttempts: 0 });

let received = 0;
client.subscribe(
  { query },
  {
    next: (payload) => {
      print({ payload });
      received += 1;
      if (received >= Number(count)) process.exit(0);
    },
    error: (error) => {
      print({ error: String(error?.message ?? error) });
      process.exit(1);
    },
    complete: () => print({ complete: true }),
  },
);
