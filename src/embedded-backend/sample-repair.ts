/**
 * `repair: sample`, the embedded backend's built-in repair of its sample `market.ticks`: it regenerates the
 * ticks a range lacks from a deterministic source (seeded per symbol and hour, the same presence rule as
 * the sample itself: each minute with probability 0.93, topped up to at least 48) and writes them through
 * Athena SQL, as a repair of a real lake would. Idempotent: the INSERT adds only ticks whose (symbol, minute) is absent, so a second
 * repair of the same range changes nothing.
 *
 * The ticks it writes are made up. It belongs to the embedded wiring alone: a dataset opts in with
 * `repair: sample`, and on the aws backend that is a configuration error (services/pipeline/repair.ts).
 */
import { SAMPLE_HEALTHY_MIN_TICKS, SAMPLE_SYMBOLS } from '../embedded/athena/sample';
import { ConfigError } from '../errors';
import type { AthenaService } from '../services/athena/athena.service';
import { RepairError, type BuiltInRepair } from '../services/pipeline/repair';
import { mulberry32 } from '../services/random';
import type { RangeSpec } from '../services/pipeline/types';

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
/** One INSERT per day of range keeps each statement far below Athena's 256 KiB query text limit. */
const CHUNK_MS = 24 * HOUR_MS;

/** A stable 32-bit seed per symbol and hour (FNV-1a), so regenerating a range always yields the same ticks. */
function seedOf(symbol: string, hour: number): number {
  let h = 0x811c9dc5;
  for (const ch of `${symbol}@${hour}`) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193);
  return h >>> 0;
}

/** The minutes of [from, to) the source has ticks for: per whole hour as the sample; a partial hour is filled. */
export function sourceMinutes(symbol: string, from: number, to: number): { at: number; volume: number }[] {
  const out: { at: number; volume: number }[] = [];
  for (let hour = Math.floor(from / HOUR_MS) * HOUR_MS; hour < to; hour += HOUR_MS) {
    const rand = mulberry32(seedOf(symbol, hour));
    const present = Array.from({ length: 60 }, () => rand() < 0.93);
    for (let m = 0; present.filter(Boolean).length < SAMPLE_HEALTHY_MIN_TICKS; m++) present[m] = true;
    const whole = hour >= from && hour + HOUR_MS <= to;
    for (let m = 0; m < 60; m++) {
      const at = hour + m * MINUTE_MS;
      const volume = 100 + Math.floor(rand() * 9900);
      if (at < from || at >= to) continue;
      if (whole ? present[m] : true) out.push({ at, volume });
    }
  }
  return out;
}

function timestampLiteral(ms: number): string {
  return `TIMESTAMP '${new Date(ms).toISOString().slice(0, 19).replace('T', ' ')}'`;
}

/**
 * The repair action for `database.ticks` (symbol, capture_datetime, price, volume). Prices continue from
 * the symbol's last tick before the range (100 when it has none), so repaired rows look like their
 * neighbours.
 */
export const sampleTicksRepair: BuiltInRepair = (dataset, where, { athena, database }) => {
  if (dataset.shape !== 'long') throw new ConfigError(`${where}: the sample repair writes ticks to a table; this dataset is wide`);
  const table = dataset.table!;
  return async (range: RangeSpec, { signal }) => {
    if (!SAMPLE_SYMBOLS.includes(range.group)) {
      throw new RepairError(`the sample source has no symbol '${range.group}' (it has ${SAMPLE_SYMBOLS.join(', ')})`);
    }
    const from = Date.parse(range.start);
    const to = Date.parse(range.end);
    const target = `${database}.${table}`;
    let inserted = 0;
    for (let chunk = from; chunk < to; chunk += CHUNK_MS) {
      signal.throwIfAborted();
      const ticks = sourceMinutes(range.group, chunk, Math.min(to, chunk + CHUNK_MS));
      if (ticks.length === 0) continue;
      const values = ticks.map((t) => `(${timestampLiteral(t.at)}, ${t.volume})`).join(', ');
      // Only what is absent: a tick already there (or added by an earlier repair) is never written twice.
      const absent = `FROM (VALUES ${values}) AS v(capture_datetime, volume)
        WHERE NOT EXISTS (SELECT 1 FROM ${target} t WHERE t.symbol = '${range.group}' AND t.capture_datetime = v.capture_datetime)`;
      const counted = await runQuery(athena, `SELECT count(*) AS n ${absent}`, database, signal);
      if (Number((await athena.page(counted, null)).values[0]?.[0] ?? 0) === 0) continue;
      const lastPrice = `COALESCE((SELECT max_by(price, capture_datetime) FROM ${target}
        WHERE symbol = '${range.group}' AND capture_datetime < ${timestampLiteral(chunk)}), 100)`;
      const insert = await runQuery(
        athena,
        `INSERT INTO ${target} (symbol, capture_datetime, price, volume)
         SELECT '${range.group}', v.capture_datetime, round(${lastPrice} * (1 + (v.volume % 21 - 10) / 10000e0), 2), v.volume ${absent}`,
        database,
        signal,
      );
      // What this statement wrote, not what was absent before it: a concurrent repair of the same range may
      // have written some of those ticks in between, and they are its to report.
      inserted += (await athena.page(insert, null)).updateCount ?? 0;
    }
    return { inserted };
  };
};

/** Runs one statement; an abort stops the Athena query, so a stopped run leaves nothing running. */
async function runQuery(athena: AthenaService, sql: string, database: string, signal: AbortSignal): Promise<string> {
  signal.throwIfAborted();
  const id = await athena.start({ sql, database });
  const stop = () => void athena.stop(id).catch(() => {});
  signal.addEventListener('abort', stop, { once: true });
  try {
    await athena.wait(id);
  } finally {
    signal.removeEventListener('abort', stop);
  }
  signal.throwIfAborted();
  return id;
}
