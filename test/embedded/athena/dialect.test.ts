/**
 * Issue 22: the embedded Athena speaks Athena's SQL (Trino). Each finding of the issue, through the real SDK
 * against the embedded endpoint: what Athena answers, or a clear refusal, never a different answer.
 */
import { GetQueryResultsCommand, InvalidRequestException, StartQueryExecutionCommand } from '@aws-sdk/client-athena';
import { refusal, resultRows, runQuery, startHarness, type Harness } from '../helpers';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h.stop());

/** Column (name, type) pairs and the data rows of a successful query. */
async function answer(sql: string): Promise<{ columns: string[]; rows: (string | null)[][] }> {
  const { id, execution } = await runQuery(h.client, sql);
  expect(execution.Status!.StateChangeReason).toBeUndefined();
  const res = await h.client.send(new GetQueryResultsCommand({ QueryExecutionId: id }));
  const columns = res.ResultSet!.ResultSetMetadata!.ColumnInfo!.map((c) => `${c.Name} ${c.Type}`);
  const rows = res.ResultSet!.Rows!.map((r) => r.Data!.map((d) => d.VarCharValue ?? null));
  return { columns, rows: execution.StatementType === 'DML' ? rows.slice(1) : rows };
}

const syntax = async (sql: string): Promise<string> => {
  const err = await h.client.send(new StartQueryExecutionCommand({ QueryString: sql })).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(InvalidRequestException);
  return (err as Error).message;
};

describe('wrong answers with no error, now Athena\'s', () => {
  it('fails division and modulus by zero with DIVISION_BY_ZERO (integers and decimals); doubles follow IEEE', async () => {
    for (const sql of ['SELECT 1/0', 'SELECT 5 % 0', 'SELECT 1.0/0', 'SELECT count(*) / 0 FROM market.ticks']) {
      expect(await refusal(h.client, sql)).toBe('DIVISION_BY_ZERO: Division by zero');
    }
    expect(await answer('SELECT 1e0 / 0, -1e0 / 0, 0e0 / 0, 5e0 % 0')).toStrictEqual({
      columns: ['_col0 double', '_col1 double', '_col2 double', '_col3 double'],
      rows: [['Infinity', '-Infinity', 'NaN', 'NaN']],
    });
    expect((await answer('SELECT try(1/0), 7/2, -7/2, 7 % 3')).rows).toStrictEqual([[null, '3', '-3', '1']]);
  });

  it('names anonymous row fields field0, field1 … (inside arrays and maps too)', async () => {
    expect(await answer("SELECT ROW('Bob', 38), ARRAY[ROW(1, 2)], MAP(ARRAY['k'], ARRAY[ROW(true)])")).toStrictEqual({
      columns: ['_col0 row', '_col1 array', '_col2 map'],
      rows: [['{field0=Bob, field1=38}', '[{field0=1, field1=2}]', '{k={field0=true}}']],
    });
  });

  it("reads X'0102' as varbinary 01 02", async () => {
    expect(await answer("SELECT X'0102', length(X'0102')")).toStrictEqual({ columns: ['_col0 varbinary', '_col1 bigint'], rows: [['01 02', '2']] });
  });

  it('types TIMESTAMP with a zone as timestamp(3) with time zone, keeps microseconds, and DATE + INTERVAL a date', async () => {
    expect(
      await answer(
        "SELECT TIMESTAMP '2024-01-01 00:00:00 UTC', TIMESTAMP '2020-01-01 00:00:00.123456', DATE '2024-01-01' + INTERVAL '1' DAY, DATE '2024-03-01' - INTERVAL '1' MONTH",
      ),
    ).toStrictEqual({
      columns: ['_col0 timestamp with time zone', '_col1 timestamp', '_col2 date', '_col3 date'],
      rows: [['2024-01-01 00:00:00.000 UTC', '2020-01-01 00:00:00.123456', '2024-01-02', '2024-02-01']],
    });
  });

  it('types a bare NULL unknown and char(n) as char, padded', async () => {
    expect(await answer("SELECT NULL, CAST('ab' AS char(3)), NULL AS n")).toStrictEqual({
      columns: ['_col0 unknown', '_col1 char', 'n unknown'],
      rows: [[null, 'ab ', null]],
    });
  });

  it('names current_timestamp _col0', async () => {
    const { columns } = await answer('SELECT current_timestamp');
    expect(columns).toStrictEqual(['_col0 timestamp with time zone']);
  });

  it('refuses decimal division it cannot answer with Trino\'s precision, rather than answering a double', async () => {
    expect(await refusal(h.client, 'SELECT 1.0 / 3')).toMatch(/^NOT_SUPPORTED: Division of decimal values/);
    expect(await answer('SELECT 1.0e0 / 4, CAST(1.0 AS double) / 4')).toStrictEqual({ columns: ['_col0 double', '_col1 double'], rows: [['0.25', '0.25']] });
  });
});

describe("Athena's SQL, locally", () => {
  it('runs the date, JSON, regexp, array and aggregate functions Athena users reach for', async () => {
    const { rows } = await answer(
      `SELECT date_add('day', 1, DATE '2020-01-31'), date_add('hour', 2, TIMESTAMP '2020-01-01 23:00:00'),
        date_diff('day', TIMESTAMP '2020-01-01 23:00', TIMESTAMP '2020-01-02 01:00'), date_diff('month', DATE '2020-01-31', DATE '2020-03-01'),
        from_iso8601_timestamp('2020-05-11T11:15:05Z'), from_iso8601_date('2020-05-11'), to_unixtime(TIMESTAMP '2020-01-01 00:00:01 UTC'),
        from_unixtime(1), format_datetime(TIMESTAMP '2020-01-02 03:04:05', 'yyyy-MM-dd HH:mm:ss'), date_format(TIMESTAMP '2020-01-02 03:04:05', '%Y-%m-%d %H:%i:%s'),
        date_parse('2020-01-02 03:04', '%Y-%m-%d %H:%i')`,
    );
    expect(rows).toStrictEqual([
      ['2020-02-01', '2020-01-02 01:00:00.000', '0', '1', '2020-05-11 11:15:05.000 UTC', '2020-05-11', '1.577836801E9', '1970-01-01 00:00:01.000 UTC', '2020-01-02 03:04:05', '2020-01-02 03:04:05', '2020-01-02 03:04:00.000'],
    ]);
    const j = await answer(
      `SELECT json_parse('{"a": [1, 2]}'), json_extract_scalar('{"a": {"b": "x"}}', '$.a.b'), json_extract_scalar('{"a": {"b": 1}}', '$.a'),
        json_format(json_parse('[1, 2]')), regexp_like('abc', 'b'), regexp_extract('a1b22', '\\d+'), regexp_extract('abc', '\\d'),
        array_join(ARRAY[1, 2, 3], '-'), cardinality(ARRAY[1, 2]), element_at(ARRAY['a', 'b'], 2), element_at(ARRAY['a'], 5), split('a,b', ','),
        try(CAST('x' AS integer)), try_cast('7' AS integer)`,
    );
    expect(j.rows).toStrictEqual([['{"a":[1,2]}', 'x', null, '[1,2]', 'true', '1', null, '1-2-3', '2', 'b', null, '[a, b]', null, '7']]);
    const agg = await answer('SELECT approx_distinct(symbol), approx_percentile(volume, 0.5) >= 0 FROM market.ticks');
    expect(agg.rows).toStrictEqual([['3', 'true']]);
  });

  it('reads CAST to array(…), map(…) and row(…) types, and unquoted default.tbl', async () => {
    expect(
      await answer("SELECT CAST(ARRAY['1', '2'] AS array(integer)), CAST(MAP(ARRAY['a'], ARRAY['1']) AS map(varchar, integer)), CAST(ROW(1, 'x') AS row(id bigint, name varchar))"),
    ).toStrictEqual({ columns: ['_col0 array', '_col1 map', '_col2 row'], rows: [['[1, 2]', '{a=1}', '{id=1, name=x}']] });
    expect((await runQuery(h.client, 'CREATE TABLE default.tbl AS SELECT 1 AS a')).execution.Status!.State).toBe('SUCCEEDED');
    expect((await answer('SELECT a FROM default.tbl')).rows).toStrictEqual([['1']]);
  });

  it("refuses DuckDB-only syntax as Athena does: a syntax error at StartQueryExecution, with Trino's position", async () => {
    expect(await syntax('FROM market.ticks SELECT symbol')).toMatch(/^line 1:1: mismatched input 'FROM'\. Expecting: /);
    expect(await syntax("SELECT 'a'::varchar")).toMatch(/^line 1:11: mismatched input ':'/);
    expect(await syntax('SELECT * EXCLUDE (price) FROM market.ticks')).toMatch(/^line 1:\d+: /);
    expect(await syntax('SELECT [x + 1 FOR x IN [1, 2]]')).toMatch(/^line 1:8: /);
    expect(await syntax('SELEC 1')).toMatch(/^line 1:1: mismatched input 'SELEC'/);
    expect(await syntax('SELECT symbol\nFROM market.ticks\nWHERE')).toMatch(/^line 3:6: mismatched input '<EOF>'/);
  });

  // Athena's layout of DESCRIBE and SHOW COLUMNS (Hive's: each field padded to 20, a tab apart), as Athena
  // printed it in https://github.com/mtanda/grafana-aws-athena-datasource/issues/39.
  it("answers SHOW and DESCRIBE in Athena's layout, and CREATE DATABASE", async () => {
    expect(await answer('SHOW DATABASES')).toStrictEqual({ columns: ['database_name string'], rows: [['default'], ['market']] });
    expect(await answer('SHOW SCHEMAS')).toStrictEqual({ columns: ['database_name string'], rows: [['default'], ['market']] });
    expect(await answer('SHOW TABLES IN market')).toStrictEqual({ columns: ['tab_name string'], rows: [['ticks']] });
    expect(await answer("SHOW TABLES FROM market 'tic*'")).toStrictEqual({ columns: ['tab_name string'], rows: [['ticks']] });
    expect(await answer('SHOW COLUMNS IN market.ticks')).toStrictEqual({
      columns: ['field string'],
      rows: [['symbol              '], ['capture_datetime    '], ['price               '], ['volume              ']],
    });
    expect(await answer('SHOW COLUMNS IN ticks IN market')).toStrictEqual(await answer('SHOW COLUMNS FROM `market`.`ticks`'));
    expect((await answer('DESCRIBE market.ticks')).rows).toStrictEqual([
      ['symbol              \tstring              \t                    '],
      ['capture_datetime    \ttimestamp           \t                    '],
      ['price               \tdouble              \t                    '],
      ['volume              \tbigint              \t                    '],
    ]);
    expect((await answer('SHOW CREATE TABLE market.ticks')).rows).toStrictEqual([
      ['CREATE TABLE `market`.`ticks`('],
      ['  `symbol` string, '],
      ['  `capture_datetime` timestamp, '],
      ['  `price` double, '],
      ['  `volume` bigint)'],
    ]);
    expect(await refusal(h.client, 'SHOW COLUMNS IN market.nope')).toBe('TABLE_NOT_FOUND: line 1:1: Table awsdatacatalog.market.nope does not exist');
    const created = await runQuery(h.client, "CREATE DATABASE IF NOT EXISTS lab COMMENT 'scratch' LOCATION 's3://bucket/lab/'");
    expect(created.execution.StatementType).toBe('DDL');
    expect((await answer('SHOW DATABASES')).rows).toStrictEqual([['default'], ['lab'], ['market']]);
    expect(await refusal(h.client, "CREATE EXTERNAL TABLE lab.t (a int) LOCATION 's3://x/'")).toMatch(/^NOT_SUPPORTED: CREATE EXTERNAL TABLE/);
  });

  it('reports the rows a CREATE TABLE AS wrote as UpdateCount, as INSERT does', async () => {
    const { id, execution } = await runQuery(h.client, "CREATE TABLE default.amzn AS SELECT * FROM market.ticks WHERE symbol = 'AMZN' AND capture_datetime < TIMESTAMP '2024-03-04 01:00:00'");
    expect(execution.StatementType).toBe('DML');
    const res = await h.client.send(new GetQueryResultsCommand({ QueryExecutionId: id }));
    const [[n]] = await resultRows(h.client, (await runQuery(h.client, 'SELECT count(*) FROM default.amzn')).id).then((r) => r.slice(1));
    expect(res.UpdateCount).toBe(Number(n));
    expect(Number(n)).toBeGreaterThan(40);
  });
});
