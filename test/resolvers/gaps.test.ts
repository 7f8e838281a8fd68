import { SAMPLE_DEFECTS, SAMPLE_RANGE } from '../../src/embedded/athena/sample';
import { trailingWindow } from '../../src/services/gaps/scheduler';
import { startTestApp, type TestApp } from '../support/app';
import { STOCK_TICKS_YAML } from '../support/config';

const CONFIG = `${STOCK_TICKS_YAML}  - name: any_symbol
    database: market
    table: ticks
    timestampColumn: capture_datetime
    groupColumn: symbol
    bucket: 1d
    expectedPerBucket: 1000
  - name: broken
    database: market
    table: no_such_table
    timestampColumn: capture_datetime
    groupColumn: symbol
    groups: [AMZN]
    bucket: 1h
    expectedPerBucket: 60
`;

const GAPS = /* GraphQL */ `
  query ($dataset: String!, $from: DateTime!, $to: DateTime!, $groups: [String!]) {
    gaps(dataset: $dataset, from: $from, to: $to, groups: $groups) {
      status from to checkedBuckets noData queryExecutionId trigger
      ranges { group kind start end buckets expected observed absent reason }
      nullTimestampRows nullGroupRows dataScannedBytes pendingBuckets
    }
  }
`;

/** What the sample's documented defects must look like as gap ranges. */
function expectedRanges() {
  return SAMPLE_DEFECTS.map((d) => {
    const buckets = (Date.parse(d.end) - Date.parse(d.start)) / 3_600_000;
    switch (d.kind) {
      case 'MISSING':
      case 'ABSENT_DAY':
        return { group: d.symbol, kind: 'MISSING', start: d.start, end: d.end, buckets, absent: false };
      case 'UNDERFILLED':
        return { group: d.symbol, kind: 'UNDERFILLED', start: d.start, end: d.end, buckets };
      case 'STARTS_MID_HOUR':
        return { group: d.symbol, kind: 'PARTIAL_EDGE', start: d.start, end: new Date(Date.parse(d.start) + 3_600_000).toISOString(), buckets: 1, reason: 'SERIES_START' };
    }
  }).sort((a, b) => a.group.localeCompare(b.group) || a.start.localeCompare(b.start));
}

describe('gaps over GraphQL on the sample data lake', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ config: CONFIG });
  });
  afterAll(() => t.stop());

  it('finds exactly the documented defects of market.ticks, end to end', async () => {
    const body = await t.gql(GAPS, { dataset: 'stock_ticks', from: SAMPLE_RANGE.start, to: SAMPLE_RANGE.end });
    expect(body.errors).toBeUndefined();
    const report = body.data.gaps;
    expect(report.status).toBe('GAPS');
    expect(report.noData).toBe(false);
    expect(report.from).toBe(SAMPLE_RANGE.start);
    expect(report.to).toBe(SAMPLE_RANGE.end);
    expect(report.trigger).toBe('API');
    const ranges = report.ranges.map(({ group, kind, start, end, buckets, absent, reason }: any) => ({
      group,
      kind,
      start,
      end,
      buckets,
      ...(kind === 'MISSING' ? { absent } : {}),
      ...(kind === 'PARTIAL_EDGE' ? { reason } : {}),
    }));
    expect(ranges).toStrictEqual(expectedRanges());
    // 3 groups × 240 hours (WORK's partial first hour is judged, as PARTIAL_EDGE).
    expect(report.checkedBuckets).toBe(3 * 240);
    expect(report.pendingBuckets).toBe(0);
    // market.ticks names no partition column: NULL timestamps are not counted rather than read table-wide.
    expect(report.nullTimestampRows).toBeNull();

    // The Athena execution behind the report shows its raw typed rows.
    const raw = await t.gql(`query ($id: ID!) { queryExecution(id: $id) { state dataScannedBytes columns { name type } rows(first: 1) { edges { node { values } } } } }`, {
      id: report.queryExecutionId,
    });
    expect(raw.data.queryExecution.state).toBe('SUCCEEDED');
    // The check reports what Athena (here the embedded estimate) said its queries scanned: at least this one's.
    expect(typeof report.dataScannedBytes).toBe('number');
    expect(report.dataScannedBytes).toBeGreaterThanOrEqual(raw.data.queryExecution.dataScannedBytes);
    expect(raw.data.queryExecution.columns.map((c: any) => c.type)).toContain('timestamp');
  });

  it('reports a clean day as OK, and keeps it as the last ready signal', async () => {
    const body = await t.gql(GAPS, { dataset: 'stock_ticks', from: '2024-03-10T00:00:00Z', to: '2024-03-11T00:00:00Z' });
    expect(body.data.gaps).toMatchObject({ status: 'OK', ranges: [], checkedBuckets: 72 });
    const ds = await t.gql(`{ dataset(name: "stock_ticks") { name bucket groups schedule lastCheck { id status allGroups } lastReadySignal { from to source { kind checkId runId } } checks(first: 5) { status } } }`);
    expect(ds.data.dataset).toMatchObject({
      name: 'stock_ticks',
      bucket: '1h',
      groups: ['AMZN', 'GOOG', 'WORK'],
      schedule: '1h',
      lastCheck: { status: 'OK', allGroups: true },
      lastReadySignal: {
        from: '2024-03-10T00:00:00.000Z',
        to: '2024-03-11T00:00:00.000Z',
        source: { kind: 'CHECK', checkId: ds.data.dataset.lastCheck.id, runId: null },
      },
    });
    expect(ds.data.dataset.checks.length).toBeGreaterThanOrEqual(1);
    const history = await t.gql(`{ checks(dataset: "stock_ticks", first: 100) { status from } }`);
    expect(history.data.checks[0]).toStrictEqual({ status: 'OK', from: '2024-03-10T00:00:00.000Z' });
  });

  it('takes only an OK check of every group as a ready signal, and a pipeline run through recordReadySignal', async () => {
    const ready = `{ dataset(name: "stock_ticks") { lastCheck { id status allGroups } lastReadySignal { from to at source { kind checkId runId } } } }`;
    const all = await t.gql(GAPS, { dataset: 'stock_ticks', from: '2024-03-10T00:00:00Z', to: '2024-03-10T06:00:00Z' });
    expect(all.data.gaps.status).toBe('OK');
    const before = (await t.gql(ready)).data.dataset.lastReadySignal;
    expect(before).toMatchObject({ from: '2024-03-10T00:00:00.000Z', to: '2024-03-10T06:00:00.000Z', source: { kind: 'CHECK' } });

    // OK, but over one group only: GOOG may be absent that day, so the data is not known to be ready.
    const one = await t.gql(GAPS, { dataset: 'stock_ticks', from: '2024-03-09T00:00:00Z', to: '2024-03-10T00:00:00Z', groups: ['AMZN'] });
    expect(one.data.gaps.status).toBe('OK');
    const after = (await t.gql(ready)).data.dataset;
    expect(after.lastCheck).toMatchObject({ status: 'OK', allGroups: false });
    expect(after.lastReadySignal).toStrictEqual(before);

    // The pipeline's Initiate step records its own signal, with its run as the source.
    const signal = await t.app.services.gaps.recordReadySignal({
      dataset: 'stock_ticks',
      from: Date.parse('2024-03-11T00:00:00Z'),
      to: Date.parse('2024-03-12T00:00:00Z'),
      source: { runId: 'run-42' },
    });
    expect(signal.source).toStrictEqual({ kind: 'PIPELINE', runId: 'run-42' });
    expect((await t.gql(ready)).data.dataset.lastReadySignal).toMatchObject({
      from: '2024-03-11T00:00:00.000Z',
      to: '2024-03-12T00:00:00.000Z',
      source: { kind: 'PIPELINE', checkId: null, runId: 'run-42' },
    });
    // A check that is not a ready signal on its own cannot be named as one.
    await expect(
      t.app.services.gaps.recordReadySignal({ dataset: 'stock_ticks', from: Date.parse('2024-03-09T00:00:00Z'), to: Date.parse('2024-03-10T00:00:00Z'), source: { checkId: after.lastCheck.id } }),
    ).rejects.toMatchObject({ code: 'BAD_USER_INPUT', message: expect.stringContaining('over some groups only') });
  });

  it('records a failed check with its error, so lastCheck shows the failure', async () => {
    const body = await t.gql(GAPS, { dataset: 'broken', from: '2024-03-10T00:00:00Z', to: '2024-03-10T06:00:00Z' });
    expect(body.errors[0].extensions.code).toBe('QUERY_FAILED');
    const ds = await t.gql(`{ dataset(name: "broken") { lastCheck { status from to allGroups queryExecutionId error { code message } } lastReadySignal { at } } }`);
    expect(ds.data.dataset.lastCheck).toMatchObject({
      status: 'FAILED',
      from: '2024-03-10T00:00:00.000Z',
      to: '2024-03-10T06:00:00.000Z',
      allGroups: true,
      queryExecutionId: expect.any(String),
      error: { code: 'QUERY_FAILED', message: body.errors[0].message },
    });
    expect(ds.data.dataset.lastReadySignal).toBeNull();
  });

  it('marks a listed group with no rows as absent: silence is never a pass', async () => {
    const body = await t.gql(GAPS, { dataset: 'stock_ticks', from: '2024-03-10T00:00:00Z', to: '2024-03-10T06:00:00Z', groups: ['AMZN', 'MSFT'] });
    expect(body.data.gaps.status).toBe('GAPS');
    expect(body.data.gaps.ranges).toStrictEqual([
      { group: 'MSFT', kind: 'MISSING', start: '2024-03-10T00:00:00.000Z', end: '2024-03-10T06:00:00.000Z', buckets: 6, expected: 360, observed: 0, absent: true, reason: null },
    ]);
  });

  it('calls a future window PENDING, never OK, and never a ready signal', async () => {
    const ready = `{ dataset(name: "stock_ticks") { lastReadySignal { from } } }`;
    const before = (await t.gql(ready)).data.dataset.lastReadySignal;
    const body = await t.gql(GAPS, { dataset: 'stock_ticks', from: '2030-01-01T00:00:00Z', to: '2030-01-02T00:00:00Z' });
    expect(body.data.gaps).toMatchObject({ status: 'PENDING', noData: true, checkedBuckets: 0, ranges: [] });
    expect((await t.gql(ready)).data.dataset.lastReadySignal).toStrictEqual(before);
  });

  it('reports a group that went silent as absent, though the dataset lists no groups', async () => {
    // GOOG has no row on 2024-03-09; the series-start lookup knows it began before.
    const body = await t.gql(GAPS, { dataset: 'any_symbol', from: '2024-03-09T00:00:00Z', to: '2024-03-10T00:00:00Z' });
    expect(body.data.gaps.status).toBe('GAPS');
    expect(body.data.gaps.ranges).toStrictEqual([
      { group: 'GOOG', kind: 'MISSING', start: '2024-03-09T00:00:00.000Z', end: '2024-03-10T00:00:00.000Z', buckets: 1, expected: 1000, observed: 0, absent: true, reason: null },
    ]);
  });

  it('refuses instants outside the SQL range as BAD_USER_INPUT naming the argument and the range', async () => {
    for (const [from, to, argument] of [
      ['0000-01-01T00:00:00Z', '0000-01-02T00:00:00Z', 'from'],
      ['9999-12-31T00:00:00Z', '9999-12-31T22:00:00Z', 'from'],
      ['9999-12-29T00:00:00Z', '9999-12-31T22:00:00Z', 'to'],
    ] as const) {
      const body = await t.gql(GAPS, { dataset: 'stock_ticks', from, to });
      expect(body.errors[0]).toMatchObject({
        message: expect.stringMatching(new RegExp(`^${argument}: expected an instant from 0001-01-02T00:00:00.000Z to 9999-12-30T00:00:00.000Z`)),
        extensions: { code: 'BAD_USER_INPUT', argument },
      });
    }
  });

  it('calls an empty window GAPS with noData, never OK', async () => {
    const body = await t.gql(GAPS, { dataset: 'any_symbol', from: '2021-01-01T00:00:00Z', to: '2021-01-03T00:00:00Z' });
    expect(body.data.gaps).toMatchObject({ status: 'GAPS', noData: true });
  });

  it('returns per-group series only when asked for', async () => {
    const body = await t.gql(`{ gaps(dataset: "stock_ticks", from: "2024-03-05T12:00:00Z", to: "2024-03-05T15:00:00Z", groups: ["AMZN"]) {
      series { group buckets { start count expected status } } } }`);
    expect(body.data.gaps.series).toStrictEqual([
      {
        group: 'AMZN',
        buckets: [
          { start: '2024-03-05T12:00:00.000Z', count: expect.any(Number), expected: 60, status: 'OK' },
          { start: '2024-03-05T13:00:00.000Z', count: 0, expected: 60, status: 'MISSING' },
          { start: '2024-03-05T14:00:00.000Z', count: expect.any(Number), expected: 60, status: 'OK' },
        ],
      },
    ]);
  });

  it('rejects bad input with coded errors that name the argument', async () => {
    const unknown = await t.gql(GAPS, { dataset: 'nope', from: '2024-03-10T00:00:00Z', to: '2024-03-11T00:00:00Z' });
    expect(unknown.errors[0]).toMatchObject({
      message: "dataset: no dataset 'nope'; configured: stock_ticks, any_symbol, broken",
      extensions: { code: 'NOT_FOUND', argument: 'dataset' },
    });
    const backwards = await t.gql(GAPS, { dataset: 'stock_ticks', from: '2024-03-11T00:00:00Z', to: '2024-03-10T00:00:00Z' });
    expect(backwards.errors[0].extensions).toStrictEqual({ code: 'BAD_USER_INPUT', argument: 'to' });
    const tooLong = await t.gql(GAPS, { dataset: 'stock_ticks', from: '2000-01-01T00:00:00Z', to: '2024-03-10T00:00:00Z' });
    expect(tooLong.errors[0]).toMatchObject({ message: expect.stringContaining('exceeds maxCheckWindow of 87840h'), extensions: { code: 'BAD_USER_INPUT', argument: 'from' } });
    // Per-bucket series are judged in the service, within maxWindow.
    const longSeries = await t.gql(`query { gaps(dataset: "stock_ticks", from: "2023-01-01T00:00:00Z", to: "2024-03-10T00:00:00Z") { series { group } } }`);
    expect(longSeries.errors[0]).toMatchObject({ message: expect.stringContaining('exceeds maxWindow of 744h'), extensions: { code: 'BAD_USER_INPUT', argument: 'from' } });
    const notIso = await t.gql(GAPS, { dataset: 'stock_ticks', from: 'last tuesday', to: '2024-03-10T00:00:00Z' });
    expect(notIso.errors[0]).toMatchObject({ message: expect.stringContaining('"$from"'), extensions: { code: 'BAD_USER_INPUT' } });
    expect(notIso.errors[0].message).toContain('last tuesday');
  });

  it('names the groups each check judged: the configured ones, the asked-for ones, or every one seen', async () => {
    const q = `query ($dataset: String!, $groups: [String!]) { gaps(dataset: $dataset, from: "2024-03-09", to: "2024-03-10", groups: $groups) { groups } }`;
    expect((await t.gql(q, { dataset: 'stock_ticks' })).data.gaps.groups).toStrictEqual(['AMZN', 'GOOG', 'WORK']);
    expect((await t.gql(q, { dataset: 'stock_ticks', groups: ['WORK', 'AMZN'] })).data.gaps.groups).toStrictEqual(['AMZN', 'WORK']);
    // Every group seen: GOOG is absent all of 2024-03-09 but its series began before, so it is judged too.
    expect((await t.gql(q, { dataset: 'any_symbol' })).data.gaps.groups).toStrictEqual(['AMZN', 'GOOG', 'WORK']);
    const kept = await t.gql(`{ checks(dataset: "stock_ticks", first: 1) { groups } }`);
    expect(kept.data.checks[0].groups).toStrictEqual(['AMZN', 'WORK']);
  });

  it('says when the next scheduled check starts, and null for a dataset without a schedule', async () => {
    const before = Date.now();
    const { data } = await t.gql(`{ datasets { name schedule nextCheckAt } }`);
    const byName = Object.fromEntries(data.datasets.map((d: any) => [d.name, d]));
    expect(byName.any_symbol).toStrictEqual({ name: 'any_symbol', schedule: null, nextCheckAt: null });
    // The first scheduled check runs at start, the next an hour after it began.
    const next = Date.parse(byName.stock_ticks.nextCheckAt);
    expect(next).toBeGreaterThan(before - 120_000);
    expect(next).toBeLessThanOrEqual(Date.now() + 3_600_000);
  });

  it('schedules one check per dataset at a time, over the settled trailing window', async () => {
    const { scheduler } = t.app;
    const [first, second] = await Promise.all([scheduler.runOnce('stock_ticks'), scheduler.runOnce('stock_ticks')]);
    expect(first!.trigger).toBe('SCHEDULE');
    expect(second).toBeUndefined();
    const dataset = t.app.services.gaps.require('stock_ticks');
    const now = Date.parse('2024-03-10T10:20:00Z');
    // 10:00–11:00 is still inside settle (ends after now − 15m), so the window stops at 10:00.
    expect(trailingWindow(dataset, now)).toStrictEqual({ from: Date.parse('2024-03-09T10:00:00Z'), to: Date.parse('2024-03-10T10:00:00Z') });
  });
});
