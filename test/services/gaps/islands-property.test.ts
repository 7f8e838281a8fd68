/**
 * The check judged in Athena (islands.ts) against the in-service engine (compute.ts, the reference) on
 * generated datasets: random groups and bucket counts with planted missing, thin, absent and edge cases, every
 * calendar kind (none, weekdays, sessions off the bucket grid, holidays), zones with DST at 02:00 and at
 * midnight, half- and quarter-hour offsets and a 30-minute DST shift, startsAt and looked-up series starts,
 * settling and future buckets, NULL timestamps and groups, partition bounds, and the three timestamp types.
 * Each case is a table made through the embedded Athena endpoint (CTAS); both checks run their own SQL on it,
 * and the reports must be equal field by field (series aside, which only the engine makes).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import type { AthenaClient } from '@aws-sdk/client-athena';
import { startEmbedded, type EmbeddedEndpoint } from '../../../src/embedded/server';
import { alignWindow, GapEngine } from '../../../src/services/gaps/compute';
import { completenessQuery } from '../../../src/services/gaps/query';
import { toCountRows } from '../../../src/services/gaps/count-rows';
import { islandsQuery, judgeIslands, toIslandFacts } from '../../../src/services/gaps/islands';
import { BUCKET_MS, parseDatasets, WEEKDAYS, type Bucket } from '../../../src/services/gaps/dataset';
import { zoneFor } from '../../../src/services/time/zone';
import { mulberry32 } from '../../../src/services/random';
import { athenaClient, runQuery } from './helpers';

const DAY = 86_400_000;

/** Zones by kind: none, DST at 02:00, at midnight, a 30-minute DST shift, :30 and :45 offsets, European DST. */
const ZONES = ['UTC', 'America/New_York', 'America/Santiago', 'Australia/Lord_Howe', 'Asia/Kolkata', 'Asia/Kathmandu', 'Europe/London'] as const;
/** Instants around which windows start: each zone's 2024 transitions, and ordinary days. */
const ANCHORS = [
  '2024-03-10T07:00:00Z', '2024-11-03T06:00:00Z', '2024-04-07T03:00:00Z', '2024-09-08T04:00:00Z',
  '2024-04-06T15:00:00Z', '2024-10-05T15:30:00Z', '2024-03-31T01:00:00Z', '2024-10-27T01:00:00Z', '2024-06-12T00:00:00Z',
].map((s) => Date.parse(s));

interface Case {
  bucket: Bucket;
  timezone: string;
  /** Session minutes are relative to the local time the window starts at. */
  calendar: { days: string[]; open?: number; close?: number; holidays: number[] } | undefined;
  anchor: number;
  /** Minutes before the anchor the requested window starts, and how many buckets it spans. */
  lead: number;
  buckets: number;
  /** Minutes the requested ends move inside their buckets (the window is aligned outward). */
  skew: [number, number];
  expectedPerBucket: number;
  minRatio: number;
  settle: string;
  /** Where now falls, as a fraction of the window plus a day. */
  nowAt: number;
  groups: string[];
  configured: 'none' | 'exact' | 'more';
  restrict: boolean;
  startsAt: 'none' | 'all' | 'some';
  startsAtAt: number[];
  lookup: boolean;
  type: 'timestamp' | 'timestamp with time zone' | 'date';
  partition: boolean;
  /** Per group and bucket: what the bucket holds. */
  cells: number[][];
  nulls: [number, number];
  seed: number;
}

const clock = (m: number) => `${String(Math.floor(m / 60)).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    bucket: fc.constantFrom<Bucket>('1m', '5m', '15m', '1h', '1h', '1d'),
    timezone: fc.constantFrom(...ZONES),
    calendarKind: fc.constantFrom('none', 'none', 'days', 'session', 'holidays'),
    days: fc.subarray([...WEEKDAYS], { minLength: 1 }),
    /** Session open, minutes after the window's first local midnight (so sessions meet the window). */
    open: fc.integer({ min: -120, max: 180 }),
    length: fc.integer({ min: 1, max: 12 * 60 }),
    holidays: fc.array(fc.integer({ min: -3, max: 8 }), { maxLength: 3 }),
    anchor: fc.constantFrom(...ANCHORS),
    lead: fc.integer({ min: 0, max: 3 * 24 * 60 }),
    buckets: fc.integer({ min: 1, max: 80 }),
    skew: fc.tuple(fc.integer({ min: 0, max: 59 }), fc.integer({ min: 0, max: 59 })),
    expectedPerBucket: fc.constantFrom(1, 2, 3, 2.5),
    minRatio: fc.constantFrom(1, 0.8, 0.5, 0.34),
    settle: fc.constantFrom('0s', '15m', '3h'),
    nowAt: fc.oneof({ arbitrary: fc.integer({ min: 0, max: 120 }).map((p) => p / 100), weight: 2 }, { arbitrary: fc.constant(50), weight: 3 }),
    groups: fc.subarray(['A', 'B', 'C', 'constructor'], { minLength: 0 }),
    configured: fc.constantFrom('none', 'exact', 'more'),
    restrict: fc.boolean(),
    startsAt: fc.constantFrom('none', 'none', 'all', 'some'),
    startsAtAt: fc.array(fc.integer({ min: -20, max: 120 }).map((p) => p / 100 + 0.00123), { minLength: 4, maxLength: 4 }),
    lookup: fc.boolean(),
    typePick: fc.constantFrom('timestamp', 'timestamp', 'timestamp with time zone', 'date'),
    partition: fc.boolean(),
    cells: fc.array(fc.array(fc.oneof({ arbitrary: fc.constant(-1), weight: 6 }, { arbitrary: fc.integer({ min: 0, max: 5 }), weight: 4 }), { minLength: 90, maxLength: 90 }), {
      minLength: 4,
      maxLength: 4,
    }),
    nulls: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 0, max: 2 })),
    seed: fc.integer(),
  })
  .map((r) => {
    const bucket: Bucket = r.typePick === 'date' ? '1d' : r.bucket;
    const daily = bucket === '1d';
    const calendar =
      r.calendarKind === 'none'
        ? undefined
        : {
            days: r.days,
            ...(r.calendarKind === 'session' && !daily ? { open: r.open, close: r.open + r.length } : {}),
            holidays: r.calendarKind === 'holidays' ? r.holidays : [],
          };
    // Windows of daily buckets start a few days before the anchor; of minute buckets, within the hours around it.
    const lead = daily ? r.lead * 4 : bucket === '1m' || bucket === '5m' ? r.lead % 180 : r.lead;
    return {
      bucket,
      timezone: r.timezone,
      calendar,
      anchor: r.anchor,
      lead,
      buckets: daily ? Math.min(r.buckets, 20) : r.buckets,
      skew: r.skew,
      expectedPerBucket: r.expectedPerBucket,
      minRatio: r.minRatio,
      settle: r.settle,
      nowAt: r.nowAt,
      groups: r.groups,
      configured: r.configured,
      restrict: r.restrict,
      startsAt: r.startsAt,
      startsAtAt: r.startsAtAt,
      lookup: r.lookup,
      type: r.typePick as Case['type'],
      partition: r.partition,
      cells: r.cells,
      nulls: r.nulls,
      seed: r.seed,
    };
  });

/** The case's calendar as config: holidays as days after the window's first local date, a session around its start. */
function calendarOf(calendar: NonNullable<Case['calendar']>, wall: number): Record<string, unknown> {
  const firstDay = Math.floor(wall / DAY);
  const minute = Math.floor((wall - firstDay * DAY) / 60_000);
  const session =
    calendar.open === undefined
      ? {}
      : (() => {
          const open = Math.min(Math.max(0, minute + calendar.open), 23 * 60);
          return { open: clock(open), close: clock(Math.min(24 * 60, open + (calendar.close! - calendar.open))) };
        })();
  return { days: calendar.days, ...session, holidays: calendar.holidays.map((d) => new Date((firstDay + d) * DAY).toISOString().slice(0, 10)) };
}

function stamp(ms: number): string {
  return new Date(ms).toISOString().replace('T', ' ').replace('Z', '');
}

describe('the check judged in Athena matches the in-service engine', () => {
  let dir: string;
  let endpoint: EmbeddedEndpoint;
  let athena: AthenaClient;
  let tables = 0;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gapwatch-islands-'));
    endpoint = await startEmbedded({ port: 0, dataDir: join(dir, 'data') });
    athena = athenaClient(endpoint.url);
  });

  afterAll(async () => {
    athena?.destroy();
    await endpoint?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function check(c: Case): Promise<void> {
    const step = BUCKET_MS[c.bucket];
    const zone = zoneFor(c.timezone);
    const requested = { from: c.anchor - c.lead * 60_000 + c.skew[0] * 1000, to: 0 };
    requested.to = requested.from + c.buckets * step - c.skew[1] * 1000;
    if (requested.to <= requested.from) requested.to = requested.from + 1;
    const window = { from: zone.floorBoundary(requested.from, step), to: zone.ceilBoundary(requested.to, step) };
    const span = window.to - window.from;
    const at = (f: number) => window.from + Math.floor(f * span);
    const table = `prop_${++tables}`;
    const dataset = parseDatasets(
      [
        {
          name: 'prop',
          database: 'default',
          table,
          timestampColumn: 'ts',
          groupColumn: 'symbol',
          bucket: c.bucket,
          expectedPerBucket: c.expectedPerBucket,
          minRatio: c.minRatio,
          timezone: c.timezone,
          settle: c.settle,
          ...(c.type === 'timestamp' ? {} : { timestampType: c.type }),
          ...(c.partition ? { partition: { column: 'dt' } } : {}),
          ...(c.calendar ? { calendar: calendarOf(c.calendar, zone.wallAt(window.from)) } : {}),
          ...(c.configured === 'none' ? {} : { groups: c.configured === 'exact' && c.groups.length > 0 ? c.groups : [...c.groups, 'Y'] }),
          ...(c.startsAt === 'all'
            ? { startsAt: new Date(at(c.startsAtAt[0]!)).toISOString() }
            : c.startsAt === 'some'
              ? { startsAt: Object.fromEntries(c.groups.slice(0, 2).map((g, i) => [g, new Date(at(c.startsAtAt[i]!)).toISOString()])) }
              : {}),
          maxWindow: '400d',
        },
      ],
      new Set(),
    )[0]!;
    expect(alignWindow(dataset, requested.from, requested.to)).toStrictEqual(window);

    // The rows: per group and bucket of the grid, a full bucket (-1) or that many rows, at pseudo-random instants
    // inside the bucket (so a series may begin mid-bucket); a few rows outside the window, NULL timestamps (with
    // a partition inside or outside the window) and NULL groups.
    const random = mulberry32(c.seed);
    const values: string[] = [];
    const row = (symbol: string | null, ms: number | null) => {
      const sym = symbol === null ? 'CAST(NULL AS varchar)' : `'${symbol}'`;
      const ts =
        ms === null
          ? `CAST(NULL AS ${c.type})`
          : c.type === 'date'
            ? `CAST('${new Date(zone.wallAt(ms)).toISOString().slice(0, 10)}' AS date)`
            : `CAST('${stamp(ms)}' AS ${c.type})`;
      const dt = `'${new Date(ms ?? window.from + Math.floor(random() * 3 - 1) * span).toISOString().slice(0, 10)}'`;
      values.push(`(${sym}, ${ts}, ${dt})`);
    };
    const bounds: number[] = [window.from];
    while (bounds[bounds.length - 1]! < window.to) bounds.push(zone.ceilBoundary(bounds[bounds.length - 1]! + 1, step));
    const full = Math.ceil(c.expectedPerBucket);
    c.groups.forEach((g, gi) => {
      for (let i = 0; i + 1 < bounds.length; i++) {
        const cell = c.cells[gi]![i % c.cells[gi]!.length]!;
        const count = cell < 0 ? full + (random() < 0.2 ? 1 : 0) : cell;
        const len = bounds[i + 1]! - bounds[i]!;
        for (let k = 0; k < count; k++) row(g, bounds[i]! + Math.floor(random() * len));
      }
      if (random() < 0.3) row(g, window.from - 1 - Math.floor(random() * DAY));
      if (random() < 0.3) row(g, window.to + Math.floor(random() * DAY));
    });
    for (let k = 0; k < c.nulls[0]; k++) row(c.groups[0] ?? 'A', null);
    for (let k = 0; k < c.nulls[1]; k++) row(null, window.from + Math.floor(random() * span));
    const ctas =
      values.length === 0
        ? `CREATE TABLE "default".${table} AS SELECT CAST(NULL AS varchar) AS symbol, CAST(NULL AS ${c.type}) AS ts, CAST(NULL AS varchar) AS dt WHERE false`
        : `CREATE TABLE "default".${table} AS SELECT * FROM (VALUES ${values.join(', ')}) AS t (symbol, ts, dt)`;
    await runQuery(athena, { sql: ctas, parameters: [] });

    const now = c.nowAt === 50 ? window.to + 50 * DAY : window.from + Math.floor(c.nowAt * (span + DAY));
    const groups = c.restrict ? c.groups.slice(0, 1).concat(['Z']) : undefined;
    const seriesStarts = c.lookup ? new Map(c.groups.filter((_, i) => i % 2 === 0).map((g, i) => [g, window.from - (i + 1) * 3_600_000 - 1] as const)) : undefined;
    const input = { dataset, from: requested.from, to: requested.to, now, ...(groups ? { groups } : {}), ...(seriesStarts ? { seriesStarts } : {}) };

    const engine = new GapEngine();
    const reference = engine.compute({ ...input, rows: toCountRows(dataset, await runQuery(athena, completenessQuery(dataset, window))) });
    const query = islandsQuery(dataset, engine.gridFor(dataset, window.from, window.to));
    const facts = toIslandFacts(dataset, await runQuery(athena, query));
    const pushed = judgeIslands(new GapEngine(), { ...input, facts });
    expect(pushed).toStrictEqual(reference);
  }

  it('on generated datasets, range by range and count by count', async () => {
    await fc.assert(fc.asyncProperty(caseArb, check), { numRuns: Number(process.env.ISLANDS_RUNS ?? 60), seed: process.env.ISLANDS_SEED ? Number(process.env.ISLANDS_SEED) : undefined });
  }, 300_000);
});
