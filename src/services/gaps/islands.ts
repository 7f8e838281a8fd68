/**
 * A check judged in Athena: the check's SQL finds, per group, the runs of consecutive healthy buckets and the
 * individual unhealthy ones (gaps-and-islands with window functions), so what comes back grows with the gaps
 * and the groups, not with the buckets; the service turns those few facts into the same report the in-service
 * engine (compute.ts, the reference, which still serves `series`) computes from one count row per bucket.
 *
 * The work is split where each side is exact:
 * - The service knows the zone and the calendar (Intl's offsets, holidays, sessions). It builds the window's
 *   grid (compute.ts, group-independent) and describes it to the SQL in a few numbers: the stretches of equally
 *   long buckets with one UTC offset (a handful per DST change), the weekdays, holidays and session minutes.
 * - The SQL counts rows per sub-bucket exactly as the reference query does (query.ts: the same WHERE, so the
 *   same partition pruning), places each sub-bucket in its bucket by those stretches, computes each bucket's
 *   expectation with the same IEEE arithmetic as the grid, and merges healthy buckets that are consecutive
 *   among the expected ones (closed hours between them do not split an island).
 * - The service walks each group's islands, unhealthy buckets and the holes between them (missing buckets:
 *   no row at all) over its grid, applying what depends on the moment and on other queries: settle, the series
 *   start, absent groups, the report's status.
 *
 * docs/gaps.md ("Checks judged in Athena") shows the query and says what bounds remain.
 */
import type { Dataset } from './dataset';
import { WEEKDAYS } from './dataset';
import { alignWindow, EPSILON, rangeOf, seriesStart, settleLines, statusOf, windowProblem, type GapEngine, type GapRange, type GapReport, type Grid, type Lines, type RunKind, type Start } from './compute';
import { COLUMNS, completenessQuery, timestampLiteral, type CompletenessQuery } from './query';
import { countOf, groupOf, timestampOf, type DecodedRow } from './count-rows';
import { zoneFor } from '../time/zone';

const DAY_MS = 86_400_000;

/** Athena's limit on a query's text (StartQueryExecution QueryString), in UTF-8 bytes. */
export const MAX_QUERY_BYTES = 262_144;

/** Columns of the islands query's result. */
export const ISLAND_COLUMNS = {
  kind: 'kind',
  group: COLUMNS.group,
  lo: 'lo',
  hi: 'hi',
  n: 'n',
  m: 'm',
  x: 'x',
  firstAt: COLUMNS.firstAt,
} as const;

/**
 * What one row of the result stands for, by `kind` (`lo`..`hi` are indices into the grid):
 * - `H`, an island: buckets `lo`..`hi` of a group and every expected bucket between them complete;
 * - `L`, an expected bucket `lo` of a group, under its threshold;
 * - `G`, a group's other rows: outside the window, with a NULL timestamp, in buckets the calendar does not expect;
 * - `N`, the rows with a NULL group.
 * On every row, of the rows it stands for: `n` those in the window, `m` those in buckets the calendar does not
 * expect, `x` those with a NULL timestamp, `first_at` the earliest timestamp before the window's end. A group's
 * figures are the sums (and least) over its rows. An expected bucket of a group in neither an island nor an `L`
 * row had no row at all.
 */
export type IslandKind = 'G' | 'H' | 'L' | 'N';

/** Where each expected bucket sits among the expected buckets of the grid (the calendar's closed ones skipped). */
interface Ranks {
  /** before[i]: expected buckets with index < i (n + 1 entries). */
  readonly before: Int32Array;
  /** The index of the r-th expected bucket. */
  readonly index: Int32Array;
}

const ranksOf = new WeakMap<Grid, Ranks>();

function ranks(grid: Grid): Ranks {
  let r = ranksOf.get(grid);
  if (r === undefined) {
    const before = new Int32Array(grid.n + 1);
    let total = 0;
    for (let i = 0; i < grid.n; i++) {
      before[i] = total;
      if (grid.expected[i]! > 0) total++;
    }
    before[grid.n] = total;
    const index = new Int32Array(total);
    for (let i = 0, k = 0; i < grid.n; i++) if (grid.expected[i]! > 0) index[k++] = i;
    r = { before, index };
    ranksOf.set(grid, r);
  }
  return r;
}

/** Consecutive buckets that are equally long (and, where the calendar needs it, start at one UTC offset). */
interface Stretch {
  /** Index of the first bucket. */
  readonly idx: number;
  readonly count: number;
  /** Bucket length (ms). */
  readonly step: number;
  /** The first bucket's start, ms after the window's start. */
  readonly key: number;
  /** The first bucket's local wall clock, ms after `wallBase` (only with `byOffset`). */
  readonly wall: number;
}

function stretches(dataset: Dataset, grid: Grid, byOffset: boolean, wallBase: number): Stretch[] {
  const zone = zoneFor(dataset.timezone);
  const { bounds, n } = grid;
  const from = bounds[0]!;
  const out: Stretch[] = [];
  let i = 0;
  while (i < n) {
    const step = bounds[i + 1]! - bounds[i]!;
    const offset = byOffset ? zone.offsetAt(bounds[i]!) : 0;
    let j = i + 1;
    while (j < n && bounds[j + 1]! - bounds[j]! === step && (!byOffset || zone.offsetAt(bounds[j]!) === offset)) j++;
    out.push({ idx: i, count: j - i, step, key: bounds[i]! - from, wall: bounds[i]! + offset - wallBase });
    i = j;
  }
  return out;
}

/** A double as a literal both engines read as that exact double (`60E0`, `0.8E0`, `1E-9`): no DECIMAL in between. */
function double(x: number): string {
  const text = String(x);
  return /e/i.test(text) ? text.toUpperCase() : `${text}E0`;
}

/** `CASE WHEN x < end₀ THEN … END` over consecutive pieces covering [0, end); NULL outside. */
function piecewise(x: string, pieces: readonly { end: number; value: string }[]): string {
  return `CASE WHEN ${x} < 0 THEN NULL ${pieces.map((p) => `WHEN ${x} < ${p.end} THEN ${p.value}`).join(' ')} END`;
}

/** The islands query and what the service needs to read its rows back. */
export interface IslandsQuery extends Pick<CompletenessQuery, 'sql' | 'parameters' | 'countsNullTimestamps'> {
  /** The aligned window the grid indices refer to. */
  readonly from: number;
  readonly to: number;
}

/**
 * Which bucket a row's key falls in: for timestamps the key is ms after the window's start and the buckets are
 * the grid's stretches; for a date column it is days after the window's first local date, each date read as
 * its local midnight as the reference does (count-rows.ts), which a DST change at midnight can move.
 */
function placement(dataset: Dataset, grid: Grid): { key: string; param: string; index: string; keyEnd: number; injective: boolean } {
  const from = grid.bounds[0]!;
  const to = grid.bounds[grid.n]!;
  if (dataset.timestampType !== 'date') {
    const pieces = stretches(dataset, grid, false, 0).map((s) => ({
      end: s.key + s.count * s.step,
      value: s.key === 0 && s.count === 1 ? String(s.idx) : s.key === 0 && s.idx === 0 ? `k / ${s.step}` : `${s.idx} + (k - ${s.key}) / ${s.step}`,
    }));
    return { key: `date_diff('millisecond', ?, ${COLUMNS.bucketAt})`, param: timestampLiteral(from), index: piecewise('k', pieces), keyEnd: to - from, injective: false };
  }
  const zone = zoneFor(dataset.timezone);
  const firstDay = Math.floor(zone.wallAt(from) / DAY_MS);
  const lastDay = Math.floor(zone.wallAt(to) / DAY_MS);
  // Each local date's bucket, as the reference places it: its midnight's instant, in the grid or not.
  const days: (number | null)[] = [];
  let keyEnd = lastDay - firstDay;
  for (let k = 0; k < lastDay - firstDay; k++) {
    const at = zone.instantOfWall((firstDay + k) * DAY_MS);
    if (at >= to) {
      keyEnd = Math.min(keyEnd, k);
      days.push(null);
      continue;
    }
    days.push(at < from ? null : bucketOf(grid, at));
  }
  const cases: string[] = [];
  for (let k = 0; k < days.length; ) {
    const idx = days[k];
    let j = k + 1;
    if (idx !== null) while (j < days.length && days[j] === idx + (j - k)) j++;
    if (idx !== null) cases.push(`WHEN k >= ${k} AND k < ${j} THEN ${idx} + (k - ${k})`);
    k = j;
  }
  const index = cases.length === 0 ? 'CAST(NULL AS bigint)' : `CASE ${cases.join(' ')} END`;
  // Two dates in one bucket: a midnight that DST skips leaves its date in the bucket of the day before.
  const placed = days.filter((d) => d !== null);
  const injective = new Set(placed).size === placed.length;
  return { key: `date_diff('day', ?, ${COLUMNS.bucketAt})`, param: `DATE '${new Date(firstDay * DAY_MS).toISOString().slice(0, 10)}'`, index, keyEnd, injective };
}

/** Index of the grid bucket holding `at` (bounds[0] ≤ at < bounds[n]). */
function bucketOf(grid: Grid, at: number): number {
  let lo = 0;
  let hi = grid.n - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (grid.bounds[mid]! <= at) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/**
 * The calendar as SQL over the grid's indices: each bucket's expectation computed as compute.ts's buildGrid
 * computes it (the start's local weekday and date, the session's share of the bucket, in the same double
 * arithmetic), and `upto`, its rank among the expected buckets, which is what makes islands skip closed hours.
 */
function calendarGrid(dataset: Dataset, grid: Grid): string {
  const calendar = dataset.calendar!;
  const zone = zoneFor(dataset.timezone);
  let minWall = Infinity;
  for (let i = 0; i < grid.n; i++) minWall = Math.min(minWall, zone.wallAt(grid.bounds[i]!));
  // A day before the earliest wall clock, so every wall offset and day number below is positive.
  const baseDay = Math.floor(minWall / DAY_MS) - 1;
  const wallBase = baseDay * DAY_MS;
  const pieces = stretches(dataset, grid, true, wallBase).map((s) => ({ end: s.idx + s.count, value: s.idx === 0 ? `${s.wall} + idx * ${s.step}` : `${s.wall} + (idx - ${s.idx}) * ${s.step}` }));
  let digits = 1;
  while (10 ** digits < grid.n) digits++;
  const idx = Array.from({ length: digits }, (_, d) => (d === 0 ? 'd0.d' : `${10 ** d} * d${d}.d`)).join(' + ');
  const from = Array.from({ length: digits }, (_, d) => `digits AS d${d}`).join(' CROSS JOIN ');
  const weekday = (((baseDay + 4) % 7) + 7) % 7;
  const open: string[] = [];
  if (calendar.days.length < 7) open.push(`(${weekday} + day_no) % 7 IN (${calendar.days.map((d) => WEEKDAYS.indexOf(d)).join(', ')})`);
  const lastDay = Math.floor(zone.wallAt(grid.bounds[grid.n]!) / DAY_MS) + 1;
  const holidays = [...new Set(calendar.holidays.map((d) => Math.floor(Date.parse(`${d}T00:00:00Z`) / DAY_MS)))].filter((d) => d >= baseDay && d <= lastDay).map((d) => d - baseDay);
  if (holidays.length > 0) open.push(`day_no NOT IN (${holidays.join(', ')})`);
  const full = double(dataset.expectedPerBucket);
  const bucketMinutes = double(dataset.bucketMs / 60_000);
  const expected =
    dataset.bucketMs >= DAY_MS
      ? `CASE WHEN open_day THEN ${full} ELSE 0E0 END`
      : `CASE WHEN open_day AND least(minute_of_day + ${bucketMinutes}, ${double(calendar.closeMinute)}) - greatest(minute_of_day, ${double(calendar.openMinute)}) > 0 ` +
        `THEN ${full} * (least(minute_of_day + ${bucketMinutes}, ${double(calendar.closeMinute)}) - greatest(minute_of_day, ${double(calendar.openMinute)})) / ${bucketMinutes} ELSE 0E0 END`;
  return [
    `digits AS (SELECT d FROM (VALUES ${Array.from({ length: 10 }, (_, d) => `(${d})`).join(', ')}) AS t (d)),`,
    `walls AS (SELECT idx, ${piecewise('idx', pieces)} AS w FROM (SELECT ${idx} AS idx FROM ${from}) AS i WHERE idx < ${grid.n}),`,
    `days AS (SELECT idx, w, w / ${DAY_MS} AS day_no FROM walls),`,
    `clock AS (SELECT idx, ${open.length === 0 ? 'true' : open.join(' AND ')} AS open_day, (w - day_no * ${DAY_MS}) / 6E4 AS minute_of_day FROM days),`,
    `expectations AS (SELECT idx, ${expected} AS expected FROM clock),`,
    `grid AS (SELECT idx, expected, sum(CASE WHEN expected > 0 THEN 1 ELSE 0 END) OVER (ORDER BY idx ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW) AS upto FROM expectations),`,
  ].join('\n');
}

/**
 * The check's SQL for an aligned window whose grid is `grid`. The reference's count query is its first step,
 * unchanged (same WHERE: partition bounds, NULL timestamps only inside them); everything after works on those
 * counts, in one chain where each step is read once: Trino inlines a WITH query at every reference, so a
 * second reference would scan (and bill) the table again. Trino SQL that DuckDB reads alike, also untranslated:
 * integer `/` and `%` on non-negative operands only, doubles written with an exponent.
 */
export function islandsQuery(dataset: Dataset, grid: Grid): IslandsQuery {
  const from = grid.bounds[0]!;
  const to = grid.bounds[grid.n]!;
  const counts = completenessQuery(dataset, { from, to });
  const place = placement(dataset, grid);
  const { group, count, firstAt, bucketAt } = COLUMNS;
  const sub = counts.sql.includes(` AS ${COLUMNS.subMinute}`) ? ` + ${COLUMNS.subMinute} * 60000` : '';
  // One sub-bucket per bucket (an hourly bucket in a whole-hour zone, a date of its own): no second aggregation.
  const oneToOne = sub === '' && (dataset.timestampType === 'date' ? place.injective : counts.subBucket.stepMinutes * 60_000 === dataset.bucketMs);
  const calendar = dataset.calendar !== undefined;
  // count >= expected × minRatio − ε, as the engine decides it; without a calendar every bucket expects the
  // same, so the least whole count that passes is computed here once.
  const need = Math.ceil(dataset.expectedPerBucket * dataset.minRatio - EPSILON);
  const ok = calendar ? `${count} >= expected * ${double(dataset.minRatio)} - ${double(EPSILON)}` : `${count} >= ${need}`;
  // The earliest timestamp a row before the window's end shows (the engine's series start when looked up).
  const early = `CASE WHEN k < ${place.keyEnd} THEN ${firstAt} END`;
  const sql = [
    'WITH counts AS (',
    counts.sql,
    '),',
    `placed AS (SELECT ${group}, ${count}, ${firstAt}, ${bucketAt} IS NULL AS no_ts, k, ${place.index} AS idx`,
    `  FROM (SELECT ${group}, ${count}, ${firstAt}, ${bucketAt}, ${place.key}${sub} AS k FROM counts) AS keyed),`,
    // Per group and bucket; rows outside the window (idx NULL) and with a NULL timestamp stay, apart.
    oneToOne
      ? `buckets AS (SELECT ${group}, idx, no_ts, ${count}, ${early} AS ${firstAt} FROM placed),`
      : `buckets AS (SELECT ${group}, idx, no_ts, CAST(sum(${count}) AS bigint) AS ${count}, min(${early}) AS ${firstAt} FROM placed GROUP BY ${group}, idx, no_ts),`,
    ...(calendar
      ? [calendarGrid(dataset, grid), `judged AS (SELECT b.${group}, b.idx, b.no_ts, b.${count}, b.${firstAt}, g.expected, g.upto AS rnk FROM buckets AS b LEFT JOIN grid AS g ON g.idx = b.idx),`]
      : [`judged AS (SELECT ${group}, idx, no_ts, ${count}, ${firstAt}, ${double(dataset.expectedPerBucket)} AS expected, idx AS rnk FROM buckets),`]),
    // H: complete and expected; L: expected, under its threshold; G: the group's other rows (outside the window,
    // NULL timestamp, a bucket the calendar does not expect); N: rows with a NULL group.
    `classed AS (SELECT ${group}, idx, no_ts, ${count}, ${firstAt}, expected, rnk,`,
    `  CASE WHEN ${group} IS NULL THEN 'N' WHEN idx IS NULL OR expected = 0 THEN 'G' WHEN ${ok} THEN 'H' ELSE 'L' END AS kind FROM judged),`,
    // Gaps-and-islands: consecutive expected buckets of a group's H rows share rnk − row_number().
    `parts AS (SELECT ${group}, idx, no_ts, ${count}, ${firstAt}, expected, kind,`,
    `  CASE kind WHEN 'H' THEN rnk - row_number() OVER (PARTITION BY ${group}, kind ORDER BY idx) WHEN 'L' THEN idx ELSE 0 END AS part FROM classed)`,
    `SELECT kind, ${group}, min(idx) AS lo, max(idx) AS hi,`,
    `  CAST(sum(CASE WHEN idx IS NULL THEN 0 ELSE ${count} END) AS bigint) AS n,`,
    `  CAST(sum(CASE WHEN expected = 0 THEN ${count} ELSE 0 END) AS bigint) AS m,`,
    `  CAST(sum(CASE WHEN no_ts THEN ${count} ELSE 0 END) AS bigint) AS x,`,
    `  min(${firstAt}) AS ${firstAt}`,
    `FROM parts GROUP BY kind, ${group}, part`,
  ].join('\n');
  return { sql, parameters: [...counts.parameters, place.param], countsNullTimestamps: counts.countsNullTimestamps, from, to };
}

/** One group's facts from the islands query. */
export interface GroupFacts {
  /** Rows in the window (0: the group is absent). */
  total: number;
  /** Rows in buckets the calendar does not expect. */
  outside: number;
  /** Earliest timestamp (ms) before the window's end; Infinity when none. */
  earliest: number;
  /** Islands as [first, last] bucket indices. */
  readonly islands: [number, number][];
  /** Under-threshold expected buckets: index → rows. */
  readonly low: Map<number, number>;
}

export interface IslandFacts {
  readonly groups: Map<string, GroupFacts>;
  nullTimestampRows: number;
  nullGroupRows: number;
  /** Rows of the islands query (what Athena sent back). */
  rows: number;
}

function factsOf(groups: Map<string, GroupFacts>, group: string): GroupFacts {
  let f = groups.get(group);
  if (f === undefined) {
    f = { total: 0, outside: 0, earliest: Infinity, islands: [], low: new Map() };
    groups.set(group, f);
  }
  return f;
}

/** Decoded rows of islandsQuery → facts per group; dates are local days in the dataset's zone. */
export function toIslandFacts(dataset: Dataset, rows: readonly DecodedRow[]): IslandFacts {
  const c = ISLAND_COLUMNS;
  const facts: IslandFacts = { groups: new Map(), nullTimestampRows: 0, nullGroupRows: 0, rows: rows.length };
  for (const row of rows) {
    const kind = row[c.kind];
    const inWindow = countOf(row[c.n], c.n);
    const nullTimestamps = countOf(row[c.x], c.x);
    facts.nullTimestampRows += nullTimestamps;
    const group = groupOf(row[c.group]);
    if (kind === 'N' || group === null) {
      if (kind !== 'N' || group !== null) throw new TypeError(`islands row of kind ${JSON.stringify(kind)} with group ${JSON.stringify(group)}`);
      facts.nullGroupRows += inWindow + nullTimestamps;
      continue;
    }
    const f = factsOf(facts.groups, group);
    f.total += inWindow;
    f.outside += countOf(row[c.m], c.m);
    f.earliest = Math.min(f.earliest, timestampOf(row[c.firstAt], c.firstAt, dataset.timezone) ?? Infinity);
    switch (kind) {
      case 'G':
        break;
      case 'H':
        f.islands.push([countOf(row[c.lo], c.lo), countOf(row[c.hi], c.hi)]);
        break;
      case 'L':
        f.low.set(countOf(row[c.lo], c.lo), inWindow);
        break;
      default:
        throw new TypeError(`islands row of unknown kind ${JSON.stringify(kind)}`);
    }
  }
  return facts;
}

export interface JudgeIslandsInput {
  readonly dataset: Dataset;
  /** Epoch ms; aligned outward to bucket boundaries (the same window the query was made for). */
  readonly from: number;
  readonly to: number;
  readonly now: number;
  readonly facts: IslandFacts;
  /** As in ComputeGapsInput. */
  readonly groups?: readonly string[];
  readonly seriesStarts?: ReadonlyMap<string, number>;
}

/** One group's verdict from its facts. */
interface Judged {
  readonly ranges: GapRange[];
  readonly checked: number;
  readonly pending: number;
}

/**
 * The report from the islands query's facts: what GapEngine.compute answers from the count rows of the same
 * window (the property test holds the two to each other), without a per-bucket series.
 */
export function judgeIslands(engine: GapEngine, input: JudgeIslandsInput): GapReport {
  const { dataset, now, facts } = input;
  const problem = windowProblem(dataset, input.from, input.to, 'athena');
  if (problem !== undefined) throw new RangeError(problem);
  const { from, to } = alignWindow(dataset, input.from, input.to);
  const grid = engine.gridFor(dataset, from, to);
  const lines = settleLines(grid, now, dataset.settleMs);
  const listed = input.groups ?? dataset.groups;

  // The groups judged, as the engine picks them: the listed ones; else every group with a row and every group
  // the series-start lookup knows began before the window's end.
  const judged = new Set<string>();
  let unlistedGroupRows = 0;
  let anyRow = facts.nullTimestampRows > 0 || facts.nullGroupRows > 0;
  if (listed !== undefined) for (const g of listed) judged.add(g);
  else if (input.seriesStarts !== undefined) for (const [g, at] of input.seriesStarts) if (at < to) judged.add(g);
  for (const [group, f] of facts.groups) {
    if (f.total > 0) anyRow = true;
    // Seen: a row with a timestamp before the window's end (one with only NULL timestamps is not).
    if (listed === undefined && f.earliest !== Infinity) judged.add(group);
    else if (listed !== undefined && !judged.has(group)) unlistedGroupRows += f.total;
  }

  const groups = [...judged].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const ranges: GapRange[] = [];
  let checkedBuckets = 0;
  let pendingBuckets = 0;
  let outsideCalendarRows = 0;
  const empty: GroupFacts = { total: 0, outside: 0, earliest: Infinity, islands: [], low: new Map() };
  for (const group of groups) {
    const f = facts.groups.get(group) ?? empty;
    const start = seriesStart(input, group, { earliest: f.earliest, earliestExact: true }, listed !== undefined, grid, from, to);
    const verdict = judgeGroup(dataset, group, f, grid, lines, start);
    ranges.push(...verdict.ranges);
    checkedBuckets += verdict.checked;
    pendingBuckets += verdict.pending;
    outsideCalendarRows += f.outside;
  }

  return {
    dataset: dataset.name,
    bucket: dataset.bucket,
    timezone: dataset.timezone,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    status: statusOf(grid, lines, ranges, groups.length, checkedBuckets, pendingBuckets),
    noData: !anyRow,
    checkedBuckets,
    pendingBuckets,
    ranges,
    nullTimestampRows: facts.nullTimestampRows,
    nullGroupRows: facts.nullGroupRows,
    outsideCalendarRows,
    unlistedGroupRows,
    series: [],
    groups,
  };
}

/** A fact that does not fit the grid: the result is not this window's (or not this query's). */
function mismatch(group: string, what: string): never {
  throw new RangeError(`islands result for group ${JSON.stringify(group)} does not fit the window's grid: ${what}`);
}

/**
 * One group's ranges, walking its expected buckets in order as compute.ts's judgeGroup does, but a piece at a
 * time: an island in one step (it only ends a run), a hole or an under-threshold bucket bucket by bucket (their
 * expectations are summed in the engine's order, so `expected` is the same double).
 */
function judgeGroup(dataset: Dataset, group: string, f: GroupFacts, grid: Grid, lines: Lines, start: Start): Judged {
  const { before, index } = ranks(grid);
  const { bounds, expected, n } = grid;
  const total = index.length;
  const minRatio = dataset.minRatio;
  const startRank = before[Math.min(start.index, n)]!;
  const settleRank = before[lines.settleFrom]!;
  const futureRank = before[lines.futureFrom]!;
  // Ranks [startRank, settledEnd) are judged; [settledEnd, futureEnd) settling; the rest has not happened.
  const settledEnd = Math.max(startRank, settleRank);
  const futureEnd = Math.max(settledEnd, futureRank);
  const edgeRank = start.mid && start.index < n && expected[start.index]! > 0 ? startRank : -1;
  const absent = f.total === 0;

  // The group's pieces in rank order: islands (complete) and low buckets (with their rows).
  const pieces: { lo: number; hi: number; rows: number }[] = [];
  for (const [lo, hi] of f.islands) {
    if (!(lo >= 0 && hi >= lo && hi < n) || expected[lo]! <= 0 || expected[hi]! <= 0) mismatch(group, `island ${lo}..${hi}`);
    pieces.push({ lo: before[lo]!, hi: before[hi]!, rows: -1 });
  }
  for (const [i, rows] of f.low) {
    if (!(i >= 0 && i < n) || expected[i]! <= 0) mismatch(group, `bucket ${i}`);
    pieces.push({ lo: before[i]!, hi: before[i]!, rows });
  }
  pieces.sort((a, b) => a.lo - b.lo);

  const ranges: GapRange[] = [];
  let runKind: RunKind | undefined;
  let runStart = 0;
  let runEnd = 0;
  let runBuckets = 0;
  let runExpected = 0;
  let runObserved = 0;
  const close = (): void => {
    if (runKind === undefined) return;
    ranges.push(rangeOf(runKind, group, bounds[index[runStart]!]!, bounds[index[runEnd]! + 1]!, runBuckets, runExpected, runObserved, absent));
    runKind = undefined;
  };
  /** The expected bucket of rank r with `rows` rows, under its threshold unless a hole's 0 passes it. */
  const under = (r: number, rows: number): void => {
    if (r < startRank) return;
    if (r >= futureEnd) return close();
    const exp = expected[index[r]!]!;
    const passes = rows >= exp * minRatio - EPSILON;
    let kind: RunKind | undefined;
    if (r >= settledEnd) kind = passes ? undefined : 'SETTLING';
    else if (passes) kind = undefined;
    else if (r === edgeRank) kind = 'SERIES_START';
    else kind = rows === 0 ? 'MISSING' : 'UNDERFILLED';
    if (kind === undefined) return close();
    if (kind !== runKind) {
      close();
      runKind = kind;
      runStart = r;
      runBuckets = 0;
      runExpected = 0;
      runObserved = 0;
    }
    runEnd = r;
    runBuckets++;
    runExpected += exp;
    runObserved += rows;
  };

  // Buckets that have not begun end any run and make none, so the walk stops at futureEnd.
  let next = 0;
  for (const p of pieces) {
    if (p.lo < next) mismatch(group, 'overlapping pieces');
    // The hole before the piece: no row at all in those expected buckets.
    for (let r = Math.max(next, startRank); r < Math.min(p.lo, futureEnd); r++) under(r, 0);
    next = p.hi + 1;
    if (p.lo >= futureEnd) break;
    if (p.rows < 0) close();
    else under(p.lo, p.rows);
  }
  for (let r = Math.max(next, startRank); r < futureEnd; r++) under(r, 0);
  close();
  return { ranges, checked: Math.max(0, settleRank - startRank), pending: total - settledEnd };
}
