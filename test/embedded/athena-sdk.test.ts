import {
  AthenaServiceException,
  BatchGetQueryExecutionCommand,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  InvalidRequestException,
  ListQueryExecutionsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
} from '@aws-sdk/client-athena';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { HOURLY_COUNTS, readFixture } from '../support/fixtures';
import { allPages, athenaClient, numbers, resultRows, runQuery, SLOW_QUERY, startHarness, waitForState, type Harness } from './helpers';

/** A query that runs until interrupted: a cross join of 10^8 × 10^6 rows with an impossible filter. */

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ workGroups: ['listing'] });
});
afterAll(async () => {
  await h.stop();
});

async function expectInvalidRequest(p: Promise<unknown>, message: string | RegExp): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InvalidRequestException);
  expect((err as InvalidRequestException).message).toMatch(message);
}

describe('StartQueryExecution → GetQueryExecution', () => {
  it('runs a query to SUCCEEDED with Athena-shaped status, statistics and context', async () => {
    const { id, execution } = await runQuery(h.client, 'SELECT symbol, count(*) FROM ticks GROUP BY 1', {
      QueryExecutionContext: { Database: 'market' },
      WorkGroup: 'primary',
    });
    expect(execution.QueryExecutionId).toBe(id);
    expect(execution.Query).toBe('SELECT symbol, count(*) FROM ticks GROUP BY 1');
    expect(execution.StatementType).toBe('DML');
    expect(execution.WorkGroup).toBe('primary');
    expect(execution.QueryExecutionContext).toStrictEqual({ Database: 'market' });
    expect(execution.ResultConfiguration).toStrictEqual({ OutputLocation: `s3://gapwatch-embedded/results/${id}.csv` });
    expect(execution.EngineVersion).toStrictEqual({ SelectedEngineVersion: 'AUTO', EffectiveEngineVersion: 'Athena engine version 3' });
    const status = execution.Status!;
    expect(status.State).toBe('SUCCEEDED');
    expect(status.SubmissionDateTime).toBeInstanceOf(Date);
    expect(status.CompletionDateTime).toBeInstanceOf(Date);
    expect(status.CompletionDateTime!.getTime()).toBeGreaterThanOrEqual(status.SubmissionDateTime!.getTime());
    const stats = execution.Statistics!;
    for (const k of ['EngineExecutionTimeInMillis', 'DataScannedInBytes', 'TotalExecutionTimeInMillis', 'QueryQueueTimeInMillis'] as const) {
      expect(typeof stats[k]).toBe('number');
    }
    expect(stats.DataScannedInBytes).toBeGreaterThan(0);
  });

  it('starts QUEUED or RUNNING: StartQueryExecution returns before the query finishes', async () => {
    const { QueryExecutionId } = await h.client.send(new StartQueryExecutionCommand({ QueryString: SLOW_QUERY }));
    const first = await h.client.send(new GetQueryExecutionCommand({ QueryExecutionId }));
    expect(['QUEUED', 'RUNNING']).toContain(first.QueryExecution!.Status!.State);
    await h.client.send(new StopQueryExecutionCommand({ QueryExecutionId }));
    expect((await waitForState(h.client, QueryExecutionId!)).Status!.State).toBe('CANCELLED');
  });

  it('classifies statements as DDL, DML and UTILITY', async () => {
    const ddl = await runQuery(h.client, 'CREATE TABLE IF NOT EXISTS scratch_ddl (a INTEGER)');
    const util = await runQuery(h.client, 'DESCRIBE market.ticks');
    const ctas = await runQuery(h.client, 'CREATE TABLE scratch_ctas AS SELECT 1 AS a');
    expect([ddl.execution.StatementType, util.execution.StatementType, ctas.execution.StatementType]).toStrictEqual(['DDL', 'UTILITY', 'DML']);
    expect(ddl.execution.Status!.State).toBe('SUCCEEDED');
    expect(ddl.execution.ResultConfiguration!.OutputLocation).toBe(`s3://gapwatch-embedded/results/${ddl.id}.txt`);
  });

  it('reports INSERT row counts as UpdateCount with no rows', async () => {
    await runQuery(h.client, 'CREATE TABLE scratch_insert (a INTEGER)');
    const { id, execution } = await runQuery(h.client, 'INSERT INTO scratch_insert VALUES (1), (2), (3)');
    expect(execution.Status!.State).toBe('SUCCEEDED');
    const res = await h.client.send(new GetQueryResultsCommand({ QueryExecutionId: id }));
    expect(res.UpdateCount).toBe(3);
    expect(res.ResultSet).toStrictEqual({ Rows: [], ResultSetMetadata: { ColumnInfo: [] } });
  });

  it('uses the OutputLocation given in ResultConfiguration', async () => {
    const { id, execution } = await runQuery(h.client, 'SELECT 1', { ResultConfiguration: { OutputLocation: 's3://my-bucket/athena/' } });
    expect(execution.ResultConfiguration).toStrictEqual({ OutputLocation: `s3://my-bucket/athena/${id}.csv` });
  });
});

describe('failures and cancellation', () => {
  it('refuses a syntax error at StartQueryExecution with Trino\'s position, storing nothing, as Athena does', async () => {
    const before = await h.client.send(new ListQueryExecutionsCommand({}));
    await expectInvalidRequest(h.client.send(new StartQueryExecutionCommand({ QueryString: 'SELEC 1' })), /^line 1:1: mismatched input 'SELEC'\. Expecting: /);
    await expectInvalidRequest(
      h.client.send(new StartQueryExecutionCommand({ QueryString: 'SELECT a,\n  FROM t' })),
      /^line 2:3: mismatched input 'FROM'\. Expecting: /,
    );
    await expectInvalidRequest(h.client.send(new StartQueryExecutionCommand({ QueryString: 'SELECT 1 +' })), /^line 1:11: mismatched input '<EOF>'\. Expecting: /);
    // DuckDB's own syntax is not Athena's.
    await expectInvalidRequest(h.client.send(new StartQueryExecutionCommand({ QueryString: 'FROM market.ticks SELECT symbol' })), /^line 1:1: mismatched input 'FROM'/);
    await expectInvalidRequest(h.client.send(new StartQueryExecutionCommand({ QueryString: 'SELECT 1::varchar' })), /^line 1:9: mismatched input ':'/);
    await expectInvalidRequest(h.client.send(new StartQueryExecutionCommand({ QueryString: 'SELECT 7 // 2' })), /^line 1:11: mismatched input '\/'/);
    const after = await h.client.send(new ListQueryExecutionsCommand({}));
    expect(after.QueryExecutionIds).toStrictEqual(before.QueryExecutionIds);
  });

  it('fails at run time, as a user error, what Athena accepts and then fails', async () => {
    const { id, execution } = await runQuery(h.client, 'SELECT 1 / 0');
    const status = execution.Status!;
    expect(status.State).toBe('FAILED');
    expect(status.StateChangeReason).toBe('DIVISION_BY_ZERO: Division by zero');
    expect(status.AthenaError).toStrictEqual({ ErrorCategory: 2, ErrorType: 1001, Retryable: false, ErrorMessage: status.StateChangeReason });
    await expectInvalidRequest(
      h.client.send(new GetQueryResultsCommand({ QueryExecutionId: id })),
      'Query did not finish successfully. Final query state: FAILED',
    );
  });

  it('fails an unknown table and an unknown database like Athena', async () => {
    const table = await runQuery(h.client, 'SELECT * FROM market.nope');
    expect(table.execution.Status!.StateChangeReason).toMatch(/^TABLE_NOT_FOUND: /);
    const db = await runQuery(h.client, 'SELECT 1', { QueryExecutionContext: { Database: 'nodb' } });
    expect(db.execution.Status!.StateChangeReason).toBe("SCHEMA_NOT_FOUND: line 1:1: Schema 'nodb' does not exist");
  });

  it('allows only one statement per query', async () => {
    const { execution } = await runQuery(h.client, 'SELECT 1; SELECT 2');
    expect(execution.Status!.StateChangeReason).toBe('INVALID_INPUT: Only one sql statement is allowed. Got: SELECT 1; SELECT 2');
  });

  it('stops a running query: CANCELLED, and results are refused while it runs', async () => {
    const { QueryExecutionId } = await h.client.send(new StartQueryExecutionCommand({ QueryString: SLOW_QUERY }));
    await waitForState(h.client, QueryExecutionId!, ['RUNNING']);
    await expectInvalidRequest(
      h.client.send(new GetQueryResultsCommand({ QueryExecutionId })),
      'Query has not yet finished. Current state: RUNNING',
    );
    await h.client.send(new StopQueryExecutionCommand({ QueryExecutionId }));
    const done = await waitForState(h.client, QueryExecutionId!);
    expect(done.Status!.State).toBe('CANCELLED');
    expect(done.Status!.CompletionDateTime).toBeInstanceOf(Date);
    // Stopping a finished query is a no-op, as in Athena.
    await h.client.send(new StopQueryExecutionCommand({ QueryExecutionId }));
    expect((await waitForState(h.client, QueryExecutionId!)).Status!.State).toBe('CANCELLED');
  });

  it('cancels a query stopped right after StartQueryExecution, 20 times in a row, and it stays CANCELLED', async () => {
    // The stop lands wherever the run happens to be (queued, connecting, checking, planning, executing):
    // a pause of 0..19 ms spreads the 20 stops over those steps. A stop that DuckDB dropped would leave the
    // query running for good: its state would never be CANCELLED and this test would time out.
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) {
      const { QueryExecutionId } = await h.client.send(new StartQueryExecutionCommand({ QueryString: SLOW_QUERY }));
      if (i > 0) await new Promise((r) => setTimeout(r, i));
      await h.client.send(new StopQueryExecutionCommand({ QueryExecutionId }));
      ids.push(QueryExecutionId!);
      expect((await waitForState(h.client, QueryExecutionId!)).Status!.State).toBe('CANCELLED');
    }
    // Every slot is free again (a runaway query would hold one): a new query runs to the end ...
    expect((await runQuery(h.client, 'SELECT 1')).execution.Status!.State).toBe('SUCCEEDED');
    // ... and none of the stopped ones changed state afterwards.
    const batch = await h.client.send(new BatchGetQueryExecutionCommand({ QueryExecutionIds: ids }));
    expect(batch.QueryExecutions!.map((q) => q.Status!.State)).toStrictEqual(ids.map(() => 'CANCELLED'));
    expect(batch.UnprocessedQueryExecutionIds).toStrictEqual([]);
  });

  it('cancels a query stopped while it streams rows, and drops its partial result', async () => {
    const { QueryExecutionId } = await h.client.send(new StartQueryExecutionCommand({ QueryString: `SELECT n FROM ${numbers(100_000_000)}` }));
    await waitForState(h.client, QueryExecutionId!, ['RUNNING']);
    // Wait until rows are being written, so the stop meets the fetch loop, not the start of the run.
    // (The index grows by a row at a time; the CSV starts with its header line before any row.)
    const rowsFile = join(h.dataDir, 'athena', 'results', `${QueryExecutionId}.csv`);
    const indexFile = join(h.dataDir, 'athena', 'results', `${QueryExecutionId}.idx`);
    while (!existsSync(indexFile) || statSync(indexFile).size <= 8) await new Promise((r) => setTimeout(r, 5));
    await h.client.send(new StopQueryExecutionCommand({ QueryExecutionId }));
    const done = await waitForState(h.client, QueryExecutionId!);
    expect(done.Status!.State).toBe('CANCELLED');
    await expectInvalidRequest(
      h.client.send(new GetQueryResultsCommand({ QueryExecutionId })),
      'Query did not finish successfully. Final query state: CANCELLED',
    );
    expect(existsSync(rowsFile)).toBe(false);
    expect(existsSync(indexFile)).toBe(false);
  });

  it('answers InvalidRequestException for an unknown execution id on every id-taking operation', async () => {
    const id = '00000000-0000-0000-0000-000000000000';
    const msg = `QueryExecution ${id} was not found`;
    await expectInvalidRequest(h.client.send(new GetQueryExecutionCommand({ QueryExecutionId: id })), msg);
    await expectInvalidRequest(h.client.send(new GetQueryResultsCommand({ QueryExecutionId: id })), msg);
    await expectInvalidRequest(h.client.send(new StopQueryExecutionCommand({ QueryExecutionId: id })), msg);
  });

  it('rejects MaxResults outside 1..1000', async () => {
    const { id } = await runQuery(h.client, 'SELECT 1');
    await expectInvalidRequest(
      h.client.send(new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: 1001 })),
      "Value '1001' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000",
    );
  });
});

describe('GetQueryResults', () => {
  it('pages a 2,500-row result with MaxResults 1000 into 3 pages with exactly one header row', async () => {
    const { id } = await runQuery(h.client, `SELECT n FROM ${numbers(2500)} ORDER BY n`);
    const pages = await allPages(h.client, id, 1000);
    expect(pages.map((p) => p.ResultSet!.Rows!.length)).toStrictEqual([1000, 1000, 501]);
    expect(pages.map((p) => p.NextToken === undefined)).toStrictEqual([false, false, true]);
    const cells = pages.flatMap((p) => p.ResultSet!.Rows!.map((r) => r.Data![0].VarCharValue));
    expect(cells.filter((c) => c === 'n')).toStrictEqual(['n']);
    expect(cells).toStrictEqual(['n', ...Array.from({ length: 2500 }, (_, i) => String(i))]);
    for (const p of pages) {
      expect(p.ResultSet!.ResultSetMetadata!.ColumnInfo!.map((c) => [c.Name, c.Type])).toStrictEqual([['n', 'bigint']]);
    }
  });

  it('keeps NULL (no VarCharValue) apart from the empty string', async () => {
    const { id } = await runQuery(h.client, "SELECT CAST(NULL AS VARCHAR) AS n, '' AS e, 'x' AS x");
    const res = await h.client.send(new GetQueryResultsCommand({ QueryExecutionId: id }));
    expect(res.ResultSet!.Rows).toStrictEqual([
      { Data: [{ VarCharValue: 'n' }, { VarCharValue: 'e' }, { VarCharValue: 'x' }] },
      { Data: [{}, { VarCharValue: '' }, { VarCharValue: 'x' }] },
    ]);
  });

  it('renders every Athena type with its ColumnInfo and text', async () => {
    const columns: [string, string, string, number, number, string][] = [
      // [alias, expression, Type, Precision, Scale, VarCharValue]
      ['b', 'true', 'boolean', 0, 0, 'true'],
      ['ti', 'CAST(1 AS TINYINT)', 'tinyint', 3, 0, '1'],
      ['si', 'CAST(-2 AS SMALLINT)', 'smallint', 5, 0, '-2'],
      ['i', 'CAST(3 AS INTEGER)', 'integer', 10, 0, '3'],
      ['bi', 'CAST(9007199254740993 AS BIGINT)', 'bigint', 19, 0, '9007199254740993'],
      ['f', 'CAST(0.1 AS REAL)', 'float', 17, 0, '0.1'],
      ['d1', 'CAST(1.5 AS DOUBLE)', 'double', 17, 0, '1.5'],
      ['d2', 'CAST(2 AS DOUBLE)', 'double', 17, 0, '2.0'],
      ['d3', 'CAST(1e20 AS DOUBLE)', 'double', 17, 0, '1.0E20'],
      ['d4', "CAST('NaN' AS DOUBLE)", 'double', 17, 0, 'NaN'],
      ['d5', "CAST('-Infinity' AS DOUBLE)", 'double', 17, 0, '-Infinity'],
      ['d6', 'CAST(0.0001 AS DOUBLE)', 'double', 17, 0, '1.0E-4'],
      ['dec', "CAST('12.34' AS DECIMAL(38,10))", 'decimal', 38, 10, '12.3400000000'],
      ['v', "'abc'", 'varchar', 2147483647, 0, 'abc'],
      ['vb1', "from_hex('313233')", 'varbinary', 1073741824, 0, '31 32 33'],
      ['vb2', "CAST('123' AS VARBINARY)", 'varbinary', 1073741824, 0, '31 32 33'],
      ['vb3', "X'0102'", 'varbinary', 1073741824, 0, '01 02'],
      ['j', `json_parse('{"a": 1}')`, 'json', 0, 0, '{"a":1}'],
      ['js', `CAST('{"a":1}' AS JSON)`, 'json', 0, 0, '"{\\"a\\":1}"'],
      ['dt', "DATE '2020-06-18'", 'date', 0, 0, '2020-06-18'],
      ['tm', "TIME '03:04:05'", 'time', 3, 0, '03:04:05.000'],
      ['ts', "TIMESTAMP '2020-06-18 16:00:00'", 'timestamp', 3, 0, '2020-06-18 16:00:00.000'],
      ['ts6', "TIMESTAMP '2020-06-18 16:00:00.123456'", 'timestamp', 6, 0, '2020-06-18 16:00:00.123456'],
      ['tsz', "TIMESTAMP '2001-08-22 03:04:05.321 UTC'", 'timestamp with time zone', 3, 0, '2001-08-22 03:04:05.321 UTC'],
      ['tsz0', "TIMESTAMP '2024-01-01 00:00:00 UTC'", 'timestamp with time zone', 3, 0, '2024-01-01 00:00:00.000 UTC'],
      ['ids1', "INTERVAL '2' DAY", 'interval day to second', 0, 0, '2 00:00:00.000'],
      ['ids2', "INTERVAL '2 03:04:05' DAY TO SECOND", 'interval day to second', 0, 0, '2 03:04:05.000'],
      ['iym', "INTERVAL '1-2' YEAR TO MONTH", 'interval year to month', 0, 0, '1-2'],
      ['dpi', "DATE '2024-01-31' + INTERVAL '1' DAY", 'date', 0, 0, '2024-02-01'],
      ['arr', 'ARRAY[1, 2]', 'array', 0, 0, '[1, 2]'],
      ['arrs', "ARRAY['a', NULL]", 'array', 0, 0, '[a, null]'],
      ['m', "MAP(ARRAY['a', 'b'], ARRAY[1, 2])", 'map', 0, 0, '{a=1, b=2}'],
      ['r', "CAST(ROW(1, 'abc') AS ROW(x integer, y varchar))", 'row', 0, 0, '{x=1, y=abc}'],
      ['ra', "ROW('Bob', 38)", 'row', 0, 0, '{field0=Bob, field1=38}'],
      ['rn', "ARRAY[ROW(1, 'a')]", 'array', 0, 0, '[{field0=1, field1=a}]'],
      ['nul', 'NULL', 'unknown', 0, 0, ''],
      ['ch', "CAST('ab' AS char(3))", 'char', 3, 0, 'ab '],
    ];
    const sql = `SELECT ${columns.map(([alias, expr]) => `${expr} AS ${alias}`).join(', ')}`;
    const { id, execution } = await runQuery(h.client, sql);
    expect(execution.Status!.StateChangeReason).toBeUndefined();
    const res = await h.client.send(new GetQueryResultsCommand({ QueryExecutionId: id }));
    expect(res.ResultSet!.ResultSetMetadata!.ColumnInfo).toStrictEqual(
      columns.map(([alias, , Type, Precision, Scale]) => ({
        CatalogName: 'hive',
        SchemaName: '',
        TableName: '',
        Name: alias,
        Label: alias,
        Type,
        Precision,
        Scale,
        Nullable: 'UNKNOWN',
        CaseSensitive: Type === 'varchar' || Type === 'char',
      })),
    );
    expect(res.ResultSet!.Rows![1]).toStrictEqual({ Data: columns.map(([, expr, , , , text]) => (expr === 'NULL' ? {} : { VarCharValue: text })) });
  });

  it('names unaliased expressions _colN like Athena, keeping aliases and column names', async () => {
    const { id } = await runQuery(h.client, 'SELECT symbol, count(*), max(price) AS top, 1 + 1 FROM market.ticks GROUP BY symbol ORDER BY symbol LIMIT 1');
    const res = await h.client.send(new GetQueryResultsCommand({ QueryExecutionId: id }));
    expect(res.ResultSet!.ResultSetMetadata!.ColumnInfo!.map((c) => c.Name)).toStrictEqual(['symbol', '_col1', 'top', '_col3']);
  });

  it('evaluates integer division like Trino (truncating) and timestamps in UTC', async () => {
    const { id } = await runQuery(
      h.client,
      "SELECT 7 / 2 AS q, -7 / 2 AS nq, 7 % 3 AS r, hour(TIMESTAMP '2020-06-18 16:23:00') AS hh, minute(TIMESTAMP '2020-06-18 16:23:00') AS mm, " +
        "date_trunc('hour', TIMESTAMP '2020-06-18 16:23:45.000') AS th, date_trunc('minute', TIMESTAMP '2020-06-18 16:23:45.000') AS tm, " +
        "date_trunc('day', TIMESTAMP '2020-06-18 16:23:45.000') AS td, CAST(TIMESTAMP '2020-06-18 14:00:00 UTC' AS VARCHAR) AS z",
    );
    const rows = await resultRows(h.client, id);
    expect(rows[1]).toStrictEqual(['3', '-3', '1', '16', '23', '2020-06-18 16:00:00.000', '2020-06-18 16:23:00.000', '2020-06-18 00:00:00.000', '2020-06-18 14:00:00.000 UTC']);
  });

  it('matches the ColumnInfo of a real Athena hourly-count result (shared fixture)', async () => {
    const fixture = readFixture(HOURLY_COUNTS);
    const { id } = await runQuery(
      h.client,
      `SELECT date_trunc('hour', capture_datetime) AS capture_datetime_hour,
              count_if(symbol = 'AMZN') AS "AMZN_CNT", count_if(symbol = 'GOOG') AS "GOOG_CNT", count_if(symbol = 'WORK') AS "WORK_CNT"
       FROM ticks WHERE capture_datetime >= TIMESTAMP '2024-03-05 00:00:00.000' AND capture_datetime < TIMESTAMP '2024-03-05 20:00:00.000'
       GROUP BY 1 ORDER BY 1 DESC`,
      { QueryExecutionContext: { Database: 'market' } },
    );
    const res = await h.client.send(new GetQueryResultsCommand({ QueryExecutionId: id }));
    expect(res.ResultSet!.ResultSetMetadata).toStrictEqual(fixture.ResultSet.ResultSetMetadata);
    expect(res.ResultSet!.Rows!.length).toBe(fixture.ResultSet.Rows.length);
    expect(res.ResultSet!.Rows![0]).toStrictEqual(fixture.ResultSet.Rows[0]);
    expect(res.ResultSet!.Rows![1].Data![0]).toStrictEqual({ VarCharValue: '2024-03-05 19:00:00.000' });
  });
});

describe('ExecutionParameters', () => {
  it('binds literals positionally, leaving ? inside strings, identifiers and comments alone', async () => {
    const { id } = await runQuery(
      h.client,
      `SELECT count(*) AS "n?", '?' AS q /* ? */ FROM market.ticks -- ?
       WHERE symbol = ? AND capture_datetime >= ? AND capture_datetime < ?`,
      { ExecutionParameters: ["'AMZN'", "TIMESTAMP '2024-03-08 09:00:00'", "TIMESTAMP '2024-03-08 10:00:00'"] },
    );
    expect(await resultRows(h.client, id)).toStrictEqual([
      ['n?', 'q'],
      ['18', '?'],
    ]);
  });

  it('binds numbers, typed literals and strings with quotes', async () => {
    const { id } = await runQuery(h.client, 'SELECT ? AS a, ? AS b, ? AS c, ? AS d', {
      ExecutionParameters: ['42', "'it''s'", "DECIMAL '1.20'", "DATE '2024-03-04'"],
    });
    expect(await resultRows(h.client, id)).toStrictEqual([
      ['a', 'b', 'c', 'd'],
      ['42', "it's", '1.20', '2024-03-04'],
    ]);
  });

  it('fails a parameter that is not a single literal, so it cannot change the query', async () => {
    const { execution } = await runQuery(h.client, 'SELECT count(*) FROM market.ticks WHERE symbol = ?', {
      ExecutionParameters: ["'AMZN' OR 1=1"],
    });
    expect(execution.Status!.State).toBe('FAILED');
    expect(execution.Status!.StateChangeReason).toBe(
      "INVALID_PARAMETER_USAGE: Execution parameter 1 is not a literal value (only literals are allowed): 'AMZN' OR 1=1",
    );
  });

  it('fails when the parameter count does not match the placeholders', async () => {
    const { execution } = await runQuery(h.client, 'SELECT ?, ?', { ExecutionParameters: ['1'] });
    expect(execution.Status!.StateChangeReason).toBe('INVALID_PARAMETER_USAGE: line 1:1: Incorrect number of parameters: expected 2 but found 1');
    expect(execution.ExecutionParameters).toStrictEqual(['1']);
  });
});

describe('ClientRequestToken idempotency', () => {
  it('returns the same execution for the same token and request, and refuses a different request', async () => {
    const token = 'gapwatch-test-token-0123456789abcdef';
    const a = await h.client.send(new StartQueryExecutionCommand({ QueryString: 'SELECT 1', ClientRequestToken: token }));
    const b = await h.client.send(new StartQueryExecutionCommand({ QueryString: 'SELECT 1', ClientRequestToken: token }));
    expect(b.QueryExecutionId).toBe(a.QueryExecutionId);
    await expectInvalidRequest(
      h.client.send(new StartQueryExecutionCommand({ QueryString: 'SELECT 2', ClientRequestToken: token })),
      /Idempotent parameters do not match/,
    );
    const c = await h.client.send(new StartQueryExecutionCommand({ QueryString: 'SELECT 1' }));
    expect(c.QueryExecutionId).not.toBe(a.QueryExecutionId);
  });
});

describe('BatchGetQueryExecution and ListQueryExecutions', () => {
  it('returns known executions and lists unknown ids as unprocessed', async () => {
    const { id } = await runQuery(h.client, 'SELECT 1');
    const unknown = 'ffffffff-0000-0000-0000-000000000000';
    const res = await h.client.send(new BatchGetQueryExecutionCommand({ QueryExecutionIds: [id, unknown] }));
    expect(res.QueryExecutions!.map((q) => [q.QueryExecutionId, q.Status!.State])).toStrictEqual([[id, 'SUCCEEDED']]);
    expect(res.UnprocessedQueryExecutionIds).toStrictEqual([
      { QueryExecutionId: unknown, ErrorCode: 'INVALID_INPUT', ErrorMessage: `QueryExecution ${unknown} was not found` },
    ]);
  });

  it('refuses more than 50 ids', async () => {
    const ids = Array.from({ length: 51 }, (_, i) => `id-${i}`);
    await expectInvalidRequest(h.client.send(new BatchGetQueryExecutionCommand({ QueryExecutionIds: ids })), /Member must have length less than or equal to 50/);
  });

  it('lists executions newest first per workgroup, paging with NextToken', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) ids.push((await runQuery(h.client, `SELECT ${i}`, { WorkGroup: 'listing' })).id);
    const first = await h.client.send(new ListQueryExecutionsCommand({ WorkGroup: 'listing', MaxResults: 2 }));
    expect(first.QueryExecutionIds).toStrictEqual([ids[2], ids[1]]);
    const second = await h.client.send(new ListQueryExecutionsCommand({ WorkGroup: 'listing', MaxResults: 2, NextToken: first.NextToken }));
    expect(second).toMatchObject({ QueryExecutionIds: [ids[0]] });
    expect(second.NextToken).toBeUndefined();
    const primary = await h.client.send(new ListQueryExecutionsCommand({}));
    expect(primary.QueryExecutionIds!.some((x) => ids.includes(x))).toBe(false);
  });

  it('refuses a workgroup that does not exist, as Athena does, in StartQueryExecution and ListQueryExecutions', async () => {
    await expectInvalidRequest(h.client.send(new StartQueryExecutionCommand({ QueryString: 'SELECT 1', WorkGroup: 'nope' })), 'WorkGroup nope is not found.');
    await expectInvalidRequest(h.client.send(new ListQueryExecutionsCommand({ WorkGroup: 'nope' })), 'WorkGroup nope is not found.');
  });
});

describe('fault injection and call counts', () => {
  it('makes the SDK see ThrottlingException and counts every request per operation', async () => {
    const client = athenaClient(h.endpoint.url, 1);
    try {
      const before = (await h.endpoint.calls()).BatchGetQueryExecution ?? 0;
      await h.endpoint.injectFaults({ rate: 1, operations: ['BatchGetQueryExecution'] });
      const err = await client.send(new BatchGetQueryExecutionCommand({ QueryExecutionIds: ['x'] })).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(AthenaServiceException);
      expect((err as AthenaServiceException).name).toBe('ThrottlingException');
      expect((err as AthenaServiceException).$metadata.httpStatusCode).toBe(400);
      // Other operations are untouched by an operation-scoped fault.
      await client.send(new ListQueryExecutionsCommand({}));
      await h.endpoint.injectFaults({ rate: 1, code: 'TooManyRequestsException' });
      const tooMany = await client.send(new ListQueryExecutionsCommand({})).catch((e: unknown) => e);
      expect((tooMany as AthenaServiceException).name).toBe('TooManyRequestsException');
      await h.endpoint.injectFaults(null);
      await client.send(new BatchGetQueryExecutionCommand({ QueryExecutionIds: ['x'] }));
      expect((await h.endpoint.calls()).BatchGetQueryExecution).toBe(before + 2);
    } finally {
      await h.endpoint.injectFaults(null);
      client.destroy();
    }
  });

  it('faults about `rate` of matching requests, reproducibly for a seed', async () => {
    const client = athenaClient(h.endpoint.url, 1);
    const outcomes = async (): Promise<boolean[]> => {
      await h.endpoint.injectFaults({ rate: 0.5, seed: 7, operations: ['ListQueryExecutions'] });
      const out: boolean[] = [];
      for (let i = 0; i < 40; i++) out.push(await client.send(new ListQueryExecutionsCommand({ MaxResults: 1 })).then(() => true, () => false));
      return out;
    };
    try {
      const a = await outcomes();
      const b = await outcomes();
      expect(a).toStrictEqual(b);
      const failed = a.filter((ok) => !ok).length;
      expect(failed).toBeGreaterThan(8);
      expect(failed).toBeLessThan(32);
    } finally {
      await h.endpoint.injectFaults(null);
      client.destroy();
    }
  });
});
