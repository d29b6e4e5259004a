// The gateway's GraphiQL page. Queries and mutations go to this page's own URL over HTTP;
// subscriptions to the same URL over WebSocket (graphql-transport-ws, the graphql-ws client
// inside GraphiQL's bundle), with the headers editor's headers as the connection's payload.
"use strict";

const DEFAULT_QUERY = `# GraphiQL for the FHIR Task gateway.
# Ctrl-Enter (or the run button) runs the query;
# the Docs button (top left) shows every type and field.
# With GATEWAY_AUTH_MODE=jwt, put your token in Headers:
#   {"Authorization": "Bearer eyJ..."}

query OpenTasks {
  tasks(first: 5) {
    totalCount
    nodes {
      id
      status
      priority
      description
      owner {
        resourceType
        id
      }
    }
  }
}
`;

const BEARER_HEADERS = `{
  "Authorization": "Bearer "
}`;

const url = window.location.origin + window.location.pathname;
const subscriptionUrl = url.replace(/^http/, "ws");
const bearer = document.body.dataset.bearer === "true";

const fetcher = GraphiQL.createFetcher({ url, subscriptionUrl });

const root = ReactDOM.createRoot(document.getElementById("graphiql"));
root.render(
  React.createElement(GraphiQL, {
    fetcher,
    defaultQuery: DEFAULT_QUERY,
    defaultHeaders: bearer ? BEARER_HEADERS : undefined,
    defaultEditorToolsVisibility: bearer ? "headers" : false,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: false,
  }),
);
