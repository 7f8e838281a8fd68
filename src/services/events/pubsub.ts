import { CodedError, ErrorCode } from '../../errors';

/**
 * Messages one subscription may have waiting: past this its consumer is not keeping up (a client that
 * stopped reading its socket), and the subscription ends with SUBSCRIPTION_OVERFLOW instead of holding
 * ever more of the service's memory.
 */
export const MAX_QUEUED_MESSAGES = 1_000;

/** Keys of announcements (and of messages from the fleet) remembered, so each is delivered here once. */
const SEEN_KEYS = 10_000;

/**
 * The event bus subscriptions read from, type-graphql's `pubSub`. Topics are strings; a topic with an id
 * (`publish(topic, id, payload)`) is its own channel `topic:id`.
 */
export interface Events {
  /** `publish(topic, payload)` or `publish(topic, id, payload)`: every subscriber of the channel gets it. */
  publish(topic: string, ...args: unknown[]): void;
  /**
   * Publishes `payload` on `topic` once per `key` on each instance: a second announcement with the same key
   * (from this instance or another) is not delivered again here.
   */
  announce(topic: string, key: string, payload: unknown): void;
  subscribe(topic: string, id?: unknown): AsyncIterableIterator<unknown>;
  /** Subscriptions open now, over all channels. */
  readonly size: number;
}

export function channelOf(topic: string, id?: unknown): string {
  return id === undefined ? topic : `${topic}:${String(id)}`;
}

/** What publish's arguments mean: `(payload)` or `(id, payload)`. */
export function publishArgs(topic: string, args: readonly unknown[]): { channel: string; payload: unknown } {
  return args.length >= 2 ? { channel: channelOf(topic, args[0]), payload: args[1] ?? null } : { channel: topic, payload: args[0] ?? null };
}

/**
 * One subscription: a queue of messages and at most one waiting `next`. Its channel's set holds it, so
 * joining and leaving are constant time whatever the number of subscribers (Node's EventTarget, which
 * graphql-yoga's pubsub used, walks every listener of a type on each add and remove: 20,000 subscriptions
 * to one topic took seconds).
 */
class Subscription implements AsyncIterableIterator<unknown> {
  private queue: unknown[] = [];
  private head = 0;
  private waiting: { resolve: (r: IteratorResult<unknown>) => void; reject: (err: unknown) => void } | undefined;
  private ended = false;
  private failure: Error | undefined;

  constructor(
    private readonly leave: (s: Subscription) => void,
    private readonly max: number,
  ) {}

  push(value: unknown): void {
    if (this.ended) return;
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = undefined;
      return w.resolve({ value, done: false });
    }
    if (this.queue.length - this.head >= this.max) {
      this.failure = new CodedError(ErrorCode.SUBSCRIPTION_OVERFLOW, `more than ${this.max} messages wait for this subscriber; it is not reading them`, {
        limit: 'maxQueuedMessages',
        value: this.max,
      });
      this.end();
      return;
    }
    this.queue.push(value);
  }

  next(): Promise<IteratorResult<unknown>> {
    if (this.head < this.queue.length) {
      const value = this.queue[this.head];
      this.queue[this.head++] = undefined;
      if (this.head === this.queue.length) {
        this.queue = [];
        this.head = 0;
      }
      return Promise.resolve({ value, done: false });
    }
    if (this.failure) {
      const err = this.failure;
      this.failure = undefined;
      return Promise.reject(err);
    }
    if (this.ended) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => (this.waiting = { resolve, reject }));
  }

  return(): Promise<IteratorResult<unknown>> {
    this.end();
    this.failure = undefined;
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(err: unknown): Promise<IteratorResult<unknown>> {
    this.end();
    return Promise.reject(err);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<unknown> {
    return this;
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.queue = [];
    this.head = 0;
    this.leave(this);
    const w = this.waiting;
    this.waiting = undefined;
    if (!w) return;
    if (this.failure) {
      w.reject(this.failure);
      this.failure = undefined;
    } else w.resolve({ value: undefined, done: true });
  }
}

/** A bounded set of recently seen keys, oldest forgotten first. */
export class SeenKeys {
  private readonly keys = new Set<string>();

  constructor(private readonly max = SEEN_KEYS) {}

  /** True the first time `key` is offered (within the last `max` keys). */
  first(key: string): boolean {
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    if (this.keys.size > this.max) this.keys.delete(this.keys.values().next().value!);
    return true;
  }
}

/**
 * Channels and their subscriptions in this process. `onFirst` and `onLast` tell whoever relays the
 * channel elsewhere (Redis) when it gains its first subscription and loses its last.
 */
export class LocalEvents implements Events {
  private readonly channels = new Map<string, Set<Subscription>>();
  private readonly seen = new SeenKeys();
  private open = 0;

  constructor(
    private readonly relay: { onFirst?(channel: string): void; onLast?(channel: string): void } = {},
    private readonly maxQueued = MAX_QUEUED_MESSAGES,
  ) {}

  get size(): number {
    return this.open;
  }

  publish(topic: string, ...args: unknown[]): void {
    const { channel, payload } = publishArgs(topic, args);
    this.deliver(channel, payload);
  }

  announce(topic: string, key: string, payload: unknown): void {
    if (this.seen.first(key)) this.deliver(topic, payload);
  }

  /** Delivers to this process's subscribers of `channel`, unless `key` was delivered here already. */
  deliver(channel: string, payload: unknown, key?: string): void {
    if (key !== undefined && !this.seen.first(key)) return;
    const subs = this.channels.get(channel);
    if (subs) for (const s of subs) s.push(payload);
  }

  subscribe(topic: string, id?: unknown): AsyncIterableIterator<unknown> {
    const channel = channelOf(topic, id);
    let subs = this.channels.get(channel);
    if (!subs) {
      subs = new Set();
      this.channels.set(channel, subs);
      this.relay.onFirst?.(channel);
    }
    const set = subs;
    const sub = new Subscription((s) => {
      if (!set.delete(s)) return;
      this.open -= 1;
      if (set.size === 0 && this.channels.get(channel) === set) {
        this.channels.delete(channel);
        this.relay.onLast?.(channel);
      }
    }, this.maxQueued);
    set.add(sub);
    this.open += 1;
    return sub;
  }
}

/** In-process event bus that subscriptions read from. One per app, so two apps in one process (tests) never see each other's events. */
export function createEvents(): Events {
  return new LocalEvents();
}
