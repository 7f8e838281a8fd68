/**
 * The pipeline's four Task handlers. One code path: the embedded Step Functions calls them in-process, and
 * on AWS each is a Lambda function (src/lambda.ts wraps the same functions). A handler's input is the JSON
 * its Task state passes (pipeline.asl.json); it validates that input as untrusted, since on AWS anything
 * may invoke the function. A thrown error's `name` is the Task's error (Lambda's errorType), its message
 * the cause, so the state machine's Retry and Catch match on it.
 */
import { CodedError, ErrorCode } from '../../errors';
import type { Clock } from '../clock/clock';
import { checkUse, windowProblem, type WindowUse } from '../gaps/compute';
import type { Dataset } from '../gaps/dataset';
import type { GapCheck, GapsService } from '../gaps/gaps.service';
import { MAX_RESULT_BYTES, RepairError, type RepairAction } from './repair';
import type { TaskName } from './definition';
import { MAX_RANGES, type CheckResult, type RangeSpec, type ReadySignal, type RepairResult, type ValidationResult } from './types';

/** What a Task handler gets besides its input; `signal` aborts when the run is stopped or the Task times out. */
export interface TaskContext {
  signal: AbortSignal;
  /** The execution's ARN when the caller knows it (the embedded engine always does). */
  executionArn?: string;
}

export type PipelineHandler = (input: unknown, context: TaskContext) => Promise<unknown>;

/** Errors the handlers throw, named as Task errors `gapwatch.<Name>`. */
export class TaskError extends Error {
  constructor(
    readonly error: 'InvalidInput' | 'BackendUnavailable' | 'QueryFailed' | 'RepairNotConfigured',
    message: string,
  ) {
    super(message);
    this.name = `gapwatch.${error}`;
  }
}

export interface HandlerDeps {
  gaps: GapsService;
  /** Dataset name → its repair action (repair.ts); a dataset without one cannot be repaired. */
  repairs: ReadonlyMap<string, RepairAction>;
  clock: Clock;
}

const MAX_TEXT = 512;

function fail(message: string): never {
  throw new TaskError('InvalidInput', message);
}

function text(input: Record<string, unknown>, key: string, where = 'input'): string {
  const value = input[key];
  if (typeof value !== 'string' || value === '' || value.length > MAX_TEXT) fail(`${where}.${key}: expected a non-empty string of at most ${MAX_TEXT} characters`);
  return value;
}

function instant(input: Record<string, unknown>, key: string, where = 'input'): number {
  const value = text(input, key, where);
  const ms = Date.parse(value);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(value) || Number.isNaN(ms)) fail(`${where}.${key}: expected an ISO-8601 instant, got '${value}'`);
  return ms;
}

function object(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail(`${where}: expected an object`);
  return value as Record<string, unknown>;
}

/** A range as given (by a client or a check), checked and normalised to ISO UTC. */
export function parseRange(value: unknown, where: string): RangeSpec {
  const r = object(value, where);
  const start = instant(r, 'start', where);
  const end = instant(r, 'end', where);
  if (start >= end) fail(`${where}: start must be before end`);
  return {
    group: text(r, 'group', where),
    start: new Date(start).toISOString(),
    end: new Date(end).toISOString(),
    ...(typeof r.kind === 'string' && r.kind.length <= 32 ? { kind: r.kind } : {}),
  };
}

function ranges(value: unknown, where: string): RangeSpec[] {
  if (!Array.isArray(value)) fail(`${where}: expected a list of ranges`);
  if (value.length > MAX_RANGES) fail(`${where}: at most ${MAX_RANGES} ranges, got ${value.length}`);
  return value.map((r, i) => parseRange(r, `${where}[${i}]`));
}

/** Failures of the gap check, as Task errors the state machine can tell apart (and retry when transient). */
function taskErrorOf(err: unknown): unknown {
  if (!(err instanceof CodedError)) return err;
  switch (err.code) {
    case ErrorCode.BAD_USER_INPUT:
    case ErrorCode.NOT_FOUND:
      return new TaskError('InvalidInput', err.message);
    case ErrorCode.BACKEND_UNAVAILABLE:
      return new TaskError('BackendUnavailable', err.message);
    default:
      return new TaskError('QueryFailed', err.message);
  }
}

function gapRanges(check: GapCheck): RangeSpec[] {
  return check.ranges
    .filter((r) => r.kind === 'MISSING' || r.kind === 'UNDERFILLED')
    .map((r) => ({ group: r.group, start: new Date(r.start).toISOString(), end: new Date(r.end).toISOString(), kind: r.kind }));
}

function describeRanges(list: readonly RangeSpec[]): string {
  const shown = list.slice(0, 20).map((r) => `${r.group}${r.kind ? ` ${r.kind}` : ''} [${r.start}, ${r.end})`);
  return `${shown.join('; ')}${list.length > shown.length ? `; and ${list.length - shown.length} more` : ''}`;
}

export function createHandlers(deps: HandlerDeps): Record<TaskName, PipelineHandler> {
  const { gaps, repairs, clock } = deps;

  const check = async (dataset: string, from: number, to: number, groups?: string[]): Promise<GapCheck> => {
    try {
      return await gaps.check(dataset, { from, to, ...(groups ? { groups } : {}), trigger: 'PIPELINE' });
    } catch (err) {
      throw taskErrorOf(err);
    }
  };

  const requireDataset = (name: string): Dataset => {
    try {
      return gaps.require(name);
    } catch (err) {
      throw taskErrorOf(err);
    }
  };

  /**
   * The dataset's window rules (instants in range; at most maxCheckWindow for what a check judges, maxWindow for
   * what a repair writes), for every window a handler acts on: whoever calls it (a state machine that is not
   * the pipeline's, a direct Lambda invoke), a repair never writes more than a check may judge.
   */
  const requireWindow = (dataset: Dataset, from: number, to: number, where: string, use: WindowUse = checkUse(dataset, false)): void => {
    const problem = windowProblem(dataset, from, to, use);
    if (problem) fail(`${where}: ${problem}`);
  };

  return {
    async check(raw, { signal }): Promise<CheckResult> {
      const input = object(raw, 'input');
      signal.throwIfAborted();
      const result = await check(text(input, 'dataset'), instant(input, 'from'), instant(input, 'to'));
      const found = gapRanges(result);
      return {
        status: result.status === 'OK' ? 'OK' : 'GAPS',
        checkId: result.id,
        checkedAt: result.checkedAt.toISOString(),
        queryExecutionId: result.queryExecutionId,
        ranges: found.slice(0, MAX_RANGES),
        rangeCount: found.length,
        truncated: found.length > MAX_RANGES,
      };
    },

    async repair(raw, { signal }): Promise<RepairResult> {
      const input = object(raw, 'input');
      const dataset = text(input, 'dataset');
      const range = parseRange(input.range, 'input.range');
      requireWindow(requireDataset(dataset), Date.parse(range.start), Date.parse(range.end), 'input.range', 'buckets');
      const action = repairs.get(dataset);
      if (!action) throw new TaskError('RepairNotConfigured', `dataset '${dataset}' has no repair action (set repair: in its config entry)`);
      signal.throwIfAborted();
      let result: unknown;
      try {
        result = (await action(range, { signal })) ?? null;
      } catch (err) {
        if (signal.aborted) throw err;
        // The action's own error name is kept (a Lambda's errorType, say); a bare Error becomes RepairFailed.
        const e = err instanceof Error ? err : new Error(String(err));
        throw Object.assign(new RepairError(e.message), e.name && e.name !== 'Error' ? { name: e.name } : {});
      }
      const json = JSON.stringify(result);
      if (json === undefined || Buffer.byteLength(json) > MAX_RESULT_BYTES) {
        throw new RepairError(`the repair action's result is not JSON of at most ${MAX_RESULT_BYTES} bytes`);
      }
      return { range, result: JSON.parse(json) };
    },

    async validate(raw, { signal }): Promise<ValidationResult> {
      const input = object(raw, 'input');
      const dataset = text(input, 'dataset');
      const from = instant(input, 'from');
      const to = instant(input, 'to');
      const ds = requireDataset(dataset);
      requireWindow(ds, from, to, 'input');
      // Exactly what was repaired when there was a repair; else the ranges given; else the whole window.
      const where = Array.isArray(input.repaired) ? 'input.repaired' : 'input.ranges';
      const windows: RangeSpec[] = Array.isArray(input.repaired)
        ? ranges(input.repaired.map((r: unknown) => object(r, 'input.repaired[]').range), where)
        : input.ranges !== undefined
          ? ranges(input.ranges, where)
          : [];
      windows.forEach((w, i) => {
        if (Date.parse(w.start) < from || Date.parse(w.end) > to) fail(`${where}[${i}]: [${w.start}, ${w.end}) is not inside the window [${new Date(from).toISOString()}, ${new Date(to).toISOString()})`);
      });
      const remaining: RangeSpec[] = [];
      const window = `[${new Date(from).toISOString()}, ${new Date(to).toISOString()})`;
      // The ready signal covers the whole window, so Initiate follows only a check of all of it in this run.
      let whole: GapCheck | undefined;
      if (windows.length === 0) {
        signal.throwIfAborted();
        whole = await check(dataset, from, to);
        remaining.push(...gapRanges(whole));
      } else {
        // One check per distinct window, judging only the groups repaired in it.
        const byWindow = new Map<string, { start: number; end: number; groups: string[] }>();
        for (const w of windows) {
          const key = `${w.start}/${w.end}`;
          const entry = byWindow.get(key) ?? { start: Date.parse(w.start), end: Date.parse(w.end), groups: [] };
          entry.groups.push(w.group);
          byWindow.set(key, entry);
        }
        for (const w of byWindow.values()) {
          signal.throwIfAborted();
          remaining.push(...gapRanges(await check(dataset, w.start, w.end, w.groups)));
        }
        // What was repaired is complete; the rest of the window is judged now, whatever the run's mode: a
        // FULL run's Check found these ranges, but a GAPS check may also have had buckets still settling
        // (PENDING), and the data may have changed since. `mode` is the caller's word, not evidence.
        if (remaining.length === 0) {
          signal.throwIfAborted();
          whole = await check(dataset, from, to);
        }
      }
      if (remaining.length > 0) {
        return { status: 'GAPS', windows, remaining: remaining.slice(0, MAX_RANGES), summary: `${remaining.length} range(s) still have gaps: ${describeRanges(remaining)}` };
      }
      if (whole === undefined || whole.status === 'OK') return { status: 'OK', windows, remaining: [], summary: 'no gaps remain' };
      const elsewhere = gapRanges(whole);
      return {
        status: 'NOT_READY',
        windows,
        remaining: elsewhere.slice(0, MAX_RANGES),
        summary:
          elsewhere.length > 0
            ? `the re-checked ranges are complete, but the window ${window} is not, so it is not declared ready: ${elsewhere.length} other range(s) have gaps: ${describeRanges(elsewhere)}`
            : `the window ${window} checks ${whole.status}, not OK, so it is not declared ready`,
      };
    },

    async initiate(raw, { signal, executionArn }): Promise<ReadySignal> {
      const input = object(raw, 'input');
      signal.throwIfAborted();
      const dataset = text(input, 'dataset');
      const from = instant(input, 'from');
      const to = instant(input, 'to');
      requireWindow(requireDataset(dataset), from, to, 'input');
      const runId = typeof input.runId === 'string' && input.runId !== '' ? input.runId : executionArn;
      if (!runId) fail('input.runId: expected the execution ARN ($$.Execution.Id)');
      // Where the caller knows the execution (the embedded engine always does), the signal names that one.
      if (executionArn !== undefined && runId !== executionArn) fail(`input.runId: expected this execution's ARN ${executionArn}, got '${runId.slice(0, 200)}'`);
      return {
        dataset,
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        runId,
        at: new Date(clock.now()).toISOString(),
      };
    },
  };
}
