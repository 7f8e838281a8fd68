import { request } from 'node:http';
import fc from 'fast-check';
import WebSocket from 'ws';
import { ErrorCode } from '../../src/errors';
import { startTestApp, type TestApp } from '../support/app';
import { STOCK_TICKS_YAML } from '../support/config';

/**
 * Random and malformed input thrown at a running server, on both transports. Whatever arrives: never an
 * HTTP 500, never a crash, every error carries a code from the registry (or one of Apollo's and graphql's
 * request codes), and `health` keeps answering while it goes on. Runs are bounded so CI stays fast; a
 * failure prints the seed and the shrunk input that reproduces it.
 */
const KNOWN_CODES = new Set<string>([
  ...Object.values(ErrorCode),
  // Apollo's and graphql-js' codes for requests that are not GraphQL at all.
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
]);

const FIELDS = ['health', 'datasets', 'dataset', 'gaps', 'checks', 'queryExecution', 'queryExecutions', 'status', 'name', 'ranges', 'series', 'rows', 'edges', 'node', 'values', 'cells', 'runQuery', 'runSql', 'stopQuery', 'heartbeat', '__typename', '__schema'];

/** Text that looks like the things users type into names and windows, and worse. */
const nasty = fc.oneof(
  fc.string(),
  fc.string({ unit: 'binary' }),
  fc.constantFrom("AMZN'; DROP TABLE ticks; --", 'GOOG"', "E'x\\'", '\u0000', '\u202e', '😀'.repeat(50), 'x'.repeat(5_000), '2024-03-04', '2024-02-30T00:00:00Z', '0000-01-01T00:00:00Z', '9999-12-31T22:00:00Z', '+275760-09-13T00:00:00Z', 'NaN', '-0', ''),
);

const jsonValue: fc.Arbitrary<unknown> = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: 'small' },
    nasty,
    fc.integer(),
    fc.double(),
    fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, 2 ** 31, -(2 ** 31) - 1),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 5 }),
    fc.dictionary(fc.string({ maxLength: 8 }), tie('value'), { maxKeys: 5 }),
  ),
})).value;

const argument = fc.tuple(fc.constantFrom('dataset', 'from', 'to', 'groups', 'first', 'after', 'id', 'ids', 'name', 'sql', 'parameters', 'wait', 'intervalMs', 'x'), jsonValue).map(
  ([name, value]) => `${name}: ${JSON.stringify(value) ?? 'null'}`.replace(/"(\w+)":/g, '$1:'),
);

/** Documents built from the schema's own words, so many get past the parser into validation and execution. */
const selection: fc.Arbitrary<string> = fc.letrec((tie) => ({
  sel: fc.tuple(
    fc.option(fc.stringMatching(/^[a-z]\w{0,5}$/), { nil: undefined }),
    fc.constantFrom(...FIELDS),
    fc.array(argument, { maxLength: 3 }),
    fc.option(fc.array(tie('sel'), { minLength: 1, maxLength: 4 }), { nil: undefined, depthSize: 'small' }),
  ).map(([alias, field, args, sub]) => `${alias ? `${alias}: ` : ''}${field}${args.length ? `(${args.join(', ')})` : ''}${sub ? ` { ${sub.join(' ')} }` : ''}`),
})).sel;

const document = fc.oneof(
  fc.tuple(fc.constantFrom('', 'query', 'mutation', 'subscription', 'query Q($from: DateTime!, $groups: [String!])'), fc.array(selection, { minLength: 1, maxLength: 4 })).map(([op, sels]) => `${op} { ${sels.join(' ')} }`),
  fc.string(),
  fc.integer({ min: 1, max: 400 }).map((n) => `${'{ a '.repeat(n)}${'}'.repeat(n)}`),
  fc.integer({ min: 1, max: 300 }).map((n) => `{ ${Array.from({ length: n }, (_, i) => `a${i}: health { status }`).join(' ')} }`),
  fc.integer({ min: 1, max: 200 }).map((n) => `{ ...F } ${Array.from({ length: n }, (_, i) => `fragment F${i === 0 ? '' : i} on Query { ...F${i + 1} }`).join(' ')}`),
);

const gapsVariables = fc.record({
  dataset: fc.oneof(fc.constant('stock_ticks'), nasty),
  from: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), nasty, jsonValue),
  to: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), nasty, jsonValue),
  groups: fc.oneof(fc.array(nasty, { maxLength: 20 }), jsonValue),
});

const GAPS = 'query ($dataset: String!, $from: DateTime!, $to: DateTime!, $groups: [String!]) { gaps(dataset: $dataset, from: $from, to: $to, groups: $groups) { status ranges { group kind } series { group buckets { count } } } }';

describe('fuzzing the running server', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ config: `${STOCK_TICKS_YAML}limits:\n  rateLimitPerMinute: 0\n`, env: { GAPWATCH_ALLOW_RAW_SQL: 'true' } });
  });
  afterAll(() => t.stop());

  /** A raw HTTP exchange: whatever the server says, as status and text (never a thrown client error). */
  function raw(method: string, headers: Record<string, string>, body: Buffer | string): Promise<{ status: number; text: string }> {
    return new Promise((resolve, reject) => {
      const req = request(`${t.url}/graphql`, { method, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  async function healthAnswers(): Promise<void> {
    const body = await t.gql('{ health { status } }');
    expect(body).toStrictEqual({ data: { health: { status: 'OK' } } });
  }

  /** The invariant every GraphQL answer keeps: no 500, and errors only with known codes. */
  function expectCoded(status: number, text: string): void {
    expect(status).not.toBe(500);
    expect(status).toBeLessThan(500);
    let body: any;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`not JSON (HTTP ${status}): ${text.slice(0, 200)}`);
    }
    for (const e of body.errors ?? []) {
      expect(typeof e.message).toBe('string');
      expect(KNOWN_CODES).toContain(e.extensions?.code);
      expect(e.extensions.code).not.toBe(ErrorCode.INTERNAL_SERVER_ERROR);
    }
  }

  const post = (payload: unknown) => raw('POST', { 'content-type': 'application/json' }, JSON.stringify(payload));

  it('random documents over HTTP', async () => {
    await fc.assert(
      fc.asyncProperty(document, fc.option(jsonValue, { nil: undefined }), async (query, variables) => {
        const [res] = await Promise.all([post({ query, variables }), healthAnswers()]);
        expectCoded(res.status, res.text);
      }),
      { numRuns: 150 },
    );
  });

  it('random variables for a gaps check (dates, windows, names with quotes, huge numbers, nesting)', async () => {
    await fc.assert(
      fc.asyncProperty(gapsVariables, async (variables) => {
        const [res] = await Promise.all([post({ query: GAPS, variables }), healthAnswers()]);
        expectCoded(res.status, res.text);
      }),
      { numRuns: 120 },
    );
  });

  it('malformed HTTP requests', async () => {
    const method = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS');
    const contentType = fc.constantFrom('application/json', 'application/json; charset=utf-16', 'text/plain', 'application/graphql', 'multipart/form-data', '');
    const body = fc.oneof(fc.string(), fc.uint8Array({ maxLength: 2_000 }).map((b) => Buffer.from(b)), jsonValue.map((v) => JSON.stringify(v) ?? ''));
    await fc.assert(
      fc.asyncProperty(method, contentType, body, fc.dictionary(fc.constantFrom('apollo-require-preflight', 'x-request-id', 'accept', 'authorization', 'x-api-key'), fc.stringMatching(/^[\x20-\x7e]{0,40}$/), { maxKeys: 3 }), async (m, ct, b, extra) => {
        const headers: Record<string, string> = { ...extra };
        if (ct) headers['content-type'] = ct;
        const [res] = await Promise.all([raw(m, headers, m === 'GET' || m === 'OPTIONS' ? '' : b), healthAnswers()]);
        expect(res.status).toBeLessThan(500);
        if (res.text.startsWith('{')) expectCoded(res.status, res.text);
      }),
      { numRuns: 80 },
    );
  });

  it('raw WebSocket frames', async () => {
    const ws = `${t.url.replace('http', 'ws')}/graphql`;
    const frame = fc.oneof(
      fc.string(),
      jsonValue.map((v) => JSON.stringify(v) ?? 'null'),
      fc.record({
        id: fc.oneof(fc.string({ maxLength: 5 }), jsonValue),
        type: fc.constantFrom('subscribe', 'complete', 'ping', 'pong', 'connection_init', 'connection_ack', 'next', 'error', 'x'),
        payload: fc.oneof(jsonValue, document.map((query) => ({ query })), fc.constant({})),
      }).map((m) => JSON.stringify(m)),
      // Well-formed messages of every type, so the server's handling of each is reached, not only its parser.
      fc.tuple(fc.constantFrom('next', 'error', 'connection_ack', 'complete'), fc.stringMatching(/^\w{1,4}$/)).map(([type, id]) => JSON.stringify({ id, type, payload: type === 'error' ? [] : {} })),
      document.map((query) => JSON.stringify({ id: 'q', type: 'subscribe', payload: { query } })),
    );
    await fc.assert(
      fc.asyncProperty(fc.boolean(), fc.array(frame, { minLength: 1, maxLength: 6 }), async (init, frames) => {
        const outcome = new Promise<{ code: number; messages: any[] }>((resolve, reject) => {
          const socket = new WebSocket(ws, 'graphql-transport-ws');
          const messages: any[] = [];
          socket.on('open', () => {
            if (init) socket.send(JSON.stringify({ type: 'connection_init' }));
            for (const f of frames) socket.send(f);
            // Every frame sent is answered (or the socket closed) before the server reads this ping.
            socket.send(JSON.stringify({ type: 'ping' }));
            setTimeout(() => socket.close(1000), 300);
          });
          socket.on('message', (data) => messages.push(JSON.parse(String(data))));
          socket.on('close', (code) => resolve({ code, messages }));
          socket.on('error', reject);
        });
        const [{ code, messages }] = await Promise.all([outcome, healthAnswers()]);
        // 4400-4499: the protocol's answers to a bad client; 1000: closed by us. Never 1011 or 4500.
        expect(code === 1000 || code === 1005 || (code >= 4400 && code < 4500)).toBe(true);
        for (const m of messages) {
          if (m.type === 'error') for (const e of m.payload) expect(KNOWN_CODES).toContain(e.extensions?.code);
          if (m.type === 'next') for (const e of m.payload.errors ?? []) expect(e.extensions?.code).not.toBe(ErrorCode.INTERNAL_SERVER_ERROR);
        }
      }),
      { numRuns: 60 },
    );
  });
});
