import type { GetQueryResultsOutput, Row } from '@aws-sdk/client-athena';
import { HOURLY_COUNTS, readFixture } from '../../support/fixtures';
import { dataRows, decodePages, isHeaderRow, rowCells } from '../../../src/services/athena/pages';

const fixture = readFixture<GetQueryResultsOutput>(HOURLY_COUNTS);
const allRows = fixture.ResultSet!.Rows!;
const columnInfo = fixture.ResultSet!.ResultSetMetadata!.ColumnInfo!;

/** The fixture as Athena would page it with MaxResults=7: header on page 1 only, a NextToken chain. */
function paged(size: number): GetQueryResultsOutput[] {
  const pages: GetQueryResultsOutput[] = [];
  for (let start = 0; start < allRows.length; start += size) {
    const last = start + size >= allRows.length;
    pages.push({
      UpdateCount: 0,
      ResultSet: { Rows: allRows.slice(start, start + size), ResultSetMetadata: { ColumnInfo: columnInfo } },
      ...(last ? {} : { NextToken: `token-${pages.length + 1}` }),
    });
  }
  return pages;
}

describe('the shared fixture (hourly counts)', () => {
  test('decodes to 20 rows of instants and numbers', () => {
    const { columns, rows } = decodePages([fixture]);
    expect(columns.map((c) => [c.key, c.type])).toStrictEqual([
      ['capture_datetime_hour', 'timestamp'],
      ['AMZN_CNT', 'bigint'],
      ['GOOG_CNT', 'bigint'],
      ['WORK_CNT', 'bigint'],
    ]);
    expect(rows).toHaveLength(20);
    expect(rows[0]).toStrictEqual(['2020-06-18T16:00:00.000Z', 54, 56, 55]);
    expect(rows[19]).toStrictEqual(['2020-06-17T21:00:00.000Z', 27, 24, 24]);
  });

  test('split into pages of 7 with the header on page 1 only, it decodes identically', () => {
    const pages = paged(7);
    expect(pages.map((p) => [p.ResultSet!.Rows!.length, p.NextToken])).toStrictEqual([
      [7, 'token-1'],
      [7, 'token-2'],
      [7, undefined],
    ]);
    expect(decodePages(pages).rows).toStrictEqual(decodePages([fixture]).rows);
  });

  test('rows as objects', () => {
    const { rows, decoder } = decodePages([fixture]);
    expect(decoder.toObject(rows[0]!)).toStrictEqual({
      capture_datetime_hour: '2020-06-18T16:00:00.000Z',
      AMZN_CNT: 54,
      GOOG_CNT: 56,
      WORK_CNT: 55,
    });
  });
});

describe('the header-on-page-1 rule', () => {
  const header: Row = allRows[0]!;
  const data: Row = allRows[1]!;
  const page = (rows: Row[]): GetQueryResultsOutput => ({
    ResultSet: { Rows: rows, ResultSetMetadata: { ColumnInfo: columnInfo } },
  });

  test('the header row is dropped on the first page only', () => {
    expect(dataRows(page([header, data]), true)).toStrictEqual([rowCells(data)]);
    // A later page never has a header; a row equal to the names there is data.
    expect(dataRows(page([header, data]), false)).toStrictEqual([rowCells(header), rowCells(data)]);
  });

  test('a first page without a header (no-row statements, some DDL) keeps its first row', () => {
    expect(dataRows(page([data]), true)).toStrictEqual([rowCells(data)]);
    expect(dataRows(page([]), true)).toStrictEqual([]);
    expect(dataRows({}, true)).toStrictEqual([]);
  });

  test('a header matches Label or Name cell for cell', () => {
    const cells = rowCells(header);
    expect(isHeaderRow(cells, columnInfo)).toBe(true);
    expect(isHeaderRow(cells.slice(0, 3), columnInfo)).toBe(false);
    expect(isHeaderRow([null, ...cells.slice(1)], columnInfo)).toBe(false);
    expect(isHeaderRow(cells, [])).toBe(false);
  });

  test('no pages decode to no columns and no rows', () => {
    const { columns, rows } = decodePages([]);
    expect([columns, rows]).toStrictEqual([[], []]);
  });

  test('hints pass through to the decoder', () => {
    const pages: GetQueryResultsOutput[] = [
      {
        ResultSet: {
          ResultSetMetadata: { ColumnInfo: [{ Name: 'xs', Label: 'xs', Type: 'array' }] },
          Rows: [{ Data: [{ VarCharValue: 'xs' }] }, { Data: [{ VarCharValue: '[1, 2]' }] }],
        },
      },
    ];
    expect(decodePages(pages, { xs: 'array(integer)' }).rows).toStrictEqual([[[1, 2]]]);
    expect(decodePages(pages).rows).toStrictEqual([[['1', '2']]]);
  });
});
