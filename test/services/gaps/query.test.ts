import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AthenaClient } from '@aws-sdk/client-athena';
import { startEmbedded, type EmbeddedEndpoint } from '../../../src/embedded/server';
import { computeGaps } from '../../../src/services/gaps/compute';
import type { SqlQuery } from '../../../src/services/gaps/query';
import { completenessQuery, partitionValue, seriesStartQuery, subBucketFor, timestampLiteral } from '../../../src/services/gaps/query';
import { parsePartitionFormat } from '../../../src/services/gaps/dataset';
import { toCountRows, toSeriesStarts } from '../../../src/services/gaps/count-rows';
import { SAMPLE_DEFECTS, SAMPLE_RANGE, SAMPLE_SYMBOLS } from '../../../src/embedded/athena/sample';
import { athenaClient, longDataset, runQuery, t, wideDataset } from './helpers';

describe('completenessQuery text', () => {
  it('binds the bounds as timestamp literals, quotes identifiers and groups by expressions; without a partition column, reads only the window', () => {
    const q = completenessQuery(longDataset(), { from: t('2024-01-02T10:00:00Z'), to: t('2024-01-02T14:00:00Z') });
    expect(q).toStrictEqual({
      sql: [
        `SELECT date_trunc('hour', "capture_datetime") AS bucket_at, "symbol" AS grp, count(*) AS n, min("capture_datetime") AS first_at`,
        `FROM "market"."ticks"`,
        // No unbounded `IS NULL` branch: it would read the whole table on every check.
        `WHERE "capture_datetime" >= ? AND "capture_datetime" < ?`,
        `GROUP BY date_trunc('hour', "capture_datetime"), "symbol"`,
      ].join('\n'),
      parameters: [`TIMESTAMP '2024-01-02 10:00:00.000'`, `TIMESTAMP '2024-01-02 14:00:00.000'`],
      subBucket: { unit: 'hour', stepMinutes: 60 },
      countsNullTimestamps: false,
    });
  });

  it('bounds the partition column by the window, as parameters, and counts NULL timestamps only inside it', () => {
    const dataset = longDataset({ partition: { column: 'dt', format: 'yyyy-MM-dd' } });
    const q = completenessQuery(dataset, { from: t('2024-01-02T22:00:00Z'), to: t('2024-01-04T00:00:00Z') });
    expect(q.sql.split('\n')[2]).toBe(`WHERE "dt" >= ? AND "dt" <= ? AND ("capture_datetime" IS NULL OR ("capture_datetime" >= ? AND "capture_datetime" < ?))`);
    // The window ends at midnight exclusive: its last partition is the 3rd.
    expect(q.parameters).toStrictEqual([`'2024-01-02'`, `'2024-01-03'`, `TIMESTAMP '2024-01-02 22:00:00.000'`, `TIMESTAMP '2024-01-04 00:00:00.000'`]);
    expect(q.countsNullTimestamps).toBe(true);
    const lookup = seriesStartQuery({ ...dataset, seriesLookbackMs: 2 * 86_400_000 }, t('2024-01-03T00:00:00Z'));
    expect(lookup.sql).toContain(`WHERE "dt" >= ? AND "dt" <= ? AND "capture_datetime" >= ?`);
    expect(lookup.parameters.slice(0, 2)).toStrictEqual([`'2024-01-01'`, `'2024-01-02'`]);
    const typed = completenessQuery(longDataset({ partition: { column: 'dt', type: 'date' } }), { from: t('2024-01-02T00:00:00Z'), to: t('2024-01-03T00:00:00Z') });
    expect(typed.parameters.slice(0, 2)).toStrictEqual([`DATE '2024-01-02'`, `DATE '2024-01-02'`]);
  });

  it('formats partition values Java-style or date_format-style, big-endian only', () => {
    const at = t('2024-03-05T07:00:00Z');
    const value = (format: string) => {
      const parts = parsePartitionFormat(format);
      if (typeof parts === 'string') return parts;
      return partitionValue({ column: 'dt', format, parts, type: 'string' }, at);
    };
    expect(['yyyy-MM-dd', '%Y/%m/%d', 'yyyyMMdd', 'yyyy-MM-dd-HH', '%Y-%m', 'yyyy'].map(value)).toStrictEqual(['2024-03-05', '2024/03/05', '20240305', '2024-03-05-07', '2024-03', '2024']);
    expect(value('dd-MM-yyyy')).toContain('from the year down');
    expect(value('yyyy-dd')).toContain('from the year down');
    expect(value("yyyy-MM-dd'T'")).toContain('unsupported');
  });

  it('bounds a date column by local dates and reads its values as the days they name', () => {
    const dataset = longDataset({ bucket: '1d', timestampType: 'date', timezone: 'America/New_York' });
    const q = completenessQuery(dataset, { from: t('2024-01-02T05:00:00Z'), to: t('2024-01-04T05:00:00Z') });
    expect(q.sql.split('\n')[0]).toBe(`SELECT "capture_datetime" AS bucket_at, "symbol" AS grp, count(*) AS n, min("capture_datetime") AS first_at`);
    expect(q.parameters).toStrictEqual([`DATE '2024-01-02'`, `DATE '2024-01-04'`]);
    // As real Athena returns date_trunc('day', date) and min(date): dates, read as local midnights.
    expect(toCountRows(dataset, [{ bucket_at: '2024-01-02', grp: 'A', n: 3, first_at: '2024-01-02' }])).toStrictEqual([
      { at: t('2024-01-02T05:00:00Z'), group: 'A', count: 3, firstAt: t('2024-01-02T05:00:00Z') },
    ]);
    // A timestamp with time zone, as the decoder gives it: its instant.
    expect(toCountRows(longDataset(), [{ bucket_at: '2024-01-02T05:00:00.000-05:00[America/New_York]', grp: 'A', n: 1, first_at: '2024-01-02T05:30:00.000-05:00[America/New_York]' }])).toStrictEqual([
      { at: t('2024-01-02T10:00:00Z'), group: 'A', count: 1, firstAt: t('2024-01-02T10:30:00Z') },
    ]);
  });

  it('splits the hour by minute for zones with :30 and :45 offsets', () => {
    const q = completenessQuery(longDataset({ timezone: 'Asia/Kolkata' }), { from: t('2024-01-02T04:30:00Z'), to: t('2024-01-02T06:30:00Z') });
    expect(q.sql.split('\n')[0]).toBe(
      `SELECT date_trunc('hour', "capture_datetime") AS bucket_at, minute("capture_datetime") - minute("capture_datetime") % 30 AS sub_minute, "symbol" AS grp, count(*) AS n, min("capture_datetime") AS first_at`,
    );
    expect(q.sql).toContain(`GROUP BY date_trunc('hour', "capture_datetime"), minute("capture_datetime") - minute("capture_datetime") % 30, "symbol"`);
  });

  it('picks the coarsest sub-bucket exact for the zone over the window', () => {
    const jan = { from: t('2024-01-01T00:00:00Z'), to: t('2024-12-31T00:00:00Z') };
    const sub = (o: Record<string, unknown>) => subBucketFor(longDataset(o), jan.from, jan.to);
    expect([
      sub({ bucket: '1d' }),
      sub({ bucket: '1d', timezone: 'America/New_York' }),
      sub({ bucket: '1h', timezone: 'Asia/Kolkata' }),
      sub({ bucket: '1d', timezone: 'Asia/Kathmandu' }),
      sub({ bucket: '15m', timezone: 'Asia/Kathmandu' }),
      sub({ bucket: '5m' }),
      sub({ bucket: '1m', timezone: 'Asia/Kolkata' }),
    ]).toStrictEqual([
      { unit: 'day', stepMinutes: 1440 },
      { unit: 'hour', stepMinutes: 60 },
      { unit: 'hour', stepMinutes: 30 },
      { unit: 'hour', stepMinutes: 15 },
      { unit: 'hour', stepMinutes: 15 },
      { unit: 'hour', stepMinutes: 5 },
      { unit: 'minute', stepMinutes: 1 },
    ]);
  });

  it('looks up series starts over a bounded lookback only', () => {
    expect(seriesStartQuery(longDataset({ seriesLookback: '7d' }), t('2024-01-08T00:00:00Z'))).toStrictEqual({
      sql: [
        `SELECT "symbol" AS grp, min("capture_datetime") AS first_at`,
        `FROM "market"."ticks"`,
        `WHERE "capture_datetime" >= ? AND "capture_datetime" < ? AND "symbol" IS NOT NULL`,
        `GROUP BY "symbol"`,
      ].join('\n'),
      parameters: [`TIMESTAMP '2024-01-01 00:00:00.000'`, `TIMESTAMP '2024-01-08 00:00:00.000'`],
    });
  });

  it('is not generated for a wide dataset, which reads its named query', () => {
    expect(() => completenessQuery(wideDataset(), { from: 0, to: 3_600_000 })).toThrow('dataset seed_hourly is wide: it reads named query hourly_counts, not a generated query');
    expect(timestampLiteral(t('2020-06-18T00:00:00Z'))).toBe(`TIMESTAMP '2020-06-18 00:00:00.000'`);
  });
});

describe('the generated SQL on the embedded engine (DuckDB behind the Athena protocol)', () => {
  let dir: string;
  let endpoint: EmbeddedEndpoint;
  let athena: AthenaClient;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gapwatch-gaps-'));
    const lines = ['capture_datetime,symbol'];
    const tick = (iso: string, symbol: string) => lines.push(`${iso},${symbol}`);
    const minutes = (symbol: string, fromIso: string, count: number) => {
      for (let i = 0; i < count; i++) tick(new Date(t(fromIso) + i * 60_000).toISOString().replace('T', ' ').replace('Z', ''), symbol);
    };
    tick('2024-01-02 09:59:59.999', 'AMZN'); // before the window: in the lookback
    minutes('AMZN', '2024-01-02T10:00:00Z', 240); // the first one at exactly 10:00:00.000
    tick('2024-01-02 14:00:00.000', 'AMZN'); // the window's exclusive end
    minutes('GOOG', '2024-01-02T10:00:00Z', 60); // 11:00 lost
    minutes('GOOG', '2024-01-02T12:00:00Z', 120);
    minutes('WORK', '2024-01-02T10:20:00Z', 130); // began 10:20; 12:00 only half
    minutes('WORK', '2024-01-02T13:00:00Z', 60);
    lines.push(',AMZN', ',AMZN', '2024-01-02 10:05:00.000,');
    writeFileSync(join(dir, 'ticks.csv'), `${lines.join('\n')}\n`);

    // The same kind of ticks in a hive-partitioned folder, one dt=YYYY-MM-DD folder per UTC day, as
    // Firehose writes them: hourly ticks for AMZN and GOOG over four days, GOOG's 2024-01-02 05:00 lost,
    // a NULL-timestamp row in the 2nd's partition and one in the 4th's.
    for (const day of ['2024-01-01', '2024-01-02', '2024-01-03', '2024-01-04']) {
      const rows = ['capture_datetime,symbol'];
      for (const symbol of ['AMZN', 'GOOG']) {
        for (let h = 0; h < 24; h++) {
          if (symbol === 'GOOG' && day === '2024-01-02' && h === 5) continue;
          for (let m = 0; m < 60; m += 30) rows.push(`${day} ${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}:00.000,${symbol}`);
        }
      }
      if (day === '2024-01-02' || day === '2024-01-04') rows.push(',AMZN');
      mkdirSync(join(dir, 'lake', `dt=${day}`), { recursive: true });
      writeFileSync(join(dir, 'lake', `dt=${day}`, 'part-0.csv'), `${rows.join('\n')}\n`);
    }

    // A date column and a timestamp with time zone column: one row per listed day at 10:00, 11:00, 12:00 UTC (none on the 3rd).
    const typed = ['symbol,d,tz'];
    for (const day of ['2024-01-01', '2024-01-02', '2024-01-04', '2024-01-05']) {
      for (const h of ['10', '11', '12']) typed.push(`A,${day},${day} ${h}:00:00+00`);
    }
    writeFileSync(join(dir, 'typed.csv'), `${typed.join('\n')}\n`);

    endpoint = await startEmbedded({
      port: 0,
      dataDir: join(dir, 'data'),
      tables: [
        { database: 'gaps_test', name: 'ticks', location: join(dir, 'ticks.csv'), format: 'csv' },
        { database: 'gaps_test', name: 'lake', location: join(dir, 'lake'), format: 'csv' },
        { database: 'gaps_test', name: 'typed', location: join(dir, 'typed.csv'), format: 'csv' },
      ],
    });
    athena = athenaClient(endpoint.url);
  });

  afterAll(async () => {
    athena?.destroy();
    await endpoint?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const run = (q: SqlQuery) => runQuery(athena, q);

  it('counts per hour and group, keeps NULLs, and finds the series starts within the lookback', async () => {
    const dataset = longDataset({ database: 'gaps_test' });
    const window = { from: t('2024-01-02T10:00:00Z'), to: t('2024-01-02T14:00:00Z') };
    const rows = toCountRows(dataset, await run(completenessQuery(dataset, window)));
    const seriesStarts = toSeriesStarts(await run(seriesStartQuery(dataset, window.from)));
    expect(seriesStarts).toStrictEqual(new Map([['AMZN', t('2024-01-02T09:59:59.999Z')]]));
    expect(computeGaps({ dataset, ...window, now: t('2024-01-03T00:00:00Z'), rows, seriesStarts })).toStrictEqual({
      dataset: 'stock_ticks',
      bucket: '1h',
      timezone: 'UTC',
      from: '2024-01-02T10:00:00.000Z',
      to: '2024-01-02T14:00:00.000Z',
      status: 'GAPS',
      noData: false,
      checkedBuckets: 12,
      ranges: [
        { kind: 'MISSING', group: 'GOOG', start: '2024-01-02T11:00:00.000Z', end: '2024-01-02T12:00:00.000Z', buckets: 1, expected: 60, observed: 0, absent: false },
        { kind: 'PARTIAL_EDGE', group: 'WORK', start: '2024-01-02T10:00:00.000Z', end: '2024-01-02T11:00:00.000Z', buckets: 1, expected: 60, observed: 40, reason: 'SERIES_START' },
        { kind: 'UNDERFILLED', group: 'WORK', start: '2024-01-02T12:00:00.000Z', end: '2024-01-02T13:00:00.000Z', buckets: 1, expected: 60, observed: 30 },
      ],
      // The two NULL-timestamp rows are not read: the table names no partition column to bound that count.
      nullTimestampRows: 0,
      nullGroupRows: 1,
      outsideCalendarRows: 0,
      pendingBuckets: 0,
      unlistedGroupRows: 0,
      series: [],
      groups: ['AMZN', 'GOOG', 'WORK'],
    });
  });

  it('reads only the window\'s partitions of a hive-partitioned table, with the same result as without the bound', async () => {
    const plain = longDataset({ database: 'gaps_test', table: 'lake', expectedPerBucket: 2, minRatio: 1 });
    const pruned = longDataset({ database: 'gaps_test', table: 'lake', expectedPerBucket: 2, minRatio: 1, partition: { column: 'dt', format: 'yyyy-MM-dd' } });
    const window = { from: t('2024-01-02T00:00:00Z'), to: t('2024-01-03T00:00:00Z') };
    const now = t('2024-02-01T00:00:00Z');
    const query = completenessQuery(pruned, window);
    expect(query.sql).toContain(`"dt" >= ? AND "dt" <= ?`);
    expect(query.parameters.slice(0, 2)).toStrictEqual([`'2024-01-02'`, `'2024-01-02'`]);
    const report = (dataset: typeof plain, q: SqlQuery) => run(q).then((rows) => computeGaps({ dataset, ...window, now, rows: toCountRows(dataset, rows) }));
    const [withBound, without] = await Promise.all([report(pruned, query), report(plain, completenessQuery(plain, window))]);
    expect(withBound.ranges).toStrictEqual([
      { kind: 'MISSING', group: 'GOOG', start: '2024-01-02T05:00:00.000Z', end: '2024-01-02T06:00:00.000Z', buckets: 1, expected: 2, observed: 0, absent: false },
    ]);
    expect({ ...withBound, nullTimestampRows: 0 }).toStrictEqual(without);
    // NULL timestamps are counted inside the window's partitions only (the 2nd's, not the 4th's).
    expect(withBound.nullTimestampRows).toBe(1);
  });

  it('checks a date column (1d, in the dataset zone) and a timestamp with time zone column', async () => {
    const daily = longDataset({ database: 'gaps_test', table: 'typed', timestampColumn: 'd', bucket: '1d', timestampType: 'date', timezone: 'America/New_York', expectedPerBucket: 3, minRatio: 1 });
    const days = { from: t('2024-01-01T05:00:00Z'), to: t('2024-01-06T05:00:00Z') };
    const d = computeGaps({ dataset: daily, ...days, now: t('2024-02-01T00:00:00Z'), rows: toCountRows(daily, await run(completenessQuery(daily, days))) });
    expect([d.status, d.checkedBuckets, d.ranges]).toStrictEqual([
      'GAPS',
      5,
      [{ kind: 'MISSING', group: 'A', start: '2024-01-03T05:00:00.000Z', end: '2024-01-04T05:00:00.000Z', buckets: 1, expected: 3, observed: 0, absent: false }],
    ]);

    const zoned = longDataset({ database: 'gaps_test', table: 'typed', timestampColumn: 'tz', timestampType: 'timestamp with time zone', expectedPerBucket: 1, minRatio: 1 });
    const hours = { from: t('2024-01-02T10:00:00Z'), to: t('2024-01-03T13:00:00Z') };
    const starts = toSeriesStarts(await run(seriesStartQuery(zoned, hours.from)), zoned.timezone);
    expect(starts).toStrictEqual(new Map([['A', t('2024-01-01T10:00:00Z')]]));
    const z = computeGaps({ dataset: zoned, ...hours, now: t('2024-02-01T00:00:00Z'), rows: toCountRows(zoned, await run(completenessQuery(zoned, hours))), seriesStarts: starts });
    expect(z.ranges.map((r) => [r.kind, r.start, r.end])).toStrictEqual([['MISSING', '2024-01-02T13:00:00.000Z', '2024-01-03T13:00:00.000Z']]);
  });

  it('counts half-hour sub-buckets for a +05:30 zone so local hours come out exact', async () => {
    const dataset = longDataset({ database: 'gaps_test', timezone: 'Asia/Kolkata', groups: ['AMZN'] });
    const window = { from: t('2024-01-02T09:30:00Z'), to: t('2024-01-02T14:30:00Z') }; // 15:00–20:00 IST
    const rows = toCountRows(dataset, await run(completenessQuery(dataset, window)));
    const r = computeGaps({ dataset, ...window, now: t('2024-01-03T00:00:00Z'), rows, series: true });
    expect(r.series[0]!.buckets.map((b) => [b.start, b.count])).toStrictEqual([
      ['2024-01-02T09:30:00.000Z', 31],
      ['2024-01-02T10:30:00.000Z', 60],
      ['2024-01-02T11:30:00.000Z', 60],
      ['2024-01-02T12:30:00.000Z', 60],
      ['2024-01-02T13:30:00.000Z', 31],
    ]);
  });

  it('finds exactly the defects planted in the built-in sample table market.ticks', async () => {
    const dataset = longDataset({ groups: [...SAMPLE_SYMBOLS], maxWindow: '10d' });
    const window = { from: t(SAMPLE_RANGE.start), to: t(SAMPLE_RANGE.end) };
    const rows = toCountRows(dataset, await run(completenessQuery(dataset, window)));
    const seriesStarts = toSeriesStarts(await run(seriesStartQuery(dataset, window.from)));
    const r = computeGaps({ dataset, ...window, now: t('2024-04-01T00:00:00Z'), rows, seriesStarts });
    const planted = SAMPLE_DEFECTS.map((d) => {
      switch (d.kind) {
        case 'ABSENT_DAY':
          return [d.symbol, 'MISSING', d.start, d.end];
        case 'STARTS_MID_HOUR':
          return [d.symbol, 'PARTIAL_EDGE', d.start, '2024-03-04T01:00:00.000Z'];
        default:
          return [d.symbol, d.kind, d.start, d.end];
      }
    }).sort((a, b) => (`${a[0]} ${a[2]}` < `${b[0]} ${b[2]}` ? -1 : 1));
    expect(r.ranges.map((x) => [x.group, x.kind, x.start, x.end])).toStrictEqual(planted);
    expect([r.status, r.checkedBuckets, r.nullTimestampRows, r.nullGroupRows]).toStrictEqual(['GAPS', 3 * 240, 0, 0]);
  });
});
