import { readFileSync } from 'node:fs';
import { AthenaClient, GetQueryExecutionCommand, GetQueryResultsCommand, StartQueryExecutionCommand, type GetQueryResultsOutput } from '@aws-sdk/client-athena';
import { decodePages } from '../../../src/services/athena/pages';
import type { SqlQuery } from '../../../src/services/gaps/query';
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

/** An SDK client for an embedded endpoint. */
export function athenaClient(url: string): AthenaClient {
  return new AthenaClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
}

/** Start, wait, fetch every page, decode: what the Athena service does, kept minimal here. */
export async function runQuery(athena: AthenaClient, q: SqlQuery): Promise<Record<string, unknown>[]> {
  const { QueryExecutionId } = await athena.send(new StartQueryExecutionCommand({ QueryString: q.sql, ...(q.parameters.length > 0 ? { ExecutionParameters: [...q.parameters] } : {}) }));
  for (;;) {
    const { QueryExecution } = await athena.send(new GetQueryExecutionCommand({ QueryExecutionId }));
    const state = QueryExecution?.Status?.State;
    if (state === 'SUCCEEDED') break;
    if (state === 'FAILED' || state === 'CANCELLED') throw new Error(`${state}: ${QueryExecution?.Status?.StateChangeReason}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  const pages: GetQueryResultsOutput[] = [];
  let NextToken: string | undefined;
  do {
    const page = await athena.send(new GetQueryResultsCommand({ QueryExecutionId, NextToken }));
    pages.push(page);
    NextToken = page.NextToken;
  } while (NextToken !== undefined);
  const { rows, decoder } = decodePages(pages);
  return rows.map((values) => decoder.toObject(values));
}
