/**
 * A small disk for full-disk tests: a tmpfs of a few MiB mounted over a fresh temp dir (root only, as on
 * this project's machines and in CI), filled to the brim on demand and freed again.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, openSync, rmSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface SmallDisk {
  path: string;
  /** Writes a filler file until the disk refuses a byte (ENOSPC). */
  fill(): void;
  /** Removes the filler: the disk has room again. */
  free(): void;
  remove(): void;
}

function mountable(): boolean {
  const dir = mkdtempSync(path.join(tmpdir(), 'gapwatch-mount-probe-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dir], { stdio: 'ignore' });
    execFileSync('umount', [dir], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs where a tmpfs can be mounted; in CI it must, so there it never skips. */
export const describeSmallDisk = process.env.CI || mountable() ? describe : describe.skip;

export function smallDisk(mib: number): SmallDisk {
  const dir = mkdtempSync(path.join(tmpdir(), 'gapwatch-small-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mib}m`, 'tmpfs', dir]);
  const filler = path.join(dir, 'filler');
  return {
    path: dir,
    fill() {
      const fd = openSync(filler, 'a');
      const block = Buffer.alloc(64 * 1024);
      try {
        for (;;) {
          try {
            writeSync(fd, block);
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== 'ENOSPC') throw err;
            // The last blocks' worth: fill what a 64 KiB block no longer fits into, byte runs at a time.
            for (const size of [4096, 1]) {
              try {
                for (;;) writeSync(fd, block.subarray(0, size));
              } catch (e) {
                if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
              }
            }
            return;
          }
        }
      } finally {
        closeSync(fd);
      }
    },
    free() {
      rmSync(filler, { force: true });
    },
    remove() {
      try {
        execFileSync('umount', ['-l', dir], { stdio: 'ignore' });
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
