/**
 * The built-in sample table `market.ticks`: ten days of minute ticks for AMZN, GOOG and WORK with a few
 * deliberate defects, so gapwatch has something to find with no data of its own.
 *
 * Pure and deterministic: the same seed always yields the same rows, so tests and docs can name the
 * defects exactly. Loading the rows into DuckDB is the engine's job (athena/catalog.ts).
 */
import { mulberry32 } from '../../services/random';

export type SampleDefectKind = 'MISSING' | 'UNDERFILLED' | 'ABSENT_DAY' | 'STARTS_MID_HOUR';

export interface SampleDefect {
  symbol: string;
  kind: SampleDefectKind;
  /** ISO UTC, inclusive. */
  start: string;
  /** ISO UTC, exclusive. */
  end: string;
  note: string;
}

/** Half-open range covered by the sample. */
export const SAMPLE_RANGE: { start: string; end: string } = {
  start: '2024-03-04T00:00:00.000Z',
  end: '2024-03-14T00:00:00.000Z',
};

export const SAMPLE_SYMBOLS: readonly string[] = ['AMZN', 'GOOG', 'WORK'];

/** A healthy hour has at least this many ticks (60 × 0.8), the threshold gapwatch's seed data used. */
export const SAMPLE_HEALTHY_MIN_TICKS = 48;

/** Ticks kept in each under-filled hour, keyed by `${symbol} ${start}`. */
const UNDERFILLED_COUNTS: Readonly<Record<string, number>> = {
  'AMZN 2024-03-08T09:00:00.000Z': 18,
  'GOOG 2024-03-12T15:00:00.000Z': 25,
  'WORK 2024-03-06T07:00:00.000Z': 12,
};

/** The minute WORK's series starts at on its first hour (2024-03-04T00:35Z). */
const WORK_FIRST_MINUTE = 35;

export const SAMPLE_DEFECTS: ReadonlyArray<SampleDefect> = [
  { symbol: 'AMZN', kind: 'MISSING', start: '2024-03-05T13:00:00.000Z', end: '2024-03-05T14:00:00.000Z', note: 'one whole hour with no ticks' },
  { symbol: 'GOOG', kind: 'MISSING', start: '2024-03-07T02:00:00.000Z', end: '2024-03-07T04:00:00.000Z', note: 'two consecutive hours with no ticks' },
  { symbol: 'WORK', kind: 'MISSING', start: '2024-03-11T20:00:00.000Z', end: '2024-03-11T21:00:00.000Z', note: 'one whole hour with no ticks' },
  { symbol: 'AMZN', kind: 'UNDERFILLED', start: '2024-03-08T09:00:00.000Z', end: '2024-03-08T10:00:00.000Z', note: 'exactly 18 ticks in the hour' },
  { symbol: 'GOOG', kind: 'UNDERFILLED', start: '2024-03-12T15:00:00.000Z', end: '2024-03-12T16:00:00.000Z', note: 'exactly 25 ticks in the hour' },
  { symbol: 'WORK', kind: 'UNDERFILLED', start: '2024-03-06T07:00:00.000Z', end: '2024-03-06T08:00:00.000Z', note: 'exactly 12 ticks in the hour' },
  { symbol: 'GOOG', kind: 'ABSENT_DAY', start: '2024-03-09T00:00:00.000Z', end: '2024-03-10T00:00:00.000Z', note: 'no GOOG ticks for the whole UTC day' },
  {
    symbol: 'WORK',
    kind: 'STARTS_MID_HOUR',
    start: '2024-03-04T00:00:00.000Z',
    end: '2024-03-04T00:35:00.000Z',
    note: 'the WORK series starts at 00:35, so its first hour holds only minutes 35–59 (about 23 ticks)',
  },
];

export interface SampleTick {
  symbol: string;
  /** Epoch milliseconds, UTC, on a whole minute. */
  captureMillis: number;
  price: number;
  volume: number;
}

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;
const BASE_PRICE: Readonly<Record<string, number>> = { AMZN: 175, GOOG: 138, WORK: 24 };

function inDefect(symbol: string, kind: SampleDefectKind, hourStart: number): boolean {
  return SAMPLE_DEFECTS.some(
    (d) => d.symbol === symbol && d.kind === kind && Date.parse(d.start) <= hourStart && hourStart < Date.parse(d.end),
  );
}

/** Picks exactly `count` distinct minutes of 0..59 (seeded), ascending. */
function pickMinutes(rand: () => number, count: number): number[] {
  const minutes = Array.from({ length: 60 }, (_, i) => i);
  for (let i = 59; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [minutes[i], minutes[j]] = [minutes[j], minutes[i]];
  }
  return minutes.slice(0, count).sort((a, b) => a - b);
}

/**
 * Every tick of the sample, ordered by symbol then time. Each minute of a healthy hour is present with
 * probability 0.93; an hour that happens to fall below 48 ticks is topped up so that only the listed
 * defects are defects.
 */
export function generateSampleTicks(seed = 20240304): SampleTick[] {
  const rand = mulberry32(seed);
  const start = Date.parse(SAMPLE_RANGE.start);
  const end = Date.parse(SAMPLE_RANGE.end);
  const ticks: SampleTick[] = [];
  for (const symbol of SAMPLE_SYMBOLS) {
    let price = BASE_PRICE[symbol];
    for (let hour = start; hour < end; hour += HOUR_MS) {
      let minutes: number[];
      const thin = UNDERFILLED_COUNTS[`${symbol} ${new Date(hour).toISOString()}`];
      if (inDefect(symbol, 'MISSING', hour) || inDefect(symbol, 'ABSENT_DAY', hour)) {
        minutes = [];
      } else if (thin !== undefined) {
        minutes = pickMinutes(rand, thin);
      } else {
        const present: boolean[] = Array.from({ length: 60 }, () => rand() < 0.93);
        for (let m = 0; present.filter(Boolean).length < SAMPLE_HEALTHY_MIN_TICKS; m++) present[m] = true;
        minutes = present.flatMap((p, m) => (p ? [m] : []));
        if (symbol === 'WORK' && hour === start) minutes = minutes.filter((m) => m >= WORK_FIRST_MINUTE);
        if (symbol === 'WORK' && hour === start && minutes[0] !== WORK_FIRST_MINUTE) minutes.unshift(WORK_FIRST_MINUTE);
      }
      for (const m of minutes) {
        price = Math.max(1, price * (1 + (rand() - 0.5) * 0.002));
        ticks.push({
          symbol,
          captureMillis: hour + m * MINUTE_MS,
          price: Math.round(price * 100) / 100,
          volume: 100 + Math.floor(rand() * 9900),
        });
      }
    }
  }
  return ticks;
}
