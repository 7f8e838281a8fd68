import type { Cells } from '../../../src/services/athena/decode';
import { CsvFormatError, csvLine, scanCsvRows } from '../../../src/services/athena/csv';
import { mulberry32 } from '../../../src/services/random';

const scan = (text: string, width: number, final = true): { rows: Cells[]; end: number; count: number } => {
  const bytes = Buffer.from(text);
  const rows: Cells[] = [];
  const stop = scanCsvRows(bytes, 0, bytes.length, width, rows, Infinity, final);
  return { rows, end: stop.end, count: stop.rows };
};

const ALPHABET = ['a', 'Z', '0', ' ', '"', '""', ',', '\n', '\r', '\t', '\u0001', 'é', '東', '😀', 'null', 'NULL', '\\'];

function randomCell(random: () => number): string | null {
  if (random() < 0.15) return null;
  const n = Math.floor(random() * 10);
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHABET[Math.floor(random() * ALPHABET.length)];
  return s;
}

describe("Athena's CSV", () => {
  test('quotes every value, doubles quotes, and writes NULL as an empty field', () => {
    expect(csvLine(['a', null, '', 'say "hi"', 'two\nlines'])).toBe('"a",,"","say ""hi""","two\nlines"\n');
    expect(csvLine([null])).toBe('\n');
    expect(csvLine([null, null])).toBe(',\n');
  });

  test('reads back exactly what it wrote, NULL apart from the empty string, over 500 random rows', () => {
    const random = mulberry32(5);
    for (let round = 0; round < 50; round++) {
      const width = 1 + Math.floor(random() * 6);
      const rows: Cells[] = Array.from({ length: 10 }, () => Array.from({ length: width }, () => randomCell(random)));
      const text = rows.map(csvLine).join('');
      const read = scan(text, width);
      expect(read.rows).toStrictEqual(rows);
      expect(read.end).toBe(Buffer.byteLength(text));
    }
  });

  test('leaves a row cut off by the end of the bytes for the next read, at every cut', () => {
    const rows: Cells[] = [
      ['AMZN', '1.5', null],
      ['say "x"', '', 'two\nlines'],
      ['東京', '😀', '"'],
    ];
    const bytes = Buffer.from(rows.map(csvLine).join(''));
    for (let cut = 0; cut <= bytes.length; cut++) {
      const out: Cells[] = [];
      const first = scanCsvRows(bytes, 0, cut, 3, out);
      // Every byte up to the end of the last complete row was taken, and no more.
      const second = scanCsvRows(bytes, first.end, bytes.length, 3, out, Infinity, true);
      expect(out).toStrictEqual(rows);
      expect(first.rows + second.rows).toBe(3);
      expect(second.end).toBe(bytes.length);
    }
  });

  test('counts rows without reading their cells, and stops after maxRows', () => {
    const bytes = Buffer.from(['"a","b"', '"c",', ',"d"', '"e""","f\n"'].map((l) => `${l}\n`).join(''));
    const counted = scanCsvRows(bytes, 0, bytes.length, 2, null);
    expect(counted.rows).toBe(4);
    expect(counted.end).toBe(bytes.length);
    const two: Cells[] = [];
    const stop = scanCsvRows(bytes, 0, bytes.length, 2, two, 2);
    expect(two).toStrictEqual([['a', 'b'], ['c', null]]);
    expect(scan(bytes.toString('utf8', stop.end), 2).rows).toStrictEqual([[null, 'd'], ['e"', 'f\n']]);
  });

  test.each([
    ['an unquoted value', 'abc\n', 1, /unexpected "a" at offset 0/],
    ['a row too short', '"a"\n', 2, /a row of 1 fields where 2 were expected/],
    ['a row too long', '"a","b","c"\n', 2, /a row of more than 2 fields/],
    ['text after a closing quote', '"a"b\n', 1, /unexpected "b" at offset 3/],
    ['CRLF line ends', '"a"\r\n', 1, /unexpected "\\r"/],
    ['a row cut off at the end of the data', '"a","b', 2, /the bytes end inside a row at offset 0/],
  ])('refuses %s rather than reading other cells', (_what, text, width, message) => {
    expect(() => scan(text, width)).toThrow(CsvFormatError);
    expect(() => scan(text, width)).toThrow(message);
  });
});
