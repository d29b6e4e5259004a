const url = process.env.GRAPHQL_URL ?? 'http://localhost:8000/graphql';
const token = process.env.GRAPHQL_TOKEN; // a bearer token, when the gateway requires one

async function graphql(query, variables = {}) {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  // Every answer is JSON with `data` and/or `errors`, also a 4xx for a request refused before
  // it ran (malformed, invalid against the schema, too large, not authenticated).
  return { status: response.status, ...(await response.json()) };
}

const open = await graphql(`
  query Unassigned($first: Int!) {
    tasks(filter: { status: [READY], unassigned: true }, sort: AUTHORED_ON_ASC, first: $first) {
      totalCount
      nodes { id priority code { text } }
    }
  }
`, { first: 3 });
const [task] = open.data.tasks.nodes;

const CLAIM = `
  mutation Claim($id: ID!, $who: String!) {
    claimTask(id: $id, owner: { reference: $who }) { id owner { id } }
  }
`;
const claimed = await graphql(CLAIM, { id: task.id, who: 'Practitioner/demo-prac-01' });
// Someone else was a moment too late: the Task has an owner now.
const late = await graphql(CLAIM, { id: task.id, who: 'Practitioner/demo-prac-02' });
const [{ extensions }] = late.errors;

// A document the schema does not allow never runs: 400 with GRAPHQL_VALIDATION_FAILED.
const invalid = await graphql('{ tasks { nope } }');

console.log(JSON.stringify({
  open: open.data.tasks.totalCount,
  claimed: claimed.data.claimTask,
  late: { status: late.status, code: extensions.code, currentOwner: extensions.currentOwner },
  invalid: { status: invalid.status, code: invalid.errors[0].extensions.code },
}));
