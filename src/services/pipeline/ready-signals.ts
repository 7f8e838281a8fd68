import type { Logger } from '../../logger';
import type { GapsService } from '../gaps/gaps.service';
import type { ReadySignal } from './types';

/**
 * Initiate's output is the dataset's ready signal (on AWS it runs in Lambda and cannot reach this process),
 * so whoever sees a run succeed hands the signal to the gaps service through here, once: not again when the
 * run is read again, nor when the gaps service already has this signal or a newer one (another instance,
 * a restart).
 */
export class ReadySignals {
  /** Runs whose ready signal this instance has handled (bounded; past it, the gaps service is asked). */
  private readonly recorded = new Set<string>();

  constructor(
    private readonly gaps: GapsService,
    private readonly logger: Logger,
  ) {}

  async record(ready: ReadySignal): Promise<void> {
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
}
