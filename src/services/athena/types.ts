/**
 * Athena (Trino) type names, parsed.
 *
 * Athena's ColumnInfo says only "array", "map" or "row" for nested columns, so a caller who knows the
 * element types passes them as a hint in Trino's own grammar (`array(row(a bigint, b array(varchar)))`).
 * This module turns such text into a tree the decoder can pick element decoders from. Pure: text in,
 * tree out.
 */

export type AthenaType =
  | { readonly kind: 'scalar'; readonly name: string; readonly params: readonly number[] }
  | { readonly kind: 'array'; readonly element: AthenaType }
  | { readonly kind: 'map'; readonly key: AthenaType; readonly value: AthenaType }
  | { readonly kind: 'row'; readonly fields: readonly RowField[] };

/** A row field; `name` is null for anonymous fields (`row(integer, varchar)`). */
export interface RowField {
  readonly name: string | null;
  readonly type: AthenaType;
}

/** A type text that is not in Trino's type grammar, or a hint that does not fit its column. */
export class AthenaTypeError extends Error {
  override name = 'AthenaTypeError';

  /** `target`: the column a hint was given for, when the error is about that hint. */
  constructor(
    message: string,
    readonly target?: string,
  ) {
    super(message);
  }
}

/**
 * Scalar type names spelt with more than one word. They matter inside `row(...)`, where the first word
 * of a field is normally its name: `row(timestamp with time zone)` is one anonymous field, not a field
 * called "timestamp".
 */
const MULTI_WORD = new Set([
  'timestamp with time zone',
  'timestamp without time zone',
  'time with time zone',
  'time without time zone',
  'interval day to second',
  'interval year to month',
  'double precision',
]);

/** Spellings Trino accepts for the same type, mapped to the name Athena reports in ColumnInfo. */
const ALIASES: Readonly<Record<string, string>> = {
  int: 'integer',
  'double precision': 'double',
  'timestamp without time zone': 'timestamp',
  'time without time zone': 'time',
};

type Token =
  | { t: 'word'; v: string; at: number }
  | { t: 'quoted'; v: string; at: number }
  | { t: 'num'; v: number; at: number }
  | { t: '(' | ')' | ','; at: number }
  | { t: 'end'; at: number };

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
    } else if (c === '(' || c === ')' || c === ',') {
      out.push({ t: c, at: i });
      i++;
    } else if (c === '"') {
      // Trino quotes identifiers with "…" and escapes a quote by doubling it.
      let v = '';
      let j = i + 1;
      for (;;) {
        if (j >= text.length) throw syntax(text, i, 'unterminated quoted name');
        if (text[j] === '"') {
          if (text[j + 1] === '"') {
            v += '"';
            j += 2;
            continue;
          }
          break;
        }
        v += text[j];
        j++;
      }
      out.push({ t: 'quoted', v, at: i });
      i = j + 1;
    } else if (c >= '0' && c <= '9') {
      let j = i;
      while (j < text.length && text[j]! >= '0' && text[j]! <= '9') j++;
      out.push({ t: 'num', v: Number(text.slice(i, j)), at: i });
      i = j;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i;
      while (j < text.length && /[A-Za-z0-9_]/.test(text[j]!)) j++;
      out.push({ t: 'word', v: text.slice(i, j), at: i });
      i = j;
    } else {
      throw syntax(text, i, `unexpected ${JSON.stringify(c)}`);
    }
  }
  out.push({ t: 'end', at: text.length });
  return out;
}

function syntax(text: string, at: number, why: string): AthenaTypeError {
  return new AthenaTypeError(`Type ${JSON.stringify(text)} is not a Trino type: ${why} at offset ${at}`);
}

/**
 * Parse a Trino/Athena type name such as `bigint`, `decimal(38,10)`, `timestamp(3) with time zone`,
 * `map(varchar, array(integer))` or `row(x integer, "a b" varchar)`. Names are case-insensitive and come
 * back lower-case; unknown scalar names (`uuid`, `ipaddress`, …) are kept, the decoder passes them as text.
 * Throws AthenaTypeError quoting the text and the offset of the first problem.
 */
export function parseType(text: string): AthenaType {
  const tokens = tokenize(text);
  let pos = 0;
  const peek = (): Token => tokens[pos]!;
  const next = (): Token => tokens[pos++]!;
  const expect = (t: Token['t']): Token => {
    const tok = next();
    if (tok.t !== t) throw syntax(text, tok.at, `expected ${t === 'end' ? 'end of text' : `"${t}"`}`);
    return tok;
  };

  const words = (): string[] => {
    const ws: string[] = [];
    while (peek().t === 'word') ws.push((next() as { v: string }).v.toLowerCase());
    return ws;
  };

  const numbers = (): number[] => {
    const ps: number[] = [];
    expect('(');
    for (;;) {
      const tok = next();
      if (tok.t !== 'num') throw syntax(text, tok.at, 'expected a number');
      ps.push(tok.v);
      const sep = next();
      if (sep.t === ')') return ps;
      if (sep.t !== ',') throw syntax(text, sep.at, 'expected "," or ")"');
    }
  };

  /** The rest of a scalar after its first words: `(p[,s])` and a trailing `with time zone`. */
  const scalarFrom = (first: string[], at: number): AthenaType => {
    let params: number[] = [];
    if (peek().t === '(') params = numbers();
    const more = words();
    const phrase = [...first, ...more].join(' ');
    if (phrase === '') throw syntax(text, at, 'expected a type name');
    return { kind: 'scalar', name: ALIASES[phrase] ?? phrase, params };
  };

  const type = (): AthenaType => {
    const start = peek();
    const ws = words();
    if (ws.length === 0) throw syntax(text, start.at, 'expected a type name');
    if (ws.length === 1 && peek().t === '(') {
      const name = ws[0]!;
      if (name === 'array') {
        next();
        const element = type();
        expect(')');
        return { kind: 'array', element };
      }
      if (name === 'map') {
        next();
        const key = type();
        expect(',');
        const value = type();
        expect(')');
        return { kind: 'map', key, value };
      }
      if (name === 'row') {
        next();
        const fields: RowField[] = [];
        for (;;) {
          fields.push(field());
          const sep = next();
          if (sep.t === ')') break;
          if (sep.t !== ',') throw syntax(text, sep.at, 'expected "," or ")"');
        }
        return { kind: 'row', fields };
      }
    }
    if (ws[0] === 'array' || ws[0] === 'map' || ws[0] === 'row') {
      // Bare "array"/"map"/"row" is what ColumnInfo says; it carries no element types.
      if (ws.length === 1) return { kind: 'scalar', name: ws[0], params: [] };
      throw syntax(text, start.at, `expected "(" after ${ws[0]}`);
    }
    return scalarFrom(ws, start.at);
  };

  const field = (): RowField => {
    const tok = peek();
    if (tok.t === 'quoted') {
      next();
      return { name: tok.v, type: type() };
    }
    // `x integer`, `x decimal(10,2)`, `integer`, `timestamp with time zone`: the first word is a name
    // unless the words (with what follows) already make a whole type.
    const save = pos;
    const ws = words();
    if (ws.length === 0) throw syntax(text, tok.at, 'expected a field');
    if (ws.length === 1 && peek().t === '(') {
      pos = save;
      return { name: null, type: type() };
    }
    if (ws.length === 1 || MULTI_WORD.has(ws.join(' '))) {
      pos = save;
      return { name: null, type: type() };
    }
    const name = (tokens[save] as { v: string }).v; // keep the field name's case as written
    pos = save + 1;
    return { name, type: type() };
  };

  const result = type();
  expect('end');
  return result;
}

/** The canonical text of a type: lower-case names, `, ` between parameters, quoted field names only when needed. */
export function formatType(t: AthenaType): string {
  switch (t.kind) {
    case 'scalar': {
      if (t.params.length === 0) return t.name;
      const p = `(${t.params.join(',')})`;
      // Precision sits before the zone words: `timestamp(3) with time zone`.
      const m = /^(timestamp|time)( with time zone)$/.exec(t.name);
      return m ? `${m[1]}${p}${m[2]}` : `${t.name}${p}`;
    }
    case 'array':
      return `array(${formatType(t.element)})`;
    case 'map':
      return `map(${formatType(t.key)}, ${formatType(t.value)})`;
    case 'row':
      return `row(${t.fields
        .map((f) =>
          f.name === null
            ? formatType(f.type)
            : `${/^[A-Za-z_][A-Za-z0-9_]*$/.test(f.name) ? f.name : `"${f.name.replace(/"/g, '""')}"`} ${formatType(f.type)}`,
        )
        .join(', ')})`;
    default: {
      const never: never = t;
      throw new Error(`unreachable type ${JSON.stringify(never)}`);
    }
  }
}

/** "array", "map", "row" or the scalar name: what Athena's ColumnInfo.Type would say for this type. */
export function baseName(t: AthenaType): string {
  return t.kind === 'scalar' ? t.name : t.kind;
}
