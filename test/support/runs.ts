import type { Client } from 'graphql-ws';

/**
 * A `repair:` module whose action writes `started-<group>` into `dir` and waits for the test to write
 * `release-<group>`, so a run sits in Repair until the test lets it go. It repairs nothing: Validate then
 * finds the gap still there and the run fails, naming it.
 */
export const GATED_REPAIR_MODULE = (dir: string): string => `
const fs = require('node:fs');
const path = require('node:path');
exports.repair = (range, { signal }) => {
  fs.writeFileSync(path.join(${JSON.stringify(dir)}, 'started-' + range.group), '1');
  return new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (fs.existsSync(path.join(${JSON.stringify(dir)}, 'release-' + range.group))) { clearInterval(timer); resolve({ wrote: 0 }); }
    }, 20);
    signal.addEventListener('abort', () => { clearInterval(timer); reject(signal.reason); });
  });
};
`;

/** Checks `done` every 50 ms, `tries` times at most. */
export async function until(what: string, done: () => boolean | Promise<boolean>, tries = 600): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await done()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** Every message of one subscription, as it arrives, until it completes or errors. */
export function collect(client: Client, query: string, variables?: Record<string, unknown>) {
  const received: any[] = [];
  let error: unknown;
  let completed = false;
  const done = new Promise<void>((resolve) => {
    client.subscribe({ query, variables }, {
      next: (v) => received.push(v),
      error: (e) => {
        error = e;
        resolve();
      },
      complete: () => {
        completed = true;
        resolve();
      },
    });
  });
  return { received, done, completed: () => completed, error: () => error };
}
