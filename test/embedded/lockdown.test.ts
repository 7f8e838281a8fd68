/**
 * The embedded engine tried as an attacker would (issue 11): every finding here was reproduced against the
 * endpoint with the real SDK client (or raw HTTP where the SDK cannot send the request), and must stay
 * impossible.
 */
import { InvalidRequestException, StartQueryExecutionCommand, StopQueryExecutionCommand, TooManyRequestsException } from '@aws-sdk/client-athena';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { athenaClient, refusal, resultRows, runQuery, SLOW_QUERY, startHarness, tempDir, waitForState, type Harness } from './helpers';

let h: Harness;
const files = tempDir('gapwatch-lockdown-files-');
const outside = tempDir('gapwatch-lockdown-outside-');
const trades = join(files.path, 'trades.csv');
const ticksDir = join(files.path, 'ticks');

beforeAll(async () => {
  writeFileSync(trades, 'symbol,px\nAMZN,1.5\nGOOG,2.5\n');
  mkdirSync(join(ticksDir, 'symbol=AMZN'), { recursive: true });
  mkdirSync(join(ticksDir, 'symbol=GOOG'), { recursive: true });
  writeFileSync(join(ticksDir, 'symbol=AMZN', 'part-0.csv'), 'n\n1\n2\n');
  writeFileSync(join(ticksDir, 'symbol=GOOG', 'part-0.csv'), 'n\n3\n');
  writeFileSync(join(outside.path, 'secret.csv'), 'secret\nhunter2\n');
  h = await startHarness({
    tables: [
      { database: 'lake', name: 'trades', location: trades, format: 'csv' },
      { database: 'lake', name: 'ticks', location: ticksDir, format: 'csv' },
    ],
  });
});
afterAll(async () => {
  await h.stop();
  files.remove();
  outside.remove();
});

const failure = (sql: string, params?: string[]): Promise<string> => refusal(h.client, sql, params ? { ExecutionParameters: params } : {});
const SYNTAX = /^InvalidRequestException: line 1:\d+: /;

describe('external access is off except reading the configured tables', () => {
  it('refuses to read host files', async () => {
    // DuckDB's table functions are not Athena SQL: refused before they reach DuckDB, whose lock-down stays behind.
    expect(await failure("SELECT * FROM read_csv('/etc/passwd')")).toMatch(SYNTAX);
    expect(await failure(`SELECT * FROM read_csv('${join(outside.path, 'secret.csv')}')`)).toMatch(SYNTAX);
    expect(await failure("SELECT * FROM glob('/*')")).toMatch(SYNTAX);
    expect(await failure("SELECT read_csv('/etc/passwd')")).toBe('NOT_SUPPORTED: The function read_csv is not supported by the embedded Athena endpoint');
    expect(await failure('SELECT * FROM "read_csv"')).toMatch(/^TABLE_NOT_FOUND: /);
  });

  it('refuses COPY … TO, EXPORT, ATTACH, INSTALL and LOAD, even into a table location', async () => {
    // DuckDB checks a path while preparing, so a path outside the tables is refused as a file first.
    const target = join(outside.path, 'out.csv');
    expect(await failure(`COPY (SELECT 1) TO '${target}'`)).toMatch(SYNTAX);
    expect(await failure(`COPY (SELECT 1) TO '${join(ticksDir, 'planted.csv')}'`)).toMatch(SYNTAX);
    expect(await failure(`EXPORT DATABASE '${join(outside.path, 'dump')}'`)).toMatch(SYNTAX);
    expect(await failure(`ATTACH '${join(outside.path, 'x.duckdb')}' AS x`)).toMatch(SYNTAX);
    expect(await failure("ATTACH ':memory:' AS x")).toMatch(SYNTAX);
    expect(await failure('INSTALL httpfs')).toMatch(SYNTAX);
    expect(await failure('LOAD icu')).toMatch(SYNTAX);
    expect(await failure('CALL system.sync_partition_metadata(1)')).toBe('NOT_SUPPORTED: CALL statements are not supported by the embedded Athena endpoint');
    expect(existsSync(target)).toBe(false);
    expect(existsSync(join(ticksDir, 'planted.csv'))).toBe(false);
    expect(existsSync(join(outside.path, 'x.duckdb'))).toBe(false);
  });

  it('keeps its configuration: SET / PRAGMA / RESET from a query cannot affect later queries', async () => {
    expect(await failure("SET memory_limit = '1MB'")).toMatch(SYNTAX);
    expect(await failure("SET GLOBAL memory_limit = '1MB'")).toMatch(SYNTAX);
    expect(await failure("PRAGMA memory_limit = '1MB'")).toMatch(SYNTAX);
    expect(await failure('SET SESSION integer_division = false')).toBe('NOT_SUPPORTED: SET SESSION statements are not supported by the embedded Athena endpoint');
    expect(await failure("SELECT current_setting('memory_limit')")).toMatch(/^NOT_SUPPORTED: The function current_setting/);
    const after = await runQuery(h.client, 'SELECT 7 / 2');
    expect((await resultRows(h.client, after.id))[1]).toStrictEqual(['3']);
  });

  it('still reads the configured file and hive-partitioned folder tables, and writes its own tables', async () => {
    const t = await runQuery(h.client, 'SELECT symbol FROM lake.trades ORDER BY 1');
    expect((await resultRows(h.client, t.id)).slice(1)).toStrictEqual([['AMZN'], ['GOOG']]);
    const p = await runQuery(h.client, 'SELECT sum(n) FROM lake.ticks');
    expect((await resultRows(h.client, p.id))[1]).toStrictEqual(['6']);
    await runQuery(h.client, 'CREATE TABLE market.repaired (symbol VARCHAR, n INTEGER)');
    const ins = await runQuery(h.client, 'INSERT INTO market.repaired SELECT symbol, 1 FROM market.ticks WHERE symbol = ? LIMIT 2', {
      ExecutionParameters: ["'AMZN'"],
    });
    expect(ins.execution.Status!.State).toBe('SUCCEEDED');
    const back = await runQuery(h.client, 'SELECT count(*) FROM market.repaired');
    expect((await resultRows(h.client, back.id))[1]).toStrictEqual(['2']);
  });
});

describe('execution parameters bind as exactly one value', () => {
  const SQL = 'SELECT count(*) FROM market.ticks WHERE symbol = ? AND volume >= ?';

  it("refuses the E-string injection that made `WHERE symbol = ? AND n >= ?` match every row", async () => {
    expect(await failure(SQL, ["VARCHAR E'x\\'", "' AS VARCHAR)) OR TRUE --'"])).toMatch(/^INVALID_PARAMETER_USAGE: Execution parameter 1 is not a literal value/);
  });

  it('binds quotes, backslashes, comments and semicolons inside a string as text', async () => {
    for (const p of ["'x\\'", "' OR TRUE --'", "'AMZN'' OR ''1''=''1'", "'; DROP TABLE market.ticks; --'"]) {
      const { id, execution } = await runQuery(h.client, 'SELECT count(*) FROM market.ticks WHERE symbol = ?', { ExecutionParameters: [p] });
      expect(execution.Status!.State).toBe('SUCCEEDED');
      expect((await resultRows(h.client, id))[1]).toStrictEqual(['0']);
    }
    const echo = await runQuery(h.client, 'SELECT ?, ?', { ExecutionParameters: ["'a\\'''", "'--'"] });
    expect((await resultRows(h.client, echo.id))[1]).toStrictEqual(["a\\'", '--']);
  });

  it('refuses parameters longer than Athena allows (1024 characters), deep nesting included', async () => {
    const deep = `${'ARRAY['.repeat(100_000)}1${']'.repeat(100_000)}`;
    const err = await h.client
      .send(new StartQueryExecutionCommand({ QueryString: 'SELECT ?', ExecutionParameters: [deep] }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidRequestException);
    expect((err as Error).message).toBe('ExecutionParameters must be a non-empty list of strings of 1 to 1024 characters');
    const nested = (depth: number) => `${'ARRAY['.repeat(depth)}1${']'.repeat(depth)}`;
    const { id } = await runQuery(h.client, 'SELECT cardinality(?)', { ExecutionParameters: [nested(30)] });
    expect((await resultRows(h.client, id))[1]).toStrictEqual(['1']);
    // Each new depth costs the grammar more to predict, so nesting is bounded (sql/parse.ts MAX_NESTING).
    expect(await failure('SELECT cardinality(?)', [nested(140)])).toMatch(/^INVALID_PARAMETER_USAGE: Execution parameter 1 is not a literal value \(line 1:\d+: Brackets nested deeper than 32 levels/);
    expect(await failure(`SELECT ${'('.repeat(200)}1${')'.repeat(200)}`)).toMatch(/^NOT_SUPPORTED: line 1:40: Brackets nested deeper than 32 levels/);
  });

  it('keeps typed literals, numbers and arrays working', async () => {
    const { id } = await runQuery(
      h.client,
      'SELECT count(*) FROM market.ticks WHERE symbol = ? AND capture_datetime >= ? AND capture_datetime < ? AND volume >= ?',
      { ExecutionParameters: ["'AMZN'", "TIMESTAMP '2024-03-05 13:00:00'", "TIMESTAMP '2024-03-05 15:00:00'", '0'] },
    );
    const rows = await resultRows(h.client, id);
    expect(Number(rows[1][0])).toBeGreaterThan(40);
    expect(Number(rows[1][0])).toBeLessThan(61);
    const typed = await runQuery(h.client, 'SELECT ?, ?, ?, ?, ?', {
      ExecutionParameters: ["DATE '2024-01-02'", "DECIMAL '1.20'", "INTERVAL '2' DAY", "ARRAY['a', 'b''c']", "X'00ff'"],
    });
    expect((await resultRows(h.client, typed.id))[1]).toStrictEqual(['2024-01-02', '1.20', '2 00:00:00.000', "[a, b'c]", '00 ff']);
  });
});

describe('the queue of QUEUED queries is bounded', () => {
  it('answers TooManyRequestsException past the bound, as Athena does, and accepts again once it drains', async () => {
    const small = await startHarness({ limits: { maxQueued: 2 } });
    const client = athenaClient(small.endpoint.url, 1);
    try {
      const ids: string[] = [];
      // 4 run at once, 2 wait: the seventh has no room.
      for (let i = 0; i < 6; i++) ids.push((await client.send(new StartQueryExecutionCommand({ QueryString: SLOW_QUERY }))).QueryExecutionId!);
      const err = await client.send(new StartQueryExecutionCommand({ QueryString: 'SELECT 1' })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(TooManyRequestsException);
      expect((err as TooManyRequestsException).Reason).toBe('CONCURRENT_QUERY_LIMIT_EXCEEDED');
      expect((err as Error).message).toMatch(/2 queries are already queued/);
      for (const id of ids) await client.send(new StopQueryExecutionCommand({ QueryExecutionId: id }));
      for (const id of ids) await waitForState(client, id);
      const { execution } = await runQuery(client, 'SELECT 1');
      expect(execution.Status!.State).toBe('SUCCEEDED');
    } finally {
      client.destroy();
      await small.stop();
    }
  });
});

/** A raw request to the endpoint, for what the SDK will not send (odd targets, foreign Host headers). */
function raw(url: string, headers: Record<string, string>, body = '{}'): Promise<{ status: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'Content-Type': 'application/x-amz-json-1.1', ...headers } }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (b: Buffer) => parts.push(b));
      res.on('end', () => resolve({ status: res.statusCode!, body: JSON.parse(Buffer.concat(parts).toString('utf8')) as Record<string, unknown> }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('routing', () => {
  it.each(['__proto__', 'hasOwnProperty', 'constructor', 'toString', 'valueOf'])(
    'answers AmazonAthena.%s with UnknownOperationException 400, never a prototype lookup',
    async (op) => {
      const res = await raw(h.endpoint.url, { 'X-Amz-Target': `AmazonAthena.${op}` });
      expect(res.status).toBe(400);
      expect(res.body.__type).toBe('UnknownOperationException');
    },
  );

  it('counts odd operation names without touching the counter object prototype', async () => {
    await raw(h.endpoint.url, { 'X-Amz-Target': 'AmazonAthena.__proto__' });
    const counts = await h.endpoint.calls();
    expect(Object.getPrototypeOf(counts)).toBe(Object.prototype);
    expect(counts.GetQueryExecution ?? 0).toBeGreaterThanOrEqual(0);
  });
});

describe('the endpoint answers only loopback Host names (no DNS rebinding)', () => {
  const port = (): string => new URL(h.endpoint.url).port;

  it.each(['evil.example', 'evil.example:4566', '10.0.0.1', '127.0.0.1.nip.io', 'localhost.evil.example'])('refuses Host %p', async (host) => {
    const res = await raw(h.endpoint.url, { Host: host, 'X-Amz-Target': 'AmazonAthena.ListQueryExecutions' });
    expect(res.status).toBe(403);
    expect(res.body.__type).toBe('AccessDeniedException');
  });

  it.each(['127.0.0.1', 'localhost', '[::1]', 'LOCALHOST'])('accepts Host %s with and without a port', async (name) => {
    for (const host of [name, `${name}:${port()}`]) {
      const res = await raw(h.endpoint.url, { Host: host, 'X-Amz-Target': 'AmazonAthena.ListQueryExecutions' });
      expect(res.status).toBe(200);
    }
  });
});
