/**
 * Splits Athena SQL text into tokens, so later steps can tell a `?` placeholder from one inside a string,
 * a quoted identifier or a comment. Pure: no I/O.
 */

export type TokenKind = 'string' | 'quoted' | 'comment' | 'param' | 'word' | 'number' | 'symbol' | 'space';
export interface Token {
  kind: TokenKind;
  text: string;
}

/** Thrown for text that cannot be tokenized or a parameter that is not a literal; becomes a FAILED query. */
export class SqlTextError extends Error {
  override name = 'SqlTextError';
  constructor(
    message: string,
    readonly errorType: string,
  ) {
    super(message);
  }
}

const isWordStart = (c: string): boolean => /[A-Za-z_\u0080-\uffff]/.test(c);
const isWordPart = (c: string): boolean => /[A-Za-z0-9_$\u0080-\uffff]/.test(c);

/**
 * Splits SQL into tokens. Quotes double themselves to escape (`'it''s'`, `"a""b"`), as in Trino and DuckDB;
 * inside DuckDB's E-strings a backslash escapes the next character too.
 */
export function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = sql.length;
  const quoted = (q: string, kind: TokenKind, start: number, from: number, backslashEscapes = false): void => {
    let j = from;
    for (;;) {
      if (j >= n) throw new SqlTextError(`line 1:${start + 1}: unterminated ${kind === 'string' ? 'string literal' : 'quoted identifier'}`, 'SYNTAX_ERROR');
      if (backslashEscapes && sql[j] === '\\') {
        j += 2;
        continue;
      }
      if (sql[j] === q) {
        if (sql[j + 1] === q) {
          j += 2;
          continue;
        }
        break;
      }
      j++;
    }
    out.push({ kind, text: sql.slice(start, j + 1) });
    i = j + 1;
  };
  while (i < n) {
    const c = sql[i];
    const next = sql[i + 1];
    if (/\s/.test(c)) {
      let j = i + 1;
      while (j < n && /\s/.test(sql[j])) j++;
      out.push({ kind: 'space', text: sql.slice(i, j) });
      i = j;
    } else if (c === "'") {
      quoted("'", 'string', i, i + 1);
    } else if ((c === 'E' || c === 'e') && next === "'") {
      // DuckDB reads E'…' with C-style escapes: `E'a\'?'` is one string, and the `?` in it is text.
      quoted("'", 'string', i, i + 2, true);
    } else if ((c === 'X' || c === 'x' || c === 'B' || c === 'b') && next === "'") {
      quoted("'", 'string', i, i + 2);
    } else if ((c === 'U' || c === 'u') && next === '&' && sql[i + 2] === "'") {
      quoted("'", 'string', i, i + 3);
    } else if (c === '"') {
      quoted('"', 'quoted', i, i + 1);
    } else if (c === '-' && next === '-') {
      let j = i + 2;
      while (j < n && sql[j] !== '\n') j++;
      out.push({ kind: 'comment', text: sql.slice(i, j) });
      i = j;
    } else if (c === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      if (end < 0) throw new SqlTextError(`line 1:${i + 1}: unterminated comment`, 'SYNTAX_ERROR');
      out.push({ kind: 'comment', text: sql.slice(i, end + 2) });
      i = end + 2;
    } else if (c === '$' && /[A-Za-z_$]/.test(next ?? '')) {
      // DuckDB dollar quoting ($$…$$ or $tag$…$tag$): a `?` inside is text, not a parameter.
      const m = /^\$([A-Za-z_]\w*)?\$/.exec(sql.slice(i));
      if (!m) {
        out.push({ kind: 'symbol', text: c });
        i++;
        continue;
      }
      const end = sql.indexOf(m[0], i + m[0].length);
      if (end < 0) throw new SqlTextError(`line 1:${i + 1}: unterminated dollar-quoted string`, 'SYNTAX_ERROR');
      out.push({ kind: 'string', text: sql.slice(i, end + m[0].length) });
      i = end + m[0].length;
    } else if (c === '?') {
      out.push({ kind: 'param', text: '?' });
      i++;
    } else if (/[0-9]/.test(c) || (c === '.' && /[0-9]/.test(next ?? ''))) {
      const m = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(sql.slice(i))!;
      out.push({ kind: 'number', text: m[0] });
      i += m[0].length;
    } else if (isWordStart(c)) {
      let j = i + 1;
      while (j < n && isWordPart(sql[j])) j++;
      out.push({ kind: 'word', text: sql.slice(i, j) });
      i = j;
    } else {
      out.push({ kind: 'symbol', text: c });
      i++;
    }
  }
  return out;
}
