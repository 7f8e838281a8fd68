import { createHash } from 'node:crypto';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  StartExecutionCommand,
  StopExecutionCommand,
  type DescribeExecutionOutput,
  type ExecutionStatus,
  type HistoryEvent,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { badInput, CodedError, ErrorCode } from '../../errors';
import type { Logger } from '../../logger';
import { TERMINAL_EVENT_TYPES, type RunWatcher } from '../events/run-watcher';
import { streamRunEvents, type ReadyStream } from '../events/run-stream';
import { checkWindow, type GapsService } from '../gaps/gaps.service';
import { MAX_RANGES, MODES, type PipelineInput, type PipelineMode, type RangeSpec, type ReadySignal, type RepairResult } from './types';

export type RunStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** One pipeline run: a Step Functions execution of the gapwatch state machine, read back through client-sfn. */
export interface PipelineRun {
  /** The execution ARN. */
  id: string;
  name: string;
  status: RunStatus;
  startedAt: Date;
  stoppedAt: Date | null;
  error: string | null;
  cause: string | null;
  /** The execution input as JSON. */
  input: unknown;
  /** From the input; null when it is not the pipeline's shape (an execution started elsewhere). */
  dataset: string | null;
  mode: PipelineMode | null;
  from: string | null;
  to: string | null;
  output: unknown;
  /** The ranges Repair finished (from the output); empty before Repair ends or when it did not run. */
  repairedRanges: RangeSpec[];
  /** Initiate's ready signal, when the run got that far. */
  ready: ReadySignal | null;
}

export interface RunEvent {
  id: number;
  previousId: number | null;
  type: string;
  /** The state the event belongs to (the state entered or exited, or the one whose Task or Map it reports). */
  state: string | null;
  at: Date;
  /** The event's details object as Step Functions gives it (input and output are JSON text). */
  detail: Record<string, unknown> | null;
}

export interface Page<T> {
  items: { node: T; cursor: string }[];
  hasNextPage: boolean;
}

export const MAX_RUNS_PAGE = 100;
export const MAX_EVENTS_PAGE = 1000;
/** ListExecutions pages scanned for one `runs` page with a dataset filter; the cursor resumes past them. */
const MAX_SCAN_PAGES = 10;
const LIST_PAGE = 100;

/** AWS's rules for an execution ARN; anything else is refused before Step Functions is asked. */
const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[A-Za-z0-9_.-]{1,80}:[^\s<>{}[\]?*"#%\\^|~`$&,;:/]{1,80}$/;
const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_.-]{1,80}$/;

export function isExecutionArn(id: string): boolean {
  return id.length <= 2048 && EXECUTION_ARN.test(id);
}

export function isStateMachineArn(arn: string): boolean {
  return STATE_MACHINE_ARN.test(arn);
}

const STATUSES: Readonly<Record<ExecutionStatus, RunStatus>> = {
  RUNNING: 'RUNNING',
  SUCCEEDED: 'SUCCEEDED',
  FAILED: 'FAILED',
  TIMED_OUT: 'TIMED_OUT',
  ABORTED: 'ABORTED',
  // A failed standard execution that may be redriven is still a failed run until it is.
  PENDING_REDRIVE: 'FAILED',
};

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

function asPipelineInput(value: unknown): PipelineInput | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (typeof v.dataset !== 'string' || typeof v.from !== 'string' || typeof v.to !== 'string') return null;
  if (!(MODES as readonly unknown[]).includes(v.mode)) return null;
  return v as unknown as PipelineInput;
}

function toRun(d: DescribeExecutionOutput): PipelineRun {
  const output = parseJson(d.output);
  const input = parseJson(d.input);
  const pipelineInput = asPipelineInput(input);
  const o = (typeof output === 'object' && output !== null ? output : {}) as { repaired?: RepairResult[]; ready?: ReadySignal };
  return {
    id: d.executionArn!,
    name: d.name ?? d.executionArn!.split(':').at(-1)!,
    status: STATUSES[d.status!] ?? 'FAILED',
    startedAt: d.startDate!,
    stoppedAt: d.stopDate ?? null,
    error: d.error ?? null,
    cause: d.cause ?? null,
    input,
    dataset: pipelineInput?.dataset ?? null,
    mode: pipelineInput?.mode ?? null,
    from: pipelineInput?.from ?? null,
    to: pipelineInput?.to ?? null,
    output,
    repairedRanges: Array.isArray(o.repaired) ? o.repaired.map((r) => r.range).filter(Boolean) : [],
    ready: o.ready && typeof o.ready.runId === 'string' ? o.ready : null,
  };
}

/** Events' detail members are `<camelType>EventDetails`; whichever one an event carries is its detail. */
function detailOf(e: HistoryEvent): Record<string, unknown> | null {
  for (const [key, value] of Object.entries(e)) {
    if (key.endsWith('EventDetails') && value && typeof value === 'object') return value as Record<string, unknown>;
  }
  return null;
}

/**
 * A history event as the API shows it. State and Map iteration events name their state; Task events belong
 * to the state of the event they follow (`stateOf` answers for earlier ids).
 */
export function toRunEvent(e: HistoryEvent, stateOf: (id: number) => string | null): RunEvent {
  const detail = detailOf(e);
  const own = typeof detail?.name === 'string' ? detail.name : undefined;
  return {
    id: e.id!,
    previousId: e.previousEventId || null,
    type: e.type!,
    state: own ?? (e.previousEventId ? stateOf(e.previousEventId) : null),
    at: e.timestamp!,
    detail,
  };
}

/** The state an event of a contiguous history (ids 1..n at index id − 1) belongs to, following previousEventId. */
function stateIn(events: readonly HistoryEvent[], id: number): string | null {
  let e: HistoryEvent | undefined = events[id - 1];
  for (let hops = 0; e && hops < 1000; hops++) {
    const name = detailOf(e)?.name;
    if (typeof name === 'string') return name;
    e = e.previousEventId ? events[e.previousEventId - 1] : undefined;
  }
  return null;
}

/** Events whose appearance changes a run's status. */
const STATUS_EVENTS: ReadonlySet<string> = new Set(['ExecutionStarted', ...TERMINAL_EVENT_TYPES]);

function sfnName(err: unknown): string | undefined {
  return (err as { name?: string } | undefined)?.name;
}

function backendError(err: unknown, operation: string): Error {
  if (err instanceof CodedError) return err;
  const e = err as { name?: string; message?: string };
  return new CodedError(ErrorCode.BACKEND_UNAVAILABLE, `Step Functions ${operation} failed: ${e.name ?? 'Error'}: ${e.message ?? String(err)}`, {
    operation,
  });
}

function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function decodeCursor<T>(cursor: string, argument: string, valid: (v: unknown) => v is T): T {
  let value: unknown;
  try {
    value = cursor.length <= 4096 ? JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) : undefined;
  } catch {
    value = undefined;
  }
  if (!valid(value)) throw badInput(argument, 'not a cursor this API handed out');
  return value;
}

/** A runs cursor: the ListExecutions token of the page the last item was on, and its index there. */
type RunsCursor = { t: string | null; i: number };
const isRunsCursor = (v: unknown): v is RunsCursor =>
  typeof v === 'object' && v !== null && (typeof (v as RunsCursor).t === 'string' || (v as RunsCursor).t === null) && Number.isInteger((v as RunsCursor).i) && (v as RunsCursor).i >= 0;

export interface StartRequest {
  dataset: string;
  from: number;
  to: number;
  mode: PipelineMode;
  ranges?: RangeSpec[];
}

/**
 * The pipeline as clients see it: runs started, listed, read and stopped through `@aws-sdk/client-sfn`
 * only, against the embedded Step Functions or real AWS alike. Knows nothing of GraphQL.
 *
 * Run names come from the run's input, so a repeated request (a double click) finds the run already going
 * instead of starting another: `<dataset>-<mode>-<input hash>-<generation>`, where the generation moves on
 * only once the run of that input has ended.
 *
 * Ready signals: Initiate's output is the signal (on AWS it runs in Lambda and cannot reach this process),
 * so this service records it with the gaps service whenever it sees a run succeed — when a client reads
 * the run, and from the run watcher for every run it started.
 */
export class PipelineService {
  /** Base name → the highest generation known to exist, so a repeat needs no search. */
  private readonly generations = new Map<string, number>();
  private closed = false;
  /** Runs whose ready signal this instance has handled (bounded; past it, recordReady asks the gaps service). */
  private readonly recorded = new Set<string>();
  private readonly updateListeners = new Set<(run: PipelineRun) => void>();
  /**
   * Each watched history event's RunEvent, made once for all its subscribers: a RunEvent depends only on
   * its event and the earlier ones of the same history, and one object per event lets the WebSocket layer
   * execute a subscription's selection once per event for all of them (http/shared-execution.ts).
   */
  private readonly runEvents = new WeakMap<HistoryEvent, RunEvent>();

  constructor(
    private readonly sfn: SFNClient,
    readonly stateMachineArn: string,
    private readonly gaps: GapsService,
    private readonly watcher: RunWatcher | undefined,
    private readonly logger: Logger,
  ) {
    // The polling instance alone sees this hook: each status change is read and announced once per fleet
    // (describe also records a succeeded run's ready signal).
    watcher?.onPolled((arn, events) => {
      if (!events.some((e) => STATUS_EVENTS.has(e.type ?? ''))) return;
      this.describe(arn).then(
        (run) => {
          if (run) for (const listener of this.updateListeners) listener(run);
        },
        (err: unknown) => this.logger.warn({ err, executionArn: arn }, 'could not read a run whose status changed'),
      );
    });
  }

  /** Calls `listener` with a run each time its status changes (RUNNING, then how it ended): `runUpdated`'s source. */
  onRunUpdated(listener: (run: PipelineRun) => void): () => void {
    this.updateListeners.add(listener);
    return () => this.updateListeners.delete(listener);
  }

  /**
   * A run's events for one subscriber: those after `afterEventId`, then live ones, each once and in order,
   * ending after the run's last. Read from Step Functions' history by the run watcher (one poller per run).
   */
  streamEvents(id: string, afterEventId = 0): ReadyStream<RunEvent> {
    if (!isExecutionArn(id)) throw badInput('runId', `expected an execution ARN (arn:aws:states:<region>:<account>:execution:<machine>:<name>), got '${id.slice(0, 200)}'`);
    if (!Number.isSafeInteger(afterEventId) || afterEventId < 0) throw badInput('afterEventId', `expected an event id ≥ 0, got ${afterEventId}`);
    if (!this.watcher) throw new CodedError(ErrorCode.FORBIDDEN, 'this gapwatch does not watch runs');
    const watcher = this.watcher;
    const made = this.runEvents;
    const events = streamRunEvents(watcher, id, afterEventId);
    let history: readonly HistoryEvent[] = [];
    const runEvent = (e: HistoryEvent): RunEvent => {
      // The events are the watch's shared list; the state lookup walks it without copying.
      let event = made.get(e);
      if (!event) {
        history = watcher.history(id) ?? history;
        event = toRunEvent(e, (prev) => stateIn(history, prev));
        made.set(e, event);
      }
      return event;
    };
    const mapped: ReadyStream<RunEvent> = {
      takeReady() {
        const e = events.takeReady();
        return e === undefined ? undefined : runEvent(e);
      },
      async next() {
        const r = await events.next();
        if (r.done) return { value: undefined, done: true };
        return { value: runEvent(r.value), done: false };
      },
      return: async () => {
        await events.return?.();
        return { value: undefined, done: true };
      },
      throw: async (err) => {
        await events.return?.();
        throw err;
      },
      [Symbol.asyncIterator]: () => mapped,
    };
    return mapped;
  }

  /** Stops watching runs (the watcher itself is closed by whoever made it). */
  close(): void {
    this.closed = true;
  }

  /** Checks a start request as the resolvers' arguments: dataset, window, ranges inside it. */
  validate(request: StartRequest): PipelineInput {
    const dataset = this.gaps.require(request.dataset);
    // The window rules of a gap check: a run's Check and Validate would refuse anything else, only later.
    checkWindow(dataset, request.from, request.to);
    const input: PipelineInput = {
      dataset: dataset.name,
      from: new Date(request.from).toISOString(),
      to: new Date(request.to).toISOString(),
      mode: request.mode,
    };
    if (request.ranges !== undefined) {
      if (request.ranges.length === 0) throw badInput('ranges', 'expected at least one range (omit ranges to repair what a check finds)');
      if (request.ranges.length > MAX_RANGES) throw badInput('ranges', `at most ${MAX_RANGES} ranges, got ${request.ranges.length}`);
      input.ranges = request.ranges.map((r, i) => {
        const start = Date.parse(r.start);
        const end = Date.parse(r.end);
        if (r.group === '' || r.group.length > 256) throw badInput(`ranges[${i}].group`, 'expected a group name of 1 to 256 characters');
        if (!(start < end)) throw badInput(`ranges[${i}]`, `start ${r.start} must be before end ${r.end}`);
        if (start < request.from || end > request.to) throw badInput(`ranges[${i}]`, `[${r.start}, ${r.end}) is not inside the window [${input.from}, ${input.to})`);
        return { group: r.group, start: new Date(start).toISOString(), end: new Date(end).toISOString() };
      });
    }
    return input;
  }

  /**
   * Starts a run, or returns the run of the same input that is still going. A run of that name with
   * another input (started outside gapwatch) is a conflict, reported as such.
   */
  async start(request: StartRequest): Promise<PipelineRun> {
    const input = this.validate(request);
    const text = JSON.stringify(input);
    const base = this.baseName(input);
    let generation = this.generations.get(base) ?? (await this.lastGeneration(base));
    for (let attempt = 0; attempt < 8; attempt++) {
      if (generation > 0) {
        const current = await this.describe(this.arnOf(`${base}-${generation}`));
        if (current?.status === 'RUNNING') {
          if (JSON.stringify(current.input) !== text) throw this.conflict(current.id);
          return current;
        }
      }
      const name = `${base}-${generation + 1}`;
      try {
        const out = await this.sfn.send(new StartExecutionCommand({ stateMachineArn: this.stateMachineArn, name, input: text }));
        this.generations.set(base, generation + 1);
        this.logger.info({ executionArn: out.executionArn, dataset: input.dataset, mode: input.mode }, 'pipeline run started');
        this.watch(out.executionArn!);
        const run = await this.describe(out.executionArn!);
        if (run) return run;
      } catch (err) {
        // That name is taken by a run that has ended (or one with another input): move past it.
        if (sfnName(err) !== 'ExecutionAlreadyExists') throw backendError(err, 'StartExecution');
      }
      generation += 1;
    }
    throw new CodedError(ErrorCode.BACKEND_UNAVAILABLE, `could not find a free run name for ${base} after 8 attempts; runs of this input are being started concurrently`);
  }

  /** A run by execution ARN; null when Step Functions does not know it. */
  async get(id: string): Promise<PipelineRun | null> {
    if (!isExecutionArn(id)) throw badInput('id', `expected an execution ARN (arn:aws:states:<region>:<account>:execution:<machine>:<name>), got '${id.slice(0, 200)}'`);
    return this.describe(id);
  }

  /** Many runs for one request's DataLoader: each ARN once, concurrently; errors per id. */
  getMany(ids: readonly string[]): Promise<(PipelineRun | null | Error)[]> {
    return Promise.all(ids.map((id) => this.get(id).catch((err: Error) => err)));
  }

  /** Asks Step Functions to stop a run; it ends ABORTED and its running Task's handler sees its signal abort. */
  async stop(id: string, cause?: string): Promise<PipelineRun | null> {
    if (!isExecutionArn(id)) throw badInput('id', `expected an execution ARN, got '${id.slice(0, 200)}'`);
    if (cause !== undefined && cause.length > 32_768) throw badInput('cause', 'at most 32768 characters');
    try {
      await this.sfn.send(new StopExecutionCommand({ executionArn: id, ...(cause !== undefined ? { cause } : {}) }));
    } catch (err) {
      if (sfnName(err) === 'ExecutionDoesNotExist') return null;
      throw backendError(err, 'StopExecution');
    }
    // Its ExecutionAborted is in the history now: subscribers get it without waiting for the next poll.
    this.watcher?.nudge(id);
    return this.describe(id);
  }

  /**
   * Runs of the state machine, newest first, optionally of one dataset and status. The cursor is the
   * ListExecutions position, so paging is stable while new runs start.
   */
  async list(options: { dataset?: string; status?: RunStatus; first: number; after?: string }): Promise<Page<PipelineRun>> {
    const { dataset, status, first } = options;
    if (!Number.isInteger(first) || first < 1 || first > MAX_RUNS_PAGE) throw badInput('first', `expected 1 to ${MAX_RUNS_PAGE}, got ${first}`);
    if (dataset !== undefined) this.gaps.require(dataset);
    let { t: token, i: skip } = options.after ? decodeCursor(options.after, 'after', isRunsCursor) : { t: null as string | null, i: -1 };
    const prefix = dataset === undefined ? undefined : `${slug(dataset)}-`;
    const items: { node: PipelineRun; cursor: string }[] = [];
    for (let scanned = 0; scanned < MAX_SCAN_PAGES; scanned++) {
      let page;
      try {
        page = await this.sfn.send(
          new ListExecutionsCommand({ stateMachineArn: this.stateMachineArn, maxResults: LIST_PAGE, ...(status ? { statusFilter: status } : {}), ...(token ? { nextToken: token } : {}) }),
        );
      } catch (err) {
        if (sfnName(err) === 'InvalidToken') throw badInput('after', 'the cursor has expired; list from the start');
        throw backendError(err, 'ListExecutions');
      }
      const executions = page.executions ?? [];
      const candidates = executions.map((e, i) => ({ e, i })).filter(({ e, i }) => i > skip && (prefix === undefined || e.name?.startsWith(prefix)));
      const runs = await this.getMany(candidates.map(({ e }) => e.executionArn!));
      for (let k = 0; k < candidates.length; k++) {
        const run = runs[k];
        if (run instanceof Error) throw run;
        if (!run || (dataset !== undefined && run.dataset !== dataset)) continue;
        if (items.length === first) return { items, hasNextPage: true };
        items.push({ node: run, cursor: encodeCursor({ t: token, i: candidates[k]!.i }) });
      }
      if (!page.nextToken) return { items, hasNextPage: false };
      // Resuming at the next page: a cursor for "after the end of this page".
      token = page.nextToken;
      skip = -1;
      if (items.length === first) return { items, hasNextPage: true };
    }
    // Scanned as far as one request may; an empty edge list with a cursor lets the client go on.
    return { items, hasNextPage: true };
  }

  /** The run's history as events with AWS's ids 1..n; `after` is an event id (as a cursor string). */
  async events(id: string, first: number, after?: string): Promise<Page<RunEvent>> {
    if (!Number.isInteger(first) || first < 1 || first > MAX_EVENTS_PAGE) throw badInput('first', `expected 1 to ${MAX_EVENTS_PAGE}, got ${first}`);
    const afterId = after === undefined ? 0 : Number(after);
    if (!Number.isSafeInteger(afterId) || afterId < 0) throw badInput('after', `expected an event id, got '${after}'`);
    const states = new Map<number, string | null>();
    const items: { node: RunEvent; cursor: string }[] = [];
    let nextToken: string | undefined;
    do {
      let page;
      try {
        page = await this.sfn.send(new GetExecutionHistoryCommand({ executionArn: id, maxResults: 1000, includeExecutionData: true, ...(nextToken ? { nextToken } : {}) }));
      } catch (err) {
        if (sfnName(err) === 'ExecutionDoesNotExist') return { items: [], hasNextPage: false };
        throw backendError(err, 'GetExecutionHistory');
      }
      for (const e of page.events ?? []) {
        const node = toRunEvent(e, (id) => states.get(id) ?? null);
        states.set(node.id, node.state);
        if (node.id <= afterId) continue;
        if (items.length === first) return { items, hasNextPage: true };
        items.push({ node, cursor: String(node.id) });
      }
      nextToken = page.nextToken;
    } while (nextToken);
    return { items, hasNextPage: false };
  }

  /** The state the run entered last (for a running run, where it is now). */
  async currentState(id: string): Promise<string | null> {
    try {
      const page = await this.sfn.send(new GetExecutionHistoryCommand({ executionArn: id, maxResults: 100, reverseOrder: true, includeExecutionData: false }));
      for (const e of page.events ?? []) {
        const detail = detailOf(e);
        if (e.type?.endsWith('StateEntered') && typeof detail?.name === 'string') return detail.name;
      }
      return null;
    } catch (err) {
      if (sfnName(err) === 'ExecutionDoesNotExist') return null;
      throw backendError(err, 'GetExecutionHistory');
    }
  }

  private async describe(id: string): Promise<PipelineRun | null> {
    let out: DescribeExecutionOutput;
    try {
      out = await this.sfn.send(new DescribeExecutionCommand({ executionArn: id }));
    } catch (err) {
      if (sfnName(err) === 'ExecutionDoesNotExist') return null;
      if (sfnName(err) === 'InvalidArn') throw badInput('id', (err as Error).message);
      throw backendError(err, 'DescribeExecution');
    }
    const run = toRun(out);
    if (run.status === 'SUCCEEDED' && run.ready) await this.recordReady(run.ready);
    return run;
  }

  /**
   * Picks up what happened while this instance was not watching: runs still going are watched to their end,
   * and the newest succeeded ones have their ready signals recorded if the gaps service has nothing newer.
   */
  async resume(): Promise<void> {
    for (const status of ['RUNNING', 'SUCCEEDED'] as const) {
      let page;
      try {
        page = await this.sfn.send(new ListExecutionsCommand({ stateMachineArn: this.stateMachineArn, statusFilter: status, maxResults: status === 'RUNNING' ? 100 : 20 }));
      } catch (err) {
        this.logger.warn({ err, status }, 'could not list pipeline runs at start; their ready signals are recorded when they are read');
        return;
      }
      for (const e of page.executions ?? []) {
        if (status === 'RUNNING') this.watch(e.executionArn!);
        else await this.describe(e.executionArn!).catch((err: unknown) => this.logger.warn({ err, executionArn: e.executionArn }, 'could not read a finished run'));
      }
    }
  }

  /**
   * Hands a succeeded run's ready signal to the gaps service, unless it already has this one or a newer one
   * (so reading a run again, another instance, or a restart does not record it twice).
   */
  private async recordReady(ready: ReadySignal): Promise<void> {
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

  /** Has the run watcher poll a run this instance started until it ends, so its ready signal is recorded unasked. */
  private watch(arn: string): void {
    // Closed: the service is shutting down, and a run read after the next start is recorded then.
    if (!this.watcher || this.closed) return;
    let handle: ReturnType<RunWatcher['watch']> | undefined = undefined;
    const release = () => setImmediate(() => handle?.release());
    handle = this.watcher.watch(arn, {
      event: (e) => {
        if (TERMINAL_EVENT_TYPES.has(e.type ?? '')) release();
      },
      error: release,
    });
    if (handle.finished()) release();
  }

  private conflict(id: string): CodedError {
    return new CodedError(ErrorCode.RUN_CONFLICT, `a run named like this request is running with another input: ${id}`, { runId: id });
  }

  private arnOf(name: string): string {
    return `${this.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
  }

  private baseName(input: PipelineInput): string {
    return runBaseName(input);
  }

  /** The highest generation of a base name that exists (0: none), in O(log n) lookups. */
  private async lastGeneration(base: string): Promise<number> {
    const exists = async (g: number) => (await this.describe(this.arnOf(`${base}-${g}`))) !== null;
    let hi = 1;
    while (hi <= 1 << 20 && (await exists(hi))) hi *= 2;
    let lo = hi === 1 ? 0 : hi / 2;
    // Invariant: lo exists (or is 0), hi does not.
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (await exists(mid)) lo = mid;
      else hi = mid;
    }
    this.generations.set(base, lo);
    return lo;
  }
}

/**
 * `<dataset>-<mode>-<hash of the input>`: AWS's name characters, at most 80 with `-<generation>`. The input is
 * hashed as gapwatch sends it (validated, instants in ISO UTC), so the same request always has the same name.
 */
export function runBaseName(input: PipelineInput): string {
  const hash = createHash('sha256').update(JSON.stringify(input)).digest('hex').slice(0, 16);
  return `${slug(input.dataset)}-${input.mode.toLowerCase()}-${hash}`;
}

/** A dataset name in AWS's execution-name characters, at most 40 of them. */
function slug(dataset: string): string {
  return dataset.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 40);
}
