/**
 * The decoder's hot types (timestamp, date, bigint, integers, double, decimal) have fast paths: memos of
 * the column's last valid date, digit loops that build the value while validating, Clinger's exact
 * double fast path, a regex per decimal(p,s). These tests check each one against an oracle written
 * independently (BigInt, Number(), Date, a plain grammar), over thousands of seeded random cells, valid
 * and corrupted, fed through one decoder in sequence so the memos are exercised as they are on real pages.
 */
import type { ColumnInfo } from '@aws-sdk/client-athena';
import { createDecoder, type TypedValue } from '../../../src/services/athena/decode';
import { mulberry32 } from '../../../src/services/random';

const int = (random: () => number, lo: number, hi: number): number => lo + Math.floor(random() * (hi - lo + 1));
const pick = <T>(random: () => number, xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
const pad = (n: number, w: number): string => String(n).padStart(w, '0');
const digits = (random: () => number, n: number): string => Array.from({ length: n }, () => int(random, 0, 9)).join('');

/** Replace, drop or insert one character, so most corruptions land near the fast paths' checks. */
function corrupt(random: () => number, s: string): string {
  const i = int(random, 0, Math.max(0, s.length - 1));
  const c = pick(random, ['0', '9', '-', '.', ':', ' ', 'T', 'e', 'E', '+', 'x', '/', '\u0660']);
  const op = int(random, 0, 2);
  if (op === 0) return s.slice(0, i) + c + s.slice(i + 1);
  if (op === 1) return s.slice(0, i) + s.slice(i + 1);
  return s.slice(0, i) + c + s.slice(i);
}

/** Decodes `cells` as one column, all in one decodeRows call, so each cell follows the one before it. */
function decodeColumn(type: string, cells: readonly string[], extra: Partial<ColumnInfo> = {}): TypedValue[] {
  const d = createDecoder([{ ...extra, Name: 'c', Type: type, Nullable: 'UNKNOWN' }]);
  return d.decodeRows(cells.map((c) => [c])).map((r) => r[0]!);
}

/** Every cell's decoded value against the oracle's, reporting the first disagreements in full. */
function expectAll(cells: readonly string[], got: readonly TypedValue[], oracle: (raw: string) => TypedValue): void {
  const wrong: { raw: string; got: TypedValue; want: TypedValue }[] = [];
  cells.forEach((raw, i) => {
    const want = oracle(raw);
    const g = got[i]!;
    const same = typeof want === 'number' ? Object.is(g, want) : JSON.stringify(g) === JSON.stringify(want);
    if (!same && wrong.length < 5) wrong.push({ raw, got: g, want });
  });
  expect(wrong).toStrictEqual([]);
}

const bad = (raw: string, reason: string): TypedValue => ({ $invalid: raw, reason });

describe('timestamp fast path and date memo against a Date-based oracle', () => {
  const reason = 'not a timestamp (YYYY-MM-DD HH:MM:SS[.fff])';

  /** A real calendar day: Date rolls an impossible one (Feb 30, month 13) over, so it reads back different. */
  function realDay(date: string): boolean {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return false;
    const [y, m, d] = [Number(date.slice(0, 4)), Number(date.slice(5, 7)), Number(date.slice(8, 10))];
    const at = new Date(0);
    at.setUTCFullYear(y, m - 1, d);
    return at.getUTCFullYear() === y && at.getUTCMonth() === m - 1 && at.getUTCDate() === d;
  }

  function timestampOracle(raw: string): TypedValue {
    const m = /^(\d{4}-\d{2}-\d{2}) (\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?$/.exec(raw);
    if (m === null || !realDay(m[1]!) || Number(m[2]) > 23 || Number(m[3]) > 59 || Number(m[4]) > 59) {
      return bad(raw, reason);
    }
    const frac = (m[5] ?? '').padEnd(3, '0');
    return `${m[1]}T${m[2]}:${m[3]}:${m[4]}.${frac}Z`;
  }

  /** Runs of rows on one day (so the memo hits), with day changes, leap days and invalid days between. */
  function timestampCells(seed: number, count: number): string[] {
    const random = mulberry32(seed);
    const cells: string[] = [];
    let day = '2020-02-28';
    for (let i = 0; i < count; i++) {
      if (random() < 0.1) {
        day = pick(random, [
          `${pad(int(random, 0, 9999), 4)}-${pad(int(random, 1, 12), 2)}-${pad(int(random, 1, 28), 2)}`,
          `${pad(int(random, 1900, 2100), 4)}-02-29`, // leap or not
          `${pad(int(random, 1900, 2100), 4)}-${pad(int(random, 0, 13), 2)}-${pad(int(random, 0, 32), 2)}`,
          '2021-02-29',
          '2020-02-29',
          '1970-01-01',
          '1970-01-00',
        ]);
      }
      const time = `${pad(int(random, 0, 24), 2)}:${pad(int(random, 0, 60), 2)}:${pad(int(random, 0, 60), 2)}`;
      const frac = pick(random, ['', '.', `.${digits(random, 1)}`, `.${digits(random, 2)}`, `.${digits(random, 3)}`,
        `.${digits(random, 3)}`, `.${digits(random, 6)}`, `.${digits(random, 9)}`]);
      const raw = `${day} ${time}${frac}`;
      cells.push(random() < 0.15 ? corrupt(random, raw) : raw);
    }
    return cells;
  }

  test('20,000 timestamps in sequence, valid and corrupted, decode as the oracle says', () => {
    const cells = timestampCells(11, 20_000);
    expectAll(cells, decodeColumn('timestamp', cells), timestampOracle);
  });

  test('a valid day in the memo does not let an invalid day through, and vice versa', () => {
    const cells = [
      '2020-02-29 10:00:00.000',
      '2021-02-29 10:00:00.000',
      '2020-02-29 10:00:00.001',
      '1970-01-01 00:00:00.000',
      '1970-01-00 00:00:00.000',
      '2020-02-29 24:00:00.000',
      '2020-02-29 23:59:59.999999',
      '2020-02-29 23:59:59.99x',
    ];
    expect(decodeColumn('timestamp', cells)).toStrictEqual([
      '2020-02-29T10:00:00.000Z',
      bad('2021-02-29 10:00:00.000', reason),
      '2020-02-29T10:00:00.001Z',
      '1970-01-01T00:00:00.000Z',
      bad('1970-01-00 00:00:00.000', reason),
      bad('2020-02-29 24:00:00.000', reason),
      '2020-02-29T23:59:59.999999Z',
      bad('2020-02-29 23:59:59.99x', reason),
    ]);
  });

  test('dates in sequence: a repeat of the last valid date is valid, nothing else slips through', () => {
    const random = mulberry32(12);
    const cells: string[] = ['1970-01-01', '', '2020-02-29', '2020-02-29', '2021-02-29', '2020-02-29'];
    for (let i = 0; i < 5000; i++) {
      const day = `${pad(int(random, 1999, 2001), 4)}-${pad(int(random, 0, 13), 2)}-${pad(int(random, 27, 32), 2)}`;
      cells.push(random() < 0.2 ? corrupt(random, day) : day);
      if (random() < 0.5) cells.push(cells[cells.length - 1]!);
    }
    expectAll(cells, decodeColumn('date', cells), (raw) =>
      realDay(raw) ? raw : bad(raw, 'not a date (YYYY-MM-DD)'),
    );
  });
});

describe('integers against BigInt', () => {
  function integerCells(seed: number, count: number): string[] {
    const random = mulberry32(seed);
    const cells: string[] = [];
    for (let i = 0; i < count; i++) {
      const sign = random() < 0.3 ? '-' : '';
      const n = int(random, 1, 20);
      let raw = sign + (random() < 0.1 ? '0' + digits(random, n - 1) : String(int(random, 1, 9)) + digits(random, n - 1));
      if (random() < 0.02) raw = pick(random, ['', '-', '0', '-0', '00', '9007199254740991', '-9007199254740992', '9223372036854775807', '-9223372036854775808', '9223372036854775808']);
      cells.push(random() < 0.1 ? corrupt(random, raw) : raw);
    }
    return cells;
  }

  const wellFormed = (raw: string): boolean => /^-?(?:0|[1-9]\d*)$/.test(raw);

  test('bigint: a number while safe, else the exact digits, else a marker', () => {
    const cells = integerCells(21, 20_000);
    const range = 'bigint out of range [-9223372036854775808, 9223372036854775807]';
    expectAll(cells, decodeColumn('bigint', cells), (raw) => {
      if (!wellFormed(raw)) return bad(raw, 'not a bigint');
      const v = BigInt(raw);
      if (v < -(2n ** 63n) || v >= 2n ** 63n) return bad(raw, range);
      const safe = v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= -BigInt(Number.MAX_SAFE_INTEGER);
      return safe ? Number(v) : raw;
    });
  });

  test.each([
    ['tinyint', -128n, 127n],
    ['smallint', -32768n, 32767n],
    ['integer', -2147483648n, 2147483647n],
  ])('%s: range-checked numbers; more than 10 digits is not a whole number', (type, min, max) => {
    const cells = integerCells(22, 5000).map((c, i) => (i % 2 === 0 ? c.slice(0, 4) : c));
    expectAll(cells, decodeColumn(type, cells), (raw) => {
      if (!wellFormed(raw) || raw.replace('-', '').length > 10) return bad(raw, `not a whole number for ${type}`);
      const v = BigInt(raw);
      return v < min || v > max ? bad(raw, `${type} out of range [${min}, ${max}]`) : Number(v);
    });
  });
});

describe('double against Number()', () => {
  test('Java-style double text, long mantissas and exponents, and corruptions decode exactly as Number() reads them', () => {
    const random = mulberry32(31);
    const cells: string[] = [];
    for (let i = 0; i < 30_000; i++) {
      const x = (random() - 0.5) * 10 ** int(random, -30, 30);
      let raw = pick(random, [
        () => String(x),
        () => String(Math.round(x * 100) / 100),
        () => x.toExponential(int(random, 0, 16)).replace('e+', 'E').replace('e', 'E'),
        () => `${int(random, 0, 9)}.${digits(random, int(random, 0, 25))}E${int(random, -330, 310)}`,
        () => `${digits(random, int(random, 1, 20))}.${digits(random, int(random, 0, 20))}`,
        () => `-${digits(random, int(random, 0, 3))}.${digits(random, int(random, 0, 3))}`,
        () => pick(random, ['NaN', 'Infinity', '-Infinity', '-0.0', '0.0', '1.0E10', '4.9E-324', '1.7976931348623157E308', '.5', '5.', '1e5', '1E+5', '9007199254740993']),
      ])();
      if (random() < 0.1) raw = corrupt(random, raw);
      cells.push(raw);
    }
    const grammar = /^-?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
    expectAll(cells, decodeColumn('double', cells), (raw) => {
      if (grammar.test(raw)) {
        const v = Number(raw);
        return Number.isFinite(v)
          ? v
          : bad(raw, 'beyond the range of a double (±1.7976931348623157E308); Athena writes Infinity for an infinite double');
      }
      if (raw === 'NaN' || raw === 'Infinity' || raw === '-Infinity') return raw;
      return bad(raw, 'not a floating-point number');
    });
  });
});

describe('decimal against the grammar and p, s', () => {
  test.each([
    [38, 10],
    [5, 2],
    [3, 3],
    [4, 0],
    [undefined, undefined],
  ])('decimal(%s,%s)', (precision, scale) => {
    const random = mulberry32(41 + (precision ?? 0));
    const cells: string[] = [];
    for (let i = 0; i < 5000; i++) {
      const sign = random() < 0.3 ? '-' : '';
      const intPart = pick(random, ['0', '00', '', digits(random, int(random, 1, 30))]);
      const frac = pick(random, ['', '.', `.${digits(random, int(random, 1, 12))}`]);
      const raw = sign + intPart + frac;
      cells.push(random() < 0.1 ? corrupt(random, raw) : raw);
    }
    const extra: Partial<ColumnInfo> = precision === undefined ? {} : { Precision: precision, Scale: scale! };
    expectAll(cells, decodeColumn('decimal', cells, extra), (raw) => {
      const m = /^-?(\d+)(?:\.(\d+))?$/.exec(raw);
      if (m === null) return bad(raw, 'not a decimal');
      const intDigits = m[1] === '0' ? 0 : m[1]!.length;
      const fracDigits = (m[2] ?? '').length;
      if (precision !== undefined && (intDigits > precision - scale! || fracDigits > scale!)) {
        return bad(raw, `does not fit decimal(${precision},${scale})`);
      }
      return raw;
    });
  });
});

describe('generated row functions', () => {
  test('results of the same width but different column types, decoded alternately, keep their own types', () => {
    const col = (Type: string, extra: Partial<ColumnInfo> = {}): ColumnInfo => ({ ...extra, Name: Type, Type, Nullable: 'UNKNOWN' });
    const a = createDecoder([col('timestamp'), col('bigint'), col('decimal', { Precision: 5, Scale: 2 })]);
    const b = createDecoder([col('decimal', { Precision: 5, Scale: 2 }), col('timestamp'), col('bigint')]);
    const c = createDecoder([col('decimal'), col('varchar'), col('double')]);
    const row = (...cells: string[]) => cells;
    const out: TypedValue[][] = [];
    for (let i = 0; i < 3; i++) {
      out.push(a.decodeRow(row('2020-06-18 16:00:00.000', '54', '123.45')));
      out.push(b.decodeRow(row('123.45', '2020-06-18 16:00:00.000', '54')));
      out.push(c.decodeRow(row('1.5', '54', '54')));
    }
    const once = [
      ['2020-06-18T16:00:00.000Z', 54, '123.45'],
      ['123.45', '2020-06-18T16:00:00.000Z', 54],
      ['1.5', '54', 54],
    ];
    expect(out).toStrictEqual([...once, ...once, ...once]);
  });
});
