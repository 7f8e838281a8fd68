import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The shared fixtures sit beside the repository (../shared/fixtures), on developer machines and in CI alike. */
export const FIXTURES_DIR = path.resolve(__dirname, '../../../shared/fixtures');

export function fixturePath(name: string): string {
  return path.join(FIXTURES_DIR, name);
}

export function readFixture<T = any>(name: string): T {
  return JSON.parse(readFileSync(fixturePath(name), 'utf8')) as T;
}

export const HOURLY_COUNTS = 'athena/get-query-results-hourly-counts.json';
