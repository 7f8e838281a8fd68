import { computeGaps } from '../../../src/services/gaps/compute';
import { toCountRows, wideToCountRows } from '../../../src/services/gaps/count-rows';
import { decodeFixture, t, wideDataset } from './helpers';

describe('the seed fixture as a wide dataset', () => {
  const dataset = wideDataset();
  const { columns, rows } = decodeFixture();

  it('normalizes wide rows into one count row per (hour, symbol)', () => {
    const counts = wideToCountRows(dataset, rows, columns);
    expect(counts).toHaveLength(60);
    expect(counts.slice(0, 3)).toStrictEqual([
      { at: t('2020-06-18T16:00:00.000Z'), group: 'AMZN', count: 54 },
      { at: t('2020-06-18T16:00:00.000Z'), group: 'GOOG', count: 56 },
      { at: t('2020-06-18T16:00:00.000Z'), group: 'WORK', count: 55 },
    ]);
    expect(toCountRows(dataset, rows, columns)).toStrictEqual(counts);
  });

  it('finds only the 21:00 start of capture, as a partial edge: nothing is a gap', () => {
    const report = computeGaps({
      dataset,
      from: t('2020-06-17T00:00:00Z'),
      to: t('2020-06-18T17:00:00Z'),
      now: t('2020-06-19T00:00:00Z'),
      rows: toCountRows(dataset, rows, columns),
    });
    const edge = (group: string, observed: number) => ({
      kind: 'PARTIAL_EDGE',
      group,
      start: '2020-06-17T21:00:00.000Z',
      end: '2020-06-17T22:00:00.000Z',
      buckets: 1,
      expected: 60,
      observed,
      reason: 'SERIES_START',
    });
    expect(report).toStrictEqual({
      dataset: 'seed_hourly',
      bucket: '1h',
      timezone: 'UTC',
      from: '2020-06-17T00:00:00.000Z',
      to: '2020-06-18T17:00:00.000Z',
      status: 'OK',
      noData: false,
      checkedBuckets: 60,
      ranges: [edge('AMZN', 27), edge('GOOG', 24), edge('WORK', 24)],
      nullTimestampRows: 0,
      nullGroupRows: 0,
      outsideCalendarRows: 0,
      pendingBuckets: 0,
      unlistedGroupRows: 0,
      series: [],
      groups: ['AMZN', 'GOOG', 'WORK'],
    });
  });

  it('judges the first bucket the same when the window starts exactly on it', () => {
    const report = computeGaps({
      dataset,
      from: t('2020-06-17T21:00:00Z'),
      to: t('2020-06-18T17:00:00Z'),
      now: t('2020-06-19T00:00:00Z'),
      rows: toCountRows(dataset, rows, columns),
    });
    expect(report.ranges.map((r) => [r.kind, r.group, r.start])).toStrictEqual([
      ['PARTIAL_EDGE', 'AMZN', '2020-06-17T21:00:00.000Z'],
      ['PARTIAL_EDGE', 'GOOG', '2020-06-17T21:00:00.000Z'],
      ['PARTIAL_EDGE', 'WORK', '2020-06-17T21:00:00.000Z'],
    ]);
    expect(report.status).toBe('OK');
  });

  it('reports the hours before capture began as not expected, and the hour after the last row as missing', () => {
    const report = computeGaps({
      dataset,
      from: t('2020-06-17T20:00:00Z'),
      to: t('2020-06-18T18:00:00Z'),
      now: t('2020-06-19T00:00:00Z'),
      rows: toCountRows(dataset, rows, columns),
      groups: ['GOOG'],
      series: true,
    });
    expect(report.ranges).toStrictEqual([
      { kind: 'PARTIAL_EDGE', group: 'GOOG', start: '2020-06-17T21:00:00.000Z', end: '2020-06-17T22:00:00.000Z', buckets: 1, expected: 60, observed: 24, reason: 'SERIES_START' },
      { kind: 'MISSING', group: 'GOOG', start: '2020-06-18T17:00:00.000Z', end: '2020-06-18T18:00:00.000Z', buckets: 1, expected: 60, observed: 0, absent: false },
    ]);
    expect(report.status).toBe('GAPS');
    expect(report.unlistedGroupRows).toBe(sum(rows, 'AMZN_CNT') + sum(rows, 'WORK_CNT'));
    const buckets = report.series[0]!.buckets;
    expect(buckets[0]).toStrictEqual({ start: '2020-06-17T20:00:00.000Z', count: 0, expected: 60, status: 'NOT_EXPECTED' });
    expect(buckets[1]).toStrictEqual({ start: '2020-06-17T21:00:00.000Z', count: 24, expected: 60, status: 'PARTIAL_EDGE' });
    expect(buckets[2]).toStrictEqual({ start: '2020-06-17T22:00:00.000Z', count: 56, expected: 60, status: 'OK' });
  });
});

function sum(rows: readonly Record<string, unknown>[], column: string): number {
  return rows.reduce((s, r) => s + (r[column] as number), 0);
}
