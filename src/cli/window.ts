import type { Dataset } from '../services/gaps/dataset';
import { zoneFor } from '../services/time/zone';
import type { WindowSpec } from './args';

/** What the CLI needs of a dataset to place a trailing window: available in-process and from the server alike. */
export type WindowBasis = Pick<Dataset, 'timezone' | 'bucketMs' | 'settleMs' | 'checkWindowMs'>;

/**
 * The last bucket boundary (in the dataset zone) at or before now − settle: the same end the scheduler's
 * trailingWindow uses, so `gapwatch check` never judges the bucket still filling. It is computed here
 * rather than by calling trailingWindow because that takes a whole Dataset, and with --url the CLI only has
 * the few fields the server's `dataset` query returns (test/cli/window.test.ts pins the two together).
 */
export function settledEnd(basis: WindowBasis, now: number): number {
  return zoneFor(basis.timezone).floorBoundary(now - basis.settleMs, basis.bucketMs);
}

/** The window [from, to) to check, in epoch ms. Pure: `now` is an argument. */
export function resolveWindow(spec: WindowSpec, basis: WindowBasis, now: number): { from: number; to: number } {
  switch (spec.kind) {
    case 'range':
      return { from: spec.from, to: spec.to };
    case 'last': {
      const to = settledEnd(basis, now);
      return { from: to - spec.ms, to };
    }
    case 'default': {
      const to = settledEnd(basis, now);
      return { from: to - basis.checkWindowMs, to };
    }
  }
}
