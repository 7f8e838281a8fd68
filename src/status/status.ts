import { existsSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { PageAssets, servePage } from '../http/pages';

/**
 * The status page (`/status`): plain browser code in `page/` (ES modules, no build step), served as written,
 * with the graphql-ws client's browser build from node_modules. It talks to gapwatch only through the public
 * GraphQL API, with the caller's own key.
 */
export const STATUS_PATH = '/status';
const STATUS_PREFIX = '/status/';

/**
 * Where the page's files are: beside this module when it runs from source (tests), or in the source tree when
 * it runs built (dist/src/status → src/status/page; the Docker image copies that folder as well).
 */
function pageDir(): string {
  const candidates = [path.join(__dirname, 'page'), path.resolve(__dirname, '../../../src/status/page')];
  const found = candidates.find((dir) => existsSync(path.join(dir, 'index.html')));
  if (!found) throw new Error(`the status page's files are missing (looked in ${candidates.join(', ')})`);
  return found;
}

let dir: string | undefined;
/** Found at first use, so a build without the page (a Lambda bundle) still loads this module. */
const file = (name: string): string => path.join((dir ??= pageDir()), name);

const assets = new PageAssets(STATUS_PREFIX, {
  'status.js': { file: () => file('status.js'), type: 'text/javascript' },
  'heatmap.js': { file: () => file('heatmap.js'), type: 'text/javascript' },
  'machine.js': { file: () => file('machine.js'), type: 'text/javascript' },
  'graphql.js': { file: () => file('graphql.js'), type: 'text/javascript' },
  'series-worker.js': { file: () => file('series-worker.js'), type: 'text/javascript' },
  'session-key.js': { file: () => file('session-key.js'), type: 'text/javascript' },
  'status.css': { file: () => file('status.css'), type: 'text/css' },
  'graphql-ws.js': { pkg: 'graphql-ws', file: 'umd/graphql-ws.min.js', type: 'text/javascript' },
});

let html: string | undefined;

export function serveStatusPage(req: IncomingMessage, res: ServerResponse): void {
  html ??= readFileSync(file('index.html'), 'utf8');
  servePage(req, res, html);
}

/** Serves /status/<asset>; answers false when the path is not one of them. */
export function serveStatusAsset(req: IncomingMessage, res: ServerResponse, pathname: string): boolean {
  return assets.serve(req, res, pathname);
}
