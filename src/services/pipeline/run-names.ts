import { createHash } from 'node:crypto';
import type { PipelineInput } from './types';

/**
 * `<dataset>-<mode>-<hash of the input>`: AWS's name characters, at most 80 with `-<generation>`. The input is
 * hashed as gapwatch sends it (validated, instants in ISO UTC), so the same request always has the same name.
 */
export function runBaseName(input: PipelineInput): string {
  const hash = createHash('sha256').update(JSON.stringify(input)).digest('hex').slice(0, 16);
  return `${slug(input.dataset)}-${input.mode.toLowerCase()}-${hash}`;
}

/** A dataset name in AWS's execution-name characters, at most 40 of them. */
export function slug(dataset: string): string {
  return dataset.replace(/[^A-Za-z0-9_]/g, '_').slice(0, 40);
}

/**
 * Run names come from the run's input, so a repeated request (a double click) finds the run already going
 * instead of starting another: `<base name>-<generation>`, where the generation moves on only once the run
 * of that input has ended. This remembers the highest generation known per base name, so a repeat needs no
 * search.
 */
export class RunGenerations {
  private readonly known = new Map<string, number>();

  /** The highest generation of `base` that exists (0: none); `exists` asks Step Functions. */
  async last(base: string, exists: (generation: number) => Promise<boolean>): Promise<number> {
    return this.known.get(base) ?? (await this.search(base, exists));
  }

  /** Generation `generation` of `base` now exists. */
  started(base: string, generation: number): void {
    this.known.set(base, generation);
  }

  /** In O(log n) lookups. */
  private async search(base: string, exists: (generation: number) => Promise<boolean>): Promise<number> {
    let hi = 1;
    while (hi <= 1 << 20 && (await exists(hi))) hi *= 2;
    let lo = hi === 1 ? 0 : hi / 2;
    // Invariant: lo exists (or is 0), hi does not.
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (await exists(mid)) lo = mid;
      else hi = mid;
    }
    this.known.set(base, lo);
    return lo;
  }
}
