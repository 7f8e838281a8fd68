import { randomUUID } from 'node:crypto';
import { badInput, CodedError, ErrorCode, limitExceeded } from '../../errors';
import type { Logger } from '../../logger';
import type { AthenaService } from '../athena/athena.service';
import type { Clock } from '../clock/clock';
import type { QueriesService } from '../athena/queries.service';
import type { TypedValue } from '../athena/decode';
import { alignWindow, checkUse, GapEngine, instantProblem, windowProblem, type ComputeGapsInput, type GapReport, type WindowUse } from './compute';
import type { Dataset } from './dataset';
import { completenessQuery, seriesStartQuery } from './query';
import { toCountRows, toSeriesStarts, type CountRow, type DecodedRow } from './count-rows';
import { islandsQuery, judgeIslands, MAX_QUERY_BYTES, toIslandFacts } from './islands';
import { HISTORY_PER_DATASET, stampedAhead, type CheckStore, type ReadySignal, type SeriesStartMemo } from './check-store';

export { HISTORY_PER_DATASET };

export type CheckTrigger = 'API' | 'SCHEDULE' | 'CLI' | 'PIPELINE';

/** A report's status, or FAILED: the check could not be completed (`error` says why). */
export type CheckStatus = GapReport['status'] | 'FAILED';

/** Why a check failed: the code and message a client would have seen (internal details stay in the logs). */
export interface CheckFailure {
  code: string;
  message: string;
}

/** One check, completed or failed: the report plus where it came from. */
export interface GapCheck extends Omit<GapReport, 'status' | 'nullTimestampRows'> {
  id: string;
  status: CheckStatus;
  /** Null when the query could not count them without reading the whole table (no partition column). */
  nullTimestampRows: number | null;
  /** Bytes Athena scanned for this check (its queries together), as Athena reports them; null when unknown. */
  dataScannedBytes: number | null;
  checkedAt: Date;
  trigger: CheckTrigger;
  /** Every group of the dataset was judged (no `groups` restriction narrower than the configured groups). */
  allGroups: boolean;
  /** The Athena execution whose rows the report was computed from; null when the check failed before one. */
  queryExecutionId: string | null;
  durationMs: number;
  /** FAILED checks only. */
  error?: CheckFailure;
}

/** Input of recordReadySignal: a window of a dataset declared complete, and by what. */
export interface ReadySignalInput {
  dataset: string;
  /** Epoch ms; aligned outward to the dataset's buckets. */
  from: number;
  to: number;
  /** When; default now. */
  at?: number;
  /** A pipeline run (its Initiate step), or a check that may be a ready signal (OK over every group). */
  source: { runId: string } | { checkId: string };
}

export interface CheckRequest {
  from: number;
  to: number;
  groups?: readonly string[];
  /** Include per-bucket series for plotting (costly for wide windows). */
  series?: boolean;
  trigger?: CheckTrigger;
}

/** Where a check's rows came from. */
interface Scan {
  queryExecutionId: string;
  dataScannedBytes: number | null;
  /** The query counted NULL-timestamp rows (see CompletenessQuery.countsNullTimestamps). */
  countsNullTimestamps: boolean;
}

/** Bytes of a check's queries together; unknown when any is unknown. */
function sumBytes(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : a + b;
}

/** Refuses a window the dataset cannot judge (judged as `use` says), naming the argument at fault. */
export function checkWindow(dataset: Dataset, from: number, to: number, use: WindowUse): void {
  for (const [argument, at] of [['from', from], ['to', to]] as const) {
    const problem = instantProblem(at);
    if (problem) throw badInput(argument, problem);
  }
  const problem = windowProblem(dataset, from, to, use);
  if (problem) throw badInput(from >= to ? 'to' : 'from', problem);
}

/**
 * Runs gap checks: the completeness query through Athena, its rows decoded generically, the pure engine on
 * top. Knows nothing of GraphQL; expected failures are coded errors for the edge to pass on.
 */
export class GapsService {
  private readonly byName: ReadonlyMap<string, Dataset>;
  private readonly inflight = new Map<string, Promise<GapCheck>>();
  /** The gap engine and its caches live as long as the service. */
  private readonly engine = new GapEngine();
  private readonly checkListeners = new Set<(check: GapCheck) => void>();
  private readonly readyListeners = new Set<(signal: ReadySignal) => void>();
  /** Future-stamped signals already logged (dataset and source), so each is said once. */
  private readonly aheadLogged = new Set<string>();

  constructor(
    private readonly athena: AthenaService,
    private readonly queries: QueriesService,
    datasets: readonly Dataset[],
    private readonly clock: Clock,
    private readonly logger: Logger,
    /** Check history, ready signals and series starts (kept across restarts by the file store). */
    private readonly store: CheckStore,
  ) {
    this.byName = new Map(datasets.map((d) => [d.name, d]));
  }

  datasets(): Dataset[] {
    return [...this.byName.values()];
  }

  dataset(name: string): Dataset | undefined {
    return this.byName.get(name);
  }

  require(name: string): Dataset {
    const dataset = this.byName.get(name);
    if (!dataset) {
      const known = [...this.byName.keys()];
      throw new CodedError(ErrorCode.NOT_FOUND, `dataset: no dataset '${name}'; configured: ${known.length ? known.join(', ') : 'none'}`, {
        argument: 'dataset',
      });
    }
    return dataset;
  }

  /** Past checks of a dataset (failed ones included), newest first. */
  async checks(name: string, first = 20): Promise<GapCheck[]> {
    this.require(name);
    if (!Number.isInteger(first) || first < 1 || first > HISTORY_PER_DATASET) {
      throw badInput('first', `expected 1 to ${HISTORY_PER_DATASET}, got ${first}`);
    }
    return this.store.checks(name, first);
  }

  /** The newest check of a dataset, failed or not. */
  async lastCheck(name: string): Promise<GapCheck | undefined> {
    return (await this.store.checks(name, 1))[0];
  }

  /**
   * The newest ready signal: the last time clients could be told the data is good, and what said so. One
   * stamped ahead of now (kept before such signals were refused, or written by another clock) is not it:
   * it is logged once and read as none, so it hides nothing genuine for long and outranks nothing — the
   * next genuine signal is kept as the newest (ReadySignals.record compares against this).
   */
  async lastReadySignal(name: string): Promise<ReadySignal | undefined> {
    const last = await this.store.lastReadySignal(name);
    if (last === undefined || !stampedAhead(last, this.clock.now())) return last;
    const key = `${name}\n${JSON.stringify(last.source)}`;
    if (!this.aheadLogged.has(key)) {
      if (this.aheadLogged.size >= 1_000) this.aheadLogged.clear();
      this.aheadLogged.add(key);
      this.logger.warn({ dataset: name, at: last.at.toISOString(), source: last.source }, 'ready signal stamped ahead of now ignored: a genuine signal replaces it');
    }
    return undefined;
  }

  /**
   * Declares a window of a dataset complete. A check does this itself when it is OK over every group; a
   * pipeline's Initiate step calls it with its run id. A `checkId` source must name a kept check that could
   * be a ready signal on its own (OK, every group).
   */
  async recordReadySignal(input: ReadySignalInput): Promise<ReadySignal> {
    const dataset = this.require(input.dataset);
    // A window that may be declared ready is one a check may judge.
    checkWindow(dataset, input.from, input.to, checkUse(dataset, false));
    let source: ReadySignal['source'];
    if ('checkId' in input.source) {
      const check = await this.store.check(dataset.name, input.source.checkId);
      if (!check) throw badInput('checkId', `no kept check '${input.source.checkId}' of dataset ${dataset.name}`);
      if (check.status !== 'OK' || !check.allGroups) {
        throw badInput('checkId', `check ${check.id} is ${check.status}${check.allGroups ? '' : ' over some groups only'}: only an OK check of every group is a ready signal`);
      }
      source = { kind: 'CHECK', checkId: check.id };
    } else {
      if (typeof input.source.runId !== 'string' || input.source.runId === '') throw badInput('runId', 'expected a non-empty run id');
      source = { kind: 'PIPELINE', runId: input.source.runId };
    }
    const window = alignWindow(dataset, input.from, input.to);
    const signal: ReadySignal = {
      dataset: dataset.name,
      from: new Date(window.from).toISOString(),
      to: new Date(window.to).toISOString(),
      at: new Date(input.at ?? this.clock.now()),
      source,
    };
    if (stampedAhead(signal, this.clock.now())) throw badInput('at', `${signal.at.toISOString()} is ahead of now: a ready signal is stamped when it is declared`);
    await this.keepReadySignal(signal);
    this.logger.info({ dataset: dataset.name, from: signal.from, to: signal.to, source }, 'ready signal recorded');
    return signal;
  }

  /** Is a check of this dataset running now (any window)? The scheduler never starts a second one. */
  busy(name: string): boolean {
    for (const key of this.inflight.keys()) if (key.startsWith(`${name}\u0000`)) return true;
    return false;
  }

  /**
   * Checks a window. The same check asked for while one is running (same dataset, window and groups) shares
   * that run instead of starting another Athena query.
   */
  check(name: string, request: CheckRequest): Promise<GapCheck> {
    const dataset = this.require(name);
    checkWindow(dataset, request.from, request.to, checkUse(dataset, request.series === true));
    const groups = request.groups && request.groups.length > 0 ? [...new Set(request.groups)].sort() : undefined;
    const key = [name, request.from, request.to, groups?.join(',') ?? '*', request.series ? 'series' : ''].join('\u0000');
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.run(dataset, { ...request, groups })
        .catch((err: unknown) => this.recordFailure(dataset, { ...request, groups }, err))
        .finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }

  /**
   * Calls `listener` with every check kept in the history from now on (scheduled or on demand, failed ones
   * included, without series): the `checkCompleted` subscription's source.
   */
  onCheck(listener: (check: GapCheck) => void): () => void {
    this.checkListeners.add(listener);
    return () => this.checkListeners.delete(listener);
  }

  /** Calls `listener` with every ready signal recorded from now on: the `datasetReady` subscription's source. */
  onReadySignal(listener: (signal: ReadySignal) => void): () => void {
    this.readyListeners.add(listener);
    return () => this.readyListeners.delete(listener);
  }

  private async keepCheck(check: GapCheck): Promise<void> {
    await this.store.addCheck(check);
    this.notify(this.checkListeners, check);
  }

  private async keepReadySignal(signal: ReadySignal): Promise<void> {
    await this.store.addReadySignal(signal);
    this.notify(this.readyListeners, signal);
  }

  private notify<T>(listeners: ReadonlySet<(value: T) => void>, value: T): void {
    for (const listener of listeners) {
      try {
        listener(value);
      } catch (err) {
        // A listener's failure is its own; the check or signal is kept either way.
        this.logger.error({ err }, 'gaps listener failed');
      }
    }
  }

  /** Keeps a failed check in the history with its error (so lastCheck shows it), then rethrows. */
  private async recordFailure(dataset: Dataset, request: CheckRequest, err: unknown): Promise<never> {
    const now = this.clock.now();
    const window = alignWindow(dataset, request.from, request.to);
    // A client sees a coded error as is; anything else is masked, so the record carries no more than that.
    const error: CheckFailure =
      err instanceof CodedError ? { code: err.code, message: err.message } : { code: ErrorCode.INTERNAL_SERVER_ERROR, message: 'internal error (details in the logs)' };
    const check: GapCheck = {
      id: randomUUID(),
      dataset: dataset.name,
      bucket: dataset.bucket,
      timezone: dataset.timezone,
      from: new Date(window.from).toISOString(),
      to: new Date(window.to).toISOString(),
      status: 'FAILED',
      error,
      noData: false,
      checkedBuckets: 0,
      pendingBuckets: 0,
      ranges: [],
      nullTimestampRows: 0,
      nullGroupRows: 0,
      outsideCalendarRows: 0,
      unlistedGroupRows: 0,
      series: [],
      groups: [],
      checkedAt: new Date(now),
      trigger: request.trigger ?? 'API',
      allGroups: this.coversAllGroups(dataset, request.groups),
      queryExecutionId: err instanceof CodedError && typeof err.extensions.queryExecutionId === 'string' ? err.extensions.queryExecutionId : null,
      dataScannedBytes: null,
      durationMs: 0,
    };
    await this.keepCheck(check);
    // Info, like a completed check: the error itself reaches the caller, who reports it (or the edge logs it).
    this.logger.info({ dataset: dataset.name, checkId: check.id, trigger: check.trigger, error }, 'gap check failed');
    throw err;
  }

  /** Whether a check with this `groups` restriction judges every group of the dataset. */
  private coversAllGroups(dataset: Dataset, groups: readonly string[] | undefined): boolean {
    if (groups === undefined) return true;
    // Without configured groups the restriction may leave out groups nobody named.
    return dataset.groups !== undefined && dataset.groups.every((g) => groups.includes(g));
  }

  private async run(dataset: Dataset, request: CheckRequest): Promise<GapCheck> {
    const started = this.clock.now();
    if (dataset.shape === 'wide') {
      // The seed's shape: a named query with one count column per group, over whatever window it covers.
      const execution = await this.queries.runNamed(dataset.query!);
      const { rows, columns } = await this.readAll(execution.id);
      const scan: Scan = { queryExecutionId: execution.id, dataScannedBytes: execution.dataScannedBytes, countsNullTimestamps: true };
      return this.record(dataset, request, started, scan, (now) => this.engine.compute(this.engineInput(dataset, request, toCountRows(dataset, rows, columns), undefined, now)));
    }
    const window = alignWindow(dataset, request.from, request.to);
    if (request.series !== true) {
      // Judged in Athena (islands.ts): what comes back grows with the gaps, not the buckets.
      const query = islandsQuery(dataset, this.engine.gridFor(dataset, window.from, window.to));
      if (Buffer.byteLength(query.sql) > MAX_QUERY_BYTES) {
          throw limitExceeded('queryBytes', MAX_QUERY_BYTES, `the check's SQL for this window is longer than Athena takes (many holidays or DST changes in it); narrow the window`);
      }
      const [execution, lookup] = await Promise.all([
        this.athena.run({ sql: query.sql, parameters: query.parameters, database: dataset.database }),
        this.seriesStarts(dataset, window.from),
      ]);
      const facts = toIslandFacts(dataset, (await this.readAll(execution.id)).rows);
      const scan: Scan = { queryExecutionId: execution.id, dataScannedBytes: sumBytes(execution.dataScannedBytes, lookup?.dataScannedBytes ?? 0), countsNullTimestamps: query.countsNullTimestamps };
      return this.record(dataset, request, started, scan, (now) =>
        judgeIslands(this.engine, { dataset, from: request.from, to: request.to, now, facts, ...(request.groups ? { groups: request.groups } : {}), ...(lookup ? { seriesStarts: lookup.starts } : {}) }),
      );
    }
    // With series: one count row per (bucket, group), judged here by the engine, which makes the series.
    const query = completenessQuery(dataset, window);
    const [execution, lookup] = await Promise.all([
      this.athena.run({ sql: query.sql, parameters: query.parameters, database: dataset.database }),
      this.seriesStarts(dataset, window.from),
    ]);
    const { rows } = await this.readAll(execution.id);
    const scan: Scan = {
      queryExecutionId: execution.id,
      dataScannedBytes: sumBytes(execution.dataScannedBytes, lookup?.dataScannedBytes ?? 0),
      countsNullTimestamps: query.countsNullTimestamps,
    };
    return this.record(dataset, request, started, scan, (now) => this.engine.compute(this.engineInput(dataset, request, toCountRows(dataset, rows), lookup?.starts, now)));
  }

  private engineInput(dataset: Dataset, request: CheckRequest, rows: CountRow[], seriesStarts: ReadonlyMap<string, number> | undefined, now: number): ComputeGapsInput {
    return {
      dataset,
      from: request.from,
      to: request.to,
      now,
      rows,
      ...(request.groups ? { groups: request.groups } : {}),
      ...(seriesStarts ? { seriesStarts } : {}),
      series: request.series === true,
    };
  }

  /** Judges the check at this moment (`judge` gets now) and keeps it; an OK check of every group is a ready signal. */
  private async record(dataset: Dataset, request: CheckRequest, started: number, scan: Scan, judge: (now: number) => GapReport): Promise<GapCheck> {
    const now = this.clock.now();
    const report = judge(now);
    const check: GapCheck = {
      ...report,
      id: randomUUID(),
      checkedAt: new Date(now),
      trigger: request.trigger ?? 'API',
      nullTimestampRows: scan.countsNullTimestamps ? report.nullTimestampRows : null,
      allGroups: this.coversAllGroups(dataset, request.groups),
      queryExecutionId: scan.queryExecutionId,
      dataScannedBytes: scan.dataScannedBytes,
      durationMs: now - started,
    };
    await this.keepCheck({ ...check, series: [] });
    // Only a check that judged every group and found every settled bucket complete says the data is ready.
    if (check.status === 'OK' && check.allGroups) {
      await this.keepReadySignal({ dataset: dataset.name, from: check.from, to: check.to, at: check.checkedAt, source: { kind: 'CHECK', checkId: check.id } });
    }
    this.logger.info(
      {
        dataset: dataset.name,
        status: check.status,
        ranges: check.ranges.length,
        queryExecutionId: scan.queryExecutionId,
        dataScannedBytes: scan.dataScannedBytes,
        trigger: check.trigger,
        durationMs: check.durationMs,
      },
      'gap check done',
    );
    return check;
  }

  /** Every row of a result as objects keyed by column name, pages fetched ahead of decoding. */
  private async readAll(executionId: string): Promise<{ rows: DecodedRow[]; columns: string[] }> {
    const rows: DecodedRow[] = [];
    let columns: string[] = [];
    for await (const page of this.athena.allPages(executionId)) {
      columns = page.columns.map((c) => c.key);
      for (const values of page.values) {
        const row: Record<string, TypedValue> = {};
        for (const c of page.columns) row[c.key] = values[c.index]!;
        rows.push(row);
      }
    }
    return { rows, columns };
  }

  /**
   * Where each group's series began, without scanning the whole table: a lookup bounded by the dataset's
   * seriesLookback before the window, remembered per dataset so later windows skip it. startsAt in the
   * config makes the lookup unnecessary.
   */
  private async seriesStarts(dataset: Dataset, from: number): Promise<{ starts: ReadonlyMap<string, number>; dataScannedBytes: number | null } | undefined> {
    if (dataset.startsAtMs !== undefined && (dataset.startsAtMs.all !== undefined || dataset.groups?.every((g) => dataset.startsAtMs!.byGroup.has(g)))) {
      return undefined;
    }
    const known = await this.store.seriesStarts(dataset.name);
    // Every configured group already known to have begun before this window: nothing to look up.
    if (known && dataset.groups && from >= known.coversFrom && dataset.groups.every((g) => (known.starts.get(g) ?? Infinity) <= from)) {
      return { starts: known.starts, dataScannedBytes: 0 };
    }
    const query = seriesStartQuery(dataset, from);
    const execution = await this.athena.run({ sql: query.sql, parameters: query.parameters, database: dataset.database });
    const { rows } = await this.readAll(execution.id);
    const found = toSeriesStarts(rows, dataset.timezone);
    const starts = new Map(known?.starts);
    for (const [group, at] of found) starts.set(group, Math.min(at, starts.get(group) ?? Infinity));
    const memo: SeriesStartMemo = { starts, coversFrom: Math.min(known?.coversFrom ?? from, from) };
    await this.store.setSeriesStarts(dataset.name, memo);
    // The engine reads "absent from the map" as "began at its first row in this window", so pass only what
    // this lookup (or an earlier one) found before this window.
    return { starts: new Map([...memo.starts].filter(([, at]) => at < from)), dataScannedBytes: execution.dataScannedBytes };
  }
}
