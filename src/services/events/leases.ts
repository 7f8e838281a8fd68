import type { Redis } from 'ioredis';

/**
 * Who may do a piece of work that one instance of the fleet should do at a time (poll one execution's
 * history). A lease expires unless its holder renews it, so when the holder dies another instance takes
 * the work over within one `ttlMs`.
 */
export interface Leases {
  /** Takes the lease on `key`, or renews it when this instance holds it; true when this instance holds it now. */
  hold(key: string, ttlMs: number): Promise<boolean>;
  /** Gives the lease up if this instance holds it. */
  release(key: string): Promise<void>;
}

/** One instance alone: it always holds every lease. */
export const localLeases: Leases = {
  hold: async () => true,
  release: async () => {},
};

// Take-or-renew in one step, so two instances can never both believe they hold the lease.
const HOLD = `
local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if cur then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** Leases kept in Redis under `gapwatch:lease:<key>`, held by this instance's id. */
export class RedisLeases implements Leases {
  constructor(
    private readonly redis: Redis,
    readonly holder: string,
  ) {}

  async hold(key: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.eval(HOLD, 1, `gapwatch:lease:${key}`, this.holder, String(Math.ceil(ttlMs)))) === 1;
  }

  async release(key: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, `gapwatch:lease:${key}`, this.holder);
  }
}
