import { readFileSync } from 'node:fs';
import type { Cells } from '../../../src/services/athena/decode';
import { cellsOf, lazyResultSet, peekResults, scanResultRows as scanBytes, setCells } from '../../../src/services/athena/result-json';
import { mulberry32 } from '../../../src/services/random';
import { fixturePath, HOURLY_COUNTS, readFixture } from '../../support/fixtures';

/** The scanner reads bytes, as they arrive; the texts here are what an endpoint would send. */
const scanResultRows = (text: string) => scanBytes(Buffer.from(text));

/** What JSON.parse makes of the rows: the reference the scanner must match. */
function parsedCells(text: string): Cells[] {
  const doc = JSON.parse(text) as { ResultSet: { Rows: { Data?: { VarCharValue?: string | null }[] }[] } };
  return doc.ResultSet.Rows.map((r) => (r.Data ?? []).map((d) => d.VarCharValue ?? null));
}

function body(rows: Cells[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    UpdateCount: 0,
    ResultSet: {
      Rows: rows.map((cells) => ({ Data: cells.map((v) => (v === null ? {} : { VarCharValue: v })) })),
      ResultSetMetadata: { ColumnInfo: [{ Name: 'Rows', Label: 'Rows', Type: 'varchar' }] },
    },
    NextToken: 'AQ"Rows":[x]==',
    ...extra,
  };
}

const ALPHABET = ['a', 'Z', '0', ' ', '"', '\\', '/', '\n', '\t', '\u0001', '\u001f', 'é', '東', '😀', '\ud800', '{', '}', '[', ']', ',', ':', 'Rows', 'VarCharValue'];

function randomText(random: () => number): string {
  const n = Math.floor(random() * 12);
  let s = '';
  for (let i = 0; i < n; i++) s += ALPHABET[Math.floor(random() * ALPHABET.length)];
  return s;
}

describe('scanResultRows', () => {
  test('reads the same cells JSON.parse does, compact and indented, over 300 random pages', () => {
    const random = mulberry32(11);
    for (let page = 0; page < 300; page++) {
      const rows: Cells[] = [];
      const width = Math.floor(random() * 5);
      for (let r = Math.floor(random() * 20); r > 0; r--) {
        const cells: Cells = [];
        for (let c = 0; c < width; c++) cells.push(random() < 0.15 ? null : randomText(random));
        rows.push(cells);
      }
      for (const text of [JSON.stringify(body(rows)), JSON.stringify(body(rows), null, page % 3)]) {
        const scanned = scanResultRows(text);
        expect(scanned).not.toBeNull();
        expect(scanned!.rows).toStrictEqual(parsedCells(text));
        const rest = JSON.parse(scanned!.rest);
        expect(rest.ResultSet.Rows).toStrictEqual([]);
        expect(rest.NextToken).toBe('AQ"Rows":[x]==');
      }
    }
  });

  test('the real Athena response (pretty-printed, as saved) reads as JSON.parse reads it', () => {
    const text = readFileSync(fixturePath(HOURLY_COUNTS), 'utf8');
    const scanned = scanResultRows(text);
    expect(scanned!.rows).toHaveLength(21);
    expect(scanned!.rows).toStrictEqual(parsedCells(text));
    expect(JSON.parse(scanned!.rest).ResultSet.ResultSetMetadata).toStrictEqual(readFixture(HOURLY_COUNTS).ResultSet.ResultSetMetadata);
  });

  test('ASCII cells of every length around the short-cell path, and non-ASCII ones', () => {
    const cells = Array.from({ length: 31 }, (_, n) => 'abcdefghijklmnopqrstuvwxyz0123456789'.slice(0, n));
    const wide = cells.map((c) => `é${c}`);
    expect(scanResultRows(JSON.stringify(body([cells, wide])))!.rows).toStrictEqual([cells, wide]);
  });

  test('escapes: quotes, backslashes before a closing quote, unicode escapes', () => {
    const cells = ['a"b', 'ends with \\', '\\\\', '\\"', 'é', '"', '\\'];
    const text = JSON.stringify(body([cells])).replace('é', '\\u00e9');
    expect(text).toContain('\\u00e9');
    expect(scanResultRows(text)!.rows).toStrictEqual([cells]);
  });

  test('metadata before the rows, members in any order, VarCharValue null, empty rows', () => {
    const text =
      '{"NextToken":"t","ResultSet":{"ResultSetMetadata":{"ColumnInfo":[]},"Rows":[{"Data":[{"VarCharValue":null},{}]},{},{"Data":[]}]},"UpdateCount":0}';
    const scanned = scanResultRows(text)!;
    expect(scanned.rows).toStrictEqual([[null, null], [], []]);
    expect(JSON.parse(scanned.rest)).toStrictEqual({ NextToken: 't', ResultSet: { ResultSetMetadata: { ColumnInfo: [] }, Rows: [] }, UpdateCount: 0 });
    expect(scanResultRows('{"ResultSet":{"Rows":[]}}')!.rows).toStrictEqual([]);
  });

  test.each([
    ['a member the grammar does not know', '{"ResultSet":{"Rows":[{"Data":[{"VarCharValue":"x","Other":1}]}]}}'],
    ['a Row member other than Data', '{"ResultSet":{"Rows":[{"Cells":[]}]}}'],
    ['a number where text belongs', '{"ResultSet":{"Rows":[{"Data":[{"VarCharValue":7}]}]}}'],
    ['rows that are not an array', '{"ResultSet":{"Rows":null}}'],
    ['no rows at all', '{"UpdateCount":0}'],
    ['a second Rows key', '{"ResultSet":{"Rows":[]},"Other":{"Rows":[]}}'],
    ['a truncated body', '{"ResultSet":{"Rows":[{"Data":[{"VarCharValue":"x"}'],
    ['an unterminated string', '{"ResultSet":{"Rows":[{"Data":[{"VarCharValue":"x'],
    ['a bad escape', '{"ResultSet":{"Rows":[{"Data":[{"VarCharValue":"\\q"}]}]}}'],
    ['a raw control character in a string', '{"ResultSet":{"Rows":[{"Data":[{"VarCharValue":"a\tb"}]}]}}'],
  ])('%s: null, so the caller parses the body whole', (_, text) => {
    expect(scanResultRows(text)).toBeNull();
  });

  test('"Rows" as a value (a column named Rows) is not taken for the key', () => {
    const text = '{"ResultSetMetadata":{"ColumnInfo":[{"Name":"Rows"}]},"ResultSet":{"Rows":[{"Data":[{"VarCharValue":"Rows"}]}]}}';
    expect(scanResultRows(text)!.rows).toStrictEqual([['Rows']]);
  });
});

describe('setCells', () => {
  test('Rows are made from the cells when read, as the SDK shapes them', () => {
    const resultSet: { Rows?: unknown } = {};
    setCells(resultSet, [['a', null], []]);
    expect(cellsOf(resultSet)).toStrictEqual([['a', null], []]);
    expect(resultSet.Rows).toStrictEqual([{ Data: [{ VarCharValue: 'a' }, {}] }, { Data: [] }]);
    expect(resultSet.Rows).toBe(resultSet.Rows);
    expect(Object.keys(resultSet)).toStrictEqual(['Rows']);
  });

  test('assigning Rows replaces the cells', () => {
    const resultSet: { Rows?: unknown } = {};
    setCells(resultSet, [['a']]);
    resultSet.Rows = [];
    expect(resultSet.Rows).toStrictEqual([]);
    expect(cellsOf(resultSet)).toBeUndefined();
  });
});

describe('peekResults', () => {
  const peek = (text: string) => peekResults(Buffer.from(text));

  test('NextToken and UpdateCount from the bytes, wherever they sit, whatever the spacing', () => {
    expect(peek(JSON.stringify({ ...body([['a']]), NextToken: 'AQ/x+y==' }))).toStrictEqual({ nextToken: 'AQ/x+y==', updateCount: 0 });
    expect(peek('{ "NextToken" : "t/+=" ,\n "ResultSet": {"Rows": []}, "UpdateCount": 12 }')).toStrictEqual({ nextToken: 't/+=', updateCount: 12 });
    expect(peek('{"ResultSet":{"Rows":[]}}')).toStrictEqual({});
    expect(peek('{"ResultSet":{"Rows":[]},"NextToken":null}')).toStrictEqual({});
    expect(peek(readFileSync(fixturePath(HOURLY_COUNTS), 'utf8'))).toStrictEqual({ updateCount: 0 });
  });

  test.each([
    ['no ResultSet', '{"UpdateCount":0}'],
    ['not an object', '[{"ResultSet":{}}]'],
    ['a body cut short', '{"ResultSet":{"Rows":[{"Data":[{"VarCharValue":"x'],
    ['an escaped token', JSON.stringify(body([['a']]))],
    ['NextToken also as a value', '{"ResultSet":{"Rows":[{"Data":[{"VarCharValue":"NextToken"}]}]},"NextToken":"t"}'],
    ['NextToken only as a value', '{"ResultSet":{"Rows":[{"Data":[{"VarCharValue":"NextToken"}]}]}}'],
    ['a NextToken that is not text', '{"ResultSet":{},"NextToken":7}'],
    ['a negative UpdateCount', '{"ResultSet":{},"UpdateCount":-1}'],
  ])('%s: null, so the caller reads the body at once', (_, text) => {
    expect(peek(text)).toBeNull();
  });
});

describe('lazyResultSet', () => {
  test('reads the body once, on first use, and shows the real members and cells', () => {
    let reads = 0;
    const real = { Rows: undefined as unknown, ResultSetMetadata: { ColumnInfo: [] } };
    setCells(real, [['x']]);
    const lazy = lazyResultSet(() => {
      reads++;
      return real;
    }) as { Rows?: unknown; ResultSetMetadata?: unknown };
    expect(reads).toBe(0);
    expect(Object.keys(lazy)).toStrictEqual(['Rows', 'ResultSetMetadata']);
    expect(cellsOf(lazy)).toStrictEqual([['x']]);
    expect(lazy.Rows).toStrictEqual([{ Data: [{ VarCharValue: 'x' }] }]);
    expect(lazy.ResultSetMetadata).toStrictEqual({ ColumnInfo: [] });
    expect(reads).toBe(1);
  });

  test('a read that fails fails each use, and never half-way', () => {
    const lazy = lazyResultSet(() => {
      throw new SyntaxError('not JSON');
    }) as { Rows?: unknown };
    expect(() => lazy.Rows).toThrow(SyntaxError);
    expect(() => cellsOf(lazy)).toThrow(SyntaxError);
  });
});
