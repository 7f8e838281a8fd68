/**
 * GetQueryResults pages → data rows. Athena puts the column header as the first row of page 1 only
 * (and leaves it out for statements that return no rows and for some DDL/utility statements), so the
 * header rule lives here once. Pure: pages in, rows out.
 */
import type { ColumnInfo, GetQueryResultsOutput, Row } from '@aws-sdk/client-athena';
import { createDecoder, type Cells, type DecodedColumn, type ResultDecoder, type TypedValue } from './decode';
import { cellsOf } from './result-json';

export function columnsOf(page: GetQueryResultsOutput): ColumnInfo[] {
  return page.ResultSet?.ResultSetMetadata?.ColumnInfo ?? [];
}

/** A Row's cells: each Datum's text, null where it has none (SQL NULL). */
export function rowCells(row: Row): Cells {
  const data = row.Data;
  if (data == null) return [];
  const cells: Cells = new Array(data.length);
  for (let i = 0; i < data.length; i++) cells[i] = data[i]?.VarCharValue ?? null;
  return cells;
}

/** Every row of a page as cells: as the protocol read them (protocol.ts), else from the Row objects. */
export function pageCells(page: GetQueryResultsOutput): Cells[] {
  return cellsOf(page.ResultSet) ?? (page.ResultSet?.Rows ?? []).map(rowCells);
}

/**
 * True when the row's cells are exactly the column labels (or names): Athena's header row.
 * A data row that happens to equal the labels on page 1 of a header-less statement would be taken for
 * the header; Athena gives no other signal, so this is the best test available.
 */
export function isHeaderRow(cells: Readonly<Cells>, columns: readonly ColumnInfo[]): boolean {
  if (columns.length === 0 || cells.length !== columns.length) return false;
  for (let i = 0; i < columns.length; i++) {
    const cell = cells[i];
    const c = columns[i]!;
    if (cell == null || (cell !== c.Label && cell !== c.Name)) return false;
  }
  return true;
}

/** The data rows of one page, as cells: the header row is dropped only on the first page and only if it is one. */
export function dataRows(page: GetQueryResultsOutput, isFirstPage: boolean): Cells[] {
  const rows = pageCells(page);
  if (isFirstPage && rows.length > 0 && isHeaderRow(rows[0]!, columnsOf(page))) return rows.slice(1);
  return rows;
}

export interface DecodedPages {
  columns: readonly DecodedColumn[];
  rows: TypedValue[][];
  decoder: ResultDecoder;
}

/**
 * Decode every page of one result, in order (pages[0] is the first page, which carries the header and
 * the ColumnInfo). Hints are as for createDecoder.
 */
export function decodePages(
  pages: readonly GetQueryResultsOutput[],
  hints?: Readonly<Record<string, string>>,
): DecodedPages {
  const first = pages[0];
  const decoder = createDecoder(first === undefined ? [] : columnsOf(first), hints);
  const rows: TypedValue[][] = [];
  pages.forEach((page, i) => {
    for (const cells of dataRows(page, i === 0)) rows.push(decoder.decodeRow(cells));
  });
  return { columns: decoder.columns, rows, decoder };
}
