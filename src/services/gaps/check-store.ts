/**
 * Where gap checks, ready signals and remembered series starts are kept, so a restart does not forget
 * them. The service talks only to the `CheckStore` interface: every call is async and keyed by dataset,
 * so a shared store (Redis, a database) for several instances can implement it without the service
 * changing. `FileCheckStore` keeps one JSON file per dataset under GAPWATCH_DATA_DIR; `MemoryCheckStore`
 * is the same without the files (tests, one-off runs).
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../../logger';
import type { GapCheck } from './gaps.service';

/** Checks kept per dataset, newest first; series are not kept (they are rebuilt by asking again). */
export const HISTORY_PER_DATASET = 100;
/** Ready signals kept per dataset, newest first: the newest is what clients read, the rest is an audit trail. */
export const READY_SIGNALS_PER_DATASET = 100;
/**
 * Largest file per dataset. A check keeps its ranges, and a year of a thousand flaky series can be tens of
 * thousands of them, so a count alone does not bound the bytes: the oldest checks go first (the newest stays).
 */
export const MAX_FILE_BYTES = 32 * 1024 * 1024;

/** What said the data of a window is ready: a complete check, or a pipeline run's Initiate step. */
export type ReadySignalSource = { readonly kind: 'CHECK'; readonly checkId: string } | { readonly kind: 'PIPELINE'; readonly runId: string };

export interface ReadySignal {
  readonly dataset: string;
  /** The window declared complete (ISO instants, aligned to buckets). */
  readonly from: string;
  readonly to: string;
  readonly at: Date;
  readonly source: ReadySignalSource;
}

/**
 * How far a signal's `at` may be ahead of this service's clock: a pipeline's Initiate stamps it with its own
 * clock (on AWS a Lambda's), which may run a little ahead. Further ahead, a signal would outrank every
 * genuine one until then, so it is never taken (pipeline/ready-signals.ts) nor read as the newest
 * (GapsService.lastReadySignal), whichever store keeps it.
 */
export const MAX_AT_AHEAD_MS = 60_000;

/** Whether `signal` is stamped further ahead of `now` than a clock may drift (MAX_AT_AHEAD_MS). */
export function stampedAhead(signal: { readonly at: Date }, now: number): boolean {
  return signal.at.getTime() > now + MAX_AT_AHEAD_MS;
}

/** Series starts found by lookups: group → earliest timestamp, and the window start the lookups covered. */
export interface SeriesStartMemo {
  readonly starts: ReadonlyMap<string, number>;
  readonly coversFrom: number;
}

export interface CheckStore {
  /** Adds a check as the newest of its dataset, dropping the oldest beyond HISTORY_PER_DATASET. */
  addCheck(check: GapCheck): Promise<void>;
  /** The newest `first` checks of a dataset, newest first. */
  checks(dataset: string, first: number): Promise<GapCheck[]>;
  check(dataset: string, id: string): Promise<GapCheck | undefined>;
  addReadySignal(signal: ReadySignal): Promise<void>;
  lastReadySignal(dataset: string): Promise<ReadySignal | undefined>;
  seriesStarts(dataset: string): Promise<SeriesStartMemo | undefined>;
  setSeriesStarts(dataset: string, memo: SeriesStartMemo): Promise<void>;
  /** Waits for pending writes. */
  flush(): Promise<void>;
}

interface DatasetState {
  checks: GapCheck[];
  readySignals: ReadySignal[];
  seriesStarts?: SeriesStartMemo;
}

/** Everything in memory: lost on restart. The file store builds on it. */
export class MemoryCheckStore implements CheckStore {
  private readonly states = new Map<string, DatasetState>();

  protected state(dataset: string): DatasetState {
    let state = this.states.get(dataset);
    if (state === undefined) {
      state = this.load(dataset) ?? { checks: [], readySignals: [] };
      this.states.set(dataset, state);
    }
    return state;
  }

  /** A dataset's state as last saved, read the first time the dataset is used; none in memory. */
  protected load(_dataset: string): DatasetState | undefined {
    return undefined;
  }

  /** Called after every change of a dataset's state. */
  protected changed(_dataset: string, _state: DatasetState): Promise<void> {
    return Promise.resolve();
  }

  async addCheck(check: GapCheck): Promise<void> {
    const state = this.state(check.dataset);
    state.checks.unshift(check);
    if (state.checks.length > HISTORY_PER_DATASET) state.checks.length = HISTORY_PER_DATASET;
    await this.changed(check.dataset, state);
  }

  async checks(dataset: string, first: number): Promise<GapCheck[]> {
    return this.state(dataset).checks.slice(0, first);
  }

  async check(dataset: string, id: string): Promise<GapCheck | undefined> {
    return this.state(dataset).checks.find((c) => c.id === id);
  }

  async addReadySignal(signal: ReadySignal): Promise<void> {
    const state = this.state(signal.dataset);
    state.readySignals.unshift(signal);
    if (state.readySignals.length > READY_SIGNALS_PER_DATASET) state.readySignals.length = READY_SIGNALS_PER_DATASET;
    await this.changed(signal.dataset, state);
  }

  async lastReadySignal(dataset: string): Promise<ReadySignal | undefined> {
    return this.state(dataset).readySignals[0];
  }

  async seriesStarts(dataset: string): Promise<SeriesStartMemo | undefined> {
    return this.state(dataset).seriesStarts;
  }

  async setSeriesStarts(dataset: string, memo: SeriesStartMemo): Promise<void> {
    const state = this.state(dataset);
    state.seriesStarts = { starts: new Map(memo.starts), coversFrom: memo.coversFrom };
    await this.changed(dataset, state);
  }

  async flush(): Promise<void> {}
}

/** On disk: dates as ISO strings, maps as entry lists. */
interface StoredState {
  dataset: string;
  checks: (Omit<GapCheck, 'checkedAt'> & { checkedAt: string })[];
  readySignals: (Omit<ReadySignal, 'at'> & { at: string })[];
  seriesStarts?: { starts: [string, number][]; coversFrom: number };
}

/**
 * One JSON file per dataset in `dir`, rewritten whole (temp file + rename, so a crash leaves the old or the
 * new file, never half of one) after each change. Bounded: at most HISTORY_PER_DATASET checks and
 * READY_SIGNALS_PER_DATASET signals per dataset. Files are named by a hash of the dataset name, which may
 * hold any character; the name is kept inside.
 */
export class FileCheckStore extends MemoryCheckStore {
  /** Per dataset, the write in progress; the next write waits for it so files are written in order. */
  private readonly writes = new Map<string, Promise<void>>();

  constructor(
    private readonly dir: string,
    private readonly logger: Logger,
    private readonly maxBytes = MAX_FILE_BYTES,
  ) {
    super();
    mkdirSync(dir, { recursive: true });
  }

  private file(dataset: string): string {
    return path.join(this.dir, `${createHash('sha256').update(dataset).digest('hex').slice(0, 32)}.json`);
  }

  protected override load(dataset: string): DatasetState | undefined {
    const file = this.file(dataset);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.logger.warn({ err, file, dataset }, 'check history unreadable; starting empty');
      return undefined;
    }
    try {
      const stored = JSON.parse(text) as StoredState;
      if (stored.dataset !== dataset) throw new Error(`file holds dataset ${JSON.stringify(stored.dataset)}`);
      return {
        checks: stored.checks.map((c) => ({ ...c, checkedAt: new Date(c.checkedAt) })).slice(0, HISTORY_PER_DATASET),
        readySignals: stored.readySignals.map((s) => ({ ...s, at: new Date(s.at) })).slice(0, READY_SIGNALS_PER_DATASET),
        ...(stored.seriesStarts ? { seriesStarts: { starts: new Map(stored.seriesStarts.starts), coversFrom: stored.seriesStarts.coversFrom } } : {}),
      };
    } catch (err) {
      // A damaged file must not stop the service: history is a record, not configuration.
      this.logger.warn({ err, file, dataset }, 'check history damaged; starting empty');
      return undefined;
    }
  }

  protected override changed(dataset: string, state: DatasetState): Promise<void> {
    const stored: StoredState = {
      dataset,
      checks: [],
      readySignals: state.readySignals.map((s) => ({ ...s, at: s.at.toISOString() })),
      ...(state.seriesStarts ? { seriesStarts: { starts: [...state.seriesStarts.starts], coversFrom: state.seriesStarts.coversFrom } } : {}),
    };
    // Serialized now, so a later change cannot alter what this write saves. Checks are serialized one by
    // one so the oldest that do not fit in maxBytes can be left out (of the file and of memory alike).
    const rest = JSON.stringify(stored);
    const checks: string[] = [];
    let bytes = Buffer.byteLength(rest);
    for (const check of state.checks) {
      const text = JSON.stringify({ ...check, checkedAt: check.checkedAt.toISOString() });
      bytes += Buffer.byteLength(text) + 1;
      if (bytes > this.maxBytes && checks.length > 0) break;
      checks.push(text);
    }
    if (checks.length < state.checks.length) state.checks.length = checks.length;
    // A function, so `$&` in a check's text is not read as a replacement pattern. `"checks":[]` is the key
    // itself: inside a JSON string its quotes would be escaped.
    const text = rest.replace('"checks":[]', () => `"checks":[${checks.join(',')}]`);
    const file = this.file(dataset);
    const previous = this.writes.get(dataset) ?? Promise.resolve();
    const write = previous.then(async () => {
      await writeFile(`${file}.tmp`, text);
      await rename(`${file}.tmp`, file);
    });
    const settled = write.catch((err: unknown) => this.logger.error({ err, file, dataset }, 'check history not saved'));
    this.writes.set(dataset, settled);
    void settled.then(() => {
      if (this.writes.get(dataset) === settled) this.writes.delete(dataset);
    });
    // A write that fails is logged, not thrown: the check it records has still happened.
    return settled;
  }

  override async flush(): Promise<void> {
    await Promise.all(this.writes.values());
  }
}
