/**
 * Time-zone arithmetic over true instants in an IANA zone: bucket grids for gaps, and the offset of a
 * decoded `timestamp with time zone` (one implementation, so both agree on every transition).
 *
 * "Wall" time below is the local clock reading expressed as epoch milliseconds as if it were UTC
 * (wall = instant + offset). Bucket boundaries are the instants whose wall time is a multiple of
 * the bucket length, so an hour that the clock repeats (fall-back) is two buckets and an hour it
 * skips (spring-forward) is none: no hour is ever falsely missing or counted twice.
 *
 * Offsets come from Intl.DateTimeFormat, which is slow (microseconds a call), so each zone keeps a
 * per-UTC-day cache of { offset before, transition instant, offset after }. Real zones change
 * offset at most once per UTC day; a grid over a year costs ~366 Intl calls once per process.
 */

const DAY_MS = 86_400_000;

interface DayOffsets {
  /** Offset (ms) in force at the start of the UTC day. */
  readonly before: number;
  /** First instant of the day with the `after` offset; Infinity when the offset does not change. */
  readonly at: number;
  readonly after: number;
}

export interface Zone {
  readonly name: string;
  /** Offset (ms, wall − instant) in force at instant t. */
  offsetAt(t: number): number;
  /** Local clock reading at t as epoch-ms-as-if-UTC. */
  wallAt(t: number): number;
  /** First instant ≥ t whose wall time is a multiple of stepMs (a bucket boundary). */
  ceilBoundary(t: number, stepMs: number): number;
  /** Last bucket boundary ≤ t. */
  floorBoundary(t: number, stepMs: number): number;
  /**
   * The first instant whose wall time is ≥ wall (the instant of a wall-clock reading; a reading
   * skipped by spring-forward maps to the transition instant, a repeated one to its first occurrence).
   */
  instantOfWall(wall: number): number;
  /**
   * Like instantOfWall, but a reading skipped by spring-forward gives null: it names no instant.
   * A repeated reading (fall-back overlap) still gives its first occurrence, as java.time does.
   */
  instantOfWallStrict(wall: number): number | null;
  /** Distinct offsets (ms) in force at some point of [from, to). */
  offsetsIn(from: number, to: number): number[];
}

const zones = new Map<string, Zone>();

/** True when the runtime knows the IANA zone name. */
export function isKnownZone(name: string): boolean {
  if (name.trim() === '') return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** The cached Zone for an IANA name; throws RangeError for an unknown zone. */
export function zoneFor(name: string): Zone {
  let zone = zones.get(name);
  if (zone === undefined) {
    zone = createZone(name);
    zones.set(name, zone);
  }
  return zone;
}

function mod(a: number, m: number): number {
  const r = a % m;
  return r < 0 ? r + m : r;
}

function createZone(name: string): Zone {
  const utc = name === 'UTC' || name === 'Etc/UTC' || name === 'Etc/GMT' || name === 'GMT';
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: name,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
    era: 'short',
  });
  const days = new Map<number, DayOffsets>();

  function rawOffset(t: number): number {
    if (utc) return 0;
    const seconds = Math.floor(t / 1000) * 1000;
    let year = 0;
    let month = 0;
    let day = 0;
    let hour = 0;
    let minute = 0;
    let second = 0;
    let bc = false;
    for (const part of format.formatToParts(seconds)) {
      switch (part.type) {
        case 'year': year = Number(part.value); break;
        case 'month': month = Number(part.value); break;
        case 'day': day = Number(part.value); break;
        case 'hour': hour = Number(part.value); break;
        case 'minute': minute = Number(part.value); break;
        case 'second': second = Number(part.value); break;
        case 'era': bc = part.value === 'BC' || part.value === 'B'; break;
        default: break;
      }
    }
    const wall = new Date(0);
    wall.setUTCFullYear(bc ? 1 - year : year, month - 1, day);
    wall.setUTCHours(hour, minute, second, 0);
    return wall.getTime() - seconds;
  }

  function dayOffsets(dayIndex: number): DayOffsets {
    let entry = days.get(dayIndex);
    if (entry !== undefined) return entry;
    const start = dayIndex * DAY_MS;
    const before = rawOffset(start);
    const after = rawOffset(start + DAY_MS - 1000);
    if (before === after) {
      entry = { before, at: Infinity, after };
    } else {
      // Bisect to the first second with the new offset. Modern transitions fall on whole minutes,
      // but old ones from local mean time do not (Europe/Amsterdam 1937: +00:19:32 → +00:20), and a
      // decoded timestamp must get those right to the second too. ~17 Intl calls per transition day.
      let lo = start; // has `before`
      let hi = start + DAY_MS - 1000; // has `after`
      while (hi - lo > 1000) {
        const mid = lo + Math.floor((hi - lo) / 2000) * 1000;
        if (rawOffset(mid) === before) lo = mid;
        else hi = mid;
      }
      entry = { before, at: hi, after };
    }
    days.set(dayIndex, entry);
    return entry;
  }

  function offsetAt(t: number): number {
    if (utc) return 0;
    const entry = dayOffsets(Math.floor(t / DAY_MS));
    return t < entry.at ? entry.before : entry.after;
  }

  /** First transition instant x with a < x ≤ b, or Infinity. */
  function transitionIn(a: number, b: number): number {
    if (utc) return Infinity;
    const last = Math.floor(b / DAY_MS);
    for (let d = Math.floor(a / DAY_MS); d <= last; d++) {
      const at = dayOffsets(d).at;
      if (at > a && at <= b) return at;
    }
    return Infinity;
  }

  function ceilBoundary(t: number, stepMs: number): number {
    // Bounded loop: each round starts after a transition, and a step holds at most a few.
    for (let from = t, rounds = 0; rounds < 16; rounds++) {
      const offset = offsetAt(from);
      const wall = from + offset;
      const r = mod(wall, stepMs);
      const candidate = r === 0 ? from : from + (stepMs - r);
      const x = transitionIn(from, candidate);
      if (x === Infinity) return candidate;
      from = x;
    }
    throw new RangeError(`zone ${name}: no bucket boundary found after ${new Date(t).toISOString()}`);
  }

  function floorBoundary(t: number, stepMs: number): number {
    const offset = offsetAt(t);
    const candidate = t - mod(t + offset, stepMs);
    if (offsetAt(candidate) === offset && transitionIn(candidate, t) === Infinity) return candidate;
    // A transition lies inside the bucket: walk forward from a boundary safely before it.
    let b = ceilBoundary(candidate - stepMs - DAY_MS, stepMs);
    for (;;) {
      const next = ceilBoundary(b + 1, stepMs);
      if (next > t) return b;
      b = next;
    }
  }

  function instantOfWallStrict(wall: number): number | null {
    // Every offset in force within two days of the reading: the instant is wall − offset for
    // one of them, valid when that offset really is in force then.
    let best = Infinity;
    for (const offset of offsetsIn(wall - 2 * DAY_MS, wall + 2 * DAY_MS)) {
      const t = wall - offset;
      if (offsetAt(t) === offset && t < best) best = t;
    }
    return best === Infinity ? null : best;
  }

  function instantOfWall(wall: number): number {
    const t = instantOfWallStrict(wall);
    if (t !== null) return t;
    // Skipped by a spring-forward: the clock reaches `wall` at the transition itself.
    const around = offsetsIn(wall - 2 * DAY_MS, wall + 2 * DAY_MS);
    return transitionIn(wall - Math.max(...around) - 1, wall - Math.min(...around));
  }

  function offsetsIn(from: number, to: number): number[] {
    const seen = new Set<number>();
    if (utc) return [0];
    const last = Math.floor((to - 1) / DAY_MS);
    for (let d = Math.floor(from / DAY_MS); d <= last; d++) {
      const entry = dayOffsets(d);
      seen.add(entry.before);
      seen.add(entry.after);
    }
    return [...seen];
  }

  // Validate now so an unknown zone fails at config time, not on the hot path.
  rawOffset(0);
  return {
    name,
    offsetAt,
    wallAt: (t) => t + offsetAt(t),
    ceilBoundary,
    floorBoundary,
    instantOfWall,
    instantOfWallStrict,
    offsetsIn,
  };
}
