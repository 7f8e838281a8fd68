/**
 * Athena's result file, `<QueryExecutionId>.csv`: a line of column labels, then a line per row. Every value
 * is double-quoted with each `"` inside doubled, SQL NULL is an empty field with no quotes (so `""` is the
 * empty string and `,,` a NULL), fields are separated by `,` and every line, the last included, ends with
 * `\n`; a line break inside a value stays raw, within its quotes. A row's cells are the very text
 * GetQueryResults sends in its Datums.
 *
 * Both sides of the wire read and write this one format through this module, so it cannot drift between
 * them: the embedded endpoint stores each result as this file (serving it over S3 and reading its rows back
 * for GetQueryResults), and the service reads large results from S3 with the scanner below and streams
 * `GET /results` as CSV with `csvLine`. Pure: bytes in, cells out.
 *
 * The scanner takes only this grammar. Anything else (an unquoted value, a quote not followed by `,`, `\n`
 * or another quote, a row of another width, `\r\n` line ends) is not Athena's CSV and throws
 * CsvFormatError, so a file from somewhere else is refused rather than read into other cells.
 */
import type { Cells } from './decoders/values';
import { shortAscii, SHORT_ASCII } from './short-ascii';

const QUOTE = 0x22;
const COMMA = 0x2c;
const NEWLINE = 0x0a;

/** One row as its CSV line, `\n` included. */
export function csvLine(cells: Readonly<Cells>): string {
  let line = '';
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i];
    if (i > 0) line += ',';
    if (cell !== null) line += cell.includes('"') ? `"${cell.replace(/"/g, '""')}"` : `"${cell}"`;
  }
  return line + '\n';
}

/** Bytes that are not Athena's CSV; the message says where and what. */
export class CsvFormatError extends Error {
  override name = 'CsvFormatError';
}

/**
 * Where a scan stopped: `end` is the offset after the last complete row read (a row cut off by the end of
 * the bytes is left for the next call, which starts there with more bytes), `rows` how many rows it read.
 */
export interface ScanStop {
  end: number;
  rows: number;
}

/**
 * Reads up to `maxRows` complete rows of `width` fields from `bytes[start, end)`, appending each row's cells
 * to `out` (or only counting them when `out` is null: finding row boundaries without making strings).
 * `final` says no bytes follow `end`, so a row cut off there is an error rather than one to continue.
 */
export function scanCsvRows(
  bytes: Buffer,
  start: number,
  end: number,
  width: number,
  out: Cells[] | null,
  maxRows = Infinity,
  final = false,
): ScanStop {
  if (width < 1) throw new CsvFormatError(`a row needs at least one field, not ${width}`);
  let p = start;
  let rows = 0;
  while (rows < maxRows && p < end) {
    const cells: Cells | null = out === null ? null : new Array<string | null>(width);
    const next = scanRow(bytes, p, end, width, cells);
    if (next < 0) {
      if (final) throw new CsvFormatError(`the bytes end inside a row at offset ${p}`);
      break;
    }
    if (cells !== null) out!.push(cells);
    rows++;
    p = next;
  }
  return { end: p, rows };
}

/**
 * One row from `p`: fills `cells` (when given) and returns the offset after its line end, or -1 when the
 * bytes end before the row does.
 */
function scanRow(bytes: Buffer, p: number, end: number, width: number, cells: Cells | null): number {
  for (let f = 0; f < width; f++) {
    if (p >= end) return -1;
    if (bytes[p] === QUOTE) {
      // A quoted value: it ends at the first quote not followed by another.
      const from = p + 1;
      let q = from;
      let escaped = false;
      let bits = 0; // every byte OR-ed: below 0x80 means ASCII
      for (;;) {
        if (q >= end) return -1;
        const b = bytes[q]!;
        if (b === QUOTE) {
          // Whether this quote is doubled is known only from the byte after it.
          if (q + 1 >= end) return -1;
          if (bytes[q + 1] !== QUOTE) break;
          escaped = true;
          q += 2;
          continue;
        }
        bits |= b;
        q++;
      }
      if (cells !== null) {
        const n = q - from;
        if (escaped) cells[f] = bytes.toString('utf8', from, q).replace(/""/g, '"');
        else if (bits < 0x80 && n <= SHORT_ASCII) cells[f] = shortAscii(bytes, from, n);
        else cells[f] = bytes.toString('utf8', from, q);
      }
      p = q + 1;
    } else if (cells !== null) {
      cells[f] = null;
    }
    // After a field: `,` before the next one, `\n` after the last.
    if (p >= end) return -1;
    const c = bytes[p]!;
    const expected = f === width - 1 ? NEWLINE : COMMA;
    if (c !== expected) {
      if (c === NEWLINE) throw new CsvFormatError(`a row of ${f + 1} fields where ${width} were expected, at offset ${p}`);
      if (c === COMMA) throw new CsvFormatError(`a row of more than ${width} fields, at offset ${p}`);
      throw new CsvFormatError(`unexpected ${JSON.stringify(String.fromCharCode(c))} at offset ${p} (every value is quoted, NULL an empty field)`);
    }
    p++;
  }
  return p;
}
