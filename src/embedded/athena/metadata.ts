/**
 * `<QueryExecutionId>.csv.metadata` (and `.txt.metadata`), the file Athena writes beside each result and
 * reads GetQueryResults' ColumnInfo from. AWS documents only that it is binary and not meant to be read
 * ("saved in binary format and are not human readable"); what is known of it comes from files Athena wrote,
 * decoded by hand (a dump and a parser published on Stack Overflow question 55991018), and it reads as a
 * Protocol Buffers message:
 *
 *     field 1 (string)             the engine's query id, e.g. `20190423_125128_00001_ehtur`
 *     field 4 (message, repeated)  a column, in order:
 *         1 CatalogName   4 Name   5 Label   6 Type   9 Nullable (UNKNOWN is 3)        — seen in those files
 *         2 SchemaName    3 TableName   7 Precision   8 Scale   10 CaseSensitive      — inferred (see below)
 *
 * Fields 1, 4, 5, 6 and 9 of a column were seen with values that identify them; 2, 3, 7, 8 and 10 follow
 * from the order of ColumnInfo's members in the API, which the seen fields keep, and were not seen with
 * values that would confirm them. As in Protocol Buffers, a field at its default ('' , 0, false) is left
 * out. What else Athena may write (more fields, other engine versions) is unknown, and no reader should
 * depend on this file: gapwatch takes column types from GetQueryResults, as PyAthena and awswrangler do.
 *
 * The query id is Trino's form (`yyyyMMdd_HHmmss_<5-digit counter>_<5-character coordinator id>`), made
 * from the execution's submission time, its sequence number and the first characters of its id: the
 * embedded endpoint has no Trino coordinator to name one.
 */
import type { AthenaColumnInfo } from './render';

const NULLABLE_UNKNOWN = 3;

function varint(n: number, out: number[]): void {
  let v = n;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
}

function bytesField(field: number, bytes: Uint8Array | number[], out: number[]): void {
  varint((field << 3) | 2, out);
  varint(bytes.length, out);
  for (const b of bytes) out.push(b);
}

function stringField(field: number, text: string, out: number[]): void {
  if (text !== '') bytesField(field, Buffer.from(text, 'utf8'), out);
}

function varintField(field: number, n: number, out: number[]): void {
  if (n === 0) return;
  varint(field << 3, out);
  varint(n, out);
}

function column(c: AthenaColumnInfo): number[] {
  const out: number[] = [];
  stringField(1, c.CatalogName, out);
  stringField(2, c.SchemaName, out);
  stringField(3, c.TableName, out);
  stringField(4, c.Name, out);
  stringField(5, c.Label, out);
  stringField(6, c.Type, out);
  varintField(7, c.Precision, out);
  varintField(8, c.Scale, out);
  varintField(9, NULLABLE_UNKNOWN, out);
  varintField(10, c.CaseSensitive ? 1 : 0, out);
  return out;
}

const pad = (n: number, width: number): string => String(n).padStart(width, '0');

/** Trino's query id for an execution (see above). */
export function engineQueryId(submittedAt: number, seq: number, executionId: string): string {
  const d = new Date(submittedAt);
  const date = `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1, 2)}${pad(d.getUTCDate(), 2)}`;
  const time = `${pad(d.getUTCHours(), 2)}${pad(d.getUTCMinutes(), 2)}${pad(d.getUTCSeconds(), 2)}`;
  const coordinator = (executionId.replace(/[^a-z0-9]/g, '') + 'xxxxx').slice(0, 5);
  return `${date}_${time}_${pad(seq % 100_000, 5)}_${coordinator}`;
}

/** The metadata file's bytes for a result with these columns. */
export function resultMetadata(queryId: string, columns: readonly AthenaColumnInfo[]): Buffer {
  const out: number[] = [];
  stringField(1, queryId, out);
  for (const c of columns) bytesField(4, column(c), out);
  return Buffer.from(out);
}
