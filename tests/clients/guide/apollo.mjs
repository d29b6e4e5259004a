import { ApolloClient, HttpLink, InMemoryCache, gql } from '@apollo/client';
import { CombinedGraphQLErrors } from '@apollo/client/errors';
import { relayStylePagination } from '@apollo/client/utilities';

const url = process.env.GRAPHQL_URL ?? 'http://localhost:8000/graphql';
const token = process.env.GRAPHQL_TOKEN; // a bearer token, when the gateway requires one

const client = new ApolloClient({
  link: new HttpLink({ uri: url, headers: token ? { authorization: `Bearer ${token}` } : {} }),
  cache: new InMemoryCache({
    typePolicies: {
      // Pages of one filter and sort are merged into one list; `first`/`after` only page it.
      Query: { fields: { tasks: relayStylePagination(['filter', 'sort']) } },
    },
  }),
});

const READY_TASKS = gql`
  query ReadyTasks($after: String) {
    tasks(filter: { status: [READY] }, sort: AUTHORED_ON_ASC, first: 5, after: $after) {
      totalCount
      edges { cursor node { id status versionId description } }
      pageInfo { hasNextPage endCursor }
    }
  }
`;

// Page 1, then page 2 from page 1's endCursor: the cache appends it to the same list. The
// list in the cache already answers any `after`, so the next page is asked of the network.
const page1 = await client.query({ query: READY_TASKS });
const { endCursor } = page1.data.tasks.pageInfo;
await client.query({
  query: READY_TASKS, variables: { after: endCursor }, fetchPolicy: 'network-only',
});
const listed = client.readQuery({ query: READY_TASKS }).tasks.edges.map((e) => e.node);

const START = gql`
  mutation Start($id: ID!, $version: String) {
    updateTaskStatus(id: $id, status: IN_PROGRESS, expectedVersion: $version) {
      id status versionId
    }
  }
`;
const task = listed[0];
await client.mutate({
  mutation: START,
  variables: { id: task.id, version: task.versionId },
  // The answer updates Task:<id> in the cache by itself; taking it off the READY list is ours.
  update(cache, { data }) {
    cache.modify({
      fields: {
        tasks(existing, { readField }) {
          const edges = existing.edges.filter(
            (edge) => readField('id', edge.node) !== data.updateTaskStatus.id,
          );
          return { ...existing, edges };
        },
      },
    });
  },
});
const started = client.readFragment({
  id: client.cache.identify({ __typename: 'Task', id: task.id }),
  fragment: gql`fragment Started on Task { status versionId }`,
});
const stillListed = client.readQuery({ query: READY_TASKS }).tasks.edges.map((e) => e.node.id);

// Errors carry a stable code in extensions.code, with what a client needs to act on it.
let conflict;
try {
  // The version the list showed is stale now: nothing is written.
  await client.mutate({ mutation: START, variables: { id: task.id, version: task.versionId } });
} catch (error) {
  if (!CombinedGraphQLErrors.is(error)) throw error;
  const { code, currentVersion } = error.errors[0].extensions;
  conflict = { code, currentVersion };
}

console.log(JSON.stringify({
  listed: listed.map((t) => t.id), endCursor, started, stillListed, conflict,
}));
