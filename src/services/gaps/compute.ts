/**
 * The gap engine: count rows + dataset + window + now → GapReport. Pure: no I/O, no clock (`now` is
 * an argument), so the same input always gives the same report, whatever the row order.
 *
 * Semantics in brief (docs/gaps.md has the reasoning):
 * - The window [from, to) is aligned outward to bucket boundaries in the dataset zone.
 * - A bucket is expected when the calendar is open in it and the group's series has begun.
 * - MISSING: an expected bucket with no rows; UNDERFILLED: fewer than expected × minRatio.
 * - PARTIAL_EDGE (informational): the bucket where a series began mid-bucket, and a bucket still
 *   inside `settle`, when under the threshold.
 * - Runs of one kind merge across buckets the calendar does not expect (a Friday-to-Monday outage
 *   is one range); an OK bucket or a different kind ends a run.
 */
import type { Bucket, Dataset } from './dataset';
import type { CountRow } from './rows';
import { zoneFor } from '../time/zone';

const DAY_MS = 86_400_000;
/** Counts are integers and thresholds products of decimals: 0.8 × 55 must not read as 44.000…01. */
const EPSILON = 1e-9;

export type BucketStatus = 'OK' | 'MISSING' | 'UNDERFILLED' | 'PARTIAL_EDGE' | 'NOT_EXPECTED' | 'SETTLING';

interface RangeBase {
  readonly group: string;
  /** ISO instant of the first bucket's start. */
  readonly start: string;
  /** ISO instant of the last bucket's end (exclusive). */
  readonly end: string;
  /** Expected buckets in the range (calendar-closed buckets inside it are not counted). */
  readonly buckets: number;
  readonly expected: number;
  readonly observed: number;
}
export interface MissingRange extends RangeBase {
  readonly kind: 'MISSING';
  /** The group had no rows at all in the window. */
  readonly absent: boolean;
}
export interface UnderfilledRange extends RangeBase {
  readonly kind: 'UNDERFILLED';
}
export interface PartialEdgeRange extends RangeBase {
  readonly kind: 'PARTIAL_EDGE';
  /** SERIES_START: the series began inside the bucket; SETTLING: the bucket may still be filling. */
  readonly reason: 'SERIES_START' | 'SETTLING';
}
export type GapRange = MissingRange | UnderfilledRange | PartialEdgeRange;
export type GapKind = GapRange['kind'];

export interface SeriesBucket {
  readonly start: string;
  readonly count: number;
  readonly expected: number;
  readonly status: BucketStatus;
}
export interface GroupSeries {
  readonly group: string;
  readonly buckets: readonly SeriesBucket[];
}

export interface GapReport {
  readonly dataset: string;
  readonly bucket: Bucket;
  readonly timezone: string;
  /** The aligned window actually judged (ISO). */
  readonly from: string;
  readonly to: string;
  /** OK when there is no MISSING or UNDERFILLED range and the window is not silently empty. */
  readonly status: 'OK' | 'GAPS';
  /** No row at all in the window (not even NULL ones). */
  readonly noData: boolean;
  /** Expected buckets judged, summed over groups (settling and not-expected buckets excluded). */
  readonly checkedBuckets: number;
  readonly ranges: readonly GapRange[];
  readonly nullTimestampRows: number;
  readonly nullGroupRows: number;
  /** Rows in buckets the calendar does not expect (weekends, holidays, closed hours). */
  readonly outsideCalendarRows: number;
  /** Rows of groups outside the judged list (configured `groups` or the `groups` restriction). */
  readonly unlistedGroupRows: number;
  /** Per-group bucket series for plotting; empty unless asked for (`series: true`). */
  readonly series: readonly GroupSeries[];
}

export interface ComputeGapsInput {
  readonly dataset: Dataset;
  /** Epoch ms; aligned outward to bucket boundaries. */
  readonly from: number;
  readonly to: number;
  readonly now: number;
  readonly rows: readonly CountRow[];
  /** Judge only these groups (each is then expected, like configured groups). */
  readonly groups?: readonly string[];
  /**
   * Result of seriesStartQuery (group → earliest timestamp in the lookback). When given, a group
   * missing from it began at its first row in the window. When not given, a long dataset's groups
   * are assumed to have begun before the window.
   */
  readonly seriesStarts?: ReadonlyMap<string, number>;
  /** Include per-bucket series (costly for wide windows: one object per group-bucket). */
  readonly series?: boolean;
}

function assertNever(value: never): never {
  throw new TypeError(`unhandled case: ${JSON.stringify(value)}`);
}

/** The window [from, to) aligned outward to bucket boundaries in the dataset zone. */
export function alignWindow(dataset: Dataset, from: number, to: number): { from: number; to: number } {
  const zone = zoneFor(dataset.timezone);
  return { from: zone.floorBoundary(from, dataset.bucketMs), to: zone.ceilBoundary(to, dataset.bucketMs) };
}

/** Why a requested window cannot be judged, for the API edge to turn into BAD_USER_INPUT; undefined when fine. */
export function windowProblem(dataset: Dataset, from: number, to: number): string | undefined {
  if (!Number.isFinite(from) || !Number.isFinite(to)) return 'from and to must be valid instants';
  if (from >= to) return `from (${new Date(from).toISOString()}) must be before to (${new Date(to).toISOString()})`;
  if (to - from > dataset.maxWindowMs) {
    return `window of ${Math.ceil((to - from) / 3_600_000)}h exceeds maxWindow of ${dataset.maxWindowMs / 3_600_000}h for dataset ${dataset.name}`;
  }
  return undefined;
}

interface Grid {
  /** n + 1 boundaries: bucket i is [bounds[i], bounds[i + 1]). */
  readonly bounds: Float64Array;
  readonly n: number;
  /** Expected rows per bucket; 0 = the calendar does not expect this bucket. */
  readonly expected: Float64Array;
  /** True when every bucket is bucketMs long, so a row's bucket is one division away. */
  readonly uniform: boolean;
}

const gridCache = new Map<string, Grid>();

/** Bucket boundaries and calendar expectations for a window, shared by every group (and cached: the bench and the scheduler ask for the same windows). */
function gridFor(dataset: Dataset, from: number, to: number): Grid {
  const key = `${dataset.name}\u0000${dataset.timezone}\u0000${dataset.bucketMs}\u0000${dataset.expectedPerBucket}\u0000${JSON.stringify(dataset.calendar ?? null)}\u0000${from}\u0000${to}`;
  const cached = gridCache.get(key);
  if (cached !== undefined) return cached;
  const zone = zoneFor(dataset.timezone);
  const step = dataset.bucketMs;
  const list: number[] = [from];
  let uniform = true;
  for (let b = from; b < to; ) {
    const next = zone.ceilBoundary(b + 1, step);
    if (next - b !== step) uniform = false;
    list.push(next);
    b = next;
  }
  const n = list.length - 1;
  const bounds = Float64Array.from(list);
  const expected = new Float64Array(n);
  const calendar = dataset.calendar;
  const full = dataset.expectedPerBucket;
  if (calendar === undefined) {
    expected.fill(full);
  } else {
    const days = new Set(calendar.days);
    const holidays = new Set(calendar.holidays.map((d) => Math.floor(Date.parse(`${d}T00:00:00Z`) / DAY_MS)));
    const weekdays = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
    const bucketMinutes = step / 60_000;
    for (let i = 0; i < n; i++) {
      const wall = zone.wallAt(bounds[i]!);
      const day = Math.floor(wall / DAY_MS);
      // 1970-01-01 was a Thursday.
      if (!days.has(weekdays[(((day + 4) % 7) + 7) % 7]!) || holidays.has(day)) continue;
      if (step >= DAY_MS) {
        // A daily bucket is one trading day, whatever its length (23 h / 25 h on DST days).
        expected[i] = full;
        continue;
      }
      const minute = (wall - day * DAY_MS) / 60_000;
      const overlap = Math.min(minute + bucketMinutes, calendar.closeMinute) - Math.max(minute, calendar.openMinute);
      // A bucket the session only partly covers (09:00 for a 09:30 open) expects its open share.
      if (overlap > 0) expected[i] = (full * overlap) / bucketMinutes;
    }
  }
  const grid: Grid = { bounds, n, expected, uniform };
  if (gridCache.size > 256) gridCache.clear();
  gridCache.set(key, grid);
  return grid;
}

interface GroupAcc {
  /** This group's counts live at scratch[slot × n, (slot + 1) × n). */
  readonly slot: number;
  /** Rows with a positive count inside the window. */
  total: number;
  /** Earliest instant with data (firstAt, else the row's bucket) before `to`, including before the window. */
  earliest: number;
  /** earliest came from a row's firstAt (a true timestamp), not just its bucket start. */
  earliestExact: boolean;
}

/**
 * Per-(group, bucket) counts for one call, reused across calls. A year of hourly buckets for 500
 * groups is 35 MB; allocating that per call made the garbage collector re-mark the caller's
 * millions of row objects every other call, which cost more than the whole computation. Safe to
 * share because computeGaps is synchronous and never re-entered.
 */
let scratch = new Float64Array(0);
/** Above this (doubles, 128 MB) the buffer is dropped after the call instead of kept. */
const SCRATCH_KEEP = 16_000_000;

function newAcc(slot: number, n: number): GroupAcc {
  const need = (slot + 1) * n;
  if (scratch.length < need) {
    const grown = new Float64Array(Math.max(need, scratch.length * 2, 1024));
    grown.set(scratch.subarray(0, slot * n));
    scratch = grown;
  }
  scratch.fill(0, slot * n, need);
  return { slot, total: 0, earliest: Infinity, earliestExact: false };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Rounds float noise out of summed fractional expectations (prorated session buckets). */
function tidy(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

type RunKind = 'MISSING' | 'UNDERFILLED' | 'SERIES_START' | 'SETTLING';

export function computeGaps(input: ComputeGapsInput): GapReport {
  const { dataset, now, rows } = input;
  const problem = windowProblem(dataset, input.from, input.to);
  if (problem !== undefined) throw new RangeError(problem);
  const { from, to } = alignWindow(dataset, input.from, input.to);
  const grid = gridFor(dataset, from, to);
  const { bounds, n, expected } = grid;
  const step = dataset.bucketMs;
  const minRatio = dataset.minRatio;

  const listed = input.groups ?? dataset.groups;
  const accs = new Map<string, GroupAcc>();
  if (listed !== undefined) for (const g of listed) if (!accs.has(g)) accs.set(g, newAcc(accs.size, n));
  // The series start is read off the rows only when no lookup and no config gives it.
  const trackStarts = input.seriesStarts !== undefined || dataset.shape === 'wide';

  let nullTimestampRows = 0;
  let nullGroupRows = 0;
  let unlistedGroupRows = 0;
  let anyRow = false;

  // Hot loop: rows usually arrive grouped, so the map lookup is skipped while the group repeats.
  let lastGroup: string | null = null;
  let acc: GroupAcc | undefined;
  let base = 0;
  let counts = scratch;
  const first = bounds[0]!;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r]!;
    const count = row.count;
    const at = row.at;
    const group = row.group;
    if (at === null || group === null) {
      // A NULL-timestamp row is only in scope because the query asked for it; count it either way.
      if (at === null) nullTimestampRows += count;
      if (group === null && (at === null || (at >= from && at < to))) nullGroupRows += count;
      if (count > 0 && (at === null || (at >= from && at < to))) anyRow = true;
      continue;
    }
    if (at >= to) continue;
    if (group !== lastGroup || acc === undefined) {
      lastGroup = group;
      acc = accs.get(group);
      if (acc === undefined && listed === undefined) {
        acc = newAcc(accs.size, n);
        accs.set(group, acc);
      }
      base = acc === undefined ? 0 : acc.slot * n;
      counts = scratch;
    }
    if (acc === undefined) {
      if (at >= from) {
        unlistedGroupRows += count;
        if (count > 0) anyRow = true;
      }
      continue;
    }
    if (trackStarts && count > 0) {
      const firstAt = row.firstAt;
      const earliest = firstAt ?? at;
      if (earliest < acc.earliest) {
        acc.earliest = earliest;
        acc.earliestExact = firstAt !== undefined && firstAt !== null;
      }
    }
    if (at < from) continue;
    let i = Math.floor((at - first) / step);
    if (!grid.uniform) {
      if (i >= n) i = n - 1;
      while (i > 0 && bounds[i]! > at) i--;
      while (bounds[i + 1]! <= at) i++;
    }
    counts[base + i]! += count;
    acc.total += count;
    if (count > 0) anyRow = true;
  }

  // Buckets ending after now − settle may still be filling; those starting at or after now have not happened.
  const settleLine = now - dataset.settleMs;
  let settleFrom = n;
  while (settleFrom > 0 && bounds[settleFrom]! > settleLine) settleFrom--;
  let futureFrom = n;
  while (futureFrom > 0 && bounds[futureFrom - 1]! >= now) futureFrom--;

  const groups = [...accs.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const ranges: GapRange[] = [];
  const series: GroupSeries[] = [];
  const wantSeries = input.series === true;
  const startsAt = dataset.startsAtMs;
  let checkedBuckets = 0;
  let outsideCalendarRows = 0;

  for (const group of groups) {
    const a = accs.get(group)!;
    const offset = a.slot * n;
    const listedGroup = listed !== undefined;
    // Where the series begins: configured startsAt, else the bounded lookup, else (wide, or a
    // group the lookup did not find) its first data; a listed group with no data at all is
    // expected over the whole window, because silence is never a pass.
    let start = startsAt?.byGroup[group] ?? startsAt?.all;
    // A start read off a pre-aggregated bucket (wide rows) says the series began somewhere in it.
    let startInexact = false;
    if (start === undefined) {
      const found = input.seriesStarts?.get(group) ?? Infinity;
      if (input.seriesStarts !== undefined || dataset.shape === 'wide') {
        start = Math.min(found, a.earliest);
        startInexact = start === a.earliest && !a.earliestExact;
      } else {
        start = -Infinity;
      }
      if (start === Infinity && listedGroup) start = -Infinity;
    }
    // Index of the bucket holding the start, and whether the series began inside it.
    let startIdx: number;
    let midStart = false;
    if (start < from) startIdx = 0;
    else if (start >= to) startIdx = n;
    else {
      startIdx = Math.min(n - 1, Math.max(0, Math.floor((start - from) / step)));
      while (startIdx > 0 && bounds[startIdx]! > start) startIdx--;
      while (bounds[startIdx + 1]! <= start) startIdx++;
      midStart = startInexact || start > bounds[startIdx]!;
    }

    const buckets: SeriesBucket[] | undefined = wantSeries ? [] : undefined;
    let runKind: RunKind | undefined;
    let runStart = 0;
    let runEnd = 0;
    let runBuckets = 0;
    let runExpected = 0;
    let runObserved = 0;
    const absent = a.total === 0;

    const close = (): void => {
      if (runKind === undefined) return;
      const base = { group, start: iso(bounds[runStart]!), end: iso(bounds[runEnd + 1]!), buckets: runBuckets, expected: tidy(runExpected), observed: runObserved };
      switch (runKind) {
        case 'MISSING':
          ranges.push({ kind: 'MISSING', ...base, absent });
          break;
        case 'UNDERFILLED':
          ranges.push({ kind: 'UNDERFILLED', ...base });
          break;
        case 'SERIES_START':
        case 'SETTLING':
          ranges.push({ kind: 'PARTIAL_EDGE', ...base, reason: runKind });
          break;
        default:
          assertNever(runKind);
      }
      runKind = undefined;
    };

    for (let i = 0; i < n; i++) {
      const count = scratch[offset + i]!;
      const exp = expected[i]!;
      let status: BucketStatus;
      let kind: RunKind | undefined;
      if (exp === 0) {
        outsideCalendarRows += count;
        status = 'NOT_EXPECTED';
      } else if (i < startIdx) {
        status = 'NOT_EXPECTED';
      } else if (i >= settleFrom) {
        status = 'SETTLING';
        if (i < futureFrom && count < exp * minRatio - EPSILON) kind = 'SETTLING';
      } else {
        checkedBuckets++;
        if (count >= exp * minRatio - EPSILON) status = 'OK';
        else if (i === startIdx && midStart) {
          status = 'PARTIAL_EDGE';
          kind = 'SERIES_START';
        } else if (count === 0) status = kind = 'MISSING';
        else status = kind = 'UNDERFILLED';
      }
      if (buckets !== undefined) buckets.push({ start: iso(bounds[i]!), count, expected: tidy(exp), status });
      switch (status) {
        case 'NOT_EXPECTED':
          // The calendar was closed (or the series had not begun): the run, if any, carries on.
          continue;
        case 'OK':
          close();
          continue;
        case 'SETTLING':
        case 'PARTIAL_EDGE':
        case 'MISSING':
        case 'UNDERFILLED':
          break;
        default:
          assertNever(status);
      }
      if (kind === undefined) {
        close();
        continue;
      }
      if (kind !== runKind) {
        close();
        runKind = kind;
        runStart = i;
        runBuckets = 0;
        runExpected = 0;
        runObserved = 0;
      }
      runEnd = i;
      runBuckets++;
      runExpected += exp;
      runObserved += count;
    }
    close();
    if (buckets !== undefined) series.push({ group, buckets });
  }

  // With no rows and no listed groups there is nothing to hang a range on: the report still fails
  // when the calendar expected something in a settled part of the window.
  let expectedSomewhere = false;
  if (!anyRow && groups.length === 0) {
    for (let i = 0; i < settleFrom && !expectedSomewhere; i++) expectedSomewhere = expected[i]! > 0;
  }
  if (scratch.length > SCRATCH_KEEP) scratch = new Float64Array(0);
  const hasGaps = expectedSomewhere || ranges.some((r) => r.kind === 'MISSING' || r.kind === 'UNDERFILLED');
  return {
    dataset: dataset.name,
    bucket: dataset.bucket,
    timezone: dataset.timezone,
    from: iso(from),
    to: iso(to),
    status: hasGaps ? 'GAPS' : 'OK',
    noData: !anyRow,
    checkedBuckets,
    ranges,
    nullTimestampRows,
    nullGroupRows,
    outsideCalendarRows,
    unlistedGroupRows,
    series,
  };
}
