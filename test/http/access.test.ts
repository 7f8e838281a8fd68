import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createApp } from '../../src/app';
import { loadEnvConfig } from '../../src/config';
import { ConfigError } from '../../src/errors';
import { Access } from '../../src/http/access';
import pino from 'pino';
import WebSocket from 'ws';
import { startTestApp, take, type TestApp } from '../support/app';

const READER = 'reader-secret-0123456789';
const OPERATOR = 'operator-secret-0123456789';
const KEYS = `ci:reader:${READER}\nops:operator:${OPERATOR}`;
const MUTATION = /* GraphQL */ `mutation { stopQuery(id: "no-such-id") { state } }`;

/** Opens a raw WebSocket upgrade and resolves with the HTTP status of a refusal, or 101 when accepted. */
function upgrade(url: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(`${url.replace('http', 'ws')}/graphql`, 'graphql-transport-ws', { headers });
    socket.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      socket.terminate();
    });
    socket.on('open', () => {
      resolve(101);
      socket.close();
    });
    socket.on('error', reject);
  });
}

describe('API keys and roles', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { GAPWATCH_API_KEYS: KEYS } });
  });
  afterAll(() => t.stop());

  it('refuses a request with no key, or an unknown one, as UNAUTHENTICATED (HTTP 401)', async () => {
    for (const headers of <Record<string, string>[]>[{}, { authorization: 'Bearer not-a-key-at-all-000' }, { 'x-api-key': `${READER}x` }]) {
      const res = await fetch(`${t.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query: '{ health { status } }' }),
      });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Bearer');
      expect(((await res.json()) as any).errors[0].extensions).toStrictEqual({ code: 'UNAUTHENTICATED' });
    }
  });

  it('lets a reader query by Bearer or x-api-key, and refuses it a mutation as FORBIDDEN', async () => {
    expect(await t.gql('{ health { status } }', undefined, { authorization: `Bearer ${READER}` })).toStrictEqual({ data: { health: { status: 'OK' } } });
    expect(await t.gql('{ health { status } }', undefined, { 'x-api-key': READER })).toStrictEqual({ data: { health: { status: 'OK' } } });
    const refused = await t.gql(MUTATION, undefined, { authorization: `Bearer ${READER}` });
    expect(refused).toStrictEqual({
      errors: [{ message: "key 'ci' has role reader; mutations need role operator", extensions: { code: 'FORBIDDEN' } }],
    });
  });

  it('lets an operator run a mutation', async () => {
    const body = await t.gql(MUTATION, undefined, { authorization: `Bearer ${OPERATOR}` });
    // The mutation ran: Athena answered about the id (not the gate about the caller).
    expect(body.errors?.[0]?.extensions?.code).not.toBe('FORBIDDEN');
    expect(body.errors?.[0]?.extensions?.code).not.toBe('UNAUTHENTICATED');
  });

  it('authenticates graphql-ws connections by connectionParams, with the same roles', async () => {
    const events = await take(t.ws({ authorization: `Bearer ${READER}` }), 'subscription { heartbeat(intervalMs: 100) { seq } }', 1);
    expect(events).toStrictEqual([{ data: { heartbeat: { seq: 1 } } }]);

    const refused = await take(t.ws({ 'x-api-key': READER }), MUTATION, 1).catch((e) => e);
    expect(refused).toStrictEqual([{ message: "key 'ci' has role reader; mutations need role operator", extensions: { code: 'FORBIDDEN' } }]);
  });

  it('closes a graphql-ws connection that brings no valid key, saying why', async () => {
    const client = t.ws({ authorization: 'Bearer wrong-key-0000000000' });
    const closed = new Promise<{ code: number; reason: string }>((resolve) => client.on('closed', (e) => resolve(e as { code: number; reason: string })));
    await take(client, '{ health { status } }', 1).catch(() => undefined);
    expect(await closed).toMatchObject({ code: 4401, reason: 'UNAUTHENTICATED: unknown API key' });
  });

  it('keeps /healthz and /readyz open, and asks a key for /metrics', async () => {
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${t.url}/readyz`)).status).toBe(200);
    expect((await fetch(`${t.url}/metrics`)).status).toBe(401);
    const scraped = await fetch(`${t.url}/metrics`, { headers: { authorization: `Bearer ${READER}` } });
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).not.toContain(READER);
  });

  it('logs key ids, never keys', async () => {
    const lines: string[] = [];
    const logged = await startTestApp({ env: { GAPWATCH_API_KEYS: KEYS, GAPWATCH_LOG_LEVEL: 'info' }, logTo: { write: (line) => lines.push(line) } });
    try {
      await logged.gql('query Probe { health { status } }', undefined, { authorization: `Bearer ${READER}` });
      await logged.gql(MUTATION, undefined, { authorization: `Bearer ${READER}` });
      await logged.gql('{ health { status } }', undefined, { authorization: 'Bearer wrong-key-0000000000' });
    } finally {
      await logged.stop();
    }
    const text = lines.join('');
    expect(text).not.toContain(READER);
    expect(text).not.toContain('wrong-key-0000000000');
    const ops = lines.flatMap((l) => l.split('\n')).filter((l) => l.includes('"graphql operation"')).map((l) => JSON.parse(l));
    expect(ops).toEqual([
      expect.objectContaining({ operation: 'Probe', type: 'query', keyId: 'ci', transport: 'http', outcome: 'ok', requestId: expect.any(String), durationMs: expect.any(Number) }),
      expect.objectContaining({ type: 'mutation', keyId: 'ci', outcome: 'FORBIDDEN' }),
    ]);
  });
});

describe('start-up without keys', () => {
  it('listens on loopback with a loud warning, and refuses another address unless anonymous access is allowed', async () => {
    const lines: any[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const dataDir = mkdtempSync(path.join(tmpdir(), 'gapwatch-access-'));
    const env = (extra: Record<string, string>) =>
      loadEnvConfig({ GAPWATCH_EMBEDDED_PORT: '0', GAPWATCH_CONFIG: path.join(dataDir, 'none.yaml'), GAPWATCH_DATA_DIR: dataDir, ...extra });
    const app = await createApp({ env: env({}), logger });
    try {
      await expect(app.listen(0, '0.0.0.0')).rejects.toThrow(new ConfigError(
        'GAPWATCH_API_KEYS: no API keys configured and GAPWATCH_HOST is 0.0.0.0, not loopback; set GAPWATCH_API_KEYS (or GAPWATCH_API_KEYS_FILE), or GAPWATCH_ALLOW_ANONYMOUS=true to serve anyone who can connect',
      ));
      await expect(app.listen(0, '127.0.0.1')).resolves.toMatchObject({ port: expect.any(Number) });
      expect(lines).toContainEqual(expect.objectContaining({ level: 40, msg: expect.stringMatching(/^NO API KEYS CONFIGURED: anyone on this machine/) }));
    } finally {
      await app.stop();
    }
    rmSync(dataDir, { recursive: true, force: true });
    // Anonymous access on a network address, decided without opening one in a test.
    const access = new Access(env({ GAPWATCH_ALLOW_ANONYMOUS: 'true' }).access);
    expect(access.checkListen('0.0.0.0')).toBe('NO API KEYS CONFIGURED and GAPWATCH_ALLOW_ANONYMOUS=true: anyone who can reach 0.0.0.0 can run queries and mutations');
  });
});

describe('the service process', () => {
  it('exits 2 before it builds or starts anything on a network address with no keys, saying what to set', () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'gapwatch-access-'));
    try {
      const run = spawnSync(process.execPath, [path.resolve(__dirname, '../../dist/src/main.js')], {
        env: { PATH: process.env.PATH, GAPWATCH_HOST: '0.0.0.0', PORT: '0', GAPWATCH_EMBEDDED_PORT: '0', GAPWATCH_DATA_DIR: dataDir, GAPWATCH_CONFIG: path.join(dataDir, 'none.yaml'), AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(run.status).toBe(2);
      expect(run.stderr).toBe(
        'gapwatch: configuration error: GAPWATCH_API_KEYS: no API keys configured and GAPWATCH_HOST is 0.0.0.0, not loopback; set GAPWATCH_API_KEYS (or GAPWATCH_API_KEYS_FILE), or GAPWATCH_ALLOW_ANONYMOUS=true to serve anyone who can connect\n',
      );
      // Refused first: no sample built in the data dir, no embedded endpoint started (it would log that it listens).
      expect(readdirSync(dataDir)).toStrictEqual([]);
      expect(run.stdout).not.toContain('embedded AWS endpoint');
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('browser origins', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ env: { GAPWATCH_CORS_ORIGINS: 'https://dash.example.com' } });
  });
  afterAll(() => t.stop());

  const post = (headers: Record<string, string>) =>
    fetch(`${t.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ query: '{ health { status } }' }) });

  it('refuses a WebSocket upgrade from a foreign origin, and accepts its own and listed ones', async () => {
    expect(await upgrade(t.url, { origin: 'https://evil.example' })).toBe(403);
    expect(await upgrade(t.url, { origin: t.url })).toBe(101);
    expect(await upgrade(t.url, { origin: 'https://dash.example.com' })).toBe(101);
    expect(await upgrade(t.url, {})).toBe(101);
    // Behind a TLS-terminating proxy the page is https while gapwatch speaks http: still its own origin.
    expect(await upgrade(t.url, { origin: t.url.replace('http:', 'https:') })).toBe(101);
    expect(await upgrade(t.url, { origin: 'null' })).toBe(403);
  });

  it('refuses HTTP from a foreign origin with FORBIDDEN, and sends CORS headers to a listed one', async () => {
    const foreign = await post({ origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect(((await foreign.json()) as any).errors[0].extensions).toStrictEqual({ code: 'FORBIDDEN' });

    const listed = await post({ origin: 'https://dash.example.com' });
    expect(listed.status).toBe(200);
    expect(listed.headers.get('access-control-allow-origin')).toBe('https://dash.example.com');

    const preflight = await fetch(`${t.url}/graphql`, {
      method: 'OPTIONS',
      headers: { origin: 'https://dash.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('authorization');
    expect((await fetch(`${t.url}/graphql`, { method: 'OPTIONS', headers: { origin: 'https://evil.example' } })).status).toBe(403);
  });

  it('with no keys, answers only loopback Host names (DNS rebinding)', async () => {
    const rebound = await new Promise<number>((resolve, reject) => {
      const req = request(`${t.url}/graphql`, { method: 'POST', headers: { host: 'evil.example:4000', 'content-type': 'application/json' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end(JSON.stringify({ query: '{ health { status } }' }));
    });
    expect(rebound).toBe(403);
    expect(await upgrade(t.url, { host: 'evil.example' })).toBe(403);
  });
});

describe('switches', () => {
  it('turns introspection and the explorer off by config', async () => {
    const t = await startTestApp({ env: { GAPWATCH_INTROSPECTION: 'false', GAPWATCH_EXPLORER: 'false' } });
    try {
      const body = await t.gql('{ __schema { queryType { name } } }');
      expect(body.errors[0].extensions.code).toBe('GRAPHQL_VALIDATION_FAILED');
      const page = await fetch(`${t.url}/graphql`, { headers: { accept: 'text/html' } });
      expect(page.headers.get('content-type')).not.toContain('text/html');
      expect((await fetch(`${t.url}/explorer/graphiql.js`)).status).toBe(404);
    } finally {
      await t.stop();
    }
  });
});
