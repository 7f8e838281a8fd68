/**
 * Decoded query rows → normalized count rows, the one input shape of the gap engine.
 *
 * Rows arrive from the generic Athena decoder as objects keyed by column name: timestamps as ISO
 * UTC strings, bigint counts as numbers, NULL as null. Long datasets read the completeness query
 * (columns named in query.ts); wide datasets read a named query with one count column per group.
 */
import type { Dataset } from './dataset';
import { COLUMNS } from './query';
import { zoneFor } from '../time/zone';

export interface CountRow {
  /** Epoch ms of the sub-bucket (or wide bucket) start; null = the timestamp was NULL. */
  readonly at: number | null;
  /** null = the group column was NULL. */
  readonly group: string | null;
  readonly count: number;
  /** Earliest timestamp in the sub-bucket (long only): tells where a series began mid-bucket. */
  readonly firstAt?: number | null;
}

export type DecodedRow = Readonly<Record<string, unknown>>;

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:Z|UTC|\+00:?00)?$/;
/** A `timestamp with time zone` as the decoder gives it: `2024-03-04T05:00:00.000-05:00[America/New_York]`. */
const ZONED = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?)([+-]\d{2}:\d{2})(?::\d{2})?\[[^\]]+\]$/;
/** A `date` as the decoder gives it. */
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * Epoch ms of a UTC timestamp as the decoder gives it ("2020-06-18T16:00:00.000Z"), also accepting
 * Athena's raw text form ("2020-06-18 16:00:00.000"); parsed by hand because Date.parse reads the
 * zone-less form as local time.
 */
export function parseUtcTimestamp(text: string): number | undefined {
  const m = TIMESTAMP.exec(text);
  if (m === null) return undefined;
  const ms = m[7] === undefined ? 0 : Number(m[7].slice(0, 3).padEnd(3, '0'));
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0), ms);
  return Number.isNaN(t) ? undefined : t;
}

/** `2024-03-04T05:00:00.000-05:00[America/New_York]` → its instant (the offset says it; the zone id is for people). */
function parseZonedTimestamp(text: string): number | undefined {
  const m = ZONED.exec(text);
  if (m === null) return undefined;
  const [, local, offset] = m as unknown as [string, string, string];
  const t = Date.parse(`${local.slice(0, 23)}${offset}`);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * A time cell → epoch ms: a timestamp (UTC), a timestamp with time zone (its instant), or a date — a
 * calendar day, read as local midnight in the dataset's zone, the start of that day's bucket.
 */
export function timestampOf(value: unknown, column: string, timezone: string): number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (value instanceof Date && !Number.isNaN(value.getTime())) return value.getTime();
  if (typeof value === 'string') {
    const t = parseUtcTimestamp(value) ?? parseZonedTimestamp(value);
    if (t !== undefined) return t;
    const d = DATE_ONLY.exec(value);
    if (d !== null) {
      const wall = Date.UTC(Number(d[1]), Number(d[2]) - 1, Number(d[3]));
      if (!Number.isNaN(wall)) return zoneFor(timezone).instantOfWall(wall);
    }
  }
  throw new TypeError(`column ${column}: expected a timestamp, timestamp with time zone or date, got ${JSON.stringify(value)}`);
}

export function countOf(value: unknown, column: string): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  if (typeof value === 'bigint' && value >= 0n) return Number(value);
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  throw new TypeError(`column ${column}: expected a non-negative count, got ${JSON.stringify(value)}`);
}

export function groupOf(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' ? value : String(value);
}

/** Rows of the completeness query (query.ts) → count rows; dates are local days in `timezone`. */
export function longToCountRows(rows: readonly DecodedRow[], timezone = 'UTC'): CountRow[] {
  const out: CountRow[] = new Array(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    let at = timestampOf(row[COLUMNS.bucketAt], COLUMNS.bucketAt, timezone);
    const minute = row[COLUMNS.subMinute];
    // Zones with :30/:45 offsets split the hour; the minute column carries the sub-bucket.
    if (at !== null && minute !== undefined && minute !== null) at += countOf(minute, COLUMNS.subMinute) * 60_000;
    out[i] = {
      at,
      group: groupOf(row[COLUMNS.group]),
      count: countOf(row[COLUMNS.count], COLUMNS.count),
      firstAt: timestampOf(row[COLUMNS.firstAt], COLUMNS.firstAt, timezone),
    };
  }
  return out;
}

/** group → column for a wide dataset, given the columns the named query actually returned. */
export function wideGroupColumns(dataset: Dataset, columns: readonly string[]): Map<string, string> {
  const wide = dataset.wide;
  if (wide === undefined) throw new TypeError(`dataset ${dataset.name} is not wide`);
  const map = new Map<string, string>();
  if (typeof wide.groupColumns !== 'string') {
    for (const [group, column] of wide.groupColumns) map.set(group, column);
    return map;
  }
  const [prefix, suffix] = wide.groupColumns.split('{group}') as [string, string];
  for (const column of columns) {
    if (column === wide.timeColumn) continue;
    if (column.length > prefix.length + suffix.length && column.startsWith(prefix) && column.endsWith(suffix)) {
      map.set(column.slice(prefix.length, column.length - suffix.length), column);
    }
  }
  // Configured groups map through the pattern even when the query lacks the column, so a
  // missing column reads as an absent group (a gap), never as "not expected".
  for (const group of dataset.groups ?? []) {
    if (!map.has(group)) map.set(group, `${prefix}${group}${suffix}`);
  }
  return map;
}

/**
 * Rows of a wide named query (one time column, one count column per group) → one count row per
 * (row, group). A NULL count cell means no rows for that group in that bucket (count 0); a NULL time
 * is kept as a NULL-timestamp row so it is reported.
 */
export function wideToCountRows(dataset: Dataset, rows: readonly DecodedRow[], columns?: readonly string[]): CountRow[] {
  const timeColumn = dataset.wide?.timeColumn ?? '';
  const names = columns ?? (rows.length > 0 ? Object.keys(rows[0]!) : []);
  const groups = [...wideGroupColumns(dataset, names)];
  const out: CountRow[] = [];
  for (const row of rows) {
    const at = timestampOf(row[timeColumn], timeColumn, dataset.timezone);
    for (const [group, column] of groups) out.push({ at, group, count: countOf(row[column], column) });
  }
  return out;
}

/** Decoded rows of a dataset's query → count rows, by the dataset's shape. */
export function toCountRows(dataset: Dataset, rows: readonly DecodedRow[], columns?: readonly string[]): CountRow[] {
  return dataset.shape === 'wide' ? wideToCountRows(dataset, rows, columns) : longToCountRows(rows, dataset.timezone);
}

/**
 * Rows of seriesStartQuery → group → earliest timestamp found in the lookback. A group absent from
 * the map had no rows in the lookback: computeGaps then starts its series at its first row in the window.
 */
export function toSeriesStarts(rows: readonly DecodedRow[], timezone = 'UTC'): Map<string, number> {
  const starts = new Map<string, number>();
  for (const row of rows) {
    const group = groupOf(row[COLUMNS.group]);
    const first = timestampOf(row[COLUMNS.firstAt], COLUMNS.firstAt, timezone);
    if (group === null || first === null) continue;
    const known = starts.get(group);
    if (known === undefined || first < known) starts.set(group, first);
  }
  return starts;
}
