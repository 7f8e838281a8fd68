/**
 * What the decoder takes and gives: a row's cells (the text Athena sent, or null for NULL) in, plain JSON
 * values out, and the marker a malformed cell becomes. Owned here, by the pure decoder; the wire layer
 * (result-json.ts) produces `Cells` and imports the type from here.
 */

/** One row's cells: each Datum's text, null where it has none (SQL NULL). */
export type Cells = (string | null)[];

export type TypedValue = null | boolean | number | string | TypedValue[] | { [k: string]: TypedValue };

/** A cell Athena sent that does not fit its column type. Plain JSON so it survives serialization. */
export interface InvalidValue {
  $invalid: string;
  reason: string;
  [k: string]: TypedValue;
}

/** One cell's text → its typed value (or an InvalidValue marker); never throws for bad data. */
export type Decode = (raw: string) => TypedValue;

export function invalid(raw: string, reason: string): InvalidValue {
  return { $invalid: raw, reason };
}

/**
 * True for the marker a malformed cell decodes to. Checked by shape (exactly the keys `$invalid` and
 * `reason`, both strings), because markers travel as JSON; a `json` cell holding that very shape is
 * indistinguishable, which docs/typed-rows.md notes.
 */
export function isInvalid(v: TypedValue): boolean {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const keys = Object.keys(v);
  return (
    keys.length === 2 && typeof v['$invalid'] === 'string' && typeof v['reason'] === 'string'
  );
}

/**
 * Which decoder code a column runs. Columns of one kind run closures of the same function literal, so a
 * generated row function (row-function.ts) may be shared by results whose columns have the same kinds and
 * must not be shared otherwise. The set is closed (one entry per decoder literal), so the numbers are
 * fixed for the life of the process without any registry.
 */
export const DecoderKind = {
  text: 0,
  integer: 1,
  bigint: 2,
  float: 3,
  decimal: 4,
  decimalAnyShape: 5,
  boolean: 6,
  json: 7,
  date: 8,
  time: 9,
  timeWithZone: 10,
  timestamp: 11,
  timestampWithZone: 12,
  dayToSecond: 13,
  yearToMonth: 14,
  varbinary: 15,
  nested: 16,
} as const;
export type DecoderKind = (typeof DecoderKind)[keyof typeof DecoderKind];

/** A column's decode function and the kind of code it is. */
export interface ColumnDecoder {
  decode: Decode;
  kind: DecoderKind;
}
