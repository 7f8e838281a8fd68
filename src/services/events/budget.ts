/**
 * One budget of calls per second shared by every caller that draws on it: a token bucket. Step Functions
 * refills GetExecutionHistory at 20 calls a second per account (bucket 250); every run watcher of this
 * instance takes from one budget, so however many runs are watched the instance stays under the quota.
 * Waiters are served in order, from one timer.
 */
export class RateBudget {
  private tokens: number;
  private last: number;
  private readonly waiters: { resolve: () => void; reject: (e: unknown) => void; signal?: AbortSignal; onAbort?: () => void }[] = [];
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
    return this.waiters.length;
  }

  /** Resolves when a call may be made; rejects with the signal's reason if it aborts first. */
  take(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    this.refill();
    if (this.waiters.length === 0 && this.tokens >= 1) {
      this.tokens -= 1;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const waiter: (typeof this.waiters)[number] = { resolve, reject, signal };
      if (signal) {
        waiter.onAbort = () => {
          const i = this.waiters.indexOf(waiter);
          if (i >= 0) this.waiters.splice(i, 1);
          reject(signal.reason);
        };
        signal.addEventListener('abort', waiter.onAbort, { once: true });
      }
      this.waiters.push(waiter);
      this.schedule();
    });
  }

  private refill(): void {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
  }

  private schedule(): void {
    if (this.timer || this.waiters.length === 0) return;
    const wait = Math.max(1, Math.ceil(((1 - this.tokens) / this.perSecond) * 1000));
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.refill();
      while (this.waiters.length > 0 && this.tokens >= 1) {
        this.tokens -= 1;
        const w = this.waiters.shift()!;
        if (w.onAbort) w.signal?.removeEventListener('abort', w.onAbort);
        w.resolve();
      }
      this.schedule();
    }, wait);
    this.timer.unref();
  }
}
