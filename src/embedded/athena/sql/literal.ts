/**
 * The grammar an Athena execution parameter must match. Athena binds ExecutionParameters as SQL literal
 * text, so each parameter is parsed here to make sure it can only ever be one value — never a subquery,
 * a column reference, a comment or a second statement.
 *
 * What comes out is DuckDB SQL in which no text of the parameter survives as SQL text except what the
 * grammar fully checked (digits, keywords and type names from fixed lists, hex digits): the content of every
 * string becomes a prepared-statement value `$n`. So even a string the tokenizer read differently from
 * DuckDB could not end its slot early.
 */
import { SqlTextError, tokenize, type Token } from './tokenize';

const TYPED_LITERAL_TYPES = new Set([
  'TIMESTAMP', 'DATE', 'TIME', 'DECIMAL', 'VARCHAR', 'CHAR', 'VARBINARY', 'JSON', 'REAL', 'DOUBLE',
  'BIGINT', 'INTEGER', 'INT', 'SMALLINT', 'TINYINT', 'BOOLEAN', 'INTERVAL',
]);
const INTERVAL_UNITS = new Set(['YEAR', 'MONTH', 'DAY', 'HOUR', 'MINUTE', 'SECOND']);
const CAST_TYPES = new Set([...TYPED_LITERAL_TYPES, 'UUID']);
/** Trino type names DuckDB spells differently. */
const DUCK_TYPE: ReadonlyMap<string, string> = new Map([['VARBINARY', 'BLOB']]);

/**
 * Checks that `text` is one literal expression Athena accepts as an execution parameter:
 * `42`, `-1.5e3`, `'text'`, `X'00ff'`, `TRUE`/`FALSE`/`NULL`, `<type> 'text'` (e.g. `TIMESTAMP '…'`,
 * `DATE '…'`, `DECIMAL '1.20'`, `INTERVAL '2' DAY`), `CAST(<literal> AS <type>[(p[,s])])`,
 * or `ARRAY[<literal>, …]`. Returns the literal as DuckDB should read it, with each string's content
 * appended to `values` and referenced as `$<position in values>`.
 */
export function parseParameterLiteral(text: string, index: number, values: string[]): string {
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
  /** A plain `'…'` string token's content, bound as a value. */
  const bind = (quoted: string): string => {
    values.push(quoted.slice(1, -1).replace(/''/g, "'"));
    return `$${values.length}`;
  };
  const literal = (): string => {
    const t = peek();
    if (!t) return fail('empty');
    if (t.kind === 'string') {
      p++;
      if (t.text.startsWith("'")) return bind(t.text);
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
      return `CAST(${inner} AS ${DUCK_TYPE.get(ty) ?? ty})`;
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
      if (s?.kind !== 'string' || !s.text.startsWith("'")) return fail(`${w} must be followed by a quoted string`);
      p++;
      if (w === 'INTERVAL') {
        const unit = word();
        if (!unit || !INTERVAL_UNITS.has(unit)) return fail('INTERVAL needs a unit');
        p++;
        if (word() === 'TO') {
          // DuckDB has no `'1-2' YEAR TO MONTH` form; only the single-unit form is portable.
          fail('INTERVAL … TO … is not supported by the embedded engine; use a single unit');
        }
        return `CAST(${bind(s.text)} || ' ${unit}' AS INTERVAL)`;
      }
      if (w === 'DECIMAL') {
        // Trino types DECIMAL '1.20' as decimal(3,2) from its digits; DuckDB's bare DECIMAL is (18,3).
        const m = /^'\s*[+-]?(\d*)(?:\.(\d*))?\s*'$/.exec(s.text);
        if (!m || (m[1] + (m[2] ?? '')).length === 0) return fail('DECIMAL needs a decimal number');
        const scale = (m[2] ?? '').length;
        const precision = Math.max(m[1].replace(/^0+/, '').length + scale, scale, 1);
        if (precision > 38) return fail('DECIMAL literals have at most 38 digits');
        return `CAST(${bind(s.text)} AS DECIMAL(${precision},${scale}))`;
      }
      return `CAST(${bind(s.text)} AS ${DUCK_TYPE.get(w) ?? w})`;
    }
    return fail(`unexpected ${t.text}`);
  };
  const out = literal();
  if (p !== toks.length) fail(`unexpected ${toks[p].text} after the value`);
  return out;
}
