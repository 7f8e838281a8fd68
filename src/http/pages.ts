import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * The browser pages gapwatch serves (the GraphiQL explorer, the status page) and their assets, all from this
 * machine: users run gapwatch on closed networks, so a page must not reach any CDN. Package builds (UMD) are
 * read from node_modules, gapwatch's own files from its source tree, once each, and kept in memory. Every
 * page and asset carries the same headers: a strict Content-Security-Policy, so a stray outside request
 * fails loudly in the browser instead of leaking; no framing, so no other site can lay a page with buttons
 * (Repair) under a visitor's clicks; no MIME sniffing; no referrer.
 */

/** A file inside an installed package, found the way Node finds the package (its `exports` hide UMD builds). */
export function packageFile(pkg: string, file: string): string {
  for (const dir of require.resolve.paths(pkg) ?? []) {
    const candidate = path.join(dir, pkg, file);
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`page asset ${pkg}/${file} is not installed`);
}

/**
 * A file of gapwatch's own source tree (`src/<segments>`), found from this module whether it runs from source
 * (tests) or built (`dist/src/http`; the Docker image copies the pages' folders beside `dist`). Pages' own
 * browser code is served as written: there is no build step for it.
 */
export function sourceFile(...segments: string[]): string {
  const candidates = [path.resolve(__dirname, '..', ...segments), path.resolve(__dirname, '../../../src', ...segments)];
  const found = candidates.find((file) => existsSync(file));
  if (!found) throw new Error(`page file ${segments.join('/')} is missing (looked at ${candidates.join(', ')})`);
  return found;
}

/** The headers of every page and asset. The Host header only widens connect-src to the origin the page came from. */
export function pageHeaders(req: IncomingMessage): Record<string, string> {
  const host = /^[A-Za-z0-9.\-:[\]]+$/.test(req.headers.host ?? '') ? req.headers.host : '';
  const ws = host ? ` ws://${host} wss://${host}` : '';
  return {
    'content-security-policy': [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data:",
      "font-src 'self' data:",
      `connect-src 'self'${ws}`,
      "worker-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
  };
}

export function servePage(req: IncomingMessage, res: ServerResponse, html: string): void {
  res.writeHead(200, { ...pageHeaders(req), 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' });
  res.end(html);
}

export type AssetSource =
  /** A file of an installed package. */
  | { pkg: string; file: string; type: string }
  /** A file of gapwatch's own (plain browser code, served as it is written), located at first use. */
  | { file: () => string; type: string }
  /** Text made once, at first request. */
  | { text: () => string; type: string };

/** The assets under one URL prefix (`/explorer/`, `/status/`). */
export class PageAssets {
  private readonly loaded = new Map<string, Buffer>();

  constructor(
    readonly prefix: string,
    private readonly assets: Readonly<Record<string, AssetSource>>,
    /** Package builds do not change while gapwatch runs; gapwatch's own files are revalidated. */
    private readonly cacheControl: (source: AssetSource) => string = (s) => ('pkg' in s ? 'public, max-age=3600' : 'no-cache'),
  ) {}

  private body(name: string): Buffer {
    let body = this.loaded.get(name);
    if (!body) {
      const source = this.assets[name]!;
      body = 'text' in source ? Buffer.from(source.text()) : readFileSync('pkg' in source ? packageFile(source.pkg, source.file) : source.file());
      this.loaded.set(name, body);
    }
    return body;
  }

  /** Serves `<prefix><asset>`; answers false when the path is not one of them. */
  serve(req: IncomingMessage, res: ServerResponse, pathname: string): boolean {
    if (!pathname.startsWith(this.prefix)) return false;
    const name = pathname.slice(this.prefix.length);
    if (req.method !== 'GET' || !Object.hasOwn(this.assets, name)) return false;
    const source = this.assets[name]!;
    const body = this.body(name);
    res.writeHead(200, {
      ...pageHeaders(req),
      'content-type': `${source.type}; charset=utf-8`,
      'content-length': body.length,
      'cache-control': this.cacheControl(source),
    });
    res.end(body);
    return true;
  }
}
