import { Client, cacheExchange, fetchExchange, gql } from '@urql/core';

const url = process.env.GRAPHQL_URL ?? 'http://localhost:8000/graphql';
const token = process.env.GRAPHQL_TOKEN; // a bearer token, when the gateway requires one

const client = new Client({
  url,
  exchanges: [cacheExchange, fetchExchange],
  fetchOptions: () => (token ? { headers: { authorization: `Bearer ${token}` } } : {}),
});

// Every FHIR resource type is a GraphQL type of its own: ask for a focus's fields by type.
const TASK = gql`
  query Task($id: ID!) {
    task(id: $id) {
      id status versionId
      note { text }
      focus {
        __typename id
        ... on ServiceRequest { status intent code { text } }
        ... on DiagnosticReport { status code { text } issued }
        ... on Questionnaire { title }
      }
    }
  }
`;
const ADD_NOTE = gql`
  mutation AddNote($id: ID!, $text: String!) {
    addTaskNote(id: $id, text: $text) { id versionId note { text } }
  }
`;

const id = 'demo-task-0001'; // a Task of the demo clinic
const before = await client.query(TASK, { id }).toPromise();
if (before.error) throw before.error;

const added = await client.mutation(ADD_NOTE, { id, text: 'Called the patient.' }).toPromise();
if (added.error) throw added.error;

// urql's document cache drops every cached result that holds a Task after a mutation that
// returns one, so this query goes to the network and sees the note.
const after = await client.query(TASK, { id }).toPromise();

// A refused argument: data is null, and error.graphQLErrors[0].extensions says why.
const refused = await client.query(gql`{ tasks(first: 500) { totalCount } }`, {}).toPromise();
const { code, argument } = refused.error.graphQLErrors[0].extensions;

console.log(JSON.stringify({
  focus: before.data.task.focus,
  notesBefore: before.data.task.note.length,
  notesAfter: after.data.task.note.map((n) => n.text),
  versions: [before.data.task.versionId, after.data.task.versionId],
  refused: { code, argument },
}));
