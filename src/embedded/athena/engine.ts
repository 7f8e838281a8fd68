/**
 * Runs Athena query executions on DuckDB with Athena's lifecycle: StartQueryExecution returns at once,
 * the execution moves QUEUED → RUNNING → SUCCEEDED | FAILED | CANCELLED in the background, and a SQL
 * error is a FAILED execution, never a transport error.
 *
 * Each running query has its own DuckDB connection, so StopQueryExecution can interrupt exactly that
 * query. DuckDB executes on its own threads and results are read chunk by chunk, so the HTTP server
 * stays responsive while a query runs.
 */
import { randomUUID } from 'node:crypto';
import type { DuckDBConnection, DuckDBInstance, DuckDBPendingResult } from '@duckdb/node-api';
import type { Logger } from 'pino';
import type { EmbeddedTable } from '../tables';
import { ResultReturnType } from '@duckdb/node-api';
import { classifyDuckError, countRows, estimateScan, openDuckDB, prepareStatement, writeResultRows } from './duckdb';
import { guessStatementType, planStatement, SqlTextError, type Plan } from './sql';
import {
  DEFAULT_STORE_LIMITS,
  ExecutionStore,
  removeResultFiles,
  ResultTooLarge,
  ResultWriter,
  type AthenaErrorInfo,
  type ExecutionRecord,
  type StoreLimits,
  type StoredResult,
} from './store';

export const ENGINE_VERSION = { SelectedEngineVersion: 'AUTO', EffectiveEngineVersion: 'Athena engine version 3' } as const;
export const DEFAULT_OUTPUT_LOCATION = 's3://gapwatch-embedded/results/';

export interface EngineOptions {
  dataDir: string;
  tables: readonly EmbeddedTable[];
  logger?: Logger;
  limits?: Partial<EngineLimits>;
  /** Queries running at once; the rest wait QUEUED, as in an Athena workgroup at capacity. */
  concurrency?: number;
  /** Clock in epoch ms (tests and records); defaults to Date.now. */
  now?: () => number;
  /** Workgroups that exist (Athena refuses others); `primary` always does. */
  workGroups?: readonly string[];
}

export interface SubmitInput {
  query: string;
  database?: string;
  catalog?: string;
  workGroup: string;
  outputLocation?: string;
  executionParameters?: string[];
  clientRequestToken?: string;
}

/** Outcome of a submit: a new execution, the earlier one for the same token, or a token conflict. */
export type SubmitOutcome =
  | { kind: 'ok'; record: ExecutionRecord }
  | { kind: 'token-conflict' }
  | { kind: 'queue-full'; limit: number }
  /** The data dir refused the record: nothing was kept. */
  | { kind: 'write-failed'; reason: string }
  /** Refused before anything is stored, as Athena refuses a syntax error at StartQueryExecution. */
  | { kind: 'invalid'; message: string };

/** The store's bounds plus how many executions may wait QUEUED (Athena answers TooManyRequestsException past its own). */
export interface EngineLimits extends StoreLimits {
  maxQueued: number;
}

export const DEFAULT_ENGINE_LIMITS: EngineLimits = { ...DEFAULT_STORE_LIMITS, maxQueued: 200 };

/** Why a running execution must end early: StopQueryExecution, or the endpoint shutting down. */
type StopReason = 'cancel' | 'shutdown';

interface Running {
  conn?: DuckDBConnection;
  /** Set once, by the first of stop() / close(); never cleared. */
  stop?: StopReason;
  done: Promise<void>;
}

type Outcome =
  | { state: 'SUCCEEDED'; result?: StoredResult }
  | { state: 'CANCELLED' }
  | { state: 'FAILED'; reason: string; error: AthenaErrorInfo };

/** Thrown inside a run when it notices its stop flag; `execute` turns it into the final state. */
class Stopped extends Error {}

const SHUTDOWN_REASON = 'Query was interrupted because the embedded Athena endpoint stopped';

const isFinal = (state: ExecutionRecord['state']): boolean => state === 'SUCCEEDED' || state === 'FAILED' || state === 'CANCELLED';

/** The fields of a record that its final state sets. */
function finalFields(outcome: Outcome, now: number): Partial<ExecutionRecord> {
  const out: Partial<ExecutionRecord> = { state: outcome.state, completedAt: now };
  if (outcome.state === 'SUCCEEDED' && outcome.result) out.result = outcome.result;
  if (outcome.state === 'FAILED') Object.assign(out, { stateChangeReason: outcome.reason, athenaError: outcome.error });
  return out;
}

const failed = (code: string, message: string, category: number, type: number, retryable = false): Outcome => {
  const reason = `${code}: ${message}`;
  return { state: 'FAILED', reason, error: { ErrorCategory: category, ErrorType: type, Retryable: retryable, ErrorMessage: reason } };
};

/**
 * The data dir refused a write (full, over quota, read-only, failing): the system's fault, retryable once
 * there is room. Whatever files a result writes go through here, so any of them failing fails the query.
 */
const isWriteFailure = (err: unknown): err is NodeJS.ErrnoException =>
  err instanceof Error && typeof (err as NodeJS.ErrnoException).syscall === 'string' && ['ENOSPC', 'EDQUOT', 'EROFS', 'EIO', 'EFBIG'].includes((err as NodeJS.ErrnoException).code ?? '');

const writeFailed = (err: unknown, what: string): Outcome =>
  failed('INTERNAL_ERROR', `The embedded Athena endpoint could not write ${what} to its data dir (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}); free space there and retry`, 1, 100, true);

/** First line of a DuckDB error (the rest is a caret diagram of the query). */
const firstLine = (s: string): string => s.split('\n')[0].trim();

export class AthenaEngine {
  private readonly queue: string[] = [];
  private readonly running = new Map<string, Running>();
  private closed = false;
  private readonly now: () => number;
  private readonly concurrency: number;
  private readonly limits: EngineLimits;
  /** Each queued or running execution's plan, made at submit (or why it cannot run). Not persisted: an
   * execution that was not final when the endpoint stopped is failed on the next start anyway. */
  private readonly plans = new Map<string, Plan | SqlTextError>();
  readonly workGroups: ReadonlySet<string>;

  private constructor(
    private readonly instance: DuckDBInstance,
    readonly store: ExecutionStore,
    private readonly logger: Logger | undefined,
    opts: EngineOptions,
  ) {
    this.now = opts.now ?? Date.now;
    this.concurrency = opts.concurrency ?? 4;
    this.limits = { ...DEFAULT_ENGINE_LIMITS, ...opts.limits };
    this.workGroups = new Set(['primary', ...(opts.workGroups ?? [])]);
  }

  static async open(opts: EngineOptions): Promise<AthenaEngine> {
    const now = opts.now ?? Date.now;
    const store = new ExecutionStore(opts.dataDir, { ...DEFAULT_ENGINE_LIMITS, ...opts.limits }, opts.logger);
    store.load(now());
    await store.upgrade();
    const instance = await openDuckDB(opts.dataDir, opts.tables, opts.logger);
    return new AthenaEngine(instance, store, opts.logger, opts);
  }

  submit(input: SubmitInput): SubmitOutcome {
    const fingerprint = JSON.stringify([
      input.query,
      input.database ?? null,
      input.catalog ?? null,
      input.workGroup,
      input.outputLocation ?? null,
      input.executionParameters ?? null,
    ]);
    if (input.clientRequestToken) {
      const earlier = this.store.byClientToken(input.clientRequestToken);
      if (earlier) return earlier.fingerprint === fingerprint ? { kind: 'ok', record: earlier } : { kind: 'token-conflict' };
    }
    // Checked before anything is stored, so a refused start leaves no trace and evicts nothing.
    if (this.queue.length >= this.limits.maxQueued) return { kind: 'queue-full', limit: this.limits.maxQueued };
    let plan: Plan | SqlTextError;
    try {
      plan = planStatement(input.query, input.executionParameters ?? [], input.database ?? 'default');
    } catch (e) {
      if (!(e instanceof SqlTextError)) throw e;
      if (e.errorType === 'SYNTAX_ERROR') return { kind: 'invalid', message: e.message };
      plan = e;
    }
    const id = randomUUID();
    const type = plan instanceof SqlTextError ? guessStatementType(input.query) : plan.statementType;
    const base = input.outputLocation ?? DEFAULT_OUTPUT_LOCATION;
    const record: ExecutionRecord = {
      id,
      seq: this.store.newSeq(),
      query: input.query,
      database: input.database,
      catalog: input.catalog,
      workGroup: input.workGroup,
      outputLocation: `${base}${base.endsWith('/') ? '' : '/'}${id}.${type === 'DML' ? 'csv' : 'txt'}`,
      executionParameters: input.executionParameters,
      clientRequestToken: input.clientRequestToken,
      fingerprint,
      statementType: type,
      state: 'QUEUED',
      submittedAt: this.now(),
      dataScannedInBytes: 0,
    };
    try {
      this.store.save(record);
    } catch (err) {
      if (!isWriteFailure(err)) throw err;
      this.logger?.error({ err }, 'could not record a new query execution');
      return { kind: 'write-failed', reason: err.code ?? err.message };
    }
    this.plans.set(id, plan);
    this.queue.push(id);
    // Scheduled, not run inline: the caller's response goes out while the execution is still QUEUED.
    setImmediate(() => this.pump());
    return { kind: 'ok', record };
  }

  /**
   * StopQueryExecution: a no-op for finished executions, as in Athena. Once accepted, the execution ends
   * CANCELLED whatever it was doing, even if its last step would have succeeded or failed.
   *
   * Why a flag and not only DuckDB's interrupt: DuckDB clears a connection's interrupt flag whenever a
   * statement starts, so an interrupt that lands before the statement exists (connecting, the pre-checks,
   * parsing and planning) is silently lost and the query then runs to the end. The run therefore checks the
   * flag after every step and re-issues the interrupt once the main statement exists (see `evaluate`).
   */
  stop(id: string): void {
    const rec = this.store.get(id);
    if (!rec || isFinal(rec.state)) return;
    const run = this.running.get(id);
    if (!run) {
      // Not picked up yet: it never touches DuckDB.
      const i = this.queue.indexOf(id);
      if (i >= 0) this.queue.splice(i, 1);
      this.finish(rec, { state: 'CANCELLED' });
      return;
    }
    if (run.stop) return;
    run.stop = 'cancel';
    run.conn?.interrupt();
  }

  private pump(): void {
    while (!this.closed && this.running.size < this.concurrency && this.queue.length > 0) {
      const id = this.queue.shift()!;
      const rec = this.store.get(id);
      if (!rec || rec.state !== 'QUEUED') continue;
      const run: Running = { done: Promise.resolve() };
      this.running.set(id, run);
      run.done = this.execute(rec, run)
        // execute() settles every outcome itself; anything escaping it must not end the endpoint's thread.
        .catch((err: unknown) => this.logger?.error({ err, executionId: id }, 'query execution bookkeeping failed'))
        .finally(() => {
          this.running.delete(id);
          setImmediate(() => this.pump());
        });
    }
  }

  /**
   * Records a final state; the first one wins, so a late outcome never overwrites CANCELLED. The state is
   * final in memory even when the disk refuses the record (full, read-only): the next start finds it
   * unfinished on disk and fails it then. A result whose record could not be written is not kept.
   */
  private finish(rec: ExecutionRecord, outcome: Outcome): void {
    if (isFinal(rec.state)) return;
    this.plans.delete(rec.id);
    Object.assign(rec, finalFields(outcome, this.now()));
    try {
      this.store.save(rec);
    } catch (err) {
      this.logger?.error({ err, executionId: rec.id }, 'could not record the end of a query execution');
      if (outcome.state === 'SUCCEEDED') {
        removeResultFiles(this.store.resultPaths(rec.id));
        delete rec.result;
        Object.assign(rec, finalFields(writeFailed(err, 'its record'), this.now()));
      }
    }
    this.store.evict();
  }

  private async execute(rec: ExecutionRecord, run: Running): Promise<void> {
    rec.state = 'RUNNING';
    rec.startedAt = this.now();
    const resultFiles: { writer?: ResultWriter } = {};
    let outcome: Outcome;
    try {
      this.store.save(rec);
      outcome = await this.evaluate(rec, run, resultFiles);
    } catch (err) {
      // A stopped run fails with Stopped or DuckDB's "Interrupted!"; either way the stop decides below.
      if (run.stop) outcome = { state: 'CANCELLED' };
      else if (err instanceof ResultTooLarge) outcome = failed('EXCEEDED_RESULT_SIZE_LIMIT', err.message, 2, 1000);
      else if (isWriteFailure(err)) outcome = writeFailed(err, 'the query result');
      else {
        const message = firstLine((err as Error).message ?? String(err));
        const { code, category, type } = classifyDuckError(message);
        if (category === 1) this.logger?.error({ err, executionId: rec.id }, 'query failed inside the engine');
        outcome = failed(code, message.replace(/^Invalid Input Error: [A-Z_]+: /, ''), category, type);
      }
    }
    // An accepted stop overrides whatever the run produced. Applied again after the only await below, so
    // a stop arriving at any point before finish() wins, and one arriving after finds the record final.
    const applyStop = (): void => {
      if (run.stop === 'cancel') outcome = { state: 'CANCELLED' };
      else if (run.stop === 'shutdown') outcome = failed('INTERNAL_ERROR', SHUTDOWN_REASON, 1, 100, true);
    };
    applyStop();
    if (outcome.state !== 'SUCCEEDED') {
      // Partial result files go before the state is final, so nobody sees a final state with stray files.
      await resultFiles.writer?.abort();
      applyStop();
    }
    this.finish(rec, outcome);
  }

  /** The run proper. Every await is followed by a stop check, so a stop costs at most one short step. */
  private async evaluate(rec: ExecutionRecord, run: Running, resultFiles: { writer?: ResultWriter }): Promise<Outcome> {
    const checkpoint = (): void => {
      if (run.stop) throw new Stopped();
    };
    const conn = await this.instance.connect();
    run.conn = conn;
    try {
      checkpoint();
      const database = rec.database ?? 'default';
      const schemaOk = await conn.runAndReadAll('SELECT count(*) FROM duckdb_schemas() WHERE lower(schema_name) = lower($1)', [database]);
      checkpoint();
      if (Number(schemaOk.getRows()[0][0]) === 0) return failed('SCHEMA_NOT_FOUND', `line 1:1: Schema '${database}' does not exist`, 2, 1000);
      await conn.run(`USE "${database.replace(/"/g, '""')}"`);
      checkpoint();
      const plan = this.plans.get(rec.id);
      if (plan === undefined) return failed('INTERNAL_ERROR', 'The execution lost its plan', 1, 100, true);
      if (plan instanceof SqlTextError) return failed(plan.errorType, plan.message, 2, 1000);
      const sql = plan.sql;
      rec.dataScannedInBytes = await estimateScan(conn, sql);
      checkpoint();
      // Prepared and registered with DuckDB, not yet executing. From this point until the statement ends
      // DuckDB keeps an interrupt, so a stop that arrived while it was being planned is replayed here and
      // any later stop() reaches it directly: the execution below cannot outlive a stop.
      const statement = await prepareStatement(conn, sql);
      if ('refused' in statement) return failed('NOT_SUPPORTED', statement.refused, 2, 1000);
      let pending: DuckDBPendingResult;
      try {
        pending = statement.prepared.startStream();
      } finally {
        statement.prepared.destroySync();
      }
      if (run.stop) conn.interrupt();
      const result = await pending.getResult();
      checkpoint();
      if (result.returnType !== ResultReturnType.QUERY_RESULT) {
        // INSERT / CTAS / DDL: no rows, the changed-row count goes to UpdateCount as in Athena (for CTAS the
        // rows written, which DuckDB does not report for CREATE TABLE … AS).
        const updateCount = plan.countTable !== undefined ? await countRows(conn, plan.countTable) : Number(result.rowsChanged);
        return { state: 'SUCCEEDED', result: { columns: [], rowCount: 0, header: false, updateCount, bytes: 0, format: 'csv' } };
      }
      const maxBytes = Math.min(this.limits.maxResultBytesPerQuery, this.limits.maxResultBytes);
      const names = result.columnNames();
      // Athena starts a DML result's file, as its GetQueryResults, with the column labels.
      const header = rec.statementType === 'DML';
      const writer = await ResultWriter.create(this.store.resultPaths(rec.id), header ? names : null, maxBytes);
      resultFiles.writer = writer;
      const columns = await writeResultRows(result, names, plan.hints, writer, checkpoint);
      const files = await writer.finish();
      return {
        state: 'SUCCEEDED',
        result: { columns, rowCount: writer.rowCount, header, updateCount: 0, ...files },
      };
    } finally {
      run.conn = undefined;
      conn.closeSync();
    }
  }

  /** Stops accepting work, interrupts running queries (they end FAILED, retryable) and closes DuckDB. */
  async close(): Promise<void> {
    this.closed = true;
    for (const id of this.queue.splice(0)) {
      const rec = this.store.get(id);
      if (rec?.state === 'QUEUED') this.finish(rec, failed('INTERNAL_ERROR', SHUTDOWN_REASON, 1, 100, true));
    }
    for (const run of this.running.values()) {
      run.stop ??= 'shutdown';
      run.conn?.interrupt();
    }
    await Promise.allSettled([...this.running.values()].map((r) => r.done));
    this.instance.closeSync();
  }
}

