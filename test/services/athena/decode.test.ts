import type { ColumnInfo } from '@aws-sdk/client-athena';
import { createDecoder, isInvalid, uniqueKeys, type TypedValue } from '../../../src/services/athena/decode';
import { trinoHex } from '../../support/trino';

const column = (Type: string, Name = 'c', extra: Partial<ColumnInfo> = {}): ColumnInfo => ({
  Name,
  Label: Name,
  Type,
  Nullable: 'UNKNOWN',
  ...extra,
});
/** A row as the decoder takes it: a cell per column, null for SQL NULL. */
const row = (...cells: (string | null)[]): (string | null)[] => cells;

/** Decode one cell of one column. */
function cell(type: string, raw: string | null, hint?: string, extra: Partial<ColumnInfo> = {}): TypedValue {
  return createDecoder([column(type, 'c', extra)], hint === undefined ? undefined : { c: hint }).decodeRow(row(raw))[0]!;
}

const bad = (raw: string, reason: string): TypedValue => ({ $invalid: raw, reason });

const VARBINARY_REASON = "not varbinary (hex bytes in Trino's layout: 00 01 … 07   08 …, a line per 32 bytes)";


describe('NULL and empty text', () => {
  test('a Datum without VarCharValue is null, for every type', () => {
    for (const t of ['varchar', 'bigint', 'double', 'timestamp', 'boolean', 'array', 'map', 'row', 'json']) {
      expect(cell(t, null)).toBeNull();
    }
  });

  test("'' stays '' for varchar and char, and is malformed for other types", () => {
    expect(cell('varchar', '')).toBe('');
    expect(cell('char', '')).toBe('');
    expect(cell('bigint', '')).toStrictEqual(bad('', 'not a bigint'));
    expect(cell('integer', '')).toStrictEqual(bad('', 'not a whole number for integer'));
    expect(cell('double', '')).toStrictEqual(bad('', 'not a floating-point number'));
    expect(cell('boolean', '')).toStrictEqual(bad('', 'not a boolean (true or false)'));
    expect(cell('date', '')).toStrictEqual(bad('', 'not a date (YYYY-MM-DD)'));
    expect(cell('decimal', '')).toStrictEqual(bad('', 'not a decimal'));
  });

  test('a row shorter than the columns reads the missing cells as null', () => {
    const d = createDecoder([column('varchar', 'a'), column('bigint', 'b')]);
    expect(d.decodeRow(['x'])).toStrictEqual(['x', null]);
    expect(d.decodeRow([])).toStrictEqual([null, null]);
  });
});

describe('integers', () => {
  test('tinyint, smallint and integer are numbers within their range', () => {
    expect(cell('tinyint', '-128')).toBe(-128);
    expect(cell('smallint', '32767')).toBe(32767);
    expect(cell('integer', '-2147483648')).toBe(-2147483648);
    expect(cell('tinyint', '128')).toStrictEqual(bad('128', 'tinyint out of range [-128, 127]'));
    expect(cell('integer', '2147483648')).toStrictEqual(bad('2147483648', 'integer out of range [-2147483648, 2147483647]'));
    expect(cell('integer', '1.5')).toStrictEqual(bad('1.5', 'not a whole number for integer'));
  });

  test('bigint is a number while safe, else the exact digits', () => {
    expect(cell('bigint', '0')).toBe(0);
    expect(cell('bigint', '9007199254740991')).toBe(9007199254740991); // 2^53 - 1
    expect(cell('bigint', '-9007199254740991')).toBe(-9007199254740991);
    expect(cell('bigint', '9007199254740992')).toBe('9007199254740992'); // 2^53
    expect(cell('bigint', '9007199254740993')).toBe('9007199254740993'); // 2^53 + 1: a double would say ...992
    expect(cell('bigint', '-9007199254740993')).toBe('-9007199254740993');
    expect(cell('bigint', '9223372036854775807')).toBe('9223372036854775807');
    expect(cell('bigint', '-9223372036854775808')).toBe('-9223372036854775808');
  });

  test('bigint beyond 64 bits or not digits is malformed', () => {
    const range = 'bigint out of range [-9223372036854775808, 9223372036854775807]';
    expect(cell('bigint', '9223372036854775808')).toStrictEqual(bad('9223372036854775808', range));
    expect(cell('bigint', '-9223372036854775809')).toStrictEqual(bad('-9223372036854775809', range));
    expect(cell('bigint', '12345678901234567890')).toStrictEqual(bad('12345678901234567890', range));
    expect(cell('bigint', '0x10')).toStrictEqual(bad('0x10', 'not a bigint'));
    expect(cell('bigint', ' 1')).toStrictEqual(bad(' 1', 'not a bigint'));
  });
});

describe('floating point, decimal, boolean', () => {
  test('double and real are numbers; NaN and the infinities are strings', () => {
    expect(cell('double', '-12.5')).toBe(-12.5);
    expect(cell('double', '1.0E10')).toBe(1e10);
    expect(cell('real', '4.9E-3')).toBe(0.0049);
    expect(cell('float', '3')).toBe(3);
    expect(cell('double', 'NaN')).toBe('NaN');
    expect(cell('double', 'Infinity')).toBe('Infinity');
    expect(cell('double', '-Infinity')).toBe('-Infinity');
    expect(cell('double', '0x1F')).toStrictEqual(bad('0x1F', 'not a floating-point number'));
    expect(cell('double', '1e')).toStrictEqual(bad('1e', 'not a floating-point number'));
  });

  test('a finite text beyond the range of a double is malformed, never Infinity (which JSON would send as null)', () => {
    const range = 'beyond the range of a double (±1.7976931348623157E308); Athena writes Infinity for an infinite double';
    expect(cell('double', '1e400')).toStrictEqual(bad('1e400', range));
    expect(cell('double', '-1.0E309')).toStrictEqual(bad('-1.0E309', range));
    expect(cell('real', '1e400')).toStrictEqual(bad('1e400', range));
    expect(cell('double', '1.7976931348623157E308')).toBe(Number.MAX_VALUE);
    expect(cell('double', '4.9E-324')).toBe(5e-324);
    expect(cell('double', '1e-400')).toBe(0); // underflow rounds to zero, as Java's parseDouble does
  });

  test('decimal(38,10) keeps the exact text Athena wrote', () => {
    const dec = { Precision: 38, Scale: 10 };
    expect(cell('decimal', '1234567890123456789012345678.1234567890', undefined, dec)).toBe(
      '1234567890123456789012345678.1234567890',
    );
    expect(cell('decimal', '-0.0000000001', undefined, dec)).toBe('-0.0000000001');
    expect(cell('decimal', '0.1000000000', undefined, dec)).toBe('0.1000000000');
  });

  test('decimal text outside the grammar or the declared precision is malformed', () => {
    const dec = { Precision: 5, Scale: 2 };
    expect(cell('decimal', '1234.50', undefined, dec)).toStrictEqual(bad('1234.50', 'does not fit decimal(5,2)'));
    expect(cell('decimal', '1.234', undefined, dec)).toStrictEqual(bad('1.234', 'does not fit decimal(5,2)'));
    expect(cell('decimal', '1.2e3', undefined, dec)).toStrictEqual(bad('1.2e3', 'not a decimal'));
    expect(cell('decimal', '1.', undefined, dec)).toStrictEqual(bad('1.', 'not a decimal'));
  });

  test('boolean is true or false and nothing else', () => {
    expect(cell('boolean', 'true')).toBe(true);
    expect(cell('boolean', 'false')).toBe(false);
    expect(cell('boolean', 'TRUE')).toStrictEqual(bad('TRUE', 'not a boolean (true or false)'));
  });
});

describe('text, json, varbinary', () => {
  test('varchar is as written; char keeps its padding; unknown types pass as text', () => {
    expect(cell('varchar', 'a, b [c]')).toBe('a, b [c]');
    expect(cell('char', 'ab   ')).toBe('ab   ');
    expect(cell('uuid', '12151fd2-7586-11e9-8f9e-2a86e4085a59')).toBe('12151fd2-7586-11e9-8f9e-2a86e4085a59');
  });

  test('json is parsed', () => {
    expect(cell('json', '{"a":[1,null,"x"],"b":{"c":true}}')).toStrictEqual({ a: [1, null, 'x'], b: { c: true } });
    expect(cell('json', '"s"')).toBe('s');
    expect(cell('json', '{"a":')).toStrictEqual(bad('{"a":', 'not valid JSON'));
    expect(cell('json', '{"__proto__":1}')).toStrictEqual(JSON.parse('{"__proto__":1}'));
  });

  test('json numbers stay exact: a number a double cannot hold is its exact text, as bigint and decimal are', () => {
    expect(cell('json', '{"id": 9223372036854775807}')).toStrictEqual({ id: '9223372036854775807' });
    expect(cell('json', '[9007199254740993, 9007199254740991, -12.5, 1.0E10, 0.1, 1e400, 3.14159265358979323846]')).toStrictEqual([
      '9007199254740993',
      9007199254740991,
      -12.5,
      1e10,
      0.1,
      '1e400',
      '3.14159265358979323846',
    ]);
    expect(cell('json', '12345678901234567890')).toBe('12345678901234567890');
    // A key given twice has no single meaning (RFC 8259 §4): the text is kept, not its last value.
    expect(cell('json', '{"a":1,"a":2}')).toStrictEqual(bad('{"a":1,"a":2}', "not valid JSON: Duplicate key 'a' encountered at position 8"));
  });

  test('varbinary hex bytes become base64', () => {
    expect(cell('varbinary', '31 32 33')).toBe('MTIz');
    expect(cell('varbinary', 'ff 00')).toBe('/wA=');
    expect(cell('varbinary', '')).toBe('');
    expect(cell('varbinary', '3132')).toStrictEqual(bad('3132', VARBINARY_REASON));
  });

  test("varbinary in Trino's layout: 8-byte groups apart by three spaces, a line per 32 bytes", () => {
    expect(cell('varbinary', '00 01 02 03 04 05 06 07   08 09')).toBe(Buffer.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]).toString('base64'));
    for (const n of [0, 1, 8, 9, 32, 33, 100]) {
      const bytes = Buffer.from(Array.from({ length: n }, (_, i) => (i * 37 + 11) % 256));
      expect(cell('varbinary', trinoHex(bytes))).toBe(bytes.toString('base64'));
      expect(cell('varbinary', trinoHex(bytes).toUpperCase())).toBe(bytes.toString('base64'));
    }
    // Any other spacing is not what Trino prints.
    for (const raw of [
      '00 01 02 03 04 05 06 07 08', // one space at a group boundary
      '00 01 02 03 04 05 06 07  08',
      '00  01',
      '00 01   02',
      '00 01 02 03 04 05 06 07   08 09 0a 0b 0c 0d 0e 0f   10 11 12 13 14 15 16 17   18 19 1a 1b 1c 1d 1e 1f   20', // no line break
      trinoHex(Buffer.alloc(32)) + '\n', // a trailing line break
      ' 00',
      '00 ',
      '0g',
      '000',
    ]) {
      expect(cell('varbinary', raw)).toStrictEqual(bad(raw, VARBINARY_REASON));
    }
  });
});

describe('dates, times, timestamps', () => {
  test('date and time are validated and kept as written', () => {
    expect(cell('date', '2020-02-29')).toBe('2020-02-29');
    expect(cell('date', '2021-02-29')).toStrictEqual(bad('2021-02-29', 'not a date (YYYY-MM-DD)'));
    expect(cell('time', '16:00:00.000')).toBe('16:00:00.000');
    expect(cell('time', '24:00:00.000')).toStrictEqual(bad('24:00:00.000', 'not a time (HH:MM:SS[.fff])'));
    expect(cell('time with time zone', '16:00:00.000+05:30')).toBe('16:00:00.000+05:30');
  });

  test('timestamp is an ISO-8601 UTC instant, keeping sub-millisecond digits', () => {
    expect(cell('timestamp', '2020-06-18 16:00:00.000')).toBe('2020-06-18T16:00:00.000Z');
    expect(cell('timestamp', '2020-06-18 16:00:00.123456')).toBe('2020-06-18T16:00:00.123456Z');
    expect(cell('timestamp', '2020-06-18 16:00:00')).toBe('2020-06-18T16:00:00.000Z');
    expect(cell('timestamp', '2020-06-18 16:00:00.5')).toBe('2020-06-18T16:00:00.500Z');
  });

  test('consecutive timestamps sharing date and hour are each validated', () => {
    const d = createDecoder([column('timestamp')]);
    expect(
      d.decodeRows([
        row('2020-06-18 16:00:00.000'),
        row('2020-06-18 16:59:59.999'),
        row('2020-06-18 16:60:00.000'),
        row('2020-06-18 16:00:00.1'),
        row('2020-06-18 17:00:00.000'),
      ]),
    ).toStrictEqual([
      ['2020-06-18T16:00:00.000Z'],
      ['2020-06-18T16:59:59.999Z'],
      [bad('2020-06-18 16:60:00.000', 'not a timestamp (YYYY-MM-DD HH:MM:SS[.fff])')],
      ['2020-06-18T16:00:00.100Z'],
      ['2020-06-18T17:00:00.000Z'],
    ]);
  });

  test('malformed timestamps', () => {
    const reason = 'not a timestamp (YYYY-MM-DD HH:MM:SS[.fff])';
    for (const raw of ['2020-02-30 16:00:00.000', '2020-06-18T16:00:00.000', '2020-06-18 16:00', '2020-06-18 16:00:00.']) {
      expect(cell('timestamp', raw)).toStrictEqual(bad(raw, reason));
    }
  });

  test('timestamp with time zone is an RFC 9557 string with offset and zone id', () => {
    const t = 'timestamp with time zone';
    expect(cell(t, '2001-08-22 03:04:05.321 UTC')).toBe('2001-08-22T03:04:05.321+00:00[UTC]');
    expect(cell(t, '2001-08-22 03:04:05.321 America/New_York')).toBe('2001-08-22T03:04:05.321-04:00[America/New_York]');
    expect(cell(t, '2001-01-22 03:04:05.321 America/New_York')).toBe('2001-01-22T03:04:05.321-05:00[America/New_York]');
    expect(cell(t, '2001-08-22 03:04:05.321 +05:30')).toBe('2001-08-22T03:04:05.321+05:30[+05:30]');
    expect(cell(t, '2001-08-22 03:04:05.321 -08:00')).toBe('2001-08-22T03:04:05.321-08:00[-08:00]');
  });

  test('around New York DST changes: the day itself, the repeated hour, the skipped hour', () => {
    const t = 'timestamp with time zone';
    // 2021-03-14 02:00 EST → 03:00 EDT; 2021-11-07 02:00 EDT → 01:00 EST.
    expect(cell(t, '2021-03-14 01:59:59.999 America/New_York')).toBe('2021-03-14T01:59:59.999-05:00[America/New_York]');
    expect(cell(t, '2021-03-14 03:00:00.000 America/New_York')).toBe('2021-03-14T03:00:00.000-04:00[America/New_York]');
    expect(cell(t, '2021-11-07 01:30:00.000 America/New_York')).toBe('2021-11-07T01:30:00.000-04:00[America/New_York]');
    expect(cell(t, '2021-11-07 02:30:00.000 America/New_York')).toBe('2021-11-07T02:30:00.000-05:00[America/New_York]');
    expect(cell(t, '2021-03-14 02:30:00.000 America/New_York')).toStrictEqual(
      bad('2021-03-14 02:30:00.000 America/New_York', 'wall-clock time does not exist in America/New_York (DST gap)'),
    );
  });

  test('timestamp with time zone: unknown zone or bad text is malformed', () => {
    const t = 'timestamp with time zone';
    expect(cell(t, '2001-08-22 03:04:05.321 Mars/Olympus')).toStrictEqual(
      bad('2001-08-22 03:04:05.321 Mars/Olympus', 'unknown time zone "Mars/Olympus"'),
    );
    expect(cell(t, '2001-08-22 03:04:05.321')).toStrictEqual(
      bad('2001-08-22 03:04:05.321', 'not a timestamp with time zone (YYYY-MM-DD HH:MM:SS[.fff] zone)'),
    );
  });
});

describe('intervals', () => {
  test('day to second becomes an ISO-8601 duration', () => {
    const t = 'interval day to second';
    expect(cell(t, '2 03:04:05.000')).toBe('P2DT3H4M5S');
    expect(cell(t, '0 00:00:00.500')).toBe('PT0.5S');
    expect(cell(t, '-1 00:00:00.000')).toBe('-P1D');
    expect(cell(t, '-0 01:00:00.250')).toBe('-PT1H0.25S');
    expect(cell(t, '0 00:00:00.000')).toBe('PT0S');
    expect(cell(t, '1 25:00:00.000')).toStrictEqual(bad('1 25:00:00.000', 'interval field out of range'));
    expect(cell(t, '1 day')).toStrictEqual(bad('1 day', 'not an interval day to second (D HH:MM:SS.fff)'));
  });

  test('year to month becomes an ISO-8601 duration', () => {
    const t = 'interval year to month';
    expect(cell(t, '1-2')).toBe('P1Y2M');
    expect(cell(t, '-1-2')).toBe('-P1Y2M');
    expect(cell(t, '0-5')).toBe('P5M');
    expect(cell(t, '3-0')).toBe('P3Y');
    expect(cell(t, '0-0')).toBe('PT0S');
    expect(cell(t, '1-12')).toStrictEqual(bad('1-12', 'interval months out of range [0, 11]'));
  });
});

describe('nested values without a hint', () => {
  test('array elements stay strings; null elements are null; nested arrays stay text', () => {
    expect(cell('array', '[1, 2, null]')).toStrictEqual(['1', '2', null]);
    expect(cell('array', '[]')).toStrictEqual([]);
    expect(cell('array', '[[1, 2], [3]]')).toStrictEqual(['[1, 2]', '[3]']);
  });

  test('maps and rows are objects of strings', () => {
    expect(cell('map', '{a=1, b=null}')).toStrictEqual({ a: '1', b: null });
    expect(cell('row', '{x=1, y=abc, z={p=1}}')).toStrictEqual({ x: '1', y: 'abc', z: '{p=1}' });
  });

  test('unbalanced text is malformed', () => {
    expect(cell('array', '[1, 2')).toStrictEqual(bad('[1, 2', 'missing "]"'));
    expect(cell('map', '{a}')).toStrictEqual(bad('{a}', 'expected "=" after map key at 2'));
    expect(cell('array', '[1] x')).toStrictEqual(bad('[1] x', 'unexpected text after position 3'));
  });
});

describe('nested values with a type hint', () => {
  test('elements use their type decoders, nulls inside included', () => {
    expect(cell('array', '[1, null, 3]', 'array(integer)')).toStrictEqual([1, null, 3]);
    expect(cell('array', '[[1, 2], null, []]', 'array(array(bigint))')).toStrictEqual([[1, 2], null, []]);
    expect(cell('array', '[2020-06-18 16:00:00.000]', 'array(timestamp)')).toStrictEqual(['2020-06-18T16:00:00.000Z']);
    expect(cell('map', '{a=9223372036854775807, b=null}', 'map(varchar, bigint)')).toStrictEqual({
      a: '9223372036854775807',
      b: null,
    });
    expect(cell('map', '{1=x, 2=y}', 'map(integer, varchar)')).toStrictEqual({ 1: 'x', 2: 'y' });
  });

  test('rows are keyed by the hint field names, nested rows and arrays decoded', () => {
    expect(cell('row', '{x=1, y=abc}', 'row(x integer, y varchar)')).toStrictEqual({ x: 1, y: 'abc' });
    expect(
      cell('array', '[{a=1, b=[x, y]}, null, {a=null, b=[]}]', 'array(row(a bigint, b array(varchar)))'),
    ).toStrictEqual([{ a: 1, b: ['x', 'y'] }, null, { a: null, b: [] }]);
    expect(cell('row', '{p={q=1.5}}', 'row(p row(q double))')).toStrictEqual({ p: { q: 1.5 } });
  });

  test('a malformed element is marked, its neighbours still decode', () => {
    expect(cell('array', '[1, x, 3]', 'array(integer)')).toStrictEqual([
      1,
      bad('x', 'not a whole number for integer'),
      3,
    ]);
    expect(cell('map', '{x=1}', 'map(integer, varchar)')).toStrictEqual(
      bad('{x=1}', 'map key "x": not a whole number for integer'),
    );
  });

  test('varchar elements with commas or brackets: best effort, documented ambiguity', () => {
    // Athena does not quote strings, so ", " inside an element reads as a separator…
    expect(cell('array', '[a, b, c]', 'array(varchar)')).toStrictEqual(['a', 'b', 'c']);
    expect(cell('array', '[a,b, c]', 'array(varchar)')).toStrictEqual(['a,b', 'c']);
    // …while balanced brackets inside an element stay with it.
    expect(cell('array', '[f(x), [y]]', 'array(varchar)')).toStrictEqual(['f(x)', '[y]']);
    expect(cell('row', '{note=a=b, n=1}', 'row(note varchar, n integer)')).toStrictEqual({ note: 'a=b', n: 1 });
  });

  test('a hint that does not parse, does not fit, or names no column is the caller mistake and throws', () => {
    expect(() => createDecoder([column('array')], { c: 'array(integer' })).toThrow(
      'Type "array(integer" is not a Trino type: expected ")" at offset 13',
    );
    expect(() => createDecoder([column('bigint')], { c: 'array(integer)' })).toThrow(
      'Type hint "array(integer)" for column "c" does not fit its type "bigint"',
    );
    expect(() => createDecoder([column('array')], { nope: 'array(integer)' })).toThrow(
      'Type hint for "nope" names no column; columns are "c"',
    );
  });

  test('a full nested type in ColumnInfo.Type acts as its own hint', () => {
    expect(cell('array(integer)', '[1, 2]')).toStrictEqual([1, 2]);
  });
});

describe('columns and keys', () => {
  test('duplicate, empty and number-like names: values stay positional, keys are unique', () => {
    const d = createDecoder([
      column('bigint', 'a'),
      column('varchar', 'a'),
      column('varchar', ''),
      column('bigint', '2020'),
      column('varchar', 'a_2'),
      column('varchar', '__proto__'),
    ]);
    expect(d.columns.map((c) => c.key)).toStrictEqual(['a', 'a_3', '_col2', '2020', 'a_2', '__proto__']);
    const values = d.decodeRow(row('1', 'x', 'y', '7', 'z', 'p'));
    expect(values).toStrictEqual([1, 'x', 'y', 7, 'z', 'p']);
    const obj = d.toObject(values);
    expect(Object.getPrototypeOf(obj)).toBe(Object.prototype);
    expect(Object.entries(obj)).toStrictEqual([
      ['2020', 7], // integer-like keys come first in any JS object; `columns` keeps the order
      ['a', 1],
      ['a_3', 'x'],
      ['_col2', 'y'],
      ['a_2', 'z'],
      ['__proto__', 'p'],
    ]);
  });

  test('uniqueKeys: later duplicates get _2, _3, skipping names taken', () => {
    expect(uniqueKeys(['x', 'x', 'x', 'x_2', ''])).toStrictEqual(['x', 'x_3', 'x_4', 'x_2', '_col4']);
  });

  test('DecodedColumn carries ColumnInfo facts and the hint', () => {
    const d = createDecoder(
      [
        column('decimal', 'amount', { Precision: 38, Scale: 10, Nullable: 'NULLABLE' }),
        column('array', 'tags'),
        column('timestamp with time zone', 'at', { Nullable: 'NOT_NULL' }),
      ],
      { tags: 'array(varchar)' },
    );
    expect(d.columns).toStrictEqual([
      { index: 0, name: 'amount', key: 'amount', type: 'decimal', precision: 38, scale: 10, nullable: 'NULLABLE' },
      { index: 1, name: 'tags', key: 'tags', type: 'array', nullable: 'UNKNOWN', hint: 'array(varchar)' },
      { index: 2, name: 'at', key: 'at', type: 'timestamp with time zone', nullable: 'NOT_NULL' },
    ]);
  });

});

describe('malformed cells never cost the row', () => {
  test('one bad cell per type in a single row: the row comes back with markers in place', () => {
    const types = [
      'tinyint', 'smallint', 'integer', 'bigint', 'real', 'double', 'decimal', 'boolean', 'json', 'date', 'time',
      'timestamp', 'timestamp with time zone', 'interval day to second', 'interval year to month', 'varbinary',
    ];
    const d = createDecoder([...types.map((t, i) => column(t, `c${i}`)), column('varchar', 'ok')]);
    const values = d.decodeRow(row(...types.map(() => 'garbage'), 'fine'));
    expect(values.slice(0, -1).every((v) => isInvalid(v))).toBe(true);
    expect(values.slice(0, -1).map((v) => (v as { $invalid: string }).$invalid)).toStrictEqual(types.map(() => 'garbage'));
    expect(values[values.length - 1]).toBe('fine');
  });

  test('isInvalid recognises exactly the marker shape', () => {
    expect(isInvalid({ $invalid: 'x', reason: 'y' })).toBe(true);
    expect(isInvalid({ $invalid: 'x' })).toBe(false);
    expect(isInvalid({ $invalid: 'x', reason: 'y', more: 1 })).toBe(false);
    expect(isInvalid(['x'])).toBe(false);
    expect(isInvalid(null)).toBe(false);
    expect(isInvalid('x')).toBe(false);
  });
});
