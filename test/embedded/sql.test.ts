import { athenaColumnNames, bindParameters, parseParameterLiteral, statementType, tokenize } from '../../src/embedded/athena/sql';

describe('tokenize', () => {
  it('keeps strings, quoted identifiers and comments whole, with doubled quotes as escapes', () => {
    expect(tokenize(`SELECT 'it''s ?' AS "a""?" -- ?\n/* ? */ ?`).filter((t) => t.kind !== 'space')).toStrictEqual([
      { kind: 'word', text: 'SELECT' },
      { kind: 'string', text: "'it''s ?'" },
      { kind: 'word', text: 'AS' },
      { kind: 'quoted', text: '"a""?"' },
      { kind: 'comment', text: '-- ?' },
      { kind: 'comment', text: '/* ? */' },
      { kind: 'param', text: '?' },
    ]);
  });

  it('round-trips the text exactly', () => {
    const sql = "SELECT x'00ff', $$a?b$$, 1.5e3, a.b FROM t WHERE c <> ? -- end";
    expect(tokenize(sql).map((t) => t.text).join('')).toBe(sql);
  });

  it('refuses unterminated strings and comments', () => {
    expect(() => tokenize("SELECT 'abc")).toThrow('line 1:8: unterminated string literal');
    expect(() => tokenize('SELECT /* abc')).toThrow('line 1:8: unterminated comment');
  });
});

describe('bindParameters', () => {
  it('substitutes each ? outside quotes and comments by its literal, parenthesised, with string contents as values', () => {
    expect(bindParameters("SELECT '?' , \"?\", ? /* ? */, ?", ["'a'", "TIMESTAMP '2020-06-18 00:00:00'"])).toStrictEqual({
      sql: "SELECT '?' , \"?\", ($1) /* ? */, (CAST($2 AS TIMESTAMP))",
      values: ['a', '2020-06-18 00:00:00'],
    });
  });

  it("reads DuckDB's E-strings with backslash escapes, so a ? inside one is text", () => {
    expect(bindParameters("SELECT E'a\\'?', ?", ['1'])).toStrictEqual({ sql: "SELECT E'a\\'?', (1)", values: [] });
  });

  it('keeps the text of a string parameter out of the SQL whatever it holds', () => {
    const bound = bindParameters('SELECT * FROM t WHERE a = ? AND b = ?', ["'x\\'", "' AS VARCHAR)) OR TRUE --'"]);
    expect(bound).toStrictEqual({ sql: 'SELECT * FROM t WHERE a = ($1) AND b = ($2)', values: ['x\\', ' AS VARCHAR)) OR TRUE --'] });
  });

  it('checks the count', () => {
    expect(() => bindParameters('SELECT ?', [])).toThrow('line 1:1: Incorrect number of parameters: expected 1 but found 0');
    expect(() => bindParameters('SELECT 1', ['1'])).toThrow('line 1:1: Incorrect number of parameters: expected 0 but found 1');
  });
});

describe('parseParameterLiteral', () => {
  it.each([
    ['42', '42', []],
    ['-1.5e3', '-1.5e3', []],
    ["'AMZN'", '$1', ['AMZN']],
    ["'it''s'", '$1', ["it's"]],
    ['true', 'TRUE', []],
    ['NULL', 'NULL', []],
    ["X'00FF'", "from_hex('00FF')", []],
    ["TIMESTAMP '2020-06-18 00:00:00.000'", 'CAST($1 AS TIMESTAMP)', ['2020-06-18 00:00:00.000']],
    ["date '2020-06-18'", 'CAST($1 AS DATE)', ['2020-06-18']],
    ["DECIMAL '12.340'", 'CAST($1 AS DECIMAL(5,3))', ['12.340']],
    ["DECIMAL '0.5'", 'CAST($1 AS DECIMAL(1,1))', ['0.5']],
    ["VARBINARY 'abc'", 'CAST($1 AS BLOB)', ['abc']],
    ["INTERVAL '2' DAY", "CAST($1 || ' DAY' AS INTERVAL)", ['2']],
    ["CAST('1' AS decimal(10, 2))", 'CAST($1 AS DECIMAL(10,2))', ['1']],
    ["ARRAY['a', 'b']", '[$1, $2]', ['a', 'b']],
  ])('accepts %s', (text, duck, values) => {
    const bound: string[] = [];
    expect(parseParameterLiteral(text, 0, bound)).toBe(duck);
    expect(bound).toStrictEqual(values);
  });

  it.each([
    ["'a' OR 1=1", 'unexpected OR after the value'],
    ['(SELECT 1)', 'unexpected ('],
    ['symbol', 'unexpected symbol'],
    ["'a'; DROP TABLE t", 'unexpected ; after the value'],
    ["'a' -- x", 'unexpected -- x after the value'],
    ['1 + 1', 'unexpected + after the value'],
    ["INTERVAL '1-2' YEAR TO MONTH", 'INTERVAL … TO … is not supported by the embedded engine; use a single unit'],
    ["E'a'", "E'… strings are not Athena literals"],
    // DuckDB reads the backslash as escaping the quote, so this string never ends.
    ["VARCHAR E'x\\'", 'line 1:9: unterminated string literal'],
    ['DATE $$2020-01-01$$', 'DATE must be followed by a quoted string'],
  ])('refuses %s', (text, why) => {
    expect(() => parseParameterLiteral(text, 2, [])).toThrow(`Execution parameter 3 is not a literal value (${why}): ${text}`);
  });
});

describe('statementType', () => {
  it.each([
    ['SELECT 1', 'DML'],
    ['  -- lead\n with x AS (SELECT 1) SELECT * FROM x', 'DML'],
    ['INSERT INTO t VALUES (1)', 'DML'],
    ['CREATE TABLE t AS SELECT 1', 'DML'],
    ['CREATE TABLE t (a int)', 'DDL'],
    ['CREATE VIEW v AS SELECT 1', 'DDL'],
    ['DROP TABLE t', 'DDL'],
    ['SHOW TABLES', 'UTILITY'],
    ['DESCRIBE t', 'UTILITY'],
    ['EXPLAIN SELECT 1', 'UTILITY'],
  ])('%s → %s', (sql, type) => {
    expect(statementType(sql)).toBe(type);
  });
});

describe('athenaColumnNames', () => {
  const tree = (list: object[]): string => JSON.stringify({ error: false, statements: [{ node: { type: 'SELECT_NODE', select_list: list } }] });

  it('keeps aliases and bare column names, and names other expressions _colN', () => {
    const list = [{ class: 'COLUMN_REF', alias: '' }, { class: 'FUNCTION', alias: '' }, { class: 'FUNCTION', alias: 'top' }];
    expect(athenaColumnNames(tree(list), ['symbol', 'count_star()', 'top'])).toStrictEqual(['symbol', '_col1', 'top']);
  });

  it("keeps DuckDB's names when positions cannot be matched", () => {
    expect(athenaColumnNames(tree([{ class: 'STAR', alias: '' }]), ['a', 'b'])).toStrictEqual(['a', 'b']);
    expect(athenaColumnNames(null, ['a'])).toStrictEqual(['a']);
    expect(athenaColumnNames('{"error":true}', ['a'])).toStrictEqual(['a']);
  });
});
