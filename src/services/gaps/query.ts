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
import type { Dataset } from './dataset';
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
 * began mid-bucket). Rows with a NULL timestamp are counted too (bucket_at NULL) and rows with a NULL
 * group keep grp NULL, so both reach the report instead of vanishing. The `IS NULL` branch still lets
 * Parquet row groups be skipped on their min/max and null-count statistics.
 */
export function completenessQuery(dataset: Dataset, window: { readonly from: number; readonly to: number }): CompletenessQuery {
  const { table, ts, group } = longSource(dataset);
  const subBucket = subBucketFor(dataset, window.from, window.to);
  const trunc = `date_trunc('${subBucket.unit}', ${ts})`;
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
  const sql = [
    `SELECT ${select.join(', ')}`,
    `FROM ${table}`,
    `WHERE ${ts} IS NULL OR (${ts} >= ? AND ${ts} < ?)`,
    `GROUP BY ${groupBy.join(', ')}`,
  ].join('\n');
  return { sql, parameters: [timestampLiteral(window.from), timestampLiteral(window.to)], subBucket };
}

/**
 * Earliest timestamp per group in [before − seriesLookback, before): where each series began, found
 * with a bounded scan (Athena bills bytes scanned, so never the whole table). A group with no row in
 * the lookback is left out; the engine then starts its series at its first row in the window.
 */
export function seriesStartQuery(dataset: Dataset, before: number): SqlQuery {
  const { table, ts, group } = longSource(dataset);
  const sql = [
    `SELECT ${group} AS ${COLUMNS.group}, min(${ts}) AS ${COLUMNS.firstAt}`,
    `FROM ${table}`,
    `WHERE ${ts} >= ? AND ${ts} < ? AND ${group} IS NOT NULL`,
    `GROUP BY ${group}`,
  ].join('\n');
  // A window near the start of the SQL range looks back no further than the range allows.
  const from = Math.max(before - dataset.seriesLookbackMs, SQL_MIN_MS);
  return { sql, parameters: [timestampLiteral(from), timestampLiteral(before)] };
}
