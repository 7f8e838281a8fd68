/**
 * A check over GraphQL on the sample data lake: without `series` Athena judges it and sends back a few facts
 * (islands.ts), with `series` the service reads one count row per bucket and group and judges it itself
 * (compute.ts). Same answer either way; what crosses the wire differs.
 */
import { SAMPLE_RANGE } from '../../../src/embedded/athena/sample';
import { startTestApp, type TestApp } from '../../support/app';
import { STOCK_TICKS_YAML } from '../../support/config';

const CONFIG = `${STOCK_TICKS_YAML}  - name: session_ticks
    database: market
    table: ticks
    timestampColumn: capture_datetime
    groupColumn: symbol
    bucket: 15m
    expectedPerBucket: 15
    minRatio: 0.8
    timezone: America/New_York
    calendar: { days: [mon, tue, wed, thu, fri], open: "09:40", close: "16:05", holidays: [2024-03-08] }
`;

const CHECK = (fields: string) => /* GraphQL */ `
  query ($dataset: String!, $from: DateTime!, $to: DateTime!) {
    gaps(dataset: $dataset, from: $from, to: $to) {
      status checkedBuckets pendingBuckets noData nullTimestampRows nullGroupRows outsideCalendarRows unlistedGroupRows
      ranges { group kind start end buckets expected observed absent reason }
      queryExecution { sql rows(first: 1000) { edges { cursor } pageInfo { hasNextPage } } }
      ${fields}
    }
  }
`;

describe('a check judged in Athena, over GraphQL', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ config: CONFIG });
  });
  afterAll(() => t.stop());

  for (const dataset of ['stock_ticks', 'session_ticks']) {
    it(`without series pulls no per-bucket counts and answers what the per-bucket check answers (${dataset})`, async () => {
      const window = { dataset, from: SAMPLE_RANGE.start, to: SAMPLE_RANGE.end };
      const pushed = await t.gql(CHECK(''), window);
      const perBucket = await t.gql(CHECK('series { group buckets { status } }'), window);
      expect(pushed.errors).toBeUndefined();
      expect(perBucket.errors).toBeUndefined();
      const { queryExecution: islands, ...report } = pushed.data.gaps;
      const { queryExecution: counts, series, ...reference } = perBucket.data.gaps;
      expect(report).toStrictEqual(reference);
      expect(report.ranges.length).toBeGreaterThan(3);

      // The per-bucket check read a count row per bucket and group; the other, rows that grow with the gaps.
      const buckets = series.reduce((sum: number, s: { buckets: unknown[] }) => sum + s.buckets.length, 0);
      expect(counts.sql).not.toContain('row_number()');
      expect(counts.rows.edges.length).toBeGreaterThan(0.9 * Math.min(1000, buckets));
      expect(islands.sql).toContain('row_number() OVER (PARTITION BY grp, kind ORDER BY idx)');
      expect(islands.rows.pageInfo.hasNextPage).toBe(false);
      // A row per group, its islands (at most one more than its gaps), its buckets under threshold, one of NULLs.
      const low = report.ranges.filter((r: { kind: string }) => r.kind !== 'MISSING').reduce((sum: number, r: { buckets: number }) => sum + r.buckets, 0);
      expect(islands.rows.edges.length).toBeLessThanOrEqual(3 + (3 + report.ranges.length) + low + 1);
    });
  }
});
