import { randomUUID } from 'node:crypto';
import { createPubSub } from '@graphql-yoga/subscription';
import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { Redis } from 'ioredis';
import type { Logger } from '../../logger';
import { localLeases, RedisLeases, type Leases } from './leases';
import { createEvents, type Events } from './pubsub';

/**
 * How the instances of a fleet share events: in-process when `REDIS_URL` is unset (one instance), else
 * the same pub/sub over Redis plus leases in Redis, so a subscriber on any instance sees what any instance
 * publishes and one instance polls each execution.
 *
 * Redis being down never takes the service down: publishes and lease calls fail fast and are logged (each
 * outage once), subscriptions resume when Redis is back, and run event streams fill whatever they missed
 * from the execution history.
 */
export interface EventBus {
  /** Publish/subscribe by topic; type-graphql's `pubSub` too. */
  readonly pubSub: Events;
  readonly leases: Leases;
  /** This instance's id in leases and logs. */
  readonly instanceId: string;
  /** `redis` when events cross instances. */
  readonly kind: 'in-process' | 'redis';
  /** Resolves when Redis answers (in-process: at once); rejects with its error otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export function connectEventBus(options: { redisUrl?: string; logger: Logger }): EventBus {
  const instanceId = randomUUID();
  if (!options.redisUrl) {
    return { pubSub: createEvents(), leases: localLeases, instanceId, kind: 'in-process', ping: async () => {}, close: async () => {} };
  }
  const logger = options.logger.child({ component: 'redis' });
  // Reconnect for ever with a capped backoff; the publishing connection fails fast while disconnected
  // (a publish that cannot be delivered now is filled in from history later), the subscribing one queues
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
      logger.warn({ err: err.message, connection: name }, 'Redis unreachable: events stay on this instance until it is back');
    });
    client.on('ready', () => {
      if (down) logger.info({ connection: name }, 'Redis is back');
      down = false;
    });
  }
  const failed = (what: string) => (err: unknown) => logger.debug({ err: (err as Error).message, what }, 'Redis call failed');
  // redis-event-target does not handle the promises ioredis returns; an unhandled rejection would end the
  // process, so these facades catch and log them.
  const publishClient = { publish: (channel: string, message: string) => publisher.publish(channel, message).catch(failed('publish')) };
  const subscribeClient = {
    on: subscriber.on.bind(subscriber),
    subscribe: (channel: string) => subscriber.subscribe(channel).catch(failed('subscribe')),
    unsubscribe: (channel: string) => subscriber.unsubscribe(channel).catch(failed('unsubscribe')),
  };
  const eventTarget = createRedisEventTarget({ publishClient: publishClient as never, subscribeClient: subscribeClient as never });
  return {
    pubSub: createPubSub({ eventTarget: eventTarget as never }) as Events,
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
