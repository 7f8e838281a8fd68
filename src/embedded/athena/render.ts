/**
 * DuckDB result values → Athena's wire form (ColumnInfo + VarCharValue text).
 *
 * Pure: no I/O, no clock. Athena writes every cell as text the way the Trino engine prints it, so clients
 * (gapwatch's decoder included) parse these strings; getting the text exactly right is the whole point of
 * this module. The mapping table is documented in docs/embedded-athena.md.
 */
import {
  DuckDBArrayValue,
  DuckDBBitValue,
  DuckDBBlobValue,
  DuckDBDateValue,
  DuckDBDecimalValue,
  DuckDBIntervalValue,
  DuckDBListValue,
  DuckDBMapValue,
  DuckDBStructValue,
  DuckDBTimeNSValue,
  DuckDBTimeTZValue,
  DuckDBTimeValue,
  DuckDBTimestampMillisecondsValue,
  DuckDBTimestampNanosecondsValue,
  DuckDBTimestampSecondsValue,
  DuckDBTimestampTZValue,
  DuckDBTimestampValue,
  DuckDBTypeId,
  DuckDBUUIDValue,
  DuckDBUnionValue,
  type DuckDBType,
  type DuckDBValue,
} from '@duckdb/node-api';
import type { TypeHint } from './sql';

/** One entry of `ResultSet.ResultSetMetadata.ColumnInfo`, with every field Athena fills in. */
export interface AthenaColumnInfo {
  CatalogName: 'hive';
  SchemaName: '';
  TableName: '';
  Name: string;
  Label: string;
  Type: string;
  Precision: number;
  Scale: number;
  Nullable: 'UNKNOWN';
  CaseSensitive: boolean;
}

/** Athena type name with the Precision/Scale it reports for it. */
export interface AthenaType {
  Type: string;
  Precision: number;
  Scale: number;
  CaseSensitive: boolean;
}

const VARCHAR_PRECISION = 2147483647;
const VARBINARY_PRECISION = 1073741824;

function t(Type: string, Precision = 0, Scale = 0, CaseSensitive = false): AthenaType {
  return { Type, Precision, Scale, CaseSensitive };
}

/**
 * INTERVAL is one DuckDB type but two Athena types. `intervalKind` is decided by the engine from the
 * first non-null value (months only → year to month), because the DuckDB column type cannot tell.
 */
export type IntervalKind = 'day to second' | 'year to month';

export function athenaType(type: DuckDBType, intervalKind: IntervalKind = 'day to second'): AthenaType {
  switch (type.typeId) {
    case DuckDBTypeId.BOOLEAN:
      return t('boolean');
    case DuckDBTypeId.TINYINT:
      return t('tinyint', 3);
    case DuckDBTypeId.SMALLINT:
    case DuckDBTypeId.UTINYINT:
      return t('smallint', 5);
    case DuckDBTypeId.INTEGER:
    case DuckDBTypeId.USMALLINT:
      return t('integer', 10);
    case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UINTEGER:
    // DuckDB widens sum()/count_if() of integers to HUGEINT where Trino answers bigint; keep Trino's name.
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.INTEGER_LITERAL:
      return t('bigint', 19);
    case DuckDBTypeId.UBIGINT:
      return t('decimal', 20, 0);
    case DuckDBTypeId.UHUGEINT:
    case DuckDBTypeId.BIGNUM:
      return t('decimal', 38, 0);
    case DuckDBTypeId.FLOAT:
      return t('float', 17);
    case DuckDBTypeId.DOUBLE:
      return t('double', 17);
    case DuckDBTypeId.DECIMAL:
      return t('decimal', type.width, type.scale);
    case DuckDBTypeId.VARCHAR:
    case DuckDBTypeId.STRING_LITERAL:
      if (type.alias?.toUpperCase() === 'JSON') return t('json');
      return t('varchar', VARCHAR_PRECISION, 0, true);
    case DuckDBTypeId.ENUM:
    case DuckDBTypeId.UUID:
    case DuckDBTypeId.BIT:
    case DuckDBTypeId.UNION:
    case DuckDBTypeId.VARIANT:
    case DuckDBTypeId.GEOMETRY:
      return t('varchar', VARCHAR_PRECISION, 0, true);
    case DuckDBTypeId.BLOB:
      return t('varbinary', VARBINARY_PRECISION);
    case DuckDBTypeId.DATE:
      return t('date');
    case DuckDBTypeId.TIME:
    case DuckDBTypeId.TIME_NS:
      return t('time', 3);
    case DuckDBTypeId.TIME_TZ:
      return t('time with time zone', 3);
    case DuckDBTypeId.TIMESTAMP:
    case DuckDBTypeId.TIMESTAMP_S:
    case DuckDBTypeId.TIMESTAMP_MS:
    case DuckDBTypeId.TIMESTAMP_NS:
      return t('timestamp', 3);
    case DuckDBTypeId.TIMESTAMP_TZ:
      return t('timestamp with time zone', 3);
    case DuckDBTypeId.INTERVAL:
      return t(`interval ${intervalKind}`);
    case DuckDBTypeId.LIST:
    case DuckDBTypeId.ARRAY:
      return t('array');
    case DuckDBTypeId.MAP:
      return t('map');
    case DuckDBTypeId.STRUCT:
      return t('row');
    case DuckDBTypeId.SQLNULL:
      // Trino's name for the type of an untyped NULL (DuckDB usually resolves it to INTEGER first).
      return t('unknown');
    default:
      return t('varchar', VARCHAR_PRECISION, 0, true);
  }
}

/** Athena's type where the translator knew better than DuckDB's result type (sql/types.ts). */
function hintedType(hint: TypeHint): AthenaType {
  switch (hint.type) {
    case 'unknown':
      return t('unknown');
    case 'char':
      return t('char', hint.precision, 0, true);
    case 'string':
      return t('string', 0, 0, true);
    default:
      return t(hint.type, hint.precision);
  }
}

export function columnInfo(name: string, type: DuckDBType, intervalKind?: IntervalKind, hint?: TypeHint): AthenaColumnInfo {
  const at = hint ? hintedType(hint) : athenaType(type, intervalKind);
  return {
    CatalogName: 'hive',
    SchemaName: '',
    TableName: '',
    Name: name,
    Label: name,
    Type: at.Type,
    Precision: at.Precision,
    Scale: at.Scale,
    Nullable: 'UNKNOWN',
    CaseSensitive: at.CaseSensitive,
  };
}

/** The interval kind a value calls for: only a months part reads as Trino's `interval year to month`. */
export function intervalKindOf(v: DuckDBIntervalValue): IntervalKind {
  return v.months !== 0 && v.days === 0 && v.micros === 0n ? 'year to month' : 'day to second';
}

const pad = (n: number | bigint, width: number): string => String(n).padStart(width, '0');

const MICROS_PER_DAY = 86_400_000_000n;

/** Civil date from days since 1970-01-01 (proleptic Gregorian; H. Hinnant's algorithm). */
export function civilFromDays(days: number): { y: number; m: number; d: number } {
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  return { y: era * 400 + yoe + (m <= 2 ? 1 : 0), m, d };
}

function formatYear(y: number): string {
  return y < 0 ? `-${pad(-y, 4)}` : pad(y, 4);
}

export function formatDate(days: number): string {
  const { y, m, d } = civilFromDays(days);
  return `${formatYear(y)}-${pad(m, 2)}-${pad(d, 2)}`;
}

/**
 * hh:mm:ss.fff from microseconds since midnight, with `digits` fraction digits (truncating): 3 for Athena's
 * timestamp(3), 6 for a timestamp(6).
 */
export function formatTimeOfDay(micros: bigint, digits = 3): string {
  const h = micros / 3_600_000_000n;
  const mi = (micros / 60_000_000n) % 60n;
  const s = (micros / 1_000_000n) % 60n;
  const frac = pad(micros % 1_000_000n, 6).slice(0, digits);
  return `${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}${digits > 0 ? `.${frac}` : ''}`;
}

/** yyyy-MM-dd HH:mm:ss.SSS from microseconds since the epoch (UTC). */
export function formatTimestampMicros(micros: bigint, digits = 3): string {
  let days = micros / MICROS_PER_DAY;
  let rem = micros % MICROS_PER_DAY;
  if (rem < 0n) {
    rem += MICROS_PER_DAY;
    days -= 1n;
  }
  return `${formatDate(Number(days))} ${formatTimeOfDay(rem, digits)}`;
}

function formatTimestampValue(v: { micros: bigint; isFinite: boolean }, digits = 3): string {
  if (!v.isFinite) return v.micros > 0n ? 'infinity' : '-infinity';
  return formatTimestampMicros(v.micros, digits);
}

/** Trino's `interval day to second`: `2 03:04:05.000`, sign in front. Months count as 30 days. */
export function formatDayToSecond(v: DuckDBIntervalValue): string {
  const total = (BigInt(v.months) * 30n + BigInt(v.days)) * MICROS_PER_DAY + v.micros;
  const neg = total < 0n;
  const abs = neg ? -total : total;
  const days = abs / MICROS_PER_DAY;
  return `${neg ? '-' : ''}${days} ${formatTimeOfDay(abs % MICROS_PER_DAY)}`;
}

/** Trino's `interval year to month`: `1-2`, sign in front. */
export function formatYearToMonth(v: DuckDBIntervalValue): string {
  const neg = v.months < 0;
  const abs = Math.abs(v.months);
  return `${neg ? '-' : ''}${Math.floor(abs / 12)}-${abs % 12}`;
}

/**
 * Java's Double.toString / Float.toString, which Trino uses: shortest digits that round-trip, plain
 * notation for 1e-3 ≤ |x| < 1e7 with at least one fraction digit, else `d.dddE±n`.
 */
export function formatJavaFloating(x: number, single = false): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'Infinity';
  if (x === -Infinity) return '-Infinity';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const sign = x < 0 ? '-' : '';
  const abs = Math.abs(x);
  let digitsExp: string;
  if (single) {
    digitsExp = abs.toExponential(8);
    for (let p = 1; p <= 9; p++) {
      const candidate = abs.toExponential(p - 1);
      if (Math.fround(Number(candidate)) === abs) {
        digitsExp = candidate;
        break;
      }
    }
  } else {
    digitsExp = abs.toExponential();
  }
  const [mantissa, expText] = digitsExp.split('e');
  const exp = Number(expText);
  const digits = mantissa.replace('.', '');
  if (abs >= 1e-3 && abs < 1e7) {
    if (exp >= 0) {
      const intPart = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
      const frac = digits.slice(exp + 1) || '0';
      return `${sign}${intPart}.${frac}`;
    }
    return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  }
  return `${sign}${digits[0]}.${digits.slice(1) || '0'}E${exp}`;
}

/**
 * varbinary as Trino's `SqlVarbinary.toHexString()` prints it, and so Athena: two lower-case hex digits a
 * byte, one space between bytes, three between groups of 8, a line break between lines of 32, nothing after
 * the last byte.
 */
function hexBytes(bytes: Uint8Array): string {
  let out = '';
  for (let k = 0; k < bytes.length; k++) {
    if (k > 0) out += k % 32 === 0 ? '\n' : k % 8 === 0 ? '   ' : ' ';
    out += bytes[k]!.toString(16).padStart(2, '0');
  }
  return out;
}

/**
 * Renders one non-null value as Athena prints it. `type` drives what the JS value alone cannot tell
 * (float vs double, json, interval kind); nested values inside array/map/row print null as `null`.
 */
export function renderValue(value: DuckDBValue, type: DuckDBType, intervalKind: IntervalKind = 'day to second', digits = 3): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'string':
      return value;
    case 'bigint':
      return value.toString();
    case 'number':
      if (type.typeId === DuckDBTypeId.FLOAT) return formatJavaFloating(value, true);
      if (type.typeId === DuckDBTypeId.DOUBLE) return formatJavaFloating(value);
      return String(value);
  }
  if (value instanceof DuckDBDecimalValue) return value.toString();
  if (value instanceof DuckDBTimestampValue) return formatTimestampValue(value, digits);
  if (value instanceof DuckDBTimestampTZValue) {
    return value.isFinite ? `${formatTimestampMicros(value.micros, digits)} UTC` : formatTimestampValue(value);
  }
  if (value instanceof DuckDBTimestampSecondsValue) return formatTimestampMicros(value.seconds * 1_000_000n);
  if (value instanceof DuckDBTimestampMillisecondsValue) return formatTimestampMicros(value.millis * 1000n);
  if (value instanceof DuckDBTimestampNanosecondsValue) return formatTimestampMicros(value.nanos / 1000n);
  if (value instanceof DuckDBDateValue) {
    if (value.days === DuckDBDateValue.PosInf.days) return 'infinity';
    if (value.days === DuckDBDateValue.NegInf.days) return '-infinity';
    return formatDate(value.days);
  }
  if (value instanceof DuckDBTimeValue) return formatTimeOfDay(value.micros);
  if (value instanceof DuckDBTimeNSValue) return formatTimeOfDay(value.nanos / 1000n);
  if (value instanceof DuckDBTimeTZValue) {
    const off = value.offset;
    const abs = Math.abs(off);
    return `${formatTimeOfDay(value.micros)}${off < 0 ? '-' : '+'}${pad(Math.floor(abs / 3600), 2)}:${pad(Math.floor((abs % 3600) / 60), 2)}`;
  }
  if (value instanceof DuckDBIntervalValue) {
    return intervalKind === 'year to month' ? formatYearToMonth(value) : formatDayToSecond(value);
  }
  if (value instanceof DuckDBBlobValue) return hexBytes(value.bytes);
  if (value instanceof DuckDBListValue || value instanceof DuckDBArrayValue) {
    const itemType = type.typeId === DuckDBTypeId.LIST || type.typeId === DuckDBTypeId.ARRAY ? type.valueType : type;
    return `[${value.items.map((v) => renderValue(v, itemType)).join(', ')}]`;
  }
  if (value instanceof DuckDBMapValue) {
    const [kt, vt] = type.typeId === DuckDBTypeId.MAP ? [type.keyType, type.valueType] : [type, type];
    return `{${value.entries.map((e) => `${renderValue(e.key, kt)}=${renderValue(e.value, vt)}`).join(', ')}}`;
  }
  if (value instanceof DuckDBStructValue) {
    const parts = Object.entries(value.entries).map(([k, v]) => {
      const et = type.typeId === DuckDBTypeId.STRUCT ? type.typeForEntry(k) : type;
      return `${k}=${renderValue(v, et)}`;
    });
    return `{${parts.join(', ')}}`;
  }
  if (value instanceof DuckDBUnionValue) {
    const mt = type.typeId === DuckDBTypeId.UNION ? type.memberTypeForTag(value.tag) : type;
    return renderValue(value.value, mt);
  }
  if (value instanceof DuckDBUUIDValue || value instanceof DuckDBBitValue) return value.toString();
  return String(value);
}

/** A rendered cell: null is SQL NULL (sent as a Datum without VarCharValue), a string is the text. */
export type Cell = string | null;

export function renderCell(value: DuckDBValue, type: DuckDBType, intervalKind?: IntervalKind, hint?: TypeHint): Cell {
  const digits = hint?.type === 'timestamp' || hint?.type === 'timestamp with time zone' ? hint.precision : 3;
  return value === null ? null : renderValue(value, type, intervalKind, digits);
}
