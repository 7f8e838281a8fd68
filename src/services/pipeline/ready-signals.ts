import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { Logger } from '../../logger';
import type { Clock } from '../clock/clock';
import { MAX_AT_AHEAD_MS } from '../gaps/check-store';
import type { GapsService } from '../gaps/gaps.service';
import { detailOf } from './history';
import type { ReadySignal } from './types';

/** The state of the pipeline's machine whose Task result is the ready signal (pipeline.asl.json, ResultPath `$.ready`). */
export const INITIATE_STATE = 'Initiate';

export { MAX_AT_AHEAD_MS };

function parse(text: unknown): unknown {
  if (typeof text !== 'string') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const sameInstant = (a: unknown, b: unknown): boolean => typeof a === 'string' && typeof b === 'string' && !Number.isNaN(Date.parse(a)) && Date.parse(a) === Date.parse(b);

/**
 * The ready signal in a run's history: only what the Initiate state put out (its `TaskStateExited`), never
 * the run's input or output, which whoever calls StartExecution chooses (a CHECK run that finds gaps ends
 * with its input as output). Checked against the run itself: the signal names this execution, covers the
 * window the run was started for (which its Check or Validate judged), and is not stamped in the future.
 *
 * `events` are the newly read ones; `history` is the run's whole history so far (ids 1..n, the first being
 * ExecutionStarted with the run's input). Undefined when `events` hold no Initiate exit; `refused` says why
 * a signal there is not taken.
 */
export function readySignalIn(
  executionArn: string,
  events: readonly HistoryEvent[],
  history: readonly HistoryEvent[],
  now: number,
): { signal: ReadySignal } | { refused: string } | undefined {
  const exit = events.find((e) => e.type === 'TaskStateExited' && detailOf(e)?.name === INITIATE_STATE);
  if (!exit) return undefined;
  const output = parse(detailOf(exit)?.output);
  const ready = isObject(output) ? output.ready : undefined;
  if (!isObject(ready)) return { refused: 'the Initiate state put out no ready signal' };
  const started = history[0]?.type === 'ExecutionStarted' ? parse(detailOf(history[0])?.input) : undefined;
  if (!isObject(started)) return { refused: "the run's input is not in its history" };
  if (ready.runId !== executionArn) return { refused: `the signal names run '${String(ready.runId).slice(0, 200)}', not this one` };
  if (typeof ready.dataset !== 'string' || ready.dataset !== started.dataset) return { refused: `the signal's dataset is not the run's (${String(started.dataset)})` };
  if (!sameInstant(ready.from, started.from) || !sameInstant(ready.to, started.to)) {
    return { refused: `the signal's window [${String(ready.from)}, ${String(ready.to)}) is not the run's [${String(started.from)}, ${String(started.to)})` };
  }
  const at = typeof ready.at === 'string' ? Date.parse(ready.at) : NaN;
  if (Number.isNaN(at)) return { refused: 'the signal has no valid at' };
  if (at > now + MAX_AT_AHEAD_MS) return { refused: `the signal is stamped ${ready.at}, ahead of now (${new Date(now).toISOString()})` };
  return { signal: { dataset: ready.dataset, from: ready.from as string, to: ready.to as string, runId: executionArn, at: ready.at as string } };
}

/**
 * Initiate's output is the dataset's ready signal (on AWS it runs in Lambda and cannot reach this process),
 * so the service learns of it from the run's history, as the run watcher reads it (never from a client's
 * read: reading a run changes nothing). Each is handed to the gaps service once: not again when the history
 * is read again, nor when the gaps service already has this signal or a newer one (another instance, a
 * restart).
 */
export class ReadySignals {
  /** Runs whose ready signal this instance has handled (bounded; past it, the gaps service is asked). */
  private readonly recorded = new Set<string>();

  constructor(
    private readonly gaps: GapsService,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  /** Records the ready signal among a run's newly read `events`, if they hold one that is the run's own. */
  async fromHistory(executionArn: string, events: readonly HistoryEvent[], history: readonly HistoryEvent[]): Promise<void> {
    const found = readySignalIn(executionArn, events, history, this.clock.now());
    if (found === undefined) return;
    if ('refused' in found) {
      this.logger.warn({ executionArn, reason: found.refused }, 'ready signal of a pipeline run not recorded');
      return;
    }
    await this.record(found.signal);
  }

  private async record(ready: ReadySignal): Promise<void> {
    if (this.recorded.has(ready.runId) || !this.gaps.dataset(ready.dataset)) return;
    this.recorded.add(ready.runId);
    if (this.recorded.size > 10_000) this.recorded.delete(this.recorded.values().next().value!);
    try {
      const last = await this.gaps.lastReadySignal(ready.dataset);
      if (last && last.at.getTime() >= Date.parse(ready.at)) return;
      await this.gaps.recordReadySignal({ dataset: ready.dataset, from: Date.parse(ready.from), to: Date.parse(ready.to), at: Date.parse(ready.at), source: { runId: ready.runId } });
      this.logger.info({ dataset: ready.dataset, runId: ready.runId }, 'ready signal recorded from a pipeline run');
    } catch (err) {
      this.recorded.delete(ready.runId);
      this.logger.error({ err, runId: ready.runId }, 'could not record a ready signal');
    }
  }
}
