// Reads the focus of two Tasks, a ServiceRequest and an Observation that share the FHIR id,
// through Apollo Client 4's normalized InMemoryCache from the GraphQL endpoint named on the
// command line; prints the answer, the same query read back from the cache, and the cache.
import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';

const [url] = process.argv.slice(2);
if (!url) {
  console.error('usage: node apollo_identity.mjs <graphql url>');
  process.exit(2);
}

const FOCI = gql`
  query Foci {
    order: task(id: "t-order") {
      id
      focus { id resourceType ... on ServiceRequest { status intent } }
    }
    result: task(id: "t-result") {
      id
      focus { id resourceType ... on Observation { status effectiveDateTime } }
    }
  }
`;

const client = new ApolloClient({ cache: new InMemoryCache(), link: new HttpLink({ uri: url }) });
const { data } = await client.query({ query: FOCI });
const cached = client.readQuery({ query: FOCI });
process.stdout.write(JSON.stringify({ data, cached, cache: client.cache.extract() }) + '\n');
