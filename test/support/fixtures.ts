import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Recorded AWS responses the tests replay, kept in the repository (test/fixtures) so a bare clone can run them. */
export const FIXTURES_DIR = path.resolve(__dirname, '../fixtures');

export function fixturePath(name: string): string {
  return path.join(FIXTURES_DIR, name);
}

export function readFixture<T = any>(name: string): T {
  return JSON.parse(readFileSync(fixturePath(name), 'utf8')) as T;
}

export const HOURLY_COUNTS = 'athena/get-query-results-hourly-counts.json';
