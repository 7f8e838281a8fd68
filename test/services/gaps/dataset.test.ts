import { parse } from 'yaml';
import { ConfigError } from '../../../src/errors';
import { parseDatasets } from '../../../src/services/gaps/dataset';
import { parseDuration } from '../../../src/services/time/duration';
import { NAMED_QUERIES, t } from './helpers';

const YAML = `
datasets:
  - name: stock_ticks
    database: market
    table: ticks
    timestampColumn: capture_datetime
    groupColumn: symbol
    groups: [AMZN, GOOG, WORK]
    bucket: 1h
    expectedPerBucket: 60
    minRatio: 0.8
    timezone: America/New_York
    calendar:
      days: [mon, tue, wed, thu, fri]
      open: "09:30"
      close: "16:00"
      holidays: [2024-12-25]
    settle: 15m
    schedule: 1h
  - name: seed_hourly
    shape: wide
    query: hourly_counts
    timeColumn: capture_datetime_hour
    wideColumns: "{group}_CNT"
    bucket: 1h
    expectedPerBucket: 60
    startsAt: 2020-06-17T21:00:00Z
`;

describe('parseDatasets', () => {
  it('reads the documented example with its defaults', () => {
    const raw = parse(YAML) as { datasets: unknown };
    expect(parseDatasets(raw.datasets, NAMED_QUERIES)).toStrictEqual([
      {
        name: 'stock_ticks',
        shape: 'long',
        database: 'market',
        table: 'ticks',
        timestampColumn: 'capture_datetime',
        groupColumn: 'symbol',
        groups: ['AMZN', 'GOOG', 'WORK'],
        bucket: '1h',
        bucketMs: 3_600_000,
        expectedPerBucket: 60,
        minRatio: 0.8,
        timezone: 'America/New_York',
        calendar: { days: ['mon', 'tue', 'wed', 'thu', 'fri'], open: '09:30', close: '16:00', openMinute: 570, closeMinute: 960, holidays: ['2024-12-25'] },
        settleMs: 900_000,
        scheduleMs: 3_600_000,
        maxWindowMs: 31 * 86_400_000,
        maxCheckWindowMs: 3660 * 86_400_000,
        seriesLookbackMs: 31 * 86_400_000,
        checkWindowMs: 86_400_000,
      },
      {
        name: 'seed_hourly',
        shape: 'wide',
        query: 'hourly_counts',
        wide: { timeColumn: 'capture_datetime_hour', groupColumns: '{group}_CNT' },
        bucket: '1h',
        bucketMs: 3_600_000,
        expectedPerBucket: 60,
        minRatio: 1,
        timezone: 'UTC',
        settleMs: 900_000,
        startsAt: '2020-06-17T21:00:00Z',
        startsAtMs: { all: t('2020-06-17T21:00:00Z'), byGroup: new Map() },
        maxWindowMs: 31 * 86_400_000,
        maxCheckWindowMs: 3660 * 86_400_000,
        seriesLookbackMs: 31 * 86_400_000,
        checkWindowMs: 86_400_000,
      },
    ]);
  });

  it('reads a zone-less startsAt as wall time in the dataset zone', () => {
    const [d] = parseDatasets([{ name: 'x', table: 't', timestampColumn: 'ts', groupColumn: 'g', bucket: '1d', expectedPerBucket: 1, timezone: 'America/New_York', startsAt: { A: '2024-03-10', B: '2024-03-10T02:30' } }], NAMED_QUERIES);
    // 02:30 did not exist that night: the clock reached it at the 03:00 EDT jump (07:00Z).
    expect(d!.startsAtMs).toStrictEqual({ byGroup: new Map([['A', t('2024-03-10T05:00:00Z')], ['B', t('2024-03-10T07:00:00Z')]]) });
  });

  it('is empty when the section is absent', () => {
    expect(parseDatasets(undefined, NAMED_QUERIES)).toStrictEqual([]);
  });

  const base = { name: 'stock_ticks', database: 'market', table: 'ticks', timestampColumn: 'capture_datetime', groupColumn: 'symbol', bucket: '1h', expectedPerBucket: 60 };
  const cases: [string, Record<string, unknown>, string][] = [
    ['a bucket not in the list', { bucket: '2h' }, "datasets[0] (stock_ticks).bucket: expected one of 1m | 5m | 15m | 1h | 1d, got '2h'"],
    ['a key of the wrong type', { expectedPerBucket: '60' }, "datasets[0] (stock_ticks).expectedPerBucket: expected a number > 0, got '60'"],
    ['a ratio out of range', { minRatio: 1.5 }, 'datasets[0] (stock_ticks).minRatio: expected a number in (0, 1], got 1.5'],
    ['an identifier that is not plain SQL', { table: 'ticks; DROP TABLE x' }, "datasets[0] (stock_ticks).table: expected a plain SQL identifier [A-Za-z_][A-Za-z0-9_]*, got 'ticks; DROP TABLE x'"],
    ['a quoted identifier', { timestampColumn: '"ts"' }, `datasets[0] (stock_ticks).timestampColumn: expected a plain SQL identifier [A-Za-z_][A-Za-z0-9_]*, got '"ts"'`],
    ['an unknown IANA zone', { timezone: 'Mars/Olympus' }, "datasets[0] (stock_ticks).timezone: expected an IANA zone like UTC or America/New_York, got 'Mars/Olympus'"],
    ['a bad duration', { settle: '15 minutes' }, "datasets[0] (stock_ticks).settle: expected a duration like 15m, 1h or 7d, got '15 minutes'"],
    ['an unknown key', { bukcet: '1h' }, 'datasets[0] (stock_ticks).bukcet: unknown key (known: '],
    ['a missing table', { table: undefined }, 'datasets[0] (stock_ticks).table: required for a long dataset'],
    ['an unquoted YAML 1.1 clock (sexagesimal 570)', { calendar: { open: 570, close: '16:00' } }, 'datasets[0] (stock_ticks).calendar.open: expected a quoted local time "HH:MM" (00:00 to 24:00), got 570'],
    ['a close before open', { calendar: { open: '16:00', close: '09:30' } }, "datasets[0] (stock_ticks).calendar.close: expected a time after open 16:00 (sessions across midnight are not supported), got '09:30'"],
    ['a bad weekday', { calendar: { days: ['mon', 'funday'] } }, "datasets[0] (stock_ticks).calendar.days[1]: expected one of sun | mon | tue | wed | thu | fri | sat, got 'funday'"],
    ['a bad holiday', { calendar: { holidays: ['2024-02-30'] } }, "datasets[0] (stock_ticks).calendar.holidays[0]: expected a date YYYY-MM-DD, got '2024-02-30'"],
    ['a window of too many buckets', { bucket: '1m', maxWindow: '1000w' }, "datasets[0] (stock_ticks).maxWindow: at most 1000000 buckets of 1m (694d10h40m), got '1000w'"],
    ['a check window of too many buckets', { bucket: '1m', maxCheckWindow: '1000w' }, "datasets[0] (stock_ticks).maxCheckWindow: at most 1000000 buckets of 1m (694d10h40m), got '1000w'"],
    ['a check window under maxWindow', { maxWindow: '60d', maxCheckWindow: '30d' }, "datasets[0] (stock_ticks).maxCheckWindow: must be at least maxWindow (60d), got '30d'"],
    ['a bad startsAt', { startsAt: { AMZN: 'yesterday' } }, "datasets[0] (stock_ticks).startsAt.AMZN: expected an ISO date or date-time (zone optional, default UTC), got 'yesterday'"],
    ['a date timestamp column with intraday buckets', { timestampType: 'date' }, "datasets[0] (stock_ticks).timestampType: a date column holds whole days: bucket must be 1d, got '1h'"],
    ['an unknown timestamp type', { timestampType: 'datetime' }, "datasets[0] (stock_ticks).timestampType: expected one of timestamp | timestamp with time zone | date, got 'datetime'"],
    ['a partition without a column', { partition: { format: 'yyyy-MM-dd' } }, 'datasets[0] (stock_ticks).partition.column: expected a plain SQL identifier'],
    ['a little-endian partition format', { partition: { column: 'dt', format: 'dd-MM-yyyy' } }, 'datasets[0] (stock_ticks).partition.format: fields must run from the year down without gaps'],
    ['a date partition not formatted yyyy-MM-dd', { partition: { column: 'dt', format: 'yyyyMMdd', type: 'date' } }, "datasets[0] (stock_ticks).partition.format: a date partition is formatted yyyy-MM-dd, got 'yyyyMMdd'"],
  ];
  it.each(cases)('rejects %s, naming the dataset and the key', (_, change, message) => {
    const entry: Record<string, unknown> = { ...base, ...change };
    for (const key of Object.keys(entry)) if (entry[key] === undefined) delete entry[key];
    expect(() => parseDatasets([entry], NAMED_QUERIES)).toThrow(ConfigError);
    expect(() => parseDatasets([entry], NAMED_QUERIES)).toThrow(message);
  });

  it('rejects a duplicate name', () => {
    expect(() => parseDatasets([base, { ...base }], NAMED_QUERIES)).toThrow(new ConfigError('datasets[1] (stock_ticks).name: duplicate of datasets[0]'));
  });

  it('rejects a wide dataset naming an unknown named query', () => {
    const wide = { name: 'w', shape: 'wide', query: 'nope', timeColumn: 'h', bucket: '1h', expectedPerBucket: 60 };
    expect(() => parseDatasets([wide], NAMED_QUERIES)).toThrow(new ConfigError("datasets[0] (w).query: unknown named query 'nope' (known: hourly_counts)"));
  });

  it('rejects a wide column pattern without exactly one {group}', () => {
    const wide = { name: 'w', shape: 'wide', query: 'hourly_counts', timeColumn: 'h', wideColumns: 'CNT', bucket: '1h', expectedPerBucket: 60 };
    expect(() => parseDatasets([wide], NAMED_QUERIES)).toThrow(new ConfigError("datasets[0] (w).wideColumns: expected a pattern with exactly one {group}, got 'CNT'"));
  });

  it('names the entry by position when it has no usable name', () => {
    expect(() => parseDatasets([{ ...base, name: 42 }], NAMED_QUERIES)).toThrow(new ConfigError('datasets[0].name: expected a non-empty string, got 42'));
    expect(() => parseDatasets(['x'], NAMED_QUERIES)).toThrow(new ConfigError("datasets[0]: expected a mapping, got 'x'"));
  });
});

describe('parseDuration', () => {
  it('reads the forms operators write and nothing else', () => {
    expect(['15m', '1h', '7d', '1h30m', '90s', '2w', '250ms'].map(parseDuration)).toStrictEqual([900_000, 3_600_000, 604_800_000, 5_400_000, 90_000, 1_209_600_000, 250]);
    expect(['', '1.5h', '-1h', '1 h', 'h', '2hours'].map(parseDuration)).toStrictEqual([undefined, undefined, undefined, undefined, undefined, undefined]);
  });
});
