import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FileCheckStore, HISTORY_PER_DATASET } from '../../../src/services/gaps/check-store';
import type { GapCheck } from '../../../src/services/gaps/gaps.service';
import { createLogger } from '../../../src/logger';
import { startTestApp } from '../../support/app';
import { STOCK_TICKS_YAML } from '../../support/config';

const logger = createLogger('silent');

function check(dataset: string, i: number): GapCheck {
  return {
    id: `c${i}`,
    dataset,
    bucket: '1h',
    timezone: 'UTC',
    from: '2024-03-04T00:00:00.000Z',
    to: '2024-03-05T00:00:00.000Z',
    status: 'GAPS',
    noData: false,
    allGroups: true,
    checkedBuckets: 24,
    pendingBuckets: 0,
    ranges: [{ group: 'AMZN', kind: 'MISSING', start: '2024-03-04T13:00:00.000Z', end: '2024-03-04T14:00:00.000Z', buckets: 1, expected: 60, observed: 0, absent: false }],
    nullTimestampRows: 0,
    nullGroupRows: 0,
    outsideCalendarRows: 0,
    unlistedGroupRows: 0,
    series: [],
    groups: ['AMZN', 'GOOG'],
    checkedAt: new Date(Date.UTC(2024, 2, 5, 0, i)),
    trigger: 'API',
    queryExecutionId: `q${i}`,
    dataScannedBytes: 10,
    durationMs: 3,
  };
}

describe('FileCheckStore', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'gapwatch-store-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps checks, ready signals and series starts across a new instance, bounded per dataset', async () => {
    const first = new FileCheckStore(dir, logger);
    for (let i = 0; i < HISTORY_PER_DATASET + 5; i++) await first.addCheck(check('a/b: any name', i));
    await first.addReadySignal({ dataset: 'a/b: any name', from: 'f', to: 't', at: new Date(5), source: { kind: 'PIPELINE', runId: 'r1' } });
    await first.setSeriesStarts('a/b: any name', { starts: new Map([['AMZN', 7]]), coversFrom: 9 });
    await first.flush();

    const second = new FileCheckStore(dir, logger);
    const kept = await second.checks('a/b: any name', 1000);
    expect(kept).toHaveLength(HISTORY_PER_DATASET);
    expect(kept[0]).toStrictEqual(check('a/b: any name', HISTORY_PER_DATASET + 4));
    expect(kept.at(-1)!.id).toBe('c5');
    expect(await second.check('a/b: any name', 'c50')).toStrictEqual(check('a/b: any name', 50));
    expect(await second.lastReadySignal('a/b: any name')).toStrictEqual({ dataset: 'a/b: any name', from: 'f', to: 't', at: new Date(5), source: { kind: 'PIPELINE', runId: 'r1' } });
    expect(await second.seriesStarts('a/b: any name')).toStrictEqual({ starts: new Map([['AMZN', 7]]), coversFrom: 9 });
    expect(await second.checks('other', 10)).toStrictEqual([]);
    // One file per dataset, whatever characters its name holds.
    expect(readdirSync(dir)).toHaveLength(1);
  });

  it('bounds each dataset\'s file by bytes too, dropping the oldest checks first and keeping the newest', async () => {
    const big = (i: number): GapCheck => ({ ...check('b', i), ranges: Array.from({ length: 50 }, () => ({ ...check('b', i).ranges[0]!, group: `G$&${i}` })) });
    const size = Buffer.byteLength(JSON.stringify({ ...big(1), checkedAt: 'x' }));
    const first = new FileCheckStore(dir, logger, size * 3.5);
    for (let i = 0; i < 6; i++) await first.addCheck(big(i));
    await first.flush();
    expect((await first.checks('b', 100)).map((c) => c.id)).toStrictEqual(['c5', 'c4', 'c3']);
    const [file] = readdirSync(dir);
    expect(statSync(path.join(dir, file!)).size).toBeLessThanOrEqual(size * 3.5);
    const second = new FileCheckStore(dir, logger);
    expect(await second.checks('b', 100)).toStrictEqual([big(5), big(4), big(3)]);
    // The newest check is kept even when it alone is over the bound.
    const tiny = new FileCheckStore(dir, logger, 10);
    await tiny.addCheck(big(9));
    expect((await tiny.checks('b', 100)).map((c) => c.id)).toStrictEqual(['c9']);
  });

  it('starts empty, without failing, on a damaged file', async () => {
    const first = new FileCheckStore(dir, logger);
    await first.addCheck(check('d', 1));
    await first.flush();
    const [file] = readdirSync(dir);
    writeFileSync(path.join(dir, file!), '{"dataset": "d", "checks": [');
    expect(await new FileCheckStore(dir, logger).checks('d', 10)).toStrictEqual([]);
  });
});

describe('check history across a restart of the app', () => {
  // No schedule: only the test's own check is in the history.
  const config = STOCK_TICKS_YAML.replace('    schedule: 1h\n', '');

  it('answers checks and lastReadySignal from before the restart', async () => {
    const first = await startTestApp({ config });
    const dataDir = first.dataDir;
    const history = `{ checks(dataset: "stock_ticks", first: 10) { id status from } dataset(name: "stock_ticks") { lastReadySignal { from to at source { kind checkId } } } }`;
    try {
      const body = await first.gql(`{ gaps(dataset: "stock_ticks", from: "2024-03-10T00:00:00Z", to: "2024-03-10T03:00:00Z") { id status } }`);
      expect(body.data.gaps.status).toBe('OK');
      const before = await first.gql(history);
      expect(before.data.checks).toStrictEqual([{ id: body.data.gaps.id, status: 'OK', from: '2024-03-10T00:00:00.000Z' }]);
      expect(before.data.dataset.lastReadySignal.source).toStrictEqual({ kind: 'CHECK', checkId: body.data.gaps.id });
      await first.app.stop();

      const second = await startTestApp({ config, dataDir });
      try {
        expect(await second.gql(history)).toStrictEqual(before);
      } finally {
        await second.stop();
      }
    } finally {
      await first.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
