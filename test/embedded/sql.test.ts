import { parameterLiteral, planStatement, SqlTextError } from '../../src/embedded/athena/sql';

const plan = (sql: string, params: string[] = []) => planStatement(sql, params, 'default');

describe('parameters', () => {
  it('fills each ? outside strings, quoted names and comments with its literal, parenthesised', () => {
    expect(plan("SELECT '?' AS a, \"?\", ? /* ? */, ? -- ?", ["'a'", "TIMESTAMP '2020-06-18 00:00:00'"]).sql).toBe(
      `SELECT '?' AS "a", "?" AS "?", ('a') AS "_col2", (CAST('2020-06-18 00:00:00' AS TIMESTAMP)) AS "_col3"`,
    );
  });

  it('keeps the text of a string parameter a string whatever it holds', () => {
    const sql = plan('SELECT * FROM t WHERE a = ? AND b = ?', ["'x\\'", "' AS VARCHAR)) OR TRUE --'"]).sql;
    expect(sql).toBe(`SELECT * FROM "t" WHERE "a" = ('x\\') AND "b" = (' AS VARCHAR)) OR TRUE --')`);
  });

  it('checks the count', () => {
    expect(() => plan('SELECT ?')).toThrow('line 1:1: Incorrect number of parameters: expected 1 but found 0');
    expect(() => plan('SELECT 1', ['1'])).toThrow('line 1:1: Incorrect number of parameters: expected 0 but found 1');
  });
});

describe('parameterLiteral', () => {
  it.each([
    ['42', '42'],
    ['-1.5e3', '-1.5e3'],
    ["'AMZN'", "'AMZN'"],
    ["'it''s'", "'it''s'"],
    ['true', 'true'],
    ['NULL', 'NULL'],
    ["X'00FF'", "from_hex('00FF')"],
    ["TIMESTAMP '2020-06-18 00:00:00.000'", "CAST('2020-06-18 00:00:00.000' AS TIMESTAMP)"],
    ["date '2020-06-18'", "CAST('2020-06-18' AS DATE)"],
    ["DECIMAL '12.340'", "CAST('12.340' AS DECIMAL(5,3))"],
    ["DECIMAL '0.5'", "CAST('0.5' AS DECIMAL(1,1))"],
    ["VARBINARY 'abc'", "encode('abc')"],
    ["INTERVAL '2' DAY", "INTERVAL '2 DAY'"],
    ["INTERVAL '1-2' YEAR TO MONTH", "INTERVAL '14 MONTH'"],
    ["CAST('1' AS decimal(10, 2))", "CAST('1' AS DECIMAL(10,2))"],
    ["ARRAY['a', 'b']", "['a', 'b']"],
  ])('accepts %s', (text, duck) => {
    expect(parameterLiteral(text, 0)).toBe(duck);
  });

  it.each([
    ["'a' OR 1=1", 'only literals are allowed'],
    ['(SELECT 1)', 'only literals are allowed'],
    ['symbol', 'only literals are allowed'],
    ["'a'; DROP TABLE t", "line 1:6: mismatched input 'DROP'"],
    ['1 + 1', 'only literals are allowed'],
    ["E'a'", 'line 1:1: Unknown type: e'],
    ["VARCHAR E'x\\'", "line 1:9: mismatched input 'E'"],
    ['DATE $$2020-01-01$$', "line 1:6: mismatched input '$'"],
    ['now()', 'only literals are allowed'],
  ])('refuses %s', (text, why) => {
    expect(() => parameterLiteral(text, 2)).toThrow(`Execution parameter 3 is not a literal value (${why}`);
  });
});

describe('statement types and names', () => {
  it.each([
    ['SELECT 1', 'DML'],
    ['  -- lead\n with x AS (SELECT 1) SELECT * FROM x', 'DML'],
    ['INSERT INTO t VALUES (1)', 'DML'],
    ['CREATE TABLE t AS SELECT 1 AS a', 'DML'],
    ['CREATE TABLE t (a int)', 'DDL'],
    ['CREATE VIEW v AS SELECT 1 AS a', 'DDL'],
    ['DROP TABLE t', 'DDL'],
    ['CREATE DATABASE d', 'DDL'],
    ['SHOW TABLES', 'UTILITY'],
    ['DESCRIBE t', 'UTILITY'],
  ])('%s → %s', (sql, type) => {
    expect(plan(sql).statementType).toBe(type);
  });

  it('names unaliased expressions _colN and keeps aliases and bare column names', () => {
    expect(plan('SELECT symbol, count(*), max(price) AS top, t.volume FROM market.ticks t').sql).toBe(
      'SELECT "symbol" AS "symbol", count(*) AS "_col1", max("price") AS "top", "t"."volume" AS "volume" FROM "market"."ticks" "t"',
    );
  });

  it('refuses what Trino refuses, with its positions', () => {
    const err = (sql: string) => {
      try {
        plan(sql);
      } catch (e) {
        return e as SqlTextError;
      }
      throw new Error('no error');
    };
    expect(err('FROM t SELECT 1').message).toMatch(/^line 1:1: mismatched input 'FROM'\. Expecting: /);
    expect(err('SELECT x::varchar FROM t').message).toMatch(/^line 1:9: mismatched input ':'/);
    expect(err('SELECT 1 +').errorType).toBe('SYNTAX_ERROR');
    expect(err('SELECT `a` FROM t').message).toBe('line 1:8: backquoted identifiers are not supported; use double quotes to quote identifiers');
    expect(err('EXPLAIN SELECT 1').errorType).toBe('NOT_SUPPORTED');
  });
});
