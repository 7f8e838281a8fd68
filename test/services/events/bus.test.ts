import { connect, createServer } from 'node:net';
import { once } from 'node:events';
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

/**
 * A loopback relay in front of redis-server that holds Redis's answers until `release()`: a client that
 * connects through it is left mid-handshake (connected, not yet ready) for as long as the test wants.
 */
async function holdingRelay(port: number) {
  const written: string[][] = [];
  const held: (() => void)[] = [];
  let holding = true;
  const server = createServer((client) => {
    const upstream = connect(port, '127.0.0.1');
    const mine: string[] = [];
    written.push(mine);
    client.on('data', (b: Buffer) => {
      mine.push(b.toString());
      upstream.write(b);
    });
    upstream.on('data', (b: Buffer) => (holding ? held.push(() => client.write(b)) : client.write(b)));
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    for (const s of [client, upstream]) s.on('close', end).on('error', end);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `redis://127.0.0.1:${(server.address() as { port: number }).port}`,
    /** What each connection made so far has written, in order. */
    written: () => written.map((chunks) => chunks.join('')),
    release() {
      holding = false;
      for (const send of held.splice(0)) send();
    },
    close: () => new Promise((r) => server.close(r)),
  };
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

  it('Redis down: what an instance publishes still reaches its own subscribers, once, and the others once Redis is back', async () => {
    const onA = a.pubSub.subscribe('CHECK_COMPLETED') as AsyncIterator<unknown>;
    const onB = b.pubSub.subscribe('CHECK_COMPLETED') as AsyncIterator<unknown>;
    try {
      // Both subscriptions reach Redis before it goes: a probe published on A arrives on B.
      const probe = nextOf(onB);
      const timer = setInterval(() => a.pubSub.publish('CHECK_COMPLETED', { probe: true } as never), 50);
      await probe.finally(() => clearInterval(timer));
      await redis.stop(true);
      a.pubSub.publish('CHECK_COMPLETED', { id: 'during' } as never);
      // The probes A published reach A's own subscriber once each (not a second time through Redis),
      // then the event published while Redis was down.
      let got: unknown;
      do got = await nextOf(onA);
      while ((got as { probe?: boolean }).probe);
      expect(got).toEqual({ id: 'during' });
      await redis.start();
      let late: unknown;
      do late = await nextOf(onB, 15_000);
      while ((late as { probe?: boolean }).probe);
      expect(late).toEqual({ id: 'during' });
      a.pubSub.publish('CHECK_COMPLETED', { id: 'after' } as never);
      expect(await nextOf(onA)).toEqual({ id: 'after' });
      expect(await nextOf(onB)).toEqual({ id: 'after' });
    } finally {
      await onA.return?.();
      await onB.return?.();
    }
  });

  it('keeps a subscription made while its connection is still being set up (it was lost, and its topic went deaf)', async () => {
    // ioredis 5 writes a SUBSCRIBE at once even mid-handshake; its ready check (INFO) then went out after
    // it, was refused in subscriber mode, and the reconnect that followed did not resubscribe.
    const relay = await holdingRelay(redis.port);
    const logged: string[] = [];
    const bus = connectEventBus({ redisUrl: relay.url, logger: pino({ level: 'warn' }, { write: (line: string) => void logged.push(line) }) });
    try {
      await eventually(async () => relay.written().length === 2 && relay.written().every((w) => w.length > 0));
      const sub = bus.pubSub.subscribe('RUN_EVENT', 'arn:h') as AsyncIterator<unknown>;
      const got = nextOf(sub, 15_000);
      await eventually(async () => relay.written().some((w) => /subscribe/i.test(w)));
      relay.release();
      const timer = setInterval(() => a.pubSub.publish('RUN_EVENT', 'arn:h', { id: 3 } as never), 50);
      try {
        expect(await got).toEqual({ id: 3 });
      } finally {
        clearInterval(timer);
        await sub.return?.();
      }
      expect(logged.join('')).not.toContain('Redis unreachable');
    } finally {
      await bus.close();
      await relay.close();
    }
  });
});
