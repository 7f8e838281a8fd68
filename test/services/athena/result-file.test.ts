/**
 * Large results at S3 speed (issue 23): past its first page a result is read from the file Athena wrote to
 * S3, through the real @aws-sdk/client-s3 against the embedded endpoint, in the same pages and with the same
 * cursors as GetQueryResults; where the file cannot be read, GetQueryResults takes over, logged once.
 */
import { startTestApp, type TestApp } from '../../support/app';
import { numbers } from '../../embedded/helpers';

const CONFIG = `
athena:
  database: market
  waitTimeout: 60s
`;

const ROWS = 'query ($id: ID!, $after: String, $first: Int) { queryExecution(id: $id) { rows(first: $first, after: $after) { edges { cursor node { values } } pageInfo { hasNextPage endCursor } } } }';

/** A cursor in the API's form, for making one at any page: base64url of the JSON array of its parts. */
const cursorOf = (...parts: unknown[]): string => Buffer.from(JSON.stringify(parts)).toString('base64url');

async function start(config = CONFIG): Promise<{ t: TestApp; logs: string[] }> {
  const logs: string[] = [];
  const t = await startTestApp({ config, env: { GAPWATCH_ALLOW_RAW_SQL: 'true', GAPWATCH_LOG_LEVEL: 'warn' }, logTo: { write: (l: string) => void logs.push(l) } });
  return { t, logs };
}

async function run(t: TestApp, sql: string): Promise<string> {
  const body = await t.gql('mutation ($sql: String!) { runSql(sql: $sql) { id state } }', { sql });
  expect(body.data.runSql.state).toBe('SUCCEEDED');
  return body.data.runSql.id;
}

/** Every row's values, paging with `first`, and the number of requests it took. */
async function pageAll(t: TestApp, id: string, first = 1000): Promise<unknown[]> {
  const seen: unknown[] = [];
  let after: string | null = null;
  for (;;) {
    const body = await t.gql(ROWS, { id, after, first });
    expect(body.errors).toBeUndefined();
    const rows = body.data.queryExecution.rows;
    seen.push(...rows.edges.map((e: any) => e.node.values));
    if (!rows.pageInfo.hasNextPage) return seen;
    after = rows.pageInfo.endCursor;
  }
}

const SQL = (n: number): string => `SELECT n, 'r' || CAST(n AS VARCHAR) AS s, CASE WHEN n % 3 = 0 THEN NULL ELSE '' END AS e FROM ${numbers(n)} ORDER BY n`;
const expected = (n: number) => Array.from({ length: n }, (_, i) => ({ n: i, s: `r${i}`, e: i % 3 === 0 ? null : '' }));

describe('reading a result past its first page from its file in S3', () => {
  let t: TestApp;
  let logs: string[];
  beforeAll(async () => {
    ({ t, logs } = await start());
  });
  afterAll(() => t.stop());

  const calls = async (op: string): Promise<number> => (await t.app.embedded!.calls())[op] ?? 0;

  it('pages 5,500 rows with first: 1000: every row once, in order; page 0 from GetQueryResults, the rest from one streamed GET', async () => {
    const id = await run(t, SQL(5500));
    const [results, gets] = [await calls('GetQueryResults'), await calls('GetObject')];
    expect(await pageAll(t, id)).toStrictEqual(expected(5500));
    expect((await calls('GetQueryResults')) - results).toBe(1);
    // Paging forward reads on from where the last page ended (prefetch asks for the next pages at once).
    expect((await calls('GetObject')) - gets).toBeLessThanOrEqual(2);
  });

  it('reads rows(first, after) anywhere in the result with one ranged GET, once its page starts are known, and none again from the cache', async () => {
    const id = await run(t, SQL(9500));
    // A cursor at the start of page 7 of a result nobody has read: one GET, scanning to it from the top.
    let gets = await calls('GetObject');
    const deep = await t.gql(ROWS, { id, after: cursorOf(id, null, 999, 6), first: 3 });
    expect(deep.data.queryExecution.rows.edges.map((e: any) => e.node.values.n)).toStrictEqual([6999, 7000, 7001]);
    expect((await calls('GetObject')) - gets).toBe(1);
    // Page 3's start is known now: a cursor there is one GET from it, whatever was read before.
    await new Promise((r) => setTimeout(r, 50));
    gets = await calls('GetObject');
    const results = await calls('GetQueryResults');
    const mid = await t.gql(ROWS, { id, after: cursorOf(id, null, 499, 3), first: 2 });
    expect(mid.data.queryExecution.rows.edges.map((e: any) => e.node.values.n)).toStrictEqual([3499, 3500]);
    expect((await calls('GetObject')) - gets).toBe(1);
    expect((await calls('GetQueryResults')) - results).toBe(0);
    // The same page again, for another client: from the shared cache.
    gets = await calls('GetObject');
    const again = await t.gql(ROWS, { id, after: cursorOf(id, null, 499, 3), first: 2 });
    expect(again.data.queryExecution.rows.edges.map((e: any) => e.node.values.n)).toStrictEqual([3499, 3500]);
    expect((await calls('GetObject')) - gets).toBe(0);
  });

  it('mints cursors that page on from where they point, and refuses one past the end', async () => {
    const id = await run(t, SQL(2100));
    const first = await t.gql(ROWS, { id, after: null, first: 1500 });
    expect(first.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'first' });
    const a = await t.gql(ROWS, { id, after: null, first: 1000 });
    const b = await t.gql(ROWS, { id, after: a.data.queryExecution.rows.pageInfo.endCursor, first: 1000 });
    const c = await t.gql(ROWS, { id, after: b.data.queryExecution.rows.pageInfo.endCursor, first: 1000 });
    expect(c.data.queryExecution.rows.edges.map((e: any) => e.node.values.n)).toStrictEqual(Array.from({ length: 100 }, (_, i) => 2000 + i));
    expect(c.data.queryExecution.rows.pageInfo.hasNextPage).toBe(false);
    const past = await t.gql(ROWS, { id, after: cursorOf(id, null, 0, 5), first: 1 });
    expect(past.errors[0].extensions).toStrictEqual({ code: 'BAD_USER_INPUT', argument: 'after' });
    expect(logs.filter((l) => l.includes('GetQueryResults: its file in S3'))).toStrictEqual([]);
  });
});

describe('falling back to GetQueryResults where the file cannot be read', () => {
  let t: TestApp;
  let logs: string[];
  beforeAll(async () => {
    ({ t, logs } = await start());
  });
  afterAll(() => t.stop());

  const fallbackLines = (id: string) => logs.filter((l) => l.includes(id) && l.includes('its file in S3 cannot be read')).map((l) => JSON.parse(l));

  it.each([
    ['AccessDenied', 'AccessDenied (HTTP 403)'],
    ['NoSuchKey', 'NoSuchKey (HTTP 404)'],
    ['NoSuchBucket', 'NoSuchBucket (HTTP 404)'],
    ['PermanentRedirect', '(HTTP 301)'],
    ['InvalidRequest', 'The object was stored using a form of Server Side Encryption'],
    ['KMS.AccessDeniedException', 'KMS.AccessDeniedException (HTTP 403)'],
  ] as const)('%s: the same rows from GetQueryResults, and the reason logged once for the execution', async (code, reason) => {
    const id = await run(t, SQL(3200));
    await t.app.embedded!.injectFaults({ rate: 1, code, operations: ['GetObject'] });
    try {
      expect(await pageAll(t, id)).toStrictEqual(expected(3200));
      expect(await pageAll(t, id, 700)).toStrictEqual(expected(3200));
    } finally {
      await t.app.embedded!.injectFaults(null);
    }
    const lines = fallbackLines(id);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, queryExecutionId: id, permanent: true, reason: expect.stringContaining(reason) });
    // Once refused for good, the file is not asked again.
    const gets = (await t.app.embedded!.calls()).GetObject ?? 0;
    await t.gql(ROWS, { id, after: cursorOf(id, null, 0, 2), first: 5 });
    expect((await t.app.embedded!.calls()).GetObject ?? 0).toBe(gets);
  });

  it('takes over part way: pages read from the file, then GetQueryResults from the page the file failed at', async () => {
    const id = await run(t, SQL(4500));
    const a = await t.gql(ROWS, { id, after: null, first: 1000 });
    const b = await t.gql(ROWS, { id, after: a.data.queryExecution.rows.pageInfo.endCursor, first: 1000 });
    await t.app.embedded!.injectFaults({ rate: 1, code: 'NoSuchKey', operations: ['GetObject'] });
    try {
      // Page 3 on: not cached yet (two pages ahead at most), so read with GetQueryResults from a token it
      // gets by paging from the first.
      const far = await t.gql(ROWS, { id, after: cursorOf(id, null, 999, 3), first: 1000 });
      expect(far.errors).toBeUndefined();
      expect(far.data.queryExecution.rows.edges.map((e: any) => e.node.values.n)).toStrictEqual(Array.from({ length: 1000 }, (_, i) => 3999 + i).filter((n) => n < 4500));
      const rest = await t.gql(ROWS, { id, after: b.data.queryExecution.rows.pageInfo.endCursor, first: 1000 });
      // (b ended on row 1999: page 0 holds 999 rows, so each `first: 1000` ends a row into the next page.)
      expect(rest.data.queryExecution.rows.edges.map((e: any) => e.node.values.n)).toStrictEqual(Array.from({ length: 1000 }, (_, i) => 2000 + i));
    } finally {
      await t.app.embedded!.injectFaults(null);
    }
  });
});

describe('athena.resultsFromS3: false', () => {
  it('reads every result with GetQueryResults and never asks S3', async () => {
    const { t } = await start(`${CONFIG}  resultsFromS3: false\n`);
    try {
      const id = await run(t, SQL(2500));
      const before = await t.app.embedded!.calls();
      expect(await pageAll(t, id)).toStrictEqual(expected(2500));
      const after = await t.app.embedded!.calls();
      expect((after.GetQueryResults ?? 0) - (before.GetQueryResults ?? 0)).toBe(3);
      expect(after.GetObject ?? 0).toBe(0);
    } finally {
      await t.stop();
    }
  });
});
