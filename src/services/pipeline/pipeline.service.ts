import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  StartExecutionCommand,
  StopExecutionCommand,
  type DescribeExecutionOutput,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { badInput, CodedError, ErrorCode } from '../../errors';
import type { Logger } from '../../logger';
import type { Clock } from '../clock/clock';
import { TERMINAL_EVENT_TYPES, type RunWatcher } from '../events/run-watcher';
import { streamRunEvents, type ReadyStream } from '../events/run-stream';
import { checkWindow, type GapsService } from '../gaps/gaps.service';
import { checkUse } from '../gaps/compute';
import { executionArnOf, isExecutionArn, isExecutionOf } from './arn';
import { decodeCursor, encodeCursor, isRunsCursor, type RunsCursor } from './cursor';
import { RunEventCache } from './event-stream';
import type { Claims } from '../events/claims';
import { RunAnnouncer } from './announcements';
import { lastStateEntered, toRunEvent, type RunEvent } from './history';
import { ReadySignals } from './ready-signals';
import { toRun, type PipelineRun, type RunStatus } from './run';
import { runBaseName, RunGenerations, slug } from './run-names';
import { MAX_RANGES, type PipelineInput, type PipelineMode, type RangeSpec } from './types';

export interface Page<T> {
  items: { node: T; cursor: string }[];
  hasNextPage: boolean;
  /**
   * Where the next page starts when this one has none of its items to say it (a page with no items that
   * has a next page: the scan went as far as one request may): a cursor past everything looked at.
   */
  endCursor?: string;
}

export const MAX_RUNS_PAGE = 100;
export const MAX_EVENTS_PAGE = 1000;
/** ListExecutions pages scanned for one `runs` page with a dataset filter; the cursor resumes past them. */
const MAX_SCAN_PAGES = 10;
const LIST_PAGE = 100;
/** How often the service looks for runs going that it does not watch (started elsewhere). */
const DISCOVER_MS = 60_000;
/** Events per GetExecutionHistory call when reading a run's history. */
const HISTORY_PAGE = 1000;

/**
 * The most Step Functions calls `list` makes for one page: one ListExecutions (a dataset's runs: up to
 * MAX_SCAN_PAGES), and a DescribeExecution per run shown, plus one to tell whether a dataset's next page
 * has a run. The cost limit charges this (http/limits.ts).
 */
export function listCalls(first: number, dataset: boolean): number {
  return (dataset ? MAX_SCAN_PAGES : 1) + Math.min(Math.max(first, 1), MAX_RUNS_PAGE) + (dataset ? 1 : 0);
}

/** The most GetExecutionHistory calls `events` makes: the history is read from its start to `after + first`. */
export function eventsCalls(first: number, after: string | undefined): number {
  const afterId = Number(after ?? 0);
  return Math.ceil(((Number.isSafeInteger(afterId) && afterId > 0 ? afterId : 0) + Math.min(Math.max(first, 1), MAX_EVENTS_PAGE)) / HISTORY_PAGE);
}
/** How long a read of the machine's definition is reused. */
const DEFINITION_TTL_MS = 60_000;

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
 * Runs are the executions of the configured state machine and no other: an execution of any other machine
 * (one a process on the machine created on the embedded endpoint, say) is NOT_FOUND to every read and stop.
 * Runs are named by their input (run-names.ts), so a repeated request finds the run already going.
 *
 * Reads change nothing. A run's ready signal is recorded (ready-signals.ts) from its history as the run
 * watcher reads it, once per fleet on the instance that polls the run: every run this instance starts is
 * watched to its end, and so is every run still going, or recently succeeded, when the service starts, and
 * every run going that it finds once a minute (resume).
 */
export class PipelineService {
  private readonly generations = new RunGenerations();
  private closed = false;
  /** Runs this service has the watcher poll to their end (each once). */
  private readonly watching = new Set<string>();
  /** The timer that looks for runs going that nobody here watches (resume). */
  private discovering: NodeJS.Timeout | undefined;
  private readonly readySignals: ReadySignals;
  private readonly updateListeners = new Set<(run: PipelineRun, key: string) => void>();
  private readonly runEvents: RunEventCache | undefined;
  private readonly announcer: RunAnnouncer | undefined;
  private definitionRead: { at: number; value: Record<string, unknown> } | undefined;

  constructor(
    private readonly sfn: SFNClient,
    readonly stateMachineArn: string,
    private readonly gaps: GapsService,
    private readonly watcher: RunWatcher | undefined,
    private readonly logger: Logger,
    private readonly clock: Clock,
    claims?: Claims,
  ) {
    this.readySignals = new ReadySignals(gaps, clock, logger);
    this.runEvents = watcher && new RunEventCache(watcher);
    if (watcher && claims) {
      const announcer = new RunAnnouncer(claims, {
        describe: (id) => this.describe(id),
        announce: async (run, key) => {
          for (const listener of this.updateListeners) listener(run, key);
          // Whoever announces a success records its ready signal too (once more is harmless): the run's
          // poller may have died between reading the Initiate step and recording it.
          const history = run.status === 'SUCCEEDED' ? watcher.history(run.id) : undefined;
          if (history) await this.readySignals.fromHistory(run.id, history, history);
        },
        logger,
        // A lease period and a half: the run's poller has had time to announce it, unless it died.
        fallbackMs: watcher.leaseTtlMs * 1.5,
      });
      this.announcer = announcer;
    }
    // Every instance that watches a run sees its events: its poller records the run's ready signal (the
    // gaps service keeps the newest once), and the announcer decides who says each status change.
    watcher?.onEvents((arn, events, { polled }) => {
      if (!this.isRun(arn)) return;
      if (polled) void this.readySignals.fromHistory(arn, events, watcher.history(arn) ?? events);
      this.announcer?.seen(arn, events, polled);
    });
  }

  /**
   * Calls `listener` with a run each time its status changes (RUNNING, then how it ended), once across the
   * fleet (`key` names the announcement, see announcements.ts): `runUpdated`'s source.
   */
  onRunUpdated(listener: (run: PipelineRun, key: string) => void): () => void {
    this.updateListeners.add(listener);
    return () => this.updateListeners.delete(listener);
  }

  /**
   * A run's events for one subscriber: those after `afterEventId`, then live ones, each once and in order,
   * ending after the run's last. Read from Step Functions' history by the run watcher (one poller per run).
   */
  streamEvents(id: string, afterEventId = 0): ReadyStream<RunEvent> {
    this.requireRun(id, 'runId');
    if (!Number.isSafeInteger(afterEventId) || afterEventId < 0) throw badInput('afterEventId', `expected an event id ≥ 0, got ${afterEventId}`);
    if (!this.watcher || !this.runEvents) throw new CodedError(ErrorCode.FORBIDDEN, 'this gapwatch does not watch runs');
    return this.runEvents.map(id, streamRunEvents(this.watcher, id, afterEventId));
  }

  /** Stops watching runs (the watcher itself is closed by whoever made it). */
  close(): void {
    this.closed = true;
    clearInterval(this.discovering);
    this.announcer?.close();
  }

  /** Checks a start request as the resolvers' arguments: dataset, window, ranges inside it. */
  validate(request: StartRequest): PipelineInput {
    const dataset = this.gaps.require(request.dataset);
    // The window rules of a gap check: a run's Check and Validate would refuse anything else, only later.
    checkWindow(dataset, request.from, request.to, checkUse(dataset, false));
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
    const base = runBaseName(input);
    let generation = await this.generations.last(base, async (g) => (await this.describe(this.arnOf(`${base}-${g}`))) !== null);
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
        this.generations.started(base, generation + 1);
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
    this.requireRun(id, 'id');
    return this.describe(id);
  }

  /** Many runs for one request's DataLoader: each ARN once, concurrently; errors per id. */
  getMany(ids: readonly string[]): Promise<(PipelineRun | null | Error)[]> {
    return Promise.all(ids.map((id) => this.get(id).catch((err: Error) => err)));
  }

  /** Asks Step Functions to stop a run; it ends ABORTED and its running Task's handler sees its signal abort. */
  async stop(id: string, cause?: string): Promise<PipelineRun | null> {
    this.requireRun(id, 'id');
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
   * ListExecutions position, so paging is stable while new runs start. A run is described only to be shown
   * (with a dataset, one more: whether the next page has one of its runs), never the whole listing.
   */
  async list(options: { dataset?: string; status?: RunStatus; first: number; after?: string }): Promise<Page<PipelineRun>> {
    const { dataset, status, first } = options;
    if (!Number.isInteger(first) || first < 1 || first > MAX_RUNS_PAGE) throw badInput('first', `expected 1 to ${MAX_RUNS_PAGE}, got ${first}`);
    if (dataset !== undefined) this.gaps.require(dataset);
    let position: RunsCursor = options.after ? decodeCursor(options.after, 'after', isRunsCursor) : { t: null, i: -1 };
    // Names start with the dataset's slug (run-names.ts); the run's input says whose it is.
    const prefix = dataset === undefined ? undefined : `${slug(dataset)}-`;
    const wanted = dataset === undefined ? first : first + 1;
    let describes = wanted;
    const items: { node: PipelineRun; cursor: string }[] = [];
    const past = (): Page<PipelineRun> => ({ items, hasNextPage: true, ...(items.length === 0 ? { endCursor: encodeCursor(position) } : {}) });
    for (let scanned = 0; scanned < MAX_SCAN_PAGES; scanned++) {
      const token = position.t;
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
      const candidates = executions.map((e, i) => ({ e, i })).filter(({ e, i }) => i > position.i && (prefix === undefined || e.name?.startsWith(prefix)));
      for (let k = 0; k < candidates.length; ) {
        // Every execution of the machine is a run: another one means another page, without describing it.
        if (items.length === first && prefix === undefined) return { items, hasNextPage: true };
        if (describes === 0) return past();
        const batch = candidates.slice(k, k + Math.min(describes, wanted - items.length));
        describes -= batch.length;
        k += batch.length;
        const runs = await this.getMany(batch.map(({ e }) => e.executionArn!));
        for (let j = 0; j < batch.length; j++) {
          const run = runs[j];
          if (run instanceof Error) throw run;
          if (!run || (dataset !== undefined && run.dataset !== dataset)) {
            position = { t: token, i: batch[j]!.i };
            continue;
          }
          if (items.length === first) return { items, hasNextPage: true };
          position = { t: token, i: batch[j]!.i };
          items.push({ node: run, cursor: encodeCursor(position) });
        }
      }
      if (!page.nextToken) return { items, hasNextPage: false };
      // On to the next page, from its start.
      position = { t: page.nextToken, i: -1 };
      if (items.length === first) return { items, hasNextPage: true };
    }
    // Scanned as far as one request may: the client goes on from here.
    return past();
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
        page = await this.sfn.send(new GetExecutionHistoryCommand({ executionArn: id, maxResults: HISTORY_PAGE, includeExecutionData: true, ...(nextToken ? { nextToken } : {}) }));
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

  /**
   * The state machine's definition (Amazon States Language) as Step Functions holds it, for clients that draw
   * it. Read once a minute at most: it changes only when the machine is redeployed.
   */
  async definition(): Promise<Record<string, unknown>> {
    const now = this.clock.now();
    if (this.definitionRead && now - this.definitionRead.at < DEFINITION_TTL_MS) return this.definitionRead.value;
    let text: string | undefined;
    try {
      text = (await this.sfn.send(new DescribeStateMachineCommand({ stateMachineArn: this.stateMachineArn }))).definition;
    } catch (err) {
      throw backendError(err, 'DescribeStateMachine');
    }
    const value = JSON.parse(text ?? '{}') as Record<string, unknown>;
    this.definitionRead = { at: now, value };
    return value;
  }

  /** The state the run entered last (for a running run, where it is now). */
  async currentState(id: string): Promise<string | null> {
    try {
      const page = await this.sfn.send(new GetExecutionHistoryCommand({ executionArn: id, maxResults: 100, reverseOrder: true, includeExecutionData: false }));
      return lastStateEntered(page.events ?? []);
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
    return toRun(out);
  }

  /**
   * Picks up what happened while this instance was not watching: runs still going are watched to their end,
   * and the newest succeeded ones have their histories read, so their ready signals are recorded if the
   * gaps service has nothing newer. Then, every `discoverMs`, the runs going that nobody here watches yet
   * are watched too: runs started elsewhere (the console, the AWS CLI, a schedule on AWS) are recorded
   * without anyone reading them.
   */
  async resume(discoverMs = DISCOVER_MS): Promise<void> {
    for (const status of ['RUNNING', 'SUCCEEDED'] as const) {
      if (!(await this.watchListed(status, status === 'RUNNING' ? 100 : 20))) break;
    }
    if (this.closed || this.discovering) return;
    this.discovering = setInterval(() => void this.watchListed('RUNNING', 100), discoverMs);
    this.discovering.unref();
  }

  /** Watches the newest `count` runs of a status; false when Step Functions could not list them. */
  private async watchListed(status: 'RUNNING' | 'SUCCEEDED', count: number): Promise<boolean> {
    let page;
    try {
      page = await this.sfn.send(new ListExecutionsCommand({ stateMachineArn: this.stateMachineArn, statusFilter: status, maxResults: count }));
    } catch (err) {
      this.logger.warn({ err, status }, 'could not list pipeline runs to watch them; trying again in a minute');
      return false;
    }
    for (const e of page.executions ?? []) this.watch(e.executionArn!);
    return true;
  }

  /** A run of the configured state machine (any other execution is no run of this pipeline). */
  private isRun(arn: string): boolean {
    return isExecutionOf(this.stateMachineArn, arn);
  }

  /** An argument naming a run: malformed is BAD_USER_INPUT; an execution of another state machine NOT_FOUND. */
  private requireRun(id: string, argument: string): void {
    if (!isExecutionArn(id)) throw badInput(argument, `expected an execution ARN (arn:aws:states:<region>:<account>:execution:<machine>:<name>), got '${id.slice(0, 200)}'`);
    if (!this.isRun(id)) throw new CodedError(ErrorCode.NOT_FOUND, `no pipeline run '${id.slice(0, 200)}': runs are executions of ${this.stateMachineArn}`, { argument });
  }

  /** Has the run watcher poll a run until it ends, so its ready signal is recorded unasked. */
  private watch(arn: string): void {
    // Closed: the service is shutting down, and the next start picks the run up.
    if (!this.watcher || this.closed || this.watching.has(arn)) return;
    this.watching.add(arn);
    let handle: ReturnType<RunWatcher['watch']> | undefined = undefined;
    const release = () =>
      setImmediate(() => {
        this.watching.delete(arn);
        handle?.release();
      });
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
    return executionArnOf(this.stateMachineArn, name);
  }
}
