import type { Logger } from '../../logger';
import type { Clock } from '../clock/clock';
import { alignWindow } from './compute';
import type { Dataset } from './dataset';
import type { GapCheck, GapsService } from './gaps.service';

/**
 * The trailing window a scheduled check judges at `now`: it ends at the last bucket boundary before
 * now − settle, so the bucket still filling is never judged, and spans the dataset's checkWindow.
 */
export function trailingWindow(dataset: Dataset, now: number): { from: number; to: number } {
  const settled = now - dataset.settleMs;
  // alignWindow floors `from`; aligning [settled, settled + 1) gives the boundary at or before `settled`.
  const to = alignWindow(dataset, settled, settled + 1).from;
  return { from: to - dataset.checkWindowMs, to };
}

/**
 * Checks datasets that have a `schedule` on that cadence. One check per dataset at a time: the next run is
 * timed from the end of the previous one, and a run that finds a check of the dataset still going skips.
 */
export class GapScheduler {
  private readonly timers = new Map<string, NodeJS.Timeout>();
  /** When each dataset's next check is due (epoch ms); a check running now keeps its time until the next is planned. */
  private readonly due = new Map<string, number>();
  private readonly running = new Set<Promise<unknown>>();
  private stopped = false;

  constructor(
    private readonly gaps: GapsService,
    private readonly clock: Clock,
    private readonly logger: Logger,
  ) {}

  start(): void {
    for (const dataset of this.gaps.datasets()) {
      if (dataset.scheduleMs !== undefined) this.plan(dataset, 0);
    }
  }

  /** Runs one scheduled check of the dataset now, unless one is already running (then resolves undefined). */
  async runOnce(name: string): Promise<GapCheck | undefined> {
    const dataset = this.gaps.require(name);
    if (this.gaps.busy(name)) {
      this.logger.warn({ dataset: name }, 'scheduled check skipped: the previous check is still running');
      return undefined;
    }
    return this.gaps.check(name, { ...trailingWindow(dataset, this.clock.now()), trigger: 'SCHEDULE' });
  }

  /** When the dataset's next scheduled check is due (epoch ms); undefined when none is planned. */
  nextCheckAt(name: string): number | undefined {
    return this.due.get(name);
  }

  /** No new runs; waits for a running one to finish, so shutdown does not pull Athena from under it. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.due.clear();
    await Promise.allSettled(this.running);
  }

  private plan(dataset: Dataset, delayMs: number): void {
    if (this.stopped) return;
    const timer = setTimeout(async () => {
      const started = this.clock.now();
      const run = this.runOnce(dataset.name).catch((err: unknown) => {
        this.logger.error({ err, dataset: dataset.name }, 'scheduled gap check failed');
      });
      this.running.add(run);
      await run;
      this.running.delete(run);
      this.plan(dataset, Math.max(0, dataset.scheduleMs! - (this.clock.now() - started)));
    }, delayMs);
    // A schedule alone must not keep the process alive; the HTTP server does that.
    timer.unref();
    this.timers.set(dataset.name, timer);
    this.due.set(dataset.name, this.clock.now() + delayMs);
  }
}
