import type { HistoryEvent } from '@aws-sdk/client-sfn';
import type { Logger } from '../../logger';
import type { Claims } from '../events/claims';
import { STATUS_EVENTS } from './history';
import type { PipelineRun, RunStatus } from './run';

/**
 * How long an announcement's claim stands. A status older than this is not announced at all: whoever
 * first sees a run that ended before then (a subscriber to an old run) has nothing to tell `runUpdated`.
 */
export const ANNOUNCED_FOR_MS = 24 * 60 * 60 * 1000;
/** Fallback announcements waiting at most (one per run and status seen from the bus). */
const MAX_FALLBACKS = 10_000;
/** Claims made while the claims store did not answer, made again once it does. */
const MAX_PENDING_CLAIMS = 1_000;
/** How often claims still to be made are tried again. */
const RETRY_CLAIMS_MS = 5_000;

const STATUS_OF: Readonly<Record<string, RunStatus>> = {
  ExecutionStarted: 'RUNNING',
  ExecutionSucceeded: 'SUCCEEDED',
  ExecutionFailed: 'FAILED',
  ExecutionAborted: 'ABORTED',
  ExecutionTimedOut: 'TIMED_OUT',
};

/** The key a run's status is announced under, once across the fleet. */
export function announcementKey(runId: string, status: RunStatus): string {
  return `run:${runId}:${status}`;
}

/**
 * Each (run, status) announced once across the fleet and across restarts: whoever sees a status event
 * first (the run's poller, at once; any other instance watching the run, a lease period later, in case the
 * poller died before it could) checks the claim, reads the run, claims the announcement, and only the
 * instance whose claim stands announces it (`runUpdated`; for a success, its ready signal is recorded too). A run
 * read again (another subscriber, a restart's resume, a lease taken over) finds the claim and says nothing.
 *
 * While the claims store does not answer (Redis down), an instance announces what its poller sees to its
 * own subscribers (the bus delivers each key once per instance) and makes the claim once it answers.
 */
export class RunAnnouncer {
  private readonly fallbacks = new Map<string, NodeJS.Timeout>();
  private readonly pending = new Set<string>();
  private retry: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly claims: Claims,
    private readonly deps: {
      /** The run as Step Functions describes it now; null when it does not exist. */
      describe(id: string): Promise<PipelineRun | null>;
      /** Tells everyone (runUpdated). */
      announce(run: PipelineRun, key: string): Promise<void> | void;
      logger: Logger;
      /** How long an instance that is not the run's poller waits before announcing in its place. */
      fallbackMs: number;
      now?: () => number;
    },
  ) {}

  /** New events of a watched run (RunWatcher's EventsHook). */
  seen(runId: string, events: readonly HistoryEvent[], polled: boolean): void {
    let last: HistoryEvent | undefined;
    for (const e of events) if (STATUS_EVENTS.has(e.type ?? '')) last = e;
    if (!last || this.closed) return;
    const at = last.timestamp instanceof Date ? last.timestamp.getTime() : Date.parse(String(last.timestamp));
    if (!(at > (this.deps.now ?? Date.now)() - ANNOUNCED_FOR_MS)) return;
    const status = STATUS_OF[last.type!]!;
    if (polled) return void this.announce(runId, status);
    const key = announcementKey(runId, status);
    if (this.fallbacks.has(key) || this.fallbacks.size >= MAX_FALLBACKS) return;
    const timer = setTimeout(() => {
      this.fallbacks.delete(key);
      void this.announce(runId, status);
    }, this.deps.fallbackMs);
    timer.unref();
    this.fallbacks.set(key, timer);
  }

  close(): void {
    this.closed = true;
    for (const timer of this.fallbacks.values()) clearTimeout(timer);
    this.fallbacks.clear();
    clearTimeout(this.retry);
  }

  private async announce(runId: string, status: RunStatus): Promise<void> {
    const key = announcementKey(runId, status);
    let answering = true;
    try {
      if (await this.claims.claimed(key)) return;
    } catch {
      answering = false;
    }
    let run: PipelineRun | null;
    try {
      run = await this.deps.describe(runId);
    } catch (err) {
      this.deps.logger.warn({ err, executionArn: runId }, 'could not read a run whose status changed');
      return;
    }
    // Already past the status the event said (its own end event announces that): nothing to say for this one.
    if (!run || run.status !== status || this.closed) return;
    if (answering) {
      try {
        if (!(await this.claims.claim(key, ANNOUNCED_FOR_MS))) return;
        this.claimPending();
      } catch {
        answering = false;
      }
    }
    if (!answering) {
      this.pending.add(key);
      if (this.pending.size > MAX_PENDING_CLAIMS) this.pending.delete(this.pending.values().next().value!);
      this.retry ??= setTimeout(() => {
        this.retry = undefined;
        this.claimPending();
      }, RETRY_CLAIMS_MS);
      this.retry.unref();
    }
    try {
      await this.deps.announce(run, key);
    } catch (err) {
      this.deps.logger.error({ err, executionArn: runId, status }, 'could not announce a run status');
    }
  }

  /** Claims made without the claims store are made now (those it still refuses wait for the next try). */
  private claimPending(): void {
    if (this.closed) return;
    for (const key of this.pending) {
      this.pending.delete(key);
      this.claims.claim(key, ANNOUNCED_FOR_MS).catch(() => {
        this.pending.add(key);
        this.retry ??= setTimeout(() => {
          this.retry = undefined;
          this.claimPending();
        }, RETRY_CLAIMS_MS);
        this.retry.unref();
      });
    }
  }
}
