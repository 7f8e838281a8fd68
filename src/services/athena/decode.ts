/**
 * Athena GetQueryResults rows → typed JSON values, for any query.
 *
 * Athena sends every cell as text (`Datum.VarCharValue`) and a NULL as a Datum with no VarCharValue; a row
 * reaches the decoder as those cells, text or null (`Cells`: see result-json.ts and pages.ts).
 * The decoder is built once per result from its ColumnInfo: one function per column is picked up front,
 * so decoding a cell is one call, not a switch on the type name. Every value it returns is plain JSON
 * (null, boolean, number, string, array, object), so a GraphQL `JSONObject` can pass it through exactly;
 * the mapping per type is documented in docs/typed-rows.md.
 *
 * Pure: rows in, values out. No I/O, no clock. A malformed cell never throws; it becomes an
 * `{ $invalid, reason }` marker and the rest of the row is still decoded.
 */
import type { ColumnInfo } from '@aws-sdk/client-athena';
import type { Cells } from './result-json';
import { AthenaTypeError, baseName, parseType, type AthenaType } from './types';
import { zoneFor, type Zone } from '../time/zone';
import { isSafeNumber, parse as parseLosslessJson } from 'lossless-json';

export type TypedValue = null | boolean | number | string | TypedValue[] | { [k: string]: TypedValue };

export interface DecodedColumn {
  index: number;
  /** The column name as Athena reported it (may repeat, may be empty, may look like a number). */
  name: string;
  /** A unique object key for this column (see `uniqueKeys`). */
  key: string;
  /** What ColumnInfo.Type said, lower-case without parameters: "bigint", "timestamp with time zone", "array". */
  type: string;
  precision?: number;
  scale?: number;
  nullable: 'NOT_NULL' | 'NULLABLE' | 'UNKNOWN';
  /** The element-type hint used for a nested column, as given. */
  hint?: string;
}

export interface ResultDecoder {
  readonly columns: readonly DecodedColumn[];
  /** Positional values, one per column; a missing cell counts as NULL. */
  decodeRow(cells: Readonly<Cells>): TypedValue[];
  decodeRows(rows: readonly Readonly<Cells>[]): TypedValue[][];
  /** Values keyed by `DecodedColumn.key`. */
  toObject(values: readonly TypedValue[]): Record<string, TypedValue>;
}

/** A cell Athena sent that does not fit its column type. Plain JSON so it survives serialization. */
export interface InvalidValue {
  $invalid: string;
  reason: string;
  [k: string]: TypedValue;
}

type Decode = (raw: string) => TypedValue;

function invalid(raw: string, reason: string): InvalidValue {
  return { $invalid: raw, reason };
}

/**
 * True for the marker a malformed cell decodes to. Checked by shape (exactly the keys `$invalid` and
 * `reason`, both strings), because markers travel as JSON; a `json` cell holding that very shape is
 * indistinguishable, which docs/typed-rows.md notes.
 */
export function isInvalid(v: TypedValue): boolean {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  return (
    keys.length === 2 && typeof v['$invalid'] === 'string' && typeof v['reason'] === 'string'
  );
}

// ---------------------------------------------------------------------------------------------
// Scalars. Each decoder validates with char codes where it is hot (timestamps, integers) because
// it runs once per cell; regexes where the type is rare.
// ---------------------------------------------------------------------------------------------

const ZERO = 48;

function isDigit(c: number): boolean {
  return c >= ZERO && c <= ZERO + 9;
}

function twoDigits(s: string, i: number): number {
  const a = s.charCodeAt(i) - ZERO;
  const b = s.charCodeAt(i + 1) - ZERO;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/** `YYYY-MM-DD` at offset o, a real calendar day. */
function validDateAt(s: string, o: number): boolean {
  const hi = twoDigits(s, o);
  const lo = twoDigits(s, o + 2);
  if (hi < 0 || lo < 0 || s.charCodeAt(o + 4) !== 45 || s.charCodeAt(o + 7) !== 45) return false;
  const month = twoDigits(s, o + 5);
  const day = twoDigits(s, o + 8);
  return month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(hi * 100 + lo, month);
}

/** `HH:MM:SS` at offset o. */
function validTimeAt(s: string, o: number): boolean {
  const h = twoDigits(s, o);
  const m = twoDigits(s, o + 3);
  const sec = twoDigits(s, o + 6);
  return (
    h >= 0 && h < 24 && m >= 0 && m < 60 && sec >= 0 && sec < 60 &&
    s.charCodeAt(o + 2) === 58 && s.charCodeAt(o + 5) === 58
  );
}

/** Digits after the `.` at index `dot` up to `end`; -1 when there are none or a non-digit. */
function fractionDigits(s: string, dot: number, end: number): number {
  if (dot + 1 >= end) return -1;
  for (let i = dot + 1; i < end; i++) if (!isDigit(s.charCodeAt(i))) return -1;
  return end - dot - 1;
}

const MILLIS_PAD = ['.000', '00', '0', ''];

/**
 * `YYYY-MM-DD HH:MM:SS[.f…]` (the part of s up to `end`) → `YYYY-MM-DDTHH:MM:SS.fff…`, or null when malformed.
 * Sub-millisecond digits are kept; fewer than three are padded so every instant has millis.
 */
function isoLocal(s: string, end: number): string | null {
  if (end < 19 || s.charCodeAt(10) !== 32 || !validDateAt(s, 0) || !validTimeAt(s, 11)) return null;
  if (end === 19) return s.slice(0, 10) + 'T' + s.slice(11, 19) + '.000';
  if (s.charCodeAt(19) !== 46) return null;
  const f = fractionDigits(s, 19, end);
  if (f < 0) return null;
  const local = s.slice(0, 10) + 'T' + s.slice(11, end);
  return f >= 3 ? local : local + MILLIS_PAD[f];
}

/**
 * Athena timestamps carry no zone; by convention (and Athena's own) they are UTC.
 *
 * The common shape, `YYYY-MM-DD HH:MM:SS.fff` (and longer fractions), takes a fast path: the time of day
 * is checked with char codes, and the date is compared with the column's last validated date, because
 * the rows of one result mostly share a day. That compare is a 10-character copy and a string equality,
 * about a third of what validating the date costs, and it lets the output reuse the memo's
 * `YYYY-MM-DDT`, so a cell costs one copy and two concatenations. (The memo is a fresh 10-character
 * string: a slice of 13 or more characters would be a V8 SlicedString, slow to compare and keeping the
 * whole page text alive.) Every other shape, and a date not seen last, goes through `isoLocal`; the
 * memo changes no result.
 */
function timestampDecoder(): Decode {
  let lastDay = '1970-01-01'; // starts as a valid date, so a match is always right
  let lastDayT = '1970-01-01T';
  return (raw) => {
    const n = raw.length;
    if (
      n >= 23 &&
      raw.charCodeAt(10) === 32 && raw.charCodeAt(13) === 58 && raw.charCodeAt(16) === 58 && raw.charCodeAt(19) === 46
    ) {
      const h = twoDigits(raw, 11);
      const m = twoDigits(raw, 14);
      const sec = twoDigits(raw, 17);
      if (h >= 0 && h < 24 && m >= 0 && m < 60 && sec >= 0 && sec < 60 && fractionDigits(raw, 19, n) >= 3) {
        const day = raw.slice(0, 10);
        if (day === lastDay) return lastDayT + raw.slice(11) + 'Z';
        if (validDateAt(raw, 0)) {
          lastDay = day;
          lastDayT = day + 'T';
          return lastDayT + raw.slice(11) + 'Z';
        }
      }
    }
    const local = isoLocal(raw, n);
    return local === null ? invalid(raw, 'not a timestamp (YYYY-MM-DD HH:MM:SS[.fff])') : local + 'Z';
  };
}

/** Dates repeat from row to row, so a cell equal to the column's last valid date skips validation. */
function dateDecoder(): Decode {
  let last = '1970-01-01'; // a valid date, so a match is always right
  return (raw) => {
    if (raw === last) return raw;
    if (raw.length === 10 && validDateAt(raw, 0)) {
      last = raw;
      return raw;
    }
    return invalid(raw, 'not a date (YYYY-MM-DD)');
  };
}

const TIME_TZ = /^(\d{2}:\d{2}:\d{2}(?:\.\d+)?)([+-]\d{2}:\d{2})$/;

const decodeTime: Decode = (raw) => {
  const ok =
    raw.length >= 8 &&
    validTimeAt(raw, 0) &&
    (raw.length === 8 || (raw.charCodeAt(8) === 46 && fractionDigits(raw, 8, raw.length) > 0));
  return ok ? raw : invalid(raw, 'not a time (HH:MM:SS[.fff])');
};

const decodeTimeWithZone: Decode = (raw) => {
  const m = TIME_TZ.exec(raw);
  return m && decodeTime(m[1]!) === m[1] && validOffset(m[2]!) !== null
    ? raw
    : invalid(raw, 'not a time with time zone (HH:MM:SS[.fff]±HH:MM)');
};

/** `±HH:MM` → offset in minutes, or null. */
function validOffset(s: string): number | null {
  const h = twoDigits(s, 1);
  const m = twoDigits(s, 4);
  if (s.length !== 6 || (s[0] !== '+' && s[0] !== '-') || s[3] !== ':' || h < 0 || h > 18 || m < 0 || m > 59) {
    return null;
  }
  return (s[0] === '-' ? -1 : 1) * (h * 60 + m);
}

/** Epoch ms of a wall-clock time read as UTC; Date.UTC would map years 0–99 to 1900–1999. */
function utcMs(y: number, mo: number, d: number, h: number, mi: number, s: number): number {
  const date = new Date(0);
  date.setUTCFullYear(y, mo - 1, d);
  date.setUTCHours(h, mi, s, 0);
  return date.getTime();
}

function formatOffset(seconds: number): string {
  const sign = seconds < 0 ? '-' : '+';
  const a = Math.abs(seconds);
  const hh = String(Math.floor(a / 3600)).padStart(2, '0');
  const mm = String(Math.floor((a % 3600) / 60)).padStart(2, '0');
  const ss = a % 60;
  return `${sign}${hh}:${mm}${ss === 0 ? '' : ':' + String(ss).padStart(2, '0')}`;
}

/**
 * `2001-08-22 03:04:05.321 America/New_York` → `2001-08-22T03:04:05.321-04:00[America/New_York]`
 * (RFC 9557, the form Temporal.ZonedDateTime prints). UTC keeps its id: `…+00:00[UTC]`; a fixed offset
 * zone is its own id: `…+05:30[+05:30]`.
 */
const decodeTimestampWithZone: Decode = (raw) => {
  const space = raw.indexOf(' ', 11);
  const local = space < 0 ? null : isoLocal(raw, space);
  if (local === null) return invalid(raw, 'not a timestamp with time zone (YYYY-MM-DD HH:MM:SS[.fff] zone)');
  const zone = raw.slice(space + 1);
  const fixed = validOffset(zone);
  if (fixed !== null) return `${local}${formatOffset(fixed * 60)}[${zone}]`;
  let named: Zone;
  try {
    named = zoneFor(zone);
  } catch {
    return invalid(raw, `unknown time zone ${JSON.stringify(zone)}`);
  }
  const wall = utcMs(
    Number(raw.slice(0, 4)), Number(raw.slice(5, 7)), Number(raw.slice(8, 10)),
    Number(raw.slice(11, 13)), Number(raw.slice(14, 16)), Number(raw.slice(17, 19)),
  );
  // In a fall-back overlap the earlier instant wins, as in java.time (which Trino uses); a wall time
  // inside a spring-forward gap does not exist.
  const instant = named.instantOfWallStrict(wall);
  if (instant === null) return invalid(raw, `wall-clock time does not exist in ${zone} (DST gap)`);
  const offset = (wall - instant) / 1000;
  return `${local}${formatOffset(offset)}[${zone}]`;
};

/** Signed integer text with no leading zeros (but "0"); returns the digit count, or -1. */
function integerDigits(raw: string): number {
  const n = raw.length;
  const start = n > 0 && raw.charCodeAt(0) === 45 ? 1 : 0;
  if (start === n) return -1;
  if (raw.charCodeAt(start) === ZERO && n - start > 1) return -1;
  for (let i = start; i < n; i++) if (!isDigit(raw.charCodeAt(i))) return -1;
  return n - start;
}

/**
 * The value of a signed integer text with no leading zeros (but "0") and at most `maxDigits` (≤ 15)
 * digits, built digit by digit while validating: every such value is exact in a double, and Number(raw)
 * would cost a call into the runtime's string parser on top of this loop. NaN when the text is not such
 * an integer (malformed, or too long for this path). "-0" gives 0.
 */
function smallInteger(raw: string, maxDigits: number): number {
  const n = raw.length;
  let i = 0;
  let neg = false;
  if (n !== 0 && raw.charCodeAt(0) === 45) {
    neg = true;
    i = 1;
  }
  if (i === n || n - i > maxDigits) return NaN;
  let c = raw.charCodeAt(i) - ZERO;
  if (c === 0 && n - i > 1) return NaN;
  let v = 0;
  for (;;) {
    if (c < 0 || c > 9) return NaN;
    v = v * 10 + c;
    if (++i === n) break;
    c = raw.charCodeAt(i) - ZERO;
  }
  return neg ? 0 - v : v;
}

function boundedInteger(type: string, min: number, max: number): Decode {
  return (raw) => {
    const v = smallInteger(raw, 10);
    if (Number.isNaN(v)) return invalid(raw, `not a whole number for ${type}`);
    if (v < min || v > max) return invalid(raw, `${type} out of range [${min}, ${max}]`);
    return v;
  };
}

const MAX_SAFE = String(Number.MAX_SAFE_INTEGER); // 9007199254740991, 16 digits
const BIGINT_MAX = '9223372036854775807';
const BIGINT_MIN_ABS = '9223372036854775808';

/**
 * bigint → number when it is a safe integer, else the exact digits as a string. Safety is decided on
 * the digits (count, then a same-length string compare), never by going through a double. Up to 15
 * digits (always safe) the value comes from `smallInteger`; longer text takes the digit-string path.
 */
const decodeBigint: Decode = (raw) => {
  const v = smallInteger(raw, 15);
  if (!Number.isNaN(v)) return v;
  const d = integerDigits(raw);
  if (d < 0) return invalid(raw, 'not a bigint');
  const neg = raw.charCodeAt(0) === 45;
  const digits = neg ? raw.slice(1) : raw;
  if (d === 16 && digits <= MAX_SAFE) return Number(raw);
  if (d < 19 || (d === 19 && digits <= (neg ? BIGINT_MIN_ABS : BIGINT_MAX))) return raw;
  return invalid(raw, 'bigint out of range [-9223372036854775808, 9223372036854775807]');
};

/**
 * Java's Double.toString form as Trino prints it (`-12.5`, `1.0E10`, `4.9E-324`), checked by hand because
 * Number() alone accepts '', whitespace, hex and `Infinity` spellings.
 */
function isFloatText(s: string): boolean {
  const n = s.length;
  let i = n > 0 && s.charCodeAt(0) === 45 ? 1 : 0;
  let digits = 0;
  while (i < n && isDigit(s.charCodeAt(i))) i++, digits++;
  if (i < n && s.charCodeAt(i) === 46) {
    i++;
    while (i < n && isDigit(s.charCodeAt(i))) i++, digits++;
  }
  if (digits === 0) return false;
  if (i < n && (s.charCodeAt(i) | 32) === 101) {
    i++;
    if (i < n && (s.charCodeAt(i) === 45 || s.charCodeAt(i) === 43)) i++;
    const start = i;
    while (i < n && isDigit(s.charCodeAt(i))) i++;
    if (i === start) return false;
  }
  return i === n;
}

/** 10^0 … 10^22: the powers of ten a double holds exactly. */
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));
const TWO_53 = 2 ** 53;

/**
 * JSON has no NaN or infinities, so those stay as the strings Athena wrote.
 *
 * One pass validates and converts: the digits (without the dot) form an integer mantissa m and the dot
 * and exponent a power of ten e. While m < 2^53 and |e| ≤ 22 both are exact doubles, so one IEEE
 * multiply or divide gives the correctly rounded value, i.e. exactly what Number(raw) gives (Clinger's
 * fast path); Number(raw) itself is a call into the runtime, about half the cost of a price column.
 * Anything else (more digits, a large exponent, a malformed cell) takes the checked general path.
 */
const decodeFloat: Decode = (raw) => {
  const n = raw.length;
  let i = 0;
  let neg = false;
  if (n !== 0 && raw.charCodeAt(0) === 45) {
    neg = true;
    i = 1;
  }
  let m = 0;
  let e = 0;
  const start = i;
  let c = 0;
  while (i < n && (c = raw.charCodeAt(i) - ZERO) >= 0 && c <= 9) {
    m = m * 10 + c;
    i++;
  }
  let digits = i - start;
  if (i < n && raw.charCodeAt(i) === 46) {
    const fracStart = ++i;
    while (i < n && (c = raw.charCodeAt(i) - ZERO) >= 0 && c <= 9) {
      m = m * 10 + c;
      i++;
    }
    digits += i - fracStart;
    e = fracStart - i;
  }
  if (i < n && digits !== 0 && (raw.charCodeAt(i) | 32) === 101) {
    i++;
    let expNeg = false;
    if (i < n && raw.charCodeAt(i) === 45) {
      expNeg = true;
      i++;
    } else if (i < n && raw.charCodeAt(i) === 43) {
      i++;
    }
    const expStart = i;
    let x = 0;
    while (i < n && (c = raw.charCodeAt(i) - ZERO) >= 0 && c <= 9) {
      if (x < 1000) x = x * 10 + c;
      i++;
    }
    if (i === expStart) i = -1; // no exponent digits: malformed
    e += expNeg ? -x : x;
  }
  if (i === n && digits !== 0) {
    if (m < TWO_53 && e >= -22 && e <= 22) {
      const v = e < 0 ? m / POW10[-e]! : m * POW10[e]!;
      return neg ? -v : v;
    }
    return finite(raw);
  }
  if (isFloatText(raw)) return finite(raw);
  if (raw === 'NaN' || raw === 'Infinity' || raw === '-Infinity') return raw;
  return invalid(raw, 'not a floating-point number');
};

/**
 * Number(raw) for text already checked to be a finite float literal. Java's Double.toString, which Athena
 * prints doubles with, never writes a finite value beyond ±1.7976931348623157E308 (an infinite double is
 * `Infinity`), so `1e400` did not come from a double: it is malformed, rather than an Infinity that
 * JSON would carry as null. Underflow (`1e-400` → 0) is ordinary rounding and stays a number.
 */
function finite(raw: string): TypedValue {
  const v = Number(raw);
  if (v === Infinity || v === -Infinity) {
    return invalid(raw, 'beyond the range of a double (±1.7976931348623157E308); Athena writes Infinity for an infinite double');
  }
  return v;
}

/**
 * decimal(p,s) stays the exact text: a double would round it. Digits are checked against p and s when known.
 *
 * Trino prints a decimal(p,s) with exactly s fraction digits, so with p and s known a cell is first tried
 * in that shape: a '.' s+1 characters from the end, 1…p−s digits before it, digits after it, one charCodeAt
 * loop with no branching on where the dot is. That shape is a subset of what the general grammar below
 * accepts; anything else (fewer fraction digits, no dot, malformed) goes to it, and it has the final word
 * and the reasons. (A per-column regex was measured slower: its counted repeats and the call into the
 * regex engine cost more than this loop on 20-digit cells.)
 */
function decimalDecoder(precision: number | undefined, scale: number | undefined): Decode {
  const maxInt = precision !== undefined && scale !== undefined ? precision - scale : undefined;
  const check = (raw: string): TypedValue => {
    const n = raw.length;
    let i = n > 0 && raw.charCodeAt(0) === 45 ? 1 : 0;
    const intStart = i;
    while (i < n && isDigit(raw.charCodeAt(i))) i++;
    let intDigits = i - intStart;
    let frac = 0;
    if (i < n && raw.charCodeAt(i) === 46) {
      frac = fractionDigits(raw, i, n);
      if (frac < 0) return invalid(raw, 'not a decimal');
    } else if (i !== n) {
      return invalid(raw, 'not a decimal');
    }
    if (intDigits === 0) return invalid(raw, 'not a decimal');
    if (intDigits === 1 && raw.charCodeAt(intStart) === ZERO) intDigits = 0; // "0.5": the 0 is not a digit of p
    if (maxInt !== undefined && (intDigits > maxInt || frac > scale!)) {
      return invalid(raw, `does not fit decimal(${precision},${scale})`);
    }
    return raw;
  };
  if (maxInt === undefined || !hasPrintedShape(precision, scale)) return check;
  const dotFromEnd = scale! + 1;
  return (raw) => {
    const n = raw.length;
    const dot = n - dotFromEnd;
    if (dot > 0 && raw.charCodeAt(dot) === 46) {
      let i = raw.charCodeAt(0) === 45 ? 1 : 0;
      if (dot > i && dot - i <= maxInt) {
        while (i < dot && isDigit(raw.charCodeAt(i))) i++;
        if (i === dot) {
          i++;
          while (i < n && isDigit(raw.charCodeAt(i))) i++;
          if (i === n) return raw;
        }
      }
    }
    return check(raw);
  };
}

/** Whether decimalDecoder has its printed-shape fast path: p and s known, at least one digit each side. */
function hasPrintedShape(precision: number | undefined, scale: number | undefined): boolean {
  return Number.isInteger(precision) && Number.isInteger(scale) && precision! - scale! >= 1 && scale! >= 1;
}

const decodeBoolean: Decode = (raw) =>
  raw === 'true' ? true : raw === 'false' ? false : invalid(raw, 'not a boolean (true or false)');

const decodeText: Decode = (raw) => raw;

/**
 * A JSON number stays a number while a double holds it exactly (its digits survive the round trip), else
 * it is its exact text, as a string: the rule bigint follows, so `{"id": 9223372036854775807}` keeps every
 * digit. JSON.parse would round it to 9223372036854776000 without a word.
 */
const exactNumber = (text: string): number | string => (isSafeNumber(text) ? Number(text) : text);

const decodeJson: Decode = (raw) => {
  try {
    return parseLosslessJson(raw, null, exactNumber) as TypedValue;
  } catch (e) {
    // The lossless parser refuses a key given twice, where JSON.parse would keep the last silently; the
    // marker keeps the text whole instead.
    const message = e instanceof Error ? e.message : '';
    return invalid(raw, message.startsWith('Duplicate key') ? `not valid JSON: ${message}` : 'not valid JSON');
  }
};

/** Hex digit value of a char code, or -1. */
function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const l = c | 32;
  return l >= 97 && l <= 102 ? l - 87 : -1;
}

const VARBINARY_REASON = "not varbinary (hex bytes in Trino's layout: 00 01 … 07   08 …, a line per 32 bytes)";

/**
 * Athena prints varbinary as Trino's `SqlVarbinary.toHexString()`: each byte as two hex digits, one space
 * between bytes, three spaces between groups of 8 bytes, a line break between lines of 32 bytes, nothing
 * after the last byte (`00 01 02 03 04 05 06 07   08 09`). What separates byte k from the one before is
 * therefore fixed by k alone, and any other spacing is not Trino's text. Base64 is the usual JSON
 * carrier for bytes.
 */
const decodeVarbinary: Decode = (raw) => {
  const n = raw.length;
  if (n === 0) return '';
  const bytes = Buffer.allocUnsafe(Math.floor(n / 3) + 1);
  let i = 0;
  let k = 0;
  for (;;) {
    const hi = hexDigit(raw.charCodeAt(i));
    const lo = hexDigit(raw.charCodeAt(i + 1));
    if (hi < 0 || lo < 0) return invalid(raw, VARBINARY_REASON);
    bytes[k++] = hi * 16 + lo;
    i += 2;
    if (i === n) break;
    if (k % 32 === 0) {
      if (raw.charCodeAt(i) !== 10) return invalid(raw, VARBINARY_REASON);
      i += 1;
    } else if (k % 8 === 0) {
      if (raw.charCodeAt(i) !== 32 || raw.charCodeAt(i + 1) !== 32 || raw.charCodeAt(i + 2) !== 32) return invalid(raw, VARBINARY_REASON);
      i += 3;
    } else {
      if (raw.charCodeAt(i) !== 32) return invalid(raw, VARBINARY_REASON);
      i += 1;
    }
  }
  return bytes.toString('base64', 0, k);
};

const DAY_TO_SECOND = /^(-)?(\d+) (\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;

function stripZeros(digits: string): string {
  return digits.replace(/^0+(?=\d)/, '');
}

/** `2 03:04:05.000` → `P2DT3H4M5S`; `-1 00:00:00.000` → `-P1D`; zero → `PT0S` (Temporal's form). */
const decodeDayToSecond: Decode = (raw) => {
  const m = DAY_TO_SECOND.exec(raw);
  if (!m) return invalid(raw, 'not an interval day to second (D HH:MM:SS.fff)');
  const [, sign, days, hh, mm, ss, fracText] = m;
  const h = Number(hh);
  const mi = Number(mm);
  const s = Number(ss);
  if (h > 23 || mi > 59 || s > 59) return invalid(raw, 'interval field out of range');
  const d = stripZeros(days!);
  const frac = (fracText ?? '').replace(/0+$/, '');
  let time = '';
  if (h > 0) time += `${h}H`;
  if (mi > 0) time += `${mi}M`;
  if (s > 0 || frac !== '') time += frac === '' ? `${s}S` : `${s}.${frac}S`;
  if (d === '0' && time === '') return 'PT0S';
  return `${sign ?? ''}P${d === '0' ? '' : d + 'D'}${time === '' ? '' : 'T' + time}`;
};

const YEAR_TO_MONTH = /^(-)?(\d+)-(\d+)$/;

/** `1-2` → `P1Y2M`; `-1-2` → `-P1Y2M`; zero → `PT0S`. */
const decodeYearToMonth: Decode = (raw) => {
  const m = YEAR_TO_MONTH.exec(raw);
  if (!m) return invalid(raw, 'not an interval year to month (Y-M)');
  const y = stripZeros(m[2]!);
  const mo = Number(m[3]);
  if (mo > 11) return invalid(raw, 'interval months out of range [0, 11]');
  if (y === '0' && mo === 0) return 'PT0S';
  return `${m[1] ?? ''}P${y === '0' ? '' : y + 'Y'}${mo === 0 ? '' : mo + 'M'}`;
};

/**
 * The decoder for a scalar type name. '' is a value only for text types (and empty varbinary); every
 * other decoder rejects it by its grammar, so '' never passes as 0, false or NULL.
 */
function scalarDecoder(name: string, precision: number | undefined, scale: number | undefined): Decode {
  switch (name) {
    case 'tinyint':
      return boundedInteger(name, -128, 127);
    case 'smallint':
      return boundedInteger(name, -32768, 32767);
    case 'integer':
    case 'int':
      return boundedInteger('integer', -2147483648, 2147483647);
    case 'bigint':
      return decodeBigint;
    case 'real':
    case 'float':
    case 'double':
      return decodeFloat;
    case 'decimal':
      return decimalDecoder(precision, scale);
    case 'boolean':
      return decodeBoolean;
    case 'json':
      return decodeJson;
    case 'date':
      return dateDecoder();
    case 'time':
      return decodeTime;
    case 'time with time zone':
      return decodeTimeWithZone;
    case 'timestamp':
      return timestampDecoder();
    case 'timestamp with time zone':
      return decodeTimestampWithZone;
    case 'interval day to second':
      return decodeDayToSecond;
    case 'interval year to month':
      return decodeYearToMonth;
    case 'varbinary':
      return decodeVarbinary;
    default:
      // Every other type (varchar, char with its padding, uuid, types Athena adds later) is text.
      return decodeText;
  }
}

// ---------------------------------------------------------------------------------------------
// Nested values. Athena prints arrays as `[a, b]`, maps as `{k=v, k2=v2}` and rows as `{x=1, y=abc}`:
// strings unquoted, elements joined by ", ", NULL as `null`. The text is ambiguous (a varchar element
// holding ", " or "]" cannot be told from a separator), so the parser is best-effort: it splits on ", "
// and on brackets balanced at the current depth, and with a type hint it knows which shape to expect.
// ---------------------------------------------------------------------------------------------

/** Structural failure inside a nested cell; caught per cell and turned into an invalid marker. */
class NestedSyntax {
  constructor(readonly reason: string) {}
}

interface Node {
  /** Decode the value starting at `pos`, ending before `close` (or ", ") at depth 0. */
  (s: string, pos: number, close: number): [TypedValue, number];
}

const OPEN_SQ = 91;
const CLOSE_SQ = 93;
const OPEN_CU = 123;
const CLOSE_CU = 125;
const COMMA = 44;
const SPACE = 32;
const EQUALS = 61;

/**
 * End of an atom starting at `pos`: the first ", " or closing bracket at depth 0 (or the end of the
 * text when `close` is -1, i.e. at the top level). Brackets inside an atom are balanced so a nested
 * value kept as text (no hint) stays whole.
 */
function atomEnd(s: string, pos: number, close: number, stopAtEquals: boolean): number {
  let depth = 0;
  const n = s.length;
  for (let i = pos; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === OPEN_SQ || c === OPEN_CU) depth++;
    else if (c === CLOSE_SQ || c === CLOSE_CU) {
      if (depth === 0) {
        if (close === -1) continue;
        return i;
      }
      depth--;
    } else if (depth === 0 && close !== -1) {
      if (c === COMMA && s.charCodeAt(i + 1) === SPACE) return i;
      if (stopAtEquals && c === EQUALS) return i;
    }
  }
  if (close !== -1) throw new NestedSyntax(`missing "${String.fromCharCode(close)}"`);
  return n;
}

function isNullAt(s: string, pos: number, end: number): boolean {
  return end - pos === 4 && s.startsWith('null', pos);
}

function scalarNode(decode: Decode | null): Node {
  return (s, pos, close) => {
    const end = atomEnd(s, pos, close, false);
    if (isNullAt(s, pos, end)) return [null, end];
    const text = s.slice(pos, end);
    return [decode === null ? text : decode(text), end];
  };
}

/** Object keys come from data; `__proto__` must stay an own key, not replace the prototype. */
function setKey(obj: Record<string, TypedValue>, key: string, value: TypedValue): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/** Parse a separated sequence inside `open…close`, calling `item` for each element. */
function sequence(s: string, pos: number, open: number, close: number, item: (pos: number) => number): number {
  if (s.charCodeAt(pos) !== open) throw new NestedSyntax(`expected "${String.fromCharCode(open)}" at ${pos}`);
  let i = pos + 1;
  if (s.charCodeAt(i) === close) return i + 1;
  for (;;) {
    i = item(i);
    const c = s.charCodeAt(i);
    if (c === close) return i + 1;
    if (c === COMMA && s.charCodeAt(i + 1) === SPACE) i += 2;
    else throw new NestedSyntax(`expected ", " or "${String.fromCharCode(close)}" at ${i}`);
  }
}

function arrayNode(element: Node): Node {
  return (s, pos, close) => {
    if (s.charCodeAt(pos) !== OPEN_SQ) {
      const end = atomEnd(s, pos, close, false);
      if (isNullAt(s, pos, end)) return [null, end];
      throw new NestedSyntax(`expected "[" at ${pos}`);
    }
    const out: TypedValue[] = [];
    const end = sequence(s, pos, OPEN_SQ, CLOSE_SQ, (i) => {
      const [v, next] = element(s, i, CLOSE_SQ);
      out.push(v);
      return next;
    });
    return [out, end];
  };
}

/**
 * `{k=v, …}` for maps and rows. `fieldName(i, textKey)` picks the object key of entry i; `value(i)` its
 * decoder; `key` (maps only) validates and normalises the key text.
 */
function entriesNode(
  fieldName: (i: number, textKey: string | null) => string,
  value: (i: number) => Node,
  key: Decode | null,
  isRow: boolean,
): Node {
  return (s, pos, close) => {
    if (s.charCodeAt(pos) !== OPEN_CU) {
      const end = atomEnd(s, pos, close, false);
      if (isNullAt(s, pos, end)) return [null, end];
      throw new NestedSyntax(`expected "{" at ${pos}`);
    }
    const out: Record<string, TypedValue> = {};
    const used = new Set<string>();
    let index = 0;
    const end = sequence(s, pos, OPEN_CU, CLOSE_CU, (i) => {
      const keyEnd = atomEnd(s, i, CLOSE_CU, true);
      let textKey: string | null = null;
      let at = i;
      if (s.charCodeAt(keyEnd) === EQUALS) {
        textKey = s.slice(i, keyEnd);
        at = keyEnd + 1;
      } else if (!isRow) {
        throw new NestedSyntax(`expected "=" after map key at ${keyEnd}`);
      }
      let name = fieldName(index, textKey);
      if (key !== null) {
        const k = key(name);
        if (isInvalid(k)) throw new NestedSyntax(`map key ${JSON.stringify(name)}: ${(k as InvalidValue).reason}`);
        name = typeof k === 'string' ? k : JSON.stringify(k);
      }
      name = uniqueName(name, used);
      const [v, next] = value(index)(s, at, CLOSE_CU);
      setKey(out, name, v);
      index++;
      return next;
    });
    return [out, end];
  };
}

function uniqueName(base: string, used: Set<string>): string {
  let name = base;
  for (let n = 2; used.has(name); n++) name = `${base}_${n}`;
  used.add(name);
  return name;
}

/** A node for a hinted type: containers recurse, scalars use the same decoders as top-level cells. */
function typedNode(t: AthenaType): Node {
  switch (t.kind) {
    case 'scalar':
      return scalarNode(scalarDecoder(t.name, t.params[0], t.params[1]));
    case 'array':
      return arrayNode(typedNode(t.element));
    case 'map':
      return entriesNode(
        (_i, k) => k ?? '',
        ((v) => () => v)(typedNode(t.value)),
        t.key.kind === 'scalar' ? scalarDecoder(t.key.name, t.key.params[0], t.key.params[1]) : null,
        false,
      );
    case 'row': {
      const fields = t.fields.map((f) => typedNode(f.type));
      return entriesNode(
        (i, k) => t.fields[i]?.name ?? k ?? `field${i}`,
        (i) => {
          const f = fields[i];
          if (f === undefined) throw new NestedSyntax(`more fields than the hint's ${fields.length}`);
          return f;
        },
        null,
        true,
      );
    }
    default: {
      const never: never = t;
      throw new Error(`unreachable type ${JSON.stringify(never)}`);
    }
  }
}

/** Without a hint: arrays of strings, maps and rows as objects of strings; nested values stay text. */
function untypedNode(kind: 'array' | 'map' | 'row'): Node {
  const text = scalarNode(null);
  if (kind === 'array') return arrayNode(text);
  return entriesNode((i, k) => k ?? `field${i}`, () => text, null, kind === 'row');
}

function nestedDecoder(node: Node): Decode {
  return (raw) => {
    try {
      const [v, end] = node(raw, 0, -1);
      if (end !== raw.length) return invalid(raw, `unexpected text after position ${end}`);
      return v;
    } catch (e) {
      if (e instanceof NestedSyntax) return invalid(raw, e.reason);
      throw e;
    }
  };
}

// ---------------------------------------------------------------------------------------------
// The decoder.
// ---------------------------------------------------------------------------------------------

/**
 * Unique object keys, positional: every first occurrence of a name keeps it; a later duplicate gets
 * `_2`, `_3`, … (skipping names already taken by other columns); an empty name becomes `_col<i>`
 * (i = 0-based position, Athena's own naming for unnamed columns).
 */
export function uniqueKeys(names: readonly string[]): string[] {
  const bases = names.map((n, i) => (n === '' ? `_col${i}` : n));
  const used = new Set<string>();
  const keys: (string | undefined)[] = bases.map((b) => {
    if (used.has(b)) return undefined;
    used.add(b);
    return b;
  });
  return keys.map((k, i) => {
    if (k !== undefined) return k;
    const base = bases[i]!;
    let n = 2;
    while (used.has(`${base}_${n}`)) n++;
    const key = `${base}_${n}`;
    used.add(key);
    return key;
  });
}

function nullable(v: string | undefined): DecodedColumn['nullable'] {
  return v === 'NOT_NULL' || v === 'NULLABLE' ? v : 'UNKNOWN';
}

function parseColumnType(text: string): AthenaType {
  try {
    return parseType(text);
  } catch {
    // A type name the grammar does not know is still a column; its cells pass through as text.
    return { kind: 'scalar', name: text.trim().toLowerCase(), params: [] };
  }
}

interface ColumnDecoder {
  decode: Decode;
  /**
   * Which decoder code runs: columns of equal kind run closures of the same function literal. Types
   * that share a decoder may still differ in kind; that costs only a separate row function.
   */
  kind: string;
}

function columnDecoder(t: AthenaType, info: ColumnInfo, hinted: boolean): ColumnDecoder {
  switch (t.kind) {
    case 'scalar': {
      if (t.name === 'array' || t.name === 'map' || t.name === 'row') {
        return { decode: nestedDecoder(untypedNode(t.name)), kind: 'nested' };
      }
      // ColumnInfo carries decimal precision and scale; a hint's own parameters win.
      const precision = hinted || t.params.length > 0 ? t.params[0] : info.Precision;
      const scale = hinted || t.params.length > 0 ? t.params[1] : info.Scale;
      const kind = t.name === 'decimal' && !hasPrintedShape(precision, scale) ? 'decimal, any shape' : t.name;
      return { decode: scalarDecoder(t.name, precision, scale), kind };
    }
    default:
      return { decode: nestedDecoder(typedNode(t)), kind: 'nested' };
  }
}

/** Small numbers for decoder kinds, so generated source never holds a type name. Capped: kinds come from metadata. */
const kindIds = new Map<string, number>();

function kindId(kind: string): number {
  let id = kindIds.get(kind);
  if (id === undefined) {
    if (kindIds.size >= 1000) return -1;
    id = kindIds.size;
    kindIds.set(kind, id);
  }
  return id;
}

/**
 * One function for a whole row, generated from column indices and decoder kinds only (the source holds
 * numbers, never names, types or data). A loop calling `fns[i]` makes one call site see every column's
 * decoder, which V8 cannot inline (megamorphic); unrolled, each column gets its own call site and the row
 * array is built as a literal of the right size. Measured at about 3× faster per row than the loop
 * (bench/decode.bench.ts). V8 caches `new Function` by its source text, and with it the call sites'
 * feedback, so two results whose columns run different decoders must not get the same text: the kinds
 * go into a comment. Otherwise decoding a second result deoptimizes the first one's row function ("wrong
 * feedback cell") and its call sites turn polymorphic. Results of the same kinds share the optimized code.
 * A missing cell (a row shorter than the columns) is NULL.
 */
function rowDecoder(columns: readonly ColumnDecoder[]): (cells: Readonly<Cells>) => TypedValue[] {
  const cells = columns.map((_, i) => `(c = r[${i}]) == null ? null : f${i}(c)`);
  const params = columns.map((_, i) => `f${i}`);
  const source = `// decoder kinds ${columns.map((c) => kindId(c.kind)).join(' ')}
return function decodeRow(r) {
  let c;
  return [${cells.join(',\n    ')}];
};`;
  return new Function(...params, source)(...columns.map((c) => c.decode)) as (cells: Readonly<Cells>) => TypedValue[];
}

/**
 * Build the decoder for one result. `hints` maps a column (by unique key, else by name) to a full
 * Trino type such as `array(row(a bigint, b varchar))`; a hint must have the column's base type.
 * Throws AthenaTypeError for an unparsable hint, a hint of the wrong kind or one naming no column,
 * because those are the caller's mistakes, not the data's.
 */
export function createDecoder(
  columns: readonly ColumnInfo[],
  hints?: Readonly<Record<string, string>>,
): ResultDecoder {
  const names = columns.map((c) => c.Name ?? c.Label ?? '');
  const keys = uniqueKeys(names);
  const hintFor = new Map<number, string>();
  const hintTarget = new Map<number, string>();
  if (hints !== undefined) {
    for (const [target, text] of Object.entries(hints)) {
      let i = keys.indexOf(target);
      if (i < 0) i = names.indexOf(target);
      if (i < 0) {
        throw new AthenaTypeError(
          `Type hint for ${JSON.stringify(target)} names no column; columns are ${keys.map((k) => JSON.stringify(k)).join(', ')}`,
          target,
        );
      }
      hintFor.set(i, text);
      hintTarget.set(i, target);
    }
  }

  const decoded: DecodedColumn[] = [];
  const columnDecoders: ColumnDecoder[] = [];
  columns.forEach((info, index) => {
    const declared = parseColumnType(info.Type ?? 'unknown');
    const hint = hintFor.get(index);
    let t = declared;
    if (hint !== undefined) {
      const target = hintTarget.get(index);
      let h: AthenaType;
      try {
        h = parseType(hint);
      } catch (e) {
        throw e instanceof AthenaTypeError ? new AthenaTypeError(e.message, target) : e;
      }
      if (baseName(h) !== baseName(declared)) {
        throw new AthenaTypeError(
          `Type hint ${JSON.stringify(hint)} for column ${JSON.stringify(keys[index])} does not fit its type ${JSON.stringify(baseName(declared))}`,
          target,
        );
      }
      t = h;
    }
    const column: DecodedColumn = {
      index,
      name: names[index]!,
      key: keys[index]!,
      type: baseName(declared),
      nullable: nullable(info.Nullable),
    };
    if (info.Precision !== undefined) column.precision = info.Precision;
    if (info.Scale !== undefined) column.scale = info.Scale;
    if (hint !== undefined) column.hint = hint;
    decoded.push(column);
    columnDecoders.push(columnDecoder(t, info, hint !== undefined));
  });

  const width = columnDecoders.length;
  const decodeRow = rowDecoder(columnDecoders);

  return {
    columns: decoded,
    decodeRow,
    decodeRows(rows) {
      const out: TypedValue[][] = new Array(rows.length);
      for (let r = 0; r < rows.length; r++) out[r] = decodeRow(rows[r]!);
      return out;
    },
    toObject(values) {
      const obj: Record<string, TypedValue> = {};
      for (let i = 0; i < width; i++) setKey(obj, keys[i]!, values[i] ?? null);
      return obj;
    },
  };
}
