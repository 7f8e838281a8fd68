/**
 * StopQueryExecution against the engine directly, so stops can be swept over the whole life of a run
 * (from the submit on, at growing offsets) rather than wherever an HTTP round trip happens to land.
 */
import { existsSync } from 'node:fs';
import { AthenaEngine } from '../../src/embedded/athena/engine';
import type { ExecutionRecord, QueryState } from '../../src/embedded/athena/store';
import { numbers, SLOW_QUERY, tempDir } from './helpers';

/** A query that runs until interrupted: a cross join of 10^8 × 10^6 rows with an impossible filter. */

const FINAL: readonly QueryState[] = ['SUCCEEDED', 'FAILED', 'CANCELLED'];

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Lets `ms` pass while the event loop keeps turning (DuckDB callbacks, file writes), so the run advances
 * step by step; a timer would jump over whole steps.
 */
async function pause(ms: number): Promise<void> {
  const end = performance.now() + ms;
  while (performance.now() < end) await turn();
}

/** Offsets for a sweep: dense at first (a run's early steps are short), then growing. */
const nextOffset = (ms: number): number => ms * 1.12 + 0.1;

/** Waits until the execution is final; a stop that was lost makes the test time out here. */
async function settled(rec: ExecutionRecord): Promise<QueryState> {
  while (!FINAL.includes(rec.state)) await new Promise((r) => setTimeout(r, 2));
  return rec.state;
}

let engine: AthenaEngine;
let dir: ReturnType<typeof tempDir>;
beforeAll(async () => {
  dir = tempDir();
  engine = await AthenaEngine.open({ dataDir: dir.path, tables: [] });
});
afterAll(async () => {
  await engine.close();
  dir.remove();
});

function submit(query: string): ExecutionRecord {
  const outcome = engine.submit({ query, workGroup: 'primary' });
  if (outcome.kind !== 'ok') throw new Error(`submit refused: ${outcome.kind}`);
  return outcome.record;
}

describe('AthenaEngine.stop', () => {
  it('ends a long query CANCELLED whichever step of the run the stop meets', async () => {
    // Every 100 µs from 0 to 20 ms after the submit: queued, connecting, the checks, planning, executing.
    // Dense on purpose: the gap in which DuckDB drops an interrupt is a fraction of a millisecond.
    const seen = new Set<QueryState>();
    for (let ms = 0; ms < 20; ms += 0.1) {
      const rec = submit(SLOW_QUERY);
      await pause(ms);
      seen.add(rec.state);
      engine.stop(rec.id);
      expect(await settled(rec)).toBe('CANCELLED');
    }
    expect([...seen].sort()).toStrictEqual(['QUEUED', 'RUNNING']);
  });

  it('lets an accepted stop win over the outcome a short query was about to have', async () => {
    // Stops swept over the whole life of queries that would succeed (with rows), fail, or change data:
    // if the stop found the execution unfinished it must end CANCELLED with no result files; if it was
    // already final, the stop is a no-op.
    const queries = [`SELECT n FROM ${numbers(3000)}`, 'SELECT 1 / 0', "SELECT CAST('x' AS INTEGER)", 'CREATE TABLE IF NOT EXISTS stop_scratch (a INTEGER)'];
    for (const query of queries) {
      // Sweep until stops keep finding the execution already final: the whole run has been covered.
      let finishedInARow = 0;
      for (let ms = 0; finishedInARow < 3; ms = nextOffset(ms)) {
        const rec = submit(query);
        await pause(ms);
        const before = rec.state;
        engine.stop(rec.id);
        const after = await settled(rec);
        expect({ query, before, after }).toStrictEqual({ query, before, after: FINAL.includes(before) ? before : 'CANCELLED' });
        if (after === 'CANCELLED') {
          expect(rec.result).toBeUndefined();
          expect(existsSync(engine.store.resultPaths(rec.id).csv)).toBe(false);
        }
        // A later stop changes nothing.
        engine.stop(rec.id);
        expect(rec.state).toBe(after);
        finishedInARow = FINAL.includes(before) ? finishedInARow + 1 : 0;
      }
    }
  });

  it('cancels a queued query without ever starting it, and the running one independently', async () => {
    const slot = tempDir();
    const single = await AthenaEngine.open({ dataDir: slot.path, tables: [], concurrency: 1 });
    try {
      const first = single.submit({ query: SLOW_QUERY, workGroup: 'primary' });
      const second = single.submit({ query: 'SELECT 1', workGroup: 'primary' });
      if (first.kind !== 'ok' || second.kind !== 'ok') throw new Error('submit refused');
      while (first.record.state !== 'RUNNING') await turn();
      expect(second.record.state).toBe('QUEUED');
      single.stop(second.record.id);
      expect(second.record.state).toBe('CANCELLED');
      expect(second.record.startedAt).toBeUndefined();
      single.stop(first.record.id);
      expect(await settled(first.record)).toBe('CANCELLED');
      // The slot is free again and the cancelled queued query never ran.
      const third = single.submit({ query: 'SELECT 1', workGroup: 'primary' });
      if (third.kind !== 'ok') throw new Error('submit refused');
      expect(await settled(third.record)).toBe('SUCCEEDED');
      expect(second.record.state).toBe('CANCELLED');
      expect(second.record.startedAt).toBeUndefined();
    } finally {
      await single.close();
      slot.remove();
    }
  });
});
