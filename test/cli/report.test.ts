import { formatTable, fromGapCheck, type CliReport } from '../../src/cli/report';
import type { GapCheck } from '../../src/services/gaps/gaps.service';

const CHECK: GapCheck = {
  id: 'c1',
  dataset: 'stock_ticks',
  bucket: '1h',
  timezone: 'UTC',
  from: '2024-03-04T00:00:00.000Z',
  to: '2024-03-06T00:00:00.000Z',
  status: 'GAPS',
  noData: false,
  allGroups: true,
  checkedBuckets: 144,
  pendingBuckets: 0,
  ranges: [
    { group: 'AMZN', kind: 'MISSING', start: '2024-03-05T13:00:00.000Z', end: '2024-03-05T14:00:00.000Z', buckets: 1, expected: 60, observed: 0, absent: false },
    { group: 'MSFT', kind: 'MISSING', start: '2024-03-04T00:00:00.000Z', end: '2024-03-06T00:00:00.000Z', buckets: 48, expected: 2880, observed: 0, absent: true },
    { group: 'WORK', kind: 'PARTIAL_EDGE', start: '2024-03-04T00:00:00.000Z', end: '2024-03-04T01:00:00.000Z', buckets: 1, expected: 60, observed: 23, reason: 'SERIES_START' },
    { group: 'WORK', kind: 'UNDERFILLED', start: '2024-03-05T07:00:00.000Z', end: '2024-03-05T08:00:00.000Z', buckets: 1, expected: 59.999999, observed: 12 },
  ],
  nullTimestampRows: 2,
  nullGroupRows: 0,
  outsideCalendarRows: 0,
  unlistedGroupRows: 7,
  series: [],
  groups: ['AMZN', 'GOOG'],
  checkedAt: new Date('2024-03-06T00:20:00.000Z'),
  trigger: 'CLI',
  queryExecutionId: 'q-1',
  dataScannedBytes: 1234,
  durationMs: 42,
};

describe('the report gapwatch check prints', () => {
  it('has the GraphQL shape whichever way the check ran: ISO instants, absent/reason null where they do not apply', () => {
    expect(fromGapCheck(CHECK)).toStrictEqual({
      id: 'c1',
      dataset: 'stock_ticks',
      status: 'GAPS',
      from: '2024-03-04T00:00:00.000Z',
      to: '2024-03-06T00:00:00.000Z',
      bucket: '1h',
      timezone: 'UTC',
      checkedAt: '2024-03-06T00:20:00.000Z',
      trigger: 'CLI',
      durationMs: 42,
      checkedBuckets: 144,
      noData: false,
      queryExecutionId: 'q-1',
      nullTimestampRows: 2,
      nullGroupRows: 0,
      outsideCalendarRows: 0,
      unlistedGroupRows: 7,
      ranges: [
        { group: 'AMZN', kind: 'MISSING', start: '2024-03-05T13:00:00.000Z', end: '2024-03-05T14:00:00.000Z', buckets: 1, expected: 60, observed: 0, absent: false, reason: null },
        { group: 'MSFT', kind: 'MISSING', start: '2024-03-04T00:00:00.000Z', end: '2024-03-06T00:00:00.000Z', buckets: 48, expected: 2880, observed: 0, absent: true, reason: null },
        { group: 'WORK', kind: 'PARTIAL_EDGE', start: '2024-03-04T00:00:00.000Z', end: '2024-03-04T01:00:00.000Z', buckets: 1, expected: 60, observed: 23, absent: false, reason: 'SERIES_START' },
        { group: 'WORK', kind: 'UNDERFILLED', start: '2024-03-05T07:00:00.000Z', end: '2024-03-05T08:00:00.000Z', buckets: 1, expected: 59.999999, observed: 12, absent: false, reason: null },
      ],
    });
  });

  it('renders a header line, then one aligned line per range, then notes', () => {
    expect(formatTable(fromGapCheck(CHECK)).split('\n')).toStrictEqual([
      'dataset stock_ticks  window 2024-03-04T00:00:00.000Z .. 2024-03-06T00:00:00.000Z (1h, UTC)  status GAPS  checked 144 buckets  query q-1',
      'GROUP  KIND          START                     END                       BUCKETS  OBSERVED/EXPECTED  ABSENT/REASON',
      'AMZN   MISSING       2024-03-05T13:00:00.000Z  2024-03-05T14:00:00.000Z        1               0/60  -',
      'MSFT   MISSING       2024-03-04T00:00:00.000Z  2024-03-06T00:00:00.000Z       48             0/2880  absent',
      'WORK   PARTIAL_EDGE  2024-03-04T00:00:00.000Z  2024-03-04T01:00:00.000Z        1              23/60  SERIES_START',
      'WORK   UNDERFILLED   2024-03-05T07:00:00.000Z  2024-03-05T08:00:00.000Z        1              12/60  -',
      'note: 2 rows with a NULL timestamp',
      'note: 7 rows of groups not judged',
      '',
    ]);
  });

  it('says so when there is nothing to list, and never lets an empty window pass unremarked', () => {
    const clean: CliReport = { ...fromGapCheck(CHECK), status: 'OK', ranges: [], nullTimestampRows: 0, unlistedGroupRows: 0 };
    expect(formatTable(clean)).toBe(
      'dataset stock_ticks  window 2024-03-04T00:00:00.000Z .. 2024-03-06T00:00:00.000Z (1h, UTC)  status OK  checked 144 buckets  query q-1\nno gap ranges\n',
    );
    expect(formatTable({ ...clean, status: 'GAPS', noData: true }).split('\n').slice(1)).toStrictEqual([
      'no gap ranges',
      'note: the window holds no rows at all (never a pass)',
      '',
    ]);
  });
});
