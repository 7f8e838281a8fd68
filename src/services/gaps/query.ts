/**
 * SQL for a long dataset's completeness check, pure: dataset + window → { sql, parameters }.
 *
 * The same text runs on real Athena (Trino) and on the embedded engine (DuckDB), so it keeps to
 * their common subset: date_trunc('minute'|'hour'|'day'), minute(), integer %, count(*), min(),
 * comparisons and IS NULL. No integer `/` (DuckDB divides as float) and no AT TIME ZONE (the two
 * disagree); zone alignment happens in JS over the sub-buckets counted here.
 *
 * Time bounds travel as Athena ExecutionParameters (`?` placeholders): Athena substitutes each one
 * as SQL literal text, so a parameter is `TIMESTAMP '2020-06-18 00:00:00.000'`, never a spliced value.
 */
import type { Dataset, Partition } from './dataset';
import { zoneFor } from '../time/zone';

/** Output column names, shared with rows.ts which reads them back. */
export const COLUMNS = {
  bucketAt: 'bucket_at',
  subMinute: 'sub_minute',
  group: 'grp',
  count: 'n',
  firstAt: 'first_at',
} as const;

export interface SqlQuery {
  readonly sql: string;
  /** Athena ExecutionParameters, in placeholder order. */
  readonly parameters: readonly string[];
}

/**
 * The sub-bucket the query counts in: `day`/`hour`/`minute` truncation, plus for zones whose offset
 * is not a whole hour (India +05:30, Nepal +05:45) a minute-of-hour step that splits the hour.
 */
export interface SubBucket {
  readonly unit: 'minute' | 'hour' | 'day';
  /** Sub-bucket length in minutes (1, 5, 15, 30, 60 or 1440). */
  readonly stepMinutes: number;
}

export interface CompletenessQuery extends SqlQuery {
  readonly subBucket: SubBucket;
  /**
   * Whether rows with a NULL timestamp are counted: only when a partition bound keeps that count to the
   * window's partitions. Without one, `ts IS NULL` would read the whole table on every check.
   */
  readonly countsNullTimestamps: boolean;
}

/** The earliest instant a SQL timestamp literal can hold. */
const SQL_MIN_MS = Date.parse('0001-01-01T00:00:00Z');

const ISO_LIKE = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2}:\d{2}\.\d{3})Z$/;

/** `TIMESTAMP '2020-06-18 00:00:00.000'`: the literal text Athena and DuckDB both read as UTC. */
export function timestampLiteral(ms: number): string {
  const iso = new Date(ms).toISOString();
  const m = ISO_LIKE.exec(iso);
  if (m === null) throw new RangeError(`timestamp out of SQL range: ${iso}`);
  return `TIMESTAMP '${m[1]} ${m[2]}'`;
}

/** `DATE '2024-03-05'`: the local date (in `timezone`) of an instant. */
function dateLiteral(ms: number, timezone: string): string {
  return `DATE '${new Date(zoneFor(timezone).wallAt(ms)).toISOString().slice(0, 10)}'`;
}

/** A partition value for an instant, formatted in UTC by the partition's format. */
export function partitionValue(partition: Partition, ms: number): string {
  const d = new Date(ms);
  const fields = {
    year: String(d.getUTCFullYear()).padStart(4, '0'),
    month: String(d.getUTCMonth() + 1).padStart(2, '0'),
    day: String(d.getUTCDate()).padStart(2, '0'),
    hour: String(d.getUTCHours()).padStart(2, '0'),
  };
  return partition.parts.map((p) => ('field' in p ? fields[p.field] : p.literal)).join('');
}

/**
 * `dt >= ? AND dt <= ?` over the partitions that hold [from, to): the partition of `from` to the partition of
 * the window's last instant. Formats are big-endian and fixed-width, so string order is time order.
 */
function partitionBound(dataset: Dataset, from: number, to: number): { sql: string; parameters: string[] } | undefined {
  const partition = dataset.partition;
  if (partition === undefined) return undefined;
  // The format allows no quote (letters and % are refused, digits come from the date), so quoting is plain.
  const literal = (ms: number) => (partition.type === 'date' ? `DATE '${partitionValue(partition, ms)}'` : `'${partitionValue(partition, ms)}'`);
  const column = quote(partition.column);
  return { sql: `${column} >= ? AND ${column} <= ?`, parameters: [literal(from), literal(to - 1)] };
}

/** The window's bounds as parameters for the timestamp column: timestamps, or local dates for a date column. */
function timeBounds(dataset: Dataset, from: number, to: number): string[] {
  return dataset.timestampType === 'date'
    ? [dateLiteral(from, dataset.timezone), dateLiteral(to, dataset.timezone)]
    : [timestampLiteral(from), timestampLiteral(to)];
}

/** Identifiers were validated as [A-Za-z_][A-Za-z0-9_]* at config time; quoting keeps reserved words safe. */
function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

function gcd(a: number, b: number): number {
  let x = Math.abs(a);
  let y = Math.abs(b);
  while (y !== 0) [x, y] = [y, x % y];
  return x;
}

/**
 * The coarsest sub-bucket that is exact for the dataset's zone over [from, to): the gcd of the
 * bucket length and every offset in force in the window. UTC 1d → day; whole-hour zones (New York,
 * both sides of DST) → hour; +05:30 → 30 minutes; +05:45 → 15 minutes; 1m buckets → minute.
 */
export function subBucketFor(dataset: Dataset, from: number, to: number): SubBucket {
  const bucketMinutes = dataset.bucketMs / 60_000;
  let step = bucketMinutes;
  for (const offset of zoneFor(dataset.timezone).offsetsIn(from, to)) {
    const minutes = offset / 60_000;
    // A historical offset with seconds (local mean time) only lines up at the minute.
    step = Number.isInteger(minutes) ? gcd(step, minutes) : 1;
  }
  if (step >= 1440) return { unit: 'day', stepMinutes: 1440 };
  if (step >= 60) return { unit: 'hour', stepMinutes: 60 };
  step = gcd(step, 60);
  if (step <= 1) return { unit: 'minute', stepMinutes: 1 };
  return { unit: 'hour', stepMinutes: step };
}

function longSource(dataset: Dataset): { table: string; ts: string; group: string } {
  if (dataset.shape !== 'long' || dataset.table === undefined || dataset.timestampColumn === undefined || dataset.groupColumn === undefined) {
    throw new TypeError(`dataset ${dataset.name} is ${dataset.shape}: it reads named query ${dataset.query ?? '?'}, not a generated query`);
  }
  const table = dataset.database === undefined ? quote(dataset.table) : `${quote(dataset.database)}.${quote(dataset.table)}`;
  return { table, ts: quote(dataset.timestampColumn), group: quote(dataset.groupColumn) };
}

/**
 * Counts per (sub-bucket, group) in [from, to), with the earliest timestamp of each (where a series
 * began mid-bucket). Rows with a NULL group keep grp NULL, so they reach the report instead of
 * vanishing. With a partition column, the window bounds it (Athena then reads only those partitions)
 * and rows with a NULL timestamp in those partitions are counted too (bucket_at NULL); without one they
 * are not counted, as nothing else could bound that scan.
 */
export function completenessQuery(dataset: Dataset, window: { readonly from: number; readonly to: number }): CompletenessQuery {
  const { table, ts, group } = longSource(dataset);
  // A date column holds local dates: its value is the (1d) bucket itself, no truncation needed.
  const subBucket: SubBucket = dataset.timestampType === 'date' ? { unit: 'day', stepMinutes: 1440 } : subBucketFor(dataset, window.from, window.to);
  const trunc = dataset.timestampType === 'date' ? ts : `date_trunc('${subBucket.unit}', ${ts})`;
  const minute = subBucket.unit === 'hour' && subBucket.stepMinutes < 60 ? `minute(${ts}) - minute(${ts}) % ${subBucket.stepMinutes}` : undefined;
  const select = [
    `${trunc} AS ${COLUMNS.bucketAt}`,
    ...(minute === undefined ? [] : [`${minute} AS ${COLUMNS.subMinute}`]),
    `${group} AS ${COLUMNS.group}`,
    `count(*) AS ${COLUMNS.count}`,
    `min(${ts}) AS ${COLUMNS.firstAt}`,
  ];
  // GROUP BY repeats the expressions: Trino rejects grouping on some select aliases.
  const groupBy = [trunc, ...(minute === undefined ? [] : [minute]), group];
  const partition = partitionBound(dataset, window.from, window.to);
  const where = partition === undefined ? `${ts} >= ? AND ${ts} < ?` : `${partition.sql} AND (${ts} IS NULL OR (${ts} >= ? AND ${ts} < ?))`;
  const sql = [`SELECT ${select.join(', ')}`, `FROM ${table}`, `WHERE ${where}`, `GROUP BY ${groupBy.join(', ')}`].join('\n');
  const parameters = [...(partition?.parameters ?? []), ...timeBounds(dataset, window.from, window.to)];
  return { sql, parameters, subBucket, countsNullTimestamps: partition !== undefined };
}

/**
 * Earliest timestamp per group in [before − seriesLookback, before): where each series began, found
 * with a bounded scan (Athena bills bytes scanned, so never the whole table). A group with no row in
 * the lookback is left out; the engine then starts its series at its first row in the window.
 */
export function seriesStartQuery(dataset: Dataset, before: number): SqlQuery {
  const { table, ts, group } = longSource(dataset);
  // A window near the start of the SQL range looks back no further than the range allows.
  const from = Math.max(before - dataset.seriesLookbackMs, SQL_MIN_MS);
  const partition = partitionBound(dataset, from, before);
  const sql = [
    `SELECT ${group} AS ${COLUMNS.group}, min(${ts}) AS ${COLUMNS.firstAt}`,
    `FROM ${table}`,
    `WHERE ${partition === undefined ? '' : `${partition.sql} AND `}${ts} >= ? AND ${ts} < ? AND ${group} IS NOT NULL`,
    `GROUP BY ${group}`,
  ].join('\n');
  return { sql, parameters: [...(partition?.parameters ?? []), ...timeBounds(dataset, from, before)] };
}
