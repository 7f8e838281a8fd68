import { nextRef, PageTokenRejected } from '../../src/services/athena/result-pages';
import { startTestApp, type TestApp } from '../support/app';
import { SLOW_QUERY } from '../embedded/helpers';

// These tests are about paging with GetQueryResults (the S3 path: result-file.test.ts).
const CONFIG = `
athena:
  database: market
  waitTimeout: 60s
  resultsFromS3: false
namedQueries:
  - name: ticks_per_symbol
    description: Ticks per symbol over the sample data
    sql: SELECT symbol, count(*) AS ticks FROM market.ticks GROUP BY symbol ORDER BY symbol
  - name: ticks_of
    sql: SELECT count(*) AS ticks FROM market.ticks WHERE symbol = ? AND capture_datetime >= ?
  - name: numbers
    sql: SELECT n, CAST(n AS VARCHAR) AS s FROM UNNEST(sequence(0, 2499)) AS t(n) ORDER BY n
  - name: nested
    sql: SELECT ARRAY[1, 2, NULL] AS xs, ARRAY[3] AS ys
    types: { xs: 'array(integer)' }
  - name: mistyped
    sql: SELECT ARRAY[1, 2] AS xs
    types: { nope: 'array(integer)' }
`;

/** A cursor in the API's form, for forging: base64url of the JSON array of its parts. */
const cursorOf = (...parts: unknown[]): string => Buffer.from(JSON.stringify(parts)).toString('base64url');

describe('typed rows over GraphQL, through the real SDK and the embedded endpoint', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ config: CONFIG, env: { GAPWATCH_ALLOW_RAW_SQL: 'true' } });
  });
  afterAll(() => t.stop());

  const calls = async (op: string) => (await t.app.embedded!.calls())[op] ?? 0;

  it('runs a named query and returns typed rows and the raw cells', async () => {
    const body = await t.gql(/* GraphQL */ `
      mutation {
        runQuery(name: "ticks_per_symbol") {
          state
          sql
          database
          columns { name type }
          rows(first: 2) {
            edges { node { values cells { column type raw value } } }
            pageInfo { hasNextPage hasPreviousPage }
          }
        }
      }
    `);
    expect(body.errors).toBeUndefined();
    const run = body.data.runQuery;
    expect(run.state).toBe('SUCCEEDED');
    expect(run.database).toBe('market');
    expect(run.columns).toStrictEqual([
      { name: 'symbol', type: 'varchar' },
      { name: 'ticks', type: 'bigint' },
    ]);
    const [first] = run.rows.edges;
    expect(first.node.values).toStrictEqual({ symbol: 'AMZN', ticks: expect.any(Number) });
    expect(first.node.cells).toStrictEqual([
      { column: 'symbol', type: 'varchar', raw: 'AMZN', value: 'AMZN' },
      { column: 'ticks', type: 'bigint', raw: String(first.node.values.ticks), value: first.node.values.ticks },
    ]);
    expect(run.rows.pageInfo).toStrictEqual({ hasNextPage: true, hasPreviousPage: false });
  });

  it('binds parameters as Athena ExecutionParameters and rejects non-literals', async () => {
    const ok = await t.gql(/* GraphQL */ `
      mutation { runQuery(name: "ticks_of", parameters: ["'AMZN'", "TIMESTAMP '2000-01-01 00:00:00'"]) { state rows { edges { node { values } } } } }
    `);
    expect(ok.errors).toBeUndefined();
    expect(ok.data.runQuery.rows.edges[0].node.values.ticks).toBeGreaterThan(1000);

    const injected = await t.gql(/* GraphQL */ `
      mutation { runQuery(name: "ticks_of", parameters: ["'AMZN' OR 1=1", "TIMESTAMP '2000-01-01 00:00:00'"]) { state } }
    `);
    expect(injected.errors[0].extensions).toStrictEqual({ code: 'BAD_USER_INPUT', argument: 'parameters[0]' });
    const tooFew = await t.gql(`mutation { runQuery(name: "ticks_of", parameters: ["'AMZN'"]) { state } }`);
    expect(tooFew.errors[0]).toMatchObject({
      message: "parameters: the query has 2 placeholder(s) '?', got 1 parameter(s)",
      extensions: { code: 'BAD_USER_INPUT', argument: 'parameters' },
    });
    const unknown = await t.gql(`mutation { runQuery(name: "nope") { state } }`);
    expect(unknown.errors[0]).toMatchObject({
      message: "name: no named query 'nope'; configured: ticks_per_symbol, ticks_of, numbers, nested, mistyped",
      extensions: { code: 'NOT_FOUND', argument: 'name' },
    });
  });

  it('pages a 2,500-row result with rows(first:, after:): every row once, in order, one Athena page per 1,000 rows', async () => {
    const run = await t.gql(`mutation { runQuery(name: "numbers") { id } }`);
    const id = run.data.runQuery.id;
    const before = await calls('GetQueryResults');
    const seen: number[] = [];
    let after: string | null = null;
    let pages = 0;
    for (;;) {
      const body: any = await t.gql(
        /* GraphQL */ `query ($id: ID!, $after: String) {
          queryExecution(id: $id) { rows(first: 700, after: $after) { edges { cursor node { values } } pageInfo { hasNextPage endCursor } } }
        }`,
        { id, after },
      );
      expect(body.errors).toBeUndefined();
      const rows = body.data.queryExecution.rows;
      seen.push(...rows.edges.map((e: any) => e.node.values.n));
      pages++;
      if (!rows.pageInfo.hasNextPage) break;
      after = rows.pageInfo.endCursor;
    }
    expect(pages).toBe(4);
    expect(seen).toStrictEqual(Array.from({ length: 2500 }, (_, i) => i));
    // 3 Athena pages (1000 + 1000 + 500), each fetched once and then served from the cache, all decoded
    // by the one decoder built for the result (its columns are the same object on every page).
    expect((await calls('GetQueryResults')) - before).toBe(3);
    const first = await t.app.services.athena.page(id, null);
    const second = await t.app.services.athena.page(id, nextRef(first));
    expect(second.columns).toBe(first.columns);
  });

  it('fetches only the page the asked-for rows sit on', async () => {
    const run = await t.gql(`mutation { runSql(sql: "SELECT n FROM UNNEST(sequence(0, 4999)) AS t(n) ORDER BY n") { id } }`);
    const before = await calls('GetQueryResults');
    const body = await t.gql(`query ($id: ID!) { queryExecution(id: $id) { rows(first: 100) { edges { node { values } } } } }`, {
      id: run.data.runSql.id,
    });
    expect(body.data.queryExecution.rows.edges).toHaveLength(100);
    expect((await calls('GetQueryResults')) - before).toBe(1);
  });

  it('has the next two pages on their way while a reader pages with first: 1000, and no more', async () => {
    const run = await t.gql(`mutation { runSql(sql: "SELECT n FROM UNNEST(sequence(0, 4999)) AS t(n) ORDER BY n") { id } }`);
    const id = run.data.runSql.id;
    const before = await calls('GetQueryResults');
    const fetched = async (expected: number): Promise<number> => {
      for (let i = 0; i < 250 && (await calls('GetQueryResults')) - before < expected; i++) await new Promise((r) => setTimeout(r, 20));
      await new Promise((r) => setTimeout(r, 150)); // long enough for a fetch beyond the bound to show
      return (await calls('GetQueryResults')) - before;
    };
    const read = (after: string | null) =>
      t.gql(`query ($id: ID!, $after: String) { queryExecution(id: $id) { rows(first: 1000, after: $after) { pageInfo { endCursor } } } }`, {
        id,
        after,
      });
    // Rows 0-999 sit on pages 1 (999 rows) and 2; pages 3 and 4 are fetched ahead.
    const first = await read(null);
    expect(await fetched(4)).toBe(4);
    // Rows 1000-1999 are on pages 2 and 3, both at hand; pages 4 (on hand) and 5 are fetched ahead.
    await read(first.data.queryExecution.rows.pageInfo.endCursor);
    expect(await fetched(5)).toBe(5);
  });

  it('batches queryExecutions through DataLoader: 120 ids → 3 BatchGetQueryExecution calls, a repeated id fetched once', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 120; i++) ids.push(await t.app.services.athena.start({ sql: `SELECT ${i} AS i` }));
    const batches = await calls('BatchGetQueryExecution');
    const gets = await calls('GetQueryExecution');
    const body = await t.gql(
      /* GraphQL */ `query ($ids: [ID!]!, $one: ID!) { queryExecutions(ids: $ids) { id sql } again: queryExecution(id: $one) { id } }`,
      { ids, one: ids[7] },
    );
    expect(body.errors).toBeUndefined();
    expect(body.data.queryExecutions.map((e: any) => e.id)).toStrictEqual(ids);
    expect(body.data.queryExecutions[5].sql).toBe('SELECT 5 AS i');
    expect((await calls('BatchGetQueryExecution')) - batches).toBe(3);
    expect((await calls('GetQueryExecution')) - gets).toBe(0);
  });

  it('answers null for an execution id Athena does not know', async () => {
    const body = await t.gql(`{ queryExecution(id: "00000000-0000-0000-0000-000000000000") { id } queryExecutions(ids: ["nope"]) { id } }`);
    expect(body).toStrictEqual({ data: { queryExecution: null, queryExecutions: [null] } });
  });

  it('knows an unknown id from results not yet there by asking Athena, not by reading its message', async () => {
    // Athena refuses both with the same InvalidRequestException; only the execution's existence tells them apart.
    const unknown = '00000000-0000-0000-0000-000000000000';
    await expect(t.app.services.athena.page(unknown, null)).rejects.toMatchObject({ extensions: { code: 'NOT_FOUND' } });
    const stop = await t.gql(`mutation ($id: ID!) { stopQuery(id: $id) { id } }`, { id: unknown });
    expect(stop.errors[0].extensions).toMatchObject({ code: 'NOT_FOUND', argument: 'id' });
    const id = await t.app.services.athena.start({ sql: SLOW_QUERY });
    try {
      await expect(t.app.services.athena.page(id, null)).rejects.toMatchObject({
        extensions: { code: 'QUERY_NOT_READY', queryExecutionId: id },
      });
    } finally {
      await t.app.services.athena.stop(id);
    }
  });

  it('turns FAILED into a coded error carrying Athena\'s reason', async () => {
    const body = await t.gql(`mutation { runSql(sql: "SELEC 1") { id } }`);
    expect(body.data).toBeNull();
    expect(body.errors[0].extensions).toMatchObject({ code: 'QUERY_FAILED', reason: expect.stringMatching(/^line 1:1: mismatched input 'SELEC'\. Expecting: /) });

    const started = await t.gql(`mutation { runSql(sql: "SELECT * FROM no_such_table", wait: false) { id } }`);
    const id = started.data.runSql.id;
    await t.app.services.athena.wait(id).catch(() => undefined);
    const rows = await t.gql(`query ($id: ID!) { queryExecution(id: $id) { state stateChangeReason rows { edges { cursor } } } }`, { id });
    expect(rows.data.queryExecution).toBeNull();
    expect(rows.errors[0].extensions).toMatchObject({ code: 'QUERY_FAILED', queryExecutionId: id });
  });

  it('turns CANCELLED into a coded error', async () => {
    const started = await t.gql(`mutation ($sql: String!) { runSql(sql: $sql, wait: false) { id } }`, { sql: SLOW_QUERY });
    const id = started.data.runSql.id;
    while ((await t.app.services.athena.get(id)).state !== 'RUNNING') await new Promise((r) => setTimeout(r, 20));
    const stopped = await t.gql(`mutation ($id: ID!) { stopQuery(id: $id) { id } }`, { id });
    expect(stopped.errors).toBeUndefined();
    await t.app.services.athena.wait(id).catch(() => undefined);
    const body = await t.gql(`query ($id: ID!) { queryExecution(id: $id) { state rows { edges { cursor } } } }`, { id });
    expect(body.errors[0].extensions).toMatchObject({ code: 'QUERY_CANCELLED', queryExecutionId: id });
  });

  it('stops waiting at the time limit with a coded error and leaves the query running', async () => {
    const id = await t.app.services.athena.start({ sql: SLOW_QUERY });
    try {
      await expect(t.app.services.athena.wait(id, 300)).rejects.toMatchObject({
        extensions: { code: 'QUERY_TIMEOUT', queryExecutionId: id },
      });
      expect(['QUEUED', 'RUNNING']).toContain((await t.app.services.athena.get(id)).state);
    } finally {
      await t.app.services.athena.stop(id);
    }
  });

  it('rejects bad paging arguments with coded errors naming them', async () => {
    const run = await t.gql(`mutation { runQuery(name: "ticks_per_symbol") { id } }`);
    const id = run.data.runQuery.id;
    const bad = await t.gql(`query ($id: ID!) { queryExecution(id: $id) { rows(after: "garbage!") { edges { cursor } } } }`, { id });
    expect(bad.errors[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', argument: 'after' } });
    const big = await t.gql(`query ($id: ID!) { queryExecution(id: $id) { rows(first: 5000) { edges { cursor } } } }`, { id });
    expect(big.errors[0]).toMatchObject({ message: 'first: expected 0 to 1000, got 5000', extensions: { code: 'BAD_USER_INPUT', argument: 'first' } });
    const hint = await t.gql(`query ($id: ID!) { queryExecution(id: $id) { rows(types: [{ column: "nope", type: "array(integer)" }]) { edges { cursor } } } }`, { id });
    expect(hint.errors[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', argument: 'types' } });
  });

  it('refuses forged cursors, and nothing a client sends changes what another client reads', async () => {
    const id = (await t.gql(`mutation { runQuery(name: "numbers") { id } }`)).data.runQuery.id;
    const twin = (await t.gql(`mutation { runQuery(name: "numbers") { id } }`)).data.runQuery.id;
    const read = (execution: string, after: string | null) =>
      t.gql(`query ($id: ID!, $after: String) { queryExecution(id: $id) { rows(first: 5, after: $after) { edges { cursor node { values } } } } }`, {
        id: execution,
        after,
      });
    // A real cursor into the twin's second Athena page: its token is one Athena issued, for the twin only.
    const twinPage2 = (await t.gql(`query ($id: ID!) { queryExecution(id: $id) { rows(first: 1000) { pageInfo { endCursor } } } }`, { id: twin }))
      .data.queryExecution.rows.pageInfo.endCursor;
    const [, twinToken] = JSON.parse(Buffer.from(twinPage2, 'base64url').toString('utf8'));
    expect(typeof twinToken).toBe('string');

    const forged = [
      'WyIiLDBd', // ["",0]: an empty token, once read as "no token" with the header row kept
      cursorOf(id, '', 0),
      cursorOf(id, 'not-a-token', 0), // a token Athena rejects
      cursorOf(id, twinToken, 0), // a token of another execution
      cursorOf(id, null, 998 + 1), // past the 999 data rows of page 1
      cursorOf(id, null, -1),
      cursorOf(twin, null, 0), // a cursor of another execution
      cursorOf(null, 0),
      cursorOf(id, null, 0, -1), // not a page number
      cursorOf(id, null, 0, 'one'),
      cursorOf(id, 'x', 0, 0), // page 0 has no token
      cursorOf(id, twinToken, 0, 1), // the twin's token for page 1
      cursorOf(id, null, 5, 9), // a page past the last
    ];
    for (const after of forged) {
      const body = await read(id, after);
      expect({ after, data: body.data, errors: body.errors?.map((e: any) => e.extensions) }).toStrictEqual({
        after,
        data: { queryExecution: null },
        errors: [{ code: 'BAD_USER_INPUT', argument: 'after' }],
      });
    }

    const fresh = await read(id, null);
    expect(fresh.data.queryExecution.rows.edges.map((e: any) => e.node.values.n)).toStrictEqual([0, 1, 2, 3, 4]);
    const next = await read(id, fresh.data.queryExecution.rows.edges[4].cursor);
    expect(next.data.queryExecution.rows.edges.map((e: any) => e.node.values.n)).toStrictEqual([5, 6, 7, 8, 9]);
    const across = await read(twin, fresh.data.queryExecution.rows.edges[4].cursor);
    expect(across.errors[0].extensions).toStrictEqual({ code: 'BAD_USER_INPUT', argument: 'after' });

    // Below the API: an empty token is a token, not page 1, and a page at a token Athena did not issue (the
    // embedded endpoint's tokens are readable, so one can be made that it accepts) is served but never cached.
    const athena = t.app.services.athena;
    await expect(athena.page(id, { page: 1, token: '' })).rejects.toBeInstanceOf(PageTokenRejected);
    const made = Buffer.from(JSON.stringify({ id, offset: 7 })).toString('base64url');
    const before = await calls('GetQueryResults');
    expect((await athena.page(id, { page: 1, token: made })).values[0]).toStrictEqual([6, '6']);
    expect((await athena.page(id, { page: 1, token: made })).values[0]).toStrictEqual([6, '6']);
    expect((await calls('GetQueryResults')) - before).toBe(2);
    expect((await athena.page(id, null)).values[0]).toStrictEqual([0, '0']);
  });

  it('decodes varbinary of any length as Athena prints it (Trino\'s layout), through the embedded endpoint', async () => {
    const bytes = Buffer.from(Array.from({ length: 100 }, (_, i) => (i * 37 + 11) % 256));
    const run = await t.gql(`mutation ($sql: String!) { runSql(sql: $sql) { rows { edges { node { values cells { raw } } } } } }`, {
      sql: `SELECT from_hex('${bytes.toString('hex')}') AS b, from_hex('') AS e, from_hex('000102030405060708') AS nine`,
    });
    expect(run.errors).toBeUndefined();
    const [node] = run.data.runSql.rows.edges.map((e: any) => e.node);
    expect(node.values).toStrictEqual({ b: bytes.toString('base64'), e: '', nine: 'AAECAwQFBgcI' });
    expect(node.cells[2].raw).toBe('00 01 02 03 04 05 06 07   08');
    expect(node.cells[0].raw.split('\n')).toHaveLength(4);
  });

  it('keeps big numbers in json cells exact', async () => {
    const run = await t.gql(`mutation { runSql(sql: "SELECT json_parse('{\\"id\\": 9223372036854775807, \\"x\\": 1.5}') AS j") { rows { edges { node { values } } } } }`);
    expect(run.errors).toBeUndefined();
    expect(run.data.runSql.rows.edges[0].node.values).toStrictEqual({ j: { id: '9223372036854775807', x: 1.5 } });
  });

  it("decodes a named query's rows with its configured types; the client's types win per column", async () => {
    const run = await t.gql(`mutation { runQuery(name: "nested") { id rows { edges { node { values } } } } }`);
    expect(run.errors).toBeUndefined();
    expect(run.data.runQuery.rows.edges[0].node.values).toStrictEqual({ xs: [1, 2, null], ys: ['3'] });
    const body = await t.gql(
      `query ($id: ID!) { queryExecution(id: $id) { rows(types: [{ column: "ys", type: "array(bigint)" }, { column: "xs", type: "array(varchar)" }]) { edges { node { values } } } } }`,
      { id: run.data.runQuery.id },
    );
    expect(body.data.queryExecution.rows.edges[0].node.values).toStrictEqual({ xs: ['1', '2', null], ys: [3] });
  });

  it('refuses to decode a named query whose configured types name no column of its result', async () => {
    const run = await t.gql(`mutation { runQuery(name: "mistyped") { state rows { edges { node { values } } } } }`);
    expect(run.data).toBeNull();
    expect(run.errors[0].extensions).toMatchObject({ code: 'INTERNAL_SERVER_ERROR' });
    // The client's own types are not the problem: no BAD_USER_INPUT, and the reason is in the server's log.
  });

  it('answers a reused idempotency token with a different request as BAD_USER_INPUT, not BACKEND_UNAVAILABLE', async () => {
    const token = 'gapwatch-test-token-0123456789abcdef';
    const first = await t.gql(`mutation ($token: String) { runQuery(name: "ticks_per_symbol", clientRequestToken: $token) { id } }`, { token });
    expect(first.errors).toBeUndefined();
    const same = await t.gql(`mutation ($token: String) { runQuery(name: "ticks_per_symbol", clientRequestToken: $token) { id } }`, { token });
    expect(same.data.runQuery.id).toBe(first.data.runQuery.id);
    const other = await t.gql(`mutation ($token: String) { runQuery(name: "numbers", clientRequestToken: $token) { id } }`, { token });
    expect(other.data).toBeNull();
    expect(other.errors[0].extensions).toStrictEqual({ code: 'BAD_USER_INPUT', argument: 'clientRequestToken' });
  });

  it('decodes nested values with a type hint', async () => {
    const run = await t.gql(`mutation { runSql(sql: "SELECT ARRAY[1, 2, NULL] AS xs, CAST(ROW(1, 'abc') AS ROW(x integer, y varchar)) AS r") { id } }`);
    const id = run.data.runSql.id;
    const body = await t.gql(
      `query ($id: ID!) { queryExecution(id: $id) {
        plain: rows { edges { node { values } } }
        hinted: rows(types: [{ column: "xs", type: "array(integer)" }, { column: "r", type: "row(x integer, y varchar)" }]) { edges { node { values } } }
      } }`,
      { id },
    );
    expect(body.errors).toBeUndefined();
    expect(body.data.queryExecution.plain.edges[0].node.values).toStrictEqual({ xs: ['1', '2', null], r: { x: '1', y: 'abc' } });
    expect(body.data.queryExecution.hinted.edges[0].node.values).toStrictEqual({ xs: [1, 2, null], r: { x: 1, y: 'abc' } });
  });

  it('still succeeds when Athena throttles 30% of calls (the SDK\'s adaptive retries absorb it)', async () => {
    await t.app.embedded!.injectFaults({ rate: 0.3, code: 'ThrottlingException', seed: 42 });
    try {
      const body = await t.gql(`mutation { runQuery(name: "numbers") { state rows(first: 1000) { edges { cursor } pageInfo { hasNextPage } } } }`);
      expect(body.errors).toBeUndefined();
      expect(body.data.runQuery.state).toBe('SUCCEEDED');
      expect(body.data.runQuery.rows.edges).toHaveLength(1000);
    } finally {
      await t.app.embedded!.injectFaults(null);
    }
  });

  it('keeps raw SQL off unless the deployment allows it', async () => {
    const locked = await startTestApp();
    try {
      const body = await locked.gql(`mutation { runSql(sql: "SELECT 1") { id } }`);
      expect(body.errors[0].extensions).toStrictEqual({ code: 'FORBIDDEN' });
    } finally {
      await locked.stop();
    }
  });
});
