import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand, type GetQueryResultsOutput } from '@aws-sdk/client-athena';
import { startEmbedded, type EmbeddedEndpoint } from '../../../src/embedded/server';
import { decodePages } from '../../../src/services/athena/pages';
import { computeGaps } from '../../../src/services/gaps/compute';
import type { SqlQuery } from '../../../src/services/gaps/query';
import { completenessQuery, seriesStartQuery, subBucketFor, timestampLiteral } from '../../../src/services/gaps/query';
import { toCountRows, toSeriesStarts } from '../../../src/services/gaps/count-rows';
import { SAMPLE_DEFECTS, SAMPLE_RANGE, SAMPLE_SYMBOLS } from '../../../src/embedded/athena/sample';
import { longDataset, t, wideDataset } from './helpers';

describe('completenessQuery text', () => {
  it('binds the bounds as timestamp literals, quotes identifiers and groups by expressions', () => {
    const q = completenessQuery(longDataset(), { from: t('2024-01-02T10:00:00Z'), to: t('2024-01-02T14:00:00Z') });
    expect(q).toStrictEqual({
      sql: [
        `SELECT date_trunc('hour', "capture_datetime") AS bucket_at, "symbol" AS grp, count(*) AS n, min("capture_datetime") AS first_at`,
        `FROM "market"."ticks"`,
        `WHERE "capture_datetime" IS NULL OR ("capture_datetime" >= ? AND "capture_datetime" < ?)`,
        `GROUP BY date_trunc('hour', "capture_datetime"), "symbol"`,
      ].join('\n'),
      parameters: [`TIMESTAMP '2024-01-02 10:00:00.000'`, `TIMESTAMP '2024-01-02 14:00:00.000'`],
      subBucket: { unit: 'hour', stepMinutes: 60 },
    });
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
    endpoint = await startEmbedded({ port: 0, dataDir: join(dir, 'data'), tables: [{ database: 'gaps_test', name: 'ticks', location: join(dir, 'ticks.csv'), format: 'csv' }] });
    athena = new AthenaClient({ endpoint: endpoint.url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  });

  afterAll(async () => {
    athena?.destroy();
    await endpoint?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** Start, wait, fetch every page, decode: what the Athena service does, kept minimal here. */
  async function run(q: SqlQuery): Promise<Record<string, unknown>[]> {
    const { QueryExecutionId } = await athena.send(new StartQueryExecutionCommand({ QueryString: q.sql, ExecutionParameters: [...q.parameters] }));
    for (;;) {
      const { QueryExecution } = await athena.send(new GetQueryExecutionCommand({ QueryExecutionId }));
      const state = QueryExecution?.Status?.State;
      if (state === 'SUCCEEDED') break;
      if (state === 'FAILED' || state === 'CANCELLED') throw new Error(`${state}: ${QueryExecution?.Status?.StateChangeReason}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    const pages: GetQueryResultsOutput[] = [];
    let NextToken: string | undefined;
    do {
      const page = await athena.send(new GetQueryResultsCommand({ QueryExecutionId, NextToken }));
      pages.push(page);
      NextToken = page.NextToken;
    } while (NextToken !== undefined);
    const { rows, decoder } = decodePages(pages);
    return rows.map((values) => decoder.toObject(values));
  }

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
      nullTimestampRows: 2,
      nullGroupRows: 1,
      outsideCalendarRows: 0,
      pendingBuckets: 0,
      unlistedGroupRows: 0,
      series: [],
    });
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
