import { randomUUID } from 'node:crypto';
import { badInput, CodedError, ErrorCode } from '../../errors';
import type { Logger } from '../../logger';
import type { AthenaService } from '../athena/athena.service';
import type { Clock } from '../clock/clock';
import type { QueriesService } from '../athena/queries.service';
import type { TypedValue } from '../athena/decode';
import { alignWindow, computeGaps, windowProblem, type GapReport } from './compute';
import type { Dataset } from './dataset';
import { completenessQuery, seriesStartQuery } from './query';
import { toCountRows, toSeriesStarts, type DecodedRow } from './rows';

export type CheckTrigger = 'API' | 'SCHEDULE' | 'CLI';

/** One completed check: the report plus where it came from. */
export interface GapCheck extends GapReport {
  id: string;
  checkedAt: Date;
  trigger: CheckTrigger;
  /** The Athena execution whose rows the report was computed from. */
  queryExecutionId: string;
  durationMs: number;
}

export interface CheckRequest {
  from: number;
  to: number;
  groups?: readonly string[];
  /** Include per-bucket series for plotting (costly for wide windows). */
  series?: boolean;
  trigger?: CheckTrigger;
}

/** Checks kept per dataset, newest first; series are not kept (they are rebuilt by asking again). */
export const HISTORY_PER_DATASET = 100;

interface Memo {
  /** Group → earliest timestamp seen by a series-start lookup; a series' start never moves later. */
  starts: Map<string, number>;
  /** The window start the memo is known to cover: lookups for windows at or after it are not needed. */
  coversFrom: number;
}

/**
 * Runs gap checks: the completeness query through Athena, its rows decoded generically, the pure engine on
 * top. Knows nothing of GraphQL; expected failures are coded errors for the edge to pass on.
 */
export class GapsService {
  private readonly byName: ReadonlyMap<string, Dataset>;
  private readonly history = new Map<string, GapCheck[]>();
  private readonly inflight = new Map<string, Promise<GapCheck>>();
  private readonly memo = new Map<string, Memo>();

  constructor(
    private readonly athena: AthenaService,
    private readonly queries: QueriesService,
    datasets: readonly Dataset[],
    private readonly clock: Clock,
    private readonly logger: Logger,
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

  /** Past checks of a dataset, newest first. */
  checks(name: string, first = 20): GapCheck[] {
    this.require(name);
    if (!Number.isInteger(first) || first < 1 || first > HISTORY_PER_DATASET) {
      throw badInput('first', `expected 1 to ${HISTORY_PER_DATASET}, got ${first}`);
    }
    return (this.history.get(name) ?? []).slice(0, first);
  }

  lastCheck(name: string): GapCheck | undefined {
    return this.history.get(name)?.[0];
  }

  /** The newest check that found the data complete: the last time clients could be told it is good. */
  lastReadySignal(name: string): GapCheck | undefined {
    return this.history.get(name)?.find((c) => c.status === 'OK');
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
    const problem = windowProblem(dataset, request.from, request.to);
    if (problem) throw badInput(request.from >= request.to ? 'to' : 'from', problem);
    const groups = request.groups && request.groups.length > 0 ? [...new Set(request.groups)].sort() : undefined;
    const key = [name, request.from, request.to, groups?.join(',') ?? '*', request.series ? 'series' : ''].join('\u0000');
    let pending = this.inflight.get(key);
    if (!pending) {
      pending = this.run(dataset, { ...request, groups }).finally(() => this.inflight.delete(key));
      this.inflight.set(key, pending);
    }
    return pending;
  }

  private async run(dataset: Dataset, request: CheckRequest): Promise<GapCheck> {
    const started = this.clock.now();
    if (dataset.shape === 'wide') {
      // The seed's shape: a named query with one count column per group, over whatever window it covers.
      const execution = await this.queries.runNamed(dataset.query!);
      const { rows, columns } = await this.readAll(execution.id);
      return this.record(dataset, request, started, execution.id, rows, columns, undefined);
    }
    const window = alignWindow(dataset, request.from, request.to);
    const query = completenessQuery(dataset, window);
    const [execution, seriesStarts] = await Promise.all([
      this.athena.run({ sql: query.sql, parameters: query.parameters, database: dataset.database }),
      this.seriesStarts(dataset, window.from),
    ]);
    const { rows } = await this.readAll(execution.id);
    return this.record(dataset, request, started, execution.id, rows, undefined, seriesStarts);
  }

  private record(
    dataset: Dataset,
    request: CheckRequest,
    started: number,
    queryExecutionId: string,
    rows: DecodedRow[],
    columns: string[] | undefined,
    seriesStarts: ReadonlyMap<string, number> | undefined,
  ): GapCheck {
    const now = this.clock.now();
    const report = computeGaps({
      dataset,
      from: request.from,
      to: request.to,
      now,
      rows: toCountRows(dataset, rows, columns),
      ...(request.groups ? { groups: request.groups } : {}),
      ...(seriesStarts ? { seriesStarts } : {}),
      series: request.series === true,
    });
    const check: GapCheck = {
      ...report,
      id: randomUUID(),
      checkedAt: new Date(now),
      trigger: request.trigger ?? 'API',
      queryExecutionId,
      durationMs: now - started,
    };
    const kept = this.history.get(dataset.name) ?? [];
    kept.unshift({ ...check, series: [] });
    kept.length = Math.min(kept.length, HISTORY_PER_DATASET);
    this.history.set(dataset.name, kept);
    this.logger.info(
      { dataset: dataset.name, status: check.status, ranges: check.ranges.length, queryExecutionId, trigger: check.trigger, durationMs: check.durationMs },
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
  private async seriesStarts(dataset: Dataset, from: number): Promise<ReadonlyMap<string, number> | undefined> {
    if (dataset.startsAtMs !== undefined && (dataset.startsAtMs.all !== undefined || dataset.groups?.every((g) => dataset.startsAtMs!.byGroup[g] !== undefined))) {
      return undefined;
    }
    const known = this.memo.get(dataset.name);
    // Every configured group already known to have begun before this window: nothing to look up.
    if (known && dataset.groups && from >= known.coversFrom && dataset.groups.every((g) => (known.starts.get(g) ?? Infinity) <= from)) {
      return known.starts;
    }
    const query = seriesStartQuery(dataset, from);
    const execution = await this.athena.run({ sql: query.sql, parameters: query.parameters, database: dataset.database });
    const { rows } = await this.readAll(execution.id);
    const found = toSeriesStarts(rows);
    const memo = known ?? { starts: new Map<string, number>(), coversFrom: from };
    for (const [group, at] of found) memo.starts.set(group, Math.min(at, memo.starts.get(group) ?? Infinity));
    memo.coversFrom = Math.min(memo.coversFrom, from);
    this.memo.set(dataset.name, memo);
    // The engine reads "absent from the map" as "began at its first row in this window", so pass only what
    // this lookup (or an earlier one) found before this window.
    return new Map([...memo.starts].filter(([, at]) => at < from));
  }
}
