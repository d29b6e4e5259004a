// Subscribes over graphql-transport-ws with the `graphql-ws` client, as the README shows, to the
// GraphQL WebSocket URL named on the command line; prints one JSON line per event: every
// payload received, an error, or the close code, and exits after `count` payloads or a close.
// usage: node subscribe_ws.mjs <ws url> <query> [connectionParams JSON] [count]
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, query, params = 'null', count = '1'] = process.argv.slice(2);
const print = (line) => process.stdout.write(JSON.stringify(line) + '\n');
const wanted = Number(count);
let received = 0;

const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: JSON.parse(params) ?? undefined,
  retryAttempts: 0,
  lazy: false,
  on: {
    connected: () => print({ connected: true }),
    closed: (event) => {
      print({ closed: event.code, reason: event.reason });
      process.exit(0);
    },
  },
});

client.subscribe(
  { query },
  {
    next: (payload) => {
      print({ payload });
      received += 1;
      if (received >= wanted) {
        client.dispose();
        process.exit(0);
      }
    },
    error: (error) => {
      const text = Array.isArray(error) ? error : { message: String(error?.message ?? error), code: error?.code };
      print({ error: text });
    },
    complete: () => print({ complete: true }),
  },
);
