import {
  AthenaClient,
  AthenaServiceException,
  BatchGetQueryExecutionCommand,
  GetQueryExecutionCommand,
  GetQueryResultsCommand,
  StartQueryExecutionCommand,
  StopQueryExecutionCommand,
  type ColumnInfo,
  type QueryExecution,
  type UnprocessedQueryExecutionId,
} from '@aws-sdk/client-athena';
import { badInput, CodedError, ErrorCode } from '../../errors';
import { realClock, type Clock } from '../clock/clock';
import { createDecoder, type DecodedColumn, type ResultDecoder, type TypedValue } from './decode';
import { columnsOf, dataRows } from './pages';
import { ByteBoundedLru } from './result-cache';
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
}

/** One GetQueryResults page, decoded. Positional values and the raw text side by side. */
export interface ResultPage {
  columns: readonly DecodedColumn[];
  values: TypedValue[][];
  raw: (string | null)[][];
  /** Athena's token for the following page; null on the last page. */
  nextToken: string | null;
}

interface PendingPage {
  page: Promise<ResultPage>;
  /** The page's NextToken (null on the last page), known as soon as Athena has answered. */
  next: Promise<string | null>;
}

/** Athena's largest page; pages are always fetched at this size so their tokens are stable cache keys. */
export const PAGE_SIZE = 1000;

/** Results whose decoders are kept (a decoder is small: a function per column). */
const MAX_DECODERS = 256;

const BATCH_GET_MAX = 50;
/** BatchGetQueryExecution calls for one chunk while Athena leaves ids of it unprocessed. */
const BATCH_GET_ROUNDS = 4;
const POLL_FIRST_MS = 100;
const POLL_MAX_MS = 5000;

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
  };
}

/**
 * Athena has no not-found exception: it refuses an id it does not know (or that is malformed) with
 * InvalidRequestException. Get- and StopQueryExecution take nothing but the id, so for them the exception's
 * name alone means "no such execution"; its wording is never read.
 */
function isRefused(err: unknown): err is AthenaServiceException {
  return err instanceof AthenaServiceException && err.name === 'InvalidRequestException';
}

/** An id BatchGetQueryExecution left unprocessed because Athena does not know it, as opposed to throttling. */
function isUnknownId(u: UnprocessedQueryExecutionId): boolean {
  return u.ErrorCode === 'INVALID_INPUT' || /not found/i.test(u.ErrorMessage ?? '');
}

/**
 * Athena's answer to a ClientRequestToken reused for a different request: an InvalidRequestException
 * whose only telling part is its message (the SDK has no distinct exception for it).
 */
function isTokenConflict(err: unknown): boolean {
  return isRefused(err) && /idempoten/i.test(err.message);
}

/** SDK failures become coded errors; Athena's own words are kept, credentials and internals are not. */
function backendError(err: unknown, what: string): CodedError {
  if (err instanceof CodedError) return err;
  const name = err instanceof Error ? err.name : 'Error';
  const message = err instanceof Error ? err.message : String(err);
  return new CodedError(ErrorCode.BACKEND_UNAVAILABLE, `Athena ${what} failed: ${name}: ${message}`, { service: 'athena' });
}

/**
 * Athena refused a page token (InvalidRequestException on a GetQueryResults that carried one): the token
 * came from a client's cursor and is not one Athena issued for this execution. The paging layer turns it
 * into BAD_USER_INPUT on the cursor's argument.
 */
export class PageTokenRejected extends Error {
  override name = 'PageTokenRejected';
}

export function notFound(id: string): CodedError {
  return new CodedError(ErrorCode.NOT_FOUND, `query execution '${id}' was not found`, { argument: 'id' });
}

/**
 * Everything gapwatch asks of Athena, through the real SDK client only: in embedded mode that client points
 * at the embedded endpoint, in aws mode at AWS, and nothing here knows which.
 */
export class AthenaService {
  private readonly pages: ByteBoundedLru<ResultPage>;
  private readonly inflight = new Map<string, PendingPage>();
  /** Decoders of recently read results, oldest first. */
  private readonly decoders = new Map<string, ResultDecoder>();
  /** NextTokens Athena has issued, by execution: the pages the cache may keep (see `pending`). */
  private readonly issued = new ByteBoundedLru<true>(4 * 1024 * 1024);
  /** Executions that have ended never change again: kept so paging a result does not re-ask for its state. */
  private readonly ended = new ByteBoundedLru<Execution>(8 * 1024 * 1024);

  constructor(
    private readonly client: AthenaClient,
    readonly settings: AthenaSettings,
    private readonly clock: Clock = realClock,
    private readonly random: () => number = Math.random,
  ) {
    this.pages = new ByteBoundedLru(settings.resultCacheBytes);
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
      );
      return out.QueryExecutionId!;
    } catch (err) {
      if (q.clientRequestToken && isTokenConflict(err)) {
        throw badInput('clientRequestToken', `already used for a different request (Athena: ${(err as Error).message}); use a new token for a new request`);
      }
      throw backendError(err, 'StartQueryExecution');
    }
  }

  async get(id: string): Promise<Execution> {
    const ended = this.ended.get(id);
    if (ended) return ended;
    try {
      const out = await this.client.send(new GetQueryExecutionCommand({ QueryExecutionId: id }));
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
    let delay = POLL_FIRST_MS;
    for (let round = 1; ; round++) {
      let out;
      try {
        out = await this.client.send(new BatchGetQueryExecutionCommand({ QueryExecutionIds: [...ask] }));
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
      await this.clock.sleep(delay / 2 + this.random() * (delay / 2));
      delay = Math.min(POLL_MAX_MS, delay * 2);
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
   * Waits until the query ends, polling with capped, jittered exponential backoff. SUCCEEDED resolves;
   * FAILED and CANCELLED reject with coded errors carrying Athena's reason; past `timeoutMs` it rejects with
   * QUERY_TIMEOUT and leaves the query running (the caller may stop it).
   */
  async wait(id: string, timeoutMs = this.settings.waitTimeoutMs): Promise<Execution> {
    const deadline = this.clock.now() + timeoutMs;
    let delay = POLL_FIRST_MS;
    for (;;) {
      const execution = await this.get(id);
      switch (execution.state) {
        case 'SUCCEEDED':
          return execution;
        case 'FAILED':
          throw new CodedError(ErrorCode.QUERY_FAILED, `query ${id} failed: ${execution.stateChangeReason ?? 'no reason given'}`, {
            queryExecutionId: id,
            reason: execution.stateChangeReason,
            errorType: execution.errorType,
          });
        case 'CANCELLED':
          throw new CodedError(ErrorCode.QUERY_CANCELLED, `query ${id} was cancelled${execution.stateChangeReason ? `: ${execution.stateChangeReason}` : ''}`, {
            queryExecutionId: id,
            reason: execution.stateChangeReason,
          });
        case 'QUEUED':
        case 'RUNNING':
          break;
      }
      const left = deadline - this.clock.now();
      if (left <= 0) {
        throw new CodedError(ErrorCode.QUERY_TIMEOUT, `query ${id} was still ${execution.state} after ${timeoutMs} ms; it keeps running`, {
          queryExecutionId: id,
          state: execution.state,
        });
      }
      // Full jitter keeps many waiters from polling in step; the cap keeps a long query from being checked rarely.
      await this.clock.sleep(Math.min(left, delay / 2 + this.random() * (delay / 2)));
      delay = Math.min(POLL_MAX_MS, delay * 2);
    }
  }

  async run(q: StartQuery, timeoutMs?: number): Promise<Execution> {
    return this.wait(await this.start(q), timeoutMs);
  }

  async stop(id: string): Promise<void> {
    try {
      await this.client.send(new StopQueryExecutionCommand({ QueryExecutionId: id }));
    } catch (err) {
      if (isRefused(err)) throw notFound(id);
      throw backendError(err, 'StopQueryExecution');
    }
  }

  /**
   * One page of a SUCCEEDED query's results, decoded; `token` null is the first page. Cached by execution,
   * token and hints, since such results never change.
   */
  page(id: string, token: string | null, hints?: Readonly<Record<string, string>>): Promise<ResultPage> {
    return this.pending(id, token, hints).page;
  }

  /**
   * Starts fetching pages likely to be asked for next, without waiting for them, so Athena's latency
   * overlaps the client's handling of the rows it already has: the page at `token` and, as soon as Athena
   * has answered for each (before it is read), the one after it, `depth` pages in all. Pages come one
   * after another (each NextToken is in the page before), so only a chain running ahead of the reader keeps
   * it from waiting. Pages already cached or on their way cost nothing. A failure is left for the real
   * request.
   */
  prefetch(id: string, token: string, hints?: Readonly<Record<string, string>>, depth = 1): void {
    const pending = this.pending(id, token, hints);
    pending.page.catch(() => {});
    if (depth > 1) {
      void pending.next.then((next) => {
        if (next) this.prefetch(id, next, hints, depth - 1);
      });
    }
  }

  /**
   * The page, and its NextToken as soon as Athena has answered. A page on its way is never fetched twice.
   *
   * The cache is shared by every client, and a token may come from a client's cursor, so what it holds
   * must not depend on anything a client chose: the key is the exact token (null, page 1, apart from
   * every string, '' included), and a page is kept only when it is page 1 or was reached by a token
   * Athena itself issued (a page's NextToken). A page at any other token is served to its asker, once.
   */
  private pending(id: string, token: string | null, hints?: Readonly<Record<string, string>>): PendingPage {
    const key = JSON.stringify([id, token, hints ?? null]);
    const cached = this.pages.get(key);
    if (cached) return { page: Promise.resolve(cached), next: Promise.resolve(cached.nextToken) };
    let pending = this.inflight.get(key);
    if (!pending) {
      let announce!: (next: string | null) => void;
      const next = new Promise<string | null>((resolve) => (announce = resolve));
      const page = this.fetchPage(id, token, hints, announce).then(
        (page) => {
          this.inflight.delete(key);
          if (token === null || this.issued.get(issuedKey(id, token))) this.pages.set(key, page, estimateBytes(page.raw));
          return page;
        },
        (err: unknown) => {
          this.inflight.delete(key);
          announce(null);
          throw err;
        },
      );
      pending = { page, next };
      this.inflight.set(key, pending);
    }
    return pending;
  }

  /**
   * The decoder of a result, built once: every page of a result carries the same ColumnInfo, and the
   * decoders keep per-column memos (the last date seen) that serve every page alike.
   */
  private decoderFor(id: string, columns: ColumnInfo[], hints?: Readonly<Record<string, string>>): ResultDecoder {
    const key = `${id}\u0000${hints ? JSON.stringify(hints) : ''}`;
    let decoder = this.decoders.get(key);
    if (decoder === undefined) {
      decoder = createDecoder(columns, hints);
      if (this.decoders.size >= MAX_DECODERS) this.decoders.delete(this.decoders.keys().next().value!);
      this.decoders.set(key, decoder);
    }
    return decoder;
  }

  private async fetchPage(
    id: string,
    token: string | null,
    hints: Readonly<Record<string, string>> | undefined,
    announce: (next: string | null) => void,
  ): Promise<ResultPage> {
    let out;
    try {
      out = await this.client.send(
        new GetQueryResultsCommand({ QueryExecutionId: id, MaxResults: PAGE_SIZE, ...(token !== null ? { NextToken: token } : {}) }),
      );
    } catch (err) {
      if (isRefused(err)) {
        // GetQueryResults refuses an unknown id, results that do not exist (yet) and a token it did not
        // issue alike: which one, Athena says only in prose, so ask it about the execution instead
        // (NOT_FOUND when it knows none). A token refused for a SUCCEEDED execution came from a cursor.
        const execution = await this.get(id);
        if (token !== null && execution.state === 'SUCCEEDED') throw new PageTokenRejected(err.message);
        throw new CodedError(ErrorCode.QUERY_NOT_READY, `results of query ${id} are not available: ${err.message}`, { queryExecutionId: id });
      }
      throw backendError(err, 'GetQueryResults');
    }
    // The rows are read below, on first use (protocol.ts); the token is known now. Whoever waits on it
    // (a prefetch chain) starts the next call, and that request goes out before this page is read.
    if (out.NextToken) this.issued.set(issuedKey(id, out.NextToken), true, 128 + out.NextToken.length * 2);
    announce(out.NextToken ?? null);
    await new Promise((resolve) => setImmediate(resolve));
    let columns;
    let rows;
    try {
      columns = columnsOf(out);
      // Only the page asked for without a token can hold the header row.
      rows = dataRows(out, token === null);
    } catch (err) {
      throw backendError(err, 'GetQueryResults'); // a body whose inside is not JSON (protocol.ts)
    }
    const decoder = this.decoderFor(id, columns, hints);
    return { columns: decoder.columns, values: decoder.decodeRows(rows), raw: rows, nextToken: out.NextToken ?? null };
  }

  /**
   * Every page in order. Fetching page N+1 starts before page N is handed over, so the network wait
   * overlaps the consumer's work on page N.
   */
  async *allPages(id: string, hints?: Readonly<Record<string, string>>): AsyncGenerator<ResultPage> {
    let page = await this.page(id, null, hints);
    for (;;) {
      if (page.nextToken) this.prefetch(id, page.nextToken, hints);
      yield page;
      if (!page.nextToken) return;
      page = await this.page(id, page.nextToken, hints);
    }
  }
}

function issuedKey(id: string, token: string): string {
  return `${id}\u0000${token}`;
}

/** Rough bytes a decoded page holds: raw text twice (raw and decoded) plus per-cell overhead. */
function estimateBytes(raw: (string | null)[][]): number {
  let bytes = 0;
  for (const row of raw) {
    bytes += 64;
    for (const cell of row) bytes += 32 + (cell === null ? 0 : cell.length * 4);
  }
  return bytes;
}
