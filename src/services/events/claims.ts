import { mkdirSync, readFileSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Redis } from 'ioredis';
import type { Logger } from '../../logger';

/**
 * Things done once across the fleet and across restarts, whoever gets there first: announcing a run's
 * status. A claim is never renewed; it lasts `ttlMs`, long enough that nobody comes back to its key after.
 */
export interface Claims {
  /** True while a claim on `key` stands. */
  claimed(key: string): Promise<boolean>;
  /** Claims `key` for `ttlMs`; true when this call made the claim, false when one already stood. */
  claim(key: string, ttlMs: number): Promise<boolean>;
}

/** Claims in Redis under `gapwatch:claim:<key>`, shared by the fleet. */
export class RedisClaims implements Claims {
  constructor(
    private readonly redis: Redis,
    private readonly holder: string,
  ) {}

  async claimed(key: string): Promise<boolean> {
    return (await this.redis.exists(`gapwatch:claim:${key}`)) === 1;
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    return (await this.redis.set(`gapwatch:claim:${key}`, this.holder, 'PX', Math.ceil(ttlMs), 'NX')) === 'OK';
  }
}

/** Claims kept at most (the oldest are forgotten first). */
export const MAX_FILE_CLAIMS = 100_000;

/**
 * One instance's claims, in a file under its data dir so a restart remembers them (rewritten whole, temp
 * file and rename, at most once per turn of the event loop). A claim made just before a crash may not
 * reach the file.
 */
export class FileClaims implements Claims {
  private readonly expires = new Map<string, number>();
  private readonly file: string;
  private writing: Promise<void> = Promise.resolve();
  private dirty = false;

  constructor(
    dir: string,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {
    mkdirSync(dir, { recursive: true });
    this.file = path.join(dir, 'claims.json');
    try {
      const stored = JSON.parse(readFileSync(this.file, 'utf8')) as [string, number][];
      const now = this.now();
      for (const [key, until] of stored) if (typeof key === 'string' && typeof until === 'number' && until > now) this.expires.set(key, until);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') logger.warn({ err, file: this.file }, 'claims unreadable; starting without them');
    }
  }

  async claimed(key: string): Promise<boolean> {
    const until = this.expires.get(key);
    return until !== undefined && until > this.now();
  }

  async claim(key: string, ttlMs: number): Promise<boolean> {
    if (await this.claimed(key)) return false;
    this.expires.delete(key);
    this.expires.set(key, this.now() + ttlMs);
    if (this.expires.size > MAX_FILE_CLAIMS) this.expires.delete(this.expires.keys().next().value!);
    this.save();
    return true;
  }

  /** Waits for the claims made so far to be written. */
  async flush(): Promise<void> {
    while (this.dirty) await this.writing;
    await this.writing;
  }

  private save(): void {
    if (this.dirty) return;
    this.dirty = true;
    this.writing = this.writing.then(async () => {
      this.dirty = false;
      const now = this.now();
      const text = JSON.stringify([...this.expires].filter(([, until]) => until > now));
      try {
        await writeFile(`${this.file}.tmp`, text);
        await rename(`${this.file}.tmp`, this.file);
      } catch (err) {
        this.logger.error({ err, file: this.file }, 'claims not saved');
      }
    });
  }
}
