/**
 * GET /results/<queryExecutionId> (issue 23): a whole result streamed as NDJSON, or Athena's CSV with
 * `Accept: text/csv`, with backpressure, under the API keys and limits GraphQL has; against the real app
 * and its embedded endpoint.
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { request } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startTestApp, type TestApp } from '../support/app';
import { numbers, SLOW_QUERY } from '../embedded/helpers';

// The heap is measured after full collections; `gc` is V8's, exposed for this file.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const KEY = 'reader-secret-0123456789';
const CONFIG = `
athena:
  database: market
namedQueries:
  - name: nested
    sql: SELECT ARRAY[1, 2, NULL] AS xs, 'x' AS s
    types: { xs: 'array(integer)' }
limits:
  rateLimitPerMinute: 40
`;

async function run(t: TestApp, sql: string, wait = true): Promise<string> {
  const body = await t.gql(`mutation ($sql: String!) { runSql(sql: $sql${wait ? '' : ', wait: false'}) { id state } }`, { sql }, { authorization: `Bearer ${KEY}` });
  return body.data.runSql.id;
}

const get = (t: TestApp, path: string, headers: Record<string, string> = {}) =>
  fetch(`${t.url}${path}`, { headers: { authorization: `Bearer ${KEY}`, ...headers } });

const SQL = (n: number) => `SELECT n, 'r' || CAST(n AS VARCHAR) AS s, CASE WHEN n % 3 = 0 THEN NULL ELSE '' END AS e, 9007199254740993 + n AS big FROM ${numbers(n)} ORDER BY n`;

describe('GET /results/<queryExecutionId>', () => {
  let t: TestApp;
  let logs: string[];
  beforeAll(async () => {
    logs = [];
    t = await startTestApp({
      config: CONFIG,
      env: { GAPWATCH_ALLOW_RAW_SQL: 'true', GAPWATCH_API_KEYS: `ops:operator:${KEY}`, GAPWATCH_LOG_LEVEL: 'info' },
      logTo: { write: (l: string) => void logs.push(l) },
    });
  });
  afterAll(() => t.stop());

  it('streams every row as NDJSON, typed as GraphQL’s values are, NULL apart from the empty string', async () => {
    const id = await run(t, SQL(3500));
    const res = await get(t, `/results/${id}`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    const lines = (await res.text()).split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((l) => JSON.parse(l))).toStrictEqual(
      Array.from({ length: 3500 }, (_, n) => ({ n, s: `r${n}`, e: n % 3 === 0 ? null : '', big: String(9007199254740993n + BigInt(n)) })),
    );
    expect(logs.some((l) => l.includes('"msg":"results stream"') && l.includes('"rows":3500') && l.includes('"keyId":"ops"'))).toBe(true);
  });

  it('sends Athena’s CSV with Accept: text/csv: the result file, byte for byte', async () => {
    const id = await run(t, SQL(2200));
    const res = await get(t, `/results/${id}`, { accept: 'text/csv' });
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const csv = await res.text();
    const s3 = new S3Client({ endpoint: t.app.embedded!.url, region: 'us-east-1', credentials: embeddedKey(t), forcePathStyle: true });
    try {
      const file = await (await s3.send(new GetObjectCommand({ Bucket: 'gapwatch-embedded', Key: `results/${id}.csv` }))).Body!.transformToString();
      expect(csv).toBe(file);
    } finally {
      s3.destroy();
    }
  });

  it('decodes a named query’s nested columns with its configured types', async () => {
    const body = await t.gql('mutation { runQuery(name: "nested") { id } }', {}, { authorization: `Bearer ${KEY}` });
    const res = await get(t, `/results/${body.data.runQuery.id}`);
    expect(await res.text()).toBe('{"xs":[1,2,null],"s":"x"}\n');
  });

  it('answers an unknown, unfinished, failed or malformed id with a coded JSON error and its status', async () => {
    const unknown = await get(t, '/results/00000000-0000-0000-0000-000000000000');
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as any).errors[0].extensions).toMatchObject({ code: 'NOT_FOUND' });
    const slow = await run(t, SLOW_QUERY, false);
    const running = await get(t, `/results/${slow}`);
    expect(running.status).toBe(409);
    expect(((await running.json()) as any).errors[0].extensions).toMatchObject({ code: 'QUERY_NOT_READY', queryExecutionId: slow });
    await t.gql(`mutation ($id: ID!) { stopQuery(id: $id) { state } }`, { id: slow }, { authorization: `Bearer ${KEY}` });
    const failed = await run(t, 'SELECT CAST(\'x\' AS INTEGER)', false);
    await t.app.services.athena.wait(failed).catch(() => undefined);
    const f = await get(t, `/results/${failed}`);
    expect(f.status).toBe(409);
    expect(((await f.json()) as any).errors[0].extensions).toMatchObject({ code: 'QUERY_FAILED' });
    const bad = await get(t, '/results/..%2F..%2Fetc%2Fpasswd');
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as any).errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'queryExecutionId' });
  });

  it('needs an API key as GraphQL does', async () => {
    const id = await run(t, 'SELECT 1 AS one');
    const res = await fetch(`${t.url}/results/${id}`);
    expect(res.status).toBe(401);
    expect(((await res.json()) as any).errors[0].extensions.code).toBe('UNAUTHENTICATED');
  });

  it('holds a slow client to a page or two: a paused reader stops the reading, and the rest follows when it reads again', async () => {
    // 300,000 rows are ~25 MB of NDJSON: read ahead of the client, they would be on the heap while it pauses.
    const id = await run(t, SQL(300_000));
    const calls = async () => (await t.app.embedded!.calls()).GetObject ?? 0;
    const before = await calls();
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    let heapPaused = 0;
    const received = await new Promise<number>((resolve, reject) => {
      const req = request(new URL(`${t.url}/results/${id}`), { headers: { authorization: `Bearer ${KEY}` } }, (res) => {
        let lines = 0;
        res.once('data', () => {
          res.pause();
          setTimeout(() => {
            gc();
            heapPaused = process.memoryUsage().heapUsed;
            res.resume();
          }, 1000);
        });
        res.on('data', (b: Buffer) => {
          for (const c of b) if (c === 10) lines++;
        });
        res.on('end', () => resolve(lines));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
    expect(received).toBe(300_000);
    expect(heapPaused - heapBefore).toBeLessThan(8 * 2 ** 20);
    // One GET of the file for the rows after page 0, however slowly they were taken.
    expect((await calls()) - before).toBe(1);
  });

  it('stops reading when the client goes away', async () => {
    const id = await run(t, SQL(200_000));
    await new Promise<void>((resolve, reject) => {
      const req = request(new URL(`${t.url}/results/${id}`), { headers: { authorization: `Bearer ${KEY}` } }, (res) => {
        res.once('data', () => {
          req.destroy();
          resolve();
        });
      });
      req.on('error', () => undefined);
      req.on('close', () => resolve());
      req.end();
    }).catch(() => undefined);
    for (let i = 0; i < 100 && !logs.some((l) => l.includes(id) && l.includes('results stream')); i++) await new Promise((r) => setTimeout(r, 20));
    const line = JSON.parse(logs.find((l) => l.includes(id) && l.includes('"msg":"results stream"'))!);
    expect(line.outcome).toBe('CLIENT_GONE');
    expect(line.rows).toBeLessThan(200_000);
  });

  it('reads from GetQueryResults when the file cannot be read, the same rows', async () => {
    const id = await run(t, SQL(2600));
    await t.app.embedded!.injectFaults({ rate: 1, code: 'AccessDenied', operations: ['GetObject'] });
    try {
      const res = await get(t, `/results/${id}`, { accept: 'text/csv' });
      const lines = (await res.text()).split('\n');
      expect(lines).toHaveLength(2600 + 2);
      expect(lines[1]).toBe('"0","r0",,"9007199254740993"');
      expect(lines[2600]).toBe('"2599","r2599","","9007199254743592"');
    } finally {
      await t.app.embedded!.injectFaults(null);
    }
    expect(logs.some((l) => l.includes(id) && l.includes('its file in S3 cannot be read'))).toBe(true);
  });

  it('counts against the key’s rate like a GraphQL operation', async () => {
    const id = await run(t, 'SELECT 1 AS one');
    let limited: Response | undefined;
    for (let i = 0; i < 60 && !limited; i++) {
      const res = await get(t, `/results/${id}`);
      if (res.status === 429) limited = res;
      else await res.text();
    }
    expect(limited).toBeDefined();
    expect(limited!.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(((await limited!.json()) as any).errors[0].extensions).toMatchObject({ code: 'LIMIT_EXCEEDED', limit: 'rateLimitPerMinute' });
  });
});

/** The embedded endpoint's key pair (it verifies signatures when the app has API keys). */
function embeddedKey(t: TestApp): { accessKeyId: string; secretAccessKey: string } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { embeddedKeyPair } = require('../../src/embedded/credentials') as typeof import('../../src/embedded/credentials');
  return embeddedKeyPair(t.dataDir);
}
