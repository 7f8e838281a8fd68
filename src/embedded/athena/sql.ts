/**
 * Lexical work on Athena SQL text before DuckDB sees it: binding `?` execution parameters, classifying
 * the statement (Athena's StatementType), and Athena's `_colN` names for unnamed columns.
 *
 * Pure: no I/O. Athena binds ExecutionParameters as SQL literal text (it runs the query as a prepared
 * statement `EXECUTE … USING <p1>, <p2>`), so each parameter must itself be a literal expression. We keep
 * that meaning and make it safe: the query is tokenized so a `?` inside a string, quoted identifier or
 * comment is never touched, and each parameter is parsed against a small literal grammar so it can only
 * ever be one value — never a subquery, a column reference, a comment or a second statement.
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

/** Splits SQL into tokens. Quotes double themselves to escape (`'it''s'`, `"a""b"`), as in Trino and DuckDB. */
export function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = sql.length;
  const quoted = (q: string, kind: TokenKind, start: number, from: number): void => {
    let j = from;
    for (;;) {
      if (j >= n) throw new SqlTextError(`line 1:${start + 1}: unterminated ${kind === 'string' ? 'string literal' : 'quoted identifier'}`, 'SYNTAX_ERROR');
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
    } else if ((c === 'X' || c === 'x' || c === 'E' || c === 'e' || c === 'B' || c === 'b') && next === "'") {
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

const TYPED_LITERAL_TYPES = new Set([
  'TIMESTAMP', 'DATE', 'TIME', 'DECIMAL', 'VARCHAR', 'CHAR', 'VARBINARY', 'JSON', 'REAL', 'DOUBLE',
  'BIGINT', 'INTEGER', 'INT', 'SMALLINT', 'TINYINT', 'BOOLEAN', 'INTERVAL',
]);
const INTERVAL_UNITS = new Set(['YEAR', 'MONTH', 'DAY', 'HOUR', 'MINUTE', 'SECOND']);
const CAST_TYPES = new Set([...TYPED_LITERAL_TYPES, 'UUID']);

/**
 * Checks that `text` is one literal expression Athena accepts as an execution parameter:
 * `42`, `-1.5e3`, `'text'`, `X'00ff'`, `TRUE`/`FALSE`/`NULL`, `<type> 'text'` (e.g. `TIMESTAMP '…'`,
 * `DATE '…'`, `DECIMAL '1.20'`, `INTERVAL '2' DAY [TO SECOND]`), `CAST(<literal> AS <type>[(p[,s])])`,
 * or `ARRAY[<literal>, …]`. Returns the literal as DuckDB should read it.
 */
export function parseParameterLiteral(text: string, index: number): string {
  const fail = (why: string): never => {
    throw new SqlTextError(`Execution parameter ${index + 1} is not a literal value (${why}): ${text}`, 'INVALID_PARAMETER_USAGE');
  };
  let toks: Token[];
  try {
    toks = tokenize(text).filter((t) => t.kind !== 'space');
  } catch (e) {
    return fail((e as Error).message);
  }
  let p = 0;
  const peek = (): Token | undefined => toks[p];
  const word = (): string | undefined => (peek()?.kind === 'word' ? peek()!.text.toUpperCase() : undefined);
  const expect = (s: string): void => {
    if (peek()?.text.toUpperCase() !== s) fail(`expected ${s}`);
    p++;
  };
  const typeName = (allowed: Set<string>): string => {
    const w = word();
    if (!w || !allowed.has(w)) return fail(`unsupported type ${peek()?.text ?? 'end of text'}`);
    p++;
    let out = w;
    if (w === 'DOUBLE' && word() === 'PRECISION') {
      p++;
      out += ' PRECISION';
    }
    if (peek()?.text === '(') {
      p++;
      const args: string[] = [];
      for (;;) {
        const t = peek();
        if (t?.kind !== 'number' || !/^\d+$/.test(t.text)) fail('type arguments must be integers');
        args.push(t!.text);
        p++;
        if (peek()?.text === ',') {
          p++;
          continue;
        }
        break;
      }
      expect(')');
      out += `(${args.join(',')})`;
    }
    return out;
  };
  const literal = (): string => {
    const t = peek();
    if (!t) return fail('empty');
    if (t.kind === 'string') {
      p++;
      if (t.text.startsWith("'")) return t.text;
      // Trino's hex literal X'00ff' is varbinary; DuckDB spells that from_hex('00ff').
      if (/^[xX]'[0-9a-fA-F\s]*'$/.test(t.text)) return `from_hex('${t.text.slice(2, -1).replace(/\s/g, '')}')`;
      return fail(`${t.text.slice(0, 2)}… strings are not Athena literals`);
    }
    if (t.kind === 'number') {
      p++;
      return t.text;
    }
    if (t.kind === 'symbol' && (t.text === '-' || t.text === '+')) {
      p++;
      const n = peek();
      if (n?.kind !== 'number') fail('a sign must be followed by a number');
      p++;
      return t.text + n!.text;
    }
    const w = word();
    if (w === 'TRUE' || w === 'FALSE' || w === 'NULL') {
      p++;
      return w;
    }
    if (w === 'CAST') {
      p++;
      expect('(');
      const inner = literal();
      expect('AS');
      const ty = typeName(CAST_TYPES);
      expect(')');
      return `CAST(${inner} AS ${ty === 'VARBINARY' ? 'BLOB' : ty})`;
    }
    if (w === 'ARRAY') {
      p++;
      expect('[');
      const items: string[] = [];
      if (peek()?.text !== ']') {
        for (;;) {
          items.push(literal());
          if (peek()?.text === ',') {
            p++;
            continue;
          }
          break;
        }
      }
      expect(']');
      return `[${items.join(', ')}]`;
    }
    if (w && TYPED_LITERAL_TYPES.has(w)) {
      p++;
      const s = peek();
      if (s?.kind !== 'string' || s.text.startsWith('$')) return fail(`${w} must be followed by a quoted string`);
      p++;
      if (w === 'INTERVAL') {
        const unit = word();
        if (!unit || !INTERVAL_UNITS.has(unit)) return fail('INTERVAL needs a unit');
        p++;
        if (word() === 'TO') {
          // DuckDB has no `'1-2' YEAR TO MONTH` form; only the single-unit form is portable.
          fail('INTERVAL … TO … is not supported by the embedded engine; use a single unit');
        }
        return `INTERVAL ${s.text} ${unit}`;
      }
      if (w === 'VARBINARY') return `CAST(${s.text} AS BLOB)`;
      if (w === 'JSON') return `CAST(${s.text} AS JSON)`;
      // `TIMESTAMP '…'`, `DATE '…'` read the same in DuckDB; the others become explicit casts.
      if (w === 'TIMESTAMP' || w === 'DATE' || w === 'TIME') return `${w} ${s.text}`;
      if (w === 'DECIMAL') {
        // Trino types DECIMAL '1.20' as decimal(3,2) from its digits; DuckDB's bare DECIMAL is (18,3).
        const m = /^'\s*[+-]?(\d*)(?:\.(\d*))?\s*'$/.exec(s.text);
        if (!m || (m[1] + (m[2] ?? '')).length === 0) return fail('DECIMAL needs a decimal number');
        const scale = (m[2] ?? '').length;
        const precision = Math.max(m[1].replace(/^0+/, '').length + scale, scale, 1);
        if (precision > 38) return fail('DECIMAL literals have at most 38 digits');
        return `CAST(${s.text} AS DECIMAL(${precision},${scale}))`;
      }
      return `CAST(${s.text} AS ${w})`;
    }
    return fail(`unexpected ${t.text}`);
  };
  const out = literal();
  if (p !== toks.length) fail(`unexpected ${toks[p].text} after the value`);
  return out;
}

/**
 * Replaces each `?` outside strings, quoted identifiers and comments with the matching parameter,
 * parenthesised so it stays one operand wherever it lands. Counts must match, as in Athena.
 */
export function bindParameters(sql: string, params: readonly string[]): string {
  const toks = tokenize(sql);
  const count = toks.filter((t) => t.kind === 'param').length;
  if (count !== params.length) {
    throw new SqlTextError(
      `line 1:1: Incorrect number of parameters: expected ${count} but found ${params.length}`,
      'INVALID_PARAMETER_USAGE',
    );
  }
  if (count === 0) return sql;
  const literals = params.map((p, i) => parseParameterLiteral(p, i));
  let k = 0;
  return toks.map((t) => (t.kind === 'param' ? `(${literals[k++]})` : t.text)).join('');
}

export type StatementType = 'DDL' | 'DML' | 'UTILITY';

const UTILITY_WORDS = new Set(['SHOW', 'DESCRIBE', 'DESC', 'EXPLAIN', 'USE', 'SET', 'RESET', 'PRAGMA', 'CALL', 'SUMMARIZE', 'PREPARE', 'EXECUTE', 'DEALLOCATE']);
const DDL_WORDS = new Set(['CREATE', 'DROP', 'ALTER', 'MSCK', 'COMMENT', 'TRUNCATE', 'GRANT', 'REVOKE', 'REFRESH']);

/**
 * Athena's StatementType from the first keyword: DDL (CREATE/DROP/ALTER …), DML (SELECT, INSERT …, and
 * CREATE TABLE … AS SELECT, which Athena counts as DML), UTILITY (SHOW, DESCRIBE, EXPLAIN …).
 */
export function statementType(sql: string): StatementType {
  let words: string[];
  try {
    words = tokenize(sql)
      .filter((t) => t.kind === 'word')
      .slice(0, 64)
      .map((t) => t.text.toUpperCase());
  } catch {
    return 'DML';
  }
  const first = words[0] ?? '';
  if (UTILITY_WORDS.has(first)) return 'UTILITY';
  if (DDL_WORDS.has(first)) {
    if (first === 'CREATE' && words.includes('TABLE') && words.includes('AS') && !words.includes('VIEW')) return 'DML';
    return 'DDL';
  }
  return 'DML';
}

/** Whether the SQL text has at least one non-blank, non-comment token. */
export function isBlank(sql: string): boolean {
  try {
    return tokenize(sql).every((t) => t.kind === 'space' || t.kind === 'comment' || (t.kind === 'symbol' && t.text === ';'));
  } catch {
    return false;
  }
}

/** Top-level select list as DuckDB's `json_serialize_sql` prints it (only the fields we read). */
interface SerializedExpr {
  class: string;
  type?: string;
  alias?: string;
  column_names?: string[];
}
interface SerializedNode {
  type: string;
  select_list?: SerializedExpr[];
  left?: SerializedNode;
}

/**
 * Trino names an output column after its alias, or after the column a bare column reference reads;
 * every other unnamed expression is `_col<i>` (0-based position). DuckDB instead names it after the
 * expression text (`count_star()`), so we rename from DuckDB's own parse tree. When the select list
 * contains `*`/COLUMNS(…) positions cannot be matched, and DuckDB's names are kept.
 */
export function athenaColumnNames(serialized: string | null, duckNames: readonly string[]): string[] {
  if (!serialized) return [...duckNames];
  let node: SerializedNode | undefined;
  try {
    const parsed = JSON.parse(serialized) as { error?: boolean; statements?: { node: SerializedNode }[] };
    if (parsed.error || parsed.statements?.length !== 1) return [...duckNames];
    node = parsed.statements[0].node;
  } catch {
    return [...duckNames];
  }
  while (node && node.type === 'SET_OPERATION_NODE') node = node.left;
  const list = node?.type === 'SELECT_NODE' ? node.select_list : undefined;
  if (!list || list.length !== duckNames.length) return [...duckNames];
  if (list.some((e) => e.class === 'STAR' || e.type === 'STAR' || e.class === 'COLUMNS')) return [...duckNames];
  return list.map((e, i) => {
    if (e.alias) return duckNames[i];
    if (e.class === 'COLUMN_REF') return duckNames[i];
    return `_col${i}`;
  });
}
