import { startRedis } from './redis';

/** The Redis tests need Debian's redis-server; without it they must say so, at once, not time out blank. */
it('names the missing program when redis-server is not installed', async () => {
  await expect(startRedis('redis-server-that-is-not-installed')).rejects.toThrow(
    /^redis-server-that-is-not-installed is not installed \(or not on PATH\): the Redis tests need it; apt-get install redis-server/,
  );
});
