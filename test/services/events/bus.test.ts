import pino from 'pino';
import { connectEventBus, type EventBus } from '../../../src/services/events';
import { startRedis, type RedisServer } from '../../support/redis';

const logger = pino({ level: 'silent' });

async function nextOf<T>(it: AsyncIterator<T>, ms = 5_000): Promise<T> {
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no event in time')), ms).unref());
  const r = await Promise.race([it.next(), timeout]);
  return r.value as T;
}

async function eventually(check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('event bus over a real redis-server', () => {
  let redis: RedisServer;
  let a: EventBus;
  let b: EventBus;
  beforeAll(async () => {
    redis = await startRedis();
  });
  beforeEach(async () => {
    a = connectEventBus({ redisUrl: redis.url, logger });
    b = connectEventBus({ redisUrl: redis.url, logger });
    await a.ping();
    await b.ping();
  });
  afterEach(async () => {
    await a.close();
    await b.close();
  });
  afterAll(async () => {
    await redis.stop();
  });

  it('delivers what one instance publishes to a subscriber on another', async () => {
    const sub = b.pubSub.subscribe('RUN_EVENT', 'arn:x') as AsyncIterator<unknown>;
    const first = nextOf(sub);
    // SUBSCRIBE travels to Redis asynchronously: publish until the subscriber has it.
    const timer = setInterval(() => a.pubSub.publish('RUN_EVENT', 'arn:x', { id: 1 } as never), 50);
    try {
      expect(await first).toEqual({ id: 1 });
    } finally {
      clearInterval(timer);
      await sub.return?.();
    }
  });

  it('gives a lease to one instance at a time, and to another once it expires or is released', async () => {
    expect(await a.leases.hold('run-1', 400)).toBe(true);
    expect(await b.leases.hold('run-1', 400)).toBe(false);
    expect(await a.leases.hold('run-1', 400)).toBe(true); // renewal by the holder
    await eventually(() => b.leases.hold('run-1', 10_000)); // a stops renewing: expiry hands it over
    expect(await a.leases.hold('run-1', 400)).toBe(false);
    await b.leases.release('run-1');
    expect(await a.leases.hold('run-1', 400)).toBe(true);
  });

  it('survives Redis going away and coming back: publishes and lease calls fail without crashing, then work again', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      await redis.stop(true);
      a.pubSub.publish('RUN_EVENT', 'arn:y', { id: 1 } as never);
      await expect(a.leases.hold('run-2', 1_000)).rejects.toThrow();
      const sub = b.pubSub.subscribe('RUN_EVENT', 'arn:y') as AsyncIterator<unknown>;
      const got = nextOf(sub, 15_000);
      await new Promise((r) => setTimeout(r, 200));
      await redis.start();
      await eventually(async () => a.ping().then(() => true, () => false));
      const timer = setInterval(() => a.pubSub.publish('RUN_EVENT', 'arn:y', { id: 2 } as never), 100);
      try {
        expect(await got).toEqual({ id: 2 });
      } finally {
        clearInterval(timer);
        await sub.return?.();
      }
      expect(await a.leases.hold('run-2', 1_000)).toBe(true);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
