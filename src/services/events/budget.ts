/**
 * Who goes first when calls wait for the budget. Within a priority, first come first served, and each
 * watched run has at most one call waiting, so runs of one priority take turns.
 */
export const Priority = {
  /** A subscriber waits for a run's first events (its history is being loaded for it). */
  FIRST_EVENTS: 0,
  /** A run clients are subscribed to (here or on another instance), or that was just seen to move. */
  SUBSCRIBED: 1,
  /** Everything else: runs watched so their ends are announced, adopted runs. */
  BACKGROUND: 2,
} as const;
export type Priority = (typeof Priority)[keyof typeof Priority];

interface Waiter {
  priority: Priority;
  resolve: () => void;
  reject: (e: unknown) => void;
  signal?: AbortSignal;
  onAbort?: () => void;
}

/**
 * One budget of calls per second shared by every caller that draws on it: a token bucket. Step Functions
 * refills GetExecutionHistory at 20 calls a second per account (bucket 250); every run watcher of this
 * instance takes from one budget, so however many runs are watched the instance stays under the quota.
 * Waiters are served by priority, then in order, from one timer; joining, leaving and being served are
 * constant time.
 */
export class RateBudget {
  private tokens: number;
  private last: number;
  /** One FIFO per priority (a Set keeps insertion order and deletes in constant time). */
  private readonly queues: Set<Waiter>[] = [new Set(), new Set(), new Set()];
  /** The waiter holding each signal, so a waiting call can be moved up (`raise`). */
  private readonly bySignal = new WeakMap<AbortSignal, Waiter>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly perSecond: number,
    readonly burst = Math.max(1, Math.ceil(perSecond)),
    private readonly now: () => number = () => performance.now(),
  ) {
    if (!(perSecond > 0)) throw new RangeError(`RateBudget: perSecond must be > 0, got ${perSecond}`);
    this.tokens = this.burst;
    this.last = now();
  }

  /** Calls waiting for a token right now. */
  get waiting(): number {
    return this.queues.reduce((n, q) => n + q.size, 0);
  }

  /** Resolves when a call may be made; rejects with the signal's reason if it aborts first. */
  take(signal?: AbortSignal, priority: Priority = Priority.BACKGROUND): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.refill();
    if (this.waiting === 0 && this.tokens >= 1) {
      this.tokens -= 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = { priority, resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          this.queues[waiter.priority]!.delete(waiter);
          reject(signal.reason);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
        this.bySignal.set(signal, waiter);
      }
      this.queues[priority]!.add(waiter);
      this.schedule();
    });
  }

  /** The call waiting with `signal`, if any, moves up to `priority` (behind those already there). */
  raise(signal: AbortSignal, priority: Priority): void {
    const w = this.bySignal.get(signal);
    if (!w || w.priority <= priority || !this.queues[w.priority]!.delete(w)) return;
    w.priority = priority;
    this.queues[priority]!.add(w);
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
  }

  private next(): Waiter | undefined {
    for (const q of this.queues) {
      for (const w of q) {
        q.delete(w);
        return w;
      }
    }
    return undefined;
  }

  private schedule(): void {
    if (this.timer || this.waiting === 0) return;
    const wait = Math.max(1, Math.ceil(((1 - this.tokens) / this.perSecond) * 1000));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.refill();
      while (this.tokens >= 1) {
        const w = this.next();
        if (!w) break;
        this.tokens -= 1;
        if (w.onAbort) w.signal?.removeEventListener('abort', w.onAbort);
        if (w.signal) this.bySignal.delete(w.signal);
        w.resolve();
      }
      this.schedule();
    }, wait);
    this.timer.unref();
  }
}
