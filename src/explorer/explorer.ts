import type { IncomingMessage, ServerResponse } from 'node:http';
import { PageAssets, servePage, sourceFile } from '../http/pages';
import { SESSION_KEY_ASSET } from '../status/status';
import { EXAMPLES } from './examples';

export const EXPLORER_PREFIX = '/explorer/';

/**
 * GraphiQL served entirely from this machine (http/pages.ts): the UMD builds of React 18, GraphiQL 3 and the
 * graphql-ws client, the example tabs, and the page's own script (page/explorer.js, served as written).
 */
const assets = new PageAssets(EXPLORER_PREFIX, {
  'react.js': { pkg: 'react', file: 'umd/react.production.min.js', type: 'text/javascript' },
  'react-dom.js': { pkg: 'react-dom', file: 'umd/react-dom.production.min.js', type: 'text/javascript' },
  'graphiql.js': { pkg: 'graphiql', file: 'graphiql.min.js', type: 'text/javascript' },
  'graphiql.css': { pkg: 'graphiql', file: 'graphiql.min.css', type: 'text/css' },
  'graphql-ws.js': { pkg: 'graphql-ws', file: 'umd/graphql-ws.min.js', type: 'text/javascript' },
  'examples.js': { text: () => examples(), type: 'text/javascript' },
  'session-key.js': SESSION_KEY_ASSET,
  'explorer.js': { file: () => sourceFile('explorer', 'page', 'explorer.js'), type: 'text/javascript' },
});

/** The example tabs, as the page script (page/explorer.js) reads them. */
function examples(): string {
  const tabs = EXAMPLES.map((e) => ({ query: e.query, variables: e.variables ? JSON.stringify(e.variables, null, 2) : undefined }));
  return `globalThis.gapwatchExamples = ${JSON.stringify(tabs)};\n`;
}

const PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>gapwatch · GraphQL explorer</title>
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <link rel="icon" href="data:,">
  <link rel="stylesheet" href="${EXPLORER_PREFIX}graphiql.css">
  <style>
    html, body { height: 100%; margin: 0; }
    body { display: flex; flex-direction: column; font: 13px system-ui, -apple-system, "Segoe UI", sans-serif; }
    #graphiql { flex: 1; min-height: 0; }
    .gw-bar { display: flex; flex-wrap: wrap; gap: 6px 16px; align-items: center; padding: 6px 12px; border-bottom: 1px solid #d9dce1; background: #f7f8fa; }
    .gw-bar form, .gw-bar label { display: flex; gap: 6px; align-items: center; }
    .gw-bar input, .gw-bar select, .gw-bar button { font: inherit; }
    #gw-key-state { color: #5f6368; }
    .gw-bar a { margin-left: auto; }
  </style>
</head>
<body>
  <div class="gw-bar">
    <strong>gapwatch explorer</strong>
    <form id="gw-key-form" aria-label="API key">
      <label>API key <input id="gw-key" type="password" autocomplete="off" size="28" placeholder="used by every tab"></label>
      <button type="submit">Use</button>
      <button type="button" id="gw-key-forget">Forget</button>
      <span id="gw-key-state" role="status"></span>
    </form>
    <label>Run events of <select id="gw-run"><option value="">pick a run…</option></select></label>
    <a href="/status">Status page</a>
  </div>
  <div id="graphiql">Loading the explorer…</div>
  <script src="${EXPLORER_PREFIX}session-key.js"></script>
  <script src="${EXPLORER_PREFIX}react.js"></script>
  <script src="${EXPLORER_PREFIX}react-dom.js"></script>
  <script src="${EXPLORER_PREFIX}graphql-ws.js"></script>
  <script src="${EXPLORER_PREFIX}graphiql.js"></script>
  <script src="${EXPLORER_PREFIX}examples.js"></script>
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
