/**
 * The embedded Step Functions: state machines, executions run by aws-local-stepfunctions with Task
 * states calling in-process handlers, and histories in AWS's event shape, all persisted by SfnStore.
 *
 * History comes from two sources, merged in causal order into one writer:
 * - the interpreter's event log (state entered/exited/failed, Map iterations): an async iterator that
 *   lags the interpreter by some microtasks;
 * - the Task wrapper below (LambdaFunctionScheduled/Started/Succeeded/Failed for a function ARN,
 *   TaskScheduled/… for lambda:invoke), which the interpreter does not report at all. The wrapper yields one macrotask before it records anything, so every interpreter event
 *   dispatched before the handler was called has been consumed first.
 * Map iterations' events reach the log through one more async hop than the Map's own exit or failure, so
 * a Map's end may be logged before its last iteration's, or alone: see `onEvent` and `translate`.
 *
 * `previousEventId` is causal, as in AWS: events are written in lanes (the top level, and one per Map
 * iteration), and each points at the previous event of its lane, so the Task events of concurrent
 * iterations each point into their own iteration rather than at whatever was written just before.
 */
import { ExecutionError, ExecutionTimeoutError, StateMachine, type RunOptions } from './interpreter';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { compileDefinition, mapLength, resolveFunction, taskTarget, type CompiledMachine, type IndexedState } from './definition';
import { quoted } from '../protocol';
import { checkName, executionArn, machineArn, SfnError, type Partition } from './names';
import { HistoryTooLarge, SfnStore, type ExecutionRecord, type ExecutionStatus, type HistoryEvent, type MachineRecord } from './store';

/** An in-process Task implementation; the embedded stand-in for a Lambda function. A thrown Error is a function
 *  error: its `name` is the Task's error (Lambda's errorType, so ASL Retry/Catch `ErrorEquals` match it) and the
 *  cause Lambda's JSON error document holding its message. */
export type TaskHandler = (input: unknown, context: { signal: AbortSignal; executionArn: string; stateName: string }) => Promise<unknown>;

export interface StepFunctionsOptions {
  /** Executions and histories persist under `<dataDir>/stepfunctions`. */
  dataDir: string;
  logger?: Logger;
  /** Default 'us-east-1'. */
  region?: string;
  /** Default '000000000000'. */
  accountId?: string;
  /** Task `Resource` ARN → handler. */
  taskHandlers?: Record<string, TaskHandler>;
  /** Created (or updated) at start. */
  stateMachines?: { name: string; definition: string; roleArn?: string }[];
  /** The newest this many executions are kept (default 10,000); older finished ones are forgotten, as AWS does after 90 days. */
  maxExecutions?: number;
  /** At most this many RUNNING at once (default 1,000); more is ExecutionLimitExceeded, as AWS's open-execution quota. */
  maxRunning?: number;
  /** Bytes of history one execution may write (default MAX_HISTORY_BYTES); past it the execution fails. */
  maxHistoryBytes?: number;
  /** Bytes of history all executions may hold together (default MAX_TOTAL_HISTORY_BYTES); see `makeRoom`. */
  maxTotalHistoryBytes?: number;
}

/** AWS's limit on execution input, output and every state's data: 256 KiB of UTF-8. */
export const MAX_PAYLOAD_BYTES = 256 * 1024;
/** AWS's default quota of state machines per account and region; each may hold a 1 MiB definition. */
export const MAX_MACHINES = 10_000;
/** AWS's hard limit on events in one execution's history. */
export const MAX_HISTORY_EVENTS = 25_000;
/** The longest `error` and `cause` an event's details (and DescribeExecution) carry, as AWS's API bounds them. */
export const MAX_ERROR_CHARS = 256;
export const MAX_CAUSE_CHARS = 32_768;
/**
 * The embedded endpoint's limit on one execution's history in bytes, which AWS does not have: AWS keeps up to
 * 25,000 events of up to 256 KiB each (6 GiB), which an endpoint holding a running history in memory and
 * on the service's own disk cannot. gapwatch's pipeline writes about 1 MB for a 200-range repair; 16 MiB is
 * 64 events of the largest payload AWS allows.
 */
export const MAX_HISTORY_BYTES = 16 * 1024 * 1024;
/**
 * The embedded endpoint's limit on the histories of all its executions together, as its Athena keeps at
 * most 1 GiB of results: each execution under MAX_HISTORY_BYTES, started by the hundred, would otherwise
 * fill the service's disk (and, running, its memory) however small each one is.
 */
export const MAX_TOTAL_HISTORY_BYTES = 1024 * 1024 * 1024;
/**
 * What a history may hold past its bound: the events that close it (the end, and a TaskStateAborted or
 * MapIterationAborted per state cut off), so a history at the bound still ends with its terminal event.
 * Files larger than the bound plus this are not read (store.ts).
 */
const CLOSING_ALLOWANCE = 1024 * 1024;

/** The top-level lane; a Map iteration's lane is `<map>#<index>`, a Parallel branch's `<lane>/<parallel>[<index>]`. */
const ROOT = '';
const iterationLane = (map: string, index: number): string => `${map}#${index}`;
const branchLane = (lane: string, parallel: string, index: number): string => `${lane}/${parallel}[${index}]`;

interface Attempt {
  stateName: string;
  lane: string;
  events: TaskEvents;
  timeoutSeconds?: number;
  controller: AbortController;
  open: boolean;
}

type Recorded = [type: string, details: Record<string, unknown> | undefined];

/** The history events of one Task call, named and shaped as AWS records that kind of Resource. */
interface TaskEvents {
  scheduled: Recorded;
  started: Recorded;
  succeeded(output: string): Recorded;
  failed(error: string, cause: string): Recorded;
  timedOut(cause: string): Recorded;
}

/** A bare Lambda function ARN: AWS records `LambdaFunction*` events, whose details name no resource type. */
function lambdaFunctionEvents(functionArn: string, input: string, timeoutSeconds: number | undefined): TaskEvents {
  return {
    scheduled: ['LambdaFunctionScheduled', { resource: functionArn, input, inputDetails: { truncated: false }, ...(timeoutSeconds === undefined ? {} : { timeoutInSeconds: timeoutSeconds }) }],
    started: ['LambdaFunctionStarted', undefined],
    succeeded: (output) => ['LambdaFunctionSucceeded', { output, outputDetails: { truncated: false } }],
    failed: (error, cause) => ['LambdaFunctionFailed', { error, cause }],
    timedOut: (cause) => ['LambdaFunctionTimedOut', { error: 'States.Timeout', cause }],
  };
}

/** An optimized integration (`arn:aws:states:::lambda:invoke`): `Task*` events naming resourceType and resource. */
function integrationEvents(resourceType: string, resource: string, region: string, parameters: string, timeoutSeconds: number | undefined): TaskEvents {
  const r = { resourceType, resource };
  return {
    scheduled: ['TaskScheduled', { ...r, region, parameters, ...(timeoutSeconds === undefined ? {} : { timeoutInSeconds: timeoutSeconds }) }],
    started: ['TaskStarted', r],
    succeeded: (output) => ['TaskSucceeded', { ...r, output, outputDetails: { truncated: false } }],
    failed: (error, cause) => ['TaskFailed', { ...r, error, cause }],
    timedOut: (cause) => ['TaskTimedOut', { ...r, error: 'States.Timeout', cause }],
  };
}

interface Run {
  rec: ExecutionRecord;
  events: HistoryEvent[];
  /** Bytes of `events` as written. */
  bytes: number;
  closed: boolean;
  /** Aborted when the execution ends for any reason: reaches every handler still running. */
  controller: AbortController;
  abortInterpreter?: () => void;
  attempts: Set<Attempt>;
  /** Open iteration indexes per Map state name. */
  maps: Map<string, Set<number>>;
  /** Per Map state, the bytes of the results its iterations returned so far: a Map's result is state data too. */
  mapBytes: Map<string, number>;
  /** Per Map, the open iterations whose latest state event is a failure (see `translate`). */
  failing: Map<string, Set<number>>;
  /** Map/Parallel states that failed (then maybe caught): their exit is not a success. */
  failedStates: Set<string>;
  failure?: { error: string; cause: string };
  done?: Promise<void>;
  /** A Map's end being held back until its iterations' late events are in (see `onEvent`). */
  holding?: Hold;
  /** The last event id written in each lane. */
  lanes: Map<string, number>;
  /** The lane each Map state runs in. */
  mapLanes: Map<string, string>;
  /**
   * Per Task state, the lanes whose entry (or retry) the interpreter logged and whose handler call has
   * not come yet: calls come in the order of those events, so the next call takes the first lane.
   */
  pendingCalls: Map<string, string[]>;
}

interface Hold {
  map: string;
  event: InterpreterEvent;
  /** Events after it that are not its iterations', written once it is. */
  held: InterpreterEvent[];
  flushed: Promise<void>;
  release: () => void;
}

// undefined is null in JSON; a function or symbol stringifies to undefined, recorded as null too.
const json = (v: unknown): string => JSON.stringify(v ?? null) ?? 'null';
const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

function namedError(name: string, message: string): Error {
  const e = new Error(message);
  e.name = name;
  return e;
}

/**
 * An error the interpreter must neither retry nor catch, as AWS treats States.Runtime and
 * States.DataLimitExceeded (`States.ALL` does not match them). The interpreter reads these two flags.
 */
function terminalError(name: string, message: string): Error {
  return Object.assign(namedError(name, message), { isRetryable: false, isCatchable: false });
}

const isTerminal = (err: unknown): boolean => (err as { isCatchable?: boolean } | null)?.isCatchable === false;

const boundError = (error: string): string => error.slice(0, MAX_ERROR_CHARS);
const boundCause = (cause: string): string => cause.slice(0, MAX_CAUSE_CHARS);

/**
 * A handler's throw as Lambda reports a function error: the error is its `errorType` (the Error's name), the
 * cause Lambda's JSON error document as the Node.js runtime writes it (errorType, errorMessage, trace).
 */
function functionError(err: unknown): Error {
  const e = err instanceof Error ? err : undefined;
  const errorType = boundError(e?.name || 'Error');
  const errorMessage = e ? e.message : describeCause(err);
  const trace = typeof e?.stack === 'string' ? e.stack.split('\n') : [];
  return namedError(errorType, boundCause(JSON.stringify({ errorType, errorMessage, trace })));
}

/**
 * What `lambda:invoke` returns for a synchronous call that succeeded: the function's result as `Payload`
 * beside the Lambda response's status, version and HTTP metadata, in the shape AWS's integration gives.
 */
function invokeOutput(payload: string): string {
  const requestId = randomUUID();
  const headers: Record<string, string> = {
    Connection: 'keep-alive',
    'Content-Length': String(bytes(payload)),
    'Content-Type': 'application/json',
    Date: new Date().toUTCString(),
    'X-Amz-Executed-Version': '$LATEST',
    'x-amzn-Remapped-Content-Length': '0',
    'x-amzn-RequestId': requestId,
    'X-Amzn-Trace-Id': `root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomBytes(12).toString('hex')};sampled=0`,
  };
  const all = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]]));
  const metadata = JSON.stringify({ AllHttpHeaders: all, HttpHeaders: headers, HttpStatusCode: 200 });
  return `{"ExecutedVersion":"$LATEST","Payload":${payload},"SdkHttpMetadata":${metadata},"SdkResponseMetadata":${JSON.stringify({ RequestId: requestId })},"StatusCode":200}`;
}

/**
 * A request whose write the data dir refused (a full or read-only disk): nothing of it was kept, and the
 * endpoint serves on, so the caller may retry once there is space. HTTP 503, as a service briefly unable to.
 */
function writeFailure(err: unknown, what: string): SfnError {
  return new SfnError('ServiceUnavailable', `The embedded Step Functions endpoint could not store ${what}: ${describeCause(err)}; nothing was started or changed. Free space in the data dir and retry`, 503);
}

function describeCause(c: unknown): string {
  if (typeof c === 'string') return c;
  if (c instanceof Error) return c.message;
  return json(c);
}

export class EmbeddedStepFunctions {
  readonly partition: Partition;
  private readonly store: SfnStore;
  private readonly logger?: Logger;
  private readonly handlers: Map<string, TaskHandler>;
  private readonly machines = new Map<string, MachineRecord>();
  private readonly compiled = new Map<string, CompiledMachine>();
  private readonly executions = new Map<string, ExecutionRecord>();
  /** Oldest first (by seq): lists walk it backwards for newest first. */
  private readonly order: ExecutionRecord[] = [];
  private readonly running = new Map<string, Run>();
  private readonly maxExecutions: number;
  private readonly maxRunning: number;
  private readonly maxHistoryBytes: number;
  private readonly maxTotalHistoryBytes: number;
  /** Bytes of every stored history (running ones included), kept under maxTotalHistoryBytes. */
  private historyTotal = 0;
  private nextSeq = 1;
  private nextMachineSeq = 1;
  private closing = false;
  private lastRead?: { seq: number; events: HistoryEvent[] };
  /** Handler calls not yet settled, so a shutdown can wait for them to honour their abort signal. */
  private readonly inflight = new Set<Promise<unknown>>();

  private constructor(opts: StepFunctionsOptions) {
    this.partition = { region: opts.region ?? 'us-east-1', accountId: opts.accountId ?? '000000000000' };
    this.logger = opts.logger;
    this.maxHistoryBytes = opts.maxHistoryBytes ?? MAX_HISTORY_BYTES;
    this.maxTotalHistoryBytes = opts.maxTotalHistoryBytes ?? MAX_TOTAL_HISTORY_BYTES;
    this.store = new SfnStore(opts.dataDir, opts.logger, this.maxHistoryBytes + CLOSING_ALLOWANCE);
    // A Map, not an object: a Resource such as `__proto__` must find no handler rather than Object.prototype.
    this.handlers = new Map(Object.entries(opts.taskHandlers ?? {}));
    this.maxExecutions = opts.maxExecutions ?? 10_000;
    this.maxRunning = opts.maxRunning ?? 1_000;
  }

  static open(opts: StepFunctionsOptions): EmbeddedStepFunctions {
    const sfn = new EmbeddedStepFunctions(opts);
    sfn.load();
    for (const m of opts.stateMachines ?? []) sfn.putMachine(m.name, m.definition, m.roleArn ?? `arn:aws:iam::${sfn.partition.accountId}:role/gapwatch-embedded`, true);
    return sfn;
  }

  private load(): void {
    for (const m of this.store.loadMachines().sort((a, b) => a.seq - b.seq)) {
      try {
        // Not checked against the handlers: a machine stored by a process that had them stays listed, and
        // a Task without a handler here fails its run saying so.
        this.compiled.set(m.arn, compileDefinition(m.definition, { partition: this.partition }));
      } catch (err) {
        this.logger?.warn({ stateMachine: m.arn, err: (err as Error).message }, 'embedded Step Functions: skipping a stored state machine whose definition no longer validates');
        continue;
      }
      this.machines.set(m.arn, m);
      this.nextMachineSeq = Math.max(this.nextMachineSeq, m.seq + 1);
    }
    const now = Date.now();
    for (const rec of this.store.loadExecutions().sort((a, b) => a.seq - b.seq)) {
      if (this.executions.has(rec.arn)) {
        this.logger?.warn({ execution: rec.arn, seq: rec.seq }, 'embedded Step Functions: skipping a duplicate execution record');
        continue;
      }
      if (rec.status === 'RUNNING') this.closeInterrupted(rec, now);
      this.executions.set(rec.arn, rec);
      this.order.push(rec);
      this.historyTotal += this.store.historyBytes(rec.seq);
      this.nextSeq = Math.max(this.nextSeq, rec.seq + 1);
    }
  }

  /**
   * An execution still RUNNING on disk at start-up was cut off by a crash or kill -9 (a graceful
   * shutdown records an abort). It cannot resume: its handlers' in-memory state is gone. It is closed
   * FAILED, saying so and naming the last event recorded before the stop.
   */
  private closeInterrupted(rec: ExecutionRecord, now: number): void {
    let last: HistoryEvent | undefined;
    try {
      this.store.cutTornTail(rec.seq);
      last = this.store.lastEvent(rec.seq);
    } catch (err) {
      if (!(err instanceof HistoryTooLarge)) throw err;
      // Left by a flood from before the byte bound: too large to read, so not appended to either.
      const cause = `The embedded Step Functions endpoint stopped while this execution was running, and its ${err.message}, so it was not read (nor appended to). It was closed when the endpoint started again at ${new Date(now).toISOString()}.`;
      Object.assign(rec, { status: 'FAILED', stopDate: now, error: 'States.Runtime', cause });
      this.saveClosed(rec);
      return;
    }
    const terminal = last && /^Execution(Succeeded|Failed|Aborted|TimedOut)$/.test(last.type) ? last : undefined;
    if (terminal) {
      // The end was recorded in the history but the process died before the record was rewritten.
      const details = (terminal[detailsKey(terminal.type)] ?? {}) as Record<string, string>;
      const status: Record<string, ExecutionStatus> = { ExecutionSucceeded: 'SUCCEEDED', ExecutionFailed: 'FAILED', ExecutionAborted: 'ABORTED', ExecutionTimedOut: 'TIMED_OUT' };
      Object.assign(rec, { status: status[terminal.type], stopDate: terminal.timestamp, output: details.output, error: details.error, cause: details.cause });
    } else {
      const lastSeen = last ? `Its last recorded event was #${last.id} ${last.type} at ${new Date(last.timestamp).toISOString()}.` : 'No event of it was recorded.';
      const cause = `The embedded Step Functions endpoint stopped without shutting down (a crash or kill) while this execution was running. ${lastSeen} An embedded execution cannot resume after its process is gone, so it was closed when the endpoint started again at ${new Date(now).toISOString()}.`;
      const id = (last?.id ?? 0) + 1;
      const end: HistoryEvent = { id, previousEventId: id - 1, timestamp: now, type: 'ExecutionFailed', executionFailedEventDetails: { error: 'States.Runtime', cause } };
      Object.assign(rec, { status: 'FAILED', stopDate: now, error: 'States.Runtime', cause });
      if (!this.tryWrite(rec, () => this.store.appendEvent(rec.seq, Buffer.from(JSON.stringify(end) + '\n')))) return;
    }
    this.saveClosed(rec);
  }

  /** Records an execution closed at start; on a full disk it stays closed in memory and is closed again at the next start. */
  private saveClosed(rec: ExecutionRecord): void {
    if (!this.tryWrite(rec, () => this.store.saveExecution(rec))) return;
    this.logger?.warn({ execution: rec.arn, status: rec.status }, 'embedded Step Functions: closed an execution left running by the previous process');
  }

  /** Runs one write to the data dir; a failure (a full or read-only disk) is logged and reported as false. */
  private tryWrite(rec: ExecutionRecord, write: () => void): boolean {
    try {
      write();
      return true;
    } catch (err) {
      this.logger?.error({ err, execution: rec.arn }, 'embedded Step Functions: could not write to the data dir');
      return false;
    }
  }

  // ---- state machines -------------------------------------------------------------------------

  /**
   * Creates a state machine. As AWS: the same name with the same definition and role returns the
   * existing one; anything else under that name is StateMachineAlreadyExists — unless `update` (the
   * machines given at start, which follow the code that ships them).
   */
  putMachine(name: string, definition: string, roleArn: string, update = false): MachineRecord {
    checkName(name);
    const compiled = compileDefinition(definition, { partition: this.partition, hasFunction: (arn) => this.handlers.has(arn) });
    const arn = machineArn(this.partition, name);
    const existing = this.machines.get(arn);
    if (existing) {
      if (existing.definition === definition && existing.roleArn === roleArn) return existing;
      if (!update) throw new SfnError('StateMachineAlreadyExists', `State Machine Already Exists: '${arn}'`);
    }
    if (!existing && this.machines.size >= MAX_MACHINES) {
      throw new SfnError('StateMachineLimitExceeded', `The maximum number of state machines (${MAX_MACHINES}) has been reached`);
    }
    const rec: MachineRecord = existing ? { ...existing, definition, roleArn } : { seq: this.nextMachineSeq++, name, arn, definition, roleArn, creationDate: Date.now() };
    try {
      this.store.saveMachine(rec);
    } catch (err) {
      throw writeFailure(err, `state machine ${name}`);
    }
    this.machines.set(arn, rec);
    this.compiled.set(arn, compiled);
    return rec;
  }

  machine(arn: string): MachineRecord {
    const m = this.machines.get(arn);
    if (!m) throw new SfnError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return m;
  }

  /** Oldest first. */
  listMachines(): MachineRecord[] {
    return [...this.machines.values()].sort((a, b) => a.seq - b.seq);
  }

  // ---- executions ------------------------------------------------------------------------------

  execution(arn: string): ExecutionRecord {
    const r = this.executions.get(arn);
    if (!r) throw new SfnError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return r;
  }

  /** Executions of one machine, newest first, those with seq below `before`. */
  *listExecutions(machine: string, status: ExecutionStatus | undefined, before: number): Generator<ExecutionRecord> {
    for (let i = this.order.length - 1; i >= 0; i--) {
      const r = this.order[i];
      if (r.seq < before && r.machineArn === machine && (status === undefined || r.status === status)) yield r;
    }
  }

  /**
   * A closed execution's history never changes, so the last one read is kept: paging through a long
   * history reads its file once, not once per page.
   */
  history(rec: ExecutionRecord): HistoryEvent[] {
    const live = this.running.get(rec.arn)?.events;
    if (live) return live;
    if (this.lastRead?.seq !== rec.seq) {
      try {
        this.lastRead = { seq: rec.seq, events: this.store.readEvents(rec.seq) };
      } catch (err) {
        if (err instanceof HistoryTooLarge) throw new SfnError('InternalServerException', `The history of ${rec.arn} cannot be served: its ${err.message}`, 500);
        throw err;
      }
    }
    return this.lastRead.events;
  }

  /**
   * StartExecution. As AWS: the name and input of a RUNNING execution return it (a retried request
   * starts nothing new); any other reuse of a name, running or closed, is ExecutionAlreadyExists.
   */
  start(machineArnIn: string, nameIn: string | undefined, input: string): ExecutionRecord {
    if (this.closing) throw new SfnError('ServiceUnavailable', 'The embedded Step Functions endpoint is shutting down', 503);
    const machine = this.machine(machineArnIn);
    const name = checkName(nameIn ?? randomUUID());
    const arn = executionArn(this.partition, machine.name, name);
    const existing = this.executions.get(arn);
    if (existing) {
      if (existing.status === 'RUNNING' && existing.input === input) return existing;
      throw new SfnError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    if (this.running.size >= this.maxRunning) {
      throw new SfnError('ExecutionLimitExceeded', `The maximum number of running executions (${this.maxRunning}) has been reached; stop one or wait for one to end`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(input);
    } catch (err) {
      throw new SfnError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${quoted((err as Error).message)}'`);
    }
    const rec: ExecutionRecord = { seq: this.nextSeq++, arn, name, machineArn: machine.arn, status: 'RUNNING', input, startDate: Date.now() };
    const run: Run = {
      rec,
      events: [],
      bytes: 0,
      closed: false,
      controller: new AbortController(),
      attempts: new Set(),
      maps: new Map(),
      mapBytes: new Map(),
      failing: new Map(),
      failedStates: new Set(),
      lanes: new Map(),
      mapLanes: new Map(),
      pendingCalls: new Map(),
    };
    // Written before anything is registered: a start the disk refuses leaves no run behind (no RUNNING
    // execution without a history that a retry of the same request would be handed forever).
    try {
      this.store.saveExecution(rec);
      this.write(run, this.event(run, 'ExecutionStarted', { input, inputDetails: { truncated: false }, roleArn: machine.roleArn }, ROOT));
    } catch (err) {
      this.store.removeExecution(rec.seq);
      throw writeFailure(err, `execution ${name}`);
    }
    this.executions.set(arn, rec);
    this.order.push(rec);
    this.running.set(arn, run);
    // As in AWS, the first state's entry points at no event (0), not at ExecutionStarted.
    run.lanes.set(ROOT, 0);
    this.evict();
    run.done = this.drive(run, this.compiled.get(machine.arn)!, parsed).catch((err: unknown) => {
      // Only the store can throw here (a full or read-only disk): the run is left as last recorded.
      this.logger?.error({ err, execution: arn }, 'embedded Step Functions: could not record the end of an execution');
    });
    return rec;
  }

  /** StopExecution: a closed execution is left as it ended. */
  stop(arn: string, error: string | undefined, cause: string | undefined): ExecutionRecord {
    const rec = this.execution(arn);
    const run = this.running.get(arn);
    if (run) this.close(run, 'ABORTED', { error, cause });
    return rec;
  }

  /**
   * Graceful shutdown: every running execution is recorded ABORTED with a cause saying why, its
   * handlers get their abort signal, and they are given a moment to unwind.
   */
  async drain(graceMs = 2000): Promise<void> {
    this.closing = true;
    const runs = [...this.running.values()];
    for (const run of runs) {
      this.close(run, 'ABORTED', {
        error: 'Gapwatch.EndpointShutdown',
        cause: 'The embedded Step Functions endpoint shut down while this execution was running; its running Task handlers were sent an abort signal.',
      });
    }
    // The handlers, not just the interpreter: a repair still writing when the endpoint (and Athena with
    // it) closes would fail half-way; an aborted one that honours its signal is done well within this.
    let timer: NodeJS.Timeout | undefined;
    const settled = Promise.allSettled([...runs.map((r) => r.done), ...this.inflight]);
    await Promise.race([settled, new Promise<void>((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
  }

  private evict(): void {
    while (this.order.length > this.maxExecutions) if (!this.forgetOldest()) return;
  }

  /**
   * Room for `bytes` more history within maxTotalHistoryBytes: the oldest finished executions are forgotten
   * as a whole until it fits, as older ones are past maxExecutions. False when only running histories are
   * left: the execution writing then fails rather than the disk filling up.
   */
  private makeRoom(bytes: number): boolean {
    while (this.historyTotal + bytes > this.maxTotalHistoryBytes) if (!this.forgetOldest()) return false;
    return true;
  }

  /** Forgets the oldest finished execution, record and history; false when every execution is running. */
  private forgetOldest(): boolean {
    const i = this.order.findIndex((r) => r.status !== 'RUNNING');
    if (i < 0) return false;
    const [r] = this.order.splice(i, 1);
    this.executions.delete(r.arn);
    this.historyTotal -= this.store.historyBytes(r.seq);
    this.store.removeExecution(r.seq);
    if (this.lastRead?.seq === r.seq) this.lastRead = undefined;
    return true;
  }

  // ---- running ---------------------------------------------------------------------------------

  /**
   * Writes one event in `lane`, pointing at that lane's last event; `after: 'latest'` points at the last
   * event of any lane (a Map's end follows its last iteration's, whichever lane that was).
   */
  private add(run: Run, type: string, details?: Record<string, unknown>, lane = ROOT, after?: 'latest'): void {
    if (run.closed) return;
    if (run.events.length >= MAX_HISTORY_EVENTS - 1) {
      this.close(run, 'FAILED', { error: 'States.Runtime', cause: `The execution reached the limit of ${MAX_HISTORY_EVENTS} history events` });
      return;
    }
    const ev = this.event(run, type, details, lane, after);
    if (run.bytes + ev.line.length > this.maxHistoryBytes) {
      this.close(run, 'FAILED', { error: 'States.Runtime', cause: `The execution reached the embedded endpoint's limit of ${this.maxHistoryBytes} bytes of history (maxHistoryBytes)` });
      return;
    }
    if (!this.makeRoom(ev.line.length)) {
      this.close(run, 'FAILED', {
        error: 'States.Runtime',
        cause: `The embedded endpoint's running executions reached its limit of ${this.maxTotalHistoryBytes} bytes of history in all (maxTotalHistoryBytes)`,
      });
      return;
    }
    this.writeOrFail(run, ev);
  }

  /** The closing events: written past the bounds, which leave room for them (CLOSING_ALLOWANCE). */
  private append(run: Run, type: string, details?: Record<string, unknown>, lane = ROOT, after?: 'latest'): void {
    this.writeOrFail(run, this.event(run, type, details, lane, after));
  }

  /** The next event of `run` in `lane`, and its line as written to the history file. */
  private event(run: Run, type: string, details: Record<string, unknown> | undefined, lane: string, after?: 'latest'): { ev: HistoryEvent; lane: string; line: Buffer } {
    const id = run.events.length + 1;
    const previousEventId = after === 'latest' ? id - 1 : (run.lanes.get(lane) ?? id - 1);
    const ev: HistoryEvent = { id, previousEventId, timestamp: Date.now(), type };
    if (details) {
      if (typeof details.error === 'string') details.error = boundError(details.error);
      if (typeof details.cause === 'string') details.cause = boundCause(details.cause);
      ev[detailsKey(type)] = details;
    }
    return { ev, lane, line: Buffer.from(JSON.stringify(ev) + '\n') };
  }

  /** Appends the event to the history file, then to the run; throws what the disk threw. */
  private write(run: Run, e: { ev: HistoryEvent; lane: string; line: Buffer }): void {
    this.store.appendEvent(run.rec.seq, e.line);
    this.historyTotal += e.line.length;
    run.lanes.set(e.lane, e.ev.id);
    run.events.push(e.ev);
    run.bytes += e.line.length;
  }

  /**
   * A running execution whose history cannot be written (a full disk) ends FAILED with a cause saying so; the
   * endpoint and every other execution go on. Its closing event may not reach the disk either: the record
   * does, or the next start closes the execution as interrupted.
   */
  private writeOrFail(run: Run, e: { ev: HistoryEvent; lane: string; line: Buffer }): void {
    try {
      this.write(run, e);
    } catch (err) {
      this.logger?.error({ err, execution: run.rec.arn }, 'embedded Step Functions: could not write an execution history');
      this.close(run, 'FAILED', { error: 'States.Runtime', cause: `The embedded endpoint could not write this execution's history: ${describeCause(err)}` });
    }
  }

  private close(run: Run, status: Exclude<ExecutionStatus, 'RUNNING'>, end: { output?: string; error?: string; cause?: string }): void {
    if (run.closed) return;
    if (end.error !== undefined) end = { ...end, error: boundError(end.error) };
    if (end.cause !== undefined) end = { ...end, cause: boundCause(end.cause) };
    const type = { SUCCEEDED: 'ExecutionSucceeded', FAILED: 'ExecutionFailed', ABORTED: 'ExecutionAborted', TIMED_OUT: 'ExecutionTimedOut' }[status];
    const details: Record<string, unknown> = {};
    if (end.output !== undefined) Object.assign(details, { output: end.output, outputDetails: { truncated: false } });
    if (end.error !== undefined) details.error = end.error;
    if (end.cause !== undefined) details.cause = end.cause;
    // Closed before its last events are written: a write failure among them must not close it a second time.
    run.closed = true;
    if (status === 'ABORTED' || status === 'TIMED_OUT') this.recordCutOff(run);
    this.append(run, type, details, ROOT, 'latest');
    Object.assign(run.rec, { status, stopDate: Date.now(), ...end });
    this.tryWrite(run.rec, () => this.store.saveExecution(run.rec));
    this.running.delete(run.rec.arn);
    run.controller.abort(namedError('States.Aborted', `Execution ${status.toLowerCase()}`));
    run.abortInterpreter?.();
  }

  /**
   * A stop or time-out cuts states off mid-way: as AWS, the Task states still waiting on a handler end in
   * TaskStateAborted, and open Map states in MapIterationAborted for each open iteration, then MapStateAborted.
   */
  private recordCutOff(run: Run): void {
    // One per Task still waiting on its handler: in a Map each iteration's Task is its own state.
    for (const a of run.attempts) {
      if (!a.open) continue;
      a.open = false;
      this.append(run, 'TaskStateAborted', undefined, a.lane);
    }
    for (const [name, open] of run.maps) {
      for (const index of open) this.append(run, 'MapIterationAborted', { name, index }, iterationLane(name, index));
      if (open.size > 0) this.append(run, 'MapStateAborted', undefined, run.mapLanes.get(name), 'latest');
      open.clear();
    }
  }

  private async drive(run: Run, machine: CompiledMachine, input: unknown): Promise<void> {
    // Keyed by state name (the interpreter's override lookup); no prototype, so a state named
    // `__proto__` or `constructor` is an ordinary key.
    const handlers = Object.create(null) as Record<string, (input: unknown) => Promise<never>>;
    for (const [name, st] of machine.states) if (st.def.Type === 'Task') handlers[name] = this.taskHandler(run, name, st) as never;
    const m = this.machine(run.rec.machineArn);
    const runOptions: RunOptions = {
      overrides: { taskResourceLocalHandlers: handlers },
      context: {
        // Nothing is redriven here, so RedriveCount is always 0 (AWS omits RedriveTime until a redrive).
        Execution: { Id: run.rec.arn, Name: run.rec.name, RoleArn: m.roleArn, StartTime: new Date(run.rec.startDate).toISOString(), RedriveCount: 0 },
        StateMachine: { Id: m.arn, Name: m.name },
      },
    };
    let outcome: { output: unknown } | { err: unknown };
    try {
      // Validated when the machine was created; the copy carries the filled-in Task timeouts.
      const sm = new StateMachine(machine.definition, { validationOptions: { noValidate: true } });
      const ex = sm.run(input as never, runOptions);
      run.abortInterpreter = ex.abort;
      let translateError: unknown;
      const consumed = (async () => {
        for await (const e of ex.eventLogs) this.onEvent(run, machine, e as unknown as InterpreterEvent);
      })().catch((err: unknown) => {
        translateError = err;
      });
      try {
        outcome = { output: await ex.result };
      } catch (err) {
        outcome = { err };
      }
      // Every event the interpreter logged is consumed within microtasks of its result, so one macrotask
      // is enough; the log is not awaited to its end, because an interpreter that fails before its first
      // state (e.g. cloning an input nested too deep) never closes it.
      await Promise.race([consumed, new Promise<void>((r) => setImmediate(r))]);
      if (run.holding) this.flush(run, machine);
      if (translateError !== undefined) outcome = { err: translateError };
    } catch (err) {
      outcome = { err };
    }
    if (run.closed) return;
    if ('output' in outcome) {
      const output = json(outcome.output);
      if (bytes(output) > MAX_PAYLOAD_BYTES) {
        this.close(run, 'FAILED', { error: 'States.DataLimitExceeded', cause: `The execution output is ${bytes(output)} bytes, over the limit of ${MAX_PAYLOAD_BYTES}` });
      } else {
        this.close(run, 'SUCCEEDED', { output });
      }
    } else if (outcome.err instanceof ExecutionTimeoutError) {
      this.close(run, 'TIMED_OUT', { error: 'States.Timeout', cause: `The execution ran longer than its TimeoutSeconds (${machine.definition.TimeoutSeconds} s)` });
    } else if (outcome.err instanceof ExecutionError) {
      const c = outcome.err.cause as Error | undefined;
      this.close(run, 'FAILED', run.failure ?? { error: c?.name ?? 'States.Runtime', cause: c?.message ?? outcome.err.message });
    } else {
      this.logger?.error({ err: outcome.err, execution: run.rec.arn }, 'embedded Step Functions: the interpreter failed');
      this.close(run, 'FAILED', { error: 'States.Runtime', cause: `The embedded interpreter failed: ${describeCause(outcome.err)}` });
    }
  }

  /**
   * Routes one interpreter event. A Map's exit or failure is held for one macrotask: the events of its
   * iterations that the interpreter forwards late (MapIterationFailed of the iteration that failed it,
   * the last MapIterationSucceeded) are written first, and events of other states wait behind it, so
   * the history reads in causal order whatever the interleaving of the interpreter's promises.
   */
  private onEvent(run: Run, machine: CompiledMachine, e: InterpreterEvent): void {
    if (run.closed) return;
    const hold = run.holding;
    if (hold) {
      const ofHeldMap =
        (e.type.startsWith('MapIteration') && e.parentState?.name === hold.map) ||
        (e.index !== undefined && e.state !== undefined && machine.states.get(e.state.name)?.map === hold.map);
      if (ofHeldMap && hold.held.length === 0) this.translate(run, machine, e);
      else hold.held.push(e);
      return;
    }
    if (e.type === 'StateExited' || e.type === 'StateFailed') {
      if (e.state?.type === 'Map') {
        let release!: () => void;
        const flushed = new Promise<void>((r) => (release = r));
        run.holding = { map: e.state.name, event: e, held: [], flushed, release };
        setImmediate(() => this.flush(run, machine));
        return;
      }
    }
    this.translate(run, machine, e);
  }

  private flush(run: Run, machine: CompiledMachine): void {
    const hold = run.holding;
    if (!hold) return;
    run.holding = undefined;
    this.translate(run, machine, hold.event);
    // What was held goes through onEvent again, so a further Map end among it is held in turn.
    for (const e of hold.held) this.onEvent(run, machine, e);
    hold.release();
  }

  /** Translates one interpreter event into AWS history events. */
  private translate(run: Run, machine: CompiledMachine, e: InterpreterEvent): void {
    if (run.closed) return;
    // The interpreter may never log an iteration's end: when the Map's failure ends the execution, its
    // log closes before the iteration's forwarded MapIterationFailed arrives. The iteration's own state
    // events say it: one whose latest state event is a failure failed, any other was aborted.
    const map = e.index !== undefined && e.state ? machine.states.get(e.state.name)?.map : undefined;
    if (map !== undefined) {
      const failing = run.failing.get(map) ?? new Set<number>();
      run.failing.set(map, failing);
      if (e.type === 'StateFailed') failing.add(e.index!);
      else failing.delete(e.index!);
    }
    const lane = e.state ? this.laneOf(run, machine, e.state.name, map !== undefined ? iterationLane(map, e.index!) : ROOT) : ROOT;
    switch (e.type) {
      case 'StateEntered':
      case 'StateRetried': {
        const { name, type, input } = e.state!;
        if (type === 'Task') run.pendingCalls.set(name, [...(run.pendingCalls.get(name) ?? []), lane]);
        if (e.type === 'StateRetried') return;
        const text = json(input);
        // A state's input is within the limit unless it was made for it: a Map iteration's (ItemSelector) or a branch's.
        if (bytes(text) > MAX_PAYLOAD_BYTES) return this.exceedDataLimit(run, `The input of state ${name} is ${bytes(text)} bytes, over the limit of ${MAX_PAYLOAD_BYTES}`);
        this.add(run, `${type}StateEntered`, { name, input: text, inputDetails: { truncated: false } }, lane);
        if (type === 'Map') {
          run.maps.set(name, new Set());
          run.mapBytes.set(name, 2);
          run.mapLanes.set(name, lane);
          const length = mapLength(machine.states.get(name)!.def, input);
          this.add(run, 'MapStateStarted', length === undefined ? undefined : { length }, lane);
        } else if (type === 'Parallel') {
          this.add(run, 'ParallelStateStarted', undefined, lane);
          // Each branch's first event follows ParallelStateStarted, also when a loop enters this state again.
          const prefix = `${lane}/${name}[`;
          for (const key of [...run.lanes.keys()]) if (key.startsWith(prefix)) run.lanes.delete(key);
        }
        return;
      }
      case 'StateExited': {
        const { name, type, output } = e.state!;
        const text = json(output);
        if (bytes(text) > MAX_PAYLOAD_BYTES) return this.exceedDataLimit(run, `The output of state ${name} is ${bytes(text)} bytes, over the limit of ${MAX_PAYLOAD_BYTES}`);
        if (type === 'Map' && !run.failedStates.has(name)) {
          // A Map that exited normally had every iteration succeed, logged or not.
          for (const index of run.maps.get(name) ?? []) this.add(run, 'MapIterationSucceeded', { name, index }, iterationLane(name, index));
          run.maps.get(name)?.clear();
        }
        if ((type === 'Map' || type === 'Parallel') && !run.failedStates.delete(name)) this.add(run, `${type}StateSucceeded`, undefined, lane, 'latest');
        this.add(run, `${type}StateExited`, { name, output: text, outputDetails: { truncated: false } }, lane);
        return;
      }
      case 'StateFailed': {
        const { name, type } = e.state!;
        if (type === 'Task') {
          // A Task that failed before its handler was called (its Parameters, say) takes no call.
          const waiting = run.pendingCalls.get(name) ?? [];
          if (waiting.includes(lane)) waiting.splice(waiting.indexOf(lane), 1);
          if (e.Error === 'States.Timeout') this.timeOut(run, name);
        }
        if (type === 'Map') {
          const failing = run.failing.get(name);
          for (const index of run.maps.get(name) ?? []) {
            this.add(run, failing?.has(index) ? 'MapIterationFailed' : 'MapIterationAborted', { name, index }, iterationLane(name, index));
          }
          run.maps.get(name)?.clear();
          failing?.clear();
          // The interpreter abandons the other iterations without telling their handlers; this does.
          for (const a of run.attempts) if (machine.states.get(a.stateName)?.map === name) a.controller.abort(namedError('States.Aborted', `Map state ${name} failed`));
        }
        if (type === 'Map' || type === 'Parallel') {
          run.failedStates.add(name);
          this.add(run, `${type}StateFailed`, undefined, lane, 'latest');
        }
        return;
      }
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed': {
        const name = e.parentState!.name;
        const index = e.index!;
        const open = run.maps.get(name) ?? new Set<number>();
        run.maps.set(name, open);
        const own = iterationLane(name, index);
        if (e.type === 'MapIterationStarted') {
          open.add(index);
          // An iteration starts from its Map (MapStateStarted), not from a sibling iteration's event.
          run.lanes.set(own, run.lanes.get(run.mapLanes.get(name) ?? ROOT) ?? 0);
        } else if (!open.delete(index)) {
          return;
        }
        this.add(run, e.type, { name, index }, own);
        if (e.type === 'MapIterationSucceeded' && 'output' in e) {
          // As on AWS, a Map fails as soon as its results outgrow the limit, not after every iteration ran.
          const total = (run.mapBytes.get(name) ?? 2) + bytes(json(e.output)) + 1;
          run.mapBytes.set(name, total);
          if (total > MAX_PAYLOAD_BYTES) this.exceedDataLimit(run, `The results of Map state ${name} reached ${total} bytes, over the limit of ${MAX_PAYLOAD_BYTES}`);
        }
        return;
      }
      case 'ExecutionFailed':
        run.failure = { error: e.Error ?? 'States.Runtime', cause: describeCause(e.Cause) };
        return;
      default:
        // ExecutionStarted is written at StartExecution; the other ends are written by close();
        // StateCaught shows in history as the state transitions it causes.
        return;
    }
  }

  /**
   * The lane of a state's event: its Map iteration's (or the top level), then one per enclosing Parallel
   * branch, so each branch chains its own events from ParallelStateStarted, as AWS records them. A lane
   * seen first starts after its parent's last event.
   */
  private laneOf(run: Run, machine: CompiledMachine, state: string, base: string): string {
    let lane = base;
    for (const b of machine.states.get(state)?.branches ?? []) {
      const inner = branchLane(lane, b.parallel, b.index);
      if (!run.lanes.has(inner)) run.lanes.set(inner, run.lanes.get(lane) ?? 0);
      lane = inner;
    }
    return lane;
  }

  /**
   * AWS's 256 KiB on a state's data: States.DataLimitExceeded, which no Retry or Catch takes, ends the
   * execution. What was running is cut off as by a stop.
   */
  private exceedDataLimit(run: Run, cause: string): void {
    this.recordCutOff(run);
    this.close(run, 'FAILED', { error: 'States.DataLimitExceeded', cause });
  }

  /** The interpreter timed a Task out: the oldest open attempt of that state is the one (they start in order). */
  private timeOut(run: Run, stateName: string): void {
    for (const a of run.attempts) {
      if (a.stateName !== stateName || !a.open) continue;
      a.open = false;
      this.add(run, ...a.events.timedOut(`The Task ran longer than its TimeoutSeconds (${a.timeoutSeconds} s)`), a.lane);
      a.controller.abort(namedError('States.Timeout', 'Task timed out'));
      return;
    }
  }

  /** The interpreter's override for one Task state: runs the handler registered for its Resource. */
  private taskHandler(run: Run, stateName: string, st: IndexedState): (input: unknown) => Promise<unknown> {
    const resourceArn = st.def.Resource ?? '';
    const target = taskTarget(resourceArn);
    return async (input) => {
      // One macrotask: the interpreter's events before this call (this state's entry) are consumed first.
      await new Promise<void>((r) => setImmediate(r));
      while (run.holding) await run.holding.flushed;
      if (run.closed) throw namedError('States.Aborted', 'The execution has ended');
      const lane = run.pendingCalls.get(stateName)?.shift() ?? ROOT;
      const parameters = json(input);
      if (bytes(parameters) > MAX_PAYLOAD_BYTES) throw terminalError('States.DataLimitExceeded', `The input of state ${stateName} is ${bytes(parameters)} bytes, over the limit of ${MAX_PAYLOAD_BYTES}`);
      const call = this.resolveCall(target, input, parameters, st.timeoutSeconds);
      if ('error' in call) throw terminalError('States.Runtime', `State ${stateName}: ${call.error}`);
      const attempt: Attempt = { stateName, lane, events: call.events, timeoutSeconds: st.def.TimeoutSeconds, controller: new AbortController(), open: true };
      run.attempts.add(attempt);
      const fail = (err: Error): Error => {
        if (attempt.open) {
          attempt.open = false;
          this.add(run, ...call.events.failed(err.name, err.message), lane);
        }
        return err;
      };
      this.add(run, ...call.events.scheduled, lane);
      this.add(run, ...call.events.started, lane);
      try {
        let result: unknown;
        try {
          const signal = AbortSignal.any([run.controller.signal, attempt.controller.signal]);
          // Through a promise even if the handler throws synchronously or returns a plain value.
          const pending = Promise.resolve().then(() => call.handler(call.payload, { signal, executionArn: run.rec.arn, stateName }));
          this.inflight.add(pending);
          result = await pending.finally(() => this.inflight.delete(pending));
        } catch (err) {
          throw fail(functionError(err));
        }
        let payload: string;
        try {
          payload = json(result);
        } catch (err) {
          throw fail(terminalError('States.Runtime', `The result of Lambda function ${call.functionArn} is not JSON: ${(err as Error).message}`));
        }
        const output = call.envelope(payload);
        if (bytes(output) > MAX_PAYLOAD_BYTES) throw fail(terminalError('States.DataLimitExceeded', `The Task result is ${bytes(output)} bytes, over the limit of ${MAX_PAYLOAD_BYTES}`));
        if (attempt.open) {
          attempt.open = false;
          this.add(run, ...call.events.succeeded(output), lane);
        }
        return JSON.parse(output) as unknown;
      } finally {
        run.attempts.delete(attempt);
      }
    };
  }

  /**
   * The handler a Task call runs, what it is given, how its result is wrapped and how the call is recorded:
   * a bare function ARN passes the effective input and returns the result as is; `lambda:invoke` passes
   * `Payload` to the function `FunctionName` names and wraps the result as AWS's integration does.
   */
  private resolveCall(
    target: ReturnType<typeof taskTarget>,
    input: unknown,
    parameters: string,
    timeoutSeconds: number | undefined,
  ): { handler: TaskHandler; payload: unknown; functionArn: string; envelope: (payload: string) => string; events: TaskEvents } | { error: string } {
    if ('error' in target) return target;
    const unregistered = (arn: string): string => `no handler is registered for Lambda function ${arn} (the embedded Step Functions runs only the functions registered with it)`;
    if (target.kind === 'function') {
      const handler = this.handlers.get(target.functionArn);
      if (!handler) return { error: unregistered(target.functionArn) };
      return { handler, payload: input, functionArn: target.functionArn, envelope: (p) => p, events: lambdaFunctionEvents(target.functionArn, parameters, timeoutSeconds) };
    }
    const p = (input ?? {}) as { FunctionName?: unknown; Payload?: unknown };
    if (typeof p !== 'object' || Array.isArray(p) || typeof p.FunctionName !== 'string') return { error: 'lambda:invoke needs a FunctionName string in its Parameters' };
    const arn = resolveFunction(p.FunctionName, this.partition);
    if (typeof arn !== 'string') return arn;
    const handler = this.handlers.get(arn);
    if (!handler) return { error: unregistered(arn) };
    // Lambda hands a function invoked without a payload an empty object.
    const payload = Object.hasOwn(p, 'Payload') ? p.Payload : {};
    return { handler, payload, functionArn: arn, envelope: invokeOutput, events: integrationEvents('lambda', 'invoke', this.partition.region, parameters, timeoutSeconds) };
  }
}

/** The interpreter's event, as far as the translation reads it. */
interface InterpreterEvent {
  type: string;
  state?: { name: string; type: string; input: unknown; output?: unknown };
  parentState?: { name: string };
  index?: number;
  /** A Map iteration's result (MapIterationSucceeded). */
  output?: unknown;
  Error?: string;
  Cause?: unknown;
}

/** `TaskStateEntered` → `stateEnteredEventDetails`, `TaskFailed` → `taskFailedEventDetails`, as AWS names them. */
export function detailsKey(type: string): string {
  if (type.endsWith('StateEntered')) return 'stateEnteredEventDetails';
  if (type.endsWith('StateExited')) return 'stateExitedEventDetails';
  return `${type.charAt(0).toLowerCase()}${type.slice(1)}EventDetails`;
}
