/**
 * Gap detection for 500 groups × 8,760 hourly buckets (a year, 4.4 M count rows) by the gap engine,
 * against the same computation in DuckDB SQL on the same data in one run: an expected bucket grid per
 * group, left-joined to the counts, flagged missing/under-filled, runs merged with window functions
 * (gaps-and-islands). DuckDB is in-memory and multi-threaded; loading its table is not timed, as the
 * engine's input array is not timed either. Both sides must agree on every range.
 *
 * Rows are fed to the engine in shuffled order: Athena returns GROUP BY results in hash order, so the
 * engine's "same group as the previous row" shortcut must not be what makes it fast here.
 */
import { DuckDBInstance, timestampValue, type DuckDBConnection } from '@duckdb/node-api';
import { GapEngine, type GapReport } from '../src/services/gaps/compute';
import { parseDatasets } from '../src/services/gaps/dataset';
import type { CountRow } from '../src/services/gaps/count-rows';
import { mulberry32 } from '../src/services/random';
import { type BenchResult, runStandalone } from './result';

const GROUPS = 500;
const HOURS = 8760;
const HOUR = 3_600_000;
const FROM = Date.UTC(2023, 0, 1);
const TO = FROM + HOURS * HOUR;
const EXPECTED = 60;
const MIN_RATIO = 0.8;
const RUNS = 5;

/**
 * Healthy hours with scattered missing hours, multi-hour outages and under-filled hours. The rows are
 * created in shuffled order (not created, then shuffled) so that, as with rows decoded from Athena
 * pages, array order is allocation order.
 */
function generate(): CountRow[] {
  const random = mulberry32(20230101);
  const names = Array.from({ length: GROUPS }, (_, g) => `SYM${String(g).padStart(3, '0')}`);
  const counts = new Int32Array(GROUPS * HOURS); // 0 = no row
  for (let g = 0; g < GROUPS; g++) {
    let outage = 0;
    for (let h = 0; h < HOURS; h++) {
      const r = random();
      if (outage > 0) {
        outage--;
        continue;
      }
      if (r < 0.002) {
        outage = 2 + Math.floor(random() * 5);
        continue;
      }
      if (r < 0.006) continue;
      counts[g * HOURS + h] = r < 0.012 ? 5 + Math.floor(random() * 40) : 48 + Math.floor(random() * 20);
    }
  }
  const order = new Int32Array(GROUPS * HOURS);
  for (let i = 0; i < order.length; i++) order[i] = i;
  const shuffle = mulberry32(7);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(shuffle() * (i + 1));
    const tmp = order[i]!;
    order[i] = order[j]!;
    order[j] = tmp;
  }
  const rows: CountRow[] = [];
  for (const k of order) {
    const count = counts[k]!;
    if (count === 0) continue;
    const at = FROM + (k % HOURS) * HOUR;
    rows.push({ at, group: names[Math.floor(k / HOURS)]!, count, firstAt: at });
  }
  return rows;
}

async function load(connection: DuckDBConnection, rows: readonly CountRow[]): Promise<void> {
  await connection.run('CREATE TABLE counts (bucket_at TIMESTAMP, grp VARCHAR, n BIGINT)');
  const appender = await connection.createAppender('counts');
  for (const row of rows) {
    appender.appendTimestamp(timestampValue(BigInt(row.at!) * 1000n));
    appender.appendVarchar(row.group!);
    appender.appendBigInt(BigInt(row.count));
    appender.endRow();
  }
  appender.flushSync();
  appender.closeSync();
}

/** The same semantics in SQL: grid × groups, left join, classify, islands by row-number difference. */
const DUCKDB_SQL = `
WITH grid AS (
  SELECT g.grp, b.range AS bucket_at
  FROM (SELECT DISTINCT grp FROM counts) g
  CROSS JOIN range(TIMESTAMP '2023-01-01 00:00:00', TIMESTAMP '2024-01-01 00:00:00', INTERVAL 1 HOUR) b
),
agg AS (SELECT grp, bucket_at, sum(n) AS n FROM counts GROUP BY grp, bucket_at),
judged AS (
  SELECT grid.grp, grid.bucket_at, coalesce(agg.n, 0) AS n,
         CASE WHEN coalesce(agg.n, 0) = 0 THEN 'MISSING'
              WHEN agg.n < ${EXPECTED} * ${MIN_RATIO} THEN 'UNDERFILLED'
              ELSE 'OK' END AS kind
  FROM grid LEFT JOIN agg ON agg.grp = grid.grp AND agg.bucket_at = grid.bucket_at
),
islands AS (
  SELECT *, row_number() OVER (PARTITION BY grp ORDER BY bucket_at)
          - row_number() OVER (PARTITION BY grp, kind ORDER BY bucket_at) AS island
  FROM judged
)
SELECT grp, kind, min(bucket_at) AS start_at, count(*) AS buckets, sum(n) AS observed
FROM islands WHERE kind <> 'OK'
GROUP BY grp, kind, island
ORDER BY grp, start_at`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function fingerprint(ranges: readonly { group: string; kind: string; start: number; buckets: number; observed: number }[]): string {
  return ranges.map((r) => `${r.group}|${r.kind}|${r.start}|${r.buckets}|${r.observed}`).join('\n');
}

export async function run(): Promise<BenchResult[]> {
  const [dataset] = parseDatasets(
    [{ name: 'bench', table: 'counts', timestampColumn: 'ts', groupColumn: 'grp', bucket: '1h', expectedPerBucket: EXPECTED, minRatio: MIN_RATIO, maxWindow: '366d' }],
    new Set(),
  );
  const rows = generate();
  const input = { dataset: dataset!, from: FROM, to: TO, now: TO + 30 * 86_400_000, rows };

  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    await load(connection, rows);

    // One engine across runs, as the service keeps one: its counts buffer and grid are reused.
    const gapEngine = new GapEngine();
    let report: GapReport | undefined;
    let t0 = performance.now();
    report = gapEngine.compute(input);
    const engineCold = performance.now() - t0;
    const engineTimes: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      t0 = performance.now();
      report = gapEngine.compute(input);
      engineTimes.push(performance.now() - t0);
    }

    type DuckRow = { grp: string; kind: string; start_at: unknown; buckets: unknown; observed: unknown };
    let duckRows: DuckRow[] = [];
    t0 = performance.now();
    duckRows = (await connection.runAndReadAll(DUCKDB_SQL)).getRowObjects() as unknown as DuckRow[];
    const duckCold = performance.now() - t0;
    const duckTimes: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      t0 = performance.now();
      duckRows = (await connection.runAndReadAll(DUCKDB_SQL)).getRowObjects() as unknown as DuckRow[];
      duckTimes.push(performance.now() - t0);
    }

    const ours = fingerprint(report.ranges.map((r) => ({ group: r.group, kind: r.kind, start: Date.parse(r.start), buckets: r.buckets, observed: r.observed })));
    const theirs = fingerprint(
      duckRows.map((r) => ({
        group: r.grp,
        kind: r.kind,
        start: Number((r.start_at as { micros: bigint }).micros / 1000n),
        buckets: Number(r.buckets),
        observed: Number(r.observed),
      })),
    );
    const agree = ours === theirs;
    const engine = median(engineTimes);
    const duck = median(duckTimes);
    const ratio = engine / duck;
    return [
      {
        name: 'gaps: 500 groups × 8,760 hourly buckets vs DuckDB SQL',
        ratio: Math.round(ratio * 1000) / 1000,
        target: '≤ 1 (no slower than DuckDB), both sides agree on every range',
        pass: agree && ratio <= 1,
        detail:
          `${rows.length.toLocaleString('en-US')} count rows (shuffled), ${report.ranges.length} ranges ` +
          `(DuckDB ${duckRows.length}, ${agree ? 'identical' : 'DIFFERENT'}); median of ${RUNS}: gapwatch ${engine.toFixed(1)} ms, ` +
          `DuckDB ${duck.toFixed(1)} ms; first run: gapwatch ${engineCold.toFixed(1)} ms, DuckDB ${duckCold.toFixed(1)} ms`,
      },
    ];
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

if (require.main === module) {
  runStandalone(run);
}
