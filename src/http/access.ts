import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { CodedError, ConfigError, ErrorCode } from '../errors';

/**
 * Who may call gapwatch, and from which browser origins.
 *
 * Keys come from GAPWATCH_API_KEYS (or the file GAPWATCH_API_KEYS_FILE names) as `id:role:secret` entries
 * separated by commas or newlines. A client sends the secret as `Authorization: Bearer <secret>` or
 * `x-api-key: <secret>` (in graphql-ws `connectionParams` under the same names). Only a digest of each
 * secret is kept, and a presented secret is compared with every digest in constant time, so neither timing
 * nor a heap dump gives a secret away; the id is what logs and metrics show.
 */
export const ROLES = ['reader', 'operator'] as const;
export type Role = (typeof ROLES)[number];

export interface ApiKey {
  id: string;
  role: Role;
  digest: Buffer;
}

/** The caller of one request or WebSocket connection. */
export interface Principal {
  /** The key id; `anonymous` when no keys are configured. */
  id: string;
  role: Role;
}

/** Shorter secrets are refused at start-up: a guessable key is no key. */
export const MIN_SECRET_LENGTH = 16;

export interface AccessConfig {
  keys: ApiKey[];
  /** Start with no keys on a non-loopback address anyway (GAPWATCH_ALLOW_ANONYMOUS=true). */
  allowAnonymous: boolean;
  /** Browser origins allowed besides the service's own (GAPWATCH_CORS_ORIGINS). */
  corsOrigins: string[];
  /** Schema introspection (GAPWATCH_INTROSPECTION, default true). */
  introspection: boolean;
  /** The GraphiQL explorer page (GAPWATCH_EXPLORER, default true). */
  explorer: boolean;
}

function digest(secret: string): Buffer {
  return createHash('sha256').update(secret, 'utf8').digest();
}

/** Parses `id:role:secret` entries; `source` names where they came from in error messages (never a secret). */
export function parseApiKeys(text: string, source: string): ApiKey[] {
  const keys: ApiKey[] = [];
  const entries = text.split(/[,\n]/).map((e) => e.trim()).filter((e) => e !== '' && !e.startsWith('#'));
  for (const [i, entry] of entries.entries()) {
    const first = entry.indexOf(':');
    const second = first < 0 ? -1 : entry.indexOf(':', first + 1);
    const where = `${source}: entry ${i + 1}`;
    if (second < 0) throw new ConfigError(`${where}: expected id:role:secret`);
    const id = entry.slice(0, first);
    const role = entry.slice(first + 1, second);
    const secret = entry.slice(second + 1);
    if (!/^[\w.-]{1,64}$/.test(id)) throw new ConfigError(`${where}: id must be 1 to 64 letters, digits, '_', '.' or '-', got '${id}'`);
    if (!(ROLES as readonly string[]).includes(role)) throw new ConfigError(`${where} (${id}): role must be one of ${ROLES.join(' | ')}, got '${role}'`);
    if (secret.length < MIN_SECRET_LENGTH) throw new ConfigError(`${where} (${id}): secret must be at least ${MIN_SECRET_LENGTH} characters`);
    if (keys.some((k) => k.id === id)) throw new ConfigError(`${where}: id '${id}' appears twice`);
    const d = digest(secret);
    if (keys.some((k) => k.digest.equals(d))) throw new ConfigError(`${where} (${id}): secret is the same as another key's`);
    keys.push({ id, role: role as Role, digest: d });
  }
  return keys;
}

/** Reads the access settings from the environment; config.ts calls this once at start. */
export function loadAccessConfig(env: Readonly<Record<string, string | undefined>>, bool: (name: string, fallback: boolean) => boolean): AccessConfig {
  let keys: ApiKey[] = [];
  if (env.GAPWATCH_API_KEYS && env.GAPWATCH_API_KEYS_FILE) {
    throw new ConfigError('GAPWATCH_API_KEYS and GAPWATCH_API_KEYS_FILE: set one, not both');
  }
  if (env.GAPWATCH_API_KEYS) keys = parseApiKeys(env.GAPWATCH_API_KEYS, 'GAPWATCH_API_KEYS');
  if (env.GAPWATCH_API_KEYS_FILE) {
    let text: string;
    try {
      text = readFileSync(env.GAPWATCH_API_KEYS_FILE, 'utf8');
    } catch (err) {
      throw new ConfigError(`GAPWATCH_API_KEYS_FILE: cannot read ${env.GAPWATCH_API_KEYS_FILE}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    keys = parseApiKeys(text, 'GAPWATCH_API_KEYS_FILE');
    if (keys.length === 0) throw new ConfigError(`GAPWATCH_API_KEYS_FILE: ${env.GAPWATCH_API_KEYS_FILE} holds no keys`);
  }
  const corsOrigins = (env.GAPWATCH_CORS_ORIGINS ?? '').split(',').map((o) => o.trim()).filter((o) => o !== '');
  for (const origin of corsOrigins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (!parsed || !/^https?:$/.test(parsed.protocol) || parsed.origin !== origin) {
      throw new ConfigError(`GAPWATCH_CORS_ORIGINS: expected origins like https://app.example.com (scheme, host, optional port, no path), got '${origin}'`);
    }
  }
  return {
    keys,
    allowAnonymous: bool('GAPWATCH_ALLOW_ANONYMOUS', false),
    corsOrigins,
    introspection: bool('GAPWATCH_INTROSPECTION', true),
    explorer: bool('GAPWATCH_EXPLORER', true),
  };
}

/** 127.0.0.0/8, ::1 and localhost: addresses only this machine can reach. */
export function isLoopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/** The host part of a Host header value (`name:port`, `[v6]:port`). */
function hostName(hostHeader: string): string {
  const m = /^(\[[^\]]*\]|[^:]*)(?::\d+)?$/.exec(hostHeader);
  return m ? m[1]! : hostHeader;
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** The key a request or connection presents, from either header name. */
function presentedKey(get: (name: string) => unknown): string | undefined {
  const auth = get('authorization');
  if (typeof auth === 'string') {
    const m = BEARER.exec(auth);
    if (m) return m[1];
  }
  const key = get('x-api-key');
  return typeof key === 'string' && key !== '' ? key : undefined;
}

export class Access {
  constructor(readonly config: AccessConfig) {}

  /** No keys configured: everyone is an operator (loopback only, or by explicit GAPWATCH_ALLOW_ANONYMOUS). */
  get open(): boolean {
    return this.config.keys.length === 0;
  }

  /**
   * The start-up rule: open access only where only this machine can connect. Returns the warning to log,
   * or throws a ConfigError (exit 2) when the service would be open to a network.
   */
  checkListen(host: string): string | undefined {
    if (!this.open) return undefined;
    if (!isLoopback(host) && !this.config.allowAnonymous) {
      throw new ConfigError(
        `GAPWATCH_API_KEYS: no API keys configured and GAPWATCH_HOST is ${host}, not loopback; ` +
          'set GAPWATCH_API_KEYS (or GAPWATCH_API_KEYS_FILE), or GAPWATCH_ALLOW_ANONYMOUS=true to serve anyone who can connect',
      );
    }
    return isLoopback(host)
      ? 'NO API KEYS CONFIGURED: anyone on this machine can run queries and mutations; set GAPWATCH_API_KEYS before exposing gapwatch'
      : `NO API KEYS CONFIGURED and GAPWATCH_ALLOW_ANONYMOUS=true: anyone who can reach ${host} can run queries and mutations`;
  }

  /** The caller behind a key, or an UNAUTHENTICATED error. */
  authenticate(key: string | undefined): Principal {
    if (this.open) return { id: 'anonymous', role: 'operator' };
    if (key === undefined) {
      throw new CodedError(ErrorCode.UNAUTHENTICATED, 'an API key is required: send Authorization: Bearer <key> or x-api-key: <key>');
    }
    const d = digest(key);
    let found: ApiKey | undefined;
    // Every digest is compared, so the time taken does not say which key (if any) came close.
    for (const k of this.config.keys) if (timingSafeEqual(k.digest, d) && !found) found = k;
    if (!found) throw new CodedError(ErrorCode.UNAUTHENTICATED, 'unknown API key');
    return { id: found.id, role: found.role };
  }

  fromHeaders(headers: IncomingHttpHeaders): Principal {
    return this.authenticate(presentedKey((name) => headers[name]));
  }

  /** graphql-ws `connectionParams`: the header names, in any letter case. */
  fromConnectionParams(params: Readonly<Record<string, unknown>> | undefined): Principal {
    const lower = new Map(Object.entries(params ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
    return this.authenticate(presentedKey((name) => lower.get(name)));
  }

  /**
   * With no keys anyone who can reach the port is trusted, so the port must be reachable only from this
   * machine, including through a browser: a page whose host name was re-bound to 127.0.0.1 (DNS rebinding)
   * sends its own name as Host, and is refused here.
   */
  hostAllowed(hostHeader: string | undefined): boolean {
    return !this.open || (hostHeader !== undefined && isLoopback(hostName(hostHeader)));
  }

  /**
   * An `Origin` is allowed when it is the service's own or listed in GAPWATCH_CORS_ORIGINS. "Own" compares the
   * origin's host and port with the Host the browser sent, not the scheme: behind a TLS-terminating proxy the
   * page is https while gapwatch itself speaks http.
   */
  originAllowed(origin: string | undefined, hostHeader: string | undefined): boolean {
    if (origin === undefined) return true; // not a browser, or a same-origin navigation: nothing to check
    if (this.config.corsOrigins.includes(origin)) return true;
    let host: string | undefined;
    try {
      host = new URL(origin).host;
    } catch {
      return false; // `null` (sandboxed frames, file://) or garbage
    }
    return hostHeader !== undefined && host !== '' && host.toLowerCase() === hostHeader.toLowerCase();
  }

  /**
   * The browser checks of one HTTP request: Host (open mode), Origin, and CORS. Answers the request itself
   * (403, or 204 to a preflight) and returns false when nothing more is to be done.
   */
  admitHttp(req: IncomingMessage, res: ServerResponse, refuse: (status: number, error: CodedError) => void): boolean {
    const origin = typeof req.headers.origin === 'string' ? req.headers.origin : undefined;
    if (!this.hostAllowed(req.headers.host)) {
      refuse(403, new CodedError(ErrorCode.FORBIDDEN, 'Host not allowed: with no API keys configured gapwatch answers only loopback host names'));
      return false;
    }
    if (!this.originAllowed(origin, req.headers.host)) {
      refuse(403, new CodedError(ErrorCode.FORBIDDEN, `Origin ${origin} is not allowed; add it to GAPWATCH_CORS_ORIGINS to let its pages call gapwatch`));
      return false;
    }
    if (origin !== undefined) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('vary', 'Origin');
      res.setHeader('access-control-expose-headers', 'x-request-id, retry-after');
    }
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-methods': 'GET, POST, OPTIONS',
        'access-control-allow-headers': 'authorization, x-api-key, content-type, apollo-require-preflight, x-request-id',
        'access-control-max-age': '600',
      });
      res.end();
      return false;
    }
    return true;
  }
}
