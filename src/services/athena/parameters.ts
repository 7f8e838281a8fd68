/**
 * Athena binds ExecutionParameters itself: each one is the text of one SQL literal (`'AMZN'`, `42`,
 * `TIMESTAMP '2020-06-18 00:00:00'`) put where a `?` stands. gapwatch never splices values into SQL; it checks
 * that each parameter is exactly one literal, so a client cannot smuggle an expression through a parameter,
 * and that their number matches the placeholders.
 */

const LITERAL = new RegExp(
  [
    String.raw`'(?:[^']|'')*'`, // a string
    String.raw`[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?`, // a number
    String.raw`(?:true|false|null)`,
    String.raw`(?:date|time|timestamp|decimal|real|double|bigint|integer|smallint|tinyint|varchar|char|json|varbinary|interval)\s+'(?:[^']|'')*'(?:\s+(?:year|month|day|hour|minute|second)(?:\s+to\s+(?:month|second))?)?`,
  ].join('|'),
  'i',
);
const WHOLE_LITERAL = new RegExp(`^\\s*(?:${LITERAL.source})\\s*$`, 'i');

export function isSqlLiteral(text: string): boolean {
  return WHOLE_LITERAL.test(text);
}

/** The `?` placeholders in a statement, outside strings, quoted identifiers and comments. */
export function countPlaceholders(sql: string): number {
  let count = 0;
  for (let i = 0; i < sql.length; i++) {
    const c = sql[i];
    if (c === "'" || c === '"') {
      const close = sql.indexOf(c, i + 1);
      // A doubled quote inside is an escaped quote: the scan just restarts after it.
      i = close < 0 ? sql.length : close;
    } else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end < 0 ? sql.length : end;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? sql.length : end + 1;
    } else if (c === '?') {
      count++;
    }
  }
  return count;
}

/** Why these parameters cannot be bound to this statement, or undefined when they can. */
export function parameterProblem(sql: string, parameters: readonly string[]): { index?: number; message: string } | undefined {
  const expected = countPlaceholders(sql);
  if (parameters.length !== expected) {
    return { message: `the query has ${expected} placeholder(s) '?', got ${parameters.length} parameter(s)` };
  }
  const index = parameters.findIndex((p) => !isSqlLiteral(p));
  if (index >= 0) {
    return {
      index,
      message: `expected one SQL literal such as 'AMZN', 42 or TIMESTAMP '2020-06-18 00:00:00', got ${JSON.stringify(parameters[index])}`,
    };
  }
  return undefined;
}
