import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium (`apt-get install chromium`, as .ci/run does), driven by playwright-core. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Browser tests are skipped only on a developer machine without Chromium; in CI, where .ci/run installs it,
 * a missing browser must fail.
 */
export const describeBrowser = existsSync(CHROMIUM) || process.env.CI ? describe : describe.skip;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/**
 * Where a browser test writes its screenshots: `$GAPWATCH_SCREENSHOTS/<suite>` or a folder under the system's
 * temp dir, printed once so the test output says where to look. They are not committed (README's is).
 */
export function screenshotDir(suite: string): string {
  const dir = path.join(process.env.GAPWATCH_SCREENSHOTS ?? path.join(tmpdir(), 'gapwatch-screenshots'), suite);
  mkdirSync(dir, { recursive: true });
  process.stdout.write(`screenshots of ${suite}: ${dir}\n`);
  return dir;
}

/** Requests that left this machine (anything but loopback and data: URLs). */
export function offMachine(urls: readonly string[]): string[] {
  return urls.filter((u) => !/^(https?|wss?):\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\//.test(u) && !u.startsWith('data:'));
}
