/**
 * Time as the services see it: the one seam through which tests and the CLI control "now" and waiting.
 * Athena polling, the gap computations' "settled" cut-off, the check scheduler and the app's context all read
 * it, so it lives beside them rather than inside any one of them.
 */
export interface Clock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

export const realClock: Clock = {
  now: Date.now,
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};
