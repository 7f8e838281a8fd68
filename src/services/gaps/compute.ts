/**
 * The gap engine: count rows + dataset + window + now → GapReport. No I/O, no clock (`now` is an
 * argument), so the same input always gives the same report, whatever the row order. Its only state is
 * two caches owned by a `GapEngine` instance (the service keeps one for its lifetime): the bucket grids
 * of recent windows and one counts buffer reused across calls.
 *
 * Semantics in brief (docs/gaps.md has the reasoning):
 * - The window [from, to) is aligned outward to bucket boundaries in the dataset zone.
 * - A bucket is expected when the calendar is open in it and the group's series has begun.
 * - MISSING: an expected bucket with no rows; UNDERFILLED: fewer than expected × minRatio.
 * - PARTIAL_EDGE (informational): the bucket where a series began mid-bucket, and a bucket still
 *   inside `settle`, when under the threshold.
 * - Runs of one kind merge across buckets the calendar does not expect (a Friday-to-Monday outage
 *   is one range); an OK bucket or a different kind ends a run.
 * - Silence is never a pass: OK needs judged buckets, every one complete, and none still pending.
 *
 * One call, in steps: align the window and build its grid (gridFor) → add the rows up per group and
 * bucket (accumulate) → find where each series begins (seriesStart) → judge each group's buckets and
 * merge runs into ranges (judgeGroup) → the report's status (statusOf).
 */
import type { Bucket, Dataset } from './dataset';
import type { CountRow } from './count-rows';
import { zoneFor } from '../time/zone';

const DAY_MS = 86_400_000;
/** Counts are integers and thresholds products of decimals: 0.8 × 55 must not read as 44.000…01. */
export const EPSILON = 1e-9;

export type BucketStatus = 'OK' | 'MISSING' | 'UNDERFILLED' | 'PARTIAL_EDGE' | 'NOT_EXPECTED' | 'SETTLING';
export type ReportStatus = 'OK' | 'GAPS' | 'PENDING' | 'EMPTY';

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
  /**
   * GAPS: a MISSING or UNDERFILLED range, or data expected in a settled part of a window with no rows and no
   * group to hang a range on. PENDING: none of that, but expected buckets are not settled yet (inside
   * `settle`, or in the future). EMPTY: nothing was expected in the window, so nothing was judged. OK: buckets
   * were judged, all complete, none pending. Only OK is a pass.
   */
  readonly status: ReportStatus;
  /** No row at all in the window (not even NULL ones). */
  readonly noData: boolean;
  /** Expected buckets judged, summed over groups (settling and not-expected buckets excluded). */
  readonly checkedBuckets: number;
  /** Expected buckets not judged yet because they may still be filling (or have not happened), summed over groups. */
  readonly pendingBuckets: number;
  readonly ranges: readonly GapRange[];
  readonly nullTimestampRows: number;
  readonly nullGroupRows: number;
  /** Rows in buckets the calendar does not expect (weekends, holidays, closed hours). */
  readonly outsideCalendarRows: number;
  /** Rows of groups outside the judged list (configured `groups` or the `groups` restriction). */
  readonly unlistedGroupRows: number;
  /** Per-group bucket series for plotting; empty unless asked for (`series: true`). */
  readonly series: readonly GroupSeries[];
  /** The groups judged, sorted: the listed ones, or every group seen (or known to have begun) in the window. */
  readonly groups: readonly string[];
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

/**
 * The instants a window may start and end at: the SQL timestamp range (years 0001 to 9999, which Trino,
 * DuckDB and the ExecutionParameters literals share) less a day at each end, so aligning outward to a
 * bucket boundary in any zone stays inside it.
 */
export const WINDOW_MIN_MS = Date.parse('0001-01-02T00:00:00Z');
export const WINDOW_MAX_MS = Date.parse('9999-12-30T00:00:00Z');

/** Why an instant cannot bound a window (outside the SQL range), for the API edge; undefined when fine. */
export function instantProblem(ms: number): string | undefined {
  if (!Number.isFinite(ms)) return 'expected a valid instant';
  if (ms < WINDOW_MIN_MS || ms > WINDOW_MAX_MS) {
    return `expected an instant from ${iso(WINDOW_MIN_MS)} to ${iso(WINDOW_MAX_MS)} (the SQL timestamp range, less a day for bucket alignment), got ${iso(ms)}`;
  }
  return undefined;
}

/**
 * How a window is judged, which decides how long it may be: `buckets`, bucket by bucket in the service (a check
 * with series, a wide dataset, a repaired range; up to maxWindow), or `athena`, by the check's own SQL (a long
 * dataset without series, islands.ts; up to maxCheckWindow).
 */
export type WindowUse = 'buckets' | 'athena';

/** How a check of this dataset is judged: in Athena unless it asks for per-bucket series or reads a wide named query. */
export function checkUse(dataset: Dataset, series: boolean): WindowUse {
  return dataset.shape === 'long' && !series ? 'athena' : 'buckets';
}

/** Why a requested window cannot be judged, for the API edge to turn into BAD_USER_INPUT; undefined when fine. */
export function windowProblem(dataset: Dataset, from: number, to: number, use: WindowUse = 'buckets'): string | undefined {
  if (!Number.isFinite(from) || !Number.isFinite(to)) return 'from and to must be valid instants';
  const range = instantProblem(from) ?? instantProblem(to);
  if (range !== undefined) return range;
  if (from >= to) return `from (${iso(from)}) must be before to (${iso(to)})`;
  const hours = Math.ceil((to - from) / 3_600_000);
  if (use === 'athena' && to - from > dataset.maxCheckWindowMs) {
    return `window of ${hours}h exceeds maxCheckWindow of ${dataset.maxCheckWindowMs / 3_600_000}h for dataset ${dataset.name}`;
  }
  if (use === 'buckets' && to - from > dataset.maxWindowMs) {
    return `window of ${hours}h exceeds maxWindow of ${dataset.maxWindowMs / 3_600_000}h for dataset ${dataset.name}`;
  }
  return undefined;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** Rounds float noise out of summed fractional expectations (prorated session buckets). */
export function tidy(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}

/** A window's buckets, shared by every group (and by the check judged in Athena, islands.ts). */
export interface Grid {
  /** n + 1 boundaries: bucket i is [bounds[i], bounds[i + 1]). */
  readonly bounds: Float64Array;
  readonly n: number;
  /** Expected rows per bucket; 0 = the calendar does not expect this bucket. */
  readonly expected: Float64Array;
  /** True when every bucket is bucketMs long, so a row's bucket is one division away. */
  readonly uniform: boolean;
}

/** Bucket boundaries and calendar expectations for a window, shared by every group. */
function buildGrid(dataset: Dataset, from: number, to: number): Grid {
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
  return { bounds, n, expected, uniform };
}

/** Index of the bucket holding instant `at` (from ≤ at < to). */
function bucketIndex(grid: Grid, from: number, step: number, at: number): number {
  const { bounds, n } = grid;
  let i = Math.min(n - 1, Math.max(0, Math.floor((at - from) / step)));
  if (!grid.uniform) {
    while (i > 0 && bounds[i]! > at) i--;
    while (bounds[i + 1]! <= at) i++;
  }
  return i;
}

interface GroupAcc {
  /** This group's counts live at counts[slot × n, (slot + 1) × n). */
  readonly slot: number;
  /** Rows with a positive count inside the window. */
  total: number;
  /** Earliest instant with data (firstAt, else the row's bucket) before `to`, including before the window. */
  earliest: number;
  /** earliest came from a row's firstAt (a true timestamp), not just its bucket start. */
  earliestExact: boolean;
}

/** What accumulate() found: per-group accumulators over one counts buffer, and the rows set aside. */
interface Accumulated {
  readonly accs: Map<string, GroupAcc>;
  readonly counts: Float64Array;
  nullTimestampRows: number;
  nullGroupRows: number;
  unlistedGroupRows: number;
  /** Any row at all in the window, NULL ones included. */
  anyRow: boolean;
}

/** What a run of buckets is, before it becomes a range: a gap kind, or one of PARTIAL_EDGE's reasons. */
export type RunKind = 'MISSING' | 'UNDERFILLED' | 'SERIES_START' | 'SETTLING';

/** A closed run of one kind as its range; `absent` is the group's (no rows at all in the window). */
export function rangeOf(kind: RunKind, group: string, start: number, end: number, buckets: number, expected: number, observed: number, absent: boolean): GapRange {
  const base = { group, start: iso(start), end: iso(end), buckets, expected: tidy(expected), observed };
  switch (kind) {
    case 'MISSING':
      return { kind: 'MISSING', ...base, absent };
    case 'UNDERFILLED':
      return { kind: 'UNDERFILLED', ...base };
    case 'SERIES_START':
    case 'SETTLING':
      return { kind: 'PARTIAL_EDGE', ...base, reason: kind };
    default:
      return assertNever(kind);
  }
}

/** One group's verdict. */
interface Judged {
  readonly ranges: GapRange[];
  readonly buckets: SeriesBucket[] | undefined;
  readonly checked: number;
  readonly pending: number;
  readonly outsideCalendar: number;
}

/** Where the settled part of the grid ends and the future begins, as bucket indices. */
export interface Lines {
  /** Buckets at or after this index end after now − settle: they may still be filling. */
  readonly settleFrom: number;
  /** Buckets at or after this index start at or after now: they have not happened. */
  readonly futureFrom: number;
}

/** Above this many doubles (128 MB) the counts buffer is dropped after the call instead of kept. */
const SCRATCH_KEEP = 16_000_000;
/** Grids kept per engine: the scheduler and the bench ask for the same windows again. */
const GRIDS_KEPT = 256;

/**
 * The engine with its two caches. One per owner (the service keeps one for its lifetime, a bench run
 * another), so what is cached and for how long is the owner's choice, not the module's.
 *
 * - Counts buffer: per-(group, bucket) counts, reused across calls. A year of hourly buckets for 500
 *   groups is 35 MB; allocating that per call made the garbage collector re-mark the caller's millions
 *   of row objects every other call, which cost more than the whole computation. Safe to share because
 *   compute() is synchronous and never re-entered.
 * - Grids: bucket boundaries and calendar expectations of recent windows, at most GRIDS_KEPT.
 */
export class GapEngine {
  private scratch = new Float64Array(0);
  private readonly grids = new Map<string, Grid>();

  compute(input: ComputeGapsInput): GapReport {
    const { dataset, now } = input;
    const problem = windowProblem(dataset, input.from, input.to);
    if (problem !== undefined) throw new RangeError(problem);
    const { from, to } = alignWindow(dataset, input.from, input.to);
    const grid = this.gridFor(dataset, from, to);
    const listed = input.groups ?? dataset.groups;
    const acc = this.accumulate(input, grid, from, to, listed);
    const lines = settleLines(grid, now, dataset.settleMs);

    const groups = [...acc.accs.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    const ranges: GapRange[] = [];
    const series: GroupSeries[] = [];
    let checkedBuckets = 0;
    let pendingBuckets = 0;
    let outsideCalendarRows = 0;
    for (const group of groups) {
      const a = acc.accs.get(group)!;
      const start = seriesStart(input, group, a, listed !== undefined, grid, from, to);
      const judged = judgeGroup(input, group, a, acc.counts, grid, lines, start);
      ranges.push(...judged.ranges);
      if (judged.buckets !== undefined) series.push({ group, buckets: judged.buckets });
      checkedBuckets += judged.checked;
      pendingBuckets += judged.pending;
      outsideCalendarRows += judged.outsideCalendar;
    }
    if (this.scratch.length > SCRATCH_KEEP) this.scratch = new Float64Array(0);

    return {
      dataset: dataset.name,
      bucket: dataset.bucket,
      timezone: dataset.timezone,
      from: iso(from),
      to: iso(to),
      status: statusOf(grid, lines, ranges, groups.length, checkedBuckets, pendingBuckets),
      noData: !acc.anyRow,
      checkedBuckets,
      pendingBuckets,
      ranges,
      nullTimestampRows: acc.nullTimestampRows,
      nullGroupRows: acc.nullGroupRows,
      outsideCalendarRows,
      unlistedGroupRows: acc.unlistedGroupRows,
      series,
      groups,
    };
  }

  /** The grid of an aligned window, from the cache when a recent call built it. */
  gridFor(dataset: Dataset, from: number, to: number): Grid {
    const key = `${dataset.name}\u0000${dataset.timezone}\u0000${dataset.bucketMs}\u0000${dataset.expectedPerBucket}\u0000${JSON.stringify(dataset.calendar ?? null)}\u0000${from}\u0000${to}`;
    let grid = this.grids.get(key);
    if (grid === undefined) {
      grid = buildGrid(dataset, from, to);
      if (this.grids.size >= GRIDS_KEPT) this.grids.clear();
      this.grids.set(key, grid);
    }
    return grid;
  }

  /** A zeroed slice of the counts buffer for the group in `slot`, growing the buffer when needed. */
  private newAcc(slot: number, n: number): GroupAcc {
    const need = (slot + 1) * n;
    if (this.scratch.length < need) {
      const grown = new Float64Array(Math.max(need, this.scratch.length * 2, 1024));
      grown.set(this.scratch.subarray(0, slot * n));
      this.scratch = grown;
    }
    this.scratch.fill(0, slot * n, need);
    return { slot, total: 0, earliest: Infinity, earliestExact: false };
  }

  /**
   * Adds the rows up per (group, bucket). The groups judged are the listed ones when there is a list;
   * otherwise every group with a row, plus every group the series-start lookup knows began before the
   * window's end: a series that went silent is judged (as absent), not dropped.
   */
  private accumulate(input: ComputeGapsInput, grid: Grid, from: number, to: number, listed: readonly string[] | undefined): Accumulated {
    const { rows, dataset } = input;
    const { bounds, n } = grid;
    const step = dataset.bucketMs;
    const accs = new Map<string, GroupAcc>();
    if (listed !== undefined) {
      for (const g of listed) if (!accs.has(g)) accs.set(g, this.newAcc(accs.size, n));
    } else if (input.seriesStarts !== undefined) {
      for (const [g, at] of input.seriesStarts) if (at < to && !accs.has(g)) accs.set(g, this.newAcc(accs.size, n));
    }
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
    let counts = this.scratch;
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
          acc = this.newAcc(accs.size, n);
          accs.set(group, acc);
        }
        base = acc === undefined ? 0 : acc.slot * n;
        // newAcc may have grown the buffer.
        counts = this.scratch;
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
    return { accs, counts: this.scratch, nullTimestampRows, nullGroupRows, unlistedGroupRows, anyRow };
  }
}

/** Buckets ending after now − settle may still be filling; those starting at or after now have not happened. */
export function settleLines(grid: Grid, now: number, settleMs: number): Lines {
  const { bounds, n } = grid;
  const settleLine = now - settleMs;
  let settleFrom = n;
  while (settleFrom > 0 && bounds[settleFrom]! > settleLine) settleFrom--;
  let futureFrom = n;
  while (futureFrom > 0 && bounds[futureFrom - 1]! >= now) futureFrom--;
  return { settleFrom, futureFrom };
}

/** Where a group's series begins in the grid: the index of the bucket holding the start, and whether it began inside it. */
export interface Start {
  readonly index: number;
  readonly mid: boolean;
}

/**
 * Where a group's series begins, first match wins: configured startsAt; the bounded lookup (the earlier
 * of what it found and the group's first data); for wide datasets, the first non-empty bucket; for long
 * ones without a lookup, before the window. A group known to exist with no data at all (listed, found
 * by the lookup, or a wide column) is expected over the whole window, because silence is never a pass.
 */
export function seriesStart(
  input: Pick<ComputeGapsInput, 'dataset' | 'seriesStarts'>,
  group: string,
  a: Pick<GroupAcc, 'earliest' | 'earliestExact'>,
  listedGroup: boolean,
  grid: Grid,
  from: number,
  to: number,
): Start {
  const { dataset } = input;
  const startsAt = dataset.startsAtMs;
  let start = startsAt?.byGroup.get(group) ?? startsAt?.all;
  // A start read off a pre-aggregated bucket (wide rows) says the series began somewhere in it.
  let startInexact = false;
  if (start === undefined) {
    if (input.seriesStarts !== undefined || dataset.shape === 'wide') {
      start = Math.min(input.seriesStarts?.get(group) ?? Infinity, a.earliest);
      startInexact = start === a.earliest && !a.earliestExact;
    } else {
      start = -Infinity;
    }
    // A wide dataset's group has a column in the result: it exists, even when every cell is 0 or NULL.
    if (start === Infinity && (listedGroup || dataset.shape === 'wide')) start = -Infinity;
  }
  if (start < from) return { index: 0, mid: false };
  if (start >= to) return { index: grid.n, mid: false };
  const index = bucketIndex(grid, from, dataset.bucketMs, start);
  return { index, mid: startInexact || start > grid.bounds[index]! };
}

/** Judges one group's buckets and merges adjacent ones of a kind into ranges. */
function judgeGroup(input: ComputeGapsInput, group: string, a: GroupAcc, counts: Float64Array, grid: Grid, lines: Lines, start: Start): Judged {
  const { bounds, n, expected } = grid;
  const { settleFrom, futureFrom } = lines;
  const minRatio = input.dataset.minRatio;
  const offset = a.slot * n;
  const absent = a.total === 0;
  const ranges: GapRange[] = [];
  const buckets: SeriesBucket[] | undefined = input.series === true ? [] : undefined;
  let checked = 0;
  let pending = 0;
  let outsideCalendar = 0;

  let runKind: RunKind | undefined;
  let runStart = 0;
  let runEnd = 0;
  let runBuckets = 0;
  let runExpected = 0;
  let runObserved = 0;
  const close = (): void => {
    if (runKind === undefined) return;
    ranges.push(rangeOf(runKind, group, bounds[runStart]!, bounds[runEnd + 1]!, runBuckets, runExpected, runObserved, absent));
    runKind = undefined;
  };

  for (let i = 0; i < n; i++) {
    const count = counts[offset + i]!;
    const exp = expected[i]!;
    let status: BucketStatus;
    let kind: RunKind | undefined;
    if (exp === 0) {
      outsideCalendar += count;
      status = 'NOT_EXPECTED';
    } else if (i < start.index) {
      status = 'NOT_EXPECTED';
    } else if (i >= settleFrom) {
      status = 'SETTLING';
      pending++;
      if (i < futureFrom && count < exp * minRatio - EPSILON) kind = 'SETTLING';
    } else {
      checked++;
      if (count >= exp * minRatio - EPSILON) status = 'OK';
      else if (i === start.index && start.mid) {
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
  return { ranges, buckets, checked, pending, outsideCalendar };
}

/**
 * The report's verdict; silence is never a pass. With no group (no rows with a group, none listed or
 * known) there is nothing to hang a range on, so the calendar decides: something expected in a settled bucket is GAPS, only in unsettled
 * ones PENDING.
 */
export function statusOf(grid: Grid, lines: Lines, ranges: readonly GapRange[], groups: number, checked: number, pending: number): ReportStatus {
  if (ranges.some((r) => r.kind === 'MISSING' || r.kind === 'UNDERFILLED')) return 'GAPS';
  if (groups === 0) {
    const expectedIn = (lo: number, hi: number): boolean => {
      for (let i = lo; i < hi; i++) if (grid.expected[i]! > 0) return true;
      return false;
    };
    if (expectedIn(0, lines.settleFrom)) return 'GAPS';
    if (expectedIn(lines.settleFrom, grid.n)) return 'PENDING';
    return 'EMPTY';
  }
  if (pending > 0) return 'PENDING';
  return checked === 0 ? 'EMPTY' : 'OK';
}

/**
 * Computes one report with a fresh engine (no caches kept). Callers that check repeatedly (the service,
 * the benchmark) keep a GapEngine instead, so its counts buffer and grids are reused.
 */
export function computeGaps(input: ComputeGapsInput, engine: GapEngine = new GapEngine()): GapReport {
  return engine.compute(input);
}
