import { readFileSync } from 'node:fs';
import type { Dataset } from '../../../src/services/gaps/dataset';
import { parseDatasets } from '../../../src/services/gaps/dataset';
import type { CountRow, DecodedRow } from '../../../src/services/gaps/count-rows';
import { fixturePath, HOURLY_COUNTS } from '../../support/fixtures';

export const HOUR = 3_600_000;
export const MINUTE = 60_000;
export const DAY = 86_400_000;

export const NAMED_QUERIES: ReadonlySet<string> = new Set(['hourly_counts']);

/** A long dataset through the real config parser, so tests use what operators can write. */
export function longDataset(overrides: Record<string, unknown> = {}): Dataset {
  return parseDatasets(
    [
      {
        name: 'stock_ticks',
        database: 'market',
        table: 'ticks',
        timestampColumn: 'capture_datetime',
        groupColumn: 'symbol',
        bucket: '1h',
        expectedPerBucket: 60,
        minRatio: 0.8,
        ...overrides,
      },
    ],
    NAMED_QUERIES,
  )[0]!;
}

export function wideDataset(overrides: Record<string, unknown> = {}): Dataset {
  return parseDatasets(
    [
      {
        name: 'seed_hourly',
        shape: 'wide',
        query: 'hourly_counts',
        timeColumn: 'capture_datetime_hour',
        wideColumns: '{group}_CNT',
        bucket: '1h',
        expectedPerBucket: 60,
        minRatio: 0.8,
        ...overrides,
      },
    ],
    NAMED_QUERIES,
  )[0]!;
}

export const t = (iso: string): number => Date.parse(iso);

/** `hours` consecutive hourly count rows for a group starting at an ISO instant. */
export function hourly(group: string, startIso: string, hours: number, count: number | ((i: number) => number) = 60): CountRow[] {
  const start = t(startIso);
  return Array.from({ length: hours }, (_, i) => ({
    at: start + i * HOUR,
    group,
    count: typeof count === 'number' ? count : count(i),
    firstAt: start + i * HOUR,
  }));
}

interface AthenaResults {
  ResultSet: { Rows: { Data: { VarCharValue?: string }[] }[]; ResultSetMetadata: { ColumnInfo: { Name: string; Type: string }[] } };
}

/**
 * The shared GetQueryResults fixture decoded the way the generic decoder does (timestamps as ISO
 * UTC, bigint as numbers, NULL as null), minimally: enough for the column types it holds.
 */
export function decodeFixture(path = fixturePath(HOURLY_COUNTS)): { columns: string[]; rows: DecodedRow[] } {
  const raw = JSON.parse(readFileSync(path, 'utf8')) as AthenaResults;
  const info = raw.ResultSet.ResultSetMetadata.ColumnInfo;
  const columns = info.map((c) => c.Name);
  const rows = raw.ResultSet.Rows.slice(1).map((row) => {
    const out: Record<string, unknown> = {};
    row.Data.forEach((cell, i) => {
      const text = cell.VarCharValue;
      const type = info[i]!.Type;
      out[columns[i]!] = text === undefined ? null : type === 'timestamp' ? `${text.replace(' ', 'T')}Z` : type === 'bigint' ? Number(text) : text;
    });
    return out;
  });
  return { columns, rows };
}
