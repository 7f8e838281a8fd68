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

/** The rows as cells, if the result set came through setCells. */
export function cellsOf(resultSet: object | undefined): Cells[] | undefined {
  return resultSet === undefined ? undefined : (resultSet as Record<symbol, Cells[] | undefined>)[CELLS];
}
