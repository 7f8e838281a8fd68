/**
 * Athena GetQueryResults rows → typed JSON values, for any query.
 *
 * Athena sends every cell as text (`Datum.VarCharValue`) and a NULL as a Datum with no VarCharValue; a row
 * reaches the decoder as those cells, text or null (`Cells`). The decoder is built once per result from
 * its ColumnInfo: one function per column is picked up front, so decoding a cell is one call, not a switch
 * on the type name. Every value it returns is plain JSON (null, boolean, number, string, array, object),
 * so a GraphQL `JSONObject` can pass it through exactly; the mapping per type is documented in
 * docs/typed-rows.md.
 *
 * One module per role, under decoders/: values.ts (what goes in and out, the invalid marker, decoder
 * kinds), scalars.ts (a decoder per scalar type), nested.ts (the nested-text parser), keys.ts (unique
 * object keys), row-function.ts (a row's decode calls, generated or a loop). This one puts them together
 * per result.
 *
 * Pure: rows in, values out. No I/O, no clock, no state outside a decoder (per-column memos live as long
 * as their decoder). A malformed cell never throws; it becomes an `{ $invalid, reason }` marker and the
 * rest of the row is still decoded.
 */
import type { ColumnInfo } from '@aws-sdk/client-athena';
import { AthenaTypeError, baseName, parseType, type AthenaType } from './types';
import { setKey, uniqueKeys } from './decoders/keys';
import { nestedDecoder, typedNode, untypedNode } from './decoders/nested';
import { rowFunction, type RowFunctionOptions } from './decoders/row-function';
import { scalarDecoder } from './decoders/scalars';
import { DecoderKind, type Cells, type ColumnDecoder, type TypedValue } from './decoders/values';

export { isInvalid, type Cells, type InvalidValue, type TypedValue } from './decoders/values';
export { uniqueKeys } from './decoders/keys';
export type { RowFunctionOptions } from './decoders/row-function';

export interface DecodedColumn {
  index: number;
  /** The column name as Athena reported it (may repeat, may be empty, may look like a number). */
  name: string;
  /** A unique object key for this column (see `uniqueKeys`). */
  key: string;
  /** What ColumnInfo.Type said, lower-case without parameters: "bigint", "timestamp with time zone", "array". */
  type: string;
  precision?: number;
  scale?: number;
  nullable: 'NOT_NULL' | 'NULLABLE' | 'UNKNOWN';
  /** The element-type hint used for a nested column, as given. */
  hint?: string;
}

export interface ResultDecoder {
  readonly columns: readonly DecodedColumn[];
  /** Positional values, one per column; a missing cell counts as NULL. */
  decodeRow(cells: Readonly<Cells>): TypedValue[];
  decodeRows(rows: readonly Readonly<Cells>[]): TypedValue[][];
  /** Values keyed by `DecodedColumn.key`. */
  toObject(values: readonly TypedValue[]): Record<string, TypedValue>;
}

function nullable(v: string | undefined): DecodedColumn['nullable'] {
  return v === 'NOT_NULL' || v === 'NULLABLE' ? v : 'UNKNOWN';
}

function parseColumnType(text: string): AthenaType {
  try {
    return parseType(text);
  } catch {
    // A type name the grammar does not know is still a column; its cells pass through as text.
    return { kind: 'scalar', name: text.trim().toLowerCase(), params: [] };
  }
}

function columnDecoder(t: AthenaType, info: ColumnInfo, hinted: boolean): ColumnDecoder {
  switch (t.kind) {
    case 'scalar': {
      if (t.name === 'array' || t.name === 'map' || t.name === 'row') {
        return { decode: nestedDecoder(untypedNode(t.name)), kind: DecoderKind.nested };
      }
      // ColumnInfo carries decimal precision and scale; a hint's own parameters win.
      const precision = hinted || t.params.length > 0 ? t.params[0] : info.Precision;
      const scale = hinted || t.params.length > 0 ? t.params[1] : info.Scale;
      return scalarDecoder(t.name, precision, scale);
    }
    default:
      return { decode: nestedDecoder(typedNode(t)), kind: DecoderKind.nested };
  }
}

/**
 * Build the decoder for one result. `hints` maps a column (by unique key, else by name) to a full
 * Trino type such as `array(row(a bigint, b varchar))`; a hint must have the column's base type.
 * Throws AthenaTypeError for an unparsable hint, a hint of the wrong kind or one naming no column,
 * because those are the caller's mistakes, not the data's. `options` choose the row function
 * (decoders/row-function.ts); the default is the fastest the runtime allows.
 */
export function createDecoder(
  columns: readonly ColumnInfo[],
  hints?: Readonly<Record<string, string>>,
  options?: RowFunctionOptions,
): ResultDecoder {
  const names = columns.map((c) => c.Name ?? c.Label ?? '');
  const keys = uniqueKeys(names);
  const hintFor = new Map<number, string>();
  const hintTarget = new Map<number, string>();
  if (hints !== undefined) {
    for (const [target, text] of Object.entries(hints)) {
      let i = keys.indexOf(target);
      if (i < 0) i = names.indexOf(target);
      if (i < 0) {
        throw new AthenaTypeError(
          `Type hint for ${JSON.stringify(target)} names no column; columns are ${keys.map((k) => JSON.stringify(k)).join(', ')}`,
          target,
        );
      }
      hintFor.set(i, text);
      hintTarget.set(i, target);
    }
  }

  const decoded: DecodedColumn[] = [];
  const columnDecoders: ColumnDecoder[] = [];
  columns.forEach((info, index) => {
    const declared = parseColumnType(info.Type ?? 'unknown');
    const hint = hintFor.get(index);
    let t = declared;
    if (hint !== undefined) {
      const target = hintTarget.get(index);
      let h: AthenaType;
      try {
        h = parseType(hint);
      } catch (e) {
        throw e instanceof AthenaTypeError ? new AthenaTypeError(e.message, target) : e;
      }
      if (baseName(h) !== baseName(declared)) {
        throw new AthenaTypeError(
          `Type hint ${JSON.stringify(hint)} for column ${JSON.stringify(keys[index])} does not fit its type ${JSON.stringify(baseName(declared))}`,
          target,
        );
      }
      t = h;
    }
    const column: DecodedColumn = {
      index,
      name: names[index]!,
      key: keys[index]!,
      type: baseName(declared),
      nullable: nullable(info.Nullable),
    };
    if (info.Precision !== undefined) column.precision = info.Precision;
    if (info.Scale !== undefined) column.scale = info.Scale;
    if (hint !== undefined) column.hint = hint;
    decoded.push(column);
    columnDecoders.push(columnDecoder(t, info, hint !== undefined));
  });

  const width = columnDecoders.length;
  const decodeRow = rowFunction(columnDecoders, options);

  return {
    columns: decoded,
    decodeRow,
    decodeRows(rows) {
      const out: TypedValue[][] = new Array(rows.length);
      for (let r = 0; r < rows.length; r++) out[r] = decodeRow(rows[r]!);
      return out;
    },
    toObject(values) {
      const obj: Record<string, TypedValue> = {};
      for (let i = 0; i < width; i++) setKey(obj, keys[i]!, values[i] ?? null);
      return obj;
    },
  };
}
