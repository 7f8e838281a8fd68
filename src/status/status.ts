import { readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PageAssets, servePage, sourceFile } from '../http/pages';

/**
 * The status page (`/status`): plain browser code in `page/` (ES modules, no build step), served as written,
 * with the graphql-ws client's browser build from node_modules. It talks to gapwatch only through the public
 * GraphQL API, with the caller's own key.
 */
export const STATUS_PATH = '/status';
const STATUS_PREFIX = '/status/';

/** A file of the page's folder, located at first use (a build without the page, a Lambda bundle, still loads this module). */
const file = (name: string): string => sourceFile('status', 'page', name);

/** The browser session's API key, shared with the explorer (and served to it from here). */
export const SESSION_KEY_ASSET = { file: () => file('session-key.js'), type: 'text/javascript' } as const;

const assets = new PageAssets(STATUS_PREFIX, {
  'status.js': { file: () => file('status.js'), type: 'text/javascript' },
  'heatmap.js': { file: () => file('heatmap.js'), type: 'text/javascript' },
  'machine.js': { file: () => file('machine.js'), type: 'text/javascript' },
  'graphql.js': { file: () => file('graphql.js'), type: 'text/javascript' },
  'series-worker.js': { file: () => file('series-worker.js'), type: 'text/javascript' },
  'session-key.js': SESSION_KEY_ASSET,
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
