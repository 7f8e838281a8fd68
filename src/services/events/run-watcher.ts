import { GetExecutionHistoryCommand, type HistoryEvent, type SFNClient } from '@aws-sdk/client-sfn';
import type { Logger } from '../../logger';
import { Priority, type RateBudget } from './budget';
import type { Leases } from './leases';
import type { Events } from './pubsub';
import { Topic } from './topics';

/** The events that end an execution's history. */
export const TERMINAL_EVENT_TYPES: ReadonlySet<string> = new Set([
  'ExecutionSucceeded',
  'ExecutionFailed',
  'ExecutionAborted',
  'ExecutionTimedOut',
]);

/** Step Functions keeps at most 25,000 events of one execution; so does a watch. */
const MAX_EVENTS = 25_000;
/**
 * Finished runs' histories kept after their watch ends, by estimated size: a finished history never
 * changes, so a later subscriber to the run costs no call at all (least recently used dropped first).
 */
export const KEPT_HISTORY_BYTES = 32 * 1024 * 1024;
const BUS_TOPIC = Topic.RUN_EVENT;
const INTEREST_TOPIC = Topic.RUN_INTEREST;

export interface RunWatcherOptions {
  /** Poll interval while a run moves (new events on the last poll). Default 250 ms. */
  minIntervalMs?: number;
  /** Poll interval a quiet run backs off to. Default 5 s. */
  maxIntervalMs?: number;
  /**
   * Poll interval, moving or quiet, while a client is subscribed to the run's events, on this instance or
   * (through the bus) on another. Default 50 ms: what a subscriber waits for an event is at most this plus
   * one call, and every poll still draws on the shared budget, so several subscribed runs share it rather
   * than exceed it.
   */
  subscribedIntervalMs?: number;
  /**
   * Poll interval, in place of `subscribedIntervalMs`, for a run this instance is nudged about (its Task
   * handlers run here: see `nudge`). Default 250 ms: the nudges read each of its moves as it happens, and the
   * regular polls only catch what nobody announces (a stop requested elsewhere, a Wait state's end), so they
   * leave the shared budget to the nudges instead of spending all of it at 50 ms.
   */
  nudgedIntervalMs?: number;
  /** How long a poller's lease lasts unless renewed; a dead poller's run is taken over after this. Default 10 s. */
  leaseTtlMs?: number;
}

/**
 * How long after an in-process Task handler settles its run is polled. The engine records the Task's end,
 * and every transition up to the next Task's start, once it has the result; the next handler's start (if
 * one follows) polls at once. Waiting this long lets that one poll read the whole step, so subscribers get
 * it in one burst instead of two, and a step that ends the run or waits on other Map iterations is still
 * read within a few milliseconds.
 */
export const SETTLED_NUDGE_MS = 5;

export interface RunEventsListener {
  /** Each new event once, in id order, contiguous from the watch's first event. */
  event(event: HistoryEvent): void;
  /** The watch cannot go on (the execution does not exist, or the watcher closed). */
  error(err: Error): void;
}

export interface WatchHandle {
  /** Resolves once the history up to now is loaded; rejects when the execution cannot be read. */
  readonly loaded: Promise<void>;
  /** Every event seen so far, ids 1..n without holes. */
  events(): readonly HistoryEvent[];
  /** True once the terminal event is among `events()`. */
  finished(): boolean;
  /** This holder no longer needs the run watched. */
  release(): void;
}

/**
 * New events of a watched run, handed to whoever acts on a run's progress (status changes, ready signals),
 * on every instance that watches it. `polled`: this instance read them from Step Functions as the run's
 * poller; otherwise they came over the bus from the poller (or filled a hole in what it sent).
 */
export type EventsHook = (executionArn: string, events: readonly HistoryEvent[], how: { polled: boolean }) => void;

export class ExecutionNotFoundError extends Error {
  override name = 'ExecutionNotFoundError';
}

interface Watch {
  arn: string;
  refs: number;
  /** Holders that are clients waiting on events (subscriptions): while there are any, the run is polled quickly. */
  subscribers: number;
  /** Until when (performance.now()) subscribers on another instance want the run polled quickly. */
  wantedElsewhereUntil: number;
  /** When this instance last told the fleet its subscribers wait on the run. */
  interestSentAt: number;
  listeners: Set<RunEventsListener>;
  events: HistoryEvent[];
  /** Events from the bus that arrived ahead of a hole, kept until the hole is filled. */
  ahead: Map<number, HistoryEvent>;
  loaded: Promise<void>;
  /** The first load has read the history (until then a subscriber waits for its first events). */
  hasLoaded: boolean;
  stop: AbortController;
  wake?: () => void;
  /** This instance holds the run's lease (polls it for the fleet). */
  holding: boolean;
  /** This instance has been told of the run's moves (nudge): its regular polls relax to `nudgedIntervalMs`. */
  nudged: boolean;
  /** A nudge came while a poll was under way (it may have read the history before the move): poll again at once. */
  pollNow: boolean;
  /** The timer of the earliest delayed nudge pending, and when the latest one is due (performance.now()). */
  nudgeTimer?: NodeJS.Timeout;
  nudgeLast: number;
}

/**
 * One poller per execution however many subscribers it has: every subscriber of a run on this instance
 * shares one watch, and across a fleet one instance at a time holds the run's lease and polls
 * `GetExecutionHistory` (incrementally, from the newest event back to the last one seen), publishing what
 * it finds on the event bus; the others read the bus. A hole in what the bus delivered (Redis was down, a
 * message was lost) is filled from the history before anything after it is passed on, so every listener
 * sees ids 1..n exactly once, in order.
 *
 * Polling adapts — quick while a run moves, backing off while it is quiet — and every call, polls and
 * hole-filling alike, draws on one RateBudget so the instance stays under Step Functions' quota. A watch
 * ends at the terminal event or when its last holder releases it.
 */
export class RunWatcher {
  private readonly watches = new Map<string, Watch>();
  private readonly hooks = new Set<EventsHook>();
  /** Finished histories, least recently used first, and their estimated bytes in all. */
  private readonly kept = new Map<string, { events: HistoryEvent[]; bytes: number }>();
  private keptBytes = 0;
  private keeper: NodeJS.Timeout | undefined;
  private keeping = false;
  /** GetExecutionHistory calls made: reading a run's history from the start, and polling for what is new. */
  private readonly calls = { load: 0, poll: 0 };
  private readonly minMs: number;
  private readonly maxMs: number;
  private readonly subscribedMs: number;
  private readonly nudgedMs: number;
  private readonly ttlMs: number;
  private leaseTrouble = false;
  private closed = false;

  constructor(
    private readonly deps: { sfn: SFNClient; pubSub: Events; leases: Leases; budget: RateBudget; logger: Logger },
    options: RunWatcherOptions = {},
  ) {
    this.minMs = options.minIntervalMs ?? 250;
    this.maxMs = options.maxIntervalMs ?? 5_000;
    this.subscribedMs = options.subscribedIntervalMs ?? 50;
    this.nudgedMs = options.nudgedIntervalMs ?? 250;
    this.ttlMs = options.leaseTtlMs ?? 10_000;
  }

  /** Runs `hook` with every batch of new events of every run this instance watches (see EventsHook). */
  onEvents(hook: EventsHook): () => void {
    this.hooks.add(hook);
    return () => this.hooks.delete(hook);
  }

  /**
   * The events seen so far of a run being watched, or kept since it finished (ids 1..n at index id − 1);
   * undefined when neither.
   */
  history(executionArn: string): readonly HistoryEvent[] | undefined {
    return this.watches.get(executionArn)?.events ?? this.kept.get(executionArn)?.events;
  }

  /** How long a poller's lease lasts unless renewed. */
  get leaseTtlMs(): number {
    return this.ttlMs;
  }

  /** Executions watched right now (for metrics and tests). */
  get active(): number {
    return this.watches.size;
  }

  /** What the watcher does, for /metrics: runs watched and held, finished histories kept, calls made. */
  stats(): { watched: number; polled: number; kept: number; loads: number; polls: number } {
    let polled = 0;
    for (const w of this.watches.values()) if (w.holding && !isFinished(w)) polled++;
    return { watched: this.watches.size, polled, kept: this.kept.size, loads: this.calls.load, polls: this.calls.poll };
  }

  /**
   * Holds a watch on the run (starting it if none). `subscriber`: the holder is a client waiting on events,
   * so the run is polled every `subscribedIntervalMs` while it has one (a backed-off poll is cut short).
   */
  watch(executionArn: string, listener?: RunEventsListener, options: { subscriber?: boolean } = {}): WatchHandle {
    if (this.closed) throw new Error('the run watcher is closed');
    let w = this.watches.get(executionArn);
    if (!w) w = this.start(executionArn);
    w.refs += 1;
    if (listener) w.listeners.add(listener);
    const subscriber = options.subscriber === true;
    if (subscriber && w.subscribers++ === 0) {
      // A subscriber waits for the run's first events: a load still waiting for the budget goes first.
      if (!w.hasLoaded) this.deps.budget.raise(w.stop.signal, Priority.FIRST_EVENTS);
      w.wake?.();
      // Once loaded, the watch knows whether this instance polls the run or must ask the one that does.
      void w.loaded.then(() => this.announceInterest(w), () => {});
    }
    const watch = w;
    let released = false;
    return {
      loaded: watch.loaded,
      events: () => watch.events,
      finished: () => isFinished(watch),
      release: () => {
        if (released) return;
        released = true;
        if (listener) watch.listeners.delete(listener);
        if (subscriber) watch.subscribers -= 1;
        watch.refs -= 1;
        if (watch.refs === 0) this.end(watch);
      },
    };
  }

  /**
   * The run just moved, or will within `delayMs`: poll it then rather than at the next tick. Whoever sees a
   * run move says so (a Task handler running in this process, when it is called and when it settles: see
   * `task`; a stop this instance requested). The poll is the usual one — GetExecutionHistory from the last
   * event seen, drawing on the one budget — and it replaces the tick that was due (the next one is counted
   * from it). A nudge during a poll polls again at once, since that poll may have read the history before
   * the move. On an instance that does not poll the run, the nudge goes over the bus (RUN_INTEREST) to
   * whichever instance does; a run nobody watches is not polled for it.
   */
  nudge(executionArn: string, delayMs = 0): void {
    if (this.closed) return;
    const w = this.watches.get(executionArn);
    if (w && (w.holding || this.leaseTrouble)) return this.poke(w, delayMs);
    try {
      this.deps.pubSub.publish(INTEREST_TOPIC, executionArn, { nudgeMs: delayMs } as never);
    } catch (err) {
      this.deps.logger.debug({ err: (err as Error).message, executionArn }, 'could not pass on a nudge');
    }
  }

  /**
   * Runs `task`, a Task handler of `executionArn` called in this process, nudging the watcher when it starts
   * (its LambdaFunctionStarted is in the history by then) and shortly after it settles (see SETTLED_NUDGE_MS).
   */
  task<T>(executionArn: string | undefined, task: () => Promise<T>): Promise<T> {
    if (executionArn === undefined) return task();
    this.nudge(executionArn);
    return task().finally(() => this.nudge(executionArn, SETTLED_NUDGE_MS));
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.keeper);
    for (const w of [...this.watches.values()]) {
      for (const l of w.listeners) l.error(new Error('gapwatch is shutting down'));
      this.end(w);
    }
  }

  private start(arn: string): Watch {
    const kept = this.kept.get(arn);
    const w: Watch = {
      arn,
      refs: 0,
      subscribers: 0,
      wantedElsewhereUntil: 0,
      interestSentAt: -Infinity,
      listeners: new Set(),
      events: kept?.events ?? [],
      ahead: new Map(),
      loaded: Promise.resolve(),
      hasLoaded: kept !== undefined,
      stop: new AbortController(),
      holding: false,
      nudged: false,
      pollNow: false,
      nudgeLast: 0,
    };
    this.watches.set(arn, w);
    if (kept) {
      // Read before and finished: nothing to poll, hold or hear.
      this.kept.delete(arn);
      this.kept.set(arn, kept);
      return w;
    }
    this.listenToBus(w);
    this.keepLeases(false);
    w.loaded = (async () => {
      w.holding = await this.tryHold(w);
      await this.fetch(w, w.holding || this.leaseTrouble);
      w.hasLoaded = true;
    })();
    // A failed first load is reported through `loaded` and the listeners; the loop does not start.
    w.loaded.then(
      () => void this.loop(w),
      (err: Error) => {
        for (const l of w.listeners) l.error(err);
        this.end(w);
      },
    );
    return w;
  }

  private end(w: Watch): void {
    if (this.watches.get(w.arn) !== w) return;
    this.watches.delete(w.arn);
    w.stop.abort();
    clearTimeout(w.nudgeTimer);
    w.wake?.();
    if (w.holding) this.deps.leases.release(w.arn).catch(() => {});
    if (isFinished(w) && !this.kept.has(w.arn)) this.keep(w.arn, w.events);
    if (this.watches.size === 0) {
      clearInterval(this.keeper);
      this.keeper = undefined;
    }
  }

  /** Keeps a finished history for later watches of the run, within KEPT_HISTORY_BYTES. */
  private keep(arn: string, events: HistoryEvent[]): void {
    const bytes = estimateBytes(events);
    if (bytes > KEPT_HISTORY_BYTES / 4) return;
    this.kept.set(arn, { events, bytes });
    this.keptBytes += bytes;
    for (const [oldest, entry] of this.kept) {
      if (this.keptBytes <= KEPT_HISTORY_BYTES) break;
      this.kept.delete(oldest);
      this.keptBytes -= entry.bytes;
    }
  }

  /**
   * Keeps the leases of every unfinished run this instance watches, in one round trip each third of a
   * lease period, whatever the polls do (they wait for the budget, which may take longer than a lease
   * lasts when many runs are watched). A run whose lease this instance takes (its poller died or let go)
   * is polled at once; one whose lease it lost is no longer polled here. `now`: a round at once too.
   */
  private keepLeases(now = true): void {
    this.keeper ??= setInterval(() => this.keepLeases(), this.ttlMs / 3);
    this.keeper.unref();
    if (!now || this.keeping) return;
    const runs = [...this.watches.values()].filter((w) => !isFinished(w) && w.hasLoaded);
    if (runs.length === 0) return;
    this.keeping = true;
    this.deps.leases
      .holdMany(
        runs.map((w) => w.arn),
        this.ttlMs,
      )
      .then(
        (held) => {
          this.leasesAnswer();
          runs.forEach((w, i) => {
            const holding = held[i] === true;
            if (this.watches.get(w.arn) !== w || isFinished(w)) {
              // Ended or finished meanwhile: a lease taken just now is given back.
              if (holding && !(this.watches.get(w.arn) === w && w.holding)) this.deps.leases.release(w.arn).catch(() => {});
              return;
            }
            const took = holding && !w.holding;
            w.holding = holding;
            if (took) this.poke(w, 0);
          });
        },
        (err: unknown) => this.leasesFail(err),
      )
      .finally(() => (this.keeping = false));
  }

  private listenToBus(w: Watch): void {
    const sub = this.deps.pubSub.subscribe(BUS_TOPIC, w.arn) as AsyncIterableIterator<unknown>;
    const interest = this.deps.pubSub.subscribe(INTEREST_TOPIC, w.arn) as AsyncIterableIterator<unknown>;
    w.stop.signal.addEventListener(
      'abort',
      () => {
        void sub.return?.();
        void interest.return?.();
      },
      { once: true },
    );
    void (async () => {
      try {
        for await (const message of sub) this.fromBus(w, revive(message));
      } catch (err) {
        this.deps.logger.warn({ err, executionArn: w.arn }, 'run event bus subscription ended');
      }
    })();
    void (async () => {
      try {
        for await (const message of interest) {
          const nudgeMs = (message as { nudgeMs?: unknown } | null)?.nudgeMs;
          if (typeof nudgeMs === 'number') {
            // Another instance saw the run move (its handler runs there); the poller is asked to look.
            if (w.holding) this.poke(w, Math.min(Math.max(0, nudgeMs), this.nudgedMs));
            continue;
          }
          // Kept up for one lease period by the interested instance, which repeats it every third of one.
          const quick = w.wantedElsewhereUntil <= performance.now();
          w.wantedElsewhereUntil = performance.now() + this.ttlMs;
          if (quick && w.holding) w.wake?.();
        }
      } catch (err) {
        this.deps.logger.warn({ err, executionArn: w.arn }, 'run interest bus subscription ended');
      }
    })();
  }

  /**
   * Subscribers here, but another instance polls the run: ask it to poll quickly, as this instance would
   * (once a third of a lease period at most; in-process, this instance always polls and never asks).
   */
  private announceInterest(w: Watch): void {
    if (w.holding || w.subscribers === 0 || isFinished(w)) return;
    const now = performance.now();
    if (now - w.interestSentAt < this.ttlMs / 3) return;
    w.interestSentAt = now;
    try {
      this.deps.pubSub.publish(INTEREST_TOPIC, w.arn, {} as never);
    } catch (err) {
      this.deps.logger.debug({ err: (err as Error).message, executionArn: w.arn }, 'could not announce interest in a run');
    }
  }

  /** Has this instance, the run's poller, poll it now or `delayMs` from now. */
  private poke(w: Watch, delayMs: number): void {
    w.nudged = true;
    if (delayMs > 0) {
      // One timer: the earliest nudge's. When it fires, a later one still pending gets a poll of its own.
      w.nudgeLast = Math.max(w.nudgeLast, performance.now() + delayMs);
      if (w.nudgeTimer) return;
      w.nudgeTimer = setTimeout(() => {
        w.nudgeTimer = undefined;
        const later = w.nudgeLast - performance.now();
        if (later >= 1) this.poke(w, later);
        this.poke(w, 0);
      }, delayMs);
      w.nudgeTimer.unref();
      return;
    }
    // A delayed nudge still pending keeps its timer: this poll may read the history before the move that
    // one announced (another iteration's handler can start just as this one settles).
    if (w.wake) w.wake();
    else w.pollNow = true;
  }

  private fromBus(w: Watch, e: HistoryEvent | undefined): void {
    if (!e || typeof e.id !== 'number' || e.id <= w.events.length) return;
    if (e.id === w.events.length + 1) this.append(w, [e], false);
    else {
      if (w.ahead.size < MAX_EVENTS) w.ahead.set(e.id, e);
      w.wake?.(); // a hole: fetch it now rather than at the next poll
    }
  }

  /** Appends events continuing the contiguous history and passes them on; drains what arrived ahead. */
  private append(w: Watch, batch: readonly HistoryEvent[], polled: boolean): HistoryEvent[] {
    const added: HistoryEvent[] = [];
    const take = (e: HistoryEvent) => {
      if (e.id !== w.events.length + 1 || w.events.length >= MAX_EVENTS || isFinished(w)) return;
      w.events.push(e);
      added.push(e);
    };
    for (const e of batch) take(e);
    for (let next = w.ahead.get(w.events.length + 1); next; next = w.ahead.get(w.events.length + 1)) {
      w.ahead.delete(next.id!);
      take(next);
    }
    for (const id of w.ahead.keys()) if (id <= w.events.length) w.ahead.delete(id);
    for (const e of added) for (const l of w.listeners) l.event(e);
    if (added.length > 0) {
      for (const hook of this.hooks) {
        try {
          hook(w.arn, added, { polled });
        } catch (err) {
          this.deps.logger.error({ err, executionArn: w.arn }, 'run event hook failed');
        }
      }
    }
    if (isFinished(w) && w.holding) {
      w.holding = false;
      this.deps.leases.release(w.arn).catch(() => {});
    }
    return added;
  }

  private async loop(w: Watch): Promise<void> {
    let interval = this.minMs;
    while (!w.stop.signal.aborted && !isFinished(w)) {
      this.announceInterest(w);
      const wanted = w.subscribers > 0 || w.wantedElsewhereUntil > performance.now();
      const polling = wanted ? Math.min(interval, w.nudged ? this.nudgedMs : this.subscribedMs) : interval;
      const poller = w.holding || this.leaseTrouble;
      // Not the poller: wait to be woken (a hole in what the bus brought, the lease coming to this
      // instance), and announce interest again within a third of a lease period.
      await this.sleep(w, w.pollNow ? 0 : poller ? polling : w.subscribers > 0 ? this.ttlMs / 3 : undefined);
      w.pollNow = false;
      if (w.stop.signal.aborted || isFinished(w)) break;
      const holder = w.holding || this.leaseTrouble;
      const hole = w.ahead.size > 0;
      if (!holder && !hole) continue;
      try {
        const added = await this.fetch(w, holder);
        interval = added > 0 ? this.minMs : Math.min(this.maxMs, Math.ceil(interval * 1.6));
      } catch (err) {
        if (w.stop.signal.aborted) break;
        if (err instanceof ExecutionNotFoundError) {
          for (const l of w.listeners) l.error(err);
          this.end(w);
          break;
        }
        this.deps.logger.warn({ err: (err as Error).message, executionArn: w.arn }, 'GetExecutionHistory failed; retrying');
        interval = Math.min(this.maxMs, interval * 2);
      }
    }
  }

  /**
   * Reads the events after the last one seen: the first time forward from the start, afterwards from the
   * newest back to the last seen, so a poll of a moving run is one call. Publishes what it read when this
   * instance is the run's poller.
   */
  private async fetch(w: Watch, publish: boolean): Promise<number> {
    const after = w.events.length;
    const fresh: HistoryEvent[] = [];
    let nextToken: string | undefined;
    do {
      await this.deps.budget.take(w.stop.signal, this.priorityOf(w));
      this.calls[after > 0 ? 'poll' : 'load'] += 1;
      let page;
      try {
        page = await this.deps.sfn.send(
          new GetExecutionHistoryCommand({
            executionArn: w.arn,
            includeExecutionData: true,
            reverseOrder: after > 0,
            maxResults: after > 0 ? 100 : 1000,
            nextToken,
          }),
          { abortSignal: w.stop.signal },
        );
      } catch (err) {
        const name = (err as { name?: string }).name;
        if (name === 'ExecutionDoesNotExist' || name === 'InvalidArn') throw new ExecutionNotFoundError((err as Error).message);
        throw err;
      }
      const events = page.events ?? [];
      if (after > 0) {
        let reached = false;
        for (const e of events) {
          if ((e.id ?? 0) <= after) {
            reached = true;
            break;
          }
          fresh.push(e);
        }
        nextToken = reached ? undefined : page.nextToken;
      } else {
        fresh.push(...events);
        nextToken = page.nextToken;
      }
    } while (nextToken && !w.stop.signal.aborted);
    if (after > 0) fresh.reverse();
    const added = this.append(w, fresh, publish);
    if (publish) for (const e of added) this.deps.pubSub.publish(BUS_TOPIC, w.arn, e as never);
    return added.length;
  }

  /** Which calls of the budget go first (see Priority). */
  private priorityOf(w: Watch): Priority {
    if (w.subscribers > 0) return w.hasLoaded ? Priority.SUBSCRIBED : Priority.FIRST_EVENTS;
    if (w.wantedElsewhereUntil > performance.now() || w.pollNow) return Priority.SUBSCRIBED;
    return Priority.BACKGROUND;
  }

  /** Takes or renews the run's lease. Without leases (Redis down) every instance that needs a run polls it. */
  private async tryHold(w: Watch): Promise<boolean> {
    try {
      const held = await this.deps.leases.hold(w.arn, this.ttlMs);
      this.leasesAnswer();
      return held;
    } catch (err) {
      this.leasesFail(err);
      return true;
    }
  }

  private leasesAnswer(): void {
    if (this.leaseTrouble) this.deps.logger.info('leases answer again: one instance polls each run');
    this.leaseTrouble = false;
  }

  private leasesFail(err: unknown): void {
    if (!this.leaseTrouble) this.deps.logger.warn({ err: (err as Error).message }, 'leases unavailable: polling runs locally');
    this.leaseTrouble = true;
    for (const w of this.watches.values()) if (!w.holding) w.wake?.();
  }

  /** Waits `ms`, or until woken (`undefined`: only when woken). */
  private sleep(w: Watch, ms: number | undefined): Promise<void> {
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        w.wake = undefined;
        resolve();
      }
      w.wake = done;
    });
  }
}

function isFinished(w: Watch): boolean {
  const last = w.events[w.events.length - 1];
  return last !== undefined && TERMINAL_EVENT_TYPES.has(last.type ?? '');
}

/** Roughly what a history holds in memory: its events' data (input and output JSON) and a little for each. */
function estimateBytes(events: readonly HistoryEvent[]): number {
  let bytes = 0;
  for (const e of events) {
    bytes += 300;
    for (const value of Object.values(e)) {
      if (value && typeof value === 'object' && !(value instanceof Date)) {
        for (const v of Object.values(value)) if (typeof v === 'string') bytes += v.length * 2;
      }
    }
  }
  return bytes;
}

/** Events cross Redis as JSON: the timestamp comes back as a string. */
function revive(message: unknown): HistoryEvent | undefined {
  if (!message || typeof message !== 'object') return undefined;
  const e = message as HistoryEvent & { timestamp?: unknown };
  if (typeof e.timestamp === 'string') return { ...e, timestamp: new Date(e.timestamp) };
  return e;
}
