import { BLOB, blobValue, DOUBLE, FLOAT, INTERVAL, intervalValue, TIMESTAMP, timestampValue } from '@duckdb/node-api';
import {
  formatDate,
  formatDayToSecond,
  formatJavaFloating,
  formatTimestampMicros,
  formatYearToMonth,
  intervalKindOf,
  renderCell,
} from '../../src/embedded/athena/render';
import { trinoHex } from '../support/trino';

describe('formatJavaFloating (Java Double.toString / Float.toString, as Trino prints)', () => {
  it.each([
    [1.5, '1.5'],
    [2, '2.0'],
    [-0, '-0.0'],
    [0, '0.0'],
    [1e20, '1.0E20'],
    [1234567.0, '1234567.0'],
    [1e7, '1.0E7'],
    [0.001, '0.001'],
    [0.0001, '1.0E-4'],
    [123.456, '123.456'],
    [-2.5e-10, '-2.5E-10'],
    [Number.NaN, 'NaN'],
    [Infinity, 'Infinity'],
    [-Infinity, '-Infinity'],
  ])('double %p → %s', (x, text) => {
    expect(formatJavaFloating(x)).toBe(text);
  });

  it('prints REAL with float precision, not double', () => {
    expect(formatJavaFloating(Math.fround(0.1), true)).toBe('0.1');
    expect(formatJavaFloating(Math.fround(1 / 3), true)).toBe('0.33333334');
    expect(renderCell(Math.fround(0.1), FLOAT)).toBe('0.1');
    expect(renderCell(Math.fround(0.1), DOUBLE)).toBe('0.10000000149011612');
  });
});

describe('dates, times and intervals', () => {
  it('prints timestamps with milliseconds, truncating micros, before and after the epoch', () => {
    expect(formatTimestampMicros(1592496000123456n)).toBe('2020-06-18 16:00:00.123');
    expect(formatTimestampMicros(-1n)).toBe('1969-12-31 23:59:59.999');
    expect(renderCell(timestampValue(0n), TIMESTAMP)).toBe('1970-01-01 00:00:00.000');
    expect(renderCell(null, TIMESTAMP)).toBe(null);
    expect(formatDate(-719528)).toBe('0000-01-01');
  });

  it('prints both interval kinds like Trino', () => {
    expect(formatDayToSecond(intervalValue(0, 2, 11045_000_000n))).toBe('2 03:04:05.000');
    expect(formatDayToSecond(intervalValue(0, -1, -1_500_000n))).toBe('-1 00:00:01.500');
    expect(formatYearToMonth(intervalValue(14, 0, 0n))).toBe('1-2');
    expect(formatYearToMonth(intervalValue(-14, 0, 0n))).toBe('-1-2');
    expect(intervalKindOf(intervalValue(14, 0, 0n))).toBe('year to month');
    expect(intervalKindOf(intervalValue(0, 2, 0n))).toBe('day to second');
    expect(renderCell(intervalValue(1, 0, 0n), INTERVAL, 'day to second')).toBe('30 00:00:00.000');
  });
});

describe('varbinary', () => {
  it("prints Trino's layout: groups of 8 bytes apart by three spaces, a line break after every 32 bytes", () => {
    expect(renderCell(blobValue(new Uint8Array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])), BLOB)).toBe('00 01 02 03 04 05 06 07   08 09');
    for (const n of [0, 1, 8, 9, 32, 33, 100]) {
      const bytes = new Uint8Array(Array.from({ length: n }, (_, i) => (i * 37 + 11) % 256));
      expect(renderCell(blobValue(bytes), BLOB)).toBe(trinoHex(bytes));
    }
    expect(renderCell(blobValue(new Uint8Array(33)), BLOB)).toBe(
      '00 00 00 00 00 00 00 00   00 00 00 00 00 00 00 00   00 00 00 00 00 00 00 00   00 00 00 00 00 00 00 00\n00',
    );
  });
});
