import type { IncomingMessage, ServerResponse } from 'node:http';
import { PageAssets, servePage } from '../http/pages';
import { EXAMPLES } from './examples';

export const EXPLORER_PREFIX = '/explorer/';

/**
 * GraphiQL served entirely from installed packages (http/pages.ts): the UMD builds of React 18, GraphiQL 3 and
 * the graphql-ws client, and the bootstrap below.
 */
const assets = new PageAssets(EXPLORER_PREFIX, {
  'react.js': { pkg: 'react', file: 'umd/react.production.min.js', type: 'text/javascript' },
  'react-dom.js': { pkg: 'react-dom', file: 'umd/react-dom.production.min.js', type: 'text/javascript' },
  'graphiql.js': { pkg: 'graphiql', file: 'graphiql.min.js', type: 'text/javascript' },
  'graphiql.css': { pkg: 'graphiql', file: 'graphiql.min.css', type: 'text/css' },
  'graphql-ws.js': { pkg: 'graphql-ws', file: 'umd/graphql-ws.min.js', type: 'text/javascript' },
  'explorer.js': { text: () => bootstrap(), type: 'text/javascript' },
});

function bootstrap(): string {
  const tabs = EXAMPLES.map((e) => ({ query: e.query, variables: e.variables ? JSON.stringify(e.variables, null, 2) : undefined }));
  return `'use strict';
(function () {
  var wsUrl = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/graphql';
  // An API key typed into the Headers tab ({"Authorization": "Bearer <key>"}) goes with HTTP requests as
  // headers and with subscriptions as graphql-ws connectionParams (browsers cannot set WebSocket headers):
  // one socket per distinct set of headers.
  var sockets = {};
  function fetcher(params, opts) {
    var headers = (opts && opts.headers) || {};
    var key = JSON.stringify(headers);
    if (!sockets[key]) sockets[key] = graphqlWs.createClient({ url: wsUrl, lazy: true, connectionParams: headers });
    return GraphiQL.createFetcher({ url: location.origin + '/graphql', headers: headers, wsClient: sockets[key] })(params, opts);
  }
  ReactDOM.createRoot(document.getElementById('graphiql')).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultTabs: ${JSON.stringify(tabs)},
      defaultEditorToolsVisibility: true,
      shouldPersistHeaders: false,
    }),
  );
  // GraphiQL wraps only its result pane; a long argument line in the others would be clipped at the edge.
  // Its editors are CodeMirror 5 instances, created as the page renders, so each is switched on as it appears.
  var root = document.getElementById('graphiql');
  var wrapAll = function () {
    root.querySelectorAll('.CodeMirror:not(.CodeMirror-wrap)').forEach(function (el) {
      if (el.CodeMirror) el.CodeMirror.setOption('lineWrapping', true);
    });
  };
  new MutationObserver(wrapAll).observe(root, { childList: true, subtree: true });
})();
`;
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>gapwatch · GraphQL explorer</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="${EXPLORER_PREFIX}graphiql.css">
  <style>html, body, #graphiql { height: 100%; margin: 0; }</style>
</head>
<body>
  <div id="graphiql">Loading the explorer…</div>
  <script src="${EXPLORER_PREFIX}react.js"></script>
  <script src="${EXPLORER_PREFIX}react-dom.js"></script>
  <script src="${EXPLORER_PREFIX}graphql-ws.js"></script>
  <script src="${EXPLORER_PREFIX}graphiql.js"></script>
  <script src="${EXPLORER_PREFIX}explorer.js"></script>
</body>
</html>
`;

/** Browsers ask for HTML; GraphQL clients doing GET ask for JSON and go on to the GraphQL handler. */
export function wantsExplorer(req: IncomingMessage): boolean {
  return req.method === 'GET' && (req.headers.accept ?? '').includes('text/html');
}

export function serveExplorerPage(req: IncomingMessage, res: ServerResponse): void {
  servePage(req, res, PAGE);
}

/** Serves /explorer/<asset>; answers false when the path is not one of them. */
export function serveExplorerAsset(req: IncomingMessage, res: ServerResponse, pathname: string): boolean {
  return assets.serve(req, res, pathname);
}
