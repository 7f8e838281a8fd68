import type { GapReport } from '../../../src/services/gaps/compute';
import { alignWindow, computeGaps, windowProblem } from '../../../src/services/gaps/compute';
import { wideToCountRows, type CountRow } from '../../../src/services/gaps/count-rows';
import { DAY, HOUR, MINUTE, hourly, longDataset, t, wideDataset } from './helpers';

const LATER = t('2030-01-01T00:00:00Z');

/** The fields every report shares, so each test spells out only what it is about. */
function report(partial: Partial<GapReport> & Pick<GapReport, 'from' | 'to'>): GapReport {
  return {
    dataset: 'stock_ticks',
    bucket: '1h',
    timezone: 'UTC',
    status: 'OK',
    noData: false,
    checkedBuckets: 0,
    pendingBuckets: 0,
    ranges: [],
    nullTimestampRows: 0,
    nullGroupRows: 0,
    outsideCalendarRows: 0,
    unlistedGroupRows: 0,
    series: [],
    groups: ['AMZN'],
    ...partial,
  };
}

function shuffled<T>(items: readonly T[], seed: number): T[] {
  const out = [...items];
  let s = seed;
  for (let i = out.length - 1; i > 0; i--) {
    s = (s * 1103515245 + 12345) % 2147483648;
    const j = s % (i + 1);
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

describe('thresholds', () => {
  it('flags 59 as under-filled and passes 60 and 61 around a threshold of exactly 60', () => {
    const dataset = longDataset({ minRatio: 1 });
    const rows = hourly('AMZN', '2024-01-02T10:00:00Z', 3, (i) => [59, 60, 61][i]!);
    expect(computeGaps({ dataset, from: t('2024-01-02T10:00:00Z'), to: t('2024-01-02T13:00:00Z'), now: LATER, rows })).toStrictEqual(
      report({
        from: '2024-01-02T10:00:00.000Z',
        to: '2024-01-02T13:00:00.000Z',
        status: 'GAPS',
        checkedBuckets: 3,
        ranges: [{ kind: 'UNDERFILLED', group: 'AMZN', start: '2024-01-02T10:00:00.000Z', end: '2024-01-02T11:00:00.000Z', buckets: 1, expected: 60, observed: 59 }],
      }),
    );
  });

  it('does not let float noise in expected × minRatio flag a bucket exactly at the threshold', () => {
    // 55 × 0.8 is 44.00000000000001 in binary floating point.
    const dataset = longDataset({ expectedPerBucket: 55, minRatio: 0.8 });
    const rows = hourly('AMZN', '2024-01-02T10:00:00Z', 1, 44);
    expect(computeGaps({ dataset, from: t('2024-01-02T10:00:00Z'), to: t('2024-01-02T11:00:00Z'), now: LATER, rows }).status).toBe('OK');
  });
});

describe('merging', () => {
  const dataset = longDataset();
  // 60, —, —, 30, 30, 60, —  (— = no row at all)
  const rows = hourly('AMZN', '2024-01-02T00:00:00Z', 7, (i) => [60, 0, 0, 30, 30, 60, 0][i]!).filter((r) => r.count > 0);
  const input = { dataset, from: t('2024-01-02T00:00:00Z'), to: t('2024-01-02T07:00:00Z'), now: LATER };
  const expected = report({
    from: '2024-01-02T00:00:00.000Z',
    to: '2024-01-02T07:00:00.000Z',
    status: 'GAPS',
    checkedBuckets: 7,
    ranges: [
      { kind: 'MISSING', group: 'AMZN', start: '2024-01-02T01:00:00.000Z', end: '2024-01-02T03:00:00.000Z', buckets: 2, expected: 120, observed: 0, absent: false },
      { kind: 'UNDERFILLED', group: 'AMZN', start: '2024-01-02T03:00:00.000Z', end: '2024-01-02T05:00:00.000Z', buckets: 2, expected: 120, observed: 60 },
      { kind: 'MISSING', group: 'AMZN', start: '2024-01-02T06:00:00.000Z', end: '2024-01-02T07:00:00.000Z', buckets: 1, expected: 60, observed: 0, absent: false },
    ],
  });

  it('merges adjacent buckets of one kind and never merges missing with under-filled', () => {
    expect(computeGaps({ ...input, rows })).toStrictEqual(expected);
  });

  it('treats an explicit zero-count row like no row', () => {
    const withZeros = hourly('AMZN', '2024-01-02T00:00:00Z', 7, (i) => [60, 0, 0, 30, 30, 60, 0][i]!);
    expect(computeGaps({ ...input, rows: withZeros })).toStrictEqual(expected);
  });

  it('gives the same report for rows in any order', () => {
    const many = [...rows, ...hourly('GOOG', '2024-01-02T00:00:00Z', 7, (i) => (i === 3 ? 10 : 60))];
    const sorted = computeGaps({ ...input, rows: many });
    for (const seed of [1, 2, 3, 42]) expect(computeGaps({ ...input, rows: shuffled(many, seed) })).toStrictEqual(sorted);
    expect(sorted.ranges.map((r) => `${r.group} ${r.kind} ${r.start}`)).toStrictEqual([
      'AMZN MISSING 2024-01-02T01:00:00.000Z',
      'AMZN UNDERFILLED 2024-01-02T03:00:00.000Z',
      'AMZN MISSING 2024-01-02T06:00:00.000Z',
      'GOOG UNDERFILLED 2024-01-02T03:00:00.000Z',
    ]);
  });

  it('sums duplicate (bucket, group) rows, including several sub-buckets of one bucket', () => {
    const dup: CountRow[] = [
      { at: t('2024-01-02T10:00:00Z'), group: 'AMZN', count: 30, firstAt: t('2024-01-02T10:00:00Z') },
      { at: t('2024-01-02T10:00:00Z'), group: 'AMZN', count: 20, firstAt: t('2024-01-02T10:00:00Z') },
      { at: t('2024-01-02T10:30:00Z'), group: 'AMZN', count: 10, firstAt: t('2024-01-02T10:30:00Z') },
    ];
    expect(computeGaps({ dataset: longDataset({ minRatio: 1 }), from: t('2024-01-02T10:00:00Z'), to: t('2024-01-02T11:00:00Z'), now: LATER, rows: dup, series: true })).toStrictEqual(
      report({
        from: '2024-01-02T10:00:00.000Z',
        to: '2024-01-02T11:00:00.000Z',
        checkedBuckets: 1,
        series: [{ group: 'AMZN', buckets: [{ start: '2024-01-02T10:00:00.000Z', count: 60, expected: 60, status: 'OK' }] }],
      }),
    );
  });
});

describe('groups', () => {
  it('reports a configured group with no rows as one absent MISSING range over the window', () => {
    const dataset = longDataset({ groups: ['AMZN', 'GOOG', 'WORK'] });
    const rows = [...hourly('AMZN', '2024-01-02T00:00:00Z', 4), ...hourly('GOOG', '2024-01-02T00:00:00Z', 4)];
    expect(computeGaps({ dataset, from: t('2024-01-02T00:00:00Z'), to: t('2024-01-02T04:00:00Z'), now: LATER, rows })).toStrictEqual(
      report({
        from: '2024-01-02T00:00:00.000Z',
        to: '2024-01-02T04:00:00.000Z',
        status: 'GAPS',
        checkedBuckets: 12,
        groups: ['AMZN', 'GOOG', 'WORK'],
        ranges: [{ kind: 'MISSING', group: 'WORK', start: '2024-01-02T00:00:00.000Z', end: '2024-01-02T04:00:00.000Z', buckets: 4, expected: 240, observed: 0, absent: true }],
      }),
    );
  });

  it('does not expect a group whose startsAt is after the window', () => {
    const dataset = longDataset({ groups: ['AMZN', 'WORK'], startsAt: { WORK: '2024-02-01' } });
    const rows = hourly('AMZN', '2024-01-02T00:00:00Z', 4);
    const r = computeGaps({ dataset, from: t('2024-01-02T00:00:00Z'), to: t('2024-01-02T04:00:00Z'), now: LATER, rows });
    expect([r.status, r.ranges, r.checkedBuckets]).toStrictEqual(['OK', [], 4]);
  });

  it('restricts to the requested groups, expects each of them, and counts the rest as unlisted', () => {
    const dataset = longDataset();
    const rows = [...hourly('AMZN', '2024-01-02T00:00:00Z', 2), ...hourly('GOOG', '2024-01-02T00:00:00Z', 2, 10)];
    const r = computeGaps({ dataset, from: t('2024-01-02T00:00:00Z'), to: t('2024-01-02T02:00:00Z'), now: LATER, rows, groups: ['AMZN', 'TSLA'] });
    expect(r).toStrictEqual(
      report({
        from: '2024-01-02T00:00:00.000Z',
        to: '2024-01-02T02:00:00.000Z',
        status: 'GAPS',
        checkedBuckets: 4,
        unlistedGroupRows: 20,
        groups: ['AMZN', 'TSLA'],
        ranges: [{ kind: 'MISSING', group: 'TSLA', start: '2024-01-02T00:00:00.000Z', end: '2024-01-02T02:00:00.000Z', buckets: 2, expected: 120, observed: 0, absent: true }],
      }),
    );
  });
});

describe('empty input', () => {
  const window = { from: t('2024-01-02T00:00:00Z'), to: t('2024-01-02T03:00:00Z'), now: LATER, rows: [] as CountRow[] };

  it('is all-missing for configured groups', () => {
    const r = computeGaps({ dataset: longDataset({ groups: ['AMZN'] }), ...window });
    expect(r).toStrictEqual(
      report({
        from: '2024-01-02T00:00:00.000Z',
        to: '2024-01-02T03:00:00.000Z',
        status: 'GAPS',
        noData: true,
        checkedBuckets: 3,
        ranges: [{ kind: 'MISSING', group: 'AMZN', start: '2024-01-02T00:00:00.000Z', end: '2024-01-02T03:00:00.000Z', buckets: 3, expected: 180, observed: 0, absent: true }],
      }),
    );
  });

  it('is GAPS with noData when no groups are configured: silence is never a pass', () => {
    expect(computeGaps({ dataset: longDataset(), ...window })).toStrictEqual(
      report({ from: '2024-01-02T00:00:00.000Z', to: '2024-01-02T03:00:00.000Z', status: 'GAPS', noData: true, groups: [] }),
    );
  });

  it('is EMPTY with noData, never OK, when the calendar expected nothing in the window (a Saturday)', () => {
    const dataset = longDataset({ calendar: { days: ['mon', 'tue', 'wed', 'thu', 'fri'] } });
    const r = computeGaps({ dataset, ...window, from: t('2024-01-06T00:00:00Z'), to: t('2024-01-07T00:00:00Z') });
    expect([r.status, r.noData, r.checkedBuckets]).toStrictEqual(['EMPTY', true, 0]);
    // With listed groups too: nothing judged is not a pass.
    const listed = computeGaps({ dataset: longDataset({ groups: ['AMZN'], calendar: { days: ['mon'] } }), ...window, from: t('2024-01-06T00:00:00Z'), to: t('2024-01-07T00:00:00Z') });
    expect([listed.status, listed.ranges]).toStrictEqual(['EMPTY', []]);
  });

  it('is PENDING, never OK, for a window in the future (nothing has happened yet)', () => {
    const future = { from: t('2030-01-01T00:00:00Z'), to: t('2030-01-02T00:00:00Z'), now: t('2024-01-02T00:00:00Z'), rows: [] as CountRow[] };
    const bare = computeGaps({ dataset: longDataset(), ...future });
    expect([bare.status, bare.noData, bare.checkedBuckets, bare.ranges]).toStrictEqual(['PENDING', true, 0, []]);
    const listed = computeGaps({ dataset: longDataset({ groups: ['AMZN', 'GOOG'] }), ...future });
    expect([listed.status, listed.checkedBuckets, listed.pendingBuckets, listed.ranges]).toStrictEqual(['PENDING', 0, 48, []]);
  });
});

describe('NULLs', () => {
  it('counts NULL timestamps and NULL groups, never dropping them or reading them as zero', () => {
    const rows: CountRow[] = [
      ...hourly('AMZN', '2024-01-02T00:00:00Z', 2),
      { at: null, group: 'AMZN', count: 3, firstAt: null },
      { at: t('2024-01-02T01:00:00Z'), group: null, count: 2, firstAt: t('2024-01-02T01:05:00Z') },
      { at: null, group: null, count: 1, firstAt: null },
    ];
    expect(computeGaps({ dataset: longDataset(), from: t('2024-01-02T00:00:00Z'), to: t('2024-01-02T02:00:00Z'), now: LATER, rows })).toStrictEqual(
      report({ from: '2024-01-02T00:00:00.000Z', to: '2024-01-02T02:00:00.000Z', checkedBuckets: 2, nullTimestampRows: 4, nullGroupRows: 3 }),
    );
  });

  it('does not call a window with only NULL rows empty', () => {
    const rows: CountRow[] = [{ at: null, group: 'AMZN', count: 3, firstAt: null }];
    const r = computeGaps({ dataset: longDataset(), from: t('2024-01-02T00:00:00Z'), to: t('2024-01-02T02:00:00Z'), now: LATER, rows });
    // Not empty, but no bucket had a row: the expected data is missing.
    expect([r.noData, r.nullTimestampRows, r.status]).toStrictEqual([false, 3, 'GAPS']);
  });
});

describe('window alignment', () => {
  it('aligns outward to bucket boundaries and puts a row at exactly 10:00:00.000 in the 10:00 bucket', () => {
    const rows: CountRow[] = [
      { at: t('2024-01-02T10:00:00.000Z'), group: 'AMZN', count: 60, firstAt: t('2024-01-02T10:00:00.000Z') },
      { at: t('2024-01-02T11:59:00.000Z'), group: 'AMZN', count: 60, firstAt: t('2024-01-02T11:59:59.999Z') },
      { at: t('2024-01-02T12:00:00.000Z'), group: 'AMZN', count: 60, firstAt: t('2024-01-02T12:00:00.000Z') },
    ];
    const dataset = longDataset({ minRatio: 1 });
    expect(alignWindow(dataset, t('2024-01-02T10:17:00Z'), t('2024-01-02T12:05:00Z'))).toStrictEqual({ from: t('2024-01-02T10:00:00Z'), to: t('2024-01-02T13:00:00Z') });
    expect(computeGaps({ dataset, from: t('2024-01-02T10:17:00Z'), to: t('2024-01-02T12:05:00Z'), now: LATER, rows, series: true })).toStrictEqual(
      report({
        from: '2024-01-02T10:00:00.000Z',
        to: '2024-01-02T13:00:00.000Z',
        checkedBuckets: 3,
        series: [
          {
            group: 'AMZN',
            buckets: [
              { start: '2024-01-02T10:00:00.000Z', count: 60, expected: 60, status: 'OK' },
              { start: '2024-01-02T11:00:00.000Z', count: 60, expected: 60, status: 'OK' },
              { start: '2024-01-02T12:00:00.000Z', count: 60, expected: 60, status: 'OK' },
            ],
          },
        ],
      }),
    );
  });

  it('refuses a window longer than maxWindow or running backwards', () => {
    const dataset = longDataset({ maxWindow: '2d' });
    expect(windowProblem(dataset, 0, 2 * DAY)).toBeUndefined();
    expect(windowProblem(dataset, 0, 2 * DAY + HOUR)).toBe('window of 49h exceeds maxWindow of 48h for dataset stock_ticks');
    expect(windowProblem(dataset, HOUR, HOUR)).toBe('from (1970-01-01T01:00:00.000Z) must be before to (1970-01-01T01:00:00.000Z)');
    expect(() => computeGaps({ dataset, from: 0, to: 3 * DAY, now: LATER, rows: [] })).toThrow(RangeError);
  });
});

describe('settle', () => {
  it('does not judge buckets still filling: the under-filled ones are a PARTIAL_EDGE, future ones nothing; the window is PENDING, not OK', () => {
    const dataset = longDataset({ settle: '15m' });
    const rows = [...hourly('AMZN', '2024-01-02T00:00:00Z', 11), ...hourly('AMZN', '2024-01-02T11:00:00Z', 2, (i) => [20, 5][i]!)];
    const r = computeGaps({ dataset, from: t('2024-01-02T00:00:00Z'), to: t('2024-01-02T14:00:00Z'), now: t('2024-01-02T12:10:00Z'), rows, series: true });
    expect({ ...r, series: r.series[0]!.buckets.slice(10).map((b) => b.status) }).toStrictEqual(
      report({
        from: '2024-01-02T00:00:00.000Z',
        to: '2024-01-02T14:00:00.000Z',
        status: 'PENDING',
        checkedBuckets: 11,
        pendingBuckets: 3,
        ranges: [{ kind: 'PARTIAL_EDGE', group: 'AMZN', start: '2024-01-02T11:00:00.000Z', end: '2024-01-02T13:00:00.000Z', buckets: 2, expected: 120, observed: 25, reason: 'SETTLING' }],
        // 10:00 ended before 11:55 (now − settle); 11:00 and 12:00 are filling; 13:00 has not begun.
        series: ['OK', 'SETTLING', 'SETTLING', 'SETTLING'] as never,
      }),
    );
  });
});

describe('series start', () => {
  const dataset = longDataset();
  const window = { dataset, from: t('2024-01-02T10:00:00Z'), to: t('2024-01-02T15:00:00Z'), now: LATER };
  const rows: CountRow[] = [
    ...hourly('OLD', '2024-01-02T11:00:00Z', 4),
    { at: t('2024-01-02T12:00:00Z'), group: 'NEW', count: 30, firstAt: t('2024-01-02T12:20:00Z') },
    ...hourly('NEW', '2024-01-02T13:00:00Z', 2),
  ];

  it('starts a group the bounded lookup did not find at its first row: mid-bucket start is a PARTIAL_EDGE', () => {
    const r = computeGaps({ ...window, rows, seriesStarts: new Map([['OLD', t('2024-01-01T00:00:00Z')]]), series: true });
    expect(r.ranges).toStrictEqual([
      { kind: 'MISSING', group: 'OLD', start: '2024-01-02T10:00:00.000Z', end: '2024-01-02T11:00:00.000Z', buckets: 1, expected: 60, observed: 0, absent: false },
      { kind: 'PARTIAL_EDGE', group: 'NEW', start: '2024-01-02T12:00:00.000Z', end: '2024-01-02T13:00:00.000Z', buckets: 1, expected: 60, observed: 30, reason: 'SERIES_START' },
    ].sort((a, b) => (a.group < b.group ? -1 : 1)));
    expect(r.series.find((s) => s.group === 'NEW')!.buckets.map((b) => b.status)).toStrictEqual(['NOT_EXPECTED', 'NOT_EXPECTED', 'PARTIAL_EDGE', 'OK', 'OK']);
    expect(r.checkedBuckets).toBe(5 + 3);
  });

  it('without a lookup assumes every series began before the window, so a late group shows its leading gap', () => {
    const r = computeGaps({ ...window, rows });
    expect(r.ranges.filter((x) => x.group === 'NEW')).toStrictEqual([
      { kind: 'MISSING', group: 'NEW', start: '2024-01-02T10:00:00.000Z', end: '2024-01-02T12:00:00.000Z', buckets: 2, expected: 120, observed: 0, absent: false },
      { kind: 'UNDERFILLED', group: 'NEW', start: '2024-01-02T12:00:00.000Z', end: '2024-01-02T13:00:00.000Z', buckets: 1, expected: 60, observed: 30 },
    ]);
  });

  it('uses a configured startsAt over any lookup', () => {
    const started = longDataset({ startsAt: { NEW: '2024-01-02T12:20:00Z' } });
    const r = computeGaps({ ...window, dataset: started, rows, seriesStarts: new Map() });
    expect(r.ranges.filter((x) => x.group === 'NEW').map((x) => x.kind)).toStrictEqual(['PARTIAL_EDGE']);
  });

  it('judges a series that began exactly on a bucket boundary like any other bucket', () => {
    const exact: CountRow[] = [{ at: t('2024-01-02T12:00:00Z'), group: 'NEW', count: 30, firstAt: t('2024-01-02T12:00:00Z') }, ...hourly('NEW', '2024-01-02T13:00:00Z', 2)];
    const r = computeGaps({ ...window, rows: exact, seriesStarts: new Map() });
    expect(r.ranges.map((x) => x.kind)).toStrictEqual(['UNDERFILLED']);
  });
});

describe('calendar', () => {
  // Mon–Fri 09:30–16:00 New York, Christmas off. Window: Fri 20 Dec to Thu 26 Dec 2024 (local midnights).
  const dataset = longDataset({
    timezone: 'America/New_York',
    calendar: { days: ['mon', 'tue', 'wed', 'thu', 'fri'], open: '09:30', close: '16:00', holidays: ['2024-12-25'] },
  });
  const local = (date: string, hour: number) => t(`${date}T${String(hour + 5).padStart(2, '0')}:00:00Z`); // EST = UTC−5
  const day = (date: string, skip: number[] = []): CountRow[] =>
    [9, 10, 11, 12, 13, 14, 15]
      .filter((h) => !skip.includes(h))
      .map((h) => ({ at: local(date, h), group: 'AMZN', count: h === 9 ? 25 : 60, firstAt: local(date, h) + (h === 9 ? 30 * MINUTE : 0) }));
  const rows: CountRow[] = [
    ...day('2024-12-20', [15]),
    ...day('2024-12-23', [9]),
    ...day('2024-12-24'),
    { at: local('2024-12-21', 12), group: 'AMZN', count: 5, firstAt: local('2024-12-21', 12) }, // Saturday
    { at: local('2024-12-25', 10), group: 'AMZN', count: 7, firstAt: local('2024-12-25', 10) }, // Christmas
    { at: local('2024-12-24', 16), group: 'AMZN', count: 3, firstAt: local('2024-12-24', 16) }, // after close
  ];
  const input = { dataset, from: local('2024-12-20', 0), to: local('2024-12-26', 0), now: LATER, rows };

  it('merges a Friday-close-to-Monday-open outage into one range, prorating the 09:00 bucket to its open half', () => {
    expect(computeGaps(input)).toStrictEqual(
      report({
        timezone: 'America/New_York',
        from: '2024-12-20T05:00:00.000Z',
        to: '2024-12-26T05:00:00.000Z',
        status: 'GAPS',
        checkedBuckets: 21,
        outsideCalendarRows: 15,
        ranges: [{ kind: 'MISSING', group: 'AMZN', start: '2024-12-20T20:00:00.000Z', end: '2024-12-23T15:00:00.000Z', buckets: 2, expected: 90, observed: 0, absent: false }],
      }),
    );
  });

  it('expects nothing on weekends, holidays and outside session hours', () => {
    const r = computeGaps({ ...input, from: local('2024-12-24', 0), to: local('2024-12-26', 0), series: true });
    const expected = r.series[0]!.buckets.filter((b) => b.expected > 0).map((b) => [b.start, b.expected]);
    expect(expected).toStrictEqual([
      ['2024-12-24T14:00:00.000Z', 30],
      ['2024-12-24T15:00:00.000Z', 60],
      ['2024-12-24T16:00:00.000Z', 60],
      ['2024-12-24T17:00:00.000Z', 60],
      ['2024-12-24T18:00:00.000Z', 60],
      ['2024-12-24T19:00:00.000Z', 60],
      ['2024-12-24T20:00:00.000Z', 60],
    ]);
    expect([r.status, r.outsideCalendarRows]).toStrictEqual(['OK', 10]);
  });
});

describe('DST in America/New_York', () => {
  const ny = (o: Record<string, unknown> = {}) => longDataset({ timezone: 'America/New_York', ...o });

  it('spring forward: the 23-hour day has 23 hourly buckets and none is falsely missing', () => {
    const from = t('2024-03-10T05:00:00Z'); // 00:00 EST
    const to = t('2024-03-11T04:00:00Z'); // 00:00 EDT
    const rows = hourly('AMZN', '2024-03-10T05:00:00Z', 23);
    const r = computeGaps({ dataset: ny(), from, to, now: LATER, rows, series: true });
    expect([r.status, r.checkedBuckets, r.ranges]).toStrictEqual(['OK', 23, []]);
    expect(r.series[0]!.buckets.slice(0, 4).map((b) => b.start)).toStrictEqual([
      '2024-03-10T05:00:00.000Z', // 00:00 EST
      '2024-03-10T06:00:00.000Z', // 01:00 EST
      '2024-03-10T07:00:00.000Z', // 03:00 EDT: 02:00 never happened
      '2024-03-10T08:00:00.000Z',
    ]);
  });

  it('fall back: the repeated 01:00 is two buckets, so losing the second one is a gap, not double-counted', () => {
    const from = t('2024-11-03T04:00:00Z'); // 00:00 EDT
    const to = t('2024-11-04T05:00:00Z'); // 00:00 EST
    const rows = hourly('AMZN', '2024-11-03T04:00:00Z', 25).filter((r) => r.at !== t('2024-11-03T06:00:00Z'));
    expect(computeGaps({ dataset: ny(), from, to, now: LATER, rows })).toStrictEqual(
      report({
        timezone: 'America/New_York',
        from: '2024-11-03T04:00:00.000Z',
        to: '2024-11-04T05:00:00.000Z',
        status: 'GAPS',
        checkedBuckets: 25,
        ranges: [{ kind: 'MISSING', group: 'AMZN', start: '2024-11-03T06:00:00.000Z', end: '2024-11-03T07:00:00.000Z', buckets: 1, expected: 60, observed: 0, absent: false }],
      }),
    );
  });

  it('1d buckets are local days of 23 and 25 hours, each one bucket with the full daily expectation', () => {
    const daily = ny({ bucket: '1d', expectedPerBucket: 1440, minRatio: 0.95 });
    const spring = computeGaps({ dataset: daily, from: t('2024-03-09T05:00:00Z'), to: t('2024-03-12T04:00:00Z'), now: LATER, rows: hourly('AMZN', '2024-03-09T05:00:00Z', 71), series: true });
    expect(spring.series[0]!.buckets).toStrictEqual([
      { start: '2024-03-09T05:00:00.000Z', count: 1440, expected: 1440, status: 'OK' },
      { start: '2024-03-10T05:00:00.000Z', count: 1380, expected: 1440, status: 'OK' },
      { start: '2024-03-11T04:00:00.000Z', count: 1440, expected: 1440, status: 'OK' },
    ]);
    const fall = computeGaps({ dataset: daily, from: t('2024-11-02T04:00:00Z'), to: t('2024-11-05T05:00:00Z'), now: LATER, rows: hourly('AMZN', '2024-11-02T04:00:00Z', 73), series: true });
    expect(fall.series[0]!.buckets.map((b) => [b.start, b.count, b.status])).toStrictEqual([
      ['2024-11-02T04:00:00.000Z', 1440, 'OK'],
      ['2024-11-03T04:00:00.000Z', 1500, 'OK'],
      ['2024-11-04T05:00:00.000Z', 1440, 'OK'],
    ]);
    expect([spring.status, fall.status, fall.ranges]).toStrictEqual(['OK', 'OK', []]);
  });
});

describe('a zone with a 30-minute offset (Asia/Kolkata, +05:30)', () => {
  it('builds local hours from half-hour sub-buckets', () => {
    const dataset = longDataset({ timezone: 'Asia/Kolkata', minRatio: 1 });
    const half = (iso: string, count: number): CountRow => ({ at: t(iso), group: 'INFY', count, firstAt: t(iso) });
    const rows = [half('2024-01-02T04:30:00Z', 30), half('2024-01-02T05:00:00Z', 30), half('2024-01-02T05:30:00Z', 30)];
    // 10:00–12:00 IST = 04:30–06:30 UTC: the 10:00 hour is full, the 11:00 hour lost its second half.
    expect(computeGaps({ dataset, from: t('2024-01-02T04:30:00Z'), to: t('2024-01-02T06:30:00Z'), now: LATER, rows })).toStrictEqual(
      report({
        timezone: 'Asia/Kolkata',
        groups: ['INFY'],
        from: '2024-01-02T04:30:00.000Z',
        to: '2024-01-02T06:30:00.000Z',
        status: 'GAPS',
        checkedBuckets: 2,
        ranges: [{ kind: 'UNDERFILLED', group: 'INFY', start: '2024-01-02T05:30:00.000Z', end: '2024-01-02T06:30:00.000Z', buckets: 1, expected: 60, observed: 30 }],
      }),
    );
    expect(alignWindow(dataset, t('2024-01-02T05:00:00Z'), t('2024-01-02T05:10:00Z'))).toStrictEqual({ from: t('2024-01-02T04:30:00Z'), to: t('2024-01-02T05:30:00Z') });
  });
});

describe('group names are data, not object keys', () => {
  it('honours startsAt for groups called constructor and toString, and reads no start for a group it does not name', () => {
    const dataset = longDataset({ startsAt: { constructor: '2024-01-02T12:00:00Z', toString: '2024-01-02T11:00:00Z' } });
    const rows = [...hourly('constructor', '2024-01-02T12:00:00Z', 3), ...hourly('toString', '2024-01-02T12:00:00Z', 3), ...hourly('valueOf', '2024-01-02T12:00:00Z', 3)];
    const r = computeGaps({ dataset, from: t('2024-01-02T10:00:00Z'), to: t('2024-01-02T15:00:00Z'), now: LATER, rows });
    expect(r.ranges).toStrictEqual([
      { kind: 'MISSING', group: 'toString', start: '2024-01-02T11:00:00.000Z', end: '2024-01-02T12:00:00.000Z', buckets: 1, expected: 60, observed: 0, absent: false },
      // valueOf has no startsAt and no lookup ran: assumed begun before the window, so its leading hole shows.
      { kind: 'MISSING', group: 'valueOf', start: '2024-01-02T10:00:00.000Z', end: '2024-01-02T12:00:00.000Z', buckets: 2, expected: 120, observed: 0, absent: false },
    ]);
    expect(r.checkedBuckets).toBe(3 + 4 + 5);
  });
});

describe('wide columns of groups with Object.prototype names', () => {
  it('maps groups called __proto__ and constructor to their columns', () => {
    // JSON.parse, as a YAML loader does, makes "__proto__" an own key rather than a prototype.
    const dataset = wideDataset({ wideColumns: JSON.parse('{"__proto__": "P_CNT", "constructor": "C_CNT"}') });
    const rows = wideToCountRows(dataset, [{ capture_datetime_hour: '2024-01-02T10:00:00.000Z', P_CNT: 60, C_CNT: 0 }], ['capture_datetime_hour', 'P_CNT', 'C_CNT']);
    expect(rows).toStrictEqual([
      { at: t('2024-01-02T10:00:00Z'), group: '__proto__', count: 60 },
      { at: t('2024-01-02T10:00:00Z'), group: 'constructor', count: 0 },
    ]);
  });
});

describe('silent groups of datasets without configured groups', () => {
  const window = { from: t('2024-01-02T10:00:00Z'), to: t('2024-01-02T13:00:00Z'), now: LATER };

  it('reports a long series the lookup knows began before the window, and that went silent, as absent', () => {
    const rows = hourly('AMZN', '2024-01-02T10:00:00Z', 3);
    const seriesStarts = new Map([['AMZN', t('2024-01-01T00:00:00Z')], ['GONE', t('2024-01-01T05:00:00Z')], ['LATER', t('2024-01-02T14:00:00Z')]]);
    const r = computeGaps({ dataset: longDataset(), ...window, rows, seriesStarts });
    expect(r.status).toBe('GAPS');
    expect(r.ranges).toStrictEqual([
      { kind: 'MISSING', group: 'GONE', start: '2024-01-02T10:00:00.000Z', end: '2024-01-02T13:00:00.000Z', buckets: 3, expected: 180, observed: 0, absent: true },
    ]);
  });

  it('reports a wide column that is all 0 or NULL as absent', () => {
    const dataset = wideDataset();
    const rows: CountRow[] = [0, 1, 2].flatMap((i) => [
      { at: t('2024-01-02T10:00:00Z') + i * HOUR, group: 'AMZN', count: 60 },
      { at: t('2024-01-02T10:00:00Z') + i * HOUR, group: 'GOOG', count: 0 },
    ]);
    const r = computeGaps({ dataset, ...window, rows });
    expect(r.status).toBe('GAPS');
    expect(r.ranges).toStrictEqual([
      { kind: 'MISSING', group: 'GOOG', start: '2024-01-02T10:00:00.000Z', end: '2024-01-02T13:00:00.000Z', buckets: 3, expected: 180, observed: 0, absent: true },
    ]);
  });
});

describe('instants outside the SQL range', () => {
  it('refuses windows that would need a timestamp before year 1 or after year 9999', () => {
    const dataset = longDataset({ bucket: '1d', maxWindow: '366d' });
    expect(windowProblem(dataset, t('0000-01-01T00:00:00Z'), t('0000-01-02T00:00:00Z'))).toBe(
      'expected an instant from 0001-01-02T00:00:00.000Z to 9999-12-30T00:00:00.000Z (the SQL timestamp range, less a day for bucket alignment), got 0000-01-01T00:00:00.000Z',
    );
    expect(windowProblem(dataset, t('9999-12-30T00:00:00Z'), t('9999-12-31T22:00:00Z'))).toContain('got 9999-12-31T22:00:00.000Z');
    expect(windowProblem(dataset, t('0001-01-02T00:00:00Z'), t('0001-01-03T00:00:00Z'))).toBeUndefined();
    expect(() => computeGaps({ dataset, from: t('9999-12-29T00:00:00Z'), to: t('9999-12-31T22:00:00Z'), now: LATER, rows: [] })).toThrow(RangeError);
  });
});
