// Runs the graphql-http audit suite (the GraphQL-over-HTTP spec's reference audits) against
// the GraphQL endpoint named on the command line; prints every result as one JSON array.
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <graphql url>');
  process.exit(2);
}

const results = [];
for (const audit of serverAudits({ url, fetchFn: fetch })) {
  const result = await audit.fn();
  results.push({ id: result.id, name: result.name, status: result.status, reason: result.reason ?? null });
}
process.stdout.write(JSON.stringify(results) + '\n');
