import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { connectEventBus } from '../../../src/services/events';
import { FileClaims, RedisClaims } from '../../../src/services/events/claims';
import { startRedis } from '../../support/redis';

const logger = pino({ level: 'silent' });

describe('claims', () => {
  it('in a file: a claim is made once, and a restart still finds it until it expires', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'gapwatch-claims-'));
    try {
      let now = 1_000;
      const first = new FileClaims(dir, logger, () => now);
      expect(await first.claim('run:a:SUCCEEDED', 60_000)).toBe(true);
      expect(await first.claim('run:a:SUCCEEDED', 60_000)).toBe(false);
      expect(await first.claim('run:b:RUNNING', 10)).toBe(true);
      await first.flush();
      const restarted = new FileClaims(dir, logger, () => now);
      expect(await restarted.claimed('run:a:SUCCEEDED')).toBe(true);
      expect(await restarted.claim('run:a:SUCCEEDED', 60_000)).toBe(false);
      now += 61_000;
      expect(await restarted.claimed('run:a:SUCCEEDED')).toBe(false);
      expect(await restarted.claim('run:a:SUCCEEDED', 60_000)).toBe(true);
      await restarted.flush();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('in Redis: of two instances claiming the same key at once, exactly one makes the claim', async () => {
    const redis = await startRedis();
    const buses = [connectEventBus({ redisUrl: redis.url, logger }), connectEventBus({ redisUrl: redis.url, logger })];
    try {
      for (const b of buses) await b.ping();
      const [a, b] = buses.map((bus) => new RedisClaims(bus.redis!, bus.instanceId));
      for (let i = 0; i < 20; i++) {
        const won = await Promise.all([a!.claim(`k${i}`, 60_000), b!.claim(`k${i}`, 60_000)]);
        expect(won.filter(Boolean)).toHaveLength(1);
        expect(await a!.claimed(`k${i}`)).toBe(true);
      }
    } finally {
      for (const b of buses) await b.close();
      await redis.stop();
    }
  });
});
