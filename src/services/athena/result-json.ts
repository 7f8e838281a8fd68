/**
 * Reads the rows of a GetQueryResults response body straight from its bytes into rows of cells
 * (`string`, or `null` for SQL NULL), without turning the whole body into a string and without building
 * the Row and Datum objects `JSON.parse` would: a page of 1,000 rows × 7 columns is ~220 KB and 8,000 such
 * objects, and decoding the text and making the objects is most of what parsing the page costs. Only each
 * cell's bytes become a string. The rest of the body (metadata, NextToken) is small and left to
 * `JSON.parse`.
 *
 * The grammar read is Athena's, in full JSON syntax (any whitespace between tokens):
 *
 *     Rows  = "[" [ Row { "," Row } ] "]"
 *     Row   = "{" [ "\"Data\"" ":" "[" [ Datum { "," Datum } ] "]" ] "}"
 *     Datum = "{" [ "\"VarCharValue\"" ":" ( string | null ) ] "}"
 *
 * Anything else (another member, another order, a raw control character in a string, a syntax error)
 * makes `scanResultRows` return null and the caller parses the whole body the ordinary way, so an
 * unexpected body costs time, never correctness. A string without escapes is decoded from its bytes as
 * UTF-8 (a quote or backslash byte is never part of a multi-byte character, so cutting there is safe); one
 * with escapes is decoded by `JSON.parse`.
 */

import { shortAscii, SHORT_ASCII } from './short-ascii';
import type { Cells } from './decoders/values';

export interface ScannedResult {
  /** The rows in order, each a cell per Datum (null where the Datum has no VarCharValue). */
  rows: Cells[];
  /** The body with `[]` in place of the rows, as text for JSON.parse to read the rest. */
  rest: string;
}

type Bytes = Buffer;

const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const DATA = Buffer.from('"Data"');
const VARCHAR_VALUE = Buffer.from('"VarCharValue"');
const NULL = Buffer.from('null');

function isSpace(c: number | undefined): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

function skipSpace(body: Bytes, pos: number): number {
  while (isSpace(body[pos])) pos++;
  return pos;
}

function startsWithAt(body: Bytes, pos: number, word: Bytes): boolean {
  for (let i = 0; i < word.length; i++) if (body[pos + i] !== word[i]) return false;
  return true;
}

/** Offset of the value of a `"key"` found at `at` (after its colon), or -1 when those bytes are not a key there. */
function keyValueAt(body: Bytes, at: number, length: number): number {
  let before = at - 1;
  while (isSpace(body[before])) before--;
  if (body[before] !== OPEN_BRACE && body[before] !== COMMA) return -1;
  const colon = skipSpace(body, at + length);
  return body[colon] === COLON ? skipSpace(body, colon + 1) : -1;
}

/**
 * Offset of the value of the first `"key"` key at or after `from` (after its colon), or -1. A key sits after
 * `{` or `,` and before `:`; in valid JSON a quote inside a string is escaped, so these bytes around
 * `"key"` mean a key, never text inside a value.
 */
function findKey(body: Bytes, key: string, from: number): number {
  const quoted = `"${key}"`;
  for (let at = body.indexOf(quoted, from); at >= 0; at = body.indexOf(quoted, at + quoted.length)) {
    const value = keyValueAt(body, at, quoted.length);
    if (value >= 0) return value;
  }
  return -1;
}

class Scanner {
  pos = 0;

  constructor(private readonly body: Bytes) {}

  /** The rows of the array opening at `open`; pos is left on its closing bracket. Null when off-grammar. */
  rows(open: number): Cells[] | null {
    const body = this.body;
    const rows: Cells[] = [];
    let p = skipSpace(body, open + 1);
    if (body[p] === CLOSE_BRACKET) {
      this.pos = p;
      return rows;
    }
    for (;;) {
      if (body[p] !== OPEN_BRACE) return null;
      this.pos = p + 1;
      const cells = this.row();
      if (cells === null) return null;
      rows.push(cells);
      p = skipSpace(body, this.pos);
      const c = body[p];
      if (c === COMMA) {
        p = skipSpace(body, p + 1);
        continue;
      }
      if (c !== CLOSE_BRACKET) return null;
      this.pos = p;
      return rows;
    }
  }

  /** After a row's `{`: its cells; pos is left after its `}`. */
  private row(): Cells | null {
    const body = this.body;
    let p = skipSpace(body, this.pos);
    const cells: Cells = [];
    if (body[p] === CLOSE_BRACE) {
      this.pos = p + 1;
      return cells;
    }
    if (!startsWithAt(body, p, DATA)) return null;
    p = skipSpace(body, p + DATA.length);
    if (body[p] !== COLON) return null;
    p = skipSpace(body, p + 1);
    if (body[p] !== OPEN_BRACKET) return null;
    p = skipSpace(body, p + 1);
    if (body[p] !== CLOSE_BRACKET) {
      for (;;) {
        if (body[p] !== OPEN_BRACE) return null;
        p = skipSpace(body, p + 1);
        if (body[p] === CLOSE_BRACE) {
          cells.push(null);
        } else {
          if (!startsWithAt(body, p, VARCHAR_VALUE)) return null;
          p = skipSpace(body, p + VARCHAR_VALUE.length);
          if (body[p] !== COLON) return null;
          p = skipSpace(body, p + 1);
          if (body[p] === QUOTE) {
            this.pos = p + 1;
            const value = this.string();
            if (value === null) return null;
            cells.push(value);
            p = skipSpace(body, this.pos);
          } else if (startsWithAt(body, p, NULL)) {
            cells.push(null);
            p = skipSpace(body, p + NULL.length);
          } else {
            return null;
          }
          if (body[p] !== CLOSE_BRACE) return null;
        }
        p = skipSpace(body, p + 1);
        const c = body[p];
        if (c === COMMA) {
          p = skipSpace(body, p + 1);
          continue;
        }
        if (c !== CLOSE_BRACKET) return null;
        break;
      }
    }
    p = skipSpace(body, p + 1);
    if (body[p] !== CLOSE_BRACE) return null;
    this.pos = p + 1;
    return cells;
  }

  /** After a string's opening quote: its value; pos is left after the closing quote. */
  private string(): string | null {
    const body = this.body;
    const start = this.pos;
    let end = start;
    let escaped = false;
    let bits = 0; // every byte OR-ed: below 0x80 means ASCII
    for (;;) {
      const c = body[end];
      if (c === QUOTE) break;
      if (c === undefined || c < 32) return null; // the end of the body, or a raw control character
      if (c === BACKSLASH) {
        escaped = true;
        end += 2;
      } else {
        bits |= c;
        end++;
      }
    }
    this.pos = end + 1;
    if (!escaped) {
      if (bits < 0x80 && end - start <= SHORT_ASCII) return shortAscii(body, start, end - start);
      return body.toString('utf8', start, end);
    }
    try {
      return JSON.parse(body.toString('utf8', start - 1, end + 1)) as string;
    } catch {
      return null;
    }
  }
}

/**
 * The rows of a GetQueryResults body, and the body without them; null when the body is not in the shape
 * above or has more than one `"Rows"` key (the caller then parses it whole).
 */
export function scanResultRows(body: Bytes): ScannedResult | null {
  const open = findKey(body, 'Rows', 0);
  if (open < 0 || body[open] !== OPEN_BRACKET) return null;
  const scanner = new Scanner(body);
  const rows = scanner.rows(open);
  if (rows === null) return null;
  const close = scanner.pos;
  if (findKey(body, 'Rows', close + 1) >= 0) return null;
  return { rows, rest: body.toString('utf8', 0, open) + '[]' + body.toString('utf8', close + 1) };
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

/**
 * Offset of the value of the only `"key"` key in the body, -1 when there is none, -2 when unsure (the bytes
 * `"key"` appear more than once, or once but not as a key). Each search reads the whole body (a page is
 * ~220 KB), so the body is searched once for the first `"key"` and once past it, and no more.
 */
function onlyKeyValueAt(body: Bytes, key: string): number {
  const quoted = `"${key}"`;
  const first = body.indexOf(quoted);
  if (first < 0) return -1;
  if (body.indexOf(quoted, first + quoted.length) >= 0) return -2;
  const at = keyValueAt(body, first, quoted.length);
  return at < 0 ? -2 : at;
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
  const first = skipSpace(body, 0);
  let last = body.length - 1;
  while (last > first && isSpace(body[last])) last--;
  if (body[first] !== OPEN_BRACE || body[last] !== CLOSE_BRACE) return null;
  if (onlyKeyValueAt(body, 'ResultSet') < 0) return null;
  const peeked: Peeked = {};
  const token = onlyKeyValueAt(body, 'NextToken');
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
  const count = onlyKeyValueAt(body, 'UpdateCount');
  if (count === -2) return null;
  if (count >= 0) {
    let end = count;
    while (body[end]! >= 48 && body[end]! <= 57) end++;
    if (end === count || end - count > 15) return null;
    peeked.updateCount = Number(body.toString('latin1', count, end));
  }
  return peeked;
}
