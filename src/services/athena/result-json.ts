/**
 * Reads the rows of a GetQueryResults response body straight from its JSON text into rows of cells
 * (`string`, or `null` for SQL NULL), without building the Row and Datum objects `JSON.parse` would:
 * a page of 1,000 rows × 7 columns is 8,000 such objects, and making them is most of what parsing the page
 * costs. The rest of the body (metadata, NextToken) is small and left to `JSON.parse`.
 *
 * The grammar read is Athena's, in full JSON syntax (any whitespace between tokens):
 *
 *     Rows  = "[" [ Row { "," Row } ] "]"
 *     Row   = "{" [ "\"Data\"" ":" "[" [ Datum { "," Datum } ] "]" ] "}"
 *     Datum = "{" [ "\"VarCharValue\"" ":" ( string | null ) ] "}"
 *
 * Anything else (another member, another order, a syntax error) makes `scanResultRows` return null and the
 * caller parses the whole body the ordinary way, so an unexpected body costs time, never correctness.
 * Strings are taken as they are when they hold no backslash and decoded by `JSON.parse` when they do.
 * One leniency: raw control characters inside a string, which strict JSON forbids, are kept as they are.
 */

export type Cells = (string | null)[];

export interface ScannedResult {
  /** The rows in order, each a cell per Datum (null where the Datum has no VarCharValue). */
  rows: Cells[];
  /** The body with `[]` in place of the rows, for JSON.parse to read the rest. */
  rest: string;
}

const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;

function skipSpace(text: string, pos: number): number {
  let c = text.charCodeAt(pos);
  while (c === 32 || c === 10 || c === 13 || c === 9) c = text.charCodeAt(++pos);
  return pos;
}

/** Index of the value of the first `"Rows"` key at or after `from` (after its colon), or -1. */
function findRowsKey(text: string, from: number): number {
  for (let at = text.indexOf('"Rows"', from); at >= 0; at = text.indexOf('"Rows"', at + 6)) {
    // A key: after `{` or `,` and before `:`. In valid JSON a quote inside a string is escaped, so these
    // characters around `"Rows"` mean a key, never text inside a value.
    let before = at - 1;
    let c = text.charCodeAt(before);
    while (c === 32 || c === 10 || c === 13 || c === 9) c = text.charCodeAt(--before);
    if (c !== OPEN_BRACE && c !== COMMA) continue;
    const colon = skipSpace(text, at + 6);
    if (text.charCodeAt(colon) === COLON) return skipSpace(text, colon + 1);
  }
  return -1;
}

class Scanner {
  pos = 0;
  /** The next backslash at or after pos (text.length when none): strings before it need no decoding. */
  private backslash = -1;

  constructor(private readonly text: string) {}

  /** The rows of the array opening at `pos`; pos is left on its closing bracket. Null when off-grammar. */
  rows(open: number): Cells[] | null {
    const text = this.text;
    this.backslash = text.indexOf('\\', open);
    if (this.backslash < 0) this.backslash = text.length;
    const rows: Cells[] = [];
    let p = skipSpace(text, open + 1);
    if (text.charCodeAt(p) === CLOSE_BRACKET) {
      this.pos = p;
      return rows;
    }
    for (;;) {
      if (text.charCodeAt(p) !== OPEN_BRACE) return null;
      this.pos = p + 1;
      const cells = this.row();
      if (cells === null) return null;
      rows.push(cells);
      p = skipSpace(text, this.pos);
      const c = text.charCodeAt(p);
      if (c === COMMA) {
        p = skipSpace(text, p + 1);
        continue;
      }
      if (c !== CLOSE_BRACKET) return null;
      this.pos = p;
      return rows;
    }
  }

  /** After a row's `{`: its cells; pos is left after its `}`. */
  private row(): Cells | null {
    const text = this.text;
    let p = skipSpace(text, this.pos);
    const cells: Cells = [];
    if (text.charCodeAt(p) === CLOSE_BRACE) {
      this.pos = p + 1;
      return cells;
    }
    if (!text.startsWith('"Data"', p)) return null;
    p = skipSpace(text, p + 6);
    if (text.charCodeAt(p) !== COLON) return null;
    p = skipSpace(text, p + 1);
    if (text.charCodeAt(p) !== OPEN_BRACKET) return null;
    p = skipSpace(text, p + 1);
    if (text.charCodeAt(p) !== CLOSE_BRACKET) {
      for (;;) {
        if (text.charCodeAt(p) !== OPEN_BRACE) return null;
        p = skipSpace(text, p + 1);
        if (text.charCodeAt(p) === CLOSE_BRACE) {
          cells.push(null);
        } else {
          if (!text.startsWith('"VarCharValue"', p)) return null;
          p = skipSpace(text, p + 14);
          if (text.charCodeAt(p) !== COLON) return null;
          p = skipSpace(text, p + 1);
          if (text.charCodeAt(p) === QUOTE) {
            this.pos = p + 1;
            const value = this.string();
            if (value === null) return null;
            cells.push(value);
            p = skipSpace(text, this.pos);
          } else if (text.startsWith('null', p)) {
            cells.push(null);
            p = skipSpace(text, p + 4);
          } else {
            return null;
          }
          if (text.charCodeAt(p) !== CLOSE_BRACE) return null;
        }
        p = skipSpace(text, p + 1);
        const c = text.charCodeAt(p);
        if (c === COMMA) {
          p = skipSpace(text, p + 1);
          continue;
        }
        if (c !== CLOSE_BRACKET) return null;
        break;
      }
    }
    p = skipSpace(text, p + 1);
    if (text.charCodeAt(p) !== CLOSE_BRACE) return null;
    this.pos = p + 1;
    return cells;
  }

  /** After a string's opening quote: its value; pos is left after the closing quote. */
  private string(): string | null {
    const text = this.text;
    const start = this.pos;
    let end = text.indexOf('"', start);
    if (end < 0) return null;
    if (this.backslash > end) {
      this.pos = end + 1;
      return text.slice(start, end);
    }
    // Escapes: the closing quote is the first one preceded by an even number of backslashes.
    for (;;) {
      let n = 0;
      while (text.charCodeAt(end - 1 - n) === BACKSLASH) n++;
      if ((n & 1) === 0) break;
      end = text.indexOf('"', end + 1);
      if (end < 0) return null;
    }
    let value: unknown;
    try {
      value = JSON.parse(text.slice(start - 1, end + 1));
    } catch {
      return null;
    }
    this.pos = end + 1;
    this.backslash = text.indexOf('\\', this.pos);
    if (this.backslash < 0) this.backslash = text.length;
    return value as string;
  }
}

/**
 * The rows of a GetQueryResults body, and the body without them; null when the body is not in the shape
 * above or has more than one `"Rows"` key (the caller then parses it whole).
 */
export function scanResultRows(text: string): ScannedResult | null {
  const open = findRowsKey(text, 0);
  if (open < 0 || text.charCodeAt(open) !== OPEN_BRACKET) return null;
  const scanner = new Scanner(text);
  const rows = scanner.rows(open);
  if (rows === null) return null;
  const close = scanner.pos;
  if (findRowsKey(text, close + 1) >= 0) return null;
  return { rows, rest: text.slice(0, open) + '[]' + text.slice(close + 1) };
}

/** Where a deserialized GetQueryResults output keeps the rows as cells (protocol.ts puts them there). */
const CELLS = Symbol('gapwatch.cells');

type ResultSetLike = { Rows?: unknown } & object;

/**
 * Gives a result set its rows as cells, and `Rows` as the SDK's Row objects made only if something reads
 * them (nothing in gapwatch does: pages.ts reads the cells). Assigning `Rows` replaces both.
 */
export function setCells(resultSet: ResultSetLike, rows: Cells[]): void {
  let made: unknown;
  Object.defineProperty(resultSet, CELLS, { value: rows, configurable: true });
  Object.defineProperty(resultSet, 'Rows', {
    enumerable: true,
    configurable: true,
    get: () => (made ??= rows.map((cells) => ({ Data: cells.map((v) => (v === null ? {} : { VarCharValue: v })) }))),
    set(this: ResultSetLike, value: unknown) {
      delete (this as Record<symbol, unknown>)[CELLS];
      Object.defineProperty(this, 'Rows', { value, writable: true, enumerable: true, configurable: true });
    },
  });
}

/**
 * A result set read only when one of its members (or its cells) is first asked for: `read` makes the real
 * one. Lets a page be handed on, and the next one asked for, before the rows are read. Assigning a member
 * reads it first, then replaces that member.
 */
export function lazyResultSet(read: () => ResultSetLike & { ResultSetMetadata?: unknown }): ResultSetLike {
  let real: (ResultSetLike & Record<string, unknown>) | undefined;
  let pending: typeof read | undefined = read; // dropped once used, and with it the body it holds
  const get = () => {
    if (real === undefined) {
      real = pending!() as ResultSetLike & Record<string, unknown>;
      pending = undefined;
    }
    return real;
  };
  const lazy: ResultSetLike = {};
  for (const member of ['Rows', 'ResultSetMetadata']) {
    Object.defineProperty(lazy, member, {
      enumerable: true,
      configurable: true,
      get: () => get()[member],
      set: (value: unknown) => {
        get()[member] = value;
      },
    });
  }
  Object.defineProperty(lazy, CELLS, { get: () => cellsOf(get()) });
  return lazy;
}

/** The rows as cells, if the result set came through setCells. */
export function cellsOf(resultSet: object | undefined): Cells[] | undefined {
  return resultSet === undefined ? undefined : (resultSet as Record<symbol, Cells[] | undefined>)[CELLS];
}

const SPACE_BYTES = new Set([32, 10, 13, 9]);

function skipSpaceBytes(body: Uint8Array, pos: number): number {
  while (pos < body.length && SPACE_BYTES.has(body[pos]!)) pos++;
  return pos;
}

/** Offset of the value of the only `"key"` key in the body, -1 when there is none, -2 when unsure. */
function keyValueAt(body: Buffer, key: string): number {
  const quoted = `"${key}"`;
  const at = body.indexOf(quoted);
  if (at < 0) return -1;
  if (body.indexOf(quoted, at + quoted.length) >= 0) return -2;
  // A key (not text inside a string: there a quote is escaped) sits after `{` or `,` and before `:`.
  let before = at - 1;
  while (before >= 0 && SPACE_BYTES.has(body[before]!)) before--;
  if (body[before] !== OPEN_BRACE && body[before] !== COMMA) return -2;
  const colon = skipSpaceBytes(body, at + quoted.length);
  return body[colon] === COLON ? skipSpaceBytes(body, colon + 1) : -2;
}

export interface Peeked {
  /** NextToken, or undefined when the body has none. */
  nextToken?: string;
  /** UpdateCount, or undefined when the body has none. */
  updateCount?: number;
}

/**
 * The small top-level members of a GetQueryResults body, read from its bytes without parsing the rows, so
 * the next page can be asked for before this one is read. Null when the body is not plainly an object
 * with one ResultSet and at most one of each member in simple form (escapes, odd numbers): the caller
 * then parses it whole at once.
 */
export function peekResults(body: Buffer): Peeked | null {
  const first = skipSpaceBytes(body, 0);
  let last = body.length - 1;
  while (last > first && SPACE_BYTES.has(body[last]!)) last--;
  if (body[first] !== OPEN_BRACE || body[last] !== CLOSE_BRACE) return null;
  if (keyValueAt(body, 'ResultSet') < 0) return null;
  const peeked: Peeked = {};
  const token = keyValueAt(body, 'NextToken');
  if (token === -2) return null;
  if (token >= 0) {
    if (body[token] === QUOTE) {
      const end = body.indexOf(QUOTE, token + 1);
      const slash = body.indexOf(BACKSLASH, token + 1);
      if (end < 0 || (slash >= 0 && slash < end)) return null;
      peeked.nextToken = body.toString('utf8', token + 1, end);
    } else if (body.toString('latin1', token, token + 4) !== 'null') {
      return null;
    }
  }
  const count = keyValueAt(body, 'UpdateCount');
  if (count === -2) return null;
  if (count >= 0) {
    let end = count;
    while (body[end]! >= 48 && body[end]! <= 57) end++;
    if (end === count || end - count > 15) return null;
    peeked.updateCount = Number(body.toString('latin1', count, end));
  }
  return peeked;
}
