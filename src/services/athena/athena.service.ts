/**
 * Everything gapwatch asks of Athena, in one service built of parts: the SDK calls for executions (here),
 * waiting for one to end (polling.ts), and reading results page by page through a shared cache with
 * prefetch (result-pages.ts, with decoder-cache.ts). What Athena's refusals mean is in sdk-errors.ts.
 */
import {
  AthenaClient,
  BatchGetQueryExecutionCommand,
  GetQueryExecutionCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type QueryExecution,
} from '@aws-sdk/client-athena';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Logger } from 'pino';
import { badInput, CodedError, ErrorCode } from '../../errors';
import { realClock, type Clock } from '../clock/clock';
import { Backoff, waitUntilEnded } from './polling';
import { ByteBoundedLru } from './result-cache';
import { ResultFiles } from './result-file';
import { ResultPages, type PageRef, type ResultPage } from './result-pages';
import { backendError, isRefused, isTokenConflict, isUnknownId, notFound } from './sdk-errors';
import type { AthenaSettings } from './settings';

export type ExecutionState = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';

/** One Athena query execution, flattened from the SDK's nested shape. */
export interface Execution {
  id: string;
  state: ExecutionState;
  stateChangeReason: string | null;
  errorType: string | null;
  sql: string;
  statementType: string | null;
  database: string | null;
  workgroup: string | null;
  submittedAt: Date | null;
  completedAt: Date | null;
  dataScannedBytes: number | null;
  engineExecutionTimeMs: number | null;
  totalExecutionTimeMs: number | null;
  outputLocation: string | null;
  /** How Athena encrypted the result (`SSE_S3`, `SSE_KMS`, `CSE_KMS`); null when it says nothing. */
  resultEncryption: string | null;
}

const BATCH_GET_MAX = 50;
/** BatchGetQueryExecution calls for one chunk while Athena leaves ids of it unprocessed. */
const BATCH_GET_ROUNDS = 4;

export interface StartQuery {
  sql: string;
  /** Bound to the `?` placeholders in order, as Athena ExecutionParameters (each one SQL literal text). */
  parameters?: readonly string[];
  /** Idempotency token: the same token and request give the same execution. */
  clientRequestToken?: string;
  database?: string;
}

function toExecution(q: QueryExecution): Execution {
  const status = q.Status ?? {};
  const stats = q.Statistics ?? {};
  return {
    id: q.QueryExecutionId ?? '',
    state: (status.State ?? 'QUEUED') as ExecutionState,
    stateChangeReason: status.StateChangeReason ?? null,
    errorType: status.AthenaError?.ErrorType !== undefined ? String(status.AthenaError.ErrorType) : null,
    sql: q.Query ?? '',
    statementType: q.StatementType ?? null,
    database: q.QueryExecutionContext?.Database ?? null,
    workgroup: q.WorkGroup ?? null,
    submittedAt: status.SubmissionDateTime ?? null,
    completedAt: status.CompletionDateTime ?? null,
    dataScannedBytes: stats.DataScannedInBytes ?? null,
    engineExecutionTimeMs: stats.EngineExecutionTimeInMillis ?? null,
    totalExecutionTimeMs: stats.TotalExecutionTimeInMillis ?? null,
    outputLocation: q.ResultConfiguration?.OutputLocation ?? null,
    resultEncryption: q.ResultConfiguration?.EncryptionConfiguration?.EncryptionOption ?? null,
  };
}

/**
 * Everything gapwatch asks of Athena, through the real SDK client only: in embedded mode that client points
 * at the embedded endpoint, in aws mode at AWS, and nothing here knows which.
 */
export class AthenaService {
  private readonly results: ResultPages;
  /** Executions that have ended never change again: kept so paging a result does not re-ask for its state. */
  private readonly ended = new ByteBoundedLru<Execution>(8 * 1024 * 1024);
  /**
   * Aborted by close(): every call in flight then ends instead of being retried by the SDK (destroying the
   * client only drops its sockets, and the SDK's retry opens new ones), so a stopped app asks Athena nothing.
   */
  private readonly closing = new AbortController();
  private readonly call = { abortSignal: this.closing.signal };

  private readonly files: ResultFiles;

  /**
   * `s3`: the client results are read from S3 with (result-file.ts), unless `settings.resultsFromS3` is
   * false; without one, every result is read with GetQueryResults.
   */
  constructor(
    private readonly client: AthenaClient,
    readonly settings: AthenaSettings,
    private readonly clock: Clock = realClock,
    private readonly random: () => number = Math.random,
    s3?: { client: S3Client; logger?: Logger },
  ) {
    this.files = new ResultFiles(s3?.client, { enabled: settings.resultsFromS3, logger: s3?.logger, call: this.call });
    this.results = new ResultPages(client, settings.resultCacheBytes, (id) => this.get(id), this.call, this.files);
  }

  /** Starts a query and returns its id at once; the query runs on in Athena. */
  async start(q: StartQuery): Promise<string> {
    try {
      const out = await this.client.send(
        new StartQueryExecutionCommand({
          QueryString: q.sql,
          QueryExecutionContext: { Database: q.database ?? this.settings.database },
          WorkGroup: this.settings.workgroup,
          ...(this.settings.outputLocation ? { ResultConfiguration: { OutputLocation: this.settings.outputLocation } } : {}),
          ...(q.parameters && q.parameters.length > 0 ? { ExecutionParameters: [...q.parameters] } : {}),
          ...(q.clientRequestToken ? { ClientRequestToken: q.clientRequestToken } : {}),
        }),
        this.call,
      );
      return out.QueryExecutionId!;
    } catch (err) {
      if (q.clientRequestToken && isTokenConflict(err)) {
        throw badInput('clientRequestToken', `already used for a different request (Athena: ${(err as Error).message}); use a new token for a new request`);
      }
      // Athena refuses SQL that does not parse at StartQueryExecution (`line 1:8: mismatched input …`): the
      // query's failure, told as one, not the backend's.
      if (isRefused(err) && /^line \d+:\d+: /.test(err.message)) {
        throw new CodedError(ErrorCode.QUERY_FAILED, `Athena refused the query: ${err.message}`, { reason: err.message });
      }
      throw backendError(err, 'StartQueryExecution');
    }
  }

  async get(id: string): Promise<Execution> {
    const ended = this.ended.get(id);
    if (ended) return ended;
    try {
      const out = await this.client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }), this.call);
      return this.remember(toExecution(out.QueryExecution!));
    } catch (err) {
      if (isRefused(err)) throw notFound(id);
      throw backendError(err, 'GetQueryExecution');
    }
  }

  /**
   * Many executions in as few calls as Athena allows (50 ids each), in the order asked; an id Athena does not
   * know comes back as a NOT_FOUND error in its place, as DataLoader expects.
   */
  async getMany(ids: readonly string[]): Promise<(Execution | CodedError)[]> {
    const found = new Map<string, Execution | CodedError>();
    const unknown: string[] = [];
    for (const id of new Set(ids)) {
      const ended = this.ended.get(id);
      if (ended) found.set(id, ended);
      else unknown.push(id);
    }
    const chunks: string[][] = [];
    for (let i = 0; i < unknown.length; i += BATCH_GET_MAX) chunks.push(unknown.slice(i, i + BATCH_GET_MAX));
    await Promise.all(chunks.map((chunk) => this.batchGet(chunk, found)));
    return ids.map((id) => found.get(id) ?? notFound(id));
  }

  /**
   * One BatchGetQueryExecution of at most 50 ids. Athena may leave some ids unprocessed while answering the
   * rest (under throttling, say): those are asked for again, after a jittered pause, for a few rounds; an id
   * it does not know is NOT_FOUND at once, and one still unprocessed after the last round gets
   * BACKEND_UNAVAILABLE in its place, never a silent null.
   */
  private async batchGet(chunk: readonly string[], found: Map<string, Execution | CodedError>): Promise<void> {
    let ask = chunk;
    const backoff = new Backoff(this.clock, this.random);
    for (let round = 1; ; round++) {
      let out;
      try {
        out = await this.client.send(new BatchGetQueryExecutionCommand({ QueryExecutionIds: [...ask] }), this.call);
      } catch (err) {
        throw backendError(err, 'BatchGetQueryExecution');
      }
      for (const q of out.QueryExecutions ?? []) found.set(q.QueryExecutionId!, this.remember(toExecution(q)));
      const retry: string[] = [];
      let reason = '';
      for (const u of out.UnprocessedQueryExecutionIds ?? []) {
        if (u.QueryExecutionId === undefined || found.has(u.QueryExecutionId)) continue;
        if (isUnknownId(u)) continue; // answered NOT_FOUND by getMany
        retry.push(u.QueryExecutionId);
        reason = `${u.ErrorCode ?? 'no error code'}${u.ErrorMessage ? `: ${u.ErrorMessage}` : ''}`;
      }
      if (retry.length === 0) return;
      if (round === BATCH_GET_ROUNDS) {
        for (const id of retry) {
          found.set(id, new CodedError(ErrorCode.BACKEND_UNAVAILABLE, `Athena left query execution '${id}' unprocessed ${round} times (${reason})`, { service: 'athena' }));
        }
        return;
      }
      await backoff.pause();
      ask = retry;
    }
  }

  private remember(execution: Execution): Execution {
    if (execution.state === 'SUCCEEDED' || execution.state === 'FAILED' || execution.state === 'CANCELLED') {
      this.ended.set(execution.id, execution, 512 + execution.sql.length * 2);
    }
    return execution;
  }

  /**
   * Waits until the query ends, polling with capped, jittered exponential backoff (polling.ts): SUCCEEDED
   * resolves; FAILED, CANCELLED and a wait past `timeoutMs` (the query keeps running) reject, coded.
   */
  wait(id: string, timeoutMs = this.settings.waitTimeoutMs): Promise<Execution> {
    return waitUntilEnded((x) => this.get(x), id, timeoutMs, this.clock, this.random);
  }

  async run(q: StartQuery, timeoutMs?: number): Promise<Execution> {
    return this.wait(await this.start(q), timeoutMs);
  }

  async stop(id: string): Promise<void> {
    try {
      await this.client.send(new StopQueryExecutionCommand({ QueryExecutionId: id }), this.call);
    } catch (err) {
      if (isRefused(err)) throw notFound(id);
      throw backendError(err, 'StopQueryExecution');
    }
  }

  /** Ends every Athena call in flight and refuses new ones: the app is stopping. */
  close(): void {
    this.closing.abort(new Error('gapwatch is stopping'));
    this.files.close();
  }

  /** The shared results-page cache's lookups and size, for /metrics. */
  cacheStats(): { hits: number; misses: number; bytes: number } {
    return this.results.cacheStats();
  }

  /**
   * One page of a SUCCEEDED query's results, decoded; null is the first page. Shared by every request
   * (result-pages.ts), since such results never change.
   */
  page(id: string, ref: PageRef | null, hints?: Readonly<Record<string, string>>): Promise<ResultPage> {
    return this.results.page(id, ref, hints);
  }

  /** Starts fetching the page at `ref` and the `depth - 1` after it, without waiting (result-pages.ts). */
  prefetch(id: string, ref: PageRef, hints?: Readonly<Record<string, string>>, depth = 1): void {
    this.results.prefetch(id, ref, hints, depth);
  }

  /** Every page of a result for a reader that wants them all, uncached, read as the consumer pulls (result-pages.ts). */
  stream(id: string, hints?: Readonly<Record<string, string>>): AsyncGenerator<ResultPage> {
    return this.results.stream(id, hints);
  }

  /** Every page in order, the next one on its way while the consumer works on this one. */
  allPages(id: string, hints?: Readonly<Record<string, string>>): AsyncGenerator<ResultPage> {
    return this.results.allPages(id, hints);
  }
}
