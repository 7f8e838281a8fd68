import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from '../../logger';
import { localLeases, RedisLeases, type Leases } from './leases';
import { createEvents, LocalEvents, publishArgs, SeenKeys, type Events } from './pubsub';
import { CATCH_UP_TOPICS } from './topics';

/** Redis channels gapwatch's events travel on: `gapwatch:events:<topic>[:<id>]`. */
const CHANNEL_PREFIX = 'gapwatch:events:';
/** Catch-up messages kept while Redis is down (oldest dropped first past this). */
export const MAX_OUTBOX = 1_000;

/**
 * How the instances of a fleet share events: in-process when `REDIS_URL` is unset (one instance), else
 * the same pub/sub over Redis plus leases in Redis, so a subscriber on any instance sees what any instance
 * publishes and one instance polls each execution.
 *
 * Local first: what an instance publishes reaches its own subscribers at once, in-process, whether or not
 * Redis answers, and goes to the other instances through Redis (the copy Redis echoes back is dropped).
 * Redis being down never takes the service down: publishes and lease calls fail fast and are logged (each
 * outage once), subscriptions resume when Redis is back, run event streams fill whatever they missed from
 * the execution history, and finished checks, ready signals and run status changes published meanwhile
 * (CATCH_UP_TOPICS, at most MAX_OUTBOX) are sent to the fleet once Redis is back.
 */
export interface EventBus {
  /** Publish/subscribe by topic; type-graphql's `pubSub` too. */
  readonly pubSub: Events;
  readonly leases: Leases;
  /** This instance's id in leases and logs. */
  readonly instanceId: string;
  /** `redis` when events cross instances. */
  readonly kind: 'in-process' | 'redis';
  /** The connection for commands (leases, what the fleet shares); absent in-process. */
  readonly redis?: Redis;
  /** Resolves when Redis answers (in-process: at once); rejects with its error otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** A message on Redis: who published it, its key when it has one (announcements, catch-up topics), the payload. */
interface Envelope {
  o: string;
  k?: string;
  p: unknown;
}

/** The bus over Redis: local delivery first, then the fleet (see EventBus). */
class RedisEvents implements Events {
  private readonly local: LocalEvents;
  /** Catch-up messages published while Redis was down, oldest first. */
  private readonly outbox: { channel: string; text: string }[] = [];
  private dropped = 0;
  private flushing = false;
  private seq = 0;
  /** Keys of catch-up messages from the fleet delivered here (a resend after a doubtful publish is dropped). */
  private readonly received = new SeenKeys();

  constructor(
    private readonly publisher: Redis,
    subscriber: Redis,
    private readonly instanceId: string,
    private readonly logger: Logger,
  ) {
    const failed = (what: string) => (err: unknown) => logger.debug({ err: (err as Error).message, what }, 'Redis call failed');
    this.local = new LocalEvents({
      onFirst: (channel) => void subscriber.subscribe(CHANNEL_PREFIX + channel).catch(failed('subscribe')),
      onLast: (channel) => void subscriber.unsubscribe(CHANNEL_PREFIX + channel).catch(failed('unsubscribe')),
    });
    subscriber.on('message', (channel: string, text: string) => this.fromFleet(channel, text));
    publisher.on('ready', () => void this.flush());
  }

  get size(): number {
    return this.local.size;
  }

  publish(topic: string, ...args: unknown[]): void {
    const { channel, payload } = publishArgs(topic, args);
    this.local.deliver(channel, payload);
    const key = CATCH_UP_TOPICS.has(topic) ? `${this.instanceId}:${++this.seq}` : undefined;
    this.send(topic, channel, { o: this.instanceId, ...(key ? { k: key } : {}), p: payload });
  }

  announce(topic: string, key: string, payload: unknown): void {
    this.local.deliver(topic, payload, key);
    this.send(topic, topic, { o: this.instanceId, k: key, p: payload });
  }

  subscribe(topic: string, id?: unknown): AsyncIterableIterator<unknown> {
    return this.local.subscribe(topic, id);
  }

  private send(topic: string, channel: string, envelope: Envelope): void {
    const text = JSON.stringify(envelope);
    const keep = CATCH_UP_TOPICS.has(topic);
    // Behind messages still waiting, so the fleet gets them in order.
    if (keep && this.outbox.length > 0) return this.keep(channel, text);
    this.publisher.publish(CHANNEL_PREFIX + channel, text).catch((err: unknown) => {
      if (keep) this.keep(channel, text);
      else this.logger.debug({ err: (err as Error).message, channel }, 'event not sent to the fleet');
    });
  }

  private keep(channel: string, text: string): void {
    this.outbox.push({ channel, text });
    if (this.outbox.length > MAX_OUTBOX) {
      this.outbox.shift();
      if (this.dropped++ === 0) this.logger.warn({ limit: MAX_OUTBOX }, 'Redis down for long: the oldest checks, ready signals and run updates for the rest of the fleet are dropped');
    }
    if (this.publisher.status === 'ready') void this.flush();
  }

  /** Sends what waited for Redis, in order; stops at the first failure (the next `ready` resumes). */
  private async flush(): Promise<void> {
    if (this.flushing) return;
    this.flushing = true;
    try {
      while (this.outbox.length > 0) {
        const { channel, text } = this.outbox[0]!;
        try {
          await this.publisher.publish(CHANNEL_PREFIX + channel, text);
        } catch {
          return;
        }
        this.outbox.shift();
      }
      if (this.dropped > 0) this.logger.warn({ dropped: this.dropped }, 'what was published while Redis was down went to the fleet, except the oldest, dropped');
      this.dropped = 0;
    } finally {
      this.flushing = false;
    }
  }

  private fromFleet(redisChannel: string, text: string): void {
    if (!redisChannel.startsWith(CHANNEL_PREFIX)) return;
    let envelope: Envelope;
    try {
      envelope = JSON.parse(text) as Envelope;
    } catch {
      return;
    }
    if (typeof envelope !== 'object' || envelope === null || envelope.o === this.instanceId) return;
    const channel = redisChannel.slice(CHANNEL_PREFIX.length);
    const key = envelope.k;
    if (typeof key !== 'string') return this.local.deliver(channel, envelope.p ?? null);
    // A catch-up message (keyed by its publisher) once however often it was sent; an announcement once
    // here whoever made it.
    if (key.startsWith(`${envelope.o}:`)) {
      if (this.received.first(key)) this.local.deliver(channel, envelope.p ?? null);
      return;
    }
    this.local.deliver(channel, envelope.p ?? null, key);
  }
}

export function connectEventBus(options: { redisUrl?: string; logger: Logger }): EventBus {
  const instanceId = randomUUID();
  if (!options.redisUrl) {
    return { pubSub: createEvents(), leases: localLeases, instanceId, kind: 'in-process', ping: async () => {}, close: async () => {} };
  }
  const logger = options.logger.child({ component: 'redis' });
  // Reconnect for ever with a capped backoff; the publishing connection fails fast while disconnected
  // (see RedisEvents for what waits for it), the subscribing one queues
  // its SUBSCRIBEs until it is back and then resubscribes by itself.
  const base = { retryStrategy: (times: number) => Math.min(100 * 2 ** Math.min(times, 5), 2_000), lazyConnect: false };
  const publisher = new Redis(options.redisUrl, { ...base, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
  // No CLIENT SETINFO on the subscribing connection: ioredis 5 sends its ready check (INFO) only after those
  // answer, and writes a SUBSCRIBE made meanwhile at once, so INFO followed it, was refused in subscriber
  // mode, and the reconnect that followed did not resubscribe: the topic went deaf on this instance
  // (redis/ioredis#2037). Without them INFO is the first command, so it is answered before any SUBSCRIBE.
  const subscriber = new Redis(options.redisUrl, { ...base, maxRetriesPerRequest: null, disableClientInfo: true });
  let down = false;
  for (const [name, client] of [['publisher', publisher], ['subscriber', subscriber]] as const) {
    client.on('error', (err: Error) => {
      if (down) return;
      down = true;
      logger.warn({ err: err.message, connection: name }, "Redis unreachable: events reach this instance's own subscribers only until it is back");
    });
    client.on('ready', () => {
      if (down) logger.info({ connection: name }, 'Redis is back');
      down = false;
    });
  }
  const pubSub = new RedisEvents(publisher, subscriber, instanceId, logger);
  return {
    pubSub,
    redis: publisher,
    leases: new RedisLeases(publisher, instanceId),
    instanceId,
    kind: 'redis',
    async ping() {
      // Right after start (or a reconnect) the connection may still be on its way: give it a moment.
      if (publisher.status !== 'ready') {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 2_000);
          publisher.once('ready', () => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      await publisher.ping();
    },
    async close() {
      publisher.disconnect();
      subscriber.disconnect();
    },
  };
}
