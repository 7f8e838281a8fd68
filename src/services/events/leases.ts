import type { Redis } from 'ioredis';

/**
 * Who may do a piece of work that one instance of the fleet should do at a time (poll one execution's
 * history). A lease expires unless its holder renews it, so when the holder dies another instance takes
 * the work over within one `ttlMs`.
 */
export interface Leases {
  /** Takes the lease on `key`, or renews it when this instance holds it; true when this instance holds it now. */
  hold(key: string, ttlMs: number): Promise<boolean>;
  /** `hold` for many keys in one round trip (a watcher keeps all its runs' leases this way). */
  holdMany(keys: readonly string[], ttlMs: number): Promise<boolean[]>;
  /** Gives the lease up if this instance holds it. */
  release(key: string): Promise<void>;
}

/** One instance alone: it always holds every lease. */
export const localLeases: Leases = {
  hold: async () => true,
  holdMany: async (keys) => keys.map(() => true),
  release: async () => {},
};

// Take-or-renew in one step, so two instances can never both believe they hold the lease.
const HOLD = `
local cur = redis.call('GET', KEYS[1])
if cur == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
if cur then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1`;
const HOLD_MANY = `
local out = {}
for i, key in ipairs(KEYS) do
  local cur = redis.call('GET', key)
  if cur == ARGV[1] then redis.call('PEXPIRE', key, ARGV[2]) out[i] = 1
  elseif cur then out[i] = 0
  else redis.call('SET', key, ARGV[1], 'PX', ARGV[2]) out[i] = 1 end
end
return out`;
/** Keys per HOLD_MANY call: one script runs alone in Redis, so a long one would hold up everyone else. */
const HOLD_BATCH = 500;
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

  async holdMany(keys: readonly string[], ttlMs: number): Promise<boolean[]> {
    const held: boolean[] = [];
    for (let i = 0; i < keys.length; i += HOLD_BATCH) {
      const batch = keys.slice(i, i + HOLD_BATCH).map((k) => `gapwatch:lease:${k}`);
      const out = (await this.redis.eval(HOLD_MANY, batch.length, ...batch, this.holder, String(Math.ceil(ttlMs)))) as number[];
      for (const v of out) held.push(v === 1);
    }
    return held;
  }

  async release(key: string): Promise<void> {
    await this.redis.eval(RELEASE, 1, `gapwatch:lease:${key}`, this.holder);
  }
}
