/**
 * Scalar decoders: one per Athena scalar type, each validating the text Trino prints and converting it
 * in one pass. Each validates with char codes where it is hot (timestamps, integers, doubles, decimals)
 * because it runs once per cell; regexes where the type is rare. The mapping is in docs/typed-rows.md.
 *
 * Pure: text in, value out. A decoder with a memo (the last date seen) is made per column, so its memo
 * lives as long as the column's decoder and is shared by no one else.
 */
import { isSafeNumber, parse as parseLosslessJson } from 'lossless-json';
import { zoneFor, type Zone } from '../../time/zone';
import { DecoderKind, invalid, type ColumnDecoder, type Decode, type TypedValue } from './values';

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
 * The decoder for a scalar type name, with its kind. '' is a value only for text types (and empty
 * varbinary); every other decoder rejects it by its grammar, so '' never passes as 0, false or NULL.
 * decimal(p,s) takes the printed-shape fast path only with p and s known, a different code path.
 */
export function scalarDecoder(name: string, precision: number | undefined, scale: number | undefined): ColumnDecoder {
  switch (name) {
    case 'tinyint':
      return { decode: boundedInteger(name, -128, 127), kind: DecoderKind.integer };
    case 'smallint':
      return { decode: boundedInteger(name, -32768, 32767), kind: DecoderKind.integer };
    case 'integer':
    case 'int':
      return { decode: boundedInteger('integer', -2147483648, 2147483647), kind: DecoderKind.integer };
    case 'bigint':
      return { decode: decodeBigint, kind: DecoderKind.bigint };
    case 'real':
    case 'float':
    case 'double':
      return { decode: decodeFloat, kind: DecoderKind.float };
    case 'decimal':
      return {
        decode: decimalDecoder(precision, scale),
        kind: hasPrintedShape(precision, scale) ? DecoderKind.decimal : DecoderKind.decimalAnyShape,
      };
    case 'boolean':
      return { decode: decodeBoolean, kind: DecoderKind.boolean };
    case 'json':
      return { decode: decodeJson, kind: DecoderKind.json };
    case 'date':
      return { decode: dateDecoder(), kind: DecoderKind.date };
    case 'time':
      return { decode: decodeTime, kind: DecoderKind.time };
    case 'time with time zone':
      return { decode: decodeTimeWithZone, kind: DecoderKind.timeWithZone };
    case 'timestamp':
      return { decode: timestampDecoder(), kind: DecoderKind.timestamp };
    case 'timestamp with time zone':
      return { decode: decodeTimestampWithZone, kind: DecoderKind.timestampWithZone };
    case 'interval day to second':
      return { decode: decodeDayToSecond, kind: DecoderKind.dayToSecond };
    case 'interval year to month':
      return { decode: decodeYearToMonth, kind: DecoderKind.yearToMonth };
    case 'varbinary':
      return { decode: decodeVarbinary, kind: DecoderKind.varbinary };
    default:
      // Every other type (varchar, char with its padding, uuid, types Athena adds later) is text.
      return { decode: decodeText, kind: DecoderKind.text };
  }
}
